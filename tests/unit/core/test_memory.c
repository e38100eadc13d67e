// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>

#include "arch/x86/layout.h"
#include "vmm/memory.h"

static void test_small_guest_has_one_region(void **state)
{
	struct guest_mem mem;

	(void)state;
	assert_int_equal(guest_mem_init(&mem, MiB(64), RAM_LOW_MAX, RAM_HIGH_START), 0);
	assert_int_equal(mem.nregions, 1);
	assert_non_null(gmem_ptr(&mem, 0, MiB(64)));
	assert_null(gmem_ptr(&mem, 0, MiB(64) + 1));
	assert_null(gmem_ptr(&mem, MiB(64), 1));
	assert_non_null(gmem_ptr(&mem, MiB(64) - 1, 1));
	/* KVM can use 2 MiB page-table entries only if host and guest agree. */
	assert_int_equal((uintptr_t)mem.base % MiB(2), 0);
	guest_mem_free(&mem);
}

static void test_large_guest_splits_around_hole(void **state)
{
	struct guest_mem mem;
	uint32_t v = 0xdeadbeef, r = 0;

	(void)state;
	assert_int_equal(guest_mem_init(&mem, GiB(3), RAM_LOW_MAX, RAM_HIGH_START), 0);
	assert_int_equal(mem.nregions, 2);
	assert_null(gmem_ptr(&mem, RAM_LOW_MAX, 1));          /* the hole */
	assert_null(gmem_ptr(&mem, RAM_LOW_MAX - 2, 4));      /* straddles the hole */
	assert_non_null(gmem_ptr(&mem, RAM_HIGH_START, GiB(1)));
	assert_null(gmem_ptr(&mem, RAM_HIGH_START, GiB(1) + 1));
	assert_int_equal(gmem_write(&mem, RAM_HIGH_START + 8, &v, 4), 0);
	assert_int_equal(gmem_read(&mem, RAM_HIGH_START + 8, &r, 4), 0);
	assert_int_equal(r, v);
	/* The high region is the memfd right after the low part. */
	assert_memory_equal(mem.base + RAM_LOW_MAX + 8, &v, 4);
	guest_mem_free(&mem);
}

static void test_overflowing_ranges_refused(void **state)
{
	struct guest_mem mem;
	uint8_t b;

	(void)state;
	assert_int_equal(guest_mem_init(&mem, MiB(16), RAM_LOW_MAX, RAM_HIGH_START), 0);
	assert_null(gmem_ptr(&mem, UINT64_MAX, 2));
	assert_null(gmem_ptr(&mem, 0x1000, UINT64_MAX));
	assert_null(gmem_ptr(&mem, 0x1000, UINT64_MAX - 0x800));
	assert_int_equal(gmem_read(&mem, UINT64_MAX - 1, &b, 1), -EFAULT);
	guest_mem_free(&mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_guest_has_one_region),
		cmocka_unit_test(test_large_guest_splits_around_hole),
		cmocka_unit_test(test_overflowing_ranges_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
