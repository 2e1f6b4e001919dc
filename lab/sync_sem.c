/*
 * sync_sem: one process-shared semaphore for the whole ledger.
 *
 * Correct and simple, but it serializes every operation, and a semaphore
 * has no owner the kernel knows of: if its holder dies it is never posted
 * again.  Its lock is exercise 1 (ex_sem_lock(), semaphore.c): it
 * publishes the holder's slot in the header so that a waiter whose timed
 * wait runs out can see that the holder is dead and say so.
 */
#include "contract.h"
#include "lab.h"
#include "sync_impl.h"

/* Exercise 1, with its contract checked (contract.c). */
static int
sem_lock(struct ledger *l)
{
	int r = ex_sem_lock(l);

	contract_sem_locked(l, r);
	return r;
}

static void
sem_unlock(struct ledger *l)
{
	if (!contract_on) {
		ex_sem_unlock(l);
		return;
	}
	contract_sem_unlocking = l;
	ex_sem_unlock(l);
	contract_sem_unlocking = NULL;
	contract_sem_unlocked(l);
}

static int
sem_lock_one(struct ledger *l, uint32_t a)
{
	(void)a;
	return sem_lock(l);
}

static void
sem_unlock_one(struct ledger *l, uint32_t a)
{
	(void)a;
	sem_unlock(l);
}

static int
sem_lock_pair(struct ledger *l, uint32_t from, uint32_t to)
{
	(void)from;
	(void)to;
	return sem_lock(l);
}

static void
sem_unlock_pair(struct ledger *l, uint32_t from, uint32_t to)
{
	(void)from;
	(void)to;
	sem_unlock(l);
}

/*
 * Nobody writes while we hold the semaphore: the sum is a snapshot.  It
 * locks through the table, so that a traced table sees this lock too.
 */
static int
sem_audit(struct ledger *l, struct sync_audit *out)
{
	uint64_t sum;
	int r;

	if ((r = l->sync->lock_one(l, 0)) < 0)
		return r;
	sum = sync_sum_plain(l);
	l->sync->unlock_one(l, 0);
	out->total = (int64_t)sum;
	out->is_consistent = true;
	out->attempts = 1;
	return 0;
}

const struct sync_ops sync_semaphore_ops = {
	.name = "semaphore",
	.kind = SYNC_SEMAPHORE,
	.lock_one = sem_lock_one,
	.unlock_one = sem_unlock_one,
	.lock_pair = sem_lock_pair,
	.unlock_pair = sem_unlock_pair,
	.audit = sem_audit,
};
