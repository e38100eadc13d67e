# SPDX-License-Identifier: Apache-2.0
"""virtio-net with the nat backend (libslirp), reference 5.6 and 10.

One guest: DHCP gives it 192.168.64.2 (gateway 192.168.64.1, DNS forwarded
from 192.168.64.254), it downloads a file from an HTTP server on one of the
host's non-loopback addresses and checks its MD5, resolves a name through the
forwarded DNS, and reports the MAC it sees. vfkit logs the lease and GET
/vm/inspect shows it as the device's ipAddress.

The host's loopback is out of the guest's reach: an HTTP server on 127.0.0.1
and vfkit's own REST API on tcp://127.0.0.1 cannot be reached through the
gateway, an unused NAT address or the DNS address (libslirp maps those to the
host's loopback unless told not to), while the same wget reaches the host on
its other address.

DNS forwarding goes to the host's resolver (/etc/resolv.conf). In the L1
test host that file is on a throw-away overlay, so the test points it at a
tiny DNS server on 127.0.0.1 there; elsewhere the DNS check is skipped
rather than send queries off the machine.
"""

import hashlib
import http.server
import os
import re
import socket
import struct
import subprocess
import threading
import time

import pytest

import vmtest

MAC = "52:54:00:6e:61:74"
DNS_NAME = "vfkit-test.example"
DNS_ADDR = "192.0.2.123"
NET_RE = re.compile(r"@@NET@@ (\S+) ?([^\r\n]*)")

L1_HOST_ADDR = "10.200.0.1"

in_l1 = os.environ.get("TESTHOST_MODE") == "l1"


@pytest.fixture(scope="module", autouse=True)
def loopback_up():
    """The L1 test host boots with lo down; the DNS server below listens on it."""
    if in_l1:
        subprocess.run(["ip", "link", "set", "lo", "up"], check=False)


def _ip(*args):
    return subprocess.run(["ip"] + list(args), capture_output=True, text=True)


@pytest.fixture
def host_addr():
    """A non-loopback IPv4 address of this host, as a guest reaches its host.

    L1 has only lo, so the test gives it one: on a dummy interface, or as a
    second address of lo when the kernel has no dummy driver (the NAT filters
    destinations, not interfaces)."""
    if not in_l1:
        out = _ip("-4", "-o", "addr", "show", "scope", "global").stdout.split()
        addrs = [w.split("/")[0] for i, w in enumerate(out) if i and out[i - 1] == "inet"]
        if not addrs:
            pytest.skip("this host has no non-loopback IPv4 address for the guest to reach")
        yield addrs[0]
        return
    if _ip("link", "add", "vfkit-d0", "type", "dummy").returncode == 0:
        assert _ip("addr", "add", L1_HOST_ADDR + "/24", "dev", "vfkit-d0").returncode == 0
        assert _ip("link", "set", "vfkit-d0", "up").returncode == 0
        yield L1_HOST_ADDR
        _ip("link", "del", "vfkit-d0")
    else:
        r = _ip("addr", "add", L1_HOST_ADDR + "/32", "dev", "lo")
        assert r.returncode == 0, r.stderr
        yield L1_HOST_ADDR
        _ip("addr", "del", L1_HOST_ADDR + "/32", "dev", "lo")


def _serve_dir(addr, directory):
    handler = lambda *a, **kw: http.server.SimpleHTTPRequestHandler(  # noqa: E731
        *a, directory=str(directory), **kw)
    http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None
    srv = http.server.ThreadingHTTPServer((addr, 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


@pytest.fixture
def http_blob(tmp_path, host_addr):
    """HTTP servers serving /blob (2 MiB of random bytes): one on host_addr,
    one on 127.0.0.1 that the guest must not reach."""
    blob = os.urandom(2 << 20)
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "blob").write_bytes(blob)
    srv = _serve_dir(host_addr, tmp_path / "www")
    loop_srv = _serve_dir("127.0.0.1", tmp_path / "www")
    yield (host_addr, srv.server_address[1], loop_srv.server_address[1],
           hashlib.md5(blob).hexdigest())
    srv.shutdown()
    loop_srv.shutdown()


def free_tcp_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dns_answer(query):
    """A response to a DNS query: DNS_ADDR for DNS_NAME/A, else no records."""
    qid, flags, qd = struct.unpack("!HHH", query[:6])
    i, labels = 12, []
    while query[i]:
        labels.append(query[i + 1:i + 1 + query[i]].decode("ascii", "replace"))
        i += 1 + query[i]
    qtype = struct.unpack("!H", query[i + 1:i + 3])[0]
    question = query[12:i + 5]
    hit = ".".join(labels).lower() == DNS_NAME and qtype == 1
    head = struct.pack("!HHHHHH", qid, 0x8180 if hit or ".".join(labels).lower() == DNS_NAME
                       else 0x8183, 1, 1 if hit else 0, 0, 0)
    answer = (b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton(DNS_ADDR)
              if hit else b"")
    return head + question + answer


@pytest.fixture
def dns_server():
    """In L1 only: resolv.conf -> 127.0.0.1 with a one-name DNS server there."""
    if not in_l1:
        yield None
        return
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 53))
    stop = threading.Event()

    def serve():
        s.settimeout(0.2)
        while not stop.is_set():
            try:
                q, peer = s.recvfrom(2048)
                s.sendto(dns_answer(q), peer)
            except (socket.timeout, IndexError, struct.error):
                continue
    old = open("/etc/resolv.conf").read() if os.path.exists("/etc/resolv.conf") else None
    with open("/etc/resolv.conf", "w") as f:
        f.write("nameserver 127.0.0.1\n")
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield DNS_ADDR
    stop.set()
    t.join()
    s.close()
    if old is not None:
        with open("/etc/resolv.conf", "w") as f:
            f.write(old)


def guest_script(host, port, loop_port, rest_port):
    """The download runs under the same timeout(1) as the probes of the host's
    loopback (busybox wget has no -T), so a probe cannot fail for want of it.
    Dropped SYNs would each wait out TCP's retries, so the probes run at once."""
    probes = " ".join("%s:%d/%s" % t for t in [
        ("$GW", loop_port, "blob"), ("$GW", rest_port, "vm/state"),
        ("192.168.64.9", rest_port, "vm/state"), ("192.168.64.254", rest_port, "vm/state")])
    return """
ip link set eth0 up
printf '#!/bin/sh\\nexec sh /etc/udhcpc.script "$@"\\n' > /tmp/u.sh; chmod +x /tmp/u.sh
udhcpc -f -q -n -t 5 -i eth0 -s /tmp/u.sh >/dev/null 2>&1
echo "@@NET@@ mac $(cat /sys/class/net/eth0/address)"
echo "@@NET@@ addr $(ip -4 addr show eth0 | awk '/inet / {print $2}')"
GW=$(ip route | awk '/default/ {print $3}')
echo "@@NET@@ gw $GW"
echo "@@NET@@ dns $(awk '/nameserver/ {print $2; exit}' /etc/resolv.conf)"
timeout 200 wget -q -O /tmp/blob http://%s:%d/blob && echo "@@NET@@ md5 $(md5sum /tmp/blob | cut -d' ' -f1)"
echo "@@NET@@ resolved $(nslookup %s 2>/dev/null | tail -n +3 | grep -o '192\\.0\\.2\\.[0-9]*' | head -1)"
i=0
for t in %s; do
  i=$((i + 1))
  (timeout 10 wget -q -O /tmp/r$i "http://$t" && echo "@@NET@@ reached $t $(head -c 200 /tmp/r$i)") &
done
wait
echo "@@NET@@ done"
sleep 120
""" % (host, port, DNS_NAME, probes)


def net_values(vm):
    return dict(NET_RE.findall(vm.console))


def test_nat_dhcp_dns_http_and_lease(vfkit_vm, script_disk, http_blob, dns_server):
    host, port, loop_port, md5 = http_blob
    rest_port = free_tcp_port()
    rest = "tcp://127.0.0.1:%d" % rest_port
    script = guest_script(host, port, loop_port, rest_port)
    vm = vfkit_vm(disks=[script_disk(script)], rest=rest,
                  devices=["virtio-net,nat,mac=%s" % MAC], timeout=300)
    deadline = time.monotonic() + vmtest.scale(240)
    while "done" not in net_values(vm):
        assert vm.proc.poll() is None, vm.result().describe()
        assert time.monotonic() < deadline, vm.result().describe()
        time.sleep(0.2)
    got = net_values(vm)
    desc = vm.result().describe()
    assert got["mac"] == MAC, desc
    assert got["addr"] == "192.168.64.2/24", desc
    assert got["gw"] == "192.168.64.1", desc
    assert got["dns"] == "192.168.64.254", desc
    assert got.get("md5") == md5, desc
    assert "reached" not in got, desc
    if dns_server:
        assert got["resolved"] == dns_server, desc
    assert "virtio-net: guest %s got address 192.168.64.2 (DHCP)" % MAC in vm.stderr, desc

    status, body = vmtest.rest(rest, "GET", "/vm/inspect")
    assert status == 200, body
    nets = [d for d in body["devices"] if d["kind"] == "virtionet"]
    assert len(nets) == 1, body
    assert nets[0]["nat"] is True and nets[0]["macAddress"] == MAC, body
    assert nets[0]["ipAddress"] == "192.168.64.2", body
    assert "dropped a guest packet to 192.168.64.1" in vm.stderr, desc
    status, body = vmtest.rest(rest, "GET", "/vm/state")
    assert status == 200 and body["state"] == "VirtualMachineStateRunning", body
    vm.kill()
