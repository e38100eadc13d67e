# SPDX-License-Identifier: Apache-2.0
"""test_net_socket.py retries a guest that stalled in early boot, but never a
broken VMM: vmm_fault() on stand-in processes that behave like a healthy
vfkit, a crashed one, a failed one, a hung one and a noisy one."""

import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration"))

import test_net_socket as net  # noqa: E402
import vmtest  # noqa: E402

# A VMM whose guest is stuck: runs until SIGTERM, then exits 0 (what vfkit does).
HEALTHY = "trap 'exit 0' TERM; while :; do sleep 0.1; done"


def started(tmp_path, script):
    vm = vmtest.VM(["sh", "-c", script], tmp_path / "console.log", tmp_path / "vm")
    vm.start()
    return vm


def fault(tmp_path, script, settle=0.5, stop_seconds=3):
    vm = started(tmp_path, script)
    try:
        time.sleep(settle)  # let it print, crash or install its trap
        return net.vmm_fault(vm, stop_seconds=stop_seconds), vm
    finally:
        vm.close()


def test_a_healthy_vmm_with_a_stalled_guest_may_be_retried(tmp_path):
    found, vm = fault(tmp_path, HEALTHY)
    assert found is None
    assert vm.proc.returncode == 0


def test_warnings_do_not_count_as_faults(tmp_path):
    found, _ = fault(tmp_path, "echo 'vfkit: warning: failed to wait for VM stop' >&2; " +
                     HEALTHY)
    assert found is None


@pytest.mark.parametrize("script,evidence", [
    ("kill -SEGV $$", "vfkit ended (killed by SIGSEGV) before its guest was ready"),
    ("exit 1", "vfkit ended (exit status 1) before its guest was ready"),
    ("exit 0", "vfkit ended (exit status 0) before its guest was ready"),
    ("trap 'exit 3' TERM; while :; do sleep 0.1; done", "vfkit ended (exit status 3) when asked"),
    ("trap '' TERM; exec sleep 600", "vfkit did not exit within 3 s of SIGTERM"),
    ("echo '==42==ERROR: AddressSanitizer: heap-use-after-free on address 0x1' >&2; " + HEALTHY,
     "vfkit printed: ==42==ERROR: AddressSanitizer: heap-use-after-free"),
    ("echo 'src/x.c:1:2: runtime error: signed integer overflow' >&2; " + HEALTHY,
     "vfkit printed: src/x.c:1:2: runtime error: signed integer overflow"),
    ("echo 'vfkit: error: virtio-net: cannot send: No buffer space' >&2; " + HEALTHY,
     "vfkit printed: vfkit: error: virtio-net: cannot send"),
], ids=["segv", "exit-1", "exit-0-early", "bad-exit-on-sigterm", "hang-on-sigterm", "asan",
        "ubsan", "error-line"])
def test_a_broken_vmm_is_a_fault_with_its_evidence(tmp_path, script, evidence):
    found, vm = fault(tmp_path, script)
    assert found is not None and evidence in found, found
    assert vm.proc.poll() is not None  # nothing left running


def test_a_vmm_that_survives_sigkill_is_a_fault_not_a_stall(tmp_path):
    vm = started(tmp_path, "trap '' TERM; exec sleep 600")

    def stuck():
        raise vmtest.VMError("vfkit (pid %d) survives SIGKILL: stuck in the kernel" % vm.pid)

    try:
        time.sleep(0.5)
        vm.kill = stuck  # what vmtest.VM.kill raises for a process in D state
        found = net.vmm_fault(vm, stop_seconds=1)
    finally:
        del vm.kill
        vm.close()
    assert found is not None and "survives SIGKILL" in found, found


def test_a_fault_is_not_retried(tmp_path, monkeypatch):
    calls = []

    def start_pair(*args):
        calls.append(args[-1])
        raise net.VMMFault("client: vfkit ended (killed by SIGSEGV) before its guest was ready")

    monkeypatch.setattr(net, "start_pair", start_pair)
    with pytest.raises(net.VMMFault):
        net.start_pair_retrying("vfkit", None, None, tmp_path, [])
    assert calls == [0]


def test_a_stalled_guest_is_retried_and_each_retry_is_reported(tmp_path, monkeypatch, capsys):
    calls = []

    def start_pair(*args):
        calls.append(args[-1])
        if len(calls) < 3:
            raise vmtest.VMError("console0-0.log: no @@GUEST_READY@@ within 150 s")
        return ["vms"]

    monkeypatch.setattr(net, "start_pair", start_pair)
    with pytest.warns(UserWarning, match="retry 1 of 2: a guest stalled before READY"):
        assert net.start_pair_retrying("vfkit", None, None, tmp_path, []) == ["vms"]
    assert calls == [0, 1, 2]
    out = capsys.readouterr().out
    assert "retry 1 of 2" in out and "retry 2 of 2" in out
