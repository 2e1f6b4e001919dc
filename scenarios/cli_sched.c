/*
 * cli_sched: the options of a schedule's run, shared by banklab-sched and
 * the lessons' --schedule and --explore.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cli_sched.h"

const struct option cli_sched_rows[] = {
	{ "schedule", required_argument, NULL, 'c' },
	{ "permutation", required_argument, NULL, 'P' },
	{ "explore", required_argument, NULL, 'x' },
	{ "runs", required_argument, NULL, 'r' },
	{ "depth", required_argument, NULL, 'd' },
	{ "repeat", required_argument, NULL, 'R' },
	{ "shrink", no_argument, NULL, 'k' },
	{ NULL, 0, NULL, 0 },
};

void
cli_sched_defaults(struct sched_cli *o, const char *prog)
{
	memset(o, 0, sizeof(*o));
	o->prog = prog;
	o->out = stdout;
	o->err = stderr;
	o->runs = 100;
	o->depth = 2;
	o->repeat = 1;
	o->seed = (uint64_t)getpid();
}

bool
cli_sched_is_option(int ch)
{
	const struct option *r;

	for (r = cli_sched_rows; r->name != NULL; r++)
		if (r->val == ch)
			return true;
	return false;
}

static int
cli_sched_explore(struct sched_cli *o, const char *arg)
{
	if (strcmp(arg, "all") == 0)
		o->explore = SCHED_REPLAY;
	else if (strcmp(arg, "random") == 0)
		o->explore = SCHED_RANDOM;
	else if (strcmp(arg, "pct") == 0)
		o->explore = SCHED_PCT;
	else {
		fprintf(stderr, "%s: --explore: \"%s\" is not a mode "
		    "(all, random, pct)\n", o->prog, arg);
		return -CLI_EUSAGE;
	}
	o->has_explore = true;
	return 0;
}

int
cli_sched_option(struct sched_cli *o, int ch, const char *arg)
{
	int64_t v;
	int r = 0;

	switch (ch) {
	case 'c':
		o->schedule = arg;
		return 0;
	case 'x':
		return cli_sched_explore(o, arg);
	case 'k':
		o->shrink = true;
		return 0;
	case 'P':
		if ((r = cli_number(o->prog, "--permutation", arg, 1,
		    SCHED_PERMS_MAX, &v)) == 0)
			o->permutation = (int)v;
		return r;
	case 'r':
		if ((r = cli_number(o->prog, "--runs", arg, 1, 1000000,
		    &v)) == 0)
			o->runs = (unsigned)v;
		return r;
	case 'd':
		if ((r = cli_number(o->prog, "--depth", arg, 1, 8, &v)) == 0)
			o->depth = (unsigned)v;
		return r;
	case 'R':
		if ((r = cli_number(o->prog, "--repeat", arg, 1, 100000,
		    &v)) == 0)
			o->repeat = (unsigned)v;
		return r;
	default:
		return -EINVAL;
	}
}

int
cli_sched_common(struct sched_cli *o, const struct cli_given *g)
{
	int r;

	if (g->has_seed)
		o->seed = g->seed;
	o->json = g->json;
	o->quiet = g->quiet;
	if (g->sync == NULL && !cli_sync_from_env())
		return 0;
	if ((r = cli_sync(o->prog, g->sync, SYNC_NONE, &o->sync)) < 0)
		return r;
	o->has_sync = true;
	return 0;
}
