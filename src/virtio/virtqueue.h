/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Split virtqueue state, shared by virtqueue.c and the transport. Devices use
 * only the functions in virtio.h.
 */
#ifndef VFKIT_VIRTQUEUE_H
#define VFKIT_VIRTQUEUE_H

#include <linux/virtio_ring.h>
#include <stdbool.h>
#include <stdint.h>

#include "virtio/virtio.h"

struct virtq {
	struct virtio_dev *dev;
	unsigned int index;

	/* Driver-programmed (common config), checked when enabled. */
	uint16_t size;
	uint16_t msix_vector;
	bool enabled;
	uint64_t desc_gpa, avail_gpa, used_gpa;

	/* Set by the transport once DRIVER_OK and enabled; cleared on reset/NEEDS_RESET. */
	bool live;
	/* Host views of the rings (valid while enabled; checked to lie in guest RAM). */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;

	uint16_t last_avail;	 /* next avail entry to pop */
	uint16_t used_idx;	 /* our copy of used->idx */
	uint16_t signalled_used; /* used_idx at the last interrupt */
	bool signalled_valid;

	/*
	 * Heads popped and not yet pushed back: a head is one request, so a
	 * driver that offers a head again while it is in flight is refused and
	 * in-flight requests stay bounded by the queue size.
	 */
	uint64_t in_flight[VIRTQ_MAX_SIZE / 64];
	/* Head popped from each avail slot, so virtq_unpop() need not re-read guest memory. */
	uint16_t popped_head[VIRTQ_MAX_SIZE];

	int kick_fd; /* eventfd: ioeventfd or MMIO notify writes */
};

/* Maps the rings after the driver enabled the queue; -EINVAL if they are not in RAM. */
int virtq_map(struct virtq *vq);
/* Back to the after-reset state (size = max, disabled, no vector). */
void virtq_reset(struct virtq *vq, uint16_t max_size);

/* Implemented by the transport: deliver vq's interrupt. */
void virtio_transport_queue_interrupt(struct virtq *vq);

#endif
