// SPDX-License-Identifier: Apache-2.0
/* Kernel image parsers: bzImage setup header and ELF64 vmlinux (boot_image.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "arch/x86/boot_image.h"
#include "arch/x86/le.h"

#define ELF_HDR_SIZE     64
#define ELF_PHDR_SIZE    56
#define ELF_MAX_PHDRS    64
#define ELFCLASS64       2
#define ELFDATA2LSB      1
#define ET_EXEC          2
#define EM_X86_64        62
#define PT_LOAD          1
#define PT_NOTE          4
/* Nothing a guest can address lies above the 52-bit physical address limit. */
#define PADDR_LIMIT      (1ULL << 52)

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static bool is_bzimage(const uint8_t *buf, size_t len)
{
	return len >= HDR_HEADER + 4 && le16(buf + HDR_BOOT_FLAG) == 0xaa55 &&
	       le32(buf + HDR_HEADER) == HDR_MAGIC;
}

static bool is_elf(const uint8_t *buf, size_t len)
{
	return len >= 4 && memcmp(buf, "\x7f" "ELF", 4) == 0;
}

static int parse_bzimage(const uint8_t *buf, size_t len, uint64_t load_addr,
			 struct kernel_image *img, char *err, size_t errlen)
{
	img->format = KERNEL_BZIMAGE;
	if (len < HDR_VERSION + 2)
		return fail(err, errlen, "truncated bzImage (setup header)");
	img->version = le16(buf + HDR_VERSION);
	if (img->version < BZ_MIN_VERSION)
		return fail(err, errlen, "bzImage boot protocol %u.%02u is too old (need 2.12)",
			    img->version >> 8, img->version & 0xff);

	/* The header's own length: the jump at 0x200 skips over it. */
	size_t hdr_end = (size_t)HDR_JUMP + 2 + buf[HDR_JUMP + 1];

	if (hdr_end > BP_HDR_END_MAX)
		hdr_end = BP_HDR_END_MAX;
	if (hdr_end < HDR_INIT_SIZE + 4)
		return fail(err, errlen, "bzImage setup header is too short");
	if (len < hdr_end)
		return fail(err, errlen, "truncated bzImage (setup header)");
	img->hdr_end = hdr_end;
	img->loadflags = buf[HDR_LOADFLAGS];
	img->xloadflags = le16(buf + HDR_XLOADFLAGS);
	img->initrd_addr_max = le32(buf + HDR_INITRD_ADDR_MAX);
	img->cmdline_size = le32(buf + HDR_CMDLINE_SIZE);
	img->init_size = le32(buf + HDR_INIT_SIZE);
	img->pref_address = le64(buf + HDR_PREF_ADDRESS);
	if (!(img->xloadflags & XLF_KERNEL_64))
		return fail(err, errlen, "bzImage has no 64-bit entry point");
	if (!(img->loadflags & LOADFLAG_LOADED_HIGH))
		return fail(err, errlen, "bzImage is not a protected-mode (high) kernel");
	if (img->pref_address >= PADDR_LIMIT)
		return fail(err, errlen, "bzImage preferred address 0x%llx is out of range",
			    (unsigned long long)img->pref_address);

	unsigned int sects = buf[HDR_SETUP_SECTS] ? buf[HDR_SETUP_SECTS] : 4;
	size_t setup = ((size_t)sects + 1) * 512;

	if (len <= setup)
		return fail(err, errlen, "truncated bzImage (no protected-mode kernel)");
	/* A cut-off download would otherwise boot into garbage and triple fault. */
	if ((uint64_t)le32(buf + HDR_SYSSIZE) * 16 > len - setup)
		return fail(err, errlen, "truncated bzImage (kernel is %llu bytes, file has %zu)",
			    (unsigned long long)le32(buf + HDR_SYSSIZE) * 16, len - setup);
	img->segs[0] = (struct kernel_segment){
		.offset = setup,
		.filesz = len - setup,
		.paddr = load_addr,
		.memsz = len - setup,
	};
	img->nsegs = 1;
	return 0;
}

/* Looks for the PVH entry note in [off, off+size) of the file. */
static void parse_notes(const uint8_t *buf, uint64_t off, uint64_t size, struct kernel_image *img)
{
	uint64_t pos = 0;

	while (size - pos >= 12) {
		const uint8_t *n = buf + off + pos;
		uint64_t namesz = le32(n), descsz = le32(n + 4);
		uint32_t type = le32(n + 8);
		uint64_t name_pad = (namesz + 3) & ~3ULL, desc_pad = (descsz + 3) & ~3ULL;

		if (name_pad > size - pos - 12 || desc_pad > size - pos - 12 - name_pad)
			return;
		const uint8_t *name = n + 12, *desc = name + name_pad;

		if (namesz == 4 && memcmp(name, "Xen", 4) == 0 &&
		    type == XEN_ELFNOTE_PHYS32_ENTRY && descsz >= 4) {
			uint64_t entry = descsz >= 8 ? le64(desc) : le32(desc);

			if (entry <= UINT32_MAX) {
				img->has_pvh = true;
				img->pvh_entry = (uint32_t)entry;
			}
		}
		pos += 12 + name_pad + desc_pad;
	}
}

static bool segs_overlap(const struct kernel_segment *a, const struct kernel_segment *b)
{
	return a->paddr < b->paddr + b->memsz && b->paddr < a->paddr + a->memsz;
}

static bool addr_in_segment(const struct kernel_image *img, uint64_t addr)
{
	for (unsigned int i = 0; i < img->nsegs; i++)
		if (addr >= img->segs[i].paddr && addr - img->segs[i].paddr < img->segs[i].memsz)
			return true;
	return false;
}

static int add_load_segment(const uint8_t *ph, size_t len, struct kernel_image *img, char *err,
			    size_t errlen)
{
	struct kernel_segment s = {
		.offset = le64(ph + 8),
		.paddr = le64(ph + 24),
		.filesz = le64(ph + 32),
		.memsz = le64(ph + 40),
	};

	if (s.memsz == 0)
		return 0;
	if (s.offset > len || s.filesz > len - s.offset)
		return fail(err, errlen, "truncated ELF (segment data beyond end of file)");
	if (s.filesz > s.memsz)
		return fail(err, errlen, "invalid ELF segment (file size larger than memory size)");
	if (s.paddr >= PADDR_LIMIT || s.memsz > PADDR_LIMIT - s.paddr)
		return fail(err, errlen, "ELF segment at 0x%llx is out of range",
			    (unsigned long long)s.paddr);
	if (img->nsegs == KERNEL_MAX_SEGMENTS)
		return fail(err, errlen, "ELF has more than %d loadable segments",
			    KERNEL_MAX_SEGMENTS);
	for (unsigned int i = 0; i < img->nsegs; i++)
		if (segs_overlap(&img->segs[i], &s))
			return fail(err, errlen, "ELF segments overlap at 0x%llx",
				    (unsigned long long)s.paddr);
	img->segs[img->nsegs++] = s;
	return 0;
}

static int parse_elf(const uint8_t *buf, size_t len, struct kernel_image *img, char *err,
		     size_t errlen)
{
	img->format = KERNEL_ELF;
	if (len < ELF_HDR_SIZE)
		return fail(err, errlen, "truncated ELF (header)");
	if (buf[4] != ELFCLASS64 || buf[5] != ELFDATA2LSB || le16(buf + 18) != EM_X86_64)
		return fail(err, errlen, "not a Linux kernel (ELF file is not for x86-64)");
	if (le16(buf + 16) != ET_EXEC)
		return fail(err, errlen, "not a Linux kernel (ELF file is not an executable)");

	uint64_t phoff = le64(buf + 32);
	unsigned int phentsize = le16(buf + 54), phnum = le16(buf + 56);

	if (phentsize != ELF_PHDR_SIZE || phnum == 0 || phnum > ELF_MAX_PHDRS)
		return fail(err, errlen, "invalid ELF program header table");
	if (phoff > len || (uint64_t)phnum * ELF_PHDR_SIZE > len - phoff)
		return fail(err, errlen, "truncated ELF (program headers)");
	img->entry64 = le64(buf + 24);

	for (unsigned int i = 0; i < phnum; i++) {
		const uint8_t *ph = buf + phoff + (uint64_t)i * ELF_PHDR_SIZE;
		uint32_t type = le32(ph);

		if (type == PT_LOAD) {
			if (add_load_segment(ph, len, img, err, errlen) < 0)
				return -1;
		} else if (type == PT_NOTE) {
			uint64_t off = le64(ph + 8), size = le64(ph + 32);

			if (off <= len && size <= len - off)
				parse_notes(buf, off, size, img);
		}
	}
	if (img->nsegs == 0)
		return fail(err, errlen, "ELF has no loadable segments");
	if (img->has_pvh && !addr_in_segment(img, img->pvh_entry))
		img->has_pvh = false;
	if (!img->has_pvh && !addr_in_segment(img, img->entry64))
		return fail(err, errlen, "ELF entry point 0x%llx is outside its segments",
			    (unsigned long long)img->entry64);
	return 0;
}

int kernel_image_parse(const uint8_t *buf, size_t len, uint64_t load_addr,
		       struct kernel_image *img, char *err, size_t errlen)
{
	memset(img, 0, sizeof(*img));
	if (is_bzimage(buf, len))
		return parse_bzimage(buf, len, load_addr, img, err, errlen);
	if (is_elf(buf, len))
		return parse_elf(buf, len, img, err, errlen);
	return fail(err, errlen, "not a Linux kernel (no bzImage header or ELF x86-64 executable)");
}

uint64_t kernel_image_end(const struct kernel_image *img)
{
	uint64_t end = 0;

	for (unsigned int i = 0; i < img->nsegs; i++) {
		uint64_t e = img->segs[i].paddr + img->segs[i].memsz;

		if (e > end)
			end = e;
	}
	if (img->format == KERNEL_BZIMAGE) {
		/*
		 * The decompressor works in [load, load + init_size) and may move
		 * itself to the preferred address first; reserve both.
		 */
		uint64_t load = img->nsegs ? img->segs[0].paddr : 0;
		uint64_t base = img->pref_address > load ? img->pref_address : load;

		if (base + img->init_size > end)
			end = base + img->init_size;
	}
	return end;
}
