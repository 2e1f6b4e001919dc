/*
 * report: text and JSON about ledgers and runs.
 */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "lab.h"
#include "report.h"

void
report_json_int(struct json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

void
report_json_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

void
report_json_bool(struct json_object *o, const char *k, bool v)
{
	json_object_object_add(o, k, json_object_new_boolean(v));
}

void
report_json_double(struct json_object *o, const char *k, double v)
{
	json_object_object_add(o, k, json_object_new_double(v));
}

char *
report_json_finish(struct json_object *o)
{
	char *s;

	if (o == NULL)
		return NULL;
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

int
report_json_print(FILE *f, struct json_object *o)
{
	char *s = report_json_finish(o);

	if (s == NULL)
		return -ENOMEM;
	fprintf(f, "%s\n", s);
	free(s);
	return 0;
}

const char *
report_money(int64_t cents, char *buf, size_t len)
{
	uint64_t u = cents < 0 ? -(uint64_t)cents : (uint64_t)cents;

	snprintf(buf, len, "%s%" PRIu64 ".%02" PRIu64, cents < 0 ? "-" : "",
	    u / 100, u % 100);
	return buf;
}

static const char *
report_op_name(uint32_t op)
{
	switch (op) {
	case LEDGER_OP_DEPOSIT:
		return "deposit";
	case LEDGER_OP_WITHDRAW:
		return "withdrawal";
	case LEDGER_OP_TRANSFER:
		return "transfer";
	default:
		return "operation";
	}
}

const char *
report_journal(const struct ledger *l, int slot, char *buf, size_t len)
{
	const struct ledger_journal *j = &l->slots[slot].journal;
	uint32_t state = atomic_load(&j->state), n = j->n;
	char m[32];

	buf[0] = '\0';
	if (state != LEDGER_J_BEGUN)
		return buf;
	if (n < 1 || n > 2 || !ledger_index_ok(l, j->acct[0]) ||
	    (n == 2 && !ledger_index_ok(l, j->acct[1]))) {
		snprintf(buf, len, "a corrupt journal (account out of range)");
		return buf;
	}
	report_money(j->amount, m, sizeof(m));
	if (n == 2)
		snprintf(buf, len, "half-done transfer of %s from #%" PRIu32
		    " to #%" PRIu32 " (before: %" PRId64 " and %" PRId64
		    " cents)", m, j->acct[0], j->acct[1], j->before[0],
		    j->before[1]);
	else
		snprintf(buf, len, "half-done %s of %s on #%" PRIu32
		    " (before: %" PRId64 " cents)", report_op_name(j->op), m,
		    j->acct[0], j->before[0]);
	return buf;
}

static void
report_hold(const struct ledger *l, int64_t a, char *buf, size_t len)
{
	if (a == LEDGER_NONE)
		snprintf(buf, len, "-");
	else if (a == LEDGER_WAIT_SEM)
		snprintf(buf, len, "sem");
	else if (ledger_index_ok(l, a))
		snprintf(buf, len, "#%" PRId64, a);
	else
		snprintf(buf, len, "?");	/* forged: out of range */
}

static void
report_slots(FILE *f, const struct ledger *l)
{
	char h0[24], h1[24], w[24], j[160];
	unsigned i, shown = 0;

	for (i = 0; i < l->nslots; i++) {
		const struct ledger_slot *s = &l->slots[i];
		uint32_t sync = atomic_load(&s->sync);

		if (atomic_load(&s->state) != LEDGER_SLOT_LIVE)
			continue;
		if (shown++ == 0)
			fprintf(f, "  processes:\n    %-5s %-8s %-6s %-9s "
			    "%-14s %-6s %s\n", "slot", "pid", "state",
			    "variant", "holds", "waits", "ops");
		report_hold(l, atomic_load(&s->holds[0]), h0, sizeof(h0));
		report_hold(l, atomic_load(&s->holds[1]), h1, sizeof(h1));
		report_hold(l, atomic_load(&s->waits), w, sizeof(w));
		strncat(h0, " ", sizeof(h0) - strlen(h0) - 1);
		strncat(h0, h1, sizeof(h0) - strlen(h0) - 1);
		fprintf(f, "    %-5u %-8d %-6s %-9s %-14s %-6s %" PRIu64 "\n",
		    i, (int)atomic_load(&s->pid),
		    ledger_slot_alive(l, (int)i) ? "alive" : "DEAD",
		    sync < SYNC_COUNT ? ledger_sync_name(sync) : "?", h0, w,
		    s->counters.ops - s->base.ops);
		if (*report_journal(l, (int)i, j, sizeof(j)) != '\0')
			fprintf(f, "          %s\n", j);
	}
	if (shown == 0)
		fprintf(f, "  processes: none attached\n");
}

void
report_show(FILE *f, const struct ledger *l)
{
	const struct ledger_header *h = l->hdr;
	struct ledger_counters b;
	struct bank_check c;
	char m1[32], m2[32], when[64];
	int64_t min = INT64_MAX, max = INT64_MIN;
	uint32_t i, imin = 0, imax = 0;
	time_t t = (time_t)(h->created_ns / 1000000000);
	struct tm tm;
	int holder, sval = 0;

	for (i = 0; i < l->naccounts; i++) {
		int64_t v = atomic_load_explicit(&l->acct[i].balance,
		    memory_order_relaxed);

		if (v < min) {
			min = v;
			imin = i;
		}
		if (v > max) {
			max = v;
			imax = i;
		}
	}
	ledger_books(l, &b);
	bank_check(l, &c);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S",
	    localtime_r(&t, &tm));
	fprintf(f, "ledger %s%s\n", LEDGER_PREFIX, l->name);
	fprintf(f, "  format:    version %u, layout %08" PRIx32 ", %zu bytes "
	    "(%zu per account)\n", (unsigned)LEDGER_VERSION, ledger_layout(),
	    l->size, sizeof(struct ledger_account));
	fprintf(f, "  created:   %s by pid %d, generation %016" PRIx64 "\n",
	    when, (int)h->creator, l->generation);
	fprintf(f, "  variant:   %s\n", ledger_sync_name(l->created_sync));
	fprintf(f, "  accounts:  %" PRIu32 ", total %s (initial %s)\n",
	    l->naccounts, report_money(c.observed, m1, sizeof(m1)),
	    report_money(l->initial_total, m2, sizeof(m2)));
	fprintf(f, "  balances:  lowest %s on #%" PRIu32, report_money(min, m1,
	    sizeof(m1)), imin);
	fprintf(f, ", highest %s on #%" PRIu32 "\n", report_money(max, m2,
	    sizeof(m2)), imax);
	fprintf(f, "  books:     %" PRIu64 " ops, deposited %" PRId64
	    ", withdrawn %" PRId64 ", moved %" PRId64 " cents, %" PRIu64
	    " refused\n", b.ops, b.deposited, b.withdrawn, b.moved, b.refused);
	report_check(f, &c);
	fprintf(f, "  repairs:   %" PRIu64 " (locks taken over from dead "
	    "owners)\n", atomic_load(&h->repairs));
	sem_getvalue(&l->hdr->sem, &sval);	/* reads; POSIX says sem_t * */
	holder = atomic_load(&h->sem_holder);
	if (holder >= 0 && (uint32_t)holder < l->nslots)
		fprintf(f, "  semaphore: value %d, held by slot %d (pid %d, "
		    "%s)\n", sval, holder, (int)atomic_load(
		    &l->slots[holder].pid), ledger_slot_alive(l, holder) ?
		    "alive" : "DEAD: nothing can proceed");
	else
		fprintf(f, "  semaphore: value %d, not held\n", sval);
	report_slots(f, l);
}

void
report_check(FILE *f, const struct bank_check *c)
{
	char e[32], o[32], d[32];

	fprintf(f, "  check:     expected %s, observed %s: %s\n",
	    report_money(c->expected, e, sizeof(e)),
	    report_money(c->observed, o, sizeof(o)),
	    c->lost_cents == 0 ? "money kept" :
	    c->lost_cents > 0 ? "money LOST" : "money CREATED");
	if (c->lost_cents != 0) {
		/*
		 * Its magnitude without negating it: a forged ledger can make
		 * it INT64_MIN (found by tests/fuzz/fuzz_ledger.c).
		 */
		const char *m = report_money(c->lost_cents, d, sizeof(d));

		fprintf(f, "             %s %s\n", c->lost_cents > 0 ?
		    "lost:" : "created:", m + (*m == '-'));
	}
	if (c->lost_writes != 0)
		fprintf(f, "             %" PRId64 " balance writes were "
		    "overwritten (lost updates)\n", c->lost_writes);
	if (c->negative != 0)
		fprintf(f, "             %" PRIu32 " accounts below zero\n",
		    c->negative);
}

void
report_run(FILE *f, const struct run_config *c, const struct run_result *r)
{
	unsigned i;

	fprintf(f, "run: %u workers x %" PRIu64 " %s ops, variant %s, "
	    "seed %" PRIu64 ", %.3f s\n", c->procs, c->w.ops,
	    worker_mix_name(c->w.mix), ledger_sync_name(c->sync), c->w.seed,
	    r->elapsed_s);
	for (i = 0; i < r->n; i++) {
		const struct run_worker *w = &r->w[i];

		if (!w->has_result) {
			fprintf(f, "  worker %u: no report (%s)\n", i, w->how);
			continue;
		}
		fprintf(f, "  worker %u: pid %d, %" PRIu64 " done, %" PRIu64
		    " refused, %" PRIu64 " failed (%s)", i, (int)w->res.pid,
		    w->res.done, w->res.refused, w->res.failed, w->how);
		if (w->res.first_error != 0)
			fprintf(f, ": %s", lab_strerror(w->res.first_error));
		fputc('\n', f);
	}
	if (r->timed_out)
		fprintf(f, "  the run timed out: the workers still running "
		    "were killed\n");
	report_check(f, &r->check);
}

char *
report_run_json(const struct ledger *l, const struct run_config *c,
    const struct run_result *r)
{
	struct json_object *o = json_object_new_object(), *ws;
	unsigned i;

	if (o == NULL)
		return NULL;
	report_json_str(o, "ledger", l->name);
	report_json_str(o, "sync", ledger_sync_name(c->sync));
	report_json_int(o, "procs", c->procs);
	report_json_int(o, "ops", (int64_t)c->w.ops);
	report_json_int(o, "seed", (int64_t)c->w.seed);
	report_json_int(o, "expected_total", r->check.expected);
	report_json_int(o, "observed_total", r->check.observed);
	report_json_int(o, "lost_cents", r->check.lost_cents);
	report_json_int(o, "lost_updates", r->check.lost_writes);
	report_json_bool(o, "anomaly", !r->check.is_ok || r->failed > 0);
	report_json_double(o, "elapsed_s", r->elapsed_s);
	ws = json_object_new_array();
	for (i = 0; i < r->n; i++) {
		struct json_object *w = json_object_new_object();

		report_json_str(w, "status", r->w[i].how);
		if (r->w[i].has_result) {
			report_json_int(w, "pid", r->w[i].res.pid);
			report_json_int(w, "done", (int64_t)r->w[i].res.done);
			report_json_int(w, "failed",
			    (int64_t)r->w[i].res.failed);
		}
		json_object_array_add(ws, w);
	}
	json_object_object_add(o, "workers", ws);
	return report_json_finish(o);
}
