/*
 * sched_cli: the options of banklab-sched (and of the lessons' --schedule
 * and --explore), and running a parsed schedule as they ask: print the
 * timeline or the exploration's failing runs with their replay lines,
 * return the exit code (0 no anomaly, 1 anomaly, 2 usage, 3 system).
 */
#ifndef LAB_SCHED_CLI_H
#define LAB_SCHED_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include "schedule.h"

struct sched_cli {
	const char *prog;
	const char *file;
	bool is_lesson;			/* a lesson program: no FILE argument */
	enum sync_kind sync;
	bool has_sync;
	const char *schedule;		/* one permutation, on the line */
	int permutation;		/* only this one of the file's (1-based) */
	enum sched_policy explore;
	bool has_explore;
	unsigned runs;
	uint64_t seed;
	unsigned depth;
	unsigned repeat;
	bool shrink, json, quiet;
};

/* getopt_long table of banklab-sched, and its --help. */
extern const struct option sched_longopts[];
void sched_usage(const char *prog);

void sched_cli_defaults(struct sched_cli *o, const char *prog);

/* Take one option (its getopt value ch); -1 after printing why not. */
int sched_cli_option(struct sched_cli *o, int ch, const char *arg);

int sched_cli_run(const struct sched_cli *o, const struct sched_spec *s);

/*
 * The shipped schedule of a lesson ("race" -> race.sched): looked for in
 * $BANKLAB_SCHEDULES, then where `make install` puts them, then in the
 * source tree this was built from.  0, or -ENOENT.
 */
int sched_find_lesson(const char *lesson, char *path, size_t len);

/* The whole of banklab-sched. */
int sched_main(int argc, char **argv);

#endif
