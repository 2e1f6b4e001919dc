/*
 * parse: numbers and variants from the command line, refused unless exact.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "lab.h"
#include "ledger.h"
#include "parse.h"

int
parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	/* strtoll skips blanks and takes '+': a strict parser does not. */
	if (s == NULL || !(*s == '-' || (*s >= '0' && *s <= '9')))
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || *end != '\0' || (s[0] == '-' && s[1] == '\0'))
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int
parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (s == NULL || !(*s >= '0' && *s <= '9'))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0')
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int
parse_num_opt(const char *prog, const char *what, const char *s, int64_t min,
    int64_t max, int64_t *out)
{
	int r = parse_i64(s, min, max, out);

	if (r == -EINVAL)
		fprintf(stderr, "%s: %s: \"%s\" is not a number\n", prog, what,
		    s);
	else if (r < 0)
		fprintf(stderr, "%s: %s: \"%s\" is not between %" PRId64
		    " and %" PRId64 "\n", prog, what, s, min, max);
	return r < 0 ? -1 : 0;
}

int
parse_sync(const char *prog, const char *s, int dflt, int *out)
{
	const char *what = "--sync";
	enum sync_kind k;

	if (s == NULL) {
		s = getenv("BANKLAB_SYNC");
		what = "BANKLAB_SYNC";
		if (s == NULL || *s == '\0') {
			*out = dflt;
			return 0;
		}
	}
	if (ledger_sync_parse(s, &k) < 0) {
		fprintf(stderr, "%s: %s: \"%s\" is not a variant (none, "
		    "semaphore, robust, ordered)\n", prog, what, s);
		return -1;
	}
	*out = (int)k;
	return 0;
}

int
parse_bad_option(const char *prog, int ch, char *const argv[])
{
	fprintf(stderr, ch == ':' ? "%s: %s needs a value\n" :
	    "%s: \"%s\" is not an option (--help)\n", prog, argv[optind - 1]);
	return LAB_EXIT_USAGE;
}

int
parse_no_operands(const char *prog, int argc, char *const argv[])
{
	if (optind >= argc)
		return 0;
	fprintf(stderr, "%s: unexpected \"%s\" (--help)\n", prog,
	    argv[optind]);
	return LAB_EXIT_USAGE;
}
