/*
 * serve_util: what the tests of `banklab serve` share: start a server on
 * port 0 as the test process's child (SIGTERM if the test process dies),
 * stop it, and send requests with libcurl, every one under a timeout.
 * Linked only into tests/check_serve; helpers assert (ck_assert_*), so
 * they run in the test's own process.
 */
#ifndef TESTS_SERVE_UTIL_H
#define TESTS_SERVE_UTIL_H

#include <stdint.h>
#include <sys/types.h>

#include <check.h>
#include <curl/curl.h>

#define SRV_START_MS	5000
#define REQ_TIMEOUT_MS	5000L

struct srv {
	pid_t pid;
	int out;			/* read end of its stdout */
	unsigned port;
	char name[64];
	char url[64];			/* http://127.0.0.1:PORT */
};

struct reply {
	long status;
	char body[8192];
	size_t len;
	char teller[32];		/* X-Banklab-Teller */
	char allow[32];
	char retry[16];
};

/* One line of fd into buf within ms, or "" on timeout or EOF. */
void srv_line(int fd, char *buf, size_t len, unsigned ms);

/* Start `banklab serve NAME --listen 127.0.0.1:0` and the words of args. */
void srv_start(struct srv *s, const char *const *args);

/* SIGTERM; its wait status within 10 s (else SIGKILL and -1). */
int srv_stop(struct srv *s);

/* The same with signal sig (SIGINT: as Ctrl-C). */
int srv_stop_sig(struct srv *s, int sig);

/*
 * Set c up for one request (r zeroed, to be filled); the header list to
 * free after it.  ctype NULL sends no Content-Type, auth NULL no
 * Authorization.
 */
struct curl_slist *req_setup(CURL *c, const struct srv *s,
    const char *method, const char *path, const char *ctype,
    const char *body, const char *auth, struct reply *r);

/* Undo a request set up with req_setup() and added to multi m. */
void req_multi_end(CURLM *m, CURL *c, struct curl_slist *h);

/* One request; ctype NULL sends no Content-Type.  CURLE_OK or curl's. */
int req(const struct srv *s, const char *method, const char *path,
    const char *ctype, const char *body, struct reply *r);

/* The same with Authorization: auth (NULL: none). */
int req_auth(const struct srv *s, const char *method, const char *path,
    const char *ctype, const char *body, const char *auth, struct reply *r);

/* A request that must get an HTTP answer with X-Banklab-Teller; status. */
long req_ok(const struct srv *s, const char *method, const char *path,
    const char *body, struct reply *r);

/* The integer at a dotted path ("check.lost_updates") of a JSON body. */
int64_t jint(const char *body, const char *path);

/* An open GET /v1/events, pumped by the test (serve_sse.c). */
#define SSE_MAX		(256 * 1024)

struct sse {
	CURL *c;
	CURLM *m;
	struct curl_slist *h;
	char *buf;			/* what came, NUL-terminated */
	size_t len;
};

void sse_open(struct sse *e, const struct srv *s);

/* The same until it says something (a teller may be starting). */
void sse_open_answered(struct sse *e, const struct srv *s);

/* Pump until buf holds n copies of what, or ms pass: how many it holds. */
int sse_until(struct sse *e, const char *what, int n, unsigned ms);

void sse_close(struct sse *e);

/* The integer at key in the data of the k-th (from 0) event name. */
int64_t sse_field(const struct sse *e, const char *name, int k,
    const char *key);

/* The load tests (check_serve_load.c). */
void serve_load_tcases(Suite *s);

/* The anomaly events and the wait-for graph (check_serve_events.c). */
void serve_events_tcases(Suite *s);

#endif
