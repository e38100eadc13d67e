// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzzes the virtio-blk request path: each input is a list of requests
 * (raw 16-byte header, data length and layout, discard segments from the
 * data) submitted through a well-formed ring against a 1 MiB image. Every
 * request must complete with a status or put the device in NEEDS_RESET;
 * the image must keep its size.
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>

#include "../../unit/virtio/fake_vm.h"
#include "config/config.h"
#include "virtio/blk.h"
#include "virtio/testing.h"

#define IMG_SIZE (1u << 20)
#define MAX_DATA 16384u

static struct vm vm;
static struct vm_config cfg;
static struct device_config dev;
static struct fdrv drv;
static struct virtio_dev *vdev;
static char path[64];

static void remove_image(void)
{
	unlink(path);
}

static bool setup(void)
{
	int fd;

	strcpy(path, "/tmp/vfkit-fuzzblk-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || ftruncate(fd, IMG_SIZE) < 0)
		return false;
	close(fd);
	atexit(remove_image);
	fake_vm_init(&vm, &cfg);
	dev.kind = DEV_VIRTIO_BLK;
	dev.disk.path = path;
	dev.disk.device_id = "fuzz";
	if (virtio_blk_create(&vm, &dev) < 0)
		return false;
	vdev = virtio_pci_dev_at(&vm, 1);
	return vdev && fdrv_probe(&drv, &vm, 1) == 0;
}

static void drain(void)
{
	uint32_t id, len;

	fdrv_kick(&drv, 0);
	virtio_dev_poll(vdev);
	/* Wait for everything in flight, so no request outlives the input. */
	for (int i = 0; i < 64; i++) {
		virtio_blk_poll(vdev, true);
		while (fdrv_get_used(&drv, 0, &id, &len))
			;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	unsigned int queued = 0;
	struct stat st;

	if (!ready) {
		if (!setup())
			abort();
		ready = true;
	}
	drv.next_gpa = 1ULL << 20;
	if ((fdrv_init(&drv, ~0ULL, 1, 64) & 0x4f) != 0xf)
		abort();
	/* Record: 16 header bytes, 2 bytes data length, 1 byte layout. */
	while (size >= 19 && queued < 16) {
		uint64_t hdr = galloc(&drv, 16), status = galloc(&drv, 1), buf;
		uint32_t len = (data[16] | data[17] << 8) % (MAX_DATA + 1);
		uint8_t layout = data[18];
		struct fbuf b[4];
		unsigned int n = 0;

		memcpy(gptr(&drv, hdr, 16), data, 16);
		data += 19, size -= 19;
		buf = galloc(&drv, len ? len : 1);
		if (len) {
			size_t fill = size < len ? size : len;

			memcpy(gptr(&drv, buf, len), data, fill);
		}
		b[n++] = (struct fbuf){hdr, (layout & 1) ? 8 : 16, false};
		if (layout & 1)
			b[n++] = (struct fbuf){hdr + 8, 8, false};
		if (len && (layout & 6) && len > 1) {
			b[n++] = (struct fbuf){buf, len / 2, layout & 2};
			b[n++] = (struct fbuf){buf + len / 2, len - len / 2, layout & 2};
		} else if (len) {
			b[n++] = (struct fbuf){buf, len, layout & 2};
		}
		if (!(layout & 8) && n < 4)
			b[n++] = (struct fbuf){status, 1, true};
		fdrv_add_chain(&drv, 0, b, n);
		queued++;
	}
	drain();
	if (stat(path, &st) < 0 || st.st_size != IMG_SIZE)
		abort();
	return 0;
}
