/*
 * check_schedule: the scheduler keeps its promises (lab/schedule.h).
 *
 *   lessons   every shipped schedule, every permutation: the anomaly under
 *             each variant of its `anomaly` line, none under its `clean`
 *             line, RUNS runs in a row, every run event for event the same
 *   explore   `all` on the lost update: every interleaving, counted by hand;
 *             and where the file kills, every kill point too
 *   replay    a run's releases (`taken`) replay it; so does the printed
 *             replay line of banklab-sched, run as printed
 *   blocked   a blocked step is reported <waiting>, a deadlock as a cycle,
 *             a step never reached lets the run end: nothing hangs
 *   timeline  every step a run-to-step entry reaches is a row, and the read
 *             a blocked process makes when its lock comes
 *   kill      pN:KILL under robust/ordered: killed, repaired, money kept
 *   kill_steps a deposit or withdrawal killed at each of its steps, and a
 *             repairer killed in its repair: all or nothing, money kept
 *   verdict   the words and the JSON's "anomaly" agree, whatever the fault
 *   shrink    a shrunk schedule still fails and no entry can be dropped
 *   parser    malformed schedules name FILE:LINE:COL; good ones round-trip
 *   cli       banklab-sched and the lessons' --schedule/--explore exit codes;
 *             a --permutation past the file's is bad usage; a reader
 *             that leaves (`| head`) ends the run cleanly
 *   leftovers no /dev/shm/banklab-sched-<pid>-* of ours is left behind
 *
 * Runs spawn `banklab worker` through $BANKLAB_WORKER; the schedules are
 * found through sched_find_lesson() ($BANKLAB_SCHEDULES first, which
 * `make check` points at the source tree).  No test asserts a duration:
 * speed goals belong in a benchmark; times are printed for the log.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "lab.h"
#include "ledger.h"
#include "sched_cli.h"
#include "schedule.h"
#include "spawn.h"
#include "step.h"
#include "testlib.h"

/*
 * Runs in a row per permutation and variant.  Measured here: 19 lesson x
 * variant cases x 100 runs took about 30 s in all, 20 s of it crash.sched
 * under semaphore (about 0.2 s a run to see the dead holder: a semaphore
 * names no owner, so only its timeout tells).  A case whose runs wait out
 * such a timeout (over RUN_SLOW_S a run) stops after RUNS_SLOW: the same
 * run ten times, not a hundred.
 */
#define RUNS		100
#define RUNS_SLOW	10
#define RUN_SLOW_S	0.05

#define PIDS_ENV	"CHECK_SCHEDULE_PIDS"

/* ------------------------------------------------------------ helpers */

/*
 * Every process that names a segment "banklab-sched-<its pid>-*" (a test
 * process calling sched_run, or a program we start) is written to the
 * file main() names in PIDS_ENV, so that the last test can look for what
 * they left behind without blaming other people's runs.
 */
static void
note_pid(pid_t pid)
{
	const char *path = getenv(PIDS_ENV);
	char line[32];
	int fd, n;

	if (path == NULL)
		return;
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	n = snprintf(line, sizeof(line), "%d\n", (int)pid);
	ck_assert_int_eq(write(fd, line, (size_t)n), n);
	close(fd);
}

/* Checked fixture: the test's own process runs the schedules. */
static void
note_self(void)
{
	note_pid(getpid());
}

static const char *
kind_name(enum sched_event_kind k)
{
	switch (k) {
	case SCHED_EV_STEP:
		return "step";
	case SCHED_EV_WAITING:
		return "WAITING";
	case SCHED_EV_KILLED:
		return "KILLED";
	case SCHED_EV_DONE:
		return "DONE";
	case SCHED_EV_DIED:
		return "DIED";
	case SCHED_EV_ABORTED:
		return "ABORTED";
	}
	return "?";
}

static void
event_text(const struct sched_event *e, char *buf, size_t len)
{
	snprintf(buf, len, "p%d %s %s #%lld = %lld", e->proc + 1,
	    kind_name(e->kind), sched_step_name(e->step), (long long)e->acct,
	    (long long)e->value);
}

/* The whole timeline on one line, for failure messages. */
static void
events_text(const struct sched_event *ev, int n, char *buf, size_t len)
{
	char one[96];
	size_t at = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < n && at + 1 < len; i++) {
		event_text(&ev[i], one, sizeof(one));
		at += (size_t)snprintf(buf + at, len - at, "%s%s", i ? " | " :
		    "", one);
	}
}

/*
 * Are two timelines the same: (proc, kind, step, acct, value) for every
 * event?  If not, why says where they part.
 */
static bool
same_events(const struct sched_event *a, int na, const struct sched_event *b,
    int nb, char *why, size_t len)
{
	char ta[96], tb[96];
	int i;

	for (i = 0; i < na && i < nb; i++) {
		if (a[i].proc == b[i].proc && a[i].kind == b[i].kind &&
		    a[i].step == b[i].step && a[i].acct == b[i].acct &&
		    a[i].value == b[i].value)
			continue;
		event_text(&a[i], ta, sizeof(ta));
		event_text(&b[i], tb, sizeof(tb));
		snprintf(why, len, "event %d: \"%s\", then \"%s\"", i + 1, ta,
		    tb);
		return false;
	}
	if (na != nb) {
		snprintf(why, len, "%d events, then %d", na, nb);
		return false;
	}
	return true;
}

/* A shipped schedule's path: $BANKLAB_SCHEDULES first, as the programs. */
static int
find_lesson(const char *lesson, char *path, size_t len)
{
	return sched_find_lesson(getenv("BANKLAB_SCHEDULES"), lesson, path,
	    len);
}

/* A shipped schedule, parsed; ck-fails if it is missing or bad. */
static struct sched_spec *
lesson_spec(const char *lesson, char *path, size_t len)
{
	struct sched_spec *s = malloc(sizeof(*s));
	char err[512];
	int rc;

	ck_assert_ptr_nonnull(s);
	rc = find_lesson(lesson, path, len);
	ck_assert_msg(rc == 0, "%s.sched: not found (BANKLAB_SCHEDULES=%s)",
	    lesson, getenv("BANKLAB_SCHEDULES") ? getenv("BANKLAB_SCHEDULES") :
	    "(unset)");
	rc = sched_parse_file(path, s, err, sizeof(err));
	ck_assert_msg(rc == 0, "%s: parse returned %d: %s", path, rc, err);
	s->worker = getenv("BANKLAB_WORKER");
	s->run_tag = getenv("BANKLAB_RUN_TAG");
	return s;
}

static struct sched_spec *
text_spec(const char *text)
{
	struct sched_spec *s = malloc(sizeof(*s));
	char err[512];
	int rc;

	ck_assert_ptr_nonnull(s);
	rc = sched_parse_text(text, "test.sched", s, err, sizeof(err));
	ck_assert_msg(rc == 0, "parse returned %d: %s", rc, err);
	s->worker = getenv("BANKLAB_WORKER");
	s->run_tag = getenv("BANKLAB_RUN_TAG");
	return s;
}

static void
perm_of(const struct sched_spec *s, const char *line, struct sched_perm *p)
{
	char err[256];
	int rc;

	rc = sched_parse_perm(line, s, p, err, sizeof(err));
	ck_assert_msg(rc == 0, "\"%s\": parse returned %d: %s", line, rc, err);
}

/* One run that must be made (its verdict is the caller's business). */
static void
run_ok(const struct sched_spec *s, enum sync_kind v,
    const struct sched_perm *p, struct sched_result *r, const char *what)
{
	int rc;

	memset(r, 0, sizeof(*r));
	rc = sched_run(s, v, p, NULL, r);
	ck_assert_msg(rc == 0 && r->error[0] == '\0',
	    "%s under %s: sched_run returned %d (error \"%s\")", what,
	    ledger_sync_name(v), rc, r->error);
}

/* The same on a pool: its workers and ledger kept after a clean run. */
static void
pool_run_ok(struct sched_pool *pool, enum sync_kind v,
    const struct sched_perm *p, struct sched_result *r, const char *what)
{
	int rc;

	memset(r, 0, sizeof(*r));
	rc = sched_pool_run(pool, p, NULL, r);
	ck_assert_msg(rc == 0 && r->error[0] == '\0',
	    "%s under %s: sched_pool_run returned %d (error \"%s\")", what,
	    ledger_sync_name(v), rc, r->error);
}

/* The last event of process proc, or NULL. */
static const struct sched_event *
last_event_of(const struct sched_result *r, int proc)
{
	int i;

	for (i = r->nev - 1; i >= 0; i--)
		if (r->ev[i].proc == proc)
			return &r->ev[i];
	return NULL;
}

static int
count_events(const struct sched_result *r, int proc, enum sched_event_kind k)
{
	int i, n = 0;

	for (i = 0; i < r->nev; i++)
		n += r->ev[i].proc == proc && r->ev[i].kind == k;
	return n;
}

/* ------------------------------------------------------------ lessons */

enum lesson_kind { L_RACE, L_STALE, L_DEADLOCK, L_CRASH };

static const struct {
	const char *name;
	enum lesson_kind kind;
} lessons[] = {
	{ "race", L_RACE },
	{ "stale", L_STALE },
	{ "deadlock", L_DEADLOCK },
	{ "crash", L_CRASH },
};
#define NLESSONS	((int)(sizeof(lessons) / sizeof(lessons[0])))

/* The anomaly the lesson promises under v, of the right kind. */
static void
assert_anomaly(enum lesson_kind k, enum sync_kind v,
    const struct sched_result *r, const char *what)
{
	const char *vn = ledger_sync_name(v);

	ck_assert_msg(r->anomaly, "%s under %s: no anomaly (lost_writes %lld, "
	    "lost_cents %lld, stale %llu, deadlock %d, stuck %d)", what, vn,
	    (long long)r->check.lost_writes, (long long)r->check.lost_cents,
	    (unsigned long long)r->stale_audits, r->deadlock, r->stuck);
	switch (k) {
	case L_RACE:
		ck_assert_msg(r->check.lost_writes > 0, "%s under %s: anomaly "
		    "but lost_writes %lld", what, vn,
		    (long long)r->check.lost_writes);
		break;
	case L_STALE:
		ck_assert_msg(r->stale_audits > 0, "%s under %s: anomaly but "
		    "stale_audits %llu", what, vn,
		    (unsigned long long)r->stale_audits);
		break;
	case L_DEADLOCK:
		ck_assert_msg(r->deadlock, "%s under %s: anomaly but no "
		    "deadlock", what, vn);
		ck_assert_msg(r->cycle_len == 2, "%s under %s: a deadlock of "
		    "2 processes with a cycle of %d", what, vn, r->cycle_len);
		break;
	case L_CRASH:
		if (v == SYNC_SEMAPHORE)
			ck_assert_msg(r->stuck, "%s under semaphore: the "
			    "holder died but the run is not stuck", what);
		else
			ck_assert_msg(r->check.lost_cents != 0, "%s under %s: "
			    "killed mid-transfer but lost_cents is 0", what,
			    vn);
		break;
	}
}

static void
assert_clean(enum lesson_kind k, enum sync_kind v,
    const struct sched_result *r, const char *what)
{
	const char *vn = ledger_sync_name(v);

	ck_assert_msg(!r->anomaly, "%s under %s: an anomaly (lost_writes "
	    "%lld, lost_cents %lld, stale %llu, deadlock %d, stuck %d)", what,
	    vn, (long long)r->check.lost_writes,
	    (long long)r->check.lost_cents,
	    (unsigned long long)r->stale_audits, r->deadlock, r->stuck);
	ck_assert_msg(r->check.is_ok, "%s under %s: the books do not agree "
	    "(expected %lld, observed %lld)", what, vn,
	    (long long)r->check.expected, (long long)r->check.observed);
	if (k == L_CRASH && v != SYNC_NONE) {
		ck_assert_msg(r->repairs >= 1, "%s under %s: the dead "
		    "worker's transfer was not repaired (repairs %llu)", what,
		    vn, (unsigned long long)r->repairs);
		ck_assert_msg(r->check.lost_cents == 0, "%s under %s: "
		    "lost_cents %lld after the repair", what, vn,
		    (long long)r->check.lost_cents);
	}
}

/*
 * _i = lesson * SYNC_COUNT + variant.  Each permutation of the file, RUNS
 * times: the verdict the file promises for the variant, and the same
 * timeline every time.  A variant in neither mask is promised nothing.
 * The first run of each is sched_run()'s (fresh processes, fresh ledger),
 * the others a pool's: after a clean run the same workers on the same
 * ledger, reset; they must not tell.
 */
START_TEST(test_lesson_promise)
{
	const int li = _i / SYNC_COUNT;
	const enum sync_kind v = (enum sync_kind)(_i % SYNC_COUNT);
	struct sched_result first, r;
	struct sched_pool *pool;
	struct sched_spec *s;
	char path[PATH_MAX], what[PATH_MAX + 64], why[256];
	bool is_anomaly, is_clean;
	double t0 = lab_now_s();
	int p, k;

	s = lesson_spec(lessons[li].name, path, sizeof(path));
	ck_assert_msg(s->nperms >= 1, "%s: no permutation", path);
	ck_assert_msg(s->anomaly_mask != 0 && s->clean_mask != 0, "%s: "
	    "anomaly mask %#x, clean mask %#x: a lesson needs both", path,
	    s->anomaly_mask, s->clean_mask);
	ck_assert_msg((s->anomaly_mask & s->clean_mask) == 0, "%s: anomaly "
	    "mask %#x and clean mask %#x overlap", path, s->anomaly_mask,
	    s->clean_mask);
	is_anomaly = (s->anomaly_mask & (1u << v)) != 0;
	is_clean = (s->clean_mask & (1u << v)) != 0;
	if (!is_anomaly && !is_clean) {
		free(s);
		return;
	}
	ck_assert_int_eq(sched_pool_open(s, v, true, &pool), 0);
	for (p = 0; p < s->nperms; p++) {
		int runs = RUNS;
		double tp = lab_now_s();

		for (k = 0; k < runs; k++) {
			if (k == 2 && (lab_now_s() - tp) / 2 > RUN_SLOW_S)
				runs = RUNS_SLOW;
			snprintf(what, sizeof(what), "%s permutation %d, run "
			    "%d", path, p + 1, k + 1);
			if (k == 0)
				run_ok(s, v, &s->perm[p], &first, what);
			else
				pool_run_ok(pool, v, &s->perm[p], &r, what);
			if (k == 0) {
				if (is_anomaly)
					assert_anomaly(lessons[li].kind, v,
					    &first, what);
				else
					assert_clean(lessons[li].kind, v,
					    &first, what);
				continue;
			}
			if (is_anomaly)
				assert_anomaly(lessons[li].kind, v, &r, what);
			else
				assert_clean(lessons[li].kind, v, &r, what);
			ck_assert_msg(same_events(first.ev, first.nev, r.ev,
			    r.nev, why, sizeof(why)), "%s under %s: not the "
			    "same run as run 1: %s", what, ledger_sync_name(v),
			    why);
			sched_result_free(&r);
		}
		sched_result_free(&first);
	}
	/* For the log: what RUNS costs (not asserted). */
	printf("lessons: %s under %s: %d permutation(s) in %.2f s "
	    "(%u fresh starts)\n", lessons[li].name, ledger_sync_name(v),
	    s->nperms, lab_now_s() - t0, sched_pool_starts(pool) +
	    (unsigned)s->nperms);
	sched_pool_close(pool);
	free(s);
}
END_TEST

/* ------------------------------------------------------------ explore */

#define EXPLORE_CAP	256

struct race_tally {
	unsigned runs, failing;
	char seen[EXPLORE_CAP][64];	/* each run's releases, as a line */
	const struct sched_spec *s;
};

/*
 * Where each process's k-th release (k = 0..3) is in r->taken; ck-fails
 * unless each process was released exactly 4 times.
 */
static void
race_positions(const struct sched_result *r, unsigned run, int pos[2][4])
{
	int cnt[2] = { 0, 0 }, i, p;

	ck_assert_msg(r->error[0] == '\0', "run %u could not be made: %s "
	    "(%d releases, %d events)", run, r->error, r->ntaken, r->nev);
	ck_assert_msg(r->ntaken == 8, "run %u: %d releases, not 8", run,
	    r->ntaken);
	for (i = 0; i < r->ntaken; i++) {
		p = r->taken[i].proc;
		ck_assert_msg(p == 0 || p == 1, "run %u: release %d of "
		    "process %d", run, i + 1, p);
		ck_assert_msg(r->taken[i].step == 0, "run %u: release %d "
		    "targets step %u, exploration only says `next`", run,
		    i + 1, r->taken[i].step);
		ck_assert_msg(cnt[p] < 4, "run %u: p%d released more than 4 "
		    "times", run, p + 1);
		pos[p][cnt[p]++] = i;
	}
	ck_assert_msg(cnt[0] == 4 && cnt[1] == 4, "run %u: p1 released %d "
	    "times, p2 %d", run, cnt[0], cnt[1]);
}

static void
race_note(struct race_tally *t, const struct sched_result *r, unsigned run)
{
	unsigned i;

	ck_assert_msg(run == t->runs + 1, "callback for run %u after %u runs",
	    run, t->runs);
	ck_assert_msg(run <= EXPLORE_CAP, "more than %d runs", EXPLORE_CAP);
	sched_format_perm(t->s, r->taken, r->ntaken, t->seen[run - 1],
	    sizeof(t->seen[0]));
	for (i = 0; i + 1 < run; i++)
		ck_assert_msg(strcmp(t->seen[i], t->seen[run - 1]) != 0,
		    "runs %u and %u are the same interleaving: %s", i + 1, run,
		    t->seen[i]);
	t->runs = run;
	t->failing += r->anomaly;
}

/*
 * Under none each run must lose an update exactly when the hand-made rule
 * says so (see test_explore_race_none).
 */
static void
race_none_cb(const struct sched_result *r, unsigned run, void *arg)
{
	struct race_tally *t = arg;
	int pos[2][4];
	bool lost;

	race_positions(r, run, pos);
	race_note(t, r, run);
	/* a1 < b2 and b1 < a2: each read comes before the other's write. */
	lost = pos[0][0] < pos[1][1] && pos[1][0] < pos[0][1];
	ck_assert_msg(r->anomaly == lost, "run %u (%s): anomaly %d, but the "
	    "reads and writes say %d", run, t->seen[run - 1], r->anomaly,
	    lost);
	if (lost)
		ck_assert_msg(r->check.lost_writes == 1, "run %u (%s): "
		    "lost_writes %lld, not 1", run, t->seen[run - 1],
		    (long long)r->check.lost_writes);
}

/*
 * race.sched: p1 withdraw 0 3000, p2 deposit 0 500.  After the start each
 * is parked at `lock`, and has 4 releases to make: a1 (lock and read),
 * a2 (write), a3 (unlock), a4 (to the end); likewise b1..b4.  With no lock
 * any interleaving of the two sequences of 4 can happen: C(8,4) = 70 runs.
 *
 * An update is lost iff each process reads before the other writes:
 * a1 < b2 and b1 < a2.  The complement: a2 < b1 (p1 read and wrote before
 * p2 read: a1 a2 come first, then b1..b4 and a3 a4 interleave, C(6,2) = 15
 * ways) or b2 < a1 (the mirror, 15 ways); both at once is impossible
 * (a1 < a2 < b1 < b2 < a1).  So 70 - 30 = 40 runs fail.
 */
START_TEST(test_explore_race_none)
{
	struct sched_explore_opts o = { SCHED_REPLAY, 0, 0, 0, 0, 0 };
	struct sched_explore_stats st;
	struct race_tally *t = calloc(1, sizeof(*t));
	struct sched_spec *s;
	char path[PATH_MAX];
	int rc;

	ck_assert_ptr_nonnull(t);
	s = lesson_spec("race", path, sizeof(path));
	t->s = s;
	rc = sched_explore(s, SYNC_NONE, &o, race_none_cb, t, &st);
	ck_assert_msg(rc == 0, "sched_explore returned %d", rc);
	ck_assert_msg(st.is_complete, "not complete after %u runs", st.runs);
	ck_assert_uint_eq(st.runs, 70);
	ck_assert_uint_eq(t->runs, 70);
	ck_assert_uint_eq(st.failing, 40);
	ck_assert_uint_eq(t->failing, 40);
	ck_assert_msg(st.first_failing >= 1 && st.first_failing <= 70,
	    "first_failing %u", st.first_failing);
	/* For the log, not asserted: about 0.15-0.6 s here. */
	printf("explore: race under none: %u runs, %u failing, %u steps in "
	    "%.3f s\n", st.runs, st.failing, st.steps, st.elapsed_s);
	free(t);
	free(s);
}
END_TEST

/*
 * Under a lock, whoever is released first at `lock` (X) takes the lock and
 * keeps it until its own 3rd release (unlock).  The other (Y) may be
 * released meanwhile: it blocks (<waiting>), is not runnable, and moves to
 * its read by itself when X unlocks; so Y's 2nd release comes after X's
 * 3rd, and X1 is the first release of all.  Count the interleavings of
 * X2 X3 X4 with Y1..Y4 in which at most Y1 comes before X3: with k of Y's
 * releases before X3 (k = 0, 1), X2 and those k can be in k+1 orders, and
 * X4 and the other 4-k in 5-k: 1*5 + 2*4 = 13.  X is p1 or p2: 26 runs,
 * none failing.  The same under semaphore, robust and ordered: one lock on
 * one account.
 */
static void
race_locked_cb(const struct sched_result *r, unsigned run, void *arg)
{
	struct race_tally *t = arg;
	int pos[2][4], x, y;

	race_positions(r, run, pos);
	race_note(t, r, run);
	x = r->taken[0].proc;
	y = 1 - x;
	ck_assert_msg(pos[y][1] > pos[x][2], "run %u (%s): p%d's 2nd release "
	    "before p%d's unlock", run, t->seen[run - 1], y + 1, x + 1);
	ck_assert_msg(!r->anomaly && r->check.lost_writes == 0, "run %u (%s): "
	    "anomaly %d, lost_writes %lld under a lock", run,
	    t->seen[run - 1], r->anomaly, (long long)r->check.lost_writes);
}

START_TEST(test_explore_race_locked)
{
	static const enum sync_kind vs[] = { SYNC_SEMAPHORE, SYNC_ROBUST,
	    SYNC_ORDERED };
	struct sched_explore_opts o = { SCHED_REPLAY, 0, 0, 0, 0, 0 };
	struct sched_explore_stats st;
	struct race_tally *t = calloc(1, sizeof(*t));
	struct sched_spec *s;
	char path[PATH_MAX];
	int rc;

	ck_assert_ptr_nonnull(t);
	s = lesson_spec("race", path, sizeof(path));
	t->s = s;
	rc = sched_explore(s, vs[_i], &o, race_locked_cb, t, &st);
	ck_assert_msg(rc == 0, "%s: sched_explore returned %d",
	    ledger_sync_name(vs[_i]), rc);
	ck_assert_msg(st.is_complete, "%s: not complete after %u runs",
	    ledger_sync_name(vs[_i]), st.runs);
	ck_assert_msg(st.runs == 26 && t->runs == 26, "%s: %u runs (%u seen "
	    "by the callback), not 26", ledger_sync_name(vs[_i]), st.runs,
	    t->runs);
	ck_assert_msg(st.failing == 0, "%s: %u failing runs",
	    ledger_sync_name(vs[_i]), st.failing);
	printf("explore: race under %s: %u runs, %u failing in %.3f s\n",
	    ledger_sync_name(vs[_i]), st.runs, st.failing, st.elapsed_s);
	free(t);
	free(s);
}
END_TEST

/* ------------------------------------------------------------ replay */

struct saved_run {
	struct sched_event *ev;
	int nev;
	struct sched_perm taken;
	bool anomaly;
	int64_t lost_writes;
};

struct saved_runs {
	struct saved_run run[EXPLORE_CAP];
	unsigned n;
};

static void
save_cb(const struct sched_result *r, unsigned run, void *arg)
{
	struct saved_runs *sv = arg;
	struct saved_run *x;
	int i;

	ck_assert_msg(run <= EXPLORE_CAP, "more than %d runs", EXPLORE_CAP);
	ck_assert_msg(r->error[0] == '\0', "run %u could not be made: %s",
	    run, r->error);
	ck_assert_msg(r->ntaken <= SCHED_ENTRIES_MAX, "run %u: %d releases",
	    run, r->ntaken);
	x = &sv->run[run - 1];
	x->nev = r->nev;
	x->ev = malloc((size_t)(r->nev + 1) * sizeof(*x->ev));
	ck_assert_ptr_nonnull(x->ev);
	memcpy(x->ev, r->ev, (size_t)r->nev * sizeof(*x->ev));
	x->taken.n = r->ntaken;
	for (i = 0; i < r->ntaken; i++)
		x->taken.e[i] = r->taken[i];
	x->anomaly = r->anomaly;
	x->lost_writes = r->check.lost_writes;
	sv->n = run;
}

/*
 * Every run of an exploration (the 40 failing and the 30 passing under
 * none; the 26 under ordered, where releases block), replayed from its
 * `taken` list as a permutation: the same verdict, the same timeline.
 */
START_TEST(test_replay_explored)
{
	static const enum sync_kind vs[] = { SYNC_NONE, SYNC_ORDERED };
	struct sched_explore_opts o = { SCHED_REPLAY, 0, 0, 0, 0, 0 };
	struct sched_explore_stats st;
	struct saved_runs *sv = calloc(1, sizeof(*sv));
	struct sched_result r;
	struct sched_spec *s;
	char path[PATH_MAX], what[320], why[256], line[256];
	unsigned k, failing = 0;
	int rc;

	ck_assert_ptr_nonnull(sv);
	s = lesson_spec("race", path, sizeof(path));
	rc = sched_explore(s, vs[_i], &o, save_cb, sv, &st);
	ck_assert_msg(rc == 0, "sched_explore returned %d", rc);
	ck_assert_uint_eq(sv->n, st.runs);
	for (k = 0; k < sv->n; k++) {
		struct saved_run *x = &sv->run[k];

		sched_format_perm(s, x->taken.e, x->taken.n, line,
		    sizeof(line));
		snprintf(what, sizeof(what), "run %u replayed as '%s'", k + 1,
		    line);
		run_ok(s, vs[_i], &x->taken, &r, what);
		ck_assert_msg(r.anomaly == x->anomaly, "%s under %s: anomaly "
		    "%d, the explored run had %d", what,
		    ledger_sync_name(vs[_i]), r.anomaly, x->anomaly);
		ck_assert_msg(r.check.lost_writes == x->lost_writes, "%s: "
		    "lost_writes %lld, the explored run had %lld", what,
		    (long long)r.check.lost_writes, (long long)x->lost_writes);
		ck_assert_msg(same_events(x->ev, x->nev, r.ev, r.nev, why,
		    sizeof(why)), "%s under %s: not the explored run: %s",
		    what, ledger_sync_name(vs[_i]), why);
		failing += x->anomaly;
		sched_result_free(&r);
		free(x->ev);
	}
	ck_assert_uint_eq(failing, st.failing);
	free(sv);
	free(s);
}
END_TEST

/*
 * The taken list is documented as "the releases made: a replay line", and
 * the CLI prints it as the replay of an anomalous --schedule run.  Here a
 * permutation retargets a process that is still blocked (p2:write_to while
 * p1 holds the lock): replaying `taken` must give the same run.
 */
START_TEST(test_replay_taken_of_perm)
{
	struct sched_result first, r;
	struct sched_perm *p = malloc(sizeof(*p));
	struct sched_spec *s;
	char path[PATH_MAX], why[256], line[256], tl[2048];
	int i;

	ck_assert_ptr_nonnull(p);
	s = lesson_spec("race", path, sizeof(path));
	run_ok(s, SYNC_ORDERED, &s->perm[0], &first, "permutation 1");
	p->n = first.ntaken;
	for (i = 0; i < first.ntaken; i++)
		p->e[i] = first.taken[i];
	sched_format_perm(s, p->e, p->n, line, sizeof(line));
	run_ok(s, SYNC_ORDERED, p, &r, line);
	events_text(first.ev, first.nev, tl, sizeof(tl));
	ck_assert_msg(same_events(first.ev, first.nev, r.ev, r.nev, why,
	    sizeof(why)), "race.sched permutation 1 under ordered, replayed "
	    "from its taken list '%s': not the same run: %s (the run was: %s)",
	    line, why, tl);
	sched_result_free(&first);
	sched_result_free(&r);
	free(p);
	free(s);
}
END_TEST

/* ------------------------------------------------------------ kill points */

/*
 * Kill points: p1's withdrawal is killed in the file (p1:KILL), so `all`
 * also kills p1 at each step point it reaches, one kill a run.  The runs
 * without a kill are the 26 interleavings of test_explore_race_locked;
 * p1 dies at each of its steps (lock, read_from, write_from, unlock)
 * somewhere; under semaphore a run is stuck exactly when p1 died holding
 * the lock (after lock, before unlock), under robust none fails and such
 * a run repaired the lock.  A run with a kill replays from its `taken`.
 */
#define KILL_SCHED	"accounts 2\nbalance 10000\nprocess p1 withdraw 0 3000\n" \
			"process p2 deposit 0 500\npermutation p1:read_from p1:KILL p2\n"

struct kill_tally {
	enum sync_kind v;
	unsigned runs, plain, failing;
	unsigned killed_at;		/* bit step: p1 was killed there */
	struct saved_run first;		/* the first run with a kill */
	bool has_first;
};

static void
kill_cb(const struct sched_result *r, unsigned run, void *arg)
{
	struct kill_tally *t = arg;
	const struct sched_event *at = NULL;
	char tl[2048];
	int i, kills = 0;
	bool held;

	events_text(r->ev, r->nev, tl, sizeof(tl));
	ck_assert_msg(r->error[0] == '\0', "run %u: %s", run, r->error);
	t->runs = run;
	t->failing += r->anomaly;
	for (i = 0; i < r->ntaken; i++)
		kills += r->taken[i].step == STEP_KILL;
	ck_assert_msg(kills <= 1, "run %u: %d kills: %s", run, kills, tl);
	if (kills == 0) {
		t->plain++;
		ck_assert_msg(!r->anomaly, "run %u without a kill: %s", run, tl);
		return;
	}
	for (i = 0; i < r->nev && r->ev[i].kind != SCHED_EV_KILLED; i++)
		if (r->ev[i].proc == 0 && r->ev[i].kind == SCHED_EV_STEP)
			at = &r->ev[i];
	ck_assert_msg(i < r->nev && r->ev[i].proc == 0 && at != NULL,
	    "run %u: a kill, but not of p1 at a step: %s", run, tl);
	t->killed_at |= 1u << at->step;
	held = at->step == STEP_READ_FROM ||
	    at->step == STEP_WRITE_FROM;
	if (t->v == SYNC_SEMAPHORE)
		ck_assert_msg(r->stuck == held && r->anomaly == held, "run %u: "
		    "p1 killed at %s, stuck %d: %s", run,
		    sched_step_name(at->step), r->stuck, tl);
	else
		ck_assert_msg(!r->anomaly && (!held || r->repairs >= 1),
		    "run %u: p1 killed at %s: anomaly %d, %llu repairs: %s",
		    run, sched_step_name(at->step), r->anomaly,
		    (unsigned long long)r->repairs, tl);
	if (!t->has_first) {
		t->has_first = true;
		t->first.nev = r->nev;
		t->first.ev = malloc((size_t)r->nev * sizeof(*r->ev));
		ck_assert_ptr_nonnull(t->first.ev);
		memcpy(t->first.ev, r->ev, (size_t)r->nev * sizeof(*r->ev));
		t->first.taken.n = r->ntaken;
		for (i = 0; i < r->ntaken; i++)
			t->first.taken.e[i] = r->taken[i];
	}
}

START_TEST(test_explore_kill_points)
{
	static const enum sync_kind vs[] = { SYNC_SEMAPHORE, SYNC_ROBUST };
	struct sched_explore_opts o = { SCHED_REPLAY, 0, 0, 0, 0, 0 };
	struct sched_explore_stats st;
	struct kill_tally *t = calloc(1, sizeof(*t));
	struct sched_spec *s = text_spec(KILL_SCHED);
	struct sched_result r;
	char why[256];
	unsigned want = 1u << STEP_LOCK | 1u << STEP_READ_FROM |
	    1u << STEP_WRITE_FROM | 1u << STEP_UNLOCK;

	ck_assert_ptr_nonnull(t);
	t->v = vs[_i];
	ck_assert_int_eq(sched_explore(s, t->v, &o, kill_cb, t, &st), 0);
	ck_assert_msg(st.is_complete && st.runs == t->runs, "complete %d, %u "
	    "runs", st.is_complete, st.runs);
	ck_assert_msg(t->plain == 26, "%u runs without a kill, not 26",
	    t->plain);
	ck_assert_msg((t->killed_at & want) == want, "p1 killed at steps %#x, "
	    "not at each of %#x", t->killed_at, want);
	ck_assert_msg(vs[_i] == SYNC_SEMAPHORE ? st.failing > 0 :
	    st.failing == 0, "%u failing", st.failing);
	ck_assert(t->has_first);
	run_ok(s, t->v, &t->first.taken, &r, "a run with a kill, replayed");
	ck_assert_msg(same_events(t->first.ev, t->first.nev, r.ev, r.nev, why,
	    sizeof(why)), "a run with a kill, replayed: %s", why);
	printf("explore: kills under %s: %u runs, %u with a kill, %u failing "
	    "in %.3f s\n", ledger_sync_name(t->v), st.runs, st.runs - t->plain,
	    st.failing, st.elapsed_s);
	sched_result_free(&r);
	free(t->first.ev);
	free(t);
	free(s);
}
END_TEST

/* ------------------------------------------------------------ cli */

struct cli_out {
	int code;		/* exit code, or 128 + signal */
	char *text;		/* stdout (and stderr if asked) */
};

static void
bin_dir(char *buf, size_t len)
{
	const char *d = getenv("BANKLAB_BIN_DIR");

	ck_assert_msg(d != NULL, "BANKLAB_BIN_DIR is not set (main sets it "
	    "when run by hand)");
	snprintf(buf, len, "%s", d);
}

/*
 * Run a command line through sh as a user types it: the programs are
 * found on PATH ($BANKLAB_BIN_DIR first), BANKLAB_SYNC is not inherited.
 * `exec` keeps the program's pid, which names its segments.
 */
static void cli(struct cli_out *o, bool with_stderr, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
cli(struct cli_out *o, bool with_stderr, const char *fmt, ...)
{
	char dir[PATH_MAX], line[8192], cmd[16384];
	char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	struct spawn_set set;
	struct spawn_child *c;
	va_list ap;
	int k;

	bin_dir(dir, sizeof(dir));
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "unset BANKLAB_SYNC; PATH='%s':\"$PATH\"; "
	    "export PATH; exec %s%s", dir, line, with_stderr ? " 2>&1" : "");
	spawn_init(&set);
	k = spawn_start(&set, argv);
	ck_assert_msg(k >= 0, "cannot start %s: %d", line, k);
	note_pid(set.child[k].pid);
	ck_assert_int_eq(spawn_wait(&set, 60000, NULL, NULL), 0);
	c = &set.child[k];
	o->code = tl_exit_code(c->status);
	o->text = strdup(c->out ? c->out : "");
	ck_assert_ptr_nonnull(o->text);
	spawn_free(&set);
}

/* The first line of text that contains "replay: ", after it; or NULL. */
static char *
first_replay(const char *text, char *buf, size_t len)
{
	const char *at = strstr(text, "replay: "), *end;

	if (at == NULL)
		return NULL;
	at += strlen("replay: ");
	end = strchr(at, '\n');
	if (end == NULL)
		end = at + strlen(at);
	snprintf(buf, len, "%.*s", (int)(end - at), at);
	return buf;
}

/* The value of opt in line: 'quoted' or up to the next blank. */
static bool
option_value(const char *line, const char *opt, char *buf, size_t len)
{
	const char *at = strstr(line, opt), *end;

	if (at == NULL)
		return false;
	at += strlen(opt);
	while (*at == ' ')
		at++;
	if (*at == '\'') {
		at++;
		end = strchr(at, '\'');
	} else {
		end = strchr(at, ' ');
	}
	if (end == NULL)
		end = at + strlen(at);
	snprintf(buf, len, "%.*s", (int)(end - at), at);
	return true;
}

/*
 * Explore FILE with banklab-sched, take the first replay line it prints,
 * and check it: the printed permutation is the library's first failing
 * run, it replays to an anomaly through the library, and run as printed
 * it exits 1.
 */
static void
cli_replay(const char *file)
{
	struct sched_explore_opts eo = { SCHED_REPLAY, 0, 0, 0, 0, 0 };
	struct sched_explore_stats st;
	struct saved_runs *sv = calloc(1, sizeof(*sv));
	struct sched_result r;
	struct sched_perm *p = malloc(sizeof(*p));
	struct sched_spec *s = malloc(sizeof(*s));
	struct cli_out o, again;
	enum sync_kind v;
	char err[512], line[1024], sched[512], sync[32], want[512];
	unsigned k;

	ck_assert_ptr_nonnull(sv);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(s);
	ck_assert_msg(sched_parse_file(file, s, err, sizeof(err)) == 0, "%s",
	    err);
	s->worker = getenv("BANKLAB_WORKER");
	s->run_tag = getenv("BANKLAB_RUN_TAG");
	cli(&o, true, "banklab-sched '%s' --explore all", file);
	ck_assert_msg(o.code == 1, "banklab-sched %s --explore all: exit %d: "
	    "%s", file, o.code, o.text);
	ck_assert_msg(first_replay(o.text, line, sizeof(line)) != NULL,
	    "banklab-sched %s --explore all printed no replay line: %s", file,
	    o.text);
	ck_assert_msg(option_value(line, "--schedule", sched, sizeof(sched)),
	    "no --schedule in \"%s\"", line);
	ck_assert_msg(option_value(line, "--sync", sync, sizeof(sync)),
	    "no --sync in \"%s\"", line);
	ck_assert_msg(ledger_sync_parse(sync, &v) == 0, "\"%s\": --sync %s",
	    line, sync);
	ck_assert_msg(v == SYNC_NONE, "\"%s\": --sync %s, race.sched says "
	    "none", line, sync);

	/* It is the library's first failing run. */
	ck_assert_int_eq(sched_explore(s, v, &eo, save_cb, sv, &st), 0);
	ck_assert_msg(st.first_failing >= 1, "the library found no failing "
	    "run");
	sched_format_perm(s, sv->run[st.first_failing - 1].taken.e,
	    sv->run[st.first_failing - 1].taken.n, want, sizeof(want));
	ck_assert_msg(strcmp(sched, want) == 0, "printed replay '%s', the "
	    "first failing run (%u) was '%s'", sched, st.first_failing, want);
	for (k = 0; k < sv->n; k++)
		free(sv->run[k].ev);

	/* Through the library: the same anomaly. */
	perm_of(s, sched, p);
	run_ok(s, v, p, &r, sched);
	ck_assert_msg(r.anomaly && r.check.lost_writes > 0, "'%s' under %s: "
	    "anomaly %d, lost_writes %lld", sched, sync, r.anomaly,
	    (long long)r.check.lost_writes);
	sched_result_free(&r);

	/* As printed. */
	cli(&again, true, "%s", line);
	ck_assert_msg(again.code == 1, "\"%s\", run as printed: exit %d: %s",
	    line, again.code, again.text);
	ck_assert_msg(strstr(again.text, "LOST UPDATE") != NULL, "\"%s\": "
	    "no LOST UPDATE in: %s", line, again.text);
	free(o.text);
	free(again.text);
	free(p);
	free(s);
	free(sv);
}

START_TEST(test_replay_cli)
{
	char path[PATH_MAX];

	ck_assert_int_eq(find_lesson("race", path, sizeof(path)), 0);
	cli_replay(path);
}
END_TEST

/* Copy src to dst (small files). */
static void
copy_file(const char *src, const char *dst)
{
	char buf[65536];
	FILE *in = fopen(src, "r"), *out;
	size_t n;

	ck_assert_msg(in != NULL, "%s: %s", src, strerror(errno));
	out = fopen(dst, "w");
	ck_assert_msg(out != NULL, "%s: %s", dst, strerror(errno));
	n = fread(buf, 1, sizeof(buf), in);
	ck_assert_uint_eq(fwrite(buf, 1, n, out), n);
	fclose(in);
	ck_assert_int_eq(fclose(out), 0);
}

/*
 * The folder of test_replay_cli_blank_in_path: named after the runner
 * (main() puts its pid in the environment), so that concurrent runs of
 * this suite never share it and the runner can remove it after a failure.
 */
static void
blank_dir(char *dir, size_t len, char *file, size_t flen)
{
	const char *runner = getenv("CHECK_SCHEDULE_RUNNER");

	snprintf(dir, len, "/tmp/check schedule %s", runner ? runner : "0");
	snprintf(file, flen, "%s/race.sched", dir);
}

/*
 * The same with the schedule in a folder whose name has a blank (as
 * "My Documents" does): the printed line must still run as printed.
 */
START_TEST(test_replay_cli_blank_in_path)
{
	char src[PATH_MAX], dir[PATH_MAX], file[PATH_MAX + 16];

	ck_assert_int_eq(find_lesson("race", src, sizeof(src)), 0);
	blank_dir(dir, sizeof(dir), file, sizeof(file));
	ck_assert_msg(mkdir(dir, 0700) == 0 || errno == EEXIST, "%s: %s", dir,
	    strerror(errno));
	copy_file(src, file);
	/* A failing assert leaves it: blank_dir_cleanup() removes it. */
	cli_replay(file);
	unlink(file);
	rmdir(dir);
}
END_TEST

static void
blank_dir_cleanup(void)
{
	char dir[PATH_MAX], file[PATH_MAX + 16];

	blank_dir(dir, sizeof(dir), file, sizeof(file));
	unlink(file);
	rmdir(dir);
}

/* ------------------------------------------------------------ blocked */

/*
 * race.sched permutation 1 under ordered: p2's read waits for p1's lock.
 * It is reported <waiting>, the run goes on and ends, and no update is
 * lost.
 */
START_TEST(test_blocked_waiting)
{
	struct sched_result r;
	struct sched_spec *s;
	const struct sched_event *e;
	char path[PATH_MAX], tl[2048];

	s = lesson_spec("race", path, sizeof(path));
	run_ok(s, SYNC_ORDERED, &s->perm[0], &r, "race.sched permutation 1");
	events_text(r.ev, r.nev, tl, sizeof(tl));
	ck_assert_msg(count_events(&r, 1, SCHED_EV_WAITING) >= 1, "no "
	    "WAITING event for p2: %s", tl);
	ck_assert_msg(count_events(&r, 0, SCHED_EV_WAITING) == 0, "p1 (the "
	    "holder) waited: %s", tl);
	ck_assert_msg(!r.anomaly && !r.deadlock, "anomaly %d, deadlock %d: "
	    "%s", r.anomaly, r.deadlock, tl);
	e = last_event_of(&r, 0);
	ck_assert_msg(e != NULL && e->kind == SCHED_EV_DONE, "p1 did not "
	    "end DONE: %s", tl);
	e = last_event_of(&r, 1);
	ck_assert_msg(e != NULL && e->kind == SCHED_EV_DONE, "p2 did not "
	    "end DONE: %s", tl);
	sched_result_free(&r);
	free(s);
}
END_TEST

/* deadlock.sched under robust: detected and reported, not a hang. */
START_TEST(test_blocked_deadlock)
{
	struct sched_result r;
	struct sched_spec *s;
	const struct sched_event *e;
	char path[PATH_MAX], tl[2048];
	int p;

	s = lesson_spec("deadlock", path, sizeof(path));
	run_ok(s, SYNC_ROBUST, &s->perm[0], &r, "deadlock.sched");
	events_text(r.ev, r.nev, tl, sizeof(tl));
	ck_assert_msg(r.deadlock && r.anomaly, "deadlock %d, anomaly %d: %s",
	    r.deadlock, r.anomaly, tl);
	ck_assert_msg(r.cycle_len == 2, "cycle of %d: %s", r.cycle_len, tl);
	for (p = 0; p < 2; p++) {
		e = last_event_of(&r, p);
		ck_assert_msg(e != NULL && e->kind == SCHED_EV_WAITING, "p%d "
		    "does not end WAITING: %s", p + 1, tl);
	}
	/* Each holds what the other waits for. */
	ck_assert_msg(r.cycle[0].holds == r.cycle[1].waits &&
	    r.cycle[1].holds == r.cycle[0].waits, "cycle: %d holds #%lld "
	    "waits #%lld; %d holds #%lld waits #%lld", (int)r.cycle[0].pid,
	    (long long)r.cycle[0].holds, (long long)r.cycle[0].waits,
	    (int)r.cycle[1].pid, (long long)r.cycle[1].holds,
	    (long long)r.cycle[1].waits);
	sched_result_free(&r);
	free(s);
}
END_TEST

/*
 * A step the process never reaches (a withdrawal has no write_to): it
 * runs to its end, and the schedule goes on and ends; _i picks the
 * variant.
 */
START_TEST(test_blocked_never_reached)
{
	static const char text[] =
	    "accounts 2\n"
	    "process p1 withdraw 0 3000\n"
	    "process p2 deposit 0 500\n"
	    "permutation p1:write_to p2:read_to p2\n";
	struct sched_result r;
	struct sched_perm *p = malloc(sizeof(*p));
	struct sched_spec *s = text_spec(text);
	const enum sync_kind v = (enum sync_kind)_i;
	const struct sched_event *e;
	char tl[2048];

	ck_assert_ptr_nonnull(p);
	run_ok(s, v, &s->perm[0], &r, "p1:write_to p2:read_to p2");
	events_text(r.ev, r.nev, tl, sizeof(tl));
	ck_assert_msg(!r.anomaly && r.check.is_ok, "p1 ran to its end before "
	    "p2 started, yet: anomaly %d, ok %d: %s", r.anomaly,
	    r.check.is_ok, tl);
	e = last_event_of(&r, 0);
	ck_assert_msg(e != NULL && e->kind == SCHED_EV_DONE, "p1 did not "
	    "end DONE: %s", tl);
	e = last_event_of(&r, 1);
	ck_assert_msg(e != NULL && e->kind == SCHED_EV_DONE, "p2 did not "
	    "end DONE: %s", tl);
	sched_result_free(&r);

	/* A step no process has at all: the same. */
	perm_of(s, "p2:audit_read p1:first_lock", p);
	run_ok(s, v, p, &r, "p2:audit_read p1:first_lock");
	events_text(r.ev, r.nev, tl, sizeof(tl));
	ck_assert_msg(!r.anomaly, "anomaly: %s", tl);
	ck_assert_int_eq(count_events(&r, 0, SCHED_EV_DONE), 1);
	ck_assert_int_eq(count_events(&r, 1, SCHED_EV_DONE), 1);
	sched_result_free(&r);
	free(p);
	free(s);
}
END_TEST

/* ------------------------------------------------------------ timeline */

/*
 * The steps process proc parked at, in order, as "read_from=10000 ..."
 * (step name and value): what its column of the timeline shows.
 */
static void
steps_of(const struct sched_result *r, int proc, char *buf, size_t len)
{
	size_t at = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < r->nev && at + 1 < len; i++)
		if (r->ev[i].proc == proc && r->ev[i].kind == SCHED_EV_STEP)
			at += (size_t)snprintf(buf + at, len - at, "%s%s=%lld",
			    at ? " " : "", sched_step_name(r->ev[i].step),
			    (long long)r->ev[i].value);
}

/*
 * crash.sched, "p1:write_from p1:KILL p2": the one entry runs p1 through
 * its reads to its debit, and each step it reaches is a row of its own;
 * the crash timeline showed only write_from, so never the reads the debit
 * came from.  _i: none, semaphore, robust.
 */
START_TEST(test_timeline_every_step)
{
	static const enum sync_kind vs[] = { SYNC_NONE, SYNC_SEMAPHORE,
	    SYNC_ROBUST };
	struct sched_result r;
	struct sched_spec *s;
	char path[PATH_MAX], steps[512], tl[2048];

	s = lesson_spec("crash", path, sizeof(path));
	run_ok(s, vs[_i], &s->perm[0], &r, "crash.sched");
	steps_of(&r, 0, steps, sizeof(steps));
	events_text(r.ev, r.nev, tl, sizeof(tl));
	ck_assert_msg(strstr(steps, "read_from=10000 read_to=10000 "
	    "write_from=6000") != NULL, "crash.sched under %s: p1 parked at "
	    "\"%s\", not read_from, read_to, write_from (the debit): %s",
	    ledger_sync_name(vs[_i]), steps, tl);
	ck_assert_msg(last_event_of(&r, 0)->kind == SCHED_EV_KILLED,
	    "crash.sched under %s: p1 not killed after its debit: %s",
	    ledger_sync_name(vs[_i]), tl);
	sched_result_free(&r);
	free(s);
}
END_TEST

/*
 * race.sched permutation 1 under a lock: p2 waits at its read, and its
 * entry p2:write_to comes while it still waits.  When p1 unlocks, p2
 * reads the balance p1 wrote (7000), then writes 7500: the read is a row
 * too (it was run through, and the timeline lost it).  _i: semaphore,
 * ordered.
 */
START_TEST(test_timeline_blocked_read)
{
	static const enum sync_kind vs[] = { SYNC_SEMAPHORE, SYNC_ORDERED };
	struct sched_result r;
	struct sched_spec *s;
	char path[PATH_MAX], steps[512], tl[2048];

	s = lesson_spec("race", path, sizeof(path));
	run_ok(s, vs[_i], &s->perm[0], &r, "race.sched permutation 1");
	steps_of(&r, 1, steps, sizeof(steps));
	events_text(r.ev, r.nev, tl, sizeof(tl));
	ck_assert_msg(count_events(&r, 1, SCHED_EV_WAITING) >= 1, "under %s: "
	    "p2 never waited: %s", ledger_sync_name(vs[_i]), tl);
	ck_assert_msg(strstr(steps, "read_to=7000 write_to=7500") != NULL,
	    "under %s: p2 parked at \"%s\", not read_to=7000 then "
	    "write_to=7500: %s", ledger_sync_name(vs[_i]), steps, tl);
	ck_assert_msg(!r.anomaly, "under %s: anomaly: %s",
	    ledger_sync_name(vs[_i]), tl);
	sched_result_free(&r);
	free(s);
}
END_TEST

/* ------------------------------------------------------------ kill */

static const enum sync_kind kill_vs[] = { SYNC_ROBUST, SYNC_ORDERED };

/* Times process proc parked at step point step. */
static int
count_steps(const struct sched_result *r, int proc, unsigned step)
{
	int i, n = 0;

	for (i = 0; i < r->nev; i++)
		n += r->ev[i].proc == proc && r->ev[i].kind == SCHED_EV_STEP &&
		    r->ev[i].step == step;
	return n;
}

/*
 * Run `what` killed process victim once, where it was parked, and process
 * next then finished; nothing failed on a lock and the books agree, with
 * the money total; a lock the victim held was repaired (held), one it did
 * not hold needed no repair (!held).
 */
static void
assert_killed_clean(const struct sched_result *r, enum sync_kind v,
    int victim, int next, bool held, int64_t total, const char *what)
{
	const char *vn = ledger_sync_name(v);
	char tl[2048];

	events_text(r->ev, r->nev, tl, sizeof(tl));
	ck_assert_msg(count_events(r, victim, SCHED_EV_KILLED) == 1, "%s "
	    "under %s: %d KILLED events for p%d: %s", what, vn,
	    count_events(r, victim, SCHED_EV_KILLED), victim + 1, tl);
	ck_assert_msg(last_event_of(r, victim)->kind == SCHED_EV_KILLED,
	    "%s under %s: p%d did something after it was killed: %s", what,
	    vn, victim + 1, tl);
	ck_assert_msg(count_events(r, victim, SCHED_EV_DIED) == 0, "%s under "
	    "%s: p%d's kill reported as an early exit: %s", what, vn,
	    victim + 1, tl);
	ck_assert_msg(count_events(r, next, SCHED_EV_DONE) == 1, "%s under "
	    "%s: p%d did not finish: %s", what, vn, next + 1, tl);
	ck_assert_msg(r->check.is_ok, "%s under %s: books do not agree: "
	    "expected %lld, observed %lld, lost_writes %lld: %s", what, vn,
	    (long long)r->check.expected, (long long)r->check.observed,
	    (long long)r->check.lost_writes, tl);
	ck_assert_msg(r->check.observed == total, "%s under %s: total %lld, "
	    "want %lld (all or nothing): %s", what, vn,
	    (long long)r->check.observed, (long long)total, tl);
	ck_assert_msg(held ? r->repairs >= 1 : r->repairs == 0, "%s under "
	    "%s: %llu repairs, the victim %s a lock: %s", what, vn,
	    (unsigned long long)r->repairs, held ? "held" : "held no", tl);
	ck_assert_msg(!r->anomaly, "%s under %s: anomaly (failed %llu, "
	    "recover %d): %s", what, vn, (unsigned long long)r->failed,
	    r->recover_rc, tl);
}

/* crash.sched: p1 killed holding its lock(s) after the debit; repaired. */
START_TEST(test_kill_repaired)
{
	struct sched_result r;
	struct sched_spec *s;
	char path[PATH_MAX];

	s = lesson_spec("crash", path, sizeof(path));
	run_ok(s, kill_vs[_i], &s->perm[0], &r, "crash.sched");
	assert_killed_clean(&r, kill_vs[_i], 0, 1, true, 20000, "crash.sched");
	sched_result_free(&r);
	free(s);
}
END_TEST

/*
 * p1's deposit or withdrawal of 4000 on account 0, killed at each step it
 * passes; p2 then works on the same account.  Before unlock the operation
 * is undone (it held the lock from read_* on: repaired), at unlock it
 * stands; p2's always does.  The transfer's steps: tests/grade.c.
 */
static const struct {
	const char *text;
	const char *name, *next;	/* p1's and p2's operations */
	const char *steps[4];
	int64_t effect, other;	/* on the total: p1's, p2's */
} kill_ops[] = {
	{ "accounts 2\nbalance 10000\nprocess p1 deposit 0 4000\n"
	    "process p2 withdraw 0 100\n", "p1 deposit 0 4000", "withdraw 0 100",
	    { "lock", "read_to", "write_to", "unlock" }, 4000, -100 },
	{ "accounts 2\nbalance 10000\nprocess p1 withdraw 0 4000\n"
	    "process p2 deposit 0 100\n", "p1 withdraw 0 4000", "deposit 0 100",
	    { "lock", "read_from", "write_from", "unlock" }, -4000, 100 },
};
#define NKILL_OPS	((int)(sizeof(kill_ops) / sizeof(kill_ops[0])))

/* _i: operation (kill_ops) x variant (kill_vs). */
START_TEST(test_kill_every_step)
{
	enum sync_kind v = kill_vs[_i % 2];
	struct sched_spec *s = text_spec(kill_ops[_i / 2].text);
	struct sched_result r;
	struct sched_perm p;
	char line[64], what[128];
	bool stands;
	size_t k;

	for (k = 0; k < 4; k++) {
		const char *step = kill_ops[_i / 2].steps[k];

		/*
		 * Every process starts parked at its first step point, lock;
		 * "p1:lock" there would run p1 on to a next lock (none: to
		 * its end) and leave nothing to kill.
		 */
		if (strcmp(step, "lock") == 0)
			snprintf(line, sizeof(line), "p1:KILL p2");
		else
			snprintf(line, sizeof(line), "p1:%s p1:KILL p2", step);
		snprintf(what, sizeof(what), "%s, p2 %s: \"%s\"",
		    kill_ops[_i / 2].name, kill_ops[_i / 2].next, line);
		perm_of(s, line, &p);
		run_ok(s, v, &p, &r, what);
		ck_assert_msg(count_steps(&r, 0, (unsigned)step_parse(
		    step)) == 1, "%s under %s: p1 never parked at %s", what,
		    ledger_sync_name(v), step);
		stands = strcmp(step, "unlock") == 0;
		assert_killed_clean(&r, v, 0, 1,
		    !stands && strcmp(step, "lock") != 0,
		    20000 + kill_ops[_i / 2].other +
		    (stands ? kill_ops[_i / 2].effect : 0), what);
		sched_result_free(&r);
	}
	free(s);
}
END_TEST

/*
 * A repairer killed in the middle of its repair (the `repair` step point:
 * the account restored, the lock not yet consistent): p2 finds p1 dead
 * after its write and is killed repairing; p3 gets the lock with
 * EOWNERDEAD again, repairs again, and finishes.  p1's and p2's operations
 * never happened, p3's did.
 */
static const struct {
	const char *text;
	const char *perm;
	int64_t effect;		/* p3's, on the total */
} repair_kills[] = {
	{ "accounts 2\nbalance 10000\nprocess p1 transfer 0 1 4000\n"
	    "process p2 transfer 0 1 100\nprocess p3 transfer 1 0 10\n",
	    "p1:write_from p1:KILL p2:repair p2:KILL p3", 0 },
	{ "accounts 2\nbalance 10000\nprocess p1 deposit 0 4000\n"
	    "process p2 withdraw 0 100\nprocess p3 deposit 0 10\n",
	    "p1:write_to p1:KILL p2:repair p2:KILL p3", 10 },
	{ "accounts 2\nbalance 10000\nprocess p1 withdraw 0 4000\n"
	    "process p2 deposit 0 100\nprocess p3 withdraw 0 10\n",
	    "p1:write_from p1:KILL p2:repair p2:KILL p3", -10 },
};

/* _i: schedule (repair_kills) x variant (kill_vs). */
START_TEST(test_kill_in_repair)
{
	enum sync_kind v = kill_vs[_i % 2];
	struct sched_spec *s = text_spec(repair_kills[_i / 2].text);
	struct sched_result r;
	struct sched_perm p;
	char what[256];
	int64_t total = 20000 + repair_kills[_i / 2].effect;

	snprintf(what, sizeof(what), "%s\"%s\"", repair_kills[_i / 2].text,
	    repair_kills[_i / 2].perm);
	perm_of(s, repair_kills[_i / 2].perm, &p);
	run_ok(s, v, &p, &r, what);
	ck_assert_msg(count_steps(&r, 1, STEP_REPAIR) == 1 &&
	    last_event_of(&r, 1)->kind == SCHED_EV_KILLED, "%s under %s: p2 "
	    "was not killed in its repair", what, ledger_sync_name(v));
	ck_assert_msg(count_steps(&r, 2, STEP_REPAIR) >= 1, "%s under "
	    "%s: p3 did not repair again", what, ledger_sync_name(v));
	assert_killed_clean(&r, v, 0, 2, true, total, what);
	assert_killed_clean(&r, v, 1, 2, true, total, what);
	sched_result_free(&r);
	free(s);
}
END_TEST

/* ------------------------------------------------------------ verdict */

/*
 * Runs of each shape, made by hand (a failed lock cannot be provoked on
 * cue): the words and the answer of sched_verdict(), and the JSON's
 * "anomaly" and "verdict", which must be the same two.  A run whose only
 * fault was a failed lock was "no anomaly" beside "anomaly": true.
 */
static const struct {
	bool anomaly, is_ok;
	uint64_t failed, repairs;
	int64_t lost_writes, lost_cents;
	uint32_t negative;
	bool want;
	const char *says;
} verdicts[] = {
	{ true, true, 2, 0, 0, 0, 0, true, "2 operations failed" },
	{ true, false, 0, 0, 0, 0, 1, true, "below zero" },
	{ true, true, 0, 0, 0, 0, 0, true, "ANOMALY" },
	{ true, false, 0, 0, 1, 500, 0, true, "LOST UPDATE" },
	{ false, true, 0, 2, 0, 0, 0, false, "no anomaly (2 locks" },
	{ false, true, 0, 0, 0, 0, 0, false, "no anomaly" },
};

START_TEST(test_verdict_agrees)
{
	struct sched_spec *s = text_spec("accounts 2\nprocess p1 audit\n");
	struct json_object *j, *v;
	struct sched_result r;
	char buf[256];
	bool is_anomaly;

	memset(&r, 0, sizeof(r));
	r.anomaly = verdicts[_i].anomaly;
	r.check.is_ok = verdicts[_i].is_ok;
	r.failed = verdicts[_i].failed;
	r.repairs = verdicts[_i].repairs;
	r.check.lost_writes = verdicts[_i].lost_writes;
	r.check.lost_cents = verdicts[_i].lost_cents;
	r.check.negative = verdicts[_i].negative;
	is_anomaly = sched_verdict(&r, buf, sizeof(buf));
	ck_assert_msg(is_anomaly == verdicts[_i].want && strstr(buf,
	    verdicts[_i].says) != NULL, "case %d: \"%s\", anomaly %d; want "
	    "\"%s\", %d", _i, buf, is_anomaly, verdicts[_i].says,
	    verdicts[_i].want);
	j = sched_result_json(s, ledger_sync_name(SYNC_NONE), &r);
	ck_assert_ptr_nonnull(j);
	ck_assert_msg(json_object_object_get_ex(j, "anomaly", &v) &&
	    json_object_get_boolean(v) == is_anomaly, "case %d: %s", _i,
	    json_object_to_json_string(j));
	ck_assert_msg(json_object_object_get_ex(j, "verdict", &v) &&
	    strcmp(json_object_get_string(v), buf) == 0, "case %d: %s", _i,
	    json_object_to_json_string(j));
	json_object_put(j);
	free(s);
}
END_TEST

/* ------------------------------------------------------------ shrink */

static bool
fails(const struct sched_spec *s, enum sync_kind v,
    const struct sched_perm *p)
{
	struct sched_result r;
	char line[1024];
	bool anomaly;

	sched_format_perm(s, p->e, p->n, line, sizeof(line));
	run_ok(s, v, p, &r, line);
	anomaly = r.anomaly;
	if (anomaly)
		ck_assert_msg(r.check.lost_writes > 0, "'%s': anomaly but "
		    "lost_writes %lld", line, (long long)r.check.lost_writes);
	sched_result_free(&r);
	return anomaly;
}

/*
 * _i = 0: the alternation "p1 p2 p1 p2 p1 p2 p1 p2" (a1 < b2, b1 < a2:
 * lost); _i = 1: the exploration's first failing run.
 */
START_TEST(test_shrink)
{
	struct sched_explore_opts eo = { SCHED_REPLAY, 0, 0, 0, 0, 0 };
	struct sched_explore_stats st;
	struct saved_runs *sv = NULL;
	struct sched_perm *in = malloc(sizeof(*in)), *out = malloc(
	    sizeof(*out)), *less = malloc(sizeof(*less));
	struct sched_spec *s;
	char path[PATH_MAX], a[1024], b[1024];
	unsigned runs, k;
	int rc, i;

	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(out);
	ck_assert_ptr_nonnull(less);
	s = lesson_spec("race", path, sizeof(path));
	if (_i == 0) {
		perm_of(s, "p1 p2 p1 p2 p1 p2 p1 p2", in);
	} else {
		sv = calloc(1, sizeof(*sv));
		ck_assert_ptr_nonnull(sv);
		ck_assert_int_eq(sched_explore(s, SYNC_NONE, &eo, save_cb, sv,
		    &st), 0);
		ck_assert_uint_ge(st.first_failing, 1);
		*in = sv->run[st.first_failing - 1].taken;
		for (k = 0; k < sv->n; k++)
			free(sv->run[k].ev);
		free(sv);
	}
	sched_format_perm(s, in->e, in->n, a, sizeof(a));
	ck_assert_msg(fails(s, SYNC_NONE, in), "'%s' does not fail", a);
	rc = sched_shrink(s, SYNC_NONE, in, out, &runs);
	sched_format_perm(s, out->e, out->n, b, sizeof(b));
	ck_assert_msg(rc == 0, "shrinking '%s' returned %d", a, rc);
	ck_assert_msg(out->n <= in->n, "'%s' shrunk to a longer '%s'", a, b);
	ck_assert_msg(fails(s, SYNC_NONE, out), "'%s' shrunk to '%s', which "
	    "passes", a, b);
	/* Minimal: without any one entry it passes. */
	for (i = 0; i < out->n; i++) {
		*less = *out;
		memmove(&less->e[i], &less->e[i + 1], (size_t)(less->n - i -
		    1) * sizeof(less->e[0]));
		less->n--;
		sched_format_perm(s, less->e, less->n, a, sizeof(a));
		ck_assert_msg(!fails(s, SYNC_NONE, less), "shrunk '%s' is not "
		    "minimal: without entry %d, '%s' still fails", b, i + 1,
		    a);
	}
	ck_assert_msg(runs >= (unsigned)out->n + 1, "%u runs to shrink to %d "
	    "entries", runs, out->n);
	printf("shrink: to '%s' (%d entries) in %u runs\n", b, out->n, runs);
	free(in);
	free(out);
	free(less);
	free(s);
}
END_TEST

/* A passing schedule has nothing to shrink: -EINVAL. */
START_TEST(test_shrink_passing)
{
	struct sched_perm *in = malloc(sizeof(*in)), *out = malloc(
	    sizeof(*out));
	struct sched_spec *s;
	char path[PATH_MAX];
	unsigned runs;

	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(out);
	s = lesson_spec("race", path, sizeof(path));
	perm_of(s, "p1 p1 p1 p1 p2", in);
	ck_assert_int_eq(sched_shrink(s, SYNC_NONE, in, out, &runs), -EINVAL);
	ck_assert_uint_eq(runs, 1);
	free(in);
	free(out);
	free(s);
}
END_TEST

/* ------------------------------------------------------------ parser */

/* A token longer than the lexer's 63-byte buffer (main() fills it in). */
static char long_amount[160];

static const struct {
	const char *text;
	const char *where;	/* the exact prefix of the message */
	const char *says;	/* ... and a word of it */
} bad_sched[] = {
	/* unknown statement */
	{ "accounts 2\nfrobnicate 3\nprocess p1 deposit 0 1\n",
	    "bad.sched:2:1: ", "\"frobnicate\"" },
	/* a variant of PostgreSQL's in a line about shared memory */
	{ "clean serializable\nprocess p1 audit\n", "bad.sched:1:7: ",
	    "(none, semaphore, robust, ordered), found \"serializable\"" },
	{ "db-anomaly semaphor\nprocess p1 audit\n", "bad.sched:1:12: ",
	    "ordered, serializable), found \"semaphor\"" },
	/* missing numbers: the column is where the number should be */
	{ "accounts\nprocess p1 deposit 0 1\n", "bad.sched:1:9: ",
	    "end of the line" },
	{ "process p1 deposit 0\n", "bad.sched:1:21: ", "amount" },
	{ "process p1 transfer 0\n", "bad.sched:1:22: ", "account" },
	{ "balance\nprocess p1 deposit 0 1\n", "bad.sched:1:8: ",
	    "end of the line" },
	/* numbers out of range, or not numbers */
	{ "accounts 65\nprocess p1 audit\n", "bad.sched:1:10: ", "2 to 64" },
	{ "accounts 1\nprocess p1 audit\n", "bad.sched:1:10: ", "2 to 64" },
	{ "accounts +3\nprocess p1 audit\n", "bad.sched:1:10: ", "\"+3\"" },
	{ "accounts 3x\nprocess p1 audit\n", "bad.sched:1:10: ", "\"3x\"" },
	{ "process p1 deposit 0 0\n", "bad.sched:1:22: ", "amount" },
	{ "process p1 withdraw 0 -5\n", "bad.sched:1:23: ", "amount" },
	{ "process p1 deposit 0 1000000000000001\n", "bad.sched:1:22: ",
	    "1000000000000001" },
	{ "balance -1\nprocess p1 audit\n", "bad.sched:1:9: ", "\"-1\"" },
	/* an account beyond `accounts` */
	{ "accounts 2\nprocess p1 deposit 2 100\n", "bad.sched:2:20: ",
	    "account" },
	{ "accounts 3\nprocess p1 transfer 0 3 100\n", "bad.sched:2:23: ",
	    "account" },
	{ "accounts 2\nbalance 2 500\nprocess p1 audit\n", "bad.sched:2:9: ",
	    "account" },
	/* a transfer to itself: the second account is the wrong one */
	{ "process p1 transfer 1 1 100\n", "bad.sched:1:23: ", "different" },
	/* unknown op */
	{ "process p1 steal 0 100\n", "bad.sched:1:12: ", "\"steal\"" },
	{ "process p1\n", "bad.sched:1:11: ", "operation" },
	/* unknown process in a permutation */
	{ "process p1 audit\npermutation p1 p3\n", "bad.sched:2:16: ",
	    "\"p3\"" },
	{ "process p1 audit\npermutation p1 p3:lock\n", "bad.sched:2:16: ",
	    "\"p3\"" },
	/* unknown step: the column is the step name's */
	{ "process p1 audit\npermutation p1:frob\n", "bad.sched:2:16: ",
	    "\"frob\"" },
	{ "process p1 audit\n\npermutation  p1 p1:kill\n", "bad.sched:3:20: ",
	    "\"kill\"" },
	{ "process p1 audit\npermutation p1:\n", "bad.sched:2:16: ", "step" },
	/* duplicate process */
	{ "process p1 audit\nprocess p1 deposit 0 1\n", "bad.sched:2:9: ",
	    "already" },
	/* bad process names */
	{ "process P1 audit\n", "bad.sched:1:9: ", "\"P1\"" },
	{ "process 1p audit\n", "bad.sched:1:9: ", "\"1p\"" },
	{ "process p-1 audit\n", "bad.sched:1:9: ", "\"p-1\"" },
	{ "process abcdefghijklmnop audit\n", "bad.sched:1:9: ",
	    "at most 15" },
	{ "process\n", "bad.sched:1:8: ", "process name" },
	/* accounts after the lines that use it */
	{ "process p1 audit\naccounts 3\n", "bad.sched:2:1: ", "before" },
	{ "balance 5\naccounts 3\nprocess p1 audit\n", "bad.sched:2:1: ",
	    "before" },
	/* sync takes one variant (a statement-level rule: column 1) */
	{ "sync none ordered\nprocess p1 audit\n", "bad.sched:1:1: ",
	    "one variant" },
	{ "sync fast\nprocess p1 audit\n", "bad.sched:1:6: ", "\"fast\"" },
	{ "sync\nprocess p1 audit\n", "bad.sched:1:5: ", "variant" },
	{ "anomaly none bogus\nprocess p1 audit\n", "bad.sched:1:14: ",
	    "\"bogus\"" },
	/* trailing junk */
	{ "accounts 2 3\nprocess p1 audit\n", "bad.sched:1:12: ", "\"3\"" },
	{ "process p1 deposit 0 1 junk\n", "bad.sched:1:24: ", "';'" },
	{ "process p1 audit 0\n", "bad.sched:1:18: ", "\"0\"" },
	{ "process p1 balance 0 100\n", "bad.sched:1:22: ", "\"100\"" },
	{ "process p1 deposit 0 1;\n", "bad.sched:1:24: ", "operation" },
	/* more than SCHED_PROCS_MAX (8) processes */
	{ "process p1 audit\nprocess p2 audit\nprocess p3 audit\n"
	  "process p4 audit\nprocess p5 audit\nprocess p6 audit\n"
	  "process p7 audit\nprocess p8 audit\nprocess p9 audit\n",
	    "bad.sched:9:9: ", "more than 8" },
	/* empty permutation */
	{ "process p1 audit\npermutation\n", "bad.sched:2:12: ",
	    "at least one" },
	{ "process p1 audit\npermutation   # nothing\n", "bad.sched:2:15: ",
	    "at least one" },
	/*
	 * No process at all: the file as a whole is wrong, no line is, so
	 * the message names the file alone.
	 */
	{ "accounts 2\n# process p1 audit\n", "bad.sched: ", "no process" },
	{ "", "bad.sched: ", "no process" },
	/* CRLF does not move columns */
	{ "accounts 2\r\nprocess p1 deposit 5 1\r\n", "bad.sched:2:20: ",
	    "\"5\"" },
	/* a token longer than the lexer's buffer is not cut to fit */
	{ long_amount, "bad.sched:1:22: ", "amount" },
};
#define NBAD	((int)(sizeof(bad_sched) / sizeof(bad_sched[0])))

START_TEST(test_parse_bad)
{
	struct sched_spec *s = malloc(sizeof(*s));
	char err[512];
	int rc;

	ck_assert_ptr_nonnull(s);
	memset(err, 0, sizeof(err));
	rc = sched_parse_text(bad_sched[_i].text, "bad.sched", s, err,
	    sizeof(err));
	ck_assert_msg(rc == -EINVAL, "case %d \"%s\": returned %d (message "
	    "\"%s\")", _i, bad_sched[_i].text, rc, err);
	ck_assert_msg(strncmp(err, bad_sched[_i].where,
	    strlen(bad_sched[_i].where)) == 0, "case %d \"%s\": said \"%s\", "
	    "not at %s", _i, bad_sched[_i].text, err, bad_sched[_i].where);
	ck_assert_msg(strstr(err, bad_sched[_i].says) != NULL, "case %d "
	    "\"%s\": said \"%s\", without %s", _i, bad_sched[_i].text, err,
	    bad_sched[_i].says);
	ck_assert_msg(strchr(err, '\n') == NULL, "case %d: \"%s\" is more "
	    "than one line", _i, err);
	free(s);
}
END_TEST

/* Comments, blanks, CRLF, tabs, per-account balances, several ops. */
START_TEST(test_parse_good)
{
	static const char text[] =
	    "# a schedule with everything\r\n"
	    "\r\n"
	    "title  the whole grammar\r\n"
	    "   \t\r\n"
	    "accounts 3   # three of them\r\n"
	    "balance 500\r\n"
	    "balance 2 7\r\n"
	    "sync ordered\r\n"
	    "anomaly none\trobust # two\r\n"
	    "clean semaphore ordered\r\n"
	    "db-anomaly none\r\n"
	    "db-clean ordered serializable\r\n"
	    "\tprocess p1 deposit 0 100; withdraw 1 50 ;transfer 0 2 25\r\n"
	    "process worker_2 audit;balance 2#no blank before the comment\r\n"
	    "permutation p1:read_to worker_2 p1:KILL\r\n"
	    "permutation worker_2:audit_read p1:first_lock p1";
	struct sched_spec *s = malloc(sizeof(*s));
	char err[512];
	int rc;

	ck_assert_ptr_nonnull(s);
	rc = sched_parse_text(text, "good.sched", s, err, sizeof(err));
	ck_assert_msg(rc == 0, "returned %d: %s", rc, err);
	ck_assert_uint_eq(s->accounts, 3);
	ck_assert_int_eq(s->balance[0], 500);
	ck_assert_int_eq(s->balance[1], 500);
	ck_assert_int_eq(s->balance[2], 7);
	ck_assert_int_eq(s->sync, SYNC_ORDERED);
	ck_assert_uint_eq(s->anomaly_mask, (1u << SYNC_NONE) |
	    (1u << SYNC_ROBUST));
	ck_assert_uint_eq(s->clean_mask, (1u << SYNC_SEMAPHORE) |
	    (1u << SYNC_ORDERED));
	ck_assert_uint_eq(s->db_anomaly_mask, 1u << DB_NONE);
	ck_assert_uint_eq(s->db_clean_mask, (1u << DB_ORDERED) |
	    (1u << DB_SERIALIZABLE));
	ck_assert_int_eq(s->nprocs, 2);
	ck_assert_str_eq(s->proc[0].name, "p1");
	ck_assert_int_eq(s->proc[0].nops, 3);
	ck_assert_int_eq(s->proc[0].op[0].kind, WORKER_OP_DEPOSIT);
	ck_assert_uint_eq(s->proc[0].op[0].a, 0);
	ck_assert_int_eq(s->proc[0].op[0].amount, 100);
	ck_assert_int_eq(s->proc[0].op[1].kind, WORKER_OP_WITHDRAW);
	ck_assert_uint_eq(s->proc[0].op[1].a, 1);
	ck_assert_int_eq(s->proc[0].op[1].amount, 50);
	ck_assert_int_eq(s->proc[0].op[2].kind, WORKER_OP_TRANSFER);
	ck_assert_uint_eq(s->proc[0].op[2].a, 0);
	ck_assert_uint_eq(s->proc[0].op[2].b, 2);
	ck_assert_int_eq(s->proc[0].op[2].amount, 25);
	ck_assert_str_eq(s->proc[1].name, "worker_2");
	ck_assert_int_eq(s->proc[1].nops, 2);
	ck_assert_int_eq(s->proc[1].op[0].kind, WORKER_OP_AUDIT);
	ck_assert_int_eq(s->proc[1].op[1].kind, WORKER_OP_BALANCE);
	ck_assert_uint_eq(s->proc[1].op[1].a, 2);
	ck_assert_int_eq(s->nperms, 2);
	ck_assert_int_eq(s->perm[0].n, 3);
	ck_assert_int_eq(s->perm[0].e[0].proc, 0);
	ck_assert_uint_eq(s->perm[0].e[0].step, STEP_READ_TO);
	ck_assert_int_eq(s->perm[0].e[1].proc, 1);
	ck_assert_uint_eq(s->perm[0].e[1].step, 0);
	ck_assert_int_eq(s->perm[0].e[2].proc, 0);
	ck_assert_uint_eq(s->perm[0].e[2].step, STEP_KILL);
	ck_assert_int_eq(s->perm[1].n, 3);
	ck_assert_uint_eq(s->perm[1].e[0].step, STEP_AUDIT_READ);
	ck_assert_uint_eq(s->perm[1].e[1].step, STEP_FIRST_LOCK);
	/* Last, so that the checks above run whatever it says. */
	ck_assert_msg(strcmp(s->title, "the whole grammar") == 0, "title "
	    "\"%s\" (%zu bytes), not \"the whole grammar\"", s->title,
	    strlen(s->title));
	free(s);
}
END_TEST

/* The defaults, and the most of everything the limits allow. */
START_TEST(test_parse_limits)
{
	char text[8192];
	struct sched_spec *s = malloc(sizeof(*s));
	char err[512];
	size_t at = 0;
	int i, rc;

	ck_assert_ptr_nonnull(s);
	rc = sched_parse_text("process p1 audit\n", "d.sched", s, err,
	    sizeof(err));
	ck_assert_msg(rc == 0, "%s", err);
	ck_assert_uint_eq(s->accounts, 2);
	ck_assert_int_eq(s->sync, SYNC_NONE);
	ck_assert_int_eq(s->nperms, 0);
	ck_assert_int_eq(s->balance[0], 10000);

	at += (size_t)snprintf(text + at, sizeof(text) - at, "accounts 64\n");
	for (i = 1; i <= SCHED_PROCS_MAX; i++)
		at += (size_t)snprintf(text + at, sizeof(text) - at,
		    "process p%d deposit 63 1\n", i);
	at += (size_t)snprintf(text + at, sizeof(text) - at,
	    "process_x audit\n");	/* not "process": an unknown word */
	rc = sched_parse_text(text, "max.sched", s, err, sizeof(err));
	ck_assert_msg(rc == -EINVAL && strstr(err, "max.sched:10:1: ") ==
	    err, "returned %d: %s", rc, err);
	text[at - strlen("process_x audit\n")] = '\0';
	rc = sched_parse_text(text, "max.sched", s, err, sizeof(err));
	ck_assert_msg(rc == 0, "%d processes: %s", SCHED_PROCS_MAX, err);
	ck_assert_int_eq(s->nprocs, SCHED_PROCS_MAX);

	/* SCHED_OPS_MAX ops on a line: fine; one more: an error. */
	at = (size_t)snprintf(text, sizeof(text), "process p1 audit");
	for (i = 1; i < SCHED_OPS_MAX; i++)
		at += (size_t)snprintf(text + at, sizeof(text) - at,
		    "; deposit 1 %d", i);
	rc = sched_parse_text(text, "ops.sched", s, err, sizeof(err));
	ck_assert_msg(rc == 0, "%d ops: %s", SCHED_OPS_MAX, err);
	ck_assert_int_eq(s->proc[0].nops, SCHED_OPS_MAX);
	snprintf(text + at, sizeof(text) - at, "; audit");
	rc = sched_parse_text(text, "ops.sched", s, err, sizeof(err));
	ck_assert_msg(rc == -EINVAL && strstr(err, "more than 16") != NULL,
	    "%d ops: returned %d: %s", SCHED_OPS_MAX + 1, rc, err);
	free(s);
}
END_TEST

/* --script text: good. */
START_TEST(test_parse_ops_good)
{
	struct worker_op ops[SCHED_OPS_MAX];
	char err[256];
	int n = -1, rc;

	rc = sched_parse_ops("deposit 0 100; withdraw 1 50;transfer 0 9999999 "
	    "25 ; audit;balance 7", ops, &n, err, sizeof(err));
	ck_assert_msg(rc == 0, "returned %d: %s", rc, err);
	ck_assert_int_eq(n, 5);
	ck_assert_int_eq(ops[0].kind, WORKER_OP_DEPOSIT);
	ck_assert_int_eq(ops[0].amount, 100);
	ck_assert_int_eq(ops[1].kind, WORKER_OP_WITHDRAW);
	ck_assert_uint_eq(ops[1].a, 1);
	ck_assert_int_eq(ops[2].kind, WORKER_OP_TRANSFER);
	ck_assert_uint_eq(ops[2].b, 9999999);
	ck_assert_int_eq(ops[2].amount, 25);
	ck_assert_int_eq(ops[3].kind, WORKER_OP_AUDIT);
	ck_assert_int_eq(ops[4].kind, WORKER_OP_BALANCE);
	ck_assert_uint_eq(ops[4].a, 7);
}
END_TEST

static const struct {
	const char *text;
	const char *where;
	const char *says;
} bad_ops[] = {
	{ "", "column 1: ", "operation" },
	{ "fly 0 1", "column 1: ", "\"fly\"" },
	{ "deposit 0", "column 10: ", "amount" },
	{ "deposit 0 100;", "column 15: ", "operation" },
	{ "deposit 0 100 extra", "column 15: ", "\"extra\"" },
	{ "deposit 10000000 5", "column 9: ", "account" },
	{ "audit; withdraw 0 x", "column 19: ", "\"x\"" },
	{ "deposit 0 1\ndeposit 1 1", "column 12: ", "end" },
};
#define NBAD_OPS	((int)(sizeof(bad_ops) / sizeof(bad_ops[0])))

START_TEST(test_parse_ops_bad)
{
	struct worker_op ops[SCHED_OPS_MAX];
	char err[256];
	int n, rc;

	memset(err, 0, sizeof(err));
	rc = sched_parse_ops(bad_ops[_i].text, ops, &n, err, sizeof(err));
	ck_assert_msg(rc == -EINVAL, "\"%s\": returned %d (\"%s\")",
	    bad_ops[_i].text, rc, err);
	ck_assert_msg(strncmp(err, bad_ops[_i].where,
	    strlen(bad_ops[_i].where)) == 0 && strstr(err, bad_ops[_i].says),
	    "\"%s\": said \"%s\", wanted %s... %s", bad_ops[_i].text, err,
	    bad_ops[_i].where, bad_ops[_i].says);
}
END_TEST

/* More than SCHED_OPS_MAX ops in a --script. */
START_TEST(test_parse_ops_too_many)
{
	struct worker_op ops[SCHED_OPS_MAX];
	char text[1024], err[256];
	size_t at = 0;
	int i, n, rc;

	for (i = 0; i < SCHED_OPS_MAX + 1; i++)
		at += (size_t)snprintf(text + at, sizeof(text) - at,
		    "%sdeposit 0 1", i ? "; " : "");
	rc = sched_parse_ops(text, ops, &n, err, sizeof(err));
	ck_assert_msg(rc == -EINVAL && strstr(err, "more than 16") != NULL,
	    "%d ops: returned %d: %s", SCHED_OPS_MAX + 1, rc, err);
}
END_TEST

static void
assert_same_ops(const struct worker_op *a, int na, const struct worker_op *b,
    int nb, const char *text)
{
	int i;

	ck_assert_msg(na == nb, "\"%s\": %d ops read back as %d", text, na,
	    nb);
	for (i = 0; i < na; i++)
		ck_assert_msg(a[i].kind == b[i].kind && a[i].a == b[i].a &&
		    a[i].b == b[i].b && a[i].amount == b[i].amount, "\"%s\": "
		    "op %d read back differently", text, i + 1);
}

static void
assert_same_perm(const struct sched_perm *a, const struct sched_perm *b,
    const char *text)
{
	int i;

	ck_assert_msg(a->n == b->n, "\"%s\": %d entries read back as %d",
	    text, a->n, b->n);
	for (i = 0; i < a->n; i++)
		ck_assert_msg(a->e[i].proc == b->e[i].proc &&
		    a->e[i].step == b->e[i].step, "\"%s\": entry %d read back "
		    "as %d:%u, was %d:%u", text, i + 1, b->e[i].proc,
		    b->e[i].step, a->e[i].proc, a->e[i].step);
}

/* Format, parse back, get the same: for every shipped schedule and more. */
START_TEST(test_format_round_trip)
{
	static const char extra[] =
	    "accounts 64\n"
	    "process p1 deposit 63 1000000000000000; withdraw 0 1; "
	    "transfer 63 0 7; audit; balance 5\n"
	    "process p2 audit\n"
	    "permutation p1:lock p1:first_lock p1:read_from p1:read_to "
	    "p2:audit_read p1:write_from p1:write_to p1:unlock p2 p1:KILL\n";
	struct sched_spec *s;
	struct worker_op ops[SCHED_OPS_MAX];
	struct sched_perm *p = malloc(sizeof(*p));
	char path[PATH_MAX], text[2048], err[256];
	int li, i, n, rc;

	ck_assert_ptr_nonnull(p);
	for (li = 0; li <= NLESSONS; li++) {
		s = li < NLESSONS ? lesson_spec(lessons[li].name, path,
		    sizeof(path)) : text_spec(extra);
		for (i = 0; i < s->nprocs; i++) {
			sched_format_ops(s->proc[i].op, s->proc[i].nops, text,
			    sizeof(text));
			rc = sched_parse_ops(text, ops, &n, err, sizeof(err));
			ck_assert_msg(rc == 0, "\"%s\" does not parse: %s",
			    text, err);
			assert_same_ops(s->proc[i].op, s->proc[i].nops, ops, n,
			    text);
		}
		for (i = 0; i < s->nperms; i++) {
			sched_format_perm(s, s->perm[i].e, s->perm[i].n, text,
			    sizeof(text));
			rc = sched_parse_perm(text, s, p, err, sizeof(err));
			ck_assert_msg(rc == 0, "\"%s\" does not parse: %s",
			    text, err);
			assert_same_perm(&s->perm[i], p, text);
		}
		free(s);
	}
	/* sched_parse_perm's errors: no file, a column. */
	s = text_spec(extra);
	rc = sched_parse_perm("p1 p3", s, p, err, sizeof(err));
	ck_assert_msg(rc == -EINVAL && strncmp(err, "column 4: ", 10) == 0,
	    "\"p1 p3\": returned %d: %s", rc, err);
	rc = sched_parse_perm("p1:lok", s, p, err, sizeof(err));
	ck_assert_msg(rc == -EINVAL && strncmp(err, "column 4: ", 10) == 0,
	    "\"p1:lok\": returned %d: %s", rc, err);
	rc = sched_parse_perm("", s, p, err, sizeof(err));
	ck_assert_msg(rc == -EINVAL && strstr(err, "at least one") != NULL,
	    "\"\": returned %d: %s", rc, err);
	free(s);
	free(p);
}
END_TEST

/* ------------------------------------------------------------ cli */

START_TEST(test_cli_missing_file)
{
	struct cli_out o;

	cli(&o, true, "banklab-sched /nonexistent/no-such.sched");
	ck_assert_msg(o.code == 2, "exit %d: %s", o.code, o.text);
	ck_assert_msg(tl_count_lines(o.text) == 1, "%d lines: %s",
	    tl_count_lines(o.text), o.text);
	ck_assert_msg(strstr(o.text, "/nonexistent/no-such.sched") != NULL,
	    "does not name the file: %s", o.text);
	free(o.text);
}
END_TEST

START_TEST(test_cli_bad_file)
{
	char path[] = "/tmp/check_schedule_bad_XXXXXX", want[64];
	struct cli_out o;
	FILE *f;
	int fd;

	fd = mkstemp(path);
	ck_assert_msg(fd >= 0, "mkstemp: %s", strerror(errno));
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	fputs("accounts 2\nprocess p1 audit\npermutation p1 p2\n", f);
	ck_assert_int_eq(fclose(f), 0);
	cli(&o, true, "banklab-sched %s", path);
	unlink(path);
	ck_assert_msg(o.code == 2, "exit %d: %s", o.code, o.text);
	ck_assert_msg(tl_count_lines(o.text) == 1, "%d lines: %s",
	    tl_count_lines(o.text), o.text);
	snprintf(want, sizeof(want), "%s:3:16: ", path);
	ck_assert_msg(strstr(o.text, want) != NULL, "does not say %s: %s",
	    want, o.text);
	free(o.text);
}
END_TEST

START_TEST(test_cli_bad_explore)
{
	char path[PATH_MAX];
	struct cli_out o;

	ck_assert_int_eq(find_lesson("race", path, sizeof(path)), 0);
	cli(&o, true, "banklab-sched '%s' --explore bogus", path);
	ck_assert_msg(o.code == 2, "exit %d: %s", o.code, o.text);
	ck_assert_msg(tl_count_lines(o.text) == 1 && strstr(o.text, "bogus"),
	    "not one line naming \"bogus\": %s", o.text);
	free(o.text);
}
END_TEST

/*
 * --permutation past the file's permutations: exit 2 and one line that
 * names the option, not a run of nothing that exits 0.
 */
START_TEST(test_cli_permutation_range)
{
	static const char *const lines[] = {
		"banklab-sched '%s' --permutation 3",
		"banklab-sched '%s' --permutation 3 --json",
		"banklab-race --schedule file --permutation 3%.0s",
	};
	char path[PATH_MAX];
	struct cli_out o;
	size_t k;

	ck_assert_int_eq(find_lesson("race", path, sizeof(path)), 0);
	for (k = 0; k < sizeof(lines) / sizeof(lines[0]); k++) {
		/* lines[] is this test's own table of formats. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		cli(&o, true, lines[k], path);
#pragma GCC diagnostic pop
		ck_assert_msg(o.code == 2, "%s: exit %d: %s", lines[k], o.code,
		    o.text);
		ck_assert_msg(tl_count_lines(o.text) == 1 &&
		    strstr(o.text, "--permutation: 3") != NULL, "%s: not one "
		    "line naming --permutation: %s", lines[k], o.text);
		free(o.text);
	}
	/* The last one there is still run. */
	cli(&o, true, "banklab-sched '%s' --permutation 2 --quiet", path);
	ck_assert_msg(o.code == 1 && strstr(o.text, "LOST UPDATE") != NULL,
	    "--permutation 2: exit %d: %s", o.code, o.text);
	free(o.text);
}
END_TEST

/* Read from fd until n lines came (or 10 s passed, or the end): how many. */
static int
read_lines(int fd, int n)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char buf[512];
	double t0 = lab_now_s();
	int seen = 0;
	ssize_t k, i;

	while (seen < n && lab_now_s() - t0 < 10.0) {
		if (poll(&p, 1, 100) != 1)
			continue;
		if ((k = read(fd, buf, sizeof(buf))) <= 0)
			break;
		for (i = 0; i < k; i++)
			seen += buf[i] == '\n';
	}
	return seen;
}

/* Wait up to ms for the process behind pidfd fd to end: did it? */
static bool
ended_within(int fd, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	double t0 = lab_now_s(), spent;
	int n;

	for (;;) {
		spent = (lab_now_s() - t0) * 1000;
		if (spent >= ms)
			return false;
		if ((n = poll(&p, 1, ms - (int)spent)) == 1)
			return true;
		if (n == -1 && errno != EINTR)
			return false;
	}
}

/*
 * `CMD | head -2`: the reader leaves while the runs go on.  The program
 * must end by itself within 10 s, not by SIGPIPE, with nothing of its
 * left in /dev/shm.  (It was killed by SIGPIPE mid-run: a ledger left.)
 */
START_TEST(test_cli_reader_leaves)
{
	static const char *const cmds[] = {
		"banklab-race --explore all",
		"banklab-sched '%s' --explore random --runs 100000",
	};
	char path[PATH_MAX], dir[PATH_MAX], cmd[4 * PATH_MAX];
	char line[2 * PATH_MAX];
	char prefix[64];
	struct dirent *d;
	int fds[2], status = 0, seen, pfd;
	pid_t pid;
	DIR *shm;

	ck_assert_int_eq(find_lesson("race", path, sizeof(path)), 0);
	bin_dir(dir, sizeof(dir));
	/* cmds[] is this test's own table of formats, each with one %s. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(line, sizeof(line), cmds[_i], path);
#pragma GCC diagnostic pop
	snprintf(cmd, sizeof(cmd), "unset BANKLAB_SYNC; PATH='%s':\"$PATH\"; "
	    "exec %s", dir, line);
	ck_assert_int_eq(pipe(fds), 0);
	fflush(NULL);
	if ((pid = fork()) == 0) {
		signal(SIGPIPE, SIG_DFL);
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_gt(pid, 0);
	note_pid(pid);
	close(fds[1]);
	pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	ck_assert_msg(pfd >= 0, "pidfd_open: %s", strerror(errno));
	seen = read_lines(fds[0], 2);
	close(fds[0]);
	/* Its pidfd becomes readable when it ends: wait on that, 10 s. */
	if (!ended_within(pfd, 10000)) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		ck_abort_msg("%s | head -2: still running 10 s after", line);
	}
	close(pfd);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) <= 1,
	    "%s | head -2: exit %d (128 + signal), not 0 or 1", line,
	    tl_exit_code(status));
	ck_assert_msg(seen >= 2, "%s: %d lines, not 2", line, seen);
	snprintf(prefix, sizeof(prefix), "banklab-sched-%d-", (int)pid);
	shm = opendir("/dev/shm");
	ck_assert_ptr_nonnull(shm);
	while ((d = readdir(shm)) != NULL)
		ck_assert_msg(strncmp(d->d_name, prefix, strlen(prefix)) != 0,
		    "%s | head -2: left /dev/shm/%s", line, d->d_name);
	closedir(shm);
}
END_TEST

/* The lessons' own schedules, through the lesson programs. */
static const struct {
	const char *args;
	int code;
	const char *says;	/* in the output */
} lesson_cli[] = {
	{ "banklab-race --schedule file", 1, "LOST UPDATE" },
	{ "banklab-race --sync ordered --schedule file", 0, "no anomaly" },
	{ "banklab-deadlock --sync ordered --explore all", 0,
	    "0 showed an anomaly" },
	{ "banklab-deadlock --schedule file", 1, "DEADLOCK" },
	{ "banklab-crash --sync robust --schedule file", 0, "repaired" },
	{ "banklab-crash --sync robust --explore all", 0,
	    "p1 killed at each step point reached" },
	{ "banklab-crash --explore random --runs 3", 0,
	    "the file's kills are not tried" },
};

START_TEST(test_cli_lesson)
{
	struct cli_out o;

	cli(&o, true, "%s", lesson_cli[_i].args);
	ck_assert_msg(o.code == lesson_cli[_i].code, "%s: exit %d, not %d: %s",
	    lesson_cli[_i].args, o.code, lesson_cli[_i].code, o.text);
	ck_assert_msg(strstr(o.text, lesson_cli[_i].says) != NULL, "%s: no "
	    "\"%s\" in: %s", lesson_cli[_i].args, lesson_cli[_i].says, o.text);
	free(o.text);
}
END_TEST

static int64_t
json_int(struct json_object *j, const char *key, const char *text)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(j, key, &v), "no \"%s\" in %s",
	    key, text);
	return json_object_get_int64(v);
}

START_TEST(test_cli_explore_json)
{
	struct json_object *j, *v;
	struct cli_out o;

	cli(&o, false, "banklab-deadlock --explore all --json");
	ck_assert_msg(o.code == 1, "exit %d: %s", o.code, o.text);
	j = json_tokener_parse(o.text);
	ck_assert_msg(j != NULL, "not JSON: %s", o.text);
	ck_assert_msg(json_int(j, "failing", o.text) > 0, "failing is not > 0: "
	    "%s", o.text);
	ck_assert_msg(json_int(j, "runs", o.text) >= json_int(j, "failing",
	    o.text), "more failing than runs: %s", o.text);
	ck_assert_msg(json_object_object_get_ex(j, "complete", &v) &&
	    json_object_get_boolean(v), "not complete: %s", o.text);
	ck_assert_msg(json_object_object_get_ex(j, "sync", &v) &&
	    strcmp(json_object_get_string(v), "robust") == 0, "the lesson's "
	    "variant is robust: %s", o.text);
	json_object_put(j);
	free(o.text);
}
END_TEST

/* ------------------------------------------------------------ leftovers */

/* No segment named after one of our processes is left in /dev/shm. */
START_TEST(test_no_leftovers)
{
	const char *path = getenv(PIDS_ENV);
	char left[1024] = "", name[300];
	struct dirent *d;
	int pids[4096], npids = 0, pid, i, nleft = 0;
	FILE *f;
	DIR *dir;

	ck_assert_ptr_nonnull(path);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	while (npids < 4096 && fscanf(f, "%d", &pid) == 1)
		pids[npids++] = pid;
	fclose(f);
	/* With CK_RUN_CASE=leftovers alone, no other test ran. */
	if (getenv("CK_RUN_CASE") == NULL)
		ck_assert_msg(npids > 10, "only %d processes noted: did the "
		    "other tests run?", npids);
	dir = opendir("/dev/shm");
	ck_assert_ptr_nonnull(dir);
	while ((d = readdir(dir)) != NULL) {
		if (sscanf(d->d_name, "banklab-sched-%d-", &pid) != 1)
			continue;
		for (i = 0; i < npids; i++) {
			if (pids[i] != pid)
				continue;
			snprintf(name, sizeof(name), "%s ", d->d_name);
			strncat(left, name, sizeof(left) - strlen(left) - 1);
			nleft++;
			break;
		}
	}
	closedir(dir);
	ck_assert_msg(nleft == 0, "%d segments left behind: %s", nleft, left);
}
END_TEST

/* After the check above has looked: remove what it found. */
static void
remove_leftovers(void)
{
	const char *path = getenv(PIDS_ENV);
	char name[300];
	struct dirent *d;
	int pid, p;
	FILE *f;
	DIR *dir;

	if (path == NULL || (dir = opendir("/dev/shm")) == NULL)
		return;
	while ((d = readdir(dir)) != NULL) {
		if (sscanf(d->d_name, "banklab-sched-%d-", &pid) != 1 ||
		    (f = fopen(path, "r")) == NULL)
			continue;
		while (fscanf(f, "%d", &p) == 1)
			if (p == pid) {
				snprintf(name, sizeof(name), "/dev/shm/%s",
				    d->d_name);
				unlink(name);
				break;
			}
		fclose(f);
	}
	closedir(dir);
}

/* ------------------------------------------------------------ suite */

static Suite *
schedule_suite(void)
{
	Suite *s = suite_create("schedule");
	TCase *tc;

	tc = tcase_create("lessons");
	tcase_add_checked_fixture(tc, note_self, NULL);
	tcase_set_timeout(tc, 180);
	tcase_add_loop_test(tc, test_lesson_promise, 0, NLESSONS * SYNC_COUNT);
	suite_add_tcase(s, tc);

	tc = tcase_create("explore");
	tcase_add_checked_fixture(tc, note_self, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_explore_race_none);
	tcase_add_loop_test(tc, test_explore_race_locked, 0, 3);
	tcase_add_loop_test(tc, test_explore_kill_points, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("replay");
	tcase_add_checked_fixture(tc, note_self, NULL);
	tcase_add_unchecked_fixture(tc, NULL, blank_dir_cleanup);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_replay_explored, 0, 2);
	tcase_add_test(tc, test_replay_taken_of_perm);
	tcase_add_test(tc, test_replay_cli);
	tcase_add_test(tc, test_replay_cli_blank_in_path);
	suite_add_tcase(s, tc);

	tc = tcase_create("blocked");
	tcase_add_checked_fixture(tc, note_self, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_blocked_waiting);
	tcase_add_test(tc, test_blocked_deadlock);
	tcase_add_loop_test(tc, test_blocked_never_reached, 0, SYNC_COUNT);
	suite_add_tcase(s, tc);

	tc = tcase_create("timeline");
	tcase_add_checked_fixture(tc, note_self, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_timeline_every_step, 0, 3);
	tcase_add_loop_test(tc, test_timeline_blocked_read, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("kill");
	tcase_add_checked_fixture(tc, note_self, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_kill_repaired, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("kill_steps");
	tcase_add_checked_fixture(tc, note_self, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_kill_every_step, 0, NKILL_OPS * 2);
	tcase_add_loop_test(tc, test_kill_in_repair, 0,
	    (int)(sizeof(repair_kills) / sizeof(repair_kills[0])) * 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("verdict");
	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, test_verdict_agrees, 0,
	    (int)(sizeof(verdicts) / sizeof(verdicts[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("shrink");
	tcase_add_checked_fixture(tc, note_self, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_shrink, 0, 2);
	tcase_add_test(tc, test_shrink_passing);
	suite_add_tcase(s, tc);

	tc = tcase_create("parser");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_parse_bad, 0, NBAD);
	tcase_add_test(tc, test_parse_good);
	tcase_add_test(tc, test_parse_limits);
	tcase_add_test(tc, test_parse_ops_good);
	tcase_add_loop_test(tc, test_parse_ops_bad, 0, NBAD_OPS);
	tcase_add_test(tc, test_parse_ops_too_many);
	tcase_add_test(tc, test_format_round_trip);
	suite_add_tcase(s, tc);

	tc = tcase_create("cli");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_cli_missing_file);
	tcase_add_test(tc, test_cli_bad_file);
	tcase_add_test(tc, test_cli_bad_explore);
	tcase_add_test(tc, test_cli_permutation_range);
	tcase_add_loop_test(tc, test_cli_reader_leaves, 0, 2);
	tcase_add_loop_test(tc, test_cli_lesson, 0,
	    (int)(sizeof(lesson_cli) / sizeof(lesson_cli[0])));
	tcase_add_test(tc, test_cli_explore_json);
	suite_add_tcase(s, tc);

	/* Last: what every test above left behind. */
	tc = tcase_create("leftovers");
	tcase_add_unchecked_fixture(tc, NULL, remove_leftovers);
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_no_leftovers);
	suite_add_tcase(s, tc);
	return s;
}

/*
 * Run by hand (not by `make check`): find the programs beside this test's
 * build tree, tests/../scenarios.
 */
static void
default_env(void)
{
	char self[PATH_MAX], dir[PATH_MAX + 32], *slash;
	ssize_t n;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return;
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) == NULL)
		return;
	*slash = '\0';
	snprintf(dir, sizeof(dir), "%s/../scenarios", self);
	setenv("BANKLAB_BIN_DIR", dir, 0);
	snprintf(dir, sizeof(dir), "%s/../scenarios/banklab", self);
	setenv("BANKLAB_WORKER", dir, 0);
}

int
main(void)
{
	char pids[] = "/tmp/check_schedule_pids_XXXXXX", runner[16];
	SRunner *sr;
	int fd, failed;

	/* The long token of bad_sched: 62 zeros, a 1, then junk. */
	snprintf(long_amount, sizeof(long_amount), "process p1 deposit 0 "
	    "%062d1x\n", 0);
	default_env();
	fd = mkstemp(pids);
	if (fd < 0) {
		perror(pids);
		return EXIT_FAILURE;
	}
	close(fd);
	setenv(PIDS_ENV, pids, 1);
	snprintf(runner, sizeof(runner), "%d", (int)getpid());
	setenv("CHECK_SCHEDULE_RUNNER", runner, 1);
	sr = srunner_create(schedule_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	unlink(pids);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
