/*
 * ledger: the bank ledger in a named POSIX shared-memory segment.
 *
 * Contract: ledger_create() makes "/banklab-NAME" (O_EXCL, mode 0600) and
 * publishes the magic last; ledger_attach() trusts nothing it maps: it checks
 * owner, mode, size, magic, version, layout and every count before use, and
 * copies the checked counts into the handle so later reads of the header
 * cannot change them.  Each attached process claims a slot, proven alive by
 * an OFD lock on one byte of the object, where it publishes what it holds,
 * waits for and is in the middle of.  A handle belongs to one process: a
 * forked child must attach again.  The segment holds no pointers, only
 * indices, and every index read from it is checked (ledger_index_ok()).
 */
#ifndef LAB_LEDGER_H
#define LAB_LEDGER_H

#include <pthread.h>
#include <semaphore.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define LEDGER_MAGIC		0x314241424b4e4142ULL	/* "BANKBAB1" LE */
#define LEDGER_VERSION		1
#define LEDGER_NAME_MAX		64
#define LEDGER_PREFIX		"/banklab-"
#define LEDGER_ACCOUNTS_MAX	10000000u
#define LEDGER_SLOTS		256	/* processes attached at once */
#define LEDGER_AMOUNT_MAX	1000000000000000LL	/* 10^15 cents */
#define LEDGER_BALANCE_MAX	(1LL << 62)	/* one account, and the total */
#define LEDGER_NONE		(-1)	/* no account held / waited for */
#define LEDGER_WAIT_SEM		(-2)	/* waits for the global semaphore */
#define LEDGER_LOCK_TIMEOUT_MS	5000	/* a lock wait's default limit */
#define LEDGER_F_PRIVATE	1u	/* a program's own (header flags) */
#define LEDGER_PF_EXITING	0x00000004u	/* the kernel's: dying */
#define LEDGER_EVENTS		512	/* the anomaly ring (event.h) */

enum sync_kind {
	SYNC_NONE = 0,
	SYNC_SEMAPHORE,
	SYNC_ROBUST,
	SYNC_ORDERED,
	SYNC_COUNT
};

/* Operations a slot's journal can describe. */
enum ledger_op {
	LEDGER_OP_NONE = 0,
	LEDGER_OP_DEPOSIT,
	LEDGER_OP_WITHDRAW,
	LEDGER_OP_TRANSFER
};

/*
 * Journal states.  BEGUN: before-images are recorded and writes may have
 * happened; a repairer restores them (roll back).  DONE: every write of the
 * operation happened; nothing to undo (the effect stands).
 */
enum ledger_journal_state {
	LEDGER_J_IDLE = 0,
	LEDGER_J_BEGUN,
	LEDGER_J_DONE
};

/* Who a slot's process is, set before ledger_join() (l->role). */
enum ledger_role {
	LEDGER_ROLE_PROCESS = 0,	/* said nothing */
	LEDGER_ROLE_WORKER,
	LEDGER_ROLE_AUDITOR,
	LEDGER_ROLE_SCHEDULED,		/* a worker a scheduler steps */
	LEDGER_ROLE_TELLER,		/* banklab serve's */
	LEDGER_ROLE_COMMAND,		/* banklab deposit and the like */
	LEDGER_ROLE_BENCH,
	LEDGER_ROLE_RECOVERY,		/* bank_recover() */
	LEDGER_ROLE_COUNT
};

enum ledger_slot_state {
	LEDGER_SLOT_FREE = 0,
	LEDGER_SLOT_LIVE,	/* claimed; owner alive or dead (OFD lock tells) */
	LEDGER_SLOT_RETIRING	/* being folded into the header's totals */
};

/*
 * What the processes that used a slot have done, kept in shared memory so
 * a kill cannot lose it.  A slot's counters are never reset: a new owner
 * adds to them, so the books are the sum over all slots and no fold into
 * the header (which a crash could do twice or half) is needed.
 */
struct ledger_counters {
	int64_t deposited;	/* cents deposited */
	int64_t withdrawn;	/* cents withdrawn */
	int64_t moved;		/* cents transferred */
	uint64_t ops;		/* operations completed */
	uint64_t writes;	/* balance writes (each bumps a version) */
	uint64_t refused;	/* refused for insufficient funds */
};

struct ledger_journal {
	_Atomic uint32_t state;	/* enum ledger_journal_state */
	uint32_t op;		/* enum ledger_op */
	uint32_t n;		/* accounts touched: 1 or 2 */
	uint32_t acct[2];
	int64_t amount;
	int64_t before[2];	/* balances before the operation */
	uint64_t vbefore[2];	/* versions before the operation */
	struct ledger_counters cbefore; /* the slot's counters before */
};

/* One lost update seen by the process whose write overwrote another's. */
struct ledger_lost {
	uint32_t seen;		/* 1 once an example is recorded */
	uint32_t acct;
	uint64_t version_read;	/* version this process read */
	int64_t balance_read;	/* balance this process read */
	int64_t balance_written;/* what it then wrote */
	int32_t other_pid;	/* whose write it overwrote */
	uint32_t pad;
	uint64_t other_version;	/* the version that write had made */
	int64_t other_balance;	/* the balance that write had made */
};

/* The last repair a process made of a dead owner's half-done operation. */
struct ledger_repair {
	uint32_t seen;		/* 1 once a repair is recorded */
	uint32_t op;		/* enum ledger_op the dead process was in */
	int32_t dead_pid;
	uint32_t acct;		/* the account repaired */
	int64_t amount;
	int64_t found;		/* its balance as the dead process left it */
	int64_t restored;	/* its balance after the repair */
	uint32_t journal;	/* enum ledger_journal_state found */
	uint32_t pad;
};

struct ledger_slot {
	alignas(64) _Atomic int32_t pid;	/* owner, 0 when free */
	_Atomic uint32_t state;		/* enum ledger_slot_state */
	_Atomic int64_t holds[2];	/* accounts whose lock it holds */
	_Atomic int64_t waits;		/* account (or LEDGER_WAIT_SEM) */
	_Atomic uint64_t ready_gate;	/* start gate it is waiting at */
	_Atomic uint32_t step;		/* current step point (schedules) */
	_Atomic uint32_t sync;		/* variant this process uses */
	struct ledger_journal journal;
	struct ledger_counters counters;
	struct ledger_counters base;	/* counters when this owner joined */
	struct ledger_lost lost;
	_Atomic uint64_t repairs;	/* dead owners' locks it repaired */
	struct ledger_repair repair;	/* the last of them */
	/* Schedules (schedule.c): the scheduler parks and releases us. */
	_Atomic uint32_t sched_parked;	/* step parked at; 0 while running */
	_Atomic uint32_t sched_target;	/* run to this step; 0: the next */
	_Atomic uint32_t sched_go;	/* bumped (and futex-woken) to release */
	_Atomic uint32_t role;		/* enum ledger_role */
	/* Told once (event.h): its death holding a lock; its wait's cycle. */
	_Atomic uint32_t dead_told, cycle_told;
	_Atomic int64_t note_acct;	/* the account the step touched */
	_Atomic int64_t note_value;	/* the balance it read or wrote */
};

/*
 * One anomaly in the ring (event.h): seq is its number + 1 once written
 * whole (0: never written), the rest says what happened.
 */
struct ledger_event {
	alignas(64) _Atomic uint64_t seq;
	_Atomic uint32_t kind;		/* enum event_kind */
	_Atomic int32_t pid;		/* who saw it */
	_Atomic int32_t other_pid;	/* the other party, or 0 */
	_Atomic uint32_t pad;
	_Atomic int64_t acct;		/* the account, or LEDGER_NONE */
	_Atomic int64_t a, b;		/* kind's figures (event.h) */
	_Atomic int64_t ms;		/* CLOCK_REALTIME, ms */
};

_Static_assert(sizeof(struct ledger_event) == 64, "an event: one line");

/* One cache line each: processes writing neighbours must not share one. */
struct ledger_account {
	alignas(64) pthread_mutex_t mutex; /* robust, process-shared */
	_Atomic int64_t balance;	/* cents; relaxed atomics, see bank.c */
	_Atomic uint32_t version;	/* bumped by every write */
	_Atomic int32_t last_writer;	/* pid of the last write */
};

_Static_assert(sizeof(struct ledger_account) == 64,
    "an account is one cache line: 10^6 accounts in 61 MiB");
_Static_assert(sizeof(struct ledger_slot) % 64 == 0,
    "slots are written by different processes: whole cache lines");

struct ledger_header {
	_Atomic uint64_t magic;		/* written last by create */
	uint32_t version;
	uint32_t layout;		/* ledger_layout() of the creating build */
	uint64_t size;			/* bytes of the whole object */
	uint32_t naccounts;
	uint32_t nslots;
	uint32_t sync;			/* variant it was created for */
	uint32_t flags;			/* LEDGER_F_* */
	uint64_t generation;		/* random: tells a re-created ledger */
	int64_t initial_total;		/* cents at create */
	uint64_t accounts_off;		/* from the start of the object */
	uint64_t slots_off;
	int32_t creator;		/* pid */
	uint32_t pad1;
	int64_t created_ns;		/* CLOCK_REALTIME at create */
	alignas(64) sem_t sem;		/* the global semaphore variant */
	_Atomic int32_t sem_holder;	/* slot index holding it, or -1 */
	alignas(64) _Atomic uint64_t next_gate;	/* start gates handed out */
	_Atomic uint64_t start_gate;	/* highest gate opened */
	alignas(64) _Atomic uint64_t repairs;	/* locks repaired after a dead owner */
	alignas(64) _Atomic uint64_t event_next;	/* events posted */
	struct ledger_event events[LEDGER_EVENTS];	/* the last of them */
};

struct sync_ops;
struct trace;

/* A process's handle on an attached ledger.  Not shared, not in the segment. */
struct ledger {
	struct ledger_header *hdr;
	struct ledger_account *acct;
	struct ledger_slot *slots;
	size_t size;			/* bytes mapped */
	uint32_t naccounts;		/* checked copies of header values */
	uint32_t nslots;
	enum sync_kind created_sync;
	int64_t initial_total;		/* checked copy */
	uint64_t generation;
	int fd;
	int slot;			/* our slot, -1 for an observer */
	int32_t pid;			/* getpid() when the slot was claimed */
	int32_t blocker_pid;		/* who we last waited on in vain */
	/*
	 * The variant this process uses: its value, and its table of lock
	 * functions, both set by the sync layer (sync_use()); the ledger
	 * only stores them.
	 */
	enum sync_kind sync_kind;
	const struct sync_ops *sync;
	unsigned lock_timeout_ms;	/* give up a lock wait after this */
	enum ledger_role role;		/* for the slot, at ledger_join() */
	unsigned window;		/* microseconds of step_window() */
	/* Step hook for schedules and kill points; NULL costs one branch. */
	void (*step)(struct ledger *, unsigned step, void *arg);
	void *step_arg;
	int64_t step_acct;		/* what the step touched, for the hook */
	int64_t step_value;
	unsigned step_minor;		/* a minor step to stop at unscheduled */
	/*
	 * This process's trace writer (trace.h), NULL when tracing is off:
	 * one branch, asked with the step hook's (step_is_armed()).
	 */
	struct trace *trace;
	/*
	 * What this process's exercise code did, for the graders (contract.c):
	 * robust mutexes held now and at most at once, which account of a
	 * pair was locked first (bit 8a+b: a before b, accounts below 8), and
	 * the first rule of lab/exercise.h it broke ("" if none).
	 */
	unsigned held, held_max;
	uint64_t quiet_locks;		/* audit locks taken (quiet, or reads) */
	uint64_t order_seen;
	char contract[160];
	char name[LEDGER_NAME_MAX + 1];
};

/* Options for ledger_create(). */
struct ledger_config {
	uint32_t naccounts;		/* 1 .. LEDGER_ACCOUNTS_MAX */
	int64_t balance;		/* each account's opening cents */
	enum sync_kind sync;
	const int64_t *balances;	/* or naccounts of them (may be NULL) */
	/*
	 * A program's own ledger (a lesson's, a schedule's, the storm's), not
	 * the user's: once its creator is dead it is stale (ledger_is_stale()).
	 */
	bool is_private;
};

/* 0 if name is 1-64 of [A-Za-z0-9_-], else -LAB_ENAME. */
int ledger_name_check(const char *name);

/* Bytes a ledger of naccounts takes. */
size_t ledger_size(uint32_t naccounts);

/* Signature of this build's struct layout (sizes and offsets). */
uint32_t ledger_layout(void);

/*
 * Sets up a new segment's locks before its magic is published, so no other
 * process can see them half-made: the sync layer's business, handed in.
 */
typedef int (*ledger_init_fn)(struct ledger *);

/*
 * Create the ledger and attach to it (observer: no slot): init runs on the
 * filled handle before the magic is published.  Fails with -EEXIST if the
 * name is taken, -ENOSPC if /dev/shm cannot hold it, or init's code.
 * Programs call sync_create(), which passes the variants' init.
 */
int ledger_create(const char *name, const struct ledger_config *cfg,
    ledger_init_fn init, struct ledger *l);

/*
 * Attach by name after checking everything; observer (no slot), no variant
 * chosen yet (l->sync is NULL: sync_attach() chooses the ledger's own).
 */
int ledger_attach(const char *name, struct ledger *l);

/*
 * Claim a slot for this process (needed to operate on accounts).
 * Reclaims slots of dead processes that have nothing left to repair.
 */
int ledger_join(struct ledger *l);

/* Release our slot (its counters stay), unmap, close. */
void ledger_detach(struct ledger *l);

/*
 * Attach through fd, an open descriptor of the ledger's object that our
 * parent handed down (the name may be gone already: a private ledger's
 * is removed as soon as it is made).  The same checks as by name; fd is
 * closed, and the ledger reopened as our own.  name is for messages.
 */
int ledger_attach_fd(int fd, const char *name, struct ledger *l);

/* Give our slot up, if we have one (ledger_detach() does it first). */
void ledger_leave(struct ledger *l);

/* Remove the name; attached processes keep their mappings. */
int ledger_unlink(const char *name);

/* Check a header as found in a mapping of size bytes (also for fuzzing). */
int ledger_validate(const struct ledger_header *h, size_t size);

/*
 * Fill an observer's handle on the size bytes at base, whose header
 * ledger_validate() accepted (fd -1: none).  attach's last step; the
 * fuzz target's way to read a mapping that is not in shared memory.
 */
void ledger_fill(struct ledger *l, void *base, size_t size, int fd,
    const char *name);

/* Is idx a valid account index of this ledger? */
static inline bool
ledger_index_ok(const struct ledger *l, int64_t idx)
{
	return idx >= 0 && (uint64_t)idx < l->naccounts;
}

/*
 * The state letter and the flags (PF_*) of process pid, from
 * /proc/PID/stat: 0, -ENOENT if there is no such process, or -errno.
 */
int ledger_pid_stat(int32_t pid, char *state, unsigned *flags);

/*
 * Is this a private ledger whose creator is dead (a program SIGKILLed
 * before it could remove its name)?  A ledger made by `banklab create` is
 * the user's and never stale.
 */
bool ledger_is_stale(const struct ledger *l);

/*
 * Is the process owning slot i alive: its OFD lock held, and the process
 * named in the slot not exiting (PF_EXITING: it may hold its files, and so
 * the lock, for a second after the kernel has handed its robust mutexes
 * over)?
 */
bool ledger_slot_alive(const struct ledger *l, int i);

/* Slot holding account a's lock, or -1.  Reads are checked, may race. */
int ledger_holder_of(const struct ledger *l, int64_t a);

/*
 * Free a dead process's slot if it has nothing left to repair.  Returns 1
 * if it is free, 0 if not.  Idempotent: a reaper may die half-way.
 */
int ledger_reap_slot(struct ledger *l, int i);

/* Sum of the counters of every slot, whoever owns or owned it. */
void ledger_books(const struct ledger *l, struct ledger_counters *c);

/* Live slots waiting at (or past) start gate g. */
unsigned ledger_gate_ready(const struct ledger *l, uint64_t g);

/* Names of the ledgers present, for `banklab list`. */
int ledger_list(void (*cb)(const char *name, void *arg), void *arg);

/* Name of a role (enum ledger_role, as read from a slot), "?" if none. */
const char *ledger_role_name(uint32_t role);

/* Name of a variant, and the variant of a name (-LAB_ESYNC if none). */
const char *ledger_sync_name(enum sync_kind k);
int ledger_sync_parse(const char *s, enum sync_kind *k);

#endif
