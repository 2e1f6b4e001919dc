/*
 * cli_trace: --trace FILE for every program that runs processes (see
 * cli_trace.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_trace.h"
#include "lab.h"
#include "trace_json.h"

/* A private directory for the run's records: mkdtemp makes it 0700. */
static int
cli_trace_dir(char *buf, size_t len)
{
	const char *tmp = getenv("TMPDIR");
	int n;

	if (tmp == NULL || *tmp != '/')
		tmp = "/tmp";
	n = snprintf(buf, len, "%s/banklab-trace-XXXXXX", tmp);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return mkdtemp(buf) == NULL ? -errno : 0;
}

/*
 * Open FILE for the trace without harming what is there: made if absent
 * (then ours to remove on failure), else opened as it is and emptied
 * only when the trace is written (cli_trace_finish).  O_NONBLOCK: a FIFO
 * nobody reads is refused (ENXIO) rather than waited on.
 */
static int
cli_trace_open(struct cli_trace *ct)
{
	int fd, flags = O_WRONLY | O_NONBLOCK | O_CLOEXEC;

	if (*ct->path == '\0')
		return -ENOENT;
	if ((fd = open(ct->path, flags | O_CREAT | O_EXCL, 0666)) >= 0)
		ct->is_created = true;
	else if (errno != EEXIST || (fd = open(ct->path, flags)) < 0)
		return -errno;
	if (fcntl(fd, F_SETFL, 0) < 0 ||	/* blocking writes again */
	    (ct->out = fdopen(fd, "w")) == NULL) {
		int r = -errno;

		close(fd);
		if (ct->is_created)
			unlink(ct->path);
		return r;
	}
	return 0;
}

int
cli_trace_start(const char *prog, const char *path, const char *role,
    struct cli_trace *ct)
{
	char dir[TRACE_DIR_MAX];
	int r;

	memset(ct, 0, sizeof(ct[0]));
	if (path == NULL)
		return 0;
	ct->path = path;
	if ((r = cli_trace_open(ct)) < 0) {
		fprintf(stderr, "%s: --trace \"%s\": %s\n", prog, path,
		    r == -ENXIO ? "a FIFO that nobody reads" : strerror(-r));
		return r;
	}
	if ((r = cli_trace_dir(dir, sizeof(dir))) < 0 ||
	    (r = trace_open(dir, role, &ct->self)) < 0) {
		fprintf(stderr, "%s: --trace: a directory for the records "
		    "(%s): %s\n", prog, dir, strerror(-r));
		if (r != -ENAMETOOLONG)
			rmdir(dir);
		fclose(ct->out);
		if (ct->is_created)
			unlink(path);
		return r;
	}
	ct->is_on = true;
	return 0;
}

struct trace *
cli_trace_writer(struct cli_trace *ct)
{
	return ct->is_on ? &ct->self : NULL;
}

int
cli_trace_finish(const char *prog, struct cli_trace *ct)
{
	struct trace_json_stats st;
	int r;

	if (!ct->is_on)
		return 0;
	ct->is_on = false;
	trace_close(&ct->self);
	/* Emptied now, not at the start: a failed start leaves FILE be. */
	if (ftruncate(fileno(ct->out), 0) < 0 && errno != EINVAL)
		r = -errno;
	else
		r = trace_json_merge(ct->self.dir, ct->out, &st);
	if (fclose(ct->out) == EOF && r == 0)
		r = -errno;
	if (r < 0) {
		fprintf(stderr, "%s: --trace \"%s\": %s\n", prog, ct->path,
		    strerror(-r));
		return r;
	}
	if (st.dropped > 0 || st.bad_files > 0)
		fprintf(stderr, "%s: --trace \"%s\": %u processes; %llu "
		    "records left out (a process's cap is %u)%s\n", prog,
		    ct->path, st.processes, (unsigned long long)st.dropped,
		    TRACE_RECORDS, st.bad_files ? "; files that were not "
		    "traces skipped" : "");
	return 0;
}

int
cli_trace_run(const char *prog, const char *path, const char *role,
    cli_traced_fn fn, void *arg)
{
	struct cli_trace ct;
	int rc, r;

	if ((r = cli_trace_start(prog, path, role, &ct)) < 0)
		return LAB_EXIT_SYSTEM;
	rc = fn(cli_trace_writer(&ct), arg);
	if ((r = cli_trace_finish(prog, &ct)) < 0)
		return LAB_EXIT_SYSTEM;
	return rc;
}

void
cli_trace_abandon(struct cli_trace *ct)
{
	FILE *null;

	if (!ct->is_on)
		return;
	/* The merge removes what the processes wrote; its output goes. */
	if ((null = fopen("/dev/null", "w")) != NULL) {
		FILE *out = ct->out;

		ct->out = null;
		(void)cli_trace_finish("", ct);
		ct->out = out;
	} else {
		ct->is_on = false;
		trace_close(&ct->self);
	}
	fclose(ct->out);
	if (ct->is_created)
		unlink(ct->path);
}
