// SPDX-License-Identifier: Apache-2.0
/*
 * Datagram socket backends: fd=N (an inherited connected socket, e.g. from
 * vmnet-helper or a socketpair) and unixSocketPath= / type=unixgram,path=
 * (gvisor-tap-vsock's vfkit mode, reference 5.6). One Ethernet frame per
 * datagram in both directions, no header.
 *
 * When the peer goes away, frames are dropped and the VM keeps running; a
 * peer bound to a unix path is reconnected (at most once a second) so that
 * traffic resumes when it comes back, with the VFKT greeting sent again.
 * Only a socket of the same owner as at startup is reconnected to: while
 * the peer is away, another local user who can write to its directory could
 * bind the path and receive (and inject) the guest's traffic.
 *
 * Our own socket file is 0600 from the moment bind() creates it: a
 * datagram socket that is not connected, or whose peer died, accepts
 * datagrams from anyone who may write to its file.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "backends/net.h"
#include "config/config.h"
#include "util/log.h"
#include "vmm/loop.h"

#define DGRAM_BUF	   65536
#define DGRAM_RX_BATCH	   64
#define DGRAM_SNDBUF	   (1 << 20)
#define DGRAM_RCVBUF	   (4 << 20)
#define DGRAM_PATH_MAX	   104		/* macOS sun_path, as upstream checks */
#define RECONNECT_INTERVAL 1000000000LL /* ns */
#define TXQ_MAX		   64		/* frames sent with one sendmmsg() */

static const char vfkit_magic[4] = {'V', 'F', 'K', 'T'};

struct dgram {
	struct net_backend be;
	int fd;
	bool own_fd;
	bool magic;
	char *local_path; /* unixgram: our bound socket file, removed at close */
	char *peer_desc;  /* for logs */

	/* Reconnecting to a peer bound to a path. */
	struct sockaddr_un peer;
	socklen_t peer_len;
	uid_t peer_uid; /* owner of the peer's socket file at startup */
	bool can_reconnect;
	bool peer_gone;
	int64_t last_reconnect;

	/* Flow control. */
	bool rx_paused; /* the guest had no buffers; held_len bytes wait in buf */
	size_t held_len;
	bool want_out;	/* the socket was full: waiting for EPOLLOUT */
	bool told_full; /* net_backend_send() returned -EAGAIN */
	bool resume_queued;
	uint32_t events; /* currently armed */

	/* Frames queued by send, written by flush (one syscall per burst). */
	unsigned int txq_n, txq_sent;
	struct mmsghdr msgs[TXQ_MAX];
	struct iovec iovs[TXQ_MAX];
	uint8_t txq[TXQ_MAX][NET_MAX_FRAME_STD];

	uint8_t buf[DGRAM_BUF];
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void dgram_arm(struct dgram *d)
{
	uint32_t ev = (d->rx_paused ? 0 : EPOLLIN) | (d->want_out ? EPOLLOUT : 0);

	if (ev != d->events && loop_modify(d->be.loop, d->fd, ev) == 0)
		d->events = ev;
}

static bool peer_gone_errno(int err)
{
	return err == ECONNREFUSED || err == ENOTCONN || err == ECONNRESET || err == EPIPE ||
	       err == ENOENT || err == EDESTADDRREQ;
}

static void dgram_mark_gone(struct dgram *d, int err)
{
	if (!d->peer_gone)
		log_warn("virtio-net: peer %s is gone (%s); dropping frames until it is back",
			 d->peer_desc, strerror(err));
	d->peer_gone = true;
}

static void dgram_mark_back(struct dgram *d)
{
	if (d->peer_gone)
		log_info("virtio-net: peer %s is back", d->peer_desc);
	d->peer_gone = false;
}

/* The socket file at the peer's path, if it is one of the startup owner's. */
static bool dgram_peer_file_ok(struct dgram *d, struct stat *st)
{
	if (stat(d->peer.sun_path, st) < 0)
		return false;
	if (!S_ISSOCK(st->st_mode) || st->st_uid != d->peer_uid) {
		log_ratelimited(LOG_LEVEL_WARN,
				"virtio-net: not reconnecting to %s: it is now %s of uid %u, "
				"the peer at startup was a socket of uid %u",
				d->peer_desc, S_ISSOCK(st->st_mode) ? "a socket" : "a file",
				(unsigned int)st->st_uid, (unsigned int)d->peer_uid);
		return false;
	}
	return true;
}

/*
 * A new socket bound at the peer's path: connect to it again, greet it.
 * The file is checked before and after connect() so that a swap in between
 * is noticed; the unchecked peer gets nothing and is disconnected.
 */
static void dgram_try_reconnect(struct dgram *d)
{
	struct sockaddr unspec = {.sa_family = AF_UNSPEC};
	int64_t now = now_ns();
	struct stat before, after;

	if (!d->can_reconnect || now - d->last_reconnect < RECONNECT_INTERVAL)
		return;
	d->last_reconnect = now;
	if (!dgram_peer_file_ok(d, &before))
		return;
	if (connect(d->fd, (struct sockaddr *)&d->peer, d->peer_len) < 0)
		return;
	if (stat(d->peer.sun_path, &after) < 0 || after.st_dev != before.st_dev ||
	    after.st_ino != before.st_ino) {
		connect(d->fd, &unspec, sizeof(unspec));
		return;
	}
	if (d->magic &&
	    send(d->fd, vfkit_magic, sizeof(vfkit_magic), MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		return;
	dgram_mark_back(d);
}

/* Writes the queued frames; false if the socket is full (EPOLLOUT armed). */
static bool dgram_txq_write(struct dgram *d)
{
	while (d->txq_sent < d->txq_n) {
		int n;

		if (d->peer_gone)
			dgram_try_reconnect(d);
		n = sendmmsg(d->fd, &d->msgs[d->txq_sent], d->txq_n - d->txq_sent,
			     MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			dgram_mark_back(d);
			d->txq_sent += (unsigned int)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			d->want_out = true;
			dgram_arm(d);
			return false;
		}
		if (n < 0 && peer_gone_errno(errno)) {
			dgram_mark_gone(d, errno);
			d->txq_sent = d->txq_n; /* dropped: the VM keeps running */
			break;
		}
		if (n < 0)
			log_ratelimited(LOG_LEVEL_WARN, "virtio-net: send to %s: %s", d->peer_desc,
					strerror(errno));
		d->txq_sent++; /* drop the frame the kernel refused */
	}
	d->txq_n = d->txq_sent = 0;
	return true;
}

static int dgram_send(struct net_backend *be, const uint8_t *frame, size_t len)
{
	struct dgram *d = (struct dgram *)be;
	unsigned int i;

	if (d->txq_n == TXQ_MAX && !dgram_txq_write(d)) {
		d->told_full = true;
		return -EAGAIN;
	}
	i = d->txq_n++;
	memcpy(d->txq[i], frame, len);
	d->iovs[i] = (struct iovec){.iov_base = d->txq[i], .iov_len = len};
	d->msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &d->iovs[i], .msg_iovlen = 1}};
	return 0;
}

static void dgram_flush(struct net_backend *be)
{
	struct dgram *d = (struct dgram *)be;

	if (!d->want_out)
		dgram_txq_write(d);
}

/* Hands buf[0..len) to the guest; false (and paused) if it has no room. */
static bool dgram_deliver(struct dgram *d, size_t len)
{
	if (d->be.cb->rx(d->be.opaque, d->buf, len))
		return true;
	d->held_len = len;
	d->rx_paused = true;
	dgram_arm(d);
	return false;
}

static void dgram_receive(struct dgram *d)
{
	for (int i = 0; i < DGRAM_RX_BATCH && !d->rx_paused; i++) {
		ssize_t n = recv(d->fd, d->buf, sizeof(d->buf), MSG_DONTWAIT | MSG_TRUNC);

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    !peer_gone_errno(errno))
				log_ratelimited(LOG_LEVEL_WARN, "virtio-net: receive from %s: %s",
						d->peer_desc, strerror(errno));
			return;
		}
		/* The greeting, runts and oversized frames are not for the guest. */
		if ((size_t)n < NET_ETH_HLEN || (size_t)n > d->be.info.max_frame)
			continue;
		dgram_mark_back(d);
		if (!dgram_deliver(d, (size_t)n))
			return;
	}
}

static void dgram_event(void *opaque, uint32_t events)
{
	struct dgram *d = opaque;

	if (events & EPOLLERR) {
		int err = 0;
		socklen_t l = sizeof(err);

		/* Reading SO_ERROR clears it, so a dead peer cannot make us spin. */
		if (getsockopt(d->fd, SOL_SOCKET, SO_ERROR, &err, &l) == 0 && peer_gone_errno(err))
			dgram_mark_gone(d, err);
	}
	if ((events & EPOLLOUT) && d->want_out) {
		d->want_out = false;
		dgram_arm(d);
		if (dgram_txq_write(d) && d->told_full) {
			d->told_full = false;
			d->be.cb->tx_resume(d->be.opaque);
		}
	}
	if (events & EPOLLIN)
		dgram_receive(d);
}

static void dgram_resume_call(void *opaque)
{
	struct dgram *d = opaque;

	d->resume_queued = false;
	if (!d->rx_paused)
		return;
	d->rx_paused = false;
	if (d->held_len) {
		size_t len = d->held_len;

		d->held_len = 0;
		if (!dgram_deliver(d, len))
			return;
	}
	dgram_arm(d);
}

static void dgram_rx_resume(struct net_backend *be)
{
	struct dgram *d = (struct dgram *)be;

	/* Deliver the held frame from the loop, not from inside the device. */
	if (!d->rx_paused || d->resume_queued)
		return;
	d->resume_queued = true;
	if (loop_call(be->loop, dgram_resume_call, d) < 0)
		d->resume_queued = false;
}

static void dgram_close(struct net_backend *be)
{
	struct dgram *d = (struct dgram *)be;

	if (d->fd >= 0) {
		loop_remove(be->loop, d->fd);
		close(d->fd);
	}
	if (d->local_path)
		unlink(d->local_path);
	free(d->local_path);
	free(d->peer_desc);
	free(d);
}

static const struct net_backend_ops dgram_ops = {
	.send = dgram_send,
	.flush = dgram_flush,
	.rx_resume = dgram_rx_resume,
	.close = dgram_close,
};

static int sock_int_opt(int fd, int opt, int *val)
{
	socklen_t l = sizeof(*val);

	return getsockopt(fd, SOL_SOCKET, opt, val, &l);
}

/* fd=N: must be a connected datagram socket of a family we can carry. */
static int dgram_adopt_fd(struct dgram *d, int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct stat st;
	int type, domain, fl;

	if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode) || sock_int_opt(fd, SO_TYPE, &type) < 0 ||
	    sock_int_opt(fd, SO_DOMAIN, &domain) < 0 || type != SOCK_DGRAM ||
	    (domain != AF_UNIX && domain != AF_INET && domain != AF_INET6)) {
		log_error("virtio-net: fd=%d: the fileHandle must be a datagram socket", fd);
		return -EINVAL;
	}
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) < 0) {
		log_error("virtio-net: fd=%d: the fileHandle must be a connected datagram socket "
			  "(%s)",
			  fd, strerror(errno));
		return -ENOTCONN;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		log_error("virtio-net: fd=%d: %s", fd, strerror(errno));
		return -errno;
	}
	d->fd = fd;
	if (domain == AF_UNIX && sl > offsetof(struct sockaddr_un, sun_path) + 1 &&
	    sl < sizeof(d->peer) && ((struct sockaddr_un *)&ss)->sun_path[0] != '\0') {
		memcpy(&d->peer, &ss, sl);
		d->peer.sun_path[sl - offsetof(struct sockaddr_un, sun_path)] = '\0';
		d->peer_len = sl;
		/* Reconnected later only to a socket of the same owner. */
		if (stat(d->peer.sun_path, &st) == 0 && S_ISSOCK(st.st_mode)) {
			d->peer_uid = st.st_uid;
			d->can_reconnect = true;
		}
	}
	if (asprintf(&d->peer_desc, "fd=%d", fd) < 0)
		d->peer_desc = NULL;
	return 0;
}

/* vfkit-<pid hex>-<rand hex>.sock next to the remote socket, reserved like upstream. */
static int dgram_local_path(const char *remote, char **out)
{
	char *copy = strdup(remote);
	const char *dir;
	char *path = NULL;
	uint16_t r = 0;
	int fd;

	if (!copy)
		return -ENOMEM;
	dir = dirname(copy);
	for (int tries = 0; tries < 16; tries++) {
		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			r = (uint16_t)now_ns();
		r %= 0xffff; /* 0 .. 0xfffe */
		free(path);
		if (asprintf(&path, "%s/vfkit-%x-%x.sock", dir, (unsigned int)getpid(), r) < 0) {
			path = NULL;
			break;
		}
		fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
		if (fd >= 0) {
			close(fd);
			unlink(path);
			free(copy);
			*out = path;
			return 0;
		}
		if (errno != EEXIST) {
			log_error("virtio-net: cannot create %s: %s", path, strerror(errno));
			break;
		}
	}
	free(path);
	free(copy);
	return -EIO;
}

/* Our socket file must be ours and closed to other users from the start. */
static int dgram_check_local_file(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		log_error("virtio-net: %s: %s", path, strerror(errno));
		return -errno;
	}
	if (!S_ISSOCK(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 0077)) {
		log_error("virtio-net: %s: mode %04o uid %u, expected a socket of mode 0600 "
			  "owned by uid %u",
			  path, (unsigned int)(st.st_mode & 07777), (unsigned int)st.st_uid,
			  (unsigned int)geteuid());
		return -EPERM;
	}
	return 0;
}

static int dgram_connect_path(struct dgram *d, const char *remote)
{
	struct sockaddr_un local = {.sun_family = AF_UNIX};
	struct stat st, after;
	int sndbuf = DGRAM_SNDBUF, rcvbuf = DGRAM_RCVBUF;
	size_t n;
	int ret;

	if (strlen(remote) >= sizeof(d->peer.sun_path)) {
		log_error("unixgram path '%s' is too long: %zu >= %zu bytes", remote,
			  strlen(remote), sizeof(d->peer.sun_path));
		return -ENAMETOOLONG;
	}
	ret = dgram_local_path(remote, &d->local_path);
	if (ret < 0)
		return ret;
	n = strlen(d->local_path);
	if (n >= DGRAM_PATH_MAX) {
		log_error("unixgram path '%s' is too long: %zu >= %d bytes", d->local_path, n,
			  DGRAM_PATH_MAX);
		free(d->local_path);
		d->local_path = NULL;
		return -ENAMETOOLONG;
	}
	memcpy(local.sun_path, d->local_path, n + 1);
	d->peer.sun_family = AF_UNIX;
	memcpy(d->peer.sun_path, remote, strlen(remote) + 1);
	d->peer_len = sizeof(d->peer);
	d->can_reconnect = true;

	d->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->fd < 0) {
		log_error("virtio-net: socket: %s", strerror(errno));
		return -errno;
	}
	/* bind() creates the file with the socket inode's mode less the umask. */
	if (fchmod(d->fd, 0600) < 0 || bind(d->fd, (struct sockaddr *)&local, sizeof(local)) < 0) {
		ret = -errno;
		log_error("virtio-net: cannot bind %s: %s", d->local_path, strerror(errno));
		free(d->local_path); /* not ours to remove */
		d->local_path = NULL;
		return ret;
	}
	ret = dgram_check_local_file(d->local_path);
	if (ret < 0)
		return ret;
	/*
	 * The owner recorded here is the one later reconnects must match: read it
	 * before connect() and check afterwards that the same file was reached.
	 */
	if (stat(remote, &st) < 0) {
		ret = -errno;
		log_error("virtio-net: cannot connect to %s: %s", remote, strerror(errno));
		return ret;
	}
	if (!S_ISSOCK(st.st_mode)) {
		log_error("virtio-net: %s: not a socket", remote);
		return -ENOTSOCK;
	}
	d->peer_uid = st.st_uid;
	if (connect(d->fd, (struct sockaddr *)&d->peer, d->peer_len) < 0) {
		ret = -errno;
		log_error("virtio-net: cannot connect to %s: %s", remote, strerror(errno));
		return ret;
	}
	if (stat(remote, &after) < 0 || after.st_dev != st.st_dev || after.st_ino != st.st_ino) {
		log_error("virtio-net: %s was replaced while connecting to it", remote);
		return -EAGAIN;
	}
	/* Best effort: the kernel caps these at net.core.{w,r}mem_max. */
	setsockopt(d->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	setsockopt(d->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (d->magic && send(d->fd, vfkit_magic, sizeof(vfkit_magic), MSG_NOSIGNAL) < 0) {
		ret = -errno;
		log_error("virtio-net: cannot send the VFKT greeting to %s: %s", remote,
			  strerror(errno));
		return ret;
	}
	log_info("local: %s remote: %s", d->local_path, remote);
	d->peer_desc = strdup(remote);
	return 0;
}

int net_dgram_open(const struct net_backend *tmpl, struct net_config *cfg, struct net_backend **out)
{
	struct dgram *d = calloc(1, sizeof(*d));
	int ret;

	if (!d)
		return -ENOMEM;
	d->be = *tmpl;
	d->be.ops = &dgram_ops;
	d->fd = -1;
	d->magic = cfg->attachment == NET_UNIXGRAM && cfg->vfkit_magic;
	d->be.info = (struct net_backend_info){
		.kind = cfg->attachment == NET_FD ? "fd" : "unixgram",
		.mtu = NET_MTU_DEFAULT,
		.max_frame = NET_MAX_FRAME_STD,
	};
	if (cfg->attachment == NET_FD)
		ret = dgram_adopt_fd(d, cfg->fd);
	else
		ret = dgram_connect_path(d, cfg->socket_path);
	if (ret == 0 && !d->peer_desc)
		ret = -ENOMEM;
	if (ret == 0) {
		ret = loop_add(d->be.loop, d->fd, EPOLLIN, dgram_event, d);
		if (ret < 0)
			log_error("virtio-net: cannot watch %s: %s", d->peer_desc, strerror(-ret));
	}
	if (ret < 0) {
		if (cfg->attachment == NET_FD)
			d->fd = -1; /* the caller's fd; closed with the other fds at exit */
		dgram_close(&d->be);
		return ret;
	}
	d->events = EPOLLIN;
	*out = &d->be;
	return 0;
}
