// SPDX-License-Identifier: Apache-2.0
/* vCPU threads: the KVM_RUN loop, exit dispatch, pause/resume/stop (vcpu.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "arch/x86/cpuid.h"
#include "util/log.h"
#include "util/thread.h"
#include "vmm/sandbox.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#define VCPU_KICK_SIGNAL SIGUSR1

static void kick_handler(int sig)
{
	(void)sig; /* only there to interrupt KVM_RUN */
}

static pthread_once_t kick_once = PTHREAD_ONCE_INIT;

static void install_kick_handler(void)
{
	struct sigaction sa = { .sa_handler = kick_handler, .sa_flags = SA_RESTART };

	sigemptyset(&sa.sa_mask);
	sigaction(VCPU_KICK_SIGNAL, &sa, NULL);
}

int vcpu_init(struct vm *vm, struct vcpu *v, unsigned int index,
	      const struct kvm_cpuid_entry2 *sup, unsigned int nsup)
{
	struct cpuid_topo topo = {
		.index = index,
		.ncpus = vm->ncpus,
		.nested = vm->cfg->nested,
		.tsc_deadline = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0,
	};

	memset(v, 0, sizeof(*v));
	v->vm = vm;
	v->index = index;
	v->fd = -1;
	pthread_mutex_init(&v->lock, NULL);
	pthread_cond_init(&v->cond, NULL);

	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)index);
	if (v->fd < 0) {
		log_error("vCPU %u: KVM_CREATE_VCPU: %s", index, strerror(errno));
		return -1;
	}
	v->run = mmap(NULL, (size_t)vm->vcpu_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		log_error("vCPU %u: mapping kvm_run: %s", index, strerror(errno));
		return -1;
	}
	if (cpuid_setup_vcpu(v->fd, sup, nsup, &topo) < 0 || msr_setup_vcpu(v->fd, index) < 0)
		return -1;
	return 0;
}

void vcpu_fini(struct vcpu *v)
{
	vcpu_stop(v);
	if (v->run)
		munmap(v->run, (size_t)v->vm->vcpu_mmap_size);
	if (v->fd >= 0)
		close(v->fd);
	v->run = NULL;
	v->fd = -1;
	pthread_mutex_destroy(&v->lock);
	pthread_cond_destroy(&v->cond);
}

/* bench/setup-time: the launcher exports its CLOCK_REALTIME at exec. */
static void report_first_run(void)
{
	const char *env = getenv("VFKIT_EXEC_TIME_NS");
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	if (!env) {
		log_debug("vCPU 0: first KVM_RUN");
		return;
	}
	long long start = strtoll(env, NULL, 10);
	long long ns = (long long)now.tv_sec * 1000000000LL + now.tv_nsec - start;

	log_info("setup time: %.2f ms from exec to the first KVM_RUN", (double)ns / 1e6);
}

static void dispatch_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool is_write = run->io.direction == KVM_EXIT_IO_OUT;

	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size)
		if (!bus_dispatch(&v->vm->pio, run->io.port, data, run->io.size, is_write) &&
		    log_get_level() >= LOG_LEVEL_DEBUG)
			log_ratelimited(LOG_LEVEL_DEBUG, "vCPU %u: unhandled port %s 0x%x/%u",
					v->index, is_write ? "write" : "read", run->io.port,
					run->io.size);
}

static void dispatch_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint32_t len = run->mmio.len > 8 ? 8 : run->mmio.len;

	/* Probing absent devices is normal: only worth a line when debugging. */
	if (!bus_dispatch(&v->vm->mmio, run->mmio.phys_addr, run->mmio.data, len,
			  run->mmio.is_write) &&
	    log_get_level() >= LOG_LEVEL_DEBUG)
		log_ratelimited(LOG_LEVEL_DEBUG, "vCPU %u: unhandled MMIO %s 0x%llx/%u", v->index,
				run->mmio.is_write ? "write" : "read",
				(unsigned long long)run->mmio.phys_addr, len);
}

static const char *internal_error_name(uint32_t suberror)
{
	switch (suberror) {
	case KVM_INTERNAL_ERROR_EMULATION:
		return "instruction emulation failed";
	case KVM_INTERNAL_ERROR_SIMUL_EX:
		return "exception while delivering an exception";
	case KVM_INTERNAL_ERROR_DELIVERY_EV:
		return "exit while delivering an event";
	case KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON:
		return "unexpected hardware exit reason";
	default:
		return "unknown";
	}
}

static void fatal_internal(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	char data[128] = "";
	size_t off = 0;
	uint32_t n = run->internal.ndata < 4 ? run->internal.ndata : 4;

	for (uint32_t i = 0; i < n && off < sizeof(data); i++)
		off += (size_t)snprintf(data + off, sizeof(data) - off, " 0x%llx",
					(unsigned long long)run->internal.data[i]);
	vm_fatal(v->vm, "vCPU %u: KVM internal error %u (%s), data:%s", v->index,
		 run->internal.suberror, internal_error_name(run->internal.suberror),
		 n ? data : " none");
}

/* 0: keep running; -1: this vCPU is done (the state machine ends the VM). */
static int system_event(struct vcpu *v)
{
	switch (v->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		vm_guest_poweroff(v->vm);
		return -1;
	case KVM_SYSTEM_EVENT_RESET:
		vm_guest_reset(v->vm);
		return -1;
	case KVM_SYSTEM_EVENT_CRASH:
		vm_fatal(v->vm, "vCPU %u: guest crashed", v->index);
		return -1;
	default:
		log_ratelimited(LOG_LEVEL_WARN, "vCPU %u: ignoring KVM system event %u", v->index,
				v->run->system_event.type);
		return 0;
	}
}

static int handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		dispatch_io(v);
		return 0;
	case KVM_EXIT_MMIO:
		dispatch_mmio(v);
		return 0;
	case KVM_EXIT_INTR:
		return 0;
	case KVM_EXIT_HLT:
		/* Only without an in-kernel LAPIC, which we always have. */
		return 0;
	case KVM_EXIT_SHUTDOWN:
		vm_fatal(v->vm, "guest triple fault (vCPU %u)", v->index);
		return -1;
	case KVM_EXIT_FAIL_ENTRY:
		vm_fatal(v->vm, "vCPU %u: KVM could not enter the guest (hardware reason 0x%llx)",
			 v->index,
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return -1;
	case KVM_EXIT_INTERNAL_ERROR:
		fatal_internal(v);
		return -1;
	case KVM_EXIT_SYSTEM_EVENT:
		return system_event(v);
	default:
		vm_fatal(v->vm, "vCPU %u: unexpected KVM exit reason %u", v->index,
			 run->exit_reason);
		return -1;
	}
}

/* Parks while a pause is requested; false once the thread must end. */
static bool wait_runnable(struct vcpu *v)
{
	bool run;

	pthread_mutex_lock(&v->lock);
	/* Cleared under the lock: a kick after this point sets it again. */
	v->run->immediate_exit = 0;
	while (v->pause_req && !v->stop_req) {
		v->parked = true;
		pthread_cond_broadcast(&v->cond);
		pthread_cond_wait(&v->cond, &v->lock);
	}
	v->parked = false;
	run = !v->stop_req;
	pthread_mutex_unlock(&v->lock);
	return run;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	sigset_t set;
	char name[16];
	bool first = v->index == 0;
	bool confined;

	snprintf(name, sizeof(name), "vcpu%u", v->index);
	pthread_setname_np(pthread_self(), name);
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	/* Before the guest's first instruction: a guest never meets an unconfined vCPU. */
	confined = sandbox_enter(SANDBOX_VCPU) == 0;
	if (!confined)
		vm_fatal(v->vm, "vCPU %u: cannot confine its thread", v->index);

	while (confined && wait_runnable(v)) {
		if (first) {
			first = false;
			report_first_run();
		}
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			vm_fatal(v->vm, "vCPU %u: KVM_RUN: %s", v->index, strerror(errno));
			break;
		}
		if (handle_exit(v) < 0)
			break;
	}

	pthread_mutex_lock(&v->lock);
	v->exited = true;
	v->parked = true;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
	return NULL;
}

int vcpu_start(struct vcpu *v)
{
	int err;

	pthread_once(&kick_once, install_kick_handler);
	v->pause_req = v->stop_req = v->exited = v->parked = false;
	err = thread_create(&v->thread, vcpu_thread, v);
	if (err) {
		log_error("vCPU %u: creating its thread: %s", v->index, strerror(err));
		return -1;
	}
	v->started = true;
	return 0;
}

static void kick_locked(struct vcpu *v)
{
	v->run->immediate_exit = 1;
	if (!v->exited)
		pthread_kill(v->thread, VCPU_KICK_SIGNAL);
}

void vcpu_request_pause(struct vcpu *v)
{
	if (!v->started)
		return;
	pthread_mutex_lock(&v->lock);
	v->pause_req = true;
	kick_locked(v);
	pthread_mutex_unlock(&v->lock);
}

void vcpu_wait_parked(struct vcpu *v)
{
	if (!v->started || pthread_equal(v->thread, pthread_self()))
		return;
	pthread_mutex_lock(&v->lock);
	while (!v->parked)
		pthread_cond_wait(&v->cond, &v->lock);
	pthread_mutex_unlock(&v->lock);
}

void vcpu_resume(struct vcpu *v)
{
	if (!v->started)
		return;
	pthread_mutex_lock(&v->lock);
	v->pause_req = false;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
}

void vcpu_stop(struct vcpu *v)
{
	if (!v->started)
		return;
	pthread_mutex_lock(&v->lock);
	v->stop_req = true;
	kick_locked(v);
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
	if (pthread_equal(v->thread, pthread_self()))
		return; /* a vCPU ending the VM from its own exit: the loop joins it later */
	pthread_join(v->thread, NULL);
	v->started = false;
}
