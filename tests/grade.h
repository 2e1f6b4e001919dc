/*
 * grade: the graders of the four exercises (lab/exercise.h).
 *
 * One program, two roles.  The grader (grade_main.c) is linked with the
 * student stubs only: it never loads a submission.  It runs every check
 * as a separate process, a build of this same program linked with the
 * submission's file for that check's exercise (and the stubs for the
 * other three), with a timeout and a memory limit, reads one verdict per
 * check over a pipe, and writes the score, results.json and junit.xml
 * itself once every process the submission could have started is gone.
 * A check (grade_checks.c) runs the exercise's code in `banklab worker`
 * processes built the same way, mostly on schedules that replay the
 * interleaving that breaks a wrong answer, and checks the rules of
 * lab/exercise.h the library records as the code runs (contract.h).
 */
#ifndef GRADE_H
#define GRADE_H

#include <check.h>
#include <stdbool.h>

#define GRADE_EXERCISES	4

struct grade_check {
	int exercise;		/* 1 .. GRADE_EXERCISES */
	const char *name;
	const TTest *const *test;
	int points;
	int timeout;		/* seconds */
	const char *what;	/* one line: what it verifies */
	const char *hint;	/* what a timeout most likely means */
};

/* The table: every check, its points, in the order they are shown. */
extern const struct grade_check grade_checks[];
extern const unsigned grade_ncheck;

/* The exercises' names and files ("semaphore" -> semaphore.c). */
extern const char *const grade_exercise_name[GRADE_EXERCISES + 1];

/*
 * What a check leaves for its failure report: the command that shows it
 * (run from the directory the grade ran in), and the text of a schedule
 * file it names (written to OUT/CHECK.sched by the grader).
 */
struct grade_note {
	char repro[768];
	char sched[2048];
	const char *bin;	/* the exercise's programs (a directory) */
	const char *out;	/* where results and schedule files go */
	const char *check;	/* this check's name */
};

extern struct grade_note grade_note;

#endif
