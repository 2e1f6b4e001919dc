/*
 * Mutant (repair applied twice): undoes the debit by crediting the amount
 * back to the source, each time one of the transfer's accounts is repaired.
 */
#include "exercise.h"

void
ex_owner_died(struct ledger *l, uint32_t a)
{
	struct ledger_journal *j;
	uint32_t src;
	int64_t found;
	int i;

	if ((i = repair_dead_owner(l, a)) >= 0) {
		j = &l->slots[i].journal;
		found = atomic_load(&l->acct[a].balance);
		if (atomic_load(&j->state) == LEDGER_J_BEGUN && j->n >= 1 &&
		    j->n <= 2 && ledger_index_ok(l, j->acct[0])) {
			src = j->acct[0];
			atomic_fetch_add(&l->acct[src].balance, j->amount);
			l->slots[i].counters = j->cbefore;
		}
		repair_done(l, i, a, found, atomic_load(&l->acct[a].balance));
	}
	pthread_mutex_consistent(&l->acct[a].mutex);
}
