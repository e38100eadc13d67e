// SPDX-License-Identifier: Apache-2.0

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/memory.h"

static void add_region(struct guest_mem *mem, uint64_t gpa, uint64_t size, uint8_t *host)
{
	mem->regions[mem->nregions++] = (struct guest_mem_region){ gpa, size, host };
}

/*
 * Shared-memory transparent huge pages are off by default on Debian
 * (shmem_enabled "never"): a memfd then gets 4 KiB pages, and guests boot two
 * to three times slower in the nested test host than on anonymous memory
 * with MADV_HUGEPAGE. So guest RAM is a memfd only where the memfd can have
 * huge pages; sharing RAM with another process (vhost-user, virtio-fs) will
 * ask for a memfd explicitly.
 */
static bool shmem_huge_pages_available(void)
{
	char buf[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/shmem_enabled", "r");

	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return buf[0] && !strstr(buf, "[never]") && !strstr(buf, "[deny]");
}

/*
 * KVM maps a 2 MiB guest page with one huge page-table entry only when host
 * address and guest address agree modulo 2 MiB, so guest RAM starts on a
 * 2 MiB boundary (mmap alone gives 4 KiB alignment). Without it every guest
 * page costs its own nested page fault; in the test host that made the guest
 * take 0.40 s instead of 0.17 s to clear an 8 MiB buffer early in boot.
 */
#define HUGE_PAGE_SIZE (2ULL << 20)

static void *reserve_aligned(uint64_t size)
{
	uint64_t len = size + HUGE_PAGE_SIZE;
	uint8_t *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint8_t *a;

	if (p == MAP_FAILED)
		return MAP_FAILED;
	a = (uint8_t *)(((uintptr_t)p + HUGE_PAGE_SIZE - 1) & ~(uintptr_t)(HUGE_PAGE_SIZE - 1));
	if (a > p)
		munmap(p, (size_t)(a - p));
	munmap(a + size, (size_t)(p + len - (a + size)));
	return a;
}

/* Guest RAM at a 2 MiB boundary: flags MAP_SHARED with a memfd, or MAP_PRIVATE | MAP_ANONYMOUS. */
static int map_aligned(struct guest_mem *mem, uint64_t size, int flags, int fd)
{
	void *at = reserve_aligned(size);

	if (at == MAP_FAILED)
		return -errno;
	mem->base = mmap(at, size, PROT_READ | PROT_WRITE, flags | MAP_NORESERVE | MAP_FIXED, fd, 0);
	if (mem->base == MAP_FAILED) {
		int err = -errno;

		munmap(at, size);
		return err;
	}
	return 0;
}

static int map_memfd(struct guest_mem *mem, uint64_t size)
{
	mem->memfd = memfd_create("vfkit-guest-ram", MFD_CLOEXEC);
	if (mem->memfd < 0 || ftruncate(mem->memfd, (off_t)size) < 0)
		return -errno;
	return map_aligned(mem, size, MAP_SHARED, mem->memfd);
}

int guest_mem_init(struct guest_mem *mem, uint64_t size, uint64_t low_max, uint64_t high_start)
{
	uint64_t low = size < low_max ? size : low_max;
	int ret;

	memset(mem, 0, sizeof(*mem));
	mem->memfd = -1;
	ret = shmem_huge_pages_available() ? map_memfd(mem, size)
					   : map_aligned(mem, size, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	if (ret < 0) {
		if (mem->base == MAP_FAILED)
			mem->base = NULL;
		if (mem->memfd >= 0)
			close(mem->memfd);
		mem->memfd = -1;
		return ret;
	}
	/* Guest RAM is not worth a core dump, and huge pages spare the TLB. */
	madvise(mem->base, size, MADV_DONTDUMP);
	madvise(mem->base, size, MADV_HUGEPAGE);
	mem->size = size;
	add_region(mem, 0, low, mem->base);
	if (size > low)
		add_region(mem, high_start, size - low, mem->base + low);
	return 0;
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
