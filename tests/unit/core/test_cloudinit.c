// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backends/cloudinit.h"

#define SECTOR 2048

static char tmpdir[] = "/tmp/vfkit-ci-test-XXXXXX";

static char *write_file(const char *name, const char *content)
{
	char *path;
	FILE *f;

	assert_true(asprintf(&path, "%s/%s", tmpdir, name) > 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
	return path;
}

static uint8_t *read_all(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Finds name in the root directory; returns its (lba, size). */
static bool find_entry(const uint8_t *img, const char *name, uint32_t *lba, uint32_t *size)
{
	const uint8_t *root = img + 156 + 16 * SECTOR;
	const uint8_t *dir = img + (size_t)le32(root + 2) * SECTOR;

	for (size_t off = 0; off < SECTOR && dir[off];) {
		const uint8_t *r = dir + off;

		if (r[32] == strlen(name) && memcmp(r + 33, name, r[32]) == 0) {
			*lba = le32(r + 2);
			*size = le32(r + 10);
			return true;
		}
		off += r[0];
	}
	return false;
}

static void test_iso_holds_the_three_files(void **state)
{
	char err[256] = "";
	char *paths[4];
	size_t len;
	uint32_t lba, size;

	(void)state;
	paths[0] = write_file("user-data", "#cloud-config\npassword: x\n");
	paths[1] = write_file("meta-data", "instance-id: test\n");
	paths[2] = write_file("ignored.txt", "not part of the seed");
	paths[3] = NULL;
	setenv("TMPDIR", tmpdir, 1);

	char *iso = cloudinit_make_iso(paths, err, sizeof(err));

	assert_non_null(iso);
	assert_string_equal(err, "");
	uint8_t *img = read_all(iso, &len);
	struct stat st;

	assert_int_equal(stat(iso, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_true(len % SECTOR == 0 && len >= 21 * SECTOR);
	assert_memory_equal(img + 16 * SECTOR + 1, "CD001", 5);
	assert_memory_equal(img + 16 * SECTOR + 40, "cidata  ", 8);
	assert_int_equal(le32(img + 16 * SECTOR + 80), len / SECTOR);
	assert_int_equal(img[17 * SECTOR], 255);

	assert_true(find_entry(img, "user-data;1", &lba, &size));
	assert_int_equal(size, strlen("#cloud-config\npassword: x\n"));
	assert_memory_equal(img + (size_t)lba * SECTOR, "#cloud-config\npassword: x\n", size);
	assert_true(find_entry(img, "meta-data;1", &lba, &size));
	assert_memory_equal(img + (size_t)lba * SECTOR, "instance-id: test\n", size);
	assert_true(find_entry(img, "network-config;1", &lba, &size));
	assert_int_equal(size, 0);
	assert_false(find_entry(img, "ignored.txt;1", &lba, &size));

	unlink(iso);
	free(iso);
	free(img);
	for (int i = 0; i < 3; i++) {
		unlink(paths[i]);
		free(paths[i]);
	}
}

static void test_unreadable_file_is_an_error(void **state)
{
	char err[256] = "";
	char *paths[] = { "/nonexistent/user-data", NULL };

	(void)state;
	setenv("TMPDIR", tmpdir, 1);
	assert_null(cloudinit_make_iso(paths, err, sizeof(err)));
	assert_non_null(strstr(err, "--cloud-init: /nonexistent/user-data"));
}

static void test_stale_isos_removed_live_ones_kept(void **state)
{
	char live[512], stale[512], other[512];

	(void)state;
	setenv("TMPDIR", tmpdir, 1);
	snprintf(live, sizeof(live), "%s/vfkit-cloudinit/vfkit-cloudinit-%d-1.iso", tmpdir,
		 (int)getpid());
	/* pid_max is at most 2^22, so this pid cannot be running. */
	snprintf(stale, sizeof(stale), "%s/vfkit-cloudinit/vfkit-cloudinit-99999999-1.iso",
		 tmpdir);
	snprintf(other, sizeof(other), "%s/vfkit-cloudinit/unrelated.iso", tmpdir);
	cloudinit_remove_stale(); /* creates the directory */
	for (const char *p = live; p; p = p == live ? stale : p == stale ? other : NULL)
		close(open(p, O_CREAT | O_WRONLY, 0600));
	cloudinit_remove_stale();
	assert_int_equal(access(live, F_OK), 0);
	assert_int_equal(access(other, F_OK), 0);
	assert_int_not_equal(access(stale, F_OK), 0);
	unlink(live);
	unlink(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iso_holds_the_three_files),
		cmocka_unit_test(test_unreadable_file_is_an_error),
		cmocka_unit_test(test_stale_isos_removed_live_ones_kept),
	};
	assert_non_null(mkdtemp(tmpdir));
	int ret = cmocka_run_group_tests(tests, NULL, NULL);
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		ret = 1;
	return ret;
}
