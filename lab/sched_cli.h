/*
 * sched_cli: running a parsed schedule as banklab-sched (and the lessons'
 * --schedule and --explore) asks: print the timeline or the exploration's
 * failing runs with their replay lines to o->out (problems to o->err).
 * Reports layer, above the schedules; it never parses a command line:
 * the programs fill struct sched_cli (scenarios/cli_sched.c).
 */
#ifndef LAB_SCHED_CLI_H
#define LAB_SCHED_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "db.h"
#include "schedule.h"

struct sched_cli {
	const char *prog;
	const char *file;
	FILE *out;			/* timelines, verdicts, JSON */
	FILE *err;			/* one line on what is wrong */
	bool is_lesson;			/* a lesson program: no FILE argument */
	enum sync_kind sync;
	bool has_sync;			/* else the file's sync line */
	const char *schedule;		/* one permutation, on the line */
	const struct sched_perm *perm;	/* ... parsed by the program */
	int permutation;		/* only this one of the file's (1-based) */
	enum sched_policy explore;
	bool has_explore;
	unsigned runs;
	uint64_t seed;
	unsigned depth;
	unsigned repeat;
	bool shrink, json, quiet;
	const char *run_tag;		/* $BANKLAB_RUN_TAG, or "" */
	const char *worker;		/* $BANKLAB_WORKER, or NULL */
	const char *trace_file;		/* --trace FILE, for the program */
	/*
	 * On PostgreSQL (sched_db.h): the conninfo, NULL in shared memory;
	 * the variant then is db_sync (has_sync), else the file's.  Not
	 * with explore or shrink (-ENOTSUP: the program refuses them).
	 */
	const char *db;
	enum db_sync db_sync;
	/*
	 * NULL, or called after every run of an exploration: runs done, of
	 * total (0: not known, `all`); and progress_hide just before a
	 * run's lines go to out, so that a progress line can make room.
	 */
	void (*progress)(void *arg, unsigned done, unsigned total);
	void (*progress_hide)(void *arg);
	void *progress_arg;
};

/*
 * Run s as o asks (the permutation o->perm, else the file's, or only the
 * o->permutation-th, or explore); *anomaly says whether a run showed one.
 * 0, or a negative code: -EPROTO when --repeat's runs disagree, -EINVAL
 * for o->permutation past the file's (the program refuses it first),
 * else what a run failed with.
 */
int sched_cli_run(const struct sched_cli *o, const struct sched_spec *s,
    bool *anomaly);

/*
 * The line that replays the entries e[0..n-1] of s under v: "PROG FILE
 * --sync V --schedule '...'" (no FILE when it is NULL), FILE quoted for
 * the shell.  What banklab-sched prints after "replay:", and what a game
 * of banklab serve gives for its steps: one function for both.
 */
void sched_replay_line(const char *prog, const char *file,
    const struct sched_spec *s, enum sync_kind v,
    const struct sched_entry *e, int n, char *buf, size_t len);

/*
 * A shipped schedule file ("race.sched") into path: looked for in dir (the
 * caller's choice, e.g. $BANKLAB_SCHEDULES; NULL or "" for none), then
 * where `make install` puts them, then in the source tree this was built
 * from.  0, or -ENOENT.
 */
int sched_find_file(const char *dir, const char *file, char *path,
    size_t len);

/* The same for a lesson's name: "race" -> race.sched. */
int sched_find_lesson(const char *dir, const char *lesson, char *path,
    size_t len);

#endif
