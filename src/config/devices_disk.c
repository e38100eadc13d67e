// SPDX-License-Identifier: Apache-2.0
/* Disk-like devices: virtio-blk, nvme, usb-mass-storage (reference 5.1-5.4) and nbd (5.5). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/cli_internal.h"

static const char qcow2_magic[4] = {'Q', 'F', 'I', (char)0xfb};

static int set_str(char **dst, const char *value, char *err, size_t errlen)
{
	char *copy = NULL;

	/* an empty value means "not given", like upstream's zero strings */
	if (value[0]) {
		copy = strdup(value);
		if (!copy)
			return cli_err(err, errlen, "out of memory");
	}
	free(*dst);
	*dst = copy;
	return 0;
}

static int qcow2_error(const char *path, char *err, size_t errlen)
{
	size_t len = strlen(path), stem = len;

	if (len > 6 && !strcmp(path + len - 6, ".qcow2"))
		stem = len - 6;
	return cli_err(err, errlen,
		       "%s: vfkit does not support qcow2 image format; raw images are required, "
		       "convert it with: qemu-img convert -O raw %s %.*s.raw",
		       path, path, (int)stem, path);
}

/* Reads the first bytes; upstream does this at parse time for virtio-blk only. */
int dev_check_disk_header(const char *path, char *err, size_t errlen)
{
	char hdr[4], e[128];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return cli_err(err, errlen, "failed to open file %s: open %s: %s", path, path,
			       errno_text(errno, e, sizeof(e)));
	n = read(fd, hdr, sizeof(hdr));
	if (n < 0) {
		int saved = errno;

		close(fd);
		return cli_err(err, errlen, "failed to read the header of file %s: read %s: %s",
			       path, path, errno_text(saved, e, sizeof(e)));
	}
	close(fd);
	if (n == 0)
		return cli_err(err, errlen, "failed to read the header of file %s: EOF", path);
	if (n == (ssize_t)sizeof(hdr) && !memcmp(hdr, qcow2_magic, sizeof(hdr)))
		return qcow2_error(path, err, errlen);
	return 0;
}

int check_not_qcow2(const char *path, char *err, size_t errlen)
{
	char hdr[4];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return 0; /* access problems are reported by the caller's checks */
	n = read(fd, hdr, sizeof(hdr));
	close(fd);
	if (n == (ssize_t)sizeof(hdr) && !memcmp(hdr, qcow2_magic, sizeof(hdr)))
		return qcow2_error(path, err, errlen);
	return 0;
}

int dev_parse_disk(struct device_config *dev, struct strvec *items, char *err, size_t errlen)
{
	struct disk_config *disk = &dev->disk;
	const char *name = device_kind_name(dev->kind);
	size_t i;

	for (i = 0; i < items->n; i++) {
		char *key, *value;

		optlist_kv(items->v[i], &key, &value);
		if (!strcmp(key, "path")) {
			if (set_str(&disk->path, value, err, errlen))
				return -1;
		} else if (!strcmp(key, "type")) {
			if (value[0] && strcmp(value, "image") && strcmp(value, "dev"))
				return cli_err(err, errlen,
					       "unexpected value for disk 'type' option: %s",
					       value);
			disk->type_set = value[0] != '\0';
			disk->type_dev = !strcmp(value, "dev");
		} else if (!strcmp(key, "readonly")) {
			/* upstream's text says virtio-blk for every disk type */
			if (value[0])
				return cli_err(
					err, errlen,
					"unexpected value for virtio-blk 'readonly' option: %s",
					value);
			disk->readonly = true;
		} else if (!strcmp(key, "deviceId") && dev->kind == DEV_VIRTIO_BLK) {
			if (set_str(&disk->device_id, value, err, errlen))
				return -1;
		} else {
			return cli_err(err, errlen, "unknown option for %s devices: %s", name, key);
		}
	}
	if (dev->kind == DEV_VIRTIO_BLK)
		return dev_check_disk_header(disk->path ? disk->path : "", err, errlen);
	return 0;
}

int dev_parse_nbd(struct device_config *dev, struct strvec *items, char *err, size_t errlen)
{
	struct nbd_config *nbd = &dev->nbd;
	enum num_error e;
	int64_t ms;
	size_t i;

	nbd->timeout_ms = 15000;
	nbd->sync = NBD_SYNC_FULL;
	for (i = 0; i < items->n; i++) {
		char *key, *value;

		optlist_kv(items->v[i], &key, &value);
		if (!strcmp(key, "uri")) {
			if (set_str(&nbd->uri, value, err, errlen))
				return -1;
		} else if (!strcmp(key, "deviceId")) {
			if (set_str(&nbd->device_id, value, err, errlen))
				return -1;
		} else if (!strcmp(key, "timeout")) {
			e = go_parse_int(value, 10, 32, &ms);
			if (e != NUM_OK)
				return go_num_err(err, errlen, "ParseInt", value, e);
			nbd->timeout_ms = (int32_t)ms;
		} else if (!strcmp(key, "sync")) {
			if (!strcmp(value, "full"))
				nbd->sync = NBD_SYNC_FULL;
			else if (!strcmp(value, "none"))
				nbd->sync = NBD_SYNC_NONE;
			else
				return cli_err(err, errlen,
					       "invalid sync mode: %s, must be 'full' or 'none'",
					       value);
		} else if (!strcmp(key, "readonly")) {
			if (value[0])
				return cli_err(
					err, errlen,
					"unexpected value for virtio-blk 'readonly' option: %s",
					value);
			nbd->readonly = true;
		} else {
			return cli_err(err, errlen, "unknown option for nbd devices: %s", key);
		}
	}
	return 0;
}
