/*
 * bench_child: the measuring process's side of the benchmark.  It runs in
 * a program of its own (banklab-bench started with BENCH_CHILD_ARG), so
 * none of this runs in the observer, and returning is all it does at the
 * end: the program prints the report and exits.
 *
 * How we keep the harness out of what is measured:
 *  - the process attaches, joins, touches every page of the mapping, runs
 *    its loop 256 times untimed (a new program faults on each code page it
 *    first runs) and waits at the start gate before it reads the clock;
 *    reporting, detaching and exiting come after the second reading.  Page
 *    faults inside the loop are counted (getrusage) and reported: ~0.
 *  - every kind runs the same loop: draw (a, b, amount) from a private
 *    splitmix64 stream, do the kind's work, count the result.  The
 *    bare-loop kind does only the drawing and counting, so its ns/op is
 *    the harness's share of every other row.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bank.h"
#include "bench_impl.h"
#include "lab.h"
#include "spawn.h"
#include "sync.h"
#include "worker.h"

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

/* Its own handle, the warm-up and the gate: everything before the clock. */
static int
bench_child_ready(const struct bench_child *a, struct ledger *l,
    struct bench_report *rep)
{
	struct bench_report warm;
	int rc;

	if ((rc = sync_attach(a->name, l)) < 0)
		return rc;
	l->role = LEDGER_ROLE_BENCH;
	if ((rc = sync_use(l, bench_is_variant(a->kind) ?
	    (enum sync_kind)a->kind : SYNC_NONE)) < 0 ||
	    (rc = ledger_join(l)) < 0) {
		ledger_detach(l);
		return rc;
	}
	rep->sink = bench_prefault(l);
	/* A new program maps code pages on first use: run the loop a
	 * little (its own stream, not counted). */
	memset(&warm, 0, sizeof(warm));
	bench_loop_kind(l, a->kind, BENCH_WARM_OPS, ~a->seed, &warm);
	if ((rc = worker_wait_gate(l, a->gate, a->procs, BENCH_GATE_MS)) < 0)
		ledger_detach(l);
	return rc;
}

int
bench_child_run(const struct bench_child *a, struct bench_report *rep)
{
	struct ledger l;
	uint64_t t0, t1, f0;
	int rc;

	memset(rep, 0, sizeof(*rep));
	/* Never outlive the observer: it would wait for us at no gate. */
	if (a->parent > 0 && (rc = spawn_bind_parent(a->parent)) < 0)
		return rep->rc = rc;
	bench_pin(a->cpu);
	if ((rc = bench_child_ready(a, &l, rep)) < 0)
		return rep->rc = rc;
	f0 = bench_faults();
	t0 = lab_now_ns();
	bench_loop_kind(&l, a->kind, a->ops, a->seed, rep);
	t1 = lab_now_ns();
	rep->faults = bench_faults() - f0;
	rep->ns = t1 - t0;
	rep->t0 = t0;
	rep->t1 = t1;
	ledger_detach(&l);
	return rep->rc = 0;
}

#define BENCH_REPORT_TAG	"bench-report"

void
bench_report_print(FILE *f, const struct bench_report *rep)
{
	fprintf(f, BENCH_REPORT_TAG " %" PRId32 " %" PRId32 " %" PRIu64 " %"
	    PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
	    " %" PRIu64 "\n", rep->rc, rep->first_error, rep->done,
	    rep->refused, rep->failed, rep->ns, rep->t0, rep->t1, rep->faults,
	    rep->sink);
}

/* The report line among what the process printed (it prints only that). */
int
bench_report_parse(const char *s, struct bench_report *rep)
{
	const char *p = s == NULL ? NULL : strstr(s, BENCH_REPORT_TAG " ");
	int n, used = 0;

	memset(rep, 0, sizeof(*rep));
	if (p == NULL)
		return -EINVAL;
	n = sscanf(p, BENCH_REPORT_TAG " %" SCNd32 " %" SCNd32 " %" SCNu64
	    " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %"
	    SCNu64 " %" SCNu64 "%n", &rep->rc, &rep->first_error, &rep->done,
	    &rep->refused, &rep->failed, &rep->ns, &rep->t0, &rep->t1,
	    &rep->faults, &rep->sink, &used);
	if (n != 10 || (p[used] != '\n' && p[used] != '\0'))
		return -EINVAL;
	return 0;
}
