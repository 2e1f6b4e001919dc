/*
 * serve_play: `banklab games NAME --listen-fd N --parent PID ...`, the one
 * process of banklab serve that owns every game of /v1/play: their
 * schedulers, their parked worker processes (its children) and their
 * ledgers (lab/play.h).  It serves HTTP on the Unix socket it inherits
 * (in the master's private folder), through libmicrohttpd run from this
 * one thread, between which it ends idle games: so every game is touched
 * by one thread only, and no lock is needed.  The tellers forward the
 * play requests here (serve_forward.c).  SIGTERM or SIGINT: every game
 * ends (workers reaped, ledgers removed), exit 0.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include "api.h"
#include "cli.h"
#include "lab.h"
#include "play.h"
#include "serve.h"
#include "spawn.h"

#define GAMES_PROG		"banklab games"
#define GAMES_TICK_MS		250	/* idle games are looked for */

struct games {
	const struct serve_opts *o;
	struct play_games *play;
};

struct games_req {
	char *body;
	size_t len;
	bool is_too_big;
};

/* One route: method, path shape, the request's fields, the action. */
struct games_route {
	const char *method;
	const char *path;	/* after /v1/play/ID/ ("": none) */
	const char *action;	/* play_act()'s */
	unsigned fields;	/* play_field bits */
};

static const struct games_route games_routes[] = {
	{ "GET", "", "", 0 },
	{ "DELETE", "", "delete", 0 },
	{ "POST", "step", "step", PLAY_F_PROCESS | PLAY_F_KILL },
	{ "POST", "finish", "finish", 0 },
	{ "POST", "undo", "undo", PLAY_F_KEEP },
	{ "POST", "replay", "replay", PLAY_F_SYNC | PLAY_F_KEEP },
	{ "POST", "explore", "explore", 0 },
};

static unsigned
games_status(int rc)
{
	switch (rc) {
	case 0:
		return 200;
	case -EINVAL:
		return 400;
	case -ENOENT:
		return 404;
	case -EBUSY:
		return 409;
	case -EAGAIN:
		return 503;
	default:
		return 500;
	}
}

/* "/v1/play/ID[/ACTION]" into id and action ("" for none). */
static bool
games_split(const char *url, char *id, size_t idlen, const char **action)
{
	const char *p = url + strlen("/v1/play/"), *slash = strchr(p, '/');
	size_t n = slash != NULL ? (size_t)(slash - p) : strlen(p);

	if (n == 0 || n >= idlen || strspn(p, "0123456789abcdef") < n)
		return false;
	memcpy(id, p, n);
	id[n] = '\0';
	*action = slash != NULL ? slash + 1 : "";
	return strchr(*action, '/') == NULL;
}

/* A request on one game: its route found by method and action. */
static int
games_game(struct games *g, const char *url, const char *method,
    const struct games_req *q, struct json_object **out, char *allow,
    size_t alen, char *why, size_t len)
{
	struct json_object *hold = NULL;
	struct play_request pr;
	const char *action;
	char id[PLAY_ID_LEN + 8];
	size_t i, at = 0;
	int rc;

	if (!games_split(url, id, sizeof(id), &action)) {
		snprintf(why, len, "no such path");
		return -ENOENT;
	}
	for (i = 0; i < sizeof(games_routes) / sizeof(games_routes[0]); i++)
		if (strcmp(games_routes[i].path, action) == 0) {
			if (strcmp(games_routes[i].method, method) == 0)
				break;
			/* The path is known: 405, and what it takes. */
			at += (size_t)snprintf(allow + at, alen - at, "%s%s",
			    at ? ", " : "", games_routes[i].method);
		}
	if (i == sizeof(games_routes) / sizeof(games_routes[0])) {
		snprintf(why, len, "no such path");
		return at > 0 ? -EPERM : -ENOENT;
	}
	if ((rc = play_parse_request(q->body, q->len, games_routes[i].fields,
	    &pr, &hold, why, len)) == 0)
		rc = play_act(g->play, id, games_routes[i].action, &pr, out,
		    why, len);
	json_object_put(hold);
	return rc;
}

/* Route a whole request; *out is the answer's body. */
static unsigned
games_route(struct games *g, const char *url, const char *method,
    const struct games_req *q, struct json_object **out, char *allow,
    size_t alen)
{
	struct json_object *hold = NULL;
	struct play_request pr;
	char why[512] = "";
	int rc;

	*out = NULL;
	allow[0] = '\0';
	if (strcmp(url, "/v1/levels") == 0) {
		snprintf(allow, alen, "GET");
		rc = strcmp(method, "GET") == 0 ? play_levels(g->play, out,
		    why, sizeof(why)) : -EPERM;
	} else if (strcmp(url, "/v1/play") == 0) {
		snprintf(allow, alen, "GET, POST");
		if (strcmp(method, "GET") == 0)
			rc = play_list(g->play, out);
		else if (strcmp(method, "POST") != 0)
			rc = -EPERM;
		else if ((rc = play_parse_request(q->body, q->len,
		    PLAY_F_LEVEL | PLAY_F_SCHEDULE | PLAY_F_SYNC | PLAY_F_STEPS,
		    &pr, &hold, why, sizeof(why))) == 0)
			rc = play_new(g->play, &pr, out, why, sizeof(why));
	} else if (strncmp(url, "/v1/play/", 9) == 0) {
		rc = games_game(g, url, method, q, out, allow, alen, why,
		    sizeof(why));
	} else {
		rc = -ENOENT;
		snprintf(why, sizeof(why), "no such path");
	}
	json_object_put(hold);
	if (rc == -EPERM) {
		*out = api_error("method not allowed");
		return 405;
	}
	allow[0] = '\0';
	if (rc < 0) {
		json_object_put(*out);
		*out = api_error(why[0] ? why : lab_strerror(rc));
		return games_status(rc);
	}
	return strcmp(url, "/v1/play") == 0 && rc == 0 &&
	    strcmp(method, "POST") == 0 ? 201 : 200;
}

static enum MHD_Result
games_answer(struct MHD_Connection *c, unsigned status,
    struct json_object *body, const char *allow)
{
	struct MHD_Response *resp;
	enum MHD_Result ok;
	const char *s;

	if (body == NULL)
		body = api_error("out of memory");
	s = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);
	resp = MHD_create_response_from_buffer(strlen(s), lab_unconst(s),
	    MHD_RESPMEM_MUST_COPY);
	json_object_put(body);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", "application/json");
	if (allow != NULL)
		MHD_add_response_header(resp, "Allow", allow);
	ok = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ok;
}

static enum MHD_Result
games_access(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *data,
    size_t *data_size, void **ctx)
{
	struct games *g = cls;
	struct games_req *q = *ctx;
	struct json_object *out;
	char allow[64];
	unsigned status;

	(void)version;
	if (q == NULL) {
		if ((q = calloc(1, sizeof(*q))) == NULL)
			return MHD_NO;
		*ctx = q;
		return MHD_YES;
	}
	if (*data_size > 0) {
		serve_take_body(&q->body, &q->len, &q->is_too_big,
		    (size_t)g->o->max_body, data, *data_size);
		*data_size = 0;
		return MHD_YES;
	}
	if (q->is_too_big)
		return games_answer(c, 413, api_error("body larger than "
		    "--max-body"), NULL);
	status = games_route(g, url, method, q, &out, allow, sizeof(allow));
	return games_answer(c, status, out, allow[0] ? allow : NULL);
}

static void
games_done(void *cls, struct MHD_Connection *c, void **ctx,
    enum MHD_RequestTerminationCode why)
{
	struct games_req *q = *ctx;

	(void)cls, (void)c, (void)why;
	if (q != NULL) {
		free(q->body);
		free(q);
		*ctx = NULL;
	}
}

/* Serve, and end idle games, until SIGTERM or SIGINT. */
static void
games_loop(struct games *g, struct MHD_Daemon *d, const sigset_t *stop)
{
	struct timespec now = { 0, 0 };

	for (;;) {
		(void)MHD_run_wait(d, GAMES_TICK_MS);
		if (sigtimedwait(stop, NULL, &now) > 0)
			return;
		(void)play_reap_idle(g->play);
	}
}

/* A give-up in progress ends when the master stops us. */
static bool
games_is_stopping(void)
{
	sigset_t pending;

	return sigpending(&pending) == 0 && (sigismember(&pending, SIGTERM) ==
	    1 || sigismember(&pending, SIGINT) == 1);
}

static int
games_config(const struct serve_opts *o, struct play_games **out)
{
	struct play_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.max_games = (unsigned)o->max_plays;
	cfg.idle_s = (unsigned)o->play_idle;
	/* Where the lessons' levels are, and the worker: as the others. */
	cfg.schedules = getenv("BANKLAB_SCHEDULES");
	cfg.worker = getenv("BANKLAB_WORKER");
	cfg.is_stopping = games_is_stopping;
	return play_open(&cfg, out);
}

int
banklab_games_main(int argc, char **argv)
{
	struct serve_opts o;
	struct games g;
	struct MHD_Daemon *d;
	sigset_t stop;
	int r;

	if (!serve_child_begin(GAMES_PROG, argc, argv, &o, &stop, &r))
		return r;
	memset(&g, 0, sizeof(g));
	g.o = &o;
	if ((r = games_config(&o, &g.play)) < 0) {
		fprintf(stderr, "%s: %s\n", GAMES_PROG, lab_strerror(r));
		return LAB_EXIT_SYSTEM;
	}
	/* No thread of MHD's: this thread alone touches the games. */
	d = MHD_start_daemon(MHD_USE_EPOLL, 0, NULL, NULL, games_access, &g,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)o.listen_fd,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)o.timeout,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)o.connections,
	    MHD_OPTION_NOTIFY_COMPLETED, games_done, &g,
	    MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "%s: libmicrohttpd would not start on "
		    "descriptor %" PRId64 "\n", GAMES_PROG, o.listen_fd);
		play_close(g.play);
		return LAB_EXIT_SYSTEM;
	}
	games_loop(&g, d, &stop);
	MHD_stop_daemon(d);
	play_close(g.play);
	return LAB_EXIT_OK;
}
