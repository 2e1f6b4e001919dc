/*
 * sync: the synchronization variants behind one table of functions.
 *
 * Contract: sync_get() returns the table of a variant; bank.c calls only
 * through it.  lock_* return 0 or a negative code and, when they fail, hold
 * nothing.  While waiting a process publishes what it waits for in its slot
 * (slot->waits) and, once it has a lock, what it holds (slot->holds), so a
 * watchdog can draw the wait-for graph.  A lock wait gives up after
 * l->lock_timeout_ms with -LAB_EDEADLK if this process is on a cycle,
 * -LAB_EHOLDERDEAD / -LAB_ESTOPPED if the holder is dead / stopped, else
 * -LAB_ETIMEDOUT.  A robust lock whose owner died is repaired (repair.c)
 * before it is handed over.  The caller must own a slot (ledger_join()).
 */
#ifndef LAB_SYNC_H
#define LAB_SYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "ledger.h"

/* An audit: the sum of all balances and how it was taken. */
struct sync_audit {
	int64_t total;
	bool is_consistent;	/* a snapshot that existed at one instant */
	uint32_t attempts;	/* collects it took */
};

/* One process on a wait-for cycle, as a report shows it. */
struct sync_link {
	int32_t pid;
	int64_t holds;			/* account it holds (the one before
					 * it on the cycle waits for it) */
	int64_t waits;			/* account it waits for */
};

struct sync_ops {
	const char *name;
	enum sync_kind kind;
	int (*lock_one)(struct ledger *, uint32_t a);
	void (*unlock_one)(struct ledger *, uint32_t a);
	/* Locks both accounts of a transfer (from != to). */
	int (*lock_pair)(struct ledger *, uint32_t from, uint32_t to);
	void (*unlock_pair)(struct ledger *, uint32_t from, uint32_t to);
	int (*audit)(struct ledger *, struct sync_audit *);
};

/*
 * The table of variant k; NULL for a value that names no variant (callers
 * pass validated values: a header's is checked at attach, an option's when
 * parsed), never `none` in its place.
 */
const struct sync_ops *sync_get(enum sync_kind k);

/*
 * Choose variant k for this process: its table and its value (published
 * in our slot if we have one).  -LAB_ESYNC for a value that names no
 * variant, which is never run as `none`.
 */
int sync_use(struct ledger *l, enum sync_kind k);

/*
 * Create a ledger with every variant's locks set up before its magic is
 * published (ledger_create() with the variants' init), using cfg->sync.
 */
int sync_create(const char *name, const struct ledger_config *cfg,
    struct ledger *l);

/*
 * Make every lock of l anew, as sync_create() made them: each destroyed,
 * then initialized.  For a ledger put back as it was between runs
 * (sched_pool.c): nobody may hold or wait for any lock.  0 or -errno.
 */
int sync_renew_locks(struct ledger *l);

/*
 * Make every account's mutex anew without ROBUST: the benchmark's bare
 * normal-mutex anchor, on its own private ledger before any child
 * attaches.  0 or -errno.
 */
int sync_plain_mutexes(struct ledger *l);

/*
 * Attach by name (ledger_attach()), or through a descriptor handed down
 * (ledger_attach_fd()), and use the variant it was made for.
 */
int sync_attach(const char *name, struct ledger *l);
int sync_attach_fd(int fd, const char *name, struct ledger *l);

/*
 * The wait-for cycle through slot start, if any: fills slots[] with the
 * slot indices on it (at most max) and returns its length, 0 if none.
 */
int sync_find_cycle(const struct ledger *l, int start, int *slots, int max);

/*
 * Trace this process's locks and operations into t (trace.h), or stop
 * (NULL): sets l->trace and the variant's table to match (a traced
 * table marks the locks the variant cannot mark itself).
 */
struct trace;
void sync_trace(struct ledger *l, struct trace *t);

/* Absolute CLOCK_REALTIME deadline ms from now (for timed waits). */
void sync_deadline(struct timespec *ts, unsigned ms);

#endif
