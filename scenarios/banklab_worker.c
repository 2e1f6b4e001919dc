/*
 * banklab_worker: `banklab worker NAME [options]`.  Its command line is
 * read through the worker's option table (cli_worker.c over
 * lab/worker_argv.h), the same table every program builds its workers'
 * command lines from: what a program asks of a worker is what it gets.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banklab.h"
#include "cli.h"
#include "cli_worker.h"
#include "lab.h"
#include "ledger.h"
#include "schedule.h"
#include "spawn.h"
#include "sync.h"
#include "trace.h"
#include "worker.h"

#define HAS(s, a)	(((s)->given & WORKER_ARG(WORKER_ARG_##a)) != 0)

/* The options, from the table: the one list there is of them. */
static void
banklab_worker_usage(FILE *f)
{
	unsigned i;

	fprintf(f, "usage: banklab worker NAME [options]\noptions:");
	for (i = 0; i < WORKER_ARG_COUNT; i++)
		fprintf(f, "%s %s%s", i % 6 == 0 ? "\n " : "",
		    worker_args[i].name,
		    worker_args[i].type == WA_FLAG ? "" : " V");
	fprintf(f, "\n(banklab --help says what each does)\n");
}

int
banklab_worker_check(const struct worker_spec *s)
{
	if (HAS(s, FROM) != HAS(s, TO)) {
		fprintf(stderr, "%s: --from and --to go together\n", PROG);
		return -CLI_EUSAGE;
	}
	if (HAS(s, FROM) && s->from == s->to) {
		fprintf(stderr, "%s: --from and --to: the same account\n",
		    PROG);
		return -CLI_EUSAGE;
	}
	if (HAS(s, DIE_STEP) != HAS(s, DIE_AFTER)) {
		fprintf(stderr, "%s: --die-step and --die-after go together\n",
		    PROG);
		return -CLI_EUSAGE;
	}
	if (ledger_name_check(s->ledger) < 0) {
		fprintf(stderr, "%s: \"%s\": %s\n", PROG, s->ledger,
		    lab_strerror(-LAB_ENAME));
		return -CLI_EUSAGE;
	}
	return 0;
}

/* The words after `worker` into s and ops; 0 or a negative code (cli.h). */
static int
banklab_worker_parse(int argc, char **argv, struct worker_spec *s,
    struct worker_op *ops, int *nops)
{
	char why[256];
	int i, bad, r;

	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			banklab_worker_usage(stdout);
			return -CLI_EDONE;
		}
	if ((r = cli_worker_parse(argc, argv, s, &bad)) < 0) {
		fprintf(stderr, "%s worker: %s\n", PROG,
		    cli_worker_explain(argc, argv, bad, r, why, sizeof(why)));
		return -CLI_EUSAGE;
	}
	if ((r = banklab_worker_check(s)) < 0)
		return r;
	*nops = 0;
	if (HAS(s, SCRIPT) && sched_parse_ops(s->script, ops, nops, why,
	    sizeof(why)) < 0) {
		fprintf(stderr, "%s: --script: %s\n", PROG, why);
		return -CLI_EUSAGE;
	}
	/* A seed not given is drawn, and printed with the report. */
	if (!HAS(s, SEED))
		worker_spec_give(s, WORKER_ARG_SEED,
		    (int64_t)(cli_seed_from_clock() & INT64_MAX));
	return 0;
}

int
banklab_worker_accounts(const struct worker_spec *s, const struct ledger *l)
{
	if (HAS(s, FROM) && (!ledger_index_ok(l, s->from) ||
	    !ledger_index_ok(l, s->to))) {
		fprintf(stderr, "%s: %s: --from/--to: the ledger has accounts "
		    "0 to %" PRIu32 "\n", PROG, s->ledger, l->naccounts - 1);
		return -CLI_EUSAGE;
	}
	return 0;
}

/* Attach (through a descriptor handed down, or by name) and join. */
static int
banklab_worker_open(const struct worker_spec *s, struct ledger *l)
{
	enum sync_kind sync;
	int r;

	r = HAS(s, LEDGER_FD) ? sync_attach_fd((int)s->ledger_fd, s->ledger,
	    l) : sync_attach(s->ledger, l);
	if (r < 0) {
		fprintf(stderr, "%s: %s: %s\n", PROG, s->ledger,
		    r == -ENOENT ? "no such ledger" : lab_strerror(r));
		return r == -ENOENT ? -CLI_EUSAGE : r;
	}
	/* Not given: $BANKLAB_SYNC, else the ledger's own. */
	if (HAS(s, SYNC))
		sync = s->sync;
	else if (cli_sync(PROG, NULL, l->created_sync, &sync) < 0) {
		ledger_detach(l);
		return -CLI_EUSAGE;
	}
	sync_use(l, sync);
	if (HAS(s, LOCK_TIMEOUT))
		l->lock_timeout_ms = (unsigned)s->lock_timeout;
	l->window = HAS(s, WINDOW) ? (unsigned)s->window : 0;
	l->role = HAS(s, SCHEDULED) ? LEDGER_ROLE_SCHEDULED :
	    s->mix == WORKER_AUDIT ? LEDGER_ROLE_AUDITOR : LEDGER_ROLE_WORKER;
	if ((r = ledger_join(l)) < 0) {
		fprintf(stderr, "%s: %s: %s\n", PROG, s->ledger,
		    lab_strerror(r));
		ledger_detach(l);
		return r;
	}
	if (banklab_worker_accounts(s, l) < 0) {
		ledger_detach(l);
		return -CLI_EUSAGE;
	}
	return 0;
}

static void
banklab_worker_report(const struct worker_spec *s, const struct ledger *l,
    const struct worker_config *w, const struct worker_result *res)
{
	char *json;

	if (HAS(s, JSON)) {
		if ((json = worker_result_json(res)) != NULL)
			printf("%s\n", json);
		free(json);
		return;
	}
	printf("worker pid %d on %s (%s, seed %" PRIu64 "): %" PRIu64
	    " done, %" PRIu64 " refused, %" PRIu64 " failed in %.3f s\n",
	    (int)res->pid, s->ledger, l->sync->name, w->seed, res->done,
	    res->refused, res->failed, res->elapsed_s);
	if (w->mix == WORKER_AUDIT)
		printf("  %" PRIu64 " audits, %" PRIu64 " saw a wrong total "
		    "(worst off by %" PRId64 " cents)\n", res->audits,
		    res->stale_audits, res->worst_deviation);
}

/*
 * --trace-dir: our records go there (the starting program merges them).
 * A trace that cannot be made is said, and the work goes on untraced:
 * the run is what was asked for, the trace only shows it.
 */
static void
banklab_worker_trace(const struct worker_spec *s, struct ledger *l,
    struct trace *t)
{
	int r;

	if (!HAS(s, TRACE_DIR))
		return;
	if ((r = trace_open(s->trace_dir, HAS(s, ROLE) ? s->role : "worker",
	    t)) < 0) {
		fprintf(stderr, "%s: --trace-dir %s: %s (not traced)\n", PROG,
		    s->trace_dir, lab_strerror(r));
		return;
	}
	sync_trace(l, t);
}

/* Detach, and close the trace if there is one. */
static void
banklab_worker_close(struct ledger *l)
{
	struct trace *t = l->trace;

	ledger_detach(l);
	trace_close(t);
}

/* --reuse: each run's result, one JSON line, out before the next run. */
static void
banklab_worker_each(const struct worker_result *res, void *arg)
{
	char *json = worker_result_json(res);

	(void)arg;
	printf("%s\n", json != NULL ? json : "{}");
	fflush(stdout);
	free(json);
}

int
banklab_worker_main(int argc, char **argv)
{
	struct worker_op ops[SCHED_OPS_MAX];
	struct worker_result res;
	struct worker_config w;
	struct worker_spec s;
	struct trace trace;
	struct ledger l;
	int nops, r;

	if ((r = banklab_worker_parse(argc, argv, &s, ops, &nops)) < 0)
		return cli_exit_code(r);
	/* Whoever started us is gone already: nobody waits for our work. */
	if (HAS(&s, PARENT) && (r = spawn_bind_parent((pid_t)s.parent)) < 0) {
		fprintf(stderr, "%s: --parent %" PRId64 ": %s\n", PROG,
		    s.parent, lab_strerror(r));
		return lab_exit_code(r);
	}
	if ((r = banklab_worker_open(&s, &l)) < 0)
		return cli_exit_code(r);
	banklab_worker_trace(&s, &l, &trace);
	worker_spec_config(&s, &w);
	if (HAS(&s, SCRIPT) && HAS(&s, SCHEDULED) && HAS(&s, REUSE)) {
		r = worker_serve_script(&l, ops, nops, banklab_worker_each,
		    NULL, &res);
		banklab_worker_close(&l);
		return r < 0 ? lab_exit_code(r) : LAB_EXIT_OK;
	}
	if (HAS(&s, SCRIPT))
		r = worker_run_script(&l, ops, nops, HAS(&s, SCHEDULED), &res);
	else
		r = worker_run(&l, &w, &res);
	banklab_worker_report(&s, &l, &w, &res);
	if (r < 0 && !HAS(&s, JSON))
		fprintf(stderr, "%s: %s: %s\n", PROG, s.ledger,
		    lab_strerror(r));
	banklab_worker_close(&l);
	if (r == -LAB_EAMOUNT || r == -LAB_EACCOUNT)
		return LAB_EXIT_USAGE;
	return r < 0 ? lab_exit_code(r) : LAB_EXIT_OK;
}
