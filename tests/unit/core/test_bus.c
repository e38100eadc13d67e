// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>

#include "vmm/bus.h"

struct probe {
	uint64_t last_offset;
	uint32_t last_len;
	int writes;
	uint8_t value;
};

static void probe_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct probe *p = opaque;

	p->last_offset = offset;
	p->last_len = len;
	if (is_write)
		p->writes++;
	else
		memset(data, p->value, len);
}

static void test_dispatch_finds_range_and_offset(void **state)
{
	struct bus bus;
	struct probe a = { .value = 0x11 }, b = { .value = 0x22 };
	uint8_t buf[4];

	(void)state;
	bus_init(&bus, "test");
	assert_int_equal(bus_register(&bus, 0x3f8, 8, probe_io, &a), 0);
	assert_int_equal(bus_register(&bus, 0x70, 2, probe_io, &b), 0);

	assert_true(bus_dispatch(&bus, 0x3fd, buf, 1, false));
	assert_int_equal(buf[0], 0x11);
	assert_int_equal(a.last_offset, 5);

	assert_true(bus_dispatch(&bus, 0x71, buf, 2, true));
	assert_int_equal(b.writes, 1);
	assert_int_equal(b.last_offset, 1);
	bus_destroy(&bus);
}

static void test_unclaimed_reads_all_ones(void **state)
{
	struct bus bus;
	uint8_t buf[4] = { 0 };

	(void)state;
	bus_init(&bus, "test");
	assert_false(bus_dispatch(&bus, 0x1234, buf, 4, false));
	assert_int_equal(buf[0] & buf[1] & buf[2] & buf[3], 0xff);
	bus_destroy(&bus);
}

static void test_overlap_and_bad_ranges_refused(void **state)
{
	struct bus bus;
	struct probe p = { 0 };

	(void)state;
	bus_init(&bus, "test");
	assert_int_equal(bus_register(&bus, 0x100, 0x10, probe_io, &p), 0);
	assert_int_equal(bus_register(&bus, 0x10f, 1, probe_io, &p), -EEXIST);
	assert_int_equal(bus_register(&bus, 0xf8, 9, probe_io, &p), -EEXIST);
	assert_int_equal(bus_register(&bus, 0x200, 0, probe_io, &p), -EINVAL);
	assert_int_equal(bus_register(&bus, UINT64_MAX, 2, probe_io, &p), -EINVAL);
	assert_int_equal(bus_register(&bus, 0xf0, 0x10, probe_io, &p), 0);
	assert_int_equal(bus_unregister(&bus, 0x100), 0);
	assert_int_equal(bus_unregister(&bus, 0x100), -ENOENT);
	assert_int_equal(bus_register(&bus, 0x10f, 1, probe_io, &p), 0);
	bus_destroy(&bus);
}

static void test_many_ranges_stay_sorted(void **state)
{
	struct bus bus;
	struct probe p[64];
	uint8_t v;

	(void)state;
	bus_init(&bus, "test");
	for (int i = 63; i >= 0; i--) {
		p[i] = (struct probe){ .value = (uint8_t)i };
		assert_int_equal(bus_register(&bus, 0x1000 + (uint64_t)i * 0x10, 0x10, probe_io,
					      &p[i]),
				 0);
	}
	for (int i = 0; i < 64; i++) {
		assert_true(bus_dispatch(&bus, 0x1000 + (uint64_t)i * 0x10 + 7, &v, 1, false));
		assert_int_equal(v, i);
	}
	assert_false(bus_dispatch(&bus, 0x1400, &v, 1, false));
	bus_destroy(&bus);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dispatch_finds_range_and_offset),
		cmocka_unit_test(test_unclaimed_reads_all_ones),
		cmocka_unit_test(test_overlap_and_bad_ranges_refused),
		cmocka_unit_test(test_many_ranges_stay_sorted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
