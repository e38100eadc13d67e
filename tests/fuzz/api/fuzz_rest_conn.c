// SPDX-License-Identifier: Apache-2.0
/*
 * The REST server's connection state machine over real sockets: the real
 * server (rest_server.c and everything under it, compiled in with the
 * fuzzer's instrumentation) runs in its thread with a fake VM, and each input
 * is one client connection. Input: the first byte picks the listener (bit 0:
 * tcp on 127.0.0.1, so the Host/Origin checks run, else a unix socket) and
 * seeds how the rest is cut into writes (1..64 bytes, or all at once); the
 * rest is what the client sends. Pipelining, "Expect: 100-continue", partial
 * heads and bodies and arbitrary splits all come from the bytes.
 *
 * The client reads while it writes (replies to pipelined requests must not
 * deadlock), then half-closes. Checked: the server closes the connection
 * soon after the client's EOF (it never hangs), and what it sent is a
 * sequence of HTTP/1.1 replies with known statuses.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "api/rest_server.h"
#include "util/log.h"

/* The server must close within this long of the client's EOF. */
#define CLOSE_TIMEOUT_MS   5000
#define CONNECT_TIMEOUT_MS 5000
#define MAX_REPLY	   (1 << 20)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum vm_state state = VM_STATE_RUNNING;

static void fake_get_state(void *opaque, struct vm_state_info *info)
{
	(void)opaque;
	*info = (struct vm_state_info){.state = state};
	info->can_pause = state == VM_STATE_RUNNING;
	info->can_resume = state == VM_STATE_PAUSED;
}

/* Pause and Resume toggle; Stop and HardStop are refused so the VM lives on. */
static int fake_request(void *opaque, enum vm_request req, char *err, size_t errlen)
{
	(void)opaque;
	if (req == VM_REQ_PAUSE && state == VM_STATE_RUNNING)
		state = VM_STATE_PAUSED;
	else if (req == VM_REQ_RESUME && state == VM_STATE_PAUSED)
		state = VM_STATE_RUNNING;
	else {
		snprintf(err, errlen, "not now");
		return -1;
	}
	return 0;
}

static char *fake_inspect(void *opaque)
{
	(void)opaque;
	return strdup("{\"vcpus\":1,\"memoryBytes\":536870912}");
}

static const struct rest_backend be = {fake_get_state, fake_request, fake_inspect, NULL};
static char sock_path[108];
static int tcp_port;

static char sock_dir[] = "/tmp/fuzz-rest-conn-XXXXXX";

/* The servers run until exit; their socket file and directory go with them. */
static void remove_socket(void)
{
	unlink(sock_path);
	rmdir(sock_dir);
}

static void start_servers(void)
{
	char *dir = sock_dir;
	struct rest_config unix_rc = {.uri = "unix", .scheme = REST_UNIX, .path = sock_path};
	struct rest_config tcp_rc = {.uri = "tcp", .scheme = REST_TCP, .host = "127.0.0.1"};
	struct rest_server *tcp_srv;

	if (!mkdtemp(dir))
		abort();
	snprintf(sock_path, sizeof(sock_path), "%s/rest.sock", dir);
	atexit(remove_socket);
	/* Both run until the fuzzer exits. */
	if (!rest_server_start(&unix_rc, &be))
		abort();
	tcp_srv = rest_server_start(&tcp_rc, &be);
	if (!tcp_srv)
		abort();
	tcp_port = rest_server_port(tcp_srv);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_LEVEL_ERROR);
	start_servers();
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * A connect() cut short by a signal (libFuzzer's -timeout alarm ticks every
 * second) goes on in the background. Over TCP it sometimes takes a second: CI
 * saw one EINTR after ~30k loopback connections in a minute, most likely a
 * SYN to a port whose last connection was still in TIME_WAIT, answered only by
 * its retransmission. Waiting for it is the fuzzer's business, not a server
 * bug; a server that stopped accepting still fails after CONNECT_TIMEOUT_MS.
 */
static int finish_connect(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};
	uint64_t deadline = now_ms() + CONNECT_TIMEOUT_MS;
	int err = 0, n;
	socklen_t len = sizeof(err);

	do
		n = poll(&pfd, 1, 100);
	while ((n == 0 || (n < 0 && errno == EINTR)) && now_ms() < deadline);
	if (n <= 0) {
		errno = n == 0 ? ETIMEDOUT : errno;
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -1;
	errno = err;
	return err ? -1 : 0;
}

static int dial(bool tcp)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons((uint16_t)tcp_port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(tcp ? AF_INET : AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int ret;

	if (fd < 0)
		abort();
	strcpy(sun.sun_path, sock_path);
	ret = tcp ? connect(fd, (struct sockaddr *)&sin, sizeof(sin))
		  : connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	if (ret < 0 && errno == EINTR)
		ret = finish_connect(fd);
	if (ret < 0) {
		/* the server stopped accepting */
		fprintf(stderr, "connect: %s\n", strerror(errno));
		abort();
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

static bool known_status(unsigned int s)
{
	static const unsigned int known[] = {100, 200, 301, 307, 400, 403, 404,
					     413, 414, 417, 431, 500, 501, 505};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (s == known[i])
			return true;
	return false;
}

/*
 * Every reply starts "HTTP/1.1 NNN " and its head ends with an empty line.
 * Bodies are skipped by Content-Length, except where a HEAD made it absent:
 * then the next bytes must still start a reply, so a HEAD reply is accepted
 * with or without its body.
 */
static void check_replies(const char *out, size_t len)
{
	size_t pos = 0;

	while (pos < len) {
		const char *head = out + pos, *end, *cl;
		unsigned int status;
		unsigned long body = 0;

		/* A reply cut short by the connection's end: only its start is checked. */
		if (len - pos < 13) {
			if (memcmp(head, "HTTP/1.1 ", len - pos < 9 ? len - pos : 9))
				abort();
			return;
		}
		if (memcmp(head, "HTTP/1.1 ", 9) || sscanf(head + 9, "%3u", &status) != 1 ||
		    !known_status(status))
			abort();
		end = memmem(head, len - pos, "\r\n\r\n", 4);
		if (!end)
			return; /* cut short when the connection closed */
		cl = memmem(head, (size_t)(end - head), "Content-Length: ", 16);
		if (status != 100 && !cl)
			abort(); /* every final reply says where it ends */
		if (cl)
			body = strtoul(cl + 16, NULL, 10);
		pos = (size_t)(end + 4 - out);
		if (pos + body <= len &&
		    (pos + body == len || !memcmp(out + pos + body, "HTTP/1.1 ", 9)))
			pos += body;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[MAX_REPLY];
	size_t sent = 0, got = 0;
	uint32_t seed;
	bool eof_sent = false;
	uint64_t deadline = 0;
	int fd;

	if (size < 1)
		return 0;
	seed = data[0] * 2654435761u;
	fd = dial(data[0] & 1);
	data++;
	size--;
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN | (eof_sent ? 0 : POLLOUT)};
		ssize_t n;

		if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
			abort();
		if (!eof_sent && (pfd.revents & POLLOUT)) {
			size_t chunk = size - sent;

			seed = seed * 1103515245u + 12345u;
			if ((seed >> 16) % 65 && chunk > (seed >> 16) % 65)
				chunk = (seed >> 16) % 65;
			n = chunk ? send(fd, data + sent, chunk, MSG_NOSIGNAL) : 0;
			if (n > 0)
				sent += (size_t)n;
			/* All sent, or the server closed its side early (an error reply). */
			if (sent == size || (n < 0 && errno != EAGAIN)) {
				shutdown(fd, SHUT_WR);
				eof_sent = true;
				deadline = now_ms() + CLOSE_TIMEOUT_MS;
			}
		}
		n = recv(fd, out + got, sizeof(out) - got, MSG_DONTWAIT);
		if (n > 0) {
			got += (size_t)n;
			if (got == sizeof(out))
				abort(); /* replies without end */
			continue;
		}
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			break;
		if (eof_sent && now_ms() > deadline)
			abort(); /* the server keeps a half-closed client open */
	}
	close(fd);
	check_replies(out, got);
	return 0;
}
