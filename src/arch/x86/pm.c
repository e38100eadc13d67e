// SPDX-License-Identifier: Apache-2.0
/*
 * ACPI PM block in the ICH9 layout at ACPI_PM_BASE:
 *   +0x00 PM1_STS (write 1 to clear)   +0x02 PM1_EN
 *   +0x04 PM1_CNT (SCI_EN, SLP_TYP, SLP_EN)
 *   +0x08 PM_TMR (32-bit, 3.579545 MHz, read-only)
 *   +0x20 GPE0_STS (8 bytes, write 1 to clear)   +0x28 GPE0_EN (8 bytes)
 * and the FADT reset register (a separate port).
 *
 * The SCI (IRQ 9, level) is asserted while any enabled status bit is set.
 * Registers are kept as bytes so any access width works the same way.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arch/x86/layout.h"
#include "arch/x86/legacy.h"
#include "util/log.h"

#define OFF_PM1_STS  0x00
#define OFF_PM1_EN   0x02
#define OFF_PM1_CNT  0x04
#define OFF_PM_TMR   0x08
#define OFF_GPE0_STS 0x20
#define OFF_GPE0_EN  0x28
#define GPE0_HALF    (ACPI_GPE0_LEN / 2)

#define PM1_CNT_SLP_TYP_SHIFT 10
#define PM1_CNT_SLP_TYP_MASK  (7u << PM1_CNT_SLP_TYP_SHIFT)
/* Bits of PM1_STS the platform implements (others read as 0). */
#define PM1_STS_MASK (PM1_STS_TMR | PM1_STS_PWRBTN | PM1_STS_WAK)
/*
 * Enable bits read back as written (TMR, GBL, PWRBTN, SLPBTN, RTC,
 * PCIEXP_WAKE_DIS): ACPICA checks that GBL_EN sticks and logs an error if not.
 */
#define PM1_EN_MASK 0x4721u
/* SCI_EN is read-only 1: there is no SMM to hand events to. */
#define PM1_CNT_RW_MASK (PM1_CNT_SLP_TYP_MASK | 0x6u /* BM_RLD, GBL_RLS */)

struct pm {
	const struct platform_ops *ops;
	pthread_mutex_t lock;
	uint16_t pm1_sts;
	uint16_t pm1_en;
	uint16_t pm1_cnt;
	uint8_t gpe_sts[GPE0_HALF];
	uint8_t gpe_en[GPE0_HALF];
	bool sci; /* level currently driven on the SCI line */
};

uint32_t pm_timer_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* Split to keep the product in 64 bits: ns * 3579545 overflows after ~85 min. */
	uint64_t ticks = (uint64_t)ts.tv_sec * ACPI_PM_TIMER_HZ +
			 (uint64_t)ts.tv_nsec * ACPI_PM_TIMER_HZ / 1000000000ULL;

	return (uint32_t)ticks;
}

struct pm *pm_new(const struct platform_ops *ops)
{
	struct pm *pm = calloc(1, sizeof(*pm));

	if (!pm)
		return NULL;
	pm->ops = ops;
	pthread_mutex_init(&pm->lock, NULL);
	pm->pm1_cnt = PM1_CNT_SCI_EN;
	return pm;
}

void pm_free(struct pm *pm)
{
	if (!pm)
		return;
	pthread_mutex_destroy(&pm->lock);
	free(pm);
}

/* Called with the lock held after any change. */
static void update_sci(struct pm *pm)
{
	bool level = (pm->pm1_sts & pm->pm1_en) != 0;

	for (unsigned int i = 0; i < GPE0_HALF; i++)
		level |= (pm->gpe_sts[i] & pm->gpe_en[i]) != 0;
	if (!(pm->pm1_cnt & PM1_CNT_SCI_EN))
		level = false;
	if (level != pm->sci) {
		pm->sci = level;
		pm->ops->irq_line(pm->ops->opaque, ACPI_SCI_IRQ, level);
	}
}

static uint8_t read_byte(struct pm *pm, uint64_t off, uint32_t timer)
{
	if (off < OFF_PM1_EN)
		return (uint8_t)(pm->pm1_sts >> (8 * (off - OFF_PM1_STS)));
	if (off < OFF_PM1_CNT)
		return (uint8_t)(pm->pm1_en >> (8 * (off - OFF_PM1_EN)));
	if (off < OFF_PM1_CNT + ACPI_PM1_CNT_LEN)
		return (uint8_t)(pm->pm1_cnt >> (8 * (off - OFF_PM1_CNT)));
	if (off >= OFF_PM_TMR && off < OFF_PM_TMR + ACPI_PM_TMR_LEN)
		return (uint8_t)(timer >> (8 * (off - OFF_PM_TMR)));
	if (off >= OFF_GPE0_STS && off < OFF_GPE0_EN)
		return pm->gpe_sts[off - OFF_GPE0_STS];
	if (off >= OFF_GPE0_EN && off < OFF_GPE0_EN + GPE0_HALF)
		return pm->gpe_en[off - OFF_GPE0_EN];
	return 0;
}

static void write_byte(struct pm *pm, uint64_t off, uint8_t v, uint16_t *cnt)
{
	unsigned int shift;

	if (off < OFF_PM1_EN) {
		shift = 8 * (unsigned int)(off - OFF_PM1_STS);
		pm->pm1_sts &= (uint16_t) ~((v << shift) & PM1_STS_MASK);
	} else if (off < OFF_PM1_CNT) {
		shift = 8 * (unsigned int)(off - OFF_PM1_EN);
		pm->pm1_en = (uint16_t)((pm->pm1_en & ~(0xffu << shift)) |
					((unsigned int)(v << shift) & PM1_EN_MASK));
	} else if (off < OFF_PM1_CNT + ACPI_PM1_CNT_LEN) {
		shift = 8 * (unsigned int)(off - OFF_PM1_CNT);
		*cnt = (uint16_t)((*cnt & ~(0xffu << shift)) | (unsigned int)(v << shift));
	} else if (off >= OFF_GPE0_STS && off < OFF_GPE0_EN) {
		pm->gpe_sts[off - OFF_GPE0_STS] &= (uint8_t)~v;
	} else if (off >= OFF_GPE0_EN && off < OFF_GPE0_EN + GPE0_HALF) {
		pm->gpe_en[off - OFF_GPE0_EN] = v;
	}
	/* PM timer and reserved bytes: writes ignored. */
}

/* PM1_CNT written as a whole: SLP_EN with SLP_TYP enters the sleep state. */
static bool write_cnt(struct pm *pm, uint16_t cnt)
{
	pm->pm1_cnt = (uint16_t)((pm->pm1_cnt & ~PM1_CNT_RW_MASK) | (cnt & PM1_CNT_RW_MASK));
	if (!(cnt & PM1_CNT_SLP_EN))
		return false;
	unsigned int typ = (cnt & PM1_CNT_SLP_TYP_MASK) >> PM1_CNT_SLP_TYP_SHIFT;

	if (typ == ACPI_SLP_TYP_S5)
		return true;
	log_ratelimited(LOG_LEVEL_WARN, "pm: guest requested unsupported sleep type %u", typ);
	return false;
}

void pm_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct pm *pm = opaque;
	bool poweroff = false;

	if (len > 8 || offset + len > ACPI_PM_LEN)
		return;
	pthread_mutex_lock(&pm->lock);
	if (!is_write) {
		uint32_t timer = pm_timer_now(); /* one sample per access: no torn reads */

		for (uint32_t i = 0; i < len; i++)
			data[i] = read_byte(pm, offset + i, timer);
	} else {
		uint16_t cnt = pm->pm1_cnt;
		bool cnt_written = false;

		for (uint32_t i = 0; i < len; i++) {
			uint64_t off = offset + i;

			cnt_written |= off >= OFF_PM1_CNT && off < OFF_PM1_CNT + ACPI_PM1_CNT_LEN;
			write_byte(pm, off, data[i], &cnt);
		}
		if (cnt_written)
			poweroff = write_cnt(pm, cnt);
		update_sci(pm);
	}
	pthread_mutex_unlock(&pm->lock);
	if (poweroff) {
		log_debug("pm: guest entered S5");
		pm->ops->poweroff(pm->ops->opaque);
	}
}

void pm_reset_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct pm *pm = opaque;

	if (!is_write) {
		memset(data, 0, len);
		return;
	}
	if (offset != 0)
		return;
	/* Like ICH9 RST_CNT: RST_CPU (bit 2) starts the reset. */
	if (data[0] & 0x04) {
		log_debug("pm: guest requested reset (0x%02x)", data[0]);
		pm->ops->reset(pm->ops->opaque);
	}
}

void pm_power_button(struct pm *pm)
{
	pthread_mutex_lock(&pm->lock);
	pm->pm1_sts |= PM1_STS_PWRBTN;
	update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
}
