/*
 * trace_json: the trace files of one run (trace.h), one per process,
 * merged into one Chrome trace-event JSON file: the format Perfetto's UI
 * (https://ui.perfetto.dev) and chrome://tracing open.  Layer: reports.
 *
 * Contract: trace_json_merge() reads every DIR/ *.trace and trusts nothing
 * in them (a writer may have died half-way, or anything may have written
 * there): each header is checked, counts are bounded by the file's size,
 * records of unknown kinds are skipped, and slices a killed process left
 * open are closed at its last record.  It writes to out, then removes the
 * files and DIR.  What the file holds:
 *  - a track per process, named by its role and pid (M events);
 *  - its operations, lock waits and lock holds as X slices, nested;
 *  - instants for step points, lost updates, repairs, kills and deadlocks;
 *  - counter tracks (C): the balances' sum against the books, lost updates;
 *  - flows (s, f) from a lock's release to its next holder elsewhere;
 *  - one clock, CLOCK_MONOTONIC, in microseconds (to the nanosecond).
 */
#ifndef LAB_TRACE_JSON_H
#define LAB_TRACE_JSON_H

#include <stdint.h>
#include <stdio.h>

/* Events written at most: a browser opens what this makes (~250 MB). */
#define TRACE_JSON_EVENTS_MAX	2000000u

struct trace_json_stats {
	unsigned processes;	/* tracks */
	uint64_t events;	/* written */
	uint64_t dropped;	/* records writers or the cap left out */
	unsigned bad_files;	/* files that were not traces: skipped */
};

/* 0, or -errno (reading DIR, writing out); st filled either way. */
int trace_json_merge(const char *dir, FILE *out,
    struct trace_json_stats *st);

#endif
