/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Block backend: a raw image file or a host block device, with asynchronous
 * I/O through io_uring. Completions are signalled on an eventfd (efd) that
 * the owner watches on its event loop; block_reap() then hands each finished
 * request back. Nothing here blocks the caller on disk I/O.
 *
 * The image is never created, truncated or resized. Large aligned transfers
 * bypass the host page cache (block.c says why).
 */
#ifndef VFKIT_BLOCK_H
#define VFKIT_BLOCK_H

#include <liburing.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

struct block_backend {
	int fd;
	int direct_fd; /* the same file with O_DIRECT, or -1 (see block.c) */
	int efd;       /* readable when completions are waiting */
	bool readonly;
	bool is_dev;
	uint64_t size; /* bytes */
	struct io_uring ring;
	bool ring_ok;
};

/*
 * Opens path (type_dev: must be a block device, symlinks not followed) and
 * takes an OFD lock on it for as long as it stays open: shared when
 * readonly, exclusive otherwise, so a conflicting user (another VM, or the
 * same image twice) is refused with -EBUSY. Logs errors in upstream's words,
 * prefixed with devname. 0 or -errno.
 */
int block_open(struct block_backend *b, const char *devname, const char *path, bool type_dev,
	       bool readonly, unsigned int queue_depth);
void block_close(struct block_backend *b);

/* Queue one operation; tag comes back from block_reap(). 0 or -EAGAIN (ring full). */
int block_readv(struct block_backend *b, const struct iovec *iov, unsigned int n, uint64_t off,
		void *tag);
int block_writev(struct block_backend *b, const struct iovec *iov, unsigned int n, uint64_t off,
		 void *tag);
/* Whether a read or write of these buffers at off bypasses the host page cache. */
bool block_goes_direct(const struct block_backend *b, const struct iovec *iov, unsigned int n,
		       uint64_t off);
int block_flush(struct block_backend *b, void *tag);
/* mode: FALLOC_FL_* (PUNCH_HOLE|KEEP_SIZE for discard, ZERO_RANGE|KEEP_SIZE ...). */
int block_fallocate(struct block_backend *b, int mode, uint64_t off, uint64_t len, void *tag);

/* Hands queued operations to the kernel. */
void block_submit(struct block_backend *b);

/* Calls done(opaque, tag, res) for every completion (res: bytes or -errno). */
void block_reap(struct block_backend *b, void (*done)(void *opaque, void *tag, int res),
		void *opaque);

#endif
