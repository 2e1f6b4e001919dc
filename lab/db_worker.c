/*
 * db_worker: draw, run and count operations on a database ledger; report
 * in JSON (json-c).  See db_worker.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "db.h"
#include "db_ops.h"
#include "db_worker.h"
#include "lab.h"
#include "worker.h"

/* One drawn operation. */
struct db_op {
	enum worker_mix kind;	/* transfer, deposit, withdraw or audit */
	uint32_t a, b;
	int64_t amount;
};

void
db_worker_config_default(struct db_worker_config *c)
{
	memset(c, 0, sizeof(*c));
	worker_config_default(&c->w);
	c->sync = DB_NONE;
	c->audit = DB_AUDIT_PLAIN;
	c->on_deadlock = DB_DEADLOCK_RETRY;
}

static uint32_t
db_worker_below(uint64_t *rng, uint32_t n)
{
	return (uint32_t)(lab_rand(rng) % n);
}

/* Draw as worker.c draws: the same seed, the same kinds of operation. */
static void
db_worker_draw(const struct db *d, const struct worker_config *w,
    uint64_t *rng, struct db_op *op)
{
	uint32_t n = d->naccounts, t;

	op->amount = 1 + (int64_t)(lab_rand(rng) % (uint64_t)w->max_amount);
	op->kind = w->mix;
	if (op->kind == WORKER_MIXED) {
		t = db_worker_below(rng, 4);
		op->kind = t < 2 ? WORKER_TRANSFER : t == 2 ?
		    WORKER_DEPOSIT : WORKER_WITHDRAW;
	}
	op->a = db_worker_below(rng, n);
	op->b = op->a;
	if (op->kind != WORKER_TRANSFER)
		return;
	if (w->from >= 0) {
		op->a = (uint32_t)w->from;
		op->b = (uint32_t)w->to;
		return;
	}
	op->b = db_worker_below(rng, n - 1);
	op->b += op->b >= op->a;
	if (w->ascending && op->a > op->b) {
		t = op->a;
		op->a = op->b;
		op->b = t;
	}
}

static int
db_worker_once(struct db *d, const struct db_worker_config *c,
    const struct db_op *op, const struct db_hooks *h, struct db_deadlock *dl)
{
	switch (op->kind) {
	case WORKER_DEPOSIT:
		return db_deposit(d, c->sync, op->a, op->amount, h, dl);
	case WORKER_WITHDRAW:
		return db_withdraw(d, c->sync, op->a, op->amount, h, dl);
	default:
		return db_transfer(d, c->sync, op->a, op->b, op->amount, h,
		    dl);
	}
}

static int
db_worker_audit(struct db *d, const struct db_worker_config *c,
    struct db_worker_result *r)
{
	int64_t total, expected, off;
	int rc;

	if ((rc = db_audit(d, c->audit, &total, &expected)) < 0)
		return rc;
	r->audits++;
	if (total != expected) {
		r->stale_audits++;
		off = lab_distance(total, expected);
		if (off > r->worst_deviation)
			r->worst_deviation = off;
	}
	return 0;
}

/* One operation, done again after a deadlock (if c says) or a 40001. */
static int
db_worker_op(struct db *d, const struct db_worker_config *c,
    const struct db_op *op, const struct db_hooks *h,
    struct db_worker_result *r)
{
	struct db_deadlock dl;
	unsigned attempt;
	int rc;

	for (attempt = 1;; attempt++) {
		rc = db_worker_once(d, c, op, h, &dl);
		if (rc == -LAB_EDEADLK) {
			if (r->deadlocks++ == 0)
				r->deadlock = dl;
			if (c->on_deadlock == DB_DEADLOCK_FAIL)
				return rc;
		} else if (rc != -LAB_ESERIALIZE) {
			return rc;
		}
		if (attempt >= DB_RETRY_MAX || lab_signalled())
			return rc;
		r->retries++;
	}
}

/* Wait at the starter's gate: its lock, taken shared once it lets go. */
static int
db_worker_gate(struct db *d, int64_t gate)
{
	char g[24];
	const char *p[1] = { g };
	int rc;

	snprintf(g, sizeof(g), "%" PRId64, gate);
	if ((rc = db_exec(d, "SELECT pg_advisory_lock_shared($1::bigint)", 1,
	    p, NULL)) < 0)
		return rc;
	return db_exec(d, "SELECT pg_advisory_unlock_shared($1::bigint)", 1,
	    p, NULL);
}

/* Count what rc says of one operation; non-zero: the worker stops. */
static int
db_worker_count(struct db *d, const struct db_worker_config *c,
    const struct db_op *op, int rc, struct db_worker_result *r)
{
	r->ops++;
	if (rc == 0) {
		r->done++;
		if (op->kind == WORKER_DEPOSIT)
			r->deposited += op->amount;
		else if (op->kind == WORKER_WITHDRAW)
			r->withdrawn += op->amount;
		else if (op->kind == WORKER_TRANSFER)
			r->moved += op->amount;
		return 0;
	}
	if (rc == -LAB_EFUNDS) {
		r->refused++;
		return 0;
	}
	r->failed++;
	if (r->first_error == 0) {
		r->first_error = rc;
		snprintf(r->error, sizeof(r->error), "%s", d->err[0] != '\0' ?
		    d->err : lab_strerror(rc));
	}
	/* A deadlock stops us only if asked; the rest always do. */
	return rc != -LAB_EDEADLK || c->w.stop_on_error ||
	    c->on_deadlock == DB_DEADLOCK_FAIL;
}

int
db_worker_run(struct db *d, const struct db_worker_config *c,
    struct db_worker_result *r)
{
	uint64_t rng = c->w.seed, i, t0;
	struct db_hooks h = { .window_us = c->window_us };
	struct db_op op;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	r->pid = (int32_t)getpid();
	r->backend_pid = d->backend_pid;
	if (c->gate != 0 && (rc = db_worker_gate(d, c->gate)) < 0) {
		r->first_error = rc;
		snprintf(r->error, sizeof(r->error), "%s", d->err);
		return rc;
	}
	t0 = lab_now_ns();
	for (i = 1; i <= c->w.ops && !lab_signalled(); i++) {
		db_worker_draw(d, &c->w, &rng, &op);
		h.die_mid = c->w.die_step != 0 && i == c->w.die_after;
		rc = op.kind == WORKER_AUDIT ? db_worker_audit(d, c, r) :
		    db_worker_op(d, c, &op, &h, r);
		if (db_worker_count(d, c, &op, rc, r) != 0)
			break;
		rc = 0;
	}
	r->elapsed_s = (double)(lab_now_ns() - t0) / 1e9;
	return rc == -LAB_EFUNDS ? 0 : rc;
}
