// SPDX-License-Identifier: Apache-2.0
/* Every --device type (reference 3.1, 5): the spec's examples and each rule. */
#include "cfg_test.h"

#define BL "-b", "linux"

static struct device_config *only_device(struct vm_config *cfg)
{
	assert_int_equal(cfg->device_count, 1);
	return &cfg->devices[0];
}

static void test_spec_disk_examples(void **state)
{
	struct vm_config cfg;
	struct device_config *d;

	(void)state;
	/* virtio-blk opens its image at parse time, so the example uses a real file */
	PARSE_OK(&cfg, BL, "--device", "virtio-blk,path=disk.img");
	d = only_device(&cfg);
	assert_int_equal(d->kind, DEV_VIRTIO_BLK);
	assert_string_equal(d->disk.path, "disk.img");
	assert_false(d->disk.readonly);
	assert_false(d->disk.type_set);
	assert_null(d->disk.device_id);
	config_free(&cfg);

	PARSE_OK(&cfg, BL, "--device", "nvme,path=/Users/virtuser/image.img");
	d = only_device(&cfg);
	assert_int_equal(d->kind, DEV_NVME);
	assert_string_equal(d->disk.path, "/Users/virtuser/image.img");
	config_free(&cfg);

	PARSE_OK(&cfg, BL, "--device", "usb-mass-storage,path=/Users/virtuser/distro.iso,readonly");
	d = only_device(&cfg);
	assert_int_equal(d->kind, DEV_USB_MASS_STORAGE);
	assert_string_equal(d->disk.path, "/Users/virtuser/distro.iso");
	assert_true(d->disk.readonly);
	config_free(&cfg);

	PARSE_OK(&cfg, BL, "--device",
		 "nbd,uri=nbd://192.168.64.4:11111/export,deviceId=nbd1,timeout=3000");
	d = only_device(&cfg);
	assert_int_equal(d->kind, DEV_NBD);
	assert_string_equal(d->nbd.uri, "nbd://192.168.64.4:11111/export");
	assert_string_equal(d->nbd.device_id, "nbd1");
	assert_int_equal(d->nbd.timeout_ms, 3000);
	assert_int_equal(d->nbd.sync, NBD_SYNC_FULL);
	assert_false(d->nbd.readonly);
	config_free(&cfg);
}

static void test_disk_options(void **state)
{
	struct vm_config cfg;
	struct device_config *d;

	(void)state;
	PARSE_OK(&cfg, BL, "-d", "virtio-blk,path=disk.img,type=image,readonly,deviceId=root");
	d = only_device(&cfg);
	assert_true(d->disk.type_set);
	assert_false(d->disk.type_dev);
	assert_true(d->disk.readonly);
	assert_string_equal(d->disk.device_id, "root");
	config_free(&cfg);
	PARSE_OK(&cfg, BL, "-d", "nvme,path=/dev/null,type=dev,readonly=");
	d = only_device(&cfg);
	assert_true(d->disk.type_dev);
	assert_true(d->disk.readonly);
	config_free(&cfg);
	/* 1-3 byte files pass the header check; "type=" means the default */
	PARSE_OK(&cfg, BL, "-d", "virtio-blk,type=,path=short.img");
	assert_false(only_device(&cfg)->disk.type_set);
	config_free(&cfg);
	PARSE_OK(&cfg, BL, "-d", "nbd,uri=nbd+unix:///e?socket=/s,sync=none,timeout=-5,readonly");
	d = only_device(&cfg);
	assert_int_equal(d->nbd.sync, NBD_SYNC_NONE);
	assert_int_equal(d->nbd.timeout_ms, -5); /* parse accepts it; validation refuses */
	assert_true(d->nbd.readonly);
	config_free(&cfg);
}

static void test_spec_net_examples(void **state)
{
	static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x70, 0x2b, 0x71};
	struct vm_config cfg;
	struct device_config *d;

	(void)state;
	PARSE_OK(&cfg, BL, "--device", "virtio-net,nat,mac=52:54:00:70:2b:71");
	d = only_device(&cfg);
	assert_int_equal(d->kind, DEV_VIRTIO_NET);
	assert_int_equal(d->net.attachment, NET_NAT);
	assert_true(d->net.nat_given);
	assert_true(d->net.has_mac);
	assert_memory_equal(d->net.mac, mac, 6);
	config_free(&cfg);

	PARSE_OK(&cfg, BL, "--device", "virtio-net,unixSocketPath=/Users/virtuser/virtio-net.sock");
	d = only_device(&cfg);
	assert_int_equal(d->net.attachment, NET_UNIXGRAM);
	assert_string_equal(d->net.socket_path, "/Users/virtuser/virtio-net.sock");
	assert_true(d->net.vfkit_magic);
	assert_false(d->net.has_mac);
	config_free(&cfg);
}

static void test_net_options(void **state)
{
	static const uint8_t mac[6] = {0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
	struct vm_config cfg;
	struct device_config *d;

	(void)state;
	/* bare virtio-net: nat (the seed) */
	PARSE_OK(&cfg, BL, "-d", "virtio-net");
	d = only_device(&cfg);
	assert_int_equal(d->net.attachment, NET_NAT);
	assert_false(d->net.nat_given);
	config_free(&cfg);
	PARSE_OK(&cfg, BL, "-d", "virtio-net,fd=0,mac=AA-BB-CC-DD-EE-FF");
	d = only_device(&cfg);
	assert_int_equal(d->net.attachment, NET_FD);
	assert_int_equal(d->net.fd, 0);
	assert_memory_equal(d->net.mac, mac, 6);
	config_free(&cfg);
	PARSE_OK(&cfg, BL, "-d",
		 "virtio-net,mac=aabb.ccdd.eeff,type=unixgram,path=/"
		 "s,vfkitMagic=off,offloading=off");
	d = only_device(&cfg);
	assert_int_equal(d->net.attachment, NET_UNIXGRAM);
	assert_string_equal(d->net.socket_path, "/s");
	assert_false(d->net.vfkit_magic);
	assert_true(d->net.offloading_off);
	assert_memory_equal(d->net.mac, mac, 6);
	config_free(&cfg);
	/* vfkitMagic without a socket stays accepted (and means nothing) */
	PARSE_OK(&cfg, BL, "-d", "virtio-net,nat=,vfkitMagic=on");
	assert_true(only_device(&cfg)->net.nat_given);
	config_free(&cfg);
}

static void test_spec_serial_rng_vsock_examples(void **state)
{
	struct vm_config cfg;

	(void)state;
	PARSE_OK(&cfg, BL, "--device", "virtio-serial,logFilePath=/Users/virtuser/vfkit.log",
		 "--device", "virtio-serial,stdio", "--device", "virtio-serial,pty", "--device",
		 "virtio-rng", "--device",
		 "virtio-vsock,port=5,socketURL=/Users/virtuser/vfkit-5.sock", "--device",
		 "virtio-vsock,port=6,socketURL=/Users/virtuser/vfkit-6.sock,connect");
	assert_int_equal(cfg.device_count, 6);
	assert_int_equal(cfg.devices[0].serial.mode, SERIAL_LOGFILE);
	assert_string_equal(cfg.devices[0].serial.log_file_path, "/Users/virtuser/vfkit.log");
	assert_int_equal(cfg.devices[1].serial.mode, SERIAL_STDIO);
	assert_int_equal(cfg.devices[2].serial.mode, SERIAL_PTY);
	assert_int_equal(cfg.devices[3].kind, DEV_VIRTIO_RNG);
	assert_int_equal(cfg.devices[4].vsock.port, 5);
	assert_string_equal(cfg.devices[4].vsock.socket_url, "/Users/virtuser/vfkit-5.sock");
	assert_true(cfg.devices[4].vsock.listen);
	assert_int_equal(cfg.devices[5].vsock.port, 6);
	assert_false(cfg.devices[5].vsock.listen);
	config_free(&cfg);
	/* bare vsock: port 0, no socket, listen; listen/connect: last wins */
	PARSE_OK(&cfg, BL, "-d", "virtio-vsock", "-d",
		 "virtio-vsock,connect,listen=x,port=4294967295");
	assert_int_equal(cfg.devices[0].vsock.port, 0);
	assert_null(cfg.devices[0].vsock.socket_url);
	assert_true(cfg.devices[1].vsock.listen);
	assert_int_equal(cfg.devices[1].vsock.port, 4294967295u);
	config_free(&cfg);
}

static void test_spec_fs_rosetta_gpu_input_examples(void **state)
{
	struct vm_config cfg;

	(void)state;
	PARSE_OK(&cfg, BL, "--device",
		 "virtio-fs,sharedDir=/Users/virtuser/vfkit/,mountTag=vfkit-share", "--device",
		 "rosetta,mountTag=rosetta-share", "--device", "virtio-gpu,width=1920,height=1080",
		 "--device", "virtio-input,pointing");
	assert_int_equal(cfg.device_count, 4);
	assert_string_equal(cfg.devices[0].fs.shared_dir, "/Users/virtuser/vfkit/");
	assert_string_equal(cfg.devices[0].fs.mount_tag, "vfkit-share");
	assert_string_equal(cfg.devices[1].rosetta.mount_tag, "rosetta-share");
	assert_false(cfg.devices[1].rosetta.install);
	assert_false(cfg.devices[1].rosetta.ignore_if_missing);
	assert_int_equal(cfg.devices[2].gpu.width, 1920);
	assert_int_equal(cfg.devices[2].gpu.height, 1080);
	assert_false(cfg.devices[2].gpu.uses_gui);
	assert_int_equal(cfg.devices[3].input.type, INPUT_POINTING);
	config_free(&cfg);
	/* both rosetta spellings; gpu per-field defaults (the seed) */
	PARSE_OK(&cfg, BL, "-d", "rosetta,install,ignoreIfMissing", "-d",
		 "rosetta,ignore-if-missing", "-d", "virtio-gpu,width=1920", "-d",
		 "virtio-gpu,height=+1080", "-d", "virtio-gpu");
	assert_true(cfg.devices[0].rosetta.install);
	assert_true(cfg.devices[0].rosetta.ignore_if_missing);
	assert_true(cfg.devices[1].rosetta.ignore_if_missing);
	assert_int_equal(cfg.devices[2].gpu.height, 600);
	assert_int_equal(cfg.devices[3].gpu.width, 800);
	assert_int_equal(cfg.devices[3].gpu.height, 1080);
	assert_int_equal(cfg.devices[4].gpu.width, 800);
	config_free(&cfg);
}

static void test_spec_gui_example(void **state)
{
	struct vm_config cfg;

	(void)state;
	PARSE_OK(&cfg, BL, "--device", "virtio-input,keyboard", "--device", "virtio-input,pointing",
		 "--device", "virtio-gpu,width=1920,height=1080", "--gui");
	assert_int_equal(cfg.device_count, 3);
	assert_true(cfg.gui);
	assert_int_equal(cfg.devices[0].input.type, INPUT_KEYBOARD);
	assert_true(cfg.devices[2].gpu.uses_gui);
	config_free(&cfg);
	/* --gui alone adds an 800x600 GPU and a keyboard; only the first GPU gets the window */
	PARSE_OK(&cfg, BL, "--gui", "--log-level", "error");
	assert_int_equal(cfg.device_count, 2);
	assert_int_equal(cfg.devices[0].kind, DEV_VIRTIO_GPU);
	assert_true(cfg.devices[0].gpu.uses_gui);
	assert_int_equal(cfg.devices[0].gpu.width, 800);
	assert_int_equal(cfg.devices[1].kind, DEV_VIRTIO_INPUT);
	assert_int_equal(cfg.devices[1].input.type, INPUT_KEYBOARD);
	config_free(&cfg);
	PARSE_OK(&cfg, BL, "-d", "virtio-gpu", "-d", "virtio-gpu", "-d", "virtio-input,pointing",
		 "--gui");
	assert_int_equal(cfg.device_count, 3);
	assert_true(cfg.devices[0].gpu.uses_gui);
	assert_false(cfg.devices[1].gpu.uses_gui);
	config_free(&cfg);
}

static const struct argv_case rejected[] = {
	{{BL, "--device="}, "--device: unknown device type: "},
	{{BL, "-d", "virtio-blah"}, "--device: unknown device type: virtio-blah"},
	{{BL, "-d", "Virtio-rng"}, "--device: unknown device type: Virtio-rng"},
	/* disks */
	{{BL, "-d", "virtio-blk,path=disk.img,type=raw"},
	 "--device virtio-blk: unexpected value for disk 'type' option: raw"},
	{{BL, "-d", "nvme,path=x,readonly=yes"},
	 "--device nvme: unexpected value for virtio-blk 'readonly' option: yes"},
	{{BL, "-d", "nvme,path=x,deviceId=a"},
	 "--device nvme: unknown option for nvme devices: deviceId"},
	{{BL, "-d", "usb-mass-storage,foo"},
	 "--device usb-mass-storage: unknown option for usb-mass-storage devices: foo"},
	{{BL, "-d", "virtio-blk"},
	 "--device virtio-blk: failed to open file : open : no such file or directory"},
	{{BL, "-d", "virtio-blk,path=missing.img"},
	 "--device virtio-blk: failed to open file missing.img: open missing.img: no such file or "
	 "directory"},
	{{BL, "-d", "virtio-blk,path=empty.img"},
	 "--device virtio-blk: failed to read the header of file empty.img: EOF"},
	{{BL, "-d", "virtio-blk,path=share"},
	 "--device virtio-blk: failed to read the header of file share: read share: is a "
	 "directory"},
	{{BL, "-d", "virtio-blk,path=image.qcow2"},
	 "--device virtio-blk: image.qcow2: vfkit does not support qcow2 image format; raw images "
	 "are required, convert it with: qemu-img convert -O raw image.qcow2 image.raw"},
	/* nbd */
	{{BL, "-d", "nbd,timeout=abc"},
	 "--device nbd: strconv.ParseInt: parsing \"abc\": invalid syntax"},
	{{BL, "-d", "nbd,timeout=2147483648"},
	 "--device nbd: strconv.ParseInt: parsing \"2147483648\": value out of range"},
	{{BL, "-d", "nbd,sync=FULL"},
	 "--device nbd: invalid sync mode: FULL, must be 'full' or 'none'"},
	{{BL, "-d", "nbd,path=/x"}, "--device nbd: unknown option for nbd devices: path"},
	{{BL, "-d", "nbd,readonly=1"},
	 "--device nbd: unexpected value for virtio-blk 'readonly' option: 1"},
	/* virtio-net */
	{{BL, "-d", "virtio-net,nat=x"},
	 "--device virtio-net: unexpected value for virtio-net 'nat' option: x"},
	{{BL, "-d", "virtio-net,mac=zz"}, "--device virtio-net: address zz: invalid MAC address"},
	{{BL, "-d", "virtio-net,mac=52:54:00:70:2b"},
	 "--device virtio-net: address 52:54:00:70:2b: invalid MAC address"},
	{{BL, "-d", "virtio-net,mac=52:54-00:70:2b:71"},
	 "--device virtio-net: address 52:54-00:70:2b:71: invalid MAC address"},
	{{BL, "-d", "virtio-net,mac="}, "--device virtio-net: invalid MAC address"},
	{{BL, "-d", "virtio-net,fd=x"},
	 "--device virtio-net: strconv.Atoi: parsing \"x\": invalid syntax"},
	{{BL, "-d", "virtio-net,fd=-1"}, "--device virtio-net: invalid file descriptor: -1"},
	{{BL, "-d", "virtio-net,fd=2147483648"},
	 "--device virtio-net: invalid file descriptor: 2147483648"},
	{{BL, "-d", "virtio-net,type=tap"},
	 "--device virtio-net: unsupported virtio-net type: tap (only 'unixgram' is supported)"},
	{{BL, "-d", "virtio-net,type=unixgram,path=/s,vfkitMagic=yes"},
	 "--device virtio-net: invalid value for vfkitMagic: yes (expected on/off)"},
	{{BL, "-d", "virtio-net,type=unixgram,path=/s,offloading=on"},
	 "--device virtio-net: invalid value for offloading: on (only 'off' is supported)"},
	{{BL, "-d", "virtio-net,type=unixgram"},
	 "--device virtio-net: 'type' option requires 'path' to be specified"},
	{{BL, "-d", "virtio-net,path=/s"},
	 "--device virtio-net: 'path' option requires 'type' to be specified"},
	{{BL, "-d", "virtio-net,offloading=off,path=/s"},
	 "--device virtio-net: 'offloading' option requires 'type' to be specified"},
	{{BL, "-d", "virtio-net,nat,fd=3"},
	 "--device virtio-net: 'nat' and 'fd' cannot be set at the same time"},
	{{BL, "-d", "virtio-net,nat,unixSocketPath=/s"},
	 "--device virtio-net: 'nat' and 'unixSocketPath' cannot be set at the same time"},
	{{BL, "-d", "virtio-net,nat,type=unixgram,path=/s"},
	 "--device virtio-net: 'nat' and 'unixSocketPath' cannot be set at the same time"},
	{{BL, "-d", "virtio-net,fd=3,unixSocketPath=/s"},
	 "--device virtio-net: 'fd' and 'unixSocketPath' cannot be set at the same time"},
	{{BL, "-d", "virtio-net,bridge"},
	 "--device virtio-net: unknown option for virtio-net devices: bridge"},
	/* virtio-serial */
	{{BL, "-d", "virtio-serial"},
	 "--device virtio-serial: one of 'logFilePath', 'stdio' or 'pty' must be set"},
	{{BL, "-d", "virtio-serial,logFilePath="},
	 "--device virtio-serial: one of 'logFilePath', 'stdio' or 'pty' must be set"},
	{{BL, "-d", "virtio-serial,stdio=x"},
	 "--device virtio-serial: unexpected value for virtio-serial 'stdio' option: x"},
	{{BL, "-d", "virtio-serial,logFilePath=/l,stdio"},
	 "--device virtio-serial: 'logFilePath' and 'stdio' cannot be set at the same time"},
	{{BL, "-d", "virtio-serial,logFilePath=/l,pty"},
	 "--device virtio-serial: 'logFilePath' and 'pty' cannot be set at the same time"},
	{{BL, "-d", "virtio-serial,stdio,pty"},
	 "--device virtio-serial: 'stdio' and 'pty' cannot be set at the same time"},
	{{BL, "-d", "virtio-serial,tty"},
	 "--device virtio-serial: unknown option for virtio-serial devices: tty"},
	/* rng, balloon */
	{{BL, "-d", "virtio-rng,foo=bar,baz"},
	 "--device virtio-rng: unknown options for virtio-rng devices: [{foo bar} {baz }]"},
	{{BL, "-d", "virtio-balloon,x"},
	 "--device virtio-balloon: unknown options for virtio-balloon devices: [{x }]"},
	/* vsock */
	{{BL, "-d", "virtio-vsock,port=-1"},
	 "--device virtio-vsock: strconv.ParseUint: parsing \"-1\": invalid syntax"},
	{{BL, "-d", "virtio-vsock,port=0x10"},
	 "--device virtio-vsock: strconv.ParseUint: parsing \"0x10\": invalid syntax"},
	{{BL, "-d", "virtio-vsock,port="},
	 "--device virtio-vsock: strconv.ParseUint: parsing \"\": invalid syntax"},
	{{BL, "-d", "virtio-vsock,port=4294967296"},
	 "--device virtio-vsock: strconv.ParseUint: parsing \"4294967296\": value out of range"},
	{{BL, "-d", "virtio-vsock,socket=/s"},
	 "--device virtio-vsock: unknown option for virtio-vsock devices: socket"},
	/* fs, rosetta */
	{{BL, "-d", "virtio-fs,dir=/x"},
	 "--device virtio-fs: unknown option for virtio-fs devices: dir"},
	{{BL, "-d", "rosetta,ignore"},
	 "--device rosetta: unknown option for rosetta share: ignore"},
	/* gpu */
	{{BL, "-d", "virtio-gpu,width=0"},
	 "--device virtio-gpu: invalid value for virtio-gpu width: 0"},
	{{BL, "-d", "virtio-gpu,height=-5"},
	 "--device virtio-gpu: invalid value for virtio-gpu height: -5"},
	{{BL, "-d", "virtio-gpu,width=1e3"},
	 "--device virtio-gpu: invalid value for virtio-gpu width: 1e3"},
	{{BL, "-d", "virtio-gpu,depth=32"},
	 "--device virtio-gpu: unknown option for virtio-gpu devices: depth"},
	/* input */
	{{BL, "-d", "virtio-input"},
	 "--device virtio-input: unknown option for virtio-input devices: "},
	{{BL, "-d", "virtio-input,mouse"},
	 "--device virtio-input: unknown option for virtio-input devices: mouse"},
	{{BL, "-d", "virtio-input,keyboard=1"},
	 "--device virtio-input: unexpected value for virtio-input keyboard option: 1"},
	/* control characters are escaped: every error stays one line */
	{{BL, "-d", "virtio-net,mac=a\nb"},
	 "--device virtio-net: address a\\x0ab: invalid MAC address"},
	/* the first failing device wins, in command-line order */
	{{BL, "-d", "virtio-rng", "-d", "virtio-gpu,width=x", "-d", "bogus"},
	 "--device virtio-gpu: invalid value for virtio-gpu width: x"},
};

static const struct argv_case accepted[] = {
	{{BL, "-d", "virtio-rng,,", "-d", "virtio-balloon", "-d", "virtio-balloon"}},
	{{BL, "-d", "virtio-input,keyboard,pointing"}},
	{{BL, "-d", "virtio-serial,pty=1"}},
	{{BL, "-d", "virtio-serial,stdio="}},
	{{BL, "-d", "virtio-fs"}},
	{{BL, "-d", "rosetta"}},
	{{BL, "-d", "nbd"}},
	{{BL, "-d", "usb-mass-storage"}},
	{{BL, "-d", "virtio-net,mac=00:11:22:33:44:55,mac=66:77:88:99:aa:bb"}},
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

static void test_input_last_wins(void **state)
{
	struct vm_config cfg;

	(void)state;
	PARSE_OK(&cfg, BL, "-d", "virtio-input,keyboard,pointing");
	assert_int_equal(only_device(&cfg)->input.type, INPUT_POINTING);
	config_free(&cfg);
	PARSE_OK(&cfg, BL, "-d", "virtio-serial,logFilePath=/a,logFilePath=,pty");
	assert_int_equal(only_device(&cfg)->serial.mode, SERIAL_PTY);
	assert_null(only_device(&cfg)->serial.log_file_path);
	config_free(&cfg);
}

static void test_kind_names_round_trip(void **state)
{
	struct vm_config cfg = {0};
	char err[256];
	int k;

	(void)state;
	/* every kind's name is a --device type that parses back to that kind */
	for (k = 0; k < DEV_KIND_COUNT; k++) {
		const char *name = device_kind_name((enum device_kind)k);

		if (k == DEV_VIRTIO_BLK || k == DEV_VIRTIO_SERIAL || k == DEV_VIRTIO_INPUT)
			continue; /* need options; covered above */
		assert_int_equal(device_parse(&cfg, name, err, sizeof(err)), 0);
		assert_int_equal(cfg.devices[cfg.device_count - 1].kind, k);
	}
	assert_string_equal(device_kind_name(DEV_KIND_COUNT), "unknown");
	config_free(&cfg);
	config_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_disk_examples),
		cmocka_unit_test(test_disk_options),
		cmocka_unit_test(test_spec_net_examples),
		cmocka_unit_test(test_net_options),
		cmocka_unit_test(test_spec_serial_rng_vsock_examples),
		cmocka_unit_test(test_spec_fs_rosetta_gpu_input_examples),
		cmocka_unit_test(test_spec_gui_example),
		cmocka_unit_test(test_rejected),
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_input_last_wins),
		cmocka_unit_test(test_kind_names_round_trip),
	};

	return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
