// SPDX-License-Identifier: Apache-2.0
/*
 * The datagram backends: fd= (validation, frames both ways, flow control)
 * and unixSocketPath= (local socket naming, VFKT greeting, the peer going
 * away and coming back, the local file removed at close).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "backends/net.h"
#include "config/config.h"
#include "net_test_util.h"

static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

struct dg {
	struct loop *loop;
	struct net_config cfg;
	struct net_backend *be;
	int peer;
	char dir[64];
	char peer_path[128];
	uint8_t frames[8][2048];
	size_t lens[8];
	unsigned int n;
	bool refuse;
	unsigned int refused;
	unsigned int resumed;
	int wait;
};

static bool dg_rx(void *opaque, const uint8_t *frame, size_t len)
{
	struct dg *t = opaque;

	if (t->refuse) {
		t->refused++;
		return false;
	}
	if (t->n < 8) {
		memcpy(t->frames[t->n], frame, len);
		t->lens[t->n] = len;
	}
	t->n++;
	return true;
}

static void dg_tx_resume(void *opaque)
{
	((struct dg *)opaque)->resumed++;
}

static const struct net_backend_cb dg_cb = {.rx = dg_rx, .tx_resume = dg_tx_resume};

static int setup(void **state)
{
	struct dg *t = calloc(1, sizeof(*t));

	t->loop = loop_new();
	t->peer = -1;
	snprintf(t->dir, sizeof(t->dir), "/tmp/vfkit-net-test.XXXXXX");
	if (!t->loop || !mkdtemp(t->dir))
		return -1;
	snprintf(t->peer_path, sizeof(t->peer_path), "%s/peer.sock", t->dir);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct dg *t = *state;
	char cmd[128];

	net_backend_close(t->be);
	if (t->peer >= 0)
		close(t->peer);
	loop_free(t->loop);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	if (system(cmd) != 0)
		return -1;
	free(t);
	return 0;
}

static int open_fd(struct dg *t, int fd)
{
	t->cfg.attachment = NET_FD;
	t->cfg.fd = fd;
	return net_backend_open(t->loop, &t->cfg, mac, &dg_cb, t, &t->be);
}

static void test_fd_validation(void **state)
{
	struct dg *t = *state;
	int sv[2], p[2], udp;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(open_fd(t, sv[0]), -EINVAL); /* not a datagram socket */
	close(sv[0]);
	close(sv[1]);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(open_fd(t, p[0]), -EINVAL); /* not a socket */
	close(p[0]);
	close(p[1]);
	assert_int_equal(open_fd(t, 1000), -EINVAL); /* not open */
	udp = socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(open_fd(t, udp), -ENOTCONN);
	close(udp);
	assert_null(t->be);
}

static int fd_step(void *opaque, int phase)
{
	struct dg *t = opaque;
	uint8_t f[100] = {0}, big[1600] = {0};

	switch (phase) {
	case 0:
		/* A runt and an oversized frame are not delivered; the rest in order. */
		assert_int_equal(send(t->peer, f, 10, 0), 10);
		assert_int_equal(send(t->peer, big, sizeof(big), 0), sizeof(big));
		f[0] = 1;
		assert_int_equal(send(t->peer, f, 60, 0), 60);
		f[0] = 2;
		assert_int_equal(send(t->peer, f, 61, 0), 61);
		t->refuse = true;
		return 1;
	case 1: /* the guest is full: one frame is held, no more reads */
		if (!t->refused)
			return 1;
		return ++t->wait < 10 ? 1 : 2;
	case 2:
		assert_int_equal(t->refused, 1);
		t->refuse = false;
		net_backend_rx_resume(t->be);
		return 3;
	default:
		return t->n < 2 ? 3 : -1;
	}
}

static void test_fd_frames(void **state)
{
	struct dg *t = *state;
	int sv[2];
	uint8_t f[64], got[64];

	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	t->peer = sv[1];
	assert_int_equal(open_fd(t, sv[0]), 0);
	assert_string_equal(net_backend_info(t->be)->kind, "fd");
	assert_int_equal(net_backend_info(t->be)->mtu, 1500);
	assert_false(net_backend_info(t->be)->trusted_csum);
	assert_int_equal(fcntl(sv[0], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	memset(f, 0xab, sizeof(f));
	assert_int_equal(net_backend_send(t->be, f, sizeof(f)), 0);
	net_backend_flush(t->be); /* frames are written per burst */
	assert_int_equal(recv(t->peer, got, sizeof(got), 0), sizeof(f));
	assert_memory_equal(got, f, sizeof(f));

	assert_int_equal(run_loop_steps(t->loop, fd_step, t, 3000), -1);
	assert_int_equal(t->lens[0], 60);
	assert_int_equal(t->frames[0][0], 1);
	assert_int_equal(t->lens[1], 61);
	assert_int_equal(t->frames[1][0], 2);
}

static int eagain_step(void *opaque, int phase)
{
	struct dg *t = opaque;
	uint8_t buf[2048];

	if (phase == 0) {
		while (recv(t->peer, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
		return 1;
	}
	return t->resumed ? -1 : 1;
}

/* A peer that does not read: -EAGAIN, then tx_resume once it drains. */
static void test_fd_backpressure(void **state)
{
	struct dg *t = *state;
	uint8_t f[1500] = {0};
	int sv[2], ret = 0, i;

	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	t->peer = sv[1];
	assert_int_equal(open_fd(t, sv[0]), 0);
	for (i = 0; i < 100000 && ret == 0; i++)
		ret = net_backend_send(t->be, f, sizeof(f));
	assert_int_equal(ret, -EAGAIN);
	assert_int_equal(t->resumed, 0);
	assert_int_equal(run_loop_steps(t->loop, eagain_step, t, 3000), -1);
	assert_int_equal(net_backend_send(t->be, f, sizeof(f)), 0);
	net_backend_flush(t->be);
	assert_true(recv(t->peer, f, sizeof(f), MSG_DONTWAIT) > 0);
}

static int bind_peer(struct dg *t)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int s = socket(AF_UNIX, SOCK_DGRAM, 0);

	strcpy(a.sun_path, t->peer_path);
	unlink(t->peer_path);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	return s;
}

/* The peer side of gvproxy's vfkit mode: the sender's address from a datagram. */
static ssize_t peer_recv_from(int s, uint8_t *buf, size_t len, struct sockaddr_un *from)
{
	socklen_t fl = sizeof(*from);

	memset(from, 0, sizeof(*from));
	return recvfrom(s, buf, len, MSG_DONTWAIT, (struct sockaddr *)from, &fl);
}

static int open_unixgram(struct dg *t, bool magic)
{
	t->cfg.attachment = NET_UNIXGRAM;
	t->cfg.socket_path = t->peer_path;
	t->cfg.vfkit_magic = magic;
	return net_backend_open(t->loop, &t->cfg, mac, &dg_cb, t, &t->be);
}

static int unix_step(void *opaque, int phase)
{
	struct dg *t = opaque;

	(void)phase;
	return t->n ? -1 : 0;
}

static void test_unixgram(void **state)
{
	struct dg *t = *state;
	struct sockaddr_un from;
	uint8_t buf[2048], f[80];
	char prefix[128];
	struct stat st;

	t->peer = bind_peer(t);
	assert_int_equal(open_unixgram(t, true), 0);
	assert_string_equal(net_backend_info(t->be)->kind, "unixgram");
	/* VFKT first, from vfkit-<pid hex>-<rand hex>.sock in the peer's directory. */
	assert_int_equal(peer_recv_from(t->peer, buf, sizeof(buf), &from), 4);
	assert_memory_equal(buf, "VFKT", 4);
	snprintf(prefix, sizeof(prefix), "%s/vfkit-%x-", t->dir, (unsigned int)getpid());
	assert_memory_equal(from.sun_path, prefix, strlen(prefix));
	assert_string_equal(from.sun_path + strlen(from.sun_path) - 5, ".sock");
	assert_int_equal(stat(from.sun_path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	memset(f, 0x11, sizeof(f));
	assert_int_equal(net_backend_send(t->be, f, sizeof(f)), 0);
	net_backend_flush(t->be);
	assert_int_equal(peer_recv_from(t->peer, buf, sizeof(buf), &from), sizeof(f));
	assert_int_equal(sendto(t->peer, f, sizeof(f), 0, (struct sockaddr *)&from, sizeof(from)),
			 sizeof(f));
	assert_int_equal(run_loop_steps(t->loop, unix_step, t, 3000), -1);
	assert_int_equal(t->lens[0], sizeof(f));

	net_backend_close(t->be);
	t->be = NULL;
	assert_int_equal(stat(from.sun_path, &st), -1); /* removed at close */
}

static void test_unixgram_no_magic(void **state)
{
	struct dg *t = *state;
	struct sockaddr_un from;
	uint8_t buf[2048], f[60] = {0};

	t->peer = bind_peer(t);
	assert_int_equal(open_unixgram(t, false), 0);
	assert_true(peer_recv_from(t->peer, buf, sizeof(buf), &from) < 0);
	assert_int_equal(net_backend_send(t->be, f, sizeof(f)), 0);
	net_backend_flush(t->be);
	assert_int_equal(peer_recv_from(t->peer, buf, sizeof(buf), &from), sizeof(f));
}

static void test_unixgram_errors(void **state)
{
	struct dg *t = *state;
	char longpath[200];

	/* Nobody listening: startup fails, no local socket file left behind. */
	assert_int_equal(open_unixgram(t, true), -ENOENT);
	assert_null(t->be);
	assert_int_equal(rmdir(t->dir), 0);
	assert_int_equal(mkdir(t->dir, 0700), 0);
	/* A local name of 104 bytes or more is refused like upstream. */
	memset(longpath, 'a', sizeof(longpath));
	memcpy(longpath, t->dir, strlen(t->dir));
	longpath[strlen(t->dir)] = '/';
	longpath[strlen(t->dir) + 77] = '\0';
	assert_int_equal(mkdir(longpath, 0700), 0);
	strcat(longpath, "/p"); /* remote fits in sun_path, local does not fit in 104 */
	t->cfg.socket_path = longpath;
	t->cfg.attachment = NET_UNIXGRAM;
	assert_int_equal(net_backend_open(t->loop, &t->cfg, mac, &dg_cb, t, &t->be), -ENAMETOOLONG);
}

/* Starts against a peer that greets, then the peer goes away: a frame is dropped. */
static void start_then_lose_peer(struct dg *t)
{
	struct sockaddr_un from;
	uint8_t buf[64], f[60] = {0};

	t->peer = bind_peer(t);
	assert_int_equal(open_unixgram(t, true), 0);
	assert_int_equal(peer_recv_from(t->peer, buf, sizeof(buf), &from), 4);
	close(t->peer);
	t->peer = -1;
	unlink(t->peer_path);
	assert_int_equal(net_backend_send(t->be, f, sizeof(f)), 0); /* dropped: peer gone */
	net_backend_flush(t->be);
}

#define RECONNECT_FRAME_LEN 60

/*
 * Waits a reconnect interval, sends one RECONNECT_FRAME_LEN frame starting
 * with 7; what the peer at the path got first.
 */
static ssize_t send_after_reconnect_interval(struct dg *t, uint8_t *buf, size_t len)
{
	struct sockaddr_un from;
	uint8_t f[RECONNECT_FRAME_LEN] = {7};

	sleep(1); /* reconnects are tried at most once a second */
	assert_int_equal(net_backend_send(t->be, f, sizeof(f)), 0);
	net_backend_flush(t->be);
	return peer_recv_from(t->peer, buf, len, &from);
}

static void test_unixgram_peer_restart(void **state)
{
	struct dg *t = *state;
	struct sockaddr_un from;
	uint8_t buf[2048], f[60] = {0};

	start_then_lose_peer(t);
	assert_int_equal(net_backend_send(t->be, f, sizeof(f)), 0);
	net_backend_flush(t->be);

	t->peer = bind_peer(t);
	assert_int_equal(send_after_reconnect_interval(t, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "VFKT", 4);
	assert_int_equal(peer_recv_from(t->peer, buf, sizeof(buf), &from), RECONNECT_FRAME_LEN);
	assert_int_equal(buf[0], 7);
}

/*
 * Our socket file is 0600 from bind() on, whatever the umask: with umask 0
 * a chmod() after bind() would leave it world-writable for a moment, and
 * any local user could send frames to the guest before connect().
 */
static void test_unixgram_socket_never_open_to_others(void **state)
{
	struct dg *t = *state;
	struct sockaddr_un from;
	uint8_t buf[64];
	struct stat st;
	mode_t old = umask(0);
	int ret;

	t->peer = bind_peer(t);
	ret = open_unixgram(t, true);
	umask(old);
	assert_int_equal(ret, 0);
	assert_int_equal(peer_recv_from(t->peer, buf, sizeof(buf), &from), 4);
	assert_int_equal(lstat(from.sun_path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
}

/*
 * While gvproxy is away another user binds its path: the guest's traffic
 * must not go there. Once the path holds a socket of the original owner
 * again, traffic resumes.
 */
static void test_unixgram_reconnect_refuses_other_owner(void **state)
{
	struct dg *t = *state;
	struct sockaddr_un from;
	uint8_t buf[2048];

	start_then_lose_peer(t);
	t->peer = bind_peer(t);
	if (chown(t->peer_path, getuid() + 4242, (gid_t)-1) < 0) {
		print_message("chown to another uid needs root: %s\n", strerror(errno));
		skip();
	}
	assert_true(send_after_reconnect_interval(t, buf, sizeof(buf)) < 0);
	assert_true(send_after_reconnect_interval(t, buf, sizeof(buf)) < 0);

	assert_int_equal(chown(t->peer_path, getuid(), (gid_t)-1), 0);
	assert_int_equal(send_after_reconnect_interval(t, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "VFKT", 4);
	assert_int_equal(peer_recv_from(t->peer, buf, sizeof(buf), &from), RECONNECT_FRAME_LEN);
	assert_int_equal(buf[0], 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fd_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fd_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fd_backpressure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unixgram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unixgram_no_magic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unixgram_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unixgram_peer_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unixgram_socket_never_open_to_others, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unixgram_reconnect_refuses_other_owner, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
