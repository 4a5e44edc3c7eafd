// SPDX-License-Identifier: GPL-2.0
/*
 * mempressured: turns the module's events into action (docs/mempressured.md).
 *
 * Theory of operation.  One thread, one epoll loop over: the module's event
 * file, the subscribers' listening socket and each subscriber, a signalfd
 * (SIGTERM, SIGINT, SIGHUP, SIGCHLD), a timerfd for the module's reopen
 * backoff and a timerfd armed at the earliest of everything scheduled
 * (callbacks, trim deadlines, escalation steps, clamp ends, hook timeouts).
 * Nothing sleeps and nothing blocks on a peer: sends to subscribers are
 * non-blocking and a message a subscriber has no room for is dropped for it
 * and counted.  The metrics (docs/metrics.md) add a timerfd of their own
 * and, with metrics_listen, the HTTP responder's sockets.
 *
 * An "episode" is one cgroup's way back under its soft limit: it starts on a
 * soft_over event or a level event reaching trim_level, asks every target in
 * the cgroup (subscribers, signal targets, hooks; stagger_ms apart, the
 * applications that gave most first), measures at each trim's deadline what
 * the application really freed, and escalates every grace_ms while the
 * cgroup stays over the soft limit it had when the episode began:
 * memory.reclaim, then a memory.high clamp at that soft limit for clamp_ms,
 * then (kill = yes) SIGKILL for the fastest-growing leak suspect.  The soft
 * limit is the one of the start: a clamp lowers the effective limit and
 * with it the default soft limit, which must not move the goal.
 *
 * The decisions (what to ask each target for, in which order, the next
 * escalation step, the yield bookkeeping) are in mpd_policy.c, pure and
 * host-tested; this file reads the figures they need and acts on them.
 *
 * The system row ("/") gets callbacks only: there is no memory.high to
 * clamp at the root, and reclaiming the whole machine is the kernel's job.
 *
 * systemd's memory-pressure protocol: a second, stream socket
 * (systemd_socket) for services using sd_event_add_memory_pressure() with
 * $MEMORY_PRESSURE_WATCH pointing at it.  Such a client is known by its
 * cgroup at connect time; what it writes is discarded, and one byte is
 * written to it when its cgroup reaches systemd_level (a soft_over counts
 * as medium).  It is a struct client that never says hello, so the
 * subscriber paths skip it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/mempressure.h>

#include "mp_event.h"
#include "mp_proto.h"
#include "mp_table.h"
#include "mpd_config.h"
#include "mpd_policy.h"
#include "mpd_metrics.h"
#include "mpd_metrics_io.h"
#include "names.h"

/*
 * Exit statuses (docs/mempressured.md).  The unit does not restart after
 * EXIT_CONFIG and EXIT_USAGE, which a restart cannot mend; a failure of
 * the event loop itself (EXIT_RUNTIME) may pass, so it has its own.
 */
#define EXIT_CONFIG	1
#define EXIT_USAGE	2
#define EXIT_SOCKET	3
#define EXIT_RUNTIME	4

#define CGROUP_ROOT	"/sys/fs/cgroup"
#define BACKOFF_MIN_MS	1000
#define BACKOFF_MAX_MS	30000
#define PATH_LEN	512
#define NAME_LEN	64
#define APPS_MAX	256

/* --- logging --- */

static int log_max = 6;

static void mpd_vlog(int prio, const char *fmt, va_list ap)
{
	char buf[1024];
	int n;

	if (prio > log_max)
		return;
	n = snprintf(buf, sizeof(buf), "<%d>", prio);
	n += vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	/* One write per line: lines of concurrent writers never mix. */
	if (write(STDERR_FILENO, buf, (size_t)n) < 0)
		return;
}

static void mpd_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void mpd_log(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mpd_vlog(prio, fmt, ap);
	va_end(ap);
}

#define log_err(...)	mpd_log(3, __VA_ARGS__)
#define log_warn(...)	mpd_log(4, __VA_ARGS__)
#define log_info(...)	mpd_log(6, __VA_ARGS__)
#define log_debug(...)	mpd_log(7, __VA_ARGS__)

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t now_ms(void)
{
	return now_usec() / 1000;
}

/*
 * What was done lately, for the status query (mempressure status): the
 * last RECENT_MAX action lines, whatever the log level.  A line longer
 * than an entry is cut: escaped, an entry still fits in one message.
 */
#define RECENT_MAX	16
#define RECENT_LEN	200

static struct recent_action {
	uint64_t time_usec;		/* CLOCK_MONOTONIC */
	char text[RECENT_LEN];
} recent[RECENT_MAX];
static uint64_t nr_recent;		/* ever recorded */

/* Logs an action (trim, signal, hook, escalation step) and remembers it. */
static void mpd_log_action(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void mpd_log_action(int prio, const char *fmt, ...)
{
	struct recent_action *r = &recent[nr_recent++ % RECENT_MAX];
	va_list ap;

	va_start(ap, fmt);
	mpd_vlog(prio, fmt, ap);
	va_end(ap);
	r->time_usec = now_usec();
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
}

#define log_action(...)		mpd_log_action(6, __VA_ARGS__)
#define log_action_warn(...)	mpd_log_action(4, __VA_ARGS__)

/* --- state --- */

struct app_stats {
	char name[NAME_LEN];
	struct mpd_app_stats y;		/* the yield bookkeeping (mpd_policy.c) */
};

struct client {
	int fd;
	uint64_t cid;
	pid_t pid;
	uid_t uid;
	bool hello, scope_all;
	bool sd;			/* on the systemd socket: never says hello */
	char name[NAME_LEN];
	char cgroup[PATH_LEN];
	uint64_t dropped;		/* messages it had no room for */
	uint64_t last_freed;		/* its answer to its last trim; 0 if none */
	struct client *next;
};

/* ACT_WAKE: a systemd client woken, waiting only to be measured. */
enum action_kind { ACT_TRIM, ACT_SIGNAL, ACT_HOOK, ACT_WAKE };

/* A callback: scheduled at @at; a sent trim waits here for its deadline. */
struct action {
	enum action_kind kind;
	uint64_t at;
	bool sent;
	uint64_t id;
	uint64_t cid;			/* ACT_TRIM: the subscriber */
	pid_t pid;
	char comm[NAME_LEN];		/* ACT_SIGNAL: what the pid must still be */
	int signo;
	char hook_name[NAME_LEN];	/* ACT_HOOK, ACT_SIGNAL: its section */
	char app[NAME_LEN];
	char cgroup[PATH_LEN];
	int level;
	int reason;			/* MEMPRESSURED_TRIM_* */
	uint64_t want_bytes;
	bool replied;
	uint64_t freed_bytes;
	uint64_t rss_before, cg_before;
	uint64_t rss_replied;		/* when the reply came */
	bool cg_known;			/* cg_before was read */
	struct action *next;
};

struct episode {
	char cgroup[PATH_LEN];
	enum mempressured_stage stage;
	uint64_t next_at;		/* of the next escalation step */
	uint64_t soft_bytes;		/* the goal, as at the start */
	int level;
	struct mpd_policy pol;
	bool clamped;
	char old_high[32];
	uint64_t clamp_until;
	uint64_t effect_at;		/* when to log a kill's effect; 0: none due */
	uint64_t effect_before;		/* memory.current at the kill */
	char effect_what[NAME_LEN + 32];	/* "killing COMM (pid N)" */
	struct episode *next;
};

/*
 * A child the daemon waits for without blocking its loop: a hook command,
 * or a write to memory.reclaim or memory.high, which reclaims before it
 * returns and can take as long as reclaim does.  Killed at @kill_at (the
 * kernel's reclaim stops at a pending signal; a memory.high written stays).
 */
enum child_kind { CHILD_HOOK, CHILD_RECLAIM, CHILD_CLAMP };

struct child {
	enum child_kind kind;
	pid_t pid;
	char name[PATH_LEN];		/* the hook's name, or the cgroup written */
	uint64_t kill_at;
	uint64_t started;
	uint64_t bytes, before;		/* the value written, memory.current then */
	struct child *next;
};

static struct {
	const char *config_path;
	bool config_explicit;
	bool force_dry_run;
	struct mpd_config cfg;

	int epfd, sigfd, listen_fd, sd_listen_fd, events_fd, retry_tfd, tick_tfd;
	char socket_path[PATH_LEN];
	char sd_socket_path[PATH_LEN];
	uint64_t backoff_ms;
	bool said_absent;

	char evbuf[65536];
	size_t evlen;

	struct client *clients;
	uint64_t next_cid, next_trim_id, events_seen, events_lost;
	struct action *actions;
	struct episode *episodes;
	struct child *children;
	struct app_stats apps[APPS_MAX];
	size_t nr_apps;
	long page_size;
} d;

/* What the metrics count (mpd_metrics.h), shown by the metrics section. */
static struct mpd_counters counters;

/* An escalation step, taken or, in a dry run, only logged. */
static void count_step(enum mpd_act act, bool perform)
{
	static const int step[] = {
		[MPD_ACT_RECLAIM] = MPD_STEP_RECLAIM, [MPD_ACT_CLAMP] = MPD_STEP_CLAMP,
		[MPD_ACT_KILL] = MPD_STEP_KILL,
	};

	if (act != MPD_ACT_NONE)
		(perform ? counters.steps : counters.dry_steps)[step[act]]++;
}

/* epoll data: small tags for the fixed fds, else a struct client *. */
enum { TAG_SIG = 1, TAG_LISTEN, TAG_SD_LISTEN, TAG_EVENTS, TAG_RETRY, TAG_TICK, TAG_MAX };

static bool dry_run(const struct mpd_policy *p)
{
	return d.force_dry_run || p->dry_run;
}

static struct app_stats *app_get(const char *name)
{
	for (size_t i = 0; i < d.nr_apps; i++)
		if (!strcmp(d.apps[i].name, name))
			return &d.apps[i];
	if (d.nr_apps == APPS_MAX)
		return &d.apps[APPS_MAX - 1];	/* the last one pools the rest */
	snprintf(d.apps[d.nr_apps].name, NAME_LEN, "%s", name);
	return &d.apps[d.nr_apps++];
}

/* --- files --- */

static int read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	r = n < 0 ? -errno : 0;
	close(fd);
	if (r < 0)
		return r;
	buf[n] = '\0';
	return 0;
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		r = -errno;
	close(fd);
	return r;
}

static void cg_file(const char *cgroup, const char *file, char *out, size_t size)
{
	snprintf(out, size, "%s%s/%s", CGROUP_ROOT, strcmp(cgroup, "/") ? cgroup : "", file);
}

static int cg_read_u64(const char *cgroup, const char *file, uint64_t *v)
{
	char path[PATH_LEN + 64], buf[64];
	int r;

	cg_file(cgroup, file, path, sizeof(path));
	r = read_small(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	buf[strcspn(buf, "\n")] = '\0';
	return mp_parse_u64(buf, v);
}

static uint64_t proc_rss_bytes(pid_t pid)
{
	char path[64], buf[128];
	unsigned long long size, rss;

	snprintf(path, sizeof(path), "/proc/%d/statm", pid);
	if (read_small(path, buf, sizeof(buf)) < 0 ||
	    sscanf(buf, "%llu %llu", &size, &rss) != 2)
		return 0;
	return rss * (uint64_t)d.page_size;
}

/* The cgroup v2 path of @pid ("0::PATH"). */
static int proc_cgroup(pid_t pid, char *out, size_t size)
{
	char path[64], buf[1024], *p;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	r = read_small(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	for (p = buf; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (!strncmp(p, "0::", 3)) {
			p += 3;
			p[strcspn(p, "\n")] = '\0';
			if (strlen(p) >= size)
				return -ENAMETOOLONG;
			strcpy(out, p);
			return 0;
		}
	}
	return -ENOENT;
}

static int proc_comm(pid_t pid, char *out, size_t size)
{
	char path[64];
	int r;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	r = read_small(path, out, size);
	if (r < 0)
		return r;
	out[strcspn(out, "\n")] = '\0';
	return 0;
}

/* --- the module's tables --- */

struct cg_row {
	uint64_t current, soft, limit;
	int level;
};

static int col_u64(const struct mp_table *t, size_t row, const char *name, uint64_t *v)
{
	int c = mp_table_column(t, name);

	if (c < 0)
		return c;
	return mp_parse_u64(mp_table_cell(t, row, (size_t)c), v);
}

static int cg_row_read(const char *cgroup, struct cg_row *row)
{
	static const char *const cols[] = {
#define X(e, name) name,
		MEMPRESSURE_CGROUP_COLUMNS(X)
#undef X
	};
	struct mp_table t;
	char esc[PATH_LEN * 4];
	int r, col;
	long i;

	r = mp_table_read(MEMPRESSURE_PROC_PATH, MEMPRESSURE_FILE_CGROUPS, &t);
	if (r < 0)
		return r;
	mpd_escape(cgroup, esc, sizeof(esc));
	col = mp_table_column(&t, cols[MEMPRESSURE_CG_PATH]);
	i = col < 0 ? col : mp_table_find(&t, (size_t)col, esc);
	if (i < 0) {
		r = -ENOENT;
		goto out;
	}
	r = col_u64(&t, (size_t)i, cols[MEMPRESSURE_CG_CURRENT], &row->current);
	if (!r)
		r = col_u64(&t, (size_t)i, cols[MEMPRESSURE_CG_SOFT_LIMIT], &row->soft);
	if (!r)
		r = col_u64(&t, (size_t)i, cols[MEMPRESSURE_CG_LIMIT], &row->limit);
	if (!r) {
		col = mp_table_column(&t, cols[MEMPRESSURE_CG_LEVEL]);
		row->level = col < 0 ? MEMPRESSURE_LEVEL_NONE :
			     mpd_level_parse(mp_table_cell(&t, (size_t)i, (size_t)col));
		if (row->level < 0)
			row->level = MEMPRESSURE_LEVEL_NONE;
	}
out:
	mp_table_free(&t);
	return r;
}

/* soft_margin_pct from the control file; its default if unreadable. */
static uint64_t soft_margin_pct(void)
{
	char path[128], *buf;
	size_t len;
	uint64_t v = 5;

	snprintf(path, sizeof(path), "%s/%s", MEMPRESSURE_PROC_PATH, MEMPRESSURE_FILE_CONTROL);
	if (mp_read_file(path, &buf, &len) < 0)
		return v;
	/* Lines "set NAME VALUE": find the one of soft_margin_pct. */
	for (char *p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		unsigned long long n;

		if (sscanf(p, "set soft_margin_pct %llu", &n) == 1) {
			v = n;
			break;
		}
	}
	free(buf);
	return v > 50 ? 5 : v;
}

/* A process of the processes table. */
struct proc_row {
	pid_t pid;
	char comm[NAME_LEN];
	uint64_t rss;
	bool leak;
	int64_t growth;
};

/* The processes in cgroup @cgroup (all if NULL).  Caller frees *rows. */
static int procs_in(const char *cgroup, struct proc_row **rows, size_t *nr)
{
	struct mp_table t;
	char esc[PATH_LEN * 4];
	int cpid, ccomm, ccg, crss, cleak, cgrowth, r;
	size_t n = 0;

	*rows = NULL;
	*nr = 0;
	r = mp_table_read(MEMPRESSURE_PROC_PATH, MEMPRESSURE_FILE_PROCESSES, &t);
	if (r < 0)
		return r;
	cpid = mp_table_column(&t, "pid");
	ccomm = mp_table_column(&t, "comm");
	ccg = mp_table_column(&t, "cgroup");
	crss = mp_table_column(&t, "rss_bytes");
	cleak = mp_table_column(&t, "leak");
	cgrowth = mp_table_column(&t, "growth60_bytes_per_sec");
	if (cpid < 0 || ccomm < 0 || ccg < 0 || crss < 0) {
		mp_table_free(&t);
		return -EPROTO;
	}
	if (cgroup)
		mpd_escape(cgroup, esc, sizeof(esc));
	*rows = calloc(t.nr_rows ? t.nr_rows : 1, sizeof(**rows));
	if (!*rows) {
		mp_table_free(&t);
		return -ENOMEM;
	}
	for (size_t i = 0; i < t.nr_rows; i++) {
		struct proc_row *p = &(*rows)[n];
		uint64_t v;

		if (cgroup && strcmp(mp_table_cell(&t, i, (size_t)ccg), esc))
			continue;
		if (mp_parse_u64(mp_table_cell(&t, i, (size_t)cpid), &v) < 0)
			continue;
		p->pid = (pid_t)v;
		if (mp_unescape(mp_table_cell(&t, i, (size_t)ccomm), p->comm, sizeof(p->comm)) < 0)
			p->comm[0] = '\0';
		mp_parse_u64(mp_table_cell(&t, i, (size_t)crss), &p->rss);
		p->leak = cleak >= 0 && !strcmp(mp_table_cell(&t, i, (size_t)cleak), "1");
		if (cgrowth < 0 || mp_parse_s64(mp_table_cell(&t, i, (size_t)cgrowth), &p->growth) < 0)
			p->growth = 0;
		n++;
	}
	*nr = n;
	mp_table_free(&t);
	return 0;
}

/* --- pidfds --- */

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(__NR_pidfd_open, pid, 0);
}

static int pidfd_signal_(int pidfd, int sig)
{
	return (int)syscall(__NR_pidfd_send_signal, pidfd, sig, NULL, 0);
}

/*
 * Signal @pid if it is still the process @comm (when given) in @cgroup
 * (when given): the pidfd pins the process, then the checks see that it is
 * the one we meant, so a recycled pid is never signalled.
 */
static int signal_process(pid_t pid, const char *comm, const char *cgroup, int sig)
{
	char now[PATH_LEN];
	int fd = pidfd_open_(pid), r = 0;

	if (fd < 0)
		return -errno;
	if (comm && comm[0] && (proc_comm(pid, now, sizeof(now)) < 0 || strcmp(now, comm)))
		r = -ESRCH;
	if (!r && cgroup && (proc_cgroup(pid, now, sizeof(now)) < 0 || strcmp(now, cgroup)))
		r = -ESRCH;
	if (!r && pidfd_signal_(fd, sig) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* --- subscribers --- */

static void client_drop(struct client *c, const char *reason);

/* Never blocks: a subscriber with a full queue loses this message. */
static int client_send(struct client *c, struct mp_msg_out *o)
{
	int len = mp_msg_end(o);

	if (len < 0) {
		log_warn("message to %s (pid %d) too long, ignoring", c->name, c->pid);
		return len;
	}
	if (send(c->fd, o->buf, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (!c->dropped++)
				log_warn("%s (pid %d) is not reading: dropping its messages",
					 c->name, c->pid);
			return -EAGAIN;
		}
		return -errno;
	}
	return 0;
}

static void client_error(struct client *c, const char *reason)
{
	struct mp_msg_out o;

	mp_msg_begin(&o, MEMPRESSURED_MSG_ERROR);
	mp_msg_add_str(&o, MEMPRESSURED_KEY_REASON, reason);
	client_send(c, &o);
}

static void client_free(struct client *c)
{
	struct client **pp;

	for (pp = &d.clients; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	epoll_ctl(d.epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

static void client_drop(struct client *c, const char *reason)
{
	log_info("dropping client %s (pid %d): %s", c->hello ? c->name : "?", c->pid,
		 reason ? reason : "connection error");
	if (reason)
		client_error(c, reason);
	client_free(c);
}

static struct client *client_by_cid(uint64_t cid)
{
	for (struct client *c = d.clients; c; c = c->next)
		if (c->cid == cid)
			return c;
	return NULL;
}

/* @sd: a client of the systemd socket, identified by its cgroup at once. */
static void accept_clients(int listen_fd, bool sd)
{
	for (;;) {
		struct ucred cred;
		socklen_t len = sizeof(cred);
		struct epoll_event ev = { .events = EPOLLIN };
		struct client *c;
		int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("accept: %m, ignoring");
			return;
		}
		c = calloc(1, sizeof(*c));
		if (!c || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
			log_warn("new client: %s, ignoring", c ? strerror(errno) : "out of memory");
			free(c);
			close(fd);
			continue;
		}
		c->fd = fd;
		c->cid = ++d.next_cid;
		c->pid = cred.pid;
		c->uid = cred.uid;
		c->sd = sd;
		if (sd && proc_cgroup(c->pid, c->cgroup, sizeof(c->cgroup)) < 0) {
			log_warn("systemd client (pid %d): no cgroup, closing", c->pid);
			close(fd);
			free(c);
			continue;
		}
		ev.data.ptr = c;
		if (epoll_ctl(d.epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			log_warn("epoll: %m, ignoring client");
			close(fd);
			free(c);
			continue;
		}
		c->next = d.clients;
		d.clients = c;
		if (sd)
			log_info("systemd client: pid %d, cgroup %s", c->pid, c->cgroup);
		else
			log_debug("client connected: pid %d uid %u", c->pid, c->uid);
	}
}

/*
 * systemd's memory-pressure protocol: what a client writes (its
 * $MEMORY_PRESSURE_WRITE) means nothing here and is discarded; EOF or an
 * error drops it.  epoll is level-triggered: what is left is read later.
 */
static void sd_client_readable(struct client *c)
{
	char buf[4096];

	/* A bounded pass: one that never stops writing is back next round. */
	for (int i = 0; i < 16; i++) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		log_debug("systemd client (pid %d) left%s%s", c->pid, n < 0 ? ": " : "",
			  n < 0 ? strerror(errno) : "");
		client_free(c);
		return;
	}
}

/*
 * Wake the systemd clients in @cgroup (@only_pid: that process's alone):
 * one byte makes their socket readable, which is their pressure event.
 * A client that has not read the last one is readable already.
 */
static struct action *action_new(enum action_kind kind, uint64_t at, const char *cgroup,
				 int level, int reason, uint64_t want);
static void target_watch(struct action *a, const char *kind);

static void sd_wake(const char *cgroup, pid_t only_pid, int level, int reason, bool dry)
{
	struct action *a;

	for (struct client *c = d.clients, *next; c; c = next) {
		next = c->next;
		if (!c->sd || strcmp(c->cgroup, cgroup) || (only_pid && c->pid != only_pid))
			continue;
		if (dry) {
			log_action("would wake systemd client (pid %d) in %s (level %s, reason %s)",
				 c->pid, cgroup, mpd_level_name(level), mp_trim_reason_names[reason]);
			counters.dry_callbacks[MPD_CB_SYSTEMD]++;
			continue;
		}
		if (send(c->fd, "\n", 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 &&
		    errno != EAGAIN && errno != EWOULDBLOCK) {
			log_debug("systemd client (pid %d): %m, dropping", c->pid);
			client_free(c);
			continue;
		}
		log_action("woke systemd client (pid %d) in %s (level %s, reason %s)", c->pid, cgroup,
			 mpd_level_name(level), mp_trim_reason_names[reason]);
		counters.callbacks[MPD_CB_SYSTEMD]++;
		/* Measured like a signal's target, under its command's name. */
		a = action_new(ACT_WAKE, 0, cgroup, level, reason, 0);
		if (!a)
			continue;
		a->pid = c->pid;
		if (proc_comm(c->pid, a->comm, sizeof(a->comm)) < 0)
			snprintf(a->comm, sizeof(a->comm), "?");
		snprintf(a->hook_name, sizeof(a->hook_name), "%s", a->comm);
		target_watch(a, "systemd");
	}
}

static void on_hello(struct client *c, const struct mp_msg *m)
{
	const char *name = mp_msg_get(m, MEMPRESSURED_KEY_NAME);
	const char *scope = mp_msg_get(m, MEMPRESSURED_KEY_SCOPE);
	uint64_t version;
	struct cg_row row = { .level = MEMPRESSURE_LEVEL_NONE };
	struct mp_msg_out o;

	if (mp_msg_get_u64(m, MEMPRESSURED_KEY_VERSION, &version) < 0) {
		client_drop(c, "malformed");
		return;
	}
	if (version != MEMPRESSURED_PROTOCOL_VERSION) {
		client_drop(c, "version");
		return;
	}
	if (scope && strcmp(scope, MEMPRESSURED_SCOPE_ALL)) {
		client_drop(c, "malformed");
		return;
	}
	if (scope && c->uid != 0) {
		client_drop(c, "permission");
		return;
	}
	if (proc_cgroup(c->pid, c->cgroup, sizeof(c->cgroup)) < 0) {
		client_drop(c, "cgroup");
		return;
	}
	c->hello = true;
	c->scope_all = scope != NULL;
	snprintf(c->name, sizeof(c->name), "%s", name && *name ? name : "?");
	cg_row_read(c->cgroup, &row);
	mp_msg_begin(&o, MEMPRESSURED_MSG_WELCOME);
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_VERSION, MEMPRESSURED_PROTOCOL_VERSION);
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_PID, (uint64_t)c->pid);
	mp_msg_add_str(&o, MEMPRESSURED_KEY_CGROUP, c->cgroup);
	mp_msg_add_str(&o, MEMPRESSURED_KEY_LEVEL, mpd_level_name(row.level));
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_SOFT_LIMIT, row.soft);
	client_send(c, &o);
	app_get(c->name);
	log_info("subscriber %s: pid %d, cgroup %s%s", c->name, c->pid, c->cgroup,
		 c->scope_all ? ", every cgroup" : "");
}

static void on_trimmed(struct client *c, const struct mp_msg *m)
{
	uint64_t id, freed;

	if (mp_msg_get_u64(m, MEMPRESSURED_KEY_ID, &id) < 0 ||
	    mp_msg_get_u64(m, MEMPRESSURED_KEY_FREED, &freed) < 0) {
		client_drop(c, "malformed");
		return;
	}
	for (struct action *a = d.actions; a; a = a->next) {
		if (a->kind != ACT_TRIM || a->id != id || a->cid != c->cid || !a->sent)
			continue;
		if (a->replied)
			break;
		a->replied = true;
		a->rss_replied = proc_rss_bytes(a->pid);
		a->freed_bytes = freed;
		c->last_freed = freed;
		mpd_yield_reply(&app_get(a->app)->y, freed);
		log_debug("trim %llu: %s says it freed %llu bytes", (unsigned long long)id,
			  c->name, (unsigned long long)freed);
		return;
	}
	log_debug("trimmed for unknown or late trim %llu from %s, ignoring",
		  (unsigned long long)id, c->name);
}

static void send_status(struct client *c)
{
	struct mp_msg_out o;
	uint64_t nr_sd = 0;

	mp_msg_begin(&o, MEMPRESSURED_MSG_STATUS);
	mp_msg_add_str(&o, MEMPRESSURED_KEY_MODULE, d.events_fd >= 0 ? "open" : "absent");
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_EVENTS, d.events_seen);
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_EVENTS_LOST, d.events_lost);
	for (struct client *s = d.clients; s; s = s->next)
		nr_sd += s->sd;
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_SYSTEMD_CLIENTS, nr_sd);
	client_send(c, &o);
	for (struct episode *e = d.episodes; e; e = e->next) {
		mp_msg_begin(&o, MEMPRESSURED_MSG_STATUS);
		mp_msg_add_str(&o, MEMPRESSURED_KEY_CGROUP, e->cgroup);
		mp_msg_add_str(&o, MEMPRESSURED_KEY_STAGE, mp_stage_names[e->stage]);
		mp_msg_add_str(&o, MEMPRESSURED_KEY_CLAMPED, e->clamped ? "yes" : "no");
		mp_msg_add_u64(&o, MEMPRESSURED_KEY_SOFT_LIMIT, e->soft_bytes);
		client_send(c, &o);
	}
	for (size_t i = 0; i < d.nr_apps; i++) {
		const struct mpd_app_stats *y = &d.apps[i].y;

		mp_msg_begin(&o, MEMPRESSURED_MSG_STATUS);
		mp_msg_add_str(&o, MEMPRESSURED_KEY_APP, d.apps[i].name);
		mp_msg_add_u64(&o, MEMPRESSURED_KEY_REQUESTS, y->requests);
		mp_msg_add_u64(&o, MEMPRESSURED_KEY_REPLIES, y->replies);
		mp_msg_add_u64(&o, MEMPRESSURED_KEY_TIMEOUTS, y->timeouts);
		mp_msg_add_u64(&o, MEMPRESSURED_KEY_CLAIMED, y->claimed_bytes);
		mp_msg_add_u64(&o, MEMPRESSURED_KEY_MEASURED, y->measured_bytes);
		mp_msg_add_u64(&o, MEMPRESSURED_KEY_CGROUP_MEASURED, y->cgroup_bytes_measured);
		client_send(c, &o);
	}
	/* What was done lately, oldest first. */
	for (uint64_t i = nr_recent > RECENT_MAX ? nr_recent - RECENT_MAX : 0; i < nr_recent; i++) {
		const struct recent_action *r = &recent[i % RECENT_MAX];

		mp_msg_begin(&o, MEMPRESSURED_MSG_STATUS);
		mp_msg_add_str(&o, MEMPRESSURED_KEY_ACTION, r->text);
		mp_msg_add_u64(&o, MEMPRESSURED_KEY_TIME, r->time_usec);
		client_send(c, &o);
	}
	for (struct client *s = d.clients; s; s = s->next) {
		if (!s->hello)
			continue;
		mp_msg_begin(&o, MEMPRESSURED_MSG_STATUS);
		mp_msg_add_str(&o, MEMPRESSURED_KEY_SUBSCRIBER, s->name);
		mp_msg_add_u64(&o, MEMPRESSURED_KEY_PID, (uint64_t)s->pid);
		mp_msg_add_str(&o, MEMPRESSURED_KEY_CGROUP, s->cgroup);
		mp_msg_add_u64(&o, MEMPRESSURED_KEY_DROPPED, s->dropped);
		client_send(c, &o);
	}
	mp_msg_begin(&o, MEMPRESSURED_MSG_END);
	client_send(c, &o);
}

static void client_readable(struct client *c)
{
	static struct mp_msg m;
	char buf[MEMPRESSURED_MSG_MAX + 1];
	uint64_t cid = c->cid;

	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
		int r;

		if (n < 0 && errno != ECONNRESET) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			client_drop(c, NULL);
			return;
		}
		if (n <= 0) {
			log_debug("client %s (pid %d) left", c->name, c->pid);
			client_free(c);
			return;
		}
		if (n > MEMPRESSURED_MSG_MAX) {
			client_drop(c, "too_long");
			return;
		}
		r = mp_msg_parse(buf, (size_t)n, &m);
		if (r < 0) {
			client_drop(c, r == -EPROTO ? "unknown" : "malformed");
			return;
		}
		if (!c->hello && m.type != MEMPRESSURED_MSG_HELLO &&
		    m.type != MEMPRESSURED_MSG_STATUS) {
			client_drop(c, "malformed");
			return;
		}
		switch (m.type) {
		case MEMPRESSURED_MSG_HELLO:
			if (c->hello) {
				client_drop(c, "malformed");
				return;
			}
			on_hello(c, &m);
			break;
		case MEMPRESSURED_MSG_TRIMMED:
			on_trimmed(c, &m);
			break;
		case MEMPRESSURED_MSG_STATUS:
			if (c->uid != 0) {
				client_drop(c, "permission");
				return;
			}
			send_status(c);
			break;
		default:
			client_drop(c, "unknown");
			return;
		}
		/* on_hello or on_trimmed may have dropped it. */
		if (!client_by_cid(cid))
			return;
	}
}

/* --- callbacks --- */

static struct action *action_new(enum action_kind kind, uint64_t at, const char *cgroup,
				 int level, int reason, uint64_t want)
{
	struct action *a = calloc(1, sizeof(*a));

	if (!a) {
		log_err("out of memory, ignoring a callback");
		return NULL;
	}
	a->kind = kind;
	a->at = at;
	snprintf(a->cgroup, sizeof(a->cgroup), "%s", cgroup);
	a->level = level;
	a->reason = reason;
	a->want_bytes = want;
	a->next = d.actions;
	d.actions = a;
	return a;
}

static void action_free(struct action *a)
{
	for (struct action **pp = &d.actions; *pp; pp = &(*pp)->next)
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	free(a);
}

static uint64_t page_round(uint64_t v)
{
	return mpd_page_round(v, (uint64_t)d.page_size);
}

static void run_hook(const struct mpd_hook_cfg *h, const char *cgroup, int level,
		     const char *reason, uint64_t want);

static const struct mpd_hook_cfg *hook_by_name(const char *name)
{
	for (size_t i = 0; i < d.cfg.nr_hooks; i++)
		if (!strcmp(d.cfg.hooks[i].name, name))
			return &d.cfg.hooks[i];
	return NULL;
}

static void trim_send(struct action *a)
{
	struct client *c = client_by_cid(a->cid);
	struct mp_msg_out o;
	uint64_t current;
	int r;

	if (!c) {
		action_free(a);
		return;
	}
	a->rss_before = proc_rss_bytes(a->pid);
	a->cg_known = cg_read_u64(a->cgroup, "memory.current", &current) == 0;
	a->cg_before = a->cg_known ? current : 0;
	mp_msg_begin(&o, MEMPRESSURED_MSG_TRIM);
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_ID, a->id);
	mp_msg_add_str(&o, MEMPRESSURED_KEY_LEVEL, mpd_level_name(a->level));
	mp_msg_add_str(&o, MEMPRESSURED_KEY_REASON, mp_trim_reason_names[a->reason]);
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_WANT, a->want_bytes);
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_DEADLINE, d.cfg.deadline_ms);
	mp_msg_add_str(&o, MEMPRESSURED_KEY_CGROUP, a->cgroup);
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_PID, (uint64_t)a->pid);
	r = client_send(c, &o);
	if (r < 0 && r != -EAGAIN) {
		client_drop(c, NULL);
		action_free(a);
		return;
	}
	mpd_yield_request(&app_get(a->app)->y);
	counters.callbacks[MPD_CB_TRIM]++;
	a->sent = true;
	a->at = now_ms() + d.cfg.deadline_ms;
	log_action("trim %llu: asked %s (pid %d) in %s for %llu bytes (reason %s)%s",
		 (unsigned long long)a->id, a->app, a->pid, a->cgroup,
		 (unsigned long long)a->want_bytes, mp_trim_reason_names[a->reason],
		 r == -EAGAIN ? ", but it is not reading" : "");
}

/* At a trim's deadline: what the application said against what happened. */
static void trim_measure(struct action *a)
{
	struct app_stats *st = app_get(a->app);
	struct client *c = client_by_cid(a->cid);
	uint64_t rss = proc_rss_bytes(a->pid), cur = 0;
	char at_reply[48] = "";
	bool cg_known = a->cg_known && cg_read_u64(a->cgroup, "memory.current", &cur) == 0;

	mpd_yield_deadline(&st->y, a->replied, a->rss_before, rss, cg_known, a->cg_before, cur);
	if (c && !a->replied)
		c->last_freed = 0;
	/*
	 * The yield counts RSS at the deadline: what stayed freed.  RSS at
	 * the reply is logged too, as what the claim can be held against:
	 * by the deadline the application may have allocated again.
	 */
	if (a->replied)
		snprintf(at_reply, sizeof(at_reply), " (%llu at the reply)",
			 (unsigned long long)a->rss_replied);
	log_action("trim %llu: %s (pid %d) %s%llu bytes; measured: rss %llu -> %llu%s, %s memory.current %llu -> %llu",
		 (unsigned long long)a->id, a->app, a->pid,
		 a->replied ? "claims " : "timed out, claims ",
		 (unsigned long long)(a->replied ? a->freed_bytes : 0),
		 (unsigned long long)a->rss_before, (unsigned long long)rss, at_reply,
		 a->cgroup, (unsigned long long)a->cg_before, (unsigned long long)cur);
	action_free(a);
}

/*
 * A signal sent, a hook started or a systemd client woken: its effect is
 * measured a deadline later, like a trim's, under the target's section
 * ("signal:NAME", "hook:NAME") or command ("systemd:COMM"), for mempressure
 * apps.  A hook has no process of its own: its cgroup only.
 */
static void target_watch(struct action *a, const char *kind)
{
	uint64_t current;

	/* A section name too long for it is cut: the figures are by name. */
	snprintf(a->app, sizeof(a->app), "%s:%.*s", kind,
		 (int)(sizeof(a->app) - strlen(kind) - 2), a->hook_name);
	mpd_yield_request(&app_get(a->app)->y);
	a->rss_before = a->pid > 0 ? proc_rss_bytes(a->pid) : 0;
	a->cg_known = cg_read_u64(a->cgroup, "memory.current", &current) == 0;
	a->cg_before = a->cg_known ? current : 0;
	a->sent = true;
	a->at = now_ms() + d.cfg.deadline_ms;
}

/* A deadline after a signal or a hook: what happened. */
static void target_measure(struct action *a)
{
	uint64_t rss = a->pid > 0 ? proc_rss_bytes(a->pid) : 0, cur = 0;
	bool cg_known = a->cg_known && cg_read_u64(a->cgroup, "memory.current", &cur) == 0;

	mpd_yield_measured(&app_get(a->app)->y, a->rss_before, rss, cg_known, a->cg_before, cur);
	if (a->pid > 0)
		log_action("%s: measured: %s (pid %d) rss %llu -> %llu, %s memory.current %llu -> %llu",
			 a->app, a->comm, a->pid, (unsigned long long)a->rss_before,
			 (unsigned long long)rss, a->cgroup, (unsigned long long)a->cg_before,
			 (unsigned long long)cur);
	else
		log_action("%s: measured: %s memory.current %llu -> %llu", a->app, a->cgroup,
			 (unsigned long long)a->cg_before, (unsigned long long)cur);
	action_free(a);
}

static void action_due(struct action *a)
{
	const struct mpd_hook_cfg *h;
	int r;

	if (a->sent && a->kind != ACT_TRIM) {
		target_measure(a);
		return;
	}

	switch (a->kind) {
	case ACT_TRIM:
		if (a->sent)
			trim_measure(a);
		else
			trim_send(a);
		return;
	case ACT_SIGNAL:
		r = signal_process(a->pid, a->comm, NULL, a->signo);
		if (r < 0)
			log_warn("signal %s: %s (pid %d): %s, ignoring", a->hook_name, a->comm,
				 a->pid, strerror(-r));
		else
			log_action("signal %s: sent signal %d to %s (pid %d) in %s (level %s, reason %s)",
				 a->hook_name, a->signo, a->comm, a->pid, a->cgroup,
				 mpd_level_name(a->level), mp_trim_reason_names[a->reason]);
		counters.callbacks[MPD_CB_SIGNAL] += r == 0;
		if (r == 0) {
			target_watch(a, "signal");
			return;
		}
		break;
	case ACT_HOOK:
		h = hook_by_name(a->hook_name);
		if (h) {
			run_hook(h, a->cgroup, a->level,
				 mp_trim_reason_names[a->reason], a->want_bytes);
			target_watch(a, "hook");
			return;
		}
		break;
	case ACT_WAKE:		/* created sent: measured above */
		break;
	}
	action_free(a);
}

/*
 * Schedule the signal and hook targets in @cgroup whose level is above
 * @from_level and at most @level, @stagger_ms apart after the @nr
 * callbacks already scheduled from @t.  @only_pid limits it to one
 * process (a leak).  Returns @nr plus how many were scheduled.
 */
static unsigned int schedule_targets(const char *cgroup, pid_t only_pid, int from_level,
				     int level, int reason, uint64_t want, bool dry, uint64_t t,
				     unsigned int nr)
{
	for (size_t i = 0; i < d.cfg.nr_signals; i++) {
		const struct mpd_signal_cfg *s = &d.cfg.signals[i];
		struct proc_row *rows;
		size_t nrows;

		if (s->level <= from_level || s->level > level ||
		    (s->cgroup && strcmp(s->cgroup, cgroup)))
			continue;
		if (procs_in(cgroup, &rows, &nrows) < 0)
			continue;
		for (size_t j = 0; j < nrows; j++) {
			struct action *a;

			if ((s->comm && strcmp(s->comm, rows[j].comm)) ||
			    (only_pid && rows[j].pid != only_pid))
				continue;
			if (dry) {
				log_action("would send signal %d to %s (pid %d) in %s (level %s, reason %s)",
					 s->signo, rows[j].comm, rows[j].pid, cgroup,
					 mpd_level_name(level), mp_trim_reason_names[reason]);
				counters.dry_callbacks[MPD_CB_SIGNAL]++;
				nr++;
				continue;
			}
			a = action_new(ACT_SIGNAL, t + nr * d.cfg.stagger_ms, cgroup, level,
				       reason, want);
			if (!a)
				continue;
			a->pid = rows[j].pid;
			a->signo = s->signo;
			snprintf(a->comm, sizeof(a->comm), "%s", rows[j].comm);
			snprintf(a->hook_name, sizeof(a->hook_name), "%s", s->name);
			nr++;
		}
		free(rows);
	}

	for (size_t i = 0; i < d.cfg.nr_hooks && !only_pid; i++) {
		const struct mpd_hook_cfg *h = &d.cfg.hooks[i];
		struct action *a;

		if (h->level <= from_level || h->level > level || strcmp(h->cgroup, cgroup))
			continue;
		if (dry) {
			log_action("would run hook %s (%s) for %s (level %s, reason %s)", h->name,
				 h->command, cgroup, mpd_level_name(level), mp_trim_reason_names[reason]);
			counters.dry_callbacks[MPD_CB_HOOK]++;
			nr++;
			continue;
		}
		a = action_new(ACT_HOOK, t + nr * d.cfg.stagger_ms, cgroup, level, reason, want);
		if (!a)
			continue;
		snprintf(a->hook_name, sizeof(a->hook_name), "%s", h->name);
		nr++;
	}
	return nr;
}

/*
 * Ask every target in @cgroup, @stagger_ms apart: the subscribers (the
 * applications that gave most first), then signal and hook targets whose
 * level is reached.  @only_pid limits it to one process (a leak).  Returns
 * how many callbacks were scheduled.
 */
static unsigned int schedule_callbacks(const char *cgroup, pid_t only_pid, int level,
				       int reason, uint64_t want, bool dry)
{
	struct client *subs[256];
	uint64_t rss[256], yield[256], when[256], total_rss = 0, t = now_ms();
	size_t n = 0, order[256];
	unsigned int nr = 0;

	for (struct client *c = d.clients; c && n < 256; c = c->next) {
		struct mpd_pending_trim p[16];
		size_t np = 0;

		if (!c->hello || strcmp(c->cgroup, cgroup) || (only_pid && c->pid != only_pid))
			continue;
		/* Its trims in flight decide whether and when this round asks it. */
		for (struct action *a = d.actions; a && np < 16; a = a->next)
			if (a->kind == ACT_TRIM && a->cid == c->cid)
				p[np++] = (struct mpd_pending_trim){ .sent = a->sent,
					.replied = a->replied, .reason = a->reason,
					.deadline = a->at };
		if (!mpd_trim_when(p, np, reason, t, &when[n]))
			continue;
		subs[n] = c;
		rss[n] = proc_rss_bytes(c->pid);
		yield[n] = app_get(c->name)->y.measured_bytes;
		total_rss += rss[n];
		n++;
	}
	/* Best measured yield first. */
	mpd_order_targets(yield, n, order);
	for (size_t k = 0; k < n; k++) {
		size_t i = order[k];
		uint64_t share = mpd_want_share(want, rss[i], total_rss, n, (uint64_t)d.page_size);
		struct action *a;

		if (dry) {
			log_action("would ask %s (pid %d) in %s for %llu bytes (reason %s)",
				 subs[i]->name, subs[i]->pid, cgroup, (unsigned long long)share,
				 mp_trim_reason_names[reason]);
			counters.dry_callbacks[MPD_CB_TRIM]++;
			nr++;
			continue;
		}
		a = action_new(ACT_TRIM, t + nr * d.cfg.stagger_ms, cgroup, level, reason, share);
		if (!a)
			continue;
		a->id = ++d.next_trim_id;
		a->cid = subs[i]->cid;
		a->pid = subs[i]->pid;
		snprintf(a->app, sizeof(a->app), "%s", subs[i]->name);
		if (when[i] > a->at) {
			a->at = when[i];
			log_info("trim %llu: %s (pid %d) has a trim of another reason unanswered: asking (reason %s) at its deadline, in %llu ms",
				 (unsigned long long)a->id, a->app, a->pid,
				 mp_trim_reason_names[reason], (unsigned long long)(when[i] - t));
		}
		nr++;
	}
	return schedule_targets(cgroup, only_pid, -1, level, reason, want, dry, t, nr);
}

/* --- hooks --- */

static void run_hook(const struct mpd_hook_cfg *h, const char *cgroup, int level,
		     const char *reason, uint64_t want)
{
	char env_level[64], env_cg[PATH_LEN + 32], env_reason[64], env_want[64];
	char *envp[] = { env_level, env_cg, env_reason, env_want,
			 "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			 NULL };
	struct child *hc;
	sigset_t all;
	pid_t pid;

	snprintf(env_level, sizeof(env_level), "MEMPRESSURE_LEVEL=%s", mpd_level_name(level));
	snprintf(env_cg, sizeof(env_cg), "MEMPRESSURE_CGROUP=%s", cgroup);
	snprintf(env_reason, sizeof(env_reason), "MEMPRESSURE_REASON=%s", reason);
	snprintf(env_want, sizeof(env_want), "MEMPRESSURE_WANT_BYTES=%llu",
		 (unsigned long long)want);
	hc = calloc(1, sizeof(*hc));
	if (!hc) {
		log_err("hook %s: out of memory, ignoring", h->name);
		return;
	}
	pid = fork();
	if (pid < 0) {
		log_err("hook %s: fork: %m, ignoring", h->name);
		free(hc);
		return;
	}
	if (pid == 0) {
		int log_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
		int null = open("/dev/null", O_RDWR);

		/* The daemon blocks these for its signalfd: the hook must not. */
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		/*
		 * What the hook prints is not the daemon's log, whose lines
		 * all carry a priority: it goes nowhere.  Its exit status is
		 * logged.
		 */
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		execve(h->argv[0], h->argv, envp);
		if (log_fd >= 0)
			dup2(log_fd, STDERR_FILENO);
		mpd_log(3, "hook %s: exec %s: %m", h->name, h->argv[0]);
		_exit(127);
	}
	hc->kind = CHILD_HOOK;
	hc->pid = pid;
	hc->started = now_ms();
	hc->kill_at = hc->started + h->timeout_ms;
	snprintf(hc->name, sizeof(hc->name), "%s", h->name);
	hc->next = d.children;
	d.children = hc;
	log_action("hook %s: started %s (pid %d) for %s (level %s, reason %s)", h->name,
		 h->command, pid, cgroup, mpd_level_name(level), reason);
	counters.callbacks[MPD_CB_HOOK]++;
}

static void reclaim_done(const struct child *c, int status);
static void clamp_done(const struct child *c, int status);

static void reap_children(void)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);

		if (pid <= 0)
			return;
		for (struct child **pp = &d.children; *pp; pp = &(*pp)->next) {
			struct child *hc = *pp;

			if (hc->pid != pid)
				continue;
			if (hc->kind == CHILD_RECLAIM)
				reclaim_done(hc, status);
			else if (hc->kind == CHILD_CLAMP)
				clamp_done(hc, status);
			else if (WIFEXITED(status))
				mpd_log(WEXITSTATUS(status) ? 4 : 6, "hook %s (pid %d) exited with %d",
					hc->name, pid, WEXITSTATUS(status));
			else
				log_warn("hook %s (pid %d) killed by signal %d", hc->name, pid,
					 WTERMSIG(status));
			*pp = hc->next;
			free(hc);
			break;
		}
	}
}

/* --- episodes and escalation --- */

static struct episode *episode_find(const char *cgroup)
{
	for (struct episode *e = d.episodes; e; e = e->next)
		if (!strcmp(e->cgroup, cgroup))
			return e;
	return NULL;
}

static void episode_free(struct episode *e)
{
	for (struct episode **pp = &d.episodes; *pp; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	free(e);
}

static uint64_t excess_bytes(uint64_t usage, uint64_t soft)
{
	return mpd_excess_bytes(usage, soft, soft_margin_pct());
}

static void start_episode(const char *cgroup, int level, int reason)
{
	struct episode *e = episode_find(cgroup);
	struct mpd_policy pol;
	struct mpd_step st;
	struct cg_row row;
	uint64_t want;
	unsigned int nr;
	int r;

	if (e && e->stage != MEMPRESSURED_STAGE_DONE) {
		/* Ask again (those not already asked); escalation keeps its pace. */
		if (cg_row_read(cgroup, &row) < 0)
			return;
		want = page_round(excess_bytes(row.current, e->soft_bytes));
		nr = schedule_callbacks(cgroup, 0, level > row.level ? level : row.level, reason,
					want, dry_run(&e->pol));
		log_info("%s: pressure again during %s (usage %llu): %u more callbacks",
			 cgroup, mp_stage_names[e->stage], (unsigned long long)row.current, nr);
		return;
	}
	r = cg_row_read(cgroup, &row);
	if (r < 0) {
		log_warn("%s: not in the cgroups table (%s), ignoring", cgroup, strerror(-r));
		return;
	}
	mpd_config_policy(&d.cfg, cgroup, &pol);
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e) {
			log_err("out of memory, ignoring pressure in %s", cgroup);
			return;
		}
		snprintf(e->cgroup, sizeof(e->cgroup), "%s", cgroup);
		e->next = d.episodes;
		d.episodes = e;
	}
	e->pol = pol;
	e->level = level > row.level ? level : row.level;
	/* While clamped, the table's soft limit follows the clamp: keep the goal. */
	if (!e->clamped)
		e->soft_bytes = row.soft;
	want = page_round(excess_bytes(row.current, e->soft_bytes));
	nr = schedule_callbacks(cgroup, 0, e->level, reason, want, dry_run(&pol));
	log_action("%s: %s (usage %llu, soft limit %llu, level %s): %u callbacks for %llu bytes",
		 cgroup, reason == MEMPRESSURED_TRIM_SOFT ? "over its soft limit" : "pressure",
		 (unsigned long long)row.current, (unsigned long long)e->soft_bytes,
		 mpd_level_name(e->level), nr, (unsigned long long)want);
	st = mpd_episode_start(now_ms(), nr, d.cfg.stagger_ms, &pol, !strcmp(cgroup, "/"));
	e->stage = st.stage;
	e->next_at = st.next_at;
}

static int still_over(struct episode *e, struct cg_row *row)
{
	int r = cg_row_read(e->cgroup, row);

	if (r < 0) {
		log_info("%s: gone from the cgroups table, ending its escalation", e->cgroup);
		return r;
	}
	if (row->current <= e->soft_bytes) {
		log_action("%s: back under its soft limit (usage %llu, soft limit %llu) after %s",
			 e->cgroup, (unsigned long long)row->current,
			 (unsigned long long)e->soft_bytes, mp_stage_names[e->stage]);
		return 0;
	}
	return 1;
}

static bool reclaim_available(const struct episode *e)
{
	char path[PATH_LEN + 64];

	cg_file(e->cgroup, "memory.reclaim", path, sizeof(path));
	return access(path, W_OK) == 0;
}

/*
 * Write @bytes to @file of @e's cgroup in a child (@kind), which has until
 * the next step (grace_ms) and is then killed; @before is memory.current
 * now, for the log of the result.  Returns the child's pid, or -1.
 */
static pid_t cg_write_child(enum child_kind kind, const struct episode *e, const char *file,
			    uint64_t bytes, uint64_t before)
{
	char path[PATH_LEN + 64], val[32];
	struct child *c = calloc(1, sizeof(*c));
	pid_t pid;

	if (!c) {
		log_err("%s: out of memory, %s not written", e->cgroup, file);
		return -1;
	}
	cg_file(e->cgroup, file, path, sizeof(path));
	snprintf(val, sizeof(val), "%llu", (unsigned long long)bytes);
	pid = fork();
	if (pid < 0) {
		log_err("%s: fork: %m, %s not written", e->cgroup, file);
		free(c);
		return -1;
	}
	if (pid == 0)
		_exit(-write_str(path, val) & 0xff);	/* 0, or the errno */
	c->kind = kind;
	c->pid = pid;
	c->started = now_ms();
	c->kill_at = c->started + e->pol.grace_ms;
	c->bytes = bytes;
	c->before = before;
	snprintf(c->name, sizeof(c->name), "%s", e->cgroup);
	c->next = d.children;
	d.children = c;
	return pid;
}

/*
 * Stop a child still writing @cgroup's clamp, and wait for it: nothing it
 * writes can then come after what the caller writes.  The kernel's
 * reclaim stops at the signal, so the wait is short.
 */
static void clamp_write_stop(const char *cgroup)
{
	for (struct child **pp = &d.children; *pp;) {
		struct child *c = *pp;

		if (c->kind != CHILD_CLAMP || strcmp(c->name, cgroup)) {
			pp = &c->next;
			continue;
		}
		kill(c->pid, SIGKILL);	/* our unreaped child: the pid is still its */
		waitpid(c->pid, NULL, 0);
		log_info("%s: memory.high write (pid %d) stopped", c->name, c->pid);
		*pp = c->next;
		free(c);
	}
}

/*
 * The reclaim step, decided by mpd_step_next(): @perform false in a dry run.
 * The write to memory.reclaim returns only when the kernel has reclaimed
 * that much or given up, which can take seconds: a child does it, so that
 * the loop goes on serving callbacks; reclaim_done() logs the result.
 */
static void step_reclaim(struct episode *e, const struct cg_row *row, bool perform)
{
	uint64_t excess = page_round(excess_bytes(row->current, e->soft_bytes));
	pid_t pid;

	if (!perform) {
		log_action("%s: still over its soft limit (usage %llu, soft limit %llu): would reclaim %llu bytes through memory.reclaim",
			 e->cgroup, (unsigned long long)row->current,
			 (unsigned long long)e->soft_bytes, (unsigned long long)excess);
		return;
	}
	pid = cg_write_child(CHILD_RECLAIM, e, "memory.reclaim", excess, row->current);
	if (pid < 0)
		return;
	log_action("%s: still over its soft limit (usage %llu, soft limit %llu): reclaiming %llu bytes through memory.reclaim (pid %d)",
		 e->cgroup, (unsigned long long)row->current, (unsigned long long)e->soft_bytes,
		 (unsigned long long)excess, pid);
}

static void reclaim_done(const struct child *c, int status)
{
	int err = WIFEXITED(status) ? WEXITSTATUS(status) : EINTR;
	uint64_t after = 0;

	cg_read_u64(c->name, "memory.current", &after);
	/* Falling short is what reclaim of anonymous memory without swap does. */
	counters.step_errors[MPD_STEP_RECLAIM] += err && err != EAGAIN;
	mpd_log(err && err != EAGAIN ? 4 : 6,
		"%s: memory.reclaim of %llu bytes %s after %llu ms; memory.current %llu -> %llu",
		c->name, (unsigned long long)c->bytes,
		!err ? "done" : err == EAGAIN ? "fell short" :
		err == EINTR ? "stopped at its timeout" : strerror(err),
		(unsigned long long)(now_ms() - c->started), (unsigned long long)c->before,
		(unsigned long long)after);
}

/*
 * The clamp step.  Only ever lowers memory.high (mpd_clamp_at()): one set
 * at or below the soft limit by someone else is left as it is.  Lowering
 * memory.high makes the writer reclaim down to it before the write
 * returns, as memory.reclaim does: a child writes it.  The clamp counts
 * from the fork (e->clamped), so that its restore and the one at exit
 * come whatever the child is doing.  False when skipped for that reason:
 * no step was taken, or would have been.
 */
static bool step_clamp(struct episode *e, const struct cg_row *row, bool perform)
{
	char path[PATH_LEN + 64], old[32];
	uint64_t high, at;
	pid_t pid;

	cg_file(e->cgroup, "memory.high", path, sizeof(path));
	if (read_small(path, old, sizeof(old)) < 0) {
		log_warn("%s: cannot read memory.high: %m, clamp skipped", e->cgroup);
		counters.step_errors[MPD_STEP_CLAMP] += perform;
		return true;
	}
	old[strcspn(old, "\n")] = '\0';
	if (!strcmp(old, "max"))
		high = UINT64_MAX;
	else if (mp_parse_u64(old, &high) < 0) {
		log_warn("%s: memory.high reads \"%s\", clamp skipped", e->cgroup, old);
		counters.step_errors[MPD_STEP_CLAMP] += perform;
		return true;
	}
	if (e->clamped) {
		/* Still ours from an earlier episode: it holds another clamp_ms. */
		e->clamp_until = now_ms() + e->pol.clamp_ms;
		log_action("%s: still over its soft limit (usage %llu, soft limit %llu): memory.high stays clamped at %s for %llu ms",
			 e->cgroup, (unsigned long long)row->current,
			 (unsigned long long)e->soft_bytes, old,
			 (unsigned long long)e->pol.clamp_ms);
		return true;
	}
	if (!mpd_clamp_at(high, e->soft_bytes, (uint64_t)d.page_size, &at)) {
		log_action("%s: still over its soft limit (usage %llu, soft limit %llu): memory.high is %s, at or below it already: %s",
			 e->cgroup, (unsigned long long)row->current,
			 (unsigned long long)e->soft_bytes, old,
			 perform ? "clamp skipped" : "would skip the clamp");
		return false;
	}
	if (!perform) {
		log_action("%s: still over its soft limit (usage %llu, soft limit %llu): would clamp memory.high at %llu (now %s) for %llu ms",
			 e->cgroup, (unsigned long long)row->current,
			 (unsigned long long)e->soft_bytes, (unsigned long long)at, old,
			 (unsigned long long)e->pol.clamp_ms);
		return true;
	}
	pid = cg_write_child(CHILD_CLAMP, e, "memory.high", at, row->current);
	if (pid < 0) {
		counters.step_errors[MPD_STEP_CLAMP]++;
		return true;
	}
	snprintf(e->old_high, sizeof(e->old_high), "%s", old);
	e->clamped = true;
	e->clamp_until = now_ms() + e->pol.clamp_ms;
	log_action("%s: still over its soft limit (usage %llu, soft limit %llu): clamped memory.high at %llu (was %s) for %llu ms (pid %d)",
		 e->cgroup, (unsigned long long)row->current, (unsigned long long)e->soft_bytes,
		 (unsigned long long)at, e->old_high, (unsigned long long)e->pol.clamp_ms, pid);
	return true;
}

/* The clamp's write ended: its effect, or its error (then nothing holds). */
static void clamp_done(const struct child *c, int status)
{
	int err = WIFEXITED(status) ? WEXITSTATUS(status) : EINTR;
	struct episode *e = episode_find(c->name);
	uint64_t after = 0;

	cg_read_u64(c->name, "memory.current", &after);
	if (err && err != EINTR) {
		log_err("%s: clamp of memory.high at %llu failed: %s", c->name,
			(unsigned long long)c->bytes, strerror(err));
		counters.step_errors[MPD_STEP_CLAMP]++;
		if (e)
			e->clamped = false;
		return;
	}
	log_action("%s: memory.high at %llu %s after %llu ms; memory.current %llu -> %llu",
		 c->name, (unsigned long long)c->bytes,
		 err ? "set, its reclaim stopped at the timeout" : "set and reclaimed to",
		 (unsigned long long)(now_ms() - c->started), (unsigned long long)c->before,
		 (unsigned long long)after);
}

static void clamp_restore(struct episode *e, const char *why)
{
	char path[PATH_LEN + 64];
	int r;

	if (!e->clamped)
		return;
	/* A clamp still being written must not land after the restore. */
	clamp_write_stop(e->cgroup);
	cg_file(e->cgroup, "memory.high", path, sizeof(path));
	r = write_str(path, e->old_high);
	if (r < 0)
		log_err("%s: restoring memory.high to %s failed: %s", e->cgroup, e->old_high,
			strerror(-r));
	else
		log_action("%s: memory.high restored to %s (%s)", e->cgroup, e->old_high, why);
	e->clamped = false;
}

/*
 * The kill step's victim (mpd_pick_suspect()) in @rows; *@looked false if
 * the processes could not be read.  Caller frees *@rows.
 */
static const struct proc_row *kill_victim(const struct episode *e, struct proc_row **rows,
					  size_t *n, bool *looked)
{
	bool *leak, *helped;
	int64_t *growth;
	long v = -1;

	*rows = NULL;
	*n = 0;
	*looked = procs_in(e->cgroup, rows, n) == 0;
	if (!*looked)
		return NULL;
	leak = calloc(*n + 1, sizeof(*leak));
	helped = calloc(*n + 1, sizeof(*helped));
	growth = calloc(*n + 1, sizeof(*growth));
	if (leak && helped && growth) {
		for (size_t i = 0; i < *n; i++) {
			leak[i] = (*rows)[i].leak;
			growth[i] = (*rows)[i].growth;
			/* A subscriber that gave memory back at its last trim. */
			for (struct client *c = d.clients; c; c = c->next)
				if (c->hello && c->pid == (*rows)[i].pid && c->last_freed)
					helped[i] = true;
		}
		v = mpd_pick_suspect(leak, growth, helped, *n);
	} else {
		log_err("out of memory, no leak suspect picked");
		*looked = false;
	}
	free(leak);
	free(helped);
	free(growth);
	return v < 0 ? NULL : &(*rows)[v];
}

/* @before: memory.current now, for the effect logged a grace_ms later. */
static void step_kill(struct episode *e, const struct proc_row *victim, uint64_t before,
		      bool perform)
{
	int r;

	if (!perform) {
		log_action("%s: would kill leak suspect %s (pid %d, growth %lld bytes/s)", e->cgroup,
			 victim->comm, victim->pid, (long long)victim->growth);
	} else {
		r = signal_process(victim->pid, victim->comm, e->cgroup, SIGKILL);
		counters.step_errors[MPD_STEP_KILL] += r < 0;
		if (r < 0)
			log_err("%s: killing leak suspect %s (pid %d) failed: %s", e->cgroup,
				victim->comm, victim->pid, strerror(-r));
		else
			log_action_warn("%s: killed leak suspect %s (pid %d, rss %llu, growth %lld bytes/s): still over its soft limit",
				 e->cgroup, victim->comm, victim->pid,
				 (unsigned long long)victim->rss, (long long)victim->growth);
		if (!r) {
			e->effect_at = now_ms() + e->pol.grace_ms;
			e->effect_before = before;
			snprintf(e->effect_what, sizeof(e->effect_what), "killing %s (pid %d)",
				 victim->comm, victim->pid);
		}
	}
}

static void episode_due(struct episode *e, uint64_t now)
{
	struct mpd_step_env env = { .dry_run = dry_run(&e->pol), .root = !strcmp(e->cgroup, "/") };
	const struct proc_row *victim = NULL;
	struct proc_row *rows = NULL;
	struct mpd_step st;
	struct cg_row row;
	size_t nrows = 0;
	bool looked = false;
	int r;

	if (e->clamped && now >= e->clamp_until)
		clamp_restore(e, "clamp period over");
	if (e->effect_at && now >= e->effect_at) {
		uint64_t cur = 0;

		cg_read_u64(e->cgroup, "memory.current", &cur);
		log_action("%s: %llu ms after %s: memory.current %llu -> %llu", e->cgroup,
			 (unsigned long long)e->pol.grace_ms, e->effect_what,
			 (unsigned long long)e->effect_before, (unsigned long long)cur);
		e->effect_at = 0;
	}
	if (mpd_step_due(e->stage, e->next_at, now)) {
		r = still_over(e, &row);
		/* What the step of this stage could use, read only when it is enabled. */
		if (r > 0 && e->stage == MEMPRESSURED_STAGE_CALLBACKS && e->pol.reclaim)
			env.reclaim_available = reclaim_available(e);
		if (r > 0 && e->stage == MEMPRESSURED_STAGE_CLAMPED && e->pol.kill) {
			victim = kill_victim(e, &rows, &nrows, &looked);
			env.has_suspect = victim != NULL;
		}
		st = mpd_step_next(e->stage, e->next_at, now, r > 0, &e->pol, &env);
		switch (st.act) {
		case MPD_ACT_RECLAIM:
			step_reclaim(e, &row, st.perform);
			break;
		case MPD_ACT_CLAMP:
			if (!step_clamp(e, &row, st.perform))
				st.act = MPD_ACT_NONE;	/* skipped: not a step to count */
			break;
		case MPD_ACT_KILL:
			if (victim)	/* the step comes only with a suspect */
				step_kill(e, victim, row.current, st.perform);
			break;
		case MPD_ACT_NONE:
			if (r > 0 && e->stage == MEMPRESSURED_STAGE_CALLBACKS)
				log_debug("%s: reclaim step %s, skipped", e->cgroup,
					  e->pol.reclaim ? "unavailable (no memory.reclaim)" :
					  "disabled");
			else if (r > 0 && e->stage == MEMPRESSURED_STAGE_CLAMPED && looked)
				log_info("%s: still over its soft limit, but no leak suspect to kill",
					 e->cgroup);
			break;
		}
		count_step(st.act, st.perform);
		free(rows);
		e->stage = st.stage;
		e->next_at = st.next_at;
	}
	if (e->stage == MEMPRESSURED_STAGE_DONE && !e->clamped && !e->effect_at)
		episode_free(e);
}

/* --- the module's events --- */

/* The reason of a level event, "-" if it has none. */
static const char *event_reason(const struct mp_event *ev)
{
	return ev->reason >= 0 ? mp_reasons[ev->reason] : MEMPRESSURE_NA;
}

/*
 * A level message to the subscribers of @ev's cgroup.  A limit event is
 * told as one too, the level unchanged and the reason "limit": the soft
 * limit it carries is what a client sizes itself to.
 */
static void notify_level(const struct mp_event *ev)
{
	bool limit = ev->kind == MEMPRESSURE_EVENT_LIMIT;
	struct mp_msg_out o;
	struct cg_row row;
	int soft = 0;		/* the cgroup's row: 0 not read yet, 1 read, -1 not found */

	if (limit) {
		row.soft = ev->soft_limit_bytes;
		soft = 1;
	}

	for (struct client *c = d.clients, *next; c; c = next) {
		next = c->next;
		if (!c->hello || (!c->scope_all && strcmp(c->cgroup, ev->cgroup)))
			continue;
		mp_msg_begin(&o, MEMPRESSURED_MSG_LEVEL);
		mp_msg_add_str(&o, MEMPRESSURED_KEY_CGROUP, ev->cgroup);
		mp_msg_add_str(&o, MEMPRESSURED_KEY_LEVEL, mpd_level_name(ev->level));
		mp_msg_add_str(&o, MEMPRESSURED_KEY_OLD_LEVEL,
			       mpd_level_name(limit ? ev->level : ev->old_level));
		mp_msg_add_str(&o, MEMPRESSURED_KEY_REASON,
			       limit ? mp_reasons[MEMPRESSURE_REASON_LIMIT] : event_reason(ev));
		/*
		 * The soft limit moves with memory.max and memory.high: say
		 * where it is.  The module publishes a sample's table before
		 * its events are seen, so the row is of this event's sample.
		 */
		if (!soft)
			soft = cg_row_read(ev->cgroup, &row) ? -1 : 1;
		if (soft > 0)
			mp_msg_add_u64(&o, MEMPRESSURED_KEY_SOFT_LIMIT, row.soft);
		/* A slow reader loses the message; only a dead one is dropped. */
		int r = client_send(c, &o);

		if (r < 0 && r != -EAGAIN && r != -EMSGSIZE)
			client_drop(c, NULL);
	}
}

static void handle_event(const struct mp_event *ev)
{
	struct mpd_policy pol;

	d.events_seen++;
	counters.events[ev->kind]++;
	switch (ev->kind) {
	case MEMPRESSURE_EVENT_LEVEL:
		if (ev->level < 0)
			return;
		log_debug("%s: level %s (was %s, %s)", ev->cgroup, mpd_level_name(ev->level),
			  mpd_level_name(ev->old_level), event_reason(ev));
		notify_level(ev);
		mpd_config_policy(&d.cfg, ev->cgroup, &pol);
		if (ev->level > ev->old_level && ev->level >= d.cfg.systemd_level)
			sd_wake(ev->cgroup, 0, ev->level, MEMPRESSURED_TRIM_LEVEL, dry_run(&pol));
		if (ev->level > ev->old_level && ev->level >= pol.trim_level)
			start_episode(ev->cgroup, ev->level, MEMPRESSURED_TRIM_LEVEL);
		else if (ev->level > ev->old_level)
			/*
			 * Below trim_level: no trims, only the signal and hook
			 * targets of the levels just reached.
			 */
			schedule_targets(ev->cgroup, 0, ev->old_level, ev->level,
					 MEMPRESSURED_TRIM_LEVEL, page_round(0), dry_run(&pol),
					 now_ms(), 0);
		break;
	case MEMPRESSURE_EVENT_LIMIT:
		if (ev->level < 0)
			return;
		log_debug("%s: limit %llu, soft limit %llu", ev->cgroup,
			  (unsigned long long)ev->limit_bytes,
			  (unsigned long long)ev->soft_limit_bytes);
		notify_level(ev);
		break;
	case MEMPRESSURE_EVENT_SOFT_OVER:
		/* Over a soft limit counts as medium, as for the trims. */
		mpd_config_policy(&d.cfg, ev->cgroup, &pol);
		if (MEMPRESSURE_LEVEL_MEDIUM >= d.cfg.systemd_level)
			sd_wake(ev->cgroup, ev->pid > 0 ? ev->pid : 0, MEMPRESSURE_LEVEL_MEDIUM,
				MEMPRESSURED_TRIM_SOFT, dry_run(&pol));
		if (ev->pid > 0) {
			/* A process over its own soft limit: ask it alone. */
			schedule_callbacks(ev->cgroup, ev->pid, MEMPRESSURE_LEVEL_MEDIUM,
					   MEMPRESSURED_TRIM_SOFT,
					   page_round(ev->usage_bytes > ev->soft_limit_bytes ?
						      ev->usage_bytes - ev->soft_limit_bytes : 0),
					   dry_run(&pol));
		} else {
			start_episode(ev->cgroup, MEMPRESSURE_LEVEL_MEDIUM, MEMPRESSURED_TRIM_SOFT);
		}
		break;
	case MEMPRESSURE_EVENT_LEAK_SUSPECTED: {
		struct cg_row row;
		uint64_t want = 0;

		/* The cgroup's excess, else what it grows in a grace period. */
		mpd_config_policy(&d.cfg, ev->cgroup, &pol);
		if (!cg_row_read(ev->cgroup, &row))
			want = excess_bytes(row.current, row.soft);
		if (!want && ev->growth > 0)
			want = (uint64_t)ev->growth * pol.grace_ms / 1000;
		log_info("%s: %s (pid %d) suspected of leaking (rss %llu, %lld bytes/s)",
			 ev->cgroup, ev->comm, ev->pid, (unsigned long long)ev->rss_bytes,
			 (long long)ev->growth);
		schedule_callbacks(ev->cgroup, ev->pid, MEMPRESSURE_LEVEL_MEDIUM,
				   MEMPRESSURED_TRIM_LEAK, page_round(want), dry_run(&pol));
		break;
	}
	case MEMPRESSURE_EVENT_LOST:
		d.events_lost += ev->count;
		log_warn("missed %llu events of the module (fell behind)",
			 (unsigned long long)ev->count);
		break;
	default:
		log_debug("%s: event %s, ignoring", ev->cgroup, mp_event_kinds[ev->kind]);
		break;
	}
}

static void module_close(void)
{
	if (d.events_fd < 0)
		return;
	epoll_ctl(d.epfd, EPOLL_CTL_DEL, d.events_fd, NULL);
	close(d.events_fd);
	d.events_fd = -1;
	d.evlen = 0;
}

static void retry_in(uint64_t ms)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000 },
	};

	timerfd_settime(d.retry_tfd, 0, &its, NULL);
}

static void module_open(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TAG_EVENTS };
	char path[128], *buf;
	size_t len;
	uint64_t abi = 0;
	int fd, r;

	snprintf(path, sizeof(path), "%s/%s", MEMPRESSURE_PROC_PATH, MEMPRESSURE_FILE_EVENTS);
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (!d.said_absent)
			log_warn("cannot open %s (%m): is mempressure.ko loaded? Retrying until it is",
				 path);
		d.said_absent = true;
		retry_in(d.backoff_ms);
		d.backoff_ms = d.backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : d.backoff_ms * 2;
		return;
	}
	snprintf(path, sizeof(path), "%s/%s", MEMPRESSURE_PROC_PATH, MEMPRESSURE_FILE_STATUS);
	r = mp_read_file(path, &buf, &len);
	if (!r) {
		r = mp_kv_get_u64(buf, len, "abi_version", &abi);
		free(buf);
	}
	if (r < 0 || abi != MEMPRESSURE_ABI_VERSION) {
		if (r < 0)
			log_err("cannot read abi_version from %s: %s; retrying in %d s", path,
				strerror(-r), BACKOFF_MAX_MS / 1000);
		else
			log_err("the module speaks ABI version %llu, this daemon only %d; retrying in %d s",
				(unsigned long long)abi, MEMPRESSURE_ABI_VERSION, BACKOFF_MAX_MS / 1000);
		close(fd);
		retry_in(BACKOFF_MAX_MS);
		return;
	}
	if (epoll_ctl(d.epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		log_err("epoll: %m; retrying");
		close(fd);
		retry_in(BACKOFF_MIN_MS);
		return;
	}
	d.events_fd = fd;
	d.said_absent = false;
	d.backoff_ms = BACKOFF_MIN_MS;
	log_info("reading the module's events (ABI %llu)", (unsigned long long)abi);
}

static void events_readable(void)
{
	for (;;) {
		ssize_t n = read(d.events_fd, d.evbuf + d.evlen, sizeof(d.evbuf) - d.evlen - 1);
		char *line, *nl;

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			if (errno == EIO)
				log_warn("the module was unloaded; waiting for it to come back");
			else
				log_err("reading events: %m; reopening");
			module_close();
			d.backoff_ms = BACKOFF_MIN_MS;
			d.said_absent = false;
			module_open();
			return;
		}
		if (n == 0)
			return;
		d.evlen += (size_t)n;
		d.evbuf[d.evlen] = '\0';
		line = d.evbuf;
		while ((nl = strchr(line, '\n'))) {
			struct mp_event ev;

			*nl = '\0';
			if (mp_event_parse(line, (size_t)(nl - line), &ev) < 0)
				log_warn("malformed event from the module, ignoring: %s", ev.line);
			else if (ev.kind < 0)
				log_debug("event of a kind this daemon does not know: %s", ev.line);
			else
				handle_event(&ev);
			line = nl + 1;
		}
		d.evlen -= (size_t)(line - d.evbuf);
		memmove(d.evbuf, line, d.evlen);
		if (d.evlen == sizeof(d.evbuf) - 1)
			d.evlen = 0;	/* cannot happen: lines are short */
	}
}

/* --- the timer: armed at the earliest thing due --- */

static void arm_tick(void)
{
	uint64_t next = UINT64_MAX;
	struct itimerspec its = { 0 };

	for (struct action *a = d.actions; a; a = a->next)
		if (a->at < next)
			next = a->at;
	for (struct episode *e = d.episodes; e; e = e->next) {
		if (e->stage != MEMPRESSURED_STAGE_DONE && e->next_at < next)
			next = e->next_at;
		if (e->clamped && e->clamp_until < next)
			next = e->clamp_until;
		if (e->effect_at && e->effect_at < next)
			next = e->effect_at;
		if (e->stage == MEMPRESSURED_STAGE_DONE && !e->clamped && !e->effect_at)
			next = 0;
	}
	for (struct child *h = d.children; h; h = h->next)
		if (h->kill_at && h->kill_at < next)
			next = h->kill_at;
	if (next != UINT64_MAX) {
		if (next == 0)
			next = 1;
		its.it_value.tv_sec = (time_t)(next / 1000);
		its.it_value.tv_nsec = (long)(next % 1000) * 1000000;
	}
	timerfd_settime(d.tick_tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void tick(void)
{
	uint64_t now = now_ms();
	bool again = true;

	while (again) {
		again = false;
		for (struct action *a = d.actions; a; a = a->next)
			if (a->at <= now) {
				action_due(a);	/* frees a */
				again = true;
				break;
			}
	}
	for (struct episode *e = d.episodes, *next; e; e = next) {
		next = e->next;
		episode_due(e, now);
	}
	for (struct child *h = d.children; h; h = h->next)
		if (h->kill_at && h->kill_at <= now) {
			log_warn("%s %s (pid %d) still running after its timeout: killing it",
				 h->kind == CHILD_HOOK ? "hook" :
				 h->kind == CHILD_RECLAIM ? "memory.reclaim of" : "memory.high of",
				 h->name,
				 h->pid);
			kill(h->pid, SIGKILL);	/* our unreaped child: the pid is still its */
			h->kill_at = 0;
		}
}

/* --- configuration --- */

static int load_config(const char *path, bool explicit, struct mpd_config *c)
{
	struct mpd_config_error err;
	int r = mpd_config_load(path, c, &err);

	if (r == -ENOENT && !explicit)
		return mpd_config_init(c);
	if (r < 0) {
		if (err.line)
			log_err("%s:%u: %s", path, err.line, err.msg);
		else
			log_err("%s", err.msg);
	}
	return r;
}

static void reload(void)
{
	struct mpd_config c;

	if (load_config(d.config_path, d.config_explicit, &c) < 0) {
		log_err("reload: the new configuration is invalid; keeping the old one");
		return;
	}
	if (strcmp(c.socket, d.cfg.socket))
		log_warn("reload: socket moves to %s only at restart, ignoring", c.socket);
	if (strcmp(c.systemd_socket ?: "-", d.cfg.systemd_socket ?: "-"))
		log_warn("reload: systemd_socket changes to %s only at restart, ignoring",
			 c.systemd_socket ?: "-");
	/* Scheduled actions name hooks by name: they find the new ones or none. */
	mpd_config_free(&d.cfg);
	d.cfg = c;
	log_info("reload: configuration %s loaded", d.config_path);
	/* After a module upgrade, say: try it now rather than at the next retry. */
	if (d.events_fd < 0) {
		d.backoff_ms = BACKOFF_MIN_MS;
		module_open();
	}
}

/* --- the socket --- */

/*
 * Listen on @path with @type (SOCK_SEQPACKET for subscribers, SOCK_STREAM
 * for systemd's protocol), mode 0666, a stale socket replaced; the fd in
 * *@out, the path in @saved.
 */
static int open_socket(const char *path, int type, uint64_t tag, int *out, char *saved)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };
	struct stat st;
	int fd;

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
	    listen(fd, 64) < 0 || epoll_ctl(d.epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int r = -errno;

		log_err("socket %s: %s", path, strerror(-r));
		close(fd);
		return r;
	}
	snprintf(saved, PATH_LEN, "%s", path);
	*out = fd;
	return 0;
}

/* The systemd socket's directory (/run/mempressured) is made if missing. */
static int open_sd_socket(const char *path)
{
	char dir[PATH_LEN];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			log_warn("mkdir %s: %m", dir);
	}
	return open_socket(path, SOCK_STREAM, TAG_SD_LISTEN, &d.sd_listen_fd,
			   d.sd_socket_path);
}

/* --- metrics (docs/metrics.md) --- */

/*
 * The textfile is rewritten when what it shows has changed (a fingerprint
 * of the counters and the daemon's state, taken once per loop round), at
 * most every metrics_interval_ms, by a timer armed only then: an idle
 * daemon never wakes for it.  Its cgroup rows are read at the write, so
 * between two changes usage_bytes may be behind; GET /metrics reads the
 * table at each request.  The HTTP responder shares that timer for its
 * connections' deadlines.
 */
#define TAG_METRICS_TIMER	(TAG_MAX + 64)
#define TAG_HTTP		(TAG_MAX + 65)	/* to TAG_HTTP + MPD_HTTP_CONN_MAX */
#define METRICS_SIZE_MAX	(16u << 20)

static struct {
	int tfd;
	struct mpd_http http;
	uint64_t start_time;		/* Unix seconds */
	uint64_t fingerprint;		/* of what the file last showed */
	bool dirty;
	uint64_t written_at;		/* monotonic ms; 0: never */
	uint64_t armed;			/* the timer's expiry, UINT64_MAX: off */
	char listen[PATH_LEN];		/* metrics_listen at start, or "-" */
	char listen_warned[PATH_LEN];
	int write_err;			/* of the last write, said once */
} met = { .tfd = -1, .armed = UINT64_MAX };

/* *@s, with the cgroups table read into @t (freed by the caller). */
static void metrics_snapshot(struct mpd_metrics_snap *s, struct mp_table *t,
			     struct mpd_metrics_cgroup **cgs, struct mpd_metrics_app *apps)
{
	static const char *const cols[] = {
#define X(e, name) name,
		MEMPRESSURE_CGROUP_COLUMNS(X)
#undef X
	};
	int c[MEMPRESSURE_CG_NR];

	memset(s, 0, sizeof(*s));
	memset(t, 0, sizeof(*t));
	*cgs = NULL;
	s->up = true;
	s->module_open = d.events_fd >= 0;
	s->start_time_seconds = met.start_time;
	s->events_lost = d.events_lost;
	s->c = &counters;
	for (struct client *x = d.clients; x; x = x->next) {
		s->subscribers += x->hello;
		s->systemd_clients += x->sd;
	}
	for (struct episode *e = d.episodes; e; e = e->next) {
		s->episodes += e->stage != MEMPRESSURED_STAGE_DONE;
		s->clamped += e->clamped;
	}
	for (size_t i = 0; i < d.nr_apps; i++) {
		apps[i].name = d.apps[i].name;
		apps[i].y = d.apps[i].y;
	}
	s->apps = apps;
	s->nr_apps = d.nr_apps;
	if (!s->module_open || mp_table_read(MEMPRESSURE_PROC_PATH, MEMPRESSURE_FILE_CGROUPS, t) < 0)
		return;
	for (int i = 0; i < MEMPRESSURE_CG_NR; i++)
		c[i] = mp_table_column(t, cols[i]);
	*cgs = calloc(t->nr_rows + 1, sizeof(**cgs));
	if (!*cgs || c[MEMPRESSURE_CG_PATH] < 0)
		return;
	for (size_t i = 0; i < t->nr_rows; i++) {
		struct mpd_metrics_cgroup *r = &(*cgs)[s->nr_cgroups];
		/* Decoded in place: a decoded cell is never longer. */
		char *path = (char *)mp_table_cell(t, i, (size_t)c[MEMPRESSURE_CG_PATH]);
		uint64_t *v[] = { &r->usage_bytes, &r->limit_bytes, &r->hard_limit_bytes,
				  &r->soft_limit_bytes };
		const int vc[] = { MEMPRESSURE_CG_CURRENT, MEMPRESSURE_CG_LIMIT,
				   MEMPRESSURE_CG_HARD_LIMIT, MEMPRESSURE_CG_SOFT_LIMIT };
		uint64_t over = 0;

		if (mp_unescape(path, path, strlen(path) + 1) < 0)
			continue;
		r->path = path;
		for (size_t k = 0; k < sizeof(vc) / sizeof(vc[0]); k++)
			if (c[vc[k]] < 0 || mp_parse_u64(mp_table_cell(t, i, (size_t)c[vc[k]]), v[k]) < 0)
				*v[k] = 0;
		r->level = c[MEMPRESSURE_CG_LEVEL] < 0 ? 0 :
			   mpd_level_parse(mp_table_cell(t, i, (size_t)c[MEMPRESSURE_CG_LEVEL]));
		if (c[MEMPRESSURE_CG_SOFT_OVER] >= 0)
			mp_parse_u64(mp_table_cell(t, i, (size_t)c[MEMPRESSURE_CG_SOFT_OVER]), &over);
		r->soft_over = over;
		s->nr_cgroups++;
	}
	s->cgroups = *cgs;
}

/* The metrics now, rendered into a malloc'ed buffer; @up false when stopping. */
static char *metrics_render(size_t *len, bool up)
{
	static struct mpd_metrics_app apps[APPS_MAX];
	struct mpd_metrics_snap s;
	struct mpd_metrics_cgroup *cgs;
	struct mp_table t;
	char *buf;

	metrics_snapshot(&s, &t, &cgs, apps);
	s.up = up;
	buf = mpd_metrics_render_alloc(&s, METRICS_SIZE_MAX, len);
	if (s.cgroups_omitted)
		log_debug("metrics: %llu cgroups left out to stay under %u bytes",
			  (unsigned long long)s.cgroups_omitted, METRICS_SIZE_MAX);
	free(cgs);
	mp_table_free(&t);
	return buf;
}

static char *metrics_http_body(size_t *len, void *arg)
{
	(void)arg;
	return metrics_render(len, true);
}

static void metrics_write(bool up)
{
	size_t len;
	char *buf;
	int r;

	met.dirty = false;
	met.written_at = now_ms();
	if (!d.cfg.metrics_file)
		return;
	buf = metrics_render(&len, up);
	r = buf ? mpd_metrics_write_file(d.cfg.metrics_file, buf, len) : -ENOMEM;
	free(buf);
	if (r < 0 && r != met.write_err)
		log_warn("metrics_file %s: %s; trying again at the next change",
			 d.cfg.metrics_file, strerror(-r));
	else if (!r && met.write_err)
		log_info("metrics_file %s written again", d.cfg.metrics_file);
	met.write_err = r;
}

/* FNV-1a over what the file shows, but for the cgroup rows. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ ((const unsigned char *)p)[i]) * 1099511628211ULL;
	return h;
}

static uint64_t metrics_fingerprint(void)
{
	uint64_t h = 14695981039346656037ULL, v[5] = { d.events_lost, d.events_fd >= 0 };

	h = fnv(h, &counters, sizeof(counters));
	for (size_t i = 0; i < d.nr_apps; i++)
		h = fnv(h, &d.apps[i].y, sizeof(d.apps[i].y));
	for (struct client *x = d.clients; x; x = x->next)
		v[2] += x->hello + ((uint64_t)x->sd << 32);
	for (struct episode *e = d.episodes; e; e = e->next)
		v[3] += (e->stage != MEMPRESSURED_STAGE_DONE) + ((uint64_t)e->clamped << 32);
	v[4] = d.nr_apps;
	h = fnv(h, v, sizeof(v));
	return fnv(h, d.cfg.metrics_file, strlen(d.cfg.metrics_file));
}

/* The timer at the earliest of the file's next write and a connection's deadline. */
static void metrics_arm(void)
{
	uint64_t next = mpd_http_next_deadline(&met.http);
	struct itimerspec its = { 0 };

	if (met.dirty && d.cfg.metrics_file) {
		uint64_t due = met.written_at ? met.written_at + d.cfg.metrics_interval_ms : 1;

		if (due < next)
			next = due;
	}
	if (next == met.armed || met.tfd < 0)
		return;
	if (next != UINT64_MAX) {
		its.it_value.tv_sec = (time_t)(next / 1000);
		its.it_value.tv_nsec = (long)(next % 1000) * 1000000;
	}
	if (timerfd_settime(met.tfd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		met.armed = next;
}

/* Once per loop round: has anything the file shows changed? */
static void metrics_check(void)
{
	if (d.cfg.metrics_file) {
		uint64_t fp = metrics_fingerprint();

		if (fp != met.fingerprint) {
			met.fingerprint = fp;
			met.dirty = true;
		}
	}
	if (strcmp(d.cfg.metrics_listen ?: "-", met.listen) &&
	    strcmp(d.cfg.metrics_listen ?: "-", met.listen_warned)) {
		snprintf(met.listen_warned, sizeof(met.listen_warned), "%s",
			 d.cfg.metrics_listen ?: "-");
		log_warn("reload: metrics_listen changes to %s only at restart, ignoring",
			 met.listen_warned);
	}
	metrics_arm();
}

/* An epoll event of the metrics' fds: true if @tag was one. */
static bool metrics_event(uint64_t tag)
{
	uint64_t exp, now = now_ms();

	if (tag == TAG_METRICS_TIMER) {
		if (read(met.tfd, &exp, sizeof(exp)) < 0 && errno != EAGAIN)
			log_warn("metrics timer: %m, ignoring");
		met.armed = UINT64_MAX;
		mpd_http_expire(&met.http, now);
		if (met.dirty && met.written_at + d.cfg.metrics_interval_ms <= now)
			metrics_write(true);
		return true;
	}
	if (!mpd_http_owns(&met.http, tag))
		return false;
	mpd_http_event(&met.http, tag, now, metrics_http_body, NULL);
	return true;
}

static void metrics_open(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TAG_METRICS_TIMER };
	struct sockaddr_storage ss;
	socklen_t len;
	int r;

	met.start_time = (uint64_t)time(NULL);
	mpd_http_init(&met.http);
	/* The address of the start, served or not: a reload cannot move it. */
	snprintf(met.listen, sizeof(met.listen), "%s", d.cfg.metrics_listen ?: "-");
	met.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (met.tfd < 0 || epoll_ctl(d.epfd, EPOLL_CTL_ADD, met.tfd, &ev) < 0) {
		log_err("metrics timer: %m; no metrics");
		if (met.tfd >= 0)
			close(met.tfd);
		met.tfd = -1;
		return;
	}
	if (d.cfg.metrics_file)
		log_info("metrics to %s", d.cfg.metrics_file);
	if (!d.cfg.metrics_listen)
		return;
	r = mpd_listen_parse(d.cfg.metrics_listen, &ss, &len);
	if (r >= 0)
		r = mpd_http_open(&met.http, (struct sockaddr *)&ss, len, d.epfd, TAG_HTTP);
	if (r < 0) {
		log_err("metrics_listen %s: %s; serving no metrics over HTTP",
			d.cfg.metrics_listen, strerror(-r));
		return;
	}
	log_info("metrics on http://%s/metrics%s", met.listen,
		 mpd_listen_parse(met.listen, &ss, &len) == 1 ? "" :
		 " (not the loopback: metrics_allow_remote = yes)");
}

/* The file says the daemon is gone. */
static void metrics_close(void)
{
	mpd_http_close(&met.http);
	if (d.cfg.metrics_file)
		metrics_write(false);
	if (met.tfd >= 0)
		close(met.tfd);
}

/* --- main --- */

static void usage(FILE *f)
{
	fprintf(f, "usage: mempressured [-c FILE] [-n] [-v]\n"
		   "       mempressured --check-config [FILE]\n");
}

static int check_config(const char *path, bool explicit)
{
	struct mpd_config c;

	if (load_config(path, explicit, &c) < 0)
		return EXIT_CONFIG;
	mpd_config_print(&c, stdout);
	mpd_config_free(&c);
	return 0;
}

static int add_fd(int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	return epoll_ctl(d.epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool check = false, running = true;
	int opt, exit_code = 0;
	sigset_t mask;

	d.config_path = MPD_CONFIG_DEFAULT;
	d.events_fd = d.listen_fd = d.sd_listen_fd = -1;
	d.page_size = sysconf(_SC_PAGESIZE);
	d.backoff_ms = BACKOFF_MIN_MS;
	while ((opt = getopt_long(argc, argv, "c:nvh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			d.config_path = optarg;
			d.config_explicit = true;
			break;
		case 'n':
			d.force_dry_run = true;
			break;
		case 'v':
			log_max = 7;
			break;
		case 'C':
			check = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (check) {
		if (optind + 1 < argc) {
			usage(stderr);
			return EXIT_USAGE;
		}
		if (optind < argc) {
			d.config_path = argv[optind];
			d.config_explicit = true;
		}
		return check_config(d.config_path, d.config_explicit);
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (load_config(d.config_path, d.config_explicit, &d.cfg) < 0)
		return EXIT_CONFIG;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	d.epfd = epoll_create1(EPOLL_CLOEXEC);
	d.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	d.retry_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	d.tick_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d.epfd < 0 || d.sigfd < 0 || d.retry_tfd < 0 || d.tick_tfd < 0 ||
	    add_fd(d.sigfd, TAG_SIG) < 0 || add_fd(d.retry_tfd, TAG_RETRY) < 0 ||
	    add_fd(d.tick_tfd, TAG_TICK) < 0) {
		log_err("setting up the event loop: %m");
		return EXIT_RUNTIME;
	}
	if (open_socket(d.cfg.socket, SOCK_SEQPACKET, TAG_LISTEN, &d.listen_fd,
			d.socket_path) < 0)
		return EXIT_SOCKET;
	/* Optional: without it, subscribers are still served. */
	if (d.cfg.systemd_socket && open_sd_socket(d.cfg.systemd_socket) < 0)
		log_err("running without systemd's memory-pressure protocol");
	if (d.sd_listen_fd >= 0)
		log_info("systemd memory-pressure socket %s (level %s)", d.sd_socket_path,
			 mpd_level_name(d.cfg.systemd_level));
	log_info("mempressured listening on %s%s", d.cfg.socket,
		 d.force_dry_run || d.cfg.daemon.dry_run ? " (dry run: no action is taken)" : "");
	module_open();
	metrics_open();

	while (running) {
		struct epoll_event evs[32];
		int n;

		metrics_check();
		arm_tick();
		n = epoll_wait(d.epfd, evs, 32, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("epoll_wait: %m");
			exit_code = EXIT_RUNTIME;
			break;
		}
		for (int i = 0; i < n && running; i++) {
			uint64_t tag = evs[i].data.u64, exp;
			struct signalfd_siginfo si;

			if (metrics_event(tag))
				continue;
			switch (tag) {
			case TAG_SIG:
				while (read(d.sigfd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGHUP) {
						reload();
					} else if (si.ssi_signo == SIGCHLD) {
						reap_children();
					} else {
						log_info("signal %u: exiting", si.ssi_signo);
						running = false;
					}
				}
				break;
			case TAG_LISTEN:
				accept_clients(d.listen_fd, false);
				break;
			case TAG_SD_LISTEN:
				accept_clients(d.sd_listen_fd, true);
				break;
			case TAG_EVENTS:
				if (d.events_fd >= 0)
					events_readable();
				break;
			case TAG_RETRY:
				if (read(d.retry_tfd, &exp, sizeof(exp)) > 0 && d.events_fd < 0)
					module_open();
				break;
			case TAG_TICK:
				if (read(d.tick_tfd, &exp, sizeof(exp)) < 0 && errno != EAGAIN)
					log_warn("timer: %m, ignoring");
				tick();
				break;
			default: {
				/* A client: it may have been dropped by an earlier event. */
				struct client *c = evs[i].data.ptr;
				bool alive = false;

				for (struct client *x = d.clients; x; x = x->next)
					alive |= x == c;
				if (alive && c->sd)
					sd_client_readable(c);
				else if (alive)
					client_readable(c);
				break;
			}
			}
		}
	}

	/* Leave no clamp behind. */
	for (struct episode *e = d.episodes; e; e = e->next)
		clamp_restore(e, "exiting");
	while (d.clients)
		client_free(d.clients);
	while (d.actions)
		action_free(d.actions);
	while (d.episodes)
		episode_free(d.episodes);
	/* A reclaim in flight was asked by this daemon: stop it.  Hooks run on. */
	while (d.children) {
		struct child *c = d.children;

		if (c->kind != CHILD_HOOK)
			kill(c->pid, SIGKILL);	/* unreaped: the pid is still its */
		d.children = c->next;
		free(c);
	}
	module_close();
	if (d.listen_fd >= 0) {
		close(d.listen_fd);
		unlink(d.socket_path);
	}
	if (d.sd_listen_fd >= 0) {
		close(d.sd_listen_fd);
		unlink(d.sd_socket_path);
	}
	metrics_close();
	mpd_config_free(&d.cfg);
	return exit_code;
}
