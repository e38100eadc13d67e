/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Who may talk to a TCP REST listener: a web page in the user's browser can
 * reach 127.0.0.1 too. DNS rebinding (a foreign name resolving to loopback)
 * shows as a foreign Host; a cross-site form or fetch (CSRF, e.g. a text/plain
 * POST that stops the VM) carries a foreign Origin or Sec-Fetch-Site:
 * cross-site. Real clients (podman, minikube, CRC, curl) send a loopback or
 * IP-literal Host and no Origin, so they never notice.
 * A unix socket cannot be reached by a browser: everything is accepted there
 * (Go clients send Host "d", "unix" or the socket path).
 */
#ifndef VFKIT_REST_ORIGIN_H
#define VFKIT_REST_ORIGIN_H

#include <stdbool.h>

#include "api/http_parse.h"
#include "config/config.h"

struct rest_origin_policy {
	bool check;	 /* false for a unix socket */
	bool any_ip;	 /* bound to every interface: any IP-literal Host */
	int port;	 /* the listener's port, for Origin */
	char bound[256]; /* the host the user bound (IPv6 without []), "" if none */
};

/* The policy for a listener configured as rc whose port turned out to be port. */
void rest_origin_policy_init(struct rest_origin_policy *pol, const struct rest_config *rc,
			     int port);

/*
 * 0 if req may be served, else 403 and *why (a fixed message: the header's
 * value is never echoed to the client).
 */
unsigned int rest_origin_check(const struct rest_origin_policy *pol, const struct http_request *req,
			       const char **why);

#endif
