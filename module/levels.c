// SPDX-License-Identifier: GPL-2.0
/*
 * Pressure levels, soft limits and leak suspicion: the rules of
 * docs/signals.md, each a few comparisons over values the sampler already
 * has.  The tables there and the code here must say the same thing; the
 * host unit tests (selftests/host/test_levels.c) hold them to it.
 */
#include "levels.h"

u64 mp_percent_of(u64 bytes, u64 pct)
{
	/* Limits reach 2^63 ("max" is never passed here): divide first. */
	return bytes / 100 * pct + bytes % 100 * pct / 100;
}

static bool mp_psi_at(u32 psi, u64 threshold)
{
	return psi != MP_PSI_NONE && psi >= threshold;
}

/*
 * The highest level whose condition holds now, and the first reason
 * found for it, in the order of the table in docs/signals.md.
 */
enum mempressure_level mp_raw_level(const struct mp_level_input *in,
				    const u64 *t,
				    enum mempressure_reason *reason)
{
	if (in->new_oom || in->new_max) {
		*reason = in->new_oom ? MEMPRESSURE_REASON_OOM :
					MEMPRESSURE_REASON_MAX;
		return MEMPRESSURE_LEVEL_CRITICAL;
	}
	if (in->usage_bytes >= mp_percent_of(in->hard_bytes,
					     t[MEMPRESSURE_TUNABLE_CRITICAL_PCT])) {
		*reason = MEMPRESSURE_REASON_USAGE;
		return MEMPRESSURE_LEVEL_CRITICAL;
	}
	if (mp_psi_at(in->psi_full, t[MEMPRESSURE_TUNABLE_PSI_CRITICAL])) {
		*reason = MEMPRESSURE_REASON_PSI;
		return MEMPRESSURE_LEVEL_CRITICAL;
	}
	if (in->new_high) {
		*reason = MEMPRESSURE_REASON_HIGH;
		return MEMPRESSURE_LEVEL_MEDIUM;
	}
	if (in->usage_bytes >= in->soft_bytes) {
		*reason = MEMPRESSURE_REASON_USAGE;
		return MEMPRESSURE_LEVEL_MEDIUM;
	}
	if (mp_psi_at(in->psi_some, t[MEMPRESSURE_TUNABLE_PSI_MEDIUM])) {
		*reason = MEMPRESSURE_REASON_PSI;
		return MEMPRESSURE_LEVEL_MEDIUM;
	}
	if (in->usage_bytes >= mp_percent_of(in->limit_bytes,
					     t[MEMPRESSURE_TUNABLE_LOW_PCT])) {
		*reason = MEMPRESSURE_REASON_USAGE;
		return MEMPRESSURE_LEVEL_LOW;
	}
	if (mp_psi_at(in->psi_some, t[MEMPRESSURE_TUNABLE_PSI_LOW])) {
		*reason = MEMPRESSURE_REASON_PSI;
		return MEMPRESSURE_LEVEL_LOW;
	}
	*reason = MEMPRESSURE_REASON_CALM;
	return MEMPRESSURE_LEVEL_NONE;
}

/*
 * Rise at once; fall only after @calm_ns with the raw level below the
 * current one all along, and then to the raw level.  An evaluation that
 * may not lower the level (the fast path) neither starts nor breaks the
 * calm period.  True if the level changed.
 */
bool mp_level_update(struct mp_level_state *st, enum mempressure_level raw,
		     u64 now_ns, u64 calm_ns, bool may_fall)
{
	if (raw > st->level) {
		st->level = raw;
		st->below = false;
		return true;
	}
	if (!may_fall)
		return false;
	if (raw == st->level) {
		st->below = false;
		return false;
	}
	if (!st->below) {
		st->below = true;
		st->below_ns = now_ns;
	}
	if (now_ns - st->below_ns < calm_ns)
		return false;
	st->level = raw;
	st->below = false;
	return true;
}

int mp_soft_update(bool *over, u64 usage, u64 soft, u32 margin_pct)
{
	if (!*over && usage >= soft) {
		*over = true;
		return 1;
	}
	if (*over && usage < soft - mp_percent_of(soft, margin_pct)) {
		*over = false;
		return -1;
	}
	return 0;
}

int mp_leak_update(bool *suspected, const struct mp_leak_input *in,
		   const u64 *t)
{
	u64 window = t[MEMPRESSURE_TUNABLE_LEAK_WINDOW];
	u64 rate = t[MEMPRESSURE_TUNABLE_LEAK_RATE];

	if (!*suspected) {
		/* 7/3 W: the window (up to 4/3 W) starts after the first W. */
		if (in->age_ns < window * 7 * NSEC_PER_SEC / 3 ||
		    in->growth_window < (s64)rate ||
		    (u64)in->growth_window * window <
			t[MEMPRESSURE_TUNABLE_LEAK_MIN_BYTES] ||
		    in->growth10 <= 0)
			return 0;
		*suspected = true;
		return 1;
	}
	if (in->growth_window >= (s64)(rate / 2))
		return 0;
	*suspected = false;
	return -1;
}

bool mp_time_to_limit(u64 usage, u64 limit, s64 rate, u64 *seconds)
{
	if (rate <= 0)
		return false;
	if (usage >= limit) {
		*seconds = 0;
		return true;
	}
	*seconds = div64_u64(limit - usage, (u64)rate);
	return true;
}
