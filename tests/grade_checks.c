/*
 * grade_checks: the checks of the four exercises, and their table.
 *
 * Each runs in a check process linked with the submission's file for its
 * exercise and the stubs for the others (grade.h), so it grades that file
 * alone.  Most replay schedules (the interleaving that breaks a wrong
 * answer, exactly); every run is also judged on the contract the library
 * recorded (contract.h); a few are bounded stress runs.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bank.h"
#include "contract.h"
#include "exercise.h"
#include "grade_util.h"
#include "lab.h"
#include "storm.h"

/*
 * A fresh ledger of this grading: its tag lets the grader sweep it, and
 * the check process's pid keeps it apart from the checks of the other
 * exercises, which run at the same time.
 */
static void
fresh(const char *suffix, const struct ledger_config *cfg, struct ledger *l,
    char *name, size_t len)
{
	snprintf(name, len, "grade-%s-%d%s", getenv("BANKLAB_RUN_TAG"),
	    (int)getpid(), suffix);
	ledger_unlink(name);
	ck_assert_int_eq(sync_create(name, cfg, l), 0);
}

/* A child that joins, takes a lock or the semaphore as told, and waits. */
enum hold_how { HOLD_QUIET, HOLD_SEM_UNPUBLISHED, HOLD_QUIET_AND_DIE };

static pid_t
holder(const char *name, enum hold_how how, uint32_t a)
{
	struct ledger c;
	int fds[2];
	char ok;
	pid_t pid;

	ck_assert_int_eq(pipe(fds), 0);
	fflush(NULL);
	if ((pid = fork()) == 0) {
		if (sync_attach(name, &c) < 0 || ledger_join(&c) < 0)
			_exit(3);
		sync_use(&c, SYNC_ORDERED);
		if (how == HOLD_SEM_UNPUBLISHED) {
			if (sem_wait(&c.hdr->sem) < 0)
				_exit(3);
		} else if (sync_lock_quiet(&c, a) < 0) {
			_exit(3);
		}
		(void)!write(fds[1], "x", 1);
		if (how == HOLD_QUIET_AND_DIE)
			_exit(0);	/* dies holding it */
		sleep(30);
		_exit(0);
	}
	close(fds[1]);
	ck_assert_msg(read(fds[0], &ok, 1) == 1, "the helper process could "
	    "not take its lock");
	close(fds[0]);
	return pid;
}

static void
end(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* ------------------------------------------------------------ 1 */

START_TEST(sem_race_schedule)
{
	struct grade_sched *g = grade_lesson("race");
	struct sched_result r;
	int k;

	for (k = 0; k < g->s.nperms; k++) {
		grade_run(g, SYNC_SEMAPHORE, NULL, k, &r);
		grade_expect_clean(&r, "race.sched under semaphore");
		sched_result_free(&r);
	}
	free(g);
}
END_TEST

START_TEST(sem_explore)
{
	grade_lesson_explore("race", SYNC_SEMAPHORE);
}
END_TEST

/*
 * Two processes wait for a semaphore whose published holder died: both
 * must report it, and neither may post a semaphore it does not hold (two
 * posts would let two processes in at once).
 */
static void
two_waiters(void)
{
	struct ledger_config cfg = { .naccounts = 2, .balance = 1000,
	    .sync = SYNC_SEMAPHORE };
	struct ledger l, c;
	char name[64];
	int i, st[2], v = -1;
	pid_t pid[2], dead;

	grade_repro("(a unit check: the semaphore's published holder died; "
	    "two processes then wait for it)");
	fresh("w", &cfg, &l, name, sizeof(name));
	fflush(NULL);
	if ((dead = fork()) == 0) {
		if (sync_attach(name, &c) < 0 || ledger_join(&c) < 0 ||
		    sem_wait(&c.hdr->sem) < 0)
			_exit(3);
		atomic_store(&c.hdr->sem_holder, c.slot);
		_exit(0);	/* dies holding it */
	}
	waitpid(dead, NULL, 0);
	for (i = 0; i < 2; i++)
		if ((pid[i] = fork()) == 0) {
			if (sync_attach(name, &c) < 0 ||
			    ledger_join(&c) < 0)
				_exit(3);
			sync_use(&c, SYNC_SEMAPHORE);
			c.lock_timeout_ms = 400;
			_exit(bank_deposit(&c, 0, 1) == -LAB_EHOLDERDEAD ? 0 :
			    c.contract[0] != '\0' ? 2 : 1);
		}
	for (i = 0; i < 2; i++)
		waitpid(pid[i], &st[i], 0);
	sem_getvalue(&l.hdr->sem, &v);
	ledger_detach(&l);
	ledger_unlink(name);
	for (i = 0; i < 2; i++)
		ck_assert_msg(WIFEXITED(st[i]) && WEXITSTATUS(st[i]) == 0,
		    "waiter %d of 2 did not report the dead holder (%s)", i + 1,
		    WIFEXITED(st[i]) && WEXITSTATUS(st[i]) == 2 ? "it broke "
		    "the contract" : "it got in, or failed otherwise");
	ck_assert_msg(v == 0, "after both waiters reported the dead holder the "
	    "semaphore's value is %d, not 0: a waiter posted a semaphore it "
	    "did not hold", v);
}

START_TEST(sem_dead_holder)
{
	struct grade_sched *g = grade_lesson("crash");
	struct sched_result r;

	grade_run(g, SYNC_SEMAPHORE, NULL, 0, &r);
	ck_assert_msg(r.error[0] == '\0' && r.contract[0] == '\0',
	    "crash.sched under semaphore: %s%s", r.error, r.contract);
	ck_assert_msg(r.stuck, "crash.sched under semaphore: p1 died holding "
	    "the semaphore, yet nobody reported -LAB_EHOLDERDEAD");
	sched_result_free(&r);
	free(g);
	two_waiters();
}
END_TEST

START_TEST(sem_holder_unknown)
{
	struct ledger_config cfg = { .naccounts = 2, .balance = 1000,
	    .sync = SYNC_SEMAPHORE };
	struct ledger l;
	char name[64];
	pid_t pid;
	int rc;

	grade_repro("(a unit check: another live process holds the semaphore "
	    "and has not published itself; ex_sem_lock must time out)");
	fresh("u", &cfg, &l, name, sizeof(name));
	pid = holder(name, HOLD_SEM_UNPUBLISHED, 0);
	ck_assert_int_eq(ledger_join(&l), 0);
	sync_use(&l, SYNC_SEMAPHORE);
	l.lock_timeout_ms = 400;
	rc = bank_deposit(&l, 0, 1);
	end(pid);
	ledger_detach(&l);
	ledger_unlink(name);
	ck_assert_msg(rc != 0, "ex_sem_lock returned 0 while another process "
	    "held the semaphore");
	ck_assert_msg(l.contract[0] == '\0', "%s", l.contract);
	ck_assert_msg(rc == -LAB_ETIMEDOUT, "with the holder unknown "
	    "(sem_holder -1) and alive, the wait must time out "
	    "(-LAB_ETIMEDOUT), not report: %s", lab_strerror(rc));
}
END_TEST

START_TEST(sem_stress)
{
	struct worker_config w[3];
	struct run_result res;
	int i;

	grade_repro("%s/banklab-race --sync semaphore", grade_note.bin);
	for (i = 0; i < 3; i++) {
		worker_config_default(&w[i]);
		w[i].ops = 2000;
		w[i].mix = WORKER_MIXED;
		w[i].seed = 7 + (uint64_t)i;
	}
	grade_stress(SYNC_SEMAPHORE, 2, w, 3, &res);
	grade_expect_books(&res, "3 workers x 2000 mixed operations under "
	    "semaphore");
	run_result_free(&res);
}
END_TEST

/* ------------------------------------------------------------ 2 */

START_TEST(ord_abba)
{
	grade_lesson_check("deadlock", SYNC_ORDERED);
}
END_TEST

START_TEST(ord_explore)
{
	grade_lesson_explore("deadlock", SYNC_ORDERED);
}
END_TEST

/* Opposite transfers on several pairs: no deadlock, one order for all. */
START_TEST(ord_pairs)
{
	static const int pairs[][2] = { { 0, 1 }, { 1, 2 }, { 0, 3 },
	    { 2, 3 }, { 3, 1 } };
	struct sched_result r;
	struct grade_sched *g;
	uint64_t seen = 0;
	char text[512], what[96];
	unsigned a, b;
	size_t i;

	for (i = 0; i <= sizeof(pairs) / sizeof(pairs[0]); i++) {
		if (i < sizeof(pairs) / sizeof(pairs[0])) {
			/* Unequal balances: an order by balance shows. */
			snprintf(text, sizeof(text), "accounts 4\nbalance 0 "
			    "5000\nbalance 1 20000\nbalance 2 100\nbalance 3 "
			    "9000\nprocess p1 transfer %d %d 100\nprocess p2 "
			    "transfer %d %d 50\n", pairs[i][0], pairs[i][1],
			    pairs[i][1], pairs[i][0]);
			snprintf(what, sizeof(what), "opposite transfers "
			    "between #%d and #%d", pairs[i][0], pairs[i][1]);
			g = grade_spec(text);
			grade_run(g, SYNC_ORDERED, "p1:first_lock "
			    "p2:first_lock p1 p2", 0, &r);
		} else {
			/* The first transfer turns the balances round. */
			g = grade_spec("accounts 2\nbalance 0 1000\nbalance 1 "
			    "1050\nprocess p1 transfer 1 0 100\nprocess p2 "
			    "transfer 0 1 50\n");
			snprintf(what, sizeof(what), "#1 -> #0, then #0 -> #1");
			grade_run(g, SYNC_ORDERED, "p1 p1 p1 p1 p1 p1 p1 p1",
			    0, &r);
		}
		grade_expect_clean(&r, what);
		seen |= r.order_seen;
		ck_assert_msg(!contract_order_conflict(seen, &a, &b), "%s: #%u "
		    "was locked before #%u in one transfer and after it in "
		    "another: the order depends on the call, so two transfers "
		    "can wait for each other", what, a, b);
		sched_result_free(&r);
		free(g);
	}
}
END_TEST

/*
 * The second lock fails (another process holds it): the transfer fails and
 * holds nothing.  Both directions, each account held in turn.
 */
START_TEST(ord_error_path)
{
	struct ledger_config cfg = { .naccounts = 2, .balance = 1000,
	    .sync = SYNC_ORDERED };
	struct ledger l;
	char name[64], sfx[8];
	uint32_t from, held;
	int rc, other;
	pid_t pid;

	grade_repro("(a unit check: a transfer while another process holds "
	    "one of its accounts; it must fail and hold nothing)");
	for (from = 0; from < 2; from++)
		for (held = 0; held < 2; held++) {
			snprintf(sfx, sizeof(sfx), "e%u%u", from, held);
			fresh(sfx, &cfg, &l, name, sizeof(name));
			pid = holder(name, HOLD_QUIET, held);
			ck_assert_int_eq(ledger_join(&l), 0);
			sync_use(&l, SYNC_ORDERED);
			l.lock_timeout_ms = 200;
			rc = bank_transfer(&l, from, 1 - from, 10);
			other = pthread_mutex_trylock(&l.acct[1 - held].mutex);
			if (other == 0)
				pthread_mutex_unlock(&l.acct[1 - held].mutex);
			end(pid);
			ledger_detach(&l);
			ledger_unlink(name);
			ck_assert_msg(rc < 0, "transfer #%u -> #%u took #%u, "
			    "which another process holds", from, 1 - from,
			    held);
			ck_assert_msg(l.contract[0] == '\0', "transfer #%u -> "
			    "#%u with #%u held elsewhere: %s", from, 1 - from,
			    held, l.contract);
			ck_assert_msg(other == 0, "transfer #%u -> #%u failed "
			    "on #%u and still holds #%u", from, 1 - from, held,
			    1 - held);
		}
}
END_TEST

START_TEST(ord_stress)
{
	struct worker_config w[2];
	struct run_result res;
	int i;

	grade_repro("%s/banklab-deadlock --sync ordered", grade_note.bin);
	for (i = 0; i < 2; i++) {
		worker_config_default(&w[i]);
		w[i].ops = 600;
		w[i].seed = 11 + (uint64_t)i;
	}
	grade_stress(SYNC_ORDERED, 4, w, 2, &res);
	grade_expect_books(&res, "2 workers x 600 transfers in both "
	    "directions under ordered");
	run_result_free(&res);
}
END_TEST

/* ------------------------------------------------------------ 3 */

static const enum sync_kind robust_kinds[] = { SYNC_ROBUST, SYNC_ORDERED };

static void quiet_owner(void);

START_TEST(rep_crash_schedule)
{
	struct grade_sched *g = grade_lesson("crash");
	struct sched_result r;
	char what[64];
	size_t i;

	for (i = 0; i < 2; i++) {
		snprintf(what, sizeof(what), "crash.sched under %s",
		    ledger_sync_name(robust_kinds[i]));
		grade_run(g, robust_kinds[i], NULL, 0, &r);
		grade_expect_clean(&r, what);
		ck_assert_msg(r.repairs >= 1, "%s: nobody repaired the dead "
		    "worker's locks", what);
		sched_result_free(&r);
	}
	free(g);
	quiet_owner();
}
END_TEST

/* Kill p1 at every step of its operation; p2 then does the same. */
START_TEST(rep_every_step)
{
	static const struct {
		const char *spec;
		const char *steps[9];
	} ops[] = {
		{ "process p1 transfer 0 1 4000\nprocess p2 transfer 0 1 "
		    "100\n", { "lock", "first_lock", "read_from", "read_to",
		    "write_from", "write_to", "unlock_second", "unlock" } },
		{ "process p1 deposit 0 4000\nprocess p2 deposit 0 100\n",
		    { "lock", "read_to", "write_to", "unlock" } },
		{ "process p1 withdraw 0 4000\nprocess p2 withdraw 0 100\n",
		    { "lock", "read_from", "write_from", "unlock" } },
	};
	struct grade_sched *g;
	char line[64], what[128];
	size_t o, i, k;
	int op_len;

	for (o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
		/* p1's operation, for the why: its line, up to 40. */
		op_len = (int)strcspn(ops[o].spec + 11, "\n");
		op_len = op_len < 40 ? op_len : 40;
		g = grade_spec(ops[o].spec);
		for (k = 0; k < 2; k++)
			for (i = 0; ops[o].steps[i] != NULL; i++) {
				/* Everyone starts parked at lock: kill it
				 * there, before it took anything. */
				if (i == 0)
					snprintf(line, sizeof(line),
					    "p1:KILL p2");
				else
					snprintf(line, sizeof(line),
					    "p1:%s p1:KILL p2",
					    ops[o].steps[i]);
				snprintf(what, sizeof(what), "%.*s killed at "
				    "%s under %s", op_len, ops[o].spec + 11,
				    ops[o].steps[i],
				    ledger_sync_name(robust_kinds[k]));
				grade_sched_check(g, robust_kinds[k], line,
				    what);
			}
		free(g);
	}
}
END_TEST

START_TEST(rep_reverse)
{
	struct grade_sched *g = grade_spec("process p1 transfer 1 0 4000\n"
	    "process p2 transfer 1 0 100\nprocess p3 transfer 0 1 10\n");
	char what[96];
	size_t k;

	/* The debit is on the account locked second under ordered. */
	for (k = 0; k < 2; k++) {
		snprintf(what, sizeof(what), "two transfers #1 -> #0 killed "
		    "one after the other under %s",
		    ledger_sync_name(robust_kinds[k]));
		grade_sched_check(g, robust_kinds[k], "p1:write_from p1:KILL "
		    "p2:write_from p2:KILL p3", what);
	}
	free(g);
}
END_TEST

/*
 * After a repair the repaired account moves on, while the dead process's
 * other lock waits for its own repairer: that repair must touch only its
 * account.  And a process killed between its two unlocks died with its
 * operation done: nothing may be rolled back.
 */
static void hostile_journal(void);

START_TEST(rep_one_account)
{
	static const struct {
		const char *line, *what;
	} runs[] = {
		{ "p1:write_from p1:KILL", "p1 killed after its debit; p2 "
	    "repairs #1 and deposits on it; then p3 repairs #0" },
	{ "p1:write_to p1:KILL", "p1 killed holding both locks; p2 "
		    "repairs #1 and deposits on it; then p3 repairs #0" },
		{ "p1:unlock_second p1:KILL", "p1 killed between its two "
		    "unlocks (its transfer done); p2 deposits on #1; p3 "
		    "locks #0" },
	};
	struct grade_sched *g = grade_spec("process p1 transfer 0 1 4000\n"
	    "process p2 deposit 1 500\nprocess p3 transfer 0 1 10\n");
	char what[160];
	size_t i, k;

	for (i = 0; i < sizeof(runs) / sizeof(runs[0]); i++)
		for (k = 0; k < 2; k++) {
			snprintf(what, sizeof(what), "%s, under %s",
			    runs[i].what, ledger_sync_name(robust_kinds[k]));
			grade_sched_check(g, robust_kinds[k], runs[i].line,
			    what);
		}
	free(g);
	hostile_journal();
}
END_TEST

/* An owner that held the lock quietly (an audit) is in no slot's holds. */
static void
quiet_owner(void)
{
	struct ledger_config cfg = { .naccounts = 2, .balance = 1000,
	    .sync = SYNC_ORDERED };
	struct bank_check bc;
	struct ledger l;
	char name[64];
	int rc1, rc2;
	pid_t pid;

	grade_repro("(a unit check: an auditor dies holding #0's lock, "
	    "listed in no slot; two deposits on #0 follow)");
	fresh("q", &cfg, &l, name, sizeof(name));
	pid = holder(name, HOLD_QUIET_AND_DIE, 0);
	waitpid(pid, NULL, 0);
	ck_assert_int_eq(ledger_join(&l), 0);
	sync_use(&l, SYNC_ORDERED);
	l.lock_timeout_ms = 1000;
	rc1 = bank_deposit(&l, 0, 100);
	rc2 = bank_deposit(&l, 0, 100);
	bank_check(&l, &bc);
	ledger_detach(&l);
	ledger_unlink(name);
	ck_assert_msg(rc1 == 0, "the first deposit after the auditor died "
	    "failed: %s", lab_strerror(rc1));
	ck_assert_msg(rc2 == 0, "the second deposit failed: %s (with no dead "
	    "slot found, is the mutex still made consistent?)",
	    lab_strerror(rc2));
	ck_assert_msg(bc.is_ok, "the books say %" PRId64 " cents, the "
	    "accounts hold %" PRId64, bc.expected, bc.observed);
}

/*
 * A dead owner's journal is shared memory it wrote, maybe half-written or
 * forged: a before-image out of range must not be restored.
 */
static void
hostile_journal(void)
{
	struct ledger_config cfg = { .naccounts = 2, .balance = 1000,
	    .sync = SYNC_ORDERED };
	struct ledger_journal *j;
	struct bank_check bc;
	struct ledger l, c;
	int64_t b0 = -1;
	char name[64];
	pid_t pid;
	int rc;

	grade_repro("(a unit check: the owner of #0 died with a journal whose "
	    "before-image of #0 is -5 cents)");
	fresh("j", &cfg, &l, name, sizeof(name));
	fflush(NULL);
	if ((pid = fork()) == 0) {
		if (sync_attach(name, &c) < 0 || ledger_join(&c) < 0)
			_exit(3);
		sync_use(&c, SYNC_ORDERED);
		if (sync_lock_first(&c, 0) < 0)
			_exit(3);
		j = &c.slots[c.slot].journal;
		j->op = LEDGER_OP_TRANSFER;
		j->n = 2;
		j->acct[0] = 0;
		j->acct[1] = 1;
		j->before[0] = -5;
		j->before[1] = LEDGER_BALANCE_MAX + 1;
		atomic_store(&j->state, LEDGER_J_BEGUN);
		_exit(0);	/* dies holding #0 */
	}
	waitpid(pid, NULL, 0);
	ck_assert_int_eq(ledger_join(&l), 0);
	sync_use(&l, SYNC_ORDERED);
	l.lock_timeout_ms = 1000;
	rc = bank_deposit(&l, 0, 100);
	if (rc == 0)
		bank_balance(&l, 0, &b0);
	bank_check(&l, &bc);
	ledger_detach(&l);
	ledger_unlink(name);
	ck_assert_msg(rc == 0, "the deposit after the owner died failed: %s",
	    lab_strerror(rc));
	ck_assert_msg(b0 == 1100 && bc.is_ok, "the owner of #0 died with a "
	    "journal whose before-image is -5 cents; after the repair and a "
	    "deposit of 100, #0 holds %" PRId64 " cents, not 1100: the "
	    "journal's images must be checked before use", b0);
}

START_TEST(rep_storm)
{
	struct storm_config c;
	struct storm_result r;
	int rc;

	storm_config_default(&c);
	c.worker = getenv("BANKLAB_WORKER");
	c.kills = 150;
	c.workers = 4;
	c.timeout_ms = 20000;
	c.is_repair_only = true;
	c.ops = 1000;	/* each 0.4 s or more: 200 us windows */
	c.run_tag = getenv("BANKLAB_RUN_TAG");	/* the grader sweeps it */
	grade_repro("%s/banklab-storm --kills 150 --workers 4 --seed %"
	    PRIu64 " (the check's storm: ascending one-cent transfers, no "
	    "auditor)", grade_note.bin, c.seed);
	rc = storm_run(&c, &r);
	ck_assert_msg(rc == 0, "the storm could not run: %s",
	    lab_strerror(rc));
	ck_assert_msg(!r.timed_out, "the storm did not end in 20 s: a lock "
	    "never repaired or made consistent?");
	ck_assert_msg(r.check.lost_cents == 0, "after %" PRIu64 " kills the "
	    "books say %" PRId64 " cents, the accounts hold %" PRId64,
	    r.kills, r.check.expected, r.check.observed);
	ck_assert_msg(r.is_ok, "the storm failed: %" PRIu64 " lock errors, "
	    "%" PRIu64 " workers ended badly (first: %s)", r.lock_errors,
	    r.failed, r.first_failure);
}
END_TEST

/* ------------------------------------------------------------ 4 */

START_TEST(aud_torn_schedule)
{
	grade_lesson_check("stale", SYNC_ORDERED);
}
END_TEST

START_TEST(aud_explore)
{
	grade_lesson_explore("stale", SYNC_ORDERED);
}
END_TEST

START_TEST(aud_midtransfer)
{
	static const char *const perms[][2] = {
		/* p1 has debited #0, not yet credited #1: wait for it. */
		{ "p1:write_from p2 p2 p2 p2 p2 p2 p2 p2",
		    "an audit while a transfer has debited but not credited" },
		/* p2 has read #0; p1's whole transfer runs; p2 reads on. */
		{ "p2 p2 p2 p2:audit_read p1:unlock p2 p2 p2 p2 p2 p2",
		    "an audit with a whole transfer between two of its reads" },
	};
	/* p2 first deposits on an account p1 does not touch, so that its
	 * audit starts only once p1 is under way, however it is written. */
	struct grade_sched *g = grade_spec("accounts 3\nprocess p1 transfer "
	    "0 1 2500\nprocess p2 deposit 2 1; audit\n");
	size_t i;

	for (i = 0; i < 2; i++)
		grade_sched_check(g, SYNC_ORDERED, perms[i][0], perms[i][1]);
	free(g);
}
END_TEST

/*
 * Two passes can tear alike: their sums match while the versions moved.
 * And on three accounts, seeded random schedules find an audit that lets
 * a transfer slip behind it (one pass, hand over hand).
 */
START_TEST(aud_two_passes)
{
	struct grade_sched *g = grade_spec("process p1 transfer 0 1 100; "
	    "transfer 1 0 100; transfer 0 1 100\nprocess p2 audit\n");
	struct grade_sched *h = grade_spec("accounts 3\nprocess p1 transfer "
	    "2 0 2500\nprocess p2 audit\n");

	/* Pass 1 reads #0, then #1 after one transfer; pass 2 reads #0
	 * after a second, #1 after a third: both sums 201.00 of 200.00. */
	grade_sched_check(g, SYNC_ORDERED, "p1 p1 p2 p1 p1 p1 p1 p1 p1 p1 p1 "
	    "p1 p1 p1 p1 p2 p1 p1 p2 p1 p1 p1 p1 p1 p2", "two passes torn "
	    "alike: same sums, same balances, other versions");
	free(g);
	grade_explore(h, SYNC_ORDERED, SCHED_RANDOM, 40, "a transfer #2 -> "
	    "#0 and an audit of 3 accounts");
	free(h);
}
END_TEST

START_TEST(aud_stress)
{
	struct worker_config w[3];
	struct run_result res;
	uint64_t stale = 0, audits = 0;
	unsigned i;

	grade_repro("%s/banklab-stale --sync ordered", grade_note.bin);
	for (i = 0; i < 3; i++) {
		worker_config_default(&w[i]);
		w[i].ops = 300;
		w[i].seed = 21 + i;
		w[i].ascending = true;	/* grade the audit, not the locks */
	}
	w[2].mix = WORKER_AUDIT;
	w[2].ops = 100000;
	w[2].until_ops = 600;
	grade_stress(SYNC_ORDERED, 8, w, 3, &res);
	for (i = 0; i < res.n; i++) {
		stale += res.w[i].res.stale_audits;
		audits += res.w[i].res.audits;
	}
	grade_expect_books(&res, "2 writers and an auditor under ordered");
	run_result_free(&res);
	ck_assert_msg(audits > 0, "the auditor made no audit");
	ck_assert_msg(stale == 0, "%" PRIu64 " of %" PRIu64 " audits saw a "
	    "total that never existed", stale, audits);
}
END_TEST

/* What an auditor process found: over a pipe from it. */
struct busy_report {
	int rc;			/* the first audit that failed, else 0 */
	unsigned audits;
	uint64_t held_max;
};

/*
 * Audits while a writer moves a cent at a time as fast as it can (to the
 * higher account: any lock order is safe).  On 8 accounts nearly every
 * double collect is torn: the audit must still succeed (holding the locks
 * when collects keep failing).  Over SYNC_AUDIT_HOLD_MAX it may not hold
 * them all: it must give up with -LAB_EBUSY once l->lock_timeout_ms is
 * spent.
 */
static void
busy(uint32_t n, unsigned audits, unsigned timeout_ms, unsigned window,
    struct busy_report *b)
{
	struct ledger_config cfg = { .naccounts = n, .balance = 1000000,
	    .sync = SYNC_ORDERED };
	struct sync_audit a;
	struct ledger l, c;
	struct pollfd pf;
	uint64_t rng = 1;
	char name[64], ok;
	int fds[2], ready[2], got;
	pid_t writer, auditor;
	uint64_t k;
	uint32_t i;

	fresh("w", &cfg, &l, name, sizeof(name));
	ck_assert_int_eq(pipe(ready), 0);
	fflush(NULL);
	if ((writer = fork()) == 0) {
		if (sync_attach(name, &c) < 0 || ledger_join(&c) < 0)
			_exit(3);
		sync_use(&c, SYNC_ORDERED);
		c.lock_timeout_ms = 60000;
		for (k = 0;; k++) {
			i = (uint32_t)(lab_rand(&rng) % (n - 1));
			bank_transfer(&c, i, i + 1, 1);
			if (k == 1000)	/* writing at full speed now */
				(void)!write(ready[1], "x", 1);
		}
	}
	close(ready[1]);
	ck_assert_msg(read(ready[0], &ok, 1) == 1, "the writer did not start");
	close(ready[0]);
	ck_assert_int_eq(pipe(fds), 0);
	if ((auditor = fork()) == 0) {
		memset(b, 0, sizeof(*b));
		if (sync_attach(name, &c) < 0 || ledger_join(&c) < 0)
			_exit(3);
		sync_use(&c, SYNC_ORDERED);
		c.lock_timeout_ms = timeout_ms;
		c.window = window;	/* a long collect, however busy the CPU */
		for (b->audits = 0; b->audits < audits && b->rc == 0;
		    b->audits++)
			b->rc = bank_audit(&c, &a);
		b->held_max = c.held_max;
		(void)!write(fds[1], b, sizeof(*b));
		_exit(0);
	}
	close(fds[1]);
	pf = (struct pollfd){ fds[0], POLLIN, 0 };
	got = poll(&pf, 1, (int)timeout_ms * (int)audits + 4000) == 1 &&
	    read(fds[0], b, sizeof(*b)) == sizeof(*b);
	close(fds[0]);
	end(auditor);
	end(writer);
	ledger_detach(&l);
	ledger_unlink(name);
	ck_assert_msg(got, "on %u accounts under constant writing an audit did "
	    "not return within %u ms of its time limit (%u ms): does it ever "
	    "give up?", n, 4000, timeout_ms);
}

static void
aud_busy(void)
{
	struct busy_report b;

	grade_repro("(a unit check: audits while another process transfers "
	    "without pause)");
	busy(8, 20, 2000, 0, &b);
	ck_assert_msg(b.rc == 0, "on 8 accounts under constant writing audit "
	    "%u of 20 failed: %s (when collects keep failing, a small ledger "
	    "can hold every lock, in order)", b.audits, lab_strerror(b.rc));
	/* Just over the limit, with a pause after each read: eight collects
	 * fail well within the 1.5 s, however busy the CPUs are. */
	busy(SYNC_AUDIT_HOLD_MAX + 100, 1, 1500, 2, &b);
	ck_assert_msg(b.held_max <= SYNC_AUDIT_HOLD_MAX, "on %d accounts the "
	    "audit held %" PRIu64 " robust mutexes at once (at most %d: the "
	    "kernel recovers only 2048 of a dying process's)",
	    SYNC_AUDIT_HOLD_MAX + 100, b.held_max, SYNC_AUDIT_HOLD_MAX);
	ck_assert_msg(b.rc == 0 || b.rc == -LAB_EBUSY, "on %d accounts under "
	    "constant writing the audit failed: %s (want a total, or "
	    "-LAB_EBUSY once l->lock_timeout_ms is spent)",
	    SYNC_AUDIT_HOLD_MAX + 100, lab_strerror(b.rc));
	/*
	 * Once more with a 200 us pause: a collect takes a quarter of a
	 * second, so an audit that never gives up escapes only if the writer
	 * gets no CPU for half a second (two clean collects in a row); with
	 * the 2 us pause above a loaded machine (mutants graded six at a
	 * time) once let one through.  A right answer gives up within the
	 * 1.5 s and one double collect.
	 */
	busy(SYNC_AUDIT_HOLD_MAX + 100, 1, 1500, 200, &b);
	ck_assert_msg(b.rc == 0 || b.rc == -LAB_EBUSY, "on %d accounts under "
	    "slow, constant writing the audit failed: %s",
	    SYNC_AUDIT_HOLD_MAX + 100, lab_strerror(b.rc));
}

START_TEST(aud_large)
{
	struct ledger_config cfg = { .naccounts = 3000, .balance = 1000,
	    .sync = SYNC_ORDERED };
	struct worker_config w[2];
	struct run_result res;
	struct sync_audit a;
	struct ledger l, c;
	char name[64];
	pid_t pid;
	int rc;

	grade_repro("(a run of 3000 accounts: one writer, one auditor)");
	/* Consistent on a ledger too big to hold every lock ... */
	worker_config_default(&w[0]);
	w[0].ops = 3000;
	w[0].seed = 5;
	w[0].ascending = true;
	worker_config_default(&w[1]);
	w[1].mix = WORKER_AUDIT;
	w[1].ops = 2;
	grade_stress(SYNC_ORDERED, 3000, w, 2, &res);
	ck_assert_msg(res.w[1].res.stale_audits == 0, "on 3000 accounts an "
	    "audit saw a total that never existed");
	ck_assert_msg(res.w[1].res.failed == 0, "on 3000 accounts the audit "
	    "failed: %s", lab_strerror(res.w[1].res.first_error));
	/* ... holding at most SYNC_AUDIT_HOLD_MAX locks: the library counts. */
	ck_assert_msg(res.w[1].res.held_max <= SYNC_AUDIT_HOLD_MAX, "the audit "
	    "held %" PRIu64 " robust mutexes at once (at most %d: the kernel "
	    "recovers only 2048 of a dying process's)", res.w[1].res.held_max,
	    SYNC_AUDIT_HOLD_MAX);
	run_result_free(&res);

	/* Killed mid-audit, it leaves no lock that cannot be recovered. */
	fresh("b", &cfg, &l, name, sizeof(name));
	fflush(NULL);
	if ((pid = fork()) == 0) {
		if (sync_attach(name, &c) < 0 || ledger_join(&c) < 0)
			_exit(3);
		sync_use(&c, SYNC_ORDERED);
		for (;;)
			bank_audit(&c, &a);
	}
	usleep(150000);
	end(pid);
	ck_assert_int_eq(ledger_join(&l), 0);
	sync_use(&l, SYNC_ORDERED);
	l.lock_timeout_ms = 2000;
	rc = bank_transfer(&l, 0, 2400, 1);
	if (rc == 0)
		rc = bank_transfer(&l, 2999, 0, 1);
	ledger_detach(&l);
	ledger_unlink(name);
	ck_assert_msg(rc == 0, "after the auditor died mid-audit, a transfer "
	    "on #0, #2400 or #2999 failed: %s", lab_strerror(rc));
	aud_busy();
}
END_TEST

/* ------------------------------------------------------------ the table */

const char *const grade_exercise_name[GRADE_EXERCISES + 1] = { "",
    "semaphore", "ordered", "repair", "audit" };

#define LOCKS	"ex_sem_lock did not return: is the semaphore posted?"
#define PAIR	"ex_lock_pair did not return: deadlock?"
#define REPAIR	"the next locker did not return: is the mutex made consistent?"
#define AUDIT	"ex_audit did not return: a lock not released, or no timeout?"

const struct grade_check grade_checks[] = {
	{ 1, "sem_race_schedule", &sem_race_schedule, 2, 8,
	    "the lost-update schedules: a second process waits for the lock",
	    LOCKS },
	{ 1, "sem_explore", &sem_explore, 2, 10,
	    "every interleaving of a withdrawal and a deposit keeps the money",
	    LOCKS },
	{ 1, "sem_dead_holder", &sem_dead_holder, 2, 10,
	    "a holder killed mid-transfer is reported (-LAB_EHOLDERDEAD)",
	    "ex_sem_lock did not return after its holder died: deadline?" },
	{ 1, "sem_holder_unknown", &sem_holder_unknown, 2, 8,
	    "a live holder that never published itself is waited for, then "
	    "-LAB_ETIMEDOUT", "ex_sem_lock did not return: deadline?" },
	{ 1, "sem_stress", &sem_stress, 2, 20,
	    "3 processes x 2000 mixed operations keep the books", LOCKS },
	{ 2, "ord_abba", &ord_abba, 2, 8,
	    "the ABBA schedule does not deadlock", PAIR },
	{ 2, "ord_explore", &ord_explore, 2, 10,
	    "no interleaving of two opposite transfers deadlocks", PAIR },
	{ 2, "ord_pairs", &ord_pairs, 2, 10,
	    "opposite transfers on six account pairs: one lock order for all",
	    PAIR },
	{ 2, "ord_error_path", &ord_error_path, 2, 8,
	    "when a lock fails, the transfer fails holding nothing (4 cases)",
	    "the transfer did not give up: is l->lock_timeout_ms kept?" },
	{ 2, "ord_stress", &ord_stress, 2, 20,
	    "2 processes x 600 transfers both ways: no deadlock, no loss",
	    PAIR },
	{ 3, "rep_crash_schedule", &rep_crash_schedule, 2, 8,
	    "a transfer killed after its debit is rolled back; an owner in "
	    "no slot", REPAIR },
	{ 3, "rep_every_step", &rep_every_step, 3, 20,
	    "a transfer, deposit, withdrawal killed at each step: all or "
	    "nothing", REPAIR },
	{ 3, "rep_reverse", &rep_reverse, 1, 8,
	    "two dying transfers in a row, debit on the second-locked account",
	    REPAIR },
	{ 3, "rep_one_account", &rep_one_account, 2, 10,
	    "a repair restores its own account only, never a finished "
	    "operation nor an image out of range", REPAIR },
	{ 3, "rep_storm", &rep_storm, 2, 20,
	    "150 kills among 4 transferring workers: not a cent lost", REPAIR },
	{ 4, "aud_torn_schedule", &aud_torn_schedule, 2, 8,
	    "the torn-audit schedule sees a total that existed", AUDIT },
	{ 4, "aud_explore", &aud_explore, 1, 10,
	    "no interleaving of an audit and a transfer tears the total",
	    AUDIT },
	{ 4, "aud_midtransfer", &aud_midtransfer, 1, 8,
	    "an audit during a half-done transfer waits for it", AUDIT },
	{ 4, "aud_two_passes", &aud_two_passes, 2, 10,
	    "passes torn alike are caught; 3 accounts under random schedules",
	    AUDIT },
	{ 4, "aud_stress", &aud_stress, 1, 20,
	    "2 writers and an auditor: every audit total existed", AUDIT },
	{ 4, "aud_large", &aud_large, 3, 40,
	    "3000 accounts: consistent, at most 1024 locks, none left by a "
	    "killed auditor; under constant writing 8 accounts are always "
	    "audited, 1124 give up in time", AUDIT },
};

const unsigned grade_ncheck = sizeof(grade_checks) / sizeof(grade_checks[0]);
