/*
 * sched_worker: the worker's side of a schedule.  At every step point a
 * scheduled worker publishes where it is parked in its slot and waits
 * (spinning, then asleep on a futex) until the scheduler bumps its
 * sched_go; sched_run.c is the other side.
 */
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"
#include "schedule.h"
#include "sync_impl.h"

#define SCHED_WORKER_WAIT_MS	60000	/* a worker whose scheduler died */

/*
 * A parked worker sleeps in the kernel on its sched_go word (a futex in the
 * shared segment, so not FUTEX_PRIVATE): parked workers that spun would
 * take the CPUs the one released worker and the scheduler need.
 */
static void
sched_futex_wait(_Atomic uint32_t *word, uint32_t old, unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	/* The kernel takes the word's address: no C qualifier reaches it. */
	syscall(SYS_futex, (uintptr_t)word, FUTEX_WAIT, old, &ts, NULL, 0);
}

void
sched_futex_wake(_Atomic uint32_t *word)
{
	syscall(SYS_futex, (uintptr_t)word, FUTEX_WAKE, 1, NULL, NULL, 0);
}

void
sched_worker_park(struct ledger *l, unsigned step)
{
	struct ledger_slot *s = &l->slots[l->slot];
	uint32_t go = atomic_load_explicit(&s->sched_go, memory_order_acquire);
	uint64_t start = sync_now_ms();
	unsigned spins = 0;

	atomic_store(&s->step, step);
	atomic_store(&s->note_acct, l->step_acct);
	atomic_store(&s->note_value, l->step_value);
	atomic_store_explicit(&s->sched_parked, step, memory_order_release);
	while (atomic_load_explicit(&s->sched_go, memory_order_acquire) ==
	    go) {
		if (++spins < SCHED_SPINS)
			continue;	/* a quick release costs no syscall */
		sched_futex_wait(&s->sched_go, go, 100);
		/* Never wait forever for a scheduler that is gone. */
		if (sync_now_ms() - start > SCHED_WORKER_WAIT_MS)
			_exit(LAB_EXIT_SYSTEM);
	}
}

void
sched_worker_hook(struct ledger *l, unsigned step, void *arg)
{
	/*
	 * Park at every step point, on the way to a target too: the
	 * scheduler records each one (a row of the timeline) and releases
	 * us again until we reach it.  The target stays set meanwhile: it
	 * arms a minor step point (ledger_step_minor()) named by one.
	 */
	(void)arg;
	sched_worker_park(l, step);
}
