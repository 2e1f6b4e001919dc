/*
 * worker: one process's share of the work, and its report.
 */
#include <errno.h>
#include <json-c/json.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bank.h"
#include "lab.h"
#include "step.h"
#include "sync_impl.h"
#include "worker.h"

static const char *const worker_mix_names[WORKER_MIX_COUNT] = {
	[WORKER_TRANSFER] = "transfer",
	[WORKER_DEPOSIT] = "deposit",
	[WORKER_WITHDRAW] = "withdraw",
	[WORKER_MIXED] = "mixed",
	[WORKER_AUDIT] = "audit",
};

/* Where to die, and which operation we are in (for the step hook). */
struct worker_die {
	unsigned step;
	uint64_t after;
	uint64_t current;
};

const char *
worker_mix_name(enum worker_mix m)
{
	return (unsigned)m < WORKER_MIX_COUNT ? worker_mix_names[m] : "?";
}

int
worker_mix_parse(const char *s, enum worker_mix *m)
{
	int i;

	for (i = 0; s != NULL && i < WORKER_MIX_COUNT; i++)
		if (strcmp(s, worker_mix_names[i]) == 0) {
			*m = (enum worker_mix)i;
			return 0;
		}
	return -EINVAL;
}

void
worker_config_default(struct worker_config *c)
{
	memset(c, 0, sizeof(*c));
	c->ops = 10000;
	c->mix = WORKER_TRANSFER;
	c->seed = 1;
	c->max_amount = 100;
	c->from = -1;
	c->to = -1;
	c->gate_timeout_ms = 10000;
}

static uint32_t
worker_below(uint64_t *state, uint32_t n)
{
	return (uint32_t)(lab_rand(state) % n);
}

int
worker_wait_gate(struct ledger *l, uint64_t g, unsigned count,
    unsigned timeout_ms)
{
	uint64_t start = sync_now_ms();
	unsigned spins = 0;

	if (l->slot >= 0)
		atomic_store(&l->slots[l->slot].ready_gate, g);
	/*
	 * The last to arrive opens the gate: it is running now, so it does
	 * not wait for the parent to be scheduled.  Spin: waking from a futex
	 * or a pipe staggers the starts and the race may never overlap.
	 * Yield after a while so that more workers than cores all arrive.
	 */
	while (atomic_load_explicit(&l->hdr->start_gate,
	    memory_order_acquire) < g) {
		if (count != 0 && (spins & 63) == 0 &&
		    ledger_gate_ready(l, g) >= count) {
			atomic_store_explicit(&l->hdr->start_gate, g,
			    memory_order_release);
			break;
		}
		if (++spins < 20000)
			continue;
		sched_yield();
		if ((spins & 1023) == 0 &&
		    sync_now_ms() - start >= timeout_ms)
			return -LAB_ETIMEDOUT;
	}
	return 0;
}

/* What the slot and the handle recorded: the slot is cleared at detach. */
static void
worker_copy_out(const struct ledger *l, struct worker_result *r)
{
	r->lost = l->slots[l->slot].lost;
	r->repair = l->slots[l->slot].repair;
	r->repairs = atomic_load(&l->slots[l->slot].repairs);
	r->held_max = l->held_max;
	r->order_seen = l->order_seen;
	snprintf(r->contract, sizeof(r->contract), "%s", l->contract);
}

static void
worker_die_hook(struct ledger *l, unsigned step, void *arg)
{
	struct worker_die *d = arg;

	if (step == d->step && (d->after == 0 || d->current == d->after)) {
		if (l->trace != NULL)
			trace_put(l->trace, TRACE_KILL, step, 0, -1, 0, 0);
		raise(SIGKILL);
	}
}

/* One audit, judged against the books read before and after it. */
static int
worker_audit(struct ledger *l, struct worker_result *r)
{
	struct ledger_counters b1, b2;
	struct sync_audit a;
	int64_t expected, dev;
	int rc;

	ledger_books(l, &b1);
	if ((rc = bank_audit(l, &a)) < 0) {
		r->busy += rc == -LAB_EBUSY;
		return rc;
	}
	ledger_books(l, &b2);
	r->audits++;
	/* Deposits or withdrawals during the audit: no single right total. */
	if (b1.deposited != b2.deposited || b1.withdrawn != b2.withdrawn)
		return 0;
	/* Wrapping arithmetic: the counters are shared memory, maybe forged. */
	expected = (int64_t)((uint64_t)l->initial_total +
	    (uint64_t)b1.deposited - (uint64_t)b1.withdrawn);
	if (l->trace != NULL)
		trace_put(l->trace, TRACE_AUDITED, 0, 0, a.total, expected, 0);
	dev = lab_distance(a.total, expected);
	if (dev != 0 && r->stale_audits++ == 0)
		r->first_stale = a.total;
	if (dev > r->worst_deviation)
		r->worst_deviation = dev;
	return 0;
}

/*
 * Stop before operation i?  Not before the first (at least one audit,
 * however late an auditor started); then once the books show until_ops
 * operations done or refused (the other workers', for an auditor), or
 * once a SIGINT or SIGTERM is pending: whoever started us blocked them,
 * and asks us that way to stop and report.  Looked at every 64th
 * operation only: it is a system call, and transfers are timed.
 */
static bool
worker_should_stop(const struct ledger *l, const struct worker_config *c,
    uint64_t i)
{
	struct ledger_counters b;

	if (i == 0)
		return false;
	if ((i & 63) == 0 && lab_signalled())
		return true;
	if (c->until_ops == 0)
		return false;
	ledger_books(l, &b);
	return b.ops + b.refused >= c->until_ops;
}

static int
worker_op(struct ledger *l, const struct worker_config *c, uint64_t *rng,
    struct worker_result *r)
{
	uint32_t n = l->naccounts, a, b;
	int64_t amount = 1 + (int64_t)(lab_rand(rng) %
	    (uint64_t)c->max_amount);
	enum worker_mix mix = c->mix;
	int rc;

	if (mix == WORKER_AUDIT)
		return worker_audit(l, r);
	if (mix == WORKER_MIXED) {
		uint32_t dice = worker_below(rng, 4);

		mix = dice < 2 ? WORKER_TRANSFER :
		    dice == 2 ? WORKER_DEPOSIT : WORKER_WITHDRAW;
	}
	a = worker_below(rng, n);
	switch (mix) {
	case WORKER_DEPOSIT:
		if ((rc = bank_deposit(l, a, amount)) == 0)
			r->deposited += amount;
		return rc;
	case WORKER_WITHDRAW:
		if ((rc = bank_withdraw(l, a, amount)) == 0)
			r->withdrawn += amount;
		return rc;
	default:
		if (c->from >= 0) {
			a = (uint32_t)c->from;
			b = (uint32_t)c->to;
		} else {
			b = worker_below(rng, n - 1);
			b += b >= a;	/* any account but a */
			if (c->ascending && a > b) {
				uint32_t t = a;

				a = b;
				b = t;
			}
		}
		if ((rc = bank_transfer(l, a, b, amount)) == 0)
			r->moved += amount;
		return rc;
	}
}

/* Count one operation's outcome. */
static void
worker_count(struct ledger *l, int rc, struct worker_result *r)
{
	r->ops++;
	if (rc == 0) {
		r->done++;
	} else if (rc == -LAB_EFUNDS) {
		r->refused++;
	} else {
		r->failed++;
		if (r->first_error == 0) {
			r->first_error = rc;
			r->blocker_pid = l->blocker_pid;
		}
	}
}

int
worker_run(struct ledger *l, const struct worker_config *c,
    struct worker_result *r)
{
	struct worker_die die = { c->die_step, c->die_after, 0 };
	uint64_t rng = c->seed, i;
	double start;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	r->pid = l->pid;
	if (c->max_amount < 1 || c->max_amount > LEDGER_AMOUNT_MAX)
		return -LAB_EAMOUNT;
	if (c->from >= 0 && (!ledger_index_ok(l, c->from) ||
	    !ledger_index_ok(l, c->to) || c->from == c->to))
		return -LAB_EACCOUNT;
	if ((c->mix == WORKER_TRANSFER || c->mix == WORKER_MIXED) &&
	    l->naccounts < 2)
		return -LAB_EACCOUNT;
	if (c->gate != 0 &&
	    (rc = worker_wait_gate(l, c->gate, c->gate_count,
	    c->gate_timeout_ms)) < 0)
		return rc;
	if (c->die_step != 0) {
		l->step = worker_die_hook;
		l->step_minor = c->die_step;
		/* cppcheck-suppress autoVariables ; cleared before we return */
		l->step_arg = &die;
	}
	start = lab_now_s();
	for (i = 0; i < c->ops; i++) {
		if (worker_should_stop(l, c, i))
			break;
		die.current = i + 1;
		rc = worker_op(l, c, &rng, r);
		worker_count(l, rc, r);
		if (rc != 0 && rc != -LAB_EFUNDS && c->stop_on_error)
			break;
	}
	r->elapsed_s = lab_now_s() - start;
	worker_copy_out(l, r);
	if (c->die_step != 0) {
		l->step = NULL;
		l->step_arg = NULL;
	}
	return r->first_error;
}

static int
worker_script_op(struct ledger *l, const struct worker_op *o,
    struct worker_result *r)
{
	int64_t cents;
	int rc;

	switch (o->kind) {
	case WORKER_OP_DEPOSIT:
		if ((rc = bank_deposit(l, o->a, o->amount)) == 0)
			r->deposited += o->amount;
		return rc;
	case WORKER_OP_WITHDRAW:
		if ((rc = bank_withdraw(l, o->a, o->amount)) == 0)
			r->withdrawn += o->amount;
		return rc;
	case WORKER_OP_TRANSFER:
		if ((rc = bank_transfer(l, o->a, o->b, o->amount)) == 0)
			r->moved += o->amount;
		return rc;
	case WORKER_OP_AUDIT:
		return worker_audit(l, r);
	case WORKER_OP_BALANCE:
		return bank_balance(l, o->a, &cents);
	default:
		return -EINVAL;
	}
}

int
worker_run_script(struct ledger *l, const struct worker_op *ops, int nops,
    bool scheduled, struct worker_result *r)
{
	double start = lab_now_s();
	int i;

	memset(r, 0, sizeof(*r));
	r->pid = l->pid;
	if (scheduled) {
		step_hook_scheduled(l);
		step_park(l, STEP_START);
	}
	for (i = 0; i < nops; i++)
		worker_count(l, worker_script_op(l, &ops[i], r), r);
	if (scheduled) {
		step_park(l, STEP_END);
		step_unhook(l);
	}
	r->elapsed_s = lab_now_s() - start;
	worker_copy_out(l, r);
	return r->first_error;
}

/*
 * What the handle recorded of one run, cleared before the next as a fresh
 * attach would have it: the contract's records, the last lock wait, the
 * last step's note.  (The slot is the scheduler's to reset.)
 */
static void
worker_script_clear(struct ledger *l)
{
	l->blocker_pid = 0;
	l->held = 0;
	l->held_max = 0;
	l->quiet_locks = 0;
	l->order_seen = 0;
	memset(l->contract, 0, sizeof(l->contract));
	l->step_acct = 0;
	l->step_value = 0;
	l->step_minor = 0;
}

int
worker_serve_script(struct ledger *l, const struct worker_op *ops, int nops,
    worker_report_fn report, void *arg, struct worker_result *r)
{
	double start;
	int i;

	step_hook_scheduled(l);
	do {
		worker_script_clear(l);
		memset(r, 0, sizeof(*r));
		r->pid = l->pid;
		step_park(l, STEP_START);
		start = lab_now_s();
		for (i = 0; i < nops; i++)
			worker_count(l, worker_script_op(l, &ops[i], r), r);
		r->elapsed_s = lab_now_s() - start;
		worker_copy_out(l, r);
		report(r, arg);
		step_park(l, STEP_END);
		/* A park that gave up on its scheduler unhooked us: done. */
	} while (l->step != NULL && atomic_load(&l->slots[l->slot].sched_target)
	    == STEP_START);
	step_unhook(l);
	return r->first_error;
}

#define WORKER_FIELDS(X)						\
	X(pid) X(ops) X(done) X(refused) X(failed) X(first_error)	\
	X(blocker_pid) X(deposited) X(withdrawn) X(moved) X(audits)	\
	X(stale_audits) X(worst_deviation) X(first_stale) X(busy)	\
	X(repairs) X(held_max) X(order_seen)
#define LOST_FIELDS(X)							\
	X(seen) X(acct) X(version_read) X(balance_read)		\
	X(balance_written) X(other_pid) X(other_version) X(other_balance)
#define REPAIR_FIELDS(X)						\
	X(seen) X(op) X(dead_pid) X(acct) X(amount) X(found) X(restored) \
	X(journal)

/* Add the integer fields of a struct as one nested object. */
#define JSON_ADD(o, s, f) json_object_object_add(o, #f,		\
	json_object_new_int64((int64_t)(s)->f));
/* Read one integer field, or fail the parse. */
#define JSON_GET(o, s, f)						\
	if (!json_object_object_get_ex(o, #f, &v) ||			\
	    !json_object_is_type(v, json_type_int))			\
		goto out;						\
	(s)->f = (__typeof__((s)->f))json_object_get_int64(v);

char *
worker_result_json(const struct worker_result *r)
{
	struct json_object *o = json_object_new_object(), *lost, *repair;
	char *s;

	if (o == NULL)
		return NULL;
#define X(f) JSON_ADD(o, r, f)
	WORKER_FIELDS(X)
#undef X
	lost = json_object_new_object();
#define X(f) JSON_ADD(lost, &r->lost, f)
	LOST_FIELDS(X)
#undef X
	json_object_object_add(o, "lost", lost);
	repair = json_object_new_object();
#define X(f) JSON_ADD(repair, &r->repair, f)
	REPAIR_FIELDS(X)
#undef X
	json_object_object_add(o, "repair", repair);
	json_object_object_add(o, "contract",
	    json_object_new_string(r->contract));
	json_object_object_add(o, "elapsed_s",
	    json_object_new_double(r->elapsed_s));
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

int
worker_result_parse(const char *json, struct worker_result *r)
{
	struct json_object *o, *v, *sub;
	int rc = -LAB_EWORKER;

	memset(r, 0, sizeof(*r));
	if ((o = json_tokener_parse(json)) == NULL)
		return rc;
	if (!json_object_is_type(o, json_type_object))
		goto out;
#define X(f) JSON_GET(o, r, f)
	WORKER_FIELDS(X)
#undef X
	if (!json_object_object_get_ex(o, "lost", &sub))
		goto out;
#define X(f) JSON_GET(sub, &r->lost, f)
	LOST_FIELDS(X)
#undef X
	if (!json_object_object_get_ex(o, "repair", &sub))
		goto out;
#define X(f) JSON_GET(sub, &r->repair, f)
	REPAIR_FIELDS(X)
#undef X
	if (!json_object_object_get_ex(o, "contract", &v) ||
	    !json_object_is_type(v, json_type_string))
		goto out;
	snprintf(r->contract, sizeof(r->contract), "%s",
	    json_object_get_string(v));
	if (!json_object_object_get_ex(o, "elapsed_s", &v))
		goto out;
	r->elapsed_s = json_object_get_double(v);
	rc = 0;
out:
	json_object_put(o);
	return rc;
}
