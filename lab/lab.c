/* lab: the text of every error code, and its exit code. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "lab.h"

static const char *const lab_messages[] = {
	[LAB_ENAME - LAB_EFIRST] =
	    "bad ledger name (1 to 64 of A-Z a-z 0-9 _ -)",
	[LAB_EMAGIC - LAB_EFIRST] = "not a banklab ledger (bad magic)",
	[LAB_EVERSION - LAB_EFIRST] =
	    "made by another banklab format version",
	[LAB_ELAYOUT - LAB_EFIRST] =
	    "made by a build with another memory layout",
	[LAB_ESIZE - LAB_EFIRST] = "size differs from what its header claims",
	[LAB_EOWNER - LAB_EFIRST] = "belongs to another user",
	[LAB_EMODE - LAB_EFIRST] = "writable by group or others",
	[LAB_ECORRUPT - LAB_EFIRST] =
	    "corrupt (a count, index or state out of range)",
	[LAB_EACCOUNT - LAB_EFIRST] = "no such account",
	[LAB_EAMOUNT - LAB_EFIRST] = "amount must be positive and at most 10^15 cents",
	[LAB_EFUNDS - LAB_EFIRST] = "insufficient funds (nothing was changed)",
	[LAB_ESAME - LAB_EFIRST] = "cannot transfer from an account to itself",
	[LAB_ENOSLOT - LAB_EFIRST] = "every process slot of the ledger is taken",
	[LAB_ESYNC - LAB_EFIRST] =
	    "unknown variant (none, semaphore, robust, ordered)",
	[LAB_EDEADLK - LAB_EFIRST] = "deadlock: a cycle of processes each "
				     "waiting for a lock another holds",
	[LAB_EHOLDERDEAD - LAB_EFIRST] =
	    "the semaphore's holder died holding it; nothing can proceed "
	    "(robust mutexes exist for this)",
	[LAB_ESTOPPED - LAB_EFIRST] =
	    "the lock's holder is stopped (SIGSTOP), not dead",
	[LAB_ETIMEDOUT - LAB_EFIRST] = "timed out waiting for a lock",
	[LAB_ENOTRECOVERABLE - LAB_EFIRST] =
	    "a lock is unrecoverable (its dead owner's state was never "
	    "marked consistent)",
	[LAB_EBUSY - LAB_EFIRST] =
	    "no consistent snapshot could be taken (too much contention)",
	[LAB_EWORKER - LAB_EFIRST] = "a worker process failed",
	[LAB_ESYMLINK - LAB_EFIRST] =
	    "a symbolic link, not a ledger (refused: it could point anywhere)",
	[LAB_EDB - LAB_EFIRST] = "the database server refused or failed",
	[LAB_EDBGONE - LAB_EFIRST] = "the connection to the database server "
	    "was lost",
	[LAB_EDBNOLEDGER - LAB_EFIRST] = "no such ledger (no schema of that "
	    "name in the database)",
	[LAB_EDBFOREIGN - LAB_EFIRST] = "not a banklab ledger (a schema "
	    "without banklab's marker table)",
	[LAB_ESERIALIZE - LAB_EFIRST] = "could not serialize the transaction "
	    "(SQLSTATE 40001; rolled back)",
	[LAB_EDBOTHER - LAB_EFIRST] = "objects banklab did not make are in the "
	    "ledger's schema or depend on it (nothing was dropped)",
};

const char *
lab_strerror(int code)
{
	if (code < 0)
		code = code == INT_MIN ? 0 : -code;
	if (code > LAB_EFIRST && code < LAB_ELAST)
		return lab_messages[code - LAB_EFIRST];
	if (code == 0)
		return "success";
	return strerror(code);
}

void
lab_signals_restore(const sigset_t *sigs, const sigset_t *old, bool was_ours)
{
	struct timespec zero = { 0, 0 };

	while (was_ours && sigtimedwait(sigs, NULL, &zero) > 0)
		;
	sigprocmask(SIG_SETMASK, old, NULL);
}

int
lab_exit_code(int code)
{
	if (code < 0)
		code = code == INT_MIN ? EINVAL : -code;
	switch (code) {
	case 0:
		return LAB_EXIT_OK;
	case LAB_ENAME:
	case LAB_ESYNC:
	case LAB_EACCOUNT:
	case LAB_EAMOUNT:
	case LAB_ESAME:
		return LAB_EXIT_USAGE;
	case LAB_EFUNDS:
	case LAB_EDEADLK:
	case LAB_EHOLDERDEAD:
	case LAB_ESTOPPED:
	case LAB_ETIMEDOUT:
	case LAB_ENOTRECOVERABLE:
	case LAB_ESERIALIZE:
		return LAB_EXIT_ANOMALY;
	default:
		return LAB_EXIT_SYSTEM;
	}
}

uint64_t
lab_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t
lab_now_ms(void)
{
	return lab_now_ns() / 1000000u;
}

double
lab_now_s(void)
{
	return (double)lab_now_ns() / 1e9;
}

static void
lab_on_sigpipe(int sig)
{
	(void)sig;
}

void
lab_sigpipe_quiet(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = lab_on_sigpipe;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
}

bool
lab_signalled(void)
{
	sigset_t pending;

	return sigpending(&pending) == 0 &&
	    (sigismember(&pending, SIGINT) == 1 ||
	    sigismember(&pending, SIGTERM) == 1);
}
