/*
 * db_scenario: a lesson's run on PostgreSQL: its schema made, its
 * workers run and its schema dropped, the verdict.  See db_scenario.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "db.h"
#include "db_ledger.h"
#include "db_run.h"
#include "db_scenario.h"
#include "lab.h"
#include "scenario.h"

#define DB_SCENARIO_BALANCE	1000000	/* cents per account, as in memory */

/*
 * A round trip costs what ten thousand shared-memory operations do: the
 * lessons' database runs are shorter (and a deadlock waits the server's
 * deadlock_timeout before it is found).
 */
static const uint64_t db_scenario_default_ops[SCENARIO_COUNT] = {
	[SCENARIO_RACE] = 300,
	[SCENARIO_STALE] = 200,
	[SCENARIO_DEADLOCK] = 10,
	[SCENARIO_CRASH] = 200,
};

/*
 * Microseconds after the first read or lock when --window is not given:
 * the deadlock lesson's transfers must hold their first lock while the
 * other takes its own (a round trip alone is too short to be sure).
 */
static const unsigned db_scenario_default_window[SCENARIO_COUNT] = {
	[SCENARIO_DEADLOCK] = 2000,
};

uint64_t
db_scenario_ops(enum scenario_kind k)
{
	return (unsigned)k < SCENARIO_COUNT ? db_scenario_default_ops[k] : 100;
}

/* Worker i's config: the lesson's, in SQL. */
static void
db_scenario_worker(const struct scenario_opts *o, unsigned i, uint64_t *rng,
    const struct db_scenario_result *r, struct db_worker_config *w)
{
	db_worker_config_default(w);
	scenario_worker(o, i, rng, &w->w);
	w->sync = r->sync;
	w->audit = r->audit;
	w->on_deadlock = r->on_deadlock;
	w->window_us = o->has_window ? o->window :
	    db_scenario_default_window[o->kind];
	/* The auditor: a cap on its audits (each is a round trip per
	 * account), so that it ends about when the writers do. */
	if (w->w.mix == WORKER_AUDIT)
		w->w.ops = o->ops / 4 + 1;
}

/* What the run shows: an anomaly, by the lesson's own measure too. */
static void
db_scenario_judge(const struct scenario_opts *o, struct db_scenario_result *r)
{
	const struct db_run_result *x = &r->run;
	unsigned i;

	r->anomaly = !x->check.is_ok || x->stale_audits > 0 ||
	    x->timed_out;
	if (o->kind == SCENARIO_DEADLOCK && x->deadlocks > 0)
		r->anomaly = true;
	for (i = 0; i < x->n; i++)
		if (!x->w[i].has_result && !x->w[i].was_killed &&
		    WIFSIGNALED(x->w[i].status) && r->died_pid == 0)
			r->died_pid = x->w[i].pid;
}

/* Connect, make the schema, run, check. */
static int
db_scenario_go(struct db *d, const struct scenario_opts *o,
    struct db_worker_config *each, struct db_scenario_result *r)
{
	struct db_run_config c = { .conninfo = o->db, .worker = o->worker,
		.procs = o->procs, .each = each, .timeout_ms = o->timeout_ms };
	uint64_t rng = o->seed ^ 0x6b696c6c73ULL;
	unsigned i;
	int rc;

	if ((rc = db_connect(d, o->db)) < 0)
		return rc;
	if ((rc = db_create(d, r->ledger, o->accounts, DB_SCENARIO_BALANCE,
	    r->sync)) < 0)
		return rc;
	for (i = 0; i < o->procs; i++) {
		db_scenario_worker(o, i, &rng, r, &each[i]);
		if (each[i].w.die_step != 0 && r->died_at == 0)
			r->died_at = each[i].w.die_after;
	}
	c.w = each[0];
	rc = db_run_workers(d, &c, &r->run);
	r->interrupted = r->run.interrupted;
	if (rc == 0)
		db_scenario_judge(o, r);
	return rc;
}

int
db_scenario_run(const struct scenario_opts *o, struct db_scenario_result *r)
{
	struct db_worker_config *each;
	struct db d;
	sigset_t sigs, old;
	int rc, drop;

	memset(r, 0, sizeof(*r));
	r->sync = (enum db_sync)o->db_sync;
	r->audit = o->db_audit >= 0 ? (enum db_audit)o->db_audit :
	    db_sync_audit(r->sync);
	r->on_deadlock = (enum db_on_deadlock)o->on_deadlock;
	r->ops = o->ops;
	snprintf(r->ledger, sizeof(r->ledger), "%s-%d", scenario_name(o->kind),
	    (int)getpid());
	if ((each = calloc(o->procs, sizeof(*each))) == NULL)
		return -ENOMEM;
	/* SIGINT and SIGTERM wait for the run's tick, then the schema goes. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, &old);
	rc = db_scenario_go(&d, o, each, r);
	if (rc < 0 && d.err[0] != '\0')
		snprintf(r->err, sizeof(r->err), "--db: %s", d.err);
	else if (rc < 0)
		snprintf(r->err, sizeof(r->err), "%s", lab_strerror(rc));
	/* Made by us, so ours to drop; a foreign schema is never dropped. */
	if (d.conn != NULL && d.schema[0] != '\0' && rc != -EEXIST) {
		drop = db_destroy(&d, r->ledger);
		if (rc == 0 && drop < 0) {
			rc = drop;
			snprintf(r->err, sizeof(r->err), "--db: %s", d.err);
		}
	}
	db_close(&d);
	free(each);
	lab_signals_restore(&sigs, &old, r->interrupted);
	return rc;
}

void
db_scenario_free(struct db_scenario_result *r)
{
	db_run_result_free(&r->run);
}
