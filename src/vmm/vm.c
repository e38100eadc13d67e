// SPDX-License-Identifier: Apache-2.0
/*
 * The VM state machine (reference section 9.4, design.md section 3).
 *
 * vm->state is read and written only under vm->state_lock. Work that parks or
 * ends vCPU threads runs on the loop thread: a requester sets the transitional
 * state (Pausing, Resuming, Stopping), queues sm_step() with loop_call() and
 * waits on state_cond until the loop thread has moved the state on. Only one
 * transition can be in flight because every transitional state refuses every
 * request, so the state itself says what the queued step has to do.
 *
 * Events from the guest or from failures (power-off, reset, fatal errors) only
 * record why the VM ends and queue vm_finish(); they never wait, so a vCPU
 * thread can raise them without waiting for itself to park.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "arch/x86/platform.h"
#include "util/log.h"
#include "vmm/kvm.h"
#include "vmm/lifecycle.h"
#include "vmm/vm.h"

enum end_reason {
	END_NONE = 0,
	END_POWEROFF,
	END_RESET,
	END_HARD_STOP,
	END_FATAL,
};

/* Guarded by vm->state_lock (one VM per process). */
static struct {
	pthread_t loop_thread;
	bool have_loop_thread;
	enum end_reason end;
	bool finishing;	    /* vm_finish() has taken over */
	bool started;	    /* vm_set_starting() ran: vCPUs may exist */
	unsigned long seq;  /* transitions started (Pausing, Resuming) */
	unsigned long done; /* the last one sm_step() completed */
} sm;

static pthread_cond_t state_cond = PTHREAD_COND_INITIALIZER;

void vm_state_init(struct vm *vm)
{
	pthread_mutex_init(&vm->state_lock, NULL);
	vm->state = VM_STATE_STOPPED;
	vm->exit_status = 0;
	vm->exit_handlers = NULL;
	sm.loop_thread = pthread_self();
	sm.have_loop_thread = true;
	sm.end = END_NONE;
	sm.finishing = false;
	sm.seq = sm.done = 0;
	sm.started = false;
}

static bool on_loop_thread(void)
{
	return sm.have_loop_thread && pthread_equal(sm.loop_thread, pthread_self());
}

/* Caller holds state_lock. Once the VM is ending nothing more is allowed. */
static void fill_info(struct vm *vm, struct vm_state_info *info)
{
	enum vm_state s = vm->state;
	bool live = sm.end == END_NONE;

	*info = (struct vm_state_info){.state = s};
	info->can_start = s == VM_STATE_STOPPED || s == VM_STATE_ERROR;
	info->can_pause = live && s == VM_STATE_RUNNING;
	info->can_resume = live && s == VM_STATE_PAUSED;
	info->can_stop = live && s == VM_STATE_RUNNING;
	info->can_hard_stop = live && (s == VM_STATE_RUNNING || s == VM_STATE_PAUSED);
}

void vm_get_state(struct vm *vm, struct vm_state_info *info)
{
	pthread_mutex_lock(&vm->state_lock);
	fill_info(vm, info);
	pthread_mutex_unlock(&vm->state_lock);
}

static void set_state(struct vm *vm, enum vm_state state)
{
	if (vm->state != state)
		log_debug("VM state: %s -> %s", vm_state_name(vm->state), vm_state_name(state));
	vm->state = state;
	pthread_cond_broadcast(&state_cond);
}

void vm_set_starting(struct vm *vm)
{
	pthread_mutex_lock(&vm->state_lock);
	sm.started = true;
	if (vm->state == VM_STATE_STOPPED && sm.end == END_NONE)
		set_state(vm, VM_STATE_STARTING);
	pthread_mutex_unlock(&vm->state_lock);
}

bool vm_set_running(struct vm *vm)
{
	bool ok;

	pthread_mutex_lock(&vm->state_lock);
	ok = vm->state == VM_STATE_STARTING && sm.end == END_NONE;
	if (ok)
		set_state(vm, VM_STATE_RUNNING);
	pthread_mutex_unlock(&vm->state_lock);
	if (ok)
		log_info("virtual machine is running");
	return ok;
}

void vm_finish(struct vm *vm)
{
	enum end_reason end;
	bool started;

	pthread_mutex_lock(&vm->state_lock);
	if (sm.finishing) {
		pthread_mutex_unlock(&vm->state_lock);
		return;
	}
	sm.finishing = true;
	end = sm.end;
	started = sm.started;
	if (end != END_FATAL && vm->state != VM_STATE_STOPPED)
		set_state(vm, VM_STATE_STOPPING);
	pthread_mutex_unlock(&vm->state_lock);

	/* Idempotent; parked vCPUs are ended too. */
	if (started)
		kvm_vcpus_stop(vm);

	pthread_mutex_lock(&vm->state_lock);
	if (end == END_FATAL) {
		vm->exit_status = 1;
		set_state(vm, VM_STATE_ERROR);
	} else {
		/* END_NONE: never started or run.c gave up; its exit_status stands. */
		if (end != END_NONE)
			vm->exit_status = 0;
		set_state(vm, VM_STATE_STOPPED);
	}
	pthread_mutex_unlock(&vm->state_lock);

	if (end == END_FATAL)
		log_error("virtualization error: hypervisor virtualization error");
	else if (end != END_NONE)
		log_info("VM is stopped");
	if (vm->loop)
		loop_quit(vm->loop);
}

static void finish_cb(void *opaque)
{
	vm_finish(opaque);
}

/* Records why the VM ends (first reason wins, except that errors win) and
 * queues vm_finish() on the loop. Never waits. */
static void vm_end(struct vm *vm, enum end_reason why)
{
	bool queue;

	pthread_mutex_lock(&vm->state_lock);
	queue = !sm.finishing && sm.end == END_NONE;
	if (!sm.finishing && (sm.end == END_NONE || why == END_FATAL))
		sm.end = why;
	if (why == END_FATAL && !sm.finishing) {
		set_state(vm, VM_STATE_ERROR);
	} else if (queue && (vm->state == VM_STATE_RUNNING || vm->state == VM_STATE_PAUSED ||
			     vm->state == VM_STATE_STARTING)) {
		/* Pausing/Resuming finish their queued step first. */
		set_state(vm, VM_STATE_STOPPING);
	}
	pthread_mutex_unlock(&vm->state_lock);
	if (!queue)
		return;
	if (!vm->loop || loop_call(vm->loop, finish_cb, vm) < 0) {
		/* No loop to run it on (or out of memory): run.c's vm_finish() does it. */
		if (vm->loop)
			loop_quit(vm->loop);
	}
}

void vm_guest_poweroff(struct vm *vm)
{
	log_debug("guest powered off");
	vm_end(vm, END_POWEROFF);
}

void vm_guest_reset(struct vm *vm)
{
	log_info("guest requested a reboot: vfkit stops the VM as upstream does");
	vm_end(vm, END_RESET);
}

void vm_fatal(struct vm *vm, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("%s", msg);
	vm_end(vm, END_FATAL);
}

void vm_force_stop(struct vm *vm)
{
	vm_end(vm, END_HARD_STOP);
	vm_finish(vm);
}

/* Loop thread: carries out the transition the state names. */
static void sm_step(void *opaque)
{
	struct vm *vm = opaque;
	enum vm_state s;

	pthread_mutex_lock(&vm->state_lock);
	s = sm.finishing ? VM_STATE_STOPPED : vm->state;
	pthread_mutex_unlock(&vm->state_lock);

	if (s == VM_STATE_PAUSING)
		kvm_vcpus_pause(vm);
	else if (s == VM_STATE_RESUMING)
		kvm_vcpus_resume(vm);
	else
		return;

	pthread_mutex_lock(&vm->state_lock);
	if (vm->state == s) {
		sm.done = sm.seq;
		set_state(vm, s == VM_STATE_PAUSING ? VM_STATE_PAUSED : VM_STATE_RUNNING);
	}
	pthread_mutex_unlock(&vm->state_lock);
}

static const char *const req_names[] = {
	[VM_REQ_PAUSE] = "pause",
	[VM_REQ_RESUME] = "resume",
	[VM_REQ_STOP] = "stop",
	[VM_REQ_HARD_STOP] = "hard stop",
};

static bool allowed(const struct vm_state_info *info, enum vm_request req)
{
	switch (req) {
	case VM_REQ_PAUSE:
		return info->can_pause;
	case VM_REQ_RESUME:
		return info->can_resume;
	case VM_REQ_STOP:
		return info->can_stop;
	case VM_REQ_HARD_STOP:
		return info->can_hard_stop;
	}
	return false;
}

/*
 * Waits for the transition numbered seq. It either completes (sm.done) or is
 * overtaken by the VM ending, which moves the state out of `transitional`.
 * Another request may already have started the next transition by the time we
 * wake up, so the state alone does not tell.
 */
static int run_transition(struct vm *vm, enum vm_state transitional, unsigned long seq, char *err,
			  size_t errlen)
{
	int ret = 0;

	if (on_loop_thread()) {
		sm_step(vm);
	} else if (loop_call(vm->loop, sm_step, vm) < 0) {
		pthread_mutex_lock(&vm->state_lock);
		if (vm->state == transitional)
			set_state(vm, transitional == VM_STATE_PAUSING ? VM_STATE_RUNNING
								       : VM_STATE_PAUSED);
		pthread_mutex_unlock(&vm->state_lock);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_lock(&vm->state_lock);
	while (sm.done < seq && vm->state == transitional)
		pthread_cond_wait(&state_cond, &vm->state_lock);
	if (sm.done < seq) {
		snprintf(err, errlen, "the VM is %s", vm_state_name(vm->state));
		ret = -1;
	}
	pthread_mutex_unlock(&vm->state_lock);
	return ret;
}

static int hard_stop(struct vm *vm)
{
	vm_end(vm, END_HARD_STOP);
	if (on_loop_thread()) {
		vm_finish(vm);
		return 0;
	}
	/* Completes before the reply, as upstream's HardStop does. */
	pthread_mutex_lock(&vm->state_lock);
	while (vm->state != VM_STATE_STOPPED && vm->state != VM_STATE_ERROR)
		pthread_cond_wait(&state_cond, &vm->state_lock);
	pthread_mutex_unlock(&vm->state_lock);
	return 0;
}

int vm_request_state(struct vm *vm, enum vm_request req, char *err, size_t errlen)
{
	struct vm_state_info info;
	unsigned long seq = 0;

	if ((unsigned int)req > VM_REQ_HARD_STOP) {
		snprintf(err, errlen, "invalid state change request");
		return -1;
	}
	pthread_mutex_lock(&vm->state_lock);
	fill_info(vm, &info);
	if (!allowed(&info, req)) {
		pthread_mutex_unlock(&vm->state_lock);
		snprintf(err, errlen, "cannot %s the VM: it is %s%s", req_names[req],
			 vm_state_name(info.state), sm.end != END_NONE ? " and ending" : "");
		return -1;
	}
	if (req == VM_REQ_PAUSE || req == VM_REQ_RESUME) {
		seq = ++sm.seq;
		set_state(vm, req == VM_REQ_PAUSE ? VM_STATE_PAUSING : VM_STATE_RESUMING);
	}
	pthread_mutex_unlock(&vm->state_lock);

	log_info("VM state change: %s", req_names[req]);
	switch (req) {
	case VM_REQ_PAUSE:
		return run_transition(vm, VM_STATE_PAUSING, seq, err, errlen);
	case VM_REQ_RESUME:
		return run_transition(vm, VM_STATE_RESUMING, seq, err, errlen);
	case VM_REQ_STOP:
		/* The guest decides; it powers off later through vm_guest_poweroff(). */
		platform_press_power_button(vm);
		return 0;
	case VM_REQ_HARD_STOP:
		return hard_stop(vm);
	}
	return -1;
}

int vm_at_exit(struct vm *vm, vm_exit_fn fn, void *opaque)
{
	struct vm_exit_handler *h = malloc(sizeof(*h));

	if (!h)
		return -ENOMEM;
	pthread_mutex_lock(&vm->state_lock);
	*h = (struct vm_exit_handler){.fn = fn, .opaque = opaque, .next = vm->exit_handlers};
	vm->exit_handlers = h;
	pthread_mutex_unlock(&vm->state_lock);
	return 0;
}

void vm_run_exit_handlers(struct vm *vm)
{
	for (;;) {
		struct vm_exit_handler *h;

		/* Pop one at a time: a handler may register another. */
		pthread_mutex_lock(&vm->state_lock);
		h = vm->exit_handlers;
		if (h)
			vm->exit_handlers = h->next;
		pthread_mutex_unlock(&vm->state_lock);
		if (!h)
			break;
		h->fn(h->opaque);
		free(h);
	}
}
