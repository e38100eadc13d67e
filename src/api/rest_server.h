/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP side of the REST API: listening sockets (rest_listen.c) and our
 * own HTTP/1.1 server (rest_server.c, parser in http_parse.c) that feeds
 * requests to rest_handle().
 * Independent of struct vm so it can be tested with a fake backend.
 */
#ifndef VFKIT_REST_SERVER_H
#define VFKIT_REST_SERVER_H

#include <stdint.h>
#include <sys/stat.h>

#include "api/rest_handler.h"
#include "config/config.h"

/* Idle clients (half-open, or silent between requests) are dropped after this long. */
#define REST_CONNECTION_TIMEOUT_S 10
/*
 * A request must be read, answered and its reply written within this long
 * from its first byte, however it trickles in (slowloris).
 */
#define REST_REQUEST_DEADLINE_S 10
/* With this many connections open, a new client evicts the least useful one. */
#define REST_MAX_CONNECTIONS 256
/* One epoll thread serves every connection (handlers run in it). */
#define REST_THREADS 1
/* At exit, how long replies in flight may take to go out. */
#define REST_DRAIN_MS 500

/*
 * A listening unix socket at path, mode 0600. A stale socket file (nobody
 * accepts on it) is replaced; a live one or any other file is an error.
 * *st receives the socket file's identity (so only our file is removed).
 * Returns the fd, or -1 after logging.
 */
int rest_listen_unix(const char *path, struct stat *st);

/*
 * A listening TCP socket on exactly host:port (host "" = all interfaces; a
 * name binds its first address, IPv4 preferred, as upstream's Go listener
 * does). Returns the fd, or -1 after logging; a port in use names
 * --restful-uri none:// as the way out.
 */
int rest_listen_tcp(const char *host, uint16_t port);

struct rest_server;

/* Listens as rc says (never REST_NONE) and serves be. NULL after logging. */
struct rest_server *rest_server_start(const struct rest_config *rc, const struct rest_backend *be);
/*
 * Stops accepting, removes our socket file, lets replies in flight finish
 * (up to REST_DRAIN_MS), then closes every connection.
 */
void rest_server_stop(struct rest_server *srv);
/* The TCP port actually bound (port 0 picks one; tests), or -1. */
int rest_server_port(struct rest_server *srv);

#endif
