/*
 * check_play: the games of banklab serve (/v1/play, /v1/levels) through
 * the HTTP API, over loopback, as a page plays them: the race level won,
 * its replay line the very one banklab-sched prints for the same steps,
 * undo and a change of variant, the give-up count, the limit, hostile
 * bodies, the idle timeout, a server stopped with games running and with
 * requests to them in flight, HEAD, and paths that cannot be forwarded.
 * Every request is under libcurl's timeout, every test under Check's.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "lab.h"
#include "serve_util.h"
#include "spawn.h"
#include "testlib.h"

#define ID_LEN		32

/* Field k of the JSON body (a dotted path; an array index is a number). */
static struct json_object *
jget(struct json_object *o, const char *path)
{
	char key[128], *k = key, *dot;
	struct json_object *v = o;

	snprintf(key, sizeof(key), "%s", path);
	for (;;) {
		if ((dot = strchr(k, '.')) != NULL)
			*dot = '\0';
		if (json_object_is_type(v, json_type_array))
			v = json_object_array_get_idx(v, (size_t)atoi(k));
		else if (!json_object_object_get_ex(v, k, &v))
			v = NULL;
		ck_assert_msg(v != NULL || dot == NULL, "no \"%s\"", path);
		if (dot == NULL || v == NULL)
			return v;
		k = dot + 1;
	}
}

/* The string at path of r's body, copied into buf ("" if null). */
static const char *
jstr(const struct reply *r, const char *path, char *buf, size_t len)
{
	struct json_object *o = json_tokener_parse(r->body), *v;

	ck_assert_msg(o != NULL, "not JSON: %s", r->body);
	v = jget(o, path);
	snprintf(buf, len, "%s", v != NULL ? json_object_get_string(v) : "");
	json_object_put(o);
	return buf;
}

static bool
jbool(const struct reply *r, const char *path)
{
	struct json_object *o = json_tokener_parse(r->body);
	bool b;

	ck_assert_msg(o != NULL, "not JSON: %s", r->body);
	b = json_object_get_boolean(jget(o, path));
	json_object_put(o);
	return b;
}

static int64_t
jnum(const struct reply *r, const char *path)
{
	struct json_object *o = json_tokener_parse(r->body), *v;
	int64_t n;

	ck_assert_msg(o != NULL, "not JSON: %s", r->body);
	v = jget(o, path);
	ck_assert_msg(v != NULL, "%s: null", path);
	n = json_object_get_int64(v);
	json_object_put(o);
	return n;
}

static long
post(const struct srv *s, const char *path, const char *body,
    struct reply *r)
{
	return req_ok(s, "POST", path, body, r);
}

/* A new game of level (sync NULL: the level's); its id into id. */
static void
new_game(const struct srv *s, const char *body, char *id, struct reply *r)
{
	ck_assert_msg(post(s, "/v1/play", body, r) == 201, "%s: %ld %s",
	    body, r->status, r->body);
	jstr(r, "id", id, ID_LEN);
}

/* banklab-sched FILE --sync V --schedule STEPS: its "replay:" line. */
static void
sched_replay(const char *file, const char *sync, const char *steps,
    char *buf, size_t len)
{
	char prog[4096];
	const char *argv[] = { prog, file, "--sync", sync, "--schedule",
		steps, NULL };
	struct spawn_set set;
	const char *at;
	int i;

	snprintf(prog, sizeof(prog), "%s/banklab-sched",
	    getenv("BANKLAB_BIN_DIR"));
	spawn_init(&set);
	ck_assert_int_ge(i = spawn_start(&set, (char *const *)(uintptr_t)argv),
	    0);
	ck_assert_int_eq(spawn_wait(&set, 10000, NULL, NULL), 0);
	at = set.child[i].out != NULL ? strstr(set.child[i].out,
	    "  replay: ") : NULL;
	ck_assert_msg(at != NULL, "banklab-sched printed no replay line");
	at += strlen("  replay: ");
	snprintf(buf, len, "%.*s", (int)strcspn(at, "\n"), at);
	spawn_free(&set);
}

/* The worker pids of a game's state. */
static int
game_pids(const struct reply *r, pid_t *pid, int max)
{
	struct json_object *o = json_tokener_parse(r->body), *a;
	int i, n;

	ck_assert_ptr_nonnull(o);
	a = jget(o, "processes");
	n = (int)json_object_array_length(a);
	for (i = 0; i < n && i < max; i++)
		pid[i] = (pid_t)json_object_get_int(jget(
		    json_object_array_get_idx(a, (size_t)i), "pid"));
	json_object_put(o);
	return i;
}

/* The games process's pid, from the master's "games PID started". */
static pid_t
games_pid(const struct srv *s)
{
	char line[256] = "";
	uint64_t end = lab_now_ms() + 5000;
	int pid = 0;

	while (sscanf(line, "games %d started", &pid) != 1 &&
	    lab_now_ms() < end)
		srv_line(s->out, line, sizeof(line), 1000);
	ck_assert_int_gt(pid, 0);
	return (pid_t)pid;
}

/* Is pid gone (not even a zombie of ours: the games process reaps)? */
static bool
is_gone(pid_t pid)
{
	return kill(pid, 0) == -1 && errno == ESRCH;
}

/* No /dev/shm/banklab-sched-PID-... of the games process left. */
static void
assert_no_ledger(pid_t games)
{
	char prefix[64];
	struct dirent *d;
	DIR *dp = opendir("/dev/shm");

	ck_assert_ptr_nonnull(dp);
	snprintf(prefix, sizeof(prefix), "banklab-sched-%d-", (int)games);
	while ((d = readdir(dp)) != NULL)
		ck_assert_msg(strncmp(d->d_name, prefix, strlen(prefix)) != 0,
		    "left in /dev/shm: %s", d->d_name);
	closedir(dp);
}

static const char *const two_tellers[] = { "--tellers", "2", NULL };

/*
 * The race level won by the player's clicks, through two tellers; the
 * replay line is the one banklab-sched prints for the same steps.
 */
START_TEST(t_race_won)
{
	static const int clicks[] = { 0, 1, 0, 1, 0, 1, 0, 1 };
	char id[ID_LEN], path[96], body[64], replay[4096], want[4096];
	char file[4096], steps[512];
	struct srv s;
	struct reply r;
	size_t i;

	srv_start(&s, two_tellers);
	ck_assert_int_eq(req_ok(&s, "GET", "/v1/levels", NULL, &r), 200);
	ck_assert_str_eq(jstr(&r, "levels.0.level", file, sizeof(file)),
	    "race");
	new_game(&s, "{\"level\": \"race\"}", id, &r);
	ck_assert_str_eq(jstr(&r, "processes.0.state", body, sizeof(body)),
	    "parked");
	snprintf(path, sizeof(path), "/v1/play/%s/step", id);
	for (i = 0; i < sizeof(clicks) / sizeof(clicks[0]); i++) {
		ck_assert_int_eq(jbool(&r, "over"), false);
		snprintf(body, sizeof(body), "{\"process\": %d}", clicks[i]);
		ck_assert_msg(post(&s, path, body, &r) == 200, "%s", r.body);
		ck_assert_int_ge(jint(r.body, "new_rows"), 1);
	}
	ck_assert_int_eq(jbool(&r, "over"), true);
	ck_assert_int_eq(jbool(&r, "won"), true);
	ck_assert_msg(strncmp(jstr(&r, "verdict", want, sizeof(want)),
	    "LOST UPDATE", 11) == 0, "verdict: %s", want);
	ck_assert_str_eq(jstr(&r, "processes.1.state", body, sizeof(body)),
	    "done");
	/* The same steps given to banklab-sched: the same line. */
	jstr(&r, "replay", replay, sizeof(replay));
	jstr(&r, "steps", steps, sizeof(steps));
	snprintf(file, sizeof(file), "%s/race.sched",
	    getenv("BANKLAB_SCHEDULES"));
	sched_replay(file, "none", steps, want, sizeof(want));
	ck_assert_str_eq(replay, want);
	/* Over: no more steps. */
	ck_assert_int_eq(post(&s, path, "{\"process\": 0}", &r), 409);
	ck_assert_int_eq(srv_stop(&s), 0);
}
END_TEST

/*
 * Undo replays the prefix on fresh processes; the same steps under
 * semaphore make p2 wait; giving up counts every interleaving.
 */
START_TEST(t_undo_variant)
{
	static const char *const args[] = { "--tellers", "1", NULL };
	char id[ID_LEN], path[96], buf[256];
	pid_t before[2], after[2];
	struct srv s;
	struct reply r;

	srv_start(&s, args);
	new_game(&s, "{\"level\": \"race\", \"steps\": \"p1 p2\"}", id, &r);
	ck_assert_int_eq(jint(r.body, "nsteps"), 2);
	game_pids(&r, before, 2);
	snprintf(path, sizeof(path), "/v1/play/%s/undo", id);
	ck_assert_int_eq(post(&s, path, "{}", &r), 200);
	ck_assert_int_eq(jint(r.body, "nsteps"), 1);
	ck_assert_str_eq(jstr(&r, "steps", buf, sizeof(buf)), "p1");
	ck_assert_str_eq(jstr(&r, "processes.1.at", buf, sizeof(buf)),
	    "lock");
	game_pids(&r, after, 2);
	ck_assert_int_ne(before[0], after[0]);
	ck_assert(is_gone(before[0]) && is_gone(before[1]));
	ck_assert_int_eq(post(&s, path, "{\"keep\": 0}", &r), 200);
	ck_assert_int_eq(post(&s, path, "{}", &r), 409);
	ck_assert_int_eq(post(&s, path, "{\"keep\": 3}", &r), 400);
	/* The same two steps under semaphore: p2 waits for p1. */
	snprintf(path, sizeof(path), "/v1/play/%s/replay", id);
	ck_assert_int_eq(post(&s, path, "{\"sync\": \"semaphore\"}", &r), 200);
	new_game(&s, "{\"level\": \"race\", \"sync\": \"semaphore\", "
	    "\"steps\": \"p1 p2\"}", id, &r);
	ck_assert_str_eq(jstr(&r, "processes.1.state", buf, sizeof(buf)),
	    "waiting");
	ck_assert_str_eq(jstr(&r, "processes.1.waits_for", buf, sizeof(buf)),
	    "semaphore");
	ck_assert_int_eq(jnum(&r, "processes.1.holder"), 0);
	ck_assert(strstr(r.body, "<waiting for the semaphore>") != NULL);
	snprintf(path, sizeof(path), "/v1/play/%s/step", id);
	ck_assert_int_eq(post(&s, path, "{\"process\": 1}", &r), 409);
	ck_assert(strstr(r.body, "held by p1") != NULL);
	/* Give up: no interleaving under semaphore loses an update. */
	snprintf(path, sizeof(path), "/v1/play/%s/explore", id);
	ck_assert_int_eq(post(&s, path, "{}", &r), 200);
	ck_assert_int_eq(jint(r.body, "failing"), 0);
	ck_assert_int_eq(jbool(&r, "complete"), true);
	ck_assert_msg(strncmp(jstr(&r, "text", buf, sizeof(buf)), "all ", 4)
	    == 0 && strstr(buf, "none loses an update") != NULL, "%s", buf);
	/* ... and under none, some do (asked as curl -X POST would: no
	 * body, so no Content-Type either). */
	new_game(&s, "{\"level\": \"race\"}", id, &r);
	snprintf(path, sizeof(path), "/v1/play/%s/explore", id);
	ck_assert_int_eq(req(&s, "POST", path, NULL, NULL, &r), 0);
	ck_assert_msg(r.status == 200, "explore without a body: %ld %s",
	    r.status, r.body);
	ck_assert_int_gt(jint(r.body, "failing"), 0);
	/* The deadlock level: won when both wait, the cycle given. */
	new_game(&s, "{\"level\": \"deadlock\", \"steps\": \"p1 p2 p1 "
	    "p2\"}", id, &r);
	ck_assert_int_eq(jbool(&r, "won"), true);
	ck_assert_str_eq(jstr(&r, "verdict", buf, sizeof(buf)), "DEADLOCK");
	ck_assert_int_eq(jnum(&r, "cycle.1.waits_for"), 0);
	ck_assert_str_eq(jstr(&r, "processes.0.state", buf, sizeof(buf)),
	    "waiting");
	ck_assert_int_eq(srv_stop(&s), 0);
}
END_TEST

/* --max-plays games at once; then 503, until one is ended. */
START_TEST(t_limit)
{
	static const char *const args[] = { "--tellers", "2", "--max-plays",
		"2", NULL };
	char id[2][ID_LEN], path[96], buf[256];
	struct srv s;
	struct reply r;

	srv_start(&s, args);
	new_game(&s, "{\"level\": \"race\"}", id[0], &r);
	new_game(&s, "{\"level\": \"deadlock\"}", id[1], &r);
	ck_assert_int_eq(post(&s, "/v1/play", "{\"level\": \"race\"}", &r),
	    503);
	ck_assert_msg(strstr(jstr(&r, "error", buf, sizeof(buf)),
	    "--max-plays 2") != NULL, "%s", buf);
	snprintf(path, sizeof(path), "/v1/play/%s", id[0]);
	ck_assert_int_eq(req_ok(&s, "DELETE", path, NULL, &r), 200);
	ck_assert_int_eq(req_ok(&s, "GET", path, NULL, &r), 404);
	ck_assert_int_eq(req_ok(&s, "DELETE", path, NULL, &r), 404);
	new_game(&s, "{\"level\": \"race\"}", id[0], &r);
	ck_assert_int_eq(req_ok(&s, "GET", "/v1/play/0123456789abcdef", NULL,
	    &r), 404);
	ck_assert_int_eq(srv_stop(&s), 0);
}
END_TEST

/* Hostile bodies: each a 4xx naming what is wrong. */
static const struct {
	const char *path, *body;
	long status;
	const char *says;
} bad_rows[] = {
	{ "/v1/play", "{\"schedule\": \"title t\\naccounts 2\\nprocess a "
	    "frob 1\\n\"}", 400, "schedule:3:11: expected an operation" },
	{ "/v1/play", "{\"schedule\": \"accounts x\\n\"}", 400,
	    "schedule:1:10: expected" },
	{ "/v1/play", "{\"level\": \"race\", \"schedule\": \"x\"}", 400,
	    "exactly one" },
	{ "/v1/play", "{\"level\": \"../race\"}", 404, "no such level" },
	{ "/v1/play", "{\"level\": \"race\", \"sync\": \"fast\"}", 400,
	    "sync" },
	{ "/v1/play", "{\"level\": \"race\", \"steps\": \"p9\"}", 400,
	    "steps: " },
	{ "/v1/play", "{\"level\": \"race\", \"color\": 1}", 400, "color" },
	{ "/v1/play", "{\"level\": 7}", 400, "not a string" },
	{ "/v1/play", "{\"level\": \"race\\u0000junk\"}", 400, "NUL" },
	{ "/v1/play", "{\"level\": \"race\", \"schedule\": \"x\\u0000\"}",
	    400, "NUL" },
	{ "/v1/play", "{\"level\": \"race\"", 400, "malformed JSON" },
	{ "/v1/play", "[]", 400, "not a JSON object" },
	{ "/v1/play/zz/step", "{\"process\": 0}", 404, "no such path" },
	{ "/v1/play/0123456789abcdef/step", "{\"process\": 0}", 404,
	    "no such game" },
};

START_TEST(t_bad)
{
	static const char *const args[] = { "--tellers", "1", "--max-body",
		"1024", NULL };
	char id[ID_LEN], path[96], buf[256], big[2048];
	struct srv s;
	struct reply r;
	size_t i;

	srv_start(&s, args);
	for (i = 0; i < sizeof(bad_rows) / sizeof(bad_rows[0]); i++) {
		ck_assert_msg(post(&s, bad_rows[i].path, bad_rows[i].body,
		    &r) == bad_rows[i].status, "%s: %ld %s", bad_rows[i].body,
		    r.status, r.body);
		ck_assert_msg(strstr(jstr(&r, "error", buf, sizeof(buf)),
		    bad_rows[i].says) != NULL, "%s: %s", bad_rows[i].body, buf);
	}
	new_game(&s, "{\"level\": \"race\"}", id, &r);
	snprintf(path, sizeof(path), "/v1/play/%s/step", id);
	ck_assert_int_eq(post(&s, path, "{\"process\": 2}", &r), 400);
	ck_assert_int_eq(post(&s, path, "{\"process\": -1}", &r), 400);
	ck_assert_int_eq(post(&s, path, "{}", &r), 400);
	ck_assert_int_eq(post(&s, path, "{\"process\": 0, \"keep\": 1}", &r),
	    400);
	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[0] = '{';
	big[sizeof(big) - 2] = '}';
	ck_assert_int_eq(post(&s, path, big, &r), 413);
	ck_assert_int_eq(req_ok(&s, "PUT", path, NULL, &r), 405);
	ck_assert_str_eq(r.allow, "POST");
	snprintf(path, sizeof(path), "/v1/play/%s", id);
	ck_assert_int_eq(req_ok(&s, "POST", path, "{}", &r), 405);
	ck_assert_str_eq(r.allow, "GET, DELETE");
	ck_assert_int_eq(srv_stop(&s), 0);
}
END_TEST

/* An idle game ends: its processes reaped, its ledger gone. */
START_TEST(t_idle)
{
	static const char *const args[] = { "--tellers", "1", "--play-idle",
		"1", NULL };
	char id[ID_LEN], path[96];
	pid_t pid[2], games;
	uint64_t end;
	struct srv s;
	struct reply r;

	srv_start(&s, args);
	games = games_pid(&s);
	new_game(&s, "{\"level\": \"race\", \"steps\": \"p1\"}", id, &r);
	ck_assert_int_eq(game_pids(&r, pid, 2), 2);
	ck_assert(!is_gone(pid[0]) && !is_gone(pid[1]));
	snprintf(path, sizeof(path), "/v1/play/%s", id);
	/*
	 * Asking resets its idle time: so ask only every 400 ms, and wait
	 * for the game's processes to go, then see the game gone too.
	 */
	end = lab_now_ms() + 8000;
	while ((!is_gone(pid[0]) || !is_gone(pid[1])) && lab_now_ms() < end)
		tl_sleep_ms(50);
	ck_assert_msg(is_gone(pid[0]) && is_gone(pid[1]),
	    "an idle game's processes still run after 8 s");
	ck_assert_int_eq(req_ok(&s, "GET", path, NULL, &r), 404);
	assert_no_ledger(games);
	ck_assert_int_eq(srv_stop(&s), 0);
}
END_TEST

/* SIGTERM with games running: no process and no ledger is left. */
START_TEST(t_stop)
{
	char id[ID_LEN];
	pid_t pid[6], games;
	struct srv s;
	struct reply r;
	int i, n = 0;

	srv_start(&s, two_tellers);
	games = games_pid(&s);
	new_game(&s, "{\"level\": \"race\", \"steps\": \"p1 p2\"}", id, &r);
	n += game_pids(&r, pid + n, 2);
	new_game(&s, "{\"level\": \"deadlock\", \"sync\": \"robust\"}", id, &r);
	n += game_pids(&r, pid + n, 4);
	ck_assert_int_ge(n, 4);
	for (i = 0; i < n; i++)
		ck_assert(!is_gone(pid[i]));
	ck_assert_int_eq(srv_stop(&s), 0);
	ck_assert(is_gone(games));
	for (i = 0; i < n; i++)
		ck_assert_msg(is_gone(pid[i]), "worker %d left", (int)pid[i]);
	assert_no_ledger(games);
}
END_TEST

/* HEAD as a browser or curl -I sends it: answered at once, no body. */
static long
head(const struct srv *s, const char *path, struct reply *r)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = req_setup(c, s, "HEAD", path, NULL, NULL,
	    NULL, r);
	CURLcode rc;

	curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	rc = curl_easy_perform(c);
	ck_assert_msg(rc == CURLE_OK, "HEAD %s: %s", path,
	    curl_easy_strerror(rc));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return r->status;
}

/* GET /v1/play/aaa... n bytes long (req_setup() takes 255 at most). */
static long
get_long(const struct srv *s, size_t n, struct reply *r)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = req_setup(c, s, "GET", "/", NULL, NULL, NULL,
	    r);
	char url[1024];
	size_t k;

	k = (size_t)snprintf(url, sizeof(url), "%s/v1/play/", s->url);
	ck_assert(n < sizeof(url) - k);
	memset(url + k, 'a', n);
	url[k + n] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	ck_assert_int_eq(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return r->status;
}

/*
 * HEAD on a games path: the games process's 405 and its Allow, in
 * well under --timeout; a path too long to forward: 414; one with bytes
 * no games path has (which curl would refuse): 404.  All JSON errors.
 */
START_TEST(t_head)
{
	static const char *const args[] = { "--tellers", "1", "--timeout",
		"30", NULL };
	static const char *const odd[] = { "/v1/play/%20", "/v1/play/a%0d%0ab",
		"/v1/play/%22x", "/v1/play/%ff" };
	char id[ID_LEN], path[96], buf[256];
	uint64_t t0;
	struct srv s;
	struct reply r;
	size_t i;

	srv_start(&s, args);
	new_game(&s, "{\"level\": \"race\"}", id, &r);
	t0 = lab_now_ms();
	ck_assert_int_eq(head(&s, "/v1/levels", &r), 405);
	ck_assert_str_eq(r.allow, "GET");
	snprintf(path, sizeof(path), "/v1/play/%s", id);
	ck_assert_int_eq(head(&s, path, &r), 405);
	ck_assert_str_eq(r.allow, "GET, DELETE");
	ck_assert_int_eq(head(&s, "/v1/play/0123456789abcdef", &r), 405);
	ck_assert_uint_lt(lab_now_ms() - t0, 2000);
	ck_assert_int_eq(get_long(&s, 600, &r), 414);
	ck_assert_str_eq(jstr(&r, "error", buf, sizeof(buf)), "path too long");
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		ck_assert_msg(req_ok(&s, "GET", odd[i], NULL, &r) == 404,
		    "%s: %ld %s", odd[i], r.status, r.body);
		ck_assert_str_eq(jstr(&r, "error", buf, sizeof(buf)),
		    "no such path");
	}
	ck_assert_int_eq(srv_stop(&s), 0);
}
END_TEST

/* Pump m until every handle is done or ms pass: how many are done. */
static int
pump(CURLM *m, CURL *const *c, int n, bool (*until)(CURL *), unsigned ms)
{
	uint64_t end = lab_now_ms() + ms;
	int running, left, done = 0, i;
	CURLMsg *msg;

	for (;;) {
		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &left)) != NULL)
			ck_assert_msg(msg->msg != CURLMSG_DONE ||
			    msg->data.result == CURLE_OK, "a request: %s",
			    curl_easy_strerror(msg->data.result));
		for (i = 0, done = 0; i < n; i++)
			done += until(c[i]);
		if (done == n || lab_now_ms() >= end)
			return done;
		curl_multi_poll(m, NULL, 0, 10, NULL);
	}
}

static bool
is_sent(CURL *c)
{
	long n = 0;

	curl_easy_getinfo(c, CURLINFO_REQUEST_SIZE, &n);
	return n > 0;
}

static bool
is_answered(CURL *c)
{
	long st = 0;

	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
	return st != 0;
}

/*
 * SIGTERM while forwarded requests wait on the games process (stopped,
 * so they would wait for ever): each is answered 503 with Retry-After
 * at once, and the teller exits cleanly (it used to stop MHD with their
 * connections suspended: libmicrohttpd aborted, the clients got nothing).
 */
START_TEST(t_stop_forwards)
{
	static const char *const args[] = { "--tellers", "1", NULL };
	CURLM *m = curl_multi_init();
	struct curl_slist *h[3];
	struct reply r[3], one;
	char buf[256];
	CURL *c[3];
	pid_t games;
	struct srv s;
	int i;

	srv_start(&s, args);
	games = games_pid(&s);
	ck_assert_int_eq(kill(games, SIGSTOP), 0);
	for (i = 0; i < 3; i++) {
		c[i] = curl_easy_init();
		h[i] = req_setup(c[i], &s, "GET", "/v1/levels", NULL, NULL,
		    NULL, &r[i]);
		curl_multi_add_handle(m, c[i]);
	}
	ck_assert_int_eq(pump(m, c, 3, is_sent, 3000), 3);
	/* Answered: the teller has taken the three connections before it. */
	ck_assert_int_eq(req_ok(&s, "GET", "/v1/ledger", NULL, &one), 200);
	ck_assert_int_eq(kill(s.pid, SIGTERM), 0);
	i = pump(m, c, 3, is_answered, 3000);
	kill(games, SIGCONT);
	ck_assert_int_eq(i, 3);
	for (i = 0; i < 3; i++) {
		curl_easy_getinfo(c[i], CURLINFO_RESPONSE_CODE, &r[i].status);
		ck_assert_int_eq(r[i].status, 503);
		ck_assert_str_eq(r[i].retry, "1");
		ck_assert_str_eq(jstr(&r[i], "error", buf, sizeof(buf)),
		    "the server is stopping: try again");
		curl_multi_remove_handle(m, c[i]);
		curl_slist_free_all(h[i]);
		curl_easy_cleanup(c[i]);
	}
	curl_multi_cleanup(m);
	ck_assert_int_eq(srv_stop(&s), 0);
}
END_TEST

static Suite *
play_suite(void)
{
	const struct {
		const char *name;
		const TTest *test;
	} cases[] = {
		{ "race", t_race_won }, { "undo", t_undo_variant },
		{ "limit", t_limit }, { "bad", t_bad }, { "idle", t_idle },
		{ "stop", t_stop }, { "head", t_head },
		{ "stop_forwards", t_stop_forwards },
	};
	Suite *s = suite_create("play");
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		tcase_add_test(tl_tcase(s, cases[i].name, 30), cases[i].test);
	return s;
}

int
main(void)
{
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = tl_run(play_suite());
	curl_global_cleanup();
	return rc;
}
