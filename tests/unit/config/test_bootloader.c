// SPDX-License-Identifier: Apache-2.0
/* --bootloader (reference 3.2, 4) including the spec's three examples. */
#include "cfg_test.h"

static void test_spec_linux_example(void **state)
{
	struct vm_config cfg;

	(void)state;
	/* the spec's example after the shell removed one level of quoting */
	PARSE_OK(&cfg, "--bootloader",
		 "linux,kernel=~/kernels/vmlinuz-5.18.18-200.fc36.aarch64,initrd=~/kernels/"
		 "initramfs-5.18.18-200.fc36.aarch64.img,cmdline=\"console=hvc0 "
		 "root=UUID=164b4fc3-dc5a-40ea-a40b-c689a7bf41cf rw\"");
	assert_int_equal(cfg.boot.kind, BOOT_LINUX);
	assert_string_equal(cfg.boot.kernel, "~/kernels/vmlinuz-5.18.18-200.fc36.aarch64");
	assert_string_equal(cfg.boot.initrd, "~/kernels/initramfs-5.18.18-200.fc36.aarch64.img");
	assert_string_equal(cfg.boot.cmdline,
			    "console=hvc0 root=UUID=164b4fc3-dc5a-40ea-a40b-c689a7bf41cf rw");
	config_free(&cfg);
}

static void test_spec_macos_example(void **state)
{
	struct vm_config cfg;
	char err[512];

	(void)state;
	PARSE_OK(&cfg, "--bootloader",
		 "macos,machineIdentifierPath=/Users/virtuser/VM.bundle/MachineIdentifier,"
		 "hardwareModelPath=/Users/virtuser/VM.bundle/HardwareModel,auxImagePath=/Users/"
		 "virtuser/VM.bundle/AuxiliaryStorage");
	assert_int_equal(cfg.boot.kind, BOOT_MACOS);
	assert_string_equal(cfg.boot.macos_machine_identifier,
			    "/Users/virtuser/VM.bundle/MachineIdentifier");
	assert_string_equal(cfg.boot.macos_hardware_model,
			    "/Users/virtuser/VM.bundle/HardwareModel");
	assert_string_equal(cfg.boot.macos_aux_image, "/Users/virtuser/VM.bundle/AuxiliaryStorage");
	/* parses like upstream, refused like upstream on a machine without Apple silicon */
	assert_int_equal(config_validate(&cfg, err, sizeof(err)), -1);
	assert_string_equal(err, "--bootloader macos: running macOS guests is only supported on "
				 "ARM devices with Apple's Virtualization.framework");
	config_free(&cfg);
}

static void test_spec_efi_example(void **state)
{
	struct vm_config cfg;

	(void)state;
	PARSE_OK(&cfg, "--bootloader",
		 "efi,variable-store=/Users/virtuser/efi-variable-store,create");
	assert_int_equal(cfg.boot.kind, BOOT_EFI);
	assert_string_equal(cfg.boot.efi_variable_store, "/Users/virtuser/efi-variable-store");
	assert_true(cfg.boot.efi_create);
	config_free(&cfg);
}

static void test_quoting_rules(void **state)
{
	struct vm_config cfg;

	(void)state;
	/* kernel keeps its quotes, cmdline loses them, a quoted item keeps its comma */
	PARSE_OK(&cfg, "-b", "linux,kernel=\"/a,b\",cmdline=\"a,b\",initrd=/i");
	assert_string_equal(cfg.boot.kernel, "\"/a,b\"");
	assert_string_equal(cfg.boot.cmdline, "a,b");
	assert_string_equal(cfg.boot.initrd, "/i");
	config_free(&cfg);
	PARSE_OK(&cfg, "-b", "linux,\"cmdline=a,b\"");
	assert_string_equal(cfg.boot.cmdline, "a,b");
	config_free(&cfg);
	/* repeated --bootloader values are concatenated; empty items skipped; last wins */
	PARSE_OK(&cfg, "-b", "linux", "-b", "kernel=/k,,initrd=/i", "--bootloader",
		 "kernel=/k2,cmdline=x=y");
	assert_string_equal(cfg.boot.kernel, "/k2");
	assert_string_equal(cfg.boot.initrd, "/i");
	assert_string_equal(cfg.boot.cmdline, "x=y");
	config_free(&cfg);
	/* key= is the same as key */
	PARSE_OK(&cfg, "-b", "efi,create=,variable-store=v");
	assert_true(cfg.boot.efi_create);
	config_free(&cfg);
	PARSE_OK(&cfg, "-b", "efi,variable-store=v");
	assert_false(cfg.boot.efi_create);
	config_free(&cfg);
}

static const struct argv_case cases[] = {
	{{"-b", "linux"}},
	{{"-b", "efi"}},
	{{"-b", "macos"}},
	{{"-b", "linux,kernel=/k,initrd=/i,cmdline="}},
	{{"-b", ""}, "--bootloader: empty option list in --bootloader command line argument"},
	{{"-b", "\"\""}, "--bootloader: empty option list in --bootloader command line argument"},
	{{"-b", "EFI"}, "--bootloader: unknown bootloader type: EFI"},
	{{"-b", ",linux"}, "--bootloader: unknown bootloader type: "},
	{{"-b", "bios"}, "--bootloader: unknown bootloader type: bios"},
	{{"-b", "linux,kernal=/k"}, "--bootloader: unknown option for Linux bootloaders: kernal"},
	{{"-b", "efi", "-b", "linux"}, "--bootloader: unknown option for EFI bootloaders: linux"},
	{{"-b", "efi,create=yes"},
	 "--bootloader: unexpected value for EFI bootloader 'create' option: yes"},
	{{"-b", "macos,foo=1"}, "--bootloader: unknown option for macOS bootloaders: foo"},
};

static void test_cases(void **state)
{
	(void)state;
	RUN_CASES(cases, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_linux_example),
		cmocka_unit_test(test_spec_macos_example),
		cmocka_unit_test(test_spec_efi_example),
		cmocka_unit_test(test_quoting_rules),
		cmocka_unit_test(test_cases),
	};

	return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
