/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VFKIT_VIRTIO_BLK_H
#define VFKIT_VIRTIO_BLK_H

#include <stdbool.h>

struct vm;
struct device_config;
struct virtio_dev;

/*
 * A virtio-blk PCI device on a raw image or host block device (disk config),
 * one request queue per vCPU. 0 or -errno after logging.
 */
int virtio_blk_create(struct vm *vm, struct device_config *cfg);

/*
 * For tests without an event loop: handle finished I/O of the device at dev
 * (waiting for at least one completion if wait and any is in flight).
 */
void virtio_blk_poll(struct virtio_dev *dev, bool wait);

#endif
