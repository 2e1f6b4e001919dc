/*
 * bench_impl: what the files of the benchmark share inside the library
 * (bench.c, bench_run.c, bench_child.c, bench_report.c).  Not for
 * programs: they see bench.h.  Layer: lessons, as bench.
 */
#ifndef LAB_BENCH_IMPL_H
#define LAB_BENCH_IMPL_H

#include <stdbool.h>

#include "bench.h"

#define BENCH_GATE_MS	10000	/* children wait this long at the gate */
#define BENCH_WAIT_MS	600000	/* a run still going after this is killed */
#define BENCH_PROBE_OPS	1000	/* first probe's ops per process */
#define BENCH_OPS_MIN	1000
#define BENCH_OPS_MAX	(UINT64_C(1) << 32)
#define BENCH_PAGE	4096
#define BENCH_WARM_OPS	256	/* untimed ops before the gate */
#define BENCH_GOAL_BASE		0.8	/* a variant vs its bare primitive */
#define BENCH_GOAL_SCALE	0.85	/* ordered, 2 processes vs 1 */
#define BENCH_GOAL_COLLAPSE	0.5	/* semaphore, 2 processes vs 1 */
#define BENCH_GOAL_ACCOUNTS	1000u
#define BENCH_SKEW_FLAG	0.05	/* flag a row whose starts spread more */

/* What one op of a bare kind is, for the report ("" for a variant). */
const char *bench_about(enum bench_kind k);

/* Scale and the ratios to the anchors, once every cell has run. */
void bench_derive(const struct bench_config *c, struct bench_result *r);

/* Is money lost by kind k a bug (not the lesson of an unlocked kind)? */
bool bench_should_keep(enum bench_kind k);

#endif
