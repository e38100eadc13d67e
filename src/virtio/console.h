/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VFKIT_VIRTIO_CONSOLE_H
#define VFKIT_VIRTIO_CONSOLE_H

struct vm;
struct device_config;

/*
 * A virtio-console PCI device with one port (hvcN) on the chardev backend the
 * serial config names; the first one becomes vm->console. 0 or -errno after
 * logging.
 */
int virtio_console_create(struct vm *vm, struct device_config *cfg);

#endif
