/*
 * step: the step points of the bank's operations, their names, and the
 * scheduled worker's park.  A small layer above the ledger and below both
 * the variants and the bank: each of those passes step points, and neither
 * may look up at the other to name them.
 *
 * Contract: step_point() costs one predictable branch when nothing is
 * armed (no hook, no trace), and step_is_armed() lets a hot path ask once
 * for all its step points, windows and trace records.  A traced process
 * records each step point it reaches (trace.h), before its hook runs.
 * A hook armed with step_hook() parks the process at every point: it
 * publishes where it is in its slot and waits until the scheduler bumps
 * the slot's sched_go (schedule.h is the other side).  A park never waits
 * forever: when the scheduler (the parent that started the process) is
 * gone, the hook is disarmed and the process runs to its end; while it
 * lives, a park lasts as long as it likes (a game's player thinks between
 * two steps).
 */
#ifndef LAB_STEP_H
#define LAB_STEP_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "ledger.h"
#include "trace.h"

/*
 * Step points inside the operations, in the order a transfer passes them.
 * A step point is reached after the action it names.
 */
enum step_point {
	STEP_LOCK = 1,		/* about to lock (a wait may follow) */
	STEP_FIRST_LOCK,	/* holds the first of two locks (robust,
				 * ordered): where opposite transfers meet */
	STEP_READ_FROM,		/* has read the source balance */
	STEP_READ_TO,		/* has read the destination balance */
	STEP_WRITE_FROM,	/* has written the source (debit) */
	STEP_WRITE_TO,		/* has written the destination (credit) */
	STEP_UNLOCK,		/* has released its locks */
	STEP_AUDIT_READ,	/* an audit has read one account */
	STEP_REPAIR,		/* a locker that found the owner dead has
				 * restored the account, and not yet marked
				 * the lock consistent: a kill here dies in
				 * the middle of a repair */
	STEP_UNLOCK_SECOND,	/* a transfer has released its second lock,
				 * not yet its first (a minor step: see
				 * step_point_minor()) */
	STEP_AUDIT_LOCK,	/* an audit holds one account's lock
				 * (sync_lock_quiet()) */
	STEP_COUNT
};

/* Pseudo-steps of a schedule: not points in the code. */
#define STEP_KILL		100	/* SIGKILL the process where it is */
#define STEP_START		101	/* parked before its first operation */
#define STEP_END		102	/* parked after its last operation */

/* Spins before a park (or the scheduler's wait) sleeps in the kernel. */
#define STEP_SPINS		2000

/* Name of a step ("read_from"), NULL if none; and its parse (-1: none). */
const char *step_name(unsigned step);
int step_parse(const char *s);

/* What step_point() does when something is armed: trace, then the hook. */
void step_reached(struct ledger *l, unsigned step, int64_t acct,
    int64_t value);

/*
 * A step point: schedules park here, kill tests die here, traces mark it.
 * acct and value say what the step touched (-1 and 0 when nothing).
 */
static inline void
step_point(struct ledger *l, unsigned step, int64_t acct, int64_t value)
{
	if (__builtin_expect(((uintptr_t)l->step | (uintptr_t)l->trace) != 0,
	    0))
		step_reached(l, step, acct, value);
}

/*
 * A minor step point: only a process told to stop exactly there stops (a
 * schedule entry that names it, or a kill point); bare schedule entries
 * and exploration run through it, so adding one changes no interleaving
 * count.  One branch when nothing is armed.
 */
static inline void
step_point_minor(struct ledger *l, unsigned step, int64_t acct,
    int64_t value)
{
	if (__builtin_expect(l->step != NULL, 0) && (l->step_minor == step ||
	    (l->slot >= 0 && atomic_load_explicit(
	    &l->slots[l->slot].sched_target, memory_order_relaxed) == step)))
		step_point(l, step, acct, value);
}

/*
 * The lesson's window: a pause of l->window microseconds where another
 * process's step makes the anomaly (between reading and writing a balance,
 * between a transfer's two locks, between its debit and its credit,
 * between two reads of an audit).  A sleep, not a spin or a yield: the
 * others run even when all share one CPU, and a sleeper woken is scheduled
 * ahead of busy processes.  (Linux rounds a short sleep up to its timer
 * slack, about 50 us.)
 */
static inline void
step_window(const struct ledger *l)
{
	/* Seconds apart: a tv_nsec of 10^9 or more is EINVAL, no sleep. */
	struct timespec ts = { (time_t)(l->window / 1000000),
	    (long)(l->window % 1000000) * 1000 };

	if (__builtin_expect(l->window != 0, 0))
		nanosleep(&ts, NULL);
}

/*
 * Is a step hook, a window or a trace armed?  One branch for a whole
 * operation's step points, windows and records: the fields are ORed, not
 * tested in turn.  They belong to this process's handle, so nothing else
 * can arm them while it runs an operation.
 */
static inline bool
step_is_armed(const struct ledger *l)
{
	return __builtin_expect(((uintptr_t)l->step | l->window |
	    (uintptr_t)l->trace) != 0, 0);
}

/* Arm the scheduled park at every step point, or disarm (NULL hooks). */
void step_hook_scheduled(struct ledger *l);
void step_unhook(struct ledger *l);

/* Park at step (or STEP_START, STEP_END) until the scheduler says go. */
void step_park(struct ledger *l, unsigned step);

/* Wake a process parked on word (the scheduler's release). */
void step_wake(_Atomic uint32_t *word);

#endif
