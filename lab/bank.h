/*
 * bank: the operations on a ledger's accounts.
 *
 * Contract: every operation checks its arguments (-LAB_EACCOUNT,
 * -LAB_EAMOUNT, -LAB_ESAME), locks through l->sync, and is all-or-nothing
 * under every correct variant: a refusal (-LAB_EFUNDS) changes nothing.
 * Before its first write an operation records before-images in the slot's
 * journal so that, if the process dies holding its locks, the next locker
 * can roll it back (repair.c).  Counters in the slot say what was done.
 * The caller must own a slot (ledger_join()).
 */
#ifndef LAB_BANK_H
#define LAB_BANK_H

#include <stdint.h>

#include "ledger.h"
#include "sync.h"

int bank_deposit(struct ledger *l, uint32_t a, int64_t cents);
int bank_withdraw(struct ledger *l, uint32_t a, int64_t cents);
int bank_transfer(struct ledger *l, uint32_t from, uint32_t to, int64_t cents);
int bank_balance(struct ledger *l, uint32_t a, int64_t *cents);
int bank_audit(struct ledger *l, struct sync_audit *out);

/*
 * Lock every account once, in order, as the next locker would, with the
 * variant v: under robust and ordered this repairs what dead processes left
 * half-done; under semaphore it tells whether its holder died
 * (-LAB_EHOLDERDEAD, l->blocker_pid).  Joins if the caller has not.
 */
int bank_recover(struct ledger *l, enum sync_kind v);

/*
 * Into this process's trace (if l->trace): the balances' sum against the
 * books, and the balance writes lost so far (bank_lost_writes()): counter
 * tracks.  Exact only while no operation is half-way (before and after a
 * run, at every step of a schedule), so callers sample only then.
 */
void bank_trace_books(struct ledger *l);

/* Sum of balances read without locks (for a quiescent ledger). */
int64_t bank_total_unlocked(const struct ledger *l);

/*
 * Balance writes lost: the writes processes made minus the version bumps the
 * accounts show.  Exact on a quiescent ledger; > 0 means lost updates.
 */
int64_t bank_lost_writes(const struct ledger *l);

/* The invariants of a quiescent ledger. */
struct bank_check {
	int64_t expected;	/* initial + deposited - withdrawn */
	int64_t observed;	/* sum of balances */
	int64_t lost_cents;	/* expected - observed */
	int64_t lost_writes;	/* bank_lost_writes() */
	uint32_t negative;	/* accounts below zero */
	bool is_ok;
};
void bank_check(const struct ledger *l, struct bank_check *c);

#endif
