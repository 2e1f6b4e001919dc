/*
 * sync_impl: what the variants share inside the library.  Not for programs.
 */
#ifndef LAB_SYNC_IMPL_H
#define LAB_SYNC_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "exercise.h"
#include "ledger.h"
#include "sync.h"
#include "trace.h"

/* How long one timed wait lasts before we look at the holder again. */
#define SYNC_SLICE_MS		100

extern const struct sync_ops sync_none_ops;
extern const struct sync_ops sync_semaphore_ops;
extern const struct sync_ops sync_robust_ops;
extern const struct sync_ops sync_ordered_ops;


bool sync_pid_stopped(int32_t pid);

/*
 * Sum every balance, reading each without a lock, with an audit's step
 * point and window after each read (the none and semaphore audits: the
 * semaphore's holds its lock around it).
 */
uint64_t sync_sum_plain(struct ledger *l);

/* Our slot (the caller has joined). */
static inline struct ledger_slot *
sync_self(struct ledger *l)
{
	return &l->slots[l->slot];
}

/*
 * A lock's trace (trace.h): a wait slice from asking for lock a (an
 * account, or TRACE_SEM) to getting it (rc), then a hold slice until it
 * is let go; `none` marks where its lock would be held, over a and b (-1
 * for one account).  One branch each while tracing is off: for the robust
 * mutexes, taken in the armed paths (and by deposits and audits); none
 * and semaphore are traced by their traced tables (sync_trace.c), so that
 * their untraced tables have no branch at all.
 */
void sync_trace_taken_(struct ledger *l, int64_t a, int rc);

/* The traced table of variant k (k valid): sync_use() picks it. */
const struct sync_ops *sync_traced(enum sync_kind k);

static inline void
sync_trace_wait(struct ledger *l, int64_t a)
{
	if (__builtin_expect(l->trace != NULL, 0))
		trace_begin(l->trace, TRACE_S_WAIT, a, -1, 0);
}

static inline void
sync_trace_taken(struct ledger *l, int64_t a, int rc)
{
	if (__builtin_expect(l->trace != NULL, 0))
		sync_trace_taken_(l, a, rc);
}

static inline void
sync_trace_released(struct ledger *l)
{
	if (__builtin_expect(l->trace != NULL, 0))
		trace_end(l->trace, 0);
}

#endif
