// SPDX-License-Identifier: GPL-2.0
/* Host unit tests for mempressured's policy decisions (userspace/daemon/mpd_policy.c). */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <linux/mempressure.h>

#include "kselftest_harness.h"

#include "mp_proto.h"
#include "mpd_policy.h"

#define PAGE	4096ULL

static struct mpd_policy pol(bool reclaim, bool clamp, bool kill)
{
	struct mpd_policy p = {
		.grace_ms = 1000, .reclaim = reclaim, .clamp = clamp, .clamp_ms = 5000,
		.kill = kill,
	};

	return p;
}

TEST(page_round)
{
	ASSERT_EQ(PAGE, mpd_page_round(0, PAGE));
	ASSERT_EQ(PAGE, mpd_page_round(1, PAGE));
	ASSERT_EQ(PAGE, mpd_page_round(PAGE - 1, PAGE));
	ASSERT_EQ(PAGE, mpd_page_round(PAGE, PAGE));
	ASSERT_EQ(2 * PAGE, mpd_page_round(PAGE + 1, PAGE));
	ASSERT_EQ(5 * PAGE, mpd_page_round(5 * PAGE, PAGE));
	ASSERT_EQ(6 * PAGE, mpd_page_round(5 * PAGE + PAGE / 2, PAGE));
}

TEST(excess_over_soft_minus_margin)
{
	/* soft 100 MiB, margin 5%: the target is 95 MiB. */
	const uint64_t mib = 1 << 20, soft = 100 * mib, target = soft / 100 * 95;

	ASSERT_EQ(0, mpd_excess_bytes(target, soft, 5));
	ASSERT_EQ(1, mpd_excess_bytes(target + 1, soft, 5));
	ASSERT_EQ(soft + mib - target, mpd_excess_bytes(soft + mib, soft, 5));
	ASSERT_EQ(0, mpd_excess_bytes(0, soft, 5));
	/* No margin: the soft limit itself. */
	ASSERT_EQ(mib, mpd_excess_bytes(soft + mib, soft, 0));
	/* soft / 100 first, as the daemon always did: 199 / 100 * 95 = 95. */
	ASSERT_EQ(5, mpd_excess_bytes(100, 199, 5));
	/* A margin past 100% is no target at all, not a wrap-around. */
	ASSERT_EQ(7, mpd_excess_bytes(7, soft, 200));
}

TEST(want_shared_by_rss)
{
	const uint64_t want = 100 * PAGE;

	/* 1:3 RSS: a quarter and three quarters. */
	ASSERT_EQ(25 * PAGE, mpd_want_share(want, 1000, 4000, 2, PAGE));
	ASSERT_EQ(75 * PAGE, mpd_want_share(want, 3000, 4000, 2, PAGE));
	/* All the RSS: all of it. */
	ASSERT_EQ(want, mpd_want_share(want, 5, 5, 1, PAGE));
	/*
	 * Whole bytes, then whole pages rounded up: a third of 6 pages + 2
	 * bytes is 2 pages (the fraction of a byte goes), two thirds 5 pages.
	 */
	ASSERT_EQ(2 * PAGE, mpd_want_share(6 * PAGE + 2, 1, 3, 3, PAGE));
	ASSERT_EQ(5 * PAGE, mpd_want_share(6 * PAGE + 2, 2, 3, 3, PAGE));
	/* No RSS known: evenly. */
	ASSERT_EQ(want / 4, mpd_want_share(want, 0, 0, 4, PAGE));
	ASSERT_EQ(PAGE, mpd_want_share(3 * PAGE, 0, 0, 3, PAGE));
}

TEST(want_at_least_one_page_each)
{
	/* A tiny process's share, and a zero want, are still a page. */
	ASSERT_EQ(PAGE, mpd_want_share(100 * PAGE, 1, 1000000, 2, PAGE));
	ASSERT_EQ(PAGE, mpd_want_share(0, 500, 1000, 2, PAGE));
	ASSERT_EQ(PAGE, mpd_want_share(0, 0, 0, 3, PAGE));
	ASSERT_EQ(PAGE, mpd_want_share(PAGE, 0, 0, 10, PAGE));
	/* The shares add up to at least want, every target a page or more. */
	{
		const uint64_t rss[] = { 1, 10, 100000, 7 }, total = 1 + 10 + 100000 + 7;
		uint64_t sum = 0;

		for (size_t i = 0; i < 4; i++) {
			uint64_t s = mpd_want_share(64 * PAGE, rss[i], total, 4, PAGE);

			ASSERT_GE(s, PAGE);
			ASSERT_EQ(0, s % PAGE);
			sum += s;
		}
		ASSERT_GE(sum, 64 * PAGE);
	}
}

TEST(order_by_yield)
{
	const uint64_t yield[] = { 10, 0, 500, 20 };
	size_t order[4];

	mpd_order_targets(yield, 4, order);
	ASSERT_EQ(2, order[0]);
	ASSERT_EQ(3, order[1]);
	ASSERT_EQ(0, order[2]);
	ASSERT_EQ(1, order[3]);		/* did not help: last */
}

TEST(order_ties_keep_given_order)
{
	const uint64_t yield[] = { 0, 7, 0, 7, 0 };
	size_t order[5];

	mpd_order_targets(yield, 5, order);
	ASSERT_EQ(1, order[0]);
	ASSERT_EQ(3, order[1]);
	ASSERT_EQ(0, order[2]);
	ASSERT_EQ(2, order[3]);
	ASSERT_EQ(4, order[4]);
	/* All equal: unchanged; none and one: fine. */
	{
		const uint64_t same[] = { 3, 3, 3 };
		size_t o[3];

		mpd_order_targets(same, 3, o);
		ASSERT_EQ(0, o[0]);
		ASSERT_EQ(1, o[1]);
		ASSERT_EQ(2, o[2]);
		mpd_order_targets(same, 1, o);
		ASSERT_EQ(0, o[0]);
		mpd_order_targets(NULL, 0, NULL);
	}
}

/* A subscriber with nothing in flight is asked at once. */
TEST(trim_when_nothing_pending)
{
	uint64_t at = 0;

	ASSERT_TRUE(mpd_trim_when(NULL, 0, MEMPRESSURED_TRIM_SOFT, 1000, &at));
	ASSERT_EQ(1000, at);
}

/*
 * An answered trim waits only for its measurement: a new round asks at
 * once, whatever its reason, the same one included.
 */
TEST(trim_when_answered_asks_now)
{
	const struct mpd_pending_trim answered = {
		.sent = true, .replied = true, .reason = MEMPRESSURED_TRIM_LEAK, .deadline = 5000,
	};
	const struct mpd_pending_trim again = {
		.sent = true, .replied = true, .reason = MEMPRESSURED_TRIM_SOFT, .deadline = 5000,
	};
	uint64_t at = 0;

	ASSERT_TRUE(mpd_trim_when(&answered, 1, MEMPRESSURED_TRIM_SOFT, 1000, &at));
	ASSERT_EQ(1000, at);
	at = 0;
	ASSERT_TRUE(mpd_trim_when(&again, 1, MEMPRESSURED_TRIM_SOFT, 1000, &at));
	ASSERT_EQ(1000, at);
}

/* Scheduled, not sent: the same pressure, whatever the reason; not again. */
TEST(trim_when_scheduled_not_again)
{
	const struct mpd_pending_trim level = { .reason = MEMPRESSURED_TRIM_LEVEL };
	uint64_t at;

	ASSERT_FALSE(mpd_trim_when(&level, 1, MEMPRESSURED_TRIM_SOFT, 1000, &at));
	ASSERT_FALSE(mpd_trim_when(&level, 1, MEMPRESSURED_TRIM_LEVEL, 1000, &at));
}

/* Sent, unanswered, same reason: it is being asked for that already. */
TEST(trim_when_unanswered_same_reason_not_again)
{
	const struct mpd_pending_trim sent = {
		.sent = true, .reason = MEMPRESSURED_TRIM_SOFT, .deadline = 5000,
	};
	uint64_t at;

	ASSERT_FALSE(mpd_trim_when(&sent, 1, MEMPRESSURED_TRIM_SOFT, 1000, &at));
}

/* Sent, unanswered, another reason: asked at that trim's deadline. */
TEST(trim_when_unanswered_other_reason_at_its_deadline)
{
	const struct mpd_pending_trim sent = {
		.sent = true, .reason = MEMPRESSURED_TRIM_LEAK, .deadline = 5000,
	};
	/* Past its deadline but not measured yet: now. */
	const struct mpd_pending_trim late = {
		.sent = true, .reason = MEMPRESSURED_TRIM_LEAK, .deadline = 900,
	};
	uint64_t at = 0;

	ASSERT_TRUE(mpd_trim_when(&sent, 1, MEMPRESSURED_TRIM_SOFT, 1000, &at));
	ASSERT_EQ(5000, at);
	ASSERT_TRUE(mpd_trim_when(&late, 1, MEMPRESSURED_TRIM_SOFT, 1000, &at));
	ASSERT_EQ(1000, at);
}

/*
 * Several in flight: answered ones do not count; the latest unanswered
 * deadline of another reason; any unanswered of the round's reason, or any
 * scheduled, holds it back.
 */
TEST(trim_when_several_pending)
{
	const struct mpd_pending_trim p[] = {
		{ .sent = true, .replied = true, .reason = MEMPRESSURED_TRIM_SOFT, .deadline = 9000 },
		{ .sent = true, .reason = MEMPRESSURED_TRIM_LEAK, .deadline = 3000 },
		{ .sent = true, .reason = MEMPRESSURED_TRIM_LEVEL, .deadline = 4000 },
		{ .reason = MEMPRESSURED_TRIM_SOFT },
	};
	uint64_t at = 0;

	ASSERT_TRUE(mpd_trim_when(p, 3, MEMPRESSURED_TRIM_SOFT, 1000, &at));
	ASSERT_EQ(4000, at);
	ASSERT_FALSE(mpd_trim_when(p, 3, MEMPRESSURED_TRIM_LEAK, 1000, &at));
	ASSERT_FALSE(mpd_trim_when(p, 3, MEMPRESSURED_TRIM_LEVEL, 1000, &at));
	ASSERT_FALSE(mpd_trim_when(p, 4, MEMPRESSURED_TRIM_SOFT, 1000, &at));
}

TEST(episode_start)
{
	struct mpd_policy p = pol(true, true, true);
	struct mpd_step s = mpd_episode_start(10000, 3, 100, &p, false);

	ASSERT_EQ(MEMPRESSURED_STAGE_CALLBACKS, s.stage);
	ASSERT_EQ(10000 + 3 * 100 + 1000, s.next_at);	/* after the callbacks, then grace */
	ASSERT_EQ(MPD_ACT_NONE, s.act);
	s = mpd_episode_start(10000, 0, 100, &p, false);
	ASSERT_EQ(11000, s.next_at);
	/* The root: callbacks only. */
	s = mpd_episode_start(10000, 3, 100, &p, true);
	ASSERT_EQ(MEMPRESSURED_STAGE_DONE, s.stage);
	ASSERT_STREQ("callbacks", mp_stage_names[MEMPRESSURED_STAGE_CALLBACKS]);
	ASSERT_STREQ("reclaimed", mp_stage_names[MEMPRESSURED_STAGE_RECLAIMED]);
	ASSERT_STREQ("clamped", mp_stage_names[MEMPRESSURED_STAGE_CLAMPED]);
	ASSERT_STREQ("done", mp_stage_names[MEMPRESSURED_STAGE_DONE]);
}

TEST(step_not_due_changes_nothing)
{
	struct mpd_policy p = pol(true, true, true);
	struct mpd_step_env env = { .reclaim_available = true, .has_suspect = true };
	struct mpd_step s = mpd_step_next(MEMPRESSURED_STAGE_CALLBACKS, 5000, 4999, true, &p, &env);

	ASSERT_FALSE(mpd_step_due(MEMPRESSURED_STAGE_CALLBACKS, 5000, 4999));
	ASSERT_TRUE(mpd_step_due(MEMPRESSURED_STAGE_CALLBACKS, 5000, 5000));
	ASSERT_FALSE(mpd_step_due(MEMPRESSURED_STAGE_DONE, 0, 100000));
	ASSERT_EQ(MPD_ACT_NONE, s.act);
	ASSERT_FALSE(s.perform);
	ASSERT_EQ(MEMPRESSURED_STAGE_CALLBACKS, s.stage);
	ASSERT_EQ(5000, s.next_at);
	/* Done stays done. */
	s = mpd_step_next(MEMPRESSURED_STAGE_DONE, 0, 100000, true, &p, &env);
	ASSERT_EQ(MPD_ACT_NONE, s.act);
	ASSERT_EQ(MEMPRESSURED_STAGE_DONE, s.stage);
}

TEST(step_full_escalation)
{
	struct mpd_policy p = pol(true, true, true);
	struct mpd_step_env env = { .reclaim_available = true, .has_suspect = true };
	struct mpd_step s = mpd_episode_start(0, 2, 50, &p, false);

	ASSERT_EQ(1100, s.next_at);
	s = mpd_step_next(s.stage, s.next_at, 1100, true, &p, &env);
	ASSERT_EQ(MPD_ACT_RECLAIM, s.act);
	ASSERT_TRUE(s.perform);
	ASSERT_EQ(MEMPRESSURED_STAGE_RECLAIMED, s.stage);
	ASSERT_EQ(2100, s.next_at);
	s = mpd_step_next(s.stage, s.next_at, 2150, true, &p, &env);	/* late tick */
	ASSERT_EQ(MPD_ACT_CLAMP, s.act);
	ASSERT_TRUE(s.perform);
	ASSERT_EQ(MEMPRESSURED_STAGE_CLAMPED, s.stage);
	ASSERT_EQ(3150, s.next_at);	/* grace from when it ran */
	s = mpd_step_next(s.stage, s.next_at, 3150, true, &p, &env);
	ASSERT_EQ(MPD_ACT_KILL, s.act);
	ASSERT_TRUE(s.perform);
	ASSERT_EQ(MEMPRESSURED_STAGE_DONE, s.stage);
	ASSERT_EQ(4150, s.next_at);
}

TEST(step_back_under_ends_it)
{
	struct mpd_policy p = pol(true, true, true);
	struct mpd_step_env env = { .reclaim_available = true, .has_suspect = true };
	enum mempressured_stage st[] = { MEMPRESSURED_STAGE_CALLBACKS, MEMPRESSURED_STAGE_RECLAIMED, MEMPRESSURED_STAGE_CLAMPED };

	for (size_t i = 0; i < 3; i++) {
		struct mpd_step s = mpd_step_next(st[i], 1000, 1000, false, &p, &env);

		ASSERT_EQ(MPD_ACT_NONE, s.act);
		ASSERT_FALSE(s.perform);
		ASSERT_EQ(MEMPRESSURED_STAGE_DONE, s.stage);
		ASSERT_EQ(1000, s.next_at);
	}
}

TEST(step_reclaim_disabled_or_unavailable)
{
	struct mpd_policy off = pol(false, true, true), on = pol(true, true, true);
	struct mpd_step_env env = { .reclaim_available = true, .has_suspect = true };
	struct mpd_step s = mpd_step_next(MEMPRESSURED_STAGE_CALLBACKS, 1000, 1000, true, &off, &env);

	/* Skipped, but the clamp still waits its grace period. */
	ASSERT_EQ(MPD_ACT_NONE, s.act);
	ASSERT_FALSE(s.perform);
	ASSERT_EQ(MEMPRESSURED_STAGE_RECLAIMED, s.stage);
	ASSERT_EQ(2000, s.next_at);
	env.reclaim_available = false;	/* no memory.reclaim */
	s = mpd_step_next(MEMPRESSURED_STAGE_CALLBACKS, 1000, 1000, true, &on, &env);
	ASSERT_EQ(MPD_ACT_NONE, s.act);
	ASSERT_EQ(MEMPRESSURED_STAGE_RECLAIMED, s.stage);
	ASSERT_EQ(2000, s.next_at);
	s = mpd_step_next(s.stage, s.next_at, 2000, true, &on, &env);
	ASSERT_EQ(MPD_ACT_CLAMP, s.act);
}

TEST(step_clamp_disabled_or_root)
{
	struct mpd_policy off = pol(true, false, true), on = pol(true, true, true);
	struct mpd_step_env env = { .reclaim_available = true, .has_suspect = true };
	struct mpd_step s = mpd_step_next(MEMPRESSURED_STAGE_RECLAIMED, 1000, 1000, true, &off, &env);

	ASSERT_EQ(MPD_ACT_NONE, s.act);
	ASSERT_EQ(MEMPRESSURED_STAGE_CLAMPED, s.stage);
	ASSERT_EQ(2000, s.next_at);
	s = mpd_step_next(s.stage, s.next_at, 2000, true, &off, &env);
	ASSERT_EQ(MPD_ACT_KILL, s.act);
	env.root = true;
	s = mpd_step_next(MEMPRESSURED_STAGE_RECLAIMED, 1000, 1000, true, &on, &env);
	ASSERT_EQ(MPD_ACT_NONE, s.act);
	ASSERT_EQ(MEMPRESSURED_STAGE_CLAMPED, s.stage);
}

TEST(step_kill_disabled_or_no_suspect)
{
	struct mpd_policy off = pol(true, true, false), on = pol(true, true, true);
	struct mpd_step_env env = { .reclaim_available = true, .has_suspect = true };
	struct mpd_step s = mpd_step_next(MEMPRESSURED_STAGE_CLAMPED, 1000, 1000, true, &off, &env);

	ASSERT_EQ(MPD_ACT_NONE, s.act);
	ASSERT_FALSE(s.perform);
	ASSERT_EQ(MEMPRESSURED_STAGE_DONE, s.stage);
	/* No kill without a suspect, even with kill = yes. */
	env.has_suspect = false;
	s = mpd_step_next(MEMPRESSURED_STAGE_CLAMPED, 1000, 1000, true, &on, &env);
	ASSERT_EQ(MPD_ACT_NONE, s.act);
	ASSERT_FALSE(s.perform);
	ASSERT_EQ(MEMPRESSURED_STAGE_DONE, s.stage);
}

TEST(step_all_disabled)
{
	struct mpd_policy p = pol(false, false, false);
	struct mpd_step_env env = { .reclaim_available = true, .has_suspect = true };
	struct mpd_step s = mpd_episode_start(0, 0, 0, &p, false);
	enum mempressured_stage want[] = { MEMPRESSURED_STAGE_RECLAIMED, MEMPRESSURED_STAGE_CLAMPED, MEMPRESSURED_STAGE_DONE };

	for (size_t i = 0; i < 3; i++) {
		s = mpd_step_next(s.stage, s.next_at, s.next_at, true, &p, &env);
		ASSERT_EQ(MPD_ACT_NONE, s.act);
		ASSERT_FALSE(s.perform);
		ASSERT_EQ(want[i], s.stage);
	}
	ASSERT_EQ(4000, s.next_at);
}

TEST(step_dry_run_same_decisions)
{
	struct mpd_policy p = pol(true, true, true);
	struct mpd_step_env live = { .reclaim_available = true, .has_suspect = true };
	struct mpd_step_env dry = live;
	struct mpd_step a = mpd_episode_start(0, 1, 10, &p, false), b = a;

	dry.dry_run = true;
	for (int i = 0; i < 3; i++) {
		a = mpd_step_next(a.stage, a.next_at, a.next_at, true, &p, &live);
		b = mpd_step_next(b.stage, b.next_at, b.next_at, true, &p, &dry);
		ASSERT_NE(MPD_ACT_NONE, a.act);
		ASSERT_EQ(a.act, b.act);
		ASSERT_EQ(a.stage, b.stage);
		ASSERT_EQ(a.next_at, b.next_at);
		ASSERT_TRUE(a.perform);
		ASSERT_FALSE(b.perform);	/* the caller only says what it would do */
	}
	ASSERT_EQ(MEMPRESSURED_STAGE_DONE, b.stage);
}

/* The clamp lowers memory.high to the soft limit, in pages; never raises it. */
TEST(clamp_only_lowers)
{
	uint64_t at = 0;

	/* "max", or above the soft limit: clamped at it. */
	ASSERT_TRUE(mpd_clamp_at(UINT64_MAX, 80 * PAGE, 0, PAGE, &at));
	ASSERT_EQ(80 * PAGE, at);
	ASSERT_TRUE(mpd_clamp_at(81 * PAGE, 80 * PAGE, 0, PAGE, &at));
	ASSERT_EQ(80 * PAGE, at);
	/* A soft limit within a page: rounded down, as the kernel keeps it. */
	ASSERT_TRUE(mpd_clamp_at(UINT64_MAX, 80 * PAGE + 100, 0, PAGE, &at));
	ASSERT_EQ(80 * PAGE, at);
	/* Already there, or lower: nothing to do. */
	ASSERT_FALSE(mpd_clamp_at(80 * PAGE, 80 * PAGE, 0, PAGE, &at));
	ASSERT_FALSE(mpd_clamp_at(10 * PAGE, 80 * PAGE, 0, PAGE, &at));
	ASSERT_FALSE(mpd_clamp_at(0, 80 * PAGE, 0, PAGE, &at));
	/* Never below memory.min or memory.low: at it, in whole pages up. */
	ASSERT_TRUE(mpd_clamp_at(UINT64_MAX, 80 * PAGE, 90 * PAGE + 1, PAGE, &at));
	ASSERT_EQ(91 * PAGE, at);
	ASSERT_FALSE(mpd_clamp_at(90 * PAGE, 80 * PAGE, 90 * PAGE, PAGE, &at));
	ASSERT_FALSE(mpd_clamp_at(UINT64_MAX, 80 * PAGE, UINT64_MAX, PAGE, &at));
}

/* Reclaim takes what is asked, but never what memory.min or memory.low protect. */
TEST(reclaim_spares_the_protected)
{
	ASSERT_EQ(10 * PAGE, mpd_reclaim_bytes(10 * PAGE, 100 * PAGE, 0));
	ASSERT_EQ(10 * PAGE, mpd_reclaim_bytes(10 * PAGE, 100 * PAGE, 90 * PAGE));
	ASSERT_EQ(4 * PAGE, mpd_reclaim_bytes(10 * PAGE, 100 * PAGE, 96 * PAGE));
	ASSERT_EQ(0, mpd_reclaim_bytes(10 * PAGE, 100 * PAGE, 100 * PAGE));
	ASSERT_EQ(0, mpd_reclaim_bytes(10 * PAGE, 100 * PAGE, UINT64_MAX));
}

TEST(pick_suspect)
{
	const bool leak[] = { false, true, true, false, true };
	const int64_t growth[] = { 1000000, 10, 300, 999999, 300 };
	const bool none[] = { false, false };
	const int64_t g2[] = { 5, 6 };
	const bool neg[] = { true, true };
	const int64_t gneg[] = { -50, -10 };
	const bool nobody[] = { false, false, false, false, false };
	const bool cache[] = { false, false, true, false, false };
	const bool all[] = { true, true, true, true, true };

	/* fastest; first of equals */
	ASSERT_EQ(2, mpd_pick_suspect(leak, growth, nobody, 5));
	/* no suspect: no victim */
	ASSERT_EQ(-1, mpd_pick_suspect(none, g2, nobody, 2));
	ASSERT_EQ(-1, mpd_pick_suspect(NULL, NULL, NULL, 0));
	ASSERT_EQ(1, mpd_pick_suspect(neg, gneg, nobody, 2));
	/* One that answered its trims comes after one that did not, however fast. */
	ASSERT_EQ(4, mpd_pick_suspect(leak, growth, cache, 5));
	/* If every suspect helped, still the fastest. */
	ASSERT_EQ(2, mpd_pick_suspect(leak, growth, all, 5));
	/* Helping does not make a non-suspect one. */
	ASSERT_EQ(-1, mpd_pick_suspect(none, g2, all, 2));
}

TEST(yield_bookkeeping)
{
	struct mpd_app_stats st;

	memset(&st, 0, sizeof(st));
	mpd_yield_request(&st);
	mpd_yield_reply(&st, 4096, 0);
	mpd_yield_deadline(&st, true, 10000, 6000, true, 50000, 42000);
	ASSERT_EQ(1, st.requests);
	ASSERT_EQ(1, st.replies);
	ASSERT_EQ(0, st.timeouts);
	ASSERT_EQ(0, st.unmet_replies);
	ASSERT_EQ(4096, st.claimed_bytes);
	ASSERT_EQ(4000, st.measured_bytes);
	ASSERT_EQ(8000, st.cgroup_bytes_measured);

	/* No reply by the deadline: a timeout, claims nothing, drops still count. */
	mpd_yield_request(&st);
	mpd_yield_deadline(&st, false, 6000, 5000, true, 42000, 40000);
	ASSERT_EQ(2, st.requests);
	ASSERT_EQ(1, st.replies);
	ASSERT_EQ(1, st.timeouts);
	ASSERT_EQ(4096, st.claimed_bytes);
	ASSERT_EQ(5000, st.measured_bytes);
	ASSERT_EQ(10000, st.cgroup_bytes_measured);

	/* It answers that what it holds live cannot go: a reply, not a timeout. */
	mpd_yield_request(&st);
	mpd_yield_reply(&st, 0, 1 << 20);
	mpd_yield_deadline(&st, true, 5000, 5000, true, 40000, 40000);
	ASSERT_EQ(3, st.requests);
	ASSERT_EQ(2, st.replies);
	ASSERT_EQ(1, st.timeouts);
	ASSERT_EQ(1, st.unmet_replies);
	ASSERT_EQ(4096, st.claimed_bytes);
}

/* A signal or hook target: requests and drops, never a reply or a timeout. */
TEST(yield_of_a_target_without_replies)
{
	struct mpd_app_stats st;

	memset(&st, 0, sizeof(st));
	mpd_yield_request(&st);
	mpd_yield_measured(&st, 10000, 4000, true, 50000, 30000);
	ASSERT_EQ(1, st.requests);
	ASSERT_EQ(0, st.replies);
	ASSERT_EQ(0, st.timeouts);
	ASSERT_EQ(0, st.claimed_bytes);
	ASSERT_EQ(6000, st.measured_bytes);
	ASSERT_EQ(20000, st.cgroup_bytes_measured);
}

TEST(yield_negative_drops_are_zero)
{
	struct mpd_app_stats st;

	memset(&st, 0, sizeof(st));
	ASSERT_EQ(0, mpd_drop(100, 200));
	ASSERT_EQ(0, mpd_drop(100, 100));
	ASSERT_EQ(1, mpd_drop(101, 100));
	ASSERT_EQ(0, mpd_drop(0, UINT64_MAX));
	/* Both grew: nothing measured, no wrap-around. */
	mpd_yield_deadline(&st, true, 1000, 9000, true, 1000, 900000);
	ASSERT_EQ(0, st.measured_bytes);
	ASSERT_EQ(0, st.cgroup_bytes_measured);
	/* memory.current unread: no cgroup drop, even one that looks huge. */
	mpd_yield_deadline(&st, true, 1000, 1000, false, 1000000, 0);
	ASSERT_EQ(0, st.cgroup_bytes_measured);
	/* A grown RSS with a fallen cgroup: each on its own. */
	mpd_yield_deadline(&st, true, 1000, 2000, true, 5000, 3000);
	ASSERT_EQ(0, st.measured_bytes);
	ASSERT_EQ(2000, st.cgroup_bytes_measured);
	ASSERT_EQ(0, st.timeouts);
}

TEST_HARNESS_MAIN
