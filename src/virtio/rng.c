// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-rng: every writable buffer the guest offers is filled from the
 * host's getrandom(2). No config space, one queue.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include "util/log.h"
#include "virtio/rng.h"
#include "virtio/virtio.h"
#include "vmm/vm.h"

/* Bound per request so one huge buffer cannot stall the loop thread. */
#define RNG_MAX_PER_REQUEST 65536

struct virtio_rng {
	struct virtio_dev vdev;
	struct virtq_chain chain;
};

static size_t fill_chain(const struct virtq_chain *c)
{
	size_t done = 0;

	for (unsigned int i = c->nout; i < c->nout + c->nin && done < RNG_MAX_PER_REQUEST; i++) {
		size_t want = c->iov[i].iov_len;
		ssize_t n;

		if (want > RNG_MAX_PER_REQUEST - done)
			want = RNG_MAX_PER_REQUEST - done;
		n = getrandom(c->iov[i].iov_base, want, GRND_NONBLOCK);
		if (n <= 0)
			break;
		done += (size_t)n;
		if ((size_t)n < want)
			break;
	}
	return done;
}

static void rng_queue_notify(struct virtio_dev *dev, unsigned int qidx)
{
	struct virtio_rng *rng = dev->opaque;
	struct virtq *vq = virtio_dev_queue(dev, qidx);
	unsigned int served = 0;

	while (virtq_pop(vq, &rng->chain) == 1) {
		virtq_push(vq, &rng->chain, (uint32_t)fill_chain(&rng->chain));
		if (virtq_batch_spent(vq, &served))
			break;
	}
	virtq_notify(vq);
}

static void rng_config_read(struct virtio_dev *dev, uint32_t offset, void *data, uint32_t len)
{
	(void)dev;
	(void)offset;
	(void)data;
	(void)len;
}

static void rng_destroy(struct virtio_dev *dev)
{
	free(dev->opaque);
}

static const struct virtio_device_ops rng_ops = {
	.name = "virtio-rng",
	.device_id = VIRTIO_ID_RNG,
	.config_size = 0,
	.config_read = rng_config_read,
	.queue_notify = rng_queue_notify,
	.destroy = rng_destroy,
};

int virtio_rng_create(struct vm *vm, struct device_config *cfg)
{
	struct virtio_rng *rng = calloc(1, sizeof(*rng));
	int ret;

	(void)cfg;
	if (!rng)
		return -ENOMEM;
	rng->vdev.ops = &rng_ops;
	rng->vdev.opaque = rng;
	rng->vdev.num_queues = 1;
	rng->vdev.queue_size = 64;
	ret = virtio_dev_register(vm, &rng->vdev);
	if (ret < 0) {
		free(rng);
		return ret;
	}
	return 0;
}
