// SPDX-License-Identifier: Apache-2.0
/*
 * The guest-controlled input of virtio-net's transmit path: a virtio-net
 * header and the frame after it, as the guest writes them. Runs the offload
 * code (checksum completion, TSO segmentation) over it, and the DHCP parser
 * that inspects frames on their way to the guest.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "backends/net.h"
#include "virtio/net_offload.h"

#define MAX_FRAME (65535 + 18)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[MAX_FRAME], seg[NET_MAX_FRAME_TSO];
	struct virtio_net_hdr_v1 hdr;
	struct net_tx tx;
	const uint8_t *out;
	size_t len, n, max;
	uint32_t yiaddr;
	uint8_t chaddr[6] = {0};
	struct dhcp_snoop snoop;

	if (size < sizeof(hdr))
		return 0;
	memcpy(&hdr, data, sizeof(hdr));
	len = size - sizeof(hdr);
	if (len > MAX_FRAME)
		len = MAX_FRAME;
	memcpy(frame, data + sizeof(hdr), len);
	(void)net_dhcp_parse_ack(frame, len, &yiaddr, chaddr);
	/* The same bytes as a guest request and as a reply to the guest. */
	dhcp_snoop_init(&snoop, frame + 6, 0); /* frame is a static buffer: 6 bytes are there */
	dhcp_snoop_guest_frame(&snoop, frame, len);
	(void)dhcp_snoop_peer_frame(&snoop, frame, len, &yiaddr);
	/* The header's reserved num_buffers bit picks the backend: 1500 MTU or nat's whole TSO. */
	max = (hdr.num_buffers & 1) ? NET_MAX_FRAME_TSO : NET_MAX_FRAME_STD;
	if (net_tx_prepare(&tx, &hdr, frame, len, max) < 0)
		return 0;
	/* Every segment fits the backend; the walk ends. */
	for (unsigned int i = 0; (n = net_tx_peek(&tx, seg, &out)) != 0; i++) {
		if (n > max || i > 65536)
			__builtin_trap();
		net_tx_advance(&tx);
	}
	return 0;
}
