// SPDX-License-Identifier: Apache-2.0
/*
 * Raw image / host block device backend on io_uring. Flushes are fdatasync;
 * discard and write-zeroes are fallocate so that sparse images stay sparse.
 *
 * Caching is automatic: small requests go through the host page cache, which
 * keeps hot blocks in host RAM, while large page-aligned ones (streaming
 * reads and writes) use a second O_DIRECT descriptor and skip a copy through
 * the cache. Linux keeps the two coherent: a direct read first writes back
 * dirty cached pages of its range, a direct write invalidates them. Where the
 * file system has no O_DIRECT (tmpfs) everything is buffered.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "backends/block.h"
#include "util/array.h"
#include "util/log.h"

/* Requests at least this large, with every buffer and the offset aligned, go direct. */
#define DIRECT_MIN_BYTES (64 * 1024)
#define DIRECT_ALIGN	 4096

/* Fixed-file slots: every request names one of these, never a raw descriptor. */
enum { SLOT_BUFFERED, SLOT_DIRECT, SLOT_COUNT };

/* Go-style error text ("no such file or directory"), as upstream prints it. */
static void go_strerror(int err, char *buf, size_t len)
{
	snprintf(buf, len, "%s", strerror(err));
	if (buf[0])
		buf[0] = (char)tolower((unsigned char)buf[0]);
}

static int open_dev(const char *devname, const char *path, bool readonly)
{
	struct stat st;
	char err[128];
	int fd;

	if (lstat(path, &st) < 0) {
		go_strerror(errno, err, sizeof(err));
		log_error("%s: error stating file: lstat %s: %s", devname, path, err);
		return -errno;
	}
	if (!S_ISBLK(st.st_mode)) {
		log_error("%s: file %s is not a block device", devname, path);
		return -ENOTBLK;
	}
	fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		go_strerror(errno, err, sizeof(err));
		log_error("%s: error opening file: open %s: %s", devname, path, err);
		return -errno;
	}
	return fd;
}

static int open_image(const char *devname, const char *path, bool readonly)
{
	char err[128];
	int fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	struct stat st;

	if (fd < 0) {
		go_strerror(errno, err, sizeof(err));
		log_error("%s: error opening file: open %s: %s", devname, path, err);
		return -errno;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		log_error("%s: error opening file: open %s: is a directory", devname, path);
		close(fd);
		return -EISDIR;
	}
	return fd;
}

/*
 * Who holds a conflicting lock, for the message. F_OFD_GETLK gives the pid
 * of a classic POSIX lock's owner, but -1 for an OFD lock (QEMU's, another
 * vfkit's, or another --device of this VM), whose owner is an open file
 * description that may be shared by several processes.
 */
static void describe_holder(int fd, short want, char *buf, size_t len)
{
	struct flock fl = {.l_type = want, .l_whence = SEEK_SET};
	const char *kind;

	if (fcntl(fd, F_OFD_GETLK, &fl) < 0 || fl.l_type == F_UNLCK) {
		snprintf(buf, len, "another process");
		return;
	}
	kind = fl.l_type == F_WRLCK ? "write" : "read";
	if (fl.l_pid > 0)
		snprintf(buf, len, "process %d, which holds a %s lock", (int)fl.l_pid, kind);
	else
		snprintf(buf, len,
			 "another process or another --device of this VM, which holds "
			 "a %s lock",
			 kind);
}

/*
 * Locks the whole image the way QEMU does, so that two VMs (or two disks of
 * one VM) never write the same image: a read lock for read-only users, who
 * may share, a write lock for a read-write user, who may not. OFD locks
 * belong to this open file description: the O_DIRECT descriptor opened later
 * neither needs one nor drops this one when it is closed, and a close of any
 * other descriptor of the file does not release it (as it would a POSIX lock).
 */
static int lock_image(int fd, const char *devname, const char *path, bool readonly)
{
	short want = readonly ? F_RDLCK : F_WRLCK;
	struct flock fl = {.l_type = want, .l_whence = SEEK_SET};
	char holder[160];

	if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
		return 0;
	if (errno == ENOLCK || errno == EOPNOTSUPP) {
		/* Some network file systems have no locks: go on, as QEMU does. */
		log_warn("--device %s: %s: cannot lock the image (%s); another user of it "
			 "will not be detected",
			 devname, path, strerror(errno));
		return 0;
	}
	if (errno != EAGAIN && errno != EACCES) {
		int err = -errno;

		log_error("--device %s: %s: cannot lock the image: %s", devname, path,
			  strerror(errno));
		return err;
	}
	describe_holder(fd, want, holder, sizeof(holder));
	log_error("--device %s: %s: image is in use by %s; only readonly users may share an "
		  "image",
		  devname, path, holder);
	return -EBUSY;
}

static int backend_size(struct block_backend *b, const char *devname, const char *path)
{
	struct stat st;

	if (fstat(b->fd, &st) < 0)
		return -errno;
	if (S_ISBLK(st.st_mode)) {
		b->is_dev = true;
		if (ioctl(b->fd, BLKGETSIZE64, &b->size) < 0) {
			log_error("%s: %s: cannot read the device size: %s", devname, path,
				  strerror(errno));
			return -errno;
		}
	} else {
		b->size = (uint64_t)st.st_size;
	}
	return 0;
}

/* Debian's liburing 2.3 declares but does not export the restriction calls. */
static int ring_register(struct block_backend *b, unsigned int op, void *arg, unsigned int n)
{
	return syscall(__NR_io_uring_register, b->ring.ring_fd, op, arg, n) < 0 ? -errno : 0;
}

/*
 * seccomp never sees what an io_uring does: an unrestricted ring could open,
 * connect or read any file behind the sandbox's back. Ours may only readv,
 * writev, fsync and fallocate the image's two descriptors, registered as fixed
 * files, and takes no further registration once enabled.
 */
static int restrict_ring(struct block_backend *b)
{
	static const uint8_t ops[] = {IORING_OP_READV, IORING_OP_WRITEV, IORING_OP_FSYNC,
				      IORING_OP_FALLOCATE};
	struct io_uring_restriction res[ARRAY_SIZE(ops) + 2];
	int fds[SLOT_COUNT] = {[SLOT_BUFFERED] = b->fd, [SLOT_DIRECT] = b->direct_fd};
	unsigned int n = 0;
	int ret;

	memset(res, 0, sizeof(res));
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
		res[n].opcode = IORING_RESTRICTION_SQE_OP;
		res[n++].sqe_op = ops[i];
	}
	res[n].opcode = IORING_RESTRICTION_SQE_FLAGS_REQUIRED;
	res[n++].sqe_flags = IOSQE_FIXED_FILE;
	res[n].opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED;
	res[n++].sqe_flags = IOSQE_FIXED_FILE;
	/* A -1 slot (no O_DIRECT descriptor) stays empty. */
	ret = io_uring_register_files(&b->ring, fds, SLOT_COUNT);
	if (!ret)
		ret = ring_register(b, IORING_REGISTER_RESTRICTIONS, res, n);
	if (!ret)
		ret = ring_register(b, IORING_REGISTER_ENABLE_RINGS, NULL, 0);
	return ret;
}

int block_open(struct block_backend *b, const char *devname, const char *path, bool type_dev,
	       bool readonly, unsigned int queue_depth)
{
	char proc[64];
	int ret;

	memset(b, 0, sizeof(*b));
	b->efd = b->direct_fd = -1;
	b->readonly = readonly;
	b->fd = type_dev ? open_dev(devname, path, readonly) : open_image(devname, path, readonly);
	if (b->fd < 0)
		return b->fd;
	ret = lock_image(b->fd, devname, path, readonly);
	if (ret == 0)
		ret = backend_size(b, devname, path);
	if (ret < 0)
		goto fail;
	/* Reopen the inode we checked, not whatever path names now. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", b->fd);
	b->direct_fd = open(proc, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_DIRECT);
	if (queue_depth > 4096)
		queue_depth = 4096;
	/* Disabled until restricted: see restrict_ring(). */
	ret = io_uring_queue_init(queue_depth ? queue_depth : 64, &b->ring,
				  IORING_SETUP_R_DISABLED);
	if (ret < 0) {
		log_error("%s: io_uring setup failed: %s", devname, strerror(-ret));
		goto fail;
	}
	b->ring_ok = true;
	b->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (b->efd < 0) {
		ret = -errno;
		goto fail;
	}
	ret = io_uring_register_eventfd(&b->ring, b->efd);
	if (ret < 0) {
		log_error("%s: io_uring eventfd: %s", devname, strerror(-ret));
		goto fail;
	}
	ret = restrict_ring(b);
	if (ret < 0) {
		log_error("%s: io_uring restrictions: %s", devname, strerror(-ret));
		goto fail;
	}
	return 0;
fail:
	block_close(b);
	return ret;
}

/*
 * The lock belongs to the open file description, which io_uring keeps alive
 * for a while after the ring is gone (registered files are released by a
 * kernel worker): drop it explicitly, so a closed image is free at once.
 */
static void unlock_image(int fd)
{
	struct flock fl = {.l_type = F_UNLCK, .l_whence = SEEK_SET};

	fcntl(fd, F_OFD_SETLK, &fl);
}

void block_close(struct block_backend *b)
{
	if (b->ring_ok)
		io_uring_queue_exit(&b->ring);
	b->ring_ok = false;
	if (b->efd >= 0)
		close(b->efd);
	if (b->direct_fd >= 0)
		close(b->direct_fd);
	if (b->fd >= 0) {
		unlock_image(b->fd);
		close(b->fd);
	}
	b->efd = b->fd = b->direct_fd = -1;
}

/* A free submission slot, submitting what is queued once if the ring is full. */
static struct io_uring_sqe *get_sqe(struct block_backend *b)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&b->ring);

	if (!sqe) {
		io_uring_submit(&b->ring);
		sqe = io_uring_get_sqe(&b->ring);
	}
	return sqe;
}

bool block_goes_direct(const struct block_backend *b, const struct iovec *iov, unsigned int n,
		       uint64_t off)
{
	uint64_t len = 0;

	if (b->direct_fd < 0 || off % DIRECT_ALIGN)
		return false;
	for (unsigned int i = 0; i < n; i++) {
		if ((uintptr_t)iov[i].iov_base % DIRECT_ALIGN || iov[i].iov_len % DIRECT_ALIGN)
			return false;
		len += iov[i].iov_len;
	}
	return len >= DIRECT_MIN_BYTES;
}

static int slot_for(const struct block_backend *b, const struct iovec *iov, unsigned int n,
		    uint64_t off)
{
	return block_goes_direct(b, iov, n, off) ? SLOT_DIRECT : SLOT_BUFFERED;
}

/* Every request names a registered slot: the ring refuses anything else. */
static void set_fixed(struct io_uring_sqe *sqe, void *tag)
{
	io_uring_sqe_set_flags(sqe, IOSQE_FIXED_FILE);
	io_uring_sqe_set_data(sqe, tag);
}

int block_readv(struct block_backend *b, const struct iovec *iov, unsigned int n, uint64_t off,
		void *tag)
{
	struct io_uring_sqe *sqe = get_sqe(b);

	if (!sqe)
		return -EAGAIN;
	io_uring_prep_readv(sqe, slot_for(b, iov, n, off), iov, n, off);
	set_fixed(sqe, tag);
	return 0;
}

int block_writev(struct block_backend *b, const struct iovec *iov, unsigned int n, uint64_t off,
		 void *tag)
{
	struct io_uring_sqe *sqe = get_sqe(b);

	if (b->readonly)
		return -EROFS;
	if (!sqe)
		return -EAGAIN;
	io_uring_prep_writev(sqe, slot_for(b, iov, n, off), iov, n, off);
	set_fixed(sqe, tag);
	return 0;
}

int block_flush(struct block_backend *b, void *tag)
{
	struct io_uring_sqe *sqe = get_sqe(b);

	if (!sqe)
		return -EAGAIN;
	io_uring_prep_fsync(sqe, SLOT_BUFFERED, IORING_FSYNC_DATASYNC);
	set_fixed(sqe, tag);
	return 0;
}

int block_fallocate(struct block_backend *b, int mode, uint64_t off, uint64_t len, void *tag)
{
	struct io_uring_sqe *sqe = get_sqe(b);

	if (b->readonly)
		return -EROFS;
	if (!sqe)
		return -EAGAIN;
	io_uring_prep_fallocate(sqe, SLOT_BUFFERED, mode, off, len);
	set_fixed(sqe, tag);
	return 0;
}

void block_submit(struct block_backend *b)
{
	int ret = io_uring_submit(&b->ring);

	if (ret < 0 && ret != -EAGAIN && ret != -EBUSY)
		log_ratelimited(LOG_LEVEL_WARN, "block: io_uring submit: %s", strerror(-ret));
}

void block_reap(struct block_backend *b, void (*done)(void *opaque, void *tag, int res),
		void *opaque)
{
	struct io_uring_cqe *cqe;
	uint64_t n;

	if (read(b->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	while (io_uring_peek_cqe(&b->ring, &cqe) == 0) {
		void *tag = io_uring_cqe_get_data(cqe);
		int res = cqe->res;

		io_uring_cqe_seen(&b->ring, cqe);
		done(opaque, tag, res);
	}
}
