// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzzes the split virtqueue as a hostile driver would: the input becomes
 * the descriptor table, the avail ring and a data area (indirect tables,
 * buffers) in guest RAM, then the queue is kicked. The device (an echo
 * device) must either process the chains or go to NEEDS_RESET; it must
 * never touch memory outside guest RAM (ASan) or crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_ring.h>

#include "../../unit/virtio/fake_vm.h"
#include "virtio/testing.h"
#include "virtio/virtio.h"

/* The largest queue, so chains and indirect tables of VIRTQ_MAX_CHAIN entries are reachable. */
#define QSIZE	  VIRTQ_MAX_SIZE
#define DATA_GPA  0x200000ULL
#define DATA_SIZE 0x10000ULL

static struct vm vm;
static struct vm_config cfg;
static struct fdrv drv;
static struct virtio_dev vdev;
static struct virtq_chain chain;

static void echo_notify(struct virtio_dev *dev, unsigned int qidx)
{
	struct virtq *vq = virtio_dev_queue(dev, qidx);
	uint8_t buf[512];

	while (virtq_pop(vq, &chain) == 1) {
		size_t n = virtq_chain_read(&chain, 0, buf, sizeof(buf));

		virtq_push(vq, &chain, (uint32_t)virtq_chain_write(&chain, 0, buf, n));
	}
	virtq_notify(vq);
}

static void echo_cfg(struct virtio_dev *dev, uint32_t off, void *data, uint32_t len)
{
	(void)dev, (void)off;
	memset(data, 0, len);
}

static const struct virtio_device_ops ops = {
	.name = "fuzz-echo",
	.device_id = 42,
	.config_size = 4,
	.config_read = echo_cfg,
	.queue_notify = echo_notify,
};

/* Addresses with the top bit set are folded into the data area, so the fuzzer hits RAM often. */
static void fold_addresses(struct vring_desc *d, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (d[i].addr >> 63)
			d[i].addr = DATA_GPA + (d[i].addr & (DATA_SIZE - 1));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct vring_desc *desc;
	struct vring_avail *avail;
	size_t n;

	if (!ready) {
		fake_vm_init(&vm, &cfg);
		vdev.ops = &ops;
		vdev.num_queues = 1;
		vdev.queue_size = QSIZE;
		/* A target that cannot set up must fail loudly, not pass on every input. */
		if (virtio_dev_register(&vm, &vdev) < 0 || fdrv_probe(&drv, &vm, 1) < 0)
			abort();
		ready = true;
	}
	drv.next_gpa = 1ULL << 20;
	if ((fdrv_init(&drv, ~0ULL, 1, QSIZE) & 0x4f) != 0xf)
		abort();
	desc = gptr(&drv, drv.q[0].desc, 16 * QSIZE);
	avail = gptr(&drv, drv.q[0].avail, 6 + 2 * QSIZE);

	n = size < 16 * QSIZE ? size : 16 * QSIZE;
	memcpy(desc, data, n);
	data += n, size -= n;
	n = size < 6 + 2 * QSIZE ? size : 6 + 2 * QSIZE;
	memcpy(avail, data, n);
	data += n, size -= n;
	n = size < DATA_SIZE ? size : DATA_SIZE;
	memcpy(gptr(&drv, DATA_GPA, DATA_SIZE), data, n);
	fold_addresses(desc, QSIZE);
	for (unsigned int i = 0; i + 16 <= n; i += 16)
		fold_addresses(gptr(&drv, DATA_GPA + i, 16), 1);

	fdrv_kick(&drv, 0);
	virtio_dev_poll(&vdev);
	/* A second kick after the device may have set NEEDS_RESET must be harmless. */
	fdrv_kick(&drv, 0);
	virtio_dev_poll(&vdev);
	return 0;
}
