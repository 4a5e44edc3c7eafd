/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mempressured: the daemon's state, one struct mpd, and the map of the
 * files that make it (docs/mempressured.md says what it does).
 *
 *  mempressured.c     main(): the command line, the configuration, run
 *  mpd_manager.c      the parts wired together: set up, the loop, signals
 *                     (reload, children, exit), the timer of everything
 *                     scheduled, tear down
 *  mpd_loop.c         the epoll loop of handler objects, timerfds
 *  mpd_events.c       the module's event stream: open, reopen, read, and
 *                     what each event starts
 *  mpd_clients.c      the sockets and their clients: the protocol (hello,
 *                     trimmed, status), level messages, systemd's clients
 *  mpd_callbacks.c    callbacks to a cgroup's targets (trims, signals,
 *                     hooks, systemd wake-ups), scheduled, sent and
 *                     measured; the per-application yield figures
 *  mpd_episodes.c     one cgroup's way back under its soft limit and the
 *                     escalation: reclaim, clamp, kill
 *  mpd_children.c     processes the daemon waits for without blocking:
 *                     hooks, and writes to memory.reclaim and memory.high
 *  mpd_exporter.c     the metrics of the daemon's state, to a file and
 *                     over HTTP, on a timer of their own
 *  mpd_sys.c          the system's files behind a root: cgroups, /proc,
 *                     the module's tables, pidfds
 *  mpd_log.c          the log, and the last actions for the status reply
 *  mpd_policy.c, mpd_config.c, mpd_metrics.c, mpd_metrics_io.c: pure
 *                     decisions, the configuration file, the metrics'
 *                     rendering and their file and HTTP responder
 *
 * One thread.  Every part keeps its state in the struct mpd it is given,
 * in the fields marked as its own; the others read them.  Nothing sleeps
 * and nothing blocks on a peer.
 */
#ifndef MPD_H
#define MPD_H

#include <stdbool.h>
#include <stdint.h>

#include "mpd_callbacks.h"
#include "mpd_children.h"
#include "mpd_clients.h"
#include "mpd_config.h"
#include "mpd_episodes.h"
#include "mpd_exporter.h"
#include "mpd_log.h"
#include "mpd_loop.h"
#include "mpd_metrics.h"
#include "mpd_policy.h"
#include "mpd_sys.h"

/*
 * Exit statuses (docs/mempressured.md).  The unit does not restart after
 * MPD_EXIT_CONFIG and MPD_EXIT_USAGE, which a restart cannot mend; a
 * failure of the event loop itself (MPD_EXIT_RUNTIME) may pass, so it has
 * its own.
 */
#define MPD_EXIT_CONFIG		1
#define MPD_EXIT_USAGE		2
#define MPD_EXIT_SOCKET		3
#define MPD_EXIT_RUNTIME	4

/* The events file is reopened after 1 s, then twice as late, up to 30 s. */
#define MPD_BACKOFF_MIN_MS	1000
#define MPD_BACKOFF_MAX_MS	30000

struct mpd {
	/* mempressured.c: the command line and what it names */
	const char *config_path;
	bool config_explicit;		/* -c or --check-config FILE */
	bool force_dry_run;		/* -n */
	struct mpd_config cfg;		/* mpd_manager.c replaces it on SIGHUP */
	struct mpd_sys sys;		/* the system's root: "/" */
	uint64_t (*clock)(void);	/* mpd_clock_ms(); a test's own */

	/* mpd_manager.c */
	struct mpd_loop loop;
	struct mpd_io signals;		/* signalfd: TERM, INT, HUP, CHLD */
	struct mpd_io tick;		/* timerfd at the earliest thing due */
	int exit_code;

	/* mpd_clients.c */
	struct mpd_io listen;		/* subscribers (SOCK_SEQPACKET) */
	struct mpd_io sd_listen;	/* systemd's protocol (SOCK_STREAM) */
	char socket_path[MPD_PATH_LEN];
	char sd_socket_path[MPD_PATH_LEN];
	struct mpd_client *clients;
	uint64_t next_cid;
	struct mpd_client_limits limits;
	uint64_t clients_refused;
	uint64_t accept_again_at;	/* the sockets unwatched until then; 0: watched */

	/* mpd_callbacks.c */
	struct mpd_action *actions;
	uint64_t next_trim_id;
	struct mpd_app apps[MPD_APPS_MAX];
	size_t nr_apps;

	/* mpd_children.c */
	struct mpd_child *children;

	/* mpd_episodes.c */
	struct mpd_episode *episodes;

	/* mpd_events.c */
	struct mpd_io events;		/* the module's events file; fd -1: closed */
	struct mpd_io retry;		/* timerfd: reopen it */
	uint64_t backoff_ms;
	bool said_absent;
	uint64_t events_seen, events_lost;
	size_t evlen;
	char evbuf[65536];

	/* mpd_exporter.c */
	struct mpd_exporter exporter;

	/* All parts: what the metrics count, and what was done lately. */
	struct mpd_counters counters;
	struct mpd_recent recent;
};

static inline uint64_t mpd_now(const struct mpd *d)
{
	return d->clock();
}

/* Whether to only say what would be done, in a cgroup of policy @p. */
static inline bool mpd_dry_run(const struct mpd *d, const struct mpd_policy *p)
{
	return d->force_dry_run || p->dry_run;
}

/* --- mpd_manager.c --- */

/*
 * A daemon that is not running yet: the system's root, the clock, no fd
 * open, the configuration @cfg (taken over: mpd_done() frees it).
 */
void mpd_init(struct mpd *d, const struct mpd_config *cfg);
/* Open the loop, the sockets, the module's events, the metrics; MPD_EXIT_*. */
int mpd_start(struct mpd *d);
/* Until SIGTERM or SIGINT: 0, or MPD_EXIT_RUNTIME. */
int mpd_run(struct mpd *d);
/* Restore every clamp, close and free everything. */
void mpd_done(struct mpd *d);

/* Load @path into @c (the defaults if it is missing and not @explicit). */
int mpd_load_config(const char *path, bool explicit, struct mpd_config *c);
/* SIGHUP: the configuration again, or the old one if the new is invalid. */
void mpd_reload(struct mpd *d);
/* Everything due by now: callbacks, escalation steps, children's timeouts. */
void mpd_tick(struct mpd *d);
/* The earliest of those, UINT64_MAX if none. */
uint64_t mpd_next_due(const struct mpd *d);

#endif /* MPD_H */
