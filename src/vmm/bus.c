// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/bus.h"

void bus_init(struct bus *bus, const char *name)
{
	memset(bus, 0, sizeof(*bus));
	bus->name = name;
	pthread_rwlock_init(&bus->lock, NULL);
}

void bus_destroy(struct bus *bus)
{
	free(bus->ranges);
	pthread_rwlock_destroy(&bus->lock);
	bus->ranges = NULL;
	bus->count = bus->capacity = 0;
}

/* Index of the first range whose end is above addr. */
static size_t lower_bound(const struct bus *bus, uint64_t addr)
{
	size_t lo = 0, hi = bus->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct bus_range *r = &bus->ranges[mid];

		if (r->base + (r->len - 1) < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int bus_register(struct bus *bus, uint64_t base, uint64_t len, bus_io_fn fn, void *opaque)
{
	int ret = 0;

	if (len == 0 || base + (len - 1) < base)
		return -EINVAL;
	pthread_rwlock_wrlock(&bus->lock);
	size_t i = lower_bound(bus, base);

	if (i < bus->count && bus->ranges[i].base <= base + (len - 1)) {
		ret = -EEXIST;
		goto out;
	}
	if (bus->count == bus->capacity) {
		size_t cap = bus->capacity ? bus->capacity * 2 : 16;
		struct bus_range *r = realloc(bus->ranges, cap * sizeof(*r));

		if (!r) {
			ret = -ENOMEM;
			goto out;
		}
		bus->ranges = r;
		bus->capacity = cap;
	}
	memmove(&bus->ranges[i + 1], &bus->ranges[i], (bus->count - i) * sizeof(bus->ranges[0]));
	bus->ranges[i] = (struct bus_range){ base, len, fn, opaque };
	bus->count++;
out:
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

int bus_unregister(struct bus *bus, uint64_t base)
{
	int ret = -ENOENT;

	pthread_rwlock_wrlock(&bus->lock);
	size_t i = lower_bound(bus, base);

	if (i < bus->count && bus->ranges[i].base == base) {
		memmove(&bus->ranges[i], &bus->ranges[i + 1],
			(bus->count - i - 1) * sizeof(bus->ranges[0]));
		bus->count--;
		ret = 0;
	}
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

bool bus_dispatch(struct bus *bus, uint64_t addr, uint8_t *data, uint32_t len, bool is_write)
{
	struct bus_range r;
	bool found = false;

	if (!is_write)
		memset(data, 0xff, len);
	pthread_rwlock_rdlock(&bus->lock);
	size_t i = lower_bound(bus, addr);

	if (i < bus->count && bus->ranges[i].base <= addr) {
		r = bus->ranges[i];
		found = true;
	}
	pthread_rwlock_unlock(&bus->lock);
	/*
	 * The handler runs unlocked so that it may itself (un)register ranges,
	 * e.g. a PCI config write that moves a BAR. Devices outlive the bus
	 * table entries that point at them, so the copy stays valid.
	 */
	if (found)
		r.fn(r.opaque, addr - r.base, data, len, is_write);
	return found;
}
