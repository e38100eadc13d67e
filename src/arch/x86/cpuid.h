/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guest's CPUID and boot MSRs. cpuid_build() is a pure function over the
 * table KVM_GET_SUPPORTED_CPUID returned, so the topology it derives is
 * unit-tested without KVM; cpuid_setup_vcpu()/msr_setup_vcpu() apply it.
 *
 * Topology: one socket, cfg->cpus cores, one thread per core; APIC id = vCPU
 * index.
 */
#ifndef VFKIT_X86_CPUID_H
#define VFKIT_X86_CPUID_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>

#define CPUID_MAX_ENTRIES 256

struct cpuid_topo {
	unsigned int index;  /* this vCPU (= APIC id) */
	unsigned int ncpus;
	bool nested;         /* expose VMX/SVM (--nested) */
	bool tsc_deadline;   /* KVM_CAP_TSC_DEADLINE_TIMER: KVM emulates it */
};

/*
 * Builds one vCPU's CPUID from the supported table into out (room for max
 * entries). Returns the entry count, or -ENOSPC.
 */
int cpuid_build(const struct kvm_cpuid_entry2 *sup, unsigned int nsup,
		struct kvm_cpuid_entry2 *out, unsigned int max, const struct cpuid_topo *topo);

/* Bits needed for ncpus ids (0 for 1). */
unsigned int cpuid_id_bits(unsigned int ncpus);

/* KVM_GET_SUPPORTED_CPUID on the /dev/kvm fd; count or -errno (logged). */
int cpuid_get_supported(int kvm_fd, struct kvm_cpuid_entry2 *out, unsigned int max);
/* KVM_SET_CPUID2 on a vCPU; 0 or -errno (logged). */
int cpuid_setup_vcpu(int vcpu_fd, const struct kvm_cpuid_entry2 *sup, unsigned int nsup,
		     const struct cpuid_topo *topo);
/* Boot MSRs and the LAPIC's LINT0/LINT1 (virtual-wire mode); 0 or -errno. */
int msr_setup_vcpu(int vcpu_fd, unsigned int index);

#endif
