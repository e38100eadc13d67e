// SPDX-License-Identifier: Apache-2.0
/*
 * The legacy PC devices driven through their port handlers, as a guest
 * driver would, with fake platform callbacks recording IRQ levels,
 * power-off/reset requests and serial output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "arch/x86/layout.h"
#include "arch/x86/legacy.h"

struct fake {
	bool level[IOAPIC_NUM_PINS];
	unsigned int edges[IOAPIC_NUM_PINS]; /* 0 -> 1 transitions */
	unsigned int poweroffs;
	unsigned int resets;
	char out[256];
	size_t out_len;
};

static struct fake fk;

static void fake_irq(void *opaque, unsigned int gsi, bool level)
{
	(void)opaque;
	assert_true(gsi < IOAPIC_NUM_PINS);
	if (level && !fk.level[gsi])
		fk.edges[gsi]++;
	fk.level[gsi] = level;
}

static void fake_poweroff(void *opaque)
{
	(void)opaque;
	fk.poweroffs++;
}

static void fake_reset(void *opaque)
{
	(void)opaque;
	fk.resets++;
}

static void fake_out(void *opaque, const uint8_t *buf, size_t len)
{
	(void)opaque;
	assert_true(fk.out_len + len <= sizeof(fk.out));
	memcpy(fk.out + fk.out_len, buf, len);
	fk.out_len += len;
}

static const struct platform_ops ops = {fake_irq, fake_poweroff, fake_reset, fake_out, NULL};

static int reset_fake(void **state)
{
	(void)state;
	memset(&fk, 0, sizeof(fk));
	return 0;
}

typedef void (*io_fn)(void *, uint64_t, uint8_t *, uint32_t, bool);

static uint32_t in(io_fn fn, void *dev, uint64_t off, uint32_t len)
{
	uint8_t d[8];
	uint32_t v = 0;

	memset(d, 0xff, sizeof(d)); /* as the bus pre-fills */
	fn(dev, off, d, len, false);
	memcpy(&v, d, len < 4 ? len : 4);
	return v;
}

static void out(io_fn fn, void *dev, uint64_t off, uint32_t v, uint32_t len)
{
	uint8_t d[8] = {0};

	memcpy(d, &v, len < 4 ? len : 4);
	fn(dev, off, d, len, true);
}

/* --- UART --- */

#define U_THR 0
#define U_IER 1
#define U_IIR 2
#define U_LCR 3
#define U_MCR 4
#define U_LSR 5
#define U_MSR 6
#define U_SCR 7

static void test_uart_output(void **state)
{
	struct uart *u = uart_new(&ops, COM1_IRQ);

	(void)state;
	assert_true(in(uart_io, u, U_LSR, 1) & 0x20); /* THRE */
	assert_true(in(uart_io, u, U_LSR, 1) & 0x40); /* TEMT */
	for (const char *s = "hello\r\n"; *s; s++)
		out(uart_io, u, U_THR, (uint8_t)*s, 1);
	assert_int_equal(fk.out_len, 7);
	assert_memory_equal(fk.out, "hello\r\n", 7);
	assert_true(in(uart_io, u, U_LSR, 1) & 0x20);
	assert_false(fk.level[COM1_IRQ]); /* IER is 0: no interrupt */
	uart_free(u);
}

static void test_uart_scratch_and_divisor(void **state)
{
	struct uart *u = uart_new(&ops, COM1_IRQ);

	(void)state;
	out(uart_io, u, U_SCR, 0xa5, 1);
	assert_int_equal(in(uart_io, u, U_SCR, 1), 0xa5);
	out(uart_io, u, U_SCR, 0x5a, 1);
	assert_int_equal(in(uart_io, u, U_SCR, 1), 0x5a);

	out(uart_io, u, U_IER, 0x05, 1);
	out(uart_io, u, U_LCR, 0x83, 1); /* DLAB */
	out(uart_io, u, U_THR, 0x01, 1); /* DLL: 115200 baud */
	out(uart_io, u, U_IER, 0x00, 1); /* DLM */
	assert_int_equal(in(uart_io, u, U_THR, 1), 0x01);
	assert_int_equal(in(uart_io, u, U_IER, 1), 0x00);
	assert_int_equal(fk.out_len, 0); /* the DLL write is not output */
	out(uart_io, u, U_LCR, 0x03, 1);
	assert_int_equal(in(uart_io, u, U_LCR, 1), 0x03);
	assert_int_equal(in(uart_io, u, U_IER, 1), 0x05); /* IER kept behind the latch */
	uart_free(u);
}

static void test_uart_thre_interrupt(void **state)
{
	struct uart *u = uart_new(&ops, COM1_IRQ);

	(void)state;
	assert_int_equal(in(uart_io, u, U_IIR, 1) & 0x0f, 0x01); /* none pending */
	/* Enabling THRI with an empty THR interrupts at once. */
	out(uart_io, u, U_IER, 0x02, 1);
	assert_true(fk.level[COM1_IRQ]);
	assert_int_equal(in(uart_io, u, U_IIR, 1) & 0x0f, 0x02);
	/* Reading IIR acknowledged it. */
	assert_false(fk.level[COM1_IRQ]);
	assert_int_equal(in(uart_io, u, U_IIR, 1) & 0x0f, 0x01);
	/* Each transmitted byte empties the THR again: a new interrupt. */
	out(uart_io, u, U_THR, 'a', 1);
	assert_true(fk.level[COM1_IRQ]);
	assert_int_equal(fk.edges[COM1_IRQ], 2);
	out(uart_io, u, U_IER, 0x00, 1);
	assert_false(fk.level[COM1_IRQ]);
	/* Linux's THRE test: toggling IER.THRI must show the interrupt again. */
	out(uart_io, u, U_IER, 0x02, 1);
	assert_int_equal(in(uart_io, u, U_IIR, 1) & 0x0f, 0x02);
	out(uart_io, u, U_IER, 0x00, 1);
	out(uart_io, u, U_IER, 0x02, 1);
	assert_int_equal(in(uart_io, u, U_IIR, 1) & 0x0f, 0x02);
	assert_int_equal(fk.out_len, 1);
	uart_free(u);
}

static void test_uart_fifo_id(void **state)
{
	struct uart *u = uart_new(&ops, COM1_IRQ);

	(void)state;
	out(uart_io, u, U_IIR, 0xc7, 1);			 /* FCR: enable and clear FIFOs */
	assert_int_equal(in(uart_io, u, U_IIR, 1) & 0xc0, 0xc0); /* 16550A */
	out(uart_io, u, U_IIR, 0x00, 1);
	assert_int_equal(in(uart_io, u, U_IIR, 1) & 0xc0, 0x00);
	uart_free(u);
}

static void test_uart_loopback(void **state)
{
	struct uart *u = uart_new(&ops, COM1_IRQ);

	(void)state;
	/* Linux's 8250 probe: loopback with RTS and OUT2 shows CTS and DCD. */
	out(uart_io, u, U_MCR, 0x10 | 0x0a, 1);
	assert_int_equal(in(uart_io, u, U_MSR, 1) & 0xf0, 0x90);
	out(uart_io, u, U_THR, 'x', 1);
	assert_int_equal(fk.out_len, 0);	      /* looped back, not sent */
	assert_true(in(uart_io, u, U_LSR, 1) & 0x01); /* data ready */
	assert_int_equal(in(uart_io, u, U_THR, 1), 'x');
	assert_false(in(uart_io, u, U_LSR, 1) & 0x01);
	out(uart_io, u, U_MCR, 0x0b, 1);
	assert_int_equal(in(uart_io, u, U_MSR, 1) & 0xf0, 0xb0); /* carrier, DSR, CTS */
	uart_free(u);
}

static void test_uart_rx_interrupt(void **state)
{
	struct uart *u = uart_new(&ops, COM1_IRQ);
	const uint8_t in_bytes[] = "ab";

	(void)state;
	out(uart_io, u, U_IER, 0x01, 1);
	assert_false(fk.level[COM1_IRQ]);
	assert_int_equal(uart_receive(u, in_bytes, 2), 2);
	assert_true(fk.level[COM1_IRQ]);
	assert_int_equal(in(uart_io, u, U_IIR, 1) & 0x0f, 0x04);
	assert_int_equal(in(uart_io, u, U_THR, 1), 'a');
	assert_true(fk.level[COM1_IRQ]);
	assert_int_equal(in(uart_io, u, U_THR, 1), 'b');
	assert_false(fk.level[COM1_IRQ]);
	uart_free(u);
}

/* --- RTC --- */

static uint8_t cmos_read(struct rtc *r, uint8_t reg)
{
	out(rtc_io, r, 0, reg, 1);
	return (uint8_t)in(rtc_io, r, 1, 1);
}

static void cmos_write(struct rtc *r, uint8_t reg, uint8_t v)
{
	out(rtc_io, r, 0, reg, 1);
	out(rtc_io, r, 1, v, 1);
}

static unsigned int bcd(uint8_t v)
{
	assert_true((v & 0xf) < 10 && (v >> 4) < 10);
	return (v >> 4) * 10u + (v & 0xf);
}

struct rtc_time {
	unsigned int sec, min, hour, mday, mon, year, wday;
	bool pm;
};

/* Reads all fields, retrying if a second boundary passed in between. */
static void read_time(struct rtc *r, struct rtc_time *t, bool binary)
{
	for (int tries = 0; tries < 5; tries++) {
		uint8_t sec = cmos_read(r, 0);
		uint8_t hour;

		t->min = cmos_read(r, 2);
		hour = cmos_read(r, 4);
		t->wday = cmos_read(r, 6);
		t->mday = cmos_read(r, 7);
		t->mon = cmos_read(r, 8);
		t->year = cmos_read(r, 9) +
			  100u * (binary ? cmos_read(r, 0x32) : bcd(cmos_read(r, 0x32)));
		if (cmos_read(r, 0) != sec)
			continue;
		t->pm = hour & 0x80;
		t->hour = hour & 0x7f;
		t->sec = sec;
		if (!binary) {
			t->sec = bcd(sec);
			t->min = bcd((uint8_t)t->min);
			t->hour = bcd((uint8_t)t->hour);
			t->wday = bcd((uint8_t)t->wday);
			t->mday = bcd((uint8_t)t->mday);
			t->mon = bcd((uint8_t)t->mon);
			t->year = bcd(cmos_read(r, 9)) + 100u * bcd(cmos_read(r, 0x32));
		}
		return;
	}
	fail_msg("RTC seconds never stable");
}

static void assert_near_host(const struct rtc_time *t, long offset, bool h12)
{
	time_t now = time(NULL) + offset;
	struct tm tm;
	long diff;

	gmtime_r(&now, &tm);
	struct tm got = {0};

	got.tm_sec = (int)t->sec;
	got.tm_min = (int)t->min;
	got.tm_hour = (int)(h12 ? (t->hour % 12) + (t->pm ? 12 : 0) : t->hour);
	got.tm_mday = (int)t->mday;
	got.tm_mon = (int)t->mon - 1;
	got.tm_year = (int)t->year - 1900;
	diff = (long)(timegm(&got) - now);
	assert_true(diff >= -2 && diff <= 2);
	assert_int_equal(t->wday, (unsigned int)tm.tm_wday + 1);
}

static void test_rtc_bcd_24h(void **state)
{
	struct rtc *r = rtc_new(&ops, NULL, MiB(512));
	struct rtc_time t;

	(void)state;
	assert_int_equal(cmos_read(r, 0x0b) & 0x06, 0x02); /* BCD, 24 h */
	assert_int_equal(cmos_read(r, 0x0d), 0x80);	   /* valid RAM and time */
	read_time(r, &t, false);
	assert_near_host(&t, 0, false);
	rtc_free(r);
}

static void test_rtc_binary_12h(void **state)
{
	struct rtc *r = rtc_new(&ops, NULL, MiB(512));
	struct rtc_time t;

	(void)state;
	cmos_write(r, 0x0b, 0x04); /* binary, 12 hours */
	read_time(r, &t, true);
	assert_true(t.hour >= 1 && t.hour <= 12);
	assert_near_host(&t, 0, true);
	rtc_free(r);
}

static void test_rtc_set_time(void **state)
{
	struct rtc *r = rtc_new(&ops, NULL, MiB(512));
	struct rtc_time t;

	(void)state;
	/* What Linux's mc146818_set_time does: SET, write fields, clear SET. */
	cmos_write(r, 0x0b, 0x02 | 0x80);
	cmos_write(r, 0x00, 0x30);
	cmos_write(r, 0x02, 0x45);
	cmos_write(r, 0x04, 0x13);
	cmos_write(r, 0x07, 0x15);
	cmos_write(r, 0x08, 0x06);
	cmos_write(r, 0x09, 0x01);
	cmos_write(r, 0x32, 0x20);
	assert_int_equal(cmos_read(r, 0x04), 0x13); /* frozen while SET */
	cmos_write(r, 0x0b, 0x02);
	read_time(r, &t, false);
	assert_int_equal(t.year, 2001);
	assert_int_equal(t.mon, 6);
	assert_int_equal(t.mday, 15);
	assert_int_equal(t.hour, 13);
	assert_int_equal(t.min, 45);
	assert_true(t.sec >= 30 && t.sec <= 32);
	assert_int_equal(t.wday, 6); /* 2001-06-15 was a Friday */
	rtc_free(r);
}

static struct timespec fake_now;

static void fake_clock(struct timespec *ts)
{
	*ts = fake_now;
}

static void test_rtc_uip(void **state)
{
	struct rtc *r = rtc_new(&ops, NULL, MiB(512));

	(void)state;
	rtc_set_clock(r, fake_clock);
	fake_now = (struct timespec){1700000000, 500000000};
	assert_int_equal(cmos_read(r, 0x0a), 0x26);
	/* The last 244 us before a second boundary: update in progress. */
	fake_now.tv_nsec = 999800000;
	assert_int_equal(cmos_read(r, 0x0a), 0x80 | 0x26);
	fake_now.tv_nsec = 999755000;
	assert_int_equal(cmos_read(r, 0x0a), 0x26);
	fake_now = (struct timespec){1700000001, 100000};
	assert_int_equal(cmos_read(r, 0x0a), 0x26);
	/* Never while the clock is halted for setting. */
	fake_now.tv_nsec = 999900000;
	cmos_write(r, 0x0b, 0x82);
	assert_int_equal(cmos_read(r, 0x0a) & 0x80, 0);
	rtc_free(r);
}

static void test_rtc_fixed_time_formats(void **state)
{
	struct rtc *r = rtc_new(&ops, NULL, MiB(512));

	(void)state;
	rtc_set_clock(r, fake_clock);
	/* 2024-02-29 23:59:58 UTC, a Thursday */
	fake_now = (struct timespec){1709251198, 0};
	assert_int_equal(cmos_read(r, 0x00), 0x58);
	assert_int_equal(cmos_read(r, 0x02), 0x59);
	assert_int_equal(cmos_read(r, 0x04), 0x23);
	assert_int_equal(cmos_read(r, 0x06), 5);
	assert_int_equal(cmos_read(r, 0x07), 0x29);
	assert_int_equal(cmos_read(r, 0x08), 0x02);
	assert_int_equal(cmos_read(r, 0x09), 0x24);
	assert_int_equal(cmos_read(r, 0x32), 0x20);
	cmos_write(r, 0x0b, 0x04); /* binary, 12 h */
	assert_int_equal(cmos_read(r, 0x04), 0x80 | 11);
	assert_int_equal(cmos_read(r, 0x00), 58);
	assert_int_equal(cmos_read(r, 0x09), 24);
	assert_int_equal(cmos_read(r, 0x32), 20);
	fake_now.tv_sec = 1709251198 - 23 * 3600 - 59 * 60; /* 00:00:58 */
	assert_int_equal(cmos_read(r, 0x04), 12);	    /* 12 AM */
	fake_now.tv_sec += 12 * 3600;			    /* 12:00:58 */
	assert_int_equal(cmos_read(r, 0x04), 0x80 | 12);    /* 12 PM */
	/* Update-ended flag once a second has passed; reading C clears it. */
	cmos_read(r, 0x0c);
	assert_int_equal(cmos_read(r, 0x0c), 0);
	fake_now.tv_sec++;
	assert_int_equal(cmos_read(r, 0x0c) & 0x10, 0x10);
	assert_int_equal(cmos_read(r, 0x0c), 0);
	/* With UIE enabled the flag also raises IRQ 8 until C is read. */
	cmos_write(r, 0x0b, 0x04 | 0x10);
	fake_now.tv_sec++;
	assert_int_equal(cmos_read(r, 0x0c), 0x80 | 0x10);
	assert_int_equal(fk.edges[RTC_IRQ], 1);
	assert_false(fk.level[RTC_IRQ]);
	rtc_free(r);
}

static void test_rtc_reg_c_and_memory(void **state)
{
	struct rtc *r = rtc_new(&ops, NULL, MiB(512) + GiB(2));

	(void)state;
	cmos_write(r, 0x40, 0x12); /* NVRAM */
	assert_int_equal(cmos_read(r, 0x40), 0x12);
	cmos_write(r, 0x0d, 0x00); /* read-only */
	assert_int_equal(cmos_read(r, 0x0d), 0x80);
	/* Memory size for firmware: 2 GiB low - 16 MiB in 64 KiB units, 512 MiB high. */
	assert_int_equal(cmos_read(r, 0x34) | cmos_read(r, 0x35) << 8, (GiB(2) - MiB(16)) >> 16);
	assert_int_equal(cmos_read(r, 0x5b) | cmos_read(r, 0x5c) << 8 | cmos_read(r, 0x5d) << 16,
			 MiB(512) >> 16);
	/* NMI mask bit of the index is ignored. */
	out(rtc_io, r, 0, 0x80 | 0x40, 1);
	assert_int_equal(in(rtc_io, r, 1, 1), 0x12);
	rtc_free(r);
}

/* --- PM --- */

static void test_pm_s5_poweroff(void **state)
{
	struct pm *pm = pm_new(&ops);

	(void)state;
	/* ACPICA: SLP_TYP first, then SLP_TYP | SLP_EN, 16-bit writes. */
	out(pm_io, pm, 0x04, ACPI_SLP_TYP_S5 << 10 | 1, 2);
	assert_int_equal(fk.poweroffs, 0);
	out(pm_io, pm, 0x04, ACPI_SLP_TYP_S5 << 10 | PM1_CNT_SLP_EN | 1, 2);
	assert_int_equal(fk.poweroffs, 1);
	/* Another sleep type is refused, the VM keeps running. */
	out(pm_io, pm, 0x04, 1 << 10 | PM1_CNT_SLP_EN, 2);
	assert_int_equal(fk.poweroffs, 1);
	/* SCI_EN reads 1 (no SMM), SLP_EN reads 0. */
	assert_int_equal(in(pm_io, pm, 0x04, 2) & (PM1_CNT_SCI_EN | PM1_CNT_SLP_EN),
			 PM1_CNT_SCI_EN);
	pm_free(pm);
}

static void test_pm_power_button(void **state)
{
	struct pm *pm = pm_new(&ops);

	(void)state;
	/* Not enabled: status is set, no SCI. */
	pm_power_button(pm);
	assert_true(in(pm_io, pm, 0x00, 2) & PM1_STS_PWRBTN);
	assert_false(fk.level[ACPI_SCI_IRQ]);
	/* Enabling it with the status pending raises the SCI (level). */
	out(pm_io, pm, 0x02, PM1_EN_PWRBTN, 2);
	assert_int_equal(in(pm_io, pm, 0x02, 2), PM1_EN_PWRBTN);
	assert_true(fk.level[ACPI_SCI_IRQ]);
	/* Write 1 to clear: the line drops. */
	out(pm_io, pm, 0x00, PM1_STS_PWRBTN, 2);
	assert_false(in(pm_io, pm, 0x00, 2) & PM1_STS_PWRBTN);
	assert_false(fk.level[ACPI_SCI_IRQ]);
	/* Press while enabled. */
	pm_power_button(pm);
	assert_true(fk.level[ACPI_SCI_IRQ]);
	assert_int_equal(fk.edges[ACPI_SCI_IRQ], 2);
	/* A 32-bit write of STS|EN (as some code does) clears and keeps enabled. */
	out(pm_io, pm, 0x00, PM1_STS_PWRBTN | (uint32_t)PM1_EN_PWRBTN << 16, 4);
	assert_false(fk.level[ACPI_SCI_IRQ]);
	assert_int_equal(in(pm_io, pm, 0x02, 2), PM1_EN_PWRBTN);
	pm_free(pm);
}

static void test_pm_gbl_en_sticks(void **state)
{
	struct pm *pm = pm_new(&ops);

	(void)state;
	out(pm_io, pm, 0x02, 1 << 5, 2); /* GBL_EN: ACPICA reads it back */
	assert_int_equal(in(pm_io, pm, 0x02, 2), 1 << 5);
	pm_free(pm);
}

static void test_pm_timer(void **state)
{
	struct pm *pm = pm_new(&ops);
	struct timespec ts = {0, 20 * 1000 * 1000};

	(void)state;
	uint32_t a = in(pm_io, pm, 0x08, 4);

	nanosleep(&ts, NULL);
	uint32_t b = in(pm_io, pm, 0x08, 4);
	uint32_t ticks = b - a; /* wraps correctly in 32 bits */

	/* 20 ms at 3.579545 MHz = 71591 ticks; allow for scheduling delays. */
	assert_true(ticks >= 71000 && ticks < 71591 * 20);
	out(pm_io, pm, 0x08, 0, 4); /* read-only */
	assert_true(in(pm_io, pm, 0x08, 4) - b < 71591 * 20);
	pm_free(pm);
}

static void test_pm_gpe(void **state)
{
	struct pm *pm = pm_new(&ops);

	(void)state;
	out(pm_io, pm, 0x28, 0xff, 1); /* GPE0_EN byte 0 */
	assert_int_equal(in(pm_io, pm, 0x28, 1), 0xff);
	assert_int_equal(in(pm_io, pm, 0x20, 4), 0); /* nothing pending */
	assert_false(fk.level[ACPI_SCI_IRQ]);
	/* Out-of-range and odd accesses are harmless. */
	out(pm_io, pm, ACPI_PM_LEN - 1, 0xffffffff, 4);
	out(pm_io, pm, 0x3f, 0xff, 1);
	pm_free(pm);
}

static void test_pm_reset_register(void **state)
{
	struct pm *pm = pm_new(&ops);

	(void)state;
	out(pm_reset_io, pm, 0, 0x02, 1); /* SYS_RST alone: no reset yet */
	assert_int_equal(fk.resets, 0);
	out(pm_reset_io, pm, 0, ACPI_RESET_VALUE, 1);
	assert_int_equal(fk.resets, 1);
	pm_free(pm);
}

/* --- i8042 --- */

static void test_i8042(void **state)
{
	struct i8042 *k = i8042_new(&ops);

	(void)state;
	assert_int_equal(in(i8042_cmd_io, k, 0, 1) & 0x03, 0); /* nothing in, nothing out */
	out(i8042_cmd_io, k, 0, 0xaa, 1);		       /* self test */
	assert_true(in(i8042_cmd_io, k, 0, 1) & 0x01);
	assert_int_equal(in(i8042_data_io, k, 0, 1), 0x55);
	assert_false(in(i8042_cmd_io, k, 0, 1) & 0x01);
	out(i8042_cmd_io, k, 0, 0x60, 1); /* write command byte */
	out(i8042_data_io, k, 0, 0x47, 1);
	out(i8042_cmd_io, k, 0, 0x20, 1);
	assert_int_equal(in(i8042_data_io, k, 0, 1), 0x47);
	assert_int_equal(fk.resets, 0);
	out(i8042_cmd_io, k, 0, 0xfe, 1); /* pulse reset */
	assert_int_equal(fk.resets, 1);
	i8042_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_uart_output, reset_fake),
		cmocka_unit_test_setup(test_uart_scratch_and_divisor, reset_fake),
		cmocka_unit_test_setup(test_uart_thre_interrupt, reset_fake),
		cmocka_unit_test_setup(test_uart_fifo_id, reset_fake),
		cmocka_unit_test_setup(test_uart_loopback, reset_fake),
		cmocka_unit_test_setup(test_uart_rx_interrupt, reset_fake),
		cmocka_unit_test_setup(test_rtc_bcd_24h, reset_fake),
		cmocka_unit_test_setup(test_rtc_binary_12h, reset_fake),
		cmocka_unit_test_setup(test_rtc_set_time, reset_fake),
		cmocka_unit_test_setup(test_rtc_uip, reset_fake),
		cmocka_unit_test_setup(test_rtc_fixed_time_formats, reset_fake),
		cmocka_unit_test_setup(test_rtc_reg_c_and_memory, reset_fake),
		cmocka_unit_test_setup(test_pm_s5_poweroff, reset_fake),
		cmocka_unit_test_setup(test_pm_power_button, reset_fake),
		cmocka_unit_test_setup(test_pm_gbl_en_sticks, reset_fake),
		cmocka_unit_test_setup(test_pm_timer, reset_fake),
		cmocka_unit_test_setup(test_pm_gpe, reset_fake),
		cmocka_unit_test_setup(test_pm_reset_register, reset_fake),
		cmocka_unit_test_setup(test_i8042, reset_fake),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
