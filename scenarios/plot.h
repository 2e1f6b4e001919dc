/*
 * plot: a program's figures drawn by gnuplot, through a pipe.  The
 * program makes the data, this writes a gnuplot script with the data
 * inline (datablocks: no temporary files) and pipes it into `gnuplot`
 * (found on PATH; fork and exec, no shell), whose stdout is the output
 * file: SVG or PNG, by the file's extension.  banklab-bench plots its
 * table, banklab-storm its time series (both through this module).
 *
 * Contract: program side; it prints one line for every failure (as cli.h
 * does) and returns 0 or a negative code: -CLI_EUSAGE for a FILE that is
 * neither .svg nor .png, else a system code (exit 3): no gnuplot on PATH,
 * FILE cannot be created, gnuplot failed.  plot_open() comes before the
 * long run, so that none of these is found after it; a failed or
 * abandoned plot removes its FILE.
 */
#ifndef SCENARIOS_PLOT_H
#define SCENARIOS_PLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "bench.h"
#include "storm.h"

enum plot_format { PLOT_SVG, PLOT_PNG };

struct plot {
	const char *prog;		/* for its lines */
	const char *path;		/* the output FILE */
	enum plot_format format;
	int fd;				/* FILE, open; -1 when closed */
};

/* The format of path by its extension; -CLI_EUSAGE (line said) if none. */
int plot_format(const char *prog, const char *path, enum plot_format *f);

/* Is `gnuplot` an executable file in a directory of $PATH? */
bool plot_has_gnuplot(void);

/* Before the run: the format, gnuplot on PATH, FILE created. */
int plot_open(struct plot *p, const char *prog, const char *path);

/* The run did not finish: close and remove FILE. */
void plot_abandon(struct plot *p);

/* The storm's figures over time, as banklab-storm records them. */
struct plot_series {
	struct storm_sample *s;
	size_t n, cap;
	unsigned every;			/* keep one tick in every */
	unsigned long seen;		/* ticks offered */
	struct storm_sample last;	/* the latest, kept or not */
	bool has_last;
	bool is_short;			/* out of memory: the plot is partial */
};

/* Keep sample s (fewer as the storm runs long: at most PLOT_SAMPLES). */
void plot_series_add(struct plot_series *ps, const struct storm_sample *s);
void plot_series_free(struct plot_series *ps);

/* Draw and close: the bench's table, the storm's series.  0 or < 0. */
int plot_bench(struct plot *p, const struct bench_config *c,
    const struct bench_result *r);
int plot_storm(struct plot *p, const struct storm_config *c,
    const struct storm_result *r, const struct plot_series *ps);

#endif
