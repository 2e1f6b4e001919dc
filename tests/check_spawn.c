/*
 * check_spawn: tests of lab/spawn.c against the contract in spawn.h.
 *
 * The children are ordinary programs (/bin/sh, /bin/echo, /bin/sleep ...),
 * so these tests need no banklab program.  Every test that waits on a
 * child has a timeout; timings are asserted with wide margins because CI
 * machines are slow, but tight enough to catch a wait that runs to its
 * deadline instead of ending when the children do.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"
#include "spawn.h"
#include "step.h"
#include "testlib.h"
#include "worker_argv.h"

#include "scenarios/cli_worker.h"

static int
start_sh(struct spawn_set *set, const char *script)
{
	char *argv[] = { "/bin/sh", "-c", lab_unconst(script), NULL };

	return spawn_start(set, argv);
}

/*
 * Send our stderr to a fresh temporary file; returns the saved stderr.
 * Each test runs in its own forked process, so this touches no other test.
 */
static int
stderr_to_file(int *file)
{
	char path[] = "/tmp/check_spawn.XXXXXX";
	int saved;

	fflush(stderr);
	*file = mkstemp(path);
	ck_assert_int_ge(*file, 0);
	ck_assert_int_eq(unlink(path), 0);
	saved = dup(STDERR_FILENO);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_eq(dup2(*file, STDERR_FILENO), STDERR_FILENO);
	return saved;
}

/* Put stderr back and return what went to the file (static buffer). */
static const char *
stderr_restore(int saved, int file)
{
	static char text[4096];
	ssize_t n;

	fflush(stderr);
	ck_assert_int_eq(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	n = pread(file, text, sizeof(text) - 1, 0);
	ck_assert_int_ge(n, 0);
	text[n] = '\0';
	close(file);
	return text;
}

/* ------------------------------------------------------------ output */

START_TEST(test_echo_output)
{
	struct spawn_set set;
	char how[64];
	struct spawn_child *c;

	spawn_init(&set);
	ck_assert_int_eq(spawn_start(&set,
	    (char *[]){ "/bin/echo", "hello", NULL }), 0);
	ck_assert_str_eq(spawn_describe(&set.child[0], how, sizeof(how)),
	    "running");
	ck_assert_str_eq(set.child[0].out, "");
	ck_assert_int_eq(spawn_wait(&set, 5000, NULL, NULL), 0);
	c = &set.child[0];
	ck_assert_str_eq(c->out, "hello\n");
	ck_assert_uint_eq(c->len, 6);
	ck_assert_int_eq(c->fd, -1);
	ck_assert_int_eq(c->is_reaped, true);
	ck_assert_int_eq(c->was_killed, false);
	ck_assert_str_eq(spawn_describe(c, how, sizeof(how)), "exited 0");
	spawn_free(&set);
}
END_TEST

START_TEST(test_indices_and_empty_set)
{
	struct spawn_set set;

	spawn_init(&set);
	/* Nothing to wait for: at once, whatever the timeout. */
	ck_assert_int_eq(spawn_wait(&set, 60000, NULL, NULL), 0);
	ck_assert_int_eq(spawn_start(&set, (char *[]){ "/bin/true", NULL }),
	    0);
	ck_assert_int_eq(spawn_start(&set, (char *[]){ "/bin/true", NULL }),
	    1);
	ck_assert_int_eq(spawn_start(&set, (char *[]){ NULL }), -EINVAL);
	ck_assert_uint_eq(set.n, 2);
	ck_assert_int_eq(spawn_wait(&set, 5000, NULL, NULL), 0);
	spawn_free(&set);
}
END_TEST

START_TEST(test_stdin_is_dev_null)
{
	struct spawn_set set;
	char how[64];

	spawn_init(&set);
	/* cat would hang on an inherited terminal or pipe. */
	ck_assert_int_eq(spawn_start(&set, (char *[]){ "/bin/cat", NULL }),
	    0);
	ck_assert_int_eq(spawn_start(&set,
	    (char *[]){ "/bin/readlink", "/proc/self/fd/0", NULL }), 1);
	ck_assert_int_eq(spawn_wait(&set, 5000, NULL, NULL), 0);
	ck_assert_str_eq(set.child[0].out, "");
	ck_assert_str_eq(spawn_describe(&set.child[0], how, sizeof(how)),
	    "exited 0");
	ck_assert_str_eq(set.child[1].out, "/dev/null\n");
	spawn_free(&set);
}
END_TEST

START_TEST(test_stderr_inherited)
{
	struct spawn_set set;
	int file, saved;

	spawn_init(&set);
	saved = stderr_to_file(&file);
	ck_assert_int_eq(start_sh(&set, "echo to-err >&2; echo to-out"), 0);
	ck_assert_int_eq(spawn_wait(&set, 5000, NULL, NULL), 0);
	ck_assert_str_eq(stderr_restore(saved, file), "to-err\n");
	ck_assert_str_eq(set.child[0].out, "to-out\n");
	spawn_free(&set);
}
END_TEST

/* A tick that ends the wait once child *arg is reaped. */
static int
until_reaped(struct spawn_set *set, void *arg)
{
	const unsigned *i = arg;

	return set->child[*i].is_reaped ? 1 : 0;
}

/* Our read ends are close-on-exec: a child must not hold a sibling's. */
START_TEST(test_no_fd_leak)
{
	struct spawn_set set;
	char script[128];
	unsigned probe = 1;

	spawn_init(&set);
	ck_assert_int_eq(spawn_start(&set,
	    (char *[]){ "/bin/sleep", "10", NULL }), 0);
	ck_assert_int_gt(set.child[0].fd, STDERR_FILENO);
	/* test(1) is built in: /proc/$$ is the shell, which opens nothing. */
	snprintf(script, sizeof(script),
	    "if test -e /proc/$$/fd/%d; then echo leaked; else echo clean; fi",
	    set.child[0].fd);
	ck_assert_int_eq(start_sh(&set, script), 1);
	/* Wait for the probe alone, not for the sleep. */
	ck_assert_int_eq(spawn_wait(&set, 5000, until_reaped, &probe), 1);
	ck_assert_str_eq(set.child[1].out, "clean\n");
	spawn_free(&set);
}
END_TEST

/* Started with stdin and stdout closed, the fds we get may be 0 and 1. */
START_TEST(test_stdio_closed)
{
	struct spawn_set set;

	close(STDIN_FILENO);
	close(STDOUT_FILENO);
	spawn_init(&set);
	ck_assert_int_eq(spawn_start(&set,
	    (char *[]){ "/bin/readlink", "/proc/self/fd/0", NULL }), 0);
	/* The shell's own fd 1, not that of readlink (its pipe to cut). */
	ck_assert_int_eq(start_sh(&set,
	    "readlink /proc/$$/fd/1 | cut -c1-5; echo ok"), 1);
	ck_assert_int_eq(spawn_wait(&set, 5000, NULL, NULL), 0);
	ck_assert_str_eq(set.child[0].out, "/dev/null\n");
	ck_assert_str_eq(set.child[1].out, "pipe:\nok\n");
	spawn_free(&set);
}
END_TEST

/* ------------------------------------------------------------ status */

START_TEST(test_exit_code)
{
	struct spawn_set set;
	char how[64];

	spawn_init(&set);
	ck_assert_int_eq(start_sh(&set, "exit 3"), 0);
	ck_assert_int_eq(spawn_wait(&set, 5000, NULL, NULL), 0);
	ck_assert_int_ne(WIFEXITED(set.child[0].status), 0);
	ck_assert_int_eq(WEXITSTATUS(set.child[0].status), 3);
	ck_assert_str_eq(spawn_describe(&set.child[0], how, sizeof(how)),
	    "exited 3");
	spawn_free(&set);
}
END_TEST

START_TEST(test_killed_by_signal)
{
	struct spawn_set set;
	char how[64];

	spawn_init(&set);
	/* The shell signals itself. */
	ck_assert_int_eq(start_sh(&set, "kill -KILL $$"), 0);
	ck_assert_int_eq(start_sh(&set, "kill -TERM $$"), 1);
	ck_assert_int_eq(spawn_wait(&set, 5000, NULL, NULL), 0);
	ck_assert_str_eq(spawn_describe(&set.child[0], how, sizeof(how)),
	    "killed by SIGKILL");
	ck_assert_int_eq(set.child[0].was_killed, false);	/* not by us */
	ck_assert_str_eq(spawn_describe(&set.child[1], how, sizeof(how)),
	    "killed by SIGTERM");
	spawn_free(&set);
}
END_TEST

/* A tick that ends the wait once child *arg has printed something. */
static int
until_output(struct spawn_set *set, void *arg)
{
	const unsigned *i = arg;

	return set->child[*i].len > 0 ? 1 : 0;
}

START_TEST(test_spawn_kill)
{
	struct spawn_set set;
	char how[64];
	unsigned first = 0;

	spawn_init(&set);
	/* "up" says it runs the script: past fork and exec. */
	ck_assert_int_eq(start_sh(&set, "echo up; exec sleep 10"), 0);
	ck_assert_int_eq(spawn_wait(&set, 5000, until_output, &first), 1);
	/* Only SIGKILL counts as "killed by us". */
	spawn_kill(&set, SIGTERM);
	ck_assert_int_eq(set.child[0].was_killed, false);
	ck_assert_int_eq(spawn_wait(&set, 5000, NULL, NULL), 0);
	ck_assert_str_eq(spawn_describe(&set.child[0], how, sizeof(how)),
	    "killed by SIGTERM");
	ck_assert_int_eq(set.child[0].was_killed, false);
	ck_assert_int_eq(spawn_start(&set,
	    (char *[]){ "/bin/sleep", "10", NULL }), 1);
	spawn_kill(&set, SIGKILL);
	ck_assert_int_eq(set.child[1].was_killed, true);
	/* Already reaped: left alone. */
	ck_assert_int_eq(set.child[0].was_killed, false);
	ck_assert_int_eq(spawn_wait(&set, 5000, NULL, NULL), 0);
	ck_assert_str_eq(spawn_describe(&set.child[1], how, sizeof(how)),
	    "killed by SIGKILL");
	spawn_free(&set);
}
END_TEST

/*
 * A signal sent at once may reach the child between fork() and exec, while
 * it still has our handlers: Check's SIGTERM handler would kill this whole
 * test's process group.  The child must die of the signal, alone.
 * Valgrind drops a signal that arrives around execve() (the exec'd program
 * has it neither pending nor blocked), so this cannot pass under valgrind.
 */
START_TEST(test_signal_before_exec)
{
	struct spawn_set set;
	const char *preload = getenv("LD_PRELOAD");
	char how[64];
	int i;

	if (preload != NULL && strstr(preload, "vgpreload") != NULL) {
		fprintf(stderr, "check_spawn: under valgrind, "
		    "test_signal_before_exec skipped\n");
		return;
	}
	for (i = 0; i < 20; i++) {
		spawn_init(&set);
		ck_assert_int_eq(spawn_start(&set,
		    (char *[]){ "/bin/sleep", "10", NULL }), 0);
		spawn_kill(&set, SIGTERM);
		ck_assert_int_eq(spawn_wait(&set, 5000, NULL, NULL), 0);
		ck_assert_str_eq(spawn_describe(&set.child[0], how,
		    sizeof(how)), "killed by SIGTERM");
		spawn_free(&set);
	}
}
END_TEST

START_TEST(test_describe)
{
	struct spawn_child c;
	char how[64], tiny[4];

	memset(&c, 0, sizeof(c));
	ck_assert_str_eq(spawn_describe(&c, how, sizeof(how)), "running");
	c.is_reaped = true;
	c.status = 5 << 8;		/* what waitpid() gives for exit(5) */
	ck_assert_str_eq(spawn_describe(&c, how, sizeof(how)), "exited 5");
	ck_assert_str_eq(spawn_describe(&c, tiny, sizeof(tiny)), "exi");
	ck_assert_str_eq(spawn_describe(&c, tiny, 0), "");
	c.status = SIGSEGV;		/* killed by SIGSEGV, no core */
	ck_assert_str_eq(spawn_describe(&c, how, sizeof(how)),
	    "killed by SIGSEGV");
	c.status = SIGABRT | 0x80;	/* ... with a core dump */
	ck_assert_str_eq(spawn_describe(&c, how, sizeof(how)),
	    "killed by SIGABRT (core dumped)");
}
END_TEST

/* ------------------------------------------------------------ large */

START_TEST(test_large_output_capped)
{
	struct spawn_set set;
	struct spawn_child *c;
	char how[64];
	double t0 = lab_now_s();

	spawn_init(&set);
	ck_assert_int_eq(start_sh(&set,
	    "head -c 3000000 /dev/zero | tr '\\0' x"), 0);
	ck_assert_int_eq(start_sh(&set, "head -c 3000000 /dev/zero"), 1);
	ck_assert_int_eq(spawn_wait(&set, 20000, NULL, NULL), 0);
	ck_assert_double_lt(lab_now_s() - t0, 10.0);
	c = &set.child[0];
	/* Exited 0: it was drained to the end, not killed or blocked. */
	ck_assert_str_eq(spawn_describe(c, how, sizeof(how)), "exited 0");
	ck_assert_uint_eq(c->len, SPAWN_OUT_MAX);
	ck_assert_uint_eq(strlen(c->out), SPAWN_OUT_MAX);
	ck_assert_int_eq(c->out[0], 'x');
	ck_assert_int_eq(c->out[c->len - 1], 'x');
	ck_assert_uint_le(c->len + 1, c->cap);
	c = &set.child[1];
	ck_assert_str_eq(spawn_describe(c, how, sizeof(how)), "exited 0");
	ck_assert_uint_eq(c->len, SPAWN_OUT_MAX);
	spawn_free(&set);
}
END_TEST

START_TEST(test_exact_size_kept)
{
	struct spawn_set set;

	spawn_init(&set);
	/* Larger than a pipe holds, smaller than the cap: kept whole. */
	ck_assert_int_eq(start_sh(&set,
	    "head -c 200001 /dev/zero | tr '\\0' y"), 0);
	ck_assert_int_eq(spawn_wait(&set, 10000, NULL, NULL), 0);
	ck_assert_uint_eq(set.child[0].len, 200001);
	ck_assert_uint_eq(strlen(set.child[0].out), 200001);
	spawn_free(&set);
}
END_TEST

/* ------------------------------------------------------------ timeout */

START_TEST(test_timeout_kills)
{
	struct spawn_set set;
	struct spawn_child *c;
	char how[64];
	double t0, dt;

	spawn_init(&set);
	ck_assert_int_eq(spawn_start(&set,
	    (char *[]){ "/bin/sleep", "10", NULL }), 0);
	ck_assert_int_eq(start_sh(&set, "echo before; exec sleep 10"), 1);
	ck_assert_int_eq(spawn_start(&set,
	    (char *[]){ "/bin/echo", "quick", NULL }), 2);
	t0 = lab_now_s();
	ck_assert_int_eq(spawn_wait(&set, 200, NULL, NULL), -ETIMEDOUT);
	dt = lab_now_s() - t0;
	ck_assert_double_ge(dt, 0.19);
	ck_assert_double_lt(dt, 2.0);
	c = &set.child[0];
	ck_assert_int_eq(c->was_killed, true);
	ck_assert_int_eq(c->is_reaped, true);
	ck_assert_int_eq(c->fd, -1);
	ck_assert_str_eq(spawn_describe(c, how, sizeof(how)),
	    "killed by SIGKILL");
	/* What it said before the deadline is kept. */
	ck_assert_int_eq(set.child[1].was_killed, true);
	ck_assert_str_eq(set.child[1].out, "before\n");
	/* One that finished in time is not touched. */
	c = &set.child[2];
	ck_assert_int_eq(c->was_killed, false);
	ck_assert_str_eq(c->out, "quick\n");
	ck_assert_str_eq(spawn_describe(c, how, sizeof(how)), "exited 0");
	spawn_free(&set);
}
END_TEST

START_TEST(test_timeout_zero)
{
	struct spawn_set set;

	spawn_init(&set);
	ck_assert_int_eq(spawn_start(&set,
	    (char *[]){ "/bin/sleep", "10", NULL }), 0);
	/* 0 ms is a deadline that has passed, not "no deadline". */
	ck_assert_int_eq(spawn_wait(&set, 0, NULL, NULL), -ETIMEDOUT);
	ck_assert_int_eq(set.child[0].was_killed, true);
	ck_assert_int_eq(set.child[0].is_reaped, true);
	spawn_free(&set);
}
END_TEST

/* A child that closes its stdout early is still waited for, to its exit. */
START_TEST(test_stdout_closed_early)
{
	struct spawn_set set;
	char how[64];
	double t0 = lab_now_s();

	spawn_init(&set);
	ck_assert_int_eq(start_sh(&set, "echo bye; exec >&-; sleep 0.3"), 0);
	ck_assert_int_eq(spawn_wait(&set, 5000, NULL, NULL), 0);
	ck_assert_double_ge(lab_now_s() - t0, 0.25);
	ck_assert_str_eq(set.child[0].out, "bye\n");
	ck_assert_str_eq(spawn_describe(&set.child[0], how, sizeof(how)),
	    "exited 0");
	spawn_free(&set);
}
END_TEST

static void
on_alarm(int sig)
{
	(void)sig;
}

/* Signals without SA_RESTART interrupt poll() and read(): keep waiting. */
START_TEST(test_eintr)
{
	struct spawn_set set;
	struct sigaction sa;
	struct itimerval it = { { 0, 3000 }, { 0, 3000 } };
	char how[64];

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGALRM, &sa, NULL), 0);
	spawn_init(&set);
	ck_assert_int_eq(start_sh(&set,
	    "sleep 0.3; head -c 500000 /dev/zero"), 0);
	ck_assert_int_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
	ck_assert_int_eq(spawn_wait(&set, 10000, NULL, NULL), 0);
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	ck_assert_str_eq(spawn_describe(&set.child[0], how, sizeof(how)),
	    "exited 0");
	ck_assert_uint_eq(set.child[0].len, 500000);
	spawn_free(&set);
}
END_TEST

/* ------------------------------------------------------------ grandchild */

/* The grandchild's pid, printed by the script as its only line. */
static pid_t
grandchild_pid(const struct spawn_child *c)
{
	long pid = strtol(c->out, NULL, 10);

	ck_assert_int_gt(pid, 1);
	return (pid_t)pid;
}

/*
 * The shell exits at once, but the background sleep inherited the pipe and
 * keeps it open for 5 s: we must not wait for its EOF, only for the shell.
 */
START_TEST(test_grandchild_holds_pipe)
{
	struct spawn_set set;
	char how[64];
	double t0, dt;

	spawn_init(&set);
	ck_assert_int_eq(start_sh(&set, "sleep 5 & echo $!"), 0);
	t0 = lab_now_s();
	ck_assert_int_eq(spawn_wait(&set, 8000, NULL, NULL), 0);
	dt = lab_now_s() - t0;
	kill(grandchild_pid(&set.child[0]), SIGKILL);
	ck_assert_double_lt(dt, 1.0);
	ck_assert_str_eq(spawn_describe(&set.child[0], how, sizeof(how)),
	    "exited 0");
	ck_assert_int_eq(set.child[0].was_killed, false);
	ck_assert_int_eq(set.child[0].fd, -1);
	spawn_free(&set);
}
END_TEST

/* The same at the deadline: kill the child, do not wait for the pipe. */
START_TEST(test_grandchild_at_deadline)
{
	struct spawn_set set;
	double t0, dt;

	spawn_init(&set);
	ck_assert_int_eq(start_sh(&set, "sleep 5 & echo $!; exec sleep 10"),
	    0);
	t0 = lab_now_s();
	ck_assert_int_eq(spawn_wait(&set, 200, NULL, NULL), -ETIMEDOUT);
	dt = lab_now_s() - t0;
	kill(grandchild_pid(&set.child[0]), SIGKILL);
	ck_assert_double_lt(dt, 2.0);
	ck_assert_int_eq(set.child[0].was_killed, true);
	ck_assert_int_eq(set.child[0].fd, -1);
	spawn_free(&set);
}
END_TEST

/* ------------------------------------------------------------ exec */

START_TEST(test_exec_failure)
{
	struct spawn_set set;

	/*
	 * A program that cannot be run is spawn_start()'s error, for the
	 * caller to say: no child, nothing printed by the library.
	 */
	spawn_init(&set);
	tl_assert_lab_eq(spawn_start(&set,
	    (char *[]){ "/nonexistent/banklab-x", NULL }), -ENOENT);
	tl_assert_lab_eq(spawn_start(&set, (char *[]){ "/", NULL }), -EACCES);
	ck_assert_uint_eq(set.n, 0);
	/* The set is still usable. */
	ck_assert_int_eq(spawn_start(&set, (char *[]){ "/bin/true", NULL }),
	    0);
	ck_assert_int_eq(spawn_wait(&set, 5000, NULL, NULL), 0);
	spawn_free(&set);
}
END_TEST

/* ------------------------------------------------------------ tick */

struct tick_count {
	unsigned calls;
	unsigned stop_at;	/* return 42 on this call; 0: never */
	struct spawn_set *set;
	double first, last;
};

static int
count_tick(struct spawn_set *set, void *arg)
{
	struct tick_count *t = arg;

	ck_assert_ptr_eq(set, t->set);
	if (t->calls++ == 0)
		t->first = lab_now_s();
	t->last = lab_now_s();
	return t->calls == t->stop_at ? 42 : 0;
}

START_TEST(test_tick_stops_wait)
{
	struct spawn_set set;
	struct tick_count t = { 0, 5, &set, 0, 0 };
	char how[64];
	double t0, dt;

	spawn_init(&set);
	ck_assert_int_eq(spawn_start(&set,
	    (char *[]){ "/bin/sleep", "10", NULL }), 0);
	t0 = lab_now_s();
	ck_assert_int_eq(spawn_wait(&set, 5000, count_tick, &t), 42);
	dt = lab_now_s() - t0;
	ck_assert_uint_eq(t.calls, 5);
	/* About 20 ms apart: 5 calls take about 100 ms. */
	ck_assert_double_ge(dt, 0.08);
	ck_assert_double_lt(dt, 1.0);
	/* The caller decides: nobody was killed. */
	ck_assert_int_eq(set.child[0].is_reaped, false);
	ck_assert_int_eq(set.child[0].was_killed, false);
	ck_assert_int_ge(set.child[0].fd, 0);
	ck_assert_str_eq(spawn_describe(&set.child[0], how, sizeof(how)),
	    "running");
	spawn_kill(&set, SIGKILL);
	ck_assert_int_eq(spawn_wait(&set, 5000, NULL, NULL), 0);
	ck_assert_str_eq(spawn_describe(&set.child[0], how, sizeof(how)),
	    "killed by SIGKILL");
	spawn_free(&set);
}
END_TEST

START_TEST(test_tick_period)
{
	struct spawn_set set;
	struct tick_count t = { 0, 0, &set, 0, 0 };

	spawn_init(&set);
	/* Plenty of output, so rounds come much faster than ticks. */
	ck_assert_int_eq(start_sh(&set,
	    "while :; do echo xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; done"), 0);
	ck_assert_int_eq(spawn_wait(&set, 300, count_tick, &t), -ETIMEDOUT);
	ck_assert_uint_ge(t.calls, 3);
	ck_assert_uint_le(t.calls, 16);
	ck_assert_uint_eq(set.child[0].len, SPAWN_OUT_MAX);
	spawn_free(&set);
}
END_TEST

static int
start_from_tick(struct spawn_set *set, void *arg)
{
	unsigned *calls = arg;
	int i;

	/* Starting more children inside tick moves set->child. */
	if ((*calls)++ == 0)
		for (i = 0; i < 20; i++)
			ck_assert_int_ge(spawn_start(set,
			    (char *[]){ "/bin/echo", "late", NULL }), 0);
	return 0;
}

START_TEST(test_tick_starts_children)
{
	struct spawn_set set;
	unsigned calls = 0, i;

	spawn_init(&set);
	ck_assert_int_eq(start_sh(&set, "sleep 0.2; echo first"), 0);
	ck_assert_int_eq(spawn_wait(&set, 5000, start_from_tick, &calls), 0);
	ck_assert_uint_eq(set.n, 21);
	ck_assert_str_eq(set.child[0].out, "first\n");
	for (i = 1; i < set.n; i++) {
		ck_assert_int_eq(set.child[i].is_reaped, true);
		ck_assert_str_eq(set.child[i].out, "late\n");
	}
	spawn_free(&set);
}
END_TEST

/* ------------------------------------------------------------ free */

START_TEST(test_free_reaps)
{
	struct spawn_set set;
	pid_t pid[4];
	int i, st;

	spawn_init(&set);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(spawn_start(&set,
		    (char *[]){ "/bin/sleep", "10", NULL }), i);
		pid[i] = set.child[i].pid;
	}
	ck_assert_int_eq(spawn_start(&set, (char *[]){ "/bin/true", NULL }),
	    3);
	pid[3] = set.child[3].pid;
	spawn_free(&set);
	ck_assert_ptr_null(set.child);
	ck_assert_uint_eq(set.n, 0);
	for (i = 0; i < 4; i++) {
		errno = 0;
		ck_assert_int_eq(waitpid(pid[i], &st, WNOHANG), -1);
		ck_assert_int_eq(errno, ECHILD);
	}
	/* Freeing twice, or an empty set, is harmless. */
	spawn_free(&set);
}
END_TEST

START_TEST(test_free_after_tick_stop)
{
	struct spawn_set set;
	struct tick_count t = { 0, 1, &set, 0, 0 };
	pid_t pid;
	int st;

	spawn_init(&set);
	ck_assert_int_eq(spawn_start(&set,
	    (char *[]){ "/bin/sleep", "10", NULL }), 0);
	pid = set.child[0].pid;
	ck_assert_int_eq(spawn_wait(&set, 5000, count_tick, &t), 42);
	spawn_free(&set);
	errno = 0;
	ck_assert_int_eq(waitpid(pid, &st, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
}
END_TEST

/* ------------------------------------------------------------ many */

START_TEST(test_many_children)
{
	struct spawn_set set;
	char num[64][16], want[32], how[64];
	unsigned i;

	spawn_init(&set);
	for (i = 0; i < 64; i++) {
		snprintf(num[i], sizeof(num[i]), "%u", i);
		ck_assert_int_eq(spawn_start(&set,
		    (char *[]){ "/bin/echo", num[i], NULL }), (int)i);
	}
	ck_assert_int_eq(spawn_wait(&set, 20000, NULL, NULL), 0);
	for (i = 0; i < 64; i++) {
		snprintf(want, sizeof(want), "%u\n", i);
		ck_assert_str_eq(set.child[i].out, want);
		ck_assert_str_eq(spawn_describe(&set.child[i], how,
		    sizeof(how)), "exited 0");
	}
	spawn_free(&set);
}
END_TEST

START_TEST(test_many_large_outputs)
{
	struct spawn_set set;
	unsigned i;

	spawn_init(&set);
	/* Each fills its pipe many times over: all must be read in turn. */
	for (i = 0; i < 16; i++)
		ck_assert_int_eq(start_sh(&set,
		    "head -c 300000 /dev/zero | tr '\\0' z"), (int)i);
	ck_assert_int_eq(spawn_wait(&set, 20000, NULL, NULL), 0);
	for (i = 0; i < 16; i++) {
		ck_assert_uint_eq(set.child[i].len, 300000);
		ck_assert_int_eq(WEXITSTATUS(set.child[i].status), 0);
	}
	spawn_free(&set);
}
END_TEST

/* ------------------------------------------------------------ worker path */

START_TEST(test_worker_path_env)
{
	char buf[4096], tiny[4];

	/* What the program was told ($BANKLAB_WORKER) wins. */
	ck_assert_int_eq(spawn_worker_path("/opt/x/banklab", buf,
	    sizeof(buf)), 0);
	ck_assert_str_eq(buf, "/opt/x/banklab");
	/* Too long for buf: refused, never a cut or an unfilled path. */
	memcpy(tiny, "abc", 4);
	tl_assert_lab_eq(spawn_worker_path("/opt/x/banklab", tiny,
	    sizeof(tiny)), -ENAMETOOLONG);
}
END_TEST

START_TEST(test_worker_path_search)
{
	char self[4096], want[4096 + 16], buf[4096], none[4096], *slash;
	ssize_t n;
	int r;

	/* Not told: banklab beside this program, else a system directory. */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	ck_assert_int_gt(n, 0);
	self[n] = '\0';
	slash = strrchr(self, '/');
	ck_assert_ptr_nonnull(slash);
	*slash = '\0';
	snprintf(want, sizeof(want), "%s/banklab", self);
	r = spawn_worker_path(NULL, buf, sizeof(buf));
	if (access(want, X_OK) == 0) {
		ck_assert_int_eq(r, 0);
		ck_assert_str_eq(buf, want);
	} else if (r == 0) {
		ck_assert_msg(strncmp(buf, "/usr/", 5) == 0 ||
		    strncmp(buf, "/bin/", 5) == 0, "found %s", buf);
		ck_assert_int_eq(access(buf, X_OK), 0);
	} else {
		tl_assert_lab_eq(r, -ENOENT);
	}
	/* An empty name is no name; and the environment is not read. */
	ck_assert_int_eq(setenv("BANKLAB_WORKER", "/opt/y/banklab", 1), 0);
	ck_assert_int_eq(spawn_worker_path("", none, sizeof(none)), r);
	if (r == 0)
		ck_assert_str_eq(none, buf);
	unsetenv("BANKLAB_WORKER");
}
END_TEST

/* A descriptor handed down stays open in the child under its number; any
 * other of ours (all O_CLOEXEC) does not. */
START_TEST(test_keep_fd)
{
	char tmpl[] = "/tmp/check_spawn.XXXXXX", cmd[64];
	struct spawn_set set;
	int fd;

	fd = mkostemp(tmpl, O_CLOEXEC);
	ck_assert_int_ge(fd, 3);
	unlink(tmpl);
	ck_assert_int_eq(write(fd, "kept\n", 5), 5);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	snprintf(cmd, sizeof(cmd), "cat <&%d 2>/dev/null || echo closed", fd);
	spawn_init(&set);
	ck_assert_int_eq(spawn_start_fd(&set,
	    (char *[]){ "/bin/sh", "-c", cmd, NULL }, fd), 0);
	ck_assert_int_eq(spawn_wait(&set, 5000, NULL, NULL), 0);
	ck_assert_str_eq(set.child[0].out, "kept\n");
	ck_assert_int_eq(spawn_start(&set,
	    (char *[]){ "/bin/sh", "-c", cmd, NULL }), 1);
	ck_assert_int_eq(spawn_wait(&set, 5000, NULL, NULL), 0);
	ck_assert_str_eq(set.child[1].out, "closed\n");
	/* Still close-on-exec here: only that one child had it. */
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	spawn_free(&set);
	close(fd);
}
END_TEST

/* ------------------------------------------------------------ worker argv */

/* A spec with random options given, every value in every option's range. */
static void
random_spec(uint64_t *rng, struct worker_spec *s)
{
	static const char *const scripts[] = {
		"transfer 0 1 100", "deposit 0 5; audit", "balance 3",
	};
	int64_t *nums[] = { &s->parent, &s->ops, &s->seed, &s->max_amount,
	    &s->gate, &s->gate_count, &s->window, &s->lock_timeout, &s->from,
	    &s->to, &s->die_step, &s->die_after, &s->until_ops,
	    &s->ledger_fd };
	size_t i;

	worker_spec_init(s);
	s->ledger = "rt-ledger";
	s->given = (unsigned)lab_rand(rng) & (WORKER_ARG(WORKER_ARG_COUNT) - 1);
	/* 3..10 is inside every number's range. */
	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		*nums[i] = 3 + (int64_t)(lab_rand(rng) % 8);
	s->sync = (enum sync_kind)(lab_rand(rng) % SYNC_COUNT);
	s->mix = (enum worker_mix)(lab_rand(rng) % WORKER_MIX_COUNT);
	s->script = scripts[lab_rand(rng) % 3];
	s->trace_dir = "/tmp/rt-trace";
	s->role = "p1";
}

/* Only what the spec gives counts: the rest is the parser's default. */
static void
assert_same_spec(const struct worker_spec *a, const struct worker_spec *b)
{
	struct worker_config wa, wb;

	ck_assert_uint_eq(a->given, b->given);
	ck_assert_str_eq(a->ledger, b->ledger);
#define SAME(bit, f) if (a->given & WORKER_ARG(bit)) \
	ck_assert_int_eq((int64_t)a->f, (int64_t)b->f)
	SAME(WORKER_ARG_PARENT, parent);
	SAME(WORKER_ARG_SYNC, sync);
	SAME(WORKER_ARG_MIX, mix);
	SAME(WORKER_ARG_WINDOW, window);
	SAME(WORKER_ARG_LOCK_TIMEOUT, lock_timeout);
	SAME(WORKER_ARG_LEDGER_FD, ledger_fd);
#undef SAME
	if (a->given & WORKER_ARG(WORKER_ARG_SCRIPT))
		ck_assert_str_eq(a->script, b->script);
	if (a->given & WORKER_ARG(WORKER_ARG_TRACE_DIR))
		ck_assert_str_eq(a->trace_dir, b->trace_dir);
	if (a->given & WORKER_ARG(WORKER_ARG_ROLE))
		ck_assert_str_eq(a->role, b->role);
	worker_spec_config(a, &wa);
	worker_spec_config(b, &wb);
	ck_assert_mem_eq(&wa, &wb, sizeof(wa));
}

START_TEST(test_worker_argv_round_trip)
{
	struct worker_argv av;
	struct worker_spec s, back;
	uint64_t rng = 42;
	int i, bad;

	for (i = 0; i < 2000; i++) {
		random_spec(&rng, &s);
		worker_argv_build(&av, "/x/banklab", &s);
		ck_assert_str_eq(av.argv[1], "worker");
		ck_assert_ptr_null(av.argv[av.argc]);
		ck_assert_int_eq(cli_worker_parse(av.argc - 2, av.argv + 2,
		    &back, &bad), 0);
		assert_same_spec(&s, &back);
	}
}
END_TEST

/* A run's config goes to its workers as it is (run_build_argv()). */
START_TEST(test_worker_argv_config)
{
	struct worker_config w, back;
	struct worker_spec s, p;
	struct worker_argv av;
	int bad;

	worker_config_default(&w);
	w.ops = 77;
	w.mix = WORKER_MIXED;
	w.seed = 9;
	w.max_amount = 3;
	w.from = 2;
	w.to = 5;
	w.gate = 4;
	w.gate_count = 6;
	w.die_step = STEP_WRITE_FROM;
	w.die_after = 12;
	w.stop_on_error = true;
	w.ascending = true;
	w.until_ops = 1000;
	worker_spec_init(&s);
	worker_spec_from_config(&s, &w);
	s.ledger = "cfg";
	worker_argv_build(&av, "banklab", &s);
	ck_assert_int_eq(cli_worker_parse(av.argc - 2, av.argv + 2, &p,
	    &bad), 0);
	worker_spec_config(&p, &back);
	ck_assert_mem_eq(&w, &back, sizeof(w));
}
END_TEST

static const struct {
	const char *words[4];
	int bad;
	const char *why;
} argv_bad[] = {
	{ { "--ops", "5" }, 2, "needs a ledger NAME" },
	{ { "a", "b" }, 1, "\"b\": one ledger NAME only" },
	{ { "a", "--opz", "5" }, 1, "--opz: unknown option" },
	{ { "a", "--ops" }, 1, "--ops: needs a value" },
	{ { "a", "--ops", "x" }, 1, "--ops: \"x\" is not a number" },
	{ { "a", "--ops=2000000000" }, 1,
	    "--ops: \"2000000000\" is not between 0 and 1000000000" },
	{ { "a", "--die-step", "0" }, 1,
	    "--die-step: \"0\" is not between 1 and 11" },
	{ { "a", "--sync", "fast" }, 1, "--sync: \"fast\" is not a variant "
	    "(none, semaphore, robust, ordered)" },
	{ { "a", "--json=1" }, 1, "--json=1: unknown option" },
	{ { "a", "--mix", "all" }, 1, "--mix: \"all\" is not a mix "
	    "(transfer, deposit, withdraw, mixed, audit)" },
};

START_TEST(test_worker_argv_refused)
{
	struct worker_spec s;
	char why[160], *w[4];
	int argc = 0, bad = -1, rc;

	while (argc < 4 && argv_bad[_i].words[argc] != NULL) {
		w[argc] = lab_unconst(argv_bad[_i].words[argc]);
		argc++;
	}
	rc = cli_worker_parse(argc, w, &s, &bad);
	ck_assert_int_lt(rc, 0);
	ck_assert_int_eq(bad, argv_bad[_i].bad);
	ck_assert_str_eq(cli_worker_explain(argc, w, bad, rc, why,
	    sizeof(why)), argv_bad[_i].why);
}
END_TEST

/* ------------------------------------------------------------ suite */

static Suite *
spawn_suite(void)
{
	Suite *s = suite_create("spawn");
	TCase *tc;

	tc = tcase_create("output");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_echo_output);
	tcase_add_test(tc, test_indices_and_empty_set);
	tcase_add_test(tc, test_stdin_is_dev_null);
	tcase_add_test(tc, test_stderr_inherited);
	tcase_add_test(tc, test_no_fd_leak);
	tcase_add_test(tc, test_stdio_closed);
	suite_add_tcase(s, tc);

	tc = tcase_create("status");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_exit_code);
	tcase_add_test(tc, test_killed_by_signal);
	tcase_add_test(tc, test_spawn_kill);
	tcase_add_test(tc, test_signal_before_exec);
	tcase_add_test(tc, test_describe);
	suite_add_tcase(s, tc);

	tc = tcase_create("large");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_large_output_capped);
	tcase_add_test(tc, test_exact_size_kept);
	suite_add_tcase(s, tc);

	tc = tcase_create("timeout");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_timeout_kills);
	tcase_add_test(tc, test_timeout_zero);
	tcase_add_test(tc, test_stdout_closed_early);
	tcase_add_test(tc, test_eintr);
	suite_add_tcase(s, tc);

	tc = tcase_create("grandchild");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_grandchild_holds_pipe);
	tcase_add_test(tc, test_grandchild_at_deadline);
	suite_add_tcase(s, tc);

	tc = tcase_create("exec");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_exec_failure);
	suite_add_tcase(s, tc);

	tc = tcase_create("tick");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_tick_stops_wait);
	tcase_add_test(tc, test_tick_period);
	tcase_add_test(tc, test_tick_starts_children);
	suite_add_tcase(s, tc);

	tc = tcase_create("free");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_free_reaps);
	tcase_add_test(tc, test_free_after_tick_stop);
	suite_add_tcase(s, tc);

	tc = tcase_create("many");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_many_children);
	tcase_add_test(tc, test_many_large_outputs);
	suite_add_tcase(s, tc);

	tc = tcase_create("worker_path");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_worker_path_env);
	tcase_add_test(tc, test_worker_path_search);
	suite_add_tcase(s, tc);

	tc = tcase_create("keep_fd");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_keep_fd);
	suite_add_tcase(s, tc);

	tc = tcase_create("worker_argv");
	tcase_add_test(tc, test_worker_argv_round_trip);
	tcase_add_test(tc, test_worker_argv_config);
	tcase_add_loop_test(tc, test_worker_argv_refused, 0,
	    sizeof(argv_bad) / sizeof(argv_bad[0]));
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	return tl_run(spawn_suite());
}
