/*
 * Exercise 3 (solution): repair a dead owner's half-done operation.
 *
 * Before its first write, every operation records in its slot's journal
 * the balances and versions it is about to change and its slot's counters
 * (state LEDGER_J_BEGUN); when every write is done it marks the journal
 * LEDGER_J_DONE.  So if the owner died with the journal BEGUN, putting the
 * before-images back undoes whatever part of the operation happened: all
 * or nothing.  Each account is restored by the process that next locks it,
 * and a restore is idempotent (the other account's repairer may restore
 * the counters too).  The journal is shared memory a dead (or hostile)
 * process wrote: check its counts, indices and images before use.
 */
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
	/* Without this, unlocking makes the mutex unusable for good. */
	pthread_mutex_consistent(&acct->mutex);
}
