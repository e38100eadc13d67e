# SPDX-License-Identifier: Apache-2.0
"""virtio-blk with real guests (issue 4): data integrity against the host
image, the disk serial, discard keeping images sparse, several disks with a
cloud-init style ISO, read-only disks, and the PCI view of the devices."""

import contextlib
import hashlib
import os
import re
import subprocess
from pathlib import Path

import pytest

import vmtest


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sparse_image(path, size):
    with open(path, "wb") as f:
        f.truncate(size)
    return str(path)


def allocated_bytes(path):
    return os.stat(path).st_blocks * 512


def field(console, name):
    m = re.search(r"^%s=(\S*)\s*$" % re.escape(name), console, re.M)
    return m.group(1) if m else None


def test_random_data_roundtrip_matches_host_image(boot_script, tmp_path):
    """64 MiB of random data written by the guest reads back identically in the
    guest (after dropping its page cache) and is byte-for-byte the host image.
    The guest hashes what it wrote before writing it, so a disk that kept
    nothing (all zeros read back in the guest and on the host) cannot pass."""
    size = 64 << 20
    img = sparse_image(tmp_path / "data.img", size)
    script = (
        "dd if=/dev/urandom of=/tmp/data bs=1M count=64 2>/dev/null || exit 2\n"
        "echo WROTESUM=$(sha256sum </tmp/data | cut -d' ' -f1)\n"
        "dd if=/tmp/data of=/dev/vdb bs=1M conv=fsync 2>/dev/null || exit 3\n"
        "rm /tmp/data\n"
        "echo 3 > /proc/sys/vm/drop_caches\n"
        "echo GUESTSUM=$(sha256sum /dev/vdb | cut -d' ' -f1)\n"
        "echo SIZE=$(blockdev --getsize64 /dev/vdb)\n"
    )
    r = boot_script(script, disks=[img], timeout=600)
    assert r.rc == 0 and r.markers.status == 0, r.describe()
    assert field(r.console, "SIZE") == str(size), r.describe()
    wrote, read_back, on_host = field(r.console, "WROTESUM"), field(r.console, "GUESTSUM"), \
        sha256_file(img)
    assert wrote and wrote != hashlib.sha256(bytes(size)).hexdigest(), r.describe()
    assert (read_back, on_host) == (wrote, wrote), r.describe()
    assert os.path.getsize(img) == size


def test_device_id_is_the_disk_serial(vfkit_vm, script_disk, tmp_path):
    """deviceId is the virtio-blk serial: what udev turns into
    /dev/disk/by-id/virtio-<id> (the busybox guest has no udev, so the script
    builds the link the same way 60-persistent-storage.rules does)."""
    img = sparse_image(tmp_path / "id.img", 1 << 20)
    script = script_disk(
        "s=$(cat /sys/block/vdb/serial)\n"
        "echo SERIAL=$s\n"
        "mkdir -p /dev/disk/by-id && ln -s ../../vdb /dev/disk/by-id/virtio-$s\n"
        "test -b /dev/disk/by-id/virtio-my-disk-20-bytes-xx && echo LINK=ok\n")
    vm = vfkit_vm(disks=[script], devices=["virtio-blk,path=%s,deviceId=my-disk-20-bytes-xx" % img])
    vm.wait()
    r = vm.result()
    assert r.rc == 0 and r.markers.status == 0, r.describe()
    assert field(r.console, "SERIAL") == "my-disk-20-bytes-xx", r.describe()
    assert field(r.console, "LINK") == "ok", r.describe()


def test_device_id_longer_than_20_bytes_is_refused(vfkit_bin, guest, tmp_path):
    img = sparse_image(tmp_path / "id.img", 1 << 20)
    log = tmp_path / "console.log"
    argv = [vfkit_bin] + vmtest.vfkit_args(
        guest, log, devices=["virtio-blk,path=%s,deviceId=%s" % (img, "x" * 21)])
    r = vmtest.run_vm(argv, log, tmp_path / "vm", timeout=60)
    assert r.rc != 0, r.describe()
    assert "longer than 20 bytes" in r.stderr, r.describe()


def test_discard_keeps_the_image_sparse(boot_script, tmp_path):
    """Data written and then discarded by the guest (blkdiscard on the disk,
    fstrim on a filesystem) no longer occupies blocks in the host image."""
    raw = sparse_image(tmp_path / "raw.img", 32 << 20)
    fs = tmp_path / "fs.img"
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext4", "-E", "nodiscard", str(fs), "32M"],
                   check=True)
    script = (
        "echo DISCARD_MAX=$(cat /sys/block/vdb/queue/discard_max_bytes)\n"
        "dd if=/dev/urandom of=/dev/vdb bs=1M count=16 conv=fsync 2>/dev/null || exit 2\n"
        "blkdiscard /dev/vdb || exit 3\n"
        "mkdir -p /mnt/fs && mount -t ext4 /dev/vdc /mnt/fs || exit 4\n"
        "dd if=/dev/urandom of=/mnt/fs/big bs=1M count=16 conv=fsync 2>/dev/null || exit 5\n"
        "rm /mnt/fs/big && sync\n"
        "fstrim -v /mnt/fs || exit 6\n"
        "umount /mnt/fs\n"
    )
    before_fs = allocated_bytes(fs)
    r = boot_script(script, disks=[raw, str(fs)], timeout=600)
    assert r.rc == 0 and r.markers.status == 0, r.describe()
    assert int(field(r.console, "DISCARD_MAX") or 0) > 0, r.describe()
    # Without discard the raw image would hold 16 MiB and the ext4 one 16 MiB more.
    assert allocated_bytes(raw) < (1 << 20), allocated_bytes(raw)
    assert allocated_bytes(fs) < before_fs + (4 << 20), (before_fs, allocated_bytes(fs))
    assert os.path.getsize(raw) == 32 << 20 and os.path.getsize(fs) == 32 << 20


def test_two_disks_and_a_cloud_init_iso(boot_script, tmp_path):
    """Two data disks and a NoCloud ISO (genisoimage -V cidata) at once: each is
    its own virtio-blk PCI function, the ISO mounts and its files read back."""
    a = sparse_image(tmp_path / "a.img", 8 << 20)
    b = sparse_image(tmp_path / "b.img", 16 << 20)
    seed = tmp_path / "seed"
    seed.mkdir()
    (seed / "user-data").write_text("#cloud-config\nhostname: vfkit-test\n")
    (seed / "meta-data").write_text("instance-id: vfkit-1\n")
    iso = tmp_path / "seed.iso"
    subprocess.run(["genisoimage", "-quiet", "-o", str(iso), "-V", "cidata", "-J", "-r",
                    str(seed / "user-data"), str(seed / "meta-data")], check=True)
    iso_sum = sha256_file(iso)
    script = (
        "echo SIZES=$(blockdev --getsize64 /dev/vdb),$(blockdev --getsize64 /dev/vdc)\n"
        "echo PCI=$(grep -l 0x1af4 /sys/bus/pci/devices/*/vendor | wc -l)\n"
        "echo BLKPCI=$(grep -l 0x1042 /sys/bus/pci/devices/*/device | wc -l)\n"
        "mkdir -p /mnt/iso && mount -t iso9660 -o ro /dev/vdd /mnt/iso || exit 2\n"
        "echo LABEL=$(dd if=/dev/vdd bs=1 skip=32808 count=6 2>/dev/null)\n"
        "grep -q 'hostname: vfkit-test' /mnt/iso/user-data && echo USERDATA=ok\n"
        "echo hello-b > /tmp/x && dd if=/tmp/x of=/dev/vdc bs=512 seek=100 conv=fsync,sync "
        "2>/dev/null\n"
    )
    r = boot_script(script, disks=[a, b, str(iso)], timeout=300)
    assert r.rc == 0 and r.markers.status == 0, r.describe()
    assert field(r.console, "SIZES") == "%d,%d" % (8 << 20, 16 << 20), r.describe()
    # script disk + three disks, plus the console: five virtio functions, four of them blk.
    assert field(r.console, "BLKPCI") == "4", r.describe()
    assert field(r.console, "PCI") == "5", r.describe()
    assert field(r.console, "LABEL") == "cidata", r.describe()
    assert field(r.console, "USERDATA") == "ok", r.describe()
    with open(b, "rb") as f:
        f.seek(100 * 512)
        assert f.read(8) == b"hello-b\n"
    assert sha256_file(iso) == iso_sum  # mounted read-only, untouched


@contextlib.contextmanager
def read_only_path(path):
    """path, which nobody may open for writing, not even root: as root (the L1
    test host) its directory is bind-mounted read-only, since root ignores a
    file's mode; otherwise the file is made 0444. Yields the path to use."""
    path = Path(path)
    if os.geteuid() != 0:
        os.chmod(path, 0o444)
        yield path
        return
    ro_dir = path.parent / "ro"
    ro_dir.mkdir()
    subprocess.run(["mount", "--bind", str(path.parent), str(ro_dir)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(ro_dir)], check=True)
        yield ro_dir / path.name
    finally:
        subprocess.run(["umount", str(ro_dir)], check=True)


def test_readonly_disk_refuses_writes(boot_script, tmp_path):
    """readonly: the guest sees a read-only disk, writes fail, and the host
    image stays byte-identical. vfkit opens it O_RDONLY: it starts though the
    image cannot be opened for writing by anyone."""
    disk_dir = tmp_path / "disk"
    disk_dir.mkdir()
    img = disk_dir / "ro.img"
    img.write_bytes(os.urandom(4 << 20))
    before = sha256_file(img)
    script = (
        "echo RO=$(cat /sys/block/vdb/ro)\n"
        "dd if=/dev/zero of=/dev/vdb bs=4096 count=1 conv=fsync 2>/dev/null && echo WRITE=ok "
        "|| echo WRITE=refused\n"
        "blkdiscard /dev/vdb 2>/dev/null && echo DISCARD=ok || echo DISCARD=refused\n"
        "echo GUESTSUM=$(sha256sum /dev/vdb | cut -d' ' -f1)\n"
    )
    with read_only_path(img) as ro_img:
        with pytest.raises(OSError):  # the situation is what it claims to be
            open(ro_img, "r+b").close()
        r = boot_script(script, disks=[], devices=["virtio-blk,path=%s,readonly" % ro_img],
                        timeout=300)
    assert r.rc == 0 and r.markers.status == 0, r.describe()
    assert field(r.console, "RO") == "1", r.describe()
    assert field(r.console, "WRITE") == "refused", r.describe()
    assert field(r.console, "DISCARD") == "refused", r.describe()
    assert field(r.console, "GUESTSUM") == before, r.describe()
    assert sha256_file(img) == before


def test_one_request_queue_per_vcpu(boot_script, tmp_path):
    """VIRTIO_BLK_F_MQ: the guest gets one hardware queue per vCPU."""
    img = sparse_image(tmp_path / "mq.img", 1 << 20)
    script = "echo MQ=$(ls -d /sys/block/vdb/mq/* | wc -l)\n"
    r = boot_script(script, disks=[img], cpus=2, timeout=300)
    assert r.rc == 0 and r.markers.status == 0, r.describe()
    assert field(r.console, "MQ") == "2", r.describe()


def attach_loop(backing):
    """losetup on a free loop device; fails the test when there is none (the L1
    test host loads the loop module: scripts/testhost's L1_MODULES)."""
    p = subprocess.run(["losetup", "-f", "--show", backing], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        pytest.fail("losetup -f --show %s: %s (root with the loop module loaded is needed)"
                    % (backing, p.stderr.strip()))
    return p.stdout.strip()


def test_host_block_device(boot_script, tmp_path):
    """type=dev attaches a host block device (a loop device over a file here):
    capacity from BLKGETSIZE64, writes reach the backing file, both small ones
    (through the host page cache) and 1 MiB O_DIRECT ones (which the backend
    sends past the page cache: block devices always take O_DIRECT)."""
    backing = sparse_image(tmp_path / "loop.img", 8 << 20)
    dev = attach_loop(backing)
    try:
        script = ("echo SIZE=$(blockdev --getsize64 /dev/vdb)\n"
                  "echo loop-device-data > /tmp/x\n"
                  "dd if=/tmp/x of=/dev/vdb bs=512 seek=3 conv=fsync,sync 2>/dev/null\n"
                  "dd if=/dev/urandom of=/tmp/r bs=1M count=2 2>/dev/null\n"
                  "dd if=/tmp/r of=/dev/vdb bs=1M seek=1 oflag=direct 2>/dev/null\n"
                  "echo WROTE=$(sha256sum </tmp/r | cut -d' ' -f1)\n"
                  "echo READ=$(dd if=/dev/vdb bs=1M skip=1 count=2 iflag=direct 2>/dev/null"
                  " | sha256sum | cut -d' ' -f1)\n")
        r = boot_script(script, devices=["virtio-blk,path=%s,type=dev" % dev], timeout=300)
    finally:
        subprocess.run(["losetup", "-d", dev])
    assert r.rc == 0 and r.markers.status == 0, r.describe()
    assert field(r.console, "SIZE") == str(8 << 20), r.describe()
    with open(backing, "rb") as f:
        f.seek(3 * 512)
        assert f.read(17) == b"loop-device-data\n"
        f.seek(1 << 20)
        on_host = hashlib.sha256(f.read(2 << 20)).hexdigest()
    assert on_host != hashlib.sha256(bytes(2 << 20)).hexdigest(), r.describe()
    assert field(r.console, "WROTE") == field(r.console, "READ") == on_host, r.describe()


def test_type_dev_needs_a_block_device(vfkit_bin, guest, tmp_path):
    img = sparse_image(tmp_path / "plain.img", 1 << 20)
    log = tmp_path / "console.log"
    argv = [vfkit_bin] + vmtest.vfkit_args(guest, log,
                                           devices=["virtio-blk,path=%s,type=dev" % img])
    r = vmtest.run_vm(argv, log, tmp_path / "vm", timeout=60)
    assert r.rc != 0, r.describe()
    assert "file %s is not a block device" % img in r.stderr, r.describe()
