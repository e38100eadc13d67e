// SPDX-License-Identifier: Apache-2.0
/*
 * What a guest on the nat backend may reach, enforced before slirp_input().
 *
 * libslirp translates destinations inside its virtual network to the host:
 * the DNS address to the host's resolver (from /etc/resolv.conf, often a
 * loopback address such as 127.0.0.53, or 127.0.0.1 when there is none),
 * every other address (the gateway included) to 127.0.0.1 unless
 * disable_host_loopback is set; and it connects to any other destination as
 * given, 127.0.0.1 and 0.0.0.0 included, which are the host's own loopback.
 * Loopback services (vfkit's own REST API on tcp://localhost, databases,
 * agents) trust local callers, so a guest must never reach them. On macOS
 * the vmnet gateway is a bridge interface, not loopback.
 *
 * So the guest may send:
 *   - ARP (slirp answers for its own addresses);
 *   - to 192.168.64.1: ICMP (slirp answers pings itself) and DHCP (UDP 67);
 *   - to 192.168.64.254: ICMP and DNS (UDP and TCP port 53), which slirp
 *     forwards to the host's resolver on port 53, loopback or not;
 *   - to 255.255.255.255: DHCP only;
 *   - anything else to addresses outside 192.168.64.0/24, 0.0.0.0/8 and
 *     127.0.0.0/8: the internet, the host's LAN and the host's own
 *     non-loopback addresses, as through any NAT router.
 * Everything else is dropped: other protocols (the NAT is IPv4 only, so
 * IPv6 and its ::1 and ::ffff:127.0.0.1 never reach slirp), malformed IPv4
 * headers, and every IPv4 fragment. libslirp 4.7's reassembly crashes the
 * process on a single frame (a last fragment, offset > 0 without MF, that
 * arrives first: found by fuzz_nat_frames), and fragments would hide the
 * ports of the rules above. Guests are unaffected in practice: TCP sets DF
 * and keeps to the MSS; only UDP datagrams and pings larger than the MTU
 * (1500) are lost. slirp is also configured with disable_host_loopback, so
 * a hole here still does not map the gateway to 127.0.0.1.
 */
#include <stdbool.h>

#include "backends/net.h"
#include "backends/net_nat_filter.h"

#define ETH_P_IPV4	 0x0800
#define ETH_P_ARP	 0x0806
#define IP_PROTO_ICMP	 1
#define IP_PROTO_TCP	 6
#define IP_PROTO_UDP	 17
#define IP_FRAG_MASK	 0x3fff /* MF flag and fragment offset */
#define IPV4_LIMITED_BC	 0xffffffffu
#define IPV4_LOOPBACK	 0x7f000000u /* 127.0.0.0/8 */
#define IPV4_THIS_HOST	 0x00000000u /* 0.0.0.0/8: "this host" to connect() */
#define IPV4_CLASS_A_NET 0xff000000u

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A parsed IPv4 header: only what the rules look at. */
struct ipv4_view {
	uint32_t dst;
	uint8_t proto;
	bool fragment;
	int dport; /* TCP/UDP destination port of an unfragmented packet, else -1 */
};

static const char *ipv4_parse(const uint8_t *ip, size_t len, struct ipv4_view *v)
{
	size_t ihl, total;

	if (len < 20 || ip[0] >> 4 != 4)
		return "malformed IPv4 header";
	ihl = (size_t)(ip[0] & 0xf) * 4;
	total = get_be16(ip + 2);
	if (ihl < 20 || total < ihl || total > len)
		return "malformed IPv4 header";
	v->dst = get_be32(ip + 16);
	v->proto = ip[9];
	v->fragment = (get_be16(ip + 6) & IP_FRAG_MASK) != 0;
	v->dport = -1;
	if (!v->fragment && (v->proto == IP_PROTO_TCP || v->proto == IP_PROTO_UDP) &&
	    total >= ihl + 4)
		v->dport = get_be16(ip + ihl + 2);
	return NULL;
}

static bool is_port(const struct ipv4_view *v, uint8_t proto, int port)
{
	return v->proto == proto && v->dport == port;
}

/* Destinations inside slirp's virtual network: only its own services. */
static const char *virtual_net_refusal(const struct ipv4_view *v)
{
	if (v->dst == NAT_GATEWAY) {
		if (v->proto == IP_PROTO_ICMP || is_port(v, IP_PROTO_UDP, NAT_DHCP_SERVER))
			return NULL;
		return "gateway (only DHCP and ping; it is not the host's loopback)";
	}
	if (v->dst == NAT_DNS) {
		if (v->proto == IP_PROTO_ICMP || is_port(v, IP_PROTO_UDP, NAT_DNS_PORT) ||
		    is_port(v, IP_PROTO_TCP, NAT_DNS_PORT))
			return NULL;
		return "DNS address (only port 53 and ping)";
	}
	return "unused NAT address (slirp would map it to the host)";
}

static const char *ipv4_refusal(const uint8_t *ip, size_t len)
{
	struct ipv4_view v;
	const char *why = ipv4_parse(ip, len, &v);

	if (why)
		return why;
	if (v.fragment)
		return "IPv4 fragment";
	if ((v.dst & IPV4_CLASS_A_NET) == IPV4_LOOPBACK)
		return "host loopback 127.0.0.0/8";
	if ((v.dst & IPV4_CLASS_A_NET) == IPV4_THIS_HOST)
		return "host address 0.0.0.0/8";
	if ((v.dst & NAT_MASK) == NAT_NET)
		return virtual_net_refusal(&v);
	if (v.dst == IPV4_LIMITED_BC && !is_port(&v, IP_PROTO_UDP, NAT_DHCP_SERVER))
		return "broadcast other than DHCP";
	return NULL;
}

const char *nat_guest_frame_refusal(const uint8_t *frame, size_t len)
{
	uint16_t type;

	if (len < NET_ETH_HLEN)
		return "runt frame";
	type = get_be16(frame + 12);
	if (type == ETH_P_ARP)
		return NULL;
	if (type != ETH_P_IPV4)
		return "not IPv4 or ARP (the NAT is IPv4 only)";
	return ipv4_refusal(frame + NET_ETH_HLEN, len - NET_ETH_HLEN);
}
