// SPDX-License-Identifier: Apache-2.0
/*
 * The HTTP/1.x request parser on its own: valid requests whole, split into
 * single bytes and pipelined; bodies by length and chunked; and the hostile
 * cases (bad request lines, headers, chunk sizes and lengths, conflicting
 * framing, oversized bodies and heads) each with the status it must get.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/http_parse.h"

/*
 * A connection buffer fed step bytes at a time (0: all at once), as the
 * server does: parse, drop what was used, append more. Stops at the first
 * request or failure; *rest receives the bytes left unparsed.
 */
struct feed {
	char buf[HTTP_MAX_HEAD];
	size_t len;
};

static enum http_result feed(struct http_parser *p, struct feed *f, const char *data, size_t len,
			     size_t step, size_t *taken)
{
	size_t off = 0, used;
	enum http_result r;

	for (;;) {
		size_t n = len - off;

		if (step && n > step)
			n = step;
		if (n > sizeof(f->buf) - f->len)
			n = sizeof(f->buf) - f->len;
		memcpy(f->buf + f->len, data + off, n);
		f->len += n;
		off += n;
		r = http_parse(p, f->buf, f->len, &used);
		assert_true(used <= f->len);
		/* The parser must never wait with a full buffer: that would hang the server. */
		assert_false(r == HTTP_NEED_MORE && used == 0 && f->len == sizeof(f->buf));
		memmove(f->buf, f->buf + used, f->len - used);
		f->len -= used;
		if (r != HTTP_NEED_MORE || off == len)
			break;
	}
	if (taken)
		*taken = off;
	return r;
}

static enum http_result parse_str(struct http_parser *p, const char *s, size_t step)
{
	struct feed f = {.len = 0};

	http_parser_init(p);
	return feed(p, &f, s, strlen(s), step, NULL);
}

/* Fails with status, whole and byte by byte. */
static void expect_fail(const char *req, unsigned int status)
{
	struct http_parser p;

	assert_int_equal(parse_str(&p, req, 0), HTTP_FAIL);
	assert_int_equal(p.error, status);
	assert_int_equal(parse_str(&p, req, 1), HTTP_FAIL);
	assert_int_equal(p.error, status);
}

static const size_t steps[] = {0, 1, 2, 3, 7, 64};

static void test_simple_get(void **state)
{
	struct http_parser p;

	(void)state;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		assert_int_equal(
			parse_str(&p, "GET /vm/state HTTP/1.1\r\nHost: x\r\n\r\n", steps[i]),
			HTTP_REQUEST);
		assert_string_equal(p.req.method, "GET");
		assert_string_equal(p.req.path, "/vm/state");
		assert_int_equal(p.req.minor, 1);
		assert_true(p.req.keep_alive);
		assert_false(p.req.body_too_large);
		assert_int_equal(p.req.body_len, 0);
	}
	/* Query dropped, escapes decoded, bare LF accepted, absolute form. */
	assert_int_equal(parse_str(&p, "GET /vm/%73tate?x=1&y HTTP/1.1\nHost: x\n\n", 0),
			 HTTP_REQUEST);
	assert_string_equal(p.req.path, "/vm/state");
	assert_int_equal(
		parse_str(&p, "GET http://localhost:8081/vm/inspect?a HTTP/1.1\r\n\r\n", 0),
		HTTP_REQUEST);
	assert_string_equal(p.req.path, "/vm/inspect");
	assert_int_equal(parse_str(&p, "OPTIONS * HTTP/1.1\r\n\r\n", 0), HTTP_REQUEST);
	assert_string_equal(p.req.path, "*");
	/* Header names are case-insensitive; values are trimmed. */
	assert_int_equal(parse_str(&p, "GET / HTTP/1.1\r\ncOnNeCtIoN: \t Close \t\r\n\r\n", 0),
			 HTTP_REQUEST);
	assert_false(p.req.keep_alive);
	assert_int_equal(parse_str(&p, "GET / HTTP/1.1\r\nConnection: foo, close\r\n\r\n", 0),
			 HTTP_REQUEST);
	assert_false(p.req.keep_alive);
	/* Empty lines before a request are skipped, even split between reads. */
	assert_int_equal(parse_str(&p, "\r\n\r\n\nGET / HTTP/1.1\r\n\r\n", 1), HTTP_REQUEST);
	assert_string_equal(p.req.path, "/");
}

static void test_post_content_length(void **state)
{
	const char *req = "POST /vm/state HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
			  "Content-Length: 17\r\n\r\n{\"state\":\"Pause\"}";
	struct http_parser p;

	(void)state;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		assert_int_equal(parse_str(&p, req, steps[i]), HTTP_REQUEST);
		assert_string_equal(p.req.method, "POST");
		assert_int_equal(p.req.body_len, 17);
		assert_memory_equal(p.req.body, "{\"state\":\"Pause\"}", 17);
	}
	/* Not all there yet. */
	assert_int_equal(parse_str(&p, "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nabc", 0),
			 HTTP_NEED_MORE);
	/* A repeated but equal length is fine. */
	assert_int_equal(
		parse_str(&p,
			  "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-length: 3\r\n\r\nabc",
			  0),
		HTTP_REQUEST);
	assert_int_equal(p.req.body_len, 3);
	/* Exactly the limit. */
	{
		char big[REST_MAX_BODY + 128];
		int n = snprintf(big, sizeof(big), "POST / HTTP/1.1\r\nContent-Length: %d\r\n\r\n",
				 REST_MAX_BODY);

		memset(big + n, 'b', REST_MAX_BODY);
		big[n + REST_MAX_BODY] = '\0';
		assert_int_equal(parse_str(&p, big, 1000), HTTP_REQUEST);
		assert_int_equal(p.req.body_len, REST_MAX_BODY);
		assert_false(p.req.body_too_large);
	}
}

static void test_chunked(void **state)
{
	const char *req = "POST /vm/state HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n"
			  "3\r\n{\"s\r\nB;name=value\r\ntate\":\"Paus\r\n"
			  "3\r\ne\"}\r\n0\r\nX-Trailer: 1\r\n\r\n";
	struct http_parser p;

	(void)state;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		assert_int_equal(parse_str(&p, req, steps[i]), HTTP_REQUEST);
		assert_int_equal(p.req.body_len, 17);
		assert_memory_equal(p.req.body, "{\"state\":\"Pause\"}", 17);
		assert_true(p.req.keep_alive);
	}
	/* Bare LF line ends, no trailers. */
	assert_int_equal(parse_str(&p,
				   "POST / HTTP/1.1\nTransfer-Encoding: chunked\n\n"
				   "2\nab\n0\n\n",
				   1),
			 HTTP_REQUEST);
	assert_int_equal(p.req.body_len, 2);
	/* The final empty line missing: not done. */
	assert_int_equal(parse_str(&p,
				   "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
				   "2\r\nab\r\n0\r\n",
				   0),
			 HTTP_NEED_MORE);
}

static void test_pipelining(void **state)
{
	const char *reqs =
		"GET /a HTTP/1.1\r\n\r\n"
		"POST /b HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi"
		"POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n"
		"\r\nGET /d HTTP/1.0\r\n\r\n";
	const char *paths[] = {"/a", "/b", "/c", "/d"};
	const size_t lens[] = {0, 2, 1, 0};

	(void)state;
	for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
		struct http_parser p;
		struct feed f = {.len = 0};
		size_t off = 0, taken;

		http_parser_init(&p);
		for (int i = 0; i < 4; i++) {
			enum http_result r;

			/* Bytes already buffered first, then more from the "socket". */
			r = feed(&p, &f, reqs + off, strlen(reqs + off), steps[s], &taken);
			off += taken;
			assert_int_equal(r, HTTP_REQUEST);
			assert_string_equal(p.req.path, paths[i]);
			assert_int_equal(p.req.body_len, lens[i]);
			http_parser_next(&p);
		}
		assert_int_equal(f.len, 0);
		assert_int_equal(off, strlen(reqs));
	}
}

static void test_http10(void **state)
{
	struct http_parser p;

	(void)state;
	assert_int_equal(parse_str(&p, "GET /vm/state HTTP/1.0\r\n\r\n", 0), HTTP_REQUEST);
	assert_int_equal(p.req.minor, 0);
	assert_false(p.req.keep_alive);
	assert_int_equal(
		parse_str(&p, "GET /vm/state HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 0),
		HTTP_REQUEST);
	assert_true(p.req.keep_alive);
	/* 1.0 never waits for 100 Continue; 1.1 does. */
	assert_int_equal(parse_str(&p,
				   "POST / HTTP/1.0\r\nExpect: 100-continue\r\n"
				   "Content-Length: 2\r\n\r\n",
				   0),
			 HTTP_NEED_MORE);
	assert_false(p.send_continue);
	assert_int_equal(parse_str(&p,
				   "POST / HTTP/1.1\r\nExpect: 100-continue\r\n"
				   "Content-Length: 2\r\n\r\n",
				   0),
			 HTTP_NEED_MORE);
	assert_true(p.send_continue);
	/* A later 1.x is served as 1.1; other majors are not. */
	assert_int_equal(parse_str(&p, "GET / HTTP/1.7\r\n\r\n", 0), HTTP_REQUEST);
	assert_int_equal(p.req.minor, 1);
	expect_fail("GET / HTTP/2.0\r\n\r\n", 505);
	expect_fail("GET / HTTP/0.9\r\n\r\n", 505);
	/* Chunked did not exist in 1.0: framing is ambiguous. */
	expect_fail("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400);
}

static void test_too_large(void **state)
{
	struct http_parser p;
	char req[REST_MAX_BODY + 256];
	int n;

	(void)state;
	/* Declared: the request ends with the head, before any body byte. */
	assert_int_equal(parse_str(&p,
				   "POST / HTTP/1.1\r\nExpect: 100-continue\r\n"
				   "Content-Length: 4097\r\n\r\n{",
				   0),
			 HTTP_REQUEST);
	assert_true(p.req.body_too_large);
	assert_false(p.req.keep_alive);
	assert_false(p.send_continue);
	assert_int_equal(p.req.body_len, 0);
	assert_int_equal(parse_str(&p, "POST / HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n", 1),
			 HTTP_REQUEST);
	assert_true(p.req.body_too_large);

	/* Chunked: refused at the chunk that passes the limit, nothing stored past it. */
	n = snprintf(req, sizeof(req),
		     "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
		     "1000\r\n");
	memset(req + n, 'a', 0x1000);
	n += 0x1000;
	n += snprintf(req + n, sizeof(req) - (size_t)n, "\r\n1\r\nb\r\n0\r\n\r\n");
	assert_int_equal(parse_str(&p, req, 0), HTTP_REQUEST);
	assert_true(p.req.body_too_large);
	assert_false(p.req.keep_alive);
	assert_int_equal(p.req.body_len, 0x1000);
	assert_int_equal(parse_str(&p, req, 1), HTTP_REQUEST);
	assert_true(p.req.body_too_large);
	/* One huge chunk. */
	assert_int_equal(parse_str(&p,
				   "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
				   "fffffff\r\nxx",
				   0),
			 HTTP_REQUEST);
	assert_true(p.req.body_too_large);
	assert_int_equal(p.req.body_len, 0);
}

static void test_malformed_request_line(void **state)
{
	(void)state;
	expect_fail("GET\r\n\r\n", 400);
	expect_fail("GET /\r\n\r\n", 400);
	expect_fail("GET  / HTTP/1.1\r\n\r\n", 400);
	expect_fail("GET / HTTP/1.1 \r\n\r\n", 400);
	expect_fail("GET / http/1.1\r\n\r\n", 400);
	expect_fail("GET / HTTP/1.10\r\n\r\n", 400);
	expect_fail("GET / HTTP/x.1\r\n\r\n", 400);
	expect_fail("G(T / HTTP/1.1\r\n\r\n", 400);
	expect_fail("GETGETGETGETGETGET / HTTP/1.1\r\n\r\n", 400);
	expect_fail("GET vm/state HTTP/1.1\r\n\r\n", 400);
	expect_fail("GET /a\x01 HTTP/1.1\r\n\r\n", 400);
	expect_fail("GET /a\rb HTTP/1.1\r\n\r\n", 400);
	expect_fail("GET /%zz HTTP/1.1\r\n\r\n", 400);
	expect_fail("GET /%4 HTTP/1.1\r\n\r\n", 400);
	expect_fail("GET /vm/state%00x HTTP/1.1\r\n\r\n", 400);
	expect_fail("\x01\x02garbage\r\n\r\n", 400);
	expect_fail("\rGET / HTTP/1.1\r\n\r\n", 400);
	{
		char req[HTTP_MAX_PATH + 64];
		int n = snprintf(req, sizeof(req), "GET /");

		memset(req + n, 'a', HTTP_MAX_PATH);
		snprintf(req + n + HTTP_MAX_PATH, sizeof(req) - (size_t)n - HTTP_MAX_PATH,
			 " HTTP/1.1\r\n\r\n");
		expect_fail(req, 414);
	}
}

static void test_malformed_headers(void **state)
{
	(void)state;
	expect_fail("GET / HTTP/1.1\r\nHost x\r\n\r\n", 400);
	expect_fail("GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400);
	expect_fail("GET / HTTP/1.1\r\n: x\r\n\r\n", 400);
	expect_fail("GET / HTTP/1.1\r\nA: b\r\n continued\r\n\r\n", 400);
	expect_fail("GET / HTTP/1.1\r\nA: b\x01\r\n\r\n", 400);
	expect_fail("GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", 400);
	expect_fail("GET / HTTP/1.1\r\nExpect: something-else\r\n\r\n", 417);
	expect_fail("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501);
	expect_fail("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n",
		    400);
	/* Both framings: a smuggling attempt. */
	expect_fail("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
		    400);
}

static void test_bad_lengths(void **state)
{
	(void)state;
	expect_fail("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400);
	expect_fail("POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\n", 400);
	expect_fail("POST / HTTP/1.1\r\nContent-Length: \r\n\r\n", 400);
	expect_fail("POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n", 400);
	expect_fail("POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n", 400);
	expect_fail("POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\n", 400);
	expect_fail("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", 400);
	expect_fail("POST / HTTP/1.1\r\nContent-Length: 18446744073709551617\r\n\r\n", 400);
	expect_fail("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400);
}

static void test_bad_chunks(void **state)
{
	const char *head = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
	const char *bodies[] = {
		"x\r\n",
		"-1\r\n",
		"\r\n",
		" 1\r\na\r\n0\r\n\r\n",
		"0x1\r\na\r\n0\r\n\r\n",
		"1 x\r\na\r\n0\r\n\r\n",
		"10000000000000000\r\n",
		"2\r\nabc\r\n0\r\n\r\n", /* data longer than its size */
		"2\r\nab\rx0\r\n\r\n",
		"1;a=\x01\r\na\r\n0\r\n\r\n",
		"0\r\nno colon\r\n\r\n",
		"0\r\n folded: x\r\n\r\n",
	};
	char req[512];

	(void)state;
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		snprintf(req, sizeof(req), "%s%s", head, bodies[i]);
		expect_fail(req, 400);
	}
	/* A chunk-size line that never ends. */
	{
		char longline[1024];
		int n = snprintf(longline, sizeof(longline), "%s1;", head);

		memset(longline + n, 'e', 600);
		longline[n + 600] = '\0';
		expect_fail(longline, 400);
	}
}

static void test_head_too_large(void **state)
{
	static char req[HTTP_MAX_HEAD * 2];
	struct http_parser p;
	int n;

	(void)state;
	/* Many headers, never ending: refused once the buffer is full. */
	n = snprintf(req, sizeof(req), "GET / HTTP/1.1\r\n");
	while ((size_t)n < sizeof(req) - 32)
		n += snprintf(req + n, sizeof(req) - (size_t)n, "X-Pad: %08d\r\n", n);
	expect_fail(req, 431);
	/* Complete, but just over the limit. */
	n = snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nX: ");
	memset(req + n, 'a', HTTP_MAX_HEAD - (size_t)n - 3);
	snprintf(req + HTTP_MAX_HEAD - 3, sizeof(req) - HTTP_MAX_HEAD + 3, "\r\n\r\n");
	expect_fail(req, 431);
	/* Just at it. */
	req[HTTP_MAX_HEAD - 4] = '\r';
	snprintf(req + HTTP_MAX_HEAD - 3, sizeof(req) - HTTP_MAX_HEAD + 3, "\n\r\n");
	assert_int_equal(parse_str(&p, req, 0), HTTP_REQUEST);
	/* Endless empty lines before a request. */
	memset(req, '\n', sizeof(req) - 1);
	req[sizeof(req) - 1] = '\0';
	expect_fail(req, 400);
	/* Trailers count too. */
	n = snprintf(req, sizeof(req),
		     "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n");
	while ((size_t)n < sizeof(req) - 32)
		n += snprintf(req + n, sizeof(req) - (size_t)n, "X-Pad: %08d\r\n", n);
	expect_fail(req, 431);
}

/* Finished or failed parsers hold still until reset. */
static void test_sticky_states(void **state)
{
	struct http_parser p;
	size_t used;

	(void)state;
	assert_int_equal(parse_str(&p, "GET / HTTP/1.1\r\n\r\n", 0), HTTP_REQUEST);
	assert_int_equal(http_parse(&p, "GET / HTTP/1.1\r\n\r\n", 18, &used), HTTP_REQUEST);
	assert_int_equal(used, 0);
	assert_int_equal(parse_str(&p, "BAD\r\n\r\n", 0), HTTP_FAIL);
	assert_int_equal(http_parse(&p, "GET / HTTP/1.1\r\n\r\n", 18, &used), HTTP_FAIL);
	assert_int_equal(used, 0);
	assert_string_equal(http_reason(413), "Request Entity Too Large");
	assert_string_equal(http_reason(299), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_get),
		cmocka_unit_test(test_post_content_length),
		cmocka_unit_test(test_chunked),
		cmocka_unit_test(test_pipelining),
		cmocka_unit_test(test_http10),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_malformed_request_line),
		cmocka_unit_test(test_malformed_headers),
		cmocka_unit_test(test_bad_lengths),
		cmocka_unit_test(test_bad_chunks),
		cmocka_unit_test(test_head_too_large),
		cmocka_unit_test(test_sticky_states),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
