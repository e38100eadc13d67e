// SPDX-License-Identifier: Apache-2.0
/*
 * --restful-uri (reference 9.1): tcp://host:port (alias http), unix:///path,
 * none:// (disabled). Checked at parse time so a bad URI fails before the VM
 * exists, not after it was built as upstream does.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/cli_internal.h"

/* Length of a URI scheme at the start of s (RFC 3986), 0 if none before ':'. */
static size_t scheme_len(const char *s)
{
	size_t i;

	if (!isalpha((unsigned char)s[0]))
		return 0;
	for (i = 1; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ':')
			return i;
		if (!isalnum(c) && c != '+' && c != '-' && c != '.')
			return 0;
	}
	return 0;
}

/* %xx decoding in place; -1 on a malformed escape. */
static int percent_decode(char *s)
{
	char *out = s, hex[3] = {0};

	for (; *s; s++) {
		if (*s != '%') {
			*out++ = *s;
			continue;
		}
		if (!isxdigit((unsigned char)s[1]) || !isxdigit((unsigned char)s[2]))
			return -1;
		hex[0] = s[1];
		hex[1] = s[2];
		*out++ = (char)strtol(hex, NULL, 16);
		s += 2;
	}
	*out = '\0';
	return 0;
}

struct uri_parts {
	char *authority; /* NULL when the URI has no "//" */
	char *path;
};

static int split_uri(const char *rest, struct uri_parts *p)
{
	size_t end;

	*p = (struct uri_parts){0};
	if (!strncmp(rest, "//", 2)) {
		rest += 2;
		end = strcspn(rest, "/?#");
		p->authority = strndup(rest, end);
		if (!p->authority)
			return -1;
		rest += end;
	}
	/* opaque forms like "unix:rel" have no path in Go's url package */
	end = rest[0] == '/' ? strcspn(rest, "?#") : 0;
	p->path = strndup(rest, end);
	return p->path ? 0 : -1;
}

static int parse_tcp(const char *uri, struct uri_parts *p, struct rest_config *rest, char *err,
		     size_t errlen)
{
	char *auth = p->authority, *host_end, *port, q[512];
	enum num_error e;
	uint64_t num;

	if (!auth || !auth[0])
		return cli_err(err, errlen, "invalid TCP uri: missing host");
	if (p->path[0])
		return cli_err(err, errlen, "invalid TCP uri: path is forbidden");
	if (auth[0] == '[') {
		host_end = strchr(auth, ']');
		if (!host_end)
			return cli_err(err, errlen, "invalid TCP uri: missing ']' in host");
		port = host_end[1] == ':' ? host_end + 2 : NULL;
		if (!port && host_end[1]) {
			go_quote(uri, q, sizeof(q));
			return cli_err(err, errlen, "parse %s: invalid port after host", q);
		}
		rest->host = strndup(auth + 1, (size_t)(host_end - auth - 1));
	} else {
		host_end = strrchr(auth, ':');
		port = host_end ? host_end + 1 : NULL;
		rest->host = strndup(auth, host_end ? (size_t)(host_end - auth) : strlen(auth));
	}
	if (!rest->host)
		return cli_err(err, errlen, "out of memory");
	if (!port || !port[0])
		return cli_err(err, errlen, "invalid TCP uri: missing port");
	e = go_parse_uint(port, 10, 64, &num);
	if (e == NUM_SYNTAX) {
		go_quote(uri, q, sizeof(q));
		return cli_err(err, errlen, "parse %s: invalid port \":%s\" after host", q, port);
	}
	if (e != NUM_OK || num > 65535)
		return cli_err(err, errlen, "invalid TCP uri: port %s out of range (0-65535)",
			       port);
	rest->port = (uint16_t)num;
	rest->scheme = REST_TCP;
	return 0;
}

static int parse_unix(const char *uri, struct uri_parts *p, struct rest_config *rest, char *err,
		      size_t errlen)
{
	char q[512];

	if (!p->path[0])
		return cli_err(err, errlen, "invalid unix uri: missing path");
	if (p->authority && p->authority[0])
		return cli_err(err, errlen, "invalid unix uri: host is forbidden");
	if (percent_decode(p->path)) {
		go_quote(uri, q, sizeof(q));
		return cli_err(err, errlen, "parse %s: invalid URL escape", q);
	}
	if (strlen(p->path) > CFG_UNIX_PATH_MAX)
		return cli_err(
			err, errlen,
			"invalid unix uri: socket path length exceeds Linux limits (%zu > %d "
			"bytes)",
			strlen(p->path), CFG_UNIX_PATH_MAX);
	rest->path = p->path;
	p->path = NULL;
	rest->scheme = REST_UNIX;
	return 0;
}

static int parse_uri(const char *uri, struct rest_config *rest, char *err, size_t errlen)
{
	struct uri_parts parts;
	char scheme[32], q[512];
	size_t slen;
	int rc;

	if (!uri[0])
		return cli_err(err, errlen, "parse \"\": empty url");
	slen = scheme_len(uri);
	if (!slen || slen >= sizeof(scheme)) {
		go_quote(uri, q, sizeof(q));
		return cli_err(err, errlen, "parse %s: invalid URI for request", q);
	}
	memcpy(scheme, uri, slen);
	scheme[slen] = '\0';
	/* every none: URI disables the API (upstream only knows the exact "none://") */
	if (!strcasecmp(scheme, "none")) {
		rest->scheme = REST_NONE;
		return 0;
	}
	if (strcasecmp(scheme, "tcp") && strcasecmp(scheme, "http") && strcasecmp(scheme, "unix"))
		return cli_err(err, errlen, "invalid scheme %s", scheme);
	if (split_uri(uri + slen + 1, &parts)) {
		free(parts.authority);
		free(parts.path);
		return cli_err(err, errlen, "out of memory");
	}
	if (!strcasecmp(scheme, "unix"))
		rc = parse_unix(uri, &parts, rest, err, errlen);
	else
		rc = parse_tcp(uri, &parts, rest, err, errlen);
	free(parts.authority);
	free(parts.path);
	return rc;
}

int rest_uri_parse(const char *uri, struct rest_config *rest, char *err, size_t errlen)
{
	rest_config_clear(rest);
	rest->uri = strdup(uri);
	if (!rest->uri)
		return cli_err(err, errlen, "out of memory");
	if (parse_uri(uri, rest, err, errlen)) {
		cli_err_prefix(err, errlen, "--restful-uri");
		return -1;
	}
	return 0;
}
