/*
 * check_cli: the banklab tool as a user meets it.  Bad command lines exit 2
 * with one line naming the thing and the problem; ledgers are shared by
 * name between separate invocations; `run` reports what each variant does.
 */
#include <check.h>
#include <errno.h>
#include <json-c/json.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ledger.h"
#include "spawn.h"

struct cli_out {
	int code;		/* exit code, or 128 + signal */
	char *text;		/* stdout and stderr together */
};

/* Run `banklab ARGS` (through sh, for 2>&1 and the environment). */
static void
cli(struct cli_out *o, const char *env, const char *args)
{
	char prog[4096], cmd[8192];
	struct spawn_set set;
	char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	struct spawn_child *c;

	spawn_worker_path(prog, sizeof(prog));
	snprintf(cmd, sizeof(cmd), "%s exec '%s' %s 2>&1", env ? env : "",
	    prog, args);
	spawn_init(&set);
	ck_assert_int_ge(spawn_start(&set, argv), 0);
	ck_assert_int_eq(spawn_wait(&set, 60000, NULL, NULL), 0);
	c = &set.child[0];
	o->code = WIFEXITED(c->status) ? WEXITSTATUS(c->status) :
	    128 + WTERMSIG(c->status);
	o->text = strdup(c->out ? c->out : "");
	spawn_free(&set);
}

static int
count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/*
 * A name no other test program or run uses: tagged with the runner's pid
 * (main() puts it in the environment), so that the runner's unchecked
 * teardown can remove it even after a test died half-way.
 */
static void
unique(char *buf, size_t len, const char *tag)
{
	const char *runner = getenv("CHECK_CLI_RUNNER");

	snprintf(buf, len, "cli-%s-%s", tag, runner ? runner : "0");
}

static void
cleanup(void)
{
	static const char *const tags[] = { "share", "run", "none", "env",
	    "nospace" };
	char name[64];
	size_t i;

	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		unique(name, sizeof(name), tags[i]);
		ledger_unlink(name);
	}
}

static const struct {
	const char *env;
	const char *args;
	const char *says;	/* the line names this */
} bad[] = {
	{ NULL, "frobnicate", "frobnicate" },
	{ NULL, "create", "NAME" },
	{ NULL, "create 'bad/name'", "bad/name" },
	{ NULL, "create 'a.b'", "a.b" },
	{ NULL, "create x --accounts 0", "--accounts" },
	{ NULL, "create x --accounts 12abc", "12abc" },
	{ NULL, "create x --accounts -5", "--accounts" },
	{ NULL, "create x --accounts ' 7'", "--accounts" },
	{ NULL, "create x --accounts 99999999999999999999", "--accounts" },
	{ NULL, "create x --balance -1", "--balance" },
	{ NULL, "create x --sync fast", "fast" },
	{ NULL, "create x --ops 5", "--ops" },
	{ NULL, "create x --accounts", "--accounts" },
	{ NULL, "create x y", "\"y\"" },
	{ NULL, "create x --bogus", "--bogus" },
	{ NULL, "worker x --mix weird", "weird" },
	{ NULL, "worker x --from 1", "--to" },
	{ NULL, "worker x --die-step 10 --die-after 1", "--die-step" },
	{ NULL, "run x --procs 0", "--procs" },
	{ NULL, "run x --procs 257", "--procs" },
	{ NULL, "run x --procs", "--procs" },
	{ NULL, "run x --timeout 0", "--timeout" },
	{ NULL, "destroy", "NAME" },
	{ NULL, "destroy no-such-ledger-zz", "no such ledger" },
	{ NULL, "show no-such-ledger-zz", "no such ledger" },
	{ NULL, "audit no-such-ledger-zz", "no such ledger" },
	{ "BANKLAB_SYNC=bogus", "create x", "BANKLAB_SYNC" },
};

START_TEST(test_bad_usage)
{
	struct cli_out o;

	cli(&o, bad[_i].env, bad[_i].args);
	ck_assert_msg(o.code == 2, "banklab %s: exit %d, said: %s",
	    bad[_i].args, o.code, o.text);
	ck_assert_msg(count_lines(o.text) == 1, "banklab %s: said %d lines: %s",
	    bad[_i].args, count_lines(o.text), o.text);
	ck_assert_msg(strstr(o.text, bad[_i].says) != NULL,
	    "banklab %s: \"%s\" does not name %s", bad[_i].args, o.text,
	    bad[_i].says);
	free(o.text);
}
END_TEST

START_TEST(test_help_version)
{
	struct cli_out o;

	cli(&o, NULL, "--help");
	ck_assert_int_eq(o.code, 0);
	ck_assert_ptr_nonnull(strstr(o.text, "exit: 0 clean, 1 anomaly"));
	free(o.text);
	cli(&o, NULL, "--version");
	ck_assert_int_eq(o.code, 0);
	ck_assert_ptr_nonnull(strstr(o.text, "banklab "));
	free(o.text);
	cli(&o, NULL, "");
	ck_assert_int_eq(o.code, 2);
	free(o.text);
}
END_TEST

/* Create, use and destroy a ledger from separate invocations, by name. */
START_TEST(test_share_by_name)
{
	struct json_object *j, *v;
	struct cli_out o;
	char name[64], args[256];

	unique(name, sizeof(name), "share");
	snprintf(args, sizeof(args), "create %s --accounts 8 --balance 1000 "
	    "--sync ordered", name);
	cli(&o, NULL, args);
	ck_assert_msg(o.code == 0, "%s", o.text);
	free(o.text);

	snprintf(args, sizeof(args), "create %s", name);
	cli(&o, NULL, args);
	ck_assert_int_eq(o.code, 2);
	ck_assert_ptr_nonnull(strstr(o.text, "exists"));
	free(o.text);

	snprintf(args, sizeof(args), "worker %s --ops 2000 --mix mixed "
	    "--seed 7 --json", name);
	cli(&o, NULL, args);
	ck_assert_msg(o.code == 0, "%s", o.text);
	j = json_tokener_parse(o.text);
	ck_assert_ptr_nonnull(j);
	ck_assert(json_object_object_get_ex(j, "done", &v));
	ck_assert_int_gt(json_object_get_int64(v), 0);
	json_object_put(j);
	free(o.text);

	snprintf(args, sizeof(args), "audit %s", name);
	cli(&o, NULL, args);
	ck_assert_msg(o.code == 0, "%s", o.text);
	ck_assert_ptr_nonnull(strstr(o.text, "they agree"));
	free(o.text);

	snprintf(args, sizeof(args), "show %s", name);
	cli(&o, NULL, args);
	ck_assert_msg(o.code == 0, "%s", o.text);
	ck_assert_ptr_nonnull(strstr(o.text, "money kept"));
	free(o.text);

	cli(&o, NULL, "list");
	ck_assert_int_eq(o.code, 0);
	ck_assert_ptr_nonnull(strstr(o.text, name));
	free(o.text);

	snprintf(args, sizeof(args), "destroy %s", name);
	cli(&o, NULL, args);
	ck_assert_int_eq(o.code, 0);
	free(o.text);
	cli(&o, NULL, args);
	ck_assert_int_eq(o.code, 2);
	free(o.text);
}
END_TEST

/* `run` under each correct variant: 4 workers, money kept, exit 0. */
START_TEST(test_run_correct)
{
	static const char *const variants[] = { "semaphore", "ordered" };
	struct cli_out o;
	char name[64], args[256];

	unique(name, sizeof(name), "run");
	snprintf(args, sizeof(args), "create %s --accounts 64", name);
	cli(&o, NULL, args);
	ck_assert_msg(o.code == 0, "%s", o.text);
	free(o.text);
	snprintf(args, sizeof(args), "run %s --procs 4 --ops 20000 --mix mixed "
	    "--sync %s --seed 1", name, variants[_i]);
	cli(&o, NULL, args);
	ck_assert_msg(o.code == 0, "%s: exit %d: %s", variants[_i], o.code,
	    o.text);
	ck_assert_ptr_nonnull(strstr(o.text, "money kept"));
	free(o.text);
	ledger_unlink(name);
}
END_TEST

/* `run` under none loses money and says so with exit 1 (bounded tries). */
START_TEST(test_run_none_loses)
{
	struct cli_out o;
	char name[64], args[256];
	int tries, code = 0;

	unique(name, sizeof(name), "none");
	for (tries = 0; tries < 5 && code != 1; tries++) {
		ledger_unlink(name);
		snprintf(args, sizeof(args), "create %s --accounts 2 "
		    "--balance 100000000", name);
		cli(&o, NULL, args);
		ck_assert_msg(o.code == 0, "%s", o.text);
		free(o.text);
		snprintf(args, sizeof(args), "run %s --procs 2 --ops 5000 "
		    "--sync none --window 1", name);
		cli(&o, NULL, args);
		code = o.code;
		if (code == 1)
			ck_assert_ptr_nonnull(strstr(o.text, "lost updates"));
		free(o.text);
	}
	ledger_unlink(name);
	ck_assert_int_eq(code, 1);
}
END_TEST

/*
 * /dev/shm full at create: in a private mount namespace with a 1 MiB tmpfs
 * on /dev/shm (the real one is never touched), `banklab create` of 100000
 * accounts (6 MiB) exits 3 with one line naming the ledger and the
 * problem, at create time, not as a SIGBUS later.  Where mounting is not
 * allowed (not root, a sandbox) it says so on stderr and passes.  The
 * namespace is a check_fork() child's: its asserts count, and the test's
 * own process keeps the real /dev/shm.
 */
START_TEST(test_create_no_space)
{
	struct cli_out o;
	char name[64], args[256];
	pid_t pid;

	unique(name, sizeof(name), "nospace");
	fflush(NULL);
	pid = check_fork();
	ck_assert_int_ge(pid, 0);
	if (pid != 0)
		check_waitpid_and_exit(pid);
	if (unshare(CLONE_NEWNS) == -1 ||
	    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) == -1 ||
	    mount("banklab-test", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV,
	    "size=1m,mode=1777") == -1) {
		fprintf(stderr, "check_cli: create_no_space skipped: cannot "
		    "mount a private /dev/shm: %s\n", strerror(errno));
		ck_assert_int_eq(errno, EPERM);
		return;
	}
	snprintf(args, sizeof(args), "create %s --accounts 100000", name);
	cli(&o, NULL, args);
	ck_assert_msg(o.code == 3, "banklab %s: exit %d, said: %s", args,
	    o.code, o.text);
	ck_assert_msg(count_lines(o.text) == 1, "banklab %s: said %d lines: "
	    "%s", args, count_lines(o.text), o.text);
	ck_assert_msg(strstr(o.text, name) != NULL &&
	    strstr(o.text, "No space left on device") != NULL,
	    "banklab %s: \"%s\" does not name the ledger and the problem",
	    args, o.text);
	free(o.text);
}
END_TEST

/* A ledger's own variant is used unless --sync or BANKLAB_SYNC says not. */
START_TEST(test_sync_env)
{
	struct cli_out o;
	char name[64], args[256];

	unique(name, sizeof(name), "env");
	snprintf(args, sizeof(args), "create %s", name);
	cli(&o, "BANKLAB_SYNC=semaphore", args);
	ck_assert_msg(o.code == 0, "%s", o.text);
	ck_assert_ptr_nonnull(strstr(o.text, "variant semaphore"));
	free(o.text);
	snprintf(args, sizeof(args), "audit %s", name);
	cli(&o, "BANKLAB_SYNC=robust", args);
	ck_assert_msg(o.code == 0, "%s", o.text);
	ck_assert_ptr_nonnull(strstr(o.text, "(robust)"));
	free(o.text);
	ledger_unlink(name);
}
END_TEST

static Suite *
cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc;
	char pid[16];

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("CHECK_CLI_RUNNER", pid, 1);

	tc = tcase_create("bad_usage");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_bad_usage, 0,
	    (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_help_version);
	suite_add_tcase(s, tc);

	tc = tcase_create("ledger_by_name");
	tcase_add_unchecked_fixture(tc, NULL, cleanup);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_share_by_name);
	tcase_add_test(tc, test_sync_env);
	suite_add_tcase(s, tc);

	tc = tcase_create("no_space");
	tcase_add_unchecked_fixture(tc, NULL, cleanup);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_create_no_space);
	suite_add_tcase(s, tc);

	tc = tcase_create("run");
	tcase_add_unchecked_fixture(tc, NULL, cleanup);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_run_correct, 0, 2);
	tcase_add_test(tc, test_run_none_loses);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(cli_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
