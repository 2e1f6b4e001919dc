/*
 * serve: `banklab serve NAME`, the master.  It makes (or checks) the
 * ledger, takes the port, starts --tellers `banklab teller` processes
 * (posix_spawn through lab/spawn.h), each with a listening socket of its
 * own on that port (SO_REUSEPORT) that it inherits, dying with the master
 * (--parent), and then prints "listening on ..." first.  It
 * supervises them: a teller that dies is reaped, reported and replaced.
 * SIGTERM or SIGINT: the tellers are told (SIGTERM: each stops accepting,
 * finishes what it serves, detaches), reaped, the ledger removed if we
 * made it; exit 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bank.h"
#include "cli.h"
#include "cli_trace.h"
#include "lab.h"
#include "ledger.h"
#include "serve.h"
#include "serve_www.h"
#include "spawn.h"
#include "sync.h"

#define SERVE_STOP_MS		5000	/* tellers' time to finish at exit */
#define SERVE_WAIT_MS		3600000u
#define SERVE_FAST_DEATHS	20	/* tellers that exit non-zero, in all */

enum { SERVE_STOP_SIGNAL = 1, SERVE_STOP_ERROR };

/*
 * Each teller listens on a socket of its own, bound to the one port with
 * SO_REUSEPORT: the kernel spreads new connections over the tellers.  (On
 * one shared socket, a burst of connections went to whichever teller woke
 * first, MHD accepting up to 10 at a time: 8 kept-alive clients were all
 * one teller's, and no two tellers raced.)  The master keeps a socket
 * bound, not listening, so that the port stays ours while tellers come
 * and go; a teller that dies takes the connections queued on its socket
 * with it (reset), the others' are untouched.
 */
struct serve_master {
	struct serve_opts *o;
	int lfd;			/* bound, never listening */
	char prog[PATH_MAX];
	char www[PATH_MAX];		/* the page's folder, or "" */
	struct spawn_set set;
	unsigned started, replaced, fast_deaths;
	bool is_announced;		/* "listening on" is out */
	int err;
	struct ledger *l;		/* its trace: the tellers' directory */
	/* The games process (serve_play.c) and its socket. */
	int gfd;			/* listening, kept for a new one */
	char gdir[64], gpath[128];
	pid_t games_pid;		/* 0: not running */
};

/* o's address as a sockaddr; 0 or -EINVAL. */
static int
serve_sockaddr(const struct serve_opts *o, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct sockaddr_in *sa = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sa6 = (struct sockaddr_in6 *)ss;
	int r;

	memset(ss, 0, sizeof(*ss));
	ss->ss_family = (sa_family_t)o->family;
	if (o->family == AF_INET6) {
		*len = sizeof(*sa6);
		sa6->sin6_port = htons(o->port);
		r = inet_pton(AF_INET6, o->addr, &sa6->sin6_addr);
	} else {
		*len = sizeof(*sa);
		sa->sin_port = htons(o->port);
		r = inet_pton(AF_INET, o->addr, &sa->sin_addr);
	}
	return r == 1 ? 0 : -EINVAL;
}

/*
 * A TCP socket bound to o's address, listening if is_listening; the port
 * it got into o (port 0 picks one).  With is_shared, SO_REUSEPORT: the
 * tellers' sockets.  Without it, the bind fails (EADDRINUSE) where any
 * other server listens, another banklab serve's REUSEPORT group included:
 * the master's probe, since two servers on one port would split its
 * requests between two ledgers.
 */
static int
serve_socket(struct serve_opts *o, bool is_listening, bool is_shared,
    int *out)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1, r;

	if ((r = serve_sockaddr(o, &ss, &len)) < 0)
		return r;
	if ((fd = socket(o->family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ==
	    -1 || (is_shared && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one,
	    sizeof(one)) == -1) ||
	    (o->family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &one, sizeof(one)) == -1) ||
	    bind(fd, (struct sockaddr *)&ss, len) == -1 ||
	    (is_listening && listen(fd, 128) == -1) ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) == -1) {
		r = -errno;
		close(fd);
		return r;
	}
	o->port = ntohs(o->family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	*out = fd;
	return 0;
}

/* Start one teller; 0 or -errno. */
static int
serve_start_teller(struct serve_master *m)
{
	struct serve_opts *o = m->o;
	char fd[16], parent[16], body[24], tmo[24], conns[24], win[24];
	char lock[24], per[24];
	char *argv[34];
	int n = 0, i, sock;

	if ((i = serve_socket(o, true, true, &sock)) < 0)
		return i;
	snprintf(fd, sizeof(fd), "%d", sock);
	snprintf(parent, sizeof(parent), "%d", (int)getpid());
	snprintf(body, sizeof(body), "%" PRId64, o->max_body);
	snprintf(tmo, sizeof(tmo), "%" PRId64, o->timeout);
	snprintf(conns, sizeof(conns), "%" PRId64, o->connections);
	snprintf(win, sizeof(win), "%" PRId64, o->window);
	snprintf(lock, sizeof(lock), "%" PRId64, o->lock_timeout);
	snprintf(per, sizeof(per), "%" PRId64, o->per_address);
	argv[n++] = m->prog;
	argv[n++] = lab_unconst("teller");
	argv[n++] = lab_unconst(o->name);
#define ARG(opt, v)	do {						\
		argv[n++] = lab_unconst(opt);				\
		argv[n++] = lab_unconst(v);				\
	} while (0)
	ARG("--listen-fd", fd);
	ARG("--parent", parent);
	ARG("--listen", o->listen);
	ARG("--max-body", body);
	ARG("--timeout", tmo);
	ARG("--connections", conns);
	ARG("--per-address", per);
	ARG("--window", win);
	ARG("--lock-timeout", lock);
	if (o->has_sync)
		ARG("--sync", ledger_sync_name(o->sync));
	if (o->token_file != NULL)
		ARG("--token-file", o->token_file);
	if (m->l->trace != NULL)
		ARG("--trace-dir", m->l->trace->dir);
	if (m->www[0] != '\0')
		ARG("--www", m->www);
	ARG("--games", m->gpath);
#undef ARG
	argv[n] = NULL;
	i = spawn_start_fd(&m->set, argv, sock);
	close(sock);			/* the teller's now */
	if (i < 0)
		return i;
	m->started++;
	if (m->is_announced) {
		printf("teller %d started\n", (int)m->set.child[i].pid);
		fflush(stdout);
	}
	return 0;
}

/*
 * Start the games process on the games socket (which the master keeps:
 * a new one takes the same socket, the tellers' way to it unchanged).
 */
static int
serve_start_games(struct serve_master *m)
{
	const struct serve_opts *o = m->o;
	char fd[16], parent[16], body[24], tmo[24], plays[24], idle[24];
	char *argv[24];
	int n = 0, i;

	snprintf(fd, sizeof(fd), "%d", m->gfd);
	snprintf(parent, sizeof(parent), "%d", (int)getpid());
	snprintf(body, sizeof(body), "%" PRId64, o->max_body);
	snprintf(tmo, sizeof(tmo), "%" PRId64, o->timeout);
	snprintf(plays, sizeof(plays), "%" PRId64, o->max_plays);
	snprintf(idle, sizeof(idle), "%" PRId64, o->play_idle);
	argv[n++] = m->prog;
	argv[n++] = lab_unconst("games");
	argv[n++] = lab_unconst(o->name);
	argv[n++] = lab_unconst("--listen-fd");
	argv[n++] = fd;
	argv[n++] = lab_unconst("--parent");
	argv[n++] = parent;
	argv[n++] = lab_unconst("--max-body");
	argv[n++] = body;
	argv[n++] = lab_unconst("--timeout");
	argv[n++] = tmo;
	argv[n++] = lab_unconst("--max-plays");
	argv[n++] = plays;
	argv[n++] = lab_unconst("--play-idle");
	argv[n++] = idle;
	argv[n] = NULL;
	if ((i = spawn_start_fd(&m->set, argv, m->gfd)) < 0)
		return i;
	m->games_pid = m->set.child[i].pid;
	if (m->is_announced) {
		printf("games %d started\n", (int)m->games_pid);
		fflush(stdout);
	}
	return 0;
}

/* Report and forget every reaped teller; start new ones up to --tellers. */
static int
serve_supervise(struct serve_master *m)
{
	char how[64];
	unsigned i = 0;
	int r;

	while (i < m->set.n) {
		struct spawn_child *c = &m->set.child[i];

		if (!c->is_reaped) {
			i++;
			continue;
		}
		printf("%s %d %s: replaced\n", c->pid == m->games_pid ?
		    "games" : "teller", (int)c->pid,
		    spawn_describe(c, how, sizeof(how)));
		if (c->pid == m->games_pid)
			m->games_pid = 0;
		/* One that cannot even start (exit 2, 3) is not retried. */
		if (WIFEXITED(c->status) && WEXITSTATUS(c->status) != 0 &&
		    ++m->fast_deaths >= SERVE_FAST_DEATHS) {
			fprintf(stderr, "banklab serve: tellers keep failing "
			    "(%s): stopping\n", how);
			return -LAB_EWORKER;
		}
		m->replaced++;
		spawn_forget(&m->set, i);
	}
	fflush(stdout);
	if (m->games_pid == 0 && (r = serve_start_games(m)) < 0)
		return r;
	while (m->set.n < (unsigned)m->o->tellers + 1)	/* + games */
		if ((r = serve_start_teller(m)) < 0)
			return r;
	return 0;
}

static int
serve_tick(struct spawn_set *set, void *arg)
{
	struct serve_master *m = arg;

	(void)set;
	if (lab_signalled())
		return SERVE_STOP_SIGNAL;
	if ((m->err = serve_supervise(m)) < 0)
		return SERVE_STOP_ERROR;
	return 0;
}

/* Attach to the ledger, or make it; *made says which. */
static int
serve_ledger(const struct serve_opts *o, struct ledger *l, bool *made)
{
	struct ledger_config cfg;
	int r;

	*made = false;
	if ((r = sync_attach(o->name, l)) != -ENOENT)
		return r;
	memset(&cfg, 0, sizeof(cfg));
	cfg.naccounts = (uint32_t)o->accounts;
	cfg.balance = o->balance;
	cfg.sync = o->has_sync ? o->sync : SYNC_ORDERED;
	/* Ours, removed at exit; if we are killed, banklab list says stale. */
	cfg.is_private = true;
	if ((r = sync_create(o->name, &cfg, l)) == 0)
		*made = true;
	return r;
}

/* Supervise until a signal or an error; then stop every teller. */
static int
serve_run(struct serve_master *m)
{
	int r;

	for (;;) {
		r = spawn_wait(&m->set, SERVE_WAIT_MS, serve_tick, m);
		if (r == SERVE_STOP_SIGNAL) {
			r = 0;
			break;
		}
		if (r == SERVE_STOP_ERROR) {
			r = m->err;
			break;
		}
		if (r < 0 && r != -ETIMEDOUT)
			break;
		/* All reaped between two ticks, or the long wait ran out. */
		if ((r = serve_tick(&m->set, m)) != 0) {
			r = r == SERVE_STOP_SIGNAL ? 0 : m->err;
			break;
		}
	}
	spawn_kill(&m->set, SIGTERM);
	(void)spawn_wait(&m->set, SERVE_STOP_MS, NULL, NULL);
	return r;
}

/*
 * The page's folder into m->www ("" if none: the API only); -CLI_EUSAGE
 * (its line printed) if --www names none.
 */
static int
serve_page(struct serve_master *m)
{
	const char *given = m->o->www;
	int r;

	if ((r = serve_www_dir(given, m->www, sizeof(m->www))) == 0)
		return 0;
	m->www[0] = '\0';
	if (given != NULL) {
		fprintf(stderr, "banklab serve: --www %s: %s\n", given,
		    lab_strerror(r));
		return -CLI_EUSAGE;
	}
	fprintf(stderr, "banklab serve: no page (neither %s nor %s has "
	    "index.html): the API only\n", WWW_DIR, SRC_WWW_DIR);
	return 0;
}

/* Blocked from here on, and in the tellers: lab_signalled() looks. */
static void
serve_block_signals(void)
{
	sigset_t stop;

	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	lab_sigpipe_quiet();
}

/* The port's socket, and the games socket in its private folder. */
static int
serve_sockets(struct serve_master *m)
{
	int r = 0, probe;

	/*
	 * Nobody may listen there yet, another banklab serve included (port
	 * 0 is a new port anyway); then the socket the tellers' join.
	 */
	if (m->o->port != 0 &&
	    (r = serve_socket(m->o, false, false, &probe)) == 0)
		close(probe);
	if (r == 0)
		r = serve_socket(m->o, false, true, &m->lfd);
	if (r < 0) {
		fprintf(stderr, "banklab serve: --listen %s: %s\n",
		    m->o->listen, lab_strerror(r));
		return r;
	}
	if ((r = serve_games_socket(m->gdir, sizeof(m->gdir), m->gpath,
	    sizeof(m->gpath), &m->gfd)) < 0)
		fprintf(stderr, "banklab serve: the games socket: %s\n",
		    lab_strerror(r));
	return r;
}

/* The first line, for people and tests; then who was started. */
static void
serve_announce(struct serve_master *m)
{
	const struct serve_opts *o = m->o;
	unsigned i;

	printf("listening on http://%s%s%s:%u/\n",
	    o->family == AF_INET6 ? "[" : "", o->addr,
	    o->family == AF_INET6 ? "]" : "", (unsigned)o->port);
	for (i = 0; i < m->set.n; i++)
		printf("%s %d started\n", m->set.child[i].pid == m->games_pid ?
		    "games" : "teller", (int)m->set.child[i].pid);
	fflush(stdout);
	m->is_announced = true;
}

int
banklab_serve_main(int argc, char **argv)
{
	struct serve_opts o;
	struct serve_master m;
	struct cli_trace ct = { 0 };
	struct ledger l;
	bool made = false;
	char token[SERVE_TOKEN_MAX];
	int r;

	if ((r = serve_parse(argc, argv, false, &o)) < 0 ||
	    (r = serve_read_token(&o, token, sizeof(token))) < 0)
		return cli_exit_code(r);
	/* The tellers read it themselves: never on a command line. */
	explicit_bzero(token, sizeof(token));
	serve_block_signals();
	memset(&m, 0, sizeof(m));
	m.o = &o;
	m.lfd = -1;
	m.gfd = -1;
	spawn_init(&m.set);
	if ((r = spawn_worker_path(getenv("BANKLAB_WORKER"), m.prog,
	    sizeof(m.prog))) < 0) {
		fprintf(stderr, "banklab serve: the banklab program: %s\n",
		    lab_strerror(r));
		return LAB_EXIT_SYSTEM;
	}
	if (serve_page(&m) < 0)
		return LAB_EXIT_USAGE;
	if ((r = serve_ledger(&o, &l, &made)) < 0) {
		fprintf(stderr, "banklab serve: %s: %s\n", o.name,
		    lab_strerror(r));
		return lab_exit_code(r);
	}
	m.l = &l;
	if ((r = cli_trace_start("banklab serve", o.trace, "banklab serve",
	    &ct)) < 0)
		goto out;
	sync_trace(&l, cli_trace_writer(&ct));
	bank_trace_books(&l);
	if ((r = serve_sockets(&m)) < 0)
		goto out;
	/*
	 * Announced once the first tellers' sockets listen (each made here,
	 * before its teller starts): a client that connects at once waits in
	 * a queue, it is not refused.
	 */
	if ((r = serve_supervise(&m)) == 0) {
		serve_announce(&m);
		r = serve_run(&m);
	} else {
		fprintf(stderr, "banklab serve: starting a teller: %s\n",
		    lab_strerror(r));
	}
	printf("stopped: %u tellers started, %u replaced\n", m.started,
	    m.replaced);
out:
	spawn_free(&m.set);
	bank_trace_books(&l);		/* the tellers are gone: exact */
	sync_trace(&l, NULL);
	if (cli_trace_finish("banklab serve", &ct) < 0 && r >= 0)
		r = -EIO;
	if (m.lfd >= 0)
		close(m.lfd);
	if (m.gfd >= 0) {
		close(m.gfd);
		serve_games_unlink(m.gdir, m.gpath);
	}
	if (made)
		(void)ledger_unlink(o.name);
	ledger_detach(&l);
	return r < 0 ? lab_exit_code(r) : LAB_EXIT_OK;
}
