/*
 * serve_events: GET /v1/events, Server-Sent Events (serve_events.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "api.h"
#include "bank.h"
#include "event.h"
#include "lab.h"
#include "ledger.h"
#include "serve_events.h"
#include "sync.h"

#define EV_BUF		16384
#define EV_ROOM		512	/* bytes one more event may need */
#define EV_CYCLE_MAX	16
#define EV_SHOWN	64	/* accounts and processes an event lists */

struct ev_stream {
	struct serve_events *ev;
	struct MHD_Connection *c;
	bool is_used, is_suspended;
	uint64_t next_ms;		/* the next summary is due */
	uint64_t seq;			/* the next event of the ring */
	uint64_t stuck_ms;		/* when seq was first seen unfinished */
	uint64_t accounts_hash, processes_hash;	/* as last sent */
	char buf[EV_BUF];		/* events not yet sent */
	size_t len, off;
};

struct serve_events {
	pthread_mutex_t mu;		/* streams, between MHD's thread
					 * and the teller's main thread */
	const struct ledger *l;
	const char *pid;
	bool is_stopping;
	unsigned max;
	struct ev_stream *s;
};

/*
 * What each kind's figures are called (event.h says what they are); a
 * NULL name is not sent.
 */
static const struct {
	const char *other_pid, *acct, *a, *b;
} ev_fields[EVENT_KINDS] = {
	[EVENT_LOST_UPDATE] = { "overwritten_pid", "account", "overwrote",
	    "version_read" },
	[EVENT_DEADLOCK] = { "first_pid", "waits_for", "processes",
	    "holder_pid" },
	[EVENT_REPAIR] = { "dead_pid", "account", "found_cents",
	    "restored_cents" },
	[EVENT_DEAD_HOLDER] = { "dead_pid", "account", NULL, NULL },
};

/* Append one event to st's buffer (dropped if it does not fit). */
static void
ev_add(struct ev_stream *st, const char *name, const char *data)
{
	int n = snprintf(st->buf + st->len, EV_BUF - st->len,
	    "event: %s\ndata: %s\n\n", name, data);

	if (n > 0 && (size_t)n < EV_BUF - st->len)
		st->len += (size_t)n;
}

/* FNV-1a of s: whether an event says something new. */
static uint64_t
ev_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* Append event name with data d if it differs from what *last says. */
static void
ev_add_changed(struct ev_stream *st, const char *name, const char *d,
    uint64_t *last)
{
	uint64_t h = ev_hash(d);

	if (h != *last) {
		ev_add(st, name, d);
		*last = h;
	}
}

/*
 * "accounts": the first EV_SHOWN balances, and the least and greatest of
 * all (a larger ledger's summary).  Unlocked reads, as GET /v1/accounts.
 */
static void
ev_accounts(const struct ledger *l, struct ev_stream *st)
{
	char d[EV_SHOWN * 24 + 160];
	int64_t b, lo = INT64_MAX, hi = INT64_MIN;
	size_t n;
	uint32_t i;

	n = (size_t)snprintf(d, sizeof(d), "{\"accounts\": %u, "
	    "\"balances_cents\": [", (unsigned)l->naccounts);
	for (i = 0; i < l->naccounts; i++) {
		b = atomic_load_explicit(&l->acct[i].balance,
		    memory_order_relaxed);
		lo = b < lo ? b : lo;
		hi = b > hi ? b : hi;
		if (i < EV_SHOWN)
			n += (size_t)snprintf(d + n, sizeof(d) - n, "%s%"
			    PRId64, i > 0 ? ", " : "", b);
	}
	snprintf(d + n, sizeof(d) - n, "], \"min_cents\": %" PRId64
	    ", \"max_cents\": %" PRId64 "}", l->naccounts > 0 ? lo : 0,
	    l->naccounts > 0 ? hi : 0);
	ev_add_changed(st, "accounts", d, &st->accounts_hash);
}

/* "processes": GET /v1/processes' first EV_SHOWN, and how many in all. */
static void
ev_processes(const struct ledger *l, struct ev_stream *st)
{
	struct json_object *o, *arr;
	size_t n;

	if (api_processes(l, &o) < 0)
		return;
	if (json_object_object_get_ex(o, "processes", &arr) &&
	    (n = json_object_array_length(arr)) > EV_SHOWN) {
		json_object_array_del_idx(arr, EV_SHOWN, n - EV_SHOWN);
		json_object_object_add(o, "more", json_object_new_int64(
		    (int64_t)(n - EV_SHOWN)));
	}
	ev_add_changed(st, "processes", json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN), &st->processes_hash);
	json_object_put(o);
}

/* One event of the ring, as SSE. */
static void
ev_add_event(struct ev_stream *st, const struct event *e)
{
	char d[384], acct[24];
	int n;

	if (e->acct >= 0)
		snprintf(acct, sizeof(acct), "%" PRId64, e->acct);
	else
		snprintf(acct, sizeof(acct), "null");
	n = snprintf(d, sizeof(d), "{\"seq\": %" PRIu64 ", \"pid\": %d, "
	    "\"%s\": %d, \"%s\": %s, \"ms\": %" PRId64, e->seq, (int)e->pid,
	    ev_fields[e->kind].other_pid, (int)e->other_pid,
	    ev_fields[e->kind].acct, acct, e->ms);
	if (ev_fields[e->kind].a != NULL && n > 0 && (size_t)n < sizeof(d))
		n += snprintf(d + n, sizeof(d) - (size_t)n, ", \"%s\": %"
		    PRId64 ", \"%s\": %" PRId64, ev_fields[e->kind].a, e->a,
		    ev_fields[e->kind].b, e->b);
	if (n > 0 && (size_t)n < sizeof(d) - 1)
		snprintf(d + n, sizeof(d) - (size_t)n, "}");
	ev_add(st, event_name(e->kind), d);
}

/* Events st could not have: say how many. */
static void
ev_add_missed(struct ev_stream *st, uint64_t n)
{
	char d[64];

	snprintf(d, sizeof(d), "{\"missed\": %" PRIu64 "}", n);
	ev_add(st, "dropped", d);
}

/*
 * Dead processes holding a lock; processes on a wait-for cycle.  Each
 * one found is posted to the ring as well (once: event.h), so a dead
 * holder nobody waits for and a deadlock not yet timed out are told too.
 */
static void
ev_scan(const struct ledger *l, unsigned *dead, unsigned *cycled)
{
	int on[EV_CYCLE_MAX], len;
	int32_t sem = atomic_load(&l->hdr->sem_holder);
	uint32_t i;

	*dead = *cycled = 0;
	for (i = 0; i < l->nslots; i++) {
		const struct ledger_slot *s = &l->slots[i];

		if (atomic_load(&s->pid) <= 0)
			continue;
		if ((atomic_load(&s->holds[0]) >= 0 ||
		    atomic_load(&s->holds[1]) >= 0 || sem == (int32_t)i) &&
		    !ledger_slot_alive(l, (int)i)) {
			(*dead)++;
			event_dead_holder(l, (int)i);
		}
		if (atomic_load(&s->waits) >= 0 &&
		    (len = sync_find_cycle(l, (int)i, on, EV_CYCLE_MAX)) > 0) {
			(*cycled)++;
			event_cycle(l, on, len);
		}
	}
}

/* The summary: the books and what is wrong now. */
static void
ev_summary(struct serve_events *ev, struct ev_stream *st)
{
	const struct ledger *l = ev->l;
	struct bank_check c;
	struct ledger_counters books;
	unsigned dead, cycled;
	char d[512];

	bank_check(l, &c);
	ledger_books(l, &books);
	ev_scan(l, &dead, &cycled);
	snprintf(d, sizeof(d), "{\"teller\": %s, \"total_cents\": %" PRId64
	    ", \"books_cents\": %" PRId64 ", \"lost_cents\": %" PRId64
	    ", \"lost_updates\": %" PRId64 ", \"repairs\": %" PRIu64
	    ", \"dead_holders\": %u, \"deadlocked\": %u, \"events\": %"
	    PRIu64 ", \"ops\": %" PRIu64 ", \"variant\": \"%s\"}", ev->pid,
	    c.observed, c.expected, c.lost_cents, c.lost_writes,
	    atomic_load(&l->hdr->repairs), dead, cycled, event_next(l),
	    books.ops, ledger_sync_name(l->sync_kind));
	ev_add(st, "summary", d);
	ev_accounts(l, st);
	ev_processes(l, st);
}

/*
 * The ring's events st has not had, as many as fit.  One left unfinished
 * (its poster killed half-way) is skipped after a tick.
 */
static void
ev_follow(const struct ledger *l, struct ev_stream *st, uint64_t now)
{
	struct event e;
	uint64_t next;
	int r;

	while (st->len + EV_ROOM < EV_BUF) {
		if ((r = event_read(l, st->seq, &e)) == 0) {
			ev_add_event(st, &e);
			st->seq++;
			st->stuck_ms = 0;
		} else if (r == -ESTALE) {
			/* Lapped: on from the oldest the ring still has. */
			next = event_next(l);
			next = next > LEDGER_EVENTS ? next - LEDGER_EVENTS : 0;
			if (next <= st->seq)
				next = st->seq + 1;
			ev_add_missed(st, next - st->seq);
			st->seq = next;
			st->stuck_ms = 0;
		} else if (r == -EBADMSG ||
		    (st->stuck_ms != 0 && now >= st->stuck_ms +
		    SERVE_EVENTS_TICK_MS)) {
			ev_add_missed(st, 1);
			st->seq++;
			st->stuck_ms = 0;
		} else {
			if (st->seq < event_next(l) && st->stuck_ms == 0)
				st->stuck_ms = now;
			return;
		}
	}
}

/* The summary when due, then the events that wait. */
static void
ev_fill(struct serve_events *ev, struct ev_stream *st, uint64_t now)
{
	st->len = st->off = 0;
	if (now >= st->next_ms) {
		ev_summary(ev, st);
		st->next_ms = now + SERVE_EVENTS_TICK_MS;
	}
	ev_follow(ev->l, st, now);
}

static ssize_t
ev_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct ev_stream *st = cls;
	struct serve_events *ev = st->ev;
	uint64_t now;
	size_t n;

	(void)pos;
	pthread_mutex_lock(&ev->mu);
	if (ev->is_stopping) {
		pthread_mutex_unlock(&ev->mu);
		return MHD_CONTENT_READER_END_OF_STREAM;
	}
	if (st->off == st->len) {
		now = lab_now_ms();
		ev_fill(ev, st, now);
		if (st->len == 0) {
			/* Nothing to say: wait for the next tick. */
			st->is_suspended = true;
			MHD_suspend_connection(st->c);
			pthread_mutex_unlock(&ev->mu);
			return 0;
		}
	}
	n = st->len - st->off < max ? st->len - st->off : max;
	memcpy(buf, st->buf + st->off, n);
	st->off += n;
	pthread_mutex_unlock(&ev->mu);
	return (ssize_t)n;
}

static void
ev_done(void *cls)
{
	struct ev_stream *st = cls;

	pthread_mutex_lock(&st->ev->mu);
	st->is_used = false;
	st->is_suspended = false;
	pthread_mutex_unlock(&st->ev->mu);
}

struct serve_events *
serve_events_new(const struct ledger *l, unsigned max, const char *pid)
{
	struct serve_events *ev = calloc(1, sizeof(*ev));

	if (ev == NULL || (ev->s = calloc(max, sizeof(*ev->s))) == NULL) {
		free(ev);
		return NULL;
	}
	pthread_mutex_init(&ev->mu, NULL);
	ev->l = l;
	ev->pid = pid;
	ev->max = max;
	return ev;
}

/* A stream's first state: events from now on, a summary at once. */
static void
ev_stream_init(struct serve_events *ev, struct ev_stream *st,
    struct MHD_Connection *c)
{
	memset(st, 0, sizeof(*st));
	st->ev = ev;
	st->c = c;
	st->is_used = true;
	st->seq = event_next(ev->l);
}

enum MHD_Result
serve_events_start(struct serve_events *ev, struct MHD_Connection *c)
{
	static const char full[] = "{\"error\":\"too many event streams\"}\n";
	struct MHD_Response *r;
	struct ev_stream *st = NULL;
	enum MHD_Result ok;
	unsigned i, status = 200;

	pthread_mutex_lock(&ev->mu);
	for (i = 0; i < ev->max && st == NULL; i++)
		if (!ev->s[i].is_used && !ev->is_stopping)
			st = &ev->s[i];
	if (st != NULL)
		ev_stream_init(ev, st, c);
	pthread_mutex_unlock(&ev->mu);
	if (st == NULL) {
		status = 503;
		r = MHD_create_response_from_buffer(sizeof(full) - 1,
		    (void *)(uintptr_t)full, MHD_RESPMEM_PERSISTENT);
	} else {
		r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 1024,
		    ev_read, st, ev_done);
	}
	if (r == NULL) {
		if (st != NULL)
			ev_done(st);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", st != NULL ?
	    "text/event-stream" : "application/json");
	MHD_add_response_header(r, "Cache-Control", "no-cache");
	MHD_add_response_header(r, "X-Banklab-Teller", ev->pid);
	if (status == 503)
		MHD_add_response_header(r, "Retry-After", "1");
	ok = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ok;
}

/* Resume every waiting stream; with is_stopping, they end. */
static void
ev_resume_all(struct serve_events *ev, bool is_stopping)
{
	unsigned i;

	pthread_mutex_lock(&ev->mu);
	if (is_stopping)
		ev->is_stopping = true;
	for (i = 0; i < ev->max; i++)
		if (ev->s[i].is_used && ev->s[i].is_suspended) {
			ev->s[i].is_suspended = false;
			MHD_resume_connection(ev->s[i].c);
		}
	pthread_mutex_unlock(&ev->mu);
}

void
serve_events_tick(struct serve_events *ev)
{
	ev_resume_all(ev, false);
}

void
serve_events_stop(struct serve_events *ev)
{
	ev_resume_all(ev, true);
}

void
serve_events_free(struct serve_events *ev)
{
	if (ev == NULL)
		return;
	pthread_mutex_destroy(&ev->mu);
	free(ev->s);
	free(ev);
}
