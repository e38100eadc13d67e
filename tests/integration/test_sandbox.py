# SPDX-License-Identifier: Apache-2.0
"""The seccomp sandbox with a real guest (docs/security.md, "Sandbox").

Every other integration test runs with the sandbox on too (it is the default
and nothing here turns it off), so a system call missing from an allowlist
fails them with "vfkit: sandbox: thread <kind> made forbidden syscall <name>"
and exit status 159. This test checks that the sandbox is really there: each
thread of a running vfkit is under a seccomp filter with no-new-privs, REST
and the guest keep working, and the exit path needs nothing forbidden.
"""

import os

import vmtest


# Threads the kernel starts inside a process to do its work (io_uring's
# iou-wrk/iou-sqp, KVM's and vhost's workers): they never run user code.
PF_IO_WORKER = 0x10
PF_USER_WORKER = 0x4000


def user_threads(pid):
    """{tid: (comm, {status field: value})} for every thread of pid that runs our code."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        base = "/proc/%d/task/%s/" % (pid, tid)
        try:
            with open(base + "comm") as f:
                comm = f.read().strip()
            with open(base + "stat") as f:
                flags = int(f.read().rsplit(")", 1)[1].split()[6])
            with open(base + "status") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
        except FileNotFoundError:
            continue  # ended meanwhile
        if flags & (PF_IO_WORKER | PF_USER_WORKER):
            continue
        out[int(tid)] = (comm, {k: v.strip() for k, v in fields.items()})
    return out


def test_every_thread_is_confined(vfkit_vm, tmp_path):
    sock = str(tmp_path / "rest.sock")
    uri = "unix://" + sock
    vm = vfkit_vm(cmdline=vmtest.guest_cmdline(wait=True), cpus=2, rest=uri,
                  extra=["--log-level", "debug"])
    vm.wait_for("GUEST_READY", 90)
    status, body = vmtest.rest(uri, "GET", "/vm/state")
    assert status == 200, body

    ours = user_threads(vm.pid)
    assert len(ours) == 4, ours  # loop, REST, two vCPUs
    for tid, (comm, st) in ours.items():
        assert st.get("Seccomp") == "2", "thread %d (%s) is not filtered: %s" % (tid, comm, st)
        assert st.get("NoNewPrivs") == "1", "thread %d (%s): %s" % (tid, comm, st)
    assert sorted(c for c, _ in ours.values() if c.startswith("vcpu")) == ["vcpu0", "vcpu1"]

    err = vm.stderr
    assert "sandbox: on" in err, err
    assert err.count("sandbox: vcpu thread confined") == 2, err
    assert "sandbox: rest thread confined" in err, err
    assert "sandbox: loop thread confined" in err, err

    # The exit path (vCPUs joined, REST socket and exit handlers) stays inside it.
    assert vmtest.rest(uri, "POST", "/vm/state", {"state": "HardStop"}) == (200, "")
    rc = vm.wait(60)
    r = vm.result()
    assert rc == 0, r.describe()
    assert "forbidden syscall" not in r.stderr, r.describe()
    assert not os.path.exists(sock)
