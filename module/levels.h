/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The signal rules of docs/signals.md: pressure levels with hysteresis,
 * soft-limit crossings and leak suspicion.  Pure logic: the module and the
 * host unit tests build the same source.
 */
#ifndef _MP_LEVELS_H
#define _MP_LEVELS_H

#include <linux/mempressure.h>

#include "pure.h"

/* PSI not kept for the object (psi=0, cgroup.pressure 0). */
#define MP_PSI_NONE	0xffffffffu

/* What one evaluation of a cgroup (or the system) looks at. */
struct mp_level_input {
	u64 usage_bytes, limit_bytes;	/* see docs/signals.md */
	u64 hard_bytes, soft_bytes;
	u32 psi_some, psi_full;		/* avg10, percent x 100, or MP_PSI_NONE */
	bool new_high;			/* memory.events high grew */
	bool new_max;			/* max grew: reclaim at memory.max */
	bool new_oom;			/* oom or oom_kill grew */
};

/* A level and what it takes to lower it. */
struct mp_level_state {
	u8 level;			/* enum mempressure_level */
	u8 below;			/* raw level has been below since below_ns */
	u64 below_ns;
};

enum mempressure_level mp_raw_level(const struct mp_level_input *in,
				    const u64 *tunables,
				    enum mempressure_reason *reason);
bool mp_level_update(struct mp_level_state *st, enum mempressure_level raw,
		     u64 now_ns, u64 calm_ns, bool may_fall);

/* Soft limit crossings: +1 went over, -1 went under, 0 no change. */
int mp_soft_update(bool *over, u64 usage, u64 soft, u32 margin_pct);

/* Leak suspicion: +1 suspected, -1 cleared, 0 no change. */
struct mp_leak_input {
	u64 age_ns;
	s64 growth_window;		/* bytes/s over the leak window */
	s64 growth10;			/* bytes/s over 10 s */
};

int mp_leak_update(bool *suspected, const struct mp_leak_input *in,
		   const u64 *tunables);

/* Seconds until @usage reaches @limit at @rate bytes/s; false if never. */
bool mp_time_to_limit(u64 usage, u64 limit, s64 rate, u64 *seconds);

u64 mp_percent_of(u64 bytes, u64 pct);

#endif /* _MP_LEVELS_H */
