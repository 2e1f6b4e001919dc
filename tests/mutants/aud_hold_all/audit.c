/*
 * Mutant (holds too many): always takes every lock in order, however
 * many accounts: a killed auditor orphans those the kernel cannot recover.
 */
#include <errno.h>
#include <stdlib.h>

#include "exercise.h"
#include "lab.h"

#define AUDIT_TRIES	8	/* collects before holding locks */

static int
double_collect(struct ledger *l, uint32_t *ver, uint64_t *sum, bool *ok)
{
	uint32_t i, v;
	int64_t b;
	int r;

	*sum = 0;
	for (i = 0; i < l->naccounts; i++) {
		if ((r = sync_read_account(l, i, &b, &ver[i])) < 0)
			return r;
		*sum += (uint64_t)b;
	}
	*ok = true;
	for (i = 0; i < l->naccounts && *ok; i++) {
		if ((r = sync_read_account(l, i, &b, &v)) < 0)
			return r;
		*ok = v == ver[i];
	}
	return 0;
}

static int
hold_all(struct ledger *l, uint64_t *sum)
{
	uint32_t i, j;
	int r;

	*sum = 0;
	for (i = 0; i < l->naccounts; i++) {
		if ((r = sync_lock_quiet(l, i)) < 0) {
			for (j = i; j-- > 0;)
				sync_unlock_quiet(l, j);
			return r;
		}
		*sum += (uint64_t)atomic_load_explicit(&l->acct[i].balance,
		    memory_order_relaxed);
	}
	for (j = l->naccounts; j-- > 0;)
		sync_unlock_quiet(l, j);
	return 0;
}

int
ex_audit(struct ledger *l, struct sync_audit *out)
{
	uint64_t start = sync_now_ms(), sum = 0;
	uint32_t *ver, tries = 0;
	bool ok = false;
	int r = 0;

	if ((ver = malloc(l->naccounts * sizeof(*ver))) == NULL)
		return -ENOMEM;
	while (!ok) {
		tries++;
		if (tries > 0) {
			r = hold_all(l, &sum);
			ok = r == 0;
			break;
		}
		if ((r = double_collect(l, ver, &sum, &ok)) < 0)
			break;
		if (!ok && sync_now_ms() - start >= l->lock_timeout_ms) {
			r = -LAB_EBUSY;
			break;
		}
	}
	free(ver);
	if (r < 0)
		return r;
	out->total = (int64_t)sum;
	out->is_consistent = true;
	out->attempts = tries;
	return 0;
}
