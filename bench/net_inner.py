# SPDX-License-Identifier: Apache-2.0
"""Network benchmark body; bench/net.sh runs it where /dev/kvm works.

Scenarios (each RUNS times, interleaved so load changes hit every VMM alike):
  nat    one guest; iperf3 server on the host's port 5201; the guest gets
         its address by DHCP and runs the client against the host: QEMU user
         through its gateway 10.0.2.2 (the host's 127.0.0.1), vfkit nat on a
         non-loopback host address (its guests cannot reach the host's
         loopback; in L1 that address is added to lo): guest->host, then -R.
  socket two guests on one datagram link (192.168.100.1 serves, .2 runs the
         client), both ends of one socketpair: vfkit fd=, QEMU -netdev dgram with
         local.type=fd ("qemu"), and QEMU -netdev stream on a stream
         socketpair ("qemu-stream").
The guest prints "@@BENCH@@ <test> <Mbit/s>" from iperf3's receiver line.

usage: net_inner.py RUNS SECONDS KERNEL INITRD VFKIT WORKDIR
"""

import os
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))
import vmtest  # noqa: E402

MEM_MIB = 512
BENCH_RE = re.compile(r"@@BENCH@@ (\S+) ([0-9.]+)")

DHCP = """ip link set eth0 up
printf '#!/bin/sh\\nexec sh /etc/udhcpc.script "$@"\\n' > /tmp/u.sh; chmod +x /tmp/u.sh
udhcpc -f -q -n -t 5 -i eth0 -s /tmp/u.sh >/dev/null 2>&1
GW=$(ip route | awk '/default/ {print $3}')
"""

# iperf3's receiver summary: "[  5] 0.00-5.00 sec 12.3 MBytes 20.6 Mbits/sec receiver"
RESULT = "awk '/receiver/ {print \"@@BENCH@@ %s\", $7}'"


def client_script(target, secs, tag):
    return ("for t in 1 2 3 4 5 6 7 8 9 10; do iperf3 -c %s -t 1 >/dev/null 2>&1 && break;"
            " sleep 1; done\n"
            "iperf3 -c %s -t %d -f m | %s\n"
            "iperf3 -c %s -t %d -f m -R | %s\n" %
            (target, target, secs, RESULT % (tag + "-up"), target, secs,
             RESULT % (tag + "-down")))


def nat_script(secs, target="$GW"):
    return DHCP + client_script(target, secs, "nat")


def static_script(addr):
    return "ip link set eth0 up\nip addr add %s/24 dev eth0\n" % addr


def server_script():
    # Serves until the client's guest is done; then its VMM is killed.
    return static_script("192.168.100.1") + "iperf3 -s -D >/dev/null 2>&1\nsleep 100000\n"


def peer_client_script(secs):
    return static_script("192.168.100.2") + client_script("192.168.100.1", secs, "socket")


def vfkit_argv(vfkit, guest, log, disk, net):
    return [vfkit] + vmtest.vfkit_args(guest, log, disks=[disk], memory=MEM_MIB,
                                       devices=[net])


def qemu_argv(guest, log, disk, netdev):
    return vmtest.qemu_args(guest, log, disks=[disk], memory=MEM_MIB) + [
        "-netdev", netdev, "-device", "virtio-net-pci,netdev=n0"]


def run_vms(specs, workdir, timeout, pass_fds=()):
    """Starts every (argv, log) at once, waits for the last one (the others
    only serve it) and kills the rest; returns the console texts."""
    procs = []
    for i, (argv, log) in enumerate(specs):
        Path(log).write_bytes(b"")
        out = open(workdir / ("out%d" % i), "wb")
        procs.append((subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                       stderr=subprocess.STDOUT, pass_fds=pass_fds), out))
    deadline = time.monotonic() + timeout
    try:
        procs[-1][0].wait(timeout=max(1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        pass
    finally:
        for p, out in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
            out.close()
    return [vmtest.read_text(log) for _, log in specs]


def results_of(text):
    return {k: float(v) for k, v in BENCH_RE.findall(text)}


def nat_case(vmm, ctx, workdir):
    log = str(workdir / "nat.log")
    target = ctx["host_addr"] if vmm == "vfkit" else "$GW"
    disk = vmtest.script_disk(workdir / "nat.img", nat_script(ctx["secs"], target))
    if vmm == "vfkit":
        argv = vfkit_argv(ctx["vfkit"], ctx["guest"], log, disk, "virtio-net,nat")
    else:
        argv = qemu_argv(ctx["guest"], log, disk, "user,id=n0")
    (text,) = run_vms([(argv, log)], workdir, ctx["timeout"])
    return results_of(text), text


def socket_case(vmm, ctx, workdir):
    logs = [str(workdir / "srv.log"), str(workdir / "cli.log")]
    disks = [vmtest.script_disk(workdir / "srv.img", server_script()),
             vmtest.script_disk(workdir / "cli.img", peer_client_script(ctx["secs"]))]
    macs = ["52:54:00:00:64:01", "52:54:00:00:64:02"]
    # Both VMMs get the two ends of one socketpair: peers of each other, so
    # the kernel's max_dgram_qlen of 10 (which throttles unconnected unix
    # datagram sockets to a few Mbit/s) applies to neither.
    kind = socket.SOCK_STREAM if vmm == "qemu-stream" else socket.SOCK_DGRAM
    a, b = socket.socketpair(socket.AF_UNIX, kind)
    fds = [a.fileno(), b.fileno()]
    specs = []
    for i in range(2):
        if vmm == "vfkit":
            argv = vfkit_argv(ctx["vfkit"], ctx["guest"], logs[i], disks[i],
                              "virtio-net,fd=%d,mac=%s" % (fds[i], macs[i]))
        elif vmm == "qemu":
            argv = qemu_argv(ctx["guest"], logs[i], disks[i],
                             "dgram,id=n0,local.type=fd,local.str=%d" % fds[i])
        else:  # QEMU's other socket backend: length-prefixed frames on a stream
            argv = qemu_argv(ctx["guest"], logs[i], disks[i],
                             "stream,id=n0,addr.type=fd,addr.str=%d" % fds[i])
            argv[-1] += ",mac=" + macs[i]
        specs.append((argv, logs[i]))
    try:
        texts = run_vms(specs, workdir, ctx["timeout"], pass_fds=fds)
    finally:
        a.close()
        b.close()
    return results_of(texts[1]), texts[1]


BENCH_HOST_ADDR = "10.200.0.1"


def non_loopback_host_addr():
    """A global IPv4 address of this host; in the L1 test host (lo only), one added to lo."""
    out = subprocess.run(["ip", "-4", "-o", "addr", "show", "scope", "global"],
                         capture_output=True, text=True).stdout.split()
    addrs = [w.split("/")[0] for i, w in enumerate(out) if i and out[i - 1] == "inet"]
    if addrs:
        return addrs[0]
    subprocess.run(["ip", "addr", "add", BENCH_HOST_ADDR + "/32", "dev", "lo"], check=True)
    return BENCH_HOST_ADDR


def main():
    runs, secs = int(sys.argv[1]), int(sys.argv[2])
    kernel, initrd, vfkit, workdir = sys.argv[3:7]
    workdir = Path(workdir)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=False)  # the L1 test host has it down
    host_addr = non_loopback_host_addr()
    server = subprocess.Popen(["iperf3", "-s"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    ctx = {"secs": secs, "vfkit": vfkit, "timeout": 200 + 4 * secs, "host_addr": host_addr,
           "guest": vmtest.Guest(kernel=kernel, bzimage=kernel, elf=kernel, initrd=initrd)}
    cases = [("nat", "vfkit", nat_case), ("nat", "qemu", nat_case),
             ("socket", "vfkit", socket_case), ("socket", "qemu", socket_case),
             ("socket", "qemu-stream", socket_case)]
    only = os.environ.get("BENCH_NET_CASES")  # e.g. "socket:qemu nat:vfkit"
    if only:
        cases = [c for c in cases if "%s:%s" % (c[0], c[1]) in only.split()]
    res = {}
    try:
        for i in range(runs):
            for scen, vmm, fn in cases:
                got, text = fn(vmm, ctx, workdir)
                print("%-6s %-11s run %d: %s" % (scen, vmm, i + 1,
                      ", ".join("%s %.1f Mbit/s" % kv for kv in sorted(got.items())) or
                      "FAILED\n" + text[-1500:] + "".join(
                          vmtest.read_text(workdir / ("out%d" % j))[-800:] for j in range(2))),
                      flush=True)
                for k, v in got.items():
                    res.setdefault((vmm, k), []).append(v)
    finally:
        server.kill()
    print("\nmedians of %d run(s), %d s each, Mbit/s (1 vCPU, %d MiB):" % (runs, secs, MEM_MIB))
    print("%-12s %10s %-12s %10s %8s" % ("test", "vfkit", "against", "Mbit/s", "ratio"))
    ok = True
    for test, base in (("nat-up", "qemu"), ("nat-down", "qemu"), ("socket-up", "qemu"),
                       ("socket-down", "qemu"), ("socket-up", "qemu-stream"),
                       ("socket-down", "qemu-stream")):
        v, q = res.get(("vfkit", test)), res.get((base, test))
        mv = statistics.median(v) if v else None
        mq = statistics.median(q) if q else None
        ok = ok and mv is not None and mq is not None
        print("%-12s %10s %-12s %10s %8s" % (test, "%.1f" % mv if mv else "failed", base,
                                             "%.1f" % mq if mq else "failed",
                                             "%.2fx" % (mv / mq) if mv and mq else "n/a"))
    print("(up: guest->host, or client->server; down: host->guest, or server->client)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
