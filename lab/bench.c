/*
 * bench: P forked processes per cell, each timing only its own loop.
 *
 * How we keep the harness out of what is measured:
 *  - a child attaches, joins, touches every page of the mapping, runs its
 *    loop 256 times untimed (a forked child faults on each code page it
 *    first runs) and waits at the start gate before it reads the clock;
 *    reporting, detaching and exiting come after the second reading.  Page
 *    faults inside the loop are counted (getrusage) and reported: ~0.
 *  - every kind runs the same loop: draw (a, b, amount) from a private
 *    splitmix64 stream, do the kind's work, count the result.  The
 *    bare-loop kind does only the drawing and counting, so its ns/op is
 *    the harness's share of every other row.
 *  - each timed run lasts about run_ms (100 ms by default): probe runs
 *    grow the op count until one takes run_ms / 10, then scale it, so two
 *    clock readings, the fork and the gate are noise against the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bank.h"
#include "bench.h"
#include "lab.h"
#include "sync.h"
#include "worker.h"

#define BENCH_GATE_MS	10000	/* children wait this long at the gate */
#define BENCH_WAIT_MS	600000	/* a run still going after this is killed */
#define BENCH_SLICE_MS	50	/* how often the parent looks at signals */
#define BENCH_PROBE_OPS	1000	/* first probe's ops per process */
#define BENCH_OPS_MIN	1000
#define BENCH_OPS_MAX	(UINT64_C(1) << 32)
#define BENCH_PAGE	4096
#define BENCH_WARM_OPS	256	/* untimed ops before the gate */
#define BENCH_GOAL_BASE		0.8	/* a variant vs its bare primitive */
#define BENCH_GOAL_SCALE	0.85	/* ordered, 2 processes vs 1 */
#define BENCH_GOAL_COLLAPSE	0.5	/* semaphore, 2 processes vs 1 */
#define BENCH_GOAL_ACCOUNTS	1000u
#define BENCH_SKEW_FLAG	0.05	/* flag a row whose starts spread more */

static const char *const bench_names[BENCH_KIND_COUNT] = {
	[BENCH_NONE] = "none",
	[BENCH_SEMAPHORE] = "semaphore",
	[BENCH_ROBUST] = "robust",
	[BENCH_ORDERED] = "ordered",
	[BENCH_LOOP] = "bare-loop",
	[BENCH_LOADSTORE] = "bare-loadstore",
	[BENCH_ATOMIC] = "bare-atomic",
	[BENCH_MUTEX] = "bare-mutex",
	[BENCH_ROBUST_MUTEX] = "bare-robust",
	[BENCH_SEM] = "bare-sem",
	[BENCH_MOVE_SEM] = "move-sem",
	[BENCH_MOVE_ROBUST] = "move-robust",
};

/* What one op of a bare kind is, for the report. */
static const char *const bench_about[BENCH_KIND_COUNT] = {
	[BENCH_LOOP] = "draw a pair, touch nothing",
	[BENCH_LOADSTORE] = "2 loads + 2 stores, no lock",
	[BENCH_ATOMIC] = "2 atomic adds",
	[BENCH_MUTEX] = "2 lock/unlock pairs, normal mutex",
	[BENCH_ROBUST_MUTEX] = "2 lock/unlock pairs, robust mutex",
	[BENCH_SEM] = "1 wait/post pair",
	[BENCH_MOVE_SEM] = "wait, 2 loads + 2 stores, post",
	[BENCH_MOVE_ROBUST] = "bare-robust with the 2 loads + 2 stores inside",
};

/* What a child sends back over its pipe: one write, < PIPE_BUF bytes. */
struct bench_report {
	int32_t rc;		/* 0, or why it did not run its loop */
	int32_t first_error;
	uint64_t done, refused, failed;
	uint64_t ns;		/* its loop, CLOCK_MONOTONIC */
	uint64_t t0, t1;	/* when its loop began and ended */
	uint64_t faults;	/* page faults inside its loop */
	uint64_t sink;		/* keeps the bare loop's work alive */
};

/* One timed run: P children on one ledger. */
struct bench_sample {
	double mops;
	uint64_t max_ns;
	uint64_t done, refused, failed, faults;
	int first_error;
	uint64_t skew_ns;		/* last loop start - first loop start */
	struct bank_check check;	/* lost_* are this run's deltas */
};

/* What bench_run() carries from cell to cell. */
struct bench_ctx {
	const struct bench_config *c;
	sigset_t sigs;		/* SIGINT, SIGTERM: blocked while we run */
	sigset_t old;		/* the caller's mask, for the children */
	unsigned next_name;
	int cpu[CPU_SETSIZE];	/* the CPUs we may run on */
	unsigned ncpu;
};

/* ------------------------------------------------------------ kinds */

const char *
bench_kind_name(enum bench_kind k)
{
	return (unsigned)k < BENCH_KIND_COUNT ? bench_names[k] : "?";
}

int
bench_kind_parse(const char *s, enum bench_kind *k)
{
	int i;

	for (i = 0; s != NULL && i < BENCH_KIND_COUNT; i++)
		if (strcmp(s, bench_names[i]) == 0) {
			*k = (enum bench_kind)i;
			return 0;
		}
	return -EINVAL;
}

bool
bench_is_variant(enum bench_kind k)
{
	return (unsigned)k < SYNC_COUNT;
}

/*
 * The bare primitive doing what the variant's transfer does for its lock:
 * one wait/post for the semaphore, two robust lock/unlock pairs (lower
 * account first) for robust and ordered, and for none the unlocked loads
 * and stores of the two balances.
 */
int
bench_base(enum bench_kind k)
{
	switch (k) {
	case BENCH_NONE:
		return BENCH_LOADSTORE;
	case BENCH_SEMAPHORE:
		return BENCH_SEM;
	case BENCH_ROBUST:
	case BENCH_ORDERED:
		return BENCH_ROBUST_MUTEX;
	default:
		return -1;
	}
}

/*
 * The same locking with the same move of the amount and nothing else: what
 * the bank's own work (checks, journal, versions, counters, published
 * holds) is judged against.  A bare primitive touches no balance; at 10^6
 * accounts a transfer's two cache misses alone outweigh a semaphore.
 */
int
bench_move(enum bench_kind k)
{
	switch (k) {
	case BENCH_NONE:
		return BENCH_LOADSTORE;
	case BENCH_SEMAPHORE:
		return BENCH_MOVE_SEM;
	case BENCH_ROBUST:
	case BENCH_ORDERED:
		return BENCH_MOVE_ROBUST;
	default:
		return -1;
	}
}

bool
bench_moves_money(enum bench_kind k)
{
	return bench_is_variant(k) || k == BENCH_LOADSTORE ||
	    k == BENCH_ATOMIC || k == BENCH_MOVE_SEM ||
	    k == BENCH_MOVE_ROBUST;
}

/* Is money lost by kind k a bug (not the lesson of an unlocked kind)? */
static bool
bench_should_keep(enum bench_kind k)
{
	return bench_moves_money(k) && k != BENCH_NONE &&
	    k != BENCH_LOADSTORE;
}

void
bench_config_default(struct bench_config *c)
{
	unsigned i;

	memset(c, 0, sizeof(*c));
	c->nprocs = 3;
	c->procs[0] = 1;
	c->procs[1] = 2;
	c->procs[2] = 4;
	c->naccounts = 3;
	c->accounts[0] = 2;
	c->accounts[1] = 1000;
	c->accounts[2] = 1000000;
	for (i = 0; i < BENCH_KIND_COUNT; i++)
		c->kinds[i] = true;
	c->repeat = 5;
	c->run_ms = 100;
	c->seed = 1;
}

/* Under 10 s: no 10^6 ledger (its pages cost more than its runs), fewer
 * and shorter runs, but every kind and every process count. */
void
bench_config_quick(struct bench_config *c)
{
	c->naccounts = 2;
	c->accounts[0] = 2;
	c->accounts[1] = 1000;
	c->repeat = 3;
	c->run_ms = 10;
	c->is_quick = true;
}

size_t
bench_account_bytes(void)
{
	return sizeof(struct ledger_account);
}

size_t
bench_ledger_bytes(uint32_t n)
{
	return ledger_size(n);
}

/* ------------------------------------------------------------ a child */

static inline __attribute__((always_inline)) void
bench_count(struct bench_report *rep, int rc)
{
	if (rc == 0) {
		rep->done++;
	} else if (rc == -LAB_EFUNDS) {
		rep->refused++;
	} else {
		rep->failed++;
		if (rep->first_error == 0)
			rep->first_error = rc;
	}
}

/* Lock m; an owner that died (none should) hands it over consistent. */
static inline __attribute__((always_inline)) int
bench_lock(pthread_mutex_t *m)
{
	int r = pthread_mutex_lock(m);

	if (r == EOWNERDEAD)
		r = pthread_mutex_consistent(m);
	return -r;
}

/* Move x from one balance to another: the least a transfer writes. */
static inline __attribute__((always_inline)) void
bench_move_x(struct ledger_account *from, struct ledger_account *to,
    int64_t x)
{
	int64_t f = atomic_load_explicit(&from->balance, memory_order_relaxed);
	int64_t t = atomic_load_explicit(&to->balance, memory_order_relaxed);

	atomic_store_explicit(&from->balance, f - x, memory_order_relaxed);
	atomic_store_explicit(&to->balance, t + x, memory_order_relaxed);
}

/*
 * What a transfer's locking does: the lower account's mutex first (the
 * array is in account order), then the other, then release both; with
 * is_move, the amount moved in between.
 */
static inline __attribute__((always_inline)) int
bench_lock2(struct ledger_account *from, struct ledger_account *to,
    int64_t x, bool is_move)
{
	pthread_mutex_t *lo = from < to ? &from->mutex : &to->mutex;
	pthread_mutex_t *hi = from < to ? &to->mutex : &from->mutex;
	int r;

	if ((r = bench_lock(lo)) < 0)
		return r;
	if ((r = bench_lock(hi)) < 0) {
		pthread_mutex_unlock(lo);
		return r;
	}
	if (is_move)
		bench_move_x(from, to, x);
	pthread_mutex_unlock(hi);
	pthread_mutex_unlock(lo);
	return 0;
}

static inline __attribute__((always_inline)) int
bench_sem(sem_t *s, struct ledger_account *from, struct ledger_account *to,
    int64_t x, bool is_move)
{
	while (sem_wait(s) != 0)
		if (errno != EINTR)
			return -errno;
	if (is_move)
		bench_move_x(from, to, x);
	sem_post(s);
	return 0;
}

/*
 * The loop every kind runs.  Inlined once per kind with k a constant (see
 * bench_loop_kind()), so the switch folds away and each kind's loop is
 * straight code: the kinds differ only in their case.  The helpers above
 * are forced inline too: a call per op would be the harness's cost, billed
 * to the bare kinds (gcc left bench_sem() out of line: 33 instructions an
 * op).  Accounts are drawn with a multiply-shift, not '%', which costs a
 * division per draw.
 */
static inline __attribute__((always_inline)) void
bench_loop(struct ledger *l, enum bench_kind k, uint64_t ops, uint64_t seed,
    struct bench_report *rep)
{
	struct ledger_account *ac = l->acct;
	sem_t *sem = &l->hdr->sem;
	uint32_t n = l->naccounts, a, b, t;
	uint64_t rng = seed, sink = 0, i, r;
	int64_t x;

	for (i = 0; i < ops; i++) {
		r = lab_rand(&rng);
		a = (uint32_t)(((r >> 32) * n) >> 32);
		b = (uint32_t)(((r & 0xffffffffu) * (n - 1)) >> 32);
		b += b >= a;		/* any account but a */
		x = 1 + (int64_t)(i & 63);
		/* robust takes locks in argument order: only from < to
		 * keeps it from deadlocking.  The bare locks sort anyway. */
		if (k == BENCH_ROBUST && a > b) {
			t = a;
			a = b;
			b = t;
		}
		switch (k) {
		case BENCH_LOOP:
			sink += a ^ b ^ (uint64_t)x;
			bench_count(rep, 0);
			break;
		case BENCH_LOADSTORE:
			bench_move_x(&ac[a], &ac[b], x);
			bench_count(rep, 0);
			break;
		case BENCH_ATOMIC:
			atomic_fetch_sub_explicit(&ac[a].balance, x,
			    memory_order_relaxed);
			atomic_fetch_add_explicit(&ac[b].balance, x,
			    memory_order_relaxed);
			bench_count(rep, 0);
			break;
		case BENCH_MUTEX:
		case BENCH_ROBUST_MUTEX:
		case BENCH_MOVE_ROBUST:
			bench_count(rep, bench_lock2(&ac[a], &ac[b], x,
			    k == BENCH_MOVE_ROBUST));
			break;
		case BENCH_SEM:
		case BENCH_MOVE_SEM:
			bench_count(rep, bench_sem(sem, &ac[a], &ac[b], x,
			    k == BENCH_MOVE_SEM));
			break;
		default:
			bench_count(rep, bank_transfer(l, a, b, x));
			break;
		}
	}
	rep->sink = sink;
}

static void
bench_loop_kind(struct ledger *l, enum bench_kind k, uint64_t ops,
    uint64_t seed, struct bench_report *rep)
{
	switch (k) {
	case BENCH_NONE:
		bench_loop(l, BENCH_NONE, ops, seed, rep);
		break;
	case BENCH_SEMAPHORE:
		bench_loop(l, BENCH_SEMAPHORE, ops, seed, rep);
		break;
	case BENCH_ROBUST:
		bench_loop(l, BENCH_ROBUST, ops, seed, rep);
		break;
	case BENCH_ORDERED:
		bench_loop(l, BENCH_ORDERED, ops, seed, rep);
		break;
	case BENCH_LOOP:
		bench_loop(l, BENCH_LOOP, ops, seed, rep);
		break;
	case BENCH_LOADSTORE:
		bench_loop(l, BENCH_LOADSTORE, ops, seed, rep);
		break;
	case BENCH_ATOMIC:
		bench_loop(l, BENCH_ATOMIC, ops, seed, rep);
		break;
	case BENCH_MUTEX:
		bench_loop(l, BENCH_MUTEX, ops, seed, rep);
		break;
	case BENCH_ROBUST_MUTEX:
		bench_loop(l, BENCH_ROBUST_MUTEX, ops, seed, rep);
		break;
	case BENCH_SEM:
		bench_loop(l, BENCH_SEM, ops, seed, rep);
		break;
	case BENCH_MOVE_SEM:
		bench_loop(l, BENCH_MOVE_SEM, ops, seed, rep);
		break;
	case BENCH_MOVE_ROBUST:
	default:
		bench_loop(l, BENCH_MOVE_ROBUST, ops, seed, rep);
		break;
	}
}

/*
 * Map every page now (a fresh mapping faults on first touch; 10^6
 * accounts are 15 600 pages), so that no fault lands inside the loop.
 * Reads are enough: a shared tmpfs mapping is mapped writable at once.
 */
static uint64_t
bench_prefault(const struct ledger *l)
{
	const volatile unsigned char *p = (const void *)l->hdr;
	uint64_t sum = 0;
	size_t off;

	for (off = 0; off < l->size; off += BENCH_PAGE)
		sum += p[off];
	return sum;
}

static uint64_t
bench_faults(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) == -1)
		return 0;
	return (uint64_t)ru.ru_minflt + (uint64_t)ru.ru_majflt;
}

static void
bench_send(int fd, const struct bench_report *rep)
{
	const char *p = (const char *)rep;
	size_t left = sizeof(*rep);
	ssize_t k;

	while (left > 0) {
		k = write(fd, p, left);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return;	/* the parent sees a short report */
		p += k;
		left -= (size_t)k;
	}
}

/*
 * Child i runs on CPU i mod n.  Left to the scheduler, two children were
 * often put on one CPU: the one that opened the gate ran its whole loop
 * before the other got the CPU back (3 ms later), so they never overlapped
 * and a global semaphore "scaled" to 2x.  Pinned, P <= CPUs start within
 * microseconds; the start skew is measured and reported either way.
 */
static void
bench_pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	(void)sched_setaffinity(0, sizeof(set), &set);	/* best effort */
}

/* A child: its own handle, the gate, its timed loop, its report. */
static _Noreturn void
bench_child(const char *name, enum bench_kind k, unsigned procs, uint64_t ops,
    uint64_t seed, uint64_t gate, int cpu, int fd)
{
	struct bench_report rep, warm;
	struct ledger l;
	uint64_t t0, t1, f0;
	int rc;

	memset(&rep, 0, sizeof(rep));
	memset(&warm, 0, sizeof(warm));
	bench_pin(cpu);
	if ((rc = sync_attach(name, &l)) == 0) {
		sync_use(&l, bench_is_variant(k) ? (enum sync_kind)k :
		    SYNC_NONE);
		if ((rc = ledger_join(&l)) == 0) {
			rep.sink = bench_prefault(&l);
			/* A forked child maps code pages on first use: run
			 * the loop a little (its own stream, not counted). */
			bench_loop_kind(&l, k, BENCH_WARM_OPS, ~seed, &warm);
			rc = worker_wait_gate(&l, gate, procs, BENCH_GATE_MS);
		}
		if (rc == 0) {
			f0 = bench_faults();
			t0 = lab_now_ns();
			bench_loop_kind(&l, k, ops, seed, &rep);
			t1 = lab_now_ns();
			rep.faults = bench_faults() - f0;
			rep.ns = t1 - t0;
			rep.t0 = t0;
			rep.t1 = t1;
		}
		ledger_detach(&l);
	}
	rep.rc = rc;
	bench_send(fd, &rep);
	_exit(0);
}

/* ------------------------------------------------------------ a run */

/* A child's report, waiting in slices so that SIGINT is seen. */
static int
bench_read(int fd, struct bench_report *rep, uint64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	ssize_t k;
	int n;

	for (;;) {
		if ((n = poll(&p, 1, BENCH_SLICE_MS)) < 0 && errno != EINTR)
			return -errno;
		if (n > 0) {
			k = read(fd, (char *)rep + got, sizeof(*rep) - got);
			if (k < 0 && errno != EINTR)
				return -errno;
			if (k == 0)
				return -LAB_EWORKER;	/* died unreported */
			if (k > 0 && (got += (size_t)k) == sizeof(*rep))
				return 0;
		}
		if (lab_signalled())
			return -EINTR;
		if (lab_now_ms() > deadline)
			return -LAB_ETIMEDOUT;
	}
}

struct bench_proc {
	pid_t pid;
	int fd;
	struct bench_report rep;
};

/* Start P children at one new gate; collect; reap every one. */
static int
bench_spawn(struct bench_ctx *x, struct ledger *l, enum bench_kind k,
    unsigned procs, uint64_t ops, struct bench_proc *p)
{
	uint64_t gate, deadline;
	unsigned i, started = 0;
	int rc = 0, st = 0, pfd[2];
	pid_t w;

	gate = atomic_fetch_add(&l->hdr->next_gate, 1) + 1;
	fflush(NULL);
	for (i = 0; i < procs; i++) {
		if (pipe2(pfd, O_CLOEXEC) == -1) {
			rc = -errno;
			break;
		}
		if ((p[i].pid = fork()) == -1) {
			rc = -errno;
			close(pfd[0]);
			close(pfd[1]);
			break;
		}
		if (p[i].pid == 0) {
			close(pfd[0]);
			sigprocmask(SIG_SETMASK, &x->old, NULL);
			bench_child(l->name, k, procs, ops, x->c->seed + i,
			    gate, x->ncpu > 1 ? x->cpu[i % x->ncpu] : -1,
			    pfd[1]);
		}
		close(pfd[1]);
		p[i].fd = pfd[0];
		started++;
	}
	deadline = lab_now_ms() + BENCH_WAIT_MS;
	for (i = 0; rc == 0 && i < started; i++)
		rc = bench_read(p[i].fd, &p[i].rep, deadline);
	/* Whoever has not reported (it may wait at a gate that the ones
	 * we could not start will never reach) is killed. */
	if (rc != 0)
		for (i = 0; i < started; i++)
			kill(p[i].pid, SIGKILL);
	for (i = 0; i < started; i++) {
		while ((w = waitpid(p[i].pid, &st, 0)) == -1 && errno == EINTR)
			;
		close(p[i].fd);
		if (rc == 0 && (w == -1 ||
		    !(WIFEXITED(st) && WEXITSTATUS(st) == 0)))
			rc = -LAB_EWORKER;
	}
	/* A Ctrl-C kills the children first: say interrupted, not failed. */
	if (lab_signalled())
		rc = -EINTR;
	return rc;
}

/* One timed run of P children, and what it did to the money. */
static int
bench_once(struct bench_ctx *x, struct ledger *l, enum bench_kind k,
    unsigned procs, uint64_t ops, struct bench_sample *s)
{
	struct bench_proc *p;
	struct bank_check before;
	uint64_t first = UINT64_MAX, last = 0;
	unsigned i;
	int rc;

	memset(s, 0, sizeof(*s));
	if ((p = calloc(procs, sizeof(*p))) == NULL)
		return -ENOMEM;
	bank_check(l, &before);
	if ((rc = bench_spawn(x, l, k, procs, ops, p)) < 0)
		goto out;
	for (i = 0; i < procs; i++) {
		const struct bench_report *rep = &p[i].rep;

		if (rep->rc < 0 && rc == 0)
			rc = rep->rc;
		if (rep->ns > s->max_ns)
			s->max_ns = rep->ns;
		if (rep->t0 < first)
			first = rep->t0;
		if (rep->t0 > last)
			last = rep->t0;
		s->done += rep->done;
		s->refused += rep->refused;
		s->failed += rep->failed;
		s->faults += rep->faults;
		if (s->first_error == 0)
			s->first_error = rep->first_error;
	}
	if (rc < 0)
		goto out;
	s->skew_ns = last - first;
	/* ops/ns * 1e3 = M ops/s; a loop under 1 ns cannot happen. */
	s->mops = (double)ops * procs * 1e3 /
	    (double)(s->max_ns > 0 ? s->max_ns : 1);
	bank_check(l, &s->check);
	s->check.lost_cents -= before.lost_cents;
	s->check.lost_writes -= before.lost_writes;
	s->check.is_ok = s->check.lost_cents == 0 &&
	    s->check.lost_writes == 0 && s->check.negative == 0;
out:
	free(p);
	return rc;
}

/*
 * Ops per process for runs of about run_ms: grow a probe until it takes
 * a tenth of that (at least 2x, at most 100x a step), then scale.  The
 * probes also warm the ledger and the code up.
 */
static int
bench_aim(struct bench_ctx *x, struct ledger *l, enum bench_kind k,
    unsigned procs, uint64_t *ops)
{
	double want = x->c->run_ms * 1e6 / 10, mult, el;
	struct bench_sample s;
	uint64_t n = BENCH_PROBE_OPS;
	int rc;

	for (;;) {
		if ((rc = bench_once(x, l, k, procs, n, &s)) < 0)
			return rc;
		el = (double)s.max_ns;
		if (el >= want || n >= BENCH_OPS_MAX)
			break;
		mult = el > 0 ? want / el * 1.5 : 100;
		mult = mult < 2 ? 2 : mult > 100 ? 100 : mult;
		n = (uint64_t)((double)n * mult);
	}
	n = (uint64_t)((double)n * want * 10 / (el > 0 ? el : 1));
	*ops = n < BENCH_OPS_MIN ? BENCH_OPS_MIN :
	    n > BENCH_OPS_MAX ? BENCH_OPS_MAX : n;
	return 0;
}

/* ------------------------------------------------------------ a cell */

static int
bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
bench_stat(const double *v, unsigned n, struct bench_stat *st)
{
	double s[BENCH_REPEAT_MAX];

	memset(st, 0, sizeof(*st));
	if (n == 0)
		return;
	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), bench_cmp);
	st->min = s[0];
	st->max = s[n - 1];
	st->median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/*
 * The bare normal-mutex kind uses the ledger's own mutex storage (one per
 * account, in its cache line, in the same segment) made again without
 * ROBUST.  Only on the bench's private ledger, before any child attaches.
 */
static int
bench_plain_mutexes(struct ledger *l)
{
	pthread_mutexattr_t attr;
	uint32_t i;
	int r;

	if ((r = pthread_mutexattr_init(&attr)) != 0)
		return -r;
	if ((r = pthread_mutexattr_setpshared(&attr,
	    PTHREAD_PROCESS_SHARED)) != 0)
		goto out;
	for (i = 0; i < l->naccounts; i++) {
		pthread_mutex_destroy(&l->acct[i].mutex);
		if ((r = pthread_mutex_init(&l->acct[i].mutex, &attr)) != 0)
			break;
	}
out:
	pthread_mutexattr_destroy(&attr);
	return -r;
}

/* Every account as rich as the ledger allows: refusals stay rare even
 * when every transfer of 2 accounts goes from 0 to 1 (robust). */
static int64_t
bench_balance(uint32_t n)
{
	int64_t most = LEDGER_BALANCE_MAX / n;

	return most < LEDGER_AMOUNT_MAX ? most : LEDGER_AMOUNT_MAX;
}

static void
bench_add(struct bench_cell *cell, const struct bench_sample *s)
{
	cell->rate[cell->runs++] = s->mops;
	cell->done += s->done;
	cell->refused += s->refused;
	cell->failed += s->failed;
	cell->faults += s->faults;
	if (cell->first_error == 0)
		cell->first_error = s->first_error;
	cell->lost_cents += s->check.lost_cents;
	cell->lost_writes += s->check.lost_writes;
	cell->negative = s->check.negative;
	cell->lossy_runs += !s->check.is_ok;
	if (s->max_ns > 0 && (double)s->skew_ns / (double)s->max_ns >
	    cell->skew)
		cell->skew = (double)s->skew_ns / (double)s->max_ns;
}

/* A fresh ledger, the probes, the timed runs; the ledger goes. */
static int
bench_cell_run(struct bench_ctx *x, struct bench_cell *cell)
{
	const struct bench_config *c = x->c;
	struct ledger_config cfg = {
		.naccounts = cell->accounts,
		.balance = bench_balance(cell->accounts),
		.sync = bench_is_variant(cell->kind) ?
		    (enum sync_kind)cell->kind : SYNC_NONE,
		.is_private = true,
	};
	struct bench_sample s;
	struct ledger l;
	char name[LEDGER_NAME_MAX + 1];
	uint64_t ops = c->ops;
	unsigned i;
	int rc;

	snprintf(name, sizeof(name), "bench-%d-%u", (int)getpid(),
	    x->next_name++);
	if ((rc = sync_create(name, &cfg, &l)) < 0)
		return rc;
	if (cell->kind == BENCH_MUTEX && (rc = bench_plain_mutexes(&l)) < 0)
		goto out;
	if (ops == 0 &&
	    (rc = bench_aim(x, &l, cell->kind, cell->procs, &ops)) < 0)
		goto out;
	cell->ops = ops;
	for (i = 0; i < c->repeat; i++) {
		if ((rc = bench_once(x, &l, cell->kind, cell->procs, ops,
		    &s)) < 0)
			goto out;
		bench_add(cell, &s);
	}
	bench_stat(cell->rate, cell->runs, &cell->mops);
	cell->ns_per_op = cell->procs * 1e3 / cell->mops.median;
	cell->has_run = true;
out:
	ledger_detach(&l);
	ledger_unlink(name);
	return rc;
}

/* ------------------------------------------------------------ the run */

static int
bench_config_check(const struct bench_config *c)
{
	unsigned i, kinds = 0;

	if (c->nprocs == 0 || c->nprocs > BENCH_LIST_MAX ||
	    c->naccounts == 0 || c->naccounts > BENCH_LIST_MAX ||
	    c->repeat == 0 || c->repeat > BENCH_REPEAT_MAX ||
	    (c->ops == 0 && c->run_ms == 0) || c->ops > BENCH_OPS_MAX)
		return -EINVAL;
	for (i = 0; i < c->nprocs; i++)
		if (c->procs[i] == 0 || c->procs[i] > LEDGER_SLOTS)
			return -EINVAL;
	for (i = 0; i < c->naccounts; i++)
		if (c->accounts[i] < 2 || c->accounts[i] > LEDGER_ACCOUNTS_MAX)
			return -LAB_EACCOUNT;
	for (i = 0; i < BENCH_KIND_COUNT; i++)
		kinds += c->kinds[i];
	return kinds == 0 ? -EINVAL : 0;
}

const struct bench_cell *
bench_find(const struct bench_result *r, enum bench_kind k, unsigned procs,
    uint32_t accounts)
{
	unsigned i;

	for (i = 0; i < r->ncells; i++)
		if (r->cell[i].kind == k && r->cell[i].procs == procs &&
		    r->cell[i].accounts == accounts && r->cell[i].has_run)
			return &r->cell[i];
	return NULL;
}

/* Scale (against the first --procs) and the ratio to the bare primitive. */
static void
bench_derive(const struct bench_config *c, struct bench_result *r)
{
	const struct bench_cell *one, *base;
	unsigned i;

	for (i = 0; i < r->ncells; i++) {
		struct bench_cell *cell = &r->cell[i];

		if (!cell->has_run)
			continue;
		one = bench_find(r, cell->kind, c->procs[0], cell->accounts);
		if (one != NULL)
			cell->scale = cell->mops.median / one->mops.median;
		if (cell->base >= 0 && (base = bench_find(r,
		    (enum bench_kind)cell->base, cell->procs,
		    cell->accounts)) != NULL)
			cell->vs_base = cell->mops.median / base->mops.median;
		if (cell->move >= 0 && (base = bench_find(r,
		    (enum bench_kind)cell->move, cell->procs,
		    cell->accounts)) != NULL)
			cell->vs_move = cell->mops.median / base->mops.median;
	}
}

/* The CPUs we may run on, for bench_pin(); none known: no pinning. */
static void
bench_cpus(struct bench_ctx *x)
{
	cpu_set_t set;
	int i;

	x->ncpu = 0;
	if (sched_getaffinity(0, sizeof(set), &set) == -1)
		return;
	for (i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set))
			x->cpu[x->ncpu++] = i;
}

int
bench_run(const struct bench_config *c, struct bench_result *r)
{
	struct bench_ctx x = { .c = c };
	struct timespec zero = { 0, 0 };
	unsigned a, p, k, n = 0;
	uint64_t start = lab_now_ns();
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = bench_config_check(c)) < 0)
		return rc;
	r->cell = calloc((size_t)c->naccounts * c->nprocs * BENCH_KIND_COUNT,
	    sizeof(*r->cell));
	if (r->cell == NULL)
		return -ENOMEM;
	for (a = 0; a < c->naccounts; a++)
		for (p = 0; p < c->nprocs; p++)
			for (k = 0; k < BENCH_KIND_COUNT; k++) {
				struct bench_cell *cell = &r->cell[n];

				if (!c->kinds[k])
					continue;
				cell->kind = (enum bench_kind)k;
				cell->procs = c->procs[p];
				cell->accounts = c->accounts[a];
				cell->base = bench_base(cell->kind);
				cell->move = bench_move(cell->kind);
				n++;
			}
	r->ncells = n;
	/* Held until we have reaped and unlinked; children unblock them. */
	sigemptyset(&x.sigs);
	sigaddset(&x.sigs, SIGINT);
	sigaddset(&x.sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &x.sigs, &x.old);
	bench_cpus(&x);
	r->cpus = x.ncpu;
	if (getloadavg(&r->load[0], 1) != 1)
		r->load[0] = -1;
	for (n = 0; n < r->ncells && rc == 0; n++) {
		struct bench_cell *cell = &r->cell[n];

		if (c->progress != NULL)
			c->progress(c->progress_arg, n, r->ncells, cell->kind,
			    cell->procs, cell->accounts);
		rc = lab_signalled() ? -EINTR :
		    bench_cell_run(&x, cell);
	}
	bench_derive(c, r);
	if (getloadavg(&r->load[1], 1) != 1)
		r->load[1] = -1;
	r->elapsed_s = (double)(lab_now_ns() - start) / 1e9;
	if (rc == -EINTR) {
		r->interrupted = true;
		/* The pending signal was for us: take it off. */
		while (sigtimedwait(&x.sigs, NULL, &zero) > 0)
			;
	}
	sigprocmask(SIG_SETMASK, &x.old, NULL);
	return rc;
}

void
bench_result_free(struct bench_result *r)
{
	free(r->cell);
	r->cell = NULL;
	r->ncells = 0;
}

bool
bench_has_anomaly(const struct bench_result *r)
{
	unsigned i;

	for (i = 0; i < r->ncells; i++) {
		const struct bench_cell *cell = &r->cell[i];

		if (cell->failed > 0 ||
		    (bench_should_keep(cell->kind) && cell->lossy_runs > 0))
			return true;
	}
	return false;
}

/* ------------------------------------------------------------ goals */

static double
bench_vs(const struct bench_cell *cell, bool is_move)
{
	return is_move ? cell->vs_move : cell->vs_base;
}

/*
 * Goal: variant k's rate >= BENCH_GOAL_BASE x its bare primitive's (the
 * same lock/unlock pairs), or x its minimal transfer's (is_move).
 */
static void
bench_goal_base(const struct bench_result *r, enum bench_kind k,
    bool is_move, struct bench_goal *g)
{
	const struct bench_cell *worst = NULL;
	unsigned i, n = 0, met = 0;
	int base = is_move ? bench_move(k) : bench_base(k);

	if (base < 0)
		return;		/* only variants have a base */
	snprintf(g->what, sizeof(g->what), "%s >= %.2fx %s (%s)",
	    bench_kind_name(k), BENCH_GOAL_BASE,
	    bench_kind_name((enum bench_kind)base), bench_about[base]);
	for (i = 0; i < r->ncells; i++) {
		const struct bench_cell *cell = &r->cell[i];

		if (cell->kind != k || !cell->has_run ||
		    bench_vs(cell, is_move) <= 0)
			continue;
		n++;
		met += bench_vs(cell, is_move) >= BENCH_GOAL_BASE;
		if (worst == NULL ||
		    bench_vs(cell, is_move) < bench_vs(worst, is_move))
			worst = cell;
	}
	g->is_measured = n > 0;
	g->is_met = n > 0 && met == n;
	if (worst == NULL)
		snprintf(g->seen, sizeof(g->seen), "not run");
	else
		snprintf(g->seen, sizeof(g->seen), "%u of %u cells; worst "
		    "%.2fx (%u procs, %" PRIu32 " accounts)", met, n,
		    bench_vs(worst, is_move), worst->procs, worst->accounts);
}

/* Goal: k's rate at 2 processes against 1, at 1000 accounts. */
static void
bench_goal_two(const struct bench_result *r, enum bench_kind k, bool below,
    double limit, struct bench_goal *g)
{
	const struct bench_cell *one, *two;
	double ratio;

	snprintf(g->what, sizeof(g->what), "%s at 2 procs %s %.2fx its "
	    "1-process rate, %u accounts%s", bench_kind_name(k),
	    below ? "<" : ">=", limit, BENCH_GOAL_ACCOUNTS,
	    below ? " (the collapse)" : "");
	one = bench_find(r, k, 1, BENCH_GOAL_ACCOUNTS);
	two = bench_find(r, k, 2, BENCH_GOAL_ACCOUNTS);
	if (one == NULL || two == NULL) {
		snprintf(g->seen, sizeof(g->seen), "not run (needs --procs "
		    "1,2 and --accounts %u)", BENCH_GOAL_ACCOUNTS);
		return;
	}
	ratio = two->mops.median / one->mops.median;
	g->is_measured = true;
	g->is_met = below ? ratio < limit : ratio >= limit;
	snprintf(g->seen, sizeof(g->seen), "%.2fx (%.1f M/s at 2, %.1f M/s "
	    "at 1)", ratio, two->mops.median, one->mops.median);
}

void
bench_goals(const struct bench_result *r, struct bench_goal *g)
{
	static const enum bench_kind correct[] = { BENCH_SEMAPHORE,
		BENCH_ROBUST, BENCH_ORDERED };
	unsigned i;

	memset(g, 0, BENCH_GOALS * sizeof(*g));
	for (i = 0; i < 3; i++) {
		bench_goal_base(r, correct[i], false, &g[2 * i]);
		bench_goal_base(r, correct[i], true, &g[2 * i + 1]);
	}
	bench_goal_two(r, BENCH_ORDERED, false, BENCH_GOAL_SCALE, &g[6]);
	bench_goal_two(r, BENCH_SEMAPHORE, true, BENCH_GOAL_COLLAPSE, &g[7]);
}

/* ------------------------------------------------------------ reports */

static const char *
bench_bytes(size_t n, char *buf, size_t len)
{
	if (n >= 1u << 20)
		snprintf(buf, len, "%.1f MiB", (double)n / (1u << 20));
	else
		snprintf(buf, len, "%.1f KiB", (double)n / 1024);
	return buf;
}

static void
bench_money(const struct bench_cell *cell, char *buf, size_t len)
{
	if (!bench_moves_money(cell->kind))
		snprintf(buf, len, "-");
	else if (cell->lossy_runs == 0)
		snprintf(buf, len, "kept");
	else
		snprintf(buf, len, "LOST %" PRId64 " cents, %" PRId64
		    " updates, %u/%u runs%s", cell->lost_cents,
		    cell->lost_writes, cell->lossy_runs, cell->runs,
		    bench_should_keep(cell->kind) ? " (BUG)" : " (expected)");
}

static void
bench_row(FILE *f, const struct bench_cell *cell)
{
	char money[96], vs[16] = "", vm[16] = "";

	bench_money(cell, money, sizeof(money));
	if (cell->vs_base > 0)
		snprintf(vs, sizeof(vs), "%.2fx", cell->vs_base);
	if (cell->vs_move > 0)
		snprintf(vm, sizeof(vm), "%.2fx", cell->vs_move);
	fprintf(f, "  %-14s %4u %8.2f %8.2f-%-8.2f %7.1f %6.2f %7s %7s "
	    "%7" PRIu64 "  %s", bench_kind_name(cell->kind), cell->procs,
	    cell->mops.median, cell->mops.min, cell->mops.max,
	    cell->ns_per_op, cell->scale, vs, vm, cell->refused, money);
	if (cell->failed > 0)
		fprintf(f, "; %" PRIu64 " lock errors (%s)", cell->failed,
		    lab_strerror(cell->first_error));
	if (cell->skew > BENCH_SKEW_FLAG)
		fprintf(f, "; start skew %.0f%%", 100 * cell->skew);
	fputc('\n', f);
}

/* The empty loop's share, and page faults inside the timed loops. */
static void
bench_harness(FILE *f, const struct bench_config *c,
    const struct bench_result *r)
{
	const struct bench_cell *loop, *fast = NULL, *skew = NULL;
	uint64_t faults = 0;
	unsigned i;

	for (i = 0; i < r->ncells; i++) {
		const struct bench_cell *cell = &r->cell[i];

		faults += cell->faults;
		if (cell->has_run && cell->procs <= r->cpus &&
		    (skew == NULL || cell->skew > skew->skew))
			skew = cell;
		if (cell->has_run && bench_is_variant(cell->kind) &&
		    cell->procs == c->procs[0] &&
		    (fast == NULL || cell->ns_per_op < fast->ns_per_op))
			fast = cell;
	}
	loop = fast == NULL ? NULL :
	    bench_find(r, BENCH_LOOP, fast->procs, fast->accounts);
	fprintf(f, "\nharness: ");
	if (loop != NULL)
		fprintf(f, "the bare loop (draw a pair, count) takes %.1f ns/op "
		    "at %u procs,\n  %.0f%% of the fastest transfer there "
		    "(%s, %" PRIu32 " accounts, %.1f ns/op); ", loop->ns_per_op,
		    loop->procs, 100 * loop->ns_per_op / fast->ns_per_op,
		    bench_kind_name(fast->kind), fast->accounts,
		    fast->ns_per_op);
	fprintf(f, "page faults inside the timed loops: %" PRIu64 "\n",
	    faults);
	if (skew != NULL)
		fprintf(f, "  worst start skew with procs <= CPUs: %.2f%% of the "
		    "loop (%s, %u procs, %" PRIu32 " accounts); above the CPU "
		    "count\n  children take turns, and a late one's loop starts "
		    "late\n", 100 * skew->skew, bench_kind_name(skew->kind),
		    skew->procs, skew->accounts);
}

void
bench_print(FILE *f, const struct bench_config *c,
    const struct bench_result *r)
{
	struct bench_goal g[BENCH_GOALS];
	char buf[32];
	unsigned a, k, p, i;

	fprintf(f, "banklab-bench: seed %" PRIu64 ", %u runs per cell, ",
	    c->seed, c->repeat);
	if (c->ops != 0)
		fprintf(f, "%" PRIu64 " ops per process per run", c->ops);
	else
		fprintf(f, "each about %u ms", c->run_ms);
	fprintf(f, "%s; %.1f s in all\n", c->is_quick ? " (--quick)" : "",
	    r->elapsed_s);
	fprintf(f, "machine: %u CPUs, child i pinned to CPU i mod %u; load "
	    "average %.2f at the start, %.2f at the end (other work skews "
	    "every row)\n", r->cpus, r->cpus, r->load[0], r->load[1]);
	fprintf(f, "ledger: %zu bytes per account (one cache line);",
	    bench_account_bytes());
	for (a = 0; a < c->naccounts; a++)
		fprintf(f, " %" PRIu32 " accounts: %s%s", c->accounts[a],
		    bench_bytes(bench_ledger_bytes(c->accounts[a]), buf,
		    sizeof(buf)), a + 1 < c->naccounts ? ";" : "\n");
	fprintf(f,
"M/s: million operations per second, all processes (all ops / the slowest\n"
"loop); median [min-max] of the runs.  ns/op: time one process spends per\n"
"operation (procs / rate).  scale: rate / rate at %u procs.  In the same\n"
"cell, vs bare: rate / the bare primitive doing a transfer's lock/unlock\n"
"pairs (semaphore: bare-sem, 1 pair; robust, ordered: bare-robust, 2);\n"
"vs move: rate / that locking plus moving the amount and nothing else\n"
"(move-sem, move-robust; none: bare-loadstore for both).\n",
	    c->procs[0]);
	for (a = 0; a < c->naccounts; a++) {
		fprintf(f, "\n%" PRIu32 " accounts%s\n", c->accounts[a],
		    c->accounts[a] == 2 ? " (every op on the same two)" : "");
		fprintf(f, "  %-14s %4s %8s %-17s %7s %6s %7s %7s %7s  %s\n",
		    "kind", "proc", "M/s", "   [min-max]", "ns/op", "scale",
		    "vs bare", "vs move", "refused", "money");
		for (k = 0; k < BENCH_KIND_COUNT; k++)
			for (p = 0; p < c->nprocs; p++) {
				const struct bench_cell *cell = bench_find(r,
				    (enum bench_kind)k, c->procs[p],
				    c->accounts[a]);

				if (cell != NULL)
					bench_row(f, cell);
			}
	}
	bench_harness(f, c, r);
	fprintf(f, "\none op of each baseline (the variants: one "
	    "bank_transfer()):\n");
	for (k = BENCH_LOOP; k < BENCH_KIND_COUNT; k++)
		fprintf(f, "  %-14s %s\n", bench_names[k], bench_about[k]);
	fprintf(f, "\ngoals (measured, not asserted):\n");
	bench_goals(r, g);
	for (i = 0; i < BENCH_GOALS; i++)
		fprintf(f, "  [%s] %s: %s\n", !g[i].is_measured ? " -- " :
		    g[i].is_met ? " met" : "MISS", g[i].what, g[i].seen);
	if (r->interrupted)
		fprintf(f, "\ninterrupted: the ledgers were removed; the table "
		    "holds the cells that finished\n");
}

static struct json_object *
bench_json_cell(const struct bench_cell *cell)
{
	struct json_object *o = json_object_new_object(), *m, *rates;
	unsigned i;

	json_object_object_add(o, "kind",
	    json_object_new_string(bench_kind_name(cell->kind)));
	json_object_object_add(o, "variant",
	    json_object_new_boolean(bench_is_variant(cell->kind)));
	json_object_object_add(o, "procs", json_object_new_int(
	    (int32_t)cell->procs));
	json_object_object_add(o, "accounts", json_object_new_int64(
	    cell->accounts));
	json_object_object_add(o, "ops_per_proc", json_object_new_int64(
	    (int64_t)cell->ops));
	json_object_object_add(o, "runs", json_object_new_int(
	    (int32_t)cell->runs));
	m = json_object_new_object();
	json_object_object_add(m, "median",
	    json_object_new_double(cell->mops.median));
	json_object_object_add(m, "min", json_object_new_double(cell->mops.min));
	json_object_object_add(m, "max", json_object_new_double(cell->mops.max));
	json_object_object_add(o, "mops", m);
	rates = json_object_new_array();
	for (i = 0; i < cell->runs; i++)
		json_object_array_add(rates,
		    json_object_new_double(cell->rate[i]));
	json_object_object_add(o, "mops_runs", rates);
	json_object_object_add(o, "ns_per_op",
	    json_object_new_double(cell->ns_per_op));
	json_object_object_add(o, "scale", json_object_new_double(cell->scale));
	json_object_object_add(o, "base", cell->base < 0 ? NULL :
	    json_object_new_string(bench_kind_name(
	    (enum bench_kind)cell->base)));
	json_object_object_add(o, "vs_base", cell->vs_base > 0 ?
	    json_object_new_double(cell->vs_base) : NULL);
	json_object_object_add(o, "move", cell->move < 0 ? NULL :
	    json_object_new_string(bench_kind_name(
	    (enum bench_kind)cell->move)));
	json_object_object_add(o, "vs_move", cell->vs_move > 0 ?
	    json_object_new_double(cell->vs_move) : NULL);
	json_object_object_add(o, "done", json_object_new_int64(
	    (int64_t)cell->done));
	json_object_object_add(o, "refused", json_object_new_int64(
	    (int64_t)cell->refused));
	json_object_object_add(o, "failed", json_object_new_int64(
	    (int64_t)cell->failed));
	json_object_object_add(o, "first_error", cell->first_error == 0 ?
	    NULL : json_object_new_string(lab_strerror(cell->first_error)));
	json_object_object_add(o, "page_faults", json_object_new_int64(
	    (int64_t)cell->faults));
	json_object_object_add(o, "start_skew",
	    json_object_new_double(cell->skew));
	json_object_object_add(o, "moves_money",
	    json_object_new_boolean(bench_moves_money(cell->kind)));
	json_object_object_add(o, "money_kept",
	    json_object_new_boolean(cell->lossy_runs == 0));
	json_object_object_add(o, "lost_cents",
	    json_object_new_int64(cell->lost_cents));
	json_object_object_add(o, "lost_updates",
	    json_object_new_int64(cell->lost_writes));
	json_object_object_add(o, "negative_accounts",
	    json_object_new_int64(cell->negative));
	json_object_object_add(o, "lossy_runs",
	    json_object_new_int((int32_t)cell->lossy_runs));
	return o;
}

char *
bench_json(const struct bench_config *c, const struct bench_result *r)
{
	struct json_object *o = json_object_new_object(), *arr, *e;
	struct bench_goal g[BENCH_GOALS];
	unsigned i;
	char *s;

	if (o == NULL)
		return NULL;
	json_object_object_add(o, "program",
	    json_object_new_string("banklab-bench"));
	json_object_object_add(o, "seed", json_object_new_int64(
	    (int64_t)c->seed));
	json_object_object_add(o, "repeat", json_object_new_int(
	    (int32_t)c->repeat));
	json_object_object_add(o, "run_ms", json_object_new_int(
	    (int32_t)c->run_ms));
	json_object_object_add(o, "ops", json_object_new_int64(
	    (int64_t)c->ops));
	json_object_object_add(o, "quick", json_object_new_boolean(c->is_quick));
	arr = json_object_new_array();
	for (i = 0; i < c->nprocs; i++)
		json_object_array_add(arr, json_object_new_int(
		    (int32_t)c->procs[i]));
	json_object_object_add(o, "procs", arr);
	arr = json_object_new_array();
	for (i = 0; i < c->naccounts; i++) {
		e = json_object_new_object();
		json_object_object_add(e, "accounts",
		    json_object_new_int64(c->accounts[i]));
		json_object_object_add(e, "ledger_bytes", json_object_new_int64(
		    (int64_t)bench_ledger_bytes(c->accounts[i])));
		json_object_array_add(arr, e);
	}
	json_object_object_add(o, "accounts", arr);
	json_object_object_add(o, "bytes_per_account", json_object_new_int64(
	    (int64_t)bench_account_bytes()));
	json_object_object_add(o, "cpus", json_object_new_int(
	    (int32_t)r->cpus));
	json_object_object_add(o, "load_start",
	    json_object_new_double(r->load[0]));
	json_object_object_add(o, "load_end",
	    json_object_new_double(r->load[1]));
	arr = json_object_new_array();
	for (i = 0; i < r->ncells; i++)
		if (r->cell[i].has_run)
			json_object_array_add(arr, bench_json_cell(&r->cell[i]));
	json_object_object_add(o, "rows", arr);
	bench_goals(r, g);
	arr = json_object_new_array();
	for (i = 0; i < BENCH_GOALS; i++) {
		e = json_object_new_object();
		json_object_object_add(e, "what",
		    json_object_new_string(g[i].what));
		json_object_object_add(e, "seen",
		    json_object_new_string(g[i].seen));
		json_object_object_add(e, "measured",
		    json_object_new_boolean(g[i].is_measured));
		json_object_object_add(e, "met",
		    json_object_new_boolean(g[i].is_met));
		json_object_array_add(arr, e);
	}
	json_object_object_add(o, "goals", arr);
	json_object_object_add(o, "anomaly",
	    json_object_new_boolean(bench_has_anomaly(r)));
	json_object_object_add(o, "interrupted",
	    json_object_new_boolean(r->interrupted));
	json_object_object_add(o, "elapsed_s",
	    json_object_new_double(r->elapsed_s));
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}
