// SPDX-License-Identifier: GPL-2.0
/* mempressured's policy decisions: see mpd_policy.h.  No syscalls. */
#include "mpd_policy.h"

uint64_t mpd_page_round(uint64_t bytes, uint64_t page_size)
{
	uint64_t pages = bytes / page_size + (bytes % page_size != 0);

	return (pages ? pages : 1) * page_size;
}

uint64_t mpd_excess_bytes(uint64_t usage, uint64_t soft, uint64_t margin_pct)
{
	uint64_t target;

	if (margin_pct > 100)
		margin_pct = 100;
	target = soft / 100 * (100 - margin_pct);
	return usage > target ? usage - target : 0;
}

uint64_t mpd_want_share(uint64_t want, uint64_t rss, uint64_t total_rss, size_t n,
			uint64_t page_size)
{
	uint64_t share;

	if (total_rss)
		share = (uint64_t)((double)want * rss / total_rss);
	else
		share = n ? want / n : want;
	return mpd_page_round(share, page_size);
}

void mpd_order_targets(const uint64_t *yield, size_t n, size_t *order)
{
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	/* Insertion sort: stable, and n is small. */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && yield[order[j - 1]] < yield[order[j]]; j--) {
			size_t t = order[j];

			order[j] = order[j - 1];
			order[j - 1] = t;
		}
}

bool mpd_trim_when(const struct mpd_pending_trim *p, size_t n, int reason, uint64_t now,
		   uint64_t *at)
{
	*at = now;
	for (size_t i = 0; i < n; i++) {
		if (p[i].sent && p[i].replied)
			continue;
		if (!p[i].sent || p[i].reason == reason)
			return false;
		if (p[i].deadline > *at)
			*at = p[i].deadline;
	}
	return true;
}

struct mpd_step mpd_episode_start(uint64_t now, unsigned int nr_callbacks,
				  uint64_t stagger_ms, const struct mpd_policy *pol, bool root)
{
	struct mpd_step s = {
		.act = MPD_ACT_NONE,
		/* The system: callbacks only. */
		.stage = root ? MEMPRESSURED_STAGE_DONE : MEMPRESSURED_STAGE_CALLBACKS,
		.next_at = now + nr_callbacks * stagger_ms + pol->grace_ms,
	};

	return s;
}

bool mpd_step_due(enum mempressured_stage stage, uint64_t next_at, uint64_t now)
{
	return stage != MEMPRESSURED_STAGE_DONE && now >= next_at;
}

struct mpd_step mpd_step_next(enum mempressured_stage stage, uint64_t next_at, uint64_t now,
			      bool still_over, const struct mpd_policy *pol,
			      const struct mpd_step_env *env)
{
	struct mpd_step s = { .act = MPD_ACT_NONE, .stage = stage, .next_at = next_at };

	if (!mpd_step_due(stage, next_at, now))
		return s;
	if (!still_over) {
		s.stage = MEMPRESSURED_STAGE_DONE;
		return s;
	}
	switch (stage) {
	case MEMPRESSURED_STAGE_CALLBACKS:
		if (pol->reclaim && env->reclaim_available)
			s.act = MPD_ACT_RECLAIM;
		s.stage = MEMPRESSURED_STAGE_RECLAIMED;
		break;
	case MEMPRESSURED_STAGE_RECLAIMED:
		if (pol->clamp && !env->root)
			s.act = MPD_ACT_CLAMP;
		s.stage = MEMPRESSURED_STAGE_CLAMPED;
		break;
	default:
		if (pol->kill && env->has_suspect)
			s.act = MPD_ACT_KILL;
		s.stage = MEMPRESSURED_STAGE_DONE;
		break;
	}
	s.perform = s.act != MPD_ACT_NONE && !env->dry_run;
	s.next_at = now + pol->grace_ms;
	return s;
}

bool mpd_clamp_at(uint64_t high, uint64_t soft, uint64_t protect, uint64_t page_size,
		  uint64_t *at)
{
	uint64_t floor = protect / page_size * page_size;

	if (floor < protect)
		floor = floor + page_size < floor ? UINT64_MAX : floor + page_size;
	*at = soft / page_size * page_size;
	if (*at < floor)
		*at = floor;
	return high > *at;
}

uint64_t mpd_reclaim_bytes(uint64_t want, uint64_t current, uint64_t protect)
{
	uint64_t above = mpd_drop(current, protect);

	return want < above ? want : above;
}

long mpd_pick_suspect(const bool *leak, const int64_t *growth, const bool *helped,
		      size_t n)
{
	long best = -1;

	for (size_t i = 0; i < n; i++) {
		if (!leak[i])
			continue;
		if (best < 0 || helped[best] > helped[i] ||
		    (helped[best] == helped[i] && growth[i] > growth[best]))
			best = (long)i;
	}
	return best;
}

void mpd_yield_request(struct mpd_app_stats *st)
{
	st->requests++;
}

void mpd_yield_reply(struct mpd_app_stats *st, uint64_t freed, uint64_t unmet)
{
	st->replies++;
	st->claimed_bytes += freed;
	st->unmet_replies += unmet > 0;
}

uint64_t mpd_drop(uint64_t before, uint64_t after)
{
	return before > after ? before - after : 0;
}

void mpd_yield_measured(struct mpd_app_stats *st, uint64_t rss_before, uint64_t rss_after,
			bool cg_known, uint64_t cg_before, uint64_t cg_after)
{
	st->measured_bytes += mpd_drop(rss_before, rss_after);
	if (cg_known)
		st->cgroup_bytes_measured += mpd_drop(cg_before, cg_after);
}

void mpd_yield_deadline(struct mpd_app_stats *st, bool replied, uint64_t rss_before,
			uint64_t rss_after, bool cg_known, uint64_t cg_before,
			uint64_t cg_after)
{
	if (!replied)
		st->timeouts++;
	mpd_yield_measured(st, rss_before, rss_after, cg_known, cg_before, cg_after);
}
