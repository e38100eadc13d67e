// SPDX-License-Identifier: Apache-2.0
/* config_inspect_json(): upstream's /vm/inspect keys and shapes (reference 9.5), field by field. */
#include <jansson.h>

#include "cfg_test.h"

#define BL "-b", "linux"

static json_t *inspect(struct vm_config *cfg)
{
	json_error_t jerr;
	char *text = config_inspect_json(cfg);
	json_t *root;

	assert_non_null(text);
	root = json_loads(text, 0, &jerr);
	free(text);
	assert_non_null(root);
	return root;
}

static const char *str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v)) {
		print_error("key %s is not a string\n", key);
		fail();
	}
	return json_string_value(v);
}

static long long num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v)) {
		print_error("key %s is not an integer\n", key);
		fail();
	}
	return json_integer_value(v);
}

static void assert_keys(json_t *o, const char *const *keys)
{
	const char *key;
	json_t *v;
	size_t i = 0;

	/* exactly these keys, in this order */
	json_object_foreach(o, key, v)
	{
		(void)v;
		assert_non_null(keys[i]);
		assert_string_equal(key, keys[i]);
		i++;
	}
	assert_null(keys[i]);
}

#define KEYS(o, ...) assert_keys((o), (const char *const[]){__VA_ARGS__, NULL})

static void test_reference_example(void **state)
{
	struct vm_config cfg;
	json_t *root, *d, *devs;

	(void)state;
	/* reference 9.5's example, with the paths this test can open */
	PARSE_OK(&cfg, "--cpus", "2", "--memory", "2048", "-b", "efi,variable-store=/s,create",
		 "-d", "virtio-blk,path=disk.img,deviceId=root", "-d",
		 "virtio-net,nat,mac=52:54:00:70:2B:71", "-d", "virtio-serial,pty", "-d",
		 "virtio-vsock,port=1024,socketURL=/tmp/v.sock", "-d",
		 "nbd,uri=nbd://10.0.0.1:10809/exp,deviceId=nbd1", "--timesync", "vsockPort=1234",
		 "--ignition", "/tmp/config.ign", "--nested");
	root = inspect(&cfg);
	KEYS(root, "vcpus", "memoryBytes", "bootloader", "devices", "timesync", "ignition",
	     "nested", "cpus", "memory");
	assert_int_equal(num(root, "vcpus"), 2);
	assert_int_equal(num(root, "memoryBytes"), 2147483648LL);
	assert_int_equal(num(root, "cpus"), 2);
	assert_int_equal(num(root, "memory"), 2048);
	assert_true(json_is_true(json_object_get(root, "nested")));

	d = json_object_get(root, "bootloader");
	KEYS(d, "kind", "efiVariableStorePath", "createVariableStore");
	assert_string_equal(str(d, "kind"), "efiBootloader");
	assert_string_equal(str(d, "efiVariableStorePath"), "/s");
	assert_true(json_is_true(json_object_get(d, "createVariableStore")));

	devs = json_object_get(root, "devices");
	assert_int_equal(json_array_size(devs), 5);
	d = json_array_get(devs, 0);
	KEYS(d, "kind", "devName", "imagePath", "deviceIdentifier");
	assert_string_equal(str(d, "kind"), "virtioblk");
	assert_string_equal(str(d, "devName"), "virtio-blk");
	assert_string_equal(str(d, "imagePath"), "disk.img");
	assert_string_equal(str(d, "deviceIdentifier"), "root");
	d = json_array_get(devs, 1);
	KEYS(d, "kind", "nat", "macAddress");
	assert_string_equal(str(d, "kind"), "virtionet");
	assert_true(json_is_true(json_object_get(d, "nat")));
	assert_string_equal(str(d, "macAddress"), "52:54:00:70:2b:71");
	d = json_array_get(devs, 2);
	KEYS(d, "kind", "usesPty");
	assert_string_equal(str(d, "kind"), "virtioserial");
	d = json_array_get(devs, 3);
	KEYS(d, "kind", "port", "socketURL", "listen");
	assert_string_equal(str(d, "kind"), "virtiosock");
	assert_int_equal(num(d, "port"), 1024);
	assert_string_equal(str(d, "socketURL"), "/tmp/v.sock");
	d = json_array_get(devs, 4);
	KEYS(d, "kind", "devName", "uri", "DeviceIdentifier", "Timeout", "SynchronizationMode");
	assert_string_equal(str(d, "devName"), "nbd");
	assert_string_equal(str(d, "uri"), "nbd://10.0.0.1:10809/exp");
	assert_string_equal(str(d, "DeviceIdentifier"), "nbd1");
	assert_int_equal(num(d, "Timeout"), 15000000000LL);
	assert_string_equal(str(d, "SynchronizationMode"), "full");

	d = json_object_get(root, "timesync");
	KEYS(d, "vsockPort");
	assert_int_equal(num(d, "vsockPort"), 1234);
	d = json_object_get(root, "ignition");
	KEYS(d, "kind", "configPath");
	assert_string_equal(str(d, "kind"), "ignition");
	assert_string_equal(str(d, "configPath"), "/tmp/config.ign");
	json_decref(root);

	/* runtime additions appear once set */
	config_runtime_lock();
	cfg.devices[2].serial.pty_name = strdup("/dev/pts/3");
	cfg.devices[1].net.lease_ip = strdup("192.168.127.2");
	config_runtime_unlock();
	root = inspect(&cfg);
	devs = json_object_get(root, "devices");
	assert_string_equal(str(json_array_get(devs, 2), "ptyName"), "/dev/pts/3");
	assert_string_equal(str(json_array_get(devs, 1), "ipAddress"), "192.168.127.2");
	json_decref(root);
	config_free(&cfg);
}

static void test_minimal_and_bootloaders(void **state)
{
	struct vm_config cfg;
	json_t *root, *b;

	(void)state;
	PARSE_OK(&cfg, "-b", "linux,kernel=/k,initrd=/i,cmdline=\"a b\"");
	root = inspect(&cfg);
	/* no devices, timesync, ignition, nested: omitted */
	KEYS(root, "vcpus", "memoryBytes", "bootloader", "cpus", "memory");
	assert_int_equal(num(root, "memoryBytes"), 536870912LL);
	b = json_object_get(root, "bootloader");
	KEYS(b, "kind", "vmlinuzPath", "kernelCmdLine", "initrdPath");
	assert_string_equal(str(b, "kind"), "linuxBootloader");
	assert_string_equal(str(b, "vmlinuzPath"), "/k");
	assert_string_equal(str(b, "kernelCmdLine"), "a b");
	assert_string_equal(str(b, "initrdPath"), "/i");
	json_decref(root);
	config_free(&cfg);

	PARSE_OK(&cfg, "-k", "/k", "-i", "/i", "-C", "c");
	root = inspect(&cfg);
	b = json_object_get(root, "bootloader");
	assert_string_equal(str(b, "kind"), "linuxBootloader");
	assert_string_equal(str(b, "kernelCmdLine"), "c");
	json_decref(root);
	config_free(&cfg);

	PARSE_OK(&cfg, "-b", "efi,variable-store=/v");
	root = inspect(&cfg);
	b = json_object_get(root, "bootloader");
	assert_false(json_is_true(json_object_get(b, "createVariableStore")));
	assert_true(json_is_false(json_object_get(b, "createVariableStore")));
	json_decref(root);
	config_free(&cfg);

	PARSE_OK(&cfg, "-b", "macos,machineIdentifierPath=/m,hardwareModelPath=/h,auxImagePath=/a");
	root = inspect(&cfg);
	b = json_object_get(root, "bootloader");
	/* macOS has no "kind" upstream */
	KEYS(b, "machineIdentifierPath", "hardwareModelPath", "auxImagePath");
	assert_string_equal(str(b, "auxImagePath"), "/a");
	json_decref(root);
	config_free(&cfg);
}

static void test_device_shapes(void **state)
{
	struct vm_config cfg;
	json_t *root, *devs, *d;

	(void)state;
	PARSE_OK(&cfg, BL, "-d", "nvme,path=/n.img,type=dev,readonly", "-d",
		 "usb-mass-storage,path=/u.iso", "-d",
		 "nbd,uri=nbd://h/e,timeout=3000,sync=none,readonly", "-d", "virtio-net", "-d",
		 "virtio-net,fd=4", "-d", "virtio-net,unixSocketPath=/tmp/g.sock", "-d",
		 "virtio-net,type=unixgram,path=/tmp/g.sock,vfkitMagic=off", "-d",
		 "virtio-serial,logFilePath=/l", "-d", "virtio-serial,stdio", "-d", "virtio-rng",
		 "-d", "virtio-balloon", "-d", "virtio-vsock,port=7,connect", "-d",
		 "virtio-fs,sharedDir=/s", "-d", "rosetta,mountTag=r,install", "-d",
		 "virtio-gpu,width=1024", "-d", "virtio-input,pointing", "--gui");
	root = inspect(&cfg);
	devs = json_object_get(root, "devices");
	assert_int_equal(json_array_size(devs), 16);

	d = json_array_get(devs, 0);
	KEYS(d, "kind", "devName", "readOnly", "imagePath", "type");
	assert_string_equal(str(d, "kind"), "nvme");
	assert_string_equal(str(d, "type"), "dev");
	d = json_array_get(devs, 1);
	KEYS(d, "kind", "devName", "imagePath");
	assert_string_equal(str(d, "kind"), "usbmassstorage");
	assert_string_equal(str(d, "devName"), "usb-mass-storage");
	d = json_array_get(devs, 2);
	KEYS(d, "kind", "devName", "readOnly", "uri", "DeviceIdentifier", "Timeout",
	     "SynchronizationMode");
	assert_string_equal(str(d, "DeviceIdentifier"), "");
	assert_int_equal(num(d, "Timeout"), 3000000000LL);
	assert_string_equal(str(d, "SynchronizationMode"), "none");
	d = json_array_get(devs, 3);
	KEYS(d, "kind", "nat"); /* a bare virtio-net is nat */
	assert_true(json_is_true(json_object_get(d, "nat")));
	d = json_array_get(devs, 4);
	KEYS(d, "kind", "nat", "socket");
	assert_true(json_is_false(json_object_get(d, "nat")));
	assert_int_equal(json_object_size(json_object_get(d, "socket")), 0);
	d = json_array_get(devs, 5);
	KEYS(d, "kind", "nat", "unixSocketPath", "vfkitMagic");
	assert_string_equal(str(d, "unixSocketPath"), "/tmp/g.sock");
	d = json_array_get(devs, 6);
	KEYS(d, "kind", "nat", "unixSocketPath");
	d = json_array_get(devs, 7);
	KEYS(d, "kind", "logFile");
	assert_string_equal(str(d, "logFile"), "/l");
	d = json_array_get(devs, 8);
	KEYS(d, "kind", "usesStdio");
	KEYS(json_array_get(devs, 9), "kind");
	assert_string_equal(str(json_array_get(devs, 9), "kind"), "virtiorng");
	assert_string_equal(str(json_array_get(devs, 10), "kind"), "virtioballoon");
	d = json_array_get(devs, 11);
	KEYS(d, "kind", "port", "socketURL"); /* connect: no "listen" */
	assert_string_equal(str(d, "socketURL"), "");
	d = json_array_get(devs, 12);
	KEYS(d, "kind", "mountTag", "sharedDir");
	assert_string_equal(str(d, "kind"), "virtiofs");
	assert_string_equal(str(d, "mountTag"), ""); /* as configured, not the default */
	d = json_array_get(devs, 13);
	KEYS(d, "kind", "mountTag", "installRosetta", "ignoreIfMissing");
	assert_true(json_is_true(json_object_get(d, "installRosetta")));
	assert_true(json_is_false(json_object_get(d, "ignoreIfMissing")));
	d = json_array_get(devs, 14);
	KEYS(d, "kind", "usesGUI", "width", "height");
	assert_true(json_is_true(json_object_get(d, "usesGUI")));
	assert_int_equal(num(d, "width"), 1024);
	assert_int_equal(num(d, "height"), 600);
	d = json_array_get(devs, 15);
	KEYS(d, "kind", "inputType");
	assert_string_equal(str(d, "inputType"), "pointing");
	json_decref(root);
	config_free(&cfg);
}

static void test_escaping(void **state)
{
	struct vm_config cfg;
	json_t *root;

	(void)state;
	PARSE_OK(&cfg, "-b", "linux,cmdline=\"a<b>&'c/d\\\"");
	root = inspect(&cfg);
	assert_string_equal(str(json_object_get(root, "bootloader"), "kernelCmdLine"),
			    "a<b>&'c/d\\");
	json_decref(root);
	config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_example),
		cmocka_unit_test(test_minimal_and_bootloaders),
		cmocka_unit_test(test_device_shapes),
		cmocka_unit_test(test_escaping),
	};

	return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
