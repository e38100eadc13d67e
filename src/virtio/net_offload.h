/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Transmit offloads of virtio-net done in software: completing a partial
 * checksum (VIRTIO_NET_F_CSUM) and cutting a TSO frame (HOST_TSO4/6) into
 * MSS-sized segments with their own IP and TCP headers and checksums. The
 * backends then only ever see ordinary frames of at most their max_frame.
 *
 * Everything here reads a frame the guest wrote and a header it chose:
 * every offset is checked against the frame; a bad frame is refused.
 */
#ifndef VFKIT_VIRTIO_NET_OFFLOAD_H
#define VFKIT_VIRTIO_NET_OFFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/virtio_net.h>

/* One guest frame being transmitted, possibly as several segments. */
struct net_tx {
	uint8_t *frame; /* the guest's frame (copied out of guest memory) */
	size_t len;
	bool gso;
	/* gso only */
	bool ipv6;
	size_t l3_off, l4_off, hdr_len; /* all headers: hdr_len bytes */
	size_t mss;
	size_t next;	/* payload offset of the next segment */
	uint32_t seq;	/* TCP sequence number of the first payload byte */
	uint16_t ip_id; /* IPv4 id of the first segment */
	unsigned int index;
};

/*
 * Validates hdr against frame[0..len) and prepares tx. A non-GSO frame with
 * NEEDS_CSUM gets its checksum completed in place. max_frame is the longest
 * frame the backend accepts: a TSO frame that fits goes out as one segment
 * (with its real IP length and checksums), else in gso_size pieces.
 * 0, or -EINVAL for a frame to drop.
 */
int net_tx_prepare(struct net_tx *tx, const struct virtio_net_hdr_v1 *hdr, uint8_t *frame,
		   size_t len, size_t max_frame);

/*
 * The current frame to send: the frame itself, or the next segment built in
 * seg (>= max_frame bytes). Sets *out and returns its length; 0 when done.
 */
size_t net_tx_peek(struct net_tx *tx, uint8_t *seg, const uint8_t **out);
/* The frame returned by net_tx_peek() was sent (or dropped): move on. */
void net_tx_advance(struct net_tx *tx);

/* Internet checksum helpers (RFC 1071). */
uint32_t net_csum_add(uint32_t sum, const uint8_t *data, size_t len);
uint16_t net_csum_fold(uint32_t sum);

#endif
