/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Process lifecycle around the VM state machine (vmm/vm.c): initialisation,
 * the Starting/Running transitions run.c drives, SIGINT/SIGTERM/SIGHUP handling
 * and the pidfile.
 *
 * The order vm_main() (vmm/run.c) follows:
 *
 *	lifecycle_init(vm);           first, before any thread exists
 *	kvm_vm_create(vm) ...         vm->loop now exists; devices, platform
 *	lifecycle_start(vm);          signals on the loop + pidfile
 *	rest_start(vm);               REST server (may see state Stopped)
 *	vm_set_starting(vm);
 *	kvm_vcpus_start(vm);          on failure: vm_fatal(vm, ...)
 *	vm_set_running(vm);
 *	loop_run(vm->loop);           until the state machine quits it
 *	vm_finish(vm);                stops vCPUs, wakes REST waiters
 *	rest_stop(vm);
 *	vm_run_exit_handlers(vm);     pidfile, socket files, ...
 *	return vm->exit_status;
 *
 * The state machine keeps its private bookkeeping in file-scope variables:
 * one VM per process, as vfkit is.
 */
#ifndef VFKIT_LIFECYCLE_H
#define VFKIT_LIFECYCLE_H

#include <stdbool.h>

struct vm;

/*
 * Initialises vm->state_lock, state Stopped, exit_status 0 and the exit
 * handler list; blocks SIGINT/SIGTERM/SIGHUP (read later through a signalfd, so every
 * thread created afterwards inherits the mask) and ignores SIGPIPE. The
 * calling thread must be the one that runs loop_run(): state changes that
 * need it are queued with loop_call() unless the caller already is it.
 */
void lifecycle_init(struct vm *vm);

/* Only the state-machine part of lifecycle_init (no signal changes); tests. */
void vm_state_init(struct vm *vm);

/*
 * On the loop thread, once vm->loop exists: watches SIGINT/SIGTERM/SIGHUP on the
 * loop and writes cfg->pidfile (if any; removed by an exit handler). 0, or -1
 * after logging the error ("could not write PID: ...").
 */
int lifecycle_start(struct vm *vm);

/* Stopped → Starting (before kvm_vcpus_start). */
void vm_set_starting(struct vm *vm);
/*
 * Starting → Running; logs "virtual machine is running". Returns false (and
 * changes nothing) when the VM already left Starting, e.g. a vCPU hit a fatal
 * error or the guest powered off before this call.
 */
bool vm_set_running(struct vm *vm);

/*
 * After loop_run() returns: makes sure the VM has ended (vCPUs stopped, state
 * Stopped or Error, vm->exit_status final) and wakes every thread waiting on a
 * state change. Idempotent; also called by the state machine itself on the
 * loop thread when the VM ends.
 */
void vm_finish(struct vm *vm);

/*
 * Ends the VM now whatever its state (the SIGINT/SIGTERM timeout): Stopping →
 * vCPUs stopped → Stopped, exit 0. Loop thread only.
 */
void vm_force_stop(struct vm *vm);

/* The pidfile as upstream writes it: decimal pid, no newline, mode 0600. */
int lifecycle_write_pidfile(const char *path);

#endif
