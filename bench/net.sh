#!/bin/bash
# bench/net.sh - TCP throughput of vfkit's virtio-net against QEMU's.
#
#   bench/net.sh [RUNS] [SECONDS]        (defaults: 1 run, 5 s per iperf3 test)
#
# Same guest (scripts/mkguest plus iperf3), 1 vCPU, 512 MiB, in ONE
# `scripts/testhost auto` session, interleaved:
#   nat:    guest <-> host through user-mode NAT: vfkit nat (libslirp) against
#           QEMU -netdev user; iperf3 server on the host's 127.0.0.1, reached
#           through the gateway; guest->host and host->guest (-R).
#   socket: two guests joined by one datagram socketpair, one Ethernet frame
#           per datagram: vfkit fd= against QEMU -netdev dgram,local.type=fd
#           on the same kind of socketpair, and -netdev stream on a stream
#           socketpair ("qemu-stream"); client->server and -R.
# Prints Mbit/s per run, medians, and vfkit / QEMU ratios. Needs iperf3 on the
# host (Debian package iperf3). BENCH_NET_CASES="nat:vfkit socket:qemu ..."
# runs only those. See bench/net_inner.py.
set -euo pipefail

ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
cd "$ROOT"
RUNS=${1:-1}
SECS=${2:-5}
[[ $RUNS =~ ^[1-9][0-9]*$ && $SECS =~ ^[1-9][0-9]*$ ]] ||
	{ echo "usage: bench/net.sh [RUNS] [SECONDS]" >&2; exit 2; }
VFKIT=${VFKIT:-$ROOT/build/vfkit}
[ -x "$VFKIT" ] || echo "net.sh: no vfkit at $VFKIT; its rows will fail" >&2
IPERF=$(command -v iperf3) || { echo "net.sh: iperf3 is not installed" >&2; exit 2; }

eval "$(scripts/mkguest -q --name netbench --bin "$IPERF")"
KERNEL=$VFKIT_GUEST_KERNEL_ELF
[ "${BENCH_KERNEL:-elf}" = elf ] || KERNEL=$VFKIT_GUEST_KERNEL

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-net.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
scripts/testhost auto --smp "${BENCH_L1_SMP:-1}" --timeout $((RUNS * 4 * (240 + 4 * SECS) + 120)) \
	--scratch "$WORK" -e BENCH_NET_CASES -- /usr/bin/python3 bench/net_inner.py "$RUNS" "$SECS" "$KERNEL" \
	"$VFKIT_GUEST_INITRD" "$VFKIT" "$WORK"
