/*
 * banklab-crash: the lesson of a process dies holding a lock, in the middle
 * of a transfer.  The lesson is a table entry (lab/lessons.c), its command
 * line is scenarios/lesson.c; see --help.
 */
#include "lesson.h"

int
main(int argc, char **argv)
{
	return lesson_main(SCENARIO_CRASH, argc, argv);
}
