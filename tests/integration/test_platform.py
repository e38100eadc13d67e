# SPDX-License-Identifier: Apache-2.0
"""The PC around the CPU as Linux sees it (issue 4): ACPI tables accepted,
the PCIe host bridge, COM1, the RTC (right date, settable, alarm interrupt).
One boot checks all of it, to keep the nested test host busy only once."""

import re
import time

# Each check prints "@@T <name> [value]"; the console may show a line twice
# (COM1 mirrored into the log and /dev/hvc0), the first one counts.
SCRIPT = r"""
echo "@@T rtc_now $(cat /sys/class/rtc/rtc0/since_epoch)"
dmesg > /tmp/dmesg
grep -E 'ACPI (Error|BIOS Error|Warning)|BUG:' /tmp/dmesg && echo "@@T acpi_bad"
grep -q 'ACPI: PM: (supports S0 S5)' /tmp/dmesg && echo "@@T s5"
grep -q 'PNP0A08:00: _OSC: OS now controls' /tmp/dmesg && echo "@@T osc"
grep -q 'root bus resource \[mem 0xc0000000-0xfbffffff window\]' /tmp/dmesg && echo "@@T win32"
grep -q 'MMCONFIG at \[mem 0xb0000000-0xb00fffff\] reserved' /tmp/dmesg && echo "@@T mmconfig"
grep -q 'root bus resource \[bus 00\]$' /tmp/dmesg && echo "@@T onebus"
grep -q 'ttyS0 at I/O 0x3f8 (irq = 4, .*) is a 16550A' /tmp/dmesg && echo "@@T uart"
grep -q 'registered as rtc0' /tmp/dmesg && echo "@@T rtc"
date -u -s "2030-01-02 03:04:05" >/dev/null
hwclock -w -u
echo "@@T rtc_set $(cat /sys/class/rtc/rtc0/since_epoch)"
echo +2 > /sys/class/rtc/rtc0/wakealarm
sleep 4
echo "@@T rtc_irq $(awk '/rtc0/ {print $2}' /proc/interrupts)"
exit 0
"""

SET_EPOCH = 1893553445  # 2030-01-02 03:04:05 UTC


def checks(console):
    found = {}
    for m in re.finditer(r"^@@T (\S+) ?(\S*)\r?$", console, re.M):
        found.setdefault(m.group(1), m.group(2))
    return found


def test_platform_devices_and_rtc(boot_script):
    t0 = time.time()
    r = boot_script(SCRIPT, timeout=400)
    t1 = time.time()
    assert r.rc == 0 and r.markers.status == 0, r.describe()
    c = checks(r.console)
    assert "acpi_bad" not in c, r.describe()
    # onebus: MCFG and _CRS declare bus 0 only, so Linux does not probe 255
    # empty buses for peer bridges (16k port exits per boot).
    for name in ["s5", "osc", "win32", "mmconfig", "onebus", "uart", "rtc"]:
        assert name in c, "%s missing\n%s" % (name, r.describe())
    # The RTC runs on host UTC time.
    assert t0 - 2 <= int(c["rtc_now"]) <= t1 + 2, r.describe()
    # hwclock -w sets it (a second may pass before it is read back).
    assert SET_EPOCH <= int(c["rtc_set"]) <= SET_EPOCH + 3, r.describe()
    # The alarm fired through IRQ 8.
    assert int(c["rtc_irq"]) >= 1, r.describe()
