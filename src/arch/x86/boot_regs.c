// SPDX-License-Identifier: Apache-2.0
/* vCPU 0's entry state for direct kernel boot (boot_regs.h). */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "arch/x86/boot_regs.h"
#include "arch/x86/layout.h"
#include "arch/x86/le.h"
#include "util/log.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

/* GDT selectors; 0x10/0x18 are the boot protocol's __BOOT_CS/__BOOT_DS. */
#define SEL_CODE64 0x10
#define SEL_DATA   0x18
#define SEL_CODE32 0x20
#define SEL_TSS    0x28
#define GDT_ENTRIES 6

#define CR0_PE    (1ULL << 0)
#define CR0_ET    (1ULL << 4)
#define CR0_PG    (1ULL << 31)
#define CR4_PAE   (1ULL << 5)
#define EFER_LME  (1ULL << 8)
#define EFER_LMA  (1ULL << 10)
#define PTE_P_RW  0x3ULL
#define PDE_PS    0x80ULL

static const uint64_t gdt[GDT_ENTRIES] = {
	0,
	0,
	0x00af9b000000ffffULL, /* 64-bit code, DPL 0 */
	0x00cf93000000ffffULL, /* flat 4 GiB data */
	0x00cf9b000000ffffULL, /* flat 32-bit code */
	0x00008b0000000067ULL, /* 32-bit TSS (busy), base 0 */
};

static struct kvm_segment segment(uint16_t sel, uint8_t type, uint8_t db, uint8_t l)
{
	return (struct kvm_segment){
		.base = 0,
		.limit = 0xffffffff,
		.selector = sel,
		.type = type,
		.present = 1,
		.dpl = 0,
		.db = db,
		.s = 1,
		.l = l,
		.g = 1,
	};
}

static int write_tables(struct vm *vm, enum boot_entry_mode mode)
{
	uint8_t buf[GDT_ENTRIES * 8];

	for (int i = 0; i < GDT_ENTRIES; i++)
		put_le64(buf + i * 8, gdt[i]);
	if (gmem_write(&vm->mem, BOOT_GDT_ADDR, buf, sizeof(buf)) < 0)
		return -EFAULT;
	if (mode != BOOT_ENTRY_64)
		return 0;

	/* Identity map of the first 4 GiB with 2 MiB pages: 1 PML4E, 4 PDPTEs, 2048 PDEs. */
	uint8_t *pml4 = gmem_ptr(&vm->mem, BOOT_PML4_ADDR, 4096);
	uint8_t *pdpt = gmem_ptr(&vm->mem, BOOT_PDPTE_ADDR, 4096);
	uint8_t *pd = gmem_ptr(&vm->mem, BOOT_PDE_ADDR, 4 * 4096);

	if (!pml4 || !pdpt || !pd)
		return -EFAULT;
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	put_le64(pml4, BOOT_PDPTE_ADDR | PTE_P_RW);
	for (uint64_t i = 0; i < 4; i++)
		put_le64(pdpt + i * 8, (BOOT_PDE_ADDR + i * 4096) | PTE_P_RW);
	for (uint64_t i = 0; i < 4 * 512; i++)
		put_le64(pd + i * 8, (i << 21) | PTE_P_RW | PDE_PS);
	return 0;
}

static void set_sregs(struct kvm_sregs *s, enum boot_entry_mode mode)
{
	struct kvm_segment data = segment(SEL_DATA, 3, 1, 0);

	s->gdt.base = BOOT_GDT_ADDR;
	s->gdt.limit = GDT_ENTRIES * 8 - 1;
	s->idt.base = BOOT_IDT_ADDR;
	s->idt.limit = 0;
	s->ds = s->es = s->fs = s->gs = s->ss = data;
	s->tr = segment(SEL_TSS, 11, 0, 0);
	s->tr.s = 0;
	s->tr.g = 0;
	s->tr.limit = 0x67;
	if (mode == BOOT_ENTRY_64) {
		s->cs = segment(SEL_CODE64, 11, 0, 1);
		s->cr3 = BOOT_PML4_ADDR;
		s->cr4 |= CR4_PAE;
		s->cr0 |= CR0_PE | CR0_ET | CR0_PG;
		s->efer |= EFER_LME | EFER_LMA;
	} else {
		s->cs = segment(SEL_CODE32, 11, 1, 0);
		s->cr0 = (s->cr0 | CR0_PE | CR0_ET) & ~CR0_PG;
		s->cr4 = 0;
		s->efer = 0;
	}
}

int boot_setup_regs(struct vm *vm, enum boot_entry_mode mode, uint64_t entry, uint64_t arg)
{
	int fd = vm->vcpus[0].fd;
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rflags = 0x2, .rip = entry };

	if (write_tables(vm, mode) < 0) {
		log_error("boot: guest RAM too small for the boot page tables");
		return -1;
	}
	if (ioctl(fd, KVM_GET_SREGS, &sregs) < 0) {
		log_error("vCPU 0: KVM_GET_SREGS: %s", strerror(errno));
		return -1;
	}
	set_sregs(&sregs, mode);
	if (mode == BOOT_ENTRY_64) {
		regs.rsi = arg;
		regs.rsp = regs.rbp = BOOT_STACK_TOP;
	} else {
		regs.rbx = arg;
	}
	if (ioctl(fd, KVM_SET_SREGS, &sregs) < 0 || ioctl(fd, KVM_SET_REGS, &regs) < 0) {
		log_error("vCPU 0: setting boot registers: %s", strerror(errno));
		return -1;
	}
	return 0;
}
