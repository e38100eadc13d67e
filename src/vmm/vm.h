/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One virtual machine: its KVM handles, memory, buses, event loop, vCPUs and
 * the state machine that owns every state change (design.md section 3).
 *
 * Subsystems keep their own state behind the opaque pointers below, so adding
 * one does not ripple through this header.
 */
#ifndef VFKIT_VM_H
#define VFKIT_VM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "vmm/bus.h"
#include "vmm/loop.h"
#include "vmm/memory.h"

struct vcpu;
struct kvm_state;
struct pci_bus;
struct platform;
struct chardev;
struct rest_server;

/* States as /vm/state reports them (reference section 9.4). */
enum vm_state {
	VM_STATE_STOPPED = 0,
	VM_STATE_STARTING,
	VM_STATE_RUNNING,
	VM_STATE_PAUSING,
	VM_STATE_PAUSED,
	VM_STATE_RESUMING,
	VM_STATE_STOPPING,
	VM_STATE_ERROR,
};

enum vm_request {
	VM_REQ_PAUSE = 0,
	VM_REQ_RESUME,
	VM_REQ_STOP,      /* ACPI power button: the guest shuts down */
	VM_REQ_HARD_STOP, /* pull the plug */
};

struct vm_state_info {
	enum vm_state state;
	bool can_start;
	bool can_pause;
	bool can_resume;
	bool can_stop;
	bool can_hard_stop;
};

typedef void (*vm_exit_fn)(void *opaque);

struct vm_exit_handler {
	vm_exit_fn fn;
	void *opaque;
	struct vm_exit_handler *next;
};

struct vm {
	struct vm_config *cfg;

	/* KVM (vmm/kvm.c) */
	int kvm_fd;
	int vm_fd;
	int vcpu_mmap_size;
	unsigned int ncpus;
	struct vcpu *vcpus;
	struct kvm_state *kvm_state; /* vmm/kvm.c private: GSI routes, paused clock */

	struct guest_mem mem;
	struct bus pio;
	struct bus mmio;
	struct loop *loop;

	/* Subsystems */
	struct platform *platform;  /* arch/x86: legacy devices, ACPI */
	struct pci_bus *pci;        /* pci/ */
	struct chardev *console;    /* first virtio-serial sink; COM1 mirrors to it */
	struct rest_server *rest;   /* api/ */

	/* State machine (vmm/vm.c) */
	pthread_mutex_t state_lock;
	enum vm_state state;
	int exit_status;            /* process exit status once stopped */

	struct vm_exit_handler *exit_handlers;
};

/* --- state machine (vmm/vm.c); every function here is thread-safe --- */

const char *vm_state_name(enum vm_state state); /* "VirtualMachineStateRunning" ... */
void vm_get_state(struct vm *vm, struct vm_state_info *info);
/* Returns 0, or -1 with a message for the client in err (state unchanged). */
int vm_request_state(struct vm *vm, enum vm_request req, char *err, size_t errlen);

/* Events from devices and vCPU threads. */
void vm_guest_poweroff(struct vm *vm);  /* ACPI S5, PM1 SLP_EN: exit 0 */
void vm_guest_reset(struct vm *vm);     /* reboot request: the VM stops, as on vfkit */
void vm_fatal(struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Cleanup to run at every exit (sockets, pty, temp files), most recent first. */
int vm_at_exit(struct vm *vm, vm_exit_fn fn, void *opaque);
void vm_run_exit_handlers(struct vm *vm);

#endif
