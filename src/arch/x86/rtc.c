// SPDX-License-Identifier: Apache-2.0
/*
 * MC146818 RTC and CMOS RAM at ports 0x70 (index) and 0x71 (data).
 *
 * The clock is the host's UTC time plus an offset in whole seconds that the
 * guest changes by setting the time (SET bit in register B, then writing the
 * fields, as hwclock and Linux's rtc_cmos do). Fields are encoded on every
 * read in the format register B asks for (BCD or binary, 12 or 24 hours).
 * Update-in-progress (register A bit 7) is reported during the last 244 us of
 * every second, as on the real chip, so readers that avoid UIP see it work.
 * Periodic, alarm and update-ended interrupts use a timerfd on the event loop.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "arch/x86/layout.h"
#include "arch/x86/legacy.h"
#include "util/log.h"
#include "vmm/loop.h"

#define REG_SEC	      0x00
#define REG_SEC_ALARM 0x01
#define REG_MIN	      0x02
#define REG_MIN_ALARM 0x03
#define REG_HOUR      0x04
#define REG_HOUR_ALRM 0x05
#define REG_WDAY      0x06
#define REG_MDAY      0x07
#define REG_MON	      0x08
#define REG_YEAR      0x09
#define REG_A	      0x0a
#define REG_B	      0x0b
#define REG_C	      0x0c
#define REG_D	      0x0d

#define A_UIP	  0x80
#define A_DV_MASK 0x70
#define A_DV_32K  0x20
#define A_RATE	  0x0f
#define B_SET	  0x80
#define B_PIE	  0x40
#define B_AIE	  0x20
#define B_UIE	  0x10
#define B_DM_BIN  0x04
#define B_24H	  0x02
#define C_IRQF	  0x80
#define C_PF	  0x40
#define C_AF	  0x20
#define C_UF	  0x10
#define D_VRT	  0x80
#define HOUR_PM	  0x80

#define UIP_NS	  244000L
#define CMOS_SIZE 128

struct rtc {
	const struct platform_ops *ops;
	struct loop *loop;
	int timer_fd;
	pthread_mutex_t lock;
	uint8_t cmos[CMOS_SIZE];
	uint8_t index;
	rtc_clock_fn clock; /* host UTC time (CLOCK_REALTIME, or a test's) */
	int64_t offset;	    /* guest time - host UTC time, seconds */
	time_t last_update; /* guest second when UF was last raised */
	bool irq_level;
};

static void realtime(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
}

void rtc_set_clock(struct rtc *r, rtc_clock_fn fn)
{
	pthread_mutex_lock(&r->lock);
	r->clock = fn ? fn : realtime;
	pthread_mutex_unlock(&r->lock);
}

static uint8_t to_bcd(unsigned int v)
{
	return (uint8_t)(((v / 10) % 10) << 4 | (v % 10));
}

static unsigned int from_bcd(uint8_t v)
{
	return (v >> 4) * 10u + (v & 0xf);
}

static uint8_t encode(const struct rtc *r, unsigned int v)
{
	return (r->cmos[REG_B] & B_DM_BIN) ? (uint8_t)v : to_bcd(v);
}

static unsigned int decode(const struct rtc *r, uint8_t v)
{
	return (r->cmos[REG_B] & B_DM_BIN) ? v : from_bcd(v);
}

static uint8_t encode_hour(const struct rtc *r, unsigned int h)
{
	if (r->cmos[REG_B] & B_24H)
		return encode(r, h);
	unsigned int h12 = h % 12 ? h % 12 : 12;

	return (uint8_t)(encode(r, h12) | (h >= 12 ? HOUR_PM : 0));
}

static unsigned int decode_hour(const struct rtc *r, uint8_t v)
{
	if (r->cmos[REG_B] & B_24H)
		return decode(r, v);
	unsigned int h = decode(r, v & 0x7f) % 12;

	return h + ((v & HOUR_PM) ? 12 : 0);
}

static time_t guest_now(const struct rtc *r)
{
	struct timespec ts;

	r->clock(&ts);
	return (time_t)(ts.tv_sec + r->offset);
}

/* Writes the clock fields for time t into the CMOS bytes. */
static void fill_time(struct rtc *r, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	r->cmos[REG_SEC] = encode(r, (unsigned int)tm.tm_sec);
	r->cmos[REG_MIN] = encode(r, (unsigned int)tm.tm_min);
	r->cmos[REG_HOUR] = encode_hour(r, (unsigned int)tm.tm_hour);
	r->cmos[REG_WDAY] = encode(r, (unsigned int)tm.tm_wday + 1);
	r->cmos[REG_MDAY] = encode(r, (unsigned int)tm.tm_mday);
	r->cmos[REG_MON] = encode(r, (unsigned int)tm.tm_mon + 1);
	r->cmos[REG_YEAR] = encode(r, (unsigned int)(tm.tm_year + 1900) % 100);
	r->cmos[CMOS_CENTURY_REG] = encode(r, (unsigned int)(tm.tm_year + 1900) / 100);
}

/* The guest finished setting the time: the fields become the new offset. */
static void commit_time(struct rtc *r)
{
	struct tm tm = {0};
	struct timespec ts;
	unsigned int year =
		decode(r, r->cmos[CMOS_CENTURY_REG]) * 100 + decode(r, r->cmos[REG_YEAR]) % 100;

	if (year < 1970)
		year += 100; /* no (or a stale) century: assume 20xx as Linux does */
	tm.tm_sec = (int)(decode(r, r->cmos[REG_SEC]) % 60);
	tm.tm_min = (int)(decode(r, r->cmos[REG_MIN]) % 60);
	tm.tm_hour = (int)(decode_hour(r, r->cmos[REG_HOUR]) % 24);
	tm.tm_mday = (int)decode(r, r->cmos[REG_MDAY]);
	tm.tm_mon = (int)decode(r, r->cmos[REG_MON]) - 1;
	tm.tm_year = (int)year - 1900;
	if (tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_mon < 0 || tm.tm_mon > 11) {
		log_ratelimited(LOG_LEVEL_WARN, "rtc: guest wrote an invalid date, ignored");
		return;
	}
	r->clock(&ts);
	r->offset = (int64_t)timegm(&tm) - ts.tv_sec;
	r->last_update = guest_now(r);
}

static bool uip(const struct rtc *r)
{
	struct timespec ts;

	if ((r->cmos[REG_B] & B_SET) || (r->cmos[REG_A] & A_DV_MASK) != A_DV_32K)
		return false;
	r->clock(&ts);
	return ts.tv_nsec >= 1000000000L - UIP_NS;
}

static bool alarm_field_matches(uint8_t alarm, uint8_t now)
{
	return (alarm & 0xc0) == 0xc0 || alarm == now; /* 11xxxxxx: don't care */
}

/* Sets the flags of events that happened, raising the line if enabled. */
static void raise_flags(struct rtc *r, uint8_t flags)
{
	r->cmos[REG_C] |= flags;
	if (r->cmos[REG_C] & r->cmos[REG_B] & (C_PF | C_AF | C_UF))
		r->cmos[REG_C] |= C_IRQF;
	bool level = r->cmos[REG_C] & C_IRQF;

	if (level != r->irq_level) {
		r->irq_level = level;
		r->ops->irq_line(r->ops->opaque, RTC_IRQ, level);
	}
}

/* Second boundaries since the last look: update-ended and alarm events. */
static uint8_t second_events(struct rtc *r)
{
	time_t t = guest_now(r);
	uint8_t flags = 0;

	if ((r->cmos[REG_B] & B_SET) || t == r->last_update)
		return 0;
	r->last_update = t;
	fill_time(r, t);
	flags |= C_UF;
	if (alarm_field_matches(r->cmos[REG_SEC_ALARM], r->cmos[REG_SEC]) &&
	    alarm_field_matches(r->cmos[REG_MIN_ALARM], r->cmos[REG_MIN]) &&
	    alarm_field_matches(r->cmos[REG_HOUR_ALRM], r->cmos[REG_HOUR]))
		flags |= C_AF;
	return flags;
}

static long periodic_ns(const struct rtc *r)
{
	unsigned int rate = r->cmos[REG_A] & A_RATE;

	if (!rate)
		return 0;
	if (rate <= 2)
		rate += 7; /* rates 1 and 2 repeat 8 and 9 on the 32 kHz time base */
	return 1000000000L / (32768L >> (rate - 1));
}

/* Arms the timer for what register B enables (lock held). */
static void arm_timer(struct rtc *r)
{
	struct itimerspec its = {0};
	uint8_t b = r->cmos[REG_B];
	long period = (b & B_PIE) ? periodic_ns(r) : 0;
	int flags = 0;

	if (r->timer_fd < 0)
		return;
	if (period) {
		its.it_interval.tv_nsec = period;
		its.it_value.tv_nsec = period;
	} else if (b & (B_UIE | B_AIE)) {
		/* Just after each second boundary of the (realtime-based) clock. */
		struct timespec now;

		r->clock(&now);
		its.it_interval.tv_sec = 1;
		its.it_value.tv_sec = now.tv_sec + 1;
		its.it_value.tv_nsec = 1000000;
		flags = TFD_TIMER_ABSTIME;
	}
	if (timerfd_settime(r->timer_fd, flags, &its, NULL) < 0)
		log_ratelimited(LOG_LEVEL_WARN, "rtc: timerfd_settime: %s", strerror(errno));
}

static void on_timer(void *opaque, uint32_t events)
{
	struct rtc *r = opaque;
	uint64_t expirations;

	(void)events;
	if (read(r->timer_fd, &expirations, sizeof(expirations)) < 0)
		return;
	pthread_mutex_lock(&r->lock);
	raise_flags(r, (uint8_t)(second_events(r) | ((r->cmos[REG_B] & B_PIE) ? C_PF : 0)));
	pthread_mutex_unlock(&r->lock);
}

static bool is_clock_reg(unsigned int reg)
{
	return reg == REG_SEC || reg == REG_MIN || reg == REG_HOUR || reg == REG_WDAY ||
	       reg == REG_MDAY || reg == REG_MON || reg == REG_YEAR || reg == CMOS_CENTURY_REG;
}

static uint8_t read_reg(struct rtc *r, unsigned int reg)
{
	uint8_t v;

	if (is_clock_reg(reg)) {
		if (!(r->cmos[REG_B] & B_SET))
			fill_time(r, guest_now(r));
		return r->cmos[reg];
	}
	switch (reg) {
	case REG_A:
		return (uint8_t)((r->cmos[REG_A] & ~A_UIP) | (uip(r) ? A_UIP : 0));
	case REG_C:
		raise_flags(r, second_events(r) & C_UF);
		v = r->cmos[REG_C];
		r->cmos[REG_C] = 0; /* reading C acknowledges everything */
		raise_flags(r, 0);
		return v;
	case REG_D:
		return D_VRT;
	default:
		return r->cmos[reg];
	}
}

static void write_b(struct rtc *r, uint8_t v)
{
	uint8_t old = r->cmos[REG_B];

	if (old & B_SET)
		commit_time(r); /* what was edited so far, read in the old format */
	if (v & B_SET)
		v &= (uint8_t)~B_UIE; /* the chip clears UIE while SET is on */
	r->cmos[REG_B] = v;
	if (v & B_SET)
		fill_time(r, guest_now(r)); /* freeze the fields for editing */
	arm_timer(r);
}

static void write_reg(struct rtc *r, unsigned int reg, uint8_t v)
{
	if (is_clock_reg(reg)) {
		bool set = r->cmos[REG_B] & B_SET;

		if (!set)
			fill_time(r, guest_now(r));
		r->cmos[reg] = v;
		if (!set)
			commit_time(r);
		return;
	}
	switch (reg) {
	case REG_A:
		r->cmos[REG_A] = v & (uint8_t)~A_UIP;
		arm_timer(r);
		break;
	case REG_B:
		write_b(r, v);
		break;
	case REG_C:
	case REG_D:
		break; /* read-only */
	default:
		r->cmos[reg] = v;
		break;
	}
}

void rtc_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct rtc *r = opaque;

	if (len != 1 || offset > 1)
		return;
	pthread_mutex_lock(&r->lock);
	if (offset == 0) {
		if (is_write)
			r->index = data[0] & 0x7f; /* bit 7 is the NMI mask */
		else
			data[0] = r->index;
	} else if (is_write) {
		write_reg(r, r->index, data[0]);
	} else {
		data[0] = read_reg(r, r->index);
	}
	pthread_mutex_unlock(&r->lock);
}

/* Memory size bytes that PC firmware (SeaBIOS, OVMF) reads from the CMOS. */
static void fill_memory_size(struct rtc *r, uint64_t ram)
{
	uint64_t low = ram < RAM_LOW_MAX ? ram : RAM_LOW_MAX;
	uint64_t high = ram - low;
	uint64_t ext_kib = low > MiB(1) ? (low - MiB(1)) / 1024 : 0;
	uint64_t above16 = low > MiB(16) ? (low - MiB(16)) >> 16 : 0;
	uint64_t above4g = high >> 16;

	if (ext_kib > 0xfc00)
		ext_kib = 0xfc00; /* 63 MiB: the field's historical limit */
	if (above16 > 0xffff)
		above16 = 0xffff;
	r->cmos[0x15] = 640 & 0xff;
	r->cmos[0x16] = 640 >> 8;
	r->cmos[0x17] = r->cmos[0x30] = (uint8_t)ext_kib;
	r->cmos[0x18] = r->cmos[0x31] = (uint8_t)(ext_kib >> 8);
	r->cmos[0x34] = (uint8_t)above16;
	r->cmos[0x35] = (uint8_t)(above16 >> 8);
	r->cmos[0x5b] = (uint8_t)above4g;
	r->cmos[0x5c] = (uint8_t)(above4g >> 8);
	r->cmos[0x5d] = (uint8_t)(above4g >> 16);
}

struct rtc *rtc_new(const struct platform_ops *ops, struct loop *loop, uint64_t ram_bytes)
{
	struct rtc *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->ops = ops;
	r->loop = loop;
	r->timer_fd = -1;
	r->clock = realtime;
	pthread_mutex_init(&r->lock, NULL);
	r->cmos[REG_A] = A_DV_32K | 0x06; /* 32.768 kHz time base, 1024 Hz periodic rate */
	r->cmos[REG_B] = B_24H;		  /* BCD, 24 hours, as PC firmware leaves it */
	r->cmos[REG_D] = D_VRT;
	fill_memory_size(r, ram_bytes);
	r->last_update = guest_now(r);
	fill_time(r, r->last_update);
	if (loop) {
		int err;

		r->timer_fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
		err = r->timer_fd < 0 ? -errno : loop_add(loop, r->timer_fd, EPOLLIN, on_timer, r);
		if (err < 0) {
			log_error("rtc: cannot set up its timer: %s", strerror(-err));
			if (r->timer_fd >= 0)
				close(r->timer_fd);
			r->timer_fd = -1;
			rtc_free(r);
			return NULL;
		}
	}
	return r;
}

void rtc_free(struct rtc *r)
{
	if (!r)
		return;
	if (r->timer_fd >= 0) {
		if (r->loop)
			loop_remove(r->loop, r->timer_fd);
		close(r->timer_fd);
	}
	pthread_mutex_destroy(&r->lock);
	free(r);
}
