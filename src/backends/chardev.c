// SPDX-License-Identifier: Apache-2.0
/*
 * Character backends: log file, stdio, pty.
 *
 * Writers (vCPU threads, device code) never block: output goes straight to
 * a non-blocking fd while it takes it, the rest waits in a bounded ring that
 * the event loop drains on EPOLLOUT; what does not fit is dropped and
 * counted. Regular files (log files, stdout redirected to a file) are written
 * directly, since they never stall the way a terminal can. If stdout cannot
 * be given its own non-blocking file description (a socket, say), every
 * write is handed to the loop thread instead.
 *
 * Epoll watches are changed only on the loop thread; other threads ask for
 * a resync with loop_call().
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backends/chardev.h"
#include "backends/terminal.h"
#include "util/log.h"
#include "vmm/vm.h"

#define OUT_BUF_SIZE   (64 * 1024)
#define IN_CHUNK       4096
#define CLOSE_FLUSH_MS 500

enum out_kind {
	OUT_DIRECT = 0, /* regular file: write in the caller */
	OUT_NONBLOCK,	/* own non-blocking fd: write what it takes, ring the rest */
	OUT_LOOP,	/* fd may block: only the loop thread writes */
};

struct chardev {
	struct loop *loop;
	enum serial_mode mode;
	int in_fd; /* -1: no input */
	int out_fd;
	int slave_fd; /* pty: kept open so the master never sees EIO */
	bool own_in, own_out;
	enum out_kind out_kind;

	pthread_mutex_t lock;
	unsigned int refs; /* the owner, plus a pending loop call */
	bool closed;
	uint8_t *ring;
	size_t head, len;
	uint64_t dropped;
	chardev_input_fn in_fn;
	void *in_opaque;
	bool accept;
	bool in_eof;
	bool sync_pending;

	/* loop thread only: events currently registered per fd */
	uint32_t in_events, out_events;
};

static void chardev_unref(struct chardev *chr)
{
	bool last;

	pthread_mutex_lock(&chr->lock);
	last = --chr->refs == 0;
	pthread_mutex_unlock(&chr->lock);
	if (!last)
		return;
	pthread_mutex_destroy(&chr->lock);
	free(chr->ring);
	free(chr);
}

/* Writes as much of the ring as the fd takes now (lock held). */
static void flush_ring(struct chardev *chr)
{
	while (chr->len) {
		size_t chunk = chr->len;

		if (chr->head + chunk > OUT_BUF_SIZE)
			chunk = OUT_BUF_SIZE - chr->head;
		ssize_t n = write(chr->out_fd, chr->ring + chr->head, chunk);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN) {
				/* The reader went away: drop what is left, keep running. */
				chr->dropped += chr->len;
				chr->len = 0;
				chr->head = 0;
			}
			return;
		}
		chr->head = (chr->head + (size_t)n) % OUT_BUF_SIZE;
		chr->len -= (size_t)n;
	}
	chr->head = 0;
}

static void on_fd(void *opaque, uint32_t events);

/* Brings one fd's epoll watch to the wanted events (loop thread); -errno if it cannot. */
static int set_watch(struct chardev *chr, int fd, uint32_t *cur, uint32_t want)
{
	int err = 0;

	if (*cur == want)
		return 0;
	if (!want)
		loop_remove(chr->loop, fd);
	else if (*cur)
		loop_modify(chr->loop, fd, want);
	else
		err = loop_add(chr->loop, fd, want, on_fd, chr);
	*cur = err ? 0 : want;
	return err;
}

/* Recomputes the watches from the state (loop thread, lock held). */
static void sync_watches(struct chardev *chr)
{
	uint32_t want_in = 0, want_out = 0;

	if (chr->closed || !chr->loop)
		return;
	if (chr->in_fd >= 0 && chr->in_fn && chr->accept && !chr->in_eof)
		want_in = EPOLLIN;
	if (chr->len && chr->out_kind == OUT_NONBLOCK)
		want_out = EPOLLOUT;
	if (chr->in_fd == chr->out_fd) {
		set_watch(chr, chr->in_fd, &chr->in_events, want_in | want_out);
		return;
	}
	/* stdin that epoll refuses (/dev/null, a regular file): no input, ever. */
	if (chr->in_fd >= 0 && set_watch(chr, chr->in_fd, &chr->in_events, want_in) < 0) {
		log_debug("stdio: input is not pollable, ignoring it");
		chr->in_eof = true;
	}
	set_watch(chr, chr->out_fd, &chr->out_events, want_out);
}

static void sync_call(void *opaque)
{
	struct chardev *chr = opaque;

	pthread_mutex_lock(&chr->lock);
	chr->sync_pending = false;
	if (!chr->closed) {
		if (chr->out_kind == OUT_LOOP) {
			/* Blocking writes, but on the loop thread, never a vCPU's. */
			while (chr->len) {
				size_t before = chr->len;

				flush_ring(chr);
				if (chr->len == before)
					break;
			}
		} else {
			flush_ring(chr);
		}
		sync_watches(chr);
	}
	pthread_mutex_unlock(&chr->lock);
	chardev_unref(chr);
}

/* Asks the loop thread to flush and resync (lock held). */
static void request_sync(struct chardev *chr)
{
	if (chr->sync_pending || chr->closed || !chr->loop)
		return;
	if (loop_call(chr->loop, sync_call, chr) < 0)
		return;
	chr->sync_pending = true;
	chr->refs++;
}

static void read_input(struct chardev *chr)
{
	uint8_t buf[IN_CHUNK];
	ssize_t n = read(chr->in_fd, buf, sizeof(buf));
	chardev_input_fn fn;
	void *opaque;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	pthread_mutex_lock(&chr->lock);
	if (n <= 0) {
		chr->in_eof = true; /* EOF or error: stop reading, output goes on */
		sync_watches(chr);
	}
	fn = chr->in_fn;
	opaque = chr->in_opaque;
	pthread_mutex_unlock(&chr->lock);
	/* Outside the lock: the consumer may call chardev_accept_input(). */
	if (n > 0 && fn)
		fn(opaque, buf, (size_t)n);
}

static void on_fd(void *opaque, uint32_t events)
{
	struct chardev *chr = opaque;
	bool input;

	pthread_mutex_lock(&chr->lock);
	if (chr->closed) {
		pthread_mutex_unlock(&chr->lock);
		return;
	}
	if (events & EPOLLOUT)
		flush_ring(chr);
	input = chr->in_events & EPOLLIN && events & (EPOLLIN | EPOLLHUP | EPOLLERR);
	if (input && !(chr->accept && chr->in_fn))
		input = false; /* raced with accept_input(false): the resync follows */
	sync_watches(chr);
	pthread_mutex_unlock(&chr->lock);
	if (input)
		read_input(chr);
}

size_t chardev_write(struct chardev *chr, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t left = len;

	if (!chr || !len)
		return len;
	pthread_mutex_lock(&chr->lock);
	if (chr->out_kind == OUT_DIRECT) {
		while (left) {
			ssize_t n = write(chr->out_fd, p, left);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				chr->dropped += left;
				break;
			}
			p += n;
			left -= (size_t)n;
		}
		pthread_mutex_unlock(&chr->lock);
		return len;
	}
	if (chr->out_kind == OUT_NONBLOCK && chr->len == 0) {
		ssize_t n = write(chr->out_fd, p, left);

		if (n > 0) {
			p += n;
			left -= (size_t)n;
		}
	}
	if (left) {
		size_t room = OUT_BUF_SIZE - chr->len;
		size_t take = left < room ? left : room;

		for (size_t i = 0; i < take; i++)
			chr->ring[(chr->head + chr->len + i) % OUT_BUF_SIZE] = p[i];
		chr->len += take;
		if (take < left) {
			chr->dropped += left - take;
			log_ratelimited(LOG_LEVEL_DEBUG,
					"chardev: output buffer full, dropped %zu bytes",
					left - take);
		}
		request_sync(chr);
	}
	pthread_mutex_unlock(&chr->lock);
	return len;
}

void chardev_set_input(struct chardev *chr, chardev_input_fn fn, void *opaque)
{
	pthread_mutex_lock(&chr->lock);
	chr->in_fn = fn;
	chr->in_opaque = opaque;
	request_sync(chr);
	pthread_mutex_unlock(&chr->lock);
}

void chardev_accept_input(struct chardev *chr, bool accept)
{
	pthread_mutex_lock(&chr->lock);
	if (chr->accept != accept) {
		chr->accept = accept;
		request_sync(chr);
	}
	pthread_mutex_unlock(&chr->lock);
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

static int open_logfile(struct chardev *chr, const char *path)
{
	/*
	 * Created or truncated at start, as upstream does (reference 5.7). The
	 * console is the guest's output, often with secrets: a new file is
	 * 0600 (an existing one keeps its mode), and a symlink as the last
	 * component is refused, so that one planted in a shared directory by
	 * another user cannot make us truncate and write a file of ours.
	 */
	chr->out_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (chr->out_fd < 0) {
		int err = -errno;

		log_error("virtio-serial: cannot open log file %s: %s", path, strerror(errno));
		return err;
	}
	chr->own_out = true;
	chr->out_kind = OUT_DIRECT;
	return 0;
}

/*
 * stdout: a regular file is written directly. A tty or pipe gets its own
 * non-blocking file description, so O_NONBLOCK does not leak into the
 * description that stderr (our log) may share with it.
 */
static void setup_stdout(struct chardev *chr)
{
	struct stat st;
	int fd;

	chr->out_fd = STDOUT_FILENO;
	chr->out_kind = OUT_LOOP;
	if (fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode)) {
		chr->out_kind = OUT_DIRECT;
		return;
	}
	fd = open("/proc/self/fd/1", O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd >= 0) {
		chr->out_fd = fd;
		chr->own_out = true;
		chr->out_kind = OUT_NONBLOCK;
	}
}

static int open_stdio(struct chardev *chr, struct vm *vm)
{
	int err = terminal_raw(STDIN_FILENO, vm);

	if (err < 0)
		return err;
	chr->in_fd = STDIN_FILENO;
	setup_stdout(chr);
	return 0;
}

static int open_pty(struct chardev *chr, struct serial_config *cfg)
{
	char name[128];
	int err;
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, name, sizeof(name)) != 0)
		goto fail;
	chr->in_fd = chr->out_fd = m;
	chr->own_in = chr->own_out = true;
	chr->slave_fd = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (chr->slave_fd < 0 || terminal_make_raw(m) < 0 || set_nonblock(m) < 0)
		goto fail;
	chr->out_kind = OUT_NONBLOCK;
	char *copy = strdup(name);

	if (!copy) {
		errno = ENOMEM;
		goto fail;
	}
	config_runtime_lock();
	free(cfg->pty_name);
	cfg->pty_name = copy;
	config_runtime_unlock();
	log_info("Using PTY (pty path: %s)", name);
	return 0;
fail:
	err = -errno;
	log_error("virtio-serial: cannot allocate a pty: %s", strerror(errno));
	if (m >= 0 && chr->in_fd != m)
		close(m);
	return err;
}

struct chardev *chardev_open(struct vm *vm, struct serial_config *cfg)
{
	struct chardev *chr = calloc(1, sizeof(*chr));
	int err;

	if (!chr || !(chr->ring = malloc(OUT_BUF_SIZE))) {
		log_error("virtio-serial: out of memory");
		free(chr);
		return NULL;
	}
	pthread_mutex_init(&chr->lock, NULL);
	chr->refs = 1;
	chr->loop = vm ? vm->loop : NULL;
	chr->mode = cfg->mode;
	chr->in_fd = chr->out_fd = chr->slave_fd = -1;
	chr->accept = true;
	switch (cfg->mode) {
	case SERIAL_LOGFILE:
		err = open_logfile(chr, cfg->log_file_path ? cfg->log_file_path : "");
		break;
	case SERIAL_STDIO:
		err = open_stdio(chr, vm);
		break;
	case SERIAL_PTY:
		err = open_pty(chr, cfg);
		break;
	default:
		err = -EINVAL;
		break;
	}
	if (err < 0) {
		chr->closed = true;
		chardev_close(chr);
		return NULL;
	}
	return chr;
}

/* Last output gets a short, bounded chance to reach a slow reader. */
static void final_flush(struct chardev *chr)
{
	struct pollfd pfd = {.fd = chr->out_fd, .events = POLLOUT};
	int waited = 0;

	while (chr->len && chr->out_kind != OUT_DIRECT && waited < CLOSE_FLUSH_MS) {
		size_t before = chr->len;

		flush_ring(chr);
		if (chr->len && chr->len == before) {
			if (poll(&pfd, 1, 50) <= 0)
				waited += 50;
		}
	}
}

void chardev_close(struct chardev *chr)
{
	if (!chr)
		return;
	pthread_mutex_lock(&chr->lock);
	if (chr->out_fd >= 0)
		final_flush(chr);
	if (chr->loop) {
		if (chr->in_events)
			loop_remove(chr->loop, chr->in_fd);
		if (chr->out_events && chr->out_fd != chr->in_fd)
			loop_remove(chr->loop, chr->out_fd);
	}
	chr->in_events = chr->out_events = 0;
	chr->closed = true;
	if (chr->mode == SERIAL_STDIO && chr->in_fd == STDIN_FILENO)
		terminal_restore();
	if (chr->dropped)
		log_debug("chardev: %llu output bytes were dropped",
			  (unsigned long long)chr->dropped);
	if (chr->own_out && chr->out_fd >= 0)
		close(chr->out_fd);
	if (chr->own_in && chr->in_fd >= 0 && chr->in_fd != chr->out_fd)
		close(chr->in_fd);
	if (chr->slave_fd >= 0)
		close(chr->slave_fd);
	chr->in_fd = chr->out_fd = chr->slave_fd = -1;
	pthread_mutex_unlock(&chr->lock);
	chardev_unref(chr);
}
