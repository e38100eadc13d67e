// SPDX-License-Identifier: Apache-2.0
/* virtio-console (with a fake chardev) and virtio-rng through the fake driver. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "backends/chardev.h"
#include "fake_vm.h"
#include "virtio/console.h"
#include "virtio/rng.h"
#include "virtio/testing.h"
#include "virtio/virtio.h"
#include "vmm/loop.h"

/* Called for every chardev_write: lets a test act as a driver while the device works. */
static void (*on_chardev_write)(void);

/* --- a chardev that records output and lets the test inject input --- */
struct chardev {
	char out[8192];
	size_t nout;
	chardev_input_fn input;
	void *opaque;
	bool accepting;
	bool closed;
};

static struct chardev fake_chr[4];
static int nchr;

struct chardev *chardev_open(struct vm *vm, struct serial_config *cfg)
{
	(void)vm;
	if (cfg->mode == SERIAL_LOGFILE && !cfg->log_file_path)
		return NULL;
	memset(&fake_chr[nchr], 0, sizeof(fake_chr[0]));
	fake_chr[nchr].accepting = true;
	return &fake_chr[nchr++];
}

void chardev_close(struct chardev *chr)
{
	chr->closed = true;
}

size_t chardev_write(struct chardev *chr, const void *buf, size_t len)
{
	size_t n = len < sizeof(chr->out) - chr->nout ? len : sizeof(chr->out) - chr->nout;

	memcpy(chr->out + chr->nout, buf, n);
	chr->nout += n;
	if (on_chardev_write)
		on_chardev_write();
	return len;
}

void chardev_set_input(struct chardev *chr, chardev_input_fn fn, void *opaque)
{
	chr->input = fn;
	chr->opaque = opaque;
}

void chardev_accept_input(struct chardev *chr, bool accept)
{
	chr->accepting = accept;
}

struct fixture {
	struct vm vm;
	struct vm_config cfg;
	struct device_config dev[3];
	struct fdrv drv;
};

static int setup(void **state)
{
	static struct fixture fx;

	memset(&fx, 0, sizeof(fx));
	nchr = 0;
	on_chardev_write = NULL;
	fake_vm_init(&fx.vm, &fx.cfg);
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	fake_vm_free(&fx->vm);
	loop_free(fx->vm.loop);
	return 0;
}

static int add_console(struct fixture *fx, int i)
{
	fx->dev[i].kind = DEV_VIRTIO_SERIAL;
	fx->dev[i].serial.mode = SERIAL_LOGFILE;
	fx->dev[i].serial.log_file_path = "/dev/null";
	return virtio_console_create(&fx->vm, &fx->dev[i]);
}

static void test_console_output(void **state)
{
	struct fixture *fx = *state;
	struct fdrv *d = &fx->drv;
	struct virtio_dev *dev;
	uint64_t a, b;
	struct fbuf bufs[2];
	uint32_t id, len;

	assert_int_equal(add_console(fx, 0), 0);
	assert_ptr_equal(fx->vm.console, &fake_chr[0]);
	dev = virtio_pci_dev_at(&fx->vm, 1);
	assert_non_null(dev);
	assert_int_equal(fdrv_probe(d, &fx->vm, 1), 0);
	assert_int_equal(fdrv_init(d, ~0ULL, 2, 16) & 0xf, 0xf);
	a = galloc(d, 6);
	b = galloc(d, 7);
	memcpy(gptr(d, a, 6), "hello ", 6);
	memcpy(gptr(d, b, 7), "world\n", 7);
	bufs[0] = (struct fbuf){a, 6, false};
	bufs[1] = (struct fbuf){b, 6, false};
	fdrv_add_chain(d, 1, bufs, 2);
	fdrv_kick(d, 1);
	virtio_dev_poll(dev);
	assert_int_equal(fake_chr[0].nout, 12);
	assert_memory_equal(fake_chr[0].out, "hello world\n", 12);
	assert_int_equal(fdrv_get_used(d, 1, &id, &len), 1);
	assert_int_equal(len, 0);
}

static void test_console_input_flow_control(void **state)
{
	struct fixture *fx = *state;
	struct fdrv *d = &fx->drv;
	struct chardev *chr;
	struct virtio_dev *dev;
	uint64_t rx;
	struct fbuf buf;
	uint32_t id, len;

	assert_int_equal(add_console(fx, 0), 0);
	chr = &fake_chr[0];
	dev = virtio_pci_dev_at(&fx->vm, 1);
	assert_int_equal(fdrv_probe(d, &fx->vm, 1), 0);
	/* Input before the driver is ready is held, and reading stops. */
	chr->input(chr->opaque, "early", 5);
	assert_false(chr->accepting);
	assert_int_equal(fdrv_init(d, ~0ULL, 2, 16) & 0xf, 0xf);
	rx = galloc(d, 3);
	buf = (struct fbuf){rx, 3, true};
	fdrv_add_chain(d, 0, &buf, 1);
	fdrv_kick(d, 0);
	virtio_dev_poll(dev);
	assert_int_equal(fdrv_get_used(d, 0, &id, &len), 1);
	assert_int_equal(len, 3);
	assert_memory_equal(gptr(d, rx, 3), "ear", 3);
	assert_false(chr->accepting); /* "ly" still waits */
	fdrv_add_chain(d, 0, &buf, 1);
	fdrv_kick(d, 0);
	virtio_dev_poll(dev);
	assert_int_equal(fdrv_get_used(d, 0, &id, &len), 1);
	assert_int_equal(len, 2);
	assert_memory_equal(gptr(d, rx, 2), "ly", 2);
	assert_true(chr->accepting);
	/* With a buffer posted, input goes straight in. */
	fdrv_add_chain(d, 0, &buf, 1);
	fdrv_kick(d, 0);
	virtio_dev_poll(dev);
	chr->input(chr->opaque, "ok", 2);
	assert_int_equal(fdrv_get_used(d, 0, &id, &len), 1);
	assert_int_equal(len, 2);
	assert_true(chr->accepting);
}

static void test_several_consoles(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(add_console(fx, 0), 0);
	assert_int_equal(add_console(fx, 1), 0);
	/* The first one stays the VM console; each is its own PCI function. */
	assert_ptr_equal(fx->vm.console, &fake_chr[0]);
	assert_non_null(virtio_pci_dev_at(&fx->vm, 1));
	assert_non_null(virtio_pci_dev_at(&fx->vm, 2));
	assert_int_equal(pci_cfg_rd(&fx->vm, 2, 2, 2), 0x1043);
}

static void test_console_open_failure(void **state)
{
	struct fixture *fx = *state;

	fx->dev[0].kind = DEV_VIRTIO_SERIAL;
	fx->dev[0].serial.mode = SERIAL_LOGFILE;
	assert_true(virtio_console_create(&fx->vm, &fx->dev[0]) < 0);
	assert_null(fx->vm.console);
	assert_null(virtio_pci_dev_at(&fx->vm, 1));
}

static void test_rng_fills_buffers(void **state)
{
	struct fixture *fx = *state;
	struct fdrv *d = &fx->drv;
	struct device_config dev = {.kind = DEV_VIRTIO_RNG};
	struct virtio_dev *vdev;
	uint64_t a, b;
	struct fbuf bufs[2];
	uint32_t id, len;
	uint8_t *p;
	int nonzero = 0;

	assert_int_equal(virtio_rng_create(&fx->vm, &dev), 0);
	vdev = virtio_pci_dev_at(&fx->vm, 1);
	assert_int_equal(pci_cfg_rd(&fx->vm, 1, 2, 2), 0x1044);
	assert_int_equal(fdrv_probe(d, &fx->vm, 1), 0);
	assert_int_equal(fdrv_init(d, ~0ULL, 1, 16) & 0xf, 0xf);
	a = galloc(d, 64);
	b = galloc(d, 200);
	memset(gptr(d, a, 64), 0, 64);
	memset(gptr(d, b, 200), 0, 200);
	bufs[0] = (struct fbuf){a, 64, true};
	bufs[1] = (struct fbuf){b, 200, true};
	fdrv_add_chain(d, 0, bufs, 2);
	fdrv_kick(d, 0);
	virtio_dev_poll(vdev);
	assert_int_equal(fdrv_get_used(d, 0, &id, &len), 1);
	assert_int_equal(len, 264);
	p = gptr(d, b, 200);
	for (int i = 0; i < 200; i++)
		nonzero += p[i] != 0;
	assert_true(nonzero > 150);
	/* A read-only buffer gets nothing (and no crash). */
	bufs[0].write = false;
	fdrv_add_chain(d, 0, bufs, 1);
	fdrv_kick(d, 0);
	virtio_dev_poll(vdev);
	assert_int_equal(fdrv_get_used(d, 0, &id, &len), 1);
	assert_int_equal(len, 0);
}

/* --- a guest that refills its ring as fast as the device drains it --- */

#define TXQ 1

static struct {
	struct fdrv *d;
	unsigned int consumed;	   /* chains the device wrote out */
	unsigned int refills_left; /* how long the guest keeps going */
	unsigned int offered;
	int signal_fd; /* written once consumed reaches signal_at */
	unsigned int signal_at;
	unsigned int consumed_at_signal;
	struct loop *loop;
} guest;

/* Each consumed chain makes the guest offer the other of two one-byte chains. */
static void guest_refill(void)
{
	uint64_t one = 1;

	guest.consumed++;
	if (guest.refills_left) {
		guest.refills_left--;
		fdrv_push_avail(guest.d, TXQ, guest.consumed % 2);
		guest.offered++;
	}
	if (guest.consumed == guest.signal_at)
		assert_int_equal(write(guest.signal_fd, &one, sizeof(one)), sizeof(one));
}

static struct virtio_dev *start_endless_tx(struct fixture *fx, unsigned int refills)
{
	struct fdrv *d = &fx->drv;
	uint64_t x = galloc(d, 1);

	assert_int_equal(add_console(fx, 0), 0);
	assert_int_equal(fdrv_probe(d, &fx->vm, 1), 0);
	assert_int_equal(fdrv_init(d, ~0ULL, 2, 16) & 0xf, 0xf);
	memcpy(gptr(d, x, 1), "x", 1);
	fdrv_set_desc(d, TXQ, 0, x, 1, 0, 0);
	fdrv_set_desc(d, TXQ, 1, x, 1, 0, 0);
	memset(&guest, 0, sizeof(guest));
	guest.d = d;
	guest.refills_left = refills;
	guest.signal_fd = -1;
	on_chardev_write = guest_refill;
	fdrv_push_avail(d, TXQ, 0);
	guest.offered = 1;
	fdrv_kick(d, TXQ);
	return virtio_pci_dev_at(&fx->vm, 1);
}

/* Polls (each poll runs only queues whose kick eventfd is signalled) until all is used. */
static void expect_all_completed(struct fixture *fx, struct virtio_dev *dev)
{
	unsigned int used = 0, polls = 0;
	uint32_t id, len;

	while (guest.consumed < guest.offered && polls++ < guest.offered)
		virtio_dev_poll(dev);
	while (fdrv_get_used(&fx->drv, TXQ, &id, &len) == 1)
		used++;
	assert_int_equal(guest.consumed, guest.offered);
	assert_int_equal(used, guest.offered);
	assert_false(fdrv_status(&fx->drv) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

/* Before the budget, one kick made the device write 1001 chains without returning. */
static void test_console_tx_yields_after_budget(void **state)
{
	struct fixture *fx = *state;
	struct virtio_dev *dev = start_endless_tx(fx, 1000);

	virtio_dev_poll(dev);
	assert_int_equal(guest.consumed, VIRTQ_BATCH);
	/* The handler rescheduled itself: the next poll goes on without a kick. */
	virtio_dev_poll(dev);
	assert_int_equal(guest.consumed, 2 * VIRTQ_BATCH);
	expect_all_completed(fx, dev);
	assert_int_equal(guest.offered, 1001);
}

static void on_signal(void *opaque, uint32_t events)
{
	uint64_t n;

	(void)opaque, (void)events;
	assert_int_equal(read(guest.signal_fd, &n, sizeof(n)), sizeof(n));
	guest.consumed_at_signal = guest.consumed;
	guest.refills_left = 0; /* SIGTERM: the guest goes away */
	loop_quit(guest.loop);
}

/*
 * A signal that arrives while the guest keeps the console busy is handled
 * within a batch or two; before, only once the guest stopped on its own.
 */
static void test_console_tx_lets_loop_run(void **state)
{
	struct fixture *fx = *state;
	struct virtio_dev *dev;
	int sfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	assert_true(sfd >= 0);
	fx->vm.loop = loop_new();
	assert_non_null(fx->vm.loop);
	assert_int_equal(loop_add(fx->vm.loop, sfd, EPOLLIN, on_signal, NULL), 0);
	dev = start_endless_tx(fx, 100000);
	guest.loop = fx->vm.loop;
	guest.signal_fd = sfd;
	guest.signal_at = 10;
	loop_run(fx->vm.loop);
	assert_true(guest.consumed_at_signal >= 10);
	assert_true(guest.consumed_at_signal <= 2 * VIRTQ_BATCH);
	expect_all_completed(fx, dev);
	loop_remove(fx->vm.loop, sfd);
	close(sfd);
}

/* A full ring is served one batch per turn of the loop, and nothing is lost. */
static void test_rng_serves_full_ring_in_batches(void **state)
{
	struct fixture *fx = *state;
	struct fdrv *d = &fx->drv;
	struct device_config dev = {.kind = DEV_VIRTIO_RNG};
	struct virtio_dev *vdev;
	uint64_t buf;
	unsigned int used = 0;
	uint32_t id, len;

	assert_int_equal(virtio_rng_create(&fx->vm, &dev), 0);
	vdev = virtio_pci_dev_at(&fx->vm, 1);
	assert_int_equal(fdrv_probe(d, &fx->vm, 1), 0);
	assert_int_equal(fdrv_init(d, ~0ULL, 1, 64) & 0xf, 0xf);
	buf = galloc(d, 64 * 8);
	for (uint16_t i = 0; i < 64; i++) {
		fdrv_set_desc(d, 0, i, buf + 8 * i, 8, VRING_DESC_F_WRITE, 0);
		fdrv_push_avail(d, 0, i);
	}
	fdrv_kick(d, 0);
	virtio_dev_poll(vdev);
	while (fdrv_get_used(d, 0, &id, &len) == 1)
		used++;
	assert_int_equal(used, VIRTQ_BATCH);
	virtio_dev_poll(vdev);
	while (fdrv_get_used(d, 0, &id, &len) == 1) {
		assert_int_equal(len, 8);
		used++;
	}
	assert_int_equal(used, 64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_console_output, setup, teardown),
		cmocka_unit_test_setup_teardown(test_console_input_flow_control, setup, teardown),
		cmocka_unit_test_setup_teardown(test_several_consoles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_console_open_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rng_fills_buffers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_console_tx_yields_after_budget, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_console_tx_lets_loop_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rng_serves_full_ring_in_batches, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
