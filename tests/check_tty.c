/*
 * check_tty: what the programs draw on a terminal, run under a pseudo-
 * terminal made here (posix_openpt): the progress line on stderr
 * (banklab-bench, banklab-storm, an exploration), and nothing when stderr
 * is a file; `banklab watch`, which draws a ledger, quits on q, gives the
 * terminal back after q and after SIGTERM, and refuses what it cannot do.
 * A child's end is waited for on a pidfd, beside the terminal's output.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "lab.h"
#include "ledger.h"
#include "testlib.h"

#define TTY_OUT_MAX	(1 << 20)
#define TTY_WAIT_MS	30000	/* the slowest run here takes ~2 s */

struct tty {
	pid_t pid;
	int pidfd;
	int master, slave;	/* the slave stays open: its modes after */
	char *out;		/* what came out on the terminal */
	size_t len;
	int status;
	bool has_ended;
};

/* The program's path: $BANKLAB_BIN_DIR/NAME. */
static void
tty_prog(const char *name, char *buf, size_t len)
{
	const char *dir = getenv("BANKLAB_BIN_DIR");

	ck_assert_msg(dir != NULL, "BANKLAB_BIN_DIR is not set");
	snprintf(buf, len, "%s/%s", dir, name);
}

/*
 * Start argv with the terminal as its controlling terminal on stdin,
 * stdout and stderr, except those given a file here (out, err: a path, or
 * NULL for the terminal).  With use_pty false, no terminal at all.
 */
static void
tty_start(struct tty *t, char *const argv[], const char *out,
    const char *err, bool use_pty)
{
	int fd;

	memset(t, 0, sizeof(*t));
	t->out = calloc(1, TTY_OUT_MAX + 1);
	ck_assert_ptr_nonnull(t->out);
	t->master = t->slave = -1;
	if (use_pty) {
		t->master = posix_openpt(O_RDWR | O_NOCTTY);
		ck_assert_int_ge(t->master, 0);
		ck_assert_int_eq(grantpt(t->master), 0);
		ck_assert_int_eq(unlockpt(t->master), 0);
		t->slave = open(ptsname(t->master), O_RDWR | O_NOCTTY);
		ck_assert_int_ge(t->slave, 0);
	}
	fflush(NULL);
	t->pid = fork();
	ck_assert_int_ge(t->pid, 0);
	if (t->pid == 0) {
		setsid();
		if (use_pty) {
			ioctl(t->slave, TIOCSCTTY, 0);
			dup2(t->slave, 0);
			dup2(t->slave, 1);
			dup2(t->slave, 2);
		} else if ((fd = open("/dev/null", O_RDONLY)) >= 0) {
			dup2(fd, 0);
		}
		if (out != NULL && (fd = open(out, O_WRONLY | O_CREAT |
		    O_TRUNC, 0600)) >= 0)
			dup2(fd, 1);
		if (err != NULL && (fd = open(err, O_WRONLY | O_CREAT |
		    O_TRUNC, 0600)) >= 0)
			dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	t->pidfd = pidfd_open(t->pid, 0);
	ck_assert_int_ge(t->pidfd, 0);
}

/*
 * Read the terminal until it shows want (NULL: until the child has ended
 * and all it wrote is read); true if it did.  The end is seen on the
 * child's pidfd.
 */
static bool
tty_until(struct tty *t, const char *want, int timeout_ms)
{
	uint64_t end = lab_now_ms() + (uint64_t)timeout_ms;
	struct pollfd pf[2];
	ssize_t n;

	for (;;) {
		if (want != NULL && strstr(t->out, want) != NULL)
			return true;
		if (lab_now_ms() >= end)
			return false;
		pf[0] = (struct pollfd){ t->master, POLLIN, 0 };
		pf[1] = (struct pollfd){ t->pidfd, POLLIN, 0 };
		if (poll(pf, 2, t->has_ended ? 0 :
		    (int)(end - lab_now_ms())) < 0)
			continue;
		if (pf[0].revents & POLLIN) {
			n = read(t->master, t->out + t->len, TTY_OUT_MAX -
			    t->len);
			if (n > 0)
				t->len += (size_t)n;
			continue;
		}
		if (t->has_ended)
			return want == NULL;	/* ended, all read */
		if (pf[1].revents & POLLIN) {
			ck_assert_int_eq(waitpid(t->pid, &t->status, 0),
			    t->pid);
			t->has_ended = true;
		}
	}
}

/* Wait for the end (killed if it does not come); the exit status. */
static int
tty_end(struct tty *t)
{
	if (!t->has_ended && !tty_until(t, NULL, TTY_WAIT_MS)) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, &t->status, 0);
		t->has_ended = true;
		ck_abort_msg("pid %d did not end within %d ms; it showed: %s",
		    (int)t->pid, TTY_WAIT_MS, t->out);
	}
	return WIFEXITED(t->status) ? WEXITSTATUS(t->status) :
	    128 + WTERMSIG(t->status);
}

static void
tty_free(struct tty *t)
{
	if (t->master >= 0)
		close(t->master);
	if (t->slave >= 0)
		close(t->slave);
	close(t->pidfd);
	free(t->out);
}

/* The file's bytes (NUL-terminated, malloc'd). */
static char *
tty_file(const char *path)
{
	char *buf = calloc(1, 65537);
	FILE *f = fopen(path, "r");

	ck_assert_ptr_nonnull(buf);
	ck_assert_ptr_nonnull(f);
	buf[fread(buf, 1, 65536, f)] = '\0';
	fclose(f);
	return buf;
}

/* The progress line: drawn with \r, done/total and time left, cleared. */
static void
tty_assert_progress(const struct tty *t, const char *total)
{
	ck_assert_msg(strstr(t->out, "\r[") != NULL, "no progress line: %s",
	    t->out);
	ck_assert_msg(strstr(t->out, total) != NULL, "no \"%s\" in: %s",
	    total, t->out);
	ck_assert_msg(strstr(t->out, " left") != NULL, "no time left: %s",
	    t->out);
	/* Cleared at the end: the report starts on a clean line. */
	ck_assert_msg(strstr(t->out, "\r\033[K") != NULL, "never cleared: %s",
	    t->out);
}

/* Bench, storm and an exploration, stderr on the terminal, stdout not. */
START_TEST(test_progress_on_terminal)
{
	static const char *const runs[][2] = {
		{ "banklab-bench", "/4]" },	/* 2 cells x 2 runs */
		{ "banklab-storm", "/20]" },
		{ "banklab-race", "/300]" },
	};
	char prog[4096], *bench[] = { prog, "--quick", "--procs", "1",
	    "--accounts", "2", "--repeat", "2", "--run-ms", "20", "--only",
	    "ordered,bare-robust", NULL }, *storm[] = { prog, "--kills", "20",
	    "--workers", "2", NULL }, *race[] = { prog, "--explore", "random",
	    "--runs", "300", NULL };
	char **argv[] = { bench, storm, race };
	struct tty t;

	tty_prog(runs[_i][0], prog, sizeof(prog));
	tty_start(&t, argv[_i], _i == 2 ? NULL : "/dev/null", NULL, true);
	/* The race's exploration finds its lesson: exit 1 is the promise. */
	ck_assert_int_eq(tty_end(&t), _i == 2 ? LAB_EXIT_ANOMALY : 0);
	tty_assert_progress(&t, runs[_i][1]);
	/* The exploration's summary (stdout, here the same terminal too)
	 * starts on a cleared line, not after the progress text. */
	if (_i == 2) {
		const char *sum = strstr(t.out, "300 runs");

		ck_assert_msg(sum != NULL && sum >= t.out + 4 &&
		    (sum[-1] == '\n' || memcmp(sum - 4, "\r\033[K", 4) == 0),
		    "summary not on a line of its own: %s", t.out);
	}
	tty_free(&t);
}
END_TEST

/* stderr a file: not a byte of progress. */
START_TEST(test_progress_not_on_file)
{
	char prog[4096], err[] = "/tmp/check_tty-err.XXXXXX", *text;
	char *argv[] = { prog, "--explore", "random", "--runs", "300", NULL };
	struct tty t;
	int fd;

	ck_assert_int_ge(fd = mkstemp(err), 0);
	close(fd);
	tty_prog("banklab-race", prog, sizeof(prog));
	tty_start(&t, argv, "/dev/null", err, true);
	ck_assert_int_eq(tty_end(&t), LAB_EXIT_ANOMALY);
	text = tty_file(err);
	unlink(err);
	ck_assert_msg(text[0] == '\0', "stderr, a file, got: %s", text);
	ck_assert_msg(strchr(t.out, '\r') == NULL, "the terminal got: %s",
	    t.out);
	free(text);
	tty_free(&t);
}
END_TEST

/* ICANON and ECHO as a fresh terminal has them: given back. */
static void
tty_assert_restored(const struct tty *t)
{
	struct termios tm;

	ck_assert_int_eq(tcgetattr(t->slave, &tm), 0);
	ck_assert_msg((tm.c_lflag & (ICANON | ECHO)) == (ICANON | ECHO),
	    "the terminal was not given back (lflag %#lx)",
	    (unsigned long)tm.c_lflag);
	ck_assert_msg(strstr(t->out, "\033[?1049l") != NULL, "the screen "
	    "was not given back: %s", t->out);
}

/* banklab watch: draws the ledger, q (or SIGTERM) ends it, cleanly. */
START_TEST(test_watch)
{
	char prog[4096], name[64], *argv[] = { prog, "watch", name,
	    "--interval", "100", NULL };
	struct ledger l;
	struct tty t;
	int rc;

	tl_name(name, sizeof(name));
	tl_ledger_create(name, 8, 12345, SYNC_ORDERED, &l);
	tty_prog("banklab", prog, sizeof(prog));
	tty_start(&t, argv, NULL, NULL, true);
	ck_assert_msg(tty_until(&t, "total 987.60", TTY_WAIT_MS),
	    "no total drawn: %s", t.out);
	/* A second frame, with the rate between the two. */
	ck_assert_msg(tty_until(&t, "operations per second", TTY_WAIT_MS),
	    "no rate drawn: %s", t.out);
	ck_assert_msg(strstr(t.out, "expected 987.60, observed 987.60") !=
	    NULL, "no books: %s", t.out);
	if (_i == 0)
		ck_assert_int_eq(write(t.master, "q", 1), 1);
	else
		kill(t.pid, SIGTERM);
	rc = tty_end(&t);
	ck_assert_int_eq(rc, _i == 0 ? LAB_EXIT_OK : LAB_EXIT_INTERRUPTED);
	tty_assert_restored(&t);
	tty_free(&t);
	ledger_unlink(name);
	ledger_detach(&l);
}
END_TEST

/*
 * Not a terminal on stdout: exit 2; no such ledger, or a segment by that
 * name that is not a ledger (zeros: no magic): exit 3.  One line each.
 */
START_TEST(test_watch_refuses)
{
	static const char *const said[] = { "not a terminal",
	    "no such ledger", "not a banklab ledger" };
	char prog[4096], err[] = "/tmp/check_tty-err.XXXXXX", *text;
	char name[64], path[80], *argv[] = { prog, "watch", name, NULL };
	struct tty t;
	int fd;

	tl_name(name, sizeof(name));
	snprintf(path, sizeof(path), "%s%s", LEDGER_PREFIX, name);
	if (_i == 2) {
		fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(ftruncate(fd, 65536), 0);
		close(fd);
	}
	ck_assert_int_ge(fd = mkstemp(err), 0);
	close(fd);
	tty_prog("banklab", prog, sizeof(prog));
	tty_start(&t, argv, _i == 0 ? "/dev/null" : NULL, err, true);
	ck_assert_int_eq(tty_end(&t), _i == 0 ? LAB_EXIT_USAGE :
	    LAB_EXIT_SYSTEM);
	if (_i == 2)
		shm_unlink(path);
	text = tty_file(err);
	unlink(err);
	ck_assert_msg(strstr(text, said[_i]) != NULL, "said: %s", text);
	ck_assert_msg(strchr(text, '\n') == text + strlen(text) - 1,
	    "not one line: %s", text);
	/* Refused before the terminal was touched. */
	ck_assert_msg(strstr(t.out, "\033[?1049h") == NULL, "drew: %s",
	    t.out);
	free(text);
	tty_free(&t);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("tty");
	TCase *tc;

	tc = tl_tcase(s, "progress", 60);
	tcase_add_loop_test(tc, test_progress_on_terminal, 0, 3);
	tcase_add_test(tc, test_progress_not_on_file);
	tc = tl_tcase(s, "watch", 60);
	tcase_add_loop_test(tc, test_watch, 0, 2);
	tcase_add_loop_test(tc, test_watch_refuses, 0, 3);
	return tl_run(s);
}
