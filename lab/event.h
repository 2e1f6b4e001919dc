/*
 * event: the ledger's anomalies, one record each, in a ring in the
 * segment (struct ledger_event, LEDGER_EVENTS of them).  Layer: ledger.
 *
 * Contract: whoever sees an anomaly posts it where it sees it: the
 * writer whose read went stale (a lost update), the repairer (a repair),
 * the waiter or an observer's scan (a dead holder, a wait-for cycle).
 * event_dead_holder() and event_cycle() post at most once per dead
 * owner and per wait, however many processes see it.  Readers follow
 * the sequence number; a reader a whole ring behind is told how many it
 * missed.  Posting takes no lock, so a poster killed half-way leaves one
 * record unfinished, and readers skip it; nothing in the ring is
 * trusted (event_read() checks what it copies).
 */
#ifndef LAB_EVENT_H
#define LAB_EVENT_H

#include <stdint.h>

#include "ledger.h"

enum event_kind {
	/* a: writes it overwrote (version now - version read), b: version read */
	EVENT_LOST_UPDATE = 1,
	/* other_pid: the cycle's first process, acct: what it waits for,
	 * a: processes on the cycle, b: the pid holding acct */
	EVENT_DEADLOCK,
	/* other_pid: the dead owner, a: balance found, b: restored */
	EVENT_REPAIR,
	/* other_pid: the dead process, acct: a lock it holds */
	EVENT_DEAD_HOLDER,
	EVENT_KINDS
};

/* One record as read: checked, and the pids plain ints. */
struct event {
	uint64_t seq;
	enum event_kind kind;
	int32_t pid, other_pid;
	int64_t acct, a, b, ms;
};

/* Post one event (the caller's pid is l->pid; an observer posts 0). */
void event_post(const struct ledger *l, enum event_kind kind,
    int32_t other_pid, int64_t acct, int64_t a, int64_t b);

/* The number the next event will have. */
uint64_t event_next(const struct ledger *l);

/*
 * Event seq into *e: 0; -EAGAIN if not posted yet (or being written);
 * -ESTALE if the ring has moved past it; -EBADMSG if what is there is
 * not an event (a forged or torn record).
 */
int event_read(const struct ledger *l, uint64_t seq, struct event *e);

/* Slot i's process is dead and holds a lock: post it, once per death. */
void event_dead_holder(const struct ledger *l, int i);

/*
 * The cycle of slots cycle[0..len-1] (sync_find_cycle()'s): post it once
 * per wait of its lowest slot, whoever finds it first.
 */
void event_cycle(const struct ledger *l, const int *cycle, int len);

/* "lost_update", "deadlock", "repair", "dead_holder"; "?" else. */
const char *event_name(enum event_kind k);

#endif
