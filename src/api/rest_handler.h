/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The REST API as a pure function: (method, path, body) → (status, body).
 * No sockets and no VM here, so it can be unit-tested and fuzzed; the VM is
 * reached through struct rest_backend (api/rest.c fills it from struct vm).
 */
#ifndef VFKIT_REST_HANDLER_H
#define VFKIT_REST_HANDLER_H

#include <stdbool.h>
#include <stddef.h>

#include "vmm/vm.h"

/* Larger request bodies get 413. A state change is ~20 bytes. */
#define REST_MAX_BODY 4096

#define REST_JSON_TYPE "application/json; charset=utf-8"

struct rest_backend {
	void (*get_state)(void *opaque, struct vm_state_info *info);
	/* 0, or -1 with a message for the client in err. */
	int (*request_state)(void *opaque, enum vm_request req, char *err, size_t errlen);
	/* The /vm/inspect document, malloc'ed; NULL on failure. */
	char *(*inspect_json)(void *opaque);
	void *opaque;
};

struct rest_response {
	unsigned int status;
	char *body;		  /* malloc'ed; NULL for an empty body */
	const char *content_type; /* NULL with an empty body */
	const char *location;	  /* redirect target, else NULL */
};

/*
 * Answers one request. body/body_len is the request body (need not be
 * NUL-terminated); body_too_large says it exceeded REST_MAX_BODY and was
 * dropped. Always fills resp (500 with a JSON error if memory runs out);
 * free it with rest_response_free().
 */
void rest_handle(const struct rest_backend *be, const char *method, const char *path,
		 const char *body, size_t body_len, bool body_too_large,
		 struct rest_response *resp);

void rest_response_free(struct rest_response *resp);

#endif
