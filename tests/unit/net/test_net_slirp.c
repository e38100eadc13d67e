// SPDX-License-Identifier: Apache-2.0
/* The nat backend against real libslirp: DHCP, ARP, flow control. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "backends/net.h"
#include "config/config.h"
#include "net_test_util.h"

static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

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

static const struct net_backend_cb sink_cb = { .rx = sink_rx, .tx_resume = sink_tx_resume };

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
	uint8_t f[42] = { 0 };
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
	static uint8_t big[9000];

	assert_int_equal(net_backend_send(t->be, big, sizeof(big)), -EMSGSIZE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dhcp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arp_flow_control, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversized, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
