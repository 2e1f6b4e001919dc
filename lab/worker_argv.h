/*
 * worker_argv: the `banklab worker` argument vector, and the one table of
 * its options.
 *
 * Every process that runs bank operations for a program is a `banklab
 * worker` it started (run.c, sched_run.c, storm.c, the storm's auditor);
 * worker_args[] is the one place that names that command's options, their
 * kinds and ranges.  worker_argv_build() walks it to turn a spec into an
 * argument vector; the program's parser (scenarios/cli_worker.c: the
 * library parses no command line) walks it back, so parse(build(spec)) ==
 * spec, which a round-trip test holds us to.
 *
 * Contract: a spec says which options it carries (the bits of given, one
 * per WORKER_ARG_*); numbers are int64_t within the table's range.  No
 * allocation, no global state; the vector's strings point into the spec
 * and the argv storage.
 */
#ifndef LAB_WORKER_ARGV_H
#define LAB_WORKER_ARGV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger.h"
#include "worker.h"

/* The options, in the order a vector carries them. */
enum worker_arg {
	WORKER_ARG_JSON,
	WORKER_ARG_PARENT,
	WORKER_ARG_SCHEDULED,
	WORKER_ARG_REUSE,
	WORKER_ARG_SYNC,
	WORKER_ARG_MIX,
	WORKER_ARG_OPS,
	WORKER_ARG_SEED,
	WORKER_ARG_MAX_AMOUNT,
	WORKER_ARG_GATE,
	WORKER_ARG_GATE_COUNT,
	WORKER_ARG_WINDOW,
	WORKER_ARG_LOCK_TIMEOUT,
	WORKER_ARG_FROM,
	WORKER_ARG_TO,
	WORKER_ARG_DIE_STEP,
	WORKER_ARG_DIE_AFTER,
	WORKER_ARG_STOP_ON_ERROR,
	WORKER_ARG_ASCENDING,
	WORKER_ARG_UNTIL_OPS,
	WORKER_ARG_SCRIPT,
	WORKER_ARG_LEDGER_FD,
	WORKER_ARG_TRACE_DIR,
	WORKER_ARG_ROLE,
	WORKER_ARG_COUNT
};

#define WORKER_ARG(a)	(1u << (a))

enum worker_arg_type {
	WA_FLAG,		/* no value */
	WA_NUM,			/* an int64_t in [min, max] */
	WA_SYNC,		/* a variant's name */
	WA_MIX,			/* a mix's name */
	WA_TEXT			/* a string, taken as it is (off: of the
				 * const char * in the spec) */
};

struct worker_arg_def {
	const char *name;	/* "--ops" */
	enum worker_arg_type type;
	int64_t min, max;
	size_t off;		/* of the field in the spec: WA_NUM, WA_TEXT */
};

/* The options, indexed by enum worker_arg. */
extern const struct worker_arg_def worker_args[WORKER_ARG_COUNT];

struct worker_spec {
	const char *ledger;		/* NAME */
	unsigned given;			/* WORKER_ARG() bits */
	int64_t parent, ops, seed, max_amount, gate, gate_count, window;
	int64_t lock_timeout, from, to, die_step, die_after, until_ops;
	int64_t ledger_fd;		/* attach through this descriptor */
	enum sync_kind sync;
	enum worker_mix mix;
	const char *script;		/* operations as text (schedule.h) */
	const char *trace_dir;		/* write a trace there (trace.h) */
	const char *role;		/* ... named so: "worker", "p1" */
};

#define WORKER_ARGV_MAX		(2 * WORKER_ARG_COUNT + 4)
#define WORKER_ARGV_NUM		24	/* an int64_t in decimal, and NUL */

/* A vector in storage the caller owns (argv[argc] is NULL). */
struct worker_argv {
	char *argv[WORKER_ARGV_MAX];
	char num[WORKER_ARG_COUNT][WORKER_ARGV_NUM];
	int argc;
};

/* An empty spec: nothing given. */
void worker_spec_init(struct worker_spec *s);

/* The spec of a worker run with config w (what differs from the default). */
void worker_spec_from_config(struct worker_spec *s, const struct worker_config *w);

/* The config a spec asks for: the defaults, then what it gives. */
void worker_spec_config(const struct worker_spec *s, struct worker_config *w);

/* prog worker NAME [options] into a. */
void worker_argv_build(struct worker_argv *a, const char *prog,
    const struct worker_spec *s);

/* Give option a (its bit), with value v if it is a number. */
void worker_spec_give(struct worker_spec *s, enum worker_arg a, int64_t v);

/* Give text option a (its bit) with value v. */
void worker_spec_give_text(struct worker_spec *s, enum worker_arg a,
    const char *v);

/* Text option a's value in s (NULL if it is no text option). */
const char *worker_spec_text(const struct worker_spec *s, enum worker_arg a);

/* The option's name ("--ops"), for callers' own messages. */
const char *worker_arg_name(enum worker_arg a);

#endif
