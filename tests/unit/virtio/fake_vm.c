// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "arch/x86/layout.h"
#include "fake_vm.h"
#include "pci/pci.h"
#include "virtio/testing.h"
#include "virtio/virtio.h"
#include "vmm/irq.h"

unsigned int fake_msi_count[256];
bool fake_irq_use_irqfd;

struct fake_route {
	bool used;
	uint32_t data;
	int efd;
};
static struct fake_route routes[64];

int irq_line(struct vm *vm, unsigned int gsi, bool level)
{
	(void)vm, (void)gsi, (void)level;
	return 0;
}

int irq_pulse(struct vm *vm, unsigned int gsi)
{
	(void)vm, (void)gsi;
	return 0;
}

int irq_msi_alloc(struct vm *vm, uint64_t addr, uint32_t data)
{
	(void)vm, (void)addr;
	if (!fake_irq_use_irqfd)
		return -ENOSPC;
	for (int i = 0; i < 64; i++) {
		if (!routes[i].used) {
			routes[i] = (struct fake_route){true, data, -1};
			return i;
		}
	}
	return -ENOSPC;
}

int irq_msi_update(struct vm *vm, int gsi, uint64_t addr, uint32_t data)
{
	(void)vm, (void)addr;
	if (gsi < 0 || gsi >= 64 || !routes[gsi].used)
		return -EINVAL;
	routes[gsi].data = data;
	return 0;
}

void irq_msi_free(struct vm *vm, int gsi)
{
	(void)vm;
	if (gsi >= 0 && gsi < 64)
		routes[gsi].used = false;
}

int irq_irqfd(struct vm *vm, int gsi, int eventfd, bool assign)
{
	(void)vm;
	if (gsi < 0 || gsi >= 64 || !routes[gsi].used)
		return -EINVAL;
	routes[gsi].efd = assign ? eventfd : -1;
	return 0;
}

int irq_signal_msi(struct vm *vm, uint64_t addr, uint32_t data)
{
	(void)vm;
	if (addr == 0xfee00000ULL)
		fake_msi_count[data & 0xff]++;
	return 0;
}

uint64_t fake_irqfd_take(unsigned int vec)
{
	uint64_t total = 0, n;

	for (int i = 0; i < 64; i++)
		if (routes[i].used && routes[i].data == vec && routes[i].efd >= 0 &&
		    read(routes[i].efd, &n, sizeof(n)) == sizeof(n))
			total += n;
	return total;
}

void fake_vm_init(struct vm *vm, struct vm_config *cfg)
{
	memset(vm, 0, sizeof(*vm));
	memset(cfg, 0, sizeof(*cfg));
	memset(fake_msi_count, 0, sizeof(fake_msi_count));
	memset(routes, 0, sizeof(routes));
	cfg->cpus = 1;
	cfg->memory_mib = FAKE_RAM_SIZE >> 20;
	vm->cfg = cfg;
	vm->ncpus = 1;
	vm->kvm_fd = vm->vm_fd = -1;
	if (guest_mem_init(&vm->mem, FAKE_RAM_SIZE, RAM_LOW_MAX, RAM_HIGH_START) < 0)
		abort();
	bus_init(&vm->pio, "pio");
	bus_init(&vm->mmio, "mmio");
	if (pci_init(vm) < 0)
		abort();
}

void fake_vm_free(struct vm *vm)
{
	for (unsigned int slot = 1; slot < 32; slot++) {
		struct virtio_dev *dev = virtio_pci_dev_at(vm, slot);

		if (dev)
			virtio_dev_unregister(dev);
	}
	pci_destroy(vm);
	bus_destroy(&vm->pio);
	bus_destroy(&vm->mmio);
	guest_mem_free(&vm->mem);
}

static uint32_t cf8_addr(unsigned int slot, uint32_t reg)
{
	return 0x80000000u | slot << 11 | (reg & 0xfc);
}

uint32_t pci_cfg_rd(struct vm *vm, unsigned int slot, uint32_t reg, uint32_t len)
{
	uint32_t a = cf8_addr(slot, reg), v = 0;

	bus_dispatch(&vm->pio, PCI_CONFIG_PORT, (uint8_t *)&a, 4, true);
	bus_dispatch(&vm->pio, PCI_CONFIG_PORT + 4 + (reg & 3), (uint8_t *)&v, len, false);
	return len == 4 ? v : v & ((1u << (8 * len)) - 1);
}

void pci_cfg_wr(struct vm *vm, unsigned int slot, uint32_t reg, uint32_t val, uint32_t len)
{
	uint32_t a = cf8_addr(slot, reg);

	bus_dispatch(&vm->pio, PCI_CONFIG_PORT, (uint8_t *)&a, 4, true);
	bus_dispatch(&vm->pio, PCI_CONFIG_PORT + 4 + (reg & 3), (uint8_t *)&val, len, true);
}

uint64_t mmio_rd(struct vm *vm, uint64_t addr, uint32_t len)
{
	uint64_t v = 0;

	bus_dispatch(&vm->mmio, addr, (uint8_t *)&v, len, false);
	return len == 8 ? v : v & ((1ULL << (8 * len)) - 1);
}

void mmio_wr(struct vm *vm, uint64_t addr, uint64_t val, uint32_t len)
{
	bus_dispatch(&vm->mmio, addr, (uint8_t *)&val, len, true);
}

static uint64_t bar_addr(struct vm *vm, unsigned int slot, unsigned int bar)
{
	uint32_t lo = pci_cfg_rd(vm, slot, PCI_BASE_ADDRESS_0 + 4 * bar, 4);
	uint64_t a = lo & ~0xfULL;

	if ((lo & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64)
		a |= (uint64_t)pci_cfg_rd(vm, slot, PCI_BASE_ADDRESS_0 + 4 * bar + 4, 4) << 32;
	return a;
}

static void setup_msix(struct fdrv *d, uint32_t cap)
{
	uint16_t ctrl = (uint16_t)pci_cfg_rd(d->vm, d->slot, cap + PCI_MSIX_FLAGS, 2);
	uint32_t table = pci_cfg_rd(d->vm, d->slot, cap + PCI_MSIX_TABLE, 4);
	unsigned int n = (ctrl & PCI_MSIX_FLAGS_QSIZE) + 1;
	uint64_t base = bar_addr(d->vm, d->slot, table & 7) + (table & ~7u);

	for (unsigned int i = 0; i < n; i++) {
		uint64_t e = base + 16ULL * i;

		mmio_wr(d->vm, e + 0, 0xfee00000, 4);
		mmio_wr(d->vm, e + 4, 0, 4);
		mmio_wr(d->vm, e + 8, i, 4);
		mmio_wr(d->vm, e + 12, 0, 4); /* unmask */
	}
	pci_cfg_wr(d->vm, d->slot, cap + PCI_MSIX_FLAGS, ctrl | PCI_MSIX_FLAGS_ENABLE, 2);
}

int fdrv_probe(struct fdrv *d, struct vm *vm, unsigned int slot)
{
	uint32_t cap;

	memset(d, 0, sizeof(*d));
	d->vm = vm;
	d->slot = slot;
	d->next_gpa = 1ULL << 20;
	if (pci_cfg_rd(vm, slot, PCI_VENDOR_ID, 2) != 0x1af4)
		return -1;
	pci_cfg_wr(vm, slot, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
	cap = pci_cfg_rd(vm, slot, PCI_CAPABILITY_LIST, 1);
	for (int guard = 0; cap && guard < 48; guard++) {
		uint8_t id = (uint8_t)pci_cfg_rd(vm, slot, cap, 1);

		if (id == PCI_CAP_ID_MSIX) {
			setup_msix(d, cap);
		} else if (id == PCI_CAP_ID_VNDR) {
			uint8_t type = (uint8_t)pci_cfg_rd(vm, slot, cap + 3, 1);
			uint8_t bar = (uint8_t)pci_cfg_rd(vm, slot, cap + 4, 1);
			uint32_t off = pci_cfg_rd(vm, slot, cap + 8, 4);

			if (type != VIRTIO_PCI_CAP_PCI_CFG)
				d->bar4 = bar_addr(vm, slot, bar);
			if (type == VIRTIO_PCI_CAP_COMMON_CFG)
				d->common = off;
			else if (type == VIRTIO_PCI_CAP_NOTIFY_CFG) {
				d->notify = off;
				d->notify_mult = pci_cfg_rd(vm, slot, cap + 16, 4);
			} else if (type == VIRTIO_PCI_CAP_ISR_CFG)
				d->isr = off;
			else if (type == VIRTIO_PCI_CAP_DEVICE_CFG)
				d->devcfg = off;
		}
		cap = pci_cfg_rd(vm, slot, cap + 1, 1);
	}
	return d->bar4 && d->notify ? 0 : -1;
}

static uint64_t common(struct fdrv *d, uint32_t off)
{
	return d->bar4 + d->common + off;
}

uint8_t fdrv_status(struct fdrv *d)
{
	return (uint8_t)mmio_rd(d->vm, common(d, VIRTIO_PCI_COMMON_STATUS), 1);
}

static void set_status(struct fdrv *d, uint8_t s)
{
	mmio_wr(d->vm, common(d, VIRTIO_PCI_COMMON_STATUS), s, 1);
}

void fdrv_reset(struct fdrv *d)
{
	set_status(d, 0);
}

uint64_t fdrv_device_features(struct fdrv *d)
{
	uint64_t f;

	mmio_wr(d->vm, common(d, VIRTIO_PCI_COMMON_DFSELECT), 0, 4);
	f = mmio_rd(d->vm, common(d, VIRTIO_PCI_COMMON_DF), 4);
	mmio_wr(d->vm, common(d, VIRTIO_PCI_COMMON_DFSELECT), 1, 4);
	return f | mmio_rd(d->vm, common(d, VIRTIO_PCI_COMMON_DF), 4) << 32;
}

uint64_t galloc(struct fdrv *d, uint64_t size)
{
	uint64_t gpa = (d->next_gpa + 4095) & ~4095ULL;

	d->next_gpa = gpa + size;
	return gpa;
}

void *gptr(struct fdrv *d, uint64_t gpa, uint64_t len)
{
	return gmem_ptr(&d->vm->mem, gpa, len);
}

static void setup_queue(struct fdrv *d, unsigned int i, uint16_t qsize)
{
	struct fq *q = &d->q[i];
	struct vm *vm = d->vm;

	mmio_wr(vm, common(d, VIRTIO_PCI_COMMON_Q_SELECT), i, 2);
	mmio_wr(vm, common(d, VIRTIO_PCI_COMMON_Q_SIZE), qsize, 2);
	memset(q, 0, sizeof(*q));
	q->size = qsize;
	q->desc = galloc(d, 16ULL * qsize);
	q->avail = galloc(d, 6 + 2ULL * qsize);
	q->used = galloc(d, 6 + 8ULL * qsize);
	memset(gptr(d, q->desc, 16ULL * qsize), 0, 16ULL * qsize);
	memset(gptr(d, q->avail, 6 + 2ULL * qsize), 0, 6 + 2ULL * qsize);
	memset(gptr(d, q->used, 6 + 8ULL * qsize), 0, 6 + 8ULL * qsize);
	mmio_wr(vm, common(d, VIRTIO_PCI_COMMON_Q_DESCLO), (uint32_t)q->desc, 4);
	mmio_wr(vm, common(d, VIRTIO_PCI_COMMON_Q_DESCHI), q->desc >> 32, 4);
	mmio_wr(vm, common(d, VIRTIO_PCI_COMMON_Q_AVAILLO), (uint32_t)q->avail, 4);
	mmio_wr(vm, common(d, VIRTIO_PCI_COMMON_Q_AVAILHI), q->avail >> 32, 4);
	mmio_wr(vm, common(d, VIRTIO_PCI_COMMON_Q_USEDLO), (uint32_t)q->used, 4);
	mmio_wr(vm, common(d, VIRTIO_PCI_COMMON_Q_USEDHI), q->used >> 32, 4);
	mmio_wr(vm, common(d, VIRTIO_PCI_COMMON_Q_MSIX), i + 1, 2);
	mmio_wr(vm, common(d, VIRTIO_PCI_COMMON_Q_ENABLE), 1, 2);
}

uint8_t fdrv_init(struct fdrv *d, uint64_t want, unsigned int nq, uint16_t qsize)
{
	uint64_t f = fdrv_device_features(d) & want;

	fdrv_reset(d);
	set_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	set_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	mmio_wr(d->vm, common(d, VIRTIO_PCI_COMMON_GFSELECT), 0, 4);
	mmio_wr(d->vm, common(d, VIRTIO_PCI_COMMON_GF), (uint32_t)f, 4);
	mmio_wr(d->vm, common(d, VIRTIO_PCI_COMMON_GFSELECT), 1, 4);
	mmio_wr(d->vm, common(d, VIRTIO_PCI_COMMON_GF), f >> 32, 4);
	set_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			      VIRTIO_CONFIG_S_FEATURES_OK);
	if (!(fdrv_status(d) & VIRTIO_CONFIG_S_FEATURES_OK))
		return fdrv_status(d);
	d->features = f;
	mmio_wr(d->vm, common(d, VIRTIO_PCI_COMMON_MSIX), 0, 2);
	d->num_queues = nq;
	for (unsigned int i = 0; i < nq; i++)
		setup_queue(d, i, qsize);
	set_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			      VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	return fdrv_status(d);
}

void fdrv_set_desc(struct fdrv *d, unsigned int q, uint16_t i, uint64_t addr, uint32_t len,
		   uint16_t flags, uint16_t next)
{
	struct vring_desc *desc = gptr(d, d->q[q].desc + 16ULL * i, 16);

	desc->addr = addr;
	desc->len = len;
	desc->flags = flags;
	desc->next = next;
}

void fdrv_push_avail(struct fdrv *d, unsigned int q, uint16_t head)
{
	struct fq *fq = &d->q[q];
	struct vring_avail *av = gptr(d, fq->avail, 6 + 2ULL * fq->size);

	av->ring[fq->avail_idx % fq->size] = head;
	fq->avail_idx++;
	__atomic_store_n(&av->idx, fq->avail_idx, __ATOMIC_RELEASE);
}

uint16_t fdrv_add_chain(struct fdrv *d, unsigned int q, const struct fbuf *b, unsigned int n)
{
	struct fq *fq = &d->q[q];
	uint16_t head = fq->next_desc % fq->size;

	for (unsigned int i = 0; i < n; i++) {
		uint16_t idx = (uint16_t)((head + i) % fq->size);
		uint16_t next = (uint16_t)((head + i + 1) % fq->size);

		fdrv_set_desc(d, q, idx, b[i].gpa, b[i].len,
			      (b[i].write ? VRING_DESC_F_WRITE : 0) |
				      (i + 1 < n ? VRING_DESC_F_NEXT : 0),
			      next);
	}
	fq->next_desc = (uint16_t)((head + n) % fq->size);
	fdrv_push_avail(d, q, head);
	return head;
}

void fdrv_kick(struct fdrv *d, unsigned int q)
{
	mmio_wr(d->vm, d->bar4 + d->notify + (uint64_t)q * d->notify_mult, q, 2);
}

int fdrv_get_used(struct fdrv *d, unsigned int q, uint32_t *id, uint32_t *len)
{
	struct fq *fq = &d->q[q];
	struct vring_used *u = gptr(d, fq->used, 6 + 8ULL * fq->size);

	if (__atomic_load_n(&u->idx, __ATOMIC_ACQUIRE) == fq->last_used)
		return 0;
	*id = u->ring[fq->last_used % fq->size].id;
	*len = u->ring[fq->last_used % fq->size].len;
	fq->last_used++;
	return 1;
}

uint8_t fdrv_devcfg8(struct fdrv *d, uint32_t off)
{
	return (uint8_t)mmio_rd(d->vm, d->bar4 + d->devcfg + off, 1);
}

uint32_t fdrv_devcfg32(struct fdrv *d, uint32_t off)
{
	return (uint32_t)mmio_rd(d->vm, d->bar4 + d->devcfg + off, 4);
}
