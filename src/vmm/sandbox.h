/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The seccomp sandbox: once the VM is built, every thread runs under an
 * allowlist of the system calls its kind of thread makes (docs/security.md,
 * "Sandbox"). Anything else raises SIGSYS, which names the thread kind and
 * the system call on stderr and ends the process with status 159
 * (128 + SIGSYS). VFKIT_SANDBOX=off turns it off, for debugging only.
 */
#ifndef VFKIT_VMM_SANDBOX_H
#define VFKIT_VMM_SANDBOX_H

#include <stdbool.h>

enum sandbox_kind {
	SANDBOX_LOOP, /* the main thread once it runs the event loop */
	SANDBOX_VCPU,
	SANDBOX_REST,
	SANDBOX_KIND_COUNT,
};

#define SANDBOX_EXIT_STATUS 159 /* 128 + SIGSYS, as a shell reports a SIGSYS death */

/*
 * Main thread, before any other thread starts: reads VFKIT_SANDBOX and, when
 * the sandbox is on, installs the SIGSYS reporter. -1 (logged) when the
 * switch has a bad value or the kernel cannot filter system calls.
 */
int sandbox_init(void);

/* Whether sandbox_init() turned the sandbox on. */
bool sandbox_enabled(void);

/*
 * Confines the calling thread (and the threads it creates later) to the
 * allowlist of its kind; nothing when the sandbox is off. -1 (logged) if the
 * filter could not be installed: the thread must not go on running guest work.
 */
int sandbox_enter(enum sandbox_kind kind);

/* sandbox_enter() regardless of VFKIT_SANDBOX (tests). */
int sandbox_install(enum sandbox_kind kind);

const char *sandbox_kind_name(enum sandbox_kind kind);

#endif
