/*
 * run: start P worker processes on a ledger, release them together, collect
 * their reports over pipes, reap them, and check the ledger afterwards.
 *
 * Contract: the caller has attached (an observer is enough) and keeps the
 * ledger alive for the run.  Each worker is the `banklab worker` program
 * (spawn_worker_path()), attaching by name on its own.  Workers wait at a
 * start gate until all are ready; a worker that does not report in time is
 * killed and reaped; a watch callback runs about every 20 ms (a watchdog).
 */
#ifndef LAB_RUN_H
#define LAB_RUN_H

#include <stdbool.h>

#include "bank.h"
#include "ledger.h"
#include "spawn.h"
#include "worker.h"
#include "worker_argv.h"

#define RUN_PROCS_MAX	LEDGER_SLOTS

struct run_config {
	unsigned procs;			/* 1 .. RUN_PROCS_MAX */
	struct worker_config w;		/* worker i gets seed w.seed + i */
	const struct worker_config *each; /* or one config per worker */
	enum sync_kind sync;		/* variant the workers use */
	unsigned window;		/* microseconds of step_window() */
	unsigned lock_timeout_ms;	/* passed to the workers */
	unsigned timeout_ms;		/* the whole run; then kill */
	/* Called while workers run; non-zero ends the run (they are killed). */
	int (*watch)(struct ledger *, struct spawn_set *, void *);
	void *watch_arg;
	/*
	 * The ledger is the caller's own (a lesson's): its name goes once
	 * every worker has attached (the mappings live on), so that a caller
	 * SIGKILLed leaves nothing in /dev/shm.
	 */
	bool is_private;
	/*
	 * Hand the workers the ledger by descriptor (--ledger-fd), not by
	 * name: for a caller that starts workers while it runs and has
	 * removed the name already (the kill storm).  run_build_argv() and
	 * run_spawn() do it.
	 */
	bool is_by_fd;
	/* The banklab program workers run (spawn_worker_path()'s worker). */
	const char *worker;
};

struct run_worker {
	struct worker_result res;
	bool has_result;		/* it reported */
	int status;			/* waitpid() status */
	bool was_killed;		/* killed by us */
	char how[48];			/* "exited 0", "killed by SIGKILL" */
};

struct run_result {
	unsigned n;
	struct run_worker *w;		/* n entries */
	struct bank_check check;	/* the ledger after the run */
	double elapsed_s;
	bool timed_out;
	int watch_rc;			/* what watch returned, 0 if nothing */
	uint64_t done, refused, failed;	/* summed over the workers */
	int first_error;		/* first worker's lock error */
};

void run_config_default(struct run_config *c);

/*
 * The `banklab worker` command line (prog is its path) of a worker of run
 * c with config w, seed and start gate (0: start at once): for callers
 * that start workers one at a time (the kill storm).
 */
void run_build_argv(struct worker_argv *a, const char *prog,
    const struct ledger *l, const struct run_config *c,
    const struct worker_config *w, uint64_t seed, uint64_t gate);

/* Start the worker a (from run_build_argv()) in set, as c says. */
int run_spawn(struct spawn_set *set, const struct ledger *l,
    const struct run_config *c, const struct worker_argv *a);

int run_workers(struct ledger *l, const struct run_config *c,
    struct run_result *r);

void run_result_free(struct run_result *r);

#endif
