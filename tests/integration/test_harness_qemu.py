# SPDX-License-Identifier: Apache-2.0
"""Canary for the harness itself: QEMU, as the reference VMM, boots the test
guest and the /init protocol works (READY, test status, ext4 test disks,
2 vCPUs, ticks and the ACPI power button). If this fails, vfkit failures in
the same run say nothing about vfkit."""

import shutil
import socket
import time

import pytest

import vmtest

pytestmark = pytest.mark.skipif(shutil.which("qemu-system-x86_64") is None,
                                reason="qemu-system-x86_64 not installed")


def test_script_disk_status_and_output(guest, vm_factory, script_disk, tmp_path):
    disk = script_disk("echo canary-$((6 * 7)); grep -c . /proc/cpuinfo >/dev/null; exit 7\n")
    log = tmp_path / "console.log"
    vm = vm_factory(vmtest.qemu_args(guest, log, disks=[disk]), log=log)
    vm.wait()
    r = vm.result()
    assert r.rc == 0, r.describe()
    m = r.markers
    assert m.ready is not None and m.ready["cpus"] == "1", r.describe()
    assert int(m.ready["mem_kb"]) > 300000, r.describe()
    assert m.ready["failed"] in ("none", "crct10dif-pclmul,crc32c-intel"), r.describe()
    assert m.test_start == "/run/test.sh", r.describe()
    assert "canary-42" in r.console, r.describe()
    assert m.status == 7, r.describe()
    assert m.poweroff, r.describe()


def test_ext4_disk_two_cpus_tools(guest_tools, vm_factory, tmp_path):
    """Also proves mkguest --bin: fio and socat run from the tools image."""
    disk = vmtest.ext4_disk(tmp_path / "t.ext4", {
        "run.sh": "cat data.txt; [ \"$(nproc)\" = 2 ] || exit 3\n"
                  "fio --version && socat -V | grep -m1 'socat version' || exit 4\n",
        "data.txt": "ext4-payload\n"})
    log = tmp_path / "console.log"
    cmdline = vmtest.guest_cmdline(test="vda:/run.sh", timeout=60)
    vm = vm_factory(vmtest.qemu_args(guest_tools, log, disks=[disk], cpus=2,
                                     cmdline=cmdline), log=log)
    vm.wait()
    r = vm.result()
    ready = r.markers.ready
    assert ready is not None and ready["cpus"] == "2", r.describe()
    assert "ext4-payload" in r.console, r.describe()
    assert "fio-3." in r.console and "socat version" in r.console, r.describe()
    assert r.markers.status == 0, r.describe()


def test_wait_ticks_and_power_button(guest, vm_factory, tmp_path):
    log = tmp_path / "console.log"
    mon = str(tmp_path / "mon.sock")
    argv = vmtest.qemu_args(guest, log, cmdline=vmtest.guest_cmdline(wait=True))
    argv += ["-monitor", "unix:%s,server=on,wait=off" % mon]
    vm = vm_factory(argv, log=log)
    vm.wait_for("GUEST_READY")
    # Ticks prove the guest keeps running; then press the power button.
    deadline = time.monotonic() + vmtest.scale(30)
    while len(vm.markers.ticks) < 3:
        assert time.monotonic() < deadline, vm.result().describe()
        time.sleep(0.2)
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(mon)
        s.sendall(b"system_powerdown\n")
        time.sleep(0.5)
    vm.wait(60)
    r = vm.result()
    assert r.rc == 0, r.describe()
    assert r.markers.shutdown and "Power Button" in r.markers.shutdown, r.describe()
    ticks = [n for n, _ in r.markers.ticks]
    assert ticks == list(range(1, len(ticks) + 1)), r.describe()
    assert r.markers.status is None, r.describe()
    assert r.markers.poweroff, r.describe()
