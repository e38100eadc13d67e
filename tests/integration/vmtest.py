# SPDX-License-Identifier: Apache-2.0
"""vmtest - boot the integration test guest with vfkit (or QEMU) and read its console.

The guest (scripts/mkguest; /init in tests/guest/init) prints marker lines on
its console. With ``--device virtio-serial,logFilePath=LOG`` they land in LOG:

    @@GUEST_READY@@ cpus=<n> mem_kb=<kB> uptime=<s> modules=<n> failed=<list|none>
    @@GUEST_TEST_START@@ <script>
    @@GUEST_STATUS@@ <rc>                 exit status of the test script
    @@TICK@@ <n> <uptime>                 test_wait=1: every 0.5 s
    @@GUEST_SHUTDOWN@@ <dev> <name>       test_wait=1: the power button was pressed
    @@GUEST_POWEROFF@@ uptime=<s>

With vfkit every line appears twice (COM1 is mirrored into the log, and the
guest also writes to /dev/hvc0 directly), each copy whole; the parser keeps
the first of each. guest_cmdline(out="console") avoids the second copy.

Environment: VFKIT (binary, default <repo>/build/vfkit); VFKIT_GUEST_KERNEL,
VFKIT_GUEST_KERNEL_ELF, VFKIT_GUEST_INITRD (from ``scripts/mkguest``; built
on demand if unset); VFKIT_GUEST_INITRD_TOOLS (the same plus fio and socat
with their libraries, 38 MB instead of 4: only for tests that need them);
VFKIT_TEST_KERNEL=elf|bzimage (which one ``Guest.kernel`` is, default elf:
the PVH entry boots ~5 s faster under nested emulation);
VFKIT_TEST_TIMEOUT_SCALE (multiplies every timeout, default 1).

API (all the fixtures in conftest.py are built from these):

    guest_image(tools=False) -> Guest(kernel, bzimage, elf, initrd)
        tools=True: initrd is the one with /usr/bin/fio and /usr/bin/socat
    script_disk(path, script, size=1 MiB) -> path      raw, NUL-padded script disk
    ext4_disk(path, files: {name: str|bytes}, size_mb=16) -> path   (test=vdX:/name)
    guest_cmdline(test=None, timeout=None, wait=False, console="ttyS0", extra="",
                  out=None) -> str      out="console": no copy to /dev/hvc0
    vfkit_args(guest, log, disks=(), cpus=1, memory=512, cmdline=None,
               devices=(), rest="none://") -> argv list (without the binary)
    qemu_args(guest, log, disks=(), cpus=1, memory=512, cmdline=None,
              machine="q35") -> full QEMU argv (reference VMM)
    VM(argv, log, workdir, timeout=120): .start(), .wait(timeout) -> rc,
        .wait_for(marker, timeout) -> line, .kill(), .pid, .stdout, .stderr,
        .console (log text), .markers (Markers), .result() -> Result
    run_vm(argv, log, workdir, timeout=120) -> Result(rc, stdout, stderr, console, markers)
    parse_markers(text) -> Markers(ready: dict|None, status: int|None,
        ticks: [(n, uptime)], shutdown: str|None, poweroff: bool, test_start: str|None)
    wait_for_marker(path, marker, timeout, proc=None) -> line (raises VMError)
    rest(uri, method, path, body=None, timeout=10) -> (status, parsed JSON or text)
    kvm_usable() -> (bool, reason)
"""

import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARKER_RE = re.compile(r"@@([A-Z_]+)@@ ?([^\r\n]*)")


class VMError(Exception):
    """A VM did not do what a test waited for; the message says what was seen."""


def scale(seconds):
    return seconds * float(os.environ.get("VFKIT_TEST_TIMEOUT_SCALE", "1"))


# --- guest image ----------------------------------------------------------------


@dataclass
class Guest:
    kernel: str  # the one tests boot by default (VFKIT_TEST_KERNEL)
    bzimage: str
    elf: str
    initrd: str


TOOLS_ARGS = ["--name", "guest-tools", "--bin", "/usr/bin/fio", "--bin", "/usr/bin/socat"]


def guest_image(tools=False):
    """The guest from the VFKIT_GUEST_* variables, else built with scripts/mkguest
    (same arguments as tests/run uses)."""
    initrd_var = "VFKIT_GUEST_INITRD_TOOLS" if tools else "VFKIT_GUEST_INITRD"
    env = {k: os.environ.get(k) for k in
           ("VFKIT_GUEST_KERNEL", "VFKIT_GUEST_KERNEL_ELF", initrd_var)}
    if not all(env.values()):
        cmd = [str(ROOT / "scripts/mkguest"), "-q"] + (TOOLS_ARGS if tools else [])
        out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
        for line in out.splitlines():
            k, _, v = line.partition("=")
            env[initrd_var if k == "VFKIT_GUEST_INITRD" else k] = v
    choice = os.environ.get("VFKIT_TEST_KERNEL", "elf")
    if choice not in ("elf", "bzimage"):
        raise ValueError("VFKIT_TEST_KERNEL must be elf or bzimage")
    bz, elf = env["VFKIT_GUEST_KERNEL"], env["VFKIT_GUEST_KERNEL_ELF"]
    for p in (bz, elf, env[initrd_var]):
        if not os.path.isfile(p):
            raise FileNotFoundError(p)
    return Guest(kernel=elf if choice == "elf" else bz, bzimage=bz, elf=elf,
                 initrd=env[initrd_var])


def script_disk(path, script, size=1 << 20):
    """A raw disk that is the script itself, NUL-padded (test=/dev/vdX)."""
    data = script.encode() if isinstance(script, str) else script
    if len(data) > size:
        raise ValueError("script larger than the disk")
    with open(path, "wb") as f:
        f.write(data)
        f.truncate(size)
    return str(path)


def ext4_disk(path, files, size_mb=16):
    """An ext4 image holding files {relative name: content} (test=vdX:/name)."""
    src = Path(str(path) + ".d")
    shutil.rmtree(src, ignore_errors=True)
    for name, content in files.items():
        p = src / name.lstrip("/")
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content.encode() if isinstance(content, str) else content)
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext4", "-d", str(src), str(path),
                    "%dM" % size_mb], check=True)
    shutil.rmtree(src)
    return str(path)


def guest_cmdline(test=None, timeout=None, wait=False, console="ttyS0", extra="", out=None):
    """The guest kernel command line: console, panic=-1, quiet, test knobs.
    out="console" makes the guest write only to /dev/console (else it also
    writes to /dev/hvc0 when that exists, see the module docstring)."""
    parts = ["console=%s" % console, "panic=-1", "quiet"]
    if test:
        parts.append("test=%s" % test)
    if timeout:
        parts.append("test_timeout=%d" % timeout)
    if wait:
        parts.append("test_wait=1")
    if out:
        parts.append("test_out=%s" % out)
    if extra:
        parts.append(extra)
    return " ".join(parts)


# --- command lines ----------------------------------------------------------------


def vfkit_binary():
    return os.environ.get("VFKIT", str(ROOT / "build" / "vfkit"))


def vfkit_args(guest, log, disks=(), cpus=1, memory=512, cmdline=None, devices=(),
               rest="none://"):
    """vfkit argv (without the binary): console log in LOG, disks as virtio-blk
    (the first is /dev/vda), then any extra --device values."""
    if cmdline is None:
        cmdline = guest_cmdline(test="/dev/vda" if disks else None)
    args = ["--cpus", str(cpus), "--memory", str(memory),
            "--bootloader", 'linux,kernel=%s,initrd=%s,cmdline="%s"' %
            (guest.kernel, guest.initrd, cmdline),
            "--device", "virtio-serial,logFilePath=%s" % log]
    for d in disks:
        args += ["--device", "virtio-blk,path=%s" % d]
    for d in devices:
        args += ["--device", d]
    if rest is not None:
        args += ["--restful-uri", rest]
    return args


def qemu_args(guest, log, disks=(), cpus=1, memory=512, cmdline=None, machine="q35",
              kernel=None):
    """QEMU as the reference VMM with the same guest: COM1 into LOG."""
    if cmdline is None:
        cmdline = guest_cmdline(test="/dev/vda" if disks else None)
    blk = "virtio-blk-device" if machine.startswith("microvm") else "virtio-blk-pci"
    args = ["qemu-system-x86_64", "-enable-kvm", "-cpu", "host", "-M", machine,
            "-m", str(memory), "-smp", str(cpus), "-nodefaults", "-no-user-config",
            "-display", "none", "-no-reboot",
            "-kernel", kernel or guest.kernel, "-initrd", guest.initrd, "-append", cmdline,
            "-serial", "file:%s" % log]
    for i, d in enumerate(disks):
        args += ["-drive", "file=%s,if=none,id=d%d,format=raw" % (d, i),
                 "-device", "%s,drive=d%d" % (blk, i)]
    return args


# --- console markers ----------------------------------------------------------------


@dataclass
class Markers:
    ready: dict = None
    test_start: str = None
    status: int = None
    ticks: list = field(default_factory=list)
    shutdown: str = None
    poweroff: bool = False


def parse_markers(text):
    m = Markers()
    seen_ticks = set()
    for name, rest in MARKER_RE.findall(text):
        rest = rest.strip()
        if name == "GUEST_READY" and m.ready is None:
            m.ready = dict(kv.split("=", 1) for kv in rest.split() if "=" in kv)
        elif name == "GUEST_TEST_START" and m.test_start is None:
            m.test_start = rest
        elif name == "GUEST_STATUS" and m.status is None and rest.split():
            m.status = int(rest.split()[0])
        elif name == "TICK":
            f = rest.split()
            if len(f) == 2 and f[0] not in seen_ticks:
                seen_ticks.add(f[0])
                m.ticks.append((int(f[0]), float(f[1])))
        elif name == "GUEST_SHUTDOWN" and m.shutdown is None:
            m.shutdown = rest
        elif name == "GUEST_POWEROFF":
            m.poweroff = True
    return m


def read_text(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def wait_for_marker(path, marker, timeout, proc=None):
    """Wait until a line containing "@@MARKER@@" is in the file at path; return
    it. Raises VMError on timeout or when proc (a Popen) exits first."""
    needle = "@@%s@@" % marker.strip("@")
    deadline = time.monotonic() + scale(timeout)
    while True:
        exited = proc is not None and proc.poll() is not None
        for line in read_text(path).splitlines():
            if needle in line:
                return line[line.index(needle):].rstrip("\r")
        if exited:
            raise VMError("%s: process exited (%s) before %s" % (path, proc.returncode, needle))
        if time.monotonic() > deadline:
            raise VMError("%s: no %s within %.0f s" % (path, needle, scale(timeout)))
        time.sleep(0.1)


# --- running a VMM -------------------------------------------------------------------


@dataclass
class Result:
    rc: int
    stdout: str
    stderr: str
    console: str
    markers: Markers

    def describe(self):
        """Everything a failing assertion should show."""
        return ("exit %s\n--- stdout\n%s\n--- stderr\n%s\n--- console\n%s" %
                (self.rc, self.stdout[-4000:], self.stderr[-4000:], self.console[-6000:]))


class VM:
    """One VMM process (vfkit or QEMU). stdout/stderr go to files in workdir."""

    def __init__(self, argv, log, workdir, timeout=120):
        self.argv = [str(a) for a in argv]
        self.log = str(log)
        self.workdir = Path(workdir)
        self.timeout = timeout
        self.proc = None
        self.started = None

    def start(self):
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._out = open(self.workdir / "vmm.stdout", "wb")
        self._err = open(self.workdir / "vmm.stderr", "wb")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=self._out,
                                     stderr=self._err, start_new_session=True)
        return self

    @property
    def pid(self):
        return self.proc.pid

    def wait(self, timeout=None):
        """Wait for the process to exit; on timeout kill it and raise VMError."""
        t = scale(self.timeout if timeout is None else timeout)
        try:
            return self.proc.wait(timeout=t)
        except subprocess.TimeoutExpired:
            self.kill()
            raise VMError("%s did not exit within %.0f s\n%s" %
                          (self.argv[0], t, self.result().describe()))

    def wait_for(self, marker, timeout=None):
        return wait_for_marker(self.log, marker,
                               self.timeout if timeout is None else timeout, self.proc)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                raise VMError("%s (pid %d) survives SIGKILL: stuck in the kernel at %s" %
                              (self.argv[0], self.proc.pid, kernel_stack(self.proc.pid)))

    def close(self):
        try:
            self.kill()
        finally:
            for f in (getattr(self, "_out", None), getattr(self, "_err", None)):
                if f:
                    f.close()

    @property
    def stdout(self):
        return read_text(self.workdir / "vmm.stdout")

    @property
    def stderr(self):
        return read_text(self.workdir / "vmm.stderr")

    @property
    def console(self):
        return read_text(self.log)

    @property
    def markers(self):
        return parse_markers(self.console)

    def result(self):
        rc = self.proc.poll() if self.proc else None
        return Result(rc, self.stdout, self.stderr, self.console, self.markers)


def kernel_stack(pid):
    """Where a process sleeps in the kernel (wchan and, as root, the stack)."""
    out = []
    for name in ("wchan", "stack"):
        try:
            out.append(Path("/proc/%d/%s" % (pid, name)).read_text().strip())
        except OSError:
            pass
    return "\n".join(out) or "(unknown)"


def run_vm(argv, log, workdir, timeout=120):
    """Start a VMM, wait for it to exit (killing it after timeout), return a Result."""
    vm = VM(argv, log, workdir, timeout).start()
    try:
        vm.wait()
        return vm.result()
    finally:
        vm.close()


# --- REST and KVM ------------------------------------------------------------------


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


def rest(uri, method, path, body=None, timeout=10):
    """One request to vfkit's REST API at --restful-uri URI (unix:// or tcp://).
    Returns (HTTP status, JSON-decoded body, or the text if it is not JSON)."""
    if uri.startswith("unix://"):
        conn = _UnixHTTPConnection(uri[len("unix://"):], timeout)
    elif uri.startswith("tcp://"):
        conn = http.client.HTTPConnection(uri[len("tcp://"):].rstrip("/"), timeout=timeout)
    else:
        raise ValueError("unsupported REST URI %s" % uri)
    try:
        data = None if body is None else json.dumps(body)
        headers = {} if body is None else {"Content-Type": "application/json"}
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        text = resp.read().decode("utf-8", "replace")
        try:
            return resp.status, json.loads(text)
        except ValueError:
            return resp.status, text
    finally:
        conn.close()


def kvm_usable():
    """(True, why) when /dev/kvm can boot stock guests (not PVM), as scripts/testhost decides."""
    if os.path.exists("/sys/module/kvm_pvm"):
        return False, "/dev/kvm is PVM (kvm_pvm); run through scripts/testhost auto"
    if not os.path.exists("/dev/kvm"):
        return False, "no /dev/kvm; run through scripts/testhost auto"
    if not (os.path.exists("/sys/module/kvm_intel") or os.path.exists("/sys/module/kvm_amd")):
        return False, "/dev/kvm is neither kvm_intel nor kvm_amd"
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False, "/dev/kvm is not accessible"
    return True, "hardware KVM"
