/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-blk requests from the fake driver (shared by the unit test and the fuzzer). */
#ifndef BLK_DRIVER_H
#define BLK_DRIVER_H

#include <linux/virtio_blk.h>
#include <string.h>

#include "fake_vm.h"
#include "virtio/blk.h"
#include "virtio/testing.h"

/* Runs the device until request head is used; returns the status byte (0xff: never completed). */
static inline uint8_t blk_wait(struct fdrv *d, struct virtio_dev *dev, unsigned int q,
			       uint64_t status_gpa, uint32_t *used_len)
{
	uint32_t id, len;

	fdrv_kick(d, q);
	virtio_dev_poll(dev);
	for (int i = 0; i < 100; i++) {
		if (fdrv_get_used(d, q, &id, &len)) {
			if (used_len)
				*used_len = len;
			return *(uint8_t *)gptr(d, status_gpa, 1);
		}
		virtio_blk_poll(dev, true);
	}
	return 0xff;
}

/* header + optional data (readable for OUT-like, writable for IN-like) + status. */
static inline uint8_t blk_request(struct fdrv *d, struct virtio_dev *dev, unsigned int q,
				  uint32_t type, uint64_t sector, uint64_t data_gpa,
				  uint32_t data_len, bool data_writable, uint32_t *used_len)
{
	uint64_t hdr = galloc(d, 16), status = galloc(d, 1);
	struct virtio_blk_outhdr h = {.type = type, .sector = sector};
	struct fbuf b[3];
	unsigned int n = 0;

	memcpy(gptr(d, hdr, 16), &h, 16);
	*(uint8_t *)gptr(d, status, 1) = 0xee;
	b[n++] = (struct fbuf){hdr, 16, false};
	if (data_len)
		b[n++] = (struct fbuf){data_gpa, data_len, data_writable};
	b[n++] = (struct fbuf){status, 1, true};
	fdrv_add_chain(d, q, b, n);
	return blk_wait(d, dev, q, status, used_len);
}

#endif
