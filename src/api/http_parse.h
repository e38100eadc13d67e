/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An incremental HTTP/1.0 and 1.1 request parser for the REST server: no
 * allocation, no I/O, every byte from a hostile peer bounds-checked, so it can
 * be unit-tested and fuzzed on its own.
 *
 * The caller keeps one connection buffer of at least HTTP_MAX_HEAD bytes,
 * calls http_parse() with its unconsumed bytes whenever more arrive, and drops
 * the *used bytes it reports. The header section must fit in HTTP_MAX_HEAD;
 * bodies (Content-Length or chunked) are copied into the request as they come,
 * up to REST_MAX_BODY: beyond that the request ends at once with
 * body_too_large and the connection must be closed after the reply.
 */
#ifndef VFKIT_HTTP_PARSE_H
#define VFKIT_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/rest_handler.h"

/* Request line plus headers, including the empty line that ends them. */
#define HTTP_MAX_HEAD	8192
#define HTTP_MAX_METHOD 16
/* The decoded path (query removed); our routes are short. */
#define HTTP_MAX_PATH 1024
/* A chunk-size line with extensions, or one trailer line. */
#define HTTP_MAX_CHUNK_LINE 256
/* Host and Origin values kept for rest_origin_check(); longer ones are cut and flagged. */
#define HTTP_MAX_HOST 320

enum http_result {
	HTTP_NEED_MORE, /* everything given was consumed or must be kept; read more */
	HTTP_REQUEST,	/* p->req is complete; answer it, then http_parser_next() */
	HTTP_FAIL,	/* answer p->error and close the connection */
};

struct http_request {
	char method[HTTP_MAX_METHOD];
	char path[HTTP_MAX_PATH]; /* percent-decoded, without the query */
	unsigned int minor;	  /* HTTP/1.minor: 0 or 1 */
	bool keep_alive;	  /* the client allows another request after this one */
	bool body_too_large;	  /* over REST_MAX_BODY: nothing stored, close after reply */
	/* Where a browser says the request goes and comes from (DNS rebinding, CSRF). */
	bool has_host, has_origin;
	bool host_too_long, origin_too_long, origin_repeated;
	bool cross_site; /* Sec-Fetch-Site: cross-site */
	char host[HTTP_MAX_HOST];
	char origin[HTTP_MAX_HOST];
	size_t body_len;
	char body[REST_MAX_BODY];
};

enum http_state {
	HTTP_S_HEAD,
	HTTP_S_BODY,	   /* Content-Length bytes */
	HTTP_S_CHUNK_SIZE, /* a chunk-size line */
	HTTP_S_CHUNK_DATA,
	HTTP_S_CHUNK_END, /* the CRLF after a chunk's data */
	HTTP_S_TRAILER,	  /* trailer lines up to the empty one */
	HTTP_S_DONE,
	HTTP_S_FAILED,
};

struct http_parser {
	enum http_state state;
	size_t scanned;	    /* bytes of the head (or of the trailer) already seen */
	size_t skipped;	    /* empty lines skipped before this request */
	uint64_t remaining; /* body or chunk bytes still to come */
	bool send_continue; /* the client waits for "100 Continue" before its body */
	unsigned int error; /* status to answer after HTTP_FAIL */
	struct http_request req;
};

void http_parser_init(struct http_parser *p);
/* Ready for the next request on the same connection (pipelining). */
void http_parser_next(struct http_parser *p);

/*
 * Consumes bytes of buf[0..len) and says how many in *used (the caller drops
 * them; the rest must be passed again, with more data behind it). A finished
 * or failed parser consumes nothing until http_parser_next().
 */
enum http_result http_parse(struct http_parser *p, const char *buf, size_t len, size_t *used);

/* The reason phrase of a status we send ("Bad Request"), "" if unknown. */
const char *http_reason(unsigned int status);

#endif
