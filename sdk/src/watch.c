// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Host file descriptors on the runtime's loop: a host (the control socket
 * server, say) adds its fds to the runtime's one epoll fd and gets a callback
 * from emf_runtime__poll(). The reader runs these callbacks after it has
 * delivered the poll's events, so a callback may stop and remove plugins
 * whose outputs that same poll reported ready.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include <emf/errno.h>
#include <emf/runtime.h>

#include "log_internal.h"
#include "runtime_internal.h"

struct emf_watch {
	struct emf_watch *next;
	int fd;
	emf_runtime_fd_fn fn;
	void *ctx;
};

int emf_runtime__add_fd(struct emf_runtime *rt, int fd, emf_runtime_fd_fn fn, void *ctx)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct emf_watch *w;

	if (!rt || fd < 0 || !fn)
		return emf_err(-EINVAL);
	for (w = rt->watches; w; w = w->next)
		if (w->fd == fd)
			return emf_err(-EEXIST);
	w = calloc(1, sizeof(*w));
	if (!w)
		return emf_err(-ENOMEM);
	w->fd = fd;
	w->fn = fn;
	w->ctx = ctx;
	ev.data.ptr = w;
	if (epoll_ctl(rt->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int err = -errno;

		free(w);
		return emf_err(err);
	}
	w->next = rt->watches;
	rt->watches = w;
	return 0;
}

int emf_runtime__remove_fd(struct emf_runtime *rt, int fd)
{
	struct emf_watch **pw, *w;

	if (!rt)
		return emf_err(-EINVAL);
	for (pw = &rt->watches; (w = *pw); pw = &w->next) {
		if (w->fd != fd)
			continue;
		epoll_ctl(rt->epfd, EPOLL_CTL_DEL, fd, NULL);
		*pw = w->next;
		free(w);
		return 0;
	}
	return emf_err(-ENOENT);
}

struct emf_watch *emf__watch_of(const struct emf_runtime *rt, const void *tag)
{
	struct emf_watch *w;

	for (w = rt->watches; w; w = w->next)
		if (w == tag)
			return w;
	return NULL;
}

void emf__watch_run(struct emf_watch *w)
{
	w->fn(w->ctx, w->fd);
}

void emf__watch_free_all(struct emf_runtime *rt)
{
	while (rt->watches)
		emf_runtime__remove_fd(rt, rt->watches->fd);
}
