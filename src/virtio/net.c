// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-net: one receive and one transmit queue, the MAC and link status
 * in config space, mergeable receive buffers, and checksum and TSO offload
 * on transmit (done in software in net_offload.c, since backends take plain
 * frames). The backend (backends/net.h) moves frames; this file only knows
 * virtqueues and the virtio-net header.
 *
 * Flow control: when the guest has no receive buffers the backend holds its
 * frames until the guest kicks the receive queue; when the backend cannot
 * take more (-EAGAIN) transmission pauses until it says so.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_net.h>

#include "backends/net.h"
#include "config/config.h"
#include "util/log.h"
#include "virtio/net.h"
#include "virtio/net_offload.h"
#include "virtio/virtio.h"
#include "vmm/loop.h"
#include "vmm/vm.h"

#define RXQ	      0
#define TXQ	      1
#define QUEUE_SIZE    256
#define HDR_LEN	      sizeof(struct virtio_net_hdr_v1)
#define TX_MAX_FRAME  (65535 + 14 + 4) /* a 64 KiB TSO frame with a VLAN tag */
#define TX_BATCH      256	       /* chains per turn before yielding the loop */
#define RX_MAX_CHAINS 32	       /* mergeable buffers for one frame */
#define CONFIG_SIZE   12	       /* mac, status, max_virtqueue_pairs, mtu */

#define NET_FEATURES                                                                               \
	((1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_CSUM) |                         \
	 (1ULL << VIRTIO_NET_F_MTU) | (1ULL << VIRTIO_NET_F_MAC) |                                 \
	 (1ULL << VIRTIO_NET_F_HOST_TSO4) | (1ULL << VIRTIO_NET_F_HOST_TSO6) |                     \
	 (1ULL << VIRTIO_NET_F_HOST_ECN) | (1ULL << VIRTIO_NET_F_MRG_RXBUF) |                      \
	 (1ULL << VIRTIO_NET_F_STATUS))

struct vnet {
	struct virtio_dev vdev;
	struct vm *vm;
	struct net_config *cfg;
	struct net_backend *be;
	const struct net_backend_info *info;
	uint8_t mac[6];
	char mac_str[18];
	uint16_t status;
	uint32_t lease; /* last address seen in a DHCPACK (network order) */
	struct dhcp_snoop dhcp;

	bool rx_waiting; /* the backend holds frames until the guest adds buffers */
	bool tx_blocked; /* the backend said -EAGAIN */
	bool tx_pending; /* tx.frame still has segments to send */
	bool tx_queued;	 /* a continuation is scheduled on the loop */
	struct net_tx tx;

	struct virtq_chain tx_chain;
	struct virtq_chain rx_chains[RX_MAX_CHAINS];
	uint8_t tx_frame[TX_MAX_FRAME];
	uint8_t tx_seg[TX_MAX_FRAME];
};

/* --- receive: backend -> guest --- */

/* Publishes the address of a DHCPACK that answers the guest's own request. */
static void vnet_note_lease(struct vnet *n, const uint8_t *frame, size_t len)
{
	char ip[INET_ADDRSTRLEN];
	uint32_t addr;
	char *s;

	if (!dhcp_snoop_peer_frame(&n->dhcp, frame, len, &addr) || addr == n->lease)
		return;
	n->lease = addr;
	inet_ntop(AF_INET, &addr, ip, sizeof(ip));
	/* A guest can make its server hand out new addresses in a loop. */
	log_ratelimited(LOG_LEVEL_INFO, "virtio-net: guest %s got address %s (DHCP)", n->mac_str,
			ip);
	s = strdup(ip);
	if (!s)
		return;
	config_runtime_lock();
	free(n->cfg->lease_ip);
	n->cfg->lease_ip = s;
	config_runtime_unlock();
}

/* Returns the k popped chains to the ring, last first. */
static void rx_unpop(struct virtq *vq, unsigned int k)
{
	while (k--)
		virtq_unpop(vq);
}

/* Called with the lock held. True when the frame was consumed or dropped. */
static bool vnet_rx_locked(struct vnet *n, const uint8_t *frame, size_t len)
{
	struct virtq *vq = virtio_dev_queue(&n->vdev, RXQ);
	bool mrg = virtio_has_feature(&n->vdev, VIRTIO_NET_F_MRG_RXBUF);
	struct virtio_net_hdr_v1 hdr = {0};
	size_t total = HDR_LEN + len, room = 0, off = 0;
	unsigned int k = 0;
	int r;

	if (!vq || !virtq_ready(vq))
		return true; /* no driver: the wire drops it */
	while (room < total) {
		if (k == (mrg ? RX_MAX_CHAINS : 1)) {
			/* Buffers too small for this frame: drop it, keep them. */
			rx_unpop(vq, k);
			log_ratelimited(LOG_LEVEL_WARN,
					"virtio-net: receive buffers too small "
					"for a %zu-byte frame",
					len);
			return true;
		}
		r = virtq_pop(vq, &n->rx_chains[k]);
		if (r < 0)
			return true; /* the device now needs a reset */
		if (r == 0) {
			rx_unpop(vq, k);
			n->rx_waiting = true;
			return false;
		}
		room += n->rx_chains[k].in_len;
		k++;
	}
	if (n->info->trusted_csum && virtio_has_feature(&n->vdev, VIRTIO_NET_F_GUEST_CSUM))
		hdr.flags = VIRTIO_NET_HDR_F_DATA_VALID;
	hdr.gso_type = VIRTIO_NET_HDR_GSO_NONE;
	hdr.num_buffers = (uint16_t)k;
	for (unsigned int i = 0; i < k; i++) {
		const struct virtq_chain *c = &n->rx_chains[i];
		size_t w = 0, part;

		if (i == 0)
			w = virtq_chain_write(c, 0, &hdr, HDR_LEN);
		part = c->in_len - w;
		if (part > len - off)
			part = len - off;
		w += virtq_chain_write(c, w, frame + off, part);
		off += part;
		virtq_push(vq, c, (uint32_t)w);
	}
	virtq_notify(vq);
	vnet_note_lease(n, frame, len);
	return true;
}

static bool vnet_backend_rx(void *opaque, const uint8_t *frame, size_t len)
{
	struct vnet *n = opaque;
	bool taken;

	virtio_dev_lock(&n->vdev);
	taken = vnet_rx_locked(n, frame, len);
	virtio_dev_unlock(&n->vdev);
	return taken;
}

/* --- transmit: guest -> backend --- */

/* Sends what is left of the current frame. False if the backend is full. */
static bool vnet_tx_drain(struct vnet *n)
{
	const uint8_t *f;
	size_t len;

	while (n->tx_pending) {
		len = net_tx_peek(&n->tx, n->tx_seg, &f);
		if (!len) {
			n->tx_pending = false;
			break;
		}
		if (net_backend_send(n->be, f, len) == -EAGAIN) {
			n->tx_blocked = true;
			return false;
		}
		net_tx_advance(&n->tx);
	}
	return true;
}

/* Copies one chain out of guest memory and sets up its transmission. */
static void vnet_tx_chain(struct vnet *n, const struct virtq_chain *c)
{
	struct virtio_net_hdr_v1 hdr;
	size_t len;

	if (c->out_len < HDR_LEN || c->out_len - HDR_LEN > TX_MAX_FRAME) {
		log_ratelimited(LOG_LEVEL_WARN, "virtio-net: dropping a %llu-byte tx buffer",
				(unsigned long long)c->out_len);
		return;
	}
	len = (size_t)c->out_len - HDR_LEN;
	if (virtq_chain_read(c, 0, &hdr, HDR_LEN) != HDR_LEN ||
	    virtq_chain_read(c, HDR_LEN, n->tx_frame, len) != len)
		return;
	dhcp_snoop_guest_frame(&n->dhcp, n->tx_frame, len);
	if (net_tx_prepare(&n->tx, &hdr, n->tx_frame, len, n->info->max_frame) < 0) {
		log_ratelimited(LOG_LEVEL_WARN,
				"virtio-net: dropping a malformed %zu-byte frame "
				"(flags %#x gso %#x)",
				len, hdr.flags, hdr.gso_type);
		return;
	}
	n->tx_pending = true;
}

static void vnet_tx_continue(void *opaque);

static void vnet_tx_locked(struct vnet *n)
{
	struct virtq *vq = virtio_dev_queue(&n->vdev, TXQ);
	unsigned int done = 0;

	if (!vq || n->tx_blocked)
		return;
	while (vnet_tx_drain(n)) {
		if (done == TX_BATCH) {
			/* Let the loop breathe; EVENT_IDX would not kick us again. */
			if (!n->tx_queued) {
				n->tx_queued = true;
				if (loop_call(n->vm->loop, vnet_tx_continue, n) < 0)
					n->tx_queued = false;
			}
			break;
		}
		if (virtq_pop(vq, &n->tx_chain) != 1)
			break;
		vnet_tx_chain(n, &n->tx_chain);
		virtq_push(vq, &n->tx_chain, 0);
		done++;
	}
	if (done)
		virtq_notify(vq);
	net_backend_flush(n->be);
}

static void vnet_tx_continue(void *opaque)
{
	struct vnet *n = opaque;

	virtio_dev_lock(&n->vdev);
	n->tx_queued = false;
	vnet_tx_locked(n);
	virtio_dev_unlock(&n->vdev);
}

static void vnet_backend_tx_resume(void *opaque)
{
	struct vnet *n = opaque;

	virtio_dev_lock(&n->vdev);
	n->tx_blocked = false;
	vnet_tx_locked(n);
	virtio_dev_unlock(&n->vdev);
}

/* --- virtio device ops --- */

static void vnet_queue_notify(struct virtio_dev *dev, unsigned int qidx)
{
	struct vnet *n = dev->opaque;

	if (qidx == TXQ) {
		vnet_tx_locked(n);
	} else if (qidx == RXQ && n->rx_waiting) {
		n->rx_waiting = false;
		net_backend_rx_resume(n->be);
	}
}

static void vnet_config_read(struct virtio_dev *dev, uint32_t offset, void *data, uint32_t len)
{
	struct vnet *n = dev->opaque;
	uint8_t cfg[CONFIG_SIZE];

	memcpy(cfg, n->mac, 6);
	cfg[6] = (uint8_t)n->status; /* little-endian le16 fields */
	cfg[7] = (uint8_t)(n->status >> 8);
	cfg[8] = 1; /* max_virtqueue_pairs */
	cfg[9] = 0;
	cfg[10] = (uint8_t)n->info->mtu;
	cfg[11] = (uint8_t)(n->info->mtu >> 8);
	if (offset <= CONFIG_SIZE && len <= CONFIG_SIZE - offset)
		memcpy(data, cfg + offset, len);
}

/* Backends belong to the loop thread; activate runs on a vCPU thread. */
static void vnet_rx_resume_call(void *opaque)
{
	struct vnet *n = opaque;

	net_backend_rx_resume(n->be);
}

static void vnet_activate(struct virtio_dev *dev)
{
	struct vnet *n = dev->opaque;

	/* Frames held from before a reset can flow now. */
	n->rx_waiting = false;
	if (loop_call(n->vm->loop, vnet_rx_resume_call, n) < 0)
		log_warn("virtio-net: cannot schedule receive; frames wait for the next kick");
}

static void vnet_reset(struct virtio_dev *dev)
{
	struct vnet *n = dev->opaque;

	n->rx_waiting = false;
	n->tx_pending = false;
	n->tx_blocked = false;
}

/* Only reached after the exit handlers ran (tests tear devices down). */
static void vnet_destroy(struct virtio_dev *dev)
{
	struct vnet *n = dev->opaque;

	net_backend_close(n->be);
	free(n);
}

static const struct virtio_device_ops vnet_ops = {
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.config_size = CONFIG_SIZE,
	.config_read = vnet_config_read,
	.queue_notify = vnet_queue_notify,
	.activate = vnet_activate,
	.reset = vnet_reset,
	.destroy = vnet_destroy,
};

static const struct net_backend_cb vnet_backend_cb = {
	.rx = vnet_backend_rx,
	.tx_resume = vnet_backend_tx_resume,
};

static void vnet_random_mac(uint8_t mac[6])
{
	if (getrandom(mac, 6, 0) != 6) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		for (int i = 0; i < 6; i++)
			mac[i] = (uint8_t)(ts.tv_nsec >> (i * 4) ^ getpid() >> i);
	}
	mac[0] = (uint8_t)((mac[0] & 0xfc) | 0x02); /* unicast, locally administered */
}

static void vnet_at_exit(void *opaque)
{
	struct vnet *n = opaque;

	net_backend_close(n->be);
	n->be = NULL;
}

int virtio_net_create(struct vm *vm, struct device_config *dev)
{
	struct net_config *cfg = &dev->net;
	struct vnet *n = calloc(1, sizeof(*n));

	if (!n) {
		log_error("virtio-net: out of memory");
		return -1;
	}
	n->vm = vm;
	n->cfg = cfg;
	if (cfg->has_mac)
		memcpy(n->mac, cfg->mac, 6);
	else
		vnet_random_mac(n->mac);
	net_format_mac(n->mac_str, n->mac);
	log_info("Adding virtio-net device (nat: %s macAddress: [%s])",
		 cfg->attachment == NET_NAT ? "true" : "false", cfg->has_mac ? n->mac_str : "");
	if (!cfg->has_mac)
		log_debug("virtio-net: random MAC %s", n->mac_str);
	if (net_backend_open(vm->loop, cfg, n->mac, &vnet_backend_cb, n, &n->be) < 0) {
		free(n);
		return -1;
	}
	n->info = net_backend_info(n->be);
	dhcp_snoop_init(&n->dhcp, n->mac, n->info->dhcp_server);
	n->status = VIRTIO_NET_S_LINK_UP;
	if (vm_at_exit(vm, vnet_at_exit, n) < 0) {
		net_backend_close(n->be);
		free(n);
		return -1;
	}
	n->vdev.ops = &vnet_ops;
	n->vdev.opaque = n;
	n->vdev.features = NET_FEATURES;
	n->vdev.num_queues = 2;
	n->vdev.queue_size = QUEUE_SIZE;
	if (virtio_dev_register(vm, &n->vdev) < 0)
		return -1; /* the backend is closed by the exit handler */
	return 0;
}
