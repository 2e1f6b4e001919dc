/*
 * bench: what each variant's transfer costs, measured beside the bare
 * primitives it is built from, by P processes on one shared ledger.
 *
 * Contract: bench_run() is called by one process, which stays an observer.
 * Per cell (kind x processes x accounts) it creates a private ledger
 * ("bench-PID-N") and starts P measuring processes: the program
 * c->child_path, run (spawn.h: posix_spawn, no fork of ours) as
 * `PROGRAM --bench-child ARGS...`.  That program hands its arguments to
 * bench_child_run(), which attaches and joins on its own, waits at the
 * ledger's start gate and times only its own loop (CLOCK_MONOTONIC), and
 * prints the report bench_report_print() makes on its stdout; it then
 * exits, as programs do, and bench_run() reads that line.  It reaps every
 * child and unlinks every ledger on every path, SIGINT and SIGTERM
 * included (held blocked while it runs).  No code here ends a process.
 * The cells of one (procs, accounts) are open together and take their
 * timed runs in turns, so a variant and its anchors see the same load.
 * Functions return 0 or a negative code; money lost is reported, not fatal.
 *
 * Layer: lessons.  Files: bench.c (kinds, goals), bench_run.c (the
 * observer's side), bench_child.c (the measuring process's side),
 * bench_report.c (the table and the JSON).
 */
#ifndef LAB_BENCH_H
#define LAB_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ledger.h"

#define BENCH_LIST_MAX		8	/* values in --procs, --accounts */
#define BENCH_REPEAT_MAX	100

/*
 * What one operation of a run is.  Every kind draws the same pair of
 * distinct accounts (a, b) and amount from the same per-process stream, so
 * the kinds differ only in what they do with them.  The first four are
 * bank_transfer() under a variant (they equal enum sync_kind); then the
 * bare primitives, on the same ledger's memory; then the minimal transfer
 * under a primitive: its locking plus moving the amount, nothing of the
 * bank's checks, journal, versions, counters or published holds.
 */
enum bench_kind {
	BENCH_NONE = SYNC_NONE,
	BENCH_SEMAPHORE = SYNC_SEMAPHORE,
	BENCH_ROBUST = SYNC_ROBUST,	/* transfers from < to: no deadlock */
	BENCH_ORDERED = SYNC_ORDERED,
	BENCH_LOOP,		/* draw (a, b, amount) only: the harness */
	BENCH_LOADSTORE,	/* relaxed load a, b; store a-x, b+x */
	BENCH_ATOMIC,		/* atomic add -x to a, +x to b */
	BENCH_MUTEX,		/* normal process-shared mutexes: lock
				 * min(a,b), max(a,b), unlock both */
	BENCH_ROBUST_MUTEX,	/* the same with the ledger's robust ones */
	BENCH_SEM,		/* the ledger's semaphore: wait, post */
	BENCH_MOVE_SEM,		/* wait, load a, b, store a-x, b+x, post */
	BENCH_MOVE_ROBUST,	/* bare-robust with the same move inside */
	BENCH_KIND_COUNT
};

struct bench_config {
	unsigned nprocs;
	unsigned procs[BENCH_LIST_MAX];		/* 1 .. LEDGER_SLOTS */
	unsigned naccounts;
	uint32_t accounts[BENCH_LIST_MAX];	/* 2 .. LEDGER_ACCOUNTS_MAX */
	bool kinds[BENCH_KIND_COUNT];		/* which to run */
	unsigned repeat;		/* timed runs per cell */
	unsigned run_ms;		/* each timed run aims at this long */
	uint64_t ops;			/* ops per process per run; 0: aim */
	uint64_t seed;			/* process i draws from seed + i */
	bool is_quick;			/* only recorded, for the report */
	/* The program a measuring process runs: one that passes argv after
	 * BENCH_CHILD_ARG to bench_child_run() (banklab-bench does). */
	const char *child_path;
	/* For a progress line: called before each cell's first probe and
	 * each timed run, with the timed runs done of all (cells x repeat). */
	void (*progress)(void *arg, unsigned done, unsigned total,
	    enum bench_kind k, unsigned procs, uint32_t accounts);
	void *progress_arg;
};

/* Median and range of a cell's runs. */
struct bench_stat {
	double median, min, max;
};

struct bench_cell {
	enum bench_kind kind;
	unsigned procs;
	uint32_t accounts;
	bool has_run;
	uint64_t ops;			/* per process per timed run */
	unsigned runs;
	double rate[BENCH_REPEAT_MAX];	/* M ops/s of each run */
	struct bench_stat mops;		/* M ops/s: all ops / slowest loop */
	double ns_per_op;		/* procs * 1e3 / median M ops/s */
	double scale;			/* median / same kind at procs[0]; 0 */
	int base;			/* its bare primitive's kind, or -1 */
	double vs_base;			/* median / base's median; 0 if none */
	int move;			/* its minimal transfer's kind, or -1 */
	double vs_move;			/* median / move's median; 0 if none */
	/* Summed over the timed runs. */
	uint64_t done, refused, failed;
	int first_error;		/* first lock error, 0 if none */
	uint64_t faults;		/* minor page faults inside the loops */
	double skew;			/* worst (last start - first start) /
					 * slowest loop, over its runs */
	int64_t lost_cents;		/* money the runs created or lost */
	int64_t lost_writes;		/* lost updates (version count) */
	uint32_t negative;		/* accounts below zero at the end */
	unsigned lossy_runs;		/* runs whose bank_check failed */
};

struct bench_result {
	unsigned ncells;
	struct bench_cell *cell;	/* accounts x procs x kinds, in order */
	double elapsed_s;
	double load[2];			/* 1-min load average, start and end:
					 * other work on the machine skews all */
	unsigned cpus;			/* child i runs on CPU i mod cpus */
	bool interrupted;		/* SIGINT or SIGTERM: stopped early */
};

/*
 * A measuring process: argv[1] is BENCH_CHILD_ARG, then the fields of
 * struct bench_child in this order: ledger name, kind name, procs, ops,
 * seed, gate, cpu (-1: do not pin), parent pid.  The program parses them.
 */
#define BENCH_CHILD_ARG		"--bench-child"
#define BENCH_CHILD_ARGC	10	/* program, BENCH_CHILD_ARG, 8 fields */

struct bench_child {
	char name[LEDGER_NAME_MAX + 1];	/* the cell's ledger */
	enum bench_kind kind;
	unsigned procs;			/* at the gate together */
	uint64_t ops;			/* timed operations */
	uint64_t seed;			/* its stream: config seed + i */
	uint64_t gate;			/* the start gate to wait at */
	int cpu;			/* pin to this CPU; -1: do not */
	int32_t parent;			/* die with it (spawn_bind_parent) */
};

/* What a measuring process reports: one line on its stdout. */
struct bench_report {
	int32_t rc;		/* 0, or why it did not run its loop */
	int32_t first_error;
	uint64_t done, refused, failed;
	uint64_t ns;		/* its loop, CLOCK_MONOTONIC */
	uint64_t t0, t1;	/* when its loop began and ended */
	uint64_t faults;	/* page faults inside its loop */
	uint64_t sink;		/* keeps the bare loop's work alive */
};

/*
 * The measuring process's whole job (attach, join, warm up, gate, timed
 * loop, detach): rep says what happened, rc included; returns rep->rc.
 */
int bench_child_run(const struct bench_child *a, struct bench_report *rep);

/* The report as one line on f, and that line read back (-EINVAL). */
void bench_report_print(FILE *f, const struct bench_report *rep);
int bench_report_parse(const char *s, struct bench_report *rep);

/* Defaults (1,2,4 x 2,1000,10^6, 5 runs of ~100 ms), and --quick's. */
void bench_config_default(struct bench_config *c);
void bench_config_quick(struct bench_config *c);

/* Run every chosen cell.  -EINTR if interrupted (r says how far). */
int bench_run(const struct bench_config *c, struct bench_result *r);
void bench_result_free(struct bench_result *r);

/* The cell of (k, procs, accounts), NULL if it was not run. */
const struct bench_cell *bench_find(const struct bench_result *r,
    enum bench_kind k, unsigned procs, uint32_t accounts);

const char *bench_kind_name(enum bench_kind k);
int bench_kind_parse(const char *s, enum bench_kind *k);
bool bench_is_variant(enum bench_kind k);
/* The bare primitive a variant is judged against, -1 for a bare kind;
 * and the minimal transfer under that primitive. */
int bench_base(enum bench_kind k);
int bench_move(enum bench_kind k);
/* Does kind k move money (so that a loss can show)? */
bool bench_moves_money(enum bench_kind k);

/* A correct variant lost money or hit a lock error: an anomaly. */
bool bench_has_anomaly(const struct bench_result *r);

/* One goal of the issue, measured (never asserted). */
struct bench_goal {
	char what[112];
	char seen[112];
	bool is_measured;		/* the cells it needs were run */
	bool is_met;
};
#define BENCH_GOALS	8
void bench_goals(const struct bench_result *r, struct bench_goal *g);

/* Bytes a ledger of n accounts takes, and per account. */
size_t bench_ledger_bytes(uint32_t n);
size_t bench_account_bytes(void);

/* The table and the goals as text; the same as one JSON object. */
void bench_print(FILE *f, const struct bench_config *c,
    const struct bench_result *r);
char *bench_json(const struct bench_config *c, const struct bench_result *r);

#endif
