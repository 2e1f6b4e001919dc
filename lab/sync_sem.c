/*
 * sync_sem: one process-shared semaphore for the whole ledger.
 *
 * Correct and simple, but it serializes every operation, and a semaphore
 * has no owner the kernel knows of: if its holder dies it is never posted
 * again.  We publish the holder's slot in the header so a waiter whose
 * timed wait runs out can see that the holder is dead and say so.
 */
#include <errno.h>

#include "lab.h"
#include "bank.h"
#include "sync_impl.h"

static int
sem_lock(struct ledger *l)
{
	struct ledger_header *h = l->hdr;
	struct ledger_slot *s = sync_self(l);
	struct timespec ts;
	uint64_t start;
	unsigned slice;
	int holder;

	/* Fast path: no clock reading when nobody holds it. */
	if (sem_trywait(&h->sem) == 0)
		goto taken;
	start = sync_now_ms();
	atomic_store(&s->waits, LEDGER_WAIT_SEM);
	for (;;) {
		if ((slice = sync_slice(l, start)) == 0) {
			atomic_store(&s->waits, LEDGER_NONE);
			return sync_wait_failed(l, atomic_load(&h->sem_holder));
		}
		sync_deadline(&ts, slice);
		if (sem_timedwait(&h->sem, &ts) == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != ETIMEDOUT) {
			atomic_store(&s->waits, LEDGER_NONE);
			return -errno;
		}
		holder = atomic_load(&h->sem_holder);
		if (holder >= 0 && (uint32_t)holder < l->nslots &&
		    !ledger_slot_alive(l, holder)) {
			l->blocker_pid = atomic_load(&l->slots[holder].pid);
			atomic_store(&s->waits, LEDGER_NONE);
			return -LAB_EHOLDERDEAD;
		}
	}
	atomic_store(&s->waits, LEDGER_NONE);
taken:
	atomic_store(&h->sem_holder, l->slot);
	return 0;
}

static void
sem_unlock(struct ledger *l)
{
	atomic_store(&l->hdr->sem_holder, -1);
	sem_post(&l->hdr->sem);
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

/* Nobody writes while we hold the semaphore: the sum is a snapshot. */
static int
sem_audit(struct ledger *l, struct sync_audit *out)
{
	uint64_t sum = 0;
	uint32_t i;
	int r;

	if ((r = sem_lock(l)) < 0)
		return r;
	for (i = 0; i < l->naccounts; i++) {
		int64_t b = atomic_load_explicit(&l->acct[i].balance,
		    memory_order_relaxed);

		sum += (uint64_t)b;
		ledger_step(l, BANK_STEP_AUDIT_READ, i, b);
		ledger_window(l);
	}
	sem_unlock(l);
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
