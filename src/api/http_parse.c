// SPDX-License-Identifier: Apache-2.0
/*
 * HTTP/1.x request parsing (RFC 9112), strict where leniency lets requests be
 * read two ways (request smuggling: conflicting lengths, folded or spaced
 * header names, Transfer-Encoding with Content-Length), lenient where common
 * clients differ harmlessly (bare LF line ends, empty lines before a request).
 * The head is parsed once it is complete in the caller's buffer; bodies are
 * consumed as they arrive, so a slow upload needs no more than one buffer.
 */
#include <string.h>
#include <strings.h>

#include "api/http_parse.h"
#include "util/hex.h"

/* Head facts gathered while reading the header lines. */
struct head {
	bool have_length, chunked, conn_close, conn_keep_alive, expect_continue;
	uint64_t length;
};

/* Content-Length values above this are refused as malformed (Go: 63 bits). */
#define MAX_CONTENT_LENGTH ((uint64_t)INT64_MAX)

void http_parser_init(struct http_parser *p)
{
	memset(p, 0, sizeof(*p));
	p->state = HTTP_S_HEAD;
}

void http_parser_next(struct http_parser *p)
{
	http_parser_init(p);
}

const char *http_reason(unsigned int status)
{
	switch (status) {
	case 100:
		return "Continue";
	case 200:
		return "OK";
	case 301:
		return "Moved Permanently";
	case 307:
		return "Temporary Redirect";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 413:
		return "Request Entity Too Large";
	case 414:
		return "Request URI Too Long";
	case 417:
		return "Expectation Failed";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 505:
		return "HTTP Version Not Supported";
	}
	return "";
}

static bool is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_token(const char *s, size_t len)
{
	if (!len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_tchar(s[i]))
			return false;
	return true;
}

static enum http_result fail(struct http_parser *p, unsigned int status)
{
	p->state = HTTP_S_FAILED;
	p->error = status;
	p->send_continue = false;
	return HTTP_FAIL;
}

/* Case-insensitive comparison of a counted string with a literal. */
static bool eq_nocase(const char *s, size_t len, const char *lit)
{
	return strlen(lit) == len && !strncasecmp(s, lit, len);
}

/* --- request line --- */

/* Decodes %XX escapes of the path into req->path; the query is dropped. */
static unsigned int decode_path(struct http_request *req, const char *s, size_t len)
{
	size_t out = 0;

	for (size_t i = 0; i < len && s[i] != '?'; i++) {
		char c = s[i];

		if (c == '%') {
			int hi = i + 2 < len ? hex_digit_value(s[i + 1]) : -1;
			int lo = i + 2 < len ? hex_digit_value(s[i + 2]) : -1;

			/* A NUL would cut the path short and route it elsewhere. */
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return 400;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (out + 1 >= sizeof(req->path))
			return 414;
		req->path[out++] = c;
	}
	req->path[out] = '\0';
	return 0;
}

/* origin-form "/p?q", absolute-form "http://host/p" (proxies send it), or "*". */
static unsigned int parse_target(struct http_request *req, const char *s, size_t len)
{
	size_t skip;

	if (len && s[0] == '/')
		return decode_path(req, s, len);
	if (len == 1 && s[0] == '*')
		return decode_path(req, s, len);
	if (len > 7 && !strncasecmp(s, "http://", 7))
		skip = 7;
	else if (len > 8 && !strncasecmp(s, "https://", 8))
		skip = 8;
	else
		return 400;
	while (skip < len && s[skip] != '/' && s[skip] != '?')
		skip++;
	if (skip == len || s[skip] == '?') {
		/* No path: the root, as "http://host" means. */
		req->path[0] = '/';
		req->path[1] = '\0';
		return 0;
	}
	return decode_path(req, s + skip, len - skip);
}

static unsigned int parse_version(struct http_request *req, const char *s, size_t len)
{
	if (len != 8 || strncmp(s, "HTTP/", 5) || s[6] != '.' || hex_digit_value(s[5]) < 0 ||
	    hex_digit_value(s[5]) > 9 || hex_digit_value(s[7]) < 0 || hex_digit_value(s[7]) > 9)
		return 400;
	if (s[5] != '1')
		return 505;
	/* A later 1.x client understands 1.1 replies. */
	req->minor = s[7] == '0' ? 0 : 1;
	return 0;
}

/* "METHOD SP target SP HTTP/1.x", single spaces only. */
static unsigned int parse_request_line(struct http_request *req, const char *s, size_t len)
{
	const char *sp1 = memchr(s, ' ', len), *sp2;
	size_t mlen, tlen;
	unsigned int err;

	if (!sp1)
		return 400;
	mlen = (size_t)(sp1 - s);
	sp2 = memchr(sp1 + 1, ' ', len - mlen - 1);
	if (!sp2)
		return 400;
	tlen = (size_t)(sp2 - sp1 - 1);
	if (!is_token(s, mlen) || mlen >= sizeof(req->method) || !tlen)
		return 400;
	for (size_t i = 0; i < tlen; i++)
		if (sp1[1 + i] <= ' ' || sp1[1 + i] == 0x7f)
			return 400;
	err = parse_version(req, sp2 + 1, len - (size_t)(sp2 + 1 - s));
	if (err)
		return err;
	memcpy(req->method, s, mlen);
	req->method[mlen] = '\0';
	return parse_target(req, sp1 + 1, tlen);
}

/* --- header fields --- */

static unsigned int parse_length(struct head *h, const char *v, size_t len)
{
	uint64_t n = 0;

	if (!len)
		return 400;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return 400; /* also "-1", "+1", "1, 1" */
		if (n > (MAX_CONTENT_LENGTH - (uint64_t)(v[i] - '0')) / 10)
			return 400;
		n = n * 10 + (uint64_t)(v[i] - '0');
	}
	/* Repeats must agree, else the body's end is ambiguous. */
	if (h->have_length && h->length != n)
		return 400;
	h->have_length = true;
	h->length = n;
	return 0;
}

static unsigned int parse_transfer_encoding(struct head *h, const char *v, size_t len)
{
	if (h->chunked)
		return 400; /* "chunked" applied twice */
	if (!eq_nocase(v, len, "chunked"))
		return 501; /* gzip and friends: not for a 20-byte API */
	h->chunked = true;
	return 0;
}

/* Comma-separated options; only close and keep-alive matter. */
static void parse_connection(struct head *h, const char *v, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t start, end;

		while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		start = i;
		while (i < len && v[i] != ',')
			i++;
		end = i;
		while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t'))
			end--;
		if (eq_nocase(v + start, end - start, "close"))
			h->conn_close = true;
		else if (eq_nocase(v + start, end - start, "keep-alive"))
			h->conn_keep_alive = true;
	}
}

/* Keeps a header value for later checks; *too_long says it was cut. */
static void keep_value(char *dst, size_t dstlen, bool *too_long, const char *v, size_t vlen)
{
	*too_long = vlen >= dstlen;
	if (*too_long)
		vlen = dstlen - 1;
	memcpy(dst, v, vlen);
	dst[vlen] = '\0';
}

/*
 * Host, Origin and Sec-Fetch-Site are only recorded here; whether they are
 * acceptable depends on the listener (rest_origin.c). Two Host fields make
 * the target ambiguous (RFC 9112, 3.2): malformed.
 */
static unsigned int parse_origin_fields(struct http_request *req, const char *name, size_t nlen,
					const char *v, size_t vlen)
{
	if (eq_nocase(name, nlen, "host")) {
		if (req->has_host)
			return 400;
		req->has_host = true;
		keep_value(req->host, sizeof(req->host), &req->host_too_long, v, vlen);
	} else if (eq_nocase(name, nlen, "origin")) {
		req->origin_repeated = req->has_origin;
		req->has_origin = true;
		keep_value(req->origin, sizeof(req->origin), &req->origin_too_long, v, vlen);
	} else if (eq_nocase(name, nlen, "sec-fetch-site") && eq_nocase(v, vlen, "cross-site")) {
		req->cross_site = true;
	}
	return 0;
}

static unsigned int parse_field(struct http_request *req, struct head *h, const char *name,
				size_t nlen, const char *v, size_t vlen)
{
	if (eq_nocase(name, nlen, "content-length"))
		return parse_length(h, v, vlen);
	if (eq_nocase(name, nlen, "transfer-encoding"))
		return parse_transfer_encoding(h, v, vlen);
	if (eq_nocase(name, nlen, "connection"))
		parse_connection(h, v, vlen);
	else if (eq_nocase(name, nlen, "expect")) {
		if (!eq_nocase(v, vlen, "100-continue"))
			return 417;
		h->expect_continue = true;
	}
	return parse_origin_fields(req, name, nlen, v, vlen);
}

/* "name: value"; no space before the colon, no folded continuation lines. */
static unsigned int parse_header_line(struct http_request *req, struct head *h, const char *s,
				      size_t len)
{
	const char *colon = memchr(s, ':', len);
	size_t nlen, vstart, vend;

	if (!colon)
		return 400;
	nlen = (size_t)(colon - s);
	if (!is_token(s, nlen))
		return 400;
	vstart = nlen + 1;
	vend = len;
	while (vstart < vend && (s[vstart] == ' ' || s[vstart] == '\t'))
		vstart++;
	while (vend > vstart && (s[vend - 1] == ' ' || s[vend - 1] == '\t'))
		vend--;
	for (size_t i = vstart; i < vend; i++)
		if (((unsigned char)s[i] < ' ' && s[i] != '\t') || s[i] == 0x7f)
			return 400;
	return parse_field(req, h, s, nlen, s + vstart, vend - vstart);
}

/* --- the head as a whole --- */

/* Length of the line at s (up to len), without its LF or CRLF; *next is past it. */
static size_t line_at(const char *s, size_t len, size_t *next)
{
	const char *nl = memchr(s, '\n', len);
	size_t l = nl ? (size_t)(nl - s) : len;

	*next = nl ? l + 1 : len;
	if (l && s[l - 1] == '\r')
		l--;
	return l;
}

/* Chooses how the body is framed once every header is known. */
static enum http_result frame_body(struct http_parser *p, const struct head *h)
{
	struct http_request *req = &p->req;

	if (h->chunked && (h->have_length || req->minor == 0))
		return fail(p, 400); /* both framings, or chunked before 1.1 existed */
	req->keep_alive = req->minor ? !h->conn_close : h->conn_keep_alive && !h->conn_close;
	if (h->chunked) {
		p->state = HTTP_S_CHUNK_SIZE;
	} else if (h->have_length && h->length > REST_MAX_BODY) {
		/* Answered before the body is read; what follows cannot be parsed. */
		req->body_too_large = true;
		req->keep_alive = false;
		p->state = HTTP_S_DONE;
		return HTTP_REQUEST;
	} else if (h->have_length && h->length) {
		p->state = HTTP_S_BODY;
		p->remaining = h->length;
	} else {
		p->state = HTTP_S_DONE;
		return HTTP_REQUEST;
	}
	/* HTTP/1.0 clients never wait for 100 (RFC 9110, 10.1.1). */
	p->send_continue = h->expect_continue && req->minor;
	return HTTP_NEED_MORE;
}

/* Parses the complete head s[0..len), which ends with its empty line. */
static enum http_result parse_head(struct http_parser *p, const char *s, size_t len)
{
	struct head h = {0};
	size_t pos, next, l;
	unsigned int err;

	l = line_at(s, len, &next);
	err = parse_request_line(&p->req, s, l);
	if (err)
		return fail(p, err);
	for (pos = next; pos < len; pos = next) {
		if (s[pos] == ' ' || s[pos] == '\t')
			return fail(p, 400); /* obsolete line folding */
		l = line_at(s + pos, len - pos, &next);
		next += pos;
		if (!l)
			break;
		err = parse_header_line(&p->req, &h, s + pos, l);
		if (err)
			return fail(p, err);
	}
	return frame_body(p, &h);
}

/* Position just past the empty line that ends the head, or 0 if not there yet. */
static size_t find_head_end(struct http_parser *p, const char *buf, size_t len)
{
	for (size_t i = p->scanned > 0 ? p->scanned : 1; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i - 1] == '\n' || (i >= 2 && buf[i - 1] == '\r' && buf[i - 2] == '\n'))
			return i + 1;
	}
	p->scanned = len;
	return 0;
}

/* Empty lines before a request are ignored (RFC 9112, 2.2), up to a head's size. */
static size_t skip_empty_lines(const char *buf, size_t len)
{
	size_t pos = 0;

	while (pos < len) {
		if (buf[pos] == '\n')
			pos++;
		else if (buf[pos] == '\r' && pos + 1 < len && buf[pos + 1] == '\n')
			pos += 2;
		else
			break;
	}
	return pos;
}

static enum http_result step_head(struct http_parser *p, const char *buf, size_t len, size_t *pos)
{
	size_t end;

	if (p->scanned == 0) {
		size_t skip = skip_empty_lines(buf + *pos, len - *pos);

		p->skipped += skip;
		if (p->skipped > HTTP_MAX_HEAD)
			return fail(p, 400);
		*pos += skip;
		if (*pos == len || (*pos + 1 == len && buf[*pos] == '\r'))
			return HTTP_NEED_MORE; /* maybe the CR of one more empty line */
	}
	end = find_head_end(p, buf + *pos, len - *pos);
	if (!end && len - *pos >= HTTP_MAX_HEAD)
		return fail(p, 431);
	if (!end)
		return HTTP_NEED_MORE;
	if (end > HTTP_MAX_HEAD)
		return fail(p, 431);
	p->scanned = 0;
	*pos += end;
	return parse_head(p, buf + *pos - end, end);
}

/* --- bodies --- */

static void take_body(struct http_parser *p, const char *s, size_t n)
{
	/* Callers never exceed REST_MAX_BODY in total; stay safe if one did. */
	if (n > sizeof(p->req.body) - p->req.body_len)
		n = sizeof(p->req.body) - p->req.body_len;
	memcpy(p->req.body + p->req.body_len, s, n);
	p->req.body_len += n;
}

static enum http_result step_body(struct http_parser *p, const char *buf, size_t len, size_t *pos)
{
	size_t n = len - *pos;

	if (n > p->remaining)
		n = (size_t)p->remaining;
	take_body(p, buf + *pos, n);
	*pos += n;
	p->remaining -= n;
	if (p->remaining)
		return HTTP_NEED_MORE;
	p->state = HTTP_S_DONE;
	return HTTP_REQUEST;
}

/*
 * A complete line at buf[*pos..len), at most HTTP_MAX_CHUNK_LINE long plus
 * CRLF: 1 and the line, 0 if it has not all arrived, -1 if too long.
 */
static int take_line(const char *buf, size_t len, size_t *pos, const char **line, size_t *llen)
{
	size_t avail = len - *pos, next;

	if (avail > HTTP_MAX_CHUNK_LINE + 2)
		avail = HTTP_MAX_CHUNK_LINE + 2;
	if (!memchr(buf + *pos, '\n', avail))
		return avail > HTTP_MAX_CHUNK_LINE + 1 ? -1 : 0;
	*line = buf + *pos;
	*llen = line_at(*line, avail, &next);
	*pos += next;
	return 1;
}

/* "1a2b[;ext...]": hex size, then optional extensions we ignore. */
static int parse_chunk_size(const char *s, size_t len, uint64_t *size)
{
	size_t i = 0;

	*size = 0;
	for (; i < len && hex_digit_value(s[i]) >= 0; i++) {
		if (*size >> 60)
			return -1; /* would overflow */
		*size = *size << 4 | (uint64_t)hex_digit_value(s[i]);
	}
	if (i == 0)
		return -1;
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i < len && s[i] != ';')
		return -1;
	for (; i < len; i++)
		if (((unsigned char)s[i] < ' ' && s[i] != '\t') || s[i] == 0x7f)
			return -1;
	return 0;
}

static enum http_result step_chunk_size(struct http_parser *p, const char *buf, size_t len,
					size_t *pos)
{
	const char *line;
	size_t llen;
	uint64_t size;
	int r = take_line(buf, len, pos, &line, &llen);

	if (r <= 0)
		return r < 0 ? fail(p, 400) : HTTP_NEED_MORE;
	if (parse_chunk_size(line, llen, &size) < 0)
		return fail(p, 400);
	if (size == 0) {
		p->state = HTTP_S_TRAILER;
		p->scanned = 0;
	} else if (size > REST_MAX_BODY - p->req.body_len) {
		/* The excess is never stored; the reply closes the connection. */
		p->req.body_too_large = true;
		p->req.keep_alive = false;
		p->send_continue = false;
		p->state = HTTP_S_DONE;
		return HTTP_REQUEST;
	} else {
		p->state = HTTP_S_CHUNK_DATA;
		p->remaining = size;
	}
	return HTTP_NEED_MORE;
}

static enum http_result step_chunk_data(struct http_parser *p, const char *buf, size_t len,
					size_t *pos)
{
	size_t n = len - *pos;

	if (n > p->remaining)
		n = (size_t)p->remaining;
	take_body(p, buf + *pos, n);
	*pos += n;
	p->remaining -= n;
	if (!p->remaining)
		p->state = HTTP_S_CHUNK_END;
	return HTTP_NEED_MORE;
}

static enum http_result step_chunk_end(struct http_parser *p, const char *buf, size_t len,
				       size_t *pos)
{
	size_t avail = len - *pos;

	if (!avail || (buf[*pos] == '\r' && avail < 2))
		return HTTP_NEED_MORE;
	if (buf[*pos] == '\n')
		*pos += 1;
	else if (buf[*pos] == '\r' && buf[*pos + 1] == '\n')
		*pos += 2;
	else
		return fail(p, 400);
	p->state = HTTP_S_CHUNK_SIZE;
	return HTTP_NEED_MORE;
}

/* Trailer fields are read and ignored, bounded like a head. */
static enum http_result step_trailer(struct http_parser *p, const char *buf, size_t len,
				     size_t *pos)
{
	const char *line;
	size_t llen, start = *pos;
	int r = take_line(buf, len, pos, &line, &llen);

	if (r <= 0)
		return r < 0 ? fail(p, 431) : HTTP_NEED_MORE;
	p->scanned += *pos - start;
	if (p->scanned > HTTP_MAX_HEAD)
		return fail(p, 431);
	if (llen) {
		if (line[0] == ' ' || line[0] == '\t' || !memchr(line, ':', llen))
			return fail(p, 400);
		return HTTP_NEED_MORE;
	}
	p->scanned = 0;
	p->send_continue = false;
	p->state = HTTP_S_DONE;
	return HTTP_REQUEST;
}

static enum http_result step(struct http_parser *p, const char *buf, size_t len, size_t *pos)
{
	switch (p->state) {
	case HTTP_S_HEAD:
		return step_head(p, buf, len, pos);
	case HTTP_S_BODY:
		return step_body(p, buf, len, pos);
	case HTTP_S_CHUNK_SIZE:
		return step_chunk_size(p, buf, len, pos);
	case HTTP_S_CHUNK_DATA:
		return step_chunk_data(p, buf, len, pos);
	case HTTP_S_CHUNK_END:
		return step_chunk_end(p, buf, len, pos);
	case HTTP_S_TRAILER:
		return step_trailer(p, buf, len, pos);
	case HTTP_S_DONE:
		return HTTP_REQUEST;
	case HTTP_S_FAILED:
		break;
	}
	return HTTP_FAIL;
}

enum http_result http_parse(struct http_parser *p, const char *buf, size_t len, size_t *used)
{
	size_t pos = 0;
	enum http_result r;

	*used = 0;
	if (p->state == HTTP_S_DONE)
		return HTTP_REQUEST;
	if (p->state == HTTP_S_FAILED)
		return HTTP_FAIL;
	for (;;) {
		size_t before = pos;
		enum http_state was = p->state;

		r = step(p, buf, len, &pos);
		if (r != HTTP_NEED_MORE)
			break;
		/* Stop when a step made no progress: it waits for more bytes. */
		if (pos == before && p->state == was)
			break;
	}
	if (r == HTTP_REQUEST)
		p->send_continue = false;
	*used = pos;
	return r;
}
