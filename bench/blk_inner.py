# SPDX-License-Identifier: Apache-2.0
"""Block benchmark body; bench/blk.sh runs it where /dev/kvm works.

Puts one raw image on a medium both VMMs can use, boots the guest with vfkit
and then with QEMU (q35, virtio-blk-pci, aio=io_uring, cache=none), 2 vCPUs,
1024 MiB, the image as /dev/vdb, and runs four fio jobs in the guest
(O_DIRECT, libaio). The guest prints one line per job:

    @@FIO@@ <job> <error> <read KiB/s> <read IOPS> <read lat us> \
            <write KiB/s> <write IOPS> <write lat us>

(fields 5, 7, 8, 40, 48, 49, 81 of fio's terse v3 line). Prints the table
figure / vfkit / qemu / vfkit:qemu and a summary line.

Medium: BENCH_BLK_DIR if set; else /dev/shm if it takes O_DIRECT; else, in the
L1 test host, ext4 on a RAM block device (brd) with modules from the guest
kernel tree (the L1 kernel is that same kernel); else the scratch dir.

usage: blk_inner.py SECONDS KERNEL INITRD VFKIT WORKDIR KTREE
"""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))
import vmtest  # noqa: E402

CPUS = 2
MEM_MIB = 1024
IMG_MIB = 512
FIO_RE = re.compile(r"@@FIO@@ (\S+) (-?\d+) ([0-9.]+) ([0-9.]+) ([0-9.]+) "
                    r"([0-9.]+) ([0-9.]+) ([0-9.]+)")
# (job, rw, block size, queue depth), in the order they run: small requests
# first, so that a device that fails on large ones still yields those figures.
JOBS = [("randread-qd1", "randread", "4k", 1), ("randread-qd32", "randread", "4k", 32),
        ("seqread", "read", "1M", 16), ("seqwrite", "write", "1M", 16)]
# (label, job, which: "w" or "r", what: "bw" or "iops")
FIGURES = [("seq write 1M qd16 [MB/s]", "seqwrite", "w", "bw"),
           ("seq read 1M qd16 [MB/s]", "seqread", "r", "bw"),
           ("rand read 4k qd1 [IOPS]", "randread-qd1", "r", "iops"),
           ("rand read 4k qd32 [IOPS]", "randread-qd32", "r", "iops")]


def guest_script(secs):
    # fio runs in the background under a watchdog: a device that stops
    # answering leaves fio in uninterruptible sleep, so report and give up
    # instead of waiting for test_timeout.
    limit = 3 * secs + 90
    lines = ["RT=%d LIMIT=%d" % (secs, limit),
             "for spec in %s; do" % " ".join('"%s %s %s %d"' % j for j in JOBS),
             "  set -- $spec",
             "  fio --name=$1 --filename=/dev/vdb --direct=1 --ioengine=libaio --rw=$2"
             " --bs=$3 --iodepth=$4 --numjobs=1 --time_based --runtime=$RT --ramp_time=2"
             " --norandommap --randrepeat=0 --output-format=terse --terse-version=3"
             " >/tmp/fio.out 2>&1 &",
             "  pid=$! n=0",
             "  while kill -0 $pid 2>/dev/null; do",
             "    n=$((n + 1))",
             "    if [ $n -gt $LIMIT ]; then",
             "      echo \"fio $1: no result after $LIMIT s (device hung?)\"; exit 4",
             "    fi",
             "    sleep 1",
             "  done",
             "  wait $pid",
             "  rc=$?",
             "  line=$(grep '^3;' /tmp/fio.out | head -n 1)",
             "  if [ $rc -ne 0 ] || [ -z \"$line\" ]; then",
             "    echo \"fio $1 failed (status $rc):\"; tail -n 20 /tmp/fio.out; exit 3",
             "  fi",
             "  echo \"$line\" | awk -F';' -v j=$1 '{ print \"@@FIO@@ \" j, $5, $7, $8, $40,"
             " $48, $49, $81 }'",
             "done"]
    return "\n".join(lines) + "\n"


def sh(cmd):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def odirect_ok(d):
    p = os.path.join(d, ".odirect-probe")
    try:
        fd = os.open(p, os.O_CREAT | os.O_RDWR | os.O_DIRECT, 0o600)
        os.close(fd)
        return True
    except OSError:
        return False
    finally:
        try:
            os.unlink(p)
        except OSError:
            pass


def ramdisk_ext4(ktree):
    """ext4 on /dev/ram0 (brd) mounted on /run/blkbench -> (dir, description)."""
    kver = os.uname().release
    mp = "/run/blkbench"
    if not os.path.isdir(os.path.join(ktree, "lib/modules", kver)):
        raise RuntimeError("no modules for the running kernel %s in %s" % (kver, ktree))
    size_kib = (IMG_MIB + 128) * 1024
    for cmd in (["modprobe", "-C", "/dev/null", "-d", ktree, "-S", kver, "brd", "rd_nr=1",
                 "rd_size=%d" % size_kib],
                ["modprobe", "-C", "/dev/null", "-d", ktree, "-S", kver, "ext4"],
                ["mke2fs", "-q", "-F", "-t", "ext4", "/dev/ram0"],
                ["mkdir", "-p", mp], ["mount", "-t", "ext4", "/dev/ram0", mp]):
        r = sh(cmd)
        if r.returncode != 0:
            raise RuntimeError("%s: %s" % (" ".join(cmd), r.stdout.strip()))
    return mp, "ext4 on a %d MiB RAM block device (brd /dev/ram0) in L1" % (size_kib // 1024)


def pick_medium(workdir, ktree):
    d = os.environ.get("BENCH_BLK_DIR")
    if d:
        return d, "BENCH_BLK_DIR=%s" % d
    if odirect_ok("/dev/shm"):
        return "/dev/shm", "tmpfs /dev/shm"
    if os.environ.get("TESTHOST_MODE") == "l1":
        try:
            return ramdisk_ext4(ktree)
        except RuntimeError as e:
            print("blk: no RAM disk (%s); using the scratch dir" % e, flush=True)
    return str(workdir), "the scratch dir %s" % workdir


def make_image(path):
    # Real blocks, not a sparse file: reads of holes would skip the medium.
    r = sh(["dd", "if=/dev/zero", "of=%s" % path, "bs=1M", "count=%d" % IMG_MIB,
            "conv=fsync", "status=none"])
    if r.returncode != 0:
        raise RuntimeError("dd: " + r.stdout)


def drop_caches():
    """In L1 only: the host page cache of a real machine is not ours to drop."""
    if os.environ.get("TESTHOST_MODE") != "l1":
        return
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
    except OSError:
        pass


def run_one(name, argv, log, workdir, timeout):
    """-> ({job: (err, rkib, riops, rlat, wkib, wiops, wlat)}, error text or None)"""
    drop_caches()
    Path(log).write_bytes(b"")
    vm = vmtest.VM(argv, log, workdir / name, timeout=timeout).start()
    t0 = time.monotonic()
    err = None
    try:
        rc = vm.wait()
    except vmtest.VMError:
        rc = None
        err = "no exit within %d s" % timeout
    finally:
        vm.close()
    r = vm.result()
    res = {}
    for m in FIO_RE.finditer(r.console):
        res.setdefault(m.group(1), tuple(float(x) for x in m.groups()[1:]))
    if err is None and (rc != 0 or r.markers.status != 0 or len(res) != len(JOBS)):
        err = "exit status %s, guest status %s, %d of %d fio results" % (
            rc, r.markers.status, len(res), len(JOBS))
    if err:
        print("%s FAILED after %.0f s: %s" % (name, time.monotonic() - t0, err), flush=True)
        print("--- %s stderr (last lines):\n%s" % (name, "\n".join(r.stderr.splitlines()[-15:])))
        print("--- %s console (last lines):\n%s" % (
            name, "\n".join(r.console.replace("\r", "").splitlines()[-30:])), flush=True)
    else:
        print("%s: done in %.0f s" % (name, time.monotonic() - t0), flush=True)
        for line in r.stderr.splitlines():
            if "warning" in line or "error" in line:
                print("  %s stderr: %s" % (name, line), flush=True)
    return res, err


def figure(res, job, which, what):
    v = res.get(job)
    if not v or v[0] != 0:
        return None
    kib, iops = (v[4], v[5]) if which == "w" else (v[1], v[2])
    return kib * 1024 / 1e6 if what == "bw" else iops


def main():
    secs = int(sys.argv[1])
    kernel, initrd, vfkit, workdir, ktree = sys.argv[2:7]
    workdir = Path(workdir)
    guest = vmtest.Guest(kernel=kernel, bzimage=kernel, elf=kernel, initrd=initrd)
    medium, desc = pick_medium(workdir, ktree)
    img = os.path.join(medium, "blkbench.img")
    make_image(img)
    cache = "none" if odirect_ok(medium) else "writeback"
    # Diagnosis: QEMU buffered (writeback) on the same medium, as vfkit does I/O.
    cache = os.environ.get("BENCH_BLK_QEMU_CACHE", cache)
    script = vmtest.script_disk(workdir / "script.img", guest_script(secs))
    cmdline = vmtest.guest_cmdline(test="/dev/vda", timeout=6 * (secs + 30))
    log = str(workdir / "console.log")
    timeout = 300 + 6 * (secs + 20)
    drive = "file=%s,if=none,id=bench,format=raw,aio=io_uring,cache=%s" % (img, cache)
    vmms = [
        ("vfkit", [vfkit] + vmtest.vfkit_args(guest, log, disks=[script, img], cpus=CPUS,
                                              memory=MEM_MIB, cmdline=cmdline)),
        ("qemu", vmtest.qemu_args(guest, log, disks=[script], cpus=CPUS, memory=MEM_MIB,
                                  cmdline=cmdline) +
         ["-drive", drive, "-device", "virtio-blk-pci,drive=bench"]),
    ]
    only = os.environ.get("BENCH_BLK_ONLY")  # development: one VMM only
    if only:
        vmms = [v for v in vmms if v[0] == only]
    print("image: %d MiB raw, %s; QEMU cache=%s%s" % (
        IMG_MIB, desc, cache, "" if cache == "none" else " (NOT the cache=none of issue 4)"))
    print("vfkit: --device virtio-blk,path=IMG (io_uring, buffered)")
    print("qemu:  -M q35 -enable-kvm -cpu host -drive %s -device virtio-blk-pci,drive=bench" %
          drive.replace(img, "IMG"))
    print("guest: %d vCPUs, %d MiB, %s; fio %d s (+2 s ramp) per job, O_DIRECT, libaio" %
          (CPUS, MEM_MIB, os.path.basename(kernel), secs), flush=True)
    results = {"vfkit": {}, "qemu": {}}
    errors = {"vfkit": "not run", "qemu": "not run"}
    for name, argv in vmms:
        results[name], errors[name] = run_one(name, argv, log, workdir, timeout)
    try:
        os.unlink(img)
    except OSError:
        pass

    print("\n%-26s %10s %10s %12s" % ("figure", "vfkit", "qemu", "vfkit/qemu"))
    ratios = []
    for label, job, which, what in FIGURES:
        v = figure(results["vfkit"], job, which, what)
        q = figure(results["qemu"], job, which, what)
        fmt = "%.1f" if what == "bw" else "%.0f"
        ratio = v / q if v is not None and q else None
        if ratio is not None:
            ratios.append((label, ratio))
        print("%-26s %10s %10s %12s" % (label, fmt % v if v is not None else "failed",
                                        fmt % q if q is not None else "failed",
                                        "%.2f" % ratio if ratio is not None else "n/a"))
    v, q = results["vfkit"].get("randread-qd1"), results["qemu"].get("randread-qd1")
    if v and q:
        print("rand read 4k qd1 mean latency: vfkit %.0f us, qemu %.0f us" % (v[3], q[3]))
    failed = ["%s (%s)" % (n, errors[n]) for n in ("vfkit", "qemu") if errors[n]]
    if ratios:
        worst = min(ratios, key=lambda x: x[1])
        verdict = "target met" if worst[1] >= 1.0 else "target NOT met"
        if len(ratios) < len(FIGURES):
            verdict += " on the figures measured"
        print("summary: vfkit/qemu %s (%d of %d figures), worst %.2f (%s): %s "
              "(target: at least QEMU on every figure)" % (
                  " ".join("%.2f" % r for _, r in ratios), len(ratios), len(FIGURES),
                  worst[1], worst[0], verdict))
    if failed:
        print("summary: incomplete; failed: %s" % "; ".join(failed))
    return 0 if len(ratios) == len(FIGURES) and not failed else 1

if __name__ == "__main__":
    sys.exit(main())
