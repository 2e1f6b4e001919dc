/*
 * sched_run: run a schedule across real processes, one step at a time.
 *
 * Handoff is through each worker's slot: the worker publishes the step it
 * is parked at and spins (then sleeps on a futex) on sched_go; the
 * scheduler sets the target, clears sched_parked and bumps sched_go.  No
 * syscall on the fast path, so a step costs about a cache-line round trip
 * between processes.  (The worker's side, parking: step.c; the processes
 * and the ledger, started or kept between runs: sched_pool.c.)
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"
#include "sched_impl.h"
#include "schedule.h"
#include "step.h"
#include "sync_impl.h"

/* ------------------------------------------------------------ scheduler */

/* Say why the run could not be made: "WHAT: WHY". */
int
sched_fail(struct sched_ctx *c, int code, const char *what, const char *why)
{
	snprintf(c->r->error, sizeof(c->r->error), "%.40s: %.100s", what, why);
	return code;
}

void
sched_result_event(struct sched_result *r, int proc,
    enum sched_event_kind kind, unsigned step, int64_t acct, int64_t value,
    int64_t waits, const char *how)
{
	struct sched_event *e;

	if (r->nev == r->cap) {
		int cap = r->cap ? 2 * r->cap : 64;
		struct sched_event *ev = realloc(r->ev, (size_t)cap *
		    sizeof(*ev));

		if (ev == NULL)
			return;		/* the timeline is cut, the run goes on */
		r->ev = ev;
		r->cap = cap;
	}
	e = &r->ev[r->nev++];
	e->proc = proc;
	e->kind = kind;
	e->step = step;
	e->acct = acct;
	e->value = value;
	e->waits = waits;
	e->how = how;
}

static void
sched_event(struct sched_ctx *c, int proc, enum sched_event_kind kind,
    unsigned step, int64_t acct, int64_t value, int64_t waits)
{
	sched_result_event(c->r, proc, kind, step, acct, value, waits, NULL);
	/* Every process is parked or blocked: the books are exact now. */
	bank_trace_books(c->l);
}

void
sched_result_taken(struct sched_result *r, int proc, unsigned step)
{
	struct sched_entry *t;

	if (r->ntaken % 64 == 0) {
		t = realloc(r->taken, (size_t)(r->ntaken + 64) * sizeof(*t));
		if (t == NULL)
			return;
		r->taken = t;
	}
	r->taken[r->ntaken].proc = proc;
	r->taken[r->ntaken].step = step;
	r->ntaken++;
}

static void
sched_taken(struct sched_ctx *c, int proc, unsigned step)
{
	sched_result_taken(c->r, proc, step);
}

static struct ledger_slot *
slot_of(const struct sched_ctx *c, int i)
{
	return &c->l->slots[c->p[i].slot];
}

static int
proc_of_slot(const struct sched_ctx *c, int slot)
{
	int i;

	for (i = 0; i < c->n; i++)
		if (c->p[i].slot == slot && slot >= 0)
			return i;
	return -1;
}

/* Asked without reaping: the pool reaps at the end. */
bool
sched_exited(const struct sched_ctx *c, int i)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)c->p[i].pid, &si,
	    WEXITED | WNOHANG | WNOWAIT) == -1)
		return true;
	return si.si_pid == c->p[i].pid;
}

unsigned
sched_parked_at(const struct sched_ctx *c, int i)
{
	if (c->p[i].is_dead || c->p[i].slot < 0)
		return 0;
	return atomic_load_explicit(&slot_of(c, i)->sched_parked,
	    memory_order_acquire);
}

static bool
is_finished(struct sched_ctx *c, int i)
{
	return c->p[i].is_dead || sched_parked_at(c, i) == STEP_END;
}

int
sched_holder_proc(const struct sched_ctx *c, int i)
{
	int64_t w = atomic_load(&slot_of(c, i)->waits);
	int h;

	if (w == LEDGER_WAIT_SEM)
		h = atomic_load(&c->l->hdr->sem_holder);
	else if (ledger_index_ok(c->l, w))
		h = ledger_holder_of(c->l, w);
	else
		return -1;
	return proc_of_slot(c, h);
}

/*
 * Which processes are blocked: waiting for a lock whose holder is parked
 * or itself blocked.  Such a process cannot move until we release someone,
 * so it is settled.  Computed as the largest such set, so that a cycle of
 * waits (a deadlock) counts as blocked.  (A dead holder's lock is handed
 * on by the kernel, so waiting for one is not being blocked.)
 */
void
sched_blocked(struct sched_ctx *c, bool *blocked)
{
	int holder[SCHED_PROCS_MAX], i;
	bool changed = true;

	for (i = 0; i < c->n; i++) {
		holder[i] = -1;
		blocked[i] = false;
		if (c->p[i].is_dead || sched_parked_at(c, i))
			continue;
		holder[i] = sched_holder_proc(c, i);
		blocked[i] = holder[i] >= 0 && holder[i] != i &&
		    !c->p[holder[i]].is_dead;
	}
	while (changed) {
		changed = false;
		for (i = 0; i < c->n; i++)
			if (blocked[i] && !sched_parked_at(c, holder[i]) &&
			    !blocked[holder[i]]) {
				blocked[i] = false;
				changed = true;
			}
	}
}

int
sched_settle(struct sched_ctx *c, bool *blocked)
{
	uint64_t start = sync_now_ms();
	unsigned spins = 0, still = 0;
	int i, moving;

	for (;;) {
		moving = 0;
		/* Exits are rare (a kill waits for its own): look now and
		 * then. */
		for (i = 0; i < c->n && spins % 256 == 0; i++)
			if (!c->p[i].is_dead && sched_exited(c, i))
				c->p[i].is_dead = true;
		sched_blocked(c, blocked);
		for (i = 0; i < c->n; i++)
			if (!c->p[i].is_dead && !sched_parked_at(c, i) &&
			    !blocked[i])
				moving++;
		/*
		 * Quiet twice, a yield apart: a waiter the kernel has just
		 * woken may still show the wait it is leaving.
		 */
		if (moving == 0 && ++still >= 2)
			break;
		if (moving == 0) {
			sched_yield();
			continue;
		}
		still = 0;
		if (sync_now_ms() - start > SCHED_SETTLE_MS)
			return sched_fail(c, -LAB_ETIMEDOUT, "a process",
			    "did not reach a step point within 5 s");
		if (++spins >= STEP_SPINS) {
			spins = 0;
			sched_yield();
		}
	}
	/* Record arrivals, waits and deaths since the last look. */
	for (i = 0; i < c->n; i++) {
		struct sched_proc_state *p = &c->p[i];
		unsigned at;
		uint32_t go;

		if (p->is_dead) {
			if (p->seen_step != STEP_KILL && !p->was_killed)
				sched_event(c, i, SCHED_EV_DIED, 0, -1, 0, 0);
			p->seen_step = STEP_KILL;
			continue;
		}
		at = sched_parked_at(c, i);
		go = atomic_load(&slot_of(c, i)->sched_go);
		if (at != 0 && (at != p->seen_step || go != p->seen_go)) {
			struct ledger_slot *s = slot_of(c, i);

			p->seen_step = at;
			p->seen_go = go;
			p->was_waiting = false;
			p->is_fresh = true;
			if (at == STEP_END)
				sched_event(c, i, SCHED_EV_DONE, at, -1, 0, 0);
			else if (at != STEP_START)
				sched_event(c, i, SCHED_EV_STEP, at,
				    atomic_load(&s->note_acct),
				    atomic_load(&s->note_value), 0);
		} else if (blocked[i] && !p->was_waiting) {
			p->was_waiting = true;
			sched_event(c, i, SCHED_EV_WAITING, 0, -1, 0,
			    atomic_load(&slot_of(c, i)->waits));
		}
	}
	return 0;
}

void
sched_release(struct sched_ctx *c, int i, unsigned target)
{
	struct ledger_slot *s = slot_of(c, i);

	c->p[i].target = target;
	atomic_store(&s->sched_target, target);
	atomic_store(&s->sched_parked, 0);
	atomic_fetch_add_explicit(&s->sched_go, 1, memory_order_release);
	step_wake(&s->sched_go);
	c->r->steps++;
}

/*
 * Settle; then take every process that is on its way to a target ("p1:
 * write_from" runs p1 through its reads first) one step point further,
 * lowest first, until each is there, finished or blocked.  One step point
 * at a time, so that every step it reaches is a row of the timeline; no
 * other process is released meanwhile, so the run is the one it was when
 * the worker ran through them unparked.  A blocked one moves on by itself
 * when its lock comes, parks at its next point and is taken on from there.
 */
static int
sched_advance(struct sched_ctx *c, bool *blocked)
{
	struct sched_proc_state *p;
	unsigned at;
	int i, rc;

	for (;;) {
		if ((rc = sched_settle(c, blocked)) < 0)
			return rc;
		for (i = 0; i < c->n; i++) {
			p = &c->p[i];
			if (p->target == 0 || (at = sched_parked_at(c, i)) == 0)
				continue;	/* none, or it is blocked */
			if (at == p->target || is_finished(c, i))
				p->target = 0;
			else
				break;
		}
		if (i == c->n)
			return 0;
		sched_release(c, i, c->p[i].target);
	}
}

static void
sched_kill(struct sched_ctx *c, int i)
{
	siginfo_t si;

	if (c->l->trace != NULL)
		trace_put(c->l->trace, TRACE_KILL, 0, c->p[i].pid, -1, 0, 0);
	kill(c->p[i].pid, SIGKILL);
	/* Wait (without reaping) until it is gone, files and all. */
	while (waitid(P_PID, (id_t)c->p[i].pid, &si, WEXITED | WNOWAIT) ==
	    -1 && errno == EINTR)
		;
	c->p[i].is_dead = true;
	c->p[i].was_killed = true;
	sched_event(c, i, SCHED_EV_KILLED, STEP_KILL, -1, 0, 0);
	c->p[i].seen_step = STEP_KILL;
}

/* ------------------------------------------------------------ the run */

bool
sched_deadlocked(struct sched_ctx *c, const bool *blocked)
{
	int i, any_blocked = 0;

	for (i = 0; i < c->n; i++) {
		if (is_finished(c, i))
			continue;
		if (sched_parked_at(c, i) != 0)
			return false;
		any_blocked += blocked[i];
	}
	return any_blocked > 0;
}

static void
sched_cycle(struct sched_ctx *c, const bool *blocked)
{
	int cyc[LEDGER_SLOTS], len = 0, i, k;

	for (i = 0; i < c->n && len == 0; i++)
		if (blocked[i])
			len = sync_find_cycle(c->l, c->p[i].slot, cyc,
			    LEDGER_SLOTS);
	c->r->deadlock = true;
	for (k = 0; k < len && k < SCHED_PROCS_MAX; k++) {
		struct sync_link *e = &c->r->cycle[k];

		e->pid = atomic_load(&c->l->slots[cyc[k]].pid);
		e->waits = atomic_load(&c->l->slots[cyc[k]].waits);
		e->holds = atomic_load(&c->l->slots[cyc[(k + len - 1) %
		    len]].waits);
		if (c->l->trace != NULL)
			trace_put(c->l->trace, TRACE_CYCLE, (unsigned)k, e->pid,
			    e->holds, e->waits, len);
	}
	c->r->cycle_len = k;
}

/*
 * The kill points open at this choice, when ch explores them: each process
 * the file kills that has just parked at a step point, while the run has
 * kills left; as SCHED_PROCS_MAX + i, after the runnable.  Only one that
 * has just arrived: killing it later, after others moved, comes to the
 * same as killing it here and then letting them move (it does nothing
 * more either way, and its locks are handed on when it dies), so that
 * would add runs and no outcome.
 */
static int
sched_kill_points(struct sched_ctx *c, const struct sched_chooser *ch,
    int *en)
{
	unsigned at;
	bool is_fresh;
	int i, n = 0;

	for (i = 0; i < c->n; i++) {
		is_fresh = c->p[i].is_fresh;
		c->p[i].is_fresh = false;
		if (ch == NULL || !is_fresh || c->kills >= ch->kills ||
		    (ch->killable & 1u << i) == 0)
			continue;
		at = sched_parked_at(c, i);
		if (at != 0 && at != STEP_START && at != STEP_END)
			en[n++] = SCHED_PROCS_MAX + i;
	}
	return n;
}

int
sched_take_entry(struct sched_ctx *c, const struct sched_entry *e,
    bool *blocked, bool *is_deadlocked)
{
	int i = e->proc, rc;

	*is_deadlocked = false;
	if (i >= c->n || is_finished(c, i))
		return 0;
	if (e->step == STEP_KILL) {
		sched_kill(c, i);
		sched_taken(c, i, STEP_KILL);
	} else if (blocked[i]) {
		/* Still waiting: it heads for the new target. */
		c->p[i].target = e->step;
		atomic_store(&slot_of(c, i)->sched_target, e->step);
		sched_taken(c, i, e->step);
		sched_event(c, i, SCHED_EV_WAITING, 0, -1, 0,
		    atomic_load(&slot_of(c, i)->waits));
		return 0;
	} else {
		sched_release(c, i, e->step);
		sched_taken(c, i, e->step);
	}
	if ((rc = sched_advance(c, blocked)) < 0)
		return rc;
	if (sched_deadlocked(c, blocked)) {
		sched_cycle(c, blocked);
		*is_deadlocked = true;
	}
	return 0;
}

int
sched_take_rest(struct sched_ctx *c, struct sched_chooser *ch,
    bool *blocked)
{
	int en[2 * SCHED_PROCS_MAX], n, i, rc;

	for (;;) {
		for (i = 0, n = 0; i < c->n; i++)
			if (!is_finished(c, i) && sched_parked_at(c, i) != 0)
				en[n++] = i;
		if (n == 0)
			break;
		n += sched_kill_points(c, ch, en + n);
		if ((i = sched_choose(ch, en, n)) >= SCHED_PROCS_MAX) {
			sched_kill(c, i - SCHED_PROCS_MAX);
			sched_taken(c, i - SCHED_PROCS_MAX, STEP_KILL);
			c->kills++;
		} else {
			sched_release(c, i, 0);
			sched_taken(c, i, 0);
		}
		if ((rc = sched_advance(c, blocked)) < 0)
			return rc;
	}
	if (sched_deadlocked(c, blocked))
		sched_cycle(c, blocked);
	return 0;
}

/* Follow the permutation, then the chooser, until no one can move. */
static int
sched_steps(struct sched_ctx *c, const struct sched_perm *perm,
    struct sched_chooser *ch)
{
	bool blocked[SCHED_PROCS_MAX], is_deadlocked;
	int k, rc;

	sched_blocked(c, blocked);
	for (k = 0; perm != NULL && k < perm->n; k++) {
		if ((rc = sched_take_entry(c, &perm->e[k], blocked,
		    &is_deadlocked)) < 0)
			return rc;
		if (is_deadlocked)
			return 0;
	}
	return sched_take_rest(c, ch, blocked);
}

/*
 * From the start to the first step point ("lock") nothing shared happens:
 * take every process there, in order, so that a schedule's choices are
 * only the steps that touch the ledger.
 */
int
sched_to_first(struct sched_ctx *c)
{
	bool blocked[SCHED_PROCS_MAX];
	int i, rc;

	for (i = 0; i < c->n; i++) {
		if (is_finished(c, i))
			continue;
		sched_release(c, i, 0);
		if ((rc = sched_settle(c, blocked)) < 0)
			return rc;
	}
	c->r->steps = 0;
	return 0;
}

int
sched_pool_run(struct sched_pool *p, const struct sched_perm *perm,
    struct sched_chooser *ch, struct sched_result *r)
{
	struct sched_ctx *c;
	double t0;
	int rc;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -ENOMEM;
	c->s = p->s;
	c->v = p->v;
	c->n = p->s->nprocs;
	c->r = r;
	c->pool = p;
	c->l = &p->l;
	/* Time the steps alone: starting processes is not scheduling. */
	if ((rc = sched_pool_begin(p, c)) == 0 &&
	    (rc = sched_to_first(c)) == 0) {
		t0 = lab_now_s();
		rc = sched_steps(c, perm, ch);
		r->elapsed_s = lab_now_s() - t0;
	}
	sched_pool_end(p, c, rc);
	free(c);
	return rc;
}

int
sched_run(const struct sched_spec *s, enum sync_kind v,
    const struct sched_perm *perm, struct sched_chooser *ch,
    struct sched_result *r)
{
	struct sched_pool *p;
	int rc;

	if ((rc = sched_pool_open(s, v, false, &p)) < 0)
		return rc;
	rc = sched_pool_run(p, perm, ch, r);
	sched_pool_close(p);
	return rc;
}

void
sched_result_free(struct sched_result *r)
{
	free(r->ev);
	free(r->taken);
	memset(r, 0, sizeof(*r));
}
