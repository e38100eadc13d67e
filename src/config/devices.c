// SPDX-License-Identifier: Apache-2.0
/*
 * One --device string → one struct device_config (reference 3.1, 5). The
 * string is split on every comma (no quoting), the first item is the type,
 * empty items are skipped, and each option parser sees the rest.
 */
#include <stdio.h>
#include <string.h>

#include "config/cli_internal.h"
#include "util/log.h"

typedef int (*dev_parse_fn)(struct device_config *dev, struct strvec *items, char *err,
			    size_t errlen);

struct device_type {
	const char *name;
	enum device_kind kind;
	dev_parse_fn parse;
};

static const struct device_type types[] = {
	{"virtio-blk", DEV_VIRTIO_BLK, dev_parse_disk},
	{"nvme", DEV_NVME, dev_parse_disk},
	{"usb-mass-storage", DEV_USB_MASS_STORAGE, dev_parse_disk},
	{"nbd", DEV_NBD, dev_parse_nbd},
	{"virtio-net", DEV_VIRTIO_NET, dev_parse_net},
	{"virtio-serial", DEV_VIRTIO_SERIAL, dev_parse_serial},
	{"virtio-rng", DEV_VIRTIO_RNG, dev_parse_no_options},
	{"virtio-balloon", DEV_VIRTIO_BALLOON, dev_parse_no_options},
	{"virtio-vsock", DEV_VIRTIO_VSOCK, dev_parse_vsock},
	{"virtio-fs", DEV_VIRTIO_FS, dev_parse_fs},
	{"rosetta", DEV_ROSETTA, dev_parse_rosetta},
	{"virtio-gpu", DEV_VIRTIO_GPU, dev_parse_gpu},
	{"virtio-input", DEV_VIRTIO_INPUT, dev_parse_input},
};

static const struct device_type *find_type(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(types[i].name, name))
			return &types[i];
	return NULL;
}

int device_parse(struct vm_config *cfg, const char *spec, char *err, size_t errlen)
{
	struct strvec all = {0}, opts = {0};
	const struct device_type *type;
	struct device_config *dev;
	char prefix[128];
	int rc = -1;
	size_t i;

	if (optlist_split_commas(spec, &all))
		return cli_err(err, errlen, "out of memory");
	type = find_type(all.v[0]);
	if (!type) {
		cli_err(err, errlen, "--device: unknown device type: %s", all.v[0]);
		goto out;
	}
	for (i = 1; i < all.n; i++) {
		if (all.v[i][0] && strvec_push(&opts, all.v[i])) {
			cli_err(err, errlen, "out of memory");
			goto out;
		}
	}
	dev = config_add_device(cfg, type->kind);
	if (!dev) {
		cli_err(err, errlen, "out of memory");
		goto out;
	}
	rc = type->parse(dev, &opts, err, errlen);
	if (rc) {
		snprintf(prefix, sizeof(prefix), "--device %s", type->name);
		cli_err_prefix(err, errlen, prefix);
	}
out:
	strvec_free(&all);
	strvec_free(&opts);
	return rc;
}

int gui_add_devices(struct vm_config *cfg)
{
	struct device_config *dev;
	bool have_gpu = false, have_input = false;
	size_t i;

	for (i = 0; i < cfg->device_count; i++) {
		dev = &cfg->devices[i];
		if (dev->kind == DEV_VIRTIO_GPU && !have_gpu) {
			dev->gpu.uses_gui = true; /* only the first GPU gets the window */
			have_gpu = true;
		}
		if (dev->kind == DEV_VIRTIO_INPUT)
			have_input = true;
	}
	/* main sets the global level only after parsing, so honour --log-level here */
	if (!have_gpu) {
		if (cfg->log_level >= LOG_LEVEL_WARN)
			log_warn("--gui flag specified but no virtio-gpu device configured, "
				 "automatically adding it");
		dev = config_add_device(cfg, DEV_VIRTIO_GPU);
		if (!dev)
			return -1;
		dev->gpu = (struct gpu_config){.width = 800, .height = 600, .uses_gui = true};
	}
	if (!have_input) {
		if (cfg->log_level >= LOG_LEVEL_WARN)
			log_warn("--gui flag specified but no virtio-input device configured, "
				 "automatically adding it");
		dev = config_add_device(cfg, DEV_VIRTIO_INPUT);
		if (!dev)
			return -1;
		dev->input.type = INPUT_KEYBOARD;
	}
	return 0;
}
