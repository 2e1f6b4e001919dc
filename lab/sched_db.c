/*
 * sched_db: run a schedule's permutation over PostgreSQL sessions, one
 * statement at a time (sched_db.h).  The sessions' statements come from
 * sched_db_op.c; this file releases them in the permutation's order,
 * settles (which are blocked: sched_db_ask.c asks the server, as the
 * isolation tester does), waits for the server's deadlock detector when
 * the waits close a cycle, kills with pg_terminate_backend(), and judges.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "db_ledger.h"
#include "lab.h"
#include "ledger.h"
#include "sched_db.h"
#include "sched_db_impl.h"
#include "step.h"

#define SDB_SETTLE_MS		5000	/* a statement that never answers */
#define SDB_DEADLOCK_MS		10000	/* ... nor the deadlock detector */

/* ------------------------------------------------------------ results */

/* An audit has ended: is its total one the books never had? */
static int
sdb_judge_audit(struct sdb_run *x, const struct sdb_taken *t)
{
	int64_t expected = t->expected, d;
	PGresult *res;
	int rc;

	if (!t->has_expected) {
		if ((rc = sdb_ask(x, x->ctl.sql.sum, NULL, &res)) < 0)
			return rc;
		rc = PQntuples(res) == 1 ? db_int(res, 0, 1, &expected) :
		    -LAB_ECORRUPT;
		PQclear(res);
		if (rc < 0)
			return sdb_fail(x, rc, "the books", "not a number");
	}
	/* Both are the server's: outside input, no overflow on them. */
	if (__builtin_sub_overflow(t->sum, expected, &d) || d == INT64_MIN)
		return sdb_fail(x, -LAB_ECORRUPT, "the books", "an audit's "
		    "total and the books' are out of range");
	if (d == 0)
		return 0;
	x->r->stale_audits++;
	if (d < 0)
		d = -d;
	if (d > x->r->worst_deviation)
		x->r->worst_deviation = d;
	return 0;
}

/* Session i's statement has answered: record what it reached. */
static int
sdb_arrive(struct sdb_run *x, int i, PGresult *res)
{
	struct sdb_session *p = &x->p[i];
	struct sdb_taken t;
	int k, rc;

	if ((rc = sdb_take(p, x->v, res, &t)) < 0)
		return sdb_fail(x, rc, p->proc->name, p->d.err);
	p->was_waiting = false;
	if (t.aborted != NULL) {
		/* The server's words on the first deadlock, pids and all. */
		if (strcmp(p->d.sqlstate, "40P01") == 0 &&
		    x->r->server[0] == '\0')
			snprintf(x->r->server, sizeof(x->r->server), "%s",
			    t.aborted);
		x->r->deadlock |= strcmp(p->d.sqlstate, "40P01") == 0;
		x->r->retries++;
		sched_result_event(x->r, i, SCHED_EV_ABORTED, 0, -1, 0, 0,
		    strcmp(p->d.sqlstate, "40P01") == 0 ? "40P01 deadlock, "
		    "rolled back" : "40001 serialization, rolled back");
		p->is_moving = false;
		return 0;
	}
	for (k = 0; k < t.nsteps; k++) {
		sched_result_event(x->r, i, SCHED_EV_STEP, t.step[k], t.acct,
		    t.value, 0, NULL);
		if (p->target == 0 || p->target == t.step[k])
			p->is_moving = false;
	}
	if (t.is_audit && (rc = sdb_judge_audit(x, &t)) < 0)
		return rc;
	if (t.is_op_done && ++p->op < p->proc->nops) {
		sdb_op_begin(p, x->v);
	} else if (t.is_op_done) {
		p->is_done = true;
		p->is_moving = false;
		sched_result_event(x->r, i, SCHED_EV_DONE, STEP_END, -1, 0, 0,
		    NULL);
	}
	return 0;
}

/*
 * Take the answers there are in the order they were caused: the session
 * released last first (its COMMIT before the 40001 it causes), unless it
 * was waiting; then errors before the rest (a deadlock's victim before
 * the waiter its abort lets go: the server sends the error before it
 * lets go of the locks, so both are in by then).  While the session
 * released last neither answered nor waits (is_last_waiting), the
 * others' answers are left: a waiter its COMMIT woke may answer before
 * the COMMIT does, and the timeline must not change with such races.
 */
static int
sdb_collect(struct sdb_run *x, bool is_last_waiting, bool *any)
{
	PGresult *res[SCHED_PROCS_MAX];
	bool has[SCHED_PROCS_MAX] = { false }, is_err[SCHED_PROCS_MAX];
	int k, i, pass, rc = 0;

	*any = false;
	for (k = 0; k < x->n; k++) {
		i = (x->last + k) % x->n;
		if (!x->p[i].is_busy)
			continue;
		if (!PQconsumeInput(x->p[i].d.conn)) {
			db_fail(&x->p[i].d, NULL);
			rc = sdb_fail(x, -LAB_EDBGONE, x->p[i].proc->name,
			    x->p[i].d.err);
			break;
		}
		if (!PQisBusy(x->p[i].d.conn)) {
			res[i] = sdb_fetch(&x->p[i], &is_err[i]);
			has[i] = *any = true;
		} else if (k == 0 && !is_last_waiting) {
			break;
		}
	}
	/* Pass 0: the last released, unless it waited; 1: the errors. */
	for (pass = is_last_waiting; pass < 3; pass++)
		for (k = 0; k < x->n; k++) {
			i = (x->last + k) % x->n;
			if (!has[i] || (pass == 0 && k > 0) ||
			    (pass == 1 && !is_err[i]))
				continue;
			has[i] = false;
			if (rc == 0)
				rc = sdb_arrive(x, i, res[i]);
			else
				PQclear(res[i]);
		}
	return rc;
}

/* Wait up to ms for any busy session's answer. */
static void
sdb_poll(struct sdb_run *x, int ms)
{
	struct pollfd fd[SCHED_PROCS_MAX];
	int i, n = 0;

	for (i = 0; i < x->n; i++)
		if (x->p[i].is_busy) {
			fd[n].fd = PQsocket(x->p[i].d.conn);
			fd[n].events = POLLIN;
			fd[n++].revents = 0;
		}
	if (n > 0)
		poll(fd, (nfds_t)n, ms);
}

/* ------------------------------------------------------------ settle */

/* Record the sessions newly found waiting. */
static void
sdb_waiting(struct sdb_run *x, const bool *blocked)
{
	int i;

	for (i = 0; i < x->n; i++)
		if (blocked[i] && !x->p[i].was_waiting) {
			x->p[i].was_waiting = true;
			sched_result_event(x->r, i, SCHED_EV_WAITING, 0, -1, 0,
			    sdb_waits_for(&x->p[i]), NULL);
		}
}

/*
 * Wait until every statement in flight has answered or waits for another
 * session.  When the waits close a cycle, the server breaks it: wait for
 * its 40P01 (deadlock_timeout) and go on.
 */
static int
sdb_settle(struct sdb_run *x)
{
	bool blocked[SCHED_PROCS_MAX] = { false }, any;
	double start = lab_now_s(), cycle = 0;
	int i, busy, still = 0, rc;

	for (;;) {
		if (lab_signalled())
			return sdb_fail(x, -EINTR, "the run", "interrupted "
			    "(SIGINT or SIGTERM): the ledger is dropped");
		if ((rc = sdb_collect(x, blocked[x->last], &any)) < 0)
			return rc;
		for (i = 0, busy = 0; i < x->n; i++)
			busy += x->p[i].is_busy;
		if (busy == 0)
			return 0;
		if ((rc = sdb_blocked(x, blocked)) < 0)
			return rc;
		for (i = 0; i < x->n; i++)
			busy -= blocked[i];
		/* Quiet twice: an answer may be on its way as we ask. */
		still = busy == 0 && !any ? still + 1 : 0;
		if (still < 2) {
			if ((lab_now_s() - start) * 1000 > SDB_SETTLE_MS)
				return sdb_fail(x, -LAB_ETIMEDOUT, "a statement",
				    "neither answered nor waited within 5 s");
			sdb_poll(x, 1);
			continue;
		}
		sdb_waiting(x, blocked);
		if (sdb_cycle(x) == 0)
			return 0;
		/* The detector's turn (deadlock_timeout): its 40P01. */
		if (cycle == 0)
			cycle = lab_now_s();
		if ((lab_now_s() - cycle) * 1000 > SDB_DEADLOCK_MS)
			return sdb_fail(x, -LAB_ETIMEDOUT, "a cycle of waits",
			    "the server did not break it within 10 s");
		sdb_poll(x, 100);
		start = lab_now_s();
	}
}

/* Send session i its next statement. */
static int
sdb_release(struct sdb_run *x, int i, unsigned target)
{
	struct sdb_session *p = &x->p[i];
	int rc;

	p->target = target;
	p->is_moving = true;
	x->last = i;
	x->r->steps++;
	if ((rc = sdb_send(p, x->v)) < 0)
		return sdb_fail(x, rc, p->proc->name, p->d.err);
	return 0;
}

/*
 * Settle, then take each session that is on its way to a target one
 * statement further, lowest first, until each is there, done or waiting.
 */
static int
sdb_advance(struct sdb_run *x)
{
	int i, rc;

	for (;;) {
		if ((rc = sdb_settle(x)) < 0)
			return rc;
		for (i = 0; i < x->n; i++)
			if (x->p[i].is_moving && !x->p[i].is_busy &&
			    !x->p[i].is_done && !x->p[i].is_dead)
				break;
		if (i == x->n)
			return 0;
		x->last = i;
		if ((rc = sdb_send(&x->p[i], x->v)) < 0)
			return sdb_fail(x, rc, x->p[i].proc->name,
			    x->p[i].d.err);
	}
}

/* pg_terminate_backend(): the server rolls its transaction back. */
static int
sdb_kill(struct sdb_run *x, int i)
{
	struct sdb_session *p = &x->p[i];
	char pid[16];
	PGresult *res;
	int rc;

	snprintf(pid, sizeof(pid), "%d", (int)p->d.backend_pid);
	if ((rc = sdb_ask(x, "SELECT pg_terminate_backend($1::int)", pid,
	    &res)) < 0)
		return rc;
	PQclear(res);
	if (sdb_gone(p) < 0)
		return sdb_fail(x, -LAB_ETIMEDOUT, p->proc->name, "its server "
		    "process outlived pg_terminate_backend() by 5 s");
	x->r->rolled_back += p->in_tx;
	db_close(&p->d);
	p->is_dead = true;
	p->is_busy = p->is_moving = false;
	sched_result_event(x->r, i, SCHED_EV_KILLED, STEP_KILL, -1, 0, 0,
	    "pg_terminate_backend");
	return 0;
}

/* Follow the permutation, then run the sessions to their end. */
static int
sdb_steps(struct sdb_run *x, const struct sched_perm *perm)
{
	struct sdb_session *p;
	int k, i, rc;

	for (k = 0; perm != NULL && k < perm->n; k++) {
		i = perm->e[k].proc;
		if (i >= x->n || x->p[i].is_done || x->p[i].is_dead)
			continue;
		p = &x->p[i];
		sched_result_taken(x->r, i, perm->e[k].step);
		if (perm->e[k].step == STEP_KILL) {
			rc = sdb_kill(x, i);
		} else if (p->is_busy) {
			/* Still waiting: it heads for the new target. */
			p->target = perm->e[k].step;
			p->is_moving = true;
			sched_result_event(x->r, i, SCHED_EV_WAITING, 0, -1, 0,
			    sdb_waits_for(p), NULL);
			continue;
		} else {
			rc = sdb_release(x, i, perm->e[k].step);
		}
		if (rc < 0 || (rc = sdb_advance(x)) < 0)
			return rc;
	}
	for (;;) {
		for (i = 0; i < x->n; i++)
			if (!x->p[i].is_done && !x->p[i].is_dead &&
			    !x->p[i].is_busy)
				break;
		if (i == x->n)
			break;
		sched_result_taken(x->r, i, 0);
		if ((rc = sdb_release(x, i, 0)) < 0 ||
		    (rc = sdb_advance(x)) < 0)
			return rc;
	}
	for (i = 0; i < x->n; i++)
		if (x->p[i].is_busy)
			return sdb_fail(x, -LAB_EDEADLK, x->p[i].proc->name,
			    "waits for ever (the server broke no cycle)");
	return 0;
}

/*
 * From the start to the first step point nothing shared happens: take
 * every session there, in order, so that the choices are only the steps
 * that touch the ledger (as in shared memory).
 */
static int
sdb_to_first(struct sdb_run *x)
{
	int i, rc;

	for (i = 0; i < x->n; i++)
		if (!x->p[i].is_done && ((rc = sdb_release(x, i, 0)) < 0 ||
		    (rc = sdb_advance(x)) < 0))
			return rc;
	x->r->steps = 0;
	return 0;
}

/* ------------------------------------------------------------ the run */

/* The schedule's own balances where they differ from account 0's. */
static int
sdb_balances(struct sdb_run *x)
{
	char sql[2 * DB_SQL_MAX], id[16], cents[32];
	const char *params[2] = { id, cents };
	uint32_t a;
	int rc = 0;

	snprintf(sql, sizeof(sql), "UPDATE %s.accounts SET balance = $2 "
	    "WHERE id = $1", x->ctl.schema);
	for (a = 1; a < x->s->accounts && rc == 0; a++) {
		if (x->s->balance[a] == x->s->balance[0])
			continue;
		snprintf(id, sizeof(id), "%" PRIu32, a);
		snprintf(cents, sizeof(cents), "%" PRId64, x->s->balance[a]);
		rc = db_exec(&x->ctl, sql, 2, params, NULL);
	}
	snprintf(sql, sizeof(sql), "UPDATE %s.banklab SET initial = (SELECT "
	    "sum(balance) FROM %s.accounts)", x->ctl.schema, x->ctl.schema);
	if (rc == 0)
		rc = db_exec(&x->ctl, sql, 0, NULL, NULL);
	return rc < 0 ? sdb_fail(x, rc, "the ledger", x->ctl.err) : 0;
}

/* The ledger, and a connection per session attached to it. */
static int
sdb_open(struct sdb_run *x, const char *conninfo)
{
	static unsigned counter;
	char name[LEDGER_NAME_MAX + 1];
	struct sdb_session *p;
	int i, rc;

	if ((rc = db_connect(&x->ctl, conninfo)) < 0)
		return sdb_fail(x, rc, "the server", x->ctl.err);
	snprintf(name, sizeof(name), "sched-%ld-%u", (long)getpid(),
	    counter++);
	if ((rc = db_create(&x->ctl, name, x->s->accounts, x->s->balance[0],
	    x->v)) < 0)
		return sdb_fail(x, rc, name, x->ctl.err[0] ? x->ctl.err :
		    lab_strerror(rc));
	if ((rc = sdb_balances(x)) < 0)
		return rc;
	for (i = 0; i < x->n; i++) {
		p = &x->p[i];
		p->proc = &x->s->proc[i];
		if ((rc = db_connect(&p->d, conninfo)) < 0 ||
		    (rc = db_attach(&p->d, name)) < 0)
			return sdb_fail(x, rc, p->proc->name, p->d.err);
		/*
		 * Long enough that the first of two waiters is the one the
		 * detector picks, unless something stalls us that long
		 * between the two waits; a user who may not set it (not a
		 * superuser) keeps the server's.
		 */
		PQclear(PQexec(p->d.conn, "SET deadlock_timeout = '200ms'"));
		x->r->pid[i] = p->d.backend_pid;
		if (p->proc->nops > 0)
			sdb_op_begin(p, x->v);
		else
			p->is_done = true;
	}
	return 0;
}

/* The sessions, then the ledger: 0, or why it could not be dropped. */
static int
sdb_close(struct sdb_run *x, int rc)
{
	char name[sizeof(x->ctl.name)];
	int i, drop = 0;

	for (i = 0; i < x->n; i++)
		db_close(&x->p[i].d);
	/* (db_destroy() writes d->name: the name goes in a copy.) */
	snprintf(name, sizeof(name), "%s", x->ctl.name);
	if (x->ctl.conn != NULL && name[0] != '\0' && rc != -EEXIST &&
	    (drop = db_destroy(&x->ctl, name)) < 0 && rc == 0)
		rc = sdb_fail(x, drop, name, x->ctl.err);
	db_close(&x->ctl);
	return rc;
}

/* The books against the balances, and the verdict's inputs. */
static int
sdb_judge(struct sdb_run *x)
{
	struct sched_result *r = x->r;
	struct db_check c;
	int rc;

	if ((rc = db_check(&x->ctl, &c)) < 0)
		return sdb_fail(x, rc, "the ledger", x->ctl.err);
	r->check.expected = c.expected;
	r->check.observed = c.observed;
	r->check.lost_cents = c.lost_cents;
	r->check.lost_writes = c.lost_writes;
	r->check.negative = (uint32_t)c.negative;
	r->check.is_ok = c.is_ok;
	r->anomaly = r->deadlock || r->stale_audits > 0 || !c.is_ok;
	return 0;
}

int
sched_db_run(const char *conninfo, const struct sched_spec *s,
    enum db_sync v, const struct sched_perm *perm, struct sched_result *r)
{
	struct sdb_run *x;
	sigset_t sigs, old;
	double t0;
	int rc;

	if ((x = calloc(1, sizeof(*x))) == NULL)
		return -ENOMEM;
	/* SIGINT and SIGTERM wait for the next settle; the schema goes. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, &old);
	x->s = s;
	x->v = v;
	x->n = s->nprocs;
	x->r = r;
	if ((rc = sdb_open(x, conninfo)) == 0 &&
	    (rc = sdb_to_first(x)) == 0) {
		t0 = lab_now_s();
		rc = sdb_steps(x, perm);
		r->elapsed_s = lab_now_s() - t0;
	}
	if (rc == 0)
		rc = sdb_judge(x);
	rc = sdb_close(x, rc);
	free(x);
	lab_signals_restore(&sigs, &old, rc == -EINTR);
	return rc;
}
