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
#include "trace.h"

void
run_build_argv(struct worker_argv *a, const char *prog, const struct ledger *l,
    const struct run_config *c, const struct worker_config *w, uint64_t seed,
    uint64_t gate)
{
	struct worker_spec s;
	struct worker_config each = *w;

	each.seed = seed;
	each.gate = gate;
	each.gate_count = c->procs;
	worker_spec_init(&s);
	worker_spec_from_config(&s, &each);
	s.ledger = l->name;
	s.sync = c->sync;
	s.given |= WORKER_ARG(WORKER_ARG_JSON) | WORKER_ARG(WORKER_ARG_SYNC);
	s.parent = getpid();
	s.window = c->window;
	s.lock_timeout = c->lock_timeout_ms;
	s.given |= WORKER_ARG(WORKER_ARG_PARENT) |
	    WORKER_ARG(WORKER_ARG_WINDOW) | WORKER_ARG(WORKER_ARG_LOCK_TIMEOUT);
	if (c->is_by_fd)
		worker_spec_give(&s, WORKER_ARG_LEDGER_FD, l->fd);
	/* Traced: each worker writes its own records beside ours. */
	if (l->trace != NULL) {
		worker_spec_give_text(&s, WORKER_ARG_TRACE_DIR, l->trace->dir);
		worker_spec_give_text(&s, WORKER_ARG_ROLE,
		    w->mix == WORKER_AUDIT ? "auditor" : "worker");
	}
	worker_argv_build(a, prog, &s);
}

int
run_spawn(struct spawn_set *set, const struct ledger *l,
    const struct run_config *c, const struct worker_argv *a)
{
	return spawn_start_fd(set, a->argv, c->is_by_fd ? l->fd : -1);
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
	struct worker_argv *av;
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
	if ((rc = spawn_worker_path(c->worker, prog, sizeof(prog))) < 0) {
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
		if ((rc = run_spawn(&set, l, c, av)) < 0)
			goto out;
	}
	bank_trace_books(l);
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
	bank_trace_books(l);
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
