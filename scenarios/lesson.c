/*
 * lesson: a lesson program's command line, help, run and exit code.  What
 * the lesson is (defaults, words, schedule) comes from its table entry.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_sched.h"
#include "cli_trace.h"
#include "lesson.h"
#include "lesson_db.h"
#include "step.h"

static const struct cli_prog lesson_prog = {
	.common = CLI_SYNC | CLI_SEED | CLI_JSON | CLI_TIMEOUT | CLI_QUIET |
	    CLI_HELP | CLI_VERSION | CLI_TRACE,
	.seed_max = INT64_MAX / 2,
	.timeout_min = 100,
	.timeout_max = 3600000,
};

/* The lesson's own rows, beside the common and the schedule ones. */
static const struct option lesson_rows[] = {
	{ "procs", required_argument, NULL, 'p' },
	{ "accounts", required_argument, NULL, 'a' },
	{ "ops", required_argument, NULL, 'n' },
	{ "window", required_argument, NULL, 'w' },
	{ "kills", required_argument, NULL, 'N' },
	{ "kill-at", required_argument, NULL, 'K' },
	{ "kill-after", required_argument, NULL, 'A' },
	{ "db", required_argument, NULL, 'B' },
	{ "on-deadlock", required_argument, NULL, 'O' },
	{ "audit", required_argument, NULL, 'U' },
	{ NULL, 0, NULL, 0 },
};

static void
lesson_usage(const struct scenario_opts *o)
{
	const struct lesson *in = scenario_lesson(o->kind);

	printf("usage: %s [options]\n       %s -h | --help | -V | --version\n"
	    "\n%s\n\n", o->prog, o->prog, in->about);
	printf(
"options:\n"
"  --sync V        none | semaphore | robust | ordered (default:\n"
"                  $BANKLAB_SYNC, else %s, the variant that shows it)\n"
"  --procs P       worker processes (default %u)\n"
"  --accounts N    accounts (default %" PRIu32 ")\n"
"  --ops N         operations per worker (default %" PRIu64 ")\n"
"  --seed S        seed of the workers' operations (default: from the\n"
"                  clock; always printed, so a run can be repeated)\n"
"  --window US     pause US microseconds where another process's step\n"
"                  makes the anomaly (default %u; 0: none)\n"
"  --timeout MS    end the run after MS milliseconds (default 10000)\n",
	    ledger_sync_name(in->buggy), in->procs, in->accounts, in->ops,
	    in->window);
	if (in->flags & LESSON_HAS_KILLS)
		printf(
"  --kill-at STEP  where the first worker dies: lock, read_from, read_to,\n"
"                  write_from, write_to, unlock (default write_from)\n"
"  --kill-after N  ... in its N-th transfer (default 100)\n"
"  --kills N       instead: N workers die at random points (from the seed)\n");
	printf(
"  --schedule \"...\" replay the lesson's shipped schedule (%s) step\n"
"                  by step with this permutation, or with the file's own\n"
"                  permutations if the value is \"file\"\n"
"  --explore MODE  run its interleavings: all, random, pct (--runs N,\n"
"                  --depth D, --shrink, --repeat N, --permutation N)\n",
	    in->schedule);
	printf(
"  --db CONNINFO   the lesson on PostgreSQL (libpq's conninfo; \"\": the\n"
"                  PG* environment): --sync may also be serializable;\n"
"  --audit A       plain | consistent (default: the variant's)\n"
"  --on-deadlock X retry | fail, on the server's 40P01 (default retry)\n");
	printf(
"  --json          one JSON object instead of the text report\n"
"  --quiet         only the verdict line\n"
"  --trace FILE    write a trace of every process of the run (Chrome\n"
"                  JSON: open it in https://ui.perfetto.dev)\n"
"  --help, --version\n\n"
"exit: 0 no anomaly, 1 anomaly found, 2 bad usage, 3 system failure,\n"
"130 interrupted (the ledger is removed on every path)\n");
}

/* --kills, --kill-at, --kill-after: lessons whose workers are killed. */
static int
lesson_kill_option(struct scenario_opts *o, int ch, const char *arg)
{
	int64_t v;
	int step, r;

	if (!(scenario_lesson(o->kind)->flags & LESSON_HAS_KILLS)) {
		fprintf(stderr, "%s: --%s is an option of banklab-crash only\n",
		    o->prog, ch == 'N' ? "kills" : ch == 'K' ? "kill-at" :
		    "kill-after");
		return -CLI_EUSAGE;
	}
	if (ch == 'K') {
		if ((step = step_parse(arg)) < 0) {
			fprintf(stderr, "%s: --kill-at: \"%s\" is not a step "
			    "(lock, read_from, read_to, write_from, write_to, "
			    "unlock)\n", o->prog, arg);
			return -CLI_EUSAGE;
		}
		o->die_step = (unsigned)step;
	} else if (ch == 'N') {
		if ((r = cli_number(o->prog, "--kills", arg, 0, RUN_PROCS_MAX,
		    &v)) < 0)
			return r;
		o->kills = (unsigned)v;
	} else {
		if ((r = cli_number(o->prog, "--kill-after", arg, 1, 100000000,
		    &v)) < 0)
			return r;
		o->die_after = (uint64_t)v;
	}
	return 0;
}

/* One of lesson_rows. */
static int
lesson_option(struct scenario_opts *o, int ch, const char *arg)
{
	int64_t v;
	int r;

	switch (ch) {
	case 'p':
		if ((r = cli_number(o->prog, "--procs", arg, 1,
		    RUN_PROCS_MAX - 1, &v)) == 0)
			o->procs = (unsigned)v;
		return r;
	case 'a':
		if ((r = cli_number(o->prog, "--accounts", arg, 2,
		    LEDGER_ACCOUNTS_MAX, &v)) == 0)
			o->accounts = (uint32_t)v;
		return r;
	case 'n':
		if ((r = cli_number(o->prog, "--ops", arg, 1, 100000000,
		    &v)) == 0)
			o->ops = (uint64_t)v;
		o->has_ops = true;
		return r;
	case 'B':
	case 'O':
	case 'U':
		return lesson_db_option(o, ch, arg);
	case 'w':
		if ((r = cli_number(o->prog, "--window", arg, 0, 100000,
		    &v)) == 0)
			o->window = (unsigned)v;
		o->has_window = true;
		return r;
	case 'N':
	case 'K':
	case 'A':
		return lesson_kill_option(o, ch, arg);
	default:
		return -EINVAL;
	}
}

/* Options that must agree with each other and with the lesson. */
static int
lesson_check(const struct scenario_opts *o)
{
	const struct lesson *in = scenario_lesson(o->kind);

	if (o->procs < in->min_procs) {
		fprintf(stderr, "%s: --procs: %s\n", o->prog,
		    in->min_procs_why);
		return -CLI_EUSAGE;
	}
	if (o->accounts < 2) {
		fprintf(stderr, "%s: --accounts: transfers need at least 2 "
		    "accounts\n", o->prog);
		return -CLI_EUSAGE;
	}
	if ((in->flags & LESSON_HAS_KILLS) && o->kills > o->procs) {
		fprintf(stderr, "%s: --kills: %u is more than the %u workers\n",
		    o->prog, o->kills, o->procs);
		return -CLI_EUSAGE;
	}
	if ((in->flags & LESSON_HAS_KILLS) && o->die_after > o->ops) {
		fprintf(stderr, "%s: --kill-after: %" PRIu64 " is past the %"
		    PRIu64 " operations\n", o->prog, o->die_after, o->ops);
		return -CLI_EUSAGE;
	}
	return 0;
}

/* After the loop: the common options, the variant, the checks. */
static int
lesson_finish(struct scenario_opts *o, const struct cli_given *g)
{
	int r;

	if (g->has_seed)
		o->seed = g->seed;
	if (g->has_timeout)
		o->timeout_ms = (unsigned)g->timeout;
	o->json = g->json;
	o->quiet = g->quiet;
	o->trace_file = g->trace;
	if (o->db != NULL && o->trace_file != NULL) {
		fprintf(stderr, "%s: --trace: a lesson on PostgreSQL (--db) "
		    "is not traced\n", o->prog);
		return -CLI_EUSAGE;
	}
	if (o->db != NULL)
		r = lesson_db_finish(o, g->sync);
	else
		r = cli_sync(o->prog, g->sync, scenario_buggy(o->kind),
		    &o->sync);
	if (r < 0)
		return r;
	return lesson_check(o);
}

/* A lesson's own option, or one of the schedule options it takes. */
static int
lesson_take(void *opts, int ch, const char *arg)
{
	struct scenario_opts *o = opts;

	if (!cli_sched_is_option(ch))
		return lesson_option(o, ch, arg);
	o->is_scheduled = true;
	/* "file": the file's own permutations. */
	if (ch == 'c' && strcmp(arg, "file") == 0)
		return 0;
	return cli_sched_option(&o->sched, ch, arg);
}

int
lesson_parse(enum scenario_kind k, int argc, char **argv,
    struct scenario_opts *o)
{
	struct cli_prog p = lesson_prog;
	struct cli_given g = { 0 };
	int r;

	scenario_defaults(k, cli_basename(argv[0]), o);
	o->seed = cli_seed_from_clock();
	o->worker = getenv("BANKLAB_WORKER");
	cli_sched_defaults(&o->sched, o->prog);
	p.name = o->prog;
	r = cli_getopt(&p, lesson_rows, cli_sched_rows, argc, argv, &g,
	    lesson_take, o);
	if (r == -CLI_EHELP) {
		lesson_usage(o);
		return -CLI_EDONE;
	}
	if (r < 0)
		return r;
	if ((r = cli_no_operands(o->prog, argc, argv)) < 0)
		return r;
	return lesson_finish(o, &g);
}

/* The lesson step by step: its shipped schedule, under o's variant. */
static int
lesson_scheduled(struct scenario_opts *o)
{
	const char *file = scenario_lesson(o->kind)->schedule;
	struct sched_spec *s;
	char path[4096], err[512];
	int rc;

	if (sched_find_file(cli_schedule_dir(), file, path,
	    sizeof(path)) < 0) {
		fprintf(stderr, "%s: %s: not found (set "
		    "BANKLAB_SCHEDULES to the folder of the schedules)\n",
		    o->prog, file);
		return LAB_EXIT_SYSTEM;
	}
	if ((s = malloc(sizeof(*s))) == NULL)
		return LAB_EXIT_SYSTEM;
	if (sched_parse_file(path, s, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", o->prog, err);
		free(s);
		return LAB_EXIT_SYSTEM;
	}
	s->worker = o->worker;
	s->run_tag = o->sched.run_tag;
	s->trace = o->trace;
	o->sched.file = path;
	o->sched.is_lesson = true;
	o->sched.sync = o->sync;
	o->sched.db = o->db;
	o->sched.db_sync = (enum db_sync)o->db_sync;
	o->sched.has_sync = true;
	o->sched.seed = o->seed;
	o->sched.json = o->json;
	o->sched.quiet = o->quiet;
	rc = cli_sched_run(&o->sched, s);
	free(s);
	return rc;
}

/* The lesson run, traced if t is not NULL: the exit code. */
static int
lesson_run(struct trace *t, void *arg)
{
	struct scenario_opts *o = arg;
	struct scenario_result r;
	char *json;
	int rc;

	o->trace = t;
	if (o->is_scheduled)
		return lesson_scheduled(o);
	if ((rc = scenario_run(o, &r)) < 0) {
		fprintf(stderr, "%s: %s\n", o->prog, lab_strerror(rc));
		return LAB_EXIT_SYSTEM;
	}
	if (o->json) {
		if ((json = scenario_json(o, &r)) == NULL) {
			fprintf(stderr, "%s: %s\n", o->prog, strerror(ENOMEM));
			return LAB_EXIT_SYSTEM;
		}
		printf("%s\n", json);
		free(json);
	} else {
		scenario_report(stdout, o, &r);
	}
	if (r.interrupted)
		return LAB_EXIT_INTERRUPTED;
	return r.anomaly ? LAB_EXIT_ANOMALY : LAB_EXIT_OK;
}

int
lesson_main(enum scenario_kind k, int argc, char **argv)
{
	struct scenario_opts o;
	int rc;

	lab_sigpipe_quiet();
	if ((rc = lesson_parse(k, argc, argv, &o)) < 0)
		return cli_exit_code(rc);
	/* A schedule on the database is the scheduler's (lesson_scheduled). */
	if (o.is_scheduled && o.db != NULL)
		return lesson_scheduled(&o);
	if (o.db != NULL)
		return lesson_db_main(&o);
	return cli_trace_run(o.prog, o.trace_file, o.prog, lesson_run, &o);
}
