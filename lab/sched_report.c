/*
 * sched_report: a scheduled run as a timeline, one column per process, and
 * as JSON.
 */
#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"
#include "report.h"
#include "schedule.h"

#define SCHED_COL	28

/* One cell: what process e->proc did at this event. */
static void
sched_cell(const struct sched_event *e, char *buf, size_t len)
{
	char m[32];

	switch (e->kind) {
	case SCHED_EV_WAITING:
		if (e->waits == LEDGER_WAIT_SEM)
			snprintf(buf, len, "<waiting for the semaphore>");
		else
			snprintf(buf, len, "<waiting for #%" PRId64 ">",
			    e->waits);
		return;
	case SCHED_EV_KILLED:
		snprintf(buf, len, "KILLED (SIGKILL)");
		return;
	case SCHED_EV_DONE:
		snprintf(buf, len, "done");
		return;
	case SCHED_EV_DIED:
		snprintf(buf, len, "exited early");
		return;
	default:
		break;
	}
	switch (e->step) {
	case BANK_STEP_READ_FROM:
	case BANK_STEP_READ_TO:
	case BANK_STEP_WRITE_FROM:
	case BANK_STEP_WRITE_TO:
	case BANK_STEP_AUDIT_READ:
		snprintf(buf, len, "%s #%" PRId64 " = %s",
		    sched_step_name(e->step), e->acct,
		    report_money(e->value, m, sizeof(m)));
		return;
	case BANK_STEP_UNLOCK:
		snprintf(buf, len, "unlock");
		return;
	default:
		snprintf(buf, len, "%s #%" PRId64, sched_step_name(e->step),
		    e->acct);
		return;
	}
}

void
sched_timeline(FILE *f, const struct sched_spec *s,
    const struct sched_result *r)
{
	char head[64], cell[64];
	int i, k;

	fprintf(f, "  %4s  ", "#");
	for (k = 0; k < s->nprocs; k++) {
		snprintf(head, sizeof(head), "%s (pid %d)", s->proc[k].name,
		    (int)r->pid[k]);
		fprintf(f, "%-*s", SCHED_COL, head);
	}
	fputc('\n', f);
	for (i = 0; i < r->nev; i++) {
		const struct sched_event *e = &r->ev[i];

		fprintf(f, "  %4d  ", i + 1);
		sched_cell(e, cell, sizeof(cell));
		fprintf(f, "%*s%s\n", SCHED_COL * e->proc, "", cell);
	}
}
