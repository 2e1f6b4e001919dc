/*
 * serve: `banklab serve NAME` (serve.c: the master, which listens, starts
 * and supervises the tellers) and `banklab teller NAME` (serve_teller.c:
 * one teller process, HTTP on the listening socket it inherits, through
 * libmicrohttpd, the answers from lab/api.h).  serve_opts.c reads both
 * command lines.  Program side: these print and return exit codes.
 */
#ifndef SCENARIOS_SERVE_H
#define SCENARIOS_SERVE_H

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
	/* The teller's own. */
	int64_t listen_fd;
	int64_t parent;
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

/* `banklab serve ...` and `banklab teller ...`: the exit code. */
int banklab_serve_main(int argc, char **argv);
int banklab_teller_main(int argc, char **argv);

#endif
