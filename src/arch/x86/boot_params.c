// SPDX-License-Identifier: Apache-2.0
/* The e820 map, initrd placement, zero page and PVH start info (boot_image.h). */
#include <errno.h>
#include <string.h>

#include "arch/x86/boot_image.h"
#include "arch/x86/layout.h"
#include "arch/x86/le.h"

#define PAGE_SIZE        4096ULL
#define LOADER_TYPE_UNDEFINED 0xff
#define HEAP_END_PTR     0xfe00 /* only read by the real-mode setup code we skip */

uint64_t boot_low_ram_end(uint64_t ram_bytes)
{
	return ram_bytes < RAM_LOW_MAX ? ram_bytes : RAM_LOW_MAX;
}

static void add(struct e820_entry *out, unsigned int max, unsigned int *n, uint64_t addr,
		uint64_t end, uint32_t type)
{
	if (end > addr && *n < max)
		out[(*n)++] = (struct e820_entry){ addr, end - addr, type };
}

unsigned int boot_e820_build(uint64_t ram_bytes, struct e820_entry *out, unsigned int max)
{
	uint64_t low_end = boot_low_ram_end(ram_bytes);
	unsigned int n = 0;

	/* Conventional memory up to the EBDA, which firmware traditionally owns. */
	add(out, max, &n, 0, low_end < EBDA_START ? low_end : EBDA_START, E820_RAM);
	add(out, max, &n, EBDA_START, 0xa0000, E820_RESERVED);
	/* The BIOS area holds the ACPI tables (RSDP at ACPI_TABLES_ADDR). */
	add(out, max, &n, BIOS_ROM_START, BIOS_ROM_END, E820_RESERVED);
	add(out, max, &n, BIOS_ROM_END, low_end, E820_RAM);
	/* Linux trusts MMCONFIG only when the ECAM is reserved. */
	add(out, max, &n, PCI_ECAM_BASE, PCI_ECAM_BASE + PCI_ECAM_SIZE, E820_RESERVED);
	if (ram_bytes > low_end)
		add(out, max, &n, RAM_HIGH_START, RAM_HIGH_START + (ram_bytes - low_end),
		    E820_RAM);
	return n;
}

int boot_initrd_place(const struct kernel_image *img, uint64_t ram_bytes, uint64_t initrd_size,
		      uint64_t *addr)
{
	uint64_t top = boot_low_ram_end(ram_bytes);
	uint64_t kernel_end = (kernel_image_end(img) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);

	if (img->format == KERNEL_BZIMAGE && (uint64_t)img->initrd_addr_max + 1 < top)
		top = (uint64_t)img->initrd_addr_max + 1;
	if (initrd_size > top)
		return -ENOSPC;

	uint64_t start = (top - initrd_size) & ~(PAGE_SIZE - 1);

	if (start < kernel_end)
		return -ENOSPC;
	*addr = start;
	return 0;
}

static void synthesise_header(uint8_t *zp)
{
	/* What a vmlinux entered at startup_64 reads: it has no header of its own. */
	put_le16(zp + HDR_BOOT_FLAG, 0xaa55);
	put_le32(zp + HDR_HEADER, HDR_MAGIC);
	put_le16(zp + HDR_VERSION, BZ_MIN_VERSION);
	put_le32(zp + HDR_KERNEL_ALIGNMENT, 0x1000000);
	put_le32(zp + HDR_INITRD_ADDR_MAX, 0x7fffffff);
}

void boot_zero_page_build(uint8_t *zp, const uint8_t *kernel, const struct kernel_image *img,
			  const struct boot_info *info)
{
	struct e820_entry map[BP_E820_MAX];
	unsigned int n = boot_e820_build(info->ram_bytes, map, BP_E820_MAX);

	memset(zp, 0, BP_SIZE);
	if (img->format == KERNEL_BZIMAGE)
		memcpy(zp + BP_HDR, kernel + BP_HDR, img->hdr_end - BP_HDR);
	else
		synthesise_header(zp);

	zp[HDR_TYPE_OF_LOADER] = LOADER_TYPE_UNDEFINED;
	zp[HDR_LOADFLAGS] |= LOADFLAG_LOADED_HIGH | LOADFLAG_CAN_USE_HEAP;
	put_le16(zp + HDR_HEAP_END_PTR, HEAP_END_PTR);
	put_le32(zp + HDR_CMD_LINE_PTR, (uint32_t)info->cmdline_addr);
	put_le32(zp + BP_EXT_CMD_LINE_PTR, (uint32_t)(info->cmdline_addr >> 32));
	put_le32(zp + HDR_RAMDISK_IMAGE, (uint32_t)info->initrd_addr);
	put_le32(zp + BP_EXT_RAMDISK_IMAGE, (uint32_t)(info->initrd_addr >> 32));
	put_le32(zp + HDR_RAMDISK_SIZE, (uint32_t)info->initrd_size);
	put_le32(zp + BP_EXT_RAMDISK_SIZE, (uint32_t)(info->initrd_size >> 32));
	put_le64(zp + BP_ACPI_RSDP_ADDR, info->rsdp_addr);

	zp[BP_E820_ENTRIES] = (uint8_t)n;
	for (unsigned int i = 0; i < n; i++) {
		uint8_t *e = zp + BP_E820_TABLE + i * 20;

		put_le64(e, map[i].addr);
		put_le64(e + 8, map[i].size);
		put_le32(e + 16, map[i].type);
	}
}

int boot_pvh_build(uint8_t *buf, size_t buflen, uint64_t base, const struct boot_info *info)
{
	struct e820_entry map[BP_E820_MAX];
	unsigned int n = boot_e820_build(info->ram_bytes, map, BP_E820_MAX);
	size_t modlist = 64; /* after the 56-byte start info, aligned */
	size_t memmap = modlist + HVM_MODLIST_ENTRY_SIZE;
	size_t used = memmap + (size_t)n * HVM_MEMMAP_ENTRY_SIZE;

	if (used > buflen)
		return -ENOSPC;
	memset(buf, 0, used);
	put_le32(buf, HVM_START_MAGIC);
	put_le32(buf + 4, 1); /* version 1: has the memory map */
	put_le32(buf + 12, info->initrd_size ? 1 : 0);
	put_le64(buf + 16, base + modlist);
	put_le64(buf + 24, info->cmdline_addr);
	put_le64(buf + 32, info->rsdp_addr);
	put_le64(buf + 40, base + memmap);
	put_le32(buf + 48, n);

	put_le64(buf + modlist, info->initrd_addr);
	put_le64(buf + modlist + 8, info->initrd_size);

	for (unsigned int i = 0; i < n; i++) {
		uint8_t *e = buf + memmap + (size_t)i * HVM_MEMMAP_ENTRY_SIZE;

		put_le64(e, map[i].addr);
		put_le64(e + 8, map[i].size);
		put_le32(e + 16, map[i].type);
	}
	return (int)used;
}
