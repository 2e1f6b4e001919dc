/*
 * lessons: every lesson as one table entry.  A new lesson is a row here
 * (its variants, defaults, workload, words and schedule file), an enum
 * scenario_kind, the file in scenarios/schedules/ and a three-line
 * program calling lesson_main() (scenarios/lesson.c).
 */
#include <string.h>

#include "lab.h"
#include "scenario.h"
#include "step.h"

static const struct lesson_why race_why[] = {
	{ LESSON_ANOMALY, -1,
"an update is read, compute, write.  Under `{sync}` nothing stops\n"
"  another process from writing between our read and our write; its\n"
"  update is then overwritten by a value computed from the old balance.\n" },
	{ 0, -1,
"under `{sync}` an account's read-compute-write runs under a lock\n"
"  that every writer of that account takes, so no write can fall between\n"
"  another's read and write.\n" },
	{ 0, -1, NULL },
};

static const struct lesson_why stale_why[] = {
	{ LESSON_ANOMALY, SYNC_ROBUST,
"the auditor locks one account at a time: each balance is right\n"
"  when read, but between two reads a transfer can move money from an\n"
"  account not yet read into one already read (or back), so the sum\n"
"  counts it twice or not at all.  Locks that protect balances do not\n"
"  protect a sum of them.\n" },
	{ LESSON_ANOMALY, -1,
"the auditor reads balances while transfers are half-way: money\n"
"  that left one account and has not reached the other is missing from\n"
"  the sum (and without locks, updates are lost too).\n" },
	{ 0, SYNC_SEMAPHORE,
"the auditor holds the one semaphore for the whole sum, so no\n"
"  transfer runs while it reads: every total it saw existed.\n" },
	{ 0, -1,
"the auditor reads every account twice under its lock and keeps\n"
"  the sum only if no version moved in between; a transfer writes both\n"
"  its accounts under both locks, so none can straddle the sum.  (After\n"
"  a few tries it takes every lock in order instead.)\n" },
	{ 0, -1, NULL },
};

static const struct lesson_why deadlock_why[] = {
	{ LESSON_DEADLOCK, -1,
"each transfer locks its source, then its destination.  Two\n"
"  transfers in opposite directions each got their first lock and now\n"
"  wait for the other's: neither can ever proceed.  The watchdog saw the\n"
"  same cycle in the wait-for graph twice, 20 ms apart, ended the stuck\n"
"  workers and took every lock as the next locker: what the dead left\n"
"  half-done was rolled back (EOWNERDEAD) before the books were checked.\n" },
	{ LESSON_ANOMALY, -1,
"without locks nothing waits, so nothing deadlocks, but the\n"
"  opposite transfers overwrite each other's writes.\n" },
	{ 0, -1,
"every process takes the lower-numbered account's lock first, so\n"
"  all climb the same order and no cycle of waits can form.\n" },
	{ 0, -1, NULL },
};

static const struct lesson_why crash_why[] = {
	{ LESSON_STUCK, -1,
"a semaphore has no owner the kernel knows of.  Its holder died\n"
"  in the middle of a transfer and nobody will ever post it: the other\n"
"  workers' timed waits saw the holder was dead and gave up.  Robust\n"
"  mutexes exist for this.\n" },
	{ LESSON_ANOMALY, -1,
"the killed worker had debited one account and never credited\n"
"  the other; without locks or a journal nobody knows, and the money is\n"
"  simply gone (or, with lost updates, created).\n" },
	{ LESSON_DIED, -1,
"the kernel hands a robust mutex whose owner died to the next\n"
"  locker with EOWNERDEAD.  That process found the dead worker's journal\n"
"  in its slot, restored the accounts' balances from before the transfer\n"
"  (rolled back), and marked the mutex consistent: all or nothing.\n" },
	{ 0, -1, "no worker died in this run.\n" },
	{ 0, -1, NULL },
};

static const struct lesson lessons[SCENARIO_COUNT] = {
	[SCENARIO_RACE] = {
		.name = "race", .schedule = "race.sched",
		.title = "lost updates",
		.about =
"Workers deposit, withdraw and transfer at once; without locks\n"
"a balance write can overwrite another process's write.",
		.buggy = SYNC_NONE, .fixed = SYNC_ORDERED,
		.procs = 2, .accounts = 2, .ops = 1000, .window = 1,
		.mix = WORKER_MIXED, .shape = LESSON_MIXED, .min_procs = 1,
		.why = race_why,
	},
	[SCENARIO_STALE] = {
		.name = "stale", .schedule = "stale.sched",
		.title = "totals that never existed",
		.about =
"Writers transfer while an auditor sums every balance again and\n"
"again; reading each account under its own lock is not enough.",
		.buggy = SYNC_ROBUST, .fixed = SYNC_ORDERED,
		.procs = 3, .accounts = 8, .ops = 500, .window = 1,
		.mix = WORKER_TRANSFER, .shape = LESSON_LAST_AUDITS,
		.min_procs = 2, .min_procs_why = "the stale lesson needs at "
		    "least 2 (writers and an auditor)",
		.flags = LESSON_SHOWS_AUDITS, .why = stale_why,
	},
	[SCENARIO_DEADLOCK] = {
		.name = "deadlock", .schedule = "deadlock.sched",
		.title = "deadlock",
		.about =
"Two workers transfer between the same two accounts in opposite\n"
"directions; locks taken in argument order wait for each other.",
		.buggy = SYNC_ROBUST, .fixed = SYNC_ORDERED,
		.procs = 2, .accounts = 2, .ops = 1000, .window = 1,
		.mix = WORKER_TRANSFER, .shape = LESSON_OPPOSITE,
		.min_procs = 2, .min_procs_why = "a deadlock needs at least 2 "
		    "processes",
		.why = deadlock_why,
	},
	[SCENARIO_CRASH] = {
		.name = "crash", .schedule = "crash.sched",
		.title = "dead worker",
		.about =
"A worker is killed in the middle of a transfer, holding its\n"
"lock(s): after the debit, before the credit.",
		.buggy = SYNC_SEMAPHORE, .fixed = SYNC_ROBUST,
		.procs = 2, .accounts = 2, .ops = 2000, .window = 0,
		.mix = WORKER_TRANSFER, .shape = LESSON_KILLED, .min_procs = 1,
		.lock_timeout_ms = 2000,
		.flags = LESSON_HAS_KILLS | LESSON_SHOWS_DEATHS,
		.why = crash_why,
	},
};

const struct lesson *
scenario_lesson(enum scenario_kind k)
{
	return &lessons[k];
}

const char *
scenario_name(enum scenario_kind k)
{
	return lessons[k].name;
}

enum sync_kind
scenario_buggy(enum scenario_kind k)
{
	return lessons[k].buggy;
}

enum sync_kind
scenario_fixed(enum scenario_kind k)
{
	return lessons[k].fixed;
}

void
scenario_defaults(enum scenario_kind k, const char *prog,
    struct scenario_opts *o)
{
	const struct lesson *in = &lessons[k];

	memset(o, 0, sizeof(*o));
	o->kind = k;
	o->prog = prog;
	o->sync = in->buggy;
	o->db_audit = -1;		/* the variant's (db.h) */
	o->procs = in->procs;
	o->accounts = in->accounts;
	o->ops = in->ops;
	o->window = in->window;
	o->timeout_ms = 10000;
	o->die_step = STEP_WRITE_FROM;
	o->die_after = 100;
}

/* --kills: worker i dies at a random point every transfer passes. */
static void
scenario_kill_point(const struct scenario_opts *o, unsigned i,
    uint64_t *rng, struct worker_config *w)
{
	static const unsigned points[] = { STEP_LOCK, STEP_READ_FROM,
	    STEP_READ_TO, STEP_WRITE_FROM, STEP_WRITE_TO, STEP_UNLOCK };

	if (o->kills > 0 && i < o->kills) {
		w->die_step = points[lab_rand(rng) %
		    (sizeof(points) / sizeof(points[0]))];
		w->die_after = 1 + lab_rand(rng) % o->ops;
	} else if (o->kills == 0 && i == 0) {
		w->die_step = o->die_step;
		w->die_after = o->die_after;
	}
}

void
scenario_worker(const struct scenario_opts *o, unsigned i, uint64_t *rng,
    struct worker_config *w)
{
	const struct lesson *in = &lessons[o->kind];

	worker_config_default(w);
	w->ops = o->ops;
	w->mix = in->mix;
	w->seed = o->seed + i;
	w->max_amount = 100;
	/* Locks in argument order deadlock only where the lesson wants. */
	w->ascending = true;
	switch (in->shape) {
	case LESSON_LAST_AUDITS:
		if (i == o->procs - 1) {
			w->mix = WORKER_AUDIT;
			w->ops = 10 * o->ops;	/* a cap; until_ops ends it */
			w->until_ops = (o->procs - 1) * o->ops;
		}
		break;
	case LESSON_OPPOSITE:
		w->from = i % 2;
		w->to = 1 - i % 2;
		break;
	case LESSON_KILLED:
		w->from = 0;
		w->to = 1;
		w->stop_on_error = true;
		scenario_kill_point(o, i, rng, w);
		break;
	default:
		break;
	}
}
