// SPDX-License-Identifier: Apache-2.0
/*
 * ACPI tables and the AML writer: tables are built into a real guest_mem
 * (no KVM), followed from the RSDP like an OS does, checked field by field,
 * and every table is disassembled with iasl (the DSDT is also recompiled).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "arch/x86/acpi_tables.h"
#include "arch/x86/aml.h"
#include "arch/x86/layout.h"
#include "arch/x86/legacy.h"
#include "arch/x86/platform.h"
#include "vmm/memory.h"

static uint8_t sum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	for (size_t i = 0; i < len; i++)
		s += b[i];
	return s;
}

/* --- AML writer --- */

static void test_eisaid(void **state)
{
	(void)state;
	assert_int_equal(aml_eisaid_value("PNP0A03"), 0x030ad041);
	assert_int_equal(aml_eisaid_value("PNP0A08"), 0x080ad041);
	assert_int_equal(aml_eisaid_value("PNP0501"), 0x0105d041);
}

static void test_integers(void **state)
{
	struct aml a;
	static const uint8_t want[] = {0x00, 0x01, 0x0a, 0x07, 0x0b, 0x34, 0x12, 0x0c,
				       0x78, 0x56, 0x34, 0x12, 0x0e, 1,	   0,	 0,
				       0,    1,	   0,	 0,    0,    0xff};

	(void)state;
	aml_init(&a);
	aml_int(&a, 0);
	aml_int(&a, 1);
	aml_int(&a, 7);
	aml_int(&a, 0x1234);
	aml_int(&a, 0x12345678);
	aml_int(&a, 0x0000000100000001ULL);
	aml_int(&a, UINT64_MAX);
	assert_int_equal(aml_finish(&a), 0);
	assert_int_equal(a.len, sizeof(want));
	assert_memory_equal(a.buf, want, sizeof(want));
	aml_free(&a);
}

static void test_namestrings(void **state)
{
	struct aml a;
	static const uint8_t want[] = {'\\', '_', 'S', '5', '_',  0x2e, 'P', 'C', 'I', '0',
				       'R',  'T', 'C', '_', '\\', 0x2f, 3,   '_', 'S', 'B',
				       '_',  'P', 'C', 'I', '0',  'C',	'O', 'M', '1'};

	(void)state;
	aml_init(&a);
	aml_namestring(&a, "\\_S5");
	aml_namestring(&a, "PCI0.RTC");
	aml_namestring(&a, "\\_SB.PCI0.COM1");
	assert_int_equal(aml_finish(&a), 0);
	assert_int_equal(a.len, sizeof(want));
	assert_memory_equal(a.buf, want, sizeof(want));
	aml_free(&a);
}

/* PkgLength: 1 byte up to 63 total, then 2 bytes (low nibble + byte) etc. */
static void check_pkg(size_t body, const uint8_t *want_hdr, size_t hdr_len)
{
	struct aml a;
	uint8_t *junk = calloc(1, body);

	aml_init(&a);
	aml_scope_open(&a, "");
	assert_int_equal(a.len, 2);    /* ScopeOp + NullName */
	aml_bytes(&a, junk, body - 1); /* body = NullName + junk */
	aml_close(&a);
	assert_int_equal(aml_finish(&a), 0);
	assert_int_equal(a.len, 1 + hdr_len + body);
	assert_memory_equal(a.buf + 1, want_hdr, hdr_len);
	aml_free(&a);
	free(junk);
}

static void test_pkglength(void **state)
{
	(void)state;
	check_pkg(62, (const uint8_t[]){63}, 1);
	/* 63 + 2 = 65 = 0x41: lead byte 0x40 | 1, then 0x04 */
	check_pkg(63, (const uint8_t[]){0x41, 0x04}, 2);
	/* 4093 + 2 = 4095 = 0xfff: two bytes still */
	check_pkg(4093, (const uint8_t[]){0x4f, 0xff}, 2);
	/* 4094 + 3 = 4097 = 0x1001: three bytes */
	check_pkg(4094, (const uint8_t[]){0x81, 0x00, 0x01}, 3);
}

static void test_buffer_size(void **state)
{
	struct aml a;

	(void)state;
	aml_init(&a);
	aml_buffer_open(&a);
	aml_res_io(&a, 0x3f8, 8);
	aml_res_end(&a);
	aml_close(&a);
	assert_int_equal(aml_finish(&a), 0);
	/* BufferOp, PkgLength (1 + 2 + 10 = 13), BytePrefix 10, then the bytes */
	assert_int_equal(a.len, 14);
	assert_int_equal(a.buf[0], 0x11);
	assert_int_equal(a.buf[1], 13);
	assert_int_equal(a.buf[2], 0x0a);
	assert_int_equal(a.buf[3], 10);
	assert_int_equal(a.buf[4], 0x47);
	aml_free(&a);
}

static void test_unbalanced(void **state)
{
	struct aml a;

	(void)state;
	aml_init(&a);
	aml_device_open(&a, "DEV0");
	assert_int_equal(aml_finish(&a), -EINVAL);
	aml_close(&a);
	aml_close(&a); /* one close too many */
	assert_int_not_equal(aml_finish(&a), 0);
	aml_free(&a);
}

/* --- ACPI tables --- */

struct tables {
	struct guest_mem mem;
	unsigned int ncpus;
	const struct acpi_rsdp *rsdp;
	const struct acpi_header *xsdt, *rsdt, *fadt, *dsdt, *madt, *mcfg;
	const struct acpi_facs *facs;
};

static const void *at(struct tables *t, uint64_t gpa, size_t len)
{
	/* Everything must lie inside the reserved ACPI area. */
	assert_true(gpa >= ACPI_TABLES_ADDR);
	assert_true(gpa + len <= ACPI_TABLES_ADDR + ACPI_TABLES_SIZE);
	const void *p = gmem_ptr(&t->mem, gpa, len);

	assert_non_null(p);
	return p;
}

static const struct acpi_header *table_at(struct tables *t, uint64_t gpa, const char *sig)
{
	const struct acpi_header *h = at(t, gpa, sizeof(*h));

	assert_memory_equal(h->signature, sig, 4);
	at(t, gpa, h->length);
	assert_int_equal(sum(h, h->length), 0);
	return h;
}

static void load(struct tables *t, unsigned int ncpus, uint64_t ram)
{
	memset(t, 0, sizeof(*t));
	t->ncpus = ncpus;
	assert_int_equal(guest_mem_init(&t->mem, ram, RAM_LOW_MAX, RAM_HIGH_START), 0);
	assert_int_equal(acpi_build(&t->mem, ncpus), 0);

	t->rsdp = at(t, ACPI_TABLES_ADDR, sizeof(*t->rsdp));
	assert_memory_equal(t->rsdp->signature, "RSD PTR ", 8);
	assert_int_equal(t->rsdp->revision, 2);
	assert_int_equal(t->rsdp->length, 36);
	assert_int_equal(sum(t->rsdp, 20), 0);
	assert_int_equal(sum(t->rsdp, 36), 0);

	t->xsdt = table_at(t, t->rsdp->xsdt_address, "XSDT");
	t->rsdt = table_at(t, t->rsdp->rsdt_address, "RSDT");
	assert_int_equal(t->xsdt->length, sizeof(struct acpi_header) + 3 * 8);
	assert_int_equal(t->rsdt->length, sizeof(struct acpi_header) + 3 * 4);
	const char *sigs[] = {"FACP", "APIC", "MCFG"};
	const struct acpi_header **dst[] = {&t->fadt, &t->madt, &t->mcfg};

	for (unsigned int i = 0; i < 3; i++) {
		uint64_t x;
		uint32_t r;

		memcpy(&x, (const uint8_t *)t->xsdt + sizeof(struct acpi_header) + 8 * i, 8);
		memcpy(&r, (const uint8_t *)t->rsdt + sizeof(struct acpi_header) + 4 * i, 4);
		assert_int_equal(x, r);
		*dst[i] = table_at(t, x, sigs[i]);
	}
	const struct acpi_fadt *f = (const void *)t->fadt;

	assert_int_equal(f->h.length, sizeof(*f));
	assert_int_equal(f->x_dsdt, f->dsdt);
	t->dsdt = table_at(t, f->x_dsdt, "DSDT");
	assert_int_equal(f->firmware_ctrl % 64, 0);
	t->facs = at(t, f->firmware_ctrl, sizeof(*t->facs));
	assert_memory_equal(t->facs->signature, "FACS", 4);
	assert_int_equal(t->facs->length, 64);
}

static void unload(struct tables *t)
{
	guest_mem_free(&t->mem);
}

static void check_fadt(const struct acpi_fadt *f)
{
	assert_int_equal(f->sci_int, ACPI_SCI_IRQ);
	assert_int_equal(f->smi_cmd, 0);
	assert_int_equal(f->pm1a_evt_blk, ACPI_PM1_EVT_PORT);
	assert_int_equal(f->pm1a_cnt_blk, ACPI_PM1_CNT_PORT);
	assert_int_equal(f->pm_tmr_blk, ACPI_PM_TMR_PORT);
	assert_int_equal(f->gpe0_blk, ACPI_GPE0_PORT);
	assert_int_equal(f->pm1_evt_len, 4);
	assert_int_equal(f->pm1_cnt_len, 2);
	assert_int_equal(f->pm_tmr_len, 4);
	assert_int_equal(f->gpe0_blk_len, 16);
	/* X_ blocks agree with the legacy ones (ACPICA compares them). */
	assert_int_equal(f->x_pm1a_evt_blk.address, f->pm1a_evt_blk);
	assert_int_equal(f->x_pm1a_evt_blk.bit_width, 8 * f->pm1_evt_len);
	assert_int_equal(f->x_pm1a_cnt_blk.address, f->pm1a_cnt_blk);
	assert_int_equal(f->x_pm1a_cnt_blk.bit_width, 8 * f->pm1_cnt_len);
	assert_int_equal(f->x_pm_tmr_blk.address, f->pm_tmr_blk);
	assert_int_equal(f->x_gpe0_blk.bit_width, 8 * f->gpe0_blk_len);
	assert_true(f->flags & FADT_F_RESET_REG_SUP);
	assert_true(f->flags & FADT_F_TMR_VAL_EXT);
	assert_false(f->flags & FADT_F_PWR_BUTTON); /* fixed-feature power button */
	assert_false(f->iapc_boot_arch & FADT_BOOT_8042);
	assert_int_equal(f->reset_reg.space_id, 1);
	assert_int_equal(f->reset_reg.address, ACPI_RESET_PORT);
	assert_int_equal(f->reset_value, ACPI_RESET_VALUE);
	assert_int_equal(f->century, CMOS_CENTURY_REG);
}

static void check_madt(const struct acpi_header *h, unsigned int ncpus)
{
	const struct acpi_madt *m = (const void *)h;
	const uint8_t *p = (const uint8_t *)h + sizeof(*m);
	const uint8_t *end = (const uint8_t *)h + h->length;
	unsigned int lapics = 0, ioapics = 0;
	bool irq0 = false, sci = false;

	assert_int_equal(m->lapic_address, LAPIC_ADDR);
	while (p < end) {
		assert_true(p[1] >= 2 && p + p[1] <= end);
		if (p[0] == MADT_LAPIC) {
			const struct madt_lapic *l = (const void *)p;

			assert_int_equal(l->apic_id, lapics);
			assert_int_equal(l->processor_uid, lapics);
			assert_int_equal(l->flags & 1, 1);
			lapics++;
		} else if (p[0] == MADT_IOAPIC) {
			const struct madt_ioapic *io = (const void *)p;

			assert_int_equal(io->address, IOAPIC_ADDR);
			assert_int_equal(io->gsi_base, 0);
			ioapics++;
		} else if (p[0] == MADT_INT_OVERRIDE) {
			const struct madt_override *o = (const void *)p;

			if (o->source == 0 && o->gsi == 2)
				irq0 = true;
			if (o->source == ACPI_SCI_IRQ && o->gsi == ACPI_SCI_IRQ && o->flags == 0xd)
				sci = true;
		}
		p += p[1];
	}
	assert_ptr_equal(p, end);
	assert_int_equal(lapics, ncpus);
	assert_int_equal(ioapics, 1);
	assert_true(irq0);
	assert_true(sci);
}

static void check_mcfg(const struct acpi_header *h)
{
	const struct acpi_mcfg *m = (const void *)h;

	assert_int_equal(h->length, sizeof(*m));
	assert_int_equal(m->base, PCI_ECAM_BASE);
	assert_int_equal(m->segment, 0);
	assert_int_equal(m->start_bus, 0);
	assert_int_equal(m->end_bus, 0); /* bus 0 only: Linux probes every bus up to it */
}

static bool contains(const void *hay, size_t hlen, const void *needle, size_t nlen)
{
	return memmem(hay, hlen, needle, nlen) != NULL;
}

static void check_dsdt(const struct acpi_header *h, uint64_t ram)
{
	uint64_t win[2] = {platform_mmio64_base(ram),
			   platform_mmio64_base(ram) + PCI_MMIO64_SIZE - 1};
	uint32_t win32[2] = {(uint32_t)PCI_MMIO32_BASE, (uint32_t)PCI_MMIO32_END - 1};
	uint32_t pnp0a08 = aml_eisaid_value("PNP0A08");
	uint8_t s5[] = {'_', 'S', '5', '_', 0x12};

	assert_true(win[0] >= RAM_HIGH_START + (ram > RAM_LOW_MAX ? ram - RAM_LOW_MAX : 0));
	assert_int_equal(win[0] % PCI_MMIO64_ALIGN, 0);
	assert_true(contains(h, h->length, win, sizeof(win)));
	assert_true(contains(h, h->length, win32, sizeof(win32)));
	assert_true(contains(h, h->length, &pnp0a08, 4));
	assert_true(contains(h, h->length, s5, sizeof(s5)));
}

/* Runs a shell command; returns its exit status (or -1). */
static int run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void write_file(const char *dir, const char *name, const void *p, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, len, f), len);
	fclose(f);
}

/* Disassembly must succeed and leave no error marks in the output. */
static void iasl_check(const char *dir, const char *name)
{
	int rc = run("cd %s && iasl -d %s.dat > %s.out 2>&1", dir, name, name);

	if (rc != 0)
		run("cat %s/%s.out", dir, name);
	assert_int_equal(rc, 0);
	assert_int_equal(run("test -s %s/%s.dsl", dir, name), 0);
	/* grep exits 1 when nothing matches. */
	assert_int_equal(run("grep -i -E 'error|warning|\\*\\*\\*\\*|invalid|unknown' %s/%s.out "
			     "%s/%s.dsl",
			     dir, name, dir, name),
			 1);
}

static void iasl_all(struct tables *t)
{
	char dir[] = "/tmp/vfkit-acpi-XXXXXX";

	if (run("command -v iasl >/dev/null") != 0)
		skip(); /* acpica-tools missing: install it (scripts list it) */
	assert_non_null(mkdtemp(dir));
	write_file(dir, "dsdt.dat", t->dsdt, t->dsdt->length);
	write_file(dir, "facp.dat", t->fadt, t->fadt->length);
	write_file(dir, "apic.dat", t->madt, t->madt->length);
	write_file(dir, "mcfg.dat", t->mcfg, t->mcfg->length);
	write_file(dir, "xsdt.dat", t->xsdt, t->xsdt->length);
	write_file(dir, "rsdt.dat", t->rsdt, t->rsdt->length);
	write_file(dir, "facs.dat", t->facs, t->facs->length);
	const char *names[] = {"dsdt", "facp", "apic", "mcfg", "xsdt", "rsdt", "facs"};

	for (unsigned int i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		iasl_check(dir, names[i]);
	/* The disassembled DSDT must compile again without errors. */
	assert_int_equal(run("cd %s && iasl -p re dsdt.dsl > re.out 2>&1 || cat re.out", dir), 0);
	assert_int_equal(run("grep -q '0 Errors' %s/re.out", dir), 0);
	run("rm -rf %s", dir);
}

static void check_config(unsigned int ncpus, uint64_t ram)
{
	struct tables t;

	load(&t, ncpus, ram);
	check_fadt((const void *)t.fadt);
	check_madt(t.madt, ncpus);
	check_mcfg(t.mcfg);
	check_dsdt(t.dsdt, ram);
	iasl_all(&t);
	unload(&t);
}

static void test_1cpu_256m(void **state)
{
	(void)state;
	check_config(1, MiB(256));
}

static void test_2cpu_8g(void **state)
{
	(void)state;
	check_config(2, GiB(8));
}

static void test_4cpu_256m(void **state)
{
	(void)state;
	check_config(4, MiB(256));
}

static void test_64cpu_8g(void **state)
{
	(void)state;
	check_config(64, GiB(8));
}

static void test_bad_cpu_counts(void **state)
{
	struct guest_mem mem;

	(void)state;
	assert_int_equal(guest_mem_init(&mem, MiB(16), RAM_LOW_MAX, RAM_HIGH_START), 0);
	assert_int_equal(acpi_build(&mem, 0), -EINVAL);
	assert_int_equal(acpi_build(&mem, 256), -EINVAL);
	assert_int_equal(acpi_build(&mem, 255), 0);
	guest_mem_free(&mem);
}

static void test_ram_too_small(void **state)
{
	struct guest_mem mem;

	(void)state;
	/* The ACPI area (up to 1 MiB) is not RAM in a 512 KiB guest. */
	assert_int_equal(guest_mem_init(&mem, 512 * 1024, RAM_LOW_MAX, RAM_HIGH_START), 0);
	assert_int_equal(acpi_build(&mem, 1), -EFAULT);
	guest_mem_free(&mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eisaid),	       cmocka_unit_test(test_integers),
		cmocka_unit_test(test_namestrings),    cmocka_unit_test(test_pkglength),
		cmocka_unit_test(test_buffer_size),    cmocka_unit_test(test_unbalanced),
		cmocka_unit_test(test_1cpu_256m),      cmocka_unit_test(test_2cpu_8g),
		cmocka_unit_test(test_4cpu_256m),      cmocka_unit_test(test_64cpu_8g),
		cmocka_unit_test(test_bad_cpu_counts), cmocka_unit_test(test_ram_too_small),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
