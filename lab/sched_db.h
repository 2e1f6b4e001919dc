/*
 * sched_db: a schedule run on PostgreSQL, in the manner of its isolation
 * tester (src/test/isolation/isolationtester.c).  Each process of the
 * schedule is a session: one connection of this process; a step sends the
 * statements of its operation (the SQL of db_ops.c) up to the step point
 * the permutation names, asynchronously (PQsendQueryParams).  A statement
 * that does not answer and that pg_isolation_test_session_is_blocked()
 * says waits for another session is shown `<waiting ...>` and the schedule
 * goes on; when the waits make a cycle (pg_blocking_pids()), the server's
 * deadlock detector breaks it (40P01) and the victim starts its operation
 * again.  KILL is pg_terminate_backend(): the server rolls back the
 * session's transaction.  The result is a struct sched_result, the same
 * timeline and verdict as a run in shared memory.
 *
 * Layer: schedules (above db).  One process; it makes a ledger (a schema
 * named sched-PID-N) for the run and drops it on every path.
 */
#ifndef LAB_SCHED_DB_H
#define LAB_SCHED_DB_H

#include "db.h"
#include "schedule.h"

/*
 * Run s on the server conninfo names ("" = libpq's defaults) under v:
 * follow perm (NULL: none), then run the sessions to their end, lowest
 * first.  r must be zeroed; free it with sched_result_free().  0 (the
 * verdict is in r), or a negative code with r->error saying why: -EINTR
 * when a SIGINT or SIGTERM came (blocked meanwhile, taken here).
 */
int sched_db_run(const char *conninfo, const struct sched_spec *s,
    enum db_sync v, const struct sched_perm *perm, struct sched_result *r);

#endif
