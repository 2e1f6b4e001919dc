/*
 * banklab-storm: the kill storm.  Workers transfer, this program SIGKILLs
 * them at random and starts new ones, an auditor checks the total all the
 * while; at the end not a cent may be missing.  The storm is in the library
 * (lab/storm.c); this parses options, calls it and prints.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_trace.h"
#include "lab.h"
#include "plot.h"
#include "progress.h"
#include "report.h"
#include "storm.h"

static const char *prog = "banklab-storm";

static const struct cli_prog storm_prog = {
	.name = "banklab-storm",
	.common = CLI_SYNC | CLI_SEED | CLI_JSON | CLI_TIMEOUT | CLI_HELP |
	    CLI_VERSION | CLI_TRACE,
	.seed_max = INT64_MAX / 2,
	.timeout_min = 1,		/* seconds */
	.timeout_max = 86400,
};

/* The storm's own rows, beside the common ones. */
static const struct option storm_rows[] = {
	{ "kills", required_argument, NULL, 'k' },
	{ "workers", required_argument, NULL, 'w' },
	{ "accounts", required_argument, NULL, 'a' },
	{ "ops", required_argument, NULL, 'n' },
	{ "repair-kills", required_argument, NULL, 'r' },
	{ "plot", required_argument, NULL, 'G' },
	{ NULL, 0, NULL, 0 },
};

static void
usage(void)
{
	printf("usage: %s [options]\n"
"       banklab-storm -h | --help | -V | --version\n\n"
"Workers transfer money on a private ledger while this program SIGKILLs\n"
"random ones (only those already transferring) and starts new ones; some\n"
"workers kill themselves in the middle of their first repair of a dead\n"
"owner's lock.  An auditor process takes consistent audits the whole time:\n"
"every total must be the opening one.  At the end the last repairs are\n"
"made and the books must balance to the cent.\n\n"
"  --kills N         SIGKILLs to send (default 1000)\n"
"  --workers N       workers running at once, 2..%d (default 8)\n"
"  --accounts N      accounts, 2..100000 (default 16)\n"
"  --ops N           transfers each worker is given (default 200000)\n"
"  --repair-kills P  %% of workers that die at their first repair\n"
"                    (default 25)\n"
"  --seed S          workers' seeds and the killer's choices (default 1)\n"
"  --sync ordered    the only variant that survives a storm: none and\n"
"                    semaphore cannot survive a kill (banklab-crash shows\n"
"                    it), robust deadlocks on its own (banklab-deadlock)\n"
"  --timeout S       give up after S seconds (default 300)\n"
"  --json            one JSON object on stdout\n"
"  --trace FILE      write a trace of every process of the storm (Chrome\n"
"                    JSON: open it in https://ui.perfetto.dev; keep the\n"
"                    storm short, e.g. --kills 20)\n"
"  --plot FILE       also draw the money (the total against the books) and\n"
"                    the kills over time with gnuplot into FILE, SVG or\n"
"                    PNG by its extension\n\n"
"A progress line goes to stderr when it is a terminal.\n"
"exit: 0 no cent lost and every audit right, 1 money lost, a wrong total,\n"
"a lock error or a hang, 2 bad usage, 3 system failure (no gnuplot on\n"
"PATH, checked before the storm; gnuplot failed), 130 interrupted (the\n"
"ledger is removed on every path).\n", prog, STORM_WORKERS_MAX);
}

/* Only ordered survives a storm: say why the others cannot. */
static int
storm_sync(const char *s, enum sync_kind *out)
{
	enum sync_kind v;
	int r;

	if ((r = cli_sync(prog, s, SYNC_ORDERED, &v)) < 0)
		return r;
	if (v != SYNC_ORDERED) {
		fprintf(stderr, "%s: %s: \"%s\" cannot be stormed: %s "
		    "(banklab-%s --sync %s shows it)\n", prog,
		    s != NULL ? "--sync" : "BANKLAB_SYNC", ledger_sync_name(v),
		    v == SYNC_NONE ?
		    "a half-done transfer is never rolled back" :
		    v == SYNC_SEMAPHORE ?
		    "a dead holder keeps the semaphore for ever" :
		    "its transfers deadlock without any kill",
		    v == SYNC_ROBUST ? "deadlock" : "crash",
		    ledger_sync_name(v));
		return -CLI_EUSAGE;
	}
	*out = v;
	return 0;
}

struct opts {
	struct storm_config c;
	bool json;
	const char *trace;		/* --trace FILE */
	const char *plot;		/* --plot FILE */
};

/* One of storm_rows. */
static int
storm_option(void *opts, int ch, const char *arg)
{
	struct opts *o = opts;
	int64_t v;
	int r;

	switch (ch) {
	case 'k':
		if ((r = cli_number(prog, "--kills", arg, 1, 10000000,
		    &v)) == 0)
			o->c.kills = (uint64_t)v;
		return r;
	case 'w':
		if ((r = cli_number(prog, "--workers", arg, 2,
		    STORM_WORKERS_MAX, &v)) == 0)
			o->c.workers = (unsigned)v;
		return r;
	case 'a':
		if ((r = cli_number(prog, "--accounts", arg, 2, 100000,
		    &v)) == 0)
			o->c.accounts = (uint32_t)v;
		return r;
	case 'n':
		if ((r = cli_number(prog, "--ops", arg, 1, 1000000000,
		    &v)) == 0)
			o->c.ops = (uint64_t)v;
		return r;
	case 'r':
		if ((r = cli_number(prog, "--repair-kills", arg, 0, 100,
		    &v)) == 0)
			o->c.repair_pct = (unsigned)v;
		return r;
	case 'G':
		o->plot = arg;
		return 0;
	default:
		return -EINVAL;
	}
}

/* 0 to run, or a negative code (cli.h). */
static int
parse(int argc, char **argv, struct opts *o)
{
	struct cli_given g = { 0 };
	int r;

	memset(o, 0, sizeof(*o));
	storm_config_default(&o->c);
	/* A caller's tag (a grader's) in the ledger's name: it sweeps. */
	o->c.run_tag = getenv("BANKLAB_RUN_TAG");
	o->c.worker = getenv("BANKLAB_WORKER");
	r = cli_getopt(&storm_prog, storm_rows, NULL, argc, argv, &g,
	    storm_option, o);
	if (r == -CLI_EHELP) {
		usage();
		return -CLI_EDONE;
	}
	if (r < 0)
		return r;
	if ((r = cli_no_operands(prog, argc, argv)) < 0)
		return r;
	if (g.has_seed)
		o->c.seed = g.seed;
	if (g.has_timeout)
		o->c.timeout_ms = (unsigned)g.timeout * 1000;
	o->json = g.json;
	o->trace = g.trace;
	/* After the loop: BANKLAB_SYNC counts even without --sync. */
	return storm_sync(g.sync, &o->c.sync);
}

/* What the storm's ticks feed: the progress line, the plot's series. */
struct storm_watch {
	struct progress pg;
	struct plot_series ps;
	bool is_recording;
};

static void
storm_tick(void *arg, const struct storm_sample *s)
{
	struct storm_watch *w = arg;
	char what[96], m[32];

	if (w->is_recording)
		plot_series_add(&w->ps, s);
	snprintf(what, sizeof(what), "kills; %" PRIu64 " transfers, total "
	    "%s", s->transfers, report_money(s->total, m, sizeof(m)));
	progress_draw(&w->pg, s->kills, s->kills_wanted, what);
}

/* The figures (or JSON), then the plot: the exit code. */
static int
storm_finish(const struct opts *o, const struct storm_result *r,
    struct plot *pl, const struct plot_series *ps)
{
	if (!o->json)
		storm_print(stdout, &o->c, r);
	else if (cli_put_json(prog, storm_json(&o->c, r)) < 0) {
		plot_abandon(pl);
		return LAB_EXIT_SYSTEM;
	}
	if (r->interrupted) {
		plot_abandon(pl);
		return LAB_EXIT_INTERRUPTED;
	}
	fflush(stdout);
	if (pl->fd >= 0 && plot_storm(pl, &o->c, r, ps) < 0)
		return LAB_EXIT_SYSTEM;
	return r->is_ok ? LAB_EXIT_OK : LAB_EXIT_ANOMALY;
}

int
main(int argc, char **argv)
{
	struct storm_watch w = { .is_recording = false };
	struct plot pl = { .fd = -1 };
	struct storm_result r;
	struct cli_trace ct;
	struct opts o;
	int rc;

	if ((rc = parse(argc, argv, &o)) < 0)
		return cli_exit_code(rc);
	/* Before the storm: a bad FILE or no gnuplot is found now. */
	if (o.plot != NULL && (rc = plot_open(&pl, prog, o.plot)) < 0)
		return cli_exit_code(rc);
	if (cli_trace_start(prog, o.trace, prog, &ct) < 0) {
		plot_abandon(&pl);
		return LAB_EXIT_SYSTEM;
	}
	o.c.trace = cli_trace_writer(&ct);
	progress_start(&w.pg);
	w.is_recording = o.plot != NULL;
	if (w.pg.is_on || w.is_recording) {
		o.c.progress = storm_tick;
		o.c.progress_arg = &w;
	}
	rc = storm_run(&o.c, &r);
	progress_end(&w.pg);
	if (cli_trace_finish(prog, &ct) < 0) {
		plot_abandon(&pl);
		plot_series_free(&w.ps);
		return LAB_EXIT_SYSTEM;
	}
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", prog, lab_strerror(rc));
		plot_abandon(&pl);
		rc = LAB_EXIT_SYSTEM;
	} else {
		rc = storm_finish(&o, &r, &pl, &w.ps);
	}
	plot_series_free(&w.ps);
	return rc;
}
