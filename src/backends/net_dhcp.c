// SPDX-License-Identifier: Apache-2.0
/*
 * Spotting the DHCPACK that hands the guest its address. libslirp has no
 * lease callback, and vfkit users expect to learn the guest's address (on
 * macOS they read the vmnet DHCP leases), so the frames on their way to the
 * guest are inspected. Works for any backend whose peer runs DHCP.
 */
#include <string.h>

#include "backends/net.h"

#define ETH_P_IPV4    0x0800
#define IP_PROTO_UDP  17
#define BOOTP_SERVER  67
#define BOOTP_CLIENT  68
#define BOOTP_REPLY   2
#define BOOTP_MIN_LEN 240 /* fixed part + magic cookie */
#define DHCP_OPT_PAD  0
#define DHCP_OPT_END  255
#define DHCP_OPT_TYPE 53
#define DHCP_ACK      5

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

bool net_dhcp_parse_ack(const uint8_t *frame, size_t len, uint32_t *yiaddr, uint8_t chaddr[6])
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
	if (be16(udp) != BOOTP_SERVER || be16(udp + 2) != BOOTP_CLIENT)
		return false;
	if (udp_len < 8 + BOOTP_MIN_LEN || udp_len > ip_len - ihl)
		return false;
	bootp = udp + 8;
	if (bootp[0] != BOOTP_REPLY || bootp[1] != 1 || bootp[2] != 6)
		return false;
	if (memcmp(bootp + 236, cookie, sizeof(cookie)) != 0)
		return false;
	if (dhcp_message_type(bootp + BOOTP_MIN_LEN, udp_len - 8 - BOOTP_MIN_LEN) != DHCP_ACK)
		return false;
	memcpy(yiaddr, bootp + 16, 4);
	memcpy(chaddr, bootp + 28, 6);
	return *yiaddr != 0;
}
