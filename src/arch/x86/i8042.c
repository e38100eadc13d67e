// SPDX-License-Identifier: Apache-2.0
/*
 * Just enough of an i8042 keyboard controller: the status port, the usual
 * controller commands answered so that a probe finds a healthy controller
 * with no devices behind it, and command 0xFE (pulse the reset line), which
 * several reboot paths use. The FADT says there is no 8042, so Linux does
 * not normally probe it at all.
 */
#include <pthread.h>
#include <stdlib.h>

#include "arch/x86/legacy.h"
#include "util/log.h"

#define STS_OBF	 0x01 /* output buffer full */
#define STS_SYS	 0x04 /* system flag: self-test passed */
#define STS_CMD	 0x08 /* last write was a command */
#define STS_AUXB 0x20 /* output byte is from the aux port */

#define CMD_READ_CTR   0x20
#define CMD_WRITE_CTR  0x60
#define CMD_AUX_DIS    0xa7
#define CMD_AUX_EN     0xa8
#define CMD_AUX_TEST   0xa9
#define CMD_SELF_TEST  0xaa
#define CMD_KBD_TEST   0xab
#define CMD_KBD_DIS    0xad
#define CMD_KBD_EN     0xae
#define CMD_READ_OUT   0xd0
#define CMD_WRITE_OUT  0xd1
#define CMD_WRITE_AUX  0xd4
#define CMD_PULSE_BASE 0xf0 /* 0xf0-0xff: pulse output lines; bit 0 clear = reset */

#define CTR_SYS 0x04

struct i8042 {
	const struct platform_ops *ops;
	pthread_mutex_t lock;
	uint8_t status;
	uint8_t out;	 /* output buffer */
	uint8_t ctr;	 /* controller command byte */
	uint8_t pending; /* command waiting for its data byte, or 0 */
};

struct i8042 *i8042_new(const struct platform_ops *ops)
{
	struct i8042 *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->ops = ops;
	pthread_mutex_init(&k->lock, NULL);
	k->status = STS_SYS;
	k->ctr = CTR_SYS;
	return k;
}

void i8042_free(struct i8042 *k)
{
	if (!k)
		return;
	pthread_mutex_destroy(&k->lock);
	free(k);
}

static void reply(struct i8042 *k, uint8_t v, bool aux)
{
	k->out = v;
	k->status = (uint8_t)((k->status & ~STS_AUXB) | STS_OBF | (aux ? STS_AUXB : 0));
}

/* Returns true if the reset line was pulsed. */
static bool command(struct i8042 *k, uint8_t cmd)
{
	k->status |= STS_CMD;
	switch (cmd) {
	case CMD_READ_CTR:
		reply(k, k->ctr, false);
		break;
	case CMD_WRITE_CTR:
	case CMD_WRITE_OUT:
	case CMD_WRITE_AUX:
		k->pending = cmd;
		break;
	case CMD_SELF_TEST:
		reply(k, 0x55, false);
		break;
	case CMD_KBD_TEST:
	case CMD_AUX_TEST:
		reply(k, 0x00, false); /* interface OK */
		break;
	case CMD_READ_OUT:
		reply(k, 0x01, false); /* output port: reset line inactive */
		break;
	case CMD_AUX_DIS:
	case CMD_AUX_EN:
	case CMD_KBD_DIS:
	case CMD_KBD_EN:
		break;
	default:
		if (cmd >= CMD_PULSE_BASE && !(cmd & 1))
			return true;
		break;
	}
	return false;
}

static bool data_write(struct i8042 *k, uint8_t v)
{
	uint8_t cmd = k->pending;

	k->status &= (uint8_t)~STS_CMD;
	k->pending = 0;
	switch (cmd) {
	case CMD_WRITE_CTR:
		k->ctr = v;
		break;
	case CMD_WRITE_OUT:
		return !(v & 1); /* output port bit 0 low: CPU reset */
	case CMD_WRITE_AUX:
		reply(k, 0xfe, true); /* no mouse: resend/NAK */
		break;
	default:
		reply(k, 0xfe, false); /* no keyboard either */
		break;
	}
	return false;
}

static void access(struct i8042 *k, unsigned int offset, uint8_t *data, uint32_t len, bool is_write)
{
	bool reset = false;

	if (len != 1)
		return;
	pthread_mutex_lock(&k->lock);
	if (!is_write && offset == 4) {
		data[0] = k->status;
	} else if (!is_write) {
		data[0] = k->out;
		k->status &= (uint8_t) ~(STS_OBF | STS_AUXB);
	} else if (offset == 4) {
		reset = command(k, data[0]);
	} else {
		reset = data_write(k, data[0]);
	}
	pthread_mutex_unlock(&k->lock);
	if (reset) {
		log_debug("i8042: guest pulsed the reset line");
		k->ops->reset(k->ops->opaque);
	}
}

void i8042_data_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	if (offset == 0)
		access(opaque, 0, data, len, is_write);
}

void i8042_cmd_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	if (offset == 0)
		access(opaque, 4, data, len, is_write);
}
