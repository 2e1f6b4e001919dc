/*
 * ledger: create, attach, detach and unlink a ledger by name (its slots:
 * ledger_slot.c).
 *
 * Trust: the object may have been written by anyone who could open it, so
 * attach checks the object (owner, mode, size) before mapping and the header
 * before reading anything else, and the handle keeps checked copies of the
 * counts.  Liveness: a slot's owner holds an OFD write lock on byte i of the
 * object; the kernel drops it when the owner dies, and PIDs may be reused,
 * so the lock, not the PID, says whether a slot's owner is alive.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"
#include "ledger.h"

#define LEDGER_ALIGN	4096

static const char *const ledger_sync_names[SYNC_COUNT] = {
	[SYNC_NONE] = "none",
	[SYNC_SEMAPHORE] = "semaphore",
	[SYNC_ROBUST] = "robust",
	[SYNC_ORDERED] = "ordered",
};

static size_t
round_up(size_t n, size_t to)
{
	return (n + to - 1) / to * to;
}

static void
ledger_path(const char *name, char *path, size_t len)
{
	snprintf(path, len, "%s%s", LEDGER_PREFIX, name);
}

/* Offsets of the regions of a ledger of n accounts. */
static void
ledger_offsets(uint32_t n, size_t *accounts, size_t *slots, size_t *size)
{
	*accounts = round_up(sizeof(struct ledger_header), 64);
	*slots = round_up(*accounts + (size_t)n * sizeof(struct ledger_account),
	    64);
	*size = round_up(*slots + LEDGER_SLOTS * sizeof(struct ledger_slot),
	    LEDGER_ALIGN);
}

int
ledger_name_check(const char *name)
{
	size_t i;

	if (name == NULL || name[0] == '\0')
		return -LAB_ENAME;
	for (i = 0; name[i] != '\0'; i++) {
		char c = name[i];

		if (i >= LEDGER_NAME_MAX)
			return -LAB_ENAME;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return -LAB_ENAME;
	}
	return 0;
}

size_t
ledger_size(uint32_t naccounts)
{
	size_t a, s, size;

	ledger_offsets(naccounts, &a, &s, &size);
	return size;
}

/* FNV-1a over the sizes and offsets another build could disagree on. */
uint32_t
ledger_layout(void)
{
	const size_t facts[] = {
		sizeof(struct ledger_header), sizeof(struct ledger_account),
		sizeof(struct ledger_slot), sizeof(pthread_mutex_t),
		sizeof(sem_t), offsetof(struct ledger_header, sem),
		offsetof(struct ledger_header, repairs),
		offsetof(struct ledger_header, events), LEDGER_EVENTS,
		offsetof(struct ledger_slot, role),
		offsetof(struct ledger_account, balance),
		offsetof(struct ledger_slot, journal),
		offsetof(struct ledger_slot, counters),
		offsetof(struct ledger_slot, repair), LEDGER_SLOTS,
	};
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < sizeof(facts) / sizeof(facts[0]); i++) {
		h ^= (uint32_t)facts[i];
		h *= 16777619u;
	}
	return h;
}

static const char *const ledger_role_names[LEDGER_ROLE_COUNT] = {
	"process", "worker", "auditor", "scheduled", "teller", "command",
	"bench", "recovery",
};

const char *
ledger_role_name(uint32_t role)
{
	return role < LEDGER_ROLE_COUNT ? ledger_role_names[role] : "?";
}

const char *
ledger_sync_name(enum sync_kind k)
{
	if ((unsigned)k >= SYNC_COUNT)
		return "?";
	return ledger_sync_names[k];
}

int
ledger_sync_parse(const char *s, enum sync_kind *k)
{
	int i;

	for (i = 0; s != NULL && i < SYNC_COUNT; i++)
		if (strcmp(s, ledger_sync_names[i]) == 0) {
			*k = (enum sync_kind)i;
			return 0;
		}
	return -LAB_ESYNC;
}

int
ledger_validate(const struct ledger_header *h, size_t size)
{
	size_t accounts, slots, want;

	if (size < sizeof(*h))
		return -LAB_ESIZE;
	if (atomic_load_explicit(&h->magic, memory_order_acquire) !=
	    LEDGER_MAGIC)
		return -LAB_EMAGIC;
	if (h->version != LEDGER_VERSION)
		return -LAB_EVERSION;
	if (h->layout != ledger_layout())
		return -LAB_ELAYOUT;
	if (h->naccounts == 0 || h->naccounts > LEDGER_ACCOUNTS_MAX ||
	    h->nslots != LEDGER_SLOTS || h->sync >= SYNC_COUNT ||
	    (h->flags & ~LEDGER_F_PRIVATE) != 0)
		return -LAB_ECORRUPT;
	ledger_offsets(h->naccounts, &accounts, &slots, &want);
	if (h->size != size || want != size)
		return -LAB_ESIZE;
	if (h->accounts_off != accounts || h->slots_off != slots)
		return -LAB_ECORRUPT;
	if (h->initial_total < 0 || h->initial_total > LEDGER_BALANCE_MAX)
		return -LAB_ECORRUPT;
	return 0;
}

/* Fill the handle from a mapped, validated header. */
void
ledger_fill(struct ledger *l, void *base, size_t size, int fd,
    const char *name)
{
	struct ledger_header *h = base;

	memset(l, 0, sizeof(*l));
	l->hdr = h;
	l->size = size;
	l->naccounts = h->naccounts;
	l->nslots = h->nslots;
	l->created_sync = (enum sync_kind)h->sync;
	l->initial_total = h->initial_total;
	l->generation = h->generation;
	l->acct = (struct ledger_account *)((char *)base + h->accounts_off);
	l->slots = (struct ledger_slot *)((char *)base + h->slots_off);
	l->fd = fd;
	l->slot = -1;
	l->sync_kind = l->created_sync;
	l->lock_timeout_ms = LEDGER_LOCK_TIMEOUT_MS;
	snprintf(l->name, sizeof(l->name), "%s", name);
}

static uint64_t
ledger_random64(void)
{
	uint64_t r;
	struct timespec ts;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) == (ssize_t)sizeof(r))
		return r;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_nsec * 6364136223846793005ULL ^
	    (uint64_t)getpid() << 32 ^ (uint64_t)ts.tv_sec;
}

/* The opening total of cfg, or a negative code if cfg is out of range. */
static int
ledger_config_check(const struct ledger_config *cfg, int64_t *total)
{
	uint32_t i;
	int64_t t;

	if (cfg->naccounts == 0 || cfg->naccounts > LEDGER_ACCOUNTS_MAX)
		return -LAB_EACCOUNT;
	if (cfg->balance < 0 || cfg->balance > LEDGER_AMOUNT_MAX)
		return -LAB_EAMOUNT;
	if ((unsigned)cfg->sync >= SYNC_COUNT)
		return -LAB_ESYNC;
	if (cfg->balance > LEDGER_BALANCE_MAX / cfg->naccounts)
		return -LAB_EAMOUNT;
	for (i = 0, t = 0; cfg->balances != NULL && i < cfg->naccounts; i++) {
		if (cfg->balances[i] < 0 ||
		    cfg->balances[i] > LEDGER_AMOUNT_MAX)
			return -LAB_EAMOUNT;
		t += cfg->balances[i];
	}
	if (cfg->balances == NULL)
		t = (int64_t)cfg->naccounts * cfg->balance;
	if (t > LEDGER_BALANCE_MAX)
		return -LAB_EAMOUNT;
	*total = t;
	return 0;
}

/*
 * Write a new segment's header, balances and empty slots, and fill the
 * handle by hand: the header is not valid until the magic.
 */
static void
ledger_init_segment(void *base, size_t size, const struct ledger_config *cfg,
    int64_t total, struct ledger *l)
{
	struct ledger_header *h = base;
	struct timespec now;
	size_t accounts, slots, want;
	uint32_t i;

	ledger_offsets(cfg->naccounts, &accounts, &slots, &want);
	h->version = LEDGER_VERSION;
	h->layout = ledger_layout();
	h->size = size;
	h->naccounts = cfg->naccounts;
	h->nslots = LEDGER_SLOTS;
	h->sync = cfg->sync;
	h->generation = ledger_random64();
	h->initial_total = total;
	h->accounts_off = accounts;
	h->slots_off = slots;
	h->creator = getpid();
	h->flags = cfg->is_private ? LEDGER_F_PRIVATE : 0;
	clock_gettime(CLOCK_REALTIME, &now);
	h->created_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	atomic_init(&h->sem_holder, -1);

	memset(l, 0, sizeof(*l));
	l->hdr = h;
	l->size = size;
	l->naccounts = cfg->naccounts;
	l->nslots = LEDGER_SLOTS;
	l->acct = (struct ledger_account *)((char *)base + accounts);
	l->slots = (struct ledger_slot *)((char *)base + slots);
	for (i = 0; i < cfg->naccounts; i++)
		atomic_init(&l->acct[i].balance, cfg->balances ?
		    cfg->balances[i] : cfg->balance);
	for (i = 0; i < LEDGER_SLOTS; i++) {
		atomic_init(&l->slots[i].holds[0], LEDGER_NONE);
		atomic_init(&l->slots[i].holds[1], LEDGER_NONE);
		atomic_init(&l->slots[i].waits, LEDGER_NONE);
	}
}

int
ledger_create(const char *name, const struct ledger_config *cfg,
    ledger_init_fn init, struct ledger *l)
{
	char path[sizeof(LEDGER_PREFIX) + LEDGER_NAME_MAX];
	size_t accounts, slots, size;
	int64_t total;
	void *base;
	int fd, r;

	if ((r = ledger_name_check(name)) < 0 ||
	    (r = ledger_config_check(cfg, &total)) < 0)
		return r;
	ledger_offsets(cfg->naccounts, &accounts, &slots, &size);
	ledger_path(name, path, sizeof(path));

	fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd == -1)
		return -errno;
	/* The umask may have taken bits away; 0600 whatever it was. */
	if (fchmod(fd, 0600) == -1) {
		r = -errno;
		goto fail_unlink;
	}
	/* Reserve every page now: ENOSPC here, not SIGBUS later. */
	if ((r = posix_fallocate(fd, 0, (off_t)size)) != 0) {
		r = -r;
		goto fail_unlink;
	}
	base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		r = -errno;
		goto fail_unlink;
	}
	ledger_init_segment(base, size, cfg, total, l);
	if (init != NULL && (r = init(l)) < 0)
		goto fail_unmap;

	atomic_store_explicit(&l->hdr->magic, LEDGER_MAGIC,
	    memory_order_release);
	ledger_fill(l, base, size, fd, name);
	return 0;

fail_unmap:
	munmap(base, size);
fail_unlink:
	shm_unlink(path);
	close(fd);
	return r;
}

/*
 * Check what fd is (a regular file of ours, private to us, of a plausible
 * size), map exactly what fstat says, validate the header, fill the
 * handle.  fd is ours from here: closed on failure, kept in l on success.
 */
static int
ledger_attach_open(int fd, const char *name, struct ledger *l)
{
	struct stat st;
	void *base;
	int r;

	if (fstat(fd, &st) == -1) {
		r = -errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -LAB_EMAGIC;
		goto fail;
	}
	if (st.st_uid != geteuid()) {
		r = -LAB_EOWNER;
		goto fail;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		r = -LAB_EMODE;
		goto fail;
	}
	if (st.st_size < (off_t)sizeof(struct ledger_header) ||
	    (uint64_t)st.st_size > ledger_size(LEDGER_ACCOUNTS_MAX)) {
		r = -LAB_ESIZE;
		goto fail;
	}
	/* Map exactly what fstat says, never what the header claims. */
	base = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		r = -errno;
		goto fail;
	}
	if ((r = ledger_validate(base, (size_t)st.st_size)) < 0) {
		munmap(base, (size_t)st.st_size);
		goto fail;
	}
	ledger_fill(l, base, (size_t)st.st_size, fd, name);
	return 0;
fail:
	close(fd);
	return r;
}

int
ledger_attach(const char *name, struct ledger *l)
{
	char path[sizeof(LEDGER_PREFIX) + LEDGER_NAME_MAX];
	int fd, r;

	if ((r = ledger_name_check(name)) < 0)
		return r;
	ledger_path(name, path, sizeof(path));
	/*
	 * glibc's shm_open adds O_NOFOLLOW: a symlink is refused with ELOOP,
	 * which strerror() calls "too many levels of symbolic links"; say
	 * what it is.
	 */
	fd = shm_open(path, O_RDWR, 0);
	if (fd == -1)
		return errno == ELOOP ? -LAB_ESYMLINK : -errno;
	return ledger_attach_open(fd, name, l);
}

int
ledger_attach_fd(int fd, const char *name, struct ledger *l)
{
	char path[32];
	int own, r;

	if ((r = ledger_name_check(name)) < 0)
		return r;
	/*
	 * Open the object again through /proc, which works after its name
	 * is gone: our own open file description, so the OFD lock on our
	 * slot is ours and goes when we die, not shared with the parent
	 * that handed fd down.
	 */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if ((own = open(path, O_RDWR | O_CLOEXEC)) == -1)
		return -errno;
	(void)close(fd);
	return ledger_attach_open(own, name, l);
}

void
ledger_detach(struct ledger *l)
{
	if (l->hdr == NULL)
		return;
	ledger_leave(l);
	munmap(l->hdr, l->size);
	close(l->fd);
	l->hdr = NULL;
	l->fd = -1;
}

int
ledger_unlink(const char *name)
{
	char path[sizeof(LEDGER_PREFIX) + LEDGER_NAME_MAX];
	int r;

	if ((r = ledger_name_check(name)) < 0)
		return r;
	ledger_path(name, path, sizeof(path));
	if (shm_unlink(path) == -1)
		return -errno;
	return 0;
}

int
ledger_list(void (*cb)(const char *name, void *arg), void *arg)
{
	const char *prefix = &LEDGER_PREFIX[1];
	size_t plen = strlen(prefix);
	struct dirent *de;
	DIR *d;

	if ((d = opendir("/dev/shm")) == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, plen) != 0)
			continue;
		if (ledger_name_check(de->d_name + plen) < 0)
			continue;
		cb(de->d_name + plen, arg);
	}
	closedir(d);
	return 0;
}
