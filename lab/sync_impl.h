/*
 * sync_impl: what the variants share inside the library.  Not for programs.
 */
#ifndef LAB_SYNC_IMPL_H
#define LAB_SYNC_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "ledger.h"
#include "sync.h"

/* How long one timed wait lasts before we look at the holder again. */
#define SYNC_SLICE_MS		100
/* An ordered audit may hold every lock of a ledger this small. */
#define SYNC_AUDIT_HOLD_MAX	1024
/* Optimistic collects an ordered audit tries before it holds locks. */
#define SYNC_AUDIT_TRIES	8

extern const struct sync_ops sync_none_ops;
extern const struct sync_ops sync_semaphore_ops;
extern const struct sync_ops sync_robust_ops;
extern const struct sync_ops sync_ordered_ops;

uint64_t sync_now_ms(void);

/* The next timed wait's length: SYNC_SLICE_MS or what is left, 0 if none. */
unsigned sync_slice(const struct ledger *l, uint64_t start);
bool sync_pid_stopped(int32_t pid);
int sync_wait_failed(struct ledger *l, int holder);

/* Our slot (the caller has joined). */
static inline struct ledger_slot *
sync_self(struct ledger *l)
{
	return &l->slots[l->slot];
}

/* Roll back what the dead holder of account a left half-done (repair.c). */
void repair_account(struct ledger *l, uint32_t a);

#endif
