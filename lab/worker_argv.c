/*
 * worker_argv: one table of the worker's options, and the vector built
 * from it (the program's side, scenarios/cli_worker.c, reads it back).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "lab.h"
#include "ledger.h"
#include "step.h"
#include "worker_argv.h"

const struct worker_arg_def worker_args[WORKER_ARG_COUNT] = {
#define NUM(f, lo, hi)	WA_NUM, lo, hi, offsetof(struct worker_spec, f)
#define TEXT(f)		WA_TEXT, 0, 0, offsetof(struct worker_spec, f)
	[WORKER_ARG_JSON] = { "--json", WA_FLAG, 0, 0, 0 },
	[WORKER_ARG_PARENT] = { "--parent", NUM(parent, 1, INT32_MAX) },
	[WORKER_ARG_SCHEDULED] = { "--scheduled", WA_FLAG, 0, 0, 0 },
	[WORKER_ARG_REUSE] = { "--reuse", WA_FLAG, 0, 0, 0 },
	[WORKER_ARG_SYNC] = { "--sync", WA_SYNC, 0, 0, 0 },
	[WORKER_ARG_MIX] = { "--mix", WA_MIX, 0, 0, 0 },
	[WORKER_ARG_OPS] = { "--ops", NUM(ops, 0, 1000000000) },
	[WORKER_ARG_SEED] = { "--seed", NUM(seed, 0, INT64_MAX) },
	[WORKER_ARG_MAX_AMOUNT] = { "--max-amount",
	    NUM(max_amount, 1, LEDGER_AMOUNT_MAX) },
	[WORKER_ARG_GATE] = { "--gate", NUM(gate, 0, INT64_MAX) },
	[WORKER_ARG_GATE_COUNT] = { "--gate-count",
	    NUM(gate_count, 1, LEDGER_SLOTS) },
	[WORKER_ARG_WINDOW] = { "--window", NUM(window, 0, 100000) },
	[WORKER_ARG_LOCK_TIMEOUT] = { "--lock-timeout",
	    NUM(lock_timeout, 1, 3600000) },
	[WORKER_ARG_FROM] = { "--from",
	    NUM(from, 0, LEDGER_ACCOUNTS_MAX - 1) },
	[WORKER_ARG_TO] = { "--to", NUM(to, 0, LEDGER_ACCOUNTS_MAX - 1) },
	[WORKER_ARG_DIE_STEP] = { "--die-step",
	    NUM(die_step, 1, STEP_COUNT - 1) },
	[WORKER_ARG_DIE_AFTER] = { "--die-after",
	    NUM(die_after, 0, INT64_MAX) },
	[WORKER_ARG_STOP_ON_ERROR] = { "--stop-on-error", WA_FLAG, 0, 0, 0 },
	[WORKER_ARG_ASCENDING] = { "--ascending", WA_FLAG, 0, 0, 0 },
	[WORKER_ARG_UNTIL_OPS] = { "--until-ops",
	    NUM(until_ops, 1, INT64_MAX) },
	[WORKER_ARG_SCRIPT] = { "--script", TEXT(script) },
	[WORKER_ARG_LEDGER_FD] = { "--ledger-fd", NUM(ledger_fd, 3, INT32_MAX) },
	[WORKER_ARG_TRACE_DIR] = { "--trace-dir", TEXT(trace_dir) },
	[WORKER_ARG_ROLE] = { "--role", TEXT(role) },
#undef TEXT
#undef NUM
};

/* A number field of the spec, by the table's offset. */
static int64_t
worker_arg_get(const struct worker_spec *s, const struct worker_arg_def *d)
{
	int64_t v;

	memcpy(&v, (const char *)s + d->off, sizeof(v));
	return v;
}

static void
worker_arg_put(struct worker_spec *s, const struct worker_arg_def *d,
    int64_t v)
{
	memcpy((char *)s + d->off, &v, sizeof(v));
}

const char *
worker_arg_name(enum worker_arg a)
{
	return (unsigned)a < WORKER_ARG_COUNT ? worker_args[a].name : NULL;
}

void
worker_spec_init(struct worker_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->sync = SYNC_NONE;
	s->mix = WORKER_TRANSFER;
}

void
worker_spec_give(struct worker_spec *s, enum worker_arg a, int64_t v)
{
	s->given |= WORKER_ARG(a);
	if (worker_args[a].type == WA_NUM)
		worker_arg_put(s, &worker_args[a], v);
}

void
worker_spec_give_text(struct worker_spec *s, enum worker_arg a,
    const char *v)
{
	if ((unsigned)a >= WORKER_ARG_COUNT || worker_args[a].type != WA_TEXT)
		return;
	s->given |= WORKER_ARG(a);
	memcpy((char *)s + worker_args[a].off, &v, sizeof(v));
}

const char *
worker_spec_text(const struct worker_spec *s, enum worker_arg a)
{
	const char *v;

	if ((unsigned)a >= WORKER_ARG_COUNT || worker_args[a].type != WA_TEXT)
		return NULL;
	memcpy(&v, (const char *)s + worker_args[a].off, sizeof(v));
	return v;
}

void
worker_spec_from_config(struct worker_spec *s, const struct worker_config *w)
{
	struct worker_config d;

	worker_config_default(&d);
	s->mix = w->mix;
	s->given |= WORKER_ARG(WORKER_ARG_MIX);
	worker_spec_give(s, WORKER_ARG_OPS, (int64_t)w->ops);
	worker_spec_give(s, WORKER_ARG_SEED, (int64_t)w->seed);
	worker_spec_give(s, WORKER_ARG_MAX_AMOUNT, w->max_amount);
	if (w->from >= 0) {
		worker_spec_give(s, WORKER_ARG_FROM, w->from);
		worker_spec_give(s, WORKER_ARG_TO, w->to);
	}
	if (w->gate != d.gate)
		worker_spec_give(s, WORKER_ARG_GATE, (int64_t)w->gate);
	if (w->gate_count != d.gate_count)
		worker_spec_give(s, WORKER_ARG_GATE_COUNT, w->gate_count);
	if (w->die_step != 0) {
		worker_spec_give(s, WORKER_ARG_DIE_STEP, w->die_step);
		worker_spec_give(s, WORKER_ARG_DIE_AFTER,
		    (int64_t)w->die_after);
	}
	if (w->stop_on_error)
		worker_spec_give(s, WORKER_ARG_STOP_ON_ERROR, 0);
	if (w->ascending)
		worker_spec_give(s, WORKER_ARG_ASCENDING, 0);
	if (w->until_ops != 0)
		worker_spec_give(s, WORKER_ARG_UNTIL_OPS, (int64_t)w->until_ops);
}

void
worker_spec_config(const struct worker_spec *s, struct worker_config *w)
{
	worker_config_default(w);
#define HAS(a)	(s->given & WORKER_ARG(WORKER_ARG_##a))
	if (HAS(MIX))
		w->mix = s->mix;
	if (HAS(OPS))
		w->ops = (uint64_t)s->ops;
	if (HAS(SEED))
		w->seed = (uint64_t)s->seed;
	if (HAS(MAX_AMOUNT))
		w->max_amount = s->max_amount;
	if (HAS(FROM))
		w->from = s->from;
	if (HAS(TO))
		w->to = s->to;
	if (HAS(GATE))
		w->gate = (uint64_t)s->gate;
	if (HAS(GATE_COUNT))
		w->gate_count = (unsigned)s->gate_count;
	if (HAS(DIE_STEP))
		w->die_step = (unsigned)s->die_step;
	if (HAS(DIE_AFTER))
		w->die_after = (uint64_t)s->die_after;
	w->stop_on_error = HAS(STOP_ON_ERROR) != 0;
	w->ascending = HAS(ASCENDING) != 0;
	if (HAS(UNTIL_OPS))
		w->until_ops = (uint64_t)s->until_ops;
#undef HAS
}

void
worker_argv_build(struct worker_argv *a, const char *prog,
    const struct worker_spec *s)
{
	const struct worker_arg_def *d;
	unsigned i;
	int k = 0;

	a->argv[k++] = lab_unconst(prog);
	a->argv[k++] = lab_unconst("worker");
	a->argv[k++] = lab_unconst(s->ledger);
	for (i = 0; i < WORKER_ARG_COUNT; i++) {
		if ((s->given & WORKER_ARG(i)) == 0)
			continue;
		d = &worker_args[i];
		a->argv[k++] = lab_unconst(d->name);
		switch (d->type) {
		case WA_FLAG:
			continue;
		case WA_NUM:
			snprintf(a->num[i], sizeof(a->num[i]), "%" PRId64,
			    worker_arg_get(s, d));
			a->argv[k++] = a->num[i];
			break;
		case WA_SYNC:
			a->argv[k++] = lab_unconst(ledger_sync_name(s->sync));
			break;
		case WA_MIX:
			a->argv[k++] = lab_unconst(worker_mix_name(s->mix));
			break;
		case WA_TEXT:
			a->argv[k++] = lab_unconst(worker_spec_text(s,
			    (enum worker_arg)i));
			break;
		}
	}
	a->argv[k] = NULL;
	a->argc = k;
}

