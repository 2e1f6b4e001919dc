/*
 * sched_finish: the end of a run.  Each worker parked at its end has
 * written its report (one JSON line) before it parked: read and fold them
 * in, judge the ledger, and keep the workers and the ledger for the next
 * run only if this one was clean.  A run that was not clean ends its
 * workers before the ledger is judged, as a single run always did, so
 * that the verdict is the same whichever way the pool runs.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <unistd.h>

#include "bank.h"
#include "lab.h"
#include "sched_impl.h"
#include "schedule.h"
#include "step.h"
#include "worker.h"

/*
 * The line process i wrote before it parked at its end: 0 or -code.  It
 * is in the pipe already, so the wait is short; a read is made only once
 * poll() says there is something, so it never blocks, whatever the mode
 * of the descriptor.
 */
static int
finish_read_line(const struct sched_pool *p, int i, char *buf, size_t len)
{
	struct pollfd pfd = { p->set.child[i].fd, POLLIN, 0 };
	uint64_t start = lab_now_ms(), spent;
	size_t at = 0;
	ssize_t k;
	int n;

	if (pfd.fd < 0)
		return -EPIPE;
	while (at == 0 || buf[at - 1] != '\n') {
		if (at + 1 >= len)
			return -LAB_EWORKER;	/* not a report: too long */
		if ((spent = lab_now_ms() - start) >= SCHED_SETTLE_MS)
			return -LAB_ETIMEDOUT;
		n = poll(&pfd, 1, (int)(SCHED_SETTLE_MS - spent));
		if (n == -1 && errno != EINTR)
			return -errno;
		if (n != 1)
			continue;
		if ((k = read(pfd.fd, buf + at, len - 1 - at)) > 0)
			at += (size_t)k;
		else if (k == 0)
			return -EPIPE;
		else if (errno != EINTR && errno != EAGAIN &&
		    errno != EWOULDBLOCK)
			return -errno;
	}
	buf[at - 1] = '\0';
	return 0;
}

static void
finish_fold(struct sched_result *r, int i, const struct worker_result *w)
{
	r->stale_audits += w->stale_audits;
	if (w->worst_deviation > r->worst_deviation)
		r->worst_deviation = w->worst_deviation;
	r->repairs += w->repairs;
	r->failed += w->failed;
	if (w->first_error == -LAB_EHOLDERDEAD)
		r->stuck = true;
	if (w->held_max > r->held_max)
		r->held_max = w->held_max;
	r->order_seen |= w->order_seen;
	if (r->contract[0] == '\0' && w->contract[0] != '\0')
		snprintf(r->contract, sizeof(r->contract), "p%d: %.140s",
		    i + 1, w->contract);
}

/* Read and fold every report.  Did every process give one? */
static bool
finish_reports(const struct sched_pool *p, struct sched_ctx *c)
{
	struct sched_result *r = c->r;
	struct worker_result w;
	char line[SCHED_REPORT_MAX];
	bool is_all = (int)p->set.n == c->n;
	int i;

	for (i = 0; i < c->n && i < (int)p->set.n; i++) {
		/* Letting one go from its end counts as a release, whether
		 * it then runs again or exits (the count a run reports). */
		if (!c->p[i].is_dead && c->p[i].slot >= 0 &&
		    sched_parked_at(c, i) == STEP_END)
			r->steps++;
		if (!c->p[i].is_dead && c->p[i].slot >= 0 &&
		    sched_parked_at(c, i) == STEP_END &&
		    finish_read_line(p, i, line, sizeof(line)) == 0 &&
		    worker_result_parse(line, &w) == 0) {
			finish_fold(r, i, &w);
			continue;
		}
		is_all = false;
		/* Killed on purpose, it has nothing to say; else its
		 * silence (or noise) must not read as "all well". */
		if (!c->p[i].was_killed && !r->deadlock && r->error[0] == '\0')
			snprintf(r->error, sizeof(r->error), "p%d ended "
			    "without its report (it crashed, or wrote "
			    "something else on its standard output)", i + 1);
	}
	return is_all;
}

/*
 * Is no lock held?  The slots say what the library took; the mutexes
 * themselves say what anything else took (exercise code may lock one by
 * hand): looked at, never locked, which would change them.
 */
static bool
finish_locks_free(const struct sched_ctx *c)
{
	const struct ledger *l = c->l;
	const struct ledger_slot *s;
	uint32_t a;
	int i, val;

	for (i = 0; i < c->n; i++) {
		s = &l->slots[c->p[i].slot];
		if (atomic_load(&s->holds[0]) != LEDGER_NONE ||
		    atomic_load(&s->holds[1]) != LEDGER_NONE ||
		    atomic_load(&s->waits) != LEDGER_NONE)
			return false;
	}
	if (atomic_load(&l->hdr->sem_holder) != -1 ||
	    sem_getvalue(&l->hdr->sem, &val) == -1 || val != 1)
		return false;
	for (a = 0; a < l->naccounts; a++) {
#ifdef __GLIBC__
		/* glibc's owner word: 0 when nobody holds it. */
		if (__atomic_load_n(&l->acct[a].mutex.__data.__lock,
		    __ATOMIC_ACQUIRE) != 0)
			return false;
#endif
	}
	return true;
}

/*
 * May the next run use these workers and this ledger?  Only after a run
 * in which every process finished and reported, none failed on a lock or
 * repaired one, and nothing is held.  (What recovering finds is looked at
 * after it: sched_pool_end().)
 */
static bool
finish_is_clean(const struct sched_pool *p, const struct sched_ctx *c,
    int rc, bool has_all)
{
	int i;

	if (!p->is_reused || p->snap == NULL || rc != 0 || !has_all ||
	    c->r->error[0] != '\0' || c->r->deadlock || c->r->stuck ||
	    c->r->failed != 0 || c->r->repairs != 0)
		return false;
	for (i = 0; i < c->n; i++)
		if (c->p[i].is_dead || c->p[i].was_killed)
			return false;
	return finish_locks_free(c);
}

void
sched_pool_end(struct sched_pool *p, struct sched_ctx *c, int rc)
{
	struct sched_result *r = c->r;
	bool is_clean;

	is_clean = finish_is_clean(p, c, rc, finish_reports(p, c));
	if (!is_clean)
		sched_pool_stop(p);
	if (p->l.hdr == NULL)
		return;		/* it was never made: nothing to judge */
	if (!r->deadlock) {
		r->recover_rc = bank_recover(&p->l, c->v);
		if (r->recover_rc == -LAB_EHOLDERDEAD)
			r->stuck = true;
	}
	if (p->l.slot >= 0)
		r->repairs += atomic_load(&p->l.slots[p->l.slot].repairs);
	bank_check(&p->l, &r->check);
	/* An operation that failed on a lock is an anomaly too. */
	r->anomaly = !r->check.is_ok || r->deadlock || r->stuck ||
	    r->stale_audits > 0 || r->failed > 0;
	p->is_live = is_clean && r->recover_rc == 0 && !r->stuck &&
	    r->failed == 0 && r->repairs == 0;
	if (!p->is_live) {
		sched_pool_stop(p);
		sched_pool_drop(p);
	}
}
