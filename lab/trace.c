/*
 * trace: a process's records, written into a shared mapping of its own
 * file (see trace.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"
#include "trace.h"

static const char *const trace_slice_names[TRACE_SLICE_COUNT] = {
	[TRACE_S_TRANSFER] = "transfer",
	[TRACE_S_DEPOSIT] = "deposit",
	[TRACE_S_WITHDRAW] = "withdraw",
	[TRACE_S_BALANCE] = "balance",
	[TRACE_S_AUDIT] = "audit",
	[TRACE_S_WAIT] = "wait",
	[TRACE_S_HOLD] = "hold",
	[TRACE_S_BARE] = "no lock",
};

const char *
trace_slice_name(unsigned s)
{
	return s > 0 && s < TRACE_SLICE_COUNT ? trace_slice_names[s] : NULL;
}

uint64_t
trace_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Create DIR/PID.trace, or DIR/PID-K.trace if a process of the same pid
 * wrote one earlier in the run (pids are reused).
 */
static int
trace_create(const char *dir, int32_t pid, int *fd)
{
	char path[TRACE_DIR_MAX + 64];
	unsigned k;
	int n;

	for (k = 0; k < 16; k++) {
		n = k == 0 ? snprintf(path, sizeof(path), "%s/%d%s", dir,
		    (int)pid, TRACE_SUFFIX) : snprintf(path, sizeof(path),
		    "%s/%d-%u%s", dir, (int)pid, k, TRACE_SUFFIX);
		if (n < 0 || (size_t)n >= sizeof(path))
			return -ENAMETOOLONG;
		*fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (*fd >= 0)
			return 0;
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

/* Reserve records up to cap (rounded to a chunk): 0 or -errno. */
static int
trace_reserve(struct trace *t, uint32_t cap)
{
	int r;

	if (cap > t->max)
		cap = t->max;
	r = posix_fallocate(t->fd, 0, (off_t)(sizeof(struct trace_head) +
	    (size_t)cap * sizeof(struct trace_rec)));
	if (r != 0) {
		t->max = t->cap;	/* no more: slices still pair */
		return -r;
	}
	t->cap = cap;
	return 0;
}

int
trace_open(const char *dir, const char *role, struct trace *t)
{
	size_t size = sizeof(struct trace_head) +
	    (size_t)TRACE_RECORDS * sizeof(struct trace_rec);
	void *p;
	int fd, r;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	if (strlen(dir) >= sizeof(t->dir))
		return -ENAMETOOLONG;
	if ((r = trace_create(dir, (int32_t)getpid(), &fd)) < 0)
		return r;
	t->fd = fd;
	t->max = TRACE_RECORDS;
	/* The whole size, sparse: the reader checks it; chunks are real. */
	if (ftruncate(fd, (off_t)size) < 0 || (r = trace_reserve(t,
	    TRACE_CHUNK)) < 0) {
		r = r < 0 ? r : -errno;
		close(fd);
		t->fd = -1;
		return r;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		r = -errno;
		close(fd);
		t->fd = -1;
		return r;
	}
	t->h = p;
	t->rec = (struct trace_rec *)(t->h + 1);
	t->size = size;
	snprintf(t->dir, sizeof(t->dir), "%s", dir);
	t->h->version = TRACE_VERSION;
	t->h->rec_size = sizeof(struct trace_rec);
	t->h->pid = (int32_t)getpid();
	t->h->cap = TRACE_RECORDS;
	snprintf(t->h->role, sizeof(t->h->role), "%s", role);
	/* Last: a reader trusts nothing of a file without it. */
	atomic_store_explicit(&t->h->magic, TRACE_MAGIC,
	    memory_order_release);
	return 0;
}

void
trace_close(struct trace *t)
{
	if (t == NULL || t->h == NULL)
		return;
	munmap(t->h, t->size);
	close(t->fd);
	t->fd = -1;
	t->h = NULL;
	t->rec = NULL;
}

/*
 * Room: n + depth never shrinks (a begin adds 2, an end 0, anything else
 * 1), so once a begin is dropped every later one is, and the dropped
 * slices are the innermost: their ends are the next ends to come.
 */
void
trace_put(struct trace *t, enum trace_kind kind, unsigned arg, int32_t pid,
    int64_t a, int64_t b, int64_t v)
{
	struct trace_rec *r;
	uint64_t need = kind == TRACE_BEGIN ? 2 : kind == TRACE_END ? 0 : 1;

	if (t == NULL || t->h == NULL)
		return;
	if (kind == TRACE_END && t->ghosts > 0) {
		t->ghosts--;
		return;
	}
	if (kind == TRACE_END && t->depth == 0)
		return;			/* an end of nothing: not ours */
	if (t->n + t->depth + need > t->cap && (t->cap == t->max ||
	    trace_reserve(t, t->cap + TRACE_CHUNK) < 0)) {
		if (kind == TRACE_BEGIN)
			t->ghosts++;
		atomic_fetch_add_explicit(&t->h->dropped, 1,
		    memory_order_relaxed);
		return;
	}
	r = &t->rec[t->n];
	r->ns = trace_now_ns();
	r->kind = (uint16_t)kind;
	r->arg = (uint16_t)arg;
	r->pid = pid;
	r->a = a;
	r->b = b;
	r->v = v;
	if (kind == TRACE_BEGIN)
		t->depth++;
	else if (kind == TRACE_END)
		t->depth--;
	t->n++;
	/* Release: a reader that sees n sees the record. */
	atomic_store_explicit(&t->h->n, t->n, memory_order_release);
}
