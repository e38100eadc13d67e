// SPDX-License-Identifier: Apache-2.0
/*
 * The virtio-net device through the fake virtio-pci driver of
 * tests/unit/virtio, attached to an fd= backend whose other end (a
 * socketpair) plays the network: transmit with and without offloads,
 * receive into mergeable buffers, flow control, the DHCP lease.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "../virtio/fake_vm.h"
#include "config/config.h"
#include "net_test_util.h"
#include "virtio/net.h"
#include "virtio/testing.h"
#include "virtio/virtio.h"

#define HDR 12

static const uint8_t dev_mac[6] = {0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc};
static const uint8_t peer_mac[6] = {0x52, 0x54, 0x00, 0x01, 0x02, 0x03};

/*
 * The device registers its cleanup with vm_at_exit(); vmm/vm.c would pull
 * in the real KVM interrupt code that fake_vm.c replaces, so the exit
 * handler list is kept here.
 */
static vm_exit_fn exit_fn;
static void *exit_opaque;

int vm_at_exit(struct vm *vm, vm_exit_fn fn, void *opaque)
{
	(void)vm;
	exit_fn = fn;
	exit_opaque = opaque;
	return 0;
}

static void run_exit_handler(void)
{
	if (exit_fn)
		exit_fn(exit_opaque);
	exit_fn = NULL;
}

struct fixture {
	struct vm vm;
	struct vm_config cfg;
	struct device_config dev;
	struct fdrv drv;
	struct virtio_dev *vdev;
	int peer; /* the network side of the socketpair */
};

static int setup(void **state)
{
	static struct fixture fx;
	int sv[2];

	memset(&fx, 0, sizeof(fx));
	fake_vm_init(&fx.vm, &fx.cfg);
	fx.vm.loop = loop_new();
	if (!fx.vm.loop || socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) < 0)
		return -1;
	fx.peer = sv[1];
	fx.dev.kind = DEV_VIRTIO_NET;
	fx.dev.net.attachment = NET_FD;
	fx.dev.net.fd = sv[0];
	fx.dev.net.has_mac = true;
	memcpy(fx.dev.net.mac, dev_mac, 6);
	fx.cfg.devices = &fx.dev;
	fx.cfg.device_count = 1;
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	run_exit_handler();
	close(fx->peer);
	free(fx->dev.net.lease_ip);
	fake_vm_free(&fx->vm);
	loop_free(fx->vm.loop);
	return 0;
}

/* Creates the device and brings the driver up with the features in want. */
static void start(struct fixture *fx, uint64_t want)
{
	assert_int_equal(virtio_net_create(&fx->vm, &fx->dev), 0);
	fx->vdev = virtio_pci_dev_at(&fx->vm, 1);
	assert_non_null(fx->vdev);
	assert_int_equal(fdrv_probe(&fx->drv, &fx->vm, 1), 0);
	assert_int_equal(fdrv_init(&fx->drv, want | (1ULL << VIRTIO_F_VERSION_1), 2, 64) & 0xf,
			 0xf);
}

/* Transmits hdr + frame as a two-descriptor chain; returns the used length. */
static void guest_send(struct fixture *fx, const struct virtio_net_hdr_v1 *hdr,
		       const uint8_t *frame, size_t len)
{
	struct fdrv *d = &fx->drv;
	uint64_t h = galloc(d, HDR), f = galloc(d, len);
	struct fbuf b[2] = {{h, HDR, false}, {f, (uint32_t)len, false}};
	uint32_t id, ulen;

	memcpy(gptr(d, h, HDR), hdr, HDR);
	memcpy(gptr(d, f, len), frame, len);
	fdrv_add_chain(d, 1, b, 2);
	fdrv_kick(d, 1);
	virtio_dev_poll(fx->vdev);
	assert_int_equal(fdrv_get_used(d, 1, &id, &ulen), 1);
}

static ssize_t peer_recv(struct fixture *fx, uint8_t *buf, size_t len)
{
	return recv(fx->peer, buf, len, MSG_DONTWAIT);
}

static void test_config_space(void **state)
{
	struct fixture *fx = *state;
	uint64_t f;

	start(fx, ~0ULL);
	for (int i = 0; i < 6; i++)
		assert_int_equal(fdrv_devcfg8(&fx->drv, (uint32_t)i), dev_mac[i]);
	assert_int_equal(fdrv_devcfg8(&fx->drv, 6), VIRTIO_NET_S_LINK_UP);
	assert_int_equal(fdrv_devcfg8(&fx->drv, 10) | fdrv_devcfg8(&fx->drv, 11) << 8, 1500);
	f = fx->drv.features;
	assert_true(f & (1ULL << VIRTIO_NET_F_MAC));
	assert_true(f & (1ULL << VIRTIO_NET_F_MRG_RXBUF));
	assert_true(f & (1ULL << VIRTIO_NET_F_CSUM));
	assert_true(f & (1ULL << VIRTIO_NET_F_HOST_TSO4));
	assert_true(f & (1ULL << VIRTIO_NET_F_STATUS));
	assert_false(f & (1ULL << VIRTIO_NET_F_CTRL_VQ));
	assert_int_equal(pci_cfg_rd(&fx->vm, 1, 2, 2), 0x1041);
}

static void test_random_mac(void **state)
{
	struct fixture *fx = *state;
	uint8_t m0;

	fx->dev.net.has_mac = false;
	start(fx, ~0ULL);
	m0 = fdrv_devcfg8(&fx->drv, 0);
	assert_int_equal(m0 & 0x03, 0x02); /* unicast, locally administered */
}

static void test_tx_plain(void **state)
{
	struct fixture *fx = *state;
	struct virtio_net_hdr_v1 hdr = {0};
	uint8_t frame[60], got[2048];

	start(fx, ~0ULL);
	for (size_t i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)i;
	guest_send(fx, &hdr, frame, sizeof(frame));
	assert_int_equal(peer_recv(fx, got, sizeof(got)), sizeof(frame));
	assert_memory_equal(got, frame, sizeof(frame));
}

static void test_tx_csum(void **state)
{
	struct fixture *fx = *state;
	struct virtio_net_hdr_v1 hdr = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM};
	uint8_t payload[101], frame[256], got[2048], ph[12];
	uint32_t src = htonl(0xc0a84002), dst = htonl(0xc0a84001), sum;
	size_t len;
	uint16_t partial;

	start(fx, ~0ULL);
	memset(payload, 0x5a, sizeof(payload));
	len = build_udp(frame, peer_mac, dev_mac, src, dst, 1000, 2000, payload, sizeof(payload));
	/* What Linux does: the pseudo-header sum in the checksum field. */
	memcpy(ph, &src, 4);
	memcpy(ph + 4, &dst, 4);
	ph[8] = 0;
	ph[9] = 17;
	put16be(ph + 10, (uint16_t)(8 + sizeof(payload)));
	partial = (uint16_t)~net_csum_fold(net_csum_add(0, ph, 12));
	put16be(frame + 34 + 6, partial);
	hdr.csum_start = 34;
	hdr.csum_offset = 6;
	guest_send(fx, &hdr, frame, len);
	assert_int_equal(peer_recv(fx, got, sizeof(got)), len);
	/* A correct UDP checksum sums (with the pseudo-header) to 0xffff. */
	sum = net_csum_add(net_csum_add(0, ph, 12), got + 34, len - 34);
	assert_int_equal(net_csum_fold(sum), 0);
	assert_int_not_equal(get16be(got + 40), 0);

	/* A checksum offset outside the frame is refused, the device keeps going. */
	hdr.csum_start = (uint16_t)(len - 1);
	guest_send(fx, &hdr, frame, len);
	assert_true(peer_recv(fx, got, sizeof(got)) < 0);
	hdr.flags = 0;
	guest_send(fx, &hdr, frame, len);
	assert_int_equal(peer_recv(fx, got, sizeof(got)), len);
}

/* A TSO frame: eth + IPv4 + TCP (with options) + payload. */
static size_t build_tso(uint8_t *f, size_t payload, uint32_t seq)
{
	uint8_t *ip = f + 14, *tcp = ip + 20;
	size_t len = 14 + 20 + 32 + payload;

	memcpy(f, peer_mac, 6);
	memcpy(f + 6, dev_mac, 6);
	put16be(f + 12, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16be(ip + 2, (uint16_t)(len - 14));
	put16be(ip + 4, 0x1000);
	ip[8] = 64;
	ip[9] = 6;
	put16be(ip + 12, 0xc0a8);
	put16be(ip + 14, 0x4002);
	put16be(ip + 16, 0xc0a8);
	put16be(ip + 18, 0x4001);
	memset(tcp, 0, 32);
	put16be(tcp, 40000);
	put16be(tcp + 2, 5201);
	put16be(tcp + 4, (uint16_t)(seq >> 16));
	put16be(tcp + 6, (uint16_t)seq);
	tcp[12] = 8 << 4;      /* 32-byte header */
	tcp[13] = 0x18 | 0x01; /* PSH ACK FIN */
	tcp[20] = 1;	       /* NOP options */
	for (size_t i = 0; i < payload; i++)
		tcp[32 + i] = (uint8_t)(i * 7);
	return len;
}

static void test_tx_tso(void **state)
{
	struct fixture *fx = *state;
	struct virtio_net_hdr_v1 hdr = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
		.hdr_len = 66,
		.gso_size = 1448,
		.csum_start = 34,
		.csum_offset = 16,
	};
	static uint8_t frame[65536], got[2048], payload[65536];
	size_t payload_len = 20000, len = build_tso(frame, payload_len, 0xfffff000), off = 0;
	unsigned int segs = 0;
	ssize_t n;

	start(fx, ~0ULL);
	guest_send(fx, &hdr, frame, len);
	while ((n = peer_recv(fx, got, sizeof(got))) > 0) {
		uint8_t ph[12];
		size_t tcp_len = (size_t)n - 34;

		assert_true(n <= 1514);
		assert_int_equal(get16be(got + 16), n - 14);	    /* IP total length */
		assert_int_equal(get16be(got + 18), 0x1000 + segs); /* IP id */
		assert_int_equal(net_csum_fold(net_csum_add(0, got + 14, 20)), 0);
		memcpy(ph, got + 26, 8);
		ph[8] = 0;
		ph[9] = 6;
		put16be(ph + 10, (uint16_t)tcp_len);
		assert_int_equal(
			net_csum_fold(net_csum_add(net_csum_add(0, ph, 12), got + 34, tcp_len)), 0);
		assert_int_equal(((uint32_t)get16be(got + 38) << 16 | get16be(got + 40)),
				 (uint32_t)(0xfffff000u + off));
		/* FIN and PSH only on the last segment. */
		assert_int_equal(got[47] & 0x09, off + (tcp_len - 32) == payload_len ? 0x09 : 0);
		memcpy(payload + off, got + 66, tcp_len - 32);
		off += tcp_len - 32;
		segs++;
	}
	assert_int_equal(off, payload_len);
	assert_int_equal(segs, (payload_len + 1447) / 1448);
	assert_memory_equal(payload, frame + 66, payload_len);

	/* Broken TSO headers are dropped: an MSS of 0, a UDP frame. */
	hdr.gso_size = 0;
	guest_send(fx, &hdr, frame, len);
	assert_true(peer_recv(fx, got, sizeof(got)) < 0);
	hdr.gso_size = 1448;
	frame[14 + 9] = 17;
	guest_send(fx, &hdr, frame, len);
	assert_true(peer_recv(fx, got, sizeof(got)) < 0);
}

/* Posts n receive buffers of size bytes each. */
static void post_rx(struct fixture *fx, unsigned int n, uint32_t size, uint64_t *gpas)
{
	for (unsigned int i = 0; i < n; i++) {
		struct fbuf b = {galloc(&fx->drv, size), size, true};

		gpas[i] = b.gpa;
		fdrv_add_chain(&fx->drv, 0, &b, 1);
	}
	fdrv_kick(&fx->drv, 0);
	virtio_dev_poll(fx->vdev);
}

struct rx_wait {
	struct fixture *fx;
	unsigned int want;
	uint32_t ids[64], lens[64];
	unsigned int got;
};

static int rx_step(void *opaque, int phase)
{
	struct rx_wait *w = opaque;

	(void)phase;
	while (w->got < 64 && fdrv_get_used(&w->fx->drv, 0, &w->ids[w->got], &w->lens[w->got]))
		w->got++;
	return w->got >= w->want ? -1 : 0;
}

static void test_rx_mergeable(void **state)
{
	struct fixture *fx = *state;
	struct rx_wait w = {.fx = fx};
	uint8_t frame[1000];
	uint64_t gpas[16];
	struct virtio_net_hdr_v1 hdr;
	size_t off = 0;

	start(fx, ~0ULL);
	/* 11 buffers of 100 bytes: 12 + 1000 bytes need all of them. */
	post_rx(fx, 11, 100, gpas);
	for (size_t i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 3);
	memcpy(frame, dev_mac, 6);
	assert_int_equal(send(fx->peer, frame, sizeof(frame), 0), sizeof(frame));
	w.want = 11;
	assert_int_equal(run_loop_steps(fx->vm.loop, rx_step, &w, 3000), -1);
	memcpy(&hdr, gptr(&fx->drv, gpas[0], HDR), HDR);
	assert_int_equal(hdr.num_buffers, 11);
	assert_int_equal(hdr.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	assert_int_equal(hdr.flags & VIRTIO_NET_HDR_F_DATA_VALID, 0); /* not a trusted stack */
	for (unsigned int i = 0; i < 11; i++) {
		uint32_t skip = i == 0 ? HDR : 0;

		assert_int_equal(w.ids[i], i);
		assert_memory_equal(gptr(&fx->drv, gpas[i] + skip, w.lens[i] - skip), frame + off,
				    w.lens[i] - skip);
		off += w.lens[i] - skip;
	}
	assert_int_equal(off, sizeof(frame));
}

struct hold_wait {
	struct rx_wait w;
	int ticks;
	uint64_t gpas[4];
};

static int hold_step(void *opaque, int phase)
{
	struct hold_wait *h = opaque;

	switch (phase) {
	case 0: /* no buffers yet: nothing may be used, nothing is lost */
		rx_step(&h->w, 0);
		assert_int_equal(h->w.got, 0);
		return ++h->ticks < 40 ? 0 : 1;
	case 1:
		post_rx(h->w.fx, 2, 2048, h->gpas);
		return 2;
	default:
		return rx_step(&h->w, 0) < 0 ? -1 : 2;
	}
}

static void test_rx_waits_for_buffers(void **state)
{
	struct fixture *fx = *state;
	struct hold_wait h = {.w = {.fx = fx, .want = 2}};
	uint8_t frame[200] = {0}, frame2[300] = {0};

	start(fx, ~0ULL);
	memcpy(frame, dev_mac, 6);
	frame[100] = 1;
	frame2[100] = 2;
	assert_int_equal(send(fx->peer, frame, sizeof(frame), 0), sizeof(frame));
	assert_int_equal(send(fx->peer, frame2, sizeof(frame2), 0), sizeof(frame2));
	assert_int_equal(run_loop_steps(fx->vm.loop, hold_step, &h, 3000), -1);
	/* Both frames, in order, once the guest posted buffers. */
	assert_int_equal(h.w.lens[0], HDR + sizeof(frame));
	assert_int_equal(h.w.lens[1], HDR + sizeof(frame2));
	assert_int_equal(*(uint8_t *)gptr(&fx->drv, h.gpas[0] + HDR + 100, 1), 1);
	assert_int_equal(*(uint8_t *)gptr(&fx->drv, h.gpas[1] + HDR + 100, 1), 2);
}

/* A DHCP message (op 1 request, 2 reply) from 68 to 67 or back, broadcast. */
static size_t dhcp_frame(uint8_t *frame, uint8_t op, uint8_t type, const uint8_t chaddr[6],
			 uint32_t xid, const char *yiaddr)
{
	uint8_t bootp[300];
	uint32_t yi = 0, src = 0, bc = 0xffffffff;

	if (yiaddr)
		inet_pton(AF_INET, yiaddr, &yi);
	if (op == 2)
		inet_pton(AF_INET, "192.168.64.1", &src);
	build_bootp(bootp, op, type, chaddr, yi, xid);
	if (op == 2)
		return build_udp(frame, dev_mac, peer_mac, src, bc, 67, 68, bootp, sizeof(bootp));
	return build_udp(frame, peer_mac, dev_mac, src, bc, 68, 67, bootp, sizeof(bootp));
}

/* The guest transmits one frame; the network receives it. */
static void guest_transmit(struct fixture *fx, const uint8_t *frame, size_t len)
{
	struct virtio_net_hdr_v1 hdr = {0};
	uint8_t got[2048];

	guest_send(fx, &hdr, frame, len);
	assert_int_equal(peer_recv(fx, got, sizeof(got)), (ssize_t)len);
}

/* One DHCP message of a scripted exchange, and who sends it. */
struct dhcp_msg_step {
	bool by_guest;
	uint8_t op, type;
	const uint8_t *chaddr;
	uint32_t xid;
	const char *yiaddr;
};

struct dhcp_script {
	struct fixture *fx;
	const struct dhcp_msg_step *steps;
	int n;
	bool delivering; /* a frame from the network waits for its buffer */
};

/*
 * Phase i plays step i: the guest's frames are transmitted at once, the
 * network's are delivered into a fresh receive buffer (loop_quit is final,
 * so the whole exchange runs in one loop run).
 */
static int dhcp_script_step(void *opaque, int phase)
{
	struct dhcp_script *sc = opaque;
	const struct dhcp_msg_step *m = &sc->steps[phase];
	uint8_t frame[400];
	uint32_t id, len;
	uint64_t gpa;
	size_t flen;

	if (phase == sc->n)
		return -1;
	if (sc->delivering) {
		if (!fdrv_get_used(&sc->fx->drv, 0, &id, &len))
			return phase;
		sc->delivering = false;
		return phase + 1;
	}
	flen = dhcp_frame(frame, m->op, m->type, m->chaddr, m->xid, m->yiaddr);
	if (m->by_guest) {
		guest_transmit(sc->fx, frame, flen);
		return phase + 1;
	}
	post_rx(sc->fx, 1, 2048, &gpa);
	assert_int_equal(send(sc->fx->peer, frame, flen, 0), (ssize_t)flen);
	sc->delivering = true;
	return phase;
}

static void run_dhcp_script(struct fixture *fx, const struct dhcp_msg_step *steps, int n)
{
	struct dhcp_script sc = {.fx = fx, .steps = steps, .n = n};

	start(fx, ~0ULL);
	assert_int_equal(run_loop_steps(fx->vm.loop, dhcp_script_step, &sc, 5000), -1);
}

/* A DHCPACK for the guest's own DHCPREQUEST publishes the address. */
static void test_dhcp_lease(void **state)
{
	struct fixture *fx = *state;
	static const struct dhcp_msg_step steps[] = {
		{true, 1, 3, dev_mac, 0x1234, NULL},
		{false, 2, 5, dev_mac, 0x1234, "192.168.64.7"},
	};

	run_dhcp_script(fx, steps, 2);
	config_runtime_lock();
	assert_non_null(fx->dev.net.lease_ip);
	assert_string_equal(fx->dev.net.lease_ip, "192.168.64.7");
	config_runtime_unlock();
}

/*
 * Forged DHCPACKs publish nothing: unsolicited, for another transaction,
 * for another MAC (even one the guest asked for), an OFFER, or sent by the
 * guest itself.
 */
static void test_dhcp_forged_acks_ignored(void **state)
{
	struct fixture *fx = *state;
	static const uint8_t other_mac[6] = {0x52, 0x54, 0x00, 0x66, 0x66, 0x66};
	static const struct dhcp_msg_step steps[] = {
		{false, 2, 5, dev_mac, 0x1111, "10.6.6.6"},
		{true, 1, 1, other_mac, 0x2222, NULL},
		{false, 2, 5, other_mac, 0x2222, "10.6.6.7"},
		{true, 2, 5, dev_mac, 0x3333, "10.6.6.8"},
		{true, 1, 3, dev_mac, 0x4444, NULL},
		{false, 2, 5, dev_mac, 0x4445, "10.6.6.9"},
		{false, 2, 5, other_mac, 0x4444, "10.6.6.10"},
		{false, 2, 2, dev_mac, 0x4444, "10.6.6.11"},
	};

	run_dhcp_script(fx, steps, (int)(sizeof(steps) / sizeof(steps[0])));
	config_runtime_lock();
	assert_null(fx->dev.net.lease_ip);
	config_runtime_unlock();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config_space, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_mac, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_plain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_csum, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_tso, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_mergeable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_waits_for_buffers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dhcp_lease, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dhcp_forged_acks_ignored, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
