/*
 * cli: the common options of every program, strict numbers and variants
 * from the command line and the environment, and the lines that say what
 * is wrong with them.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* The one table of the common options; bit i is row i. */
static const struct option cli_common_rows[] = {
	{ "sync", required_argument, NULL, CLI_OPT_SYNC },
	{ "seed", required_argument, NULL, CLI_OPT_SEED },
	{ "json", no_argument, NULL, CLI_OPT_JSON },
	{ "timeout", required_argument, NULL, CLI_OPT_TIMEOUT },
	{ "quiet", no_argument, NULL, CLI_OPT_QUIET },
	{ "help", no_argument, NULL, CLI_OPT_HELP },
	{ "version", no_argument, NULL, CLI_OPT_VERSION },
	{ "trace", required_argument, NULL, CLI_OPT_TRACE },
};

#define CLI_NCOMMON	(sizeof(cli_common_rows) / sizeof(cli_common_rows[0]))

void
cli_longopts(const struct cli_prog *p, const struct option *own,
    const struct option *more, struct option *out)
{
	const struct option *rows[2] = { own, more }, *r;
	size_t i, n = 0;

	for (i = 0; i < CLI_NCOMMON; i++)
		if (p->common & 1u << i)
			out[n++] = cli_common_rows[i];
	for (i = 0; i < 2; i++)
		for (r = rows[i]; r != NULL && r->name != NULL &&
		    n < CLI_OPTIONS_MAX - 1; r++)
			out[n++] = *r;
	memset(&out[n], 0, sizeof(out[n]));
}

bool
cli_is_common(const struct cli_prog *p, int ch)
{
	size_t i;

	for (i = 0; i < CLI_NCOMMON; i++)
		if (cli_common_rows[i].val == ch)
			return (p->common & 1u << i) != 0;
	return false;
}

int
cli_getopt(const struct cli_prog *p, const struct option *own,
    const struct option *more, int argc, char **argv, struct cli_given *g,
    cli_take_fn take, void *arg)
{
	struct option opts[CLI_OPTIONS_MAX];
	int ch, r;

	cli_longopts(p, own, more, opts);
	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS, opts, NULL)) !=
	    -1) {
		if (ch == '?' || ch == ':')
			r = cli_bad_option(p->name, ch, argv);
		else if (cli_is_common(p, ch))
			r = cli_common(p, g, ch, optarg);
		else
			r = take(arg, ch, optarg);
		if (r < 0)
			return r;
	}
	return 0;
}

int
cli_common(const struct cli_prog *p, struct cli_given *g, int ch,
    const char *arg)
{
	int64_t v;
	int r;

	switch (ch) {
	case CLI_OPT_SYNC:
		g->sync = arg;
		return 0;
	case CLI_OPT_SEED:
		if ((r = cli_number(p->name, "--seed", arg, 0, p->seed_max,
		    &v)) < 0)
			return r;
		g->seed = (uint64_t)v;
		g->has_seed = true;
		return 0;
	case CLI_OPT_TIMEOUT:
		if ((r = cli_number(p->name, "--timeout", arg, p->timeout_min,
		    p->timeout_max, &g->timeout)) < 0)
			return r;
		g->has_timeout = true;
		return 0;
	case CLI_OPT_JSON:
		g->json = true;
		return 0;
	case CLI_OPT_QUIET:
		g->quiet = true;
		return 0;
	case CLI_OPT_HELP:
		return -CLI_EHELP;
	case CLI_OPT_VERSION:
		return cli_version(p->name);
	case CLI_OPT_TRACE:
		g->trace = arg;
		return 0;
	default:
		return -EINVAL;
	}
}

void
cli_getopt_reset(void)
{
	opterr = 0;
	/*
	 * 0, not 1: glibc then forgets everything of an earlier parse (its
	 * place inside a cluster like "-hh", found by fuzz_options.c);
	 * with 1 a second call went on reading the first call's argv.
	 */
	optind = 0;
}

const char *
cli_basename(const char *argv0)
{
	const char *base = strrchr(argv0, '/');

	return base != NULL ? base + 1 : argv0;
}

uint64_t
cli_seed_from_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 20 ^
	    (uint64_t)getpid()) & 0x7fffffff;
}

int
cli_number(const char *prog, const char *what, const char *s, int64_t min,
    int64_t max, int64_t *out)
{
	int r = parse_i64(s, min, max, out);

	if (r == -EINVAL)
		fprintf(stderr, "%s: %s: \"%s\" is not a number\n", prog, what,
		    s);
	else if (r < 0)
		fprintf(stderr, "%s: %s: \"%s\" is not between %" PRId64
		    " and %" PRId64 "\n", prog, what, s, min, max);
	return r < 0 ? -CLI_EUSAGE : 0;
}

bool
cli_sync_from_env(void)
{
	const char *s = getenv("BANKLAB_SYNC");

	return s != NULL && *s != '\0';
}

int
cli_sync(const char *prog, const char *s, enum sync_kind dflt,
    enum sync_kind *out)
{
	const char *what = "--sync";

	if (s == NULL) {
		if (!cli_sync_from_env()) {
			*out = dflt;
			return 0;
		}
		s = getenv("BANKLAB_SYNC");
		what = "BANKLAB_SYNC";
	}
	if (ledger_sync_parse(s, out) < 0) {
		fprintf(stderr, strcmp(s, "serializable") == 0 ?
		    "%s: %s: \"%s\" is the database's own answer: only with "
		    "--db CONNINFO\n" : "%s: %s: \"%s\" is not a variant "
		    "(none, semaphore, robust, ordered)\n", prog, what, s);
		return -CLI_EUSAGE;
	}
	return 0;
}

int
cli_db_sync(const char *prog, const char *s, enum db_sync *out)
{
	const char *what = "--sync";

	if (s == NULL) {
		if (!cli_sync_from_env())
			return 0;
		s = getenv("BANKLAB_SYNC");
		what = "BANKLAB_SYNC";
	}
	if (db_sync_parse(s, out) < 0) {
		fprintf(stderr, "%s: %s: \"%s\" is not a variant (none, "
		    "semaphore, robust, ordered, serializable)\n", prog, what,
		    s);
		return -CLI_EUSAGE;
	}
	return 1;
}

int
cli_bad_option(const char *prog, int ch, char *const argv[])
{
	fprintf(stderr, ch == ':' ? "%s: %s needs a value\n" :
	    "%s: \"%s\" is not an option (--help)\n", prog, argv[optind - 1]);
	return -CLI_EUSAGE;
}

int
cli_no_operands(const char *prog, int argc, char *const argv[])
{
	if (optind >= argc)
		return 0;
	fprintf(stderr, "%s: unexpected \"%s\" (--help)\n", prog,
	    argv[optind]);
	return -CLI_EUSAGE;
}

int
cli_version(const char *prog)
{
	printf("%s (banklab) %s\n", prog, PACKAGE_VERSION);
	return -CLI_EDONE;
}

const char *
cli_schedule_dir(void)
{
	return getenv("BANKLAB_SCHEDULES");
}

int
cli_exit_code(int code)
{
	switch (code) {
	case -CLI_EUSAGE:
		return LAB_EXIT_USAGE;
	case -CLI_EHELP:
	case -CLI_EDONE:
		return LAB_EXIT_OK;
	default:
		return lab_exit_code(code);
	}
}

int
cli_put_json(const char *prog, char *json)
{
	if (json == NULL) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return -ENOMEM;
	}
	printf("%s\n", json);
	free(json);
	return 0;
}
