/*
 * banklab-bench: what each variant's transfer costs, beside the bare
 * primitives, at several process and account counts.  The measuring is in
 * the library (lab/bench*.c); this parses options, calls it and prints.
 * It is also the program of the measuring processes the library starts:
 * `banklab-bench --bench-child ...` (bench.h) runs one and prints its
 * one-line report.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "cli.h"
#include "lab.h"
#include "plot.h"
#include "progress.h"

static const char *prog = "banklab-bench";

/* The common options bench takes. */
static const struct cli_prog bench_prog = {
	.name = "banklab-bench",
	.common = CLI_SEED | CLI_JSON | CLI_HELP | CLI_VERSION,
	.seed_max = INT64_MAX / 2,
};

static const struct option bench_longopts[] = {
	{ "procs", required_argument, NULL, 'p' },
	{ "accounts", required_argument, NULL, 'a' },
	{ "only", required_argument, NULL, 'o' },
	{ "repeat", required_argument, NULL, 'r' },
	{ "run-ms", required_argument, NULL, 'm' },
	{ "ops", required_argument, NULL, 'n' },
	{ "quick", no_argument, NULL, 'Q' },
	{ "plot", required_argument, NULL, 'G' },
	{ NULL, 0, NULL, 0 },
};

static void
usage(void)
{
	printf("usage: %s [options]\n\n"
"Measures, in one run, the transfer rate of every variant (none, semaphore,\n"
"robust, ordered) and of the bare primitives they are built from, for each\n"
"process count x account count, on fresh private ledgers.\n\n"
"  --procs LIST     process counts, e.g. 1,2,4 (default)\n"
"  --accounts LIST  account counts (default 2,1000,1000000; 2 = every\n"
"                   transfer on the same two accounts)\n"
"  --only LIST      kinds to run (default all): none, semaphore, robust,\n"
"                   ordered, bare-loop, bare-loadstore, bare-atomic,\n"
"                   bare-mutex, bare-robust, bare-sem, move-sem,\n"
"                   move-robust\n"
"  --repeat N       timed runs per cell; median and min-max (default 5)\n"
"  --run-ms MS      each timed run aims at this long (default 100)\n"
"  --ops N          instead: N transfers per process per run\n"
"  --seed S         process i draws its pairs from S + i (default 1)\n"
"  --quick          under 10 s: accounts 2,1000, 3 runs of about 10 ms;\n"
"                   options after it still apply\n"
"  --json           one JSON object on stdout (progress stays on stderr)\n"
"  --plot FILE      also draw the table with gnuplot into FILE, SVG or PNG\n"
"                   by its extension: throughput against processes\n\n"
"A progress line goes to stderr when it is a terminal.\n"
"exit: 0 every correct variant kept the money, 1 one lost money or hit a\n"
"lock error, 2 bad usage, 3 system failure (no gnuplot on PATH, checked\n"
"before the run; gnuplot failed), 130 interrupted (ledgers removed).\n"
"The goals are measured and printed, never turned into exit codes.\n",
	    prog);
}

/* "1,2,4" into v[]: each in [min, max], at most BENCH_LIST_MAX, no twice. */
static int
parse_list(const char *what, const char *s, int64_t min, int64_t max,
    uint32_t *v, unsigned *n)
{
	char buf[256], *tok, *save = NULL;
	unsigned i;
	int64_t x;

	if (strlen(s) >= sizeof(buf) || s[0] == '\0' ||
	    s[strlen(s) - 1] == ',' || strstr(s, ",,") != NULL) {
		fprintf(stderr, "%s: %s: \"%s\" is not a list like 1,2,4\n",
		    prog, what, s);
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	*n = 0;
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (cli_number(prog, what, tok, min, max, &x) < 0)
			return -1;
		for (i = 0; i < *n; i++)
			if (v[i] == (uint32_t)x) {
				fprintf(stderr, "%s: %s: \"%s\" is given "
				    "twice\n", prog, what, tok);
				return -1;
			}
		if (*n == BENCH_LIST_MAX) {
			fprintf(stderr, "%s: %s: more than %d values\n", prog,
			    what, BENCH_LIST_MAX);
			return -1;
		}
		v[(*n)++] = (uint32_t)x;
	}
	return 0;
}

static int
parse_kinds(const char *s, bool *kinds)
{
	char buf[256], *tok, *save = NULL;
	enum bench_kind k;

	memset(kinds, 0, BENCH_KIND_COUNT * sizeof(*kinds));
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (bench_kind_parse(tok, &k) < 0) {
			fprintf(stderr, "%s: --only: \"%s\" is not a kind "
			    "(--help)\n", prog, tok);
			return -1;
		}
		kinds[k] = true;
	}
	for (k = 0; k < BENCH_KIND_COUNT; k++)
		if (kinds[k])
			return 0;
	fprintf(stderr, "%s: --only: \"%s\" names no kind\n", prog, s);
	return -1;
}

/* What was given, applied over the defaults (and --quick's) at the end. */
struct opts {
	struct bench_config c;
	bool has_procs, has_accounts, has_repeat, has_run_ms, is_quick;
	unsigned nprocs, naccounts, repeat, run_ms;
	uint32_t procs[BENCH_LIST_MAX], accounts[BENCH_LIST_MAX];
	bool kinds[BENCH_KIND_COUNT], has_kinds;
	uint64_t ops, seed;
	bool json;
	const char *plot;		/* --plot FILE */
};

/* One of bench's own options; 0 or -CLI_EUSAGE. */
static int
parse_one(void *opts, int ch, const char *arg)
{
	struct opts *o = opts;
	int64_t v;

	switch (ch) {
	case 'p':
		o->has_procs = true;
		return parse_list("--procs", arg, 1, LEDGER_SLOTS,
		    o->procs, &o->nprocs) < 0 ? -CLI_EUSAGE : 0;
	case 'a':
		o->has_accounts = true;
		return parse_list("--accounts", arg, 2, LEDGER_ACCOUNTS_MAX,
		    o->accounts, &o->naccounts) < 0 ? -CLI_EUSAGE : 0;
	case 'o':
		o->has_kinds = true;
		return parse_kinds(arg, o->kinds) < 0 ? -CLI_EUSAGE : 0;
	case 'r':
		if (cli_number(prog, "--repeat", arg, 1,
		    BENCH_REPEAT_MAX, &v) < 0)
			return -CLI_EUSAGE;
		o->repeat = (unsigned)v;
		o->has_repeat = true;
		return 0;
	case 'm':
		if (cli_number(prog, "--run-ms", arg, 1, 60000, &v) < 0)
			return -CLI_EUSAGE;
		o->run_ms = (unsigned)v;
		o->has_run_ms = true;
		return 0;
	case 'n':
		if (cli_number(prog, "--ops", arg, 1, 1000000000,
		    &v) < 0)
			return -CLI_EUSAGE;
		o->ops = (uint64_t)v;
		return 0;
	case 'Q':
		o->is_quick = true;
		return 0;
	case 'G':
		o->plot = arg;
		return 0;
	default:
		return -CLI_EUSAGE;
	}
}

/* What was given, over the defaults (and --quick's, whatever its place). */
static void
apply(struct opts *o)
{
	unsigned i;

	bench_config_default(&o->c);
	if (o->is_quick)
		bench_config_quick(&o->c);
	if (o->has_procs) {
		o->c.nprocs = o->nprocs;
		memcpy(o->c.procs, o->procs, sizeof(o->procs));
	}
	if (o->has_accounts) {
		o->c.naccounts = o->naccounts;
		memcpy(o->c.accounts, o->accounts, sizeof(o->accounts));
	}
	if (o->has_kinds)
		for (i = 0; i < BENCH_KIND_COUNT; i++)
			o->c.kinds[i] = o->kinds[i];
	if (o->has_repeat)
		o->c.repeat = o->repeat;
	if (o->has_run_ms)
		o->c.run_ms = o->run_ms;
	o->c.ops = o->ops;
	o->c.seed = o->seed;
}

/* 0 to run, or a negative code (cli.h). */
static int
parse(int argc, char **argv, struct opts *o)
{
	struct cli_given g = { 0 };
	int r;

	memset(o, 0, sizeof(*o));
	r = cli_getopt(&bench_prog, bench_longopts, NULL, argc, argv, &g,
	    parse_one, o);
	if (r == -CLI_EHELP) {
		usage();
		return -CLI_EDONE;
	}
	if (r < 0 || (r = cli_no_operands(prog, argc, argv)) < 0)
		return r;
	o->seed = g.has_seed ? g.seed : 1;
	o->json = g.json;
	apply(o);
	return 0;
}

/*
 * The program the measuring processes run: ourselves, found through
 * /proc/self/exe (argv[0] may be a bare name found on PATH).
 */
static int
self_path(const char *argv0, char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);

	if (n > 0) {
		buf[n] = '\0';
		return 0;
	}
	if (strchr(argv0, '/') == NULL || strlen(argv0) >= len)
		return -1;
	snprintf(buf, len, "%s", argv0);
	return 0;
}

/*
 * A measuring process: `banklab-bench --bench-child NAME KIND PROCS OPS
 * SEED GATE CPU PARENT` (bench.h).  It prints its report and exits 0 once
 * it has one to print, whatever the report says (its rc is in it); 2 if
 * the command line is not one the library makes.
 */
static int
child_main(int argc, char **argv)
{
	static const char *const what[] = { "procs", "ops", "seed", "gate",
	    "cpu", "parent" };
	static const int64_t lo[] = { 1, 1, 0, 1, -1, 1 };
	static const int64_t hi[] = { LEDGER_SLOTS, INT64_MAX, INT64_MAX,
	    INT64_MAX, CPU_SETSIZE - 1, INT32_MAX };
	struct bench_child a;
	struct bench_report rep;
	int64_t v[6];
	unsigned i;

	memset(&a, 0, sizeof(a));
	if (argc != BENCH_CHILD_ARGC || strlen(argv[2]) > LEDGER_NAME_MAX ||
	    bench_kind_parse(argv[3], &a.kind) < 0) {
		fprintf(stderr, "%s: %s: not a measuring process's arguments\n",
		    prog, BENCH_CHILD_ARG);
		return LAB_EXIT_USAGE;
	}
	for (i = 0; i < 6; i++)
		if (cli_number(prog, what[i], argv[4 + i], lo[i], hi[i],
		    &v[i]) < 0)
			return LAB_EXIT_USAGE;
	snprintf(a.name, sizeof(a.name), "%s", argv[2]);
	a.procs = (unsigned)v[0];
	a.ops = (uint64_t)v[1];
	a.seed = (uint64_t)v[2];
	a.gate = (uint64_t)v[3];
	a.cpu = (int)v[4];
	a.parent = (int32_t)v[5];
	bench_child_run(&a, &rep);
	bench_report_print(stdout, &rep);
	return fflush(stdout) == 0 ? LAB_EXIT_OK : LAB_EXIT_SYSTEM;
}

/* "[12/90] 3.1 s, about 20 s left  ordered 2p 1000acc" (progress.h). */
static void
bench_progress(void *arg, unsigned done, unsigned total, enum bench_kind k,
    unsigned procs, uint32_t accounts)
{
	char what[64];

	snprintf(what, sizeof(what), "%s %up %" PRIu32 "acc",
	    bench_kind_name(k), procs, accounts);
	progress_draw(arg, done, total, what);
}

/* The table (or JSON), then the plot: the exit code. */
static int
bench_finish(const struct opts *o, const struct bench_result *r,
    struct plot *pl)
{
	if (!o->json)
		bench_print(stdout, &o->c, r);
	else if (cli_put_json(prog, bench_json(&o->c, r)) < 0) {
		plot_abandon(pl);
		return LAB_EXIT_SYSTEM;
	}
	if (r->interrupted) {
		plot_abandon(pl);	/* half a table: no plot */
		return LAB_EXIT_INTERRUPTED;
	}
	fflush(stdout);
	if (pl->fd >= 0 && plot_bench(pl, &o->c, r) < 0)
		return LAB_EXIT_SYSTEM;
	return bench_has_anomaly(r) ? LAB_EXIT_ANOMALY : LAB_EXIT_OK;
}

int
main(int argc, char **argv)
{
	struct plot pl = { .fd = -1 };
	struct bench_result r;
	struct progress pg;
	struct opts o;
	char self[PATH_MAX];
	int rc;

	if (argc > 1 && strcmp(argv[1], BENCH_CHILD_ARG) == 0)
		return child_main(argc, argv);
	if ((rc = parse(argc, argv, &o)) < 0)
		return cli_exit_code(rc);
	/* Before the long run: a bad FILE or no gnuplot is found now. */
	if (o.plot != NULL && (rc = plot_open(&pl, prog, o.plot)) < 0)
		return cli_exit_code(rc);
	if (self_path(argv[0], self, sizeof(self)) < 0) {
		fprintf(stderr, "%s: cannot find this program's path for the "
		    "measuring processes (/proc/self/exe)\n", prog);
		plot_abandon(&pl);
		return LAB_EXIT_SYSTEM;
	}
	o.c.child_path = self;
	progress_start(&pg);
	if (pg.is_on) {
		o.c.progress = bench_progress;
		o.c.progress_arg = &pg;
	}
	rc = bench_run(&o.c, &r);
	progress_end(&pg);
	if (rc < 0 && rc != -EINTR) {
		fprintf(stderr, "%s: %s\n", prog, lab_strerror(rc));
		plot_abandon(&pl);
		rc = LAB_EXIT_SYSTEM;
	} else {
		rc = bench_finish(&o, &r, &pl);
	}
	bench_result_free(&r);
	return rc;
}
