/*
 * db_scenario_report: a lesson's run on PostgreSQL as text and as JSON.
 * The words are data: what each variant sends, and why the run came out
 * as it did, per lesson and variant.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "db.h"
#include "db_scenario.h"
#include "lab.h"
#include "report.h"
#include "scenario.h"

/* What each variant sends, in one line. */
static const char *const db_sync_sql[DB_SYNC_COUNT] = {
	[DB_NONE] = "BEGIN; SELECT balance ...; UPDATE ... SET balance = "
	    "<computed here>; COMMIT (READ COMMITTED)",
	[DB_SEMAPHORE] = "BEGIN; LOCK TABLE accounts IN EXCLUSIVE MODE; "
	    "SELECT; UPDATE; COMMIT",
	[DB_ROBUST] = "BEGIN; SELECT ... FOR UPDATE in argument order; "
	    "UPDATE; COMMIT",
	[DB_ORDERED] = "BEGIN; SELECT ... FOR UPDATE in id order; UPDATE; "
	    "COMMIT",
	[DB_SERIALIZABLE] = "BEGIN ISOLATION LEVEL SERIALIZABLE; SELECT; "
	    "UPDATE; COMMIT; again on 40001",
};

static const char *const db_audit_sql[DB_AUDIT_COUNT] = {
	[DB_AUDIT_PLAIN] = "one SELECT per account, each its own snapshot",
	[DB_AUDIT_CONSISTENT] = "SELECT sum(balance): one statement, one "
	    "snapshot",
};

/* Why: the first row whose lesson, variant and outcome match. */
static const struct {
	int kind;		/* enum scenario_kind, -1: any */
	int sync;		/* enum db_sync, -1: any */
	int anomaly;		/* 1, 0, -1: either */
	const char *text;
} db_why[] = {
	{ SCENARIO_RACE, -1, 1,
"two transactions read the same balance, each computed its new\n"
"  value from it, and the second UPDATE overwrote the first: READ\n"
"  COMMITTED lets a transaction read what another is about to change." },
	{ SCENARIO_RACE, DB_SERIALIZABLE, 0,
"the server saw two transactions write what both had read and\n"
"  aborted one (40001); it was done again on the new balance." },
	{ SCENARIO_STALE, -1, 1,
"each SELECT of the audit saw its own snapshot: a transfer that\n"
"  committed between two of them was counted half (twice or not at all)." },
	{ SCENARIO_STALE, -1, 0,
"the audit was one statement: one snapshot, in which every\n"
"  transfer had committed whole or not at all." },
	{ SCENARIO_DEADLOCK, -1, 1,
"two transfers locked their rows in opposite orders (FOR UPDATE in\n"
"  argument order) and waited for each other; the server's deadlock\n"
"  detector found the cycle after deadlock_timeout and aborted one\n"
"  transaction with 40P01: it was rolled back, nothing was lost." },
	{ SCENARIO_CRASH, -1, 0,
"the killed worker's transaction was open: the server saw its\n"
"  connection close (its log: \"unexpected EOF on client connection with\n"
"  an open transaction\"), rolled the transaction back and released its\n"
"  locks (a change without a commit in the write-ahead log never\n"
"  counts).  In shared memory banklab's own journal does this (robust:\n"
"  the next locker rolls back the before-images), and a semaphore's dead\n"
"  holder stops everyone." },
	{ -1, -1, 1, "the books and the balances disagree." },
	{ -1, DB_ROBUST, 0,
"FOR UPDATE: a second writer of a row waits for the first's commit\n"
"  and reads the balance it wrote." },
	{ -1, -1, 0, "every transaction wrote what it read under a lock or a\n"
"  snapshot the server checked: no anomaly." },
};

static const char *
db_report_why(const struct scenario_opts *o, const struct db_scenario_result *r)
{
	size_t i;

	for (i = 0; i < sizeof(db_why) / sizeof(db_why[0]); i++)
		if ((db_why[i].kind < 0 || db_why[i].kind == (int)o->kind) &&
		    (db_why[i].sync < 0 || db_why[i].sync == (int)r->sync) &&
		    (db_why[i].anomaly < 0 ||
		    db_why[i].anomaly == (int)r->anomaly))
			return db_why[i].text;
	return "";
}

/* The verdict, one line. */
static void
db_report_verdict(const struct scenario_opts *o,
    const struct db_scenario_result *r, char *buf, size_t len)
{
	const struct db_run_result *x = &r->run;

	if (r->interrupted)
		snprintf(buf, len, "interrupted");
	else if (x->check.lost_writes > 0)
		snprintf(buf, len, "LOST UPDATES");
	else if (x->check.lost_cents != 0)
		snprintf(buf, len, "money %s", x->check.lost_cents > 0 ?
		    "LOST" : "CREATED");
	else if (x->stale_audits > 0)
		snprintf(buf, len, "%" PRIu64 " audits saw TOTALS THAT NEVER "
		    "EXISTED", x->stale_audits);
	else if (o->kind == SCENARIO_DEADLOCK && x->deadlocks > 0)
		snprintf(buf, len, "DEADLOCK, found by the server (40P01)");
	else if (r->anomaly)
		snprintf(buf, len, "ANOMALY (errors or a timeout)");
	else if (r->died_pid != 0)
		snprintf(buf, len, "no anomaly: the dead worker's open "
		    "transaction was rolled back by the server");
	else
		snprintf(buf, len, "no anomaly");
}

static void
db_report_details(FILE *f, const struct db_scenario_result *r)
{
	const struct db_run_result *x = &r->run;
	const struct db_deadlock *dl;

	if (x->deadlocks > 0 || x->retries > 0)
		fprintf(f, "  deadlocks       %14" PRIu64 "  (40P01, on-deadlock "
		    "%s); retries %" PRIu64 "\n", x->deadlocks,
		    db_on_deadlock_name(r->on_deadlock), x->retries);
	if (x->deadlock_at >= 0) {
		dl = &x->w[x->deadlock_at].res.deadlock;
		fprintf(f, "  example: server pids %d and %d: \"%s\"\n",
		    (int)dl->pid, (int)dl->other, dl->msg);
	}
	if (x->audits > 0)
		fprintf(f, "  audits          %14" PRIu64 "  of which %" PRIu64
		    " wrong (worst off by %" PRId64 " cents)\n", x->audits,
		    x->stale_audits, x->worst_deviation);
	if (r->died_pid != 0)
		fprintf(f, "  killed          pid %d, SIGKILL in its operation "
		    "%" PRIu64 ", after its first UPDATE, before COMMIT\n"
		    "  repaired by     the database: it rolled the open "
		    "transaction back (WAL: no commit)\n", (int)r->died_pid,
		    r->died_at);
	if (x->first_error != 0 && x->first_error != -LAB_EDEADLK &&
	    x->error[0] != '\0')
		fprintf(f, "  first error     %s\n", x->error);
}

void
db_scenario_report(FILE *f, const struct scenario_opts *o,
    const struct db_scenario_result *r)
{
	const struct db_run_result *x = &r->run;
	char v[160], m1[32], m2[32];

	db_report_verdict(o, r, v, sizeof(v));
	if (o->quiet) {
		fprintf(f, "%s: %s\n", o->prog, v);
		return;
	}
	/* The verdict first, as in shared memory; then the lesson's title. */
	fprintf(f, "%s on PostgreSQL: %s (variant %s, %u processes x %"
	    PRIu64 " ops, seed %" PRIu64 ")\n", o->prog, v,
	    db_sync_name(r->sync), o->procs, r->ops, o->seed);
	fprintf(f, "  lesson          %s\n", scenario_lesson(o->kind)->title);
	fprintf(f, "  ledger          schema \"%s\", %" PRIu32 " accounts "
	    "(dropped after the run)\n", r->ledger, o->accounts);
	fprintf(f, "  transactions    %s\n", db_sync_sql[r->sync]);
	fprintf(f, "  audit           %s: %s\n", db_audit_name(r->audit),
	    db_audit_sql[r->audit]);
	fprintf(f, "\n  expected total  %14s  (opening balances + deposits - "
	    "withdrawals, from the books)\n", report_money(x->check.expected,
	    m1, sizeof(m1)));
	fprintf(f, "  observed total  %14s  (sum of balances)\n",
	    report_money(x->check.observed, m2, sizeof(m2)));
	fprintf(f, "  lost updates    %14" PRId64 "  (balance writes made "
	    "minus versions counted)\n", x->check.lost_writes);
	fprintf(f, "  operations      %14" PRIu64 "  done, %" PRIu64
	    " refused, %" PRIu64 " failed\n", x->done, x->refused, x->failed);
	db_report_details(f, r);
	fprintf(f, "  elapsed         %13.3fs\n", x->elapsed_s);
	fprintf(f, "\n  verdict: %s\n  why: %s\n", v, db_report_why(o, r));
	if (r->anomaly && r->sync != DB_ORDERED)
		fprintf(f, "\n  fix: %s --db '%s' --sync ordered --seed %"
		    PRIu64 "\n", o->prog, o->db, o->seed);
}

static int
db_json_add(struct json_object *o, const char *k, struct json_object *v)
{
	if (v == NULL || json_object_object_add(o, k, v) != 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

/* The first deadlock: the server's message and the two pids in it. */
static int
db_json_deadlock(struct json_object *j, const struct db_deadlock *dl)
{
	struct json_object *pids = json_object_new_array();
	int rc = 0;

	if (pids == NULL)
		return -ENOMEM;
	if (json_object_array_add(pids, json_object_new_int(dl->pid)) != 0 ||
	    json_object_array_add(pids, json_object_new_int(dl->other)) != 0)
		rc = -ENOMEM;
	rc |= db_json_add(j, "deadlock_pids", pids);
	rc |= db_json_add(j, "deadlock_message", json_object_new_string(
	    dl->msg));
	return rc;
}

char *
db_scenario_json(const struct scenario_opts *o,
    const struct db_scenario_result *r)
{
	const struct db_run_result *x = &r->run;
	struct json_object *j;
	char v[160], *s = NULL;
	int rc = 0;

	if ((j = json_object_new_object()) == NULL)
		return NULL;
	db_report_verdict(o, r, v, sizeof(v));
	rc |= db_json_add(j, "lesson", json_object_new_string(
	    scenario_name(o->kind)));
	rc |= db_json_add(j, "backend", json_object_new_string("postgresql"));
	rc |= db_json_add(j, "sync", json_object_new_string(
	    db_sync_name(r->sync)));
	rc |= db_json_add(j, "audit", json_object_new_string(
	    db_audit_name(r->audit)));
	rc |= db_json_add(j, "seed", json_object_new_int64((int64_t)
	    (o->seed & INT64_MAX)));
	rc |= db_json_add(j, "anomaly", json_object_new_boolean(r->anomaly));
	rc |= db_json_add(j, "verdict", json_object_new_string(v));
	rc |= db_json_add(j, "expected_total",
	    json_object_new_int64(x->check.expected));
	rc |= db_json_add(j, "observed_total",
	    json_object_new_int64(x->check.observed));
	rc |= db_json_add(j, "lost_updates",
	    json_object_new_int64(x->check.lost_writes));
	rc |= db_json_add(j, "done", json_object_new_int64((int64_t)x->done));
	rc |= db_json_add(j, "refused", json_object_new_int64((int64_t)
	    x->refused));
	rc |= db_json_add(j, "failed", json_object_new_int64((int64_t)
	    x->failed));
	rc |= db_json_add(j, "deadlocks", json_object_new_int64((int64_t)
	    x->deadlocks));
	rc |= db_json_add(j, "retries", json_object_new_int64((int64_t)
	    x->retries));
	rc |= db_json_add(j, "audits", json_object_new_int64((int64_t)
	    x->audits));
	rc |= db_json_add(j, "stale_audits", json_object_new_int64((int64_t)
	    x->stale_audits));
	rc |= db_json_add(j, "died", json_object_new_int64(r->died_pid != 0));
	rc |= db_json_add(j, "repaired_by", json_object_new_string(
	    r->died_pid != 0 ? "database" : ""));
	rc |= db_json_add(j, "elapsed_s", json_object_new_double(
	    x->elapsed_s));
	if (x->deadlock_at >= 0)
		rc |= db_json_deadlock(j, &x->w[x->deadlock_at].res.deadlock);
	if (rc == 0)
		s = strdup(json_object_to_json_string_ext(j,
		    JSON_C_TO_STRING_PLAIN));
	json_object_put(j);
	return s;
}
