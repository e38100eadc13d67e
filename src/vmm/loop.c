// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vmm/loop.h"

#define MAX_EVENTS 32

struct watch {
	int fd;
	bool dead;
	loop_fd_fn fn;
	void *opaque;
	struct watch *next;
};

struct call {
	loop_call_fn fn;
	void *opaque;
	struct call *next;
};

struct loop {
	int epfd;
	int wake_fd;
	bool quit;
	struct watch *watches;
	pthread_mutex_t lock; /* guards calls and quit */
	struct call *calls_head, **calls_tail;
};

struct loop *loop_new(void)
{
	struct loop *loop = calloc(1, sizeof(*loop));
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

	if (!loop)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	loop->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (loop->epfd < 0 || loop->wake_fd < 0 ||
	    epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->wake_fd, &ev) < 0) {
		loop_free(loop);
		return NULL;
	}
	pthread_mutex_init(&loop->lock, NULL);
	loop->calls_tail = &loop->calls_head;
	return loop;
}

void loop_free(struct loop *loop)
{
	if (!loop)
		return;
	while (loop->watches) {
		struct watch *w = loop->watches;

		loop->watches = w->next;
		free(w);
	}
	while (loop->calls_head) {
		struct call *c = loop->calls_head;

		loop->calls_head = c->next;
		free(c);
	}
	if (loop->epfd >= 0)
		close(loop->epfd);
	if (loop->wake_fd >= 0)
		close(loop->wake_fd);
	free(loop);
}

static struct watch *find_watch(struct loop *loop, int fd)
{
	for (struct watch *w = loop->watches; w; w = w->next)
		if (w->fd == fd && !w->dead)
			return w;
	return NULL;
}

int loop_add(struct loop *loop, int fd, uint32_t events, loop_fd_fn fn, void *opaque)
{
	struct watch *w = calloc(1, sizeof(*w));
	struct epoll_event ev = { .events = events };

	if (!w)
		return -ENOMEM;
	*w = (struct watch){ .fd = fd, .fn = fn, .opaque = opaque, .next = loop->watches };
	ev.data.ptr = w;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int err = -errno;

		free(w);
		return err;
	}
	loop->watches = w;
	return 0;
}

int loop_modify(struct loop *loop, int fd, uint32_t events)
{
	struct watch *w = find_watch(loop, fd);
	struct epoll_event ev = { .events = events };

	if (!w)
		return -ENOENT;
	ev.data.ptr = w;
	return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

int loop_remove(struct loop *loop, int fd)
{
	struct watch *w = find_watch(loop, fd);

	if (!w)
		return -ENOENT;
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	/* Freed after the current dispatch round: events for it may be pending. */
	w->dead = true;
	return 0;
}

static void reap_dead_watches(struct loop *loop)
{
	struct watch **pp = &loop->watches;

	while (*pp) {
		struct watch *w = *pp;

		if (w->dead) {
			*pp = w->next;
			free(w);
		} else {
			pp = &w->next;
		}
	}
}

int loop_call(struct loop *loop, loop_call_fn fn, void *opaque)
{
	struct call *c = malloc(sizeof(*c));
	uint64_t one = 1;

	if (!c)
		return -ENOMEM;
	*c = (struct call){ fn, opaque, NULL };
	pthread_mutex_lock(&loop->lock);
	*loop->calls_tail = c;
	loop->calls_tail = &c->next;
	pthread_mutex_unlock(&loop->lock);
	if (write(loop->wake_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is saturated, a wake-up is pending anyway. */
	}
	return 0;
}

void loop_quit(struct loop *loop)
{
	uint64_t one = 1;

	pthread_mutex_lock(&loop->lock);
	loop->quit = true;
	pthread_mutex_unlock(&loop->lock);
	if (write(loop->wake_fd, &one, sizeof(one)) < 0) {
		/* see loop_call */
	}
}

static void run_calls(struct loop *loop)
{
	uint64_t n;
	struct call *c;

	if (read(loop->wake_fd, &n, sizeof(n)) < 0) {
		/* EAGAIN: nothing pending */
	}
	pthread_mutex_lock(&loop->lock);
	c = loop->calls_head;
	loop->calls_head = NULL;
	loop->calls_tail = &loop->calls_head;
	pthread_mutex_unlock(&loop->lock);
	while (c) {
		struct call *next = c->next;

		c->fn(c->opaque);
		free(c);
		c = next;
	}
}

static bool should_quit(struct loop *loop)
{
	bool quit;

	pthread_mutex_lock(&loop->lock);
	quit = loop->quit;
	pthread_mutex_unlock(&loop->lock);
	return quit;
}

void loop_run(struct loop *loop)
{
	struct epoll_event events[MAX_EVENTS];

	while (!should_quit(loop)) {
		int n = epoll_wait(loop->epfd, events, MAX_EVENTS, -1);

		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			struct watch *w = events[i].data.ptr;

			if (!w)
				run_calls(loop);
			else if (!w->dead)
				w->fn(w->opaque, events[i].events);
		}
		reap_dead_watches(loop);
	}
}
