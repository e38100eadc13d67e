// SPDX-License-Identifier: Apache-2.0
/* The nat backend against real libslirp: DHCP, ARP, flow control. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "backends/net.h"
#include "backends/net_nat_filter.h"
#include "config/config.h"
#include "net_test_util.h"

static const uint8_t guest_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t gw_mac[6] = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x02}; /* slirp's */
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

struct nat_test {
	struct loop *loop;
	struct net_config cfg;
	struct net_backend *be;
	uint8_t frames[16][2048];
	size_t lens[16];
	unsigned int n;
	bool refuse; /* pretend the guest has no buffers */
	unsigned int refused;
	int wait;
};

static bool sink_rx(void *opaque, const uint8_t *frame, size_t len)
{
	struct nat_test *t = opaque;

	if (t->refuse) {
		t->refused++;
		return false;
	}
	if (t->n < 16 && len <= 2048) {
		memcpy(t->frames[t->n], frame, len);
		t->lens[t->n] = len;
	}
	t->n++;
	return true;
}

static void sink_tx_resume(void *opaque)
{
	(void)opaque;
}

static const struct net_backend_cb sink_cb = {.rx = sink_rx, .tx_resume = sink_tx_resume};

static int setup(void **state)
{
	struct nat_test *t = calloc(1, sizeof(*t));

	t->cfg.attachment = NET_NAT;
	t->loop = loop_new();
	if (!t->loop || net_backend_open(t->loop, &t->cfg, guest_mac, &sink_cb, t, &t->be) < 0)
		return -1;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct nat_test *t = *state;

	net_backend_close(t->be);
	loop_free(t->loop);
	free(t);
	return 0;
}

static void send_dhcp(struct net_backend *be, uint8_t type)
{
	uint8_t bootp[300], frame[400];
	size_t len;

	build_bootp(bootp, 1, type, guest_mac, 0, 0x1234);
	len = build_udp(frame, bcast, guest_mac, 0, 0xffffffff, 68, 67, bootp, sizeof(bootp));
	assert_int_equal(net_backend_send(be, frame, len), 0);
	net_backend_flush(be);
}

static int dhcp_step(void *opaque, int phase)
{
	struct nat_test *t = opaque;

	switch (phase) {
	case 0:
		send_dhcp(t->be, 1); /* DISCOVER */
		return 1;
	case 1:
		if (t->n < 1)
			return 1;
		send_dhcp(t->be, 3); /* REQUEST */
		return 2;
	default:
		return t->n < 2 ? 2 : -1;
	}
}

/* DISCOVER -> OFFER, REQUEST -> ACK with 192.168.64.2, spotted by the parser. */
static void test_dhcp(void **state)
{
	struct nat_test *t = *state;
	uint32_t yiaddr, expect;
	uint8_t chaddr[6];

	assert_string_equal(net_backend_info(t->be)->kind, "nat");
	assert_int_equal(net_backend_info(t->be)->mtu, 1500);
	assert_int_equal(run_loop_steps(t->loop, dhcp_step, t, 5000), -1);
	assert_memory_equal(t->frames[0], bcast, 6); /* broadcast flag honoured */
	assert_false(net_dhcp_parse_ack(t->frames[0], t->lens[0], &yiaddr, chaddr)); /* OFFER */
	assert_true(net_dhcp_parse_ack(t->frames[1], t->lens[1], &yiaddr, chaddr));
	inet_pton(AF_INET, "192.168.64.2", &expect);
	assert_int_equal(yiaddr, expect);
	assert_memory_equal(chaddr, guest_mac, 6);
}

static void send_arp(struct net_backend *be)
{
	uint8_t f[42] = {0};
	uint32_t gw, me;

	inet_pton(AF_INET, "192.168.64.1", &gw);
	inet_pton(AF_INET, "192.168.64.2", &me);
	memcpy(f, bcast, 6);
	memcpy(f + 6, guest_mac, 6);
	put16be(f + 12, 0x0806);
	put16be(f + 14, 1);
	put16be(f + 16, 0x0800);
	f[18] = 6;
	f[19] = 4;
	put16be(f + 20, 1);
	memcpy(f + 22, guest_mac, 6);
	memcpy(f + 28, &me, 4);
	memcpy(f + 38, &gw, 4);
	assert_int_equal(net_backend_send(be, f, sizeof(f)), 0);
	net_backend_flush(be);
}

static int arp_step(void *opaque, int phase)
{
	struct nat_test *t = opaque;

	switch (phase) {
	case 0:
		t->refuse = true;
		send_arp(t->be);
		return 1;
	case 1: /* refused once, then held: no retries until resumed */
		if (!t->refused)
			return 1;
		return ++t->wait < 20 ? 1 : 2;
	case 2:
		assert_int_equal(t->refused, 1);
		t->refuse = false;
		net_backend_rx_resume(t->be);
		return 3;
	default:
		return t->n < 1 ? 3 : -1;
	}
}

/* ARP who-has 192.168.64.1 gets an answer; it waits while the guest is full. */
static void test_arp_flow_control(void **state)
{
	struct nat_test *t = *state;
	uint32_t gw;

	inet_pton(AF_INET, "192.168.64.1", &gw);
	assert_int_equal(run_loop_steps(t->loop, arp_step, t, 5000), -1);
	assert_int_equal(get16be(t->frames[0] + 12), 0x0806);
	assert_int_equal(get16be(t->frames[0] + 20), 2); /* reply */
	assert_memory_equal(t->frames[0] + 28, &gw, 4);
	assert_memory_equal(t->frames[0], guest_mac, 6);
}

/* Frames longer than the backend takes are refused, not truncated. */
static void test_oversized(void **state)
{
	struct nat_test *t = *state;
	static uint8_t big[NET_MAX_FRAME_TSO + 1];

	assert_int_equal(net_backend_info(t->be)->max_frame, NET_MAX_FRAME_TSO);
	assert_int_equal(net_backend_send(t->be, big, sizeof(big)), -EMSGSIZE);
}

/* --- a TCP segment far larger than the MSS, as whole TSO frames are passed --- */

#define BIG_PAYLOAD 60000

struct tcp_test {
	struct nat_test *t;
	int lsock, conn;
	uint32_t addr; /* the host address the guest connects to */
	uint16_t port;
	uint32_t server_isn;
	size_t got;
	uint8_t rx[BIG_PAYLOAD];
	uint8_t payload[BIG_PAYLOAD];
};

/* A TCP segment from the guest (192.168.64.2:40000) to dst (network order). */
static size_t build_tcp(uint8_t *f, uint32_t dst, uint16_t dport, uint32_t seq, uint32_t ack,
			uint8_t flags, const uint8_t *data, size_t dlen)
{
	uint8_t *ip = f + 14, *tcp = ip + 20, ph[12];
	uint32_t src;

	inet_pton(AF_INET, "192.168.64.2", &src);
	memcpy(f, gw_mac, 6); /* slirp does not check the destination MAC */
	memcpy(f + 6, guest_mac, 6);
	put16be(f + 12, 0x0800);
	memset(ip, 0, 40);
	ip[0] = 0x45;
	put16be(ip + 2, (uint16_t)(40 + dlen));
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	put16be(ip + 10, net_csum_fold(net_csum_add(0, ip, 20)));
	put16be(tcp, 40000);
	put16be(tcp + 2, dport);
	put16be(tcp + 4, (uint16_t)(seq >> 16));
	put16be(tcp + 6, (uint16_t)seq);
	put16be(tcp + 8, (uint16_t)(ack >> 16));
	put16be(tcp + 10, (uint16_t)ack);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	put16be(tcp + 14, 65535);
	if (dlen)
		memcpy(tcp + 20, data, dlen);
	memcpy(ph, ip + 12, 8);
	ph[8] = 0;
	ph[9] = 6;
	put16be(ph + 10, (uint16_t)(20 + dlen));
	put16be(tcp + 16, net_csum_fold(net_csum_add(net_csum_add(0, ph, 12), tcp, 20 + dlen)));
	return 14 + 40 + dlen;
}

/* The first TCP frame from slirp with SYN+ACK, or false. */
static bool find_synack(struct nat_test *t, uint32_t *isn)
{
	for (unsigned int i = 0; i < t->n && i < 16; i++) {
		const uint8_t *f = t->frames[i];

		if (get16be(f + 12) == 0x0800 && f[14 + 9] == 6 &&
		    (f[14 + 20 + 13] & 0x12) == 0x12) {
			*isn = (uint32_t)get16be(f + 38) << 16 | get16be(f + 40);
			return true;
		}
	}
	return false;
}

static int tcp_step(void *opaque, int phase)
{
	struct tcp_test *c = opaque;
	static uint8_t frame[NET_MAX_FRAME_TSO];
	size_t len;
	ssize_t n;

	switch (phase) {
	case 0:
		send_arp(c->t->be); /* slirp learns the guest's MAC */
		len = build_tcp(frame, c->addr, c->port, 1000, 0, 0x02, NULL, 0);
		assert_int_equal(net_backend_send(c->t->be, frame, len), 0);
		net_backend_flush(c->t->be);
		return 1;
	case 1:
		if (!find_synack(c->t, &c->server_isn))
			return 1;
		len = build_tcp(frame, c->addr, c->port, 1001, c->server_isn + 1, 0x10, NULL, 0);
		assert_int_equal(net_backend_send(c->t->be, frame, len), 0);
		len = build_tcp(frame, c->addr, c->port, 1001, c->server_isn + 1, 0x18, c->payload,
				BIG_PAYLOAD);
		assert_int_equal(net_backend_send(c->t->be, frame, len), 0);
		net_backend_flush(c->t->be);
		return 2;
	case 2:
		if (c->conn < 0)
			c->conn = accept(c->lsock, NULL, NULL);
		if (c->conn < 0)
			return 2;
		/* fall through */
	default:
		n = recv(c->conn, c->rx + c->got, BIG_PAYLOAD - c->got, MSG_DONTWAIT);
		if (n > 0)
			c->got += (size_t)n;
		return c->got == BIG_PAYLOAD ? -1 : 3;
	}
}

/* The first up, non-loopback IPv4 address of this host (network order), or 0. */
static uint32_t host_external_ipv4(void)
{
	struct ifaddrs *ifs, *i;
	uint32_t found = 0;

	if (getifaddrs(&ifs) < 0)
		return 0;
	for (i = ifs; i && !found; i = i->ifa_next) {
		uint32_t a;

		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !(i->ifa_flags & IFF_UP) ||
		    (i->ifa_flags & IFF_LOOPBACK))
			continue;
		a = ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr;
		if ((ntohl(a) >> 24) != 127)
			found = a;
	}
	freeifaddrs(ifs);
	return found;
}

/* A listening TCP socket on addr (network order); its port in *port. */
static int tcp_listener(uint32_t addr, uint16_t *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = addr};
	socklen_t al = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s, 8), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &al), 0);
	*port = ntohs(a.sin_port);
	return s;
}

/*
 * A 60000-byte segment (MSS 1460) reaches the host socket intact. The host
 * is reached on one of its own non-loopback addresses, as a guest does.
 */
static void test_tcp_big_segment(void **state)
{
	struct tcp_test c = {.t = *state, .conn = -1};

	c.addr = host_external_ipv4();
	if (!c.addr) {
		print_message("no non-loopback IPv4 address on this host to connect to\n");
		skip();
	}
	for (size_t i = 0; i < BIG_PAYLOAD; i++)
		c.payload[i] = (uint8_t)(i * 13 + i / 256);
	c.lsock = tcp_listener(c.addr, &c.port);
	assert_int_equal(run_loop_steps(c.t->loop, tcp_step, &c, 5000), -1);
	assert_memory_equal(c.rx, c.payload, BIG_PAYLOAD);
	close(c.conn);
	close(c.lsock);
}

/* --- the host's loopback stays out of the guest's reach --- */

#define PROBE_TICKS 60 /* 300 ms of loop cycles for slirp to act on the probes */

struct loopback_probe {
	struct nat_test *t;
	int tcp_lsock, udp_sock;
	uint16_t tcp_port, udp_port;
	unsigned int accepted, udp_received;
	int ticks;
};

/* Destinations that slirp turned into 127.0.0.1 (or took as given). */
static const char *const loopback_aliases[] = {
	"192.168.64.1", /* the gateway */
	"192.168.64.9", /* an unused NAT address */
	"127.0.0.1",
	"0.0.0.0",
};

static void send_frame(struct net_backend *be, const uint8_t *f, size_t len)
{
	assert_int_equal(net_backend_send(be, f, len), 0);
}

static void send_probes(struct loopback_probe *p)
{
	static const uint8_t hello[] = "hello host";
	uint8_t frame[256];

	send_arp(p->t->be);
	for (size_t i = 0; i < sizeof(loopback_aliases) / sizeof(loopback_aliases[0]); i++) {
		uint32_t dst = ip4(loopback_aliases[i]);

		send_frame(p->t->be, frame,
			   build_tcp(frame, dst, p->tcp_port, 1000, 0, 0x02, NULL, 0));
		send_frame(p->t->be, frame,
			   build_udp(frame, gw_mac, guest_mac, ip4("192.168.64.2"), dst, 40001,
				     p->udp_port, hello, sizeof(hello)));
	}
	net_backend_flush(p->t->be);
}

static int probe_step(void *opaque, int phase)
{
	struct loopback_probe *p = opaque;
	uint8_t buf[64];
	int c;

	if (phase == 0) {
		send_probes(p);
		return 1;
	}
	c = accept(p->tcp_lsock, NULL, NULL);
	if (c >= 0) {
		p->accepted++;
		close(c);
	}
	if (recv(p->udp_sock, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		p->udp_received++;
	return ++p->ticks < PROBE_TICKS ? 1 : -1;
}

/*
 * TCP SYNs and UDP datagrams to the gateway, an unused NAT address,
 * 127.0.0.1 and 0.0.0.0 must not reach host sockets bound to 127.0.0.1
 * (such as vfkit's REST API on tcp://localhost), and no SYN-ACK may return.
 */
static void test_host_loopback_unreachable(void **state)
{
	struct loopback_probe p = {.t = *state};
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = ip4("127.0.0.1")};
	socklen_t al = sizeof(a);
	uint32_t isn;

	p.tcp_lsock = tcp_listener(ip4("127.0.0.1"), &p.tcp_port);
	p.udp_sock = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	assert_int_equal(bind(p.udp_sock, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(p.udp_sock, (struct sockaddr *)&a, &al), 0);
	p.udp_port = ntohs(a.sin_port);

	assert_int_equal(run_loop_steps(p.t->loop, probe_step, &p, 5000), -1);
	assert_int_equal(p.accepted, 0);
	assert_int_equal(p.udp_received, 0);
	assert_false(find_synack(p.t, &isn));
	close(p.tcp_lsock);
	close(p.udp_sock);
}

/* --- the filter's rules, frame by frame --- */

struct filter_case {
	const char *dst;
	uint8_t proto; /* 1 ICMP, 6 TCP, 17 UDP */
	uint16_t dport;
	bool fragment;
	bool allowed;
};

static size_t build_probe(uint8_t *f, const struct filter_case *fc)
{
	uint8_t payload[8] = {8, 0}; /* ICMP echo request */
	size_t len;

	if (fc->proto == 6)
		len = build_tcp(f, ip4(fc->dst), fc->dport, 1, 0, 0x02, NULL, 0);
	else
		len = build_udp(f, gw_mac, guest_mac, ip4("192.168.64.2"), ip4(fc->dst), 40000,
				fc->dport, payload, sizeof(payload));
	if (fc->proto == 1) {
		f[14 + 9] = 1; /* the ICMP header takes the UDP header's place */
		memcpy(f + 14 + 20, payload, sizeof(payload));
	}
	if (fc->fragment)
		put16be(f + 14 + 6, 0x2000); /* more fragments */
	return len;
}

static void test_filter_rules(void **state)
{
	static const struct filter_case cases[] = {
		{"8.8.8.8", 6, 443, false, true},
		{"192.0.2.2", 6, 8081, false, true}, /* the host's LAN address */
		{"10.0.0.1", 17, 123, false, true},
		{"1.1.1.1", 1, 0, false, true},
		{"192.168.64.254", 17, 53, false, true},
		{"192.168.64.254", 6, 53, false, true},
		{"192.168.64.254", 1, 0, false, true},
		{"192.168.64.1", 17, 67, false, true},
		{"255.255.255.255", 17, 67, false, true},
		{"192.168.64.1", 1, 0, false, true},
		{"192.168.64.1", 6, 8081, false, false},
		{"192.168.64.1", 17, 53, false, false},
		{"192.168.64.1", 17, 67, true, false},
		{"192.168.64.254", 6, 8081, false, false},
		{"192.168.64.254", 17, 5353, false, false},
		{"192.168.64.254", 17, 53, true, false},
		{"192.168.64.2", 6, 22, false, false},
		{"192.168.64.255", 17, 67, false, false},
		{"255.255.255.255", 17, 9, false, false},
		{"127.0.0.1", 6, 8081, false, false},
		{"127.0.0.53", 17, 53, false, false},
		{"127.255.255.254", 1, 0, false, false},
		{"0.0.0.0", 6, 8081, false, false},
		{"0.1.2.3", 17, 53, false, false},
		{"8.8.8.8", 17, 53, true, false},
		{"8.8.8.8", 1, 0, true, false},
	};
	uint8_t f[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct filter_case *fc = &cases[i];
		const char *why = nat_guest_frame_refusal(f, build_probe(f, fc));

		if ((why == NULL) != fc->allowed)
			fail_msg("%s proto %u port %u%s: %s", fc->dst, fc->proto, fc->dport,
				 fc->fragment ? " (fragment)" : "", why ? why : "allowed");
	}
}

/* IPv6 (::1, ::ffff:127.0.0.1, anything), VLAN tags and bad headers never reach slirp. */
static void test_filter_other_frames(void **state)
{
	static const uint8_t v6_dsts[][16] = {
		{[15] = 1},
		{[10] = 0xff, [11] = 0xff, [12] = 127, [15] = 1},
		{0x20, 0x01, 0x0d, 0xb8, [15] = 1},
	};
	uint8_t f[256] = {0};
	struct filter_case ok = {"8.8.8.8", 17, 53, false, true};
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(v6_dsts) / sizeof(v6_dsts[0]); i++) {
		memset(f, 0, sizeof(f));
		put16be(f + 12, 0x86dd);
		f[14] = 0x60;
		put16be(f + 14 + 4, 8);
		f[14 + 6] = 17;
		f[14 + 7] = 64;
		memcpy(f + 14 + 24, v6_dsts[i], 16);
		assert_non_null(nat_guest_frame_refusal(f, 14 + 40 + 8));
	}
	len = build_probe(f, &ok);
	assert_null(nat_guest_frame_refusal(f, len));
	assert_non_null(nat_guest_frame_refusal(f, 13));
	assert_non_null(nat_guest_frame_refusal(f, 14 + 19)); /* truncated IPv4 header */
	f[14] = 0x44;					      /* IHL 16 bytes */
	assert_non_null(nat_guest_frame_refusal(f, len));
	f[14] = 0x45;
	put16be(f + 14 + 2, (uint16_t)(len - 14 + 1)); /* longer than the frame */
	assert_non_null(nat_guest_frame_refusal(f, len));
	put16be(f + 14 + 2, (uint16_t)(len - 14));
	put16be(f + 12, 0x8100); /* VLAN tag */
	assert_non_null(nat_guest_frame_refusal(f, len));
	put16be(f + 12, 0x0806); /* ARP */
	assert_null(nat_guest_frame_refusal(f, len));
}

/*
 * A last fragment (offset > 0, no MF) that arrives before any other crashed
 * libslirp 4.7 inside slirp_input(): one frame from the guest killed the
 * VMM. The test process survives it now.
 */
static void test_lone_last_fragment(void **state)
{
	struct nat_test *t = *state;
	uint8_t payload[96], frame[256];
	size_t len;

	memset(payload, 0x5a, sizeof(payload));
	len = build_udp(frame, gw_mac, guest_mac, ip4("192.168.64.2"), ip4("8.8.8.8"), 40000, 53,
			payload, sizeof(payload));
	put16be(frame + 14 + 6, 8); /* fragment offset 64 bytes, MF clear */
	put16be(frame + 14 + 10, 0);
	put16be(frame + 14 + 10, net_csum_fold(net_csum_add(0, frame + 14, 20)));
	assert_non_null(nat_guest_frame_refusal(frame, len));
	send_frame(t->be, frame, len);
	net_backend_flush(t->be);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dhcp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arp_flow_control, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversized, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_big_segment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_loopback_unreachable, setup, teardown),
		cmocka_unit_test(test_filter_rules),
		cmocka_unit_test_setup_teardown(test_lone_last_fragment, setup, teardown),
		cmocka_unit_test(test_filter_other_frames),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
