/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The data model: a sample, every user process and every memory cgroup as
 * of one instant, and what is derived from it (growth rates, time to a
 * limit, PSI averages).  The sampler (sampler.c) writes samples and
 * publishes them; the tables (procfs.c), the signals (signals.c) and the
 * settings (config.c) read them, under RCU (mp_sampler_current()) or
 * under mp_sample_lock (mp_sampler_published()).
 */
#ifndef _MP_SAMPLE_H
#define _MP_SAMPLE_H

#include <linux/cgroup.h>
#include <linux/sched.h>
#include <linux/types.h>

#include "levels.h"
#include "window.h"

/*
 * mp_proc.cgroup_idx of a process whose cgroup is not in the sample.  The
 * index has 24 bits: max_cgroups is at most 2^20.
 */
#define MP_NO_CGROUP	0xffffffu

/* mp_proc.flags: signal state (docs/signals.md), kept by signals.c. */
#define MP_PROC_LEAK		0x1	/* leak suspected */
#define MP_PROC_SOFT_OVER	0x2	/* over its own soft limit */

/*
 * One user process (thread group) in a sample.  Two samples hold one of
 * these per process each: keep it at 104 bytes, so a process costs the
 * module under 256 bytes (see mp_sample_bytes()).  Growth rates are
 * derived from rss_pages_hist when printed.
 */
struct mp_proc {
	pid_t pid;			/* in the initial pid namespace */
	u32 cgroup_idx : 24;		/* into mp_sample.cgroups */
	u32 flags : 8;			/* MP_PROC_* */
	u64 start_ns;			/* tells a reused pid from its old owner */
	char comm[TASK_COMM_LEN];
	u32 anon_pages, file_pages;	/* exact, see mp_read_counters() */
	u32 shmem_pages, swap_pages;
	u32 approx_pages;		/* the cheap counters' sum: did they move? */
	u32 peak_rss_pages;
	struct mp_ring rss_pages_hist[MP_NR_WINDOWS];
};

/* The memory.events counters the module reads, in mp_cgroup.events[]. */
enum mp_memcg_event {
	MP_MEMCG_EV_LOW,
	MP_MEMCG_EV_HIGH,
	MP_MEMCG_EV_MAX,
	MP_MEMCG_EV_OOM,
	MP_MEMCG_EV_OOM_KILL,
	MP_NR_MEMCG_EVENTS
};

enum mp_psi_state {
	MP_PSI_SOME,
	MP_PSI_FULL,
	MP_NR_PSI
};

/* mp_cgroup.flags */
#define MP_CG_SYSTEM	0x1	/* the root: values are the whole system's */
#define MP_CG_PSI	0x2	/* psi_total and psi_avg10 are valid */

/* A cgroup's signal state, carried from sample to sample (signals.c). */
struct mp_cg_signal {
	struct mp_level_state level;
	bool soft_over;
	u8 fast_reported;		/* BIT(MP_MEMCG_EV_*) since the sample */
	u64 reported[MP_NR_MEMCG_EVENTS];	/* memory.events counts reported */
	u64 seen[MP_NR_MEMCG_EVENTS];		/* ... and looked at */
};

/*
 * One memory cgroup in a sample.  A limit of PAGE_COUNTER_MAX pages is
 * "max".  The sample holds a reference on @css.
 * @sig and @level change after publication (the fast path, under
 * mp_sample_lock); readers take @level with READ_ONCE().
 */
struct mp_cgroup {
	u64 id;
	struct cgroup_subsys_state *css;
	u32 parent_idx;			/* MP_NO_CGROUP for the root */
	u32 flags;
	unsigned long usage_pages, min_pages, low_pages;
	unsigned long high_pages, max_pages;
	unsigned long swap_current_pages, swap_max_pages;
	u64 events[MP_NR_MEMCG_EVENTS];
	u64 psi_total_us[MP_NR_PSI];
	u32 nr_procs;			/* here and in descendants */
	u64 first_seen_ns;
	u64 limit_bytes, hard_bytes;	/* docs/signals.md */
	u64 soft_bytes;
	u8 level;			/* enum mempressure_level */
	struct mp_cg_signal sig;
	struct mp_ring usage_pages_hist[MP_NR_WINDOWS];
	struct mp_ring psi_hist[MP_NR_PSI];	/* over MP_WIN_10S */
};

/*
 * One sample: every process sorted by pid, every memory cgroup sorted by id.
 * Published with RCU; readers never see one being written.
 */
struct mp_sample {
	u64 seq;
	u64 time_ns;
	struct mp_clock clock;		/* the checkpoints as of this sample */
	struct mp_proc *procs;
	u32 nr_procs, cap_procs;
	/*
	 * Bitmaps over procs, cap_procs bits each, one allocation: @marks,
	 * processes a change probe marked since this sample read them
	 * (set_bit() from any context while published); @recheck, processes
	 * this sample read for a mark or saw first, read once more at the
	 * next (changes.c).
	 */
	unsigned long *marks, *recheck;
	u32 nr_read;			/* processes read, not carried over */
	struct mp_cgroup *cgroups;
	u32 nr_cgroups, cap_cgroups;
	u32 procs_skipped, cgroups_skipped;
};

const struct mp_proc *mp_sample_proc(const struct mp_sample *s, pid_t pid);
u32 mp_sample_proc_from(const struct mp_sample *s, u32 i, pid_t pid);
u32 mp_sample_cgroup_from(const struct mp_sample *s, u64 id);
struct mp_cgroup *mp_sample_cgroup(const struct mp_sample *s, u64 id);

s64 mp_proc_growth(const struct mp_sample *s, const struct mp_proc *pr,
		   enum mp_window w);
s64 mp_cgroup_growth(const struct mp_sample *s, const struct mp_cgroup *cg,
		     enum mp_window w);
u64 mp_proc_time_to_limit(const struct mp_sample *s, const struct mp_proc *pr,
			  enum mp_window w);
u32 mp_cgroup_psi_avg10(const struct mp_sample *s, const struct mp_cgroup *cg,
			enum mp_psi_state state);

static inline u32 mp_proc_rss_pages(const struct mp_proc *pr)
{
	return pr->anon_pages + pr->file_pages + pr->shmem_pages;
}

#endif /* _MP_SAMPLE_H */
