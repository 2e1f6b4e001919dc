/*
 * sched_cli: running a schedule as banklab-sched and the lessons'
 * --schedule and --explore ask (their options are parsed by the programs,
 * scenarios/cli_sched.c): the timelines, the exploration's failing runs
 * and their replay lines, printed to the streams the caller gives.
 */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab.h"
#include "report.h"
#include "sched_cli.h"
#include "sched_db.h"

#define SCHED_SHOW_FAILING	5	/* replay lines printed when exploring */

/* ------------------------------------------------------------ verdicts */

/*
 * A variant here is an int: an enum sync_kind in shared memory, an enum
 * db_sync on PostgreSQL (o->db), whose first four are the same variants.
 */
static const char *
sched_vname(const struct sched_cli *o, int v)
{
	return o->db != NULL ? db_sync_name((enum db_sync)v) :
	    ledger_sync_name((enum sync_kind)v);
}

/* One run of permutation p (NULL: none) where o says: memory or server. */
static int
sched_cli_once(const struct sched_cli *o, const struct sched_spec *s,
    int v, const struct sched_perm *p, struct sched_result *r)
{
	if (o->db != NULL)
		return sched_db_run(o->db, s, (enum db_sync)v, p, r);
	return sched_run(s, (enum sync_kind)v, p, NULL, r);
}

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

/* The replay line, on PostgreSQL too (db: the conninfo, or NULL). */
static void
sched_replay_words(const char *prog, const char *file, const char *db,
    const char *variant, const struct sched_spec *s,
    const struct sched_entry *e, int n, char *buf, size_t len)
{
	char qfile[1024] = "", qdb[1024] = "";
	int k;

	if (file != NULL)
		sched_shell_quote(file, qfile, sizeof(qfile));
	if (db != NULL)
		sched_shell_quote(db, qdb, sizeof(qdb));
	k = snprintf(buf, len, "%s%s%s%s%s --sync %s --schedule '", prog,
	    qfile[0] ? " " : "", qfile, db != NULL ? " --db " : "", qdb,
	    variant);
	if (k < 0 || (size_t)k + 2 >= len)
		return;
	sched_format_perm(s, e, n, buf + k, len - (size_t)k - 1);
	strncat(buf, "'", len - strlen(buf) - 1);
}

void
sched_replay_line(const char *prog, const char *file,
    const struct sched_spec *s, enum sync_kind v,
    const struct sched_entry *e, int n, char *buf, size_t len)
{
	sched_replay_words(prog, file, NULL, ledger_sync_name(v), s, e, n,
	    buf, len);
}

/* The command that replays what r did. */
static void
sched_replay(const struct sched_cli *o, const struct sched_spec *s, int v,
    const struct sched_entry *e, int n, char *buf, size_t len)
{
	sched_replay_words(o->prog, o->is_lesson ? NULL : o->file, o->db,
	    sched_vname(o, v), s, e, n, buf, len);
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
sched_json_run(const struct sched_cli *o, const struct sched_spec *s, int v,
    const struct sched_result *r)
{
	struct json_object *j = sched_result_json(s, sched_vname(o, v), r);
	char buf[4096];

	sched_replay(o, s, v, r->taken, r->ntaken, buf, sizeof(buf));
	report_json_str(j, "replay", buf);
	return j;
}

static void
sched_print_run(const struct sched_cli *o, const struct sched_spec *s,
    int v, const struct sched_result *r)
{
	char buf[4096];
	bool is_anomaly = sched_verdict(r, buf, sizeof(buf));

	if (!o->quiet) {
		sched_timeline(o->out, s, r);
		sched_cycle_text(o->out, r);
		if (r->server[0] != '\0')
			fprintf(o->out, "  server: %s\n", r->server);
	}
	fprintf(o->out,
	    "  => %s (variant %s, %u steps in %.4f s: %.0f steps/s)\n",
	    buf, sched_vname(o, v), r->steps, r->elapsed_s,
	    r->elapsed_s > 0 ? r->steps / r->elapsed_s : 0.0);
	if (is_anomaly && !o->quiet) {
		sched_replay(o, s, v, r->taken, r->ntaken, buf, sizeof(buf));
		fprintf(o->out, "  replay: %s\n", buf);
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
sched_out_gone(FILE *out)
{
	struct pollfd p = { fileno(out), 0, 0 };

	if (fflush(out) == EOF || ferror(out))
		return true;
	return poll(&p, 1, 0) == 1 && (p.revents & POLLERR) != 0;
}

static void
sched_explore_cb(const struct sched_result *r, unsigned run, void *arg)
{
	struct sched_explore_ctx *x = arg;
	char verdict[256], replay[4096];
	int i;

	if (sched_out_gone(x->o->out))
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
	if (x->o->progress_hide != NULL)
		x->o->progress_hide(x->o->progress_arg);
	fprintf(x->o->out, "run %u: %s\n  replay: %s\n", run, verdict,
	    replay);
}

static void
sched_explore_each(const struct sched_result *r, unsigned run, void *arg)
{
	struct sched_explore_ctx *x = arg;
	const struct sched_cli *o = x->o;

	sched_explore_cb(r, run, arg);
	if (o->progress != NULL)
		o->progress(o->progress_arg, run, o->explore == SCHED_REPLAY ?
		    0 : o->runs);
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
		report_json_str(j, "shrunk", replay);
	} else {
		fprintf(o->out,
		    "\nshrunk from %d to %d steps in %u runs:\n  %s\n",
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
    enum sync_kind v, bool *anomaly)
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
		fprintf(o->out, "%s: exploring %s under %s (%s)\n", o->prog,
		    s->title[0] ? s->title : o->file, ledger_sync_name(v), what);
	rc = sched_explore(s, v, &eo, sched_explore_each, &x, &st);
	if (o->progress_hide != NULL)
		o->progress_hide(o->progress_arg);	/* before the summary */
	if (o->json) {
		j = json_object_new_object();
		report_json_str(j, "covers", what);
		report_json_str(j, "sync", ledger_sync_name(v));
		report_json_str(j, "explore", sched_policy_name(o->explore));
		report_json_int(j, "seed", (int64_t)o->seed);
		report_json_int(j, "runs", st.runs);
		report_json_int(j, "failing", st.failing);
		report_json_int(j, "first_failing", st.first_failing);
		report_json_bool(j, "complete", st.is_complete);
		report_json_int(j, "steps", st.steps);
		report_json_double(j, "elapsed_s", st.elapsed_s);
		report_json_bool(j, "anomaly", st.failing > 0);
	} else {
		fprintf(o->out,
		    "%u runs%s in %.3f s (%.0f steps/s): %u showed an "
		    "anomaly", st.runs, st.is_complete ? " (all of them)" : "",
		    st.elapsed_s, st.elapsed_s > 0 ? st.steps / st.elapsed_s :
		    0.0, st.failing);
		if (st.first_failing)
			fprintf(o->out, ", the first at run %u",
			    st.first_failing);
		if (o->explore != SCHED_REPLAY)
			fprintf(o->out, " (seed %" PRIu64 ")", o->seed);
		fprintf(o->out, "\n");
	}
	if (rc == 0 && o->shrink && x.has_first && !st.is_stopped)
		rc = sched_cli_shrink(o, s, v, x.first, j);
	if (j != NULL)
		report_json_print(o->out, j);
	free(x.first);
	*anomaly = st.failing > 0;
	return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------------ runs */

static int
sched_cli_perm(const struct sched_cli *o, const struct sched_spec *s, int v,
    const struct sched_perm *p, const char *label, struct json_object *arr,
    bool *anomaly)
{
	struct sched_result first, r;
	char verdict[256];
	unsigned k, same = 1;
	int rc;

	memset(&first, 0, sizeof(first));
	if ((rc = sched_cli_once(o, s, v, p, &first)) < 0 &&
	    first.error[0] == '\0') {
		sched_result_free(&first);
		return rc;
	}
	for (k = 1; k < o->repeat; k++) {
		memset(&r, 0, sizeof(r));
		sched_cli_once(o, s, v, p, &r);
		same += sched_same(&first, &r);
		sched_result_free(&r);
	}
	*anomaly |= sched_verdict(&first, verdict, sizeof(verdict));
	if (arr != NULL) {
		struct json_object *j = sched_json_run(o, s, v, &first);

		report_json_str(j, "permutation", label);
		report_json_int(j, "repeat", o->repeat);
		report_json_int(j, "identical", same);
		json_object_array_add(arr, j);
	} else {
		fprintf(o->out, "\npermutation: %s\n", label);
		sched_print_run(o, s, v, &first);
		if (o->repeat > 1)
			fprintf(o->out,
			    "  %u of %u runs identical to the first\n",
			    same, o->repeat);
	}
	if (first.anomaly && o->shrink && p != NULL && arr == NULL)
		sched_cli_shrink(o, s, v, p, NULL);
	sched_result_free(&first);
	if (rc < 0)
		return rc;
	return same == o->repeat ? 0 : -EPROTO;
}

/* The file's permutations, or those o picks; the first failure ends it. */
static int
sched_cli_perms(const struct sched_cli *o, const struct sched_spec *s, int v,
    struct json_object *arr, bool *anomaly)
{
	char label[4096];
	int i, rc;

	if (o->perm != NULL)
		return sched_cli_perm(o, s, v, o->perm, o->schedule, arr,
		    anomaly);
	if (s->nperms == 0)
		return sched_cli_perm(o, s, v, NULL, "(in order)", arr,
		    anomaly);
	for (i = 0; i < s->nperms; i++) {
		if (o->permutation && i + 1 != o->permutation)
			continue;
		sched_format_perm(s, s->perm[i].e, s->perm[i].n, label,
		    sizeof(label));
		if ((rc = sched_cli_perm(o, s, v, &s->perm[i], label, arr,
		    anomaly)) < 0)
			return rc;
	}
	return 0;
}

int
sched_cli_run(const struct sched_cli *o, const struct sched_spec *s,
    bool *anomaly)
{
	struct json_object *j = NULL, *arr = NULL;
	int v = !o->has_sync ? (int)s->sync : o->db != NULL ?
	    (int)o->db_sync : (int)o->sync;
	int rc;

	*anomaly = false;
	if (o->permutation > s->nperms)
		return -EINVAL;		/* the program checks it first */
	if (o->has_explore && o->db == NULL)
		return sched_cli_explore(o, s, (enum sync_kind)v, anomaly);
	if (o->has_explore || (o->shrink && o->db != NULL))
		return -ENOTSUP;	/* the program refuses it first */
	if (o->json) {
		j = json_object_new_object();
		arr = json_object_new_array();
	} else if (!o->quiet) {
		fprintf(o->out, "%s: %s (variant %s%s)\n", o->prog,
		    s->title[0] ? s->title : o->file, sched_vname(o, v),
		    o->db != NULL ? ", on PostgreSQL" : "");
	}
	rc = sched_cli_perms(o, s, v, arr, anomaly);
	if (j != NULL) {
		report_json_str(j, "schedule", s->title[0] ? s->title :
		    o->file);
		report_json_str(j, "sync", sched_vname(o, v));
		report_json_bool(j, "anomaly", *anomaly);
		json_object_object_add(j, "runs", arr);
		report_json_print(o->out, j);
	}
	return rc;
}

int
sched_find_file(const char *dir, const char *file, char *path, size_t len)
{
	const char *dirs[] = { dir, SCHEDULE_DIR, SRC_SCHEDULE_DIR };
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (dirs[i] == NULL || dirs[i][0] == '\0')
			continue;
		snprintf(path, len, "%s/%s", dirs[i], file);
		if (access(path, R_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

int
sched_find_lesson(const char *dir, const char *lesson, char *path,
    size_t len)
{
	char file[256];

	snprintf(file, sizeof(file), "%s.sched", lesson);
	return sched_find_file(dir, file, path, len);
}
