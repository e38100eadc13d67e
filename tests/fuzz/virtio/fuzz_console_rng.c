// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzzes the virtio-console and virtio-rng queue handlers with hostile
 * rings. The first byte picks the device (even: console, odd: rng) and the
 * queue; the second how many of the following bytes arrive as host console
 * input; then come the descriptor table, the avail ring and a data area
 * (buffers, indirect tables) in guest RAM, as in fuzz_virtqueue. The device
 * must serve the chains or go to NEEDS_RESET, never touch memory outside
 * guest RAM (ASan) or crash, and always leave the loop after a batch.
 */
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../unit/virtio/fake_vm.h"
#include "backends/chardev.h"
#include "config/config.h"
#include "virtio/console.h"
#include "virtio/rng.h"
#include "virtio/testing.h"
#include "virtio/virtio.h"

#define QSIZE	  64
#define DATA_GPA  0x200000ULL
#define DATA_SIZE 0x10000ULL

/* --- a chardev that counts output and hands input to the device --- */
struct chardev {
	size_t written;
	chardev_input_fn input;
	void *opaque;
};

static struct chardev chr;

struct chardev *chardev_open(struct vm *vm, struct serial_config *cfg)
{
	(void)vm, (void)cfg;
	memset(&chr, 0, sizeof(chr));
	return &chr;
}

void chardev_close(struct chardev *c)
{
	(void)c;
}

size_t chardev_write(struct chardev *c, const void *buf, size_t len)
{
	/* Touch every byte, so ASan sees any read outside guest RAM. */
	volatile uint8_t sink = 0;

	for (size_t i = 0; i < len; i++)
		sink ^= ((const uint8_t *)buf)[i];
	(void)sink;
	c->written += len;
	return len;
}

void chardev_set_input(struct chardev *c, chardev_input_fn fn, void *opaque)
{
	c->input = fn;
	c->opaque = opaque;
}

void chardev_accept_input(struct chardev *c, bool accept)
{
	(void)c, (void)accept;
}

/* Addresses with the top bit set are folded into the data area, so the fuzzer hits RAM often. */
static void fold_addresses(struct vring_desc *d, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (d[i].addr >> 63)
			d[i].addr = DATA_GPA + (d[i].addr & (DATA_SIZE - 1));
}

static size_t copy_in(void *dst, size_t room, const uint8_t **data, size_t *size)
{
	size_t n = *size < room ? *size : room;

	memcpy(dst, *data, n);
	*data += n, *size -= n;
	return n;
}

static void lay_out_ring(struct fdrv *d, unsigned int q, const uint8_t *data, size_t size)
{
	struct vring_desc *desc = gptr(d, d->q[q].desc, 16 * QSIZE);
	size_t n;

	copy_in(desc, 16 * QSIZE, &data, &size);
	copy_in(gptr(d, d->q[q].avail, 6 + 2 * QSIZE), 6 + 2 * QSIZE, &data, &size);
	n = copy_in(gptr(d, DATA_GPA, DATA_SIZE), DATA_SIZE, &data, &size);
	fold_addresses(desc, QSIZE);
	for (unsigned int i = 0; i + 16 <= n; i += 16)
		fold_addresses(gptr(d, DATA_GPA + i, 16), 1);
}

/* Runs the device until it stops rescheduling itself (bounded: every pass pops or stops). */
static void run(struct virtio_dev *dev)
{
	for (int i = 0; i < 64; i++)
		virtio_dev_poll(dev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vm vm;
	static struct vm_config cfg;
	static struct fdrv drv;
	struct device_config dev = {0};
	bool console;
	unsigned int nq, q, ninput;
	struct virtio_dev *vdev;
	uint8_t st;

	if (size < 2)
		return 0;
	console = !(data[0] & 1);
	nq = console ? 2 : 1;
	q = (data[0] >> 1) % nq;
	ninput = console ? data[1] : 0;
	data += 2, size -= 2;
	if (ninput > size)
		ninput = (unsigned int)size;

	fake_vm_init(&vm, &cfg);
	if (console) {
		dev.kind = DEV_VIRTIO_SERIAL;
		dev.serial.mode = SERIAL_STDIO;
	} else {
		dev.kind = DEV_VIRTIO_RNG;
	}
	if ((console ? virtio_console_create(&vm, &dev) : virtio_rng_create(&vm, &dev)) < 0)
		abort();
	vdev = virtio_pci_dev_at(&vm, 1);
	if (!vdev || fdrv_probe(&drv, &vm, 1) < 0)
		abort();
	st = fdrv_init(&drv, ~0ULL, nq, QSIZE);
	if ((st & 0x4f) != 0xf)
		abort();

	/* Half the host input before the guest's buffers, half after. */
	if (console)
		chr.input(chr.opaque, data, ninput / 2);
	lay_out_ring(&drv, q, data + ninput, size - ninput);
	fdrv_kick(&drv, q);
	run(vdev);
	if (console)
		chr.input(chr.opaque, data + ninput / 2, ninput - ninput / 2);
	fdrv_kick(&drv, q);
	run(vdev);
	fake_vm_free(&vm);
	return 0;
}
