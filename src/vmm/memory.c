// SPDX-License-Identifier: Apache-2.0

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/memory.h"

static void add_region(struct guest_mem *mem, uint64_t gpa, uint64_t size, uint8_t *host)
{
	mem->regions[mem->nregions++] = (struct guest_mem_region){ gpa, size, host };
}

int guest_mem_init(struct guest_mem *mem, uint64_t size, uint64_t low_max, uint64_t high_start)
{
	uint64_t low = size < low_max ? size : low_max;

	memset(mem, 0, sizeof(*mem));
	mem->memfd = memfd_create("vfkit-guest-ram", MFD_CLOEXEC);
	if (mem->memfd < 0)
		return -errno;
	if (ftruncate(mem->memfd, (off_t)size) < 0)
		goto fail;
	mem->base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
			 mem->memfd, 0);
	if (mem->base == MAP_FAILED) {
		mem->base = NULL;
		goto fail;
	}
	/* Guest RAM is not worth a core dump, and transparent huge pages help the TLB. */
	madvise(mem->base, size, MADV_DONTDUMP);
	madvise(mem->base, size, MADV_HUGEPAGE);
	mem->size = size;
	add_region(mem, 0, low, mem->base);
	if (size > low)
		add_region(mem, high_start, size - low, mem->base + low);
	return 0;
fail: {
	int err = -errno;

	close(mem->memfd);
	mem->memfd = -1;
	return err;
}
}

void guest_mem_free(struct guest_mem *mem)
{
	if (mem->base)
		munmap(mem->base, mem->size);
	if (mem->memfd >= 0)
		close(mem->memfd);
	memset(mem, 0, sizeof(*mem));
	mem->memfd = -1;
}

void *gmem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	for (unsigned int i = 0; i < mem->nregions; i++) {
		const struct guest_mem_region *r = &mem->regions[i];

		if (gpa < r->gpa)
			continue;
		uint64_t off = gpa - r->gpa;

		if (off >= r->size || len > r->size - off)
			continue;
		return r->host + off;
	}
	return NULL;
}

int gmem_read(const struct guest_mem *mem, uint64_t gpa, void *dst, size_t len)
{
	const void *src = gmem_ptr(mem, gpa, len);

	if (!src)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}

int gmem_write(const struct guest_mem *mem, uint64_t gpa, const void *src, size_t len)
{
	void *dst = gmem_ptr(mem, gpa, len);

	if (!dst)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}
