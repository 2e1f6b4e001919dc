/*
 * banklab_db: banklab's commands on a ledger in PostgreSQL, chosen by
 * --db CONNINFO anywhere on the command line (scenarios/banklab_db.c
 * parses, banklab_db_cmd.c runs).  Program side: these print, and return
 * the exit code.  The conninfo goes to libpq as it is; "" lets libpq read
 * PGHOST, PGDATABASE ... itself.
 */
#ifndef SCENARIOS_BANKLAB_DB_H
#define SCENARIOS_BANKLAB_DB_H

#include <stdbool.h>
#include <stdint.h>

#include "db.h"
#include "db_worker.h"

struct banklab_db_args {
	const char *cmd;		/* create, worker, run, audit, show,
					 * destroy */
	const char *name;
	const char *conninfo;
	int64_t accounts, balance, procs, parent, timeout_ms;
	bool has_sync, has_audit, json;
	struct db_worker_config w;	/* the workers' (worker, run) */
};

/* Is --db among the words?  Then banklab_db_main() has the command. */
bool banklab_db_wanted(int argc, char **argv);

/* argv[0] is the command; the exit code. */
int banklab_db_main(int argc, char **argv);

/* The commands (banklab_db_cmd.c). */
int banklab_db_create(const struct banklab_db_args *a);
int banklab_db_worker(const struct banklab_db_args *a);
int banklab_db_run(const struct banklab_db_args *a);
int banklab_db_audit(const struct banklab_db_args *a);
int banklab_db_show(const struct banklab_db_args *a);
int banklab_db_destroy(const struct banklab_db_args *a);

/*
 * Connect and (unless create) attach a's ledger: 0, or its one line said
 * and the exit code (3) returned negated.
 */
int banklab_db_open(const struct banklab_db_args *a, struct db *d,
    bool attach);

/* One line for a failure rc on d: "banklab: WHAT: problem: server's words". */
void banklab_db_say(const struct db *d, const char *what, int rc);

#endif
