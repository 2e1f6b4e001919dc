/*
 * grade_main: the grader's two roles (grade.h).
 *
 *   grade -w BIN [-O OUT] [-j results.json] [-x junit.xml] [-o CHECK]
 *         [-e N] [-P LANES]
 *	grades: BIN/eN/ holds exercise N's build (grade, banklab, ...) or
 *	error.txt, the reason it has none.  Never loads a submission.
 *   grade -n [-o CHECK] [-e N]
 *	only checks the arguments (exit 2 if they name nothing).
 *   grade --run CHECK --bin DIR --out DIR
 *	one check, in a process built with the submission: its verdict is
 *	one JSON object on descriptor 3.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "grade.h"
#include "lab.h"
#include "scenarios/progress.h"

#if defined(__SANITIZE_ADDRESS__)
#define HAS_ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAS_ASAN	1
#endif
#endif

#define LANE_BUDGET_S	50	/* one exercise's checks, timeouts included */
#define MEM_LIMIT	(2ULL << 30)	/* address space of a check */

struct outcome {
	bool was_run;
	bool is_pass;
	char reason[512];
	char repro[768];
	char sched[2048];
	char output[1024];	/* what the check process printed */
};

struct opts {
	const char *bin, *out, *json, *junit, *only;
	int ex;			/* 0: all */
	int lanes;
};

static bool
selected(const struct opts *o, unsigned k)
{
	return (o->only == NULL || strcmp(o->only, grade_checks[k].name) == 0)
	    && (o->ex == 0 || o->ex == grade_checks[k].exercise);
}

/* ------------------------------------------------------------ a check */

/* The check process: run one check, say how it went on descriptor 3. */
static int
run_one(const char *name)
{
	struct json_object *v;
	TestResult **tr;
	SRunner *sr;
	Suite *s;
	TCase *tc;
	unsigned k;
	FILE *f;

	for (k = 0; k < grade_ncheck; k++)
		if (strcmp(grade_checks[k].name, name) == 0)
			break;
	if (k == grade_ncheck || (f = fdopen(3, "w")) == NULL)
		return LAB_EXIT_USAGE;
	grade_note.check = grade_checks[k].name;
	s = suite_create("grade");
	tc = tcase_create(name);
	tcase_add_test(tc, *grade_checks[k].test);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	/* The grader is this process's timeout and its crash handler. */
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_SILENT);
	tr = srunner_results(sr);
	v = json_object_new_object();
	json_object_object_add(v, "pass", json_object_new_boolean(
	    srunner_ntests_run(sr) == 1 && tr_rtype(tr[0]) == CK_PASS));
	json_object_object_add(v, "reason", json_object_new_string(
	    srunner_ntests_run(sr) == 1 && tr_msg(tr[0]) ? tr_msg(tr[0]) :
	    ""));
	json_object_object_add(v, "repro",
	    json_object_new_string(grade_note.repro));
	json_object_object_add(v, "sched",
	    json_object_new_string(grade_note.sched));
	fprintf(f, "%s\n", json_object_to_json_string_ext(v,
	    JSON_C_TO_STRING_PLAIN));
	fclose(f);
	json_object_put(v);
	free(tr);
	srunner_free(sr);
	return LAB_EXIT_OK;
}

/* In the check's process, before exec: limits, and OUT read-only. */
static void
confine(const char *out)
{
	struct rlimit rl = { MEM_LIMIT, MEM_LIMIT };

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
#ifndef HAS_ASAN
	setrlimit(RLIMIT_AS, &rl);	/* ASan reserves terabytes */
#else
	(void)rl;
#endif
	/* Where we may (root): its own view of OUT, read-only. */
	if (unshare(CLONE_NEWNS) == 0 &&
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
	    mount(out, out, NULL, MS_BIND, NULL) == 0)
		mount(NULL, out, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL);
}

/* Kill and reap every process left below us (we are a subreaper). */
static void
reap_all(pid_t pgid)
{
	char path[300], buf[512], *p;
	struct dirent *de;
	bool any = true;
	DIR *d;
	FILE *f;
	long ppid;

	if (pgid > 0)
		kill(-pgid, SIGKILL);
	while (any) {
		any = false;
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if ((d = opendir("/proc")) == NULL)
			return;
		while ((de = readdir(d)) != NULL) {
			if (!isdigit((unsigned char)de->d_name[0]))
				continue;
			snprintf(path, sizeof(path), "/proc/%.256s/stat",
			    de->d_name);
			if ((f = fopen(path, "r")) == NULL)
				continue;
			p = fgets(buf, sizeof(buf), f);
			fclose(f);
			if (p == NULL || (p = strrchr(buf, ')')) == NULL ||
			    sscanf(p + 2, "%*c %ld", &ppid) != 1 ||
			    ppid != (long)getpid())
				continue;
			kill((pid_t)atol(de->d_name), SIGKILL);
			waitpid((pid_t)atol(de->d_name), NULL, 0);
			any = true;
		}
		closedir(d);
	}
}

/* Remove what this grading left in /dev/shm: its ledgers carry the tag. */
static void
sweep(const char *tag)
{
	char name[300];
	struct dirent *de;
	DIR *d;

	if ((d = opendir("/dev/shm")) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "banklab-", 8) == 0 &&
		    strstr(de->d_name, tag) != NULL) {
			snprintf(name, sizeof(name), "/%s", de->d_name);
			shm_unlink(name);
		}
	closedir(d);
}

static void
verdict(const char *text, struct outcome *oc)
{
	struct json_object *v, *f;

	if ((v = json_tokener_parse(text)) == NULL)
		return;
	if (json_object_object_get_ex(v, "pass", &f))
		oc->is_pass = json_object_get_boolean(f);
	if (json_object_object_get_ex(v, "reason", &f))
		snprintf(oc->reason, sizeof(oc->reason), "%s",
		    json_object_get_string(f));
	if (json_object_object_get_ex(v, "repro", &f))
		snprintf(oc->repro, sizeof(oc->repro), "%s",
		    json_object_get_string(f));
	if (json_object_object_get_ex(v, "sched", &f))
		snprintf(oc->sched, sizeof(oc->sched), "%s",
		    json_object_get_string(f));
	json_object_put(v);
}

/* Read what is there into buf (bounded); false at end of file. */
static bool
drain(int fd, char *buf, size_t len, size_t *at)
{
	char scratch[512];
	ssize_t n;

	if (*at + 1 < len)
		n = read(fd, buf + *at, len - 1 - *at);
	else
		n = read(fd, scratch, sizeof(scratch));
	if (n <= 0)
		return false;
	if (*at + 1 < len)
		*at += (size_t)n;
	buf[*at] = '\0';
	return true;
}

static void
exec_check(const struct opts *o, unsigned k, int vfd, int ofd)
{
	const struct grade_check *c = &grade_checks[k];
	char prog[4200], bin[4096];

	confine(o->out);
	snprintf(bin, sizeof(bin), "%.4000s/e%d", o->bin, c->exercise);
	/* Its workers are the same build: the submission's code. */
	snprintf(prog, sizeof(prog), "%s/banklab", bin);
	setenv("BANKLAB_WORKER", prog, 1);
	snprintf(prog, sizeof(prog), "%s/grade", bin);
	dup2(ofd, 1);
	dup2(ofd, 2);
	if (vfd != 3) {
		dup2(vfd, 3);
		close(vfd);
	}
	execl(prog, prog, "--run", c->name, "--bin", bin, "--out", o->out,
	    (char *)NULL);
	_exit(127);
}

/* Run check k in its process under a timeout of secs; fill oc. */
static void
run_check(const struct opts *o, unsigned k, int secs, struct outcome *oc)
{
	const struct grade_check *c = &grade_checks[k];
	char vbuf[8192];
	size_t vat = 0, oat = 0;
	int vp[2], op[2], status = 0, left;
	bool vopen = true, oopen = true, timed_out = false;
	struct pollfd pf[2];
	uint64_t deadline;
	pid_t pid;

	if (pipe(vp) < 0 || pipe(op) < 0) {
		snprintf(oc->reason, sizeof(oc->reason), "pipe: %s",
		    strerror(errno));
		return;
	}
	fflush(NULL);
	if ((pid = fork()) == 0) {
		close(vp[0]);
		close(op[0]);
		exec_check(o, k, vp[1], op[1]);
	}
	close(vp[1]);
	close(op[1]);
	deadline = lab_now_ms() + (uint64_t)secs * 1000;
	while ((vopen || oopen) && !timed_out) {
		pf[0] = (struct pollfd){ vopen ? vp[0] : -1, POLLIN, 0 };
		pf[1] = (struct pollfd){ oopen ? op[0] : -1, POLLIN, 0 };
		left = (int)(deadline - lab_now_ms());
		if (lab_now_ms() >= deadline || poll(pf, 2, left) == 0) {
			timed_out = true;
			break;
		}
		if (pf[0].revents && !drain(vp[0], vbuf, sizeof(vbuf), &vat))
			vopen = false;
		if (pf[1].revents && !drain(op[0], oc->output,
		    sizeof(oc->output), &oat))
			oopen = false;
	}
	if (timed_out)
		kill(-pid, SIGKILL);
	waitpid(pid, &status, 0);
	reap_all(pid);
	close(vp[0]);
	close(op[0]);
	oc->was_run = true;
	if (timed_out) {
		snprintf(oc->reason, sizeof(oc->reason), "timed out after %d s: "
		    "%s", secs, c->hint);
		return;
	}
	if (WIFSIGNALED(status)) {
		snprintf(oc->reason, sizeof(oc->reason), "crashed: killed by "
		    "signal %d (%s)", WTERMSIG(status),
		    strsignal(WTERMSIG(status)));
		return;
	}
	verdict(vbuf, oc);
	if (vat == 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		oc->is_pass = false;
		if (oc->reason[0] == '\0')
			snprintf(oc->reason, sizeof(oc->reason), "the check "
			    "ended without a verdict (exit status %d)",
			    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
	oc->reason[strcspn(oc->reason, "\n")] = '\0';
}

/* Exercise ex's checks one after the other, within one time budget. */
static void
lane(const struct opts *o, int ex, int wfd)
{
	char path[4096], err[512], detail[1024];
	struct outcome oc;
	uint64_t end = lab_now_ms() + LANE_BUDGET_S * 1000;
	unsigned k;
	int secs;
	FILE *f;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	/* No build: the first line says why, the rest is the compiler's. */
	snprintf(path, sizeof(path), "%s/e%d/error.txt", o->bin, ex);
	err[0] = detail[0] = '\0';
	if ((f = fopen(path, "r")) != NULL) {
		if (fgets(err, sizeof(err), f) == NULL)
			snprintf(err, sizeof(err), "cannot be built");
		detail[fread(detail, 1, sizeof(detail) - 1, f)] = '\0';
		fclose(f);
		err[strcspn(err, "\n")] = '\0';
	}
	for (k = 0; k < grade_ncheck; k++) {
		if (grade_checks[k].exercise != ex || !selected(o, k))
			continue;
		memset(&oc, 0, sizeof(oc));
		oc.was_run = true;
		secs = (int)((end - lab_now_ms()) / 1000);
		if (secs > grade_checks[k].timeout)
			secs = grade_checks[k].timeout;
		if (err[0] != '\0') {
			snprintf(oc.reason, sizeof(oc.reason), "%s", err);
			snprintf(oc.output, sizeof(oc.output), "%s", detail);
		}
		else if (lab_now_ms() >= end || secs < 1)
			snprintf(oc.reason, sizeof(oc.reason), "not run: the "
			    "exercise's %d s were spent by checks that timed "
			    "out", LANE_BUDGET_S);
		else
			run_check(o, k, secs, &oc);
		if (write(wfd, &k, sizeof(k)) != sizeof(k) ||
		    write(wfd, &oc, sizeof(oc)) != sizeof(oc))
			_exit(LAB_EXIT_SYSTEM);
	}
	_exit(0);
}

/* Read exactly len bytes (a lane's record may arrive in pieces). */
static bool
read_full(int fd, void *buf, size_t len)
{
	size_t at = 0;
	ssize_t n;

	while (at < len) {
		if ((n = read(fd, (char *)buf + at, len - at)) < 0 &&
		    errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		at += (size_t)n;
	}
	return true;
}

/* Run the lanes, o->lanes at a time; collect every outcome. */
static void
run_lanes(const struct opts *o, struct outcome *oc)
{
	int fds[GRADE_EXERCISES + 1][2], ex, next = 1, running = 0, i;
	bool busy[GRADE_EXERCISES + 1] = { false };
	struct pollfd pf[GRADE_EXERCISES];
	int which[GRADE_EXERCISES];
	unsigned k, done = 0, total = 0;
	struct progress pg;

	for (k = 0; k < grade_ncheck; k++)
		total += selected(o, k);
	progress_start(&pg);	/* on a terminal: checks done of total */
	for (;;) {
		while (running < o->lanes && next <= GRADE_EXERCISES) {
			ex = next++;
			for (k = 0; k < grade_ncheck; k++)
				if (grade_checks[k].exercise == ex &&
				    selected(o, k))
					break;
			if (k == grade_ncheck || pipe(fds[ex]) < 0)
				continue;
			fflush(NULL);
			if (fork() == 0) {
				close(fds[ex][0]);
				lane(o, ex, fds[ex][1]);
			}
			close(fds[ex][1]);
			busy[ex] = true;
			running++;
		}
		if (running == 0)
			break;
		for (i = 0, ex = 1; ex <= GRADE_EXERCISES; ex++)
			if (busy[ex]) {
				pf[i] = (struct pollfd){ fds[ex][0], POLLIN, 0 };
				which[i++] = ex;
			}
		if (poll(pf, (nfds_t)i, -1) < 0 && errno != EINTR)
			break;
		while (i-- > 0) {
			if (pf[i].revents == 0)
				continue;
			ex = which[i];
			if (read_full(fds[ex][0], &k, sizeof(k)) &&
			    k < grade_ncheck &&
			    read_full(fds[ex][0], &oc[k], sizeof(oc[k]))) {
				progress_draw(&pg, ++done, total,
				    grade_checks[k].name);
				continue;
			}
			close(fds[ex][0]);
			busy[ex] = false;
			running--;
		}
	}
	progress_end(&pg);
	reap_all(0);
}

/* ------------------------------------------------------------ output */

static void
write_sched_files(const struct opts *o, const struct outcome *oc)
{
	char path[4096];
	unsigned k;
	FILE *f;

	for (k = 0; k < grade_ncheck; k++) {
		if (!oc[k].was_run || oc[k].is_pass || oc[k].sched[0] == '\0')
			continue;
		snprintf(path, sizeof(path), "%s/%s.sched", o->out,
		    grade_checks[k].name);
		if ((f = fopen(path, "w")) != NULL) {
			fputs(oc[k].sched, f);
			fclose(f);
		}
	}
}

/* Write path through a temporary file, so no half-written file is read. */
static FILE *
open_out(const char *path, char *tmp, size_t len)
{
	int fd;

	snprintf(tmp, len, "%s.XXXXXX", path);
	if ((fd = mkstemp(tmp)) < 0)
		return NULL;
	fchmod(fd, 0644);
	return fdopen(fd, "w");
}

static void
close_out(FILE *f, const char *tmp, const char *path)
{
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		fprintf(stderr, "grade: %s: %s\n", path, strerror(errno));
		unlink(tmp);
	}
}

static void
test_text(unsigned k, const struct outcome *oc, char *buf, size_t len)
{
	const struct grade_check *c = &grade_checks[k];

	if (oc->is_pass)
		snprintf(buf, len, "%s", c->what);
	else
		snprintf(buf, len, "%s\nFAILED: %s%s%s%s%s", c->what,
		    oc->reason, oc->repro[0] ? "\nreproduce: " : "", oc->repro,
		    oc->output[0] ? "\nthe check's output:\n" : "",
		    oc->output);
}

static void
write_json(const char *path, const struct outcome *oc, int score, int max,
    double secs)
{
	struct json_object *j = json_object_new_object(), *tests, *t;
	char tmp[4200], name[128], text[4096];
	unsigned k;
	FILE *f;

	tests = json_object_new_array();
	for (k = 0; k < grade_ncheck; k++) {
		if (!oc[k].was_run)
			continue;
		t = json_object_new_object();
		snprintf(name, sizeof(name), "%d %s: %s",
		    grade_checks[k].exercise,
		    grade_exercise_name[grade_checks[k].exercise],
		    grade_checks[k].name);
		test_text(k, &oc[k], text, sizeof(text));
		json_object_object_add(t, "name", json_object_new_string(name));
		json_object_object_add(t, "number",
		    json_object_new_string(grade_checks[k].name));
		json_object_object_add(t, "score", json_object_new_int(
		    oc[k].is_pass ? grade_checks[k].points : 0));
		json_object_object_add(t, "max_score",
		    json_object_new_int(grade_checks[k].points));
		json_object_object_add(t, "status", json_object_new_string(
		    oc[k].is_pass ? "passed" : "failed"));
		json_object_object_add(t, "output",
		    json_object_new_string(text));
		json_object_object_add(t, "visibility",
		    json_object_new_string("visible"));
		json_object_array_add(tests, t);
	}
	json_object_object_add(j, "score", json_object_new_int(score));
	json_object_object_add(j, "max_score", json_object_new_int(max));
	json_object_object_add(j, "execution_time",
	    json_object_new_double(secs));
	json_object_object_add(j, "visibility",
	    json_object_new_string("visible"));
	json_object_object_add(j, "tests", tests);
	if ((f = open_out(path, tmp, sizeof(tmp))) != NULL) {
		fprintf(f, "%s\n", json_object_to_json_string_ext(j,
		    JSON_C_TO_STRING_PRETTY));
		close_out(f, tmp, path);
	}
	json_object_put(j);
}

static void
xml_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\n')
				fputc(*s, f);
		}
	}
}

static void
write_junit(const char *path, const struct outcome *oc, int nrun,
    int failures)
{
	char tmp[4200], text[4096];
	unsigned k;
	FILE *f;

	if ((f = open_out(path, tmp, sizeof(tmp))) == NULL)
		return;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n"
	    "<testsuite name=\"banklab-grade\" tests=\"%d\" failures=\"%d\">"
	    "\n", nrun, failures);
	for (k = 0; k < grade_ncheck; k++) {
		if (!oc[k].was_run)
			continue;
		fprintf(f, "  <testcase classname=\"%d %s\" name=\"%s\">",
		    grade_checks[k].exercise,
		    grade_exercise_name[grade_checks[k].exercise],
		    grade_checks[k].name);
		if (!oc[k].is_pass) {
			test_text(k, &oc[k], text, sizeof(text));
			fputs("<failure message=\"", f);
			xml_escape(f, oc[k].reason);
			fputs("\">", f);
			xml_escape(f, text);
			fputs("</failure>", f);
		}
		fputs("</testcase>\n", f);
	}
	fputs("</testsuite>\n</testsuites>\n", f);
	close_out(f, tmp, path);
}

static void
report(const struct opts *o, const struct outcome *oc, double secs)
{
	int score = 0, max = 0, failures = 0, nrun = 0;
	const struct grade_check *c;
	unsigned k;

	printf("%-12s %-19s %6s  %s\n", "exercise", "check", "points",
	    "result");
	for (k = 0; k < grade_ncheck; k++) {
		if (!oc[k].was_run)
			continue;
		c = &grade_checks[k];
		nrun++;
		max += c->points;
		score += oc[k].is_pass ? c->points : 0;
		failures += !oc[k].is_pass;
		printf("%d %-10s %-19s %3d/%-2d  %s: %s\n", c->exercise,
		    grade_exercise_name[c->exercise], c->name,
		    oc[k].is_pass ? c->points : 0, c->points,
		    oc[k].is_pass ? "pass" : "FAIL", c->what);
		if (!oc[k].is_pass)
			printf("%35s why: %s\n", "", oc[k].reason);
		if (!oc[k].is_pass && oc[k].repro[0] != '\0')
			printf("%35s reproduce: %s\n", "", oc[k].repro);
	}
	printf("score: %d/%d (%.1f s)\n", score, max, secs);
	write_sched_files(o, oc);
	if (o->json != NULL)
		write_json(o->json, oc, score, max, secs);
	if (o->junit != NULL)
		write_junit(o->junit, oc, nrun, failures);
}

/* ------------------------------------------------------------ main */

static int
usage(const char *why)
{
	fprintf(stderr, "grade: %s\nusage: grade -w BIN [-O OUT] [-j "
	    "results.json] [-x junit.xml] [-o CHECK] [-e 1-4] [-P LANES]\n",
	    why);
	return LAB_EXIT_USAGE;
}

static int
parse(int argc, char **argv, struct opts *o, bool *dry)
{
	char *end;
	unsigned k;
	int opt;

	/* Every exercise at once: a grade whose every check hangs still
	 * ends within LANE_BUDGET_S. */
	o->lanes = GRADE_EXERCISES;
	o->out = ".";
	while ((opt = getopt(argc, argv, "nw:O:j:x:o:e:P:")) != -1) {
		switch (opt) {
		case 'n': *dry = true; break;
		case 'w': o->bin = optarg; break;
		case 'O': o->out = optarg; break;
		case 'j': o->json = optarg; break;
		case 'x': o->junit = optarg; break;
		case 'o': o->only = optarg; break;
		case 'e':
			o->ex = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || o->ex < 1 || o->ex > GRADE_EXERCISES)
				return usage("-e: not an exercise number "
				    "(1 to 4)");
			break;
		case 'P':
			o->lanes = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || o->lanes < 1 || o->lanes > 4)
				return usage("-P: not between 1 and 4");
			break;
		default:
			return usage("unknown option");
		}
	}
	if (optind != argc)
		return usage("unexpected argument");
	for (k = 0; k < grade_ncheck && !selected(o, k); k++)
		;
	if (k == grade_ncheck)
		return usage(o->only != NULL ? "-o: no such check (with this "
		    "-e)" : "no check selected");
	if (!*dry && o->bin == NULL)
		return usage("-w is required");
	return 0;
}

int
main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct outcome *oc;
	bool dry = false;
	char tag[32];
	uint64_t t0;
	int rc;

	if (argc == 7 && strcmp(argv[1], "--run") == 0) {
		grade_note.bin = argv[4];
		grade_note.out = argv[6];
		return run_one(argv[2]);
	}
	if ((rc = parse(argc, argv, &o, &dry)) != 0 || dry)
		return rc;
	if ((oc = calloc(grade_ncheck, sizeof(*oc))) == NULL)
		return LAB_EXIT_SYSTEM;
	snprintf(tag, sizeof(tag), "g%d", (int)getpid());
	setenv("BANKLAB_RUN_TAG", tag, 1);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	t0 = lab_now_ms();
	run_lanes(&o, oc);
	sweep(tag);
	report(&o, oc, (double)(lab_now_ms() - t0) / 1000);
	free(oc);
	return LAB_EXIT_OK;
}
