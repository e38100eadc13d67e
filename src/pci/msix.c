// SPDX-License-Identifier: Apache-2.0
/*
 * MSI-X table, PBA and delivery. Vectors are routed lazily: a GSI is set up
 * the first time an unmasked vector fires, and re-programmed when the guest
 * has rewritten the entry since (Linux rewrites entries while masked).
 */
#include <errno.h>
#include <linux/pci_regs.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "pci/device.h"
#include "pci/msix.h"
#include "util/log.h"
#include "vmm/irq.h"

#define MSIX_TABLE_OFF 0x000
#define MSIX_PBA_OFF   0x800
#define MSIX_BAR_SIZE  0x1000

static void msix_bar_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

int msix_init(struct msix *m, struct pci_func *f, unsigned int nvec, unsigned int bar)
{
	int cap, ret;

	if (nvec == 0 || nvec > MSIX_MAX_VECTORS)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	m->f = f;
	m->nvec = nvec;
	pthread_mutex_init(&m->lock, NULL);
	for (unsigned int i = 0; i < nvec; i++) {
		m->table[i].ctrl = PCI_MSIX_ENTRY_CTRL_MASKBIT;
		m->vec[i].gsi = -1;
		m->vec[i].efd = -1;
	}
	ret = pci_func_add_bar(f, bar, PCI_BAR_MEM32, MSIX_BAR_SIZE, msix_bar_io, m);
	if (ret < 0)
		return ret;
	cap = pci_func_add_cap(f, PCI_CAP_ID_MSIX, PCI_CAP_MSIX_SIZEOF);
	if (cap < 0)
		return cap;
	m->cap = cap;
	pci_cfg_set16(f, cap + PCI_MSIX_FLAGS, (uint16_t)(nvec - 1));
	pci_cfg_set32(f, cap + PCI_MSIX_TABLE, MSIX_TABLE_OFF | bar);
	pci_cfg_set32(f, cap + PCI_MSIX_PBA, MSIX_PBA_OFF | bar);
	f->wmask[cap + PCI_MSIX_FLAGS + 1] = (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) >> 8;
	return 0;
}

void msix_destroy(struct msix *m)
{
	for (unsigned int i = 0; i < m->nvec; i++) {
		struct msix_vector *v = &m->vec[i];

		if (v->gsi >= 0) {
			if (v->efd >= 0)
				irq_irqfd(m->f->vm, v->gsi, v->efd, false);
			irq_msi_free(m->f->vm, v->gsi);
		}
		if (v->efd >= 0)
			close(v->efd);
		v->gsi = v->efd = -1;
	}
	pthread_mutex_destroy(&m->lock);
}

static uint64_t entry_addr(const struct msix_entry *e)
{
	return (uint64_t)e->addr_hi << 32 | e->addr_lo;
}

/* Programs the vector's route if needed and injects it. Called with m->lock held. */
static void deliver(struct msix *m, unsigned int i)
{
	struct msix_vector *v = &m->vec[i];
	const struct msix_entry *e = &m->table[i];
	struct vm *vm = m->f->vm;
	uint64_t one = 1;

	if (v->gsi < 0) {
		v->gsi = irq_msi_alloc(vm, entry_addr(e), e->data);
		if (v->gsi >= 0) {
			v->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
			if (v->efd >= 0 && irq_irqfd(vm, v->gsi, v->efd, true) < 0) {
				close(v->efd);
				v->efd = -1;
			}
		}
		v->dirty = false;
	} else if (v->dirty) {
		if (irq_msi_update(vm, v->gsi, entry_addr(e), e->data) == 0)
			v->dirty = false;
	}
	if (v->gsi >= 0 && v->efd >= 0 && !v->dirty) {
		if (write(v->efd, &one, sizeof(one)) == sizeof(one))
			return;
	}
	/* No route or irqfd (e.g. out of GSIs): inject directly. */
	irq_signal_msi(vm, entry_addr(e), e->data);
}

static bool vector_masked(const struct msix *m, unsigned int i)
{
	return m->func_masked || (m->table[i].ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

static void set_pending(struct msix *m, unsigned int i, bool on)
{
	if (on)
		m->pending[i / 64] |= 1ULL << (i % 64);
	else
		m->pending[i / 64] &= ~(1ULL << (i % 64));
}

static bool is_pending(const struct msix *m, unsigned int i)
{
	return m->pending[i / 64] & (1ULL << (i % 64));
}

/* Fires every vector that is pending and no longer masked. Called with m->lock held. */
static void flush_pending(struct msix *m)
{
	if (!m->enabled)
		return;
	for (unsigned int i = 0; i < m->nvec; i++) {
		if (is_pending(m, i) && !vector_masked(m, i)) {
			set_pending(m, i, false);
			deliver(m, i);
		}
	}
}

void msix_notify(struct msix *m, unsigned int vec)
{
	if (vec >= m->nvec)
		return;
	pthread_mutex_lock(&m->lock);
	if (!m->enabled || vector_masked(m, vec))
		set_pending(m, vec, true);
	else
		deliver(m, vec);
	pthread_mutex_unlock(&m->lock);
}

bool msix_enabled(struct msix *m)
{
	bool on;

	pthread_mutex_lock(&m->lock);
	on = m->enabled;
	pthread_mutex_unlock(&m->lock);
	return on;
}

void msix_config_write(struct msix *m, uint32_t offset, uint32_t len)
{
	uint32_t flags = (uint32_t)m->cap + PCI_MSIX_FLAGS;
	uint16_t ctrl;

	if (offset > flags + 1 || offset + len <= flags)
		return;
	ctrl = pci_cfg_get16(m->f, flags);
	pthread_mutex_lock(&m->lock);
	m->enabled = ctrl & PCI_MSIX_FLAGS_ENABLE;
	m->func_masked = ctrl & PCI_MSIX_FLAGS_MASKALL;
	flush_pending(m);
	pthread_mutex_unlock(&m->lock);
}

static void table_access(struct msix *m, uint64_t offset, uint8_t *data, uint32_t len,
			 bool is_write)
{
	unsigned int i = (unsigned int)(offset / PCI_MSIX_ENTRY_SIZE);
	uint32_t field = offset % PCI_MSIX_ENTRY_SIZE;
	uint32_t *words;

	/* Only aligned dword accesses (and qword of two dwords) are defined. */
	if (i >= m->nvec || (len != 4 && len != 8) || field % 4 || field + len > 16)
		return;
	words = &m->table[i].addr_lo;
	pthread_mutex_lock(&m->lock);
	if (!is_write) {
		memcpy(data, &words[field / 4], len);
	} else {
		bool was_masked = vector_masked(m, i);

		memcpy(&words[field / 4], data, len);
		m->table[i].ctrl &= PCI_MSIX_ENTRY_CTRL_MASKBIT;
		if (field < PCI_MSIX_ENTRY_VECTOR_CTRL)
			m->vec[i].dirty = true;
		if (was_masked && !vector_masked(m, i))
			flush_pending(m);
	}
	pthread_mutex_unlock(&m->lock);
}

static void msix_bar_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct msix *m = opaque;

	if (offset < MSIX_PBA_OFF) {
		table_access(m, offset - MSIX_TABLE_OFF, data, len, is_write);
		return;
	}
	offset -= MSIX_PBA_OFF;
	/* The PBA is read-only. */
	if (is_write || offset + len > sizeof(m->pending))
		return;
	pthread_mutex_lock(&m->lock);
	memcpy(data, (uint8_t *)m->pending + offset, len);
	pthread_mutex_unlock(&m->lock);
}
