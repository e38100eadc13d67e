// SPDX-License-Identifier: Apache-2.0
/*
 * The REST API's HTTP/1.1 server: one thread, one epoll set over the
 * listening socket, a stop eventfd and non-blocking connections. Requests are
 * parsed by http_parse.c and answered by rest_handle() in this thread; replies
 * are buffered per connection and written as the socket accepts them.
 *
 * Why not a library: libmicrohttpd pulled in gnutls and its friends (~2.4 MiB
 * resident, for TLS we never use) plus a thread pool, for an API of three
 * routes and tiny bodies. One thread is enough: a handler blocks at most for a
 * pause to take effect, and clients of this API send one request at a time.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api/http_parse.h"
#include "api/rest_origin.h"
#include "api/rest_server.h"
#include "util/log.h"
#include "util/thread.h"
#include "vmm/sandbox.h"

/* After a reply that closes, unread input is drained this long (see linger()). */
#define LINGER_MS	 1000
#define LINGER_MAX_BYTES (64 * 1024)
/* Work on one connection per wake-up, so a busy client cannot starve the rest. */
#define CONN_BUDGET 32
/* Accepting pauses this long when out of file descriptors or memory. */
#define ACCEPT_BACKOFF_MS 100
/* Clients taken per wake-up, so a flood of connects cannot starve the others. */
#define ACCEPT_BURST 64

struct conn {
	int fd;
	struct conn *prev, *next;     /* all connections */
	struct conn *run_next;	      /* connections with work left over */
	bool queued;		      /* on the run list */
	bool closing;		      /* close once the reply is out */
	bool lingering;		      /* reply out, write side shut, discarding input */
	bool answered;		      /* the reply being written ends the request */
	uint32_t events;	      /* current epoll interest */
	uint64_t deadline_ms;	      /* when sweep() closes it: request, idle or linger end */
	uint64_t request_deadline_ms; /* request under way: its end; else 0 */
	uint64_t since_ms;	      /* request under way: its start; else last activity */
	size_t discarded;
	char *out; /* the reply being written, malloc'ed */
	size_t out_len, out_off;
	size_t in_len;
	char in[HTTP_MAX_HEAD];
	struct http_parser parser;
};

struct rest_server {
	struct rest_backend be;
	struct rest_origin_policy origin;
	int epfd, lfd, stopfd;
	int port;
	char *unix_path; /* our socket file, removed at stop */
	struct stat unix_st;
	pthread_t thread;
	/* Owned by the server thread from here on. */
	struct conn *conns, *run_list;
	unsigned int nconns;
	bool accepting, stopping;
	uint64_t accept_resume_ms, stop_at_ms;
};

/* epoll tags for the two non-connection fds */
static char listen_tag, stop_tag;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* --- connections --- */

static void conn_watch(struct rest_server *srv, struct conn *c, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = c};

	if (c->events != events && epoll_ctl(srv->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->events = events;
}

static void set_accepting(struct rest_server *srv, bool on)
{
	struct epoll_event ev = {.events = on ? EPOLLIN : 0, .data.ptr = &listen_tag};

	if (srv->lfd >= 0 && srv->accepting != on &&
	    epoll_ctl(srv->epfd, EPOLL_CTL_MOD, srv->lfd, &ev) == 0)
		srv->accepting = on;
}

static void conn_close(struct rest_server *srv, struct conn *c)
{
	/* Explicitly: a forked child may still hold the fd for a moment. */
	epoll_ctl(srv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->queued) {
		for (struct conn **pp = &srv->run_list; *pp; pp = &(*pp)->run_next)
			if (*pp == c) {
				*pp = c->run_next;
				break;
			}
	}
	free(c->out);
	free(c);
	srv->nconns--;
	if (!srv->stopping && !srv->accept_resume_ms)
		set_accepting(srv, true);
}

/*
 * After progress: an idle connection gets a fresh idle timeout; a request
 * under way keeps its fixed deadline, so trickling bytes buy no time.
 */
static void conn_touch(struct conn *c)
{
	uint64_t now = now_ms();

	if (c->lingering)
		return;
	if (c->request_deadline_ms) {
		c->deadline_ms = c->request_deadline_ms;
	} else {
		c->deadline_ms = now + REST_CONNECTION_TIMEOUT_S * 1000;
		c->since_ms = now;
	}
}

/* The first byte of a request starts its deadline. */
static void request_begin(struct conn *c)
{
	uint64_t now = now_ms();

	if (c->request_deadline_ms)
		return;
	c->since_ms = now;
	c->request_deadline_ms = now + REST_REQUEST_DEADLINE_S * 1000;
	conn_touch(c);
}

/* Its reply is out: idle again, or the next pipelined request starts now. */
static void request_end(struct conn *c)
{
	c->answered = false;
	c->request_deadline_ms = 0;
	conn_touch(c);
	if (c->in_len)
		request_begin(c);
}

/*
 * Which connection a new client replaces when the table is full: one that is
 * only lingering, else one with no reply to write, and among those the one
 * whose request (or silence) began first. Trickling clients are the oldest,
 * a client that sends its request at once is served before it gets old.
 */
static bool evict_before(const struct conn *a, const struct conn *b)
{
	if (a->lingering != b->lingering)
		return a->lingering;
	if (!a->out_len != !b->out_len)
		return !a->out_len;
	return a->since_ms < b->since_ms;
}

static void evict_one(struct rest_server *srv)
{
	struct conn *victim = srv->conns;

	for (struct conn *c = srv->conns; c; c = c->next)
		if (evict_before(c, victim))
			victim = c;
	if (victim) {
		log_ratelimited(LOG_LEVEL_WARN,
				"REST API: %u connections open, dropping the "
				"oldest idle or slowest one",
				srv->nconns);
		conn_close(srv, victim);
	}
}

static void accept_one(struct rest_server *srv, int fd)
{
	struct conn *c = malloc(sizeof(*c));
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};

	if (!c || epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		log_ratelimited(LOG_LEVEL_WARN, "REST API: cannot take a client: %s",
				c ? strerror(errno) : "out of memory");
		free(c);
		close(fd);
		return;
	}
	memset(c, 0, offsetof(struct conn, in));
	http_parser_init(&c->parser);
	c->fd = fd;
	c->events = EPOLLIN;
	conn_touch(c);
	c->next = srv->conns;
	if (c->next)
		c->next->prev = c;
	srv->conns = c;
	srv->nconns++;
}

/*
 * Takes waiting clients, ACCEPT_BURST at a time (epoll reports the rest
 * again). A full table does not make new clients wait: slow or idle clients
 * holding every slot would lock everyone out, so the least useful one goes.
 */
static void accept_all(struct rest_server *srv)
{
	for (int taken = 0; taken < ACCEPT_BURST; taken++) {
		int fd = accept4(srv->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			if (srv->nconns >= REST_MAX_CONNECTIONS)
				evict_one(srv);
			accept_one(srv, fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
			continue;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			log_ratelimited(LOG_LEVEL_WARN, "REST API: cannot accept: %s",
					strerror(errno));
			srv->accept_resume_ms = now_ms() + ACCEPT_BACKOFF_MS;
			set_accepting(srv, false);
		} else if (errno != EAGAIN) {
			set_accepting(srv, false); /* shut down by rest_server_stop() */
		}
		return;
	}
}

/* --- replies --- */

static int out_append(struct conn *c, const char *data, size_t len)
{
	char *out = realloc(c->out, c->out_len + len);

	if (!out)
		return -ENOMEM;
	memcpy(out + c->out_len, data, len);
	c->out = out;
	c->out_len += len;
	return 0;
}

static void http_date(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%a, %d %b %Y %H:%M:%S GMT", &tm))
		buf[0] = '\0';
}

/*
 * Queues status line, headers and (except for HEAD) body. keep_alive false
 * adds "Connection: close" and closes after it; an HTTP/1.0 client that asked
 * to keep the connection is told so, as 1.0 closes by default.
 */
static void queue_reply(struct conn *c, const struct rest_response *r, bool head_only)
{
	const struct http_request *req = &c->parser.req;
	size_t blen = r->body ? strlen(r->body) : 0;
	char hdr[1024], date[64];
	int n;

	http_date(date, sizeof(date));
	n = snprintf(hdr, sizeof(hdr),
		     "HTTP/1.1 %u %s\r\nDate: %s\r\n%s%s%s%s%s%sContent-Length: %zu\r\n%s\r\n",
		     r->status, http_reason(r->status), date,
		     r->content_type ? "Content-Type: " : "",
		     r->content_type ? r->content_type : "", r->content_type ? "\r\n" : "",
		     r->location ? "Location: " : "", r->location ? r->location : "",
		     r->location ? "\r\n" : "", blen,
		     c->closing	       ? "Connection: close\r\n"
		     : req->minor == 0 ? "Connection: keep-alive\r\n"
				       : "");
	if (n < 0 || (size_t)n >= sizeof(hdr) || out_append(c, hdr, (size_t)n) < 0 ||
	    (!head_only && out_append(c, r->body ? r->body : "", blen) < 0)) {
		/* Out of memory: the client sees the connection close. */
		c->closing = true;
		c->out_len = c->out_off = 0;
	}
}

/* A JSON error {"error":"<message>"}; message is one of our fixed strings. */
static void queue_error(struct conn *c, unsigned int status, const char *message)
{
	char body[160];
	struct rest_response r = {.status = status, .body = body, .content_type = REST_JSON_TYPE};

	snprintf(body, sizeof(body), "{\"error\":\"%s\"}", message);
	queue_reply(c, &r, false);
}

static void answer(struct rest_server *srv, struct conn *c)
{
	struct http_request *req = &c->parser.req;
	struct rest_response r;
	const char *why;

	c->answered = true;
	c->closing = !req->keep_alive || srv->stopping;
	if (rest_origin_check(&srv->origin, req, &why)) {
		/* A browser page (DNS rebinding or CSRF): the VM is not touched. */
		log_ratelimited(LOG_LEVEL_WARN, "REST API: refused a request (%s)", why);
		queue_error(c, 403, why);
		return;
	}
	rest_handle(&srv->be, req->method, req->path, req->body, req->body_len, req->body_too_large,
		    &r);
	log_debug("REST: %u | %s \"%s\"", r.status, req->method, req->path);
	queue_reply(c, &r, !strcmp(req->method, "HEAD"));
	rest_response_free(&r);
}

/* A request we cannot parse: a JSON error like every other, then close. */
static void answer_error(struct conn *c, unsigned int status)
{
	log_debug("REST: %u | malformed request", status);
	c->answered = true;
	c->closing = true;
	queue_error(c, status, http_reason(status));
}

/* Writes what the socket takes: 1 all out, 0 try later, -1 connection lost. */
static int flush(struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		c->out_off += (size_t)n;
		conn_touch(c);
	}
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	if (c->answered)
		request_end(c);
	return 1;
}

/*
 * Closing right after a reply while the client is still sending would make
 * the kernel answer with a reset, which can destroy the reply before the
 * client reads it (a 413 while the body is on its way). So the write side is
 * shut first and the input drained for a bounded time, as web servers do.
 */
static void linger(struct rest_server *srv, struct conn *c)
{
	if (srv->stopping || shutdown(c->fd, SHUT_WR) < 0) {
		conn_close(srv, c);
		return;
	}
	c->lingering = true;
	c->deadline_ms = now_ms() + LINGER_MS;
	conn_watch(srv, c, EPOLLIN);
}

static void drain_input(struct rest_server *srv, struct conn *c)
{
	char buf[4096];
	ssize_t n;

	while ((n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		c->discarded += (size_t)n;
		if (c->discarded > LINGER_MAX_BYTES)
			break;
	}
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) ||
	    c->discarded > LINGER_MAX_BYTES)
		conn_close(srv, c);
}

/* --- the request cycle --- */

/* Parses what is buffered; queues a reply or "100 Continue". false: needs input. */
static bool parse_buffered(struct rest_server *srv, struct conn *c)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	size_t used;
	enum http_result r = http_parse(&c->parser, c->in, c->in_len, &used);

	memmove(c->in, c->in + used, c->in_len - used);
	c->in_len -= used;
	if (c->parser.send_continue) {
		c->parser.send_continue = false;
		if (out_append(c, cont, sizeof(cont) - 1) < 0)
			c->closing = true;
		return true;
	}
	if (r == HTTP_REQUEST) {
		answer(srv, c);
		http_parser_next(&c->parser);
		return true;
	}
	if (r == HTTP_FAIL) {
		answer_error(c, c->parser.error);
		return true;
	}
	/* The parser fails a head larger than the buffer, so a full one is malformed. */
	if (c->in_len == sizeof(c->in)) {
		answer_error(c, 400);
		return true;
	}
	return false;
}

/* Reads more input: 1 got some, 0 try later, -1 gone (EOF or error). */
static int read_input(struct conn *c)
{
	ssize_t n;

	do
		n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		c->in_len += (size_t)n;
		request_begin(c);
		conn_touch(c);
		return 1;
	}
	return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
}

static void run_later(struct rest_server *srv, struct conn *c)
{
	if (!c->queued) {
		c->queued = true;
		c->run_next = srv->run_list;
		srv->run_list = c;
	}
}

/*
 * After flush() or read_input() (1 done, 0 try later, -1 gone): true to go on;
 * otherwise the connection is closed or waits for wait_for.
 */
static bool io_went_on(struct rest_server *srv, struct conn *c, int ret, uint32_t wait_for)
{
	if (ret < 0)
		conn_close(srv, c);
	else if (ret == 0)
		conn_watch(srv, c, wait_for);
	return ret > 0;
}

/*
 * Advances one connection as far as it can go without blocking: write the
 * pending reply, then parse (answering each complete request in turn, so
 * pipelined requests are served in order), then read.
 */
static void conn_run(struct rest_server *srv, struct conn *c)
{
	for (int budget = CONN_BUDGET; budget > 0; budget--) {
		if (c->out_len && !io_went_on(srv, c, flush(c), EPOLLOUT))
			return;
		if (c->closing) {
			linger(srv, c);
			return;
		}
		if (parse_buffered(srv, c))
			continue;
		if (!io_went_on(srv, c, read_input(c), EPOLLIN))
			return;
	}
	run_later(srv, c);
}

static void conn_event(struct rest_server *srv, struct conn *c, uint32_t events)
{
	if (c->lingering)
		drain_input(srv, c);
	else if ((events & (EPOLLERR | EPOLLHUP)) && !(events & EPOLLIN))
		conn_close(srv, c);
	else
		conn_run(srv, c);
}

static void run_queued(struct rest_server *srv)
{
	struct conn *list = srv->run_list;

	srv->run_list = NULL;
	while (list) {
		struct conn *c = list;

		list = c->run_next;
		c->queued = false;
		conn_run(srv, c);
	}
}

/* --- timeouts, stop, the thread --- */

/* Closes expired connections; returns the epoll timeout until the next one. */
static int sweep(struct rest_server *srv)
{
	uint64_t now = now_ms(), next = UINT64_MAX;
	struct conn *c = srv->conns;

	if (srv->accept_resume_ms && now >= srv->accept_resume_ms) {
		srv->accept_resume_ms = 0;
		set_accepting(srv, !srv->stopping);
	}
	while (c) {
		struct conn *n = c->next;

		if (now >= c->deadline_ms)
			conn_close(srv, c);
		else if (c->deadline_ms < next)
			next = c->deadline_ms;
		c = n;
	}
	if (srv->accept_resume_ms && srv->accept_resume_ms < next)
		next = srv->accept_resume_ms;
	if (srv->stopping && srv->stop_at_ms + REST_DRAIN_MS < next)
		next = srv->stop_at_ms + REST_DRAIN_MS;
	if (srv->run_list)
		return 0;
	return next == UINT64_MAX ? -1 : (int)(next - now);
}

/*
 * Stop: no new clients, connections without a reply in flight are closed,
 * the others close once it is written (or at the drain deadline).
 */
static void begin_stop(struct rest_server *srv)
{
	struct conn *c = srv->conns;

	srv->stopping = true;
	epoll_ctl(srv->epfd, EPOLL_CTL_DEL, srv->lfd, NULL);
	close(srv->lfd);
	srv->lfd = -1;
	while (c) {
		struct conn *n = c->next;

		if (c->out_len && !c->lingering)
			c->closing = true;
		else
			conn_close(srv, c);
		c = n;
	}
}

static bool stop_requested(struct rest_server *srv)
{
	uint64_t v;

	return read(srv->stopfd, &v, sizeof(v)) == sizeof(v);
}

static void *server_main(void *arg)
{
	struct rest_server *srv = arg;
	struct epoll_event evs[32];

	/* Confined before the first request; unconfined, it serves none (logged). */
	if (sandbox_enter(SANDBOX_REST) < 0)
		return NULL;
	for (;;) {
		int timeout = sweep(srv), n;
		bool stop = false, accept = false;

		if (srv->stopping && (!srv->conns || now_ms() >= srv->stop_at_ms + REST_DRAIN_MS))
			break;
		n = epoll_wait(srv->epfd, evs, 32, timeout);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == &stop_tag)
				stop = !srv->stopping && stop_requested(srv);
			else if (evs[i].data.ptr == &listen_tag)
				accept = true;
			else
				conn_event(srv, evs[i].data.ptr, evs[i].events);
		}
		/* After the batch: a full table evicts connections later events may name. */
		if (accept && !srv->stopping)
			accept_all(srv);
		run_queued(srv);
		/* Only after the batch: it closes connections later events may name. */
		if (stop)
			begin_stop(srv);
	}
	while (srv->conns)
		conn_close(srv, srv->conns);
	return NULL;
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

static int listen_fd(struct rest_server *srv, const struct rest_config *rc)
{
	if (rc->scheme == REST_UNIX) {
		srv->unix_path = strdup(rc->path ? rc->path : "");
		if (!srv->unix_path) {
			log_error("REST API: out of memory");
			return -1;
		}
		return rest_listen_unix(srv->unix_path, &srv->unix_st);
	}
	if (rc->scheme == REST_TCP)
		return rest_listen_tcp(rc->host, rc->port);
	return -1;
}

static int bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -1;
}

/* The epoll set, the stop eventfd and the thread (signals stay with the VMM's threads). */
static int start_thread(struct rest_server *srv)
{
	struct epoll_event lev = {.events = EPOLLIN, .data.ptr = &listen_tag};
	struct epoll_event sev = {.events = EPOLLIN, .data.ptr = &stop_tag};
	sigset_t all, old;
	int ret;

	/* accept_all() takes clients until EAGAIN. */
	if (fcntl(srv->lfd, F_SETFL, fcntl(srv->lfd, F_GETFL) | O_NONBLOCK) < 0)
		return -errno;
	srv->epfd = epoll_create1(EPOLL_CLOEXEC);
	srv->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (srv->epfd < 0 || srv->stopfd < 0 ||
	    epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->lfd, &lev) < 0 ||
	    epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->stopfd, &sev) < 0)
		return -errno;
	srv->accepting = true;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = thread_create(&srv->thread, server_main, srv);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -ret;
}

static void server_free(struct rest_server *srv)
{
	if (srv->lfd >= 0)
		close(srv->lfd);
	if (srv->epfd >= 0)
		close(srv->epfd);
	if (srv->stopfd >= 0)
		close(srv->stopfd);
	remove_socket_file(srv);
	free(srv);
}

struct rest_server *rest_server_start(const struct rest_config *rc, const struct rest_backend *be)
{
	struct rest_server *srv = calloc(1, sizeof(*srv));
	int ret;

	if (!srv) {
		log_error("REST API: out of memory");
		return NULL;
	}
	srv->be = *be;
	srv->epfd = srv->stopfd = -1;
	srv->lfd = listen_fd(srv, rc);
	if (srv->lfd < 0) {
		server_free(srv);
		return NULL;
	}
	srv->port = bound_port(srv->lfd);
	rest_origin_policy_init(&srv->origin, rc, srv->port);
	ret = start_thread(srv);
	if (ret < 0) {
		log_error("REST API: cannot start the HTTP server on %s: %s",
			  rc->uri ? rc->uri : "", strerror(-ret));
		server_free(srv);
		return NULL;
	}
	log_debug("REST API listening on %s", rc->uri ? rc->uri : "");
	return srv;
}

void rest_server_stop(struct rest_server *srv)
{
	uint64_t one = 1;

	if (!srv)
		return;
	/*
	 * Refuse new clients at once (podman reads "connection refused" as
	 * "stopped"): the thread may be busy in a handler, so the socket is
	 * shut here; the thread closes it. Then replies in flight, such as
	 * HardStop's, get REST_DRAIN_MS to go out.
	 */
	shutdown(srv->lfd, SHUT_RDWR);
	remove_socket_file(srv);
	__atomic_store_n(&srv->stop_at_ms, now_ms(), __ATOMIC_RELEASE);
	if (write(srv->stopfd, &one, sizeof(one)) != sizeof(one))
		log_warn("REST API: cannot signal the server thread: %s", strerror(errno));
	pthread_join(srv->thread, NULL);
	server_free(srv);
}

int rest_server_port(struct rest_server *srv)
{
	return srv ? srv->port : -1;
}
