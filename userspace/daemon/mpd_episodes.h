/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Episodes: one cgroup's way back under its soft limit (docs/mempressured.md).
 *
 * An episode starts on a soft_over event or a level event reaching
 * trim_level: every target in the cgroup is asked (mpd_callbacks.h), and
 * every grace_ms while the cgroup stays over the soft limit it had when
 * the episode began, the next step is taken: memory.reclaim, then a
 * memory.high clamp at that soft limit for clamp_ms, then (kill = yes)
 * SIGKILL for the fastest-growing leak suspect.  The soft limit is the one
 * of the start: a clamp lowers the effective limit and with it the default
 * soft limit, which must not move the goal.  What each step decides is
 * mpd_policy.c's; this file reads what it needs and acts.
 *
 * The system row ("/") gets callbacks only: there is no memory.high to
 * clamp at the root, and reclaiming the whole machine is the kernel's job.
 */
#ifndef MPD_EPISODES_H
#define MPD_EPISODES_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/mempressure.h>

#include "mpd_policy.h"
#include "mpd_sys.h"

struct mpd;

struct mpd_episode {
	char cgroup[MPD_CGROUP_LEN];
	enum mempressured_stage stage;	/* the last step behind it */
	unsigned int steps;		/* 1 << MPD_ACT_*: the steps it took (or, dry, logged) */
	uint64_t next_at;		/* of the next escalation step */
	uint64_t soft_bytes;		/* the goal, as at the start */
	int level;
	struct mpd_policy pol;
	bool clamped;
	char old_high[32];		/* memory.high before the clamp */
	uint64_t clamp_until;
	uint64_t effect_at;		/* when to log a kill's effect; 0: none due */
	uint64_t effect_before;		/* memory.current at the kill */
	char killed_comm[MPD_NAME_LEN];	/* whom the kill killed */
	pid_t killed_pid;
	struct mpd_episode *next;
};

/*
 * Pressure in @cgroup at @level for @reason (MEMPRESSURED_TRIM_SOFT or
 * _LEVEL): a new episode, or, during one, its targets asked again.
 */
void mpd_episode_pressure(struct mpd *d, const char *cgroup, int level, int reason);
struct mpd_episode *mpd_episode_find(const struct mpd *d, const char *cgroup);

/* What brings @usage back under @soft less soft_margin_pct (the module's). */
uint64_t mpd_excess_now(const struct mpd *d, uint64_t usage, uint64_t soft);

/* Take the steps due at @now, end the clamps due; the earliest to come. */
void mpd_episodes_tick(struct mpd *d, uint64_t now);
uint64_t mpd_episodes_next_due(const struct mpd *d);
/* At exit: every clamp restored, every episode freed. */
void mpd_episodes_free(struct mpd *d);

#endif /* MPD_EPISODES_H */
