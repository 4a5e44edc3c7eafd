// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for module/window.c, the growth-rate windows: the same
 * source the module runs, built for userspace; and the leak windows the
 * control grammar takes.
 */
#include <errno.h>

#include "kselftest_harness.h"

#include "control_parse.h"
#include "window.h"

#define SEC	1000000000ULL
#define PAGE	4096

/* Drive one object through samples every @step_ns, value = f(t). */
struct sim {
	struct mp_clock clock;
	struct mp_ring ring[MP_NR_WINDOWS];
	u64 since_ns;
	bool seen;
};

static void sim_sample(struct sim *s, u64 now, u32 value)
{
	int w;

	mp_clock_advance(&s->clock, now);
	for (w = 0; w < MP_NR_WINDOWS; w++) {
		if (!s->seen)
			mp_ring_init(&s->ring[w], value);
		else
			mp_ring_record(&s->ring[w], &s->clock, w, value);
	}
	if (!s->seen) {
		s->since_ns = now;
		s->seen = true;
	}
}

static s64 sim_rate(struct sim *s, enum mp_window w, u32 value, u64 *span)
{
	s64 delta = mp_ring_level_delta(&s->ring[w], &s->clock, w, value,
					s->since_ns, span);

	return mp_per_sec(delta * PAGE, *span);
}

TEST(steady_growth_is_exact_after_one_window)
{
	struct sim s = { 0 };
	u64 t, span;
	u32 v = 0;

	mp_clock_init(&s.clock);
	/* 256 pages (1 MiB) per second, sampled every second for 400 s. */
	for (t = 0; t <= 400 * SEC; t += SEC) {
		v = 1000 + (u32)(t / SEC) * 256;
		sim_sample(&s, t, v);
	}
	/* Each window spans between W and W + one checkpoint period. */
	ASSERT_EQ(1024 * 1024, sim_rate(&s, MP_WIN_10S, v, &span));
	ASSERT_GE(span, 10 * SEC);
	ASSERT_LE(span, 10 * SEC + mp_checkpoint_period_ns(MP_WIN_10S));
	ASSERT_EQ(1024 * 1024, sim_rate(&s, MP_WIN_60S, v, &span));
	ASSERT_GE(span, 60 * SEC);
	ASSERT_LE(span, 60 * SEC + mp_checkpoint_period_ns(MP_WIN_60S));
	ASSERT_EQ(1024 * 1024, sim_rate(&s, MP_WIN_300S, v, &span));
	ASSERT_GE(span, 300 * SEC);
	ASSERT_LE(span, 300 * SEC + mp_checkpoint_period_ns(MP_WIN_300S));
}

TEST(young_object_spans_its_life)
{
	struct sim s = { 0 };
	u64 t, span;
	u32 v = 0;

	mp_clock_init(&s.clock);
	/* Clock has run 100 s before the object appears at t = 100 s. */
	for (t = 0; t < 100 * SEC; t += SEC)
		mp_clock_advance(&s.clock, t);
	for (t = 100 * SEC; t <= 115 * SEC; t += SEC) {
		v = 500 + (u32)((t - 100 * SEC) / SEC) * 512;
		sim_sample(&s, t, v);
	}
	/* 15 s of life: the 300 s window covers all of it, nothing before. */
	ASSERT_EQ(2 * 1024 * 1024, sim_rate(&s, MP_WIN_300S, v, &span));
	ASSERT_EQ(15 * SEC, span);
	ASSERT_EQ(2 * 1024 * 1024, sim_rate(&s, MP_WIN_10S, v, &span));
}

TEST(first_sample_has_no_rate)
{
	struct sim s = { 0 };
	u64 span;

	mp_clock_init(&s.clock);
	sim_sample(&s, 5 * SEC, 1234);
	ASSERT_EQ(0, sim_rate(&s, MP_WIN_10S, 1234, &span));
	ASSERT_EQ(0, span);
}

TEST(shrinking_is_negative)
{
	struct sim s = { 0 };
	u64 t, span;
	u32 v = 0;

	mp_clock_init(&s.clock);
	for (t = 0; t <= 30 * SEC; t += SEC / 2) {
		v = 100000 - (u32)(t / (SEC / 2)) * 64;	/* -128 pages/s */
		sim_sample(&s, t, v);
	}
	ASSERT_EQ(-128 * PAGE, sim_rate(&s, MP_WIN_10S, v, &span));
}

TEST(rate_follows_a_change_within_one_window)
{
	struct sim s = { 0 };
	u64 t, span;
	u32 v = 1000;

	mp_clock_init(&s.clock);
	/* Flat for 60 s, then +100 pages/s. */
	for (t = 0; t <= 60 * SEC; t += SEC)
		sim_sample(&s, t, v);
	for (; t <= 73 * SEC; t += SEC) {
		v += 100;
		sim_sample(&s, t, v);
	}
	/* 12.5 s after it, the 10 s window sees only the new slope. */
	ASSERT_EQ(100 * PAGE, sim_rate(&s, MP_WIN_10S, v, &span));
}

TEST(checkpoints_keep_cadence_with_jittered_samples)
{
	struct mp_clock c;
	u64 t = 0;
	int pushes = 0, i;

	mp_clock_init(&c);
	/*
	 * 1 s samples arriving up to 200 ms late: checkpoints every 10/3 s
	 * keep that cadence, 30 in 100 s, rather than drifting to every 4 s
	 * (25 in 100 s).
	 */
	ASSERT_EQ(10 * SEC / (MP_WINDOW_SLOTS - 1),
		  mp_checkpoint_period_ns(MP_WIN_10S));
	for (i = 0; i < 100; i++) {
		t = (u64)i * SEC + (i % 3) * 100000000ULL;
		mp_clock_advance(&c, t);
		pushes += c.pushed[MP_WIN_10S];
	}
	ASSERT_GE(pushes, 100 * SEC / mp_checkpoint_period_ns(MP_WIN_10S) - 1);
	ASSERT_LE(pushes, 100 * SEC / mp_checkpoint_period_ns(MP_WIN_10S) + 1);
}

TEST(stall_restarts_cadence)
{
	u64 period = mp_checkpoint_period_ns(MP_WIN_10S);
	struct mp_clock c;

	mp_clock_init(&c);
	mp_clock_advance(&c, 0);
	mp_clock_advance(&c, 1000 * SEC);	/* a long stall */
	ASSERT_TRUE(c.pushed[MP_WIN_10S]);
	/* The next checkpoint is one period after the stall's end. */
	mp_clock_advance(&c, 1000 * SEC + period - SEC / 10);
	ASSERT_FALSE(c.pushed[MP_WIN_10S]);
	mp_clock_advance(&c, 1000 * SEC + period);
	ASSERT_TRUE(c.pushed[MP_WIN_10S]);
}

TEST(counter_delta_survives_wrap)
{
	struct mp_clock c;
	struct mp_ring r;
	u64 span;

	mp_clock_init(&c);
	mp_clock_advance(&c, 0);
	mp_ring_init(&r, 0xfffffff0u);
	mp_clock_advance(&c, 10 * SEC);
	/* 0x20 microseconds later the u32 counter wrapped to 0x10. */
	ASSERT_EQ(0x20, mp_ring_counter_delta(&r, &c, MP_WIN_10S, 0x10, 0,
					      &span));
	ASSERT_EQ(10 * SEC, span);
}

TEST(per_sec_bounds)
{
	ASSERT_EQ(0, mp_per_sec(1000, 999999));		/* < 1 ms */
	ASSERT_EQ(1000000, mp_per_sec(1000, 1000000));	/* 1000 per ms */
	ASSERT_EQ(-500, mp_per_sec(-1000, 2 * SEC));
	/* 16 TiB over 10 s does not overflow. */
	ASSERT_EQ((s64)(16ULL << 40) / 10, mp_per_sec((s64)(16ULL << 40),
						       10 * SEC));
}

/*
 * leak_window names a growth window: the control grammar (pure/) takes
 * exactly the lengths of the windows this file measures.
 */
TEST(leak_window_takes_exactly_the_growth_windows)
{
	unsigned int nr_ok = 0;

	for (u64 s = 0; s <= 400; s++) {
		bool is_window = false;

		for (int w = 0; w < MP_NR_WINDOWS; w++)
			is_window |= mp_window_seconds(w) == s;
		EXPECT_EQ(is_window ? 0 : -ERANGE,
			  mp_ctl_check(MEMPRESSURE_TUNABLE_LEAK_WINDOW, s))
			TH_LOG("leak_window %llu", (unsigned long long)s);
		nr_ok += is_window;
	}
	EXPECT_EQ(MP_NR_WINDOWS, nr_ok);
	EXPECT_EQ(0, mp_ctl_check(MEMPRESSURE_TUNABLE_LEAK_WINDOW,
				  mp_ctl_default(MEMPRESSURE_TUNABLE_LEAK_WINDOW)));
}

TEST_HARNESS_MAIN
