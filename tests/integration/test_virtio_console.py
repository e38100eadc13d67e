# SPDX-License-Identifier: Apache-2.0
"""virtio-serial consoles with real guests (issue 4): hvc0 into a log file,
several consoles at once, a pty console that answers (and its ptyName in
/vm/inspect), and an interactive stdio console under a pty."""

import os
import pty
import re
import select
import subprocess
import termios
import time
import tty

import vmtest


def wait_text(fd, pattern, timeout):
    """Reads fd until pattern (a regex on the text so far) matches; returns the text."""
    buf = b""
    end = time.monotonic() + vmtest.scale(timeout)
    while time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.5)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            if re.search(pattern, buf.decode("utf-8", "replace")):
                return buf.decode("utf-8", "replace")
    raise AssertionError("no %r within %ss; got:\n%s" % (pattern, timeout, buf[-3000:]))


def test_hvc0_output_lands_in_the_log_file(vfkit_vm, script_disk, tmp_path):
    """With console=hvc0 the kernel and /init write to the virtio console;
    text written only to /dev/hvc0 appears in logFilePath."""
    script = script_disk("echo hvc0-only-marker-4711 > /dev/hvc0\n"
                         "cat /sys/class/tty/console/active\n")
    vm = vfkit_vm(disks=[script], cmdline=vmtest.guest_cmdline(test="/dev/vda",
                                                                console="hvc0"))
    vm.wait()
    r = vm.result()
    assert r.rc == 0 and r.markers.status == 0, r.describe()
    assert "hvc0-only-marker-4711" in r.console, r.describe()
    assert re.search(r"^hvc0\s*$", r.console, re.M), r.describe()


def test_two_consoles_each_with_its_log(vfkit_vm, script_disk, tmp_path):
    """Two virtio-serial devices: hvc0 and hvc1, each its own PCI function and
    log file."""
    second = tmp_path / "second.log"
    script = script_disk("echo first-console-line > /dev/hvc0\n"
                         "echo second-console-line > /dev/hvc1\n"
                         "echo CONSOLES=$(grep -l 0x1043 /sys/bus/pci/devices/*/device | wc -l)\n")
    vm = vfkit_vm(disks=[script], devices=["virtio-serial,logFilePath=%s" % second])
    vm.wait()
    r = vm.result()
    assert r.rc == 0 and r.markers.status == 0, r.describe()
    assert "CONSOLES=2" in r.console, r.describe()
    assert "first-console-line" in r.console, r.describe()
    assert "second-console-line" not in r.console, r.describe()
    assert "second-console-line" in second.read_text(), second.read_text()


def test_pty_console_answers(vfkit_vm, script_disk, tmp_path):
    """virtio-serial,pty: the pty named in the log (and in /vm/inspect as
    ptyName) is the guest's hvc1; a guest-side echo service answers over it."""
    sock = tmp_path / "rest.sock"
    script = script_disk(
        "stty -F /dev/hvc1 raw -echo\n"
        "( exec 3<>/dev/hvc1; while read -r l <&3; do echo \"pong:$l\" >&3; done ) &\n"
        "echo RESPONDER=up\n")
    vm = vfkit_vm(disks=[script], devices=["virtio-serial,pty"], rest="unix://%s" % sock,
                  cmdline=vmtest.guest_cmdline(test="/dev/vda", wait=True), timeout=300)
    vm.wait_for("@@GUEST_STATUS@@")
    m = re.search(r"Using PTY \(pty path: (/dev/pts/\d+)\)", vm.stderr)
    assert m, vm.result().describe()
    name = m.group(1)
    status, inspect = vmtest.rest("unix://%s" % sock, "GET", "/vm/inspect")
    assert status == 200, inspect
    ptys = [d.get("ptyName") for d in inspect["devices"] if d.get("kind") == "virtioserial"]
    assert name in ptys, inspect
    fd = os.open(name, os.O_RDWR | os.O_NOCTTY)
    try:
        tty.setraw(fd)
        os.write(fd, b"ping-1\n")
        wait_text(fd, r"pong:ping-1", 60)
        os.write(fd, b"second\n")
        wait_text(fd, r"pong:second", 60)
    finally:
        os.close(fd)


def test_stdio_console_under_a_pty(vfkit_bin, guest, script_disk, tmp_path):
    """virtio-serial,stdio with vfkit's stdin/stdout on a terminal: guest output
    arrives on the terminal, typed input reaches the guest's hvc0, and the
    terminal settings are restored when vfkit exits."""
    script = script_disk("echo stdio-ready\n"
                         "read -r line < /dev/hvc0\n"
                         "echo \"got:$line\"\n")
    cmdline = vmtest.guest_cmdline(test="/dev/vda", console="hvc0")
    argv = [vfkit_bin, "--cpus", "1", "--memory", "512",
            "--bootloader", 'linux,kernel=%s,initrd=%s,cmdline="%s"' %
            (guest.kernel, guest.initrd, cmdline),
            "--device", "virtio-serial,stdio",
            "--device", "virtio-blk,path=%s" % script]
    master, slave = pty.openpty()
    before = termios.tcgetattr(slave)
    err = open(tmp_path / "stderr", "wb")
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=err, start_new_session=True)
    try:
        wait_text(master, r"stdio-ready", 300)
        os.write(master, b"typed-by-user\r")
        wait_text(master, r"got:typed-by-user", 120)
        proc.wait(timeout=vmtest.scale(120))
        assert proc.returncode == 0, (tmp_path / "stderr").read_text()
        after = termios.tcgetattr(slave)
        assert after[3] & termios.ECHO and after[3] & termios.ICANON
        assert after == before
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        err.close()
        os.close(master)
        os.close(slave)
