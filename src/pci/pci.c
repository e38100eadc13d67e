// SPDX-License-Identifier: Apache-2.0
/*
 * PCI bus 0: the Q35 host bridge, config mechanism #1 (0xCF8/0xCFC), ECAM,
 * slot assignment and BAR placement in the platform's MMIO windows.
 */
#include <errno.h>
#include <linux/pci_regs.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/layout.h"
#include "arch/x86/platform.h"
#include "pci/device.h"
#include "pci/pci.h"
#include "util/log.h"
#include "vmm/vm.h"

#define PCI_SLOTS 32

struct pci_bus {
	pthread_mutex_t lock; /* serialises config accesses and (un)registration */
	struct pci_func *slots[PCI_SLOTS];
	struct pci_func host_bridge;
	uint32_t cf8; /* mechanism #1 address latch */
	uint64_t next32, next64, end64;
};

void pci_config_access(struct vm *vm, uint8_t devfn, uint32_t reg, uint8_t *data, uint32_t len,
		       bool is_write)
{
	struct pci_bus *bus = vm->pci;
	struct pci_func *f;

	if (!bus)
		return;
	pthread_mutex_lock(&bus->lock);
	/* Single-function devices only: functions 1-7 do not exist. */
	f = (devfn & 7) ? NULL : bus->slots[devfn >> 3];
	if (f) {
		if (is_write)
			pci_func_config_write(f, reg, data, len);
		else
			pci_func_config_read(f, reg, data, len);
	}
	pthread_mutex_unlock(&bus->lock);
}

struct pci_func *pci_func_at(struct vm *vm, uint8_t devfn)
{
	struct pci_bus *bus = vm->pci;
	struct pci_func *f;

	if (!bus || (devfn & 7))
		return NULL;
	pthread_mutex_lock(&bus->lock);
	f = bus->slots[devfn >> 3];
	pthread_mutex_unlock(&bus->lock);
	return f;
}

/* Mechanism #1: 0xCF8 address latch, 0xCFC-0xCFF data. */
static void cf8_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct vm *vm = opaque;
	struct pci_bus *bus = vm->pci;
	uint32_t addr;

	if (offset == 0 && len == 4) {
		pthread_mutex_lock(&bus->lock);
		if (is_write)
			memcpy(&bus->cf8, data, 4);
		else
			memcpy(data, &bus->cf8, 4);
		pthread_mutex_unlock(&bus->lock);
		return;
	}
	if (offset < 4 || offset + len > 8)
		return;
	pthread_mutex_lock(&bus->lock);
	addr = bus->cf8;
	pthread_mutex_unlock(&bus->lock);
	/* Enable bit, bus 0 only. */
	if (!(addr & 0x80000000u) || ((addr >> 16) & 0xff) != 0)
		return;
	pci_config_access(vm, (addr >> 8) & 0xff, (addr & 0xfc) + (uint32_t)(offset - 4), data, len,
			  is_write);
}

static void ecam_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	uint32_t reg = offset & 0xfff;

	if (offset >> 20 != 0 || reg + len > 0x1000)
		return;
	pci_config_access(opaque, (offset >> 12) & 0xff, reg, data, len, is_write);
}

static int place_bar(struct pci_bus *bus, struct pci_func *f, unsigned int i)
{
	struct pci_bar *b = &f->bars[i];
	uint32_t reg = PCI_BASE_ADDRESS_0 + 4 * i;
	uint64_t *next = b->kind == PCI_BAR_MEM64 ? &bus->next64 : &bus->next32;
	uint64_t end = b->kind == PCI_BAR_MEM64 ? bus->end64 : PCI_MMIO32_END;
	uint64_t addr = (*next + b->size - 1) & ~(b->size - 1);

	if (addr < *next || addr + b->size > end || addr + b->size < addr)
		return -ENOSPC;
	*next = addr + b->size;
	if (b->kind == PCI_BAR_MEM64) {
		/* Prefetchable, as a 64-bit BAR must be to sit in any bridge window. */
		pci_cfg_set32(f, reg,
			      (uint32_t)addr | PCI_BASE_ADDRESS_MEM_TYPE_64 |
				      PCI_BASE_ADDRESS_MEM_PREFETCH);
		pci_cfg_set32(f, reg + 4, (uint32_t)(addr >> 32));
	} else {
		pci_cfg_set32(f, reg, (uint32_t)addr);
	}
	return 0;
}

int pci_register_func(struct vm *vm, struct pci_func *f)
{
	struct pci_bus *bus = vm->pci;
	unsigned int slot;
	int ret = 0;

	if (!bus)
		return -ENODEV;
	pthread_mutex_lock(&bus->lock);
	for (slot = 1; slot < PCI_SLOTS && bus->slots[slot]; slot++)
		;
	if (slot == PCI_SLOTS) {
		ret = -ENOSPC;
		goto out;
	}
	for (unsigned int i = 0; i < PCI_NUM_BARS && ret == 0; i++)
		if (f->bars[i].kind != PCI_BAR_NONE)
			ret = place_bar(bus, f, i);
	if (ret < 0)
		goto out;
	f->vm = vm;
	f->devfn = (uint8_t)(slot << 3);
	bus->slots[slot] = f;
out:
	pthread_mutex_unlock(&bus->lock);
	if (ret == -ENOSPC)
		log_error("pci: no room for another device (slots or MMIO window full)");
	return ret;
}

void pci_unregister_func(struct vm *vm, struct pci_func *f)
{
	struct pci_bus *bus = vm->pci;

	if (!bus || !f->vm)
		return;
	pthread_mutex_lock(&bus->lock);
	pci_func_unmap_all(f);
	if (bus->slots[f->devfn >> 3] == f)
		bus->slots[f->devfn >> 3] = NULL;
	pthread_mutex_unlock(&bus->lock);
}

int pci_init(struct vm *vm)
{
	struct pci_bus *bus = calloc(1, sizeof(*bus));
	int ret;

	if (!bus)
		return -ENOMEM;
	pthread_mutex_init(&bus->lock, NULL);
	bus->next32 = PCI_MMIO32_BASE;
	bus->next64 = platform_mmio64_base(vm->mem.size);
	bus->end64 = bus->next64 + PCI_MMIO64_SIZE;
	/* Q35 MCH host bridge, as firmware and guests expect at 00.0. */
	pci_func_init(&bus->host_bridge, 0x8086, 0x29c0, 0x060000, 0x1af4, 0x1100);
	bus->host_bridge.vm = vm;
	bus->slots[0] = &bus->host_bridge;
	vm->pci = bus;

	ret = bus_register(&vm->pio, PCI_CONFIG_PORT, 8, cf8_io, vm);
	if (ret == 0) {
		ret = bus_register(&vm->mmio, PCI_ECAM_BASE, PCI_ECAM_SIZE, ecam_io, vm);
		if (ret < 0)
			bus_unregister(&vm->pio, PCI_CONFIG_PORT);
	}
	if (ret < 0) {
		log_error("pci: cannot register config space access: %s", strerror(-ret));
		vm->pci = NULL;
		free(bus);
	}
	return ret;
}

void pci_destroy(struct vm *vm)
{
	struct pci_bus *bus = vm->pci;

	if (!bus)
		return;
	bus_unregister(&vm->pio, PCI_CONFIG_PORT);
	bus_unregister(&vm->mmio, PCI_ECAM_BASE);
	for (unsigned int i = 1; i < PCI_SLOTS; i++)
		if (bus->slots[i])
			pci_func_unmap_all(bus->slots[i]);
	vm->pci = NULL;
	pthread_mutex_destroy(&bus->lock);
	free(bus);
}
