/*
 * repair: what the repair of a dead owner's half-done operation stands on
 * (the repair itself is exercise 3: ex_owner_died(), in repair.c of
 * solutions/ or lab/exercises/).
 *
 * The process that took account a's robust mutex with EOWNERDEAD finds the
 * dead process's slot (it lists a among its holds) and, after restoring
 * a, unlists a.  The journal stays BEGUN until every listed hold is
 * repaired, so the other account's repairer still finds it; then the slot
 * is freed.  Every index read from the dead slot is checked: it is shared
 * memory, anything may be there.
 */
#include "event.h"
#include "exercise.h"
#include "lab.h"
#include "step.h"
#include "sync_impl.h"

static void
repair_note(struct ledger *l, const struct ledger_slot *dead, uint32_t a,
    int64_t found, int64_t restored)
{
	const struct ledger_journal *j = &dead->journal;
	struct ledger_slot *me = sync_self(l);

	atomic_fetch_add(&me->repairs, 1);
	atomic_fetch_add(&l->hdr->repairs, 1);
	event_post(l, EVENT_REPAIR, atomic_load(&dead->pid), a, found,
	    restored);
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
	me->repair.journal = atomic_load(&j->state);
}

void
repair_done(struct ledger *l, int i, uint32_t a, int64_t found,
    int64_t restored)
{
	struct ledger_slot *dead;
	int h;

	if (i < 0 || (uint32_t)i >= l->nslots || !ledger_index_ok(l, a))
		return;
	dead = &l->slots[i];
	if (l->trace != NULL)
		trace_put(l->trace, TRACE_REPAIR, 0, atomic_load(&dead->pid),
		    a, found, restored);
	/*
	 * The account is restored, the dead slot still lists it and the
	 * mutex is not yet consistent: a repairer killed here leaves the
	 * next locker EOWNERDEAD and the same journal, so it repairs again
	 * (a restore is idempotent).  Schedules and kill storms die here.
	 */
	step_point(l, STEP_REPAIR, a, restored);
	repair_note(l, dead, a, found, restored);
	for (h = 0; h < 2; h++) {
		int64_t want = a;

		atomic_compare_exchange_strong(&dead->holds[h], &want,
		    LEDGER_NONE);
	}
	ledger_reap_slot(l, i);
}

int
repair_dead_owner(struct ledger *l, uint32_t a)
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
		/*
		 * EOWNERDEAD is the kernel's word that the owner died; a
		 * slot that lists our lock and is alive (its OFD lock held,
		 * its process not exiting: ledger_slot_alive()) is a live
		 * process's, which forged it, and is not repaired.
		 */
		if (!ledger_slot_alive(l, (int)i))
			return (int)i;
	}
	return -1;
}
