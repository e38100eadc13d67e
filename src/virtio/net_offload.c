// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <string.h>

#include "virtio/net_offload.h"

#define ETHER_HLEN   14
#define ETHTYPE_IPV4 0x0800
#define ETHTYPE_IPV6 0x86dd
#define ETHTYPE_VLAN 0x8100
#define IPPROTO_TCP_ 6
#define TCP_FIN	     0x01
#define TCP_PSH	     0x08
#define TCP_CWR	     0x80
#define MIN_MSS	     64 /* below this a 64 KiB frame would become too many segments */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

uint32_t net_csum_add(uint32_t sum, const uint8_t *data, size_t len)
{
	uint64_t s = sum;
	size_t i = 0;

	for (; i + 1 < len; i += 2)
		s += (uint32_t)(data[i] << 8 | data[i + 1]);
	if (i < len)
		s += (uint32_t)data[i] << 8;
	while (s >> 32)
		s = (s & 0xffffffff) + (s >> 32);
	/* Keep the carry room: fold to 17 bits at most before returning. */
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

uint16_t net_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Finishes a partial checksum: the field already holds the pseudo-header sum. */
static int complete_csum(uint8_t *frame, size_t len, size_t start, size_t off)
{
	uint16_t c;

	if (start >= len || off > len - start || len - start - off < 2)
		return -EINVAL;
	c = net_csum_fold(net_csum_add(0, frame + start, len - start));
	put16(frame + start + off, c ? c : 0xffff);
	return 0;
}

/* Finds the IP and TCP headers of a TSO frame. */
static int parse_tso(struct net_tx *tx, uint8_t gso_type, size_t max_frame)
{
	const uint8_t *f = tx->frame;
	size_t len = tx->len, l3 = ETHER_HLEN, l4, doff;
	uint16_t type;

	if (len < ETHER_HLEN + 4)
		return -EINVAL;
	type = get16(f + 12);
	if (type == ETHTYPE_VLAN) {
		type = get16(f + 16);
		l3 += 4;
	}
	if (gso_type == VIRTIO_NET_HDR_GSO_TCPV4) {
		size_t ihl;

		if (type != ETHTYPE_IPV4 || len < l3 + 20)
			return -EINVAL;
		ihl = (size_t)(f[l3] & 0xf) * 4;
		if ((f[l3] >> 4) != 4 || ihl < 20 || f[l3 + 9] != IPPROTO_TCP_)
			return -EINVAL;
		l4 = l3 + ihl;
		tx->ipv6 = false;
		tx->ip_id = get16(f + l3 + 4);
	} else if (gso_type == VIRTIO_NET_HDR_GSO_TCPV6) {
		/* No extension headers: Linux does not put any before TSO'd TCP. */
		if (type != ETHTYPE_IPV6 || len < l3 + 40 || (f[l3] >> 4) != 6 ||
		    f[l3 + 6] != IPPROTO_TCP_)
			return -EINVAL;
		l4 = l3 + 40;
		tx->ipv6 = true;
	} else {
		return -EINVAL;
	}
	if (len < l4 + 20)
		return -EINVAL;
	doff = (size_t)(f[l4 + 12] >> 4) * 4;
	if (doff < 20 || len <= l4 + doff) /* TSO without payload makes no sense */
		return -EINVAL;
	tx->l3_off = l3;
	tx->l4_off = l4;
	tx->hdr_len = l4 + doff;
	tx->seq = get32(f + l4 + 4);
	if (tx->mss < MIN_MSS || max_frame <= tx->hdr_len)
		return -EINVAL;
	if (len <= max_frame)
		tx->mss = len - tx->hdr_len; /* the backend takes it whole: one segment */
	else if (tx->mss > max_frame - tx->hdr_len)
		return -EINVAL;
	return 0;
}

int net_tx_prepare(struct net_tx *tx, const struct virtio_net_hdr_v1 *hdr, uint8_t *frame,
		   size_t len, size_t max_frame)
{
	uint8_t gso_type = hdr->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;

	memset(tx, 0, sizeof(*tx));
	tx->frame = frame;
	tx->len = len;
	if (len < ETHER_HLEN)
		return -EINVAL;
	if (gso_type == VIRTIO_NET_HDR_GSO_NONE) {
		if (len > max_frame)
			return -EINVAL;
		if (hdr->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
			return complete_csum(frame, len, hdr->csum_start, hdr->csum_offset);
		return 0;
	}
	tx->gso = true;
	tx->mss = hdr->gso_size;
	if (parse_tso(tx, gso_type, max_frame) < 0)
		return -EINVAL;
	tx->next = tx->hdr_len;
	return 0;
}

/* TCP checksum over the pseudo-header and segment seg[l4..len). */
static uint16_t tcp_csum(const struct net_tx *tx, const uint8_t *seg, size_t len)
{
	size_t tcp_len = len - tx->l4_off;
	uint32_t sum = 0;
	uint8_t ph[8];

	if (tx->ipv6) {
		sum = net_csum_add(sum, seg + tx->l3_off + 8, 32); /* src + dst */
		put32(ph, (uint32_t)tcp_len);
		put32(ph + 4, IPPROTO_TCP_);
		sum = net_csum_add(sum, ph, 8);
	} else {
		sum = net_csum_add(sum, seg + tx->l3_off + 12, 8);
		put16(ph, IPPROTO_TCP_);
		put16(ph + 2, (uint16_t)tcp_len);
		sum = net_csum_add(sum, ph, 4);
	}
	sum = net_csum_add(sum, seg + tx->l4_off, tcp_len);
	return net_csum_fold(sum);
}

size_t net_tx_peek(struct net_tx *tx, uint8_t *seg, const uint8_t **out)
{
	size_t payload, len;
	uint8_t *ip, *tcp;
	bool last;

	if (!tx->gso) {
		*out = tx->frame;
		return tx->next ? 0 : tx->len; /* next != 0: already sent */
	}
	if (tx->next >= tx->len)
		return 0;
	payload = tx->len - tx->next;
	if (payload > tx->mss)
		payload = tx->mss;
	last = tx->next + payload >= tx->len;
	len = tx->hdr_len + payload;
	memcpy(seg, tx->frame, tx->hdr_len);
	memcpy(seg + tx->hdr_len, tx->frame + tx->next, payload);

	ip = seg + tx->l3_off;
	tcp = seg + tx->l4_off;
	if (tx->ipv6) {
		put16(ip + 4, (uint16_t)(len - tx->l3_off - 40));
	} else {
		put16(ip + 2, (uint16_t)(len - tx->l3_off));
		put16(ip + 4, (uint16_t)(tx->ip_id + tx->index));
		put16(ip + 10, 0);
		put16(ip + 10, net_csum_fold(net_csum_add(0, ip, tx->l4_off - tx->l3_off)));
	}
	put32(tcp + 4, tx->seq + (uint32_t)(tx->next - tx->hdr_len));
	if (!last)
		tcp[13] &= (uint8_t) ~(TCP_FIN | TCP_PSH);
	if (tx->index)
		tcp[13] &= (uint8_t)~TCP_CWR;
	put16(tcp + 16, 0);
	put16(tcp + 16, tcp_csum(tx, seg, len));
	*out = seg;
	return len;
}

void net_tx_advance(struct net_tx *tx)
{
	if (!tx->gso) {
		tx->next = 1;
		return;
	}
	if (tx->next < tx->len)
		tx->next += tx->len - tx->next > tx->mss ? tx->mss : tx->len - tx->next;
	tx->index++;
}
