// SPDX-License-Identifier: Apache-2.0
/*
 * The small devices: virtio-serial, virtio-rng, virtio-balloon, virtio-vsock,
 * virtio-fs, rosetta, virtio-gpu, virtio-input (reference 5.7-5.14).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cli_internal.h"

static int set_str(char **dst, const char *value, bool empty_is_null, char *err, size_t errlen)
{
	char *copy = NULL;

	if (value[0] || !empty_is_null) {
		copy = strdup(value);
		if (!copy)
			return cli_err(err, errlen, "out of memory");
	}
	free(*dst);
	*dst = copy;
	return 0;
}

int dev_parse_serial(struct device_config *dev, struct strvec *items, char *err, size_t errlen)
{
	struct serial_config *s = &dev->serial;
	bool stdio = false, pty = false;
	size_t i;

	for (i = 0; i < items->n; i++) {
		char *key, *value;

		optlist_kv(items->v[i], &key, &value);
		if (!strcmp(key, "logFilePath")) {
			if (set_str(&s->log_file_path, value, true, err, errlen))
				return -1;
		} else if (!strcmp(key, "stdio")) {
			if (value[0])
				return cli_err(
					err, errlen,
					"unexpected value for virtio-serial 'stdio' option: %s",
					value);
			stdio = true;
		} else if (!strcmp(key, "pty")) {
			pty = true; /* upstream ignores the value */
		} else {
			return cli_err(err, errlen, "unknown option for virtio-serial devices: %s",
				       key);
		}
	}
	if (s->log_file_path && stdio)
		return cli_err(err, errlen,
			       "'logFilePath' and 'stdio' cannot be set at the same time");
	if (s->log_file_path && pty)
		return cli_err(err, errlen,
			       "'logFilePath' and 'pty' cannot be set at the same time");
	if (stdio && pty)
		return cli_err(err, errlen, "'stdio' and 'pty' cannot be set at the same time");
	if (!s->log_file_path && !stdio && !pty)
		return cli_err(err, errlen, "one of 'logFilePath', 'stdio' or 'pty' must be set");
	s->mode = stdio ? SERIAL_STDIO : pty ? SERIAL_PTY : SERIAL_LOGFILE;
	return 0;
}

/* virtio-rng and virtio-balloon: every option is an error, listed Go-style. */
int dev_parse_no_options(struct device_config *dev, struct strvec *items, char *err, size_t errlen)
{
	char list[512] = "";
	size_t i, pos = 0;

	if (!items->n)
		return 0;
	for (i = 0; i < items->n && pos < sizeof(list); i++) {
		char *key, *value;

		optlist_kv(items->v[i], &key, &value);
		pos += (size_t)snprintf(list + pos, sizeof(list) - pos, "%s{%s %s}", i ? " " : "",
					key, value);
	}
	return cli_err(err, errlen, "unknown options for %s devices: [%s]",
		       device_kind_name(dev->kind), list);
}

int dev_parse_vsock(struct device_config *dev, struct strvec *items, char *err, size_t errlen)
{
	struct vsock_config *v = &dev->vsock;
	enum num_error e;
	uint64_t port;
	size_t i;

	v->listen = true;
	for (i = 0; i < items->n; i++) {
		char *key, *value;

		optlist_kv(items->v[i], &key, &value);
		if (!strcmp(key, "port")) {
			e = go_parse_uint(value, 10, 32, &port);
			if (e != NUM_OK)
				return go_num_err(err, errlen, "ParseUint", value, e);
			v->port = (uint32_t)port;
		} else if (!strcmp(key, "socketURL")) {
			if (set_str(&v->socket_url, value, true, err, errlen))
				return -1;
		} else if (!strcmp(key, "listen")) {
			v->listen = true;
		} else if (!strcmp(key, "connect")) {
			v->listen = false;
		} else {
			return cli_err(err, errlen, "unknown option for virtio-vsock devices: %s",
				       key);
		}
	}
	return 0;
}

int dev_parse_fs(struct device_config *dev, struct strvec *items, char *err, size_t errlen)
{
	struct fs_config *fs = &dev->fs;
	size_t i;

	for (i = 0; i < items->n; i++) {
		char *key, *value;
		int rc;

		optlist_kv(items->v[i], &key, &value);
		if (!strcmp(key, "sharedDir"))
			rc = set_str(&fs->shared_dir, value, true, err, errlen);
		else if (!strcmp(key, "mountTag"))
			rc = set_str(&fs->mount_tag, value, true, err, errlen);
		else
			rc = cli_err(err, errlen, "unknown option for virtio-fs devices: %s", key);
		if (rc)
			return rc;
	}
	return 0;
}

int dev_parse_rosetta(struct device_config *dev, struct strvec *items, char *err, size_t errlen)
{
	struct rosetta_config *r = &dev->rosetta;
	size_t i;

	for (i = 0; i < items->n; i++) {
		char *key, *value;

		optlist_kv(items->v[i], &key, &value);
		if (!strcmp(key, "mountTag")) {
			if (set_str(&r->mount_tag, value, true, err, errlen))
				return -1;
		} else if (!strcmp(key, "install")) {
			r->install = true;
		} else if (!strcmp(key, "ignore-if-missing") || !strcmp(key, "ignoreIfMissing")) {
			/* upstream's spelling and the seed's: accept both */
			r->ignore_if_missing = true;
		} else {
			return cli_err(err, errlen, "unknown option for rosetta share: %s", key);
		}
	}
	return 0;
}

static int gpu_dimension(const char *name, const char *value, int64_t *out, char *err,
			 size_t errlen)
{
	if (go_parse_int(value, 10, 64, out) != NUM_OK || *out < 1)
		return cli_err(err, errlen, "invalid value for virtio-gpu %s: %s", name, value);
	return 0;
}

int dev_parse_gpu(struct device_config *dev, struct strvec *items, char *err, size_t errlen)
{
	struct gpu_config *gpu = &dev->gpu;
	size_t i;

	/* per-field defaults (the seed); upstream wants both or none */
	gpu->width = 800;
	gpu->height = 600;
	for (i = 0; i < items->n; i++) {
		char *key, *value;
		int rc;

		optlist_kv(items->v[i], &key, &value);
		if (!strcmp(key, "width"))
			rc = gpu_dimension("width", value, &gpu->width, err, errlen);
		else if (!strcmp(key, "height"))
			rc = gpu_dimension("height", value, &gpu->height, err, errlen);
		else
			rc = cli_err(err, errlen, "unknown option for virtio-gpu devices: %s", key);
		if (rc)
			return rc;
	}
	return 0;
}

int dev_parse_input(struct device_config *dev, struct strvec *items, char *err, size_t errlen)
{
	size_t i;

	if (!items->n)
		return cli_err(err, errlen, "unknown option for virtio-input devices: ");
	for (i = 0; i < items->n; i++) {
		char *key, *value;

		optlist_kv(items->v[i], &key, &value);
		if (strcmp(key, "keyboard") && strcmp(key, "pointing"))
			return cli_err(err, errlen, "unknown option for virtio-input devices: %s",
				       key);
		if (value[0])
			return cli_err(err, errlen,
				       "unexpected value for virtio-input %s option: %s", key,
				       value);
		dev->input.type = !strcmp(key, "keyboard") ? INPUT_KEYBOARD : INPUT_POINTING;
	}
	return 0;
}
