/*
 * banklab_watch: `banklab watch NAME`, a live view of a ledger on a
 * terminal: what `banklab show` prints (report_show(): the total against
 * the books, the balances' range, the processes with what they hold and
 * wait for), redrawn in place every --interval, with the operations per
 * second between two frames.  q quits.
 *
 * The terminal is put in cbreak mode (no echo, a key at a time; Ctrl-C
 * still a signal) on the alternate screen, and given back on every way
 * out: q, end of input, SIGINT, SIGTERM, SIGHUP, SIGQUIT.  Those signals
 * are blocked except inside pselect(), so that one arriving between two
 * frames is seen at the next wait, never lost.  Plain ANSI escapes: the
 * few this needs are the same on every terminal left.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "banklab.h"
#include "cli.h"
#include "lab.h"
#include "ledger.h"
#include "report.h"
#include "sync.h"

/* The alternate screen without a cursor, and back. */
#define WATCH_ENTER	"\033[?1049h\033[?25l"
#define WATCH_LEAVE	"\033[?25h\033[?1049l"
#define WATCH_HOME	"\033[H"
#define WATCH_EOL	"\033[K"		/* clear to the end of line */
#define WATCH_EOS	"\033[J"		/* ... and of the screen */

static volatile sig_atomic_t watch_signal;

static void
watch_catch(int sig)
{
	watch_signal = sig;
}

static const int watch_sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT,
	SIGWINCH };

struct watch {
	struct ledger l;
	struct termios saved;
	bool is_raw;			/* saved is to be restored */
	sigset_t wait_mask;		/* the mask inside pselect() */
	sigset_t old_mask;
	uint64_t ops;			/* the books' count at the last frame */
	double at;			/* ... and when */
	bool has_rate;
	unsigned interval_ms;
};

/* cbreak on stdin (if it is a terminal), the alternate screen. */
static void
watch_enter(struct watch *w)
{
	struct termios t;

	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &w->saved) == 0) {
		t = w->saved;
		t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
		/* Ctrl-Z would stop us with the terminal still ours. */
		t.c_cc[VSUSP] = _POSIX_VDISABLE;
		w->is_raw = tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) == 0;
	}
	fputs(WATCH_ENTER, stdout);
	fflush(stdout);
}

static void
watch_leave(struct watch *w)
{
	fputs(WATCH_LEAVE, stdout);
	fflush(stdout);
	if (w->is_raw)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &w->saved);
	w->is_raw = false;
}

/* The signals that end (or redraw) the view: caught, blocked till waits. */
static void
watch_signals(struct watch *w)
{
	struct sigaction sa;
	sigset_t block;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = watch_catch;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	for (i = 0; i < sizeof(watch_sigs) / sizeof(*watch_sigs); i++) {
		sigaction(watch_sigs[i], &sa, NULL);
		sigaddset(&block, watch_sigs[i]);
	}
	sigprocmask(SIG_BLOCK, &block, &w->old_mask);
	w->wait_mask = w->old_mask;
	for (i = 0; i < sizeof(watch_sigs) / sizeof(*watch_sigs); i++)
		sigdelset(&w->wait_mask, watch_sigs[i]);
}

/* The first line: what this is, the rate, the time, how to quit. */
static void
watch_head(struct watch *w, FILE *f)
{
	struct ledger_counters b;
	char when[16];
	double now = lab_now_s();
	time_t t = time(NULL);
	struct tm tm;

	ledger_books(&w->l, &b);
	strftime(when, sizeof(when), "%H:%M:%S", localtime_r(&t, &tm));
	fprintf(f, "banklab watch %s  %s  every %.1f s, q to quit\n",
	    w->l.name, when, w->interval_ms / 1000.0);
	if (w->has_rate && now > w->at)
		fprintf(f, "  rate:      %.0f operations per second\n",
		    (double)(b.ops - w->ops) / (now - w->at));
	else
		fprintf(f, "  rate:      (measured from the next frame)\n");
	w->ops = b.ops;
	w->at = now;
	w->has_rate = true;
}

/* One frame: each line cut to the screen's width, as many as fit. */
static void
watch_draw(struct watch *w)
{
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };
	char *buf = NULL, *line, *save = NULL;
	unsigned rows = 0;
	size_t len = 0;
	FILE *f;

	if ((f = open_memstream(&buf, &len)) == NULL)
		return;
	watch_head(w, f);
	report_show(f, &w->l);	/* what `banklab show` prints */
	if (fclose(f) != 0 || buf == NULL)
		return;
	/* A pty nobody sized says 0 x 0: keep the classic 80 x 24. */
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0 || ws.ws_row == 0 ||
	    ws.ws_col == 0) {
		ws.ws_row = 24;
		ws.ws_col = 80;
	}
	fputs(WATCH_HOME, stdout);
	for (line = strtok_r(buf, "\n", &save); line != NULL &&
	    rows + 1 < ws.ws_row; line = strtok_r(NULL, "\n", &save), rows++)
		printf("%.*s" WATCH_EOL "\n", (int)ws.ws_col, line);
	fputs(WATCH_EOS, stdout);
	fflush(stdout);
	free(buf);
}

/* Wait up to the interval for a key or a signal: true to go on. */
static bool
watch_wait(struct watch *w, int *rc)
{
	struct timespec ts = { (time_t)(w->interval_ms / 1000),
	    (long)(w->interval_ms % 1000) * 1000000L };
	fd_set rd;
	char ch;
	int n;

	FD_ZERO(&rd);
	if (w->is_raw)
		FD_SET(STDIN_FILENO, &rd);
	n = pselect(w->is_raw ? STDIN_FILENO + 1 : 0, &rd, NULL, NULL, &ts,
	    &w->wait_mask);
	if (n < 0 && errno == EINTR && watch_signal == SIGWINCH) {
		watch_signal = 0;
		return true;		/* resized: redraw now */
	}
	if (n < 0) {
		*rc = errno == EINTR ? LAB_EXIT_INTERRUPTED : LAB_EXIT_SYSTEM;
		return false;
	}
	if (n > 0 && FD_ISSET(STDIN_FILENO, &rd)) {
		if (read(STDIN_FILENO, &ch, 1) != 1 || ch == 'q' || ch == 'Q') {
			*rc = LAB_EXIT_OK;	/* q, or the end of input */
			return false;
		}
	}
	return true;
}

int
banklab_cmd_watch(struct banklab_args *c)
{
	struct watch w;
	int r, rc = LAB_EXIT_OK;

	if (!isatty(STDOUT_FILENO)) {
		fprintf(stderr, "%s watch: stdout is not a terminal (banklab "
		    "show %s prints the same once)\n", PROG, c->name);
		return LAB_EXIT_USAGE;
	}
	memset(&w, 0, sizeof(w));
	w.interval_ms = (c->given & O_INTERVAL) ? (unsigned)c->interval :
	    1000;
	if ((r = sync_attach(c->name, &w.l)) < 0) {
		fprintf(stderr, "%s: %s: %s\n", PROG, c->name, r == -ENOENT ?
		    "no such ledger" : lab_strerror(r));
		return LAB_EXIT_SYSTEM;
	}
	watch_signals(&w);
	watch_enter(&w);
	do
		watch_draw(&w);
	while (watch_wait(&w, &rc));
	watch_leave(&w);
	sigprocmask(SIG_SETMASK, &w.old_mask, NULL);
	ledger_detach(&w.l);
	return rc;
}
