/* Mutant (order inverted for some pairs): argument order when from+to is odd. */
#include "exercise.h"

int
ex_lock_pair(struct ledger *l, uint32_t from, uint32_t to)
{
	bool flip = (from + to) % 2 == 1;
	uint32_t a = flip ? from : (from < to ? from : to);
	uint32_t b = a == from ? to : from;
	int r;

	if ((r = sync_lock_first(l, a)) < 0)
		return r;
	if ((r = sync_lock_second(l, b)) < 0) {
		sync_unlock_first(l, a);
		return r;
	}
	return 0;
}

void
ex_unlock_pair(struct ledger *l, uint32_t from, uint32_t to)
{
	bool flip = (from + to) % 2 == 1;
	uint32_t a = flip ? from : (from < to ? from : to);
	uint32_t b = a == from ? to : from;

	sync_unlock_second(l, b);
	sync_unlock_first(l, a);
}
