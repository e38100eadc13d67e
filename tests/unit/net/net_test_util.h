/* SPDX-License-Identifier: Apache-2.0 */
/* Frame builders and a loop runner shared by the net unit tests. */
#ifndef VFKIT_TEST_NET_UTIL_H
#define VFKIT_TEST_NET_UTIL_H

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmm/loop.h"
#include "virtio/net_offload.h"

/* A dotted-quad IPv4 address in network order. */
static inline uint32_t ip4(const char *s)
{
	uint32_t a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static inline void put16be(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint16_t get16be(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Ethernet + IPv4 + UDP around payload; returns the frame length. */
static inline size_t build_udp(uint8_t *f, const uint8_t dst_mac[6], const uint8_t src_mac[6],
			       uint32_t src_ip, uint32_t dst_ip, uint16_t sport, uint16_t dport,
			       const uint8_t *payload, size_t plen)
{
	uint8_t *ip = f + 14, *udp = ip + 20;

	memcpy(f, dst_mac, 6);
	memcpy(f + 6, src_mac, 6);
	put16be(f + 12, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16be(ip + 2, (uint16_t)(20 + 8 + plen));
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, &src_ip, 4);
	memcpy(ip + 16, &dst_ip, 4);
	put16be(ip + 10, net_csum_fold(net_csum_add(0, ip, 20)));
	put16be(udp, sport);
	put16be(udp + 2, dport);
	put16be(udp + 4, (uint16_t)(8 + plen));
	put16be(udp + 6, 0); /* no UDP checksum (allowed for IPv4) */
	memcpy(udp + 8, payload, plen);
	return 14 + 20 + 8 + plen;
}

/* A BOOTP message with DHCP message type mtype (op 1 request / 2 reply). */
static inline size_t build_bootp(uint8_t *b, uint8_t op, uint8_t mtype, const uint8_t mac[6],
				 uint32_t yiaddr, uint32_t xid)
{
	static const uint8_t cookie[4] = {99, 130, 83, 99};
	size_t n = 240;

	memset(b, 0, 300);
	b[0] = op;
	b[1] = 1;
	b[2] = 6;
	memcpy(b + 4, &xid, 4);
	put16be(b + 10, 0x8000); /* broadcast flag */
	memcpy(b + 16, &yiaddr, 4);
	memcpy(b + 28, mac, 6);
	memcpy(b + 236, cookie, 4);
	b[n++] = 53;
	b[n++] = 1;
	b[n++] = mtype;
	b[n++] = 255;
	while (n < 300)
		b[n++] = 0;
	return n;
}

/*
 * loop_quit() is final for a loop, so a test runs it once and drives its
 * phases from a 5 ms tick: step(opaque, phase) returns the next phase, or
 * -1 when the test is done. Returns the last phase (>= 0 means timed out).
 */
typedef int (*test_step_fn)(void *opaque, int phase);

struct test_ticker {
	int fd;
	struct loop *loop;
	test_step_fn step;
	void *opaque;
	int phase;
	int ticks_left;
};

static inline void test_tick(void *opaque, uint32_t ev)
{
	struct test_ticker *t = opaque;
	uint64_t n;

	(void)ev;
	if (read(t->fd, &n, sizeof(n)) < 0)
		return;
	if (t->phase >= 0)
		t->phase = t->step(t->opaque, t->phase);
	if (t->phase < 0 || --t->ticks_left <= 0)
		loop_quit(t->loop);
}

static inline int run_loop_steps(struct loop *loop, test_step_fn step, void *opaque, int ms)
{
	struct test_ticker t = {.loop = loop, .step = step, .opaque = opaque, .ticks_left = ms / 5};
	struct itimerspec its = {.it_value = {0, 5000000L}, .it_interval = {0, 5000000L}};

	t.fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	timerfd_settime(t.fd, 0, &its, NULL);
	loop_add(loop, t.fd, 1 /* EPOLLIN */, test_tick, &t);
	loop_run(loop);
	loop_remove(loop, t.fd);
	close(t.fd);
	return t.phase;
}

#endif
