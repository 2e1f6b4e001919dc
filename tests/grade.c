/*
 * grade: the graders of the four exercises (lab/exercise.h).
 *
 * Built by tests/grade.sh against one directory of exercise files (linked
 * ahead of lab/liblab.a, so they replace the library's), together with a
 * `banklab` worker built the same way.  Every check is a Check test run in
 * its own process under a timeout; most replay a schedule step by step
 * (the interleaving that breaks a wrong answer, run exactly), a few are
 * bounded stress runs.  Each check has points, one line saying what it
 * verifies, and the command that shows a failure.  Output: a score table,
 * and with --json/--junit, Gradescope's results.json and JUnit XML.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bank.h"
#include "exercise.h"
#include "lab.h"
#include "run.h"
#include "sched_cli.h"
#include "schedule.h"

/* ------------------------------------------------------------ helpers */

static struct sched_spec *
lesson(const char *name)
{
	struct sched_spec *s = malloc(sizeof(*s));
	char path[4096], err[512];

	ck_assert_ptr_nonnull(s);
	ck_assert_msg(sched_find_lesson(name, path, sizeof(path)) == 0,
	    "%s.sched not found (BANKLAB_SCHEDULES?)", name);
	ck_assert_msg(sched_parse_file(path, s, err, sizeof(err)) == 0, "%s",
	    err);
	return s;
}

static struct sched_spec *
spec(const char *text)
{
	struct sched_spec *s = malloc(sizeof(*s));
	char err[512];

	ck_assert_ptr_nonnull(s);
	ck_assert_msg(sched_parse_text(text, "grader", s, err,
	    sizeof(err)) == 0, "%s", err);
	return s;
}

/* Run s under v with permutation line (NULL: the file's k-th). */
static void
run(const struct sched_spec *s, enum sync_kind v, const char *line, int k,
    struct sched_result *r)
{
	struct sched_perm *p = malloc(sizeof(*p));
	char err[256];

	ck_assert_ptr_nonnull(p);
	if (line != NULL)
		ck_assert_msg(sched_parse_perm(line, s, p, err,
		    sizeof(err)) == 0, "%s", err);
	else
		*p = s->perm[k];
	memset(r, 0, sizeof(*r));
	sched_run(s, v, p, NULL, r);
	free(p);
}

/* The run must have ended cleanly: no anomaly, every operation done. */
static void
expect_clean(const struct sched_result *r, const char *what)
{
	ck_assert_msg(r->error[0] == '\0', "%s: %s", what, r->error);
	ck_assert_msg(!r->deadlock, "%s: the processes deadlocked", what);
	ck_assert_msg(r->stale_audits == 0, "%s: an audit saw a total that "
	    "never existed (off by %" PRId64 " cents)", what,
	    r->worst_deviation);
	ck_assert_msg(r->check.lost_writes == 0, "%s: %" PRId64 " balance "
	    "writes were lost (a lost update)", what, r->check.lost_writes);
	ck_assert_msg(r->check.lost_cents == 0, "%s: the books say %" PRId64
	    " cents, the accounts hold %" PRId64, what, r->check.expected,
	    r->check.observed);
	ck_assert_msg(r->failed == 0, "%s: %" PRIu64 " operations failed "
	    "on a lock", what, r->failed);
	ck_assert_msg(r->recover_rc == 0, "%s: afterwards the accounts "
	    "cannot all be locked: %s", what, lab_strerror(r->recover_rc));
}

struct bad_runs {
	unsigned bad;
	char why[256];
};

static void
count_bad(const struct sched_result *r, unsigned run_no, void *arg)
{
	struct bad_runs *b = arg;

	if (r->anomaly || r->failed > 0 || r->error[0] != '\0') {
		if (b->bad++ == 0)
			snprintf(b->why, sizeof(b->why), "run %u: %s%s", run_no,
			    r->error[0] ? r->error : r->deadlock ? "deadlock" :
			    r->stale_audits ? "torn audit" : r->failed ?
			    "an operation failed on a lock" : "money or "
			    "updates lost", "");
	}
}

static void
explore_all(const struct sched_spec *s, enum sync_kind v, const char *what)
{
	/* A wrong answer's failing runs can each wait out a timeout: the
	 * first one is enough to say so. */
	struct sched_explore_opts o = { SCHED_REPLAY, 0, 1, 2, 20000, 1 };
	struct sched_explore_stats st;
	struct bad_runs b = { 0, "" };

	ck_assert_int_eq(sched_explore(s, v, &o, count_bad, &b, &st), 0);
	ck_assert_msg(b.bad == 0, "%s: %u of %u interleavings went wrong, "
	    "first %s", what, b.bad, st.runs, b.why);
}

/* A bounded stress run of P workers on a fresh ledger. */
static void
stress(enum sync_kind v, uint32_t accounts, struct worker_config *each,
    unsigned procs, struct run_result *res)
{
	struct ledger_config cfg = { .naccounts = accounts,
	    .balance = 1000000, .sync = v };
	struct run_config rc;
	struct ledger l;
	char name[64];
	unsigned i;

	snprintf(name, sizeof(name), "grade-%s-s", getenv("BANKLAB_RUN_TAG"));
	ledger_unlink(name);
	ck_assert_int_eq(ledger_create(name, &cfg, &l), 0);
	/* The first lock error ends a worker: a deadlock fails fast. */
	for (i = 0; i < procs; i++)
		each[i].stop_on_error = true;
	run_config_default(&rc);
	rc.procs = procs;
	rc.w = each[0];
	rc.each = each;
	rc.sync = v;
	rc.window = 20;
	rc.lock_timeout_ms = 2000;
	rc.timeout_ms = 15000;
	ck_assert_int_eq(run_workers(&l, &rc, res), 0);
	ledger_detach(&l);
	ledger_unlink(name);
	ck_assert_msg(!res->timed_out, "the workers did not finish in 15 s");
}

static void
expect_books(const struct run_result *res, const char *what)
{
	ck_assert_msg(res->check.lost_writes == 0 && res->check.lost_cents ==
	    0, "%s: %" PRId64 " updates and %" PRId64 " cents lost", what,
	    res->check.lost_writes, res->check.lost_cents);
	ck_assert_msg(res->failed == 0, "%s: %" PRIu64 " operations failed on "
	    "a lock (first: %s)", what, res->failed,
	    lab_strerror(res->first_error));
}

/* ------------------------------------------------------------ 1 */

START_TEST(sem_race_schedule)
{
	struct sched_spec *s = lesson("race");
	struct sched_result r;
	int k;

	for (k = 0; k < s->nperms; k++) {
		run(s, SYNC_SEMAPHORE, NULL, k, &r);
		expect_clean(&r, "race.sched under semaphore");
		sched_result_free(&r);
	}
	free(s);
}
END_TEST

START_TEST(sem_explore)
{
	struct sched_spec *s = lesson("race");

	explore_all(s, SYNC_SEMAPHORE, "race.sched under semaphore");
	free(s);
}
END_TEST

START_TEST(sem_dead_holder)
{
	struct sched_spec *s = lesson("crash");
	struct sched_result r;

	run(s, SYNC_SEMAPHORE, NULL, 0, &r);
	ck_assert_msg(r.error[0] == '\0', "crash.sched under semaphore: %s "
	    "(is a dead holder detected?)", r.error);
	ck_assert_msg(r.stuck, "crash.sched under semaphore: p1 died holding "
	    "the semaphore, yet nobody reported -LAB_EHOLDERDEAD");
	sched_result_free(&r);
	free(s);
}
END_TEST

START_TEST(sem_stress)
{
	struct worker_config w[3];
	struct run_result res;
	int i;

	/* Enough that a lock which lets two in is caught every time. */
	for (i = 0; i < 3; i++) {
		worker_config_default(&w[i]);
		w[i].ops = 2000;
		w[i].mix = WORKER_MIXED;
		w[i].seed = 7 + (uint64_t)i;
	}
	stress(SYNC_SEMAPHORE, 2, w, 3, &res);
	expect_books(&res, "3 workers x 2000 mixed operations under "
	    "semaphore");
	run_result_free(&res);
}
END_TEST

/* ------------------------------------------------------------ 2 */

START_TEST(ord_abba)
{
	struct sched_spec *s = lesson("deadlock");
	struct sched_result r;

	run(s, SYNC_ORDERED, NULL, 0, &r);
	expect_clean(&r, "deadlock.sched under ordered");
	sched_result_free(&r);
	free(s);
}
END_TEST

START_TEST(ord_explore)
{
	struct sched_spec *s = lesson("deadlock");

	explore_all(s, SYNC_ORDERED, "deadlock.sched under ordered");
	free(s);
}
END_TEST

START_TEST(ord_pairs)
{
	static const int pairs[][2] = { { 0, 1 }, { 1, 2 }, { 0, 3 },
	    { 2, 3 }, { 3, 1 } };
	struct sched_result r;
	struct sched_spec *s;
	char text[256], what[64];
	size_t i;

	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		snprintf(text, sizeof(text), "accounts 4\nprocess p1 transfer "
		    "%d %d 100\nprocess p2 transfer %d %d 50\n", pairs[i][0],
		    pairs[i][1], pairs[i][1], pairs[i][0]);
		snprintf(what, sizeof(what), "opposite transfers between #%d "
		    "and #%d", pairs[i][0], pairs[i][1]);
		s = spec(text);
		run(s, SYNC_ORDERED, "p1:first_lock p2:first_lock p1 p2", 0,
		    &r);
		expect_clean(&r, what);
		sched_result_free(&r);
		free(s);
	}
}
END_TEST

START_TEST(ord_error_path)
{
	struct ledger_config cfg = { .naccounts = 2, .balance = 1000,
	    .sync = SYNC_ORDERED };
	struct ledger l, c;
	char name[64], ok;
	int fds[2], rc;
	pid_t pid;

	snprintf(name, sizeof(name), "grade-%s-e", getenv("BANKLAB_RUN_TAG"));
	ledger_unlink(name);
	ck_assert_int_eq(ledger_create(name, &cfg, &l), 0);
	ck_assert_int_eq(pipe(fds), 0);
	fflush(NULL);
	if ((pid = fork()) == 0) {
		/* Hold account 1 so that the transfer's second lock fails. */
		if (ledger_attach(name, &c) < 0 || ledger_join(&c) < 0 ||
		    sync_lock_quiet(&c, 1) < 0)
			_exit(3);
		(void)!write(fds[1], "x", 1);
		sleep(5);
		_exit(0);
	}
	ck_assert_int_eq(read(fds[0], &ok, 1), 1);
	ck_assert_int_eq(ledger_join(&l), 0);
	l.lock_timeout_ms = 200;
	rc = bank_transfer(&l, 0, 1, 10);
	ck_assert_msg(rc < 0, "the transfer took a lock another process "
	    "holds");
	rc = pthread_mutex_trylock(&l.acct[0].mutex);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	ledger_detach(&l);
	ledger_unlink(name);
	ck_assert_msg(rc == 0, "after its second lock failed, ex_lock_pair "
	    "still holds its first (trylock of #0: %s)", strerror(rc));
}
END_TEST

START_TEST(ord_stress)
{
	struct worker_config w[2];
	struct run_result res;
	int i;

	for (i = 0; i < 2; i++) {
		worker_config_default(&w[i]);
		w[i].ops = 600;
		w[i].seed = 11 + (uint64_t)i;
	}
	stress(SYNC_ORDERED, 4, w, 2, &res);
	expect_books(&res, "2 workers x 600 transfers in both directions "
	    "under ordered");
	run_result_free(&res);
}
END_TEST

/* ------------------------------------------------------------ 3 */

START_TEST(rep_crash_schedule)
{
	static const enum sync_kind v[] = { SYNC_ROBUST, SYNC_ORDERED };
	struct sched_spec *s = lesson("crash");
	struct sched_result r;
	size_t i;

	for (i = 0; i < 2; i++) {
		run(s, v[i], NULL, 0, &r);
		expect_clean(&r, v[i] == SYNC_ROBUST ? "crash.sched under "
		    "robust" : "crash.sched under ordered");
		ck_assert_msg(r.repairs >= 1, "nobody repaired the dead "
		    "worker's locks");
		sched_result_free(&r);
	}
	free(s);
}
END_TEST

START_TEST(rep_every_step)
{
	static const char *const steps[] = { "lock", "first_lock",
	    "read_from", "read_to", "write_from", "write_to", "unlock" };
	static const enum sync_kind v[] = { SYNC_ROBUST, SYNC_ORDERED };
	struct sched_spec *s = spec("process p1 transfer 0 1 4000\n"
	    "process p2 transfer 0 1 100\n");
	struct sched_result r;
	char line[64], what[96];
	size_t i, k;

	for (k = 0; k < 2; k++)
		for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
			/*
			 * Every process starts parked at lock: "p1:lock"
			 * would run p1 to a next lock it never reaches (to
			 * its end), and the kill would find it finished.
			 */
			if (strcmp(steps[i], "lock") == 0)
				snprintf(line, sizeof(line), "p1:KILL p2");
			else
				snprintf(line, sizeof(line), "p1:%s p1:KILL p2",
				    steps[i]);
			snprintf(what, sizeof(what), "p1 killed at %s under %s",
			    steps[i], ledger_sync_name(v[k]));
			run(s, v[k], line, 0, &r);
			expect_clean(&r, what);
			sched_result_free(&r);
		}
	free(s);
}
END_TEST

START_TEST(rep_reverse)
{
	static const enum sync_kind v[] = { SYNC_ROBUST, SYNC_ORDERED };
	struct sched_spec *s = spec("process p1 transfer 1 0 4000\n"
	    "process p2 transfer 1 0 100\nprocess p3 transfer 0 1 10\n");
	struct sched_result r;
	size_t k;

	/* The debit is on the account locked second under ordered. */
	for (k = 0; k < 2; k++) {
		run(s, v[k], "p1:write_from p1:KILL p2:write_from p2:KILL p3",
		    0, &r);
		expect_clean(&r, k == 0 ? "two transfers #1 -> #0 killed one "
		    "after the other under robust" : "two transfers #1 -> #0 "
		    "killed one after the other under ordered");
		sched_result_free(&r);
	}
	free(s);
}
END_TEST

/* ------------------------------------------------------------ 4 */

START_TEST(aud_torn_schedule)
{
	struct sched_spec *s = lesson("stale");
	struct sched_result r;

	run(s, SYNC_ORDERED, NULL, 0, &r);
	expect_clean(&r, "stale.sched under ordered");
	sched_result_free(&r);
	free(s);
}
END_TEST

START_TEST(aud_explore)
{
	struct sched_spec *s = lesson("stale");

	explore_all(s, SYNC_ORDERED, "stale.sched under ordered");
	free(s);
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
	struct sched_spec *s = spec("accounts 3\nprocess p1 transfer 0 1 2500\n"
	    "process p2 deposit 2 1; audit\n");
	struct sched_result r;
	size_t i;

	for (i = 0; i < 2; i++) {
		run(s, SYNC_ORDERED, perms[i][0], 0, &r);
		expect_clean(&r, perms[i][1]);
		sched_result_free(&r);
	}
	free(s);
}
END_TEST

START_TEST(aud_stress)
{
	struct worker_config w[3];
	struct run_result res;
	uint64_t stale = 0, audits = 0;
	unsigned i;

	for (i = 0; i < 3; i++) {
		worker_config_default(&w[i]);
		w[i].ops = 300;
		w[i].seed = 21 + i;
		w[i].ascending = true;	/* grade the audit, not the locks */
	}
	w[2].mix = WORKER_AUDIT;
	w[2].ops = 100000;
	w[2].until_ops = 600;
	stress(SYNC_ORDERED, 8, w, 3, &res);
	for (i = 0; i < res.n; i++) {
		stale += res.w[i].res.stale_audits;
		audits += res.w[i].res.audits;
	}
	expect_books(&res, "2 writers and an auditor under ordered");
	run_result_free(&res);
	ck_assert_msg(audits > 0, "the auditor made no audit");
	ck_assert_msg(stale == 0, "%" PRIu64 " of %" PRIu64 " audits saw a "
	    "total that never existed", stale, audits);
}
END_TEST

START_TEST(aud_large)
{
	struct ledger_config cfg = { .naccounts = 3000, .balance = 1000,
	    .sync = SYNC_ORDERED };
	struct worker_config w[2];
	struct run_result res;
	struct ledger l, c;
	struct sync_audit a;
	char name[64];
	uint64_t start;
	bool both = false;
	pid_t pid;
	int rc;

	/* Consistent on a ledger too big to hold every lock ... */
	worker_config_default(&w[0]);
	w[0].ops = 3000;
	w[0].seed = 5;
	w[0].ascending = true;
	worker_config_default(&w[1]);
	w[1].mix = WORKER_AUDIT;
	w[1].ops = 2;
	stress(SYNC_ORDERED, 3000, w, 2, &res);
	ck_assert_msg(res.w[1].has_result && res.w[1].res.stale_audits == 0,
	    "on 3000 accounts an audit saw a total that never existed");
	ck_assert_msg(res.w[1].res.failed == 0, "on 3000 accounts the audit "
	    "failed: %s", lab_strerror(res.w[1].res.first_error));
	run_result_free(&res);

	/*
	 * ... it never holds #0 and #2500 at once (an auditor that takes
	 * every lock in order holds 2501 then, more than the kernel recovers
	 * if it dies: 2048), and killed mid-audit it leaves no lock behind.
	 */
	snprintf(name, sizeof(name), "grade-%s-b", getenv("BANKLAB_RUN_TAG"));
	ledger_unlink(name);
	ck_assert_int_eq(ledger_create(name, &cfg, &l), 0);
	fflush(NULL);
	if ((pid = fork()) == 0) {
		if (ledger_attach(name, &c) < 0 || ledger_join(&c) < 0)
			_exit(3);
		c.sync = sync_get(SYNC_ORDERED);
		for (;;)
			bank_audit(&c, &a);
	}
	for (start = sync_now_ms(); !both && sync_now_ms() - start < 2000;) {
		if ((rc = pthread_mutex_trylock(&l.acct[2500].mutex)) != EBUSY) {
			if (rc == 0)
				pthread_mutex_unlock(&l.acct[2500].mutex);
			continue;
		}
		if ((rc = pthread_mutex_trylock(&l.acct[0].mutex)) == 0)
			pthread_mutex_unlock(&l.acct[0].mutex);
		both = rc == EBUSY;
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	if (both) {
		ledger_detach(&l);
		ledger_unlink(name);
		ck_abort_msg("the audit held #0 and #2500 at once: over 2048 "
		    "robust mutexes, more than the kernel recovers if it dies");
	}
	ck_assert_int_eq(ledger_join(&l), 0);
	l.sync = sync_get(SYNC_ORDERED);
	l.lock_timeout_ms = 2000;
	rc = bank_transfer(&l, 0, 2400, 1);
	if (rc == 0)
		rc = bank_transfer(&l, 2999, 0, 1);
	ledger_detach(&l);
	ledger_unlink(name);
	ck_assert_msg(rc == 0, "after the auditor died mid-audit, a transfer "
	    "on #0, #2400 or #2999 failed: %s (did it hold more locks than "
	    "the kernel recovers?)", lab_strerror(rc));
}
END_TEST

/* ------------------------------------------------------------ the table */

struct grade_check {
	const char *exercise;
	const char *name;
	const TTest *const *test;
	int points;
	int timeout;		/* seconds */
	const char *what;	/* one line: what it verifies */
	const char *hint;	/* what a timeout most likely means */
	const char *repro;	/* the command that shows it */
};

static const struct grade_check checks[] = {
	{ "1 semaphore", "sem_race_schedule", &sem_race_schedule, 3, 15,
	    "the lost-update schedule: a second process waits for the lock",
	    "ex_sem_lock did not return: is the semaphore posted?",
	    "banklab-race --sync semaphore --schedule file" },
	{ "1 semaphore", "sem_explore", &sem_explore, 2, 30,
	    "every interleaving of a withdrawal and a deposit keeps the money",
	    "ex_sem_lock did not return: is the semaphore posted?",
	    "banklab-race --sync semaphore --explore all" },
	{ "1 semaphore", "sem_dead_holder", &sem_dead_holder, 3, 15,
	    "a holder killed mid-transfer is reported (-LAB_EHOLDERDEAD)",
	    "ex_sem_lock did not return after its holder died: deadline?",
	    "banklab-crash --sync semaphore --schedule file" },
	{ "1 semaphore", "sem_stress", &sem_stress, 2, 30,
	    "3 processes x 2000 mixed operations keep the books",
	    "the workers did not finish: a lock never released?",
	    "banklab-race --sync semaphore" },
	{ "2 ordered", "ord_abba", &ord_abba, 3, 20,
	    "the ABBA schedule does not deadlock",
	    "ex_lock_pair did not return within 20 s: deadlock?",
	    "banklab-deadlock --sync ordered --schedule file" },
	{ "2 ordered", "ord_explore", &ord_explore, 2, 40,
	    "no interleaving of two opposite transfers deadlocks",
	    "ex_lock_pair did not return: deadlock?",
	    "banklab-deadlock --sync ordered --explore all" },
	{ "2 ordered", "ord_pairs", &ord_pairs, 2, 40,
	    "opposite transfers on five account pairs, both locks taken",
	    "ex_lock_pair did not return: deadlock on some pair?",
	    "banklab-sched F.sched --sync ordered (see the message)" },
	{ "2 ordered", "ord_error_path", &ord_error_path, 1, 20,
	    "when the second lock fails, the first is released",
	    "the transfer did not give up: is l->lock_timeout_ms kept?",
	    "(unit check: transfer while another process holds #1)" },
	{ "2 ordered", "ord_stress", &ord_stress, 2, 40,
	    "2 processes x 600 transfers both ways: no deadlock, no loss",
	    "ex_lock_pair did not return: deadlock or a lock never released?",
	    "banklab-deadlock --sync ordered" },
	{ "3 repair", "rep_crash_schedule", &rep_crash_schedule, 3, 30,
	    "a transfer killed after its debit is rolled back",
	    "the next locker did not return: is the mutex made consistent?",
	    "banklab-crash --sync robust --schedule file" },
	{ "3 repair", "rep_every_step", &rep_every_step, 5, 60,
	    "a transfer killed at each of its 7 steps: all or nothing",
	    "the next locker did not return: is the mutex made consistent?",
	    "banklab-crash --sync robust --schedule 'p1:write_to p1:KILL p2'" },
	{ "3 repair", "rep_reverse", &rep_reverse, 2, 30,
	    "two dying transfers in a row, debit on the second-locked account",
	    "the next locker did not return: is the mutex made consistent?",
	    "banklab-sched F.sched --sync ordered --schedule "
	    "'p1:write_from p1:KILL p2:write_from p2:KILL p3'" },
	{ "4 audit", "aud_torn_schedule", &aud_torn_schedule, 3, 20,
	    "the torn-audit schedule sees a total that existed",
	    "ex_audit did not return: a lock not released?",
	    "banklab-stale --sync ordered --schedule file" },
	{ "4 audit", "aud_explore", &aud_explore, 2, 60,
	    "no interleaving of an audit and a transfer tears the total",
	    "ex_audit did not return: does it retry forever?",
	    "banklab-stale --sync ordered --explore all" },
	{ "4 audit", "aud_midtransfer", &aud_midtransfer, 2, 20,
	    "an audit during a half-done transfer waits for it",
	    "ex_audit did not return: a lock not released?",
	    "banklab-sched F.sched --sync ordered --schedule 'p1:write_from "
	    "p2 p2 p2 p2 p2 p2 p2 p2'" },
	{ "4 audit", "aud_stress", &aud_stress, 1, 40,
	    "2 writers and an auditor: every audit total existed",
	    "ex_audit did not return within 40 s: does it ever give up?",
	    "banklab-stale --sync ordered" },
	{ "4 audit", "aud_large", &aud_large, 2, 60,
	    "3000 accounts: consistent, and a killed auditor leaves no lock",
	    "ex_audit or the transfer after it did not return: more locks "
	    "held than the kernel recovers?",
	    "banklab create big --accounts 3000; banklab run big --procs 2" },
};

#define NCHECKS (sizeof(checks) / sizeof(checks[0]))

/* ------------------------------------------------------------ output */

struct outcome {
	bool was_run;		/* not filtered out by -e or -o */
	bool is_pass;
	char reason[512];
};

static void
json_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
}

static void
xml_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\n')
				fputc(*s, f);
		}
	}
}

static void
write_gradescope(const char *path, const struct outcome *o, int score,
    int max, double secs)
{
	FILE *f = fopen(path, "w");
	size_t i, printed = 0;

	if (f == NULL) {
		fprintf(stderr, "grade: %s: %s\n", path, strerror(errno));
		return;
	}
	fprintf(f, "{\"score\": %d, \"max_score\": %d, \"execution_time\": %.1f,"
	    " \"visibility\": \"visible\", \"tests\": [", score, max, secs);
	for (i = 0; i < NCHECKS; i++) {
		if (!o[i].was_run)
			continue;
		fprintf(f, "%s\n  {\"name\": \"", printed++ ? "," : "");
		json_escape(f, checks[i].exercise);
		fputs(": ", f);
		json_escape(f, checks[i].name);
		fprintf(f, "\", \"number\": \"%zu\", \"score\": %d, "
		    "\"max_score\": %d, \"status\": \"%s\", \"output\": \"",
		    i + 1, o[i].is_pass ? checks[i].points : 0,
		    checks[i].points, o[i].is_pass ? "passed" : "failed");
		json_escape(f, checks[i].what);
		if (!o[i].is_pass) {
			fputs("\\nFAILED: ", f);
			json_escape(f, o[i].reason);
			fputs("\\nreproduce: ", f);
			json_escape(f, checks[i].repro);
		}
		fputs("\", \"visibility\": \"visible\"}", f);
	}
	fputs("\n]}\n", f);
	fclose(f);
}

static void
write_junit(const char *path, const struct outcome *o, int failures)
{
	FILE *f = fopen(path, "w");
	size_t i;

	if (f == NULL) {
		fprintf(stderr, "grade: %s: %s\n", path, strerror(errno));
		return;
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n"
	    "<testsuite name=\"banklab-grade\" tests=\"%zu\" failures=\"%d\">"
	    "\n", NCHECKS, failures);
	for (i = 0; i < NCHECKS; i++) {
		if (!o[i].was_run)
			continue;
		fputs("  <testcase classname=\"", f);
		xml_escape(f, checks[i].exercise);
		fputs("\" name=\"", f);
		xml_escape(f, checks[i].name);
		fputs("\">", f);
		if (!o[i].is_pass) {
			fputs("<failure message=\"", f);
			xml_escape(f, o[i].reason);
			fputs("\">", f);
			xml_escape(f, checks[i].what);
			fputs("\nreproduce: ", f);
			xml_escape(f, checks[i].repro);
			fputs("</failure>", f);
		}
		fputs("</testcase>\n", f);
	}
	fputs("</testsuite>\n</testsuites>\n", f);
	fclose(f);
}

/* One line of what went wrong, from Check's message. */
static void
reason(const struct grade_check *c, TestResult *tr, char *buf, size_t len)
{
	const char *msg = tr_msg(tr);

	if (msg != NULL && strstr(msg, "timeout") != NULL)
		snprintf(buf, len, "timed out after %d s: %s", c->timeout,
		    c->hint);
	else if (tr_rtype(tr) == CK_ERROR)
		snprintf(buf, len, "crashed: %s", msg ? msg : "?");
	else
		snprintf(buf, len, "%s", msg ? msg : "failed");
	buf[strcspn(buf, "\n")] = '\0';
}

/*
 * Remove what a check killed by its timeout left in /dev/shm: every ledger
 * of this grading carries its tag.
 */
static void
sweep(const char *tag)
{
	char name[300];
	struct dirent *de;
	DIR *d;

	if ((d = opendir("/dev/shm")) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "banklab-", 8) == 0 &&
		    strstr(de->d_name, tag) != NULL) {
			snprintf(name, sizeof(name), "/%s", de->d_name);
			shm_unlink(name);
		}
	closedir(d);
}

int
main(int argc, char **argv)
{
	const char *json = NULL, *junit = NULL, *only = NULL, *ex = NULL;
	struct outcome o[NCHECKS];
	struct timespec t0, t1;
	TestResult **results;
	int score = 0, max = 0, failures = 0, n, i, opt;
	Suite *s = suite_create("grade");
	SRunner *sr;
	char tag[32];
	size_t k;

	snprintf(tag, sizeof(tag), "g%d", (int)getpid());
	setenv("BANKLAB_RUN_TAG", tag, 1);

	while ((opt = getopt(argc, argv, "j:x:o:e:")) != -1) {
		if (opt == 'e')
			ex = optarg;	/* one exercise's checks, by number */
		else if (opt == 'j')
			json = optarg;
		else if (opt == 'x')
			junit = optarg;
		else if (opt == 'o')
			only = optarg;	/* one check, by name */
		else {
			fprintf(stderr, "usage: grade [-j results.json] "
			    "[-x junit.xml] [-o CHECK] [-e EXERCISE]\n");
			return LAB_EXIT_USAGE;
		}
	}
	for (k = 0; k < NCHECKS; k++) {
		TCase *tc = tcase_create(checks[k].name);

		if ((only != NULL && strcmp(only, checks[k].name) != 0) ||
		    (ex != NULL && strncmp(ex, checks[k].exercise,
		    strlen(ex)) != 0))
			continue;
		tcase_set_timeout(tc, checks[k].timeout);
		tcase_add_test(tc, *checks[k].test);
		suite_add_tcase(s, tc);
	}
	memset(o, 0, sizeof(o));
	for (k = 0; k < NCHECKS; k++)
		snprintf(o[k].reason, sizeof(o[k].reason), "not run");
	sr = srunner_create(s);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	srunner_run_all(sr, CK_SILENT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	results = srunner_results(sr);
	n = srunner_ntests_run(sr);
	for (i = 0; i < n; i++)
		for (k = 0; k < NCHECKS; k++)
			if (strcmp(tr_tcname(results[i]), checks[k].name) == 0) {
				o[k].was_run = true;
				o[k].is_pass = tr_rtype(results[i]) == CK_PASS;
				if (!o[k].is_pass)
					reason(&checks[k], results[i],
					    o[k].reason, sizeof(o[k].reason));
			}
	free(results);
	sweep(tag);
	printf("%-12s %-19s %6s  %s\n", "exercise", "check", "points",
	    "result");
	for (k = 0; k < NCHECKS; k++) {
		if (!o[k].was_run)
			continue;
		max += checks[k].points;
		score += o[k].is_pass ? checks[k].points : 0;
		failures += !o[k].is_pass;
		printf("%-12s %-19s %3d/%-2d  %s: %s\n", checks[k].exercise,
		    checks[k].name, o[k].is_pass ? checks[k].points : 0,
		    checks[k].points, o[k].is_pass ? "pass" : "FAIL",
		    checks[k].what);
		if (!o[k].is_pass)
			printf("%35s why: %s\n%35s reproduce: %s\n", "",
			    o[k].reason, "", checks[k].repro);
	}
	printf("score: %d/%d\n", score, max);
	if (json != NULL)
		write_gradescope(json, o, score, max, (double)(t1.tv_sec -
		    t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (junit != NULL)
		write_junit(junit, o, failures);
	srunner_free(sr);
	return LAB_EXIT_OK;
}
