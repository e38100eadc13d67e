# SPDX-License-Identifier: Apache-2.0
"""Host files a VM start touches, attacked from outside: a disk image someone
else is using, a symlink planted where the console log goes, another user's
directory where the cloud-init seed used to go.

Each case makes the start fail at a locked disk, after the cloud-init seed and
the console log have been set up, so no guest runs: that needs /dev/kvm (the
VM is created before its devices), but not a bootable kernel."""
import fcntl
import hashlib
import os
import stat
import subprocess
import sys

import pytest

from test_cli import VFKIT, fake_bzimage

pytestmark = pytest.mark.skipif(
    not os.access("/dev/kvm", os.R_OK | os.W_OK),
    reason="starting a VM as far as its devices needs /dev/kvm")


@pytest.fixture
def work(tmp_path):
    (tmp_path / "bzImage").write_bytes(fake_bzimage())
    (tmp_path / "initrd").write_bytes(b"\0" * 512)
    (tmp_path / "disk.img").write_bytes(os.urandom(64 << 10))
    (tmp_path / "user-data").write_text("#cloud-config\n")
    (tmp_path / "meta-data").write_text("instance-id: x\n")
    (tmp_path / "tmp").mkdir(mode=0o700)
    return tmp_path


def start(work, *args, umask=None):
    """Starts vfkit (no --dry-run) in work; returns the CompletedProcess."""
    env = dict(os.environ, TMPDIR=str(work / "tmp"))
    env.pop("XDG_RUNTIME_DIR", None)
    argv = [str(VFKIT), "-b", "linux,kernel=bzImage,initrd=initrd,cmdline=console=hvc0",
            "--restful-uri", "none://"] + list(args)
    return subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True, timeout=20,
                          preexec_fn=(lambda: os.umask(umask)) if umask is not None else None)


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def error_lines(r):
    return [l for l in r.stderr.splitlines() if l.startswith("vfkit: error:")]


@pytest.fixture
def locked_disk(work):
    """disk.img with a POSIX write lock (lockf, as other tools take it) held by
    a helper process, which vfkit must name. Not by this process: its first
    close of any descriptor of the file, hashing it say, would drop the lock."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, sys, time\n"
         "f = open(sys.argv[1], 'r+b')\n"
         "fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
         "print('locked', flush=True)\n"
         "time.sleep(300)\n", str(work / "disk.img")],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline() == "locked\n"
    yield work / "disk.img", holder.pid
    holder.kill()
    holder.wait()


@pytest.mark.parametrize("option", ["", ",readonly"])
def test_locked_image_is_refused_and_untouched(work, locked_disk, option):
    disk, holder = locked_disk
    before = sha256(disk)
    r = start(work, "--device", "virtio-blk,path=disk.img" + option)
    assert r.returncode == 1, r.stderr
    assert error_lines(r) == [
        "vfkit: error: --device virtio-blk: disk.img: image is in use by process %d, which "
        "holds a write lock; only readonly users may share an image" % holder], r.stderr
    assert sha256(disk) == before


def test_same_image_twice_is_refused(work):
    before = sha256(work / "disk.img")
    r = start(work, "--device", "virtio-blk,path=disk.img",
              "--device", "virtio-blk,path=./disk.img,readonly")
    assert r.returncode == 1, r.stderr
    assert error_lines(r) == [
        "vfkit: error: --device virtio-blk: ./disk.img: image is in use by another process or "
        "another --device of this VM, which holds a write lock; only readonly users may share "
        "an image"], r.stderr
    assert sha256(work / "disk.img") == before


def test_console_log_is_private_and_no_symlink_is_followed(work, locked_disk):
    # A new log file is 0600 whatever the umask: the guest's console may hold secrets.
    r = start(work, "--device", "virtio-serial,logFilePath=console.log",
              "--device", "virtio-blk,path=disk.img", umask=0)
    assert r.returncode == 1, r.stderr
    assert stat.S_IMODE((work / "console.log").stat().st_mode) == 0o600
    # An existing one keeps its mode.
    os.chmod(work / "console.log", 0o640)
    start(work, "--device", "virtio-serial,logFilePath=console.log",
          "--device", "virtio-blk,path=disk.img", umask=0)
    assert stat.S_IMODE((work / "console.log").stat().st_mode) == 0o640
    # A symlink planted at the log path is refused, and its target left alone.
    victim = work / "victim"
    victim.write_text("precious\n")
    os.symlink(victim, work / "planted.log")
    r = start(work, "--device", "virtio-serial,logFilePath=planted.log",
              "--device", "virtio-blk,path=disk.img")
    assert r.returncode == 1, r.stderr
    assert error_lines(r) == [
        "vfkit: error: virtio-serial: cannot open log file planted.log: Too many levels of "
        "symbolic links"], r.stderr
    assert victim.read_text() == "precious\n"


@pytest.mark.parametrize("plant", ["foreign-dir", "symlink"])
def test_cloud_init_never_uses_a_planted_directory(work, locked_disk, plant):
    """Older versions used $TMPDIR/vfkit-cloudinit whoever owned it. Another
    user who made it first (or a symlink to a directory of theirs) could swap
    the seed before the VM opened it read-write."""
    tmp = work / "tmp"
    theirs = work / "theirs"
    theirs.mkdir()
    os.chmod(theirs, 0o1777)
    if os.geteuid() == 0:
        os.chown(theirs, 65534, 65534)
    if plant == "symlink":
        os.symlink(theirs, tmp / "vfkit-cloudinit")
    else:
        os.rename(theirs, tmp / "vfkit-cloudinit")
        theirs = tmp / "vfkit-cloudinit"
    mtime = theirs.stat().st_mtime_ns
    r = start(work, "--cloud-init", "user-data,meta-data",
              "--device", "virtio-blk,path=disk.img")
    assert r.returncode == 1, r.stderr
    # Nothing was ever created in (and then removed from) their directory...
    assert theirs.stat().st_mtime_ns == mtime and os.listdir(theirs) == []
    # ...and the seed's own directory went at exit.
    assert os.listdir(tmp) == ["vfkit-cloudinit"]


def test_host_block_device_is_locked_too(work):
    """type=dev: the lock is on the device node, so a block device given twice
    (or used by another VM) is refused like an image."""
    p = subprocess.run(["losetup", "-f", "--show", str(work / "disk.img")],
                       capture_output=True, text=True)
    if p.returncode != 0:
        pytest.skip("no loop device here: %s" % p.stderr.strip())
    dev = p.stdout.strip()
    try:
        r = start(work, "--device", "virtio-blk,path=%s,type=dev" % dev,
                  "--device", "virtio-blk,path=%s,type=dev,readonly" % dev)
    finally:
        subprocess.run(["losetup", "-d", dev])
    assert r.returncode == 1, r.stderr
    assert error_lines(r) == [
        "vfkit: error: --device virtio-blk: %s: image is in use by another process or "
        "another --device of this VM, which holds a write lock; only readonly users may share "
        "an image" % dev], r.stderr
