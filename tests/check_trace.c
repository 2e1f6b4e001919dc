/*
 * check_trace: --trace FILE of every program that runs processes.  Each
 * test runs a program, parses the trace it wrote with json-c and holds it
 * to the Chrome trace-event format as Perfetto reads it: every event has
 * its fields, a track per process named by role and pid, X slices nested
 * on each track, every flow's start paired with its finish inside slices,
 * counters present; and the tracks are the run's own processes, as the
 * program reports them.  The race test fails if tracing is gone: the lock
 * slices of the lost-update race overlap under none and never under
 * ordered.  A trace path that cannot be written stops a program before it
 * runs anything: one line, exit 3.
 */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "serve_util.h"
#include "spawn.h"
#include "testlib.h"

#define TR_TRACKS_MAX	64

/*
 * An assertion for the loops over every event: Check's ck_assert_*()
 * passes each success to the test's parent (a write), and a trace has
 * tens of thousands of events.
 */
#define TR_CHECK(expr, ...) \
	do { \
		if (!(expr)) \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)

struct tr_slice {
	int32_t pid;
	int64_t start, end;		/* ns */
	int64_t acct, acct2;		/* -1: none */
	char name[64];
};

struct tr_track {
	int32_t pid;
	char role[48];
};

/* A trace as the checks see it. */
struct tr {
	struct json_object *root;
	struct tr_track track[TR_TRACKS_MAX];
	int ntracks;
	struct tr_slice *x;
	size_t nx;
	unsigned counters, flows, instants;
};

/* ------------------------------------------------------------ running */

static char tr_path[256];
static pid_t tr_pid;		/* the program tr_run() ran last */

static void
tr_path_new(void)
{
	static unsigned n;

	snprintf(tr_path, sizeof(tr_path), "/tmp/check-trace-%d-%u.json",
	    (int)getpid(), n++);
}

/* Run argv (a program of $BANKLAB_BIN_DIR, or banklab); its exit code. */
static int
tr_run(const char *const *args, char **out)
{
	const char *dir = getenv("BANKLAB_BIN_DIR");
	char prog[4096];
	const char *argv[48];
	struct spawn_set set;
	int n = 0, k, code;

	ck_assert_msg(dir != NULL, "BANKLAB_BIN_DIR is not set");
	snprintf(prog, sizeof(prog), "%s/%s", dir, args[0]);
	argv[n++] = prog;
	for (k = 1; args[k] != NULL && n < 47; k++)
		argv[n++] = args[k];
	argv[n] = NULL;
	spawn_init(&set);
	k = spawn_start(&set, (char *const *)(uintptr_t)argv);
	ck_assert_int_ge(k, 0);
	tr_pid = set.child[k].pid;
	ck_assert_int_eq(spawn_wait(&set, 60000, NULL, NULL), 0);
	code = tl_exit_code(set.child[k].status);
	if (out != NULL)
		*out = strdup(set.child[k].out != NULL ? set.child[k].out : "");
	spawn_free(&set);
	return code;
}

/* ------------------------------------------------------------ reading */

static int64_t
tr_ns(struct json_object *v)
{
	return (int64_t)llround(json_object_get_double(v) * 1000.0);
}

static struct json_object *
tr_get(struct json_object *o, const char *k)
{
	struct json_object *v = NULL;

	TR_CHECK(json_object_object_get_ex(o, k, &v), "event without "
	    "\"%s\": %s", k, json_object_to_json_string(o));
	return v;
}

static int64_t
tr_arg(struct json_object *ev, const char *k, int64_t dflt)
{
	struct json_object *args, *v;

	if (!json_object_object_get_ex(ev, "args", &args) ||
	    !json_object_object_get_ex(args, k, &v))
		return dflt;
	return json_object_get_int64(v);
}

static void
tr_track(struct tr *t, struct json_object *ev, int32_t pid)
{
	const char *what = json_object_get_string(tr_get(ev, "name"));
	struct json_object *args = tr_get(ev, "args");
	int i;

	if (strcmp(what, "process_name") != 0)
		return;
	for (i = 0; i < t->ntracks; i++)
		TR_CHECK(t->track[i].pid != pid, "pid %d: two names", (int)pid);
	TR_CHECK(t->ntracks < TR_TRACKS_MAX, "over %d tracks", TR_TRACKS_MAX);
	t->track[t->ntracks].pid = pid;
	snprintf(t->track[t->ntracks].role, sizeof(t->track[0].role), "%s",
	    json_object_get_string(tr_get(args, "name")));
	t->ntracks++;
}

static void
tr_slice(struct tr *t, struct json_object *ev, int32_t pid, int64_t ts)
{
	struct tr_slice *s;
	int64_t dur = tr_ns(tr_get(ev, "dur"));

	TR_CHECK(dur >= 0, "a slice of duration %" PRId64, dur);
	if (t->nx % 1024 == 0) {
		t->x = realloc(t->x, (t->nx + 1024) * sizeof(*t->x));
		TR_CHECK(t->x != NULL, "out of memory");
	}
	s = &t->x[t->nx++];
	s->pid = pid;
	s->start = ts;
	s->end = ts + dur;
	s->acct = tr_arg(ev, "account", tr_arg(ev, "from", -1));
	s->acct2 = tr_arg(ev, "account2", tr_arg(ev, "to", -1));
	snprintf(s->name, sizeof(s->name), "%s",
	    json_object_get_string(tr_get(ev, "name")));
}

static int
tr_slice_cmp(const void *x, const void *y)
{
	const struct tr_slice *a = x, *b = y;

	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return a->end > b->end ? -1 : a->end < b->end;
}

/* On each track, two slices are nested or apart, never crossed. */
static void
tr_nesting(struct tr *t)
{
	const struct tr_slice *stack[64];
	size_t i;
	int depth = 0;

	if (t->nx > 0)
		qsort(t->x, t->nx, sizeof(*t->x), tr_slice_cmp);
	for (i = 0; i < t->nx; i++) {
		const struct tr_slice *s = &t->x[i];

		if (i > 0 && s->pid != t->x[i - 1].pid)
			depth = 0;
		while (depth > 0 && stack[depth - 1]->end <= s->start)
			depth--;
		TR_CHECK(depth == 0 || s->end <= stack[depth - 1]->end,
		    "pid %d: \"%s\" crosses \"%s\"", (int)s->pid, s->name,
		    stack[depth - 1]->name);
		TR_CHECK(depth < 64, "slices nested over 64 deep");
		stack[depth++] = s;
	}
}

/*
 * Is ns inside a slice of pid's track?  The slices are sorted (pid,
 * start): from the last of pid's that starts by ns, back to one that
 * holds it (an enclosing one is among them).
 */
static bool
tr_inside(const struct tr *t, int32_t pid, int64_t ns)
{
	size_t lo = 0, hi = t->nx, mid;

	while (lo < hi) {		/* the first slice past (pid, ns) */
		mid = lo + (hi - lo) / 2;
		if (t->x[mid].pid < pid || (t->x[mid].pid == pid &&
		    t->x[mid].start <= ns))
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo-- > 0 && t->x[lo].pid == pid)
		if (ns <= t->x[lo].end)
			return true;
	return false;
}

/* A flow's end: its id, its phase ('s' or 'f'), where and when. */
struct tr_flow {
	int64_t id;
	char ph;
	int32_t pid;
	int64_t ts;
};

static int
tr_flow_cmp(const void *x, const void *y)
{
	const struct tr_flow *a = x, *b = y;

	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	return a->ph - b->ph;		/* 'f' before 's' */
}

/* Each flow id: one start, one finish after it elsewhere, both in slices. */
static void
tr_flows(struct tr *t, struct json_object *evs)
{
	size_t n = json_object_array_length(evs), i, m = 0;
	struct tr_flow *fl = calloc(n + 1, sizeof(*fl));

	ck_assert_ptr_nonnull(fl);
	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(evs, i);
		const char *ph = json_object_get_string(tr_get(e, "ph"));

		if (strcmp(ph, "s") != 0 && strcmp(ph, "f") != 0)
			continue;
		fl[m].id = json_object_get_int64(tr_get(e, "id"));
		fl[m].ph = ph[0];
		fl[m].pid = json_object_get_int(tr_get(e, "pid"));
		fl[m].ts = tr_ns(tr_get(e, "ts"));
		TR_CHECK(tr_inside(t, fl[m].pid, fl[m].ts), "flow %" PRId64
		    " %c: outside every slice", fl[m].id, fl[m].ph);
		m++;
	}
	qsort(fl, m, sizeof(*fl), tr_flow_cmp);
	ck_assert_uint_eq(m % 2, 0);
	for (i = 0; i < m; i += 2) {
		TR_CHECK(fl[i].id == fl[i + 1].id && fl[i].ph == 'f' &&
		    fl[i + 1].ph == 's' && fl[i].pid != fl[i + 1].pid &&
		    fl[i].ts >= fl[i + 1].ts && (i + 2 >= m ||
		    fl[i + 2].id != fl[i].id), "flow %" PRId64 ": not one start "
		    "and one later finish in another process", fl[i].id);
		t->flows++;
	}
	free(fl);
}

static void
tr_event(struct tr *t, struct json_object *ev)
{
	const char *ph = json_object_get_string(tr_get(ev, "ph"));
	int32_t pid = json_object_get_int(tr_get(ev, "pid"));

	TR_CHECK(pid > 0 && json_object_get_int(tr_get(ev, "tid")) == pid &&
	    json_object_get_string(tr_get(ev, "name")) != NULL,
	    "pid, tid or name: %s", json_object_to_json_string(ev));
	if (strcmp(ph, "M") == 0) {
		tr_track(t, ev, pid);
		return;
	}
	TR_CHECK(json_object_is_type(tr_get(ev, "ts"), json_type_double),
	    "ts: %s", json_object_to_json_string(ev));
	if (strcmp(ph, "X") == 0)
		tr_slice(t, ev, pid, tr_ns(tr_get(ev, "ts")));
	else if (strcmp(ph, "C") == 0)
		t->counters++;
	else if (strcmp(ph, "i") == 0)
		t->instants++;
	else
		TR_CHECK(strcmp(ph, "s") == 0 || strcmp(ph, "f") == 0,
		    "an event of phase \"%s\"", ph);
}

/* Load and check tr_path (then removed); every event's track is named. */
static void
tr_load(struct tr *t)
{
	struct json_object *evs;
	size_t n, i;
	int k;

	memset(t, 0, sizeof(*t));
	t->root = json_object_from_file(tr_path);
	ck_assert_msg(t->root != NULL, "%s: %s", tr_path,
	    json_util_get_last_err());
	unlink(tr_path);
	evs = tr_get(t->root, "traceEvents");
	ck_assert(json_object_is_type(evs, json_type_array));
	n = json_object_array_length(evs);
	ck_assert_uint_gt(n, 0);
	for (i = 0; i < n; i++)
		tr_event(t, json_object_array_get_idx(evs, i));
	for (i = 0; i < n; i++) {
		int32_t pid = json_object_get_int(tr_get(
		    json_object_array_get_idx(evs, i), "pid"));

		for (k = 0; k < t->ntracks && t->track[k].pid != pid; k++)
			;
		TR_CHECK(k < t->ntracks, "pid %d has no named track",
		    (int)pid);
	}
	tr_nesting(t);
	tr_flows(t, evs);
	ck_assert_uint_gt(t->counters, 0);
}

static void
tr_free(struct tr *t)
{
	json_object_put(t->root);
	free(t->x);
}

/* The role of pid's track, or NULL. */
static const char *
tr_role(const struct tr *t, int32_t pid)
{
	int i;

	for (i = 0; i < t->ntracks; i++)
		if (t->track[i].pid == pid)
			return t->track[i].role;
	return NULL;
}

static int
tr_tracks_of(const struct tr *t, const char *role)
{
	int i, n = 0;

	for (i = 0; i < t->ntracks; i++)
		n += strcmp(t->track[i].role, role) == 0;
	return n;
}

/* Events named name (a prefix) of phase ph, on pid's track (0: any). */
static unsigned
tr_count(const struct tr *t, const char *ph, const char *name, int32_t pid)
{
	struct json_object *evs = tr_get(t->root, "traceEvents");
	size_t i, n = json_object_array_length(evs);
	unsigned c = 0;

	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(evs, i);

		if (strcmp(json_object_get_string(tr_get(e, "ph")), ph) == 0 &&
		    strncmp(json_object_get_string(tr_get(e, "name")), name,
		    strlen(name)) == 0 && (pid == 0 ||
		    json_object_get_int(tr_get(e, "pid")) == pid))
			c++;
	}
	return c;
}

/* Slices named name (a prefix) of two processes over an account at once. */
static unsigned
tr_overlaps(const struct tr *t, const char *name)
{
	size_t i, j;
	unsigned n = 0;

	for (i = 0; i < t->nx; i++) {
		const struct tr_slice *a = &t->x[i];

		if (strncmp(a->name, name, strlen(name)) != 0)
			continue;
		for (j = i + 1; j < t->nx; j++) {
			const struct tr_slice *b = &t->x[j];

			if (b->pid == a->pid ||
			    strncmp(b->name, name, strlen(name)) != 0 ||
			    b->start >= a->end || a->start >= b->end)
				continue;
			if (a->acct == b->acct || a->acct == b->acct2 ||
			    (a->acct2 >= 0 && (a->acct2 == b->acct ||
			    a->acct2 == b->acct2)))
				n++;
		}
	}
	return n;
}

/* The report's JSON, parsed. */
static struct json_object *
tr_report(char *out)
{
	struct json_object *o = json_tokener_parse(out);

	ck_assert_msg(o != NULL, "not JSON: %s", out);
	free(out);
	return o;
}

static int64_t
tr_jint(struct json_object *o, const char *path)
{
	char buf[128], *k, *save = NULL;
	struct json_object *v = o;

	snprintf(buf, sizeof(buf), "%s", path);
	for (k = strtok_r(buf, ".", &save); k != NULL;
	    k = strtok_r(NULL, ".", &save))
		ck_assert_msg(json_object_object_get_ex(v, k, &v), "no %s",
		    path);
	return json_object_get_int64(v);
}

/* A pid the program reports is a track of role. */
static void
tr_assert_role(const struct tr *t, int64_t pid, const char *role)
{
	const char *r = tr_role(t, (int32_t)pid);

	ck_assert_msg(r != NULL, "pid %" PRId64 " has no track", pid);
	ck_assert_str_eq(r, role);
}

/*
 * Under a lock: the holds of one account (or of the semaphore) by two
 * processes never overlap, and the lock goes from one to another.
 */
static void
tr_assert_locked(const struct tr *t, const char *hold)
{
	ck_assert_uint_gt(tr_count(t, "X", hold, 0), 0);
	ck_assert_uint_eq(tr_overlaps(t, "hold"), 0);
	ck_assert_uint_eq(tr_count(t, "X", "no lock", 0), 0);
	ck_assert_uint_gt(t->flows, 0);
}

/* ------------------------------------------------------------ lessons */

/*
 * banklab-race under sync, traced: its report, and the trace loaded.  A
 * burst of load elsewhere can time-slice the workers apart: a race that
 * did not show is tried again (the lessons' own tests do the same).
 */
static struct json_object *
tr_race(const char *sync, int want, struct tr *t)
{
	const char *args[] = { "banklab-race", "--json", "--ops", "300",
	    "--sync", sync, "--trace", tr_path, NULL };
	char *out;
	int tries, rc;

	for (tries = 1;; tries++) {
		tr_path_new();
		if ((rc = tr_run(args, &out)) == want || tries == 3)
			break;
		free(out);
		unlink(tr_path);
		tl_sleep_ms(200);
	}
	ck_assert_int_eq(rc, want);
	tr_load(t);
	ck_assert_int_eq(tr_tracks_of(t, "banklab-race"), 1);
	ck_assert_int_eq(tr_tracks_of(t, "worker"), 2);
	return tr_report(out);
}

/*
 * The lost-update race, as the lock slices show it: under none two
 * processes' read-modify-writes of one account overlap (and each lost
 * update is marked); under ordered the holds of an account never do, and
 * each hand-over from one process to another is a flow.
 */
START_TEST(test_race_slices)
{
	struct json_object *rep;
	struct tr t;

	rep = tr_race("none", 1, &t);
	tr_assert_role(&t, tr_jint(rep, "example.pid"), "worker");
	tr_assert_role(&t, tr_jint(rep, "example.overwritten_pid"), "worker");
	ck_assert_uint_gt(tr_overlaps(&t, "no lock"), 0);
	ck_assert_uint_eq(tr_count(&t, "X", "hold", 0), 0);
	ck_assert_uint_gt(tr_count(&t, "i", "lost update",
	    (int32_t)tr_jint(rep, "example.pid")), 0);
	ck_assert_uint_gt(tr_count(&t, "i", "read_from", 0), 0);
	ck_assert_uint_eq(t.flows, 0);
	json_object_put(rep);
	tr_free(&t);

	rep = tr_race("ordered", 0, &t);
	tr_assert_locked(&t, "hold #0");
	ck_assert_uint_gt(tr_count(&t, "X", "wait #0", 0), 0);
	ck_assert_uint_eq(tr_count(&t, "i", "lost update", 0), 0);
	json_object_put(rep);
	tr_free(&t);
}
END_TEST

/* The stale read: the auditor's totals against the books, a counter. */
START_TEST(test_stale_audits)
{
	const char *args[] = { "banklab-stale", "--json", "--ops", "200",
	    "--seed", "2", "--trace", tr_path, NULL };
	struct tr t;
	int i;

	tr_path_new();
	ck_assert_int_le(tr_run(args, NULL), 1);
	tr_load(&t);
	ck_assert_int_eq(tr_tracks_of(&t, "auditor"), 1);
	for (i = 0; i < t.ntracks; i++)
		if (strcmp(t.track[i].role, "auditor") == 0)
			ck_assert_uint_gt(tr_count(&t, "C", "audited total",
			    t.track[i].pid), 0);
	ck_assert_uint_gt(tr_count(&t, "X", "audit", 0), 0);
	tr_free(&t);
}
END_TEST

/* The deadlock: the cycle the report names is on the workers' tracks. */
START_TEST(test_deadlock_cycle)
{
	const char *args[] = { "banklab-deadlock", "--json", "--trace",
	    tr_path, NULL };
	struct json_object *rep, *cyc;
	struct tr t;
	char *out;
	size_t i;

	tr_path_new();
	ck_assert_int_eq(tr_run(args, &out), 1);
	rep = tr_report(out);
	tr_load(&t);
	ck_assert_uint_eq(tr_count(&t, "i", "deadlock cycle", 0), 1);
	ck_assert(json_object_object_get_ex(rep, "example", &cyc));
	ck_assert(json_object_object_get_ex(cyc, "cycle", &cyc));
	ck_assert_uint_eq(json_object_array_length(cyc), 2);
	for (i = 0; i < 2; i++) {
		int64_t pid = tr_jint(json_object_array_get_idx(cyc, i),
		    "pid");

		tr_assert_role(&t, pid, "worker");
		ck_assert_uint_eq(tr_count(&t, "i", "on a deadlock cycle",
		    (int32_t)pid), 1);
	}
	json_object_put(rep);
	tr_free(&t);
}
END_TEST

/* The crash: the kill on the victim's track, the repair on the repairer's. */
START_TEST(test_crash_repair)
{
	const char *args[] = { "banklab-crash", "--json", "--sync", "ordered",
	    "--ops", "300", "--kill-after", "50", "--trace", tr_path, NULL };
	struct json_object *rep;
	struct tr t;
	char *out;

	tr_path_new();
	ck_assert_int_eq(tr_run(args, &out), 0);
	rep = tr_report(out);
	tr_load(&t);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
	    json_object_object_get(rep, "example"), "kind")), "repair");
	ck_assert_uint_ge(tr_count(&t, "i", "repair #", (int32_t)tr_jint(rep,
	    "example.repairer_pid")), 1);
	ck_assert_uint_eq(tr_count(&t, "i", "SIGKILL", (int32_t)tr_jint(rep,
	    "example.dead_pid")), 1);
	tr_assert_role(&t, tr_jint(rep, "example.dead_pid"), "worker");
	json_object_put(rep);
	tr_free(&t);
}
END_TEST

/* ------------------------------------------------------------ schedules */

/* Step instants named step on pid's track. */
static unsigned
tr_steps(const struct tr *t, const char *step, int32_t pid)
{
	struct json_object *evs = tr_get(t->root, "traceEvents");
	size_t i, n = json_object_array_length(evs);
	struct json_object *c;
	unsigned k = 0;

	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(evs, i);

		if (json_object_object_get_ex(e, "cat", &c) &&
		    strcmp(json_object_get_string(c), "step") == 0 &&
		    strcmp(json_object_get_string(tr_get(e, "name")), step) ==
		    0 && json_object_get_int(tr_get(e, "pid")) == pid)
			k++;
	}
	return k;
}

/* The pid of the track of role, which must be the only one. */
static int32_t
tr_pid_of(const struct tr *t, const char *role)
{
	int i;

	ck_assert_int_eq(tr_tracks_of(t, role), 1);
	for (i = 0; t->track[i].pid == 0 || strcmp(t->track[i].role, role);
	    i++)
		;
	return t->track[i].pid;
}

/*
 * A schedule that kills p1 after its debit: each process's step points
 * on its track are the timeline's, the kill is on p1's, and the books are
 * sampled at every step.
 */
START_TEST(test_sched_timeline)
{
	char file[4096];
	const char *args[] = { "banklab-sched", file, "--sync", "ordered",
	    "--json", "--trace", tr_path, NULL };
	struct json_object *rep, *tl;
	struct tr t;
	char *out;
	size_t i, n;

	snprintf(file, sizeof(file), "%s/crash.sched",
	    getenv("BANKLAB_SCHEDULES"));
	tr_path_new();
	ck_assert_int_eq(tr_run(args, &out), 0);
	rep = tr_report(out);
	tr_load(&t);
	ck_assert_int_eq(tr_pid_of(&t, "scheduler"), tr_pid);
	ck_assert_uint_eq(tr_count(&t, "i", "SIGKILL", tr_pid_of(&t, "p1")),
	    1);
	ck_assert(json_object_object_get_ex(json_object_array_get_idx(
	    json_object_object_get(rep, "runs"), 0), "timeline", &tl));
	n = json_object_array_length(tl);
	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(tl, i);
		const char *p = json_object_get_string(json_object_object_get(
		    e, "process"));
		const char *ev = json_object_get_string(json_object_object_get(
		    e, "event"));
		size_t j;
		unsigned want = 0;

		if (strcmp(ev, "killed") == 0 || strcmp(ev, "done") == 0)
			continue;
		for (j = 0; j < n; j++) {
			struct json_object *f = json_object_array_get_idx(tl,
			    j);

			want += strcmp(json_object_get_string(
			    json_object_object_get(f, "process")), p) == 0 &&
			    strcmp(json_object_get_string(
			    json_object_object_get(f, "event")), ev) == 0;
		}
		ck_assert_uint_eq(tr_steps(&t, ev, tr_pid_of(&t, p)), want);
	}
	ck_assert_uint_ge(tr_count(&t, "C", "money", tr_pid), n - 2);
	ck_assert_uint_ge(tr_count(&t, "X", "transfer", 0), 2);
	json_object_put(rep);
	tr_free(&t);
}
END_TEST

/* ------------------------------------------------------------ run, storm */

/* banklab run: its workers, as its report lists them, are the tracks. */
START_TEST(test_run_workers)
{
	char name[64];
	const char *create[] = { "banklab", "create", name, "--sync",
	    "semaphore", NULL };
	const char *args[] = { "banklab", "run", name, "--procs", "3", "--ops",
	    "200", "--json", "--trace", tr_path, NULL };
	const char *destroy[] = { "banklab", "destroy", name, NULL };
	struct json_object *rep, *ws;
	struct tr t;
	char *out;
	pid_t run;
	size_t i;

	tl_name(name, sizeof(name));
	ck_assert_int_eq(tr_run(create, NULL), 0);
	tr_path_new();
	ck_assert_int_eq(tr_run(args, &out), 0);
	run = tr_pid;
	ck_assert_int_eq(tr_run(destroy, NULL), 0);
	rep = tr_report(out);
	tr_load(&t);
	ck_assert_int_eq(tr_pid_of(&t, "banklab run"), run);
	ck_assert_int_eq(tr_tracks_of(&t, "worker"), 3);
	ck_assert(json_object_object_get_ex(rep, "workers", &ws));
	ck_assert_uint_eq(json_object_array_length(ws), 3);
	for (i = 0; i < 3; i++)
		tr_assert_role(&t, tr_jint(json_object_array_get_idx(ws, i),
		    "pid"), "worker");
	tr_assert_locked(&t, "hold semaphore");
	json_object_put(rep);
	tr_free(&t);
}
END_TEST

/* The storm: each SIGKILL it sends lands on a traced worker's track. */
START_TEST(test_storm_kills)
{
	const char *args[] = { "banklab-storm", "--kills", "1", "--workers",
	    "2", "--ops", "20000", "--accounts", "4", "--json", "--trace",
	    tr_path, NULL };
	struct json_object *evs;
	struct tr t;
	size_t i, n;

	tr_path_new();
	ck_assert_int_eq(tr_run(args, NULL), 0);
	tr_load(&t);
	ck_assert_int_eq(tr_pid_of(&t, "banklab-storm"), tr_pid);
	ck_assert_int_eq(tr_tracks_of(&t, "auditor"), 1);
	ck_assert_uint_eq(tr_count(&t, "i", "kill", tr_pid), 1);
	evs = tr_get(t.root, "traceEvents");
	n = json_object_array_length(evs);
	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(evs, i);

		if (strcmp(json_object_get_string(tr_get(e, "name")),
		    "SIGKILL") == 0)
			tr_assert_role(&t, json_object_get_int(tr_get(e,
			    "pid")), "worker");
	}
	ck_assert_uint_eq(tr_count(&t, "i", "SIGKILL", 0), 1);
	tr_free(&t);
}
END_TEST

/* ------------------------------------------------------------ serve */

/* banklab serve: each teller it announced is a track with its requests. */
START_TEST(test_serve_tellers)
{
	const char *args[] = { "--tellers", "2", "--trace", tr_path, NULL };
	char line[256];
	struct reply r;
	struct srv s;
	struct tr t;
	int i, k, pid[2];

	tr_path_new();
	srv_start(&s, args);
	/* "teller PID started" for each, and a line of the games process. */
	for (i = 0, k = 0; i < 2 && k < 4; k++) {
		srv_line(s.out, line, sizeof(line), SRV_START_MS);
		i += sscanf(line, "teller %d started", &pid[i]) == 1;
	}
	ck_assert_int_eq(i, 2);
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(req_ok(&s, "POST", "/v1/transfer",
		    "{\"from\": 1, \"to\": 2, \"cents\": 5}", &r), 200);
	ck_assert_int_eq(srv_stop(&s), 0);
	tr_load(&t);
	ck_assert_int_eq(tr_pid_of(&t, "banklab serve"), s.pid);
	ck_assert_int_eq(tr_tracks_of(&t, "teller"), 2);
	for (i = 0; i < 2; i++)
		tr_assert_role(&t, pid[i], "teller");
	ck_assert_uint_eq(tr_count(&t, "X", "transfer #1 -> #2", 0), 10);
	tr_free(&t);
}
END_TEST

/* ------------------------------------------------------------ bad input */

/*
 * A trace that cannot be written: one line naming it, exit 3, and nothing
 * run (no report on stdout).
 */
START_TEST(test_bad_path)
{
	char file[4096];
	const char *bad = "/nonexistent-banklab-dir/t.json";
	const char *const progs[][6] = {
		{ "banklab-race", "--trace", bad, NULL },
		{ "banklab-deadlock", "--trace", bad, NULL },
		{ "banklab-sched", file, "--trace", bad, NULL },
		{ "banklab-storm", "--kills", "1", "--trace", bad, NULL },
		{ "banklab-race", "--trace", "", NULL },
		{ "banklab-stale", "--trace", "/", NULL },
	};
	size_t i;
	char *out;

	snprintf(file, sizeof(file), "%s/race.sched",
	    getenv("BANKLAB_SCHEDULES"));
	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		ck_assert_int_eq(tr_run(progs[i], &out), 3);
		ck_assert_str_eq(out, "");
		free(out);
	}
	ck_assert_int_ne(access("/nonexistent-banklab-dir", F_OK), 0);
}
END_TEST

/*
 * A trace that fails to start leaves a FILE that was there as it was (an
 * existing file, not a truncated or removed one), and a FIFO nobody reads
 * is refused rather than waited on.
 */
START_TEST(test_bad_path_keeps)
{
	char dir[] = "/tmp/check_trace.XXXXXX", file[64], fifo[64], buf[16];
	const char *const keep[] = { "banklab-race", "--trace", file, NULL };
	const char *const pipe_[] = { "banklab-race", "--trace", fifo, NULL };
	char *out;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/kept", dir);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	ck_assert_ptr_nonnull(f = fopen(file, "w"));
	fputs("data\n", f);
	fclose(f);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	/* No directory for the records: the start fails after the open. */
	ck_assert_int_eq(setenv("TMPDIR", "/nonexistent-banklab-dir", 1), 0);
	ck_assert_int_eq(tr_run(keep, &out), 3);
	free(out);
	unsetenv("TMPDIR");
	ck_assert_ptr_nonnull(f = fopen(file, "r"));
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
	fclose(f);
	ck_assert_str_eq(buf, "data\n");
	ck_assert_int_eq(tr_run(pipe_, &out), 3);
	ck_assert_str_eq(out, "");
	free(out);
	unlink(file);
	unlink(fifo);
	rmdir(dir);
}
END_TEST

static Suite *
trace_suite(void)
{
	Suite *s = suite_create("trace");
	TCase *tc;

	tc = tl_tcase(s, "lessons", 60);
	tcase_add_test(tc, test_race_slices);
	tcase_add_test(tc, test_stale_audits);
	tcase_add_test(tc, test_deadlock_cycle);
	tcase_add_test(tc, test_crash_repair);
	tc = tl_tcase(s, "sched", 60);
	tcase_add_test(tc, test_sched_timeline);
	tc = tl_tcase(s, "run", 60);
	tcase_add_test(tc, test_run_workers);
	tc = tl_tcase(s, "storm", 60);
	tcase_add_test(tc, test_storm_kills);
	tc = tl_tcase(s, "serve", 60);
	tcase_add_test(tc, test_serve_tellers);
	tc = tl_tcase(s, "bad", 60);
	tcase_add_test(tc, test_bad_path);
	tcase_add_test(tc, test_bad_path_keeps);
	return s;
}

int
main(void)
{
	return tl_run(trace_suite());
}
