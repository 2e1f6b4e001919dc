/*
 * db_worker: the loop one `banklab worker --db` process runs on its own
 * connection, and its report as one line of JSON.  Layer db.
 *
 * Contract: d is attached (db_attach()).  The operations are drawn as the
 * shared-memory worker draws them (the same worker_config: ops, mix, seed,
 * amounts, --from/--to, ascending pairs), each one transaction of
 * db_ops.c under c->sync.  A deadlock (40P01) is counted and, per
 * c->on_deadlock, the operation is done again or the worker stops; a
 * serialization failure (40001) is always done again; both count as
 * retries.  A worker given a gate waits, once connected, for the starter
 * to release it (db_run.h).  Stops early once lab_signalled().
 */
#ifndef LAB_DB_WORKER_H
#define LAB_DB_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include "db.h"
#include "db_ops.h"
#include "worker.h"

#define DB_RETRY_MAX	1000	/* attempts of one operation, at most */

struct db_worker_config {
	struct worker_config w;	/* die_step != 0: SIGKILL ourselves in
				 * operation w.die_after, after its first
				 * write, with the transaction open */
	enum db_sync sync;
	enum db_audit audit;
	enum db_on_deadlock on_deadlock;
	unsigned window_us;	/* pause between reads and writes */
	int64_t gate;		/* advisory lock to wait on; 0: none */
};

struct db_worker_result {
	int32_t pid;		/* the worker process */
	int32_t backend_pid;	/* the server process serving it */
	uint64_t ops, done, refused, failed;
	uint64_t deadlocks;	/* 40P01 received */
	uint64_t retries;	/* operations done again (40P01, 40001) */
	uint64_t audits, stale_audits;
	int64_t worst_deviation;	/* largest |audit - books|, cents */
	int64_t deposited, withdrawn, moved;
	int first_error;	/* what stopped it, 0 if nothing */
	struct db_deadlock deadlock;	/* the first deadlock, if any */
	char error[DB_ERR_MAX];	/* the server's words for first_error */
	double elapsed_s;
};

void db_worker_config_default(struct db_worker_config *c);

/* Run the worker: 0, or the error that stopped it (r says the rest). */
int db_worker_run(struct db *d, const struct db_worker_config *c,
    struct db_worker_result *r);

/* One line of JSON (malloc'd, no newline); NULL on ENOMEM. */
char *db_worker_result_json(const struct db_worker_result *r);

/* Parse what db_worker_result_json() made; -LAB_EWORKER if not that. */
int db_worker_result_parse(const char *json, struct db_worker_result *r);

#endif
