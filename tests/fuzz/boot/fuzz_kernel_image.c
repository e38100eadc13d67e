// SPDX-License-Identifier: Apache-2.0
/*
 * Kernel image parsers (bzImage setup header, ELF64 program headers and PVH
 * note) and what is built from a parsed image: the zero page, the initrd
 * placement. The file is user input; a parse that succeeds must describe only
 * bytes inside the file.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arch/x86/boot_image.h"
#include "arch/x86/layout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t zp[BP_SIZE];
	struct kernel_image img;
	char err[256];

	if (kernel_image_parse(data, size, KERNEL_LOAD_ADDR, &img, err, sizeof(err)) < 0) {
		if (strnlen(err, sizeof(err)) == 0)
			__builtin_trap(); /* every refusal says why */
		return 0;
	}
	for (unsigned int i = 0; i < img.nsegs; i++) {
		const struct kernel_segment *s = &img.segs[i];

		if (s->offset > size || s->filesz > size - s->offset || s->filesz > s->memsz)
			__builtin_trap();
	}
	if (img.format == KERNEL_BZIMAGE && (img.hdr_end > size || img.hdr_end > BP_HDR_END_MAX))
		__builtin_trap();

	struct boot_info info = {
		.ram_bytes = GiB(1),
		.cmdline_addr = BOOT_CMDLINE_ADDR,
		.initrd_size = size,
	};

	if (boot_initrd_place(&img, info.ram_bytes, info.initrd_size, &info.initrd_addr) == 0 &&
	    (info.initrd_addr < kernel_image_end(&img) ||
	     info.initrd_addr + info.initrd_size > info.ram_bytes))
		__builtin_trap();
	boot_zero_page_build(zp, data, &img, &info);
	return 0;
}
