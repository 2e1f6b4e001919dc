/*
 * cli_trace: --trace FILE, the programs' side.  Before anything runs:
 * FILE is opened for writing (so a path that cannot be written is said in
 * one line, and nothing runs), a private directory is made ($TMPDIR, else
 * /tmp) where every process of the run writes its records, and this
 * process's own writer is opened there.  At the end the records are merged
 * into FILE (lab/trace_json.h) and the directory removed.
 */
#ifndef SCENARIOS_CLI_TRACE_H
#define SCENARIOS_CLI_TRACE_H

#include <stdbool.h>
#include <stdio.h>

#include "trace.h"

struct cli_trace {
	const char *path;		/* FILE; NULL: tracing is off */
	FILE *out;
	struct trace self;		/* this process's writer */
	bool is_on;
	bool is_created;		/* FILE was made by us */
};

/*
 * path NULL: off, 0.  Else FILE, the directory and our writer (as role):
 * 0, or one line on stderr and a negative code (cli_exit_code(): 3).
 */
int cli_trace_start(const char *prog, const char *path, const char *role,
    struct cli_trace *ct);

/* The writer to hand the library (l->trace and the configs), or NULL. */
struct trace *cli_trace_writer(struct cli_trace *ct);

/*
 * Merge every process's records into FILE, remove the directory, close
 * FILE.  Off: nothing.  0, or one line on stderr and a negative code.
 */
int cli_trace_finish(const char *prog, struct cli_trace *ct);

/* On an early exit: drop the records and the directory, close FILE. */
void cli_trace_abandon(struct cli_trace *ct);

/* What a program runs traced: its exit code; t is its writer or NULL. */
typedef int (*cli_traced_fn)(struct trace *t, void *arg);

/*
 * Start the trace (path NULL: none), run fn, merge: fn's exit code, or 3
 * if the trace could not be started (nothing runs) or written.
 */
int cli_trace_run(const char *prog, const char *path, const char *role,
    cli_traced_fn fn, void *arg);

#endif
