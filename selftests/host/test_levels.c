// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for module/levels.c: the rules of docs/signals.md, at and
 * around every threshold, with the module's default tunables.
 */
#include "kselftest_harness.h"

#include "levels.h"

#define MiB	(1024ULL * 1024)
#define SEC	1000000000ULL

#define X_DEFAULT(e, name, min, max, def)	[MEMPRESSURE_TUNABLE_##e] = def,
static const u64 defaults[MEMPRESSURE_TUNABLE_NR] = {
	MEMPRESSURE_TUNABLES(X_DEFAULT)
};

/* 100 MiB limit, no memory.high: L = H = 100 MiB, S = 85 MiB. */
static struct mp_level_input at(u64 usage)
{
	struct mp_level_input in = {
		.usage_bytes = usage, .limit_bytes = 100 * MiB,
		.hard_bytes = 100 * MiB, .soft_bytes = mp_percent_of(100 * MiB, 85),
		.psi_some = MP_PSI_NONE, .psi_full = MP_PSI_NONE,
	};
	return in;
}

static enum mempressure_level raw(struct mp_level_input in,
				  enum mempressure_reason *reason)
{
	enum mempressure_reason r;

	return mp_raw_level(&in, defaults, reason ? reason : &r);
}

TEST(usage_thresholds)
{
	enum mempressure_reason r;

	ASSERT_EQ(MEMPRESSURE_LEVEL_NONE, raw(at(75 * MiB - 1), NULL));
	ASSERT_EQ(MEMPRESSURE_LEVEL_LOW, raw(at(75 * MiB), &r));
	ASSERT_EQ(MEMPRESSURE_REASON_USAGE, r);
	ASSERT_EQ(MEMPRESSURE_LEVEL_LOW, raw(at(mp_percent_of(100 * MiB, 85) - 1), NULL));
	ASSERT_EQ(MEMPRESSURE_LEVEL_MEDIUM, raw(at(mp_percent_of(100 * MiB, 85)), NULL));
	ASSERT_EQ(MEMPRESSURE_LEVEL_MEDIUM, raw(at(95 * MiB - 1), NULL));
	ASSERT_EQ(MEMPRESSURE_LEVEL_CRITICAL, raw(at(95 * MiB), &r));
	ASSERT_EQ(MEMPRESSURE_REASON_USAGE, r);
}

TEST(limits_apply_where_the_table_says)
{
	struct mp_level_input in = at(70 * MiB);

	/* memory.high 80 MiB under a 200 MiB max: low at 75% of high... */
	in.limit_bytes = 80 * MiB;
	in.hard_bytes = 200 * MiB;
	in.soft_bytes = mp_percent_of(in.limit_bytes, 85);
	ASSERT_EQ(MEMPRESSURE_LEVEL_MEDIUM, raw(in, NULL));	/* >= 68 MiB */
	in.usage_bytes = 60 * MiB;
	ASSERT_EQ(MEMPRESSURE_LEVEL_LOW, raw(in, NULL));	/* >= 60 MiB */
	/* ...and critical at 95% of max, not of high. */
	in.usage_bytes = 150 * MiB;
	ASSERT_EQ(MEMPRESSURE_LEVEL_MEDIUM, raw(in, NULL));
	in.usage_bytes = 190 * MiB;
	ASSERT_EQ(MEMPRESSURE_LEVEL_CRITICAL, raw(in, NULL));
}

TEST(events_and_psi)
{
	enum mempressure_reason r;
	struct mp_level_input in = at(0);

	in.new_high = true;
	ASSERT_EQ(MEMPRESSURE_LEVEL_MEDIUM, raw(in, &r));
	ASSERT_EQ(MEMPRESSURE_REASON_HIGH, r);
	in.new_max = true;
	ASSERT_EQ(MEMPRESSURE_LEVEL_CRITICAL, raw(in, &r));
	ASSERT_EQ(MEMPRESSURE_REASON_MAX, r);
	in.new_oom = true;
	ASSERT_EQ(MEMPRESSURE_LEVEL_CRITICAL, raw(in, &r));
	ASSERT_EQ(MEMPRESSURE_REASON_OOM, r);

	in = at(0);
	in.psi_some = 99;
	ASSERT_EQ(MEMPRESSURE_LEVEL_NONE, raw(in, NULL));
	in.psi_some = 100;
	ASSERT_EQ(MEMPRESSURE_LEVEL_LOW, raw(in, &r));
	ASSERT_EQ(MEMPRESSURE_REASON_PSI, r);
	in.psi_some = 1000;
	ASSERT_EQ(MEMPRESSURE_LEVEL_MEDIUM, raw(in, NULL));
	in.psi_full = 999;
	ASSERT_EQ(MEMPRESSURE_LEVEL_MEDIUM, raw(in, NULL));
	in.psi_full = 1000;
	ASSERT_EQ(MEMPRESSURE_LEVEL_CRITICAL, raw(in, &r));
	ASSERT_EQ(MEMPRESSURE_REASON_PSI, r);
}

TEST(rise_at_once_fall_after_calm)
{
	struct mp_level_state st = { 0 };
	u64 calm = 10 * SEC;

	ASSERT_TRUE(mp_level_update(&st, MEMPRESSURE_LEVEL_CRITICAL, 0, calm, true));
	ASSERT_EQ(MEMPRESSURE_LEVEL_CRITICAL, st.level);
	/* Below from 1 s on: nothing until 11 s. */
	ASSERT_FALSE(mp_level_update(&st, MEMPRESSURE_LEVEL_LOW, 1 * SEC, calm, true));
	ASSERT_FALSE(mp_level_update(&st, MEMPRESSURE_LEVEL_NONE, 10 * SEC, calm, true));
	ASSERT_TRUE(mp_level_update(&st, MEMPRESSURE_LEVEL_NONE, 11 * SEC, calm, true));
	ASSERT_EQ(MEMPRESSURE_LEVEL_NONE, st.level);
}

TEST(hovering_does_not_flap)
{
	struct mp_level_state st = { 0 };
	u64 calm = 10 * SEC, t;
	int changes = 0;

	/* The raw level alternates every second for a minute: one rise. */
	for (t = 0; t < 60; t++)
		changes += mp_level_update(&st, t % 2 ? MEMPRESSURE_LEVEL_NONE :
					   MEMPRESSURE_LEVEL_LOW,
					   t * SEC, calm, true);
	ASSERT_EQ(1, changes);
	ASSERT_EQ(MEMPRESSURE_LEVEL_LOW, st.level);
	/* Then calm for the period: it falls once. */
	for (t = 60; t <= 71; t++)
		changes += mp_level_update(&st, MEMPRESSURE_LEVEL_NONE, t * SEC,
					   calm, true);
	ASSERT_EQ(2, changes);
	ASSERT_EQ(MEMPRESSURE_LEVEL_NONE, st.level);
}

TEST(fast_path_never_lowers)
{
	struct mp_level_state st = { .level = MEMPRESSURE_LEVEL_MEDIUM };

	ASSERT_FALSE(mp_level_update(&st, MEMPRESSURE_LEVEL_NONE, 100 * SEC, 0, false));
	ASSERT_EQ(MEMPRESSURE_LEVEL_MEDIUM, st.level);
	ASSERT_TRUE(mp_level_update(&st, MEMPRESSURE_LEVEL_CRITICAL, 101 * SEC, 0, false));
	ASSERT_EQ(MEMPRESSURE_LEVEL_CRITICAL, st.level);
}

TEST(soft_limit_margin)
{
	bool over = false;

	ASSERT_EQ(0, mp_soft_update(&over, 99 * MiB, 100 * MiB, 5));
	ASSERT_EQ(1, mp_soft_update(&over, 100 * MiB, 100 * MiB, 5));
	ASSERT_EQ(0, mp_soft_update(&over, 101 * MiB, 100 * MiB, 5));
	/* Hovering just under the limit stays over... */
	ASSERT_EQ(0, mp_soft_update(&over, 96 * MiB, 100 * MiB, 5));
	ASSERT_EQ(0, mp_soft_update(&over, 95 * MiB, 100 * MiB, 5));
	/* ...until it is below the margin. */
	ASSERT_EQ(-1, mp_soft_update(&over, 95 * MiB - 1, 100 * MiB, 5));
	ASSERT_FALSE(over);
}

TEST(leak_rule)
{
	u64 t[MEMPRESSURE_TUNABLE_NR];
	struct mp_leak_input in = {
		.age_ns = 140 * SEC, .growth_window = 100000, .growth10 = 1,
	};
	bool leak = false;

	memcpy(t, defaults, sizeof(t));	/* 60 s, 16 KiB/s, 4 MiB */
	ASSERT_EQ(1, mp_leak_update(&leak, &in, t));
	ASSERT_TRUE(leak);
	/* A dip that leaves the window's slope above half the rate: kept. */
	in.growth_window = 8192;
	in.growth10 = -500000;
	ASSERT_EQ(0, mp_leak_update(&leak, &in, t));
	/* Growth stopped: cleared. */
	in.growth_window = 8191;
	ASSERT_EQ(-1, mp_leak_update(&leak, &in, t));
	ASSERT_FALSE(leak);

	/* Not suspected: too young, too slow, too little, not growing now. */
	in = (struct mp_leak_input){ .age_ns = 140 * SEC - 1,
				     .growth_window = 100000, .growth10 = 1 };
	ASSERT_EQ(0, mp_leak_update(&leak, &in, t));
	in.age_ns = 140 * SEC;
	in.growth_window = 16383;
	ASSERT_EQ(0, mp_leak_update(&leak, &in, t));
	in.growth_window = 16384;	/* 960 KiB over 60 s < 4 MiB */
	ASSERT_EQ(0, mp_leak_update(&leak, &in, t));
	in.growth_window = 4194304 / 60 + 1;
	in.growth10 = 0;
	ASSERT_EQ(0, mp_leak_update(&leak, &in, t));
	in.growth10 = 1;
	ASSERT_EQ(1, mp_leak_update(&leak, &in, t));
}

TEST(time_to_limit)
{
	u64 s;

	ASSERT_TRUE(mp_time_to_limit(50 * MiB, 100 * MiB, 1 * MiB, &s));
	ASSERT_EQ(50, s);
	ASSERT_TRUE(mp_time_to_limit(100 * MiB, 100 * MiB, 1, &s));
	ASSERT_EQ(0, s);
	/* Over the limit but not growing: no estimate, not "now". */
	ASSERT_FALSE(mp_time_to_limit(120 * MiB, 100 * MiB, 0, &s));
	ASSERT_FALSE(mp_time_to_limit(50 * MiB, 100 * MiB, 0, &s));
	ASSERT_FALSE(mp_time_to_limit(50 * MiB, 100 * MiB, -5, &s));
}

TEST(percent_of_large_limits)
{
	ASSERT_EQ(85ULL << 40, mp_percent_of(100ULL << 40, 85));
	/* Exact, without overflow, for the largest limit a cgroup has. */
	ASSERT_EQ((u64)((unsigned __int128)0x7fffffffffffffffULL * 95 / 100),
		  mp_percent_of(0x7fffffffffffffffULL, 95));
	ASSERT_EQ(95, mp_percent_of(100, 95));
	ASSERT_EQ(0, mp_percent_of(1, 50));
}

TEST_HARNESS_MAIN
