/*
 * check_grade: the graders graded.
 *
 * The reference solutions score every point of the table (tests/grade.h)
 * and the student stubs none; every mutant (tests/mutants/NAME.patch: the
 * solutions with one plausible bug, applied in a temporary directory)
 * loses points on its own exercise; every correct alternative
 * (tests/alternatives/NAME.patch) keeps every point; a submission that
 * forges its score from inside gets exactly what its honest code earns;
 * a missing file and one that does not compile cost their exercise only;
 * bad grader options touch nothing.  Each grading is `make grade` on a
 * temporary directory, read back from its results.json; gradings that
 * cannot disturb each other run a few at a time.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "grade.h"
#include "lab.h"

/*
 * Gradings at once: a wrong answer's checks mostly wait out timeouts, so
 * mutants run six at a time; right answers, whose checks must not time
 * out on a busy machine, two, each with two exercises at a time (-P 2).
 */
#define PARALLEL_WRONG	10
#define PARALLEL_RIGHT	2
#define PATCHES_MAX	64

struct job {
	char name[64];
	int ex;			/* exercise graded, 0: all */
	char dir[1024];		/* the submission, then OUT = dir/out */
	pid_t pid;
	int status;
	int score, max;
	char failed[1024];	/* names of the failed checks */
	char why[512];		/* the first failure's reason */
	struct timespec t0;	/* started, for the log's seconds */
	double secs;
};

static const char *
src(void)
{
	const char *s = getenv("BANKLAB_SRCDIR");

	return s != NULL ? s : ".";
}

static void
sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	ck_assert_msg(system(cmd) == 0, "%s: failed", cmd);
}

/* The table's total: what a perfect submission scores. */
static int
total(int ex)
{
	unsigned k;
	int t = 0;

	for (k = 0; k < grade_ncheck; k++)
		if (ex == 0 || grade_checks[k].exercise == ex)
			t += grade_checks[k].points;
	return t;
}

/* A fresh directory holding the solutions, then the stubs named. */
static void
job_dir(struct job *j, const char *name, int ex)
{
	memset(j, 0, sizeof(*j));
	snprintf(j->name, sizeof(j->name), "%s", name);
	j->ex = ex;
	snprintf(j->dir, sizeof(j->dir), "%.900s/banklab-gradetest.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(j->dir));
	sh("cp '%s'/solutions/*.c '%s'/", src(), j->dir);
}

static void
start(struct job *j, const char *extra)
{
	char cmd[4096], ex[8] = "";

	if (j->ex != 0)
		snprintf(ex, sizeof(ex), "-e %d", j->ex);
	snprintf(cmd, sizeof(cmd), "%s EXERCISES='%s' GRADE_OUT='%s/out' "
	    "GRADE_ARGS='%s %s' >'%s/log' 2>&1",
	    getenv("BANKLAB_GRADE_MAKE"), j->dir, j->dir, ex, extra, j->dir);
	fflush(NULL);
	clock_gettime(CLOCK_MONOTONIC, &j->t0);
	if ((j->pid = fork()) == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_gt(j->pid, 0);
}

/* Read back OUT/results.json. */
static void
collect(struct job *j)
{
	struct json_object *r, *v, *tests, *t;
	char path[1200];
	size_t i;

	snprintf(path, sizeof(path), "%s/out/results.json", j->dir);
	j->score = j->max = -1;
	if ((r = json_object_from_file(path)) == NULL)
		return;
	if (json_object_object_get_ex(r, "score", &v))
		j->score = json_object_get_int(v);
	if (json_object_object_get_ex(r, "max_score", &v))
		j->max = json_object_get_int(v);
	if (json_object_object_get_ex(r, "tests", &tests))
		for (i = 0; i < json_object_array_length(tests); i++) {
			t = json_object_array_get_idx(tests, i);
			if (!json_object_object_get_ex(t, "status", &v) ||
			    strcmp(json_object_get_string(v), "passed") == 0)
				continue;
			json_object_object_get_ex(t, "number", &v);
			snprintf(j->failed + strlen(j->failed),
			    sizeof(j->failed) - strlen(j->failed), "%s%s",
			    j->failed[0] ? " " : "", json_object_get_string(v));
			if (j->why[0] == '\0' &&
			    json_object_object_get_ex(t, "output", &v))
				snprintf(j->why, sizeof(j->why), "%s",
				    strstr(json_object_get_string(v),
				    "FAILED: ") ? strstr(json_object_get_string(
				    v), "FAILED: ") + 8 : "?");
		}
	j->why[strcspn(j->why, "\n")] = '\0';
	json_object_put(r);
}

/* Grade every job, PARALLEL at a time. */
static void
run_all(struct job *jobs, int n, int parallel, const char *extra)
{
	int next = 0, running = 0, i, status;
	pid_t pid;

	while (next < n || running > 0) {
		while (running < parallel && next < n) {
			start(&jobs[next++], extra);
			running++;
		}
		if ((pid = wait(&status)) < 0)
			break;
		for (i = 0; i < n; i++)
			if (jobs[i].pid == pid) {
				struct timespec t1;

				clock_gettime(CLOCK_MONOTONIC, &t1);
				jobs[i].secs = (double)(t1.tv_sec -
				    jobs[i].t0.tv_sec) + (t1.tv_nsec -
				    jobs[i].t0.tv_nsec) / 1e9;
				jobs[i].status = status;
				collect(&jobs[i]);
				running--;
			}
	}
}

static void
job_free(struct job *j)
{
	sh("rm -rf '%s'", j->dir);
}

/* tests/DIR/NAME.patch: names and exercises (from "Exercise: N"). */
static int
patches(const char *dir, struct job *jobs, int max)
{
	char path[1024], line[256], name[64];
	struct dirent *de;
	DIR *d;
	FILE *f;
	int n = 0, ex;

	snprintf(path, sizeof(path), "%s/tests/%s", src(), dir);
	if ((d = opendir(path)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && n < max) {
		size_t len = strlen(de->d_name);

		if (len < 7 || strcmp(de->d_name + len - 6, ".patch") != 0)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(len - 6),
		    de->d_name);
		snprintf(path, sizeof(path), "%s/tests/%s/%s", src(), dir,
		    de->d_name);
		ck_assert_ptr_nonnull(f = fopen(path, "r"));
		ex = 0;
		while (fgets(line, sizeof(line), f) != NULL && ex == 0 &&
		    strncmp(line, "---", 3) != 0)
			if (sscanf(line, "Exercise: %d", &ex) != 1)
				ex = 0;
		fclose(f);
		ck_assert_msg(ex >= 1 && ex <= GRADE_EXERCISES, "%s: no "
		    "\"Exercise: N\" line before the diff", path);
		job_dir(&jobs[n], name, ex);
		/* A patch that stops applying fails here, by name. */
		sh("patch -s -p1 -d '%s' <'%s'", jobs[n].dir, path);
		n++;
	}
	closedir(d);
	return n;
}

START_TEST(solutions_and_stubs)
{
	struct job j[2];

	job_dir(&j[0], "solutions", 0);
	job_dir(&j[1], "stubs", 0);
	sh("cp '%s'/lab/exercises/*.c '%s'/", src(), j[1].dir);
	run_all(j, 2, PARALLEL_RIGHT, "-P 2");
	ck_assert_msg(j[0].score == total(0) && j[0].max == total(0),
	    "the solutions scored %d/%d (want %d); failed: %s (%s)",
	    j[0].score, j[0].max, total(0), j[0].failed, j[0].why);
	ck_assert_msg(j[1].score == 0 && j[1].max == total(0), "the stubs "
	    "scored %d/%d; passed what they should not", j[1].score, j[1].max);
	job_free(&j[0]);
	job_free(&j[1]);
}
END_TEST

/*
 * Grade every patch in tests/DIR, each on its exercise: a mutant must lose
 * points there, an alternative keep every one.
 */
static void
grade_patches(const char *dir, bool is_right)
{
	struct job *j = calloc(PATCHES_MAX, sizeof(*j));
	char wrong[4096] = "";
	int n, i;

	ck_assert_ptr_nonnull(j);
	n = patches(dir, j, PATCHES_MAX);
	ck_assert_int_ge(n, is_right ? 4 : 30);
	run_all(j, n, is_right ? PARALLEL_RIGHT : PARALLEL_WRONG,
	    is_right ? "-P 2" : "");
	for (i = 0; i < n; i++) {
		printf("%s %-28s exercise %d: %2d/%-2d %5.1f s, failed: %s\n",
		    dir, j[i].name, j[i].ex, j[i].score, j[i].max, j[i].secs,
		    j[i].failed);
		if (j[i].max != total(j[i].ex) || (is_right ?
		    j[i].score != j[i].max : j[i].score >= j[i].max))
			snprintf(wrong + strlen(wrong), sizeof(wrong) -
			    strlen(wrong), " %s (%d/%d%s%s)", j[i].name,
			    j[i].score, j[i].max, is_right ? ": " : "",
			    is_right ? j[i].why : "");
		job_free(&j[i]);
	}
	free(j);
	ck_assert_msg(wrong[0] == '\0', "%s:%s", is_right ? "correct "
	    "alternatives that lose points" : "mutants the graders miss",
	    wrong);
}

START_TEST(mutants_lose_points)
{
	grade_patches("mutants", false);
}
END_TEST

START_TEST(alternatives_keep_points)
{
	grade_patches("alternatives", true);
}
END_TEST

/* Forgery, a missing file, a broken one, and bad options. */
START_TEST(hostile_submissions)
{
	struct job j[3];
	char path[1200], buf[64] = "";
	FILE *f;

	/* 0: the stub audit plus code that forges a perfect score. */
	job_dir(&j[0], "forgery", 0);
	sh("cp '%s'/tests/forgery/audit.c '%s'/", src(), j[0].dir);
	/* 1: the stub audit alone: what the forgery honestly earns. */
	job_dir(&j[1], "honest", 0);
	sh("cp '%s'/lab/exercises/audit.c '%s'/", src(), j[1].dir);
	/* 2: audit.c missing, ordered.c broken. */
	job_dir(&j[2], "broken", 0);
	sh("rm '%s/audit.c' && echo 'int broken = ;' >>'%s/ordered.c'",
	    j[2].dir, j[2].dir);
	run_all(j, 3, PARALLEL_RIGHT, "-P 2");
	ck_assert_msg(j[1].score == total(0) - total(4), "the honest stub "
	    "audit scored %d/%d", j[1].score, j[1].max);
	ck_assert_msg(j[0].score == j[1].score && j[0].max == j[1].max,
	    "the forgery scored %d/%d, its honest code %d/%d", j[0].score,
	    j[0].max, j[1].score, j[1].max);
	snprintf(path, sizeof(path), "%s/log", j[0].dir);
	sh("grep -q '^score: %d/%d' '%s'", j[1].score, j[1].max, path);
	ck_assert_msg(j[2].status == 0 && j[2].score == total(1) + total(3)
	    && j[2].max == total(0), "a submission without audit.c and with "
	    "a broken ordered.c: exit status %d, %d/%d", j[2].status,
	    j[2].score, j[2].max);
	sh("grep -q 'ordered.c does not compile' '%s/out/results.json'",
	    j[2].dir);
	sh("grep -q 'audit.c: missing' '%s/out/results.json'", j[2].dir);

	/* Bad options: exit 2, the last results untouched. */
	snprintf(path, sizeof(path), "%s/out/results.json", j[1].dir);
	sh("echo marker >'%s'", path);
	start(&j[1], "-o nosuch");
	waitpid(j[1].pid, &j[1].status, 0);
	ck_assert_msg(j[1].status != 0, "GRADE_ARGS='-o nosuch' succeeded");
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
	fclose(f);
	ck_assert_str_eq(buf, "marker\n");
	job_free(&j[0]);
	job_free(&j[1]);
	job_free(&j[2]);
}
END_TEST

int
main(void)
{
	char path[4096];
	Suite *s = suite_create("grade");
	TCase *tc = tcase_create("graders");
	SRunner *sr;
	int failed;

	/* A student copy has no solutions/ to grade the graders with. */
	snprintf(path, sizeof(path), "%.4000s/solutions/semaphore.c", src());
	if (access(path, R_OK) != 0) {
		printf("check_grade: no solutions/ here (a student copy): "
		    "nothing to grade the graders with\n");
		return 77;	/* automake: skipped */
	}
	/* A wrong answer's checks can each wait out their timeout. */
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, solutions_and_stubs);
	tcase_add_test(tc, hostile_submissions);
	/*
	 * A second build (CI's sanitizer build) may leave out what tests the
	 * graders' verdicts rather than the code they run: the mutants and
	 * the alternatives, the slowest part.
	 */
	if (getenv("BANKLAB_GRADE_QUICK") != NULL &&
	    strcmp(getenv("BANKLAB_GRADE_QUICK"), "1") == 0)
		printf("check_grade: BANKLAB_GRADE_QUICK=1: the mutants and "
		    "the alternatives are not graded in this build\n");
	else {
		tcase_add_test(tc, mutants_lose_points);
		tcase_add_test(tc, alternatives_keep_points);
	}
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
