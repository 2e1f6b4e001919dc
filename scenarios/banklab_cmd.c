/*
 * banklab_cmd: banklab's commands (create, worker, run, audit, show, list,
 * destroy), each on what the command line said, each returning the exit
 * code.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bank.h"
#include "banklab.h"
#include "cli.h"
#include "cli_trace.h"
#include "lab.h"
#include "ledger.h"
#include "report.h"
#include "run.h"
#include "spawn.h"
#include "sync.h"

/* One line for a library failure on NAME, and the exit code it maps to. */
static int
fail(const struct banklab_args *c, int code)
{
	if (c->name != NULL)
		fprintf(stderr, "%s: %s: %s\n", PROG, c->name,
		    code == -ENOENT ? "no such ledger" : lab_strerror(code));
	else
		fprintf(stderr, "%s: %s\n", PROG, lab_strerror(code));
	if (code == -ENOENT || code == -EEXIST)
		return LAB_EXIT_USAGE;
	return lab_exit_code(code);
}

/* Attach (and join, if asked) with the variant the command line chose. */
static int
open_ledger(struct banklab_args *c, struct ledger *l, bool join)
{
	enum sync_kind sync;
	int r;

	if ((r = sync_attach(c->name, l)) < 0)
		return fail(c, r);
	if (cli_sync(PROG, c->sync_arg, l->created_sync, &sync) < 0) {
		ledger_detach(l);
		return LAB_EXIT_USAGE;
	}
	sync_use(l, sync);
	if (c->given & O_LOCK_TIMEOUT)
		l->lock_timeout_ms = (unsigned)c->lock_timeout;
	l->window = (unsigned)c->window;
	l->role = LEDGER_ROLE_COMMAND;
	if (join && (r = ledger_join(l)) < 0) {
		ledger_detach(l);
		return fail(c, r);
	}
	return 0;
}

int
banklab_cmd_create(struct banklab_args *c)
{
	struct ledger_config cfg = {
		.naccounts = (uint32_t)c->accounts,
		.balance = c->balance,
	};
	struct ledger l;
	char m[32];
	int r;

	if (cli_sync(PROG, c->sync_arg, SYNC_ORDERED, &cfg.sync) < 0)
		return LAB_EXIT_USAGE;
	if (c->balance > LEDGER_BALANCE_MAX / c->accounts) {
		fprintf(stderr, "%s: --balance: %" PRId64 " cents in each of %"
		    PRId64 " accounts is more than a ledger holds\n", PROG,
		    c->balance, c->accounts);
		return LAB_EXIT_USAGE;
	}
	if ((r = sync_create(c->name, &cfg, &l)) < 0) {
		if (r == -EEXIST) {
			fprintf(stderr, "%s: %s: a ledger of that name exists "
			    "(banklab destroy %s)\n", PROG, c->name, c->name);
			return LAB_EXIT_USAGE;
		}
		return fail(c, r);
	}
	printf("created %s%s: %" PRIu32 " accounts of %s, variant %s, "
	    "%zu bytes\n", LEDGER_PREFIX, c->name, l.naccounts,
	    report_money(c->balance, m, sizeof(m)), ledger_sync_name(cfg.sync),
	    l.size);
	ledger_detach(&l);
	return LAB_EXIT_OK;
}

/*
 * The worker options run's command line gave, as a worker's spec: run's
 * workers are checked as `banklab worker` checks its own (banklab_worker.c).
 */
static void
banklab_args_spec(const struct banklab_args *c, struct worker_spec *s)
{
	static const struct {
		unsigned opt;
		enum worker_arg arg;
		size_t off;
	} map[] = {
#define M(o, a, f) { o, WORKER_ARG_##a, offsetof(struct banklab_args, f) }
		M(O_OPS, OPS, ops), M(O_SEED, SEED, seed),
		M(O_MAX_AMOUNT, MAX_AMOUNT, max_amount), M(O_FROM, FROM, from),
		M(O_TO, TO, to), M(O_DIE_STEP, DIE_STEP, die_step),
		M(O_DIE_AFTER, DIE_AFTER, die_after),
		M(O_UNTIL, UNTIL_OPS, until_ops),
#undef M
	};
	int64_t v;
	size_t i;

	worker_spec_init(s);
	s->ledger = c->name;
	s->mix = c->mix;
	s->given |= WORKER_ARG(WORKER_ARG_MIX);
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		memcpy(&v, (const char *)c + map[i].off, sizeof(v));
		/* The seed and the op count have defaults of their own. */
		if ((c->given & map[i].opt) || map[i].arg == WORKER_ARG_OPS ||
		    map[i].arg == WORKER_ARG_SEED)
			worker_spec_give(s, map[i].arg, v);
	}
	if (c->given & O_STOP)
		worker_spec_give(s, WORKER_ARG_STOP_ON_ERROR, 0);
	if (c->given & O_ASCENDING)
		worker_spec_give(s, WORKER_ARG_ASCENDING, 0);
}

int
banklab_cmd_run(struct banklab_args *c)
{
	struct worker_spec spec;
	struct run_config rc;
	struct run_result res;
	struct cli_trace ct;
	struct ledger l;
	char *json;
	int r, tr, sync;

	banklab_args_spec(c, &spec);
	if (banklab_worker_check(&spec) < 0)
		return LAB_EXIT_USAGE;
	if ((r = open_ledger(c, &l, false)) != 0)
		return r;
	if (banklab_worker_accounts(&spec, &l) < 0) {
		ledger_detach(&l);
		return LAB_EXIT_USAGE;
	}
	run_config_default(&rc);
	worker_spec_config(&spec, &rc.w);
	rc.worker = getenv("BANKLAB_WORKER");
	rc.procs = (unsigned)c->procs;
	sync = (int)l.sync->kind;
	rc.sync = (enum sync_kind)sync;
	rc.window = (unsigned)c->window;
	rc.lock_timeout_ms = (unsigned)c->lock_timeout;
	rc.timeout_ms = (unsigned)c->timeout;
	if (cli_trace_start(PROG " run", c->trace, "banklab run", &ct) < 0) {
		ledger_detach(&l);
		return LAB_EXIT_SYSTEM;
	}
	sync_trace(&l, cli_trace_writer(&ct));
	r = run_workers(&l, &rc, &res);
	sync_trace(&l, NULL);
	tr = cli_trace_finish(PROG " run", &ct);
	if (r < 0) {
		run_result_free(&res);
		ledger_detach(&l);
		return fail(c, r);
	}
	if (c->given & O_JSON) {
		if ((json = report_run_json(&l, &rc, &res)) != NULL)
			printf("%s\n", json);
		free(json);
	} else {
		report_run(stdout, &rc, &res);
	}
	r = res.check.is_ok && res.failed == 0 && !res.timed_out;
	run_result_free(&res);
	ledger_detach(&l);
	if (tr < 0)
		return LAB_EXIT_SYSTEM;
	return r ? LAB_EXIT_OK : LAB_EXIT_ANOMALY;
}

int
banklab_cmd_audit(struct banklab_args *c)
{
	struct ledger_counters b1, b2;
	struct sync_audit a;
	struct ledger l;
	char m1[32], m2[32];
	int64_t expected;
	int r;

	if ((r = open_ledger(c, &l, true)) != 0)
		return r;
	ledger_books(&l, &b1);
	r = bank_audit(&l, &a);
	ledger_books(&l, &b2);
	if (r < 0) {
		ledger_detach(&l);
		return fail(c, r);
	}
	expected = l.initial_total + b1.deposited - b1.withdrawn;
	printf("audit of %s (%s): total %s, %s\n", c->name, l.sync->name,
	    report_money(a.total, m1, sizeof(m1)), a.is_consistent ?
	    "a consistent snapshot" : "not a snapshot (accounts read at "
	    "different moments)");
	if (b1.deposited != b2.deposited || b1.withdrawn != b2.withdrawn) {
		printf("  deposits or withdrawals ran during the audit: no "
		    "single total to compare with\n");
		ledger_detach(&l);
		return LAB_EXIT_OK;
	}
	printf("  the books say %s: %s\n", report_money(expected, m2,
	    sizeof(m2)), a.total == expected ? "they agree" : "they DISAGREE");
	ledger_detach(&l);
	return a.total == expected ? LAB_EXIT_OK : LAB_EXIT_ANOMALY;
}

int
banklab_cmd_show(struct banklab_args *c)
{
	struct ledger l;
	int r;

	if ((r = sync_attach(c->name, &l)) < 0)
		return fail(c, r);
	report_show(stdout, &l);
	ledger_detach(&l);
	return LAB_EXIT_OK;
}

static void
print_name(const char *name, void *arg)
{
	struct ledger l;
	int r;

	(void)arg;
	if ((r = sync_attach(name, &l)) < 0) {
		printf("%-24s (cannot attach: %s)\n", name, lab_strerror(r));
		return;
	}
	printf("%-24s %8" PRIu32 " accounts  %-9s %zu bytes%s\n", name,
	    l.naccounts, ledger_sync_name(l.created_sync), l.size,
	    ledger_is_stale(&l) ? "  stale (its program is gone: banklab "
	    "destroy --stale)" : (l.hdr->flags & LEDGER_F_PRIVATE) ?
	    "  private (a running program's)" : "");
	ledger_detach(&l);
}

/* destroy --stale: every stale ledger, and only those. */
static void
destroy_stale(const char *name, void *arg)
{
	unsigned *n = arg;
	struct ledger l;
	bool is_stale;

	if (sync_attach(name, &l) < 0)
		return;		/* not ours to judge: left alone */
	is_stale = ledger_is_stale(&l);
	ledger_detach(&l);
	if (is_stale && ledger_unlink(name) == 0) {
		printf("destroyed %s%s (stale)\n", LEDGER_PREFIX, name);
		(*n)++;
	}
}

int
banklab_cmd_list(struct banklab_args *c)
{
	int r;

	if ((r = ledger_list(print_name, NULL)) < 0)
		return fail(c, r);
	return LAB_EXIT_OK;
}

int
banklab_cmd_destroy(struct banklab_args *c)
{
	unsigned n = 0;
	int r;

	if (c->given & O_STALE) {
		if ((r = ledger_list(destroy_stale, &n)) < 0)
			return fail(c, r);
		if (n == 0)
			printf("no stale ledger\n");
		return LAB_EXIT_OK;
	}
	if ((r = ledger_unlink(c->name)) < 0)
		return fail(c, r);
	printf("destroyed %s%s\n", LEDGER_PREFIX, c->name);
	return LAB_EXIT_OK;
}

