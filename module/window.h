/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MP_WINDOW_H
#define _MP_WINDOW_H

#include "pure.h"

/* The growth windows: 10 s, 60 s and 300 s, as psi's avg10/avg60/avg300. */
enum mp_window {
	MP_WIN_10S,
	MP_WIN_60S,
	MP_WIN_300S,
	MP_NR_WINDOWS
};

/*
 * Checkpoints kept per window.  A window of W seconds takes a checkpoint
 * every W / (MP_WINDOW_SLOTS - 1) seconds, so the oldest one is between W
 * and 4/3 W old: four 4-byte values per window are all an object pays (a
 * process's record must stay small, see struct mp_proc).
 */
#define MP_WINDOW_SLOTS	4

/*
 * When the checkpoints were taken.  One clock serves every object: all of
 * them are sampled together, so only the values differ between objects.
 */
struct mp_clock {
	u64 now_ns;
	u64 slot_ns[MP_NR_WINDOWS][MP_WINDOW_SLOTS];
	u64 next_ns[MP_NR_WINDOWS];
	u8 head[MP_NR_WINDOWS];		/* newest checkpoint */
	u8 filled[MP_NR_WINDOWS];	/* checkpoints taken, up to SLOTS */
	bool pushed[MP_NR_WINDOWS];	/* this sample is a checkpoint */
};

/* One object's value at each checkpoint of one window. */
struct mp_ring {
	u32 v[MP_WINDOW_SLOTS];
};

u32 mp_window_seconds(enum mp_window w);
u64 mp_checkpoint_period_ns(enum mp_window w);
void mp_clock_init(struct mp_clock *c);
void mp_clock_advance(struct mp_clock *c, u64 now_ns);
void mp_ring_init(struct mp_ring *r, u32 value);
/*
 * Inline: the sampler calls these for every process it carries over.
 */

/* Store @value if this sample is a checkpoint of window @w. */
static inline void mp_ring_record(struct mp_ring *r, const struct mp_clock *c,
				  enum mp_window w, u32 value)
{
	if (c->pushed[w])
		r->v[c->head[w]] = value;
}

s64 mp_ring_level_delta(const struct mp_ring *r, const struct mp_clock *c,
			enum mp_window w, u32 now_value, u64 since_ns,
			u64 *span_ns);
s64 mp_ring_counter_delta(const struct mp_ring *r, const struct mp_clock *c,
			  enum mp_window w, u32 now_value, u64 since_ns,
			  u64 *span_ns);
s64 mp_per_sec(s64 delta, u64 span_ns);

#endif /* _MP_WINDOW_H */
