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


#endif
