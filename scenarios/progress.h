/*
 * progress: the one-line progress indicator every program draws on stderr
 * during a long run: "[done/total] elapsed, time left  what", redrawn in
 * place with \r, and only when stderr is a terminal (nothing at all when
 * it is a file or a pipe, so logs and tests see no control characters).
 *
 * Contract: program side (the library reports progress through callbacks
 * in its configs and never prints).  One struct progress per run, used
 * by one thread; progress_end() clears the line before the program prints
 * its report.
 */
#ifndef SCENARIOS_PROGRESS_H
#define SCENARIOS_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct progress {
	bool is_on;		/* stderr is a terminal */
	bool is_drawn;		/* a line is on the screen */
	bool has_done;		/* a line with done > 0 was drawn */
	double t0;		/* progress_start() */
	double last;		/* the last draw */
};

/* Start the clock; on only if stderr is a terminal. */
void progress_start(struct progress *p);

/*
 * Redraw: done of total (total 0: unknown, no time left shown) and what
 * is running.  At most every PROGRESS_EVERY_S, but always the first
 * time done > 0 and at done == total; cut to the terminal's width, so
 * that \r finds the line's start.
 */
void progress_draw(struct progress *p, uint64_t done, uint64_t total,
    const char *what);

/* Clear the line (if one was drawn); the next output starts clean. */
void progress_end(struct progress *p);

#endif
