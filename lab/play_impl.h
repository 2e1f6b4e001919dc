/*
 * play_impl: what play.c (the games and their actions) and play_state.c
 * (the levels, a game's state as JSON, the give-up count) share.
 * Layer: api.  Not for programs.
 */
#ifndef LAB_PLAY_IMPL_H
#define LAB_PLAY_IMPL_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "play.h"
#include "sched_play.h"

#define PLAY_NAME_MAX		32
#define PLAY_PASTED_FILE	"schedule.sched"	/* in its replay line */

struct play_level {
	char name[PLAY_NAME_MAX];
	char path[PATH_MAX];		/* in its replay line */
	char description[1024];		/* the file's leading comment */
	struct sched_spec *s;
	int lesson;			/* enum scenario_kind, or -1 */
};

struct play_game {
	bool is_used;
	char id[PLAY_ID_LEN + 1];
	int level;			/* -1: a pasted schedule */
	struct sched_spec *own;		/* the pasted one's */
	const struct sched_spec *s;
	enum sync_kind v;
	struct sched_play *play;
	int rows_before;		/* timeline rows before the last step */
	uint64_t last_ms;		/* its last request */
};

struct play_games {
	struct play_config cfg;
	char worker[PATH_MAX];
	struct play_level level[PLAY_LEVELS_MAX];
	int nlevels;
	struct play_game *game;		/* cfg.max_games of them */
	uint64_t seq;
};

/* play_state.c */

/* Find and parse the levels into g (those that do not parse are left). */
int play_load_levels(struct play_games *g);
void play_free_levels(struct play_games *g);

/* Level name's index, or -1. */
int play_find_level(const struct play_games *g, const char *name);

/* The game's state (the page's one object). */
struct json_object *play_state(const struct play_games *g,
    const struct play_game *gm);

/* Every interleaving of gm's schedule under its variant, as JSON. */
int play_explore(const struct play_games *g, const struct play_game *gm,
    struct json_object **out, char *why, size_t len);

#endif
