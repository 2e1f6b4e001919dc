/* Mutant (pthread_mutex_consistent missing): the solution without it. */
#include "exercise.h"

void
ex_owner_died(struct ledger *l, uint32_t a)
{
	struct ledger_account *acct = &l->acct[a];
	struct ledger_journal *j;
	struct ledger_slot *dead;
	int64_t found, restored;
	uint32_t k, n;
	int i;

	if ((i = repair_dead_owner(l, a)) >= 0) {
		dead = &l->slots[i];
		j = &dead->journal;
		found = atomic_load_explicit(&acct->balance,
		    memory_order_relaxed);
		restored = found;
		n = j->n;
		if (atomic_load_explicit(&j->state, memory_order_acquire) ==
		    LEDGER_J_BEGUN && n >= 1 && n <= 2) {
			for (k = 0; k < n; k++) {
				if (j->acct[k] != a || j->before[k] < 0 ||
				    j->before[k] > LEDGER_BALANCE_MAX)
					continue;
				restored = j->before[k];
				atomic_store_explicit(&acct->balance, restored,
				    memory_order_relaxed);
				atomic_store_explicit(&acct->version,
				    (uint32_t)j->vbefore[k],
				    memory_order_relaxed);
			}
			dead->counters = j->cbefore;
		}
		repair_done(l, i, a, found, restored);
	}
}
