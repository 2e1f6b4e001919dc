/*
 * banklab-sched: run a schedule of named steps by named processes, explore
 * its interleavings, replay and shrink a failing one.  See --help; the
 * work is in the library (lab/sched_*.c), the options in cli_sched.c.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "cli_sched.h"
#include "cli_trace.h"
#include "sched_cli.h"

static const struct cli_prog sched_prog = {
	.common = CLI_SYNC | CLI_SEED | CLI_JSON | CLI_QUIET | CLI_HELP |
	    CLI_VERSION | CLI_TRACE,
	.seed_max = INT64_MAX,
};

/* Its own row: the schedule on PostgreSQL. */
static const struct option sched_rows[] = {
	{ "db", required_argument, NULL, 'B' },
	{ NULL, 0, NULL, 0 },
};

static void
sched_usage(const char *prog)
{
	printf("usage: %s FILE.sched [options]\n"
"       banklab-sched -h | --help | -V | --version\n\n"
"Runs a schedule: processes that each do their operations on a shared\n"
"ledger, released one step at a time in the order a permutation gives.\n"
"Every run of a schedule is the same run.\n\n"
"options:\n"
"  --db CONNINFO     on PostgreSQL (libpq's conninfo; \"\": the PG*\n"
"                    environment): each process is a session, each step\n"
"                    its statements; --sync may be serializable; not with\n"
"                    --explore or --shrink\n"
"  --sync V          none | semaphore | robust | ordered (default: the\n"
"                    file's sync line, else $BANKLAB_SYNC, else none)\n"
"  --schedule \"...\"  this permutation instead of the file's, e.g.\n"
"                    \"p1:read_from p2:read_to p1:write_from p2:write_to\";\n"
"                    pN runs pN to its next step, pN:STEP until STEP,\n"
"                    pN:KILL kills it where it is parked\n"
"  --permutation N   only the file's N-th permutation (1-based)\n"
"  --explore MODE    all (every interleaving; where the file kills, every\n"
"                    kill point too), random, pct\n"
"  --runs N          runs for random and pct (default 100)\n"
"  --depth D         pct: bug depth d (default 2)\n"
"  --seed S          seed for random and pct (printed)\n"
"  --shrink          make a failing schedule minimal, and show it\n"
"  --repeat N        run each permutation N times; they must agree\n"
"  --json            one JSON object\n"
"  --quiet           verdicts only\n"
"  --trace FILE      write a trace of the run's processes (Chrome JSON:\n"
"                    open it in https://ui.perfetto.dev)\n\n"
"steps: lock first_lock read_from read_to write_from write_to unlock\n"
"       audit_read\n"
"exit: 0 no anomaly, 1 anomaly found, 2 bad usage or a bad schedule\n"
"      file, 3 system failure\n", prog);
}

/* The options into o; 0, or a negative code (cli.h). */
/* One of the schedule options (the only rows besides the common ones). */
static int
sched_take(void *arg, int ch, const char *value)
{
	struct sched_cli *o = arg;

	if (ch == 'B') {
		o->db = value;
		return 0;
	}
	return cli_sched_option(o, ch, value);
}

static int
sched_parse_args(int argc, char **argv, struct sched_cli *o)
{
	struct cli_prog p = sched_prog;
	struct cli_given g = { 0 };
	int r;

	cli_sched_defaults(o, cli_basename(argv[0]));
	p.name = o->prog;
	r = cli_getopt(&p, cli_sched_rows, sched_rows, argc, argv, &g,
	    sched_take, o);
	if (r == -CLI_EHELP) {
		sched_usage(o->prog);
		return -CLI_EDONE;
	}
	if (r < 0)
		return r;
	if (optind != argc - 1) {
		fprintf(stderr, "%s: %s (--help)\n", o->prog, optind >= argc ?
		    "needs a schedule FILE" : "takes one schedule FILE");
		return -CLI_EUSAGE;
	}
	o->file = argv[optind];
	return cli_sched_common(o, &g);
}

struct sched_traced {
	struct sched_cli *o;
	struct sched_spec *s;
};

static int
sched_traced(struct trace *t, void *arg)
{
	struct sched_traced *a = arg;

	a->s->trace = t;
	return cli_sched_run(a->o, a->s);
}

int
main(int argc, char **argv)
{
	struct sched_cli o;
	struct sched_spec *s;
	char err[512];
	int rc;

	lab_sigpipe_quiet();
	if ((rc = sched_parse_args(argc, argv, &o)) < 0)
		return cli_exit_code(rc);
	if ((s = malloc(sizeof(*s))) == NULL)
		return LAB_EXIT_SYSTEM;
	if (sched_parse_file(o.file, s, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", o.prog, err);
		free(s);
		return LAB_EXIT_USAGE;
	}
	s->worker = o.worker;
	s->run_tag = o.run_tag;
	rc = cli_trace_run(o.prog, o.trace_file, "scheduler", sched_traced,
	    &(struct sched_traced){ &o, s });
	free(s);
	return rc;
}
