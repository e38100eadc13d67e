/* SPDX-License-Identifier: Apache-2.0 */
/* Synthetic kernel images for the boot tests: a bzImage header, an ELF64. */
#ifndef VFKIT_TEST_SYNTH_KERNEL_H
#define VFKIT_TEST_SYNTH_KERNEL_H

#include <stdint.h>
#include <string.h>

#include "arch/x86/boot_image.h"
#include "arch/x86/le.h"

/* A bzImage of len bytes: 4 setup sectors + boot sector, protocol `version`. */
static inline size_t synth_bzimage(uint8_t *buf, size_t len, uint16_t version, uint16_t xlf)
{
	memset(buf, 0, len);
	buf[HDR_SETUP_SECTS] = 4;
	put_le16(buf + HDR_BOOT_FLAG, 0xaa55);
	buf[HDR_JUMP] = 0xeb;
	buf[HDR_JUMP + 1] = 0x6a; /* header ends at 0x26c */
	put_le32(buf + HDR_HEADER, HDR_MAGIC);
	put_le16(buf + HDR_VERSION, version);
	buf[HDR_LOADFLAGS] = LOADFLAG_LOADED_HIGH;
	put_le32(buf + HDR_CODE32_START, 0x100000);
	put_le32(buf + HDR_INITRD_ADDR_MAX, 0x7fffffff);
	put_le32(buf + HDR_KERNEL_ALIGNMENT, 0x200000);
	buf[HDR_RELOCATABLE] = 1;
	put_le16(buf + HDR_XLOADFLAGS, xlf);
	put_le32(buf + HDR_CMDLINE_SIZE, 2047);
	put_le64(buf + HDR_PREF_ADDRESS, 0x1000000);
	put_le32(buf + HDR_INIT_SIZE, 0x2000000);
	return len;
}

struct synth_phdr {
	uint32_t type;
	uint64_t offset, paddr, filesz, memsz;
};

/* An ELF64 header + program headers at 64; returns bytes written (header part). */
static inline size_t synth_elf(uint8_t *buf, size_t cap, uint16_t machine, uint64_t entry,
			       const struct synth_phdr *ph, unsigned int nph)
{
	memset(buf, 0, cap);
	memcpy(buf, "\x7f" "ELF", 4);
	buf[4] = 2; /* 64-bit */
	buf[5] = 1; /* little-endian */
	buf[6] = 1;
	put_le16(buf + 16, 2); /* ET_EXEC */
	put_le16(buf + 18, machine);
	put_le32(buf + 20, 1);
	put_le64(buf + 24, entry);
	put_le64(buf + 32, 64);
	put_le16(buf + 52, 64);
	put_le16(buf + 54, 56);
	put_le16(buf + 56, (uint16_t)nph);
	for (unsigned int i = 0; i < nph; i++) {
		uint8_t *p = buf + 64 + i * 56;

		put_le32(p, ph[i].type);
		put_le32(p + 4, 7);
		put_le64(p + 8, ph[i].offset);
		put_le64(p + 16, ph[i].paddr + 0xffffffff80000000ULL);
		put_le64(p + 24, ph[i].paddr);
		put_le64(p + 32, ph[i].filesz);
		put_le64(p + 40, ph[i].memsz);
	}
	return 64 + (size_t)nph * 56;
}

/* A "Xen" PHYS32_ENTRY note with an 8-byte descriptor; 24 bytes at p. */
static inline size_t synth_pvh_note(uint8_t *p, uint64_t entry)
{
	put_le32(p, 4);
	put_le32(p + 4, 8);
	put_le32(p + 8, XEN_ELFNOTE_PHYS32_ENTRY);
	memcpy(p + 12, "Xen", 4);
	put_le64(p + 16, entry);
	return 24;
}

#endif
