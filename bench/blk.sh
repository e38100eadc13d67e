#!/bin/bash
# bench/blk.sh - virtio-blk throughput and IOPS: vfkit against QEMU (issue 4).
#
#   bench/blk.sh [SECONDS]        (default 10 s per fio job)
#
# fio in the guest, O_DIRECT (--direct=1 --ioengine=libaio) on /dev/vdb:
# sequential 1 MiB write and read (queue depth 16), 4 KiB random read at
# queue depth 1 and 32. The same guest (scripts/mkguest tools image: fio in
# the initramfs), 2 vCPUs, 1024 MiB, the same raw image on the same medium:
#   vfkit: --device virtio-blk,path=IMG  (io_uring, buffered: host page cache)
#   QEMU:  -M q35, -drive ...,format=raw,aio=io_uring,cache=none
#          -device virtio-blk-pci
# One run each, in ONE `scripts/testhost auto` session (L1 --smp
# ${BENCH_L1_SMP:-2}, so that the 2 guest vCPUs can run in parallel).
# cache=none needs O_DIRECT, which tmpfs lacks on the test host's 6.1 kernel:
# the image then lives on ext4 on a RAM block device (brd) inside L1; the
# output says which medium was used. BENCH_BLK_DIR=DIR puts it in DIR instead.
# Diagnosis knobs: BENCH_BLK_ONLY=vfkit|qemu runs one VMM; BENCH_BLK_QEMU_CACHE=
# writeback gives QEMU buffered I/O like vfkit's.
# Prints a table (figure, vfkit, qemu, vfkit/qemu) and a summary line; a vfkit
# failure is reported with its messages and leaves the QEMU column standing.
# Uses build/vfkit (or $VFKIT). See bench/blk_inner.py.
set -euo pipefail

ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
cd "$ROOT"
SECS=${1:-10}
[[ $SECS =~ ^[1-9][0-9]*$ ]] || { echo "usage: bench/blk.sh [SECONDS]" >&2; exit 2; }
VFKIT=${VFKIT:-$ROOT/build/vfkit}
[ -x "$VFKIT" ] || echo "blk.sh: no vfkit at $VFKIT; its column will fail" >&2

# The tools image (fio and its libraries), as tests/integration/vmtest.py builds it.
eval "$(scripts/mkguest -q --name guest-tools --bin /usr/bin/fio --bin /usr/bin/socat)"
KERNEL=$VFKIT_GUEST_KERNEL_ELF
[ "${BENCH_KERNEL:-elf}" = elf ] || KERNEL=$VFKIT_GUEST_KERNEL
# The unpacked kernel package next to the kernel: brd and ext4 for L1 come from it.
KTREE=$(dirname "$VFKIT_GUEST_KERNEL")/tree

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-blk.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
ENVS=()
[ -z "${BENCH_BLK_DIR:-}" ] || ENVS+=(-e "BENCH_BLK_DIR=$BENCH_BLK_DIR")
[ -z "${BENCH_BLK_ONLY:-}" ] || ENVS+=(-e "BENCH_BLK_ONLY=$BENCH_BLK_ONLY")
[ -z "${BENCH_BLK_QEMU_CACHE:-}" ] || ENVS+=(-e "BENCH_BLK_QEMU_CACHE=$BENCH_BLK_QEMU_CACHE")
# The machine may be shared: the load says how much the figures can be trusted.
echo "host load before: $(cut -d' ' -f1-3 /proc/loadavg)"
rc=0
scripts/testhost auto --smp "${BENCH_L1_SMP:-2}" --timeout $((2 * (300 + 6 * (SECS + 20)) + 120)) \
	--scratch "$WORK" "${ENVS[@]}" -- /usr/bin/python3 bench/blk_inner.py "$SECS" "$KERNEL" \
	"$VFKIT_GUEST_INITRD" "$VFKIT" "$WORK" "$KTREE" || rc=$?
echo "host load after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$rc"
