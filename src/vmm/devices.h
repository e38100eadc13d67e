/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Creates the device of every --device entry, in command-line order.
 * One create function per device kind; the table lives in devices.c.
 */
#ifndef VFKIT_DEVICES_H
#define VFKIT_DEVICES_H

struct vm;
struct device_config;

/* 0, or -1 after logging an error that names the device and the option. */
typedef int (*device_create_fn)(struct vm *vm, struct device_config *dev);

int devices_create_all(struct vm *vm);

#endif
