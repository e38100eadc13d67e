// SPDX-License-Identifier: Apache-2.0
/*
 * rest_handle() on arbitrary requests. Input: one byte picks the VM state
 * (high nibble) and the method (low nibble), the bytes up to the first '\n' are the path, the rest is the body (its length
 * decides body_too_large as the server would). A small fake VM follows the
 * real transition rules so state-dependent paths are reached too.
 *
 * Checked: every response has a known status, error responses are JSON
 * objects with a string "error", successful GET /vm/state is JSON with the
 * six keys, and a refused change leaves the state alone.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/rest_handler.h"

static enum vm_state state = VM_STATE_RUNNING;

static void fake_get_state(void *opaque, struct vm_state_info *info)
{
	(void)opaque;
	*info = (struct vm_state_info){ .state = state };
	info->can_pause = info->can_stop = state == VM_STATE_RUNNING;
	info->can_resume = state == VM_STATE_PAUSED;
	info->can_hard_stop = state == VM_STATE_RUNNING || state == VM_STATE_PAUSED;
	info->can_start = state == VM_STATE_STOPPED;
}

static int fake_request(void *opaque, enum vm_request req, char *err, size_t errlen)
{
	struct vm_state_info info;

	fake_get_state(opaque, &info);
	if ((req == VM_REQ_PAUSE && !info.can_pause) || (req == VM_REQ_RESUME && !info.can_resume) ||
	    (req == VM_REQ_STOP && !info.can_stop) ||
	    (req == VM_REQ_HARD_STOP && !info.can_hard_stop)) {
		snprintf(err, errlen, "cannot change state from %s", vm_state_name(state));
		return -1;
	}
	if (req == VM_REQ_PAUSE)
		state = VM_STATE_PAUSED;
	else if (req == VM_REQ_RESUME)
		state = VM_STATE_RUNNING;
	else if (req == VM_REQ_HARD_STOP)
		state = VM_STATE_STOPPED;
	return 0;
}

static char *fake_inspect(void *opaque)
{
	(void)opaque;
	return strdup("{\"vcpus\":1,\"memoryBytes\":536870912,\"cpus\":1,\"memory\":512}");
}

static const struct rest_backend be = { fake_get_state, fake_request, fake_inspect, NULL };

static const char *const methods[] = { "GET", "POST", "PUT", "HEAD", "DELETE", "get", "" };

static void check_response(const struct rest_response *r)
{
	json_t *doc;

	switch (r->status) {
	case 200:
	case 301:
	case 307:
	case 400:
	case 404:
	case 413:
	case 500:
		break;
	default:
		abort();
	}
	if (r->status < 400)
		return;
	if (!r->body)
		abort();
	doc = json_loads(r->body, 0, NULL);
	if (!doc || !json_is_string(json_object_get(doc, "error")) || json_object_size(doc) != 1)
		abort();
	json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rest_response r;
	const char *method;
	enum vm_state before;
	const char *nl;
	char path[256];
	size_t plen;

	if (size < 1)
		return 0;
	state = (enum vm_state)((data[0] >> 4) % (VM_STATE_ERROR + 1));
	method = methods[(data[0] & 0xf) % (sizeof(methods) / sizeof(methods[0]))];
	before = state;
	data++;
	size--;
	nl = memchr(data, '\n', size);
	plen = nl ? (size_t)(nl - (const char *)data) : size;
	if (plen >= sizeof(path))
		plen = sizeof(path) - 1;
	memcpy(path, data, plen);
	path[plen] = '\0';
	data += nl ? plen + 1 : size;
	size -= nl ? plen + 1 : size;

	rest_handle(&be, method, path, (const char *)data, size, size > REST_MAX_BODY, &r);
	check_response(&r);
	if (r.status >= 400 && state != before)
		abort(); /* a refused request changed the state */
	rest_response_free(&r);
	return 0;
}
