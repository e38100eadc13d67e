/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Logging to stderr. Levels follow --log-level (error, info, debug); warnings
 * are shown at info and above. Every line is prefixed with its level, like
 * upstream's non-terminal format without the timestamp noise.
 */
#ifndef VFKIT_LOG_H
#define VFKIT_LOG_H

#include "config/config.h"

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

/*
 * For messages a hostile guest can trigger at will: at most a few lines per
 * second per call site, then a count of what was suppressed.
 */
#define log_ratelimited(level, ...)                                                                \
	do {                                                                                       \
		static struct log_ratelimit _rl;                                                   \
		if ((level) <= log_get_level() && log_ratelimit_allow(&_rl))                       \
			log_msg(level, __VA_ARGS__);                                               \
	} while (0)

struct log_ratelimit {
	long window_start; /* seconds, CLOCK_MONOTONIC */
	unsigned int count;
	unsigned int suppressed;
};

bool log_ratelimit_allow(struct log_ratelimit *rl);

#endif
