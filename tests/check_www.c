/*
 * check_www: the page's files as `banklab serve` serves them
 * (scenarios/serve_www.c): the real scenarios/www/ with its types, and a
 * folder of traps made here (a symlink out, a FIFO, a folder, a dotfile)
 * against names that try to climb out.  Also what /v1/events tells the
 * page.  Servers as in check_serve (tests/serve_util.c).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "lab.h"
#include "serve_util.h"
#include "testlib.h"

/* One request as it is written (no dot segments removed); status. */
static long
get(const struct srv *s, const char *method, const char *path,
    struct reply *r, char *type, size_t tlen)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h;
	const char *ct = NULL;
	CURLcode rc;

	ck_assert_ptr_nonnull(c);
	h = req_setup(c, s, method, path, NULL, NULL, NULL, r);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	rc = curl_easy_perform(c);
	ck_assert_msg(rc == CURLE_OK, "%s %s: %s", method, path,
	    curl_easy_strerror(rc));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
	snprintf(type, tlen, "%s", ct != NULL ? ct : "");
	ck_assert_msg(r->teller[0] != '\0', "%s %s: no X-Banklab-Teller",
	    method, path);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return r->status;
}

static const struct {
	const char *path, *type, *has;
} page_rows[] = {
	{ "/", "text/html; charset=utf-8", "<!doctype html>" },
	{ "/index.html", "text/html; charset=utf-8", "/v1/events" },
	{ "/style.css", "text/css; charset=utf-8", "" },
	{ "/main.js", "text/javascript; charset=utf-8", "import" },
	{ "/icon.svg", "image/svg+xml", "<svg" },
	{ "/?level=race", "text/html; charset=utf-8", "<!doctype html>" },
};

/* The shipped page (the source tree's, as an uninstalled build finds). */
START_TEST(t_page)
{
	static const char *const args[] = { "--tellers", "1", NULL };
	struct srv s;
	struct reply r;
	char type[128];
	size_t i;

	srv_start(&s, args);
	for (i = 0; i < sizeof(page_rows) / sizeof(page_rows[0]); i++) {
		ck_assert_int_eq(get(&s, "GET", page_rows[i].path, &r, type,
		    sizeof(type)), 200);
		ck_assert_str_eq(type, page_rows[i].type);
		ck_assert_msg(strstr(r.body, page_rows[i].has) != NULL,
		    "%s: no \"%s\"", page_rows[i].path, page_rows[i].has);
	}
	/* HEAD: the headers, no body. */
	ck_assert_int_eq(get(&s, "HEAD", "/", &r, type, sizeof(type)), 200);
	ck_assert_int_eq((long)r.len, 0);
	ck_assert_int_eq(get(&s, "POST", "/", &r, type, sizeof(type)), 405);
	ck_assert_str_eq(r.allow, "GET, HEAD");
	ck_assert_int_eq(get(&s, "DELETE", "/main.js", &r, type,
	    sizeof(type)), 405);
	/* The API is still the API. */
	ck_assert_int_eq(get(&s, "GET", "/v1/ledger", &r, type,
	    sizeof(type)), 200);
	ck_assert_int_eq(get(&s, "GET", "/v1/nothing", &r, type,
	    sizeof(type)), 404);
	ck_assert_int_eq(WEXITSTATUS(srv_stop(&s)), 0);
}
END_TEST

/* Names that must be 404, whatever is in the folder. */
static const char *const bad_paths[] = {
	"/../Makefile.am", "/..%2fMakefile.am", "/%2e%2e/Makefile.am",
	"/%2E%2E%2Fetc%2Fpasswd", "//etc/passwd", "/etc/passwd",
	"/sub/index.html", "/index.html/",
	"/index.html.bak", "/INDEX.html", "/.hidden.js", "/.html",
	"/out.html", "/fifo.html", "/dir.css", "/missing.js", "/favicon.ico",
	"/x.exe", "/index", "/v1x", "/a%20b.js",
	"/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.js",
};

/* A file name in dir. */
static void
put(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/*
 * The traps' folder is named after the runner (the test's parent, in fork
 * mode), which removes it after the case, passed or failed.
 */
#define TRAPS_DIR	"/tmp/banklab-www-%d-XXXXXX"

static void
traps_sweep(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf /tmp/banklab-www-%d-*",
	    (int)getpid());
	if (system(cmd) != 0)
		fprintf(stderr, "check_www: %s failed\n", cmd);
}

START_TEST(t_traps)
{
	char dir[64], path[512], type[128];
	const char *args[] = { "--tellers", "1", "--www", dir, NULL };
	struct srv s;
	struct reply r;
	size_t i;

	snprintf(dir, sizeof(dir), TRAPS_DIR, (int)getppid());
	ck_assert_ptr_nonnull(mkdtemp(dir));
	put(dir, "index.html", "<!doctype html>traps\n");
	put(dir, "ok-file_2.js", "export {};\n");
	put(dir, ".hidden.js", "secret\n");
	snprintf(path, sizeof(path), "%s/out.html", dir);
	ck_assert_int_eq(symlink("/etc/passwd", path), 0);
	snprintf(path, sizeof(path), "%s/fifo.html", dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	snprintf(path, sizeof(path), "%s/dir.css", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	srv_start(&s, args);
	ck_assert_int_eq(get(&s, "GET", "/", &r, type, sizeof(type)), 200);
	ck_assert_str_eq(r.body, "<!doctype html>traps\n");
	ck_assert_int_eq(get(&s, "GET", "/ok-file_2.js", &r, type,
	    sizeof(type)), 200);
	for (i = 0; i < sizeof(bad_paths) / sizeof(bad_paths[0]); i++) {
		ck_assert_msg(get(&s, "GET", bad_paths[i], &r, type,
		    sizeof(type)) == 404, "%s: %ld", bad_paths[i], r.status);
		ck_assert_msg(strstr(r.body, "root:") == NULL &&
		    strstr(r.body, "secret") == NULL, "%s: %s", bad_paths[i],
		    r.body);
		ck_assert_str_eq(type, "application/json");
	}
	ck_assert_int_eq(WEXITSTATUS(srv_stop(&s)), 0);
	/* Gone while served: 404s, no crash. */
	srv_start(&s, args);
	put(dir, "later.js", "x\n");
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(path), 0);
	ck_assert_int_eq(get(&s, "GET", "/later.js", &r, type, sizeof(type)),
	    404);
	ck_assert_int_eq(WEXITSTATUS(srv_stop(&s)), 0);
}
END_TEST

/* /v1/events: the balances and the processes, and ops in the summary. */
START_TEST(t_events_for_page)
{
	static const char *const args[] = { "--tellers", "1", "--accounts",
		"70", "--balance", "500", NULL };
	struct srv s;
	struct reply r;
	CURL *c = curl_easy_init();
	struct curl_slist *h;

	srv_start(&s, args);
	ck_assert_int_eq(req_ok(&s, "POST", "/v1/deposit",
	    "{\"account\": 69, \"cents\": 7}", &r), 200);
	h = req_setup(c, &s, "GET", "/v1/events", NULL, NULL, NULL, &r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 400L);
	(void)curl_easy_perform(c);	/* a stream: cut by the timeout */
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	ck_assert_msg(strstr(r.body, "\"ops\": 1,") != NULL, "%s", r.body);
	/* 64 of 70 balances; the greatest is account 69's. */
	ck_assert_msg(strstr(r.body, "event: accounts\ndata: {\"accounts\": "
	    "70, \"balances_cents\": [500, 500") != NULL, "%s", r.body);
	ck_assert_msg(strstr(r.body, "500], \"min_cents\": 500, "
	    "\"max_cents\": 507}") != NULL, "%s", r.body);
	ck_assert_msg(strstr(r.body, "event: processes\ndata: "
	    "{\"processes\":[{\"slot\":") != NULL, "%s", r.body);
	/* Sent when they change, not with every summary. */
	ck_assert_ptr_null(strstr(strstr(r.body, "event: accounts") + 1,
	    "event: accounts"));
	ck_assert_int_eq(WEXITSTATUS(srv_stop(&s)), 0);
}
END_TEST

static Suite *
www_suite(void)
{
	Suite *s = suite_create("www");
	TCase *tc;

	tc = tl_tcase(s, "page", 30);
	tcase_add_test(tc, t_page);
	tcase_add_test(tc, t_traps);
	tcase_add_unchecked_fixture(tc, NULL, traps_sweep);
	tc = tl_tcase(s, "events", 30);
	tcase_add_test(tc, t_events_for_page);
	return s;
}

int
main(void)
{
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = tl_run(www_suite());
	curl_global_cleanup();
	return rc;
}
