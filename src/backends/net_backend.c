// SPDX-License-Identifier: Apache-2.0
/* Backend selection and the small helpers every backend shares. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "backends/net.h"
#include "config/config.h"

void net_format_mac(char *buf, const uint8_t mac[6])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

int net_backend_open(struct loop *loop, struct net_config *cfg, const uint8_t mac[6],
		     const struct net_backend_cb *cb, void *opaque, struct net_backend **out)
{
	struct net_backend tmpl = {
		.loop = loop,
		.cb = cb,
		.opaque = opaque,
	};

	*out = NULL;
	net_format_mac(tmpl.mac_str, mac);
	switch (cfg->attachment) {
	case NET_NAT:
		return net_slirp_open(&tmpl, cfg, out);
	case NET_FD:
	case NET_UNIXGRAM:
		return net_dgram_open(&tmpl, cfg, out);
	}
	return -EINVAL;
}

void net_backend_close(struct net_backend *be)
{
	if (be)
		be->ops->close(be);
}

const struct net_backend_info *net_backend_info(const struct net_backend *be)
{
	return &be->info;
}

int net_backend_send(struct net_backend *be, const uint8_t *frame, size_t len)
{
	if (len > be->info.max_frame)
		return -EMSGSIZE;
	return be->ops->send(be, frame, len);
}

void net_backend_flush(struct net_backend *be)
{
	if (be->ops->flush)
		be->ops->flush(be);
}

void net_backend_rx_resume(struct net_backend *be)
{
	be->ops->rx_resume(be);
}
