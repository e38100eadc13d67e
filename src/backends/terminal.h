/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The controlling terminal for stdio consoles: raw-ish while the VM runs,
 * restored on every way out (normal exit, vm exit handlers, atexit, fatal
 * signals). Without a terminal (pipes, CI) these do nothing and succeed.
 */
#ifndef VFKIT_TERMINAL_H
#define VFKIT_TERMINAL_H

struct vm;

/*
 * Clears ICRNL, ICANON and ECHO on fd (ISIG stays, so Ctrl-C still reaches
 * us) and arranges for the restore. 0 if fd is not a terminal. -errno.
 */
int terminal_raw(int fd, struct vm *vm);
/* Puts back the saved settings; idempotent and async-signal-safe. */
void terminal_restore(void);
/* Fully raw (cfmakeraw), for a pty master we own: nothing to restore. */
int terminal_make_raw(int fd);

#endif
