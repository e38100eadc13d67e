/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An in-process stand-in for a guest: a struct vm with real guest RAM, buses
 * and PCI bus 0 (no KVM), fake interrupt delivery that counts MSIs, and a
 * small virtio-pci driver that talks to devices only through config space
 * and MMIO, the way a guest kernel would.
 */
#ifndef FAKE_VM_H
#define FAKE_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/vm.h"

#define FAKE_RAM_SIZE (64ULL << 20)

/* MSIs seen per data value (we program vector i with data i). */
extern unsigned int fake_msi_count[256];
/* When true, irq_msi_alloc/irq_irqfd succeed and deliveries go to eventfds. */
extern bool fake_irq_use_irqfd;
/* Reads and clears the irqfd counter of the route whose data is vec (irqfd mode). */
uint64_t fake_irqfd_take(unsigned int vec);

void fake_vm_init(struct vm *vm, struct vm_config *cfg);
void fake_vm_free(struct vm *vm);

struct fq {
	uint16_t size;
	uint64_t desc, avail, used;
	uint16_t avail_idx;
	uint16_t last_used;
	uint16_t next_desc;
};

struct fdrv {
	struct vm *vm;
	unsigned int slot;
	uint64_t bar4;
	uint32_t common, notify, isr, devcfg;
	uint32_t notify_mult;
	unsigned int num_queues;
	uint64_t features; /* negotiated */
	struct fq q[8];
	uint64_t next_gpa; /* bump allocator in guest RAM */
};

uint32_t pci_cfg_rd(struct vm *vm, unsigned int slot, uint32_t reg, uint32_t len);
void pci_cfg_wr(struct vm *vm, unsigned int slot, uint32_t reg, uint32_t val, uint32_t len);
uint64_t mmio_rd(struct vm *vm, uint64_t addr, uint32_t len);
void mmio_wr(struct vm *vm, uint64_t addr, uint64_t val, uint32_t len);

/* Finds the capabilities, enables decode and MSI-X (vector i -> data i). 0 or -1. */
int fdrv_probe(struct fdrv *d, struct vm *vm, unsigned int slot);
uint64_t fdrv_device_features(struct fdrv *d);
/* Full init: negotiates want & offered, sets up nq queues of qsize; returns the status read back.
 */
uint8_t fdrv_init(struct fdrv *d, uint64_t want, unsigned int nq, uint16_t qsize);
uint8_t fdrv_status(struct fdrv *d);
void fdrv_reset(struct fdrv *d);

uint64_t galloc(struct fdrv *d, uint64_t size);
void *gptr(struct fdrv *d, uint64_t gpa, uint64_t len);

struct fbuf {
	uint64_t gpa;
	uint32_t len;
	bool write;
};

/* Writes a chain of descriptors and makes it available. Returns the head. */
uint16_t fdrv_add_chain(struct fdrv *d, unsigned int q, const struct fbuf *b, unsigned int n);
/* Raw descriptor and avail access, for malformed rings. */
void fdrv_set_desc(struct fdrv *d, unsigned int q, uint16_t i, uint64_t addr, uint32_t len,
		   uint16_t flags, uint16_t next);
void fdrv_push_avail(struct fdrv *d, unsigned int q, uint16_t head);
void fdrv_kick(struct fdrv *d, unsigned int q);
/* 1 and the element if the device used one since the last call, else 0. */
int fdrv_get_used(struct fdrv *d, unsigned int q, uint32_t *id, uint32_t *len);
uint8_t fdrv_devcfg8(struct fdrv *d, uint32_t off);
uint32_t fdrv_devcfg32(struct fdrv *d, uint32_t off);

#endif
