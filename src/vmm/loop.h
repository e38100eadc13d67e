/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The main thread's event loop (epoll). Everything that is not a vCPU runs
 * here: signals, timers, the REST server's wake-ups, console and network
 * backends, block completions. Callbacks must not block.
 */
#ifndef VFKIT_LOOP_H
#define VFKIT_LOOP_H

#include <stdint.h>

struct loop;

/* events: EPOLLIN / EPOLLOUT / EPOLLHUP / EPOLLERR as reported by epoll. */
typedef void (*loop_fd_fn)(void *opaque, uint32_t events);
typedef void (*loop_call_fn)(void *opaque);

struct loop *loop_new(void);
void loop_free(struct loop *loop);

/* Watch fd (loop thread only). 0 or -errno. */
int loop_add(struct loop *loop, int fd, uint32_t events, loop_fd_fn fn, void *opaque);
int loop_modify(struct loop *loop, int fd, uint32_t events);
/* Safe from inside a callback, including the fd's own. */
int loop_remove(struct loop *loop, int fd);

/* Run fn(opaque) on the loop thread soon. Thread-safe; 0 or -ENOMEM. */
int loop_call(struct loop *loop, loop_call_fn fn, void *opaque);

/* Dispatch until loop_quit(). */
void loop_run(struct loop *loop);
/* Thread-safe. */
void loop_quit(struct loop *loop);

#endif
