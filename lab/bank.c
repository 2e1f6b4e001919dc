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
#include "event.h"
#include "lab.h"
#include "step.h"

struct bank_read {
	int64_t balance;
	uint32_t version;
};

/* Our slot (the caller has checked l->slot >= 0). */
static inline struct ledger_slot *
bank_self(const struct ledger *l)
{
	return &l->slots[l->slot];
}

static inline __attribute__((always_inline)) void
bank_read(const struct ledger_account *ac, struct bank_read *r)
{
	r->balance = atomic_load_explicit(&ac->balance, memory_order_relaxed);
	r->version = atomic_load_explicit(&ac->version, memory_order_relaxed);
}

/*
 * A lost update this process is making: posted as an event, marked in
 * a trace, and the first one kept as the lesson's example.
 */
static __attribute__((noinline, cold)) void
bank_lost(const struct ledger *l, struct ledger_slot *s,
    struct ledger_account *ac, uint32_t a, struct bank_read r,
    int64_t balance, uint32_t now)
{
	if (l->trace != NULL)
		trace_put(l->trace, TRACE_LOST, 0,
		    atomic_load_explicit(&ac->last_writer,
		    memory_order_relaxed), a, 0, balance);
	event_post(l, EVENT_LOST_UPDATE, atomic_load_explicit(&ac->last_writer,
	    memory_order_relaxed), a, (int32_t)(now - (uint32_t)r.version),
	    (int64_t)r.version);
	if (s->lost.seen)
		return;
	s->lost.acct = a;
	s->lost.version_read = r.version;
	s->lost.balance_read = r.balance;
	s->lost.balance_written = balance;
	s->lost.other_pid = atomic_load_explicit(&ac->last_writer,
	    memory_order_relaxed);
	s->lost.other_version = now;
	s->lost.other_balance = atomic_load_explicit(&ac->balance,
	    memory_order_relaxed);
	s->lost.seen = 1;
}

/*
 * Write what we computed from r.  If the version moved since we read it,
 * another process wrote in between and we are about to overwrite its write:
 * a lost update (only unlocked code can make one: one compare when none).
 * r goes by value: its address would keep it on the stack.
 */
static inline __attribute__((always_inline)) void
bank_write(const struct ledger *l, struct ledger_slot *s, uint32_t a,
    struct bank_read r, int64_t balance)
{
	struct ledger_account *ac = &l->acct[a];
	uint32_t now = atomic_load_explicit(&ac->version, memory_order_relaxed);

	/*
	 * Counted before the branch: after it, in one basic block with
	 * bank_done()'s ops++, gcc merged a transfer's second increment and
	 * ops++ into one 16-byte add whose load waited on the first's 8-byte
	 * store (a store-forwarding stall on every transfer).  No step point
	 * lies between the count and the write.
	 */
	s->counters.writes++;
	if (__builtin_expect(now != r.version, 0))
		bank_lost(l, s, ac, a, r, balance, now);
	atomic_store_explicit(&ac->balance, balance, memory_order_relaxed);
	atomic_store_explicit(&ac->version, r.version + 1,
	    memory_order_relaxed);
	atomic_store_explicit(&ac->last_writer, l->pid, memory_order_relaxed);
}

/*
 * The slot's counters into the journal, 8 bytes at a time.  A struct copy
 * becomes 16-byte loads, each spanning two counters that the previous
 * operation stored 8 bytes at a time: while those stores wait in the store
 * buffer such a load cannot be forwarded from them and stalls.  Atomic
 * loads (relaxed: no fence) are never merged into wider ones.
 */
static inline __attribute__((always_inline)) void
bank_copy_counters(struct ledger_counters *to,
    const struct ledger_counters *from)
{
	to->deposited = __atomic_load_n(&from->deposited, __ATOMIC_RELAXED);
	to->withdrawn = __atomic_load_n(&from->withdrawn, __ATOMIC_RELAXED);
	to->moved = __atomic_load_n(&from->moved, __ATOMIC_RELAXED);
	to->ops = __atomic_load_n(&from->ops, __ATOMIC_RELAXED);
	to->writes = __atomic_load_n(&from->writes, __ATOMIC_RELAXED);
	to->refused = __atomic_load_n(&from->refused, __ATOMIC_RELAXED);
}

/*
 * Record before-images of account a (and b, when rb is not NULL); from
 * here on a repairer can roll us back.  The images go by value, not as an
 * array: an array's address kept them on the stack, 4 more stores an op.
 * The release store of BEGUN is a plain store on x86 and orders the
 * images before it for anyone who reads the state with acquire.
 */
static inline __attribute__((always_inline)) void
bank_journal(struct ledger_slot *s, enum ledger_op op, int64_t amount,
    uint32_t a, struct bank_read ra, uint32_t b, const struct bank_read *rb)
{
	struct ledger_journal *j = &s->journal;

	j->op = op;
	j->n = rb != NULL ? 2 : 1;
	j->amount = amount;
	j->acct[0] = a;
	j->before[0] = ra.balance;
	j->vbefore[0] = ra.version;
	if (rb != NULL) {
		j->acct[1] = b;
		j->before[1] = rb->balance;
		j->vbefore[1] = rb->version;
	}
	bank_copy_counters(&j->cbefore, &s->counters);
	atomic_store_explicit(&j->state, LEDGER_J_BEGUN, memory_order_release);
}

static inline __attribute__((always_inline)) void
bank_done(struct ledger_slot *s)
{
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
		bank_self(l)->counters.refused++;
	if (pair)
		bank_unlock_pair(l, a, b);
	else
		l->sync->unlock_one(l, a);
	step_point(l, STEP_UNLOCK, a, 0);
	return code;
}

/*
 * A deposit or a withdrawal: one account under its lock.  They differ in
 * which way the money goes, what refuses it, and the steps they pass (a
 * deposit is a transfer's credit side, a withdrawal its debit side).
 */
static int
bank_single(struct ledger *l, uint32_t a, int64_t cents, bool is_deposit)
{
	struct ledger_slot *s;
	struct bank_read rd;
	int64_t after;
	int r;

	if ((r = bank_check_args(l, a, cents)) < 0)
		return r;
	step_point(l, STEP_LOCK, a, 0);
	if ((r = l->sync->lock_one(l, a)) < 0)
		return r;
	s = bank_self(l);
	bank_read(&l->acct[a], &rd);
	step_point(l, is_deposit ? STEP_READ_TO : STEP_READ_FROM, a,
	    rd.balance);
	if (is_deposit && rd.balance > LEDGER_BALANCE_MAX - cents)
		return bank_refuse(l, a, a, false, -LAB_EAMOUNT);
	if (!is_deposit && rd.balance < cents)
		return bank_refuse(l, a, a, false, -LAB_EFUNDS);
	after = is_deposit ? rd.balance + cents : rd.balance - cents;
	bank_journal(s, is_deposit ? LEDGER_OP_DEPOSIT : LEDGER_OP_WITHDRAW,
	    cents, a, rd, 0, NULL);
	step_window(l);
	bank_write(l, s, a, rd, after);
	if (is_deposit)
		s->counters.deposited += cents;
	else
		s->counters.withdrawn += cents;
	step_point(l, is_deposit ? STEP_WRITE_TO : STEP_WRITE_FROM, a, after);
	bank_done(s);
	l->sync->unlock_one(l, a);
	step_point(l, STEP_UNLOCK, a, 0);
	return 0;
}

/* An operation's slice in this process's trace: begun, then its rc. */
static void
bank_trace_op(struct ledger *l, enum trace_slice op, int64_t a, int64_t b,
    int64_t cents)
{
	if (l->trace != NULL)
		trace_begin(l->trace, op, a, b, cents);
}

static int
bank_trace_done(struct ledger *l, int rc)
{
	if (l->trace != NULL)
		trace_end(l->trace, rc);
	return rc;
}

static __attribute__((noinline, cold)) int
bank_single_traced(struct ledger *l, uint32_t a, int64_t cents,
    bool is_deposit)
{
	bank_trace_op(l, is_deposit ? TRACE_S_DEPOSIT : TRACE_S_WITHDRAW, a,
	    -1, cents);
	return bank_trace_done(l, bank_single(l, a, cents, is_deposit));
}

int
bank_deposit(struct ledger *l, uint32_t a, int64_t cents)
{
	if (__builtin_expect(l->trace != NULL, 0))
		return bank_single_traced(l, a, cents, true);
	return bank_single(l, a, cents, true);
}

int
bank_withdraw(struct ledger *l, uint32_t a, int64_t cents)
{
	if (__builtin_expect(l->trace != NULL, 0))
		return bank_single_traced(l, a, cents, false);
	return bank_single(l, a, cents, false);
}

/*
 * The transfer, written once and inlined twice (bank_transfer()): with
 * is_armed false every step point, window and contract check folds away,
 * so an unarmed transfer pays one branch for all of them; with is_armed
 * true each step point still asks its own question (a park may disarm the
 * hook half-way).  Nothing else differs: the journal, the versions, the
 * counters and the published holds are the same in both.
 */
static inline __attribute__((always_inline)) int
bank_transfer_body(struct ledger *l, uint32_t from, uint32_t to,
    int64_t cents, bool is_armed)
{
	const struct sync_ops *ops = l->sync;
	struct ledger_slot *s;
	struct bank_read rd[2];
	int r;

	if (is_armed)
		step_point(l, STEP_LOCK, from, 0);
	r = ops->lock_pair(l, from, to);
	if (is_armed)
		contract_pair_locked(l, from, to, r);
	if (r < 0)
		return r;
	s = bank_self(l);
	bank_read(&l->acct[from], &rd[0]);
	if (is_armed)
		step_point(l, STEP_READ_FROM, from, rd[0].balance);
	if (rd[0].balance < cents)
		return bank_refuse(l, from, to, true, -LAB_EFUNDS);
	bank_read(&l->acct[to], &rd[1]);
	if (is_armed)
		step_point(l, STEP_READ_TO, to, rd[1].balance);
	if (rd[1].balance > LEDGER_BALANCE_MAX - cents)
		return bank_refuse(l, from, to, true, -LAB_EAMOUNT);
	bank_journal(s, LEDGER_OP_TRANSFER, cents, from, rd[0], to, &rd[1]);
	if (is_armed)
		step_window(l);
	bank_write(l, s, from, rd[0], rd[0].balance - cents);
	if (is_armed) {
		step_point(l, STEP_WRITE_FROM, from, rd[0].balance - cents);
		step_window(l);	/* debited, not yet credited */
	}
	bank_write(l, s, to, rd[1], rd[1].balance + cents);
	if (is_armed)
		step_point(l, STEP_WRITE_TO, to, rd[1].balance + cents);
	s->counters.moved += cents;
	bank_done(s);
	ops->unlock_pair(l, from, to);
	if (is_armed) {
		contract_pair_unlocked(l, from, to);
		step_point(l, STEP_UNLOCK, from, 0);
	}
	return 0;
}

static __attribute__((noinline, cold)) int
bank_transfer_armed(struct ledger *l, uint32_t from, uint32_t to,
    int64_t cents)
{
	bank_trace_op(l, TRACE_S_TRANSFER, from, to, cents);
	return bank_trace_done(l, bank_transfer_body(l, from, to, cents,
	    true));
}

int
bank_transfer(struct ledger *l, uint32_t from, uint32_t to, int64_t cents)
{
	int r;

	if ((r = bank_check_args(l, from, cents)) < 0)
		return r;
	if (!ledger_index_ok(l, to))
		return -LAB_EACCOUNT;
	if (from == to)
		return -LAB_ESAME;
	/* A schedule, a kill point, a window or the graders' contract. */
	if (contract_is_armed(l))
		return bank_transfer_armed(l, from, to, cents);
	return bank_transfer_body(l, from, to, cents, false);
}

int
bank_balance(struct ledger *l, uint32_t a, int64_t *cents)
{
	int r;

	if (l->slot < 0)
		return -LAB_ENOSLOT;
	if (!ledger_index_ok(l, a))
		return -LAB_EACCOUNT;
	bank_trace_op(l, TRACE_S_BALANCE, a, -1, 0);
	if ((r = l->sync->lock_one(l, a)) < 0)
		return bank_trace_done(l, r);
	*cents = atomic_load_explicit(&l->acct[a].balance,
	    memory_order_relaxed);
	l->sync->unlock_one(l, a);
	return bank_trace_done(l, 0);
}

int
bank_audit(struct ledger *l, struct sync_audit *out)
{
	uint64_t locks = l->quiet_locks;
	int r;

	if (l->slot < 0)
		return -LAB_ENOSLOT;
	memset(out, 0, sizeof(*out));
	bank_trace_op(l, TRACE_S_AUDIT, -1, -1, 0);
	r = bank_trace_done(l, l->sync->audit(l, out));
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
	l->role = LEDGER_ROLE_RECOVERY;
	if ((r = ledger_join(l)) < 0)
		return r;
	sync_use(l, v == SYNC_SEMAPHORE ? SYNC_SEMAPHORE : SYNC_ORDERED);
	l->lock_timeout_ms = 1000;
	return bank_audit(l, &a);
}

void
bank_trace_books(struct ledger *l)
{
	struct bank_check c;

	if (l->trace == NULL)
		return;
	bank_check(l, &c);
	trace_put(l->trace, TRACE_MONEY, 0, 0, c.observed, c.expected, 0);
	trace_put(l->trace, TRACE_LOSTCOUNT, 0, 0, 0, 0,
	    c.lost_writes > 0 ? c.lost_writes : 0);
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
