/*
 * db_ops: the bank's operations and audits in SQL, one transaction each,
 * under a variant chosen per call (enum db_sync).  Layer db.
 *
 * What each variant sends (S: the ledger's schema; writes in id order):
 *   none          BEGIN; SELECT balance, version ... per account; UPDATE
 *                 with the values computed here; COMMIT (READ COMMITTED:
 *                 a concurrent writer's update is overwritten: lost)
 *   semaphore     BEGIN; LOCK TABLE S.accounts IN EXCLUSIVE MODE; as none
 *   robust        BEGIN; SELECT ... FOR UPDATE in argument order; ...
 *                 (two opposite transfers deadlock: the server finds the
 *                 cycle and aborts one with 40P01)
 *   ordered       BEGIN; SELECT ... FOR UPDATE in id order; ...
 *   serializable  BEGIN ISOLATION LEVEL SERIALIZABLE; as none (the server
 *                 aborts one of two conflicting transactions with 40001)
 * The books row of this process gets what the operation did, in the same
 * transaction.  Audits: plain = one SELECT per account, each its own
 * snapshot; consistent = one statement, one snapshot.
 *
 * Contract: d is attached (db_attach()).  An operation returns 0, or
 * -LAB_EFUNDS (refused), -LAB_EDEADLK (40P01), -LAB_ESERIALIZE (40001),
 * all rolled back; -LAB_EDB / -LAB_EDBGONE.  Retrying is the caller's
 * choice.  A deadlock's message (both pids in it) is kept in st.
 */
#ifndef LAB_DB_OPS_H
#define LAB_DB_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include "db.h"

/* What a caller may ask an operation to do inside its transaction. */
struct db_hooks {
	unsigned window_us;	/* pause after the first read or lock */
	bool die_mid;		/* SIGKILL ourselves after the first write */
};

/* The last deadlock the server reported to us. */
struct db_deadlock {
	int32_t pid, other;	/* the two server processes on the cycle */
	char msg[DB_ERR_MAX];	/* the server's words, one line */
};

int db_transfer(struct db *d, enum db_sync v, uint32_t from, uint32_t to,
    int64_t cents, const struct db_hooks *h, struct db_deadlock *dl);
int db_deposit(struct db *d, enum db_sync v, uint32_t a, int64_t cents,
    const struct db_hooks *h, struct db_deadlock *dl);
int db_withdraw(struct db *d, enum db_sync v, uint32_t a, int64_t cents,
    const struct db_hooks *h, struct db_deadlock *dl);

/*
 * Sum the balances (*total) and say what the books say the total must be
 * (*expected), plainly or in one snapshot.
 */
int db_audit(struct db *d, enum db_audit a, int64_t *total,
    int64_t *expected);

#endif
