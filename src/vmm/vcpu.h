/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One vCPU: its KVM fd and kvm_run mapping, and the thread that runs it.
 *
 * Pausing: a request flag plus a kick (SIGUSR1, whose empty handler only
 * interrupts KVM_RUN, and kvm_run->immediate_exit for a kick that lands just
 * before KVM_RUN); the thread then parks on its condition variable.
 */
#ifndef VFKIT_VCPU_H
#define VFKIT_VCPU_H

#include <pthread.h>
#include <stdbool.h>
#include <linux/kvm.h>

struct vm;

struct vcpu {
	struct vm *vm;
	unsigned int index;
	int fd;
	struct kvm_run *run;

	pthread_t thread;
	bool started;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool pause_req;
	bool stop_req;
	bool parked; /* not inside KVM_RUN and will not enter it (also once exited) */
	bool exited;
};

/* Creates the KVM vCPU with its CPUID, MSRs and LAPIC. 0 or -1 (logged). */
int vcpu_init(struct vm *vm, struct vcpu *v, unsigned int index,
	      const struct kvm_cpuid_entry2 *sup, unsigned int nsup);
void vcpu_fini(struct vcpu *v);

int vcpu_start(struct vcpu *v);
/* Asks the thread to park and kicks it out of KVM_RUN; does not wait. */
void vcpu_request_pause(struct vcpu *v);
/* Waits until the thread is parked (or has exited, or never started). */
void vcpu_wait_parked(struct vcpu *v);
void vcpu_resume(struct vcpu *v);
/* Ends the thread and joins it (unless called from the thread itself). */
void vcpu_stop(struct vcpu *v);

#endif
