/*
 * lesson_db: the lessons with --db.  See lesson_db.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_sched.h"
#include "db.h"
#include "db_run.h"
#include "db_scenario.h"
#include "lab.h"
#include "ledger.h"
#include "lesson_db.h"
#include "scenario.h"

int
lesson_db_option(struct scenario_opts *o, int ch, const char *arg)
{
	enum db_on_deadlock od;
	enum db_audit au;

	if (ch == 'B') {
		o->db = arg;
		return 0;
	}
	if (ch == 'U') {
		if (db_audit_parse(arg, &au) < 0) {
			fprintf(stderr, "%s: --audit: \"%s\" is not plain or "
			    "consistent\n", o->prog, arg);
			return -CLI_EUSAGE;
		}
		o->db_audit = (int)au;
		return 0;
	}
	if (db_on_deadlock_parse(arg, &od) < 0) {
		fprintf(stderr, "%s: --on-deadlock: \"%s\" is not retry or "
		    "fail\n", o->prog, arg);
		return -CLI_EUSAGE;
	}
	o->on_deadlock = (int)od;
	return 0;
}

int
lesson_db_finish(struct scenario_opts *o, const char *sync)
{
	enum db_sync v = DB_NONE;

	/* Unless told, the lesson's buggy variant: the same name in SQL. */
	db_sync_parse(ledger_sync_name(scenario_buggy(o->kind)), &v);
	if (cli_db_sync(o->prog, sync, &v) < 0)
		return -CLI_EUSAGE;
	/* The lesson's schedule on PostgreSQL: banklab-sched --db's run. */
	if (o->is_scheduled && cli_sched_db_check(&o->sched) < 0)
		return -CLI_EUSAGE;
	if (o->procs > DB_RUN_PROCS_MAX) {
		fprintf(stderr, "%s: --procs: at most %d with --db (a "
		    "connection each)\n", o->prog, DB_RUN_PROCS_MAX);
		return -CLI_EUSAGE;
	}
	o->db_sync = (int)v;
	if (!o->has_ops)
		o->ops = db_scenario_ops(o->kind);
	return 0;
}

int
lesson_db_main(struct scenario_opts *o)
{
	struct db_scenario_result r;
	char *json;
	int rc;

	lab_sigpipe_quiet();
	if ((rc = db_scenario_run(o, &r)) < 0) {
		fprintf(stderr, "%s: %s\n", o->prog, r.err);
		db_scenario_free(&r);
		return LAB_EXIT_SYSTEM;
	}
	if (o->json) {
		if ((json = db_scenario_json(o, &r)) == NULL) {
			fprintf(stderr, "%s: %s\n", o->prog, strerror(ENOMEM));
			db_scenario_free(&r);
			return LAB_EXIT_SYSTEM;
		}
		printf("%s\n", json);
		free(json);
	} else {
		db_scenario_report(stdout, o, &r);
	}
	db_scenario_free(&r);
	if (r.interrupted)
		return LAB_EXIT_INTERRUPTED;
	return r.anomaly ? LAB_EXIT_ANOMALY : LAB_EXIT_OK;
}
