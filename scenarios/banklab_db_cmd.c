/*
 * banklab_db_cmd: banklab's commands on a ledger in PostgreSQL.  Each
 * connects, does its one thing through the library (lab/db*.h), prints,
 * and returns the exit code: a failure of the server is one line and 3.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "banklab.h"
#include "banklab_db.h"
#include "cli.h"
#include "db.h"
#include "db_ledger.h"
#include "db_ops.h"
#include "db_run.h"
#include "db_worker.h"
#include "lab.h"
#include "report.h"
#include "spawn.h"

#define SHOW_MAX	32	/* balances `show` lists */

void
banklab_db_say(const struct db *d, const char *what, int rc)
{
	/* The words (the server's, or the library's reason for refusing a
	 * ledger), where they say more than our code does. */
	bool has_words = d->err[0] != '\0' && rc != -LAB_EDBNOLEDGER &&
	    rc != -LAB_ENAME;

	if (rc == -LAB_EDB && has_words)
		fprintf(stderr, "%s: %s: %s\n", PROG, what, d->err);
	else
		fprintf(stderr, "%s: %s: %s%s%s\n", PROG, what,
		    lab_strerror(rc), has_words ? ": " : "",
		    has_words ? d->err : "");
}

int
banklab_db_open(const struct banklab_db_args *a, struct db *d, bool attach)
{
	int rc;

	if ((rc = db_connect(d, a->conninfo)) < 0) {
		banklab_db_say(d, "--db", rc);
		return -LAB_EXIT_SYSTEM;
	}
	if (attach && (rc = db_attach(d, a->name)) < 0) {
		banklab_db_say(d, a->name, rc);
		db_close(d);
		return -(rc == -LAB_ENAME ? LAB_EXIT_USAGE : LAB_EXIT_SYSTEM);
	}
	return 0;
}

int
banklab_db_create(const struct banklab_db_args *a)
{
	struct db d;
	char m[32];
	int rc;

	if ((rc = banklab_db_open(a, &d, false)) < 0)
		return -rc;
	rc = db_create(&d, a->name, (uint32_t)a->accounts, a->balance,
	    a->w.sync);
	if (rc == -EEXIST) {
		fprintf(stderr, "%s: %s: a schema of that name exists already\n",
		    PROG, a->name);
		db_close(&d);
		return LAB_EXIT_SYSTEM;
	}
	if (rc < 0) {
		banklab_db_say(&d, a->name, rc);
		db_close(&d);
		return LAB_EXIT_SYSTEM;
	}
	printf("%s: created schema %s: %" PRId64 " accounts of %s, variant "
	    "%s\n", a->name, d.schema, a->accounts, report_money(a->balance, m,
	    sizeof(m)), db_sync_name(a->w.sync));
	db_close(&d);
	return LAB_EXIT_OK;
}

int
banklab_db_destroy(const struct banklab_db_args *a)
{
	struct db d;
	int rc;

	if ((rc = banklab_db_open(a, &d, false)) < 0)
		return -rc;
	if ((rc = db_destroy(&d, a->name)) < 0) {
		banklab_db_say(&d, a->name, rc);
		db_close(&d);
		return LAB_EXIT_SYSTEM;
	}
	db_close(&d);
	return LAB_EXIT_OK;
}

/* The worker's variant: the one given, else the ledger's own. */
static void
banklab_db_variant(const struct banklab_db_args *a, const struct db *d,
    struct db_worker_config *w)
{
	*w = a->w;
	if (!a->has_sync && db_sync_parse(d->sync, &w->sync) == 0 &&
	    !a->has_audit)
		w->audit = db_sync_audit(w->sync);
}

static void
banklab_db_worker_text(const struct db_worker_result *r)
{
	printf("worker %d (server pid %d): %" PRIu64 " operations, %" PRIu64
	    " done, %" PRIu64 " refused, %" PRIu64 " failed; deadlocks %"
	    PRIu64 ", retries %" PRIu64 "; %.3fs\n", (int)r->pid,
	    (int)r->backend_pid, r->ops, r->done, r->refused, r->failed,
	    r->deadlocks, r->retries, r->elapsed_s);
	if (r->audits > 0)
		printf("  audits %" PRIu64 ", %" PRIu64 " wrong (worst off by %"
		    PRId64 " cents)\n", r->audits, r->stale_audits,
		    r->worst_deviation);
	if (r->deadlocks > 0)
		printf("  first deadlock (server pids %d and %d): %s\n",
		    (int)r->deadlock.pid, (int)r->deadlock.other,
		    r->deadlock.msg);
}

int
banklab_db_worker(const struct banklab_db_args *a)
{
	struct db_worker_config w;
	struct db_worker_result r;
	struct db d;
	char *json;
	int rc;

	if (a->parent != 0 && (rc = spawn_bind_parent((pid_t)a->parent)) < 0)
		return LAB_EXIT_SYSTEM;	/* our starter is gone: nobody hears */
	if ((rc = banklab_db_open(a, &d, true)) < 0)
		return -rc;
	banklab_db_variant(a, &d, &w);
	if (w.w.from >= (int64_t)d.naccounts || w.w.to >= (int64_t)d.naccounts) {
		fprintf(stderr, "%s: %s: --from/--to: the ledger has accounts 0 "
		    "to %" PRIu32 "\n", PROG, a->name, d.naccounts - 1);
		db_close(&d);
		return LAB_EXIT_USAGE;
	}
	rc = db_worker_run(&d, &w, &r);
	db_close(&d);
	if (a->json) {
		/* The starter reads the error in the report: one line, its. */
		if ((json = db_worker_result_json(&r)) == NULL)
			return LAB_EXIT_SYSTEM;
		printf("%s\n", json);
		free(json);
	} else {
		banklab_db_worker_text(&r);
		if (rc < 0)
			fprintf(stderr, "%s: %s: %s\n", PROG, a->name, r.error);
	}
	return rc < 0 ? lab_exit_code(rc) : LAB_EXIT_OK;
}

static void
banklab_db_check_text(const struct db_check *c)
{
	char m1[32], m2[32];

	printf("expected %s, observed %s; lost updates %" PRId64 ", negative "
	    "accounts %" PRId64 ": %s\n", report_money(c->expected, m1,
	    sizeof(m1)), report_money(c->observed, m2, sizeof(m2)),
	    c->lost_writes, c->negative, c->is_ok ? "ok" : "ANOMALY");
}

int
banklab_db_run(const struct banklab_db_args *a)
{
	struct db_run_config c = { .conninfo = a->conninfo,
		.procs = (unsigned)a->procs, .timeout_ms = (unsigned)a->timeout_ms };
	struct db_run_result r;
	struct db d;
	int rc, ex;

	if ((rc = banklab_db_open(a, &d, true)) < 0)
		return -rc;
	c.worker = getenv("BANKLAB_WORKER");
	/* A server that leaves us unanswered (its backend stopped) longer
	 * than the run may last is stuck: one line and 3, not a hang. */
	d.answer_ms = c.timeout_ms;
	banklab_db_variant(a, &d, &c.w);
	lab_sigpipe_quiet();
	rc = db_run_workers(&d, &c, &r);
	if (rc == 0 && r.first_error != 0 && r.first_error != -LAB_EDEADLK)
		rc = r.first_error;
	if (rc < 0) {
		if (r.error[0] != '\0')
			fprintf(stderr, "%s: %s: %s\n", PROG, a->name, r.error);
		else
			banklab_db_say(&d, a->name, rc);
		ex = LAB_EXIT_SYSTEM;
	} else {
		printf("%u workers (%s): %" PRIu64 " done, %" PRIu64 " refused, %"
		    PRIu64 " failed; deadlocks %" PRIu64 ", retries %" PRIu64
		    "; %.3fs%s\n", r.n, db_sync_name(c.w.sync), r.done,
		    r.refused, r.failed, r.deadlocks, r.retries, r.elapsed_s,
		    r.timed_out ? " (timed out: killed)" : "");
		if (r.audits > 0)
			printf("audits %" PRIu64 ", %" PRIu64 " wrong\n",
			    r.audits, r.stale_audits);
		banklab_db_check_text(&r.check);
		ex = r.interrupted ? LAB_EXIT_INTERRUPTED : r.check.is_ok &&
		    r.stale_audits == 0 && !r.timed_out ? LAB_EXIT_OK :
		    LAB_EXIT_ANOMALY;
	}
	db_run_result_free(&r);
	db_close(&d);
	return ex;
}

int
banklab_db_audit(const struct banklab_db_args *a)
{
	enum db_audit how = a->has_audit ? a->w.audit : DB_AUDIT_CONSISTENT;
	int64_t total, expected;
	char m1[32], m2[32];
	struct db d;
	int rc;

	if ((rc = banklab_db_open(a, &d, true)) < 0)
		return -rc;
	if ((rc = db_audit(&d, how, &total, &expected)) < 0) {
		banklab_db_say(&d, a->name, rc);
		db_close(&d);
		return LAB_EXIT_SYSTEM;
	}
	db_close(&d);
	printf("%s audit: total %s, the books say %s: %s\n", db_audit_name(how),
	    report_money(total, m1, sizeof(m1)), report_money(expected, m2,
	    sizeof(m2)), total == expected ? "ok" : "WRONG");
	return total == expected ? LAB_EXIT_OK : LAB_EXIT_ANOMALY;
}

int
banklab_db_show(const struct banklab_db_args *a)
{
	int64_t bal[SHOW_MAX], ver[SHOW_MAX];
	struct db_check c;
	struct db d;
	uint32_t i, n;
	char m[32];
	int rc;

	if ((rc = banklab_db_open(a, &d, true)) < 0)
		return -rc;
	n = d.naccounts < SHOW_MAX ? d.naccounts : SHOW_MAX;
	if ((rc = db_balances(&d, bal, ver, n)) < 0 ||
	    (rc = db_check(&d, &c)) < 0) {
		banklab_db_say(&d, a->name, rc);
		db_close(&d);
		return LAB_EXIT_SYSTEM;
	}
	printf("ledger %s: schema %s, format %d, %" PRIu32 " accounts, "
	    "variant %s\n", a->name, d.schema, DB_FORMAT, d.naccounts, d.sync);
	for (i = 0; i < n; i++)
		printf("  #%-4" PRIu32 " %14s  version %" PRId64 "\n", i,
		    report_money(bal[i], m, sizeof(m)), ver[i]);
	if (n < d.naccounts)
		printf("  ... (%" PRIu32 " more)\n", d.naccounts - n);
	banklab_db_check_text(&c);
	db_close(&d);
	return LAB_EXIT_OK;
}
