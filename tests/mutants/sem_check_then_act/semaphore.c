/*
 * Mutant (check-then-act): looks at the semaphore's value, then takes it
 * without waiting; two processes can both see 1 and both go in.
 */
#include <errno.h>
#include <time.h>

#include "exercise.h"
#include "lab.h"

int
ex_sem_lock(struct ledger *l)
{
	struct timespec ms = { 0, 100000 };
	uint64_t start = sync_now_ms();
	int v = 0;

	for (;;) {
		sem_getvalue(&l->hdr->sem, &v);
		if (v > 0)
			break;
		if (sync_now_ms() - start > l->lock_timeout_ms)
			return -LAB_ETIMEDOUT;
		nanosleep(&ms, NULL);
	}
	(void)sem_trywait(&l->hdr->sem);	/* the act, after the check */
	atomic_store(&l->hdr->sem_holder, l->slot);
	return 0;
}

void
ex_sem_unlock(struct ledger *l)
{
	atomic_store(&l->hdr->sem_holder, -1);
	sem_post(&l->hdr->sem);
}
