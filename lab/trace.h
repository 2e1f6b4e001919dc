/*
 * trace: what one process did, when, as fixed-size records in a file of its
 * own, for a trace anyone can open (trace_json.c merges the files into
 * Chrome trace-event JSON for Perfetto and chrome://tracing).
 *
 * Layer: just above base; it knows no ledger (the ledger handle only
 * carries a pointer to a writer, NULL when tracing is off, and the layers
 * above ask that pointer once: one predictable branch).
 *
 * Contract: trace_open() creates DIR/PID.trace (O_EXCL, mode 0600, in a
 * directory the starting program made) and maps it shared, so what a
 * process wrote survives its SIGKILL for the parent that merges.  Records
 * are reserved in chunks before they are written (posix_fallocate: a full
 * disk stops the trace, it never SIGBUSes the process), so a short-lived
 * worker's file stays small.  One writer per file (the process that opened it; a forked
 * child opens its own).  Every time is CLOCK_MONOTONIC, the one clock all
 * processes share.  A full file drops what comes (counted), but keeps room
 * for the end of every slice it recorded the beginning of: slices pair.
 */
#ifndef LAB_TRACE_H
#define LAB_TRACE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRACE_MAGIC		0x3145434152544c42ULL	/* "BLTRACE1" LE */
#define TRACE_VERSION		1
#define TRACE_RECORDS		32768u	/* per process, at most: 1.3 MB */
#define TRACE_CHUNK		2048u	/* reserved at a time: 80 KB */
#define TRACE_ROLE_MAX		32
#define TRACE_DIR_MAX		512
#define TRACE_SUFFIX		".trace"

/* What a record says. */
enum trace_kind {
	TRACE_BEGIN = 1,	/* a slice opens: arg enum trace_slice, a, b,
				 * v (the amount of an operation) */
	TRACE_END,		/* the innermost open slice closes: v its rc */
	TRACE_STEP,		/* a step point: arg the step, a acct, v value */
	TRACE_LOST,		/* a lost update: a acct, pid whose write it
				 * overwrote, v the balance written */
	TRACE_REPAIR,		/* a dead owner's lock repaired: pid the dead,
				 * a acct, b balance found, v restored */
	TRACE_DEADLOCK,		/* a lock wait found a cycle: pid blocker,
				 * a the account waited for */
	TRACE_KILL,		/* SIGKILL: pid whom (0: the writer itself),
				 * arg the step it dies at (0: anywhere) */
	TRACE_CYCLE,		/* one process of a wait-for cycle seen by a
				 * watcher: pid, a holds, b waits, arg index */
	TRACE_MONEY,		/* counter: a balances' sum, b the books' */
	TRACE_LOSTCOUNT,	/* counter: v balance writes lost so far */
	TRACE_AUDITED,		/* counter: a total an audit saw, b books */
	TRACE_KIND_COUNT
};

/* What a slice is. */
enum trace_slice {
	TRACE_S_TRANSFER = 1,	/* a from, b to, v cents */
	TRACE_S_DEPOSIT,	/* a, v cents */
	TRACE_S_WITHDRAW,
	TRACE_S_BALANCE,	/* a */
	TRACE_S_AUDIT,
	TRACE_S_WAIT,		/* waiting for a lock: a acct or TRACE_SEM */
	TRACE_S_HOLD,		/* holding it */
	TRACE_S_BARE,		/* `none`: where a lock would be held, over
				 * a (and b, or -1) */
	TRACE_SLICE_COUNT
};

#define TRACE_SEM	(-2)	/* the global semaphore, as an "account" */

struct trace_rec {
	uint64_t ns;		/* CLOCK_MONOTONIC */
	uint16_t kind;		/* enum trace_kind */
	uint16_t arg;
	int32_t pid;		/* another process it is about, or 0 */
	int64_t a, b, v;
};

_Static_assert(sizeof(struct trace_rec) == 40, "records: fixed size");

/* The file's first bytes; the records follow. */
struct trace_head {
	_Atomic uint64_t magic;	/* written last by trace_open() */
	uint32_t version;
	uint32_t rec_size;	/* sizeof(struct trace_rec) */
	int32_t pid;		/* the writer */
	uint32_t cap;		/* records the file holds */
	_Atomic uint64_t n;	/* records written */
	_Atomic uint64_t dropped;
	char role[TRACE_ROLE_MAX];	/* "worker", "auditor", "p1", ... */
	uint8_t pad[56];
};

_Static_assert(sizeof(struct trace_head) == 128, "a header: 2 lines");

/* A process's writer.  Not shared. */
struct trace {
	struct trace_head *h;
	struct trace_rec *rec;
	size_t size;		/* bytes mapped */
	uint64_t n;		/* our copy of h->n */
	uint32_t cap;		/* records reserved so far */
	uint32_t max;		/* ... at most (less once a reserve failed) */
	int fd;
	uint32_t depth;		/* slices recorded open */
	uint32_t ghosts;	/* slices dropped open (inside those) */
	char dir[TRACE_DIR_MAX];	/* where our workers write theirs */
};

/* The time now on the trace's clock, in nanoseconds. */
uint64_t trace_now_ns(void);

/*
 * Create and map DIR/PID.trace for this process, with role (cut to
 * TRACE_ROLE_MAX - 1).  0, -ENAMETOOLONG, -ENOSPC, or -errno.
 */
int trace_open(const char *dir, const char *role, struct trace *t);

/* Unmap (the file stays for the merge).  t NULL or closed: nothing. */
void trace_close(struct trace *t);

/* One record, stamped now. */
void trace_put(struct trace *t, enum trace_kind kind, unsigned arg,
    int32_t pid, int64_t a, int64_t b, int64_t v);

/* A slice opens (its kind, a, b, v) and the innermost closes (rc). */
static inline void
trace_begin(struct trace *t, enum trace_slice s, int64_t a, int64_t b,
    int64_t v)
{
	trace_put(t, TRACE_BEGIN, s, 0, a, b, v);
}

static inline void
trace_end(struct trace *t, int rc)
{
	trace_put(t, TRACE_END, 0, 0, 0, 0, rc);
}

/* Name of a slice kind ("transfer"), NULL if none. */
const char *trace_slice_name(unsigned s);

#endif
