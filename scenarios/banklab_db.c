/*
 * banklab_db: the command line of banklab's commands with --db: the
 * common options (cli.h) and the database's own, each checked here.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banklab.h"
#include "banklab_db.h"
#include "cli.h"
#include "db.h"
#include "db_run.h"
#include "lab.h"
#include "ledger.h"
#include "worker.h"

/* The common options banklab takes (a command allows some of them); its
 * commands with --db take them all. */
const struct cli_prog banklab_cli_prog = {
	.name = PROG,
	.common = CLI_SYNC | CLI_SEED | CLI_JSON | CLI_TIMEOUT | CLI_HELP |
	    CLI_VERSION,
	.seed_max = INT64_MAX,
	.timeout_min = 1,
	.timeout_max = 3600000,
};

/* banklab's own rows, beside the common ones (with --db too). */
const struct option banklab_rows[] = {
	{ "accounts", required_argument, NULL, 'a' },
	{ "balance", required_argument, NULL, 'b' },
	{ "ops", required_argument, NULL, 'n' },
	{ "mix", required_argument, NULL, 'm' },
	{ "procs", required_argument, NULL, 'p' },
	{ "window", required_argument, NULL, 'w' },
	{ "lock-timeout", required_argument, NULL, 'L' },
	{ "max-amount", required_argument, NULL, 'M' },
	{ "from", required_argument, NULL, 'F' },
	{ "to", required_argument, NULL, 'T' },
	{ "die-step", required_argument, NULL, 'D' },
	{ "die-after", required_argument, NULL, 'A' },
	{ "stop-on-error", no_argument, NULL, 'E' },
	{ "until-ops", required_argument, NULL, 'U' },
	{ "ascending", no_argument, NULL, 'H' },
	{ "stale", no_argument, NULL, 'Z' },
	{ "interval", required_argument, NULL, 'I' },
	{ NULL, 0, NULL, 0 },
};

/* The rows only --db takes. */
static const struct option banklab_db_rows[] = {
	{ "db", required_argument, NULL, 'd' },
	{ "audit", required_argument, NULL, 'u' },
	{ "on-deadlock", required_argument, NULL, 'o' },
	{ "gate", required_argument, NULL, 'g' },
	{ "parent", required_argument, NULL, 'P' },
	{ NULL, 0, NULL, 0 },
};

/* banklab's rows that mean nothing on a database. */
static const char banklab_db_not[] = "LDUZI";

/* The commands, and what each needs. */
static const struct {
	const char *name;
	int (*run)(const struct banklab_db_args *);
} banklab_db_cmds[] = {
	{ "create", banklab_db_create },
	{ "worker", banklab_db_worker },
	{ "run", banklab_db_run },
	{ "audit", banklab_db_audit },
	{ "show", banklab_db_show },
	{ "destroy", banklab_db_destroy },
};

static void
banklab_db_usage(void)
{
	printf(
"usage: banklab COMMAND NAME --db CONNINFO [options]\n"
"\n"
"The ledger NAME as tables in the PostgreSQL schema \"NAME\" (accounts,\n"
"books, and banklab's marker).  CONNINFO is libpq's (\"host=/tmp/pg\n"
"dbname=postgres\", or a postgresql:// URI); \"\" takes PGHOST ... from the\n"
"environment.\n"
"\n"
"  create NAME [--accounts N] [--balance CENTS] [--sync V]\n"
"  worker NAME [--ops N] [--mix M] [--seed S] [--sync V] [--from A --to B]\n"
"              [--audit plain|consistent] [--on-deadlock retry|fail]\n"
"              [--window US] [--die-after N] [--json]\n"
"  run NAME --procs P [worker options] [--timeout MS]\n"
"  audit NAME [--audit plain|consistent]\n"
"  show NAME | destroy NAME\n"
"\n"
"  --sync V   none | semaphore | robust | ordered | serializable\n"
"\n"
"exit: 0 clean, 1 anomaly, 2 bad usage, 3 the server failed (bad\n"
"conninfo, server down or gone, no such ledger, a schema not banklab's)\n");
}

bool
banklab_db_wanted(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return false;
		if (strcmp(argv[i], "--db") == 0 ||
		    strncmp(argv[i], "--db=", 5) == 0)
			return true;
	}
	return false;
}

/* A number option: its row's name, range, and where it goes. */
static int
banklab_db_num(const char *opt, const char *s, int64_t min, int64_t max,
    int64_t *out)
{
	return cli_number(PROG, opt, s, min, max, out);
}

static int
banklab_db_word(struct banklab_db_args *a, int ch, const char *s)
{
	struct db_worker_config *w = &a->w;
	int bad = 0;

	switch (ch) {
	case 'd':
		a->conninfo = s;
		return 0;
	case 'm':
		bad = worker_mix_parse(s, &w->w.mix) < 0;
		break;
	case 'u':
		bad = db_audit_parse(s, &w->audit) < 0;
		a->has_audit = true;
		break;
	case 'o':
		bad = db_on_deadlock_parse(s, &w->on_deadlock) < 0;
		break;
	case 'E':
		w->w.stop_on_error = true;
		return 0;
	case 'H':
		w->w.ascending = true;
		return 0;
	default:
		return -EINVAL;
	}
	if (bad) {
		fprintf(stderr, "%s: --%s: \"%s\" is not one of %s\n", PROG,
		    ch == 'm' ? "mix" : ch == 'u' ? "audit" : "on-deadlock", s,
		    ch == 'm' ? "transfer, deposit, withdraw, mixed, audit" :
		    ch == 'u' ? "plain, consistent" : "retry, fail");
		return -CLI_EUSAGE;
	}
	return 0;
}

static int
banklab_db_take(void *arg, int ch, const char *s)
{
	struct banklab_db_args *a = arg;
	struct db_worker_config *w = &a->w;
	int64_t v;
	int r = 0;

	if (strchr(banklab_db_not, ch) != NULL) {
		fprintf(stderr, "%s: %s: not an option with --db\n", PROG,
		    ch == 'L' ? "--lock-timeout" : ch == 'D' ? "--die-step "
		    "(--die-after N: SIGKILL after the first UPDATE)" :
		    ch == 'U' ? "--until-ops" : ch == 'I' ? "--interval" :
		    "--stale");
		return -CLI_EUSAGE;
	}
	switch (ch) {
	case 'a': return banklab_db_num("--accounts", s, 2,
		    LEDGER_ACCOUNTS_MAX, &a->accounts);
	case 'b': return banklab_db_num("--balance", s, 0, LEDGER_AMOUNT_MAX,
		    &a->balance);
	case 'p': return banklab_db_num("--procs", s, 1, DB_RUN_PROCS_MAX,
		    &a->procs);
	case 'P': return banklab_db_num("--parent", s, 1, INT32_MAX,
		    &a->parent);
	case 'F': return banklab_db_num("--from", s, 0, LEDGER_ACCOUNTS_MAX,
		    &w->w.from);
	case 'T': return banklab_db_num("--to", s, 0, LEDGER_ACCOUNTS_MAX,
		    &w->w.to);
	case 'M': return banklab_db_num("--max-amount", s, 1,
		    LEDGER_AMOUNT_MAX, &w->w.max_amount);
	case 'g': return banklab_db_num("--gate", s, 1, INT64_MAX, &w->gate);
	case 'n':
		r = banklab_db_num("--ops", s, 1, 1000000000, &v);
		w->w.ops = (uint64_t)v;
		return r;
	case 'w':
		r = banklab_db_num("--window", s, 0, 1000000, &v);
		w->window_us = (unsigned)v;
		return r;
	case 'A':
		r = banklab_db_num("--die-after", s, 1, 1000000000, &v);
		w->w.die_after = (uint64_t)v;
		w->w.die_step = 1;
		return r;
	default:
		return banklab_db_word(a, ch, s);
	}
}

/* After the options: the variant, the seed, and what must agree. */
static int
banklab_db_finish(struct banklab_db_args *a, const struct cli_given *g)
{
	struct db_worker_config *w = &a->w;

	if (g->sync != NULL) {
		if (db_sync_parse(g->sync, &w->sync) < 0) {
			fprintf(stderr, "%s: --sync: \"%s\" is not a variant "
			    "(none, semaphore, robust, ordered, serializable)\n",
			    PROG, g->sync);
			return -CLI_EUSAGE;
		}
		a->has_sync = true;
	}
	if (!a->has_audit)
		w->audit = db_sync_audit(w->sync);
	w->w.seed = g->has_seed ? g->seed : cli_seed_from_clock();
	a->json = g->json;
	if (g->has_timeout)
		a->timeout_ms = g->timeout;
	if ((w->w.from >= 0) != (w->w.to >= 0)) {
		fprintf(stderr, "%s: --from and --to go together\n", PROG);
		return -CLI_EUSAGE;
	}
	if (w->w.from >= 0 && w->w.from == w->w.to) {
		fprintf(stderr, "%s: --from and --to: the same account\n", PROG);
		return -CLI_EUSAGE;
	}
	if (a->conninfo == NULL) {
		fprintf(stderr, "%s: --db needs a value\n", PROG);
		return -CLI_EUSAGE;
	}
	return 0;
}

/* The words after the options: NAME, and nothing else. */
static int
banklab_db_operands(struct banklab_db_args *a, int argc, char **argv)
{
	if (optind >= argc) {
		fprintf(stderr, "%s: %s: which ledger? (banklab %s NAME --db "
		    "CONNINFO)\n", PROG, a->cmd, a->cmd);
		return -CLI_EUSAGE;
	}
	a->name = argv[optind++];
	if (ledger_name_check(a->name) < 0) {
		fprintf(stderr, "%s: \"%s\": %s\n", PROG, a->name,
		    lab_strerror(-LAB_ENAME));
		return -CLI_EUSAGE;
	}
	return cli_no_operands(PROG, argc, argv);
}

int
banklab_db_main(int argc, char **argv)
{
	struct banklab_db_args a;
	struct cli_given g = { 0 };
	size_t i;
	int r;

	memset(&a, 0, sizeof(a));
	a.cmd = argv[0];
	a.accounts = 16;
	a.balance = 10000;
	a.procs = 2;
	a.timeout_ms = 60000;
	db_worker_config_default(&a.w);
	a.w.w.ops = 1000;
	for (i = 0; i < sizeof(banklab_db_cmds) / sizeof(banklab_db_cmds[0]);
	    i++)
		if (strcmp(argv[0], banklab_db_cmds[i].name) == 0)
			break;
	if (i == sizeof(banklab_db_cmds) / sizeof(banklab_db_cmds[0])) {
		fprintf(stderr, "%s: \"%s\" is not a command with --db "
		    "(create, worker, run, audit, show, destroy)\n", PROG,
		    argv[0]);
		return LAB_EXIT_USAGE;
	}
	r = cli_getopt(&banklab_cli_prog, banklab_rows, banklab_db_rows, argc,
	    argv, &g, banklab_db_take, &a);
	if (r == -CLI_EHELP) {
		banklab_db_usage();
		return LAB_EXIT_OK;
	}
	if (r < 0 || (r = banklab_db_finish(&a, &g)) < 0 ||
	    (r = banklab_db_operands(&a, argc, argv)) < 0)
		return cli_exit_code(r);
	return banklab_db_cmds[i].run(&a);
}
