/*
 * parse: strict parsing of what programs are given on their command line.
 *
 * Contract: a number is all digits (an optional leading '-' where the range
 * allows one), in [min, max], nothing after it; anything else is refused
 * with -EINVAL (junk) or -ERANGE (out of range).  parse_fail() prints the
 * one line every banklab program uses for bad usage:
 *   banklab: --procs: "0" is not between 1 and 256
 */
#ifndef LAB_PARSE_H
#define LAB_PARSE_H

#include <stdint.h>

int parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/*
 * Parse s into *out or print why not ("PROG: WHAT: "S" is not between MIN
 * and MAX" / "... is not a number") and return -1.
 */
int parse_num_opt(const char *prog, const char *what, const char *s,
    int64_t min, int64_t max, int64_t *out);

/*
 * A getopt_long() loop (opterr = 0, optstring starting with ':') returned
 * ch for a bad option: ':' is a missing value, anything else an unknown
 * option.  Prints the one line and returns LAB_EXIT_USAGE.
 */
int parse_bad_option(const char *prog, int ch, char *const argv[]);

/* After the options: 0, or one line and LAB_EXIT_USAGE if words remain. */
int parse_no_operands(const char *prog, int argc, char *const argv[]);

/* The variant named by s, or BANKLAB_SYNC if s is NULL, or dflt. */
int parse_sync(const char *prog, const char *s, int dflt, int *out);

#endif
