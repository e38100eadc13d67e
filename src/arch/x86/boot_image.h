/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kernel image parsers and the boot data built from them: the bzImage setup
 * header, ELF vmlinux (program headers, PVH entry note), the e820 map, the
 * zero page (struct boot_params) and the PVH start info.
 *
 * Everything here is a pure function over byte buffers (no KVM, no guest
 * memory), so it is unit-tested and fuzzed directly. The file is untrusted
 * user input: every offset and size is checked before use.
 */
#ifndef VFKIT_X86_BOOT_IMAGE_H
#define VFKIT_X86_BOOT_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Offsets in struct boot_params (Documentation/arch/x86/zero-page.rst, boot.rst). */
#define BP_ACPI_RSDP_ADDR     0x070
#define BP_EXT_RAMDISK_IMAGE  0x0c0
#define BP_EXT_RAMDISK_SIZE   0x0c4
#define BP_EXT_CMD_LINE_PTR   0x0c8
#define BP_E820_ENTRIES       0x1e8
#define BP_HDR                0x1f1 /* setup header: same offsets in the file */
#define BP_HDR_END_MAX        0x290 /* the header area ends where edd_mbr_sig_buffer starts */
#define BP_E820_TABLE         0x2d0
#define BP_E820_MAX           128
#define BP_SIZE               4096

#define HDR_SETUP_SECTS       0x1f1
#define HDR_SYSSIZE           0x1f4 /* protected-mode code size, 16-byte units */
#define HDR_BOOT_FLAG         0x1fe
#define HDR_JUMP              0x200
#define HDR_HEADER            0x202
#define HDR_VERSION           0x206
#define HDR_TYPE_OF_LOADER    0x210
#define HDR_LOADFLAGS         0x211
#define HDR_CODE32_START      0x214
#define HDR_RAMDISK_IMAGE     0x218
#define HDR_RAMDISK_SIZE      0x21c
#define HDR_HEAP_END_PTR      0x224
#define HDR_CMD_LINE_PTR      0x228
#define HDR_INITRD_ADDR_MAX   0x22c
#define HDR_KERNEL_ALIGNMENT  0x230
#define HDR_RELOCATABLE       0x234
#define HDR_XLOADFLAGS        0x236
#define HDR_CMDLINE_SIZE      0x238
#define HDR_PREF_ADDRESS      0x258
#define HDR_INIT_SIZE         0x260

#define HDR_MAGIC             0x53726448 /* "HdrS" */
#define LOADFLAG_LOADED_HIGH  0x01
#define LOADFLAG_CAN_USE_HEAP 0x80
#define XLF_KERNEL_64         0x01
#define BZ_MIN_VERSION        0x020c /* 2.12: xloadflags, 64-bit entry */

#define E820_RAM              1
#define E820_RESERVED         2

/* PVH (xen/include/public/arch-x86/hvm/start_info.h, xen/elfnote.h). */
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC          0x336ec578
#define HVM_START_INFO_SIZE      56
#define HVM_MODLIST_ENTRY_SIZE   32
#define HVM_MEMMAP_ENTRY_SIZE    24

#define KERNEL_MAX_SEGMENTS   16

enum kernel_format {
	KERNEL_BZIMAGE = 1,
	KERNEL_ELF,
};

struct kernel_segment {
	uint64_t offset; /* in the file */
	uint64_t filesz;
	uint64_t paddr;
	uint64_t memsz;
};

struct kernel_image {
	enum kernel_format format;

	/* bzImage */
	uint16_t version;
	uint8_t loadflags;
	uint16_t xloadflags;
	uint32_t initrd_addr_max;
	uint32_t cmdline_size;  /* longest command line the kernel accepts (without NUL) */
	uint32_t init_size;     /* memory the kernel needs from its load address */
	uint64_t pref_address;
	size_t hdr_end;         /* setup header bytes [BP_HDR, hdr_end) of the file */

	/* Both: what gets copied to guest memory. */
	struct kernel_segment segs[KERNEL_MAX_SEGMENTS];
	unsigned int nsegs;

	/* ELF */
	uint64_t entry64;       /* e_entry: physical 64-bit entry (startup_64) */
	bool has_pvh;
	uint32_t pvh_entry;     /* 32-bit protected-mode entry */
};

/*
 * Parses a bzImage or an ELF64 x86-64 executable (the whole file in buf).
 * load_addr: where a bzImage's protected-mode payload goes. 0, or -1 with a
 * reason in err ("not a Linux kernel (...)", "truncated ...").
 */
int kernel_image_parse(const uint8_t *buf, size_t len, uint64_t load_addr,
		       struct kernel_image *img, char *err, size_t errlen);

/* Highest guest-physical byte (exclusive) the kernel occupies or needs. */
uint64_t kernel_image_end(const struct kernel_image *img);

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

/* The guest's memory map for ram_bytes of RAM (layout.h). Returns the count. */
unsigned int boot_e820_build(uint64_t ram_bytes, struct e820_entry *out, unsigned int max);

/* Top of the RAM below 4 GiB (exclusive). */
uint64_t boot_low_ram_end(uint64_t ram_bytes);

/*
 * Where the initrd goes: as high as possible in low RAM, below the kernel's
 * initrd_addr_max, page aligned, above everything the kernel needs.
 * 0 and *addr, or -ENOSPC if it does not fit.
 */
int boot_initrd_place(const struct kernel_image *img, uint64_t ram_bytes, uint64_t initrd_size,
		      uint64_t *addr);

struct boot_info {
	uint64_t ram_bytes;
	uint64_t cmdline_addr;
	uint64_t cmdline_len;   /* without the NUL */
	uint64_t initrd_addr;
	uint64_t initrd_size;   /* 0: none */
	uint64_t rsdp_addr;     /* 0: none (the kernel scans the BIOS area) */
};

/*
 * Fills a zero page (BP_SIZE bytes). For a bzImage the setup header is copied
 * from the file (kernel); for an ELF one is synthesised.
 */
void boot_zero_page_build(uint8_t *zp, const uint8_t *kernel, const struct kernel_image *img,
			  const struct boot_info *info);

/*
 * Fills the PVH start info, module list and memory map into buf, which is
 * placed at guest address base. -ENOSPC if buflen is too small, else the
 * bytes used.
 */
int boot_pvh_build(uint8_t *buf, size_t buflen, uint64_t base, const struct boot_info *info);

#endif
