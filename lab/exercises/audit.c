/*
 * Exercise 4: an audit that sees a total that existed.
 *
 * The task.  ex_audit() is the `ordered` variant's audit: it sums every
 * balance while transfers run, and the sum must be the total at one
 * instant (set out->total, out->is_consistent = true, out->attempts).
 * Read an account under its own lock with sync_read_account(l, a,
 * &balance, &version): every write bumps the account's version.  Do not
 * hold more than SYNC_AUDIT_HOLD_MAX robust mutexes at once
 * (sync_lock_quiet() / sync_unlock_quiet()): the kernel recovers at most
 * 2048 of a dying process's, and a ledger may have 10^6 accounts.  Give up
 * with -LAB_EBUSY once l->lock_timeout_ms has passed (sync_now_ms()).
 * As given, it reads each account once, like the `robust` variant: a
 * transfer between two reads makes a total that never existed (try
 * banklab-stale --sync ordered).  Grade: make grade.
 */
#include "exercise.h"

int
ex_audit(struct ledger *l, struct sync_audit *out)
{
	uint64_t sum = 0;
	uint32_t i, v;
	int64_t b;
	int r;

	/* TODO: one pass is not a snapshot. */
	for (i = 0; i < l->naccounts; i++) {
		if ((r = sync_read_account(l, i, &b, &v)) < 0)
			return r;
		sum += (uint64_t)b;
	}
	out->total = (int64_t)sum;
	out->is_consistent = true;
	out->attempts = 1;
	return 0;
}
