/*
 * exercise: the functions students write, and what they may call.
 *
 * Contract: lab/exercises/ (the student's copy) and solutions/ (the
 * reference) define exactly the functions below, in files of the same
 * names; the build links one set into the library (./configure
 * --with-exercises=student|solution), and `make grade EXERCISES=DIR` links
 * any other set into a grader without touching the tree.  Each function
 * runs in the process that called the bank operation, which has joined the
 * ledger (l->slot >= 0).  Return 0 or a negative code (-LAB_E*, -errno).
 */
#ifndef LAB_EXERCISE_H
#define LAB_EXERCISE_H

#include <stdbool.h>
#include <stdint.h>

#include "ledger.h"
#include "sync.h"

/*
 * 1. semaphore.c: the `semaphore` variant's lock.  Take l->hdr->sem; wait
 * in slices (sync_slice(), sync_deadline(), sem_timedwait()); after each
 * slice, if the holder published in l->hdr->sem_holder is dead
 * (!ledger_slot_alive()), set l->blocker_pid and return -LAB_EHOLDERDEAD;
 * when l->lock_timeout_ms has passed return sync_wait_failed().  Publish
 * yourself as the holder once you have it.  Unlock: unpublish, post.
 */
int ex_sem_lock(struct ledger *l);
void ex_sem_unlock(struct ledger *l);

/*
 * 2. ordered.c: lock both accounts of a transfer so that no two transfers
 * can wait for each other in a cycle, with sync_lock_first() and
 * sync_lock_second(); if the second fails, release the first.  Unlock what
 * you locked.
 */
int ex_lock_pair(struct ledger *l, uint32_t from, uint32_t to);
void ex_unlock_pair(struct ledger *l, uint32_t from, uint32_t to);

/*
 * 3. repair.c: account a's robust mutex came to us with EOWNERDEAD: its
 * owner died holding it.  Find the dead owner's slot (repair_dead_owner()),
 * and if its journal is LEDGER_J_BEGUN, roll its operation back for
 * account a: restore a's balance and version and the slot's counters from
 * the before-images.  Say what you did (repair_done()), then make the
 * mutex usable again (pthread_mutex_consistent()).
 */
void ex_owner_died(struct ledger *l, uint32_t a);

/*
 * 4. audit.c: the `ordered` variant's audit: the sum of every balance as
 * it was at one instant (out->is_consistent), while transfers run, without
 * holding more robust mutexes at once than the kernel can recover if we
 * die (2048; SYNC_AUDIT_HOLD_MAX is the limit we keep).  Read an account
 * under its lock with sync_read_account().
 */
int ex_audit(struct ledger *l, struct sync_audit *out);

/* The most robust mutexes an audit may hold at once (the kernel: 2048). */
#define SYNC_AUDIT_HOLD_MAX	1024

/* ---- what the exercises may call (in the library) ---- */

/* Lock a transfer's first account (holds[0]), then its second (holds[1]). */
int sync_lock_first(struct ledger *l, uint32_t a);
int sync_lock_second(struct ledger *l, uint32_t a);
void sync_unlock_first(struct ledger *l, uint32_t a);
void sync_unlock_second(struct ledger *l, uint32_t a);

/* Lock and unlock account a without publishing it (audits write nothing). */
int sync_lock_quiet(struct ledger *l, uint32_t a);
void sync_unlock_quiet(struct ledger *l, uint32_t a);

/* Read a's balance and version under a's lock (an audit's step point). */
int sync_read_account(struct ledger *l, uint32_t a, int64_t *balance,
    uint32_t *version);

/* The next timed wait's length in ms, 0 once l->lock_timeout_ms is spent. */
unsigned sync_slice(const struct ledger *l, uint64_t start);
uint64_t sync_now_ms(void);
/* Why a wait that ran out failed: -LAB_EDEADLK, -LAB_ESTOPPED, ... */
int sync_wait_failed(struct ledger *l, int holder);

/* The slot of the dead process that held account a, or -1 if none. */
int repair_dead_owner(struct ledger *l, uint32_t a);
/*
 * After repairing account a for dead slot i (found: a's balance as the
 * dead process left it; restored: after the repair): count it, keep it as
 * the lesson's example, unlist a from the dead slot, free the slot when
 * nothing of it is left.
 */
void repair_done(struct ledger *l, int i, uint32_t a, int64_t found,
    int64_t restored);

#endif
