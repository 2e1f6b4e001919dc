/*
 * sync_none: no locking at all.  This is the bug the lab is about: bank.c's
 * read-modify-write of a balance races with every other process's.
 */
#include "sync_impl.h"

static int
none_lock_one(struct ledger *l, uint32_t a)
{
	(void)l;
	(void)a;
	return 0;
}

static void
none_unlock_one(struct ledger *l, uint32_t a)
{
	(void)l;
	(void)a;
}

static int
none_lock_pair(struct ledger *l, uint32_t from, uint32_t to)
{
	(void)l;
	(void)from;
	(void)to;
	return 0;
}

static void
none_unlock_pair(struct ledger *l, uint32_t from, uint32_t to)
{
	(void)l;
	(void)from;
	(void)to;
}

/* Sum without locks: writers may be half-way through a transfer. */
static int
none_audit(struct ledger *l, struct sync_audit *out)
{
	out->total = (int64_t)sync_sum_plain(l);
	out->is_consistent = false;
	out->attempts = 1;
	return 0;
}

const struct sync_ops sync_none_ops = {
	.name = "none",
	.kind = SYNC_NONE,
	.lock_one = none_lock_one,
	.unlock_one = none_unlock_one,
	.lock_pair = none_lock_pair,
	.unlock_pair = none_unlock_pair,
	.audit = none_audit,
};
