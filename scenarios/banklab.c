/*
 * banklab: create, inspect, work on and destroy ledgers by name.
 *
 * Two terminals share a ledger by agreeing on its name:
 *   banklab create demo --accounts 100 --sync robust
 *   banklab worker demo --ops 100000        (in as many shells as you like)
 *   banklab audit demo; banklab show demo; banklab destroy demo
 *
 * This file parses the command line (the common options of cli.h and
 * banklab's own); the commands are in banklab_cmd.c.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "banklab.h"
#include "banklab_db.h"
#include "cli.h"
#include "lab.h"
#include "ledger.h"
#include "run.h"
#include "schedule.h"
#include "serve.h"
#include "step.h"
#include "worker.h"

static void
usage(FILE *f)
{
	fprintf(f,
"usage: banklab COMMAND [NAME] [options]\n"
"       banklab -h | --help | -V | --version\n"
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
"  watch NAME [--interval MS] show, redrawn on a terminal every MS\n"
"                            (default 1000) with operations per second;\n"
"                            q quits\n"
"  list                      ledgers present; a program's own is marked\n"
"                            private, or stale once the program is gone\n"
"  destroy NAME              remove the name\n"
"  destroy --stale           remove every stale ledger, and only those\n"
"  COMMAND NAME --db CONNINFO  the ledger in PostgreSQL instead\n"
"                            (banklab create NAME --db \"\" --help)\n"
"  serve NAME [--listen ADDR:PORT] [--tellers N] [--sync V] ...\n"
"                            the bank over HTTP (serve --help)\n"
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
"  --ledger-fd FD    attach through descriptor FD, handed down by the\n"
"                    program that started it (the kill storm's workers)\n"
"  --reuse           with --scheduled --script: report each run, then run\n"
"                    again when the scheduler says so\n"
"  --trace-dir DIR   write this worker's trace records into DIR (the\n"
"                    program that started it merges them: --trace)\n"
"  --role NAME       ... under this name (\"worker\", \"auditor\", \"p1\")\n"
"  --stop-on-error   a worker stops at its first lock error\n"
"  --until-ops N     audit: stop once the books show N operations\n"
"  --ascending       transfers always go to the higher account\n"
"  --timeout MS      run: kill the workers after MS (default 60000)\n"
"  --trace FILE      run: write a trace of every process of the run\n"
"                    (Chrome JSON: open it in https://ui.perfetto.dev)\n"
"  --interval MS     watch: redraw every MS, 50..60000 (default 1000)\n"
"  --json            one JSON object on stdout\n"
"  --help, --version\n"
"\n"
"exit: 0 clean, 1 anomaly found, 2 bad usage, 3 system failure\n");
}

static const struct banklab_command commands[] = {
	{ "create", banklab_cmd_create, O_ACCOUNTS | O_BALANCE | O_SYNC, true,
	    "create NAME [--accounts N] [--balance CENTS] [--sync V]" },
	{ "run", banklab_cmd_run, WORK_OPTS | O_PROCS | O_TIMEOUT | O_TRACE,
	    true,
	    "run NAME --procs P [--ops N] [--mix M] [--seed S] [--sync V]" },
	{ "audit", banklab_cmd_audit, O_SYNC | O_LOCK_TIMEOUT, true,
	    "audit NAME [--sync V]" },
	{ "show", banklab_cmd_show, 0, true, "show NAME" },
	{ "watch", banklab_cmd_watch, O_INTERVAL, true,
	    "watch NAME [--interval MS]" },
	{ "list", banklab_cmd_list, 0, false, "list" },
	{ "destroy", banklab_cmd_destroy, O_STALE, true,
	    "destroy NAME | destroy --stale" },
};

static const struct banklab_command *
find_command(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

#define BL_OFF(field)	offsetof(struct banklab_args, field)

/* The option's bit, its name for messages, and where a number goes. */
static int
take_number(struct banklab_args *c, int ch, const char *arg)
{
	static const struct {
		int ch;
		const char *name;
		int64_t min, max;
		size_t off;
	} nums[] = {
		{ 'a', "--accounts", 1, LEDGER_ACCOUNTS_MAX,
		    BL_OFF(accounts) },
		{ 'b', "--balance", 0, LEDGER_AMOUNT_MAX,
		    BL_OFF(balance) },
		{ 'n', "--ops", 0, 1000000000, BL_OFF(ops) },
		{ 'p', "--procs", 1, RUN_PROCS_MAX, BL_OFF(procs) },
		{ 'w', "--window", 0, 100000, BL_OFF(window) },
		{ 'L', "--lock-timeout", 1, 3600000,
		    BL_OFF(lock_timeout) },
		{ 'M', "--max-amount", 1, LEDGER_AMOUNT_MAX,
		    BL_OFF(max_amount) },
		{ 'F', "--from", 0, LEDGER_ACCOUNTS_MAX - 1,
		    BL_OFF(from) },
		{ 'T', "--to", 0, LEDGER_ACCOUNTS_MAX - 1,
		    BL_OFF(to) },
		{ 'D', "--die-step", 1, STEP_COUNT - 1,
		    BL_OFF(die_step) },
		{ 'A', "--die-after", 0, INT64_MAX,
		    BL_OFF(die_after) },
		{ 'U', "--until-ops", 1, INT64_MAX,
		    BL_OFF(until_ops) },
		{ 'I', "--interval", 50, 60000, BL_OFF(interval) },
	};
	size_t i;

	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		if (nums[i].ch == ch)
			return cli_number(PROG, nums[i].name, arg,
			    nums[i].min, nums[i].max,
			    (int64_t *)(void *)((char *)c + nums[i].off));
	return -EINVAL;
}

/*
 * --trace FILE: a row of banklab's own, not the common one, so that the
 * commands with --db (banklab_db.c), which trace nothing, refuse it.
 */
static const struct option banklab_trace_row[] = {
	{ "trace", required_argument, NULL, CLI_OPT_TRACE },
	{ NULL, 0, NULL, 0 },
};

static unsigned
opt_bit(int ch)
{
	const char *chars = "absnmSpGwLMFTDAjtEhVUHCXYZPI";
	const char *p = strchr(chars, ch);

	if (ch == CLI_OPT_TRACE)
		return O_TRACE;
	return p != NULL && ch != 0 ? 1u << (p - chars) : 0;
}

static const char *
opt_name(const struct option *o, int ch)
{
	for (; o->name != NULL; o++)
		if (o->val == ch)
			return o->name;
	return "?";
}

static void
banklab_defaults(struct banklab_args *c)
{
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
	c->seed = (int64_t)cli_seed_from_clock();
}

/* One option of cmd, common or banklab's own, into c and g. */
static int
take_option(const struct banklab_command *cmd, const struct option *opts,
    struct banklab_args *c, struct cli_given *g, int ch)
{
	if ((cmd->allowed & opt_bit(ch)) == 0) {
		fprintf(stderr, "%s %s: --%s is not an option of %s\n", PROG,
		    c->cmd, opt_name(opts, ch), c->cmd);
		return -CLI_EUSAGE;
	}
	c->given |= opt_bit(ch);
	if (cli_is_common(&banklab_cli_prog, ch))
		return cli_common(&banklab_cli_prog, g, ch, optarg);
	if (ch == 'm' && worker_mix_parse(optarg, &c->mix) < 0) {
		fprintf(stderr, "%s: --mix: \"%s\" is not a mix (transfer, "
		    "deposit, withdraw, mixed, audit)\n", PROG, optarg);
		return -CLI_EUSAGE;
	}
	if (ch == CLI_OPT_TRACE) {
		c->trace = optarg;
		return 0;
	}
	if (strchr("mEHZ", ch) != NULL)
		return 0;
	return take_number(c, ch, optarg);
}

/* After COMMAND: its options, its NAME; 0 or a negative code (cli.h). */
static int
banklab_parse(const struct banklab_command *cmd, int argc, char **argv,
    struct banklab_args *c)
{
	struct option opts[CLI_OPTIONS_MAX];
	struct cli_given g = { 0 };
	int ch, r;

	cli_longopts(&banklab_cli_prog, banklab_rows, banklab_trace_row, opts);
	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, CLI_SHORTOPTS, opts, NULL)) !=
	    -1) {
		if (ch == 'h') {
			printf("usage: banklab %s\n(banklab --help for every "
			    "option)\n", cmd->usage);
			return -CLI_EDONE;
		}
		if (ch == '?' || ch == ':') {
			fprintf(stderr, ch == ':' ?
			    "%s %s: %s needs a value\n" :
			    "%s %s: \"%s\" is not an option\n", PROG, c->cmd,
			    argv[optind - 1]);
			return -CLI_EUSAGE;
		}
		if ((r = take_option(cmd, opts, c, &g, ch)) < 0)
			return r;
	}
	c->sync_arg = g.sync;
	if (g.has_seed)
		c->seed = (int64_t)g.seed;
	if (g.has_timeout)
		c->timeout = g.timeout;
	/* destroy --stale names no ledger: it finds them. */
	if (cmd->needs_name && !(c->given & O_STALE)) {
		if (optind >= argc) {
			fprintf(stderr, "%s %s: needs a ledger NAME\n", PROG,
			    c->cmd);
			return -CLI_EUSAGE;
		}
		c->name = argv[optind++];
		if (ledger_name_check(c->name) < 0) {
			fprintf(stderr, "%s: \"%s\": %s\n", PROG, c->name,
			    lab_strerror(-LAB_ENAME));
			return -CLI_EUSAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s %s: unexpected \"%s\"\n", PROG, c->cmd,
		    argv[optind]);
		return -CLI_EUSAGE;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const struct banklab_command *cmd;
	struct banklab_args c;
	int r;

	banklab_defaults(&c);
	if (argc < 2) {
		usage(stderr);
		return LAB_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return LAB_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("banklab %s\n", PACKAGE_VERSION);
		return LAB_EXIT_OK;
	}
	/* The ledger in PostgreSQL: its own command line (banklab_db.c). */
	if (banklab_db_wanted(argc, argv))
		return banklab_db_main(argc - 1, argv + 1);
	/* A worker's options are the worker table's (banklab_worker.c). */
	if (strcmp(argv[1], "worker") == 0)
		return banklab_worker_main(argc - 2, argv + 2);
	/* The HTTP server and its tellers: their own options (serve.h). */
	if (strcmp(argv[1], "serve") == 0)
		return banklab_serve_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "teller") == 0)
		return banklab_teller_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "games") == 0)
		return banklab_games_main(argc - 1, argv + 1);
	if ((cmd = find_command(argv[1])) == NULL) {
		fprintf(stderr, "%s: \"%s\" is not a command (create, worker, "
		    "run, audit, show, watch, list, destroy, serve; --help)\n",
		    PROG,
		    argv[1]);
		return LAB_EXIT_USAGE;
	}
	c.cmd = cmd->name;
	if ((r = banklab_parse(cmd, argc - 1, argv + 1, &c)) < 0)
		return cli_exit_code(r);
	return cmd->run(&c);
}
