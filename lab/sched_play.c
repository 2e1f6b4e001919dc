/*
 * sched_play: a schedule run one step at a time, each step chosen by the
 * caller between two calls (the games of banklab serve).  The run is a
 * sched_pool's, begun as sched_run() begins one; each step goes through
 * sched_take_entry(), as a permutation's entry does; when no process can
 * move, the run ends as sched_run()'s ends (sched_pool_end() judges it).
 * What the processes were doing is kept at that point, for the state.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"
#include "sched_impl.h"
#include "sched_play.h"
#include "step.h"

struct sched_play {
	struct sched_pool *pool;
	struct sched_ctx c;
	struct sched_result r;
	bool blocked[SCHED_PROCS_MAX];
	bool is_over;
	struct sched_play_proc last[SCHED_PROCS_MAX];	/* once over */
	int64_t balance[SCHED_ACCOUNTS_MAX];		/* once over */
	int nbalances;
};

static void
play_look(const struct sched_play *g, int i, struct sched_play_proc *o)
{
	const struct sched_ctx *c = &g->c;
	unsigned at;

	memset(o, 0, sizeof(*o));
	o->pid = c->p[i].pid;
	o->holder = -1;
	if (c->p[i].was_killed) {
		o->state = SCHED_PLAY_KILLED;
	} else if (c->p[i].is_dead) {
		o->state = SCHED_PLAY_DEAD;
	} else if ((at = sched_parked_at(c, i)) == STEP_END) {
		o->state = SCHED_PLAY_DONE;
		o->at = at;
	} else if (at != 0) {
		o->state = SCHED_PLAY_PARKED;
		o->at = at;
	} else {
		o->state = SCHED_PLAY_WAITING;
		o->at = c->p[i].seen_step;
		o->waits = atomic_load(&c->l->slots[c->p[i].slot].waits);
		o->holder = sched_holder_proc(c, i);
	}
}

static int
play_read_balances(const struct sched_play *g, int64_t *b, int max)
{
	const struct ledger *l = g->c.l;
	int i, n = (int)l->naccounts < max ? (int)l->naccounts : max;

	for (i = 0; i < n; i++)
		b[i] = atomic_load_explicit(&l->acct[i].balance,
		    memory_order_relaxed);
	return n;
}

/* Keep what the processes were doing, then end and judge the run. */
static void
play_end(struct sched_play *g, int rc)
{
	int i;

	for (i = 0; i < g->c.n; i++)
		play_look(g, i, &g->last[i]);
	g->nbalances = play_read_balances(g, g->balance, SCHED_ACCOUNTS_MAX);
	sched_pool_end(g->pool, &g->c, rc);
	g->is_over = true;
}

/* Can any process still be released? */
static bool
play_can_move(const struct sched_play *g)
{
	const struct sched_ctx *c = &g->c;
	unsigned at;
	int i;

	for (i = 0; i < c->n; i++)
		if (!c->p[i].is_dead && (at = sched_parked_at(c, i)) != 0 &&
		    at != STEP_END)
			return true;
	return false;
}

int
sched_play_open(const struct sched_spec *s, enum sync_kind v,
    struct sched_play **gp, char *err, size_t len)
{
	struct sched_play *g;
	int rc;

	*gp = NULL;
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return -ENOMEM;
	if ((rc = sched_pool_open(s, v, false, &g->pool)) < 0) {
		free(g);
		return rc;
	}
	g->c.s = s;
	g->c.v = v;
	g->c.n = s->nprocs;
	g->c.r = &g->r;
	g->c.pool = g->pool;
	g->c.l = &g->pool->l;
	if ((rc = sched_pool_begin(g->pool, &g->c)) < 0 ||
	    (rc = sched_to_first(&g->c)) < 0) {
		snprintf(err, len, "%s", g->r.error[0] ? g->r.error :
		    lab_strerror(rc));
		sched_pool_end(g->pool, &g->c, rc);
		sched_play_close(g);
		return rc;
	}
	sched_blocked(&g->c, g->blocked);
	*gp = g;
	return 0;
}

int
sched_play_step(struct sched_play *g, const struct sched_entry *e,
    bool is_replay)
{
	struct sched_play_proc p;
	bool is_deadlocked;
	int rc;

	if (g->is_over)
		return -EALREADY;
	if (e->proc < 0 || e->proc >= g->c.n)
		return -EINVAL;
	play_look(g, e->proc, &p);
	if (!is_replay && p.state != SCHED_PLAY_PARKED)
		return -EBUSY;
	rc = sched_take_entry(&g->c, e, g->blocked, &is_deadlocked);
	if (rc < 0 || is_deadlocked || !play_can_move(g))
		play_end(g, rc);
	return 0;
}

int
sched_play_finish(struct sched_play *g)
{
	if (g->is_over)
		return -EALREADY;
	play_end(g, sched_take_rest(&g->c, NULL, g->blocked));
	return 0;
}

bool
sched_play_is_over(const struct sched_play *g)
{
	return g->is_over;
}

int
sched_play_nprocs(const struct sched_play *g)
{
	return g->c.n;
}

void
sched_play_proc(const struct sched_play *g, int i,
    struct sched_play_proc *out)
{
	if (g->is_over)
		*out = g->last[i];
	else
		play_look(g, i, out);
}

const struct sched_result *
sched_play_result(const struct sched_play *g)
{
	return &g->r;
}

int
sched_play_balances(const struct sched_play *g, int64_t *b, int max)
{
	int i, n;

	if (!g->is_over)
		return play_read_balances(g, b, max);
	n = g->nbalances < max ? g->nbalances : max;
	for (i = 0; i < n; i++)
		b[i] = g->balance[i];
	return n;
}

void
sched_play_close(struct sched_play *g)
{
	if (g == NULL)
		return;
	sched_pool_close(g->pool);
	sched_result_free(&g->r);
	free(g);
}
