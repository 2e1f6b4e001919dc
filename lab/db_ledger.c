/*
 * db_ledger: a ledger's schema made, checked, read and dropped.  See
 * db_ledger.h.  The schema's name is the only text that is not a
 * parameter: it is checked (ledger_name_check()) and quoted by libpq.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "db_ledger.h"
#include "lab.h"
#include "ledger.h"

/*
 * The ledger's statements, "@" standing for its quoted schema: data, one
 * row each, filled in once per attach (db_ledger_fill()).
 */
#define DB_Q(m) offsetof(struct db_sql, m), sizeof(((struct db_sql *)0)->m)
static const struct {
	size_t off, len;
	const char *text;
} db_ledger_statements[] = {
	{ DB_Q(read), "SELECT balance, version FROM @.accounts WHERE id = $1" },
	{ DB_Q(lock), "SELECT balance, version FROM @.accounts WHERE id = $1 "
	    "FOR UPDATE" },
	{ DB_Q(write), "UPDATE @.accounts SET balance = $2, version = $3 "
	    "WHERE id = $1" },
	{ DB_Q(books), "INSERT INTO @.books AS b (worker, deposited, "
	    "withdrawn, writes) VALUES ($1, $2, $3, $4) ON CONFLICT (worker) "
	    "DO UPDATE SET deposited = b.deposited + EXCLUDED.deposited, "
	    "withdrawn = b.withdrawn + EXCLUDED.withdrawn, writes = b.writes "
	    "+ EXCLUDED.writes" },
	{ DB_Q(table_lock), "LOCK TABLE @.accounts IN EXCLUSIVE MODE" },
	{ DB_Q(balance), "SELECT balance FROM @.accounts WHERE id = $1" },
	{ DB_Q(sum), "SELECT (SELECT coalesce(sum(balance), 0) FROM "
	    "@.accounts), (SELECT initial FROM @.banklab) + (SELECT "
	    "coalesce(sum(deposited - withdrawn), 0) FROM @.books)" },
};
#undef DB_Q

/* tmpl into buf with every "@" the schema s; -ENAMETOOLONG if cut. */
static int
db_ledger_fill(char *buf, size_t len, const char *tmpl, const char *s)
{
	size_t n = 0, k = strlen(s);

	for (; *tmpl != '\0'; tmpl++) {
		if (*tmpl == '@' && n + k < len) {
			memcpy(buf + n, s, k);
			n += k;
		} else if (*tmpl != '@' && n + 1 < len) {
			buf[n++] = *tmpl;
		} else {
			buf[0] = '\0';
			return -ENAMETOOLONG;
		}
	}
	buf[n] = '\0';
	return 0;
}

/* Every statement of the ledger, with its quoted schema. */
static int
db_ledger_sql(struct db *d)
{
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < sizeof(db_ledger_statements) /
	    sizeof(db_ledger_statements[0]); i++)
		rc = db_ledger_fill((char *)&d->sql +
		    db_ledger_statements[i].off, db_ledger_statements[i].len,
		    db_ledger_statements[i].text, d->schema);
	return rc;
}

/* Check name and keep it, quoted, in d. */
static int
db_ledger_name(struct db *d, const char *name)
{
	char *q;

	if (ledger_name_check(name) < 0)
		return -LAB_ENAME;
	if ((q = PQescapeIdentifier(d->conn, name, strlen(name))) == NULL) {
		snprintf(d->err, sizeof(d->err), "%s",
		    PQerrorMessage(d->conn));
		return -LAB_EDB;
	}
	snprintf(d->name, sizeof(d->name), "%s", name);
	snprintf(d->schema, sizeof(d->schema), "%s", q);
	PQfreemem(q);
	snprintf(d->worker, sizeof(d->worker), "%ld-%ld", (long)getpid(),
	    (long)d->backend_pid);
	return db_ledger_sql(d);
}

int
db_create(struct db *d, const char *name, uint32_t accounts,
    int64_t balance, enum db_sync sync)
{
	const char *s = d->schema;
	char sql[2048];
	int rc;

	if (accounts < 1 || accounts > LEDGER_ACCOUNTS_MAX || balance < 0 ||
	    balance > LEDGER_AMOUNT_MAX ||
	    balance > LEDGER_BALANCE_MAX / accounts)	/* as ledger.c allows */
		return -EINVAL;
	if ((rc = db_ledger_name(d, name)) < 0)
		return rc;
	/*
	 * One Query message is one transaction: if any statement fails,
	 * nothing of it stays (no half-made schema).  The numbers are ours,
	 * checked above; the name is quoted.
	 */
	snprintf(sql, sizeof(sql),
	    "CREATE SCHEMA %s;"
	    "CREATE TABLE %s.banklab (format integer NOT NULL,"
	    " accounts integer NOT NULL, initial bigint NOT NULL,"
	    " sync text NOT NULL, created timestamptz NOT NULL DEFAULT now());"
	    "CREATE TABLE %s.accounts (id integer PRIMARY KEY,"
	    " balance bigint NOT NULL, version bigint NOT NULL DEFAULT 0);"
	    "CREATE TABLE %s.books (worker text PRIMARY KEY,"
	    " deposited bigint NOT NULL DEFAULT 0,"
	    " withdrawn bigint NOT NULL DEFAULT 0,"
	    " writes bigint NOT NULL DEFAULT 0);"
	    "INSERT INTO %s.accounts (id, balance)"
	    " SELECT g, %" PRId64 " FROM generate_series(0, %" PRIu32 ") g;"
	    "INSERT INTO %s.banklab (format, accounts, initial, sync)"
	    " VALUES (%d, %" PRIu32 ", %" PRId64 ", '%s');",
	    s, s, s, s, s, balance, accounts - 1, s, DB_FORMAT, accounts,
	    balance * (int64_t)accounts, db_sync_name(sync));
	if ((rc = db_exec(d, sql, 0, NULL, NULL)) < 0)
		return rc;
	return db_attach(d, name);
}

/*
 * banklab's tables and their columns as db_ledger_tables() lists them
 * (by table, then column; " null" after a column that may be NULL): a
 * schema that merely has tables of these names is not a ledger.
 */
static const char db_ledger_columns[] = "accounts.id integer, "
    "accounts.balance bigint, accounts.version bigint, banklab.format "
    "integer, banklab.accounts integer, banklab.initial bigint, "
    "banklab.sync text, banklab.created timestamp with time zone, "
    "books.worker text, books.deposited bigint, books.withdrawn bigint, "
    "books.writes bigint";

/*
 * The first row's one field of sql (about the schema d->name, $1) into
 * buf, cut to len: 1 if there was a row, 0 if none, or a negative code.
 */
static int
db_ledger_ask(struct db *d, const char *sql, char *buf, size_t len)
{
	const char *p[1] = { d->name };
	PGresult *res;
	int rc;

	if ((rc = db_exec(d, sql, 1, p, &res)) < 0)
		return rc;
	rc = PQntuples(res) > 0;
	snprintf(buf, len, "%s", rc ? PQgetvalue(res, 0, 0) : "");
	PQclear(res);
	return rc;
}

/* Is the schema there, with banklab's three tables, column for column? */
static int
db_ledger_tables(struct db *d)
{
	char cols[512];
	int rc;

	rc = db_ledger_ask(d, "SELECT coalesce(string_agg(c.relname || '.' || "
	    "a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || CASE "
	    "WHEN a.attnotnull THEN '' ELSE ' null' END, ', ' ORDER BY "
	    "c.relname, a.attnum), '') FROM pg_namespace n LEFT JOIN pg_class "
	    "c ON c.relnamespace = n.oid AND c.relkind = 'r' AND c.relname IN "
	    "('banklab', 'accounts', 'books') LEFT JOIN pg_attribute a ON "
	    "a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped WHERE "
	    "n.nspname = $1 GROUP BY n.oid", cols, sizeof(cols));
	if (rc < 0)
		return rc;
	if (rc == 0)
		return -LAB_EDBNOLEDGER;
	if (strcmp(cols, db_ledger_columns) != 0) {
		db_say(d, "its tables banklab, accounts and books are missing "
		    "or have other columns than banklab's");
		return -LAB_EDBFOREIGN;
	}
	return 0;
}

/* The marker's fields, in db_ledger_marker()'s order. */
enum { DB_M_FORMAT, DB_M_ACCOUNTS, DB_M_INITIAL, DB_M_COUNT, DB_M_MAXID,
	DB_M_MINBAL, DB_M_MAXBAL, DB_M_N };

/* What the marker and the accounts say, checked against each other. */
static int
db_ledger_contents(struct db *d, const int64_t *v, const char *sync)
{
	enum db_sync s;
	char w[DB_ERR_MAX];

	if (v[DB_M_ACCOUNTS] < 1 || v[DB_M_ACCOUNTS] > LEDGER_ACCOUNTS_MAX ||
	    v[DB_M_COUNT] != v[DB_M_ACCOUNTS] ||
	    v[DB_M_MAXID] != v[DB_M_ACCOUNTS] - 1)
		snprintf(w, sizeof(w), "the marker says %" PRId64 " accounts, "
		    "the table has %" PRId64 " (ids up to %" PRId64 ")",
		    v[DB_M_ACCOUNTS], v[DB_M_COUNT], v[DB_M_MAXID]);
	else if (v[DB_M_INITIAL] < 0 || v[DB_M_INITIAL] > LEDGER_BALANCE_MAX)
		snprintf(w, sizeof(w), "the marker's opening total %" PRId64
		    " is outside 0..2^62 cents", v[DB_M_INITIAL]);
	else if (v[DB_M_MINBAL] < 0 || v[DB_M_MAXBAL] > LEDGER_BALANCE_MAX)
		snprintf(w, sizeof(w), "a balance is outside 0..2^62 cents "
		    "(lowest %" PRId64 ", highest %" PRId64 ")", v[DB_M_MINBAL],
		    v[DB_M_MAXBAL]);
	else if (db_sync_parse(sync, &s) < 0)
		snprintf(w, sizeof(w), "the marker's variant is not one of "
		    "banklab's (none, semaphore, robust, ordered, "
		    "serializable)");
	else {
		d->naccounts = (uint32_t)v[DB_M_ACCOUNTS];
		d->initial = v[DB_M_INITIAL];
		snprintf(d->sync, sizeof(d->sync), "%s", db_sync_name(s));
		return 0;
	}
	db_say(d, w);
	return -LAB_ECORRUPT;
}

/*
 * The marker's one row in banklab's format, and (if contents) the
 * accounts it promises.  Without contents (to drop it) a ledger with
 * forged numbers is still banklab's.
 */
static int
db_ledger_marker(struct db *d, bool contents)
{
	char sql[DB_SQL_MAX * 3], w[DB_ERR_MAX];
	PGresult *res;
	int64_t v[DB_M_N];
	int rc, i, n;

	snprintf(sql, sizeof(sql), "SELECT format, accounts, initial, "
	    "(SELECT count(*) FROM %s.accounts), (SELECT coalesce(max(id), "
	    "-1) FROM %s.accounts), (SELECT coalesce(min(balance), 0) FROM "
	    "%s.accounts), (SELECT coalesce(max(balance), 0) FROM %s.accounts),"
	    " sync FROM %s.banklab", d->schema, d->schema, d->schema,
	    d->schema, d->schema);
	if ((rc = db_exec(d, sql, 0, NULL, &res)) < 0)
		return rc;
	if ((n = PQntuples(res)) != 1) {
		snprintf(w, sizeof(w), "the marker table banklab has %d rows, "
		    "not one", n);
		db_say(d, w);
		PQclear(res);
		return -LAB_ECORRUPT;
	}
	for (i = 0; i < DB_M_N; i++)
		if (db_int(res, 0, i, &v[i]) < 0)
			rc = -LAB_ECORRUPT;
	if (rc == 0 && v[DB_M_FORMAT] != DB_FORMAT) {
		snprintf(w, sizeof(w), "its format is %" PRId64 ", this build "
		    "reads %d", v[DB_M_FORMAT], DB_FORMAT);
		db_say(d, w);
		rc = -LAB_EVERSION;
	} else if (rc == 0 && contents) {
		rc = db_ledger_contents(d, v, PQgetvalue(res, 0, DB_M_N));
	}
	PQclear(res);
	return rc;
}

/* Name, tables and marker; the contents too if contents. */
static int
db_ledger_open(struct db *d, const char *name, bool contents)
{
	int rc;

	if ((rc = db_ledger_name(d, name)) < 0)
		return rc;
	db_say(d, "");		/* the words below are this ledger's */
	if ((rc = db_ledger_tables(d)) < 0)
		return rc;
	return db_ledger_marker(d, contents);
}

int
db_attach(struct db *d, const char *name)
{
	return db_ledger_open(d, name, true);
}

/* Anything in the schema besides banklab's tables and their keys. */
static int
db_ledger_alone(struct db *d)
{
	char what[DB_ERR_MAX];
	int rc;

	rc = db_ledger_ask(d, "SELECT CASE c.relkind WHEN 'r' THEN 'table' "
	    "WHEN 'v' THEN 'view' WHEN 'i' THEN 'index' WHEN 'S' THEN "
	    "'sequence' WHEN 'm' THEN 'materialized view' ELSE 'relation' END "
	    "|| ' ' || "
	    "quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM "
	    "pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE "
	    "n.nspname = $1 AND c.relname NOT IN ('banklab', 'accounts', "
	    "'books', 'accounts_pkey', 'books_pkey') ORDER BY c.relname "
	    "LIMIT 1", what, sizeof(what));
	if (rc <= 0)
		return rc;
	db_say(d, what);
	return -LAB_EDBOTHER;
}

int
db_destroy(struct db *d, const char *name)
{
	const char *s = d->schema;
	char sql[DB_SQL_MAX * 2];
	int rc;

	/*
	 * One transaction: banklab's tables and then the schema, each
	 * RESTRICT, so the server itself refuses (2BP01) if anything else
	 * is in the schema or depends on it (a view elsewhere on accounts);
	 * then nothing is dropped.  Never CASCADE: that drops others' work.
	 */
	if ((rc = db_exec(d, "BEGIN", 0, NULL, NULL)) < 0)
		return rc;
	if ((rc = db_ledger_open(d, name, false)) == 0 &&
	    (rc = db_ledger_alone(d)) == 0) {
		snprintf(sql, sizeof(sql), "DROP TABLE %s.books, %s.accounts, "
		    "%s.banklab RESTRICT; DROP SCHEMA %s RESTRICT", s, s, s, s);
		rc = db_exec(d, sql, 0, NULL, NULL);
	}
	return db_end(d, rc);
}

int
db_check(struct db *d, struct db_check *c)
{
	char sql[DB_SQL_MAX * 4];
	const char *s = d->schema;
	PGresult *res;
	int64_t v[6];
	int rc, i;

	memset(c, 0, sizeof(*c));
	/* One statement: one snapshot of balances and books together. */
	snprintf(sql, sizeof(sql), "SELECT (SELECT initial FROM %s.banklab),"
	    " (SELECT coalesce(sum(balance), 0) FROM %s.accounts),"
	    " (SELECT coalesce(sum(version), 0) FROM %s.accounts),"
	    " (SELECT count(*) FROM %s.accounts WHERE balance < 0),"
	    " coalesce(sum(deposited - withdrawn), 0), coalesce(sum(writes), 0)"
	    " FROM %s.books", s, s, s, s, s);
	if ((rc = db_exec(d, sql, 0, NULL, &res)) < 0)
		return rc;
	for (i = 0; i < 6; i++)
		if (db_int(res, 0, i, &v[i]) < 0)
			rc = -LAB_ECORRUPT;
	PQclear(res);
	if (rc < 0)
		return rc;
	c->initial = v[0];
	c->observed = v[1];
	c->negative = v[3];
	c->writes = v[5];
	/* Sums of a table anyone could have written: no overflow on them. */
	if (__builtin_add_overflow(v[0], v[4], &c->expected) ||
	    __builtin_sub_overflow(c->expected, c->observed, &c->lost_cents) ||
	    __builtin_sub_overflow(v[5], v[2], &c->lost_writes))
		return -LAB_ECORRUPT;
	c->is_ok = c->lost_cents == 0 && c->lost_writes == 0 &&
	    c->negative == 0;
	return 0;
}

int
db_balances(struct db *d, int64_t *balance, int64_t *version, uint32_t n)
{
	char sql[DB_SQL_MAX];
	PGresult *res;
	int64_t id;
	uint32_t i;
	int rc;

	snprintf(sql, sizeof(sql), "SELECT id, balance, version FROM "
	    "%s.accounts WHERE id < %" PRIu32 " ORDER BY id", d->schema, n);
	if ((rc = db_exec(d, sql, 0, NULL, &res)) < 0)
		return rc;
	if ((uint32_t)PQntuples(res) != n)
		rc = -LAB_ECORRUPT;
	for (i = 0; rc == 0 && i < n; i++)
		if (db_int(res, (int)i, 0, &id) < 0 || id != (int64_t)i ||
		    db_int(res, (int)i, 1, &balance[i]) < 0 ||
		    db_int(res, (int)i, 2, &version[i]) < 0)
			rc = -LAB_ECORRUPT;
	PQclear(res);
	return rc;
}
