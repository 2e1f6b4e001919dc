/*
 * lesson_db: a lesson program's --db side: its options (--db, --audit,
 * --on-deadlock), its variant (serializable too), and the run, report
 * and exit code of the lesson on PostgreSQL (lab/db_scenario.h).
 */
#ifndef SCENARIOS_LESSON_DB_H
#define SCENARIOS_LESSON_DB_H

#include "scenario.h"

/* --db, --audit or --on-deadlock (getopt values 'B', 'U', 'O'). */
int lesson_db_option(struct scenario_opts *o, int ch, const char *arg);

/* After the options, with --db: the variant sync names (NULL: the
 * lesson's buggy one, or $BANKLAB_SYNC), the database's defaults. */
int lesson_db_finish(struct scenario_opts *o, const char *sync);

/* Run, print; the exit code. */
int lesson_db_main(struct scenario_opts *o);

#endif
