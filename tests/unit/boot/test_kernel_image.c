// SPDX-License-Identifier: Apache-2.0
/* Kernel image parsers: synthetic bzImage headers and ELF files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/boot_image.h"
#include "synth_kernel.h"

#define LOAD 0x100000ULL
#define BZ_LEN 16384
#define ELF_LEN 8192

static uint8_t buf[65536];
static char err[256];
static struct kernel_image img;

static int parse(size_t len)
{
	err[0] = 0;
	return kernel_image_parse(buf, len, LOAD, &img, err, sizeof(err));
}

static void assert_err_contains(const char *what)
{
	if (!strstr(err, what))
		fail_msg("error '%s' does not contain '%s'", err, what);
}

static void test_bzimage_valid(void **state)
{
	(void)state;
	synth_bzimage(buf, BZ_LEN, 0x020f, XLF_KERNEL_64);
	assert_int_equal(parse(BZ_LEN), 0);
	assert_int_equal(img.format, KERNEL_BZIMAGE);
	assert_int_equal(img.version, 0x020f);
	assert_int_equal(img.nsegs, 1);
	assert_int_equal(img.segs[0].offset, 5 * 512);
	assert_int_equal(img.segs[0].filesz, BZ_LEN - 5 * 512);
	assert_int_equal(img.segs[0].paddr, LOAD);
	assert_int_equal(img.hdr_end, 0x26c);
	assert_int_equal(img.cmdline_size, 2047);
	/* The decompressor may move to the preferred address and needs init_size there. */
	assert_int_equal(kernel_image_end(&img), 0x1000000 + 0x2000000);
}

static void test_bzimage_zero_setup_sects_means_four(void **state)
{
	(void)state;
	synth_bzimage(buf, BZ_LEN, 0x020f, XLF_KERNEL_64);
	buf[HDR_SETUP_SECTS] = 0;
	assert_int_equal(parse(BZ_LEN), 0);
	assert_int_equal(img.segs[0].offset, 5 * 512);
}

static void test_bzimage_old_protocol(void **state)
{
	(void)state;
	synth_bzimage(buf, BZ_LEN, 0x020a, XLF_KERNEL_64);
	assert_int_equal(parse(BZ_LEN), -1);
	assert_err_contains("2.10 is too old");
}

static void test_bzimage_without_64bit_entry(void **state)
{
	(void)state;
	synth_bzimage(buf, BZ_LEN, 0x020f, 0);
	assert_int_equal(parse(BZ_LEN), -1);
	assert_err_contains("64-bit entry");
}

static void test_bzimage_truncated(void **state)
{
	(void)state;
	synth_bzimage(buf, BZ_LEN, 0x020f, XLF_KERNEL_64);
	assert_int_equal(parse(HDR_VERSION + 1), -1); /* magic present, version cut */
	assert_err_contains("truncated");
	assert_int_equal(parse(0x240), -1); /* header cut short */
	assert_err_contains("truncated");
	assert_int_equal(parse(5 * 512), -1); /* nothing after the setup code */
	assert_err_contains("no protected-mode kernel");
}

static void test_bzimage_cut_off_payload(void **state)
{
	(void)state;
	synth_bzimage(buf, BZ_LEN, 0x020f, XLF_KERNEL_64);
	put_le32(buf + HDR_SYSSIZE, (BZ_LEN - 5 * 512) / 16); /* exactly the payload */
	assert_int_equal(parse(BZ_LEN), 0);
	assert_int_equal(parse(BZ_LEN - 16), -1); /* a download cut short */
	assert_err_contains("truncated bzImage (kernel is");
}

static void test_bzimage_huge_setup_sects(void **state)
{
	(void)state;
	synth_bzimage(buf, BZ_LEN, 0x020f, XLF_KERNEL_64);
	buf[HDR_SETUP_SECTS] = 255; /* 128 KiB of setup code in a 16 KiB file */
	assert_int_equal(parse(BZ_LEN), -1);
	assert_err_contains("truncated");
}

static void test_not_a_kernel(void **state)
{
	(void)state;
	memset(buf, 'x', 4096);
	assert_int_equal(parse(4096), -1);
	assert_string_equal(err, "not a Linux kernel (no bzImage header or ELF x86-64 executable)");
	assert_int_equal(parse(0), -1);
	assert_err_contains("not a Linux kernel");
}

static size_t simple_elf(uint16_t machine, uint64_t entry)
{
	struct synth_phdr ph = { 1, 4096, 0x1000000, 4096, 8192 };

	synth_elf(buf, ELF_LEN, machine, entry, &ph, 1);
	return ELF_LEN;
}

static void test_elf_valid_without_pvh(void **state)
{
	(void)state;
	size_t len = simple_elf(62, 0x1000100);

	assert_int_equal(parse(len), 0);
	assert_int_equal(img.format, KERNEL_ELF);
	assert_false(img.has_pvh);
	assert_int_equal(img.entry64, 0x1000100);
	assert_int_equal(img.nsegs, 1);
	assert_int_equal(kernel_image_end(&img), 0x1000000 + 8192);
}

static void test_elf_pvh_note(void **state)
{
	(void)state;
	struct synth_phdr ph[2] = {
		{ 1, 4096, 0x1000000, 4096, 4096 },
		{ 4, 1024, 0, 24, 24 },
	};

	synth_elf(buf, ELF_LEN, 62, 0x1000000, ph, 2);
	synth_pvh_note(buf + 1024, 0x1000040);
	assert_int_equal(parse(ELF_LEN), 0);
	assert_true(img.has_pvh);
	assert_int_equal(img.pvh_entry, 0x1000040);
	assert_int_equal(img.nsegs, 1); /* the note is not loaded */
}

static void test_elf_pvh_note_malformed_is_ignored(void **state)
{
	(void)state;
	struct synth_phdr ph[2] = {
		{ 1, 4096, 0x1000000, 4096, 4096 },
		{ 4, 1024, 0, 24, 24 },
	};

	synth_elf(buf, ELF_LEN, 62, 0x1000000, ph, 2);
	synth_pvh_note(buf + 1024, 0x1000040);
	put_le32(buf + 1024, 0xfffffff0); /* namesz runs off the note */
	assert_int_equal(parse(ELF_LEN), 0);
	assert_false(img.has_pvh);
	/* A PVH entry outside the loaded segments is not used either. */
	synth_pvh_note(buf + 1024, 0x5000000);
	assert_int_equal(parse(ELF_LEN), 0);
	assert_false(img.has_pvh);
}

static void test_elf_wrong_arch(void **state)
{
	(void)state;
	size_t len = simple_elf(183 /* aarch64 */, 0x1000000);

	assert_int_equal(parse(len), -1);
	assert_err_contains("not for x86-64");
	simple_elf(62, 0x1000000);
	buf[4] = 1; /* ELFCLASS32 */
	assert_int_equal(parse(len), -1);
	assert_err_contains("not for x86-64");
	simple_elf(62, 0x1000000);
	put_le16(buf + 16, 3); /* ET_DYN */
	assert_int_equal(parse(len), -1);
	assert_err_contains("not an executable");
}

static void test_elf_truncated(void **state)
{
	(void)state;
	simple_elf(62, 0x1000000);
	assert_int_equal(parse(40), -1);
	assert_err_contains("truncated ELF (header)");
	assert_int_equal(parse(100), -1); /* program header cut */
	assert_err_contains("program headers");
	assert_int_equal(parse(4096 + 100), -1); /* segment data cut */
	assert_err_contains("beyond end of file");
}

static void test_elf_huge_sizes(void **state)
{
	(void)state;
	struct synth_phdr ph = { 1, 4096, 0xfffffffffffff000ULL, 4096, 8192 };

	synth_elf(buf, ELF_LEN, 62, 0x1000000, &ph, 1);
	assert_int_equal(parse(ELF_LEN), -1);
	assert_err_contains("out of range");

	ph = (struct synth_phdr){ 1, 4096, 0x1000000, 4096, UINT64_MAX };
	synth_elf(buf, ELF_LEN, 62, 0x1000000, &ph, 1);
	assert_int_equal(parse(ELF_LEN), -1);
	assert_err_contains("out of range");

	ph = (struct synth_phdr){ 1, UINT64_MAX - 10, 0x1000000, 4096, 8192 };
	synth_elf(buf, ELF_LEN, 62, 0x1000000, &ph, 1);
	assert_int_equal(parse(ELF_LEN), -1);
	assert_err_contains("beyond end of file");

	ph = (struct synth_phdr){ 1, 4096, 0x1000000, 4096, 100 };
	synth_elf(buf, ELF_LEN, 62, 0x1000000, &ph, 1);
	assert_int_equal(parse(ELF_LEN), -1);
	assert_err_contains("file size larger");

	simple_elf(62, 0x1000000);
	put_le16(buf + 56, 65000); /* phnum */
	assert_int_equal(parse(ELF_LEN), -1);
	assert_err_contains("program header table");
}

static void test_elf_overlapping_segments(void **state)
{
	(void)state;
	struct synth_phdr ph[2] = {
		{ 1, 4096, 0x1000000, 2048, 0x3000 },
		{ 1, 6144, 0x1002000, 1024, 1024 },
	};

	synth_elf(buf, ELF_LEN, 62, 0x1000000, ph, 2);
	assert_int_equal(parse(ELF_LEN), -1);
	assert_err_contains("overlap");
	ph[1].paddr = 0x1003000; /* adjacent is fine */
	synth_elf(buf, ELF_LEN, 62, 0x1000000, ph, 2);
	assert_int_equal(parse(ELF_LEN), 0);
	assert_int_equal(img.nsegs, 2);
	assert_int_equal(kernel_image_end(&img), 0x1003000 + 1024);
}

static void test_elf_entry_outside_segments(void **state)
{
	(void)state;
	size_t len = simple_elf(62, 0x9000000);

	assert_int_equal(parse(len), -1);
	assert_err_contains("entry point");
}

static void test_elf_without_load_segments(void **state)
{
	(void)state;
	struct synth_phdr ph = { 4, 1024, 0, 0, 0 };

	synth_elf(buf, ELF_LEN, 62, 0x1000000, &ph, 1);
	assert_int_equal(parse(ELF_LEN), -1);
	assert_err_contains("no loadable segments");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bzimage_valid),
		cmocka_unit_test(test_bzimage_zero_setup_sects_means_four),
		cmocka_unit_test(test_bzimage_old_protocol),
		cmocka_unit_test(test_bzimage_without_64bit_entry),
		cmocka_unit_test(test_bzimage_truncated),
		cmocka_unit_test(test_bzimage_cut_off_payload),
		cmocka_unit_test(test_bzimage_huge_setup_sects),
		cmocka_unit_test(test_not_a_kernel),
		cmocka_unit_test(test_elf_valid_without_pvh),
		cmocka_unit_test(test_elf_pvh_note),
		cmocka_unit_test(test_elf_pvh_note_malformed_is_ignored),
		cmocka_unit_test(test_elf_wrong_arch),
		cmocka_unit_test(test_elf_truncated),
		cmocka_unit_test(test_elf_huge_sizes),
		cmocka_unit_test(test_elf_overlapping_segments),
		cmocka_unit_test(test_elf_entry_outside_segments),
		cmocka_unit_test(test_elf_without_load_segments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
