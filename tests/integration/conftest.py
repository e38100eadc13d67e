# SPDX-License-Identifier: Apache-2.0
"""Fixtures for integration tests: real guests booted by vfkit.

Run through ``tests/run`` (or ``scripts/testhost auto -- python3 -m pytest
tests/integration``): stock guests need hardware KVM, which this project's
CI machines only have inside the L1 test host. Without a usable /dev/kvm
every test that uses ``guest`` is skipped, saying why.

Fixtures (see vmtest.py for the helpers and the console protocol):

    guest         session: vmtest.Guest (.kernel .bzimage .elf .initrd)
    guest_tools   session: the same with fio and socat in the initramfs
    vfkit_bin     session: path of the vfkit binary ($VFKIT, default build/vfkit)
    script_disk   make_disk(script: str, name="script.img") -> path of a raw
                  script disk in tmp_path (boot it with test=/dev/vdX)
    vm_factory    start(argv, log=None, timeout=120) -> vmtest.VM, started;
                  every VM is killed at teardown. argv[0] is the VMM.
    vfkit_vm      start(*, disks=(), cpus=1, memory=512, cmdline=None,
                  devices=(), rest="none://", extra=(), timeout=120, tools=False)
                  -> vmtest.VM running vfkit with the guest; console in vm.log.
                  cmdline defaults to test=/dev/vda when disks are given.
    boot_script   run(script, **vfkit_vm kwargs) -> vmtest.Result: boots vfkit
                  with the script on /dev/vda, waits for exit, asserts nothing

Typical test:

    def test_disk_io(boot_script):
        r = boot_script("dd if=/dev/zero of=/dev/vdb bs=1M count=1 && echo OK")
        assert r.rc == 0 and r.markers.status == 0, r.describe()
"""

import os
import signal

import pytest

import testprogress
import vmtest

# No test may take longer than this (seconds, times VFKIT_TEST_TIMEOUT_SCALE):
# a hung test fails alone instead of eating the whole run's time budget.
TEST_DEADLINE = 900


class DeadlineExceeded(Exception):
    pass


def _deadline_hit(signum, frame):
    raise DeadlineExceeded("the test ran longer than %.0f s" % vmtest.scale(TEST_DEADLINE))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    old = signal.signal(signal.SIGALRM, _deadline_hit)
    signal.alarm(int(vmtest.scale(TEST_DEADLINE)))
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


# --- progress file: resume after the test host died -------------------------------
#
# With VFKIT_TEST_PROGRESS=FILE every test appends "started <nodeid>" when it
# begins and "<outcome> <nodeid>" when it finishes (see testprogress.py for the
# format and the rules). When the L1 test host locks up, scripts/testhost boots
# it again and the next session goes on where the last stopped: a test that
# has an outcome, even a failure, is deselected; only one that the lockup cut
# off before its outcome runs again. tests/run counts and names them.

_outcomes = {}
_skip_reasons = {}


def _progress_file():
    return os.environ.get("VFKIT_TEST_PROGRESS")


def _append(line):
    with open(_progress_file(), "a") as f:
        f.write(line + "\n")
        f.flush()
        os.fsync(f.fileno())


def pytest_sessionstart(session):
    if _progress_file():
        _append("# session")


def pytest_sessionfinish(session, exitstatus):
    if _progress_file():
        _append("# end")


def pytest_collection_modifyitems(config, items):
    path = _progress_file()
    if not path or not os.path.exists(path):
        return
    done = testprogress.read(path).done()
    dropped = [i for i in items if i.nodeid in done]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [i for i in items if i.nodeid not in done]


def _skip_reason(report):
    r = report.longrepr
    text = r[2] if isinstance(r, tuple) and len(r) == 3 else str(r)
    return " ".join(text.replace("Skipped: ", "", 1).split())


def pytest_runtest_logstart(nodeid, location):
    if _progress_file():
        _append("started %s" % nodeid)


def pytest_runtest_logreport(report):
    if report.failed:
        _outcomes[report.nodeid] = "failed"
    elif report.skipped and report.nodeid not in _outcomes:
        _outcomes[report.nodeid] = "skipped"
        _skip_reasons[report.nodeid] = _skip_reason(report)
    elif report.when == "call" and report.nodeid not in _outcomes:
        _outcomes[report.nodeid] = "passed"


def pytest_runtest_logfinish(nodeid, location):
    if _progress_file():
        outcome = _outcomes.get(nodeid, "failed")
        reason = _skip_reasons.get(nodeid) if outcome == "skipped" else None
        _append("%s %s%s" % (outcome, nodeid, "\t" + reason if reason else ""))


@pytest.fixture(scope="session")
def guest():
    ok, why = vmtest.kvm_usable()
    if not ok:
        # tests/run sets VFKIT_REQUIRE_KVM inside the test host: a KVM that
        # does not work there is a failure, not a reason to skip.
        if os.environ.get("VFKIT_REQUIRE_KVM"):
            pytest.fail(why)
        pytest.skip(why)
    return vmtest.guest_image()


@pytest.fixture(scope="session")
def guest_tools(guest):
    return vmtest.guest_image(tools=True)


@pytest.fixture(scope="session")
def vfkit_bin():
    path = vmtest.vfkit_binary()
    if not os.access(path, os.X_OK):
        pytest.fail("no vfkit binary at %s (build it, or set VFKIT)" % path)
    return path


@pytest.fixture
def script_disk(tmp_path):
    def make_disk(script, name="script.img"):
        return vmtest.script_disk(tmp_path / name, script)
    return make_disk


@pytest.fixture
def vm_factory(tmp_path):
    vms = []

    def start(argv, log=None, timeout=120):
        n = len(vms)
        workdir = tmp_path / ("vm%d" % n)
        log = log or (workdir / "console.log")
        vm = vmtest.VM(argv, log, workdir, timeout)
        vms.append(vm)
        return vm.start()

    yield start
    for vm in vms:
        vm.close()


@pytest.fixture
def vfkit_vm(vm_factory, vfkit_bin, guest, tmp_path, request):
    count = [0]

    def start(*, disks=(), cpus=1, memory=512, cmdline=None, devices=(), rest="none://",
              extra=(), timeout=120, tools=False):
        log = tmp_path / ("console%d.log" % count[0])
        count[0] += 1
        g = request.getfixturevalue("guest_tools") if tools else guest
        argv = [vfkit_bin] + vmtest.vfkit_args(g, log, disks=disks, cpus=cpus,
                                               memory=memory, cmdline=cmdline,
                                               devices=devices, rest=rest) + list(extra)
        return vm_factory(argv, log=log, timeout=timeout)
    return start


@pytest.fixture
def boot_script(vfkit_vm, script_disk):
    def run(script, disks=(), **kwargs):
        disk = script_disk(script)
        vm = vfkit_vm(disks=[disk] + list(disks), **kwargs)
        vm.wait()
        return vm.result()
    return run


def pytest_report_header(config):
    ok, why = vmtest.kvm_usable()
    return "vfkit: %s; KVM: %s; testhost mode: %s" % (
        vmtest.vfkit_binary(), why, os.environ.get("TESTHOST_MODE", "none"))

