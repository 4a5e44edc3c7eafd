// SPDX-License-Identifier: GPL-2.0
/* mempressured's sockets and their clients: see mpd_clients.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/mempressure.h>

#include "mpd.h"
#include "mpd_events.h"
#include "names.h"

/* Never blocks: a subscriber with a full queue loses this message. */
int mpd_client_send(struct mpd_client *c, struct mp_msg_out *o)
{
	int len = mp_msg_end(o);

	if (len < 0) {
		log_warn("message to %s (pid %d) too long, ignoring", LOG_ESC(c->name), c->pid);
		return len;
	}
	if (send(c->io.fd, o->buf, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (!c->dropped++)
				log_warn("%s (pid %d) is not reading: dropping its messages",
					 LOG_ESC(c->name), c->pid);
			return -EAGAIN;
		}
		return -errno;
	}
	return 0;
}

static void client_error(struct mpd_client *c, const char *reason)
{
	struct mp_msg_out o;

	mp_msg_begin(&o, MEMPRESSURED_MSG_ERROR);
	mp_msg_add_str(&o, MEMPRESSURED_KEY_REASON, reason);
	mpd_client_send(c, &o);
}

void mpd_client_free(struct mpd_client *c)
{
	struct mpd *d = c->d;

	for (struct mpd_client **pp = &d->clients; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	close(mpd_loop_del(&d->loop, &c->io));
	if (c->pidfd >= 0)
		close(c->pidfd);
	free(c->cgroup);
	free(c);
}

bool mpd_client_alive(const struct mpd_client *c)
{
	return c->pidfd < 0 || mpd_pidfd_alive(c->pidfd);
}

void mpd_client_drop(struct mpd_client *c, const char *reason)
{
	log_info("dropping client %s (pid %d): %s", LOG_ESC(c->hello ? c->name : "?"), c->pid,
		 reason ? reason : "connection error");
	if (reason)
		client_error(c, reason);
	mpd_client_free(c);
}

struct mpd_client *mpd_client_by_cid(const struct mpd *d, uint64_t cid)
{
	for (struct mpd_client *c = d->clients; c; c = c->next)
		if (c->cid == cid)
			return c;
	return NULL;
}

/* The cgroup of @c's process, from /proc: 0, or -errno. */
static int client_cgroup(struct mpd_client *c)
{
	char cg[MPD_CGROUP_LEN];
	int r = mpd_proc_cgroup(&c->d->sys, c->pid, cg, sizeof(cg));

	if (r < 0)
		return r;
	free(c->cgroup);
	c->cgroup = strdup(cg);
	return c->cgroup ? 0 : -ENOMEM;
}

static void on_hello(struct mpd_client *c, const struct mp_msg *m)
{
	const char *name = mp_msg_get(m, MEMPRESSURED_KEY_NAME);
	const char *scope = mp_msg_get(m, MEMPRESSURED_KEY_SCOPE);
	struct mpd_cg_row row = { .level = MEMPRESSURE_LEVEL_NONE };
	struct mpd *d = c->d;
	char desc[MPD_CGROUP_DESC_MAX];
	struct mp_msg_out o;
	uint64_t version;

	if (mp_msg_get_u64(m, MEMPRESSURED_KEY_VERSION, &version) < 0) {
		mpd_client_drop(c, "malformed");
		return;
	}
	if (version != MEMPRESSURED_PROTOCOL_VERSION) {
		mpd_client_drop(c, "version");
		return;
	}
	if (scope && strcmp(scope, MEMPRESSURED_SCOPE_ALL)) {
		mpd_client_drop(c, "malformed");
		return;
	}
	if (scope && c->uid != 0) {
		mpd_client_drop(c, "permission");
		return;
	}
	/*
	 * Its cgroup as read at accept: the pid it connected with may be
	 * another process's by now, which it must not speak for.
	 */
	if (!c->cgroup || !mpd_client_alive(c)) {
		mpd_client_drop(c, "cgroup");
		return;
	}
	snprintf(c->name, sizeof(c->name), "%s", name && *name ? name : "?");
	mpd_module_cgroup(&d->sys, c->cgroup, &row);
	mp_msg_begin(&o, MEMPRESSURED_MSG_WELCOME);
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_VERSION, MEMPRESSURED_PROTOCOL_VERSION);
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_PID, (uint64_t)c->pid);
	mp_msg_add_str(&o, MEMPRESSURED_KEY_CGROUP, c->cgroup);
	mp_msg_add_str(&o, MEMPRESSURED_KEY_LEVEL, mpd_level_name(row.level));
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_SOFT_LIMIT, row.soft);
	/*
	 * Every message to it names its cgroup: a path that does not fit in
	 * one (MEMPRESSURED_MSG_MAX) cannot be served, and is refused.
	 */
	if (mp_msg_end(&o) < 0) {
		log_warn("subscriber %s (pid %d): its cgroup path (%zu bytes) does not fit in a message of the protocol (%d bytes): refused",
			 LOG_ESC(c->name), c->pid, strlen(c->cgroup), MEMPRESSURED_MSG_MAX);
		mpd_client_drop(c, "cgroup");
		return;
	}
	c->hello = true;
	c->scope_all = scope != NULL;
	mpd_client_send(c, &o);
	mpd_app_get(d, c->name);
	log_info("subscriber %s: pid %d, cgroup %s%s", LOG_ESC(c->name), c->pid,
		 mpd_cgroup_desc(c->cgroup, desc), c->scope_all ? ", every cgroup" : "");
}

static void on_trimmed(struct mpd_client *c, const struct mp_msg *m)
{
	uint64_t id, freed, unmet = 0;
	int r;

	/* unmet_bytes came later: a client without it says nothing of the kind. */
	r = mp_msg_get_u64(m, MEMPRESSURED_KEY_UNMET, &unmet);
	if (mp_msg_get_u64(m, MEMPRESSURED_KEY_ID, &id) < 0 ||
	    mp_msg_get_u64(m, MEMPRESSURED_KEY_FREED, &freed) < 0 || (r < 0 && r != -ENOENT)) {
		mpd_client_drop(c, "malformed");
		return;
	}
	mpd_trim_replied(c->d, c, id, freed, unmet);
}

/* The status query's answer: a record per part of the daemon's state. */
static void send_status(struct mpd_client *c)
{
	const struct mpd *d = c->d;
	struct mp_msg_out o;
	uint64_t nr_sd = 0;

	mp_msg_begin(&o, MEMPRESSURED_MSG_STATUS);
	mp_msg_add_str(&o, MEMPRESSURED_KEY_MODULE, d->events.fd >= 0 ? "open" : "absent");
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_EVENTS, d->events_seen);
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_EVENTS_LOST, d->events_lost);
	for (struct mpd_client *s = d->clients; s; s = s->next)
		nr_sd += s->sd;
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_SYSTEMD_CLIENTS, nr_sd);
	mpd_client_send(c, &o);
	for (struct mpd_episode *e = d->episodes; e; e = e->next) {
		mp_msg_begin(&o, MEMPRESSURED_MSG_STATUS);
		mp_msg_add_str(&o, MEMPRESSURED_KEY_CGROUP, e->cgroup);
		mp_msg_add_str(&o, MEMPRESSURED_KEY_STAGE, mp_stage_names[e->stage]);
		mp_msg_add_str(&o, MEMPRESSURED_KEY_CLAMPED, e->clamped ? "yes" : "no");
		mp_msg_add_u64(&o, MEMPRESSURED_KEY_SOFT_LIMIT, e->soft_bytes);
		mpd_client_send(c, &o);
	}
	for (size_t i = 0; i < d->nr_apps; i++) {
		const struct mpd_app_stats *y = &d->apps[i].y;

		mp_msg_begin(&o, MEMPRESSURED_MSG_STATUS);
		mp_msg_add_str(&o, MEMPRESSURED_KEY_APP, d->apps[i].name);
		mp_msg_add_u64(&o, MEMPRESSURED_KEY_REQUESTS, y->requests);
		mp_msg_add_u64(&o, MEMPRESSURED_KEY_REPLIES, y->replies);
		mp_msg_add_u64(&o, MEMPRESSURED_KEY_TIMEOUTS, y->timeouts);
		mp_msg_add_u64(&o, MEMPRESSURED_KEY_CLAIMED, y->claimed_bytes);
		mp_msg_add_u64(&o, MEMPRESSURED_KEY_MEASURED, y->measured_bytes);
		mp_msg_add_u64(&o, MEMPRESSURED_KEY_CGROUP_MEASURED, y->cgroup_bytes_measured);
		mp_msg_add_u64(&o, MEMPRESSURED_KEY_UNMET_REPLIES, y->unmet_replies);
		mpd_client_send(c, &o);
	}
	/* What was done lately, oldest first. */
	for (uint64_t i = d->recent.nr > MPD_RECENT_MAX ? d->recent.nr - MPD_RECENT_MAX : 0;
	     i < d->recent.nr; i++) {
		const struct mpd_recent_action *r = &d->recent.r[i % MPD_RECENT_MAX];

		mp_msg_begin(&o, MEMPRESSURED_MSG_STATUS);
		mp_msg_add_str(&o, MEMPRESSURED_KEY_ACTION, r->text);
		mp_msg_add_u64(&o, MEMPRESSURED_KEY_TIME, r->time_usec);
		mpd_client_send(c, &o);
	}
	for (struct mpd_client *s = d->clients; s; s = s->next) {
		if (!s->hello)
			continue;
		mp_msg_begin(&o, MEMPRESSURED_MSG_STATUS);
		mp_msg_add_str(&o, MEMPRESSURED_KEY_SUBSCRIBER, s->name);
		mp_msg_add_u64(&o, MEMPRESSURED_KEY_PID, (uint64_t)s->pid);
		mp_msg_add_str(&o, MEMPRESSURED_KEY_CGROUP, s->cgroup);
		mp_msg_add_u64(&o, MEMPRESSURED_KEY_DROPPED, s->dropped);
		mpd_client_send(c, &o);
	}
	mp_msg_begin(&o, MEMPRESSURED_MSG_END);
	mpd_client_send(c, &o);
}

/* A subscriber's socket: its messages, until it would block. */
static void client_readable(struct mpd_io *io, uint32_t events)
{
	struct mpd_client *c = mpd_container_of(io, struct mpd_client, io);
	struct mpd *d = c->d;
	static struct mp_msg m;
	char buf[MEMPRESSURED_MSG_MAX + 1];
	uint64_t cid = c->cid;

	(void)events;
	for (;;) {
		ssize_t n = recv(c->io.fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
		int r;

		if (n < 0 && errno != ECONNRESET) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			mpd_client_drop(c, NULL);
			return;
		}
		if (n <= 0) {
			log_debug("client %s (pid %d) left", LOG_ESC(c->name), c->pid);
			mpd_client_free(c);
			return;
		}
		if (n > MEMPRESSURED_MSG_MAX) {
			mpd_client_drop(c, "too_long");
			return;
		}
		r = mp_msg_parse(buf, (size_t)n, &m);
		if (r < 0) {
			mpd_client_drop(c, r == -EPROTO ? "unknown" : "malformed");
			return;
		}
		c->silent_until = 0;
		if (!c->hello && m.type != MEMPRESSURED_MSG_HELLO &&
		    m.type != MEMPRESSURED_MSG_STATUS) {
			mpd_client_drop(c, "malformed");
			return;
		}
		switch (m.type) {
		case MEMPRESSURED_MSG_HELLO:
			if (c->hello) {
				mpd_client_drop(c, "malformed");
				return;
			}
			on_hello(c, &m);
			break;
		case MEMPRESSURED_MSG_TRIMMED:
			on_trimmed(c, &m);
			break;
		case MEMPRESSURED_MSG_STATUS:
			if (c->uid != 0) {
				mpd_client_drop(c, "permission");
				return;
			}
			send_status(c);
			break;
		default:
			mpd_client_drop(c, "unknown");
			return;
		}
		/* on_hello or on_trimmed may have dropped it. */
		if (!mpd_client_by_cid(d, cid))
			return;
	}
}

/*
 * systemd's memory-pressure protocol: what a client writes (its
 * $MEMORY_PRESSURE_WRITE) means nothing here and is discarded; EOF or an
 * error drops it.  epoll is level-triggered: what is left is read later.
 */
static void sd_client_readable(struct mpd_io *io, uint32_t events)
{
	struct mpd_client *c = mpd_container_of(io, struct mpd_client, io);
	char buf[4096];

	(void)events;
	/* A bounded pass: one that never stops writing is back next round. */
	for (int i = 0; i < 16; i++) {
		ssize_t n = recv(c->io.fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		log_debug("systemd client (pid %d) left%s%s", c->pid, n < 0 ? ": " : "",
			  n < 0 ? strerror(errno) : "");
		mpd_client_free(c);
		return;
	}
}

/* Why a new client of @uid on @fd cannot be taken, or NULL if it can. */
static const char *client_refusal(const struct mpd *d, int fd, uid_t uid)
{
	unsigned int all = 0, mine = 0;
	struct rlimit rl;

	for (const struct mpd_client *c = d->clients; c; c = c->next) {
		all++;
		mine += c->uid == uid;
	}
	if (mine >= d->limits.per_uid)
		return "too many clients of its user";
	if (all >= d->limits.max)
		return "too many clients";
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (rlim_t)fd + d->limits.fd_reserve >= rl.rlim_cur)
		return "file descriptors kept for the daemon's own work";
	return NULL;
}

struct mpd_client *mpd_client_add(struct mpd *d, int fd, pid_t pid, uid_t uid, bool sd,
				  int pidfd)
{
	const char *refusal = client_refusal(d, fd, uid);
	char desc[MPD_CGROUP_DESC_MAX];
	struct mpd_client *c;
	int r;

	if (refusal) {
		/* A flood is logged at 1, 2, 4, 8... refusals, not each. */
		d->clients_refused++;
		if (!(d->clients_refused & (d->clients_refused - 1)))
			log_warn("refusing a client (pid %d, uid %u): %s (%llu refused so far)",
				 pid, uid, refusal, (unsigned long long)d->clients_refused);
		goto out_refused;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		log_warn("new client: out of memory, ignoring");
		goto out_refused;
	}
	c->d = d;
	c->cid = ++d->next_cid;
	c->pid = pid;
	c->uid = uid;
	c->sd = sd;
	c->pidfd = pidfd;
	/* A systemd client says nothing by design; any other says hello or status. */
	c->silent_until = sd ? 0 : mpd_now(d) + MPD_HELLO_MS;
	/*
	 * Its cgroup now, while its pidfd shows that the pid is still the
	 * process that connected (one that says hello on a pid it lost gets
	 * error reason=cgroup).
	 */
	if (client_cgroup(c) < 0 || !mpd_client_alive(c)) {
		free(c->cgroup);
		c->cgroup = NULL;
	}
	if (sd && !c->cgroup) {
		log_warn("systemd client (pid %d): no cgroup, closing", c->pid);
		goto out_free;
	}
	r = mpd_loop_add(&d->loop, &c->io, fd, EPOLLIN, sd ? sd_client_readable : client_readable);
	if (r < 0) {
		log_warn("epoll: %s, ignoring client", strerror(-r));
		goto out_free;
	}
	c->next = d->clients;
	d->clients = c;
	if (sd)
		log_info("systemd client: pid %d, cgroup %s", c->pid,
			 mpd_cgroup_desc(c->cgroup, desc));
	else
		log_debug("client connected: pid %d uid %u", c->pid, c->uid);
	return c;
out_free:
	free(c->cgroup);
	free(c);
out_refused:
	close(fd);
	if (pidfd >= 0)
		close(pidfd);
	return NULL;
}

/* Watch both sockets for @events (0: not at all, for a while). */
static void listeners_watch(struct mpd *d, uint32_t events)
{
	if (d->listen.fd >= 0)
		mpd_loop_mod(&d->loop, &d->listen, events);
	if (d->sd_listen.fd >= 0)
		mpd_loop_mod(&d->loop, &d->sd_listen, events);
}

void mpd_clients_tick(struct mpd *d, uint64_t now)
{
	for (struct mpd_client *c = d->clients, *next; c; c = next) {
		next = c->next;
		if (c->silent_until && now >= c->silent_until) {
			log_debug("client (pid %d) said nothing in %d ms, dropping", c->pid,
				  MPD_HELLO_MS);
			mpd_client_free(c);
		}
	}
	if (d->accept_again_at && now >= d->accept_again_at) {
		d->accept_again_at = 0;
		listeners_watch(d, EPOLLIN);
	}
}

uint64_t mpd_clients_next_due(const struct mpd *d)
{
	uint64_t next = d->accept_again_at ? d->accept_again_at : UINT64_MAX;

	for (const struct mpd_client *c = d->clients; c; c = c->next)
		if (c->silent_until && c->silent_until < next)
			next = c->silent_until;
	return next;
}

/* @sd: a client of the systemd socket, identified by its cgroup at once. */
static void accept_clients(struct mpd *d, int listen_fd, bool sd)
{
	for (;;) {
		struct ucred cred;
		socklen_t len = sizeof(cred);
		int pidfd;
		int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == ECONNABORTED)
				continue;
			if (errno == EAGAIN || errno == EINTR)
				return;
			/*
			 * Out of fds or memory, the connection stays queued
			 * and the socket readable: not watched for a while
			 * rather than tried again at once, for ever.
			 */
			log_warn("accept: %m: not accepting for %d ms", MPD_ACCEPT_BACKOFF_MS);
			d->accept_again_at = mpd_now(d) + MPD_ACCEPT_BACKOFF_MS;
			listeners_watch(d, 0);
			return;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
			log_warn("new client: %m, ignoring");
			close(fd);
			continue;
		}
		pidfd = mpd_peer_pidfd(fd, cred.pid);
		if (pidfd < 0) {
			log_debug("new client (pid %d): %s, ignoring", cred.pid, strerror(-pidfd));
			close(fd);
			continue;
		}
		mpd_client_add(d, fd, cred.pid, cred.uid, sd, pidfd);
	}
}

static void listen_readable(struct mpd_io *io, uint32_t events)
{
	struct mpd *d = mpd_container_of(io, struct mpd, listen);

	(void)events;
	accept_clients(d, io->fd, false);
}

static void sd_listen_readable(struct mpd_io *io, uint32_t events)
{
	struct mpd *d = mpd_container_of(io, struct mpd, sd_listen);

	(void)events;
	accept_clients(d, io->fd, true);
}

/*
 * Listen on @path with @type (SOCK_SEQPACKET for subscribers, SOCK_STREAM
 * for systemd's protocol), mode 0666, a stale socket replaced; @io in the
 * loop with @fn, the path in @saved.
 */
static int open_socket(struct mpd *d, const char *path, int type, struct mpd_io *io,
		       mpd_io_fn fn, char *saved)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_err("socket path %s is too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		int probe = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

		if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			log_err("%s: another mempressured is listening there", path);
			close(probe);
			close(fd);
			return -EADDRINUSE;
		}
		if (probe >= 0)
			close(probe);
		log_info("removing stale socket %s", path);
		unlink(path);
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0666) < 0 ||
	    listen(fd, 64) < 0)
		r = -errno;
	else
		r = mpd_loop_add(&d->loop, io, fd, EPOLLIN, fn);
	if (r < 0) {
		log_err("socket %s: %s", path, strerror(-r));
		close(fd);
		return r;
	}
	snprintf(saved, MPD_PATH_LEN, "%s", path);
	return 0;
}

/* The systemd socket's directory (/run/mempressured) is made if missing. */
static int open_sd_socket(struct mpd *d, const char *path)
{
	char dir[MPD_PATH_LEN];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			log_warn("mkdir %s: %m", dir);
	}
	return open_socket(d, path, SOCK_STREAM, &d->sd_listen, sd_listen_readable,
			   d->sd_socket_path);
}

int mpd_clients_open(struct mpd *d)
{
	if (open_socket(d, d->cfg.socket, SOCK_SEQPACKET, &d->listen, listen_readable,
			d->socket_path) < 0)
		return MPD_EXIT_SOCKET;
	/* Optional: without it, subscribers are still served. */
	if (d->cfg.systemd_socket && open_sd_socket(d, d->cfg.systemd_socket) < 0)
		log_err("running without systemd's memory-pressure protocol");
	if (d->sd_listen.fd >= 0)
		log_info("systemd memory-pressure socket %s (level %s)", d->sd_socket_path,
			 mpd_level_name(d->cfg.systemd_level));
	return 0;
}

void mpd_clients_close(struct mpd *d)
{
	int fd;

	while (d->clients)
		mpd_client_free(d->clients);
	fd = mpd_loop_del(&d->loop, &d->listen);
	if (fd >= 0) {
		close(fd);
		unlink(d->socket_path);
	}
	fd = mpd_loop_del(&d->loop, &d->sd_listen);
	if (fd >= 0) {
		close(fd);
		unlink(d->sd_socket_path);
	}
}

void mpd_sd_wake(struct mpd *d, const char *cgroup, pid_t only_pid, int level, int reason,
		 bool dry)
{
	struct mpd_action *a;

	for (struct mpd_client *c = d->clients, *next; c; c = next) {
		next = c->next;
		if (!c->sd || strcmp(c->cgroup, cgroup) || (only_pid && c->pid != only_pid))
			continue;
		if (dry) {
			log_action(d, "would wake systemd client (pid %d) in %s (level %s, reason %s)",
				   c->pid, LOG_ESC(cgroup), mpd_level_name(level),
				   mp_trim_reason_names[reason]);
			d->counters.dry_callbacks[MPD_CB_SYSTEMD]++;
			continue;
		}
		/* One byte makes its socket readable: its pressure event. */
		if (send(c->io.fd, "\n", 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 &&
		    errno != EAGAIN && errno != EWOULDBLOCK) {
			log_debug("systemd client (pid %d): %m, dropping", c->pid);
			mpd_client_free(c);
			continue;
		}
		log_action(d, "woke systemd client (pid %d) in %s (level %s, reason %s)", c->pid,
			   LOG_ESC(cgroup), mpd_level_name(level), mp_trim_reason_names[reason]);
		d->counters.callbacks[MPD_CB_SYSTEMD]++;
		/* Measured like a signal's target, under its command's name. */
		a = mpd_action_new(d, MPD_ACT_WAKE, 0, cgroup, level, reason, 0);
		if (!a)
			continue;
		a->pid = c->pid;
		if (mpd_proc_comm(&d->sys, c->pid, a->comm, sizeof(a->comm)) < 0)
			snprintf(a->comm, sizeof(a->comm), "?");
		snprintf(a->hook_name, sizeof(a->hook_name), "%s", a->comm);
		mpd_target_watch(d, a, "systemd");
	}
}

/*
 * A level message to the subscribers of @ev's cgroup.  A limit event is
 * told as one too, the level unchanged and the reason "limit": the soft
 * limit it carries is what a client sizes itself to.
 */
void mpd_notify_level(struct mpd *d, const struct mp_event *ev)
{
	bool limit = ev->kind == MEMPRESSURE_EVENT_LIMIT;
	struct mp_msg_out o;
	struct mpd_cg_row row;
	int soft = 0;		/* the cgroup's row: 0 not read yet, 1 read, -1 not found */

	if (limit) {
		row.soft = ev->soft_limit_bytes;
		soft = 1;
	}

	for (struct mpd_client *c = d->clients, *next; c; c = next) {
		int r;

		next = c->next;
		if (!c->hello || (!c->scope_all && strcmp(c->cgroup, ev->cgroup)))
			continue;
		mp_msg_begin(&o, MEMPRESSURED_MSG_LEVEL);
		mp_msg_add_str(&o, MEMPRESSURED_KEY_CGROUP, ev->cgroup);
		mp_msg_add_str(&o, MEMPRESSURED_KEY_LEVEL, mpd_level_name(ev->level));
		mp_msg_add_str(&o, MEMPRESSURED_KEY_OLD_LEVEL,
			       mpd_level_name(limit ? ev->level : ev->old_level));
		mp_msg_add_str(&o, MEMPRESSURED_KEY_REASON,
			       limit ? mp_reasons[MEMPRESSURE_REASON_LIMIT] : mpd_event_reason(ev));
		/*
		 * The soft limit moves with memory.max and memory.high: say
		 * where it is.  The module publishes a sample's table before
		 * its events are seen, so the row is of this event's sample.
		 */
		if (!soft)
			soft = mpd_module_cgroup(&d->sys, ev->cgroup, &row) ? -1 : 1;
		if (soft > 0)
			mp_msg_add_u64(&o, MEMPRESSURED_KEY_SOFT_LIMIT, row.soft);
		/* A slow reader loses the message; only a dead one is dropped. */
		r = mpd_client_send(c, &o);
		if (r < 0 && r != -EAGAIN && r != -EMSGSIZE)
			mpd_client_drop(c, NULL);
	}
}
