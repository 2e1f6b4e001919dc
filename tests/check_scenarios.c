/*
 * check_scenarios: each lesson program keeps its promise under every
 * variant.  The programs run as a user runs them (fork + exec through
 * spawn, with --json), and their JSON report is checked with json-c:
 *
 *   race      anomaly under none; none under semaphore, robust, ordered
 *   stale     anomaly under none and robust; none under semaphore, ordered
 *   deadlock  robust: a wait-for cycle detected and reported, promptly,
 *             and the dead workers' locks repaired, no money lost;
 *             ordered, semaphore: none; none: updates lost, no deadlock
 *   crash     semaphore: stuck on a dead holder; none: money gone;
 *             robust, ordered: the dead worker's transfer rolled back
 *
 * An anomaly may take a few tries to show (a race is a race): those cases
 * get up to SHOW_TRIES runs, and every run must still be sane.  A fix gets
 * exactly one run: a correct lock never loses money.  Also: the report's
 * keys and types, the seed, bad command lines, Ctrl-C, and that no program
 * leaves its ledger "/dev/shm/banklab-<lesson>-<pid>" behind.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ledger.h"
#include "spawn.h"
#include "lab.h"
#include "testlib.h"

#define SHOW_TRIES	3	/* runs allowed for an anomaly to show */
#define RETRY_PAUSE_MS	250	/* ... and the pause before the 2nd (x4: 3rd) */
#define RUN_DEADLINE_MS	20000	/* a program's own --timeout is 10 s */
#define DEADLOCK_MAX_S	5.0	/* detected and reported, not a hang */
#define INTR_AFTER_MS	300	/* how long the run runs before Ctrl-C */
#define INTR_MAX_S	5.0	/* ... and how soon it must end after it */
#define PIDS_ENV	"CHECK_SCENARIOS_PIDS"

/* One run of a lesson program. */
struct run {
	char what[512];		/* the command line, for messages */
	char lesson[16];
	pid_t pid;
	int code;		/* exit code, or 128 + signal */
	double wall_s;		/* fork to reap */
	char *out;		/* its stdout */
	char *err;		/* its stderr */
	struct json_object *j;	/* stdout parsed, if it was JSON */
	/* while it runs */
	struct spawn_set set;
	char err_path[PATH_MAX];
	double t0;
};

/* The directory of the lesson programs: $BANKLAB_BIN_DIR, else ../scenarios. */
static const char *
bin_dir(void)
{
	static char dir[PATH_MAX];
	const char *env = getenv("BANKLAB_BIN_DIR");
	char self[PATH_MAX], *slash;
	ssize_t n;

	if (env != NULL && *env != '\0')
		return env;
	if (dir[0] == '\0') {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		ck_assert_int_gt(n, 0);
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL)
			*slash = '\0';
		ck_assert_int_lt(snprintf(dir, sizeof(dir), "%s/../scenarios",
		    self), (int)sizeof(dir));
	}
	return dir;
}

/* Where the ledger of the program with this pid would be. */
static void
ledger_file(char *buf, size_t len, const char *lesson, pid_t pid)
{
	snprintf(buf, len, "/dev/shm/banklab-%s-%d", lesson, (int)pid);
}

/*
 * Every program started is written down ("race-1234") in a file the
 * runner names, so the last test and the runner's cleanup can look for
 * ledgers left behind even when a test died half-way.
 */
static void
note_pid(const char *lesson, pid_t pid)
{
	const char *path = getenv(PIDS_ENV);
	char line[64];
	int fd, n;

	if (path == NULL)
		return;
	n = snprintf(line, sizeof(line), "%s-%d\n", lesson, (int)pid);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(write(fd, line, (size_t)n), n);
	close(fd);
}

static char *
slurp(const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		return strdup("");
	if (getdelim(&buf, &len, '\0', f) < 0) {
		free(buf);
		buf = strdup("");
	}
	fclose(f);
	return buf;
}

/*
 * Start `banklab-LESSON ARGS` with ENV (e.g. "BANKLAB_SYNC=x") through sh,
 * which execs it: the child's pid is the program's.  Its stdout comes back
 * over spawn's pipe, its stderr through a file.
 */
static void
lesson_start(struct run *r, const char *env, const char *lesson,
    const char *args)
{
	char cmd[3 * PATH_MAX];
	char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	const char *tmp = getenv("TMPDIR");
	int fd, idx;

	memset(r, 0, sizeof(*r));
	snprintf(r->lesson, sizeof(r->lesson), "%s", lesson);
	snprintf(r->what, sizeof(r->what), "%s%sbanklab-%s %s", env ? env : "",
	    env ? " " : "", lesson, args);
	snprintf(r->err_path, sizeof(r->err_path), "%s/check_scenarios.XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	fd = mkstemp(r->err_path);
	ck_assert_msg(fd >= 0, "mkstemp: %s", strerror(errno));
	close(fd);
	ck_assert_int_lt(snprintf(cmd, sizeof(cmd), "%s exec '%s/banklab-%s' "
	    "%s 2>'%s'", env ? env : "", bin_dir(), lesson, args, r->err_path),
	    (int)sizeof(cmd));
	spawn_init(&r->set);
	r->t0 = lab_now_s();
	idx = spawn_start(&r->set, argv);
	ck_assert_msg(idx == 0, "%s: cannot start: %d", r->what, idx);
	r->pid = r->set.child[0].pid;
	note_pid(lesson, r->pid);
}

/* Wait for it to end (killed at deadline_ms), then collect what it said. */
static void
lesson_finish(struct run *r, unsigned deadline_ms)
{
	struct spawn_child *c = &r->set.child[0];
	char shm[128];
	int rc;

	rc = spawn_wait(&r->set, deadline_ms, NULL, NULL);
	r->wall_s = lab_now_s() - r->t0;
	r->code = tl_exit_code(c->status);
	r->out = strdup(c->out ? c->out : "");
	spawn_free(&r->set);
	r->err = slurp(r->err_path);
	unlink(r->err_path);
	ck_assert_msg(rc == 0, "%s: still running after %u ms (killed); "
	    "said: %s%s", r->what, deadline_ms, r->out, r->err);
	r->j = json_tokener_parse(r->out);
	/* Its ledger went with it, on every path. */
	ledger_file(shm, sizeof(shm), r->lesson, r->pid);
	ck_assert_msg(access(shm, F_OK) == -1 && errno == ENOENT,
	    "%s: left %s behind (exit %d)", r->what, shm, r->code);
}

static void
run_lesson(struct run *r, const char *env, const char *lesson,
    const char *args)
{
	lesson_start(r, env, lesson, args);
	lesson_finish(r, RUN_DEADLINE_MS);
}

static void
run_free(struct run *r)
{
	if (r->j != NULL)
		json_object_put(r->j);
	free(r->out);
	free(r->err);
	r->j = NULL;
	r->out = r->err = NULL;
}

/* ---------------------------------------------------------- JSON access */

static struct json_object *
jget(const struct run *r, struct json_object *o, const char *key,
    enum json_type t)
{
	struct json_object *v = NULL;

	ck_assert_msg(json_object_object_get_ex(o, key, &v),
	    "%s: no \"%s\" in %s", r->what, key, r->out);
	ck_assert_msg(json_object_is_type(v, t),
	    "%s: \"%s\" is a %s, not a %s, in %s", r->what, key,
	    json_type_to_name(json_object_get_type(v)), json_type_to_name(t),
	    r->out);
	return v;
}

static int64_t
jint(const struct run *r, struct json_object *o, const char *key)
{
	return json_object_get_int64(jget(r, o, key, json_type_int));
}

static bool
jbool(const struct run *r, struct json_object *o, const char *key)
{
	return json_object_get_boolean(jget(r, o, key, json_type_boolean));
}

static const char *
jstr(const struct run *r, struct json_object *o, const char *key)
{
	return json_object_get_string(jget(r, o, key, json_type_string));
}

#define J(r, key)	jint((r), (r)->j, (key))

/* The example object; it must be there and be of this kind. */
static struct json_object *
example(const struct run *r, const char *kind)
{
	struct json_object *x = jget(r, r->j, "example", json_type_object);

	ck_assert_msg(strcmp(jstr(r, x, "kind"), kind) == 0,
	    "%s: example is a \"%s\", not a \"%s\": %s", r->what,
	    jstr(r, x, "kind"), kind, r->out);
	return x;
}

/* ------------------------------------------------------------ promises */

/*
 * What every lesson run must be, whatever it found: it ended by itself
 * with 0 or 1, printed one JSON object about this lesson and variant, and
 * exited 1 exactly when it reports an anomaly.
 */
static void
sane(const struct run *r, const char *lesson, const char *sync)
{
	ck_assert_msg(r->code == 0 || r->code == 1, "%s: exit %d: %s%s",
	    r->what, r->code, r->out, r->err);
	ck_assert_msg(r->j != NULL && json_object_is_type(r->j,
	    json_type_object), "%s: not a JSON object: %s", r->what, r->out);
	ck_assert_msg(strcmp(jstr(r, r->j, "scenario"), lesson) == 0,
	    "%s: scenario %s", r->what, jstr(r, r->j, "scenario"));
	ck_assert_msg(strcmp(jstr(r, r->j, "sync"), sync) == 0,
	    "%s: sync %s", r->what, jstr(r, r->j, "sync"));
	ck_assert_msg(jbool(r, r->j, "anomaly") == (r->code == 1),
	    "%s: exit %d but \"anomaly\": %s", r->what, r->code,
	    jbool(r, r->j, "anomaly") ? "true" : "false");
	ck_assert_msg(!jbool(r, r->j, "interrupted"), "%s: interrupted: %s",
	    r->what, r->out);
}

typedef bool (*shows_fn)(const struct run *);

/*
 * One run under a variant, with --json and MORE options; it must be sane
 * and, if max_s is not 0, end within max_s seconds.  A fix gets only this.
 */
static void
once_within(struct run *r, const char *lesson, const char *sync,
    const char *more, double max_s)
{
	char args[512];

	snprintf(args, sizeof(args), "--sync %s --json%s%s", sync,
	    more ? " " : "", more ? more : "");
	run_lesson(r, NULL, lesson, args);
	sane(r, lesson, sync);
	ck_assert_msg(max_s == 0 || r->wall_s < max_s,
	    "%s: took %.2f s, not under %.1f s: %s", r->what, r->wall_s, max_s,
	    r->out);
}

static void
once(struct run *r, const char *lesson, const char *sync, const char *more)
{
	once_within(r, lesson, sync, more, 0);
}

/*
 * An anomaly that must show: up to SHOW_TRIES runs until shows() says it
 * did; every run must be sane (and within max_s).  The last run is left
 * in r.
 */
static void
until_shown_within(struct run *r, const char *lesson, const char *sync,
    shows_fn shows, double max_s)
{
	int tries;

	for (tries = 1;; tries++) {
		once_within(r, lesson, sync, NULL, max_s);
		if (shows(r) || tries == SHOW_TRIES)
			break;
		fprintf(stderr, "check_scenarios: %s: try %d did not show it: "
		    "%s\n", r->what, tries, r->out);
		run_free(r);
		/*
		 * The lessons need their workers to run at the same time; a
		 * burst of load elsewhere (a build, another test) time-slices
		 * them.  Let such a burst pass before the next try.
		 */
		tl_sleep_ms(tries == 1 ? RETRY_PAUSE_MS : 4 * RETRY_PAUSE_MS);
	}
}

static void
until_shown(struct run *r, const char *lesson, const char *sync,
    shows_fn shows)
{
	until_shown_within(r, lesson, sync, shows, 0);
}

static bool
shows_anomaly(const struct run *r)
{
	return r->code == 1;
}

static bool
shows_lost_updates(const struct run *r)
{
	return r->code == 1 && J(r, "lost_updates") > 0;
}

static bool
shows_stale(const struct run *r)
{
	return r->code == 1 && J(r, "stale_audits") > 0;
}

static bool
shows_deadlock(const struct run *r)
{
	return r->code == 1 && J(r, "deadlocks") > 0;
}

static bool
shows_stuck(const struct run *r)
{
	return r->code == 1 && jbool(r, r->j, "stuck");
}

static bool
shows_money_gone(const struct run *r)
{
	return r->code == 1 && J(r, "lost_cents") != 0;
}

/* A fix keeps the books: exit 0, no anomaly, no money lost or made. */
static void
assert_clean(const struct run *r)
{
	ck_assert_msg(r->code == 0, "%s: exit %d: %s", r->what, r->code,
	    r->out);
	ck_assert_msg(J(r, "lost_cents") == 0, "%s: %s", r->what, r->out);
	ck_assert_msg(J(r, "lost_updates") == 0, "%s: %s", r->what, r->out);
	ck_assert_msg(J(r, "expected_total") == J(r, "observed_total"),
	    "%s: %s", r->what, r->out);
}

static const char *const fixes_race[] = { "semaphore", "robust", "ordered" };
static const char *const bugs_stale[] = { "none", "robust" };
static const char *const fixes_stale[] = { "semaphore", "ordered" };
static const char *const fixes_deadlock[] = { "ordered", "semaphore" };
static const char *const fixes_crash[] = { "robust", "ordered" };
static const char *const lessons[] = { "race", "stale", "deadlock", "crash" };

#define N(a)	((int)(sizeof(a) / sizeof((a)[0])))

START_TEST(test_race_none)
{
	struct run r;

	until_shown(&r, "race", "none", shows_lost_updates);
	ck_assert_msg(r.code == 1, "%s: exit %d in %d tries: %s", r.what,
	    r.code, SHOW_TRIES, r.out);
	ck_assert_msg(J(&r, "lost_updates") > 0, "%s: %s", r.what, r.out);
	run_free(&r);
}
END_TEST

START_TEST(test_race_fixed)
{
	struct run r;

	once(&r, "race", fixes_race[_i], NULL);
	assert_clean(&r);
	run_free(&r);
}
END_TEST

START_TEST(test_stale_buggy)
{
	const char *sync = bugs_stale[_i];
	bool is_robust = strcmp(sync, "robust") == 0;
	struct run r;

	until_shown(&r, "stale", sync, is_robust ? shows_stale :
	    shows_anomaly);
	ck_assert_msg(r.code == 1, "%s: exit %d in %d tries: %s", r.what,
	    r.code, SHOW_TRIES, r.out);
	if (is_robust) {
		/* The locks keep every balance right; only the sums lie. */
		ck_assert_msg(J(&r, "audits") > 0, "%s: %s", r.what, r.out);
		ck_assert_msg(J(&r, "stale_audits") > 0, "%s: %s", r.what,
		    r.out);
		ck_assert_msg(J(&r, "lost_cents") == 0, "%s: %s", r.what,
		    r.out);
	}
	run_free(&r);
}
END_TEST

START_TEST(test_stale_fixed)
{
	struct run r;

	once(&r, "stale", fixes_stale[_i], NULL);
	assert_clean(&r);
	ck_assert_msg(J(&r, "audits") > 0, "%s: no audits: %s", r.what, r.out);
	ck_assert_msg(J(&r, "stale_audits") == 0, "%s: %s", r.what, r.out);
	run_free(&r);
}
END_TEST

START_TEST(test_deadlock_robust)
{
	struct json_object *x, *cyc, *a, *b;
	struct run r;

	/* Detected and reported: every try ended, and soon. */
	until_shown_within(&r, "deadlock", "robust", shows_deadlock,
	    DEADLOCK_MAX_S);
	ck_assert_msg(r.code == 1, "%s: exit %d in %d tries: %s", r.what,
	    r.code, SHOW_TRIES, r.out);
	ck_assert_msg(J(&r, "deadlocks") == 1, "%s: %s", r.what, r.out);
	x = example(&r, "cycle");
	cyc = jget(&r, x, "cycle", json_type_array);
	ck_assert_msg(json_object_array_length(cyc) == 2,
	    "%s: a cycle of %zu: %s", r.what, json_object_array_length(cyc),
	    r.out);
	a = json_object_array_get_idx(cyc, 0);
	b = json_object_array_get_idx(cyc, 1);
	ck_assert_msg(json_object_is_type(a, json_type_object) &&
	    json_object_is_type(b, json_type_object), "%s: %s", r.what, r.out);
	/* A holds what B waits for, and B holds what A waits for. */
	ck_assert_msg(jint(&r, a, "holds") == jint(&r, b, "waits_for") &&
	    jint(&r, b, "holds") == jint(&r, a, "waits_for") &&
	    jint(&r, a, "holds") != jint(&r, a, "waits_for"),
	    "%s: the waits do not cross: %s", r.what, r.out);
	ck_assert_msg(jint(&r, a, "pid") > 0 && jint(&r, b, "pid") > 0 &&
	    jint(&r, a, "pid") != jint(&r, b, "pid"), "%s: pids: %s", r.what,
	    r.out);
	run_free(&r);
}
END_TEST

/*
 * After a deadlock the ledger is still recovered.  Its workers die one
 * after another, so one may take a dead one's lock (EOWNERDEAD), run on
 * and be killed between a debit and its credit; then every lock is taken
 * again and every dead holder's work repaired before the books are
 * checked.  Without that, repairs was 0 and about 1 seed in 12 lost money.
 */
#define DEADLOCK_SEEDS	12

START_TEST(test_deadlock_repaired)
{
	char more[64];
	struct run r;
	int seed, shown = 0;

	for (seed = 1; seed <= DEADLOCK_SEEDS; seed++) {
		snprintf(more, sizeof(more), "--seed %d", seed);
		once_within(&r, "deadlock", "robust", more, DEADLOCK_MAX_S);
		if (J(&r, "deadlocks") > 0) {
			shown++;
			ck_assert_msg(J(&r, "repairs") >= 1, "%s: the dead "
			    "holders' locks were not repaired: %s", r.what,
			    r.out);
		}
		ck_assert_msg(J(&r, "lost_cents") == 0 &&
		    J(&r, "expected_total") == J(&r, "observed_total"),
		    "%s: money lost: %s", r.what, r.out);
		run_free(&r);
	}
	ck_assert_msg(shown > 0, "no deadlock in %d seeds", DEADLOCK_SEEDS);
}
END_TEST

START_TEST(test_deadlock_fixed)
{
	struct run r;

	once_within(&r, "deadlock", fixes_deadlock[_i], NULL, DEADLOCK_MAX_S);
	assert_clean(&r);
	ck_assert_msg(J(&r, "deadlocks") == 0, "%s: %s", r.what, r.out);
	run_free(&r);
}
END_TEST

START_TEST(test_deadlock_none)
{
	struct run r;

	until_shown_within(&r, "deadlock", "none", shows_lost_updates,
	    DEADLOCK_MAX_S);
	ck_assert_msg(r.code == 1, "%s: exit %d in %d tries: %s", r.what,
	    r.code, SHOW_TRIES, r.out);
	/* Nothing waits, so nothing deadlocks; the books break instead. */
	ck_assert_msg(J(&r, "deadlocks") == 0, "%s: %s", r.what, r.out);
	ck_assert_msg(J(&r, "lost_updates") > 0, "%s: %s", r.what, r.out);
	run_free(&r);
}
END_TEST

START_TEST(test_crash_semaphore)
{
	struct json_object *x;
	struct run r;

	until_shown(&r, "crash", "semaphore", shows_stuck);
	ck_assert_msg(r.code == 1, "%s: exit %d in %d tries: %s", r.what,
	    r.code, SHOW_TRIES, r.out);
	ck_assert_msg(jbool(&r, r.j, "stuck"), "%s: not stuck: %s", r.what,
	    r.out);
	x = example(&r, "dead_holder");
	ck_assert_msg(jint(&r, x, "pid") > 0 && jint(&r, x, "pid") != r.pid,
	    "%s: holder pid: %s", r.what, r.out);
	run_free(&r);
}
END_TEST

START_TEST(test_crash_fixed)
{
	struct json_object *x;
	struct run r;

	once(&r, "crash", fixes_crash[_i], NULL);
	assert_clean(&r);
	ck_assert_msg(J(&r, "died") >= 1, "%s: nobody died: %s", r.what, r.out);
	ck_assert_msg(J(&r, "repairs") >= 1, "%s: no repair: %s", r.what,
	    r.out);
	ck_assert_msg(!jbool(&r, r.j, "stuck"), "%s: %s", r.what, r.out);
	x = example(&r, "repair");
	ck_assert_msg(jint(&r, x, "dead_pid") > 0 &&
	    jint(&r, x, "repairer_pid") > 0 &&
	    jint(&r, x, "dead_pid") != jint(&r, x, "repairer_pid"),
	    "%s: pids: %s", r.what, r.out);
	run_free(&r);
}
END_TEST

START_TEST(test_crash_none)
{
	struct run r;

	until_shown(&r, "crash", "none", shows_money_gone);
	ck_assert_msg(r.code == 1, "%s: exit %d in %d tries: %s", r.what,
	    r.code, SHOW_TRIES, r.out);
	ck_assert_msg(J(&r, "lost_cents") != 0, "%s: %s", r.what, r.out);
	run_free(&r);
}
END_TEST

/* Two workers of four die at random points (from the seed): all repaired. */
START_TEST(test_crash_kills)
{
	struct run r;

	once(&r, "crash", fixes_crash[_i], "--kills 2 --procs 4");
	assert_clean(&r);
	ck_assert_msg(J(&r, "procs") == 4, "%s: %s", r.what, r.out);
	run_free(&r);
}
END_TEST

/* --------------------------------------------------------- the report */

/* Every key the report promises, with its JSON type, and what we asked. */
START_TEST(test_json_keys)
{
	static const struct {
		const char *lesson, *args;
		int64_t procs, ops;
	} ask[] = {
		{ "race", "--procs 3 --ops 500", 3, 500 },
		{ "stale", "--procs 3 --ops 700", 3, 700 },
		{ "deadlock", "--procs 2 --ops 900", 2, 900 },
		{ "crash", "--procs 3 --ops 400", 3, 400 },
	};
	static const char *const ints[] = { "procs", "ops", "seed",
	    "lost_updates", "lost_cents", "audits", "stale_audits",
	    "deadlocks", "repairs", "died", "expected_total",
	    "observed_total" };
	const char *lesson = ask[_i].lesson;
	struct json_object *x = NULL;
	struct run r;
	char args[256];
	size_t k;

	snprintf(args, sizeof(args), "%s --seed 987654", ask[_i].args);
	once(&r, lesson, "semaphore", args);
	for (k = 0; k < sizeof(ints) / sizeof(ints[0]); k++)
		(void)J(&r, ints[k]);
	(void)jbool(&r, r.j, "anomaly");
	(void)jbool(&r, r.j, "stuck");
	(void)jget(&r, r.j, "elapsed_s", json_type_double);
	ck_assert_msg(json_object_object_get_ex(r.j, "example", &x) &&
	    (x == NULL || json_object_is_type(x, json_type_object)),
	    "%s: \"example\" is not an object or null: %s", r.what, r.out);
	ck_assert_msg(J(&r, "seed") == 987654, "%s: seed: %s", r.what, r.out);
	ck_assert_msg(J(&r, "procs") == ask[_i].procs, "%s: %s", r.what,
	    r.out);
	ck_assert_msg(J(&r, "ops") == ask[_i].ops, "%s: %s", r.what, r.out);
	ck_assert_msg(json_object_get_double(jget(&r, r.j, "elapsed_s",
	    json_type_double)) >= 0.0 && json_object_get_double(jget(&r, r.j,
	    "elapsed_s", json_type_double)) <= r.wall_s, "%s: elapsed_s "
	    "beyond the %.3f s the program ran: %s", r.what, r.wall_s, r.out);
	run_free(&r);
}
END_TEST

/* The text report's first line names the seed, so the run can be redone. */
START_TEST(test_text_seed)
{
	const char *lesson = lessons[_i];
	const char *at, *nl;
	struct run r;

	run_lesson(&r, NULL, lesson, "--sync ordered --seed 4242");
	ck_assert_msg(r.code == 0 || r.code == 1, "%s: exit %d: %s%s", r.what,
	    r.code, r.out, r.err);
	nl = strchr(r.out, '\n');
	ck_assert_msg(nl != NULL, "%s: no line: %s", r.what, r.out);
	at = strstr(r.out, "seed 4242");
	ck_assert_msg(at != NULL && at < nl && !(at[9] >= '0' && at[9] <= '9'),
	    "%s: the first line does not say \"seed 4242\": %s", r.what,
	    r.out);
	run_free(&r);
}
END_TEST

/* ---------------------------------------------------------- bad usage */

static const struct {
	const char *env;
	const char *lesson;
	const char *args;
	const char *says;	/* the line names this */
} bad[] = {
	{ NULL, "race", "--procs 0", "--procs" },
	{ NULL, "race", "--procs abc", "--procs" },
	{ NULL, "race", "--procs", "--procs" },
	{ NULL, "race", "--sync fast", "fast" },
	{ NULL, "race", "--ops -1", "--ops" },
	{ NULL, "race", "--seed -5", "--seed" },
	{ NULL, "race", "--accounts 1", "--accounts" },
	{ NULL, "race", "--bogus", "--bogus" },
	{ NULL, "race", "extra", "extra" },
	{ NULL, "race", "--kills 2", "--kills" },
	{ NULL, "stale", "--kill-after 3", "--kill-after" },
	{ NULL, "stale", "--procs 1", "--procs" },
	{ NULL, "deadlock", "--procs 1", "--procs" },
	{ NULL, "deadlock", "--timeout 5", "--timeout" },
	{ NULL, "crash", "--kill-at nowhere", "nowhere" },
	{ NULL, "crash", "--kills 3", "--kills" },
	{ NULL, "crash", "--kill-after 5000", "--kill-after" },
	{ "BANKLAB_SYNC=bogus", "crash", "", "BANKLAB_SYNC" },
	{ NULL, "storm", "--kills 0", "--kills" },
	{ NULL, "storm", "--kills", "--kills" },
	{ NULL, "storm", "--workers 1", "--workers" },
	{ NULL, "storm", "--workers 65", "--workers" },
	{ NULL, "storm", "--accounts 1", "--accounts" },
	{ NULL, "storm", "--repair-kills 101", "--repair-kills" },
	{ NULL, "storm", "--ops 1x", "--ops" },
	{ NULL, "storm", "--timeout 0", "--timeout" },
	{ NULL, "storm", "--sync none", "none" },
	{ NULL, "storm", "--sync semaphore", "semaphore" },
	{ NULL, "storm", "--sync robust", "robust" },
	{ NULL, "storm", "--sync fast", "fast" },
	{ NULL, "storm", "--bogus", "--bogus" },
	{ NULL, "storm", "extra", "extra" },
	{ "BANKLAB_SYNC=none", "storm", "", "BANKLAB_SYNC" },
};

START_TEST(test_bad_usage)
{
	char prefix[64];
	struct run r;

	run_lesson(&r, bad[_i].env, bad[_i].lesson, bad[_i].args);
	ck_assert_msg(r.code == 2, "%s: exit %d, said: %s%s", r.what, r.code,
	    r.out, r.err);
	ck_assert_msg(tl_count_lines(r.err) == 1, "%s: %d lines on stderr: %s",
	    r.what, tl_count_lines(r.err), r.err);
	ck_assert_msg(r.out[0] == '\0', "%s: printed on stdout: %s", r.what,
	    r.out);
	snprintf(prefix, sizeof(prefix), "banklab-%s: ", bad[_i].lesson);
	ck_assert_msg(strncmp(r.err, prefix, strlen(prefix)) == 0,
	    "%s: \"%s\" does not start with \"%s\"", r.what, r.err, prefix);
	ck_assert_msg(strstr(r.err, bad[_i].says) != NULL,
	    "%s: \"%.*s\" does not name %s", r.what, (int)strcspn(r.err, "\n"),
	    r.err, bad[_i].says);
	run_free(&r);
}
END_TEST

START_TEST(test_help)
{
	const char *lesson = lessons[_i];
	char usage[64];
	struct run r;

	run_lesson(&r, NULL, lesson, "--help");
	ck_assert_msg(r.code == 0, "%s: exit %d: %s", r.what, r.code, r.err);
	snprintf(usage, sizeof(usage), "usage: banklab-%s", lesson);
	ck_assert_msg(strstr(r.out, usage) != NULL, "%s: %s", r.what, r.out);
	ck_assert_msg(strstr(r.out, "exit: 0") != NULL, "%s: no exit codes: %s",
	    r.what, r.out);
	ck_assert_msg(r.err[0] == '\0', "%s: stderr: %s", r.what, r.err);
	run_free(&r);
}
END_TEST

/* ---------------------------------------------------------- interrupt */

/* The parent pid of pid, from /proc, or -1 if it is gone. */
static pid_t
parent_of(pid_t pid)
{
	char path[64], buf[512], *p;
	int fd;
	ssize_t n;
	int ppid;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* "pid (comm) S ppid ...": comm may hold spaces and parens. */
	if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 1, " %*c %d",
	    &ppid) != 1)
		return -1;
	return (pid_t)ppid;
}

/* Up to max children of parent, from /proc. */
static int
children_of(pid_t parent, pid_t *kids, int max)
{
	struct dirent *e;
	DIR *d;
	int n = 0;
	long pid;
	char *end;

	if ((d = opendir("/proc")) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL && n < max) {
		pid = strtol(e->d_name, &end, 10);
		if (*end != '\0' || pid <= 0)
			continue;
		if (parent_of((pid_t)pid) == parent)
			kids[n++] = (pid_t)pid;
	}
	closedir(d);
	return n;
}

/* A lesson, and the kill storm: the same promise. */
static const struct {
	int sig;
	const char *prog, *args;
} intr[] = {
	{ SIGINT, "race", "--sync ordered --ops 100000000 --json" },
	{ SIGTERM, "race", "--sync ordered --ops 100000000 --json" },
	{ SIGINT, "storm", "--kills 10000000 --json" },
	{ SIGTERM, "storm", "--kills 10000000 --json" },
};

/*
 * Ctrl-C during a long run: it ends within INTR_MAX_S, exits 130, kills
 * and reaps its workers and removes its ledger.  We are the subreaper for
 * our descendants, so a worker it left behind becomes our child.
 */
START_TEST(test_interrupt)
{
	int sig = intr[_i].sig;
	pid_t workers[8], kids[8];
	char shm[128];
	double t_sig;
	struct run r;
	int nw = 0, k;
	sigset_t set;

	/* Whatever we inherited, the program must get the signal. */
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);

	lesson_start(&r, NULL, intr[_i].prog, intr[_i].args);
	ledger_file(shm, sizeof(shm), intr[_i].prog, r.pid);
	/*
	 * Its ledger is made (signals blocked by then) and workers run.  (A
	 * lesson's ledger name goes once its workers have attached; the
	 * storm's stays: it starts workers all along.)
	 */
	while (lab_now_s() - r.t0 < 3.0) {
		nw = children_of(r.pid, workers, 8);
		if (nw >= 2 && lab_now_s() - r.t0 >= INTR_AFTER_MS / 1000.0)
			break;
		tl_sleep_ms(10);
	}
	if (nw < 2) {
		/* End it the clean way before failing: Check SIGKILLs us all. */
		kill(r.pid, SIGTERM);
		spawn_wait(&r.set, 5000, NULL, NULL);
		spawn_free(&r.set);
		unlink(r.err_path);
		ck_abort_msg("%s: %d workers after 3 s", r.what, nw);
	}
	ck_assert_int_eq(kill(r.pid, sig), 0);
	t_sig = lab_now_s();
	lesson_finish(&r, (unsigned)(INTR_MAX_S * 1000));
	ck_assert_msg(lab_now_s() - t_sig < INTR_MAX_S, "%s: %.2f s after %s",
	    r.what, lab_now_s() - t_sig, strsignal(sig));
	ck_assert_msg(r.code == 130, "%s: exit %d after %s: %s%s", r.what,
	    r.code, strsignal(sig), r.out, r.err);
	ck_assert_msg(r.j != NULL && jbool(&r, r.j, "interrupted"),
	    "%s: not reported as interrupted: %s", r.what, r.out);
	/* No worker is left: none became ours, none is alive. */
	nw = nw > 8 ? 8 : nw;
	k = children_of(getpid(), kids, 8);
	for (int i = 0; i < k; i++)
		kill(kids[i], SIGKILL);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	ck_assert_msg(k == 0, "%s: %d worker(s) left running after %s",
	    r.what, k, strsignal(sig));
	for (int i = 0; i < nw; i++)
		ck_assert_msg(kill(workers[i], 0) == -1 && errno == ESRCH,
		    "%s: worker %d still there", r.what, (int)workers[i]);
	run_free(&r);
}
END_TEST

/*
 * SIGKILL, which no program can catch: its workers end with it (they die
 * with their parent, PR_SET_PDEATHSIG) instead of running on unowned, and
 * its ledger's name went as soon as every worker had attached.
 */
START_TEST(test_killed)
{
	pid_t workers[8], kids[8];
	char shm[128];
	double t_kill;
	struct run r;
	int nw = 0, k = 0, i;

	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
	lesson_start(&r, NULL, "race", "--sync ordered --ops 100000000");
	ledger_file(shm, sizeof(shm), "race", r.pid);
	/* Once every worker has attached, the name has gone. */
	while (lab_now_s() - r.t0 < 10.0 &&
	    ((nw = children_of(r.pid, workers, 8)) < 2 ||
	    access(shm, F_OK) == 0))
		tl_sleep_ms(10);
	ck_assert_int_eq(kill(r.pid, SIGKILL), 0);
	spawn_wait(&r.set, 5000, NULL, NULL);
	spawn_free(&r.set);
	unlink(r.err_path);
	/* Its workers become ours (we are the subreaper): reap them. */
	for (t_kill = lab_now_s(); lab_now_s() - t_kill < 5.0;
	    tl_sleep_ms(10)) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if ((k = children_of(getpid(), kids, 8)) == 0)
			break;
	}
	for (i = 0; i < k; i++)
		kill(kids[i], SIGKILL);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	ck_assert_msg(access(shm, F_OK) == -1 && errno == ENOENT, "%s is still "
	    "there after its lesson was SIGKILLed", shm);
	ck_assert_msg(nw >= 2, "banklab-race started %d workers in 10 s", nw);
	ck_assert_msg(k == 0, "%d worker(s) still running 5 s after their "
	    "lesson was SIGKILLed", k);
}
END_TEST

/* ------------------------------------------------------------ leftovers */

/* Ledgers of the programs this runner started that are still there. */
static int
leftovers(char *names, size_t len, bool do_unlink)
{
	const char *path = getenv(PIDS_ENV);
	char line[128], shm[160];
	size_t at = 0;
	FILE *f;
	int n = 0;

	if (len > 0)
		names[0] = '\0';
	if (path == NULL || (f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		snprintf(shm, sizeof(shm), "/dev/shm/banklab-%s", line);
		if (access(shm, F_OK) != 0)
			continue;
		n++;
		if (at + strlen(shm) + 2 < len)
			at += (size_t)snprintf(names + at, len - at, " %s", shm);
		if (do_unlink)
			ledger_unlink(line);
	}
	fclose(f);
	return n;
}

START_TEST(test_no_leftovers)
{
	char names[2048];
	int n = leftovers(names, sizeof(names), false);

	ck_assert_msg(n == 0, "%d ledger(s) left behind:%s", n, names);
}
END_TEST

/* ----------------------------------------------------------------- suite */

static Suite *
scenarios_suite(void)
{
	Suite *s = suite_create("scenarios");
	TCase *tc;

	tc = tcase_create("race");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_race_none);
	tcase_add_loop_test(tc, test_race_fixed, 0, N(fixes_race));
	suite_add_tcase(s, tc);

	tc = tcase_create("stale");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_stale_buggy, 0, N(bugs_stale));
	tcase_add_loop_test(tc, test_stale_fixed, 0, N(fixes_stale));
	suite_add_tcase(s, tc);

	tc = tcase_create("deadlock");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_deadlock_robust);
	tcase_add_test(tc, test_deadlock_repaired);
	tcase_add_loop_test(tc, test_deadlock_fixed, 0, N(fixes_deadlock));
	tcase_add_test(tc, test_deadlock_none);
	suite_add_tcase(s, tc);

	tc = tcase_create("crash");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_crash_semaphore);
	tcase_add_loop_test(tc, test_crash_fixed, 0, N(fixes_crash));
	tcase_add_test(tc, test_crash_none);
	tcase_add_loop_test(tc, test_crash_kills, 0, N(fixes_crash));
	suite_add_tcase(s, tc);

	tc = tcase_create("report");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_json_keys, 0, N(lessons));
	tcase_add_loop_test(tc, test_text_seed, 0, N(lessons));
	suite_add_tcase(s, tc);

	tc = tcase_create("usage");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_bad_usage, 0, N(bad));
	tcase_add_loop_test(tc, test_help, 0, N(lessons));
	suite_add_tcase(s, tc);

	tc = tcase_create("interrupt");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_interrupt, 0, N(intr));
	tcase_add_test(tc, test_killed);
	suite_add_tcase(s, tc);

	/* Last: what every test above left in /dev/shm. */
	tc = tcase_create("leftovers");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_no_leftovers);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	char pids[PATH_MAX], names[2048];
	const char *tmp = getenv("TMPDIR");
	int failed;

	/* The lessons' default variant must be theirs, not the caller's. */
	unsetenv("BANKLAB_SYNC");
	snprintf(pids, sizeof(pids), "%s/check_scenarios-%d.pids",
	    tmp && *tmp ? tmp : "/tmp", (int)getpid());
	unlink(pids);
	setenv(PIDS_ENV, pids, 1);

	sr = srunner_create(scenarios_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	/* Whatever a failed test left behind goes now. */
	if (leftovers(names, sizeof(names), true) > 0)
		fprintf(stderr, "check_scenarios: removed%s\n", names);
	unlink(pids);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
