# SPDX-License-Identifier: Apache-2.0
"""The vfkit command line tested as a process: exit codes, exact error lines
on stderr, and the --dry-run JSON (the /vm/inspect document).

The binary is $VFKIT (default build/vfkit, relative to the repository root).
Accepted command lines use --dry-run, so no VM is started."""
import json
import os
import socket
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VFKIT = Path(os.environ.get("VFKIT", "build/vfkit"))
if not VFKIT.is_absolute():
    VFKIT = ROOT / VFKIT


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    d = tmp_path_factory.mktemp("vfkit-cli")
    (d / "disk.img").write_bytes(b"\0" * 4096)
    (d / "empty.img").write_bytes(b"")
    (d / "image.qcow2").write_bytes(b"QFI\xfb\0\0\0\3" + b"\0" * 64)
    (d / "user-data").write_text("#cloud-config\n")
    (d / "meta-data").write_text("instance-id: x\n")
    (d / "config.ign").write_text("{}")
    (d / "efi-vars").write_bytes(b"")
    (d / "share").mkdir()
    (d / "bzImage").write_bytes(fake_bzimage())
    (d / "initrd").write_bytes(b"\0" * 512)
    return d


def fake_bzimage():
    """The smallest file the Linux boot protocol 2.15 header check accepts
    (the kernel itself is not needed: nothing boots in --dry-run)."""
    img = bytearray(16384)
    img[0x1f1] = 4                                   # setup_sects
    img[0x1fe:0x200] = (0xaa55).to_bytes(2, "little")
    img[0x200:0x202] = bytes([0xeb, 0x66])           # jump over the header
    img[0x202:0x206] = b"HdrS"
    img[0x206:0x208] = (0x020f).to_bytes(2, "little")
    img[0x211] = 0x01                                # LOADED_HIGH
    img[0x22c:0x230] = (0x7fffffff).to_bytes(4, "little")
    img[0x236:0x238] = (0x0003).to_bytes(2, "little")  # 64-bit entry, above 4G
    img[0x238:0x23c] = (2048).to_bytes(4, "little")
    img[0x258:0x260] = (0x1000000).to_bytes(8, "little")
    img[0x260:0x264] = (0x200000).to_bytes(4, "little")
    return bytes(img)


LINUX_SPEC = "linux,kernel=bzImage,initrd=initrd,cmdline=console=hvc0"
LINUX = ("-b", LINUX_SPEC)


def run(workdir, *args):
    if not VFKIT.exists():
        pytest.fail(f"vfkit binary not found at {VFKIT} (set VFKIT=...)")
    flat = []
    for a in args:
        flat.extend(a if isinstance(a, tuple) else (a,))
    p = subprocess.run([str(VFKIT), *flat], cwd=workdir, capture_output=True, text=True,
                       timeout=30)
    return p.returncode, p.stdout, p.stderr


def dry_run(workdir, *args):
    rc, out, err = run(workdir, *args, "--dry-run")
    assert rc == 0, f"exit {rc}, stderr: {err}"
    assert out.endswith("\n") and out.count("\n") == 1
    return json.loads(out)


def test_version(workdir):
    rc, out, err = run(workdir, "--version")
    assert (rc, err) == (0, "")
    assert out.startswith("vfkit version: ") and out.endswith("\n")
    assert run(workdir, "-v") == (0, out, "")


def test_help_lists_every_flag(workdir):
    rc, out, err = run(workdir, "--help")
    assert (rc, err) == (0, "")
    for flag in ("--bootloader", "--cloud-init", "--cpus", "--device", "--dry-run", "--gui",
                 "--help", "--ignition", "--initrd", "--kernel", "--kernel-cmdline",
                 "--log-level", "--memory", "--nested", "--pidfile", "--restful-uri",
                 "--timesync", "--version"):
        assert flag in out
    assert run(workdir, "-h")[0] == 0


def test_reference_inspect_example(workdir):
    doc = dry_run(workdir, "--cpus", "2", "--memory", "2048", "-b",
                  "efi,variable-store=efi-vars,create", "-d",
                  "virtio-blk,path=disk.img,deviceId=root", "-d",
                  "virtio-net,nat,mac=52:54:00:70:2b:71", "-d", "virtio-serial,pty", "-d",
                  "virtio-vsock,port=1025,socketURL=/tmp/v.sock", "-d",
                  "nbd,uri=nbd://10.0.0.1:10809/exp,deviceId=nbd1", "--timesync",
                  "vsockPort=1234", "--ignition", "config.ign")
    assert list(doc) == ["vcpus", "memoryBytes", "bootloader", "devices", "timesync",
                         "ignition", "cpus", "memory"]
    assert doc["vcpus"] == 2 and doc["cpus"] == 2
    assert doc["memoryBytes"] == 2147483648 and doc["memory"] == 2048
    assert doc["bootloader"] == {"kind": "efiBootloader", "efiVariableStorePath": "efi-vars",
                                 "createVariableStore": True}
    assert doc["devices"] == [
        {"kind": "virtioblk", "devName": "virtio-blk", "imagePath": "disk.img",
         "deviceIdentifier": "root"},
        {"kind": "virtionet", "nat": True, "macAddress": "52:54:00:70:2b:71"},
        {"kind": "virtioserial", "usesPty": True},
        {"kind": "virtiosock", "port": 1025, "socketURL": "/tmp/v.sock", "listen": True},
        {"kind": "nbd", "devName": "nbd", "uri": "nbd://10.0.0.1:10809/exp",
         "DeviceIdentifier": "nbd1", "Timeout": 15000000000, "SynchronizationMode": "full"},
    ]
    assert doc["timesync"] == {"vsockPort": 1234}
    assert doc["ignition"] == {"kind": "ignition", "configPath": "config.ign"}


def test_legacy_flags_and_defaults(workdir):
    doc = dry_run(workdir, "--kernel", "bzImage", "--initrd", "initrd", "--kernel-cmdline",
                  "console=hvc0")
    assert doc["vcpus"] == 1 and doc["memory"] == 512
    assert doc["bootloader"] == {"kind": "linuxBootloader", "vmlinuzPath": "bzImage",
                                 "kernelCmdLine": "console=hvc0", "initrdPath": "initrd"}
    assert "devices" not in doc and "nested" not in doc


def test_go_integer_syntax(workdir):
    doc = dry_run(workdir, LINUX, "-c", "0x2", "-m", "0o2000")
    assert (doc["vcpus"], doc["memory"]) == (2, 1024)


def test_gui_adds_devices_with_warnings(workdir):
    rc, out, err = run(workdir, LINUX, "--gui", "--dry-run")
    assert rc == 0
    assert json.loads(out)["devices"] == [
        {"kind": "virtiogpu", "usesGUI": True, "width": 800, "height": 600},
        {"kind": "virtioinput", "inputType": "keyboard"}]
    assert "no virtio-gpu device configured, automatically adding it" in err
    # --log-level error hides the warnings
    assert run(workdir, LINUX, "--gui", "--dry-run", "--log-level", "error")[2] == ""


def test_rosetta_ignore_if_missing(workdir):
    rc, out, err = run(workdir, LINUX, "-d", "rosetta,mountTag=r,ignoreIfMissing",
                       "-d", "virtio-rng", "--dry-run")
    assert rc == 0
    assert json.loads(out)["devices"] == [{"kind": "virtiorng"}]
    assert "--device rosetta:" in err and "continuing without it" in err


def test_net_fd_inherited(workdir):
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        p = subprocess.run([str(VFKIT), "-b", LINUX_SPEC, "-d", f"virtio-net,fd={a.fileno()}",
                            "--dry-run"], cwd=workdir, capture_output=True, text=True,
                           pass_fds=(a.fileno(),), timeout=30)
        assert p.returncode == 0, p.stderr
        assert json.loads(p.stdout)["devices"] == [{"kind": "virtionet", "nat": False,
                                                     "socket": {}}]
    finally:
        a.close()
        b.close()


REJECTED = [
    (["--bogus"], "unknown flag: --bogus"),
    (["-x"], "unknown shorthand flag: 'x' in -x"),
    (["-b", "linux", "--device"], "flag needs an argument: --device"),
    (["-c", "two"], 'invalid argument "two" for "-c, --cpus" flag: strconv.ParseUint: parsing '
                    '"two": invalid syntax'),
    (["--gui=yes"], 'invalid argument "yes" for "--gui" flag: strconv.ParseBool: parsing '
                    '"yes": invalid syntax'),
    ([], "--bootloader: empty option list in --bootloader command line argument"),
    (["-b", "bios"], "--bootloader: unknown bootloader type: bios"),
    (["-b", 'linux,cmdline="x'],
     'invalid argument "linux,cmdline=\\"x" for "-b, --bootloader" flag: mismatched "'),
    (["--kernel", "/k"], "if any flags in the group [kernel initrd kernel-cmdline] are set they "
                         "must all be set; missing [initrd kernel-cmdline]"),
    (["-k", "/k", "-i", "/i", "-C", "c", "-b", "linux"],
     "if any flags in the group [initrd bootloader] are set none of the others can be; "
     "[bootloader initrd] were all set"),
    (["-b", "linux", "--log-level", "warn"], "--log-level: unknown log level: warn"),
    (["-b", "linux", "-d", "virtio-foo"], "--device: unknown device type: virtio-foo"),
    (["-b", "linux", "-d", "virtio-net,mac=zz"],
     "--device virtio-net: address zz: invalid MAC address"),
    (["-b", "linux", "-d", "virtio-net,nat,fd=3"],
     "--device virtio-net: 'nat' and 'fd' cannot be set at the same time"),
    (["-b", "linux", "-d", "virtio-blk,path=missing.img"],
     "--device virtio-blk: failed to open file missing.img: open missing.img: no such file or "
     "directory"),
    (["-b", "linux", "-d", "virtio-blk,path=image.qcow2"],
     "--device virtio-blk: image.qcow2: vfkit does not support qcow2 image format; raw images "
     "are required, convert it with: qemu-img convert -O raw image.qcow2 image.raw"),
    (["-b", "linux", "-d", "nvme,path=missing.img"],
     "--device nvme: open missing.img: no such file or directory"),
    (["-b", "linux", "-d", "virtio-serial,stdio", "-d", "virtio-serial,stdio"],
     "--device virtio-serial,stdio: only one console can use stdio"),
    (["-b", "linux", "-d", "virtio-serial"],
     "--device virtio-serial: one of 'logFilePath', 'stdio' or 'pty' must be set"),
    (["-b", "linux", "-d", "virtio-vsock,port=5", "-d", "virtio-vsock,port=5"],
     "--device virtio-vsock: vsock port 5 is already used by --device virtio-vsock"),
    (["-b", "linux", "-d", "virtio-vsock,port=1024", "--ignition", "config.ign"],
     "--ignition: vsock port 1024 is already used by --device virtio-vsock"),
    (["-b", "linux", "-d", "virtio-fs,sharedDir=nodir"],
     "--device virtio-fs: stat nodir: no such file or directory"),
    (["-b", "linux", "-d", "virtio-gpu,width=0"],
     "--device virtio-gpu: invalid value for virtio-gpu width: 0"),
    (["-b", "linux", "-d", "nbd,uri=http://h/e,deviceId=a"],
     "--device nbd: invalid NBD device 'uri': invalid scheme: http. Expected one of: 'nbd', "
     "'nbds', 'nbd+unix', or 'nbds+unix'"),
    (["-b", "linux", "-d", "rosetta"],
     "--device rosetta: rosetta is unsupported on non-arm64 platforms"),
    (["-b", "macos"], "--bootloader macos: running macOS guests is only supported on ARM "
                      "devices with Apple's Virtualization.framework"),
    (["-b", "efi,variable-store=missing-vars"],
     "--bootloader efi: stat missing-vars: no such file or directory (add ',create' to create "
     "it)"),
    (["-b", "linux", "--cpus", "0"], "--cpus: invalid value 0 (must be between 1 and 255)"),
    (["-b", "linux", "--memory", "16"],
     "--memory: 16 MiB is too small to boot Linux (minimum 32 MiB)"),
    (["-b", "linux", "--memory", "2097152"],
     "--memory: 2097152 MiB is too large (maximum 1048576 MiB)"),
    (["-b", "linux", "--timesync", "vsockPort=0"],
     "--timesync: missing 'vsockPort' option for timesync parameter"),
    (["-b", "linux", "--ignition", "a,b"],
     "--ignition: failed to add ignition file: ignition only accepts one option in command "
     "line argument"),
    (["-b", "linux", "--ignition", "missing.ign"],
     "--ignition: open missing.ign: no such file or directory"),
    (["-b", "linux", "--cloud-init", "network-config"],
     "--cloud-init: open network-config: no such file or directory"),
    (["-b", "linux", "--restful-uri", "https://localhost:1"],
     "--restful-uri: invalid scheme https"),
    (["-b", "linux", "--restful-uri", "tcp://localhost"],
     "--restful-uri: invalid TCP uri: missing port"),
]


@pytest.mark.parametrize("args,message", REJECTED, ids=[" ".join(a) or "(none)"
                                                       for a, _ in REJECTED])
def test_rejected(workdir, args, message):
    rc, out, err = run(workdir, "--dry-run", *args)
    assert rc == 1
    assert out == ""
    assert err == f"vfkit: error: {message}\n"


@pytest.mark.parametrize("args,message", [
    (("--timesync", "vsockPort=1234"),
     "vfkit: error: --timesync: not supported yet by this VMM (needs virtio-vsock)"),
    (("--ignition", "config.ign"),
     "vfkit: error: --ignition: not supported yet by this VMM (needs virtio-vsock)"),
])
def test_options_without_runtime_fail_at_start(workdir, args, message):
    """Parsed and validated (so --dry-run accepts them), but a real start says
    they do not work yet instead of ignoring them."""
    dry_run(workdir, LINUX, "--restful-uri", "none://", *args)
    rc, _, err = run(workdir, LINUX, "--restful-uri", "none://", *args)
    assert rc == 1
    assert message in err.splitlines(), err
