/*
 * serve_sse: the tests' reader of GET /v1/events (serve_util.h): a
 * stream pumped through libcurl's multi interface, its bytes kept.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "lab.h"
#include "serve_util.h"
#include "testlib.h"

static size_t
sse_write(char *p, size_t size, size_t n, void *arg)
{
	struct sse *e = arg;
	size_t k = size * n;

	if (k > SSE_MAX - 1 - e->len)
		k = SSE_MAX - 1 - e->len;
	memcpy(e->buf + e->len, p, k);
	e->len += k;
	e->buf[e->len] = '\0';
	return size * n;
}

void
sse_open(struct sse *e, const struct srv *s)
{
	static struct reply r;	/* req_setup()'s; the stream is ours */

	e->buf = calloc(1, SSE_MAX);
	ck_assert_ptr_nonnull(e->buf);
	e->len = 0;
	e->c = curl_easy_init();
	e->h = req_setup(e->c, s, "GET", "/v1/events", NULL, NULL, NULL, &r);
	curl_easy_setopt(e->c, CURLOPT_WRITEFUNCTION, sse_write);
	curl_easy_setopt(e->c, CURLOPT_WRITEDATA, e);
	curl_easy_setopt(e->c, CURLOPT_TIMEOUT_MS, 30000L);
	e->m = curl_multi_init();
	curl_multi_add_handle(e->m, e->c);
}

/*
 * Open a stream that says something: a teller just started may not
 * listen yet (refused), one just killed may leave a connection unread.
 */
void
sse_open_answered(struct sse *e, const struct srv *s)
{
	uint64_t end = lab_now_ms() + SRV_START_MS;

	for (;;) {
		sse_open(e, s);
		if (sse_until(e, "event: summary", 1, 500) == 1)
			return;
		sse_close(e);
		ck_assert_msg(lab_now_ms() < end, "no event stream");
		tl_sleep_ms(20);
	}
}

/* Pump until the stream holds n copies of what, or ms pass: the count. */
int
sse_until(struct sse *e, const char *what, int n, unsigned ms)
{
	uint64_t end = lab_now_ms() + ms;
	int running, k;
	const char *p;

	for (;;) {
		curl_multi_perform(e->m, &running);
		for (k = 0, p = e->buf; (p = strstr(p, what)) != NULL; p++)
			k++;
		if (k >= n || lab_now_ms() >= end || !running)
			return k;
		curl_multi_poll(e->m, NULL, 0, 20, NULL);
	}
}

void
sse_close(struct sse *e)
{
	req_multi_end(e->m, e->c, e->h);
	free(e->buf);
}

/* The integer after "key": in the data line of the k-th event name. */
int64_t
sse_field(const struct sse *e, const char *name, int k, const char *key)
{
	char head[64], data[512];
	const char *p = e->buf, *nl;
	size_t n;

	snprintf(head, sizeof(head), "event: %s\ndata: ", name);
	for (; (p = strstr(p, head)) != NULL && k > 0; k--)
		p++;
	ck_assert_msg(p != NULL, "no %s event", name);
	p += strlen(head);
	nl = strchr(p, '\n');
	n = nl != NULL ? (size_t)(nl - p) : strlen(p);
	ck_assert_uint_lt(n, sizeof(data));
	memcpy(data, p, n);
	data[n] = '\0';
	return jint(data, key);
}

