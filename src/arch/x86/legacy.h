/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The legacy PC devices behind platform.c, each usable on its own: they reach
 * the rest of the VMM only through struct platform_ops, so unit tests drive
 * them with fakes and without a struct vm or KVM.
 *
 * Every *_io function has the bus_io_fn signature and is safe to call from
 * several vCPU threads at once.
 */
#ifndef VFKIT_X86_LEGACY_H
#define VFKIT_X86_LEGACY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;
struct guest_mem;

struct platform_ops {
	void (*irq_line)(void *opaque, unsigned int gsi, bool level);
	void (*poweroff)(void *opaque);
	void (*reset)(void *opaque);
	/* COM1 transmit: called with the device lock held, must not block. */
	void (*serial_out)(void *opaque, const uint8_t *buf, size_t len);
	void *opaque;
};

/* --- 16550A UART (uart.c) --- */
struct uart;
struct uart *uart_new(const struct platform_ops *ops, unsigned int irq);
void uart_free(struct uart *uart);
void uart_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);
/* Host input into the receive FIFO; returns the number of bytes taken. */
size_t uart_receive(struct uart *uart, const uint8_t *buf, size_t len);

/* --- MC146818 RTC / CMOS (rtc.c) --- */
#define CMOS_CENTURY_REG 0x32 /* named in the FADT so Linux reads it */
struct rtc;
/* loop may be NULL: then the periodic/update/alarm interrupts stay off. */
struct rtc *rtc_new(const struct platform_ops *ops, struct loop *loop, uint64_t ram_bytes);
void rtc_free(struct rtc *rtc);
void rtc_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);
/* Replaces the host UTC clock (tests); NULL restores CLOCK_REALTIME. */
struct timespec;
typedef void (*rtc_clock_fn)(struct timespec *ts);
void rtc_set_clock(struct rtc *rtc, rtc_clock_fn fn);

/* --- i8042 (i8042.c): status, self-test answers and the reset line --- */
struct i8042;
struct i8042 *i8042_new(const struct platform_ops *ops);
void i8042_free(struct i8042 *kbd);
/* Port 0x60 and port 0x64, registered separately (0x61 belongs to the PIT). */
void i8042_data_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);
void i8042_cmd_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

/* --- ACPI PM block, ICH9 layout (pm.c) --- */
#define ACPI_PM_LEN	 0x40 /* PM1 evt/cnt, PM timer, GPE0 */
#define ACPI_PM1_EVT_LEN 4
#define ACPI_PM1_CNT_LEN 2
#define ACPI_PM_TMR_LEN	 4
#define ACPI_GPE0_LEN	 16
#define ACPI_RESET_VALUE 0x06 /* as ICH9 RST_CNT: SYS_RST | RST_CPU */
#define ACPI_SLP_TYP_S5	 7    /* ICH9 soft-off; also in the DSDT's \_S5 */
#define ACPI_PM_TIMER_HZ 3579545ULL

#define PM1_STS_TMR    (1u << 0)
#define PM1_STS_PWRBTN (1u << 8)
#define PM1_STS_WAK    (1u << 15)
#define PM1_EN_PWRBTN  (1u << 8)
#define PM1_CNT_SCI_EN (1u << 0)
#define PM1_CNT_SLP_EN (1u << 13)

struct pm;
struct pm *pm_new(const struct platform_ops *ops);
void pm_free(struct pm *pm);
void pm_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);
void pm_reset_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);
void pm_power_button(struct pm *pm);
/* Timer value now (24 MHz-free: the ACPI PM timer's 3.579545 MHz count). */
uint32_t pm_timer_now(void);

/* --- ACPI tables (acpi.c) --- */
/* Writes all tables at ACPI_TABLES_ADDR; 0 or -errno. */
int acpi_build(struct guest_mem *mem, unsigned int ncpus);

#endif
