// SPDX-License-Identifier: Apache-2.0
/* CPUID topology over synthetic KVM_GET_SUPPORTED_CPUID tables. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/cpuid.h"

#define IDX KVM_CPUID_FLAG_SIGNIFCANT_INDEX

static const struct kvm_cpuid_entry2 intel[] = {
	{ .function = 0, .eax = 0x1f, .ebx = 0x756e6547, .edx = 0x49656e69, .ecx = 0x6c65746e },
	{ .function = 1, .eax = 0x906ea, .ebx = 0x07080800, .ecx = (1u << 5) | 1, .edx = 0 },
	{ .function = 4, .index = 0, .flags = IDX, .eax = 0x1c004121 }, /* L1d, host values */
	{ .function = 4, .index = 1, .flags = IDX, .eax = 0x1c004143 }, /* L2 */
	{ .function = 4, .index = 2, .flags = IDX, .eax = 0x1c03c163 }, /* L3 */
	{ .function = 4, .index = 3, .flags = IDX, .eax = 0 },
	{ .function = 0xb, .index = 0, .flags = IDX, .eax = 1, .ebx = 2, .ecx = 0x100 },
	{ .function = 0xb, .index = 1, .flags = IDX, .eax = 4, .ebx = 16, .ecx = 0x201 },
	{ .function = 0x1f, .index = 0, .flags = IDX, .eax = 1, .ebx = 2, .ecx = 0x100 },
	{ .function = 0x40000000, .eax = 0x40000001 },
	{ .function = 0x40000001, .eax = 0x01007afb },
	{ .function = 0x80000000, .eax = 0x80000008 },
	{ .function = 0x80000001, .ecx = 0x121 },
};

static const struct kvm_cpuid_entry2 amd[] = {
	{ .function = 0, .eax = 0xd, .ebx = 0x68747541, .edx = 0x69746e65, .ecx = 0x444d4163 },
	{ .function = 1, .eax = 0x830f10, .ebx = 0x00000800, .ecx = 1u << 31, .edx = 1u << 28 },
	{ .function = 0x40000000, .eax = 0x40000001 },
	{ .function = 0x80000000, .eax = 0x8000001f },
	{ .function = 0x80000001, .ecx = (1u << 2) | (1u << 1) },
	{ .function = 0x80000008, .ecx = 0x0000703f },
	{ .function = 0x8000001d, .index = 2, .flags = IDX, .eax = 0x0003c163 },
	{ .function = 0x8000001e, .eax = 77, .ebx = 0x0103, .ecx = 0x303 },
};

static struct kvm_cpuid_entry2 out[64];

static int build(const struct kvm_cpuid_entry2 *t, unsigned int n, unsigned int index,
		 unsigned int ncpus, bool nested)
{
	struct cpuid_topo topo = { .index = index, .ncpus = ncpus, .nested = nested };

	return cpuid_build(t, n, out, 64, &topo);
}

static const struct kvm_cpuid_entry2 *get(int n, uint32_t function, uint32_t index)
{
	for (int i = 0; i < n; i++)
		if (out[i].function == function && out[i].index == index)
			return &out[i];
	fail_msg("leaf 0x%x.%u missing", function, index);
	return NULL;
}

static int count(int n, uint32_t function)
{
	int c = 0;

	for (int i = 0; i < n; i++)
		c += out[i].function == function;
	return c;
}

static void test_id_bits(void **state)
{
	(void)state;
	assert_int_equal(cpuid_id_bits(1), 0);
	assert_int_equal(cpuid_id_bits(2), 1);
	assert_int_equal(cpuid_id_bits(3), 2);
	assert_int_equal(cpuid_id_bits(4), 2);
	assert_int_equal(cpuid_id_bits(5), 3);
	assert_int_equal(cpuid_id_bits(255), 8);
}

static void test_intel_leaf1(void **state)
{
	int n = build(intel, sizeof(intel) / sizeof(intel[0]), 2, 4, false);
	const struct kvm_cpuid_entry2 *l1 = get(n, 1, 0);

	(void)state;
	assert_int_equal(l1->ebx >> 24, 2);           /* APIC id */
	assert_int_equal((l1->ebx >> 16) & 0xff, 4);  /* logical processors */
	assert_int_equal(l1->ebx & 0xffff, 0x0800);   /* CLFLUSH size kept */
	assert_true(l1->edx & (1u << 28));            /* HTT */
	assert_true(l1->ecx & (1u << 31));            /* hypervisor */
	assert_false(l1->ecx & (1u << 5));            /* VMX hidden without --nested */
	assert_true(l1->ecx & 1);                     /* other features kept */
	assert_false(l1->ecx & (1u << 24));           /* no TSC deadline without the cap */

	n = build(intel, sizeof(intel) / sizeof(intel[0]), 0, 1, true);
	l1 = get(n, 1, 0);
	assert_int_equal(l1->ebx >> 24, 0);
	assert_int_equal((l1->ebx >> 16) & 0xff, 1);
	assert_false(l1->edx & (1u << 28));
	assert_true(l1->ecx & (1u << 5)); /* --nested keeps VMX */

	struct cpuid_topo topo = { .index = 0, .ncpus = 1, .tsc_deadline = true };

	n = cpuid_build(intel, sizeof(intel) / sizeof(intel[0]), out, 64, &topo);
	assert_true(get(n, 1, 0)->ecx & (1u << 24)); /* KVM_CAP_TSC_DEADLINE_TIMER */
}

static void test_intel_leaf4(void **state)
{
	int n = build(intel, sizeof(intel) / sizeof(intel[0]), 1, 6, false);

	(void)state;
	assert_int_equal(get(n, 4, 0)->eax >> 26, 5);
	assert_int_equal((get(n, 4, 0)->eax >> 14) & 0xfff, 0); /* L1 per core */
	assert_int_equal((get(n, 4, 1)->eax >> 14) & 0xfff, 0); /* L2 per core */
	assert_int_equal((get(n, 4, 2)->eax >> 14) & 0xfff, 5); /* L3 shared */
	assert_int_equal(get(n, 4, 2)->eax & 0x3fff, 0x163);    /* type/level kept */
	assert_int_equal(get(n, 4, 3)->eax, 0);                 /* terminator untouched */
}

static void test_intel_extended_topology(void **state)
{
	int n = build(intel, sizeof(intel) / sizeof(intel[0]), 3, 4, false);

	(void)state;
	assert_int_equal(count(n, 0xb), 3);
	assert_int_equal(count(n, 0x1f), 3);
	for (uint32_t f = 0xb; f <= 0x1f; f += 0x14) {
		const struct kvm_cpuid_entry2 *smt = get(n, f, 0), *core = get(n, f, 1),
					      *end = get(n, f, 2);

		assert_int_equal(smt->eax, 0);
		assert_int_equal(smt->ebx, 1);
		assert_int_equal(smt->ecx, 0x100);
		assert_int_equal(smt->edx, 3);
		assert_int_equal(core->eax, 2);
		assert_int_equal(core->ebx, 4);
		assert_int_equal(core->ecx, 0x201);
		assert_int_equal(core->edx, 3);
		assert_int_equal(end->ecx, 2);
		assert_int_equal(end->ebx, 0);
		assert_true(core->flags & IDX);
	}
}

static void test_kvm_signature(void **state)
{
	int n = build(intel, sizeof(intel) / sizeof(intel[0]), 0, 1, false);
	const struct kvm_cpuid_entry2 *sig = get(n, 0x40000000, 0);
	char s[13];

	(void)state;
	memcpy(s, &sig->ebx, 4);
	memcpy(s + 4, &sig->ecx, 4);
	memcpy(s + 8, &sig->edx, 4);
	s[12] = 0;
	assert_string_equal(s, "KVMKVMKVM");
	assert_int_equal(sig->eax, 0x40000001);
	assert_int_equal(get(n, 0x40000001, 0)->eax, 0x01007afb);
}

static void test_amd_topology(void **state)
{
	int n = build(amd, sizeof(amd) / sizeof(amd[0]), 2, 3, false);

	(void)state;
	/* Max basic leaf 0xd: leaf 0xb is generated, 0x1f (absent in KVM's table) is not. */
	assert_int_equal(count(n, 0xb), 3);
	assert_int_equal(count(n, 0x1f), 0);
	assert_int_equal(get(n, 0xb, 1)->ebx, 3);
	assert_int_equal(get(n, 0xb, 1)->eax, 2);
	assert_int_equal(get(n, 0xb, 1)->edx, 2);

	/* Without leaf 0xb in range nothing is added. */
	struct kvm_cpuid_entry2 t[sizeof(amd) / sizeof(amd[0])];

	memcpy(t, amd, sizeof(amd));
	t[0].eax = 0xa;
	n = build(t, sizeof(amd) / sizeof(amd[0]), 2, 3, false);
	assert_int_equal(count(n, 0xb), 0);
}

static void test_amd_leaves(void **state)
{
	int n = build(amd, sizeof(amd) / sizeof(amd[0]), 2, 3, false);
	const struct kvm_cpuid_entry2 *e;

	(void)state;
	e = get(n, 1, 0);
	assert_int_equal(e->ebx >> 24, 2);
	assert_int_equal((e->ebx >> 16) & 0xff, 4); /* rounded up to a power of two */
	e = get(n, 0x80000001, 0);
	assert_false(e->ecx & (1u << 2)); /* SVM hidden */
	assert_true(e->ecx & (1u << 1));  /* CmpLegacy with several cores */
	e = get(n, 0x80000008, 0);
	assert_int_equal(e->ecx & 0xff, 2);
	assert_int_equal((e->ecx >> 12) & 0xf, 2);
	e = get(n, 0x8000001d, 2);
	assert_int_equal((e->eax >> 14) & 0xfff, 2);
	e = get(n, 0x8000001e, 0);
	assert_int_equal(e->eax, 2);
	assert_int_equal(e->ebx & 0xffff, 2);
	assert_int_equal(e->ecx, 0);

	n = build(amd, sizeof(amd) / sizeof(amd[0]), 0, 1, true);
	e = get(n, 0x80000001, 0);
	assert_true(e->ecx & (1u << 2)); /* --nested keeps SVM */
	assert_false(e->ecx & (1u << 1));
	assert_false(get(n, 1, 0)->edx & (1u << 28));
}

static void test_table_overflow(void **state)
{
	struct cpuid_topo topo = { .index = 0, .ncpus = 2 };
	struct kvm_cpuid_entry2 small[4];

	(void)state;
	assert_int_equal(cpuid_build(intel, sizeof(intel) / sizeof(intel[0]), small, 4, &topo),
			 -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_bits),
		cmocka_unit_test(test_intel_leaf1),
		cmocka_unit_test(test_intel_leaf4),
		cmocka_unit_test(test_intel_extended_topology),
		cmocka_unit_test(test_kvm_signature),
		cmocka_unit_test(test_amd_topology),
		cmocka_unit_test(test_amd_leaves),
		cmocka_unit_test(test_table_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
