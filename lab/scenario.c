/*
 * scenario: a lesson's run.  Each lesson's workload is chosen so that its
 * anomaly shows essentially every run under the buggy variant and never
 * under the fix; a watchdog looks for deadlocks and signals, and the
 * verdict is folded from the workers' reports and the ledger's books.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bank.h"
#include "lab.h"
#include "scenario.h"
#include "sync.h"
#include "trace.h"

#define SCENARIO_BALANCE	1000000	/* cents in each account: 10000.00 */

struct scenario_watch {
	struct scenario_result *r;
	sigset_t sigs;			/* SIGINT and SIGTERM, blocked */
	int prev[LEDGER_SLOTS];		/* the cycle seen last tick */
	int prev_len;
};

/* Rotate a cycle so that its lowest slot comes first: one name per cycle. */
static void
scenario_canon(int *cyc, int len)
{
	int tmp[LEDGER_SLOTS], lo = 0, k;

	if (len < 2)
		return;		/* nothing to rotate (and cppcheck sees so) */
	for (k = 1; k < len; k++)
		if (cyc[k] < cyc[lo])
			lo = k;
	for (k = 0; k < len; k++)
		tmp[k] = cyc[(lo + k) % len];
	memcpy(cyc, tmp, (size_t)len * sizeof(*cyc));
}

/*
 * Every 20 ms: stop on SIGINT/SIGTERM; look for a wait-for cycle.  The
 * slots are read one after another, not at one instant, so a cycle counts
 * only when the same one is seen on two ticks in a row.
 */
static int
scenario_tick(struct ledger *l, struct spawn_set *set, void *arg)
{
	struct scenario_watch *w = arg;
	int cyc[LEDGER_SLOTS], len = 0, k;
	uint32_t i;

	(void)set;
	if (lab_signalled()) {
		w->r->interrupted = true;
		return 2;
	}
	for (i = 0; i < l->nslots && len < 2; i++)
		if (atomic_load(&l->slots[i].state) == LEDGER_SLOT_LIVE)
			len = sync_find_cycle(l, (int)i, cyc, LEDGER_SLOTS);
	if (len < 2) {
		w->prev_len = 0;
		return 0;
	}
	scenario_canon(cyc, len);
	if (len != w->prev_len ||
	    memcmp(cyc, w->prev, (size_t)len * sizeof(*cyc)) != 0) {
		memcpy(w->prev, cyc, (size_t)len * sizeof(*cyc));
		w->prev_len = len;
		return 0;
	}
	w->r->deadlocks = 1;
	w->r->cycle_len = len;
	for (k = 0; k < len; k++) {
		struct sync_link *c = &w->r->cycle[k];

		c->pid = atomic_load(&l->slots[cyc[k]].pid);
		c->waits = atomic_load(&l->slots[cyc[k]].waits);
		/* The one before it on the cycle waits for what it holds. */
		c->holds = atomic_load(&l->slots[cyc[(k + len - 1) % len]].waits);
		if (l->trace != NULL)
			trace_put(l->trace, TRACE_CYCLE, (unsigned)k, c->pid,
			    c->holds, c->waits, len);
	}
	return 1;
}

/* Recover as the next locker would; note what that found. */
static void
scenario_sweep(struct ledger *l, const struct scenario_opts *o,
    struct scenario_result *r)
{
	if (bank_recover(l, o->sync) == -LAB_EHOLDERDEAD && !r->is_stuck) {
		r->is_stuck = true;
		r->dead_holder = l->blocker_pid;
	}
	if (l->slot < 0)
		return;
	if (l->slots[l->slot].repair.seen && !r->has_repair) {
		r->has_repair = true;
		r->repair = l->slots[l->slot].repair;
		r->repairer_pid = l->pid;
	}
	r->repairs += atomic_load(&l->slots[l->slot].repairs);
}

/* Fold the workers' reports into the result. */
static void
scenario_collect(const struct run_result *run, struct scenario_result *r)
{
	unsigned i;

	r->done = run->done;
	r->refused = run->refused;
	r->failed = run->failed;
	r->elapsed_s = run->elapsed_s;
	for (i = 0; i < run->n; i++) {
		const struct run_worker *w = &run->w[i];

		if (WIFSIGNALED(w->status) && !w->was_killed)
			r->died++;
		if (!w->has_result)
			continue;
		r->audits += w->res.audits;
		r->stale_audits += w->res.stale_audits;
		if (w->res.worst_deviation > r->worst_deviation)
			r->worst_deviation = w->res.worst_deviation;
		r->repairs += w->res.repairs;
		if (w->res.repair.seen && !r->has_repair) {
			r->has_repair = true;
			r->repair = w->res.repair;
			r->repairer_pid = w->res.pid;
		}
		if (w->res.lost.seen && !r->has_lost) {
			r->has_lost = true;
			r->lost = w->res.lost;
			r->lost_pid = w->res.pid;
		}
		if (w->res.first_error == -LAB_EHOLDERDEAD && !r->is_stuck) {
			r->is_stuck = true;
			r->dead_holder = w->res.blocker_pid;
		}
	}
}

static void
scenario_judge(const struct scenario_opts *o, const struct bank_check *c,
    bool timed_out, struct scenario_result *r)
{
	r->expected_total = c->expected;
	r->observed_total = c->observed;
	r->lost_cents = c->lost_cents;
	r->lost_updates = c->lost_writes;
	r->anomaly = !c->is_ok || r->deadlocks > 0 || r->is_stuck ||
	    r->stale_audits > 0 || timed_out;
	/* A lock error that is not the lesson's is an anomaly too. */
	if (r->failed > 0 && !r->is_stuck)
		r->anomaly = true;
	(void)o;
}

int
scenario_run(const struct scenario_opts *o, struct scenario_result *r)
{
	struct ledger_config cfg = { .naccounts = o->accounts,
	    .balance = SCENARIO_BALANCE, .sync = o->sync, .is_private = true };
	struct scenario_watch watch;
	struct worker_config *each;
	struct run_config rc;
	struct run_result run;
	struct ledger l;
	sigset_t old;
	char name[LEDGER_NAME_MAX + 1];
	uint64_t rng = o->seed ^ 0x6b696c6c73ULL;
	unsigned i;
	int err;

	memset(r, 0, sizeof(*r));
	memset(&watch, 0, sizeof(watch));
	watch.r = r;
	snprintf(name, sizeof(name), "%s-%d", scenario_name(o->kind),
	    (int)getpid());
	if ((each = calloc(o->procs, sizeof(*each))) == NULL)
		return -ENOMEM;
	/*
	 * SIGINT and SIGTERM wait, blocked, until the watch sees them: then
	 * the workers are killed and the ledger removed before we leave.
	 */
	sigemptyset(&watch.sigs);
	sigaddset(&watch.sigs, SIGINT);
	sigaddset(&watch.sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &watch.sigs, &old);
	if ((err = sync_create(name, &cfg, &l)) < 0)
		goto out;
	sync_trace(&l, o->trace);
	for (i = 0; i < o->procs; i++)
		scenario_worker(o, i, &rng, &each[i]);
	run_config_default(&rc);
	rc.procs = o->procs;
	rc.w = each[0];
	rc.each = each;
	rc.sync = o->sync;
	rc.worker = o->worker;
	rc.window = o->window;
	rc.lock_timeout_ms = scenario_lesson(o->kind)->lock_timeout_ms ?
	    scenario_lesson(o->kind)->lock_timeout_ms : LEDGER_LOCK_TIMEOUT_MS;
	rc.timeout_ms = o->timeout_ms;
	rc.watch = scenario_tick;
	rc.watch_arg = &watch;
	rc.is_private = true;
	err = run_workers(&l, &rc, &run);
	if (err == 0) {
		scenario_collect(&run, r);
		/*
		 * After a deadlock too.  Its workers die one after another:
		 * one still alive gets the dead one's lock (EOWNERDEAD), runs
		 * on, and may be killed between its debit and its credit.
		 * Only the next locker's repair puts that right, and every
		 * dead holder's mutex needs marking consistent anyway.
		 */
		if (!r->interrupted)
			scenario_sweep(&l, o, r);
		bank_check(&l, &run.check);
		scenario_judge(o, &run.check, run.timed_out, r);
	}
	run_result_free(&run);
	ledger_detach(&l);
	ledger_unlink(name);
out:
	free(each);
	lab_signals_restore(&watch.sigs, &old, r->interrupted);
	return err;
}
