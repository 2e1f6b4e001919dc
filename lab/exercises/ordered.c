/*
 * Exercise 2: lock a transfer's two accounts so that it cannot deadlock.
 *
 * The task.  ex_lock_pair() locks both accounts of a transfer from -> to
 * with sync_lock_first() (the lock it takes first) and sync_lock_second();
 * if the second fails, it releases the first and returns the error.
 * ex_unlock_pair() releases what ex_lock_pair() took (second, then first,
 * each with its own unlock function).
 * As given, it locks in argument order, from then to, like the `robust`
 * variant: two opposite transfers each take one lock and wait forever for
 * the other's (try banklab-deadlock --sync ordered).  Choose an order that
 * no two transfers can disagree on.  Grade: make grade.
 */
#include "exercise.h"

int
ex_lock_pair(struct ledger *l, uint32_t from, uint32_t to)
{
	int r;

	/* TODO: this order can deadlock. */
	if ((r = sync_lock_first(l, from)) < 0)
		return r;
	/* TODO: and if this fails, who releases the first lock? */
	return sync_lock_second(l, to);
}

void
ex_unlock_pair(struct ledger *l, uint32_t from, uint32_t to)
{
	/* TODO: release what ex_lock_pair() took. */
	sync_unlock_second(l, to);
	sync_unlock_first(l, from);
}
