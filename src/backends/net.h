/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Network backends: where the guest's Ethernet frames go. The device model
 * (virtio/net.c) sends frames and receives them through this interface and
 * never knows which backend it talks to:
 *   nat            user-mode NAT through libslirp (net_slirp.c)
 *   fd=N           an inherited connected datagram socket (net_dgram.c)
 *   unixSocketPath a unix datagram socket connected to a peer such as
 *                  gvproxy in vfkit mode (net_dgram.c)
 * Frames are plain Ethernet frames without FCS and without a virtio header.
 *
 * Threads: everything runs on the loop thread. The backend never calls back
 * into the device from inside net_backend_send(), net_backend_rx_resume() or
 * net_backend_flush() (the device may hold its lock there); callbacks come
 * from the backend's own loop handlers.
 */
#ifndef VFKIT_BACKENDS_NET_H
#define VFKIT_BACKENDS_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;
struct net_config;
struct net_backend;

/* Largest frame a backend delivers or accepts without segmentation. */
#define NET_ETH_HLEN	  14
#define NET_MTU_DEFAULT	  1500
#define NET_MAX_FRAME_STD (NET_ETH_HLEN + 4 + NET_MTU_DEFAULT) /* with a VLAN tag */
#define NET_MAX_FRAME_TSO (NET_ETH_HLEN + 4 + 65535)	       /* a whole TSO frame */

struct net_backend_cb {
	/*
	 * A frame for the guest. Return true when it was taken (or dropped on
	 * purpose), false when the guest has no receive buffers: the backend
	 * keeps the frame and delivers nothing more until net_backend_rx_resume().
	 */
	bool (*rx)(void *opaque, const uint8_t *frame, size_t len);
	/* After net_backend_send() returned -EAGAIN: sending is possible again. */
	void (*tx_resume)(void *opaque);
};

struct net_backend_info {
	const char *kind;     /* "nat", "fd", "unixgram" */
	unsigned int mtu;     /* IP MTU to announce to the guest */
	size_t max_frame;     /* longest frame net_backend_send() accepts */
	bool trusted_csum;    /* delivered frames carry correct checksums (local stack) */
	uint32_t dhcp_server; /* its DHCP server's IPv4 address (network order), 0: unknown */
};

/*
 * Opens the backend that cfg selects. mac is the guest's MAC (for logs).
 * Startup errors are logged with the reason ("the fileHandle must be a
 * datagram socket", connect failures) and returned as -errno.
 */
int net_backend_open(struct loop *loop, struct net_config *cfg, const uint8_t mac[6],
		     const struct net_backend_cb *cb, void *opaque, struct net_backend **out);

/* Closes sockets, removes a local socket file, frees be (NULL is fine). */
void net_backend_close(struct net_backend *be);

const struct net_backend_info *net_backend_info(const struct net_backend *be);

/*
 * Sends one frame (len <= info.max_frame). 0 when sent or deliberately
 * dropped (peer gone: the VM keeps running), -EAGAIN when the backend is
 * full: nothing was sent, retry after cb->tx_resume. Other -errno: dropped.
 */
int net_backend_send(struct net_backend *be, const uint8_t *frame, size_t len);

/* End of a burst of sends: lets a backend process what it was given. */
void net_backend_flush(struct net_backend *be);

/* The guest has receive buffers again after cb->rx returned false. */
void net_backend_rx_resume(struct net_backend *be);

/* --- helpers shared by backends (net_backend.c) --- */

struct net_backend_ops {
	int (*send)(struct net_backend *be, const uint8_t *frame, size_t len);
	void (*flush)(struct net_backend *be);
	void (*rx_resume)(struct net_backend *be);
	void (*close)(struct net_backend *be);
};

struct net_backend {
	const struct net_backend_ops *ops;
	struct net_backend_info info;
	struct loop *loop;
	const struct net_backend_cb *cb;
	void *opaque;
	char mac_str[18];
};

/*
 * Each backend allocates its own state with struct net_backend first,
 * copies *tmpl into it and fills info and ops.
 */
int net_slirp_open(const struct net_backend *tmpl, struct net_config *cfg,
		   struct net_backend **out);
int net_dgram_open(const struct net_backend *tmpl, struct net_config *cfg,
		   struct net_backend **out);

/* "52:54:00:12:34:56" into buf (>= 18 bytes). */
void net_format_mac(char *buf, const uint8_t mac[6]);

/*
 * If frame is a DHCPACK from a server (UDP 67 -> 68, BOOTP reply, option 53
 * = 5), stores the assigned address (yiaddr, network order) and the client
 * MAC (chaddr) and returns true. Safe on any input.
 */
bool net_dhcp_parse_ack(const uint8_t *frame, size_t len, uint32_t *yiaddr, uint8_t chaddr[6]);

/*
 * Which DHCPACK may publish the guest's address: one for mac, answering a
 * transaction the guest started, from server (network order; 0 when the
 * backend cannot know its DHCP server). See net_dhcp.c. Not thread-safe:
 * the device calls it under its lock.
 */
#define DHCP_SNOOP_XIDS 4 /* transactions remembered (DISCOVER and REQUEST, retries) */

struct dhcp_snoop {
	uint8_t mac[6];
	uint32_t server;
	uint32_t xids[DHCP_SNOOP_XIDS];
	unsigned int nxids, next_xid;
};

void dhcp_snoop_init(struct dhcp_snoop *s, const uint8_t mac[6], uint32_t server);

/* A frame the guest sent: remembers the xid of its DHCPDISCOVER or DHCPREQUEST. */
void dhcp_snoop_guest_frame(struct dhcp_snoop *s, const uint8_t *frame, size_t len);

/* A frame for the guest: true with *yiaddr when it is an acceptable DHCPACK. */
bool dhcp_snoop_peer_frame(struct dhcp_snoop *s, const uint8_t *frame, size_t len,
			   uint32_t *yiaddr);

#endif
