// SPDX-License-Identifier: Apache-2.0
/*
 * The Host/Origin policy on its own, for listeners the server tests cannot
 * bind (every interface, a LAN name): which requests a web page could have
 * made are refused, which real clients send are served. Requests go through
 * the real parser so header handling (repeats, long values) is covered too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "api/rest_origin.h"

static struct http_parser parser;

/* Parses "GET / HTTP/1.1" plus headers; returns the policy's status (or the parser's error). */
static unsigned int check(const struct rest_origin_policy *pol, const char *headers)
{
	char req[2048];
	const char *why = NULL;
	unsigned int status;
	size_t used;
	int len = snprintf(req, sizeof(req), "GET /vm/state HTTP/1.1\r\n%s\r\n", headers);

	assert_true(len > 0 && (size_t)len < sizeof(req));
	http_parser_init(&parser);
	if (http_parse(&parser, req, (size_t)len, &used) != HTTP_REQUEST)
		return parser.error;
	status = rest_origin_check(pol, &parser.req, &why);
	assert_true(status == 0 || status == 403);
	assert_true(status == 0 ? why == NULL : why != NULL);
	return status;
}

static struct rest_origin_policy policy(enum rest_scheme scheme, const char *host, int port)
{
	struct rest_config rc = {.scheme = scheme, .host = (char *)host};
	struct rest_origin_policy pol;

	rest_origin_policy_init(&pol, &rc, port);
	return pol;
}

static void test_loopback_listener(void **state)
{
	struct rest_origin_policy pol = policy(REST_TCP, "localhost", 8081);

	(void)state;
	assert_int_equal(check(&pol, "Host: localhost:8081\r\n"), 0);
	assert_int_equal(check(&pol, "Host: 127.0.0.1:8081\r\n"), 0);
	assert_int_equal(check(&pol, "Host: [::1]:8081\r\n"), 0);
	assert_int_equal(check(&pol, "Host: a.b.localhost\r\n"), 0);
	assert_int_equal(check(&pol, ""), 0);
	assert_int_equal(check(&pol, "Host: 192.168.1.5:8081\r\n"), 403);
	assert_int_equal(check(&pol, "Host: rebind.evil.example:8081\r\n"), 403);
	assert_int_equal(check(&pol, "Host: localhost.\r\n"), 0);
	assert_int_equal(check(&pol, "Host: .localhost\r\n"), 403);
	assert_int_equal(check(&pol, "Host: xlocalhost\r\n"), 403);
	assert_int_equal(check(&pol, "Host: 127.0.0.1:8081:1\r\n"), 403);
	assert_int_equal(check(&pol, "Host: [::1]x\r\n"), 403);
	assert_int_equal(check(&pol, "Host: 0x7f.1\r\n"), 403);
	assert_int_equal(check(&pol, "Origin: http://localhost:8081\r\n"), 0);
	assert_int_equal(check(&pol, "Origin: http://[::1]:8081\r\n"), 0);
	assert_int_equal(check(&pol, "Origin: http://localhost:8082\r\n"), 403);
	assert_int_equal(check(&pol, "Origin: http://evil.example:8081\r\n"), 403);
	assert_int_equal(check(&pol, "Origin: null\r\n"), 403);
	assert_int_equal(check(&pol, "Origin: \r\n"), 403);
	assert_int_equal(check(&pol, "Sec-Fetch-Site: cross-site\r\n"), 403);
	assert_int_equal(check(&pol, "Sec-Fetch-Site: same-origin\r\n"), 0);
	assert_int_equal(check(&pol, "Sec-Fetch-Site: none\r\n"), 0);
}

/* tcp://:PORT or 0.0.0.0: clients use one of the machine's addresses, never a rebindable name. */
static void test_every_interface(void **state)
{
	struct rest_origin_policy pol = policy(REST_TCP, "", 8081);
	struct rest_origin_policy pol4 = policy(REST_TCP, "0.0.0.0", 8081);

	(void)state;
	assert_int_equal(check(&pol, "Host: 192.168.1.5:8081\r\n"), 0);
	assert_int_equal(check(&pol4, "Host: 192.168.1.5:8081\r\n"), 0);
	assert_int_equal(check(&pol, "Host: [fe80::1]:8081\r\n"), 0);
	assert_int_equal(check(&pol, "Host: localhost:8081\r\n"), 0);
	assert_int_equal(check(&pol, "Host: myhost.lan:8081\r\n"), 403);
	assert_int_equal(check(&pol4, "Host: evil.example\r\n"), 403);
	assert_int_equal(check(&pol, "Origin: http://192.168.1.5:8081\r\n"), 0);
	assert_int_equal(check(&pol, "Origin: http://192.168.1.5:80\r\n"), 403);
}

/* Bound to a name or LAN address: that host as written is accepted too. */
static void test_bound_host(void **state)
{
	struct rest_origin_policy name = policy(REST_TCP, "myhost.lan", 8081);
	struct rest_origin_policy ip6 = policy(REST_TCP, "fd00::5", 8081);

	(void)state;
	assert_int_equal(check(&name, "Host: MyHost.LAN:8081\r\n"), 0);
	assert_int_equal(check(&name, "Host: myhost.lan.\r\n"), 0);
	assert_int_equal(check(&name, "Host: 192.168.1.5\r\n"), 403);
	assert_int_equal(check(&name, "Host: myhost.lan.evil.example\r\n"), 403);
	assert_int_equal(check(&name, "Origin: http://myhost.lan:8081\r\n"), 0);
	assert_int_equal(check(&ip6, "Host: [fd00::5]:8081\r\n"), 0);
	assert_int_equal(check(&ip6, "Host: [fd00::6]:8081\r\n"), 403);
}

/* A unix socket is out of a browser's reach: Go clients' Host values pass. */
static void test_unix_socket(void **state)
{
	struct rest_origin_policy pol = policy(REST_UNIX, NULL, -1);

	(void)state;
	assert_int_equal(check(&pol, "Host: d\r\n"), 0);
	assert_int_equal(check(&pol, "Host: unix\r\n"), 0);
	assert_int_equal(check(&pol, "Host: /tmp/vfkit.sock\r\nOrigin: null\r\n"), 0);
}

static void test_header_edge_cases(void **state)
{
	struct rest_origin_policy pol = policy(REST_TCP, "127.0.0.1", 8081);
	char big[HTTP_MAX_HOST + 64];

	(void)state;
	/* Two Host fields: the target is ambiguous, malformed for the parser. */
	assert_int_equal(check(&pol, "Host: localhost\r\nHost: evil.example\r\n"), 400);
	assert_int_equal(check(&pol, "host: localhost\r\nHOST: localhost\r\n"), 400);
	assert_int_equal(check(&pol, "Origin: http://localhost:8081\r\nOrigin: http://x\r\n"), 403);
	/* Only the last Origin is kept: the repeat alone must refuse this one. */
	assert_int_equal(check(&pol, "Origin: http://x\r\nOrigin: http://localhost:8081\r\n"), 403);
	/* A value cut to fit must not match by its prefix. */
	memset(big, 'a', sizeof(big));
	memcpy(big, "Host: localhost", 15);
	memcpy(big + sizeof(big) - 3, "\r\n", 3);
	big[15] = '.';
	assert_int_equal(check(&pol, big), 403);
	memcpy(big, "Host: 127.0.0.1:8081   ", 23);
	assert_int_equal(check(&pol, big), 403);
	/* The HTTP_MAX_HOST - 1 bytes kept are acceptable on their own, the whole is not. */
	memset(big, 'a', sizeof(big));
	memcpy(big, "Host: ", 6);
	memcpy(big + 6 + HTTP_MAX_HOST - 1 - 10, ".localhost", 10);
	memcpy(big + sizeof(big) - 3, "\r\n", 3);
	assert_int_equal(check(&pol, big), 403);
	memset(big, 'a', sizeof(big));
	memcpy(big, "Origin: http://", 15);
	memcpy(big + 8 + HTTP_MAX_HOST - 1 - 15, ".localhost:8081", 15);
	memcpy(big + sizeof(big) - 3, "\r\n", 3);
	assert_int_equal(check(&pol, big), 403);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loopback_listener), cmocka_unit_test(test_every_interface),
		cmocka_unit_test(test_bound_host),	  cmocka_unit_test(test_unix_socket),
		cmocka_unit_test(test_header_edge_cases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
