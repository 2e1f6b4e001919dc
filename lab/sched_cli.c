/*
 * sched_cli: the command line of banklab-sched, also taken by the lesson
 * programs' --schedule and --explore: parse, run, print, exit code.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab.h"
#include "parse.h"
#include "report.h"
#include "sched_cli.h"

#define SCHED_SHOW_FAILING	5	/* replay lines printed when exploring */

const struct option sched_longopts[] = {
	{ "sync", required_argument, NULL, 's' },
	{ "schedule", required_argument, NULL, 'c' },
	{ "permutation", required_argument, NULL, 'P' },
	{ "explore", required_argument, NULL, 'x' },
	{ "runs", required_argument, NULL, 'r' },
	{ "seed", required_argument, NULL, 'S' },
	{ "depth", required_argument, NULL, 'd' },
	{ "repeat", required_argument, NULL, 'R' },
	{ "shrink", no_argument, NULL, 'k' },
	{ "json", no_argument, NULL, 'j' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

void
sched_usage(const char *prog)
{
	printf("usage: %s FILE.sched [options]\n\n"
"Runs a schedule: processes that each do their operations on a shared\n"
"ledger, released one step at a time in the order a permutation gives.\n"
"Every run of a schedule is the same run.\n\n"
"options:\n"
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
"  --quiet           verdicts only\n\n"
"steps: lock first_lock read_from read_to write_from write_to unlock\n"
"       audit_read\n"
"exit: 0 no anomaly, 1 anomaly found, 2 bad usage or a bad schedule\n"
"      file, 3 system failure\n", prog);
}

int
sched_cli_option(struct sched_cli *o, int ch, const char *arg)
{
	int64_t v;
	int sync;

	switch (ch) {
	case 's':
		if (parse_sync(o->prog, arg, 0, &sync) < 0)
			return -1;
		o->sync = (enum sync_kind)sync;
		o->has_sync = true;
		return 0;
	case 'c':
		o->schedule = arg;
		return 0;
	case 'P':
		if (parse_num_opt(o->prog, "--permutation", arg, 1,
		    SCHED_PERMS_MAX, &v) < 0)
			return -1;
		o->permutation = (int)v;
		return 0;
	case 'x':
		if (strcmp(arg, "all") == 0)
			o->explore = SCHED_REPLAY;
		else if (strcmp(arg, "random") == 0)
			o->explore = SCHED_RANDOM;
		else if (strcmp(arg, "pct") == 0)
			o->explore = SCHED_PCT;
		else {
			fprintf(stderr, "%s: --explore: \"%s\" is not a mode "
			    "(all, random, pct)\n", o->prog, arg);
			return -1;
		}
		o->has_explore = true;
		return 0;
	case 'r':
		if (parse_num_opt(o->prog, "--runs", arg, 1, 1000000, &v) < 0)
			return -1;
		o->runs = (unsigned)v;
		return 0;
	case 'S':
		if (parse_num_opt(o->prog, "--seed", arg, 0, INT64_MAX, &v) < 0)
			return -1;
		o->seed = (uint64_t)v;
		return 0;
	case 'd':
		if (parse_num_opt(o->prog, "--depth", arg, 1, 8, &v) < 0)
			return -1;
		o->depth = (unsigned)v;
		return 0;
	case 'R':
		if (parse_num_opt(o->prog, "--repeat", arg, 1, 100000, &v) < 0)
			return -1;
		o->repeat = (unsigned)v;
		return 0;
	case 'k':
		o->shrink = true;
		return 0;
	case 'j':
		o->json = true;
		return 0;
	case 'q':
		o->quiet = true;
		return 0;
	default:
		return -1;
	}
}

void
sched_cli_defaults(struct sched_cli *o, const char *prog)
{
	const char *base = strrchr(prog, '/');

	memset(o, 0, sizeof(*o));
	o->prog = base ? base + 1 : prog;
	o->runs = 100;
	o->depth = 2;
	o->repeat = 1;
	o->seed = (uint64_t)getpid();
}

/* ------------------------------------------------------------ verdicts */

/* s as one shell word: as it is if it is plain, else in single quotes. */
static void
sched_shell_quote(const char *s, char *buf, size_t len)
{
	size_t at = 0;
	const char *p;

	if (strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_./-+=:,") == strlen(s)) {
		snprintf(buf, len, "%s", s);
		return;
	}
	for (p = s, buf[at++] = '\''; *p != '\0' && at + 5 < len; p++) {
		if (*p == '\'') {	/* ' becomes '\'' */
			memcpy(buf + at, "'\\''", 4);
			at += 4;
		} else {
			buf[at++] = *p;
		}
	}
	buf[at++] = '\'';
	buf[at] = '\0';
}

/* The command that replays what r did. */
static void
sched_replay(const struct sched_cli *o, const struct sched_spec *s,
    enum sync_kind v, const struct sched_entry *e, int n, char *buf,
    size_t len)
{
	char file[1024] = "";
	int k;

	if (o->file != NULL && !o->is_lesson)
		sched_shell_quote(o->file, file, sizeof(file));
	k = snprintf(buf, len, "%s%s%s --sync %s --schedule '", o->prog,
	    file[0] ? " " : "", file, ledger_sync_name(v));
	if (k < 0 || (size_t)k + 2 >= len)
		return;
	sched_format_perm(s, e, n, buf + k, len - (size_t)k - 1);
	strncat(buf, "'", len - strlen(buf) - 1);
}

static void
sched_cycle_text(FILE *f, const struct sched_result *r)
{
	int k;

	for (k = 0; k < r->cycle_len; k++)
		fprintf(f, "%s pid %d holds #%" PRId64 ", waits for #%" PRId64
		    "\n", k == 0 ? "  cycle:" : "        ", (int)r->cycle[k].pid,
		    r->cycle[k].holds, r->cycle[k].waits);
}

/* The run as JSON (sched_result_json), and the line that replays it. */
static struct json_object *
sched_json_run(const struct sched_cli *o, const struct sched_spec *s,
    enum sync_kind v, const struct sched_result *r)
{
	struct json_object *j = sched_result_json(s, v, r);
	char buf[4096];

	sched_replay(o, s, v, r->taken, r->ntaken, buf, sizeof(buf));
	json_object_object_add(j, "replay", json_object_new_string(buf));
	return j;
}

static void
sched_print_run(const struct sched_cli *o, const struct sched_spec *s,
    enum sync_kind v, const struct sched_result *r)
{
	char buf[4096];
	bool is_anomaly = sched_verdict(r, buf, sizeof(buf));

	if (!o->quiet) {
		sched_timeline(stdout, s, r);
		sched_cycle_text(stdout, r);
	}
	printf("  => %s (variant %s, %u steps in %.4f s: %.0f steps/s)\n",
	    buf, ledger_sync_name(v), r->steps, r->elapsed_s,
	    r->elapsed_s > 0 ? r->steps / r->elapsed_s : 0.0);
	if (is_anomaly && !o->quiet) {
		sched_replay(o, s, v, r->taken, r->ntaken, buf, sizeof(buf));
		printf("  replay: %s\n", buf);
	}
}

/* Do two runs agree, event for event? */
static bool
sched_same(const struct sched_result *a, const struct sched_result *b)
{
	int i;

	if (a->nev != b->nev || a->anomaly != b->anomaly ||
	    a->check.observed != b->check.observed)
		return false;
	for (i = 0; i < a->nev; i++)
		if (a->ev[i].proc != b->ev[i].proc ||
		    a->ev[i].kind != b->ev[i].kind ||
		    a->ev[i].step != b->ev[i].step ||
		    a->ev[i].value != b->ev[i].value)
			return false;
	return true;
}

/* ------------------------------------------------------------ explore */

struct sched_explore_ctx {
	const struct sched_cli *o;
	const struct sched_spec *s;
	enum sync_kind v;
	unsigned shown;
	struct sched_perm *first;	/* the first failing run's releases */
	bool has_first;
	struct sched_explore_stats *st;
};

/*
 * Has our reader gone (`| head`)?  Then the exploration ends after this
 * run, whose ledger is already removed.  SIGPIPE is caught, so a write
 * fails instead of killing us; and a pipe whose reader left says POLLERR
 * even when we have had nothing to write for a while.
 */
static bool
sched_out_gone(void)
{
	struct pollfd p = { STDOUT_FILENO, 0, 0 };

	if (fflush(stdout) == EOF || ferror(stdout))
		return true;
	return poll(&p, 1, 0) == 1 && (p.revents & POLLERR) != 0;
}

static void
sched_explore_cb(const struct sched_result *r, unsigned run, void *arg)
{
	struct sched_explore_ctx *x = arg;
	char verdict[256], replay[4096];
	int i;

	if (sched_out_gone())
		x->st->is_stopped = true;
	if (!sched_verdict(r, verdict, sizeof(verdict)) || x->st->is_stopped)
		return;
	if (!x->has_first) {
		x->has_first = true;
		x->first->n = r->ntaken < SCHED_ENTRIES_MAX ? r->ntaken :
		    SCHED_ENTRIES_MAX;
		for (i = 0; i < x->first->n; i++)
			x->first->e[i] = r->taken[i];
	}
	if (x->o->json || x->shown++ >= SCHED_SHOW_FAILING)
		return;
	sched_replay(x->o, x->s, x->v, r->taken, r->ntaken, replay,
	    sizeof(replay));
	printf("run %u: %s\n  replay: %s\n", run, verdict, replay);
}

static const char *
sched_policy_name(enum sched_policy p)
{
	return p == SCHED_REPLAY ? "all" : p == SCHED_RANDOM ? "random" :
	    "pct";
}

/*
 * What the exploration covers, for its first line: `all` also kills where
 * the file's permutations kill (sched_killable()); random and pct say that
 * they do not.
 */
static void
sched_explore_what(const struct sched_cli *o, const struct sched_spec *s,
    char *buf, size_t len)
{
	unsigned kills, mask = sched_killable(s, &kills);
	char who[SCHED_PROCS_MAX * 20] = "";
	size_t at = 0;
	int i;

	for (i = 0; i < s->nprocs; i++)
		if (mask & 1u << i)
			at += (size_t)snprintf(who + at, sizeof(who) - at,
			    "%s%s", at ? ", " : "", s->proc[i].name);
	if (o->explore != SCHED_REPLAY)
		snprintf(buf, len, "%s%s", sched_policy_name(o->explore),
		    mask ? "; the file's kills are not tried: only `all` "
		    "kills" : "");
	else if (mask)
		snprintf(buf, len, "all: every interleaving, %s killed at "
		    "each step point reached, %u kill%s a run at most", who,
		    kills, kills == 1 ? "" : "s");
	else
		snprintf(buf, len, "all: every interleaving");
}

static int
sched_cli_shrink(const struct sched_cli *o, const struct sched_spec *s,
    enum sync_kind v, const struct sched_perm *in, struct json_object *j)
{
	struct sched_perm *min = malloc(sizeof(*min));
	struct sched_result r;
	char replay[4096];
	unsigned runs;
	int rc;

	if (min == NULL)
		return -ENOMEM;
	if ((rc = sched_shrink(s, v, in, min, &runs)) < 0) {
		free(min);
		return rc == -EINVAL ? 0 : rc;
	}
	sched_replay(o, s, v, min->e, min->n, replay, sizeof(replay));
	if (j != NULL) {
		json_object_object_add(j, "shrunk",
		    json_object_new_string(replay));
	} else {
		printf("\nshrunk from %d to %d steps in %u runs:\n  %s\n",
		    in->n, min->n, runs, replay);
		memset(&r, 0, sizeof(r));
		if (sched_run(s, v, min, NULL, &r) == 0)
			sched_print_run(o, s, v, &r);
		sched_result_free(&r);
	}
	free(min);
	return 0;
}

static int
sched_cli_explore(const struct sched_cli *o, const struct sched_spec *s,
    enum sync_kind v)
{
	struct sched_explore_opts eo = { o->explore, o->runs, o->seed,
	    o->depth, 200000, 0 };
	struct sched_explore_stats st;
	struct sched_explore_ctx x = { o, s, v, 0, NULL, false, &st };
	struct json_object *j = NULL;
	char what[256];
	int rc;

	if ((x.first = malloc(sizeof(*x.first))) == NULL)
		return -ENOMEM;
	sched_explore_what(o, s, what, sizeof(what));
	if (!o->json)
		printf("%s: exploring %s under %s (%s)\n", o->prog,
		    s->title[0] ? s->title : o->file, ledger_sync_name(v), what);
	rc = sched_explore(s, v, &eo, sched_explore_cb, &x, &st);
	if (o->json) {
		j = json_object_new_object();
		json_object_object_add(j, "covers", json_object_new_string(what));
		json_object_object_add(j, "sync",
		    json_object_new_string(ledger_sync_name(v)));
		json_object_object_add(j, "explore", json_object_new_string(
		    sched_policy_name(o->explore)));
		json_object_object_add(j, "seed",
		    json_object_new_int64((int64_t)o->seed));
		json_object_object_add(j, "runs", json_object_new_int(
		    (int)st.runs));
		json_object_object_add(j, "failing", json_object_new_int(
		    (int)st.failing));
		json_object_object_add(j, "first_failing",
		    json_object_new_int((int)st.first_failing));
		json_object_object_add(j, "complete",
		    json_object_new_boolean(st.is_complete));
		json_object_object_add(j, "steps", json_object_new_int64(
		    st.steps));
		json_object_object_add(j, "elapsed_s",
		    json_object_new_double(st.elapsed_s));
		json_object_object_add(j, "anomaly",
		    json_object_new_boolean(st.failing > 0));
	} else {
		printf("%u runs%s in %.3f s (%.0f steps/s): %u showed an "
		    "anomaly", st.runs, st.is_complete ? " (all of them)" : "",
		    st.elapsed_s, st.elapsed_s > 0 ? st.steps / st.elapsed_s :
		    0.0, st.failing);
		if (st.first_failing)
			printf(", the first at run %u", st.first_failing);
		if (o->explore != SCHED_REPLAY)
			printf(" (seed %" PRIu64 ")", o->seed);
		printf("\n");
	}
	if (rc == 0 && o->shrink && x.has_first && !st.is_stopped)
		rc = sched_cli_shrink(o, s, v, x.first, j);
	if (j != NULL) {
		printf("%s\n", json_object_to_json_string_ext(j,
		    JSON_C_TO_STRING_PLAIN));
		json_object_put(j);
	}
	free(x.first);
	if (rc < 0)
		return rc;
	return st.failing > 0 ? LAB_EXIT_ANOMALY : LAB_EXIT_OK;
}

/* ------------------------------------------------------------ runs */

static int
sched_cli_perm(const struct sched_cli *o, const struct sched_spec *s,
    enum sync_kind v, const struct sched_perm *p, const char *label,
    struct json_object *arr, bool *anomaly)
{
	struct sched_result first, r;
	char verdict[256];
	unsigned k, same = 1;
	int rc;

	memset(&first, 0, sizeof(first));
	if ((rc = sched_run(s, v, p, NULL, &first)) < 0 &&
	    first.error[0] == '\0') {
		sched_result_free(&first);
		return rc;
	}
	for (k = 1; k < o->repeat; k++) {
		memset(&r, 0, sizeof(r));
		sched_run(s, v, p, NULL, &r);
		same += sched_same(&first, &r);
		sched_result_free(&r);
	}
	*anomaly |= sched_verdict(&first, verdict, sizeof(verdict));
	if (arr != NULL) {
		struct json_object *j = sched_json_run(o, s, v, &first);

		json_object_object_add(j, "permutation",
		    json_object_new_string(label));
		json_object_object_add(j, "repeat", json_object_new_int(
		    (int)o->repeat));
		json_object_object_add(j, "identical", json_object_new_int(
		    (int)same));
		json_object_array_add(arr, j);
	} else {
		printf("\npermutation: %s\n", label);
		sched_print_run(o, s, v, &first);
		if (o->repeat > 1)
			printf("  %u of %u runs identical to the first\n",
			    same, o->repeat);
	}
	if (first.anomaly && o->shrink && p != NULL && arr == NULL)
		sched_cli_shrink(o, s, v, p, NULL);
	sched_result_free(&first);
	if (rc < 0)
		return LAB_EXIT_SYSTEM;
	return same == o->repeat ? 0 : LAB_EXIT_SYSTEM;
}

int
sched_cli_run(const struct sched_cli *o, const struct sched_spec *s)
{
	struct json_object *j = NULL, *arr = NULL;
	struct sched_perm *one = NULL;
	char err[256], label[4096];
	enum sync_kind v = o->has_sync ? o->sync : s->sync;
	bool anomaly = false;
	int i, rc = 0, worst = 0;

	if (!o->has_sync) {
		int sync;

		if (parse_sync(o->prog, NULL, (int)s->sync, &sync) < 0)
			return LAB_EXIT_USAGE;
		v = (enum sync_kind)sync;
	}
	/* Running none of them and saying nothing would look like a pass. */
	if (o->permutation > s->nperms) {
		fprintf(stderr, "%s: --permutation: %d, but %s has %s%d "
		    "permutation%s\n", o->prog, o->permutation, o->file,
		    s->nperms ? "only " : "", s->nperms, s->nperms == 1 ? "" :
		    "s");
		return LAB_EXIT_USAGE;
	}
	if (o->has_explore) {
		rc = sched_cli_explore(o, s, v);
		return rc < 0 ? LAB_EXIT_SYSTEM : rc;
	}
	if (o->json) {
		j = json_object_new_object();
		arr = json_object_new_array();
	} else if (!o->quiet) {
		printf("%s: %s (variant %s)\n", o->prog, s->title[0] ?
		    s->title : o->file, ledger_sync_name(v));
	}
	if (o->schedule != NULL) {
		if ((one = malloc(sizeof(*one))) == NULL)
			return LAB_EXIT_SYSTEM;
		if (sched_parse_perm(o->schedule, s, one, err,
		    sizeof(err)) < 0) {
			fprintf(stderr, "%s: --schedule: %s\n", o->prog, err);
			free(one);
			json_object_put(j);
			json_object_put(arr);
			return LAB_EXIT_USAGE;
		}
		rc = sched_cli_perm(o, s, v, one, o->schedule, arr, &anomaly);
		free(one);
	} else if (s->nperms == 0) {
		rc = sched_cli_perm(o, s, v, NULL, "(in order)", arr, &anomaly);
	} else {
		for (i = 0; i < s->nperms; i++) {
			if (o->permutation && i + 1 != o->permutation)
				continue;
			sched_format_perm(s, s->perm[i].e, s->perm[i].n, label,
			    sizeof(label));
			rc = sched_cli_perm(o, s, v, &s->perm[i], label, arr,
			    &anomaly);
			if (rc > worst)
				worst = rc;
		}
		rc = worst;
	}
	if (j != NULL) {
		json_object_object_add(j, "schedule", json_object_new_string(
		    s->title[0] ? s->title : o->file));
		json_object_object_add(j, "sync",
		    json_object_new_string(ledger_sync_name(v)));
		json_object_object_add(j, "anomaly",
		    json_object_new_boolean(anomaly));
		json_object_object_add(j, "runs", arr);
		printf("%s\n", json_object_to_json_string_ext(j,
		    JSON_C_TO_STRING_PLAIN));
		json_object_put(j);
	}
	if (rc != 0)
		return rc < 0 ? LAB_EXIT_SYSTEM : rc;
	return anomaly ? LAB_EXIT_ANOMALY : LAB_EXIT_OK;
}

int
sched_find_lesson(const char *lesson, char *path, size_t len)
{
	const char *dirs[] = { getenv("BANKLAB_SCHEDULES"), SCHEDULE_DIR,
	    SRC_SCHEDULE_DIR };
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (dirs[i] == NULL || dirs[i][0] == '\0')
			continue;
		snprintf(path, len, "%s/%s.sched", dirs[i], lesson);
		if (access(path, R_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

int
sched_main(int argc, char **argv)
{
	struct sched_cli o;
	struct sched_spec *s;
	char err[512];
	int ch, rc;

	sched_cli_defaults(&o, argv[0]);
	lab_sigpipe_quiet();
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", sched_longopts, NULL)) !=
	    -1) {
		if (ch == 'h') {
			sched_usage(o.prog);
			return LAB_EXIT_OK;
		}
		if (ch == 'V') {
			printf("%s (banklab) %s\n", o.prog, PACKAGE_VERSION);
			return LAB_EXIT_OK;
		}
		if (ch == ':' || ch == '?')
			return parse_bad_option(o.prog, ch, argv);
		if (sched_cli_option(&o, ch, optarg) < 0)
			return LAB_EXIT_USAGE;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s: %s (--help)\n", o.prog, optind >= argc ?
		    "needs a schedule FILE" : "takes one schedule FILE");
		return LAB_EXIT_USAGE;
	}
	o.file = argv[optind];
	if ((s = malloc(sizeof(*s))) == NULL)
		return LAB_EXIT_SYSTEM;
	if (sched_parse_file(o.file, s, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", o.prog, err);
		free(s);
		return LAB_EXIT_USAGE;
	}
	rc = sched_cli_run(&o, s);
	free(s);
	return rc;
}
