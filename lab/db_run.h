/*
 * db_run: P worker processes on a database ledger, each the program
 * `banklab worker NAME --db CONNINFO ...` (fork and exec, spawn.c) with
 * its own connection; started together, reaped on every path, and the
 * ledger checked afterwards.  Layer db.
 *
 * The start gate is the server's: the starter holds an advisory lock
 * (pg_advisory_lock(gate)) on its own connection; each worker, once
 * connected, asks for it shared and waits; when pg_locks shows all P
 * waiting (or one has died already) the starter lets go and they start
 * at once.  Contract: d is attached; the workers are killed at
 * c->timeout_ms; a watch tick every 20 ms stops the run once
 * lab_signalled().  r->error has the first words a worker or the server
 * gave.
 */
#ifndef LAB_DB_RUN_H
#define LAB_DB_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "db.h"
#include "db_ledger.h"
#include "db_worker.h"

#define DB_RUN_PROCS_MAX	64

struct db_run_config {
	const char *conninfo;		/* what the workers connect with */
	const char *worker;		/* the banklab program (spawn.h) */
	unsigned procs;			/* 1 .. DB_RUN_PROCS_MAX */
	struct db_worker_config w;	/* worker i gets seed w.w.seed + i */
	const struct db_worker_config *each;	/* or one config each */
	unsigned timeout_ms;
};

struct db_run_worker {
	struct db_worker_result res;
	int32_t pid;			/* the worker process */
	bool has_result;		/* it reported */
	bool was_killed;		/* by us (timeout, interrupt) */
	int status;			/* waitpid() status */
	char how[48];			/* "exited 0", "killed by SIGKILL" */
};

struct db_run_result {
	unsigned n;
	struct db_run_worker *w;	/* n of them */
	struct db_check check;		/* the ledger afterwards */
	uint64_t done, refused, failed, deadlocks, retries;
	uint64_t audits, stale_audits;
	int64_t worst_deviation;
	unsigned died;			/* killed, not by us, no report */
	int first_error;		/* the first worker error */
	char error[DB_ERR_MAX];		/* ... in the server's words */
	int deadlock_at;		/* worker whose deadlock is shown, -1 */
	bool timed_out, interrupted;
	double elapsed_s;
};

/*
 * Run the workers.  0 (what they did is in r), or a failure of the run
 * itself: a worker that could not be started, the server gone (d->err).
 */
int db_run_workers(struct db *d, const struct db_run_config *c,
    struct db_run_result *r);

void db_run_result_free(struct db_run_result *r);

/* The exact command line of one worker (argv[] in storage a holds). */
#define DB_ARGV_MAX	48
struct db_argv {
	char *argv[DB_ARGV_MAX];
	char num[16][24];
	int argc;
};
void db_run_argv(struct db_argv *a, const char *prog, const char *name,
    const char *conninfo, const struct db_worker_config *w, int64_t gate);

#endif
