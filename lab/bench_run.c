/*
 * bench_run: the observer's side of the benchmark.  Per cell a fresh
 * private ledger; per timed run P measuring processes, each a program of
 * its own started through spawn.h at one new start gate, whose one-line
 * reports are read when they have exited and been reaped.
 *
 * Each timed run lasts about run_ms (100 ms by default): probe runs grow
 * the op count until one takes run_ms / 10, then scale it, so two clock
 * readings, the start and the gate are noise against the loop.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bank.h"
#include "bench_impl.h"
#include "lab.h"
#include "spawn.h"
#include "sync.h"

/* One timed run: P children on one ledger. */
struct bench_sample {
	double mops;
	uint64_t max_ns;
	uint64_t done, refused, failed, faults;
	int first_error;
	uint64_t skew_ns;		/* last loop start - first loop start */
	struct bank_check check;	/* lost_* are this run's deltas */
};

/* What bench_run() carries from cell to cell. */
struct bench_ctx {
	const struct bench_config *c;
	sigset_t sigs;		/* SIGINT, SIGTERM: blocked while we run */
	sigset_t old;		/* the caller's mask */
	unsigned next_name;
	int cpu[CPU_SETSIZE];	/* the CPUs we may run on */
	unsigned ncpu;
};

/* ------------------------------------------------------------ a run */

/* The command line of measuring process i (see BENCH_CHILD_ARG). */
struct bench_argv {
	char path[PATH_MAX];
	char tag[sizeof(BENCH_CHILD_ARG)];
	char name[LEDGER_NAME_MAX + 1];
	char kind[32];
	char num[6][24];
	char *argv[BENCH_CHILD_ARGC + 1];
};

static void
bench_argv(const struct bench_ctx *x, const char *name, enum bench_kind k,
    unsigned procs, uint64_t ops, uint64_t gate, unsigned i,
    struct bench_argv *a)
{
	unsigned j;

	snprintf(a->path, sizeof(a->path), "%s", x->c->child_path);
	snprintf(a->tag, sizeof(a->tag), "%s", BENCH_CHILD_ARG);
	snprintf(a->name, sizeof(a->name), "%s", name);
	snprintf(a->kind, sizeof(a->kind), "%s", bench_kind_name(k));
	snprintf(a->num[0], sizeof(a->num[0]), "%u", procs);
	snprintf(a->num[1], sizeof(a->num[1]), "%" PRIu64, ops);
	snprintf(a->num[2], sizeof(a->num[2]), "%" PRIu64, x->c->seed + i);
	snprintf(a->num[3], sizeof(a->num[3]), "%" PRIu64, gate);
	snprintf(a->num[4], sizeof(a->num[4]), "%d",
	    x->ncpu > 1 ? x->cpu[i % x->ncpu] : -1);
	snprintf(a->num[5], sizeof(a->num[5]), "%d", (int)getpid());
	a->argv[0] = a->path;
	a->argv[1] = a->tag;
	a->argv[2] = a->name;
	a->argv[3] = a->kind;
	for (j = 0; j < 6; j++)
		a->argv[4 + j] = a->num[j];
	a->argv[BENCH_CHILD_ARGC] = NULL;
}

/* While we wait for the children: a Ctrl-C stops the run. */
static int
bench_tick(struct spawn_set *set, void *arg)
{
	(void)set;
	(void)arg;
	return lab_signalled() ? -EINTR : 0;
}

/* What child c said: its report, if it exited 0 having printed one. */
static int
bench_collect(const struct spawn_child *c, struct bench_report *rep)
{
	if (!WIFEXITED(c->status) || WEXITSTATUS(c->status) != 0 ||
	    bench_report_parse(c->out, rep) < 0)
		return -LAB_EWORKER;
	return 0;
}

/*
 * Start P measuring processes at one new gate; wait for them all (a
 * Ctrl-C or the deadline kills them); reap every one; read their
 * reports.  One that could not start leaves the others waiting at a gate
 * that will not open: spawn_free() kills and reaps them.
 */
static int
bench_spawn(struct bench_ctx *x, struct ledger *l, enum bench_kind k,
    unsigned procs, uint64_t ops, struct bench_report *rep)
{
	struct bench_argv *a;
	struct spawn_set set;
	uint64_t gate;
	unsigned i;
	int rc = 0;

	if ((a = malloc(sizeof(*a))) == NULL)
		return -ENOMEM;
	gate = atomic_fetch_add(&l->hdr->next_gate, 1) + 1;
	spawn_init(&set);
	for (i = 0; i < procs && rc == 0; i++) {
		bench_argv(x, l->name, k, procs, ops, gate, i, a);
		if ((rc = spawn_start(&set, a->argv)) > 0)
			rc = 0;
	}
	free(a);
	if (rc == 0)
		rc = spawn_wait(&set, BENCH_WAIT_MS, bench_tick, NULL);
	for (i = 0; rc == 0 && i < set.n; i++)
		rc = bench_collect(&set.child[i], &rep[i]);
	spawn_free(&set);
	/* A Ctrl-C kills the children first: say interrupted, not failed. */
	if (lab_signalled())
		rc = -EINTR;
	return rc;
}

/* One timed run of P children, and what it did to the money. */
static int
bench_once(struct bench_ctx *x, struct ledger *l, enum bench_kind k,
    unsigned procs, uint64_t ops, struct bench_sample *s)
{
	struct bench_report *p;
	struct bank_check before;
	uint64_t first = UINT64_MAX, last = 0;
	unsigned i;
	int rc;

	memset(s, 0, sizeof(*s));
	if ((p = calloc(procs, sizeof(*p))) == NULL)
		return -ENOMEM;
	bank_check(l, &before);
	if ((rc = bench_spawn(x, l, k, procs, ops, p)) < 0)
		goto out;
	for (i = 0; i < procs; i++) {
		const struct bench_report *rep = &p[i];

		if (rep->rc < 0 && rc == 0)
			rc = rep->rc;
		if (rep->ns > s->max_ns)
			s->max_ns = rep->ns;
		if (rep->t0 < first)
			first = rep->t0;
		if (rep->t0 > last)
			last = rep->t0;
		s->done += rep->done;
		s->refused += rep->refused;
		s->failed += rep->failed;
		s->faults += rep->faults;
		if (s->first_error == 0)
			s->first_error = rep->first_error;
	}
	if (rc < 0)
		goto out;
	s->skew_ns = last - first;
	/* ops/ns * 1e3 = M ops/s; a loop under 1 ns cannot happen. */
	s->mops = (double)ops * procs * 1e3 /
	    (double)(s->max_ns > 0 ? s->max_ns : 1);
	bank_check(l, &s->check);
	s->check.lost_cents -= before.lost_cents;
	s->check.lost_writes -= before.lost_writes;
	s->check.is_ok = s->check.lost_cents == 0 &&
	    s->check.lost_writes == 0 && s->check.negative == 0;
out:
	free(p);
	return rc;
}

/*
 * Ops per process for runs of about run_ms: grow a probe until it takes
 * a tenth of that (at least 2x, at most 100x a step), then scale.  The
 * probes also warm the ledger and the code up.
 */
static int
bench_aim(struct bench_ctx *x, struct ledger *l, enum bench_kind k,
    unsigned procs, uint64_t *ops)
{
	double want = x->c->run_ms * 1e6 / 10, mult, el;
	struct bench_sample s;
	uint64_t n = BENCH_PROBE_OPS;
	int rc;

	for (;;) {
		if ((rc = bench_once(x, l, k, procs, n, &s)) < 0)
			return rc;
		el = (double)s.max_ns;
		if (el >= want || n >= BENCH_OPS_MAX)
			break;
		mult = el > 0 ? want / el * 1.5 : 100;
		mult = mult < 2 ? 2 : mult > 100 ? 100 : mult;
		n = (uint64_t)((double)n * mult);
	}
	n = (uint64_t)((double)n * want * 10 / (el > 0 ? el : 1));
	*ops = n < BENCH_OPS_MIN ? BENCH_OPS_MIN :
	    n > BENCH_OPS_MAX ? BENCH_OPS_MAX : n;
	return 0;
}

/* ------------------------------------------------------------ a cell */

static int
bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
bench_stat(const double *v, unsigned n, struct bench_stat *st)
{
	double s[BENCH_REPEAT_MAX];

	memset(st, 0, sizeof(*st));
	if (n == 0)
		return;
	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), bench_cmp);
	st->min = s[0];
	st->max = s[n - 1];
	st->median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* Every account as rich as the ledger allows: refusals stay rare even
 * when every transfer of 2 accounts goes from 0 to 1 (robust). */
static int64_t
bench_balance(uint32_t n)
{
	int64_t most = LEDGER_BALANCE_MAX / n;

	return most < LEDGER_AMOUNT_MAX ? most : LEDGER_AMOUNT_MAX;
}

static void
bench_add(struct bench_cell *cell, const struct bench_sample *s)
{
	cell->rate[cell->runs++] = s->mops;
	cell->done += s->done;
	cell->refused += s->refused;
	cell->failed += s->failed;
	cell->faults += s->faults;
	if (cell->first_error == 0)
		cell->first_error = s->first_error;
	cell->lost_cents += s->check.lost_cents;
	cell->lost_writes += s->check.lost_writes;
	cell->negative = s->check.negative;
	cell->lossy_runs += !s->check.is_ok;
	if (s->max_ns > 0 && (double)s->skew_ns / (double)s->max_ns >
	    cell->skew)
		cell->skew = (double)s->skew_ns / (double)s->max_ns;
}

/* A cell's own ledger, open while its group runs. */
struct bench_live {
	struct ledger l;
	char name[LEDGER_NAME_MAX + 1];
	bool is_open;
};

/* A fresh ledger for the cell, and its op count (the probes). */
static int
bench_cell_open(struct bench_ctx *x, struct bench_cell *cell,
    struct bench_live *lv)
{
	struct ledger_config cfg = {
		.naccounts = cell->accounts,
		.balance = bench_balance(cell->accounts),
		.sync = bench_is_variant(cell->kind) ?
		    (enum sync_kind)cell->kind : SYNC_NONE,
		.is_private = true,
	};
	uint64_t ops = x->c->ops;
	int rc;

	snprintf(lv->name, sizeof(lv->name), "bench-%d-%u", (int)getpid(),
	    x->next_name++);
	if ((rc = sync_create(lv->name, &cfg, &lv->l)) < 0)
		return rc;
	lv->is_open = true;
	/*
	 * The bare normal-mutex kind uses the ledger's own mutex storage
	 * (one per account, in its cache line, in the same segment) made
	 * again without ROBUST, before any child attaches.
	 */
	if (cell->kind == BENCH_MUTEX && (rc = sync_plain_mutexes(&lv->l)) < 0)
		return rc;
	if (ops == 0 && (rc = bench_aim(x, &lv->l, cell->kind, cell->procs,
	    &ops)) < 0)
		return rc;
	cell->ops = ops;
	return 0;
}

/* Tell the caller: done of total cells' timed runs, the next in cell. */
static void
bench_progress(const struct bench_config *c, unsigned done, unsigned total,
    const struct bench_cell *cell)
{
	if (c->progress != NULL)
		c->progress(c->progress_arg, done, total * c->repeat,
		    cell->kind, cell->procs, cell->accounts);
}

/*
 * One group: every kind at one (procs, accounts), each on its own fresh
 * ledger, their timed runs taken in turns (run 1 of every kind, then run
 * 2 ...).  A variant and its anchors then share the machine's moods:
 * other work that slows one round slows all of its kinds, and the ratios
 * of their medians stay fair.  The ledgers go at the end, on every path.
 */
static int
bench_group(struct bench_ctx *x, struct bench_cell *cell, unsigned n,
    unsigned done, unsigned total)
{
	const struct bench_config *c = x->c;
	struct bench_live *lv;
	struct bench_sample s;
	unsigned i, round;
	int rc = 0;

	if ((lv = calloc(n, sizeof(*lv))) == NULL)
		return -ENOMEM;
	for (i = 0; i < n && rc == 0; i++) {
		bench_progress(c, done * c->repeat, total, &cell[i]);
		rc = lab_signalled() ? -EINTR :
		    bench_cell_open(x, &cell[i], &lv[i]);
	}
	for (round = 0; round < c->repeat && rc == 0; round++)
		for (i = 0; i < n && rc == 0; i++) {
			bench_progress(c, done * c->repeat + round * n + i,
			    total, &cell[i]);
			if ((rc = lab_signalled() ? -EINTR : bench_once(x,
			    &lv[i].l, cell[i].kind, cell[i].procs,
			    cell[i].ops, &s)) == 0)
				bench_add(&cell[i], &s);
		}
	for (i = 0; i < n; i++) {
		if (rc == 0) {
			bench_stat(cell[i].rate, cell[i].runs, &cell[i].mops);
			cell[i].ns_per_op = cell[i].procs * 1e3 /
			    cell[i].mops.median;
			cell[i].has_run = true;
		}
		if (lv[i].is_open) {
			ledger_detach(&lv[i].l);
			ledger_unlink(lv[i].name);
		}
	}
	free(lv);
	return rc;
}

/* ------------------------------------------------------------ the run */

static int
bench_config_check(const struct bench_config *c)
{
	unsigned i, kinds = 0;

	if (c->nprocs == 0 || c->nprocs > BENCH_LIST_MAX ||
	    c->naccounts == 0 || c->naccounts > BENCH_LIST_MAX ||
	    c->repeat == 0 || c->repeat > BENCH_REPEAT_MAX ||
	    (c->ops == 0 && c->run_ms == 0) || c->ops > BENCH_OPS_MAX ||
	    c->child_path == NULL || c->child_path[0] == '\0' ||
	    strlen(c->child_path) >= PATH_MAX)
		return -EINVAL;
	for (i = 0; i < c->nprocs; i++)
		if (c->procs[i] == 0 || c->procs[i] > LEDGER_SLOTS)
			return -EINVAL;
	for (i = 0; i < c->naccounts; i++)
		if (c->accounts[i] < 2 || c->accounts[i] > LEDGER_ACCOUNTS_MAX)
			return -LAB_EACCOUNT;
	for (i = 0; i < BENCH_KIND_COUNT; i++)
		kinds += c->kinds[i];
	return kinds == 0 ? -EINVAL : 0;
}

/* The CPUs we may run on, for bench_pin(); none known: no pinning. */
static void
bench_cpus(struct bench_ctx *x)
{
	cpu_set_t set;
	int i;

	x->ncpu = 0;
	if (sched_getaffinity(0, sizeof(set), &set) == -1)
		return;
	for (i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set))
			x->cpu[x->ncpu++] = i;
}

int
bench_run(const struct bench_config *c, struct bench_result *r)
{
	struct bench_ctx x = { .c = c };
	struct timespec zero = { 0, 0 };
	unsigned a, p, k, n = 0;
	uint64_t start = lab_now_ns();
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = bench_config_check(c)) < 0)
		return rc;
	r->cell = calloc((size_t)c->naccounts * c->nprocs * BENCH_KIND_COUNT,
	    sizeof(*r->cell));
	if (r->cell == NULL)
		return -ENOMEM;
	for (a = 0; a < c->naccounts; a++)
		for (p = 0; p < c->nprocs; p++)
			for (k = 0; k < BENCH_KIND_COUNT; k++) {
				struct bench_cell *cell = &r->cell[n];

				if (!c->kinds[k])
					continue;
				cell->kind = (enum bench_kind)k;
				cell->procs = c->procs[p];
				cell->accounts = c->accounts[a];
				cell->base = bench_base(cell->kind);
				cell->move = bench_move(cell->kind);
				n++;
			}
	r->ncells = n;
	/*
	 * Held until we have reaped and unlinked.  The measuring processes
	 * start with them blocked too: a Ctrl-C to the terminal's group is
	 * ours to see (lab_signalled()), and we kill them.
	 */
	sigemptyset(&x.sigs);
	sigaddset(&x.sigs, SIGINT);
	sigaddset(&x.sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &x.sigs, &x.old);
	bench_cpus(&x);
	r->cpus = x.ncpu;
	if (getloadavg(&r->load[0], 1) != 1)
		r->load[0] = -1;
	/* Cells are in (accounts, procs, kind) order: a group is a run. */
	for (n = 0; n < r->ncells && rc == 0; n += k) {
		for (k = 1; n + k < r->ncells &&
		    r->cell[n + k].procs == r->cell[n].procs &&
		    r->cell[n + k].accounts == r->cell[n].accounts; k++)
			;
		rc = bench_group(&x, &r->cell[n], k, n, r->ncells);
	}
	bench_derive(c, r);
	if (getloadavg(&r->load[1], 1) != 1)
		r->load[1] = -1;
	r->elapsed_s = (double)(lab_now_ns() - start) / 1e9;
	if (rc == -EINTR) {
		r->interrupted = true;
		/* The pending signal was for us: take it off. */
		while (sigtimedwait(&x.sigs, NULL, &zero) > 0)
			;
	}
	sigprocmask(SIG_SETMASK, &x.old, NULL);
	return rc;
}

void
bench_result_free(struct bench_result *r)
{
	free(r->cell);
	r->cell = NULL;
	r->ncells = 0;
}
