/* SPDX-License-Identifier: Apache-2.0 */
/* State shared by kvm.c, vcpu.c and irq.c; nothing outside vmm/ includes this. */
#ifndef VFKIT_KVM_INTERNAL_H
#define VFKIT_KVM_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>

struct vm;

/* GSIs 0-23 are the IOAPIC pins; MSI routes are allocated from here up. */
#define IRQ_MSI_GSI_BASE 24
#define IRQ_MSI_MAX      1024

struct msi_route {
	bool used;
	uint64_t addr;
	uint32_t data;
};

struct kvm_state {
	/* irq.c: the MSI part of the GSI routing table, GSI = IRQ_MSI_GSI_BASE + index. */
	pthread_mutex_t irq_lock;
	struct msi_route msi[IRQ_MSI_MAX];
	unsigned int msi_limit; /* what KVM's routing table can hold beyond the pins */

	/* kvm.c: kvmclock saved at pause, restored at resume. */
	bool clock_saved;
	struct kvm_clock_data clock;
};

/* irq.c: installs the default routing table (IOAPIC/PIC pins). */
int irq_init(struct vm *vm);

#endif
