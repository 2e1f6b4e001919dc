/*
 * banklab: the umbrella tool's parts (scenarios/banklab.c parses the
 * command line, banklab_cmd.c runs the commands).  Program side: these
 * print, and return the exit code.
 */
#ifndef SCENARIOS_BANKLAB_H
#define SCENARIOS_BANKLAB_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include "schedule.h"
#include "worker.h"

#define PROG "banklab"

/* Bit i is the option whose getopt value is opt_bit()'s i-th character. */
enum opt {
	O_ACCOUNTS = 1 << 0,
	O_BALANCE = 1 << 1,
	O_SYNC = 1 << 2,
	O_OPS = 1 << 3,
	O_MIX = 1 << 4,
	O_SEED = 1 << 5,
	O_PROCS = 1 << 6,
	/* 1 << 7: the worker's --gate, now in the worker's table */
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
	/* 1 << 22 to 24, 26: the worker's, in its table (worker_argv.h) */
	O_STALE = 1 << 25,
	O_INTERVAL = 1 << 27,
	O_TRACE = 1 << 28,		/* --trace FILE (no letter: cli.h) */
};

/* Everything the command line said, checked. */
struct banklab_args {
	const char *cmd;
	const char *name;
	unsigned given;
	int64_t accounts, balance, ops, seed, procs, window;
	int64_t lock_timeout, max_amount, from, to, die_step, die_after;
	int64_t timeout, until_ops, interval;
	const char *sync_arg;
	enum worker_mix mix;
	const char *trace;		/* --trace FILE */
};

struct banklab_command {
	const char *name;
	int (*run)(struct banklab_args *);
	unsigned allowed;
	bool needs_name;
	const char *usage;
};

#define WORK_OPTS (O_OPS | O_MIX | O_SEED | O_SYNC | O_WINDOW |		\
	O_LOCK_TIMEOUT | O_MAX_AMOUNT | O_FROM | O_TO | O_DIE_STEP |	\
	O_DIE_AFTER | O_STOP | O_JSON | O_UNTIL | O_ASCENDING)

/* banklab's common options (cli.h), in banklab_db.c. */
struct cli_prog;
extern const struct cli_prog banklab_cli_prog;
/* ... and its own rows, beside them. */
extern const struct option banklab_rows[];

/* The commands: each returns the program's exit code. */
int banklab_cmd_create(struct banklab_args *c);
/* `banklab worker`: the words after "worker"; the exit code. */
int banklab_worker_main(int argc, char **argv);

/*
 * A worker's options that go together (--from/--to, --die-step/-after),
 * its NAME, and its accounts in the ledger: one line and -CLI_EUSAGE if
 * not.  For `banklab run`'s workers too.
 */
struct worker_spec;
struct ledger;
int banklab_worker_check(const struct worker_spec *s);
int banklab_worker_accounts(const struct worker_spec *s,
    const struct ledger *l);
int banklab_cmd_run(struct banklab_args *c);
int banklab_cmd_audit(struct banklab_args *c);
int banklab_cmd_show(struct banklab_args *c);
/* `banklab watch`: banklab_watch.c. */
int banklab_cmd_watch(struct banklab_args *c);
int banklab_cmd_list(struct banklab_args *c);
int banklab_cmd_destroy(struct banklab_args *c);

#endif
