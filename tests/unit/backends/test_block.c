// SPDX-License-Identifier: Apache-2.0
/*
 * The block backend's automatic caching: which requests bypass the page cache,
 * and that buffered and direct requests see each other's data.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backends/block.h"

#define IMG_SIZE (4u << 20)
#define BIG	 (64u * 1024)

struct fixture {
	char path[64];
	struct block_backend be;
	uint8_t *buf; /* 2 * BIG, page-aligned */
};

static void done(void *opaque, void *tag, int res)
{
	(void)tag;
	*(int *)opaque = res;
}

/* Runs the one queued request to completion; returns its result. */
static int run_one(struct block_backend *b)
{
	struct io_uring_cqe *cqe;
	int res = -1;

	block_submit(b);
	assert_int_equal(io_uring_wait_cqe(&b->ring, &cqe), 0);
	block_reap(b, done, &res);
	return res;
}

static int rw(struct block_backend *b, bool write, void *p, size_t len, uint64_t off)
{
	struct iovec v = {p, len};

	if (write)
		assert_int_equal(block_writev(b, &v, 1, off, NULL), 0);
	else
		assert_int_equal(block_readv(b, &v, 1, off, NULL), 0);
	return run_one(b);
}

/* An image in dir; returns 0 after opening it. */
static int open_in(struct fixture *fx, const char *dir)
{
	int fd;

	snprintf(fx->path, sizeof(fx->path), "%s/vfkit-block-XXXXXX", dir);
	fd = mkstemp(fx->path);
	if (fd < 0)
		return -1;
	if (ftruncate(fd, IMG_SIZE) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return block_open(&fx->be, "test", fx->path, false, false, 8);
}

static int setup_disk(void **state)
{
	static struct fixture fx;

	memset(&fx, 0, sizeof(fx));
	/* The build directory: a disk file system, which has O_DIRECT. */
	if (open_in(&fx, ".") < 0 || posix_memalign((void **)&fx.buf, 4096, 2 * BIG))
		return -1;
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	block_close(&fx->be);
	unlink(fx->path);
	free(fx->buf);
	return 0;
}

static void test_only_large_aligned_requests_go_direct(void **state)
{
	struct fixture *fx = *state;
	struct iovec big = {fx->buf, BIG};
	struct iovec small = {fx->buf, 4096};
	struct iovec shifted = {fx->buf + 512, BIG};
	struct iovec two[2] = {{fx->buf, BIG / 2}, {fx->buf + BIG, BIG / 2}};
	struct iovec ragged[2] = {{fx->buf, BIG / 2 + 512}, {fx->buf + BIG, BIG / 2}};

	assert_true(fx->be.direct_fd >= 0);
	assert_true(block_goes_direct(&fx->be, &big, 1, 0));
	assert_true(block_goes_direct(&fx->be, two, 2, 8192));
	assert_false(block_goes_direct(&fx->be, &small, 1, 0));
	assert_false(block_goes_direct(&fx->be, &shifted, 1, 0));
	assert_false(block_goes_direct(&fx->be, ragged, 2, 0));
	assert_false(block_goes_direct(&fx->be, &big, 1, 512));
}

static void test_buffered_and_direct_see_each_other(void **state)
{
	struct fixture *fx = *state;
	uint8_t *p = fx->buf;

	/* A small buffered write, still dirty in the page cache, then a direct read. */
	memset(p, 0xab, 4096);
	assert_int_equal(rw(&fx->be, true, p, 4096, 8192), 4096);
	memset(p, 0, BIG);
	assert_int_equal(rw(&fx->be, false, p, BIG, 0), (int)BIG);
	assert_int_equal(p[8192], 0xab);
	assert_int_equal(p[8192 + 4095], 0xab);
	assert_int_equal(p[8191], 0);

	/* Cache the range buffered, overwrite it direct, read it buffered again. */
	assert_int_equal(rw(&fx->be, false, p, 4096, 8192), 4096);
	memset(p, 0x5c, BIG);
	assert_int_equal(rw(&fx->be, true, p, BIG, 0), (int)BIG);
	memset(p, 0, 4096);
	assert_int_equal(rw(&fx->be, false, p, 4096, 8192), 4096);
	assert_int_equal(p[0], 0x5c);
	assert_int_equal(p[4095], 0x5c);
}

static void test_unaligned_large_request_is_buffered_and_correct(void **state)
{
	struct fixture *fx = *state;
	uint8_t *p = fx->buf + 512;

	for (unsigned int i = 0; i < BIG; i++)
		p[i] = (uint8_t)(i * 7);
	assert_int_equal(rw(&fx->be, true, p, BIG, 4096), (int)BIG);
	memset(p, 0, BIG);
	assert_int_equal(rw(&fx->be, false, p, BIG, 4096), (int)BIG);
	for (unsigned int i = 0; i < BIG; i += 997)
		assert_int_equal(p[i], (uint8_t)(i * 7));
}

/* File systems without O_DIRECT (tmpfs before Linux 6.6) leave direct_fd at -1. */
static void test_without_direct_everything_is_buffered(void **state)
{
	struct fixture *fx = *state;
	struct iovec big = {fx->buf, BIG};

	close(fx->be.direct_fd);
	fx->be.direct_fd = -1;
	assert_false(block_goes_direct(&fx->be, &big, 1, 0));
	memset(fx->buf, 0x11, BIG);
	assert_int_equal(rw(&fx->be, true, fx->buf, BIG, 0), (int)BIG);
	memset(fx->buf, 0, BIG);
	assert_int_equal(rw(&fx->be, false, fx->buf, BIG, 0), (int)BIG);
	assert_int_equal(fx->buf[BIG - 1], 0x11);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_only_large_aligned_requests_go_direct,
						setup_disk, teardown),
		cmocka_unit_test_setup_teardown(test_buffered_and_direct_see_each_other, setup_disk,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_unaligned_large_request_is_buffered_and_correct, setup_disk, teardown),
		cmocka_unit_test_setup_teardown(test_without_direct_everything_is_buffered,
						setup_disk, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
