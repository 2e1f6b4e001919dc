/*
 * cli_worker: the words after `banklab worker`, read back into a spec by
 * the library's table of the worker's options (lab/worker_argv.h), which
 * built them when a program started the worker.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli_worker.h"
#include "ledger.h"
#include "parse.h"
#include "worker.h"

/* The table's entry for word w ("--ops" or "--ops=5"), or -1. */
static int
cli_worker_find(const char *w, const char **value)
{
	size_t n;
	int i;

	for (i = 0; i < WORKER_ARG_COUNT; i++) {
		n = strlen(worker_args[i].name);
		if (strncmp(w, worker_args[i].name, n) != 0)
			continue;
		if (w[n] == '\0') {
			*value = NULL;
			return i;
		}
		if (w[n] == '=' && worker_args[i].type != WA_FLAG) {
			*value = w + n + 1;
			return i;
		}
	}
	return -1;
}

/* Take option a's value v into s. */
static int
cli_worker_take(struct worker_spec *s, int a, const char *v)
{
	const struct worker_arg_def *d = &worker_args[a];
	int64_t n = 0;
	int r;

	switch (d->type) {
	case WA_FLAG:
		break;
	case WA_NUM:
		if ((r = parse_i64(v, d->min, d->max, &n)) < 0)
			return r;
		break;
	case WA_SYNC:
		if (ledger_sync_parse(v, &s->sync) < 0)
			return -EINVAL;
		break;
	case WA_MIX:
		if (worker_mix_parse(v, &s->mix) < 0)
			return -EINVAL;
		break;
	case WA_TEXT:
		worker_spec_give_text(s, (enum worker_arg)a, v);
		return 0;
	}
	worker_spec_give(s, (enum worker_arg)a, n);
	return 0;
}

int
cli_worker_parse(int argc, char *const argv[], struct worker_spec *s,
    int *bad)
{
	const char *v;
	int i, a, r;

	worker_spec_init(s);
	for (i = 0; i < argc; i++) {
		*bad = i;
		if (argv[i][0] != '-' || argv[i][1] == '\0') {
			if (s->ledger != NULL)
				return -EINVAL;	/* a second NAME */
			s->ledger = argv[i];
			continue;
		}
		if ((a = cli_worker_find(argv[i], &v)) < 0)
			return -EINVAL;
		if (v == NULL && worker_args[a].type != WA_FLAG) {
			if (i + 1 == argc)
				return -EINVAL;	/* the value is missing */
			v = argv[++i];
		}
		if ((r = cli_worker_take(s, a, v)) < 0)
			return r;
	}
	*bad = argc;
	return s->ledger == NULL ? -EINVAL : 0;
}

const char *
cli_worker_explain(int argc, char *const argv[], int bad, int rc, char *buf,
    size_t len)
{
	const struct worker_arg_def *d;
	const char *v, *w;
	int a;

	if (bad >= argc) {
		snprintf(buf, len, "needs a ledger NAME");
		return buf;
	}
	w = argv[bad];
	if (w[0] != '-' || w[1] == '\0') {
		snprintf(buf, len, "\"%s\": one ledger NAME only", w);
		return buf;
	}
	if ((a = cli_worker_find(w, &v)) < 0) {
		snprintf(buf, len, "%s: unknown option", w);
		return buf;
	}
	d = &worker_args[a];
	if (v == NULL)
		v = bad + 1 < argc ? argv[bad + 1] : NULL;
	if (v == NULL)
		snprintf(buf, len, "%s: needs a value", d->name);
	else if (d->type == WA_SYNC)
		snprintf(buf, len, "%s: \"%s\" is not a variant (none, "
		    "semaphore, robust, ordered)", d->name, v);
	else if (d->type == WA_MIX)
		snprintf(buf, len, "%s: \"%s\" is not a mix (transfer, "
		    "deposit, withdraw, mixed, audit)", d->name, v);
	else if (rc == -ERANGE)
		snprintf(buf, len, "%s: \"%s\" is not between %" PRId64
		    " and %" PRId64, d->name, v, d->min, d->max);
	else
		snprintf(buf, len, "%s: \"%s\" is not a number", d->name, v);
	return buf;
}
