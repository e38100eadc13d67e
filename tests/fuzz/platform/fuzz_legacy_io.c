// SPDX-License-Identifier: Apache-2.0
/*
 * A hostile guest poking the legacy devices: the input is a sequence of
 * port accesses (device, offset, width, direction, value) applied to COM1,
 * the RTC/CMOS, the i8042 and the ACPI PM block. Besides memory safety it
 * checks invariants a driver relies on and that IRQ lines only toggle.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/layout.h"
#include "arch/x86/legacy.h"
#include "util/log.h"

static bool level[IOAPIC_NUM_PINS];

static void irq(void *opaque, unsigned int gsi, bool l)
{
	(void)opaque;
	if (gsi >= IOAPIC_NUM_PINS || level[gsi] == l)
		abort(); /* only real transitions are reported */
	level[gsi] = l;
}

static void nop(void *opaque)
{
	(void)opaque;
}

static void out(void *opaque, const uint8_t *buf, size_t len)
{
	(void)opaque;
	(void)buf;
	if (len == 0)
		abort();
}

static const struct platform_ops ops = {irq, nop, nop, out, NULL};

static void fixed_clock(struct timespec *ts)
{
	ts->tv_sec = 1700000000;
	ts->tv_nsec = 999900000; /* inside the update-in-progress window */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t widths[] = {1, 2, 4, 8};
	struct uart *u;
	struct rtc *r;
	struct i8042 *k;
	struct pm *pm;

	log_set_level(LOG_LEVEL_ERROR);
	memset(level, 0, sizeof(level));
	u = uart_new(&ops, COM1_IRQ);
	r = rtc_new(&ops, NULL, MiB(512));
	k = i8042_new(&ops);
	pm = pm_new(&ops);
	if (!u || !r || !k || !pm)
		abort();
	rtc_set_clock(r, fixed_clock);

	while (size >= 4) {
		uint8_t dev = data[0] % 6, off = data[1];
		uint32_t len = widths[data[2] & 3];
		bool wr = data[2] & 4;
		uint8_t buf[8];

		memset(buf, 0xff, sizeof(buf));
		memcpy(buf, data + 3, size - 3 < 8 ? size - 3 : 8);
		data += 4;
		size -= 4;
		switch (dev) {
		case 0:
			uart_io(u, off % 8, buf, len, wr);
			break;
		case 1:
			rtc_io(r, off % 2, buf, len, wr);
			break;
		case 2:
			i8042_data_io(k, 0, buf, len, wr);
			i8042_cmd_io(k, off & 1, buf, len, wr);
			break;
		case 3:
			pm_io(pm, off % ACPI_PM_LEN, buf, len, wr);
			break;
		case 4:
			pm_reset_io(pm, off & 1, buf, len, wr);
			if (off & 2)
				pm_power_button(pm);
			break;
		default:
			uart_receive(u, buf, off % 9);
			break;
		}
		/* The transmitter is always empty: a driver waiting on THRE never hangs. */
		uint8_t lsr = 5;

		uart_io(u, 5, &lsr, 1, false);
		if (!(lsr & 0x60))
			abort();
	}
	uart_free(u);
	rtc_free(r);
	i8042_free(k);
	pm_free(pm);
	return 0;
}
