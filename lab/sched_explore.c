/*
 * sched_explore: many runs of one schedule.  `all` enumerates every
 * interleaving of the processes' step points by replaying a choice vector
 * and backtracking the last choice that has an untried alternative (a
 * stateless model checker: each run starts from the same state, its
 * processes and ledger fresh or reset: sched_pool.c).  If the file's
 * permutations kill processes (pN:KILL), `all` also kills each such
 * process at every step point it reaches, up to as many kills a run as
 * one permutation has.  `random` picks uniformly
 * among the runnable; `pct` is probabilistic concurrency testing
 * (Burckhardt et al., ASPLOS 2010): random priorities, and d-1 random
 * points where the leader drops to the bottom, which finds a bug of depth
 * d with probability >= 1/(n k^(d-1)).  Neither kills: a kill taken at a
 * random point would end most runs early.  Here too: the choosers, which
 * sched_run asks at every choice.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lab.h"
#include "sched_impl.h"
#include "schedule.h"
#include "step.h"

#define SCHED_CHOICES_MAX	4096

int
sched_choose(struct sched_chooser *ch, const int *en, int n)
{
	unsigned k = ch ? ch->steps++ : 0, j;
	int i, best;

	if (ch == NULL)
		return en[0];
	switch (ch->policy) {
	case SCHED_RANDOM:
		return en[lab_rand(&ch->rng) % (uint64_t)n];
	case SCHED_PCT:
		/* At a change point the leader drops below everyone. */
		best = 0;
		for (i = 1; i < n; i++)
			if (ch->prio[en[i]] > ch->prio[en[best]])
				best = i;
		for (j = 0; j + 1 < ch->depth && j < 8; j++)
			if (ch->change[j] == k) {
				ch->prio[en[best]] = j;
				best = 0;
				for (i = 1; i < n; i++)
					if (ch->prio[en[i]] >
					    ch->prio[en[best]])
						best = i;
			}
		return en[best];
	case SCHED_REPLAY:
		if ((int)k < ch->cap) {
			int want = (int)k < ch->nchoice ? ch->choice[k] : 0;

			ch->alts[k] = n;
			if ((int)k >= ch->nchoice) {
				ch->choice[k] = 0;
				ch->nchoice = (int)k + 1;
			}
			return en[want < n ? want : 0];
		}
		return en[0];
	default:
		return en[0];
	}
}

/* One run with chooser ch; account for it; hand it to cb. */
static int
explore_one(struct sched_pool *p, struct sched_chooser *ch, sched_run_fn cb,
    void *arg, struct sched_explore_stats *st)
{
	struct sched_result r;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = sched_pool_run(p, NULL, ch, &r);
	st->runs++;
	st->steps += r.steps;
	if (rc == 0 && r.anomaly) {
		st->failing++;
		if (st->first_failing == 0)
			st->first_failing = st->runs;
	}
	if (cb != NULL)
		cb(&r, st->runs, arg);
	sched_result_free(&r);
	return rc;
}

/* PCT's set-up for one run: n priorities, d-1 change points in [1, k]. */
static void
explore_pct(struct sched_chooser *ch, int n, unsigned d, unsigned k)
{
	unsigned i, j, t;

	for (i = 0; i < (unsigned)n; i++)
		ch->prio[i] = d + i;
	for (i = (unsigned)n; i-- > 1;) {	/* shuffle */
		j = (unsigned)(lab_rand(&ch->rng) % (i + 1));
		t = ch->prio[i];
		ch->prio[i] = ch->prio[j];
		ch->prio[j] = t;
	}
	for (i = 0; i + 1 < d && i < 8; i++)
		ch->change[i] = 1 + (unsigned)(lab_rand(&ch->rng) %
		    (k ? k : 1));
}

unsigned
sched_killable(const struct sched_spec *s, unsigned *kills)
{
	unsigned mask = 0, n;
	int p, k;

	*kills = 0;
	for (p = 0; p < s->nperms; p++) {
		for (k = 0, n = 0; k < s->perm[p].n; k++) {
			if (s->perm[p].e[k].step != STEP_KILL)
				continue;
			mask |= 1u << s->perm[p].e[k].proc;
			n++;
		}
		if (n > *kills)
			*kills = n;
	}
	return mask;
}

/*
 * `all`: replay a choice vector, then the next one: the deepest choice
 * with an untried alternative, one further.  A schedule whose file kills
 * processes has kill points among the alternatives: where such a process
 * has just parked, "kill it there" is one more choice (sched_run.c).
 */
static int
explore_all(struct sched_pool *p, const struct sched_explore_opts *o,
    struct sched_chooser *ch, sched_run_fn cb, void *arg,
    struct sched_explore_stats *st)
{
	int rc, back;

	ch->cap = SCHED_CHOICES_MAX;
	ch->choice = calloc(SCHED_CHOICES_MAX, sizeof(int));
	ch->alts = calloc(SCHED_CHOICES_MAX, sizeof(int));
	if (ch->choice == NULL || ch->alts == NULL)
		return -ENOMEM;
	ch->killable = sched_killable(p->s, &ch->kills);
	for (;;) {
		ch->steps = 0;
		if ((rc = explore_one(p, ch, cb, arg, st)) < 0 ||
		    st->is_stopped)
			return rc;
		back = (int)ch->steps - 1;
		while (back >= 0 && ch->choice[back] + 1 >= ch->alts[back])
			back--;
		if (back < 0) {
			st->is_complete = true;
			return 0;
		}
		ch->choice[back]++;
		ch->nchoice = back + 1;
		if ((o->max_runs && st->runs >= o->max_runs) ||
		    (o->stop_after && st->failing >= o->stop_after))
			return 0;
	}
}

int
sched_explore_pool(struct sched_pool *p,
    const struct sched_explore_opts *o, sched_run_fn cb, void *arg,
    struct sched_explore_stats *st)
{
	struct sched_chooser ch;
	double t0 = lab_now_s();
	unsigned i, k = 0, starts = p->starts;
	int rc = 0;

	memset(st, 0, sizeof(*st));
	memset(&ch, 0, sizeof(ch));
	ch.policy = o->policy;
	ch.rng = o->seed;
	ch.depth = o->depth;
	if (o->policy == SCHED_REPLAY) {
		rc = explore_all(p, o, &ch, cb, arg, st);
		goto out;
	}
	if (o->policy == SCHED_PCT) {
		/* k: the steps of one run, measured once. */
		struct sched_result r;

		memset(&r, 0, sizeof(r));
		if ((rc = sched_pool_run(p, NULL, NULL, &r)) == 0)
			k = r.steps;
		sched_result_free(&r);
		if (rc < 0)
			goto out;
	}
	for (i = 0; i < o->runs; i++) {
		ch.steps = 0;
		if (o->policy == SCHED_PCT)
			explore_pct(&ch, p->s->nprocs, o->depth, k);
		if ((rc = explore_one(p, &ch, cb, arg, st)) < 0 ||
		    st->is_stopped)
			break;
		if (o->stop_after && st->failing >= o->stop_after)
			break;
	}
out:
	free(ch.choice);
	free(ch.alts);
	st->elapsed_s = lab_now_s() - t0;
	st->starts = p->starts - starts;
	return rc;
}

int
sched_explore(const struct sched_spec *s, enum sync_kind v,
    const struct sched_explore_opts *o, sched_run_fn cb, void *arg,
    struct sched_explore_stats *st)
{
	struct sched_pool *p;
	int rc;

	memset(st, 0, sizeof(*st));
	if ((rc = sched_pool_open(s, v, true, &p)) < 0)
		return rc;
	rc = sched_explore_pool(p, o, cb, arg, st);
	sched_pool_close(p);
	return rc;
}

static int
shrink_fails(struct sched_pool *pool, const struct sched_perm *p,
    unsigned *runs)
{
	struct sched_result r;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = sched_pool_run(pool, p, NULL, &r);
	(*runs)++;
	rc = rc == 0 && r.anomaly;
	sched_result_free(&r);
	return rc;
}

int
sched_shrink(const struct sched_spec *s, enum sync_kind v,
    const struct sched_perm *in, struct sched_perm *out, unsigned *runs)
{
	struct sched_perm *try;
	struct sched_pool *p;
	bool is_smaller = true;
	int i, rc;

	*runs = 0;
	*out = *in;
	if ((rc = sched_pool_open(s, v, true, &p)) < 0)
		return rc;
	if ((try = malloc(sizeof(*try))) == NULL) {
		sched_pool_close(p);
		return -ENOMEM;
	}
	if (!shrink_fails(p, out, runs))
		is_smaller = false;
	rc = is_smaller ? 0 : -EINVAL;	/* nothing to shrink: it passes */
	/* Drop one entry at a time while the run still fails. */
	while (is_smaller) {
		is_smaller = false;
		for (i = out->n - 1; i >= 0; i--) {
			*try = *out;
			memmove(&try->e[i], &try->e[i + 1],
			    (size_t)(try->n - i - 1) * sizeof(try->e[0]));
			try->n--;
			if (shrink_fails(p, try, runs)) {
				*out = *try;
				is_smaller = true;
			}
		}
	}
	free(try);
	sched_pool_close(p);
	return rc;
}
