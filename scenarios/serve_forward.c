/*
 * serve_forward: the way from a teller to the games process (serve_play.c)
 * and the socket between them.  A teller sends /v1/play... and /v1/levels
 * on, by libcurl over the Unix socket in the master's private folder, and
 * relays the status and the JSON answer; its handle is reused, so the
 * connection is kept alive between requests.  The master makes the folder
 * (mode 0700: only this user reaches the games) and the socket, bound and
 * listening before any child starts, and removes both at exit.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "api.h"
#include "serve.h"

#define FORWARD_ANSWER_MAX	(4 << 20)	/* a game's state is ~10 KiB */
#define FORWARD_TIMEOUT_MS	120000L		/* a give-up may explore long */
#define GAMES_SOCKET		"games.sock"

struct serve_forward {
	CURL *curl;
	char *path;
	char *buf;
	size_t len, cap;
	bool is_too_big;
};

struct serve_forward *
serve_forward_new(const char *socket_path)
{
	struct serve_forward *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	if ((f->path = strdup(socket_path)) == NULL ||
	    (f->curl = curl_easy_init()) == NULL) {
		free(f->path);
		free(f);
		return NULL;
	}
	return f;
}

void
serve_forward_free(struct serve_forward *f)
{
	if (f == NULL)
		return;
	curl_easy_cleanup(f->curl);
	free(f->path);
	free(f->buf);
	free(f);
}

bool
serve_forward_is_games(const char *url)
{
	return strcmp(url, "/v1/levels") == 0 || strcmp(url, "/v1/play") == 0 ||
	    strncmp(url, "/v1/play/", 9) == 0;
}

static size_t
forward_write(char *data, size_t size, size_t n, void *arg)
{
	struct serve_forward *f = arg;
	size_t k = size * n;
	char *b;

	if (f->len + k + 1 > FORWARD_ANSWER_MAX) {
		f->is_too_big = true;
		return 0;		/* curl stops: CURLE_WRITE_ERROR */
	}
	if (f->len + k + 1 > f->cap) {
		size_t cap = (f->len + k + 1) * 2;

		if ((b = realloc(f->buf, cap)) == NULL)
			return 0;
		f->buf = b;
		f->cap = cap;
	}
	memcpy(f->buf + f->len, data, k);
	f->len += k;
	f->buf[f->len] = '\0';
	return k;
}

void
serve_forward(struct serve_forward *f, const char *method, const char *url,
    const char *body, size_t len, unsigned *status, struct json_object **out)
{
	struct curl_slist *h = NULL;
	char target[512];
	long code = 0;
	CURLcode rc;

	f->len = 0;
	f->is_too_big = false;
	/* The url was routed here: only /v1/play... or /v1/levels. */
	snprintf(target, sizeof(target), "http://games%.480s", url);
	curl_easy_reset(f->curl);
	curl_easy_setopt(f->curl, CURLOPT_UNIX_SOCKET_PATH, f->path);
	curl_easy_setopt(f->curl, CURLOPT_URL, target);
	curl_easy_setopt(f->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(f->curl, CURLOPT_TIMEOUT_MS, FORWARD_TIMEOUT_MS);
	curl_easy_setopt(f->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(f->curl, CURLOPT_WRITEFUNCTION, forward_write);
	curl_easy_setopt(f->curl, CURLOPT_WRITEDATA, f);
	if (strcmp(method, "POST") == 0) {
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(f->curl, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(f->curl, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(f->curl, CURLOPT_POSTFIELDSIZE, (long)len);
	}
	rc = curl_easy_perform(f->curl);
	curl_slist_free_all(h);
	if (rc == CURLE_OK)
		curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &code);
	*out = rc == CURLE_OK && f->len > 0 ? json_tokener_parse(f->buf) :
	    NULL;
	if (*out == NULL || code < 200 || code > 599) {
		json_object_put(*out);
		*status = 503;
		*out = api_error(f->is_too_big ? "the games process: answer "
		    "too large" : "the games process is not answering (it is "
		    "restarted if it died): try again");
		return;
	}
	*status = (unsigned)code;
}

int
serve_games_socket(char *dir, size_t dlen, char *path, size_t plen, int *fd)
{
	struct sockaddr_un sa;
	int s, r;

	snprintf(dir, dlen, "/tmp/banklab-serve-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(path, plen, "%s/%s", dir, GAMES_SOCKET);
	if (strlen(path) >= sizeof(sa.sun_path)) {
		rmdir(dir);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(s, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(s, 64) == -1) {
		r = -errno;
		if (s >= 0)
			close(s);
		serve_games_unlink(dir, path);
		return r;
	}
	*fd = s;
	return 0;
}

void
serve_games_unlink(const char *dir, const char *path)
{
	(void)unlink(path);
	(void)rmdir(dir);
}

void
serve_take_body(char **body, size_t *len, bool *is_too_big, size_t max,
    const char *data, size_t n)
{
	if (*is_too_big || n > max - *len) {
		*is_too_big = true;
		return;
	}
	/* One byte more: the body ends with a NUL for whoever reads it. */
	if (*body == NULL && (*body = malloc(max + 1)) == NULL) {
		*is_too_big = true;	/* answered 413: no worse */
		return;
	}
	memcpy(*body + *len, data, n);
	*len += n;
	(*body)[*len] = '\0';
}
