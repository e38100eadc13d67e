// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzzes the virtio-net device glue (virtio/net.c): transmit chains of any
 * layout with any virtio-net header (checksum and TSO offload), receive
 * buffers of any size with or without mergeable buffers, and frames from
 * the network into them. The backend is a stand-in defined here, so the
 * device's promises to it are checked directly: every frame it is handed
 * fits the backend's max_frame and is at least an Ethernet header long.
 *
 * Input: byte 0 picks features and backend limits, then records of one op
 * byte: 0 transmit (12-byte header, 16-bit length, layout byte, data),
 * 1 post receive buffers (count, 16-bit size), 2 a frame from the network
 * (16-bit length, data), 3 the backend is full / free again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include "../../unit/virtio/fake_vm.h"
#include "backends/net.h"
#include "config/config.h"
#include "virtio/net.h"
#include "virtio/testing.h"
#include "virtio/virtio.h"
#include "vmm/loop.h"

#define MAX_RECORDS 32
#define MAX_TX	    (65535 + 18 + 12 + 16)

/* --- the stand-in backend --- */

static struct net_backend fake_be;
static struct net_backend_info fake_info = {.kind = "fuzz", .mtu = 1500};
static const struct net_backend_cb *dev_cb;
static void *dev_opaque;
static bool backend_full;

int net_backend_open(struct loop *loop, struct net_config *cfg, const uint8_t mac[6],
		     const struct net_backend_cb *cb, void *opaque, struct net_backend **out)
{
	(void)loop;
	(void)cfg;
	(void)mac;
	dev_cb = cb;
	dev_opaque = opaque;
	*out = &fake_be;
	return 0;
}

void net_backend_close(struct net_backend *be)
{
	(void)be;
}

const struct net_backend_info *net_backend_info(const struct net_backend *be)
{
	(void)be;
	return &fake_info;
}

int net_backend_send(struct net_backend *be, const uint8_t *frame, size_t len)
{
	volatile uint8_t sink = 0;

	(void)be;
	if (len < NET_ETH_HLEN || len > fake_info.max_frame)
		__builtin_trap();
	if (backend_full)
		return -EAGAIN;
	for (size_t i = 0; i < len; i++)
		sink ^= frame[i]; /* ASan checks the whole range is readable */
	(void)sink;
	return 0;
}

void net_backend_flush(struct net_backend *be)
{
	(void)be;
}

void net_backend_rx_resume(struct net_backend *be)
{
	(void)be;
}

void net_format_mac(char *buf, const uint8_t mac[6])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

/* Without vmm/vm.c: the device's exit handler is never needed here. */
int vm_at_exit(struct vm *vm, vm_exit_fn fn, void *opaque)
{
	(void)vm;
	(void)fn;
	(void)opaque;
	return 0;
}

/* --- the fake guest --- */

static struct vm vm;
static struct loop *base_loop; /* where the device registered its queue fds */
static struct vm_config cfg;
static struct device_config dev;
static struct fdrv drv;
static struct virtio_dev *vdev;

static bool setup(void)
{
	fake_vm_init(&vm, &cfg);
	vm.loop = base_loop = loop_new();
	dev.kind = DEV_VIRTIO_NET;
	dev.net.attachment = NET_FD;
	dev.net.has_mac = true;
	memcpy(dev.net.mac, "\x52\x54\x00\x12\x34\x56", 6);
	if (!vm.loop || virtio_net_create(&vm, &dev) < 0)
		return false;
	vdev = virtio_pci_dev_at(&vm, 1);
	return vdev && fdrv_probe(&drv, &vm, 1) == 0;
}

struct input {
	const uint8_t *p;
	size_t left;
};

static bool take(struct input *in, void *out, size_t n)
{
	if (in->left < n)
		return false;
	memcpy(out, in->p, n);
	in->p += n;
	in->left -= n;
	return true;
}

static uint16_t take16(struct input *in)
{
	uint8_t b[2] = {0};

	take(in, b, 2);
	return (uint16_t)(b[0] | b[1] << 8);
}

/* Copies up to len input bytes to gpa; the rest stays as it was. */
static void fill(struct input *in, uint64_t gpa, size_t len)
{
	size_t n = in->left < len ? in->left : len;

	memcpy(gptr(&drv, gpa, len), in->p, n);
	in->p += n;
	in->left -= n;
}

/* Header and frame in up to 4 descriptors, some writable when layout says so. */
static void transmit(struct input *in)
{
	uint8_t hdr[12] = {0}, layout = 0;
	uint32_t len;
	uint64_t buf;
	struct fbuf b[4];
	unsigned int n = 0, pieces;

	take(in, hdr, sizeof(hdr));
	len = take16(in) % (MAX_TX - 12 + 1);
	take(in, &layout, 1);
	buf = galloc(&drv, 12 + len);
	memcpy(gptr(&drv, buf, 12), hdr, 12);
	fill(in, buf + 12, len);
	pieces = 1 + (layout & 3);
	for (uint32_t off = 0, total = 12 + len; n < pieces && off < total; n++) {
		uint32_t part = n + 1 == pieces ? total - off : (total - off) / 2 + (layout >> 4);

		if (part > total - off)
			part = total - off;
		b[n] = (struct fbuf){buf + off, part, (layout & 4) && n == pieces - 1};
		off += part;
	}
	fdrv_add_chain(&drv, 1, b, n);
	fdrv_kick(&drv, 1);
	virtio_dev_poll(vdev);
}

static void post_rx(struct input *in)
{
	uint8_t count = 0;
	uint32_t size;

	take(in, &count, 1);
	size = take16(in) % 4097u;
	for (unsigned int i = 0; i < 1u + (count & 7); i++) {
		struct fbuf b = {galloc(&drv, size ? size : 1), size, !(count & 0x80)};

		fdrv_add_chain(&drv, 0, &b, 1);
	}
	fdrv_kick(&drv, 0);
	virtio_dev_poll(vdev);
}

static void deliver(struct input *in)
{
	static uint8_t frame[NET_MAX_FRAME_TSO];
	size_t len = take16(in) % (sizeof(frame) + 1);
	size_t n = in->left < len ? in->left : len;

	memcpy(frame, in->p, n);
	in->p += n;
	in->left -= n;
	if (len >= NET_ETH_HLEN) /* backends never deliver runts */
		(void)dev_cb->rx(dev_opaque, frame, len);
}

static void quit_call(void *opaque)
{
	loop_quit(opaque);
}

/*
 * The device defers work with loop_call() (receive resumes, transmit
 * batches). Each input gets a loop of its own that runs that work at the
 * end and is freed, so nothing outlives the input.
 */
static void input_loop_begin(void)
{
	vm.loop = loop_new();
	if (!vm.loop)
		abort();
}

static void input_loop_end(void)
{
	if (loop_call(vm.loop, quit_call, vm.loop) == 0)
		loop_run(vm.loop);
	loop_free(vm.loop);
	vm.loop = base_loop;
}

static void reap(void)
{
	uint32_t id, len;

	for (unsigned int q = 0; q < 2; q++)
		while (fdrv_get_used(&drv, q, &id, &len))
			;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct input in = {data, size};
	uint8_t mode = 0, op;
	uint64_t want = ~0ULL;

	if (!ready) {
		if (!setup())
			abort();
		ready = true;
	}
	take(&in, &mode, 1);
	fake_info.max_frame = (mode & 1) ? NET_MAX_FRAME_TSO : NET_MAX_FRAME_STD;
	fake_info.trusted_csum = mode & 2;
	if (mode & 4)
		want &= ~(1ULL << VIRTIO_NET_F_MRG_RXBUF);
	if (mode & 8)
		want &= ~((1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_CSUM));
	backend_full = false;
	drv.next_gpa = 1ULL << 20;
	input_loop_begin();
	if ((fdrv_init(&drv, want, 2, 64) & 0xf) != 0xf) {
		input_loop_end();
		return 0;
	}
	for (unsigned int r = 0; r < MAX_RECORDS && take(&in, &op, 1); r++) {
		switch (op % 4) {
		case 0:
			transmit(&in);
			break;
		case 1:
			post_rx(&in);
			break;
		case 2:
			deliver(&in);
			break;
		default:
			backend_full = !backend_full;
			if (!backend_full)
				dev_cb->tx_resume(dev_opaque);
			break;
		}
		reap();
	}
	input_loop_end();
	reap();
	return 0;
}
