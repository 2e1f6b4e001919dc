/*
 * sync: the variant table, lock storage set-up, and what every variant's
 * waiting shares: deadlines, the wait-for graph, and telling a dead holder
 * from a stopped one.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "event.h"
#include "lab.h"
#include "step.h"
#include "sync.h"
#include "sync_impl.h"

const struct sync_ops *
sync_get(enum sync_kind k)
{
	switch (k) {
	case SYNC_SEMAPHORE:
		return &sync_semaphore_ops;
	case SYNC_ROBUST:
		return &sync_robust_ops;
	case SYNC_ORDERED:
		return &sync_ordered_ops;
	case SYNC_NONE:
		return &sync_none_ops;
	default:
		/* A damaged or future value must not run without locks. */
		return NULL;
	}
}

int
sync_use(struct ledger *l, enum sync_kind k)
{
	const struct sync_ops *ops = sync_get(k);

	if (ops == NULL)
		return -LAB_ESYNC;
	l->sync = l->trace != NULL ? sync_traced(k) : ops;
	l->sync_kind = k;
	if (l->slot >= 0)
		atomic_store(&l->slots[l->slot].sync, (uint32_t)k);
	return 0;
}

/*
 * Every account's mutex made, robust or plain, process-shared; destroyed
 * first if is_again (nobody may hold or wait for one).
 */
static int
sync_mutexes(struct ledger *l, bool is_robust, bool is_again)
{
	pthread_mutexattr_t attr;
	uint32_t i;
	int r;

	if ((r = pthread_mutexattr_init(&attr)) != 0)
		return -r;
	if ((r = pthread_mutexattr_setpshared(&attr,
	    PTHREAD_PROCESS_SHARED)) != 0 || (is_robust &&
	    (r = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST)) != 0))
		goto out;
	for (i = 0; i < l->naccounts; i++) {
		if (is_again &&
		    (r = pthread_mutex_destroy(&l->acct[i].mutex)) != 0)
			break;
		if ((r = pthread_mutex_init(&l->acct[i].mutex, &attr)) != 0)
			break;
	}
out:
	pthread_mutexattr_destroy(&attr);
	return -r;
}

/* Every ledger gets every lock: a process may pick its own variant. */
static int
sync_init_ledger(struct ledger *l)
{
	int r;

	if ((r = sync_mutexes(l, true, false)) < 0)
		return r;
	return sem_init(&l->hdr->sem, 1, 1) == -1 ? -errno : 0;
}

int
sync_plain_mutexes(struct ledger *l)
{
	return sync_mutexes(l, false, true);
}

int
sync_renew_locks(struct ledger *l)
{
	int r;

	if ((r = sync_mutexes(l, true, true)) < 0)
		return r;
	if (sem_destroy(&l->hdr->sem) == -1)
		return -errno;
	return sem_init(&l->hdr->sem, 1, 1) == -1 ? -errno : 0;
}

void
sync_trace(struct ledger *l, struct trace *t)
{
	l->trace = t;
	if (l->sync != NULL)
		sync_use(l, l->sync_kind);
}

int
sync_create(const char *name, const struct ledger_config *cfg,
    struct ledger *l)
{
	int r;

	if ((r = ledger_create(name, cfg, sync_init_ledger, l)) < 0)
		return r;
	return sync_use(l, cfg->sync);
}

/* After an attach that returned r: the ledger's own variant. */
static int
sync_attached(struct ledger *l, int r)
{
	if (r < 0)
		return r;
	if ((r = sync_use(l, l->created_sync)) < 0)
		ledger_detach(l);
	return r;
}

int
sync_attach(const char *name, struct ledger *l)
{
	return sync_attached(l, ledger_attach(name, l));
}

int
sync_attach_fd(int fd, const char *name, struct ledger *l)
{
	return sync_attached(l, ledger_attach_fd(fd, name, l));
}

void
sync_deadline(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}


uint64_t
sync_sum_plain(struct ledger *l)
{
	uint64_t sum = 0;
	uint32_t i;

	for (i = 0; i < l->naccounts; i++) {
		int64_t b = atomic_load_explicit(&l->acct[i].balance,
		    memory_order_relaxed);

		sum += (uint64_t)b;
		step_point(l, STEP_AUDIT_READ, i, b);
		step_window(l);
	}
	return sum;
}

/* The exercises' name for the library clock (lab/exercise.h). */
uint64_t
sync_now_ms(void)
{
	return lab_now_ms();
}

unsigned
sync_slice(const struct ledger *l, uint64_t start)
{
	uint64_t spent = sync_now_ms() - start;

	if (spent >= l->lock_timeout_ms)
		return 0;
	return l->lock_timeout_ms - spent < SYNC_SLICE_MS ?
	    (unsigned)(l->lock_timeout_ms - spent) : SYNC_SLICE_MS;
}

int
sync_find_cycle(const struct ledger *l, int start, int *slots, int max)
{
	int cur = start, len = 0;
	uint32_t hops;

	if (start < 0 || (uint32_t)start >= l->nslots)
		return 0;
	/* A cycle through start has at most nslots hops; a longer walk loops
	 * elsewhere, so the bound also ends walks over a hostile graph. */
	for (hops = 0; hops <= l->nslots; hops++) {
		int64_t w = atomic_load(&l->slots[cur].waits);
		int h;

		if (len < max)
			slots[len] = cur;
		len++;
		if (!ledger_index_ok(l, w))
			return 0;
		h = ledger_holder_of(l, w);
		if (h < 0 || h == cur)
			return 0;
		if (h == start)
			return len < max ? len : max;
		cur = h;
	}
	return 0;
}

bool
sync_pid_stopped(int32_t pid)
{
	unsigned flags;
	char state;

	return ledger_pid_stat(pid, &state, &flags) == 0 &&
	    (state == 'T' || state == 't');
}

void
sync_trace_taken_(struct ledger *l, int64_t a, int rc)
{
	trace_end(l->trace, rc);
	if (rc == 0)
		trace_begin(l->trace, TRACE_S_HOLD, a, -1, 0);
}

/* Why a wait for a lock held by slot holder (or -1) went on too long. */
int
sync_wait_failed(struct ledger *l, int holder)
{
	int cycle[LEDGER_SLOTS], len;

	l->blocker_pid = 0;
	if (holder >= 0 && (uint32_t)holder < l->nslots) {
		l->blocker_pid = atomic_load(&l->slots[holder].pid);
		if (!ledger_slot_alive(l, holder))
			event_dead_holder(l, holder);
	}
	if ((len = sync_find_cycle(l, l->slot, cycle, LEDGER_SLOTS)) > 0) {
		event_cycle(l, cycle, len);
		if (l->trace != NULL)
			trace_put(l->trace, TRACE_DEADLOCK, 0, l->blocker_pid,
			    atomic_load(&l->slots[l->slot].waits), 0, 0);
		return -LAB_EDEADLK;
	}
	if (sync_pid_stopped(l->blocker_pid))
		return -LAB_ESTOPPED;
	return -LAB_ETIMEDOUT;
}
