# SPDX-License-Identifier: Apache-2.0
"""--cloud-init: vfkit builds a NoCloud seed ISO (volume "cidata") from the
files it is given, attaches it after the --device disks, and deletes it at
exit (reference section 8)."""

import os


def test_cloud_init_seed_reaches_the_guest(boot_script, tmp_path, monkeypatch):
    seed = tmp_path / "seed"
    seed.mkdir()
    (seed / "user-data").write_text("#cloud-config\nhostname: vfkit-guest\n")
    (seed / "meta-data").write_text("instance-id: iid-vfkit-test\n")
    isodir = tmp_path / "tmpdir"
    isodir.mkdir()
    monkeypatch.setenv("TMPDIR", str(isodir))
    # A leftover ISO of a vfkit that no longer runs is removed at start.
    (isodir / "vfkit-cloudinit").mkdir(mode=0o700)
    stale = isodir / "vfkit-cloudinit" / "vfkit-cloudinit-99999999-1.iso"
    stale.write_bytes(b"stale")

    script = (
        # The volume id sits at byte 40 of the primary volume descriptor (sector 16).
        "echo LABEL=$(dd if=/dev/vdb bs=1 skip=32808 count=6 2>/dev/null)\n"
        "mkdir -p /mnt/seed && mount -t iso9660 -o ro /dev/vdb /mnt/seed || exit 2\n"
        "ls /mnt/seed\n"
        "grep -q 'hostname: vfkit-guest' /mnt/seed/user-data || exit 3\n"
        "grep -q 'instance-id: iid-vfkit-test' /mnt/seed/meta-data || exit 4\n"
        "[ -f /mnt/seed/network-config ] && [ ! -s /mnt/seed/network-config ] || exit 5\n"
        "echo SEED-OK\n")
    r = boot_script(script, extra=["--cloud-init",
                                   "%s,%s" % (seed / "user-data", seed / "meta-data")],
                    timeout=300)
    assert r.rc == 0, r.describe()
    assert r.markers.status == 0, r.describe()
    assert "SEED-OK" in r.console
    assert "LABEL=cidata" in r.console, r.describe()
    # Nothing is left behind: neither the stale ISO nor this run's.
    assert os.listdir(isodir / "vfkit-cloudinit") == []
