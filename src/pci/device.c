// SPDX-License-Identifier: Apache-2.0
/*
 * A PCI function's config space: header type 0, write masks, BAR sizing and
 * placement, and the capability list.
 */
#include <errno.h>
#include <linux/pci_regs.h>
#include <string.h>

#include "pci/device.h"
#include "util/log.h"
#include "vmm/vm.h"

void pci_func_init(struct pci_func *f, uint16_t vendor, uint16_t device, uint32_t class_code,
		   uint16_t subsys_vendor, uint16_t subsys_id)
{
	memset(f, 0, sizeof(*f));
	pci_cfg_set16(f, PCI_VENDOR_ID, vendor);
	pci_cfg_set16(f, PCI_DEVICE_ID, device);
	f->cfg[PCI_REVISION_ID] = 1;
	f->cfg[PCI_CLASS_PROG] = class_code & 0xff;
	pci_cfg_set16(f, PCI_CLASS_DEVICE, (uint16_t)(class_code >> 8));
	f->cfg[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_NORMAL;
	pci_cfg_set16(f, PCI_SUBSYSTEM_VENDOR_ID, subsys_vendor);
	pci_cfg_set16(f, PCI_SUBSYSTEM_ID, subsys_id);
	/* Memory decode and bus mastering are the only command bits we honour. */
	f->wmask[PCI_COMMAND] = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	f->wmask[PCI_COMMAND + 1] = PCI_COMMAND_INTX_DISABLE >> 8;
	f->wmask[PCI_INTERRUPT_LINE] = 0xff;
	f->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	f->wmask[PCI_LATENCY_TIMER] = 0xff;
	f->cap_next = 0x40;
	f->cap_last_next = &f->cfg[PCI_CAPABILITY_LIST];
}

static uint64_t roundup_pow2(uint64_t v)
{
	uint64_t p = 4096;

	while (p < v && p < (1ULL << 62))
		p <<= 1;
	return p;
}

int pci_func_add_bar(struct pci_func *f, unsigned int bar, enum pci_bar_kind kind, uint64_t size,
		     bus_io_fn fn, void *opaque)
{
	uint32_t reg = PCI_BASE_ADDRESS_0 + 4 * bar;
	uint64_t mask;

	if (bar >= PCI_NUM_BARS || (kind == PCI_BAR_MEM64 && bar + 1 >= PCI_NUM_BARS) ||
	    f->bars[bar].kind != PCI_BAR_NONE)
		return -EINVAL;
	size = roundup_pow2(size);
	if (kind == PCI_BAR_MEM32 && size > (1ULL << 31))
		return -EINVAL;
	f->bars[bar] = (struct pci_bar){.kind = kind, .size = size, .fn = fn, .opaque = opaque};
	mask = ~(size - 1);
	pci_cfg_set32(f, reg, kind == PCI_BAR_MEM64 ? PCI_BASE_ADDRESS_MEM_TYPE_64 : 0);
	f->wmask[reg] = mask & 0xf0;
	f->wmask[reg + 1] = (mask >> 8) & 0xff;
	f->wmask[reg + 2] = (mask >> 16) & 0xff;
	f->wmask[reg + 3] = (mask >> 24) & 0xff;
	if (kind == PCI_BAR_MEM64)
		memset(&f->wmask[reg + 4], 0xff, 4);
	return 0;
}

int pci_func_add_cap(struct pci_func *f, uint8_t id, uint8_t len)
{
	uint32_t off = (f->cap_next + 3) & ~3u;

	if (len < 2 || off + len > PCI_CFG_SPACE_SIZE)
		return -ENOSPC;
	f->cfg[off] = id;
	f->cfg[off + 1] = 0;
	*f->cap_last_next = (uint8_t)off;
	f->cap_last_next = &f->cfg[off + 1];
	f->cap_next = (uint8_t)(off + len <= 0xff ? off + len : 0xff);
	f->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	return (int)off;
}

static uint64_t bar_address(const struct pci_func *f, unsigned int bar)
{
	uint32_t reg = PCI_BASE_ADDRESS_0 + 4 * bar;
	uint64_t addr = pci_cfg_get32(f, reg) & PCI_BASE_ADDRESS_MEM_MASK;

	if (f->bars[bar].kind == PCI_BAR_MEM64)
		addr |= (uint64_t)pci_cfg_get32(f, reg + 4) << 32;
	return addr;
}

static void bar_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct pci_bar *b = opaque;

	/* An access straddling the end of the BAR is dropped. */
	if (offset >= b->size || len > b->size - offset)
		return;
	b->fn(b->opaque, offset, data, len, is_write);
}

static void bar_unmap(struct pci_func *f, unsigned int bar)
{
	struct pci_bar *b = &f->bars[bar];

	if (!b->mapped)
		return;
	if (f->bar_map)
		f->bar_map(f, bar, b->addr, false);
	bus_unregister(&f->vm->mmio, b->addr);
	b->mapped = false;
}

static void bar_map(struct pci_func *f, unsigned int bar, uint64_t addr)
{
	struct pci_bar *b = &f->bars[bar];
	int ret;

	/* Half-programmed or sizing values (all ones) wrap around: leave unmapped. */
	if (addr == 0 || addr + b->size - 1 < addr)
		return;
	ret = bus_register(&f->vm->mmio, addr, b->size, bar_io, b);
	if (ret < 0) {
		log_ratelimited(LOG_LEVEL_DEBUG, "pci %02x.%x: BAR %u at 0x%llx not mapped: %s",
				f->devfn >> 3, f->devfn & 7, bar, (unsigned long long)addr,
				strerror(-ret));
		return;
	}
	b->addr = addr;
	b->mapped = true;
	if (f->bar_map)
		f->bar_map(f, bar, addr, true);
}

/* Brings the bus mappings in line with the BAR registers and the command register. */
static void update_bars(struct pci_func *f)
{
	bool decode = pci_cfg_get16(f, PCI_COMMAND) & PCI_COMMAND_MEMORY;

	for (unsigned int i = 0; i < PCI_NUM_BARS; i++) {
		struct pci_bar *b = &f->bars[i];
		uint64_t addr;

		if (b->kind == PCI_BAR_NONE)
			continue;
		addr = bar_address(f, i);
		if (b->mapped && decode && b->addr == addr)
			continue;
		bar_unmap(f, i);
		if (decode)
			bar_map(f, i, addr);
	}
}

void pci_func_config_read(struct pci_func *f, uint32_t reg, uint8_t *data, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		data[i] = reg + i < PCI_CFG_SPACE_SIZE ? f->cfg[reg + i] : 0;
	if (f->cfg_read && reg < PCI_CFG_SPACE_SIZE)
		f->cfg_read(f, reg, data, len);
}

void pci_func_config_write(struct pci_func *f, uint32_t reg, const uint8_t *data, uint32_t len)
{
	bool bars_touched = false;

	if (reg >= PCI_CFG_SPACE_SIZE)
		return;
	if (len > PCI_CFG_SPACE_SIZE - reg)
		len = PCI_CFG_SPACE_SIZE - reg;
	for (uint32_t i = 0; i < len; i++) {
		uint32_t r = reg + i;

		f->cfg[r] = (f->cfg[r] & ~f->wmask[r]) | (data[i] & f->wmask[r]);
		if (r == PCI_COMMAND || (r >= PCI_BASE_ADDRESS_0 && r < PCI_BASE_ADDRESS_5 + 4))
			bars_touched = true;
	}
	if (bars_touched)
		update_bars(f);
	if (f->cfg_write)
		f->cfg_write(f, reg, len);
}

void pci_func_unmap_all(struct pci_func *f)
{
	for (unsigned int i = 0; i < PCI_NUM_BARS; i++)
		if (f->bars[i].kind != PCI_BAR_NONE)
			bar_unmap(f, i);
}
