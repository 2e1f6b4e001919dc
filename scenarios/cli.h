/*
 * cli: the programs' side of a command line, in scenarios/libcli.a, linked
 * by every program (and the tests that parse as a program does).  It owns
 * what the library may not do: getopt, the environment (BANKLAB_SYNC,
 * BANKLAB_SCHEDULES), the one line of bad usage on stderr.
 *
 * One table of the common options, taken by every program (each says
 * which): --sync, --seed, --json, --timeout, --quiet, -h/--help,
 * -V/--version, --trace (cli_trace.h).  A program adds its own rows (cli_longopts()).
 *
 * Errors, as in the library: 0 or a negative code.  -CLI_EUSAGE is bad
 * usage, its line already printed; -CLI_EHELP asks the program to print its
 * --help; -CLI_EDONE says --help or --version was printed.  cli_exit_code()
 * maps these and every library code (lab_exit_code()) to the exit code.
 */
#ifndef SCENARIOS_CLI_H
#define SCENARIOS_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "lab.h"
#include "ledger.h"
#include "parse.h"

enum cli_error {
	CLI_EUSAGE = LAB_ELAST + 100,	/* bad usage, already said */
	CLI_EHELP,			/* --help: print the usage, exit 0 */
	CLI_EDONE,			/* help or version printed: exit 0 */
};

/* The common options a program takes (struct cli_prog.common). */
enum cli_common {
	CLI_SYNC = 1 << 0,		/* --sync V */
	CLI_SEED = 1 << 1,		/* --seed S */
	CLI_JSON = 1 << 2,		/* --json */
	CLI_TIMEOUT = 1 << 3,		/* --timeout N */
	CLI_QUIET = 1 << 4,		/* --quiet */
	CLI_HELP = 1 << 5,		/* -h, --help */
	CLI_VERSION = 1 << 6,		/* -V, --version */
	CLI_TRACE = 1 << 7,		/* --trace FILE */
};

/* Their getopt values: a program's own rows must use others. */
#define CLI_OPT_SYNC	's'
#define CLI_OPT_SEED	'S'
#define CLI_OPT_JSON	'j'
#define CLI_OPT_TIMEOUT	't'
#define CLI_OPT_QUIET	'q'
#define CLI_OPT_HELP	'h'
#define CLI_OPT_VERSION	'V'
#define CLI_OPT_TRACE	0x201	/* no letter: no program's row takes it */

/* getopt_long's optstring for every program: -h, -V, missing values. */
#define CLI_SHORTOPTS	":hV"

/* A program, and the ranges of its common options. */
struct cli_prog {
	const char *name;		/* "banklab-race", for messages */
	unsigned common;		/* cli_common bits */
	int64_t seed_max;
	int64_t timeout_min, timeout_max;
};

/* What the common options said. */
struct cli_given {
	const char *sync;		/* --sync as given (NULL: not given) */
	bool has_seed;
	uint64_t seed;
	bool has_timeout;
	int64_t timeout;
	bool json, quiet;
	const char *trace;		/* --trace FILE (NULL: not given) */
};

/* The longest table a program builds: the common rows and its own. */
#define CLI_OPTIONS_MAX	48

/*
 * The common rows p takes, then own and more (each ending with a NULL
 * name, or NULL), into out (room for CLI_OPTIONS_MAX rows), ending with a
 * NULL name.
 */
void cli_longopts(const struct cli_prog *p, const struct option *own,
    const struct option *more, struct option *out);

/* Is ch (from getopt_long) one of the common options p takes? */
bool cli_is_common(const struct cli_prog *p, int ch);

/* Take common option ch into g: 0, -CLI_EUSAGE, -CLI_EHELP, -CLI_EDONE. */
int cli_common(const struct cli_prog *p, struct cli_given *g, int ch,
    const char *arg);

/* Start a getopt_long() loop afresh (its place is in static variables). */
void cli_getopt_reset(void);

/* A program's own option ch with its value (NULL for a flag). */
typedef int (*cli_take_fn)(void *arg, int ch, const char *value);

/*
 * The getopt_long() loop every program runs: the common rows p takes,
 * then own and more (cli_longopts()); a common option goes to
 * cli_common() into g, any other to take(arg, ch, optarg), a bad one is
 * said (cli_bad_option()).  0 once the options are read (optind at the
 * operands), -CLI_EHELP for --help (the caller prints its usage), or the
 * first negative code.
 */
int cli_getopt(const struct cli_prog *p, const struct option *own,
    const struct option *more, int argc, char **argv, struct cli_given *g,
    cli_take_fn take, void *arg);

/* argv[0] without its directory. */
const char *cli_basename(const char *argv0);

/* A seed from the clock and the pid, printed by whoever uses it. */
uint64_t cli_seed_from_clock(void);

/*
 * s in [min, max] into *out, or one line ("PROG: WHAT: "S" is not
 * between MIN and MAX" / "... is not a number") and -CLI_EUSAGE.
 */
int cli_number(const char *prog, const char *what, const char *s,
    int64_t min, int64_t max, int64_t *out);

/*
 * The variant s names (what: "--sync"); if s is NULL, $BANKLAB_SYNC's
 * (what: "BANKLAB_SYNC"), or dflt if that is unset or empty.  0, or one
 * line and -CLI_EUSAGE.
 */
int cli_sync(const char *prog, const char *s, enum sync_kind dflt,
    enum sync_kind *out);

/* Was $BANKLAB_SYNC given (set and not empty)? */
bool cli_sync_from_env(void);

/*
 * The same for a database's variant (db.h: serializable too), with --db:
 * 1 and *out set if s or $BANKLAB_SYNC names one, 0 (*out untouched: the
 * caller's default stands) if neither does, or one line and -CLI_EUSAGE.
 */
int cli_db_sync(const char *prog, const char *s, enum db_sync *out);

/*
 * getopt_long() returned ch for a bad option (':' a missing value, else an
 * unknown one): one line and -CLI_EUSAGE.
 */
int cli_bad_option(const char *prog, int ch, char *const argv[]);

/* After the options: 0, or one line and -CLI_EUSAGE if words remain. */
int cli_no_operands(const char *prog, int argc, char *const argv[]);

/* "PROG (banklab) VERSION" on stdout; -CLI_EDONE. */
int cli_version(const char *prog);

/* Where the shipped schedules are looked for first ($BANKLAB_SCHEDULES). */
const char *cli_schedule_dir(void);

/* The exit code for a code of this module or of the library. */
int cli_exit_code(int code);

/*
 * A report as one JSON object on stdout: json is malloc'd (NULL: there
 * was no memory for it) and freed here.  0, or one line and -ENOMEM.
 */
int cli_put_json(const char *prog, char *json);

#endif
