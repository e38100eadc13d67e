// SPDX-License-Identifier: Apache-2.0
/*
 * The cloud-init NoCloud seed for --cloud-init: a tiny ISO 9660 image with
 * volume id "cidata" whose root holds user-data, meta-data and
 * network-config (missing ones empty), as upstream vfkit writes it. The
 * image is laid out by hand because it is four sectors of metadata; a
 * library for that would be more code to audit than this.
 *
 * Layout (2048-byte sectors): 0-15 system area, 16 primary volume
 * descriptor, 17 terminator, 18/19 path tables (LE/BE), 20 root directory,
 * then each file's data from sector 21 on.
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backends/cloudinit.h"
#include "util/log.h"

#define SECTOR           2048
#define PVD_SECTOR       16
#define TERM_SECTOR      17
#define LPATH_SECTOR     18
#define MPATH_SECTOR     19
#define ROOT_SECTOR      20
#define FIRST_DATA       21
#define PATH_TABLE_SIZE  10
#define NFILES           3
#define MAX_SEED_FILE    (16u << 20) /* user-data beyond this is a mistake */

static const char *const seed_names[NFILES] = { "meta-data", "network-config", "user-data" };

struct seed_file {
	char *data;
	size_t len;
	uint32_t lba;
};

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_be32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[3 - i] = (uint8_t)(v >> (8 * i));
}

/* ISO 9660 "both-endian" fields: little-endian copy, then big-endian copy. */
static void put_both16(uint8_t *p, uint16_t v)
{
	put_le16(p, v);
	put_be16(p + 2, v);
}

static void put_both32(uint8_t *p, uint32_t v)
{
	put_le32(p, v);
	put_be32(p + 4, v);
}

static void put_str(uint8_t *p, size_t field_len, const char *s)
{
	size_t n = strlen(s);

	memset(p, ' ', field_len);
	memcpy(p, s, n < field_len ? n : field_len);
}

static void put_dir_time(uint8_t *p, const struct tm *tm)
{
	p[0] = (uint8_t)tm->tm_year; /* years since 1900 */
	p[1] = (uint8_t)(tm->tm_mon + 1);
	p[2] = (uint8_t)tm->tm_mday;
	p[3] = (uint8_t)tm->tm_hour;
	p[4] = (uint8_t)tm->tm_min;
	p[5] = (uint8_t)tm->tm_sec;
	p[6] = 0; /* UTC */
}

static void put_volume_time(uint8_t *p, const struct tm *tm)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%04d%02d%02d%02d%02d%02d00", tm->tm_year + 1900,
		 tm->tm_mon + 1, tm->tm_mday, tm->tm_hour, tm->tm_min, tm->tm_sec);
	memcpy(p, buf, 16);
	p[16] = 0;
}

/* Writes one directory record at p; returns its length. */
static size_t put_dir_record(uint8_t *p, const char *name, size_t name_len, uint32_t lba,
			     uint32_t size, bool is_dir, const struct tm *tm)
{
	size_t len = 33 + name_len + (name_len % 2 == 0 ? 1 : 0);

	memset(p, 0, len);
	p[0] = (uint8_t)len;
	put_both32(p + 2, lba);
	put_both32(p + 10, size);
	put_dir_time(p + 18, tm);
	p[25] = is_dir ? 2 : 0;
	put_both16(p + 28, 1);
	p[32] = (uint8_t)name_len;
	memcpy(p + 33, name, name_len);
	return len;
}

static void build_pvd(uint8_t *s, uint32_t total_sectors, const struct tm *tm)
{
	s[0] = 1;
	memcpy(s + 1, "CD001", 5);
	s[6] = 1;
	put_str(s + 8, 32, "LINUX");
	put_str(s + 40, 32, "cidata");
	put_both32(s + 80, total_sectors);
	put_both16(s + 120, 1);
	put_both16(s + 124, 1);
	put_both16(s + 128, SECTOR);
	put_both32(s + 132, PATH_TABLE_SIZE);
	put_le32(s + 140, LPATH_SECTOR);
	put_be32(s + 148, MPATH_SECTOR);
	put_dir_record(s + 156, "\0", 1, ROOT_SECTOR, SECTOR, true, tm);
	put_str(s + 190, 128, "");
	put_str(s + 318, 128, "");
	put_str(s + 446, 128, "");
	put_str(s + 574, 128, "VFKIT");
	put_str(s + 702, 37, "");
	put_str(s + 739, 37, "");
	put_str(s + 776, 37, "");
	put_volume_time(s + 813, tm);
	put_volume_time(s + 830, tm);
	memset(s + 847, '0', 16);
	memset(s + 864, '0', 16);
	s[881] = 1;
}

static void build_path_table(uint8_t *s, bool big_endian)
{
	s[0] = 1; /* identifier length: the root's single 0 byte */
	if (big_endian) {
		put_be32(s + 2, ROOT_SECTOR);
		put_be16(s + 6, 1);
	} else {
		put_le32(s + 2, ROOT_SECTOR);
		put_le16(s + 6, 1);
	}
}

static void build_root_dir(uint8_t *s, const struct seed_file *files, const struct tm *tm)
{
	size_t off = 0;

	off += put_dir_record(s + off, "\0", 1, ROOT_SECTOR, SECTOR, true, tm);
	off += put_dir_record(s + off, "\1", 1, ROOT_SECTOR, SECTOR, true, tm);
	for (int i = 0; i < NFILES; i++) {
		char name[32];
		int n = snprintf(name, sizeof(name), "%s;1", seed_names[i]);

		off += put_dir_record(s + off, name, (size_t)n, files[i].lba,
				      (uint32_t)files[i].len, false, tm);
	}
}

static int read_seed_file(const char *path, struct seed_file *f, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "rb");
	struct stat st;

	if (!fp || fstat(fileno(fp), &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > MAX_SEED_FILE) {
		snprintf(err, errlen, "--cloud-init: %s: %s", path,
			 !fp ? strerror(errno) : "not a regular file of at most 16 MiB");
		if (fp)
			fclose(fp);
		return -1;
	}
	free(f->data);
	f->len = (size_t)st.st_size;
	f->data = malloc(f->len ? f->len : 1);
	if (!f->data || fread(f->data, 1, f->len, fp) != f->len) {
		snprintf(err, errlen, "--cloud-init: %s: read failed", path);
		fclose(fp);
		return -1;
	}
	fclose(fp);
	return 0;
}

/* Picks up the files by basename; later ones with the same basename win. */
static int collect_seed_files(char *const *paths, struct seed_file *files, char *err,
			      size_t errlen)
{
	for (size_t i = 0; paths && paths[i]; i++) {
		const char *base = strrchr(paths[i], '/');

		base = base ? base + 1 : paths[i];
		for (int k = 0; k < NFILES; k++)
			if (strcmp(base, seed_names[k]) == 0 &&
			    read_seed_file(paths[i], &files[k], err, errlen) < 0)
				return -1;
	}
	return 0;
}

static int write_image(int fd, const struct seed_file *files, uint32_t total_sectors)
{
	uint8_t *img = calloc(total_sectors, SECTOR);
	time_t now = time(NULL);
	struct tm tm;
	int ret = 0;

	if (!img)
		return -ENOMEM;
	gmtime_r(&now, &tm);
	build_pvd(img + PVD_SECTOR * SECTOR, total_sectors, &tm);
	img[TERM_SECTOR * SECTOR] = 255;
	memcpy(img + TERM_SECTOR * SECTOR + 1, "CD001\1", 6);
	build_path_table(img + LPATH_SECTOR * SECTOR, false);
	build_path_table(img + MPATH_SECTOR * SECTOR, true);
	build_root_dir(img + ROOT_SECTOR * SECTOR, files, &tm);
	for (int i = 0; i < NFILES; i++)
		if (files[i].len)
			memcpy(img + (size_t)files[i].lba * SECTOR, files[i].data, files[i].len);

	size_t total = (size_t)total_sectors * SECTOR;

	for (size_t done = 0; done < total;) {
		ssize_t n = write(fd, img + done, total - done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		done += (size_t)n;
	}
	free(img);
	return ret;
}

static uint32_t layout_files(struct seed_file *files)
{
	uint32_t lba = FIRST_DATA;

	for (int i = 0; i < NFILES; i++) {
		files[i].lba = lba;
		lba += (uint32_t)((files[i].len + SECTOR - 1) / SECTOR);
	}
	return lba;
}

static int make_dir(char *dir, size_t dirlen, char *err, size_t errlen)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, dirlen, "%s/vfkit-cloudinit", tmp && *tmp ? tmp : "/tmp");
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "--cloud-init: cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

char *cloudinit_make_iso(char *const *paths, char *err, size_t errlen)
{
	struct seed_file files[NFILES] = { 0 };
	char dir[4096], *path = NULL;
	unsigned int rnd = 0;
	int fd = -1, ret;

	if (collect_seed_files(paths, files, err, errlen) < 0 ||
	    make_dir(dir, sizeof(dir), err, errlen) < 0)
		goto out;
	if (getrandom(&rnd, sizeof(rnd), 0) < 0)
		rnd = (unsigned int)time(NULL);
	if (asprintf(&path, "%s/vfkit-cloudinit-%d-%u.iso", dir, (int)getpid(), rnd) < 0) {
		path = NULL;
		goto out;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "--cloud-init: cannot create %s: %s", path, strerror(errno));
		goto fail;
	}
	ret = write_image(fd, files, layout_files(files));
	if (ret < 0 || close(fd) < 0) {
		snprintf(err, errlen, "--cloud-init: writing %s: %s", path,
			 strerror(ret < 0 ? -ret : errno));
		unlink(path);
		goto fail;
	}
	goto out;
fail:
	free(path);
	path = NULL;
out:
	for (int i = 0; i < NFILES; i++)
		free(files[i].data);
	return path;
}

/* Name "vfkit-cloudinit-<pid>-..." whose pid is not a running process. */
static bool is_stale_iso(const char *name)
{
	const char *prefix = "vfkit-cloudinit-";
	char *end;
	long pid;

	if (strncmp(name, prefix, strlen(prefix)) != 0)
		return false;
	errno = 0;
	pid = strtol(name + strlen(prefix), &end, 10);
	if (errno || end == name + strlen(prefix) || *end != '-' || pid <= 0)
		return false;
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

void cloudinit_remove_stale(void)
{
	char dir[4096], path[8192], err[4200];
	struct dirent *de;
	DIR *d;

	if (make_dir(dir, sizeof(dir), err, sizeof(err)) < 0)
		return;
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		struct stat st;

		if (!is_stale_iso(de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (unlink(path) < 0)
			log_warn("failed to cleanup stale cloud-init ISO: %s: %s", path,
				 strerror(errno));
		else
			log_debug("removed stale cloud-init ISO %s", path);
	}
	closedir(d);
}
