/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mempressured's policy decisions (docs/mempressured.md), apart from its
 * I/O so that host tests can check them: how much to ask each target for,
 * in which order, the escalation steps of one cgroup's episode and the
 * per-application yield bookkeeping.  No syscalls, no logging, no state
 * of its own: the daemon reads the figures, calls these, and acts.
 */
#ifndef MPD_POLICY_H
#define MPD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/mempressure.h>

#include "mpd_config.h"

/*
 * Whole pages, rounded up (memory is given back in pages), and at least
 * one: a request for 0 bytes still asks for something.
 */
uint64_t mpd_page_round(uint64_t bytes, uint64_t page_size);

/*
 * What brings @usage back under @soft minus @margin_pct percent of it:
 * the target is soft / 100 * (100 - margin_pct); 0 when under it.
 */
uint64_t mpd_excess_bytes(uint64_t usage, uint64_t soft, uint64_t margin_pct);

/*
 * One target's share of @want among @n targets: by its RSS @rss out of
 * @total_rss (evenly when @total_rss is 0), rounded up to whole pages and
 * at least one (mpd_page_round): the shares add up to @want or more.
 */
uint64_t mpd_want_share(uint64_t want, uint64_t rss, uint64_t total_rss, size_t n,
			uint64_t page_size);

/*
 * The order in which to ask @n targets whose measured yields are
 * @yield[i]: fills @order with 0..n-1, largest yield first (those that did
 * not help last); equal yields keep their given order (a stable sort).
 */
void mpd_order_targets(const uint64_t *yield, size_t n, size_t *order);

/*
 * A subscriber's trim already scheduled or sent when a new round would ask
 * it: for the round's @reason, whether and when to ask it (docs/mempressured.md).
 */
struct mpd_pending_trim {
	bool sent;			/* else scheduled, not sent yet */
	bool replied;			/* it answered (sent only) */
	int reason;			/* MEMPRESSURED_TRIM_* */
	uint64_t deadline;		/* sent: when it is measured */
};

/*
 * When to send a new round's trim (@reason) to a subscriber with @n trims
 * @p in flight: false if not at all.  An answered trim hides nothing: ask
 * at @now.  One scheduled but not sent yet is about to ask for the same
 * pressure: not again (a soft_over and the level event of one crossing
 * make one trim, not two).  One sent and unanswered of the same reason
 * already asks for it: not again; of another reason: ask at the latest
 * such deadline, when the application is free to hear a new request (one
 * unanswered trim at a time).
 */
bool mpd_trim_when(const struct mpd_pending_trim *p, size_t n, int reason, uint64_t now,
		   uint64_t *at);

/*
 * Where one cgroup's episode stands is an enum mempressured_stage of the
 * shared header, named after the last step behind it; its names are
 * mp_proto.h's mp_stage_names.
 */

enum mpd_act { MPD_ACT_NONE, MPD_ACT_RECLAIM, MPD_ACT_CLAMP, MPD_ACT_KILL };

/* What the step of the current stage could use, as the caller found it. */
struct mpd_step_env {
	bool dry_run;			/* decide as usual, but the caller only logs */
	bool root;			/* the cgroup "/": never clamped */
	bool reclaim_available;		/* memory.reclaim writable (RECLAIM) */
	bool has_suspect;		/* a leak suspect in the cgroup (KILL) */
};

struct mpd_step {
	enum mpd_act act;		/* what to do now (NONE: a skipped step) */
	bool perform;			/* act for real: false in a dry run */
	enum mempressured_stage stage;		/* the stage after it */
	uint64_t next_at;		/* when the next step is due */
};

/* A new episode: callbacks now, the first step after them and grace_ms. */
struct mpd_step mpd_episode_start(uint64_t now, unsigned int nr_callbacks,
				  uint64_t stagger_ms, const struct mpd_policy *pol, bool root);

/* Whether the step of @stage is due at @now (then read still_over). */
bool mpd_step_due(enum mempressured_stage stage, uint64_t next_at, uint64_t now);

/*
 * The step of @stage at @now: done once no longer over (@still_over
 * false); else reclaim if enabled and available, clamp if enabled (not the
 * root), kill if enabled and a suspect exists, each a grace_ms after the
 * last; a disabled or unavailable step is skipped (MPD_ACT_NONE) but still
 * takes its grace_ms.  DONE stays DONE.
 */
struct mpd_step mpd_step_next(enum mempressured_stage stage, uint64_t next_at, uint64_t now,
			      bool still_over, const struct mpd_policy *pol,
			      const struct mpd_step_env *env);

/*
 * Where the clamp step sets memory.high, which is @high now (UINT64_MAX
 * for "max"): at the soft limit @soft, rounded down to whole pages as the
 * kernel keeps it, but never below @protect (the larger of memory.min and
 * memory.low, rounded up to whole pages), in *@at.  False when @high is
 * there or lower already: a clamp only ever lowers memory.high.
 */
bool mpd_clamp_at(uint64_t high, uint64_t soft, uint64_t protect, uint64_t page_size,
		  uint64_t *at);
/*
 * What the reclaim step may take of @want from a cgroup at @current whose
 * memory.min or memory.low (the larger) is @protect: never below it.
 */
uint64_t mpd_reclaim_bytes(uint64_t want, uint64_t current, uint64_t protect);

/*
 * Which of @n processes to kill: the leak suspect (@leak[i]) growing
 * fastest (@growth[i]), the first of equals; -1 if none is a suspect.
 * Suspects that @helped (whose RSS fell by their last trim's deadline) come after
 * all others: a cache that grows but answers its trims is not the leak to
 * stop while one that ignores them grows beside it.
 */
long mpd_pick_suspect(const bool *leak, const int64_t *growth, const bool *helped,
		      size_t n);

/* Per application: what it was asked, said and did. */
struct mpd_app_stats {
	uint64_t requests, replies, timeouts;
	uint64_t claimed_bytes;		/* what its replies said it freed */
	uint64_t measured_bytes;	/* what its RSS fell by at the deadlines */
	uint64_t cgroup_bytes_measured;	/* what its cgroup's memory.current fell by */
	/*
	 * Replies that said some memory cannot be freed (unmet_bytes > 0:
	 * live memory beyond what the limits leave it).  Replies all the same,
	 * never timeouts: asking that client again will not get it.
	 */
	uint64_t unmet_replies;
};

void mpd_yield_request(struct mpd_app_stats *st);
/* A reply in time: @freed claimed, @unmet said to be beyond reach. */
void mpd_yield_reply(struct mpd_app_stats *st, uint64_t freed, uint64_t unmet);

/* A drop from @before to @after, never negative. */
uint64_t mpd_drop(uint64_t before, uint64_t after);

/*
 * The RSS drop and the cgroup's memory.current drop a deadline after a
 * callback (@cg_known false: a read failed, no drop).  Signal and hook
 * targets, which do not answer, have only this.
 */
void mpd_yield_measured(struct mpd_app_stats *st, uint64_t rss_before, uint64_t rss_after,
			bool cg_known, uint64_t cg_before, uint64_t cg_after);

/* At a trim's deadline: a timeout unless @replied, and the drops. */
void mpd_yield_deadline(struct mpd_app_stats *st, bool replied, uint64_t rss_before,
			uint64_t rss_after, bool cg_known, uint64_t cg_before,
			uint64_t cg_after);

#endif
