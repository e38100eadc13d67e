// SPDX-License-Identifier: Apache-2.0
/*
 * The PC around the CPU: wires the legacy devices (COM1, RTC/CMOS, i8042,
 * ACPI PM block) to the VM's port bus, interrupts and state machine, and
 * builds the ACPI tables.
 *
 * COM1 output goes to the first virtio-serial sink (vm->console, when there
 * is one) and, as complete lines, to the log at debug level.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/legacy.h"
#include "arch/x86/platform.h"
#include "backends/chardev.h"
#include "util/log.h"
#include "vmm/irq.h"
#include "vmm/vm.h"

#define COM1_LINE_MAX 256

struct platform {
	struct vm *vm;
	struct platform_ops ops;
	struct uart *com1;
	struct rtc *rtc;
	struct i8042 *kbd;
	struct pm *pm;
	/* COM1 debug line buffer; serial_out runs under the UART's lock. */
	char line[COM1_LINE_MAX];
	size_t line_len;
};

struct pio_range {
	uint64_t base;
	uint64_t len;
	bus_io_fn fn;
	size_t dev; /* offset of the device pointer in struct platform */
};

static const struct pio_range pio_ranges[] = {
	{COM1_PORT, 8, uart_io, offsetof(struct platform, com1)},
	{RTC_PORT, 2, rtc_io, offsetof(struct platform, rtc)},
	{I8042_DATA_PORT, 1, i8042_data_io, offsetof(struct platform, kbd)},
	{I8042_CMD_PORT, 1, i8042_cmd_io, offsetof(struct platform, kbd)},
	{ACPI_PM_BASE, ACPI_PM_LEN, pm_io, offsetof(struct platform, pm)},
	{ACPI_RESET_PORT, 1, pm_reset_io, offsetof(struct platform, pm)},
};

#define NRANGES (sizeof(pio_ranges) / sizeof(pio_ranges[0]))

static void op_irq_line(void *opaque, unsigned int gsi, bool level)
{
	struct platform *p = opaque;
	int err = irq_line(p->vm, gsi, level);

	if (err < 0)
		log_ratelimited(LOG_LEVEL_WARN, "platform: cannot set IRQ %u: %s", gsi,
				strerror(-err));
}

static void op_poweroff(void *opaque)
{
	struct platform *p = opaque;

	vm_guest_poweroff(p->vm);
}

static void op_reset(void *opaque)
{
	struct platform *p = opaque;

	vm_guest_reset(p->vm);
}

static void flush_line(struct platform *p)
{
	if (p->line_len)
		log_debug("com1: %.*s", (int)p->line_len, p->line);
	p->line_len = 0;
}

static void op_serial_out(void *opaque, const uint8_t *buf, size_t len)
{
	struct platform *p = opaque;
	struct chardev *console = __atomic_load_n(&p->vm->console, __ATOMIC_ACQUIRE);

	if (console)
		chardev_write(console, buf, len);
	if (log_get_level() < LOG_LEVEL_DEBUG)
		return;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n') {
			flush_line(p);
		} else if (buf[i] != '\r') {
			p->line[p->line_len++] = (char)buf[i];
			if (p->line_len == COM1_LINE_MAX)
				flush_line(p);
		}
	}
}

static void free_devices(struct platform *p)
{
	uart_free(p->com1);
	rtc_free(p->rtc);
	i8042_free(p->kbd);
	pm_free(p->pm);
}

int platform_init(struct vm *vm)
{
	struct platform *p = calloc(1, sizeof(*p));
	size_t i;
	int err = -ENOMEM;

	if (!p)
		return -ENOMEM;
	p->vm = vm;
	p->ops = (struct platform_ops){op_irq_line, op_poweroff, op_reset, op_serial_out, p};
	p->com1 = uart_new(&p->ops, COM1_IRQ);
	p->rtc = rtc_new(&p->ops, vm->loop, vm->mem.size);
	p->kbd = i8042_new(&p->ops);
	p->pm = pm_new(&p->ops);
	if (!p->com1 || !p->rtc || !p->kbd || !p->pm)
		goto fail;
	for (i = 0; i < NRANGES; i++) {
		const struct pio_range *r = &pio_ranges[i];
		void *dev = *(void **)((char *)p + r->dev);

		err = bus_register(&vm->pio, r->base, r->len, r->fn, dev);
		if (err < 0) {
			log_error("platform: cannot register I/O ports 0x%llx-0x%llx: %s",
				  (unsigned long long)r->base,
				  (unsigned long long)(r->base + r->len - 1), strerror(-err));
			while (i-- > 0)
				bus_unregister(&vm->pio, pio_ranges[i].base);
			goto fail;
		}
	}
	vm->platform = p;
	return 0;
fail:
	if (err == -ENOMEM)
		log_error("platform: out of memory");
	free_devices(p);
	free(p);
	return err;
}

void platform_destroy(struct vm *vm)
{
	struct platform *p = vm->platform;

	if (!p)
		return;
	for (size_t i = 0; i < NRANGES; i++)
		bus_unregister(&vm->pio, pio_ranges[i].base);
	flush_line(p);
	free_devices(p);
	free(p);
	vm->platform = NULL;
}

int platform_build_acpi(struct vm *vm)
{
	return acpi_build(&vm->mem, vm->ncpus);
}

void platform_press_power_button(struct vm *vm)
{
	struct platform *p = vm->platform;

	if (p)
		pm_power_button(p->pm);
}
