/*
 * run: P workers, one start gate, P pipes, P reports.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"
#include "run.h"
#include "sync_impl.h"

static void
arg_str(struct run_argv *a, const char *s)
{
	if (a->argc < RUN_ARGS - 1)
		a->argv[a->argc++] = lab_unconst(s);
}

static void
arg_num(struct run_argv *a, const char *opt, int64_t v)
{
	int k = a->argc + 1;

	if (k >= RUN_ARGS - 1)
		return;
	snprintf(a->num[k], RUN_ARG_LEN, "%" PRId64, v);
	a->argv[a->argc] = lab_unconst(opt);
	a->argv[k] = a->num[k];
	a->argc = k + 1;
}

void
run_build_argv(struct run_argv *a, const char *prog, const struct ledger *l,
    const struct run_config *c, const struct worker_config *w, uint64_t seed,
    uint64_t gate)
{
	a->argc = 0;
	arg_str(a, prog);
	arg_str(a, "worker");
	arg_str(a, l->name);
	arg_str(a, "--json");
	arg_num(a, "--parent", getpid());
	arg_str(a, "--sync");
	arg_str(a, ledger_sync_name(c->sync));
	arg_str(a, "--mix");
	arg_str(a, worker_mix_name(w->mix));
	arg_num(a, "--ops", (int64_t)w->ops);
	arg_num(a, "--seed", (int64_t)seed);
	arg_num(a, "--max-amount", w->max_amount);
	arg_num(a, "--gate", (int64_t)gate);
	arg_num(a, "--gate-count", c->procs);
	arg_num(a, "--window", c->window);
	arg_num(a, "--lock-timeout", c->lock_timeout_ms);
	if (w->from >= 0) {
		arg_num(a, "--from", w->from);
		arg_num(a, "--to", w->to);
	}
	if (w->die_step != 0) {
		arg_num(a, "--die-step", w->die_step);
		arg_num(a, "--die-after", (int64_t)w->die_after);
	}
	if (w->stop_on_error)
		arg_str(a, "--stop-on-error");
	if (w->ascending)
		arg_str(a, "--ascending");
	if (w->until_ops != 0)
		arg_num(a, "--until-ops", (int64_t)w->until_ops);
	a->argv[a->argc] = NULL;
}

void
run_config_default(struct run_config *c)
{
	memset(c, 0, sizeof(*c));
	c->procs = 2;
	worker_config_default(&c->w);
	c->sync = SYNC_NONE;
	c->lock_timeout_ms = LEDGER_LOCK_TIMEOUT_MS;
	c->timeout_ms = 60000;
}

struct run_tick {
	struct ledger *l;
	const struct run_config *c;
	uint64_t gate;
	bool is_open;
	uint64_t start_ms;
};

/* Open the gate once every worker waits at it; then the caller's watch. */
static int
run_tick(struct spawn_set *set, void *arg)
{
	struct run_tick *t = arg;
	unsigned i, reaped = 0;

	if (!t->is_open) {
		for (i = 0; i < set->n; i++)
			reaped += set->child[i].is_reaped;
		/*
		 * All ready, or some died before the gate (they will never
		 * arrive), or too long: open it and let the run show what
		 * happened, rather than wait forever.
		 */
		if (ledger_gate_ready(t->l, t->gate) + reaped >= t->c->procs ||
		    sync_now_ms() - t->start_ms > 10000) {
			atomic_store_explicit(&t->l->hdr->start_gate, t->gate,
			    memory_order_release);
			t->is_open = true;
			if (t->c->is_private)
				ledger_unlink(t->l->name);
		}
		return 0;
	}
	if (t->c->watch != NULL)
		return t->c->watch(t->l, set, t->c->watch_arg);
	return 0;
}

int
run_workers(struct ledger *l, const struct run_config *c,
    struct run_result *r)
{
	char prog[4096];
	struct spawn_set set;
	struct run_argv *av;
	struct run_tick tick = { l, c, 0, false, 0 };
	double start;
	unsigned i;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	if (c->procs == 0 || c->procs > RUN_PROCS_MAX)
		return -EINVAL;
	if ((r->w = calloc(c->procs, sizeof(*r->w))) == NULL)
		return -ENOMEM;
	if ((av = malloc(sizeof(*av))) == NULL) {
		free(r->w);
		r->w = NULL;
		return -ENOMEM;
	}
	r->n = c->procs;
	if ((rc = spawn_worker_path(prog, sizeof(prog))) < 0) {
		free(av);
		free(r->w);
		r->w = NULL;
		return rc;
	}
	spawn_init(&set);
	tick.gate = atomic_fetch_add(&l->hdr->next_gate, 1) + 1;
	tick.start_ms = sync_now_ms();
	start = lab_now_s();
	for (i = 0; i < c->procs; i++) {
		const struct worker_config *w = c->each ? &c->each[i] : &c->w;

		run_build_argv(av, prog, l, c, w,
		    c->each ? w->seed : w->seed + i, tick.gate);
		if ((rc = spawn_start(&set, av->argv)) < 0)
			goto out;
	}
	rc = spawn_wait(&set, c->timeout_ms, run_tick, &tick);
	if (rc == -ETIMEDOUT) {
		r->timed_out = true;
		rc = 0;
	} else if (rc > 0) {
		r->watch_rc = rc;
		spawn_kill(&set, SIGKILL);
		rc = spawn_wait(&set, 2000, NULL, NULL);
		rc = rc == -ETIMEDOUT ? 0 : rc;
	}
	r->elapsed_s = lab_now_s() - start;
	for (i = 0; i < set.n; i++) {
		struct spawn_child *ch = &set.child[i];
		struct run_worker *w = &r->w[i];

		w->status = ch->status;
		w->was_killed = ch->was_killed;
		spawn_describe(ch, w->how, sizeof(w->how));
		if (ch->out != NULL &&
		    worker_result_parse(ch->out, &w->res) == 0) {
			w->has_result = true;
			r->done += w->res.done;
			r->refused += w->res.refused;
			r->failed += w->res.failed;
			if (r->first_error == 0)
				r->first_error = w->res.first_error;
		}
	}
	bank_check(l, &r->check);
out:
	spawn_free(&set);
	free(av);
	return rc;
}

void
run_result_free(struct run_result *r)
{
	free(r->w);
	r->w = NULL;
	r->n = 0;
}
