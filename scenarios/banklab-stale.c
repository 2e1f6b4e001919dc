/*
 * banklab-stale: the lesson of inconsistent totals: an audit sums balances while transfers run.
 * Everything is in the library (lab/scenario.c); see --help.
 */
#include "scenario.h"

int
main(int argc, char **argv)
{
	return scenario_main(SCENARIO_STALE, argc, argv);
}
