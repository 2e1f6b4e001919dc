/*
 * check_serve_events: GET /v1/events tells each anomaly once, read
 * through SSE with libcurl while real processes make it happen on the
 * served ledger: lost updates under none (banklab worker, two at once),
 * a deadlock under robust (two workers transferring in opposite order),
 * a teller SIGKILLed in a transfer under ordered (a dead holder, then a
 * repair that leaves both accounts before or after, the books kept), and
 * GET /v1/processes showing who waits for whom.  Every wait is bounded.
 */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <curl/curl.h>

#include "lab.h"
#include "ledger.h"
#include "serve_util.h"
#include "spawn.h"
#include "sync.h"
#include "testlib.h"

#define WAIT_MS		5000u

/* `banklab CMD NAME args...`, quiet, dying with the test. */
static pid_t
banklab(const char *cmd, const char *name, const char *const *args)
{
	char prog[4096];
	const char *argv[32];
	int n = 0, i;
	pid_t pid;

	ck_assert_int_eq(spawn_worker_path(getenv("BANKLAB_WORKER"), prog,
	    sizeof(prog)), 0);
	argv[n++] = prog;
	argv[n++] = cmd;
	argv[n++] = name;
	for (i = 0; args[i] != NULL && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	fflush(NULL);
	if ((pid = fork()) == 0) {
		int null = open("/dev/null", O_WRONLY);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		execv(prog, (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	ck_assert_int_gt(pid, 0);
	return pid;
}

static pid_t
worker(const char *name, const char *const *args)
{
	return banklab("worker", name, args);
}

/*
 * Two workers deposit into the same accounts without locks: every lost
 * update is its own event (not one event with a count), and what they
 * overwrote adds up to the ledger's count.
 */
START_TEST(t_events_lost_each)
{
	static const char *const args[] = { "--tellers", "1", "--sync",
		"none", "--accounts", "2", NULL };
	static const char *const dep[] = { "--sync", "none", "--mix",
		"deposit", "--ops", "300", "--window", "300", NULL };
	struct srv s;
	struct sse e;
	struct reply r;
	int64_t lost, sum = 0;
	pid_t a, b;
	int n, k;

	srv_start(&s, args);
	sse_open(&e, &s);
	ck_assert_int_eq(sse_until(&e, "event: summary", 1, WAIT_MS), 1);
	a = worker(s.name, dep);
	b = worker(s.name, dep);
	ck_assert_int_eq(tl_exit_code(tl_wait_exit(a)), 0);
	ck_assert_int_eq(tl_exit_code(tl_wait_exit(b)), 0);
	ck_assert_int_eq(req_ok(&s, "GET", "/v1/ledger", NULL, &r), 200);
	lost = jint(r.body, "check.lost_updates");
	ck_assert_int_ge(lost, 2);
	/* A stream takes every event there is after each summary. */
	n = sse_until(&e, "event: summary", 0, 0);
	ck_assert_int_eq(sse_until(&e, "event: summary", n + 2, WAIT_MS),
	    n + 2);
	n = sse_until(&e, "event: lost_update", 0, 0);
	ck_assert_int_ge(n, 2);
	for (k = 0; k < n; k++) {
		ck_assert_int_eq(sse_field(&e, "lost_update", k, "seq"), k);
		sum += sse_field(&e, "lost_update", k, "overwrote");
	}
	/*
	 * Equal unless a write landed inside another's compare-and-store,
	 * a few instructions wide (event.h): a margin of 2, not a fudge.
	 */
	ck_assert_msg(sum >= lost - 2 && sum <= lost + 2,
	    "events overwrote %lld writes, the ledger counts %lld",
	    (long long)sum, (long long)lost);
	ck_assert_ptr_null(strstr(e.buf, "\"new\""));
	ck_assert_ptr_null(strstr(e.buf, "event: dropped"));
	ck_assert_int_eq(srv_stop(&s), 0);
	sse_close(&e);
}
END_TEST

/* Opposite transfers under robust: one deadlock, told once. */
START_TEST(t_events_deadlock)
{
	static const char *const args[] = { "--tellers", "1", "--sync",
		"robust", "--accounts", "2", "--balance", "1000000", NULL };
	static const char *const ab[] = { "--sync", "robust", "--mix",
		"transfer", "--from", "0", "--to", "1", "--max-amount", "1",
		"--ops", "5000000", "--stop-on-error", "--lock-timeout", "300",
		NULL };
	static const char *const ba[] = { "--sync", "robust", "--mix",
		"transfer", "--from", "1", "--to", "0", "--max-amount", "1",
		"--ops", "5000000", "--stop-on-error", "--lock-timeout", "300",
		NULL };
	struct srv s;
	struct sse e;
	int64_t p1, p2;
	pid_t a, b;
	int n;

	srv_start(&s, args);
	sse_open(&e, &s);
	ck_assert_int_eq(sse_until(&e, "event: summary", 1, WAIT_MS), 1);
	a = worker(s.name, ab);
	b = worker(s.name, ba);
	tl_wait_exit(a);
	tl_wait_exit(b);
	ck_assert_int_eq(sse_until(&e, "event: deadlock", 1, WAIT_MS), 1);
	/* Two more summaries: time for a second event, were there one. */
	n = sse_until(&e, "event: summary", 0, 0);
	ck_assert_int_eq(sse_until(&e, "event: summary", n + 2, WAIT_MS),
	    n + 2);
	ck_assert_int_eq(sse_until(&e, "event: deadlock", 2, 0), 1);
	ck_assert_int_eq(sse_field(&e, "deadlock", 0, "processes"), 2);
	p1 = sse_field(&e, "deadlock", 0, "first_pid");
	p2 = sse_field(&e, "deadlock", 0, "holder_pid");
	ck_assert_msg((p1 == a && p2 == b) || (p1 == b && p2 == a),
	    "cycle %lld -> %lld, workers %d and %d", (long long)p1,
	    (long long)p2, (int)a, (int)b);
	ck_assert_int_eq(srv_stop(&s), 0);
	sse_close(&e);
}
END_TEST

/* The pid of a live slot of role that holds two locks, within ms; or 0. */
static pid_t
holder_of_two(const struct ledger *l, enum ledger_role role, unsigned ms)
{
	uint64_t end = lab_now_ms() + ms;
	uint32_t i;

	do {
		for (i = 0; i < l->nslots; i++) {
			const struct ledger_slot *sl = &l->slots[i];

			if (atomic_load(&sl->pid) > 0 &&
			    atomic_load(&sl->role) == (uint32_t)role &&
			    atomic_load(&sl->holds[0]) >= 0 &&
			    atomic_load(&sl->holds[1]) >= 0)
				return atomic_load(&sl->pid);
		}
		tl_sleep_ms(5);
	} while (lab_now_ms() < end);
	return 0;
}

/*
 * A teller SIGKILLed in the middle of a transfer under ordered (in its
 * window, both locks held): the next stream tells the dead holder; an
 * audit takes every lock, repairs both accounts (two repair events), and
 * the transfer is all there or not at all: both accounts before, or both
 * after, and the books kept.
 */
START_TEST(t_killed_in_flight)
{
	static const char *const args[] = { "--tellers", "1", "--sync",
		"ordered", "--accounts", "2", "--balance", "1000", "--window",
		"300000", NULL };
	static const char *const no_args[] = { NULL };
	struct curl_slist *h;
	struct ledger l;
	struct srv s;
	struct sse e;
	struct reply r, rt;
	CURL *c = curl_easy_init();
	CURLM *m = curl_multi_init();
	int64_t b0, b1;
	int running, n;
	pid_t pid;

	srv_start(&s, args);
	tl_assert_lab_eq(sync_attach(s.name, &l), 0);
	h = req_setup(c, &s, "POST", "/v1/transfer", "application/json",
	    "{\"from\": 0, \"to\": 1, \"cents\": 300}", NULL, &rt);
	curl_multi_add_handle(m, c);
	curl_multi_perform(m, &running);
	pid = 0;
	for (uint64_t end = lab_now_ms() + WAIT_MS; pid == 0 &&
	    lab_now_ms() < end;) {
		curl_multi_perform(m, &running);
		curl_multi_poll(m, NULL, 0, 5, NULL);
		pid = holder_of_two(&l, LEDGER_ROLE_TELLER, 0);
	}
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	/* Gone (reaped), then its replacement answers. */
	for (uint64_t end = lab_now_ms() + WAIT_MS; kill(pid, 0) == 0 &&
	    lab_now_ms() < end;)
		tl_sleep_ms(5);
	sse_open_answered(&e, &s);
	ck_assert_int_eq(sse_until(&e, "event: dead_holder", 1, WAIT_MS), 1);
	ck_assert_int_eq(sse_field(&e, "dead_holder", 0, "dead_pid"), pid);
	/* Two more scans see it still there. */
	n = sse_until(&e, "event: summary", 0, 0);
	ck_assert_int_eq(sse_until(&e, "event: summary", n + 2, WAIT_MS),
	    n + 2);
	ck_assert_int_eq(sse_until(&e, "event: dead_holder", 2, 0), 1);
	/* An audit takes every lock: it repairs both (outside the teller,
	 * whose window would make it slow). */
	ck_assert_int_eq(tl_exit_code(tl_wait_exit(banklab("audit", s.name,
	    no_args))), 0);
	ck_assert_int_eq(sse_until(&e, "event: repair", 2, WAIT_MS), 2);
	ck_assert_int_eq(sse_field(&e, "repair", 0, "dead_pid"), pid);
	ck_assert_int_eq(sse_field(&e, "repair", 1, "dead_pid"), pid);
	ck_assert_int_eq(req_ok(&s, "GET", "/v1/accounts/0", NULL, &r), 200);
	b0 = jint(r.body, "balance_cents");
	ck_assert_int_eq(req_ok(&s, "GET", "/v1/accounts/1", NULL, &r), 200);
	b1 = jint(r.body, "balance_cents");
	ck_assert_msg((b0 == 1000 && b1 == 1000) || (b0 == 700 && b1 == 1300),
	    "half a transfer: #0 %lld, #1 %lld", (long long)b0,
	    (long long)b1);
	ck_assert_int_eq(req_ok(&s, "GET", "/v1/ledger", NULL, &r), 200);
	ck_assert_int_eq(jint(r.body, "check.kept"), 1);
	ck_assert_int_eq(jint(r.body, "total_cents"),
	    jint(r.body, "books_cents"));
	ledger_detach(&l);
	ck_assert_int_eq(srv_stop(&s), 0);
	sse_close(&e);
	req_multi_end(m, c, h);
}
END_TEST

/*
 * /v1/processes: each slot's role, and the wait-for edge.  A worker
 * holding #0 and #1 (stopped in its 0.1 s window) and a second worker waiting
 * for #0: it shows waits 0 and waits_for_pid the first.
 */
START_TEST(t_processes_waits)
{
	static const char *const args[] = { "--tellers", "1", "--sync",
		"ordered", "--accounts", "2", NULL };
	static const char *const hold[] = { "--sync", "ordered", "--mix",
		"transfer", "--from", "0", "--to", "1", "--ops", "1",
		"--max-amount", "1", "--window", "100000", NULL };
	static const char *const wait[] = { "--sync", "ordered", "--mix",
		"transfer", "--from", "1", "--to", "0", "--ops", "1",
		"--max-amount", "1", "--lock-timeout", "5000", NULL };
	char want[128];
	struct ledger l;
	struct srv s;
	struct reply r;
	uint64_t end;
	pid_t a, b;

	srv_start(&s, args);
	tl_assert_lab_eq(sync_attach(s.name, &l), 0);
	a = worker(s.name, hold);
	ck_assert_int_eq(holder_of_two(&l, LEDGER_ROLE_WORKER, WAIT_MS), a);
	ck_assert_int_eq(kill(a, SIGSTOP), 0);
	b = worker(s.name, wait);
	snprintf(want, sizeof(want), "\"pid\":%d,\"role\":\"worker\"",
	    (int)b);
	for (end = lab_now_ms() + WAIT_MS; lab_now_ms() < end;) {
		ck_assert_int_eq(req_ok(&s, "GET", "/v1/processes", NULL, &r),
		    200);
		if (strstr(r.body, want) != NULL &&
		    strstr(strstr(r.body, want), "\"waits\":0") != NULL)
			break;
		tl_sleep_ms(10);
	}
	ck_assert_msg(strstr(r.body, want) != NULL, "%s", r.body);
	snprintf(want, sizeof(want), "\"waits\":0,\"waits_for_pid\":%d",
	    (int)a);
	ck_assert_msg(strstr(r.body, want) != NULL, "no %s in %s", want,
	    r.body);
	ck_assert_ptr_nonnull(strstr(r.body, "\"role\":\"teller\""));
	kill(a, SIGCONT);
	ck_assert_int_eq(tl_exit_code(tl_wait_exit(a)), 0);
	ck_assert_int_eq(tl_exit_code(tl_wait_exit(b)), 0);
	ledger_detach(&l);
	ck_assert_int_eq(srv_stop(&s), 0);
}
END_TEST

void
serve_events_tcases(Suite *s)
{
	TCase *tc;

	tc = tl_tcase(s, "events_each", 30);
	tcase_add_test(tc, t_events_lost_each);
	tcase_add_test(tc, t_events_deadlock);
	tcase_add_test(tc, t_killed_in_flight);
	tcase_add_test(tc, t_processes_waits);
}
