/*
 * play: the games of banklab serve, each a sched_play over real parked
 * workers; undo and a change of variant replay the steps taken on fresh
 * processes (sched_play_step() with is_replay, as banklab-sched takes a
 * permutation), so a game is always the run its steps make.  The state as
 * JSON, the levels and the give-up count: play_state.c.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "api.h"
#include "lab.h"
#include "play_impl.h"
#include "spawn.h"

static void
game_end(struct play_game *gm)
{
	sched_play_close(gm->play);
	free(gm->own);
	memset(gm, 0, sizeof(*gm));
}

int
play_open(const struct play_config *cfg, struct play_games **out)
{
	struct play_games *g;
	int rc;

	*out = NULL;
	if (cfg->max_games == 0)
		return -EINVAL;
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return -ENOMEM;
	g->cfg = *cfg;
	if ((rc = spawn_worker_path(cfg->worker, g->worker,
	    sizeof(g->worker))) < 0 ||
	    (g->game = calloc(cfg->max_games, sizeof(*g->game))) == NULL ||
	    (rc = play_load_levels(g)) < 0) {
		free(g->game);
		free(g);
		return rc < 0 ? rc : -ENOMEM;
	}
	*out = g;
	return 0;
}

void
play_close(struct play_games *g)
{
	unsigned i;

	if (g == NULL)
		return;
	for (i = 0; i < g->cfg.max_games; i++)
		if (g->game[i].is_used)
			game_end(&g->game[i]);
	play_free_levels(g);
	free(g->game);
	free(g);
}

unsigned
play_reap_idle(struct play_games *g)
{
	uint64_t now = lab_now_ms(), idle = (uint64_t)g->cfg.idle_s * 1000;
	unsigned i, n = 0;

	for (i = 0; i < g->cfg.max_games; i++)
		if (g->game[i].is_used && now - g->game[i].last_ms >= idle) {
			game_end(&g->game[i]);
			n++;
		}
	return n;
}

int
play_list(const struct play_games *g, struct json_object **out)
{
	struct json_object *j = json_object_new_object();
	struct json_object *a = json_object_new_array();
	unsigned i;

	for (i = 0; i < g->cfg.max_games; i++)
		if (g->game[i].is_used)
			json_object_array_add(a,
			    json_object_new_string(g->game[i].id));
	json_object_object_add(j, "games", a);
	json_object_object_add(j, "max", json_object_new_int(
	    (int32_t)g->cfg.max_games));
	*out = j;
	return 0;
}

static struct play_game *
game_find(struct play_games *g, const char *id)
{
	unsigned i;

	for (i = 0; i < g->cfg.max_games; i++)
		if (g->game[i].is_used && strcmp(g->game[i].id, id) == 0)
			return &g->game[i];
	return NULL;
}

/*
 * A free place for a new game: an unused one, else the game over that
 * was used least recently (it holds no process: it is only a state).
 */
static struct play_game *
game_place(struct play_games *g)
{
	struct play_game *old = NULL;
	unsigned i;

	for (i = 0; i < g->cfg.max_games; i++) {
		struct play_game *gm = &g->game[i];

		if (!gm->is_used)
			return gm;
		if (sched_play_is_over(gm->play) && (old == NULL ||
		    gm->last_ms < old->last_ms))
			old = gm;
	}
	if (old != NULL)
		game_end(old);
	return old;
}

/* Start gm's processes and take the steps e[0..n-1] as a replay. */
static int
game_start(struct play_game *gm, const struct sched_entry *e, int n,
    char *why, size_t len)
{
	char err[256];
	int k, rc;

	if ((rc = sched_play_open(gm->s, gm->v, &gm->play, err,
	    sizeof(err))) < 0) {
		snprintf(why, len, "starting the processes: %s", err);
		return rc;
	}
	for (k = 0; k < n && !sched_play_is_over(gm->play); k++)
		if ((rc = sched_play_step(gm->play, &e[k], true)) < 0) {
			snprintf(why, len, "step %d: %s", k + 1,
			    lab_strerror(rc));
			return rc;
		}
	gm->rows_before = sched_play_result(gm->play)->nev;
	return 0;
}

/* The schedule q names: a level's, or its pasted text parsed. */
static int
game_schedule(struct play_games *g, struct play_game *gm,
    const struct play_request *q, char *why, size_t len)
{
	if ((q->level == NULL) == (q->schedule == NULL)) {
		snprintf(why, len, "level, schedule: give exactly one");
		return -EINVAL;
	}
	if (q->level != NULL) {
		if ((gm->level = play_find_level(g, q->level)) < 0) {
			snprintf(why, len, "level: \"%.40s\": no such level "
			    "(GET /v1/levels)", q->level);
			return -ENOENT;
		}
		gm->s = g->level[gm->level].s;
		return 0;
	}
	gm->level = -1;
	if ((gm->own = malloc(sizeof(*gm->own))) == NULL)
		return -ENOMEM;
	/* Errors say "schedule:LINE:COLUMN: expected ...". */
	if (sched_parse_text(q->schedule, "schedule", gm->own, why, len) < 0)
		return -EINVAL;
	gm->own->worker = g->worker;
	gm->own->run_tag = "play";
	gm->s = gm->own;
	return 0;
}

static int
game_sync(const struct play_request *q, enum sync_kind dflt,
    enum sync_kind *v, char *why, size_t len)
{
	*v = dflt;
	if (q->sync != NULL && ledger_sync_parse(q->sync, v) < 0) {
		snprintf(why, len, "sync: \"%.40s\": not none, semaphore, "
		    "robust or ordered", q->sync);
		return -EINVAL;
	}
	return 0;
}

static void
game_id(struct play_games *g, char *id)
{
	unsigned char b[PLAY_ID_LEN / 2];
	size_t i;

	/* Not a secret (the token guards writes): only hard to guess. */
	if (getrandom(b, sizeof(b), GRND_NONBLOCK) != (ssize_t)sizeof(b))
		for (i = 0, g->seq++; i < sizeof(b); i++)
			b[i] = (unsigned char)((lab_now_ms() ^ g->seq) >>
			    i * 8);
	for (i = 0; i < sizeof(b); i++)
		snprintf(id + 2 * i, 3, "%02x", b[i]);
}

int
play_new(struct play_games *g, const struct play_request *q,
    struct json_object **out, char *why, size_t len)
{
	struct play_game n, *gm;
	struct sched_perm *p = NULL;
	int rc;

	memset(&n, 0, sizeof(n));
	if ((rc = game_schedule(g, &n, q, why, len)) < 0 ||
	    (rc = game_sync(q, n.s->sync, &n.v, why, len)) < 0)
		goto fail;
	if (q->steps != NULL) {
		char e[200];

		if ((p = malloc(sizeof(*p))) == NULL) {
			rc = -ENOMEM;
			goto fail;
		}
		if (sched_parse_perm(q->steps, n.s, p, e, sizeof(e)) < 0) {
			snprintf(why, len, "steps: %s", e);	/* the field */
			rc = -EINVAL;
			goto fail;
		}
	}
	if ((gm = game_place(g)) == NULL) {
		snprintf(why, len, "%u games are running (--max-plays %u): "
		    "end one (DELETE /v1/play/ID) or wait", g->cfg.max_games,
		    g->cfg.max_games);
		rc = -EAGAIN;
		goto fail;
	}
	*gm = n;
	gm->is_used = true;
	gm->last_ms = lab_now_ms();
	game_id(g, gm->id);
	if ((rc = game_start(gm, p ? p->e : NULL, p ? p->n : 0, why,
	    len)) < 0) {
		game_end(gm);
		free(p);
		return rc;
	}
	free(p);
	*out = play_state(g, gm);
	return 0;
fail:
	free(p);
	free(n.own);
	return rc;
}

/* Why process i cannot be stepped now. */
static void
game_why_not(const struct play_game *gm, int i, char *why, size_t len)
{
	const struct sched_spec *s = gm->s;
	struct sched_play_proc p;
	char what[64];

	sched_play_proc(gm->play, i, &p);
	if (p.state == SCHED_PLAY_WAITING && p.waits == LEDGER_WAIT_SEM)
		snprintf(what, sizeof(what), "is waiting for the semaphore");
	else if (p.state == SCHED_PLAY_WAITING)
		snprintf(what, sizeof(what), "is waiting for #%lld",
		    (long long)p.waits);
	else
		snprintf(what, sizeof(what), "%s", p.state == SCHED_PLAY_DONE ?
		    "is done" : p.state == SCHED_PLAY_KILLED ? "was killed" :
		    "has exited");
	snprintf(why, len, "process %d (%s) %s%s%s: step another", i,
	    s->proc[i].name, what, p.holder >= 0 ? ", held by " : "",
	    p.holder >= 0 ? s->proc[p.holder].name : "");
}

static int
game_step(struct play_game *gm, const struct play_request *q, char *why,
    size_t len)
{
	int n = sched_play_nprocs(gm->play), rc;
	struct sched_entry e;

	if (q->process < 0 || q->process >= n) {
		if (q->process < 0)
			snprintf(why, len, "\"process\": required (an index, "
			    "0 to %d)", n - 1);
		else
			snprintf(why, len, "\"process\": %lld: the game has %d "
			    "processes (0 to %d)", (long long)q->process, n,
			    n - 1);
		return -EINVAL;
	}
	e.proc = (int)q->process;
	e.step = q->kill ? STEP_KILL : 0;
	gm->rows_before = sched_play_result(gm->play)->nev;
	if ((rc = sched_play_step(gm->play, &e, false)) == -EBUSY)
		game_why_not(gm, e.proc, why, len);
	return rc;
}

/*
 * The game again on fresh processes under v, its first keep steps
 * replayed (undo, replay, restart).
 */
static int
game_again(struct play_game *gm, enum sync_kind v, int keep, char *why,
    size_t len)
{
	const struct sched_result *r = sched_play_result(gm->play);
	struct sched_entry *e;
	int rc;

	if (keep < 0 || keep > r->ntaken) {
		snprintf(why, len, "keep: %d: the game has taken %d steps",
		    keep, r->ntaken);
		return -EINVAL;
	}
	if ((e = malloc(((size_t)keep + 1) * sizeof(*e))) == NULL)
		return -ENOMEM;
	if (keep > 0)		/* r->taken is NULL before the first */
		memcpy(e, r->taken, (size_t)keep * sizeof(*e));
	sched_play_close(gm->play);
	gm->play = NULL;
	gm->v = v;
	rc = game_start(gm, e, keep, why, len);
	free(e);
	return rc;
}

static int
game_action(const struct play_games *g, struct play_game *gm,
    const char *action, const struct play_request *q, char *why, size_t len)
{
	int ntaken = sched_play_result(gm->play)->ntaken;
	enum sync_kind v;
	int rc;

	(void)g;
	if ((strcmp(action, "step") == 0 || strcmp(action, "finish") == 0) &&
	    sched_play_is_over(gm->play)) {
		snprintf(why, len, "the game is over: undo, replay or start "
		    "another");
		return -EBUSY;
	}
	if (strcmp(action, "step") == 0)
		return game_step(gm, q, why, len);
	if (strcmp(action, "finish") == 0) {
		gm->rows_before = sched_play_result(gm->play)->nev;
		return sched_play_finish(gm->play);
	}
	if (strcmp(action, "undo") == 0) {
		if (q->keep < 0 && ntaken == 0) {
			snprintf(why, len, "nothing to undo: no step taken");
			return -EBUSY;
		}
		return game_again(gm, gm->v, q->keep >= 0 ? (int)q->keep :
		    ntaken - 1, why, len);
	}
	if (strcmp(action, "replay") == 0) {
		if ((rc = game_sync(q, gm->v, &v, why, len)) < 0)
			return rc;
		return game_again(gm, v, q->keep >= 0 ? (int)q->keep : ntaken,
		    why, len);
	}
	snprintf(why, len, "no such action: %.20s", action);
	return -ENOENT;
}

int
play_act(struct play_games *g, const char *id, const char *action,
    const struct play_request *q, struct json_object **out, char *why,
    size_t len)
{
	struct play_game *gm = game_find(g, id);
	int rc;

	*out = NULL;
	if (gm == NULL) {
		snprintf(why, len, "game \"%.*s\": no such game (ended, or "
		    "idle for %u s)", PLAY_ID_LEN, id, g->cfg.idle_s);
		return -ENOENT;
	}
	gm->last_ms = lab_now_ms();
	if (strcmp(action, "delete") == 0) {
		*out = json_object_new_object();
		json_object_object_add(*out, "id",
		    json_object_new_string(gm->id));
		json_object_object_add(*out, "ended",
		    json_object_new_boolean(1));
		game_end(gm);
		return 0;
	}
	if (strcmp(action, "explore") == 0)
		return play_explore(g, gm, out, why, len);
	if (action[0] != '\0' && (rc = game_action(g, gm, action, q, why,
	    len)) < 0) {
		/* A replay that could not start leaves no game. */
		if (gm->play == NULL)
			game_end(gm);
		return rc;
	}
	*out = play_state(g, gm);
	return 0;
}

/* ------------------------------------------------------------ requests */

static const struct {
	const char *name;
	unsigned bit;
	enum json_type type;
	size_t off;			/* of its field in play_request */
} play_fields[] = {
#define PF(f)	offsetof(struct play_request, f)
	{ "level", PLAY_F_LEVEL, json_type_string, PF(level) },
	{ "schedule", PLAY_F_SCHEDULE, json_type_string, PF(schedule) },
	{ "sync", PLAY_F_SYNC, json_type_string, PF(sync) },
	{ "steps", PLAY_F_STEPS, json_type_string, PF(steps) },
	{ "process", PLAY_F_PROCESS, json_type_int, PF(process) },
	{ "kill", PLAY_F_KILL, json_type_boolean, PF(kill) },
	{ "keep", PLAY_F_KEEP, json_type_int, PF(keep) },
#undef PF
};

#define PLAY_NFIELDS	(sizeof(play_fields) / sizeof(play_fields[0]))

/* One field of o into q, checked against its row. */
static int
play_take(struct json_object *o, const char *key, struct json_object *v,
    size_t i, struct play_request *q, char *why, size_t wlen)
{
	char *at = (char *)q + play_fields[i].off;
	int64_t n;
	int r;

	switch (play_fields[i].type) {
	case json_type_string:
		if (!json_object_is_type(v, json_type_string))
			return api_refuse(why, wlen, key, "not a string");
		/* A \u0000 would cut the text short, silently. */
		if (strlen(json_object_get_string(v)) !=
		    (size_t)json_object_get_string_len(v))
			return api_refuse(why, wlen, key, "contains a NUL");
		*(const char **)(void *)at = json_object_get_string(v);
		return 0;
	case json_type_boolean:
		if (!json_object_is_type(v, json_type_boolean))
			return api_refuse(why, wlen, key, "not true or false");
		*(bool *)(void *)at = json_object_get_boolean(v);
		return 0;
	default:
		if ((r = api_int_field(o, key, 0, SCHED_ENTRIES_MAX, &n, why,
		    wlen)) < 0)
			return r;
		*(int64_t *)(void *)at = n;
		return 0;
	}
}

int
play_parse_request(const char *body, size_t len, unsigned mask,
    struct play_request *q, struct json_object **hold, char *why,
    size_t wlen)
{
	struct json_object *o;
	size_t i;
	int r;

	memset(q, 0, sizeof(*q));
	q->process = -1;
	q->keep = -1;
	*hold = NULL;
	if (len == 0)
		return 0;
	if ((r = api_parse_object(body, len, &o, why, wlen)) < 0)
		return r;
	json_object_object_foreach(o, key, val) {
		for (i = 0; i < PLAY_NFIELDS; i++)
			if (strcmp(key, play_fields[i].name) == 0 &&
			    (mask & play_fields[i].bit))
				break;
		if (i == PLAY_NFIELDS)
			r = api_refuse(why, wlen, key, "not a field of this "
			    "request");
		else
			r = play_take(o, key, val, i, q, why, wlen);
		if (r < 0) {
			json_object_put(o);
			return r;
		}
	}
	*hold = o;
	return 0;
}
