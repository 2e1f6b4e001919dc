/*
 * sched_report: a scheduled run as a timeline, one column per process, its
 * verdict, and as JSON.
 */
#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"
#include "report.h"
#include "schedule.h"
#include "step.h"

#define SCHED_COL	28

/* One cell: what process e->proc did at this event. */
static void
sched_cell(const struct sched_event *e, char *buf, size_t len)
{
	char m[32];

	switch (e->kind) {
	case SCHED_EV_WAITING:
		if (e->waits == LEDGER_WAIT_SEM)
			snprintf(buf, len, "<waiting for the semaphore>");
		else
			snprintf(buf, len, "<waiting for #%" PRId64 ">",
			    e->waits);
		return;
	case SCHED_EV_KILLED:
		snprintf(buf, len, "KILLED (%s)", e->how != NULL ? e->how :
		    "SIGKILL");
		return;
	case SCHED_EV_ABORTED:
		snprintf(buf, len, "ERROR %s", e->how != NULL ? e->how :
		    "rolled back");
		return;
	case SCHED_EV_DONE:
		snprintf(buf, len, "done");
		return;
	case SCHED_EV_DIED:
		snprintf(buf, len, "exited early");
		return;
	default:
		break;
	}
	if (e->step == STEP_AUDIT_READ && e->acct < 0) {
		/* An audit in one statement (PostgreSQL: sched_db.h). */
		snprintf(buf, len, "audit (one SELECT) = %s",
		    report_money(e->value, m, sizeof(m)));
		return;
	}
	switch (e->step) {
	case STEP_READ_FROM:
	case STEP_READ_TO:
	case STEP_WRITE_FROM:
	case STEP_WRITE_TO:
	case STEP_AUDIT_READ:
		snprintf(buf, len, "%s #%" PRId64 " = %s",
		    sched_step_name(e->step), e->acct,
		    report_money(e->value, m, sizeof(m)));
		return;
	case STEP_UNLOCK:
		snprintf(buf, len, "unlock");
		return;
	default:
		snprintf(buf, len, "%s #%" PRId64, sched_step_name(e->step),
		    e->acct);
		return;
	}
}

void
sched_timeline_head(const struct sched_spec *s, const struct sched_result *r,
    char *buf, size_t len)
{
	char head[64];
	size_t at;
	int k;

	at = (size_t)snprintf(buf, len, "  %4s  ", "#");
	for (k = 0; k < s->nprocs && at < len; k++) {
		snprintf(head, sizeof(head), "%s (pid %d)", s->proc[k].name,
		    (int)r->pid[k]);
		at += (size_t)snprintf(buf + at, len - at, "%-*s", SCHED_COL,
		    head);
	}
}

void
sched_timeline_row(const struct sched_event *e, int n, char *cell,
    size_t clen, char *buf, size_t len)
{
	sched_cell(e, cell, clen);
	snprintf(buf, len, "  %4d  %*s%s", n, SCHED_COL * e->proc, "", cell);
}

void
sched_timeline(FILE *f, const struct sched_spec *s,
    const struct sched_result *r)
{
	char line[SCHED_PROCS_MAX * SCHED_COL + 128], cell[64];
	int i;

	sched_timeline_head(s, r, line, sizeof(line));
	fprintf(f, "%s\n", line);
	for (i = 0; i < r->nev; i++) {
		sched_timeline_row(&r->ev[i], i + 1, cell, sizeof(cell), line,
		    sizeof(line));
		fprintf(f, "%s\n", line);
	}
}

/*
 * The verdict on a run, in a few words, and whether it is an anomaly: the
 * text report, the JSON and the exit code all come from here.  The answer
 * is read off the words, so the two cannot part: a JSON report once said
 * "anomaly": true beside "no anomaly" when an operation failed on a lock.
 * An anomaly the run records (r->anomaly) that has no words here yet is
 * still called one.
 */
bool
sched_verdict(const struct sched_result *r, char *buf, size_t len)
{
	const struct bank_check *c = &r->check;
	char m[32];

	if (r->error[0] != '\0') {
		snprintf(buf, len, "ERROR: %s", r->error);
		return r->anomaly;
	}
	if (r->deadlock)
		snprintf(buf, len, "DEADLOCK");
	else if (r->stuck)
		snprintf(buf, len, "STUCK: the semaphore's holder died");
	else if (r->stale_audits > 0)
		snprintf(buf, len, "TORN AUDIT: a total that never existed "
		    "(off by %s)", report_money(r->worst_deviation, m,
		    sizeof(m)));
	else if (c->lost_writes > 0)
		snprintf(buf, len, "LOST UPDATE (%" PRId64 " write%s "
		    "overwritten; money %s: %s)", c->lost_writes,
		    c->lost_writes == 1 ? "" : "s", c->lost_cents >= 0 ?
		    "lost" : "created", report_money(c->lost_cents >= 0 ?
		    c->lost_cents : -c->lost_cents, m, sizeof(m)));
	else if (c->lost_cents != 0)
		snprintf(buf, len, "money %s (%s)", c->lost_cents > 0 ? "LOST" :
		    "CREATED", report_money(c->lost_cents > 0 ? c->lost_cents :
		    -c->lost_cents, m, sizeof(m)));
	else if (r->failed > 0)
		snprintf(buf, len, "ANOMALY: %" PRIu64 " operation%s failed on "
		    "a lock", r->failed, r->failed == 1 ? "" : "s");
	else if (!c->is_ok)
		snprintf(buf, len, "ANOMALY: the books do not balance (%" PRIu32
		    " account%s below zero)", c->negative, c->negative == 1 ?
		    "" : "s");
	else if (r->anomaly)
		snprintf(buf, len, "ANOMALY");
	else if (r->repairs > 0)
		snprintf(buf, len, "no anomaly (%" PRIu64 " locks repaired "
		    "after a dead owner)", r->repairs);
	else if (r->rolled_back > 0)
		snprintf(buf, len, "no anomaly (the server rolled back %"
		    PRIu64 " killed session%s transaction: its log, not "
		    "banklab's journal)", r->rolled_back, r->rolled_back == 1 ?
		    "'s" : "s'");
	else if (r->retries > 0)
		snprintf(buf, len, "no anomaly (%" PRIu64 " transaction%s "
		    "rolled back by the server and redone)", r->retries,
		    r->retries == 1 ? "" : "s");
	else
		snprintf(buf, len, "no anomaly");
	return strncmp(buf, "no anomaly", 10) != 0;
}

static const char *
sched_event_name(const struct sched_event *ev)
{
	switch (ev->kind) {
	case SCHED_EV_STEP:
		return sched_step_name(ev->step);
	case SCHED_EV_WAITING:
		return "waiting";
	case SCHED_EV_KILLED:
		return "killed";
	case SCHED_EV_DONE:
		return "done";
	case SCHED_EV_ABORTED:
		return "aborted";
	default:
		return "died";
	}
}

static struct json_object *
sched_json_timeline(const struct sched_spec *s, const struct sched_result *r)
{
	struct json_object *a = json_object_new_array(), *e;
	int i;

	for (i = 0; i < r->nev; i++) {
		const struct sched_event *ev = &r->ev[i];

		e = json_object_new_object();
		json_object_object_add(e, "process",
		    json_object_new_string(s->proc[ev->proc].name));
		json_object_object_add(e, "event",
		    json_object_new_string(sched_event_name(ev)));
		if (ev->acct >= 0)
			report_json_int(e, "account", ev->acct);
		if (ev->kind == SCHED_EV_STEP)
			report_json_int(e, "value", ev->value);
		if (ev->how != NULL)
			report_json_str(e, "how", ev->how);
		json_object_array_add(a, e);
	}
	return a;
}

struct json_object *
sched_cycle_json(const struct sched_result *r)
{
	struct json_object *a = json_object_new_array(), *e;
	int i;

	for (i = 0; i < r->cycle_len; i++) {
		e = json_object_new_object();
		report_json_int(e, "pid", r->cycle[i].pid);
		report_json_int(e, "holds", r->cycle[i].holds);
		report_json_int(e, "waits_for", r->cycle[i].waits);
		json_object_array_add(a, e);
	}
	return a;
}

struct json_object *
sched_result_json(const struct sched_spec *s, const char *variant,
    const struct sched_result *r)
{
	struct json_object *j = json_object_new_object();
	char buf[256];
	bool is_anomaly = sched_verdict(r, buf, sizeof(buf));

	json_object_object_add(j, "sync", json_object_new_string(variant));
	json_object_object_add(j, "anomaly",
	    json_object_new_boolean(is_anomaly));
	json_object_object_add(j, "verdict", json_object_new_string(buf));
	report_json_int(j, "steps", r->steps);
	report_json_int(j, "lost_updates", r->check.lost_writes);
	report_json_int(j, "lost_cents", r->check.lost_cents);
	report_json_int(j, "stale_audits", (int64_t)r->stale_audits);
	report_json_int(j, "deadlocks", r->deadlock ? 1 : 0);
	report_json_int(j, "repairs", (int64_t)r->repairs);
	report_json_int(j, "failed", (int64_t)r->failed);
	report_json_int(j, "retries", (int64_t)r->retries);
	report_json_int(j, "rolled_back", (int64_t)r->rolled_back);
	if (r->server[0] != '\0')
		report_json_str(j, "server", r->server);
	report_json_int(j, "expected_total", r->check.expected);
	report_json_int(j, "observed_total", r->check.observed);
	json_object_object_add(j, "elapsed_s",
	    json_object_new_double(r->elapsed_s));
	json_object_object_add(j, "timeline", sched_json_timeline(s, r));
	if (r->cycle_len > 0)
		json_object_object_add(j, "cycle", sched_cycle_json(r));
	return j;
}
