// SPDX-License-Identifier: Apache-2.0
/*
 * config_validate(): the create-time checks that need no hypervisor
 * (reference 12), done before any VM resource exists so that every mistake
 * is one line on stderr and exit status 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/cli.h"
#include "config/cli_internal.h"
#include "util/log.h"

const char *cfg_sysfs_root = "/sys";

/*
 * Nested virtualization needs the host's kvm_intel/kvm_amd "nested"
 * parameter. Without either module loaded the hypervisor itself is missing,
 * which creating the VM reports more clearly, so that case passes here.
 */
static bool nested_supported(void)
{
	static const char *const mods[] = {"kvm_intel", "kvm_amd"};
	bool any_module = false;
	char path[256], buf[8];
	size_t i;

	for (i = 0; i < 2; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/module/%s/parameters/nested", cfg_sysfs_root,
			 mods[i]);
		f = fopen(path, "re");
		if (!f)
			continue;
		any_module = true;
		if (fgets(buf, sizeof(buf), f) &&
		    (buf[0] == 'Y' || buf[0] == 'y' || buf[0] == '1')) {
			fclose(f);
			return true;
		}
		fclose(f);
	}
	return !any_module;
}

static int validate_resources(const struct vm_config *cfg, char *err, size_t errlen)
{
	if (cfg->cpus < 1 || cfg->cpus > CFG_MAX_CPUS)
		return cli_err(err, errlen, "--cpus: invalid value %llu (must be between 1 and %d)",
			       (unsigned long long)cfg->cpus, CFG_MAX_CPUS);
	if (cfg->memory_mib < CFG_MIN_MEMORY_MIB)
		return cli_err(err, errlen,
			       "--memory: %llu MiB is too small to boot Linux (minimum %d MiB)",
			       (unsigned long long)cfg->memory_mib, CFG_MIN_MEMORY_MIB);
	if (cfg->memory_mib > CFG_MAX_MEMORY_MIB)
		return cli_err(err, errlen, "--memory: %llu MiB is too large (maximum %d MiB)",
			       (unsigned long long)cfg->memory_mib, CFG_MAX_MEMORY_MIB);
	return 0;
}

static int validate_boot(const struct boot_config *boot, char *err, size_t errlen)
{
	char e[128];

	switch (boot->kind) {
	case BOOT_MACOS:
		return cli_err(err, errlen,
			       "--bootloader macos: running macOS guests is only supported on ARM "
			       "devices with Apple's Virtualization.framework");
	case BOOT_EFI:
		if (!boot->efi_variable_store || !boot->efi_variable_store[0])
			return cli_err(
				err, errlen,
				"--bootloader efi: missing mandatory 'variable-store' option");
		if (boot->efi_create) {
			/* the seed: create the store only when it is missing */
			if (check_writable_file(boot->efi_variable_store, err, errlen)) {
				cli_err_prefix(err, errlen, "--bootloader efi");
				return -1;
			}
			return 0;
		}
		if (access(boot->efi_variable_store, R_OK | W_OK))
			return cli_err(err, errlen, "--bootloader efi: stat %s: %s%s",
				       boot->efi_variable_store, errno_text(errno, e, sizeof(e)),
				       errno == ENOENT ? " (add ',create' to create it)" : "");
		return 0;
	default:
		return 0; /* linux: the boot code checks kernel and initrd (boot_check_linux) */
	}
}

static int validate_files(const struct vm_config *cfg, char *err, size_t errlen)
{
	char e[128];

	if (cfg->ignition && access(cfg->ignition, R_OK))
		return cli_err(err, errlen, "--ignition: open %s: %s", cfg->ignition,
			       errno_text(errno, e, sizeof(e)));
	if (cfg->pidfile && check_writable_file(cfg->pidfile, err, errlen)) {
		cli_err_prefix(err, errlen, "--pidfile");
		return -1;
	}
	return 0;
}

static int validate_serial_stdio(const struct vm_config *cfg, char *err, size_t errlen)
{
	size_t i, n = 0;

	for (i = 0; i < cfg->device_count; i++)
		if (cfg->devices[i].kind == DEV_VIRTIO_SERIAL &&
		    cfg->devices[i].serial.mode == SERIAL_STDIO && ++n > 1)
			return cli_err(err, errlen,
				       "--device virtio-serial,stdio: only one console can use "
				       "stdio");
	return 0;
}

static int validate_all(struct vm_config *cfg, char *err, size_t errlen)
{
	size_t i;

	if (validate_resources(cfg, err, errlen))
		return -1;
	if (cfg->nested && cfg->boot.kind != BOOT_MACOS && !nested_supported())
		return cli_err(err, errlen, "--nested: nested virtualization is not supported");
	if (validate_boot(&cfg->boot, err, errlen) || validate_files(cfg, err, errlen))
		return -1;
	/* validate_device may drop an ignorable device, so index by hand */
	for (i = 0; i < cfg->device_count;) {
		size_t before = cfg->device_count;

		if (validate_device(cfg, i, err, errlen))
			return -1;
		if (cfg->device_count == before)
			i++;
	}
	if (validate_serial_stdio(cfg, err, errlen) || validate_vsock_ports(cfg, err, errlen))
		return -1;
	return 0;
}

int config_validate(struct vm_config *cfg, char *err, size_t errlen)
{
	if (errlen)
		err[0] = '\0';
	if (validate_all(cfg, err, errlen)) {
		cli_err_one_line(err, errlen);
		return -1;
	}
	return 0;
}
