/*
 * sched_db_op: a session's operations as the statements db_ops.c sends
 * for them (the texts are d->sql: one copy of the SQL), one at a time,
 * each tagged with the step points of lab/step.h it reaches:
 *
 *   BEGIN                          lock (about to lock)
 *   LOCK TABLE (semaphore)         -   (it may wait for the semaphore)
 *   SELECT ... (FOR UPDATE)        read_from / read_to; the first of a
 *                                  transfer's FOR UPDATEs is first_lock too
 *   UPDATE (in id order)           write_from / write_to
 *   the books row                  -
 *   COMMIT (ROLLBACK if refused)   unlock
 *   plain audit: SELECT per id     audit_read each;  consistent: one sum
 *
 * A statement that fails with 40P01 (deadlock) or 40001 (serialization)
 * has had its transaction aborted: the session rolls back and starts the
 * operation again, as db_worker does.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "lab.h"
#include "ledger.h"
#include "sched_db_impl.h"
#include "step.h"

static void
sdb_add(struct sdb_session *p, unsigned what, int acct, unsigned s0,
    unsigned s1)
{
	struct sdb_stmt *st = &p->prog[p->nprog++];

	st->what = (unsigned char)what;
	st->acct = acct;
	st->step[0] = (unsigned char)s0;
	st->step[1] = (unsigned char)s1;
}

/* The read of account x in an operation from a (to b): its step. */
static unsigned
sdb_read_step(const struct worker_op *o, uint32_t x)
{
	if (o->kind == WORKER_OP_DEPOSIT || (o->kind == WORKER_OP_TRANSFER &&
	    x == o->b))
		return STEP_READ_TO;
	return STEP_READ_FROM;
}

static unsigned
sdb_write_step(const struct worker_op *o, uint32_t x)
{
	return sdb_read_step(o, x) == STEP_READ_TO ? STEP_WRITE_TO :
	    STEP_WRITE_FROM;
}

/* A deposit, withdrawal or transfer: one transaction. */
static void
sdb_op_money(struct sdb_session *p, const struct worker_op *o,
    enum db_sync v)
{
	uint32_t acct[2] = { o->a, o->b }, lo, hi;
	int n = o->kind == WORKER_OP_TRANSFER ? 2 : 1, i;
	bool is_locking = v == DB_ROBUST || v == DB_ORDERED;

	if (n == 2 && v == DB_ORDERED && o->b < o->a) {
		acct[0] = o->b;		/* FOR UPDATE in id order */
		acct[1] = o->a;
	}
	sdb_add(p, SDB_BEGIN, (int)acct[0], STEP_LOCK, 0);
	if (v == DB_SEMAPHORE)
		sdb_add(p, SDB_TABLE_LOCK, -1, 0, 0);
	for (i = 0; i < n; i++)
		sdb_add(p, is_locking ? SDB_LOCK : SDB_READ, (int)acct[i],
		    is_locking && n == 2 && i == 0 ? STEP_FIRST_LOCK :
		    sdb_read_step(o, acct[i]), is_locking && n == 2 && i == 0 ?
		    sdb_read_step(o, acct[i]) : 0);
	/* The writes go in id order, as db_ops.c sends them. */
	lo = n == 2 && o->b < o->a ? o->b : o->a;
	hi = n == 2 && o->b < o->a ? o->a : o->b;
	sdb_add(p, SDB_WRITE, (int)lo, sdb_write_step(o, lo), 0);
	if (n == 2)
		sdb_add(p, SDB_WRITE, (int)hi, sdb_write_step(o, hi), 0);
	sdb_add(p, SDB_BOOKS, -1, 0, 0);
	sdb_add(p, SDB_COMMIT, -1, STEP_UNLOCK, 0);
}

void
sdb_op_begin(struct sdb_session *p, enum db_sync v)
{
	const struct worker_op *o = &p->proc->op[p->op];
	uint32_t i;

	p->nprog = 0;
	p->pc = 0;
	p->sum = 0;
	switch (o->kind) {
	case WORKER_OP_AUDIT:
		if (db_sync_audit(v) == DB_AUDIT_CONSISTENT) {
			sdb_add(p, SDB_SUM, -1, STEP_AUDIT_READ, 0);
			break;
		}
		for (i = 0; i < p->d.naccounts && i < SCHED_ACCOUNTS_MAX; i++)
			sdb_add(p, SDB_BALANCE, (int)i, STEP_AUDIT_READ, 0);
		break;
	case WORKER_OP_BALANCE:
		sdb_add(p, SDB_BALANCE, (int)o->a, STEP_READ_FROM, 0);
		break;
	default:
		sdb_op_money(p, o, v);
		break;
	}
}

/* ------------------------------------------------------------ sending */

/* Is the operation refused for want of funds?  Asked before its writes. */
static bool
sdb_is_refused(const struct sdb_session *p)
{
	const struct worker_op *o = &p->proc->op[p->op];

	return (o->kind == WORKER_OP_WITHDRAW ||
	    o->kind == WORKER_OP_TRANSFER) && p->bal[o->a] < o->amount;
}

/* The balance a write of account x leaves. */
static int64_t
sdb_new_balance(const struct sdb_session *p, uint32_t x)
{
	const struct worker_op *o = &p->proc->op[p->op];

	if (o->kind == WORKER_OP_DEPOSIT || (o->kind == WORKER_OP_TRANSFER &&
	    x == o->b))
		return p->bal[x] + o->amount;
	return p->bal[x] - o->amount;
}

/* The books' row: deposited, withdrawn, writes of this operation. */
static void
sdb_books(const struct sdb_session *p, int64_t *dep, int64_t *wd,
    int64_t *writes)
{
	const struct worker_op *o = &p->proc->op[p->op];

	*dep = o->kind == WORKER_OP_DEPOSIT ? o->amount : 0;
	*wd = o->kind == WORKER_OP_WITHDRAW ? o->amount : 0;
	*writes = o->kind == WORKER_OP_TRANSFER ? 2 : 1;
}

/* The text and parameters of statement st (params point into buf). */
static const char *
sdb_text(struct sdb_session *p, const struct sdb_stmt *st, enum db_sync v,
    char buf[4][32], const char **params, int *n)
{
	const struct db_sql *q = &p->d.sql;
	int64_t a, b, c;

	/* The statements about one account take its id as $1. */
	snprintf(buf[0], 32, "%d", st->acct);
	params[0] = buf[0];
	*n = st->what == SDB_READ || st->what == SDB_LOCK ||
	    st->what == SDB_BALANCE;
	switch (st->what) {
	case SDB_BEGIN:
		return v == DB_SERIALIZABLE ?
		    "BEGIN ISOLATION LEVEL SERIALIZABLE" : "BEGIN";
	case SDB_TABLE_LOCK:
		return q->table_lock;
	case SDB_READ:
		return q->read;
	case SDB_LOCK:
		return q->lock;
	case SDB_WRITE:
		snprintf(buf[1], 32, "%" PRId64, sdb_new_balance(p,
		    (uint32_t)st->acct));
		snprintf(buf[2], 32, "%" PRId64, p->ver[st->acct] + 1);
		params[1] = buf[1];
		params[2] = buf[2];
		*n = 3;
		return q->write;
	case SDB_BOOKS:
		sdb_books(p, &a, &b, &c);
		snprintf(buf[1], 32, "%" PRId64, a);
		snprintf(buf[2], 32, "%" PRId64, b);
		snprintf(buf[3], 32, "%" PRId64, c);
		params[0] = p->d.worker;
		params[1] = buf[1];
		params[2] = buf[2];
		params[3] = buf[3];
		*n = 4;
		return q->books;
	case SDB_COMMIT:
		return "COMMIT";
	case SDB_ROLLBACK:
		return "ROLLBACK";
	case SDB_BALANCE:
		return q->balance;
	default:
		return q->sum;
	}
}

int
sdb_send(struct sdb_session *p, enum db_sync v)
{
	struct sdb_stmt *st = &p->prog[p->pc];
	const char *params[4], *sql;
	char buf[4][32];
	int n;

	/* Refused for want of funds: roll back instead of the writes. */
	if (st->what == SDB_WRITE && sdb_is_refused(p)) {
		st->what = SDB_ROLLBACK;
		st->acct = -1;
		st->step[0] = STEP_UNLOCK;
		st->step[1] = 0;
		p->nprog = p->pc + 1;
	}
	sql = sdb_text(p, st, v, buf, params, &n);
	if (!PQsendQueryParams(p->d.conn, sql, n, NULL, params, NULL, NULL,
	    0)) {
		db_fail(&p->d, NULL);
		return -LAB_EDB;
	}
	if (st->what == SDB_BEGIN)
		p->in_tx = true;
	p->is_busy = true;
	return 0;
}

int64_t
sdb_waits_for(const struct sdb_session *p)
{
	const struct sdb_stmt *st = &p->prog[p->pc];

	return st->what == SDB_TABLE_LOCK ? LEDGER_WAIT_SEM : st->acct;
}

/* ------------------------------------------------------------ results */

/*
 * A balance (or a version) the server gave: outside input, so within
 * what the ledger allows, and then nothing computed from it overflows.
 */
static bool
sdb_sane(int64_t x)
{
	return x >= -LEDGER_BALANCE_MAX && x <= LEDGER_BALANCE_MAX;
}

/* The values a statement's rows bring: balances, versions, sums. */
static int
sdb_rows(struct sdb_session *p, const struct sdb_stmt *st,
    const PGresult *res, struct sdb_taken *t)
{
	int64_t x = 0, y = 0;

	switch (st->what) {
	case SDB_READ:
	case SDB_LOCK:
		if (PQntuples(res) != 1 || db_int(res, 0, 0, &x) < 0 ||
		    db_int(res, 0, 1, &y) < 0 || !sdb_sane(x) || !sdb_sane(y))
			return -LAB_ECORRUPT;
		p->bal[st->acct] = x;
		p->ver[st->acct] = y;
		break;
	case SDB_WRITE:
		x = sdb_new_balance(p, (uint32_t)st->acct);
		p->bal[st->acct] = x;
		break;
	case SDB_BALANCE:
		if (PQntuples(res) != 1 || db_int(res, 0, 0, &x) < 0 ||
		    !sdb_sane(x) || __builtin_add_overflow(p->sum, x, &p->sum))
			return -LAB_ECORRUPT;
		break;
	case SDB_SUM:
		if (PQntuples(res) != 1 || db_int(res, 0, 0, &x) < 0 ||
		    db_int(res, 0, 1, &t->expected) < 0 || !sdb_sane(x) ||
		    !sdb_sane(t->expected))
			return -LAB_ECORRUPT;
		p->sum = x;
		t->has_expected = true;
		break;
	default:
		break;
	}
	t->acct = st->acct;
	t->value = x;
	return 0;
}

/*
 * The statement failed.  40P01 and 40001 abort the transaction: roll it
 * back (a round trip of its own, no step point) and start the operation
 * again.  Anything else ends the run.
 */
static int
sdb_aborted(struct sdb_session *p, enum db_sync v, struct sdb_taken *t,
    int rc)
{
	PGresult *res;

	if ((rc != -LAB_EDEADLK && rc != -LAB_ESERIALIZE) ||
	    ++p->retries > SDB_RETRIES_MAX)
		return rc;
	t->aborted = p->d.err;
	res = PQexec(p->d.conn, "ROLLBACK");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		rc = db_fail(&p->d, res);
		PQclear(res);
		return rc;
	}
	PQclear(res);
	p->in_tx = false;
	sdb_op_begin(p, v);
	return 0;
}

PGresult *
sdb_fetch(struct sdb_session *p, bool *is_error)
{
	PGresult *res, *first = NULL;
	ExecStatusType rs;

	while ((res = PQgetResult(p->d.conn)) != NULL) {
		if (first == NULL)
			first = res;
		else
			PQclear(res);
	}
	p->is_busy = false;
	rs = first != NULL ? PQresultStatus(first) : PGRES_FATAL_ERROR;
	*is_error = rs != PGRES_COMMAND_OK && rs != PGRES_TUPLES_OK;
	return first;
}

int
sdb_take(struct sdb_session *p, enum db_sync v, PGresult *first,
    struct sdb_taken *t)
{
	const struct sdb_stmt *st = &p->prog[p->pc];
	ExecStatusType rs;
	int rc = 0;

	memset(t, 0, sizeof(*t));
	t->acct = -1;
	rs = first != NULL ? PQresultStatus(first) : PGRES_FATAL_ERROR;
	if (rs != PGRES_COMMAND_OK && rs != PGRES_TUPLES_OK) {
		rc = sdb_aborted(p, v, t, db_fail(&p->d, first));
		PQclear(first);
		return rc;
	}
	rc = sdb_rows(p, st, first, t);
	PQclear(first);
	if (rc < 0) {
		snprintf(p->d.err, sizeof(p->d.err), "the server's answer to "
		    "a step is not what banklab's schema gives");
		return rc;
	}
	t->step[0] = st->step[0];
	t->step[1] = st->step[1];
	t->nsteps = (st->step[0] != 0) + (st->step[1] != 0);
	if (st->what == SDB_COMMIT || st->what == SDB_ROLLBACK)
		p->in_tx = false;
	if (++p->pc < p->nprog)
		return 0;
	t->is_op_done = true;
	t->is_audit = p->proc->op[p->op].kind == WORKER_OP_AUDIT;
	t->sum = p->sum;
	p->retries = 0;
	return 0;
}
