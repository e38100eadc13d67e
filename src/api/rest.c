// SPDX-License-Identifier: Apache-2.0
/*
 * rest_start()/rest_stop(): the REST server of one VM. The backend callbacks
 * go straight to the state machine (vmm/vm.c) and the configuration's JSON.
 */
#include <stdlib.h>

#include "api/rest.h"
#include "api/rest_server.h"
#include "config/cli.h"
#include "util/log.h"
#include "vmm/vm.h"

static void backend_get_state(void *opaque, struct vm_state_info *info)
{
	vm_get_state(opaque, info);
}

static int backend_request_state(void *opaque, enum vm_request req, char *err, size_t errlen)
{
	return vm_request_state(opaque, req, err, errlen);
}

static char *backend_inspect(void *opaque)
{
	struct vm *vm = opaque;

	return config_inspect_json(vm->cfg);
}

static void rest_exit_handler(void *opaque)
{
	rest_stop(opaque);
}

int rest_start(struct vm *vm)
{
	const struct rest_backend be = {
		.get_state = backend_get_state,
		.request_state = backend_request_state,
		.inspect_json = backend_inspect,
		.opaque = vm,
	};

	if (vm->cfg->rest.scheme == REST_NONE)
		return 0;
	vm->rest = rest_server_start(&vm->cfg->rest, &be);
	if (!vm->rest)
		return -1;
	/* Also on early error returns: the socket file must not outlive us. */
	if (vm_at_exit(vm, rest_exit_handler, vm) < 0) {
		rest_stop(vm);
		log_error("REST API: out of memory");
		return -1;
	}
	return 0;
}

void rest_stop(struct vm *vm)
{
	struct rest_server *srv = vm->rest;

	vm->rest = NULL;
	rest_server_stop(srv);
}
