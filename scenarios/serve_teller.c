/*
 * serve_teller: `banklab teller NAME --listen-fd N --parent PID ...`, one
 * teller process of `banklab serve`.  It attaches to the ledger by name,
 * joins (a slot of its own), and serves HTTP on the listening socket it
 * inherited, through libmicrohttpd: one internal thread polls every
 * connection (epoll), so one request at a time touches the ledger, as the
 * slot's journal requires, and a client that trickles bytes holds a
 * connection, never the teller.  The main thread waits for SIGTERM or
 * SIGINT: then it stops accepting, lets MHD finish, detaches, exits 0.
 *
 * Each endpoint has one handler (serve_routes below) that parses,
 * validates, acts and answers; every answer is JSON and carries
 * X-Banklab-Teller: PID.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <microhttpd.h>

#include "api.h"
#include "cli.h"
#include "lab.h"
#include "ledger.h"
#include "parse.h"
#include "serve.h"
#include "serve_events.h"
#include "serve_www.h"
#include "spawn.h"
#include "sync.h"
#include "trace.h"

#define TELLER_PROG		"banklab teller"
#define TELLER_MEMORY_LIMIT	(32 * 1024)	/* headers of a connection */
#define TELLER_DRAIN_MS		4000	/* at exit, for requests in flight
					 * (the master SIGKILLs after 5 s) */

struct teller {
	const struct serve_opts *o;
	struct ledger l;
	struct serve_events *ev;	/* GET /v1/events' streams */
	int www;			/* the page's folder, or -1 */
	_Atomic unsigned in_flight;	/* requests begun, not completed */
	char pid[16];
	char token[SERVE_TOKEN_MAX];	/* "" if writes need none */
	struct trace trace;		/* --trace-dir: our records */
};

/* One request as it arrives. */
struct teller_req {
	const struct teller_route *rt;
	const char *method;
	struct serve_forward *fwd;	/* sent on to the games process */
	char allow[32];			/* ... its 405's Allow */
	char *body;
	size_t len;
	bool is_too_big;
	bool is_answered;
};

/* What a handler answers: a status and a JSON body (never NULL). */
struct teller_answer {
	unsigned status;
	struct json_object *body;
	const char *allow;		/* 405 */
};

typedef void (*teller_handler)(struct teller *, struct MHD_Connection *,
    const char *url, struct teller_req *, struct teller_answer *);

struct teller_route {
	const char *path;
	bool is_prefix;			/* path, then one more segment */
	const char *method;		/* GET or POST */
	teller_handler fn;
	enum api_op_kind op;		/* POST: the operation */
};

static void
teller_fail(struct teller_answer *a, unsigned status, const char *msg)
{
	a->status = status;
	a->body = api_error(msg);
}

/* A library code as an answer: 409, 503 (Retry-After), 400, 500. */
static void
teller_code(struct teller *t, struct teller_answer *a, int code)
{
	teller_fail(a, api_status(code), lab_strerror(code));
	/* Who held the lock we waited for in vain, as the lessons say. */
	if (a->status == 503 && t->l.blocker_pid > 0)
		json_object_object_add(a->body, "holder_pid",
		    json_object_new_int(t->l.blocker_pid));
}

static void
h_ledger(struct teller *t, struct MHD_Connection *c, const char *url,
    struct teller_req *q, struct teller_answer *a)
{
	(void)c, (void)url, (void)q;
	a->status = 200;
	(void)api_ledger(&t->l, &a->body);
}

static void
h_processes(struct teller *t, struct MHD_Connection *c, const char *url,
    struct teller_req *q, struct teller_answer *a)
{
	(void)c, (void)url, (void)q;
	a->status = 200;
	(void)api_processes(&t->l, &a->body);
}

/* Query argument k as a number in [min, max], or dflt if absent. */
static int
teller_query(struct MHD_Connection *c, const char *k, uint64_t min,
    uint64_t max, uint64_t dflt, uint64_t *out, struct teller_answer *a)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    k);
	char msg[128];

	if (v == NULL) {
		*out = dflt;
		return 0;
	}
	if (parse_u64(v, min, max, out) < 0) {
		snprintf(msg, sizeof(msg), "\"%s\": not a number between "
		    "%" PRIu64 " and %" PRIu64, k, min, max);
		teller_fail(a, 400, msg);
		return -EINVAL;
	}
	return 0;
}

static void
h_accounts(struct teller *t, struct MHD_Connection *c, const char *url,
    struct teller_req *q, struct teller_answer *a)
{
	uint64_t off, lim;

	(void)url, (void)q;
	if (teller_query(c, "offset", 0, UINT32_MAX, 0, &off, a) < 0 ||
	    teller_query(c, "limit", 1, API_PAGE_MAX, 100, &lim, a) < 0)
		return;
	a->status = 200;
	(void)api_accounts(&t->l, (uint32_t)off, (uint32_t)lim, &a->body);
}

static void
h_account(struct teller *t, struct MHD_Connection *c, const char *url,
    struct teller_req *q, struct teller_answer *a)
{
	const char *id = url + strlen("/v1/accounts/");
	uint64_t n;
	int r;

	(void)c, (void)q;
	if (parse_u64(id, 0, UINT32_MAX, &n) < 0) {
		teller_fail(a, 400, "\"id\": not an account number");
		return;
	}
	if (n >= t->l.naccounts) {
		teller_fail(a, 404, "\"id\": no such account");
		return;
	}
	if ((r = api_account(&t->l, (uint32_t)n, &a->body)) < 0)
		teller_code(t, a, r);
	else
		a->status = 200;
}

static void
h_audit(struct teller *t, struct MHD_Connection *c, const char *url,
    struct teller_req *q, struct teller_answer *a)
{
	const char *mode = MHD_lookup_connection_value(c,
	    MHD_GET_ARGUMENT_KIND, "mode");
	bool is_consistent = true;
	int r;

	(void)url, (void)q;
	if (mode != NULL && strcmp(mode, "plain") == 0)
		is_consistent = false;
	else if (mode != NULL && strcmp(mode, "consistent") != 0) {
		teller_fail(a, 400, "\"mode\": not consistent or plain");
		return;
	}
	if ((r = api_audit(&t->l, is_consistent, &a->body)) < 0)
		teller_code(t, a, r);
	else
		a->status = 200;
}

/* POST /v1/deposit, /v1/withdraw, /v1/transfer. */
static void
h_operation(struct teller *t, struct MHD_Connection *c, const char *url,
    struct teller_req *q, struct teller_answer *a)
{
	struct api_op op;
	char why[160];
	int r;

	(void)c, (void)url;
	if (api_parse_op(q->rt->op, q->body != NULL ? q->body : "", q->len,
	    t->l.naccounts, &op, why, sizeof(why)) < 0) {
		teller_fail(a, 400, why);
		return;
	}
	if ((r = api_do_op(&t->l, &op, &a->body)) < 0)
		teller_code(t, a, r);
	else
		a->status = 200;
}

/*
 * /v1/play... and /v1/levels: the games process answers (serve_play.c).
 * No answer yet (status 0): the connection waits, suspended, and the
 * answer is queued when it is resumed (teller_access()).
 */
static void
h_forward(struct teller *t, struct MHD_Connection *c, const char *url,
    struct teller_req *q, struct teller_answer *a)
{
	int r;

	if (t->o->games == NULL)
		teller_fail(a, 404, "no such path");
	else if ((r = serve_forward_start(t->o->games, c, q->method, url,
	    q->body, q->len, &q->fwd)) < 0)
		a->status = serve_forward_refused(r, &a->body);
}

/* Any method: the games process says which it takes. */
static const struct teller_route teller_games_route = {
	"/v1/play", true, NULL, h_forward, 0
};

static const struct teller_route teller_routes[] = {
	{ "/v1/ledger", false, "GET", h_ledger, 0 },
	{ "/v1/accounts", false, "GET", h_accounts, 0 },
	{ "/v1/accounts/", true, "GET", h_account, 0 },
	{ "/v1/audit", false, "GET", h_audit, 0 },
	{ "/v1/processes", false, "GET", h_processes, 0 },
	{ "/v1/events", false, "GET", NULL, 0 },	/* serve_events.c */
	{ "/v1/deposit", false, "POST", h_operation, API_DEPOSIT },
	{ "/v1/withdraw", false, "POST", h_operation, API_WITHDRAW },
	{ "/v1/transfer", false, "POST", h_operation, API_TRANSFER },
};

static const struct teller_route *
teller_route(const char *url)
{
	size_t i, n;

	if (serve_forward_is_games(url))
		return &teller_games_route;
	for (i = 0; i < sizeof(teller_routes) / sizeof(teller_routes[0]);
	    i++) {
		const struct teller_route *rt = &teller_routes[i];

		n = strlen(rt->path);
		if (!rt->is_prefix && strcmp(url, rt->path) == 0)
			return rt;
		if (rt->is_prefix && strncmp(url, rt->path, n) == 0 &&
		    url[n] != '\0' && strchr(url + n, '/') == NULL)
			return rt;
	}
	return NULL;
}

/* Queue a's answer (a->body is put); MHD_NO if it could not be. */
static enum MHD_Result
teller_answer(struct teller *t, struct MHD_Connection *c,
    struct teller_answer *a)
{
	struct MHD_Response *resp;
	enum MHD_Result ok;
	const char *s;
	char *copy;
	size_t n;

	if (a->body == NULL)
		a->body = api_error("out of memory");
	s = json_object_to_json_string_ext(a->body, JSON_C_TO_STRING_PLAIN);
	n = strlen(s);
	if ((copy = malloc(n + 2)) == NULL) {
		json_object_put(a->body);
		return MHD_NO;
	}
	memcpy(copy, s, n);
	copy[n++] = '\n';
	copy[n] = '\0';
	json_object_put(a->body);
	resp = MHD_create_response_from_buffer(n, copy, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(copy);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "X-Banklab-Teller", t->pid);
	if (a->allow != NULL)
		MHD_add_response_header(resp, "Allow", a->allow);
	if (a->status == 503)
		MHD_add_response_header(resp, "Retry-After", "1");
	if (a->status == 401)
		MHD_add_response_header(resp, "WWW-Authenticate", "Bearer");
	ok = MHD_queue_response(c, a->status, resp);
	MHD_destroy_response(resp);
	return ok;
}

/* Equal without an early exit: the token's bytes are not timed. */
static bool
teller_same(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b), i;
	unsigned char d = na != nb;

	for (i = 0; i < na && i < nb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/*
 * What the headers alone decide: route, method, type, size, token.
 * 0 if the request goes on to its handler, else a is filled.
 */
static int
teller_admit(struct teller *t, struct MHD_Connection *c, const char *url,
    const char *method, struct teller_req *q, struct teller_answer *a)
{
	const char *type, *len, *auth;
	char bearer[SERVE_TOKEN_MAX + 8];
	uint64_t n;

	if ((q->rt = teller_route(url)) == NULL) {
		teller_fail(a, 404, "no such path");
		return -1;
	}
	if (q->rt->method != NULL && strcmp(method, q->rt->method) != 0) {
		a->allow = q->rt->method;
		teller_fail(a, 405, "method not allowed");
		return -1;
	}
	if (strcmp(method, "GET") == 0)
		return 0;
	auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	snprintf(bearer, sizeof(bearer), "Bearer %s", t->token);
	if (t->token[0] != '\0' && (auth == NULL ||
	    !teller_same(auth, bearer))) {
		teller_fail(a, 401, "a write needs Authorization: Bearer "
		    "<token>");
		return -1;
	}
	type = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	len = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	/* A POST without a body (finish, explore) needs no type. */
	if (strcmp(method, "POST") == 0 && (type != NULL || (len != NULL &&
	    strcmp(len, "0") != 0) || MHD_lookup_connection_value(c,
	    MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL) &&
	    (type == NULL || strncasecmp(type, "application/json", 16) != 0 ||
	    (type[16] != '\0' && type[16] != ';' && type[16] != ' '))) {
		teller_fail(a, 415, "Content-Type: application/json "
		    "expected");
		return -1;
	}
	if (len != NULL && (parse_u64(len, 0, UINT64_MAX, &n) < 0 ||
	    n > (uint64_t)t->o->max_body)) {
		teller_fail(a, 413, "body larger than --max-body");
		return -1;
	}
	return 0;
}

static enum MHD_Result
teller_access(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *data,
    size_t *data_size, void **ctx)
{
	struct teller *t = cls;
	struct teller_req *q = *ctx;
	struct teller_answer a = { 0, NULL, NULL };

	(void)version;
	if (q == NULL) {
		if ((q = calloc(1, sizeof(*q))) == NULL)
			return MHD_NO;
		*ctx = q;
		q->method = method;
		atomic_fetch_add(&t->in_flight, 1);
		if (serve_www_is_page(url)) {
			q->is_answered = true;
			return serve_www_answer(t->www, c, url, method, t->pid);
		}
		if (teller_admit(t, c, url, method, q, &a) == 0)
			return MHD_YES;		/* the body, then the rest */
		q->is_answered = true;
		return teller_answer(t, c, &a);
	}
	if (*data_size > 0) {
		if (!q->is_answered)
			serve_take_body(&q->body, &q->len, &q->is_too_big,
			    (size_t)t->o->max_body, data, *data_size);
		*data_size = 0;
		return MHD_YES;
	}
	if (q->fwd != NULL) {		/* resumed: the games answered */
		if (!serve_forward_done(q->fwd, &a.status, &a.body, q->allow,
		    sizeof(q->allow)))
			return MHD_YES;
		q->fwd = NULL;
		a.allow = q->allow[0] != '\0' ? q->allow : NULL;
		return teller_answer(t, c, &a);
	}
	if (q->is_answered)
		return MHD_YES;
	q->is_answered = true;
	if (q->rt->fn == NULL)
		return serve_events_start(t->ev, c);
	if (q->is_too_big)
		teller_fail(&a, 413, "body larger than --max-body");
	else
		q->rt->fn(t, c, url, q, &a);
	if (a.status == 0)
		return MHD_YES;		/* suspended: h_forward */
	return teller_answer(t, c, &a);
}

static void
teller_done(void *cls, struct MHD_Connection *c, void **ctx,
    enum MHD_RequestTerminationCode why)
{
	struct teller_req *q = *ctx;
	struct teller *t = cls;

	(void)c, (void)why;
	if (q != NULL) {
		unsigned st;
		struct json_object *o;

		/* Resumed, and the client gone before its answer went. */
		if (q->fwd != NULL && serve_forward_done(q->fwd, &st, &o,
		    q->allow, sizeof(q->allow)))
			json_object_put(o);
		atomic_fetch_sub(&t->in_flight, 1);
		free(q->body);
		free(q);
		*ctx = NULL;
	}
}

/* Attach, choose the variant, join. */
static int
teller_attach(struct teller *t)
{
	const struct serve_opts *o = t->o;
	int r;

	if ((r = sync_attach(o->name, &t->l)) < 0)
		return r;
	if (o->has_sync && (r = sync_use(&t->l, o->sync)) < 0)
		goto fail;
	t->l.lock_timeout_ms = (unsigned)o->lock_timeout;
	t->l.window = (unsigned)o->window;
	t->l.role = LEDGER_ROLE_TELLER;
	if ((r = ledger_join(&t->l)) < 0)
		goto fail;
	/* Traced or not, the teller serves: a trace only shows it. */
	if (o->trace_dir != NULL) {
		if ((r = trace_open(o->trace_dir, "teller", &t->trace)) == 0)
			sync_trace(&t->l, &t->trace);
		else
			fprintf(stderr, "%s: --trace-dir %s: %s (not traced)\n",
			    TELLER_PROG, o->trace_dir, lab_strerror(r));
	}
	return 0;
fail:
	ledger_detach(&t->l);
	return r;
}

/*
 * Let the requests in flight finish and their answers go out (event
 * streams end first, forwards are cut short: 503), for at most
 * TELLER_DRAIN_MS: MHD_stop_daemon() would close them unanswered.
 * false if a forward's thread still runs: then MHD must not stop.
 */
static bool
teller_drain(struct teller *t)
{
	uint64_t end = lab_now_ms() + TELLER_DRAIN_MS;
	struct timespec ts = { 0, 5 * 1000000L };

	serve_forward_stop();
	while ((atomic_load(&t->in_flight) > 0 ||
	    serve_forward_running() > 0) && lab_now_ms() < end) {
		serve_events_stop(t->ev);	/* a stream that just began */
		nanosleep(&ts, NULL);
	}
	return serve_forward_running() == 0;
}

/* Until SIGTERM or SIGINT, resuming the event streams every tick. */
static void
teller_wait(const sigset_t *stop, struct serve_events *ev)
{
	struct timespec tick = { 0, SERVE_EVENTS_TICK_MS * 1000000L };

	for (;;) {
		if (sigtimedwait(stop, NULL, &tick) > 0)
			return;
		serve_events_tick(ev);
	}
}

int
banklab_teller_main(int argc, char **argv)
{
	struct serve_opts o;
	struct teller t;
	struct MHD_Daemon *d;
	sigset_t stop;
	int r, fd;

	/* Signals blocked before the MHD thread starts: it has them so too. */
	if (!serve_child_begin(TELLER_PROG, argc, argv, &o, &stop, &r))
		return r;
	memset(&t, 0, sizeof(t));
	t.o = &o;
	snprintf(t.pid, sizeof(t.pid), "%d", (int)getpid());
	if ((r = serve_read_token(&o, t.token, sizeof(t.token))) < 0)
		return cli_exit_code(r);
	if ((r = teller_attach(&t)) < 0) {
		fprintf(stderr, "%s: %s: %s\n", TELLER_PROG, o.name,
		    lab_strerror(r));
		return lab_exit_code(r);
	}
	/* Once, before any thread: the forwarding threads use libcurl. */
	if (o.games != NULL && curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		fprintf(stderr, "%s: libcurl would not start\n", TELLER_PROG);
		ledger_detach(&t.l);
		return LAB_EXIT_SYSTEM;
	}
	if ((t.ev = serve_events_new(&t.l, (unsigned)o.connections,
	    t.pid)) == NULL) {
		fprintf(stderr, "%s: out of memory\n", TELLER_PROG);
		ledger_detach(&t.l);
		return LAB_EXIT_SYSTEM;
	}
	t.www = serve_www_open(o.www);
	d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD |
	    MHD_ALLOW_SUSPEND_RESUME, 0,
	    NULL, NULL, teller_access, &t,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)o.listen_fd,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)o.timeout,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)o.connections,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)o.per_address,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)TELLER_MEMORY_LIMIT,
	    MHD_OPTION_NOTIFY_COMPLETED, teller_done, &t,
	    MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "%s: libmicrohttpd would not start on "
		    "descriptor %" PRId64 "\n", TELLER_PROG, o.listen_fd);
		serve_events_free(t.ev);
		ledger_detach(&t.l);
		serve_www_close(t.www);
		return LAB_EXIT_SYSTEM;
	}
	teller_wait(&stop, t.ev);
	/* Stop accepting: close our socket (SO_REUSEPORT: ours alone). */
	if ((fd = MHD_quiesce_daemon(d)) >= 0)
		close(fd);
	serve_events_stop(t.ev);
	if (!teller_drain(&t)) {
		/* Never seen: curl aborts within a second.  Leave as is. */
		fprintf(stderr, "%s: a request to the games process would not "
		    "end; exiting with it\n", TELLER_PROG);
		return LAB_EXIT_SYSTEM;
	}
	MHD_stop_daemon(d);
	serve_events_free(t.ev);
	ledger_detach(&t.l);
	serve_www_close(t.www);
	trace_close(&t.trace);
	return LAB_EXIT_OK;
}
