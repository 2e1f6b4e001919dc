/*
 * serve_events: a teller's GET /v1/events, Server-Sent Events.  Each
 * stream gets a summary of the ledger about ten times a second (totals,
 * operations done, the variant); the first 64 balances ("accounts") and
 * processes ("processes", as GET /v1/processes) whenever they changed;
 * and one event per anomaly seen since the last: lost updates counted, a
 * repair of a dead owner's lock, a dead process still holding a lock, a
 * wait-for cycle (deadlock).  The page (scenarios/www/) lives on these.
 *
 * Contract: the teller's MHD thread (one, polling) starts streams and
 * runs their content readers; a stream with nothing to say is suspended
 * (a reader may not return 0 bytes from a polling thread: it would spin),
 * and the teller's main thread resumes them all with serve_events_tick()
 * about every 100 ms.  serve_events_stop() ends every stream and resumes
 * them, before MHD_stop_daemon().  The ledger is read as an observer.
 */
#ifndef SCENARIOS_SERVE_EVENTS_H
#define SCENARIOS_SERVE_EVENTS_H

#include <microhttpd.h>

#include "ledger.h"

#define SERVE_EVENTS_TICK_MS	100

struct serve_events;

/* At most max streams at once (a teller's connection limit). */
struct serve_events *serve_events_new(const struct ledger *l, unsigned max,
    const char *teller_pid);

/* GET /v1/events on c: queue the stream's response (503 if full). */
enum MHD_Result serve_events_start(struct serve_events *ev,
    struct MHD_Connection *c);

/* The main thread, every SERVE_EVENTS_TICK_MS: resume waiting streams. */
void serve_events_tick(struct serve_events *ev);

/* End every stream (their readers say end of stream), resume them. */
void serve_events_stop(struct serve_events *ev);

/* After MHD_stop_daemon(). */
void serve_events_free(struct serve_events *ev);

#endif
