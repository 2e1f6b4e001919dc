/* Mutant (no deadline): sem_wait forever; a dead holder is never seen. */
#include "exercise.h"

int
ex_sem_lock(struct ledger *l)
{
	while (sem_wait(&l->hdr->sem) != 0)
		;
	atomic_store(&l->hdr->sem_holder, l->slot);
	return 0;
}

void
ex_sem_unlock(struct ledger *l)
{
	atomic_store(&l->hdr->sem_holder, -1);
	sem_post(&l->hdr->sem);
}
