// SPDX-License-Identifier: Apache-2.0
/*
 * 16550A UART for COM1. Transmission is instantaneous (the transmitter is
 * always empty), so THRE/TEMT always read 1 and a THR-empty interrupt is
 * pending right after each write, as Linux's 8250 driver expects. The 16-byte
 * receive FIFO is fed by loopback mode (used by driver probes) and by host
 * input when a caller provides it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/legacy.h"

#define UART_RBR_THR 0 /* DLL when DLAB */
#define UART_IER     1 /* DLM when DLAB */
#define UART_IIR_FCR 2
#define UART_LCR     3
#define UART_MCR     4
#define UART_LSR     5
#define UART_MSR     6
#define UART_SCR     7

#define IER_RDI	 0x01
#define IER_THRI 0x02
#define IER_MASK 0x0f

#define IIR_NO_INT 0x01
#define IIR_THRI   0x02
#define IIR_RDI	   0x04
#define IIR_FIFO   0xc0

#define FCR_ENABLE   0x01
#define FCR_CLEAR_RX 0x02

#define LCR_DLAB 0x80

#define MCR_DTR	 0x01
#define MCR_RTS	 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MCR_MASK 0x1f

#define LSR_DR	 0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI	0x40
#define MSR_DCD 0x80

#define RX_FIFO_SIZE 16

struct uart {
	const struct platform_ops *ops;
	unsigned int irq;
	pthread_mutex_t lock;
	uint8_t dll, dlm, ier, fcr, lcr, mcr, scr;
	bool thr_pending; /* THR-empty interrupt not yet acknowledged */
	bool irq_level;
	uint8_t rx[RX_FIFO_SIZE];
	unsigned int rx_head, rx_count;
};

struct uart *uart_new(const struct platform_ops *ops, unsigned int irq)
{
	struct uart *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->ops = ops;
	u->irq = irq;
	pthread_mutex_init(&u->lock, NULL);
	u->dll = 0x0c; /* 9600 baud, as after a BIOS reset */
	u->lcr = 0x03; /* 8N1 */
	u->mcr = MCR_OUT2;
	return u;
}

void uart_free(struct uart *u)
{
	if (!u)
		return;
	pthread_mutex_destroy(&u->lock);
	free(u);
}

static uint8_t compute_iir(const struct uart *u)
{
	uint8_t fifo = (u->fcr & FCR_ENABLE) ? IIR_FIFO : 0;

	if ((u->ier & IER_RDI) && u->rx_count)
		return fifo | IIR_RDI;
	if ((u->ier & IER_THRI) && u->thr_pending)
		return fifo | IIR_THRI;
	return fifo | IIR_NO_INT;
}

static void update_irq(struct uart *u)
{
	bool level = !(compute_iir(u) & IIR_NO_INT);

	if (level != u->irq_level) {
		u->irq_level = level;
		u->ops->irq_line(u->ops->opaque, u->irq, level);
	}
}

static void rx_push(struct uart *u, uint8_t c)
{
	if (u->rx_count == RX_FIFO_SIZE)
		return; /* overrun: the byte is lost, as on hardware */
	u->rx[(u->rx_head + u->rx_count++) % RX_FIFO_SIZE] = c;
}

static uint8_t rx_pop(struct uart *u)
{
	uint8_t c;

	if (!u->rx_count)
		return 0;
	c = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % RX_FIFO_SIZE;
	u->rx_count--;
	return c;
}

static uint8_t read_msr(const struct uart *u)
{
	if (!(u->mcr & MCR_LOOP))
		return MSR_DCD | MSR_DSR | MSR_CTS; /* a terminal is always attached */
	/* Loopback: the modem outputs appear on the inputs. */
	return (uint8_t)(((u->mcr & MCR_RTS) ? MSR_CTS : 0) | ((u->mcr & MCR_DTR) ? MSR_DSR : 0) |
			 ((u->mcr & MCR_OUT1) ? MSR_RI : 0) | ((u->mcr & MCR_OUT2) ? MSR_DCD : 0));
}

static uint8_t read_reg(struct uart *u, unsigned int reg)
{
	bool dlab = u->lcr & LCR_DLAB;
	uint8_t v;

	switch (reg) {
	case UART_RBR_THR:
		return dlab ? u->dll : rx_pop(u);
	case UART_IER:
		return dlab ? u->dlm : u->ier;
	case UART_IIR_FCR:
		v = compute_iir(u);
		/* Reading IIR acknowledges a THR-empty interrupt it reports. */
		if ((v & 0x0f) == IIR_THRI)
			u->thr_pending = false;
		return v;
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		return LSR_THRE | LSR_TEMT | (u->rx_count ? LSR_DR : 0);
	case UART_MSR:
		return read_msr(u);
	default:
		return u->scr;
	}
}

static void transmit(struct uart *u, uint8_t c)
{
	if (u->mcr & MCR_LOOP)
		rx_push(u, c);
	else if (u->ops->serial_out)
		u->ops->serial_out(u->ops->opaque, &c, 1);
	u->thr_pending = true; /* the THR is empty again at once */
}

static void write_reg(struct uart *u, unsigned int reg, uint8_t v)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (reg) {
	case UART_RBR_THR:
		if (dlab)
			u->dll = v;
		else
			transmit(u, v);
		break;
	case UART_IER:
		if (dlab) {
			u->dlm = v;
			break;
		}
		/* Enabling THRI while the THR is empty raises the interrupt. */
		if ((v & IER_THRI) && !(u->ier & IER_THRI))
			u->thr_pending = true;
		u->ier = v & IER_MASK;
		break;
	case UART_IIR_FCR:
		if (v & FCR_CLEAR_RX)
			u->rx_head = u->rx_count = 0;
		u->fcr = v & (FCR_ENABLE | 0xc0);
		break;
	case UART_LCR:
		u->lcr = v;
		break;
	case UART_MCR:
		u->mcr = v & MCR_MASK;
		break;
	case UART_SCR:
		u->scr = v;
		break;
	default:
		break; /* LSR and MSR are read-only */
	}
}

void uart_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct uart *u = opaque;

	if (offset >= 8)
		return;
	pthread_mutex_lock(&u->lock);
	/* Wider accesses touch consecutive registers, one byte each. */
	for (uint32_t i = 0; i < len && offset + i < 8; i++) {
		if (is_write)
			write_reg(u, (unsigned int)(offset + i), data[i]);
		else
			data[i] = read_reg(u, (unsigned int)(offset + i));
	}
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

size_t uart_receive(struct uart *u, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	pthread_mutex_lock(&u->lock);
	if (!(u->mcr & MCR_LOOP)) {
		while (n < len && u->rx_count < RX_FIFO_SIZE)
			rx_push(u, buf[n++]);
		update_irq(u);
	}
	pthread_mutex_unlock(&u->lock);
	return n;
}
