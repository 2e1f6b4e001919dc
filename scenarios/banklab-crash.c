/*
 * banklab-crash: the lesson of a process dies holding a lock, in the middle of a transfer.
 * Everything is in the library (lab/scenario.c); see --help.
 */
#include "scenario.h"

int
main(int argc, char **argv)
{
	return scenario_main(SCENARIO_CRASH, argc, argv);
}
