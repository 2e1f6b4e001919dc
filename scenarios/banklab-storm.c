/*
 * banklab-storm: the kill storm.  Workers transfer, this program SIGKILLs
 * them at random and starts new ones, an auditor checks the total all the
 * while; at the end not a cent may be missing.  The storm is in the library
 * (lab/storm.c); this parses options, calls it and prints.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"
#include "parse.h"
#include "storm.h"

static const char *prog = "banklab-storm";

static const struct option storm_longopts[] = {
	{ "kills", required_argument, NULL, 'k' },
	{ "workers", required_argument, NULL, 'w' },
	{ "accounts", required_argument, NULL, 'a' },
	{ "ops", required_argument, NULL, 'n' },
	{ "repair-kills", required_argument, NULL, 'r' },
	{ "seed", required_argument, NULL, 'S' },
	{ "sync", required_argument, NULL, 's' },
	{ "timeout", required_argument, NULL, 't' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void
usage(void)
{
	printf("usage: %s [options]\n\n"
"Workers transfer money on a private ledger while this program SIGKILLs\n"
"random ones (only those already transferring) and starts new ones; some\n"
"workers kill themselves in the middle of their first repair of a dead\n"
"owner's lock.  An auditor process takes consistent audits the whole time:\n"
"every total must be the opening one.  At the end the last repairs are\n"
"made and the books must balance to the cent.\n\n"
"  --kills N         SIGKILLs to send (default 1000)\n"
"  --workers N       workers running at once, 2..%d (default 8)\n"
"  --accounts N      accounts, 2..100000 (default 16)\n"
"  --ops N           transfers each worker is given (default 200000)\n"
"  --repair-kills P  %% of workers that die at their first repair\n"
"                    (default 25)\n"
"  --seed S          workers' seeds and the killer's choices (default 1)\n"
"  --sync ordered    the only variant that survives a storm: none and\n"
"                    semaphore cannot survive a kill (banklab-crash shows\n"
"                    it), robust deadlocks on its own (banklab-deadlock)\n"
"  --timeout S       give up after S seconds (default 300)\n"
"  --json            one JSON object on stdout\n\n"
"exit: 0 no cent lost and every audit right, 1 money lost, a wrong total,\n"
"a lock error or a hang, 2 bad usage, 3 system failure, 130 interrupted\n"
"(the ledger is removed on every path).\n", prog, STORM_WORKERS_MAX);
}

static int
parse_sync_storm(const char *s, enum sync_kind *out)
{
	int v;

	if (parse_sync(prog, s, SYNC_ORDERED, &v) < 0)
		return -1;
	if (v != SYNC_ORDERED) {
		fprintf(stderr, "%s: %s: \"%s\" cannot be stormed: %s "
		    "(banklab-%s --sync %s shows it)\n", prog,
		    s != NULL ? "--sync" : "BANKLAB_SYNC",
		    ledger_sync_name((enum sync_kind)v), v == SYNC_NONE ?
		    "a half-done transfer is never rolled back" :
		    v == SYNC_SEMAPHORE ?
		    "a dead holder keeps the semaphore for ever" :
		    "its transfers deadlock without any kill",
		    v == SYNC_ROBUST ? "deadlock" : "crash",
		    ledger_sync_name((enum sync_kind)v));
		return -1;
	}
	*out = (enum sync_kind)v;
	return 0;
}

struct opts {
	struct storm_config c;
	const char *sync;
	bool json;
};

/* 0 to run, -1 after --help/--version, or an exit code. */
static int
parse(int argc, char **argv, struct opts *o)
{
	int64_t v;
	int ch;

	memset(o, 0, sizeof(*o));
	storm_config_default(&o->c);
	/* A caller's tag (a grader's) in the ledger's name: it sweeps. */
	o->c.run_tag = getenv("BANKLAB_RUN_TAG");
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", storm_longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'k':
			if (parse_num_opt(prog, "--kills", optarg, 1,
			    10000000, &v) < 0)
				return LAB_EXIT_USAGE;
			o->c.kills = (uint64_t)v;
			break;
		case 'w':
			if (parse_num_opt(prog, "--workers", optarg, 2,
			    STORM_WORKERS_MAX, &v) < 0)
				return LAB_EXIT_USAGE;
			o->c.workers = (unsigned)v;
			break;
		case 'a':
			if (parse_num_opt(prog, "--accounts", optarg, 2,
			    100000, &v) < 0)
				return LAB_EXIT_USAGE;
			o->c.accounts = (uint32_t)v;
			break;
		case 'n':
			if (parse_num_opt(prog, "--ops", optarg, 1,
			    1000000000, &v) < 0)
				return LAB_EXIT_USAGE;
			o->c.ops = (uint64_t)v;
			break;
		case 'r':
			if (parse_num_opt(prog, "--repair-kills", optarg, 0,
			    100, &v) < 0)
				return LAB_EXIT_USAGE;
			o->c.repair_pct = (unsigned)v;
			break;
		case 'S':
			if (parse_num_opt(prog, "--seed", optarg, 0,
			    INT64_MAX / 2, &v) < 0)
				return LAB_EXIT_USAGE;
			o->c.seed = (uint64_t)v;
			break;
		case 's':
			o->sync = optarg;
			break;
		case 't':
			if (parse_num_opt(prog, "--timeout", optarg, 1, 86400,
			    &v) < 0)
				return LAB_EXIT_USAGE;
			o->c.timeout_ms = (unsigned)v * 1000;
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			usage();
			return -1;
		case 'V':
			printf("%s (banklab) %s\n", prog, PACKAGE_VERSION);
			return -1;
		default:
			return parse_bad_option(prog, ch, argv);
		}
	}
	if (parse_no_operands(prog, argc, argv) != 0)
		return LAB_EXIT_USAGE;
	/* After the loop: BANKLAB_SYNC counts even without --sync. */
	if (parse_sync_storm(o->sync, &o->c.sync) < 0)
		return LAB_EXIT_USAGE;
	return 0;
}

int
main(int argc, char **argv)
{
	struct storm_result r;
	struct opts o;
	char *json;
	int rc;

	if ((rc = parse(argc, argv, &o)) != 0)
		return rc < 0 ? LAB_EXIT_OK : rc;
	if ((rc = storm_run(&o.c, &r)) < 0) {
		fprintf(stderr, "%s: %s\n", prog, lab_strerror(rc));
		return LAB_EXIT_SYSTEM;
	}
	if (o.json) {
		if ((json = storm_json(&o.c, &r)) == NULL) {
			fprintf(stderr, "%s: out of memory\n", prog);
			return LAB_EXIT_SYSTEM;
		}
		printf("%s\n", json);
		free(json);
	} else {
		storm_print(stdout, &o.c, &r);
	}
	if (r.interrupted)
		return LAB_EXIT_INTERRUPTED;
	return r.is_ok ? LAB_EXIT_OK : LAB_EXIT_ANOMALY;
}
