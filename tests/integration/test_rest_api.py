# SPDX-License-Identifier: Apache-2.0
"""REST API and VM lifecycle with a real guest (reference sections 9 and 11).

The guest runs with test_wait=1: it prints "@@TICK@@ <n> <uptime>" every 0.5 s
and "@@GUEST_SHUTDOWN@@" when the ACPI power button is pressed, then powers
off. Ticks show whether the guest makes progress (Pause/Resume); the shutdown
marker shows that Stop and SIGTERM went through the guest's shutdown path.
"""

import http.client
import json
import os
import signal
import socket
import stat
import threading
import time

import subprocess

import pytest

import vmtest


@pytest.fixture(scope="module", autouse=True)
def loopback_up():
    """The L1 test host boots without configuring lo, so 127.0.0.1 is
    unreachable there; bring it up (L1 is a throw-away VM)."""
    if os.environ.get("TESTHOST_MODE") == "l1":
        subprocess.run(["ip", "link", "set", "lo", "up"], check=False)


def free_tcp_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(cond, timeout, what, vm):
    deadline = time.monotonic() + vmtest.scale(timeout)
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("%s within %.0f s\n%s" % (what, vmtest.scale(timeout),
                                                             vm.result().describe()))
        if vm.proc.poll() is not None and what != "exit":
            raise AssertionError("vfkit exited before %s\n%s" % (what, vm.result().describe()))
        time.sleep(0.1)


def ticks(vm):
    return vm.markers.ticks


def wait_ticks(vm, n, timeout=60):
    wait_until(lambda: len(ticks(vm)) >= n, timeout, "%d ticks" % n, vm)


def rest_ok(uri, method, path, body=None):
    try:
        return vmtest.rest(uri, method, path, body)
    except (ConnectionError, http.client.HTTPException, socket.timeout) as e:
        return None, str(e)


def state(uri):
    status, body = vmtest.rest(uri, "GET", "/vm/state")
    assert status == 200, body
    return body


def boot(vfkit_vm, rest, extra=(), devices=(), timeout=120):
    vm = vfkit_vm(cmdline=vmtest.guest_cmdline(wait=True), rest=rest, extra=extra,
                  devices=devices, timeout=timeout)
    vm.wait_for("GUEST_READY", 90)
    wait_ticks(vm, 2)
    return vm


def assert_exits_zero(vm, timeout=60):
    rc = vm.wait(timeout)
    assert rc == 0, vm.result().describe()


STATE_KEYS = ["canHardStop", "canPause", "canResume", "canStart", "canStop", "state"]


def test_pause_resume_hardstop_unix(vfkit_vm, tmp_path):
    sock = str(tmp_path / "rest.sock")
    uri = "unix://" + sock
    vm = boot(vfkit_vm, uri)

    st = os.lstat(sock)
    assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600

    s = state(uri)
    assert list(s.keys()) == STATE_KEYS  # sorted, as upstream
    assert s == {"state": "VirtualMachineStateRunning", "canStart": False, "canPause": True,
                 "canResume": False, "canStop": True, "canHardStop": True}

    # Pause: the guest makes no progress.
    assert vmtest.rest(uri, "POST", "/vm/state", {"state": "Pause"}) == (200, "")
    s = state(uri)
    assert s["state"] == "VirtualMachineStatePaused", s
    assert (s["canPause"], s["canResume"], s["canStop"], s["canHardStop"]) == \
        (False, True, False, True)
    time.sleep(0.5)  # a tick already on its way to the log may still land
    n_paused = len(ticks(vm))
    time.sleep(3)
    assert len(ticks(vm)) == n_paused, "guest ticked while paused\n" + vm.console[-2000:]

    # Refused transitions change nothing.
    status, body = vmtest.rest(uri, "POST", "/vm/state", {"state": "Pause"})
    assert status == 500 and "error" in body, body
    status, body = vmtest.rest(uri, "POST", "/vm/state", {"state": "Stop"})
    assert status == 500 and "error" in body, body
    assert state(uri)["state"] == "VirtualMachineStatePaused"

    # Resume: ticks advance again, and the guest clock never went backwards.
    assert vmtest.rest(uri, "POST", "/vm/state", {"state": "Resume"}) == (200, "")
    assert state(uri)["state"] == "VirtualMachineStateRunning"
    wait_ticks(vm, n_paused + 3, timeout=30)
    t = ticks(vm)
    assert [n for n, _ in t] == list(range(1, len(t) + 1)), t
    uptimes = [u for _, u in t]
    assert uptimes == sorted(uptimes), uptimes
    status, body = vmtest.rest(uri, "POST", "/vm/state", {"state": "Resume"})
    assert status == 500 and "error" in body, body

    # HardStop: completes before the reply (which still goes out), no guest
    # shutdown, vfkit exits 0 and removes its socket.
    assert vmtest.rest(uri, "POST", "/vm/state", {"state": "HardStop"}) == (200, "")
    assert_exits_zero(vm, 30)
    assert vm.markers.shutdown is None, vm.console[-2000:]
    assert not os.path.exists(sock)


def test_stop_runs_guest_shutdown_tcp(vfkit_vm, tmp_path):
    port = free_tcp_port()
    uri = "tcp://127.0.0.1:%d" % port
    vm = boot(vfkit_vm, uri)
    assert state(uri)["state"] == "VirtualMachineStateRunning"
    assert vmtest.rest(uri, "POST", "/vm/state", {"state": "Stop"}) == (200, "")
    vm.wait_for("GUEST_SHUTDOWN", 60)
    assert_exits_zero(vm)
    r = vm.result()
    assert r.markers.shutdown and "Power Button" in r.markers.shutdown, r.describe()
    assert r.markers.poweroff, r.describe()
    assert "VM is stopped" in r.stderr, r.describe()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_sigterm_presses_power_button_and_pidfile(vfkit_vm, tmp_path):
    pidfile = tmp_path / "vfkit.pid"
    vm = boot(vfkit_vm, "none://", extra=["--pidfile", str(pidfile)])
    assert pidfile.read_text() == str(vm.pid)  # no trailing newline
    assert stat.S_IMODE(pidfile.stat().st_mode) == 0o600
    os.kill(vm.pid, signal.SIGTERM)
    vm.wait_for("GUEST_SHUTDOWN", 60)
    assert_exits_zero(vm)
    r = vm.result()
    assert "captured terminated, calling exit handlers and exiting.." in r.stderr, r.describe()
    assert r.markers.poweroff, r.describe()
    assert not pidfile.exists()


def test_sigint_while_paused_forces_stop(vfkit_vm, tmp_path):
    sock = str(tmp_path / "rest.sock")
    uri = "unix://" + sock
    vm = boot(vfkit_vm, uri, extra=["--log-level", "error"])
    assert vmtest.rest(uri, "POST", "/vm/state", {"state": "Pause"}) == (200, "")
    os.kill(vm.pid, signal.SIGINT)
    assert_exits_zero(vm, 30)
    assert not os.path.exists(sock)
    # --log-level error: no info or warning lines at all.
    assert "info:" not in vm.stderr and "warning:" not in vm.stderr, vm.stderr


def test_inspect_every_device(vfkit_vm, tmp_path):
    sock = str(tmp_path / "rest.sock")
    uri = "unix://" + sock
    disk = vmtest.script_disk(tmp_path / "blank.img", "")
    devices = ["virtio-blk,path=%s,deviceId=disk1" % disk, "virtio-rng",
               "virtio-net,nat,mac=52:54:00:70:2b:71"]
    vm = boot(vfkit_vm, uri, devices=devices, extra=["--log-level", "debug"])
    status, doc = vmtest.rest(uri, "GET", "/vm/inspect")
    assert status == 200, doc
    assert 'REST: 200 | GET "/vm/inspect"' in vm.stderr  # requests logged at debug
    assert doc["vcpus"] == 1 and doc["cpus"] == 1
    assert doc["memoryBytes"] == 512 << 20 and doc["memory"] == 512
    assert doc["bootloader"]["kind"] == "linuxBootloader"
    assert "test_wait=1" in doc["bootloader"]["kernelCmdLine"]
    kinds = [d["kind"] for d in doc["devices"]]
    assert kinds == ["virtioserial", "virtioblk", "virtiorng", "virtionet"], doc
    assert doc["devices"][0]["logFile"] == vm.log
    assert doc["devices"][1] == {"kind": "virtioblk", "devName": "virtio-blk",
                                 "imagePath": disk, "deviceIdentifier": "disk1"}
    assert doc["devices"][3]["nat"] is True
    assert doc["devices"][3]["macAddress"] == "52:54:00:70:2b:71"
    assert "timesync" not in doc and "ignition" not in doc and "nested" not in doc
    status, _ = rest_ok(uri, "POST", "/vm/state", {"state": "HardStop"})
    assert_exits_zero(vm, 30)


def raw_request(uri, data, timeout=10):
    """Send raw bytes, return (status, body text) of the reply."""
    if uri.startswith("unix://"):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(timeout)
        s.connect(uri[len("unix://"):])
    else:
        host, port = uri[len("tcp://"):].rsplit(":", 1)
        s = socket.create_connection((host, int(port)), timeout=timeout)
    with s:
        s.sendall(data)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    head, _, body = out.partition(b"\r\n\r\n")
    return int(head.split()[1]), body.decode()


@pytest.mark.parametrize("transport", ["unix", "tcp"])
def test_bad_input_and_load(vfkit_vm, tmp_path, transport):
    if transport == "unix":
        uri = "unix://" + str(tmp_path / "rest.sock")
    else:
        uri = "tcp://127.0.0.1:%d" % free_tcp_port()
    vm = boot(vfkit_vm, uri)

    def post(body):
        return raw_request(uri, b"POST /vm/state HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                           b"Content-Length: %d\r\n\r\n" % len(body) + body)

    status, body = post(b'{"state":')
    assert status == 400 and "error" in json.loads(body)
    assert post(b"") == (400, '{"error":"EOF"}')
    assert post(b'{"state":"Jump"}') == (500, '{"error":"invalid new VMState: Jump"}')
    assert post(b'{"state":5}')[0] == 400
    status, body = vmtest.rest(uri, "PUT", "/vm/state")
    assert status == 404 and body == {"error": "404 page not found"}
    status, body = vmtest.rest(uri, "GET", "/nothing")
    assert status == 404
    status, body = raw_request(uri, b"POST /vm/state HTTP/1.1\r\nHost: localhost\r\n"
                               b"Content-Length: 100000\r\n\r\n{")
    assert status == 413 and "error" in json.loads(body)
    # Half-open clients do not block others.
    idle = [socket.socket(socket.AF_UNIX) if transport == "unix" else socket.socket()
            for _ in range(5)]
    for s in idle:
        if transport == "unix":
            s.connect(uri[len("unix://"):])
        else:
            host, port = uri[len("tcp://"):].rsplit(":", 1)
            s.connect((host, int(port)))
        s.sendall(b"GET /vm/state HTTP/1.1\r\n")

    # 1000 sequential requests, then 50 concurrent clients.
    failures = []
    t0 = time.monotonic()
    for i in range(1000):
        status, body = rest_ok(uri, "GET", "/vm/state" if i % 2 else "/vm/inspect")
        if status != 200:
            failures.append((i, status, body))
    t_seq = time.monotonic() - t0

    def client(k):
        for _ in range(10):
            status, body = rest_ok(uri, "GET", "/vm/state")
            if status != 200 or body.get("state") != "VirtualMachineStateRunning":
                failures.append((k, status, body))

    threads = [threading.Thread(target=client, args=(k,)) for k in range(50)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    t_conc = time.monotonic() - t0
    print("REST %s: 1000 sequential %.2f s, 50 clients x 10 %.2f s" % (transport, t_seq, t_conc))
    assert failures == [], failures[:5]
    for s in idle:
        s.close()

    # The VM was never disturbed.
    n = len(ticks(vm))
    wait_ticks(vm, n + 2, timeout=30)
    assert state(uri)["state"] == "VirtualMachineStateRunning"
    status, _ = rest_ok(uri, "POST", "/vm/state", {"state": "HardStop"})
    assert_exits_zero(vm, 30)


def curl(*args):
    """(HTTP status, body) of one curl call; curl sends Host as the URL says."""
    out = subprocess.run(["curl", "-sS", "--max-time", "10", "-w", "\\n%{http_code}"] +
                         list(args), capture_output=True, text=True, check=True).stdout
    body, _, status = out.rpartition("\n")
    return int(status), body


def test_browser_requests_refused_vm_keeps_running(vfkit_vm, tmp_path):
    """A web page can make the browser send to 127.0.0.1: DNS rebinding (its
    own name as Host) or a cross-site text/plain POST (CSRF). Both get 403
    and the VM runs on; curl as a client still works on tcp and unix."""
    port = free_tcp_port()
    uri = "tcp://127.0.0.1:%d" % port
    vm = boot(vfkit_vm, uri)
    url = "http://127.0.0.1:%d/vm/state" % port
    status, body = curl("-H", "Host: rebind.evil.example:%d" % port, url)
    assert status == 403, body
    assert "error" in json.loads(body)
    for origin in ("http://evil.example", "null"):
        status, body = curl("-X", "POST", "-H", "Origin: " + origin,
                            "-H", "Content-Type: text/plain",
                            "--data", '{"state":"HardStop"}', url)
        assert status == 403, body
    status, body = curl("-X", "POST", "-H", "Sec-Fetch-Site: cross-site",
                        "--data", '{"state":"Pause"}', url)
    assert status == 403, body

    # Nothing reached the VM: it still runs and makes progress.
    n = len(ticks(vm))
    wait_ticks(vm, n + 2, timeout=30)
    status, body = curl(url)
    assert status == 200 and json.loads(body)["state"] == "VirtualMachineStateRunning"
    status, body = curl("http://localhost:%d/vm/inspect" % port)
    assert status == 200 and "memoryBytes" in json.loads(body)
    status, body = curl("-X", "POST", "--data", '{"state":"HardStop"}', url)
    assert status == 200, body
    assert_exits_zero(vm, 30)
