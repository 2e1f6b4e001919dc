/*
 * fuzz_api: a request body into a bank operation (api_parse_op(), in
 * lab/api.c), what `banklab serve`'s tellers run on every POST.
 *
 * The input: its first byte names the endpoint ('w' withdraw, 't'
 * transfer, anything else deposit), the rest is the body, copied to a
 * buffer of exactly its size (no NUL after it: the parser must not read
 * past the end).  What it accepts must be an operation the bank takes:
 * accounts in range, from != to, cents in 1 .. LEDGER_AMOUNT_MAX; what it
 * refuses it must say why in one line.
 */
#include <string.h>

#include "api.h"
#include "fuzz.h"
#include "ledger.h"

#define FUZZ_API_ACCOUNTS	100

int
fuzz_api(const uint8_t *data, size_t size)
{
	enum api_op_kind kind = API_DEPOSIT;
	struct api_op op;
	char why[160];
	char *body;
	int r;

	if (size > 0 && data[0] == 'w')
		kind = API_WITHDRAW;
	else if (size > 0 && data[0] == 't')
		kind = API_TRANSFER;
	size = size > 0 ? size - 1 : 0;
	if ((body = malloc(size > 0 ? size : 1)) == NULL)
		return -1;
	if (size > 0)
		memcpy(body, data + 1, size);
	memset(&op, 0xa5, sizeof(op));
	r = api_parse_op(kind, body, size, FUZZ_API_ACCOUNTS, &op, why,
	    sizeof(why));
	free(body);
	if (r < 0) {
		FUZZ_REQUIRE(why[0] != '\0' && strchr(why, '\n') == NULL);
		return r;
	}
	FUZZ_REQUIRE(op.kind == kind);
	FUZZ_REQUIRE(op.account < FUZZ_API_ACCOUNTS);
	FUZZ_REQUIRE(op.cents >= 1 && op.cents <= LEDGER_AMOUNT_MAX);
	if (kind == API_TRANSFER)
		FUZZ_REQUIRE(op.to < FUZZ_API_ACCOUNTS && op.to != op.account);
	return 0;
}

#ifdef FUZZ_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)fuzz_api(data, size);
	return 0;	/* libFuzzer reserves other values */
}
#endif
