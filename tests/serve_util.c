/*
 * serve_util: the tests' server and client (serve_util.h).
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "lab.h"
#include "serve_util.h"
#include "spawn.h"
#include "testlib.h"

/* One line of fd into buf within ms, or "" on timeout or EOF. */
void
srv_line(int fd, char *buf, size_t len, unsigned ms)
{
	uint64_t end = lab_now_ms() + ms;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t n = 0;
	char ch;

	buf[0] = '\0';
	while (n + 1 < len && lab_now_ms() < end) {
		if (poll(&p, 1, (int)(end - lab_now_ms())) <= 0)
			continue;
		if (read(fd, &ch, 1) != 1)
			break;
		if (ch == '\n')
			break;
		buf[n++] = ch;
		buf[n] = '\0';
	}
}

/* Start `banklab serve` with the words of args after the common ones. */
void
srv_start(struct srv *s, const char *const *args)
{
	char prog[4096], line[256], *colon;
	const char *argv[40];
	int p[2], n = 0, i;

	ck_assert_int_eq(spawn_worker_path(getenv("BANKLAB_WORKER"), prog,
	    sizeof(prog)), 0);
	tl_name(s->name, sizeof(s->name));
	argv[n++] = prog;
	argv[n++] = "serve";
	argv[n++] = s->name;
	argv[n++] = "--listen";
	argv[n++] = "127.0.0.1:0";
	for (i = 0; args != NULL && args[i] != NULL && n < 38; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	fflush(NULL);
	s->pid = fork();
	ck_assert_int_ge(s->pid, 0);
	if (s->pid == 0) {
		/* A failed test's process dies: its server must follow. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(p[1], STDOUT_FILENO);
		execv(prog, (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	close(p[1]);
	s->out = p[0];
	srv_line(s->out, line, sizeof(line), SRV_START_MS);
	/* "listening on http://ADDR:PORT/", ADDR maybe "[IPv6]". */
	colon = strrchr(line, ':');
	ck_assert_msg(strncmp(line, "listening on http://", 20) == 0 &&
	    colon != NULL && sscanf(colon, ":%u/", &s->port) == 1 &&
	    strlen(line) - 13 < sizeof(s->url), "first line: \"%s\"", line);
	snprintf(s->url, sizeof(s->url), "%.*s", (int)strlen(line) - 14,
	    line + 13);
}

/* SIGTERM; its exit status within 10 s (then SIGKILL: -1). */
int
srv_stop(struct srv *s)
{
	return srv_stop_sig(s, SIGTERM);
}

int
srv_stop_sig(struct srv *s, int sig)
{
	uint64_t end = lab_now_ms() + 10000;
	int st = -1;

	kill(s->pid, sig);
	while (lab_now_ms() < end)
		if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
			close(s->out);
			return st;
		} else {
			tl_sleep_ms(10);
		}
	kill(s->pid, SIGKILL);
	(void)waitpid(s->pid, &st, 0);
	close(s->out);
	return -1;
}

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	size_t k = size * n, room = sizeof(r->body) - 1 - r->len;

	memcpy(r->body + r->len, data, k < room ? k : room);
	r->len += k < room ? k : room;
	r->body[r->len] = '\0';
	return k;
}

/* "Name: value\r\n" of header name into out. */
static void
take_header(const char *h, size_t k, const char *name, char *out,
    size_t len)
{
	size_t n = strlen(name), v;

	if (k <= n + 1 || strncasecmp(h, name, n) != 0 || h[n] != ':')
		return;
	h += n + 1, k -= n + 1;
	while (k > 0 && *h == ' ')
		h++, k--;
	for (v = 0; v < k && v + 1 < len && h[v] != '\r' && h[v] != '\n'; v++)
		out[v] = h[v];
	out[v] = '\0';
}

static size_t
on_header(char *h, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;

	take_header(h, size * n, "X-Banklab-Teller", r->teller,
	    sizeof(r->teller));
	take_header(h, size * n, "Allow", r->allow, sizeof(r->allow));
	take_header(h, size * n, "Retry-After", r->retry, sizeof(r->retry));
	return size * n;
}

struct curl_slist *
req_setup(CURL *c, const struct srv *s, const char *method, const char *path,
    const char *ctype, const char *body, const char *auth, struct reply *r)
{
	struct curl_slist *h = NULL;
	char url[256], ct[128];

	memset(r, 0, sizeof(*r));
	snprintf(url, sizeof(url), "%s%s", s->url, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, REQ_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	h = curl_slist_append(h, "Expect:");
	if (ctype != NULL) {
		snprintf(ct, sizeof(ct), "Content-Type: %s", ctype);
		h = curl_slist_append(h, ct);
	} else {
		h = curl_slist_append(h, "Content-Type:");
	}
	if (auth != NULL) {
		snprintf(ct, sizeof(ct), "Authorization: %s", auth);
		h = curl_slist_append(h, ct);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (body != NULL) {
		/* Copied: a load's handles outlive the caller's buffer. */
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
		curl_easy_setopt(c, CURLOPT_COPYPOSTFIELDS, body);
	}
	return h;
}

int
req(const struct srv *s, const char *method, const char *path,
    const char *ctype, const char *body, struct reply *r)
{
	return req_auth(s, method, path, ctype, body, NULL, r);
}

int
req_auth(const struct srv *s, const char *method, const char *path,
    const char *ctype, const char *body, const char *auth, struct reply *r)
{
	struct curl_slist *h;
	CURL *c = curl_easy_init();
	CURLcode rc;

	ck_assert_ptr_nonnull(c);
	h = req_setup(c, s, method, path, ctype, body, auth, r);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return (int)rc;
}

/* A request that must succeed at the HTTP level; its status. */
long
req_ok(const struct srv *s, const char *method, const char *path,
    const char *body, struct reply *r)
{
	int rc = req(s, method, path, body != NULL ? "application/json" :
	    NULL, body, r);

	ck_assert_msg(rc == CURLE_OK, "%s %s: %s", method, path,
	    curl_easy_strerror((CURLcode)rc));
	ck_assert_msg(r->teller[0] != '\0' && atoi(r->teller) > 0,
	    "%s %s: no X-Banklab-Teller", method, path);
	return r->status;
}

/* Integer at a dotted path ("check.lost_updates") of a JSON body. */
int64_t
jint(const char *body, const char *path)
{
	struct json_object *o = json_tokener_parse(body), *v = o;
	char key[64], *dot, *k = key;
	int64_t n;

	ck_assert_msg(o != NULL, "not JSON: %s", body);
	snprintf(key, sizeof(key), "%s", path);
	for (;;) {
		if ((dot = strchr(k, '.')) != NULL)
			*dot = '\0';
		ck_assert_msg(json_object_object_get_ex(v, k, &v),
		    "no \"%s\" in %s", path, body);
		if (dot == NULL)
			break;
		k = dot + 1;
	}
	n = json_object_get_int64(v);
	json_object_put(o);
	return n;
}

void
req_multi_end(CURLM *m, CURL *c, struct curl_slist *h)
{
	curl_multi_remove_handle(m, c);
	curl_multi_cleanup(m);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
}
