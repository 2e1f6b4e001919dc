/*
 * sched_impl: what the scheduler's own files share.  sched_run.c makes a
 * run's steps (settle, release, advance, choose, kill); sched_pool.c keeps
 * its processes and its ledger: started fresh, or kept from a clean run
 * before and reset; and at the end collects the reports and judges.
 *
 * Layer: schedules (schedule.h).  Not for programs: one process, the
 * scheduler, uses a pool and its runs.
 */
#ifndef LAB_SCHED_IMPL_H
#define LAB_SCHED_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "ledger.h"
#include "schedule.h"
#include "spawn.h"

#define SCHED_SETTLE_MS		5000	/* a step that never comes */
#define SCHED_REPORT_MAX	4096	/* one worker's report line */

/* The workers and the ledger of one schedule under one variant. */
struct sched_pool {
	const struct sched_spec *s;
	enum sync_kind v;
	bool is_reused;		/* keep both after a clean run */
	bool is_live;		/* both up, the workers parked at their end */
	struct ledger l;	/* ours (an observer; it joins to recover) */
	struct ledger fresh;	/* ours as created: every run starts from it */
	struct spawn_set set;	/* child i is process i */
	int32_t pid[SCHED_PROCS_MAX];
	int slot[SCHED_PROCS_MAX];
	unsigned char *snap;	/* the segment with every worker at its start */
	unsigned starts;	/* runs that started everything afresh */
	char name[LEDGER_NAME_MAX + 1];
};

struct sched_proc_state {
	int32_t pid;
	int slot;		/* its ledger slot, -1 until it is found */
	bool is_dead;
	bool was_killed;
	unsigned seen_step;	/* last step recorded in the timeline */
	uint32_t seen_go;	/* ... at this release */
	bool was_waiting;	/* last recorded as waiting */
	unsigned target;	/* the step it is to run to, 0: the next */
	bool is_fresh;		/* parked at a new step since the last choice */
};

/* One run. */
struct sched_ctx {
	const struct sched_spec *s;
	enum sync_kind v;
	struct sched_pool *pool;
	struct ledger *l;	/* &pool->l */
	struct sched_proc_state p[SCHED_PROCS_MAX];
	int n;
	struct sched_result *r;
	unsigned kills;		/* kills the chooser made */
};

/* sched_run.c */

/* Say why the run could not be made ("WHAT: WHY"); returns code. */
int sched_fail(struct sched_ctx *c, int code, const char *what,
    const char *why);

/* Has process i exited?  Asked without reaping. */
bool sched_exited(const struct sched_ctx *c, int i);

/* The step process i is parked at, 0 while it runs (or is dead). */
unsigned sched_parked_at(const struct sched_ctx *c, int i);

/* Wait until no process can move; record what each one reached. */
int sched_settle(struct sched_ctx *c, bool *blocked);

/* Release process i towards target (0: its next step point). */
void sched_release(struct sched_ctx *c, int i, unsigned target);

/* The process holding what i waits for, or -1. */
int sched_holder_proc(const struct sched_ctx *c, int i);

/* Which processes are blocked (waiting on a parked or blocked holder). */
void sched_blocked(struct sched_ctx *c, bool *blocked);

/* Has every process not finished blocked (a deadlock)? */
bool sched_deadlocked(struct sched_ctx *c, const bool *blocked);

/* Take every process from its start to its first step point. */
int sched_to_first(struct sched_ctx *c);

/*
 * One entry of a permutation: release (or kill) e->proc, and take it to
 * its target; blocked is kept up to date.  *is_deadlocked: every live
 * process now waits in a cycle (recorded in the result).  A run and a
 * game (sched_play.c) take their steps through this one function.
 */
int sched_take_entry(struct sched_ctx *c, const struct sched_entry *e,
    bool *blocked, bool *is_deadlocked);

/* After the permutation: ch's choices (NULL: lowest first) to the end. */
int sched_take_rest(struct sched_ctx *c, struct sched_chooser *ch,
    bool *blocked);

/* sched_pool.c */

/*
 * Have every process parked at its start, each recorded in c: started
 * afresh, or (a clean run before) the ledger reset and the workers told
 * to run again.  0, or a negative code with c->r->error set.
 */
int sched_pool_begin(struct sched_pool *p, struct sched_ctx *c);

/*
 * End the workers: those parked at their end are let go (they exit), the
 * rest SIGKILLed; all reaped within 5 s.  The ledger stays.
 */
void sched_pool_stop(struct sched_pool *p);

/* Detach from the ledger and remove it; the pool is no longer live. */
void sched_pool_drop(struct sched_pool *p);

/* sched_finish.c */

/*
 * The run is over: collect the reports, judge, and keep the workers and
 * the ledger for the next run if it was clean, else end them.
 */
void sched_pool_end(struct sched_pool *p, struct sched_ctx *c, int rc);

#endif
