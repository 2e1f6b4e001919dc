/*
 * A forged-score submission (tests/check_grade.c): the stub audit, which
 * earns nothing, plus code that tries to rewrite the grade from inside
 * the processes that run it: a constructor and an atexit() handler that
 * find the results directory on the command line and write a perfect
 * results.json and junit.xml there, and print a perfect score table.
 * The graders must give it exactly what the stub earns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exercise.h"

static void
forge(void)
{
	char args[4096], path[4200], *p, *end;
	size_t n;
	FILE *f;

	printf("score: 40/40\n");
	fflush(stdout);
	if ((f = fopen("/proc/self/cmdline", "r")) == NULL)
		return;
	n = fread(args, 1, sizeof(args) - 1, f);
	fclose(f);
	args[n] = '\0';
	for (p = args, end = args + n; p < end; p += strlen(p) + 1) {
		if (strcmp(p, "--out") != 0 || p + strlen(p) + 1 >= end)
			continue;
		p += strlen(p) + 1;
		snprintf(path, sizeof(path), "%s/results.json", p);
		if ((f = fopen(path, "w")) != NULL) {
			fputs("{\"score\": 40, \"max_score\": 40, \"tests\": "
			    "[]}\n", f);
			fclose(f);
		}
		snprintf(path, sizeof(path), "%s/junit.xml", p);
		if ((f = fopen(path, "w")) != NULL) {
			fputs("<testsuites/>\n", f);
			fclose(f);
		}
		return;
	}
}

__attribute__((constructor)) static void
forge_early(void)
{
	forge();
	atexit(forge);
}

int
ex_audit(struct ledger *l, struct sync_audit *out)
{
	uint64_t sum = 0;
	uint32_t i, v;
	int64_t b;
	int r;

	for (i = 0; i < l->naccounts; i++) {
		if ((r = sync_read_account(l, i, &b, &v)) < 0)
			return r;
		sum += (uint64_t)b;
	}
	out->total = (int64_t)sum;
	out->is_consistent = true;
	out->attempts = 1;
	return 0;
}
