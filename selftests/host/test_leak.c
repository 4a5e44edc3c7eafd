// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for module/leak.c: the leak rule of docs/signals.md on
 * synthetic footprints, sampled every second on the module's own
 * checkpoints (module/window.c), with the default tunables.  The shapes
 * are the corpus's (bench/leaks/README.md) in their plainest form.
 */
#include <math.h>

#include "kselftest_harness.h"

#include "leak.h"
#include "window.h"

#define KiB		1024.0
#define MiB		(1024.0 * 1024)
#define SEC		1000000000ULL
#define PAGE_SHIFT	12

#define X_DEFAULT(e, name, min, max, def)	[MEMPRESSURE_TUNABLE_##e] = def,
static const u64 defaults[MEMPRESSURE_TUNABLE_NR] = {
	MEMPRESSURE_TUNABLES(X_DEFAULT)
};

/* A footprint in bytes at @t seconds of the process's life. */
typedef double (*shape_fn)(double t, const double *arg);

/* What the rule did over a run. */
struct outcome {
	int raised;		/* times the suspicion was raised */
	double first_s;		/* when first raised; -1 never */
	double last_clear_s;	/* when last cleared; -1 never */
	bool suspected;		/* at the end */
	double rate_at_first;	/* bytes/s mp_leak_growth() gave then */
	u8 other_bits;		/* flag bits not the rule's, at the end */
};

static enum mp_window window_of(unsigned int w)
{
	return w == 300 ? MP_WIN_300S : w == 60 ? MP_WIN_60S : MP_WIN_10S;
}

/*
 * Sample @shape every second for @seconds of the process's life, the
 * process started at @born seconds of the module's clock (whose first
 * sample, at 1 s, is a checkpoint of every window) and first seen at the
 * next sample, at leak_window @w; the flags byte starts with @other_bits
 * set, which the rule must leave alone.
 */
static struct outcome run_from(shape_fn shape, const double *arg,
			       unsigned int w, unsigned int seconds,
			       const u64 *t, u8 other_bits, double born)
{
	enum mp_window win = window_of(w);
	struct outcome o = { .first_s = -1, .last_clear_s = -1 };
	struct mp_leak_limits lim;
	struct mp_clock c;
	struct mp_leak lk;
	u8 flags = other_bits;
	unsigned int s;

	mp_clock_init(&c);
	mp_leak_limits(&lim, t, mp_checkpoint_period_ns(win), PAGE_SHIFT);
	for (s = 1; s <= seconds + born; s++) {
		u64 now = s * SEC;
		double age = s - born;
		double bytes = shape(age, arg);
		u32 fp = (u32)(bytes > 0 ? bytes / 4096 : 0);

		mp_clock_advance(&c, now);
		if (age <= 0)
			continue;
		if (age <= 1)
			mp_leak_init(&lk, &flags, fp);
		else
			mp_leak_sample(&lk, fp);
		if (!c.pushed[win])
			continue;
		mp_leak_checkpoint(&lk, &flags, fp, (u64)(age * SEC), &lim);
		if (!(flags & MP_LEAK_CHANGED))
			continue;
		if (flags & MP_LEAK_SUSPECTED) {
			unsigned int prev = (c.head[win] + MP_WINDOW_SLOTS - 1) %
					    MP_WINDOW_SLOTS;

			if (!o.raised++) {
				o.first_s = age;
				o.rate_at_first = (double)mp_leak_growth(&lk,
					now - c.slot_ns[win][prev], PAGE_SHIFT);
			}
		} else {
			o.last_clear_s = age;
		}
		flags &= ~MP_LEAK_CHANGED;
	}
	o.suspected = flags & MP_LEAK_SUSPECTED;
	o.other_bits = flags & ~MP_LEAK_FLAGS;
	return o;
}

/* A process that started with the module's clock. */
static struct outcome run(shape_fn shape, const double *arg, unsigned int w,
			  unsigned int seconds, const u64 *t, u8 other_bits)
{
	return run_from(shape, arg, w, seconds, t, other_bits, 0);
}

/* arg: rate (B/s), onset (s), stop (s, 0 never), base (B) */
static double linear(double t, const double *a)
{
	double end = a[2] > 0 && t > a[2] ? a[2] : t;

	return a[3] + (end > a[1] ? (end - a[1]) * a[0] : 0);
}

/* arg: step (B), period (s), stop (s, 0 never) */
static double steps(double t, const double *a)
{
	double end = a[2] > 0 && t > a[2] ? a[2] : t;

	return (1 + floor(end / a[1])) * a[0];
}

/* arg: amplitude (B), period (s), floor rate (B/s): garbage over 3/4 period */
static double sawtooth(double t, const double *a)
{
	double phase = fmod(t, a[1]) / a[1] / 0.75;

	return 1 * MiB + (phase >= 1 ? 1 : phase) * a[0] + a[2] * t;
}

/* arg: bytes, period (s), hold (s): a batch allocation every period */
static double batch(double t, const double *a)
{
	return 1 * MiB + (fmod(t, a[1]) < a[2] ? a[0] : 0);
}

/* arg: cap (B), fill (s): a cache filled at a steady rate to its bound */
static double cache(double t, const double *a)
{
	return 1 * MiB + (t < a[1] ? t / a[1] : 1) * a[0];
}

/* arg: bytes, at (s): one sample's spike */
static double spike(double t, const double *a)
{
	return 8 * MiB + (t == a[1] ? a[0] : 0);
}

/* arg: amplitude (pages): a footprint that wobbles */
static double wobble(double t, const double *a)
{
	return 8 * MiB + ((unsigned long)t * 7919 % 13) / 12.0 * a[0] * 4096;
}

static const unsigned int windows[] = { 10, 60, 300 };

TEST(limits)
{
	struct mp_leak_limits l;
	u64 t[MEMPRESSURE_TUNABLE_NR];

	memcpy(t, defaults, sizeof(t));
	/* A 20 s period at 16 KiB/s is 80 pages; leak_min_bytes / 3 is less. */
	t[MEMPRESSURE_TUNABLE_LEAK_MIN_BYTES] = 0;
	mp_leak_limits(&l, t, 20 * SEC, PAGE_SHIFT);
	ASSERT_EQ(80, l.grow_pages);
	ASSERT_EQ(90 * SEC, l.judge_age_ns);
	/* leak_min_bytes over three periods, rounded up to a page. */
	t[MEMPRESSURE_TUNABLE_LEAK_MIN_BYTES] = 3 * 4096 * 100 + 3;
	mp_leak_limits(&l, t, 20 * SEC, PAGE_SHIFT);
	ASSERT_EQ(101, l.grow_pages);
	/* The largest tunables neither overflow nor wrap. */
	t[MEMPRESSURE_TUNABLE_LEAK_RATE] = 1073741824;
	t[MEMPRESSURE_TUNABLE_LEAK_MIN_BYTES] = 1099511627776ULL;
	mp_leak_limits(&l, t, 100 * SEC, PAGE_SHIFT);
	ASSERT_EQ(1099511627776ULL / 3 / 4096 + 1, l.grow_pages);
	t[MEMPRESSURE_TUNABLE_LEAK_RATE] = 1;
	t[MEMPRESSURE_TUNABLE_LEAK_MIN_BYTES] = 0;
	mp_leak_limits(&l, t, 3333 * 1000000ULL, PAGE_SHIFT);
	ASSERT_EQ(1, l.grow_pages);
}

/* A leak from launch, at the slowest rate the aims name, at every window. */
TEST(leak_from_launch_flagged_within_two_windows)
{
	const double a[] = { 64 * KiB, 0, 0, 2 * MiB };
	unsigned int i;

	for (i = 0; i < 3; i++) {
		unsigned int w = windows[i];
		struct outcome o = run(linear, a, w, 6 * w, defaults, 0);

		TH_LOG("W %u: raised at %.0f s, %.0f B/s", w, o.first_s,
		       o.rate_at_first);
		ASSERT_LT(0, o.first_s);
		EXPECT_LE(o.first_s, 2 * w);
		EXPECT_EQ(1, o.raised);
		EXPECT_TRUE(o.suspected);
		/* The rate it predicts with, within 15 %. */
		EXPECT_LE(fabs(o.rate_at_first - 64 * KiB), 0.15 * 64 * KiB);
	}
}

/*
 * Whatever the phase of the checkpoints at its start: a process born just
 * after one waits the longest for the judging age.
 */
TEST(leak_from_launch_flagged_within_two_windows_at_any_phase)
{
	const double a[] = { 64 * KiB, 0, 0, 2 * MiB };
	unsigned int i, born;

	for (i = 0; i < 3; i++) {
		unsigned int w = windows[i];

		for (born = 1; born <= w / 3 + 1; born++) {
			struct outcome o = run_from(linear, a, w, 3 * w, defaults,
						    0, born);

			EXPECT_LT(0, o.first_s) {
				TH_LOG("W %u, born at %u s: never raised", w, born);
			}
			EXPECT_LT(o.first_s, 2 * w) {
				TH_LOG("W %u, born at %u s: raised at %.0f s of age",
				       w, born, o.first_s);
			}
		}
	}
}

TEST(leak_that_stops_clears_within_a_window)
{
	unsigned int i;

	for (i = 0; i < 3; i++) {
		unsigned int w = windows[i];
		const double a[] = { 256 * KiB, 0, 3.0 * w, 2 * MiB };
		struct outcome o = run(linear, a, w, 6 * w, defaults, 0);

		TH_LOG("W %u: raised at %.0f s, cleared at %.0f s", w, o.first_s,
		       o.last_clear_s);
		ASSERT_LT(0, o.first_s);
		EXPECT_FALSE(o.suspected);
		EXPECT_EQ(1, o.raised);
		EXPECT_LT(3.0 * w, o.last_clear_s);
		EXPECT_LE(o.last_clear_s, 4.0 * w);
	}
}

TEST(late_leak_flagged_after_its_onset)
{
	unsigned int i;

	for (i = 0; i < 2; i++) {
		unsigned int w = windows[i];
		const double a[] = { 256 * KiB, 120, 0, 20 * MiB };
		struct outcome o = run(linear, a, w, 120 + 4 * w, defaults, 0);

		TH_LOG("W %u: raised at %.0f s", w, o.first_s);
		EXPECT_LT(120, o.first_s);
		EXPECT_LE(o.first_s, 120 + 2 * w);
	}
}

TEST(step_leak_flagged_when_steps_come_within_a_period)
{
	/* 8 MiB every 20 s: every period of a 60 s window holds a step. */
	const double a[] = { 8 * MiB, 20, 0 };
	struct outcome o = run(steps, a, 60, 360, defaults, 0);

	TH_LOG("raised at %.0f s, %d times", o.first_s, o.raised);
	ASSERT_LT(0, o.first_s);
	EXPECT_LE(o.first_s, 120);
	EXPECT_EQ(1, o.raised);
}

/*
 * 40 MiB of garbage a cycle over a floor rising 128 KiB/s: a leak under a
 * collector, seen when its cycles are shorter than a period (W / 3).
 */
TEST(steps_further_apart_than_a_period_are_a_leak)
{
	/*
	 * 8 MiB every 30 s at W = 60 s: a period with a step reaches new
	 * memory while its floor stays where the last step left it (kept),
	 * the next holds still.
	 */
	const double a[] = { 8 * MiB, 30, 0 };
	struct outcome o = run(steps, a, 60, 360, defaults, 0);

	TH_LOG("raised at %.0f s, %d times", o.first_s, o.raised);
	ASSERT_LT(0, o.first_s);
	EXPECT_LE(o.first_s, 120);
	EXPECT_EQ(1, o.raised);
	EXPECT_TRUE(o.suspected);
}

/*
 * arg: bytes, period (s): a cache filled in two bursts, through the first
 * two periods and in the fifth, still in between.
 */
static double bursts(double t, const double *a)
{
	double p = a[1], first = 2 * p - 2, second = 4 * p + 2;

	if (t < first)
		return 1 * MiB + t / first * a[0];
	if (t < second)
		return 1 * MiB + a[0];
	if (t < 5 * p)
		return 1 * MiB + a[0] + (t - second) / (p - 2) * a[0];
	return 1 * MiB + 2 * a[0];
}

TEST(warming_in_two_bursts_is_not)
{
	unsigned int i;

	/*
	 * Three periods of growth within five, the last one among them, but
	 * two in a row without: a warm-up in two goes, not a leak.
	 */
	for (i = 0; i < 3; i++) {
		unsigned int w = windows[i];
		const double a[] = { 16 * MiB, w / 3.0 };
		struct outcome o = run(bursts, a, w, 8 * w, defaults, 0);

		EXPECT_EQ(0, o.raised) {
			TH_LOG("W %u: raised at %.0f s", w, o.first_s);
		}
	}
}

TEST(sawtooth_with_rising_floor_is_a_leak)
{
	const double cycle[] = { 2, 8, 8 };
	unsigned int i;

	for (i = 0; i < 3; i++) {
		unsigned int w = windows[i];
		const double a[] = { 40 * MiB, cycle[i], 128 * KiB };
		struct outcome o = run(sawtooth, a, w, 4 * w, defaults, 0);

		TH_LOG("W %u, %.0f s cycles: raised at %.0f s", w, cycle[i],
		       o.first_s);
		EXPECT_LT(0, o.first_s);
		EXPECT_LE(o.first_s, 2 * w);
		EXPECT_TRUE(o.suspected);
	}
}

/* What is not a leak is never suspected, at any window. */
static void never(struct __test_metadata *_metadata, const char *what,
		  shape_fn shape, const double *arg, unsigned int seconds)
{
	unsigned int i;

	for (i = 0; i < 3; i++) {
		unsigned int w = windows[i];
		struct outcome o = run(shape, arg, w, seconds ? seconds : 8 * w,
				       defaults, 0);

		EXPECT_EQ(0, o.raised) {
			TH_LOG("%s at W %u: raised at %.0f s", what, w, o.first_s);
		}
	}
}

TEST(sawtooth_on_a_flat_floor_is_not)
{
	const double a[] = { 60 * MiB, 8, 0 };

	never(_metadata, "a GC sawtooth", sawtooth, a, 0);
}

TEST(batch_job_is_not)
{
	const double a[] = { 100 * MiB, 30, 5 };

	never(_metadata, "a batch job", batch, a, 0);
}

TEST(cache_warming_within_the_window_is_not)
{
	unsigned int i;

	for (i = 0; i < 3; i++) {
		unsigned int w = windows[i];
		const double a[] = { 32 * MiB, 0.6 * w };
		struct outcome o = run(cache, a, w, 8 * w, defaults, 0);

		EXPECT_EQ(0, o.raised) {
			TH_LOG("W %u: raised at %.0f s", w, o.first_s);
		}
	}
}

TEST(loading_at_start_is_not)
{
	const double a[] = { 200 * MiB, 3 };

	never(_metadata, "a 200 MiB load", cache, a, 0);
}

TEST(spike_and_wobble_are_not)
{
	const double a[] = { 100 * MiB, 95 };
	const double b[] = { 64 };

	never(_metadata, "a one-sample spike", spike, a, 200);
	never(_metadata, "a wobble of 64 pages", wobble, b, 0);
}

TEST(slow_warming_cache_clears_within_a_window_of_its_plateau)
{
	unsigned int i;

	for (i = 0; i < 3; i++) {
		unsigned int w = windows[i];
		const double a[] = { 48 * MiB, 4.0 * w };
		struct outcome o = run(cache, a, w, 8 * w, defaults, 0);

		TH_LOG("W %u: raised at %.0f s, cleared at %.0f s", w, o.first_s,
		       o.last_clear_s);
		/* It may be suspected while it grows... */
		EXPECT_LE(o.raised, 1);
		/* ...but not after it flattens. */
		EXPECT_FALSE(o.suspected);
		if (o.raised)
			EXPECT_LE(o.last_clear_s, 5.0 * w);
	}
}

TEST(young_process_is_not_suspected_before_the_judging_age)
{
	/* 4 MiB/s from launch: growth from the start, however fast. */
	const double a[] = { 4 * MiB, 0, 0, 0 };
	struct mp_leak_limits l;
	struct outcome o = run(linear, a, 60, 300, defaults, 0);

	mp_leak_limits(&l, defaults, mp_checkpoint_period_ns(MP_WIN_60S),
		       PAGE_SHIFT);
	EXPECT_LE(l.judge_age_ns / SEC, o.first_s);
	EXPECT_LE(o.first_s, 120);
}

TEST(other_flag_bits_are_left_alone)
{
	const double a[] = { 256 * KiB, 0, 30, 2 * MiB };
	struct outcome o = run(linear, a, 10, 100, defaults, 0x2);

	EXPECT_EQ(1, o.raised);
	EXPECT_EQ(0x2, o.other_bits);
	o = run(linear, a, 10, 100, defaults, 0);
	EXPECT_EQ(0, o.other_bits);
}

TEST(growth_rate_is_the_floors)
{
	struct mp_leak_limits l;
	struct mp_leak lk;
	u8 flags = 0;

	mp_leak_limits(&l, defaults, 20 * SEC, PAGE_SHIFT);
	mp_leak_init(&lk, &flags, 1000);
	EXPECT_EQ(0, mp_leak_growth(&lk, 20 * SEC, PAGE_SHIFT));
	/* A period from 1000 pages to 1250, the next begun at 1250. */
	mp_leak_sample(&lk, 1250);
	mp_leak_checkpoint(&lk, &flags, 1250, 1000 * SEC, &l);
	mp_leak_sample(&lk, 1500);
	/* The floor rose 250 pages since the period before began, 25 s ago. */
	EXPECT_EQ(250 * 4096 / 25, mp_leak_growth(&lk, 25 * SEC, PAGE_SHIFT));
	EXPECT_EQ(0, mp_leak_growth(&lk, 0, PAGE_SHIFT));
	/* A floor that fell: no growth. */
	mp_leak_sample(&lk, 10);
	EXPECT_EQ(0, mp_leak_growth(&lk, 25 * SEC, PAGE_SHIFT));
}

TEST_HARNESS_MAIN
