/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The x86_64 platform: a small Q35-compatible PC (design.md section 2).
 * Every address the VMM hands out comes from here, so the ACPI tables, the
 * e820 map, the PCI host bridge and the devices cannot disagree.
 */
#ifndef VFKIT_X86_LAYOUT_H
#define VFKIT_X86_LAYOUT_H

#define MiB(x) ((unsigned long long)(x) << 20)
#define GiB(x) ((unsigned long long)(x) << 30)

/* Guest RAM: low RAM below the PCI hole, the rest from 4 GiB up. */
#define RAM_LOW_MAX         GiB(2)
#define RAM_HIGH_START      GiB(4)
#define EBDA_START          0x9fc00ULL /* top of conventional memory reported in e820 */
#define BIOS_ROM_START      0xe0000ULL /* ACPI RSDP lives in 0xe0000-0xfffff */
#define BIOS_ROM_END        0x100000ULL

/* Fixed guest-physical addresses used by direct kernel boot (all in low RAM). */
#define BOOT_GDT_ADDR       0x500ULL
#define BOOT_IDT_ADDR       0x520ULL
#define BOOT_PVH_START_INFO 0x6000ULL  /* struct hvm_start_info + memmap */
#define BOOT_ZERO_PAGE      0x7000ULL  /* struct boot_params */
#define BOOT_STACK_TOP      0x8ff0ULL
#define BOOT_PML4_ADDR      0x9000ULL  /* identity page tables for the 64-bit entry */
#define BOOT_PDPTE_ADDR     0xa000ULL
#define BOOT_PDE_ADDR       0xb000ULL  /* 4 pages: identity map of the first 4 GiB */
#define BOOT_CMDLINE_ADDR   0x20000ULL
#define BOOT_CMDLINE_MAX    0x10000ULL
#define ACPI_TABLES_ADDR    0xe0000ULL /* RSDP first, then the other tables */
#define ACPI_TABLES_SIZE    0x20000ULL
#define KERNEL_LOAD_ADDR    0x100000ULL /* protected-mode kernel (bzImage payload) */

/* PCI */
#define PCI_ECAM_BASE       0xb0000000ULL
#define PCI_ECAM_SIZE       MiB(256)  /* room for 256 buses, reserved in e820 */
/*
 * The last bus the firmware tables declare (MCFG, the root bridge's _CRS).
 * Only bus 0 exists: no bridges. Declaring 0-255 made Linux probe every bus
 * for peer host bridges (pcibios_fixup_peer_bridges: 32 config reads, i.e.
 * 64 port exits, per bus), which was 16k of the boot's 18k userspace exits.
 */
#define PCI_BUS_LAST        0
#define PCI_MMIO32_BASE     0xc0000000ULL
#define PCI_MMIO32_END      0xfc000000ULL /* exclusive */
#define PCI_MMIO64_ALIGN    GiB(1)        /* the 64-bit window starts above RAM, aligned */
#define PCI_MMIO64_SIZE     GiB(64)

/* Interrupt controllers (in-kernel irqchip). */
#define IOAPIC_ADDR         0xfec00000ULL
#define LAPIC_ADDR          0xfee00000ULL
#define IOAPIC_NUM_PINS     24

/* Firmware flash for EFI: just below 4 GiB. */
#define FLASH_END           GiB(4)

/* Legacy I/O ports and IRQs. */
#define COM1_PORT           0x3f8
#define COM1_IRQ            4
#define RTC_PORT            0x70 /* 0x70-0x71 */
#define RTC_IRQ             8
#define I8042_DATA_PORT     0x60
#define I8042_CMD_PORT      0x64
#define PCI_CONFIG_PORT     0xcf8 /* 0xcf8-0xcff */
#define ACPI_PM_BASE        0x600 /* ICH9 layout: PM1a_EVT 0x600, PM1a_CNT 0x604, PM_TMR 0x608 */
#define ACPI_PM1_EVT_PORT   (ACPI_PM_BASE + 0x00)
#define ACPI_PM1_CNT_PORT   (ACPI_PM_BASE + 0x04)
#define ACPI_PM_TMR_PORT    (ACPI_PM_BASE + 0x08)
#define ACPI_GPE0_PORT      (ACPI_PM_BASE + 0x20) /* GPE0_STS/EN, 16 bytes */
#define ACPI_SCI_IRQ        9
#define ACPI_RESET_PORT     (ACPI_PM_BASE + 0x80) /* FADT reset register, after the 128-byte PMBASE */
#define FW_CFG_PORT         0x510 /* 0x510-0x51b */

#endif
