// SPDX-License-Identifier: Apache-2.0
/*
 * Guest interrupts (irq.h). KVM_SET_GSI_ROUTING replaces the whole table, so
 * every change rebuilds it: the default pin routes, then the MSI routes.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86/layout.h"
#include "util/log.h"
#include "vmm/irq.h"
#include "vmm/kvm_internal.h"
#include "vmm/vm.h"

#define PIC_PINS 16

static unsigned int add_irqchip(struct kvm_irq_routing_entry *e, unsigned int n, uint32_t gsi,
				uint32_t chip, uint32_t pin)
{
	e[n] = (struct kvm_irq_routing_entry){
		.gsi = gsi,
		.type = KVM_IRQ_ROUTING_IRQCHIP,
		.u.irqchip = { .irqchip = chip, .pin = pin },
	};
	return n + 1;
}

/*
 * The PC wiring, as KVM's default table and QEMU have it: ISA IRQs 0-15 on
 * the two PICs (2 is the cascade), every GSI on its IOAPIC pin except the PIT
 * (ISA IRQ 0), which sits on IOAPIC pin 2 (the MADT's interrupt override).
 */
static unsigned int add_pin_routes(struct kvm_irq_routing_entry *e)
{
	unsigned int n = 0;

	for (uint32_t gsi = 0; gsi < IOAPIC_NUM_PINS; gsi++) {
		if (gsi < PIC_PINS && gsi != 2)
			n = add_irqchip(e, n, gsi,
					gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE,
					gsi % 8);
		if (gsi == 0)
			n = add_irqchip(e, n, 0, KVM_IRQCHIP_IOAPIC, 2);
		else if (gsi != 2)
			n = add_irqchip(e, n, gsi, KVM_IRQCHIP_IOAPIC, gsi);
	}
	return n;
}

/* Caller holds irq_lock. */
static int commit_routes(struct vm *vm)
{
	struct kvm_state *ks = vm->kvm_state;
	size_t max = 2 * IOAPIC_NUM_PINS + ks->msi_limit;
	struct kvm_irq_routing *r = calloc(1, sizeof(*r) + max * sizeof(r->entries[0]));
	int ret = 0;

	if (!r)
		return -ENOMEM;
	unsigned int n = add_pin_routes(r->entries);

	for (unsigned int i = 0; i < ks->msi_limit; i++) {
		if (!ks->msi[i].used)
			continue;
		r->entries[n++] = (struct kvm_irq_routing_entry){
			.gsi = IRQ_MSI_GSI_BASE + i,
			.type = KVM_IRQ_ROUTING_MSI,
			.u.msi = {
				.address_lo = (uint32_t)ks->msi[i].addr,
				.address_hi = (uint32_t)(ks->msi[i].addr >> 32),
				.data = ks->msi[i].data,
			},
		};
	}
	r->nr = n;
	if (ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, r) < 0) {
		ret = -errno;
		log_error("KVM_SET_GSI_ROUTING (%u routes): %s", n, strerror(errno));
	}
	free(r);
	return ret;
}

int irq_init(struct vm *vm)
{
	struct kvm_state *ks = vm->kvm_state;
	int max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING);
	int ret;

	/* The pin routes take up to 2 entries per pin; the rest of KVM's table is ours. */
	ks->msi_limit = IRQ_MSI_MAX;
	if (max > 2 * IOAPIC_NUM_PINS && (unsigned int)max - 2 * IOAPIC_NUM_PINS < IRQ_MSI_MAX)
		ks->msi_limit = (unsigned int)max - 2 * IOAPIC_NUM_PINS;
	pthread_mutex_lock(&ks->irq_lock);
	ret = commit_routes(vm);
	pthread_mutex_unlock(&ks->irq_lock);
	return ret < 0 ? -1 : 0;
}

int irq_line(struct vm *vm, unsigned int gsi, bool level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level };

	if (gsi >= IOAPIC_NUM_PINS)
		return -EINVAL;
	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &l) < 0) {
		int err = -errno;

		log_ratelimited(LOG_LEVEL_ERROR, "KVM_IRQ_LINE (GSI %u): %s", gsi,
				strerror(errno));
		return err;
	}
	return 0;
}

int irq_pulse(struct vm *vm, unsigned int gsi)
{
	int ret = irq_line(vm, gsi, true);

	return ret < 0 ? ret : irq_line(vm, gsi, false);
}

static bool valid_msi_gsi(const struct kvm_state *ks, int gsi)
{
	return gsi >= IRQ_MSI_GSI_BASE && (unsigned int)(gsi - IRQ_MSI_GSI_BASE) < ks->msi_limit &&
	       ks->msi[gsi - IRQ_MSI_GSI_BASE].used;
}

/*
 * A vector without a route is retried, and injected with KVM_SIGNAL_MSI, on
 * every interrupt: a guest that enables more vectors than KVM's table holds
 * would otherwise fill the log at its interrupt rate. Say it once.
 */
static void log_no_free_route(const struct kvm_state *ks)
{
	static atomic_bool said;

	if (!atomic_exchange(&said, true))
		log_warn("no free MSI route (%u in use): vectors beyond that are injected "
			 "directly (slower); not logged again",
			 ks->msi_limit);
}

int irq_msi_alloc(struct vm *vm, uint64_t addr, uint32_t data)
{
	struct kvm_state *ks = vm->kvm_state;
	int ret = -ENOSPC;

	pthread_mutex_lock(&ks->irq_lock);
	for (unsigned int i = 0; i < ks->msi_limit; i++) {
		if (ks->msi[i].used)
			continue;
		ks->msi[i] = (struct msi_route){ true, addr, data };
		ret = commit_routes(vm);
		if (ret < 0)
			ks->msi[i].used = false;
		else
			ret = IRQ_MSI_GSI_BASE + (int)i;
		break;
	}
	pthread_mutex_unlock(&ks->irq_lock);
	if (ret == -ENOSPC)
		log_no_free_route(ks);
	return ret;
}

int irq_msi_update(struct vm *vm, int gsi, uint64_t addr, uint32_t data)
{
	struct kvm_state *ks = vm->kvm_state;
	int ret = -EINVAL;

	pthread_mutex_lock(&ks->irq_lock);
	if (valid_msi_gsi(ks, gsi)) {
		struct msi_route *m = &ks->msi[gsi - IRQ_MSI_GSI_BASE], old = *m;

		if (old.addr == addr && old.data == data) {
			ret = 0; /* drivers rewrite unchanged entries often */
		} else {
			m->addr = addr;
			m->data = data;
			ret = commit_routes(vm);
			if (ret < 0)
				*m = old;
		}
	}
	pthread_mutex_unlock(&ks->irq_lock);
	return ret;
}

void irq_msi_free(struct vm *vm, int gsi)
{
	struct kvm_state *ks = vm->kvm_state;

	pthread_mutex_lock(&ks->irq_lock);
	if (valid_msi_gsi(ks, gsi)) {
		ks->msi[gsi - IRQ_MSI_GSI_BASE].used = false;
		commit_routes(vm);
	}
	pthread_mutex_unlock(&ks->irq_lock);
}

int irq_irqfd(struct vm *vm, int gsi, int eventfd, bool assign)
{
	struct kvm_irqfd fd = {
		.fd = (uint32_t)eventfd,
		.gsi = (uint32_t)gsi,
		.flags = assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN,
	};

	if (gsi < 0 || eventfd < 0)
		return -EINVAL;
	if (ioctl(vm->vm_fd, KVM_IRQFD, &fd) < 0) {
		int err = -errno;

		log_error("KVM_IRQFD (%s GSI %d): %s", assign ? "assign" : "deassign", gsi,
			  strerror(errno));
		return err;
	}
	return 0;
}

int irq_signal_msi(struct vm *vm, uint64_t addr, uint32_t data)
{
	struct kvm_msi msi = {
		.address_lo = (uint32_t)addr,
		.address_hi = (uint32_t)(addr >> 32),
		.data = data,
	};
	int ret = ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi);

	if (ret < 0) {
		int err = -errno;

		log_ratelimited(LOG_LEVEL_ERROR, "KVM_SIGNAL_MSI: %s", strerror(errno));
		return err;
	}
	return 0; /* 0 from KVM means the guest masked it: not an error for the device */
}
