// SPDX-License-Identifier: Apache-2.0
/*
 * Listening sockets for the REST API: the unix socket's mode and stale file
 * handling, and binding exactly the address the URI names.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "api/rest_server.h"
#include "util/log.h"

#define LISTEN_BACKLOG 128

static int fill_unix_addr(const char *path, struct sockaddr_un *sun)
{
	*sun = (struct sockaddr_un){.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	strcpy(sun->sun_path, path);
	return 0;
}

/* 0 when path is a socket file nobody listens on (safe to replace). */
static int check_stale(const char *path, const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, ret;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		log_error("REST API: %s exists and is not a socket", path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	ret = ret == 0 ? -EADDRINUSE : errno == ECONNREFUSED ? 0 : -errno;
	close(fd);
	if (ret == -EADDRINUSE) {
		log_error("REST API: %s is in use by another process", path);
		return ret;
	}
	if (ret == 0 && unlink(path) < 0 && errno != ENOENT)
		ret = -errno;
	if (ret == 0)
		log_info("REST API: replacing stale socket %s", path);
	return ret;
}

int rest_listen_unix(const char *path, struct stat *st)
{
	struct sockaddr_un sun;
	int fd = -1, ret;

	ret = fill_unix_addr(path, &sun);
	if (ret == 0)
		ret = check_stale(path, &sun);
	if (ret == -EEXIST || ret == -EADDRINUSE)
		return -1;
	if (ret == 0) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			ret = -errno;
	}
	/*
	 * The file is created with the umask; tighten it before listen() so no
	 * other user can ever connect (connect() is refused until listen()).
	 */
	if (ret == 0 &&
	    (fchmod(fd, 0600) < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0))
		ret = -errno;
	if (ret == 0 && (chmod(path, 0600) < 0 || lstat(path, st) < 0))
		ret = -errno;
	if (ret == 0 && listen(fd, LISTEN_BACKLOG) < 0)
		ret = -errno;
	if (ret == 0)
		return fd;
	log_error("REST API: cannot listen on unix socket %s: %s", path, strerror(-ret));
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
	return -1;
}

static const struct addrinfo *pick_addr(const struct addrinfo *list)
{
	for (const struct addrinfo *ai = list; ai; ai = ai->ai_next)
		if (ai->ai_family == AF_INET)
			return ai;
	return list;
}

static int bind_listen(int family, const struct sockaddr *sa, socklen_t salen)
{
	int one = 1, zero = 0;
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	/* Like upstream's Go listener: a restart must not wait for TIME_WAIT. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, sa, salen) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* "" = every interface, IPv6 and IPv4 on one socket when the host has IPv6. */
static int listen_any(uint16_t port)
{
	struct sockaddr_in6 in6 = {
		.sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = IN6ADDR_ANY_INIT};
	struct sockaddr_in in4 = {.sin_family = AF_INET,
				  .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_ANY)};
	int fd = bind_listen(AF_INET6, (struct sockaddr *)&in6, sizeof(in6));

	if (fd == -EAFNOSUPPORT || fd == -EADDRNOTAVAIL)
		fd = bind_listen(AF_INET, (struct sockaddr *)&in4, sizeof(in4));
	return fd;
}

static bool is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	return sa->sa_family == AF_INET6 &&
	       IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
}

int rest_listen_tcp(const char *host, uint16_t port)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *list = NULL;
	const struct addrinfo *ai;
	char portstr[8];
	bool loopback = false;
	int fd, gai;

	snprintf(portstr, sizeof(portstr), "%u", port);
	if (!host || !*host) {
		fd = listen_any(port);
	} else {
		gai = getaddrinfo(host, portstr, &hints, &list);
		if (gai) {
			log_error("REST API: cannot resolve %s: %s", host, gai_strerror(gai));
			return -1;
		}
		ai = pick_addr(list);
		loopback = is_loopback(ai->ai_addr);
		fd = bind_listen(ai->ai_family, ai->ai_addr, ai->ai_addrlen);
		freeaddrinfo(list);
	}
	if (fd == -EADDRINUSE) {
		log_error("REST API: cannot listen on tcp %s:%u: address already in use; use "
			  "--restful-uri none:// to disable the REST API or choose another address",
			  host ? host : "", port);
		return -1;
	}
	if (fd < 0) {
		log_error("REST API: cannot listen on tcp %s:%u: %s", host ? host : "", port,
			  strerror(-fd));
		return -1;
	}
	if (!loopback)
		log_warn("REST API on tcp %s:%u is reachable from other hosts and has no "
			 "authentication; prefer a loopback address or a unix socket",
			 host ? host : "", port);
	return fd;
}
