// SPDX-License-Identifier: Apache-2.0
/* --device virtio-net (reference 5.6; a bare virtio-net means nat, per the seed). */
#include <stdlib.h>
#include <string.h>

#include "config/cli_internal.h"
#include "util/hex.h"

static int hex_bytes(const char *s, uint8_t *out, size_t nbytes)
{
	size_t i;

	for (i = 0; i < nbytes; i++) {
		int hi = hex_digit_value(s[2 * i]),
		    lo = hi < 0 ? -1 : hex_digit_value(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* 00:11:22:33:44:55, 00-11-22-33-44-55 or 0011.2233.4455 (Go's net.ParseMAC, 6 octets). */
int parse_mac(const char *s, uint8_t mac[6])
{
	size_t len = strlen(s), i;

	if (len == 17 && (s[2] == ':' || s[2] == '-')) {
		for (i = 0; i < 6; i++) {
			if (i < 5 && s[3 * i + 2] != s[2])
				return -1;
			if (hex_bytes(s + 3 * i, &mac[i], 1))
				return -1;
		}
		return 0;
	}
	if (len == 14 && s[4] == '.' && s[9] == '.') {
		for (i = 0; i < 3; i++)
			if (hex_bytes(s + 5 * i, &mac[2 * i], 2))
				return -1;
		return 0;
	}
	return -1;
}

struct net_opts {
	bool nat, fd_set, type_set, path_key, offloading_key;
	const char *first_needs_type; /* "path" or "offloading", whichever came first */
};

static int set_path(struct net_config *net, const char *value, char *err, size_t errlen)
{
	char *copy = value[0] ? strdup(value) : NULL;

	if (value[0] && !copy)
		return cli_err(err, errlen, "out of memory");
	free(net->socket_path);
	net->socket_path = copy;
	return 0;
}

static int net_option(struct net_config *net, struct net_opts *o, const char *key,
		      const char *value, char *err, size_t errlen)
{
	enum num_error e;
	int64_t fd;

	if (!strcmp(key, "nat")) {
		if (value[0])
			return cli_err(err, errlen,
				       "unexpected value for virtio-net 'nat' option: %s", value);
		o->nat = true;
	} else if (!strcmp(key, "mac")) {
		if (!value[0])
			return cli_err(err, errlen, "invalid MAC address");
		if (parse_mac(value, net->mac))
			return cli_err(err, errlen, "address %s: invalid MAC address", value);
		net->has_mac = true;
	} else if (!strcmp(key, "fd")) {
		e = go_parse_int(value, 10, 64, &fd);
		if (e != NUM_OK)
			return go_num_err(err, errlen, "Atoi", value, e);
		if (fd < 0 || fd > INT32_MAX)
			return cli_err(err, errlen, "invalid file descriptor: %s", value);
		net->fd = (int)fd;
		o->fd_set = true;
	} else if (!strcmp(key, "unixSocketPath")) {
		return set_path(net, value, err, errlen);
	} else if (!strcmp(key, "path")) {
		if (!o->first_needs_type)
			o->first_needs_type = "path";
		return set_path(net, value, err, errlen);
	} else if (!strcmp(key, "type")) {
		if (strcmp(value, "unixgram"))
			return cli_err(
				err, errlen,
				"unsupported virtio-net type: %s (only 'unixgram' is supported)",
				value);
		o->type_set = true;
	} else if (!strcmp(key, "vfkitMagic")) {
		if (strcmp(value, "on") && strcmp(value, "off"))
			return cli_err(err, errlen,
				       "invalid value for vfkitMagic: %s (expected on/off)", value);
		net->vfkit_magic = !strcmp(value, "on");
	} else if (!strcmp(key, "offloading")) {
		if (strcmp(value, "off"))
			return cli_err(err, errlen,
				       "invalid value for offloading: %s (only 'off' is supported)",
				       value);
		if (!o->first_needs_type)
			o->first_needs_type = "offloading";
		net->offloading_off = true;
	} else {
		return cli_err(err, errlen, "unknown option for virtio-net devices: %s", key);
	}
	return 0;
}

static bool has_socket_key(const struct strvec *items)
{
	size_t i;

	for (i = 0; i < items->n; i++) {
		const char *s = items->v[i];

		if (!strncmp(s, "path", 4) && (s[4] == '=' || !s[4]))
			return true;
		if (!strncmp(s, "unixSocketPath", 14) && (s[14] == '=' || !s[14]))
			return true;
	}
	return false;
}

int dev_parse_net(struct device_config *dev, struct strvec *items, char *err, size_t errlen)
{
	struct net_config *net = &dev->net;
	struct net_opts o = {0};
	size_t i;

	net->fd = -1;
	net->vfkit_magic = has_socket_key(items);
	for (i = 0; i < items->n; i++) {
		char *key, *value;

		optlist_kv(items->v[i], &key, &value);
		if (net_option(net, &o, key, value, err, errlen))
			return -1;
	}
	if (o.type_set && !net->socket_path)
		return cli_err(err, errlen, "'type' option requires 'path' to be specified");
	if (o.first_needs_type && !o.type_set)
		return cli_err(err, errlen, "'%s' option requires 'type' to be specified",
			       o.first_needs_type);
	if (o.nat && o.fd_set)
		return cli_err(err, errlen, "'nat' and 'fd' cannot be set at the same time");
	if (o.nat && net->socket_path)
		return cli_err(err, errlen,
			       "'nat' and 'unixSocketPath' cannot be set at the same time");
	if (o.fd_set && net->socket_path)
		return cli_err(err, errlen,
			       "'fd' and 'unixSocketPath' cannot be set at the same time");
	net->nat_given = o.nat;
	if (o.fd_set)
		net->attachment = NET_FD;
	else if (net->socket_path)
		net->attachment = NET_UNIXGRAM;
	else
		net->attachment = NET_NAT; /* the seed: nat is the default */
	return 0;
}
