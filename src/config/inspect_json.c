// SPDX-License-Identifier: Apache-2.0
/*
 * The configuration as GET /vm/inspect returns it (reference 9.5): upstream's
 * keys in upstream's order, plus the seed's "cpus" and "memory" (MiB).
 *
 * The cloud-init disk is not listed here: upstream appends it as a
 * virtio-blk after the --device entries only once the ISO exists, which is
 * run time (and never for --dry-run).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "config/cli.h"

static const char *const json_kinds[DEV_KIND_COUNT] = {
	[DEV_VIRTIO_BLK] = "virtioblk",
	[DEV_NVME] = "nvme",
	[DEV_USB_MASS_STORAGE] = "usbmassstorage",
	[DEV_NBD] = "nbd",
	[DEV_VIRTIO_NET] = "virtionet",
	[DEV_VIRTIO_SERIAL] = "virtioserial",
	[DEV_VIRTIO_RNG] = "virtiorng",
	[DEV_VIRTIO_BALLOON] = "virtioballoon",
	[DEV_VIRTIO_VSOCK] = "virtiosock", /* sic, as upstream */
	[DEV_VIRTIO_FS] = "virtiofs",
	[DEV_ROSETTA] = "rosetta",
	[DEV_VIRTIO_GPU] = "virtiogpu",
	[DEV_VIRTIO_INPUT] = "virtioinput",
};

static void set_str(json_t *o, const char *key, const char *v)
{
	json_object_set_new(o, key, json_string(v ? v : ""));
}

static void set_str_opt(json_t *o, const char *key, const char *v)
{
	if (v && v[0])
		json_object_set_new(o, key, json_string(v));
}

static void set_true_opt(json_t *o, const char *key, bool v)
{
	if (v)
		json_object_set_new(o, key, json_true());
}

static json_t *boot_json(const struct boot_config *b)
{
	json_t *o = json_object();

	switch (b->kind) {
	case BOOT_LINUX:
		set_str(o, "kind", "linuxBootloader");
		set_str(o, "vmlinuzPath", b->kernel);
		set_str(o, "kernelCmdLine", b->cmdline);
		set_str(o, "initrdPath", b->initrd);
		break;
	case BOOT_EFI:
		set_str(o, "kind", "efiBootloader");
		set_str(o, "efiVariableStorePath", b->efi_variable_store);
		json_object_set_new(o, "createVariableStore", json_boolean(b->efi_create));
		break;
	case BOOT_MACOS: /* upstream gives the macOS bootloader no "kind" */
		set_str(o, "machineIdentifierPath", b->macos_machine_identifier);
		set_str(o, "hardwareModelPath", b->macos_hardware_model);
		set_str(o, "auxImagePath", b->macos_aux_image);
		break;
	default:
		break;
	}
	return o;
}

static void disk_json(json_t *o, const struct device_config *dev)
{
	const struct disk_config *d = &dev->disk;

	set_str(o, "devName", device_kind_name(dev->kind));
	set_true_opt(o, "readOnly", d->readonly);
	set_str_opt(o, "imagePath", d->path);
	if (d->type_set)
		set_str(o, "type", d->type_dev ? "dev" : "image");
	if (dev->kind == DEV_VIRTIO_BLK)
		set_str_opt(o, "deviceIdentifier", d->device_id);
}

static void nbd_json(json_t *o, const struct nbd_config *n)
{
	/* capitalised keys and a timeout in nanoseconds, as upstream */
	set_str(o, "devName", "nbd");
	set_true_opt(o, "readOnly", n->readonly);
	set_str_opt(o, "uri", n->uri);
	set_str(o, "DeviceIdentifier", n->device_id);
	json_object_set_new(o, "Timeout", json_integer((json_int_t)n->timeout_ms * 1000000));
	set_str(o, "SynchronizationMode", n->sync == NBD_SYNC_NONE ? "none" : "full");
}

static void net_json(json_t *o, const struct net_config *n)
{
	char mac[18];

	/* a bare virtio-net is nat (the seed), so report it as such */
	json_object_set_new(o, "nat", json_boolean(n->attachment == NET_NAT));
	if (n->attachment == NET_FD)
		json_object_set_new(o, "socket", json_object());
	if (n->attachment == NET_UNIXGRAM)
		set_str(o, "unixSocketPath", n->socket_path);
	set_true_opt(o, "vfkitMagic", n->attachment == NET_UNIXGRAM && n->vfkit_magic);
	if (n->has_mac) {
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", n->mac[0], n->mac[1],
			 n->mac[2], n->mac[3], n->mac[4], n->mac[5]);
		set_str(o, "macAddress", mac);
	}
	set_str_opt(o, "ipAddress", n->lease_ip); /* runtime, beyond upstream */
}

static void serial_json(json_t *o, const struct serial_config *s)
{
	if (s->mode == SERIAL_LOGFILE)
		set_str_opt(o, "logFile", s->log_file_path);
	set_true_opt(o, "usesStdio", s->mode == SERIAL_STDIO);
	set_true_opt(o, "usesPty", s->mode == SERIAL_PTY);
	set_str_opt(o, "ptyName", s->pty_name);
}

static json_t *device_json(const struct device_config *dev)
{
	json_t *o = json_object();

	set_str(o, "kind", json_kinds[dev->kind]);
	switch (dev->kind) {
	case DEV_VIRTIO_BLK:
	case DEV_NVME:
	case DEV_USB_MASS_STORAGE:
		disk_json(o, dev);
		break;
	case DEV_NBD:
		nbd_json(o, &dev->nbd);
		break;
	case DEV_VIRTIO_NET:
		net_json(o, &dev->net);
		break;
	case DEV_VIRTIO_SERIAL:
		serial_json(o, &dev->serial);
		break;
	case DEV_VIRTIO_VSOCK:
		json_object_set_new(o, "port", json_integer(dev->vsock.port));
		set_str(o, "socketURL", dev->vsock.socket_url);
		set_true_opt(o, "listen", dev->vsock.listen);
		break;
	case DEV_VIRTIO_FS:
		set_str(o, "mountTag", dev->fs.mount_tag); /* as configured, maybe "" */
		set_str(o, "sharedDir", dev->fs.shared_dir);
		break;
	case DEV_ROSETTA:
		set_str(o, "mountTag", dev->rosetta.mount_tag);
		json_object_set_new(o, "installRosetta", json_boolean(dev->rosetta.install));
		json_object_set_new(o, "ignoreIfMissing",
				    json_boolean(dev->rosetta.ignore_if_missing));
		break;
	case DEV_VIRTIO_GPU:
		json_object_set_new(o, "usesGUI", json_boolean(dev->gpu.uses_gui));
		json_object_set_new(o, "width", json_integer(dev->gpu.width));
		json_object_set_new(o, "height", json_integer(dev->gpu.height));
		break;
	case DEV_VIRTIO_INPUT:
		set_str(o, "inputType",
			dev->input.type == INPUT_POINTING ? "pointing" : "keyboard");
		break;
	default:
		break;
	}
	return o;
}

static json_t *config_json(const struct vm_config *cfg)
{
	json_t *root = json_object(), *devs, *o;
	size_t i;

	json_object_set_new(root, "vcpus", json_integer((json_int_t)cfg->cpus));
	json_object_set_new(root, "memoryBytes",
			    json_integer((json_int_t)(cfg->memory_mib * 1024 * 1024)));
	json_object_set_new(root, "bootloader", boot_json(&cfg->boot));
	if (cfg->device_count) {
		devs = json_array();
		for (i = 0; i < cfg->device_count; i++)
			json_array_append_new(devs, device_json(&cfg->devices[i]));
		json_object_set_new(root, "devices", devs);
	}
	if (cfg->timesync_port) {
		o = json_object();
		json_object_set_new(o, "vsockPort", json_integer(cfg->timesync_port));
		json_object_set_new(root, "timesync", o);
	}
	if (cfg->ignition) {
		o = json_object();
		set_str(o, "kind", "ignition");
		set_str(o, "configPath", cfg->ignition);
		json_object_set_new(root, "ignition", o);
	}
	set_true_opt(root, "nested", cfg->nested);
	/* the seed's shape, so that clients decoding either one work */
	json_object_set_new(root, "cpus", json_integer((json_int_t)cfg->cpus));
	json_object_set_new(root, "memory", json_integer((json_int_t)cfg->memory_mib));
	return root;
}

char *config_inspect_json(const struct vm_config *cfg)
{
	json_t *root;
	char *out;

	/* runtime fields (pty name, DHCP lease) change under this lock */
	config_runtime_lock();
	root = config_json(cfg);
	config_runtime_unlock();
	if (!root)
		return NULL;
	out = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(root);
	return out;
}
