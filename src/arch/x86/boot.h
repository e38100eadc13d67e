/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Direct Linux boot: bzImage (the boot protocol, 64-bit entry) and
 * uncompressed ELF vmlinux (PVH note or 64-bit entry), initrd, command line,
 * e820 map, and the boot vCPU's registers.
 */
#ifndef VFKIT_X86_BOOT_H
#define VFKIT_X86_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

struct vm;

/*
 * Checks that the kernel and initrd exist, are readable and look like what
 * they claim (bzImage header or ELF x86-64 executable; initrd non-empty and
 * not larger than the guest can hold). Needs no KVM, so --dry-run uses it.
 * 0, or -1 with a one-line message naming the option and file in err.
 */
int boot_check_linux(const struct boot_config *boot, uint64_t memory_bytes, char *err,
		     size_t errlen);

/* Loads everything into guest RAM and sets up vCPU 0. 0, or -1 after logging. */
int boot_load_linux(struct vm *vm);

#endif
