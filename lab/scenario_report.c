/*
 * scenario_report: what a lesson's run found, as text and as JSON, in the
 * words of its table entry (lessons.c).  Writes only to the stream given.
 */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"
#include "report.h"
#include "scenario.h"

/* Which lesson_when bits the result has. */
static unsigned
scenario_outcome(const struct scenario_result *r)
{
	unsigned when = r->anomaly ? LESSON_ANOMALY : LESSON_CLEAN;

	if (r->deadlocks > 0)
		when |= LESSON_DEADLOCK;
	if (r->is_stuck)
		when |= LESSON_STUCK;
	if (r->died > 0)
		when |= LESSON_DIED;
	return when;
}

int
scenario_why_text(enum scenario_kind k, enum sync_kind v, unsigned when,
    char *buf, size_t len)
{
	const struct lesson_why *w = scenario_lesson(k)->why;
	const char *t, *at;
	size_t n = 0;

	buf[0] = '\0';
	for (; w->text != NULL; w++)
		if ((w->when & when) == w->when &&
		    (w->sync < 0 || w->sync == (int)v))
			break;
	if (w->text == NULL)
		return -ENOENT;
	for (t = w->text; (at = strstr(t, "{sync}")) != NULL && n < len;
	    t = at + 6)
		n += (size_t)snprintf(buf + n, len - n, "%.*s%s",
		    (int)(at - t), t, ledger_sync_name(v));
	if (n < len)
		snprintf(buf + n, len - n, "%s", t);
	return 0;
}

/* The first explanation that applies, "{sync}" replaced by the variant. */
static void
scenario_why(FILE *f, const struct scenario_opts *o,
    const struct scenario_result *r)
{
	char buf[2048];

	if (scenario_why_text(o->kind, o->sync, scenario_outcome(r), buf,
	    sizeof(buf)) == 0)
		fprintf(f, "\n  why: %s", buf);
}

static void
scenario_example(FILE *f, const struct scenario_opts *o,
    const struct scenario_result *r)
{
	char m1[32], m2[32], m3[32];
	int k;

	if (r->has_lost && !(scenario_lesson(o->kind)->flags &
	    LESSON_SHOWS_DEATHS)) {
		const struct ledger_lost *x = &r->lost;

		fprintf(f, "\n  example: pid %d read #%" PRIu32 " at version %"
		    PRIu64 " (balance %s) and wrote %s as version %" PRIu64
		    ",\n           over pid %d's write of version %" PRIu64
		    " (balance %s): that update is lost.\n", (int)r->lost_pid,
		    x->acct, x->version_read, report_money(x->balance_read, m1,
		    sizeof(m1)), report_money(x->balance_written, m2,
		    sizeof(m2)), x->version_read + 1, (int)x->other_pid,
		    x->other_version, report_money(x->other_balance, m3,
		    sizeof(m3)));
	}
	for (k = 0; k < r->cycle_len; k++)
		fprintf(f, "%s pid %d holds account #%" PRId64 ", waits for #%"
		    PRId64 "\n", k == 0 ? "\n  cycle:" : "        ",
		    (int)r->cycle[k].pid, r->cycle[k].holds, r->cycle[k].waits);
	if (r->is_stuck)
		fprintf(f, "\n  stuck: the semaphore's holder, pid %d, died "
		    "holding it; nothing can proceed.\n", (int)r->dead_holder);
	if (r->has_repair && r->repair.journal != LEDGER_J_BEGUN) {
		fprintf(f, "\n  repair: pid %d died holding #%" PRIu32 " with "
		    "nothing half-done;\n          pid %d got EOWNERDEAD and "
		    "marked the mutex consistent.\n", (int)r->repair.dead_pid,
		    r->repair.acct, (int)r->repairer_pid);
	} else if (r->has_repair) {
		const struct ledger_repair *x = &r->repair;

		fprintf(f, "\n  repair: pid %d died holding #%" PRIu32 " in a %s "
		    "of %s;\n          pid %d got EOWNERDEAD, %s #%" PRIu32
		    " from %s to %s, and marked the mutex consistent.\n",
		    (int)x->dead_pid, x->acct, x->op == LEDGER_OP_TRANSFER ?
		    "transfer" : "single-account operation",
		    report_money(x->amount, m1, sizeof(m1)),
		    (int)r->repairer_pid, x->journal == LEDGER_J_BEGUN ?
		    "rolled back" : "found nothing half-done on", x->acct,
		    report_money(x->found, m2, sizeof(m2)),
		    report_money(x->restored, m3, sizeof(m3)));
	}
}

/* What was found, in a few words, for the first line. */
static const char *
scenario_verdict(const struct scenario_opts *o,
    const struct scenario_result *r, char *buf, size_t len)
{
	if (r->interrupted)
		snprintf(buf, len, "interrupted");
	else if (r->deadlocks > 0 && r->lost_cents != 0)
		snprintf(buf, len, "DEADLOCK, and money %s even after the "
		    "repair", r->lost_cents > 0 ? "LOST" : "CREATED");
	else if (r->deadlocks > 0)
		snprintf(buf, len, "DEADLOCK");
	else if (r->is_stuck)
		snprintf(buf, len, "STUCK: the semaphore's holder died");
	else if (r->stale_audits > 0)
		snprintf(buf, len, "%" PRIu64 " audits saw TOTALS THAT NEVER "
		    "EXISTED", r->stale_audits);
	else if (r->lost_updates > 0)
		snprintf(buf, len, "LOST UPDATES");
	else if (r->lost_cents != 0)
		snprintf(buf, len, "money %s", r->lost_cents > 0 ? "LOST" :
		    "CREATED");
	else if (r->anomaly)
		snprintf(buf, len, "ANOMALY (lock errors or a timeout)");
	else if ((scenario_lesson(o->kind)->flags & LESSON_SHOWS_DEATHS) &&
	    r->died > 0)
		snprintf(buf, len, "no anomaly: the dead worker's half-done "
		    "work was repaired");
	else
		snprintf(buf, len, "no anomaly: no %s",
		    scenario_lesson(o->kind)->title);
	return buf;
}

void
scenario_report(FILE *f, const struct scenario_opts *o,
    const struct scenario_result *r)
{
	const struct lesson *in = scenario_lesson(o->kind);
	char e[32], ob[32], d[96];

	fprintf(f, "%s: %s (variant %s, %u processes x %" PRIu64 " ops, "
	    "%" PRIu32 " accounts, seed %" PRIu64 ")\n", o->prog,
	    scenario_verdict(o, r, d, sizeof(d)), ledger_sync_name(o->sync),
	    o->procs, o->ops, o->accounts, o->seed);
	if (o->quiet)
		return;
	if (r->interrupted)
		fprintf(f, "  interrupted: the workers were ended and the "
		    "ledger removed.\n");
	fprintf(f, "\n  expected total  %14s  (opening balances + deposits "
	    "- withdrawals done)\n", report_money(r->expected_total, e,
	    sizeof(e)));
	fprintf(f, "  observed total  %14s  ", report_money(r->observed_total,
	    ob, sizeof(ob)));
	if (r->lost_cents == 0)
		fprintf(f, "(kept)\n");
	else
		fprintf(f, "(%s %s)\n", r->lost_cents > 0 ? "lost" : "created",
		    report_money(r->lost_cents > 0 ? r->lost_cents :
		    -r->lost_cents, d, sizeof(d)));
	fprintf(f, "  lost updates    %14" PRId64 "  (balance writes "
	    "overwritten by another process)\n", r->lost_updates);
	fprintf(f, "  operations      %14" PRIu64 "  done, %" PRIu64
	    " refused (funds), %" PRIu64 " failed (locks)\n", r->done,
	    r->refused, r->failed);
	if (in->flags & LESSON_SHOWS_AUDITS)
		fprintf(f, "  audits          %14" PRIu64 "  of which %" PRIu64
		    " saw a total that never existed (worst off by %s)\n",
		    r->audits, r->stale_audits, report_money(r->worst_deviation,
		    d, sizeof(d)));
	if ((in->flags & LESSON_SHOWS_DEATHS) || r->repairs > 0)
		fprintf(f, "  workers died    %14u  repairs: %" PRIu64 "\n",
		    r->died, r->repairs);
	fprintf(f, "  elapsed         %13.3fs\n", r->elapsed_s);
	scenario_example(f, o, r);
	scenario_why(f, o, r);
	if (r->anomaly && o->sync != in->fixed)
		fprintf(f, "\n  fix: %s --sync %s --seed %" PRIu64 "\n", o->prog,
		    ledger_sync_name(in->fixed), o->seed);
	else if (!r->anomaly && o->sync != in->buggy)
		fprintf(f, "\n  see the bug: %s --sync %s --seed %" PRIu64 "\n",
		    o->prog, ledger_sync_name(in->buggy), o->seed);
}

/* The run's example (a lost update, a cycle, a dead holder, a repair). */
static struct json_object *
scenario_json_example(const struct scenario_opts *o,
    const struct scenario_result *r)
{
	struct json_object *x = json_object_new_object(), *a, *e;
	int k;

	if (r->has_lost && !(scenario_lesson(o->kind)->flags &
	    LESSON_SHOWS_DEATHS)) {
		report_json_str(x, "kind", "lost_update");
		report_json_int(x, "pid", r->lost_pid);
		report_json_int(x, "account", r->lost.acct);
		report_json_int(x, "version_read",
		    (int64_t)r->lost.version_read);
		report_json_int(x, "balance_read", r->lost.balance_read);
		report_json_int(x, "balance_written", r->lost.balance_written);
		report_json_int(x, "overwritten_pid", r->lost.other_pid);
		report_json_int(x, "overwritten_version",
		    (int64_t)r->lost.other_version);
		report_json_int(x, "overwritten_balance",
		    r->lost.other_balance);
	} else if (r->cycle_len > 0) {
		report_json_str(x, "kind", "cycle");
		a = json_object_new_array();
		for (k = 0; k < r->cycle_len; k++) {
			e = json_object_new_object();
			report_json_int(e, "pid", r->cycle[k].pid);
			report_json_int(e, "holds", r->cycle[k].holds);
			report_json_int(e, "waits_for", r->cycle[k].waits);
			json_object_array_add(a, e);
		}
		json_object_object_add(x, "cycle", a);
	} else if (r->is_stuck) {
		report_json_str(x, "kind", "dead_holder");
		report_json_int(x, "pid", r->dead_holder);
	} else if (r->has_repair) {
		report_json_str(x, "kind", "repair");
		report_json_int(x, "dead_pid", r->repair.dead_pid);
		report_json_int(x, "repairer_pid", r->repairer_pid);
		report_json_int(x, "account", r->repair.acct);
		report_json_int(x, "amount", r->repair.amount);
		report_json_int(x, "found", r->repair.found);
		report_json_int(x, "restored", r->repair.restored);
		report_json_bool(x, "rolled_back",
		    r->repair.journal == LEDGER_J_BEGUN);
	} else {
		json_object_put(x);
		x = NULL;
	}
	return x;
}

char *
scenario_json(const struct scenario_opts *o, const struct scenario_result *r)
{
	struct json_object *j = json_object_new_object();

	if (j == NULL)
		return NULL;
	report_json_str(j, "scenario", scenario_name(o->kind));
	report_json_str(j, "sync", ledger_sync_name(o->sync));
	report_json_int(j, "procs", o->procs);
	report_json_int(j, "accounts", o->accounts);
	report_json_int(j, "ops", (int64_t)o->ops);
	report_json_int(j, "seed", (int64_t)o->seed);
	report_json_bool(j, "anomaly", r->anomaly);
	report_json_bool(j, "interrupted", r->interrupted);
	report_json_int(j, "lost_updates", r->lost_updates);
	report_json_int(j, "lost_cents", r->lost_cents);
	report_json_int(j, "audits", (int64_t)r->audits);
	report_json_int(j, "stale_audits", (int64_t)r->stale_audits);
	report_json_int(j, "worst_deviation", r->worst_deviation);
	report_json_int(j, "deadlocks", r->deadlocks);
	report_json_int(j, "repairs", (int64_t)r->repairs);
	report_json_int(j, "died", r->died);
	report_json_bool(j, "stuck", r->is_stuck);
	report_json_int(j, "expected_total", r->expected_total);
	report_json_int(j, "observed_total", r->observed_total);
	report_json_int(j, "done", (int64_t)r->done);
	report_json_int(j, "refused", (int64_t)r->refused);
	report_json_int(j, "failed", (int64_t)r->failed);
	report_json_double(j, "elapsed_s", r->elapsed_s);
	json_object_object_add(j, "example", scenario_json_example(o, r));
	return report_json_finish(j);
}
