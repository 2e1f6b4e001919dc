/*
 * plot: figures drawn by gnuplot through a pipe (plot.h).
 *
 * gnuplot gets the whole script, data included, on its stdin, and its
 * stdout is the output file, opened here: no file name and no text from
 * outside ever goes into a script (nothing to quote), and no temporary
 * file is made.  Its stderr comes back through a second pipe, so that a
 * failure is one line, gnuplot's last.  lab/ never runs it: the library
 * execs only its own workers (spawn.h), and which plotting program runs
 * on whose PATH is a program's business.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "lab.h"
#include "plot.h"
#include "report.h"

#define PLOT_SAMPLES	4000	/* points in a storm's series, at most */
#define PLOT_WAIT_MS	60000	/* gnuplot still drawing after this: killed */
#define PLOT_ERR_KEEP	1024	/* the tail of gnuplot's stderr we keep */

/* The terminal for each format: the same size, white, sans. */
static const char *const plot_term[] = {
	[PLOT_SVG] = "svg size 1280,560 dynamic font \"sans,12\" "
	    "background rgb \"white\"",
	[PLOT_PNG] = "pngcairo size 1280,560 font \"sans,10\" "
	    "background rgb \"white\"",
};

static const char *const plot_ext[] = { [PLOT_SVG] = ".svg",
	[PLOT_PNG] = ".png" };

int
plot_format(const char *prog, const char *path, enum plot_format *f)
{
	const char *dot = strrchr(path, '.');
	unsigned i;

	for (i = 0; dot != NULL && i < sizeof(plot_ext) / sizeof(*plot_ext);
	    i++)
		if (strcasecmp(dot, plot_ext[i]) == 0) {
			*f = (enum plot_format)i;
			return 0;
		}
	fprintf(stderr, "%s: --plot: \"%s\": the name must end in .svg or "
	    ".png (the format)\n", prog, path);
	return -CLI_EUSAGE;
}

bool
plot_has_gnuplot(void)
{
	char dflt[1024], path[4200];
	const char *s = getenv("PATH");
	struct stat st;
	size_t n;

	if (s == NULL) {	/* what execvp() then searches */
		if (confstr(_CS_PATH, dflt, sizeof(dflt)) == 0)
			return false;
		s = dflt;
	}
	for (;;) {
		/* An empty entry is the current directory, as for execvp. */
		n = strcspn(s, ":");
		snprintf(path, sizeof(path), "%.*s/gnuplot", n ? (int)n : 1,
		    n ? s : ".");
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(path, X_OK) == 0)
			return true;
		if (s[n] == '\0')
			return false;
		s += n + 1;
	}
}

int
plot_open(struct plot *p, const char *prog, const char *path)
{
	struct stat st;
	int r;

	p->prog = prog;
	p->path = path;
	p->fd = -1;
	if ((r = plot_format(prog, path, &p->format)) < 0)
		return r;
	if (!plot_has_gnuplot()) {
		fprintf(stderr, "%s: --plot: no gnuplot on PATH (Debian: "
		    "apt-get install gnuplot-nox)\n", prog);
		return -ENOENT;
	}
	/* O_NONBLOCK: a FIFO by that name must not hang us here. */
	if ((p->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOCTTY | O_NONBLOCK, 0644)) < 0 || fstat(p->fd, &st) < 0 ||
	    !S_ISREG(st.st_mode)) {
		r = p->fd < 0 ? -errno : -EINVAL;
		fprintf(stderr, "%s: --plot: %s: %s\n", prog, path,
		    r == -EINVAL ? "not a regular file" : strerror(-r));
		if (p->fd >= 0)
			close(p->fd);
		p->fd = -1;
		return r;
	}
	/* A gnuplot that dies mid-script makes our write fail, not kill us. */
	lab_sigpipe_quiet();
	return 0;
}

void
plot_abandon(struct plot *p)
{
	if (p->fd < 0)
		return;
	close(p->fd);
	unlink(p->path);
	p->fd = -1;
}

/* ------------------------------------------------------------ the pipe */

/* Keep the tail of what gnuplot says: its last line is the reason. */
static void
plot_keep(char *err, size_t *elen, const char *buf, size_t n)
{
	if (n >= PLOT_ERR_KEEP) {
		buf += n - PLOT_ERR_KEEP;
		n = PLOT_ERR_KEEP;
	}
	if (*elen + n > PLOT_ERR_KEEP) {
		memmove(err, err + (*elen + n - PLOT_ERR_KEEP),
		    PLOT_ERR_KEEP - n);
		*elen = PLOT_ERR_KEEP - n;
	}
	memcpy(err + *elen, buf, n);
	*elen += n;
	err[*elen] = '\0';
}

/* gnuplot's last non-empty line, its control characters made '?'. */
static const char *
plot_last_line(char *err)
{
	char *end = err + strlen(err), *p;

	while (end > err && (end[-1] == '\n' || end[-1] == ' ' ||
	    end[-1] == '\r'))
		*--end = '\0';
	for (p = end; p > err && p[-1] != '\n'; p--)
		;
	while (*p == ' ' || *p == '\t')
		p++;
	for (end = p; *end != '\0'; end++)
		if ((unsigned char)*end < ' ')
			*end = '?';
	return *p != '\0' ? p : "(it said nothing)";
}

/*
 * Write script to gnuplot's stdin while reading its stderr, until it
 * closes that (it has exited) or the time is up.  Both at once: a
 * gnuplot that complains at length must not block us while we write.
 */
static bool
plot_talk(int wfd, int rfd, const char *script, size_t len, char *err,
    size_t *elen)
{
	uint64_t deadline = lab_now_ms() + PLOT_WAIT_MS;
	struct pollfd pf[2];
	char buf[512];
	size_t at = 0;
	ssize_t k;

	fcntl(wfd, F_SETFL, O_NONBLOCK);
	while (rfd >= 0) {
		if (wfd >= 0 && at == len) {
			close(wfd);	/* end of script: gnuplot draws */
			wfd = -1;
		}
		pf[0] = (struct pollfd){ wfd, POLLOUT, 0 };
		pf[1] = (struct pollfd){ rfd, POLLIN, 0 };
		if (lab_now_ms() >= deadline || poll(pf, 2,
		    (int)(deadline - lab_now_ms())) == 0)
			break;
		if (wfd >= 0 && pf[0].revents != 0) {
			if ((k = write(wfd, script + at, len - at)) > 0)
				at += (size_t)k;
			else if (k < 0 && errno != EAGAIN && errno != EINTR)
				at = len;	/* it has gone: its exit says */
		}
		if (pf[1].revents == 0)
			continue;
		if ((k = read(rfd, buf, sizeof(buf))) > 0)
			plot_keep(err, elen, buf, (size_t)k);
		else if (k == 0 || errno != EINTR)
			rfd = -1;
	}
	if (wfd >= 0)
		close(wfd);
	return rfd < 0;
}

/* Run gnuplot on script, its stdout our file.  0, or -EIO (line said). */
static int
plot_pipe(struct plot *p, const char *script, size_t len)
{
	char err[PLOT_ERR_KEEP + 1] = "";
	int in[2], er[2], status = 0;
	bool is_done;
	size_t elen = 0;
	struct stat st;
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(er, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return -errno;
	}
	fflush(NULL);
	if ((pid = fork()) == 0) {
		/* dup2 clears close-on-exec on 0, 1 and 2 only. */
		if (dup2(in[0], 0) == 0 && dup2(p->fd, 1) == 1 &&
		    dup2(er[1], 2) == 2)
			execlp("gnuplot", "gnuplot", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(er[1]);
	if (pid < 0) {
		close(in[1]);
		close(er[0]);
		return -EAGAIN;
	}
	is_done = plot_talk(in[1], er[0], script, len, err, &elen);
	close(er[0]);
	if (!is_done)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!is_done)
		fprintf(stderr, "%s: gnuplot did not finish in %d s\n",
		    p->prog, PLOT_WAIT_MS / 1000);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		fprintf(stderr, "%s: gnuplot: cannot be run: %s\n", p->prog,
		    plot_last_line(err));
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fprintf(stderr, "%s: gnuplot failed (%s %d): %s\n", p->prog,
		    WIFEXITED(status) ? "exit" : "signal", WIFEXITED(status) ?
		    WEXITSTATUS(status) : WTERMSIG(status),
		    plot_last_line(err));
	else if (fstat(p->fd, &st) == 0 && st.st_size == 0)
		fprintf(stderr, "%s: gnuplot wrote nothing: %s\n", p->prog,
		    plot_last_line(err));
	else
		return 0;
	return -EIO;
}

/* Pipe the script f holds, then close FILE (removed if it failed). */
static int
plot_run(struct plot *p, FILE *f, char **buf, size_t *len)
{
	int r;

	if (fclose(f) != 0 || *buf == NULL) {
		fprintf(stderr, "%s: --plot: out of memory\n", p->prog);
		r = -ENOMEM;
	} else if ((r = plot_pipe(p, *buf, *len)) == -EIO) {
		;	/* said */
	} else if (r < 0) {
		fprintf(stderr, "%s: --plot: cannot start gnuplot: %s\n",
		    p->prog, strerror(-r));
	}
	free(*buf);
	*buf = NULL;
	if (r < 0)
		plot_abandon(p);	/* no half-drawn file is left */
	else if (close(p->fd) < 0) {
		r = -errno;
		fprintf(stderr, "%s: --plot: %s: %s\n", p->prog, p->path,
		    strerror(-r));
	}
	p->fd = -1;
	return r;
}

/* A script in memory (NULL: out of memory, said, FILE removed). */
static FILE *
plot_script_open(struct plot *p, char **buf, size_t *len)
{
	FILE *f = open_memstream(buf, len);

	if (f == NULL) {
		fprintf(stderr, "%s: --plot: out of memory\n", p->prog);
		plot_abandon(p);
	}
	return f;
}

/* ------------------------------------------------------------ the bench */

/*
 * One panel per account count: M ops/s (median) against processes, a
 * line per kind, the variants solid and the bare primitives dashed, both
 * axes logarithmic.  The data are one datablock per panel, a column per
 * kind, its name the header (NaN where a cell did not run).
 */
static void
plot_bench_script(FILE *f, enum plot_format fmt,
    const struct bench_config *c, const struct bench_result *r)
{
	enum bench_kind kinds[BENCH_KIND_COUNT];
	const struct bench_cell *cell;
	unsigned a, i, k, nk = 0, nvar = 0, pmin = ~0u, pmax = 0;

	for (k = 0; k < BENCH_KIND_COUNT; k++)
		if (c->kinds[k]) {
			kinds[nk++] = (enum bench_kind)k;
			nvar += bench_is_variant((enum bench_kind)k);
		}
	fprintf(f, "set terminal %s\n", plot_term[fmt]);
	for (a = 0; a < c->naccounts; a++) {
		fprintf(f, "$accounts%u << EOD\nprocs", a);
		for (k = 0; k < nk; k++)
			fprintf(f, " %s", bench_kind_name(kinds[k]));
		for (i = 0; i < c->nprocs; i++) {
			fprintf(f, "\n%u", c->procs[i]);
			for (k = 0; k < nk; k++) {
				cell = bench_find(r, kinds[k], c->procs[i],
				    c->accounts[a]);
				if (cell != NULL && cell->has_run)
					fprintf(f, " %.4g", cell->mops.median);
				else
					fputs(" NaN", f);
			}
		}
		fprintf(f, "\nEOD\n");
	}
	for (i = 0; i < c->nprocs; i++) {
		pmin = c->procs[i] < pmin ? c->procs[i] : pmin;
		pmax = c->procs[i] > pmax ? c->procs[i] : pmax;
	}
	fprintf(f, "set multiplot layout 1,%u title \"banklab-bench: "
	    "operations per second against processes (seed %" PRIu64
	    ", median of %u run%s%s; variants solid, bare primitives "
	    "dashed)\" noenhanced\n", c->naccounts, c->seed, c->repeat,
	    c->repeat == 1 ? "" : "s",
	    c->is_quick ? ", --quick" : "");
	fprintf(f, "set logscale xy\nset xrange [%g:%g]\nset xtics (",
	    pmin / 1.25, pmax * 1.25);
	for (i = 0; i < c->nprocs; i++)
		fprintf(f, "%s%u", i ? ", " : "", c->procs[i]);
	fprintf(f, ")\nset xlabel \"processes\"\nset ylabel \"million "
	    "operations per second\"\nset grid\nset key noenhanced\n");
	for (a = 0; a < c->naccounts; a++) {
		/* One key, on the last panel, for all: the colours agree. */
		fprintf(f, "set title \"%" PRIu32 " accounts\"\n%s\n",
		    c->accounts[a], a + 1 < c->naccounts ? "unset key" :
		    "set key outside right top font \",9\"");
		fprintf(f, "plot for [i=2:%u] $accounts%u using 1:i with "
		    "linespoints lw 2 lc i-1 pt i-1 dt 1+(i>%u) "
		    "title columnheader(i)\n", nk + 1, a, nvar + 1);
	}
	fprintf(f, "unset multiplot\n");
}

int
plot_bench(struct plot *p, const struct bench_config *c,
    const struct bench_result *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if ((f = plot_script_open(p, &buf, &len)) == NULL)
		return -ENOMEM;
	plot_bench_script(f, p->format, c, r);
	return plot_run(p, f, &buf, &len);
}

/* ------------------------------------------------------------ the storm */

void
plot_series_add(struct plot_series *ps, const struct storm_sample *s)
{
	struct storm_sample *more;
	size_t i, cap;

	ps->last = *s;
	ps->has_last = true;
	if (ps->every == 0)
		ps->every = 1;
	if (ps->seen++ % ps->every != 0)
		return;
	if (ps->n == PLOT_SAMPLES) {
		/* Full: keep every other one, and take half as many. */
		for (i = 0; i < ps->n / 2; i++)
			ps->s[i] = ps->s[2 * i];
		ps->n /= 2;
		ps->every *= 2;
	}
	if (ps->n == ps->cap) {
		cap = ps->cap ? 2 * ps->cap : 256;
		if ((more = realloc(ps->s, cap * sizeof(*more))) == NULL) {
			ps->is_short = true;
			return;
		}
		ps->s = more;
		ps->cap = cap;
	}
	ps->s[ps->n++] = *s;
}

void
plot_series_free(struct plot_series *ps)
{
	free(ps->s);
	memset(ps, 0, sizeof(*ps));
}

static void
plot_storm_row(FILE *f, const struct storm_sample *s)
{
	char t[32], b[32];

	fprintf(f, "%.3f %s %s %" PRIu64 " %" PRIu64 "\n", s->t_s,
	    report_money(s->total, t, sizeof(t)),
	    report_money(s->books, b, sizeof(b)), s->kills, s->repair_kills);
}

/*
 * Two panels over the storm's seconds: the total (the balances summed
 * unlocked, as an observer sees them mid-transfer) against the books,
 * and the kills so far.  The last sample is the end, after the repairs.
 */
static void
plot_storm_script(FILE *f, enum plot_format fmt,
    const struct storm_config *c, const struct storm_result *r,
    const struct plot_series *ps)
{
	size_t i;

	fprintf(f, "set terminal %s\n$storm << EOD\n", plot_term[fmt]);
	for (i = 0; i < ps->n; i++)
		plot_storm_row(f, &ps->s[i]);
	if (ps->has_last && (ps->n == 0 ||
	    ps->s[ps->n - 1].t_s != ps->last.t_s))
		plot_storm_row(f, &ps->last);
	fprintf(f, "EOD\nset multiplot layout 2,1 title \"banklab-storm: "
	    "%u workers on %" PRIu32 " accounts, %s, seed %" PRIu64 ": %s"
	    "%s\" noenhanced\n", c->workers, c->accounts,
	    ledger_sync_name(c->sync), c->seed, r->is_ok ? "no cent lost" :
	    r->interrupted ? "interrupted" : "FAILED",
	    ps->is_short ? " (out of memory: some samples missing)" : "");
	fprintf(f, "set xlabel \"seconds\"\nset grid\nset key noenhanced "
	    "top left\nset format y \"%%.2f\"\n"
	    "set title \"money: the total (balances read unlocked) "
	    "against the books\"\nset ylabel \"money\"\n"
	    "plot $storm using 1:2 with lines lw 2 title \"total\", "
	    "$storm using 1:3 with lines lw 2 dt 2 title \"books\"\n"
	    "set format y \"%%g\"\nset title \"processes killed\"\n"
	    "set ylabel \"kills\"\n"
	    "plot $storm using 1:4 with steps lw 2 title \"SIGKILLed by "
	    "the storm\", $storm using 1:5 with steps lw 2 title \"died "
	    "in the middle of a repair\"\nunset multiplot\n");
}

int
plot_storm(struct plot *p, const struct storm_config *c,
    const struct storm_result *r, const struct plot_series *ps)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if ((f = plot_script_open(p, &buf, &len)) == NULL)
		return -ENOMEM;
	plot_storm_script(f, p->format, c, r, ps);
	return plot_run(p, f, &buf, &len);
}
