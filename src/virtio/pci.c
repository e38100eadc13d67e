// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-pci modern transport (VIRTIO 1.2 section 4.1): one PCI function per
 * device with the vendor capabilities pointing into BAR 4, MSI-X in BAR 1,
 * and queue notifications through ioeventfd (falling back to an MMIO write
 * that signals the same eventfd). Knows nothing about device types.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "pci/device.h"
#include "pci/msix.h"
#include "util/log.h"
#include "virtio/testing.h"
#include "virtio/virtqueue.h"
#include "vmm/vm.h"

/* BAR 4 layout. */
#define VBAR	    4
#define MSIX_BAR    1
#define COMMON_OFF  0x0000
#define COMMON_LEN  0x003c
#define ISR_OFF	    0x1000
#define DEVCFG_OFF  0x2000
#define DEVCFG_MAX  0x1000
#define NOTIFY_OFF  0x3000
#define NOTIFY_MULT 4
#define MAX_QUEUES  (0x1000 / NOTIFY_MULT)
#define VBAR_SIZE   0x4000

#define TRANSPORT_FEATURES                                                                         \
	((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_RING_F_INDIRECT_DESC) |                    \
	 (1ULL << VIRTIO_RING_F_EVENT_IDX))

struct virtio_pci {
	struct virtio_dev *dev;
	struct pci_func func;
	struct msix msix;
	int cfg_cap; /* offset of the VIRTIO_PCI_CAP_PCI_CFG capability */
	uint8_t status;
	uint8_t generation;
	uint8_t isr;
	uint32_t dfselect, gfselect;
	uint16_t queue_select;
	uint16_t config_vector;
};

static struct virtio_pci *vp_of(struct virtio_dev *dev)
{
	return dev->transport;
}

void virtio_dev_lock(struct virtio_dev *dev)
{
	pthread_mutex_lock(&dev->lock);
}

void virtio_dev_unlock(struct virtio_dev *dev)
{
	pthread_mutex_unlock(&dev->lock);
}

bool virtio_has_feature(const struct virtio_dev *dev, unsigned int bit)
{
	return bit < 64 && (dev->driver_features & (1ULL << bit));
}

struct virtq *virtio_dev_queue(struct virtio_dev *dev, unsigned int qidx)
{
	return qidx < dev->num_queues ? &dev->vqs[qidx] : NULL;
}

static void config_interrupt(struct virtio_pci *vp)
{
	vp->isr |= VIRTIO_PCI_ISR_CONFIG;
	msix_notify(&vp->msix, vp->config_vector);
}

void virtio_transport_queue_interrupt(struct virtq *vq)
{
	struct virtio_pci *vp = vp_of(vq->dev);

	vp->isr |= 1;
	msix_notify(&vp->msix, vq->msix_vector);
}

void virtio_dev_needs_reset(struct virtio_dev *dev, const char *why)
{
	struct virtio_pci *vp = vp_of(dev);

	log_ratelimited(LOG_LEVEL_WARN, "%s: %s; device needs reset", dev->ops->name, why);
	for (unsigned int i = 0; i < dev->num_queues; i++)
		dev->vqs[i].live = false;
	if (vp->status & VIRTIO_CONFIG_S_NEEDS_RESET)
		return;
	vp->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	/* Only a driver that finished initialisation listens for config changes. */
	if (vp->status & VIRTIO_CONFIG_S_DRIVER_OK)
		config_interrupt(vp);
}

void virtio_dev_config_changed(struct virtio_dev *dev)
{
	struct virtio_pci *vp = vp_of(dev);

	vp->generation++;
	if (vp->status & VIRTIO_CONFIG_S_DRIVER_OK)
		config_interrupt(vp);
}

static uint64_t offered_features(const struct virtio_dev *dev)
{
	return dev->features | TRANSPORT_FEATURES;
}

static void device_reset(struct virtio_pci *vp)
{
	struct virtio_dev *dev = vp->dev;

	for (unsigned int i = 0; i < dev->num_queues; i++)
		dev->vqs[i].live = false;
	if (dev->ops->reset)
		dev->ops->reset(dev);
	for (unsigned int i = 0; i < dev->num_queues; i++)
		virtq_reset(&dev->vqs[i], dev->queue_size);
	vp->status = 0;
	vp->isr = 0;
	vp->dfselect = vp->gfselect = 0;
	vp->queue_select = 0;
	vp->config_vector = MSIX_NO_VECTOR;
	dev->driver_features = 0;
}

static bool queue_can_go_live(const struct virtio_pci *vp, const struct virtq *vq)
{
	return vq->enabled && (vp->status & VIRTIO_CONFIG_S_DRIVER_OK) &&
	       !(vp->status & VIRTIO_CONFIG_S_NEEDS_RESET);
}

static void write_status(struct virtio_pci *vp, uint8_t val)
{
	struct virtio_dev *dev = vp->dev;
	uint8_t added;

	if (val == 0) {
		device_reset(vp);
		return;
	}
	/* NEEDS_RESET belongs to the device; the driver can only add the other bits. */
	val = (val & ~VIRTIO_CONFIG_S_NEEDS_RESET) | (vp->status & VIRTIO_CONFIG_S_NEEDS_RESET);
	added = val & ~vp->status;
	if (added & VIRTIO_CONFIG_S_FEATURES_OK) {
		uint64_t f = dev->driver_features;

		if ((f & ~offered_features(dev)) || !(f & (1ULL << VIRTIO_F_VERSION_1)))
			val &= ~VIRTIO_CONFIG_S_FEATURES_OK; /* the driver reads it back and gives
								up */
	}
	if ((added & VIRTIO_CONFIG_S_DRIVER_OK) && !(val & VIRTIO_CONFIG_S_FEATURES_OK)) {
		val &= ~VIRTIO_CONFIG_S_DRIVER_OK;
		added &= ~VIRTIO_CONFIG_S_DRIVER_OK;
	}
	vp->status = val | vp->status;
	if (added & VIRTIO_CONFIG_S_DRIVER_OK) {
		for (unsigned int i = 0; i < dev->num_queues; i++)
			dev->vqs[i].live = queue_can_go_live(vp, &dev->vqs[i]);
		if (dev->ops->activate && !(vp->status & VIRTIO_CONFIG_S_NEEDS_RESET))
			dev->ops->activate(dev);
	}
}

static struct virtq *selected_queue(struct virtio_pci *vp)
{
	return virtio_dev_queue(vp->dev, vp->queue_select);
}

static void enable_queue(struct virtio_pci *vp, struct virtq *vq)
{
	if (vq->enabled)
		return;
	if (virtq_map(vq) < 0) {
		virtio_dev_needs_reset(vp->dev, "queue size or ring address invalid");
		return;
	}
	vq->enabled = true;
	vq->live = queue_can_go_live(vp, vq);
}

static void set_half(uint64_t *v, bool high, uint32_t val)
{
	*v = high ? (*v & 0xffffffffULL) | (uint64_t)val << 32 : (*v & ~0xffffffffULL) | val;
}

/* A vector the function does not have reads back as NO_VECTOR, so the driver notices. */
static uint16_t valid_vector(const struct virtio_pci *vp, uint32_t val)
{
	return val < vp->msix.nvec ? (uint16_t)val : MSIX_NO_VECTOR;
}

static void common_write(struct virtio_pci *vp, uint64_t off, uint32_t val, uint32_t len)
{
	struct virtio_dev *dev = vp->dev;
	struct virtq *vq = selected_queue(vp);
	/* Queue registers are frozen once the queue is enabled (no RING_RESET). */
	bool qw = vq && !vq->enabled && !(vp->status & VIRTIO_CONFIG_S_DRIVER_OK);

	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		vp->dfselect = val;
		break;
	case VIRTIO_PCI_COMMON_GFSELECT:
		vp->gfselect = val;
		break;
	case VIRTIO_PCI_COMMON_GF:
		if (vp->gfselect < 2 && !(vp->status & VIRTIO_CONFIG_S_FEATURES_OK))
			set_half(&dev->driver_features, vp->gfselect == 1, val);
		break;
	case VIRTIO_PCI_COMMON_MSIX:
		vp->config_vector = valid_vector(vp, val);
		break;
	case VIRTIO_PCI_COMMON_STATUS:
		write_status(vp, (uint8_t)val);
		break;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		vp->queue_select = (uint16_t)val;
		break;
	case VIRTIO_PCI_COMMON_Q_SIZE:
		if (qw)
			vq->size = (uint16_t)val;
		break;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		if (vq)
			vq->msix_vector = valid_vector(vp, val);
		break;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		if (vq && val == 1)
			enable_queue(vp, vq);
		break;
	case VIRTIO_PCI_COMMON_Q_DESCLO:
	case VIRTIO_PCI_COMMON_Q_DESCHI:
		if (qw)
			set_half(&vq->desc_gpa, off == VIRTIO_PCI_COMMON_Q_DESCHI, val);
		break;
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
	case VIRTIO_PCI_COMMON_Q_AVAILHI:
		if (qw)
			set_half(&vq->avail_gpa, off == VIRTIO_PCI_COMMON_Q_AVAILHI, val);
		break;
	case VIRTIO_PCI_COMMON_Q_USEDLO:
	case VIRTIO_PCI_COMMON_Q_USEDHI:
		if (qw)
			set_half(&vq->used_gpa, off == VIRTIO_PCI_COMMON_Q_USEDHI, val);
		break;
	default:
		break;
	}
	(void)len;
}

static uint32_t common_read(struct virtio_pci *vp, uint64_t off)
{
	struct virtio_dev *dev = vp->dev;
	struct virtq *vq = selected_queue(vp);
	uint64_t f = offered_features(dev);

	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		return vp->dfselect;
	case VIRTIO_PCI_COMMON_DF:
		return vp->dfselect == 0   ? (uint32_t)f
		       : vp->dfselect == 1 ? (uint32_t)(f >> 32)
					   : 0;
	case VIRTIO_PCI_COMMON_GFSELECT:
		return vp->gfselect;
	case VIRTIO_PCI_COMMON_GF:
		return vp->gfselect == 0   ? (uint32_t)dev->driver_features
		       : vp->gfselect == 1 ? (uint32_t)(dev->driver_features >> 32)
					   : 0;
	case VIRTIO_PCI_COMMON_MSIX:
		return vp->config_vector;
	case VIRTIO_PCI_COMMON_NUMQ:
		return dev->num_queues;
	case VIRTIO_PCI_COMMON_STATUS:
		return vp->status;
	case VIRTIO_PCI_COMMON_CFGGENERATION:
		return vp->generation;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		return vp->queue_select;
	case VIRTIO_PCI_COMMON_Q_SIZE:
		return vq ? vq->size : 0;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		return vq ? vq->msix_vector : MSIX_NO_VECTOR;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		return vq ? vq->enabled : 0;
	case VIRTIO_PCI_COMMON_Q_NOFF:
		return vq ? vp->queue_select : 0;
	case VIRTIO_PCI_COMMON_Q_DESCLO:
		return vq ? (uint32_t)vq->desc_gpa : 0;
	case VIRTIO_PCI_COMMON_Q_DESCHI:
		return vq ? (uint32_t)(vq->desc_gpa >> 32) : 0;
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
		return vq ? (uint32_t)vq->avail_gpa : 0;
	case VIRTIO_PCI_COMMON_Q_AVAILHI:
		return vq ? (uint32_t)(vq->avail_gpa >> 32) : 0;
	case VIRTIO_PCI_COMMON_Q_USEDLO:
		return vq ? (uint32_t)vq->used_gpa : 0;
	case VIRTIO_PCI_COMMON_Q_USEDHI:
		return vq ? (uint32_t)(vq->used_gpa >> 32) : 0;
	case VIRTIO_PCI_COMMON_Q_NDATA:
		return vq ? vp->queue_select : 0;
	default:
		return 0;
	}
}

/* Width of the common-config field at off, 0 if none starts there. */
static uint32_t common_field_len(uint64_t off)
{
	if (off >= COMMON_LEN)
		return 0;
	if (off < VIRTIO_PCI_COMMON_MSIX)
		return off % 4 == 0 ? 4 : 0;
	if (off == VIRTIO_PCI_COMMON_STATUS || off == VIRTIO_PCI_COMMON_CFGGENERATION)
		return 1;
	if (off >= VIRTIO_PCI_COMMON_Q_DESCLO && off < VIRTIO_PCI_COMMON_Q_NDATA)
		return off % 4 == 0 ? 4 : 0;
	return off % 2 == 0 ? 2 : 0;
}

static void common_io(struct virtio_pci *vp, uint64_t off, uint8_t *data, uint32_t len,
		      bool is_write)
{
	uint32_t val = 0;

	/* Drivers access each field with its own width; anything else is ignored. */
	if (common_field_len(off) != len)
		return;
	if (is_write) {
		memcpy(&val, data, len);
		common_write(vp, off, val, len);
	} else {
		val = common_read(vp, off);
		memcpy(data, &val, len);
	}
}

static void kick(struct virtio_dev *dev, uint64_t qidx)
{
	uint64_t one = 1;

	if (qidx < dev->num_queues && write(dev->vqs[qidx].kick_fd, &one, sizeof(one)) < 0)
		log_ratelimited(LOG_LEVEL_WARN, "%s: queue kick lost", dev->ops->name);
}

/*
 * Signals the queue's own kick eventfd: epoll reports it again on its next
 * turn, together with every other ready source, so the handler resumes
 * without jumping the queue. Needs no allocation and dies with the queue.
 */
void virtq_reschedule(struct virtq *vq)
{
	kick(vq->dev, vq->index);
}

static void vbar_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct virtio_pci *vp = opaque;
	struct virtio_dev *dev = vp->dev;

	if (off >= NOTIFY_OFF) {
		/* Reached only when no ioeventfd covers this write (a slow path on KVM). */
		if (is_write) {
			log_ratelimited(LOG_LEVEL_DEBUG, "%s: queue notify by MMIO exit",
					dev->ops->name);
			kick(dev, (off - NOTIFY_OFF) / NOTIFY_MULT);
		}
		return;
	}
	virtio_dev_lock(dev);
	if (off < ISR_OFF) {
		common_io(vp, off - COMMON_OFF, data, len, is_write);
	} else if (off < DEVCFG_OFF) {
		if (!is_write && off == ISR_OFF) {
			data[0] = vp->isr; /* reading clears it */
			vp->isr = 0;
		}
	} else {
		uint64_t o = off - DEVCFG_OFF;

		if (o + len <= dev->ops->config_size) {
			if (!is_write)
				dev->ops->config_read(dev, (uint32_t)o, data, len);
			else if (dev->ops->config_write)
				dev->ops->config_write(dev, (uint32_t)o, data, len);
		}
	}
	virtio_dev_unlock(dev);
}

/* ioeventfds follow BAR 4 wherever the guest maps it. */
static void on_bar_map(struct pci_func *f, unsigned int bar, uint64_t addr, bool mapped)
{
	struct virtio_pci *vp = f->opaque;
	struct virtio_dev *dev = vp->dev;

	if (bar != VBAR || dev->vm->vm_fd < 0)
		return;
	for (unsigned int i = 0; i < dev->num_queues; i++) {
		struct kvm_ioeventfd io = {
			.addr = addr + NOTIFY_OFF + (uint64_t)i * NOTIFY_MULT,
			.len = 2,
			.fd = dev->vqs[i].kick_fd,
			.flags = mapped ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN,
		};

		if (ioctl(dev->vm->vm_fd, KVM_IOEVENTFD, &io) < 0 && mapped)
			log_ratelimited(LOG_LEVEL_WARN, "%s: ioeventfd for queue %u: %m",
					dev->ops->name, i);
	}
}

/* VIRTIO_PCI_CAP_PCI_CFG: a window into BAR 4 through config space (for firmware). */
static bool cfg_window(struct virtio_pci *vp, uint32_t offset, uint32_t len, uint64_t *bar_off,
		       uint32_t *acc_len)
{
	struct pci_func *f = &vp->func;
	uint32_t data = (uint32_t)vp->cfg_cap + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data);

	if (offset + len <= data || offset >= data + 4)
		return false;
	*bar_off = pci_cfg_get32(f, (uint32_t)vp->cfg_cap + VIRTIO_PCI_CAP_OFFSET);
	*acc_len = pci_cfg_get32(f, (uint32_t)vp->cfg_cap + VIRTIO_PCI_CAP_LENGTH);
	return f->cfg[vp->cfg_cap + VIRTIO_PCI_CAP_BAR] == VBAR &&
	       (*acc_len == 1 || *acc_len == 2 || *acc_len == 4) && *bar_off < VBAR_SIZE - 4;
}

static void on_cfg_write(struct pci_func *f, uint32_t offset, uint32_t len)
{
	struct virtio_pci *vp = f->opaque;
	uint32_t data = (uint32_t)vp->cfg_cap + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data);
	uint64_t bar_off;
	uint32_t n;

	msix_config_write(&vp->msix, offset, len);
	if (cfg_window(vp, offset, len, &bar_off, &n))
		vbar_io(vp, bar_off, &f->cfg[data], n, true);
}

static void on_cfg_read(struct pci_func *f, uint32_t offset, uint8_t *out, uint32_t len)
{
	struct virtio_pci *vp = f->opaque;
	uint32_t data = (uint32_t)vp->cfg_cap + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data);
	uint8_t buf[4] = {0};
	uint64_t bar_off;
	uint32_t n;

	if (!cfg_window(vp, offset, len, &bar_off, &n))
		return;
	vbar_io(vp, bar_off, buf, n, false);
	for (uint32_t i = 0; i < len; i++)
		if (offset + i >= data && offset + i < data + 4)
			out[i] = buf[offset + i - data];
}

static int add_vcap(struct virtio_pci *vp, uint8_t type, uint32_t off, uint32_t len, uint8_t caplen)
{
	struct pci_func *f = &vp->func;
	int cap = pci_func_add_cap(f, PCI_CAP_ID_VNDR, caplen);

	if (cap < 0)
		return cap;
	f->cfg[cap + VIRTIO_PCI_CAP_LEN] = caplen;
	f->cfg[cap + VIRTIO_PCI_CAP_CFG_TYPE] = type;
	f->cfg[cap + VIRTIO_PCI_CAP_BAR] = VBAR;
	pci_cfg_set32(f, cap + VIRTIO_PCI_CAP_OFFSET, off);
	pci_cfg_set32(f, cap + VIRTIO_PCI_CAP_LENGTH, len);
	return cap;
}

static int build_caps(struct virtio_pci *vp)
{
	struct pci_func *f = &vp->func;
	uint32_t devcfg = vp->dev->ops->config_size ? vp->dev->ops->config_size : 4;
	int cap;

	if (add_vcap(vp, VIRTIO_PCI_CAP_COMMON_CFG, COMMON_OFF, COMMON_LEN, 16) < 0 ||
	    add_vcap(vp, VIRTIO_PCI_CAP_ISR_CFG, ISR_OFF, 1, 16) < 0 ||
	    add_vcap(vp, VIRTIO_PCI_CAP_DEVICE_CFG, DEVCFG_OFF, devcfg, 16) < 0)
		return -ENOSPC;
	cap = add_vcap(vp, VIRTIO_PCI_CAP_NOTIFY_CFG, NOTIFY_OFF, vp->dev->num_queues * NOTIFY_MULT,
		       sizeof(struct virtio_pci_notify_cap));
	if (cap < 0)
		return cap;
	pci_cfg_set32(f, cap + offsetof(struct virtio_pci_notify_cap, notify_off_multiplier),
		      NOTIFY_MULT);
	cap = add_vcap(vp, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, sizeof(struct virtio_pci_cfg_cap));
	if (cap < 0)
		return cap;
	vp->cfg_cap = cap;
	f->wmask[cap + VIRTIO_PCI_CAP_BAR] = 0xff;
	memset(&f->wmask[cap + VIRTIO_PCI_CAP_OFFSET], 0xff, 8);
	memset(&f->wmask[cap + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data)], 0xff, 4);
	return 0;
}

static void on_kick(void *opaque, uint32_t events)
{
	struct virtq *vq = opaque;
	struct virtio_dev *dev = vq->dev;
	uint64_t n;

	(void)events;
	if (read(vq->kick_fd, &n, sizeof(n)) < 0)
		return;
	virtio_dev_lock(dev);
	if (vq->live)
		dev->ops->queue_notify(dev, vq->index);
	virtio_dev_unlock(dev);
}

static int setup_queues(struct virtio_dev *dev)
{
	dev->vqs = calloc(dev->num_queues, sizeof(*dev->vqs));
	if (!dev->vqs)
		return -ENOMEM;
	for (unsigned int i = 0; i < dev->num_queues; i++)
		dev->vqs[i].kick_fd = -1;
	for (unsigned int i = 0; i < dev->num_queues; i++) {
		struct virtq *vq = &dev->vqs[i];

		vq->dev = dev;
		vq->index = i;
		virtq_reset(vq, dev->queue_size);
		vq->kick_fd = -1;
		vq->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vq->kick_fd < 0)
			return -errno;
		if (dev->vm->loop && loop_add(dev->vm->loop, vq->kick_fd, EPOLLIN, on_kick, vq) < 0)
			return -EIO;
	}
	return 0;
}

static void free_queues(struct virtio_dev *dev)
{
	if (!dev->vqs)
		return;
	for (unsigned int i = 0; i < dev->num_queues; i++) {
		struct virtq *vq = &dev->vqs[i];

		if (vq->kick_fd >= 0) {
			if (dev->vm->loop)
				loop_remove(dev->vm->loop, vq->kick_fd);
			close(vq->kick_fd);
		}
	}
	free(dev->vqs);
	dev->vqs = NULL;
}

static int init_function(struct virtio_pci *vp)
{
	struct virtio_dev *dev = vp->dev;
	struct pci_func *f = &vp->func;
	uint32_t class_code = dev->ops->pci_class ? dev->ops->pci_class : 0xff0000;
	unsigned int nvec = dev->num_queues + 1;
	int ret;

	pci_func_init(f, 0x1af4, (uint16_t)(0x1040 + dev->ops->device_id), class_code, 0x1af4,
		      0x1100);
	f->opaque = vp;
	f->bar_map = on_bar_map;
	f->cfg_write = on_cfg_write;
	f->cfg_read = on_cfg_read;
	if (nvec > MSIX_MAX_VECTORS)
		nvec = MSIX_MAX_VECTORS; /* the driver then shares vectors */
	ret = msix_init(&vp->msix, f, nvec, MSIX_BAR);
	if (ret == 0)
		ret = pci_func_add_bar(f, VBAR, PCI_BAR_MEM64, VBAR_SIZE, vbar_io, vp);
	if (ret == 0)
		ret = build_caps(vp);
	return ret;
}

int virtio_dev_register(struct vm *vm, struct virtio_dev *dev)
{
	struct virtio_pci *vp;
	int ret;

	if (dev->num_queues == 0 || dev->num_queues > MAX_QUEUES || dev->queue_size == 0 ||
	    dev->queue_size > VIRTQ_MAX_SIZE || (dev->queue_size & (dev->queue_size - 1)) ||
	    dev->ops->config_size > DEVCFG_MAX)
		return -EINVAL;
	vp = calloc(1, sizeof(*vp));
	if (!vp)
		return -ENOMEM;
	vp->dev = dev;
	vp->config_vector = MSIX_NO_VECTOR;
	dev->vm = vm;
	dev->transport = vp;
	dev->driver_features = 0;
	pthread_mutex_init(&dev->lock, NULL);
	ret = setup_queues(dev);
	if (ret == 0)
		ret = init_function(vp);
	if (ret == 0)
		ret = pci_register_func(vm, &vp->func);
	if (ret < 0) {
		log_error("%s: cannot create the PCI device: %s", dev->ops->name, strerror(-ret));
		free_queues(dev);
		free(vp);
		dev->transport = NULL;
		return ret;
	}
	return 0;
}

void virtio_dev_unregister(struct virtio_dev *dev)
{
	struct virtio_pci *vp = vp_of(dev);

	if (!vp)
		return;
	pci_unregister_func(dev->vm, &vp->func);
	virtio_dev_lock(dev);
	device_reset(vp);
	virtio_dev_unlock(dev);
	msix_destroy(&vp->msix);
	free_queues(dev);
	free(vp);
	dev->transport = NULL;
	pthread_mutex_destroy(&dev->lock);
	if (dev->ops->destroy)
		dev->ops->destroy(dev);
}

struct virtio_dev *virtio_pci_dev_at(struct vm *vm, unsigned int slot)
{
	struct pci_func *f = slot < 32 ? pci_func_at(vm, (uint8_t)(slot << 3)) : NULL;

	/* Only our functions have on_bar_map; the host bridge has no opaque. */
	if (!f || f->bar_map != on_bar_map)
		return NULL;
	return ((struct virtio_pci *)f->opaque)->dev;
}

void virtio_dev_poll(struct virtio_dev *dev)
{
	for (unsigned int i = 0; i < dev->num_queues; i++)
		on_kick(&dev->vqs[i], EPOLLIN);
}
