/*
 * schedule: deterministic interleavings of real processes on a ledger.
 *
 * A schedule names processes, the operations each performs, and one or
 * more permutations: sequences of "pN:STEP" (run pN until it reaches step
 * point STEP), "pN" (run pN to its next step point) and "pN:KILL" (SIGKILL
 * pN where it is parked).  The scheduler (this process) starts every
 * process as `banklab worker --script ... --scheduled`, parks each at its
 * step points and releases exactly one at a time through its slot in the
 * shared segment.  After every release it waits until no process can run:
 * each is parked, done, or blocked on a lock whose holder is parked or
 * blocked; so every run of a schedule is the same run.  A blocked process
 * is reported `<waiting>` and the schedule goes on; when every live
 * process is blocked the wait-for cycle is reported.  After the
 * permutation, the processes are run to the end, lowest first.
 *
 * Files (*.sched), one statement per line, '#' starts a comment:
 *   title  TEXT
 *   accounts N            balance CENTS        balance ACCOUNT CENTS
 *   sync VARIANT          anomaly VARIANT...    clean VARIANT...
 *   db-anomaly VARIANT... db-clean VARIANT...  (on PostgreSQL)
 *   process NAME OP [; OP]...
 *   permutation ENTRY...
 * OP is `deposit A C`, `withdraw A C`, `transfer A B C`, `audit`,
 * `balance A`.  Errors name the file, line and column and what was
 * expected.
 */
#ifndef LAB_SCHEDULE_H
#define LAB_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "bank.h"
#include "ledger.h"
#include "step.h"
#include "sync.h"
#include "worker.h"

#define SCHED_PROCS_MAX		8
#define SCHED_OPS_MAX		16
#define SCHED_ENTRIES_MAX	512
#define SCHED_PERMS_MAX		16
#define SCHED_ACCOUNTS_MAX	64

struct sched_proc {
	char name[16];
	struct worker_op op[SCHED_OPS_MAX];
	int nops;
};

struct sched_entry {
	int proc;		/* index into spec->proc */
	unsigned step;		/* enum step_point, STEP_KILL, 0: next point */
};

struct sched_perm {
	struct sched_entry e[SCHED_ENTRIES_MAX];
	int n;
};

struct sched_spec {
	char title[128];
	uint32_t accounts;
	int64_t balance[SCHED_ACCOUNTS_MAX];
	enum sync_kind sync;
	unsigned anomaly_mask;	/* 1 << variant: must show the anomaly */
	unsigned clean_mask;	/* 1 << variant: must not */
	/* The same on PostgreSQL (sched_db.h): 1 << enum db_sync. */
	unsigned db_anomaly_mask, db_clean_mask;
	struct sched_proc proc[SCHED_PROCS_MAX];
	int nprocs;
	struct sched_perm perm[SCHED_PERMS_MAX];
	int nperms;
	/*
	 * How to run it, not in the file (the parse leaves both NULL): the
	 * banklab program workers run (spawn_worker_path()'s worker), and a
	 * caller's word in the ledger's name (a grader's run tag, by which it
	 * sweeps what a kill left).
	 */
	const char *worker;
	const char *run_tag;
	/* The scheduler's trace writer, NULL: none (the workers' beside). */
	struct trace *trace;
};

/* What happened at one step of a run, for the timeline. */
enum sched_event_kind {
	SCHED_EV_STEP = 1,	/* parked at a step point */
	SCHED_EV_WAITING,	/* released, but blocked on a lock */
	SCHED_EV_KILLED,
	SCHED_EV_DONE,		/* finished its operations */
	SCHED_EV_DIED,		/* exited without being told to */
	SCHED_EV_ABORTED	/* the server rolled its transaction back
				 * (40P01, 40001: sched_db.h); it starts the
				 * operation again */
};

struct sched_event {
	int proc;
	enum sched_event_kind kind;
	unsigned step;
	int64_t acct, value;
	int64_t waits;		/* for WAITING: the account (or -2: sem) */
	const char *how;	/* static words on a kill or an abort, or
				 * NULL (a SIGKILL in shared memory) */
};

/* How a run picks the next process once the permutation is used up. */
enum sched_policy {
	SCHED_FIRST = 0,	/* lowest-numbered runnable process */
	SCHED_RANDOM,		/* uniformly among the runnable */
	SCHED_PCT,		/* priorities with d-1 change points */
	SCHED_REPLAY		/* follow a choice vector (exploration) */
};

struct sched_chooser {
	enum sched_policy policy;
	uint64_t rng;
	unsigned depth;		/* PCT: d */
	unsigned prio[SCHED_PROCS_MAX];
	unsigned change[8];	/* PCT: steps where priority drops */
	unsigned steps;		/* decisions made so far */
	/* REPLAY: the choices to make, then the alternatives seen. */
	int *choice;
	int *alts;
	int nchoice;
	int cap;
	/* REPLAY: kill points, one more alternative each (sched_killable()). */
	unsigned killable;	/* bit i: process i may be killed */
	unsigned kills;		/* ... this many times a run, at most */
};

struct sched_result {
	struct sched_event *ev;
	int nev, cap;
	struct sched_entry *taken;	/* the releases made: a replay line */
	int ntaken;
	bool anomaly;
	bool deadlock;
	int cycle_len;
	struct sync_link cycle[SCHED_PROCS_MAX];
	bool stuck;			/* a semaphore holder died */
	uint64_t failed;		/* operations that failed on a lock */
	int recover_rc;			/* locking every account afterwards */
	uint64_t stale_audits;
	int64_t worst_deviation;
	struct bank_check check;
	int32_t pid[SCHED_PROCS_MAX];
	uint64_t repairs;
	unsigned steps;			/* releases made */
	double elapsed_s;		/* of the steps (not the start-up) */
	char error[160];		/* a step that never came, etc. */
	/* What the exercise code did (contract.h), over every process. */
	uint64_t held_max;
	uint64_t order_seen;
	char contract[160];		/* the first rule broken, "" if none */
	/* On PostgreSQL (sched_db.h): */
	uint64_t retries;		/* transactions the server rolled
					 * back (40P01, 40001) and redone */
	uint64_t rolled_back;		/* killed sessions' transactions the
					 * server rolled back */
	char server[320];		/* its words on the first deadlock */
};

/* Add an event to r's timeline (how: static text or NULL). */
void sched_result_event(struct sched_result *r, int proc,
    enum sched_event_kind kind, unsigned step, int64_t acct, int64_t value,
    int64_t waits, const char *how);

/* Add a release to r's replay line. */
void sched_result_taken(struct sched_result *r, int proc, unsigned step);

/* Parse a schedule file, or text (fname names it in errors). */
int sched_parse_file(const char *path, struct sched_spec *s, char *err,
    size_t errlen);
int sched_parse_text(const char *text, const char *fname,
    struct sched_spec *s, char *err, size_t errlen);

/* Parse the one-line form of a permutation against s's processes. */
int sched_parse_perm(const char *line, const struct sched_spec *s,
    struct sched_perm *p, char *err, size_t errlen);

/* Parse "deposit 0 100; transfer 0 1 50" into ops (max SCHED_OPS_MAX). */
int sched_parse_ops(const char *text, struct worker_op *ops, int *nops,
    char *err, size_t errlen);

/* The same ops as text sched_parse_ops() reads back. */
void sched_format_ops(const struct worker_op *ops, int nops, char *buf,
    size_t len);

/* An entry list as one line ("p1:read_from p2 ..."). */
void sched_format_perm(const struct sched_spec *s,
    const struct sched_entry *e, int n, char *buf, size_t len);

/*
 * Run s under variant v: follow perm (may be NULL), then ch (may be NULL:
 * SCHED_FIRST).  r must be zeroed; free it with sched_result_free().
 * Returns 0 (the verdict is in r), or a negative code if the run could not
 * be made (r->error then says why).
 */
int sched_run(const struct sched_spec *s, enum sync_kind v,
    const struct sched_perm *perm, struct sched_chooser *ch,
    struct sched_result *r);

/*
 * A pool: the worker processes and the ledger of one schedule under one
 * variant, kept from one run to the next when is_reused.  A run that was
 * clean (every process at its end with its report, none killed or dead, no
 * deadlock, no lock left held, nothing to recover) leaves them parked; the
 * next run resets the ledger to what it was when they first parked at
 * their start (balances, versions, journals, slot counters, holds, locks)
 * and tells each worker to run its script again.  Any other run ends them,
 * and the next starts afresh: each run starts from the same state either
 * way.  One process uses a pool; s must outlive it, unchanged.
 * sched_run() is a pool of one run.
 */
struct sched_pool;

int sched_pool_open(const struct sched_spec *s, enum sync_kind v,
    bool is_reused, struct sched_pool **pp);

/* One run, as sched_run(). */
int sched_pool_run(struct sched_pool *p, const struct sched_perm *perm,
    struct sched_chooser *ch, struct sched_result *r);

/* Runs so far that started fresh processes and a fresh ledger. */
unsigned sched_pool_starts(const struct sched_pool *p);

/* End the workers (reaped), remove the ledger, free p (NULL: nothing). */
void sched_pool_close(struct sched_pool *p);

/*
 * Pick one of en[0..n-1] (sched_run asks at every choice): the processes
 * that can run, ascending, then SCHED_PROCS_MAX + i for each kill point
 * ("kill process i where it is parked") when ch explores kills.
 */
int sched_choose(struct sched_chooser *ch, const int *en, int n);

/*
 * The processes a schedule kills somewhere (bit i: process i, named in a
 * KILL entry of one of its permutations), and in *kills the most KILL
 * entries of one permutation: what `all` explores as kill points.
 */
unsigned sched_killable(const struct sched_spec *s, unsigned *kills);

void sched_result_free(struct sched_result *r);

/* Exploring many runs of one schedule. */
struct sched_explore_opts {
	enum sched_policy policy;	/* REPLAY: all; RANDOM; PCT */
	unsigned runs;			/* RANDOM, PCT: how many */
	uint64_t seed;
	unsigned depth;			/* PCT: d (bugs of depth d) */
	unsigned max_runs;		/* all: give up after this many */
	unsigned stop_after;		/* stop after this many failing (0: no) */
};

struct sched_explore_stats {
	unsigned runs;
	unsigned failing;		/* runs with an anomaly */
	unsigned first_failing;		/* its number (1-based), 0 if none */
	double elapsed_s;
	unsigned steps;			/* releases over all runs */
	bool is_complete;		/* all: every interleaving was run */
	unsigned starts;		/* runs that started fresh processes */
	/* The callback may set this (it gets st through its arg): no more. */
	bool is_stopped;
};

/* Called after every run; the result is freed after it returns. */
typedef void (*sched_run_fn)(const struct sched_result *r, unsigned run,
    void *arg);

/* Explore on a pool that reuses its workers and ledger (sched_pool). */
int sched_explore(const struct sched_spec *s, enum sync_kind v,
    const struct sched_explore_opts *o, sched_run_fn cb, void *arg,
    struct sched_explore_stats *st);

/* The same on the caller's pool (one that never reuses: to compare). */
int sched_explore_pool(struct sched_pool *p,
    const struct sched_explore_opts *o, sched_run_fn cb, void *arg,
    struct sched_explore_stats *st);

/*
 * Shrink a failing permutation to one that still fails and from which no
 * single entry can be removed.  *runs counts the runs it took.
 */
int sched_shrink(const struct sched_spec *s, enum sync_kind v,
    const struct sched_perm *in, struct sched_perm *out, unsigned *runs);

/* The run as a timeline, one column per process. */
void sched_timeline(FILE *f, const struct sched_spec *s,
    const struct sched_result *r);

/* Its header line, and its row n (1-based) for e, its cell apart: the
 * lines sched_timeline() prints, without the newline. */
void sched_timeline_head(const struct sched_spec *s,
    const struct sched_result *r, char *buf, size_t len);
void sched_timeline_row(const struct sched_event *e, int n, char *cell,
    size_t clen, char *buf, size_t len);

/*
 * The run's verdict as a few words in buf, and whether it is an anomaly:
 * one answer for the text, the JSON and the exit code.
 */
bool sched_verdict(const struct sched_result *r, char *buf, size_t len);

/* The run as a JSON object (its "anomaly" and "verdict" from the above). */
struct json_object;
struct json_object *sched_result_json(const struct sched_spec *s,
    const char *variant, const struct sched_result *r);

/* The run's wait-for cycle as [{"pid", "holds", "waits_for"}] ([]: none). */
struct json_object *sched_cycle_json(const struct sched_result *r);

/* Name of a step or pseudo-step ("read_from", "KILL", "start", "end"). */
const char *sched_step_name(unsigned step);

#endif
