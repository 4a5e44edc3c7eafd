/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Leak suspicion (docs/signals.md, "Leak suspicion"): the rule and the
 * state it keeps per process.  Pure logic, as levels.c and window.c: the
 * module, the host unit tests (selftests/host/test_leak.c), the fuzz
 * target and make leakbench's replay build the same source.
 */
#ifndef _MP_LEAK_H
#define _MP_LEAK_H

#include <linux/mempressure.h>

#include "pure.h"

/*
 * The footprint's highest value so far and as of the last checkpoint of
 * the leak window, and its lowest since the last checkpoint and over the
 * period before; pages.  16 bytes: a process's record must stay small
 * (struct mp_proc).
 */
struct mp_leak {
	u32 high, high_then;
	u32 low, low_then;
};

/*
 * Bits of the process's flags byte (mp_proc.flags) that the rule keeps:
 * whether it is suspected, whether that changed at the last checkpoint
 * (news for an event), and which of the last periods showed growth
 * (the lowest history bit is the latest period).
 */
#define MP_LEAK_SUSPECTED	0x01
#define MP_LEAK_CHANGED		0x04
#define MP_LEAK_HISTORY_SHIFT	3
#define MP_LEAK_HISTORY_BITS	5
#define MP_LEAK_HISTORY_MASK	(((1 << MP_LEAK_HISTORY_BITS) - 1) << \
				 MP_LEAK_HISTORY_SHIFT)
#define MP_LEAK_FLAGS		(MP_LEAK_SUSPECTED | MP_LEAK_CHANGED | \
				 MP_LEAK_HISTORY_MASK)

/* The thresholds of one checkpoint period, from the tunables. */
struct mp_leak_limits {
	u32 grow_pages;		/* retained growth a period must show */
	u64 judge_age_ns;	/* age from which the growth can be a leak's */
};

void mp_leak_limits(struct mp_leak_limits *l, const u64 *tunables,
		    u64 period_ns, unsigned int page_shift);

/* A process first seen with @footprint pages: its state and flag bits. */
void mp_leak_init(struct mp_leak *lk, u8 *flags, u32 footprint);

/* Every sample the process is read at. */
static inline void mp_leak_sample(struct mp_leak *lk, u32 footprint)
{
	if (footprint > lk->high)
		lk->high = footprint;
	if (footprint < lk->low)
		lk->low = footprint;
}

/*
 * At a checkpoint of the leak window (after mp_leak_sample() if the
 * process was read): judge the period that ended, then start the next.
 * Sets MP_LEAK_CHANGED in *@flags when the suspicion was raised or
 * cleared; the caller clears it once it has told.
 */
void mp_leak_checkpoint(struct mp_leak *lk, u8 *flags, u32 footprint,
			u64 age_ns, const struct mp_leak_limits *l);

/*
 * Bytes a second the footprint's floor rose at, from the period before the
 * last checkpoint, which began @span_ns ago, to now: what the process
 * keeps, for time_to_limit.
 */
s64 mp_leak_growth(const struct mp_leak *lk, u64 span_ns,
		   unsigned int page_shift);

#endif /* _MP_LEAK_H */
