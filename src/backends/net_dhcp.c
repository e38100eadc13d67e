// SPDX-License-Identifier: Apache-2.0
/*
 * Spotting the DHCPACK that hands the guest its address. libslirp has no
 * lease callback, and vfkit users expect to learn the guest's address (on
 * macOS they read the vmnet DHCP leases), so the frames between the guest
 * and its network are inspected. Works for any backend whose peer runs DHCP.
 *
 * The published address must come from the network's DHCP server, not from
 * whoever can get a frame to the guest: a reply counts only when it answers
 * a DHCPDISCOVER or DHCPREQUEST the guest itself sent (same transaction id,
 * for the device's own MAC) and, when the backend knows its server (nat:
 * slirp at 192.168.64.1), comes from that server's address. The guest can
 * of course still configure any address it likes; this only stops third
 * parties (a UDP peer on the internet answering from port 67) from choosing
 * what vfkit reports.
 */
#include <string.h>

#include "backends/net.h"

#define ETH_P_IPV4    0x0800
#define IP_PROTO_UDP  17
#define BOOTP_SERVER  67
#define BOOTP_CLIENT  68
#define BOOTP_REQUEST 1
#define BOOTP_REPLY   2
#define BOOTP_MIN_LEN 240 /* fixed part + magic cookie */
#define DHCP_OPT_PAD  0
#define DHCP_OPT_END  255
#define DHCP_OPT_TYPE 53
#define DHCP_DISCOVER 1
#define DHCP_REQUEST  3
#define DHCP_ACK      5

/* The fields of a BOOTP/DHCP message that the snooping looks at. */
struct dhcp_msg {
	uint32_t ip_src; /* network order */
	uint32_t xid;	 /* as on the wire */
	uint32_t yiaddr; /* network order */
	uint8_t chaddr[6];
	uint8_t op;
	int type; /* DHCP message type, -1 if absent */
};

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Message type from the options in opt[0..len), or -1. */
static int dhcp_message_type(const uint8_t *opt, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t code = opt[i];

		if (code == DHCP_OPT_END)
			break;
		if (code == DHCP_OPT_PAD) {
			i++;
			continue;
		}
		if (i + 2 > len || i + 2 + opt[i + 1] > len)
			break;
		if (code == DHCP_OPT_TYPE && opt[i + 1] == 1)
			return opt[i + 2];
		i += 2 + (size_t)opt[i + 1];
	}
	return -1;
}

/* An unfragmented IPv4 UDP datagram from sport to dport holding a BOOTP message. */
static bool dhcp_parse(const uint8_t *frame, size_t len, uint16_t sport, uint16_t dport,
		       struct dhcp_msg *m)
{
	static const uint8_t cookie[4] = {99, 130, 83, 99};
	const uint8_t *ip, *udp, *bootp;
	size_t ihl, ip_len, udp_len;

	if (len < NET_ETH_HLEN + 20 || be16(frame + 12) != ETH_P_IPV4)
		return false;
	ip = frame + NET_ETH_HLEN;
	len -= NET_ETH_HLEN;
	ihl = (size_t)(ip[0] & 0xf) * 4;
	ip_len = be16(ip + 2);
	if ((ip[0] >> 4) != 4 || ihl < 20 || ip_len > len || ip_len < ihl + 8)
		return false;
	if (ip[9] != IP_PROTO_UDP || (be16(ip + 6) & 0x3fff) != 0) /* fragments: ignore */
		return false;
	udp = ip + ihl;
	udp_len = be16(udp + 4);
	if (be16(udp) != sport || be16(udp + 2) != dport)
		return false;
	if (udp_len < 8 + BOOTP_MIN_LEN || udp_len > ip_len - ihl)
		return false;
	bootp = udp + 8;
	if (bootp[1] != 1 || bootp[2] != 6 || memcmp(bootp + 236, cookie, sizeof(cookie)) != 0)
		return false;
	memcpy(&m->ip_src, ip + 12, 4);
	m->op = bootp[0];
	memcpy(&m->xid, bootp + 4, 4);
	memcpy(&m->yiaddr, bootp + 16, 4);
	memcpy(m->chaddr, bootp + 28, 6);
	m->type = dhcp_message_type(bootp + BOOTP_MIN_LEN, udp_len - 8 - BOOTP_MIN_LEN);
	return true;
}

bool net_dhcp_parse_ack(const uint8_t *frame, size_t len, uint32_t *yiaddr, uint8_t chaddr[6])
{
	struct dhcp_msg m;

	if (!dhcp_parse(frame, len, BOOTP_SERVER, BOOTP_CLIENT, &m) || m.op != BOOTP_REPLY ||
	    m.type != DHCP_ACK)
		return false;
	*yiaddr = m.yiaddr;
	memcpy(chaddr, m.chaddr, 6);
	return *yiaddr != 0;
}

void dhcp_snoop_init(struct dhcp_snoop *s, const uint8_t mac[6], uint32_t server)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->mac, mac, 6);
	s->server = server;
}

static bool dhcp_snoop_known_xid(const struct dhcp_snoop *s, uint32_t xid)
{
	for (unsigned int i = 0; i < s->nxids; i++)
		if (s->xids[i] == xid)
			return true;
	return false;
}

void dhcp_snoop_guest_frame(struct dhcp_snoop *s, const uint8_t *frame, size_t len)
{
	struct dhcp_msg m;

	if (!dhcp_parse(frame, len, BOOTP_CLIENT, BOOTP_SERVER, &m) || m.op != BOOTP_REQUEST ||
	    (m.type != DHCP_DISCOVER && m.type != DHCP_REQUEST) || memcmp(m.chaddr, s->mac, 6))
		return;
	if (dhcp_snoop_known_xid(s, m.xid))
		return;
	s->xids[s->next_xid] = m.xid;
	s->next_xid = (s->next_xid + 1) % DHCP_SNOOP_XIDS;
	if (s->nxids < DHCP_SNOOP_XIDS)
		s->nxids++;
}

bool dhcp_snoop_peer_frame(struct dhcp_snoop *s, const uint8_t *frame, size_t len, uint32_t *yiaddr)
{
	struct dhcp_msg m;

	if (!dhcp_parse(frame, len, BOOTP_SERVER, BOOTP_CLIENT, &m) || m.op != BOOTP_REPLY ||
	    m.type != DHCP_ACK || m.yiaddr == 0)
		return false;
	if (memcmp(m.chaddr, s->mac, 6) != 0 || !dhcp_snoop_known_xid(s, m.xid))
		return false;
	if (s->server && m.ip_src != s->server)
		return false;
	*yiaddr = m.yiaddr;
	return true;
}
