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
 * was recorded (worker_result).  It records only in the graders' builds,
 * which link tests/grade_wrap.c and so set contract_on: elsewhere each
 * call site costs one predictable branch on the hot path.
 */
#ifndef LAB_CONTRACT_H
#define LAB_CONTRACT_H

#include <stdbool.h>
#include <stdint.h>

#include "ledger.h"
#include "step.h"

/* True in the graders' builds (a strong definition there; weak here). */
extern const bool contract_on;

/* Record rule broken (printf-style), if none was recorded before. */
void contract_broken(struct ledger *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Is anything armed around an operation: the contract (the graders'
 * builds), a step hook or a window?  One branch for all three (the fields
 * are ORed, not tested in turn), so that a hot path asks once and runs
 * straight when nothing is.
 */
static inline bool
contract_is_armed(const struct ledger *l)
{
	return __builtin_expect(contract_on | step_is_armed(l), 0);
}

/* A robust mutex was taken / released by this process. */
static inline void
contract_held(struct ledger *l, int delta)
{
	if (!contract_on)
		return;
	l->held += (unsigned)delta;
	if (l->held > l->held_max && delta > 0)
		l->held_max = l->held;
}

/*
 * The checks below are called through these names only when contract_on
 * (the wrappers at the end of this header).
 */
void contract_pair_locked_(struct ledger *l, uint32_t from, uint32_t to,
    int rc);
void contract_pair_unlocked_(struct ledger *l, uint32_t from, uint32_t to);
void contract_lock_call_(struct ledger *l, int idx, uint32_t a);
void contract_unlock_call_(struct ledger *l, int idx, uint32_t a);
void contract_sem_locked_(struct ledger *l, int rc);
void contract_sem_unlocked_(struct ledger *l);

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

/* After ex_lock_pair(from, to) returned rc; after ex_unlock_pair(). */
static inline void
contract_pair_locked(struct ledger *l, uint32_t from, uint32_t to, int rc)
{
	if (contract_on)
		contract_pair_locked_(l, from, to, rc);
}

static inline void
contract_pair_unlocked(struct ledger *l, uint32_t from, uint32_t to)
{
	if (contract_on)
		contract_pair_unlocked_(l, from, to);
}

/* Around sync_lock_first/second and their unlocks (idx 0 or 1). */
static inline void
contract_lock_call(struct ledger *l, int idx, uint32_t a)
{
	if (contract_on)
		contract_lock_call_(l, idx, a);
}

static inline void
contract_unlock_call(struct ledger *l, int idx, uint32_t a)
{
	if (contract_on)
		contract_unlock_call_(l, idx, a);
}

/* After ex_sem_lock() returned rc; after ex_sem_unlock(). */
static inline void
contract_sem_locked(struct ledger *l, int rc)
{
	if (contract_on)
		contract_sem_locked_(l, rc);
}

static inline void
contract_sem_unlocked(struct ledger *l)
{
	if (contract_on)
		contract_sem_unlocked_(l);
}

#endif
