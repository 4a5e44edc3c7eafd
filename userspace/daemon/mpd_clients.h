/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mempressured's sockets and their clients (docs/protocol.md).
 *
 * Subscribers connect to the SOCK_SEQPACKET socket, say hello, hear level
 * messages about their cgroup (every cgroup with scope=all) and trims,
 * and answer trims with trimmed; root may ask for the status instead.
 * Sends never block: a message a client has no room for is dropped for it
 * and counted.
 *
 * systemd's memory-pressure protocol: a second, stream socket
 * (systemd_socket) for services using sd_event_add_memory_pressure() with
 * $MEMORY_PRESSURE_WATCH pointing at it.  Such a client is known by its
 * cgroup at connect time; what it writes is discarded, and one byte is
 * written to it when its cgroup reaches systemd_level (a soft_over counts
 * as medium).  It is a struct mpd_client that never says hello, so the
 * subscriber paths skip it.
 */
#ifndef MPD_CLIENTS_H
#define MPD_CLIENTS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "mp_event.h"
#include "mp_proto.h"
#include "mpd_loop.h"
#include "mpd_sys.h"

struct mpd;

/*
 * Any local user may connect (the sockets are 0666): what one can hold is
 * bounded.  Clients per uid and in all, each of the two sockets' together;
 * a connection that has said nothing (no hello, no status) after
 * MPD_HELLO_MS is dropped; an accepted fd within MPD_FD_RESERVE of
 * RLIMIT_NOFILE is closed at once, those fds kept for the daemon's own
 * work (/proc, cgroup files, pidfds, the events file); and when accept()
 * itself runs out (EMFILE), the sockets are not watched for
 * MPD_ACCEPT_BACKOFF_MS rather than found readable again at once.
 */
#define MPD_CLIENTS_MAX		4096
#define MPD_CLIENTS_PER_UID	256
#define MPD_HELLO_MS		5000
#define MPD_FD_RESERVE		64
#define MPD_ACCEPT_BACKOFF_MS	1000

struct mpd_client_limits {
	unsigned int max, per_uid, fd_reserve;	/* the above; tests lower them */
};

struct mpd_client {
	struct mpd_io io;		/* its socket, in the loop */
	struct mpd *d;
	uint64_t cid;			/* never reused: actions name it */
	pid_t pid;
	uid_t uid;
	/*
	 * Its process, pinned at accept: its pid and cgroup are what they
	 * were then only while it runs.  -1: none (a test's socketpair).
	 */
	int pidfd;
	bool hello, scope_all;
	bool sd;			/* on the systemd socket: never says hello */
	char name[MPD_NAME_LEN];
	char *cgroup;			/* NULL until known */
	uint64_t dropped;		/* messages it had no room for */
	uint64_t silent_until;		/* dropped then if it has said nothing; 0: it spoke */
	/*
	 * What its process's RSS fell by at its trims' deadlines, measured,
	 * whatever it answered: the last one (did it help?) and all of this
	 * connection's (whom to ask first).  Its own, not its name's: any
	 * client may say any name.
	 */
	uint64_t last_measured, measured_bytes;
	struct mpd_client *next;
};

/* The subscribers' socket, and the systemd one if configured; MPD_EXIT_*. */
int mpd_clients_open(struct mpd *d);
/* Every client dropped, the sockets closed and unlinked. */
void mpd_clients_close(struct mpd *d);
/* Drop the silent clients due, watch the sockets again after a backoff. */
void mpd_clients_tick(struct mpd *d, uint64_t now);
uint64_t mpd_clients_next_due(const struct mpd *d);

/*
 * A connected socket @fd of the process @pid (user @uid, pidfd @pidfd or
 * -1) as a client, in the loop, its cgroup read at once; @sd: on the
 * systemd socket.  What accepting a connection ends with, and how tests
 * add one of a socketpair().  NULL if it could not be added (@fd and
 * @pidfd are then closed).
 */
struct mpd_client *mpd_client_add(struct mpd *d, int fd, pid_t pid, uid_t uid, bool sd,
				  int pidfd);
/* Whether the process that connected still runs, so that its pid is still its own. */
bool mpd_client_alive(const struct mpd_client *c);
struct mpd_client *mpd_client_by_cid(const struct mpd *d, uint64_t cid);
/* Never blocks: 0, -EAGAIN (its queue is full: counted), -errno. */
int mpd_client_send(struct mpd_client *c, struct mp_msg_out *o);
/* Say @reason (if not NULL) in an error message, and drop it. */
void mpd_client_drop(struct mpd_client *c, const char *reason);
void mpd_client_free(struct mpd_client *c);

/* A level (or limit) event told to the subscribers of its cgroup. */
void mpd_notify_level(struct mpd *d, const struct mp_event *ev);
/*
 * Wake the systemd clients in @cgroup (@only_pid: that process's alone),
 * or in a dry run say so; each woken one is watched like a signal's target.
 */
void mpd_sd_wake(struct mpd *d, const char *cgroup, pid_t only_pid, int level, int reason,
		 bool dry);

#endif /* MPD_CLIENTS_H */
