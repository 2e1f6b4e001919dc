/*
 * fuzz: one target per parser of outside input, callable any number of
 * times in one process (libFuzzer's, or tests/check_fuzz's replay).
 *
 * Contract: fuzz_NAME(data, size) feeds one input to its parser(s) and
 * returns 0 if the main parser accepted it, or that parser's negative
 * code if it refused it.  It abort()s when a parser accepts something out
 * of range (an over-permissive parser is a finding, like a crash), and it
 * leaves nothing behind: no globals, files, shared memory or output.
 * With -DFUZZ_LIBFUZZER each file also defines LLVMFuzzerTestOneInput().
 */
#ifndef FUZZ_FUZZ_H
#define FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* sched_parse_text(), sched_parse_perm(), sched_parse_ops(). */
int fuzz_sched(const uint8_t *data, size_t size);

/* ledger_validate() on the input as a mapping, then the readers. */
int fuzz_ledger(const uint8_t *data, size_t size);

/* lesson_parse() on the input as argv, and parse_i64()/parse_u64(). */
int fuzz_options(const uint8_t *data, size_t size);

/* api_parse_op(): a request body of banklab serve into an operation. */
int fuzz_api(const uint8_t *data, size_t size);

/*
 * A property the parser broke: say which, then abort() so that libFuzzer
 * saves the input and the replay test fails.  Targets check only after
 * they have put back any stream they silenced.
 */
#define FUZZ_REQUIRE(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: broken: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

#endif
