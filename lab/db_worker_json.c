/*
 * db_worker_json: a database worker's report as one line of JSON and
 * back (json-c), through one table of its fields.  The parent trusts
 * nothing a worker sends: every field must be there with its type.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "db_worker.h"
#include "lab.h"

enum db_json_type { DJ_I32, DJ_U64, DJ_I64, DJ_INT, DJ_TEXT, DJ_DOUBLE };

static const struct {
	const char *key;
	enum db_json_type type;
	size_t off;
	size_t len;		/* DJ_TEXT: the buffer's size */
} db_json_fields[] = {
#define F(k, t, m) { k, t, offsetof(struct db_worker_result, m), \
	sizeof(((struct db_worker_result *)0)->m) }
	F("pid", DJ_I32, pid),
	F("backend_pid", DJ_I32, backend_pid),
	F("ops", DJ_U64, ops),
	F("done", DJ_U64, done),
	F("refused", DJ_U64, refused),
	F("failed", DJ_U64, failed),
	F("deadlocks", DJ_U64, deadlocks),
	F("retries", DJ_U64, retries),
	F("audits", DJ_U64, audits),
	F("stale_audits", DJ_U64, stale_audits),
	F("worst_deviation", DJ_I64, worst_deviation),
	F("deposited", DJ_I64, deposited),
	F("withdrawn", DJ_I64, withdrawn),
	F("moved", DJ_I64, moved),
	F("first_error", DJ_INT, first_error),
	F("deadlock_pid", DJ_I32, deadlock.pid),
	F("deadlock_other", DJ_I32, deadlock.other),
	F("deadlock_msg", DJ_TEXT, deadlock.msg),
	F("error", DJ_TEXT, error),
	F("elapsed_s", DJ_DOUBLE, elapsed_s),
#undef F
};

#define DB_JSON_NFIELDS	(sizeof(db_json_fields) / sizeof(db_json_fields[0]))

static struct json_object *
db_json_value(const struct db_worker_result *r, size_t i)
{
	const char *p = (const char *)r + db_json_fields[i].off;

	switch (db_json_fields[i].type) {
	case DJ_I32:
		return json_object_new_int64(*(const int32_t *)(const void *)p);
	case DJ_INT:
		return json_object_new_int64(*(const int *)(const void *)p);
	case DJ_U64:	/* counts, far below 2^63 */
		return json_object_new_int64((int64_t)
		    *(const uint64_t *)(const void *)p);
	case DJ_I64:
		return json_object_new_int64(*(const int64_t *)(const void *)p);
	case DJ_DOUBLE:
		return json_object_new_double(*(const double *)(const void *)p);
	default:
		return json_object_new_string(p);
	}
}

char *
db_worker_result_json(const struct db_worker_result *r)
{
	struct json_object *o, *v;
	char *s = NULL;
	size_t i;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	for (i = 0; i < DB_JSON_NFIELDS; i++) {
		if ((v = db_json_value(r, i)) == NULL ||
		    json_object_object_add(o, db_json_fields[i].key, v) != 0) {
			json_object_put(v);
			goto out;
		}
	}
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
out:
	json_object_put(o);
	return s;
}

/* Field i from v into r; -LAB_EWORKER if v is not of its kind. */
static int
db_json_take(struct json_object *v, size_t i, struct db_worker_result *r)
{
	char *p = (char *)r + db_json_fields[i].off;
	int64_t n;

	if (db_json_fields[i].type == DJ_TEXT) {
		if (!json_object_is_type(v, json_type_string))
			return -LAB_EWORKER;
		snprintf(p, db_json_fields[i].len, "%s",
		    json_object_get_string(v));
		return 0;
	}
	if (db_json_fields[i].type == DJ_DOUBLE) {
		if (!json_object_is_type(v, json_type_double) &&
		    !json_object_is_type(v, json_type_int))
			return -LAB_EWORKER;
		*(double *)(void *)p = json_object_get_double(v);
		return 0;
	}
	if (!json_object_is_type(v, json_type_int))
		return -LAB_EWORKER;
	errno = 0;
	n = json_object_get_int64(v);
	if (errno != 0)
		return -LAB_EWORKER;
	switch (db_json_fields[i].type) {
	case DJ_I32:
	case DJ_INT:
		if (n < INT32_MIN || n > INT32_MAX)
			return -LAB_EWORKER;
		if (db_json_fields[i].type == DJ_INT)
			*(int *)(void *)p = (int)n;
		else
			*(int32_t *)(void *)p = (int32_t)n;
		return 0;
	case DJ_U64:
		if (n < 0)
			return -LAB_EWORKER;
		*(uint64_t *)(void *)p = (uint64_t)n;
		return 0;
	default:
		*(int64_t *)(void *)p = n;
		return 0;
	}
}

int
db_worker_result_parse(const char *json, struct db_worker_result *r)
{
	struct json_object *o, *v;
	size_t i;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	if ((o = json_tokener_parse(json)) == NULL)
		return -LAB_EWORKER;
	if (!json_object_is_type(o, json_type_object))
		rc = -LAB_EWORKER;
	for (i = 0; rc == 0 && i < DB_JSON_NFIELDS; i++)
		rc = json_object_object_get_ex(o, db_json_fields[i].key, &v) ?
		    db_json_take(v, i, r) : -LAB_EWORKER;
	json_object_put(o);
	return rc;
}
