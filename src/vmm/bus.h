/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Port I/O and MMIO dispatch: a sorted table of address ranges, each with one
 * handler. vCPU threads dispatch concurrently; registration may happen at
 * runtime (PCI BAR moves), so the table is guarded by a read-write lock.
 */
#ifndef VFKIT_BUS_H
#define VFKIT_BUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * offset: address relative to the range base. For reads the handler fills
 * data[0..len) (it is pre-filled with 0xff); for writes it consumes it.
 * len is 1, 2, 4 or 8.
 */
typedef void (*bus_io_fn)(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
			  bool is_write);

struct bus_range {
	uint64_t base;
	uint64_t len;
	bus_io_fn fn;
	void *opaque;
};

struct bus {
	const char *name; /* "pio" or "mmio", for log lines */
	pthread_rwlock_t lock;
	struct bus_range *ranges; /* sorted by base, non-overlapping */
	size_t count;
	size_t capacity;
};

void bus_init(struct bus *bus, const char *name);
void bus_destroy(struct bus *bus);
/* 0, -EEXIST if it overlaps a registered range, -EINVAL for len 0, -ENOMEM. */
int bus_register(struct bus *bus, uint64_t base, uint64_t len, bus_io_fn fn, void *opaque);
/* Removes the range starting exactly at base; -ENOENT if none. */
int bus_unregister(struct bus *bus, uint64_t base);
/* false if no range claims addr (reads then return all ones). */
bool bus_dispatch(struct bus *bus, uint64_t addr, uint8_t *data, uint32_t len, bool is_write);

#endif
