/*
 * testlib: the fixtures and helpers the Check programs share (testlib.h).
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bank.h"
#include "lab.h"
#include "ledger.h"
#include "step.h"
#include "sync.h"
#include "testlib.h"

static pid_t runner_pid;	/* set by the unchecked fixture, inherited */
static unsigned name_counter;

/* The step hook of tl_kill_mid_transfer()'s child. */
static void
die_at_write_from(struct ledger *l, unsigned step, void *arg)
{
	(void)l;
	(void)arg;
	if (step == STEP_WRITE_FROM)
		raise(SIGKILL);
}

void
tl_names_setup(void)
{
	runner_pid = getpid();
}

void
tl_names_sweep(void)
{
	char prefix[64], path[512];
	struct dirent *de;
	DIR *d;

	snprintf(prefix, sizeof(prefix), "banklab-t%d-", (int)runner_pid);
	if ((d = opendir("/dev/shm")) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
			continue;
		snprintf(path, sizeof(path), "/dev/shm/%s", de->d_name);
		unlink(path);
	}
	closedir(d);
}

void
tl_name(char *buf, size_t len)
{
	snprintf(buf, len, "t%d-%d-%u", (int)runner_pid, (int)getpid(),
	    name_counter++);
}

TCase *
tl_tcase(Suite *s, const char *name, double timeout)
{
	TCase *tc = tcase_create(name);

	tcase_add_unchecked_fixture(tc, tl_names_setup, tl_names_sweep);
	tcase_set_timeout(tc, timeout);
	suite_add_tcase(s, tc);
	return tc;
}

int
tl_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int64_t
tl_ld_i64(_Atomic int64_t *p)
{
	return atomic_load(p);
}

uint64_t
tl_ld_u64(_Atomic uint64_t *p)
{
	return atomic_load(p);
}

int32_t
tl_ld_i32(_Atomic int32_t *p)
{
	return atomic_load(p);
}

uint32_t
tl_ld_u32(_Atomic uint32_t *p)
{
	return atomic_load(p);
}

void
tl_ledger_create(const char *name, uint32_t n, int64_t balance,
    enum sync_kind k, struct ledger *l)
{
	struct ledger_config cfg = { .naccounts = n, .balance = balance,
		.sync = k };
	int r = sync_create(name, &cfg, l);

	ck_assert_msg(r == 0, "sync_create(%s): %d (%s)", name, r,
	    lab_strerror(r));
}

void
tl_ledger_new(char *name, size_t len, uint32_t n, int64_t balance,
    enum sync_kind k, struct ledger *l)
{
	tl_name(name, len);
	tl_ledger_create(name, n, balance, k, l);
	sync_use(l, k);
}

int
tl_slot_of_pid(const struct ledger *l, pid_t pid)
{
	uint32_t i;

	for (i = 0; i < l->nslots; i++)
		if (tl_ld_u32(&l->slots[i].state) != LEDGER_SLOT_FREE &&
		    tl_ld_i32(&l->slots[i].pid) == pid)
			return (int)i;
	return -1;
}

int
tl_wait_exit(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return -1;
	return st;
}

int
tl_exit_code(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int
tl_count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

void
tl_sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

pid_t
tl_fork_joined(const char *name, enum sync_kind k, struct ledger *l)
{
	pid_t pid;

	fflush(NULL);
	pid = check_fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (sync_attach(name, l) != 0)
			_exit(2);
		sync_use(l, k);
		if (ledger_join(l) != 0)
			_exit(2);
	}
	return pid;
}

pid_t
tl_kill_mid_transfer(const char *name, enum sync_kind k, uint32_t from,
    uint32_t to, int64_t amount)
{
	struct ledger l;
	pid_t pid;
	int st;

	if ((pid = tl_fork_joined(name, k, &l)) == 0) {
		l.step = die_at_write_from;
		bank_transfer(&l, from, to, amount);
		_exit(3);	/* not reached */
	}
	st = tl_wait_exit(pid);
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	    "child status %#x, want SIGKILL", st);
	return pid;
}
