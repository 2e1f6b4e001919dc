/*
 * play: the games of banklab serve ("you are the scheduler"): each game is
 * one schedule (a level, or a pasted text) played one step at a time over
 * real parked worker processes (sched_play.h), with undo (the prefix
 * replayed on fresh processes), a change of variant, and the exhaustive
 * count when the player gives up.  A game's state is JSON for the page:
 * its timeline rows are the lines banklab-sched prints, and once over, its
 * replay line is the one banklab-sched prints for the same steps.
 *
 * Layer: api.  One process owns every game (banklab serve's games
 * process) and calls this from one thread.  Every call returns 0 or a
 * negative code with one line in why: -EINVAL (a bad request: 400),
 * -ENOENT (no such game or level: 404), -EBUSY (not now: 409), -EAGAIN
 * (too many games: 503), else a system failure.
 */
#ifndef LAB_PLAY_H
#define LAB_PLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "schedule.h"

#define PLAY_ID_LEN		16	/* hex digits */
#define PLAY_LEVELS_MAX		32
#define PLAY_EXPLORE_MAX	20000	/* runs a give-up explores at most */
#define PLAY_EXPLORE_MS		15000	/* ... for this long at most (every
					 * other game waits meanwhile) */

struct play_config {
	unsigned max_games;
	unsigned idle_s;		/* a game idle this long ends */
	const char *schedules;		/* the levels' folder (NULL: found) */
	const char *worker;		/* the banklab program, NULL: found */
	/* Asked between the runs of a give-up: true ends it (NULL: never). */
	bool (*is_stopping)(void);
};

struct json_object;
struct play_games;

/* Every game of one server, and the levels found.  0 or -errno. */
int play_open(const struct play_config *cfg, struct play_games **out);

/* End every game (workers reaped, ledgers removed), free all. */
void play_close(struct play_games *g);

/* End the games idle for cfg->idle_s; how many. */
unsigned play_reap_idle(struct play_games *g);

/* The request parsed from JSON by the caller; NULL fields absent. */
struct play_request {
	const char *level, *schedule, *sync, *steps;
	int64_t process;		/* -1: absent */
	bool kill;
	int64_t keep;			/* -1: absent */
};

/* The fields a request may have (play_parse_request()). */
enum play_field {
	PLAY_F_LEVEL = 1 << 0, PLAY_F_SCHEDULE = 1 << 1, PLAY_F_SYNC = 1 << 2,
	PLAY_F_STEPS = 1 << 3, PLAY_F_PROCESS = 1 << 4, PLAY_F_KILL = 1 << 5,
	PLAY_F_KEEP = 1 << 6
};

/*
 * A request body (len bytes, may be 0: no field) into q: a JSON object of
 * only the fields in mask (play_field bits), each of its type.  q's
 * strings point into *hold, which the caller puts when done with q.
 * 0, or -EINVAL naming the field in why.
 */
int play_parse_request(const char *body, size_t len, unsigned mask,
    struct play_request *q, struct json_object **hold, char *why,
    size_t wlen);

/* GET /v1/levels */
int play_levels(const struct play_games *g, struct json_object **out,
    char *why, size_t len);

/* POST /v1/play: a new game's state, its id in it. */
int play_new(struct play_games *g, const struct play_request *q,
    struct json_object **out, char *why, size_t len);

/*
 * An action on game id: "" (GET: its state), "step", "finish", "undo",
 * "replay", "explore", "delete".
 */
int play_act(struct play_games *g, const char *id, const char *action,
    const struct play_request *q, struct json_object **out, char *why,
    size_t len);

/* GET /v1/play: the ids and the limit. */
int play_list(const struct play_games *g, struct json_object **out);

#endif
