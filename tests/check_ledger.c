/*
 * check_ledger: the ledger module (create, attach, join, detach, unlink,
 * the checks attach makes before it trusts a segment, process slots).
 *
 * Every test makes its segments under a unique name "t<runner>-<pid>-<n>"
 * and unlinks them as soon as it can; an unchecked fixture (it runs in the
 * runner process, so it also runs after a failed test) removes whatever is
 * left under the runner's prefix.  Children report over a pipe or their
 * exit status and leave with _exit().
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bank.h"
#include "lab.h"
#include "ledger.h"
#include "sync.h"
#include "testlib.h"

/* ------------------------------------------------------------ helpers */

static void
shm_path(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "/dev/shm%s%s", LEDGER_PREFIX, name);
}

/* A raw read-write mapping of "/banklab-NAME", as an intruder would get. */
struct raw {
	int fd;
	size_t size;
	struct ledger_header *h;
};

static void
raw_open(const char *name, struct raw *raw)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "%s%s", LEDGER_PREFIX, name);
	raw->fd = shm_open(path, O_RDWR, 0);
	ck_assert_msg(raw->fd >= 0, "shm_open(%s): %s", path, strerror(errno));
	ck_assert_int_eq(fstat(raw->fd, &st), 0);
	raw->size = (size_t)st.st_size;
	raw->h = mmap(NULL, raw->size, PROT_READ | PROT_WRITE, MAP_SHARED,
	    raw->fd, 0);
	ck_assert_msg(raw->h != MAP_FAILED, "mmap: %s", strerror(errno));
}

static void
raw_close(struct raw *raw)
{
	munmap(raw->h, raw->size);
	close(raw->fd);
}

/*
 * Create a fresh ledger, let tamper() damage it through a raw mapping,
 * then try to attach.  The name is unlinked before the caller asserts.
 */
static int
attach_tampered(void (*tamper)(struct raw *, void *), void *arg)
{
	char name[LEDGER_NAME_MAX + 1];
	struct ledger l, m;
	struct raw raw;
	int r;

	tl_ledger_new(name, sizeof(name), 16, 1000, SYNC_ORDERED, &l);
	ledger_detach(&l);
	raw_open(name, &raw);
	tamper(&raw, arg);
	raw_close(&raw);
	r = sync_attach(name, &m);
	ledger_unlink(name);
	if (r == 0)
		ledger_detach(&m);
	return r;
}

static int64_t
elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (int64_t)(t1.tv_sec - t0->tv_sec) * 1000 +
	    (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* ------------------------------------------------------------ round trip */

START_TEST(test_round_trip)
{
	char name[LEDGER_NAME_MAX + 1];
	struct ledger_counters books;
	struct ledger l, m;
	int r;

	tl_ledger_new(name, sizeof(name), 8, 500, SYNC_ORDERED, &l);
	ck_assert_int_eq(l.naccounts, 8);
	ck_assert_int_eq(l.slot, -1);
	ck_assert_int_eq(l.initial_total, 4000);
	ck_assert_int_eq(l.created_sync, SYNC_ORDERED);
	ck_assert_uint_eq(l.size, ledger_size(8));
	ck_assert_str_eq(l.name, name);

	r = sync_attach(name, &m);
	tl_assert_lab_eq(r, 0);
	ck_assert_int_eq(m.naccounts, 8);
	ck_assert_int_eq(m.initial_total, 4000);
	ck_assert_uint_eq(m.generation, l.generation);
	ck_assert_ptr_eq(m.sync, sync_get(SYNC_ORDERED));
	ck_assert_int_eq(m.lock_timeout_ms, 5000);

	tl_assert_lab_eq(ledger_join(&m), 0);
	ck_assert_int_ge(m.slot, 0);
	ck_assert_int_eq(m.pid, getpid());
	ck_assert_int_eq(tl_ld_u32(&m.slots[m.slot].state), LEDGER_SLOT_LIVE);
	ck_assert_int_eq(tl_ld_i32(&m.slots[m.slot].pid), getpid());
	ck_assert_int_eq(tl_ld_u32(&m.slots[m.slot].sync), SYNC_ORDERED);
	/* Joining twice is a no-op. */
	r = m.slot;
	tl_assert_lab_eq(ledger_join(&m), 0);
	ck_assert_int_eq(m.slot, r);

	/* What one handle writes, the other sees: the same object. */
	tl_assert_lab_eq(bank_deposit(&m, 3, 25), 0);
	ck_assert_int_eq(tl_ld_i64(&l.acct[3].balance), 525);

	ledger_detach(&m);
	ck_assert_ptr_null(m.hdr);
	ck_assert_int_eq(tl_ld_u32(&l.slots[r].state), LEDGER_SLOT_FREE);
	/* A freed slot keeps its counters: the books still see them. */
	ck_assert_int_eq(l.slots[r].counters.deposited, 25);
	ledger_books(&l, &books);
	ck_assert_int_eq(books.deposited, 25);
	ledger_detach(&l);
	ledger_detach(&l);	/* harmless twice */

	tl_assert_lab_eq(ledger_unlink(name), 0);
	r = sync_attach(name, &m);
	tl_assert_lab_eq(r, -ENOENT);
	tl_assert_lab_eq(ledger_unlink(name), -ENOENT);
}
END_TEST

START_TEST(test_create_exists)
{
	char name[LEDGER_NAME_MAX + 1];
	struct ledger l, m;
	struct ledger_config cfg = { .naccounts = 4, .balance = 1,
		.sync = SYNC_NONE };
	int r;

	tl_ledger_new(name, sizeof(name), 4, 1, SYNC_NONE, &l);
	r = sync_create(name, &cfg, &m);
	ledger_unlink(name);
	ledger_detach(&l);
	tl_assert_lab_eq(r, -EEXIST);
}
END_TEST

START_TEST(test_create_bad_config)
{
	char name[LEDGER_NAME_MAX + 1];
	struct ledger l;
	struct ledger_config cfg = { .naccounts = 0, .balance = 1,
		.sync = SYNC_NONE };
	char path[128];

	tl_name(name, sizeof(name));
	tl_assert_lab_eq(sync_create(name, &cfg, &l), -LAB_EACCOUNT);
	cfg.naccounts = LEDGER_ACCOUNTS_MAX + 1;
	tl_assert_lab_eq(sync_create(name, &cfg, &l), -LAB_EACCOUNT);
	cfg.naccounts = 4;
	cfg.balance = -1;
	tl_assert_lab_eq(sync_create(name, &cfg, &l), -LAB_EAMOUNT);
	cfg.balance = 1;
	cfg.sync = SYNC_COUNT;
	tl_assert_lab_eq(sync_create(name, &cfg, &l), -LAB_ESYNC);
	tl_assert_lab_eq(sync_create("bad/name", &cfg, &l), -LAB_ENAME);
	/* None of the refusals left an object behind. */
	shm_path(name, path, sizeof(path));
	ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST

/* ------------------------------------------------------------ names */

START_TEST(test_name_check)
{
	char n64[LEDGER_NAME_MAX + 2];

	memset(n64, 'a', LEDGER_NAME_MAX);
	n64[LEDGER_NAME_MAX] = '\0';
	ck_assert_int_eq(strlen(n64), 64);
	tl_assert_lab_eq(ledger_name_check(n64), 0);
	n64[LEDGER_NAME_MAX] = 'b';
	n64[LEDGER_NAME_MAX + 1] = '\0';
	ck_assert_int_eq(strlen(n64), 65);
	tl_assert_lab_eq(ledger_name_check(n64), -LAB_ENAME);

	tl_assert_lab_eq(ledger_name_check(""), -LAB_ENAME);
	tl_assert_lab_eq(ledger_name_check(NULL), -LAB_ENAME);
	tl_assert_lab_eq(ledger_name_check("a/b"), -LAB_ENAME);
	tl_assert_lab_eq(ledger_name_check("/a"), -LAB_ENAME);
	tl_assert_lab_eq(ledger_name_check("."), -LAB_ENAME);
	tl_assert_lab_eq(ledger_name_check(".."), -LAB_ENAME);
	tl_assert_lab_eq(ledger_name_check("a.b"), -LAB_ENAME);
	tl_assert_lab_eq(ledger_name_check("a b"), -LAB_ENAME);
	tl_assert_lab_eq(ledger_name_check("a\n"), -LAB_ENAME);
	tl_assert_lab_eq(ledger_name_check("caf\xc3\xa9"), -LAB_ENAME);
	tl_assert_lab_eq(ledger_name_check("a"), 0);
	tl_assert_lab_eq(ledger_name_check("Az09_-"), 0);
	tl_assert_lab_eq(ledger_name_check("-"), 0);
}
END_TEST

/* ------------------------------------------------------------ attach */

static void
tamper_magic(struct raw *raw, void *arg)
{
	(void)arg;
	memset(raw->h, 'X', 8);	/* the first 8 bytes are the magic */
}

static void
tamper_version(struct raw *raw, void *arg)
{
	(void)arg;
	raw->h->version = LEDGER_VERSION + 1;
}

static void
tamper_layout(struct raw *raw, void *arg)
{
	(void)arg;
	raw->h->layout ^= 0x10;
}

static void
tamper_truncate(struct raw *raw, void *arg)
{
	off_t size = *(off_t *)arg;

	ck_assert_int_eq(ftruncate(raw->fd, size), 0);
}

static void
tamper_grow(struct raw *raw, void *arg)
{
	(void)arg;
	ck_assert_int_eq(ftruncate(raw->fd, (off_t)raw->size + 4096), 0);
}

static void
tamper_mode(struct raw *raw, void *arg)
{
	ck_assert_int_eq(fchmod(raw->fd, *(mode_t *)arg), 0);
}

static void
tamper_naccounts(struct raw *raw, void *arg)
{
	raw->h->naccounts = *(uint32_t *)arg;
}

static void
tamper_owner(struct raw *raw, void *arg)
{
	(void)arg;
	ck_assert_int_eq(fchown(raw->fd, 65534, 65534), 0);
}

START_TEST(test_attach_bad_magic)
{
	int r = attach_tampered(tamper_magic, NULL);

	tl_assert_lab_eq(r, -LAB_EMAGIC);
}
END_TEST

START_TEST(test_attach_bad_version)
{
	int r = attach_tampered(tamper_version, NULL);

	tl_assert_lab_eq(r, -LAB_EVERSION);
}
END_TEST

START_TEST(test_attach_bad_layout)
{
	int r = attach_tampered(tamper_layout, NULL);

	tl_assert_lab_eq(r, -LAB_ELAYOUT);
}
END_TEST

START_TEST(test_attach_truncated)
{
	off_t size = 100;
	int r = attach_tampered(tamper_truncate, &size);

	tl_assert_lab_eq(r, -LAB_ESIZE);
	/* Larger than the header struct, smaller than the header says. */
	size = (off_t)ledger_size(16) - 4096;
	ck_assert_int_gt(size, (off_t)sizeof(struct ledger_header));
	r = attach_tampered(tamper_truncate, &size);
	tl_assert_lab_eq(r, -LAB_ESIZE);
	size = 0;
	r = attach_tampered(tamper_truncate, &size);
	tl_assert_lab_eq(r, -LAB_ESIZE);
}
END_TEST

START_TEST(test_attach_larger)
{
	int r = attach_tampered(tamper_grow, NULL);

	tl_assert_lab_eq(r, -LAB_ESIZE);
}
END_TEST

START_TEST(test_attach_mode)
{
	mode_t mode = 0666;
	int r = attach_tampered(tamper_mode, &mode);

	tl_assert_lab_eq(r, -LAB_EMODE);
	mode = 0620;
	r = attach_tampered(tamper_mode, &mode);
	tl_assert_lab_eq(r, -LAB_EMODE);
	mode = 0602;
	r = attach_tampered(tamper_mode, &mode);
	tl_assert_lab_eq(r, -LAB_EMODE);
	/* Readable by others is not the danger; writable is. */
	mode = 0644;
	r = attach_tampered(tamper_mode, &mode);
	tl_assert_lab_eq(r, 0);
}
END_TEST

START_TEST(test_attach_bad_naccounts)
{
	uint32_t n = 0;
	int r = attach_tampered(tamper_naccounts, &n);

	ck_assert_msg(r == -LAB_ECORRUPT || r == -LAB_ESIZE,
	    "naccounts 0: got %d (%s)", r, lab_strerror(r));
	n = UINT32_MAX;
	r = attach_tampered(tamper_naccounts, &n);
	ck_assert_msg(r == -LAB_ECORRUPT || r == -LAB_ESIZE,
	    "naccounts %u: got %d (%s)", n, r, lab_strerror(r));
	n = LEDGER_ACCOUNTS_MAX;
	r = attach_tampered(tamper_naccounts, &n);
	ck_assert_msg(r == -LAB_ECORRUPT || r == -LAB_ESIZE,
	    "naccounts %u: got %d (%s)", n, r, lab_strerror(r));
	/* One more account than created: would reach into the slots. */
	n = 17;
	r = attach_tampered(tamper_naccounts, &n);
	ck_assert_msg(r == -LAB_ECORRUPT || r == -LAB_ESIZE,
	    "naccounts %u: got %d (%s)", n, r, lab_strerror(r));
}
END_TEST

START_TEST(test_attach_missing)
{
	char name[LEDGER_NAME_MAX + 1];
	struct ledger l;

	tl_name(name, sizeof(name));
	tl_assert_lab_eq(sync_attach(name, &l), -ENOENT);
	tl_assert_lab_eq(sync_attach("no/such", &l), -LAB_ENAME);
}
END_TEST

START_TEST(test_attach_symlink)
{
	char name[LEDGER_NAME_MAX + 1], link_name[LEDGER_NAME_MAX + 1];
	char target[128], link_path[128];
	struct ledger l, m;
	int r, s;

	tl_name(name, sizeof(name));
	tl_name(link_name, sizeof(link_name));
	tl_ledger_create(name, 4, 10, SYNC_ORDERED, &l);
	shm_path(name, target, sizeof(target));
	shm_path(link_name, link_path, sizeof(link_path));
	s = symlink(target, link_path);
	r = s == 0 ? sync_attach(link_name, &m) : 0;
	unlink(link_path);
	ledger_unlink(name);
	ledger_detach(&l);
	ck_assert_msg(s == 0, "symlink: %s", strerror(errno));
	if (r == 0)
		ledger_detach(&m);
	tl_assert_lab_eq(r, -LAB_ESYMLINK);
}
END_TEST

START_TEST(test_attach_other_owner)
{
	int r;

	if (geteuid() != 0) {
		tl_note("test_attach_other_owner: skipped (needs root to "
		    "fchown)\n");
		return;
	}
	r = attach_tampered(tamper_owner, NULL);
	tl_assert_lab_eq(r, -LAB_EOWNER);
}
END_TEST

/* A raw object that is not a ledger at all, owned by someone else. */
START_TEST(test_attach_other_owner_raw)
{
	char name[LEDGER_NAME_MAX + 1], path[128];
	struct ledger l;
	int fd, r, c;

	if (geteuid() != 0) {
		tl_note("test_attach_other_owner_raw: skipped (needs root)\n");
		return;
	}
	tl_name(name, sizeof(name));
	snprintf(path, sizeof(path), "%s%s", LEDGER_PREFIX, name);
	fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	ck_assert_msg(fd >= 0, "shm_open: %s", strerror(errno));
	c = fchown(fd, 65534, 65534);
	if (c == 0)
		c = ftruncate(fd, (off_t)ledger_size(16));
	close(fd);
	r = c == 0 ? sync_attach(name, &l) : 0;
	shm_unlink(path);
	ck_assert_int_eq(c, 0);
	tl_assert_lab_eq(r, -LAB_EOWNER);
}
END_TEST

/* ------------------------------------------------------------ create mode */

START_TEST(test_create_umask)
{
	char name[LEDGER_NAME_MAX + 1];
	struct ledger l, m;
	struct stat st;
	mode_t old;
	int r, s;

	tl_name(name, sizeof(name));
	old = umask(0277);
	tl_ledger_create(name, 4, 10, SYNC_NONE, &l);
	umask(old);
	s = fstat(l.fd, &st);
	r = sync_attach(name, &m);
	ledger_unlink(name);
	ck_assert_int_eq(s, 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_uint_eq(st.st_uid, geteuid());
	tl_assert_lab_eq(r, 0);
	ledger_detach(&m);
	ledger_detach(&l);
}
END_TEST

/* ------------------------------------------------------------ big ledger */

START_TEST(test_million_accounts)
{
	char name[LEDGER_NAME_MAX + 1];
	struct ledger l, m;
	struct bank_check bc;
	struct timespec t0;
	size_t size = ledger_size(1000000);
	int64_t ms_create, ms_attach;
	int r;

	ck_assert_uint_le(size, (size_t)72 << 20);
	tl_name(name, sizeof(name));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	tl_ledger_create(name, 1000000, 100, SYNC_ORDERED, &l);
	ms_create = elapsed_ms(&t0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = sync_attach(name, &m);
	ms_attach = elapsed_ms(&t0);
	ledger_unlink(name);
	tl_assert_lab_eq(r, 0);
	/* Information only: timings on a VM are noise, never asserted. */
	tl_note("# ledger of 10^6 accounts: %zu bytes (%.1f MiB), create "
	    "%lld ms, attach %lld ms\n", size, size / 1048576.0,
	    (long long)ms_create, (long long)ms_attach);
	ck_assert_uint_eq(m.size, size);
	ck_assert_int_eq(m.naccounts, 1000000);
	ck_assert_int_eq(m.initial_total, 100000000);
	tl_assert_lab_eq(ledger_join(&m), 0);
	tl_assert_lab_eq(bank_transfer(&m, 999999, 0, 40), 0);
	tl_assert_lab_eq(bank_transfer(&m, 0, 999999, 140), 0);
	ck_assert_int_eq(tl_ld_i64(&l.acct[0].balance), 0);
	ck_assert_int_eq(tl_ld_i64(&l.acct[999999].balance), 200);
	bank_check(&m, &bc);
	ck_assert_int_eq(bc.lost_cents, 0);
	ck_assert_int_eq(bc.lost_writes, 0);
	ck_assert_int_eq(bc.is_ok, 1);
	ledger_detach(&m);
	ledger_detach(&l);
}
END_TEST

/* ------------------------------------------------------------ slots */

/* Child: attach + join, send our slot, then wait for a byte (or die). */
static void
child_join_and_wait(const char *name, int wfd, int rfd)
{
	struct ledger l;
	int32_t slot = -1;
	char c;

	if (sync_attach(name, &l) == 0 && ledger_join(&l) == 0)
		slot = l.slot;
	if (write(wfd, &slot, sizeof(slot)) != (ssize_t)sizeof(slot))
		_exit(3);
	if (slot < 0)
		_exit(2);
	if (read(rfd, &c, 1) != 1)
		_exit(4);
	ledger_detach(&l);
	_exit(0);
}

static pid_t
fork_joiner(const char *name, int *slot, int *tell)
{
	int up[2], down[2];
	int32_t s = -1;
	pid_t pid;

	ck_assert_int_eq(pipe(up), 0);
	ck_assert_int_eq(pipe(down), 0);
	fflush(NULL);
	pid = check_fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(up[0]);
		close(down[1]);
		child_join_and_wait(name, up[1], down[0]);
	}
	close(up[1]);
	close(down[0]);
	if (read(up[0], &s, sizeof(s)) != (ssize_t)sizeof(s))
		s = -1;
	close(up[0]);
	*slot = s;
	*tell = down[1];
	return pid;
}

START_TEST(test_join_distinct)
{
	char name[LEDGER_NAME_MAX + 1];
	struct ledger l;
	int child_slot, tell, st;
	pid_t pid;

	tl_ledger_new(name, sizeof(name), 4, 10, SYNC_ORDERED, &l);
	pid = fork_joiner(name, &child_slot, &tell);
	ledger_unlink(name);	/* both processes have it now */
	ck_assert_int_ge(child_slot, 0);
	tl_assert_lab_eq(ledger_join(&l), 0);
	ck_assert_int_ge(l.slot, 0);
	ck_assert_int_ne(l.slot, child_slot);
	ck_assert_int_eq(tl_ld_i32(&l.slots[child_slot].pid), pid);
	ck_assert_int_eq(ledger_slot_alive(&l, child_slot), 1);
	ck_assert_int_eq(ledger_slot_alive(&l, l.slot), 1);
	ck_assert_int_eq(write(tell, "x", 1), 1);
	close(tell);
	st = tl_wait_exit(pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "child status %#x", st);
	/* A detached child leaves a free slot behind. */
	ck_assert_int_eq(tl_ld_u32(&l.slots[child_slot].state),
	    LEDGER_SLOT_FREE);
	ck_assert_int_eq(ledger_slot_alive(&l, child_slot), 0);
	ledger_detach(&l);
}
END_TEST

START_TEST(test_slot_alive_then_killed)
{
	char name[LEDGER_NAME_MAX + 1];
	struct ledger l;
	int child_slot, tell, st;
	pid_t pid;

	tl_ledger_new(name, sizeof(name), 4, 10, SYNC_ORDERED, &l);
	pid = fork_joiner(name, &child_slot, &tell);
	ledger_unlink(name);
	if (child_slot < 0)
		kill(pid, SIGKILL);
	ck_assert_int_ge(child_slot, 0);
	/* An observer (no slot) can ask too. */
	ck_assert_int_eq(l.slot, -1);
	ck_assert_int_eq(ledger_slot_alive(&l, child_slot), 1);
	ck_assert_int_eq(ledger_slot_alive(&l, -1), 0);
	ck_assert_int_eq(ledger_slot_alive(&l, LEDGER_SLOTS), 0);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	st = tl_wait_exit(pid);
	close(tell);
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	    "child status %#x", st);
	ck_assert_int_eq(ledger_slot_alive(&l, child_slot), 0);
	/* Dead but not reaped: the slot still names its owner. */
	ck_assert_int_eq(tl_ld_u32(&l.slots[child_slot].state),
	    LEDGER_SLOT_LIVE);
	ck_assert_int_eq(tl_ld_i32(&l.slots[child_slot].pid), pid);
	ledger_detach(&l);
}
END_TEST

/*
 * A fresh ordered ledger (4 accounts of 10) in *l whose child joined, made
 * 3 deposits (600 cents) and _exit()ed without detaching; the name is
 * unlinked.  Returns the dead child's slot (or -1); its pid in *pid.
 */
static int
dead_depositor(struct ledger *l, pid_t *pid)
{
	char name[LEDGER_NAME_MAX + 1];
	struct ledger m;
	int st;

	tl_ledger_new(name, sizeof(name), 4, 10, SYNC_ORDERED, l);
	if ((*pid = tl_fork_joined(name, SYNC_ORDERED, &m)) == 0) {
		if (bank_deposit(&m, 0, 100) != 0 ||
		    bank_deposit(&m, 1, 200) != 0 ||
		    bank_deposit(&m, 2, 300) != 0)
			_exit(3);
		_exit(0);
	}
	st = tl_wait_exit(*pid);
	ledger_unlink(name);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "child status %#x", st);
	return tl_slot_of_pid(l, *pid);
}

START_TEST(test_reap_dead_slot)
{
	struct ledger l;
	struct ledger_counters before, after;
	struct bank_check bc;
	int slot;
	pid_t pid;

	slot = dead_depositor(&l, &pid);
	ck_assert_int_ge(slot, 0);
	ck_assert_int_eq(ledger_slot_alive(&l, slot), 0);

	ledger_books(&l, &before);
	ck_assert_int_eq(before.deposited, 600);
	ck_assert_uint_eq(before.ops, 3);
	ck_assert_uint_eq(before.writes, 3);

	ck_assert_int_eq(ledger_reap_slot(&l, slot), 1);
	ck_assert_int_eq(tl_ld_u32(&l.slots[slot].state), LEDGER_SLOT_FREE);
	ck_assert_int_eq(tl_ld_i32(&l.slots[slot].pid), 0);
	/* Freed, not forgotten: the counters stay in the slot. */
	ck_assert_int_eq(l.slots[slot].counters.deposited, 600);
	ck_assert_uint_eq(l.slots[slot].counters.ops, 3);
	ledger_books(&l, &after);
	ck_assert_int_eq(after.deposited, before.deposited);
	ck_assert_uint_eq(after.ops, before.ops);
	ck_assert_uint_eq(after.writes, before.writes);
	bank_check(&l, &bc);
	ck_assert_int_eq(bc.lost_cents, 0);
	ck_assert_int_eq(bc.lost_writes, 0);
	ck_assert_int_eq(bc.expected, 40 + 600);
	/* A free slot reaps as free; our own or out of range: no. */
	ck_assert_int_eq(ledger_reap_slot(&l, slot), 1);
	ledger_books(&l, &after);
	ck_assert_int_eq(after.deposited, 600);
	ck_assert_int_eq(ledger_reap_slot(&l, -1), 0);
	ck_assert_int_eq(ledger_reap_slot(&l, LEDGER_SLOTS), 0);
	tl_assert_lab_eq(ledger_join(&l), 0);
	ck_assert_int_eq(ledger_reap_slot(&l, l.slot), 0);
	ledger_detach(&l);
}
END_TEST

START_TEST(test_join_reclaims_dead_slot)
{
	struct ledger l;
	struct ledger_counters c;
	int slot;
	pid_t pid;

	slot = dead_depositor(&l, &pid);
	ck_assert_int_eq(slot, 0);	/* the first free slot */
	/* Its owner is dead and it holds nothing: the next join takes it. */
	tl_assert_lab_eq(ledger_join(&l), 0);
	ck_assert_int_eq(l.slot, slot);
	ck_assert_int_eq(tl_ld_i32(&l.slots[slot].pid), getpid());
	/* The new owner adds to the slot's counters; base marks its start. */
	ck_assert_int_eq(l.slots[slot].counters.deposited, 600);
	ck_assert_int_eq(l.slots[slot].base.deposited, 600);
	ck_assert_uint_eq(l.slots[slot].base.ops, 3);
	ledger_books(&l, &c);
	ck_assert_int_eq(c.deposited, 600);
	tl_assert_lab_eq(bank_deposit(&l, 3, 7), 0);
	ck_assert_int_eq(l.slots[slot].counters.deposited, 607);
	ck_assert_uint_eq(l.slots[slot].counters.ops -
	    l.slots[slot].base.ops, 1);
	ledger_books(&l, &c);
	ck_assert_int_eq(c.deposited, 607);
	ck_assert_uint_eq(c.ops, 4);
	ledger_detach(&l);
}
END_TEST

/*
 * A reaper (ledger_join(), ledger_reap_slot(), ledger_detach()) killed in
 * the middle of ledger_retire() leaves the slot RETIRING; its OFD lock dies
 * with it.  ledger_retire() marks the slot RETIRING, clears what its owner
 * published, then its pid, then marks it FREE.  We build what a reaper
 * killed right after marking (_i == 0) or after clearing (_i == 1) leaves,
 * as it would have written it, and expect the next reap to finish the job
 * with the books unchanged.  This mirrors ledger_retire(): change both
 * together.
 */
START_TEST(test_reap_after_reaper_died)
{
	struct ledger l;
	struct ledger_counters c;
	struct ledger_slot *s;
	int slot;
	pid_t pid;

	slot = dead_depositor(&l, &pid);
	ck_assert_int_ge(slot, 0);
	s = &l.slots[slot];
	ck_assert_int_eq(s->counters.deposited, 600);

	/* The dead reaper's work so far. */
	atomic_store(&s->state, LEDGER_SLOT_RETIRING);
	if (_i == 1) {
		atomic_store(&s->holds[0], LEDGER_NONE);
		atomic_store(&s->holds[1], LEDGER_NONE);
		atomic_store(&s->waits, LEDGER_NONE);
		atomic_store(&s->journal.state, LEDGER_J_IDLE);
	}

	ck_assert_int_eq(ledger_reap_slot(&l, slot), 1);
	ck_assert_int_eq(tl_ld_u32(&s->state), LEDGER_SLOT_FREE);
	ck_assert_int_eq(tl_ld_i32(&s->pid), 0);
	ledger_books(&l, &c);
	tl_note("# reaper died %s clearing: books show %lld deposited "
	    "(600 made)\n", _i ? "after" : "before", (long long)c.deposited);
	ck_assert_int_eq(c.deposited, 600);
	ck_assert_uint_eq(c.ops, 3);
	ck_assert_uint_eq(c.writes, 3);
	/* And the slot can be joined again. */
	tl_assert_lab_eq(ledger_join(&l), 0);
	ck_assert_int_eq(l.slot, slot);
	ledger_books(&l, &c);
	ck_assert_int_eq(c.deposited, 600);
	ledger_detach(&l);
}
END_TEST

/* ------------------------------------------------------------ hostile slots */

/*
 * Garbage a hostile (or buggy) process of the same user can write into
 * slots, put in the last slots (a join takes the first it can): holds and
 * waits out of range, states and journals out of range, nonsense and live
 * unrelated pids (init), and a forged cycle of waits over accounts 2 and
 * 3 with a slot waiting into it.  Indices and journals only: the counters
 * stay as they were, so the books must still agree.
 */
#define HOSTILE_FIRST	(LEDGER_SLOTS - 6)

static struct ledger_slot *
raw_slots(const struct raw *raw)
{
	return (struct ledger_slot *)((char *)raw->h + raw->h->slots_off);
}

static void
forge_slot(struct ledger_slot *s, uint32_t state, int32_t pid, int64_t h0,
    int64_t h1, int64_t waits)
{
	atomic_store(&s->state, state);
	atomic_store(&s->pid, pid);
	atomic_store(&s->holds[0], h0);
	atomic_store(&s->holds[1], h1);
	atomic_store(&s->waits, waits);
}

static void
forge_journal(struct ledger_journal *j, uint32_t state, uint32_t n,
    uint32_t a0, uint32_t a1, int64_t b0, int64_t b1)
{
	j->op = 42;
	j->n = n;
	j->acct[0] = a0;
	j->acct[1] = a1;
	j->amount = -1;
	j->before[0] = b0;
	j->before[1] = b1;
	j->vbefore[0] = UINT64_MAX;
	atomic_store(&j->state, state);
}

static void
scribble_slots(const char *name, uint32_t naccounts)
{
	struct ledger_slot *s;
	struct raw raw;

	raw_open(name, &raw);
	s = raw_slots(&raw) + HOSTILE_FIRST;
	forge_slot(&s[0], LEDGER_SLOT_LIVE, -5, INT64_MAX, -7, INT64_C(1) << 40);
	forge_journal(&s[0].journal, LEDGER_J_BEGUN, 9, UINT32_MAX, naccounts,
	    -1, LEDGER_BALANCE_MAX + 1);
	forge_slot(&s[1], 99, 1, naccounts, INT64_MIN, -3);
	forge_journal(&s[1].journal, 7, 2, 0, 1, -5, 0);
	forge_slot(&s[2], LEDGER_SLOT_LIVE, 1, 2, LEDGER_NONE, 3);
	forge_slot(&s[3], LEDGER_SLOT_LIVE, 1, 3, LEDGER_NONE, 2);
	forge_slot(&s[4], LEDGER_SLOT_LIVE, 1, LEDGER_NONE, LEDGER_NONE, 2);
	forge_slot(&s[5], LEDGER_SLOT_RETIRING, 0, LEDGER_NONE, LEDGER_NONE,
	    LEDGER_WAIT_SEM);
	forge_journal(&s[5].journal, LEDGER_J_BEGUN, 1, 0, 0,
	    LEDGER_BALANCE_MAX, 0);
	raw_close(&raw);
}

/* _i: the variant.  Everything works around the garbage, total kept. */
START_TEST(test_hostile_slots)
{
	static const int64_t bad[] = { INT64_MAX, INT64_MIN, -7, -3, 8,
	    INT64_C(1) << 40, LEDGER_WAIT_SEM };
	enum sync_kind k = (enum sync_kind)_i;
	char name[LEDGER_NAME_MAX + 1];
	struct ledger_counters books;
	struct sync_audit au;
	struct bank_check bc;
	struct ledger l;
	int cyc[4], i, reaped[6];

	tl_ledger_new(name, sizeof(name), 8, 1000, k, &l);
	ledger_detach(&l);
	scribble_slots(name, 8);
	tl_assert_lab_eq(sync_attach(name, &l), 0);
	ledger_unlink(name);
	sync_use(&l, k);
	l.lock_timeout_ms = 1000;
	tl_assert_lab_eq(ledger_join(&l), 0);
	ck_assert_int_lt(l.slot, HOSTILE_FIRST);

	tl_assert_lab_eq(bank_transfer(&l, 0, 1, 100), 0);
	tl_assert_lab_eq(bank_transfer(&l, 3, 2, 50), 0);
	tl_assert_lab_eq(bank_deposit(&l, 4, 7), 0);
	tl_assert_lab_eq(bank_withdraw(&l, 5, 7), 0);
	tl_assert_lab_eq(bank_audit(&l, &au), 0);
	ck_assert_int_eq(au.total, 8000);

	/* Out-of-range indices name no holder; valid ones are believed. */
	for (i = 0; i < (int)(sizeof(bad) / sizeof(bad[0])); i++)
		ck_assert_int_eq(ledger_holder_of(&l, bad[i]), -1);
	ck_assert_int_eq(ledger_holder_of(&l, 0), -1);
	ck_assert_int_eq(ledger_holder_of(&l, 2), HOSTILE_FIRST + 2);
	/* Walks of the wait-for graph end, in or out of the forged cycle. */
	ck_assert_int_eq(sync_find_cycle(&l, HOSTILE_FIRST + 2, cyc, 4), 2);
	ck_assert_int_eq(sync_find_cycle(&l, HOSTILE_FIRST + 4, cyc, 4), 0);
	ck_assert_int_eq(sync_find_cycle(&l, HOSTILE_FIRST, cyc, 4), 0);
	ck_assert_int_eq(sync_find_cycle(&l, HOSTILE_FIRST + 1, cyc, 4), 0);
	ck_assert_int_eq(sync_find_cycle(&l, HOSTILE_FIRST + 2, cyc, 1), 1);
	ck_assert_int_eq(sync_find_cycle(&l, -1, cyc, 4), 0);
	ck_assert_int_eq(sync_find_cycle(&l, LEDGER_SLOTS, cyc, 4), 0);
	/* init is alive, but it holds no OFD lock of ours: not the owner. */
	ck_assert_int_eq(ledger_slot_alive(&l, HOSTILE_FIRST + 1), 0);
	tl_assert_lab_eq(bank_recover(&l, k), 0);

	/*
	 * Reaping: a hold of a real account waits for its repair; holds
	 * out of range can never be repaired and must not keep a slot.
	 */
	for (i = 0; i < 6; i++)
		reaped[i] = ledger_reap_slot(&l, HOSTILE_FIRST + i);
	tl_note("# hostile slots (%s): reaped %d %d %d %d %d %d\n",
	    ledger_sync_name(k), reaped[0], reaped[1], reaped[2], reaped[3],
	    reaped[4], reaped[5]);
	ck_assert_int_eq(reaped[0], 1);
	ck_assert_int_eq(reaped[1], 1);
	ck_assert_int_eq(reaped[2], 0);
	ck_assert_int_eq(reaped[3], 0);
	ck_assert_int_eq(reaped[4], 1);
	ck_assert_int_eq(reaped[5], 1);
	ck_assert_int_eq(tl_ld_u32(&l.slots[HOSTILE_FIRST].state),
	    LEDGER_SLOT_FREE);

	ledger_books(&l, &books);
	ck_assert_int_eq(books.deposited, 7);
	ck_assert_int_eq(books.withdrawn, 7);
	ck_assert_int_eq(books.moved, 150);
	bank_check(&l, &bc);
	ck_assert_int_eq(bc.lost_cents, 0);
	ck_assert_int_eq(bc.lost_writes, 0);
	ck_assert_int_eq(bc.is_ok, 1);
	ledger_detach(&l);
}
END_TEST

/*
 * Counters a hostile process wrote: the sums wrap (no trap, no undefined
 * behaviour), the check says the books disagree, and work goes on.
 */
START_TEST(test_hostile_counters)
{
	char name[LEDGER_NAME_MAX + 1];
	struct ledger_counters books, *c;
	struct ledger_slot *s;
	struct bank_check bc;
	struct ledger l;
	struct raw raw;
	int i;

	tl_ledger_new(name, sizeof(name), 4, 1000, SYNC_ORDERED, &l);
	ledger_detach(&l);
	raw_open(name, &raw);
	s = raw_slots(&raw);
	for (i = LEDGER_SLOTS - 2; i < LEDGER_SLOTS; i++) {
		c = &s[i].counters;
		c->deposited = INT64_MAX;
		c->withdrawn = INT64_MIN;
		c->moved = INT64_MAX;
		c->ops = c->writes = c->refused = UINT64_MAX;
		s[i].journal.cbefore = *c;
	}
	raw_close(&raw);
	tl_assert_lab_eq(sync_attach(name, &l), 0);
	ledger_unlink(name);
	tl_assert_lab_eq(ledger_join(&l), 0);
	tl_assert_lab_eq(bank_transfer(&l, 0, 1, 10), 0);
	tl_assert_lab_eq(bank_deposit(&l, 2, 10), 0);
	ledger_books(&l, &books);
	bank_check(&l, &bc);
	tl_note("# forged counters: books deposited %lld withdrawn %lld, check "
	    "expected %lld observed %lld\n", (long long)books.deposited,
	    (long long)books.withdrawn, (long long)bc.expected,
	    (long long)bc.observed);
	ck_assert_int_eq(bc.observed, 4010);
	ck_assert_int_eq(bc.is_ok, 0);
	ck_assert_int_eq(tl_ld_i64(&l.acct[1].balance), 1010);
	ledger_detach(&l);
}
END_TEST

/*
 * A real dead owner among hostile slots: _i / 2 says what else is forged
 * (0: only other slots: rolled back, total kept; 1..5: the dead owner's
 * own journal: n 9, state 7, a before-image < 0 or > the maximum, an
 * account out of range: nothing garbage is written back); _i % 2 robust
 * or ordered.  The next locker never crashes or hangs, and the locks work.
 */
START_TEST(test_hostile_repair)
{
	enum sync_kind k = _i % 2 ? SYNC_ORDERED : SYNC_ROBUST;
	int mode = _i / 2, ds;
	char name[LEDGER_NAME_MAX + 1];
	struct ledger_journal *j;
	struct bank_check bc;
	struct ledger l;
	struct raw raw;
	int64_t b0, b1;
	pid_t pid;

	tl_ledger_new(name, sizeof(name), 4, 1000, k, &l);
	scribble_slots(name, 4);
	pid = tl_kill_mid_transfer(name, k, 0, 1, 500);
	ds = tl_slot_of_pid(&l, pid);
	ck_assert_int_ge(ds, 0);
	ck_assert_int_lt(ds, HOSTILE_FIRST);
	raw_open(name, &raw);
	j = &raw_slots(&raw)[ds].journal;
	ck_assert_uint_eq(atomic_load(&j->state), LEDGER_J_BEGUN);
	if (mode == 1)
		j->n = 9;
	else if (mode == 2)
		atomic_store(&j->state, 7);
	else if (mode == 3)
		j->before[0] = -5;
	else if (mode == 4)
		j->before[0] = LEDGER_BALANCE_MAX + 1;
	else if (mode == 5)
		j->acct[0] = UINT32_MAX;
	raw_close(&raw);
	ledger_unlink(name);

	sync_use(&l, k);
	l.lock_timeout_ms = 1000;
	tl_assert_lab_eq(ledger_join(&l), 0);
	tl_assert_lab_eq(bank_balance(&l, 0, &b0), 0);
	tl_assert_lab_eq(bank_balance(&l, 1, &b1), 0);
	tl_note("# dead owner, forged mode %d (%s): balances %lld %lld, "
	    "repairs %llu\n", mode, ledger_sync_name(k), (long long)b0,
	    (long long)b1, (unsigned long long)atomic_load(&l.hdr->repairs));
	ck_assert_uint_eq(atomic_load(&l.hdr->repairs), 2);
	ck_assert_int_eq(tl_ld_u32(&l.slots[ds].state), LEDGER_SLOT_FREE);
	/* Rolled back with a good journal; left as found with a bad one. */
	ck_assert_int_eq(b0, mode == 0 ? 1000 : 500);
	ck_assert_int_eq(b1, 1000);
	tl_assert_lab_eq(bank_transfer(&l, 1, 0, 100), 0);
	tl_assert_lab_eq(bank_recover(&l, k), 0);
	bank_check(&l, &bc);
	ck_assert_uint_eq(bc.negative, 0);
	ck_assert_int_eq(bc.is_ok, mode == 0);
	ck_assert_int_eq(bc.observed, mode == 0 ? 4000 : 3500);
	ledger_detach(&l);
}
END_TEST

/* ------------------------------------------------------------ no space */

/* What a child that tried to create a ledger saw. */
struct nospace_report {
	int32_t skipped;	/* errno of unshare/mount, 0 if it ran */
	int32_t rc;		/* sync_create() */
	int32_t left;		/* entries left in its /dev/shm */
	int32_t pad;
};

/* Entries in /dev/shm (a fresh private one has none). */
static int
count_shm(void)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir("/dev/shm")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/*
 * In a child: (_i 0) RLIMIT_FSIZE below the ledger's size, SIGXFSZ
 * ignored; (_i 1) a private mount namespace with a 1 MiB tmpfs on
 * /dev/shm (the real one is never touched).  sync_create() must fail
 * there and then, with no signal and nothing left behind.
 */
static void
nospace_child(int how, const char *name, const char *path, int fd)
{
	struct ledger_config cfg = { .naccounts = 100000, .balance = 1,
		.sync = SYNC_ORDERED };
	struct nospace_report rep = { 0 };
	struct rlimit rl = { 65536, 65536 };
	struct ledger l;

	if (how == 0) {
		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl) == -1)
			rep.skipped = errno;
	} else if (unshare(CLONE_NEWNS) == -1 ||
	    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) == -1 ||
	    mount("banklab-test", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV,
	    "size=1m,mode=1777") == -1)
		rep.skipped = errno;
	if (rep.skipped == 0) {
		rep.rc = sync_create(name, &cfg, &l);
		if (rep.rc == 0)
			ledger_detach(&l);
		rep.left = how == 0 ? access(path, F_OK) == 0 : count_shm();
	}
	if (write(fd, &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
		_exit(4);
	_exit(0);
}

START_TEST(test_create_no_space)
{
	char name[LEDGER_NAME_MAX + 1], path[128];
	struct nospace_report rep;
	int p[2], st;
	pid_t pid;
	ssize_t n;

	tl_name(name, sizeof(name));
	shm_path(name, path, sizeof(path));
	ck_assert_int_eq(pipe(p), 0);
	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(p[0]);
		nospace_child(_i, name, path, p[1]);
	}
	close(p[1]);
	do
		n = read(p[0], &rep, sizeof(rep));
	while (n == -1 && errno == EINTR);
	close(p[0]);
	st = tl_wait_exit(pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "child status %#x (a signal instead of an error?)", st);
	ck_assert_int_eq(n, sizeof(rep));
	if (rep.skipped != 0) {
		fprintf(stderr, "check_ledger: no-space test %d skipped: %s "
		    "(needs root and mount namespaces)\n", _i,
		    strerror(rep.skipped));
		ck_assert_int_eq(rep.skipped, EPERM);
		return;
	}
	tl_note("# ledger_create with %s: %d (%s)\n", _i ? "a 1 MiB /dev/shm" :
	    "RLIMIT_FSIZE 64 KiB", rep.rc, lab_strerror(rep.rc));
	ck_assert_int_lt(rep.rc, 0);
	if (_i == 0) {
		tl_assert_lab_eq(rep.rc, -EFBIG);
	} else {
		tl_assert_lab_eq(rep.rc, -ENOSPC);
		ck_assert_str_eq(lab_strerror(rep.rc),
		    "No space left on device");
	}
	ck_assert_int_eq(rep.left, 0);
	/* And nothing of it in the real /dev/shm. */
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

/* ------------------------------------------------------------ validate */

START_TEST(test_validate)
{
	static union {
		struct ledger_header h;
		char bytes[8192];
	} buf;
	char name[LEDGER_NAME_MAX + 1];
	struct ledger l;

	memset(&buf, 0, sizeof(buf));
	tl_assert_lab_eq(ledger_validate(&buf.h, sizeof(buf)), -LAB_EMAGIC);
	tl_assert_lab_eq(ledger_validate(&buf.h, 10), -LAB_ESIZE);
	tl_assert_lab_eq(ledger_validate(&buf.h, 0), -LAB_ESIZE);
	tl_assert_lab_eq(ledger_validate(&buf.h,
	    sizeof(struct ledger_header) - 1), -LAB_ESIZE);

	/* A real header is valid at its size and at no other. */
	tl_ledger_new(name, sizeof(name), 16, 1, SYNC_ROBUST, &l);
	ledger_unlink(name);
	tl_assert_lab_eq(ledger_validate(l.hdr, l.size), 0);
	tl_assert_lab_eq(ledger_validate(l.hdr, l.size - 4096), -LAB_ESIZE);
	tl_assert_lab_eq(ledger_validate(l.hdr, l.size + 4096), -LAB_ESIZE);
	tl_assert_lab_eq(ledger_validate(l.hdr, 64), -LAB_ESIZE);
	ledger_detach(&l);
}
END_TEST

/* ------------------------------------------------------------ strerror */

START_TEST(test_strerror)
{
	int a, b;

	for (a = LAB_EFIRST + 1; a < LAB_ELAST; a++) {
		const char *s = lab_strerror(-a);

		ck_assert_ptr_nonnull(s);
		ck_assert_msg(s[0] != '\0', "code %d: empty text", a);
		ck_assert_msg(strncmp(s, "Unknown error", 13) != 0,
		    "code %d: \"%s\"", a, s);
		ck_assert_str_eq(lab_strerror(a), s);
		for (b = LAB_EFIRST + 1; b < a; b++)
			ck_assert_msg(strcmp(lab_strerror(-b), s) != 0,
			    "codes %d and %d share \"%s\"", b, a, s);
	}
	ck_assert_str_eq(lab_strerror(-ENOENT), strerror(ENOENT));
	ck_assert_str_eq(lab_strerror(-EEXIST), strerror(EEXIST));
	ck_assert_str_eq(lab_strerror(ELOOP), strerror(ELOOP));
	ck_assert_ptr_nonnull(lab_strerror(0));
	ck_assert_ptr_nonnull(lab_strerror(-LAB_ELAST));
	ck_assert_ptr_nonnull(lab_strerror(-LAB_EFIRST));
}
END_TEST

/* ------------------------------------------------------------ suite */

static Suite *
ledger_suite(void)
{
	Suite *s = suite_create("ledger");
	TCase *tc;

	tc = tl_tcase(s, "round_trip", 10);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_create_exists);
	tcase_add_test(tc, test_create_bad_config);

	tc = tl_tcase(s, "name_check", 10);
	tcase_add_test(tc, test_name_check);

	tc = tl_tcase(s, "attach_refuses", 10);
	tcase_add_test(tc, test_attach_bad_magic);
	tcase_add_test(tc, test_attach_bad_version);
	tcase_add_test(tc, test_attach_bad_layout);
	tcase_add_test(tc, test_attach_truncated);
	tcase_add_test(tc, test_attach_larger);
	tcase_add_test(tc, test_attach_mode);
	tcase_add_test(tc, test_attach_bad_naccounts);
	tcase_add_test(tc, test_attach_missing);
	tcase_add_test(tc, test_attach_symlink);
	tcase_add_test(tc, test_attach_other_owner);
	tcase_add_test(tc, test_attach_other_owner_raw);

	tc = tl_tcase(s, "create_mode", 10);
	tcase_add_test(tc, test_create_umask);

	tc = tl_tcase(s, "big", 60);
	tcase_add_test(tc, test_million_accounts);

	tc = tl_tcase(s, "slots", 20);
	tcase_add_test(tc, test_join_distinct);
	tcase_add_test(tc, test_slot_alive_then_killed);
	tcase_add_test(tc, test_reap_dead_slot);
	tcase_add_test(tc, test_join_reclaims_dead_slot);
	tcase_add_loop_test(tc, test_reap_after_reaper_died, 0, 2);

	tc = tl_tcase(s, "hostile_slots", 20);
	tcase_add_loop_test(tc, test_hostile_slots, SYNC_SEMAPHORE,
	    SYNC_COUNT);
	tcase_add_test(tc, test_hostile_counters);
	tcase_add_loop_test(tc, test_hostile_repair, 0, 12);

	tc = tl_tcase(s, "no_space", 20);
	tcase_add_loop_test(tc, test_create_no_space, 0, 2);

	tc = tl_tcase(s, "validate", 10);
	tcase_add_test(tc, test_validate);

	tc = tl_tcase(s, "strerror", 10);
	tcase_add_test(tc, test_strerror);
	return s;
}

int
main(void)
{
	return tl_run(ledger_suite());
}
