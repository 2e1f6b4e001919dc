/*
 * play_state: the levels a server offers (the lessons' schedules first,
 * then every other *.sched of the folder, each parsed once), a game's
 * state as the page's JSON, and the give-up: every interleaving explored
 * by sched_explore(), as banklab-sched --explore all does.
 */
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"
#include "play_impl.h"
#include "report.h"
#include "scenario.h"
#include "sched_cli.h"
#include "step.h"

/* What each lesson's anomaly is, for the give-up's count. */
static const char *const play_anomaly_words[SCENARIO_COUNT] = {
	[SCENARIO_RACE] = "loses an update",
	[SCENARIO_STALE] = "sees a total that never existed",
	[SCENARIO_DEADLOCK] = "deadlocks",
	[SCENARIO_CRASH] = "loses money to a dead holder",
};

/* k: v, or null (json-c takes no NULL string). */
static void
put_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v != NULL ? json_object_new_string(v) :
	    NULL);
}

/* ------------------------------------------------------------ levels */

/* The file's leading '#' lines, joined by spaces. */
static void
level_description(const char *path, char *buf, size_t len)
{
	char line[512];
	size_t at = 0, n;
	FILE *f = fopen(path, "re");

	buf[0] = '\0';
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL && line[0] == '#') {
		n = strcspn(line, "\n");
		line[n] = '\0';
		if (at + 2 < len)
			at += (size_t)snprintf(buf + at, len - at, "%s%s",
			    at ? " " : "", line + strspn(line, "# "));
	}
	fclose(f);
}

static int
level_lesson(const char *name)
{
	int k;

	for (k = 0; k < SCENARIO_COUNT; k++)
		if (strcmp(scenario_name((enum scenario_kind)k), name) == 0)
			return k;
	return -1;
}

/* Lessons first, in their order; then the others by name. */
static int
level_cmp(const void *a, const void *b)
{
	const char *x = a, *y = b;
	int kx = level_lesson(x), ky = level_lesson(y);

	if (kx >= 0 || ky >= 0)
		return (kx < 0 ? SCENARIO_COUNT : kx) -
		    (ky < 0 ? SCENARIO_COUNT : ky);
	return strcmp(x, y);
}

/* A level's name: "NAME.sched", NAME of letters, digits, '-' and '_'. */
static bool
level_name(const char *file, char *name)
{
	size_t n = strlen(file);

	if (n <= 6 || n - 6 >= PLAY_NAME_MAX ||
	    strcmp(file + n - 6, ".sched") != 0 ||
	    strspn(file, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_-") != n - 6)
		return false;
	memcpy(name, file, n - 6);
	name[n - 6] = '\0';
	return true;
}

static void
level_add(struct play_games *g, const char *dir, const char *name)
{
	struct play_level *lv = &g->level[g->nlevels];
	char err[256];

	snprintf(lv->name, sizeof(lv->name), "%.*s", PLAY_NAME_MAX - 1, name);
	snprintf(lv->path, sizeof(lv->path), "%.3900s/%.*s.sched", dir,
	    PLAY_NAME_MAX - 1, name);
	if ((lv->s = malloc(sizeof(*lv->s))) == NULL)
		return;
	if (sched_parse_file(lv->path, lv->s, err, sizeof(err)) < 0) {
		free(lv->s);	/* not offered: banklab-sched says why */
		lv->s = NULL;
		return;
	}
	lv->s->worker = g->worker;
	lv->s->run_tag = "play";
	lv->lesson = level_lesson(name);
	level_description(lv->path, lv->description,
	    sizeof(lv->description));
	g->nlevels++;
}

int
play_load_levels(struct play_games *g)
{
	char names[PLAY_LEVELS_MAX][PLAY_NAME_MAX], dir[PATH_MAX], *slash;
	struct dirent *d;
	DIR *dp;
	int n = 0, i;

	if (sched_find_lesson(g->cfg.schedules, "race", dir,
	    sizeof(dir)) < 0 || (slash = strrchr(dir, '/')) == NULL)
		return 0;		/* no levels: pasted schedules only */
	*slash = '\0';
	if ((dp = opendir(dir)) == NULL)
		return 0;
	while ((d = readdir(dp)) != NULL && n < PLAY_LEVELS_MAX)
		if (level_name(d->d_name, names[n]))
			n++;
	closedir(dp);
	qsort(names, (size_t)n, sizeof(names[0]), level_cmp);
	for (i = 0; i < n; i++)
		level_add(g, dir, names[i]);
	return 0;
}

void
play_free_levels(struct play_games *g)
{
	int i;

	for (i = 0; i < g->nlevels; i++)
		free(g->level[i].s);
	g->nlevels = 0;
}

int
play_find_level(const struct play_games *g, const char *name)
{
	int i;

	for (i = 0; i < g->nlevels; i++)
		if (strcmp(g->level[i].name, name) == 0)
			return i;
	return -1;
}

static struct json_object *
json_variants(unsigned mask)
{
	struct json_object *a = json_object_new_array();
	int v;

	for (v = 0; v < SYNC_COUNT; v++)
		if (mask & 1u << v)
			json_object_array_add(a, json_object_new_string(
			    ledger_sync_name((enum sync_kind)v)));
	return a;
}

static struct json_object *
json_procs(const struct sched_spec *s)
{
	struct json_object *a = json_object_new_array(), *p;
	char ops[512];
	int i;

	for (i = 0; i < s->nprocs; i++) {
		p = json_object_new_object();
		report_json_int(p, "index", i);
		report_json_str(p, "name", s->proc[i].name);
		sched_format_ops(s->proc[i].op, s->proc[i].nops, ops,
		    sizeof(ops));
		report_json_str(p, "ops", ops);
		json_object_array_add(a, p);
	}
	return a;
}

int
play_levels(const struct play_games *g, struct json_object **out,
    char *why, size_t len)
{
	struct json_object *j = json_object_new_object();
	struct json_object *a = json_object_new_array(), *o;
	unsigned kills;
	int i;

	(void)why, (void)len;
	for (i = 0; i < g->nlevels; i++) {
		const struct play_level *lv = &g->level[i];

		o = json_object_new_object();
		report_json_str(o, "level", lv->name);
		report_json_str(o, "file", strrchr(lv->path, '/') + 1);
		report_json_str(o, "title", lv->s->title);
		report_json_str(o, "description", lv->description);
		report_json_str(o, "sync", ledger_sync_name(lv->s->sync));
		json_object_object_add(o, "anomaly",
		    json_variants(lv->s->anomaly_mask));
		json_object_object_add(o, "clean",
		    json_variants(lv->s->clean_mask));
		json_object_object_add(o, "processes", json_procs(lv->s));
		report_json_bool(o, "kills",
		    sched_killable(lv->s, &kills) != 0);
		json_object_array_add(a, o);
	}
	json_object_object_add(j, "levels", a);
	*out = j;
	return 0;
}

/* ------------------------------------------------------------ a game */

static const char *const play_state_names[] = {
	[SCHED_PLAY_PARKED] = "parked", [SCHED_PLAY_WAITING] = "waiting",
	[SCHED_PLAY_DONE] = "done", [SCHED_PLAY_DEAD] = "dead",
	[SCHED_PLAY_KILLED] = "killed",
};

static struct json_object *
state_procs(const struct play_game *gm)
{
	struct json_object *a = json_procs(gm->s), *p;
	struct sched_play_proc pp;
	int i;

	for (i = 0; i < gm->s->nprocs; i++) {
		p = json_object_array_get_idx(a, (size_t)i);
		sched_play_proc(gm->play, i, &pp);
		report_json_int(p, "pid", pp.pid);
		report_json_str(p, "state", play_state_names[pp.state]);
		put_str(p, "at", pp.state == SCHED_PLAY_DEAD ||
		    pp.state == SCHED_PLAY_KILLED ? NULL :
		    sched_step_name(pp.at));
		if (pp.state != SCHED_PLAY_WAITING)
			json_object_object_add(p, "waits_for", NULL);
		else if (pp.waits == LEDGER_WAIT_SEM)
			report_json_str(p, "waits_for", "semaphore");
		else
			report_json_int(p, "waits_for", pp.waits);
		json_object_object_add(p, "holder", pp.holder < 0 ? NULL :
		    json_object_new_int(pp.holder));
		report_json_bool(p, "can_step", pp.state == SCHED_PLAY_PARKED &&
		    !sched_play_is_over(gm->play));
	}
	return a;
}

static struct json_object *
state_timeline(const struct play_game *gm, const struct sched_result *r)
{
	struct json_object *t = json_object_new_object();
	struct json_object *rows = json_object_new_array(), *o;
	char line[SCHED_PROCS_MAX * 32 + 128], cell[64];
	int i;

	sched_timeline_head(gm->s, r, line, sizeof(line));
	report_json_str(t, "header", line);
	for (i = 0; i < r->nev; i++) {
		sched_timeline_row(&r->ev[i], i + 1, cell, sizeof(cell), line,
		    sizeof(line));
		o = json_object_new_object();
		report_json_int(o, "n", i + 1);
		report_json_int(o, "process", r->ev[i].proc);
		report_json_str(o, "cell", cell);
		report_json_str(o, "line", line);
		json_object_array_add(rows, o);
	}
	json_object_object_add(t, "rows", rows);
	return t;
}

/* The lesson's words on what happened, on one line. */
static void
state_lesson(const struct play_game *gm, const struct play_level *lv,
    const struct sched_result *r, char *buf, size_t len)
{
	unsigned when = LESSON_ANOMALY;
	char *p, *q;
	int i;

	buf[0] = '\0';
	if (lv == NULL || lv->lesson < 0)
		return;
	if (r->deadlock)
		when |= LESSON_DEADLOCK;
	if (r->stuck)
		when |= LESSON_STUCK;
	for (i = 0; i < r->nev; i++)
		if (r->ev[i].kind == SCHED_EV_KILLED ||
		    r->ev[i].kind == SCHED_EV_DIED)
			when |= LESSON_DIED;
	if (scenario_why_text((enum scenario_kind)lv->lesson, gm->v, when,
	    buf, len) < 0)
		return;
	for (p = q = buf; *p != '\0'; p++) {	/* "\n  " -> " " */
		if (*p == '\n') {
			p += strspn(p + 1, " ");
			*q++ = ' ';
		} else {
			*q++ = *p;
		}
	}
	while (q > buf && q[-1] == ' ')
		q--;
	*q = '\0';
}

/* Over: the verdict, won or not, the lesson, the replay line, a cycle. */
static void
state_verdict(const struct play_game *gm, const struct play_level *lv,
    const struct sched_result *r, struct json_object *j)
{
	char verdict[256], replay[4096], lesson[2048];
	bool is_over = sched_play_is_over(gm->play), is_won;

	is_won = is_over && sched_verdict(r, verdict, sizeof(verdict)) &&
	    r->error[0] == '\0';
	report_json_bool(j, "won", is_won);
	put_str(j, "verdict", is_over ? verdict : NULL);
	state_lesson(gm, lv, r, lesson, sizeof(lesson));
	put_str(j, "lesson", is_won && lesson[0] ? lesson : NULL);
	sched_replay_line("banklab-sched", lv ? lv->path : PLAY_PASTED_FILE,
	    gm->s, gm->v, r->taken, r->ntaken, replay, sizeof(replay));
	put_str(j, "replay", is_over ? replay : NULL);
	json_object_object_add(j, "cycle", is_over ? sched_cycle_json(r) :
	    json_object_new_array());
}

static void
state_ledger(const struct play_game *gm, struct json_object *j)
{
	int64_t b[SCHED_ACCOUNTS_MAX], total = 0, expected = 0;
	struct json_object *a = json_object_new_array();
	int i, n = sched_play_balances(gm->play, b, SCHED_ACCOUNTS_MAX);

	for (i = 0; i < n; i++) {
		json_object_array_add(a, json_object_new_int64(b[i]));
		total += b[i];
		expected += gm->s->balance[i];
	}
	json_object_object_add(j, "balances", a);
	report_json_int(j, "total", total);
	report_json_int(j, "expected_total", expected);
}

struct json_object *
play_state(const struct play_games *g, const struct play_game *gm)
{
	const struct sched_result *r = sched_play_result(gm->play);
	const struct play_level *lv = gm->level >= 0 ? &g->level[gm->level] :
	    NULL;
	struct json_object *j = json_object_new_object();
	char steps[4096];

	report_json_str(j, "id", gm->id);
	put_str(j, "level", lv ? lv->name : NULL);
	report_json_str(j, "title", gm->s->title);
	report_json_str(j, "sync", ledger_sync_name(gm->v));
	sched_format_perm(gm->s, r->taken, r->ntaken, steps, sizeof(steps));
	report_json_str(j, "steps", steps);
	report_json_int(j, "nsteps", r->ntaken);
	report_json_bool(j, "over", sched_play_is_over(gm->play));
	state_verdict(gm, lv, r, j);
	state_ledger(gm, j);
	report_json_int(j, "idle_timeout_s", g->cfg.idle_s);
	json_object_object_add(j, "processes", state_procs(gm));
	json_object_object_add(j, "timeline", state_timeline(gm, r));
	report_json_int(j, "new_rows", r->nev - gm->rows_before);
	return j;
}

/* ------------------------------------------------------------ give up */

struct play_explore_ctx {
	const struct play_games *g;
	const struct play_game *gm;
	struct sched_explore_stats *st;
	uint64_t deadline;		/* ms: the games wait meanwhile */
	char replay[4096];
};

static void
explore_cb(const struct sched_result *r, unsigned run, void *arg)
{
	struct play_explore_ctx *x = arg;
	const struct play_level *lv = x->gm->level >= 0 ?
	    &x->g->level[x->gm->level] : NULL;
	char verdict[256];

	(void)run;
	if (lab_now_ms() > x->deadline || (x->g->cfg.is_stopping != NULL &&
	    x->g->cfg.is_stopping()))
		x->st->is_stopped = true;
	if (x->replay[0] == '\0' && sched_verdict(r, verdict,
	    sizeof(verdict)))
		sched_replay_line("banklab-sched", lv ? lv->path :
		    PLAY_PASTED_FILE, x->gm->s, x->gm->v, r->taken, r->ntaken,
		    x->replay, sizeof(x->replay));
}

int
play_explore(const struct play_games *g, const struct play_game *gm,
    struct json_object **out, char *why, size_t len)
{
	struct sched_explore_opts eo = { SCHED_REPLAY, 0, 0, 0,
	    PLAY_EXPLORE_MAX, 0 };
	struct sched_explore_stats st;
	struct play_explore_ctx x = { g, gm, &st, lab_now_ms() +
	    PLAY_EXPLORE_MS, "" };
	const char *words = "shows the anomaly";
	char text[256];
	struct json_object *j;
	int rc, n;

	if (gm->level >= 0 && g->level[gm->level].lesson >= 0)
		words = play_anomaly_words[g->level[gm->level].lesson];
	if ((rc = sched_explore(gm->s, gm->v, &eo, explore_cb, &x, &st)) < 0) {
		snprintf(why, len, "exploring: %s", lab_strerror(rc));
		return rc;
	}
	n = snprintf(text, sizeof(text), "%s%u interleavings explored%s: ",
	    st.is_complete ? "all " : "", st.runs, st.is_complete ? "" :
	    " (not all: the time limit)");
	if (st.failing == 0)
		snprintf(text + n, sizeof(text) - (size_t)n, "none %s", words);
	else
		snprintf(text + n, sizeof(text) - (size_t)n, "in %u of them "
		    "the run %s", st.failing, words);
	j = json_object_new_object();
	report_json_str(j, "sync", ledger_sync_name(gm->v));
	report_json_int(j, "runs", st.runs);
	report_json_int(j, "failing", st.failing);
	report_json_bool(j, "complete", st.is_complete);
	report_json_str(j, "text", text);
	put_str(j, "replay", x.replay[0] ? x.replay : NULL);
	*out = j;
	return 0;
}
