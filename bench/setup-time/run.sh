#!/bin/sh
# Setup time of the VMM: from exec to the first KVM_RUN of vCPU 0.
#
#   bench/setup-time/run.sh [-n RUNS] -- VMM [ARGS...]
#
# Needs a working /dev/kvm, so on a PVM host run it inside the test host:
#
#   eval "$(../shared/testhost/mkguest --env)"
#   ../shared/testhost/testhost run --smp 1 -- bench/setup-time/run.sh -n 5 -- \
#       build/vfkit --cpus 1 --memory 1024 \
#       --bootloader linux,kernel=$GUEST_KERNEL,initrd=$GUEST_INITRD,cmdline=console=ttyS0
#
# The VMM reads VFKIT_EXEC_TIME_NS (CLOCK_REALTIME in ns, taken right before
# exec) and logs "setup time: X ms from exec to the first KVM_RUN" (vmm/vcpu.c).
# Each run is stopped as soon as that line appears. Prints every run and the
# median, in ms.
set -eu

runs=5
while [ $# -gt 0 ]; do
	case $1 in
	-n) runs=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "usage: $0 [-n RUNS] -- VMM [ARGS...]" >&2; exit 2 ;;
	esac
done
[ $# -gt 0 ] || { echo "usage: $0 [-n RUNS] -- VMM [ARGS...]" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
i=0
while [ "$i" -lt "$runs" ]; do
	i=$((i + 1))
	log=$tmp/run$i.log
	sh -c 'VFKIT_EXEC_TIME_NS=$(date +%s%N); export VFKIT_EXEC_TIME_NS; exec "$@"' \
		vmm "$@" >/dev/null 2>"$log" &
	pid=$!
	n=0
	while ! grep -q 'setup time:' "$log" && kill -0 "$pid" 2>/dev/null; do
		n=$((n + 1))
		[ "$n" -lt 600 ] || break
		sleep 0.1
	done
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	ms=$(sed -n 's/.*setup time: \([0-9.]*\) ms.*/\1/p' "$log" | head -n 1)
	if [ -z "$ms" ]; then
		echo "run $i: no setup time reported; VMM output:" >&2
		cat "$log" >&2
		exit 1
	fi
	echo "run $i: $ms ms"
	echo "$ms" >>"$tmp/all"
done
sort -n "$tmp/all" | awk '{ v[NR] = $1 } END {
	m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
	printf "median of %d: %.2f ms (min %.2f, max %.2f)\n", NR, m, v[1], v[NR] }'
