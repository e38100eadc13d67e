# SPDX-License-Identifier: Apache-2.0
"""SIGHUP (the terminal or ssh session vfkit ran in went away) stops the VM
as SIGTERM does: the guest gets the power button, and the exit handlers run,
so the pidfile and the cloud-init seed are removed (a terminal in raw mode
would be restored by the same path)."""

import os
import signal
import stat
import time

import vmtest


def test_sighup_stops_like_sigterm(vfkit_vm, tmp_path, monkeypatch):
    seed = tmp_path / "seed"
    seed.mkdir()
    (seed / "user-data").write_text("#cloud-config\n")
    (seed / "meta-data").write_text("instance-id: iid-sighup\n")
    isodir = tmp_path / "tmpdir"
    isodir.mkdir(mode=0o700)
    monkeypatch.setenv("TMPDIR", str(isodir))
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    pidfile = tmp_path / "vfkit.pid"
    vm = vfkit_vm(cmdline=vmtest.guest_cmdline(wait=True),
                  extra=["--pidfile", str(pidfile), "--cloud-init",
                         "%s,%s" % (seed / "user-data", seed / "meta-data")])
    vm.wait_for("GUEST_READY", 90)
    # Two ticks: the guest's power-button handler is in place (as test_rest_api's boot()).
    deadline = time.monotonic() + vmtest.scale(60)
    while len(vm.markers.ticks) < 2:
        assert time.monotonic() < deadline and vm.proc.poll() is None, vm.result().describe()
        time.sleep(0.1)
    assert pidfile.read_text() == str(vm.pid)
    assert len(os.listdir(isodir)) == 1, os.listdir(isodir)  # the seed's own directory
    # The console log (logFilePath=) was created private to us.
    assert stat.S_IMODE(os.stat(vm.log).st_mode) == 0o600

    os.kill(vm.pid, signal.SIGHUP)
    vm.wait_for("GUEST_SHUTDOWN", 60)
    rc = vm.wait(60)
    r = vm.result()
    assert rc == 0, r.describe()
    assert "captured hangup, calling exit handlers and exiting.." in r.stderr, r.describe()
    assert r.markers.poweroff, r.describe()
    assert not pidfile.exists()
    assert os.listdir(isodir) == []
