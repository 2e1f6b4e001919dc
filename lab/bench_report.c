/*
 * bench_report: a result as a table with its goals, or as one JSON
 * object.  Printing only, to the FILE the caller gives.
 */
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_impl.h"
#include "lab.h"
#include "report.h"

static const char *
bench_bytes(size_t n, char *buf, size_t len)
{
	if (n >= 1u << 20)
		snprintf(buf, len, "%.1f MiB", (double)n / (1u << 20));
	else
		snprintf(buf, len, "%.1f KiB", (double)n / 1024);
	return buf;
}

static void
bench_money(const struct bench_cell *cell, char *buf, size_t len)
{
	if (!bench_moves_money(cell->kind))
		snprintf(buf, len, "-");
	else if (cell->lossy_runs == 0)
		snprintf(buf, len, "kept");
	else
		snprintf(buf, len, "LOST %" PRId64 " cents, %" PRId64
		    " updates, %u/%u runs%s", cell->lost_cents,
		    cell->lost_writes, cell->lossy_runs, cell->runs,
		    bench_should_keep(cell->kind) ? " (BUG)" : " (expected)");
}

static void
bench_row(FILE *f, const struct bench_cell *cell)
{
	char money[96], vs[16] = "", vm[16] = "";

	bench_money(cell, money, sizeof(money));
	if (cell->vs_base > 0)
		snprintf(vs, sizeof(vs), "%.2fx", cell->vs_base);
	if (cell->vs_move > 0)
		snprintf(vm, sizeof(vm), "%.2fx", cell->vs_move);
	fprintf(f, "  %-14s %4u %8.2f %8.2f-%-8.2f %7.1f %6.2f %7s %7s "
	    "%7" PRIu64 "  %s", bench_kind_name(cell->kind), cell->procs,
	    cell->mops.median, cell->mops.min, cell->mops.max,
	    cell->ns_per_op, cell->scale, vs, vm, cell->refused, money);
	if (cell->failed > 0)
		fprintf(f, "; %" PRIu64 " lock errors (%s)", cell->failed,
		    lab_strerror(cell->first_error));
	if (cell->skew > BENCH_SKEW_FLAG)
		fprintf(f, "; start skew %.0f%%", 100 * cell->skew);
	fputc('\n', f);
}

/* The empty loop's share, and page faults inside the timed loops. */
static void
bench_harness(FILE *f, const struct bench_config *c,
    const struct bench_result *r)
{
	const struct bench_cell *loop, *fast = NULL, *skew = NULL;
	uint64_t faults = 0;
	unsigned i;

	for (i = 0; i < r->ncells; i++) {
		const struct bench_cell *cell = &r->cell[i];

		faults += cell->faults;
		if (cell->has_run && cell->procs <= r->cpus &&
		    (skew == NULL || cell->skew > skew->skew))
			skew = cell;
		if (cell->has_run && bench_is_variant(cell->kind) &&
		    cell->procs == c->procs[0] &&
		    (fast == NULL || cell->ns_per_op < fast->ns_per_op))
			fast = cell;
	}
	loop = fast == NULL ? NULL :
	    bench_find(r, BENCH_LOOP, fast->procs, fast->accounts);
	fprintf(f, "\nharness: ");
	if (loop != NULL)
		fprintf(f, "the bare loop (draw a pair, count) takes %.1f ns/op "
		    "at %u procs,\n  %.0f%% of the fastest transfer there "
		    "(%s, %" PRIu32 " accounts, %.1f ns/op); ", loop->ns_per_op,
		    loop->procs, 100 * loop->ns_per_op / fast->ns_per_op,
		    bench_kind_name(fast->kind), fast->accounts,
		    fast->ns_per_op);
	fprintf(f, "page faults inside the timed loops: %" PRIu64 "\n",
	    faults);
	if (skew != NULL)
		fprintf(f, "  worst start skew with procs <= CPUs: %.2f%% of the "
		    "loop (%s, %u procs, %" PRIu32 " accounts); above the CPU "
		    "count\n  children take turns, and a late one's loop starts "
		    "late\n", 100 * skew->skew, bench_kind_name(skew->kind),
		    skew->procs, skew->accounts);
}

/* Seed, runs, machine and ledger sizes, and how to read a row. */
static void
bench_head(FILE *f, const struct bench_config *c,
    const struct bench_result *r)
{
	char buf[32];
	unsigned a;

	fprintf(f, "banklab-bench: seed %" PRIu64 ", %u runs per cell, ",
	    c->seed, c->repeat);
	if (c->ops != 0)
		fprintf(f, "%" PRIu64 " ops per process per run", c->ops);
	else
		fprintf(f, "each about %u ms", c->run_ms);
	fprintf(f, "%s; %.1f s in all\n", c->is_quick ? " (--quick)" : "",
	    r->elapsed_s);
	fprintf(f, "machine: %u CPUs, child i pinned to CPU i mod %u; load "
	    "average %.2f at the start, %.2f at the end (other work skews "
	    "every row)\n", r->cpus, r->cpus, r->load[0], r->load[1]);
	fprintf(f, "ledger: %zu bytes per account (one cache line);",
	    bench_account_bytes());
	for (a = 0; a < c->naccounts; a++)
		fprintf(f, " %" PRIu32 " accounts: %s%s", c->accounts[a],
		    bench_bytes(bench_ledger_bytes(c->accounts[a]), buf,
		    sizeof(buf)), a + 1 < c->naccounts ? ";" : "\n");
	fprintf(f,
"M/s: million operations per second, all processes (all ops / the slowest\n"
"loop); median [min-max] of the runs.  ns/op: time one process spends per\n"
"operation (procs / rate).  scale: rate / rate at %u procs.  In the same\n"
"cell, vs bare: rate / the bare primitive doing a transfer's lock/unlock\n"
"pairs (semaphore: bare-sem, 1 pair; robust, ordered: bare-robust, 2);\n"
"vs move: rate / that locking plus moving the amount and nothing else\n"
"(move-sem, move-robust; none: bare-loadstore for both).\n",
	    c->procs[0]);
}

/* One table per account count: every kind, every process count. */
static void
bench_table(FILE *f, const struct bench_config *c,
    const struct bench_result *r)
{
	const struct bench_cell *cell;
	unsigned a, k, p;

	for (a = 0; a < c->naccounts; a++) {
		fprintf(f, "\n%" PRIu32 " accounts%s\n", c->accounts[a],
		    c->accounts[a] == 2 ? " (every op on the same two)" : "");
		fprintf(f, "  %-14s %4s %8s %-17s %7s %6s %7s %7s %7s  %s\n",
		    "kind", "proc", "M/s", "   [min-max]", "ns/op", "scale",
		    "vs bare", "vs move", "refused", "money");
		for (k = 0; k < BENCH_KIND_COUNT; k++)
			for (p = 0; p < c->nprocs; p++)
				if ((cell = bench_find(r, (enum bench_kind)k,
				    c->procs[p], c->accounts[a])) != NULL)
					bench_row(f, cell);
	}
}

/* "ordered 1p 1000acc: 25.3 M/s = 0.47x bare-robust (53.5 M/s): MISS" */
static void
bench_ratio(FILE *f, const struct bench_result *r,
    const struct bench_cell *cell, int anchor)
{
	const struct bench_cell *a;
	double x;

	if (anchor < 0 || (a = bench_find(r, (enum bench_kind)anchor,
	    cell->procs, cell->accounts)) == NULL)
		return;
	x = cell->mops.median / a->mops.median;
	fprintf(f, "  %-9s %3up %7" PRIu32 "acc: %7.2f M/s = %.2fx %-11s "
	    "(%7.2f M/s, same run)  goal %.2fx: %s\n",
	    bench_kind_name(cell->kind), cell->procs, cell->accounts,
	    cell->mops.median, x, bench_kind_name((enum bench_kind)anchor),
	    a->mops.median, BENCH_GOAL_BASE, x >= BENCH_GOAL_BASE ? "met" :
	    "MISS");
}

/*
 * Every correct variant's cell beside its anchors, one line each: the
 * bare primitive (its locking alone) and the minimal transfer under it.
 */
static void
bench_ratios(FILE *f, const struct bench_result *r)
{
	unsigned i;

	fprintf(f, "\neach correct variant against its anchors (medians):\n");
	for (i = 0; i < r->ncells; i++) {
		const struct bench_cell *cell = &r->cell[i];

		if (!cell->has_run || !bench_should_keep(cell->kind) ||
		    !bench_is_variant(cell->kind))
			continue;
		bench_ratio(f, r, cell, bench_base(cell->kind));
		if (bench_move(cell->kind) != bench_base(cell->kind))
			bench_ratio(f, r, cell, bench_move(cell->kind));
	}
}

void
bench_print(FILE *f, const struct bench_config *c,
    const struct bench_result *r)
{
	struct bench_goal g[BENCH_GOALS];
	unsigned k, i;

	bench_head(f, c, r);
	bench_table(f, c, r);
	bench_harness(f, c, r);
	fprintf(f, "\none op of each baseline (the variants: one "
	    "bank_transfer()):\n");
	for (k = BENCH_LOOP; k < BENCH_KIND_COUNT; k++)
		fprintf(f, "  %-14s %s\n", bench_kind_name((enum bench_kind)k),
		    bench_about((enum bench_kind)k));
	bench_ratios(f, r);
	fprintf(f, "\ngoals (measured, not asserted):\n");
	bench_goals(r, g);
	for (i = 0; i < BENCH_GOALS; i++)
		fprintf(f, "  [%s] %s: %s\n", !g[i].is_measured ? " -- " :
		    g[i].is_met ? " met" : "MISS", g[i].what, g[i].seen);
	if (r->interrupted)
		fprintf(f, "\ninterrupted: the ledgers were removed; the table "
		    "holds the cells that finished\n");
}

static struct json_object *
bench_json_cell(const struct bench_cell *cell)
{
	struct json_object *o = json_object_new_object(), *m, *rates;
	unsigned i;

	report_json_str(o, "kind", bench_kind_name(cell->kind));
	report_json_bool(o, "variant", bench_is_variant(cell->kind));
	report_json_int(o, "procs", cell->procs);
	report_json_int(o, "accounts", cell->accounts);
	report_json_int(o, "ops_per_proc", (int64_t)cell->ops);
	report_json_int(o, "runs", cell->runs);
	m = json_object_new_object();
	report_json_double(m, "median", cell->mops.median);
	report_json_double(m, "min", cell->mops.min);
	report_json_double(m, "max", cell->mops.max);
	json_object_object_add(o, "mops", m);
	rates = json_object_new_array();
	for (i = 0; i < cell->runs; i++)
		json_object_array_add(rates,
		    json_object_new_double(cell->rate[i]));
	json_object_object_add(o, "mops_runs", rates);
	report_json_double(o, "ns_per_op", cell->ns_per_op);
	report_json_double(o, "scale", cell->scale);
	json_object_object_add(o, "base", cell->base < 0 ? NULL :
	    json_object_new_string(bench_kind_name(
	    (enum bench_kind)cell->base)));
	json_object_object_add(o, "vs_base", cell->vs_base > 0 ?
	    json_object_new_double(cell->vs_base) : NULL);
	json_object_object_add(o, "move", cell->move < 0 ? NULL :
	    json_object_new_string(bench_kind_name(
	    (enum bench_kind)cell->move)));
	json_object_object_add(o, "vs_move", cell->vs_move > 0 ?
	    json_object_new_double(cell->vs_move) : NULL);
	report_json_int(o, "done", (int64_t)cell->done);
	report_json_int(o, "refused", (int64_t)cell->refused);
	report_json_int(o, "failed", (int64_t)cell->failed);
	json_object_object_add(o, "first_error", cell->first_error == 0 ?
	    NULL : json_object_new_string(lab_strerror(cell->first_error)));
	report_json_int(o, "page_faults", (int64_t)cell->faults);
	report_json_double(o, "start_skew", cell->skew);
	report_json_bool(o, "moves_money", bench_moves_money(cell->kind));
	report_json_bool(o, "money_kept", cell->lossy_runs == 0);
	report_json_int(o, "lost_cents", cell->lost_cents);
	report_json_int(o, "lost_updates", cell->lost_writes);
	report_json_int(o, "negative_accounts", cell->negative);
	report_json_int(o, "lossy_runs", cell->lossy_runs);
	return o;
}

char *
bench_json(const struct bench_config *c, const struct bench_result *r)
{
	struct json_object *o = json_object_new_object(), *arr, *e;
	struct bench_goal g[BENCH_GOALS];
	unsigned i;

	if (o == NULL)
		return NULL;
	report_json_str(o, "program", "banklab-bench");
	report_json_int(o, "seed", (int64_t)c->seed);
	report_json_int(o, "repeat", c->repeat);
	report_json_int(o, "run_ms", c->run_ms);
	report_json_int(o, "ops", (int64_t)c->ops);
	report_json_bool(o, "quick", c->is_quick);
	arr = json_object_new_array();
	for (i = 0; i < c->nprocs; i++)
		json_object_array_add(arr, json_object_new_int(
		    (int32_t)c->procs[i]));
	json_object_object_add(o, "procs", arr);
	arr = json_object_new_array();
	for (i = 0; i < c->naccounts; i++) {
		e = json_object_new_object();
		report_json_int(e, "accounts", c->accounts[i]);
		report_json_int(e, "ledger_bytes", (int64_t)bench_ledger_bytes(c->accounts[i]));
		json_object_array_add(arr, e);
	}
	json_object_object_add(o, "accounts", arr);
	report_json_int(o, "bytes_per_account", (int64_t)bench_account_bytes());
	report_json_int(o, "cpus", r->cpus);
	report_json_double(o, "load_start", r->load[0]);
	report_json_double(o, "load_end", r->load[1]);
	arr = json_object_new_array();
	for (i = 0; i < r->ncells; i++)
		if (r->cell[i].has_run)
			json_object_array_add(arr, bench_json_cell(&r->cell[i]));
	json_object_object_add(o, "rows", arr);
	bench_goals(r, g);
	arr = json_object_new_array();
	for (i = 0; i < BENCH_GOALS; i++) {
		e = json_object_new_object();
		report_json_str(e, "what", g[i].what);
		report_json_str(e, "seen", g[i].seen);
		report_json_bool(e, "measured", g[i].is_measured);
		report_json_bool(e, "met", g[i].is_met);
		json_object_array_add(arr, e);
	}
	json_object_object_add(o, "goals", arr);
	report_json_bool(o, "anomaly", bench_has_anomaly(r));
	report_json_bool(o, "interrupted", r->interrupted);
	report_json_double(o, "elapsed_s", r->elapsed_s);
	return report_json_finish(o);
}
