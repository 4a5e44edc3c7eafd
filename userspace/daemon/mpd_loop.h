/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mempressured's event loop: one epoll set whose entries are handler
 * objects, in the manner of sd-event's sources.  Whatever owns an fd
 * embeds a struct mpd_io in itself, names the function that handles the
 * fd's events, and finds itself again from the struct mpd_io it is given
 * (mpd_container_of()).  The loop knows nothing of what the fds are.
 *
 * Removing an object (mpd_loop_del()) also drops the events of the round
 * being dispatched that were still to come for it, so that an object freed
 * by an earlier handler of the round is never called.
 *
 * Timers are timerfds in the same set, armed at an absolute time of
 * CLOCK_MONOTONIC in milliseconds, the daemon's clock.
 */
#ifndef MPD_LOOP_H
#define MPD_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>

#define mpd_container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

struct mpd_io;

/* Called with the epoll events (EPOLLIN, ...) of @io's fd. */
typedef void (*mpd_io_fn)(struct mpd_io *io, uint32_t events);

struct mpd_io {
	int fd;				/* -1: not in the loop */
	mpd_io_fn fn;
};

/* Events taken from epoll at once. */
#define MPD_LOOP_BATCH	32

struct mpd_loop {
	int epfd;
	bool stop;			/* mpd_loop_stop(): dispatch no more */
	int nr_round;			/* events of the round being dispatched */
	struct epoll_event round[MPD_LOOP_BATCH];
};

int mpd_loop_init(struct mpd_loop *l);
void mpd_loop_done(struct mpd_loop *l);

/* An object that is in no loop (fd -1): what mpd_loop_del() leaves. */
static inline void mpd_io_init(struct mpd_io *io)
{
	io->fd = -1;
	io->fn = NULL;
}

/* Watch @fd for @events, calling @fn with @io. */
int mpd_loop_add(struct mpd_loop *l, struct mpd_io *io, int fd, uint32_t events,
		 mpd_io_fn fn);
/* Watch @io's fd for @events instead. */
int mpd_loop_mod(struct mpd_loop *l, struct mpd_io *io, uint32_t events);
/*
 * Stop watching @io's fd and forget the events of this round still to come
 * for @io; @io->fd is then -1.  The fd is the caller's: it is not closed,
 * and this returns it.
 */
int mpd_loop_del(struct mpd_loop *l, struct mpd_io *io);

/*
 * Wait up to @timeout_ms (-1: for ever) and call the handlers of what came,
 * in order, until one calls mpd_loop_stop().  0, or -errno of epoll_wait()
 * (a signal's EINTR is 0: nothing came).
 */
int mpd_loop_run_once(struct mpd_loop *l, int timeout_ms);
/* No more handlers this round, and mpd_loop_stopped() from now on. */
void mpd_loop_stop(struct mpd_loop *l);

static inline bool mpd_loop_stopped(const struct mpd_loop *l)
{
	return l->stop;
}

/* A timerfd of CLOCK_MONOTONIC, non-blocking; -errno. */
int mpd_timer_new(void);
/*
 * Arm timerfd @fd to expire at @at (ms of CLOCK_MONOTONIC); UINT64_MAX
 * disarms it, 0 is as soon as possible.
 */
int mpd_timer_at(int fd, uint64_t at);
/*
 * Take the timer's expirations, so that it is no longer readable: 1 if it
 * had expired, 0 if not (EAGAIN), -errno.
 */
int mpd_timer_drain(int fd);

/* The daemon's clock: CLOCK_MONOTONIC, in milliseconds. */
uint64_t mpd_clock_ms(void);

#endif /* MPD_LOOP_H */
