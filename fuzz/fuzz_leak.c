// SPDX-License-Identifier: GPL-2.0
/*
 * The leak rule (module/leak.c, docs/signals.md "Leak suspicion"): the
 * module's own code, built for userspace as selftests/host/test_leak.c
 * builds it, driven as the sampler drives it, on the module's checkpoints
 * (module/window.c).
 *
 * The input: a header of 9 bytes, then records of 5 bytes.
 *  - header: the leak window (byte 0 mod 3: 10, 60 or 300 s), leak_rate
 *    (bytes 1-4, little-endian, clamped to its range) and leak_min_bytes
 *    (bytes 5-8);
 *  - record: the time to the next sample (byte 0, in units of 100 ms plus
 *    one) and the footprint then (bytes 1-4, pages).
 *
 * Invariants:
 *  - the rule changes only its own bits of the flags byte (MP_LEAK_FLAGS);
 *  - MP_LEAK_CHANGED is set exactly when a checkpoint raised or cleared
 *    the suspicion;
 *  - the suspicion is raised only from the judging age on, and only at a
 *    checkpoint whose period grew (the latest bit of its history);
 *  - the high-water mark is at least every footprint since the process
 *    was first seen, the floor at most the footprint of the sample;
 *  - the growth rate is never negative, and a period's threshold is at
 *    least a page.
 */
#include "fuzz.h"
#include "leak.h"
#include "window.h"

#define PAGE_SHIFT	12
#define HEADER		9
#define RECORD		5

static u32 le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum mp_window windows[] = { MP_WIN_10S, MP_WIN_60S,
						  MP_WIN_300S };
	u64 t[MEMPRESSURE_TUNABLE_NR] = { 0 };
	struct mp_leak_limits lim;
	enum mp_window win;
	struct mp_clock c;
	struct mp_leak lk;
	u64 now = NSEC_PER_SEC;
	u32 most = 0;
	const u8 other = 0x02;		/* a bit that is not the rule's */
	u8 flags = other;
	size_t off;

	if (size < HEADER + RECORD)
		return 0;
	win = windows[data[0] % 3];
	t[MEMPRESSURE_TUNABLE_LEAK_RATE] = le32(data + 1) % 1073741824 + 1;
	t[MEMPRESSURE_TUNABLE_LEAK_MIN_BYTES] = le32(data + 5);
	mp_leak_limits(&lim, t, mp_checkpoint_period_ns(win), PAGE_SHIFT);
	FUZZ_CHECK(lim.grow_pages >= 1, "threshold %u pages", lim.grow_pages);

	mp_clock_init(&c);
	for (off = HEADER; off + RECORD <= size; off += RECORD) {
		u32 fp = le32(data + off + 1);
		u64 age;

		now += (data[off] + 1ULL) * 100 * NSEC_PER_MSEC;
		age = now - NSEC_PER_SEC;
		mp_clock_advance(&c, now);
		if (off == HEADER)
			mp_leak_init(&lk, &flags, fp);
		else
			mp_leak_sample(&lk, fp);
		if (fp > most)
			most = fp;
		FUZZ_CHECK(lk.high >= most, "high %u under %u", lk.high, most);
		FUZZ_CHECK(lk.low <= fp, "low %u over %u", lk.low, fp);
		if (c.pushed[win]) {
			bool was = flags & MP_LEAK_SUSPECTED;
			bool is;

			mp_leak_checkpoint(&lk, &flags, fp, age, &lim);
			is = flags & MP_LEAK_SUSPECTED;
			FUZZ_CHECK(!!(flags & MP_LEAK_CHANGED) == (was != is),
				   "changed %d, suspected %d -> %d",
				   !!(flags & MP_LEAK_CHANGED), was, is);
			FUZZ_CHECK(was || !is || age >= lim.judge_age_ns,
				   "raised at age %llu ns", (unsigned long long)age);
			FUZZ_CHECK(was || !is || (flags >> MP_LEAK_HISTORY_SHIFT) & 1,
				   "raised after a period that did not grow");
			FUZZ_CHECK(lk.low == fp, "a new period starts at %u, not %u",
				   fp, lk.low);
			flags &= ~MP_LEAK_CHANGED;
		}
		FUZZ_CHECK((flags & ~MP_LEAK_FLAGS) == other, "flags %#x", flags);
		FUZZ_CHECK(mp_leak_growth(&lk, (data[off] + 1ULL) * NSEC_PER_SEC,
					  PAGE_SHIFT) >= 0, "negative growth");
	}
	return 0;
}
