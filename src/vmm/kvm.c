// SPDX-License-Identifier: Apache-2.0
/*
 * The KVM VM: /dev/kvm checks, memory slots, irqchip, PIT, vCPUs, and pausing
 * them (kvm.h).
 *
 * Guest time across a pause: kvmclock is read (KVM_GET_CLOCK) when the last
 * vCPU has parked and written back (KVM_SET_CLOCK) before the first one runs
 * again, so the guest sees no time pass while paused, as with QEMU's stop/cont.
 * Its clock never jumps backwards and its watchdogs (soft lockup, RCU stall)
 * do not fire after a long pause; the wall clock then lags behind by the pause,
 * which the time sync agent (--timesync) corrects.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "arch/x86/cpuid.h"
#include "arch/x86/layout.h"
#include "util/log.h"
#include "vmm/kvm.h"
#include "vmm/kvm_internal.h"
#include "vmm/vcpu.h"

#define KVM_DEV            "/dev/kvm"
/* Below 4 GiB, outside RAM, the PCI windows, the LAPIC and the flash. */
#define KVM_IDENTITY_MAP   0xfeffc000ULL /* one page */
#define KVM_TSS_ADDR       0xfeffd000ULL /* three pages */

static bool module_loaded(const char *name)
{
	char path[64];

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return access(path, F_OK) == 0;
}

/* PVM (kvm_pvm) runs only PVM-enabled guest kernels: stock ones hang early. */
static bool is_pvm_host(void)
{
	return module_loaded("kvm_pvm") && !module_loaded("kvm_intel") &&
	       !module_loaded("kvm_amd");
}

#define PVM_NOTE                                                                                   \
	"this host's KVM is PVM (kvm_pvm), which cannot boot stock guest kernels; use a host "    \
	"with kvm_intel/kvm_amd, or the nested test host (README.md, 'Machines without "          \
	"hardware KVM')"

static int open_kvm(void)
{
	int fd = open(KVM_DEV, O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	if (is_pvm_host())
		log_error(KVM_DEV ": %s (" PVM_NOTE ")", strerror(errno));
	else if (errno == ENOENT)
		log_error(KVM_DEV ": %s (is KVM enabled? load the kvm_intel or kvm_amd module)",
			  strerror(errno));
	else if (errno == EACCES || errno == EPERM)
		log_error(KVM_DEV ": %s (add your user to the group owning " KVM_DEV ")",
			  strerror(errno));
	else
		log_error(KVM_DEV ": %s", strerror(errno));
	return -1;
}

static int check_caps(int kvm_fd, unsigned int ncpus)
{
	static const struct {
		int cap;
		const char *name;
	} caps[] = {
		{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
		{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
		{ KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING" },
		{ KVM_CAP_IRQFD, "KVM_CAP_IRQFD" },
		{ KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD" },
		{ KVM_CAP_SIGNAL_MSI, "KVM_CAP_SIGNAL_MSI" },
		{ KVM_CAP_PIT2, "KVM_CAP_PIT2" },
		{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
		{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
		{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
		{ KVM_CAP_ADJUST_CLOCK, "KVM_CAP_ADJUST_CLOCK" },
	};
	int version = ioctl(kvm_fd, KVM_GET_API_VERSION, 0);

	if (version != KVM_API_VERSION) {
		log_error(KVM_DEV ": KVM API version %d, need %d", version, KVM_API_VERSION);
		return -1;
	}
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, caps[i].cap) <= 0) {
			log_error(KVM_DEV ": KVM lacks the required capability %s", caps[i].name);
			return -1;
		}
	}

	int max = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);

	if (max <= 0)
		max = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	if (max > 0 && ncpus > (unsigned int)max) {
		log_error("--cpus %u: KVM supports at most %d vCPUs", ncpus, max);
		return -1;
	}
	return 0;
}

static int vm_ioctl(struct vm *vm, unsigned long req, unsigned long arg, const char *what)
{
	if (ioctl(vm->vm_fd, req, arg) < 0) {
		log_error("%s: %s", what, strerror(errno));
		return -1;
	}
	return 0;
}

static int setup_platform(struct vm *vm)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	uint64_t idmap = KVM_IDENTITY_MAP;

	/* Both are only used by VMX (real mode emulation), but must precede the vCPUs. */
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0 &&
	    vm_ioctl(vm, KVM_SET_IDENTITY_MAP_ADDR, (unsigned long)&idmap,
		     "KVM_SET_IDENTITY_MAP_ADDR") < 0)
		return -1;
	if (vm_ioctl(vm, KVM_SET_TSS_ADDR, KVM_TSS_ADDR, "KVM_SET_TSS_ADDR") < 0 ||
	    vm_ioctl(vm, KVM_CREATE_IRQCHIP, 0, "KVM_CREATE_IRQCHIP") < 0 ||
	    vm_ioctl(vm, KVM_CREATE_PIT2, (unsigned long)&pit, "KVM_CREATE_PIT2") < 0)
		return -1;
	return 0;
}

static int setup_memory(struct vm *vm)
{
	uint64_t bytes = vm->cfg->memory_mib << 20;
	int err = guest_mem_init(&vm->mem, bytes, RAM_LOW_MAX, RAM_HIGH_START);

	if (err < 0) {
		log_error("guest memory (%llu MiB): %s", (unsigned long long)vm->cfg->memory_mib,
			  strerror(-err));
		return -1;
	}
	for (unsigned int i = 0; i < vm->mem.nregions; i++) {
		const struct guest_mem_region *r = &vm->mem.regions[i];
		struct kvm_userspace_memory_region slot = {
			.slot = i,
			.guest_phys_addr = r->gpa,
			.memory_size = r->size,
			.userspace_addr = (uintptr_t)r->host,
		};

		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0) {
			log_error("KVM_SET_USER_MEMORY_REGION (slot %u at 0x%llx): %s", i,
				  (unsigned long long)r->gpa, strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int create_vcpus(struct vm *vm)
{
	struct kvm_cpuid_entry2 *sup = calloc(CPUID_MAX_ENTRIES, sizeof(*sup));
	int nsup, ret = 0;

	vm->vcpu_mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	vm->vcpus = calloc(vm->ncpus, sizeof(*vm->vcpus));
	if (!sup || !vm->vcpus) {
		free(sup);
		log_error("creating vCPUs: %s", strerror(ENOMEM));
		return -1;
	}
	if (vm->vcpu_mmap_size < (int)sizeof(struct kvm_run)) {
		free(sup);
		log_error("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
		return -1;
	}
	nsup = cpuid_get_supported(vm->kvm_fd, sup, CPUID_MAX_ENTRIES);
	for (unsigned int i = 0; nsup >= 0 && i < vm->ncpus; i++) {
		if (vcpu_init(vm, &vm->vcpus[i], i, sup, (unsigned int)nsup) < 0) {
			ret = -1;
			break;
		}
	}
	free(sup);
	return nsup < 0 ? -1 : ret;
}

int kvm_vm_create(struct vm *vm)
{
	vm->kvm_fd = vm->vm_fd = -1;
	vm->vcpus = NULL;
	vm->mem.memfd = -1;
	vm->ncpus = (unsigned int)vm->cfg->cpus;
	bus_init(&vm->pio, "pio");
	bus_init(&vm->mmio, "mmio");
	vm->kvm_state = calloc(1, sizeof(*vm->kvm_state));
	vm->loop = loop_new();
	if (!vm->kvm_state || !vm->loop) {
		log_error("creating the VM: %s", strerror(ENOMEM));
		goto fail;
	}
	pthread_mutex_init(&vm->kvm_state->irq_lock, NULL);

	vm->kvm_fd = open_kvm();
	if (vm->kvm_fd < 0 || check_caps(vm->kvm_fd, vm->ncpus) < 0)
		goto fail;
	if (is_pvm_host())
		log_warn("%s", PVM_NOTE);
	do
		vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	while (vm->vm_fd < 0 && errno == EINTR);
	if (vm->vm_fd < 0) {
		log_error("KVM_CREATE_VM: %s", strerror(errno));
		goto fail;
	}
	if (setup_platform(vm) < 0 || setup_memory(vm) < 0 || irq_init(vm) < 0 ||
	    create_vcpus(vm) < 0)
		goto fail;
	return 0;
fail:
	kvm_vm_destroy(vm);
	return -1;
}

void kvm_vm_destroy(struct vm *vm)
{
	if (!vm->kvm_state)
		return; /* never created, or already destroyed */
	if (vm->vcpus) {
		for (unsigned int i = 0; i < vm->ncpus; i++)
			if (vm->vcpus[i].vm)
				vcpu_fini(&vm->vcpus[i]);
		free(vm->vcpus);
		vm->vcpus = NULL;
	}
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	vm->vm_fd = vm->kvm_fd = -1;
	if (vm->mem.memfd >= 0 || vm->mem.base)
		guest_mem_free(&vm->mem);
	bus_destroy(&vm->pio);
	bus_destroy(&vm->mmio);
	loop_free(vm->loop);
	vm->loop = NULL;
	pthread_mutex_destroy(&vm->kvm_state->irq_lock);
	free(vm->kvm_state);
	vm->kvm_state = NULL;
}

int kvm_vcpus_start(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->ncpus; i++)
		if (vcpu_start(&vm->vcpus[i]) < 0)
			return -1;
	return 0;
}

void kvm_vcpus_pause(struct vm *vm)
{
	struct kvm_state *ks = vm->kvm_state;

	for (unsigned int i = 0; i < vm->ncpus; i++)
		vcpu_request_pause(&vm->vcpus[i]);
	for (unsigned int i = 0; i < vm->ncpus; i++)
		vcpu_wait_parked(&vm->vcpus[i]);
	if (ks->clock_saved)
		return; /* paused twice: keep the first reading */
	if (ioctl(vm->vm_fd, KVM_GET_CLOCK, &ks->clock) < 0)
		log_warn("KVM_GET_CLOCK: %s (guest time will include the pause)",
			 strerror(errno));
	else
		ks->clock_saved = true;
}

void kvm_vcpus_resume(struct vm *vm)
{
	struct kvm_state *ks = vm->kvm_state;

	if (ks->clock_saved) {
		struct kvm_clock_data c = { .clock = ks->clock.clock };

		if (ioctl(vm->vm_fd, KVM_SET_CLOCK, &c) < 0)
			log_warn("KVM_SET_CLOCK: %s (guest time will include the pause)",
				 strerror(errno));
		ks->clock_saved = false;
	}
	for (unsigned int i = 0; i < vm->ncpus; i++)
		vcpu_resume(&vm->vcpus[i]);
}

void kvm_vcpus_stop(struct vm *vm)
{
	if (!vm->vcpus)
		return;
	for (unsigned int i = 0; i < vm->ncpus; i++)
		vcpu_stop(&vm->vcpus[i]);
}
