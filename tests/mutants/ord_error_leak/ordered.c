/* Mutant (error path): keeps the first lock when the second fails. */
#include "exercise.h"

int
ex_lock_pair(struct ledger *l, uint32_t from, uint32_t to)
{
	uint32_t lo = from < to ? from : to, hi = from < to ? to : from;
	int r;

	if ((r = sync_lock_first(l, lo)) < 0)
		return r;
	return sync_lock_second(l, hi);
}

void
ex_unlock_pair(struct ledger *l, uint32_t from, uint32_t to)
{
	uint32_t lo = from < to ? from : to, hi = from < to ? to : from;

	sync_unlock_second(l, hi);
	sync_unlock_first(l, lo);
}
