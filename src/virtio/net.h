/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VFKIT_VIRTIO_NET_H
#define VFKIT_VIRTIO_NET_H

struct vm;
struct device_config;

/*
 * A virtio-net PCI device attached to the backend dev->net selects (nat,
 * fd=, unixSocketPath=). The MAC is dev->net.mac or a random locally
 * administered one. 0, or -1 after logging why.
 */
int virtio_net_create(struct vm *vm, struct device_config *dev);

#endif
