/*
 * banklab-stale: the lesson of inconsistent totals: an audit sums balances
 * while transfers run.  The lesson is a table entry (lab/lessons.c), its
 * command line is scenarios/lesson.c; see --help.
 */
#include "lesson.h"

int
main(int argc, char **argv)
{
	return lesson_main(SCENARIO_STALE, argc, argv);
}
