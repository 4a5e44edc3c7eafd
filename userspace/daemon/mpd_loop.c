// SPDX-License-Identifier: GPL-2.0
/* mempressured's event loop of handler objects: see mpd_loop.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "mpd_loop.h"

int mpd_loop_init(struct mpd_loop *l)
{
	memset(l, 0, sizeof(*l));
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	return l->epfd < 0 ? -errno : 0;
}

void mpd_loop_done(struct mpd_loop *l)
{
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
}

int mpd_loop_add(struct mpd_loop *l, struct mpd_io *io, int fd, uint32_t events,
		 mpd_io_fn fn)
{
	struct epoll_event ev = { .events = events, .data.ptr = io };

	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	io->fd = fd;
	io->fn = fn;
	return 0;
}

int mpd_loop_mod(struct mpd_loop *l, struct mpd_io *io, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = io };

	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, io->fd, &ev) < 0 ? -errno : 0;
}

int mpd_loop_del(struct mpd_loop *l, struct mpd_io *io)
{
	int fd = io->fd;

	if (fd < 0)
		return fd;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	for (int i = 0; i < l->nr_round; i++)
		if (l->round[i].data.ptr == io)
			l->round[i].data.ptr = NULL;
	io->fd = -1;
	return fd;
}

int mpd_loop_run_once(struct mpd_loop *l, int timeout_ms)
{
	int n = epoll_wait(l->epfd, l->round, MPD_LOOP_BATCH, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	l->nr_round = n;
	for (int i = 0; i < n && !l->stop; i++) {
		struct mpd_io *io = l->round[i].data.ptr;

		if (io)		/* else removed by an earlier handler */
			io->fn(io, l->round[i].events);
	}
	l->nr_round = 0;
	return 0;
}

void mpd_loop_stop(struct mpd_loop *l)
{
	l->stop = true;
}

int mpd_timer_new(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int mpd_timer_at(int fd, uint64_t at)
{
	struct itimerspec its = { 0 };

	if (at != UINT64_MAX) {
		if (at == 0)
			at = 1;		/* 0 would disarm it */
		its.it_value.tv_sec = (time_t)(at / 1000);
		its.it_value.tv_nsec = (long)(at % 1000) * 1000000;
	}
	return timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL) < 0 ? -errno : 0;
}

int mpd_timer_drain(int fd)
{
	uint64_t expirations;

	if (read(fd, &expirations, sizeof(expirations)) < 0)
		return errno == EAGAIN ? 0 : -errno;
	return 1;
}

uint64_t mpd_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
