/*
 * sched_pool: the processes and the ledger a schedule's runs use, started
 * afresh or kept from the run before.
 *
 * A fresh start makes a private ledger, starts every process as `banklab
 * worker NAME --scheduled --reuse --script ...`, finds the slot each one
 * claims and waits until each is parked at its start; then, when the pool
 * is reused, it copies the whole segment (the snapshot).  Each worker
 * writes its report, one JSON line, and then parks at its end, where we
 * read it.  After a clean run the workers stay parked there; the next run
 * puts the segment back as the snapshot has it (the locks destroyed and
 * made anew as at create) and releases each worker towards STEP_START,
 * which a worker parked at its end takes for "run your script again".
 * Anything else ends the workers as a single run always did: the finished
 * released to exit, the rest SIGKILLed, all reaped; and the next run
 * starts afresh.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"
#include "sched_impl.h"
#include "schedule.h"
#include "step.h"
#include "sync.h"
#include "worker.h"
#include "worker_argv.h"

#define SCHED_WORKER_LOCK_MS	3000	/* a worker's lock waits */

int
sched_pool_open(const struct sched_spec *s, enum sync_kind v,
    bool is_reused, struct sched_pool **pp)
{
	struct sched_pool *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -ENOMEM;
	p->s = s;
	p->v = v;
	p->is_reused = is_reused;
	spawn_init(&p->set);
	*pp = p;
	return 0;
}

unsigned
sched_pool_starts(const struct sched_pool *p)
{
	return p->starts;
}

/*
 * The command line of a process that runs script: scheduled, kept between
 * runs, bound to us (it ends when we do).
 */
static void
pool_argv(const struct sched_pool *p, const char *prog, const char *script,
    const char *role, struct worker_argv *av)
{
	struct worker_spec ws;

	worker_spec_init(&ws);
	ws.ledger = p->name;
	ws.sync = p->v;
	ws.parent = getpid();
	ws.lock_timeout = SCHED_WORKER_LOCK_MS;
	ws.script = script;
	ws.given = WORKER_ARG(WORKER_ARG_JSON) |
	    WORKER_ARG(WORKER_ARG_SCHEDULED) | WORKER_ARG(WORKER_ARG_REUSE) |
	    WORKER_ARG(WORKER_ARG_PARENT) | WORKER_ARG(WORKER_ARG_SYNC) |
	    WORKER_ARG(WORKER_ARG_LOCK_TIMEOUT) | WORKER_ARG(WORKER_ARG_SCRIPT);
	if (p->l.trace != NULL) {
		worker_spec_give_text(&ws, WORKER_ARG_TRACE_DIR,
		    p->l.trace->dir);
		worker_spec_give_text(&ws, WORKER_ARG_ROLE, role);
	}
	worker_argv_build(av, prog, &ws);
}

/* Start the processes; each is process i of c, child i of the set. */
static int
pool_spawn(struct sched_pool *p, struct sched_ctx *c)
{
	char prog[4096], script[1024];
	struct worker_argv av;
	int i, k, rc;

	if ((rc = spawn_worker_path(c->s->worker, prog, sizeof(prog))) < 0)
		return sched_fail(c, rc, "cannot find the worker program",
		    lab_strerror(rc));
	for (i = 0; i < c->n; i++) {
		sched_format_ops(c->s->proc[i].op, c->s->proc[i].nops, script,
		    sizeof(script));
		pool_argv(p, prog, script, c->s->proc[i].name, &av);
		if ((k = spawn_start(&p->set, av.argv)) < 0)
			return sched_fail(c, k, "cannot start a worker",
			    strerror(-k));
		p->pid[i] = c->p[i].pid = p->set.child[k].pid;
		c->p[i].slot = -1;
		c->r->pid[i] = c->p[i].pid;
	}
	return 0;
}

/* Find each one's slot: it claims one when it attaches. */
static int
pool_find_slots(struct sched_pool *p, struct sched_ctx *c)
{
	uint64_t start = lab_now_ms();
	struct ledger_slot *s;
	int i, slot;

	for (i = 0; i < c->n; i++) {
		while (c->p[i].slot < 0) {
			for (slot = 0; slot < (int)p->l.nslots; slot++) {
				s = &p->l.slots[slot];
				if (atomic_load(&s->pid) == c->p[i].pid &&
				    atomic_load(&s->state) == LEDGER_SLOT_LIVE)
					c->p[i].slot = slot;
			}
			if (c->p[i].slot >= 0)
				break;
			if (sched_exited(c, i) ||
			    lab_now_ms() - start > SCHED_SETTLE_MS)
				return sched_fail(c, -LAB_EWORKER,
				    c->s->proc[i].name,
				    "did not attach to the ledger");
			sched_yield();
		}
		p->slot[i] = c->p[i].slot;
	}
	return 0;
}

/* A fresh ledger and fresh processes, each parked at its start. */
static int
pool_start(struct sched_pool *p, struct sched_ctx *c)
{
	struct ledger_config cfg = { .naccounts = c->s->accounts,
	    .sync = c->v, .balances = c->s->balance, .is_private = true };
	bool blocked[SCHED_PROCS_MAX];
	struct timespec ts;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* A caller's tag (a grader's) lets it sweep what a kill left. */
	snprintf(p->name, sizeof(p->name), "sched-%d-%.16s%lx", (int)getpid(),
	    c->s->run_tag != NULL ? c->s->run_tag : "",
	    (unsigned long)ts.tv_nsec);
	if ((rc = sync_create(p->name, &cfg, &p->l)) < 0)
		return sched_fail(c, rc, "cannot create the ledger",
		    lab_strerror(rc));
	sync_trace(&p->l, c->s->trace);
	p->fresh = p->l;
	p->starts++;
	if ((rc = pool_spawn(p, c)) < 0 || (rc = pool_find_slots(p, c)) < 0)
		return rc;
	/* Every worker has attached: the name has served. */
	ledger_unlink(p->name);
	if ((rc = sched_settle(c, blocked)) < 0)
		return rc;
	if (p->is_reused && (p->snap = malloc(p->l.size)) != NULL)
		memcpy(p->snap, p->l.hdr, p->l.size);
	return 0;
}

/*
 * Put the segment back as the snapshot has it.  Each lock is destroyed
 * and made anew as at create (no one holds one: the run was clean); of a
 * worker's slot, the words it is parked on stay as they are.
 */
static int
pool_restore(struct sched_pool *p)
{
	struct ledger *l = &p->l;
	unsigned char *base = (unsigned char *)l->hdr;
	size_t h = offsetof(struct ledger_header, sem_holder), at, lo, hi;
	uint32_t i;
	int k, rc;

	if ((rc = sync_renew_locks(l)) < 0)
		return rc;
	memcpy(base + h, p->snap + h, sizeof(struct ledger_header) - h);
	lo = offsetof(struct ledger_account, balance);
	for (i = 0; i < l->naccounts; i++) {
		at = (size_t)((unsigned char *)&l->acct[i] - base) + lo;
		memcpy(base + at, p->snap + at,
		    sizeof(struct ledger_account) - lo);
	}
	lo = offsetof(struct ledger_slot, sched_parked);
	hi = offsetof(struct ledger_slot, note_acct);
	for (i = 0; i < l->nslots; i++) {
		at = (size_t)((unsigned char *)&l->slots[i] - base);
		for (k = 0; k < p->s->nprocs && p->slot[k] != (int)i; k++)
			;
		if (k == p->s->nprocs) {
			memcpy(base + at, p->snap + at, sizeof(l->slots[i]));
			continue;
		}
		memcpy(base + at, p->snap + at, lo);
		memcpy(base + at + hi, p->snap + at + hi,
		    sizeof(l->slots[i]) - hi);
	}
	return 0;
}

/*
 * The workers of a clean run, parked at their end: the ledger put back,
 * each told to run again and parked at its start.
 */
static int
pool_again(struct sched_pool *p, struct sched_ctx *c)
{
	bool blocked[SCHED_PROCS_MAX];
	int i, rc;

	ledger_leave(&p->l);		/* what recovering joined */
	p->l = p->fresh;
	if ((rc = pool_restore(p)) < 0)
		return sched_fail(c, rc, "cannot reset the ledger",
		    lab_strerror(rc));
	for (i = 0; i < c->n; i++) {
		c->p[i].pid = p->pid[i];
		c->p[i].slot = p->slot[i];
		c->r->pid[i] = p->pid[i];
	}
	for (i = 0; i < c->n; i++)
		sched_release(c, i, STEP_START);
	if ((rc = sched_settle(c, blocked)) < 0)
		return rc;
	for (i = 0; i < c->n; i++) {
		c->p[i].target = 0;
		if (sched_parked_at(c, i) != STEP_START)
			return sched_fail(c, -LAB_EWORKER, c->s->proc[i].name,
			    "did not start its script again");
	}
	return 0;
}

/* Let process i, parked at its end, go on: it exits. */
static void
pool_quit(struct sched_pool *p, int i)
{
	struct ledger_slot *s = &p->l.slots[p->slot[i]];

	atomic_store(&s->sched_target, 0);
	atomic_store(&s->sched_parked, 0);
	atomic_fetch_add_explicit(&s->sched_go, 1, memory_order_release);
	step_wake(&s->sched_go);
}

/*
 * Wait until pid has exited (not reaped), until deadline at most: on its
 * pidfd, which says so the moment it does.  spawn_wait() then reaps at
 * once, where it would look again only a tick (20 ms) later if a child
 * closed its output a moment before it was a zombie.
 */
static void
pool_wait_exit(pid_t pid, uint64_t deadline)
{
	struct pollfd pfd = { -1, POLLIN, 0 };
	uint64_t now;

	if ((pfd.fd = (int)syscall(SYS_pidfd_open, pid, 0)) < 0)
		return;		/* gone already, or no pidfds: spawn waits */
	while ((now = lab_now_ms()) < deadline &&
	    poll(&pfd, 1, (int)(deadline - now)) == -1 && errno == EINTR)
		;
	close(pfd.fd);
}

void
sched_pool_stop(struct sched_pool *p)
{
	uint64_t deadline = lab_now_ms() + 5000;
	unsigned i;

	for (i = 0; i < p->set.n; i++) {
		if (p->set.child[i].is_reaped)
			continue;
		if (p->slot[i] >= 0 && atomic_load(
		    &p->l.slots[p->slot[i]].sched_parked) == STEP_END)
			pool_quit(p, (int)i);
		else
			kill(p->set.child[i].pid, SIGKILL);
	}
	for (i = 0; i < p->set.n; i++)
		if (!p->set.child[i].is_reaped)
			pool_wait_exit(p->set.child[i].pid, deadline);
	if (p->set.n > 0)
		spawn_wait(&p->set, 5000, NULL, NULL);
	spawn_free(&p->set);
	spawn_init(&p->set);
}

void
sched_pool_drop(struct sched_pool *p)
{
	if (p->l.hdr != NULL) {
		ledger_detach(&p->l);
		ledger_unlink(p->name);
	}
	free(p->snap);
	p->snap = NULL;
	p->is_live = false;
}

int
sched_pool_begin(struct sched_pool *p, struct sched_ctx *c)
{
	int i;

	if (!p->is_live)
		for (i = 0; i < c->n; i++)
			p->slot[i] = -1;
	else {
		if (pool_again(p, c) == 0)
			return 0;
		/* Start afresh instead: the run has not begun. */
		sched_pool_stop(p);
		sched_pool_drop(p);
		c->r->error[0] = '\0';
		c->r->steps = 0;
		c->r->nev = 0;
		for (i = 0; i < c->n; i++) {
			memset(&c->p[i], 0, sizeof(c->p[i]));
			p->slot[i] = -1;
		}
	}
	return pool_start(p, c);
}

void
sched_pool_close(struct sched_pool *p)
{
	if (p == NULL)
		return;
	sched_pool_stop(p);
	sched_pool_drop(p);
	free(p);
}
