// SPDX-License-Identifier: Apache-2.0
/*
 * Builds the VM from a validated configuration and runs it: the startup
 * order of reference section 1, on KVM. Each step logs its own error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/rest.h"
#include "arch/x86/boot.h"
#include "arch/x86/platform.h"
#include "backends/cloudinit.h"
#include "pci/pci.h"
#include "util/log.h"
#include "vmm/devices.h"
#include "vmm/kvm.h"
#include "vmm/lifecycle.h"
#include "vmm/run.h"
#include "vmm/sandbox.h"
#include "vmm/vm.h"

static struct cloudinit_seed seed = {.dir_fd = -1, .fd = -1};

static void remove_cloud_init_seed(void *opaque)
{
	(void)opaque;
	cloudinit_remove_seed(&seed);
}

/*
 * Upstream attaches the seed ISO as virtio-blk right after the --device
 * entries, before the disks --gui adds. Ours is read-only and opened through
 * the descriptor that wrote it (/proc/self/fd/N), never by its path again.
 */
static int insert_cloud_init_disk(struct vm *vm)
{
	struct vm_config *cfg = vm->cfg;
	struct device_config *devs;
	size_t at = cfg->cli_device_count;
	struct disk_config *disk;
	char err[512];

	if (cloudinit_make_seed(cfg->cloud_init_files, &seed, err, sizeof(err)) < 0) {
		log_error("%s", err);
		return -1;
	}
	if (vm_at_exit(vm, remove_cloud_init_seed, NULL) < 0) {
		cloudinit_remove_seed(&seed);
		return -1;
	}
	cfg->cloud_init_iso = strdup(seed.path);
	if (!cfg->cloud_init_iso)
		return -1;
	devs = realloc(cfg->devices, (cfg->device_count + 1) * sizeof(*devs));
	if (!devs)
		return -1;
	memmove(&devs[at + 1], &devs[at], (cfg->device_count - at) * sizeof(*devs));
	devs[at] = (struct device_config){.kind = DEV_VIRTIO_BLK};
	cfg->devices = devs;
	cfg->device_count++;
	cfg->cli_device_count++;
	disk = &devs[at].disk;
	disk->readonly = true;
	disk->path = strdup(seed.path);
	if (asprintf(&disk->open_path, "/proc/self/fd/%d", seed.fd) < 0)
		disk->open_path = NULL;
	return disk->path && disk->open_path ? 0 : -1;
}

static void log_parameters(const struct vm_config *cfg)
{
	log_info("virtual machine parameters:");
	log_info("\tvCPUs: %llu", (unsigned long long)cfg->cpus);
	log_info("\tmemory: %llu MiB", (unsigned long long)cfg->memory_mib);
}

static int load_firmware_or_kernel(struct vm *vm)
{
	switch (vm->cfg->boot.kind) {
	case BOOT_LINUX:
		return boot_load_linux(vm);
	case BOOT_EFI:
		log_error("--bootloader efi: EFI boot is not supported yet by this VMM; use "
			  "--bootloader linux");
		return -1;
	default:
		log_error("--bootloader: no bootloader configured");
		return -1;
	}
}

/* Options that parse but whose runtime (vsock) does not exist yet: say so, never ignore them. */
static int refuse_unsupported_options(const struct vm_config *cfg)
{
	if (cfg->timesync_port) {
		log_error("--timesync: not supported yet by this VMM (needs virtio-vsock)");
		return -1;
	}
	if (cfg->ignition) {
		log_error("--ignition: not supported yet by this VMM (needs virtio-vsock)");
		return -1;
	}
	return 0;
}

/* Everything up to a VM that is ready to run. */
static int build_vm(struct vm *vm)
{
	if (refuse_unsupported_options(vm->cfg) < 0)
		return -1;
	if (vm->cfg->cloud_init_files && insert_cloud_init_disk(vm) < 0)
		return -1;
	if (kvm_vm_create(vm) < 0)
		return -1;
	if (lifecycle_start(vm) < 0)
		return -1;
	if (platform_init(vm) < 0 || pci_init(vm) < 0)
		return -1;
	if (devices_create_all(vm) < 0)
		return -1;
	if (platform_build_acpi(vm) < 0 || load_firmware_or_kernel(vm) < 0)
		return -1;
	return rest_start(vm);
}

int vm_main(struct vm_config *cfg)
{
	/*
	 * One VM per process, alive until exit: static storage keeps everything
	 * hanging off it reachable, so leak checkers stay quiet about state that
	 * is deliberately left to process exit (see the end of this function).
	 */
	static struct vm the_vm;
	struct vm *vm = &the_vm;

	vm->cfg = cfg;
	vm->kvm_fd = vm->vm_fd = -1;
	vm->mem.memfd = -1;
	lifecycle_init(vm);
	cloudinit_remove_stale();
	log_parameters(cfg);

	/* Before any thread starts: each one confines itself at its start. */
	if (sandbox_init() < 0 || build_vm(vm) < 0) {
		vm->exit_status = 1;
	} else {
		vm_set_starting(vm);
		if (kvm_vcpus_start(vm) < 0)
			vm_fatal(vm, "cannot start the vCPUs");
		else if (sandbox_enter(SANDBOX_LOOP) < 0)
			vm_fatal(vm, "cannot confine the event loop");
		else
			vm_set_running(vm);
		log_info("waiting for VM to stop");
		loop_run(vm->loop);
	}
	vm_finish(vm);
	rest_stop(vm);
	vm_run_exit_handlers(vm);
	/*
	 * The devices, KVM and guest RAM go with the process: tearing them down
	 * one by one would only add exit latency and paths to get wrong.
	 */
	return vm->exit_status;
}
