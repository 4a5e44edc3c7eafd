/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The sampler: takes a sample (sample.h) every interval_ms and publishes
 * it (sampler.c says how), and keeps what the status file reports of it.
 */
#ifndef _MP_SAMPLER_H
#define _MP_SAMPLER_H

#include <linux/memcontrol.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/types.h>

#include "sample.h"

/* The load-time parameters, validated by main.c. */
struct mp_params {
	unsigned int interval_ms;
	unsigned int max_processes;
	unsigned int max_cgroups;
	bool change_tracking;
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

/*
 * Held by the sampler for a whole sample and by the fast path for a whole
 * pass (signals.c): either sees the published sample stable, and they take
 * turns at each cgroup's signal state.
 */
extern struct mutex mp_sample_lock;

int mp_sampler_start(const struct mp_params *params);
void mp_sampler_stop(void);
const struct mp_sample *mp_sampler_current(void);
struct mp_sample *mp_sampler_published(void);	/* under mp_sample_lock */
void mp_read_memcg_events(struct mem_cgroup *memcg, u64 *counts);
void mp_sampler_stats(struct mp_sampler_stats *stats);
const struct mp_params *mp_sampler_params(void);
void mp_sampler_mark(pid_t tgid);
bool mp_sampler_has_cgroup(u64 id);

#endif /* _MP_SAMPLER_H */
