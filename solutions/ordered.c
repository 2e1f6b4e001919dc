/*
 * Exercise 2 (solution): lock a transfer's two accounts in account order.
 *
 * A deadlock needs a cycle of processes, each holding a lock the next one
 * waits for.  If every process takes the lower-numbered account first, a
 * process only ever waits for a higher account than any it holds, so the
 * waits climb and can never come back round: no cycle, no deadlock.
 */
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
	uint32_t lo = from < to ? from : to, hi = from < to ? to : from;

	sync_unlock_second(l, hi);
	sync_unlock_first(l, lo);
}
