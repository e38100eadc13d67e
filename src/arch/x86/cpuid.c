// SPDX-License-Identifier: Apache-2.0
/* The guest's CPUID table: KVM's supported features plus our topology (cpuid.h). */
#include <errno.h>
#include <string.h>

#include "arch/x86/cpuid.h"

#define F_HTT            (1u << 28) /* leaf 1 EDX */
#define F_VMX            (1u << 5)  /* leaf 1 ECX */
#define F_TSC_DEADLINE   (1u << 24) /* leaf 1 ECX */
#define F_HYPERVISOR     (1u << 31) /* leaf 1 ECX */
#define F_CMP_LEGACY     (1u << 1)  /* 0x80000001 ECX */
#define F_SVM            (1u << 2)  /* 0x80000001 ECX */
#define KVM_SIGNATURE    0x40000000u
#define KVM_FEATURES     0x40000001u
#define TOPO_LEVEL_SMT   1
#define TOPO_LEVEL_CORE  2

unsigned int cpuid_id_bits(unsigned int ncpus)
{
	unsigned int bits = 0;

	while (ncpus > 1 && (1u << bits) < ncpus)
		bits++;
	return bits;
}

static const struct kvm_cpuid_entry2 *find(const struct kvm_cpuid_entry2 *t, unsigned int n,
					   uint32_t function)
{
	for (unsigned int i = 0; i < n; i++)
		if (t[i].function == function)
			return &t[i];
	return NULL;
}

static bool vendor_is_amd(const struct kvm_cpuid_entry2 *leaf0)
{
	/* "AuthenticAMD" and "HygonGenuine": EBX "Auth"/"Hygo". */
	return leaf0 && (leaf0->ebx == 0x68747541 || leaf0->ebx == 0x6f677948);
}

/* Caches: L1/L2 are per core, L3 is shared by the whole socket. */
static uint32_t cache_sharing(uint32_t eax, unsigned int ncpus)
{
	unsigned int level = (eax >> 5) & 7;
	uint32_t sharing = level >= 3 ? ncpus - 1 : 0;

	return sharing > 0xfff ? 0xfff : sharing;
}

static void fix_leaf1(struct kvm_cpuid_entry2 *e, const struct cpuid_topo *t)
{
	unsigned int bits = cpuid_id_bits(t->ncpus);
	uint32_t logical = t->ncpus > 1 ? 1u << bits : 1;

	if (logical > 0xff)
		logical = 0xff;
	e->ebx = (e->ebx & 0xffff) | (t->index & 0xff) << 24 | logical << 16;
	if (t->ncpus > 1)
		e->edx |= F_HTT;
	else
		e->edx &= ~F_HTT;
	/* The hypervisor bit makes Linux look for the KVM leaves (kvmclock). */
	e->ecx |= F_HYPERVISOR;
	if (!t->nested)
		e->ecx &= ~F_VMX;
	/*
	 * KVM_GET_SUPPORTED_CPUID leaves the TSC-deadline timer out since it
	 * needs the in-kernel LAPIC. Without it Linux uses the LAPIC timer in
	 * one-shot mode and calibrates it at boot, which took 0.7 s of a 7 s
	 * boot in the test host.
	 */
	if (t->tsc_deadline)
		e->ecx |= F_TSC_DEADLINE;
	else
		e->ecx &= ~F_TSC_DEADLINE;
}

static void fix_leaf4(struct kvm_cpuid_entry2 *e, const struct cpuid_topo *t)
{
	uint32_t cores = t->ncpus - 1 > 63 ? 63 : t->ncpus - 1;

	if ((e->eax & 0x1f) == 0)
		return; /* no cache at this index */
	e->eax &= ~(0x3fu << 26 | 0xfffu << 14);
	e->eax |= cores << 26 | cache_sharing(e->eax, t->ncpus) << 14;
}

static void fix_amd_leaves(struct kvm_cpuid_entry2 *e, const struct cpuid_topo *t)
{
	switch (e->function) {
	case 0x80000001:
		if (t->ncpus > 1)
			e->ecx |= F_CMP_LEGACY;
		else
			e->ecx &= ~F_CMP_LEGACY;
		if (!t->nested)
			e->ecx &= ~F_SVM;
		break;
	case 0x80000008:
		e->ecx = (e->ecx & ~0xf0ffu) | cpuid_id_bits(t->ncpus) << 12 |
			 ((t->ncpus - 1) & 0xff);
		break;
	case 0x8000001d:
		if (e->eax & 0x1f) {
			e->eax &= ~(0xfffu << 14);
			e->eax |= cache_sharing(e->eax, t->ncpus) << 14;
		}
		break;
	case 0x8000001e:
		/* Extended APIC id, core id (one thread per core), node 0 of 1. */
		e->eax = t->index;
		e->ebx = (e->ebx & ~0xffffu) | (t->index & 0xff);
		e->ecx = 0;
		break;
	}
}

static void fix_entry(struct kvm_cpuid_entry2 *e, const struct cpuid_topo *t, bool amd)
{
	switch (e->function) {
	case 1:
		fix_leaf1(e, t);
		break;
	case 4:
		fix_leaf4(e, t);
		break;
	case KVM_SIGNATURE:
		e->eax = e->eax < KVM_FEATURES ? KVM_FEATURES : e->eax;
		e->ebx = 0x4b4d564b; /* "KVMKVMKVM\0\0\0" */
		e->ecx = 0x564b4d56;
		e->edx = 0x4d;
		break;
	default:
		if (e->function == 0x80000001 && !t->nested)
			e->ecx &= ~F_SVM;
		if (amd)
			fix_amd_leaves(e, t);
		break;
	}
}

/* Leaf 0xb / 0x1f: an SMT level of one thread, a core level of ncpus, then the end. */
static void topology_leaf(struct kvm_cpuid_entry2 *e, uint32_t function, uint32_t index,
			  const struct cpuid_topo *t)
{
	memset(e, 0, sizeof(*e));
	e->function = function;
	e->index = index;
	e->flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
	e->edx = t->index;
	e->ecx = index & 0xff;
	if (index == 0) {
		e->eax = 0;
		e->ebx = 1;
		e->ecx |= TOPO_LEVEL_SMT << 8;
	} else if (index == 1) {
		e->eax = cpuid_id_bits(t->ncpus);
		e->ebx = t->ncpus;
		e->ecx |= TOPO_LEVEL_CORE << 8;
	}
}

int cpuid_build(const struct kvm_cpuid_entry2 *sup, unsigned int nsup,
		struct kvm_cpuid_entry2 *out, unsigned int max, const struct cpuid_topo *topo)
{
	const struct kvm_cpuid_entry2 *leaf0 = find(sup, nsup, 0);
	bool amd = vendor_is_amd(leaf0);
	bool want_0b = leaf0 && leaf0->eax >= 0xb;
	bool want_1f = find(sup, nsup, 0x1f) != NULL;
	unsigned int n = 0;

	for (unsigned int i = 0; i < nsup; i++) {
		if (sup[i].function == 0xb || sup[i].function == 0x1f)
			continue; /* regenerated below */
		if (n == max)
			return -ENOSPC;
		out[n] = sup[i];
		fix_entry(&out[n], topo, amd);
		n++;
	}
	for (uint32_t f = 0xb; f <= 0x1f; f += 0x1f - 0xb) {
		if ((f == 0xb && !want_0b) || (f == 0x1f && !want_1f))
			continue;
		for (uint32_t idx = 0; idx < 3; idx++) {
			if (n == max)
				return -ENOSPC;
			topology_leaf(&out[n++], f, idx, topo);
		}
	}
	return (int)n;
}
