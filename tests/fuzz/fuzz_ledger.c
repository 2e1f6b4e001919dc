/*
 * fuzz_ledger: the header/slot validator (ledger_validate()) on a mapping
 * anyone could have written.
 *
 * The input is the whole mapping: a 64-byte aligned copy of it, of exactly
 * its size (so AddressSanitizer sees any read past the end), is given to
 * ledger_validate() as the header and mapping size that attach would
 * pass.  What it accepts must describe accounts and slots that lie inside
 * the mapping, aligned: the handle is filled from it as attach does, and
 * the read-only code that walks a mapping (what `banklab show` prints: the
 * books, the check, the slots and their journals) runs on it, without
 * shared memory (no fd: a slot's owner reads as alive).
 */
#include <errno.h>
#include <stdalign.h>
#include <string.h>

#include "bank.h"
#include "fuzz.h"
#include "ledger.h"
#include "report.h"

/* Counts, offsets and sizes the rest of the library relies on. */
static void
fuzz_check_header(const struct ledger_header *h, size_t size)
{
	uint64_t accounts_end, slots_end;

	FUZZ_REQUIRE(h->size == size);
	FUZZ_REQUIRE(h->naccounts >= 1 &&
	    h->naccounts <= LEDGER_ACCOUNTS_MAX);
	FUZZ_REQUIRE(h->nslots == LEDGER_SLOTS);
	FUZZ_REQUIRE(h->sync < SYNC_COUNT);
	FUZZ_REQUIRE(h->initial_total >= 0 &&
	    h->initial_total <= LEDGER_BALANCE_MAX);
	FUZZ_REQUIRE(h->accounts_off >= sizeof(*h) &&
	    h->accounts_off % alignof(struct ledger_account) == 0);
	FUZZ_REQUIRE(h->slots_off % alignof(struct ledger_slot) == 0);
	/* No overflow: both counts are bounded above. */
	accounts_end = h->accounts_off +
	    (uint64_t)h->naccounts * sizeof(struct ledger_account);
	slots_end = h->slots_off +
	    (uint64_t)h->nslots * sizeof(struct ledger_slot);
	FUZZ_REQUIRE(h->accounts_off < size && accounts_end <= h->slots_off);
	FUZZ_REQUIRE(h->slots_off < size && slots_end <= size);
}

/* Everything an observer reads from a mapping, printed nowhere. */
static void
fuzz_walk(const struct ledger *l)
{
	struct ledger_counters books;
	struct bank_check c;
	char buf[160];
	uint32_t i;
	FILE *null;

	ledger_books(l, &books);
	bank_check(l, &c);
	for (i = 0; i < l->nslots; i++)
		(void)report_journal(l, (int)i, buf, sizeof(buf));
	(void)ledger_holder_of(l, 0);
	(void)ledger_gate_ready(l, 1);
	if ((null = fopen("/dev/null", "w")) != NULL) {
		report_show(null, l);
		fclose(null);
	}
}

int
fuzz_ledger(const uint8_t *data, size_t size)
{
	struct ledger_header *h;
	struct ledger l;
	void *map;
	int r;

	/*
	 * Exactly size bytes (at least 1: posix_memalign(0) may return
	 * NULL), aligned like a mapping, so a read past the end is caught.
	 */
	if (posix_memalign(&map, 64, size > 0 ? size : 1) != 0)
		return -ENOMEM;
	if (size > 0)
		memcpy(map, data, size);
	h = map;
	if ((r = ledger_validate(h, size)) == 0) {
		fuzz_check_header(h, size);
		ledger_fill(&l, h, size, -1, "fuzz");
		fuzz_walk(&l);
	}
	free(map);
	return r;
}

#ifdef FUZZ_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)fuzz_ledger(data, size);
	return 0;	/* libFuzzer reserves other values */
}
#endif
