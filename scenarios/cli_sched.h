/*
 * cli_sched: the options that run a schedule (--schedule, --permutation,
 * --explore, --runs, --depth, --repeat, --shrink), taken by banklab-sched
 * and by the lessons, into the library's struct sched_cli.
 */
#ifndef SCENARIOS_CLI_SCHED_H
#define SCENARIOS_CLI_SCHED_H

#include <getopt.h>

#include "cli.h"
#include "sched_cli.h"

/* Their rows (ending with a NULL name), beside the common ones. */
extern const struct option cli_sched_rows[];

/*
 * Defaults: 100 runs, depth 2, repeat 1, the seed from the pid, stdout and
 * stderr, the run tag from $BANKLAB_RUN_TAG.
 */
void cli_sched_defaults(struct sched_cli *o, const char *prog);

/* Is ch one of cli_sched_rows? */
bool cli_sched_is_option(int ch);

/* Take option ch: 0, or one line and -CLI_EUSAGE. */
int cli_sched_option(struct sched_cli *o, int ch, const char *arg);

/*
 * The common options that a schedule's run shares (--sync, --seed,
 * --json, --quiet), from g into o; then $BANKLAB_SYNC if no --sync.  With
 * o->db (set before), the variants are the database's, and --explore
 * and --shrink are refused.
 */
int cli_sched_common(struct sched_cli *o, const struct cli_given *g);

/* With --db: --explore or --shrink asked for?  One line, -CLI_EUSAGE. */
int cli_sched_db_check(const struct sched_cli *o);

/*
 * Run s as o says (sched_cli_run()), after refusing what the file cannot
 * do (a --permutation past its permutations, a --schedule it does not
 * parse: one line, exit 2); the exit code: 0 no anomaly, 1 an anomaly,
 * 3 a system failure or --repeat's runs that disagree.
 */
int cli_sched_run(struct sched_cli *o, const struct sched_spec *s);

#endif
