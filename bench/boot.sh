#!/bin/bash
# bench/boot.sh - boot time and VMM memory: vfkit vs QEMU (microvm and q35).
#
#   bench/boot.sh [RUNS]          (default 5)
#
# Same guest for every VMM (scripts/mkguest; the ELF vmlinux, or the bzImage
# with BENCH_KERNEL=bzimage), 1 vCPU, 512 MiB, one virtio-blk disk. All boots
# run in ONE `scripts/testhost auto` session (the L1 test host here, with
# --smp ${BENCH_L1_SMP:-1}), interleaved. Reports per run and medians: time from
# process start to the guest's @@GUEST_READY@@, and the VMM's own resident
# memory (resident memory outside the guest RAM mapping). See bench/boot_inner.py.
# Uses build/vfkit (or $VFKIT); vfkit rows say "failed" until it boots guests.
set -euo pipefail

ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
cd "$ROOT"
RUNS=${1:-5}
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "usage: bench/boot.sh [RUNS]" >&2; exit 2; }
VFKIT=${VFKIT:-$ROOT/build/vfkit}
[ -x "$VFKIT" ] || echo "boot.sh: no vfkit at $VFKIT; its rows will fail" >&2

eval "$(scripts/mkguest -q)"
KERNEL=$VFKIT_GUEST_KERNEL_ELF
[ "${BENCH_KERNEL:-elf}" = elf ] || KERNEL=$VFKIT_GUEST_KERNEL

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-boot.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
scripts/testhost auto --smp "${BENCH_L1_SMP:-1}" --timeout $((RUNS * 3 * 150 + 120)) \
	--scratch "$WORK" -- /usr/bin/python3 bench/boot_inner.py "$RUNS" "$KERNEL" \
	"$VFKIT_GUEST_INITRD" "$VFKIT" "$WORK"
