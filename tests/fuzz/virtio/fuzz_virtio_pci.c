// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzzes the virtio-pci transport as a hostile guest would drive it: the
 * input is a list of operations, in any order, on PCI config space (BARs,
 * command register, MSI-X control, the VIRTIO_PCI_CAP_PCI_CFG window),
 * BAR 4 (common config, ISR, device config, notify), the MSI-X table and
 * PBA, status writes and resets, whole driver initialisations with
 * arbitrary features and queue sizes, offered chains and kicks. Besides the
 * sanitizers, the transport's own invariants are checked after every step.
 */
#include <linux/pci_regs.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../unit/virtio/fake_vm.h"
#include "virtio/testing.h"
#include "virtio/virtio.h"
#include "virtio/virtqueue.h"

#define NUM_QUEUES 2
#define QUEUE_MAX  64
#define CONFIG_LEN 8
#define RING_LIMIT (32ULL << 20) /* the fake driver's ring allocator restarts here */

struct echo {
	struct virtio_dev vdev;
	struct virtq_chain chain;
	uint8_t config[CONFIG_LEN];
};

static void echo_notify(struct virtio_dev *dev, unsigned int qidx)
{
	struct echo *e = dev->opaque;
	struct virtq *vq = virtio_dev_queue(dev, qidx);
	unsigned int done = 0;

	while (virtq_pop(vq, &e->chain) == 1) {
		uint8_t buf[64];
		size_t n = virtq_chain_read(&e->chain, 0, buf, sizeof(buf));

		virtq_push(vq, &e->chain, (uint32_t)virtq_chain_write(&e->chain, 0, buf, n));
		if (++done == VIRTQ_BATCH) {
			virtq_reschedule(vq);
			break;
		}
	}
	virtq_notify(vq);
}

static void echo_cfg_read(struct virtio_dev *dev, uint32_t off, void *data, uint32_t len)
{
	struct echo *e = dev->opaque;

	memcpy(data, e->config + off, len);
}

static void echo_cfg_write(struct virtio_dev *dev, uint32_t off, const void *data, uint32_t len)
{
	struct echo *e = dev->opaque;

	memcpy(e->config + off, data, len);
}

static const struct virtio_device_ops echo_ops = {
	.name = "fuzz-pci",
	.device_id = 42,
	.config_size = CONFIG_LEN,
	.config_read = echo_cfg_read,
	.config_write = echo_cfg_write,
	.queue_notify = echo_notify,
};

/* The input, read front to back; missing bytes read as zero. */
struct input {
	const uint8_t *p;
	size_t left;
};

static uint64_t take(struct input *in, unsigned int bytes)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < bytes && in->left; i++, in->p++, in->left--)
		v |= (uint64_t)*in->p << (8 * i);
	return v;
}

static uint32_t take_width(struct input *in, bool allow8)
{
	static const uint32_t widths[] = {1, 2, 4, 8};

	return widths[take(in, 1) % (allow8 ? 4 : 3)];
}

/* Where the guest has put BAR bar right now (it may have moved it). */
static uint64_t bar_base(struct vm *vm, unsigned int bar)
{
	uint32_t lo = pci_cfg_rd(vm, 1, PCI_BASE_ADDRESS_0 + 4 * bar, 4);
	uint64_t a = lo & ~0xfULL;

	if ((lo & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64)
		a |= (uint64_t)pci_cfg_rd(vm, 1, PCI_BASE_ADDRESS_0 + 4 * bar + 4, 4) << 32;
	return a;
}

static void offer_chain(struct fdrv *d, struct input *in)
{
	unsigned int q = (unsigned int)take(in, 1) % NUM_QUEUES;
	uint32_t len = (uint32_t)take(in, 1) + 1;
	uint64_t out = galloc(d, len), ret = galloc(d, len);
	struct fbuf b[2] = {{out, len, false}, {ret, len, true}};

	/* Only queues the fake driver laid out have rings it can write. */
	if (q >= d->num_queues || d->q[q].size == 0 || d->q[q].size > QUEUE_MAX ||
	    (d->q[q].size & (d->q[q].size - 1)))
		return;
	fdrv_add_chain(d, q, b, 2);
}

static void driver_init(struct fdrv *d, struct input *in)
{
	uint64_t want = take(in, 8);
	unsigned int nq = 1 + (unsigned int)take(in, 1) % NUM_QUEUES;
	uint16_t qsize = (uint16_t)take(in, 2);

	if (d->next_gpa > RING_LIMIT)
		d->next_gpa = 1ULL << 20;
	/* Mostly sizes a driver would pick, sometimes anything at all. */
	if (!(qsize & 0x8000))
		qsize = (uint16_t)(1u << (qsize % 8));
	fdrv_init(d, want, nq, qsize);
	if (d->num_queues > NUM_QUEUES)
		abort();
}

static void step(struct vm *vm, struct fdrv *d, struct echo *e, struct input *in)
{
	uint8_t op = (uint8_t)take(in, 1);
	uint32_t reg, len;
	uint64_t off, val;

	switch (op % 12) {
	case 0: /* config space write, including BARs, command, MSI-X control, cfg window */
		reg = (uint32_t)take(in, 1);
		len = take_width(in, false);
		val = take(in, 4);
		pci_cfg_wr(vm, 1, reg & ~(len - 1), (uint32_t)val, len);
		break;
	case 1:
		reg = (uint32_t)take(in, 1);
		len = take_width(in, false);
		pci_cfg_rd(vm, 1, reg & ~(len - 1), len);
		break;
	case 2: /* BAR 4: common config, ISR, device config, notify */
		off = take(in, 2) % 0x4000;
		len = take_width(in, true);
		val = take(in, 8);
		mmio_wr(vm, bar_base(vm, 4) + off, val, len);
		break;
	case 3:
		off = take(in, 2) % 0x4000;
		len = take_width(in, true);
		mmio_rd(vm, bar_base(vm, 4) + off, len);
		break;
	case 4: /* BAR 1: MSI-X table and PBA */
		off = take(in, 2) % 0x1000;
		len = take_width(in, true);
		val = take(in, 8);
		mmio_wr(vm, bar_base(vm, 1) + off, val, len);
		break;
	case 5:
		off = take(in, 2) % 0x1000;
		len = take_width(in, true);
		mmio_rd(vm, bar_base(vm, 1) + off, len);
		break;
	case 6:
		fdrv_reset(d);
		break;
	case 7:
		driver_init(d, in);
		break;
	case 8:
		offer_chain(d, in);
		break;
	case 9: /* a notify write to any queue number, through the BAR */
		mmio_wr(vm, bar_base(vm, 4) + 0x3000 + 4 * (take(in, 2) % 0x400), take(in, 2), 2);
		virtio_dev_poll(&e->vdev);
		break;
	case 10:
		virtio_dev_poll(&e->vdev);
		break;
	case 11: /* probe again: enables decode and MSI-X wherever the BARs are now */
		if (fdrv_probe(d, vm, 1) < 0)
			memset(d->q, 0, sizeof(d->q));
		break;
	}
}

/* What must hold whatever the guest did. */
static void check_invariants(const struct echo *e)
{
	for (unsigned int i = 0; i < e->vdev.num_queues; i++) {
		const struct virtq *vq = &e->vdev.vqs[i];

		if (vq->live && (!vq->enabled || !vq->desc || !vq->avail || !vq->used))
			abort();
		if (vq->enabled &&
		    (vq->size == 0 || vq->size > QUEUE_MAX || (vq->size & (vq->size - 1))))
			abort();
		for (unsigned int b = vq->enabled ? vq->size : 0; b < VIRTQ_MAX_SIZE; b++)
			if (vq->in_flight[b / 64] & (1ULL << (b % 64)))
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vm vm;
	static struct vm_config cfg;
	static struct echo e;
	static struct fdrv drv;
	struct input in = {data, size};

	/* A fresh machine per input: BAR moves and MSI-X state must not leak between runs. */
	fake_vm_init(&vm, &cfg);
	memset(&e, 0, sizeof(e));
	e.vdev.ops = &echo_ops;
	e.vdev.opaque = &e;
	e.vdev.num_queues = NUM_QUEUES;
	e.vdev.queue_size = QUEUE_MAX;
	e.vdev.features = 1ULL << 3;
	if (virtio_dev_register(&vm, &e.vdev) < 0 || fdrv_probe(&drv, &vm, 1) < 0)
		abort();
	for (unsigned int n = 0; in.left && n < 256; n++) {
		step(&vm, &drv, &e, &in);
		check_invariants(&e);
	}
	fake_vm_free(&vm);
	return 0;
}
