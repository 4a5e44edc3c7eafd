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
#include "mpd_log.h"
#include "mpd_metrics.h"

#define MPD_HTTP_CONN_MAX	8
#define MPD_HTTP_TIMEOUT_MS	5000

/*
 * Render @s into a malloc'ed buffer of at most @max bytes (NUL included),
 * its length in *@len; NULL if out of memory.  If all of it would not fit,
 * cgroup rows are left out from the end, and counted in
 * s->cgroups_omitted, until it does (s->nr_cgroups is lowered); the rest
 * (at most APPS_MAX applications) is always rendered.  A snapshot without
 * s->pod_of gets mpd_metrics_pod_of(): the labels of pods and containers
 * (docs/metrics.md) read the host's files, which is why this lives here
 * and not with the pure rendering.
 */
char *mpd_metrics_render_alloc(struct mpd_metrics_snap *s, size_t max, size_t *len);

/*
 * The daemon's pods and containers by name (mp_pod.h): one resolver for
 * its life, reading the host's files under $MEMPRESSURE_HOST_ROOT, else
 * /, with room for MPD_PODS_CACHE pods and containers.  The metrics' labels
 * use it, and so can the log lines: mp_pod_describe(mpd_pods(), cgroup,
 * ...).  NULL if out of memory (the path alone is then parsed).
 */
#define MPD_PODS_CACHE		1024
#define MPD_PODS_RETRY_MS	10000
struct mp_pod_resolver *mpd_pods(void);

/*
 * The log's name for @cgroup: its path, and its pod and container when
 * known, "PATH (NAMESPACE/POD/CONTAINER)" (mp_pod_describe()), each part
 * escaped for the log (mpd_log_escape()) and the two kept apart by a plain
 * space.  The lines where a cgroup first comes up (a subscriber, an
 * episode) use it.
 */
#define MPD_CGROUP_DESC_MAX	MPD_LOG_FIELD_MAX
const char *mpd_cgroup_desc(const char *cgroup, char out[MPD_CGROUP_DESC_MAX]);

/* s->pod_of of the daemon's snapshots: mp_pod_resolve() with mpd_pods(). */
int mpd_metrics_pod_of(const char *path, struct mp_pod_info *info, void *arg);

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
