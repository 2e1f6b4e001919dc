/*
 * storm: the kill storm.  Workers transfer money on a private ledger while
 * this process SIGKILLs random ones and starts new ones, and an auditor
 * process checks the total the whole time; some workers are told to die in
 * the middle of their first repair of a dead owner's lock.  At the end the
 * books must balance to the cent.
 *
 * Contract: storm_run() creates the ledger "storm-PID" (plus the caller's
 * run_tag) and removes its name at once, and reaps every process it
 * starts.  Workers and the auditor are `banklab worker` programs
 * (spawn_worker_path()) that get the ledger by descriptor (--ledger-fd)
 * and die with the storm; the auditor is stopped with
 * a SIGTERM, which it finds pending (worker.h).  Only `ordered`
 * can be stormed: it survives a dead owner and no cycle of waits can form
 * (robust's transfers in argument order deadlock among themselves, and
 * would turn the storm into the deadlock lesson).
 * SIGINT and SIGTERM are blocked while it runs and end it early.
 */
#ifndef LAB_STORM_H
#define LAB_STORM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "bank.h"
#include "ledger.h"

#define STORM_WORKERS_MAX	64

/* The storm at one tick of the killer (about every 20 ms). */
struct storm_sample {
	double t_s;			/* since the storm began */
	uint64_t kills;			/* sent so far, of ... */
	uint64_t kills_wanted;		/* ... the config's kills */
	uint64_t repair_kills;		/* workers dead mid-repair so far */
	uint64_t transfers;		/* the books' operations */
	int64_t total;			/* the balances' sum, read unlocked */
	int64_t books;			/* what the books say it must be */
};

struct storm_config {
	uint64_t kills;			/* SIGKILLs to send, then let finish */
	unsigned workers;		/* running at once, 2..STORM_WORKERS_MAX */
	uint32_t accounts;
	int64_t balance;		/* each account's opening cents */
	uint64_t ops;			/* transfers each worker is given */
	unsigned repair_pct;		/* % of workers that die mid-repair */
	uint64_t seed;
	enum sync_kind sync;		/* SYNC_ORDERED */
	unsigned timeout_ms;		/* the whole storm */
	/*
	 * For grading the repair alone (tests/grade_checks.c), with whatever
	 * lock order and audit the build has: transfers of one cent, always
	 * to the higher account (no order can deadlock them), a 200 us window
	 * between debit and credit (where most kills then land), no auditor.
	 */
	bool is_repair_only;
	/* The banklab program workers run (spawn_worker_path()'s worker). */
	const char *worker;
	/*
	 * NULL, or a word in the ledger's name ("storm-TAG-PID") by which a
	 * caller finds what a SIGKILL left (the program: $BANKLAB_RUN_TAG).
	 */
	const char *run_tag;
	/* This process's trace writer, NULL: none (the workers' go beside). */
	struct trace *trace;
	/*
	 * NULL, or called at every tick with the storm's figures (for a
	 * progress line, a time series); in the storm's process, between
	 * two kills: it must return soon.
	 */
	void (*progress)(void *arg, const struct storm_sample *s);
	void *progress_arg;
};

/* What the auditor saw: its worker_result, in the storm's words. */
struct storm_audits {
	uint64_t audits;		/* audits that returned a total */
	uint64_t wrong;			/* totals that were not the opening one */
	int64_t worst;			/* largest |total - opening|, cents */
	int64_t first_wrong;		/* the first wrong total seen */
	uint64_t busy;			/* no consistent snapshot in time */
	uint64_t errors;		/* other lock errors */
	int first_error;		/* the first lock error, if errors: a
					 * busy one if that came first */
	uint64_t repairs;		/* dead owners' locks it repaired */
};

struct storm_result {
	uint64_t kills;			/* sent by the storm */
	uint64_t repair_kills;		/* workers that died mid-repair */
	uint64_t started;		/* workers started */
	uint64_t finished;		/* exited 0 with a report */
	uint64_t failed;		/* exited otherwise */
	char first_failure[96];		/* how the first of them ended */
	uint64_t lock_errors;		/* reported by finished workers */
	uint64_t transfers;		/* done, as the books say */
	uint64_t repairs;		/* locks repaired after a dead owner */
	struct storm_audits audit;
	bool has_audit;			/* the auditor reported */
	struct bank_check check;	/* after the last repairs */
	double elapsed_s;
	bool timed_out;
	bool interrupted;
	bool is_ok;			/* kills all sent, nothing lost or
					 * seen wrong, every worker accounted */
};

void storm_config_default(struct storm_config *c);

/* 0 (whatever the verdict: see r->is_ok) or a negative code. */
int storm_run(const struct storm_config *c, struct storm_result *r);

/* The figures and the verdict, as text or one JSON object (malloc'd). */
void storm_print(FILE *f, const struct storm_config *c,
    const struct storm_result *r);
char *storm_json(const struct storm_config *c, const struct storm_result *r);

#endif
