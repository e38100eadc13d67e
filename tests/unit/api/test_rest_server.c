// SPDX-License-Identifier: Apache-2.0
/*
 * The REST server end to end over real sockets with a fake VM backend (no
 * KVM): unix socket mode and stale-file rules, tcp on loopback, bad input,
 * 1000 sequential requests, 50 concurrent clients, idle-client timeout,
 * browser attacks (foreign Host, Origin, Sec-Fetch-Site) and slowloris
 * (a full table of trickling clients, a request that never ends).
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "api/rest_server.h"

/* --- fake VM: Running <-> Paused --- */

static pthread_mutex_t fake_lock = PTHREAD_MUTEX_INITIALIZER;
static enum vm_state fake_state = VM_STATE_RUNNING;
static int fake_changes;
static bool hard_stop_entered;

static void fake_get_state(void *opaque, struct vm_state_info *info)
{
	(void)opaque;
	pthread_mutex_lock(&fake_lock);
	*info = (struct vm_state_info){.state = fake_state};
	info->can_pause = fake_state == VM_STATE_RUNNING;
	info->can_resume = fake_state == VM_STATE_PAUSED;
	pthread_mutex_unlock(&fake_lock);
}

static int fake_request(void *opaque, enum vm_request req, char *err, size_t errlen)
{
	int ret = 0;

	(void)opaque;
	if (req == VM_REQ_HARD_STOP) {
		__atomic_store_n(&hard_stop_entered, true, __ATOMIC_SEQ_CST);
		usleep(100 * 1000); /* the VM ends while the server is being stopped */
		return 0;
	}
	pthread_mutex_lock(&fake_lock);
	if (req == VM_REQ_PAUSE && fake_state == VM_STATE_RUNNING)
		fake_state = VM_STATE_PAUSED;
	else if (req == VM_REQ_RESUME && fake_state == VM_STATE_PAUSED)
		fake_state = VM_STATE_RUNNING;
	else {
		snprintf(err, errlen, "not allowed now");
		ret = -1;
	}
	if (!ret)
		fake_changes++;
	pthread_mutex_unlock(&fake_lock);
	return ret;
}

static char *fake_inspect(void *opaque)
{
	(void)opaque;
	return strdup("{\"vcpus\":2,\"memoryBytes\":536870912,\"cpus\":2,\"memory\":512}");
}

static const struct rest_backend be = {fake_get_state, fake_request, fake_inspect, NULL};

/* --- a tiny HTTP/1.1 test client (Connection: close, read to EOF) --- */

struct target {
	int family; /* AF_UNIX or AF_INET */
	char path[108];
	int port;
};

static int dial(const struct target *t)
{
	int fd = socket(t->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons(t->port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int ret;

	if (fd < 0)
		return -1;
	if (t->family == AF_UNIX) {
		strcpy(sun.sun_path, t->path);
		ret = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	} else {
		ret = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	}
	if (ret < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

/* Returns the status (or -1) and copies the body into body (if non-NULL). */
static int http_raw(const struct target *t, const char *request, size_t reqlen, char *body,
		    size_t bodylen)
{
	static __thread char resp[65536];
	size_t got = 0;
	int fd = dial(t), status = -1;
	ssize_t n;
	char *sep;

	if (fd < 0)
		return -1;
	send_all(fd, request, reqlen); /* the server may answer before reading it all */
	while (got < sizeof(resp) - 1 && (n = recv(fd, resp + got, sizeof(resp) - 1 - got, 0)) > 0)
		got += (size_t)n;
	close(fd);
	resp[got] = '\0';
	if (sscanf(resp, "HTTP/1.1 %d", &status) != 1)
		return -1;
	sep = strstr(resp, "\r\n\r\n");
	if (body && bodylen) {
		snprintf(body, bodylen, "%s", sep ? sep + 4 : "");
	}
	return status;
}

static int http(const struct target *t, const char *method, const char *path, const char *json,
		char *body, size_t bodylen)
{
	char req[8192];
	int len = snprintf(req, sizeof(req),
			   "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
			   "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
			   method, path, json ? strlen(json) : 0, json ? json : "");

	return http_raw(t, req, (size_t)len, body, bodylen);
}

/* --- fixtures --- */

static struct rest_config unix_cfg(const char *path)
{
	return (struct rest_config){
		.uri = "unix:///test", .scheme = REST_UNIX, .path = (char *)path};
}

static struct rest_config tcp_cfg(const char *host, uint16_t port)
{
	return (struct rest_config){
		.uri = "tcp://test", .scheme = REST_TCP, .host = (char *)host, .port = port};
}

static char sock_path[108];

static struct target unix_target(void)
{
	struct target t = {.family = AF_UNIX};

	strcpy(t.path, sock_path);
	return t;
}

static int setup(void **state)
{
	(void)state;
	snprintf(sock_path, sizeof(sock_path), "/tmp/vfkit-rest-test-%d.sock", (int)getpid());
	unlink(sock_path);
	fake_state = VM_STATE_RUNNING;
	fake_changes = 0;
	return 0;
}

/* --- tests --- */

static void check_endpoints(const struct target *t)
{
	char body[4096];

	assert_int_equal(http(t, "GET", "/vm/state", NULL, body, sizeof(body)), 200);
	assert_string_equal(body, "{\"canHardStop\":false,\"canPause\":true,\"canResume\":false,"
				  "\"canStart\":false,\"canStop\":false,"
				  "\"state\":\"VirtualMachineStateRunning\"}");
	assert_int_equal(http(t, "POST", "/vm/state", "{\"state\":\"Pause\"}", body, sizeof(body)),
			 200);
	assert_string_equal(body, "");
	assert_int_equal(http(t, "POST", "/vm/state", "{\"state\":\"Pause\"}", body, sizeof(body)),
			 500);
	assert_string_equal(body, "{\"error\":\"not allowed now\"}");
	assert_int_equal(http(t, "POST", "/vm/state", "{\"state\":\"Resume\"}", NULL, 0), 200);
	assert_int_equal(http(t, "GET", "/vm/inspect", NULL, body, sizeof(body)), 200);
	assert_non_null(strstr(body, "\"memoryBytes\":536870912"));
	assert_int_equal(http(t, "GET", "/vm/nothing", NULL, body, sizeof(body)), 404);
	assert_string_equal(body, "{\"error\":\"404 page not found\"}");
	assert_int_equal(http(t, "DELETE", "/vm/state", NULL, body, sizeof(body)), 404);
	assert_int_equal(http(t, "POST", "/vm/state", "{\"state\":", body, sizeof(body)), 400);
	assert_non_null(strstr(body, "\"error\""));
	assert_int_equal(http(t, "POST", "/vm/state", "{\"state\":\"Jump\"}", body, sizeof(body)),
			 500);
	assert_string_equal(body, "{\"error\":\"invalid new VMState: Jump\"}");
	assert_int_equal(http(t, "GET", "/vm/state?x=1", NULL, NULL, 0), 200);
	assert_int_equal(http(t, "GET", "/vm/state/", NULL, NULL, 0), 301);
}

static void check_oversized(const struct target *t)
{
	char req[256], body[256];
	int len;

	/*
	 * Declared too large: answered before the body is read (we send only a
	 * little of it; a server waiting for the rest would time out instead).
	 */
	len = snprintf(
		req, sizeof(req),
		"POST /vm/state HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n{\"st",
		1 << 20);
	assert_int_equal(http_raw(t, req, (size_t)len, body, sizeof(body)), 413);
	assert_string_equal(body, "{\"error\":\"request body larger than 4096 bytes\"}");

	/* Chunked, no length given: refused once it passes the limit. */
	{
		char chunked[8192 + 256];
		int n = snprintf(chunked, sizeof(chunked),
				 "POST /vm/state HTTP/1.1\r\nHost: localhost\r\n"
				 "Transfer-Encoding: chunked\r\n\r\n1400\r\n");

		memset(chunked + n, 'y', 0x1400);
		n += 0x1400;
		n += snprintf(chunked + n, sizeof(chunked) - (size_t)n, "\r\n0\r\n\r\n");
		assert_int_equal(http_raw(t, chunked, (size_t)n, body, sizeof(body)), 413);
	}
	/* Exactly at the limit is fine (and then a decoding error). */
	{
		char *json = malloc(REST_MAX_BODY + 1);

		memset(json, ' ', REST_MAX_BODY);
		memcpy(json, "{\"state\":\"Pause\"}", 17);
		json[REST_MAX_BODY] = '\0';
		assert_int_equal(http(t, "POST", "/vm/state", json, NULL, 0), 200);
		free(json);
		assert_int_equal(http(t, "POST", "/vm/state", "{\"state\":\"Resume\"}", NULL, 0),
				 200);
	}
	/* Garbage that is not HTTP: the server answers or drops it, and keeps serving. */
	http_raw(t, "\x01\x02garbage\r\n\r\n", 13, NULL, 0);
	assert_int_equal(http(t, "GET", "/vm/state", NULL, NULL, 0), 200);
}

static void test_unix_socket(void **state)
{
	struct rest_config rc = unix_cfg(sock_path);
	struct rest_server *srv;
	struct target t = unix_target();
	struct stat st;

	(void)state;
	srv = rest_server_start(&rc, &be);
	assert_non_null(srv);
	assert_int_equal(lstat(sock_path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	check_endpoints(&t);
	check_oversized(&t);
	rest_server_stop(srv);
	assert_int_equal(lstat(sock_path, &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(dial(&t), -1);
}

static void test_unix_stale_live_and_foreign_files(void **state)
{
	struct rest_config rc = unix_cfg(sock_path);
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct rest_server *srv, *second;
	struct target t = unix_target();
	int fd;
	FILE *f;

	(void)state;
	/* A socket file nobody listens on, as a crashed vfkit leaves behind. */
	strcpy(sun.sun_path, sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	srv = rest_server_start(&rc, &be);
	assert_non_null(srv);
	assert_int_equal(http(&t, "GET", "/vm/state", NULL, NULL, 0), 200);

	/* Someone is listening: refuse, and leave the live server alone. */
	second = rest_server_start(&rc, &be);
	assert_null(second);
	assert_int_equal(http(&t, "GET", "/vm/state", NULL, NULL, 0), 200);
	rest_server_stop(srv);

	/* Not a socket: never deleted. */
	f = fopen(sock_path, "w");
	fputs("data", f);
	fclose(f);
	assert_null(rest_server_start(&rc, &be));
	assert_int_equal(access(sock_path, F_OK), 0);
	unlink(sock_path);

	/* Directory missing. */
	rc.path = "/nonexistent-dir/x.sock";
	assert_null(rest_server_start(&rc, &be));
}

static int tcp_port(struct rest_server *srv)
{
	int port = rest_server_port(srv);

	assert_true(port > 0);
	return port;
}

static void test_tcp_loopback_and_port_in_use(void **state)
{
	struct rest_config rc = tcp_cfg("127.0.0.1", 0);
	struct rest_server *srv, *second;
	struct target t = {.family = AF_INET};

	(void)state;
	srv = rest_server_start(&rc, &be);
	assert_non_null(srv);
	t.port = tcp_port(srv);
	check_endpoints(&t);
	check_oversized(&t);

	rc.port = (uint16_t)t.port;
	second = rest_server_start(&rc, &be);
	assert_null(second);
	assert_int_equal(http(&t, "GET", "/vm/state", NULL, NULL, 0), 200);
	rest_server_stop(srv);
	assert_int_equal(dial(&t), -1);

	/* localhost binds a loopback address only. */
	rc = tcp_cfg("localhost", (uint16_t)t.port);
	srv = rest_server_start(&rc, &be);
	assert_non_null(srv);
	assert_int_equal(http(&t, "GET", "/vm/state", NULL, NULL, 0), 200);
	rest_server_stop(srv);

	rc = tcp_cfg("no-such-host.invalid", 8081);
	assert_null(rest_server_start(&rc, &be));
}

static void sequential(const struct target *t, int n)
{
	char body[512];

	for (int i = 0; i < n; i++) {
		int s = i % 3 == 2 ? http(t, "GET", "/vm/inspect", NULL, body, sizeof(body))
				   : http(t, "GET", "/vm/state", NULL, body, sizeof(body));

		assert_int_equal(s, 200);
		assert_true(body[0] == '{');
	}
}

struct client {
	const struct target *t;
	int ok, failed;
};

static void *client_main(void *arg)
{
	struct client *c = arg;
	char body[512];

	for (int i = 0; i < 20; i++) {
		int s = http(c->t, "GET", "/vm/state", NULL, body, sizeof(body));

		if (s == 200 && strstr(body, "VirtualMachineState"))
			c->ok++;
		else
			c->failed++;
		/* Mix in state changes; exactly one of each pair may win. */
		s = http(c->t, "POST", "/vm/state",
			 i & 1 ? "{\"state\":\"Resume\"}" : "{\"state\":\"Pause\"}", NULL, 0);
		if (s == 200 || s == 500)
			c->ok++;
		else
			c->failed++;
	}
	return NULL;
}

static void concurrent(const struct target *t, int nclients)
{
	pthread_t thr[64];
	struct client c[64];
	int ok = 0, failed = 0;

	for (int i = 0; i < nclients; i++) {
		c[i] = (struct client){.t = t};
		assert_int_equal(pthread_create(&thr[i], NULL, client_main, &c[i]), 0);
	}
	for (int i = 0; i < nclients; i++) {
		pthread_join(thr[i], NULL);
		ok += c[i].ok;
		failed += c[i].failed;
	}
	assert_int_equal(failed, 0);
	assert_int_equal(ok, nclients * 40);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void load(const struct target *t)
{
	double t0 = now_s();

	sequential(t, 1000);
	print_message("  1000 sequential requests: %.3f s\n", now_s() - t0);
	t0 = now_s();
	concurrent(t, 50);
	print_message("  50 concurrent clients x 40 requests: %.3f s\n", now_s() - t0);
}

static void test_load_unix(void **state)
{
	struct rest_config rc = unix_cfg(sock_path);
	struct target t = unix_target();
	struct rest_server *srv = rest_server_start(&rc, &be);

	(void)state;
	assert_non_null(srv);
	load(&t);
	rest_server_stop(srv);
}

static void test_load_tcp(void **state)
{
	struct rest_config rc = tcp_cfg("127.0.0.1", 0);
	struct target t = {.family = AF_INET};
	struct rest_server *srv = rest_server_start(&rc, &be);

	(void)state;
	assert_non_null(srv);
	t.port = tcp_port(srv);
	load(&t);
	rest_server_stop(srv);
}

/* Half-open and slow clients are dropped after the timeout; others are served meanwhile. */
static void test_idle_clients_time_out(void **state)
{
	struct rest_config rc = unix_cfg(sock_path);
	struct target t = unix_target();
	struct rest_server *srv = rest_server_start(&rc, &be);
	int idle[8];
	double t0 = now_s();
	char c;

	(void)state;
	assert_non_null(srv);
	for (int i = 0; i < 8; i++) {
		idle[i] = dial(&t);
		assert_true(idle[i] >= 0);
		if (i & 1)
			send_all(idle[i], "GET /vm/state HTTP/1.1\r\nHo", 26);
	}
	assert_int_equal(http(&t, "GET", "/vm/state", NULL, NULL, 0), 200);
	for (int i = 0; i < 8; i++) {
		struct timeval tv = {.tv_sec = REST_CONNECTION_TIMEOUT_S + 5};

		setsockopt(idle[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		assert_int_equal(recv(idle[i], &c, 1, 0), 0); /* closed by the server */
		close(idle[i]);
	}
	assert_true(now_s() - t0 >= REST_CONNECTION_TIMEOUT_S - 1);
	assert_true(now_s() - t0 < REST_CONNECTION_TIMEOUT_S + 5);
	assert_int_equal(http(&t, "GET", "/vm/state", NULL, NULL, 0), 200);
	rest_server_stop(srv);
}

struct stop_client {
	struct target t;
	int status;
};

static void *hard_stop_client(void *arg)
{
	struct stop_client *c = arg;

	c->status = http(&c->t, "POST", "/vm/state", "{\"state\":\"HardStop\"}", NULL, 0);
	return NULL;
}

/* The HardStop reply still goes out although vfkit stops the server right after. */
static void test_stop_drains_replies(void **state)
{
	struct rest_config rc = unix_cfg(sock_path);
	struct stop_client c = {.t = unix_target()};
	struct rest_server *srv = rest_server_start(&rc, &be);
	pthread_t thr;

	(void)state;
	assert_non_null(srv);
	pthread_create(&thr, NULL, hard_stop_client, &c);
	while (!__atomic_load_n(&hard_stop_entered, __ATOMIC_SEQ_CST))
		usleep(1000);
	rest_server_stop(srv);
	assert_int_equal(dial(&c.t), -1); /* no new clients meanwhile */
	pthread_join(thr, NULL);
	assert_int_equal(c.status, 200);
}

/* A GET /vm/state with extra header lines (each ending in CRLF). */
static int get_with(const struct target *t, const char *version, const char *headers, char *body,
		    size_t bodylen)
{
	char req[1024];
	int len = snprintf(req, sizeof(req), "GET /vm/state %s\r\n%sConnection: close\r\n\r\n",
			   version, headers);

	return http_raw(t, req, (size_t)len, body, bodylen);
}

/*
 * What a web page can make a browser send to 127.0.0.1: a text/plain POST
 * (no CORS preflight) with the page's Origin, or any request after DNS
 * rebinding with the attacker's name as Host. Neither may reach the VM.
 */
static void test_tcp_refuses_browser_requests(void **state)
{
	struct rest_config rc = tcp_cfg("127.0.0.1", 0);
	struct target t = {.family = AF_INET};
	struct rest_server *srv = rest_server_start(&rc, &be);
	char hdr[256], body[256], req[512];
	static const char *const foreign_hosts[] = {
		"Host: evil.example\r\n",
		"Host: evil.example:8081\r\n",
		"Host: 127.0.0.1.evil.example\r\n",
		"Host: localhost.evil.example\r\n",
		"Host: 10.0.0.1\r\n",
		"Host: [::2]\r\n",
		"Host: ::1\r\n",
		"Host: localhost:99999\r\n",
		"Host: \r\n",
		"Host: [::1\r\n",
	};
	static const char *const foreign_origins[] = {
		"Origin: null\r\n",
		"Origin: http://evil.example\r\n",
		"Origin: http://localhost:1\r\n",
		"Origin: http://localhost\r\n",
		"Origin: file://\r\n",
		"Sec-Fetch-Site: cross-site\r\n",
	};
	int len;

	(void)state;
	assert_non_null(srv);
	t.port = tcp_port(srv);
	for (size_t i = 0; i < sizeof(foreign_hosts) / sizeof(foreign_hosts[0]); i++) {
		assert_int_equal(get_with(&t, "HTTP/1.1", foreign_hosts[i], body, sizeof(body)),
				 403);
		assert_string_equal(
			body, "{\"error\":\"Host not allowed: use a loopback name or address\"}");
	}
	for (size_t i = 0; i < sizeof(foreign_origins) / sizeof(foreign_origins[0]); i++)
		assert_int_equal(get_with(&t, "HTTP/1.1", foreign_origins[i], body, sizeof(body)),
				 403);
	snprintf(hdr, sizeof(hdr), "Origin: https://localhost:%d\r\n", t.port);
	assert_int_equal(get_with(&t, "HTTP/1.1", hdr, NULL, 0), 403);
	/* Two Host fields are ambiguous, two Origins suspicious. */
	assert_int_equal(get_with(&t, "HTTP/1.1", "Host: localhost\r\nHost: evil\r\n", NULL, 0),
			 400);
	snprintf(hdr, sizeof(hdr), "Origin: http://evil\r\nOrigin: http://localhost:%d\r\n",
		 t.port);
	assert_int_equal(get_with(&t, "HTTP/1.1", hdr, NULL, 0), 403);

	/* The CSRF itself: a form's text/plain POST from a page. The VM does not pause. */
	len = snprintf(req, sizeof(req),
		       "POST /vm/state HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nOrigin: "
		       "http://evil.example\r\nContent-Type: text/plain\r\nConnection: close\r\n"
		       "Content-Length: 17\r\n\r\n{\"state\":\"Pause\"}",
		       t.port);
	assert_int_equal(http_raw(&t, req, (size_t)len, body, sizeof(body)), 403);
	assert_string_equal(body, "{\"error\":\"cross-origin request refused\"}");
	assert_int_equal(fake_changes, 0);
	assert_int_equal(fake_state, VM_STATE_RUNNING);
	rest_server_stop(srv);
}

/* What curl, Go's net/http, Python and podman send keeps working. */
static void test_tcp_accepts_clients(void **state)
{
	struct rest_config rc = tcp_cfg("127.0.0.1", 0);
	struct target t = {.family = AF_INET};
	struct rest_server *srv = rest_server_start(&rc, &be);
	char hdr[256], req[256];
	static const char *const hosts[] = {
		"Host: localhost\r\n",		"Host: LOCALHOST.\r\n",	  "Host: vm1.localhost\r\n",
		"Host: 127.0.0.1\r\n",		"Host: 127.3.2.1:80\r\n", "Host: [::1]:8081\r\n",
		"Host: [::ffff:127.0.0.1]\r\n", "Host: localhost:\r\n",
	};
	int len;

	(void)state;
	assert_non_null(srv);
	t.port = tcp_port(srv);
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
		assert_int_equal(get_with(&t, "HTTP/1.1", hosts[i], NULL, 0), 200);
	/* No Host: not a browser (HTTP/1.0 tools). */
	assert_int_equal(get_with(&t, "HTTP/1.0", "", NULL, 0), 200);
	assert_int_equal(get_with(&t, "HTTP/1.1", "", NULL, 0), 200);
	/* The API's own origin, and the fetch metadata of a same-origin request. */
	snprintf(hdr, sizeof(hdr), "Host: localhost:%d\r\nOrigin: http://localhost:%d\r\n", t.port,
		 t.port);
	assert_int_equal(get_with(&t, "HTTP/1.1", hdr, NULL, 0), 200);
	snprintf(hdr, sizeof(hdr), "Origin: http://127.0.0.1:%d\r\nSec-Fetch-Site: same-origin\r\n",
		 t.port);
	assert_int_equal(get_with(&t, "HTTP/1.1", hdr, NULL, 0), 200);
	/* podman's stop: Go's POST with no Content-Type. */
	len = snprintf(req, sizeof(req),
		       "POST /vm/state HTTP/1.1\r\nHost: localhost:%d\r\nUser-Agent: "
		       "Go-http-client/1.1\r\nContent-Length: 17\r\nAccept-Encoding: gzip\r\n"
		       "Connection: close\r\n\r\n{\"state\":\"Pause\"}",
		       t.port);
	assert_int_equal(http_raw(&t, req, (size_t)len, NULL, 0), 200);
	assert_int_equal(fake_state, VM_STATE_PAUSED);
	rest_server_stop(srv);
}

/* A browser cannot reach a unix socket: Go's "d", "unix" or a path as Host are fine. */
static void test_unix_accepts_any_host(void **state)
{
	struct rest_config rc = unix_cfg(sock_path);
	struct target t = unix_target();
	struct rest_server *srv = rest_server_start(&rc, &be);
	static const char *const headers[] = {
		"Host: d\r\n",
		"Host: unix\r\n",
		"Host: /run/user/1000/vfkit.sock\r\n",
		"Host: %2Frun%2Fvfkit.sock\r\n",
		"Host: evil.example\r\nOrigin: null\r\n",
	};

	(void)state;
	assert_non_null(srv);
	for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++)
		assert_int_equal(get_with(&t, "HTTP/1.1", headers[i], NULL, 0), 200);
	rest_server_stop(srv);
}

/* --- slowloris --- */

static void raise_fd_limit(rlim_t want)
{
	struct rlimit rl;

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* One request on its own connection, given up after timeout_s: the status or -1. */
static int get_within(const struct target *t, int timeout_s)
{
	static const char req[] = "GET /vm/state HTTP/1.1\r\nHost: localhost\r\nConnection: "
				  "close\r\n\r\n";
	struct timeval tv = {.tv_sec = timeout_s};
	char resp[1024];
	size_t got = 0;
	ssize_t n;
	int fd = dial(t), status = -1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	send_all(fd, req, sizeof(req) - 1);
	while (got < sizeof(resp) - 1 && (n = recv(fd, resp + got, sizeof(resp) - 1 - got, 0)) > 0)
		got += (size_t)n;
	resp[got] = '\0';
	close(fd);
	if (sscanf(resp, "HTTP/1.1 %d", &status) != 1)
		return -1;
	return status;
}

struct trickle {
	int *fds;
	int nfds;
	volatile bool stop;
};

/* Every connection gets one more header byte every 200 ms: never idle, never done. */
static void *trickle_main(void *arg)
{
	struct trickle *tr = arg;

	while (!tr->stop) {
		for (int i = 0; i < tr->nfds; i++)
			if (tr->fds[i] >= 0)
				send(tr->fds[i], "a", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		usleep(200 * 1000);
	}
	return NULL;
}

/*
 * REST_MAX_CONNECTIONS clients trickle a never-ending header: a real client
 * must still be served at once (they used to hold every slot while each byte
 * restarted their idle timeout).
 */
static void test_full_table_of_tricklers_does_not_lock_out(void **state)
{
	struct rest_config rc = unix_cfg(sock_path);
	struct target t = unix_target();
	struct rest_server *srv = rest_server_start(&rc, &be);
	static int fds[REST_MAX_CONNECTIONS];
	struct trickle tr = {.fds = fds, .nfds = REST_MAX_CONNECTIONS};
	pthread_t thr;
	double t0;

	(void)state;
	assert_non_null(srv);
	raise_fd_limit(4 * REST_MAX_CONNECTIONS);
	for (int i = 0; i < REST_MAX_CONNECTIONS; i++) {
		fds[i] = dial(&t);
		assert_true(fds[i] >= 0);
		send_all(fds[i], "GET /vm/state HTTP/1.1\r\nX-Slow: ", 32);
	}
	assert_int_equal(pthread_create(&thr, NULL, trickle_main, &tr), 0);
	sleep(1); /* every slot taken, every client busy */
	for (int i = 0; i < 5; i++) {
		t0 = now_s();
		assert_int_equal(get_within(&t, 3), 200);
		print_message("  request among %d trickling clients: %.3f s\n",
			      REST_MAX_CONNECTIONS, now_s() - t0);
		assert_true(now_s() - t0 < 2.0);
	}
	/*
	 * Newcomers evicting tricklers whose bytes arrive in the same epoll
	 * batch: an evicted connection must not be touched again (ASan).
	 */
	for (int round = 0; round < 8; round++) {
		for (int i = 0; i < REST_MAX_CONNECTIONS; i += 4) {
			int fd = dial(&t);

			assert_true(fd >= 0);
			send_all(fd, "GET /vm/state HTTP/1.1\r\nX-Slow: ", 32);
			close(fds[i]);
			fds[i] = fd;
		}
		usleep(50 * 1000);
	}
	assert_int_equal(get_within(&t, 3), 200);
	tr.stop = true;
	pthread_join(thr, NULL);
	for (int i = 0; i < REST_MAX_CONNECTIONS; i++)
		close(fds[i]);
	rest_server_stop(srv);
}

/* A request that trickles in forever is closed at its deadline, not kept alive by each byte. */
static void test_trickling_request_closed_at_deadline(void **state)
{
	struct rest_config rc = unix_cfg(sock_path);
	struct target t = unix_target();
	struct rest_server *srv = rest_server_start(&rc, &be);
	static const char head[] = "POST /vm/state HTTP/1.1\r\nHost: localhost\r\n"
				   "Content-Length: 4000\r\n\r\n";
	double t0 = now_s(), closed_after = -1;
	int fd;

	(void)state;
	assert_non_null(srv);
	fd = dial(&t);
	assert_true(fd >= 0);
	send_all(fd, head, sizeof(head) - 1);
	while (now_s() - t0 < REST_REQUEST_DEADLINE_S + 5) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		char c;

		if (poll(&pfd, 1, 300) == 1) {
			if (recv(fd, &c, 1, MSG_DONTWAIT) <= 0) {
				closed_after = now_s() - t0;
				break;
			}
		}
		if (send(fd, " ", 1, MSG_NOSIGNAL) != 1) {
			closed_after = now_s() - t0;
			break;
		}
	}
	close(fd);
	print_message("  trickling request closed after %.1f s\n", closed_after);
	assert_true(closed_after >= REST_REQUEST_DEADLINE_S - 1);
	assert_true(closed_after <= REST_REQUEST_DEADLINE_S + 2);
	assert_int_equal(http(&t, "GET", "/vm/state", NULL, NULL, 0), 200);
	rest_server_stop(srv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_unix_socket, setup),
		cmocka_unit_test_setup(test_unix_stale_live_and_foreign_files, setup),
		cmocka_unit_test_setup(test_tcp_loopback_and_port_in_use, setup),
		cmocka_unit_test_setup(test_load_unix, setup),
		cmocka_unit_test_setup(test_load_tcp, setup),
		cmocka_unit_test_setup(test_stop_drains_replies, setup),
		cmocka_unit_test_setup(test_idle_clients_time_out, setup),
		cmocka_unit_test_setup(test_tcp_refuses_browser_requests, setup),
		cmocka_unit_test_setup(test_tcp_accepts_clients, setup),
		cmocka_unit_test_setup(test_unix_accepts_any_host, setup),
		cmocka_unit_test_setup(test_full_table_of_tricklers_does_not_lock_out, setup),
		cmocka_unit_test_setup(test_trickling_request_closed_at_deadline, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
