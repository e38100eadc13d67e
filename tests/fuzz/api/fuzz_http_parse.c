// SPDX-License-Identifier: Apache-2.0
/*
 * The HTTP request parser on arbitrary bytes, fed as the server feeds it: a
 * bounded connection buffer, consumed bytes dropped, pipelined requests one
 * after another. Input: the first byte picks the read size (0: everything
 * the buffer takes), the rest is what the peer sends.
 *
 * Checked: consumption never exceeds what was given, a full buffer never
 * waits for more, every request is well-formed (token method, terminated
 * path, body within REST_MAX_BODY), failures carry a status we know, and
 * the outcome does not depend on how the bytes were split into reads. Each
 * request also goes through the Host/Origin policy of a unix, a loopback, an
 * every-interface and a named listener (rest_origin.c): only 0 or 403, a
 * reason exactly with 403, never a refusal on a unix socket or of a request
 * that names no Host, Origin or cross-site fetch.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/http_parse.h"
#include "api/rest_origin.h"

/* What one pass saw, to compare two ways of splitting the same bytes. */
struct outcome {
	unsigned int requests;
	unsigned int error;
	uint32_t digest; /* over every request's method, path, body and flags */
};

static uint32_t mix(uint32_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static void check_policies(const struct http_request *req, struct outcome *o)
{
	static const struct rest_config configs[] = {
		{.scheme = REST_UNIX},
		{.scheme = REST_TCP, .host = "localhost"},
		{.scheme = REST_TCP, .host = ""},
		{.scheme = REST_TCP, .host = "myhost.lan"},
	};
	bool names_nothing = !req->has_host && !req->has_origin && !req->cross_site;

	for (size_t i = 0; i < sizeof(configs) / sizeof(configs[0]); i++) {
		struct rest_origin_policy pol;
		const char *why;
		unsigned int status;

		rest_origin_policy_init(&pol, &configs[i], 8081);
		status = rest_origin_check(&pol, req, &why);
		if ((status != 0 && status != 403) || (status == 403) != (why != NULL) ||
		    (status && (configs[i].scheme == REST_UNIX || names_nothing)))
			abort();
		o->digest = mix(o->digest, &status, sizeof(status));
	}
}

static void check_request(const struct http_request *req, struct outcome *o)
{
	size_t mlen = strnlen(req->method, sizeof(req->method));
	size_t plen = strnlen(req->path, sizeof(req->path));
	unsigned char flags =
		(unsigned char)(req->keep_alive | req->body_too_large << 1 | req->minor << 2);

	if (mlen == 0 || mlen == sizeof(req->method) || plen == sizeof(req->path) ||
	    req->body_len > REST_MAX_BODY || req->minor > 1)
		abort();
	if (req->body_too_large && req->keep_alive)
		abort(); /* the rest of an oversized body must never be parsed */
	o->digest = mix(o->digest, req->method, mlen + 1);
	o->digest = mix(o->digest, req->path, plen + 1);
	o->digest = mix(o->digest, req->body, req->body_len);
	o->digest = mix(o->digest, &flags, 1);
	if (strnlen(req->host, sizeof(req->host)) == sizeof(req->host) ||
	    strnlen(req->origin, sizeof(req->origin)) == sizeof(req->origin))
		abort();
	o->digest = mix(o->digest, req->host, strlen(req->host));
	o->digest = mix(o->digest, req->origin, strlen(req->origin));
	check_policies(req, o);
	o->requests++;
}

static void check_error(unsigned int status)
{
	switch (status) {
	case 400:
	case 414:
	case 417:
	case 431:
	case 501:
	case 505:
		return;
	}
	abort();
}

static struct outcome run(const uint8_t *data, size_t size, size_t step)
{
	static char buf[HTTP_MAX_HEAD];
	static struct http_parser p;
	struct outcome o = {.digest = 2166136261u};
	size_t len = 0, off = 0;

	http_parser_init(&p);
	for (;;) {
		size_t n = size - off, used;
		enum http_result r;

		if (step && n > step)
			n = step;
		if (n > sizeof(buf) - len)
			n = sizeof(buf) - len;
		memcpy(buf + len, data + off, n);
		len += n;
		off += n;
		r = http_parse(&p, buf, len, &used);
		if (used > len)
			abort();
		memmove(buf, buf + used, len - used);
		len -= used;
		if (r == HTTP_FAIL) {
			check_error(p.error);
			o.error = p.error;
			return o;
		}
		if (r == HTTP_REQUEST) {
			check_request(&p.req, &o);
			/* The server closes after a request that does not keep alive. */
			if (!p.req.keep_alive)
				return o;
			http_parser_next(&p);
			continue;
		}
		if (len == sizeof(buf))
			abort(); /* waiting with a full buffer would stall the connection */
		if (off == size)
			return o;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome whole, split;

	if (size < 1)
		return 0;
	whole = run(data + 1, size - 1, 0);
	split = run(data + 1, size - 1, data[0] % 17 + 1);
	if (whole.requests != split.requests || whole.error != split.error ||
	    whole.digest != split.digest)
		abort();
	return 0;
}
