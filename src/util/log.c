// SPDX-License-Identifier: Apache-2.0
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "util/log.h"

#define RATELIMIT_BURST 5

static enum log_level current_level = LOG_LEVEL_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void log_set_level(enum log_level level)
{
	current_level = level;
}

enum log_level log_get_level(void)
{
	return current_level;
}

static const char *level_name(enum log_level level)
{
	switch (level) {
	case LOG_LEVEL_ERROR:
		return "error";
	case LOG_LEVEL_WARN:
		return "warning";
	case LOG_LEVEL_INFO:
		return "info";
	default:
		return "debug";
	}
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > current_level)
		return;
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "vfkit: %s: ", level_name(level));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	pthread_mutex_unlock(&log_lock);
}

bool log_ratelimit_allow(struct log_ratelimit *rl)
{
	struct timespec now;
	bool allow;

	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&log_lock);
	if (now.tv_sec != rl->window_start) {
		if (rl->suppressed)
			fprintf(stderr, "vfkit: warning: %u similar messages suppressed\n",
				rl->suppressed);
		rl->window_start = now.tv_sec;
		rl->count = 0;
		rl->suppressed = 0;
	}
	allow = rl->count++ < RATELIMIT_BURST;
	if (!allow)
		rl->suppressed++;
	pthread_mutex_unlock(&log_lock);
	return allow;
}
