/*
 * progress: the progress line on a terminal's stderr (progress.h).
 */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "lab.h"
#include "progress.h"

#define PROGRESS_EVERY_S	0.1	/* a redraw at most this often */
#define PROGRESS_WIDTH		80	/* if the terminal does not say */

void
progress_start(struct progress *p)
{
	memset(p, 0, sizeof(*p));
	p->is_on = isatty(STDERR_FILENO) == 1;
	p->t0 = lab_now_s();
}

/* "12 s", "3 min 20 s", "2 h 5 min": time left is a guess, so coarse. */
static void
progress_time(double s, char *buf, size_t len)
{
	unsigned long u = (unsigned long)(s + 0.5);

	if (s < 10)
		snprintf(buf, len, "%.1f s", s);
	else if (u < 60)
		snprintf(buf, len, "%lu s", u);
	else if (u < 3600)
		snprintf(buf, len, "%lu min %lu s", u / 60, u % 60);
	else
		snprintf(buf, len, "%lu h %lu min", u / 3600, u / 60 % 60);
}

static size_t
progress_width(void)
{
	struct winsize w;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_col > 1)
		return w.ws_col;
	return PROGRESS_WIDTH;
}

void
progress_draw(struct progress *p, uint64_t done, uint64_t total,
    const char *what)
{
	char line[512], el[32], left[32];
	double now = lab_now_s(), spent = now - p->t0;
	size_t width = progress_width(), n;

	/* The first estimate of the time left is shown at once, and so is
	 * the end; in between, a redraw at most every PROGRESS_EVERY_S. */
	if (!p->is_on || (p->is_drawn && now - p->last < PROGRESS_EVERY_S &&
	    done != total && (p->has_done || done == 0)))
		return;
	p->has_done = done > 0;
	progress_time(spent, el, sizeof(el));
	if (total == 0)
		n = (size_t)snprintf(line, sizeof(line), "[%llu] %s",
		    (unsigned long long)done, el);
	else if (done == 0 || done > total)
		n = (size_t)snprintf(line, sizeof(line), "[%llu/%llu] %s",
		    (unsigned long long)done, (unsigned long long)total, el);
	else {
		/* As fast as so far: a guess, as the word "about" says. */
		progress_time(spent * (double)(total - done) / (double)done,
		    left, sizeof(left));
		n = (size_t)snprintf(line, sizeof(line), "[%llu/%llu] %s, "
		    "about %s left", (unsigned long long)done,
		    (unsigned long long)total, el, left);
	}
	if (what != NULL && what[0] != '\0' && n < sizeof(line))
		snprintf(line + n, sizeof(line) - n, "  %s", what);
	/* A line that wraps would make \r redraw only its last row. */
	if (strlen(line) >= width)
		line[width - 1] = '\0';
	fprintf(stderr, "\r%s\033[K", line);
	fflush(stderr);
	p->is_drawn = true;
	p->last = now;
}

void
progress_end(struct progress *p)
{
	if (!p->is_drawn)
		return;
	fprintf(stderr, "\r\033[K");
	fflush(stderr);
	p->is_drawn = false;
}
