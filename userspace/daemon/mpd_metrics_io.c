// SPDX-License-Identifier: GPL-2.0
/*
 * mempressured's metrics out of the daemon: the textfile and the HTTP
 * responder (mpd_metrics_io.h).
 *
 * The responder is a state machine per connection, driven by the daemon's
 * level-triggered loop (mpd_loop.h), each connection a handler object: it
 * is registered for EPOLLIN while its request head arrives, then for
 * EPOLLOUT while its response leaves, then closed.  Every call does what
 * the socket allows without blocking and returns; the daemon's timer
 * calls mpd_http_expire() at the earliest
 * deadline, so a client that stalls costs a slot for MPD_HTTP_TIMEOUT_MS
 * at most and an idle responder has no timer armed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpd_metrics_io.h"

/* --- the rendering, with the pods' labels --- */

static struct mp_pod_resolver *pods;

static void pods_free(void)
{
	mp_pod_resolver_free(pods);
	pods = NULL;
}

struct mp_pod_resolver *mpd_pods(void)
{
	if (!pods) {
		pods = mp_pod_resolver_host(MPD_PODS_CACHE, MPD_PODS_RETRY_MS);
		if (pods)
			atexit(pods_free);
	}
	return pods;
}

const char *mpd_cgroup_desc(const char *cgroup, char out[MPD_CGROUP_DESC_MAX])
{
	char raw[4096 + MP_POD_NAMESPACE_MAX + MP_POD_NAME_MAX + MP_POD_CONTAINER_MAX + 6];
	char names[MPD_LOG_FIELD_MAX];
	size_t n = strlen(cgroup), len;

	mpd_log_escape(cgroup, out, MPD_CGROUP_DESC_MAX);
	mp_pod_describe(mpd_pods(), cgroup, raw, sizeof(raw));
	if (strncmp(raw, cgroup, n) || raw[n] != ' ')
		return out;
	len = strlen(out);
	snprintf(out + len, MPD_CGROUP_DESC_MAX - len, " %s",
		 mpd_log_escape(raw + n + 1, names, sizeof(names)));
	return out;
}

int mpd_metrics_pod_of(const char *path, struct mp_pod_info *info, void *arg)
{
	(void)arg;
	return mp_pod_resolve(mpd_pods(), path, info);
}

/*
 * s->cg_labels from s->pod_of, one resolution a cgroup (not one a sample):
 * malloc'ed strings, NULL where there are none; freed by labels_free().
 */
static char **labels_make(const struct mpd_metrics_snap *s)
{
	char **l = calloc(s->nr_cgroups + 1, sizeof(*l));

	for (size_t i = 0; l && i < s->nr_cgroups; i++) {
		struct mp_pod_info info;
		char buf[1024];

		if (s->pod_of(s->cgroups[i].path, &info, s->pod_arg) ||
		    mpd_metrics_pod_labels(&info, buf, sizeof(buf)) >= sizeof(buf) || !buf[0])
			continue;
		l[i] = strdup(buf);
	}
	return l;
}

static void labels_free(char **l, size_t n)
{
	for (size_t i = 0; l && i < n; i++)
		free(l[i]);
	free(l);
}

char *mpd_metrics_render_alloc(struct mpd_metrics_snap *s, size_t max, size_t *len)
{
	size_t need, nr = s->nr_cgroups;
	char *buf, **labels = NULL;

	if (!s->pod_of)
		s->pod_of = mpd_metrics_pod_of;
	if (!s->cg_labels) {
		labels = labels_make(s);
		s->cg_labels = (const char *const *)labels;
	}
	need = mpd_metrics_render(s, NULL, 0) + 1;

	/*
	 * Too large: fewer cgroups, in proportion with room to spare (the
	 * omitted count may grow by a few digits), until it fits.
	 */
	while (need > max && s->nr_cgroups) {
		size_t keep = (size_t)((double)s->nr_cgroups * ((double)max / (double)need) * 0.9);

		if (keep >= s->nr_cgroups)
			keep = s->nr_cgroups - 1;
		s->cgroups_omitted += s->nr_cgroups - keep;
		s->nr_cgroups = keep;
		need = mpd_metrics_render(s, NULL, 0) + 1;
	}
	buf = malloc(need);
	if (buf)
		*len = mpd_metrics_render(s, buf, need);
	if (labels) {
		s->cg_labels = NULL;
		labels_free(labels, nr);
	}
	return buf;
}

/* --- the textfile --- */

int mpd_metrics_write_file(const char *path, const char *buf, size_t len)
{
	size_t n = strlen(path) + sizeof(".tmpXXXXXX");
	char *tmp = malloc(n);
	size_t off = 0;
	int fd = -1, r;

	if (!tmp)
		return -ENOMEM;
	/* Not *.prom: the textfile collector never reads the temporary file. */
	snprintf(tmp, n, "%s.tmpXXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		free(tmp);
		return r;
	}
	if (fchmod(fd, 0644) < 0)
		goto fail;
	while (off < len) {
		ssize_t w = write(fd, buf + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto fail;
		off += (size_t)w;
	}
	r = close(fd);
	fd = -1;
	if (r < 0 || rename(tmp, path) < 0)
		goto fail;
	free(tmp);
	return 0;
fail:
	r = -errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return r;
}

/* --- the HTTP responder --- */

void mpd_http_init(struct mpd_http *h)
{
	memset(h, 0, sizeof(*h));
	mpd_io_init(&h->listen);
	for (size_t i = 0; i < MPD_HTTP_CONN_MAX; i++) {
		mpd_io_init(&h->conn[i].io);
		h->conn[i].h = h;
	}
}

static void conn_close(struct mpd_http_conn *c)
{
	char scratch[512];
	int fd = c->io.fd;

	if (fd < 0)
		return;
	/* What the client sent past its head is read, so close() sends no RST. */
	while (recv(fd, scratch, sizeof(scratch), MSG_DONTWAIT) > 0)
		;
	close(mpd_loop_del(c->h->loop, &c->io));
	free(c->out);
	c->out = NULL;
	c->rlen = c->out_len = c->out_off = 0;
}

void mpd_http_close(struct mpd_http *h)
{
	for (size_t i = 0; i < MPD_HTTP_CONN_MAX; i++)
		conn_close(&h->conn[i]);
	if (h->listen.fd >= 0)
		close(mpd_loop_del(h->loop, &h->listen));
}

/* The whole response, head and body, in c->out; its status, or -ENOMEM. */
static int respond(struct mpd_http_conn *c, int status, bool head, mpd_http_body_fn body,
		   void *arg)
{
	const char *type = "text/plain; charset=utf-8";
	char hdr[256], *b = NULL, reason[64];
	size_t blen = 0;
	int n;

	if (status == 200) {
		b = body(&blen, arg);
		if (b)
			type = "text/plain; version=0.0.4; charset=utf-8";
		else
			status = 503;
	}
	if (!b) {
		snprintf(reason, sizeof(reason), "%s\n", mpd_http_reason(status));
		blen = strlen(reason);
	}
	n = snprintf(hdr, sizeof(hdr),
		     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\n\r\n", status, mpd_http_reason(status), type, blen);
	if (head)
		blen = 0;
	c->out = malloc((size_t)n + blen);
	if (!c->out) {
		free(b);
		return -ENOMEM;
	}
	memcpy(c->out, hdr, (size_t)n);
	memcpy(c->out + n, b ? b : reason, blen);
	free(b);
	c->out_len = (size_t)n + blen;
	c->out_off = 0;
	return status;
}

static void conn_write(struct mpd_http_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->io.fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0)
			break;
		c->out_off += (size_t)n;
	}
	conn_close(c);
}

static void conn_read(struct mpd_http_conn *c)
{
	struct mpd_http *h = c->h;
	bool head;
	int status = 0;

	while (!status) {
		ssize_t n = recv(c->io.fd, c->req + c->rlen, sizeof(c->req) - c->rlen,
				 MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			conn_close(c);	/* gone before its request was whole */
			return;
		}
		c->rlen += (size_t)n;
		status = mpd_http_request(c->req, c->rlen, &head);
	}
	status = respond(c, status, head, h->body, h->arg);
	if (status < 0 || mpd_loop_mod(h->loop, &c->io, EPOLLOUT) < 0) {
		conn_close(c);
		return;
	}
	h->served += status == 200;
	conn_write(c);
}

/* A connection's socket: its request while it has none, else its response. */
static void conn_event(struct mpd_io *io, uint32_t events)
{
	struct mpd_http_conn *c = mpd_container_of(io, struct mpd_http_conn, io);

	(void)events;
	if (c->out)
		conn_write(c);
	else
		conn_read(c);
}

static void accept_conns(struct mpd_io *io, uint32_t events)
{
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
				   "Connection: close\r\n\r\n";
	struct mpd_http *h = mpd_container_of(io, struct mpd_http, listen);

	(void)events;
	for (;;) {
		struct mpd_http_conn *c = NULL;
		int fd = accept4(h->listen.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return;		/* EAGAIN; or an error: the next event retries */
		for (size_t i = 0; i < MPD_HTTP_CONN_MAX && !c; i++)
			if (h->conn[i].io.fd < 0)
				c = &h->conn[i];
		if (!c || mpd_loop_add(h->loop, &c->io, fd, EPOLLIN, conn_event) < 0) {
			/* Over the cap: say so if the socket takes it, and close. */
			send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
			h->refused++;
			close(fd);
			continue;
		}
		c->deadline = mpd_clock_ms() + MPD_HTTP_TIMEOUT_MS;
		c->rlen = 0;
	}
}

int mpd_http_open(struct mpd_http *h, const struct sockaddr *sa, socklen_t sa_len,
		  struct mpd_loop *loop, mpd_http_body_fn body, void *arg)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
	int r;

	if (fd < 0)
		return -errno;
	h->loop = loop;
	h->body = body;
	h->arg = arg;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, sa, sa_len) < 0 || listen(fd, 16) < 0)
		r = -errno;
	else
		r = mpd_loop_add(loop, &h->listen, fd, EPOLLIN, accept_conns);
	if (r < 0)
		close(fd);
	return r;
}

void mpd_http_expire(struct mpd_http *h, uint64_t now)
{
	for (size_t i = 0; i < MPD_HTTP_CONN_MAX; i++)
		if (h->conn[i].io.fd >= 0 && h->conn[i].deadline <= now)
			conn_close(&h->conn[i]);
}

uint64_t mpd_http_next_deadline(const struct mpd_http *h)
{
	uint64_t next = UINT64_MAX;

	for (size_t i = 0; i < MPD_HTTP_CONN_MAX; i++)
		if (h->conn[i].io.fd >= 0 && h->conn[i].deadline < next)
			next = h->conn[i].deadline;
	return next;
}
