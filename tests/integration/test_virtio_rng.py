# SPDX-License-Identifier: Apache-2.0
"""virtio-rng with a real guest (issue 4): /dev/hwrng is the virtio device and
yields host entropy."""

import re


def test_hwrng_yields_random_bytes(boot_script):
    script = (
        "echo CURRENT=$(cat /sys/class/misc/hw_random/rng_current)\n"
        "echo BYTES=$(dd if=/dev/hwrng bs=512 count=8 iflag=fullblock 2>/dev/null | wc -c)\n"
        "echo DISTINCT=$(dd if=/dev/hwrng bs=1024 count=1 iflag=fullblock 2>/dev/null | "
        "od -An -v -tx1 | tr -s ' ' '\\n' | grep . | sort -u | wc -l)\n"
    )
    r = boot_script(script, devices=["virtio-rng"])
    assert r.rc == 0 and r.markers.status == 0, r.describe()
    assert re.search(r"^CURRENT=virtio_rng", r.console, re.M), r.describe()
    assert re.search(r"^BYTES=4096\s*$", r.console, re.M), r.describe()
    distinct = int(re.search(r"^DISTINCT=(\d+)", r.console, re.M).group(1))
    # 1 KiB of uniform bytes shows nearly all 256 values; zeroes or a pattern do not.
    assert distinct > 200, r.describe()
