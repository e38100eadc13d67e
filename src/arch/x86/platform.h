/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PC around the CPU: COM1, RTC/CMOS, i8042 reset, ACPI PM block with the
 * power button, and the ACPI tables that describe it all.
 */
#ifndef VFKIT_X86_PLATFORM_H
#define VFKIT_X86_PLATFORM_H

#include <stdint.h>

#include "arch/x86/layout.h"

struct vm;

/* Registers the legacy devices on vm->pio (before any vCPU runs). */
int platform_init(struct vm *vm);
void platform_destroy(struct vm *vm);

/* Writes RSDP, XSDT, FADT, DSDT, MADT, MCFG into guest RAM (after all devices exist). */
int platform_build_acpi(struct vm *vm);

/* ACPI power-button press (REST Stop, SIGINT/SIGTERM). Thread-safe. */
void platform_press_power_button(struct vm *vm);

/* Start of the 64-bit PCI MMIO window for a guest of this much RAM. */
static inline uint64_t platform_mmio64_base(uint64_t ram_bytes)
{
	uint64_t high_end = ram_bytes > RAM_LOW_MAX ? RAM_HIGH_START + (ram_bytes - RAM_LOW_MAX)
						    : RAM_HIGH_START;

	return (high_end + PCI_MMIO64_ALIGN - 1) & ~(PCI_MMIO64_ALIGN - 1);
}

#endif
