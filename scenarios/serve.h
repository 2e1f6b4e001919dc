/*
 * serve: `banklab serve NAME` (serve.c: the master, which listens, starts
 * and supervises the tellers) and `banklab teller NAME` (serve_teller.c:
 * one teller process, HTTP on the listening socket it inherits, through
 * libmicrohttpd, the answers from lab/api.h).  serve_opts.c reads both
 * command lines.  Program side: these print and return exit codes.
 */
#ifndef SCENARIOS_SERVE_H
#define SCENARIOS_SERVE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger.h"

#define SERVE_TELLERS_MAX	64
#define SERVE_TOKEN_MAX		256

struct serve_opts {
	const char *name;
	const char *listen;		/* "ADDR:PORT" as given */
	char addr[64];			/* its address part, no brackets */
	int family;			/* AF_INET or AF_INET6 */
	uint16_t port;
	bool is_loopback;
	int64_t tellers;
	const char *sync_arg;		/* --sync as given, or NULL */
	bool has_sync;			/* --sync or $BANKLAB_SYNC given */
	enum sync_kind sync;		/* else the ledger's own */
	int64_t max_body;		/* bytes */
	int64_t timeout;		/* seconds a connection may idle */
	int64_t connections;		/* per teller */
	int64_t per_address;		/* per teller and client address;
					 * 0: no limit but connections */
	int64_t accounts, balance;	/* a ledger serve creates */
	int64_t window;			/* microseconds, as the lessons' */
	int64_t lock_timeout;		/* ms */
	const char *token_file;
	const char *www;			/* --www DIR: the page's files */
	int64_t max_plays;		/* games at once */
	int64_t play_idle;		/* seconds an idle game lives */
	/* The teller's own (and the games process's). */
	int64_t listen_fd;
	int64_t parent;
	const char *games;		/* the games process's socket */
	const char *trace;		/* serve: --trace FILE */
	const char *trace_dir;		/* teller: its records go there */
};

/*
 * argv (after the command's word) into o; is_teller takes the teller's
 * options too.  0, or a negative code of cli.h (its line printed).
 */
int serve_parse(int argc, char **argv, bool is_teller, struct serve_opts *o);

/*
 * The token: the first line of o->token_file, into buf ("" if there is no
 * --token-file).  0, or one line and -CLI_EUSAGE (unreadable, empty).
 */
int serve_read_token(const struct serve_opts *o, char *buf, size_t len);

/*
 * What a teller and the games process do first: parse argv (is_teller),
 * die with --parent, block SIGINT and SIGTERM (into stop: their wait),
 * ignore SIGPIPE.  false: stop now with *exit_code (its line printed).
 */
bool serve_child_begin(const char *prog, int argc, char **argv,
    struct serve_opts *o, sigset_t *stop, int *exit_code);

/* `banklab serve ...` and `banklab teller ...`: the exit code. */
int banklab_serve_main(int argc, char **argv);
int banklab_teller_main(int argc, char **argv);

/*
 * `banklab games NAME --listen-fd N --parent PID ...` (serve_play.c): the
 * one process of a server that owns every game of /v1/play (their
 * schedulers and parked workers, lab/play.h), serving HTTP on the Unix
 * socket it inherits; the tellers forward /v1/play* and /v1/levels to it
 * (serve_forward.c), so every request of a game reaches its processes,
 * whichever teller the kernel gave the connection to.
 */
int banklab_games_main(int argc, char **argv);

/* A teller's request to the games process (serve_forward.c). */
struct serve_forward;
struct json_object;
struct MHD_Connection;

/* Is url one the games process answers (/v1/play..., /v1/levels)? */
bool serve_forward_is_games(const char *url);

/*
 * Suspend c and send method url with body (len bytes, copied) to the
 * games process at socket_path from a thread of its own, which resumes c
 * when the answer is in.  0, or -errno (c is not suspended then):
 * -ENAMETOOLONG (url too long), -EINVAL (a byte no games path has),
 * -ESHUTDOWN (serve_forward_stop() was called), -ENOMEM, ...
 */
int serve_forward_start(const char *socket_path, struct MHD_Connection *c,
    const char *method, const char *url, const char *body, size_t len,
    struct serve_forward **out);

/* serve_forward_start()'s refusal r as an answer: status, JSON error. */
unsigned serve_forward_refused(int r, struct json_object **out);

/*
 * At exit: every forward in flight is aborted (answered 503) within about
 * a second, and none begins.  Then the teller waits until
 * serve_forward_running() is 0: no connection is suspended by a forward
 * any more and no forward thread will call MHD again, so MHD may stop.
 */
void serve_forward_stop(void);
unsigned serve_forward_running(void);

/*
 * Once c is resumed: the status, the JSON answer (503 and an error if
 * the games process could not be reached) and its Allow header ("" if
 * none), and f freed.  false: not yet.
 */
bool serve_forward_done(struct serve_forward *f, unsigned *status,
    struct json_object **out, char *allow, size_t alen);

/*
 * Keep the n bytes at data after the *len of *body (malloc'd at the first,
 * max + 1 bytes: it ends with a NUL); past max, only *is_too_big is set
 * (413).  A teller's and the games process's request bodies.
 */
void serve_take_body(char **body, size_t *len, bool *is_too_big, size_t max,
    const char *data, size_t n);

/*
 * The master's side: a private folder (mode 0700) with the games socket
 * in it, bound and listening, made before any child starts; and its
 * removal at exit.  0 or -errno.  (Folders that SIGKILLed servers left,
 * whose sockets no one listens on, are removed first.)
 */
int serve_games_socket(char *dir, size_t dlen, char *path, size_t plen,
    int *fd);
void serve_games_unlink(const char *dir, const char *path);

#endif
