/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MP_SAMPLER_H
#define _MP_SAMPLER_H

#include <linux/memcontrol.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/workqueue.h>

#include "leak.h"
#include "levels.h"
#include "window.h"

/* The load-time parameters, validated by main.c. */
struct mp_params {
	unsigned int interval_ms;
	unsigned int max_processes;
	unsigned int max_cgroups;
	bool change_tracking;
};

/*
 * mp_proc.cgroup_idx of a process whose cgroup is not in the sample.  The
 * index has 24 bits: max_cgroups is at most 2^20.
 */
#define MP_NO_CGROUP	0xffffffu

/*
 * mp_proc.flags: signal state (docs/signals.md).  The leak rule's bits
 * (MP_LEAK_FLAGS, leak.h) are kept by the sampler at its checkpoints, the
 * others by signals.c.
 */
#define MP_PROC_LEAK		MP_LEAK_SUSPECTED	/* leak suspected */
#define MP_PROC_SOFT_OVER	0x2	/* over its own soft limit */

/*
 * One user process (thread group) in a sample.  Counts are in pages.  Two
 * samples hold one of these per process each: keep it at 120 bytes, so a
 * process costs the module under 256 bytes (see mp_sample_bytes()).
 * Growth rates are derived from rss_hist when printed.
 */
struct mp_proc {
	pid_t pid;			/* in the initial pid namespace */
	u32 cgroup_idx : 24;		/* into mp_sample.cgroups */
	u32 flags : 8;			/* MP_PROC_* */
	u64 start_ns;			/* tells a reused pid from its old owner */
	char comm[TASK_COMM_LEN];
	u32 anon, file, shmem, swap;	/* exact, see mp_read_counters() */
	u32 approx_sum;			/* of the cheap counters: did they move? */
	u32 peak_rss;
	struct mp_ring rss_hist[MP_NR_WINDOWS];
	struct mp_leak leak;		/* the leak rule's, over the footprint */
};

enum mp_cgroup_event {
	MP_EV_LOW,
	MP_EV_HIGH,
	MP_EV_MAX,
	MP_EV_OOM,
	MP_EV_OOM_KILL,
	MP_NR_EVENTS
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
	u64 reported[MP_NR_EVENTS];	/* memory.events counts reported */
};

/*
 * One memory cgroup in a sample.  Counts are in pages; a limit of
 * PAGE_COUNTER_MAX is "max".  The sample holds a reference on @css.
 * @sig and @level change after publication (the fast path, under
 * mp_signal_lock); readers take @level with READ_ONCE().
 */
struct mp_cgroup {
	u64 id;
	struct cgroup_subsys_state *css;
	u32 parent_idx;			/* MP_NO_CGROUP for the root */
	u32 flags;
	unsigned long usage, min, low, high, max;
	unsigned long swap_current, swap_max;
	u64 events[MP_NR_EVENTS];
	u64 psi_total_us[MP_NR_PSI];
	u32 nr_procs;			/* here and in descendants */
	u64 first_seen_ns;
	u64 limit, hard, soft;		/* bytes, docs/signals.md */
	u8 level;			/* enum mempressure_level */
	struct mp_cg_signal sig;
	struct mp_ring usage_hist[MP_NR_WINDOWS];
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

/* What the status file reports about the sampler itself. */
struct mp_sampler_stats {
	u64 samples;
	u64 last_us, max_us, total_us;
	u64 memory_bytes;
	u32 nr_procs, nr_cgroups;
	u32 procs_skipped, cgroups_skipped;
	u32 nr_read;			/* in the latest sample */
	u64 full_walks, full_walk_us;	/* samples that read every process */
	u64 changes_missed;		/* found by full walks, see sampler.c */
	bool tracking;			/* change tracking (changes.c) is on */
	u64 events, events_buffered;	/* filled in by events.c */
};

int mp_sampler_start(const struct mp_params *params);
void mp_sampler_stop(void);
const struct mp_sample *mp_sampler_current(void);
struct mp_sample *mp_sampler_published(void);	/* under mp_signal_lock */
const struct mp_proc *mp_sample_proc(const struct mp_sample *s, pid_t pid);
u32 mp_sample_proc_from(const struct mp_sample *s, u32 i, pid_t pid);
struct mp_cgroup *mp_sample_cgroup(const struct mp_sample *s, u64 id);
void mp_read_memcg_events(struct mem_cgroup *memcg, u64 *counts);
void mp_sampler_stats(struct mp_sampler_stats *stats);
const struct mp_params *mp_sampler_params(void);
void mp_sampler_mark(pid_t tgid);

s64 mp_proc_growth(const struct mp_sample *s, const struct mp_proc *pr,
		   enum mp_window w);
s64 mp_cgroup_growth(const struct mp_sample *s, const struct mp_cgroup *cg,
		     enum mp_window w);
s64 mp_proc_leak_growth(const struct mp_sample *s, const struct mp_proc *pr,
			enum mp_window w);
u64 mp_proc_time_to_limit(const struct mp_sample *s, const struct mp_proc *pr,
			  enum mp_window w);
u32 mp_cgroup_psi_avg10(const struct mp_sample *s, const struct mp_cgroup *cg,
			enum mp_psi_state state);

static inline u32 mp_proc_rss(const struct mp_proc *pr)
{
	return pr->anon + pr->file + pr->shmem;
}

/* What the leak rule watches: what reclaim cannot drop (leak.c). */
static inline u32 mp_proc_footprint(const struct mp_proc *pr)
{
	return pr->anon + pr->shmem + pr->swap;
}

#endif /* _MP_SAMPLER_H */
