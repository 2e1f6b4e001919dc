/*
 * check_storm: the kill storm's promise (lab/storm.c), short enough for
 * `make check` (`make storm` runs the long one): 1000 SIGKILLs of
 * transferring workers, repairs killed half-way, an auditor that never
 * sees a wrong total, and not a cent lost.
 */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <glob.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "lab.h"
#include "spawn.h"
#include "storm.h"
#include "testlib.h"

START_TEST(test_storm_keeps_money)
{
	struct storm_config c;
	struct storm_result r;
	const char *v = "ordered";

	storm_config_default(&c);
	c.worker = getenv("BANKLAB_WORKER");
	c.kills = 1000;
	c.seed = 1000;
	c.timeout_ms = 100000;
	ck_assert_int_eq(storm_run(&c, &r), 0);
	storm_print(stderr, &c, &r);
	ck_assert_msg(!r.timed_out, "%s: not over in time", v);
	ck_assert_msg(r.kills == c.kills, "%s: %" PRIu64 " kills sent, not %"
	    PRIu64, v, r.kills, c.kills);
	/* Kills land inside transfers, and inside repairs too. */
	ck_assert_msg(r.repairs >= 1, "%s: no lock was ever repaired", v);
	ck_assert_msg(r.repair_kills >= 1, "%s: no repair was killed", v);
	ck_assert_msg(r.has_audit && r.audit.audits >= 10, "%s: the auditor "
	    "reported %" PRIu64 " audits", v, r.audit.audits);
	ck_assert_msg(r.audit.wrong == 0, "%s: %" PRIu64 " audits saw a wrong "
	    "total, the first %" PRId64, v, r.audit.wrong,
	    r.audit.first_wrong);
	ck_assert_msg(r.check.lost_cents == 0 && r.check.is_ok, "%s: %" PRId64
	    " cents lost, %" PRId64 " lost writes", v, r.check.lost_cents,
	    r.check.lost_writes);
	ck_assert_msg(r.failed == 0, "%s: %" PRIu64 " workers ended badly, "
	    "the first %s", v, r.failed, r.first_failure);
	ck_assert_msg(r.lock_errors == 0 && r.audit.errors == 0, "%s: lock "
	    "errors: workers %" PRIu64 ", auditor %" PRIu64, v, r.lock_errors,
	    r.audit.errors);
	ck_assert_msg(r.transfers > 0, "%s: no transfer done", v);
	ck_assert(r.is_ok);
}
END_TEST

/* Only the variants that survive a kill without a cycle can be stormed. */
START_TEST(test_storm_refuses)
{
	static const enum sync_kind bad[] = { SYNC_NONE, SYNC_SEMAPHORE,
	    SYNC_ROBUST };
	struct storm_config c;
	struct storm_result r;

	storm_config_default(&c);
	c.worker = getenv("BANKLAB_WORKER");
	c.sync = bad[_i];
	ck_assert_int_eq(storm_run(&c, &r), -EINVAL);
	storm_config_default(&c);
	c.worker = getenv("BANKLAB_WORKER");
	c.workers = 1;
	ck_assert_int_eq(storm_run(&c, &r), -EINVAL);
	c.workers = STORM_WORKERS_MAX + 1;
	ck_assert_int_eq(storm_run(&c, &r), -EINVAL);
}
END_TEST

static int64_t
jint(struct json_object *j, const char *key)
{
	struct json_object *v = NULL;

	ck_assert_msg(json_object_object_get_ex(j, key, &v) &&
	    json_object_is_type(v, json_type_int), "no integer \"%s\"", key);
	return json_object_get_int64(v);
}

/* The program: its options reach the storm, its JSON and exit say how. */
START_TEST(test_storm_program)
{
	char prog[PATH_MAX], *argv[] = { prog, "--kills", "60", "--workers",
	    "3", "--accounts", "5", "--seed", "77", "--json", NULL };
	const char *bin = getenv("BANKLAB_BIN_DIR");
	struct json_object *j, *ok = NULL;
	struct spawn_set set;
	struct spawn_child *c;

	snprintf(prog, sizeof(prog), "%s/banklab-storm", bin ? bin :
	    "scenarios");
	spawn_init(&set);
	ck_assert_int_ge(spawn_start(&set, argv), 0);
	ck_assert_int_eq(spawn_wait(&set, 60000, NULL, NULL), 0);
	c = &set.child[0];
	ck_assert_msg(WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0,
	    "banklab-storm: status %d: %s", c->status, c->out);
	j = json_tokener_parse(c->out);
	ck_assert_msg(j != NULL, "not JSON: %s", c->out);
	ck_assert_int_eq(jint(j, "kills"), 60);
	ck_assert_int_eq(jint(j, "workers"), 3);
	ck_assert_int_eq(jint(j, "accounts"), 5);
	ck_assert_int_eq(jint(j, "seed"), 77);
	ck_assert_int_eq(jint(j, "lost_cents"), 0);
	ck_assert_int_eq(jint(j, "expected_cents"), 5 * 100000);
	ck_assert_int_eq(jint(j, "observed_cents"), 5 * 100000);
	ck_assert(json_object_object_get_ex(j, "ok", &ok) &&
	    json_object_get_boolean(ok));
	json_object_put(j);
	spawn_free(&set);
}
END_TEST

/* How many children pid has now (/proc/PID/task/PID/children). */
static int
children(pid_t pid)
{
	char path[64], buf[4096];
	int n = 0;
	FILE *f;
	char *p;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid,
	    (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) != NULL)
		for (p = strtok(buf, " \n"); p != NULL; p = strtok(NULL, " \n"))
			n++;
	fclose(f);
	return n;
}

/*
 * A storm SIGKILLed, which it cannot catch: its workers and its auditor
 * end with it (they die with their parent), and its ledger's name went as
 * soon as it was made (workers get the ledger by descriptor).
 */
START_TEST(test_storm_killed)
{
	char prog[PATH_MAX], pattern[64], *argv[] = { prog, "--kills",
	    "1000000", "--workers", "4", NULL };
	const char *bin = getenv("BANKLAB_BIN_DIR");
	struct spawn_set set;
	double t0;
	glob_t g;
	pid_t pid;
	int n = 0, left = 0;

	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
	snprintf(prog, sizeof(prog), "%s/banklab-storm", bin ? bin :
	    "scenarios");
	spawn_init(&set);
	ck_assert_int_ge(spawn_start(&set, argv), 0);
	pid = set.child[0].pid;
	/* Its four workers and its auditor running. */
	for (t0 = lab_now_s(); lab_now_s() - t0 < 10.0 &&
	    (n = children(pid)) < 5; tl_sleep_ms(10))
		;
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	spawn_wait(&set, 5000, NULL, NULL);
	spawn_free(&set);
	/* Its children become ours (we are the subreaper): reap them. */
	for (t0 = lab_now_s(); lab_now_s() - t0 < 5.0; tl_sleep_ms(10)) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if ((left = children(getpid())) == 0)
			break;
	}
	snprintf(pattern, sizeof(pattern), "/dev/shm/banklab-storm*-%d",
	    (int)pid);
	ck_assert_int_eq(glob(pattern, 0, NULL, &g), GLOB_NOMATCH);
	ck_assert_msg(n >= 5, "banklab-storm ran %d processes in 10 s", n);
	ck_assert_msg(left == 0, "%d process(es) still running 5 s after "
	    "their storm was SIGKILLed", left);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("storm");
	TCase *tc;
	SRunner *sr;
	int nf;

	tc = tcase_create("storm");
	tcase_set_timeout(tc, 150);
	tcase_add_test(tc, test_storm_keeps_money);
	tcase_add_test(tc, test_storm_program);
	tcase_add_test(tc, test_storm_killed);
	suite_add_tcase(s, tc);
	tc = tcase_create("refuses");
	tcase_add_loop_test(tc, test_storm_refuses, 0, 3);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
