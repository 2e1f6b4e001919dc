/*
 * sched_play: a schedule run one step at a time by a caller who decides
 * each step as it goes (a player; banklab serve's games): the processes
 * stay parked between two calls, for as long as the caller likes.  Every
 * step is taken by the same code as a permutation's entry in sched_run(),
 * so the steps taken, given to banklab-sched --schedule, make the same run.
 *
 * Layer: schedules.  One process (the one that opened it) calls it; it
 * starts and reaps the workers and makes and removes the ledger.
 */
#ifndef LAB_SCHED_PLAY_H
#define LAB_SCHED_PLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "schedule.h"

enum sched_play_state {
	SCHED_PLAY_PARKED = 1,	/* at a step point: it can be stepped */
	SCHED_PLAY_WAITING,	/* released, blocked on a lock */
	SCHED_PLAY_DONE,	/* at its end */
	SCHED_PLAY_DEAD,	/* exited without being told to */
	SCHED_PLAY_KILLED
};

struct sched_play_proc {
	enum sched_play_state state;
	int32_t pid;
	unsigned at;		/* the step point it is parked at */
	int64_t waits;		/* WAITING: the account, or LEDGER_WAIT_SEM */
	int holder;		/* WAITING: the holder's index, or -1 */
};

struct sched_play;

/*
 * Start s's processes under v, each parked at its first step point.  0,
 * or a negative code with a line in err.  s must outlive the game.
 */
int sched_play_open(const struct sched_spec *s, enum sync_kind v,
    struct sched_play **gp, char *err, size_t len);

/*
 * Take one step: e as a permutation entry (proc, step 0 for its next
 * point, or STEP_KILL).  is_replay takes it as banklab-sched takes an
 * entry (a finished process is skipped, a waiting one heads for the new
 * target); else only a parked process may be stepped: -EBUSY.  -EINVAL:
 * no such process; -EALREADY: the game is over.  When no process can move
 * any more the run is judged: sched_play_is_over().
 */
int sched_play_step(struct sched_play *g, const struct sched_entry *e,
    bool is_replay);

/* Run the rest lowest first, as banklab-sched after its permutation. */
int sched_play_finish(struct sched_play *g);

bool sched_play_is_over(const struct sched_play *g);
int sched_play_nprocs(const struct sched_play *g);
void sched_play_proc(const struct sched_play *g, int i,
    struct sched_play_proc *out);

/* The events and the steps so far; judged once the game is over. */
const struct sched_result *sched_play_result(const struct sched_play *g);

/* The first max balances (cents) now, or as the run left them; n. */
int sched_play_balances(const struct sched_play *g, int64_t *b, int max);

/* End the processes (reaped), remove the ledger, free g (NULL: none). */
void sched_play_close(struct sched_play *g);

#endif
