/*
 * check_db: tests of lab/db*.c (the ledger in PostgreSQL) against their
 * headers, on one throwaway server (tests/pg_server.sh) that main()
 * starts for all of them and a guardian process stops however main ends.
 * Skipped (77) without PostgreSQL.
 *
 * The server's answers are made deterministic: a deadlock of two
 * connections whose row locks are taken in turn, a serialization failure
 * of two transactions stepped by hand, a worker that SIGKILLs itself
 * between its two UPDATEs, a connection terminated by another.
 */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db.h"
#include "db_ledger.h"
#include "db_ops.h"
#include "db_worker.h"
#include "lab.h"
#include "testlib.h"

static char conninfo[512];
static char server_dir[64];

/* A connection to the test server; asserts. */
static void
tdb_connect(struct db *d)
{
	int rc = db_connect(d, conninfo);

	ck_assert_msg(rc == 0, "db_connect: %s", d->err);
}

/* A fresh ledger of n accounts of balance cents; asserts. */
static void
tdb_ledger(struct db *d, uint32_t n, int64_t balance, char *name, size_t len)
{
	int rc;

	tl_name(name, len);
	tdb_connect(d);
	rc = db_create(d, name, n, balance, DB_ORDERED);
	ck_assert_msg(rc == 0, "db_create %s: %s: %s", name, lab_strerror(rc),
	    d->err);
}

/* Run sql on d; asserts it worked. */
static void
tdb_sql(struct db *d, const char *sql)
{
	int rc = db_exec(d, sql, 0, NULL, NULL);

	ck_assert_msg(rc == 0, "%s: %s", sql, d->err);
}

/* Two connections to a fresh ledger, each in a transaction begun by
 * begin; tdb_pair_end() rolls both back and drops it. */
static void
tdb_pair(struct db *a, struct db *b, char *name, size_t len,
    const char *begin)
{
	tdb_ledger(a, 2, 100, name, len);
	tdb_connect(b);
	ck_assert_int_eq(db_attach(b, name), 0);
	tdb_sql(a, begin);
	tdb_sql(b, begin);
}

static void
tdb_pair_end(struct db *a, struct db *b, const char *name)
{
	tdb_sql(a, "ROLLBACK");
	tdb_sql(b, "ROLLBACK");
	db_close(b);
	ck_assert_int_eq(db_destroy(a, name), 0);
	db_close(a);
}

START_TEST(test_names)
{
	enum db_sync v;
	enum db_audit a;
	enum db_on_deadlock o;
	int i;

	for (i = 0; i < DB_SYNC_COUNT; i++) {
		ck_assert_int_eq(db_sync_parse(db_sync_name(i), &v), 0);
		ck_assert_int_eq(v, i);
	}
	tl_assert_lab_eq(db_sync_parse("serial", &v), -LAB_ESYNC);
	ck_assert_int_eq(db_sync_audit(DB_NONE), DB_AUDIT_PLAIN);
	ck_assert_int_eq(db_sync_audit(DB_ROBUST), DB_AUDIT_PLAIN);
	ck_assert_int_eq(db_sync_audit(DB_ORDERED), DB_AUDIT_CONSISTENT);
	ck_assert_int_eq(db_sync_audit(DB_SERIALIZABLE), DB_AUDIT_CONSISTENT);
	ck_assert_int_eq(db_audit_parse("consistent", &a), 0);
	ck_assert_int_eq(a, DB_AUDIT_CONSISTENT);
	ck_assert_int_lt(db_audit_parse("", &a), 0);
	ck_assert_int_eq(db_on_deadlock_parse("fail", &o), 0);
	ck_assert_int_eq(o, DB_DEADLOCK_FAIL);
	ck_assert_int_lt(db_on_deadlock_parse("RETRY", &o), 0);
}
END_TEST

/* Parse json with its first `from` replaced by `to`. */
static int
tdb_json_with(const char *json, const char *from, const char *to,
    struct db_worker_result *r)
{
	const char *at = strstr(json, from);
	char buf[4096];

	ck_assert_ptr_nonnull(at);
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - json), json, to,
	    at + strlen(from));
	return db_worker_result_parse(buf, r);
}

START_TEST(test_json)
{
	struct db_worker_result r, back;
	char *s;
	static const char *const bad[] = {
		"", "[]", "{}", "{\"pid\": \"1\"}", "not json",
	};
	size_t i;

	memset(&r, 0, sizeof(r));
	r.pid = 12;
	r.backend_pid = 34;
	r.done = 5;
	r.deadlocks = 2;
	r.retries = 3;
	r.first_error = -LAB_EDEADLK;
	r.deadlock.pid = 34;
	r.deadlock.other = 56;
	snprintf(r.deadlock.msg, sizeof(r.deadlock.msg), "deadlock \"x\"");
	snprintf(r.error, sizeof(r.error), "gone");
	r.elapsed_s = 1.5;
	ck_assert_ptr_nonnull(s = db_worker_result_json(&r));
	ck_assert_ptr_null(strchr(s, '\n'));
	ck_assert_int_eq(db_worker_result_parse(s, &back), 0);
	ck_assert_int_eq(back.pid, 12);
	ck_assert_int_eq(back.deadlock.other, 56);
	ck_assert_int_eq(back.first_error, -LAB_EDEADLK);
	ck_assert_str_eq(back.deadlock.msg, "deadlock \"x\"");
	ck_assert_uint_eq(back.retries, 3);
	free(s);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		tl_assert_lab_eq(db_worker_result_parse(bad[i], &back),
		    -LAB_EWORKER);
	/* A pid beyond 32 bits, a count below zero: not a worker's. */
	r.pid = 1;
	ck_assert_ptr_nonnull(s = db_worker_result_json(&r));
	tl_assert_lab_eq(tdb_json_with(s, "\"pid\":1", "\"pid\":4294967296",
	    &back), -LAB_EWORKER);
	tl_assert_lab_eq(tdb_json_with(s, "\"done\":5", "\"done\":-5",
	    &back), -LAB_EWORKER);
	tl_assert_lab_eq(tdb_json_with(s, "\"done\":5", "\"done\":6",
	    &back), 0);
	ck_assert_uint_eq(back.done, 6);
	free(s);
}
END_TEST

START_TEST(test_connect_bad)
{
	struct db d;

	tl_assert_lab_eq(db_connect(&d, "nonsense=1"), -LAB_EDB);
	ck_assert_ptr_null(d.conn);
	ck_assert_ptr_nonnull(strstr(d.err, "nonsense"));
	tl_assert_lab_eq(db_connect(&d, "host=/nonexistent-banklab"),
	    -LAB_EDB);
	ck_assert_ptr_null(strchr(d.err, '\n'));
	ck_assert_int_gt((int)strlen(d.err), 0);
}
END_TEST

START_TEST(test_create_attach_destroy)
{
	struct db d, e;
	struct db_check c;
	char name[64];

	tdb_ledger(&d, 5, 300, name, sizeof(name));
	ck_assert_uint_eq(d.naccounts, 5);
	ck_assert_int_eq(d.initial, 1500);
	ck_assert_int_eq(db_check(&d, &c), 0);
	ck_assert(c.is_ok);
	ck_assert_int_eq(c.observed, 1500);
	tdb_connect(&e);
	tl_assert_lab_eq(db_create(&e, name, 5, 300, DB_NONE), -EEXIST);
	ck_assert_int_eq(db_attach(&e, name), 0);
	ck_assert_str_eq(e.sync, "ordered");
	tl_assert_lab_eq(db_attach(&e, "no-such-ledger"), -LAB_EDBNOLEDGER);
	tl_assert_lab_eq(db_attach(&e, "bad name"), -LAB_ENAME);
	tl_assert_lab_eq(db_create(&e, "x", 0, 1, DB_NONE), -EINVAL);
	ck_assert_int_eq(db_destroy(&d, name), 0);
	tl_assert_lab_eq(db_attach(&e, name), -LAB_EDBNOLEDGER);
	db_close(&e);
	db_close(&d);
}
END_TEST

START_TEST(test_foreign)
{
	struct db d;
	char name[64], sql[512];

	tl_name(name, sizeof(name));
	tdb_connect(&d);
	/* A schema with other tables: refused, and never dropped. */
	snprintf(sql, sizeof(sql), "CREATE SCHEMA \"%s\"; CREATE TABLE "
	    "\"%s\".accounts (id int)", name, name);
	tdb_sql(&d, sql);
	tl_assert_lab_eq(db_attach(&d, name), -LAB_EDBFOREIGN);
	tl_assert_lab_eq(db_destroy(&d, name), -LAB_EDBFOREIGN);
	tl_assert_lab_eq(db_create(&d, name, 2, 1, DB_NONE), -EEXIST);
	snprintf(sql, sizeof(sql), "DROP SCHEMA \"%s\" CASCADE", name);
	tdb_sql(&d, sql);
	/* banklab's tables, another format; then accounts the marker
	 * does not promise. */
	ck_assert_int_eq(db_create(&d, name, 2, 100, DB_NONE), 0);
	snprintf(sql, sizeof(sql), "UPDATE \"%s\".banklab SET format = 7",
	    name);
	tdb_sql(&d, sql);
	tl_assert_lab_eq(db_attach(&d, name), -LAB_EVERSION);
	snprintf(sql, sizeof(sql), "UPDATE \"%s\".banklab SET format = 1; "
	    "INSERT INTO \"%s\".accounts VALUES (9, 1, 0)", name, name);
	tdb_sql(&d, sql);
	tl_assert_lab_eq(db_attach(&d, name), -LAB_ECORRUPT);
	snprintf(sql, sizeof(sql), "DELETE FROM \"%s\".accounts WHERE id = 9;"
	    " ALTER TABLE \"%s\".banklab DROP COLUMN sync", name, name);
	tdb_sql(&d, sql);
	tl_assert_lab_eq(db_attach(&d, name), -LAB_EDBFOREIGN);
	snprintf(sql, sizeof(sql), "DROP SCHEMA \"%s\" CASCADE", name);
	tdb_sql(&d, sql);
	db_close(&d);
}
END_TEST

/* Run sql, "@" for the ledger's quoted schema; asserts it worked. */
static void
tdb_sqlf(struct db *d, const char *tmpl, const char *schema)
{
	char sql[1024];
	size_t n = 0;

	for (; *tmpl != '\0' && n + 80 < sizeof(sql); tmpl++)
		if (*tmpl == '@')
			n += (size_t)snprintf(sql + n, sizeof(sql) - n, "%s",
			    schema);
		else
			sql[n++] = *tmpl;
	sql[n] = '\0';
	tdb_sql(d, sql);
}

/* The marker and the balances are outside input; destroy drops only
 * banklab's own, never what depends on it or shares its schema. */
START_TEST(test_guard)
{
	struct db d, e;
	char name[64], s[136];

	tdb_ledger(&d, 2, 100, name, sizeof(name));
	snprintf(s, sizeof(s), "%s", d.schema);
	tdb_connect(&e);
	tdb_sqlf(&d, "UPDATE @.accounts SET balance = 4611686018427387900",
	    s);
	tl_assert_lab_eq(db_deposit(&d, DB_ORDERED, 0, 10, NULL, NULL),
	    -LAB_EAMOUNT);
	tdb_sqlf(&d, "UPDATE @.accounts SET balance = -1 WHERE id = 1", s);
	tl_assert_lab_eq(db_attach(&e, name), -LAB_ECORRUPT);
	tdb_sqlf(&d, "UPDATE @.accounts SET balance = 4611686018427387905", s);
	tl_assert_lab_eq(db_attach(&e, name), -LAB_ECORRUPT);
	tdb_sqlf(&d, "UPDATE @.accounts SET balance = 1; UPDATE @.banklab "
	    "SET initial = -1", s);
	tl_assert_lab_eq(db_attach(&e, name), -LAB_ECORRUPT);
	tdb_sqlf(&d, "UPDATE @.banklab SET initial = 2, sync = 'bogus'", s);
	tl_assert_lab_eq(db_attach(&e, name), -LAB_ECORRUPT);
	tdb_sqlf(&d, "UPDATE @.banklab SET sync = 'robust'", s);
	ck_assert_int_eq(db_attach(&e, name), 0);
	ck_assert_str_eq(e.sync, "robust");
	tdb_sqlf(&d, "INSERT INTO @.banklab SELECT * FROM @.banklab", s);
	tl_assert_lab_eq(db_attach(&e, name), -LAB_ECORRUPT);
	ck_assert(strstr(e.err, "2 rows") != NULL);
	tdb_sqlf(&d, "DELETE FROM @.banklab WHERE ctid <> (SELECT min(ctid) "
	    "FROM @.banklab); CREATE VIEW public.guard_view AS SELECT id FROM "
	    "@.accounts", s);
	tl_assert_lab_eq(db_destroy(&e, name), -LAB_EDBOTHER);
	ck_assert_int_eq(db_attach(&e, name), 0);
	tdb_sqlf(&d, "DROP VIEW public.guard_view; CREATE TABLE @.mine (i int)",
	    s);
	tl_assert_lab_eq(db_destroy(&e, name), -LAB_EDBOTHER);
	ck_assert(strstr(e.err, ".mine") != NULL);
	tdb_sqlf(&d, "DROP TABLE @.mine; ALTER TABLE @.books ADD COLUMN x int",
	    s);
	tl_assert_lab_eq(db_destroy(&e, name), -LAB_EDBFOREIGN);
	tdb_sqlf(&d, "ALTER TABLE @.books DROP COLUMN x", s);
	ck_assert_int_eq(db_destroy(&e, name), 0);
	tl_assert_lab_eq(db_attach(&e, name), -LAB_EDBNOLEDGER);
	db_close(&e);
	db_close(&d);
}
END_TEST

START_TEST(test_ops)
{
	int64_t bal[3], ver[3], total, expected;
	struct db_check c;
	struct db d;
	char name[64], sql[256];
	int v;

	tdb_ledger(&d, 3, 100, name, sizeof(name));
	for (v = 0; v < DB_SYNC_COUNT; v++)
		ck_assert_int_eq(db_transfer(&d, v, 0, 1, 10, NULL, NULL), 0);
	tl_assert_lab_eq(db_transfer(&d, DB_ORDERED, 2, 0, 101, NULL, NULL),
	    -LAB_EFUNDS);
	tl_assert_lab_eq(db_transfer(&d, DB_ROBUST, 1, 1, 1, NULL, NULL),
	    -LAB_ESAME);
	tl_assert_lab_eq(db_transfer(&d, DB_NONE, 0, 3, 1, NULL, NULL),
	    -LAB_EACCOUNT);
	tl_assert_lab_eq(db_deposit(&d, DB_NONE, 0, 0, NULL, NULL),
	    -LAB_EAMOUNT);
	tl_assert_lab_eq(db_transfer(&d, DB_SYNC_COUNT, 0, 1, 1, NULL, NULL),
	    -LAB_ESYNC);
	ck_assert_int_eq(db_deposit(&d, DB_SEMAPHORE, 2, 7, NULL, NULL), 0);
	ck_assert_int_eq(db_withdraw(&d, DB_SERIALIZABLE, 2, 3, NULL, NULL),
	    0);
	tl_assert_lab_eq(db_withdraw(&d, DB_ROBUST, 2, 1000, NULL, NULL),
	    -LAB_EFUNDS);
	ck_assert_int_eq(db_balances(&d, bal, ver, 3), 0);
	ck_assert_int_eq(bal[0], 50);
	ck_assert_int_eq(bal[1], 150);
	ck_assert_int_eq(bal[2], 104);
	/* A refusal changed nothing, not even a version. */
	ck_assert_int_eq(ver[2], 2);
	ck_assert_int_eq(db_check(&d, &c), 0);
	ck_assert(c.is_ok);
	ck_assert_int_eq(c.expected, 304);
	ck_assert_int_eq(c.writes, 12);
	ck_assert_int_eq(db_audit(&d, DB_AUDIT_PLAIN, &total, &expected), 0);
	ck_assert_int_eq(total, 304);
	ck_assert_int_eq(expected, 304);
	/* A balance forged to the top: refused, never overflowed. */
	snprintf(sql, sizeof(sql), "UPDATE %s.accounts SET balance = "
	    "9223372036854775807 WHERE id = 2", d.schema);
	tdb_sql(&d, sql);
	tl_assert_lab_eq(db_deposit(&d, DB_ORDERED, 2, 1, NULL, NULL),
	    -LAB_ECORRUPT);
	tl_assert_lab_eq(db_audit(&d, DB_AUDIT_PLAIN, &total, &expected),
	    -LAB_ECORRUPT);
	tl_assert_lab_eq(db_check(&d, &c), -LAB_ECORRUPT);
	ck_assert_int_eq(db_destroy(&d, name), 0);
	db_close(&d);
}
END_TEST

/* Both connections' locks in turn: A holds 0, B holds 1, each asks for
 * the other's.  The server aborts exactly one with 40P01. */
START_TEST(test_deadlock)
{
	const char *p0[1] = { "0" }, *p1[1] = { "1" };
	struct db a, b;
	PGresult *res;
	char name[64];
	int rb, ra = 0;

	tdb_pair(&a, &b, name, sizeof(name), "BEGIN");
	ck_assert_int_eq(db_exec(&a, a.sql.lock, 1, p0, NULL), 0);
	ck_assert_int_eq(db_exec(&b, b.sql.lock, 1, p1, NULL), 0);
	ck_assert_int_eq(PQsendQueryParams(a.conn, a.sql.lock, 1, NULL, p1,
	    NULL, NULL, 0), 1);
	rb = db_exec(&b, b.sql.lock, 1, p0, NULL);
	while ((res = PQgetResult(a.conn)) != NULL) {
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
			ra = db_fail(&a, res);
		PQclear(res);
	}
	ck_assert_msg((ra == -LAB_EDEADLK) != (rb == -LAB_EDEADLK),
	    "a: %d (%s), b: %d (%s)", ra, a.err, rb, b.err);
	ck_assert_str_eq(ra != 0 ? a.sqlstate : b.sqlstate, "40P01");
	ck_assert_ptr_nonnull(strstr(ra != 0 ? a.err : b.err, "Process "));
	tdb_pair_end(&a, &b, name);
}
END_TEST

/* Two SERIALIZABLE transactions write a row both read: 40001. */
START_TEST(test_serialize)
{
	const char *p[3] = { "0", "90", "1" };
	struct db a, b;
	char name[64];

	tdb_pair(&a, &b, name, sizeof(name),
	    "BEGIN ISOLATION LEVEL SERIALIZABLE");
	ck_assert_int_eq(db_exec(&a, a.sql.read, 1, p, NULL), 0);
	ck_assert_int_eq(db_exec(&b, b.sql.read, 1, p, NULL), 0);
	ck_assert_int_eq(db_exec(&b, b.sql.write, 3, p, NULL), 0);
	tdb_sql(&b, "COMMIT");
	tl_assert_lab_eq(db_exec(&a, a.sql.write, 3, p, NULL),
	    -LAB_ESERIALIZE);
	tdb_pair_end(&a, &b, name);
}
END_TEST

/* A process SIGKILLed between its debit and its credit: the server rolls
 * its transaction back, and the total is exact. */
START_TEST(test_killed)
{
	struct db_hooks h = { .die_mid = true };
	int64_t bal[2], ver[2];
	struct db_check c;
	struct db d, k;
	char name[64];
	pid_t pid;
	int status;

	tdb_ledger(&d, 2, 100, name, sizeof(name));
	fflush(NULL);
	if ((pid = fork()) == 0) {
		if (db_connect(&k, conninfo) == 0 && db_attach(&k, name) == 0)
			(void)db_transfer(&k, DB_ROBUST, 0, 1, 30, &h, NULL);
		_exit(1);	/* not killed: the hook did not fire */
	}
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	/* Its row lock goes with its connection: this does not wait. */
	ck_assert_int_eq(db_transfer(&d, DB_ORDERED, 0, 1, 5, NULL, NULL), 0);
	ck_assert_int_eq(db_balances(&d, bal, ver, 2), 0);
	ck_assert_int_eq(bal[0], 95);
	ck_assert_int_eq(bal[1], 105);
	ck_assert_int_eq(db_check(&d, &c), 0);
	ck_assert(c.is_ok);
	ck_assert_int_eq(db_destroy(&d, name), 0);
	db_close(&d);
}
END_TEST

/* A connection the server ends: -LAB_EDBGONE, in one line. */
START_TEST(test_gone)
{
	struct db d, e;
	char sql[128];
	int64_t t, x;

	tdb_connect(&d);
	tdb_connect(&e);
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%d)",
	    (int)d.backend_pid);
	tdb_sql(&e, sql);
	d.naccounts = 1;
	snprintf(d.sql.sum, sizeof(d.sql.sum), "SELECT 1, 1");
	tl_assert_lab_eq(db_audit(&d, DB_AUDIT_CONSISTENT, &t, &x),
	    -LAB_EDBGONE);
	ck_assert_ptr_null(strchr(d.err, '\n'));
	db_close(&e);
	db_close(&d);
}
END_TEST

/* A backend stopped (SIGSTOP) answers nothing, not even a cancel: the
 * client's own deadline gives up on it, and a lock wait the server ends
 * itself (a deadlock) is unaffected (test_deadlock). */
START_TEST(test_stuck)
{
	struct db d;
	uint64_t t0;
	int rc;

	tdb_connect(&d);
	d.answer_ms = 300;
	ck_assert_int_eq(kill((pid_t)d.backend_pid, SIGSTOP), 0);
	t0 = lab_now_ns();
	rc = db_exec(&d, "SELECT 1", 0, NULL, NULL);
	/* (let go before any assert: the server's stop would wait for it) */
	ck_assert_int_eq(kill((pid_t)d.backend_pid, SIGCONT), 0);
	tl_assert_lab_eq(rc, -LAB_EDBGONE);
	ck_assert_uint_lt(lab_now_ns() - t0, 10000000000u);
	ck_assert_ptr_null(d.conn);
	ck_assert(strstr(d.err, "300 ms") != NULL);
	db_close(&d);
}
END_TEST

static Suite *
db_suite(void)
{
	Suite *s = suite_create("db");
	TCase *tc;

	tc = tl_tcase(s, "names", 5);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_json);
	tc = tl_tcase(s, "ledger", 20);
	tcase_add_test(tc, test_connect_bad);
	tcase_add_test(tc, test_create_attach_destroy);
	tcase_add_test(tc, test_foreign);
	tcase_add_test(tc, test_guard);
	tc = tl_tcase(s, "operations", 20);
	tcase_add_test(tc, test_ops);
	tcase_add_test(tc, test_deadlock);
	tcase_add_test(tc, test_serialize);
	tcase_add_test(tc, test_killed);
	tcase_add_test(tc, test_gone);
	tcase_add_test(tc, test_stuck);
	return s;
}

/*
 * Start the server; a guardian child stops it when our end of its pipe
 * closes, which happens however we end (even by SIGKILL).  0, 77, or 99.
 */
static int
server_start(const char *script)
{
	char cmd[1024];
	int fds[2], st;
	FILE *p;
	pid_t g;

	snprintf(server_dir, sizeof(server_dir), "/tmp/banklab-ckdb.%d",
	    (int)getpid());
	snprintf(cmd, sizeof(cmd), "%s start %s", script, server_dir);
	if ((p = popen(cmd, "r")) == NULL)
		return 99;
	if (fgets(conninfo, sizeof(conninfo), p) == NULL)
		conninfo[0] = '\0';
	conninfo[strcspn(conninfo, "\n")] = '\0';
	st = pclose(p);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77)
		return 77;
	if (st != 0 || conninfo[0] == '\0' || pipe(fds) < 0)
		return 99;
	fflush(NULL);
	if ((g = fork()) == 0) {
		char c;

		close(fds[1]);
		setsid();	/* a ^C to the tests is not for it */
		while (read(fds[0], &c, 1) != 0)
			;
		execl("/bin/sh", "sh", script, "stop", server_dir,
		    (char *)NULL);
		_exit(1);
	}
	close(fds[0]);
	/* fds[1] stays open in us (and, unused, in forked tests) to the end. */
	return g < 0 ? 99 : 0;
}

int
main(void)
{
	const char *src = getenv("BANKLAB_SRCDIR");
	char script[900];
	int rc;

	snprintf(script, sizeof(script), "%s/tests/pg_server.sh",
	    src != NULL ? src : ".");
	if ((rc = server_start(script)) == 77) {
		printf("check_db: SKIP: PostgreSQL is not installed\n");
		return 77;
	}
	if (rc != 0) {
		printf("check_db: the throwaway server did not start\n");
		return 99;
	}
	rc = tl_run(db_suite());
	return rc;
}
