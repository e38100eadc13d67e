/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Guest interrupts: IOAPIC lines and MSI routes through KVM's GSI routing
 * table, and irqfds so that device threads inject without a vCPU exit.
 * irq.c owns the whole routing table (KVM_SET_GSI_ROUTING replaces it), so
 * the default IOAPIC pin routes are kept alongside the MSI ones.
 */
#ifndef VFKIT_IRQ_H
#define VFKIT_IRQ_H

#include <stdbool.h>
#include <stdint.h>

struct vm;

/* Sets an IOAPIC pin (legacy devices: COM1, RTC, SCI). Thread-safe. */
int irq_line(struct vm *vm, unsigned int gsi, bool level);
/* Pulses an edge-triggered pin. */
int irq_pulse(struct vm *vm, unsigned int gsi);

/* Allocates a GSI routed to the MSI (addr, data); returns gsi >= 0 or -errno. */
int irq_msi_alloc(struct vm *vm, uint64_t addr, uint32_t data);
/* Re-targets an allocated MSI route (guest rewrote an MSI-X entry). */
int irq_msi_update(struct vm *vm, int gsi, uint64_t addr, uint32_t data);
void irq_msi_free(struct vm *vm, int gsi);

/* Binds (or unbinds) an eventfd: a write to it injects gsi. */
int irq_irqfd(struct vm *vm, int gsi, int eventfd, bool assign);
/* Injects an MSI directly (KVM_SIGNAL_MSI), for paths without an irqfd. */
int irq_signal_msi(struct vm *vm, uint64_t addr, uint32_t data);

#endif
