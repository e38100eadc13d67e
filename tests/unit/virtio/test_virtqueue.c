// SPDX-License-Identifier: Apache-2.0
/*
 * The virtio-pci transport and split virtqueue, driven through PCI config
 * space and MMIO by the fake driver, with a minimal "echo" device that copies
 * each chain's readable bytes into its writable ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "arch/x86/layout.h"
#include "arch/x86/platform.h"
#include "fake_vm.h"
#include "pci/device.h"
#include "virtio/testing.h"
#include "virtio/virtio.h"

#define ALL_FEATURES (~0ULL)

#define MAX_HELD 128

struct echo {
	struct virtio_dev vdev;
	struct virtq_chain chain;
	/* hold: keep popped chains in flight (like a slow disk) instead of echoing them. */
	bool hold;
	unsigned int nheld;
	struct virtq_chain held[MAX_HELD];
	unsigned int notified;
	unsigned int resets;
	unsigned int activated;
};

static void echo_notify(struct virtio_dev *dev, unsigned int qidx)
{
	struct echo *e = dev->opaque;
	struct virtq *vq = virtio_dev_queue(dev, qidx);
	uint8_t buf[4096];

	e->notified++;
	while (e->hold && e->nheld < MAX_HELD && virtq_pop(vq, &e->held[e->nheld]) == 1)
		e->nheld++;
	while (!e->hold && virtq_pop(vq, &e->chain) == 1) {
		size_t n = virtq_chain_read(&e->chain, 0, buf, sizeof(buf));

		virtq_push(vq, &e->chain, (uint32_t)virtq_chain_write(&e->chain, 0, buf, n));
	}
	virtq_notify(vq);
}

static void echo_cfg_read(struct virtio_dev *dev, uint32_t off, void *data, uint32_t len)
{
	static const uint8_t cfg[8] = {1, 2, 3, 4, 5, 6, 7, 8};

	(void)dev;
	memcpy(data, cfg + off, len);
}

static void echo_reset(struct virtio_dev *dev)
{
	((struct echo *)dev->opaque)->resets++;
}

static void echo_activate(struct virtio_dev *dev)
{
	((struct echo *)dev->opaque)->activated++;
}

static const struct virtio_device_ops echo_ops = {
	.name = "virtio-echo",
	.device_id = 42,
	.config_size = 8,
	.config_read = echo_cfg_read,
	.queue_notify = echo_notify,
	.reset = echo_reset,
	.activate = echo_activate,
};

struct fixture {
	struct vm vm;
	struct vm_config cfg;
	struct echo echo;
	struct fdrv drv;
};

static int setup(void **state)
{
	static struct fixture fx;

	memset(&fx, 0, sizeof(fx));
	fake_vm_init(&fx.vm, &fx.cfg);
	fx.echo.vdev.ops = &echo_ops;
	fx.echo.vdev.opaque = &fx.echo;
	fx.echo.vdev.num_queues = 2;
	fx.echo.vdev.queue_size = 16;
	fx.echo.vdev.features = 1ULL << 3;
	if (virtio_dev_register(&fx.vm, &fx.echo.vdev) < 0)
		return -1;
	if (fdrv_probe(&fx.drv, &fx.vm, 1) < 0)
		return -1;
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	virtio_dev_unregister(&fx->echo.vdev);
	fake_vm_free(&fx->vm);
	return 0;
}

static void test_host_bridge_and_ecam(void **state)
{
	struct fixture *fx = *state;
	uint32_t id;

	assert_int_equal(pci_cfg_rd(&fx->vm, 0, PCI_VENDOR_ID, 4), 0x29c08086);
	assert_int_equal(pci_cfg_rd(&fx->vm, 0, PCI_CLASS_DEVICE, 2), 0x0600);
	/* ECAM sees the same function: bus 0, device 1. */
	id = (uint32_t)mmio_rd(&fx->vm, PCI_ECAM_BASE + (1 << 15), 4);
	assert_int_equal(id, 0x1af4 | (0x1040 + 42) << 16);
	/* Empty slot and other functions read as all ones. */
	assert_int_equal(pci_cfg_rd(&fx->vm, 5, PCI_VENDOR_ID, 4), 0xffffffff);
	assert_int_equal(mmio_rd(&fx->vm, PCI_ECAM_BASE + (1 << 15) + (1 << 12), 4), 0xffffffff);
	/* Bus 1 does not exist. */
	assert_int_equal(mmio_rd(&fx->vm, PCI_ECAM_BASE + (1 << 20), 4), 0xffffffff);
	/* Vendor ID is read-only. */
	pci_cfg_wr(&fx->vm, 1, PCI_VENDOR_ID, 0x1234, 2);
	assert_int_equal(pci_cfg_rd(&fx->vm, 1, PCI_VENDOR_ID, 2), 0x1af4);
}

static void test_bar_sizing_and_move(void **state)
{
	struct fixture *fx = *state;
	struct vm *vm = &fx->vm;
	uint32_t lo = pci_cfg_rd(vm, 1, PCI_BASE_ADDRESS_4, 4);
	uint32_t hi = pci_cfg_rd(vm, 1, PCI_BASE_ADDRESS_5, 4);
	uint64_t addr = (lo & ~0xfULL) | (uint64_t)hi << 32;
	uint64_t moved = addr + (1ULL << 20);

	/* 64-bit prefetchable BAR in the 64-bit window above RAM. */
	assert_int_equal(lo & 0xf, PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH);
	assert_true(addr >= platform_mmio64_base(FAKE_RAM_SIZE));
	/* MSI-X BAR in the 32-bit window. */
	assert_true(pci_cfg_rd(vm, 1, PCI_BASE_ADDRESS_1, 4) >= PCI_MMIO32_BASE);

	/* Sizing: all ones reads back the size mask (16 KiB). */
	pci_cfg_wr(vm, 1, PCI_COMMAND, 0, 2);
	pci_cfg_wr(vm, 1, PCI_BASE_ADDRESS_4, 0xffffffff, 4);
	pci_cfg_wr(vm, 1, PCI_BASE_ADDRESS_5, 0xffffffff, 4);
	assert_int_equal(pci_cfg_rd(vm, 1, PCI_BASE_ADDRESS_4, 4) & ~0xfu, 0xffffc000);
	assert_int_equal(pci_cfg_rd(vm, 1, PCI_BASE_ADDRESS_5, 4), 0xffffffff);

	/* Move it: decode off means nothing answers; on, only the new address. */
	pci_cfg_wr(vm, 1, PCI_BASE_ADDRESS_4, (uint32_t)moved, 4);
	pci_cfg_wr(vm, 1, PCI_BASE_ADDRESS_5, moved >> 32, 4);
	assert_int_equal(mmio_rd(vm, moved + fx->drv.common + 0x12, 2), 0xffff);
	pci_cfg_wr(vm, 1, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	assert_int_equal(mmio_rd(vm, moved + fx->drv.common + 0x12, 2), 2); /* num_queues */
	assert_int_equal(mmio_rd(vm, addr + fx->drv.common + 0x12, 2), 0xffff);
}

static void test_feature_negotiation(void **state)
{
	struct fixture *fx = *state;
	uint64_t f = fdrv_device_features(&fx->drv);

	assert_true(f & (1ULL << VIRTIO_F_VERSION_1));
	assert_true(f & (1ULL << VIRTIO_RING_F_EVENT_IDX));
	assert_true(f & (1ULL << VIRTIO_RING_F_INDIRECT_DESC));
	assert_true(f & (1ULL << 3));
	/* A driver without VERSION_1 is refused (FEATURES_OK does not stick). */
	assert_false(fdrv_init(&fx->drv, 1ULL << 3, 2, 16) & VIRTIO_CONFIG_S_FEATURES_OK);
	assert_int_equal(fdrv_init(&fx->drv, ALL_FEATURES, 2, 16) & 0xf, 0xf);
	assert_int_equal(fx->echo.activated, 1);
	/* Device config through BAR 4. */
	assert_int_equal(fdrv_devcfg32(&fx->drv, 4), 0x08070605);
	/* Reset clears the status and calls the device. */
	fdrv_reset(&fx->drv);
	assert_int_equal(fdrv_status(&fx->drv), 0);
	assert_true(fx->echo.resets >= 1);
}

static uint64_t put_bytes(struct fdrv *d, const void *src, uint32_t len)
{
	uint64_t gpa = galloc(d, len);

	memcpy(gptr(d, gpa, len), src, len);
	return gpa;
}

static void test_echo_roundtrip_and_interrupt(void **state)
{
	struct fixture *fx = *state;
	struct fdrv *d = &fx->drv;
	uint64_t out = put_bytes(d, "hello virtio", 12), in = galloc(d, 64);
	struct fbuf b[2] = {{out, 12, false}, {in, 64, true}};
	uint32_t id, len;
	uint16_t head;

	assert_int_equal(fdrv_init(d, ALL_FEATURES, 2, 16) & 0xf, 0xf);
	head = fdrv_add_chain(d, 0, b, 2);
	fdrv_kick(d, 0);
	virtio_dev_poll(&fx->echo.vdev);
	assert_int_equal(fdrv_get_used(d, 0, &id, &len), 1);
	assert_int_equal(id, head);
	assert_int_equal(len, 12);
	assert_memory_equal(gptr(d, in, 12), "hello virtio", 12);
	assert_int_equal(fake_msi_count[1], 1); /* queue 0 uses vector 1 */
	/* No second element. */
	assert_int_equal(fdrv_get_used(d, 0, &id, &len), 0);
}

static void test_indirect_chain(void **state)
{
	struct fixture *fx = *state;
	struct fdrv *d = &fx->drv;
	uint64_t out = put_bytes(d, "indirect", 8), in = galloc(d, 16);
	uint64_t table = galloc(d, 32);
	struct vring_desc *t = gptr(d, table, 32);
	uint32_t id, len;

	assert_int_equal(fdrv_init(d, ALL_FEATURES, 2, 16) & 0xf, 0xf);
	t[0] = (struct vring_desc){out, 8, VRING_DESC_F_NEXT, 1};
	t[1] = (struct vring_desc){in, 16, VRING_DESC_F_WRITE, 0};
	fdrv_set_desc(d, 0, 3, table, 32, VRING_DESC_F_INDIRECT, 0);
	fdrv_push_avail(d, 0, 3);
	fdrv_kick(d, 0);
	virtio_dev_poll(&fx->echo.vdev);
	assert_int_equal(fdrv_get_used(d, 0, &id, &len), 1);
	assert_int_equal(id, 3);
	assert_int_equal(len, 8);
	assert_memory_equal(gptr(d, in, 8), "indirect", 8);
}

/* The longest chain a driver may build (Linux virtio-blk: seg_max + 2) fits in one table. */
static void test_indirect_table_of_max_size(void **state)
{
	struct fixture *fx = *state;
	struct fdrv *d = &fx->drv;
	uint64_t buf = galloc(d, 4096), table = galloc(d, 16 * (VIRTQ_MAX_CHAIN + 1));
	struct vring_desc *t = gptr(d, table, 16 * (VIRTQ_MAX_CHAIN + 1));
	uint32_t id, len;

	assert_int_equal(fdrv_init(d, ALL_FEATURES, 2, 16) & 0xf, 0xf);
	for (unsigned int i = 0; i <= VIRTQ_MAX_CHAIN; i++)
		t[i] = (struct vring_desc){
			buf + 8 * (i % 256), 8,
			(uint16_t)(VRING_DESC_F_NEXT | (i >= 128 ? VRING_DESC_F_WRITE : 0)),
			(uint16_t)(i + 1)};
	t[VIRTQ_MAX_CHAIN - 1].flags &= ~VRING_DESC_F_NEXT;
	fdrv_set_desc(d, 0, 0, table, 16 * VIRTQ_MAX_CHAIN, VRING_DESC_F_INDIRECT, 0);
	fdrv_push_avail(d, 0, 0);
	fdrv_kick(d, 0);
	virtio_dev_poll(&fx->echo.vdev);
	assert_int_equal(fdrv_get_used(d, 0, &id, &len), 1);
	assert_int_equal(len, 128 * 8);
	assert_false(fdrv_status(d) & VIRTIO_CONFIG_S_NEEDS_RESET);

	/* One more entry is over the limit. */
	t[VIRTQ_MAX_CHAIN - 1].flags |= VRING_DESC_F_NEXT;
	t[VIRTQ_MAX_CHAIN].flags &= ~VRING_DESC_F_NEXT;
	fdrv_set_desc(d, 0, 1, table, 16 * (VIRTQ_MAX_CHAIN + 1), VRING_DESC_F_INDIRECT, 0);
	fdrv_push_avail(d, 0, 1);
	fdrv_kick(d, 0);
	virtio_dev_poll(&fx->echo.vdev);
	assert_true(fdrv_status(d) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

static void test_event_idx_suppresses_interrupts(void **state)
{
	struct fixture *fx = *state;
	struct fdrv *d = &fx->drv;
	uint64_t in = galloc(d, 16), out = put_bytes(d, "x", 1);
	struct fbuf b[2] = {{out, 1, false}, {in, 16, true}};
	struct vring_avail *av;
	uint16_t *used_event, *avail_event;
	uint32_t id, len;

	assert_int_equal(fdrv_init(d, ALL_FEATURES, 2, 16) & 0xf, 0xf);
	av = gptr(d, d->q[0].avail, 6 + 2 * 16);
	used_event = &av->ring[16];
	avail_event = gptr(d, d->q[0].used + 4 + 8 * 16, 2);
	fdrv_add_chain(d, 0, b, 2);
	fdrv_kick(d, 0);
	virtio_dev_poll(&fx->echo.vdev);
	assert_int_equal(fake_msi_count[1], 1); /* first one always interrupts */
	/* The device re-armed: it wants a kick once avail passes 1. */
	assert_int_equal(*avail_event, 1);
	/* Driver asks for an interrupt only after used index 10. */
	*used_event = 10;
	fdrv_add_chain(d, 0, b, 2);
	fdrv_kick(d, 0);
	virtio_dev_poll(&fx->echo.vdev);
	assert_int_equal(fake_msi_count[1], 1);
	/* Now used_event = 1 lies in the newly used range: interrupt. */
	*used_event = 2;
	fdrv_add_chain(d, 0, b, 2);
	fdrv_kick(d, 0);
	virtio_dev_poll(&fx->echo.vdev);
	assert_int_equal(fake_msi_count[1], 2);
	while (fdrv_get_used(d, 0, &id, &len))
		;
}

static void test_msix_mask_sets_pending(void **state)
{
	struct fixture *fx = *state;
	struct fdrv *d = &fx->drv;
	struct vm *vm = &fx->vm;
	uint64_t msix = pci_cfg_rd(vm, 1, PCI_BASE_ADDRESS_1, 4) & ~0xfULL;
	uint64_t in = galloc(d, 16), out = put_bytes(d, "x", 1);
	struct fbuf b[2] = {{out, 1, false}, {in, 16, true}};

	assert_int_equal(fdrv_init(d, ALL_FEATURES, 2, 16) & 0xf, 0xf);
	mmio_wr(vm, msix + 16 * 1 + 12, 1, 4); /* mask vector 1 */
	fdrv_add_chain(d, 0, b, 2);
	fdrv_kick(d, 0);
	virtio_dev_poll(&fx->echo.vdev);
	assert_int_equal(fake_msi_count[1], 0);
	assert_int_equal(mmio_rd(vm, msix + 0x800, 4) & 2, 2); /* PBA bit 1 */
	mmio_wr(vm, msix + 16 * 1 + 12, 0, 4);		       /* unmask: fires */
	assert_int_equal(fake_msi_count[1], 1);
	assert_int_equal(mmio_rd(vm, msix + 0x800, 4) & 2, 0);
}

static void test_irqfd_delivery(void **state)
{
	struct fixture *fx = *state;
	struct fdrv *d = &fx->drv;
	uint64_t in = galloc(d, 16), out = put_bytes(d, "x", 1);
	struct fbuf b[2] = {{out, 1, false}, {in, 16, true}};

	fake_irq_use_irqfd = true;
	assert_int_equal(fdrv_init(d, ALL_FEATURES, 2, 16) & 0xf, 0xf);
	fdrv_add_chain(d, 1, b, 2);
	fdrv_kick(d, 1);
	virtio_dev_poll(&fx->echo.vdev);
	fake_irq_use_irqfd = false;
	assert_int_equal(fake_irqfd_take(2), 1); /* queue 1 uses vector 2 */
	assert_int_equal(fake_msi_count[2], 0);
}

/* --- hostile drivers: each case must end in NEEDS_RESET, and recover after reset --- */

enum bad_kind {
	BAD_LOOP,
	BAD_OUTSIDE_RAM,
	BAD_ZERO_LEN,
	BAD_HUGE_LEN,
	BAD_DIRECTION,
	BAD_TOO_LONG,
	BAD_NEXT_RANGE,
	BAD_HEAD_RANGE,
	BAD_AVAIL_JUMP,
	BAD_NESTED_INDIRECT,
	BAD_INDIRECT_LEN,
	BAD_INDIRECT_LOOP,
	BAD_RING_ADDR,
};

static void make_bad(struct fixture *fx, enum bad_kind k)
{
	struct fdrv *d = &fx->drv;
	uint64_t buf = galloc(d, 4096);
	uint64_t table = galloc(d, 4096);
	struct vring_desc *t = gptr(d, table, 4096);
	struct vring_avail *av = gptr(d, d->q[0].avail, 6 + 2 * 16);

	switch (k) {
	case BAD_LOOP:
		fdrv_set_desc(d, 0, 0, buf, 16, VRING_DESC_F_NEXT, 1);
		fdrv_set_desc(d, 0, 1, buf, 16, VRING_DESC_F_NEXT, 0);
		break;
	case BAD_OUTSIDE_RAM:
		fdrv_set_desc(d, 0, 0, FAKE_RAM_SIZE - 8, 16, 0, 0);
		break;
	case BAD_ZERO_LEN:
		fdrv_set_desc(d, 0, 0, buf, 0, 0, 0);
		break;
	case BAD_HUGE_LEN:
		fdrv_set_desc(d, 0, 0, buf, 0xffffffff, VRING_DESC_F_WRITE, 0);
		break;
	case BAD_DIRECTION:
		fdrv_set_desc(d, 0, 0, buf, 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
		fdrv_set_desc(d, 0, 1, buf, 16, 0, 0);
		break;
	case BAD_TOO_LONG:
		for (uint16_t i = 0; i < 16; i++)
			fdrv_set_desc(d, 0, i, buf, 16, VRING_DESC_F_NEXT, (i + 1) % 16);
		break;
	case BAD_NEXT_RANGE:
		fdrv_set_desc(d, 0, 0, buf, 16, VRING_DESC_F_NEXT, 16);
		break;
	case BAD_HEAD_RANGE:
		fdrv_set_desc(d, 0, 0, buf, 16, 0, 0);
		av->ring[0] = 999;
		av->idx = 1;
		return;
	case BAD_AVAIL_JUMP:
		fdrv_set_desc(d, 0, 0, buf, 16, 0, 0);
		av->idx = 100;
		return;
	case BAD_NESTED_INDIRECT:
		t[0] = (struct vring_desc){table, 32, VRING_DESC_F_INDIRECT, 0};
		fdrv_set_desc(d, 0, 0, table, 16, VRING_DESC_F_INDIRECT, 0);
		break;
	case BAD_INDIRECT_LEN:
		fdrv_set_desc(d, 0, 0, table, 24, VRING_DESC_F_INDIRECT, 0);
		break;
	case BAD_INDIRECT_LOOP:
		t[0] = (struct vring_desc){buf, 16, VRING_DESC_F_NEXT, 1};
		t[1] = (struct vring_desc){buf, 16, VRING_DESC_F_NEXT, 0};
		fdrv_set_desc(d, 0, 0, table, 32, VRING_DESC_F_INDIRECT, 0);
		break;
	case BAD_RING_ADDR:
		return;
	}
	fdrv_push_avail(d, 0, 0);
}

static void check_bad(void **state, enum bad_kind k)
{
	struct fixture *fx = *state;
	struct fdrv *d = &fx->drv;
	uint64_t out = put_bytes(d, "ok", 2), in = galloc(d, 16);
	struct fbuf b[2] = {{out, 2, false}, {in, 16, true}};
	uint32_t id, len;

	assert_int_equal(fdrv_init(d, ALL_FEATURES, 2, 16) & 0xf, 0xf);
	make_bad(fx, k);
	fdrv_kick(d, 0);
	virtio_dev_poll(&fx->echo.vdev);
	assert_true(fdrv_status(d) & VIRTIO_CONFIG_S_NEEDS_RESET);
	assert_int_equal(fdrv_get_used(d, 0, &id, &len), 0);
	assert_int_equal(fake_msi_count[0], 1); /* config interrupt */
	/* Further kicks are ignored... */
	fdrv_kick(d, 0);
	virtio_dev_poll(&fx->echo.vdev);
	/* ...and a reset brings the device back. */
	assert_int_equal(fdrv_init(d, ALL_FEATURES, 2, 16) & 0x4f, 0xf);
	fdrv_add_chain(d, 0, b, 2);
	fdrv_kick(d, 0);
	virtio_dev_poll(&fx->echo.vdev);
	assert_int_equal(fdrv_get_used(d, 0, &id, &len), 1);
	assert_int_equal(len, 2);
}

static void test_bad_ring_address(void **state)
{
	struct fixture *fx = *state;
	struct fdrv *d = &fx->drv;
	uint64_t base = d->bar4 + d->common;

	fdrv_reset(d);
	mmio_wr(&fx->vm, base + 0x14, 1 | 2, 1);
	mmio_wr(&fx->vm, base + 0x16, 0, 2);
	mmio_wr(&fx->vm, base + 0x20, (uint32_t)(FAKE_RAM_SIZE - 64), 4);
	mmio_wr(&fx->vm, base + 0x1c, 1, 2);
	assert_true(fdrv_status(d) & VIRTIO_CONFIG_S_NEEDS_RESET);
	/* Queue size that is not a power of two is refused too. */
	fdrv_reset(d);
	mmio_wr(&fx->vm, base + 0x18, 12, 2);
	mmio_wr(&fx->vm, base + 0x1c, 1, 2);
	assert_true(fdrv_status(d) & VIRTIO_CONFIG_S_NEEDS_RESET);
	assert_int_equal(fdrv_init(d, ALL_FEATURES, 2, 16) & 0x4f, 0xf);
}

#define BAD_TEST(name, kind)                                                                       \
	static void test_bad_##name(void **state)                                                  \
	{                                                                                          \
		check_bad(state, kind);                                                            \
	}
BAD_TEST(loop, BAD_LOOP)
BAD_TEST(outside_ram, BAD_OUTSIDE_RAM)
BAD_TEST(zero_len, BAD_ZERO_LEN)
BAD_TEST(huge_len, BAD_HUGE_LEN)
BAD_TEST(direction, BAD_DIRECTION)
BAD_TEST(too_long, BAD_TOO_LONG)
BAD_TEST(next_range, BAD_NEXT_RANGE)
BAD_TEST(head_range, BAD_HEAD_RANGE)
BAD_TEST(avail_jump, BAD_AVAIL_JUMP)
BAD_TEST(nested_indirect, BAD_NESTED_INDIRECT)
BAD_TEST(indirect_len, BAD_INDIRECT_LEN)
BAD_TEST(indirect_loop, BAD_INDIRECT_LOOP)

/* Completes every held chain, as a device whose I/O finished. */
static void release_held(struct fixture *fx)
{
	struct virtq *vq = virtio_dev_queue(&fx->echo.vdev, 0);

	virtio_dev_lock(&fx->echo.vdev);
	for (unsigned int i = 0; i < fx->echo.nheld; i++)
		virtq_push(vq, &fx->echo.held[i], 0);
	virtq_notify(vq);
	virtio_dev_unlock(&fx->echo.vdev);
	fx->echo.nheld = 0;
}

/*
 * A driver re-offers head 0 while the device still holds it: before the
 * in-flight bitmap, 99 rounds put 99 requests in flight on a 16-entry queue.
 */
static void test_head_offered_twice_while_in_flight(void **state)
{
	struct fixture *fx = *state;
	struct fdrv *d = &fx->drv;
	uint64_t buf = galloc(d, 4096);
	uint32_t id, len;

	assert_int_equal(fdrv_init(d, ALL_FEATURES, 2, 16) & 0xf, 0xf);
	fx->echo.hold = true;
	fdrv_set_desc(d, 0, 0, buf, 16, VRING_DESC_F_WRITE, 0);
	for (unsigned int round = 0; round < 99; round++) {
		fdrv_push_avail(d, 0, 0);
		fdrv_kick(d, 0);
		virtio_dev_poll(&fx->echo.vdev);
	}
	assert_int_equal(fx->echo.nheld, 1);
	assert_true(fdrv_status(d) & VIRTIO_CONFIG_S_NEEDS_RESET);
	/* The held request cannot complete into a ring the device stopped serving. */
	release_held(fx);
	assert_int_equal(fdrv_get_used(d, 0, &id, &len), 0);
}

/* An honest driver reuses heads once they came back: never a false alarm. */
static void test_head_reused_after_completion(void **state)
{
	struct fixture *fx = *state;
	struct fdrv *d = &fx->drv;
	uint64_t buf = galloc(d, 4096);
	uint32_t id, len;

	assert_int_equal(fdrv_init(d, ALL_FEATURES, 2, 16) & 0xf, 0xf);
	fx->echo.hold = true;
	for (uint16_t i = 0; i < 16; i++)
		fdrv_set_desc(d, 0, i, buf, 16, VRING_DESC_F_WRITE, 0);
	for (unsigned int round = 0; round < 7; round++) {
		for (uint16_t i = 0; i < 16; i++)
			fdrv_push_avail(d, 0, i);
		fdrv_kick(d, 0);
		virtio_dev_poll(&fx->echo.vdev);
		assert_int_equal(fx->echo.nheld, 16);
		release_held(fx);
		for (uint16_t i = 0; i < 16; i++) {
			assert_int_equal(fdrv_get_used(d, 0, &id, &len), 1);
			assert_int_equal(id, i);
		}
	}
	assert_false(fdrv_status(d) & VIRTIO_CONFIG_S_NEEDS_RESET);
	/* A reset forgets what was in flight: the same head is accepted again. */
	fdrv_push_avail(d, 0, 3);
	fdrv_kick(d, 0);
	virtio_dev_poll(&fx->echo.vdev);
	assert_int_equal(fx->echo.nheld, 1);
	fx->echo.nheld = 0;
	assert_int_equal(fdrv_init(d, ALL_FEATURES, 2, 16) & 0x4f, 0xf);
	fdrv_set_desc(d, 0, 3, buf, 16, VRING_DESC_F_WRITE, 0);
	fdrv_push_avail(d, 0, 3);
	fdrv_kick(d, 0);
	virtio_dev_poll(&fx->echo.vdev);
	assert_int_equal(fx->echo.nheld, 1);
	assert_false(fdrv_status(d) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

/* virtio-net rx takes chains back when a frame does not fit: they are no longer in flight. */
static void test_unpopped_heads_can_be_popped_again(void **state)
{
	struct fixture *fx = *state;
	struct fdrv *d = &fx->drv;
	struct virtq *vq = virtio_dev_queue(&fx->echo.vdev, 0);
	struct fbuf b = {galloc(d, 64), 64, true};
	struct virtq_chain *c = fx->echo.held;
	int popped[5];
	uint32_t id, len;

	assert_int_equal(fdrv_init(d, ALL_FEATURES, 2, 16) & 0xf, 0xf);
	for (int i = 0; i < 3; i++)
		fdrv_add_chain(d, 0, &b, 1);
	/* No assertion under the lock: a failure would leave it held for teardown. */
	virtio_dev_lock(&fx->echo.vdev);
	for (int i = 0; i < 3; i++)
		popped[i] = virtq_pop(vq, &c[i]);
	virtq_unpop(vq);
	virtq_unpop(vq);
	popped[3] = virtq_pop(vq, &c[1]);
	popped[4] = virtq_pop(vq, &c[2]);
	for (int i = 0; i < 3; i++)
		virtq_push(vq, &c[i], 0);
	virtq_notify(vq);
	virtio_dev_unlock(&fx->echo.vdev);
	for (int i = 0; i < 5; i++)
		assert_int_equal(popped[i], 1);
	assert_int_equal(c[1].head, 1);
	assert_int_equal(c[2].head, 2);
	for (uint32_t i = 0; i < 3; i++) {
		assert_int_equal(fdrv_get_used(d, 0, &id, &len), 1);
		assert_int_equal(id, i);
	}
	assert_false(fdrv_status(d) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

static void test_unaligned_and_odd_accesses_ignored(void **state)
{
	struct fixture *fx = *state;
	struct fdrv *d = &fx->drv;

	/* Odd widths on common config, beyond-config reads, huge notify offsets: no effect. */
	mmio_wr(&fx->vm, d->bar4 + d->common + 0x13, 0xff, 1);
	mmio_wr(&fx->vm, d->bar4 + d->common + 0x14, 0xffff, 2);
	assert_int_equal(mmio_rd(&fx->vm, d->bar4 + d->devcfg + 7, 2), 0xffff);
	mmio_wr(&fx->vm, d->bar4 + d->notify + 0xffc, 1, 4);
	mmio_wr(&fx->vm, d->bar4 + 0x3ffe, 1, 8);
	assert_int_equal(fdrv_status(d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_host_bridge_and_ecam, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_sizing_and_move, setup, teardown),
		cmocka_unit_test_setup_teardown(test_feature_negotiation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_echo_roundtrip_and_interrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_indirect_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_indirect_table_of_max_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_event_idx_suppresses_interrupts, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_msix_mask_sets_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_irqfd_delivery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_outside_ram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_zero_len, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_huge_len, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_direction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_too_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_next_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_head_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_avail_jump, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_nested_indirect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_indirect_len, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_indirect_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_ring_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_head_offered_twice_while_in_flight, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_head_reused_after_completion, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unpopped_heads_can_be_popped_again, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unaligned_and_odd_accesses_ignored, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
