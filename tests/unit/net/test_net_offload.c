// SPDX-License-Identifier: Apache-2.0
/* net_offload.c directly: TSO passed whole when the backend takes it, IPv6. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "backends/net.h"
#include "net_test_util.h"

static uint8_t frame[NET_MAX_FRAME_TSO], seg[NET_MAX_FRAME_TSO];

/* eth + IPv4 or IPv6 + 20-byte TCP + payload bytes. */
static size_t build(bool v6, size_t payload)
{
	size_t l3 = v6 ? 40 : 20, len = 14 + l3 + 20 + payload;
	uint8_t *ip = frame + 14, *tcp = ip + l3;

	memset(frame, 0, len);
	put16be(frame + 12, v6 ? 0x86dd : 0x0800);
	if (v6) {
		ip[0] = 0x60;
		put16be(ip + 4, (uint16_t)(20 + payload));
		ip[6] = 6;
		ip[7] = 64;
		ip[8] = 0xfd;
		ip[23] = 2;
		ip[24] = 0xfd;
		ip[39] = 1;
	} else {
		ip[0] = 0x45;
		put16be(ip + 2, (uint16_t)(len - 14));
		ip[9] = 6;
		ip[12] = 10;
		ip[16] = 10;
	}
	tcp[12] = 5 << 4;
	tcp[13] = 0x19;
	for (size_t i = 0; i < payload; i++)
		tcp[20 + i] = (uint8_t)(i ^ (i >> 8));
	return len;
}

static uint16_t tcp_sum(const uint8_t *s, size_t len, bool v6)
{
	size_t l3 = v6 ? 40 : 20, tl = len - 14 - l3;
	uint8_t ph[8] = {0};
	uint32_t sum;

	if (v6) {
		sum = net_csum_add(0, s + 14 + 8, 32);
		ph[2] = (uint8_t)(tl >> 8);
		ph[3] = (uint8_t)tl;
		ph[7] = 6;
		sum = net_csum_add(sum, ph, 8);
	} else {
		sum = net_csum_add(0, s + 14 + 12, 8);
		ph[1] = 6;
		ph[2] = (uint8_t)(tl >> 8);
		ph[3] = (uint8_t)tl;
		sum = net_csum_add(sum, ph, 4);
	}
	return net_csum_fold(net_csum_add(sum, s + 14 + l3, tl));
}

static void test_tso_whole(void **state)
{
	struct virtio_net_hdr_v1 hdr = {
		.flags = 1, .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 1448};
	size_t len = build(false, 60000);
	struct net_tx tx;
	const uint8_t *out;

	(void)state;
	assert_int_equal(net_tx_prepare(&tx, &hdr, frame, len, NET_MAX_FRAME_TSO), 0);
	assert_int_equal(net_tx_peek(&tx, seg, &out), len);
	assert_int_equal(get16be(out + 16), len - 14);
	assert_int_equal(net_csum_fold(net_csum_add(0, out + 14, 20)), 0);
	assert_int_equal(tcp_sum(out, len, false), 0);
	assert_int_equal(out[14 + 20 + 13], 0x19); /* FIN and PSH kept: it is the last */
	net_tx_advance(&tx);
	assert_int_equal(net_tx_peek(&tx, seg, &out), 0);
}

static void test_tso6_segments(void **state)
{
	struct virtio_net_hdr_v1 hdr = {
		.flags = 1, .gso_type = VIRTIO_NET_HDR_GSO_TCPV6, .gso_size = 1000};
	size_t len = build(true, 2500), n;
	unsigned int segs = 0;
	struct net_tx tx;
	const uint8_t *out;

	(void)state;
	assert_int_equal(net_tx_prepare(&tx, &hdr, frame, len, NET_MAX_FRAME_STD), 0);
	while ((n = net_tx_peek(&tx, seg, &out)) != 0) {
		assert_int_equal(n, 14 + 40 + 20 + (segs < 2 ? 1000 : 500));
		assert_int_equal(get16be(out + 18), n - 14 - 40);
		assert_int_equal(tcp_sum(out, n, true), 0);
		assert_int_equal(out[14 + 40 + 13] & 0x09, segs == 2 ? 0x09 : 0);
		net_tx_advance(&tx);
		segs++;
	}
	assert_int_equal(segs, 3);
}

static void test_rejects(void **state)
{
	struct virtio_net_hdr_v1 hdr = {.gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 1448};
	size_t len = build(false, 3000);
	struct net_tx tx;

	(void)state;
	hdr.gso_type = VIRTIO_NET_HDR_GSO_UDP;
	assert_int_equal(net_tx_prepare(&tx, &hdr, frame, len, NET_MAX_FRAME_STD), -EINVAL);
	hdr.gso_type = VIRTIO_NET_HDR_GSO_TCPV6; /* but the frame is IPv4 */
	assert_int_equal(net_tx_prepare(&tx, &hdr, frame, len, NET_MAX_FRAME_STD), -EINVAL);
	hdr.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	hdr.gso_size = 16; /* would make thousands of segments */
	assert_int_equal(net_tx_prepare(&tx, &hdr, frame, len, NET_MAX_FRAME_STD), -EINVAL);
	hdr.gso_size = 1448;
	frame[14 + 20 + 12] = 15 << 4; /* TCP header longer than the frame's headers allow */
	assert_int_equal(net_tx_prepare(&tx, &hdr, frame, 14 + 20 + 40, NET_MAX_FRAME_STD),
			 -EINVAL);
	hdr.gso_type = 0; /* plain frame longer than the backend takes */
	assert_int_equal(net_tx_prepare(&tx, &hdr, frame, len, 1000), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tso_whole),
		cmocka_unit_test(test_tso6_segments),
		cmocka_unit_test(test_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
