/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hooks for in-process drivers (unit tests, fuzzers) that run without an
 * event loop: find a device and run its pending queue kicks synchronously.
 */
#ifndef VFKIT_VIRTIO_TESTING_H
#define VFKIT_VIRTIO_TESTING_H

struct vm;
struct virtio_dev;

/* The virtio device in PCI slot slot of bus 0, or NULL. */
struct virtio_dev *virtio_pci_dev_at(struct vm *vm, unsigned int slot);
/* Handles every queue whose notification eventfd was signalled. */
void virtio_dev_poll(struct virtio_dev *dev);

#endif
