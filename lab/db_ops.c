/*
 * db_ops: the operations as transactions, the variants as the statements
 * they add.  See db_ops.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "db_ops.h"
#include "lab.h"
#include "ledger.h"

/* One operation: up to two accounts and what it adds to each. */
struct db_change {
	unsigned n;
	uint32_t id[2];			/* in argument order */
	int64_t delta[2];
	int64_t balance[2], version[2];	/* as read */
};

static int
db_ops_begin(struct db *d, enum db_sync v)
{
	int rc;

	rc = db_exec(d, v == DB_SERIALIZABLE ?
	    "BEGIN ISOLATION LEVEL SERIALIZABLE" :
	    "BEGIN ISOLATION LEVEL READ COMMITTED", 0, NULL, NULL);
	if (rc == 0 && v == DB_SEMAPHORE)
		rc = db_exec(d, d->sql.table_lock, 0, NULL, NULL);
	return rc;
}

/* Account id's balance and version, with its row lock if lock. */
static int
db_ops_read(struct db *d, bool lock, uint32_t id, int64_t *balance,
    int64_t *version)
{
	char a[16];
	const char *p[1] = { a };
	PGresult *res;
	int rc;

	snprintf(a, sizeof(a), "%" PRIu32, id);
	if ((rc = db_exec(d, lock ? d->sql.lock : d->sql.read, 1, p,
	    &res)) < 0)
		return rc;
	if (PQntuples(res) != 1 || db_int(res, 0, 0, balance) < 0 ||
	    db_int(res, 0, 1, version) < 0)
		rc = -LAB_ECORRUPT;
	PQclear(res);
	return rc;
}

static int
db_ops_write(struct db *d, uint32_t id, int64_t balance, int64_t version)
{
	char a[16], b[24], v[24];
	const char *p[3] = { a, b, v };

	snprintf(a, sizeof(a), "%" PRIu32, id);
	snprintf(b, sizeof(b), "%" PRId64, balance);
	snprintf(v, sizeof(v), "%" PRId64, version);
	return db_exec(d, d->sql.write, 3, p, NULL);
}

/* Our row of the books gets what c did. */
static int
db_ops_books(struct db *d, const struct db_change *c)
{
	int64_t dep = 0, wd = 0, net = 0;
	char a[24], b[24], w[24];
	const char *p[4] = { d->worker, a, b, w };
	unsigned i;

	for (i = 0; i < c->n; i++)
		net += c->delta[i];
	if (net > 0)
		dep = net;
	else
		wd = -net;
	snprintf(a, sizeof(a), "%" PRId64, dep);
	snprintf(b, sizeof(b), "%" PRId64, wd);
	snprintf(w, sizeof(w), "%u", c->n);
	return db_exec(d, d->sql.books, 4, p, NULL);
}

/* The two pids of the server's "Process A waits for ...; blocked by
 * process B." (its DETAIL, which db_fail() keeps in d->err). */
static void
db_ops_deadlock(const struct db *d, struct db_deadlock *dl)
{
	const char *p = strstr(d->err, "Process ");
	int a = 0, b = 0;

	if (p == NULL || sscanf(p, "Process %d waits for %*[^;]; blocked by "
	    "process %d", &a, &b) != 2)
		a = b = 0;
	dl->pid = a;
	dl->other = b;
	snprintf(dl->msg, sizeof(dl->msg), "%s", d->err);
}

/* Lock or read in the variant's order, then write in id order. */
static int
db_ops_body(struct db *d, enum db_sync v, struct db_change *c,
    const struct db_hooks *h)
{
	bool lock = v == DB_ROBUST || v == DB_ORDERED;
	unsigned i, k, first = 0;
	int64_t sum;
	int rc = 0;

	/* ordered: the lower id first; robust: as the caller named them. */
	if (v == DB_ORDERED && c->n == 2 && c->id[1] < c->id[0])
		first = 1;
	for (k = 0; k < c->n && rc == 0; k++) {
		i = (first + k) % c->n;
		rc = db_ops_read(d, lock, c->id[i], &c->balance[i],
		    &c->version[i]);
		/*
		 * The window: after the first read (or lock), where another
		 * transaction's step makes the anomaly: its write between
		 * our read and ours, its lock between our two.
		 */
		if (rc == 0 && k == 0 && h != NULL && h->window_us > 0)
			usleep(h->window_us);
	}
	/* What the table held is outside input: no overflow on it. */
	for (i = 0; i < c->n && rc == 0; i++)
		if (__builtin_add_overflow(c->balance[i], c->delta[i], &sum) ||
		    c->version[i] < 0 || c->version[i] == INT64_MAX)
			rc = -LAB_ECORRUPT;
		else if (sum < 0)
			rc = -LAB_EFUNDS;
		else if (sum > LEDGER_BALANCE_MAX) {	/* as bank.c refuses */
			db_say(d, "a balance would go above 2^62 cents");
			rc = -LAB_EAMOUNT;
		}
	first = c->n == 2 && c->id[1] < c->id[0];
	for (k = 0; k < c->n && rc == 0; k++) {
		i = (first + k) % c->n;
		rc = db_ops_write(d, c->id[i], c->balance[i] + c->delta[i],
		    c->version[i] + 1);
		/* The crash lesson: die with the transaction half-done. */
		if (rc == 0 && k == 0 && h != NULL && h->die_mid)
			raise(SIGKILL);
	}
	if (rc == 0)
		rc = db_ops_books(d, c);
	return rc;
}

static int
db_ops_apply(struct db *d, enum db_sync v, struct db_change *c,
    const struct db_hooks *h, struct db_deadlock *dl)
{
	unsigned i;
	int rc;

	if ((unsigned)v >= DB_SYNC_COUNT)
		return -LAB_ESYNC;
	for (i = 0; i < c->n; i++)
		if (c->id[i] >= d->naccounts)
			return -LAB_EACCOUNT;
	if (c->n == 2 && c->id[0] == c->id[1])
		return -LAB_ESAME;
	if ((rc = db_ops_begin(d, v)) == 0)
		rc = db_ops_body(d, v, c, h);
	rc = db_end(d, rc);
	if (rc == -LAB_EDEADLK && dl != NULL)
		db_ops_deadlock(d, dl);
	return rc;
}

static bool
db_ops_amount_ok(int64_t cents)
{
	return cents > 0 && cents <= LEDGER_AMOUNT_MAX;
}

int
db_transfer(struct db *d, enum db_sync v, uint32_t from, uint32_t to,
    int64_t cents, const struct db_hooks *h, struct db_deadlock *dl)
{
	struct db_change c = { .n = 2, .id = { from, to },
		.delta = { -cents, cents } };

	if (!db_ops_amount_ok(cents))
		return -LAB_EAMOUNT;
	return db_ops_apply(d, v, &c, h, dl);
}

int
db_deposit(struct db *d, enum db_sync v, uint32_t a, int64_t cents,
    const struct db_hooks *h, struct db_deadlock *dl)
{
	struct db_change c = { .n = 1, .id = { a }, .delta = { cents } };

	if (!db_ops_amount_ok(cents))
		return -LAB_EAMOUNT;
	return db_ops_apply(d, v, &c, h, dl);
}

int
db_withdraw(struct db *d, enum db_sync v, uint32_t a, int64_t cents,
    const struct db_hooks *h, struct db_deadlock *dl)
{
	struct db_change c = { .n = 1, .id = { a }, .delta = { -cents } };

	if (!db_ops_amount_ok(cents))
		return -LAB_EAMOUNT;
	return db_ops_apply(d, v, &c, h, dl);
}

/* The sum of one snapshot, and what the books say it must be. */
static int
db_ops_sum(struct db *d, int64_t *total, int64_t *expected)
{
	PGresult *res;
	int rc;

	if ((rc = db_exec(d, d->sql.sum, 0, NULL, &res)) < 0)
		return rc;
	if (db_int(res, 0, 0, total) < 0 || db_int(res, 0, 1, expected) < 0)
		rc = -LAB_ECORRUPT;
	PQclear(res);
	return rc;
}

int
db_audit(struct db *d, enum db_audit a, int64_t *total, int64_t *expected)
{
	int64_t sum = 0, bal, ignored;
	char id[16];
	const char *p[1] = { id };
	PGresult *res;
	uint32_t i;
	int rc;

	if (a == DB_AUDIT_CONSISTENT)
		return db_ops_sum(d, total, expected);
	/* Plain: each SELECT its own snapshot, transfers commit between. */
	for (i = 0; i < d->naccounts; i++) {
		snprintf(id, sizeof(id), "%" PRIu32, i);
		if ((rc = db_exec(d, d->sql.balance, 1, p, &res)) < 0)
			return rc;
		rc = PQntuples(res) == 1 ? db_int(res, 0, 0, &bal) :
		    -LAB_ECORRUPT;
		PQclear(res);
		if (rc < 0)
			return rc;
		if (__builtin_add_overflow(sum, bal, &sum))
			return -LAB_ECORRUPT;
	}
	if ((rc = db_ops_sum(d, &ignored, expected)) < 0)
		return rc;
	*total = sum;
	return 0;
}
