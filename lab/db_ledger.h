/*
 * db_ledger: a ledger as tables in a schema named after it: create it
 * (in one transaction: all or nothing), attach to it (validated: a schema
 * banklab did not make is refused), check it, destroy it.  Layer db.
 *
 * The schema "NAME" (NAME as ledger_name_check() allows, quoted with
 * PQescapeIdentifier) holds:
 *   banklab(format, accounts, initial, sync, created)  the marker, one row
 *   accounts(id, balance, version)   version: +1 on every write of balance
 *   books(worker, deposited, withdrawn, writes)   one row per worker
 *       process, written in the transaction whose balances it accounts for
 * Contract: d is connected (db_connect()).  After db_create() or
 * db_attach() d knows the ledger (d->schema, d->naccounts, d->sql).
 */
#ifndef LAB_DB_LEDGER_H
#define LAB_DB_LEDGER_H

#include <stdbool.h>
#include <stdint.h>

#include "db.h"

/* Create ledger name with accounts of balance cents each, then attach. */
int db_create(struct db *d, const char *name, uint32_t accounts,
    int64_t balance, enum db_sync sync);

/*
 * Attach: -LAB_ENAME, -LAB_EDBNOLEDGER (no such schema), -LAB_EDBFOREIGN
 * (not banklab's three tables with banklab's columns and types),
 * -LAB_EVERSION (another format), -LAB_ECORRUPT (the marker has not one
 * row, the accounts are not 0..n-1 as it says, a balance or its opening
 * total is outside 0..LEDGER_BALANCE_MAX, its variant is none of ours).
 * The library's own refusals have their reason in d->err too.
 */
int db_attach(struct db *d, const char *name);

/*
 * Drop banklab's tables and the schema, in one transaction, never
 * CASCADE: its tables and marker are checked as db_attach() does (the
 * numbers may be forged: it is still banklab's to drop); if anything else
 * is in the schema or depends on it, -LAB_EDBOTHER (d->err names it) and
 * nothing is dropped.
 */
int db_destroy(struct db *d, const char *name);

/* The invariants of a quiescent ledger, read in one snapshot. */
struct db_check {
	int64_t initial;	/* total at creation */
	int64_t expected;	/* initial + deposited - withdrawn */
	int64_t observed;	/* sum of balances */
	int64_t lost_cents;	/* expected - observed */
	int64_t lost_writes;	/* balance writes made - versions counted */
	int64_t writes;
	int64_t negative;	/* accounts below zero */
	bool is_ok;
};

int db_check(struct db *d, struct db_check *c);

/* Balances and versions of accounts 0..n-1 (n <= d->naccounts). */
int db_balances(struct db *d, int64_t *balance, int64_t *version,
    uint32_t n);

#endif
