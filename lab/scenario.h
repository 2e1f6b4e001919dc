/*
 * scenario: the lessons (race, stale read, deadlock, crash) as runs on a
 * private ledger, with their verdict and their report.  Lesson level:
 * above the runs (run.h), the schedules (sched_cli.h) and the reports.
 *
 * Contract: a lesson is data, one struct lesson in lessons[] (lessons.c):
 * its variants, defaults, workload, words and schedule file.  The program
 * (scenarios/lesson.c) parses the command line into struct scenario_opts;
 * scenario_run() creates a ledger "<lesson>-<pid>", runs the workers
 * (run.c), watches them (deadlock cycles, SIGINT/SIGTERM), judges and
 * removes the ledger on every path; scenario_report() and scenario_json()
 * write to what they are given.  Everything that shapes a run, the seed
 * first, is printed.
 */
#ifndef LAB_SCENARIO_H
#define LAB_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ledger.h"
#include "run.h"
#include "sched_cli.h"
#include "worker.h"

enum scenario_kind {
	SCENARIO_RACE = 0,
	SCENARIO_STALE,
	SCENARIO_DEADLOCK,
	SCENARIO_CRASH,
	SCENARIO_COUNT
};

/* When a lesson's explanation applies: every bit given must hold. */
enum lesson_when {
	LESSON_ANOMALY = 1 << 0,	/* an anomaly was found */
	LESSON_CLEAN = 1 << 1,		/* none was */
	LESSON_DEADLOCK = 1 << 2,	/* a wait-for cycle was seen */
	LESSON_STUCK = 1 << 3,		/* a dead holder kept the semaphore */
	LESSON_DIED = 1 << 4,		/* a worker died */
};

/* One explanation: the first row whose conditions hold is printed. */
struct lesson_why {
	unsigned when;			/* lesson_when bits; 0: always */
	int sync;			/* only under this variant; -1: any */
	const char *text;		/* "{sync}" stands for the variant */
};

/* What each worker of a lesson does (scenario_worker()). */
enum lesson_shape {
	LESSON_MIXED,			/* the mix, random pairs */
	LESSON_LAST_AUDITS,		/* the last worker audits the others */
	LESSON_OPPOSITE,		/* 0 -> 1 and 1 -> 0, alternately */
	LESSON_KILLED,			/* 0 -> 1; one (or --kills) die */
};

enum lesson_flags {
	LESSON_HAS_KILLS = 1 << 0,	/* --kill-at, --kill-after, --kills */
	LESSON_SHOWS_AUDITS = 1 << 1,	/* the audits line of the report */
	LESSON_SHOWS_DEATHS = 1 << 2,	/* deaths; no lost-update example */
};

struct lesson {
	const char *name;		/* "race": banklab-race, race.sched */
	const char *title;		/* what the anomaly is called */
	const char *about;		/* --help: what it shows */
	const char *schedule;		/* its file in the schedules folder */
	enum sync_kind buggy, fixed;
	unsigned procs;			/* defaults */
	uint32_t accounts;
	uint64_t ops;
	unsigned window;
	enum worker_mix mix;
	enum lesson_shape shape;
	unsigned min_procs;
	const char *min_procs_why;	/* "--procs: " and this, if fewer */
	unsigned lock_timeout_ms;	/* 0: LEDGER_LOCK_TIMEOUT_MS */
	unsigned flags;			/* lesson_flags */
	const struct lesson_why *why;	/* ends with a NULL text */
};

const struct lesson *scenario_lesson(enum scenario_kind k);

/*
 * Lesson k's explanation of an outcome (lesson_when bits) under v: the
 * first of its rows that applies, "{sync}" replaced; lines after the first
 * are indented by two spaces.  0, or -ENOENT when no row applies.
 */
int scenario_why_text(enum scenario_kind k, enum sync_kind v, unsigned when,
    char *buf, size_t len);

struct scenario_opts {
	enum scenario_kind kind;
	const char *prog;		/* for messages and the fix command */
	enum sync_kind sync;
	unsigned procs;
	uint32_t accounts;
	uint64_t ops;
	uint64_t seed;
	unsigned timeout_ms;
	unsigned window;
	unsigned kills;			/* crash: random kills */
	unsigned die_step;		/* crash: the chosen kill point */
	uint64_t die_after;
	bool json;
	bool quiet;
	/* --schedule, --explore ...: run the lesson's shipped schedule. */
	bool is_scheduled;
	struct sched_cli sched;
	/* The banklab program workers run (spawn_worker_path()'s worker). */
	const char *worker;
	/* This process's trace writer, NULL: none (the workers' go beside). */
	struct trace *trace;
	const char *trace_file;		/* --trace FILE, for the program */
	bool has_ops, has_window;	/* --ops, --window given */
	/*
	 * --db CONNINFO: the lesson on PostgreSQL (db_scenario.h), NULL on
	 * shared memory.  Its variant, audit and deadlock policy are
	 * db.h's enums, kept as int here so that this header does not pull
	 * libpq into every program's build.
	 */
	const char *db;
	int db_sync;			/* enum db_sync */
	int db_audit;			/* enum db_audit, -1: the variant's */
	int on_deadlock;		/* enum db_on_deadlock */
};

struct scenario_result {
	bool anomaly;
	bool interrupted;		/* SIGINT or SIGTERM ended the run */
	int64_t expected_total;
	int64_t observed_total;
	int64_t lost_cents;		/* expected - observed */
	int64_t lost_updates;		/* overwritten balance writes */
	uint64_t audits;
	uint64_t stale_audits;
	int64_t worst_deviation;
	unsigned deadlocks;
	int cycle_len;
	struct sync_link cycle[LEDGER_SLOTS];
	uint64_t repairs;
	bool has_repair;
	struct ledger_repair repair;	/* one repair, as the example */
	int32_t repairer_pid;
	bool has_lost;
	struct ledger_lost lost;	/* one lost update, as the example */
	int32_t lost_pid;		/* the process whose write won */
	bool is_stuck;			/* a dead semaphore holder stopped all */
	int32_t dead_holder;		/* its pid */
	unsigned died;			/* workers that died (killed) */
	uint64_t done, refused, failed;
	double elapsed_s;
};

/* The lesson's name ("race"), and its buggy and fixed variants. */
const char *scenario_name(enum scenario_kind k);
enum sync_kind scenario_buggy(enum scenario_kind k);
enum sync_kind scenario_fixed(enum scenario_kind k);

/* o with the lesson's defaults (seed 0, sync the buggy variant). */
void scenario_defaults(enum scenario_kind k, const char *prog,
    struct scenario_opts *o);

/* What worker i of the lesson does; rng draws --kills' kill points. */
void scenario_worker(const struct scenario_opts *o, unsigned i,
    uint64_t *rng, struct worker_config *w);

/* Run the lesson on a private ledger that is removed on every path. */
int scenario_run(const struct scenario_opts *o, struct scenario_result *r);

void scenario_report(FILE *f, const struct scenario_opts *o,
    const struct scenario_result *r);

/* One JSON object (malloc'd, NULL on ENOMEM). */
char *scenario_json(const struct scenario_opts *o,
    const struct scenario_result *r);

#endif
