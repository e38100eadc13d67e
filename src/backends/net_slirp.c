// SPDX-License-Identifier: Apache-2.0
/*
 * nat: user-mode NAT through libslirp. The guest network is 192.168.64.0/24,
 * the range macOS vmnet's shared mode gives vfkit users: the gateway is
 * 192.168.64.1 and the guest gets 192.168.64.2 by DHCP (slirp's pool is 16
 * addresses from there). DNS queries to 192.168.64.254 are forwarded to the
 * host's resolver (slirp cannot serve DNS on the gateway address). IPv4
 * only; no inbound connections. The guest never reaches the host's loopback:
 * see net_nat_filter.c for what it can reach.
 *
 * Integration with the epoll loop: slirp wants poll()-style cycles
 * (slirp_pollfds_fill, poll, slirp_pollfds_poll). Its sockets are mirrored
 * into a private epoll fd that sits on the main loop; when it fires, or when
 * the cycle timer expires, or after the guest sent frames, one cycle runs
 * with a zero-timeout poll() over the full set, so a stale epoll entry can
 * only delay a socket until the next timer tick. slirp's own timers share a
 * second timerfd.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <slirp/libslirp.h>

#include "backends/net.h"
#include "backends/net_nat_filter.h"
#include "config/config.h"
#include "util/log.h"
#include "vmm/loop.h"

#define SLIRP_MTU 1500
/*
 * fuzz_nat_frames compiles this file with VFKIT_FUZZ_NO_OUTBOUND: slirp's
 * restricted mode then opens no host sockets for guest traffic, so the
 * fuzzer never sends anything off the machine.
 */
#ifdef VFKIT_FUZZ_NO_OUTBOUND
#define SLIRP_RESTRICTED 1
#else
#define SLIRP_RESTRICTED 0
#endif
#define MAX_CYCLE_MS 500u /* upper bound on the wait between cycles */
#define RXQ_MAX	     512  /* frames kept while the guest has no buffers */

struct slirp_timer {
	SlirpTimerId id;
	void *cb_opaque;
	int64_t expire_ms; /* -1: not armed */
	struct slirp_timer *next;
};

struct rx_frame {
	struct rx_frame *next;
	size_t len;
	uint8_t data[];
};

struct nat {
	struct net_backend be;
	Slirp *slirp;
	int epfd;      /* slirp's sockets, watched by the loop as one fd */
	int cycle_tfd; /* wakes a cycle after slirp's requested timeout */
	int timer_tfd; /* slirp timers */
	struct slirp_timer *timers;

	/* Mirror of the epoll registrations: events per fd, 0 = absent. */
	uint32_t *fd_events;
	size_t fd_cap;
	/* The poll set of the current cycle. */
	struct pollfd *pfds;
	size_t npfds, pfd_cap;
	bool *seen;

	/* Frames for the guest that it could not take yet, oldest first. */
	struct rx_frame *rxq_head, **rxq_tail;
	unsigned int rxq_len;
	bool rx_blocked;
	bool pump_queued;
	bool in_cycle;
};

static int64_t clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* --- frames to the guest --- */

static bool rxq_push(struct nat *n, const void *buf, size_t len)
{
	struct rx_frame *f;

	if (n->rxq_len >= RXQ_MAX)
		return false; /* dropped: TCP retransmits at a lower pace */
	f = malloc(sizeof(*f) + len);
	if (!f)
		return false;
	f->next = NULL;
	f->len = len;
	memcpy(f->data, buf, len);
	*n->rxq_tail = f;
	n->rxq_tail = &f->next;
	n->rxq_len++;
	return true;
}

/* Delivers queued frames until the guest is full. Loop context only. */
static void rxq_drain(struct nat *n)
{
	while (n->rxq_head && !n->rx_blocked) {
		struct rx_frame *f = n->rxq_head;

		if (!n->be.cb->rx(n->be.opaque, f->data, f->len)) {
			n->rx_blocked = true;
			break;
		}
		n->rxq_head = f->next;
		if (!n->rxq_head)
			n->rxq_tail = &n->rxq_head;
		n->rxq_len--;
		free(f);
	}
}

static void nat_schedule_pump(struct nat *n);

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
	struct nat *n = opaque;

	if (len < NET_ETH_HLEN)
		return (ssize_t)len;
	if (!n->in_cycle) {
		/* From slirp_input, inside the device's tx path (its lock held). */
		rxq_push(n, buf, len);
		nat_schedule_pump(n);
		return (ssize_t)len;
	}
	if (!n->rxq_head && !n->rx_blocked) {
		if (n->be.cb->rx(n->be.opaque, buf, len))
			return (ssize_t)len;
		n->rx_blocked = true; /* until the device calls rx_resume */
	}
	rxq_push(n, buf, len); /* behind older frames, to keep the order */
	return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
	(void)opaque;
	log_ratelimited(LOG_LEVEL_WARN, "virtio-net: nat: %s", msg);
}

static int64_t cb_clock_get_ns(void *opaque)
{
	(void)opaque;
	return clock_ns();
}

/* --- slirp timers --- */

static void timers_rearm(struct nat *n)
{
	int64_t first = -1;
	struct itimerspec its = {0};

	for (struct slirp_timer *t = n->timers; t; t = t->next)
		if (t->expire_ms >= 0 && (first < 0 || t->expire_ms < first))
			first = t->expire_ms;
	if (first >= 0) {
		int64_t ns = first * 1000000LL;

		if (ns <= 0)
			ns = 1;
		its.it_value.tv_sec = ns / 1000000000LL;
		its.it_value.tv_nsec = ns % 1000000000LL;
	}
	timerfd_settime(n->timer_tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	struct nat *n = opaque;
	struct slirp_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->id = id;
	t->cb_opaque = cb_opaque;
	t->expire_ms = -1;
	t->next = n->timers;
	n->timers = t;
	return t;
}

static void cb_timer_free(void *timer, void *opaque)
{
	struct nat *n = opaque;

	for (struct slirp_timer **p = &n->timers; *p; p = &(*p)->next) {
		if (*p == timer) {
			*p = ((struct slirp_timer *)timer)->next;
			free(timer);
			break;
		}
	}
	timers_rearm(n);
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	struct slirp_timer *t = timer;

	t->expire_ms = expire_ms < 0 ? 0 : expire_ms;
	timers_rearm(opaque);
}

static void nat_timer_event(void *opaque, uint32_t events)
{
	struct nat *n = opaque;
	uint64_t ticks;
	int64_t now_ms = clock_ns() / 1000000LL;
	bool fired;

	(void)events;
	if (read(n->timer_tfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		return;
	n->in_cycle = true;
	do {
		fired = false;
		for (struct slirp_timer *t = n->timers; t; t = t->next) {
			if (t->expire_ms >= 0 && t->expire_ms <= now_ms) {
				t->expire_ms = -1;
				slirp_handle_timer(n->slirp, t->id, t->cb_opaque);
				fired = true;
				break; /* the list may have changed */
			}
		}
	} while (fired);
	n->in_cycle = false;
	timers_rearm(n);
}

/* --- socket polling --- */

static void fdtab_set(struct nat *n, int fd, uint32_t ev)
{
	struct epoll_event e = {.events = ev, .data.fd = fd};
	uint32_t cur = (size_t)fd < n->fd_cap ? n->fd_events[fd] : 0;

	if (cur == ev)
		return;
	if (!ev) {
		epoll_ctl(n->epfd, EPOLL_CTL_DEL, fd, NULL);
	} else if (epoll_ctl(n->epfd, cur ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &e) < 0) {
		/* The table was stale (fd closed and reused): try the other op. */
		if (epoll_ctl(n->epfd, cur ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &e) < 0)
			ev = 0;
	}
	if ((size_t)fd < n->fd_cap)
		n->fd_events[fd] = ev;
}

static bool fdtab_reserve(struct nat *n, int fd)
{
	size_t cap = n->fd_cap ? n->fd_cap : 64;
	uint32_t *tab;
	bool *seen;

	if ((size_t)fd < n->fd_cap)
		return true;
	while (cap <= (size_t)fd)
		cap *= 2;
	tab = realloc(n->fd_events, cap * sizeof(*tab));
	if (!tab)
		return false;
	n->fd_events = tab;
	seen = realloc(n->seen, cap * sizeof(*seen));
	if (!seen)
		return false;
	n->seen = seen;
	memset(tab + n->fd_cap, 0, (cap - n->fd_cap) * sizeof(*tab));
	memset(seen + n->fd_cap, 0, (cap - n->fd_cap) * sizeof(*seen));
	n->fd_cap = cap;
	return true;
}

static void cb_register_poll_fd(int fd, void *opaque)
{
	(void)fd;
	(void)opaque; /* registered on demand by the next fill */
}

static void cb_unregister_poll_fd(int fd, void *opaque)
{
	struct nat *n = opaque;

	if (fd >= 0)
		fdtab_set(n, fd, 0);
}

static void cb_notify(void *opaque)
{
	nat_schedule_pump(opaque);
}

static int add_poll(int fd, int events, void *opaque)
{
	struct nat *n = opaque;
	short pev = 0;

	if (fd < 0 || !fdtab_reserve(n, fd))
		return -1;
	if (n->npfds == n->pfd_cap) {
		size_t cap = n->pfd_cap ? n->pfd_cap * 2 : 64;
		struct pollfd *p = realloc(n->pfds, cap * sizeof(*p));

		if (!p)
			return -1;
		n->pfds = p;
		n->pfd_cap = cap;
	}
	if (events & SLIRP_POLL_IN)
		pev |= POLLIN;
	if (events & SLIRP_POLL_OUT)
		pev |= POLLOUT;
	if (events & SLIRP_POLL_PRI)
		pev |= POLLPRI;
	n->pfds[n->npfds] = (struct pollfd){.fd = fd, .events = pev};
	return (int)n->npfds++;
}

static int get_revents(int idx, void *opaque)
{
	struct nat *n = opaque;
	short r;
	int ev = 0;

	if (idx < 0 || (size_t)idx >= n->npfds)
		return 0;
	r = n->pfds[idx].revents;
	if (r & POLLIN)
		ev |= SLIRP_POLL_IN;
	if (r & POLLOUT)
		ev |= SLIRP_POLL_OUT;
	if (r & POLLPRI)
		ev |= SLIRP_POLL_PRI;
	if (r & (POLLERR | POLLNVAL))
		ev |= SLIRP_POLL_ERR;
	if (r & POLLHUP)
		ev |= SLIRP_POLL_HUP;
	return ev;
}

/* Asks slirp what to watch, mirrors it into epfd, arms the cycle timer. */
static void nat_fill(struct nat *n)
{
	uint32_t timeout = MAX_CYCLE_MS;
	struct itimerspec its = {0};

	n->npfds = 0;
	slirp_pollfds_fill(n->slirp, &timeout, add_poll, n);
	if (timeout > MAX_CYCLE_MS)
		timeout = MAX_CYCLE_MS;
	for (size_t i = 0; i < n->npfds; i++) {
		uint32_t ev = 0;

		if (n->pfds[i].events & (POLLIN | POLLPRI))
			ev |= EPOLLIN | EPOLLPRI;
		if (n->pfds[i].events & POLLOUT)
			ev |= EPOLLOUT;
		fdtab_set(n, n->pfds[i].fd, ev ? ev : EPOLLIN);
		n->seen[n->pfds[i].fd] = true;
	}
	for (size_t fd = 0; fd < n->fd_cap; fd++) {
		if (n->fd_events[fd] && !n->seen[fd])
			fdtab_set(n, (int)fd, 0);
		n->seen[fd] = false;
	}
	its.it_value.tv_sec = timeout / 1000;
	its.it_value.tv_nsec = (long)(timeout % 1000) * 1000000L;
	if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
		its.it_value.tv_nsec = 1;
	timerfd_settime(n->cycle_tfd, 0, &its, NULL);
}

/* One poll cycle: what is ready now, slirp's work on it, the next set. */
static void nat_cycle(struct nat *n)
{
	int ready = n->npfds ? poll(n->pfds, n->npfds, 0) : 0;

	n->in_cycle = true;
	slirp_pollfds_poll(n->slirp, ready < 0, get_revents, n);
	n->in_cycle = false;
	nat_fill(n);
}

static void nat_pump(struct nat *n)
{
	n->in_cycle = true;
	rxq_drain(n);
	n->in_cycle = false;
	nat_cycle(n);
}

static void nat_pump_call(void *opaque)
{
	struct nat *n = opaque;

	n->pump_queued = false;
	nat_pump(n);
}

static void nat_schedule_pump(struct nat *n)
{
	if (n->pump_queued)
		return;
	n->pump_queued = true;
	if (loop_call(n->be.loop, nat_pump_call, n) < 0)
		n->pump_queued = false;
}

static void nat_sockets_event(void *opaque, uint32_t events)
{
	struct nat *n = opaque;
	struct epoll_event evs[16];

	(void)events;
	/* Only drains the wake-up; the cycle polls the whole set itself. */
	epoll_wait(n->epfd, evs, 16, 0);
	nat_cycle(n);
}

static void nat_cycle_timer_event(void *opaque, uint32_t events)
{
	struct nat *n = opaque;
	uint64_t ticks;

	(void)events;
	if (read(n->cycle_tfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		return;
	nat_cycle(n);
}

/* --- backend ops --- */

/*
 * IPv4 refusals name what the guest aimed at. Broadcasts (service discovery)
 * are only worth a debug line, other protocols (IPv6 chatter) none.
 */
static void nat_log_refusal(const uint8_t *frame, size_t len, const char *why)
{
	char dst[INET_ADDRSTRLEN] = "?";
	uint32_t to;

	if (len < NET_ETH_HLEN + 20 || frame[12] != 0x08 || frame[13] != 0x00)
		return;
	memcpy(&to, frame + NET_ETH_HLEN + 16, 4);
	inet_ntop(AF_INET, &to, dst, sizeof(dst));
	to = ntohl(to);
	if (to == 0xffffffffu || to == (NAT_NET | ~NAT_MASK))
		log_ratelimited(LOG_LEVEL_DEBUG,
				"virtio-net: nat: dropped a guest broadcast to %s: %s", dst, why);
	else
		log_ratelimited(LOG_LEVEL_WARN, "virtio-net: nat: dropped a guest packet to %s: %s",
				dst, why);
}

static int nat_send(struct net_backend *be, const uint8_t *frame, size_t len)
{
	struct nat *n = (struct nat *)be;
	const char *why = nat_guest_frame_refusal(frame, len);

	if (why) {
		nat_log_refusal(frame, len, why);
		return 0; /* dropped on purpose, as a router would */
	}
	slirp_input(n->slirp, frame, (int)len);
	return 0;
}

static void nat_flush(struct net_backend *be)
{
	nat_schedule_pump((struct nat *)be);
}

static void nat_rx_resume(struct net_backend *be)
{
	struct nat *n = (struct nat *)be;

	n->rx_blocked = false;
	nat_schedule_pump(n);
}

static void nat_close(struct net_backend *be)
{
	struct nat *n = (struct nat *)be;
	int fds[] = {n->epfd, n->cycle_tfd, n->timer_tfd};

	if (n->slirp)
		slirp_cleanup(n->slirp);
	while (n->timers) {
		struct slirp_timer *t = n->timers;

		n->timers = t->next;
		free(t);
	}
	while (n->rxq_head) {
		struct rx_frame *f = n->rxq_head;

		n->rxq_head = f->next;
		free(f);
	}
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (fds[i] >= 0) {
			loop_remove(be->loop, fds[i]);
			close(fds[i]);
		}
	}
	free(n->fd_events);
	free(n->seen);
	free(n->pfds);
	free(n);
}

static const struct net_backend_ops nat_ops = {
	.send = nat_send,
	.flush = nat_flush,
	.rx_resume = nat_rx_resume,
	.close = nat_close,
};

static const SlirpCb nat_callbacks = {
	.send_packet = cb_send_packet,
	.guest_error = cb_guest_error,
	.clock_get_ns = cb_clock_get_ns,
	.timer_free = cb_timer_free,
	.timer_mod = cb_timer_mod,
	.register_poll_fd = cb_register_poll_fd,
	.unregister_poll_fd = cb_unregister_poll_fd,
	.notify = cb_notify,
	.timer_new_opaque = cb_timer_new_opaque,
};

static Slirp *nat_new_slirp(struct nat *n)
{
	SlirpConfig sc = {
		.version = 4,
		.restricted = SLIRP_RESTRICTED,
		.in_enabled = true,
		.in6_enabled = false,
		.if_mtu = SLIRP_MTU,
		.if_mru = SLIRP_MTU,
		/* The gateway and unused NAT addresses are not 127.0.0.1. */
		.disable_host_loopback = true,
		.enable_emu = false,
	};

	sc.vnetwork.s_addr = htonl(NAT_NET);
	sc.vnetmask.s_addr = htonl(NAT_MASK);
	sc.vhost.s_addr = htonl(NAT_GATEWAY);
	sc.vnameserver.s_addr = htonl(NAT_DNS);
	sc.vdhcp_start.s_addr = htonl(NAT_DHCP_START);
	return slirp_new(&sc, &nat_callbacks, n);
}

int net_slirp_open(const struct net_backend *tmpl, struct net_config *cfg, struct net_backend **out)
{
	struct nat *n = calloc(1, sizeof(*n));
	int ret = 0;

	(void)cfg;
	if (!n)
		return -ENOMEM;
	n->be = *tmpl;
	n->be.ops = &nat_ops;
	n->be.info = (struct net_backend_info){
		.kind = "nat",
		.mtu = SLIRP_MTU,
		/*
		 * slirp's TCP takes segments larger than its MSS and writes
		 * them to the host socket in one go, so the guest's TSO
		 * frames are passed whole instead of cut into 1500-byte ones.
		 */
		.max_frame = NET_MAX_FRAME_TSO,
		.trusted_csum = true,
		.dhcp_server = htonl(NAT_GATEWAY), /* slirp's bootp replies come from vhost */
	};
	n->rxq_tail = &n->rxq_head;
	n->epfd = epoll_create1(EPOLL_CLOEXEC);
	n->cycle_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	n->timer_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (n->epfd < 0 || n->cycle_tfd < 0 || n->timer_tfd < 0)
		ret = -errno;
	if (!ret && (ret = loop_add(n->be.loop, n->epfd, EPOLLIN, nat_sockets_event, n)) == 0 &&
	    (ret = loop_add(n->be.loop, n->cycle_tfd, EPOLLIN, nat_cycle_timer_event, n)) == 0)
		ret = loop_add(n->be.loop, n->timer_tfd, EPOLLIN, nat_timer_event, n);
	if (!ret) {
		n->slirp = nat_new_slirp(n);
		if (!n->slirp)
			ret = -ENOMEM;
	}
	if (ret) {
		log_error("virtio-net: cannot start the NAT: %s", strerror(-ret));
		nat_close(&n->be);
		return ret;
	}
	nat_fill(n);
	log_info("virtio-net: nat: guest network 192.168.64.0/24, gateway 192.168.64.1, "
		 "DNS 192.168.64.254; host loopback unreachable");
	*out = &n->be;
	return 0;
}
