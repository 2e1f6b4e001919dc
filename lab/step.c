/*
 * step: step point names, and the worker's side of a schedule.  At every
 * step point a scheduled worker publishes where it is parked in its slot
 * and waits (spinning, then asleep on a futex) until the scheduler bumps
 * its sched_go; sched_run.c is the other side (and sched_pool.c, which
 * releases a worker parked at its end towards STEP_START to have it run
 * its script again: worker_serve_script()).
 */
#include <linux/futex.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"
#include "step.h"

static const char *const step_names[STEP_COUNT] = {
	[STEP_LOCK] = "lock",
	[STEP_FIRST_LOCK] = "first_lock",
	[STEP_READ_FROM] = "read_from",
	[STEP_READ_TO] = "read_to",
	[STEP_WRITE_FROM] = "write_from",
	[STEP_WRITE_TO] = "write_to",
	[STEP_UNLOCK] = "unlock",
	[STEP_AUDIT_READ] = "audit_read",
	[STEP_REPAIR] = "repair",
	[STEP_UNLOCK_SECOND] = "unlock_second",
	[STEP_AUDIT_LOCK] = "audit_lock",
};

const char *
step_name(unsigned step)
{
	if (step == 0 || step >= STEP_COUNT)
		return NULL;
	return step_names[step];
}

int
step_parse(const char *s)
{
	unsigned i;

	for (i = 1; i < STEP_COUNT; i++)
		if (strcmp(s, step_names[i]) == 0)
			return (int)i;
	return -1;
}

/*
 * A parked worker sleeps in the kernel on its sched_go word (a futex in the
 * shared segment, so not FUTEX_PRIVATE): parked workers that spun would
 * take the CPUs the one released worker and the scheduler need.
 */
static void
step_futex_wait(_Atomic uint32_t *word, uint32_t old, unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	/* The kernel takes the word's address: no C qualifier reaches it. */
	syscall(SYS_futex, (uintptr_t)word, FUTEX_WAIT, old, &ts, NULL, 0);
}

void
step_wake(_Atomic uint32_t *word)
{
	syscall(SYS_futex, (uintptr_t)word, FUTEX_WAKE, 1, NULL, NULL, 0);
}

void
step_park(struct ledger *l, unsigned step)
{
	struct ledger_slot *s = &l->slots[l->slot];
	uint32_t go = atomic_load_explicit(&s->sched_go, memory_order_acquire);
	pid_t parent = 0;
	unsigned spins = 0;

	atomic_store(&s->step, step);
	atomic_store(&s->note_acct, l->step_acct);
	atomic_store(&s->note_value, l->step_value);
	atomic_store_explicit(&s->sched_parked, step, memory_order_release);
	while (atomic_load_explicit(&s->sched_go, memory_order_acquire) ==
	    go) {
		if (++spins < STEP_SPINS)
			continue;	/* a quick release costs no syscall */
		/* Who parks us, asked off the fast path (PDEATHSIG covers
		 * a parent that died before). */
		if (parent == 0)
			parent = getppid();
		step_futex_wait(&s->sched_go, go, 100);
		/*
		 * Never wait forever for a scheduler that is gone (its death
		 * signal normally ends us first): run on unscheduled, to the
		 * end, and let our caller finish as it would.  Only gone: a
		 * game's player may think for minutes between two steps, and
		 * its scheduler (our parent) keeps us parked all that time.
		 */
		if (getppid() != parent) {
			step_unhook(l);
			break;
		}
	}
}

void
step_reached(struct ledger *l, unsigned step, int64_t acct, int64_t value)
{
	if (l->trace != NULL)
		trace_put(l->trace, TRACE_STEP, step, 0, acct, 0, value);
	if (l->step != NULL) {
		l->step_acct = acct;
		l->step_value = value;
		l->step(l, step, l->step_arg);
	}
}

static void
step_scheduled(struct ledger *l, unsigned step, void *arg)
{
	/*
	 * Park at every step point, on the way to a target too: the
	 * scheduler records each one (a row of the timeline) and releases
	 * us again until we reach it.  The target stays set meanwhile: it
	 * arms a minor step point (step_point_minor()) named by one.
	 */
	(void)arg;
	step_park(l, step);
}

void
step_hook_scheduled(struct ledger *l)
{
	l->step = step_scheduled;
	l->step_arg = NULL;
}

void
step_unhook(struct ledger *l)
{
	l->step = NULL;
	l->step_arg = NULL;
}
