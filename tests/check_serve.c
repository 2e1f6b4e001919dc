/*
 * check_serve: `banklab serve` over loopback, libcurl as the client.
 *
 * Each test starts its own server on port 0 (a fresh ledger name, which
 * serve makes and removes), reads the port from its first line, and talks
 * HTTP to it.  The server is the test process's child and gets SIGTERM if
 * the test process dies (PR_SET_PDEATHSIG), so a failed test leaves no
 * server behind; the name fixtures sweep /dev/shm after each case.  Every
 * loop is bounded in count and in time; every request has a timeout.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "lab.h"
#include "ledger.h"
#include "serve_util.h"
#include "spawn.h"
#include "sync.h"
#include "testlib.h"

static const char *const two_ordered[] = { "--tellers", "2", "--sync",
	"ordered", "--accounts", "10", "--balance", "1000", NULL };

START_TEST(t_start_stop)
{
	struct srv s;
	struct reply r;
	char path[128];
	int st;

	srv_start(&s, two_ordered);
	ck_assert_int_eq(req_ok(&s, "GET", "/v1/ledger", NULL, &r), 200);
	ck_assert_int_eq(jint(r.body, "accounts"), 10);
	ck_assert_int_eq(jint(r.body, "total_cents"), 10000);
	snprintf(path, sizeof(path), "/dev/shm/banklab-%s", s.name);
	ck_assert_int_eq(access(path, F_OK), 0);
	st = srv_stop(&s);
	ck_assert_msg(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "serve after SIGTERM: status %d", st);
	ck_assert_msg(access(path, F_OK) == -1 && errno == ENOENT,
	    "%s left behind", path);
	/* SIGINT (Ctrl-C) the same way. */
	srv_start(&s, two_ordered);
	ck_assert_int_eq(req_ok(&s, "GET", "/v1/ledger", NULL, &r), 200);
	st = srv_stop_sig(&s, SIGINT);
	ck_assert_msg(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "serve after SIGINT: status %d", st);
}
END_TEST

START_TEST(t_endpoints)
{
	struct srv s;
	struct reply r;

	srv_start(&s, two_ordered);
	ck_assert_int_eq(req_ok(&s, "POST", "/v1/deposit",
	    "{\"account\": 3, \"cents\": 250}", &r), 200);
	ck_assert_int_eq(jint(r.body, "account.balance_cents"), 1250);
	ck_assert_int_eq(req_ok(&s, "POST", "/v1/withdraw",
	    "{\"account\": 3, \"cents\": 50}", &r), 200);
	ck_assert_int_eq(jint(r.body, "account.balance_cents"), 1200);
	ck_assert_int_eq(req_ok(&s, "POST", "/v1/withdraw",
	    "{\"account\": 4, \"cents\": 1001}", &r), 409);
	ck_assert_int_eq(req_ok(&s, "POST", "/v1/transfer",
	    "{\"from\": 3, \"to\": 4, \"cents\": 200}", &r), 200);
	ck_assert_int_eq(jint(r.body, "from.balance_cents"), 1000);
	ck_assert_int_eq(jint(r.body, "to.balance_cents"), 1200);
	ck_assert_int_eq(req_ok(&s, "POST", "/v1/transfer",
	    "{\"from\": 3, \"to\": 4, \"cents\": 5000}", &r), 409);
	ck_assert_int_eq(req_ok(&s, "GET", "/v1/accounts/4", NULL, &r), 200);
	ck_assert_int_eq(jint(r.body, "balance_cents"), 1200);
	ck_assert_int_eq(jint(r.body, "version"), 1);
	ck_assert_int_eq(req_ok(&s, "GET", "/v1/accounts?offset=8&limit=5",
	    NULL, &r), 200);
	ck_assert_int_eq(jint(r.body, "count"), 2);
	ck_assert_int_eq(req_ok(&s, "GET", "/v1/audit", NULL, &r), 200);
	ck_assert_int_eq(jint(r.body, "total_cents"), 10200);
	ck_assert_int_eq(jint(r.body, "is_consistent"), 1);
	ck_assert_int_eq(req_ok(&s, "GET", "/v1/audit?mode=plain", NULL, &r),
	    200);
	ck_assert_int_eq(jint(r.body, "total_cents"), 10200);
	ck_assert_int_eq(req_ok(&s, "GET", "/v1/processes", NULL, &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body, "\"pid\""));
	ck_assert_int_eq(req_ok(&s, "GET", "/v1/ledger", NULL, &r), 200);
	ck_assert_int_eq(jint(r.body, "books_cents"), 10200);
	ck_assert_int_eq(jint(r.body, "check.kept"), 1);
	ck_assert_int_eq(srv_stop(&s), 0);
}
END_TEST

/* One row of bad input: what is sent, the status and words expected. */
struct bad_row {
	const char *method, *path, *ctype, *body;
	long status;
	const char *says;
};

static const struct bad_row bad_rows[] = {
	{ "POST", "/v1/deposit", "application/json", "{", 400, "malformed" },
	{ "POST", "/v1/deposit", "application/json", "", 400, "empty" },
	{ "POST", "/v1/deposit", "application/json", "[1]", 400,
	    "object" },
	{ "POST", "/v1/deposit", "application/json",
	    "{\"account\":1,\"cents\":5} x", 400, "malformed" },
	{ "POST", "/v1/deposit", "application/json", "{\"cents\":5}", 400,
	    "\\\"account\\\": missing" },
	{ "POST", "/v1/deposit", "application/json",
	    "{\"account\":1,\"cents\":5,\"memo\":1}", 400, "\\\"memo\\\"" },
	{ "POST", "/v1/deposit", "application/json",
	    "{\"account\":1,\"cents\":0}", 400, "\\\"cents\\\"" },
	{ "POST", "/v1/deposit", "application/json",
	    "{\"account\":1,\"cents\":-5}", 400, "\\\"cents\\\"" },
	{ "POST", "/v1/deposit", "application/json",
	    "{\"account\":1,\"cents\":2.5}", 400, "\\\"cents\\\"" },
	{ "POST", "/v1/deposit", "application/json",
	    "{\"account\":1,\"cents\":\"5\"}", 400, "\\\"cents\\\"" },
	{ "POST", "/v1/deposit", "application/json",
	    "{\"account\":1,\"cents\":99999999999999999999}", 400,
	    "\\\"cents\\\"" },
	{ "POST", "/v1/deposit", "application/json",
	    "{\"account\":1,\"cents\":1000000000000001}", 400,
	    "\\\"cents\\\"" },
	{ "POST", "/v1/withdraw", "application/json",
	    "{\"account\":10,\"cents\":5}", 400, "\\\"account\\\"" },
	{ "POST", "/v1/transfer", "application/json",
	    "{\"from\":2,\"to\":2,\"cents\":5}", 400, "\\\"to\\\"" },
	{ "POST", "/v1/transfer", "application/json",
	    "{\"from\":2,\"cents\":5}", 400, "\\\"to\\\"" },
	{ "POST", "/v1/deposit", "text/plain",
	    "{\"account\":1,\"cents\":5}", 415, "Content-Type" },
	{ "POST", "/v1/deposit", NULL, "{\"account\":1,\"cents\":5}", 415,
	    "Content-Type" },
	{ "GET", "/v1/nowhere", NULL, NULL, 404, "path" },
	{ "GET", "/v2/ledger", NULL, NULL, 404, "path" },
	{ "GET", "/v1/accounts/10", NULL, NULL, 404, "account" },
	{ "GET", "/v1/accounts/x1", NULL, NULL, 400, "\\\"id\\\"" },
	{ "GET", "/v1/accounts?limit=1001", NULL, NULL, 400,
	    "\\\"limit\\\"" },
	{ "GET", "/v1/audit?mode=fast", NULL, NULL, 400, "\\\"mode\\\"" },
	{ "GET", "/v1/deposit", NULL, NULL, 405, "method" },
	{ "DELETE", "/v1/ledger", NULL, NULL, 405, "method" },
	{ "POST", "/v1/ledger", "application/json", "{}", 405, "method" },
};

START_TEST(t_bad_input)
{
	const struct bad_row *b = &bad_rows[_i];
	struct srv s;
	struct reply r;
	int rc;

	srv_start(&s, two_ordered);
	rc = req(&s, b->method, b->path, b->ctype, b->body, &r);
	ck_assert_msg(rc == CURLE_OK, "row %d: %s", _i,
	    curl_easy_strerror((CURLcode)rc));
	ck_assert_msg(r.status == b->status, "row %d (%s %s %s): status %ld,"
	    " want %ld: %s", _i, b->method, b->path, b->body ? b->body : "",
	    r.status, b->status, r.body);
	ck_assert_msg(strstr(r.body, "\"error\"") != NULL &&
	    strstr(r.body, b->says) != NULL, "row %d: %s lacks %s", _i,
	    r.body, b->says);
	ck_assert_msg(r.teller[0] != '\0', "row %d: no X-Banklab-Teller", _i);
	if (b->status == 405)
		ck_assert_msg(r.allow[0] != '\0', "row %d: no Allow", _i);
	ck_assert_int_eq(req_ok(&s, "GET", "/v1/ledger", NULL, &r), 200);
	ck_assert_int_eq(jint(r.body, "total_cents"), 10000);
	ck_assert_int_eq(jint(r.body, "books_cents"), 10000);
	ck_assert_int_eq(srv_stop(&s), 0);
}
END_TEST

/* A body over --max-body: 413, whether its length is said or not. */
START_TEST(t_too_large)
{
	static const char *const args[] = { "--max-body", "64", "--accounts",
		"10", "--balance", "1000", NULL };
	char big[200];
	struct srv s;
	struct reply r;

	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "{\"account\":1,\"cents\":5}", 23);
	srv_start(&s, args);
	ck_assert_int_eq(req_ok(&s, "POST", "/v1/deposit", big, &r), 413);
	ck_assert_ptr_nonnull(strstr(r.body, "max-body"));
	ck_assert_int_eq(req_ok(&s, "GET", "/v1/ledger", NULL, &r), 200);
	ck_assert_int_eq(jint(r.body, "books_cents"), 10000);
	ck_assert_int_eq(srv_stop(&s), 0);
}
END_TEST

/* --token-file: a write without the token is 401 and changes nothing. */
START_TEST(t_token)
{
	char file[] = "/tmp/check_serve_tokenXXXXXX";
	const char *args[] = { "--accounts", "4", "--balance", "100",
		"--token-file", file, NULL };
	static const char dep[] = "{\"account\": 0, \"cents\": 5}";
	struct srv s;
	struct reply r;
	int fd;

	fd = mkstemp(file);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "s3cret\n", 7), 7);
	close(fd);
	srv_start(&s, args);
	ck_assert_int_eq(req_auth(&s, "POST", "/v1/deposit",
	    "application/json", dep, NULL, &r), CURLE_OK);
	ck_assert_int_eq(r.status, 401);
	ck_assert_int_eq(req_auth(&s, "POST", "/v1/deposit",
	    "application/json", dep, "Bearer s3cre", &r), CURLE_OK);
	ck_assert_int_eq(r.status, 401);
	ck_assert_int_eq(req_auth(&s, "POST", "/v1/deposit",
	    "application/json", dep, "Bearer s3cret", &r), CURLE_OK);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(req_ok(&s, "GET", "/v1/ledger", NULL, &r), 200);
	ck_assert_int_eq(jint(r.body, "books_cents"), 405);
	ck_assert_int_eq(srv_stop(&s), 0);
	unlink(file);
}
END_TEST

/* Listening beyond loopback without a token is bad usage: exit 2. */
START_TEST(t_token_needed)
{
	char prog[4096];
	pid_t pid;
	int st;

	ck_assert_int_eq(spawn_worker_path(getenv("BANKLAB_WORKER"), prog,
	    sizeof(prog)), 0);
	fflush(NULL);
	if ((pid = fork()) == 0) {
		execl(prog, prog, "serve", "tnever", "--listen", "0.0.0.0:0",
		    (char *)NULL);
		_exit(127);
	}
	st = tl_wait_exit(pid);
	ck_assert_int_eq(tl_exit_code(st), 2);
}
END_TEST

/*
 * A lock that is never released (semaphore, its holder SIGKILLed in a
 * transfer): 503 with Retry-After and the holder, the books unchanged.
 */
START_TEST(t_lock_dead_holder)
{
	static const char *const args[] = { "--tellers", "1", "--sync",
		"semaphore", "--lock-timeout", "300", "--accounts", "4",
		NULL };
	char prog[4096];
	struct srv s;
	struct reply r;
	int64_t books;
	pid_t pid;

	srv_start(&s, args);
	ck_assert_int_eq(spawn_worker_path(getenv("BANKLAB_WORKER"), prog,
	    sizeof(prog)), 0);
	fflush(NULL);
	if ((pid = fork()) == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		execl(prog, prog, "worker", s.name, "--mix", "transfer",
		    "--ops", "10", "--die-step", "5", "--die-after", "0",
		    (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(tl_exit_code(tl_wait_exit(pid)), 128 + SIGKILL);
	ck_assert_int_eq(req_ok(&s, "GET", "/v1/ledger", NULL, &r), 200);
	books = jint(r.body, "books_cents");
	ck_assert_int_eq(req_ok(&s, "POST", "/v1/deposit",
	    "{\"account\": 1, \"cents\": 1}", &r), 503);
	ck_assert_str_eq(r.retry, "1");
	ck_assert_int_eq(jint(r.body, "holder_pid"), pid);
	ck_assert_int_eq(req_ok(&s, "GET", "/v1/ledger", NULL, &r), 200);
	ck_assert_int_eq(jint(r.body, "books_cents"), books);
	ck_assert_int_eq(srv_stop(&s), 0);
}
END_TEST

/* GET /v1/events: about ten summaries a second; SIGTERM ends a stream. */
START_TEST(t_events)
{
	struct curl_slist *h;
	struct srv s;
	struct reply r;
	CURL *c = curl_easy_init();
	CURLM *m;
	const char *p;
	int n = 0, running, i;
	CURLcode rc;

	srv_start(&s, two_ordered);
	h = req_setup(c, &s, "GET", "/v1/events", NULL, NULL, NULL, &r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 1000L);
	rc = curl_easy_perform(c);
	ck_assert_int_eq(rc, CURLE_OPERATION_TIMEDOUT);
	for (p = r.body; (p = strstr(p, "event: summary\n")) != NULL; p++)
		n++;
	ck_assert_msg(n >= 5 && n <= 12, "%d summaries in 1 s", n);
	ck_assert_ptr_nonnull(strstr(r.body, "\"books_cents\": 10000"));
	ck_assert_msg(r.teller[0] != '\0', "no X-Banklab-Teller");
	/* A stream open at SIGTERM: the teller ends it and exits. */
	m = curl_multi_init();
	memset(&r, 0, sizeof(r));
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	curl_multi_add_handle(m, c);
	for (i = 0; i < 20; i++) {
		curl_multi_perform(m, &running);
		curl_multi_poll(m, NULL, 0, 20, NULL);
	}
	ck_assert_ptr_nonnull(strstr(r.body, "event: summary"));
	ck_assert_int_eq(srv_stop(&s), 0);
	req_multi_end(m, c, h);
}
END_TEST

/* Bad command lines: exit 2 and one line naming the option. */
static const struct {
	const char *args[6];
	const char *says;
} usage_rows[] = {
	{ { "serve", NULL }, "NAME is needed" },
	{ { "serve", "a", "b", NULL }, "one NAME only" },
	{ { "serve", "bad/name", NULL }, "bad/name" },
	{ { "serve", "x", "--tellers", "0", NULL }, "--tellers" },
	{ { "serve", "x", "--tellers", "65", NULL }, "--tellers" },
	{ { "serve", "x", "--listen", "localhost", NULL }, "--listen" },
	{ { "serve", "x", "--listen", "1.2.3:80", NULL }, "--listen" },
	{ { "serve", "x", "--listen", "127.0.0.1:65536", NULL }, "port" },
	{ { "serve", "x", "--listen", "[::1", NULL }, "--listen" },
	{ { "serve", "x", "--listen", "[::g]:80", NULL }, "--listen" },
	{ { "serve", "x", "--per-address", "-1", NULL }, "--per-address" },
	{ { "serve", "x", "--max-body", "1", NULL }, "--max-body" },
	{ { "serve", "x", "--sync", "fast", NULL }, "--sync" },
	{ { "serve", "x", "--listen-fd", "5", NULL }, "--listen-fd" },
	{ { "serve", "x", "--token-file", "/nonexistent/t", NULL },
	    "--token-file" },
	{ { "serve", "x", "--www", "/nonexistent/www", NULL }, "--www" },
	{ { "teller", "x", NULL }, "--listen-fd" },
};

/*
 * banklab with the words of args (NULL-terminated, at most 6): what it
 * wrote on fd (STDOUT_FILENO or STDERR_FILENO) into out; its wait status.
 */
static int
run_banklab(const char *const *args, int fd, char *out, size_t len)
{
	char prog[4096];
	const char *argv[8];
	int p[2], i, n;
	ssize_t k;
	pid_t pid;

	ck_assert_int_eq(spawn_worker_path(getenv("BANKLAB_WORKER"), prog,
	    sizeof(prog)), 0);
	argv[0] = prog;
	for (i = 0; i < 6 && args[i] != NULL; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	ck_assert_int_eq(pipe(p), 0);
	fflush(NULL);
	if ((pid = fork()) == 0) {
		dup2(p[1], fd);
		close(p[0]);
		execv(prog, (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	close(p[1]);
	for (n = 0; n < (int)len - 1 &&
	    (k = read(p[0], out + n, len - 1 - (size_t)n)) > 0; n += (int)k)
		;
	out[n] = '\0';
	close(p[0]);
	return tl_wait_exit(pid);
}

START_TEST(t_usage)
{
	char err[512];
	int st = run_banklab(usage_rows[_i].args, STDERR_FILENO, err,
	    sizeof(err));

	ck_assert_msg(tl_exit_code(st) == 2, "row %d: exit %d: %s", _i,
	    tl_exit_code(st), err);
	ck_assert_msg(tl_count_lines(err) == 1 &&
	    strstr(err, usage_rows[_i].says) != NULL,
	    "row %d: want one line with %s: %s", _i, usage_rows[_i].says, err);
}
END_TEST

/*
 * A second server on a port one listens on is refused (exit 3, one line),
 * makes no ledger, and leaves the first answering: SO_REUSEPORT alone
 * would let it join the first's group and take half its requests.
 */
START_TEST(t_port_taken)
{
	struct srv s;
	struct reply r;
	char listen[64], err[512];
	const char *args[] = { "serve", "porttaken-2nd", "--listen", listen,
		NULL };
	int st;

	srv_start(&s, two_ordered);
	snprintf(listen, sizeof(listen), "127.0.0.1:%u", s.port);
	st = run_banklab(args, STDERR_FILENO, err, sizeof(err));
	ck_assert_msg(tl_exit_code(st) == 3 && tl_count_lines(err) == 1 &&
	    strstr(err, "in use") != NULL, "a second server on port %u: "
	    "exit %d: %s", s.port, tl_exit_code(st), err);
	ck_assert(access("/dev/shm/banklab-porttaken-2nd", F_OK) == -1);
	ck_assert_int_eq(req_ok(&s, "GET", "/v1/ledger", NULL, &r), 200);
	ck_assert_msg(strstr(r.body, s.name) != NULL, "%s", r.body);
	ck_assert_int_eq(tl_exit_code(srv_stop(&s)), 0);
}
END_TEST

/*
 * A master killed with SIGKILL cannot remove the ledger it made: it is
 * marked stale (banklab list, destroy --stale).  Another suite's destroy
 * --stale may take it first, which says as much; else we remove it.
 */
START_TEST(t_master_killed)
{
	const char *destroy[] = { "destroy", NULL, NULL };
	struct ledger l;
	struct srv s;
	char out[512];
	int r;

	srv_start(&s, two_ordered);
	ck_assert_int_ne(srv_stop_sig(&s, SIGKILL), -1);
	if ((r = sync_attach(s.name, &l)) == -ENOENT)
		return;
	tl_assert_lab_eq(r, 0);
	ck_assert_msg(ledger_is_stale(&l), "%s: its maker is dead, but it "
	    "is not marked stale", s.name);
	ledger_detach(&l);
	destroy[1] = s.name;
	ck_assert_int_eq(tl_exit_code(run_banklab(destroy, STDERR_FILENO, out,
	    sizeof(out))), 0);
}
END_TEST

/* --help: exit 0, and what it must say on stdout. */
static const struct {
	const char *args[3];
	const char *says;
} help_rows[] = {
	{ { "serve", "--help", NULL }, "GET  /v1/events" },
	{ { "serve", "--help", NULL }, "--per-address" },
	{ { "teller", "--help", NULL }, "--listen-fd N --parent PID" },
};

START_TEST(t_help)
{
	char out[4096];
	int st = run_banklab(help_rows[_i].args, STDOUT_FILENO, out,
	    sizeof(out));

	ck_assert_int_eq(tl_exit_code(st), 0);
	ck_assert_msg(strstr(out, help_rows[_i].says) != NULL,
	    "%s --help does not say %s", help_rows[_i].args[0],
	    help_rows[_i].says);
}
END_TEST

/* SIGTERM while a deposit is in flight: it is answered, and it stands. */
START_TEST(t_inflight)
{
	static const char *const args[] = { "--tellers", "1", "--accounts",
		"4", "--balance", "100", "--window", "400000", NULL };
	struct curl_slist *h;
	struct srv s;
	struct reply r;
	CURL *c = curl_easy_init();
	CURLM *m = curl_multi_init();
	uint64_t end;
	int running = 1, left;
	CURLMsg *msg;
	CURLcode rc = CURLE_OK;
	bool is_done = false;

	srv_start(&s, args);
	h = req_setup(c, &s, "POST", "/v1/deposit", "application/json",
	    "{\"account\": 1, \"cents\": 7}", NULL, &r);
	curl_multi_add_handle(m, c);
	/* In the teller's window (0.4 s) by then. */
	for (end = lab_now_ms() + 150; lab_now_ms() < end;) {
		curl_multi_perform(m, &running);
		curl_multi_poll(m, NULL, 0, 10, NULL);
	}
	ck_assert_int_eq(srv_stop(&s), 0);
	for (end = lab_now_ms() + 3000; !is_done && lab_now_ms() < end;) {
		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &left)) != NULL)
			if (msg->msg == CURLMSG_DONE) {
				rc = msg->data.result;
				is_done = true;
			}
		curl_multi_poll(m, NULL, 0, 10, NULL);
	}
	ck_assert_msg(is_done && rc == CURLE_OK, "deposit in flight: %s",
	    is_done ? curl_easy_strerror(rc) : "not finished");
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(jint(r.body, "account.balance_cents"), 107);
	req_multi_end(m, c, h);
}
END_TEST

/* --listen [::1]:0: the same API over IPv6 (where the machine has ::1). */
START_TEST(t_ipv6)
{
	static const char *const args[] = { "--tellers", "1", "--listen",
		"[::1]:0", "--accounts", "3", NULL };
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };
	struct srv s;
	struct reply r;
	int fd = socket(AF_INET6, SOCK_STREAM, 0);

	sa.sin6_addr = in6addr_loopback;
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		printf("t_ipv6: skipped: no ::1 here\n");
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	srv_start(&s, args);
	ck_assert_msg(strncmp(s.url, "http://[::1]:", 13) == 0, "%s", s.url);
	ck_assert_int_eq(req_ok(&s, "GET", "/v1/ledger", NULL, &r), 200);
	ck_assert_int_eq(jint(r.body, "accounts"), 3);
	ck_assert_int_eq(req_ok(&s, "POST", "/v1/deposit",
	    "{\"account\": 2, \"cents\": 5}", &r), 200);
	ck_assert_int_eq(srv_stop(&s), 0);
}
END_TEST

Suite *serve_suite(void);

Suite *
serve_suite(void)
{
	Suite *s = suite_create("serve");
	TCase *tc;

	tc = tl_tcase(s, "start_stop", 30);
	tcase_add_test(tc, t_start_stop);
	tcase_add_test(tc, t_inflight);
	tcase_add_test(tc, t_ipv6);
	tc = tl_tcase(s, "endpoints", 30);
	tcase_add_test(tc, t_endpoints);
	tc = tl_tcase(s, "bad_input", 30);
	tcase_add_loop_test(tc, t_bad_input, 0,
	    (int)(sizeof(bad_rows) / sizeof(bad_rows[0])));
	tcase_add_test(tc, t_too_large);
	tc = tl_tcase(s, "token", 30);
	tcase_add_test(tc, t_token);
	tcase_add_test(tc, t_token_needed);
	tc = tl_tcase(s, "usage", 30);
	tcase_add_loop_test(tc, t_help, 0,
	    (int)(sizeof(help_rows) / sizeof(help_rows[0])));
	tcase_add_loop_test(tc, t_usage, 0,
	    (int)(sizeof(usage_rows) / sizeof(usage_rows[0])));
	tcase_add_test(tc, t_port_taken);
	tcase_add_test(tc, t_master_killed);
	tc = tl_tcase(s, "events", 30);
	tcase_add_test(tc, t_events);
	tc = tl_tcase(s, "locks", 30);
	tcase_add_test(tc, t_lock_dead_holder);
	serve_load_tcases(s);
	serve_events_tcases(s);
	return s;
}

int
main(void)
{
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = tl_run(serve_suite());
	curl_global_cleanup();
	return rc;
}
