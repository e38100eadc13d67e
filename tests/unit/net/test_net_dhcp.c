// SPDX-License-Identifier: Apache-2.0
/* Which DHCPACK may publish the guest's address (backends/net_dhcp.c). */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "backends/net.h"
#include "net_test_util.h"

static const uint8_t guest_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t server_mac[6] = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};

static size_t request(uint8_t *f, uint8_t type, uint32_t xid)
{
	uint8_t bootp[300];

	build_bootp(bootp, 1, type, guest_mac, 0, xid);
	return build_udp(f, server_mac, guest_mac, 0, 0xffffffff, 68, 67, bootp, sizeof(bootp));
}

static size_t ack_from(uint8_t *f, const char *src, uint32_t xid, const char *yiaddr)
{
	uint8_t bootp[300];

	build_bootp(bootp, 2, 5, guest_mac, ip4(yiaddr), xid);
	return build_udp(f, guest_mac, server_mac, ip4(src), 0xffffffff, 67, 68, bootp,
			 sizeof(bootp));
}

/*
 * nat knows its server (slirp, 192.168.64.1): an ACK with the right xid and
 * MAC from anywhere else, such as a UDP peer on the internet answering from
 * port 67 through the NAT, is not a lease.
 */
static void test_ack_must_come_from_the_server(void **state)
{
	struct dhcp_snoop s;
	uint8_t f[400];
	uint32_t yi = 0;

	(void)state;
	dhcp_snoop_init(&s, guest_mac, ip4("192.168.64.1"));
	dhcp_snoop_guest_frame(&s, f, request(f, 1, 0xabcd));
	assert_false(
		dhcp_snoop_peer_frame(&s, f, ack_from(f, "203.0.113.9", 0xabcd, "10.1.1.1"), &yi));
	assert_true(dhcp_snoop_peer_frame(
		&s, f, ack_from(f, "192.168.64.1", 0xabcd, "192.168.64.2"), &yi));
	assert_int_equal(yi, ip4("192.168.64.2"));
}

/* Only the last few transactions count; a retried DISCOVER is not a new one. */
static void test_recent_transactions_only(void **state)
{
	struct dhcp_snoop s;
	uint8_t f[400];
	uint32_t yi = 0;

	(void)state;
	dhcp_snoop_init(&s, guest_mac, 0);
	for (uint32_t xid = 1; xid <= DHCP_SNOOP_XIDS + 1; xid++) {
		dhcp_snoop_guest_frame(&s, f, request(f, 1, xid));
		dhcp_snoop_guest_frame(&s, f, request(f, 1, xid)); /* retry */
	}
	assert_false(dhcp_snoop_peer_frame(&s, f, ack_from(f, "10.0.0.1", 1, "10.0.0.9"), &yi));
	assert_true(dhcp_snoop_peer_frame(&s, f, ack_from(f, "10.0.0.1", 2, "10.0.0.9"), &yi));
	/* A DHCPRELEASE (7) or INFORM (8) starts nothing. */
	dhcp_snoop_guest_frame(&s, f, request(f, 7, 0x77));
	dhcp_snoop_guest_frame(&s, f, request(f, 8, 0x88));
	assert_false(dhcp_snoop_peer_frame(&s, f, ack_from(f, "10.0.0.1", 0x77, "10.0.0.9"), &yi));
	assert_false(dhcp_snoop_peer_frame(&s, f, ack_from(f, "10.0.0.1", 0x88, "10.0.0.9"), &yi));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ack_must_come_from_the_server),
		cmocka_unit_test(test_recent_transactions_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
