/*
 * api: the bank's HTTP API without HTTP: a request body's bytes into an
 * operation (api_parse_op(), the fuzz target's subject), and what each
 * endpoint answers, as json-c objects.  Layer: api, above reports.
 *
 * Contract: api_parse_op() trusts nothing it is given and names the field
 * it refuses; the others act on an attached ledger whose slot the caller
 * owns (ledger_join()), through bank.h, and return 0 or a negative code
 * (api_status() turns it into an HTTP status).  No I/O, no HTTP.
 */
#ifndef LAB_API_H
#define LAB_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bank.h"
#include "ledger.h"

#define API_PAGE_MAX	1000	/* accounts in one GET /v1/accounts */

enum api_op_kind {
	API_DEPOSIT,
	API_WITHDRAW,
	API_TRANSFER
};

struct api_op {
	enum api_op_kind kind;
	uint32_t account;	/* the account; a transfer's from */
	uint32_t to;		/* transfer only */
	int64_t cents;		/* 1 .. LEDGER_AMOUNT_MAX */
};

struct json_object;

/*
 * The JSON object of len bytes at body (not NUL-terminated) as an operation
 * of kind on a ledger of naccounts accounts: exactly its fields ("account"
 * and "cents"; "from", "to" and "cents" for a transfer), integers in range,
 * from != to.  0, or -EINVAL with one line naming the field in why.
 */
int api_parse_op(enum api_op_kind kind, const char *body, size_t len,
    uint32_t naccounts, struct api_op *op, char *why, size_t whylen);

/*
 * why = "\"FIELD\": WHAT" (the field's name shown safely) or WHAT alone
 * (field NULL); returns -EINVAL.
 */
int api_refuse(char *why, size_t len, const char *field, const char *what);

/*
 * The len bytes at body as one JSON object and nothing else (blanks
 * after it): *out, to put; or -EINVAL with why ("malformed JSON", ...).
 */
int api_parse_object(const char *body, size_t len, struct json_object **out,
    char *why, size_t whylen);

/*
 * Field k of o as an integer in [min, max]: a JSON integer, never a
 * double, a string or a boolean.  0, or -EINVAL naming k in why.
 */
int api_int_field(struct json_object *o, const char *k, int64_t min,
    int64_t max, int64_t *out, char *why, size_t len);

/* Perform op; *out is its answer (the new balances).  0 or bank's code. */
int api_do_op(struct ledger *l, const struct api_op *op,
    struct json_object **out);

/* {"id", "balance_cents", "version"} of account a. */
int api_account(struct ledger *l, uint32_t a, struct json_object **out);

/* Accounts offset .. offset+limit-1 (those that exist). */
int api_accounts(struct ledger *l, uint32_t offset, uint32_t limit,
    struct json_object **out);

/* An audit, consistent (the variant's) or plain (unlocked reads). */
int api_audit(struct ledger *l, bool is_consistent, struct json_object **out);

/* The ledger: name, variants, accounts, total, books, check, repairs. */
int api_ledger(const struct ledger *l, struct json_object **out);

/* The slots: pid, holds, waits, state, variant. */
int api_processes(const struct ledger *l, struct json_object **out);

/* {"error": msg} */
struct json_object *api_error(const char *msg);

/* The HTTP status for a code of the library (0: 200). */
unsigned api_status(int code);

#endif
