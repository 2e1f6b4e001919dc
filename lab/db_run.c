/*
 * db_run: start, release, collect and reap the database workers.  See
 * db_run.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "db.h"
#include "db_ledger.h"
#include "db_run.h"
#include "db_worker.h"
#include "lab.h"
#include "ledger.h"
#include "spawn.h"
#include "worker.h"

/* The starter's side of the gate, ticked by spawn_wait(). */
struct db_gate {
	struct db *d;
	int64_t key;
	unsigned procs;
	bool is_open;
	int rc;				/* the server failed us */
	bool interrupted;
};

static void
db_argv_num(struct db_argv *a, const char *opt, int64_t v, int *k)
{
	snprintf(a->num[*k], sizeof(a->num[*k]), "%" PRId64, v);
	a->argv[a->argc++] = lab_unconst(opt);
	a->argv[a->argc++] = a->num[(*k)++];
}

static void
db_argv_word(struct db_argv *a, const char *opt, const char *v)
{
	a->argv[a->argc++] = lab_unconst(opt);
	if (v != NULL)
		a->argv[a->argc++] = lab_unconst(v);
}

void
db_run_argv(struct db_argv *a, const char *prog, const char *name,
    const char *conninfo, const struct db_worker_config *w, int64_t gate)
{
	int k = 0;

	a->argc = 0;
	db_argv_word(a, prog, "worker");
	a->argv[a->argc++] = lab_unconst(name);
	db_argv_word(a, "--db", conninfo);
	db_argv_word(a, "--json", NULL);
	db_argv_num(a, "--parent", (int64_t)getpid(), &k);
	db_argv_word(a, "--sync", db_sync_name(w->sync));
	db_argv_word(a, "--audit", db_audit_name(w->audit));
	db_argv_word(a, "--on-deadlock", db_on_deadlock_name(w->on_deadlock));
	db_argv_word(a, "--mix", worker_mix_name(w->w.mix));
	db_argv_num(a, "--ops", (int64_t)w->w.ops, &k);
	db_argv_num(a, "--seed", (int64_t)(w->w.seed & INT64_MAX), &k);
	db_argv_num(a, "--max-amount", w->w.max_amount, &k);
	db_argv_num(a, "--window", w->window_us, &k);
	if (gate != 0)
		db_argv_num(a, "--gate", gate, &k);
	if (w->w.from >= 0) {
		db_argv_num(a, "--from", w->w.from, &k);
		db_argv_num(a, "--to", w->w.to, &k);
	}
	if (w->w.ascending)
		db_argv_word(a, "--ascending", NULL);
	if (w->w.stop_on_error)
		db_argv_word(a, "--stop-on-error", NULL);
	if (w->w.die_step != 0)
		db_argv_num(a, "--die-after", (int64_t)w->w.die_after, &k);
	a->argv[a->argc] = NULL;
}

/* How many server processes wait for the gate's lock. */
static int
db_gate_waiting(struct db_gate *g, int64_t *n)
{
	char key[24];
	const char *p[1] = { key };
	PGresult *res;
	int rc;

	snprintf(key, sizeof(key), "%" PRId64, g->key);
	if ((rc = db_exec(g->d, "SELECT count(*) FROM pg_locks WHERE "
	    "locktype = 'advisory' AND NOT granted AND classid = 0 AND "
	    "objid = $1::bigint::oid AND objsubid = 1", 1, p, &res)) < 0)
		return rc;
	if (db_int(res, 0, 0, n) < 0)
		rc = -LAB_ECORRUPT;
	PQclear(res);
	return rc;
}

static int
db_gate_open(struct db_gate *g)
{
	char key[24];
	const char *p[1] = { key };

	snprintf(key, sizeof(key), "%" PRId64, g->key);
	g->is_open = true;
	return db_exec(g->d, "SELECT pg_advisory_unlock($1::bigint)", 1, p,
	    NULL);
}

/* Every 20 ms: open the gate once all wait (or one is gone already). */
static int
db_gate_tick(struct spawn_set *set, void *arg)
{
	struct db_gate *g = arg;
	unsigned i, reaped = 0;
	int64_t n = 0;

	if (lab_signalled()) {
		g->interrupted = true;
		return 1;
	}
	if (g->is_open)
		return 0;
	for (i = 0; i < set->n; i++)
		reaped += set->child[i].is_reaped;
	if (reaped == 0 && (g->rc = db_gate_waiting(g, &n)) < 0)
		return 1;
	if ((reaped > 0 || n >= (int64_t)g->procs) &&
	    (g->rc = db_gate_open(g)) < 0)
		return 1;
	return 0;
}

/* Take worker i's report (the last line it printed). */
static void
db_run_collect(const struct spawn_child *ch, struct db_run_worker *w,
    struct db_run_result *r, unsigned i)
{
	const struct db_worker_result *x = &w->res;

	w->pid = (int32_t)ch->pid;
	w->status = ch->status;
	w->was_killed = ch->was_killed;
	spawn_describe(ch, w->how, sizeof(w->how));
	if (ch->out == NULL || db_worker_result_parse(ch->out,
	    &w->res) < 0) {
		if (!ch->was_killed && WIFSIGNALED(ch->status))
			r->died++;
		return;
	}
	w->has_result = true;
	r->done += x->done;
	r->refused += x->refused;
	r->failed += x->failed;
	r->deadlocks += x->deadlocks;
	r->retries += x->retries;
	r->audits += x->audits;
	r->stale_audits += x->stale_audits;
	if (x->worst_deviation > r->worst_deviation)
		r->worst_deviation = x->worst_deviation;
	if (x->deadlocks > 0 && r->deadlock_at < 0)
		r->deadlock_at = (int)i;
	if (x->first_error != 0 && r->first_error == 0) {
		r->first_error = x->first_error;
		snprintf(r->error, sizeof(r->error), "%s", x->error);
	}
}

/* Start the workers behind the gate g (held already). */
static int
db_run_start(struct spawn_set *set, const struct db_run_config *c,
    const struct db *d, const char *prog, int64_t gate)
{
	struct db_worker_config w;
	struct db_argv *av;
	unsigned i;
	int rc = 0;

	if ((av = malloc(sizeof(*av))) == NULL)
		return -ENOMEM;
	for (i = 0; i < c->procs && rc >= 0; i++) {
		w = c->each != NULL ? c->each[i] : c->w;
		if (c->each == NULL)
			w.w.seed += i;
		db_run_argv(av, prog, d->name, c->conninfo, &w, gate);
		rc = spawn_start(set, av->argv);
	}
	free(av);
	return rc < 0 ? rc : 0;
}

/* Hold the gate: our advisory lock, which the workers ask for shared. */
static int
db_run_gate(struct db_gate *g)
{
	char key[24];
	const char *p[1] = { key };

	/* A key of our own, below 2^31: classid 0, objid the key. */
	g->key = 1 + (int64_t)((lab_now_ns() ^ ((uint64_t)getpid() << 16)) %
	    0x7ffffffeu);
	snprintf(key, sizeof(key), "%" PRId64, g->key);
	return db_exec(g->d, "SELECT pg_advisory_lock($1::bigint)", 1, p,
	    NULL);
}

int
db_run_workers(struct db *d, const struct db_run_config *c,
    struct db_run_result *r)
{
	struct db_gate g = { .d = d, .procs = c->procs };
	struct spawn_set set;
	char prog[4096];
	double start;
	unsigned i;
	int rc;

	memset(r, 0, sizeof(*r));
	r->deadlock_at = -1;
	if (c->procs == 0 || c->procs > DB_RUN_PROCS_MAX)
		return -EINVAL;
	if ((rc = spawn_worker_path(c->worker, prog, sizeof(prog))) < 0)
		return rc;
	if ((r->w = calloc(c->procs, sizeof(*r->w))) == NULL)
		return -ENOMEM;
	r->n = c->procs;
	if ((rc = db_run_gate(&g)) < 0)
		return rc;
	spawn_init(&set);
	start = lab_now_s();
	if ((rc = db_run_start(&set, c, d, prog, g.key)) == 0)
		rc = spawn_wait(&set, c->timeout_ms, db_gate_tick, &g);
	if (rc == -ETIMEDOUT) {
		r->timed_out = true;
		rc = 0;
	} else if (rc > 0) {
		spawn_kill(&set, SIGKILL);
		(void)spawn_wait(&set, 2000, NULL, NULL);
		r->interrupted = g.interrupted;
		rc = g.rc;
	}
	r->elapsed_s = lab_now_s() - start;
	for (i = 0; i < set.n && i < r->n; i++)
		db_run_collect(&set.child[i], &r->w[i], r, i);
	spawn_free(&set);
	if (rc == 0 && !g.is_open)
		rc = db_gate_open(&g);
	if (rc == 0)
		rc = db_check(d, &r->check);
	return rc;
}

void
db_run_result_free(struct db_run_result *r)
{
	free(r->w);
	r->w = NULL;
	r->n = 0;
}
