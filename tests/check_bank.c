/*
 * check_bank: the bank operations in one process, under every variant.
 *
 * Most tests are loop tests over the variants (_i = enum sync_kind): the
 * ledger is created for that variant and the process also sets l.sync to
 * it before ledger_join(), which records it in the slot.  Segments get a
 * unique name and are unlinked right after create (one process needs
 * them); an unchecked fixture sweeps the runner's prefix as a backstop.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bank.h"
#include "lab.h"
#include "ledger.h"
#include "step.h"
#include "sync.h"
#include "testlib.h"

#define NACCT	4
#define OPEN	1000	/* each account's opening balance */

/* ------------------------------------------------------------ helpers */

/* Create, unlink at once (only we need it), pick the variant, join. */
static void
open_ledger(enum sync_kind k, struct ledger *l)
{
	char name[LEDGER_NAME_MAX + 1];
	int r;

	tl_ledger_new(name, sizeof(name), NACCT, OPEN, k, l);
	ledger_unlink(name);
	ck_assert_int_eq(l->sync->kind, k);
	r = ledger_join(l);
	tl_assert_lab_eq(r, 0);
	ck_assert_int_eq(tl_ld_u32(&l->slots[l->slot].sync), k);
}

static int64_t
bal(const struct ledger *l, uint32_t a)
{
	return tl_ld_i64(&l->acct[a].balance);
}

static uint32_t
ver(const struct ledger *l, uint32_t a)
{
	return tl_ld_u32(&l->acct[a].version);
}

static struct ledger_counters *
counters(struct ledger *l)
{
	return &l->slots[l->slot].counters;
}

static void
check_ok(const struct ledger *l, int64_t expected)
{
	struct bank_check bc;

	bank_check(l, &bc);
	ck_assert_int_eq(bc.expected, expected);
	ck_assert_int_eq(bc.observed, expected);
	ck_assert_int_eq(bc.lost_cents, 0);
	ck_assert_int_eq(bc.lost_writes, 0);
	ck_assert_int_eq(bc.negative, 0);
	ck_assert_int_eq(bc.is_ok, 1);
}

/* ------------------------------------------------------------ operations */

START_TEST(test_operations)
{
	struct ledger l;
	int64_t c;

	open_ledger((enum sync_kind)_i, &l);
	tl_assert_lab_eq(bank_deposit(&l, 0, 250), 0);
	ck_assert_int_eq(bal(&l, 0), 1250);
	ck_assert_uint_eq(ver(&l, 0), 1);
	ck_assert_int_eq(tl_ld_i32(&l.acct[0].last_writer), getpid());

	tl_assert_lab_eq(bank_withdraw(&l, 1, 300), 0);
	ck_assert_int_eq(bal(&l, 1), 700);
	ck_assert_uint_eq(ver(&l, 1), 1);

	tl_assert_lab_eq(bank_transfer(&l, 2, 3, 400), 0);
	ck_assert_int_eq(bal(&l, 2), 600);
	ck_assert_int_eq(bal(&l, 3), 1400);
	ck_assert_uint_eq(ver(&l, 2), 1);
	ck_assert_uint_eq(ver(&l, 3), 1);

	/* The whole balance may go; the other direction too. */
	tl_assert_lab_eq(bank_transfer(&l, 3, 2, 1400), 0);
	ck_assert_int_eq(bal(&l, 3), 0);
	ck_assert_int_eq(bal(&l, 2), 2000);
	tl_assert_lab_eq(bank_withdraw(&l, 2, 2000), 0);
	ck_assert_int_eq(bal(&l, 2), 0);

	tl_assert_lab_eq(bank_balance(&l, 0, &c), 0);
	ck_assert_int_eq(c, 1250);
	tl_assert_lab_eq(bank_balance(&l, 3, &c), 0);
	ck_assert_int_eq(c, 0);

	ck_assert_int_eq(counters(&l)->deposited, 250);
	ck_assert_int_eq(counters(&l)->withdrawn, 2300);
	ck_assert_int_eq(counters(&l)->moved, 1800);
	ck_assert_uint_eq(counters(&l)->ops, 5);
	ck_assert_uint_eq(counters(&l)->writes, 7);
	ck_assert_uint_eq(counters(&l)->refused, 0);
	ck_assert_uint_eq(tl_ld_u32(&l.slots[l.slot].journal.state),
	    LEDGER_J_DONE);
	ck_assert_int_eq(l.slots[l.slot].lost.seen, 0);
	check_ok(&l, NACCT * OPEN + 250 - 2300);

	/* The largest amount is allowed. */
	tl_assert_lab_eq(bank_deposit(&l, 0, LEDGER_AMOUNT_MAX), 0);
	ck_assert_int_eq(bal(&l, 0), 1250 + LEDGER_AMOUNT_MAX);
	check_ok(&l, NACCT * OPEN + 250 - 2300 + LEDGER_AMOUNT_MAX);
	ledger_detach(&l);
}
END_TEST

START_TEST(test_withdraw_refused)
{
	struct ledger l;
	struct ledger_counters c0;
	int64_t b0;
	uint32_t v0;

	open_ledger((enum sync_kind)_i, &l);
	tl_assert_lab_eq(bank_deposit(&l, 1, 5), 0);
	b0 = bal(&l, 1);
	v0 = ver(&l, 1);
	c0 = *counters(&l);
	tl_assert_lab_eq(bank_withdraw(&l, 1, b0 + 1), -LAB_EFUNDS);
	ck_assert_int_eq(bal(&l, 1), b0);
	ck_assert_uint_eq(ver(&l, 1), v0);
	ck_assert_int_eq(counters(&l)->deposited, c0.deposited);
	ck_assert_int_eq(counters(&l)->withdrawn, c0.withdrawn);
	ck_assert_int_eq(counters(&l)->moved, c0.moved);
	ck_assert_uint_eq(counters(&l)->ops, c0.ops);
	ck_assert_uint_eq(counters(&l)->writes, c0.writes);
	ck_assert_uint_eq(counters(&l)->refused, c0.refused + 1);
	/* Nothing is left locked: the next operation goes through. */
	tl_assert_lab_eq(bank_withdraw(&l, 1, b0), 0);
	ck_assert_int_eq(bal(&l, 1), 0);
	tl_assert_lab_eq(bank_withdraw(&l, 1, 1), -LAB_EFUNDS);
	ck_assert_uint_eq(counters(&l)->refused, c0.refused + 2);
	check_ok(&l, NACCT * OPEN + 5 - b0);
	ledger_detach(&l);
}
END_TEST

START_TEST(test_transfer_refused)
{
	struct ledger l;
	struct ledger_counters c0;

	open_ledger((enum sync_kind)_i, &l);
	c0 = *counters(&l);
	tl_assert_lab_eq(bank_transfer(&l, 0, 1, OPEN + 1), -LAB_EFUNDS);
	ck_assert_int_eq(bal(&l, 0), OPEN);
	ck_assert_int_eq(bal(&l, 1), OPEN);
	ck_assert_uint_eq(ver(&l, 0), 0);
	ck_assert_uint_eq(ver(&l, 1), 0);
	ck_assert_int_eq(counters(&l)->moved, c0.moved);
	ck_assert_uint_eq(counters(&l)->ops, c0.ops);
	ck_assert_uint_eq(counters(&l)->writes, c0.writes);
	ck_assert_uint_eq(counters(&l)->refused, c0.refused + 1);
	/* Both locks were released (reverse direction, then again). */
	tl_assert_lab_eq(bank_transfer(&l, 1, 0, OPEN), 0);
	tl_assert_lab_eq(bank_transfer(&l, 0, 1, OPEN), 0);
	ck_assert_int_eq(bal(&l, 0), OPEN);
	ck_assert_int_eq(bal(&l, 1), OPEN);
	check_ok(&l, NACCT * OPEN);
	ledger_detach(&l);
}
END_TEST

START_TEST(test_bad_arguments)
{
	struct ledger l;
	int64_t c;

	open_ledger((enum sync_kind)_i, &l);
	tl_assert_lab_eq(bank_deposit(&l, NACCT, 1), -LAB_EACCOUNT);
	tl_assert_lab_eq(bank_deposit(&l, UINT32_MAX, 1), -LAB_EACCOUNT);
	tl_assert_lab_eq(bank_withdraw(&l, NACCT, 1), -LAB_EACCOUNT);
	tl_assert_lab_eq(bank_transfer(&l, NACCT, 0, 1), -LAB_EACCOUNT);
	tl_assert_lab_eq(bank_transfer(&l, 0, NACCT, 1), -LAB_EACCOUNT);
	tl_assert_lab_eq(bank_balance(&l, NACCT, &c), -LAB_EACCOUNT);

	tl_assert_lab_eq(bank_deposit(&l, 0, 0), -LAB_EAMOUNT);
	tl_assert_lab_eq(bank_deposit(&l, 0, -5), -LAB_EAMOUNT);
	tl_assert_lab_eq(bank_deposit(&l, 0, LEDGER_AMOUNT_MAX + 1),
	    -LAB_EAMOUNT);
	tl_assert_lab_eq(bank_deposit(&l, 0, INT64_MIN), -LAB_EAMOUNT);
	tl_assert_lab_eq(bank_withdraw(&l, 0, 0), -LAB_EAMOUNT);
	tl_assert_lab_eq(bank_withdraw(&l, 0, -1), -LAB_EAMOUNT);
	tl_assert_lab_eq(bank_withdraw(&l, 0, LEDGER_AMOUNT_MAX + 1),
	    -LAB_EAMOUNT);
	tl_assert_lab_eq(bank_transfer(&l, 0, 1, 0), -LAB_EAMOUNT);
	tl_assert_lab_eq(bank_transfer(&l, 0, 1, -1), -LAB_EAMOUNT);
	tl_assert_lab_eq(bank_transfer(&l, 0, 1, LEDGER_AMOUNT_MAX + 1),
	    -LAB_EAMOUNT);
	tl_assert_lab_eq(bank_transfer(&l, 2, 2, 1), -LAB_ESAME);

	/* No refusal of bad arguments touched anything. */
	ck_assert_uint_eq(counters(&l)->ops, 0);
	ck_assert_uint_eq(counters(&l)->writes, 0);
	ck_assert_uint_eq(counters(&l)->refused, 0);
	check_ok(&l, NACCT * OPEN);
	/* Nothing was left locked either. */
	tl_assert_lab_eq(bank_transfer(&l, 2, 3, 1), 0);
	ledger_detach(&l);
}
END_TEST

START_TEST(test_observer_no_slot)
{
	struct ledger_config cfg = { .naccounts = NACCT, .balance = OPEN,
		.sync = (enum sync_kind)_i };
	char name[LEDGER_NAME_MAX + 1];
	struct sync_audit au;
	struct ledger l;
	int64_t c;
	int r;

	tl_name(name, sizeof(name));
	r = sync_create(name, &cfg, &l);
	ledger_unlink(name);
	tl_assert_lab_eq(r, 0);
	ck_assert_int_eq(l.slot, -1);
	tl_assert_lab_eq(bank_deposit(&l, 0, 1), -LAB_ENOSLOT);
	tl_assert_lab_eq(bank_withdraw(&l, 0, 1), -LAB_ENOSLOT);
	tl_assert_lab_eq(bank_transfer(&l, 0, 1, 1), -LAB_ENOSLOT);
	tl_assert_lab_eq(bank_balance(&l, 0, &c), -LAB_ENOSLOT);
	tl_assert_lab_eq(bank_audit(&l, &au), -LAB_ENOSLOT);
	/* An observer may still check a quiescent ledger. */
	check_ok(&l, NACCT * OPEN);
	ledger_detach(&l);
}
END_TEST

/* ------------------------------------------------------------ check */

START_TEST(test_check)
{
	struct ledger l;
	struct bank_check bc;

	open_ledger((enum sync_kind)_i, &l);
	check_ok(&l, NACCT * OPEN);
	ck_assert_int_eq(bank_total_unlocked(&l), NACCT * OPEN);
	ck_assert_int_eq(bank_lost_writes(&l), 0);
	tl_assert_lab_eq(bank_deposit(&l, 3, 17), 0);
	tl_assert_lab_eq(bank_transfer(&l, 3, 0, 1017), 0);
	tl_assert_lab_eq(bank_withdraw(&l, 0, 2000), 0);
	tl_assert_lab_eq(bank_withdraw(&l, 0, 5000), -LAB_EFUNDS);
	check_ok(&l, NACCT * OPEN + 17 - 2000);

	/* A balance changed behind the books' back is caught. */
	atomic_store(&l.acct[2].balance, OPEN - 7);
	bank_check(&l, &bc);
	ck_assert_int_eq(bc.lost_cents, 7);
	ck_assert_int_eq(bc.is_ok, 0);
	atomic_store(&l.acct[2].balance, -1);
	bank_check(&l, &bc);
	ck_assert_uint_eq(bc.negative, 1);
	ck_assert_int_eq(bc.is_ok, 0);
	atomic_store(&l.acct[2].balance, OPEN);
	/* So is a write that left no version behind (a lost update). */
	counters(&l)->writes++;
	bank_check(&l, &bc);
	ck_assert_int_eq(bc.lost_writes, 1);
	ck_assert_int_eq(bc.is_ok, 0);
	counters(&l)->writes--;
	check_ok(&l, NACCT * OPEN + 17 - 2000);
	ledger_detach(&l);
}
END_TEST

/* ------------------------------------------------------------ audit */

START_TEST(test_audit)
{
	enum sync_kind k = (enum sync_kind)_i;
	struct sync_audit au;
	struct ledger l;

	open_ledger(k, &l);
	tl_assert_lab_eq(bank_audit(&l, &au), 0);
	ck_assert_int_eq(au.total, NACCT * OPEN);
	ck_assert_uint_ge(au.attempts, 1);
	tl_assert_lab_eq(bank_deposit(&l, 0, 123), 0);
	tl_assert_lab_eq(bank_withdraw(&l, 1, 23), 0);
	tl_assert_lab_eq(bank_transfer(&l, 2, 3, 999), 0);
	tl_assert_lab_eq(bank_audit(&l, &au), 0);
	ck_assert_int_eq(au.total, NACCT * OPEN + 100);
	/* Only the semaphore and the ordered audit take a snapshot. */
	ck_assert_int_eq(au.is_consistent,
	    k == SYNC_SEMAPHORE || k == SYNC_ORDERED);
	/* The audit left no lock held. */
	tl_assert_lab_eq(bank_transfer(&l, 3, 2, 999), 0);
	check_ok(&l, NACCT * OPEN + 100);
	ledger_detach(&l);
}
END_TEST

/* ------------------------------------------------------------ steps */

START_TEST(test_step_names)
{
	unsigned s;

	for (s = 1; s < STEP_COUNT; s++) {
		const char *n = step_name(s);

		ck_assert_ptr_nonnull(n);
		ck_assert_int_eq(step_parse(n), (int)s);
	}
	ck_assert_ptr_null(step_name(0));
	ck_assert_ptr_null(step_name(STEP_COUNT));
	ck_assert_ptr_null(step_name(UINT32_MAX));
	ck_assert_str_eq(step_name(STEP_LOCK), "lock");
	ck_assert_str_eq(step_name(STEP_READ_FROM), "read_from");
	ck_assert_str_eq(step_name(STEP_READ_TO), "read_to");
	ck_assert_str_eq(step_name(STEP_WRITE_FROM), "write_from");
	ck_assert_str_eq(step_name(STEP_WRITE_TO), "write_to");
	ck_assert_str_eq(step_name(STEP_UNLOCK), "unlock");
	ck_assert_str_eq(step_name(STEP_FIRST_LOCK), "first_lock");
	ck_assert_str_eq(step_name(STEP_AUDIT_READ), "audit_read");
	ck_assert_int_eq(step_parse("bogus"), -1);
	ck_assert_int_eq(step_parse(""), -1);
	ck_assert_int_eq(step_parse("LOCK"), -1);
}
END_TEST

struct steps {
	unsigned n;
	unsigned step[16];
	int64_t from_seen[16];	/* account 0's balance at each step */
	unsigned first_locks;	/* first_lock points, counted apart */
};

static void
record_step(struct ledger *l, unsigned step, void *arg)
{
	struct steps *st = arg;

	/* Only two-lock variants have it: the lists below leave it out. */
	if (step == STEP_FIRST_LOCK) {
		st->first_locks++;
		return;
	}
	if (st->n < 16) {
		st->from_seen[st->n] = tl_ld_i64(&l->acct[0].balance);
		st->step[st->n] = step;
	}
	st->n++;
}

static void
expect_steps(const struct steps *st, const unsigned *want, unsigned n)
{
	char got[256] = "", exp[256] = "";
	unsigned i;

	for (i = 0; i < st->n && i < 16; i++) {
		strcat(got, " ");
		strcat(got, step_name(st->step[i]) ?
		    step_name(st->step[i]) : "?");
	}
	for (i = 0; i < n; i++) {
		strcat(exp, " ");
		strcat(exp, step_name(want[i]));
	}
	ck_assert_msg(st->n == n && memcmp(st->step, want,
	    n * sizeof(*want)) == 0, "steps:%s, want:%s", got, exp);
}

START_TEST(test_step_order)
{
	static const unsigned transfer[] = { STEP_LOCK,
		STEP_READ_FROM, STEP_READ_TO, STEP_WRITE_FROM,
		STEP_WRITE_TO, STEP_UNLOCK };
	static const unsigned refused[] = { STEP_LOCK,
		STEP_READ_FROM, STEP_UNLOCK };
	static const unsigned deposit[] = { STEP_LOCK,
		STEP_READ_TO, STEP_WRITE_TO, STEP_UNLOCK };
	static const unsigned withdraw[] = { STEP_LOCK,
		STEP_READ_FROM, STEP_WRITE_FROM, STEP_UNLOCK };
	struct steps st;
	struct ledger l;

	open_ledger((enum sync_kind)_i, &l);
	memset(&st, 0, sizeof(st));
	l.step = record_step;
	l.step_arg = &st;
	tl_assert_lab_eq(bank_transfer(&l, 0, 1, 100), 0);
	expect_steps(&st, transfer, 6);
	ck_assert_uint_eq(st.first_locks, _i == SYNC_ROBUST ||
	    _i == SYNC_ORDERED ? 1 : 0);
	/* The debit is visible at write_from, not before. */
	ck_assert_int_eq(st.from_seen[2], OPEN);
	ck_assert_int_eq(st.from_seen[3], OPEN - 100);

	memset(&st, 0, sizeof(st));
	tl_assert_lab_eq(bank_transfer(&l, 0, 1, 10 * OPEN), -LAB_EFUNDS);
	expect_steps(&st, refused, 3);

	memset(&st, 0, sizeof(st));
	tl_assert_lab_eq(bank_deposit(&l, 2, 1), 0);
	expect_steps(&st, deposit, 4);

	memset(&st, 0, sizeof(st));
	tl_assert_lab_eq(bank_withdraw(&l, 2, 1), 0);
	expect_steps(&st, withdraw, 4);

	/* Bad arguments are refused before the first step. */
	memset(&st, 0, sizeof(st));
	tl_assert_lab_eq(bank_transfer(&l, 0, 0, 1), -LAB_ESAME);
	tl_assert_lab_eq(bank_deposit(&l, 0, 0), -LAB_EAMOUNT);
	ck_assert_uint_eq(st.n, 0);
	l.step = NULL;
	check_ok(&l, NACCT * OPEN);
	ledger_detach(&l);
}
END_TEST

/* ------------------------------------------------------------ suite */

static TCase *
tcase(Suite *s, const char *name)
{
	/* Single process: nothing should wait, but a bug could. */
	return tl_tcase(s, name, 20);
}

static Suite *
bank_suite(void)
{
	Suite *s = suite_create("bank");
	TCase *tc;

	tc = tcase(s, "operations");
	tcase_add_loop_test(tc, test_operations, SYNC_NONE, SYNC_COUNT);

	tc = tcase(s, "refusals");
	tcase_add_loop_test(tc, test_withdraw_refused, SYNC_NONE, SYNC_COUNT);
	tcase_add_loop_test(tc, test_transfer_refused, SYNC_NONE, SYNC_COUNT);

	tc = tcase(s, "arguments");
	tcase_add_loop_test(tc, test_bad_arguments, SYNC_NONE, SYNC_COUNT);
	tcase_add_loop_test(tc, test_observer_no_slot, SYNC_NONE, SYNC_COUNT);

	tc = tcase(s, "check");
	tcase_add_loop_test(tc, test_check, SYNC_NONE, SYNC_COUNT);

	tc = tcase(s, "audit");
	tcase_add_loop_test(tc, test_audit, SYNC_NONE, SYNC_COUNT);

	tc = tcase(s, "steps");
	tcase_add_test(tc, test_step_names);
	tcase_add_loop_test(tc, test_step_order, SYNC_NONE, SYNC_COUNT);
	return s;
}

int
main(void)
{
	return tl_run(bank_suite());
}
