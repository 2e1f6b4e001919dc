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
	    balance > LEDGER_AMOUNT_MAX || balance > INT64_MAX / accounts)
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

/* Is the schema there, with banklab's three tables? */
static int
db_ledger_tables(struct db *d)
{
	const char *p[1] = { d->name };
	PGresult *res;
	int64_t n;
	int rc;

	rc = db_exec(d, "SELECT (SELECT count(*) FROM pg_class c WHERE "
	    "c.relnamespace = n.oid AND c.relkind = 'r' AND c.relname IN "
	    "('banklab', 'accounts', 'books')) FROM pg_namespace n WHERE "
	    "n.nspname = $1", 1, p, &res);
	if (rc < 0)
		return rc;
	if (PQntuples(res) == 0)
		rc = -LAB_EDBNOLEDGER;
	else if (db_int(res, 0, 0, &n) < 0 || n != 3)
		rc = -LAB_EDBFOREIGN;
	PQclear(res);
	return rc;
}

/* The marker's one row, and the accounts it promises. */
static int
db_ledger_marker(struct db *d)
{
	char sql[DB_SQL_MAX * 2];
	PGresult *res;
	int64_t v[5];
	int rc, i;

	snprintf(sql, sizeof(sql), "SELECT format, accounts, initial, "
	    "(SELECT count(*) FROM %s.accounts), (SELECT coalesce(max(id), "
	    "-1) FROM %s.accounts), sync FROM %s.banklab", d->schema,
	    d->schema, d->schema);
	if ((rc = db_exec(d, sql, 0, NULL, &res)) < 0)
		return rc;
	if (PQntuples(res) != 1 || PQnfields(res) != 6) {
		PQclear(res);
		return -LAB_EDBFOREIGN;
	}
	for (i = 0; i < 5; i++)
		if (db_int(res, 0, i, &v[i]) < 0)
			rc = -LAB_ECORRUPT;
	if (rc == 0 && v[0] != DB_FORMAT)
		rc = -LAB_EVERSION;
	else if (rc == 0 && (v[1] < 1 || v[1] > LEDGER_ACCOUNTS_MAX ||
	    v[3] != v[1] || v[4] != v[1] - 1 || v[2] < 0))
		rc = -LAB_ECORRUPT;
	if (rc == 0) {
		d->naccounts = (uint32_t)v[1];
		d->initial = v[2];
		snprintf(d->sync, sizeof(d->sync), "%s", PQgetvalue(res, 0,
		    5));
	}
	PQclear(res);
	return rc;
}

int
db_attach(struct db *d, const char *name)
{
	int rc;

	if ((rc = db_ledger_name(d, name)) < 0)
		return rc;
	if ((rc = db_ledger_tables(d)) < 0)
		return rc;
	return db_ledger_marker(d);
}

int
db_destroy(struct db *d, const char *name)
{
	char sql[DB_SQL_MAX];
	int rc;

	if ((rc = db_attach(d, name)) < 0)
		return rc;
	snprintf(sql, sizeof(sql), "DROP SCHEMA %s CASCADE", d->schema);
	return db_exec(d, sql, 0, NULL, NULL);
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
