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
#define SEED_ISO_NAME    "cidata.iso"

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

/*
 * Where the seed's private directory goes: $XDG_RUNTIME_DIR when it is a
 * directory of ours that nobody else can enter (pam_systemd makes it so),
 * else $TMPDIR or /tmp. A shared /tmp is fine because each VM gets a fresh
 * mkdtemp directory there, never a fixed name another user could plant.
 */
static const char *seed_base_dir(void)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	const char *tmp = getenv("TMPDIR");
	struct stat st;

	if (xdg && xdg[0] == '/' && lstat(xdg, &st) == 0 && S_ISDIR(st.st_mode) &&
	    st.st_uid == geteuid() && (st.st_mode & 0077) == 0)
		return xdg;
	return tmp && *tmp ? tmp : "/tmp";
}

/* A directory descriptor is private when we own it and nobody else may enter it. */
static bool fd_is_private_dir(int dirfd)
{
	struct stat st;

	return fstat(dirfd, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid() &&
	       (st.st_mode & 0077) == 0;
}

/* Creates base/vfkit-cloudinit-<pid>-XXXXXX (0700) and opens it. */
static int make_private_dir(struct cloudinit_seed *seed, char *err, size_t errlen)
{
	const char *base = seed_base_dir();

	if (asprintf(&seed->dir, "%s/vfkit-cloudinit-%d-XXXXXX", base, (int)getpid()) < 0) {
		seed->dir = NULL;
		snprintf(err, errlen, "--cloud-init: out of memory");
		return -1;
	}
	if (!mkdtemp(seed->dir)) {
		snprintf(err, errlen, "--cloud-init: cannot create a directory in %s: %s", base,
			 strerror(errno));
		free(seed->dir);
		seed->dir = NULL;
		return -1;
	}
	seed->dir_fd = open(seed->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (seed->dir_fd < 0) {
		snprintf(err, errlen, "--cloud-init: cannot open %s: %s", seed->dir,
			 strerror(errno));
		return -1;
	}
	if (!fd_is_private_dir(seed->dir_fd)) {
		snprintf(err, errlen, "--cloud-init: %s: not a private directory of ours",
			 seed->dir);
		return -1;
	}
	return 0;
}

/*
 * Writes the image into a new file of the private directory, then keeps only
 * a read-only descriptor of that very inode: the guest's disk is opened
 * through it, so nothing done to the path later changes what the guest sees.
 */
static int write_seed_file(struct cloudinit_seed *seed, struct seed_file *files, char *err,
			   size_t errlen)
{
	char proc[64];
	int fd, ret;

	if (asprintf(&seed->path, "%s/" SEED_ISO_NAME, seed->dir) < 0) {
		seed->path = NULL;
		snprintf(err, errlen, "--cloud-init: out of memory");
		return -1;
	}
	fd = openat(seed->dir_fd, SEED_ISO_NAME, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    0600);
	if (fd < 0) {
		snprintf(err, errlen, "--cloud-init: cannot create %s: %s", seed->path,
			 strerror(errno));
		return -1;
	}
	ret = write_image(fd, files, layout_files(files));
	if (ret == 0) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		seed->fd = open(proc, O_RDONLY | O_CLOEXEC);
		if (seed->fd < 0)
			ret = -errno;
	}
	close(fd);
	if (ret < 0) {
		snprintf(err, errlen, "--cloud-init: writing %s: %s", seed->path, strerror(-ret));
		return -1;
	}
	return 0;
}

int cloudinit_make_seed(char *const *paths, struct cloudinit_seed *seed, char *err, size_t errlen)
{
	struct seed_file files[NFILES] = {0};
	int ret = -1;

	*seed = (struct cloudinit_seed){.dir_fd = -1, .fd = -1};
	if (collect_seed_files(paths, files, err, errlen) == 0 &&
	    make_private_dir(seed, err, errlen) == 0 &&
	    write_seed_file(seed, files, err, errlen) == 0)
		ret = 0;
	for (int i = 0; i < NFILES; i++)
		free(files[i].data);
	if (ret < 0)
		cloudinit_remove_seed(seed);
	return ret;
}

void cloudinit_remove_seed(struct cloudinit_seed *seed)
{
	if (seed->fd >= 0)
		close(seed->fd);
	if (seed->dir_fd >= 0) {
		/* By the directory descriptor: the directory is ours, its name may not be. */
		unlinkat(seed->dir_fd, SEED_ISO_NAME, 0);
		close(seed->dir_fd);
	}
	/* unlinkat, not rmdir: the exit handlers run under the loop's seccomp filter. */
	if (seed->dir && unlinkat(AT_FDCWD, seed->dir, AT_REMOVEDIR) < 0 && errno != ENOENT)
		log_warn("failed to remove the cloud-init directory %s: %s", seed->dir,
			 strerror(errno));
	free(seed->dir);
	free(seed->path);
	*seed = (struct cloudinit_seed){.dir_fd = -1, .fd = -1};
}

/* Name "vfkit-cloudinit-<pid>-..." whose pid is not a running process. */
static bool is_stale_name(const char *name)
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

/*
 * Removes one stale seed directory: only if it is a directory of ours (not a
 * symlink, not someone else's), and only the file we put there.
 */
static void remove_stale_dir(int base_fd, const char *base, const char *name)
{
	int fd = openat(base_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return;
	if (!fd_is_private_dir(fd)) {
		close(fd);
		return;
	}
	unlinkat(fd, SEED_ISO_NAME, 0);
	close(fd);
	if (unlinkat(base_fd, name, AT_REMOVEDIR) < 0)
		log_warn("failed to cleanup stale cloud-init ISO: %s/%s: %s", base, name,
			 strerror(errno));
	else
		log_debug("removed stale cloud-init ISO directory %s/%s", base, name);
}

void cloudinit_remove_stale(void)
{
	const char *base = seed_base_dir();
	struct dirent *de;
	DIR *d = opendir(base);

	if (!d)
		return;
	while ((de = readdir(d)))
		if (is_stale_name(de->d_name))
			remove_stale_dir(dirfd(d), base, de->d_name);
	closedir(d);
}
