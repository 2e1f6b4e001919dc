/*
 * scenario: the four lessons (race, stale read, deadlock, crash) as runs on
 * a private ledger, with their options, their verdict and their report.
 *
 * Contract: scenario_main() is the whole of a lesson program: it parses the
 * common options, creates a ledger "<lesson>-<pid>", runs the workers
 * (run.c), watches them (deadlock cycles, SIGINT/SIGTERM), judges, prints
 * the report (text or JSON), removes the ledger on every path, and returns
 * the exit code: 0 no anomaly, 1 anomaly found, 2 bad usage, 3 system
 * failure.  Everything that shapes a run, the seed first, is printed.
 */
#ifndef LAB_SCENARIO_H
#define LAB_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ledger.h"
#include "run.h"
#include "sched_cli.h"

enum scenario_kind {
	SCENARIO_RACE = 0,
	SCENARIO_STALE,
	SCENARIO_DEADLOCK,
	SCENARIO_CRASH,
	SCENARIO_COUNT
};

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

/*
 * Parse a lesson's command line into o.  Returns 0 to run, or the exit
 * code to leave with at once (0 after --help/--version, 2 bad usage).
 */
int scenario_parse(enum scenario_kind k, int argc, char **argv,
    struct scenario_opts *o);

/* Run the lesson on a private ledger that is removed on every path. */
int scenario_run(const struct scenario_opts *o, struct scenario_result *r);

void scenario_report(FILE *f, const struct scenario_opts *o,
    const struct scenario_result *r);

/* One JSON object (malloc'd, NULL on ENOMEM). */
char *scenario_json(const struct scenario_opts *o,
    const struct scenario_result *r);

/* Parse, run, print; the program's exit code. */
int scenario_main(enum scenario_kind k, int argc, char **argv);

#endif
