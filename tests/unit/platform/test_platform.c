// SPDX-License-Identifier: Apache-2.0
/*
 * platform.c wired to a struct vm without KVM: the legacy devices answer on
 * the port bus, COM1 reaches the console chardev and the debug log, and the
 * PM block reaches the VM's state machine and the SCI line. The VM-side
 * functions are faked here (the real ones need KVM).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "arch/x86/acpi_tables.h"
#include "arch/x86/legacy.h"
#include "arch/x86/platform.h"
#include "backends/chardev.h"
#include "util/log.h"
#include "vmm/irq.h"
#include "vmm/vm.h"

static unsigned int poweroffs, resets;
static bool irq_level[IOAPIC_NUM_PINS];

void vm_guest_poweroff(struct vm *vm)
{
	(void)vm;
	poweroffs++;
}

void vm_guest_reset(struct vm *vm)
{
	(void)vm;
	resets++;
}

int irq_line(struct vm *vm, unsigned int gsi, bool level)
{
	(void)vm;
	assert_true(gsi < IOAPIC_NUM_PINS);
	irq_level[gsi] = level;
	return 0;
}

int vm_at_exit(struct vm *vm, vm_exit_fn fn, void *opaque)
{
	(void)vm;
	(void)fn;
	(void)opaque;
	return 0;
}

void config_runtime_lock(void)
{
}

void config_runtime_unlock(void)
{
}

static struct vm vm;

static int setup(void **state)
{
	(void)state;
	memset(&vm, 0, sizeof(vm));
	poweroffs = resets = 0;
	memset(irq_level, 0, sizeof(irq_level));
	bus_init(&vm.pio, "pio");
	vm.loop = loop_new();
	vm.ncpus = 2;
	assert_non_null(vm.loop);
	assert_int_equal(guest_mem_init(&vm.mem, MiB(256), RAM_LOW_MAX, RAM_HIGH_START), 0);
	assert_int_equal(platform_init(&vm), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	platform_destroy(&vm);
	assert_null(vm.platform);
	guest_mem_free(&vm.mem);
	loop_free(vm.loop);
	bus_destroy(&vm.pio);
	log_set_level(LOG_LEVEL_INFO);
	return 0;
}

static uint32_t pin(uint16_t port, uint32_t len)
{
	uint8_t d[4] = {0xff, 0xff, 0xff, 0xff};
	uint32_t v = 0;

	assert_true(bus_dispatch(&vm.pio, port, d, len, false));
	memcpy(&v, d, len);
	return v;
}

static void pout(uint16_t port, uint32_t v, uint32_t len)
{
	uint8_t d[4];

	memcpy(d, &v, sizeof(d));
	assert_true(bus_dispatch(&vm.pio, port, d, len, true));
}

static void test_ports_registered(void **state)
{
	(void)state;
	assert_int_equal(pin(COM1_PORT + 5, 1) & 0x60, 0x60); /* LSR */
	pout(RTC_PORT, 0x0d, 1);
	assert_int_equal(pin(RTC_PORT + 1, 1), 0x80); /* RTC register D */
	assert_int_equal(pin(I8042_CMD_PORT, 1) & 0x04, 0x04);
	assert_int_not_equal(pin(ACPI_PM_TMR_PORT, 4), 0xffffffff);
	/* 0x61 is not ours (the PIT's speaker port). */
	uint8_t d = 0;

	assert_false(bus_dispatch(&vm.pio, 0x61, &d, 1, false));
}

static void test_double_init_fails_cleanly(void **state)
{
	struct platform *first = vm.platform;

	(void)state;
	assert_int_equal(platform_init(&vm), -EEXIST);
	assert_ptr_equal(vm.platform, first);
	pout(COM1_PORT + 7, 0x5a, 1); /* the first instance still answers */
	assert_int_equal(pin(COM1_PORT + 7, 1), 0x5a);
}

static char *read_file(const char *path)
{
	static char buf[4096];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = 0;
	return buf;
}

static void com1_puts(const char *s)
{
	while (*s)
		pout(COM1_PORT, (uint8_t)*s++, 1);
}

static void test_com1_to_console(void **state)
{
	char path[] = "/tmp/vfkit-com1-XXXXXX";
	int fd = mkstemp(path);
	struct serial_config cfg = {.mode = SERIAL_LOGFILE, .log_file_path = path};

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	com1_puts("lost: no console yet\n");
	vm.console = chardev_open(&vm, &cfg);
	assert_non_null(vm.console);
	com1_puts("Linux version 6.1\r\nsecond");
	assert_string_equal(read_file(path), "Linux version 6.1\r\nsecond");
	chardev_close(vm.console);
	vm.console = NULL;
	unlink(path);
}

static void test_com1_debug_log(void **state)
{
	char path[] = "/tmp/vfkit-log-XXXXXX";
	int fd = mkstemp(path);
	int saved = dup(STDERR_FILENO);

	(void)state;
	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	com1_puts("quiet at info level\n");
	log_set_level(LOG_LEVEL_DEBUG);
	com1_puts("early boot\r\npartial");
	com1_puts(" line\n");
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);
	const char *log = read_file(path);

	assert_null(strstr(log, "quiet"));
	assert_non_null(strstr(log, "com1: early boot\n"));
	assert_non_null(strstr(log, "com1: partial line\n"));
	unlink(path);
}

static void test_power_button_and_s5(void **state)
{
	(void)state;
	/* Linux enables the power button event, then it is pressed. */
	pout(ACPI_PM1_EVT_PORT + 2, PM1_EN_PWRBTN, 2);
	assert_false(irq_level[ACPI_SCI_IRQ]);
	platform_press_power_button(&vm);
	assert_true(irq_level[ACPI_SCI_IRQ]);
	assert_true(pin(ACPI_PM1_EVT_PORT, 2) & PM1_STS_PWRBTN);
	pout(ACPI_PM1_EVT_PORT, PM1_STS_PWRBTN, 2);
	assert_false(irq_level[ACPI_SCI_IRQ]);
	/* ... and the guest shuts down. */
	assert_int_equal(poweroffs, 0);
	pout(ACPI_PM1_CNT_PORT, ACPI_SLP_TYP_S5 << 10 | PM1_CNT_SLP_EN, 2);
	assert_int_equal(poweroffs, 1);
}

static void test_resets(void **state)
{
	(void)state;
	pout(ACPI_RESET_PORT, ACPI_RESET_VALUE, 1);
	assert_int_equal(resets, 1);
	pout(I8042_CMD_PORT, 0xfe, 1);
	assert_int_equal(resets, 2);
}

static void test_build_acpi(void **state)
{
	const struct acpi_rsdp *rsdp = gmem_ptr(&vm.mem, ACPI_TABLES_ADDR, sizeof(*rsdp));

	(void)state;
	assert_int_equal(platform_build_acpi(&vm), 0);
	assert_memory_equal(rsdp->signature, "RSD PTR ", 8);
	vm.ncpus = 0;
	assert_int_equal(platform_build_acpi(&vm), -EINVAL);
}

static void test_destroy_unregisters(void **state)
{
	uint8_t d = 0;

	(void)state;
	platform_destroy(&vm);
	assert_false(bus_dispatch(&vm.pio, COM1_PORT, &d, 1, false));
	assert_false(bus_dispatch(&vm.pio, ACPI_PM_BASE, &d, 1, false));
	platform_press_power_button(&vm); /* harmless without a platform */
					  /* teardown destroys again: must be a no-op */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ports_registered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_double_init_fails_cleanly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_com1_to_console, setup, teardown),
		cmocka_unit_test_setup_teardown(test_com1_debug_log, setup, teardown),
		cmocka_unit_test_setup_teardown(test_power_button_and_s5, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_acpi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_unregisters, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
