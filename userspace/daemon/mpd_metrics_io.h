/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How mempressured's metrics leave it (docs/metrics.md): a file replaced
 * atomically for node_exporter's textfile collector, and a minimal HTTP
 * responder for GET /metrics inside the daemon's epoll loop.  No threads,
 * nothing blocks, no logging: functions return -errno and the daemon says
 * what went wrong.
 *
 * The responder is bounded: at most MPD_HTTP_CONN_MAX connections (one
 * more is answered 503 and closed at once), a request head of at most
 * MPD_HTTP_REQUEST_MAX bytes (431), MPD_HTTP_TIMEOUT_MS for the whole
 * exchange (a slow client is closed), one request per connection.
 */
#ifndef MPD_METRICS_IO_H
#define MPD_METRICS_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "mpd_loop.h"
#include "mpd_metrics.h"

#define MPD_HTTP_CONN_MAX	8
#define MPD_HTTP_TIMEOUT_MS	5000

/*
 * Replace @path with @len bytes of @buf: written to a temporary file in
 * the same directory (so the rename cannot cross file systems), mode 0644,
 * then renamed over @path.  A reader sees the old file or the new one,
 * never a part.  No fsync: it would stall the daemon on the disk when
 * memory is short, and the next change rewrites the file anyway.
 */
int mpd_metrics_write_file(const char *path, const char *buf, size_t len);

/* The body of a 200: a malloc'ed rendering (*@len bytes), or NULL. */
typedef char *(*mpd_http_body_fn)(size_t *len, void *arg);

struct mpd_http;

/* A connection: its socket in the loop, and where its exchange stands. */
struct mpd_http_conn {
	struct mpd_io io;		/* io.fd -1: free */
	struct mpd_http *h;
	uint64_t deadline;		/* ms of CLOCK_MONOTONIC (mpd_clock_ms()) */
	size_t rlen;			/* request bytes received */
	char *out;			/* the response being sent */
	size_t out_len, out_off;
	char req[MPD_HTTP_REQUEST_MAX];
};

struct mpd_http {
	struct mpd_io listen;		/* listen.fd -1: off */
	struct mpd_loop *loop;
	mpd_http_body_fn body;		/* renders a 200's body */
	void *arg;
	uint64_t served, refused;	/* answered 200; closed for the cap */
	struct mpd_http_conn conn[MPD_HTTP_CONN_MAX];
};

/* Nothing open: no listener, every connection free. */
void mpd_http_init(struct mpd_http *h);

/*
 * Listen on @sa (a TCP address, SO_REUSEADDR) in @loop, which then calls
 * the responder for its sockets: it accepts, reads a request, answers it
 * (@body(@arg) renders the metrics) and writes what the socket takes.
 */
int mpd_http_open(struct mpd_http *h, const struct sockaddr *sa, socklen_t sa_len,
		  struct mpd_loop *loop, mpd_http_body_fn body, void *arg);
/* Close the listener and every connection. */
void mpd_http_close(struct mpd_http *h);

/* Close the connections whose deadline is past at @now. */
void mpd_http_expire(struct mpd_http *h, uint64_t now);

/* The earliest deadline of an open connection, UINT64_MAX if none. */
uint64_t mpd_http_next_deadline(const struct mpd_http *h);

#endif /* MPD_METRICS_IO_H */
