/*
 * worker: the loop one worker process runs against an attached ledger.
 *
 * Contract: the caller has attached and joined (ledger_join()).  A worker
 * may wait at a start gate first (so all workers really overlap), then does
 * its operations with its own seeded generator (no global state: the same
 * seed gives the same operations), and fills a result that can travel over
 * a pipe as one line of JSON.  An auditor worker audits again and again and
 * counts totals that differ from what the books say the total must be.
 * A worker whose starter blocked SIGINT and SIGTERM (spawn passes its mask
 * on) stops at the next operation once one is pending, and reports: that
 * is how a starter ends an auditor when it chooses (the kill storm).
 */
#ifndef LAB_WORKER_H
#define LAB_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include "ledger.h"

enum worker_mix {
	WORKER_TRANSFER = 0,
	WORKER_DEPOSIT,
	WORKER_WITHDRAW,
	WORKER_MIXED,		/* transfers, deposits and withdrawals */
	WORKER_AUDIT,		/* audits only */
	WORKER_MIX_COUNT
};

struct worker_config {
	uint64_t ops;		/* operations (or audits) to do */
	enum worker_mix mix;
	uint64_t seed;
	int64_t max_amount;	/* amounts are 1..max_amount cents */
	int64_t from, to;	/* >= 0: every transfer is from -> to */
	bool ascending;		/* transfers go to the higher account: with
				 * locks in argument order, still no cycle */
	uint64_t gate;		/* start gate to wait at, 0: start at once */
	unsigned gate_count;	/* the last of this many to arrive opens it */
	unsigned gate_timeout_ms;
	unsigned die_step;	/* enum step_point at which to SIGKILL self */
	uint64_t die_after;	/* ... in operation number die_after (1-based;
				 * 0: the first time it gets there) */
	bool stop_on_error;	/* stop at the first lock error */
	uint64_t until_ops;	/* audit: also stop once the books show
				 * this many operations done or refused */
};

struct worker_result {
	int32_t pid;
	uint64_t ops;		/* operations attempted */
	uint64_t done;		/* completed */
	uint64_t refused;	/* insufficient funds */
	uint64_t failed;	/* lock errors (deadlock, dead holder ...) */
	int first_error;	/* the first lock error's code, 0 if none */
	int32_t blocker_pid;	/* whom it waited on at that error */
	int64_t deposited, withdrawn, moved;
	uint64_t audits;
	uint64_t stale_audits;	/* audits whose total was not the books' */
	int64_t worst_deviation;/* largest |audit - books|, cents */
	int64_t first_stale;	/* the total the first stale audit saw */
	uint64_t busy;		/* audits with no consistent snapshot in
				 * time (-LAB_EBUSY), counted in failed too */
	uint64_t repairs;	/* dead owners' locks it took over */
	struct ledger_lost lost;	/* its first lost update, if seen */
	struct ledger_repair repair;	/* its last repair, if any */
	/* What its exercise code did (contract.h), for the graders. */
	uint64_t held_max;	/* robust mutexes held at once, at most */
	uint64_t order_seen;	/* pairs' lock order, bit 8a+b: a first */
	char contract[160];	/* the first rule broken, "" if none */
	double elapsed_s;
};

void worker_config_default(struct worker_config *c);

/*
 * Wait (spinning, then yielding) until the ledger's gate g is opened; the
 * count-th process to arrive opens it (0: only someone else opens it).
 */
int worker_wait_gate(struct ledger *l, uint64_t g, unsigned count,
    unsigned timeout_ms);

/* Run the worker.  Returns 0, or the lock error that stopped it. */
int worker_run(struct ledger *l, const struct worker_config *c,
    struct worker_result *r);

/* One operation of a script (a schedule's process runs a list of them). */
enum worker_op_kind {
	WORKER_OP_DEPOSIT = 1,
	WORKER_OP_WITHDRAW,
	WORKER_OP_TRANSFER,
	WORKER_OP_AUDIT,
	WORKER_OP_BALANCE
};

struct worker_op {
	enum worker_op_kind kind;
	uint32_t a, b;
	int64_t amount;
};

/*
 * Run a script of operations in order (schedules).  If scheduled, park at
 * the start, at every step point the scheduler asks for, and at the end.
 */
int worker_run_script(struct ledger *l, const struct worker_op *ops, int nops,
    bool scheduled, struct worker_result *r);

/* Called with each run's result, before the worker parks at its end. */
typedef void (*worker_report_fn)(const struct worker_result *r, void *arg);

/*
 * A scheduled script, run again and again for a scheduler that keeps its
 * workers between runs (sched_pool.c).  Each run parks at the start, runs
 * the script, hands its result to report (the scheduler reads it while we
 * are parked at the end) and parks at the end.  Released from the end
 * with target STEP_START, it clears what the handle recorded of the run
 * (the contract's records, the last step's note) and runs again; with any
 * other target it returns.  r is the last run's result.
 */
int worker_serve_script(struct ledger *l, const struct worker_op *ops,
    int nops, worker_report_fn report, void *arg, struct worker_result *r);

/* One line of JSON (no newline) into a malloc'd string; NULL on ENOMEM. */
char *worker_result_json(const struct worker_result *r);

/* Parse what worker_result_json() made; -LAB_EWORKER if it is not that. */
int worker_result_parse(const char *json, struct worker_result *r);

const char *worker_mix_name(enum worker_mix m);
int worker_mix_parse(const char *s, enum worker_mix *m);

#endif
