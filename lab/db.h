/*
 * db: one connection to a PostgreSQL server (libpq), its errors as one
 * line, and the names of the variants in SQL.  Layer db: above the runs
 * (it reuses their worker mixes), below the schedules and the lessons.
 *
 * Contract: a struct db belongs to one process (a connection is not
 * shared across fork).  The conninfo is the caller's: "" lets libpq take
 * its defaults and the PG* environment itself (this library reads no
 * environment).  Every call returns 0 or a negative code: -LAB_EDB (the
 * server said no), -LAB_EDBGONE (the connection was lost), -LAB_EDEADLK
 * (40P01), -LAB_ESERIALIZE (40001) ...; the server's own words, flattened
 * to one line, are in d->err for the caller to print.  Nothing printed:
 * the server's notices are dropped.
 */
#ifndef LAB_DB_H
#define LAB_DB_H

#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

#define DB_FORMAT	1		/* the marker's format version */
#define DB_ERR_MAX	320
#define DB_SQL_MAX	320
#define DB_ANSWER_MS	60000		/* d->answer_ms unless set */

/* The variants in SQL (db_ops.c says what each sends). */
enum db_sync {
	DB_NONE = 0,		/* SELECT, then UPDATE with the computed value */
	DB_SEMAPHORE,		/* LOCK TABLE accounts IN EXCLUSIVE MODE */
	DB_ROBUST,		/* SELECT ... FOR UPDATE in argument order */
	DB_ORDERED,		/* SELECT ... FOR UPDATE in id order */
	DB_SERIALIZABLE,	/* SERIALIZABLE, retried on 40001 */
	DB_SYNC_COUNT
};

enum db_audit {
	DB_AUDIT_PLAIN = 0,	/* one SELECT per account: torn */
	DB_AUDIT_CONSISTENT,	/* one statement: one snapshot */
	DB_AUDIT_COUNT
};

enum db_on_deadlock {
	DB_DEADLOCK_RETRY = 0,	/* roll back and do the operation again */
	DB_DEADLOCK_FAIL,	/* roll back and stop */
	DB_ON_DEADLOCK_COUNT
};

/* The statements of one ledger, its schema's name quoted inside. */
struct db_sql {
	char read[DB_SQL_MAX];		/* $1 id -> balance, version */
	char lock[DB_SQL_MAX];		/* the same, FOR UPDATE */
	char write[DB_SQL_MAX];		/* $1 id, $2 balance, $3 version */
	char books[DB_SQL_MAX * 2];	/* $1 worker, deposited, withdrawn,
					 * writes: added to its row */
	char table_lock[DB_SQL_MAX];	/* the semaphore */
	char balance[DB_SQL_MAX];	/* $1 id -> balance (plain audit) */
	char sum[DB_SQL_MAX * 2];	/* -> sum, expected (one snapshot) */
};

struct db {
	PGconn *conn;
	char name[68];			/* the ledger's */
	char schema[136];		/* its name quoted: 2 + 2 x 64 at most */
	uint32_t naccounts;
	int64_t initial;		/* total at creation */
	char sync[16];			/* variant named at creation */
	int32_t backend_pid;		/* the server process serving us */
	/*
	 * How long a statement may go unanswered: then the server is taken
	 * as stuck (a stopped backend answers neither us nor a cancel, and
	 * its own statement_timeout never fires), the connection dropped,
	 * -LAB_EDBGONE.  Long enough for the lock waits the lessons make
	 * (the server breaks a deadlock within deadlock_timeout).  0: wait.
	 */
	unsigned answer_ms;
	char worker[40];		/* our row of the books */
	char err[DB_ERR_MAX];		/* the last error, one line */
	char sqlstate[6];		/* its SQLSTATE, "" if none */
	struct db_sql sql;
};

/* Connect; conninfo "" = libpq's defaults.  -LAB_EDB, d->err says why. */
int db_connect(struct db *d, const char *conninfo);
void db_close(struct db *d);

/*
 * Run sql with n text parameters; *out (if out) gets the result to
 * PQclear, which must be rows (PGRES_TUPLES_OK) or a command's success.
 * On failure d->err and d->sqlstate say what, and the code is mapped.
 */
int db_exec(struct db *d, const char *sql, int n, const char *const *params,
    PGresult **out);

/* Field (row, col) of res as an int64_t; -LAB_ECORRUPT if it is not. */
int db_int(const PGresult *res, int row, int col, int64_t *out);

/* The library's own words into d->err, as one line (control characters
 * of names it quotes made harmless). */
void db_say(struct db *d, const char *words);

/* Commit if rc is 0, else roll back, keeping the first error's words. */
int db_end(struct db *d, int rc);

/* The code (and d->err) for a failed result, or for the connection. */
int db_fail(struct db *d, const PGresult *res);

const char *db_sync_name(enum db_sync s);
int db_sync_parse(const char *s, enum db_sync *out);
/* The audit a variant does unless told: plain under none and robust. */
enum db_audit db_sync_audit(enum db_sync s);
const char *db_audit_name(enum db_audit a);
int db_audit_parse(const char *s, enum db_audit *out);
const char *db_on_deadlock_name(enum db_on_deadlock o);
int db_on_deadlock_parse(const char *s, enum db_on_deadlock *out);

#endif
