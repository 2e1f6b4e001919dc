/*
 * event: the anomaly ring (event.h).
 *
 * A poster takes a number (one atomic add), marks the record unfinished
 * (seq 0), writes it, and publishes seq = number + 1 with a release
 * store; a reader that finds number + 1 there before and after copying
 * the fields has a whole record.  A poster delayed for a whole lap can
 * still tear one record; the reader's checks keep that to a wrong
 * figure, never a crash.
 */
#include <errno.h>
#include <time.h>

#include "event.h"

static const char *const event_names[EVENT_KINDS] = {
	[EVENT_LOST_UPDATE] = "lost_update",
	[EVENT_DEADLOCK] = "deadlock",
	[EVENT_REPAIR] = "repair",
	[EVENT_DEAD_HOLDER] = "dead_holder",
};

const char *
event_name(enum event_kind k)
{
	if ((unsigned)k >= EVENT_KINDS || event_names[k] == NULL)
		return "?";
	return event_names[k];
}

void
event_post(const struct ledger *l, enum event_kind kind, int32_t other_pid,
    int64_t acct, int64_t a, int64_t b)
{
	struct ledger_header *h = l->hdr;
	uint64_t n = atomic_fetch_add(&h->event_next, 1);
	struct ledger_event *e = &h->events[n % LEDGER_EVENTS];
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	atomic_store_explicit(&e->seq, 0, memory_order_relaxed);
	/* Unfinished before any field changes. */
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&e->kind, (uint32_t)kind, memory_order_relaxed);
	atomic_store_explicit(&e->pid, l->slot >= 0 ? l->pid : 0,
	    memory_order_relaxed);
	atomic_store_explicit(&e->other_pid, other_pid, memory_order_relaxed);
	atomic_store_explicit(&e->acct, acct, memory_order_relaxed);
	atomic_store_explicit(&e->a, a, memory_order_relaxed);
	atomic_store_explicit(&e->b, b, memory_order_relaxed);
	atomic_store_explicit(&e->ms, (int64_t)ts.tv_sec * 1000 +
	    ts.tv_nsec / 1000000, memory_order_relaxed);
	atomic_store_explicit(&e->seq, n + 1, memory_order_release);
}

uint64_t
event_next(const struct ledger *l)
{
	return atomic_load(&l->hdr->event_next);
}

int
event_read(const struct ledger *l, uint64_t seq, struct event *ev)
{
	const struct ledger_event *e = &l->hdr->events[seq % LEDGER_EVENTS];
	uint64_t next = event_next(l), s1, s2;
	uint32_t kind;

	if (seq >= next)
		return -EAGAIN;
	if (next - seq > LEDGER_EVENTS)
		return -ESTALE;
	s1 = atomic_load_explicit(&e->seq, memory_order_acquire);
	if (s1 > seq + 1)
		return -ESTALE;
	if (s1 != seq + 1)
		return -EAGAIN;		/* being written, or abandoned */
	kind = atomic_load_explicit(&e->kind, memory_order_relaxed);
	ev->seq = seq;
	ev->pid = atomic_load_explicit(&e->pid, memory_order_relaxed);
	ev->other_pid = atomic_load_explicit(&e->other_pid,
	    memory_order_relaxed);
	ev->acct = atomic_load_explicit(&e->acct, memory_order_relaxed);
	ev->a = atomic_load_explicit(&e->a, memory_order_relaxed);
	ev->b = atomic_load_explicit(&e->b, memory_order_relaxed);
	ev->ms = atomic_load_explicit(&e->ms, memory_order_relaxed);
	atomic_thread_fence(memory_order_acquire);
	s2 = atomic_load_explicit(&e->seq, memory_order_relaxed);
	if (s2 != s1)
		return s2 > s1 || s2 == 0 ? -ESTALE : -EBADMSG;
	if (kind == 0 || kind >= EVENT_KINDS)
		return -EBADMSG;
	ev->kind = (enum event_kind)kind;
	if (!ledger_index_ok(l, ev->acct))
		ev->acct = LEDGER_NONE;
	return 0;
}

/* The first account slot s lists as held, or LEDGER_NONE. */
static int64_t
event_held(const struct ledger *l, const struct ledger_slot *s)
{
	int64_t a = atomic_load(&s->holds[0]);

	if (ledger_index_ok(l, a))
		return a;
	a = atomic_load(&s->holds[1]);
	return ledger_index_ok(l, a) ? a : LEDGER_NONE;
}

void
event_dead_holder(const struct ledger *l, int i)
{
	struct ledger_slot *s;
	uint32_t was = 0;

	if (i < 0 || (uint32_t)i >= l->nslots)
		return;
	s = &l->slots[i];
	if (atomic_compare_exchange_strong(&s->dead_told, &was, 1))
		event_post(l, EVENT_DEAD_HOLDER, atomic_load(&s->pid),
		    event_held(l, s), 0, 0);
}

void
event_cycle(const struct ledger *l, const int *cycle, int len)
{
	struct ledger_slot *s;
	int k, low = -1, holder;
	uint32_t was = 0;
	int64_t w;

	for (k = 0; k < len; k++)
		if (cycle[k] >= 0 && (uint32_t)cycle[k] < l->nslots &&
		    (low < 0 || cycle[k] < low))
			low = cycle[k];
	if (low < 0 || len < 2)
		return;
	s = &l->slots[low];
	if (!atomic_compare_exchange_strong(&s->cycle_told, &was, 1))
		return;
	w = atomic_load(&s->waits);
	holder = ledger_holder_of(l, w);
	event_post(l, EVENT_DEADLOCK, atomic_load(&s->pid), w, len,
	    holder >= 0 && (uint32_t)holder < l->nslots ?
	    atomic_load(&l->slots[holder].pid) : 0);
}
