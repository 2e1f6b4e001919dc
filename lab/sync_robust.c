/*
 * sync_robust: one robust, process-shared mutex per account.
 *
 * Two variants share this file and differ only in the order a transfer
 * takes its two locks.  `robust` takes them in argument order (from, then
 * to): two opposite transfers can each hold one and wait for the other
 * forever.  `ordered` takes the lower account first: every process climbs
 * the same order, so no cycle of waits can form.  Both survive a dead
 * owner: the kernel hands the next locker EOWNERDEAD, which we answer by
 * repairing the dead process's half-done operation (repair.c) and marking
 * the mutex consistent.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "contract.h"
#include "lab.h"
#include "step.h"
#include "sync_impl.h"

/*
 * What a lock's first try did not settle: wait for a busy mutex (in
 * slices, publishing what we wait for), repair a dead owner's account, or
 * report a lock that is dead for good.  r is the first try's answer.
 */
static __attribute__((noinline)) int
robust_lock_slow(struct ledger *l, pthread_mutex_t *m, uint32_t a, int r)
{
	struct ledger_slot *s = sync_self(l);
	struct timespec ts;
	uint64_t start;
	unsigned slice;

	if (r == EBUSY) {
		/* A new wait: a cycle through it is news (event_cycle()). */
		atomic_store(&s->cycle_told, 0);
		atomic_store(&s->waits, a);
		start = sync_now_ms();
		while ((slice = sync_slice(l, start)) != 0) {
			sync_deadline(&ts, slice);
			if ((r = pthread_mutex_timedlock(m, &ts)) != ETIMEDOUT)
				break;
		}
		if (slice == 0) {
			r = sync_wait_failed(l, ledger_holder_of(l, a));
			atomic_store(&s->waits, LEDGER_NONE);
			return r;
		}
		atomic_store(&s->waits, LEDGER_NONE);
	}
	if (r == EOWNERDEAD) {
		/* Exercise 3: repair, then pthread_mutex_consistent(). */
		ex_owner_died(l, a);
		r = 0;
	}
	if (r == ENOTRECOVERABLE)
		return -LAB_ENOTRECOVERABLE;
	return -r;
}

/*
 * Lock account a and publish it in holds[idx] (idx -1: do not publish; used
 * by an audit, which writes nothing and so leaves nothing to repair).
 *
 * The fast path is one trylock.  glibc 2.36's trylock of an
 * ENOTRECOVERABLE mutex leaves it locked by the caller; such a mutex is
 * dead for everyone anyway, so we report it and never touch it again.
 *
 * The hold is published with a relaxed store: the lock we just took is an
 * acquire, so the store cannot move before it, and a reader that must
 * trust the list (a repairer after EOWNERDEAD, the wait-for graph) reads it
 * only after this process died or while it waits on us.  A seq_cst store
 * here is an xchg, a fence as dear as the mutex's own lock.
 */
static inline __attribute__((always_inline)) void
robust_publish(struct ledger *l, uint32_t a, int idx)
{
	if (idx >= 0)
		atomic_store_explicit(&sync_self(l)->holds[idx], a,
		    memory_order_relaxed);
	else
		l->quiet_locks++;
}

/* A first try that did not take the lock: wait or repair, then publish. */
static __attribute__((noinline)) int
robust_take_slow(struct ledger *l, uint32_t a, int idx, int r)
{
	if ((r = robust_lock_slow(l, &l->acct[a].mutex, a, r)) < 0)
		return r;
	robust_publish(l, a, idx);
	return 0;
}

static inline __attribute__((always_inline)) int
robust_take(struct ledger *l, uint32_t a, int idx)
{
	int r = pthread_mutex_trylock(&l->acct[a].mutex);

	if (__builtin_expect(r != 0, 0))
		return robust_take_slow(l, a, idx, r);
	robust_publish(l, a, idx);
	return 0;
}

/*
 * Unpublish first, then unlock: a listed hold is always a real one.  The
 * unlock is a release, so the relaxed unpublish is visible before anyone
 * can take the mutex after us.
 */
static inline __attribute__((always_inline)) void
robust_release(struct ledger *l, uint32_t a, int idx)
{
	if (idx >= 0)
		atomic_store_explicit(&sync_self(l)->holds[idx], LEDGER_NONE,
		    memory_order_relaxed);
	pthread_mutex_unlock(&l->acct[a].mutex);
}

/*
 * The same, counted for the graders' contract (contract_held()) and
 * traced (a wait, then a hold): every lock but an unarmed transfer's.
 */
static inline __attribute__((always_inline)) int
robust_lock(struct ledger *l, uint32_t a, int idx)
{
	int r;

	sync_trace_wait(l, a);
	if ((r = robust_take(l, a, idx)) == 0)
		contract_held(l, 1);
	sync_trace_taken(l, a, r);
	return r;
}

static inline __attribute__((always_inline)) void
robust_unlock(struct ledger *l, uint32_t a, int idx)
{
	/* Before the unlock: the next holder's hold begins after ours. */
	sync_trace_released(l);
	robust_release(l, a, idx);
	contract_held(l, -1);
}

static int
robust_lock_one(struct ledger *l, uint32_t a)
{
	return robust_lock(l, a, 0);
}

static void
robust_unlock_one(struct ledger *l, uint32_t a)
{
	robust_unlock(l, a, 0);
}

/*
 * The transfer's lock calls with everything armed: the contract's checks,
 * the step points and the window.  Out of line, so that the unarmed calls
 * below are a test, a trylock (or an unlock) and a store.
 */
static __attribute__((noinline, cold)) int
robust_lock_first_armed(struct ledger *l, uint32_t a)
{
	int r;

	contract_lock_call(l, 0, a);
	if ((r = robust_lock(l, a, 0)) < 0)
		return r;
	/* Where two opposite transfers meet: a step point and the window. */
	step_point(l, STEP_FIRST_LOCK, a, 0);
	step_window(l);
	return 0;
}

static __attribute__((noinline, cold)) int
robust_lock_second_armed(struct ledger *l, uint32_t a)
{
	contract_lock_call(l, 1, a);
	return robust_lock(l, a, 1);
}

static __attribute__((noinline, cold)) void
robust_unlock_armed(struct ledger *l, uint32_t a, int idx)
{
	contract_unlock_call(l, idx, a);
	robust_unlock(l, a, idx);
	/* Between a transfer's two unlocks: a kill here dies holding only
	 * the first lock, with its journal done. */
	if (idx == 1)
		step_point_minor(l, STEP_UNLOCK_SECOND, a, 0);
}

int
sync_lock_first(struct ledger *l, uint32_t a)
{
	if (contract_is_armed(l))
		return robust_lock_first_armed(l, a);
	return robust_take(l, a, 0);
}

int
sync_lock_second(struct ledger *l, uint32_t a)
{
	if (contract_is_armed(l))
		return robust_lock_second_armed(l, a);
	return robust_take(l, a, 1);
}

void
sync_unlock_first(struct ledger *l, uint32_t a)
{
	if (contract_is_armed(l))
		robust_unlock_armed(l, a, 0);
	else
		robust_release(l, a, 0);
}

void
sync_unlock_second(struct ledger *l, uint32_t a)
{
	if (contract_is_armed(l))
		robust_unlock_armed(l, a, 1);
	else
		robust_release(l, a, 1);
}

/* An audit's own lock: a step point, so no choice of helpers escapes the
 * schedules. */
int
sync_lock_quiet(struct ledger *l, uint32_t a)
{
	int r;

	if ((r = robust_lock(l, a, -1)) < 0)
		return r;
	step_point(l, STEP_AUDIT_LOCK, a,
	    atomic_load_explicit(&l->acct[a].balance, memory_order_relaxed));
	return 0;
}

void
sync_unlock_quiet(struct ledger *l, uint32_t a)
{
	robust_unlock(l, a, -1);
}

/*
 * `robust`: from, then to.  The order is the caller's, and the lesson.
 * Armed, through the exercises' functions (their step point, window and
 * contract checks); unarmed, their locking inlined: two trylocks and two
 * published holds.
 */
static int
robust_lock_pair(struct ledger *l, uint32_t from, uint32_t to)
{
	int r;

	if (contract_is_armed(l)) {
		if ((r = sync_lock_first(l, from)) < 0)
			return r;
		if ((r = sync_lock_second(l, to)) < 0)
			sync_unlock_first(l, from);
		return r;
	}
	if ((r = robust_take(l, from, 0)) < 0)
		return r;
	if ((r = robust_take(l, to, 1)) < 0)
		robust_release(l, from, 0);
	return r;
}

static void
robust_unlock_pair(struct ledger *l, uint32_t from, uint32_t to)
{
	if (contract_is_armed(l)) {
		sync_unlock_second(l, to);
		sync_unlock_first(l, from);
		return;
	}
	robust_release(l, to, 1);
	robust_release(l, from, 0);
}

int
sync_read_account(struct ledger *l, uint32_t a, int64_t *bal, uint32_t *ver)
{
	int r;

	if ((r = robust_lock(l, a, -1)) < 0)
		return r;
	*bal = atomic_load_explicit(&l->acct[a].balance, memory_order_relaxed);
	*ver = atomic_load_explicit(&l->acct[a].version, memory_order_relaxed);
	robust_unlock(l, a, -1);
	step_point(l, STEP_AUDIT_READ, a, *bal);
	step_window(l);
	return 0;
}

/*
 * One account at a time, each under its lock: every balance read is right
 * when read, yet a transfer can run between two reads, so the sum may be a
 * total that never existed.  Kept on purpose: it is the `robust` lesson.
 */
static int
robust_audit(struct ledger *l, struct sync_audit *out)
{
	uint64_t sum = 0;
	uint32_t i, v;
	int64_t b;
	int r;

	for (i = 0; i < l->naccounts; i++) {
		if ((r = sync_read_account(l, i, &b, &v)) < 0)
			return r;
		sum += (uint64_t)b;
	}
	out->total = (int64_t)sum;
	out->is_consistent = false;
	out->attempts = 1;
	return 0;
}

const struct sync_ops sync_robust_ops = {
	.name = "robust",
	.kind = SYNC_ROBUST,
	.lock_one = robust_lock_one,
	.unlock_one = robust_unlock_one,
	.lock_pair = robust_lock_pair,
	.unlock_pair = robust_unlock_pair,
	.audit = robust_audit,
};

const struct sync_ops sync_ordered_ops = {
	.name = "ordered",
	.kind = SYNC_ORDERED,
	.lock_one = robust_lock_one,
	.unlock_one = robust_unlock_one,
	.lock_pair = ex_lock_pair,	/* exercise 2 */
	.unlock_pair = ex_unlock_pair,
	.audit = ex_audit,		/* exercise 4 */
};
