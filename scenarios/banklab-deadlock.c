/*
 * banklab-deadlock: the lesson of deadlock: two transfers lock the same accounts in opposite order.
 * Everything is in the library (lab/scenario.c); see --help.
 */
#include "scenario.h"

int
main(int argc, char **argv)
{
	return scenario_main(SCENARIO_DEADLOCK, argc, argv);
}
