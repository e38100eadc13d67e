/* SPDX-License-Identifier: Apache-2.0 */
/*
 * MSI-X for one PCI function: the capability, a BAR holding the vector
 * table and the pending-bit array, and delivery through KVM GSI routes with
 * one irqfd per vector (so device threads interrupt without a vCPU exit).
 * Masked vectors collect a pending bit that fires on unmask.
 */
#ifndef VFKIT_PCI_MSIX_H
#define VFKIT_PCI_MSIX_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct pci_func;

#define MSIX_MAX_VECTORS 128
#define MSIX_NO_VECTOR	 0xffff

struct msix_entry {
	uint32_t addr_lo, addr_hi, data, ctrl;
};

struct msix_vector {
	int gsi;    /* -1 until first delivery */
	int efd;    /* irqfd bound to gsi, -1 if none */
	bool dirty; /* the entry changed since the route was programmed */
};

struct msix {
	struct pci_func *f;
	int cap; /* config-space offset of the capability */
	unsigned int nvec;
	pthread_mutex_t lock;
	bool enabled, func_masked;
	struct msix_entry table[MSIX_MAX_VECTORS];
	uint64_t pending[MSIX_MAX_VECTORS / 64];
	struct msix_vector vec[MSIX_MAX_VECTORS];
};

/* Adds the capability and a 32-bit memory BAR (table at 0, PBA at 2 KiB). */
int msix_init(struct msix *m, struct pci_func *f, unsigned int nvec, unsigned int bar);
void msix_destroy(struct msix *m);

/* Forward the function's config writes here (enable and function-mask bits). */
void msix_config_write(struct msix *m, uint32_t offset, uint32_t len);

/* Raises vector vec (any thread); out-of-range or MSIX_NO_VECTOR is ignored. */
void msix_notify(struct msix *m, unsigned int vec);
/* true if MSI-X is enabled by the guest. */
bool msix_enabled(struct msix *m);

#endif
