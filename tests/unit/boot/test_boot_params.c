// SPDX-License-Identifier: Apache-2.0
/* e820 layout, initrd placement, zero page and PVH start info. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/boot_image.h"
#include "arch/x86/layout.h"
#include "synth_kernel.h"

static uint8_t kernel[16384];
static uint8_t page[BP_SIZE];

static void assert_entry(const struct e820_entry *e, uint64_t addr, uint64_t size, uint32_t type)
{
	assert_int_equal(e->addr, addr);
	assert_int_equal(e->size, size);
	assert_int_equal(e->type, type);
}

static void test_e820_small_ram(void **state)
{
	struct e820_entry m[16];

	(void)state;
	assert_int_equal(boot_e820_build(MiB(512), m, 16), 5);
	assert_entry(&m[0], 0, EBDA_START, E820_RAM);
	assert_entry(&m[1], EBDA_START, 0xa0000 - EBDA_START, E820_RESERVED);
	assert_entry(&m[2], 0xe0000, 0x20000, E820_RESERVED);
	assert_entry(&m[3], MiB(1), MiB(511), E820_RAM);
	assert_entry(&m[4], PCI_ECAM_BASE, PCI_ECAM_SIZE, E820_RESERVED);
}

static void test_e820_large_ram_splits_at_the_hole(void **state)
{
	struct e820_entry m[16];

	(void)state;
	assert_int_equal(boot_e820_build(GiB(6), m, 16), 6);
	assert_entry(&m[3], MiB(1), RAM_LOW_MAX - MiB(1), E820_RAM);
	assert_entry(&m[5], RAM_HIGH_START, GiB(4), E820_RAM);
	/* Exactly the low maximum: no high entry. */
	assert_int_equal(boot_e820_build(RAM_LOW_MAX, m, 16), 5);
	assert_int_equal(m[3].addr + m[3].size, RAM_LOW_MAX);
}

static void test_e820_respects_max(void **state)
{
	struct e820_entry m[2];

	(void)state;
	assert_int_equal(boot_e820_build(GiB(6), m, 2), 2);
}

static void bzimage_image(struct kernel_image *img)
{
	char err[128];

	synth_bzimage(kernel, sizeof(kernel), 0x020f, XLF_KERNEL_64);
	assert_int_equal(kernel_image_parse(kernel, sizeof(kernel), KERNEL_LOAD_ADDR, img, err,
					    sizeof(err)),
			 0);
}

static void test_initrd_goes_high_and_aligned(void **state)
{
	struct kernel_image img;
	uint64_t addr = 0;

	(void)state;
	bzimage_image(&img);
	assert_int_equal(boot_initrd_place(&img, GiB(1), 10000000, &addr), 0);
	assert_int_equal(addr % 4096, 0);
	assert_true(addr + 10000000 <= GiB(1));
	assert_true(addr + 10000000 > GiB(1) - 4096);
	/* Large RAM: still below the low RAM end. */
	assert_int_equal(boot_initrd_place(&img, GiB(8), MiB(4), &addr), 0);
	assert_int_equal(addr, RAM_LOW_MAX - MiB(4));
}

static void test_initrd_respects_initrd_addr_max(void **state)
{
	struct kernel_image img;
	uint64_t addr = 0;

	(void)state;
	bzimage_image(&img);
	img.initrd_addr_max = 0x37ffffff;
	assert_int_equal(boot_initrd_place(&img, GiB(2), MiB(16), &addr), 0);
	assert_int_equal(addr, 0x38000000 - MiB(16));
}

static void test_initrd_too_large(void **state)
{
	struct kernel_image img;
	uint64_t addr = 0;

	(void)state;
	bzimage_image(&img);
	/* The kernel needs up to pref_address + init_size = 48 MiB. */
	assert_int_equal(boot_initrd_place(&img, MiB(64), MiB(17), &addr), -ENOSPC);
	assert_int_equal(boot_initrd_place(&img, MiB(64), MiB(16), &addr), 0);
	assert_int_equal(addr, MiB(48));
	assert_int_equal(boot_initrd_place(&img, MiB(64), UINT64_MAX, &addr), -ENOSPC);
}

static const struct boot_info info = {
	.ram_bytes = GiB(3),
	.cmdline_addr = BOOT_CMDLINE_ADDR,
	.cmdline_len = 20,
	.initrd_addr = 0x7f000000,
	.initrd_size = 0x123456,
	.rsdp_addr = ACPI_TABLES_ADDR,
};

static void test_zero_page_bzimage(void **state)
{
	struct kernel_image img;

	(void)state;
	bzimage_image(&img);
	memset(page, 0xaa, sizeof(page));
	boot_zero_page_build(page, kernel, &img, &info);
	assert_int_equal(le16(page + HDR_VERSION), 0x020f);      /* copied header */
	assert_int_equal(le64(page + HDR_PREF_ADDRESS), 0x1000000);
	assert_int_equal(page[HDR_TYPE_OF_LOADER], 0xff);
	assert_true(page[HDR_LOADFLAGS] & LOADFLAG_LOADED_HIGH);
	assert_true(page[HDR_LOADFLAGS] & LOADFLAG_CAN_USE_HEAP);
	assert_int_equal(le32(page + HDR_CMD_LINE_PTR), BOOT_CMDLINE_ADDR);
	assert_int_equal(le32(page + BP_EXT_CMD_LINE_PTR), 0);
	assert_int_equal(le32(page + HDR_RAMDISK_IMAGE), 0x7f000000);
	assert_int_equal(le32(page + HDR_RAMDISK_SIZE), 0x123456);
	assert_int_equal(le64(page + BP_ACPI_RSDP_ADDR), ACPI_TABLES_ADDR);
	assert_int_equal(page[BP_E820_ENTRIES], 6);
	assert_int_equal(le64(page + BP_E820_TABLE + 5 * 20), RAM_HIGH_START);
	assert_int_equal(le64(page + BP_E820_TABLE + 5 * 20 + 8), GiB(1));
	assert_int_equal(le32(page + BP_E820_TABLE + 5 * 20 + 16), E820_RAM);
	assert_int_equal(page[0x290], 0); /* nothing copied past the header area */
	assert_int_equal(page[0], 0);
}

static void test_zero_page_elf_has_synthetic_header(void **state)
{
	struct kernel_image img = { .format = KERNEL_ELF };

	(void)state;
	boot_zero_page_build(page, NULL, &img, &info);
	assert_int_equal(le16(page + HDR_BOOT_FLAG), 0xaa55);
	assert_int_equal(le32(page + HDR_HEADER), HDR_MAGIC);
	assert_int_equal(le32(page + HDR_CMD_LINE_PTR), BOOT_CMDLINE_ADDR);
	assert_int_equal(page[BP_E820_ENTRIES], 6);
}

static void test_pvh_start_info(void **state)
{
	uint8_t buf[4096];
	const uint64_t base = BOOT_PVH_START_INFO;

	(void)state;
	assert_int_equal(boot_pvh_build(buf, sizeof(buf), base, &info), 96 + 6 * 24);
	assert_int_equal(le32(buf), HVM_START_MAGIC);
	assert_int_equal(le32(buf + 4), 1);
	assert_int_equal(le32(buf + 12), 1); /* nr_modules: the initrd */
	assert_int_equal(le64(buf + 16), base + 64);
	assert_int_equal(le64(buf + 24), BOOT_CMDLINE_ADDR);
	assert_int_equal(le64(buf + 32), ACPI_TABLES_ADDR);
	assert_int_equal(le64(buf + 40), base + 96);
	assert_int_equal(le32(buf + 48), 6);
	assert_int_equal(le64(buf + 64), 0x7f000000);
	assert_int_equal(le64(buf + 72), 0x123456);
	assert_int_equal(le64(buf + 96), 0);
	assert_int_equal(le64(buf + 96 + 8), EBDA_START);
	assert_int_equal(le32(buf + 96 + 16), E820_RAM);
	assert_int_equal(boot_pvh_build(buf, 100, base, &info), -ENOSPC);
}

static void test_pvh_without_initrd(void **state)
{
	uint8_t buf[4096];
	struct boot_info i = info;

	(void)state;
	i.initrd_size = 0;
	assert_true(boot_pvh_build(buf, sizeof(buf), 0x6000, &i) > 0);
	assert_int_equal(le32(buf + 12), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_e820_small_ram),
		cmocka_unit_test(test_e820_large_ram_splits_at_the_hole),
		cmocka_unit_test(test_e820_respects_max),
		cmocka_unit_test(test_initrd_goes_high_and_aligned),
		cmocka_unit_test(test_initrd_respects_initrd_addr_max),
		cmocka_unit_test(test_initrd_too_large),
		cmocka_unit_test(test_zero_page_bzimage),
		cmocka_unit_test(test_zero_page_elf_has_synthetic_header),
		cmocka_unit_test(test_pvh_start_info),
		cmocka_unit_test(test_pvh_without_initrd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
