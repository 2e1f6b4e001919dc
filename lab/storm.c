/*
 * storm: the kill storm (storm.h).
 *
 * Three kinds of process.  Workers (`banklab worker`, a fixed number at
 * once) transfer money among a few accounts.  This process is the killer:
 * every 20 ms it SIGKILLs about half of the workers that are transferring,
 * reaps the dead and starts new ones until it has sent its kills.  A worker
 * killed while it held a lock leaves the next locker EOWNERDEAD, which
 * rolls its half-done transfer back; some workers are started with orders
 * to SIGKILL themselves at their first repair (the `repair` step point), so
 * repairs are killed too and redone by the next locker.  The auditor, a
 * `banklab worker --mix audit` too, takes consistent audits the whole
 * time: since workers only transfer, every total it sees must be the
 * opening total, to the cent.
 */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"
#include "report.h"
#include "run.h"
#include "spawn.h"
#include "step.h"
#include "storm.h"
#include "sync.h"
#include "trace.h"
#include "worker.h"

#define STORM_LOCK_TIMEOUT_MS	LEDGER_LOCK_TIMEOUT_MS
#define STORM_AUDITOR_WAIT_MS	(2 * STORM_LOCK_TIMEOUT_MS)
#define STORM_AUDITS_MAX	1000000000	/* `banklab worker --ops` limit */

void
storm_config_default(struct storm_config *c)
{
	memset(c, 0, sizeof(*c));
	c->kills = 1000;
	c->workers = 8;
	c->accounts = 16;
	c->balance = 100000;
	c->ops = 200000;
	c->repair_pct = 25;
	c->seed = 1;
	c->sync = SYNC_ORDERED;
	c->timeout_ms = 300000;
}

/* ------------------------------------------------------------ workers */

struct storm {
	const struct storm_config *c;
	struct storm_result *r;
	struct ledger *l;
	struct run_config rc;		/* for the workers' command lines */
	struct worker_config w;		/* an ordinary worker */
	struct worker_config diehard;	/* one that dies at its first repair */
	struct worker_argv av;
	char prog[4096];
	uint64_t rng;
	int err;			/* a start that failed */
	double t0;			/* lab_now_s() at the start */
};

/* Count how child c ended, now that it is reaped. */
static void
storm_account(struct storm *st, const struct spawn_child *c)
{
	struct storm_result *r = st->r;
	struct worker_result res;

	if (c->was_killed)
		return;		/* counted when sent */
	if (WIFSIGNALED(c->status) && WTERMSIG(c->status) == SIGKILL) {
		/* Nobody else kills them: it died at its repair step. */
		r->repair_kills++;
		return;
	}
	if (WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0 &&
	    c->out != NULL && worker_result_parse(c->out, &res) == 0) {
		r->finished++;
		r->lock_errors += res.failed;
		return;
	}
	if (r->failed++ == 0)
		spawn_describe(c, r->first_failure, sizeof(r->first_failure));
}

/* Account for and drop every reaped child. */
static void
storm_sweep(struct storm *st, struct spawn_set *set)
{
	unsigned i = 0;

	while (i < set->n) {
		if (set->child[i].is_reaped) {
			storm_account(st, &set->child[i]);
			spawn_forget(set, i);	/* the last takes index i */
		} else {
			i++;
		}
	}
}

/* Is pid a worker that has joined and done at least one transfer? */
static bool
storm_is_busy(const struct ledger *l, pid_t pid)
{
	uint32_t i;

	for (i = 0; i < l->nslots; i++) {
		const struct ledger_slot *s = &l->slots[i];

		if (atomic_load(&s->pid) == pid &&
		    atomic_load(&s->state) == LEDGER_SLOT_LIVE)
			return s->counters.ops != s->base.ops ||
			    s->counters.refused != s->base.refused;
	}
	return false;
}

/*
 * Kill about half of the workers that are transferring (the others may
 * still be starting: a kill there tests little).  Which half is random, so
 * workers die at every age and every point of a transfer.
 */
static void
storm_kill_some(struct storm *st, struct spawn_set *set)
{
	unsigned i;

	for (i = 0; i < set->n && st->r->kills < st->c->kills; i++) {
		struct spawn_child *c = &set->child[i];

		if (c->is_reaped || c->was_killed || lab_rand(&st->rng) % 2)
			continue;
		if (!storm_is_busy(st->l, c->pid))
			continue;
		if (kill(c->pid, SIGKILL) == 0) {
			c->was_killed = true;
			st->r->kills++;
			if (st->l->trace != NULL)
				trace_put(st->l->trace, TRACE_KILL, 0,
				    (int32_t)c->pid, -1, 0, 0);
		}
	}
}

/* Start workers until c->workers run, while kills remain to be sent. */
static int
storm_refill(struct storm *st, struct spawn_set *set)
{
	const struct worker_config *w;
	unsigned i, running = 0;
	int rc;

	for (i = 0; i < set->n; i++)
		running += !set->child[i].is_reaped && !set->child[i].was_killed;
	while (running < st->c->workers && st->r->kills < st->c->kills) {
		w = lab_rand(&st->rng) % 100 < st->c->repair_pct ?
		    &st->diehard : &st->w;
		run_build_argv(&st->av, st->prog, st->l, &st->rc, w,
		    st->c->seed + st->r->started, 0);
		if ((rc = run_spawn(set, st->l, &st->rc, &st->av)) < 0)
			return rc;
		st->r->started++;
		running++;
	}
	return 0;
}

enum { STORM_STOP_SIGNAL = 1, STORM_STOP_ERROR };

/*
 * The caller's sample: the sum read unlocked, as any observer reads it,
 * so a transfer half done (or half rolled back) shows as a dip.
 */
static void
storm_report(const struct storm *st)
{
	struct ledger_counters books;
	struct storm_sample s;
	struct bank_check ck;

	if (st->c->progress == NULL)
		return;
	bank_check(st->l, &ck);
	ledger_books(st->l, &books);
	s.t_s = lab_now_s() - st->t0;
	s.kills = st->r->kills;
	s.kills_wanted = st->c->kills;
	s.repair_kills = st->r->repair_kills;
	s.transfers = books.ops;
	s.total = ck.observed;
	s.books = ck.expected;
	st->c->progress(st->c->progress_arg, &s);
}

static int
storm_tick(struct spawn_set *set, void *arg)
{
	struct storm *st = arg;

	if (lab_signalled()) {
		st->r->interrupted = true;
		return STORM_STOP_SIGNAL;
	}
	storm_sweep(st, set);
	storm_kill_some(st, set);
	if ((st->err = storm_refill(st, set)) < 0)
		return STORM_STOP_ERROR;
	storm_report(st);
	return 0;
}

static void
storm_setup(struct storm *st, const struct storm_config *c,
    struct storm_result *r, struct ledger *l)
{
	memset(st, 0, sizeof(*st));
	st->c = c;
	st->r = r;
	st->l = l;
	st->rng = c->seed ^ 0x73746f726dULL;
	st->t0 = lab_now_s();
	run_config_default(&st->rc);
	st->rc.procs = c->workers;
	st->rc.sync = c->sync;
	st->rc.lock_timeout_ms = STORM_LOCK_TIMEOUT_MS;
	st->rc.is_by_fd = true;
	worker_config_default(&st->w);
	st->w.mix = WORKER_TRANSFER;
	st->w.ops = c->ops;
	if (c->is_repair_only) {
		st->w.ascending = true;
		st->w.max_amount = 1;	/* drains upward, slowly */
		/* Most kills then land between a debit and its credit. */
		st->rc.window = 200;
	}
	st->diehard = st->w;
	st->diehard.die_step = STEP_REPAIR;
	st->diehard.die_after = 0;
}

/* ------------------------------------------------------------ auditor */

/*
 * Start the auditor, a `banklab worker --mix audit` like the workers (it
 * dies with us), with the consistent audit: `ordered`, the only variant
 * stormed, so the workers' locks.  It is in a set of its own, which the
 * storm's sweeps never see, and audits until storm_auditor_finish().
 */
static int
storm_auditor_start(struct storm *st, struct spawn_set *aud)
{
	struct worker_config w;
	int rc;

	worker_config_default(&w);
	w.mix = WORKER_AUDIT;
	w.ops = STORM_AUDITS_MAX;
	run_build_argv(&st->av, st->prog, st->l, &st->rc, &w, st->c->seed, 0);
	return (rc = run_spawn(aud, st->l, &st->rc, &st->av)) < 0 ? rc : 0;
}

/*
 * Stop the auditor and take its report (false if it has none).  We block
 * SIGTERM while we run and spawn passes our mask on: the auditor's stays
 * pending, it sees it between two audits, stops and reports (worker.h).
 * If it does not in time, spawn_wait() kills it: no report.
 */
static bool
storm_auditor_finish(struct spawn_set *aud, struct storm_audits *a)
{
	const struct spawn_child *c = &aud->child[0];
	struct worker_result res;

	spawn_kill(aud, SIGTERM);
	(void)spawn_wait(aud, STORM_AUDITOR_WAIT_MS, NULL, NULL);
	if (!c->is_reaped || !WIFEXITED(c->status) || c->out == NULL ||
	    worker_result_parse(c->out, &res) < 0)
		return false;
	a->audits = res.audits;
	a->wrong = res.stale_audits;
	a->worst = res.worst_deviation;
	a->first_wrong = res.first_stale;
	a->busy = res.busy;
	a->errors = res.failed - res.busy;	/* busy ones count in both */
	a->first_error = a->errors != 0 ? res.first_error : 0;
	a->repairs = res.repairs;
	return true;
}

/* The storm proper, on the created ledger l. */
static int
storm_workers(struct storm *st)
{
	uint64_t start = lab_now_ms(), spent;
	struct spawn_set set;
	int rc;

	spawn_init(&set);
	/*
	 * spawn_wait() returns once every child is reaped: if all ended
	 * between two ticks, start more and wait again (the reaped are
	 * accounted for by the next tick or after the loop).
	 */
	do {
		if ((rc = storm_refill(st, &set)) < 0)
			goto out;
		spent = lab_now_ms() - start;
		rc = spawn_wait(&set, spent >= st->c->timeout_ms ? 0 :
		    st->c->timeout_ms - (unsigned)spent, storm_tick, st);
	} while (rc == 0 && st->r->kills < st->c->kills);
	if (rc == -ETIMEDOUT) {
		st->r->timed_out = true;
		rc = 0;
	} else if (rc > 0) {
		spawn_kill(&set, SIGKILL);
		(void)spawn_wait(&set, STORM_AUDITOR_WAIT_MS, NULL, NULL);
		rc = rc == STORM_STOP_ERROR ? st->err : 0;
	}
	storm_sweep(st, &set);
out:
	spawn_free(&set);
	return rc;
}

/* Repair what the last kills left, then read the books. */
static int
storm_settle(struct storm *st)
{
	struct ledger_counters books;
	struct ledger *l = st->l;
	int rc;

	sync_use(l, st->c->sync);
	l->lock_timeout_ms = STORM_LOCK_TIMEOUT_MS;
	if ((rc = bank_recover(l, st->c->sync)) < 0)
		return rc;
	ledger_books(l, &books);
	st->r->transfers = books.ops;
	st->r->repairs = atomic_load(&l->hdr->repairs);
	bank_check(l, &st->r->check);
	bank_trace_books(l);
	return 0;
}

int
storm_run(const struct storm_config *c, struct storm_result *r)
{
	struct ledger_config cfg = { 0 };
	char name[LEDGER_NAME_MAX + 1];
	const char *tag = c->run_tag;
	struct spawn_set aud;
	struct storm st;
	struct ledger l;
	sigset_t sigs, old;
	double start = lab_now_s();
	int rc;

	memset(r, 0, sizeof(*r));
	if (c->sync != SYNC_ORDERED ||
	    c->workers < 2 || c->workers > STORM_WORKERS_MAX ||
	    c->accounts < 2 || c->ops == 0 || c->repair_pct > 100)
		return -EINVAL;
	/* A caller's tag lets it sweep what a kill left. */
	snprintf(name, sizeof(name), "storm%s%s-%d", tag ? "-" : "",
	    tag ? tag : "", (int)getpid());
	cfg.naccounts = c->accounts;
	cfg.balance = c->balance;
	cfg.sync = c->sync;
	cfg.is_private = true;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, &old);
	spawn_init(&aud);
	if ((rc = sync_create(name, &cfg, &l)) < 0)
		goto out;
	/*
	 * Workers come and go all storm long; they get the ledger by
	 * descriptor (run_config.is_by_fd), so its name can go now, and a
	 * storm SIGKILLed leaves nothing in /dev/shm.
	 */
	ledger_unlink(name);
	sync_trace(&l, c->trace);
	bank_trace_books(&l);
	storm_setup(&st, c, r, &l);
	if ((rc = spawn_worker_path(c->worker, st.prog, sizeof(st.prog))) < 0 ||
	    (!c->is_repair_only && (rc = storm_auditor_start(&st, &aud)) < 0))
		goto unlink;
	rc = storm_workers(&st);
	if (!c->is_repair_only)
		r->has_audit = storm_auditor_finish(&aud, &r->audit);
	if (rc == 0 && !r->interrupted && (rc = storm_settle(&st)) == 0)
		storm_report(&st);	/* the end, after the last repairs */
	r->elapsed_s = lab_now_s() - start;
	r->is_ok = rc == 0 && !r->timed_out && !r->interrupted &&
	    r->kills >= c->kills && r->failed == 0 && r->lock_errors == 0 &&
	    (c->is_repair_only || (r->has_audit && r->audit.wrong == 0 &&
	    r->audit.errors == 0)) && r->check.is_ok;
unlink:
	spawn_free(&aud);
	ledger_detach(&l);
out:
	lab_signals_restore(&sigs, &old, r->interrupted);
	return rc;
}

/* ------------------------------------------------------------ reports */

void
storm_print(FILE *f, const struct storm_config *c,
    const struct storm_result *r)
{
	char m1[32], m2[32];

	fprintf(f, "kill storm: %u workers at a time on %" PRIu32 " accounts, "
	    "%s, seed %" PRIu64 "\n", c->workers, c->accounts,
	    ledger_sync_name(c->sync), c->seed);
	fprintf(f, "  workers:  %" PRIu64 " started; %" PRIu64 " SIGKILLed "
	    "by the storm, %" PRIu64 " in the middle of a repair, %" PRIu64
	    " finished, %" PRIu64 " ended otherwise%s%s\n", r->started,
	    r->kills, r->repair_kills, r->finished, r->failed,
	    r->failed ? ": the first " : "", r->failed ? r->first_failure : "");
	fprintf(f, "  work:     %" PRIu64 " transfers done, %" PRIu64
	    " locks repaired after a dead owner, %" PRIu64 " lock errors\n",
	    r->transfers, r->repairs, r->lock_errors);
	if (r->has_audit) {
		fprintf(f, "  auditor:  %" PRIu64 " consistent audits during the "
		    "storm, %" PRIu64 " with a wrong total", r->audit.audits,
		    r->audit.wrong);
		if (r->audit.wrong)
			fprintf(f, " (the first %s, worst off by %s)",
			    report_money(r->audit.first_wrong, m1, sizeof(m1)),
			    report_money(r->audit.worst, m2, sizeof(m2)));
		fprintf(f, "; %" PRIu64 " gave up, %" PRIu64 " lock errors%s%s\n",
		    r->audit.busy, r->audit.errors,
		    r->audit.errors ? ": " : "",
		    r->audit.errors ? lab_strerror(r->audit.first_error) : "");
	} else {
		fprintf(f, "  auditor:  no report (it died or hung)\n");
	}
	fprintf(f, "  money:    expected %s, found %s: %" PRId64 " cents lost; %"
	    PRId64 " lost writes, %" PRIu32 " accounts below zero\n",
	    report_money(r->check.expected, m1, sizeof(m1)),
	    report_money(r->check.observed, m2, sizeof(m2)),
	    r->check.lost_cents, r->check.lost_writes, r->check.negative);
	if (r->interrupted)
		fprintf(f, "=> interrupted after %.1f s (the ledger is "
		    "removed)\n", r->elapsed_s);
	else if (r->timed_out)
		fprintf(f, "=> FAILED: not over after %.1f s: a lock never came "
		    "back?\n", r->elapsed_s);
	else if (r->is_ok)
		fprintf(f, "=> survived %" PRIu64 " kills with no cent lost "
		    "(%.1f s)\n", r->kills + r->repair_kills, r->elapsed_s);
	else
		fprintf(f, "=> FAILED: money lost, a wrong total seen, or a "
		    "process that did not end as it should (%.1f s)\n",
		    r->elapsed_s);
}

char *
storm_json(const struct storm_config *c, const struct storm_result *r)
{
	struct json_object *o, *a;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	report_json_str(o, "sync", ledger_sync_name(c->sync));
	report_json_int(o, "workers", c->workers);
	report_json_int(o, "accounts", c->accounts);
	report_json_int(o, "seed", (int64_t)c->seed);
	report_json_int(o, "started", (int64_t)r->started);
	report_json_int(o, "kills", (int64_t)r->kills);
	report_json_int(o, "repair_kills", (int64_t)r->repair_kills);
	report_json_int(o, "finished", (int64_t)r->finished);
	report_json_int(o, "failed", (int64_t)r->failed);
	report_json_int(o, "transfers", (int64_t)r->transfers);
	report_json_int(o, "repairs", (int64_t)r->repairs);
	report_json_int(o, "lock_errors", (int64_t)r->lock_errors);
	if (r->has_audit && (a = json_object_new_object()) != NULL) {
		report_json_int(a, "audits", (int64_t)r->audit.audits);
		report_json_int(a, "wrong", (int64_t)r->audit.wrong);
		report_json_int(a, "worst_cents", r->audit.worst);
		report_json_int(a, "busy", (int64_t)r->audit.busy);
		report_json_int(a, "errors", (int64_t)r->audit.errors);
		json_object_object_add(o, "auditor", a);
	}
	report_json_int(o, "expected_cents", r->check.expected);
	report_json_int(o, "observed_cents", r->check.observed);
	report_json_int(o, "lost_cents", r->check.lost_cents);
	report_json_int(o, "lost_writes", r->check.lost_writes);
	report_json_double(o, "elapsed_s", r->elapsed_s);
	report_json_bool(o, "timed_out", r->timed_out);
	report_json_bool(o, "interrupted", r->interrupted);
	report_json_bool(o, "ok", r->is_ok);
	return report_json_finish(o);
}
