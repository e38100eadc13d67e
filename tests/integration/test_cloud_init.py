# SPDX-License-Identifier: Apache-2.0
"""--cloud-init: vfkit builds a NoCloud seed ISO (volume "cidata") from the
files it is given, in a private directory of its own, attaches it read-only
after the --device disks, and deletes it at exit (reference section 8)."""

import os


def test_cloud_init_seed_reaches_the_guest(boot_script, tmp_path, monkeypatch):
    seed = tmp_path / "seed"
    seed.mkdir()
    (seed / "user-data").write_text("#cloud-config\nhostname: vfkit-guest\n")
    (seed / "meta-data").write_text("instance-id: iid-vfkit-test\n")
    isodir = tmp_path / "tmpdir"
    isodir.mkdir()
    monkeypatch.setenv("TMPDIR", str(isodir))
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    # A leftover seed of a vfkit that no longer runs is removed at start.
    stale = isodir / "vfkit-cloudinit-99999999-AAAAAA"
    stale.mkdir(mode=0o700)
    (stale / "cidata.iso").write_bytes(b"stale")
    # The fixed name older versions used, planted by another user: ignored.
    planted = isodir / "vfkit-cloudinit"
    planted.mkdir()
    os.chmod(planted, 0o1777)
    os.chown(planted, 65534, 65534)

    script = (
        # The volume id sits at byte 40 of the primary volume descriptor (sector 16).
        "echo LABEL=$(dd if=/dev/vdb bs=1 skip=32808 count=6 2>/dev/null)\n"
        "mkdir -p /mnt/seed && mount -t iso9660 -o ro /dev/vdb /mnt/seed || exit 2\n"
        "ls /mnt/seed\n"
        "grep -q 'hostname: vfkit-guest' /mnt/seed/user-data || exit 3\n"
        "grep -q 'instance-id: iid-vfkit-test' /mnt/seed/meta-data || exit 4\n"
        "[ -f /mnt/seed/network-config ] && [ ! -s /mnt/seed/network-config ] || exit 5\n"
        # Read-only for the guest: the block layer says so and a write fails.
        "echo RO=$(cat /sys/block/vdb/ro)\n"
        "dd if=/dev/zero of=/dev/vdb bs=512 count=1 oflag=direct 2>/dev/null && exit 6\n"
        "echo SEED-OK\n")
    r = boot_script(script, extra=["--cloud-init",
                                   "%s,%s" % (seed / "user-data", seed / "meta-data")],
                    timeout=300)
    assert r.rc == 0, r.describe()
    assert r.markers.status == 0, r.describe()
    assert "SEED-OK" in r.console
    assert "LABEL=cidata" in r.console, r.describe()
    assert "RO=1" in r.console, r.describe()
    # Nothing is left behind: neither the stale seed nor this run's, and the
    # planted directory was never used.
    assert sorted(os.listdir(isodir)) == ["vfkit-cloudinit"]
    assert os.listdir(planted) == []
