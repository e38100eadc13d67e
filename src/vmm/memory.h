/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Guest RAM: one mapping (a memfd where shared memory can use huge pages, else
 * anonymous memory with transparent huge pages; see memory.c), split into the
 * platform's regions (below the PCI hole, and above 4 GiB).
 *
 * This is the only way device code touches guest memory: every access is
 * checked against the regions, with overflow-safe arithmetic. A guest address
 * range that is not wholly inside one region is refused.
 */
#ifndef VFKIT_MEMORY_H
#define VFKIT_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#define GUEST_MEM_MAX_REGIONS 2

struct guest_mem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *host;
};

struct guest_mem {
	int memfd; /* -1 when the RAM is anonymous memory */
	uint8_t *base; /* mapping of the whole memfd */
	uint64_t size; /* total RAM in bytes */
	struct guest_mem_region regions[GUEST_MEM_MAX_REGIONS];
	unsigned int nregions;
};

/* Creates the memfd, maps it and lays it out per the platform (low_max: RAM below the hole). */
int guest_mem_init(struct guest_mem *mem, uint64_t size, uint64_t low_max, uint64_t high_start);
void guest_mem_free(struct guest_mem *mem);

/* Host pointer for [gpa, gpa+len), or NULL if that range is not all guest RAM. */
void *gmem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len);

/* Copy to/from guest RAM; 0 or -EFAULT. */
int gmem_read(const struct guest_mem *mem, uint64_t gpa, void *dst, size_t len);
int gmem_write(const struct guest_mem *mem, uint64_t gpa, const void *src, size_t len);

#endif
