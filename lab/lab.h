/*
 * lab: error codes shared by every banklab module.
 *
 * Contract: library functions return 0 on success or a negative code:
 * -errno for a failed system call, -LAB_E* for the library's own failures.
 * lab_strerror() turns either into one line of text; the caller decides
 * whether and where to print it.  Safe from any process, no locks.
 */
#ifndef LAB_LAB_H
#define LAB_LAB_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

enum lab_error {
	LAB_EFIRST = 10000,	/* above every errno value */
	LAB_ENAME,		/* ledger name not [A-Za-z0-9_-]{1,64} */
	LAB_EMAGIC,		/* not a banklab ledger (bad magic) */
	LAB_EVERSION,		/* made by another format version */
	LAB_ELAYOUT,		/* made by a build with another struct layout */
	LAB_ESIZE,		/* object size differs from the header's */
	LAB_EOWNER,		/* object belongs to another user */
	LAB_EMODE,		/* object writable by group or others */
	LAB_ECORRUPT,		/* a count, index or state out of range */
	LAB_EACCOUNT,		/* no such account */
	LAB_EAMOUNT,		/* amount not positive or too large */
	LAB_EFUNDS,		/* withdrawal or transfer would go below zero */
	LAB_ESAME,		/* transfer from an account to itself */
	LAB_ENOSLOT,		/* every process slot is taken */
	LAB_ESYNC,		/* unknown synchronization variant */
	LAB_EDEADLK,		/* deadlock detected in the wait-for graph */
	LAB_EHOLDERDEAD,	/* the semaphore's holder died holding it */
	LAB_ESTOPPED,		/* the lock's holder is stopped (SIGSTOP) */
	LAB_ETIMEDOUT,		/* waited longer than the lock timeout */
	LAB_ENOTRECOVERABLE,	/* a robust mutex was left unrecoverable */
	LAB_EBUSY,		/* no consistent snapshot within the retries */
	LAB_EWORKER,		/* a worker process failed or sent garbage */
	LAB_ESYMLINK,		/* the ledger's name is a symbolic link */
	LAB_EDB,		/* the database server said no (db.h) */
	LAB_EDBGONE,		/* the connection to the server was lost */
	LAB_EDBNOLEDGER,	/* no schema of that name */
	LAB_EDBFOREIGN,		/* a schema banklab did not make */
	LAB_ESERIALIZE,		/* 40001: could not serialize, rolled back */
	LAB_EDBOTHER,		/* others' objects in or on a ledger's schema */
	LAB_ELAST
};

/* One line describing code (negative or positive, errno or LAB_E*). */
const char *lab_strerror(int code);

/* Exit codes of every banklab program. */
enum lab_exit {
	LAB_EXIT_OK = 0,	/* clean, or the lesson shown as promised */
	LAB_EXIT_ANOMALY = 1,	/* an anomaly was found */
	LAB_EXIT_USAGE = 2,	/* bad usage */
	LAB_EXIT_SYSTEM = 3,	/* system failure */
	LAB_EXIT_INTERRUPTED = 130	/* SIGINT or SIGTERM: 128 + SIGINT */
};

/* Map a library return code to the exit code a program should use. */
int lab_exit_code(int code);

/*
 * Is a SIGINT or SIGTERM pending?  Programs that must clean up block both
 * while they run and look here between steps.
 */
bool lab_signalled(void);

/*
 * The end of a run that blocked sigs (old: the mask before): if a pending
 * one of them ended the run (was_ours), take it off first, so that
 * unblocking does not deliver it; then set the mask back to old.
 */
void lab_signals_restore(const sigset_t *sigs, const sigset_t *old,
    bool was_ours);

/*
 * Make a write to a closed pipe (`| head`) fail with EPIPE instead of
 * killing the program where it stands, its ledger and workers left behind.
 * Caught, not ignored: a program exec'd after fork gets the default back.
 */
void lab_sigpipe_quiet(void);

/*
 * |a - b|, at most INT64_MAX, without overflow: for sums of shared memory
 * another process may have forged.
 */
static inline int64_t
lab_distance(int64_t a, int64_t b)
{
	uint64_t d = a >= b ? (uint64_t)a - (uint64_t)b :
	    (uint64_t)b - (uint64_t)a;

	return d > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)d;
}

/* CLOCK_MONOTONIC in nanoseconds, milliseconds and seconds. */
uint64_t lab_now_ns(void);
uint64_t lab_now_ms(void);
double lab_now_s(void);

/*
 * A string constant as the char * that execv()'s argv and friends are
 * typed with for historical reasons: they never write through it.  The
 * one place a const is cast away, through an integer, so -Wcast-qual
 * stays on everywhere else.
 */
static inline char *
lab_unconst(const char *s)
{
	return (char *)(uintptr_t)s;
}

/*
 * splitmix64: small, good enough, and its state is the caller's alone (no
 * global state: the same seed gives the same stream).  Forced inline: the
 * benchmark draws in its timed loop, and gcc left a plain static inline
 * out of line there (33 instructions a draw, measured by callgrind).
 */
static inline __attribute__((always_inline)) uint64_t
lab_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

#endif
