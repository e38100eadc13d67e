/* SPDX-License-Identifier: Apache-2.0 */
/*
 * KVM: the VM file descriptor, guest memory slots, in-kernel irqchip and PIT,
 * and one thread per vCPU.
 */
#ifndef VFKIT_KVM_H
#define VFKIT_KVM_H

#include <stddef.h>

#include "vmm/vm.h"

/*
 * Opens /dev/kvm (clear errors: missing, permission, API version, missing
 * capabilities, PVM host), creates the VM, its memory (vm->mem from
 * cfg->memory_mib), irqchip, PIT and cfg->cpus vCPUs (not yet running).
 * Also initialises vm->pio, vm->mmio and vm->loop. 0, or -1 after one error
 * line has been logged.
 */
int kvm_vm_create(struct vm *vm);
void kvm_vm_destroy(struct vm *vm);

/* Starts every vCPU thread in KVM_RUN. */
int kvm_vcpus_start(struct vm *vm);
/* Returns once no vCPU is inside KVM_RUN; they stay parked until resume. */
void kvm_vcpus_pause(struct vm *vm);
void kvm_vcpus_resume(struct vm *vm);
/* Ends and joins every vCPU thread. Idempotent. */
void kvm_vcpus_stop(struct vm *vm);

#endif
