/* Mutant (unlock of the wrong lock): releases the lower account twice. */
#include "exercise.h"

int
ex_lock_pair(struct ledger *l, uint32_t from, uint32_t to)
{
	uint32_t lo = from < to ? from : to, hi = from < to ? to : from;
	int r;

	if ((r = sync_lock_first(l, lo)) < 0)
		return r;
	if ((r = sync_lock_second(l, hi)) < 0) {
		sync_unlock_first(l, lo);
		return r;
	}
	return 0;
}

void
ex_unlock_pair(struct ledger *l, uint32_t from, uint32_t to)
{
	uint32_t lo = from < to ? from : to;

	sync_unlock_second(l, lo);
	sync_unlock_first(l, lo);
}
