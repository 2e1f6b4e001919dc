/*
 * contract: what a process's exercise code did, checked against the rules
 * of lab/exercise.h, for the graders.
 *
 * Layer: beside the variants (it reads the ledger handle and the caller's
 * own slot, nothing else).  The variants and the bank call it around each
 * exercise function; it records the first rule broken in l->contract, the
 * most robust mutexes held at once (l->held_max) and which account of a
 * pair was locked first (l->order_seen).  It never refuses anything: the
 * operation goes on as the exercise made it, and the worker reports what
 * was recorded (worker_result).  Each call costs a few loads and branches.
 */
#ifndef LAB_CONTRACT_H
#define LAB_CONTRACT_H

#include <stdint.h>

#include "ledger.h"

/* Record rule broken (printf-style), if none was recorded before. */
void contract_broken(struct ledger *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A robust mutex was taken / released by this process. */
static inline void
contract_held(struct ledger *l, int delta)
{
	l->held += (unsigned)delta;
	if (l->held > l->held_max && delta > 0)
		l->held_max = l->held;
}

/* After ex_lock_pair(from, to) returned rc; after ex_unlock_pair(). */
void contract_pair_locked(struct ledger *l, uint32_t from, uint32_t to,
    int rc);
void contract_pair_unlocked(struct ledger *l, uint32_t from, uint32_t to);

/* Around sync_lock_first/second and their unlocks (idx 0 or 1). */
void contract_lock_call(struct ledger *l, int idx, uint32_t a);
void contract_unlock_call(struct ledger *l, int idx, uint32_t a);

/* After ex_sem_lock() returned rc; before and after ex_sem_unlock(). */
void contract_sem_locked(struct ledger *l, int rc);
void contract_sem_unlocked(struct ledger *l);

/*
 * The ledger whose ex_sem_unlock() runs now in this process, or NULL; and
 * the check a grading build's sem_post() makes (-Wl,--wrap=sem_post:
 * tests/grade_wrap.c): posting while still published as the holder lets
 * the next holder's publication be erased.
 */
extern struct ledger *contract_sem_unlocking;
void contract_sem_post(sem_t *sem);

/*
 * Do the orders recorded in order_seen (any processes' ORed together)
 * disagree about a pair?  Fills *a, *b with one such pair.
 */
bool contract_order_conflict(uint64_t order_seen, unsigned *a, unsigned *b);

#endif
