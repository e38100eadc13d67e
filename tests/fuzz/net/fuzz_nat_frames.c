// SPDX-License-Identifier: Apache-2.0
/*
 * Hostile guest frames into the nat backend: the loopback filter and the
 * real libslirp (ARP, IPv4 reassembly, ICMP, UDP, TCP, DHCP), then one loop
 * turn that delivers slirp's answers. The input is a sequence of frames,
 * each a 16-bit big-endian length and that many bytes.
 *
 * Nothing leaves the machine: net_slirp.c is built with
 * VFKIT_FUZZ_NO_OUTBOUND (slirp's restricted mode: no host sockets for
 * guest traffic), and the process first tries to move into a network
 * namespace of its own.
 */
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "backends/net.h"
#include "config/config.h"
#include "util/log.h"
#include "vmm/loop.h"

#define MAX_FRAMES 64

static const uint8_t guest_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

static bool sink_rx(void *opaque, const uint8_t *frame, size_t len)
{
	size_t *delivered = opaque;

	if (!frame || len < NET_ETH_HLEN || len > NET_MAX_FRAME_TSO)
		__builtin_trap(); /* the device never sees runts or giants */
	(*delivered)++;
	return true;
}

static void sink_tx_resume(void *opaque)
{
	(void)opaque;
}

static const struct net_backend_cb sink_cb = {.rx = sink_rx, .tx_resume = sink_tx_resume};

static void quit_call(void *opaque)
{
	loop_quit(opaque);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_LEVEL_ERROR); /* one NAT per input: its startup line is noise */
	/* Belt and braces: a namespace with only a down lo, where allowed. */
	if (unshare(CLONE_NEWNET) < 0)
		(void)unshare(CLONE_NEWUSER | CLONE_NEWNET);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct net_config cfg = {.attachment = NET_NAT};
	struct net_backend *be = NULL;
	struct loop *loop = loop_new();
	size_t delivered = 0;
	unsigned int frames = 0;

	if (!loop || net_backend_open(loop, &cfg, guest_mac, &sink_cb, &delivered, &be) < 0)
		abort();
	while (size >= 2 && frames++ < MAX_FRAMES) {
		size_t len = (size_t)data[0] << 8 | data[1];

		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		(void)net_backend_send(be, data, len);
		data += len;
		size -= len;
	}
	net_backend_flush(be);
	/* The pump queued by slirp's answers runs first, then the quit. */
	if (loop_call(loop, quit_call, loop) == 0)
		loop_run(loop);
	net_backend_close(be);
	loop_free(loop);
	return 0;
}
