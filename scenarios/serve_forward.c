/*
 * serve_forward: the way from a teller to the games process (serve_play.c)
 * and the socket between them.  A teller sends /v1/play... and /v1/levels
 * on, by libcurl over the Unix socket in the master's private folder, and
 * relays the status and the JSON answer.  Each such request is sent from
 * a thread of its own while MHD holds its connection suspended: a give-up
 * that explores for seconds holds that one client, not the teller (whose
 * one thread serves every other connection, event streams included).
 * At exit the teller calls serve_forward_stop(): every transfer is cut
 * short (503), and it waits for the threads before it stops MHD.
 * The master makes the folder (mode 0700: only this user reaches the
 * games) and the socket, bound and listening before any child starts,
 * and removes both at exit.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <microhttpd.h>

#include "api.h"
#include "serve.h"

#define FORWARD_ANSWER_MAX	(4 << 20)	/* a game's state is ~10 KiB */
#define FORWARD_TIMEOUT_MS	120000L		/* a give-up may explore long */
#define GAMES_DIR		"/tmp"
#define GAMES_PREFIX		"banklab-serve-"
#define GAMES_SOCKET		"games.sock"
/*
 * The bytes a forwarded path may hold: no games path needs others, and
 * curl refuses some (a space, CR LF) that MHD has unescaped.
 */
#define FORWARD_URL_CHARS	"ABCDEFGHIJKLMNOPQRSTUVWXYZ" \
				"abcdefghijklmnopqrstuvwxyz0123456789-._~/"

/*
 * The forwards of this process (a teller): once stopping, each transfer
 * is aborted by its progress callback and none begins; threads counts
 * those not yet ended, so the teller stops MHD only when none holds a
 * suspended connection or will touch MHD again.
 */
static _Atomic bool forward_is_stopping;
static _Atomic unsigned forward_threads;

/* One forwarded request, on a thread of its own. */
struct serve_forward {
	CURL *curl;
	char *path;
	char *buf;			/* the answer */
	size_t len, cap;
	bool is_too_big;
	/* The request, copied: the teller's thread goes on meanwhile. */
	struct MHD_Connection *c;
	char method[16];
	char url[480];
	char *body;
	size_t blen;
	unsigned status;
	struct json_object *out;
	char allow[32];			/* its Allow header */
	_Atomic bool is_done;
};

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

/* Keep the answer's Allow header (a 405's). */
static size_t
forward_header(char *h, size_t size, size_t n, void *arg)
{
	struct serve_forward *f = arg;
	size_t k = size * n, skip = strlen("Allow:");

	if (k > skip && strncasecmp(h, "Allow:", skip) == 0) {
		skip += strspn(h + skip, " ");
		snprintf(f->allow, sizeof(f->allow), "%.*s",
		    (int)strcspn(h + skip, "\r\n"), h + skip);
	}
	return k;
}

/* Called by curl about once a second at least: non-zero aborts. */
static int
forward_progress(void *arg, curl_off_t dtotal, curl_off_t dnow,
    curl_off_t utotal, curl_off_t unow)
{
	(void)arg, (void)dtotal, (void)dnow, (void)utotal, (void)unow;
	return atomic_load(&forward_is_stopping) ? 1 : 0;
}

/* Its answer when curl brought none (rc) or one with no JSON. */
static void
forward_fail(struct serve_forward *f, CURLcode rc)
{
	json_object_put(f->out);
	f->status = 503;
	f->out = api_error(rc == CURLE_ABORTED_BY_CALLBACK ? "the server is "
	    "stopping: try again" : f->is_too_big ? "the games process: "
	    "answer too large" : "the games process is not answering (it is "
	    "restarted if it died): try again");
}

/* The request to the games process, its answer into f->status, f->out. */
static void
forward_perform(struct serve_forward *f)
{
	bool is_head = strcmp(f->method, "HEAD") == 0;
	struct curl_slist *h = NULL;
	char target[512];
	long code = 0;
	CURLcode rc;

	/* The url was routed here: only /v1/play... or /v1/levels. */
	snprintf(target, sizeof(target), "http://games%s", f->url);
	curl_easy_setopt(f->curl, CURLOPT_UNIX_SOCKET_PATH, f->path);
	curl_easy_setopt(f->curl, CURLOPT_URL, target);
	curl_easy_setopt(f->curl, CURLOPT_CUSTOMREQUEST, f->method);
	curl_easy_setopt(f->curl, CURLOPT_TIMEOUT_MS, FORWARD_TIMEOUT_MS);
	curl_easy_setopt(f->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(f->curl, CURLOPT_WRITEFUNCTION, forward_write);
	curl_easy_setopt(f->curl, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(f->curl, CURLOPT_HEADERFUNCTION, forward_header);
	curl_easy_setopt(f->curl, CURLOPT_HEADERDATA, f);
	curl_easy_setopt(f->curl, CURLOPT_XFERINFOFUNCTION, forward_progress);
	curl_easy_setopt(f->curl, CURLOPT_NOPROGRESS, 0L);
	/* A HEAD's answer has a Content-Length and no body: wait for none. */
	if (is_head)
		curl_easy_setopt(f->curl, CURLOPT_NOBODY, 1L);
	if (strcmp(f->method, "POST") == 0) {
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(f->curl, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(f->curl, CURLOPT_POSTFIELDS,
		    f->body != NULL ? f->body : "");
		curl_easy_setopt(f->curl, CURLOPT_POSTFIELDSIZE,
		    (long)f->blen);
	}
	rc = curl_easy_perform(f->curl);
	curl_slist_free_all(h);
	if (rc == CURLE_OK)
		curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &code);
	if (rc == CURLE_OK && is_head)	/* MHD sends a HEAD no body */
		f->out = json_object_new_object();
	else if (rc == CURLE_OK && f->len > 0)
		f->out = json_tokener_parse(f->buf);
	if (f->out == NULL || code < 200 || code > 599)
		forward_fail(f, rc);
	else
		f->status = (unsigned)code;
}

static void *
forward_thread(void *arg)
{
	struct serve_forward *f = arg;

	forward_perform(f);
	atomic_store(&f->is_done, true);
	MHD_resume_connection(f->c);
	/* f may be freed by now (serve_forward_done): not touched again. */
	atomic_fetch_sub(&forward_threads, 1);
	return NULL;
}

static void
forward_free(struct serve_forward *f)
{
	if (f == NULL)
		return;
	if (f->curl != NULL)
		curl_easy_cleanup(f->curl);
	json_object_put(f->out);
	free(f->path);
	free(f->buf);
	free(f->body);
	free(f);
}

/* May url go to the games process now? */
static int
forward_check(const char *url)
{
	size_t n = strlen(url);

	if (atomic_load(&forward_is_stopping))
		return -ESHUTDOWN;
	if (n >= sizeof(((struct serve_forward *)NULL)->url))
		return -ENAMETOOLONG;
	return strspn(url, FORWARD_URL_CHARS) < n ? -EINVAL : 0;
}

int
serve_forward_start(const char *socket_path, struct MHD_Connection *c,
    const char *method, const char *url, const char *body, size_t len,
    struct serve_forward **out)
{
	struct serve_forward *f = calloc(1, sizeof(*f));
	pthread_attr_t a;
	pthread_t th;
	int r;

	*out = NULL;
	if ((r = forward_check(url)) < 0) {
		free(f);
		return r;
	}
	if (f == NULL || strlen(method) >= sizeof(f->method) ||
	    (f->path = strdup(socket_path)) == NULL ||
	    (len > 0 && (f->body = malloc(len)) == NULL) ||
	    (f->curl = curl_easy_init()) == NULL) {
		forward_free(f);
		return -ENOMEM;
	}
	f->c = c;
	snprintf(f->method, sizeof(f->method), "%s", method);
	snprintf(f->url, sizeof(f->url), "%s", url);
	if (len > 0)
		memcpy(f->body, body, len);
	f->blen = len;
	/* Suspended first: the thread may resume it at once. */
	MHD_suspend_connection(c);
	atomic_fetch_add(&forward_threads, 1);
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	r = pthread_create(&th, &a, forward_thread, f);
	pthread_attr_destroy(&a);
	if (r != 0) {
		atomic_fetch_sub(&forward_threads, 1);
		MHD_resume_connection(c);
		forward_free(f);
		return -r;
	}
	*out = f;
	return 0;
}

unsigned
serve_forward_refused(int r, struct json_object **out)
{
	static const struct {
		int code;
		unsigned status;
		const char *msg;
	} rows[] = {
		{ -ENAMETOOLONG, 414, "path too long" },
		{ -EINVAL, 404, "no such path" },
		{ -ESHUTDOWN, 503, "the server is stopping: try again" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (rows[i].code == r) {
			*out = api_error(rows[i].msg);
			return rows[i].status;
		}
	*out = api_error("the games process cannot be reached: try again");
	return 503;
}

bool
serve_forward_done(struct serve_forward *f, unsigned *status,
    struct json_object **out, char *allow, size_t alen)
{
	if (!atomic_load(&f->is_done))
		return false;
	snprintf(allow, alen, "%s", f->allow);
	*status = f->status;
	*out = f->out;
	f->out = NULL;
	forward_free(f);
	return true;
}

void
serve_forward_stop(void)
{
	atomic_store(&forward_is_stopping, true);
}

unsigned
serve_forward_running(void)
{
	return atomic_load(&forward_threads);
}

/* Is path a socket that no one listens on (its server was SIGKILLed)? */
static bool
forward_is_dead_socket(const char *path)
{
	struct sockaddr_un sa;
	int s, r;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path) ||
	    (s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return false;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	r = connect(s, (struct sockaddr *)&sa, sizeof(sa));
	close(s);
	return r == -1 && errno == ECONNREFUSED;
}

/*
 * The folders that servers killed by SIGKILL left (they could not remove
 * them): ours, older than a minute (not one being made now), whose
 * socket refuses connections.
 */
static void
forward_sweep(void)
{
	char d[300], sock[320];
	struct dirent *e;
	struct stat st;
	DIR *dp;

	if ((dp = opendir(GAMES_DIR)) == NULL)
		return;
	while ((e = readdir(dp)) != NULL) {
		if (strncmp(e->d_name, GAMES_PREFIX, strlen(GAMES_PREFIX)) != 0)
			continue;
		snprintf(d, sizeof(d), "%s/%.200s", GAMES_DIR, e->d_name);
		snprintf(sock, sizeof(sock), "%s/%s", d, GAMES_SOCKET);
		if (lstat(d, &st) == 0 && S_ISDIR(st.st_mode) &&
		    st.st_uid == getuid() && time(NULL) - st.st_mtime > 60 &&
		    forward_is_dead_socket(sock))
			serve_games_unlink(d, sock);
	}
	closedir(dp);
}

int
serve_games_socket(char *dir, size_t dlen, char *path, size_t plen, int *fd)
{
	struct sockaddr_un sa;
	int s, r;

	forward_sweep();
	snprintf(dir, dlen, "%s/%sXXXXXX", GAMES_DIR, GAMES_PREFIX);
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
