/*
 * sched_parse: schedule files and one-line permutations, read strictly.
 *
 * A schedule file is input from outside: every token is checked, and an
 * error names FILE:LINE:COLUMN, what was expected and what was found.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "db.h"
#include "lab.h"
#include "parse.h"
#include "schedule.h"
#include "step.h"

#define SCHED_FILE_MAX	(1 << 20)
#define SCHED_TOKEN_MAX	64
#define SCHED_DEFAULT_BALANCE 10000

/* Where we are in the text, for tokens and for error messages. */
struct lex {
	const char *fname;	/* NULL: no file (command line) */
	const char *line;	/* start of the current line */
	const char *p;
	int lineno;
	char *err;
	size_t errlen;
};

static const char *const sched_op_names[] = {
	[WORKER_OP_DEPOSIT] = "deposit",
	[WORKER_OP_WITHDRAW] = "withdraw",
	[WORKER_OP_TRANSFER] = "transfer",
	[WORKER_OP_AUDIT] = "audit",
	[WORKER_OP_BALANCE] = "balance",
};

const char *
sched_step_name(unsigned step)
{
	switch (step) {
	case STEP_KILL:
		return "KILL";
	case STEP_START:
		return "start";
	case STEP_END:
		return "end";
	default:
		return step_name(step) ? step_name(step) : "?";
	}
}

/* One error line at column col (1-based) of the current line. */
static int lex_fail(struct lex *x, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
lex_fail(struct lex *x, const char *at, const char *fmt, ...)
{
	char msg[160];
	va_list ap;
	int col = (int)(at - x->line) + 1;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (x->fname != NULL)
		snprintf(x->err, x->errlen, "%s:%d:%d: %s", x->fname,
		    x->lineno, col, msg);
	else
		snprintf(x->err, x->errlen, "column %d: %s", col, msg);
	return -EINVAL;
}

static void
lex_blank(struct lex *x)
{
	while (*x->p == ' ' || *x->p == '\t' || *x->p == '\r')
		x->p++;
}

static bool
lex_at_end(struct lex *x)
{
	lex_blank(x);
	return *x->p == '\0' || *x->p == '\n' || *x->p == '#';
}

/*
 * The next token: a run of letters, digits, '_', ':' or '-', or a single
 * ';'.  Returns its start (for errors), NULL at the end of the line.
 */
static const char *
lex_token(struct lex *x, char *tok)
{
	const char *start;
	size_t n = 0;

	if (lex_at_end(x))
		return NULL;
	start = x->p;
	if (*x->p == ';') {
		x->p++;
		strcpy(tok, ";");
		return start;
	}
	while (*x->p != '\0' && *x->p != '\n' && *x->p != ' ' &&
	    *x->p != '\t' && *x->p != '\r' && *x->p != ';' && *x->p != '#') {
		if (n < SCHED_TOKEN_MAX - 1)
			tok[n] = *x->p;
		n++;
		x->p++;
	}
	/* Too long for any word we know: make it one nothing accepts. */
	if (n >= SCHED_TOKEN_MAX) {
		strcpy(tok, "(a word of more than 63 characters)");
		return start;
	}
	tok[n] = '\0';
	return start;
}

/* A token that is a whole number in [min, max]. */
static int
lex_number(struct lex *x, const char *what, int64_t min, int64_t max,
    int64_t *out)
{
	char tok[SCHED_TOKEN_MAX];
	const char *at = lex_token(x, tok);

	if (at == NULL)
		return lex_fail(x, x->p, "expected %s, found the end of the "
		    "line", what);
	if (parse_i64(tok, min, max, out) < 0)
		return lex_fail(x, at, "expected %s (%lld to %lld), found "
		    "\"%s\"", what, (long long)min, (long long)max, tok);
	return 0;
}

static int
lex_op(struct lex *x, uint32_t naccounts, struct worker_op *op)
{
	char tok[SCHED_TOKEN_MAX];
	const char *at = lex_token(x, tok), *second;
	int64_t a = 0, b = 0, c = 0;
	int k, r;

	if (at == NULL)
		return lex_fail(x, x->p, "expected an operation (deposit, "
		    "withdraw, transfer, audit, balance), found the end of "
		    "the line");
	for (k = WORKER_OP_DEPOSIT; k <= WORKER_OP_BALANCE; k++)
		if (strcmp(tok, sched_op_names[k]) == 0)
			break;
	if (k > WORKER_OP_BALANCE)
		return lex_fail(x, at, "expected an operation (deposit, "
		    "withdraw, transfer, audit, balance), found \"%s\"", tok);
	memset(op, 0, sizeof(*op));
	op->kind = (enum worker_op_kind)k;
	if (k != WORKER_OP_AUDIT &&
	    (r = lex_number(x, "an account", 0, naccounts - 1, &a)) < 0)
		return r;
	lex_blank(x);
	second = x->p;
	if (k == WORKER_OP_TRANSFER &&
	    (r = lex_number(x, "an account", 0, naccounts - 1, &b)) < 0)
		return r;
	if (k == WORKER_OP_TRANSFER && a == b)
		return lex_fail(x, second, "a transfer needs two different "
		    "accounts");
	if (k != WORKER_OP_AUDIT && k != WORKER_OP_BALANCE &&
	    (r = lex_number(x, "an amount in cents", 1, LEDGER_AMOUNT_MAX,
	    &c)) < 0)
		return r;
	op->a = (uint32_t)a;
	op->b = (uint32_t)b;
	op->amount = c;
	return 0;
}

/* OP [; OP]... to the end of the line. */
static int
lex_ops(struct lex *x, uint32_t naccounts, struct worker_op *ops, int *nops)
{
	char tok[SCHED_TOKEN_MAX];
	const char *at;
	int r;

	*nops = 0;
	for (;;) {
		if (*nops == SCHED_OPS_MAX)
			return lex_fail(x, x->p, "more than %d operations",
			    SCHED_OPS_MAX);
		if ((r = lex_op(x, naccounts, &ops[*nops])) < 0)
			return r;
		(*nops)++;
		if ((at = lex_token(x, tok)) == NULL)
			return 0;
		if (strcmp(tok, ";") != 0)
			return lex_fail(x, at, "expected ';' or the end of the "
			    "line, found \"%s\"", tok);
	}
}

int
sched_parse_ops(const char *text, struct worker_op *ops, int *nops, char *err,
    size_t errlen)
{
	struct lex x = { NULL, text, text, 1, err, errlen };
	int r;

	if ((r = lex_ops(&x, LEDGER_ACCOUNTS_MAX, ops, nops)) < 0)
		return r;
	if (*x.p != '\0')
		return lex_fail(&x, x.p, "expected the end, found more");
	return 0;
}

void
sched_format_ops(const struct worker_op *ops, int nops, char *buf, size_t len)
{
	size_t at = 0;
	int i, n;

	buf[0] = '\0';
	for (i = 0; i < nops && at < len; i++) {
		const struct worker_op *o = &ops[i];
		const char *sep = i ? "; " : "";

		switch (o->kind) {
		case WORKER_OP_TRANSFER:
			n = snprintf(buf + at, len - at, "%stransfer %u %u %lld",
			    sep, o->a, o->b, (long long)o->amount);
			break;
		case WORKER_OP_AUDIT:
			n = snprintf(buf + at, len - at, "%saudit", sep);
			break;
		case WORKER_OP_BALANCE:
			n = snprintf(buf + at, len - at, "%sbalance %u", sep,
			    o->a);
			break;
		default:
			n = snprintf(buf + at, len - at, "%s%s %u %lld", sep,
			    sched_op_names[o->kind], o->a,
			    (long long)o->amount);
			break;
		}
		if (n < 0)
			return;
		at += (size_t)n;
	}
}

static int
find_proc(const struct sched_spec *s, const char *name)
{
	int i;

	for (i = 0; i < s->nprocs; i++)
		if (strcmp(s->proc[i].name, name) == 0)
			return i;
	return -1;
}

static int
lex_entries(struct lex *x, const struct sched_spec *s, struct sched_perm *p)
{
	char tok[SCHED_TOKEN_MAX], *colon;
	const char *at;
	int proc, step;

	p->n = 0;
	while ((at = lex_token(x, tok)) != NULL) {
		if (p->n == SCHED_ENTRIES_MAX)
			return lex_fail(x, at, "more than %d steps",
			    SCHED_ENTRIES_MAX);
		if ((colon = strchr(tok, ':')) != NULL)
			*colon = '\0';
		if ((proc = find_proc(s, tok)) < 0)
			return lex_fail(x, at, "expected a process name, found "
			    "\"%s\"", tok);
		step = 0;
		if (colon != NULL) {
			if (strcmp(colon + 1, "KILL") == 0)
				step = STEP_KILL;
			else if ((step = step_parse(colon + 1)) < 0)
				return lex_fail(x, at + (colon + 1 - tok),
				    "expected a step (lock, first_lock, "
				    "read_from, read_to, write_from, write_to, "
				    "unlock, audit_read, repair) or KILL, found \"%s\"",
				    colon + 1);
		}
		p->e[p->n].proc = proc;
		p->e[p->n].step = (unsigned)step;
		p->n++;
	}
	if (p->n == 0)
		return lex_fail(x, x->p, "expected at least one step "
		    "(PROCESS or PROCESS:STEP)");
	return 0;
}

int
sched_parse_perm(const char *line, const struct sched_spec *s,
    struct sched_perm *p, char *err, size_t errlen)
{
	struct lex x = { NULL, line, line, 1, err, errlen };
	int r;

	if ((r = lex_entries(&x, s, p)) < 0)
		return r;
	if (*x.p != '\0')
		return lex_fail(&x, x.p, "expected the end, found more");
	return 0;
}

void
sched_format_perm(const struct sched_spec *s, const struct sched_entry *e,
    int n, char *buf, size_t len)
{
	size_t at = 0;
	int i, k;

	buf[0] = '\0';
	for (i = 0; i < n && at < len; i++) {
		if (e[i].step == 0)
			k = snprintf(buf + at, len - at, "%s%s", i ? " " : "",
			    s->proc[e[i].proc].name);
		else
			k = snprintf(buf + at, len - at, "%s%s:%s",
			    i ? " " : "", s->proc[e[i].proc].name,
			    sched_step_name(e[i].step));
		if (k < 0)
			return;
		at += (size_t)k;
	}
}

/*
 * VARIANT... to the end of the line, as a mask: the variants in shared
 * memory, or (is_db: db-anomaly, db-clean) those on PostgreSQL.
 */
static int
lex_variants(struct lex *x, unsigned *mask, bool is_db)
{
	const char *names = is_db ? "none, semaphore, robust, ordered, "
	    "serializable" : "none, semaphore, robust, ordered";
	char tok[SCHED_TOKEN_MAX];
	enum sync_kind k;
	enum db_sync d;
	const char *at;

	*mask = 0;
	while ((at = lex_token(x, tok)) != NULL) {
		if (is_db ? db_sync_parse(tok, &d) < 0 :
		    ledger_sync_parse(tok, &k) < 0)
			return lex_fail(x, at, "expected a variant (%s), found "
			    "\"%s\"", names, tok);
		*mask |= 1u << (is_db ? (unsigned)d : (unsigned)k);
	}
	if (*mask == 0)
		return lex_fail(x, x->p, "expected a variant (%s)", names);
	return 0;
}

static int
lex_process(struct lex *x, struct sched_spec *s)
{
	char tok[SCHED_TOKEN_MAX];
	struct sched_proc *p;
	const char *at = lex_token(x, tok);
	size_t i;

	if (at == NULL)
		return lex_fail(x, x->p, "expected a process name");
	for (i = 0; tok[i] != '\0'; i++)
		if (!((tok[i] >= 'a' && tok[i] <= 'z') || (i > 0 &&
		    ((tok[i] >= '0' && tok[i] <= '9') || tok[i] == '_'))))
			break;
	if (tok[i] != '\0' || i >= sizeof(p->name))
		return lex_fail(x, at, "expected a process name (a lower-case "
		    "letter, then letters, digits or _, at most 15), found "
		    "\"%s\"", tok);
	if (find_proc(s, tok) >= 0)
		return lex_fail(x, at, "process \"%s\" is already declared",
		    tok);
	if (s->nprocs == SCHED_PROCS_MAX)
		return lex_fail(x, at, "more than %d processes",
		    SCHED_PROCS_MAX);
	p = &s->proc[s->nprocs];
	memcpy(p->name, tok, i + 1);	/* i < sizeof(p->name), checked */
	if (lex_ops(x, s->accounts, p->op, &p->nops) < 0)
		return -EINVAL;
	s->nprocs++;
	return 0;
}

/* title TEXT: the rest of the line, trimmed; at is the keyword. */
static int
lex_title(struct lex *x, const char *at, struct sched_spec *s)
{
	const char *end;

	lex_blank(x);
	end = strchr(x->p, '\n');
	if (end == NULL)
		end = x->p + strlen(x->p);
	x->p = end;
	while (end > at && (end[-1] == '\r' || end[-1] == ' ' ||
	    end[-1] == '\t'))
		end--;
	at += strlen("title");
	while (at < end && (*at == ' ' || *at == '\t'))
		at++;
	snprintf(s->title, sizeof(s->title), "%.*s", (int)(end - at), at);
	return 0;
}

/* balance CENTS (every account) or balance ACCOUNT CENTS. */
static int
lex_balance(struct lex *x, struct sched_spec *s)
{
	const char *at;
	int64_t a, b;
	uint32_t i;
	int r;

	lex_blank(x);
	at = x->p;	/* errors about the account point here */
	if ((r = lex_number(x, "an account or an amount", 0,
	    LEDGER_AMOUNT_MAX, &a)) < 0)
		return r;
	if (lex_at_end(x)) {
		for (i = 0; i < s->accounts; i++)
			s->balance[i] = a;
		return 1;
	}
	if (a >= s->accounts)
		return lex_fail(x, at, "account %lld is not below "
		    "accounts (%u)", (long long)a, s->accounts);
	if ((r = lex_number(x, "an amount in cents", 0,
	    LEDGER_AMOUNT_MAX, &b)) < 0)
		return r;
	s->balance[a] = b;
	return 0;
}

/* One statement; x->p is at the start of a non-blank line. */
static int
lex_statement(struct lex *x, struct sched_spec *s, bool *has_users)
{
	char tok[SCHED_TOKEN_MAX];
	const char *at = lex_token(x, tok);
	int64_t a;
	int r;

	if (strcmp(tok, "title") == 0)
		return lex_title(x, at, s);
	if (strcmp(tok, "accounts") == 0) {
		if (*has_users)
			return lex_fail(x, at, "accounts must come before "
			    "balance, process and permutation lines");
		if ((r = lex_number(x, "a number of accounts", 2,
		    SCHED_ACCOUNTS_MAX, &a)) < 0)
			return r;
		s->accounts = (uint32_t)a;
	} else if (strcmp(tok, "balance") == 0) {
		*has_users = true;
		/* 1: the line is read to its end already. */
		if ((r = lex_balance(x, s)) != 0)
			return r < 0 ? r : 0;
	} else if (strcmp(tok, "sync") == 0) {
		unsigned mask;

		if ((r = lex_variants(x, &mask, false)) < 0)
			return r;
		if ((mask & (mask - 1)) != 0)
			return lex_fail(x, at, "sync takes one variant");
		s->sync = (enum sync_kind)__builtin_ctz(mask);
	} else if (strcmp(tok, "anomaly") == 0 || strcmp(tok, "clean") == 0 ||
	    strcmp(tok, "db-anomaly") == 0 || strcmp(tok, "db-clean") == 0) {
		if ((r = lex_variants(x, tok[0] == 'a' ? &s->anomaly_mask :
		    tok[0] == 'c' ? &s->clean_mask : tok[3] == 'a' ?
		    &s->db_anomaly_mask : &s->db_clean_mask, tok[0] == 'd')) < 0)
			return r;
	} else if (strcmp(tok, "process") == 0) {
		*has_users = true;
		return lex_process(x, s);
	} else if (strcmp(tok, "permutation") == 0) {
		*has_users = true;
		if (s->nperms == SCHED_PERMS_MAX)
			return lex_fail(x, at, "more than %d permutations",
			    SCHED_PERMS_MAX);
		if ((r = lex_entries(x, s, &s->perm[s->nperms])) < 0)
			return r;
		s->nperms++;
		return 0;
	} else {
		return lex_fail(x, at, "expected title, accounts, balance, "
		    "sync, anomaly, clean, db-anomaly, db-clean, process or "
		    "permutation, found \"%s\"", tok);
	}
	if ((at = lex_token(x, tok)) != NULL)
		return lex_fail(x, at, "expected the end of the line, found "
		    "\"%s\"", tok);
	return 0;
}

int
sched_parse_text(const char *text, const char *fname, struct sched_spec *s,
    char *err, size_t errlen)
{
	struct lex x = { fname ? fname : "-", text, text, 1, err, errlen };
	bool has_users = false;
	uint32_t i;
	int r;

	memset(s, 0, sizeof(*s));
	s->accounts = 2;
	s->sync = SYNC_NONE;
	for (i = 0; i < SCHED_ACCOUNTS_MAX; i++)
		s->balance[i] = SCHED_DEFAULT_BALANCE;
	while (*x.p != '\0') {
		x.line = x.p;
		if (!lex_at_end(&x) && (r = lex_statement(&x, s,
		    &has_users)) < 0)
			return r;
		/* Skip a comment, then the newline. */
		while (*x.p != '\0' && *x.p != '\n')
			x.p++;
		if (*x.p == '\n') {
			x.p++;
			x.lineno++;
		}
	}
	if (s->nprocs == 0) {
		snprintf(err, errlen, "%s: no process line: a schedule needs "
		    "at least one process", x.fname);
		return -EINVAL;
	}
	return 0;
}

int
sched_parse_file(const char *path, struct sched_spec *s, char *err,
    size_t errlen)
{
	struct stat st;
	char *text;
	size_t n;
	FILE *f;
	int r;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (fstat(fileno(f), &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > SCHED_FILE_MAX) {
		snprintf(err, errlen, "%s: not a regular file of at most %d "
		    "bytes", path, SCHED_FILE_MAX);
		fclose(f);
		return -EINVAL;
	}
	if ((text = malloc((size_t)st.st_size + 1)) == NULL) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(text, 1, (size_t)st.st_size, f);
	fclose(f);
	text[n] = '\0';
	if (memchr(text, '\0', n) != NULL) {
		snprintf(err, errlen, "%s: a NUL byte: not a text file", path);
		free(text);
		return -EINVAL;
	}
	r = sched_parse_text(text, path, s, err, errlen);
	free(text);
	return r;
}
