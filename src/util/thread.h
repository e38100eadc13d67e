/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VFKIT_UTIL_THREAD_H
#define VFKIT_UTIL_THREAD_H

#include <pthread.h>

/*
 * Our threads (vCPUs, the REST server) need a few KiB of stack, the deepest
 * frame is 4.5 KiB. glibc's default is 8 MiB, and with transparent huge pages
 * "always" (Debian's default) the kernel backs a 2 MiB-aligned stack top
 * with a whole huge page on first touch: 2 MiB of resident memory per
 * thread. A stack below 2 MiB never gets one.
 */
#define THREAD_STACK_SIZE (512u << 10)

/* pthread_create() with THREAD_STACK_SIZE; 0 or an error number. */
static inline int thread_create(pthread_t *t, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	int err = pthread_attr_init(&attr);

	if (err)
		return err;
	err = pthread_attr_setstacksize(&attr, THREAD_STACK_SIZE);
	if (!err)
		err = pthread_create(t, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return err;
}

#endif
