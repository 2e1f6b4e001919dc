/*
 * check_bench: lab/bench.c against bench.h, and banklab-bench as a user
 * runs it.  Timings are never asserted (CI machines are slow and shared):
 * only that every cell ran, that the correct variants kept the money, that
 * the JSON says so, and that no ledger is left in /dev/shm on any path.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "lab.h"
#include "spawn.h"
#include "testlib.h"

/* Ledgers the bench run by process pid left in /dev/shm. */
static int
leftovers(pid_t pid)
{
	char prefix[64];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(prefix, sizeof(prefix), "banklab-bench-%d-", (int)pid);
	d = opendir("/dev/shm");
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
	closedir(d);
	return n;
}

/* The directory of the programs: $BANKLAB_BIN_DIR, else ../scenarios. */
static void
bench_path(char *buf, size_t len)
{
	const char *env = getenv("BANKLAB_BIN_DIR");
	char self[PATH_MAX], *slash;
	ssize_t n;

	if (env != NULL && *env != '\0') {
		snprintf(buf, len, "%s/banklab-bench", env);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	ck_assert_int_gt(n, 0);
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) != NULL)
		*slash = '\0';
	snprintf(buf, len, "%s/../scenarios/banklab-bench", self);
}

/* The defaults, with our banklab-bench as the measuring program. */
static void
config_default(struct bench_config *c)
{
	static char prog[PATH_MAX];

	bench_path(prog, sizeof(prog));
	bench_config_default(c);
	c->child_path = prog;
}

struct out {
	int code;		/* exit code, or 128 + signal */
	pid_t pid;
	char *text;
};

/* Run banklab-bench with args (through sh for 2>&1 when merge). */
static void
run_bench(struct out *o, const char *args, bool merge, int sig_after_ms)
{
	char prog[PATH_MAX + 32], cmd[PATH_MAX + 512];
	char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	struct timespec ts = { sig_after_ms / 1000,
	    (long)(sig_after_ms % 1000) * 1000000 };
	struct spawn_set set;
	struct spawn_child *c;

	bench_path(prog, sizeof(prog));
	snprintf(cmd, sizeof(cmd), "exec '%s' %s%s", prog, args,
	    merge ? " 2>&1" : "");
	spawn_init(&set);
	ck_assert_int_ge(spawn_start(&set, argv), 0);
	if (sig_after_ms > 0) {
		nanosleep(&ts, NULL);
		kill(set.child[0].pid, SIGINT);
	}
	ck_assert_int_eq(spawn_wait(&set, 110000, NULL, NULL), 0);
	c = &set.child[0];
	o->pid = c->pid;
	o->code = tl_exit_code(c->status);
	o->text = strdup(c->out ? c->out : "");
	spawn_free(&set);
}

/* The library on a small grid with a fixed op count: every cell runs. */
START_TEST(test_run_grid)
{
	struct bench_config c;
	struct bench_result r;
	struct bench_goal g[BENCH_GOALS];
	unsigned i;

	config_default(&c);
	c.nprocs = 2;
	c.procs[0] = 1;
	c.procs[1] = 2;
	c.naccounts = 1;
	c.accounts[0] = 2;
	c.ops = 3000;
	c.repeat = 2;
	ck_assert_int_eq(bench_run(&c, &r), 0);
	ck_assert_int_eq(leftovers(getpid()), 0);
	ck_assert_uint_eq(r.ncells, 2 * BENCH_KIND_COUNT);
	for (i = 0; i < r.ncells; i++) {
		const struct bench_cell *cell = &r.cell[i];

		ck_assert_msg(cell->has_run, "%s %up did not run",
		    bench_kind_name(cell->kind), cell->procs);
		ck_assert_uint_eq(cell->runs, 2);
		ck_assert_uint_eq(cell->ops, 3000);
		ck_assert_double_gt(cell->mops.median, 0);
		ck_assert_double_le(cell->mops.min, cell->mops.median);
		ck_assert_double_ge(cell->mops.max, cell->mops.median);
		ck_assert_uint_eq(cell->failed, 0);
		ck_assert_uint_eq(cell->done + cell->refused,
		    2 * 3000 * cell->procs);
		if (cell->procs == 1)
			ck_assert_double_eq_tol(cell->scale, 1, 1e-9);
		else
			ck_assert_double_gt(cell->scale, 0);
		if (cell->kind != BENCH_NONE &&
		    cell->kind != BENCH_LOADSTORE)
			ck_assert_msg(cell->lossy_runs == 0, "%s %up lost %lld",
			    bench_kind_name(cell->kind), cell->procs,
			    (long long)cell->lost_cents);
		if (bench_base(cell->kind) >= 0)
			ck_assert_double_gt(cell->vs_base, 0);
		if (bench_move(cell->kind) >= 0)
			ck_assert_double_gt(cell->vs_move, 0);
	}
	ck_assert(!bench_has_anomaly(&r));
	bench_goals(&r, g);
	for (i = 0; i < 6; i++)
		ck_assert_msg(g[i].is_measured, "goal %u: %s", i, g[i].what);
	ck_assert(!g[6].is_measured && !g[7].is_measured);	/* no 1000 */
	bench_result_free(&r);
}
END_TEST

START_TEST(test_bad_config)
{
	struct bench_config c;
	struct bench_result r;

	config_default(&c);
	c.accounts[0] = 1;
	ck_assert_int_lt(bench_run(&c, &r), 0);
	bench_result_free(&r);
	config_default(&c);
	c.repeat = 0;
	ck_assert_int_lt(bench_run(&c, &r), 0);
	bench_result_free(&r);
	config_default(&c);
	memset(c.kinds, 0, sizeof(c.kinds));
	ck_assert_int_lt(bench_run(&c, &r), 0);
	bench_result_free(&r);
	config_default(&c);
	c.child_path = NULL;
	ck_assert_int_eq(bench_run(&c, &r), -EINVAL);
	bench_result_free(&r);
	ck_assert_int_eq(leftovers(getpid()), 0);
}
END_TEST

/* A program that is no measuring program: every run fails, nothing is left. */
START_TEST(test_bad_child)
{
	struct bench_config c;
	struct bench_result r;

	config_default(&c);
	c.child_path = "/bin/true";
	c.naccounts = 1;
	c.accounts[0] = 2;
	c.nprocs = 1;
	c.ops = 1000;
	c.repeat = 1;
	ck_assert_int_eq(bench_run(&c, &r), -LAB_EWORKER);
	bench_result_free(&r);
	ck_assert_int_eq(leftovers(getpid()), 0);
}
END_TEST

/* A measuring process's report survives its one line. */
START_TEST(test_report_line)
{
	struct bench_report a = { -LAB_ETIMEDOUT, -EDEADLK, 1, 2, 3,
	    UINT64_MAX, 5, 6, 7, 8 }, b;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	ck_assert_ptr_nonnull(f = open_memstream(&buf, &len));
	bench_report_print(f, &a);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_ptr_nonnull(strchr(buf, '\n'));
	ck_assert_int_eq(bench_report_parse(buf, &b), 0);
	ck_assert_int_eq(memcmp(&a, &b, sizeof(a)), 0);
	buf[strlen(buf) / 2] = '\0';
	ck_assert_int_eq(bench_report_parse(buf, &b), -EINVAL);
	ck_assert_int_eq(bench_report_parse("", &b), -EINVAL);
	ck_assert_int_eq(bench_report_parse(NULL, &b), -EINVAL);
	free(buf);
}
END_TEST

static const char *const variants[] = { "none", "semaphore", "robust",
	"ordered" };

/* banklab-bench --quick --json: parses, has every variant, kept money. */
START_TEST(test_quick_json)
{
	struct json_object *j, *rows, *row, *v;
	bool seen[4] = { false, false, false, false };
	struct out o;
	size_t i, k;

	run_bench(&o, "--quick --json", false, 0);
	ck_assert_msg(o.code == 0, "exit %d: %s", o.code, o.text);
	ck_assert_int_eq(leftovers(o.pid), 0);
	j = json_tokener_parse(o.text);
	ck_assert_msg(j != NULL, "not JSON: %s", o.text);
	ck_assert(json_object_object_get_ex(j, "rows", &rows));
	ck_assert(json_object_is_type(rows, json_type_array));
	ck_assert_uint_gt(json_object_array_length(rows), 0);
	for (i = 0; i < json_object_array_length(rows); i++) {
		const char *kind;

		row = json_object_array_get_idx(rows, i);
		ck_assert(json_object_object_get_ex(row, "kind", &v));
		kind = json_object_get_string(v);
		ck_assert(json_object_object_get_ex(row, "failed", &v));
		ck_assert_int_eq(json_object_get_int64(v), 0);
		ck_assert(json_object_object_get_ex(row, "mops", &v));
		ck_assert(json_object_object_get_ex(v, "median", &v));
		ck_assert_double_gt(json_object_get_double(v), 0);
		for (k = 0; k < 4; k++) {
			if (strcmp(kind, variants[k]) != 0)
				continue;
			seen[k] = true;
			if (k == 0)
				continue;	/* none may lose: the lesson */
			ck_assert(json_object_object_get_ex(row, "money_kept",
			    &v));
			ck_assert_msg(json_object_get_boolean(v),
			    "%s lost money", kind);
		}
	}
	for (k = 0; k < 4; k++)
		ck_assert_msg(seen[k], "no row for %s", variants[k]);
	ck_assert(json_object_object_get_ex(j, "goals", &v));
	ck_assert_uint_eq(json_object_array_length(v), BENCH_GOALS);
	ck_assert(json_object_object_get_ex(j, "bytes_per_account", &v));
	ck_assert_int_eq(json_object_get_int64(v), 64);
	ck_assert(json_object_object_get_ex(j, "anomaly", &v));
	ck_assert(!json_object_get_boolean(v));
	json_object_put(j);
	free(o.text);
}
END_TEST

/* The table's ratio lines: each variant beside its anchors, goal stated. */
START_TEST(test_ratio_lines)
{
	struct out o;

	run_bench(&o, "--quick --procs 1 --accounts 2 --repeat 1 --only "
	    "ordered,bare-robust,move-robust", false, 0);
	ck_assert_msg(o.code == 0, "exit %d: %s", o.code, o.text);
	ck_assert_int_eq(leftovers(o.pid), 0);
	ck_assert_msg(strstr(o.text, "against its anchors") != NULL, "%s",
	    o.text);
	ck_assert_msg(strstr(o.text, "x bare-robust ") != NULL, "%s", o.text);
	ck_assert_msg(strstr(o.text, "x move-robust ") != NULL, "%s", o.text);
	ck_assert_msg(strstr(o.text, "same run)  goal 0.80x: ") != NULL,
	    "%s", o.text);
	free(o.text);
}
END_TEST

/* Ctrl-C in the middle: exit 130, every child reaped, no ledger left. */
START_TEST(test_interrupt)
{
	struct out o;

	run_bench(&o, "--accounts 1000 --run-ms 200 --repeat 20", true, 700);
	ck_assert_msg(o.code == 130, "exit %d: %s", o.code, o.text);
	ck_assert_int_eq(leftovers(o.pid), 0);
	ck_assert_ptr_nonnull(strstr(o.text, "interrupted"));
	free(o.text);
}
END_TEST

static const struct {
	const char *args;
	const char *says;
} bad[] = {
	{ "--procs 0", "--procs" },
	{ "--procs 300", "--procs" },
	{ "--procs 1,,2", "--procs" },
	{ "--procs 2,2", "twice" },
	{ "--procs", "--procs" },
	{ "--accounts 1", "--accounts" },
	{ "--accounts 1x", "1x" },
	{ "--repeat 0", "--repeat" },
	{ "--run-ms -1", "--run-ms" },
	{ "--only fast", "fast" },
	{ "--bogus", "--bogus" },
	{ "extra", "extra" },
	{ "--bench-child x none 1", "--bench-child" },
	{ "--bench-child x fast 1 1 1 1 -1 1", "--bench-child" },
	{ "--bench-child x none 0 1 1 1 -1 1", "procs" },
};

START_TEST(test_bad_usage)
{
	struct out o;

	run_bench(&o, bad[_i].args, true, 0);
	ck_assert_msg(o.code == 2, "%s: exit %d: %s", bad[_i].args, o.code,
	    o.text);
	ck_assert_msg(strchr(o.text, '\n') == o.text + strlen(o.text) - 1,
	    "%s: not one line: %s", bad[_i].args, o.text);
	ck_assert_msg(strstr(o.text, bad[_i].says) != NULL,
	    "%s: \"%s\" does not name %s", bad[_i].args, o.text,
	    bad[_i].says);
	free(o.text);
}
END_TEST

static Suite *
bench_suite(void)
{
	Suite *s = suite_create("bench");
	TCase *tc;

	tc = tcase_create("library");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_run_grid);
	tcase_add_test(tc, test_bad_config);
	tcase_add_test(tc, test_bad_child);
	tcase_add_test(tc, test_report_line);
	suite_add_tcase(s, tc);

	tc = tcase_create("program");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_quick_json);
	tcase_add_test(tc, test_interrupt);
	tcase_add_test(tc, test_ratio_lines);
	tcase_add_loop_test(tc, test_bad_usage, 0,
	    (int)(sizeof(bad) / sizeof(bad[0])));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(bench_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
