/*
 * check_cli: the banklab tool as a user meets it.  Bad command lines exit 2
 * with one line naming the thing and the problem; ledgers are shared by
 * name between separate invocations; `run` reports what each variant does.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab.h"
#include "ledger.h"
#include "scenario.h"
#include "scenarios/cli.h"
#include "scenarios/lesson.h"
#include "sync.h"
#include "spawn.h"
#include "testlib.h"

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

	ck_assert_int_eq(spawn_worker_path(getenv("BANKLAB_WORKER"), prog,
	    sizeof(prog)), 0);
	snprintf(cmd, sizeof(cmd), "%s exec '%s' %s 2>&1", env ? env : "",
	    prog, args);
	spawn_init(&set);
	ck_assert_int_ge(spawn_start(&set, argv), 0);
	ck_assert_int_eq(spawn_wait(&set, 60000, NULL, NULL), 0);
	c = &set.child[0];
	o->code = tl_exit_code(c->status);
	o->text = strdup(c->out ? c->out : "");
	spawn_free(&set);
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
	    "nospace", "hostile", "hostile-target" };
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
	{ NULL, "worker x --die-step 12 --die-after 1", "--die-step" },
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
	ck_assert_msg(tl_count_lines(o.text) == 1, "banklab %s: said %d "
	    "lines: %s", bad[_i].args, tl_count_lines(o.text), o.text);
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
	ck_assert_msg(tl_count_lines(o.text) == 1, "banklab %s: said %d lines: "
	    "%s", args, tl_count_lines(o.text), o.text);
	ck_assert_msg(strstr(o.text, name) != NULL &&
	    strstr(o.text, "No space left on device") != NULL,
	    "banklab %s: \"%s\" does not name the ledger and the problem",
	    args, o.text);
	free(o.text);
}
END_TEST

/* A ledger's own variant is used unless --sync or BANKLAB_SYNC says not. */
/* ------------------------------------------------------ hostile segments */

/* Overwrite size bytes at off of /dev/shm/banklab-NAME. */
static void
poke(const char *path, off_t off, const void *v, size_t size)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, v, size, off), (ssize_t)size);
	close(fd);
}

static const uint64_t bad_u64 = 0x4141414141414141ULL;
static const uint32_t bad_u32 = 0x41414141u;

/* How each hostile object is made from a good one, and what is said. */
static const struct {
	const char *what;
	int kind;
	size_t off;
	const void *val;
	size_t len;
	int code;		/* the error the line must say */
} hostile[] = {
	{ "bad magic", 0, offsetof(struct ledger_header, magic), &bad_u64, 8,
	    LAB_EMAGIC },
	{ "another version", 0, offsetof(struct ledger_header, version),
	    &bad_u32, 4, LAB_EVERSION },
	{ "another layout", 0, offsetof(struct ledger_header, layout),
	    &bad_u32, 4, LAB_ELAYOUT },
	{ "a size unlike the header's", 0, offsetof(struct ledger_header,
	    size), &bad_u64, 8, LAB_ESIZE },
	{ "accounts out of range", 0, offsetof(struct ledger_header,
	    naccounts), &bad_u32, 4, LAB_ECORRUPT },
	{ "slots out of range", 0, offsetof(struct ledger_header, nslots),
	    &bad_u32, 4, LAB_ECORRUPT },
	{ "truncated", 1, 0, NULL, 0, 0 },
	{ "group-writable", 2, 0, NULL, 0, LAB_EMODE },
	{ "another owner", 3, 0, NULL, 0, LAB_EOWNER },
	{ "a symlink", 4, 0, NULL, 0, LAB_ESYMLINK },
};

/*
 * Attach refuses each hostile object with exit 3 and one line naming the
 * ledger and the problem, from `show` (an observer) and `worker` (which
 * joins): never a crash, never a SIGBUS.
 */
START_TEST(test_hostile_segment)
{
	static const char *const cmds[] = { "show", "worker", "audit" };
	char name[64], target[64], path[128], tpath[128], args[256];
	struct ledger_config cfg = { 0 };
	struct ledger l;
	struct cli_out o;
	size_t k;

	unique(name, sizeof(name), "hostile");
	unique(target, sizeof(target), "hostile-target");
	snprintf(path, sizeof(path), "/dev/shm" LEDGER_PREFIX "%s", name);
	snprintf(tpath, sizeof(tpath), "/dev/shm" LEDGER_PREFIX "%s", target);
	cfg.naccounts = 4;
	cfg.balance = 1000;
	cfg.sync = SYNC_ORDERED;
	ck_assert_int_eq(sync_create(hostile[_i].kind == 4 ? target : name,
	    &cfg, &l), 0);
	ledger_detach(&l);
	switch (hostile[_i].kind) {
	case 0:
		poke(path, (off_t)hostile[_i].off, hostile[_i].val,
		    hostile[_i].len);
		break;
	case 1:
		ck_assert_int_eq(truncate(path, 100), 0);
		break;
	case 2:
		ck_assert_int_eq(chmod(path, 0620), 0);
		break;
	case 3:
		if (geteuid() != 0) {
			fprintf(stderr, "check_cli: another owner: skipped "
			    "(chown needs root)\n");
			ledger_unlink(name);
			return;
		}
		ck_assert_int_eq(chown(path, 1, 1), 0);
		break;
	default:
		ck_assert_int_eq(symlink(tpath, path), 0);
		break;
	}
	for (k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++) {
		snprintf(args, sizeof(args), "%s %s", cmds[k], name);
		cli(&o, NULL, args);
		ck_assert_msg(o.code == 3, "%s: banklab %s: exit %d, said: %s",
		    hostile[_i].what, args, o.code, o.text);
		ck_assert_msg(tl_count_lines(o.text) == 1, "%s: banklab %s: %d "
		    "lines: %s", hostile[_i].what, args, tl_count_lines(o.text),
		    o.text);
		ck_assert_msg(strstr(o.text, name) != NULL, "%s: banklab %s: "
		    "\"%s\" does not name the ledger", hostile[_i].what, args,
		    o.text);
		ck_assert_msg(hostile[_i].code == 0 ||
		    strstr(o.text, lab_strerror(-hostile[_i].code)) != NULL,
		    "%s: banklab %s: \"%s\" does not say \"%s\"",
		    hostile[_i].what, args, o.text,
		    lab_strerror(-hostile[_i].code));
		free(o.text);
	}
	unlink(path);
	ledger_unlink(target);
}
END_TEST

/*
 * A program's own ledger is private; once its creator is dead it is
 * stale, and `destroy --stale` removes it and only it: never the user's
 * (banklab create), never a living program's.
 */
START_TEST(test_stale)
{
	struct ledger_config cfg = { .naccounts = 2, .balance = 100,
	    .sync = SYNC_ORDERED, .is_private = true };
	char mine[64], live[64], dead[64], args[256];
	struct ledger l, d, m;
	struct cli_out o;
	pid_t pid;

	unique(mine, sizeof(mine), "mine");
	unique(live, sizeof(live), "live");
	unique(dead, sizeof(dead), "dead");
	snprintf(args, sizeof(args), "create %s --accounts 2", mine);
	cli(&o, NULL, args);
	ck_assert_msg(o.code == 0, "%s", o.text);
	free(o.text);
	tl_assert_lab_eq(sync_create(live, &cfg, &l), 0);
	fflush(NULL);
	if ((pid = fork()) == 0)	/* makes one and dies, name and all */
		_exit(sync_create(dead, &cfg, &d) == 0 ? 0 : 3);
	ck_assert_int_eq(tl_wait_exit(pid), 0);

	cli(&o, NULL, "list");
	ck_assert_int_eq(o.code, 0);
	ck_assert_msg(strstr(strstr(o.text, dead), "stale") != NULL &&
	    strstr(strstr(o.text, live), "private") != NULL, "%s", o.text);
	free(o.text);
	cli(&o, NULL, "destroy --stale");
	ck_assert_msg(o.code == 0 && strstr(o.text, dead) != NULL &&
	    strstr(o.text, live) == NULL && strstr(o.text, mine) == NULL,
	    "%s", o.text);
	free(o.text);
	ck_assert_int_eq(sync_attach(dead, &d), -ENOENT);
	tl_assert_lab_eq(sync_attach(mine, &m), 0);
	ledger_detach(&m);
	cli(&o, NULL, "destroy --stale x");
	ck_assert_int_eq(o.code, 2);
	free(o.text);

	/* A flag this build does not know: the segment is refused. */
	l.hdr->flags = 2;
	snprintf(args, sizeof(args), "show %s", live);
	cli(&o, NULL, args);
	ck_assert_msg(o.code == 3 && tl_count_lines(o.text) == 1, "%s",
	    o.text);
	free(o.text);
	ledger_detach(&l);
	ledger_unlink(live);
	ledger_unlink(mine);
}
END_TEST

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

/* The programs' side (scenarios/cli.c): one convention for errors. */
START_TEST(test_cli_exit_codes)
{
	ck_assert_int_eq(cli_exit_code(0), LAB_EXIT_OK);
	ck_assert_int_eq(cli_exit_code(-CLI_EUSAGE), LAB_EXIT_USAGE);
	ck_assert_int_eq(cli_exit_code(-CLI_EHELP), LAB_EXIT_OK);
	ck_assert_int_eq(cli_exit_code(-CLI_EDONE), LAB_EXIT_OK);
	ck_assert_int_eq(cli_exit_code(-LAB_ESYNC), LAB_EXIT_USAGE);
	ck_assert_int_eq(cli_exit_code(-LAB_EDEADLK), LAB_EXIT_ANOMALY);
	ck_assert_int_eq(cli_exit_code(-ENOMEM), LAB_EXIT_SYSTEM);
}
END_TEST

/* A program's table: the common rows it takes, then its own. */
START_TEST(test_cli_common_table)
{
	static const struct option own[] = {
		{ "procs", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cli_prog p = { .name = "t", .common = CLI_SYNC |
	    CLI_JSON | CLI_HELP, .seed_max = 10 };
	struct option out[CLI_OPTIONS_MAX];
	struct cli_given g = { 0 };
	int64_t v;
	int n;

	cli_longopts(&p, own, NULL, out);
	for (n = 0; out[n].name != NULL; n++)
		ck_assert_str_ne(out[n].name, "seed");
	ck_assert_int_eq(n, 4);
	ck_assert_str_eq(out[0].name, "sync");
	ck_assert_str_eq(out[3].name, "procs");
	ck_assert(cli_is_common(&p, CLI_OPT_JSON));
	ck_assert(!cli_is_common(&p, CLI_OPT_SEED));
	ck_assert(!cli_is_common(&p, 'p'));
	ck_assert_int_eq(cli_common(&p, &g, CLI_OPT_SYNC, "ordered"), 0);
	ck_assert_str_eq(g.sync, "ordered");
	ck_assert_int_eq(cli_common(&p, &g, CLI_OPT_HELP, NULL), -CLI_EHELP);
	ck_assert_int_eq(cli_common(&p, &g, CLI_OPT_SEED, "11"), -CLI_EUSAGE);
	ck_assert_int_eq(cli_number("t", "--n", "7", 1, 9, &v), 0);
	ck_assert_int_eq(v, 7);
	ck_assert_int_eq(cli_number("t", "--n", "0", 1, 9, &v), -CLI_EUSAGE);
	ck_assert_int_eq(cli_number("t", "--n", "7x", 1, 9, &v), -CLI_EUSAGE);
}
END_TEST

/* A lesson's command line: 0 or a negative code, the table's defaults. */
START_TEST(test_lesson_parse)
{
	char *help[] = { lab_unconst("banklab-race"), lab_unconst("-h"),
	    NULL };
	char *few[] = { lab_unconst("banklab-stale"),
	    lab_unconst("--procs"), lab_unconst("1"), NULL };
	char *ok[] = { lab_unconst("/x/banklab-crash"),
	    lab_unconst("--kills"), lab_unconst("2"), NULL };
	struct scenario_opts o;
	int k;

	unsetenv("BANKLAB_SYNC");
	ck_assert_int_eq(lesson_parse(SCENARIO_RACE, 2, help, &o),
	    -CLI_EDONE);
	ck_assert_int_eq(lesson_parse(SCENARIO_STALE, 3, few, &o),
	    -CLI_EUSAGE);
	ck_assert_int_eq(lesson_parse(SCENARIO_CRASH, 3, ok, &o), 0);
	ck_assert_str_eq(o.prog, "banklab-crash");
	ck_assert_int_eq(o.kills, 2);
	ck_assert_int_eq(o.sync, scenario_buggy(SCENARIO_CRASH));
	ck_assert_int_eq(o.procs, scenario_lesson(SCENARIO_CRASH)->procs);
	/* Every lesson says something for every outcome. */
	for (k = 0; k < SCENARIO_COUNT; k++) {
		const struct lesson *in = scenario_lesson(k);
		const struct lesson_why *w = in->why;

		ck_assert_ptr_nonnull(in->schedule);
		ck_assert_int_ne(in->buggy, in->fixed);
		while (w[1].text != NULL)
			w++;
		ck_assert_int_eq(w->when, 0);
		ck_assert_int_eq(w->sync, -1);
	}
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

	tc = tcase_create("common_options");
	tcase_add_test(tc, test_cli_exit_codes);
	tcase_add_test(tc, test_cli_common_table);
	tcase_add_test(tc, test_lesson_parse);
	suite_add_tcase(s, tc);

	tc = tcase_create("ledger_by_name");
	tcase_add_unchecked_fixture(tc, NULL, cleanup);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_share_by_name);
	tcase_add_test(tc, test_sync_env);
	tcase_add_test(tc, test_stale);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile_segment");
	tcase_add_unchecked_fixture(tc, NULL, cleanup);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_hostile_segment, 0,
	    sizeof(hostile) / sizeof(hostile[0]));
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
