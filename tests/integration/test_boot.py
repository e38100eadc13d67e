# SPDX-License-Identifier: Apache-2.0
"""Booting Debian's stock kernel to userspace (issue 3): vCPU counts, memory
sizes, both kernel formats, the command line, power-off, bad kernels."""

import dataclasses
import re
import subprocess

import pytest

import vmtest

# The guest reports what Linux sees; MemTotal excludes the kernel's own
# reservations, so compare with a margin (a few percent plus the kernel image).
MEM_SLACK_KB = 64 * 1024


def check_ready(result, cpus, memory_mib):
    assert result.rc == 0, result.describe()
    ready = result.markers.ready
    assert ready is not None, result.describe()
    assert int(ready["cpus"]) == cpus, result.describe()
    mem_kb = int(ready["mem_kb"])
    expected_kb = memory_mib * 1024
    assert expected_kb * 0.90 - MEM_SLACK_KB <= mem_kb <= expected_kb, \
        "MemTotal %d kB for a %d MiB guest" % (mem_kb, memory_mib)
    assert ready.get("failed") == "none", result.describe()
    assert result.markers.poweroff, result.describe()


@pytest.mark.parametrize("cpus,memory,kernel", [
    (1, 256, "elf"),
    (2, 1024, "bzimage"),
    (4, 4096, "elf"),
])
def test_boots_with_cpus_and_memory(vfkit_bin, vm_factory, script_disk, guest, tmp_path,
                                    cpus, memory, kernel):
    """The guest sees exactly the vCPUs and (almost all of) the RAM it was
    given, with a bzImage and with the PVH vmlinux; power-off exits 0."""
    marker = "vfkit-cmdline-%d-%d" % (cpus, memory)
    # The nested test host's emulated CPU makes every guest kernel (QEMU's too)
    # warn "XSAVE consistency problem" with a call trace, so look only for
    # what our platform could cause.
    script = ("cat /proc/cmdline\n"
              "dmesg | grep -E 'ACPI (Error|BIOS Error|Warning)|BUG:|Kernel panic' && exit 3\n"
              "exit 0\n")
    disk = script_disk(script)
    image = dataclasses.replace(guest, kernel=guest.elf if kernel == "elf" else guest.bzimage)
    log = tmp_path / "console.log"
    cmdline = vmtest.guest_cmdline(test="/dev/vda", extra=marker)
    argv = [vfkit_bin] + vmtest.vfkit_args(image, log, disks=[disk], cpus=cpus, memory=memory,
                                           cmdline=cmdline)
    vm = vm_factory(argv, log=log, timeout=400)
    vm.wait()
    result = vm.result()
    check_ready(result, cpus, memory)
    assert result.markers.status == 0, result.describe()
    # The command line reaches the guest verbatim.
    assert re.search(r"^.*console=ttyS0 panic=-1 quiet test=/dev/vda %s\s*$" % marker,
                     result.console, re.M), result.describe()


def test_legacy_kernel_flags_boot(vfkit_bin, vm_factory, guest, tmp_path):
    """--kernel/--initrd/--kernel-cmdline are the linux bootloader."""
    log = tmp_path / "console.log"
    argv = [vfkit_bin, "--kernel", guest.elf, "--initrd", guest.initrd,
            "--kernel-cmdline", vmtest.guest_cmdline(),
            "--device", "virtio-serial,logFilePath=%s" % log, "--restful-uri", "none://"]
    vm = vm_factory(argv, log=log, timeout=300)
    vm.wait()
    result = vm.result()
    check_ready(result, 1, 512)


def run_vfkit(vfkit_bin, *args):
    return subprocess.run([vfkit_bin, *args, "--restful-uri", "none://"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=60)


@pytest.mark.parametrize("content,why", [
    (b"", "empty"),
    (b"#!/bin/sh\necho not a kernel\n" * 100, "not a Linux kernel"),
    (b"\x7fELF\x02\x01\x01" + b"\0" * 9 + b"\x02\x00\xb7\x00" + b"\0" * 200,
     "not a Linux kernel"),
])
def test_bad_kernels_refused_before_start(vfkit_bin, guest, tmp_path, content, why):
    bad = tmp_path / "bad-kernel"
    bad.write_bytes(content)
    r = run_vfkit(vfkit_bin, "--bootloader",
                  "linux,kernel=%s,initrd=%s" % (bad, guest.initrd))
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vfkit: error: --bootloader linux: kernel "), \
        r.stderr
    assert str(bad) in lines[0]


def test_truncated_bzimage_refused(vfkit_bin, guest, tmp_path):
    data = open(guest.bzimage, "rb").read()
    bad = tmp_path / "truncated-bzImage"
    bad.write_bytes(data[:len(data) // 2])
    r = run_vfkit(vfkit_bin, "--bootloader", "linux,kernel=%s,initrd=%s" % (bad, guest.initrd))
    assert r.returncode == 1
    assert "truncated" in r.stderr and str(bad) in r.stderr, r.stderr


def test_missing_initrd_refused(vfkit_bin, guest, tmp_path):
    missing = tmp_path / "no-such-initrd"
    r = run_vfkit(vfkit_bin, "--bootloader", "linux,kernel=%s,initrd=%s" % (guest.elf, missing))
    assert r.returncode == 1
    assert r.stderr.strip() == \
        "vfkit: error: --bootloader linux: initrd %s: No such file or directory" % missing


def test_initrd_larger_than_ram_refused(vfkit_bin, guest, tmp_path):
    big = tmp_path / "big-initrd"
    with open(big, "wb") as f:
        f.truncate(300 << 20)
    r = run_vfkit(vfkit_bin, "--memory", "128", "--bootloader",
                  "linux,kernel=%s,initrd=%s" % (guest.elf, big))
    assert r.returncode == 1
    assert "initrd" in r.stderr and str(big) in r.stderr, r.stderr


def test_guest_reboot_stops_vm_with_status_0(boot_script):
    """A guest reboot stops the VM (vfkit does not restart guests)."""
    r = boot_script("echo rebooting; reboot -f; sleep 30\n", timeout=300)
    assert r.rc == 0, r.describe()
    assert "guest requested a reboot" in r.stderr, r.describe()
    assert r.markers.status is None  # the script never finished


def test_guest_triple_fault_is_an_error(boot_script):
    """reboot=t makes Linux reboot through a triple fault: KVM reports a
    shutdown exit, which vfkit treats as a crash (exit 1, one clear line)."""
    cmdline = vmtest.guest_cmdline(test="/dev/vda", extra="reboot=t")
    r = boot_script("reboot -f; sleep 30\n", cmdline=cmdline, timeout=300)
    assert r.rc == 1, r.describe()
    assert "guest triple fault" in r.stderr, r.describe()
