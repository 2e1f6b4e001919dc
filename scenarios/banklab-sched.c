/*
 * banklab-sched: run a schedule of named steps by named processes, explore
 * its interleavings, replay and shrink a failing one.  See --help; the
 * work is in the library (lab/sched_*.c).
 */
#include "sched_cli.h"

int
main(int argc, char **argv)
{
	return sched_main(argc, argv);
}
