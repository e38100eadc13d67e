/* SPDX-License-Identifier: Apache-2.0 */
/* The boot vCPU's state for direct kernel entry: GDT, page tables, registers. */
#ifndef VFKIT_X86_BOOT_REGS_H
#define VFKIT_X86_BOOT_REGS_H

#include <stdint.h>

struct vm;

enum boot_entry_mode {
	BOOT_ENTRY_64,    /* long mode, identity-mapped first 4 GiB, rsi = zero page */
	BOOT_ENTRY_PVH32, /* flat 32-bit protected mode, paging off, ebx = start info */
};

/* Writes the GDT (and page tables) to guest RAM and sets vCPU 0's registers. */
int boot_setup_regs(struct vm *vm, enum boot_entry_mode mode, uint64_t entry, uint64_t arg);

#endif
