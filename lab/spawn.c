/*
 * spawn: start children with posix_spawn(), read their stdout through
 * non-blocking pipes, and reap them, with a deadline after which they are
 * SIGKILLed.  No code of ours runs in a child before its exec, so this
 * stays correct if the caller has threads, and the library never has to
 * end a process.  No global state: everything lives in the caller's set.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"
#include "spawn.h"

#define SPAWN_TICK_MS	20	/* poll timeout and tick period */
#define SPAWN_OUT_INIT	256	/* first output buffer, grows by doubling */
#define SPAWN_CHUNK	16384	/* one read() */
#define SPAWN_ROUND_READS 16	/* reads of one pipe per round */
#define SPAWN_STATUS_LOST (-1)	/* no wait status: reaped by someone else */

static void
spawn_close(int *fd)
{
	if (*fd >= 0) {
		/* Linux releases the fd even when close() says EINTR. */
		(void)close(*fd);
		*fd = -1;
	}
}

/*
 * Move *fd above 0..2 (keeping O_CLOEXEC).  The child dup2()s its pipe and
 * /dev/null onto 0 and 1; if either already were 0 or 1 (the caller ran
 * with stdin or stdout closed), one dup2() would clobber the other, and a
 * dup2() onto itself would leave O_CLOEXEC set on the child's stdout.
 */
static int
spawn_above_stdio(int *fd)
{
	int nfd;

	if (*fd > STDERR_FILENO)
		return 0;
	if ((nfd = fcntl(*fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1)) == -1)
		return -errno;
	(void)close(*fd);
	*fd = nfd;
	return 0;
}

/*
 * What the child gets between fork and exec: its stdin and stdout, the
 * caller's signal mask, and every caught signal back to its default (a
 * handler of the parent's must not run in the child before exec: Check's
 * SIGTERM handler, for one, kills its whole process group).  posix_spawn()
 * does it without running any code of ours in the child, so nothing here
 * ever has to end a process; an exec that fails comes back as an error.
 */
static int
spawn_prepare(posix_spawn_file_actions_t *fa, posix_spawnattr_t *at,
    int in, int out, int keep, const sigset_t *mask)
{
	struct sigaction sa;
	sigset_t deflt;
	int sig, r;

	sigemptyset(&deflt);
	for (sig = 1; sig < NSIG; sig++)
		if (sigaction(sig, NULL, &sa) == 0 &&
		    sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN)
			sigaddset(&deflt, sig);
	if ((r = posix_spawn_file_actions_adddup2(fa, in, STDIN_FILENO)) ||
	    (r = posix_spawn_file_actions_adddup2(fa, out, STDOUT_FILENO)) ||
	    /* Onto itself: the child keeps it (FD_CLOEXEC cleared). */
	    (keep > STDERR_FILENO &&
	    (r = posix_spawn_file_actions_adddup2(fa, keep, keep))) ||
	    (r = posix_spawnattr_setsigmask(at, mask)) ||
	    (r = posix_spawnattr_setsigdefault(at, &deflt)) ||
	    (r = posix_spawnattr_setflags(at, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF)))
		return -r;
	return 0;
}

/*
 * Start argv with in and out as its stdin and stdout, and keep (if > 2)
 * open under its number; its pid or -errno.
 */
static pid_t
spawn_exec(char *const argv[], int in, int out, int keep)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t all, old;
	pid_t pid = -1;
	int r;

	if ((r = posix_spawn_file_actions_init(&fa)) != 0)
		return -r;
	if ((r = posix_spawnattr_init(&at)) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return -r;
	}
	/*
	 * Block every signal while we look at the handlers and start it: a
	 * handler changed in between would otherwise run in the child.
	 */
	sigfillset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, &old);
	if ((r = spawn_prepare(&fa, &at, in, out, keep, &old)) == 0)
		r = -posix_spawn(&pid, argv[0], &fa, &at, argv, environ);
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	return r < 0 ? r : pid;
}

/*
 * Can path be run at all?  posix_spawn() reports an exec that fails, but
 * only where its child shares our memory until the exec (under valgrind
 * it is a plain fork, and the child just exits 127): ask first, so the
 * caller hears the same either way.
 */
static int
spawn_runnable(const char *path)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EACCES;
	return access(path, X_OK) == -1 ? -errno : 0;
}

void
spawn_init(struct spawn_set *set)
{
	set->child = NULL;
	set->n = 0;
	set->cap = 0;
}

/* Room for one more child in set->child. */
static int
spawn_grow(struct spawn_set *set)
{
	struct spawn_child *c;
	unsigned cap;

	if (set->n < set->cap)
		return 0;
	/* spawn_start() returns the index as an int. */
	if (set->cap >= INT_MAX / 2)
		return -ENOMEM;
	cap = set->cap == 0 ? 8 : set->cap * 2;
	if ((c = reallocarray(set->child, cap, sizeof(*c))) == NULL)
		return -ENOMEM;
	set->child = c;
	set->cap = cap;
	return 0;
}

int
spawn_start(struct spawn_set *set, char *const argv[])
{
	return spawn_start_fd(set, argv, -1);
}

int
spawn_start_fd(struct spawn_set *set, char *const argv[], int keep)
{
	struct spawn_child *c;
	int p[2] = { -1, -1 }, null = -1, r, fl;
	char *out;
	pid_t pid;

	if (argv == NULL || argv[0] == NULL)
		return -EINVAL;
	if ((r = spawn_runnable(argv[0])) < 0)
		return r;
	if ((r = spawn_grow(set)) < 0)
		return r;
	if ((out = malloc(SPAWN_OUT_INIT)) == NULL)
		return -ENOMEM;
	out[0] = '\0';
	if (pipe2(p, O_CLOEXEC) == -1 ||
	    (null = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1) {
		r = -errno;
		goto fail;
	}
	if ((r = spawn_above_stdio(&p[1])) < 0 ||
	    (r = spawn_above_stdio(&null)) < 0)
		goto fail;
	/* Only our end: the child's stdout must stay blocking. */
	if ((fl = fcntl(p[0], F_GETFL)) == -1 ||
	    fcntl(p[0], F_SETFL, fl | O_NONBLOCK) == -1) {
		r = -errno;
		goto fail;
	}
	/*
	 * What we printed before starting it must come out before what it
	 * prints (they share stderr, perhaps a terminal).
	 */
	fflush(NULL);
	if ((pid = spawn_exec(argv, null, p[1], keep)) < 0) {
		r = pid;
		goto fail;
	}
	(void)close(p[1]);
	(void)close(null);
	c = &set->child[set->n];
	memset(c, 0, sizeof(*c));
	c->pid = pid;
	c->fd = p[0];
	c->out = out;
	c->cap = SPAWN_OUT_INIT;
	return (int)set->n++;
fail:
	spawn_close(&null);
	spawn_close(&p[1]);
	spawn_close(&p[0]);
	free(out);
	return r;
}

/*
 * Keep what fits under SPAWN_OUT_MAX; the rest was read only so the child
 * does not block on a full pipe.  If the buffer cannot grow, the output is
 * cut short there rather than the wait failing.
 */
static void
spawn_keep(struct spawn_child *c, const char *buf, size_t n)
{
	size_t room = SPAWN_OUT_MAX - c->len, cap;
	char *out;

	if (n > room)
		n = room;
	if (n == 0)
		return;
	if (c->len + n + 1 > c->cap) {
		cap = c->cap;
		while (cap < c->len + n + 1)
			cap *= 2;
		if (cap > SPAWN_OUT_MAX + 1)
			cap = SPAWN_OUT_MAX + 1;
		if ((out = realloc(c->out, cap)) == NULL)
			return;
		c->out = out;
		c->cap = cap;
	}
	memcpy(c->out + c->len, buf, n);
	c->len += n;
	c->out[c->len] = '\0';
}

/*
 * Read at most max chunks from c's pipe; close it at EOF or on an error.
 * The bound keeps a child that writes without end from holding one round
 * (and so the deadline and the other children) for ever.
 */
static void
spawn_read(struct spawn_child *c, unsigned max)
{
	char buf[SPAWN_CHUNK];
	ssize_t n;

	while (c->fd >= 0 && max > 0) {
		if ((n = read(c->fd, buf, sizeof(buf))) > 0) {
			spawn_keep(c, buf, (size_t)n);
			max--;
		} else if (n == -1 && errno == EINTR)
			continue;
		else if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		else
			spawn_close(&c->fd);
	}
}

/*
 * c has been reaped: everything it wrote is in the pipe already, so read
 * what is there and close, without waiting for EOF.  A grandchild that
 * inherited the pipe may hold it open for as long as it likes; what it
 * writes later is lost.  More reads than a pipe holds (1 MiB unless root
 * raised the limit) would mean a grandchild is still writing.
 */
static void
spawn_finish(struct spawn_child *c)
{
	int sz;

	if (c->fd < 0)
		return;
	if ((sz = fcntl(c->fd, F_GETPIPE_SZ)) <= 0)
		sz = 1 << 20;
	spawn_read(c, (unsigned)(sz / SPAWN_CHUNK) + 2);
	spawn_close(&c->fd);
}

/* Reap c if it has exited (or, with flags 0, once it does). */
static void
spawn_reap(struct spawn_child *c, int flags)
{
	pid_t r;
	int st;

	if (c->is_reaped)
		return;
	do
		r = waitpid(c->pid, &st, flags);
	while (r == -1 && errno == EINTR);
	if (r == 0)
		return;
	if (r == -1) {
		/*
		 * ECHILD: someone else reaped it (SIGCHLD ignored, or a
		 * waitpid(-1) of the caller's).  It is gone; say so rather
		 * than wait for it until the deadline.
		 */
		st = SPAWN_STATUS_LOST;
	}
	c->status = st;
	c->is_reaped = true;
	spawn_finish(c);
}

/* Reap whoever has exited; true if every child is reaped. */
static bool
spawn_reap_all(struct spawn_set *set, int flags)
{
	bool is_done = true;
	unsigned i;

	for (i = 0; i < set->n; i++) {
		spawn_reap(&set->child[i], flags);
		is_done = is_done && set->child[i].is_reaped;
	}
	return is_done;
}

/* Wait up to ms for output on the open pipes, and read it. */
static int
spawn_poll(struct spawn_set *set, struct pollfd **pfd, unsigned *pcap,
    int ms)
{
	struct pollfd *p;
	unsigned i, k = 0;
	int r;

	/* Sized each round: tick may have started more children. */
	if (*pcap < set->n) {
		if ((p = reallocarray(*pfd, set->n, sizeof(*p))) == NULL)
			return -ENOMEM;
		*pfd = p;
		*pcap = set->n;
	}
	p = *pfd;
	for (i = 0; i < set->n; i++) {
		if (set->child[i].fd < 0)
			continue;
		p[k].fd = set->child[i].fd;
		p[k].events = POLLIN;
		p[k].revents = 0;
		k++;
	}
	if ((r = poll(p, k, ms)) == -1)
		return errno == EINTR ? 0 : -errno;
	/* Both lists are in set order, so one walk matches them up. */
	for (i = 0, k = 0; i < set->n && r > 0; i++) {
		struct spawn_child *c = &set->child[i];

		if (c->fd < 0)
			continue;
		if (p[k].revents & POLLNVAL)
			c->fd = -1;	/* closed behind our back */
		else if (p[k].revents != 0)
			spawn_read(c, SPAWN_ROUND_READS);
		if (p[k++].revents != 0)
			r--;
	}
	return 0;
}

/* The deadline: kill whoever still runs, reap them, keep their output. */
static int
spawn_deadline(struct spawn_set *set)
{
	if (spawn_reap_all(set, WNOHANG))
		return 0;
	spawn_kill(set, SIGKILL);
	/* Blocking is safe: SIGKILL cannot be caught or ignored. */
	spawn_reap_all(set, 0);
	return -ETIMEDOUT;
}

int
spawn_wait(struct spawn_set *set, unsigned timeout_ms, spawn_tick_fn tick,
    void *arg)
{
	struct pollfd *pfd = NULL;
	uint64_t now, deadline, next_tick, ms;
	unsigned pcap = 0;
	int r;

	now = lab_now_ms();
	deadline = now + timeout_ms;
	next_tick = now + SPAWN_TICK_MS;
	for (;;) {
		if (spawn_reap_all(set, WNOHANG)) {
			r = 0;
			break;
		}
		now = lab_now_ms();
		/*
		 * By the clock, not by round: rounds come as fast as output
		 * does, and tick may be costly (it may audit a ledger).
		 */
		if (tick != NULL && now >= next_tick) {
			next_tick = now + SPAWN_TICK_MS;
			if ((r = tick(set, arg)) != 0)
				break;
			now = lab_now_ms();
		}
		if (now >= deadline) {
			r = spawn_deadline(set);
			break;
		}
		ms = deadline - now;
		if (ms > SPAWN_TICK_MS)
			ms = SPAWN_TICK_MS;
		if (tick != NULL && next_tick <= now)
			ms = 0;
		else if (tick != NULL && next_tick - now < ms)
			ms = next_tick - now;
		if ((r = spawn_poll(set, &pfd, &pcap, (int)ms)) < 0)
			break;
	}
	free(pfd);
	return r;
}

void
spawn_kill(struct spawn_set *set, int sig)
{
	struct spawn_child *c;
	unsigned i;

	for (i = 0; i < set->n; i++) {
		c = &set->child[i];
		/* An unreaped child's pid cannot have been reused yet. */
		if (c->is_reaped || c->pid <= 0)
			continue;
		if (kill(c->pid, sig) == 0 && sig == SIGKILL)
			c->was_killed = true;
	}
}

void
spawn_forget(struct spawn_set *set, unsigned i)
{
	struct spawn_child *c;

	if (i >= set->n || !set->child[i].is_reaped)
		return;
	c = &set->child[i];
	spawn_close(&c->fd);
	free(c->out);
	*c = set->child[--set->n];
}

void
spawn_free(struct spawn_set *set)
{
	unsigned i;

	spawn_kill(set, SIGKILL);
	for (i = 0; i < set->n; i++) {
		struct spawn_child *c = &set->child[i];

		spawn_close(&c->fd);	/* no output is wanted any more */
		spawn_reap(c, 0);
		free(c->out);
	}
	free(set->child);
	spawn_init(set);
}

const char *
spawn_describe(const struct spawn_child *c, char *buf, size_t len)
{
	const char *name, *core;
	int st = c->status;

	if (buf == NULL || len == 0)
		return "";
	if (!c->is_reaped)
		snprintf(buf, len, "running");
	else if (st == SPAWN_STATUS_LOST)
		snprintf(buf, len, "status unknown (reaped elsewhere)");
	else if (WIFEXITED(st))
		snprintf(buf, len, "exited %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st)) {
		core = WCOREDUMP(st) ? " (core dumped)" : "";
		if ((name = sigabbrev_np(WTERMSIG(st))) != NULL)
			snprintf(buf, len, "killed by SIG%s%s", name, core);
		else
			snprintf(buf, len, "killed by signal %d%s",
			    WTERMSIG(st), core);
	} else
		snprintf(buf, len, "wait status %#x", (unsigned)st);
	return buf;
}

int
spawn_bind_parent(pid_t parent)
{
	/* Kept across exec; then make sure the parent is still the one. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		return -errno;
	return getppid() == parent ? 0 : -ESRCH;
}

/* dir + "/banklab" into buf if that is an executable; else NULL. */
static const char *
spawn_try_dir(const char *dir, size_t dirlen, char *buf, size_t len)
{
	int n;

	if (dirlen > INT_MAX)
		return NULL;
	n = snprintf(buf, len, "%.*s/banklab", (int)dirlen, dir);
	if (n < 0 || (size_t)n >= len)
		return NULL;
	return access(buf, X_OK) == 0 ? buf : NULL;
}

int
spawn_worker_path(const char *worker, char *buf, size_t len)
{
	static const char *const dirs[] = { "/usr/local/bin", "/usr/bin",
	    "/bin" };
	char self[PATH_MAX];
	const char *p;
	ssize_t n;
	size_t i;

	if (worker != NULL && worker[0] != '\0') {
		/* Never a path cut short, nor a buffer left as it was. */
		if (strlen(worker) >= len)
			return -ENAMETOOLONG;
		memcpy(buf, worker, strlen(worker) + 1);
		return 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self));
	if (n > 0 && (size_t)n < sizeof(self) &&
	    (p = memrchr(self, '/', (size_t)n)) != NULL &&
	    spawn_try_dir(self, (size_t)(p - self), buf, len) != NULL)
		return 0;
	/* spawn_start() does not search PATH (nor read it): look here. */
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (spawn_try_dir(dirs[i], strlen(dirs[i]), buf, len) != NULL)
			return 0;
	return -ENOENT;
}
