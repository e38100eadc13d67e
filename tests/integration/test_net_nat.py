# SPDX-License-Identifier: Apache-2.0
"""virtio-net with the nat backend (libslirp), reference 5.6 and 10.

One guest: DHCP gives it 192.168.64.2 (gateway/host 192.168.64.1, DNS
forwarded from 192.168.64.254), it downloads a file from an HTTP server on
the host's 127.0.0.1 through the gateway and checks its MD5, resolves a name
through the forwarded DNS, and reports the MAC it sees. vfkit logs the lease
and GET /vm/inspect shows it as the device's ipAddress.

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

in_l1 = os.environ.get("TESTHOST_MODE") == "l1"


@pytest.fixture(scope="module", autouse=True)
def loopback_up():
    """The L1 test host boots with lo down; slirp reaches the host through it."""
    if in_l1:
        subprocess.run(["ip", "link", "set", "lo", "up"], check=False)


@pytest.fixture
def http_blob(tmp_path):
    """An HTTP server on 127.0.0.1 serving /blob (2 MiB of random bytes)."""
    blob = os.urandom(2 << 20)
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "blob").write_bytes(blob)
    handler = lambda *a, **kw: http.server.SimpleHTTPRequestHandler(  # noqa: E731
        *a, directory=str(tmp_path / "www"), **kw)
    http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv.server_address[1], hashlib.md5(blob).hexdigest()
    srv.shutdown()


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


def guest_script(port):
    return """
ip link set eth0 up
printf '#!/bin/sh\\nexec sh /etc/udhcpc.script "$@"\\n' > /tmp/u.sh; chmod +x /tmp/u.sh
udhcpc -f -q -n -t 5 -i eth0 -s /tmp/u.sh >/dev/null 2>&1
echo "@@NET@@ mac $(cat /sys/class/net/eth0/address)"
echo "@@NET@@ addr $(ip -4 addr show eth0 | awk '/inet / {print $2}')"
GW=$(ip route | awk '/default/ {print $3}')
echo "@@NET@@ gw $GW"
echo "@@NET@@ dns $(awk '/nameserver/ {print $2; exit}' /etc/resolv.conf)"
wget -q -O /tmp/blob http://$GW:%d/blob && echo "@@NET@@ md5 $(md5sum /tmp/blob | cut -d' ' -f1)"
echo "@@NET@@ resolved $(nslookup %s 2>/dev/null | tail -n +3 | grep -o '192\\.0\\.2\\.[0-9]*' | head -1)"
echo "@@NET@@ done"
sleep 120
""" % (port, DNS_NAME)


def net_values(vm):
    return dict(NET_RE.findall(vm.console))


def test_nat_dhcp_dns_http_and_lease(vfkit_vm, script_disk, tmp_path, http_blob, dns_server):
    port, md5 = http_blob
    rest = "unix://%s" % (tmp_path / "rest.sock")
    vm = vfkit_vm(disks=[script_disk(guest_script(port))], rest=rest,
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
    if dns_server:
        assert got["resolved"] == dns_server, desc
    assert "virtio-net: guest %s got address 192.168.64.2 (DHCP)" % MAC in vm.stderr, desc

    status, body = vmtest.rest(rest, "GET", "/vm/inspect")
    assert status == 200, body
    nets = [d for d in body["devices"] if d["kind"] == "virtionet"]
    assert len(nets) == 1, body
    assert nets[0]["nat"] is True and nets[0]["macAddress"] == MAC, body
    assert nets[0]["ipAddress"] == "192.168.64.2", body
    vm.kill()
