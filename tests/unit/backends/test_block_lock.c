// SPDX-License-Identifier: Apache-2.0
/*
 * The block backend's image locks: a read-write user excludes every other,
 * read-only users share, and the lock is the open file description's (OFD),
 * so it survives the close of other descriptors of the same file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "backends/block.h"

struct fixture {
	char path[64];
	struct block_backend be;
};

/* A 1 MiB image in the build directory, held read-write by fx->be. */
static int setup_disk(void **state)
{
	static struct fixture fx;
	int fd;

	memset(&fx, 0, sizeof(fx));
	snprintf(fx.path, sizeof(fx.path), "./vfkit-lock-XXXXXX");
	fd = mkstemp(fx.path);
	if (fd < 0 || ftruncate(fd, 1 << 20) < 0)
		return -1;
	close(fd);
	if (block_open(&fx.be, "test", fx.path, false, false, 8) < 0)
		return -1;
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	block_close(&fx->be);
	unlink(fx->path);
	return 0;
}

/* A second user of the image the fixture holds read-write: refused, whoever it is. */
static void test_second_user_of_a_writable_image_is_refused(void **state)
{
	struct fixture *fx = *state;
	struct block_backend other;

	assert_int_equal(block_open(&other, "test", fx->path, false, false, 8), -EBUSY);
	assert_int_equal(other.fd, -1);
	assert_int_equal(block_open(&other, "test", fx->path, false, true, 8), -EBUSY);
	/* Closing the image releases it. */
	block_close(&fx->be);
	assert_int_equal(block_open(&fx->be, "test", fx->path, false, false, 8), 0);
}

/*
 * The lock lives on the open file description, not the process: closing the
 * O_DIRECT descriptor of the same file must not drop it (a POSIX lock would
 * go with the first close of any descriptor of the file).
 */
static void test_lock_outlives_other_descriptors(void **state)
{
	struct fixture *fx = *state;
	struct block_backend other;
	int fd = open(fx->path, O_RDONLY);

	assert_true(fd >= 0);
	close(fd);
	close(fx->be.direct_fd);
	fx->be.direct_fd = -1;
	assert_int_equal(block_open(&other, "test", fx->path, false, false, 8), -EBUSY);
}

static void test_readonly_users_share(void **state)
{
	struct fixture *fx = *state;
	struct block_backend r1, r2, w;

	block_close(&fx->be);
	assert_int_equal(block_open(&r1, "test", fx->path, false, true, 8), 0);
	assert_int_equal(block_open(&r2, "test", fx->path, false, true, 8), 0);
	assert_int_equal(block_open(&w, "test", fx->path, false, false, 8), -EBUSY);
	block_close(&r1);
	assert_int_equal(block_open(&w, "test", fx->path, false, false, 8), -EBUSY);
	block_close(&r2);
	assert_int_equal(block_open(&w, "test", fx->path, false, false, 8), 0);
	block_close(&w);
}

/* Runs block_open with stderr captured into out; returns its result. */
static int open_capturing_log(struct block_backend *b, const char *path, char *out, size_t len)
{
	FILE *cap = tmpfile();
	int saved = dup(2), ret;
	size_t n;

	assert_non_null(cap);
	fflush(stderr);
	dup2(fileno(cap), 2);
	ret = block_open(b, "virtio-blk", path, false, false, 8);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(cap);
	n = fread(out, 1, len - 1, cap);
	out[n] = 0;
	fclose(cap);
	return ret;
}

/* A classic POSIX lock (lockf, flock's cousin in other tools) names its holder. */
static void test_conflict_names_the_option_path_and_holder(void **state)
{
	struct fixture *fx = *state;
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	struct block_backend other;
	char log[1024], want[512];
	int fd;

	block_close(&fx->be);
	fd = open(fx->path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_SETLK, &fl), 0);
	assert_int_equal(open_capturing_log(&other, fx->path, log, sizeof(log)), -EBUSY);
	snprintf(want, sizeof(want),
		 "--device virtio-blk: %s: image is in use by process %d, which holds a write "
		 "lock",
		 fx->path, (int)getpid());
	assert_non_null(strstr(log, want));
	close(fd);
	assert_int_equal(block_open(&fx->be, "test", fx->path, false, false, 8), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_second_user_of_a_writable_image_is_refused,
						setup_disk, teardown),
		cmocka_unit_test_setup_teardown(test_lock_outlives_other_descriptors, setup_disk,
						teardown),
		cmocka_unit_test_setup_teardown(test_readonly_users_share, setup_disk, teardown),
		cmocka_unit_test_setup_teardown(test_conflict_names_the_option_path_and_holder,
						setup_disk, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
