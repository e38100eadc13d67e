// SPDX-License-Identifier: Apache-2.0
/* Lifetime of the configuration model: names, freeing, the runtime lock. */
#include <pthread.h>
#include <stdlib.h>

#include "config/cli_internal.h"
#include "config/config.h"

static pthread_mutex_t runtime_lock = PTHREAD_MUTEX_INITIALIZER;

void config_runtime_lock(void)
{
	pthread_mutex_lock(&runtime_lock);
}

void config_runtime_unlock(void)
{
	pthread_mutex_unlock(&runtime_lock);
}

static const char *const kind_names[DEV_KIND_COUNT] = {
	[DEV_VIRTIO_BLK] = "virtio-blk",
	[DEV_NVME] = "nvme",
	[DEV_USB_MASS_STORAGE] = "usb-mass-storage",
	[DEV_NBD] = "nbd",
	[DEV_VIRTIO_NET] = "virtio-net",
	[DEV_VIRTIO_SERIAL] = "virtio-serial",
	[DEV_VIRTIO_RNG] = "virtio-rng",
	[DEV_VIRTIO_BALLOON] = "virtio-balloon",
	[DEV_VIRTIO_VSOCK] = "virtio-vsock",
	[DEV_VIRTIO_FS] = "virtio-fs",
	[DEV_ROSETTA] = "rosetta",
	[DEV_VIRTIO_GPU] = "virtio-gpu",
	[DEV_VIRTIO_INPUT] = "virtio-input",
};

const char *device_kind_name(enum device_kind kind)
{
	if ((unsigned int)kind >= DEV_KIND_COUNT)
		return "unknown";
	return kind_names[kind];
}

void device_config_clear(struct device_config *dev)
{
	switch (dev->kind) {
	case DEV_VIRTIO_BLK:
	case DEV_NVME:
	case DEV_USB_MASS_STORAGE:
		free(dev->disk.path);
		free(dev->disk.device_id);
		free(dev->disk.open_path);
		break;
	case DEV_NBD:
		free(dev->nbd.uri);
		free(dev->nbd.device_id);
		break;
	case DEV_VIRTIO_NET:
		free(dev->net.socket_path);
		free(dev->net.lease_ip);
		break;
	case DEV_VIRTIO_SERIAL:
		free(dev->serial.log_file_path);
		free(dev->serial.pty_name);
		break;
	case DEV_VIRTIO_VSOCK:
		free(dev->vsock.socket_url);
		break;
	case DEV_VIRTIO_FS:
		free(dev->fs.shared_dir);
		free(dev->fs.mount_tag);
		break;
	case DEV_ROSETTA:
		free(dev->rosetta.mount_tag);
		break;
	default:
		break;
	}
}

struct device_config *config_add_device(struct vm_config *cfg, enum device_kind kind)
{
	struct device_config *devs, *dev;

	devs = realloc(cfg->devices, (cfg->device_count + 1) * sizeof(*devs));
	if (!devs)
		return NULL;
	cfg->devices = devs;
	dev = &devs[cfg->device_count++];
	*dev = (struct device_config){.kind = kind};
	return dev;
}

static void boot_config_clear(struct boot_config *boot)
{
	free(boot->kernel);
	free(boot->initrd);
	free(boot->cmdline);
	free(boot->efi_variable_store);
	free(boot->macos_machine_identifier);
	free(boot->macos_hardware_model);
	free(boot->macos_aux_image);
}

void rest_config_clear(struct rest_config *rest)
{
	free(rest->uri);
	free(rest->host);
	free(rest->path);
	*rest = (struct rest_config){0};
}

void config_free(struct vm_config *cfg)
{
	size_t i;

	if (!cfg)
		return;
	boot_config_clear(&cfg->boot);
	for (i = 0; i < cfg->device_count; i++)
		device_config_clear(&cfg->devices[i]);
	free(cfg->devices);
	rest_config_clear(&cfg->rest);
	free(cfg->ignition);
	free(cfg->pidfile);
	if (cfg->cloud_init_files) {
		for (i = 0; cfg->cloud_init_files[i]; i++)
			free(cfg->cloud_init_files[i]);
		free(cfg->cloud_init_files);
	}
	free(cfg->cloud_init_iso);
	*cfg = (struct vm_config){0};
}
