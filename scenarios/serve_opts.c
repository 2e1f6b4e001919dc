/*
 * serve_opts: the command lines of `banklab serve` and `banklab teller`
 * (and `banklab games`), and what those children do first.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lab.h"
#include "ledger.h"
#include "parse.h"
#include "serve.h"
#include "spawn.h"

#define SERVE_PROG	"banklab serve"

/* The common options serve takes; --timeout is in seconds. */
static const struct cli_prog serve_prog = {
	.name = SERVE_PROG,
	.common = CLI_SYNC | CLI_TIMEOUT | CLI_HELP | CLI_VERSION | CLI_TRACE,
	.timeout_min = 1,
	.timeout_max = 3600,
};

enum {
	SO_LISTEN = 1000, SO_TELLERS, SO_MAX_BODY, SO_CONNECTIONS,
	SO_ACCOUNTS, SO_BALANCE, SO_WINDOW, SO_LOCK_TIMEOUT, SO_TOKEN_FILE,
	SO_LISTEN_FD, SO_PARENT, SO_PER_ADDRESS, SO_MAX_PLAYS, SO_PLAY_IDLE,
	SO_GAMES, SO_WWW, SO_TRACE_DIR
};

static const struct option serve_rows[] = {
	{ "listen", required_argument, NULL, SO_LISTEN },
	{ "tellers", required_argument, NULL, SO_TELLERS },
	{ "max-body", required_argument, NULL, SO_MAX_BODY },
	{ "connections", required_argument, NULL, SO_CONNECTIONS },
	{ "per-address", required_argument, NULL, SO_PER_ADDRESS },
	{ "accounts", required_argument, NULL, SO_ACCOUNTS },
	{ "balance", required_argument, NULL, SO_BALANCE },
	{ "window", required_argument, NULL, SO_WINDOW },
	{ "lock-timeout", required_argument, NULL, SO_LOCK_TIMEOUT },
	{ "token-file", required_argument, NULL, SO_TOKEN_FILE },
	{ "listen-fd", required_argument, NULL, SO_LISTEN_FD },
	{ "parent", required_argument, NULL, SO_PARENT },
	{ "www", required_argument, NULL, SO_WWW },
	{ "max-plays", required_argument, NULL, SO_MAX_PLAYS },
	{ "play-idle", required_argument, NULL, SO_PLAY_IDLE },
	{ "games", required_argument, NULL, SO_GAMES },
	{ "trace-dir", required_argument, NULL, SO_TRACE_DIR },
	{ NULL, 0, NULL, 0 }
};

/* A number option: its row's name, range and field. */
static const struct {
	int ch;
	const char *what;
	int64_t min, max;
	size_t off;
} serve_numbers[] = {
#define SO_OFF(f)	offsetof(struct serve_opts, f)
	{ SO_TELLERS, "--tellers", 1, SERVE_TELLERS_MAX, SO_OFF(tellers) },
	{ SO_MAX_BODY, "--max-body", 16, 1 << 20, SO_OFF(max_body) },
	{ SO_CONNECTIONS, "--connections", 1, 4096, SO_OFF(connections) },
	{ SO_PER_ADDRESS, "--per-address", 0, 4096, SO_OFF(per_address) },
	{ SO_ACCOUNTS, "--accounts", 1, LEDGER_ACCOUNTS_MAX,
	    SO_OFF(accounts) },
	{ SO_BALANCE, "--balance", 0, LEDGER_AMOUNT_MAX, SO_OFF(balance) },
	{ SO_WINDOW, "--window", 0, 1000000, SO_OFF(window) },
	{ SO_LOCK_TIMEOUT, "--lock-timeout", 1, 600000,
	    SO_OFF(lock_timeout) },
	{ SO_LISTEN_FD, "--listen-fd", 3, 65535, SO_OFF(listen_fd) },
	{ SO_PARENT, "--parent", 1, INT32_MAX, SO_OFF(parent) },
	{ SO_MAX_PLAYS, "--max-plays", 1, 64, SO_OFF(max_plays) },
	{ SO_PLAY_IDLE, "--play-idle", 1, 86400, SO_OFF(play_idle) },
#undef SO_OFF
};

static void
serve_usage(FILE *f)
{
	fprintf(f, "usage: banklab serve -h | --help | -V | --version\n"
	    "       banklab serve NAME [--listen ADDR:PORT] "
	    "[--tellers N] [--sync V]\n"
	    "    [--max-body BYTES] [--timeout S] [--connections C] "
	    "[--per-address C]\n"
	    "    [--accounts N] [--balance CENTS] [--window US] "
	    "[--lock-timeout MS]\n"
	    "    [--token-file F] [--max-plays N] [--play-idle S] [--www DIR]\n"
	    "    [--trace FILE]\n"
	    "The bank over HTTP: N teller processes share ledger NAME (made "
	    "if absent,\nand removed at exit if made) and serve the JSON "
	    "API on ADDR:PORT\n(default 127.0.0.1:8080; [::1]:PORT for IPv6; "
	    "port 0 picks one).  The\nfirst line printed is "
	    "\"listening on http://ADDR:PORT/\".  SIGTERM or SIGINT:\n"
	    "exit 0.  --connections C: at once per teller (default 64); "
	    "--per-address C:\nof those, from one client address (default 0: "
	    "no limit of its own).  Not\nloopback: --token-file F is needed, "
	    "and writes need its Bearer token.\n"
	    "The page at / is served from --www DIR (default: the installed "
	    "www folder).\n"
	    "/v1/play: at most --max-plays games at once (default 8), "
	    "each ended\nafter --play-idle seconds without a request "
	    "(default 300).\n"
	    "--trace FILE: at exit, a trace of every teller (Chrome JSON: "
	    "open it in\nhttps://ui.perfetto.dev).\n"
	    "\n"
	    "  GET  /v1/ledger              name, variant, total, books, "
	    "check, repairs\n"
	    "  GET  /v1/accounts/ID         {id, balance_cents, version}\n"
	    "  GET  /v1/accounts?offset=&limit=   a page (limit <= 1000)\n"
	    "  POST /v1/deposit  {account, cents}    the new balance\n"
	    "  POST /v1/withdraw {account, cents}    the new balance; 409 if "
	    "short\n"
	    "  POST /v1/transfer {from, to, cents}   both balances; 409 if "
	    "refused\n"
	    "  GET  /v1/audit?mode=consistent|plain  total, consistent?, "
	    "attempts\n"
	    "  GET  /v1/processes           slots: pid, role, holds, waits, "
	    "waits_for_pid\n"
	    "  GET  /v1/events              SSE: a summary every 0.1 s, one "
	    "event per\n"
	    "                               lost_update, deadlock, repair, "
	    "dead_holder\n"
	    "  GET  /v1/levels, POST /v1/play, /v1/play/ID[/step|finish|undo|"
	    "replay|explore]\n"
	    "                               you are the scheduler (README)\n"
	    "Errors: {\"error\": ...}; 400 bad input, 404, 405, 413, 415, "
	    "401 without the\ntoken, 503 + Retry-After when a lock times "
	    "out.\n"
	    "Exit: 0 clean, 2 bad usage, 3 system failure.\n");
}

static void
teller_usage(FILE *f)
{
	fprintf(f, "usage: banklab teller NAME --listen-fd N --parent PID "
	    "[banklab serve's options]\n"
	    "One teller process of banklab serve, which starts it: it serves "
	    "HTTP on the\nlistening socket N it inherits, attached to ledger "
	    "NAME, and dies with PID.\nNot for people: run banklab serve "
	    "(banklab serve --help).\n"
	    "Exit: 0 clean, 2 bad usage, 3 system failure.\n");
}

static void
serve_defaults(struct serve_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->listen = "127.0.0.1:8080";
	o->tellers = 2;
	o->max_body = 4096;
	o->timeout = 10;
	o->connections = 64;
	o->accounts = 100;
	o->balance = 10000;
	o->lock_timeout = LEDGER_LOCK_TIMEOUT_MS;
	o->listen_fd = -1;
	o->max_plays = 8;
	o->play_idle = 300;
}

/*
 * ADDR (IPv4, or IPv6 in brackets) as o->family, o->addr (without the
 * brackets) and o->is_loopback; 0 or -1.
 */
static int
serve_addr_parse(struct serve_opts *o, const char *a, size_t n)
{
	struct in6_addr in6;
	struct in_addr in;

	if (n >= 2 && a[0] == '[' && a[n - 1] == ']') {
		a++;
		n -= 2;
		o->family = AF_INET6;
	} else
		o->family = AF_INET;
	if (n == 0 || n >= sizeof(o->addr))
		return -1;
	memcpy(o->addr, a, n);
	o->addr[n] = '\0';
	if (o->family == AF_INET6) {
		if (inet_pton(AF_INET6, o->addr, &in6) != 1)
			return -1;
		o->is_loopback = IN6_IS_ADDR_LOOPBACK(&in6);
		return 0;
	}
	if (inet_pton(AF_INET, o->addr, &in) != 1)
		return -1;
	o->is_loopback = (ntohl(in.s_addr) >> 24) == 127;
	return 0;
}

/* "ADDR:PORT" or "[ADDR6]:PORT" into o. */
static int
serve_listen_parse(struct serve_opts *o)
{
	/* An IPv6 address has colons of its own: "]:" ends it. */
	const char *colon = o->listen[0] == '[' ? strstr(o->listen, "]:") :
	    strrchr(o->listen, ':');
	int64_t port;

	if (colon != NULL && o->listen[0] == '[')
		colon++;

	if (colon == NULL || colon == o->listen) {
		fprintf(stderr, "%s: --listen: \"%s\" is not ADDR:PORT\n",
		    SERVE_PROG, o->listen);
		return -CLI_EUSAGE;
	}
	if (serve_addr_parse(o, o->listen, (size_t)(colon - o->listen)) < 0) {
		fprintf(stderr, "%s: --listen: \"%.*s\" is not an IPv4 "
		    "address or [an IPv6 one]\n", SERVE_PROG,
		    (int)(colon - o->listen), o->listen);
		return -CLI_EUSAGE;
	}
	if (cli_number(SERVE_PROG, "--listen's port", colon + 1, 0, 65535,
	    &port) < 0)
		return -CLI_EUSAGE;
	o->port = (uint16_t)port;
	return 0;
}

/* serve_option()'s context: the options, and whose command line. */
struct serve_take {
	struct serve_opts *o;
	bool is_teller;
};

static int
serve_option(void *arg_take, int ch, const char *arg)
{
	const struct serve_take *t = arg_take;
	struct serve_opts *o = t->o;
	size_t i;

	if (!t->is_teller && (ch == SO_LISTEN_FD || ch == SO_PARENT ||
	    ch == SO_GAMES || ch == SO_TRACE_DIR)) {
		fprintf(stderr, "%s: %s is banklab teller's, not an option of "
		    "serve (--help)\n", SERVE_PROG,
		    ch == SO_LISTEN_FD ? "--listen-fd" : ch == SO_PARENT ?
		    "--parent" : ch == SO_GAMES ? "--games" : "--trace-dir");
		return -CLI_EUSAGE;
	}
	for (i = 0; i < sizeof(serve_numbers) / sizeof(serve_numbers[0]); i++)
		if (serve_numbers[i].ch == ch)
			return cli_number(SERVE_PROG, serve_numbers[i].what,
			    arg, serve_numbers[i].min, serve_numbers[i].max,
			    (int64_t *)(void *)((char *)o +
			    serve_numbers[i].off));
	switch (ch) {
	case SO_LISTEN:
		o->listen = arg;
		return 0;
	case SO_TOKEN_FILE:
		o->token_file = arg;
		return 0;
	case SO_WWW:
		o->www = arg;
		return 0;
	case SO_GAMES:
		o->games = arg;
		return 0;
	case SO_TRACE_DIR:
		o->trace_dir = arg;
		return 0;
	default:
		return -CLI_EUSAGE;
	}
}

/* What the options say together. */
static int
serve_check(struct serve_opts *o, bool is_teller)
{
	int r;

	if ((r = serve_listen_parse(o)) < 0)
		return r;
	if (!o->is_loopback && o->token_file == NULL) {
		fprintf(stderr, "%s: --listen %s: not a loopback address: "
		    "--token-file F is needed\n", SERVE_PROG, o->listen);
		return -CLI_EUSAGE;
	}
	if (is_teller && (o->listen_fd < 0 || o->parent == 0)) {
		fprintf(stderr, "banklab teller: --listen-fd and --parent are "
		    "needed\n");
		return -CLI_EUSAGE;
	}
	if (ledger_name_check(o->name) < 0) {
		fprintf(stderr, "%s: \"%s\": %s\n", SERVE_PROG, o->name,
		    lab_strerror(-LAB_ENAME));
		return -CLI_EUSAGE;
	}
	return 0;
}

int
serve_parse(int argc, char **argv, bool is_teller, struct serve_opts *o)
{
	struct serve_take t = { o, is_teller };
	struct cli_given g = { 0 };
	int r;

	serve_defaults(o);
	r = cli_getopt(&serve_prog, serve_rows, NULL, argc, argv, &g,
	    serve_option, &t);
	if (r == -CLI_EHELP) {
		(is_teller ? teller_usage : serve_usage)(stdout);
		return -CLI_EDONE;
	}
	if (r < 0)
		return r;
	o->sync_arg = g.sync;
	o->trace = g.trace;
	if (g.has_timeout)
		o->timeout = g.timeout;
	if (optind != argc - 1) {
		fprintf(stderr, "%s: %s (--help)\n", SERVE_PROG,
		    optind >= argc ? "NAME is needed" : "one NAME only");
		return -CLI_EUSAGE;
	}
	o->name = argv[optind];
	if ((r = cli_sync(SERVE_PROG, o->sync_arg, SYNC_ORDERED,
	    &o->sync)) < 0)
		return r;
	o->has_sync = o->sync_arg != NULL || cli_sync_from_env();
	return serve_check(o, is_teller);
}

int
serve_read_token(const struct serve_opts *o, char *buf, size_t len)
{
	FILE *f;
	int e;

	buf[0] = '\0';
	if (o->token_file == NULL)
		return 0;
	if ((f = fopen(o->token_file, "re")) == NULL) {
		e = errno;
		fprintf(stderr, "%s: --token-file %s: %s\n", SERVE_PROG,
		    o->token_file, strerror(e));
		return -CLI_EUSAGE;
	}
	if (fgets(buf, (int)len, f) == NULL)
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	if (buf[0] == '\0') {
		fprintf(stderr, "%s: --token-file %s: no token on its first "
		    "line\n", SERVE_PROG, o->token_file);
		return -CLI_EUSAGE;
	}
	return 0;
}

bool
serve_child_begin(const char *prog, int argc, char **argv,
    struct serve_opts *o, sigset_t *stop, int *exit_code)
{
	int r;

	if ((r = serve_parse(argc, argv, true, o)) < 0) {
		*exit_code = cli_exit_code(r);
		return false;
	}
	if ((r = spawn_bind_parent((pid_t)o->parent)) < 0) {
		fprintf(stderr, "%s: --parent %" PRId64 ": %s\n", prog,
		    o->parent, lab_strerror(r));
		*exit_code = LAB_EXIT_SYSTEM;
		return false;
	}
	sigemptyset(stop);
	sigaddset(stop, SIGINT);
	sigaddset(stop, SIGTERM);
	sigprocmask(SIG_BLOCK, stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	return true;
}
