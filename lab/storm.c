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
 * forked child, takes consistent audits the whole time: since workers only
 * transfer, every total it sees must be the opening total, to the cent.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <poll.h>
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
#include "worker.h"

#define STORM_LOCK_TIMEOUT_MS	LEDGER_LOCK_TIMEOUT_MS
#define STORM_AUDITOR_WAIT_MS	(2 * STORM_LOCK_TIMEOUT_MS)

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

/* ------------------------------------------------------------ auditor */

/* Audit until stop_fd reads EOF (the storm is over); report on out_fd. */
static int
storm_audit_loop(const char *name, int stop_fd, int out_fd)
{
	struct storm_audits a;
	struct sync_audit s;
	struct pollfd p;
	struct ledger l;
	int rc;

	memset(&a, 0, sizeof(a));
	if ((rc = sync_attach(name, &l)) < 0)
		return rc;
	/* The consistent audit, whatever the workers use: same locks. */
	sync_use(&l, SYNC_ORDERED);
	l.lock_timeout_ms = STORM_LOCK_TIMEOUT_MS;
	if ((rc = ledger_join(&l)) < 0) {
		ledger_detach(&l);
		return rc;
	}
	for (;;) {
		p.fd = stop_fd;
		p.events = POLLIN;
		p.revents = 0;
		if (poll(&p, 1, 0) != 0)
			break;
		if ((rc = bank_audit(&l, &s)) == 0) {
			int64_t dev = lab_distance(s.total, l.initial_total);

			a.audits++;
			if (dev != 0 || !s.is_consistent) {
				if (a.wrong++ == 0)
					a.first_wrong = s.total;
				if (dev > a.worst)
					a.worst = dev;
			}
		} else if (rc == -LAB_EBUSY) {
			a.busy++;
		} else if (a.errors++ == 0) {
			a.first_error = rc;
		}
	}
	a.repairs = atomic_load(&l.slots[l.slot].repairs);
	ledger_detach(&l);
	if (write(out_fd, &a, sizeof(a)) != (ssize_t)sizeof(a))
		return -EIO;
	return 0;
}

/* Fork the auditor; *stop: close it to stop it, *out: its report. */
static pid_t
storm_auditor_start(const char *name, int *stop, int *out)
{
	int sp[2], op[2];
	pid_t pid;

	if (pipe2(sp, O_CLOEXEC) == -1)
		return -errno;
	if (pipe2(op, O_CLOEXEC) == -1) {
		close(sp[0]);
		close(sp[1]);
		return -errno;
	}
	fflush(NULL);
	if ((pid = fork()) == 0) {
		close(sp[1]);
		close(op[0]);
		_exit(storm_audit_loop(name, sp[0], op[1]) == 0 ? 0 : 3);
	}
	close(sp[0]);
	close(op[1]);
	if (pid == -1) {
		int e = errno;

		close(sp[1]);
		close(op[0]);
		return -e;
	}
	*stop = sp[1];
	*out = op[0];
	return pid;
}

/* Stop the auditor and take its report (false if it has none). */
static bool
storm_auditor_finish(pid_t pid, int stop, int out, struct storm_audits *a)
{
	struct pollfd p = { out, POLLIN, 0 };
	bool ok = false;
	int st;

	close(stop);
	if (poll(&p, 1, STORM_AUDITOR_WAIT_MS) == 1 &&
	    read(out, a, sizeof(*a)) == (ssize_t)sizeof(*a))
		ok = true;
	else
		kill(pid, SIGKILL);
	close(out);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	return ok && WIFEXITED(st) && WEXITSTATUS(st) == 0;
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
		if ((rc = spawn_start(set, st->av.argv)) < 0)
			return rc;
		st->r->started++;
		running++;
	}
	return 0;
}

enum { STORM_STOP_SIGNAL = 1, STORM_STOP_ERROR };

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
	run_config_default(&st->rc);
	st->rc.procs = c->workers;
	st->rc.sync = c->sync;
	st->rc.lock_timeout_ms = STORM_LOCK_TIMEOUT_MS;
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
	return 0;
}

int
storm_run(const struct storm_config *c, struct storm_result *r)
{
	struct ledger_config cfg = { 0 };
	char name[LEDGER_NAME_MAX + 1];
	struct storm st;
	struct ledger l;
	sigset_t sigs, old;
	const char *tag;
	double start = lab_now_s();
	int stop = -1, out = -1, rc;
	pid_t auditor;

	memset(r, 0, sizeof(*r));
	if (c->sync != SYNC_ORDERED ||
	    c->workers < 2 || c->workers > STORM_WORKERS_MAX ||
	    c->accounts < 2 || c->ops == 0 || c->repair_pct > 100)
		return -EINVAL;
	/* A caller's tag (BANKLAB_RUN_TAG) lets it sweep what a kill left. */
	tag = getenv("BANKLAB_RUN_TAG");
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
	if ((rc = sync_create(name, &cfg, &l)) < 0)
		goto out;
	auditor = 0;
	if (!c->is_repair_only &&
	    (auditor = storm_auditor_start(name, &stop, &out)) < 0) {
		rc = (int)auditor;
		goto unlink;
	}
	storm_setup(&st, c, r, &l);
	if ((rc = spawn_worker_path(st.prog, sizeof(st.prog))) == 0)
		rc = storm_workers(&st);
	if (!c->is_repair_only)
		r->has_audit = storm_auditor_finish(auditor, stop, out,
		    &r->audit);
	if (rc == 0 && !r->interrupted)
		rc = storm_settle(&st);
	r->elapsed_s = lab_now_s() - start;
	r->is_ok = rc == 0 && !r->timed_out && !r->interrupted &&
	    r->kills >= c->kills && r->failed == 0 && r->lock_errors == 0 &&
	    (c->is_repair_only || (r->has_audit && r->audit.wrong == 0 &&
	    r->audit.errors == 0)) && r->check.is_ok;
unlink:
	ledger_detach(&l);
	ledger_unlink(name);
out:
	if (r->interrupted) {
		struct timespec zero = { 0, 0 };

		/* Take the pending signal off before unblocking: it is ours. */
		while (sigtimedwait(&sigs, NULL, &zero) > 0)
			;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
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
	char *s;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	json_object_object_add(o, "sync",
	    json_object_new_string(ledger_sync_name(c->sync)));
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
	json_object_object_add(o, "elapsed_s",
	    json_object_new_double(r->elapsed_s));
	json_object_object_add(o, "timed_out",
	    json_object_new_boolean(r->timed_out));
	json_object_object_add(o, "interrupted",
	    json_object_new_boolean(r->interrupted));
	json_object_object_add(o, "ok", json_object_new_boolean(r->is_ok));
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}
