/*
 * db: connect, run a statement, turn the server's errors into codes and
 * one line.  See db.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "lab.h"

static const char *const db_sync_names[DB_SYNC_COUNT] = {
	"none", "semaphore", "robust", "ordered", "serializable",
};

static const char *const db_audit_names[DB_AUDIT_COUNT] = {
	"plain", "consistent",
};

static const char *const db_on_deadlock_names[DB_ON_DEADLOCK_COUNT] = {
	"retry", "fail",
};

/* SQLSTATEs and their codes: the first that prefixes it wins. */
static const struct {
	const char *state;
	int code;
} db_states[] = {
	{ "40P01", -LAB_EDEADLK },	/* deadlock_detected */
	{ "40001", -LAB_ESERIALIZE },	/* serialization_failure */
	{ "08", -LAB_EDBGONE },		/* connection exceptions */
	{ "57P", -LAB_EDBGONE },	/* admin shutdown, crash shutdown */
	{ "3F000", -LAB_EDBNOLEDGER },	/* invalid_schema_name */
	{ "42P06", -EEXIST },		/* duplicate_schema */
	{ "42P01", -LAB_EDBFOREIGN },	/* undefined_table */
	{ "42703", -LAB_EDBFOREIGN },	/* undefined_column */
	{ "2BP01", -LAB_EDBOTHER },	/* dependent_objects_still_exist */
};

/* The server's notices (a dropped schema's cascade ...): not ours to print. */
static void
db_quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/*
 * src into d->err (after what is there), newlines and tabs as spaces and
 * other control characters as '?': a name in the server's words is
 * anyone's, and the line goes to a terminal.
 */
static void
db_err_add(struct db *d, const char *src)
{
	size_t n = strlen(d->err);

	for (; src != NULL && *src != '\0' && n + 1 < sizeof(d->err); src++) {
		char c = (*src == '\n' || *src == '\t' || *src == '\r') ?
		    ' ' : (unsigned char)*src < 0x20 || *src == 0x7f ? '?' :
		    *src;

		if (c == ' ' && (n == 0 || d->err[n - 1] == ' '))
			continue;
		d->err[n++] = c;
	}
	d->err[n] = '\0';
}

/* The line without the spaces the server's last newline left. */
static void
db_err_trim(struct db *d)
{
	size_t n = strlen(d->err);

	while (n > 0 && d->err[n - 1] == ' ')
		n--;
	d->err[n] = '\0';
}

int
db_fail(struct db *d, const PGresult *res)
{
	const char *state = NULL, *detail = NULL;
	size_t i;

	d->err[0] = '\0';
	d->sqlstate[0] = '\0';
	if (res != NULL) {
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
		db_err_add(d, PQresultErrorField(res,
		    PG_DIAG_MESSAGE_PRIMARY));
	}
	if (d->err[0] == '\0')
		db_err_add(d, PQerrorMessage(d->conn));
	if (detail != NULL) {
		db_err_add(d, ": ");
		db_err_add(d, detail);
	}
	db_err_trim(d);
	if (d->err[0] == '\0')
		db_err_add(d, "the server gave no reason");
	if (state != NULL)
		snprintf(d->sqlstate, sizeof(d->sqlstate), "%s", state);
	if (PQstatus(d->conn) != CONNECTION_OK)
		return -LAB_EDBGONE;
	for (i = 0; state != NULL && i < sizeof(db_states) /
	    sizeof(db_states[0]); i++)
		if (strncmp(state, db_states[i].state,
		    strlen(db_states[i].state)) == 0)
			return db_states[i].code;
	return -LAB_EDB;
}

void
db_say(struct db *d, const char *words)
{
	d->err[0] = '\0';
	d->sqlstate[0] = '\0';
	db_err_add(d, words);
	db_err_trim(d);
}

int
db_end(struct db *d, int rc)
{
	char err[DB_ERR_MAX], state[6];

	if (rc == 0)
		return db_exec(d, "COMMIT", 0, NULL, NULL);
	if (d->conn != NULL && PQstatus(d->conn) == CONNECTION_OK &&
	    PQtransactionStatus(d->conn) != PQTRANS_IDLE) {
		memcpy(err, d->err, sizeof(err));
		memcpy(state, d->sqlstate, sizeof(state));
		if (db_exec(d, "ROLLBACK", 0, NULL, NULL) == -LAB_EDBGONE)
			return -LAB_EDBGONE;
		memcpy(d->err, err, sizeof(err));
		memcpy(d->sqlstate, state, sizeof(state));
	}
	return rc;
}

int
db_connect(struct db *d, const char *conninfo)
{
	/* connect_timeout first: the conninfo's own, if any, overrides it. */
	static const char *const keys[] = { "connect_timeout",
		"application_name", "dbname", NULL };
	const char *vals[] = { "10", "banklab", conninfo, NULL };

	memset(d, 0, sizeof(*d));
	d->conn = PQconnectdbParams(keys, vals, 1);
	if (d->conn == NULL) {
		snprintf(d->err, sizeof(d->err), "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	if (PQstatus(d->conn) != CONNECTION_OK) {
		db_err_add(d, PQerrorMessage(d->conn));
		db_err_trim(d);
		PQfinish(d->conn);
		d->conn = NULL;
		return -LAB_EDB;
	}
	PQsetNoticeProcessor(d->conn, db_quiet, NULL);
	d->answer_ms = DB_ANSWER_MS;
	d->backend_pid = PQbackendPID(d->conn);
	return 0;
}

void
db_close(struct db *d)
{
	if (d->conn != NULL)
		PQfinish(d->conn);
	d->conn = NULL;
}

/* Until the answer is in (0), or d->answer_ms has gone by (-ETIMEDOUT). */
static int
db_wait(struct db *d)
{
	uint64_t end = lab_now_ns() + (uint64_t)d->answer_ms * 1000000u, now;
	struct pollfd p = { .fd = PQsocket(d->conn), .events = POLLIN };

	while (PQisBusy(d->conn)) {
		now = lab_now_ns();
		if (d->answer_ms > 0 && now >= end)
			return -ETIMEDOUT;
		/* EINTR: a signal's handler sets a flag; the caller looks. */
		if (poll(&p, 1, d->answer_ms > 0 ? (int)((end - now) /
		    1000000u) + 1 : -1) > 0 && !PQconsumeInput(d->conn))
			return 0;	/* PQgetResult() says what */
	}
	return 0;
}

/*
 * The answer to what was sent, each result waited for (db_wait()): the
 * first error, else the last result.  -ETIMEDOUT if the server is stuck.
 */
static int
db_answer(struct db *d, PGresult **out)
{
	PGresult *res = NULL, *r;

	for (;;) {
		if (db_wait(d) < 0) {
			PQclear(res);
			return -ETIMEDOUT;
		}
		if ((r = PQgetResult(d->conn)) == NULL)
			break;
		if (res != NULL && PQresultStatus(res) == PGRES_FATAL_ERROR) {
			PQclear(r);
			continue;
		}
		PQclear(res);
		res = r;
	}
	*out = res;
	return 0;
}

int
db_exec(struct db *d, const char *sql, int n, const char *const *params,
    PGresult **out)
{
	PGresult *res;
	ExecStatusType st;
	char w[80];
	int rc;

	if (out != NULL)
		*out = NULL;
	if (d->conn == NULL)
		return -LAB_EDBGONE;
	if (!(n > 0 ? PQsendQueryParams(d->conn, sql, n, NULL, params, NULL,
	    NULL, 0) : PQsendQuery(d->conn, sql)))
		return db_fail(d, NULL);
	if (db_answer(d, &res) < 0) {
		snprintf(w, sizeof(w), "the server did not answer within %u ms "
		    "(stopped or stuck)", d->answer_ms);
		db_say(d, w);
		db_close(d);
		return -LAB_EDBGONE;
	}
	st = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		rc = db_fail(d, res);
		PQclear(res);
		return rc;
	}
	if (out != NULL)
		*out = res;
	else
		PQclear(res);
	return 0;
}

int
db_int(const PGresult *res, int row, int col, int64_t *out)
{
	const char *s;
	char *end;
	long long v;

	if (row >= PQntuples(res) || col >= PQnfields(res) ||
	    PQgetisnull(res, row, col))
		return -LAB_ECORRUPT;
	s = PQgetvalue(res, row, col);
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return -LAB_ECORRUPT;
	*out = (int64_t)v;
	return 0;
}

/* The index of s in names[n], or -1. */
static int
db_name_index(const char *const *names, int n, const char *s)
{
	int i;

	for (i = 0; s != NULL && i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

const char *
db_sync_name(enum db_sync s)
{
	return (unsigned)s < DB_SYNC_COUNT ? db_sync_names[s] : "?";
}

int
db_sync_parse(const char *s, enum db_sync *out)
{
	int i = db_name_index(db_sync_names, DB_SYNC_COUNT, s);

	if (i < 0)
		return -LAB_ESYNC;
	*out = (enum db_sync)i;
	return 0;
}

enum db_audit
db_sync_audit(enum db_sync s)
{
	return s == DB_NONE || s == DB_ROBUST ? DB_AUDIT_PLAIN :
	    DB_AUDIT_CONSISTENT;
}

const char *
db_audit_name(enum db_audit a)
{
	return (unsigned)a < DB_AUDIT_COUNT ? db_audit_names[a] : "?";
}

int
db_audit_parse(const char *s, enum db_audit *out)
{
	int i = db_name_index(db_audit_names, DB_AUDIT_COUNT, s);

	if (i < 0)
		return -EINVAL;
	*out = (enum db_audit)i;
	return 0;
}

const char *
db_on_deadlock_name(enum db_on_deadlock o)
{
	return (unsigned)o < DB_ON_DEADLOCK_COUNT ?
	    db_on_deadlock_names[o] : "?";
}

int
db_on_deadlock_parse(const char *s, enum db_on_deadlock *out)
{
	int i = db_name_index(db_on_deadlock_names, DB_ON_DEADLOCK_COUNT, s);

	if (i < 0)
		return -EINVAL;
	*out = (enum db_on_deadlock)i;
	return 0;
}
