/*
 * check_sched_pool: a pool's runs are the runs fresh processes make
 * (lab/sched_pool.c, schedule.h).
 *
 *   same      every shipped schedule under every variant, explored `all`
 *             (up to SAME_RUNS runs) on a pool that never reuses and on
 *             one that does: run for
 *             run the same releases, timeline, verdict and books; the
 *             reusing pool started afresh exactly after each run that was
 *             not clean (a kill, a death, a deadlock, a stuck or failed
 *             lock, a repair), the other before every run
 *   seeded    random and pct with a fixed seed: the same both ways
 *   ends      a closed pool has reaped its workers and left no ledger; a
 *             worker gone between runs makes the next start afresh; a
 *             pool whose process is killed takes its parked workers with
 *             it (PR_SET_PDEATHSIG), and leaves no ledger either
 *
 * Runs spawn `banklab worker` through $BANKLAB_WORKER; the schedules are
 * found through sched_find_lesson().  Nothing here waits by sleeping: a
 * process's end is waited for on its pidfd, a pipe with poll().
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab.h"
#include "ledger.h"
#include "sched_cli.h"
#include "schedule.h"
#include "step.h"

#define DIGEST_MAX	4096
/*
 * Runs compared per schedule and variant: all of them for most (race's 70
 * under none included); the first 72 of the larger explorations (stale
 * under ordered 156, deadlock 76 to 924, crash 158 to 1716), whose later
 * runs are the same kinds of runs again, so that the suite takes seconds.
 * Under ASan, where a fresh run costs three times more (CI runs the suite
 * there too, for the memory errors, not for more runs), the first 24.
 */
#if defined(__SANITIZE_ADDRESS__)
#define SAME_RUNS	24
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SAME_RUNS	24
#endif
#endif
#ifndef SAME_RUNS
#define SAME_RUNS	72
#endif

static const char *const lessons[] = { "race", "stale", "deadlock", "crash" };
#define NLESSONS	((int)(sizeof(lessons) / sizeof(lessons[0])))

/* ------------------------------------------------------------ helpers */

static struct sched_spec *
lesson_spec(const char *lesson)
{
	struct sched_spec *s = malloc(sizeof(*s));
	char path[PATH_MAX], err[512];

	ck_assert_ptr_nonnull(s);
	ck_assert_msg(sched_find_lesson(getenv("BANKLAB_SCHEDULES"), lesson,
	    path, sizeof(path)) == 0,
	    "%s.sched: not found (BANKLAB_SCHEDULES?)", lesson);
	ck_assert_msg(sched_parse_file(path, s, err, sizeof(err)) == 0,
	    "%s: %s", path, err);
	/* As the programs: the environment names the worker program. */
	s->worker = getenv("BANKLAB_WORKER");
	s->run_tag = getenv("BANKLAB_RUN_TAG");
	return s;
}

/*
 * Everything a run says but its pids and times, as one line: what two
 * runs must agree on.
 */
static void
digest(const struct sched_spec *s, const struct sched_result *r, char *buf,
    size_t len)
{
	char verdict[256], taken[1024];
	size_t at;
	int i, k;

	sched_verdict(r, verdict, sizeof(verdict));
	sched_format_perm(s, r->taken, r->ntaken, taken, sizeof(taken));
	at = (size_t)snprintf(buf, len, "[%s] %s; anomaly %d deadlock %d "
	    "stuck %d failed %llu recover %d stale %llu worst %lld repairs "
	    "%llu steps %u; books %lld/%lld lost %lld/%lld neg %u ok %d; "
	    "held %llu order %llx; error '%s' contract '%s'; cycle", taken,
	    verdict, r->anomaly, r->deadlock, r->stuck,
	    (unsigned long long)r->failed, r->recover_rc,
	    (unsigned long long)r->stale_audits, (long long)r->worst_deviation,
	    (unsigned long long)r->repairs, r->steps,
	    (long long)r->check.expected, (long long)r->check.observed,
	    (long long)r->check.lost_cents, (long long)r->check.lost_writes,
	    (unsigned)r->check.negative, r->check.is_ok,
	    (unsigned long long)r->held_max,
	    (unsigned long long)r->order_seen, r->error, r->contract);
	for (k = 0; k < r->cycle_len && at < len; k++)
		at += (size_t)snprintf(buf + at, len - at, " %lld>%lld",
		    (long long)r->cycle[k].holds, (long long)r->cycle[k].waits);
	for (i = 0; i < r->nev && at < len; i++)
		at += (size_t)snprintf(buf + at, len - at, " | p%d %d %s #%lld "
		    "= %lld w%lld", r->ev[i].proc + 1, r->ev[i].kind,
		    sched_step_name(r->ev[i].step), (long long)r->ev[i].acct,
		    (long long)r->ev[i].value, (long long)r->ev[i].waits);
}

/* Did the run end in a way that must not leave the pool's workers up? */
static bool
is_unclean(const struct sched_result *r)
{
	int i;

	if (r->error[0] != '\0' || r->deadlock || r->stuck || r->failed ||
	    r->repairs || r->recover_rc)
		return true;
	for (i = 0; i < r->nev; i++)
		if (r->ev[i].kind == SCHED_EV_KILLED ||
		    r->ev[i].kind == SCHED_EV_DIED)
			return true;
	return false;
}

/* One exploration's runs, as digests. */
struct tally {
	const struct sched_spec *s;
	char (*run)[DIGEST_MAX];
	unsigned n, cap;
	unsigned unclean;	/* unclean runs but the last */
	bool was_unclean;	/* the last run seen */
	const struct tally *want;	/* compare with these as they come */
	unsigned differ;
	char first_diff[2 * DIGEST_MAX + 64];
};

static void
tally_cb(const struct sched_result *r, unsigned run, void *arg)
{
	struct tally *t = arg;
	char d[DIGEST_MAX];

	digest(t->s, r, d, sizeof(d));
	t->unclean += t->was_unclean;
	t->was_unclean = is_unclean(r);
	t->n = run;
	if (t->want != NULL) {
		if (run > t->want->n || strcmp(d, t->want->run[run - 1]) != 0) {
			if (t->differ++ == 0)
				snprintf(t->first_diff, sizeof(t->first_diff),
				    "run %u: fresh \"%s\", reused \"%s\"", run,
				    run > t->want->n ? "(none)" :
				    t->want->run[run - 1], d);
		}
		return;
	}
	if (run > t->cap) {
		t->cap = t->cap ? 2 * t->cap : 256;
		t->run = realloc(t->run, t->cap * sizeof(*t->run));
		ck_assert_ptr_nonnull(t->run);
	}
	memcpy(t->run[run - 1], d, sizeof(d));
}

/* Explore s under v on a pool that reuses or not; the stats in st. */
static void
explore(const struct sched_spec *s, enum sync_kind v, bool is_reused,
    const struct sched_explore_opts *o, struct tally *t,
    struct sched_explore_stats *st)
{
	struct sched_pool *p;
	int rc;

	ck_assert_int_eq(sched_pool_open(s, v, is_reused, &p), 0);
	rc = sched_explore_pool(p, o, tally_cb, t, st);
	ck_assert_msg(rc == 0, "%s under %s (%s): sched_explore_pool returned "
	    "%d", s->title, ledger_sync_name(v), is_reused ? "reused" :
	    "fresh", rc);
	ck_assert_uint_eq(sched_pool_starts(p), st->starts);
	sched_pool_close(p);
}

/* Is any /dev/shm/banklab-sched-<pid>-* left? */
static void
assert_no_ledger_of(pid_t pid, const char *what)
{
	char prefix[64];
	struct dirent *d;
	DIR *shm;

	snprintf(prefix, sizeof(prefix), "banklab-sched-%d-", (int)pid);
	shm = opendir("/dev/shm");
	ck_assert_ptr_nonnull(shm);
	while ((d = readdir(shm)) != NULL)
		ck_assert_msg(strncmp(d->d_name, prefix, strlen(prefix)) != 0,
		    "%s: left /dev/shm/%s", what, d->d_name);
	closedir(shm);
}

static int
pidfd_of(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* Wait up to ms for the process behind pidfd to end: has it? */
static bool
pidfd_ended(int fd, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	uint64_t start = lab_now_ms(), spent;
	int n;

	for (;;) {
		spent = lab_now_ms() - start;
		if (spent >= (uint64_t)ms)
			return false;
		n = poll(&p, 1, ms - (int)spent);
		if (n == 1)
			return true;
		if (n == -1 && errno != EINTR)
			return false;
	}
}

/* ------------------------------------------------------------ same */

/*
 * _i = lesson * SYNC_COUNT + variant: `all`, fresh and reused, run for run.
 */
START_TEST(test_same_explore_all)
{
	const enum sync_kind v = (enum sync_kind)(_i % SYNC_COUNT);
	struct sched_explore_opts o = { SCHED_REPLAY, 0, 0, 0, SAME_RUNS, 0 };
	struct sched_explore_stats fst, rst;
	struct sched_spec *s = lesson_spec(lessons[_i / SYNC_COUNT]);
	struct tally fresh = { .s = s }, reused = { .s = s };
	const char *vn = ledger_sync_name(v);

	explore(s, v, false, &o, &fresh, &fst);
	reused.want = &fresh;
	explore(s, v, true, &o, &reused, &rst);
	ck_assert_msg(fst.is_complete == rst.is_complete, "%s under %s: "
	    "complete %d fresh, %d reused", lessons[_i / SYNC_COUNT], vn,
	    fst.is_complete, rst.is_complete);
	ck_assert_msg(reused.n == fresh.n && rst.runs == fst.runs, "%s under "
	    "%s: %u runs reused, %u fresh", lessons[_i / SYNC_COUNT], vn,
	    reused.n, fresh.n);
	ck_assert_msg(reused.differ == 0, "%s under %s: %u of %u runs differ; "
	    "%s", lessons[_i / SYNC_COUNT], vn, reused.differ, reused.n,
	    reused.first_diff);
	ck_assert_uint_eq(rst.failing, fst.failing);
	ck_assert_uint_eq(rst.first_failing, fst.first_failing);
	ck_assert_uint_eq(rst.steps, fst.steps);
	ck_assert_uint_eq(fst.starts, fst.runs);
	ck_assert_msg(rst.starts == 1 + reused.unclean, "%s under %s: %u "
	    "fresh starts in %u runs, but %u runs before the last were not "
	    "clean", lessons[_i / SYNC_COUNT], vn, rst.starts, rst.runs,
	    reused.unclean);
	/* For the log, not asserted. */
	printf("same: %s under %s: %u runs, %u failing; fresh %.3f s, reused "
	    "%.3f s (%u starts)\n", lessons[_i / SYNC_COUNT], vn, rst.runs,
	    rst.failing, fst.elapsed_s, rst.elapsed_s, rst.starts);
	free(fresh.run);
	free(s);
	assert_no_ledger_of(getpid(), "explore");
}
END_TEST

/* _i = lesson * 2 + (random, pct): a fixed seed, fresh and reused. */
START_TEST(test_same_seeded)
{
	struct sched_explore_opts o = { _i % 2 ? SCHED_PCT : SCHED_RANDOM, 40,
	    7, 2, 0, 0 };
	struct sched_explore_stats fst, rst;
	struct sched_spec *s = lesson_spec(lessons[_i / 2]);
	struct tally fresh = { .s = s }, reused = { .s = s };

	explore(s, s->sync, false, &o, &fresh, &fst);
	reused.want = &fresh;
	explore(s, s->sync, true, &o, &reused, &rst);
	ck_assert_msg(reused.n == fresh.n && reused.differ == 0, "%s, %s: %u "
	    "runs reused, %u fresh, %u differ; %s", lessons[_i / 2], _i % 2 ?
	    "pct" : "random", reused.n, fresh.n, reused.differ,
	    reused.first_diff);
	ck_assert_uint_eq(rst.failing, fst.failing);
	ck_assert_uint_eq(rst.steps, fst.steps);
	free(fresh.run);
	free(s);
}
END_TEST

/* ------------------------------------------------------------ ends */

/* A closed pool has reaped its workers (they were ours) and its ledger. */
START_TEST(test_close_reaps)
{
	struct sched_spec *s = lesson_spec("race");
	struct sched_result r;
	struct sched_pool *p;
	int32_t pid[2];
	int k;

	ck_assert_int_eq(sched_pool_open(s, SYNC_NONE, true, &p), 0);
	for (k = 0; k < 3; k++) {
		memset(&r, 0, sizeof(r));
		ck_assert_int_eq(sched_pool_run(p, NULL, NULL, &r), 0);
		ck_assert_msg(r.error[0] == '\0', "run %d: %s", k + 1, r.error);
		if (k > 0)
			ck_assert_msg(r.pid[0] == pid[0] && r.pid[1] == pid[1],
			    "run %d: new workers after a clean run", k + 1);
		pid[0] = r.pid[0];
		pid[1] = r.pid[1];
		sched_result_free(&r);
	}
	ck_assert_uint_eq(sched_pool_starts(p), 1);
	sched_pool_close(p);
	for (k = 0; k < 2; k++)
		ck_assert_msg(waitpid(pid[k], NULL, WNOHANG) == -1 &&
		    errno == ECHILD, "worker %d (pid %d) not reaped", k + 1,
		    (int)pid[k]);
	assert_no_ledger_of(getpid(), "a closed pool");
	free(s);
}
END_TEST

/*
 * A worker killed while parked between runs (or one that gave up on a
 * silent scheduler and left): the next run starts afresh, and is the
 * same run.
 */
START_TEST(test_worker_gone)
{
	struct sched_spec *s = lesson_spec("race");
	struct sched_result r;
	struct sched_pool *p;
	char want[DIGEST_MAX], got[DIGEST_MAX];
	int pfd;

	ck_assert_int_eq(sched_pool_open(s, SYNC_NONE, true, &p), 0);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(sched_pool_run(p, &s->perm[0], NULL, &r), 0);
	digest(s, &r, want, sizeof(want));
	pfd = pidfd_of(r.pid[_i]);
	ck_assert_int_ge(pfd, 0);
	kill(r.pid[_i], SIGKILL);
	ck_assert(pidfd_ended(pfd, 5000));
	close(pfd);
	sched_result_free(&r);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(sched_pool_run(p, &s->perm[0], NULL, &r), 0);
	digest(s, &r, got, sizeof(got));
	ck_assert_msg(strcmp(want, got) == 0, "after p%d was killed between "
	    "runs: \"%s\", not \"%s\"", _i + 1, got, want);
	ck_assert_uint_eq(sched_pool_starts(p), 2);
	sched_result_free(&r);
	sched_pool_close(p);
	assert_no_ledger_of(getpid(), "a pool that lost a worker");
	free(s);
}
END_TEST

/*
 * A process with a pool whose workers are parked between runs is killed:
 * they go with it (PR_SET_PDEATHSIG), and its ledger, unlinked once they
 * had attached, is gone with them.
 */
START_TEST(test_parent_dies)
{
	struct sched_spec *s = lesson_spec("race");
	struct pollfd pp;
	int32_t pid[2];
	int fds[2], pfd[2], k;
	pid_t child;

	ck_assert_int_eq(pipe(fds), 0);
	fflush(NULL);
	if ((child = fork()) == 0) {
		struct sched_result r;
		struct sched_pool *p;

		/* No asserts here: a forked child's are lost. */
		close(fds[0]);
		memset(&r, 0, sizeof(r));
		if (sched_pool_open(s, SYNC_NONE, true, &p) < 0 ||
		    sched_pool_run(p, NULL, NULL, &r) < 0 ||
		    r.error[0] != '\0')
			_exit(1);
		if (write(fds[1], r.pid, sizeof(pid)) != (ssize_t)sizeof(pid))
			_exit(1);
		for (;;)
			pause();
	}
	ck_assert_int_gt(child, 0);
	close(fds[1]);
	pp.fd = fds[0];
	pp.events = POLLIN;
	ck_assert_msg(poll(&pp, 1, 20000) == 1, "no pids within 20 s");
	ck_assert_int_eq(read(fds[0], pid, sizeof(pid)), (ssize_t)sizeof(pid));
	close(fds[0]);
	for (k = 0; k < 2; k++) {
		pfd[k] = pidfd_of(pid[k]);
		ck_assert_msg(pfd[k] >= 0, "worker %d (pid %d): pidfd_open: %s",
		    k + 1, (int)pid[k], strerror(errno));
	}
	kill(child, SIGKILL);
	ck_assert_int_eq(waitpid(child, NULL, 0), child);
	for (k = 0; k < 2; k++) {
		ck_assert_msg(pidfd_ended(pfd[k], 5000), "worker %d (pid %d) "
		    "still running 5 s after its parent was killed", k + 1,
		    (int)pid[k]);
		close(pfd[k]);
	}
	assert_no_ledger_of(child, "a killed pool");
	free(s);
}
END_TEST

/* ------------------------------------------------------------ suite */

static Suite *
pool_suite(void)
{
	Suite *s = suite_create("sched_pool");
	TCase *tc;

	/* crash.sched under semaphore: about 0.1 s for each stuck run. */
	tc = tcase_create("same");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_same_explore_all, 0,
	    NLESSONS * SYNC_COUNT);
	suite_add_tcase(s, tc);

	tc = tcase_create("seeded");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_same_seeded, 0, NLESSONS * 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("ends");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_close_reaps);
	tcase_add_loop_test(tc, test_worker_gone, 0, 2);
	tcase_add_test(tc, test_parent_dies);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(pool_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
