/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One PCI function on bus 0: its 256-byte config space (what the guest may
 * write is described by a write mask), its BARs (placed in the platform's
 * 32- or 64-bit window at registration, mapped on vm->mmio while the
 * command register's memory-enable bit is set) and its capability list.
 *
 * Config accesses are serialised by the bus; BAR MMIO handlers run on vCPU
 * threads concurrently and must do their own locking.
 */
#ifndef VFKIT_PCI_DEVICE_H
#define VFKIT_PCI_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/bus.h"

struct vm;

#define PCI_CFG_SPACE_SIZE 256
#define PCI_NUM_BARS	   6

enum pci_bar_kind {
	PCI_BAR_NONE = 0,
	PCI_BAR_MEM32,
	PCI_BAR_MEM64, /* occupies this BAR register and the next */
};

struct pci_func;

/* A BAR appeared at addr (mapped) or went away (unmapped). */
typedef void (*pci_bar_map_fn)(struct pci_func *f, unsigned int bar, uint64_t addr, bool mapped);
/* The guest wrote [offset, offset+len) of config space (after the write mask applied). */
typedef void (*pci_cfg_write_fn)(struct pci_func *f, uint32_t offset, uint32_t len);
/* Optional override for reads of [offset, offset+len) (e.g. live capability fields). */
typedef void (*pci_cfg_read_fn)(struct pci_func *f, uint32_t offset, uint8_t *data, uint32_t len);

struct pci_bar {
	enum pci_bar_kind kind;
	uint64_t size; /* power of two, >= 4 KiB */
	bus_io_fn fn;  /* offset is relative to the BAR */
	void *opaque;
	uint64_t addr; /* where it is mapped now */
	bool mapped;
};

struct pci_func {
	struct vm *vm;
	uint8_t devfn; /* slot << 3 | function */
	uint8_t cfg[PCI_CFG_SPACE_SIZE];
	uint8_t wmask[PCI_CFG_SPACE_SIZE];
	uint8_t cap_next;	/* where the next capability goes */
	uint8_t *cap_last_next; /* "next" byte of the last capability */
	struct pci_bar bars[PCI_NUM_BARS];

	pci_bar_map_fn bar_map;
	pci_cfg_write_fn cfg_write;
	pci_cfg_read_fn cfg_read;
	void *opaque;
};

/* Header type 0 function with these ids and class (class << 8 | prog-if in class_code). */
void pci_func_init(struct pci_func *f, uint16_t vendor, uint16_t device, uint32_t class_code,
		   uint16_t subsys_vendor, uint16_t subsys_id);
/* Declares a memory BAR; size is rounded up to a power of two >= 4 KiB. */
int pci_func_add_bar(struct pci_func *f, unsigned int bar, enum pci_bar_kind kind, uint64_t size,
		     bus_io_fn fn, void *opaque);
/* Appends a capability of len bytes (id in byte 0, next in byte 1); returns its offset or -ENOSPC.
 */
int pci_func_add_cap(struct pci_func *f, uint8_t id, uint8_t len);

/*
 * Puts f in the next free slot of bus 0 and gives its BARs addresses in the
 * platform windows. The BARs start unmapped (memory decode off) as after
 * reset; the guest enables decode. 0 or -errno.
 */
int pci_register_func(struct vm *vm, struct pci_func *f);
void pci_unregister_func(struct vm *vm, struct pci_func *f);

/* Little-endian config-space accessors for building and reading capabilities. */
static inline void pci_cfg_set16(struct pci_func *f, uint32_t off, uint16_t v)
{
	f->cfg[off] = v & 0xff;
	f->cfg[off + 1] = v >> 8;
}

static inline void pci_cfg_set32(struct pci_func *f, uint32_t off, uint32_t v)
{
	pci_cfg_set16(f, off, v & 0xffff);
	pci_cfg_set16(f, off + 2, v >> 16);
}

static inline uint16_t pci_cfg_get16(const struct pci_func *f, uint32_t off)
{
	return (uint16_t)(f->cfg[off] | f->cfg[off + 1] << 8);
}

static inline uint32_t pci_cfg_get32(const struct pci_func *f, uint32_t off)
{
	return pci_cfg_get16(f, off) | (uint32_t)pci_cfg_get16(f, off + 2) << 16;
}

/* Used by the bus (pci.c): config space access and teardown of one function. */
void pci_func_config_read(struct pci_func *f, uint32_t reg, uint8_t *data, uint32_t len);
void pci_func_config_write(struct pci_func *f, uint32_t reg, const uint8_t *data, uint32_t len);
void pci_func_unmap_all(struct pci_func *f);

/* The function in slot devfn, or NULL. */
struct pci_func *pci_func_at(struct vm *vm, uint8_t devfn);

/* For tests and the config mechanisms: one access to function devfn's config space. */
void pci_config_access(struct vm *vm, uint8_t devfn, uint32_t reg, uint8_t *data, uint32_t len,
		       bool is_write);

#endif
