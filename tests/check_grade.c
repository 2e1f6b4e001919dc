/*
 * check_grade: the graders grade.  The reference solutions score every
 * point, the student stubs none, and every mutant in tests/mutants/ (the
 * solutions with one file replaced by a plausible wrong answer) loses
 * points on its own exercise.  Each grading is `make grade` on a temporary
 * directory of exercise files, read back from its results.json.
 */
#include <check.h>
#include <dirent.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn.h"

static const char *const files[] = { "semaphore", "ordered", "repair",
    "audit" };

struct score {
	int score, max;
	char failed[512];	/* names of the failed checks */
};

/* Run a shell command that must succeed (copying files, cleaning up). */
static void
sh(const char *cmd)
{
	ck_assert_msg(system(cmd) == 0, "%s: failed", cmd);
}

/* Grade the exercise files in dir (only exercise ex if ex != NULL). */
static void
grade(const char *dir, const char *ex, struct score *sc)
{
	char cmd[8192], path[2048], out[1100];
	struct json_object *j, *v, *tests, *t;
	struct spawn_set set;
	char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	size_t i;

	snprintf(out, sizeof(out), "%.1000s/out", dir);
	snprintf(cmd, sizeof(cmd), "%.1000s EXERCISES='%.1000s' "
	    "GRADE_OUT='%.1100s' GRADE_ARGS='%s%s' >'%.1000s.log' 2>&1", getenv("BANKLAB_GRADE_MAKE"),
	    dir, out, ex ? "-e " : "", ex ? ex : "", dir);
	spawn_init(&set);
	ck_assert_int_ge(spawn_start(&set, argv), 0);
	ck_assert_int_eq(spawn_wait(&set, 600000, NULL, NULL), 0);
	ck_assert_msg(WIFEXITED(set.child[0].status) &&
	    WEXITSTATUS(set.child[0].status) == 0, "make grade on %s failed "
	    "(see %s.log)", dir, dir);
	spawn_free(&set);
	snprintf(path, sizeof(path), "%.1100s/results.json", out);
	j = json_object_from_file(path);
	ck_assert_msg(j != NULL, "%s: not JSON", path);
	ck_assert(json_object_object_get_ex(j, "score", &v));
	sc->score = json_object_get_int(v);
	ck_assert(json_object_object_get_ex(j, "max_score", &v));
	sc->max = json_object_get_int(v);
	ck_assert(json_object_object_get_ex(j, "tests", &tests));
	sc->failed[0] = '\0';
	for (i = 0; i < json_object_array_length(tests); i++) {
		t = json_object_array_get_idx(tests, i);
		ck_assert(json_object_object_get_ex(t, "status", &v));
		if (strcmp(json_object_get_string(v), "passed") == 0)
			continue;
		ck_assert(json_object_object_get_ex(t, "name", &v));
		strncat(sc->failed, json_object_get_string(v),
		    sizeof(sc->failed) - strlen(sc->failed) - 2);
		strncat(sc->failed, ";", sizeof(sc->failed) -
		    strlen(sc->failed) - 1);
	}
	json_object_put(j);
}

/* A fresh directory holding the reference answers. */
static void
solutions_dir(char *dir, size_t len)
{
	char cmd[8192];

	snprintf(dir, len, "%.900s/banklab-gradetest.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "cp '%.1000s'/solutions/*.c '%.1000s'/",
	    getenv("BANKLAB_SRCDIR"), dir);
	sh(cmd);
}

static void
remove_dir(const char *dir)
{
	char cmd[8192];

	snprintf(cmd, sizeof(cmd), "rm -rf '%.1000s' '%.1000s.log'", dir, dir);
	sh(cmd);
}

START_TEST(test_solutions_full_marks)
{
	struct score sc;
	char dir[1024];

	solutions_dir(dir, sizeof(dir));
	grade(dir, NULL, &sc);
	ck_assert_msg(sc.score == sc.max && sc.max == 40, "the solutions "
	    "scored %d/%d; failed: %s", sc.score, sc.max, sc.failed);
	remove_dir(dir);
}
END_TEST

START_TEST(test_stubs_score_nothing)
{
	struct score sc;
	char dir[1024];

	solutions_dir(dir, sizeof(dir));
	{
		char cmd[8192];

		snprintf(cmd, sizeof(cmd), "cp '%.1000s'/lab/exercises/*.c "
		    "'%.1000s'/",
		    getenv("BANKLAB_SRCDIR"), dir);
		sh(cmd);
	}
	grade(dir, NULL, &sc);
	ck_assert_msg(sc.score == 0, "the student stubs scored %d/%d",
	    sc.score, sc.max);
	remove_dir(dir);
}
END_TEST

/* The mutants, found in the source tree: tests/mutants/NAME/FILE.c. */
static int
mutants(char names[][64], char exs[][4], int max)
{
	char path[4096];
	struct dirent *de;
	DIR *d;
	int n = 0;
	size_t k;

	snprintf(path, sizeof(path), "%s/tests/mutants",
	    getenv("BANKLAB_SRCDIR"));
	if ((d = opendir(path)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && n < max) {
		if (de->d_name[0] == '.')
			continue;
		for (k = 0; k < 4; k++) {
			snprintf(path, sizeof(path), "%s/tests/mutants/%s/%s.c",
			    getenv("BANKLAB_SRCDIR"), de->d_name, files[k]);
			if (access(path, R_OK) == 0) {
				snprintf(names[n], 64, "%.63s", de->d_name);
				snprintf(exs[n], 4, "%zu", k + 1);
				n++;
				break;
			}
		}
	}
	closedir(d);
	return n;
}

START_TEST(test_mutant_loses_points)
{
	char names[32][64], exs[32][4], dir[1024], cmd[8192];
	struct score sc;
	int n = mutants(names, exs, 32);

	ck_assert_int_ge(n, 8);
	if (_i >= n)
		return;
	solutions_dir(dir, sizeof(dir));
	snprintf(cmd, sizeof(cmd), "cp '%.1000s'/tests/mutants/%s/*.c "
	    "'%.1000s'/",
	    getenv("BANKLAB_SRCDIR"), names[_i], dir);
	sh(cmd);
	grade(dir, exs[_i], &sc);
	ck_assert_msg(sc.max > 0 && sc.score < sc.max, "mutant %s scored "
	    "%d/%d on exercise %s: the graders miss its bug", names[_i],
	    sc.score, sc.max, exs[_i]);
	printf("mutant %s: %d/%d on exercise %s, failed: %s\n", names[_i],
	    sc.score, sc.max, exs[_i], sc.failed);
	remove_dir(dir);
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
	snprintf(path, sizeof(path), "%.4000s/solutions/semaphore.c",
	    getenv("BANKLAB_SRCDIR") ? getenv("BANKLAB_SRCDIR") : ".");
	if (access(path, R_OK) != 0) {
		printf("check_grade: no solutions/ here (a student copy): "
		    "nothing to grade the graders with\n");
		return 77;	/* automake: skipped */
	}
	/* Each grading waits out the timeouts of a wrong answer's checks. */
	tcase_set_timeout(tc, 400);
	tcase_add_test(tc, test_solutions_full_marks);
	tcase_add_test(tc, test_stubs_score_nothing);
	tcase_add_loop_test(tc, test_mutant_loses_points, 0, 16);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
