// SPDX-License-Identifier: Apache-2.0
/* config_validate(): create-time checks (reference 5, 12) and platform limits. */
#include <sys/socket.h>

#include "cfg_test.h"
#include "../unprivileged.h"

#define BL "-b", "linux"

static const struct argv_case resources[] = {
	{{BL, "--cpus", "1", "--memory", "32"}},
	{{BL, "--cpus", "255", "--memory", "1048576"}},
	{{BL, "--cpus", "0"}, "--cpus: invalid value 0 (must be between 1 and 255)"},
	{{BL, "--cpus", "256"}, "--cpus: invalid value 256 (must be between 1 and 255)"},
	{{BL, "--memory", "31"}, "--memory: 31 MiB is too small to boot Linux (minimum 32 MiB)"},
	{{BL, "--memory", "010"}, "--memory: 8 MiB is too small to boot Linux (minimum 32 MiB)"},
	{{BL, "--memory", "1048577"}, "--memory: 1048577 MiB is too large (maximum 1048576 MiB)"},
};

static const struct argv_case boot[] = {
	{{"-b", "efi,variable-store=efi-vars"}},
	{{"-b", "efi,variable-store=new-vars,create"}},
	{{"-b", "efi,variable-store=efi-vars,create"}},
	{{"-b", "efi"}, "--bootloader efi: missing mandatory 'variable-store' option"},
	{{"-b", "efi,variable-store=new-vars"},
	 "--bootloader efi: stat new-vars: no such file or directory (add ',create' to create it)"},
	{{"-b", "efi,variable-store=nodir/v,create"},
	 "--bootloader efi: cannot create nodir/v: nodir: no such file or directory"},
	{{"-b", "efi,variable-store=share,create"}, "--bootloader efi: share: is a directory"},
	{{"-b", "macos"},
	 "--bootloader macos: running macOS guests is only supported on ARM devices with Apple's "
	 "Virtualization.framework"},
};

static const struct argv_case disks[] = {
	{{BL, "-d", "virtio-blk,path=disk.img,deviceId=12345678901234567890"}},
	{{BL, "-d", "nvme,path=disk.img", "-d", "usb-mass-storage,path=disk.img,readonly"}},
	{{BL, "-d", "virtio-blk,path=disk.img,deviceId=123456789012345678901"},
	 "--device virtio-blk: invalid deviceId '123456789012345678901': longer than 20 bytes"},
	{{BL, "-d", "nvme"}, "--device nvme: missing mandatory 'path' option for nvme device"},
	{{BL, "-d", "usb-mass-storage,readonly"},
	 "--device usb-mass-storage: missing mandatory 'path' option for usb-mass-storage device"},
	{{BL, "-d", "nvme,path=missing.img"},
	 "--device nvme: open missing.img: no such file or directory"},
	{{BL, "-d", "nvme,path=share"}, "--device nvme: open share: is a directory"},
	{{BL, "-d", "usb-mass-storage,path=image.qcow2"},
	 "--device usb-mass-storage: image.qcow2: vfkit does not support qcow2 image format; raw "
	 "images are required, convert it with: qemu-img convert -O raw image.qcow2 image.raw"},
	{{BL, "-d", "nvme,path=disk.img,type=dev"},
	 "--device nvme: file disk.img is not a block device"},
	{{BL, "-d", "virtio-blk,path=disk.img,type=dev"},
	 "--device virtio-blk: file disk.img is not a block device"},
	{{BL, "-d", "usb-mass-storage,path=nodev,type=dev"},
	 "--device usb-mass-storage: error stating file: lstat nodev: no such file or directory"},
};

static const struct argv_case nbd[] = {
	{{BL, "-d", "nbd,uri=nbd://10.0.0.1:10809/exp,deviceId=nbd1"}},
	{{BL, "-d", "nbd,uri=nbds://host/exp,deviceId=a,timeout=0"}},
	{{BL, "-d", "nbd,uri=nbd://[::1]:10809,deviceId=a"}},
	{{BL, "-d", "nbd,uri=nbd+unix:///exp?socket=/run/nbd.sock,deviceId=a"}},
	{{BL, "-d", "nbd,deviceId=a"},
	 "--device nbd: invalid NBD device 'uri': 'uri' must be specified"},
	{{BL, "-d", "nbd,uri=http://h/e,deviceId=a"},
	 "--device nbd: invalid NBD device 'uri': invalid scheme: http. Expected one of: 'nbd', "
	 "'nbds', 'nbd+unix', or 'nbds+unix'"},
	{{BL, "-d", "nbd,uri=10.0.0.1:10809,deviceId=a"},
	 "--device nbd: invalid NBD device 'uri': invalid scheme: 10.0.0.1. Expected one of: "
	 "'nbd', 'nbds', 'nbd+unix', or 'nbds+unix'"},
	{{BL, "-d", "nbd,uri=nbd:///exp,deviceId=a"},
	 "--device nbd: invalid NBD device 'uri': nbd:///exp: missing host"},
	{{BL, "-d", "nbd,uri=nbd://h:99999/e,deviceId=a"},
	 "--device nbd: invalid NBD device 'uri': nbd://h:99999/e: invalid port"},
	{{BL, "-d", "nbd,uri=nbd://h:x/e,deviceId=a"},
	 "--device nbd: invalid NBD device 'uri': nbd://h:x/e: invalid port"},
	{{BL, "-d", "nbd,uri=nbd+unix:///exp,deviceId=a"},
	 "--device nbd: invalid NBD device 'uri': nbd+unix:///exp: a unix socket URI needs "
	 "'?socket=<path>'"},
	{{BL, "-d", "nbd,uri=nbd://h/e"},
	 "--device nbd: invalid NBD device 'deviceId': 'deviceId' must be specified"},
	{{BL, "-d", "nbd,uri=nbd://h/e,deviceId=a/b"},
	 "--device nbd: invalid NBD device 'deviceId': a/b: it cannot contain any forward slash"},
	{{BL, "-d", "nbd,uri=nbd://h/e,deviceId=123456789012345678901"},
	 "--device nbd: invalid NBD device 'deviceId' '123456789012345678901': longer than 20 "
	 "bytes"},
	{{BL, "-d", "nbd,uri=nbd://h/e,deviceId=a,timeout=-1"},
	 "--device nbd: invalid NBD device 'timeout': -1 (must not be negative)"},
};

static const struct argv_case net[] = {
	{{BL, "-d", "virtio-net,unixSocketPath=sub/gvproxy.sock"}},
	{{BL, "-d", "virtio-net,unixSocketPath=/nonexistent-dir/x.sock"},
	 "--device virtio-net: unixSocketPath /nonexistent-dir/x.sock: directory /nonexistent-dir: "
	 "no such file or directory"},
	{{BL, "-d",
	  "virtio-net,unixSocketPath=/tmp/"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaa"},
	 "--device virtio-net: unixgram path "
	 "'/tmp/"
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "aaaaaaaaaaaaaa' "
	 "is too long: 108 >= 108 bytes"},
	{{BL, "-d", "virtio-net,unixSocketPath=disk.img/x.sock"},
	 "--device virtio-net: unixSocketPath disk.img/x.sock: disk.img is not a directory"},
	{{BL, "-d", "virtio-net,fd=1000"}, "--device virtio-net: fd=1000: bad file descriptor"},
};

static const struct argv_case misc[] = {
	{{BL, "-d", "virtio-serial,logFilePath=serial.log"}},
	{{BL, "-d", "virtio-serial,logFilePath=ign.json"}},
	{{BL, "-d", "virtio-serial,logFilePath=nodir/serial.log"},
	 "--device virtio-serial: logFilePath: cannot create nodir/serial.log: nodir: no such file "
	 "or directory"},
	{{BL, "-d", "virtio-serial,logFilePath=share"},
	 "--device virtio-serial: logFilePath: share: is a directory"},
	{{BL, "-d", "virtio-serial,stdio", "-d", "virtio-serial,pty", "-d", "virtio-serial,stdio"},
	 "--device virtio-serial,stdio: only one console can use stdio"},
	{{BL, "-d", "virtio-fs,sharedDir=share"}},
	{{BL, "-d", "virtio-fs,sharedDir=share,mountTag=123456789012345678901234567890123456"}},
	{{BL, "-d", "virtio-fs"},
	 "--device virtio-fs: missing mandatory 'sharedDir' option for virtio-fs device"},
	{{BL, "-d", "virtio-fs,sharedDir=nodir"},
	 "--device virtio-fs: stat nodir: no such file or directory"},
	{{BL, "-d", "virtio-fs,sharedDir=disk.img"},
	 "--device virtio-fs: sharedDir disk.img: not a directory"},
	{{BL, "-d", "virtio-fs,sharedDir=share,mountTag=1234567890123456789012345678901234567"},
	 "--device virtio-fs: invalid mount tag '1234567890123456789012345678901234567': must be 1 "
	 "to 36 bytes"},
	{{BL, "-d", "virtio-gpu,width=16384,height=16384"}},
	{{BL, "-d", "virtio-gpu,width=16385"},
	 "--device virtio-gpu: invalid dimensions for virtio-gpu device resolution: 16385x600 "
	 "(maximum 16384)"},
	{{BL, "-d",
	  "virtio-vsock,port=1,socketURL=/tmp/"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "a"
	  "aaaaaaaaaaaaaa"},
	 "--device virtio-vsock: socketURL '/tmp/"
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "aaaaaaaaaaaaaa' is too long: 108 > 107 bytes"},
	{{BL, "--ignition", "ign.json"}},
	{{BL, "--ignition", "missing.ign"},
	 "--ignition: open missing.ign: no such file or directory"},
	{{BL, "--pidfile", "vfkit.pid"}},
	{{BL, "--pidfile", "nodir/vfkit.pid"},
	 "--pidfile: cannot create nodir/vfkit.pid: nodir: no such file or directory"},
};

static const struct argv_case vsock_ports[] = {
	{{BL, "-d", "virtio-vsock,port=5", "-d", "virtio-vsock,port=6", "--timesync", "vsockPort=7",
	  "--ignition", "ign.json"}},
	{{BL, "-d", "virtio-vsock,port=5", "-d", "virtio-vsock,port=5,connect"},
	 "--device virtio-vsock: vsock port 5 is already used by --device virtio-vsock"},
	{{BL, "-d", "virtio-vsock,port=1024", "--ignition", "ign.json"},
	 "--ignition: vsock port 1024 is already used by --device virtio-vsock"},
	{{BL, "-d", "virtio-vsock,port=9", "-t", "vsockPort=9"},
	 "--timesync: vsock port 9 is already used by --device virtio-vsock"},
	{{BL, "-t", "vsockPort=1024", "--ignition", "ign.json"},
	 "--ignition: vsock port 1024 is already used by --timesync"},
};

static void test_resources(void **state)
{
	(void)state;
	RUN_CASES(resources, true);
}

static void test_boot(void **state)
{
	(void)state;
	RUN_CASES(boot, true);
}

static void test_disks(void **state)
{
	(void)state;
	RUN_CASES(disks, true);
}

static void test_nbd(void **state)
{
	(void)state;
	RUN_CASES(nbd, true);
}

static void test_net(void **state)
{
	(void)state;
	RUN_CASES(net, true);
}

static void test_misc(void **state)
{
	(void)state;
	RUN_CASES(misc, true);
}

static void test_vsock_ports(void **state)
{
	(void)state;
	RUN_CASES(vsock_ports, true);
}

static void test_net_fd_type(void **state)
{
	int dgram[2], stream[2];
	char arg[128], err[256];
	struct vm_config cfg;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, dgram), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, stream), 0);
	snprintf(arg, sizeof(arg), "virtio-net,fd=%d", dgram[0]);
	PARSE_OK(&cfg, BL, "-d", arg);
	assert_int_equal(config_validate(&cfg, err, sizeof(err)), 0);
	config_free(&cfg);
	snprintf(arg, sizeof(arg), "virtio-net,fd=%d", stream[0]);
	PARSE_OK(&cfg, BL, "-d", arg);
	assert_int_equal(config_validate(&cfg, err, sizeof(err)), -1);
	snprintf(arg, sizeof(arg),
		 "--device virtio-net: fd=%d: the fileHandle must be a datagram socket", stream[0]);
	assert_string_equal(err, arg);
	config_free(&cfg);
	close(dgram[0]);
	close(dgram[1]);
	close(stream[0]);
	close(stream[1]);
}

static void test_rosetta(void **state)
{
	struct vm_config cfg;
	char err[256];

	(void)state;
	PARSE_OK(&cfg, BL, "-d", "virtio-rng", "-d", "rosetta,mountTag=r");
	assert_int_equal(config_validate(&cfg, err, sizeof(err)), -1);
#if defined(__aarch64__)
	assert_string_equal(err, "--device rosetta: rosetta is not supported");
#else
	assert_string_equal(err, "--device rosetta: rosetta is unsupported on non-arm64 platforms");
#endif
	config_free(&cfg);
	/* with the ignore flag (either spelling) the share is dropped, the rest stays */
	PARSE_OK(&cfg, BL, "--log-level", "error", "-d", "rosetta,ignoreIfMissing", "-d",
		 "virtio-rng", "-d", "rosetta,ignore-if-missing", "-d", "virtio-balloon", "--gui");
	assert_int_equal(cfg.cli_device_count, 4);
	assert_int_equal(config_validate(&cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.device_count, 4); /* rng, balloon, and --gui's gpu and keyboard */
	assert_int_equal(cfg.cli_device_count, 2);
	assert_int_equal(cfg.devices[0].kind, DEV_VIRTIO_RNG);
	assert_int_equal(cfg.devices[1].kind, DEV_VIRTIO_BALLOON);
	config_free(&cfg);
}

static void write_sysfs(const char *module, const char *value)
{
	char path[256];

	snprintf(path, sizeof(path), "fakesys/module/%s", module);
	mkdir("fakesys", 0755);
	mkdir("fakesys/module", 0755);
	mkdir(path, 0755);
	strcat(path, "/parameters");
	mkdir(path, 0755);
	strcat(path, "/nested");
	write_file(path, value, strlen(value));
}

static void test_nested(void **state)
{
	struct vm_config cfg;
	char err[256];

	(void)state;
	cfg_sysfs_root = "fakesys";
	/* no KVM vendor module: left to VM creation */
	PARSE_OK(&cfg, BL, "--nested");
	assert_int_equal(config_validate(&cfg, err, sizeof(err)), 0);
	config_free(&cfg);
	write_sysfs("kvm_intel", "N\n");
	PARSE_OK(&cfg, BL, "--nested");
	assert_int_equal(config_validate(&cfg, err, sizeof(err)), -1);
	assert_string_equal(err, "--nested: nested virtualization is not supported");
	config_free(&cfg);
	write_sysfs("kvm_amd", "1\n");
	PARSE_OK(&cfg, BL, "-n");
	assert_int_equal(config_validate(&cfg, err, sizeof(err)), 0);
	config_free(&cfg);
	cfg_sysfs_root = "/sys";
}

/* What config_validate() says when run as nobody (see ../unprivileged.h). */
struct validation {
	struct vm_config *cfg; /* the child's copy of the parent's config */
	int rc;
	char err[512];
};

static void validate_in_child(void *shared)
{
	struct validation *v = shared;

	v->rc = config_validate(v->cfg, v->err, sizeof(v->err));
}

static int validate_unprivileged(struct vm_config *cfg, char *err, size_t errlen)
{
	struct validation *v = unprivileged_shared(sizeof(*v));
	int rc;

	assert_non_null(v);
	v->cfg = cfg;
	v->rc = 1234; /* not an outcome config_validate() has */
	assert_int_equal(run_unprivileged(validate_in_child, v), 0);
	snprintf(err, errlen, "%s", v->err);
	rc = v->rc;
	munmap(v, sizeof(*v));
	return rc;
}

static void test_permissions(void **state)
{
	struct vm_config cfg;
	char err[512];

	(void)state;
	/* nobody must reach the scratch directory, or every open fails */
	assert_int_equal(chmod(scratch_dir, 0755), 0);
	write_file("ro.img", "abcd", 4);
	assert_int_equal(chmod("ro.img", 0444), 0);
	PARSE_OK(&cfg, BL, "-d", "virtio-blk,path=ro.img");
	assert_int_equal(validate_unprivileged(&cfg, err, sizeof(err)), -1);
	assert_string_equal(err, "--device virtio-blk: open ro.img: permission denied (read-write "
				 "access is needed unless 'readonly')");
	config_free(&cfg);
	/* the control: the same user can open it read-only */
	PARSE_OK(&cfg, BL, "-d", "virtio-blk,path=ro.img,readonly");
	assert_int_equal(validate_unprivileged(&cfg, err, sizeof(err)), 0);
	config_free(&cfg);
	assert_int_equal(chmod(scratch_dir, 0700), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resources),   cmocka_unit_test(test_boot),
		cmocka_unit_test(test_disks),	    cmocka_unit_test(test_nbd),
		cmocka_unit_test(test_net),	    cmocka_unit_test(test_misc),
		cmocka_unit_test(test_vsock_ports), cmocka_unit_test(test_net_fd_type),
		cmocka_unit_test(test_rosetta),	    cmocka_unit_test(test_nested),
		cmocka_unit_test(test_permissions),
	};

	return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
