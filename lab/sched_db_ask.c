/*
 * sched_db_ask: the questions the scheduler of a schedule on PostgreSQL
 * asks the server on its control connection, as PostgreSQL's isolation
 * tester does: which sessions wait for another
 * (pg_isolation_test_session_is_blocked()), whether their waits make a
 * cycle (pg_blocking_pids()), and whether a killed session is gone.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "lab.h"
#include "sched_db_impl.h"

#define SDB_GONE_MS		5000	/* a killed session's backend */

int
sdb_fail(struct sdb_run *x, int code, const char *what, const char *why)
{
	snprintf(x->r->error, sizeof(x->r->error), "%.40s: %.110s", what,
	    why);
	return code;
}

/* One statement on the control connection, its rows to the caller. */
int
sdb_ask(struct sdb_run *x, const char *sql, const char *param,
    PGresult **res)
{
	int rc = db_exec(&x->ctl, sql, param != NULL, &param, res);

	return rc < 0 ? sdb_fail(x, rc, "the server", x->ctl.err) : 0;
}

/* The backend pids of the sessions, as an array literal, "{1,2}". */
static void
sdb_pids(const struct sdb_run *x, char *buf, size_t len)
{
	size_t at = 0;
	int i;

	at += (size_t)snprintf(buf, len, "{");
	for (i = 0; i < x->n && at < len; i++)
		at += (size_t)snprintf(buf + at, len - at, "%s%d", i ? "," : "",
		    (int)x->p[i].d.backend_pid);
	if (at < len)
		snprintf(buf + at, len - at, "}");
}

static int
sdb_proc_of_pid(const struct sdb_run *x, int64_t pid)
{
	int i;

	for (i = 0; i < x->n; i++)
		if (!x->p[i].is_dead && x->p[i].d.backend_pid == pid)
			return i;
	return -1;
}

/*
 * Which busy sessions wait for another session: the isolation tester's
 * question, asked for all of them in one round trip.
 */
int
sdb_blocked(struct sdb_run *x, bool *blocked)
{
	char pids[SCHED_PROCS_MAX * 12 + 4];
	PGresult *res;
	int64_t pid, is;
	int i, k, rc;

	sdb_pids(x, pids, sizeof(pids));
	if ((rc = sdb_ask(x, "SELECT p, pg_isolation_test_session_is_blocked("
	    "p, $1::int[])::int FROM unnest($1::int[]) p", pids, &res)) < 0)
		return rc;
	for (i = 0; i < x->n; i++)
		blocked[i] = false;
	for (k = 0; k < PQntuples(res); k++)
		if (db_int(res, k, 0, &pid) == 0 && db_int(res, k, 1,
		    &is) == 0 && (i = sdb_proc_of_pid(x, pid)) >= 0)
			blocked[i] = is != 0 && x->p[i].is_busy;
	PQclear(res);
	return 0;
}

/*
 * A cycle among the waits (pg_blocking_pids()), into r->cycle as the
 * scheduler in shared memory reports one: who holds what the one before
 * it waits for.  0 if there is none.
 */
int
sdb_cycle(struct sdb_run *x)
{
	char pids[SCHED_PROCS_MAX * 12 + 4];
	int next[SCHED_PROCS_MAX], order[SCHED_PROCS_MAX], i, k, len, at;
	int64_t w, b;
	PGresult *res;

	for (i = 0; i < x->n; i++)
		next[i] = -1;
	sdb_pids(x, pids, sizeof(pids));
	if (sdb_ask(x, "SELECT w, b FROM unnest($1::int[]) w, "
	    "unnest(pg_blocking_pids(w)) b", pids, &res) < 0)
		return 0;
	for (k = 0; k < PQntuples(res); k++)
		if (db_int(res, k, 0, &w) == 0 && db_int(res, k, 1, &b) == 0 &&
		    (i = sdb_proc_of_pid(x, w)) >= 0 && next[i] < 0)
			next[i] = sdb_proc_of_pid(x, b);
	PQclear(res);
	for (i = 0; i < x->n; i++) {
		for (at = i, len = 0; at >= 0 && len <= x->n; len++) {
			order[len] = at;
			if ((at = next[at]) == i)
				break;
		}
		if (at != i)
			continue;
		for (k = 0, len++; k < len && k < SCHED_PROCS_MAX; k++) {
			struct sync_link *e = &x->r->cycle[k];

			e->pid = x->p[order[k]].d.backend_pid;
			e->waits = sdb_waits_for(&x->p[order[k]]);
			e->holds = sdb_waits_for(&x->p[order[(k + len - 1) %
			    len]]);
		}
		x->r->cycle_len = k;
		return k;
	}
	return 0;
}


/*
 * Wait until the server closes session p's connection: its backend
 * closes the socket on its way out, after it has rolled back and let go
 * of its locks (proc_exit(): shared memory first, the socket last).
 */
int
sdb_gone(struct sdb_session *p)
{
	struct pollfd fd = { PQsocket(p->d.conn), POLLIN, 0 };
	double start = lab_now_s();
	PGresult *res;

	for (;;) {
		if (!PQconsumeInput(p->d.conn) ||
		    PQstatus(p->d.conn) == CONNECTION_BAD)
			return 0;
		while (!PQisBusy(p->d.conn) &&
		    (res = PQgetResult(p->d.conn)) != NULL)
			PQclear(res);	/* the FATAL "terminating ..." */
		if ((lab_now_s() - start) * 1000 > SDB_GONE_MS)
			return -LAB_ETIMEDOUT;
		poll(&fd, 1, 100);
	}
}
