// SPDX-License-Identifier: Apache-2.0
/*
 * Host, Origin and Sec-Fetch-Site checks for TCP listeners (see rest_origin.h).
 *
 * Why these rules stop a browser and nothing else: DNS rebinding needs the
 * browser to send the attacker's DNS name as Host, and a browser never sends
 * an IP literal or "localhost" for a name it resolved (the URL parser turns
 * anything that looks like an IPv4 address into its dotted-quad form, and
 * *.localhost never reaches DNS). A cross-site request made by a page always
 * carries Origin (POST) or Sec-Fetch-Site (modern browsers). A request with
 * no Host at all cannot come from a browser, so it is accepted (HTTP/1.0
 * tools).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/rest_origin.h"

/* An authority "host[:port]" cut into its parts; IPv6 loses its brackets. */
struct authority {
	char host[HTTP_MAX_HOST];
	bool bracketed; /* was [IPv6] */
	int port;	/* -1 when absent or empty */
};

/* Digits only, at most 65535; "" is an empty port (RFC 3986 allows it). */
static bool parse_port(const char *s, size_t len, int *port)
{
	unsigned long v = 0;

	*port = -1;
	if (!len)
		return true;
	if (len > 5)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return false;
	*port = (int)v;
	return true;
}

static bool split_authority(const char *s, size_t len, struct authority *a)
{
	const char *host = s, *colon;
	size_t hlen;

	a->bracketed = len && s[0] == '[';
	if (a->bracketed) {
		const char *close = memchr(s, ']', len);

		if (!close)
			return false;
		host = s + 1;
		hlen = (size_t)(close - host);
		colon = close + 1 < s + len ? close + 1 : NULL;
		if (colon && *colon != ':')
			return false;
	} else {
		colon = memchr(s, ':', len);
		hlen = colon ? (size_t)(colon - s) : len;
		/* An unbracketed IPv6 address is not a valid Host. */
		if (colon && memchr(colon + 1, ':', len - hlen - 1))
			return false;
	}
	if (!hlen || hlen >= sizeof(a->host))
		return false;
	memcpy(a->host, host, hlen);
	a->host[hlen] = '\0';
	/* "localhost." is the same name, fully qualified. */
	if (!a->bracketed && hlen > 1 && a->host[hlen - 1] == '.')
		a->host[hlen - 1] = '\0';
	return colon ? parse_port(colon + 1, len - (size_t)(colon + 1 - s), &a->port)
		     : parse_port("", 0, &a->port);
}

static bool is_ip_literal(const struct authority *a)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return a->bracketed ? inet_pton(AF_INET6, a->host, buf) == 1
			    : inet_pton(AF_INET, a->host, buf) == 1;
}

static bool authority_is_loopback(const struct authority *a)
{
	size_t len = strlen(a->host);
	struct in6_addr in6;
	struct in_addr in4;

	if (a->bracketed) {
		if (inet_pton(AF_INET6, a->host, &in6) != 1)
			return false;
		return IN6_IS_ADDR_LOOPBACK(&in6) ||
		       (IN6_IS_ADDR_V4MAPPED(&in6) && in6.s6_addr[12] == 127);
	}
	if (inet_pton(AF_INET, a->host, &in4) == 1)
		return (ntohl(in4.s_addr) >> 24) == 127;
	/* RFC 6761: localhost and every name under it are loopback, never DNS. */
	return !strcasecmp(a->host, "localhost") ||
	       (len > 10 && !strcasecmp(a->host + len - 10, ".localhost"));
}

static bool host_allowed(const struct rest_origin_policy *pol, const struct authority *a)
{
	if (authority_is_loopback(a))
		return true;
	if (pol->any_ip && is_ip_literal(a))
		return true;
	return pol->bound[0] && !strcasecmp(a->host, pol->bound);
}

/* A serialized origin "http://host[:port]" naming this very listener. */
static bool origin_is_ours(const struct rest_origin_policy *pol, const char *origin)
{
	static const char scheme[] = "http://";
	size_t slen = sizeof(scheme) - 1;
	struct authority a;

	if (strncasecmp(origin, scheme, slen) ||
	    !split_authority(origin + slen, strlen(origin + slen), &a))
		return false;
	return host_allowed(pol, &a) && (a.port < 0 ? 80 : a.port) == pol->port;
}

void rest_origin_policy_init(struct rest_origin_policy *pol, const struct rest_config *rc, int port)
{
	const char *host = rc->host ? rc->host : "";

	memset(pol, 0, sizeof(*pol));
	pol->check = rc->scheme == REST_TCP;
	pol->port = port;
	pol->any_ip = !*host || !strcmp(host, "0.0.0.0") || !strcmp(host, "::");
	if (!pol->any_ip && strlen(host) < sizeof(pol->bound))
		snprintf(pol->bound, sizeof(pol->bound), "%s", host);
}

unsigned int rest_origin_check(const struct rest_origin_policy *pol, const struct http_request *req,
			       const char **why)
{
	struct authority a;

	*why = NULL;
	if (!pol->check)
		return 0;
	if (req->has_host &&
	    (req->host_too_long || !split_authority(req->host, strlen(req->host), &a) ||
	     !host_allowed(pol, &a)))
		*why = "Host not allowed: use a loopback name or address";
	else if (req->has_origin && (req->origin_too_long || req->origin_repeated ||
				     !origin_is_ours(pol, req->origin)))
		*why = "cross-origin request refused";
	else if (req->cross_site)
		*why = "cross-site request refused";
	return *why ? 403 : 0;
}
