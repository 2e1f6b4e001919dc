/*
 * banklab-tellers URL [--clients C] [--requests N] [--mix M] [--seed S]
 * [--json]: a load generator for `banklab serve`.  C clients (libcurl's
 * multi interface: C connections at once, each sending its requests one
 * after the other) send N requests in all, of the mix M; then it prints
 * the count of each status, requests per second, latency p50, p99 and max,
 * and GET /v1/ledger's check: under --sync none with 2 tellers the lost
 * updates show through HTTP; under ordered they do not.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "cli.h"
#include "lab.h"

#define TL_CLIENTS_MAX	256
#define TL_STATUS_MAX	600

static const char prog[] = "banklab-tellers";

static const struct cli_prog tellers_prog = {
	.name = "banklab-tellers",
	.common = CLI_SEED | CLI_JSON | CLI_HELP | CLI_VERSION,
	.seed_max = INT64_MAX / 2,
};

static const struct option tellers_rows[] = {
	{ "clients", required_argument, NULL, 'c' },
	{ "requests", required_argument, NULL, 'n' },
	{ "mix", required_argument, NULL, 'm' },
	{ "fresh", no_argument, NULL, 'f' },
	{ NULL, 0, NULL, 0 },
};

/* What a request does; mixed draws one of the others. */
static const char *const mixes[] = { "deposit", "withdraw", "transfer",
	"read", "mixed", NULL };
enum { MIX_DEPOSIT, MIX_WITHDRAW, MIX_TRANSFER, MIX_READ, MIX_MIXED };

struct opts {
	const char *url;		/* without a trailing slash */
	int64_t clients, requests;
	int mix;
	bool is_fresh, json;
	uint64_t seed;
};

struct client {
	CURL *c;
	struct curl_slist *h;
	uint64_t t0;			/* ns, when its request went out */
	char path[256];
	char body[160];
};

struct tally {
	uint64_t status[TL_STATUS_MAX];	/* by HTTP status; 0: no answer */
	uint64_t *lat_ns;		/* one per answered request */
	uint64_t n, sent;
	uint32_t accounts;
	uint64_t rng;
	double elapsed_s;
};

static void
usage(void)
{
	printf("usage: %s URL [--clients C] [--requests N] [--mix M] "
	    "[--seed S] [--fresh] [--json]\n"
	    "       %s -h | --help | -V | --version\n"
	    "C clients (default 8, at most %d) send N requests in all "
	    "(default 10000)\nto a banklab serve at URL (http://127.0.0.1:"
	    "8080), one after the other on\neach connection (--fresh: a new "
	    "connection for each).  M: deposit, withdraw,\ntransfer, read or "
	    "mixed (default deposit).  Prints the count of each status,\n"
	    "requests per second, latency p50, p99 and max, and the ledger's "
	    "check.\nexit: 0 the books kept, 1 money or updates lost, 2 bad "
	    "usage, 3 no server.\n", prog, prog, TL_CLIENTS_MAX);
}

static int
tellers_option(void *opts, int ch, const char *arg)
{
	struct opts *o = opts;
	int i;

	switch (ch) {
	case 'c':
		return cli_number(prog, "--clients", arg, 1, TL_CLIENTS_MAX,
		    &o->clients);
	case 'n':
		return cli_number(prog, "--requests", arg, 1, 100000000,
		    &o->requests);
	case 'f':
		o->is_fresh = true;
		return 0;
	case 'm':
		for (i = 0; mixes[i] != NULL; i++)
			if (strcmp(arg, mixes[i]) == 0) {
				o->mix = i;
				return 0;
			}
		fprintf(stderr, "%s: --mix: \"%s\" is not deposit, withdraw, "
		    "transfer, read or mixed\n", prog, arg);
		return -CLI_EUSAGE;
	default:
		return -CLI_EUSAGE;
	}
}

static int
parse(int argc, char **argv, struct opts *o)
{
	struct cli_given g = { 0 };
	int r;

	memset(o, 0, sizeof(*o));
	o->clients = 8;
	o->requests = 10000;
	r = cli_getopt(&tellers_prog, tellers_rows, NULL, argc, argv, &g,
	    tellers_option, o);
	if (r == -CLI_EHELP) {
		usage();
		return -CLI_EDONE;
	}
	if (r < 0)
		return r;
	if (optind != argc - 1 || strncmp(argv[optind], "http://", 7) != 0) {
		fprintf(stderr, "%s: one URL (http://ADDR:PORT) is needed "
		    "(--help)\n", prog);
		return -CLI_EUSAGE;
	}
	o->url = argv[optind];
	o->json = g.json;
	o->seed = g.has_seed ? g.seed : cli_seed_from_clock();
	return 0;
}

/* URL + path into buf, one slash between them. */
static void
tl_url(const struct opts *o, const char *path, char *buf, size_t len)
{
	size_t n = strlen(o->url);

	snprintf(buf, len, "%.*s%s", (int)(n > 0 && o->url[n - 1] == '/' ?
	    n - 1 : n), o->url, path);
}

/* The answers to the load's requests are counted, not read. */
static size_t
tl_sink(char *d, size_t size, size_t n, void *arg)
{
	(void)d, (void)arg;
	return size * n;
}

static size_t
tl_keep(char *d, size_t size, size_t n, void *arg)
{
	char *buf = arg;
	size_t have = strlen(buf), k = size * n;

	if (have + k < 8192) {
		memcpy(buf + have, d, k);
		buf[have + k] = '\0';
	}
	return k;
}

/* GET path into buf (8192 bytes); its status, or -1. */
static long
tl_get(const struct opts *o, const char *path, char *buf)
{
	char url[512];
	long status = -1;
	CURL *c = curl_easy_init();

	if (c == NULL)
		return -1;
	buf[0] = '\0';
	tl_url(o, path, url, sizeof(url));
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, tl_keep);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, buf);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	return status;
}

/* The next request of client k, drawn from the mix. */
static void
tl_next(const struct opts *o, struct tally *t, struct client *k)
{
	int mix = o->mix == MIX_MIXED ? (int)(lab_rand(&t->rng) % 4) : o->mix;
	uint32_t a = (uint32_t)(lab_rand(&t->rng) % t->accounts), b;
	uint64_t cents = 1 + lab_rand(&t->rng) % 100;

	b = t->accounts > 1 ? (a + 1 + (uint32_t)(lab_rand(&t->rng) %
	    (t->accounts - 1))) % t->accounts : a;
	if (mix == MIX_TRANSFER && a == b)
		mix = MIX_DEPOSIT;
	switch (mix) {
	case MIX_READ:
		snprintf(k->body, sizeof(k->body), "/v1/accounts/%u", a);
		tl_url(o, k->body, k->path, sizeof(k->path));
		curl_easy_setopt(k->c, CURLOPT_HTTPGET, 1L);
		break;
	case MIX_TRANSFER:
		snprintf(k->body, sizeof(k->body), "{\"from\": %u, \"to\": %u, "
		    "\"cents\": %" PRIu64 "}", a, b, cents);
		tl_url(o, "/v1/transfer", k->path, sizeof(k->path));
		curl_easy_setopt(k->c, CURLOPT_POSTFIELDS, k->body);
		break;
	default:
		snprintf(k->body, sizeof(k->body), "{\"account\": %u, "
		    "\"cents\": %" PRIu64 "}", a, cents);
		tl_url(o, mix == MIX_WITHDRAW ? "/v1/withdraw" : "/v1/deposit",
		    k->path, sizeof(k->path));
		curl_easy_setopt(k->c, CURLOPT_POSTFIELDS, k->body);
		break;
	}
	curl_easy_setopt(k->c, CURLOPT_URL, k->path);
	k->t0 = lab_now_ns();
	t->sent++;
}

static void
tl_client_init(const struct opts *o, struct client *k)
{
	k->c = curl_easy_init();
	k->h = curl_slist_append(NULL, "Content-Type: application/json");
	k->h = curl_slist_append(k->h, "Expect:");
	curl_easy_setopt(k->c, CURLOPT_HTTPHEADER, k->h);
	curl_easy_setopt(k->c, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(k->c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(k->c, CURLOPT_WRITEFUNCTION, tl_sink);
	curl_easy_setopt(k->c, CURLOPT_WRITEDATA, NULL);
	curl_easy_setopt(k->c, CURLOPT_PRIVATE, k);
	curl_easy_setopt(k->c, CURLOPT_FORBID_REUSE, o->is_fresh ? 1L : 0L);
}

/* One finished request: its status and latency; then the next, if any. */
static void
tl_done(const struct opts *o, struct tally *t, CURLM *m, struct client *k,
    CURLcode rc)
{
	long status = 0;

	if (rc == CURLE_OK)
		curl_easy_getinfo(k->c, CURLINFO_RESPONSE_CODE, &status);
	t->status[status > 0 && status < TL_STATUS_MAX ? status : 0]++;
	if (rc == CURLE_OK)
		t->lat_ns[t->n++] = lab_now_ns() - k->t0;
	curl_multi_remove_handle(m, k->c);
	if (t->sent < (uint64_t)o->requests) {
		tl_next(o, t, k);
		curl_multi_add_handle(m, k->c);
	}
}

static int
tl_run(const struct opts *o, struct tally *t)
{
	struct client *k = calloc((size_t)o->clients, sizeof(*k));
	CURLM *m = curl_multi_init();
	uint64_t t0 = lab_now_ns();
	int i, running, left;
	CURLMsg *msg;

	if (k == NULL || m == NULL) {
		free(k);
		return -ENOMEM;
	}
	for (i = 0; i < o->clients && t->sent < (uint64_t)o->requests; i++) {
		tl_client_init(o, &k[i]);
		tl_next(o, t, &k[i]);
		curl_multi_add_handle(m, k[i].c);
	}
	/* Each request ends (answered, or failed by its 10 s timeout). */
	while (t->n + t->status[0] < t->sent) {
		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			struct client *c;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    (char **)(void *)&c);
			tl_done(o, t, m, c, msg->data.result);
		}
		curl_multi_poll(m, NULL, 0, 100, NULL);
	}
	t->elapsed_s = (double)(lab_now_ns() - t0) / 1e9;
	for (i = 0; i < o->clients; i++)
		if (k[i].c != NULL) {
			curl_multi_remove_handle(m, k[i].c);
			curl_easy_cleanup(k[i].c);
			curl_slist_free_all(k[i].h);
		}
	curl_multi_cleanup(m);
	free(k);
	return 0;
}

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Latency at quantile q of the sorted answers, in microseconds. */
static double
tl_quantile(const struct tally *t, double q)
{
	uint64_t i;

	if (t->n == 0)
		return 0;
	i = (uint64_t)(q * (double)(t->n - 1) + 0.5);
	return (double)t->lat_ns[i] / 1e3;
}

static void
tl_report(const struct opts *o, const struct tally *t, const char *ledger)
{
	struct json_object *j = json_object_new_object(), *st, *lg;
	char key[8];
	int s;

	st = json_object_new_object();
	for (s = 0; s < TL_STATUS_MAX; s++)
		if (t->status[s] != 0) {
			snprintf(key, sizeof(key), "%d", s);
			json_object_object_add(st, s == 0 ? "failed" : key,
			    json_object_new_int64((int64_t)t->status[s]));
		}
	json_object_object_add(j, "url", json_object_new_string(o->url));
	json_object_object_add(j, "mix", json_object_new_string(
	    mixes[o->mix]));
	json_object_object_add(j, "clients", json_object_new_int64(
	    o->clients));
	json_object_object_add(j, "seed", json_object_new_int64(
	    (int64_t)o->seed));
	json_object_object_add(j, "status", st);
	json_object_object_add(j, "requests_per_s", json_object_new_double(
	    t->elapsed_s > 0 ? (double)t->sent / t->elapsed_s : 0));
	json_object_object_add(j, "p50_us", json_object_new_double(
	    tl_quantile(t, 0.50)));
	json_object_object_add(j, "p99_us", json_object_new_double(
	    tl_quantile(t, 0.99)));
	json_object_object_add(j, "max_us", json_object_new_double(
	    tl_quantile(t, 1.0)));
	lg = json_tokener_parse(ledger);
	json_object_object_add(j, "ledger", lg);
	if (o->json) {
		printf("%s\n", json_object_to_json_string_ext(j,
		    JSON_C_TO_STRING_PLAIN));
	} else {
		printf("%s: %" PRIu64 " requests (%s, seed %" PRIu64 ") by %"
		    PRId64 " clients in %.2f s: %.0f/s\nstatus: %s\nlatency:"
		    " p50 %.0f us, p99 %.0f us, max %.0f us\nledger: %s",
		    o->url, t->sent, mixes[o->mix], o->seed, o->clients,
		    t->elapsed_s, t->elapsed_s > 0 ? (double)t->sent /
		    t->elapsed_s : 0, json_object_to_json_string_ext(st,
		    JSON_C_TO_STRING_PLAIN), tl_quantile(t, 0.5),
		    tl_quantile(t, 0.99), tl_quantile(t, 1.0), ledger);
	}
	json_object_put(j);
}

/* Did the ledger keep its books?  1 yes, 0 no, -1 unknown. */
static int
tl_kept(const char *ledger)
{
	struct json_object *o = json_tokener_parse(ledger), *ck, *k;
	int kept = -1;

	if (o != NULL && json_object_object_get_ex(o, "check", &ck) &&
	    json_object_object_get_ex(ck, "kept", &k))
		kept = json_object_get_boolean(k) ? 1 : 0;
	json_object_put(o);
	return kept;
}

/* The ledger's "accounts", 0 if it has none. */
static uint32_t
tl_accounts(const char *ledger)
{
	struct json_object *o = json_tokener_parse(ledger), *v;
	int64_t n = 0;

	if (o != NULL && json_object_object_get_ex(o, "accounts", &v))
		n = json_object_get_int64(v);
	json_object_put(o);
	return n > 0 && n <= UINT32_MAX ? (uint32_t)n : 0;
}

int
main(int argc, char **argv)
{
	static char ledger[8192];
	struct tally t;
	struct opts o;
	int r, kept;

	if ((r = parse(argc, argv, &o)) < 0)
		return cli_exit_code(r);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	memset(&t, 0, sizeof(t));
	t.rng = o.seed;
	if (tl_get(&o, "/v1/ledger", ledger) != 200 ||
	    (t.accounts = tl_accounts(ledger)) == 0) {
		fprintf(stderr, "%s: %s: no banklab serve answers there\n",
		    prog, o.url);
		return LAB_EXIT_SYSTEM;
	}
	if ((t.lat_ns = calloc((size_t)o.requests, sizeof(uint64_t))) ==
	    NULL || tl_run(&o, &t) < 0) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return LAB_EXIT_SYSTEM;
	}
	qsort(t.lat_ns, t.n, sizeof(uint64_t), u64_cmp);
	if (tl_get(&o, "/v1/ledger", ledger) != 200)
		snprintf(ledger, sizeof(ledger), "null\n");
	tl_report(&o, &t, ledger);
	kept = tl_kept(ledger);
	free(t.lat_ns);
	curl_global_cleanup();
	return kept == 1 ? LAB_EXIT_OK : kept == 0 ? LAB_EXIT_ANOMALY :
	    LAB_EXIT_SYSTEM;
}
