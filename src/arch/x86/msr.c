// SPDX-License-Identifier: Apache-2.0
/* Applying CPUID, boot MSRs and LAPIC LVTs to a vCPU (cpuid.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86/cpuid.h"
#include "util/log.h"

#define MSR_IA32_SYSENTER_CS    0x174
#define MSR_IA32_SYSENTER_ESP   0x175
#define MSR_IA32_SYSENTER_EIP   0x176
#define MSR_IA32_MISC_ENABLE    0x1a0
#define MSR_MTRR_DEF_TYPE       0x2ff
#define MSR_STAR                0xc0000081
#define MSR_LSTAR               0xc0000082
#define MSR_CSTAR               0xc0000083
#define MSR_SYSCALL_MASK        0xc0000084
#define MSR_KERNEL_GS_BASE      0xc0000102

#define MISC_ENABLE_FAST_STRING 1ULL
#define MTRR_ENABLE             (1ULL << 11)
#define MTRR_TYPE_WB            6ULL

#define APIC_LVT0               0x350
#define APIC_LVT1               0x360
#define APIC_MODE_NMI           4
#define APIC_MODE_EXTINT        7

int cpuid_get_supported(int kvm_fd, struct kvm_cpuid_entry2 *out, unsigned int max)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + max * sizeof(*out));

	if (!c)
		return -ENOMEM;
	c->nent = max;
	if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
		int err = -errno;

		log_error("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		free(c);
		return err;
	}
	unsigned int n = c->nent;

	memcpy(out, c->entries, n * sizeof(*out));
	free(c);
	return (int)n;
}

int cpuid_setup_vcpu(int vcpu_fd, const struct kvm_cpuid_entry2 *sup, unsigned int nsup,
		     const struct cpuid_topo *topo)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + CPUID_MAX_ENTRIES * sizeof(c->entries[0]));
	int n, ret = 0;

	if (!c)
		return -ENOMEM;
	n = cpuid_build(sup, nsup, c->entries, CPUID_MAX_ENTRIES, topo);
	if (n < 0) {
		log_error("vCPU %u: CPUID table has more than %d entries", topo->index,
			  CPUID_MAX_ENTRIES);
		free(c);
		return n;
	}
	c->nent = (uint32_t)n;
	if (ioctl(vcpu_fd, KVM_SET_CPUID2, c) < 0) {
		ret = -errno;
		log_error("vCPU %u: KVM_SET_CPUID2: %s", topo->index, strerror(errno));
	}
	free(c);
	return ret;
}

static int set_msr(int vcpu_fd, uint32_t index, uint64_t value)
{
	/* struct kvm_msrs ends in a flexible array: room for one entry after it. */
	union {
		struct kvm_msrs msrs;
		uint8_t bytes[sizeof(struct kvm_msrs) + sizeof(struct kvm_msr_entry)];
	} m = { 0 };

	m.msrs.nmsrs = 1;
	m.msrs.entries[0] = (struct kvm_msr_entry){ .index = index, .data = value };
	return ioctl(vcpu_fd, KVM_SET_MSRS, &m) == 1 ? 0 : -1;
}

static int set_lint_modes(int vcpu_fd, unsigned int index)
{
	struct kvm_lapic_state lapic;
	uint32_t v;

	if (ioctl(vcpu_fd, KVM_GET_LAPIC, &lapic) < 0)
		goto fail;
	/* Virtual-wire mode: the PIC on LINT0, NMIs on LINT1, as firmware leaves it. */
	memcpy(&v, lapic.regs + APIC_LVT0, 4);
	v = (v & ~0x700u) | APIC_MODE_EXTINT << 8;
	memcpy(lapic.regs + APIC_LVT0, &v, 4);
	memcpy(&v, lapic.regs + APIC_LVT1, 4);
	v = (v & ~0x700u) | APIC_MODE_NMI << 8;
	memcpy(lapic.regs + APIC_LVT1, &v, 4);
	if (ioctl(vcpu_fd, KVM_SET_LAPIC, &lapic) < 0)
		goto fail;
	return 0;
fail: {
	int err = -errno;

	log_error("vCPU %u: setting up the local APIC: %s", index, strerror(errno));
	return err;
}
}

int msr_setup_vcpu(int vcpu_fd, unsigned int index)
{
	static const struct {
		uint32_t index;
		uint64_t value;
		const char *name;
	} msrs[] = {
		{ MSR_IA32_SYSENTER_CS, 0, "SYSENTER_CS" },
		{ MSR_IA32_SYSENTER_ESP, 0, "SYSENTER_ESP" },
		{ MSR_IA32_SYSENTER_EIP, 0, "SYSENTER_EIP" },
		{ MSR_STAR, 0, "STAR" },
		{ MSR_LSTAR, 0, "LSTAR" },
		{ MSR_CSTAR, 0, "CSTAR" },
		{ MSR_SYSCALL_MASK, 0, "SYSCALL_MASK" },
		{ MSR_KERNEL_GS_BASE, 0, "KERNEL_GS_BASE" },
		{ MSR_IA32_MISC_ENABLE, MISC_ENABLE_FAST_STRING, "MISC_ENABLE" },
		/* Firmware enables MTRRs with write-back default; Linux warns otherwise. */
		{ MSR_MTRR_DEF_TYPE, MTRR_ENABLE | MTRR_TYPE_WB, "MTRRdefType" },
	};

	for (size_t i = 0; i < sizeof(msrs) / sizeof(msrs[0]); i++)
		if (set_msr(vcpu_fd, msrs[i].index, msrs[i].value) < 0)
			log_debug("vCPU %u: KVM does not accept MSR %s (0x%x); left at reset value",
				  index, msrs[i].name, msrs[i].index);
	return set_lint_modes(vcpu_fd, index);
}
