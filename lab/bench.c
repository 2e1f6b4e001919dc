/*
 * bench: the kinds the benchmark measures, its configuration, and what a
 * result means: ratios to the anchors and the goals of the issue.  The
 * runs are in bench_run.c and bench_child.c, the printing in
 * bench_report.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bench_impl.h"
#include "lab.h"

static const char *const bench_names[BENCH_KIND_COUNT] = {
	[BENCH_NONE] = "none",
	[BENCH_SEMAPHORE] = "semaphore",
	[BENCH_ROBUST] = "robust",
	[BENCH_ORDERED] = "ordered",
	[BENCH_LOOP] = "bare-loop",
	[BENCH_LOADSTORE] = "bare-loadstore",
	[BENCH_ATOMIC] = "bare-atomic",
	[BENCH_MUTEX] = "bare-mutex",
	[BENCH_ROBUST_MUTEX] = "bare-robust",
	[BENCH_SEM] = "bare-sem",
	[BENCH_MOVE_SEM] = "move-sem",
	[BENCH_MOVE_ROBUST] = "move-robust",
};

/* What one op of a bare kind is, for the report. */
static const char *const bench_abouts[BENCH_KIND_COUNT] = {
	[BENCH_LOOP] = "draw a pair, touch nothing",
	[BENCH_LOADSTORE] = "2 loads + 2 stores, no lock",
	[BENCH_ATOMIC] = "2 atomic adds",
	[BENCH_MUTEX] = "2 lock/unlock pairs, normal mutex",
	[BENCH_ROBUST_MUTEX] = "2 lock/unlock pairs, robust mutex",
	[BENCH_SEM] = "1 wait/post pair",
	[BENCH_MOVE_SEM] = "wait, 2 loads + 2 stores, post",
	[BENCH_MOVE_ROBUST] = "bare-robust with the 2 loads + 2 stores inside",
};

/* ------------------------------------------------------------ kinds */

const char *
bench_kind_name(enum bench_kind k)
{
	return (unsigned)k < BENCH_KIND_COUNT ? bench_names[k] : "?";
}

int
bench_kind_parse(const char *s, enum bench_kind *k)
{
	int i;

	for (i = 0; s != NULL && i < BENCH_KIND_COUNT; i++)
		if (strcmp(s, bench_names[i]) == 0) {
			*k = (enum bench_kind)i;
			return 0;
		}
	return -EINVAL;
}

bool
bench_is_variant(enum bench_kind k)
{
	return (unsigned)k < SYNC_COUNT;
}

/*
 * The bare primitive doing what the variant's transfer does for its lock:
 * one wait/post for the semaphore, two robust lock/unlock pairs (lower
 * account first) for robust and ordered, and for none the unlocked loads
 * and stores of the two balances.
 */
int
bench_base(enum bench_kind k)
{
	switch (k) {
	case BENCH_NONE:
		return BENCH_LOADSTORE;
	case BENCH_SEMAPHORE:
		return BENCH_SEM;
	case BENCH_ROBUST:
	case BENCH_ORDERED:
		return BENCH_ROBUST_MUTEX;
	default:
		return -1;
	}
}

/*
 * The same locking with the same move of the amount and nothing else: what
 * the bank's own work (checks, journal, versions, counters, published
 * holds) is judged against.  A bare primitive touches no balance; at 10^6
 * accounts a transfer's two cache misses alone outweigh a semaphore.
 */
int
bench_move(enum bench_kind k)
{
	switch (k) {
	case BENCH_NONE:
		return BENCH_LOADSTORE;
	case BENCH_SEMAPHORE:
		return BENCH_MOVE_SEM;
	case BENCH_ROBUST:
	case BENCH_ORDERED:
		return BENCH_MOVE_ROBUST;
	default:
		return -1;
	}
}

bool
bench_moves_money(enum bench_kind k)
{
	return bench_is_variant(k) || k == BENCH_LOADSTORE ||
	    k == BENCH_ATOMIC || k == BENCH_MOVE_SEM ||
	    k == BENCH_MOVE_ROBUST;
}

const char *
bench_about(enum bench_kind k)
{
	return (unsigned)k < BENCH_KIND_COUNT && bench_abouts[k] != NULL ?
	    bench_abouts[k] : "";
}

bool
bench_should_keep(enum bench_kind k)
{
	return bench_moves_money(k) && k != BENCH_NONE &&
	    k != BENCH_LOADSTORE;
}

void
bench_config_default(struct bench_config *c)
{
	unsigned i;

	memset(c, 0, sizeof(*c));
	c->nprocs = 3;
	c->procs[0] = 1;
	c->procs[1] = 2;
	c->procs[2] = 4;
	c->naccounts = 3;
	c->accounts[0] = 2;
	c->accounts[1] = 1000;
	c->accounts[2] = 1000000;
	for (i = 0; i < BENCH_KIND_COUNT; i++)
		c->kinds[i] = true;
	c->repeat = 5;
	c->run_ms = 100;
	c->seed = 1;
}

/* Under 10 s: no 10^6 ledger (its pages cost more than its runs), fewer
 * and shorter runs, but every kind and every process count. */
void
bench_config_quick(struct bench_config *c)
{
	c->naccounts = 2;
	c->accounts[0] = 2;
	c->accounts[1] = 1000;
	c->repeat = 3;
	c->run_ms = 10;
	c->is_quick = true;
}

size_t
bench_account_bytes(void)
{
	return sizeof(struct ledger_account);
}

size_t
bench_ledger_bytes(uint32_t n)
{
	return ledger_size(n);
}

const struct bench_cell *
bench_find(const struct bench_result *r, enum bench_kind k, unsigned procs,
    uint32_t accounts)
{
	unsigned i;

	for (i = 0; i < r->ncells; i++)
		if (r->cell[i].kind == k && r->cell[i].procs == procs &&
		    r->cell[i].accounts == accounts && r->cell[i].has_run)
			return &r->cell[i];
	return NULL;
}

/* Scale (against the first --procs) and the ratio to the bare primitive. */
void
bench_derive(const struct bench_config *c, struct bench_result *r)
{
	const struct bench_cell *one, *base;
	unsigned i;

	for (i = 0; i < r->ncells; i++) {
		struct bench_cell *cell = &r->cell[i];

		if (!cell->has_run)
			continue;
		one = bench_find(r, cell->kind, c->procs[0], cell->accounts);
		if (one != NULL)
			cell->scale = cell->mops.median / one->mops.median;
		if (cell->base >= 0 && (base = bench_find(r,
		    (enum bench_kind)cell->base, cell->procs,
		    cell->accounts)) != NULL)
			cell->vs_base = cell->mops.median / base->mops.median;
		if (cell->move >= 0 && (base = bench_find(r,
		    (enum bench_kind)cell->move, cell->procs,
		    cell->accounts)) != NULL)
			cell->vs_move = cell->mops.median / base->mops.median;
	}
}

bool
bench_has_anomaly(const struct bench_result *r)
{
	unsigned i;

	for (i = 0; i < r->ncells; i++) {
		const struct bench_cell *cell = &r->cell[i];

		if (cell->failed > 0 ||
		    (bench_should_keep(cell->kind) && cell->lossy_runs > 0))
			return true;
	}
	return false;
}

/* ------------------------------------------------------------ goals */

static double
bench_vs(const struct bench_cell *cell, bool is_move)
{
	return is_move ? cell->vs_move : cell->vs_base;
}

/*
 * Goal: variant k's rate >= BENCH_GOAL_BASE x its bare primitive's (the
 * same lock/unlock pairs), or x its minimal transfer's (is_move).
 */
static void
bench_goal_base(const struct bench_result *r, enum bench_kind k,
    bool is_move, struct bench_goal *g)
{
	const struct bench_cell *worst = NULL;
	unsigned i, n = 0, met = 0;
	int base = is_move ? bench_move(k) : bench_base(k);

	if (base < 0)
		return;		/* only variants have a base */
	snprintf(g->what, sizeof(g->what), "%s >= %.2fx %s (%s)",
	    bench_kind_name(k), BENCH_GOAL_BASE,
	    bench_kind_name((enum bench_kind)base), bench_about((enum bench_kind)base));
	for (i = 0; i < r->ncells; i++) {
		const struct bench_cell *cell = &r->cell[i];

		if (cell->kind != k || !cell->has_run ||
		    bench_vs(cell, is_move) <= 0)
			continue;
		n++;
		met += bench_vs(cell, is_move) >= BENCH_GOAL_BASE;
		if (worst == NULL ||
		    bench_vs(cell, is_move) < bench_vs(worst, is_move))
			worst = cell;
	}
	g->is_measured = n > 0;
	g->is_met = n > 0 && met == n;
	if (worst == NULL)
		snprintf(g->seen, sizeof(g->seen), "not run");
	else
		snprintf(g->seen, sizeof(g->seen), "%u of %u cells; worst "
		    "%.2fx (%u procs, %" PRIu32 " accounts)", met, n,
		    bench_vs(worst, is_move), worst->procs, worst->accounts);
}

/* Goal: k's rate at 2 processes against 1, at 1000 accounts. */
static void
bench_goal_two(const struct bench_result *r, enum bench_kind k, bool below,
    double limit, struct bench_goal *g)
{
	const struct bench_cell *one, *two;
	double ratio;

	snprintf(g->what, sizeof(g->what), "%s at 2 procs %s %.2fx its "
	    "1-process rate, %u accounts%s", bench_kind_name(k),
	    below ? "<" : ">=", limit, BENCH_GOAL_ACCOUNTS,
	    below ? " (the collapse)" : "");
	one = bench_find(r, k, 1, BENCH_GOAL_ACCOUNTS);
	two = bench_find(r, k, 2, BENCH_GOAL_ACCOUNTS);
	if (one == NULL || two == NULL) {
		snprintf(g->seen, sizeof(g->seen), "not run (needs --procs "
		    "1,2 and --accounts %u)", BENCH_GOAL_ACCOUNTS);
		return;
	}
	ratio = two->mops.median / one->mops.median;
	g->is_measured = true;
	g->is_met = below ? ratio < limit : ratio >= limit;
	snprintf(g->seen, sizeof(g->seen), "%.2fx (%.1f M/s at 2, %.1f M/s "
	    "at 1)", ratio, two->mops.median, one->mops.median);
}

void
bench_goals(const struct bench_result *r, struct bench_goal *g)
{
	static const enum bench_kind correct[] = { BENCH_SEMAPHORE,
		BENCH_ROBUST, BENCH_ORDERED };
	unsigned i;

	memset(g, 0, BENCH_GOALS * sizeof(*g));
	for (i = 0; i < 3; i++) {
		bench_goal_base(r, correct[i], false, &g[2 * i]);
		bench_goal_base(r, correct[i], true, &g[2 * i + 1]);
	}
	bench_goal_two(r, BENCH_ORDERED, false, BENCH_GOAL_SCALE, &g[6]);
	bench_goal_two(r, BENCH_SEMAPHORE, true, BENCH_GOAL_COLLAPSE, &g[7]);
}
