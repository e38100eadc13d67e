// SPDX-License-Identifier: Apache-2.0
/*
 * libmicrohttpd glue: collects each request (method, path, body up to
 * REST_MAX_BODY) and hands it to rest_handle(). The daemon runs its own small
 * thread pool; handlers may block briefly (Pause waits for the vCPUs to park),
 * so one slow request does not stall the others.
 */
#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/rest_server.h"
#include "util/log.h"

struct rest_server {
	struct MHD_Daemon *daemon;
	struct rest_backend be;
	char *unix_path; /* our socket file, removed at stop */
	struct stat unix_st;
};

struct request {
	char body[REST_MAX_BODY];
	size_t len;
	bool too_large;
	bool answered; /* 413 sent at the first call */
};

static bool declared_too_large(struct MHD_Connection *conn)
{
	const char *cl =
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

	return cl && strtoull(cl, NULL, 10) > REST_MAX_BODY;
}

static enum MHD_Result send_response(struct MHD_Connection *conn, const struct rest_response *r,
				     bool close_after)
{
	size_t len = r->body ? strlen(r->body) : 0;
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(len, r->body ? r->body : (char *)"",
					       MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	if (r->content_type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
	if (r->location)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, r->location);
	if (close_after)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	ret = MHD_queue_response(conn, r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result answer(struct rest_server *srv, struct MHD_Connection *conn,
			      const char *method, const char *url, struct request *req)
{
	struct rest_response r;
	enum MHD_Result ret;

	rest_handle(&srv->be, method, url, req->body, req->len, req->too_large, &r);
	log_debug("REST: %u | %s \"%s\"", r.status, method, url);
	ret = send_response(conn, &r, req->too_large);
	rest_response_free(&r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct rest_server *srv = cls;
	struct request *req = *con_cls;

	(void)version;
	if (!req) {
		/* First call: headers only. Refuse a declared oversized body at once. */
		req = calloc(1, sizeof(*req));
		if (!req)
			return MHD_NO;
		*con_cls = req;
		if (declared_too_large(conn)) {
			req->too_large = req->answered = true;
			return answer(srv, conn, method, url, req);
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		/*
		 * Chunked and too long: libmicrohttpd cannot answer in the middle of
		 * an upload, so the rest is discarded (never stored) and answered 413
		 * at its end; the connection timeout bounds a client that trickles.
		 */
		if (req->too_large || *upload_data_size > REST_MAX_BODY - req->len)
			req->too_large = true;
		else
			memcpy(req->body + req->len, upload_data, *upload_data_size);
		if (!req->too_large)
			req->len += *upload_data_size;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (req->answered)
		return MHD_YES;
	return answer(srv, conn, method, url, req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	free(*con_cls);
	*con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("REST: %s", msg);
}

static struct MHD_Daemon *start_daemon(struct rest_server *srv, int fd)
{
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
			     MHD_USE_ITC; /* for MHD_quiesce_daemon() */

	return MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER,
				mhd_log, srv, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
				MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)REST_THREADS,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned int)REST_MAX_CONNECTIONS,
				MHD_OPTION_CONNECTION_TIMEOUT,
				(unsigned int)REST_CONNECTION_TIMEOUT_S,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_END);
}

static void remove_socket_file(struct rest_server *srv)
{
	struct stat st;

	/* Only if it is still ours: another vfkit may have replaced it. */
	if (srv->unix_path && lstat(srv->unix_path, &st) == 0 && st.st_dev == srv->unix_st.st_dev &&
	    st.st_ino == srv->unix_st.st_ino)
		unlink(srv->unix_path);
	free(srv->unix_path);
	srv->unix_path = NULL;
}

struct rest_server *rest_server_start(const struct rest_config *rc, const struct rest_backend *be)
{
	struct rest_server *srv = calloc(1, sizeof(*srv));
	int fd = -1;

	if (!srv) {
		log_error("REST API: out of memory");
		return NULL;
	}
	srv->be = *be;
	if (rc->scheme == REST_UNIX) {
		srv->unix_path = strdup(rc->path ? rc->path : "");
		if (srv->unix_path)
			fd = rest_listen_unix(srv->unix_path, &srv->unix_st);
	} else if (rc->scheme == REST_TCP) {
		fd = rest_listen_tcp(rc->host, rc->port);
	}
	if (fd < 0)
		goto fail;
	srv->daemon = start_daemon(srv, fd);
	if (!srv->daemon) {
		log_error("REST API: cannot start the HTTP server on %s", rc->uri ? rc->uri : "");
		close(fd);
		goto fail;
	}
	log_debug("REST API listening on %s", rc->uri ? rc->uri : "");
	return srv;
fail:
	remove_socket_file(srv);
	free(srv);
	return NULL;
}

static unsigned int open_connections(struct rest_server *srv)
{
	const union MHD_DaemonInfo *info =
		MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);

	return info ? info->num_connections : 0;
}

void rest_server_stop(struct rest_server *srv)
{
	MHD_socket lfd;

	if (!srv)
		return;
	/*
	 * Refuse new clients at once (podman reads "connection refused" as
	 * "stopped"), then give replies in flight, such as HardStop's, a moment
	 * to go out before the connections are cut.
	 */
	lfd = MHD_quiesce_daemon(srv->daemon);
	remove_socket_file(srv);
	for (int i = 0; i < REST_DRAIN_MS / 10 && open_connections(srv); i++)
		usleep(10 * 1000);
	MHD_stop_daemon(srv->daemon);
	if (lfd != MHD_INVALID_SOCKET)
		close(lfd);
	free(srv);
}

int rest_server_port(struct rest_server *srv)
{
	const union MHD_DaemonInfo *info =
		MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);

	return info ? info->port : -1;
}
