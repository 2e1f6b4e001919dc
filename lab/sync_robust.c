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
#include <stdlib.h>

#include "bank.h"
#include "lab.h"
#include "sync_impl.h"

/*
 * Lock account a and publish it in holds[idx] (idx -1: do not publish; used
 * by an audit, which writes nothing and so leaves nothing to repair).
 */
static int
robust_lock(struct ledger *l, uint32_t a, int idx)
{
	struct ledger_slot *s = sync_self(l);
	pthread_mutex_t *m = &l->acct[a].mutex;
	struct timespec ts;
	uint64_t start;
	unsigned slice;
	int r;

	/*
	 * Fast path.  glibc 2.36's trylock of an ENOTRECOVERABLE mutex leaves
	 * it locked by the caller; such a mutex is dead for everyone anyway,
	 * so we report it and never touch it again.
	 */
	r = pthread_mutex_trylock(m);
	if (r == EBUSY) {
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
		repair_account(l, a);
		pthread_mutex_consistent(m);
		r = 0;
	}
	if (r == ENOTRECOVERABLE)
		return -LAB_ENOTRECOVERABLE;
	if (r != 0)
		return -r;
	if (idx >= 0)
		atomic_store(&s->holds[idx], a);
	return 0;
}

/* Unpublish first, then unlock: a listed hold is always a real one. */
static void
robust_unlock(struct ledger *l, uint32_t a, int idx)
{
	if (idx >= 0)
		atomic_store(&sync_self(l)->holds[idx], LEDGER_NONE);
	pthread_mutex_unlock(&l->acct[a].mutex);
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

/* first, then second: the order is the caller's choice, and the lesson. */
static int
lock_two(struct ledger *l, uint32_t first, uint32_t second)
{
	int r;

	if ((r = robust_lock(l, first, 0)) < 0)
		return r;
	ledger_step(l, BANK_STEP_FIRST_LOCK, first, 0);
	ledger_window(l);
	if ((r = robust_lock(l, second, 1)) < 0) {
		robust_unlock(l, first, 0);
		return r;
	}
	return 0;
}

static void
unlock_two(struct ledger *l, uint32_t first, uint32_t second)
{
	robust_unlock(l, second, 1);
	robust_unlock(l, first, 0);
}

static int
robust_lock_pair(struct ledger *l, uint32_t from, uint32_t to)
{
	return lock_two(l, from, to);
}

static void
robust_unlock_pair(struct ledger *l, uint32_t from, uint32_t to)
{
	unlock_two(l, from, to);
}

static int
ordered_lock_pair(struct ledger *l, uint32_t from, uint32_t to)
{
	return from < to ? lock_two(l, from, to) : lock_two(l, to, from);
}

static void
ordered_unlock_pair(struct ledger *l, uint32_t from, uint32_t to)
{
	if (from < to)
		unlock_two(l, from, to);
	else
		unlock_two(l, to, from);
}

/* Read one account under its own lock. */
static int
read_locked(struct ledger *l, uint32_t a, int64_t *bal, uint32_t *ver)
{
	int r;

	if ((r = robust_lock(l, a, -1)) < 0)
		return r;
	*bal = atomic_load_explicit(&l->acct[a].balance, memory_order_relaxed);
	*ver = atomic_load_explicit(&l->acct[a].version, memory_order_relaxed);
	robust_unlock(l, a, -1);
	ledger_step(l, BANK_STEP_AUDIT_READ, a, *bal);
	ledger_window(l);
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
		if ((r = read_locked(l, i, &b, &v)) < 0)
			return r;
		sum += (uint64_t)b;
	}
	out->total = (int64_t)sum;
	out->is_consistent = false;
	out->attempts = 1;
	return 0;
}

/*
 * Double collect: read every (balance, version) under its lock, then read
 * every version again.  If none moved, no write happened between the two
 * passes, and since a transfer writes both its accounts while holding both
 * locks, no transfer can straddle that instant: the sum is a snapshot.
 */
static int
double_collect(struct ledger *l, uint32_t *ver, uint64_t *sum, bool *ok)
{
	uint32_t i, v;
	int64_t b;
	int r;

	*sum = 0;
	for (i = 0; i < l->naccounts; i++) {
		if ((r = read_locked(l, i, &b, &ver[i])) < 0)
			return r;
		*sum += (uint64_t)b;
	}
	*ok = true;
	for (i = 0; i < l->naccounts && *ok; i++) {
		if ((r = read_locked(l, i, &b, &v)) < 0)
			return r;
		*ok = v == ver[i];
	}
	return 0;
}

/* Hold every lock in order (ledgers <= SYNC_AUDIT_HOLD_MAX accounts only:
 * the kernel recovers at most 2048 robust mutexes of a dying thread). */
static int
hold_all(struct ledger *l, uint64_t *sum)
{
	uint32_t i, j;
	int r;

	*sum = 0;
	for (i = 0; i < l->naccounts; i++) {
		if ((r = robust_lock(l, i, -1)) < 0) {
			for (j = i; j-- > 0;)
				robust_unlock(l, j, -1);
			return r;
		}
		*sum += (uint64_t)atomic_load_explicit(&l->acct[i].balance,
		    memory_order_relaxed);
		ledger_step(l, BANK_STEP_AUDIT_READ, i,
		    atomic_load_explicit(&l->acct[i].balance,
		    memory_order_relaxed));
	}
	for (j = l->naccounts; j-- > 0;)
		robust_unlock(l, j, -1);
	return 0;
}

static int
ordered_audit(struct ledger *l, struct sync_audit *out)
{
	uint64_t start = sync_now_ms(), sum = 0;
	uint32_t *ver, tries = 0;
	bool ok = false;
	int r = 0;

	if ((ver = malloc(l->naccounts * sizeof(*ver))) == NULL)
		return -ENOMEM;
	while (!ok) {
		tries++;
		if (tries > SYNC_AUDIT_TRIES && l->naccounts <= SYNC_AUDIT_HOLD_MAX) {
			r = hold_all(l, &sum);
			ok = r == 0;
			break;
		}
		if ((r = double_collect(l, ver, &sum, &ok)) < 0)
			break;
		if (!ok && sync_now_ms() - start >= l->lock_timeout_ms) {
			r = -LAB_EBUSY;
			break;
		}
	}
	free(ver);
	if (r < 0)
		return r;
	out->total = (int64_t)sum;
	out->is_consistent = true;
	out->attempts = tries;
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
	.lock_pair = ordered_lock_pair,
	.unlock_pair = ordered_unlock_pair,
	.audit = ordered_audit,
};
