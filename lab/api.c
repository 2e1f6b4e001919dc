/*
 * api: request bodies into operations, and the endpoints' answers.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "api.h"
#include "bank.h"
#include "lab.h"
#include "ledger.h"
#include "report.h"
#include "sync.h"

/* The fields an operation's body has, in the order they are checked. */
static const char *const api_fields[][3] = {
	[API_DEPOSIT] = { "account", "cents", NULL },
	[API_WITHDRAW] = { "account", "cents", NULL },
	[API_TRANSFER] = { "from", "to", "cents" },
};

#define API_FIELD_SHOWN	32	/* bytes of a field's name in a message */

/*
 * One line naming field (as the client sent it, perhaps hostile: at most
 * API_FIELD_SHOWN bytes, each control byte, quote or backslash as '?').
 */
int
api_refuse(char *why, size_t len, const char *field, const char *what)
{
	char shown[API_FIELD_SHOWN + 4];
	size_t i;

	if (field != NULL) {
		for (i = 0; field[i] != '\0' && i < API_FIELD_SHOWN; i++)
			shown[i] = (unsigned char)field[i] < 0x20 ||
			    field[i] == 0x7f || field[i] == '"' ||
			    field[i] == '\\' ? '?' : field[i];
		strcpy(shown + i, field[i] != '\0' ? "..." : "");
		snprintf(why, len, "\"%s\": %s", shown, what);
	} else
		snprintf(why, len, "%s", what);
	return -EINVAL;
}

static bool
api_is_field(enum api_op_kind kind, const char *key)
{
	unsigned i;

	for (i = 0; i < 3 && api_fields[kind][i] != NULL; i++)
		if (strcmp(api_fields[kind][i], key) == 0)
			return true;
	return false;
}

/*
 * Field k of o as an integer in [min, max]: a JSON integer, never a
 * double, a string or a boolean (json-c would convert those).
 */
int
api_int_field(struct json_object *o, const char *k, int64_t min, int64_t max,
    int64_t *out, char *why, size_t len)
{
	struct json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(o, k, &v))
		return api_refuse(why, len, k, "missing");
	if (!json_object_is_type(v, json_type_int))
		return api_refuse(why, len, k, "not an integer");
	errno = 0;
	n = json_object_get_int64(v);
	/* json-c saturates what does not fit, and says so in errno. */
	if (errno != 0 || n < min || n > max) {
		char what[96];

		snprintf(what, sizeof(what), "not between %lld and %lld",
		    (long long)min, (long long)max);
		return api_refuse(why, len, k, what);
	}
	*out = n;
	return 0;
}

/* Only blanks in the n bytes at s (not NUL-terminated). */
static bool
api_is_blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' &&
		    s[i] != '\n')
			return false;
	return true;
}

/* o's fields into op, every one checked. */
static int
api_take_fields(struct json_object *o, enum api_op_kind kind,
    uint32_t naccounts, struct api_op *op, char *why, size_t len)
{
	int64_t a = 0, b = 0, cents;
	int r;

	json_object_object_foreach(o, key, val) {
		(void)val;
		if (!api_is_field(kind, key))
			return api_refuse(why, len, key, "unknown field");
	}
	if (kind == API_TRANSFER) {
		if ((r = api_int_field(o, "from", 0, (int64_t)naccounts - 1,
		    &a, why, len)) < 0 ||
		    (r = api_int_field(o, "to", 0, (int64_t)naccounts - 1,
		    &b, why, len)) < 0)
			return r;
		if (a == b)
			return api_refuse(why, len, "to", "the same account "
			    "as \"from\"");
	} else if ((r = api_int_field(o, "account", 0,
	    (int64_t)naccounts - 1, &a, why, len)) < 0) {
		return r;
	}
	if ((r = api_int_field(o, "cents", 1, LEDGER_AMOUNT_MAX, &cents, why,
	    len)) < 0)
		return r;
	op->kind = kind;
	op->account = (uint32_t)a;
	op->to = (uint32_t)b;
	op->cents = cents;
	return 0;
}

int
api_parse_object(const char *body, size_t len, struct json_object **out,
    char *why, size_t whylen)
{
	struct json_tokener *tok;
	struct json_object *o;

	*out = NULL;
	if (len == 0)
		return api_refuse(why, whylen, NULL, "empty body: a JSON "
		    "object expected");
	if (len > INT32_MAX || memchr(body, '\0', len) != NULL)
		return api_refuse(why, whylen, NULL, "malformed JSON");
	if ((tok = json_tokener_new()) == NULL)
		return -ENOMEM;
	o = json_tokener_parse_ex(tok, body, (int)len);
	/* The whole body is one value, with nothing but blanks after it. */
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    !api_is_blank(body + json_tokener_get_parse_end(tok),
	    len - json_tokener_get_parse_end(tok))) {
		json_object_put(o);
		json_tokener_free(tok);
		return api_refuse(why, whylen, NULL, "malformed JSON");
	}
	json_tokener_free(tok);
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return api_refuse(why, whylen, NULL, "not a JSON object");
	}
	*out = o;
	return 0;
}

int
api_parse_op(enum api_op_kind kind, const char *body, size_t len,
    uint32_t naccounts, struct api_op *op, char *why, size_t whylen)
{
	struct json_object *o;
	int r;

	if (whylen > 0)
		why[0] = '\0';
	if ((unsigned)kind > API_TRANSFER || naccounts == 0)
		return api_refuse(why, whylen, NULL, "no such operation");
	if ((r = api_parse_object(body, len, &o, why, whylen)) < 0)
		return r;
	r = api_take_fields(o, kind, naccounts, op, why, whylen);
	json_object_put(o);
	return r;
}

static struct json_object *
api_account_obj(const struct ledger *l, uint32_t a, int64_t cents)
{
	struct json_object *o = json_object_new_object();

	report_json_int(o, "id", a);
	report_json_int(o, "balance_cents", cents);
	report_json_int(o, "version",
	    atomic_load_explicit(&l->acct[a].version, memory_order_relaxed));
	return o;
}

int
api_account(struct ledger *l, uint32_t a, struct json_object **out)
{
	int64_t cents;
	int r;

	if ((r = bank_balance(l, a, &cents)) < 0)
		return r;
	*out = api_account_obj(l, a, cents);
	return 0;
}

/*
 * The new balances are read after the operation, under the lock of a
 * balance read: another teller's write may already be in them.
 */
int
api_do_op(struct ledger *l, const struct api_op *op, struct json_object **out)
{
	struct json_object *o, *a = NULL, *b = NULL;
	int r;

	switch (op->kind) {
	case API_DEPOSIT:
		r = bank_deposit(l, op->account, op->cents);
		break;
	case API_WITHDRAW:
		r = bank_withdraw(l, op->account, op->cents);
		break;
	case API_TRANSFER:
		r = bank_transfer(l, op->account, op->to, op->cents);
		break;
	default:
		return -EINVAL;
	}
	if (r < 0)
		return r;
	o = json_object_new_object();
	report_json_bool(o, "ok", true);
	/* The operation stands: a failed read after it is not its failure. */
	if (api_account(l, op->account, &a) == 0)
		json_object_object_add(o, op->kind == API_TRANSFER ? "from" :
		    "account", a);
	if (op->kind == API_TRANSFER && api_account(l, op->to, &b) == 0)
		json_object_object_add(o, "to", b);
	*out = o;
	return 0;
}

int
api_accounts(struct ledger *l, uint32_t offset, uint32_t limit,
    struct json_object **out)
{
	struct json_object *o, *arr;
	uint32_t a, end;
	int64_t cents;

	if (limit > API_PAGE_MAX)
		return -EINVAL;
	end = offset < l->naccounts ? offset + (limit < l->naccounts -
	    offset ? limit : l->naccounts - offset) : offset;
	o = json_object_new_object();
	report_json_int(o, "offset", offset);
	report_json_int(o, "count", end - offset);
	report_json_int(o, "accounts_total", l->naccounts);
	arr = json_object_new_array();
	for (a = offset; a < end; a++) {
		/* A page is a view, not a snapshot: unlocked reads. */
		cents = atomic_load_explicit(&l->acct[a].balance,
		    memory_order_relaxed);
		json_object_array_add(arr, api_account_obj(l, a, cents));
	}
	json_object_object_add(o, "accounts", arr);
	*out = o;
	return 0;
}

int
api_audit(struct ledger *l, bool is_consistent, struct json_object **out)
{
	struct sync_audit au = { 0 };
	struct json_object *o;
	int r;

	if (is_consistent) {
		if ((r = bank_audit(l, &au)) < 0)
			return r;
	} else {
		au.total = bank_total_unlocked(l);
		au.is_consistent = false;
		au.attempts = 1;
	}
	o = json_object_new_object();
	report_json_str(o, "mode", is_consistent ? "consistent" : "plain");
	report_json_int(o, "total_cents", au.total);
	report_json_bool(o, "is_consistent", au.is_consistent);
	report_json_int(o, "attempts", au.attempts);
	*out = o;
	return 0;
}

int
api_ledger(const struct ledger *l, struct json_object **out)
{
	struct json_object *o, *ck;
	struct bank_check c;

	bank_check(l, &c);
	o = json_object_new_object();
	report_json_str(o, "name", l->name);
	report_json_str(o, "variant", ledger_sync_name(l->sync_kind));
	report_json_str(o, "created_for", ledger_sync_name(l->created_sync));
	report_json_int(o, "accounts", l->naccounts);
	report_json_int(o, "total_cents", c.observed);
	report_json_int(o, "books_cents", c.expected);
	ck = json_object_new_object();
	report_json_bool(ck, "kept", c.is_ok);
	report_json_int(ck, "lost_cents", c.lost_cents);
	report_json_int(ck, "lost_updates", c.lost_writes);
	report_json_int(ck, "negative_accounts", c.negative);
	json_object_object_add(o, "check", ck);
	report_json_int(o, "repairs", (int64_t)atomic_load(&l->hdr->repairs));
	*out = o;
	return 0;
}

/* An account index from a slot, or null: -1 is none, -2 the semaphore. */
static struct json_object *
api_acct_or_null(const struct ledger *l, int64_t a)
{
	if (a == LEDGER_WAIT_SEM)
		return json_object_new_string("semaphore");
	if (a < 0 || !ledger_index_ok(l, a))
		return NULL;
	return json_object_new_int64(a);
}

int
api_processes(const struct ledger *l, struct json_object **out)
{
	struct json_object *arr = json_object_new_array(), *s, *h;
	uint32_t i, k, sync;
	int32_t pid;
	int64_t w;
	int h2;

	for (i = 0; i < l->nslots; i++) {
		const struct ledger_slot *sl = &l->slots[i];

		if ((pid = atomic_load(&sl->pid)) <= 0)
			continue;
		s = json_object_new_object();
		report_json_int(s, "slot", i);
		report_json_int(s, "pid", pid);
		report_json_str(s, "role",
		    ledger_role_name(atomic_load(&sl->role)));
		sync = atomic_load(&sl->sync);
		report_json_str(s, "variant", sync < SYNC_COUNT ?
		    ledger_sync_name((enum sync_kind)sync) : "?");
		h = json_object_new_array();
		for (k = 0; k < 2; k++)
			if (atomic_load(&sl->holds[k]) >= 0)
				json_object_array_add(h, api_acct_or_null(l,
				    atomic_load(&sl->holds[k])));
		json_object_object_add(s, "holds", h);
		w = atomic_load(&sl->waits);
		json_object_object_add(s, "waits", api_acct_or_null(l, w));
		/* The wait-for graph's edge: who holds what it waits for. */
		h2 = w >= 0 ? ledger_holder_of(l, w) : -1;
		if (h2 >= 0 && (uint32_t)h2 < l->nslots)
			report_json_int(s, "waits_for_pid",
			    atomic_load(&l->slots[h2].pid));
		report_json_str(s, "state", ledger_slot_alive(l, (int)i) ?
		    "alive" : "dead");
		json_object_array_add(arr, s);
	}
	*out = json_object_new_object();
	json_object_object_add(*out, "processes", arr);
	return 0;
}

struct json_object *
api_error(const char *msg)
{
	struct json_object *o = json_object_new_object();

	report_json_str(o, "error", msg);
	return o;
}

unsigned
api_status(int code)
{
	switch (-code) {
	case 0:
		return 200;
	case EINVAL:
	case LAB_EACCOUNT:
	case LAB_EAMOUNT:
	case LAB_ESAME:
		return 400;
	case LAB_EFUNDS:
		return 409;
	case LAB_EDEADLK:
	case LAB_EHOLDERDEAD:
	case LAB_ESTOPPED:
	case LAB_ETIMEDOUT:
	case LAB_ENOTRECOVERABLE:
	case LAB_EBUSY:
		return 503;
	default:
		return 500;
	}
}
