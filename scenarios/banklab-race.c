/*
 * banklab-race: the lesson of lost updates: two read-modify-writes of one
 * balance overlap.  The lesson is a table entry (lab/lessons.c), its command
 * line is scenarios/lesson.c; see --help.
 */
#include "lesson.h"

int
main(int argc, char **argv)
{
	return lesson_main(SCENARIO_RACE, argc, argv);
}
