/*
 * Exercise 1: the `semaphore` variant's lock.
 *
 * The task.  One process-shared POSIX semaphore, l->hdr->sem (initial
 * value 1), guards the whole ledger: ex_sem_lock() takes it, and
 * ex_sem_unlock() gives it back.  The kernel knows no owner of a
 * semaphore: if its holder dies, it is never posted again and everyone
 * waits forever.  So:
 *   - publish yourself as the holder once you have it
 *     (atomic_store(&l->hdr->sem_holder, l->slot)), and unpublish (-1)
 *     before you post;
 *   - never wait without a deadline: wait in slices (sync_slice(l, start)
 *     gives the next slice's length in ms, 0 once l->lock_timeout_ms is
 *     spent; sync_deadline() makes the absolute time sem_timedwait wants);
 *   - after each slice, if the published holder's slot is not alive
 *     (!ledger_slot_alive(l, holder)), set l->blocker_pid to its pid and
 *     return -LAB_EHOLDERDEAD;
 *   - when the time is spent, return sync_wait_failed(l, holder);
 *   - while you wait, publish it (l->slots[l->slot].waits =
 *     LEDGER_WAIT_SEM; LEDGER_NONE when done) so a watchdog can see you.
 * Until you write it, this "lock" locks nothing: run banklab-race
 * --sync semaphore and watch updates get lost; banklab-crash --sync
 * semaphore will not notice the dead holder.  Grade: make grade.
 */
#include <errno.h>

#include "exercise.h"
#include "lab.h"

int
ex_sem_lock(struct ledger *l)
{
	/* TODO: take l->hdr->sem with timed waits; detect a dead holder. */
	(void)l;
	return 0;
}

void
ex_sem_unlock(struct ledger *l)
{
	/* TODO: unpublish the holder, then post the semaphore. */
	(void)l;
}
