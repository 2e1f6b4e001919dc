/*
 * Exercise 1 (solution): the `semaphore` variant's lock.
 *
 * One process-shared semaphore guards the whole ledger.  The kernel knows
 * no owner of a semaphore, so if its holder dies it is never posted again:
 * we publish the holder's slot, wait in slices, and after each slice look
 * whether that holder is still alive (its OFD lock), so that a dead holder
 * is reported instead of waited for forever.
 */
#include <errno.h>

#include "exercise.h"
#include "lab.h"

int
ex_sem_lock(struct ledger *l)
{
	struct ledger_header *h = l->hdr;
	struct ledger_slot *s = &l->slots[l->slot];
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

void
ex_sem_unlock(struct ledger *l)
{
	atomic_store(&l->hdr->sem_holder, -1);
	sem_post(&l->hdr->sem);
}
