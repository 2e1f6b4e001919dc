/*
 * sched_db_impl: what the files of a schedule on PostgreSQL share.
 * sched_db_op.c turns each operation of a session into the statements
 * db_ops.c sends for it (the same texts: d->sql), each tagged with the
 * step points it reaches, and sends and takes them one at a time;
 * sched_db.c runs the permutation over the sessions, one connection each,
 * and sched_db_ask.c asks the server which are blocked, as PostgreSQL's
 * isolation tester does.
 *
 * Layer: schedules (above db).  One process, the scheduler, owns every
 * session; a session is a connection, not a process.
 */
#ifndef LAB_SCHED_DB_IMPL_H
#define LAB_SCHED_DB_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "db.h"
#include "schedule.h"

#define SDB_PROG_MAX	(SCHED_ACCOUNTS_MAX + 8)
#define SDB_RETRIES_MAX	20	/* 40P01 or 40001 retries of one operation */

/* What a statement is (its text: db_sql, or a word of SQL). */
enum sdb_what {
	SDB_BEGIN = 1,		/* BEGIN, or ... SERIALIZABLE */
	SDB_TABLE_LOCK,		/* the semaphore: LOCK TABLE */
	SDB_READ,		/* SELECT balance, version */
	SDB_LOCK,		/* ... FOR UPDATE */
	SDB_WRITE,		/* UPDATE with the computed values */
	SDB_BOOKS,		/* the books row, in the same transaction */
	SDB_COMMIT,
	SDB_ROLLBACK,		/* refused, or after 40P01 / 40001 */
	SDB_BALANCE,		/* a plain audit's read of one account */
	SDB_SUM			/* a consistent audit: one statement */
};

struct sdb_stmt {
	unsigned char what;	/* enum sdb_what */
	unsigned char step[2];	/* step points it reaches (0: none) */
	int acct;		/* the account it touches, -1: none */
};

/* One session: a connection, its script, where it is in it. */
struct sdb_session {
	struct db d;			/* attached to the run's ledger */
	const struct sched_proc *proc;
	int op;				/* the operation it is in */
	struct sdb_stmt prog[SDB_PROG_MAX];	/* that operation's */
	int nprog, pc;			/* pc: the statement sent or next */
	int64_t bal[SCHED_ACCOUNTS_MAX];	/* what its reads saw */
	int64_t ver[SCHED_ACCOUNTS_MAX];
	int64_t sum;			/* an audit's total so far */
	unsigned retries;		/* of this operation */
	unsigned target;		/* step to run to, 0: the next one */
	bool is_moving;			/* released, not yet at its target */
	bool is_busy;			/* a statement sent, no result yet */
	bool was_waiting;		/* recorded as waiting */
	bool is_done, is_dead;
	bool in_tx;			/* inside BEGIN .. COMMIT */
};

/* What sdb_take() saw. */
struct sdb_taken {
	int nsteps;
	unsigned step[2];
	int64_t acct, value;
	const char *aborted;	/* 40P01 or 40001: the server's words */
	bool is_op_done;	/* the operation ended */
	bool is_audit;		/* ... an audit, its total in sum */
	int64_t sum;
	bool has_expected;	/* the same statement said what it must be */
	int64_t expected;
};

/* A run: the sessions, and the control connection that asks about them. */
struct sdb_run {
	const struct sched_spec *s;
	enum db_sync v;
	struct db ctl;			/* makes the ledger, asks, kills */
	struct sdb_session p[SCHED_PROCS_MAX];
	int n;
	int last;			/* the session released last */
	struct sched_result *r;
};

/* sched_db_op.c */

/* Start operation p->op of the session under v (its statements). */
void sdb_op_begin(struct sdb_session *p, enum db_sync v);

/* Send the statement at p->pc.  0, or -LAB_EDB with p->d.err set. */
int sdb_send(struct sdb_session *p, enum db_sync v);

/*
 * The answer to the statement in flight (the caller saw it is there):
 * its first result (NULL: none), and whether it is an error.
 */
PGresult *sdb_fetch(struct sdb_session *p, bool *is_error);

/*
 * Take that answer (res: sdb_fetch()'s, freed here): what it reached in
 * *t.  A deadlock (40P01) or a serialization failure (40001) rolls the
 * operation back and starts it again.  0, or a negative code (an error
 * the schedule cannot go on from, p->d.err).
 */
int sdb_take(struct sdb_session *p, enum db_sync v, PGresult *res,
    struct sdb_taken *t);

/* The account a statement waits for: its own, or the semaphore's. */
int64_t sdb_waits_for(const struct sdb_session *p);

/* sched_db_ask.c */

/* Say why the run could not be made ("WHAT: WHY"); returns code. */
int sdb_fail(struct sdb_run *x, int code, const char *what, const char *why);

/* One statement on the control connection (param: its $1, or NULL). */
int sdb_ask(struct sdb_run *x, const char *sql, const char *param,
    PGresult **res);

/* Which busy sessions wait for another session (one round trip). */
int sdb_blocked(struct sdb_run *x, bool *blocked);

/* A cycle of waits into x->r->cycle: its length, 0 if there is none. */
int sdb_cycle(struct sdb_run *x);

/* Wait until the server has closed p's connection (a kill): 0, or
 * -LAB_ETIMEDOUT after 5 s. */
int sdb_gone(struct sdb_session *p);

#endif
