// SPDX-License-Identifier: Apache-2.0
/* virtio-blk against a temporary raw image, through the fake driver. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <fcntl.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blk_driver.h"
#include "config/config.h"
#include "virtio/virtio.h"

#define IMG_SIZE ((8u << 20) + 100) /* not a multiple of 512: capacity rounds down */
#define ALL	 (~0ULL)

struct fixture {
	struct vm vm;
	struct vm_config cfg;
	struct device_config dev;
	char path[64];
	struct fdrv drv;
	struct virtio_dev *vdev;
};

static int make_image(struct fixture *fx)
{
	int fd;

	strcpy(fx->path, "/tmp/vfkit-blk-XXXXXX");
	fd = mkstemp(fx->path);
	if (fd < 0 || ftruncate(fd, IMG_SIZE) < 0)
		return -1;
	close(fd);
	return 0;
}

static int start(struct fixture *fx, bool readonly, const char *id, unsigned int ncpus)
{
	fake_vm_init(&fx->vm, &fx->cfg);
	fx->vm.ncpus = ncpus;
	fx->dev.kind = DEV_VIRTIO_BLK;
	fx->dev.disk.path = fx->path;
	fx->dev.disk.readonly = readonly;
	fx->dev.disk.device_id = (char *)id;
	if (virtio_blk_create(&fx->vm, &fx->dev) < 0)
		return -1;
	fx->vdev = virtio_pci_dev_at(&fx->vm, 1);
	if (!fx->vdev || fdrv_probe(&fx->drv, &fx->vm, 1) < 0)
		return -1;
	return (fdrv_init(&fx->drv, ALL, ncpus, 128) & 0x4f) == 0xf ? 0 : -1;
}

static int setup(void **state)
{
	static struct fixture fx;

	memset(&fx, 0, sizeof(fx));
	if (make_image(&fx) < 0 || start(&fx, false, "disk-serial-1", 2) < 0)
		return -1;
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	struct stat st;

	/* Whatever happened, the image kept its size. */
	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(st.st_size, IMG_SIZE);
	unlink(fx->path);
	fake_vm_free(&fx->vm);
	return 0;
}

static void test_config_and_features(void **state)
{
	struct fixture *fx = *state;
	uint64_t f = fdrv_device_features(&fx->drv);

	assert_int_equal(fdrv_devcfg32(&fx->drv, 0), (8u << 20) / 512); /* capacity lo */
	assert_int_equal(fdrv_devcfg32(&fx->drv, 4), 0);
	assert_int_equal(mmio_rd(&fx->vm, fx->drv.bar4 + fx->drv.devcfg + 34, 2),
			 2); /* num_queues */
	assert_true(f & (1ULL << VIRTIO_BLK_F_MQ));
	assert_true(f & (1ULL << VIRTIO_BLK_F_FLUSH));
	assert_true(f & (1ULL << VIRTIO_BLK_F_DISCARD));
	assert_true(f & (1ULL << VIRTIO_BLK_F_WRITE_ZEROES));
	assert_false(f & (1ULL << VIRTIO_BLK_F_RO));
}

static void fill_pattern(uint8_t *p, size_t n, unsigned int seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + seed + (i >> 9));
}

static void test_write_read_roundtrip(void **state)
{
	struct fixture *fx = *state;
	struct fdrv *d = &fx->drv;
	uint64_t w = galloc(d, 65536), r = galloc(d, 65536);
	uint8_t *file_data = malloc(65536);
	uint32_t len;
	int fd;

	fill_pattern(gptr(d, w, 65536), 65536, 3);
	assert_int_equal(blk_request(d, fx->vdev, 1, VIRTIO_BLK_T_OUT, 8, w, 65536, false, &len),
			 VIRTIO_BLK_S_OK);
	/* The host image has the bytes at sector 8. */
	fd = open(fx->path, O_RDONLY);
	assert_int_equal(pread(fd, file_data, 65536, 8 * 512), 65536);
	close(fd);
	assert_memory_equal(file_data, gptr(d, w, 65536), 65536);
	assert_int_equal(blk_request(d, fx->vdev, 0, VIRTIO_BLK_T_IN, 8, r, 65536, true, &len),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(len, 65536 + 1);
	assert_memory_equal(gptr(d, r, 65536), gptr(d, w, 65536), 65536);
	assert_int_equal(blk_request(d, fx->vdev, 0, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false, NULL),
			 VIRTIO_BLK_S_OK);
	free(file_data);
}

static void test_get_id(void **state)
{
	struct fixture *fx = *state;
	uint64_t buf = galloc(&fx->drv, 20);

	memset(gptr(&fx->drv, buf, 20), 0xaa, 20);
	assert_int_equal(
		blk_request(&fx->drv, fx->vdev, 0, VIRTIO_BLK_T_GET_ID, 0, buf, 20, true, NULL),
		VIRTIO_BLK_S_OK);
	assert_memory_equal(gptr(&fx->drv, buf, 14), "disk-serial-1\0", 14);
}

static void test_bad_requests_get_errors(void **state)
{
	struct fixture *fx = *state;
	struct fdrv *d = &fx->drv;
	uint64_t buf = galloc(d, 4096);
	uint64_t cap = (8u << 20) / 512;

	/* Past the end, straddling the end, unaligned length, unknown type. */
	assert_int_equal(blk_request(d, fx->vdev, 0, VIRTIO_BLK_T_IN, cap, buf, 512, true, NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(
		blk_request(d, fx->vdev, 0, VIRTIO_BLK_T_OUT, cap - 1, buf, 1024, false, NULL),
		VIRTIO_BLK_S_IOERR);
	assert_int_equal(
		blk_request(d, fx->vdev, 0, VIRTIO_BLK_T_OUT, ~0ULL, buf, 512, false, NULL),
		VIRTIO_BLK_S_IOERR);
	assert_int_equal(blk_request(d, fx->vdev, 0, VIRTIO_BLK_T_IN, 0, buf, 100, true, NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(blk_request(d, fx->vdev, 0, 77, 0, buf, 512, true, NULL),
			 VIRTIO_BLK_S_UNSUPP);
	/* Data buffers in the wrong direction. */
	assert_int_equal(blk_request(d, fx->vdev, 0, VIRTIO_BLK_T_IN, 0, buf, 512, false, NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(blk_request(d, fx->vdev, 0, VIRTIO_BLK_T_OUT, 0, buf, 512, true, NULL),
			 VIRTIO_BLK_S_IOERR);
	/* The device still works. */
	assert_int_equal(
		blk_request(d, fx->vdev, 0, VIRTIO_BLK_T_IN, cap - 1, buf, 512, true, NULL),
		VIRTIO_BLK_S_OK);
}

static long allocated_blocks(const char *path)
{
	struct stat st;

	stat(path, &st);
	return (long)st.st_blocks;
}

static void test_discard_and_write_zeroes(void **state)
{
	struct fixture *fx = *state;
	struct fdrv *d = &fx->drv;
	uint64_t w = galloc(d, 1 << 20), r = galloc(d, 4096);
	uint64_t seg = galloc(d, 16);
	struct virtio_blk_discard_write_zeroes *s = gptr(d, seg, 16);
	long before, after;

	memset(gptr(d, w, 1 << 20), 0x5a, 1 << 20);
	assert_int_equal(blk_request(d, fx->vdev, 0, VIRTIO_BLK_T_OUT, 0, w, 1 << 20, false, NULL),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(blk_request(d, fx->vdev, 0, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false, NULL),
			 VIRTIO_BLK_S_OK);
	before = allocated_blocks(fx->path);
	*s = (struct virtio_blk_discard_write_zeroes){.sector = 0, .num_sectors = 1024};
	assert_int_equal(blk_request(d, fx->vdev, 0, VIRTIO_BLK_T_DISCARD, 0, seg, 16, false, NULL),
			 VIRTIO_BLK_S_OK);
	after = allocated_blocks(fx->path);
	assert_true(after < before);

	/* Write zeroes (no unmap) over the second half: reads back as zeroes. */
	*s = (struct virtio_blk_discard_write_zeroes){.sector = 1024, .num_sectors = 1024};
	assert_int_equal(
		blk_request(d, fx->vdev, 0, VIRTIO_BLK_T_WRITE_ZEROES, 0, seg, 16, false, NULL),
		VIRTIO_BLK_S_OK);
	assert_int_equal(blk_request(d, fx->vdev, 0, VIRTIO_BLK_T_IN, 1500, r, 4096, true, NULL),
			 VIRTIO_BLK_S_OK);
	for (int i = 0; i < 4096; i++)
		assert_int_equal(((uint8_t *)gptr(d, r, 4096))[i], 0);
	/* Out of range and bad flags. */
	*s = (struct virtio_blk_discard_write_zeroes){.sector = 16383, .num_sectors = 2};
	assert_int_equal(blk_request(d, fx->vdev, 0, VIRTIO_BLK_T_DISCARD, 0, seg, 16, false, NULL),
			 VIRTIO_BLK_S_IOERR);
	*s = (struct virtio_blk_discard_write_zeroes){.sector = 0, .num_sectors = 2, .flags = 1};
	assert_int_equal(blk_request(d, fx->vdev, 0, VIRTIO_BLK_T_DISCARD, 0, seg, 16, false, NULL),
			 VIRTIO_BLK_S_UNSUPP);
}

static void test_missing_status_needs_reset(void **state)
{
	struct fixture *fx = *state;
	struct fdrv *d = &fx->drv;
	uint64_t hdr = galloc(d, 16);
	struct fbuf b[1] = {{hdr, 16, false}};

	fdrv_add_chain(d, 0, b, 1);
	fdrv_kick(d, 0);
	virtio_dev_poll(fx->vdev);
	assert_true(fdrv_status(d) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

static void test_readonly(void **state)
{
	struct fixture *fx = *state;
	struct fdrv *d;
	uint64_t buf;
	uint8_t before[4096], after[4096];
	int fd;

	fake_vm_free(&fx->vm);
	fd = open(fx->path, O_RDONLY);
	assert_int_equal(pread(fd, before, sizeof(before), 0), sizeof(before));
	close(fd);
	chmod(fx->path, 0444); /* O_RDONLY must be enough */
	assert_int_equal(start(fx, true, NULL, 1), 0);
	d = &fx->drv;
	assert_true(fdrv_device_features(d) & (1ULL << VIRTIO_BLK_F_RO));
	assert_false(fdrv_device_features(d) & (1ULL << VIRTIO_BLK_F_DISCARD));
	buf = galloc(d, 4096);
	memset(gptr(d, buf, 4096), 0x77, 4096);
	assert_int_equal(blk_request(d, fx->vdev, 0, VIRTIO_BLK_T_OUT, 0, buf, 4096, false, NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(blk_request(d, fx->vdev, 0, VIRTIO_BLK_T_IN, 0, buf, 4096, true, NULL),
			 VIRTIO_BLK_S_OK);
	fd = open(fx->path, O_RDONLY);
	assert_int_equal(pread(fd, after, sizeof(after), 0), sizeof(after));
	close(fd);
	assert_memory_equal(before, after, sizeof(after));
	assert_memory_equal(gptr(d, buf, 4096), before, 4096);
	/* An empty GET_ID answers with zeroes. */
	assert_int_equal(blk_request(d, fx->vdev, 0, VIRTIO_BLK_T_GET_ID, 0, buf, 20, true, NULL),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(*(uint8_t *)gptr(d, buf, 1), 0);
}

/* Completes everything submitted so far and counts the used entries. */
static unsigned int drain_used(struct fixture *fx, unsigned int q, uint64_t status0)
{
	unsigned int used = 0;
	uint32_t id, len;

	for (int i = 0; i < 100; i++)
		virtio_blk_poll(fx->vdev, true);
	while (fdrv_get_used(&fx->drv, q, &id, &len) == 1) {
		assert_int_equal(*(uint8_t *)gptr(&fx->drv, status0 + 8 * id, 1), VIRTIO_BLK_S_OK);
		used++;
	}
	return used;
}

/*
 * 40 reads at once: the first turn of the loop serves one batch, the
 * handler reschedules itself, and the next turn serves the rest.
 */
static void test_full_ring_served_in_batches(void **state)
{
	struct fixture *fx = *state;
	struct fdrv *d = &fx->drv;
	struct virtio_blk_outhdr h = {.type = VIRTIO_BLK_T_IN};
	uint64_t hdr = galloc(d, 16), data = galloc(d, 40 * 4096), status = galloc(d, 128 * 8);

	memcpy(gptr(d, hdr, 16), &h, 16);
	for (uint16_t i = 0; i < 40; i++) {
		uint16_t head = (uint16_t)(3 * i);

		fdrv_set_desc(d, 0, head, hdr, 16, VRING_DESC_F_NEXT, head + 1);
		fdrv_set_desc(d, 0, head + 1, data + 4096ULL * i, 4096,
			      VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, head + 2);
		/* Status bytes indexed by head, so drain_used can find them. */
		fdrv_set_desc(d, 0, head + 2, status + 8ULL * head, 1, VRING_DESC_F_WRITE, 0);
		*(uint8_t *)gptr(d, status + 8ULL * head, 1) = 0xee;
		fdrv_push_avail(d, 0, head);
	}
	fdrv_kick(d, 0);
	virtio_dev_poll(fx->vdev);
	assert_int_equal(drain_used(fx, 0, status), VIRTQ_BATCH);
	virtio_dev_poll(fx->vdev);
	assert_int_equal(drain_used(fx, 0, status), 40 - VIRTQ_BATCH);
	assert_false(fdrv_status(d) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

static void test_create_errors(void **state)
{
	struct fixture *fx = *state;
	struct vm vm;
	struct vm_config cfg;
	struct device_config dev = {.kind = DEV_VIRTIO_BLK};

	(void)fx;
	fake_vm_init(&vm, &cfg);
	dev.disk.path = "/nonexistent/disk.img";
	assert_true(virtio_blk_create(&vm, &dev) < 0);
	dev.disk.path = fx->path;
	dev.disk.device_id = "123456789012345678901"; /* 21 bytes */
	assert_true(virtio_blk_create(&vm, &dev) < 0);
	dev.disk.device_id = NULL;
	dev.disk.type_dev = true; /* a regular file is not a block device */
	assert_true(virtio_blk_create(&vm, &dev) < 0);
	assert_null(virtio_pci_dev_at(&vm, 1));
	fake_vm_free(&vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config_and_features, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_read_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests_get_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_discard_and_write_zeroes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_status_needs_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_ring_served_in_batches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_errors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
