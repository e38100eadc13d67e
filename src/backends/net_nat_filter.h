/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The nat backend's address plan and the filter that every guest frame
 * passes before libslirp sees it (net_nat_filter.c). Pure functions, so the
 * unit tests and fuzzers call them directly.
 */
#ifndef VFKIT_BACKENDS_NET_NAT_FILTER_H
#define VFKIT_BACKENDS_NET_NAT_FILTER_H

#include <stddef.h>
#include <stdint.h>

/* IPv4 addresses in host byte order. */
#define NAT_NET		0xc0a84000u /* 192.168.64.0/24, as macOS vmnet shared mode */
#define NAT_MASK	0xffffff00u
#define NAT_GATEWAY	0xc0a84001u /* 192.168.64.1: slirp's DHCP server, ARP, ping */
#define NAT_DNS		0xc0a840feu /* 192.168.64.254: forwarded to the host's resolver */
#define NAT_DHCP_START	0xc0a84002u /* 192.168.64.2: the guest's lease */
#define NAT_DNS_PORT	53
#define NAT_DHCP_SERVER 67

/*
 * NULL when libslirp may process this frame from the guest, else why it
 * must not (for a rate-limited log line). Safe on any input.
 */
const char *nat_guest_frame_refusal(const uint8_t *frame, size_t len);

#endif
