/*
 * spawn: start programs as child processes and collect what they say.
 *
 * Contract: spawn_start() starts argv with posix_spawn() (stdout to a pipe
 * we read, stdin from /dev/null, stderr inherited, caught signals back to
 * their defaults) after fflush(NULL); a program that cannot be run is an
 * error of spawn_start() (-ENOENT, -EACCES ...), for the caller to say.  The parent
 * must reap every child it starts: spawn_wait() reads every pipe to its end
 * and reaps, killing (SIGKILL) whoever is still running at the deadline;
 * spawn_free() kills and reaps what is left on any error path.  Single
 * process use; the set is not shared.
 */
#ifndef LAB_SPAWN_H
#define LAB_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SPAWN_OUT_MAX	(1u << 20)	/* output kept per child */

struct spawn_child {
	pid_t pid;
	int fd;			/* read end of its stdout, -1 after EOF */
	char *out;		/* what it printed, NUL-terminated */
	size_t len;
	size_t cap;
	int status;		/* waitpid() status once reaped */
	bool is_reaped;
	bool was_killed;	/* by us, at the deadline or by spawn_kill */
};

struct spawn_set {
	struct spawn_child *child;
	unsigned n;
	unsigned cap;
};

/* Called about every 20 ms while spawn_wait() waits; non-zero stops it. */
typedef int (*spawn_tick_fn)(struct spawn_set *, void *arg);

void spawn_init(struct spawn_set *set);

/* Start argv[0] (a path) with argv; returns the child's index or -errno. */
int spawn_start(struct spawn_set *set, char *const argv[]);

/* The same, and the child inherits descriptor keep (> 2) as it is. */
int spawn_start_fd(struct spawn_set *set, char *const argv[], int keep);

/*
 * Read and reap until every child has exited, tick returns non-zero, or
 * timeout_ms passes; children still running then are killed and reaped.
 * Returns 0, -ETIMEDOUT after a kill at the deadline, or tick's value.
 */
int spawn_wait(struct spawn_set *set, unsigned timeout_ms, spawn_tick_fn tick,
    void *arg);

/* Send sig to every child not yet reaped (marks them was_killed if KILL). */
void spawn_kill(struct spawn_set *set, int sig);

/*
 * Drop reaped child i from the set (its output is freed; the last child
 * takes its index).  For callers that start children without end and
 * account for each as it is reaped; only between waits, from a tick.
 */
void spawn_forget(struct spawn_set *set, unsigned i);

/* Kill and reap whatever is left, close pipes, free memory. */
void spawn_free(struct spawn_set *set);

/* "exited 0", "killed by SIGKILL", "running" into buf. */
const char *spawn_describe(const struct spawn_child *c, char *buf,
    size_t len);

/*
 * For a child, first thing: die (SIGKILL) when the process parent dies,
 * so a lesson, schedule, storm or grader SIGKILLed leaves no worker
 * running on.  -ESRCH if parent is gone already (we were re-parented
 * before we could ask), -errno if the kernel refuses.
 */
int spawn_bind_parent(pid_t parent);

/*
 * Path of the `banklab` program workers run, into buf: worker if it is
 * not NULL or empty (a program's $BANKLAB_WORKER), else `banklab` beside
 * this program (/proc/self/exe), else in /usr/local/bin, /usr/bin or /bin.
 * 0, or -ENAMETOOLONG or -ENOENT (buf is then not a path to use).
 */
int spawn_worker_path(const char *worker, char *buf, size_t len);

#endif
