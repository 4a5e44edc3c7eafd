/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mempressured's callbacks: what it asks of the targets in a cgroup under
 * pressure, and what it measures they gave (docs/mempressured.md).
 *
 * A callback is a struct mpd_action, scheduled at a time (stagger_ms
 * after the one before, the applications that gave most first) and then
 * sent: a trim to a subscriber, a signal to a process, a hook command
 * started, a systemd client woken.  A deadline_ms later it is measured:
 * the process's RSS and the cgroup's memory.current, before and after,
 * and for a trim the application's own claim.  The figures add up per
 * application (struct mpd_app, by name: the subscriber's, or
 * "signal:NAME", "hook:NAME", "systemd:COMM") for the status query and
 * the metrics.
 */
#ifndef MPD_CALLBACKS_H
#define MPD_CALLBACKS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "mpd_policy.h"
#include "mpd_sys.h"

struct mpd;
struct mpd_client;

/* The applications followed; the last one pools the rest. */
#define MPD_APPS_MAX	256

struct mpd_app {
	char name[MPD_NAME_LEN];
	struct mpd_app_stats y;		/* the yield bookkeeping (mpd_policy.c) */
};

/* MPD_ACT_WAKE: a systemd client woken, waiting only to be measured. */
enum mpd_action_kind { MPD_ACT_TRIM, MPD_ACT_SIGNAL, MPD_ACT_HOOK, MPD_ACT_WAKE };

/* A callback: scheduled at @at; once sent, it waits here for its deadline. */
struct mpd_action {
	enum mpd_action_kind kind;
	uint64_t at;
	bool sent;
	uint64_t id;			/* MPD_ACT_TRIM: the trim's */
	uint64_t cid;			/* MPD_ACT_TRIM: the subscriber */
	pid_t pid;
	char comm[MPD_NAME_LEN];	/* MPD_ACT_SIGNAL: what the pid must still be */
	int pidfd;			/* MPD_ACT_SIGNAL: its target, pinned when chosen; else -1 */
	int signo;
	char hook_name[MPD_NAME_LEN];	/* MPD_ACT_HOOK, _SIGNAL: its section */
	char app[MPD_NAME_LEN];		/* whose figures it adds to */
	char cgroup[MPD_CGROUP_LEN];
	int level;
	int reason;			/* MEMPRESSURED_TRIM_* */
	uint64_t want_bytes;
	bool replied;
	uint64_t freed_bytes;
	uint64_t unmet_bytes;		/* what the reply said cannot be freed */
	uint64_t rss_before, cg_before;
	uint64_t rss_replied;		/* when the reply came */
	bool cg_known;			/* cg_before was read */
	struct mpd_action *next;
};

/* The figures of application @name, made on first use. */
struct mpd_app *mpd_app_get(struct mpd *d, const char *name);

struct mpd_action *mpd_action_new(struct mpd *d, enum mpd_action_kind kind, uint64_t at,
				  const char *cgroup, int level, int reason, uint64_t want);
void mpd_action_free(struct mpd *d, struct mpd_action *a);
/*
 * @a was just sent (a signal, a hook, a wake-up): measure its effect a
 * deadline from now, under "@kind:" and its section's or command's name.
 */
void mpd_target_watch(struct mpd *d, struct mpd_action *a, const char *kind);

/*
 * Ask every target in @cgroup, stagger_ms apart: the subscribers (those
 * that gave most first), then the signal and hook targets whose level is
 * reached.  @only_pid limits it to one process (a leak).  In a dry run
 * (@dry) only say so.  Returns how many callbacks were scheduled.
 */
unsigned int mpd_schedule_callbacks(struct mpd *d, const char *cgroup, pid_t only_pid,
				    int level, int reason, uint64_t want, bool dry);
/*
 * The signal and hook targets alone, of the levels above @from_level up to
 * @level, stagger_ms apart after the @nr callbacks already scheduled from
 * @t.  Returns @nr plus how many were scheduled.
 */
unsigned int mpd_schedule_targets(struct mpd *d, const char *cgroup, pid_t only_pid,
				  int from_level, int level, int reason, uint64_t want, bool dry,
				  uint64_t t, unsigned int nr);

/*
 * Subscriber @c says trim @id freed @freed bytes, and that @unmet bytes it
 * holds live cannot be freed (0: none, or it does not say).
 */
void mpd_trim_replied(struct mpd *d, struct mpd_client *c, uint64_t id, uint64_t freed,
		      uint64_t unmet);

/* Send or measure what is due at @now; the earliest still to come. */
void mpd_callbacks_tick(struct mpd *d, uint64_t now);
uint64_t mpd_callbacks_next_due(const struct mpd *d);

#endif /* MPD_CALLBACKS_H */
