/*
 * lesson: the whole of a lesson program (banklab-race, -stale, -deadlock,
 * -crash): its options over the common table (cli.h) and the schedule
 * options (cli_sched.h), its --help from the lesson's table entry
 * (lab/lessons.c), then the run or the shipped schedule, the report and
 * the exit code.
 */
#ifndef SCENARIOS_LESSON_H
#define SCENARIOS_LESSON_H

#include "scenario.h"

/*
 * A lesson's command line into o: 0 to run, or a negative code (cli.h):
 * -CLI_EDONE after --help or --version, -CLI_EUSAGE after its one line.
 */
int lesson_parse(enum scenario_kind k, int argc, char **argv,
    struct scenario_opts *o);

/* Parse, run, print; the program's exit code. */
int lesson_main(enum scenario_kind k, int argc, char **argv);

#endif
