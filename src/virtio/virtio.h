/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The interface between a virtio device model (blk, console, rng, net, ...)
 * and the virtio-pci transport. The transport owns PCI, feature negotiation,
 * device status, reset, queue setup, the split rings and interrupts; a device
 * only says what it is and handles its queues.
 *
 * Threads: queue_notify, and every fd callback a device adds to vm->loop, run
 * on the loop thread. The transport calls into the device (config access,
 * reset, activate, queue_notify) with dev->lock held; a device that touches
 * its queues from any other context (its own loop callbacks, an I/O thread)
 * takes virtio_dev_lock() first.
 *
 * Everything read from a ring or a descriptor is untrusted: virtq_pop()
 * validates the whole chain and maps it to host iovecs inside guest RAM, or
 * puts the device into DEVICE_NEEDS_RESET. Devices still must not trust
 * lengths or headers inside the buffers: copy them out, then check.
 */
#ifndef VFKIT_VIRTIO_H
#define VFKIT_VIRTIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <linux/virtio_ids.h> /* VIRTIO_ID_* */

struct vm;
struct virtio_dev;
struct virtq;

/* Largest queue a device may ask for, and the longest chain accepted. */
#define VIRTQ_MAX_SIZE	256
#define VIRTQ_MAX_CHAIN VIRTQ_MAX_SIZE

/*
 * One popped descriptor chain: the driver-written ("out") buffers first,
 * then the device-written ("in") ones, each mapped into guest RAM.
 */
struct virtq_chain {
	uint16_t head;	   /* descriptor index, handed back by virtq_push() */
	unsigned int nout; /* iov[0 .. nout) are readable */
	unsigned int nin;  /* iov[nout .. nout+nin) are writable */
	uint64_t out_len;  /* total bytes readable */
	uint64_t in_len;   /* total bytes writable */
	struct iovec iov[VIRTQ_MAX_CHAIN];
};

struct virtio_device_ops {
	const char *name;   /* "virtio-blk": prefix of log lines */
	uint16_t device_id; /* VIRTIO_ID_* */
	uint32_t config_size;
	uint32_t pci_class; /* class << 8 | prog-if, e.g. 0x010000; 0 means "other" (0xff0000) */

	/* Device config space; offset + len <= config_size (checked by the transport). */
	void (*config_read)(struct virtio_dev *dev, uint32_t offset, void *data, uint32_t len);
	/* Optional; NULL makes the config space read-only. */
	void (*config_write)(struct virtio_dev *dev, uint32_t offset, const void *data,
			     uint32_t len);

	/*
	 * The driver kicked queue qidx (loop thread). Pop until virtq_pop()
	 * returns 0 or VIRTQ_BATCH chains were served, then virtq_reschedule().
	 */
	void (*queue_notify)(struct virtio_dev *dev, unsigned int qidx);

	/* Optional: DRIVER_OK was set; queues are live, negotiated features final. */
	void (*activate)(struct virtio_dev *dev);
	/*
	 * Optional: the driver reset the device (status 0) or it is being
	 * destroyed. Forget in-flight requests: after this returns, nothing may
	 * be pushed to the old queues. Queue state itself is reset by the transport.
	 */
	void (*reset)(struct virtio_dev *dev);
	/* Optional: free the device model (last call; dev may be inside it). */
	void (*destroy)(struct virtio_dev *dev);
};

struct virtio_dev {
	/* Filled by the device before virtio_dev_register(). */
	const struct virtio_device_ops *ops;
	void *opaque;	   /* the device model's own state */
	uint64_t features; /* device feature bits (VIRTIO_F_VERSION_1,
			      INDIRECT_DESC, EVENT_IDX are added by the transport) */
	unsigned int num_queues;
	uint16_t queue_size; /* max size of every queue, power of 2, <= VIRTQ_MAX_SIZE */

	/* Owned by the transport. */
	struct vm *vm;
	pthread_mutex_t lock;
	uint64_t driver_features; /* negotiated (valid once FEATURES_OK) */
	struct virtq *vqs;	  /* num_queues entries */
	void *transport;
};

/*
 * Creates the PCI function for dev (next free slot on bus 0), its queues,
 * MSI-X vectors and notification eventfds. 0 or -errno after logging.
 */
int virtio_dev_register(struct vm *vm, struct virtio_dev *dev);
/* Stops the queues, calls ops->reset, frees the transport state, then ops->destroy. */
void virtio_dev_unregister(struct virtio_dev *dev);

void virtio_dev_lock(struct virtio_dev *dev);
void virtio_dev_unlock(struct virtio_dev *dev);

bool virtio_has_feature(const struct virtio_dev *dev, unsigned int bit); /* negotiated */

/*
 * A broken driver: set DEVICE_NEEDS_RESET, raise a config interrupt, stop
 * serving queues until the driver resets the device, and log a rate-limited
 * line "<name>: <why>". The VM keeps running. Call with dev->lock held.
 */
void virtio_dev_needs_reset(struct virtio_dev *dev, const char *why);
/* Config space changed (e.g. link status): bump generation, interrupt. */
void virtio_dev_config_changed(struct virtio_dev *dev);

/* Queue qidx, or NULL if out of range. */
struct virtq *virtio_dev_queue(struct virtio_dev *dev, unsigned int qidx);

/* --- the split ring (virtqueue.c); call with dev->lock held --- */

/*
 * Pops the next available chain into *chain: 1 when one was popped, 0 when
 * the ring is empty (or the queue is not live, or the device needs reset),
 * -EINVAL when the chain was malformed (the device is now NEEDS_RESET).
 * With EVENT_IDX, an empty ring re-arms notifications before returning 0.
 */
int virtq_pop(struct virtq *vq, struct virtq_chain *chain);
/* Returns the chain to the driver with written bytes in its "in" buffers. */
void virtq_push(struct virtq *vq, const struct virtq_chain *chain, uint32_t written);
/* Interrupts the driver if it asked for one since the last notify. */
void virtq_notify(struct virtq *vq);
/* The queue is enabled and the device is DRIVER_OK and not NEEDS_RESET. */
bool virtq_ready(const struct virtq *vq);
/* Unpops the last popped chain (device could not use it yet, e.g. rx). */
void virtq_unpop(struct virtq *vq);

/*
 * Chains a queue handler serves per call. A guest that refills its ring as
 * fast as the device drains it would otherwise keep the loop thread, and with
 * it signals, REST, timers and every other device, waiting forever. A handler
 * that used up its budget calls virtq_reschedule() and returns.
 */
#define VIRTQ_BATCH 32
/*
 * Counts one served chain in *served; once VIRTQ_BATCH were served, reschedules
 * the queue and returns true: the handler stops there.
 */
bool virtq_batch_spent(struct virtq *vq, unsigned int *served);
/*
 * Runs the queue's queue_notify again on a later turn of the event loop,
 * after the events already pending there (loop thread, dev->lock held).
 */
void virtq_reschedule(struct virtq *vq);

/* Copies between a chain's readable/writable buffers and flat memory. */
size_t virtq_chain_read(const struct virtq_chain *chain, uint64_t offset, void *buf, size_t len);
size_t virtq_chain_write(const struct virtq_chain *chain, uint64_t offset, const void *buf,
			 size_t len);

#endif
