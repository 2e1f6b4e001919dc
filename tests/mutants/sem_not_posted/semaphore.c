/*
 * Mutant (not posted on a path): publishes the holder only when it had to
 * wait, and unlock posts only if the published holder is us; after the
 * fast path (no wait) the semaphore is never posted again.
 */
#include <errno.h>

#include "exercise.h"
#include "lab.h"

int
ex_sem_lock(struct ledger *l)
{
	struct ledger_header *h = l->hdr;
	struct timespec ts;
	uint64_t start;
	unsigned slice;
	int holder;

	if (sem_trywait(&h->sem) == 0)
		return 0;
	start = sync_now_ms();
	for (;;) {
		if ((slice = sync_slice(l, start)) == 0)
			return sync_wait_failed(l, atomic_load(&h->sem_holder));
		sync_deadline(&ts, slice);
		if (sem_timedwait(&h->sem, &ts) == 0)
			break;
		holder = atomic_load(&h->sem_holder);
		if (holder >= 0 && (uint32_t)holder < l->nslots &&
		    !ledger_slot_alive(l, holder))
			return -LAB_EHOLDERDEAD;
	}
	atomic_store(&h->sem_holder, l->slot);
	return 0;
}

void
ex_sem_unlock(struct ledger *l)
{
	if (atomic_load(&l->hdr->sem_holder) != l->slot)
		return;
	atomic_store(&l->hdr->sem_holder, -1);
	sem_post(&l->hdr->sem);
}
