/*
 * fuzz_options: the lessons' option parser (lesson_parse(), in
 * scenarios/lesson.c) and the number parsers under it (lab/parse.c).
 *
 * The input is a command line: arguments separated by NUL or newline
 * bytes (a last separator ends the last argument), the first being the
 * program's name, whose lesson ("...banklab-crash") picks the parser's
 * lesson (race otherwise).  What the parser lets run must be in the
 * ranges its --help promises.  Each argument also goes to parse_i64() and
 * parse_u64(), which must accept exactly the plain decimal numbers in
 * range.  The parser's messages go to /dev/null: stdout and stderr are
 * swapped for the call (glibc lets a program assign them), while
 * libFuzzer and the sanitizers keep writing to fd 2.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <string.h>

#include "fuzz.h"
#include "lab.h"
#include "parse.h"
#include "scenario.h"
#include "scenarios/cli.h"
#include "scenarios/lesson.h"
#include "step.h"

/* The lesson whose program name ends argv[0], race if none. */
static enum scenario_kind
fuzz_lesson(const char *prog)
{
	size_t n = strlen(prog), m;
	int k;

	for (k = 0; k < SCENARIO_COUNT; k++) {
		m = strlen(scenario_name((enum scenario_kind)k));
		if (n >= m && strcmp(prog + n - m,
		    scenario_name((enum scenario_kind)k)) == 0)
			return (enum scenario_kind)k;
	}
	return SCENARIO_RACE;
}

/* "-"? digits, and how many digits. */
static bool
fuzz_is_decimal(const char *s, bool is_signed, size_t *digits)
{
	size_t i = is_signed && s[0] == '-' ? 1 : 0, start = i;

	while (s[i] >= '0' && s[i] <= '9')
		i++;
	*digits = i - start;
	return s[i] == '\0' && i > start;
}

/* Strict both ways: accepted means decimal and in range, and back. */
static void
fuzz_numbers(const char *s)
{
	uint64_t u;
	int64_t v;
	size_t digits;
	bool is_dec;
	int r;

	is_dec = fuzz_is_decimal(s, true, &digits);
	if (parse_i64(s, -1000, 1000, &v) == 0)
		FUZZ_REQUIRE(is_dec && v >= -1000 && v <= 1000);
	r = parse_i64(s, INT64_MIN, INT64_MAX, &v);
	FUZZ_REQUIRE(r != 0 || is_dec);
	FUZZ_REQUIRE(r == 0 || !is_dec || digits > 18);
	is_dec = fuzz_is_decimal(s, false, &digits);
	if (parse_u64(s, 1, 1000, &u) == 0)
		FUZZ_REQUIRE(is_dec && u >= 1 && u <= 1000);
	r = parse_u64(s, 0, UINT64_MAX, &u);
	FUZZ_REQUIRE(r != 0 || is_dec);
	FUZZ_REQUIRE(r == 0 || !is_dec || digits > 19);
}

/* What the parser lets run is what --help promises. */
static void
fuzz_check_opts(const struct scenario_opts *o)
{
	FUZZ_REQUIRE((unsigned)o->sync < SYNC_COUNT);
	FUZZ_REQUIRE(o->procs >= 1 && o->procs < RUN_PROCS_MAX);
	FUZZ_REQUIRE(o->accounts >= 2 && o->accounts <= LEDGER_ACCOUNTS_MAX);
	FUZZ_REQUIRE(o->ops >= 1 && o->ops <= 100000000);
	FUZZ_REQUIRE(o->seed <= INT64_MAX / 2);
	FUZZ_REQUIRE(o->timeout_ms >= 100 && o->timeout_ms <= 3600000);
	FUZZ_REQUIRE(o->window <= 100000);
	FUZZ_REQUIRE(step_name(o->die_step) != NULL);
	if (o->kind == SCENARIO_CRASH)
		FUZZ_REQUIRE(o->kills <= o->procs && o->die_after <= o->ops);
	if (o->kind == SCENARIO_STALE || o->kind == SCENARIO_DEADLOCK)
		FUZZ_REQUIRE(o->procs >= 2);
	FUZZ_REQUIRE(o->sched.permutation >= 0 &&
	    o->sched.permutation <= SCHED_PERMS_MAX);
	FUZZ_REQUIRE(o->sched.depth >= 1 && o->sched.depth <= 8);
	FUZZ_REQUIRE(o->sched.runs >= 1 && o->sched.runs <= 1000000);
	FUZZ_REQUIRE(o->sched.repeat >= 1 && o->sched.repeat <= 100000);
}

int
fuzz_options(const uint8_t *data, size_t size)
{
	struct scenario_opts o;
	FILE *null, *out, *err;
	char *buf, **argv;
	size_t i;
	int argc, r;

	/* A copy with one NUL more: every argument ends in a NUL. */
	if ((buf = malloc(size + 1)) == NULL)
		return -ENOMEM;
	memcpy(buf, data, size);
	buf[size] = '\0';
	/* A last separator ends the last argument, it starts none. */
	if (size > 0 && (buf[size - 1] == '\n' || buf[size - 1] == '\0'))
		buf[--size] = '\0';
	argc = 1;
	for (i = 0; i < size; i++)
		if (buf[i] == '\n' || buf[i] == '\0') {
			buf[i] = '\0';
			argc++;
		}
	if ((argv = calloc((size_t)argc + 1, sizeof(*argv))) == NULL) {
		free(buf);
		return -ENOMEM;
	}
	argv[0] = buf;
	for (i = 0, argc = 1; i < size; i++)
		if (buf[i] == '\0')
			argv[argc++] = &buf[i + 1];
	for (i = 0; i < (size_t)argc; i++)
		fuzz_numbers(argv[i]);

	out = stdout;
	err = stderr;
	if ((null = fopen("/dev/null", "w")) != NULL)
		stdout = stderr = null;
	/* getopt_long keeps its place in static variables: start afresh. */
	optind = 0;
	r = lesson_parse(fuzz_lesson(argv[0]), argc, argv, &o);
	if (null != NULL) {
		stdout = out;
		stderr = err;
		fclose(null);
	}
	/* 0: run; -CLI_EDONE: --help or --version printed; bad usage. */
	FUZZ_REQUIRE(r == 0 || r == -CLI_EDONE || r == -CLI_EUSAGE);
	if (r == 0)
		fuzz_check_opts(&o);
	free(argv);
	free(buf);
	return r == -CLI_EUSAGE ? -EINVAL : 0;
}

#ifdef FUZZ_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)fuzz_options(data, size);
	return 0;	/* libFuzzer reserves other values */
}
#endif
