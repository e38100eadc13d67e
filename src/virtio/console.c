// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-console with a single port and no MULTIPORT: queue 0 carries host
 * input to the guest, queue 1 the guest's output. Output goes straight to
 * the chardev (which never blocks); input that finds no guest buffer is held
 * in a small buffer and the chardev is told to stop reading until the guest
 * posts more buffers.
 */
#include <errno.h>
#include <linux/virtio_console.h>
#include <stdlib.h>
#include <string.h>

#include "backends/chardev.h"
#include "util/log.h"
#include "virtio/console.h"
#include "virtio/virtio.h"
#include "vmm/vm.h"

#define RX_QUEUE   0
#define TX_QUEUE   1
#define RX_PENDING 4096

struct virtio_console {
	struct virtio_dev vdev;
	struct chardev *chr;
	struct virtio_console_config config;
	struct virtq_chain chain;
	uint8_t pending[RX_PENDING];
	size_t npending;
	bool input_stopped;
};

/* Moves held input into guest buffers. Called with the device lock held. */
static void flush_input(struct virtio_console *con)
{
	struct virtq *vq = virtio_dev_queue(&con->vdev, RX_QUEUE);
	size_t off = 0;
	unsigned int served = 0;

	while (off < con->npending && virtq_pop(vq, &con->chain) == 1) {
		size_t n =
			virtq_chain_write(&con->chain, 0, con->pending + off, con->npending - off);

		virtq_push(vq, &con->chain, (uint32_t)n);
		off += n;
		/* Buffers without writable room take nothing: the count bounds us, not the bytes.
		 */
		if (off < con->npending && virtq_batch_spent(vq, &served))
			break;
	}
	if (off) {
		memmove(con->pending, con->pending + off, con->npending - off);
		con->npending -= off;
		virtq_notify(vq);
	}
	if (con->npending == 0 && con->input_stopped) {
		con->input_stopped = false;
		chardev_accept_input(con->chr, true);
	} else if (con->npending == RX_PENDING && !con->input_stopped) {
		con->input_stopped = true;
		chardev_accept_input(con->chr, false);
	}
}

static void on_input(void *opaque, const void *buf, size_t len)
{
	struct virtio_console *con = opaque;
	size_t room;

	virtio_dev_lock(&con->vdev);
	room = RX_PENDING - con->npending;
	/* Input beyond the hold buffer is dropped, as a UART overrun would. */
	if (len > room)
		len = room;
	memcpy(con->pending + con->npending, buf, len);
	con->npending += len;
	flush_input(con);
	if (con->npending && !con->input_stopped) {
		con->input_stopped = true;
		chardev_accept_input(con->chr, false);
	}
	virtio_dev_unlock(&con->vdev);
}

static void drain_output(struct virtio_console *con)
{
	struct virtq *vq = virtio_dev_queue(&con->vdev, TX_QUEUE);
	unsigned int served = 0;

	while (virtq_pop(vq, &con->chain) == 1) {
		for (unsigned int i = 0; i < con->chain.nout; i++)
			chardev_write(con->chr, con->chain.iov[i].iov_base,
				      con->chain.iov[i].iov_len);
		virtq_push(vq, &con->chain, 0);
		if (virtq_batch_spent(vq, &served))
			break;
	}
	virtq_notify(vq);
}

static void console_queue_notify(struct virtio_dev *dev, unsigned int qidx)
{
	struct virtio_console *con = dev->opaque;

	if (qidx == TX_QUEUE)
		drain_output(con);
	else
		flush_input(con);
}

static void console_activate(struct virtio_dev *dev)
{
	flush_input(dev->opaque);
}

static void console_config_read(struct virtio_dev *dev, uint32_t offset, void *data, uint32_t len)
{
	struct virtio_console *con = dev->opaque;

	memcpy(data, (uint8_t *)&con->config + offset, len);
}

static void console_destroy(struct virtio_dev *dev)
{
	struct virtio_console *con = dev->opaque;

	chardev_set_input(con->chr, NULL, NULL);
	if (dev->vm->console == con->chr)
		dev->vm->console = NULL;
	chardev_close(con->chr);
	free(con);
}

static const struct virtio_device_ops console_ops = {
	.name = "virtio-serial",
	.device_id = VIRTIO_ID_CONSOLE,
	.config_size = sizeof(struct virtio_console_config),
	.pci_class = 0x078000, /* simple communication controller, other */
	.config_read = console_config_read,
	.queue_notify = console_queue_notify,
	.activate = console_activate,
	.destroy = console_destroy,
};

static void log_adding(const struct serial_config *s)
{
	if (s->mode == SERIAL_LOGFILE)
		log_info("Adding virtio-serial device (logFile: %s)", s->log_file_path);
	else if (s->mode == SERIAL_STDIO)
		log_info("Adding stdio console");
}

int virtio_console_create(struct vm *vm, struct device_config *cfg)
{
	struct virtio_console *con = calloc(1, sizeof(*con));
	int ret;

	if (!con)
		return -ENOMEM;
	log_adding(&cfg->serial);
	con->chr = chardev_open(vm, &cfg->serial);
	if (!con->chr) {
		free(con);
		return -EIO;
	}
	con->vdev.ops = &console_ops;
	con->vdev.opaque = con;
	con->vdev.num_queues = 2;
	con->vdev.queue_size = 64;
	ret = virtio_dev_register(vm, &con->vdev);
	if (ret < 0) {
		chardev_close(con->chr);
		free(con);
		return ret;
	}
	chardev_set_input(con->chr, on_input, con);
	if (!vm->console)
		vm->console = con->chr;
	return 0;
}
