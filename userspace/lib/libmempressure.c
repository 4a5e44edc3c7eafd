// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * libmempressure: a mempressured client (docs/protocol.md).
 *
 * Theory of operation.  A client is one SOCK_SEQPACKET connection to the
 * daemon, non-blocking from the start.  mp_client_new() connects and sends
 * hello, and returns at once: the welcome arrives later, like everything
 * the daemon sends, and is handled by mp_client_process() when the
 * application's loop sees the descriptor readable.  mp_client_process()
 * reads packets until none is left; each is parsed by the protocol codec
 * (mp_proto.c), checked, and handed to the application's callbacks, and a
 * trim is answered with a trimmed carrying what the trim handler returned.
 *
 * Sending never blocks either.  A packet the socket cannot take now (the
 * daemon is not reading) waits in a short queue, in order, and goes out on
 * the next mp_client_process() or mp_client_report(); mp_client_events()
 * then asks the application to wait for POLLOUT as well.
 *
 * A connection that ends, or a daemon that says something this version of
 * the protocol does not allow, leaves the client broken: every later call
 * returns the same error, and the application frees the client and, if it
 * wants, connects again.  The library keeps no global state and never
 * logs: what went wrong is the return value (and mp_client_get_error()).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/mempressure.h>
#include <mempressure/mempressure.h>

#include "mp_proto.h"
#include "names.h"

/*
 * The public enums are the protocol's, value for value: each name of
 * <linux/mempressure.h> has its MP_ twin, or this does not compile.
 */
#define MP_SAME_LEVEL(e, name)						\
	_Static_assert((int)MP_LEVEL_##e == (int)MEMPRESSURE_LEVEL_##e,	\
		       "enum mp_level: " name);
#define MP_SAME_TRIM_REASON(e, name)					\
	_Static_assert((int)MP_TRIM_REASON_##e ==			\
		       (int)MEMPRESSURED_TRIM_##e,			\
		       "enum mp_trim_reason: " name);
#define MP_SAME_LEVEL_REASON(e, name)					\
	_Static_assert((int)MP_LEVEL_REASON_##e ==			\
		       (int)MEMPRESSURE_REASON_##e,			\
		       "enum mp_level_reason: " name);
MEMPRESSURE_LEVELS(MP_SAME_LEVEL)
MEMPRESSURED_TRIM_REASONS(MP_SAME_TRIM_REASON)
MEMPRESSURE_REASONS(MP_SAME_LEVEL_REASON)

/*
 * Packets waiting for the socket.  Replies are a few dozen bytes and the
 * socket buffer holds hundreds of them, so a full queue means the daemon
 * stopped reading long ago: refuse more (-ENOBUFS) rather than grow.
 */
#define MP_OUT_QUEUE_MAX	256

struct mp_out_packet {
	struct mp_out_packet *next;
	size_t len;
	char data[];
};

struct mp_client {
	int fd;
	int error;			/* once broken, what every call returns */
	bool in_process;

	mp_trim_fn trim_fn;
	void *trim_userdata;
	mp_level_fn level_fn;
	void *level_userdata;

	/* What the welcome said. */
	bool welcomed;
	bool has_pid, has_cgroup, has_level, has_soft_limit, has_error;
	pid_t pid;
	int level;
	uint64_t soft_limit_bytes;
	char cgroup[MEMPRESSURED_MSG_MAX + 1];
	char error_reason[MEMPRESSURED_MSG_MAX + 1];

	struct mp_out_packet *out_head, *out_tail;
	size_t out_nr;

	/* One more byte than a packet may have, to see one that is longer. */
	char rx[MEMPRESSURED_MSG_MAX + 1];
	struct mp_msg msg;
};

/* The connection is unusable from now on. */
static int broken(struct mp_client *c, int err)
{
	c->error = err;
	return err;
}

static int enqueue(struct mp_client *c, const char *data, size_t len)
{
	struct mp_out_packet *p;

	if (c->out_nr >= MP_OUT_QUEUE_MAX)
		return -ENOBUFS;
	p = malloc(sizeof(*p) + len);
	if (!p)
		return -ENOMEM;
	p->next = NULL;
	p->len = len;
	memcpy(p->data, data, len);
	if (c->out_tail)
		c->out_tail->next = p;
	else
		c->out_head = p;
	c->out_tail = p;
	c->out_nr++;
	return 0;
}

/* 1 if sent, 0 if the socket is full, or -errno. */
static int send_now(struct mp_client *c, const char *data, size_t len)
{
	ssize_t n;

	do {
		n = send(c->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n >= 0)	/* a packet goes whole or not at all */
		return (size_t)n == len ? 1 : broken(c, -EIO);
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return 0;
	if (errno == EPIPE || errno == ECONNRESET || errno == ENOTCONN)
		return broken(c, -ECONNRESET);
	return -errno;
}

/* Send what waits, oldest first, until the socket is full. */
static int flush(struct mp_client *c)
{
	struct mp_out_packet *p;
	int r;

	while ((p = c->out_head)) {
		r = send_now(c, p->data, p->len);
		if (r <= 0)
			return r;
		c->out_head = p->next;
		if (!c->out_head)
			c->out_tail = NULL;
		c->out_nr--;
		free(p);
	}
	return 0;
}

/* Send @o now, or after what already waits. */
static int send_msg(struct mp_client *c, struct mp_msg_out *o)
{
	int len = mp_msg_end(o);
	int r;

	if (len < 0)
		return len;
	r = flush(c);
	if (r < 0)
		return r;
	if (!c->out_head) {
		r = send_now(c, o->buf, (size_t)len);
		if (r)
			return r < 0 ? r : 0;
	}
	return enqueue(c, o->buf, (size_t)len);
}

static int send_trimmed(struct mp_client *c, uint64_t id, uint64_t freed)
{
	struct mp_msg_out o;

	mp_msg_begin(&o, MEMPRESSURED_MSG_TRIMMED);
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_ID, id);
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_FREED, freed);
	return send_msg(c, &o);
}

/* An enum's value from its protocol name; unknown names are newer ones. */
static int lookup(const char *const *names, size_t nr, const char *s)
{
	int i;

	if (!s)
		return -1;
	i = mp_msg_lookup(names, nr, s);
	return i < 0 ? -1 : i;
}

static int get_level(const struct mp_msg *m, enum mempressured_key k)
{
	return lookup(mp_level_names, MEMPRESSURE_LEVEL_NR, mp_msg_get(m, k));
}

/* An optional number: 0 if absent (@v unchanged), -EBADMSG if not one. */
static int get_u64_opt(const struct mp_msg *m, enum mempressured_key k,
		       uint64_t *v)
{
	int r = mp_msg_get_u64(m, k, v);

	return r == -ENOENT ? 0 : r ? -EBADMSG : 0;
}

static int get_pid(const struct mp_msg *m, pid_t *pid, bool *has)
{
	uint64_t v;
	int r = mp_msg_get_u64(m, MEMPRESSURED_KEY_PID, &v);

	if (r == -ENOENT)
		return 0;
	if (r || v > INT_MAX)
		return -EBADMSG;
	*pid = (pid_t)v;
	if (has)
		*has = true;
	return 0;
}

static int handle_welcome(struct mp_client *c, const struct mp_msg *m)
{
	const char *s;
	uint64_t version;
	int r;

	if (c->welcomed)
		return -EPROTO;
	r = mp_msg_get_u64(m, MEMPRESSURED_KEY_VERSION, &version);
	if (r)
		return -EBADMSG;
	if (version != MEMPRESSURED_PROTOCOL_VERSION)
		return -EPROTO;
	r = get_pid(m, &c->pid, &c->has_pid);
	if (r)
		return r;
	s = mp_msg_get(m, MEMPRESSURED_KEY_CGROUP);
	if (s) {
		strcpy(c->cgroup, s);	/* no longer than the packet */
		c->has_cgroup = true;
	}
	if (mp_msg_get(m, MEMPRESSURED_KEY_LEVEL)) {
		c->level = get_level(m, MEMPRESSURED_KEY_LEVEL);
		c->has_level = true;
	}
	/* A number; "max" (no soft limit) as cgroupfs writes it. */
	s = mp_msg_get(m, MEMPRESSURED_KEY_SOFT_LIMIT);
	if (s && !strcmp(s, MEMPRESSURE_UNLIMITED)) {
		c->soft_limit_bytes = UINT64_MAX;
		c->has_soft_limit = true;
	} else if (s && *s) {
		if (mp_msg_get_u64(m, MEMPRESSURED_KEY_SOFT_LIMIT,
				   &c->soft_limit_bytes))
			return -EBADMSG;
		c->has_soft_limit = true;
	}
	c->welcomed = true;
	return 0;
}

static int handle_level(struct mp_client *c, const struct mp_msg *m)
{
	struct mp_level_change ev = {
		.level = get_level(m, MEMPRESSURED_KEY_LEVEL),
		.old_level = get_level(m, MEMPRESSURED_KEY_OLD_LEVEL),
		.reason = lookup(mp_reasons, MEMPRESSURE_REASON_NR,
				 mp_msg_get(m, MEMPRESSURED_KEY_REASON)),
		.cgroup = mp_msg_get(m, MEMPRESSURED_KEY_CGROUP),
	};

	if (!mp_msg_get(m, MEMPRESSURED_KEY_LEVEL))
		return -EBADMSG;
	c->level = ev.level;
	c->has_level = true;
	if (c->level_fn)
		c->level_fn(c, &ev, c->level_userdata);
	return 0;
}

static int handle_trim(struct mp_client *c, const struct mp_msg *m)
{
	struct mp_trim req = {
		.level = get_level(m, MEMPRESSURED_KEY_LEVEL),
		.reason = lookup(mp_trim_reason_names, MEMPRESSURED_TRIM_NR,
				 mp_msg_get(m, MEMPRESSURED_KEY_REASON)),
		.cgroup = mp_msg_get(m, MEMPRESSURED_KEY_CGROUP),
	};
	uint64_t freed = 0;

	/* Without an id there is nothing to answer, without a size no ask. */
	if (mp_msg_get_u64(m, MEMPRESSURED_KEY_ID, &req.id) ||
	    mp_msg_get_u64(m, MEMPRESSURED_KEY_WANT, &req.want_bytes) ||
	    get_u64_opt(m, MEMPRESSURED_KEY_DEADLINE, &req.deadline_ms) ||
	    get_pid(m, &req.pid, NULL))
		return broken(c, -EBADMSG);
	if (c->trim_fn)
		freed = c->trim_fn(c, &req, c->trim_userdata);
	if (freed == MP_TRIM_LATER)
		return 0;
	return send_trimmed(c, req.id, freed);
}

static int handle_error(struct mp_client *c, const struct mp_msg *m)
{
	const char *reason = mp_msg_get(m, MEMPRESSURED_KEY_REASON);

	if (reason) {
		strcpy(c->error_reason, reason);
		c->has_error = true;
	}
	if (reason && !strcmp(reason, MP_ERROR_VERSION))
		return -EPROTO;
	return -ECONNRESET;
}

/*
 * One packet: 0 or -errno.  What the daemon got wrong breaks the
 * connection; a reply that could not be queued (-ENOMEM, -ENOBUFS) does
 * not.
 */
static int handle(struct mp_client *c, size_t len)
{
	struct mp_msg *m = &c->msg;
	int r;

	r = mp_msg_parse(c->rx, len, m);
	if (r)
		return broken(c, r == -EPROTO ? -EPROTO : -EBADMSG);
	if (!c->welcomed && m->type != MEMPRESSURED_MSG_WELCOME &&
	    m->type != MEMPRESSURED_MSG_ERROR)
		return broken(c, -EPROTO);
	switch (m->type) {
	case MEMPRESSURED_MSG_WELCOME:
		r = handle_welcome(c, m);
		break;
	case MEMPRESSURED_MSG_LEVEL:
		r = handle_level(c, m);
		break;
	case MEMPRESSURED_MSG_TRIM:
		return handle_trim(c, m);
	case MEMPRESSURED_MSG_ERROR:
		r = handle_error(c, m);
		break;
	default:
		/* hello, trimmed, status, end: not for a subscriber. */
		r = -EPROTO;
		break;
	}
	return r ? broken(c, r) : 0;
}

int mp_client_process(struct mp_client *c)
{
	bool reset = false;
	int handled = 0, r;
	ssize_t n;

	if (!c)
		return -EINVAL;
	if (c->in_process)
		return -EBUSY;
	if (c->error)
		return c->error;
	r = flush(c);
	if (r < 0)
		return r;

	c->in_process = true;
	for (;;) {
		n = recv(c->fd, c->rx, sizeof(c->rx), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/*
			 * A daemon that closed with our packets unread resets
			 * the connection, and the reset is reported before
			 * the packets it sent last: read on, the reason of
			 * an error may be among them.
			 */
			if (errno == ECONNRESET && !reset) {
				reset = true;
				continue;
			}
			if ((errno == EAGAIN || errno == EWOULDBLOCK) && !reset)
				break;
			r = errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == ECONNRESET || errno == ENOTCONN ?
			    broken(c, -ECONNRESET) : -errno;
			goto out;
		}
		if (!n) {		/* end of file: the daemon closed */
			r = broken(c, -ECONNRESET);
			goto out;
		}
		r = handle(c, (size_t)n);
		if (r < 0)
			goto out;
		handled++;
	}
	r = handled;
out:
	c->in_process = false;
	return r;
}

int mp_client_report(struct mp_client *c, uint64_t id, uint64_t freed_bytes)
{
	if (!c || freed_bytes == MP_TRIM_LATER)
		return -EINVAL;
	if (c->error)
		return c->error;
	return send_trimmed(c, id, freed_bytes);
}

int mp_client_new(struct mp_client **ret, const char *name,
		  const char *socket_path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct mp_client *c;
	struct mp_msg_out o;
	int r;

	if (!ret || !name || !*name)
		return -EINVAL;
	if (!socket_path) {
		socket_path = secure_getenv("MEMPRESSURED_SOCKET");
		if (!socket_path || !*socket_path)
			socket_path = MEMPRESSURED_SOCKET;
	}
	if (!*socket_path)
		return -EINVAL;
	if (strlen(socket_path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, socket_path);

	mp_msg_begin(&o, MEMPRESSURED_MSG_HELLO);
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_VERSION,
		       MEMPRESSURED_PROTOCOL_VERSION);
	mp_msg_add_str(&o, MEMPRESSURED_KEY_NAME, name);
	if (mp_msg_end(&o) < 0)
		return -ENAMETOOLONG;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->level = MP_LEVEL_UNKNOWN;
	c->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK,
		       0);
	if (c->fd < 0) {
		r = -errno;
		goto err_free;
	}
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		goto err_close;
	}
	r = send_msg(c, &o);
	if (r < 0)
		goto err_close;
	*ret = c;
	return 0;

err_close:
	close(c->fd);
err_free:
	free(c);
	return r;
}

void mp_client_free(struct mp_client *c)
{
	struct mp_out_packet *p;

	if (!c)
		return;
	while ((p = c->out_head)) {
		c->out_head = p->next;
		free(p);
	}
	close(c->fd);
	free(c);
}

int mp_client_fd(const struct mp_client *c)
{
	return c ? c->fd : -EINVAL;
}

int mp_client_events(const struct mp_client *c)
{
	if (!c)
		return -EINVAL;
	return POLLIN | (c->out_head ? POLLOUT : 0);
}

int mp_client_set_trim_handler(struct mp_client *c, mp_trim_fn fn,
			       void *userdata)
{
	if (!c)
		return -EINVAL;
	c->trim_fn = fn;
	c->trim_userdata = userdata;
	return 0;
}

int mp_client_set_level_handler(struct mp_client *c, mp_level_fn fn,
				void *userdata)
{
	if (!c)
		return -EINVAL;
	c->level_fn = fn;
	c->level_userdata = userdata;
	return 0;
}

int mp_client_get_pid(const struct mp_client *c, pid_t *pid)
{
	if (!c || !pid)
		return -EINVAL;
	if (!c->has_pid)
		return -ENODATA;
	*pid = c->pid;
	return 0;
}

int mp_client_get_cgroup(const struct mp_client *c, const char **cgroup)
{
	if (!c || !cgroup)
		return -EINVAL;
	if (!c->has_cgroup)
		return -ENODATA;
	*cgroup = c->cgroup;
	return 0;
}

int mp_client_get_level(const struct mp_client *c, int *level)
{
	if (!c || !level)
		return -EINVAL;
	if (!c->has_level)
		return -ENODATA;
	*level = c->level;
	return 0;
}

int mp_client_get_soft_limit(const struct mp_client *c, uint64_t *bytes)
{
	if (!c || !bytes)
		return -EINVAL;
	if (!c->has_soft_limit)
		return -ENODATA;
	*bytes = c->soft_limit_bytes;
	return 0;
}

int mp_client_get_error(const struct mp_client *c, const char **reason)
{
	if (!c || !reason)
		return -EINVAL;
	if (!c->has_error)
		return -ENODATA;
	*reason = c->error_reason;
	return 0;
}

static const char *name_of(const char *const *names, int nr, int i)
{
	return i >= 0 && i < nr ? names[i] : NULL;
}

const char *mp_level_name(int level)
{
	return name_of(mp_level_names, MEMPRESSURE_LEVEL_NR, level);
}

const char *mp_trim_reason_name(int reason)
{
	return name_of(mp_trim_reason_names, MEMPRESSURED_TRIM_NR, reason);
}

const char *mp_level_reason_name(int reason)
{
	return name_of(mp_reasons, MEMPRESSURE_REASON_NR, reason);
}
