/* Mutant (a lock dropped): locks only the lower account. */
#include "exercise.h"

int
ex_lock_pair(struct ledger *l, uint32_t from, uint32_t to)
{
	return sync_lock_first(l, from < to ? from : to);
}

void
ex_unlock_pair(struct ledger *l, uint32_t from, uint32_t to)
{
	sync_unlock_first(l, from < to ? from : to);
}
