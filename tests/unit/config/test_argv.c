// SPDX-License-Identifier: Apache-2.0
/* Generic flag syntax (reference 2, 2.1, 2.2): pflag's rules, defaults, repeats. */
#include "cfg_test.h"

#define BL "-b", "linux"

static void test_defaults(void **state)
{
	struct vm_config cfg;

	(void)state;
	PARSE_OK(&cfg, BL);
	assert_int_equal(cfg.cpus, 1);
	assert_int_equal(cfg.memory_mib, 512);
	assert_int_equal(cfg.log_level, LOG_LEVEL_INFO);
	assert_false(cfg.gui);
	assert_false(cfg.nested);
	assert_false(cfg.dry_run);
	assert_null(cfg.ignition);
	assert_null(cfg.pidfile);
	assert_null(cfg.cloud_init_files);
	assert_int_equal(cfg.timesync_port, 0);
	assert_int_equal(cfg.device_count, 0);
	/* the seed's default (reference 13), not upstream's none:// */
	assert_string_equal(cfg.rest.uri, "tcp://localhost:8081");
	assert_int_equal(cfg.rest.scheme, REST_TCP);
	assert_string_equal(cfg.rest.host, "localhost");
	assert_int_equal(cfg.rest.port, 8081);
	config_free(&cfg);
}

static void test_long_and_short_forms(void **state)
{
	static const char *const forms[][4] = {
		{"--cpus", "3", "--memory", "1024"}, {"--cpus=3", "--memory=1024", 0, 0},
		{"-c", "3", "-m", "1024"},	     {"-c3", "-m1024", 0, 0},
		{"-c=3", "-m=1024", 0, 0},	     {"-c", "0x3", "-m", "0x400"},
		{"-c", "0b11", "-m", "0o2000"},	     {"-c", "03", "-m", "1_024"},
	};
	struct vm_config cfg;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		const char *args[8] = {"-b", "linux"};
		int n = 2, j;

		for (j = 0; j < 4 && forms[i][j]; j++)
			args[n++] = forms[i][j];
		parse_ok(args, &cfg);
		assert_int_equal(cfg.cpus, 3);
		assert_int_equal(cfg.memory_mib, 1024);
		config_free(&cfg);
	}
}

static void test_last_wins_and_accumulate(void **state)
{
	struct vm_config cfg;

	(void)state;
	PARSE_OK(&cfg, BL, "-c", "2", "--cpus", "4", "--pidfile", "a", "--pidfile", "b", "-t",
		 "vsockPort=5", "--timesync", "vsockPort=6", "-d", "virtio-rng", "--device",
		 "virtio-balloon", "--device=virtio-rng", "--log-level", "error", "--log-level",
		 "debug");
	assert_int_equal(cfg.cpus, 4);
	assert_string_equal(cfg.pidfile, "b");
	assert_int_equal(cfg.timesync_port, 6);
	assert_int_equal(cfg.device_count, 3);
	assert_int_equal(cfg.devices[0].kind, DEV_VIRTIO_RNG);
	assert_int_equal(cfg.devices[1].kind, DEV_VIRTIO_BALLOON);
	assert_int_equal(cfg.devices[2].kind, DEV_VIRTIO_RNG);
	assert_int_equal(cfg.log_level, LOG_LEVEL_DEBUG);
	config_free(&cfg);
}

static void test_bools(void **state)
{
	struct vm_config cfg;

	(void)state;
	/* a bool never takes the next word: "--gui false" is gui=true + a positional */
	PARSE_OK(&cfg, BL, "--gui", "false", "-n", "--dry-run");
	assert_true(cfg.gui);
	assert_true(cfg.nested);
	assert_true(cfg.dry_run);
	config_free(&cfg);
	PARSE_OK(&cfg, BL, "--gui=false", "--nested=F", "--dry-run=0");
	assert_false(cfg.gui);
	assert_false(cfg.nested);
	assert_false(cfg.dry_run);
	config_free(&cfg);
	PARSE_OK(&cfg, BL, "--gui=True", "-n=t");
	assert_true(cfg.gui);
	assert_true(cfg.nested);
	config_free(&cfg);
}

static void test_positional_and_double_dash(void **state)
{
	struct vm_config cfg;

	(void)state;
	/* positional words are ignored; "--" ends the flags */
	PARSE_OK(&cfg, "word", BL, "-", "--", "--cpus", "banana", "-x");
	assert_int_equal(cfg.cpus, 1);
	config_free(&cfg);
	/* a value flag consumes the next word even if it starts with '-' */
	PARSE_OK(&cfg, BL, "--pidfile", "-c");
	assert_string_equal(cfg.pidfile, "-c");
	config_free(&cfg);
}

static void test_help_and_version(void **state)
{
	struct vm_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(&cfg, err, "--version"), CLI_EXIT_OK);
	assert_int_equal(PARSE(&cfg, err, "-v"), CLI_EXIT_OK);
	assert_int_equal(PARSE(&cfg, err, "-h"), CLI_EXIT_OK);
	assert_int_equal(PARSE(&cfg, err, "--help", "--cpus", "0"), CLI_EXIT_OK);
	/* flag errors win over --help, as with cobra */
	assert_int_equal(PARSE(&cfg, err, "--help", "--bogus"), CLI_ERROR);
	assert_string_equal(err, "unknown flag: --bogus");
	/* combined shorthands */
	assert_int_equal(PARSE(&cfg, err, "-nv"), CLI_EXIT_OK);
}

static void test_legacy_flags(void **state)
{
	struct vm_config cfg;
	char err[256];

	(void)state;
	PARSE_OK(&cfg, "--kernel", "/k", "-i", "/i", "-C", "\"console=hvc0\"");
	assert_int_equal(cfg.boot.kind, BOOT_LINUX);
	assert_string_equal(cfg.boot.kernel, "/k");
	assert_string_equal(cfg.boot.initrd, "/i");
	/* the legacy command line keeps its quotes (reference 4.2) */
	assert_string_equal(cfg.boot.cmdline, "\"console=hvc0\"");
	config_free(&cfg);
	/* an empty value still counts as "set" for the group rules */
	assert_int_equal(PARSE(&cfg, err, "-k", "", "-i", "", "-C", "", "-b", "efi"), CLI_ERROR);
	assert_string_equal(err, "if any flags in the group [initrd bootloader] are set none of "
				 "the others can be; [bootloader initrd] were all set");
}

static const struct argv_case rejected[] = {
	{{"--bogus"}, "unknown flag: --bogus"},
	{{"--bogus=1"}, "unknown flag: --bogus"},
	{{"-x"}, "unknown shorthand flag: 'x' in -x"},
	{{"-nx"}, "unknown shorthand flag: 'x' in -x"},
	{{"---cpus"}, "bad flag syntax: ---cpus"},
	{{"--=x"}, "bad flag syntax: --=x"},
	{{BL, "--device"}, "flag needs an argument: --device"},
	{{BL, "-d"}, "flag needs an argument: 'd' in -d"},
	{{"--cpus", "-1"},
	 "invalid argument \"-1\" for \"-c, --cpus\" flag: strconv.ParseUint: parsing \"-1\": "
	 "invalid syntax"},
	{{"-c", "abc"},
	 "invalid argument \"abc\" for \"-c, --cpus\" flag: strconv.ParseUint: parsing \"abc\": "
	 "invalid syntax"},
	{{"--memory", "2G"},
	 "invalid argument \"2G\" for \"-m, --memory\" flag: strconv.ParseUint: parsing \"2G\": "
	 "invalid syntax"},
	{{"--memory", ""},
	 "invalid argument \"\" for \"-m, --memory\" flag: strconv.ParseUint: parsing \"\": "
	 "invalid syntax"},
	{{"--memory", "99999999999999999999"},
	 "invalid argument \"99999999999999999999\" for \"-m, --memory\" flag: "
	 "strconv.ParseUint: parsing \"99999999999999999999\": value out of range"},
	{{"-m", "08"},
	 "invalid argument \"08\" for \"-m, --memory\" flag: strconv.ParseUint: parsing \"08\": "
	 "invalid syntax"},
	{{"-m", "1__0"},
	 "invalid argument \"1__0\" for \"-m, --memory\" flag: strconv.ParseUint: parsing "
	 "\"1__0\": invalid syntax"},
	{{"--gui=yes"},
	 "invalid argument \"yes\" for \"--gui\" flag: strconv.ParseBool: parsing \"yes\": "
	 "invalid syntax"},
	{{"-n=2"},
	 "invalid argument \"2\" for \"-n, --nested\" flag: strconv.ParseBool: parsing \"2\": "
	 "invalid syntax"},
	{{"-b", "linux,cmdline=\"a"},
	 "invalid argument \"linux,cmdline=\\\"a\" for \"-b, --bootloader\" flag: mismatched \""},
	{{BL, "--cloud-init", "\"user-data"},
	 "invalid argument \"\\\"user-data\" for \"--cloud-init\" flag: mismatched \""},
	{{BL, "--log-level", "warn"}, "--log-level: unknown log level: warn"},
	{{BL, "--log-level", "DEBUG"}, "--log-level: unknown log level: DEBUG"},
	/* legacy group rules (reference 2.2); required-together runs first */
	{{"--kernel", "/k"},
	 "if any flags in the group [kernel initrd kernel-cmdline] are set they must all be set; "
	 "missing [initrd kernel-cmdline]"},
	{{"--kernel-cmdline", "x", "--bootloader", "efi"},
	 "if any flags in the group [kernel initrd kernel-cmdline] are set they must all be set; "
	 "missing [initrd kernel]"},
	{{"-k", "/k", "-i", "/i", "-C", "c", "-b", "linux"},
	 "if any flags in the group [initrd bootloader] are set none of the others can be; "
	 "[bootloader initrd] were all set"},
	{{"-k", "", "-i", "", "-C", ""},
	 "--bootloader: empty option list in --bootloader command line argument"},
	{{"--cpus", "2"}, "--bootloader: empty option list in --bootloader command line argument"},
};

static const struct argv_case accepted[] = {
	{{BL, "--log-level", "info"}},
	{{BL, "--log-level", ""}},
	{{BL, "--gui=1"}},
	{{BL, "-m", "0x800"}},
	{{BL, "-m", "0X800"}},
	{{BL, "-m", "0x_8_00"}},
	{{BL, "-c", "0"}}, /* 0 passes parsing; validation rejects it */
	{{BL, "-m", "18446744073709551615"}},
};

static void test_rejected(void **state)
{
	(void)state;
	RUN_CASES(rejected, false);
}

static void test_accepted(void **state)
{
	(void)state;
	RUN_CASES(accepted, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_long_and_short_forms),
		cmocka_unit_test(test_last_wins_and_accumulate),
		cmocka_unit_test(test_bools),
		cmocka_unit_test(test_positional_and_double_dash),
		cmocka_unit_test(test_help_and_version),
		cmocka_unit_test(test_legacy_flags),
		cmocka_unit_test(test_rejected),
		cmocka_unit_test(test_accepted),
	};

	return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
