/*
 * trace_json: a run's trace files into one Chrome trace-event JSON file
 * (see trace_json.h).  Each event is made and written by json-c as it
 * comes, so a long trace is never one tree in memory; only the lock holds
 * are kept, to pair each release with the next holder (the flows).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "step.h"
#include "trace.h"
#include "trace_json.h"

#define TJ_DEPTH_MAX	32	/* deeper slices are not ours: cut */

/* A lock held, for the flows: key an account or TRACE_SEM. */
struct tj_hold {
	int64_t key;
	int32_t pid;
	uint64_t start, end;
};

struct tj_open {
	uint16_t slice;
	int64_t a, b, v;
	uint64_t ns;
};

struct tj {
	FILE *out;
	struct trace_json_stats *st;
	bool is_first;		/* no event written yet */
	int err;
	struct tj_hold *holds;
	size_t nholds, cap;
	/* The first pass's: the run's last record, whom others killed when. */
	bool is_scan;
	uint64_t end;
	struct tj_hold *kills;		/* pid, start: the time */
	size_t nkills, kcap;
	/* The process being read. */
	int32_t pid;
	unsigned depth;
	struct tj_open open[TJ_DEPTH_MAX];
	uint64_t lost;		/* its lost updates so far */
};

/* Microseconds, to the nanosecond, as the text json-c writes. */
static struct json_object *
tj_us(uint64_t ns)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64 ".%03u", ns / 1000,
	    (unsigned)(ns % 1000));
	return json_object_new_double_s((double)ns / 1000.0, buf);
}

static void
tj_add(struct json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

/* An event's common fields; the caller adds the rest and tj_write()s it. */
static struct json_object *
tj_event(const char *ph, const char *name, const char *cat, int32_t pid,
    uint64_t ns)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ph", json_object_new_string(ph));
	json_object_object_add(o, "name", json_object_new_string(name));
	if (cat != NULL)
		json_object_object_add(o, "cat", json_object_new_string(cat));
	tj_add(o, "pid", pid);
	tj_add(o, "tid", pid);
	json_object_object_add(o, "ts", tj_us(ns));
	return o;
}

static void
tj_write(struct tj *t, struct json_object *o)
{
	if (t->st->events >= TRACE_JSON_EVENTS_MAX) {
		t->st->dropped++;
	} else if (fprintf(t->out, "%s%s", t->is_first ? "\n" : ",\n",
	    json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)) < 0) {
		t->err = -EIO;
	} else {
		t->is_first = false;
		t->st->events++;
	}
	json_object_put(o);
}

/* An instant on pid's track, with args (taken). */
static void
tj_instant(struct tj *t, const char *name, const char *cat, int32_t pid,
    uint64_t ns, struct json_object *args)
{
	struct json_object *o = tj_event("i", name, cat, pid, ns);

	json_object_object_add(o, "s", json_object_new_string("t"));
	json_object_object_add(o, "args", args);
	tj_write(t, o);
}

/* An instant with one number in its args. */
static void
tj_instant1(struct tj *t, const char *name, const char *cat, int32_t pid,
    uint64_t ns, const char *k, int64_t v)
{
	struct json_object *args = json_object_new_object();

	tj_add(args, k, v);
	tj_instant(t, name, cat, pid, ns, args);
}

/* A counter track's value(s): up to two series. */
static void
tj_counter(struct tj *t, const char *name, uint64_t ns, const char *k1,
    int64_t v1, const char *k2, int64_t v2)
{
	struct json_object *o = tj_event("C", name, NULL, t->pid, ns);
	struct json_object *args = json_object_new_object();

	tj_add(args, k1, v1);
	if (k2 != NULL)
		tj_add(args, k2, v2);
	json_object_object_add(o, "args", args);
	tj_write(t, o);
}

/* "#3", or "semaphore" for the global one. */
static void
tj_acct(char *buf, size_t len, int64_t a)
{
	if (a == TRACE_SEM)
		snprintf(buf, len, "semaphore");
	else
		snprintf(buf, len, "#%" PRId64, a);
}

static void
tj_slice_name(const struct tj_open *s, char *buf, size_t len)
{
	const char *what = trace_slice_name(s->slice);
	char a[32], b[32];

	tj_acct(a, sizeof(a), s->a);
	tj_acct(b, sizeof(b), s->b);
	if (s->slice == TRACE_S_AUDIT)
		snprintf(buf, len, "%s", what);
	else if (s->slice == TRACE_S_TRANSFER)
		snprintf(buf, len, "%s %s -> %s", what, a, b);
	else if (s->slice == TRACE_S_BARE && s->b >= 0)
		snprintf(buf, len, "%s %s %s", what, a, b);
	else
		snprintf(buf, len, "%s %s", what, a);
}

/* Keep a hold for the flows; a full memory only loses flows. */
static void
tj_keep_hold(struct tj *t, const struct tj_open *s, uint64_t end)
{
	struct tj_hold *h;

	if (t->nholds == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 1024;

		if ((h = realloc(t->holds, cap * sizeof(*h))) == NULL)
			return;
		t->holds = h;
		t->cap = cap;
	}
	h = &t->holds[t->nholds++];
	h->key = s->a;
	h->pid = t->pid;
	h->start = s->ns;
	h->end = end;
}

/* The innermost open slice ends at ns with rc: an X event. */
static void
tj_close(struct tj *t, uint64_t ns, int64_t rc, bool is_cut)
{
	const struct tj_open *s = &t->open[--t->depth];
	bool is_lock = s->slice >= TRACE_S_WAIT;
	struct json_object *o, *args = json_object_new_object();
	char name[96];

	tj_slice_name(s, name, sizeof(name));
	o = tj_event("X", name, is_lock ? "lock" : "op", t->pid, s->ns);
	json_object_object_add(o, "dur", tj_us(ns - s->ns));
	if (s->slice == TRACE_S_TRANSFER) {
		tj_add(args, "from", s->a);
		tj_add(args, "to", s->b);
	} else if (s->slice != TRACE_S_AUDIT) {
		tj_add(args, "account", s->a);
		if (s->slice == TRACE_S_BARE && s->b >= 0)
			tj_add(args, "account2", s->b);
	}
	if (!is_lock && s->slice != TRACE_S_AUDIT &&
	    s->slice != TRACE_S_BALANCE)
		tj_add(args, "cents", s->v);
	tj_add(args, "rc", rc);
	if (is_cut)
		json_object_object_add(args, "unfinished",
		    json_object_new_boolean(true));
	json_object_object_add(o, "args", args);
	tj_write(t, o);
	if (s->slice == TRACE_S_HOLD)
		tj_keep_hold(t, s, ns);
}

static void
tj_open_slice(struct tj *t, const struct trace_rec *r)
{
	struct tj_open *s;

	if (t->depth == TJ_DEPTH_MAX || trace_slice_name(r->arg) == NULL) {
		t->st->dropped++;
		return;
	}
	s = &t->open[t->depth++];
	s->slice = r->arg;
	s->a = r->a;
	s->b = r->b;
	s->v = r->v;
	s->ns = r->ns;
}

/* SIGKILL: on the victim's track, and (sent) on ours. */
static void
tj_kill(struct tj *t, const struct trace_rec *r)
{
	struct json_object *args;
	const char *step = step_name(r->arg);

	if (r->pid <= 0) {
		args = json_object_new_object();
		json_object_object_add(args, "at step",
		    json_object_new_string(step != NULL ? step : "-"));
		tj_instant(t, "SIGKILL", "kill", t->pid, r->ns, args);
		return;
	}
	tj_instant1(t, "SIGKILL", "kill", r->pid, r->ns, "by", t->pid);
	tj_instant1(t, "kill", "kill", t->pid, r->ns, "pid", r->pid);
}

/* One process of a wait-for cycle, on its track; the cycle on ours. */
static void
tj_cycle(struct tj *t, const struct trace_rec *r)
{
	struct json_object *args = json_object_new_object();

	tj_add(args, "holds", r->a);
	tj_add(args, "waits for", r->b);
	tj_add(args, "seen by", t->pid);
	tj_instant(t, "on a deadlock cycle", "deadlock", r->pid, r->ns, args);
	if (r->arg == 0)
		tj_instant1(t, "deadlock cycle", "deadlock", t->pid, r->ns,
		    "processes", r->v);
}

/* An instant of this process's own. */
static void
tj_mark(struct tj *t, const struct trace_rec *r)
{
	struct json_object *args = json_object_new_object();
	const char *step = step_name(r->arg);
	char name[64], a[32];

	tj_acct(a, sizeof(a), r->a);
	switch (r->kind) {
	case TRACE_STEP:
		snprintf(name, sizeof(name), "%s", step ? step : "step");
		tj_add(args, "account", r->a);
		tj_add(args, "value", r->v);
		tj_instant(t, name, "step", t->pid, r->ns, args);
		return;
	case TRACE_LOST:
		snprintf(name, sizeof(name), "lost update %s", a);
		tj_add(args, "overwrote pid", r->pid);
		tj_add(args, "balance written", r->v);
		tj_instant(t, name, "anomaly", t->pid, r->ns, args);
		tj_counter(t, "lost updates made", r->ns, "lost", ++t->lost,
		    NULL, 0);
		return;
	case TRACE_REPAIR:
		snprintf(name, sizeof(name), "repair %s", a);
		tj_add(args, "dead pid", r->pid);
		tj_add(args, "found", r->b);
		tj_add(args, "restored", r->v);
		tj_instant(t, name, "repair", t->pid, r->ns, args);
		return;
	default:		/* TRACE_DEADLOCK */
		snprintf(name, sizeof(name), "deadlock waiting for %s", a);
		tj_add(args, "blocker pid", r->pid);
		tj_instant(t, name, "deadlock", t->pid, r->ns, args);
		return;
	}
}

static void
tj_record(struct tj *t, const struct trace_rec *r)
{
	switch (r->kind) {
	case TRACE_BEGIN:
		tj_open_slice(t, r);
		break;
	case TRACE_END:
		if (t->depth > 0)
			tj_close(t, r->ns, r->v, false);
		break;
	case TRACE_KILL:
		tj_kill(t, r);
		break;
	case TRACE_CYCLE:
		tj_cycle(t, r);
		break;
	case TRACE_MONEY:
		tj_counter(t, "money (cents)", r->ns, "balances", r->a,
		    "books", r->b);
		break;
	case TRACE_LOSTCOUNT:
		tj_counter(t, "lost updates", r->ns, "lost", r->v, NULL, 0);
		break;
	case TRACE_AUDITED:
		tj_counter(t, "audited total (cents)", r->ns, "audited", r->a,
		    "books", r->b);
		break;
	case TRACE_STEP:
	case TRACE_LOST:
	case TRACE_REPAIR:
	case TRACE_DEADLOCK:
		tj_mark(t, r);
		break;
	default:
		t->st->dropped++;
	}
}

/* The track's names: the process by its role, the thread by role and pid. */
static void
tj_names(struct tj *t, const char *role)
{
	static const char *const what[2] = { "process_name", "thread_name" };
	struct json_object *o, *args;
	char name[TRACE_ROLE_MAX + 24];
	int i;

	for (i = 0; i < 2; i++) {
		o = tj_event("M", what[i], NULL, t->pid, 0);
		json_object_object_del(o, "ts");
		args = json_object_new_object();
		if (i == 0)
			snprintf(name, sizeof(name), "%s", role);
		else
			snprintf(name, sizeof(name), "%s %d", role, (int)t->pid);
		json_object_object_add(args, "name",
		    json_object_new_string(name));
		json_object_object_add(o, "args", args);
		tj_write(t, o);
	}
}

/* A header worth reading: ours, and its counts within the file. */
static bool
tj_head_ok(const struct trace_head *h, size_t size)
{
	return atomic_load(&h->magic) == TRACE_MAGIC &&
	    h->version == TRACE_VERSION &&
	    h->rec_size == sizeof(struct trace_rec) && h->pid > 0 &&
	    h->cap <= TRACE_RECORDS && size == sizeof(*h) +
	    (size_t)h->cap * sizeof(struct trace_rec) &&
	    memchr(h->role, '\0', sizeof(h->role)) != NULL;
}

/* The first pass over a file: the run's end, and the kills it sent. */
static void
tj_scan(struct tj *t, const struct trace_rec *rec, uint64_t n)
{
	struct tj_hold *k;
	uint64_t i;

	for (i = 0; i < n; i++) {
		if (rec[i].ns > t->end)
			t->end = rec[i].ns;
		if (rec[i].kind != TRACE_KILL || rec[i].pid <= 0)
			continue;
		if (t->nkills == t->kcap) {
			size_t cap = t->kcap ? 2 * t->kcap : 64;

			if ((k = realloc(t->kills, cap * sizeof(*k))) == NULL)
				return;
			t->kills = k;
			t->kcap = cap;
		}
		k = &t->kills[t->nkills++];
		k->pid = rec[i].pid;
		k->start = rec[i].ns;
	}
}

/*
 * Where a process that left slices open stopped: at its last record if
 * that was its own SIGKILL, at the kill another sent it, else (waiting
 * still, as in a deadlock, when the run ended) at the run's end.
 */
static uint64_t
tj_stop(const struct tj *t, const struct trace_rec *last, uint64_t at)
{
	size_t i;

	if (last != NULL && last->kind == TRACE_KILL && last->pid <= 0)
		return at;
	for (i = 0; i < t->nkills; i++)
		if (t->kills[i].pid == t->pid && t->kills[i].start >= at)
			return t->kills[i].start;
	return t->end > at ? t->end : at;
}

/* One process's file, mapped: its track, its records in order. */
static void
tj_process(struct tj *t, const struct trace_head *h)
{
	const struct trace_rec *rec = (const struct trace_rec *)(h + 1);
	uint64_t n = atomic_load(&h->n), i, last = 0;

	if (n > h->cap)
		n = h->cap;
	if (t->is_scan) {
		tj_scan(t, rec, n);
		return;
	}
	t->pid = h->pid;
	t->depth = 0;
	t->lost = 0;
	t->st->processes++;
	t->st->dropped += atomic_load(&h->dropped);
	tj_names(t, h->role[0] != '\0' ? h->role : "process");
	for (i = 0; i < n; i++) {
		/* One clock: a time that goes back is not a record of ours. */
		if (rec[i].ns < last) {
			t->st->dropped++;
			continue;
		}
		last = rec[i].ns;
		tj_record(t, &rec[i]);
	}
	if (t->depth > 0)
		last = tj_stop(t, n > 0 ? &rec[n - 1] : NULL, last);
	while (t->depth > 0)
		tj_close(t, last, 0, true);
}

static int
tj_file(struct tj *t, int dfd, const char *name)
{
	struct stat sb;
	void *p;
	int fd;

	/* O_NONBLOCK: a FIFO dropped among the records must not hang us. */
	if ((fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) < 0)
		return -errno;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) ||
	    (size_t)sb.st_size < sizeof(struct trace_head)) {
		close(fd);
		return -EINVAL;
	}
	p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -errno;
	if (tj_head_ok(p, (size_t)sb.st_size))
		tj_process(t, p);
	else if (!t->is_scan)
		t->st->bad_files++;
	munmap(p, (size_t)sb.st_size);
	return 0;
}

static int
tj_hold_cmp(const void *x, const void *y)
{
	const struct tj_hold *a = x, *b = y;

	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return a->start < b->start ? -1 : a->start > b->start;
}

/*
 * A lock's release to its next holder, when that is another process that
 * took it after the release (under `none` nobody holds anything: no hold
 * slices, no flows).  The ends bind to the slices around them: 1 ns inside.
 */
static void
tj_flows(struct tj *t)
{
	struct json_object *o;
	char name[40];
	size_t i;
	int64_t id = 0;

	if (t->nholds < 2)
		return;			/* (and qsort() takes no NULL) */
	qsort(t->holds, t->nholds, sizeof(*t->holds), tj_hold_cmp);
	for (i = 0; i + 1 < t->nholds; i++) {
		const struct tj_hold *a = &t->holds[i], *b = a + 1;

		if (a->key != b->key || a->pid == b->pid || b->start < a->end)
			continue;
		tj_acct(name, sizeof(name), a->key);
		id++;
		o = tj_event("s", name, "handover", a->pid,
		    a->end > a->start ? a->end - 1 : a->end);
		tj_add(o, "id", id);
		tj_write(t, o);
		o = tj_event("f", name, "handover", b->pid,
		    b->end > b->start ? b->start + 1 : b->start);
		tj_add(o, "id", id);
		json_object_object_add(o, "bp", json_object_new_string("e"));
		tj_write(t, o);
	}
}

/* Every trace file of dir; in the second pass, each removed once read. */
static int
tj_dir(struct tj *t, const char *dir)
{
	size_t k = strlen(TRACE_SUFFIX), n;
	struct dirent *e;
	DIR *d;
	int r = 0;

	if ((d = opendir(dir)) == NULL)
		return -errno;
	while ((e = readdir(d)) != NULL) {
		n = strlen(e->d_name);
		if (n <= k || strcmp(e->d_name + n - k, TRACE_SUFFIX) != 0)
			continue;
		if (tj_file(t, dirfd(d), e->d_name) < 0 && !t->is_scan)
			t->st->bad_files++;
		if (!t->is_scan && unlinkat(dirfd(d), e->d_name, 0) < 0 &&
		    r == 0)
			r = -errno;
	}
	closedir(d);
	return r;
}

int
trace_json_merge(const char *dir, FILE *out, struct trace_json_stats *st)
{
	struct json_object *other;
	struct tj t;
	int r;

	memset(st, 0, sizeof(*st));
	memset(&t, 0, sizeof(t));
	t.out = out;
	t.st = st;
	t.is_first = true;
	fprintf(out, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[");
	t.is_scan = true;
	(void)tj_dir(&t, dir);
	t.is_scan = false;
	r = tj_dir(&t, dir);
	tj_flows(&t);
	free(t.holds);
	free(t.kills);
	other = json_object_new_object();
	json_object_object_add(other, "clock",
	    json_object_new_string("CLOCK_MONOTONIC, microseconds"));
	tj_add(other, "processes", st->processes);
	tj_add(other, "dropped", (int64_t)st->dropped);
	fprintf(out, "\n],\"otherData\":%s}\n",
	    json_object_to_json_string_ext(other, JSON_C_TO_STRING_PLAIN));
	json_object_put(other);
	if (rmdir(dir) < 0 && r == 0)
		r = -errno;
	if (fflush(out) == EOF || ferror(out) || t.err < 0)
		return -EIO;
	return r;
}
