/*
 * banklab: create, inspect, work on and destroy ledgers by name.
 *
 * Two terminals share a ledger by agreeing on its name:
 *   banklab create demo --accounts 100 --sync robust
 *   banklab worker demo --ops 100000        (in as many shells as you like)
 *   banklab audit demo; banklab show demo; banklab destroy demo
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bank.h"
#include "lab.h"
#include "ledger.h"
#include "parse.h"
#include "report.h"
#include "run.h"
#include "schedule.h"
#include "step.h"
#include "worker.h"

#define PROG "banklab"

enum opt {
	O_ACCOUNTS = 1 << 0,
	O_BALANCE = 1 << 1,
	O_SYNC = 1 << 2,
	O_OPS = 1 << 3,
	O_MIX = 1 << 4,
	O_SEED = 1 << 5,
	O_PROCS = 1 << 6,
	O_GATE = 1 << 7,
	O_WINDOW = 1 << 8,
	O_LOCK_TIMEOUT = 1 << 9,
	O_MAX_AMOUNT = 1 << 10,
	O_FROM = 1 << 11,
	O_TO = 1 << 12,
	O_DIE_STEP = 1 << 13,
	O_DIE_AFTER = 1 << 14,
	O_JSON = 1 << 15,
	O_TIMEOUT = 1 << 16,
	O_STOP = 1 << 17,
	O_HELP = 1 << 18,
	O_VERSION = 1 << 19,
	O_UNTIL = 1 << 20,
	O_ASCENDING = 1 << 21,
	O_GATE_COUNT = 1 << 22,
	O_SCRIPT = 1 << 23,
	O_SCHEDULED = 1 << 24,
	O_STALE = 1 << 25,
	O_PARENT = 1 << 26,
};

/* Everything the command line said, checked. */
struct cli {
	const char *cmd;
	const char *name;
	unsigned given;
	int64_t accounts, balance, ops, seed, procs, gate, window;
	int64_t lock_timeout, max_amount, from, to, die_step, die_after;
	int64_t timeout, until_ops, gate_count, parent;
	const char *sync_arg;
	enum worker_mix mix;
	struct worker_op script[SCHED_OPS_MAX];
	int nscript;
};

struct command {
	const char *name;
	int (*run)(struct cli *);
	unsigned allowed;
	bool needs_name;
	const char *usage;
};

#define WORK_OPTS (O_OPS | O_MIX | O_SEED | O_SYNC | O_WINDOW |		\
	O_LOCK_TIMEOUT | O_MAX_AMOUNT | O_FROM | O_TO | O_DIE_STEP |	\
	O_DIE_AFTER | O_STOP | O_JSON | O_UNTIL | O_ASCENDING)

static const struct option long_opts[] = {
	{ "accounts", required_argument, NULL, 'a' },
	{ "balance", required_argument, NULL, 'b' },
	{ "sync", required_argument, NULL, 's' },
	{ "ops", required_argument, NULL, 'n' },
	{ "mix", required_argument, NULL, 'm' },
	{ "seed", required_argument, NULL, 'S' },
	{ "procs", required_argument, NULL, 'p' },
	{ "gate", required_argument, NULL, 'G' },
	{ "window", required_argument, NULL, 'w' },
	{ "lock-timeout", required_argument, NULL, 'L' },
	{ "max-amount", required_argument, NULL, 'M' },
	{ "from", required_argument, NULL, 'F' },
	{ "to", required_argument, NULL, 'T' },
	{ "die-step", required_argument, NULL, 'D' },
	{ "die-after", required_argument, NULL, 'A' },
	{ "json", no_argument, NULL, 'j' },
	{ "timeout", required_argument, NULL, 't' },
	{ "stop-on-error", no_argument, NULL, 'E' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "until-ops", required_argument, NULL, 'U' },
	{ "ascending", no_argument, NULL, 'H' },
	{ "gate-count", required_argument, NULL, 'C' },
	{ "script", required_argument, NULL, 'X' },
	{ "scheduled", no_argument, NULL, 'Y' },
	{ "stale", no_argument, NULL, 'Z' },
	{ "parent", required_argument, NULL, 'P' },
	{ NULL, 0, NULL, 0 },
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: banklab COMMAND [NAME] [options]\n"
"\n"
"A bank ledger in POSIX shared memory (/dev/shm/banklab-NAME), shared by\n"
"independent processes that find it by NAME (1-64 of A-Z a-z 0-9 _ -).\n"
"\n"
"commands:\n"
"  create NAME [--accounts N] [--balance CENTS] [--sync V]\n"
"  worker NAME [--ops N] [--mix M] [--seed S] [--sync V] [--json] ...\n"
"  run NAME --procs P [worker options] [--timeout MS]\n"
"  audit NAME [--sync V]     sum all balances, compare with the books\n"
"  show NAME                 header, balances, processes, half-done work\n"
"  list                      ledgers present; a program's own is marked\n"
"                            private, or stale once the program is gone\n"
"  destroy NAME              remove the name\n"
"  destroy --stale           remove every stale ledger, and only those\n"
"\n"
"options:\n"
"  --accounts N      accounts (1..10000000, default 16)\n"
"  --balance CENTS   opening balance of each account (default 10000)\n"
"  --sync V          none | semaphore | robust | ordered\n"
"                    (default: $BANKLAB_SYNC, else the ledger's variant)\n"
"  --ops N           operations per worker (default 10000)\n"
"  --mix M           transfer | deposit | withdraw | mixed | audit\n"
"  --seed S          seed of the worker's operations (printed if not given)\n"
"  --procs P         worker processes for run (1..256)\n"
"  --window US       pause US microseconds between reading and writing a\n"
"                    balance, between two locks, between two audit reads\n"
"  --lock-timeout MS give up a lock wait after MS (default 5000)\n"
"  --max-amount C    amounts are 1..C cents (default 100)\n"
"  --from A --to B   every transfer goes from account A to account B\n"
"  --die-step STEP --die-after N   SIGKILL the worker at step STEP\n"
"                    (1 lock, 2 first_lock, 3 read_from, 4 read_to,\n"
"                    5 write_from, 6 write_to, 7 unlock, 9 repair) of its\n"
"                    N-th op (N = 0: the first time it gets there)\n"
"  --gate G          wait at start gate G (used by run)\n"
"  --gate-count N    the N-th worker to reach the gate opens it\n"
"  --script OPS      do these operations instead: \"deposit A C; withdraw A C;\n"
"                    transfer A B C; audit; balance A\" (separated by ;)\n"
"  --scheduled       park at step points for a scheduler (banklab-sched)\n"
"  --parent PID      end when process PID ends (the workers programs start)\n"
"  --stop-on-error   a worker stops at its first lock error\n"
"  --until-ops N     audit: stop once the books show N operations\n"
"  --ascending       transfers always go to the higher account\n"
"  --timeout MS      run: kill the workers after MS (default 60000)\n"
"  --json            one JSON object on stdout\n"
"  --help, --version\n"
"\n"
"exit: 0 clean, 1 anomaly found, 2 bad usage, 3 system failure\n");
}

/* One line for a library failure on NAME, and the exit code it maps to. */
static int
fail(const struct cli *c, int code)
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
open_ledger(struct cli *c, struct ledger *l, bool join)
{
	int r, sync;

	if ((r = sync_attach(c->name, l)) < 0)
		return fail(c, r);
	if (parse_sync(PROG, c->sync_arg, (int)l->created_sync, &sync) < 0) {
		ledger_detach(l);
		return LAB_EXIT_USAGE;
	}
	sync_use(l, (enum sync_kind)sync);
	if (c->given & O_LOCK_TIMEOUT)
		l->lock_timeout_ms = (unsigned)c->lock_timeout;
	l->window = (unsigned)c->window;
	if (join && (r = ledger_join(l)) < 0) {
		ledger_detach(l);
		return fail(c, r);
	}
	return 0;
}

static int
cmd_create(struct cli *c)
{
	struct ledger_config cfg = {
		.naccounts = (uint32_t)c->accounts,
		.balance = c->balance,
	};
	struct ledger l;
	char m[32];
	int r, sync;

	if (parse_sync(PROG, c->sync_arg, SYNC_ORDERED, &sync) < 0)
		return LAB_EXIT_USAGE;
	cfg.sync = (enum sync_kind)sync;
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

/* The worker settings the command line gave. */
static void
worker_from_cli(const struct cli *c, struct worker_config *w)
{
	worker_config_default(w);
	w->ops = (uint64_t)c->ops;
	w->mix = c->mix;
	w->seed = (uint64_t)c->seed;
	w->max_amount = c->max_amount;
	w->from = c->from;
	w->to = c->to;
	w->gate = (uint64_t)c->gate;
	w->gate_count = (unsigned)c->gate_count;
	w->die_step = (unsigned)c->die_step;
	w->die_after = (uint64_t)c->die_after;
	w->stop_on_error = (c->given & O_STOP) != 0;
	w->until_ops = (uint64_t)c->until_ops;
	w->ascending = (c->given & O_ASCENDING) != 0;
}

static int
check_pair(const struct cli *c)
{
	if (((c->given & O_FROM) != 0) != ((c->given & O_TO) != 0)) {
		fprintf(stderr, "%s: --from and --to go together\n", PROG);
		return -1;
	}
	if ((c->given & O_FROM) && c->from == c->to) {
		fprintf(stderr, "%s: --from and --to: the same account\n",
		    PROG);
		return -1;
	}
	if (((c->given & O_DIE_STEP) != 0) != ((c->given & O_DIE_AFTER) != 0)) {
		fprintf(stderr, "%s: --die-step and --die-after go together\n",
		    PROG);
		return -1;
	}
	return 0;
}

static int
check_accounts(const struct cli *c, const struct ledger *l)
{
	if ((c->given & O_FROM) &&
	    (!ledger_index_ok(l, c->from) || !ledger_index_ok(l, c->to))) {
		fprintf(stderr, "%s: %s: --from/--to: the ledger has accounts "
		    "0 to %" PRIu32 "\n", PROG, c->name, l->naccounts - 1);
		return -1;
	}
	return 0;
}

static int
cmd_worker(struct cli *c)
{
	struct worker_config w;
	struct worker_result res;
	struct ledger l;
	char *json;
	int r;

	if (check_pair(c) < 0)
		return LAB_EXIT_USAGE;
	/* Whoever started us is gone already: nobody waits for our work. */
	if ((c->given & O_PARENT) && (r = spawn_bind_parent(
	    (pid_t)c->parent)) < 0) {
		fprintf(stderr, "%s: --parent %" PRId64 ": %s\n", PROG,
		    c->parent, lab_strerror(r));
		return lab_exit_code(r);
	}
	if ((r = open_ledger(c, &l, true)) != 0)
		return r;
	if (check_accounts(c, &l) < 0) {
		ledger_detach(&l);
		return LAB_EXIT_USAGE;
	}
	worker_from_cli(c, &w);
	if (c->given & O_SCRIPT)
		r = worker_run_script(&l, c->script, c->nscript,
		    (c->given & O_SCHEDULED) != 0, &res);
	else
		r = worker_run(&l, &w, &res);
	if (c->given & O_JSON) {
		if ((json = worker_result_json(&res)) != NULL)
			printf("%s\n", json);
		free(json);
	} else {
		printf("worker pid %d on %s (%s, seed %" PRIu64 "): %" PRIu64
		    " done, %" PRIu64 " refused, %" PRIu64 " failed in %.3f s\n",
		    (int)res.pid, c->name, l.sync->name, w.seed, res.done,
		    res.refused, res.failed, res.elapsed_s);
		if (w.mix == WORKER_AUDIT)
			printf("  %" PRIu64 " audits, %" PRIu64 " saw a wrong "
			    "total (worst off by %" PRId64 " cents)\n",
			    res.audits, res.stale_audits, res.worst_deviation);
	}
	if (r < 0 && !(c->given & O_JSON))
		fprintf(stderr, "%s: %s: %s\n", PROG, c->name, lab_strerror(r));
	ledger_detach(&l);
	if (r == -LAB_EAMOUNT || r == -LAB_EACCOUNT)
		return LAB_EXIT_USAGE;
	return r < 0 ? lab_exit_code(r) : LAB_EXIT_OK;
}

static int
cmd_run(struct cli *c)
{
	struct run_config rc;
	struct run_result res;
	struct ledger l;
	char *json;
	int r, sync;

	if (check_pair(c) < 0)
		return LAB_EXIT_USAGE;
	if ((r = open_ledger(c, &l, false)) != 0)
		return r;
	if (check_accounts(c, &l) < 0) {
		ledger_detach(&l);
		return LAB_EXIT_USAGE;
	}
	run_config_default(&rc);
	worker_from_cli(c, &rc.w);
	rc.procs = (unsigned)c->procs;
	sync = (int)l.sync->kind;
	rc.sync = (enum sync_kind)sync;
	rc.window = (unsigned)c->window;
	rc.lock_timeout_ms = (unsigned)c->lock_timeout;
	rc.timeout_ms = (unsigned)c->timeout;
	if ((r = run_workers(&l, &rc, &res)) < 0) {
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
	return r ? LAB_EXIT_OK : LAB_EXIT_ANOMALY;
}

static int
cmd_audit(struct cli *c)
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

static int
cmd_show(struct cli *c)
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

static int
cmd_list(struct cli *c)
{
	int r;

	if ((r = ledger_list(print_name, NULL)) < 0)
		return fail(c, r);
	return LAB_EXIT_OK;
}

static int
cmd_destroy(struct cli *c)
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

static const struct command commands[] = {
	{ "create", cmd_create, O_ACCOUNTS | O_BALANCE | O_SYNC, true,
	    "create NAME [--accounts N] [--balance CENTS] [--sync V]" },
	{ "worker", cmd_worker, WORK_OPTS | O_GATE | O_GATE_COUNT | O_SCRIPT |
	    O_SCHEDULED | O_PARENT, true,
	    "worker NAME [--ops N] [--mix M] [--seed S] [--sync V] [--json]" },
	{ "run", cmd_run, WORK_OPTS | O_PROCS | O_TIMEOUT, true,
	    "run NAME --procs P [--ops N] [--mix M] [--seed S] [--sync V]" },
	{ "audit", cmd_audit, O_SYNC | O_LOCK_TIMEOUT, true,
	    "audit NAME [--sync V]" },
	{ "show", cmd_show, 0, true, "show NAME" },
	{ "list", cmd_list, 0, false, "list" },
	{ "destroy", cmd_destroy, O_STALE, true, "destroy NAME | destroy --stale" },
};

static const struct command *
find_command(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* The option's bit, its name for messages, and where a number goes. */
static int
take_number(struct cli *c, int ch, const char *arg)
{
	static const struct {
		int ch;
		const char *name;
		int64_t min, max;
		size_t off;
	} nums[] = {
		{ 'a', "--accounts", 1, LEDGER_ACCOUNTS_MAX,
		    offsetof(struct cli, accounts) },
		{ 'b', "--balance", 0, LEDGER_AMOUNT_MAX,
		    offsetof(struct cli, balance) },
		{ 'n', "--ops", 0, 1000000000, offsetof(struct cli, ops) },
		{ 'S', "--seed", 0, INT64_MAX, offsetof(struct cli, seed) },
		{ 'p', "--procs", 1, RUN_PROCS_MAX, offsetof(struct cli, procs) },
		{ 'G', "--gate", 0, INT64_MAX, offsetof(struct cli, gate) },
		{ 'C', "--gate-count", 1, LEDGER_SLOTS,
		    offsetof(struct cli, gate_count) },
		{ 'w', "--window", 0, 100000, offsetof(struct cli, window) },
		{ 'L', "--lock-timeout", 1, 3600000,
		    offsetof(struct cli, lock_timeout) },
		{ 'M', "--max-amount", 1, LEDGER_AMOUNT_MAX,
		    offsetof(struct cli, max_amount) },
		{ 'F', "--from", 0, LEDGER_ACCOUNTS_MAX - 1,
		    offsetof(struct cli, from) },
		{ 'T', "--to", 0, LEDGER_ACCOUNTS_MAX - 1,
		    offsetof(struct cli, to) },
		{ 'D', "--die-step", 1, STEP_COUNT - 1,
		    offsetof(struct cli, die_step) },
		{ 'A', "--die-after", 0, INT64_MAX,
		    offsetof(struct cli, die_after) },
		{ 't', "--timeout", 1, 3600000, offsetof(struct cli, timeout) },
		{ 'U', "--until-ops", 1, INT64_MAX,
		    offsetof(struct cli, until_ops) },
		{ 'P', "--parent", 1, INT32_MAX, offsetof(struct cli, parent) },
	};
	size_t i;

	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		if (nums[i].ch == ch)
			return parse_num_opt(PROG, nums[i].name, arg,
			    nums[i].min, nums[i].max,
			    (int64_t *)(void *)((char *)c + nums[i].off));
	return -1;
}

static unsigned
opt_bit(int ch)
{
	const char *chars = "absnmSpGwLMFTDAjtEhVUHCXYZP";
	const char *p = strchr(chars, ch);

	return p != NULL && ch != 0 ? 1u << (p - chars) : 0;
}

static const char *
opt_name(int ch)
{
	const struct option *o;

	for (o = long_opts; o->name != NULL; o++)
		if (o->val == ch)
			return o->name;
	return "?";
}

static void
cli_defaults(struct cli *c)
{
	struct timespec ts;

	memset(c, 0, sizeof(*c));
	c->accounts = 16;
	c->balance = 10000;
	c->ops = 10000;
	c->procs = 2;
	c->lock_timeout = LEDGER_LOCK_TIMEOUT_MS;
	c->max_amount = 100;
	c->from = -1;
	c->to = -1;
	c->timeout = 60000;
	clock_gettime(CLOCK_REALTIME, &ts);
	c->seed = (int64_t)(((uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 20 ^
	    (uint64_t)getpid()) & 0x7fffffff);
}

int
main(int argc, char **argv)
{
	const struct command *cmd;
	struct cli c;
	int ch;

	cli_defaults(&c);
	if (argc < 2) {
		usage(stderr);
		return LAB_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return LAB_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("banklab %s\n", PACKAGE_VERSION);
		return LAB_EXIT_OK;
	}
	if ((cmd = find_command(argv[1])) == NULL) {
		fprintf(stderr, "%s: \"%s\" is not a command (create, worker, "
		    "run, audit, show, list, destroy; --help)\n", PROG,
		    argv[1]);
		return LAB_EXIT_USAGE;
	}
	c.cmd = cmd->name;
	argc--;
	argv++;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", long_opts, NULL)) != -1) {
		if (ch == 'h') {
			printf("usage: banklab %s\n(banklab --help for every "
			    "option)\n", cmd->usage);
			return LAB_EXIT_OK;
		}
		if (ch == '?' || ch == ':') {
			if (ch == ':')
				fprintf(stderr, "%s %s: %s needs a value\n",
				    PROG, c.cmd, argv[optind - 1]);
			else
				fprintf(stderr, "%s %s: \"%s\" is not an "
				    "option\n", PROG, c.cmd, argv[optind - 1]);
			return LAB_EXIT_USAGE;
		}
		if ((cmd->allowed & opt_bit(ch)) == 0) {
			fprintf(stderr, "%s %s: --%s is not an option of %s\n",
			    PROG, c.cmd, opt_name(ch), c.cmd);
			return LAB_EXIT_USAGE;
		}
		c.given |= opt_bit(ch);
		if (ch == 's')
			c.sync_arg = optarg;
		else if (ch == 'm') {
			if (worker_mix_parse(optarg, &c.mix) < 0) {
				fprintf(stderr, "%s: --mix: \"%s\" is not a mix "
				    "(transfer, deposit, withdraw, mixed, "
				    "audit)\n", PROG, optarg);
				return LAB_EXIT_USAGE;
			}
		} else if (ch == 'X') {
			char err[160];

			if (sched_parse_ops(optarg, c.script, &c.nscript, err,
			    sizeof(err)) < 0) {
				fprintf(stderr, "%s: --script: %s\n", PROG, err);
				return LAB_EXIT_USAGE;
			}
		} else if (ch != 'j' && ch != 'E' && ch != 'H' && ch != 'Y' &&
		    ch != 'Z' &&
		    take_number(&c, ch, optarg) < 0)
			return LAB_EXIT_USAGE;
	}
	/* destroy --stale names no ledger: it finds them. */
	if (cmd->needs_name && !(c.given & O_STALE)) {
		if (optind >= argc) {
			fprintf(stderr, "%s %s: needs a ledger NAME\n", PROG,
			    c.cmd);
			return LAB_EXIT_USAGE;
		}
		c.name = argv[optind++];
		if (ledger_name_check(c.name) < 0) {
			fprintf(stderr, "%s: \"%s\": %s\n", PROG, c.name,
			    lab_strerror(-LAB_ENAME));
			return LAB_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s %s: unexpected \"%s\"\n", PROG, c.cmd,
		    argv[optind]);
		return LAB_EXIT_USAGE;
	}
	return cmd->run(&c);
}
