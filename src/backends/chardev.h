/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Character backends behind consoles: a log file, the process's stdio (raw
 * terminal while running, restored on every exit), or a new pty.
 * Output never blocks a vCPU: what the backend cannot take now is buffered
 * (bounded) and flushed from the event loop.
 */
#ifndef VFKIT_CHARDEV_H
#define VFKIT_CHARDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config/config.h"

struct vm;
struct chardev;

/* Called on the loop thread with input bytes. */
typedef void (*chardev_input_fn)(void *opaque, const void *buf, size_t len);

/*
 * Opens the backend the serial config names. For pty, fills cfg->pty_name
 * and logs "Using PTY (pty path: ...)". NULL after logging an error.
 */
struct chardev *chardev_open(struct vm *vm, struct serial_config *cfg);
void chardev_close(struct chardev *chr);

/* Thread-safe; returns len (excess beyond the buffer bound is dropped and counted). */
size_t chardev_write(struct chardev *chr, const void *buf, size_t len);

/* Input delivery; pass NULL to stop reading. */
void chardev_set_input(struct chardev *chr, chardev_input_fn fn, void *opaque);
/* Flow control: stop/start reading input (e.g. guest has no receive buffers). */
void chardev_accept_input(struct chardev *chr, bool accept);

#endif
