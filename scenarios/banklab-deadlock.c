/*
 * banklab-deadlock: the lesson of deadlock: two transfers lock the same
 * accounts in opposite order.  The lesson is a table entry (lab/lessons.c),
 * its command line is scenarios/lesson.c; see --help.
 */
#include "lesson.h"

int
main(int argc, char **argv)
{
	return lesson_main(SCENARIO_DEADLOCK, argc, argv);
}
