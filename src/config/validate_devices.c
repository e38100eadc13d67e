// SPDX-License-Identifier: Apache-2.0
/* Per-device create-time checks (reference 5, 12), without creating anything. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/cli_internal.h"
#include "util/log.h"

/* virtio-blk serial: the hypervisor's limit (VIRTIO_BLK_ID_BYTES). */
#define DISK_ID_MAX 20
#define NBD_ID_MAX  255
#define FS_TAG_MAX  36
#define GPU_DIM_MAX 16384

static int check_device_id(const char *id, const char *what, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; id[i]; i++)
		if ((unsigned char)id[i] >= 0x80)
			return cli_err(err, errlen, "invalid %s '%s': must be ASCII", what, id);
	if (i > DISK_ID_MAX)
		return cli_err(err, errlen, "invalid %s '%s': longer than %d bytes", what, id,
			       DISK_ID_MAX);
	return 0;
}

static int validate_disk(const struct device_config *dev, char *err, size_t errlen)
{
	const struct disk_config *d = &dev->disk;
	char e[128];
	struct stat st;

	if (!d->path)
		return cli_err(err, errlen, "missing mandatory 'path' option for %s device",
			       device_kind_name(dev->kind));
	if (d->type_dev) {
		/* upstream uses lstat: a symlink to a block device is refused */
		if (lstat(d->path, &st))
			return cli_err(err, errlen, "error stating file: lstat %s: %s", d->path,
				       errno_text(errno, e, sizeof(e)));
		if (!S_ISBLK(st.st_mode))
			return cli_err(err, errlen, "file %s is not a block device", d->path);
	} else {
		if (stat(d->path, &st))
			return cli_err(err, errlen, "open %s: %s", d->path,
				       errno_text(errno, e, sizeof(e)));
		if (S_ISDIR(st.st_mode))
			return cli_err(err, errlen, "open %s: is a directory", d->path);
	}
	if (access(d->path, R_OK | (d->readonly ? 0 : W_OK)))
		return cli_err(
			err, errlen, "open %s: %s%s", d->path, errno_text(errno, e, sizeof(e)),
			d->readonly ? "" : " (read-write access is needed unless 'readonly')");
	if (!d->type_dev && check_not_qcow2(d->path, err, errlen))
		return -1;
	if (d->device_id && check_device_id(d->device_id, "deviceId", err, errlen))
		return -1;
	return 0;
}

static bool port_ok(const char *p, size_t len)
{
	size_t i;
	unsigned long v = 0;

	if (!len || len > 5)
		return false;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

/* nbd[s]://host[:port][/export] or nbd[s]+unix:///export?socket=/path */
static int validate_nbd_uri(const char *uri, char *err, size_t errlen)
{
	static const char *const bad = "invalid NBD device 'uri': invalid scheme: %.*s. Expected "
				       "one of: 'nbd', 'nbds', 'nbd+unix', or 'nbds+unix'";
	const char *sep = strstr(uri, "://"), *auth, *colon, *q;
	size_t slen, alen;

	slen = sep ? (size_t)(sep - uri) : strcspn(uri, ":");
	if (!sep)
		return cli_err(err, errlen, bad, (int)slen, uri);
	if ((slen == 8 && !strncmp(uri, "nbd+unix", 8)) ||
	    (slen == 9 && !strncmp(uri, "nbds+unix", 9))) {
		q = strstr(sep, "?socket=");
		if (!q || !q[8])
			return cli_err(err, errlen,
				       "invalid NBD device 'uri': %s: a unix socket URI needs "
				       "'?socket=<path>'",
				       uri);
		return 0;
	}
	if (!((slen == 3 && !strncmp(uri, "nbd", 3)) || (slen == 4 && !strncmp(uri, "nbds", 4))))
		return cli_err(err, errlen, bad, (int)slen, uri);
	auth = sep + 3;
	alen = strcspn(auth, "/?#");
	colon = memchr(auth, ':', alen);
	if (auth[0] == '[') {
		const char *rb = memchr(auth, ']', alen);

		colon = rb && rb + 1 < auth + alen && rb[1] == ':' ? rb + 1 : NULL;
		if (!rb)
			return cli_err(err, errlen, "invalid NBD device 'uri': %s: bad host", uri);
	}
	if (!alen || colon == auth)
		return cli_err(err, errlen, "invalid NBD device 'uri': %s: missing host", uri);
	if (colon && !port_ok(colon + 1, (size_t)(auth + alen - colon - 1)))
		return cli_err(err, errlen, "invalid NBD device 'uri': %s: invalid port", uri);
	return 0;
}

static int validate_nbd(const struct nbd_config *n, char *err, size_t errlen)
{
	if (!n->uri)
		return cli_err(err, errlen, "invalid NBD device 'uri': 'uri' must be specified");
	if (validate_nbd_uri(n->uri, err, errlen))
		return -1;
	if (!n->device_id)
		return cli_err(err, errlen,
			       "invalid NBD device 'deviceId': 'deviceId' must be specified");
	if (strchr(n->device_id, '/'))
		return cli_err(err, errlen,
			       "invalid NBD device 'deviceId': %s: it cannot contain any forward "
			       "slash",
			       n->device_id);
	if (strlen(n->device_id) > NBD_ID_MAX)
		return cli_err(err, errlen,
			       "invalid NBD device 'deviceId': exceeds maximum length");
	if (check_device_id(n->device_id, "NBD device 'deviceId'", err, errlen))
		return -1;
	if (n->timeout_ms < 0)
		return cli_err(err, errlen,
			       "invalid NBD device 'timeout': %d (must not be negative)",
			       n->timeout_ms);
	return 0;
}

static int validate_net_fd(int fd, char *err, size_t errlen)
{
	socklen_t len = sizeof(int);
	int type = 0;
	char e[128];

	if (fcntl(fd, F_GETFD) < 0)
		return cli_err(err, errlen, "fd=%d: %s", fd, errno_text(errno, e, sizeof(e)));
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) || type != SOCK_DGRAM)
		return cli_err(err, errlen, "fd=%d: the fileHandle must be a datagram socket", fd);
	return 0;
}

static int validate_net_socket(const char *path, char *err, size_t errlen)
{
	char dir[4096], local[4200], e[128];
	struct stat st;

	if (strlen(path) > CFG_UNIX_PATH_MAX)
		return cli_err(err, errlen, "unixgram path '%s' is too long: %zu >= %d bytes", path,
			       strlen(path), CFG_UNIX_PATH_MAX + 1);
	path_dirname(path, dir, sizeof(dir));
	if (stat(dir, &st))
		return cli_err(err, errlen, "unixSocketPath %s: directory %s: %s", path, dir,
			       errno_text(errno, e, sizeof(e)));
	if (!S_ISDIR(st.st_mode))
		return cli_err(err, errlen, "unixSocketPath %s: %s is not a directory", path, dir);
	/* the local end is created next to the peer: vfkit-<pid>-<random>.sock */
	snprintf(local, sizeof(local), "%s/vfkit-%x-ffff.sock", dir, (unsigned int)getpid());
	if (strlen(local) > CFG_UNIX_PATH_MAX)
		return cli_err(err, errlen, "unixgram path '%s' is too long: %zu >= %d bytes",
			       local, strlen(local), CFG_UNIX_PATH_MAX + 1);
	return 0;
}

static int validate_serial(const struct serial_config *s, char *err, size_t errlen)
{
	if (s->mode != SERIAL_LOGFILE)
		return 0; /* stdio being a terminal and pty allocation are checked when opened */
	if (check_writable_file(s->log_file_path, err, errlen)) {
		cli_err_prefix(err, errlen, "logFilePath");
		return -1;
	}
	return 0;
}

static int validate_vsock(const struct vsock_config *v, char *err, size_t errlen)
{
	if (v->socket_url && strlen(v->socket_url) > CFG_UNIX_PATH_MAX)
		return cli_err(err, errlen, "socketURL '%s' is too long: %zu > %d bytes",
			       v->socket_url, strlen(v->socket_url), CFG_UNIX_PATH_MAX);
	return 0;
}

static int validate_fs(const struct fs_config *fs, char *err, size_t errlen)
{
	char e[128], base[4096];
	const char *tag;
	struct stat st;

	if (!fs->shared_dir)
		return cli_err(err, errlen,
			       "missing mandatory 'sharedDir' option for virtio-fs "
			       "device");
	if (stat(fs->shared_dir, &st))
		return cli_err(err, errlen, "stat %s: %s", fs->shared_dir,
			       errno_text(errno, e, sizeof(e)));
	if (!S_ISDIR(st.st_mode))
		return cli_err(err, errlen, "sharedDir %s: not a directory", fs->shared_dir);
	if (access(fs->shared_dir, R_OK | X_OK))
		return cli_err(err, errlen, "sharedDir %s: %s", fs->shared_dir,
			       errno_text(errno, e, sizeof(e)));
	tag = fs->mount_tag;
	if (!tag)
		tag = path_basename(fs->shared_dir, base, sizeof(base));
	if (!tag[0] || strlen(tag) > FS_TAG_MAX)
		return cli_err(err, errlen, "invalid mount tag '%s': must be 1 to %d bytes", tag,
			       FS_TAG_MAX);
	return 0;
}

static int validate_gpu(const struct gpu_config *g, char *err, size_t errlen)
{
	if (g->width > GPU_DIM_MAX || g->height > GPU_DIM_MAX)
		return cli_err(err, errlen,
			       "invalid dimensions for virtio-gpu device resolution: %lldx%lld "
			       "(maximum %d)",
			       (long long)g->width, (long long)g->height, GPU_DIM_MAX);
	return 0;
}

/* Rosetta is Apple-only: fail like vfkit on a machine without it, or drop it. */
static int validate_rosetta(struct vm_config *cfg, size_t index, char *err, size_t errlen)
{
#if defined(__aarch64__)
	static const char *const why = "rosetta is not supported";
#else
	static const char *const why = "rosetta is unsupported on non-arm64 platforms";
#endif
	struct device_config *dev = &cfg->devices[index];

	if (!dev->rosetta.ignore_if_missing)
		return cli_err(err, errlen, "%s", why);
	log_warn("--device rosetta: %s; continuing without it (ignoreIfMissing)", why);
	device_config_clear(dev);
	memmove(dev, dev + 1, (cfg->device_count - index - 1) * sizeof(*dev));
	cfg->device_count--;
	if (index < cfg->cli_device_count)
		cfg->cli_device_count--; /* the cloud-init disk still goes after the --device list
					  */
	return 0;
}

int validate_device(struct vm_config *cfg, size_t index, char *err, size_t errlen)
{
	struct device_config *dev = &cfg->devices[index];
	char prefix[64];
	int rc = 0;

	errno = 0;
	switch (dev->kind) {
	case DEV_VIRTIO_BLK:
	case DEV_NVME:
	case DEV_USB_MASS_STORAGE:
		rc = validate_disk(dev, err, errlen);
		break;
	case DEV_NBD:
		rc = validate_nbd(&dev->nbd, err, errlen);
		break;
	case DEV_VIRTIO_NET:
		if (dev->net.attachment == NET_FD)
			rc = validate_net_fd(dev->net.fd, err, errlen);
		else if (dev->net.attachment == NET_UNIXGRAM)
			rc = validate_net_socket(dev->net.socket_path, err, errlen);
		break;
	case DEV_VIRTIO_SERIAL:
		rc = validate_serial(&dev->serial, err, errlen);
		break;
	case DEV_VIRTIO_VSOCK:
		rc = validate_vsock(&dev->vsock, err, errlen);
		break;
	case DEV_VIRTIO_FS:
		rc = validate_fs(&dev->fs, err, errlen);
		break;
	case DEV_ROSETTA:
		rc = validate_rosetta(cfg, index, err, errlen);
		break;
	case DEV_VIRTIO_GPU:
		rc = validate_gpu(&dev->gpu, err, errlen);
		break;
	default:
		break;
	}
	if (rc) {
		snprintf(prefix, sizeof(prefix), "--device %s", device_kind_name(dev->kind));
		cli_err_prefix(err, errlen, prefix);
	}
	return rc;
}

struct port_user {
	uint32_t port;
	const char *who;
};

int validate_vsock_ports(const struct vm_config *cfg, char *err, size_t errlen)
{
	struct port_user *users;
	size_t i, j, n = 0;
	int rc = 0;

	users = calloc(cfg->device_count + 2, sizeof(*users));
	if (!users)
		return cli_err(err, errlen, "out of memory");
	for (i = 0; i < cfg->device_count; i++)
		if (cfg->devices[i].kind == DEV_VIRTIO_VSOCK)
			users[n++] = (struct port_user){cfg->devices[i].vsock.port,
							"--device virtio-vsock"};
	if (cfg->timesync_port)
		users[n++] = (struct port_user){cfg->timesync_port, "--timesync"};
	if (cfg->ignition) /* Ignition's applehv provider always uses host port 1024 */
		users[n++] = (struct port_user){1024, "--ignition"};
	for (i = 1; i < n && !rc; i++)
		for (j = 0; j < i && !rc; j++)
			if (users[i].port == users[j].port)
				rc = cli_err(err, errlen, "%s: vsock port %u is already used by %s",
					     users[i].who, users[i].port, users[j].who);
	free(users);
	return rc;
}
