// SPDX-License-Identifier: Apache-2.0
/* State names as /vm/state reports them; apart from vm.c so the REST handler
 * (and its tests and fuzzer) need nothing else from the VMM. */
#include "vmm/vm.h"

static const char *const state_names[] = {
	[VM_STATE_STOPPED] = "VirtualMachineStateStopped",
	[VM_STATE_STARTING] = "VirtualMachineStateStarting",
	[VM_STATE_RUNNING] = "VirtualMachineStateRunning",
	[VM_STATE_PAUSING] = "VirtualMachineStatePausing",
	[VM_STATE_PAUSED] = "VirtualMachineStatePaused",
	[VM_STATE_RESUMING] = "VirtualMachineStateResuming",
	[VM_STATE_STOPPING] = "VirtualMachineStateStopping",
	[VM_STATE_ERROR] = "VirtualMachineStateError",
};

const char *vm_state_name(enum vm_state state)
{
	if ((unsigned int)state >= sizeof(state_names) / sizeof(state_names[0]))
		return "VirtualMachineStateError";
	return state_names[state];
}
