/*
 * bank: deposit, withdraw, transfer, inquire, audit.
 *
 * Balances and versions are read and written with relaxed atomics.  Under a
 * lock that is plain, correct code (the lock orders it).  Under `none` it is
 * the race the lab shows: relaxed atomics stop the compiler from folding a
 * read-modify-write loop into one add (which would hide the race) while
 * keeping the program free of undefined behaviour.
 *
 * Every operation: lock, read, [window], record before-images in the
 * journal, write, update the slot's counters, mark the journal DONE, unlock.
 */
#include <string.h>

#include "bank.h"
#include "contract.h"
#include "lab.h"
#include "step.h"

struct bank_read {
	int64_t balance;
	uint32_t version;
};

static inline void
bank_read(const struct ledger *l, uint32_t a, struct bank_read *r)
{
	r->balance = atomic_load_explicit(&l->acct[a].balance,
	    memory_order_relaxed);
	r->version = atomic_load_explicit(&l->acct[a].version,
	    memory_order_relaxed);
}

/*
 * Write what we computed from r.  If the version moved since we read it,
 * another process wrote in between and we are about to overwrite its write:
 * a lost update.  Note the first one as the lesson's example.
 */
static void
bank_write(struct ledger *l, uint32_t a, const struct bank_read *r,
    int64_t balance)
{
	struct ledger_account *ac = &l->acct[a];
	struct ledger_slot *s = &l->slots[l->slot];
	uint32_t now = atomic_load_explicit(&ac->version, memory_order_relaxed);

	if (now != r->version && !s->lost.seen) {
		s->lost.acct = a;
		s->lost.version_read = r->version;
		s->lost.balance_read = r->balance;
		s->lost.balance_written = balance;
		s->lost.other_pid = atomic_load_explicit(&ac->last_writer,
		    memory_order_relaxed);
		s->lost.other_version = now;
		s->lost.other_balance = atomic_load_explicit(&ac->balance,
		    memory_order_relaxed);
		s->lost.seen = 1;
	}
	atomic_store_explicit(&ac->balance, balance, memory_order_relaxed);
	atomic_store_explicit(&ac->version, r->version + 1,
	    memory_order_relaxed);
	atomic_store_explicit(&ac->last_writer, l->pid, memory_order_relaxed);
	s->counters.writes++;
}

/* Record before-images; from here on a repairer can roll us back. */
static void
bank_journal(struct ledger *l, enum ledger_op op, int64_t amount,
    uint32_t n, const uint32_t *acct, const struct bank_read *rd)
{
	struct ledger_slot *s = &l->slots[l->slot];
	struct ledger_journal *j = &s->journal;
	uint32_t k;

	j->op = op;
	j->n = n;
	j->amount = amount;
	for (k = 0; k < n; k++) {
		j->acct[k] = acct[k];
		j->before[k] = rd[k].balance;
		j->vbefore[k] = rd[k].version;
	}
	j->cbefore = s->counters;
	atomic_store_explicit(&j->state, LEDGER_J_BEGUN, memory_order_release);
}

static void
bank_done(struct ledger *l)
{
	struct ledger_slot *s = &l->slots[l->slot];

	s->counters.ops++;
	atomic_store_explicit(&s->journal.state, LEDGER_J_DONE,
	    memory_order_release);
}

static int
bank_check_args(const struct ledger *l, uint32_t a, int64_t cents)
{
	if (l->slot < 0)
		return -LAB_ENOSLOT;
	if (!ledger_index_ok(l, a))
		return -LAB_EACCOUNT;
	if (cents <= 0 || cents > LEDGER_AMOUNT_MAX)
		return -LAB_EAMOUNT;
	return 0;
}

static void
bank_unlock_pair(struct ledger *l, uint32_t from, uint32_t to)
{
	l->sync->unlock_pair(l, from, to);
	contract_pair_unlocked(l, from, to);
}

/* A refusal: count it, change nothing else, release the locks. */
static int
bank_refuse(struct ledger *l, uint32_t a, uint32_t b, bool pair, int code)
{
	if (code == -LAB_EFUNDS)
		l->slots[l->slot].counters.refused++;
	if (pair)
		bank_unlock_pair(l, a, b);
	else
		l->sync->unlock_one(l, a);
	step_point(l, STEP_UNLOCK, a, 0);
	return code;
}

int
bank_deposit(struct ledger *l, uint32_t a, int64_t cents)
{
	struct bank_read rd;
	int r;

	if ((r = bank_check_args(l, a, cents)) < 0)
		return r;
	step_point(l, STEP_LOCK, a, 0);
	if ((r = l->sync->lock_one(l, a)) < 0)
		return r;
	bank_read(l, a, &rd);
	step_point(l, STEP_READ_TO, a, rd.balance);
	if (rd.balance > LEDGER_BALANCE_MAX - cents)
		return bank_refuse(l, a, a, false, -LAB_EAMOUNT);
	bank_journal(l, LEDGER_OP_DEPOSIT, cents, 1, &a, &rd);
	step_window(l);
	bank_write(l, a, &rd, rd.balance + cents);
	l->slots[l->slot].counters.deposited += cents;
	step_point(l, STEP_WRITE_TO, a, rd.balance + cents);
	bank_done(l);
	l->sync->unlock_one(l, a);
	step_point(l, STEP_UNLOCK, a, 0);
	return 0;
}

int
bank_withdraw(struct ledger *l, uint32_t a, int64_t cents)
{
	struct bank_read rd;
	int r;

	if ((r = bank_check_args(l, a, cents)) < 0)
		return r;
	step_point(l, STEP_LOCK, a, 0);
	if ((r = l->sync->lock_one(l, a)) < 0)
		return r;
	bank_read(l, a, &rd);
	step_point(l, STEP_READ_FROM, a, rd.balance);
	if (rd.balance < cents)
		return bank_refuse(l, a, a, false, -LAB_EFUNDS);
	bank_journal(l, LEDGER_OP_WITHDRAW, cents, 1, &a, &rd);
	step_window(l);
	bank_write(l, a, &rd, rd.balance - cents);
	l->slots[l->slot].counters.withdrawn += cents;
	step_point(l, STEP_WRITE_FROM, a, rd.balance - cents);
	bank_done(l);
	l->sync->unlock_one(l, a);
	step_point(l, STEP_UNLOCK, a, 0);
	return 0;
}

int
bank_transfer(struct ledger *l, uint32_t from, uint32_t to, int64_t cents)
{
	struct bank_read rd[2];
	uint32_t acct[2] = { from, to };
	int r;

	if ((r = bank_check_args(l, from, cents)) < 0)
		return r;
	if (!ledger_index_ok(l, to))
		return -LAB_EACCOUNT;
	if (from == to)
		return -LAB_ESAME;
	step_point(l, STEP_LOCK, from, 0);
	r = l->sync->lock_pair(l, from, to);
	contract_pair_locked(l, from, to, r);
	if (r < 0)
		return r;
	bank_read(l, from, &rd[0]);
	step_point(l, STEP_READ_FROM, from, rd[0].balance);
	if (rd[0].balance < cents)
		return bank_refuse(l, from, to, true, -LAB_EFUNDS);
	bank_read(l, to, &rd[1]);
	step_point(l, STEP_READ_TO, to, rd[1].balance);
	if (rd[1].balance > LEDGER_BALANCE_MAX - cents)
		return bank_refuse(l, from, to, true, -LAB_EAMOUNT);
	bank_journal(l, LEDGER_OP_TRANSFER, cents, 2, acct, rd);
	step_window(l);
	bank_write(l, from, &rd[0], rd[0].balance - cents);
	step_point(l, STEP_WRITE_FROM, from, rd[0].balance - cents);
	step_window(l);	/* debited, not yet credited */
	bank_write(l, to, &rd[1], rd[1].balance + cents);
	step_point(l, STEP_WRITE_TO, to, rd[1].balance + cents);
	l->slots[l->slot].counters.moved += cents;
	bank_done(l);
	bank_unlock_pair(l, from, to);
	step_point(l, STEP_UNLOCK, from, 0);
	return 0;
}

int
bank_balance(struct ledger *l, uint32_t a, int64_t *cents)
{
	int r;

	if (l->slot < 0)
		return -LAB_ENOSLOT;
	if (!ledger_index_ok(l, a))
		return -LAB_EACCOUNT;
	if ((r = l->sync->lock_one(l, a)) < 0)
		return r;
	*cents = atomic_load_explicit(&l->acct[a].balance,
	    memory_order_relaxed);
	l->sync->unlock_one(l, a);
	return 0;
}

int
bank_audit(struct ledger *l, struct sync_audit *out)
{
	uint64_t locks = l->quiet_locks;
	int r;

	if (l->slot < 0)
		return -LAB_ENOSLOT;
	memset(out, 0, sizeof(*out));
	r = l->sync->audit(l, out);
	if (r != 0 || l->sync->kind != SYNC_ORDERED || !contract_on)
		return r;
	if (!out->is_consistent)
		contract_broken(l, "ex_audit() returned a total not marked "
		    "consistent (out->is_consistent): the ordered audit must "
		    "be a snapshot");
	else if (l->quiet_locks - locks < l->naccounts)
		contract_broken(l, "ex_audit() returned a total after taking "
		    "%llu account locks for %u accounts: read every account "
		    "under its lock (sync_read_account())",
		    (unsigned long long)(l->quiet_locks - locks), l->naccounts);
	return r;
}

int
bank_recover(struct ledger *l, enum sync_kind v)
{
	struct sync_audit a;
	int r;

	if (v == SYNC_NONE)
		return 0;
	if ((r = ledger_join(l)) < 0)
		return r;
	sync_use(l, v == SYNC_SEMAPHORE ? SYNC_SEMAPHORE : SYNC_ORDERED);
	l->lock_timeout_ms = 1000;
	return bank_audit(l, &a);
}

int64_t
bank_total_unlocked(const struct ledger *l)
{
	uint64_t sum = 0;
	uint32_t i;

	for (i = 0; i < l->naccounts; i++)
		sum += (uint64_t)atomic_load_explicit(&l->acct[i].balance,
		    memory_order_relaxed);
	return (int64_t)sum;
}

int64_t
bank_lost_writes(const struct ledger *l)
{
	struct ledger_counters c;
	uint64_t versions = 0;
	uint32_t i;

	for (i = 0; i < l->naccounts; i++)
		versions += atomic_load_explicit(&l->acct[i].version,
		    memory_order_relaxed);
	ledger_books(l, &c);
	return (int64_t)(c.writes - versions);
}

void
bank_check(const struct ledger *l, struct bank_check *c)
{
	struct ledger_counters books;
	uint32_t i;

	ledger_books(l, &books);
	memset(c, 0, sizeof(*c));
	c->expected = (int64_t)((uint64_t)l->initial_total +
	    (uint64_t)books.deposited - (uint64_t)books.withdrawn);
	c->observed = bank_total_unlocked(l);
	c->lost_cents = (int64_t)((uint64_t)c->expected - (uint64_t)c->observed);
	c->lost_writes = bank_lost_writes(l);
	for (i = 0; i < l->naccounts; i++)
		if (atomic_load_explicit(&l->acct[i].balance,
		    memory_order_relaxed) < 0)
			c->negative++;
	c->is_ok = c->lost_cents == 0 && c->lost_writes == 0 &&
	    c->negative == 0;
}
