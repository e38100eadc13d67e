# SPDX-License-Identifier: Apache-2.0
"""Boot benchmark body; bench/boot.sh runs it where /dev/kvm works.

For each VMM (vfkit, QEMU microvm, QEMU q35), RUNS times: start it with the
same guest and devices (1 vCPU, 512 MiB, a virtio-blk disk whose script
sleeps a few seconds, a virtio console into a file), measure the time from
starting the process to the guest's @@GUEST_READY@@ line in the console log,
then sample /proc/PID/smaps one second later: the resident memory of the
mappings at least as large as guest RAM is the guest's, everything else is the
VMM's own. (Both VMMs keep their default guest RAM: anonymous memory with huge
pages in QEMU and, unless shared memory gets huge pages, in vfkit; the Rss*
totals of /proc/PID/status would mix guest and VMM memory.) Prints medians
and vfkit's ratios.

usage: boot_inner.py RUNS KERNEL INITRD VFKIT WORKDIR
"""

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))
import vmtest  # noqa: E402

MEM_MIB = 512
SLEEP_S = 4
BOOT_TIMEOUT = 120


def qemu_argv(guest, log, disk, machine):
    """QEMU with the devices vfkit gets: the disk and a virtio console into a
    file. Without the console the guest's init would skip its wait for hvc0
    and QEMU would boot a different, smaller machine."""
    bus = "virtio-serial-device" if machine.startswith("microvm") else "virtio-serial-pci"
    return vmtest.qemu_args(guest, log, disks=[disk], memory=MEM_MIB, machine=machine) + [
        "-device", bus, "-chardev", "file,id=vc0,path=%s.hvc0" % log,
        "-device", "virtconsole,chardev=vc0"]


def rss_kib(pid):
    """{"own": KiB, "guest": KiB}: Rss of mappings smaller / not smaller than guest RAM."""
    fields = {"own": 0, "guest": 0}
    big = False
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            head = line.split(None, 1)[0]
            if "-" in head and not head.endswith(":"):  # a mapping's header line
                start, end = (int(x, 16) for x in head.split("-"))
                big = end - start >= MEM_MIB << 20
            elif head == "Rss:":
                fields["guest" if big else "own"] += int(line.split()[1])
    return fields


def one_boot(argv, log, workdir):
    """(seconds to READY, {Rss fields}) or raises vmtest.VMError."""
    Path(log).write_bytes(b"")
    with open(workdir / "out", "wb") as out, open(workdir / "err", "wb") as err:
        t0 = time.monotonic()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        try:
            ready = None
            while ready is None:
                if b"@@GUEST_READY@@" in Path(log).read_bytes():
                    ready = time.monotonic() - t0
                    break
                if proc.poll() is not None:
                    msg = (workdir / "err").read_text(errors="replace").strip().splitlines()
                    raise vmtest.VMError("exited with %s before READY: %s" %
                                         (proc.returncode, msg[-1] if msg else "no message"))
                if time.monotonic() - t0 > BOOT_TIMEOUT:
                    raise vmtest.VMError("no READY within %d s" % BOOT_TIMEOUT)
                time.sleep(0.02)
            time.sleep(1)
            rss = rss_kib(proc.pid)
            rc = proc.wait(timeout=BOOT_TIMEOUT)
            if rc != 0:
                raise vmtest.VMError("exit status %d after the guest powered off" % rc)
            return ready, rss
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def main():
    runs, kernel, initrd, vfkit, workdir = sys.argv[1:6]
    runs = int(runs)
    workdir = Path(workdir)
    guest = vmtest.Guest(kernel=kernel, bzimage=kernel, elf=kernel, initrd=initrd)
    disk = vmtest.script_disk(workdir / "script.img", "sleep %d\n" % SLEEP_S)
    log = str(workdir / "console.log")
    cmdline = vmtest.guest_cmdline(test="/dev/vda")
    vmms = [
        ("vfkit", [vfkit] + vmtest.vfkit_args(guest, log, disks=[disk], memory=MEM_MIB,
                                              cmdline=cmdline)),
        ("qemu-microvm", qemu_argv(guest, log, disk, "microvm,rtc=on")),
        ("qemu-q35", qemu_argv(guest, log, disk, "q35")),
    ]
    results = {}
    for i in range(runs):  # interleaved, so that load changes hit every VMM alike
        for name, argv in vmms:
            if results.get(name) == "failed":
                continue
            try:
                t, rss = one_boot(argv, log, workdir)
            except (vmtest.VMError, OSError, subprocess.TimeoutExpired) as e:
                print("%-13s run %d: FAILED: %s" % (name, i + 1, e), flush=True)
                results[name] = "failed"
                continue
            own, gram = rss["own"] / 1024, rss["guest"] / 1024
            print("%-13s run %d: ready %.2f s, VMM RSS %.1f MiB, guest RAM RSS %.1f MiB" %
                  (name, i + 1, t, own, gram), flush=True)
            results.setdefault(name, []).append((t, own, gram))

    print("\nmedians of %d runs (1 vCPU, %d MiB, kernel %s):" % (runs, MEM_MIB,
                                                               os.path.basename(kernel)))
    print("%-13s %10s %16s %14s" % ("VMM", "ready [s]", "VMM RSS [MiB]", "guest RAM [MiB]"))
    med = {}
    for name, _ in vmms:
        r = results.get(name)
        if not isinstance(r, list):
            print("%-13s %10s" % (name, "failed"))
            continue
        med[name] = tuple(statistics.median(x[k] for x in r) for k in range(3))
        print("%-13s %10.2f %16.1f %14.1f" % ((name,) + med[name]))
    for other in ("qemu-microvm", "qemu-q35"):
        if "vfkit" in med and other in med:
            print("vfkit / %-12s ready %.2fx, VMM RSS %.2fx" %
                  (other, med["vfkit"][0] / med[other][0], med["vfkit"][1] / med[other][1]))
        else:
            print("vfkit / %-12s n/a" % other)
    return 0 if len(med) == len(vmms) else 1


if __name__ == "__main__":
    sys.exit(main())
