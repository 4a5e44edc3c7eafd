// SPDX-License-Identifier: GPL-2.0
/*
 * Growth over sliding windows.
 *
 * The module reports how fast a value (a process's RSS, a cgroup's usage, a
 * PSI stall counter) changed over the last 10, 60 and 300 seconds.  psi uses
 * exponential averages for its avg10/avg60/avg300; an exponential average of
 * a rate that just started lags far behind it (after 1.5 windows it shows 78%
 * of the true rate), which is the wrong answer for a leak detector that wants
 * "how many bytes per second right now".  So these are plain slopes: the
 * value now minus the value one window ago, divided by the time between.
 *
 * Keeping a value per sample for 300 s would cost a process 1.2 KiB at a 1 s
 * interval.  Instead each window keeps MP_WINDOW_SLOTS checkpoints taken every
 * W / (SLOTS - 1): the oldest checkpoint is between W and 4/3 W old, which is
 * what the slope is measured against.  The checkpoint times are the same for
 * every object (one mp_clock), so an object stores only 4 values per window.
 *
 * An object that appears after some checkpoints were taken fills its ring
 * with its first value; its slope then spans only the time since it began
 * (the caller's @since_ns: a process's start, a cgroup's first sighting),
 * never time before it existed.
 *
 * Values are u32: RSS and usage in pages (16 TiB at 4 KiB pages), and stall
 * counters in microseconds, compared modulo 2^32, which is exact as long as a
 * window's change stays under 71 minutes of stall.
 */
#include "window.h"

static const u32 mp_window_sec[MP_NR_WINDOWS] = {
	[MP_WIN_10S] = 10,
	[MP_WIN_60S] = 60,
	[MP_WIN_300S] = 300,
};

u32 mp_window_seconds(enum mp_window w)
{
	return mp_window_sec[w];
}

u64 mp_checkpoint_period_ns(enum mp_window w)
{
	return (u64)mp_window_sec[w] * NSEC_PER_SEC / (MP_WINDOW_SLOTS - 1);
}

void mp_clock_init(struct mp_clock *c)
{
	*c = (struct mp_clock){ 0 };
}

/* Start a sample at @now_ns: decide which windows take a checkpoint. */
void mp_clock_advance(struct mp_clock *c, u64 now_ns)
{
	int w;

	c->now_ns = now_ns;
	for (w = 0; w < MP_NR_WINDOWS; w++) {
		u64 period = mp_checkpoint_period_ns(w);

		c->pushed[w] = false;
		if (c->filled[w] && now_ns < c->next_ns[w])
			continue;

		if (c->filled[w])
			c->head[w] = (c->head[w] + 1) % MP_WINDOW_SLOTS;
		if (c->filled[w] < MP_WINDOW_SLOTS)
			c->filled[w]++;
		c->slot_ns[w][c->head[w]] = now_ns;
		c->pushed[w] = true;

		/* Keep the cadence; restart it after a stall longer than it. */
		c->next_ns[w] = c->filled[w] > 1 ? c->next_ns[w] + period :
						   now_ns + period;
		if (c->next_ns[w] <= now_ns)
			c->next_ns[w] = now_ns + period;
	}
}

/* A new object: its value has been @value at every checkpoint so far. */
void mp_ring_init(struct mp_ring *r, u32 value)
{
	int i;

	for (i = 0; i < MP_WINDOW_SLOTS; i++)
		r->v[i] = value;
}

/*
 * The oldest checkpoint of @w, and the time it stands for: an object seen
 * first at @since_ns has no history before that.
 */
static u32 mp_ring_oldest(const struct mp_ring *r, const struct mp_clock *c,
			  enum mp_window w, u64 since_ns, u64 *span_ns)
{
	unsigned int oldest = 0;
	u64 t = c->now_ns;

	if (c->filled[w]) {
		oldest = (c->head[w] + MP_WINDOW_SLOTS - (c->filled[w] - 1)) %
			 MP_WINDOW_SLOTS;
		t = c->slot_ns[w][oldest];
	}
	if (t < since_ns)
		t = since_ns;
	*span_ns = c->now_ns > t ? c->now_ns - t : 0;
	return r->v[oldest];
}

/* Change of a level (RSS, usage) over window @w; may be negative. */
s64 mp_ring_level_delta(const struct mp_ring *r, const struct mp_clock *c,
			enum mp_window w, u32 now_value, u64 since_ns,
			u64 *span_ns)
{
	u32 old = mp_ring_oldest(r, c, w, since_ns, span_ns);

	return (s64)now_value - (s64)old;
}

/* Increase of a counter that wraps at 2^32 (stall microseconds). */
s64 mp_ring_counter_delta(const struct mp_ring *r, const struct mp_clock *c,
			  enum mp_window w, u32 now_value, u64 since_ns,
			  u64 *span_ns)
{
	u32 old = mp_ring_oldest(r, c, w, since_ns, span_ns);

	return (u32)(now_value - old);
}

/*
 * @delta per second over @span_ns; 0 for a span under a millisecond.
 * Milliseconds keep delta * 1000 in range for any byte count below 2^53.
 */
s64 mp_per_sec(s64 delta, u64 span_ns)
{
	s64 span_ms = (s64)div64_u64(span_ns, NSEC_PER_MSEC);

	if (span_ms <= 0)
		return 0;
	return div64_s64(delta * 1000, span_ms);
}
