/*
 * sync_trace: the variants' tables as a traced process uses them.  Each
 * function is the variant's own (sync_get()), with the trace of the lock
 * around it where the variant cannot mark it itself: `none` has no lock,
 * so where one would be held is marked (TRACE_S_BARE); `semaphore` has
 * one for everything, waited for and held as TRACE_SEM.  The robust
 * mutexes mark their own (sync_robust.c), per account.  So an untraced
 * table carries no trace branch at all.
 */
#include "sync_impl.h"

/* The variant's own table (sync_use() stored its kind). */
static const struct sync_ops *
inner(const struct ledger *l)
{
	return sync_get(l->sync_kind);
}

/* A lock about to be asked for: none marks a..b, semaphore waits. */
static void
traced_asking(struct ledger *l, int64_t a, int64_t b)
{
	if (l->sync_kind == SYNC_NONE)
		trace_begin(l->trace, TRACE_S_BARE, a, b, 0);
	else if (l->sync_kind == SYNC_SEMAPHORE)
		trace_begin(l->trace, TRACE_S_WAIT, TRACE_SEM, -1, 0);
}

/* ... and its answer r: none's mark stays open, a wait ends. */
static int
traced_answer(struct ledger *l, int r)
{
	if (l->sync_kind == SYNC_SEMAPHORE)
		sync_trace_taken_(l, TRACE_SEM, r);
	else if (l->sync_kind == SYNC_NONE && r < 0)
		trace_end(l->trace, r);
	return r;
}

/* Before the release: the next holder's hold begins after ours ends. */
static void
traced_release(struct ledger *l)
{
	if (l->sync_kind <= SYNC_SEMAPHORE)
		trace_end(l->trace, 0);
}

static int
traced_lock_one(struct ledger *l, uint32_t a)
{
	traced_asking(l, a, -1);
	return traced_answer(l, inner(l)->lock_one(l, a));
}

static void
traced_unlock_one(struct ledger *l, uint32_t a)
{
	traced_release(l);
	inner(l)->unlock_one(l, a);
}

static int
traced_lock_pair(struct ledger *l, uint32_t from, uint32_t to)
{
	traced_asking(l, from, to);
	return traced_answer(l, inner(l)->lock_pair(l, from, to));
}

static void
traced_unlock_pair(struct ledger *l, uint32_t from, uint32_t to)
{
	traced_release(l);
	inner(l)->unlock_pair(l, from, to);
}

static int
traced_audit(struct ledger *l, struct sync_audit *out)
{
	return inner(l)->audit(l, out);
}

#define TRACED(n, k) { .name = n, .kind = k, \
	.lock_one = traced_lock_one, .unlock_one = traced_unlock_one, \
	.lock_pair = traced_lock_pair, .unlock_pair = traced_unlock_pair, \
	.audit = traced_audit }

static const struct sync_ops sync_traced_ops[SYNC_COUNT] = {
	[SYNC_NONE] = TRACED("none", SYNC_NONE),
	[SYNC_SEMAPHORE] = TRACED("semaphore", SYNC_SEMAPHORE),
	[SYNC_ROBUST] = TRACED("robust", SYNC_ROBUST),
	[SYNC_ORDERED] = TRACED("ordered", SYNC_ORDERED),
};

const struct sync_ops *
sync_traced(enum sync_kind k)
{
	return &sync_traced_ops[k];
}
