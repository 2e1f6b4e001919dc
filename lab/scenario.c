/*
 * scenario: the lessons.  Each is a workload chosen so that its anomaly
 * shows essentially every run under the buggy variant and never under the
 * fix, a watchdog, a verdict and a report that says what happened and why.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bank.h"
#include "lab.h"
#include "parse.h"
#include "report.h"
#include "scenario.h"
#include "step.h"
#include "sync.h"

#define SCENARIO_BALANCE	1000000	/* cents in each account: 10000.00 */

/* A lesson's defaults and its words. */
struct scenario_info {
	const char *name;
	const char *title;		/* what the anomaly is called */
	enum sync_kind buggy, fixed;
	unsigned procs;
	uint32_t accounts;
	uint64_t ops;
	unsigned window;
	enum worker_mix mix;
	const char *about;		/* --help: what it shows */
};

static const struct scenario_info scenario_info[SCENARIO_COUNT] = {
	[SCENARIO_RACE] = { "race", "lost updates", SYNC_NONE, SYNC_ORDERED,
	    2, 2, 1000, 1, WORKER_MIXED,
	    "Workers deposit, withdraw and transfer at once; without locks\n"
	    "a balance write can overwrite another process's write." },
	[SCENARIO_STALE] = { "stale", "totals that never existed",
	    SYNC_ROBUST, SYNC_ORDERED, 3, 8, 500, 1, WORKER_TRANSFER,
	    "Writers transfer while an auditor sums every balance again and\n"
	    "again; reading each account under its own lock is not enough." },
	[SCENARIO_DEADLOCK] = { "deadlock", "deadlock", SYNC_ROBUST,
	    SYNC_ORDERED, 2, 2, 1000, 1, WORKER_TRANSFER,
	    "Two workers transfer between the same two accounts in opposite\n"
	    "directions; locks taken in argument order wait for each other." },
	[SCENARIO_CRASH] = { "crash", "dead worker", SYNC_SEMAPHORE,
	    SYNC_ROBUST, 2, 2, 2000, 0, WORKER_TRANSFER,
	    "A worker is killed in the middle of a transfer, holding its\n"
	    "lock(s): after the debit, before the credit." },
};

const char *
scenario_name(enum scenario_kind k)
{
	return scenario_info[k].name;
}

enum sync_kind
scenario_buggy(enum scenario_kind k)
{
	return scenario_info[k].buggy;
}

enum sync_kind
scenario_fixed(enum scenario_kind k)
{
	return scenario_info[k].fixed;
}

/* ------------------------------------------------------------ options */

static const struct option scenario_longopts[] = {
	{ "sync", required_argument, NULL, 's' },
	{ "procs", required_argument, NULL, 'p' },
	{ "accounts", required_argument, NULL, 'a' },
	{ "ops", required_argument, NULL, 'n' },
	{ "seed", required_argument, NULL, 'S' },
	{ "timeout", required_argument, NULL, 't' },
	{ "window", required_argument, NULL, 'w' },
	{ "kills", required_argument, NULL, 'N' },
	{ "kill-at", required_argument, NULL, 'K' },
	{ "kill-after", required_argument, NULL, 'A' },
	{ "json", no_argument, NULL, 'j' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	/* The lesson's shipped schedule instead of a free run. */
	{ "schedule", required_argument, NULL, 'c' },
	{ "explore", required_argument, NULL, 'x' },
	{ "runs", required_argument, NULL, 'r' },
	{ "depth", required_argument, NULL, 'd' },
	{ "shrink", no_argument, NULL, 'k' },
	{ "repeat", required_argument, NULL, 'R' },
	{ "permutation", required_argument, NULL, 'P' },
	{ NULL, 0, NULL, 0 },
};

static void
scenario_usage(const struct scenario_opts *o)
{
	const struct scenario_info *in = &scenario_info[o->kind];

	printf("usage: %s [options]\n\n%s\n\n", o->prog, in->about);
	printf(
"options:\n"
"  --sync V        none | semaphore | robust | ordered (default:\n"
"                  $BANKLAB_SYNC, else %s, the variant that shows it)\n"
"  --procs P       worker processes (default %u)\n"
"  --accounts N    accounts (default %" PRIu32 ")\n"
"  --ops N         operations per worker (default %" PRIu64 ")\n"
"  --seed S        seed of the workers' operations (default: from the\n"
"                  clock; always printed, so a run can be repeated)\n"
"  --window US     pause US microseconds where another process's step\n"
"                  makes the anomaly (default %u; 0: none)\n"
"  --timeout MS    end the run after MS milliseconds (default 10000)\n",
	    ledger_sync_name(in->buggy), in->procs, in->accounts, in->ops,
	    in->window);
	if (o->kind == SCENARIO_CRASH)
		printf(
"  --kill-at STEP  where the first worker dies: lock, read_from, read_to,\n"
"                  write_from, write_to, unlock (default write_from)\n"
"  --kill-after N  ... in its N-th transfer (default 100)\n"
"  --kills N       instead: N workers die at random points (from the seed)\n");
	printf(
"  --schedule \"...\" replay the lesson's shipped schedule (%s.sched) step\n"
"                  by step with this permutation, or with the file's own\n"
"                  permutations if the value is \"file\"\n"
"  --explore MODE  run its interleavings: all, random, pct (--runs N,\n"
"                  --depth D, --shrink, --repeat N, --permutation N)\n",
	    in->name);
	printf(
"  --json          one JSON object instead of the text report\n"
"  --quiet         only the verdict line\n"
"  --help, --version\n\n"
"exit: 0 no anomaly, 1 anomaly found, 2 bad usage, 3 system failure,\n"
"130 interrupted (the ledger is removed on every path)\n");
}

static int
scenario_defaults(enum scenario_kind k, const char *prog,
    struct scenario_opts *o)
{
	const struct scenario_info *in = &scenario_info[k];
	const char *base = strrchr(prog, '/');
	struct timespec ts;
	int sync;

	memset(o, 0, sizeof(*o));
	o->kind = k;
	o->prog = base ? base + 1 : prog;
	sched_cli_defaults(&o->sched, prog);
	if (parse_sync(o->prog, NULL, (int)in->buggy, &sync) < 0)
		return LAB_EXIT_USAGE;
	o->sync = (enum sync_kind)sync;
	o->procs = in->procs;
	o->accounts = in->accounts;
	o->ops = in->ops;
	o->window = in->window;
	o->timeout_ms = 10000;
	o->die_step = STEP_WRITE_FROM;
	o->die_after = 100;
	clock_gettime(CLOCK_REALTIME, &ts);
	o->seed = ((uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 20 ^
	    (uint64_t)getpid()) & 0x7fffffff;
	return 0;
}

/* Options that must agree with each other and with the lesson. */
static int
scenario_check(const struct scenario_opts *o)
{
	if (o->kind == SCENARIO_STALE && o->procs < 2) {
		fprintf(stderr, "%s: --procs: the stale lesson needs at least "
		    "2 (writers and an auditor)\n", o->prog);
		return -1;
	}
	if (o->kind == SCENARIO_DEADLOCK && o->procs < 2) {
		fprintf(stderr, "%s: --procs: a deadlock needs at least 2 "
		    "processes\n", o->prog);
		return -1;
	}
	if (o->accounts < 2) {
		fprintf(stderr, "%s: --accounts: transfers need at least 2 "
		    "accounts\n", o->prog);
		return -1;
	}
	if (o->kind == SCENARIO_CRASH && o->kills > o->procs) {
		fprintf(stderr, "%s: --kills: %u is more than the %u workers\n",
		    o->prog, o->kills, o->procs);
		return -1;
	}
	if (o->kind == SCENARIO_CRASH && o->die_after > o->ops) {
		fprintf(stderr, "%s: --kill-after: %" PRIu64 " is past the %"
		    PRIu64 " operations\n", o->prog, o->die_after, o->ops);
		return -1;
	}
	return 0;
}

int
scenario_parse(enum scenario_kind k, int argc, char **argv,
    struct scenario_opts *o)
{
	const char *p;
	int64_t v;
	int ch, sync, step;

	if (scenario_defaults(k, argv[0], o) != 0)
		return LAB_EXIT_USAGE;
	p = o->prog;
	opterr = 0;
	/*
	 * 0, not 1: glibc then forgets everything of an earlier parse (its
	 * place inside a cluster like "-hh", found by fuzz_options.c);
	 * with 1 a second call went on reading the first call's argv.
	 */
	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", scenario_longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 's':
			if (parse_sync(p, optarg, 0, &sync) < 0)
				return LAB_EXIT_USAGE;
			o->sync = (enum sync_kind)sync;
			break;
		case 'p':
			if (parse_num_opt(p, "--procs", optarg, 1,
			    RUN_PROCS_MAX - 1, &v) < 0)
				return LAB_EXIT_USAGE;
			o->procs = (unsigned)v;
			break;
		case 'a':
			if (parse_num_opt(p, "--accounts", optarg, 2,
			    LEDGER_ACCOUNTS_MAX, &v) < 0)
				return LAB_EXIT_USAGE;
			o->accounts = (uint32_t)v;
			break;
		case 'n':
			if (parse_num_opt(p, "--ops", optarg, 1, 100000000,
			    &v) < 0)
				return LAB_EXIT_USAGE;
			o->ops = (uint64_t)v;
			break;
		case 'S':
			if (parse_num_opt(p, "--seed", optarg, 0,
			    INT64_MAX / 2, &v) < 0)
				return LAB_EXIT_USAGE;
			o->seed = (uint64_t)v;
			break;
		case 't':
			if (parse_num_opt(p, "--timeout", optarg, 100,
			    3600000, &v) < 0)
				return LAB_EXIT_USAGE;
			o->timeout_ms = (unsigned)v;
			break;
		case 'w':
			if (parse_num_opt(p, "--window", optarg, 0, 100000,
			    &v) < 0)
				return LAB_EXIT_USAGE;
			o->window = (unsigned)v;
			break;
		case 'N':
		case 'K':
		case 'A':
			if (k != SCENARIO_CRASH) {
				fprintf(stderr, "%s: --%s is an option of "
				    "banklab-crash only\n", p, ch == 'N' ? "kills" :
				    ch == 'K' ? "kill-at" : "kill-after");
				return LAB_EXIT_USAGE;
			}
			if (ch == 'K') {
				if ((step = step_parse(optarg)) < 0) {
					fprintf(stderr, "%s: --kill-at: \"%s\" "
					    "is not a step (lock, read_from, "
					    "read_to, write_from, write_to, "
					    "unlock)\n", p, optarg);
					return LAB_EXIT_USAGE;
				}
				o->die_step = (unsigned)step;
			} else if (parse_num_opt(p, ch == 'N' ? "--kills" :
			    "--kill-after", optarg, ch == 'N' ? 0 : 1,
			    ch == 'N' ? RUN_PROCS_MAX : 100000000, &v) < 0) {
				return LAB_EXIT_USAGE;
			} else if (ch == 'N') {
				o->kills = (unsigned)v;
			} else {
				o->die_after = (uint64_t)v;
			}
			break;
		case 'c':
		case 'x':
		case 'r':
		case 'd':
		case 'k':
		case 'R':
		case 'P':
			if (ch == 'c' && strcmp(optarg, "file") == 0)
				optarg = NULL;	/* the file's permutations */
			else if (sched_cli_option(&o->sched, ch, optarg) < 0)
				return LAB_EXIT_USAGE;
			o->is_scheduled = true;
			break;
		case 'j':
			o->json = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			scenario_usage(o);
			return -1;
		case 'V':
			printf("%s (banklab) %s\n", p, PACKAGE_VERSION);
			return -1;
		default:
			return parse_bad_option(p, ch, argv);
		}
	}
	if (parse_no_operands(p, argc, argv) != 0)
		return LAB_EXIT_USAGE;
	return scenario_check(o) < 0 ? LAB_EXIT_USAGE : 0;
}

/* ------------------------------------------------------------ the run */

/* What worker i of the lesson does. */
static void
scenario_worker(const struct scenario_opts *o, unsigned i, uint64_t *rng,
    struct worker_config *w)
{
	const struct scenario_info *in = &scenario_info[o->kind];

	worker_config_default(w);
	w->ops = o->ops;
	w->mix = in->mix;
	w->seed = o->seed + i;
	w->max_amount = 100;
	/* Locks in argument order deadlock only where the lesson wants. */
	w->ascending = true;
	switch (o->kind) {
	case SCENARIO_STALE:
		if (i == o->procs - 1) {
			w->mix = WORKER_AUDIT;
			w->ops = 10 * o->ops;	/* a cap; until_ops ends it */
			w->until_ops = (o->procs - 1) * o->ops;
		}
		break;
	case SCENARIO_DEADLOCK:
		w->from = i % 2;
		w->to = 1 - i % 2;
		break;
	case SCENARIO_CRASH:
		w->from = 0;
		w->to = 1;
		w->stop_on_error = true;
		if (o->kills > 0 && i < o->kills) {
			/* The points every variant's transfer passes. */
			static const unsigned points[] = { STEP_LOCK,
			    STEP_READ_FROM, STEP_READ_TO,
			    STEP_WRITE_FROM, STEP_WRITE_TO,
			    STEP_UNLOCK };

			w->die_step = points[lab_rand(rng) %
			    (sizeof(points) / sizeof(points[0]))];
			w->die_after = 1 + lab_rand(rng) % o->ops;
		} else if (o->kills == 0 && i == 0) {
			w->die_step = o->die_step;
			w->die_after = o->die_after;
		}
		break;
	default:
		break;
	}
}

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
	for (i = 0; i < o->procs; i++)
		scenario_worker(o, i, &rng, &each[i]);
	run_config_default(&rc);
	rc.procs = o->procs;
	rc.w = each[0];
	rc.each = each;
	rc.sync = o->sync;
	rc.window = o->window;
	rc.lock_timeout_ms = o->kind == SCENARIO_CRASH ? 2000 :
	    LEDGER_LOCK_TIMEOUT_MS;
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
	/* Take a pending SIGINT/SIGTERM off before unblocking: it is ours. */
	if (r->interrupted) {
		struct timespec zero = { 0, 0 };

		while (sigtimedwait(&watch.sigs, NULL, &zero) > 0)
			;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return err;
}

/* ------------------------------------------------------------ reports */

static void
scenario_why(FILE *f, const struct scenario_opts *o,
    const struct scenario_result *r)
{
	const char *v = ledger_sync_name(o->sync);

	fprintf(f, "\n  why: ");
	switch (o->kind) {
	case SCENARIO_RACE:
		if (r->anomaly)
			fprintf(f,
"an update is read, compute, write.  Under `%s` nothing stops\n"
"  another process from writing between our read and our write; its\n"
"  update is then overwritten by a value computed from the old balance.\n", v);
		else
			fprintf(f,
"under `%s` an account's read-compute-write runs under a lock\n"
"  that every writer of that account takes, so no write can fall between\n"
"  another's read and write.\n", v);
		break;
	case SCENARIO_STALE:
		if (r->anomaly && o->sync == SYNC_ROBUST)
			fprintf(f,
"the auditor locks one account at a time: each balance is right\n"
"  when read, but between two reads a transfer can move money from an\n"
"  account not yet read into one already read (or back), so the sum\n"
"  counts it twice or not at all.  Locks that protect balances do not\n"
"  protect a sum of them.\n");
		else if (r->anomaly)
			fprintf(f,
"the auditor reads balances while transfers are half-way: money\n"
"  that left one account and has not reached the other is missing from\n"
"  the sum (and without locks, updates are lost too).\n");
		else if (o->sync == SYNC_SEMAPHORE)
			fprintf(f,
"the auditor holds the one semaphore for the whole sum, so no\n"
"  transfer runs while it reads: every total it saw existed.\n");
		else
			fprintf(f,
"the auditor reads every account twice under its lock and keeps\n"
"  the sum only if no version moved in between; a transfer writes both\n"
"  its accounts under both locks, so none can straddle the sum.  (After\n"
"  a few tries it takes every lock in order instead.)\n");
		break;
	case SCENARIO_DEADLOCK:
		if (r->deadlocks > 0)
			fprintf(f,
"each transfer locks its source, then its destination.  Two\n"
"  transfers in opposite directions each got their first lock and now\n"
"  wait for the other's: neither can ever proceed.  The watchdog saw the\n"
"  same cycle in the wait-for graph twice, 20 ms apart, ended the stuck\n"
"  workers and took every lock as the next locker: what the dead left\n"
"  half-done was rolled back (EOWNERDEAD) before the books were checked.\n");
		else if (r->anomaly)
			fprintf(f,
"without locks nothing waits, so nothing deadlocks, but the\n"
"  opposite transfers overwrite each other's writes.\n");
		else
			fprintf(f,
"every process takes the lower-numbered account's lock first, so\n"
"  all climb the same order and no cycle of waits can form.\n");
		break;
	case SCENARIO_CRASH:
		if (r->is_stuck)
			fprintf(f,
"a semaphore has no owner the kernel knows of.  Its holder died\n"
"  in the middle of a transfer and nobody will ever post it: the other\n"
"  workers' timed waits saw the holder was dead and gave up.  Robust\n"
"  mutexes exist for this.\n");
		else if (r->anomaly)
			fprintf(f,
"the killed worker had debited one account and never credited\n"
"  the other; without locks or a journal nobody knows, and the money is\n"
"  simply gone (or, with lost updates, created).\n");
		else if (r->died > 0)
			fprintf(f,
"the kernel hands a robust mutex whose owner died to the next\n"
"  locker with EOWNERDEAD.  That process found the dead worker's journal\n"
"  in its slot, restored the accounts' balances from before the transfer\n"
"  (rolled back), and marked the mutex consistent: all or nothing.\n");
		else
			fprintf(f, "no worker died in this run.\n");
		break;
	default:
		break;
	}
}

static void
scenario_example(FILE *f, const struct scenario_opts *o,
    const struct scenario_result *r)
{
	char m1[32], m2[32], m3[32];
	int k;

	if (r->has_lost && o->kind != SCENARIO_CRASH) {
		const struct ledger_lost *x = &r->lost;

		fprintf(f, "\n  example: pid %d read #%" PRIu32 " at version %"
		    PRIu64 " (balance %s) and wrote %s as version %" PRIu64
		    ",\n           over pid %d's write of version %" PRIu64
		    " (balance %s): that update is lost.\n", (int)r->lost_pid,
		    x->acct, x->version_read, report_money(x->balance_read, m1,
		    sizeof(m1)), report_money(x->balance_written, m2,
		    sizeof(m2)), x->version_read + 1, (int)x->other_pid,
		    x->other_version, report_money(x->other_balance, m3,
		    sizeof(m3)));
	}
	for (k = 0; k < r->cycle_len; k++)
		fprintf(f, "%s pid %d holds account #%" PRId64 ", waits for #%"
		    PRId64 "\n", k == 0 ? "\n  cycle:" : "        ",
		    (int)r->cycle[k].pid, r->cycle[k].holds, r->cycle[k].waits);
	if (r->is_stuck)
		fprintf(f, "\n  stuck: the semaphore's holder, pid %d, died "
		    "holding it; nothing can proceed.\n", (int)r->dead_holder);
	if (r->has_repair && r->repair.journal != LEDGER_J_BEGUN) {
		fprintf(f, "\n  repair: pid %d died holding #%" PRIu32 " with "
		    "nothing half-done;\n          pid %d got EOWNERDEAD and "
		    "marked the mutex consistent.\n", (int)r->repair.dead_pid,
		    r->repair.acct, (int)r->repairer_pid);
	} else if (r->has_repair) {
		const struct ledger_repair *x = &r->repair;

		fprintf(f, "\n  repair: pid %d died holding #%" PRIu32 " in a %s "
		    "of %s;\n          pid %d got EOWNERDEAD, %s #%" PRIu32
		    " from %s to %s, and marked the mutex consistent.\n",
		    (int)x->dead_pid, x->acct, x->op == LEDGER_OP_TRANSFER ?
		    "transfer" : "single-account operation",
		    report_money(x->amount, m1, sizeof(m1)),
		    (int)r->repairer_pid, x->journal == LEDGER_J_BEGUN ?
		    "rolled back" : "found nothing half-done on", x->acct,
		    report_money(x->found, m2, sizeof(m2)),
		    report_money(x->restored, m3, sizeof(m3)));
	}
}

/* What was found, in a few words, for the first line. */
static const char *
scenario_verdict(const struct scenario_opts *o,
    const struct scenario_result *r, char *buf, size_t len)
{
	if (r->interrupted)
		snprintf(buf, len, "interrupted");
	else if (r->deadlocks > 0 && r->lost_cents != 0)
		snprintf(buf, len, "DEADLOCK, and money %s even after the "
		    "repair", r->lost_cents > 0 ? "LOST" : "CREATED");
	else if (r->deadlocks > 0)
		snprintf(buf, len, "DEADLOCK");
	else if (r->is_stuck)
		snprintf(buf, len, "STUCK: the semaphore's holder died");
	else if (r->stale_audits > 0)
		snprintf(buf, len, "%" PRIu64 " audits saw TOTALS THAT NEVER "
		    "EXISTED", r->stale_audits);
	else if (r->lost_updates > 0)
		snprintf(buf, len, "LOST UPDATES");
	else if (r->lost_cents != 0)
		snprintf(buf, len, "money %s", r->lost_cents > 0 ? "LOST" :
		    "CREATED");
	else if (r->anomaly)
		snprintf(buf, len, "ANOMALY (lock errors or a timeout)");
	else if (o->kind == SCENARIO_CRASH && r->died > 0)
		snprintf(buf, len, "no anomaly: the dead worker's half-done "
		    "work was repaired");
	else
		snprintf(buf, len, "no anomaly: no %s", scenario_info[o->kind].title);
	return buf;
}

void
scenario_report(FILE *f, const struct scenario_opts *o,
    const struct scenario_result *r)
{
	const struct scenario_info *in = &scenario_info[o->kind];
	char e[32], ob[32], d[96];

	fprintf(f, "%s: %s (variant %s, %u processes x %" PRIu64 " ops, "
	    "%" PRIu32 " accounts, seed %" PRIu64 ")\n", o->prog,
	    scenario_verdict(o, r, d, sizeof(d)), ledger_sync_name(o->sync),
	    o->procs, o->ops, o->accounts, o->seed);
	if (o->quiet)
		return;
	if (r->interrupted)
		fprintf(f, "  interrupted: the workers were ended and the "
		    "ledger removed.\n");
	fprintf(f, "\n  expected total  %14s  (opening balances + deposits "
	    "- withdrawals done)\n", report_money(r->expected_total, e,
	    sizeof(e)));
	fprintf(f, "  observed total  %14s  ", report_money(r->observed_total,
	    ob, sizeof(ob)));
	if (r->lost_cents == 0)
		fprintf(f, "(kept)\n");
	else
		fprintf(f, "(%s %s)\n", r->lost_cents > 0 ? "lost" : "created",
		    report_money(r->lost_cents > 0 ? r->lost_cents :
		    -r->lost_cents, d, sizeof(d)));
	fprintf(f, "  lost updates    %14" PRId64 "  (balance writes "
	    "overwritten by another process)\n", r->lost_updates);
	fprintf(f, "  operations      %14" PRIu64 "  done, %" PRIu64
	    " refused (funds), %" PRIu64 " failed (locks)\n", r->done,
	    r->refused, r->failed);
	if (o->kind == SCENARIO_STALE)
		fprintf(f, "  audits          %14" PRIu64 "  of which %" PRIu64
		    " saw a total that never existed (worst off by %s)\n",
		    r->audits, r->stale_audits, report_money(r->worst_deviation,
		    d, sizeof(d)));
	if (o->kind == SCENARIO_CRASH || r->repairs > 0)
		fprintf(f, "  workers died    %14u  repairs: %" PRIu64 "\n",
		    r->died, r->repairs);
	fprintf(f, "  elapsed         %13.3fs\n", r->elapsed_s);
	scenario_example(f, o, r);
	scenario_why(f, o, r);
	if (r->anomaly && o->sync != in->fixed)
		fprintf(f, "\n  fix: %s --sync %s --seed %" PRIu64 "\n", o->prog,
		    ledger_sync_name(in->fixed), o->seed);
	else if (!r->anomaly && o->sync != in->buggy)
		fprintf(f, "\n  see the bug: %s --sync %s --seed %" PRIu64 "\n",
		    o->prog, ledger_sync_name(in->buggy), o->seed);
}

char *
scenario_json(const struct scenario_opts *o, const struct scenario_result *r)
{
	struct json_object *j = json_object_new_object(), *x = NULL, *a;
	char *s;
	int k;

	if (j == NULL)
		return NULL;
	json_object_object_add(j, "scenario",
	    json_object_new_string(scenario_name(o->kind)));
	json_object_object_add(j, "sync",
	    json_object_new_string(ledger_sync_name(o->sync)));
	report_json_int(j, "procs", o->procs);
	report_json_int(j, "accounts", o->accounts);
	report_json_int(j, "ops", (int64_t)o->ops);
	report_json_int(j, "seed", (int64_t)o->seed);
	json_object_object_add(j, "anomaly",
	    json_object_new_boolean(r->anomaly));
	json_object_object_add(j, "interrupted",
	    json_object_new_boolean(r->interrupted));
	report_json_int(j, "lost_updates", r->lost_updates);
	report_json_int(j, "lost_cents", r->lost_cents);
	report_json_int(j, "audits", (int64_t)r->audits);
	report_json_int(j, "stale_audits", (int64_t)r->stale_audits);
	report_json_int(j, "worst_deviation", r->worst_deviation);
	report_json_int(j, "deadlocks", r->deadlocks);
	report_json_int(j, "repairs", (int64_t)r->repairs);
	report_json_int(j, "died", r->died);
	json_object_object_add(j, "stuck", json_object_new_boolean(r->is_stuck));
	report_json_int(j, "expected_total", r->expected_total);
	report_json_int(j, "observed_total", r->observed_total);
	report_json_int(j, "done", (int64_t)r->done);
	report_json_int(j, "refused", (int64_t)r->refused);
	report_json_int(j, "failed", (int64_t)r->failed);
	json_object_object_add(j, "elapsed_s",
	    json_object_new_double(r->elapsed_s));
	if (r->has_lost && o->kind != SCENARIO_CRASH) {
		x = json_object_new_object();
		json_object_object_add(x, "kind",
		    json_object_new_string("lost_update"));
		report_json_int(x, "pid", r->lost_pid);
		report_json_int(x, "account", r->lost.acct);
		report_json_int(x, "version_read",
		    (int64_t)r->lost.version_read);
		report_json_int(x, "balance_read", r->lost.balance_read);
		report_json_int(x, "balance_written", r->lost.balance_written);
		report_json_int(x, "overwritten_pid", r->lost.other_pid);
		report_json_int(x, "overwritten_version",
		    (int64_t)r->lost.other_version);
		report_json_int(x, "overwritten_balance",
		    r->lost.other_balance);
	} else if (r->cycle_len > 0) {
		x = json_object_new_object();
		json_object_object_add(x, "kind",
		    json_object_new_string("cycle"));
		a = json_object_new_array();
		for (k = 0; k < r->cycle_len; k++) {
			struct json_object *e = json_object_new_object();

			report_json_int(e, "pid", r->cycle[k].pid);
			report_json_int(e, "holds", r->cycle[k].holds);
			report_json_int(e, "waits_for", r->cycle[k].waits);
			json_object_array_add(a, e);
		}
		json_object_object_add(x, "cycle", a);
	} else if (r->is_stuck) {
		x = json_object_new_object();
		json_object_object_add(x, "kind",
		    json_object_new_string("dead_holder"));
		report_json_int(x, "pid", r->dead_holder);
	} else if (r->has_repair) {
		x = json_object_new_object();
		json_object_object_add(x, "kind",
		    json_object_new_string("repair"));
		report_json_int(x, "dead_pid", r->repair.dead_pid);
		report_json_int(x, "repairer_pid", r->repairer_pid);
		report_json_int(x, "account", r->repair.acct);
		report_json_int(x, "amount", r->repair.amount);
		report_json_int(x, "found", r->repair.found);
		report_json_int(x, "restored", r->repair.restored);
		json_object_object_add(x, "rolled_back",
		    json_object_new_boolean(r->repair.journal ==
		    LEDGER_J_BEGUN));
	}
	json_object_object_add(j, "example", x);
	s = strdup(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
	json_object_put(j);
	return s;
}

/* The lesson step by step: its shipped schedule, under o's variant. */
static int
scenario_scheduled(struct scenario_opts *o)
{
	struct sched_spec *s;
	char path[4096], err[512];
	int rc;

	if (sched_find_lesson(scenario_name(o->kind), path, sizeof(path)) < 0) {
		fprintf(stderr, "%s: %s.sched: not found (set "
		    "BANKLAB_SCHEDULES to the folder of the schedules)\n",
		    o->prog, scenario_name(o->kind));
		return LAB_EXIT_SYSTEM;
	}
	if ((s = malloc(sizeof(*s))) == NULL)
		return LAB_EXIT_SYSTEM;
	if (sched_parse_file(path, s, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", o->prog, err);
		free(s);
		return LAB_EXIT_SYSTEM;
	}
	o->sched.prog = o->prog;
	o->sched.file = path;
	o->sched.is_lesson = true;
	o->sched.sync = o->sync;
	o->sched.has_sync = true;
	o->sched.seed = o->seed;
	o->sched.json = o->json;
	o->sched.quiet = o->quiet;
	rc = sched_cli_run(&o->sched, s);
	free(s);
	return rc;
}

int
scenario_main(enum scenario_kind k, int argc, char **argv)
{
	struct scenario_opts o;
	struct scenario_result r;
	char *json;
	int rc;

	lab_sigpipe_quiet();
	if ((rc = scenario_parse(k, argc, argv, &o)) != 0)
		return rc < 0 ? LAB_EXIT_OK : rc;
	if (o.is_scheduled)
		return scenario_scheduled(&o);
	if ((rc = scenario_run(&o, &r)) < 0) {
		fprintf(stderr, "%s: %s\n", o.prog, lab_strerror(rc));
		return LAB_EXIT_SYSTEM;
	}
	if (o.json) {
		if ((json = scenario_json(&o, &r)) == NULL) {
			fprintf(stderr, "%s: %s\n", o.prog, strerror(ENOMEM));
			return LAB_EXIT_SYSTEM;
		}
		printf("%s\n", json);
		free(json);
	} else {
		scenario_report(stdout, &o, &r);
	}
	if (r.interrupted)
		return LAB_EXIT_INTERRUPTED;
	return r.anomaly ? LAB_EXIT_ANOMALY : LAB_EXIT_OK;
}
