/*
 * repair: undo what a process that died holding a lock left half-done.
 *
 * Called by the process that just took account a's robust mutex and got
 * EOWNERDEAD, before it marks the mutex consistent.  The dead process's
 * slot lists a among its holds; its journal, if BEGUN, holds the
 * before-images of every account it was writing.  We restore a's image and
 * the dead slot's counters (both idempotent: the other account's repairer
 * may do the same), then unlist a.  The journal stays BEGUN until every
 * listed hold is repaired, so the other account's repairer still finds it;
 * the slot is then folded and freed.  Every index read from the dead slot
 * is checked: it is shared memory, anything may be there.
 */
#include <time.h>

#include "lab.h"
#include "sync_impl.h"

#define REPAIR_GONE_WAIT_MS	200

/*
 * Has slot i's owner gone?  The kernel hands a dead owner's robust mutexes
 * to the next locker while the process is still exiting (exit_mm), before
 * it closes the process's files (exit_files): the OFD lock that proves a
 * slot's owner alive can outlive it by a moment.  So wait a little for it
 * to go; a slot still alive after that is a live process's, and a live
 * process that lists a lock we hold has forged its slot.
 */
static bool
repair_owner_gone(const struct ledger *l, int i)
{
	struct timespec ms = { 0, 1000000 };
	int waited;

	for (waited = 0; waited < REPAIR_GONE_WAIT_MS; waited++) {
		if (!ledger_slot_alive(l, i))
			return true;
		nanosleep(&ms, NULL);
	}
	return false;
}

static void
repair_note(struct ledger *l, const struct ledger_slot *dead,
    const struct ledger_journal *j, uint32_t state, uint32_t a,
    int64_t found, int64_t restored)
{
	struct ledger_slot *me = sync_self(l);

	atomic_fetch_add(&me->repairs, 1);
	atomic_fetch_add(&l->hdr->repairs, 1);
	/* Keep, as the example, the first repair that changed a balance. */
	if (me->repair.seen && (me->repair.found != me->repair.restored ||
	    found == restored))
		return;
	me->repair.seen = 1;
	me->repair.op = j->op;
	me->repair.dead_pid = atomic_load(&dead->pid);
	me->repair.acct = a;
	me->repair.amount = j->amount;
	me->repair.found = found;
	me->repair.restored = restored;
	me->repair.journal = state;
}

static void
repair_slot(struct ledger *l, int i, uint32_t a)
{
	struct ledger_slot *dead = &l->slots[i];
	struct ledger_journal *j = &dead->journal;
	struct ledger_account *acct = &l->acct[a];
	int64_t found = atomic_load_explicit(&acct->balance,
	    memory_order_relaxed);
	int64_t restored = found;
	uint32_t state, k, n;
	int h;

	state = atomic_load_explicit(&j->state, memory_order_acquire);
	n = j->n;
	if (state == LEDGER_J_BEGUN && n >= 1 && n <= 2) {
		for (k = 0; k < n; k++) {
			if (j->acct[k] != a)
				continue;
			if (j->before[k] < 0 || j->before[k] > LEDGER_BALANCE_MAX)
				continue;	/* a forged image: leave it */
			restored = j->before[k];
			atomic_store_explicit(&acct->balance, restored,
			    memory_order_relaxed);
			atomic_store_explicit(&acct->version,
			    (uint32_t)j->vbefore[k], memory_order_relaxed);
		}
		dead->counters = j->cbefore;
	}
	repair_note(l, dead, j, state, a, found, restored);
	for (h = 0; h < 2; h++) {
		int64_t want = a;

		atomic_compare_exchange_strong(&dead->holds[h], &want,
		    LEDGER_NONE);
	}
	ledger_reap_slot(l, i);
}

void
repair_account(struct ledger *l, uint32_t a)
{
	uint32_t i;

	for (i = 0; i < l->nslots; i++) {
		struct ledger_slot *s = &l->slots[i];

		if ((int)i == l->slot ||
		    atomic_load(&s->state) == LEDGER_SLOT_FREE)
			continue;
		if (atomic_load(&s->holds[0]) != a &&
		    atomic_load(&s->holds[1]) != a)
			continue;
		if (!repair_owner_gone(l, (int)i))
			continue;
		repair_slot(l, (int)i, a);
	}
}
