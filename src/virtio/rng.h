/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VFKIT_VIRTIO_RNG_H
#define VFKIT_VIRTIO_RNG_H

struct vm;
struct device_config;

/* A virtio-rng PCI device fed by getrandom(2). 0 or -errno after logging. */
int virtio_rng_create(struct vm *vm, struct device_config *cfg);

#endif
