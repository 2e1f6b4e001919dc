/*
 * banklab-race: the lesson of lost updates: two read-modify-writes of one balance overlap.
 * Everything is in the library (lab/scenario.c); see --help.
 */
#include "scenario.h"

int
main(int argc, char **argv)
{
	return scenario_main(SCENARIO_RACE, argc, argv);
}
