// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-blk (VIRTIO 1.2 section 5.2) on the io_uring block backend.
 *
 * Requests are parsed from a copy of their header, bounds-checked against the
 * capacity, and handed to io_uring with the guest buffers as iovecs (zero
 * copy). Completions arrive on the backend's eventfd on the loop thread.
 * A reset bumps a generation number so that I/O still in flight at reset is
 * completed silently instead of landing in the new rings.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/virtio_blk.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "backends/block.h"
#include "util/log.h"
#include "virtio/blk.h"
#include "virtio/virtio.h"
#include "vmm/vm.h"

#define SECTOR		 512ULL
#define BLK_QUEUE_SIZE	 256
#define MAX_DISCARD_SECT (1U << 22) /* 2 GiB per discard / write-zeroes segment */
#define BLK_ID_BYTES	 20

struct virtio_blk {
	struct virtio_dev vdev;
	struct block_backend be;
	struct virtio_blk_config config;
	char serial[BLK_ID_BYTES];
	uint64_t capacity;   /* sectors */
	uint64_t generation; /* bumped by reset */
	unsigned int inflight;
	bool *needs_notify; /* per queue, set by completions */
};

struct blk_req {
	struct virtio_blk *blk;
	unsigned int qidx;
	uint64_t generation;
	uint32_t type;
	uint8_t *status;     /* last byte of the chain, in guest RAM */
	uint32_t written;    /* bytes reported in the used ring on success */
	uint32_t expect;     /* result the I/O must return (bytes), 0 for flush/fallocate */
	bool fallback_tried; /* write-zeroes retried as a hole punch */
	uint64_t off, len;   /* fallocate range, for the retry */
	unsigned int niov;
	struct iovec iov[VIRTQ_MAX_CHAIN];
	struct virtq_chain chain;
};

/* Collects [skip, skip+len) of the chain's iovecs [first, first+n) into req->iov. */
static void slice_iov(struct blk_req *req, unsigned int first, unsigned int n, uint64_t skip,
		      uint64_t len)
{
	req->niov = 0;
	for (unsigned int i = first; i < first + n && len; i++) {
		struct iovec v = req->chain.iov[i];

		if (skip >= v.iov_len) {
			skip -= v.iov_len;
			continue;
		}
		v.iov_base = (uint8_t *)v.iov_base + skip;
		v.iov_len -= skip;
		skip = 0;
		if (v.iov_len > len)
			v.iov_len = len;
		len -= v.iov_len;
		req->iov[req->niov++] = v;
	}
}

static void complete(struct blk_req *req, uint8_t status)
{
	struct virtio_blk *blk = req->blk;
	struct virtq *vq = virtio_dev_queue(&blk->vdev, req->qidx);

	if (req->generation == blk->generation) {
		*req->status = status;
		virtq_push(vq, &req->chain, status == VIRTIO_BLK_S_OK ? req->written : 1);
		blk->needs_notify[req->qidx] = true;
	}
	free(req);
}

static bool range_ok(const struct virtio_blk *blk, uint64_t sector, uint64_t nsect)
{
	return sector <= blk->capacity && nsect <= blk->capacity - sector;
}

static int submit_rw(struct virtio_blk *blk, struct blk_req *req, uint64_t sector)
{
	const struct virtq_chain *c = &req->chain;
	bool is_read = req->type == VIRTIO_BLK_T_IN;
	uint64_t len = is_read ? c->in_len - 1 : c->out_len - sizeof(struct virtio_blk_outhdr);

	/* Data in the wrong direction (readable for a read, writable for a write) is an error. */
	if ((is_read && c->out_len != sizeof(struct virtio_blk_outhdr)) ||
	    (!is_read && c->in_len != 1))
		return -EIO;
	if (len % SECTOR || !range_ok(blk, sector, len / SECTOR) || len > UINT32_MAX - 1)
		return -EIO;
	if (!is_read && blk->be.readonly)
		return -EROFS;
	if (len == 0) {
		req->written = is_read ? 1 : 0;
		return 1; /* done, nothing to transfer */
	}
	req->expect = (uint32_t)len;
	req->written = is_read ? (uint32_t)len + 1 : 1;
	if (is_read) {
		slice_iov(req, c->nout, c->nin, 0, len);
		return block_readv(&blk->be, req->iov, req->niov, sector * SECTOR, req);
	}
	slice_iov(req, 0, c->nout, sizeof(struct virtio_blk_outhdr), len);
	return block_writev(&blk->be, req->iov, req->niov, sector * SECTOR, req);
}

static int submit_discard(struct virtio_blk *blk, struct blk_req *req)
{
	struct virtio_blk_discard_write_zeroes seg;
	bool discard = req->type == VIRTIO_BLK_T_DISCARD;
	int mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;

	if (blk->be.readonly)
		return -EROFS;
	/* We advertise one segment per request. */
	if (req->chain.out_len != sizeof(struct virtio_blk_outhdr) + sizeof(seg))
		return -EOPNOTSUPP;
	virtq_chain_read(&req->chain, sizeof(struct virtio_blk_outhdr), &seg, sizeof(seg));
	if (seg.num_sectors > MAX_DISCARD_SECT || !range_ok(blk, seg.sector, seg.num_sectors))
		return -EIO;
	if (discard ? seg.flags != 0 : (seg.flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP))
		return -EOPNOTSUPP;
	if (!discard && !(seg.flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP))
		mode = FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
	req->written = 1;
	if (seg.num_sectors == 0)
		return 1;
	req->off = seg.sector * SECTOR;
	req->len = (uint64_t)seg.num_sectors * SECTOR;
	return block_fallocate(&blk->be, mode, req->off, req->len, req);
}

static int do_get_id(struct virtio_blk *blk, struct blk_req *req)
{
	uint64_t room = req->chain.in_len - 1;

	if (room > BLK_ID_BYTES)
		room = BLK_ID_BYTES;
	req->written = (uint32_t)virtq_chain_write(&req->chain, 0, blk->serial, room) + 1;
	return 1;
}

/* 0: submitted; 1: finished now (status OK); <0: finished with an error status. */
static int start_request(struct virtio_blk *blk, struct blk_req *req)
{
	struct virtio_blk_outhdr hdr;

	/* Copy the header out once; the guest may change it behind us. */
	virtq_chain_read(&req->chain, 0, &hdr, sizeof(hdr));
	req->type = hdr.type;
	switch (hdr.type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		return submit_rw(blk, req, hdr.sector);
	case VIRTIO_BLK_T_FLUSH:
		req->written = 1;
		return block_flush(&blk->be, req);
	case VIRTIO_BLK_T_GET_ID:
		return do_get_id(blk, req);
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return submit_discard(blk, req);
	default:
		return -EOPNOTSUPP;
	}
}

static uint8_t error_status(int err)
{
	return err == -EOPNOTSUPP ? VIRTIO_BLK_S_UNSUPP : VIRTIO_BLK_S_IOERR;
}

static void handle_chain(struct virtio_blk *blk, unsigned int qidx, struct blk_req *req)
{
	const struct virtq_chain *c = &req->chain;
	int ret;

	req->blk = blk;
	req->qidx = qidx;
	req->expect = 0;
	req->written = 0;
	req->fallback_tried = false;
	req->off = req->len = 0;
	req->niov = 0;
	req->generation = blk->generation;
	req->status = (uint8_t *)c->iov[c->nout + c->nin - 1].iov_base +
		      c->iov[c->nout + c->nin - 1].iov_len - 1;
	ret = start_request(blk, req);
	if (ret == 0) {
		blk->inflight++;
		return;
	}
	if (ret == -EAGAIN)
		log_ratelimited(LOG_LEVEL_WARN, "virtio-blk: I/O ring full, request failed");
	complete(req, ret == 1 ? VIRTIO_BLK_S_OK : error_status(ret));
}

static void on_io_done(void *opaque, void *tag, int res);

static void flush_notifies(struct virtio_blk *blk)
{
	for (unsigned int i = 0; i < blk->vdev.num_queues; i++) {
		if (blk->needs_notify[i]) {
			blk->needs_notify[i] = false;
			virtq_notify(virtio_dev_queue(&blk->vdev, i));
		}
	}
}

static void blk_queue_notify(struct virtio_dev *dev, unsigned int qidx)
{
	struct virtio_blk *blk = dev->opaque;
	struct virtq *vq = virtio_dev_queue(dev, qidx);
	unsigned int served = 0;

	for (;;) {
		struct blk_req *req = malloc(sizeof(*req));
		int ret;

		if (!req)
			break;
		ret = virtq_pop(vq, &req->chain);
		if (ret != 1) {
			free(req);
			break;
		}
		/* Header and status byte are mandatory; without them nothing can be reported. */
		if (req->chain.out_len < sizeof(struct virtio_blk_outhdr) ||
		    req->chain.in_len < 1) {
			free(req);
			virtio_dev_needs_reset(dev, "request without header or status byte");
			break;
		}
		handle_chain(blk, qidx, req);
		if (virtq_batch_spent(vq, &served))
			break;
	}
	block_submit(&blk->be);
	/* Page-cache hits complete during submit: answer them now, not after another wake-up. */
	block_reap(&blk->be, on_io_done, blk);
	flush_notifies(blk);
}

static void on_io_done(void *opaque, void *tag, int res)
{
	struct virtio_blk *blk = opaque;
	struct blk_req *req = tag;
	bool zero_range = req->type == VIRTIO_BLK_T_WRITE_ZEROES && req->len;

	blk->inflight--;
	/* Filesystems without ZERO_RANGE (tmpfs) still punch holes, which read as zeroes. */
	if (zero_range && (res == -EOPNOTSUPP || res == -EINVAL) && !req->fallback_tried &&
	    req->generation == blk->generation) {
		req->fallback_tried = true;
		if (block_fallocate(&blk->be, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, req->off,
				    req->len, req) == 0) {
			blk->inflight++;
			block_submit(&blk->be);
			return;
		}
	}
	if (res < 0 || (uint32_t)res != req->expect) {
		log_ratelimited(LOG_LEVEL_WARN, "virtio-blk: I/O error (type %u): %s", req->type,
				res < 0 ? strerror(-res) : "short transfer");
		complete(req, VIRTIO_BLK_S_IOERR);
		return;
	}
	complete(req, VIRTIO_BLK_S_OK);
}

static void on_completion(void *opaque, uint32_t events)
{
	struct virtio_blk *blk = opaque;

	(void)events;
	virtio_dev_lock(&blk->vdev);
	block_reap(&blk->be, on_io_done, blk);
	flush_notifies(blk);
	virtio_dev_unlock(&blk->vdev);
}

void virtio_blk_poll(struct virtio_dev *dev, bool wait)
{
	struct virtio_blk *blk = dev->opaque;
	struct io_uring_cqe *cqe;

	virtio_dev_lock(dev);
	if (wait && blk->inflight)
		io_uring_wait_cqe(&blk->be.ring, &cqe);
	block_reap(&blk->be, on_io_done, blk);
	flush_notifies(blk);
	virtio_dev_unlock(dev);
}

static void blk_reset(struct virtio_dev *dev)
{
	struct virtio_blk *blk = dev->opaque;

	blk->generation++;
	memset(blk->needs_notify, 0, dev->num_queues * sizeof(bool));
}

static void blk_config_read(struct virtio_dev *dev, uint32_t offset, void *data, uint32_t len)
{
	struct virtio_blk *blk = dev->opaque;

	memcpy(data, (uint8_t *)&blk->config + offset, len);
}

static void free_blk(struct virtio_blk *blk);

static void blk_destroy(struct virtio_dev *dev)
{
	struct virtio_blk *blk = dev->opaque;

	if (dev->vm->loop && blk->be.efd >= 0)
		loop_remove(dev->vm->loop, blk->be.efd);
	free_blk(blk);
}

static const struct virtio_device_ops blk_ops = {
	.name = "virtio-blk",
	.device_id = VIRTIO_ID_BLOCK,
	.config_size = sizeof(struct virtio_blk_config),
	.pci_class = 0x018000, /* mass storage, other */
	.config_read = blk_config_read,
	.queue_notify = blk_queue_notify,
	.reset = blk_reset,
	.destroy = blk_destroy,
};

static void fill_config(struct virtio_blk *blk)
{
	struct virtio_blk_config *c = &blk->config;
	uint64_t f = (1ULL << VIRTIO_BLK_F_SEG_MAX) | (1ULL << VIRTIO_BLK_F_FLUSH) |
		     (1ULL << VIRTIO_BLK_F_BLK_SIZE) | (1ULL << VIRTIO_BLK_F_MQ);

	c->capacity = blk->capacity;
	c->seg_max = VIRTQ_MAX_CHAIN - 2; /* header and status take two descriptors */
	c->blk_size = SECTOR;
	c->num_queues = (uint16_t)blk->vdev.num_queues;
	if (blk->be.readonly) {
		f |= 1ULL << VIRTIO_BLK_F_RO;
	} else {
		f |= (1ULL << VIRTIO_BLK_F_DISCARD) | (1ULL << VIRTIO_BLK_F_WRITE_ZEROES);
		c->max_discard_sectors = MAX_DISCARD_SECT;
		c->max_discard_seg = 1;
		c->discard_sector_alignment = 4096 / SECTOR;
		c->max_write_zeroes_sectors = MAX_DISCARD_SECT;
		c->max_write_zeroes_seg = 1;
		c->write_zeroes_may_unmap = 1;
	}
	blk->vdev.features = f;
}

static unsigned int queue_count(const struct vm *vm)
{
	uint64_t n = vm->ncpus ? vm->ncpus : (vm->cfg ? vm->cfg->cpus : 1);

	return n == 0 ? 1 : n > 64 ? 64 : (unsigned int)n;
}

static void free_blk(struct virtio_blk *blk)
{
	block_close(&blk->be);
	free(blk->needs_notify);
	free(blk);
}

int virtio_blk_create(struct vm *vm, struct device_config *cfg)
{
	const struct disk_config *d = &cfg->disk;
	struct virtio_blk *blk;
	int ret;

	if (!d->path) {
		log_error("missing mandatory 'path' option for virtio-blk device");
		return -EINVAL;
	}
	if (d->device_id && strlen(d->device_id) > BLK_ID_BYTES) {
		log_error("virtio-blk: deviceId '%s' is longer than %d bytes", d->device_id,
			  BLK_ID_BYTES);
		return -EINVAL;
	}
	blk = calloc(1, sizeof(*blk));
	if (!blk)
		return -ENOMEM;
	blk->vdev.num_queues = queue_count(vm);
	blk->needs_notify = calloc(blk->vdev.num_queues, sizeof(bool));
	ret = block_open(&blk->be, "virtio-blk", d->open_path ? d->open_path : d->path, d->type_dev,
			 d->readonly, blk->vdev.num_queues * BLK_QUEUE_SIZE);
	if (ret < 0 || !blk->needs_notify) {
		free_blk(blk);
		return ret < 0 ? ret : -ENOMEM;
	}
	if (d->device_id)
		memcpy(blk->serial, d->device_id, strlen(d->device_id));
	blk->capacity = blk->be.size / SECTOR;
	blk->vdev.ops = &blk_ops;
	blk->vdev.opaque = blk;
	blk->vdev.queue_size = BLK_QUEUE_SIZE;
	fill_config(blk);
	ret = virtio_dev_register(vm, &blk->vdev);
	if (ret < 0) {
		free_blk(blk);
		return ret;
	}
	if (vm->loop) {
		ret = loop_add(vm->loop, blk->be.efd, EPOLLIN, on_completion, blk);
		if (ret < 0) {
			log_error("virtio-blk: cannot watch I/O completions: %s", strerror(-ret));
			virtio_dev_unregister(&blk->vdev);
			return ret;
		}
	}
	return 0;
}
