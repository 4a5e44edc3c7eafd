// SPDX-License-Identifier: GPL-2.0
/*
 * Leak suspicion: is a process keeping memory it never gives back?
 *
 * Theory of operation
 *
 * The rule watches a process's footprint: its anonymous, shmem and swapped
 * pages, the memory reclaim cannot take back without swapping.  File pages
 * are left out: a process reading a file through a mapping grows in RSS,
 * and all of that is reclaimable.
 *
 * A leak is memory kept.  Much else grows for a while: a collector's
 * sawtooth, a batch job's working set, a cache warming up to its bound, a
 * service loading its data.  What sets a leak apart is that it keeps
 * reaching memory the process never held before, and holds on to it.  The
 * rule judges that a period at a time, a third of the leak window W (the
 * growth window's checkpoints, window.c), from four numbers: the
 * footprint's highest value so far and as of the period's start, its
 * lowest in the period and in the one before.  A period grew when the
 * process reached new memory (a new high, by the period's threshold G)
 * and kept what it had: its low stayed within G of the old high (a leak
 * at a steady rate, or by steps), or at least its floor rose by G (a leak
 * under a sawtooth, whose peaks come and go over a rising floor).  A
 * sawtooth or a batch job that returns to levels it reached before shows
 * no new memory however high its peaks; a spike is gone from the floor.
 *
 * One period of growth is not a leak: a cache filling within W grows for
 * two.  The suspicion is raised when three of the last five periods grew,
 * the last one among them, with no two in a row that did not: growth that
 * lasts, whether steady or in steps or bursts a period apart.  A process
 * must also be 4.5 periods old (3/2 W): the period then judged began when
 * it was past W old (7/6 W), after a load or a warm-up.  The periods before
 * a process was first seen count as grown, so that one that leaks from its
 * start is suspected at the first checkpoint from 3/2 W of age on, before
 * 11/6 W.  Two periods in a row
 * without growth clear the suspicion: within W of the growth stopping.
 *
 * docs/signals.md states the rule for users, and bench/leaks/ holds the
 * corpus it was chosen on.  The state is 16 bytes per process and seven
 * bits of its flags (leak.h).
 */
#include "leak.h"

/*
 * How many of the last MP_LEAK_HISTORY_BITS periods must have grown to
 * raise the suspicion; how many in a row without growth hold it back, and
 * clear it; from how many half periods of age a process is judged.
 */
#define MP_LEAK_RAISE_GREW	3
#define MP_LEAK_QUIET_RUN	2
#define MP_LEAK_JUDGE_HALF_PERIODS	9

static unsigned int bits_set(unsigned int v)
{
	unsigned int n = 0;

	for (; v; v &= v - 1)
		n++;
	return n;
}

/* Whether @hist (latest period lowest) has MP_LEAK_QUIET_RUN quiet in a row. */
static bool quiet_run(unsigned int hist)
{
	unsigned int run = (1 << MP_LEAK_QUIET_RUN) - 1;
	int i;

	for (i = 0; i + MP_LEAK_QUIET_RUN <= MP_LEAK_HISTORY_BITS; i++)
		if (!((hist >> i) & run))
			return true;
	return false;
}

void mp_leak_limits(struct mp_leak_limits *l, const u64 *t, u64 period_ns,
		    unsigned int page_shift)
{
	/* In milliseconds, the product stays far from 64 bits. */
	u64 by_rate = div64_u64(t[MEMPRESSURE_TUNABLE_LEAK_RATE] *
				div64_u64(period_ns, NSEC_PER_MSEC), 1000);
	u64 by_size = div64_u64(t[MEMPRESSURE_TUNABLE_LEAK_MIN_BYTES], 3);
	u64 bytes = by_rate > by_size ? by_rate : by_size;
	u64 pages = (bytes + (1ULL << page_shift) - 1) >> page_shift;

	l->grow_pages = pages > 0xffffffffULL ? 0xffffffffU : (u32)pages;
	if (!l->grow_pages)
		l->grow_pages = 1;
	/*
	 * 4.5 P: the period then judged began at 3.5 P, past W.  Not 5 P: a
	 * process that started just after a checkpoint would then wait for
	 * the one at 6 P, 2 W, to be judged at all.
	 */
	l->judge_age_ns = MP_LEAK_JUDGE_HALF_PERIODS * period_ns / 2;
}

void mp_leak_init(struct mp_leak *lk, u8 *flags, u32 footprint)
{
	lk->high = footprint;
	lk->high_then = footprint;
	lk->low = footprint;
	lk->low_then = footprint;
	/*
	 * Nothing is known of its periods before it was seen: none of them
	 * counts against it.
	 */
	*flags = (*flags & ~MP_LEAK_FLAGS) | MP_LEAK_HISTORY_MASK;
}

/*
 * Whether the period that ended grew the way a leak does: to memory the
 * process never held before, keeping what it had (its floor stayed at the
 * old high-water mark: a leak by steps or at a steady rate) or at least
 * raising its floor (a leak under a collector's sawtooth).
 */
static bool mp_leak_grew(const struct mp_leak *lk, u32 grow)
{
	bool new_high = lk->high - lk->high_then >= grow;
	bool held = (u64)lk->low + grow >= lk->high_then;
	bool floor_rose = lk->low > lk->low_then &&
			  lk->low - lk->low_then >= grow;

	return new_high && (held || floor_rose);
}

void mp_leak_checkpoint(struct mp_leak *lk, u8 *flags, u32 footprint,
			u64 age_ns, const struct mp_leak_limits *l)
{
	unsigned int hist = (*flags & MP_LEAK_HISTORY_MASK) >> MP_LEAK_HISTORY_SHIFT;
	bool suspected = *flags & MP_LEAK_SUSPECTED;
	bool grew = mp_leak_grew(lk, l->grow_pages);

	hist = ((hist << 1) | grew) & ((1 << MP_LEAK_HISTORY_BITS) - 1);
	*flags &= ~(MP_LEAK_CHANGED | MP_LEAK_HISTORY_MASK);
	*flags |= hist << MP_LEAK_HISTORY_SHIFT;
	if (!suspected && grew && age_ns >= l->judge_age_ns &&
	    bits_set(hist) >= MP_LEAK_RAISE_GREW && !quiet_run(hist))
		*flags |= MP_LEAK_SUSPECTED | MP_LEAK_CHANGED;
	else if (suspected && !(hist & ((1 << MP_LEAK_QUIET_RUN) - 1)))
		*flags = (*flags & ~MP_LEAK_SUSPECTED) | MP_LEAK_CHANGED;

	lk->high_then = lk->high;
	lk->low_then = lk->low;
	lk->low = footprint;
}

s64 mp_leak_growth(const struct mp_leak *lk, u64 span_ns,
		   unsigned int page_shift)
{
	s64 span_ms = (s64)div64_u64(span_ns, NSEC_PER_MSEC);
	u64 pages;

	if (span_ms <= 0 || lk->low <= lk->low_then)
		return 0;
	pages = lk->low - lk->low_then;
	return div64_s64((s64)(pages << page_shift) * 1000, span_ms);
}
