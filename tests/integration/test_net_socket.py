# SPDX-License-Identifier: Apache-2.0
"""virtio-net over datagram sockets: fd=N and unixSocketPath= (reference 5.6).

* Two guests joined by one socketpair (fd= on each end) ping each other, see
  each other's configured MAC, and move a file over HTTP, checked by MD5.
* One guest with two NICs, each on a unix datagram socket to a test peer
  (gvproxy's vfkit mode): unixSocketPath= (VFKT greeting first) and
  type=unixgram,path=,vfkitMagic=off (no greeting). The peers check the
  greeting and the sender's socket name (vfkit-<pid hex>-<hex>.sock next to
  theirs), answer ARP and ICMP echo, and the guest pings both. The local
  socket files are gone after vfkit exits.
* Startup errors: fd= not a datagram socket, unixSocketPath= with no peer.

The pair starts again (up to twice, each retry printed and warned) only when
a guest stalled in early boot while its vfkit was alive and well; a vfkit
that ended, crashed, hung on SIGTERM or printed an error or sanitizer line
fails the test at once with that evidence (vmm_fault, tests/harness).
"""

import os
import re
import signal
import socket
import struct
import subprocess
import threading
import time
import warnings

import vmtest

NET_RE = re.compile(r"@@NET@@ (\S+) ?([^\r\n]*)")


class FdVM(vmtest.VM):
    """vmtest.VM that hands some file descriptors to the VMM."""

    def __init__(self, argv, log, workdir, timeout, fds):
        super().__init__(argv, log, workdir, timeout)
        self.fds = fds

    def start(self):
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._out = open(self.workdir / "vmm.stdout", "wb")
        self._err = open(self.workdir / "vmm.stderr", "wb")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=self._out,
                                     stderr=self._err, start_new_session=True,
                                     pass_fds=self.fds)
        return self


def net_values(vm):
    return dict(NET_RE.findall(vm.console))


def wait_exit(vms, timeout):
    deadline = time.monotonic() + vmtest.scale(timeout)
    for vm in vms:
        try:
            vm.proc.wait(timeout=max(1, deadline - time.monotonic()))
        except Exception:
            running = [i for i, v in enumerate(vms) if v.proc.poll() is None]
            for v in vms:
                v.kill()
            raise AssertionError("vm %s still running after %d s\n" % (running, timeout) +
                                 "\n=====\n".join(v.result().describe() for v in vms))


SERVER = """
ip link set eth0 up
ip addr add 192.168.100.1/24 dev eth0
mkdir -p /tmp/www
dd if=/dev/urandom of=/tmp/www/blob bs=1k count=1024 2>/dev/null
echo "@@NET@@ md5 $(md5sum /tmp/www/blob | cut -d' ' -f1)"
echo "@@NET@@ mac $(cat /sys/class/net/eth0/address)"
httpd -p 8080 -h /tmp/www
timeout 200 nc -l -p 7001 >/dev/null
echo "@@NET@@ done"
"""

CLIENT = """
ip link set eth0 up
ip addr add 192.168.100.2/24 dev eth0
for i in $(seq 90); do ping -c 1 -W 1 192.168.100.1 >/dev/null && break; done
ping -c 3 192.168.100.1 >/dev/null; echo "@@NET@@ ping $?"
echo "@@NET@@ peer-mac $(ip neigh show 192.168.100.1 | awk '{print $5}')"
for i in $(seq 30); do wget -q -O /tmp/blob http://192.168.100.1:8080/blob && break; sleep 1; done
echo "@@NET@@ md5 $(md5sum /tmp/blob | cut -d' ' -f1)"
echo bye | timeout 5 nc 192.168.100.1 7001
"""


# What vfkit prints when it is broken rather than its guest slow: its own error
# lines and any sanitizer report (ASan, LSan, UBSan's "runtime error:").
FAULT_RE = re.compile(r"^vfkit: error: .*$|^.*(?:Sanitizer|runtime error:).*$", re.M)
# SIGTERM presses the power button; vfkit forces a stop 5 s later if the
# guest does not power off, and then exits 0. Twice that, for the emulated L1.
STOP_SECONDS = 30


class VMMFault(AssertionError):
    """vfkit itself misbehaved: never a reason to try again."""


def exit_text(rc):
    if rc < 0:
        return "killed by %s" % signal.Signals(-rc).name
    return "exit status %d" % rc


def vmm_fault(vm, stop_seconds=STOP_SECONDS):
    """After vm's guest did not get ready: None if the VMM was alive and well
    (running, exits 0 within stop_seconds of SIGTERM, printed no error or
    sanitizer line), else what was wrong. Leaves the process gone, or a
    fault that says it survived SIGKILL."""
    rc = vm.proc.poll()
    if rc is not None:
        fault = "vfkit ended (%s) before its guest was ready" % exit_text(rc)
    else:
        os.kill(vm.pid, signal.SIGTERM)
        try:
            rc = vm.proc.wait(timeout=vmtest.scale(stop_seconds))
            fault = None if rc == 0 else "vfkit ended (%s) when asked to stop" % exit_text(rc)
        except subprocess.TimeoutExpired:
            fault = "vfkit did not exit within %.0f s of SIGTERM (in the kernel at: %s)" % (
                vmtest.scale(stop_seconds), vmtest.kernel_stack(vm.pid))
            try:
                vm.kill()
            except vmtest.VMError as e:  # survives SIGKILL: a fault, not a stall
                fault += "; %s" % e
    printed = FAULT_RE.findall(vm.stderr)
    if printed:
        fault = "; ".join(filter(None, (fault, "vfkit printed: %s" % printed[0].strip())))
    return fault


def start_pair(vfkit_bin, guest, script_disk, tmp_path, macs, attempt):
    """Two guests joined by one socketpair, each with its script disk. The
    client starts once the server is up: two L2 guests booting at the same
    moment inside the emulated test host sometimes stall in early boot (timer
    setup, before any device of ours is used) or lock L1 up. The server's
    first frames wait in the socket meanwhile, which exercises flow control.
    If a guest does not boot, stops what it started and raises VMError when
    every VMM was alive and well (the guest stalled: worth another try), else
    VMMFault with the evidence."""
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    vms = []
    try:
        for i, (sock, script) in enumerate(((a, SERVER), (b, CLIENT))):
            log = tmp_path / ("console%d-%d.log" % (attempt, i))
            argv = [vfkit_bin] + vmtest.vfkit_args(
                guest, log, disks=[script_disk(script, name="s%d-%d.img" % (attempt, i))],
                devices=["virtio-net,fd=%d,mac=%s" % (sock.fileno(), macs[i])])
            vms.append(FdVM(argv, log, tmp_path / ("vm%d-%d" % (attempt, i)), 300,
                            [sock.fileno()]).start())
            vmtest.wait_for_marker(log, "GUEST_READY", 150, vms[-1].proc)
    except vmtest.VMError as e:
        faults = ["%s: %s" % (("server", "client")[i], f)
                  for i, f in enumerate(vmm_fault(v) for v in vms) if f]
        detail = "\n=====\n".join(v.result().describe() for v in vms)
        for v in vms:
            try:
                v.close()
            except vmtest.VMError as stuck:  # survives SIGKILL: never retried
                faults.append(str(stuck))
        if faults:
            raise VMMFault("%s\n%s\n%s" % ("; ".join(faults), e, detail)) from None
        raise vmtest.VMError("%s\n%s" % (e, detail)) from None
    finally:
        a.close()
        b.close()
    return vms


def start_pair_retrying(vfkit_bin, guest, script_disk, tmp_path, macs, attempts=3):
    """start_pair, again after a guest stalled in early boot (only then: a VMM
    fault fails at once). Each retry is printed and raised as a warning, so it
    shows in the log even when the test passes."""
    for attempt in range(attempts):
        try:
            return start_pair(vfkit_bin, guest, script_disk, tmp_path, macs, attempt)
        except vmtest.VMError as e:
            if attempt == attempts - 1:
                raise
            msg = ("retry %d of %d: a guest stalled before READY with vfkit alive and well: %s"
                   % (attempt + 1, attempts - 1, str(e).split("\n")[0]))
            print(msg)
            warnings.warn(msg)


def test_two_guests_on_one_socketpair(vfkit_bin, guest, script_disk, tmp_path):
    macs = ["52:54:00:00:64:01", "52:54:00:00:64:02"]
    vms = []
    t0 = time.monotonic()
    try:
        vms = start_pair_retrying(vfkit_bin, guest, script_disk, tmp_path, macs)
        wait_exit(vms, 300)
        srv, cli = net_values(vms[0]), net_values(vms[1])
        wrong = [what for what, ok in (
            ("server mac %r" % srv.get("mac"), srv.get("mac") == macs[0]),
            ("client ping %r" % cli.get("ping"), cli.get("ping") == "0"),
            ("client peer-mac %r" % cli.get("peer-mac"), cli.get("peer-mac") == macs[0]),
            ("md5 %r vs %r" % (cli.get("md5"), srv.get("md5")),
             srv.get("md5") and cli.get("md5") == srv["md5"]),
            ("server not done", srv.get("done") is not None),
            ("exit %s/%s" % (vms[0].proc.returncode, vms[1].proc.returncode),
             all(v.proc.returncode == 0 for v in vms))) if not ok]
        assert not wrong, "; ".join(wrong) + " (after %.0f s)\n" % (time.monotonic() - t0) + \
            "\n=====\n".join("%s: %s" % (name, v.result().describe())
                               for name, v in zip(("server", "client"), vms))
    finally:
        for v in vms:
            v.close()


# --- a gvproxy-like peer on a unix datagram socket ---------------------------------


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


class Peer:
    """Answers ARP for its address and ICMP echo; records what it saw."""

    MAC = bytes.fromhex("5a94ef000001")

    def __init__(self, path, ip):
        self.path, self.ip = str(path), socket.inet_aton(ip)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.first = None       # the first datagram
        self.sender = None      # the address frames come from
        self.pings = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def close(self):
        self.stop.set()
        self.thread.join()
        self.sock.close()

    def run(self):
        while not self.stop.is_set():
            try:
                data, addr = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            if self.first is None:
                self.first = data
                self.sender = addr
                if data == b"VFKT":
                    continue
            reply = self.answer(data)
            if reply:
                self.sock.sendto(reply, self.sender)

    def answer(self, f):
        if len(f) < 42:
            return None
        dst, src, etype = f[:6], f[6:12], struct.unpack("!H", f[12:14])[0]
        if etype == 0x0806 and struct.unpack("!H", f[20:22])[0] == 1 and f[38:42] == self.ip:
            return (src + self.MAC + b"\x08\x06" + f[14:20] + b"\x00\x02" + self.MAC +
                    self.ip + f[22:28] + f[28:32])
        if etype != 0x0800 or dst != self.MAC:
            return None
        ip = f[14:]
        ihl = (ip[0] & 0xF) * 4
        if ip[9] != 1 or ip[16:20] != self.ip or ip[ihl] != 8:
            return None
        self.pings += 1
        icmp = bytearray(ip[ihl:struct.unpack("!H", ip[2:4])[0]])
        icmp[0] = 0
        icmp[2:4] = b"\0\0"
        icmp[2:4] = struct.pack("!H", csum(bytes(icmp)))
        hdr = bytearray(ip[:ihl])
        hdr[12:16], hdr[16:20] = ip[16:20], ip[12:16]
        hdr[8] = 64
        hdr[10:12] = b"\0\0"
        hdr[10:12] = struct.pack("!H", csum(bytes(hdr)))
        return src + self.MAC + b"\x08\x00" + bytes(hdr) + bytes(icmp)


TWO_NICS = """
for m in 52:54:00:00:65:01 52:54:00:00:65:02; do
	n=$(grep -l $m /sys/class/net/*/address | cut -d/ -f5)
	echo "@@NET@@ if-$m $n"
done
IF1=$(grep -l 52:54:00:00:65:01 /sys/class/net/*/address | cut -d/ -f5)
IF2=$(grep -l 52:54:00:00:65:02 /sys/class/net/*/address | cut -d/ -f5)
ip link set $IF1 up; ip addr add 192.168.101.2/24 dev $IF1
ip link set $IF2 up; ip addr add 192.168.102.2/24 dev $IF2
ping -c 3 -W 3 192.168.101.1 >/dev/null; echo "@@NET@@ ping1 $?"
ping -c 3 -W 3 192.168.102.1 >/dev/null; echo "@@NET@@ ping2 $?"
"""


def test_two_nics_on_unixgram_peers(vfkit_vm, script_disk, tmp_path):
    d1, d2 = tmp_path / "p1", tmp_path / "p2"
    d1.mkdir()
    d2.mkdir()
    p1, p2 = Peer(d1 / "gv.sock", "192.168.101.1"), Peer(d2 / "gv.sock", "192.168.102.1")
    try:
        vm = vfkit_vm(disks=[script_disk(TWO_NICS)], timeout=300, devices=[
            "virtio-net,unixSocketPath=%s,mac=52:54:00:00:65:01" % p1.path,
            "virtio-net,type=unixgram,path=%s,vfkitMagic=off,mac=52:54:00:00:65:02" % p2.path])
        vm.wait()
        got, desc = net_values(vm), vm.result().describe()
        assert vm.proc.returncode == 0, desc
        assert got.get("if-52:54:00:00:65:01") == "eth0", desc  # command-line order
        assert got.get("if-52:54:00:00:65:02") == "eth1", desc
        assert got.get("ping1") == "0" and got.get("ping2") == "0", desc
        assert p1.pings >= 3 and p2.pings >= 3, desc
        assert p1.first == b"VFKT", p1.first
        assert p2.first != b"VFKT" and len(p2.first) >= 14, p2.first
        for p, d in ((p1, d1), (p2, d2)):
            name = p.sender if isinstance(p.sender, str) else p.sender.decode()
            assert re.fullmatch(r"%s/vfkit-%x-[0-9a-f]{1,4}\.sock" % (re.escape(str(d)),
                                                                   vm.pid), name), name
            assert "local: %s remote: %s" % (name, p.path) in vm.stderr, desc
            assert sorted(os.listdir(d)) == ["gv.sock"], os.listdir(d)  # removed at exit
    finally:
        p1.close()
        p2.close()


def test_startup_errors(vfkit_bin, guest, tmp_path):
    r, w = os.pipe()
    try:
        argv = [vfkit_bin] + vmtest.vfkit_args(guest, tmp_path / "c1.log",
                                               devices=["virtio-net,fd=%d" % r])
        vm = FdVM(argv, tmp_path / "c1.log", tmp_path / "vm1", 60, [r]).start()
        assert vm.wait() != 0
        assert "the fileHandle must be a datagram socket" in vm.stderr, vm.stderr
        vm.close()
    finally:
        os.close(r)
        os.close(w)
    missing = tmp_path / "nobody.sock"
    res = vmtest.run_vm([vfkit_bin] + vmtest.vfkit_args(
        guest, tmp_path / "c2.log", devices=["virtio-net,unixSocketPath=%s" % missing]),
        tmp_path / "c2.log", tmp_path / "vm2", 60)
    assert res.rc != 0
    assert "cannot connect to %s" % missing in res.stderr, res.stderr
    assert [f for f in os.listdir(tmp_path) if f.startswith("vfkit-")] == []
