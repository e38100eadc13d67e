// SPDX-License-Identifier: Apache-2.0
/*
 * ACPI tables for the Q35-like platform: RSDP, XSDT (and RSDT), FADT with a
 * FACS, DSDT, MADT and MCFG. They are assembled in a host buffer laid out as
 * they will be in the guest and copied to ACPI_TABLES_ADDR in one go; the
 * RSDP comes first, on a 16-byte boundary inside the BIOS area, so a kernel
 * that scans 0xe0000-0xfffff finds it too.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/acpi_tables.h"
#include "arch/x86/aml.h"
#include "arch/x86/layout.h"
#include "arch/x86/legacy.h"
#include "arch/x86/platform.h"
#include "util/log.h"
#include "vmm/memory.h"

#define OEM_ID	     "VFKIT "
#define OEM_TABLE_ID "VFKITVM "
#define CREATOR_ID   "VFKT"

/* Type-0 MADT entries carry 8-bit APIC ids; 0xff is the broadcast id. */
#define ACPI_MAX_CPUS 255

struct builder {
	uint8_t *buf; /* ACPI_TABLES_SIZE bytes, mirrors guest [ACPI_TABLES_ADDR, +size) */
	size_t len;
};

static uint8_t checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += b[i];
	return (uint8_t)-sum;
}

/* Reserves len bytes at the given alignment; returns the offset or -ENOSPC. */
static long alloc(struct builder *b, size_t len, size_t align)
{
	size_t off = (b->len + align - 1) & ~(align - 1);

	if (off > ACPI_TABLES_SIZE || len > ACPI_TABLES_SIZE - off)
		return -ENOSPC;
	b->len = off + len;
	return (long)off;
}

static uint64_t gpa_of(long off)
{
	return ACPI_TABLES_ADDR + (uint64_t)off;
}

static void header(void *table, const char *sig, size_t len, uint8_t rev)
{
	struct acpi_header *h = table;

	memcpy(h->signature, sig, 4);
	h->length = (uint32_t)len;
	h->revision = rev;
	memcpy(h->oem_id, OEM_ID, 6);
	memcpy(h->oem_table_id, OEM_TABLE_ID, 8);
	h->oem_revision = 1;
	memcpy(h->creator_id, CREATOR_ID, 4);
	h->creator_revision = 1;
}

static void finish(void *table)
{
	struct acpi_header *h = table;

	h->checksum = 0;
	h->checksum = checksum(table, h->length);
}

/* Copies a finished table into the image; returns its offset or -errno. */
static long emit(struct builder *b, const void *table, size_t len)
{
	long off = alloc(b, len, 16);

	if (off >= 0)
		memcpy(b->buf + off, table, len);
	return off;
}

static void dsdt_pci0(struct aml *a, uint64_t ram_bytes)
{
	uint64_t mmio64 = platform_mmio64_base(ram_bytes);

	aml_device_open(a, "PCI0");
	aml_name(a, "_HID");
	aml_eisaid(a, "PNP0A08");
	aml_name(a, "_CID");
	aml_eisaid(a, "PNP0A03");
	aml_name(a, "_ADR");
	aml_int(a, 0);
	aml_name(a, "_SEG");
	aml_int(a, 0);
	aml_name(a, "_BBN");
	aml_int(a, 0);
	aml_name(a, "_UID");
	aml_int(a, 0);

	aml_name(a, "_CRS");
	aml_buffer_open(a);
	aml_res_bus(a, 0, PCI_BUS_LAST);
	aml_res_io(a, PCI_CONFIG_PORT, 8);
	aml_res_word_io(a, 0x0000, PCI_CONFIG_PORT - 1);
	aml_res_word_io(a, PCI_CONFIG_PORT + 8, 0xffff);
	aml_res_dword_mem(a, (uint32_t)PCI_MMIO32_BASE, (uint32_t)(PCI_MMIO32_END - 1), false);
	aml_res_qword_mem(a, mmio64, mmio64 + PCI_MMIO64_SIZE - 1, false);
	aml_res_end(a);
	aml_close(a);

	/*
	 * _OSC: hand the OS every PCIe feature it asks for by returning its
	 * capabilities buffer unchanged (no error bits set). There are no root
	 * ports or hotplug slots whose control could be contested.
	 */
	aml_method_open(a, "_OSC", 4, false);
	aml_return_arg(a, 3);
	aml_close(a);
	aml_close(a);
}

static void dsdt_isa(struct aml *a)
{
	aml_device_open(a, "COM1");
	aml_name(a, "_HID");
	aml_eisaid(a, "PNP0501");
	aml_name(a, "_UID");
	aml_int(a, 1);
	aml_name(a, "_CRS");
	aml_buffer_open(a);
	aml_res_io(a, COM1_PORT, 8);
	aml_res_irq(a, COM1_IRQ);
	aml_res_end(a);
	aml_close(a);
	aml_close(a);

	aml_device_open(a, "RTC");
	aml_name(a, "_HID");
	aml_eisaid(a, "PNP0B00");
	aml_name(a, "_CRS");
	aml_buffer_open(a);
	aml_res_io(a, RTC_PORT, 2);
	aml_res_irq(a, RTC_IRQ);
	aml_res_end(a);
	aml_close(a);
	aml_close(a);

	/*
	 * Motherboard resources: the ECAM window must be reserved here (or in
	 * e820) or Linux refuses MMCONFIG and loses extended config space.
	 */
	aml_device_open(a, "MRES");
	aml_name(a, "_HID");
	aml_eisaid(a, "PNP0C02");
	aml_name(a, "_UID");
	aml_int(a, 0);
	aml_name(a, "_CRS");
	aml_buffer_open(a);
	aml_res_mem32_fixed(a, (uint32_t)PCI_ECAM_BASE, (uint32_t)PCI_ECAM_SIZE);
	aml_res_io(a, ACPI_PM_BASE, 0x80);
	aml_res_io(a, ACPI_RESET_PORT, 1);
	aml_res_end(a);
	aml_close(a);
	aml_close(a);
}

static long build_dsdt(struct builder *b, uint64_t ram_bytes)
{
	struct acpi_header h = {0};
	struct aml a;
	long off;
	int err;

	aml_init(&a);
	aml_bytes(&a, &h, sizeof(h));
	aml_scope_open(&a, "\\_SB");
	dsdt_pci0(&a, ram_bytes);
	dsdt_isa(&a);
	aml_close(&a);

	/* Only S5 (soft off) is offered; sleep states stay unavailable. */
	aml_name(&a, "\\_S5");
	aml_package_open(&a, 4);
	aml_int(&a, ACPI_SLP_TYP_S5);
	aml_int(&a, ACPI_SLP_TYP_S5);
	aml_int(&a, 0);
	aml_int(&a, 0);
	aml_close(&a);

	err = aml_finish(&a);
	if (err) {
		aml_free(&a);
		return err;
	}
	header(a.buf, "DSDT", a.len, 2); /* revision 2: 64-bit integers */
	finish(a.buf);
	off = emit(b, a.buf, a.len);
	aml_free(&a);
	return off;
}

static struct acpi_gas io_gas(uint64_t port, unsigned int bytes, uint8_t access)
{
	return (struct acpi_gas){
		.space_id = 1,
		.bit_width = (uint8_t)(bytes * 8),
		.access_size = access,
		.address = port,
	};
}

static long build_fadt(struct builder *b, long facs, long dsdt)
{
	struct acpi_fadt f = {0};

	header(&f, "FACP", sizeof(f), 6);
	f.firmware_ctrl = (uint32_t)gpa_of(facs);
	f.dsdt = (uint32_t)gpa_of(dsdt);
	f.x_firmware_ctrl = 0; /* only one of the two may be set */
	f.x_dsdt = gpa_of(dsdt);
	f.sci_int = ACPI_SCI_IRQ;
	f.smi_cmd = 0; /* no SMM: the platform is always in ACPI mode */
	f.pm1a_evt_blk = ACPI_PM1_EVT_PORT;
	f.pm1a_cnt_blk = ACPI_PM1_CNT_PORT;
	f.pm_tmr_blk = ACPI_PM_TMR_PORT;
	f.gpe0_blk = ACPI_GPE0_PORT;
	f.pm1_evt_len = ACPI_PM1_EVT_LEN;
	f.pm1_cnt_len = ACPI_PM1_CNT_LEN;
	f.pm_tmr_len = ACPI_PM_TMR_LEN;
	f.gpe0_blk_len = ACPI_GPE0_LEN;
	f.p_lvl2_lat = 101;  /* > 100: C2 not supported */
	f.p_lvl3_lat = 1001; /* > 1000: C3 not supported */
	f.century = CMOS_CENTURY_REG;
	/* ISA devices exist (COM1, RTC); no 8042 to probe, no VGA. */
	f.iapc_boot_arch = FADT_BOOT_LEGACY_DEVICES | FADT_BOOT_NO_VGA;
	f.flags = FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_SLP_BUTTON | FADT_F_FIX_RTC |
		  FADT_F_TMR_VAL_EXT | FADT_F_RESET_REG_SUP | FADT_F_USE_PLATFORM_CLOCK;
	f.reset_reg = io_gas(ACPI_RESET_PORT, 1, 1);
	f.reset_value = ACPI_RESET_VALUE;
	f.minor_version = 0;
	f.x_pm1a_evt_blk = io_gas(ACPI_PM1_EVT_PORT, ACPI_PM1_EVT_LEN, 2);
	f.x_pm1a_cnt_blk = io_gas(ACPI_PM1_CNT_PORT, ACPI_PM1_CNT_LEN, 2);
	f.x_pm_tmr_blk = io_gas(ACPI_PM_TMR_PORT, ACPI_PM_TMR_LEN, 3);
	f.x_gpe0_blk = io_gas(ACPI_GPE0_PORT, ACPI_GPE0_LEN, 1);
	finish(&f);
	return emit(b, &f, sizeof(f));
}

static long build_facs(struct builder *b)
{
	struct acpi_facs facs = {0};
	long off = alloc(b, sizeof(facs), 64); /* the FACS must be 64-byte aligned */

	if (off < 0)
		return off;
	memcpy(facs.signature, "FACS", 4);
	facs.length = sizeof(facs);
	facs.version = 2;
	memcpy(b->buf + off, &facs, sizeof(facs)); /* no checksum in a FACS */
	return off;
}

static long build_madt(struct builder *b, unsigned int ncpus)
{
	size_t len = sizeof(struct acpi_madt) + ncpus * sizeof(struct madt_lapic) +
		     sizeof(struct madt_ioapic) + 2 * sizeof(struct madt_override) +
		     sizeof(struct madt_lapic_nmi);
	uint8_t *t = calloc(1, len);
	struct acpi_madt *m = (struct acpi_madt *)t;
	size_t pos = sizeof(*m);
	long off;

	if (!t)
		return -ENOMEM;
	header(m, "APIC", len, 3);
	m->lapic_address = (uint32_t)LAPIC_ADDR;
	m->flags = 1; /* PCAT_COMPAT: the in-kernel 8259s exist and must be masked */
	for (unsigned int i = 0; i < ncpus; i++) {
		struct madt_lapic l = {MADT_LAPIC, sizeof(l), (uint8_t)i, (uint8_t)i, 1};

		memcpy(t + pos, &l, sizeof(l));
		pos += sizeof(l);
	}
	struct madt_ioapic io = {MADT_IOAPIC, sizeof(io), 0, 0, (uint32_t)IOAPIC_ADDR, 0};

	memcpy(t + pos, &io, sizeof(io));
	pos += sizeof(io);
	/* The PIT's IRQ 0 is wired to IOAPIC pin 2, as on every PC. */
	struct madt_override irq0 = {MADT_INT_OVERRIDE, sizeof(irq0), 0, 0, 2, 0};
	/* The SCI is level-triggered, active high (flags: polarity 01, trigger 11). */
	struct madt_override sci = {MADT_INT_OVERRIDE, sizeof(sci),  0,
				    ACPI_SCI_IRQ,      ACPI_SCI_IRQ, 0x000d};

	memcpy(t + pos, &irq0, sizeof(irq0));
	pos += sizeof(irq0);
	memcpy(t + pos, &sci, sizeof(sci));
	pos += sizeof(sci);
	struct madt_lapic_nmi nmi = {MADT_LAPIC_NMI, sizeof(nmi), 0xff, 0, 1};

	memcpy(t + pos, &nmi, sizeof(nmi));
	finish(t);
	off = emit(b, t, len);
	free(t);
	return off;
}

static long build_mcfg(struct builder *b)
{
	struct acpi_mcfg m = {0};

	header(&m, "MCFG", sizeof(m), 1);
	m.base = PCI_ECAM_BASE;
	m.segment = 0;
	m.start_bus = 0;
	m.end_bus = PCI_BUS_LAST;
	finish(&m);
	return emit(b, &m, sizeof(m));
}

/* XSDT (8-byte entries) or RSDT (4-byte entries) listing the tables. */
static long build_sdt(struct builder *b, const char *sig, const long *tables, unsigned int n,
		      unsigned int entry)
{
	size_t len = sizeof(struct acpi_header) + n * entry;
	uint8_t t[sizeof(struct acpi_header) + 8 * 8] = {0};

	if (n > 8)
		return -EINVAL;
	header(t, sig, len, 1);
	for (unsigned int i = 0; i < n; i++) {
		uint64_t gpa = gpa_of(tables[i]);

		memcpy(t + sizeof(struct acpi_header) + i * entry, &gpa, entry);
	}
	finish(t);
	return emit(b, t, len);
}

static int build_all(struct builder *b, unsigned int ncpus, uint64_t ram_bytes)
{
	struct acpi_rsdp rsdp = {0};
	long rsdp_off = alloc(b, sizeof(rsdp), 16);
	long facs = build_facs(b);
	long dsdt = build_dsdt(b, ram_bytes);
	long tables[3];
	long fadt, xsdt, rsdt;

	if (rsdp_off < 0 || facs < 0 || dsdt < 0)
		return rsdp_off < 0 ? (int)rsdp_off : facs < 0 ? (int)facs : (int)dsdt;
	fadt = build_fadt(b, facs, dsdt);
	tables[0] = fadt;
	tables[1] = build_madt(b, ncpus);
	tables[2] = build_mcfg(b);
	for (unsigned int i = 0; i < 3; i++)
		if (tables[i] < 0)
			return (int)tables[i];
	xsdt = build_sdt(b, "XSDT", tables, 3, 8);
	rsdt = build_sdt(b, "RSDT", tables, 3, 4);
	if (xsdt < 0 || rsdt < 0)
		return xsdt < 0 ? (int)xsdt : (int)rsdt;

	memcpy(rsdp.signature, "RSD PTR ", 8);
	memcpy(rsdp.oem_id, OEM_ID, 6);
	rsdp.revision = 2;
	rsdp.rsdt_address = (uint32_t)gpa_of(rsdt);
	rsdp.length = sizeof(rsdp);
	rsdp.xsdt_address = gpa_of(xsdt);
	rsdp.checksum = checksum(&rsdp, 20);
	rsdp.ext_checksum = checksum(&rsdp, sizeof(rsdp));
	memcpy(b->buf + rsdp_off, &rsdp, sizeof(rsdp));
	return 0;
}

int acpi_build(struct guest_mem *mem, unsigned int ncpus)
{
	struct builder b = {0};
	int err;

	if (ncpus == 0 || ncpus > ACPI_MAX_CPUS) {
		log_error("ACPI: cannot describe %u vCPUs (1-%u supported)", ncpus, ACPI_MAX_CPUS);
		return -EINVAL;
	}
	b.buf = calloc(1, ACPI_TABLES_SIZE);
	if (!b.buf)
		return -ENOMEM;
	err = build_all(&b, ncpus, mem->size);
	if (!err)
		err = gmem_write(mem, ACPI_TABLES_ADDR, b.buf, b.len);
	if (err)
		log_error("ACPI: cannot build tables: %s", strerror(-err));
	free(b.buf);
	return err;
}
