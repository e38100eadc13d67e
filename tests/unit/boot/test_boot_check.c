// SPDX-License-Identifier: Apache-2.0
/* boot_check_linux(): what --dry-run and start-up refuse, with which message. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "arch/x86/boot.h"
#include "arch/x86/layout.h"
#include "synth_kernel.h"
#include "../unprivileged.h"

static char dir[] = "/tmp/vfkit-boot-check-XXXXXX";
static char kernel[256], initrd[256], junk[256], empty[256];
static char err[512];

static void write_file(const char *path, const void *data, size_t len, off_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	if (size)
		assert_int_equal(ftruncate(fd, size), 0);
	close(fd);
}

static int setup(void **state)
{
	static uint8_t bz[16384];

	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(kernel, sizeof(kernel), "%s/bzImage", dir);
	snprintf(initrd, sizeof(initrd), "%s/initrd", dir);
	snprintf(junk, sizeof(junk), "%s/junk", dir);
	snprintf(empty, sizeof(empty), "%s/empty", dir);
	synth_bzimage(bz, sizeof(bz), 0x020f, XLF_KERNEL_64);
	write_file(kernel, bz, sizeof(bz), 0);
	write_file(initrd, "0707", 4, MiB(20));
	write_file(junk, "#!/bin/sh\necho hello\n", 21, 0);
	write_file(empty, "", 0, 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(kernel);
	unlink(initrd);
	unlink(junk);
	unlink(empty);
	rmdir(dir);
	return 0;
}

static int check(const char *k, const char *i, const char *cmdline, uint64_t ram)
{
	struct boot_config b = {
		.kind = BOOT_LINUX,
		.kernel = (char *)k,
		.initrd = (char *)i,
		.cmdline = (char *)cmdline,
	};

	err[0] = 0;
	return boot_check_linux(&b, ram, err, sizeof(err));
}

static void test_valid_kernel_with_and_without_initrd(void **state)
{
	(void)state;
	assert_int_equal(check(kernel, NULL, "console=ttyS0", GiB(1)), 0);
	assert_int_equal(check(kernel, initrd, "console=ttyS0", GiB(1)), 0);
}

static void test_missing_kernel(void **state)
{
	(void)state;
	assert_int_equal(check("/nonexistent/vmlinuz", NULL, NULL, GiB(1)), -1);
	assert_string_equal(err, "--bootloader linux: kernel /nonexistent/vmlinuz: "
				 "No such file or directory");
	assert_int_equal(check(NULL, NULL, NULL, GiB(1)), -1);
	assert_string_equal(err, "--bootloader linux: missing kernel path");
}

static void test_not_a_kernel(void **state)
{
	char want[512];

	(void)state;
	assert_int_equal(check(junk, NULL, NULL, GiB(1)), -1);
	snprintf(want, sizeof(want),
		 "--bootloader linux: kernel %s: not a Linux kernel (no bzImage header or ELF "
		 "x86-64 executable)",
		 junk);
	assert_string_equal(err, want);
	assert_int_equal(check(empty, NULL, NULL, GiB(1)), -1);
	assert_non_null(strstr(err, "empty file"));
	assert_int_equal(check(dir, NULL, NULL, GiB(1)), -1);
	assert_non_null(strstr(err, "is a directory"));
}

static void test_truncated_kernel(void **state)
{
	uint8_t bz[16384];
	char path[300];

	(void)state;
	snprintf(path, sizeof(path), "%s/short", dir);
	synth_bzimage(bz, sizeof(bz), 0x020f, XLF_KERNEL_64);
	write_file(path, bz, 5 * 512, 0);
	assert_int_equal(check(path, NULL, NULL, GiB(1)), -1);
	assert_non_null(strstr(err, "truncated bzImage"));
	unlink(path);
}

/* boot_check_linux() on two kernels, run as nobody (see ../unprivileged.h). */
struct unreadable_check {
	int readable_rc, locked_rc;
	char locked_err[512];
};

static void check_in_child(void *shared)
{
	struct unreadable_check *c = shared;
	char locked[300];

	snprintf(locked, sizeof(locked), "%s/locked", dir);
	c->readable_rc = check(kernel, NULL, NULL, GiB(1));
	c->locked_rc = check(locked, NULL, NULL, GiB(1));
	snprintf(c->locked_err, sizeof(c->locked_err), "%s", err);
}

static void test_unreadable_kernel(void **state)
{
	struct unreadable_check *c = unprivileged_shared(sizeof(*c));
	uint8_t bz[16384];
	char locked[300];

	(void)state;
	assert_non_null(c);
	snprintf(locked, sizeof(locked), "%s/locked", dir);
	synth_bzimage(bz, sizeof(bz), 0x020f, XLF_KERNEL_64);
	write_file(locked, bz, sizeof(bz), 0);
	assert_int_equal(chmod(locked, 0), 0);
	assert_int_equal(chmod(dir, 0755), 0); /* nobody must reach both files */
	c->readable_rc = c->locked_rc = 1234;
	assert_int_equal(run_unprivileged(check_in_child, c), 0);
	assert_int_equal(chmod(dir, 0700), 0);
	unlink(locked);
	/* the control: the same user boots the same kernel when it may read it */
	assert_int_equal(c->readable_rc, 0);
	assert_int_equal(c->locked_rc, -1);
	assert_non_null(strstr(c->locked_err, "Permission denied"));
	assert_non_null(strstr(c->locked_err, locked));
	munmap(c, sizeof(*c));
}

static void test_missing_initrd(void **state)
{
	(void)state;
	assert_int_equal(check(kernel, "/nonexistent/initrd.img", NULL, GiB(1)), -1);
	assert_string_equal(err, "--bootloader linux: initrd /nonexistent/initrd.img: "
				 "No such file or directory");
	assert_int_equal(check(kernel, empty, NULL, GiB(1)), -1);
	assert_non_null(strstr(err, "initrd"));
	assert_non_null(strstr(err, "empty file"));
}

static void test_initrd_too_large(void **state)
{
	(void)state;
	/* The kernel needs up to 48 MiB; 20 MiB more do not fit in 64 MiB. */
	assert_int_equal(check(kernel, initrd, NULL, MiB(64)), -1);
	assert_non_null(strstr(err, "--bootloader linux: initrd"));
	assert_non_null(strstr(err, "do not fit"));
	assert_int_equal(check(kernel, initrd, NULL, MiB(68)), 0);
}

static void test_guest_too_small_for_kernel(void **state)
{
	(void)state;
	assert_int_equal(check(kernel, NULL, NULL, MiB(32)), -1);
	assert_non_null(strstr(err, "needs RAM up to 48 MiB"));
}

static void test_cmdline_too_long(void **state)
{
	char cmd[3000];

	(void)state;
	memset(cmd, 'a', sizeof(cmd) - 1);
	cmd[sizeof(cmd) - 1] = 0;
	assert_int_equal(check(kernel, NULL, cmd, GiB(1)), -1);
	assert_non_null(strstr(err, "at most 2047"));
	cmd[2047] = 0;
	assert_int_equal(check(kernel, NULL, cmd, GiB(1)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_kernel_with_and_without_initrd),
		cmocka_unit_test(test_missing_kernel),
		cmocka_unit_test(test_not_a_kernel),
		cmocka_unit_test(test_truncated_kernel),
		cmocka_unit_test(test_unreadable_kernel),
		cmocka_unit_test(test_missing_initrd),
		cmocka_unit_test(test_initrd_too_large),
		cmocka_unit_test(test_guest_too_small_for_kernel),
		cmocka_unit_test(test_cmdline_too_long),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
