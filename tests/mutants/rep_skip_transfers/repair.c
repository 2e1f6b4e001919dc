/* Mutant (repair skipped): rolls back single-account operations only. */
#include "exercise.h"

void
ex_owner_died(struct ledger *l, uint32_t a)
{
	struct ledger_account *acct = &l->acct[a];
	struct ledger_journal *j;
	int64_t found;
	int i;

	if ((i = repair_dead_owner(l, a)) >= 0) {
		j = &l->slots[i].journal;
		found = atomic_load(&acct->balance);
		if (atomic_load(&j->state) == LEDGER_J_BEGUN && j->n == 1 &&
		    j->acct[0] == a) {
			atomic_store(&acct->balance, j->before[0]);
			atomic_store(&acct->version, (uint32_t)j->vbefore[0]);
			l->slots[i].counters = j->cbefore;
		}
		repair_done(l, i, a, found, atomic_load(&acct->balance));
	}
	pthread_mutex_consistent(&acct->mutex);
}
