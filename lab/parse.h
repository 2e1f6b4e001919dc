/*
 * parse: strict numbers, for every parser of outside input (schedule
 * files here, the programs' options in scenarios/cli.c).  Lowest layer,
 * beside lab.h: no I/O, no environment.
 *
 * Contract: a number is all digits (an optional leading '-' where the range
 * allows one), in [min, max], nothing after it; anything else is refused
 * with -EINVAL (junk) or -ERANGE (out of range).
 */
#ifndef LAB_PARSE_H
#define LAB_PARSE_H

#include <stdint.h>

int parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

#endif
