/*
 * db_scenario: the four lessons on PostgreSQL.  Lesson level, beside
 * scenario.h: the same lessons[] table (workers, defaults, shapes), the
 * ledger a schema "<lesson>-<pid>" made for the run and dropped on every
 * path the server allows, the workers `banklab worker --db` processes
 * (db_run.h), the variants and audits in SQL (db_ops.h).
 *
 * Contract: o->db is the conninfo ("" = libpq's defaults), o->db_sync an
 * enum db_sync.  db_scenario_run() connects, runs, judges and drops;
 * a failure of the server or the connection is returned, with the
 * server's words in r->err, for the program to print on one line.
 */
#ifndef LAB_DB_SCENARIO_H
#define LAB_DB_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "db.h"
#include "db_run.h"
#include "scenario.h"

/* Operations per worker on PostgreSQL when --ops is not given. */
uint64_t db_scenario_ops(enum scenario_kind k);

struct db_scenario_result {
	struct db_run_result run;
	enum db_sync sync;
	enum db_audit audit;
	enum db_on_deadlock on_deadlock;
	char ledger[68];
	uint64_t ops;			/* per worker */
	int32_t died_pid;		/* a killed worker, 0 if none */
	uint64_t died_at;		/* ... in its operation number */
	bool anomaly, interrupted;
	char err[DB_ERR_MAX + 8];	/* a failure, one line: "--db: " and
					 * the server's words, or ours */
};

int db_scenario_run(const struct scenario_opts *o,
    struct db_scenario_result *r);

void db_scenario_free(struct db_scenario_result *r);

void db_scenario_report(FILE *f, const struct scenario_opts *o,
    const struct db_scenario_result *r);

/* One JSON object (malloc'd; NULL on ENOMEM). */
char *db_scenario_json(const struct scenario_opts *o,
    const struct db_scenario_result *r);

#endif
