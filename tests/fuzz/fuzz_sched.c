/*
 * fuzz_sched: the schedule parser (lab/sched_parse.c) on arbitrary text.
 *
 * The input is a schedule file's text (a NUL ends it early, as it would
 * end a string).  What sched_parse_text() accepts must be in range
 * everywhere the scheduler indexes with it, and its operations and
 * permutations must read back the same after sched_format_*().  The same
 * text is also given to sched_parse_perm() (the --schedule line) and
 * sched_parse_ops() (a worker's --script).
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "schedule.h"
#include "step.h"

/* Room for any permutation: 512 entries of "name:write_from ". */
#define FUZZ_PERM_TEXT	(SCHED_ENTRIES_MAX * 40)
#define FUZZ_OPS_TEXT	(SCHED_OPS_MAX * 80)

static void
fuzz_check_op(const struct worker_op *op, uint32_t accounts)
{
	FUZZ_REQUIRE(op->kind >= WORKER_OP_DEPOSIT &&
	    op->kind <= WORKER_OP_BALANCE);
	if (op->kind != WORKER_OP_AUDIT)
		FUZZ_REQUIRE(op->a < accounts);
	if (op->kind == WORKER_OP_TRANSFER)
		FUZZ_REQUIRE(op->b < accounts && op->b != op->a);
	if (op->kind != WORKER_OP_AUDIT && op->kind != WORKER_OP_BALANCE)
		FUZZ_REQUIRE(op->amount >= 1 && op->amount <= LEDGER_AMOUNT_MAX);
}

/* Formatting ops and parsing them back gives the same ops. */
static void
fuzz_ops_round_trip(const struct worker_op *ops, int nops)
{
	struct worker_op back[SCHED_OPS_MAX];
	char text[FUZZ_OPS_TEXT], err[256];
	int i, n;

	sched_format_ops(ops, nops, text, sizeof(text));
	FUZZ_REQUIRE(sched_parse_ops(text, back, &n, err, sizeof(err)) == 0);
	FUZZ_REQUIRE(n == nops);
	for (i = 0; i < n; i++)
		FUZZ_REQUIRE(back[i].kind == ops[i].kind &&
		    back[i].a == ops[i].a && back[i].b == ops[i].b &&
		    back[i].amount == ops[i].amount);
}

/* Every entry names a declared process and a real step. */
static void
fuzz_check_perm(const struct sched_spec *s, const struct sched_perm *p,
    struct sched_perm *back)
{
	char text[FUZZ_PERM_TEXT], err[256];
	int i;

	FUZZ_REQUIRE(p->n >= 1 && p->n <= SCHED_ENTRIES_MAX);
	for (i = 0; i < p->n; i++) {
		FUZZ_REQUIRE(p->e[i].proc >= 0 && p->e[i].proc < s->nprocs);
		FUZZ_REQUIRE(p->e[i].step == 0 ||
		    p->e[i].step == STEP_KILL ||
		    step_name(p->e[i].step) != NULL);
	}
	sched_format_perm(s, p->e, p->n, text, sizeof(text));
	FUZZ_REQUIRE(sched_parse_perm(text, s, back, err, sizeof(err)) == 0);
	FUZZ_REQUIRE(back->n == p->n);
	for (i = 0; i < p->n; i++)
		FUZZ_REQUIRE(back->e[i].proc == p->e[i].proc &&
		    back->e[i].step == p->e[i].step);
}

static void
fuzz_check_spec(const struct sched_spec *s, struct sched_perm *back)
{
	const unsigned all = (1u << SYNC_COUNT) - 1;
	uint32_t a;
	int i, j;

	FUZZ_REQUIRE(memchr(s->title, '\0', sizeof(s->title)) != NULL);
	FUZZ_REQUIRE(s->accounts >= 2 && s->accounts <= SCHED_ACCOUNTS_MAX);
	for (a = 0; a < s->accounts; a++)
		FUZZ_REQUIRE(s->balance[a] >= 0 &&
		    s->balance[a] <= LEDGER_AMOUNT_MAX);
	FUZZ_REQUIRE((unsigned)s->sync < SYNC_COUNT);
	FUZZ_REQUIRE((s->anomaly_mask & ~all) == 0 &&
	    (s->clean_mask & ~all) == 0);
	FUZZ_REQUIRE(s->nprocs >= 1 && s->nprocs <= SCHED_PROCS_MAX);
	for (i = 0; i < s->nprocs; i++) {
		const struct sched_proc *p = &s->proc[i];

		FUZZ_REQUIRE(p->name[0] >= 'a' && p->name[0] <= 'z' &&
		    memchr(p->name, '\0', sizeof(p->name)) != NULL);
		for (j = 0; j < i; j++)
			FUZZ_REQUIRE(strcmp(p->name, s->proc[j].name) != 0);
		FUZZ_REQUIRE(p->nops >= 1 && p->nops <= SCHED_OPS_MAX);
		for (j = 0; j < p->nops; j++)
			fuzz_check_op(&p->op[j], s->accounts);
		fuzz_ops_round_trip(p->op, p->nops);
	}
	FUZZ_REQUIRE(s->nperms >= 0 && s->nperms <= SCHED_PERMS_MAX);
	for (i = 0; i < s->nperms; i++)
		fuzz_check_perm(s, &s->perm[i], back);
}

int
fuzz_sched(const uint8_t *data, size_t size)
{
	struct worker_op ops[SCHED_OPS_MAX];
	struct sched_spec *s;
	struct sched_perm *p;
	char *text, err[256];
	int i, nops, r;

	/* About 70 KiB and twice 4 KiB: not on the stack. */
	s = malloc(sizeof(*s));
	p = malloc(2 * sizeof(*p));
	text = malloc(size + 1);
	if (s == NULL || p == NULL || text == NULL) {
		r = -ENOMEM;
		goto out;
	}
	memcpy(text, data, size);
	text[size] = '\0';
	if ((r = sched_parse_text(text, "fuzz.sched", s, err,
	    sizeof(err))) == 0) {
		fuzz_check_spec(s, &p[1]);
	} else {
		/* Refused: give the one-line parsers two processes to name. */
		memset(s, 0, sizeof(*s));
		s->accounts = 2;
		s->nprocs = 2;
		strcpy(s->proc[0].name, "p1");
		strcpy(s->proc[1].name, "p2");
	}
	if (sched_parse_perm(text, s, p, err, sizeof(err)) == 0)
		fuzz_check_perm(s, &p[0], &p[1]);
	if (sched_parse_ops(text, ops, &nops, err, sizeof(err)) == 0) {
		FUZZ_REQUIRE(nops >= 1 && nops <= SCHED_OPS_MAX);
		for (i = 0; i < nops; i++)
			fuzz_check_op(&ops[i], LEDGER_ACCOUNTS_MAX);
		fuzz_ops_round_trip(ops, nops);
	}
out:
	free(text);
	free(p);
	free(s);
	return r;
}

#ifdef FUZZ_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)fuzz_sched(data, size);
	return 0;	/* libFuzzer reserves other values */
}
#endif
