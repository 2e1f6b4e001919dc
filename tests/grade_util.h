/*
 * grade_util: what the checks share (grade_checks.c): schedules run and
 * judged with everything the library recorded, bounded stress runs, and
 * the failure note each check leaves (grade.h).  Called only inside a
 * check process; failures are Check assertions.
 */
#ifndef GRADE_UTIL_H
#define GRADE_UTIL_H

#include "grade.h"
#include "run.h"
#include "schedule.h"

/* A parsed schedule and its text (written out for the reproduce line). */
struct grade_sched {
	struct sched_spec s;
	char text[2048];
};

struct grade_sched *grade_lesson(const char *name);
struct grade_sched *grade_spec(const char *text);

void grade_repro(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Run g under v with permutation line (NULL: the file's k-th). */
void grade_run(const struct grade_sched *g, enum sync_kind v,
    const char *line, int k, struct sched_result *r);

/* The run ended cleanly, and the exercise kept its contract. */
void grade_expect_clean(const struct sched_result *r, const char *what);

/* grade_run() then grade_expect_clean(). */
void grade_sched_check(const struct grade_sched *g, enum sync_kind v,
    const char *line, const char *what);

/* Every run of an exploration must be clean; every run is counted. */
void grade_explore(const struct grade_sched *g, enum sync_kind v,
    enum sched_policy policy, unsigned runs, const char *what);

/* A lesson's file, its first permutation, or all its interleavings. */
void grade_lesson_check(const char *name, enum sync_kind v);
void grade_lesson_explore(const char *name, enum sync_kind v);

/* A bounded stress run of procs workers on a fresh ledger. */
void grade_stress(enum sync_kind v, uint32_t accounts,
    struct worker_config *each, unsigned procs, struct run_result *res);
void grade_expect_books(const struct run_result *res, const char *what);

#endif
