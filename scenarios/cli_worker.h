/*
 * cli_worker: parsing `banklab worker`'s command line (program side).
 *
 * Contract: cli_worker_parse() reads argv[0..argc-1], the words after
 * `worker`: one NAME and options as worker_args[] (lab/worker_argv.h)
 * lists them, `--opt VALUE` or `--opt=VALUE`.  It is exact: an unknown
 * option, a missing or malformed value, a value out of the table's range
 * or a second NAME is refused with -EINVAL or -ERANGE and *bad the index
 * of the word at fault (argc if NAME is missing); cli_worker_explain()
 * says why in one line.  What the library's worker_argv_build() makes,
 * this reads back to the same spec.
 */
#ifndef SCENARIOS_CLI_WORKER_H
#define SCENARIOS_CLI_WORKER_H

#include <stddef.h>

#include "worker_argv.h"

int cli_worker_parse(int argc, char *const argv[], struct worker_spec *s,
    int *bad);

/* Why cli_worker_parse() refused argv[bad] (its code rc), into buf. */
const char *cli_worker_explain(int argc, char *const argv[], int bad, int rc,
    char *buf, size_t len);

#endif
