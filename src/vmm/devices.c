// SPDX-License-Identifier: Apache-2.0
/*
 * --device entries → device models, in command-line order (which is also
 * PCI slot order). Adding a device kind is one line in the table.
 */
#include <stddef.h>

#include "config/config.h"
#include "util/log.h"
#include "virtio/blk.h"
#include "virtio/console.h"
#include "virtio/net.h"
#include "virtio/rng.h"
#include "vmm/devices.h"
#include "vmm/vm.h"

static const device_create_fn creators[DEV_KIND_COUNT] = {
	[DEV_VIRTIO_BLK] = virtio_blk_create,
	[DEV_VIRTIO_NET] = virtio_net_create,
	[DEV_VIRTIO_SERIAL] = virtio_console_create,
	[DEV_VIRTIO_RNG] = virtio_rng_create,
};

int devices_create_all(struct vm *vm)
{
	for (size_t i = 0; i < vm->cfg->device_count; i++) {
		struct device_config *dev = &vm->cfg->devices[i];
		device_create_fn create = dev->kind < DEV_KIND_COUNT ? creators[dev->kind] : NULL;

		if (!create) {
			log_error("--device %s: not supported yet by this VMM",
				  device_kind_name(dev->kind));
			return -1;
		}
		if (create(vm, dev) < 0)
			return -1;
	}
	return 0;
}
