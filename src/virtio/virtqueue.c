// SPDX-License-Identifier: Apache-2.0
/*
 * Split virtqueues (VIRTIO 1.2 section 2.7) with INDIRECT_DESC and EVENT_IDX.
 *
 * The rings live in guest memory the guest may rewrite at any moment: every
 * descriptor is copied out before it is checked, every index is bounded, a
 * chain may not be longer than the queue (which also catches loops), and
 * every buffer must lie wholly in guest RAM. Any violation puts the device
 * into DEVICE_NEEDS_RESET.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>

#include "util/log.h"
#include "virtio/virtqueue.h"
#include "vmm/vm.h"

#define load_acquire(p)	    __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define full_barrier()	    __atomic_thread_fence(__ATOMIC_SEQ_CST)

static bool ranges_ok(const struct guest_mem *mem, uint64_t gpa, uint64_t len, uint64_t align)
{
	return gpa % align == 0 && gmem_ptr(mem, gpa, len) != NULL;
}

static bool head_in_flight(const struct virtq *vq, uint16_t head)
{
	return vq->in_flight[head / 64] & (1ULL << (head % 64));
}

static void mark_in_flight(struct virtq *vq, uint16_t head, bool busy)
{
	if (busy)
		vq->in_flight[head / 64] |= 1ULL << (head % 64);
	else
		vq->in_flight[head / 64] &= ~(1ULL << (head % 64));
}

int virtq_map(struct virtq *vq)
{
	const struct guest_mem *mem = &vq->dev->vm->mem;
	uint64_t n = vq->size;

	if (n == 0 || (n & (n - 1)) || n > vq->dev->queue_size)
		return -EINVAL;
	/* Sizes include the event-index words, which exist whether or not negotiated. */
	if (!ranges_ok(mem, vq->desc_gpa, 16 * n, 16) ||
	    !ranges_ok(mem, vq->avail_gpa, 6 + 2 * n, 2) ||
	    !ranges_ok(mem, vq->used_gpa, 6 + 8 * n, 4))
		return -EINVAL;
	vq->desc = gmem_ptr(mem, vq->desc_gpa, 16 * n);
	vq->avail = gmem_ptr(mem, vq->avail_gpa, 6 + 2 * n);
	vq->used = gmem_ptr(mem, vq->used_gpa, 6 + 8 * n);
	vq->last_avail = 0;
	vq->used_idx = 0;
	vq->signalled_used = 0;
	vq->signalled_valid = false;
	memset(vq->in_flight, 0, sizeof(vq->in_flight));
	return 0;
}

void virtq_reset(struct virtq *vq, uint16_t max_size)
{
	vq->size = max_size;
	vq->msix_vector = 0xffff;
	vq->enabled = false;
	vq->live = false;
	vq->desc_gpa = vq->avail_gpa = vq->used_gpa = 0;
	vq->desc = NULL;
	vq->avail = NULL;
	vq->used = NULL;
	vq->last_avail = vq->used_idx = vq->signalled_used = 0;
	vq->signalled_valid = false;
	memset(vq->in_flight, 0, sizeof(vq->in_flight));
}

bool virtq_ready(const struct virtq *vq)
{
	return vq && vq->live;
}

static int chain_error(struct virtq *vq, const char *what)
{
	char why[96];

	snprintf(why, sizeof(why), "queue %u: %s", vq->index, what);
	virtio_dev_needs_reset(vq->dev, why);
	return -EINVAL;
}

/* State of one chain walk. */
struct walk {
	struct virtq *vq;
	struct virtq_chain *chain;
	unsigned int count;
	bool seen_write;
};

static int add_buffer(struct walk *w, const struct vring_desc *d)
{
	struct virtq_chain *c = w->chain;
	bool writable = d->flags & VRING_DESC_F_WRITE;
	void *host;

	if (d->len == 0)
		return chain_error(w->vq, "zero-length descriptor");
	if (!writable && w->seen_write)
		return chain_error(w->vq, "readable descriptor after a writable one");
	host = gmem_ptr(&w->vq->dev->vm->mem, d->addr, d->len);
	if (!host)
		return chain_error(w->vq, "descriptor outside guest RAM");
	c->iov[c->nout + c->nin] = (struct iovec){host, d->len};
	if (writable) {
		w->seen_write = true;
		c->nin++;
		c->in_len += d->len;
	} else {
		c->nout++;
		c->out_len += d->len;
	}
	return 0;
}

/* Walks an indirect table: its descriptors' next fields index the table itself. */
static int walk_indirect(struct walk *w, const struct vring_desc *ind)
{
	struct virtq *vq = w->vq;
	unsigned int n = ind->len / sizeof(struct vring_desc);
	const struct vring_desc *table;
	unsigned int i = 0;

	if (!virtio_has_feature(vq->dev, VIRTIO_RING_F_INDIRECT_DESC))
		return chain_error(vq, "indirect descriptor not negotiated");
	if (ind->flags & VRING_DESC_F_NEXT)
		return chain_error(vq, "indirect descriptor with NEXT");
	if (ind->len == 0 || ind->len % sizeof(struct vring_desc) || n > VIRTQ_MAX_CHAIN)
		return chain_error(vq, "bad indirect table length");
	table = gmem_ptr(&vq->dev->vm->mem, ind->addr, ind->len);
	if (!table || ind->addr % 16)
		return chain_error(vq, "indirect table outside guest RAM");
	/* The table's own entries bound the walk: visiting more than n means a loop. */
	for (unsigned int visited = 1;; visited++) {
		struct vring_desc d;

		memcpy(&d, &table[i], sizeof(d)); /* one fetch, then validate the copy */
		if (visited > n)
			return chain_error(vq, "indirect descriptor chain loops");
		if (d.flags & VRING_DESC_F_INDIRECT)
			return chain_error(vq, "nested indirect descriptor");
		if (add_buffer(w, &d) < 0)
			return -EINVAL;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		if (d.next >= n)
			return chain_error(vq, "indirect next index out of range");
		i = d.next;
	}
}

static int walk_chain(struct walk *w, uint16_t head)
{
	struct virtq *vq = w->vq;
	uint16_t i = head;

	for (;;) {
		struct vring_desc d;

		memcpy(&d, &vq->desc[i], sizeof(d));
		/* A chain longer than the ring revisits a descriptor: a loop. */
		if (++w->count > vq->size || w->count > VIRTQ_MAX_CHAIN)
			return chain_error(vq, "descriptor chain too long or looping");
		if (d.flags & VRING_DESC_F_INDIRECT) {
			/* Only a lone descriptor may point at a table. */
			if (w->chain->nout + w->chain->nin != 0)
				return chain_error(vq, "indirect descriptor inside a chain");
			return walk_indirect(w, &d);
		}
		if (add_buffer(w, &d) < 0)
			return -EINVAL;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		if (d.next >= vq->size)
			return chain_error(vq, "next index out of range");
		i = d.next;
	}
}

/* Tells the driver which avail index we want to hear about next. */
static void set_avail_event(struct virtq *vq)
{
	uint16_t *avail_event = (uint16_t *)&vq->used->ring[vq->size];

	store_release(avail_event, vq->last_avail);
	full_barrier();
}

int virtq_pop(struct virtq *vq, struct virtq_chain *chain)
{
	uint16_t avail_idx, head;
	struct walk w = {vq, chain, 0, false};

	if (!virtq_ready(vq))
		return 0;
	avail_idx = load_acquire(&vq->avail->idx);
	if (avail_idx == vq->last_avail && virtio_has_feature(vq->dev, VIRTIO_RING_F_EVENT_IDX)) {
		set_avail_event(vq);
		avail_idx = load_acquire(&vq->avail->idx);
	}
	if (avail_idx == vq->last_avail)
		return 0;
	if ((uint16_t)(avail_idx - vq->last_avail) > vq->size)
		return chain_error(vq, "avail index moved by more than the queue size");
	head = load_acquire(&vq->avail->ring[vq->last_avail % vq->size]);
	if (head >= vq->size)
		return chain_error(vq, "avail ring entry out of range");
	if (head_in_flight(vq, head))
		return chain_error(vq, "descriptor head offered again while in flight");
	chain->head = head;
	chain->nout = chain->nin = 0;
	chain->out_len = chain->in_len = 0;
	if (walk_chain(&w, head) < 0)
		return -EINVAL;
	mark_in_flight(vq, head, true);
	vq->popped_head[vq->last_avail % vq->size] = head;
	vq->last_avail++;
	return 1;
}

bool virtq_batch_spent(struct virtq *vq, unsigned int *served)
{
	if (++*served < VIRTQ_BATCH)
		return false;
	virtq_reschedule(vq);
	return true;
}

void virtq_unpop(struct virtq *vq)
{
	vq->last_avail--;
	mark_in_flight(vq, vq->popped_head[vq->last_avail % vq->size], false);
}

void virtq_push(struct virtq *vq, const struct virtq_chain *chain, uint32_t written)
{
	struct vring_used_elem *e;

	if (!virtq_ready(vq))
		return;
	/* Only a head we handed out goes back: the used ring cannot gain phantom entries. */
	if (chain->head >= vq->size || !head_in_flight(vq, chain->head))
		return;
	mark_in_flight(vq, chain->head, false);
	if (written > chain->in_len)
		written = (uint32_t)chain->in_len;
	e = &vq->used->ring[vq->used_idx % vq->size];
	store_release(&e->id, (uint32_t)chain->head);
	store_release(&e->len, written);
	vq->used_idx++;
	store_release(&vq->used->idx, vq->used_idx);
}

/* VIRTIO 1.2 2.7.10: interrupt if used_event lies in (old, new]. */
static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

void virtq_notify(struct virtq *vq)
{
	bool notify;

	if (!virtq_ready(vq))
		return;
	/* Our used-ring stores must be visible before we read the driver's suppression state. */
	full_barrier();
	if (virtio_has_feature(vq->dev, VIRTIO_RING_F_EVENT_IDX)) {
		uint16_t used_event = load_acquire(&vq->avail->ring[vq->size]);
		uint16_t old = vq->signalled_used;
		bool valid = vq->signalled_valid;

		vq->signalled_used = vq->used_idx;
		vq->signalled_valid = true;
		notify = !valid || need_event(used_event, vq->used_idx, old);
	} else {
		notify = !(load_acquire(&vq->avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);
	}
	if (notify)
		virtio_transport_queue_interrupt(vq);
}

/* Copies len bytes at offset within iov[first .. first+count) to or from buf. */
static size_t chain_copy(const struct virtq_chain *chain, unsigned int first, unsigned int count,
			 uint64_t offset, void *buf, size_t len, bool to_guest)
{
	size_t done = 0;

	for (unsigned int i = first; i < first + count && done < len; i++) {
		const struct iovec *v = &chain->iov[i];
		size_t n;

		if (offset >= v->iov_len) {
			offset -= v->iov_len;
			continue;
		}
		n = v->iov_len - offset;
		if (n > len - done)
			n = len - done;
		if (to_guest)
			memcpy((uint8_t *)v->iov_base + offset, (uint8_t *)buf + done, n);
		else
			memcpy((uint8_t *)buf + done, (uint8_t *)v->iov_base + offset, n);
		done += n;
		offset = 0;
	}
	return done;
}

size_t virtq_chain_read(const struct virtq_chain *chain, uint64_t offset, void *buf, size_t len)
{
	return chain_copy(chain, 0, chain->nout, offset, buf, len, false);
}

size_t virtq_chain_write(const struct virtq_chain *chain, uint64_t offset, const void *buf,
			 size_t len)
{
	/* chain_copy only reads buf when copying to the guest. */
	return chain_copy(chain, chain->nout, chain->nin, offset, (void *)buf, len, true);
}
