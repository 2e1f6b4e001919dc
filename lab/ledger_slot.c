/*
 * ledger_slot: a ledger's process slots.  Joining (claiming a slot under
 * its OFD lock), liveness (the OFD lock, and the kernel's word that its
 * process is exiting), reaping a dead owner's slot into the books, the
 * books themselves and the start gate.
 *
 * Layer: the ledger's (ledger.h); knows no variant and no bank rule.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lab.h"
#include "ledger.h"

/* The OFD lock of slot i: one byte, at offset i of the object. */
static struct flock
ledger_ofd_byte(int i, short type)
{
	struct flock fl = {
		.l_type = type,
		.l_whence = SEEK_SET,
		.l_start = i,
		.l_len = 1,
	};

	return fl;
}

/* Take (F_WRLCK) or drop (F_UNLCK) our OFD lock on byte i, no waiting. */
static int
ledger_ofd(const struct ledger *l, int i, short type)
{
	struct flock fl = ledger_ofd_byte(i, type);

	if (fcntl(l->fd, F_OFD_SETLK, &fl) == -1)
		return -errno;
	return 0;
}

int
ledger_pid_stat(int32_t pid, char *state, unsigned *flags)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	if (pid <= 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/*
	 * state ppid pgrp session tty_nr tpgid flags, after the last ')':
	 * the command may contain one.
	 */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1, " %c %*d %*d %*d %*d %*d %u", state, flags) != 2)
		return -EINVAL;
	return 0;
}

/*
 * Is pid exiting, or gone?  The kernel sets PF_EXITING first thing in
 * do_exit(), before it hands the process's robust mutexes to their next
 * lockers (exit_mm); the process's files, and so its OFD locks, go only at
 * the end (exit_files), after its memory is torn down: a second or more
 * for a large address space.
 */
static bool
ledger_pid_exiting(int32_t pid)
{
	unsigned flags;
	char state;
	int r;

	if ((r = ledger_pid_stat(pid, &state, &flags)) == -ENOENT)
		return true;	/* gone (and reaped) since */
	return r == 0 && (flags & LEDGER_PF_EXITING) != 0;
}

bool
ledger_is_stale(const struct ledger *l)
{
	if ((l->hdr->flags & LEDGER_F_PRIVATE) == 0)
		return false;
	/* Its creator gone, or dying: nobody will remove the name now. */
	return ledger_pid_exiting(l->hdr->creator);
}

/* Is slot i's OFD lock held by someone (true if we cannot tell)? */
static bool
ledger_ofd_held(const struct ledger *l, int i)
{
	struct flock fl = ledger_ofd_byte(i, F_WRLCK);

	if (fcntl(l->fd, F_OFD_GETLK, &fl) == -1)
		return true;	/* cannot tell: assume alive, never reap */
	return fl.l_type != F_UNLCK;
}

bool
ledger_slot_alive(const struct ledger *l, int i)
{
	if (i < 0 || (uint32_t)i >= l->nslots)
		return false;
	/* Our own lock never conflicts with our own query. */
	if (i == l->slot)
		return true;
	if (!ledger_ofd_held(l, i))
		return false;
	/* Held, maybe by a process that is already dying ... */
	if (ledger_pid_exiting(atomic_load(&l->slots[i].pid)))
		return false;
	/* ... or that was gone by the time we looked, its pid reused. */
	return ledger_ofd_held(l, i);
}

int
ledger_holder_of(const struct ledger *l, int64_t a)
{
	uint32_t i;

	if (!ledger_index_ok(l, a))
		return -1;
	for (i = 0; i < l->nslots; i++) {
		const struct ledger_slot *s = &l->slots[i];

		if (atomic_load_explicit(&s->state, memory_order_relaxed) ==
		    LEDGER_SLOT_FREE)
			continue;
		if (atomic_load_explicit(&s->holds[0], memory_order_relaxed) ==
		    a ||
		    atomic_load_explicit(&s->holds[1], memory_order_relaxed) ==
		    a)
			return (int)i;
	}
	return -1;
}

/*
 * Does slot i still hold something a repair must see first?  A hold that
 * names no account (forged, or garbage) has no lock whose next locker
 * could ever repair and unlist it: it must not keep the slot forever.
 */
static bool
ledger_slot_pending(const struct ledger *l, int i)
{
	const struct ledger_slot *s = &l->slots[i];

	return ledger_index_ok(l, atomic_load(&s->holds[0])) ||
	    ledger_index_ok(l, atomic_load(&s->holds[1])) ||
	    atomic_load(&l->hdr->sem_holder) == i;
}

static void
ledger_slot_clear(struct ledger_slot *s)
{
	atomic_store(&s->holds[0], LEDGER_NONE);
	atomic_store(&s->holds[1], LEDGER_NONE);
	atomic_store(&s->waits, LEDGER_NONE);
	atomic_store(&s->ready_gate, 0);
	atomic_store(&s->step, 0);
	atomic_store(&s->journal.state, LEDGER_J_IDLE);
	memset(&s->lost, 0, sizeof(s->lost));
	memset(&s->repair, 0, sizeof(s->repair));
	atomic_store(&s->repairs, 0);
	atomic_store(&s->dead_told, 0);
	atomic_store(&s->cycle_told, 0);
}

/* Free slot i; the caller holds our OFD lock on byte i.  Idempotent. */
static void
ledger_retire(struct ledger *l, int i)
{
	struct ledger_slot *s = &l->slots[i];

	atomic_store(&s->state, LEDGER_SLOT_RETIRING);
	ledger_slot_clear(s);
	atomic_store(&s->pid, 0);
	atomic_store_explicit(&s->state, LEDGER_SLOT_FREE,
	    memory_order_release);
}

int
ledger_reap_slot(struct ledger *l, int i)
{
	uint32_t state;

	if (i < 0 || (uint32_t)i >= l->nslots || i == l->slot)
		return 0;
	if (ledger_ofd(l, i, F_WRLCK) < 0)
		return 0;	/* its owner is alive */
	state = atomic_load(&l->slots[i].state);
	if (state == LEDGER_SLOT_FREE) {
		ledger_ofd(l, i, F_UNLCK);
		return 1;
	}
	if (ledger_slot_pending(l, i)) {
		ledger_ofd(l, i, F_UNLCK);
		return 0;
	}
	/* A RETIRING slot whose reaper died is finished here. */
	ledger_retire(l, i);
	ledger_ofd(l, i, F_UNLCK);
	return 1;
}

int
ledger_join(struct ledger *l)
{
	struct ledger_slot *s;
	uint32_t i, state;

	if (l->slot >= 0)
		return 0;
	for (i = 0; i < l->nslots; i++) {
		if (ledger_ofd(l, (int)i, F_WRLCK) < 0)
			continue;	/* a live owner */
		s = &l->slots[i];
		state = atomic_load(&s->state);
		if (state != LEDGER_SLOT_FREE) {
			if (ledger_slot_pending(l, (int)i)) {
				/* A dead owner's locks still await repair. */
				ledger_ofd(l, (int)i, F_UNLCK);
				continue;
			}
			ledger_retire(l, (int)i);
		}
		ledger_slot_clear(s);
		s->base = s->counters;
		atomic_store(&s->sync, l->sync_kind);
		atomic_store(&s->role, (uint32_t)l->role);
		l->pid = getpid();
		atomic_store(&s->pid, l->pid);
		atomic_store_explicit(&s->state, LEDGER_SLOT_LIVE,
		    memory_order_release);
		l->slot = (int)i;
		return 0;
	}
	return -LAB_ENOSLOT;
}

void
ledger_leave(struct ledger *l)
{
	int i = l->slot;

	if (i < 0)
		return;
	/*
	 * Never leave with a lock held: unmapping would orphan it.  A slot
	 * that still holds one stays for the repairer.
	 */
	if (!ledger_slot_pending(l, i))
		ledger_retire(l, i);
	l->slot = -1;
	ledger_ofd(l, i, F_UNLCK);
}

void
ledger_books(const struct ledger *l, struct ledger_counters *c)
{
	uint64_t deposited = 0, withdrawn = 0, moved = 0;
	uint32_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < l->nslots; i++) {
		const struct ledger_slot *s = &l->slots[i];

		/*
		 * Unsigned, wrapping sums: any process of the user can write
		 * these counters, and a signed overflow would be undefined
		 * behaviour (found by tests/fuzz/fuzz_ledger.c); the checks
		 * then report forged totals as money lost or created.
		 */
		deposited += (uint64_t)s->counters.deposited;
		withdrawn += (uint64_t)s->counters.withdrawn;
		moved += (uint64_t)s->counters.moved;
		c->ops += s->counters.ops;
		c->writes += s->counters.writes;
		c->refused += s->counters.refused;
	}
	c->deposited = (int64_t)deposited;
	c->withdrawn = (int64_t)withdrawn;
	c->moved = (int64_t)moved;
}

unsigned
ledger_gate_ready(const struct ledger *l, uint64_t g)
{
	unsigned i, n = 0;

	for (i = 0; i < l->nslots; i++)
		if (atomic_load(&l->slots[i].state) == LEDGER_SLOT_LIVE &&
		    atomic_load(&l->slots[i].ready_gate) == g)
			n++;
	return n;
}
