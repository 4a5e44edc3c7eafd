// SPDX-License-Identifier: GPL-2.0
/*
 * Lookups in a sample and what is derived from it (sample.h): pure
 * functions of a sample, which the caller keeps stable (RCU, or
 * mp_sample_lock).
 */
#include <linux/math64.h>
#include <linux/mm.h>

#include "sample.h"

/* --- lookups ------------------------------------------------------------- */

/* The index of the first cgroup whose id is >= @id. */
u32 mp_sample_cgroup_from(const struct mp_sample *s, u64 id)
{
	u32 lo = 0, hi = s->nr_cgroups;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (s->cgroups[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The cgroup with @id, or NULL. */
struct mp_cgroup *mp_sample_cgroup(const struct mp_sample *s, u64 id)
{
	u32 i = mp_sample_cgroup_from(s, id);

	return i < s->nr_cgroups && s->cgroups[i].id == id ?
	       &s->cgroups[i] : NULL;
}

/* The index of the first process from index @i on whose pid is >= @pid. */
u32 mp_sample_proc_from(const struct mp_sample *s, u32 i, pid_t pid)
{
	u32 hi = s->nr_procs;

	while (i < hi) {
		u32 mid = i + (hi - i) / 2;

		if (s->procs[mid].pid < pid)
			i = mid + 1;
		else
			hi = mid;
	}
	return i;
}

/* The process with @pid, or NULL. */
const struct mp_proc *mp_sample_proc(const struct mp_sample *s, pid_t pid)
{
	u32 i = mp_sample_proc_from(s, 0, pid);

	return i < s->nr_procs && s->procs[i].pid == pid ? &s->procs[i] : NULL;
}

/* --- derived values ---------------------------------------------------- */

/*
 * RSS bytes per second over window @w.  A process started since the
 * window's oldest checkpoint is measured over its life: its start time
 * stands in for when it was first seen, at most one interval earlier.
 */
s64 mp_proc_growth(const struct mp_sample *s, const struct mp_proc *pr,
		   enum mp_window w)
{
	u64 span;
	s64 delta = mp_ring_level_delta(&pr->rss_pages_hist[w], &s->clock, w,
					mp_proc_rss_pages(pr), pr->start_ns, &span);

	return mp_per_sec(delta * PAGE_SIZE, span);
}

/* memory.current bytes per second over window @w. */
s64 mp_cgroup_growth(const struct mp_sample *s, const struct mp_cgroup *cg,
		     enum mp_window w)
{
	u64 span;
	s64 delta = mp_ring_level_delta(&cg->usage_pages_hist[w], &s->clock, w,
					cg->usage_pages, cg->first_seen_ns, &span);

	return mp_per_sec(delta * PAGE_SIZE, span);
}

/* Share of the last 10 s stalled on memory, in percent x 100. */
u32 mp_cgroup_psi_avg10(const struct mp_sample *s, const struct mp_cgroup *cg,
			enum mp_psi_state state)
{
	u64 span;
	s64 stalled = mp_ring_counter_delta(&cg->psi_hist[state], &s->clock,
					    MP_WIN_10S,
					    (u32)cg->psi_total_us[state],
					    cg->first_seen_ns, &span);

	/* usec stalled per second / 100 = percent x 100 */
	return min_t(s64, mp_per_sec(stalled, span) / 100, 10000);
}

/*
 * Seconds until the process's cgroup reaches its effective limit if the
 * process keeps growing at its rate over @w; U64_MAX for never.
 */
u64 mp_proc_time_to_limit(const struct mp_sample *s, const struct mp_proc *pr,
			  enum mp_window w)
{
	const struct mp_cgroup *cg;
	u64 seconds;

	if (pr->cgroup_idx == MP_NO_CGROUP)
		return U64_MAX;
	cg = &s->cgroups[pr->cgroup_idx];
	if (!mp_time_to_limit((u64)cg->usage_pages << PAGE_SHIFT,
			      cg->limit_bytes, mp_proc_growth(s, pr, w),
			      &seconds))
		return U64_MAX;
	return seconds;
}
