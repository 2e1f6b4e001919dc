/*
 * grade_util: what the checks share: running a schedule and judging it,
 * bounded stress runs, and the failure notes (the reproduce command).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "contract.h"
#include "grade_util.h"
#include "lab.h"
#include "sched_cli.h"

struct grade_note grade_note;

void
grade_repro(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(grade_note.repro, sizeof(grade_note.repro), fmt, ap);
	va_end(ap);
}

/* Read a whole (small) file into buf; "" if it cannot be read. */
static void
slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f != NULL) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
}

struct grade_sched *
grade_lesson(const char *name)
{
	struct grade_sched *g = calloc(1, sizeof(*g));
	char path[4096], err[512];

	ck_assert_ptr_nonnull(g);
	ck_assert_msg(sched_find_lesson(getenv("BANKLAB_SCHEDULES"), name, path,
	    sizeof(path)) == 0,
	    "%s.sched not found (BANKLAB_SCHEDULES?)", name);
	ck_assert_msg(sched_parse_file(path, &g->s, err, sizeof(err)) == 0,
	    "%s", err);
	g->s.worker = getenv("BANKLAB_WORKER");
	g->s.run_tag = getenv("BANKLAB_RUN_TAG");
	slurp(path, g->text, sizeof(g->text));
	return g;
}

struct grade_sched *
grade_spec(const char *text)
{
	struct grade_sched *g = calloc(1, sizeof(*g));
	char err[512];

	ck_assert_ptr_nonnull(g);
	ck_assert_msg(sched_parse_text(text, grade_note.check, &g->s, err,
	    sizeof(err)) == 0, "%s", err);
	g->s.worker = getenv("BANKLAB_WORKER");
	g->s.run_tag = getenv("BANKLAB_RUN_TAG");
	snprintf(g->text, sizeof(g->text), "%s", text);
	return g;
}

/* The note for a schedule run: the file, the variant, the steps taken. */
static void
note_sched(const struct grade_sched *g, enum sync_kind v,
    const struct sched_result *r, const char *line)
{
	char perm[1024];

	if (r != NULL && r->ntaken > 0)
		sched_format_perm(&g->s, r->taken, r->ntaken, perm,
		    sizeof(perm));
	else
		snprintf(perm, sizeof(perm), "%s", line ? line : "");
	snprintf(grade_note.sched, sizeof(grade_note.sched), "%s", g->text);
	grade_repro("%s/banklab-sched %s/%s.sched --sync %s --schedule '%s'",
	    grade_note.bin, grade_note.out, grade_note.check,
	    ledger_sync_name(v), perm);
}

void
grade_run(const struct grade_sched *g, enum sync_kind v, const char *line,
    int k, struct sched_result *r)
{
	struct sched_perm *p = malloc(sizeof(*p));
	char err[256];

	ck_assert_ptr_nonnull(p);
	if (line != NULL)
		ck_assert_msg(sched_parse_perm(line, &g->s, p, err,
		    sizeof(err)) == 0, "%s", err);
	else
		*p = g->s.perm[k];
	memset(r, 0, sizeof(*r));
	note_sched(g, v, NULL, line);
	sched_run(&g->s, v, p, NULL, r);
	note_sched(g, v, r, line);
	free(p);
}

/* Why a run went wrong, in one line ("" if it did not). */
static void
sched_wrong(const struct sched_result *r, char *why, size_t len)
{
	why[0] = '\0';
	if (r->error[0] != '\0')
		snprintf(why, len, "%s", r->error);
	else if (r->contract[0] != '\0')
		snprintf(why, len, "broke the contract: %s", r->contract);
	else if (r->deadlock)
		snprintf(why, len, "the processes deadlocked (a cycle of %d)",
		    r->cycle_len);
	else if (r->stale_audits > 0)
		snprintf(why, len, "an audit saw a total that never existed "
		    "(off by %" PRId64 " cents)", r->worst_deviation);
	else if (r->check.lost_cents != 0)
		snprintf(why, len, "the books say %" PRId64 " cents, the "
		    "accounts hold %" PRId64, r->check.expected,
		    r->check.observed);
	else if (r->check.lost_writes > 0)
		snprintf(why, len, "%" PRId64 " balance write(s) lost: the "
		    "writes counted exceed the versions by that many",
		    r->check.lost_writes);
	else if (r->check.lost_writes < 0)
		snprintf(why, len, "versions ahead of the writes counted by %"
		    PRId64 ": a version or a counter was not restored",
		    -r->check.lost_writes);
	else if (r->check.negative > 0)
		snprintf(why, len, "%" PRIu64 " account(s) below zero",
		    (uint64_t)r->check.negative);
	else if (r->failed > 0)
		snprintf(why, len, "%" PRIu64 " operation(s) failed on a lock",
		    r->failed);
	else if (r->recover_rc != 0)
		snprintf(why, len, "afterwards the accounts cannot all be "
		    "locked: %s", lab_strerror(r->recover_rc));
}

void
grade_expect_clean(const struct sched_result *r, const char *what)
{
	char why[320];

	sched_wrong(r, why, sizeof(why));
	ck_assert_msg(why[0] == '\0', "%s: %s", what, why);
}

void
grade_sched_check(const struct grade_sched *g, enum sync_kind v,
    const char *line, const char *what)
{
	struct sched_result r;

	grade_run(g, v, line, 0, &r);
	grade_expect_clean(&r, what);
	sched_result_free(&r);
}

struct explore_bad {
	const struct grade_sched *g;
	enum sync_kind v;
	struct sched_explore_stats *st;
	unsigned bad, first;
	char why[320];
};

static void
explore_cb(const struct sched_result *r, unsigned run_no, void *arg)
{
	struct explore_bad *b = arg;
	char why[320];

	sched_wrong(r, why, sizeof(why));
	if (why[0] == '\0')
		return;
	if (b->bad++ == 0) {
		b->first = run_no;
		snprintf(b->why, sizeof(b->why), "%s", why);
		note_sched(b->g, b->v, r, NULL);
	}
	/* A run that could not finish (a step that never came) took
	 * seconds: every other run would too.  Count the rest no further. */
	if (r->error[0] != '\0')
		b->st->is_stopped = true;
}

void
grade_explore(const struct grade_sched *g, enum sync_kind v,
    enum sched_policy policy, unsigned runs, const char *what)
{
	struct sched_explore_opts o = { policy, runs, 1, 2, 20000, 0 };
	struct sched_explore_stats st;
	struct explore_bad b = { g, v, &st, 0, 0, "" };

	grade_repro("%s/banklab-sched %s/%s.sched --sync %s --explore %s%s",
	    grade_note.bin, grade_note.out, grade_note.check,
	    ledger_sync_name(v), policy == SCHED_REPLAY ? "all" : "random",
	    policy == SCHED_REPLAY ? "" : " --seed 1");
	snprintf(grade_note.sched, sizeof(grade_note.sched), "%s", g->text);
	ck_assert_int_eq(sched_explore(&g->s, v, &o, explore_cb, &b, &st), 0);
	ck_assert_msg(b.bad == 0, "%s: %u of %u %s went wrong%s; run %u: %s",
	    what, b.bad, st.runs, policy == SCHED_REPLAY ? "interleavings" :
	    "random schedules", st.is_stopped ? " (then it stopped: that "
	    "run could not finish)" : "", b.first, b.why);
}

/* A lesson's schedule under v: its first permutation, or every run. */
static void
lesson_run(const char *name, enum sync_kind v, bool is_explore)
{
	struct grade_sched *g = grade_lesson(name);
	char what[96];

	snprintf(what, sizeof(what), "%s.sched under %s", name,
	    ledger_sync_name(v));
	if (is_explore)
		grade_explore(g, v, SCHED_REPLAY, 0, what);
	else
		grade_sched_check(g, v, NULL, what);
	free(g);
}

void
grade_lesson_check(const char *name, enum sync_kind v)
{
	lesson_run(name, v, false);
}

void
grade_lesson_explore(const char *name, enum sync_kind v)
{
	lesson_run(name, v, true);
}

void
grade_stress(enum sync_kind v, uint32_t accounts, struct worker_config *each,
    unsigned procs, struct run_result *res)
{
	struct ledger_config cfg = { .naccounts = accounts,
	    .balance = 1000000, .sync = v };
	struct run_config rc;
	struct ledger l;
	char name[64];
	unsigned i;

	/* Other exercises' checks run at the same time: our pid too. */
	snprintf(name, sizeof(name), "grade-%s-%ds", getenv("BANKLAB_RUN_TAG"),
	    (int)getpid());
	ledger_unlink(name);
	ck_assert_int_eq(sync_create(name, &cfg, &l), 0);
	/* The first lock error ends a worker: a deadlock fails fast. */
	for (i = 0; i < procs; i++)
		each[i].stop_on_error = true;
	run_config_default(&rc);
	rc.worker = getenv("BANKLAB_WORKER");
	rc.procs = procs;
	rc.w = each[0];
	rc.each = each;
	rc.sync = v;
	rc.window = 20;
	rc.lock_timeout_ms = 2000;
	rc.timeout_ms = 15000;
	ck_assert_int_eq(run_workers(&l, &rc, res), 0);
	ledger_detach(&l);
	ledger_unlink(name);
	ck_assert_msg(!res->timed_out, "the workers did not finish in 15 s");
	for (i = 0; i < res->n; i++)
		ck_assert_msg(res->w[i].has_result, "worker %u did not report: "
		    "%s", i + 1, res->w[i].how);
}

void
grade_expect_books(const struct run_result *res, const char *what)
{
	unsigned i;

	for (i = 0; i < res->n; i++)
		ck_assert_msg(res->w[i].res.contract[0] == '\0', "%s: worker "
		    "%u broke the contract: %s", what, i + 1,
		    res->w[i].res.contract);
	ck_assert_msg(res->check.lost_cents == 0, "%s: the books say %"
	    PRId64 " cents, the accounts hold %" PRId64, what,
	    res->check.expected, res->check.observed);
	ck_assert_msg(res->check.lost_writes == 0, "%s: %" PRId64 " balance "
	    "write(s) lost (writes counted minus versions)", what,
	    res->check.lost_writes);
	ck_assert_msg(res->failed == 0, "%s: %" PRIu64 " operations failed on "
	    "a lock (first: %s)", what, res->failed,
	    lab_strerror(res->first_error));
}
