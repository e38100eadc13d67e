/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vfkit's REST API (GET/POST /vm/state, GET /vm/inspect) on tcp or a unix
 * socket, per --restful-uri.
 */
#ifndef VFKIT_REST_H
#define VFKIT_REST_H

struct vm;

/* Starts listening (nothing for none://). 0, or -1 after logging an error. */
int rest_start(struct vm *vm);
/* Stops serving and removes the unix socket file. Idempotent. */
void rest_stop(struct vm *vm);

#endif
