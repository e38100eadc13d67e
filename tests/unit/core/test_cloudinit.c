// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
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

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* user-data and meta-data in tmpdir; NULL-terminated. */
static char **seed_inputs(void)
{
	static char *paths[3];

	paths[0] = write_file("user-data", "#cloud-config\n");
	paths[1] = write_file("meta-data", "instance-id: x\n");
	paths[2] = NULL;
	return paths;
}

static void free_inputs(char **paths)
{
	for (int i = 0; paths[i]; i++) {
		unlink(paths[i]);
		free(paths[i]);
	}
}

static void make_seed(char **paths, struct cloudinit_seed *seed)
{
	char err[512] = "";

	assert_int_equal(cloudinit_make_seed(paths, seed, err, sizeof(err)), 0);
	assert_string_equal(err, "");
}

static uint8_t *read_fd(int fd, size_t *len)
{
	struct stat st;
	uint8_t *buf;

	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size);
	assert_int_equal(pread(fd, buf, (size_t)st.st_size, 0), st.st_size);
	*len = (size_t)st.st_size;
	return buf;
}

static void test_iso_holds_the_three_files(void **state)
{
	struct cloudinit_seed seed;
	char *paths[4], prefix[512];
	size_t len;
	uint32_t lba, size;
	struct stat st;

	(void)state;
	paths[0] = write_file("user-data", "#cloud-config\npassword: x\n");
	paths[1] = write_file("meta-data", "instance-id: test\n");
	paths[2] = write_file("ignored.txt", "not part of the seed");
	paths[3] = NULL;
	make_seed(paths, &seed);

	/* A fresh private directory of its own under $TMPDIR. */
	snprintf(prefix, sizeof(prefix), "%s/vfkit-cloudinit-%d-", tmpdir, (int)getpid());
	assert_true(starts_with(seed.dir, prefix));
	assert_int_equal(lstat(seed.dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(stat(seed.path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* The descriptor the disk is attached through is read-only. */
	assert_int_equal(fcntl(seed.fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	assert_int_equal(pwrite(seed.fd, "x", 1, 0), -1);

	uint8_t *img = read_fd(seed.fd, &len);

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

	/* Removal takes the ISO and its directory. */
	char *dir = strdup(seed.dir);

	cloudinit_remove_seed(&seed);
	assert_int_not_equal(access(dir, F_OK), 0);
	assert_int_equal(seed.fd, -1);
	free(dir);
	free(img);
	free_inputs(paths);
}

/* Whether dir has no entries but . and .. */
static bool dir_is_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	bool empty = true;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = false;
	closedir(d);
	return empty;
}

/*
 * The old fixed $TMPDIR/vfkit-cloudinit, planted by another user (a
 * world-writable directory of uid 65534, or a symlink to one): never used.
 */
static void check_planted_dir_unused(const char *planted, const char *target)
{
	struct cloudinit_seed seed;
	char **paths = seed_inputs();
	char under[512];

	make_seed(paths, &seed);
	snprintf(under, sizeof(under), "%s/", planted);
	assert_false(starts_with(seed.dir, under));
	assert_false(starts_with(seed.path, under));
	assert_true(dir_is_empty(target));
	cloudinit_remove_seed(&seed);
	free_inputs(paths);
}

static void test_planted_directory_is_not_used(void **state)
{
	char planted[256], target[256];

	(void)state;
	snprintf(planted, sizeof(planted), "%s/vfkit-cloudinit", tmpdir);
	assert_int_equal(mkdir(planted, 0777), 0);
	assert_int_equal(chmod(planted, 01777), 0);
	if (geteuid() == 0)
		assert_int_equal(chown(planted, 65534, 65534), 0);
	check_planted_dir_unused(planted, planted);
	rmdir(planted);

	snprintf(target, sizeof(target), "%s/attacker", tmpdir);
	assert_int_equal(mkdir(target, 0777), 0);
	assert_int_equal(symlink(target, planted), 0);
	check_planted_dir_unused(planted, target);
	unlink(planted);
	rmdir(target);
}

/* Which base directory a seed made with XDG_RUNTIME_DIR=xdg lands in. */
static bool seed_lands_in(const char *xdg)
{
	struct cloudinit_seed seed;
	char **paths = seed_inputs();
	char under[512];
	bool in_xdg;

	setenv("XDG_RUNTIME_DIR", xdg, 1);
	make_seed(paths, &seed);
	unsetenv("XDG_RUNTIME_DIR");
	snprintf(under, sizeof(under), "%s/vfkit-cloudinit-", xdg);
	in_xdg = starts_with(seed.dir, under);
	cloudinit_remove_seed(&seed);
	free_inputs(paths);
	return in_xdg;
}

static void test_xdg_runtime_dir_only_when_private(void **state)
{
	char xdg[256];

	(void)state;
	snprintf(xdg, sizeof(xdg), "%s/xdg", tmpdir);
	assert_int_equal(mkdir(xdg, 0700), 0);
	assert_true(seed_lands_in(xdg));
	assert_int_equal(chmod(xdg, 0755), 0); /* others may look in: not private */
	assert_false(seed_lands_in(xdg));
	if (geteuid() == 0) {
		assert_int_equal(chmod(xdg, 0700), 0);
		assert_int_equal(chown(xdg, 65534, 65534), 0); /* someone else's */
		assert_false(seed_lands_in(xdg));
	}
	assert_true(dir_is_empty(xdg));
	rmdir(xdg);
}

static void test_unreadable_file_is_an_error(void **state)
{
	struct cloudinit_seed seed;
	char err[256] = "";
	char *paths[] = {"/nonexistent/user-data", NULL};

	(void)state;
	assert_int_equal(cloudinit_make_seed(paths, &seed, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "--cloud-init: /nonexistent/user-data"));
	assert_int_equal(seed.fd, -1);
	assert_null(seed.dir);
}

/* base/name, a directory of mode 0700 holding cidata.iso; its path goes to dir. */
static void make_seed_dir(const char *name, char *dir, size_t len)
{
	char iso[600];

	snprintf(dir, len, "%s/%s", tmpdir, name);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(iso, sizeof(iso), "%s/cidata.iso", dir);
	close(open(iso, O_CREAT | O_WRONLY, 0600));
}

static void test_stale_seeds_removed_others_kept(void **state)
{
	char name[64], live[512], stale[512], foreign[512], target[512], link[512], iso[600];

	(void)state;
	snprintf(name, sizeof(name), "vfkit-cloudinit-%d-AAAAAA", (int)getpid());
	make_seed_dir(name, live, sizeof(live));
	/* pid_max is at most 2^22, so pid 99999999 cannot be running. */
	make_seed_dir("vfkit-cloudinit-99999999-AAAAAA", stale, sizeof(stale));
	/* A dead pid's directory that is not private to us... */
	make_seed_dir("vfkit-cloudinit-99999999-BBBBBB", foreign, sizeof(foreign));
	if (geteuid() == 0)
		assert_int_equal(chown(foreign, 65534, 65534), 0);
	else
		assert_int_equal(chmod(foreign, 0755), 0);
	/* ...and a symlink with a dead pid's name to a private directory of ours. */
	make_seed_dir("private", target, sizeof(target));
	snprintf(link, sizeof(link), "%s/vfkit-cloudinit-99999999-CCCCCC", tmpdir);
	assert_int_equal(symlink(target, link), 0);

	cloudinit_remove_stale();
	snprintf(iso, sizeof(iso), "%s/cidata.iso", live);
	assert_int_equal(access(iso, F_OK), 0);
	assert_int_not_equal(access(stale, F_OK), 0);
	snprintf(iso, sizeof(iso), "%s/cidata.iso", foreign);
	assert_int_equal(access(iso, F_OK), 0);
	snprintf(iso, sizeof(iso), "%s/cidata.iso", target);
	assert_int_equal(access(iso, F_OK), 0);
	assert_int_equal(lstat(link, &(struct stat){0}), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iso_holds_the_three_files),
		cmocka_unit_test(test_planted_directory_is_not_used),
		cmocka_unit_test(test_xdg_runtime_dir_only_when_private),
		cmocka_unit_test(test_unreadable_file_is_an_error),
		cmocka_unit_test(test_stale_seeds_removed_others_kept),
	};
	assert_non_null(mkdtemp(tmpdir));
	setenv("TMPDIR", tmpdir, 1);
	unsetenv("XDG_RUNTIME_DIR");
	int ret = cmocka_run_group_tests(tests, NULL, NULL);
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		ret = 1;
	return ret;
}
