// SPDX-License-Identifier: GPL-2.0
/*
 * Signals: levels, soft limits and leak suspicion (docs/signals.md), turned
 * into events (events.c).
 *
 * The rules are in levels.c; this file feeds them.  At every sample the
 * sampler calls mp_signals_sample() on the sample it is about to publish:
 * each cgroup's state carries over from the last sample, and what changed
 * becomes events.  Between samples, the fast path (fastpath.c) calls
 * mp_signals_kick() from the kernel's memcg reclaim and OOM-victim
 * tracepoints; a work item then reads the memory.events counters and usage
 * of the published sample's cgroups again, reports the new counts and
 * raises levels at once, without waiting for the next tick.  It never
 * lowers a level: falling needs the calm period, which the ticks measure.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>
#include <linux/kernfs.h>
#include <linux/memcontrol.h>
#include <linux/page_counter.h>
#include <linux/pid.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "config.h"
#include "events.h"
#include "levels.h"
#include "sampler.h"
#include "signals.h"

/* See signals.h. */
DEFINE_MUTEX(mp_signal_lock);

static const enum mempressure_event_kind mp_count_kinds[MP_NR_EVENTS] = {
	[MP_EV_LOW] = MEMPRESSURE_EVENT_NR,	/* not reported */
	[MP_EV_HIGH] = MEMPRESSURE_EVENT_HIGH,
	[MP_EV_MAX] = MEMPRESSURE_EVENT_MAX,
	[MP_EV_OOM] = MEMPRESSURE_EVENT_OOM,
	[MP_EV_OOM_KILL] = MEMPRESSURE_EVENT_OOM_KILL,
};

static struct work_struct mp_fast_work;
static bool mp_fast_enabled;
static u64 mp_fast_runs;
static char mp_path_buf[PATH_MAX];	/* under mp_signal_lock */

/* --- raising events ------------------------------------------------------ */

static char *mp_cgroup_path(const struct mp_cgroup *cg)
{
	if (cgroup_path(cg->css->cgroup, mp_path_buf, sizeof(mp_path_buf)) < 0)
		return NULL;
	return kstrdup(mp_path_buf, GFP_KERNEL);
}

/* An event about a cgroup; dropped only if its path cannot be allocated. */
static void mp_emit_cgroup(const struct mp_cgroup *cg, struct mp_event *ev)
{
	ev->path = mp_cgroup_path(cg);
	if (!ev->path) {
		pr_warn_ratelimited("out of memory: an event is lost\n");
		return;
	}
	mp_event_emit(ev);
}

static void mp_emit_process(const struct mp_sample *s,
			    const struct mp_proc *pr, struct mp_event *ev)
{
	rcu_read_lock();
	ev->pid = get_pid(find_pid_ns(pr->pid, &init_pid_ns));
	rcu_read_unlock();
	if (!ev->pid)
		return;		/* gone since the walk: nobody to tell about */
	memcpy(ev->comm, pr->comm, sizeof(ev->comm));
	if (pr->cgroup_idx != MP_NO_CGROUP)
		ev->path = mp_cgroup_path(&s->cgroups[pr->cgroup_idx]);
	mp_event_emit(ev);
}

/* Report memory.events increments; true per counter that grew. */
static void mp_report_counts(const struct mp_cgroup *cg,
			     struct mp_cg_signal *sig, const u64 *counts,
			     bool *grew)
{
	int e;

	for (e = 0; e < MP_NR_EVENTS; e++) {
		struct mp_event ev = { 0 };

		grew[e] = counts[e] > sig->reported[e];
		if (!grew[e])
			continue;
		if (mp_count_kinds[e] != MEMPRESSURE_EVENT_NR) {
			ev.kind = mp_count_kinds[e];
			ev.v[MP_EV_COUNT] = counts[e];
			ev.v[MP_EV_DELTA] = counts[e] - sig->reported[e];
			mp_emit_cgroup(cg, &ev);
		}
		sig->reported[e] = counts[e];
	}
}

/* --- cgroups --------------------------------------------------------------- */

static u64 mp_cgroup_soft_bytes(const struct mp_cgroup *cg, const u64 *t)
{
	struct mp_soft_cfg cfg;
	bool own;

	rcu_read_lock();
	own = mp_cgroup_soft(cg->id, &cfg);
	rcu_read_unlock();
	if (!own)
		return mp_percent_of(cg->limit, t[MEMPRESSURE_TUNABLE_SOFT_PCT]);
	return cfg.percent ? mp_percent_of(cg->limit, cfg.value) : cfg.value;
}

/* Evaluate one cgroup's level; @usage and @counts may be fresher than @cg. */
static void mp_cgroup_level(const struct mp_sample *s, struct mp_cgroup *cg,
			    u64 usage, const bool *grew, const u64 *t,
			    bool may_fall)
{
	struct mp_cg_signal *sig = &cg->sig;
	struct mp_level_input in = {
		.usage = usage, .limit = cg->limit, .hard = cg->hard,
		.soft = cg->soft,
		.psi_some = MP_PSI_NONE, .psi_full = MP_PSI_NONE,
		.new_high = grew[MP_EV_HIGH],
		.new_max = grew[MP_EV_MAX],
		.new_oom = grew[MP_EV_OOM] || grew[MP_EV_OOM_KILL],
	};
	enum mempressure_reason reason;
	enum mempressure_level raw;
	u8 old = sig->level.level;

	if (cg->flags & MP_CG_PSI) {
		in.psi_some = mp_cgroup_psi_avg10(s, cg, MP_PSI_SOME);
		in.psi_full = mp_cgroup_psi_avg10(s, cg, MP_PSI_FULL);
	}
	raw = mp_raw_level(&in, t, &reason);
	if (mp_level_update(&sig->level, raw, ktime_get_ns(),
			    t[MEMPRESSURE_TUNABLE_CALM_MS] * NSEC_PER_MSEC,
			    may_fall)) {
		struct mp_event ev = {
			.kind = MEMPRESSURE_EVENT_LEVEL,
			.level = sig->level.level, .old_level = old,
			.reason = sig->level.level > old ? reason :
				  MEMPRESSURE_REASON_CALM,
			.v = { usage, cg->limit },
		};

		WRITE_ONCE(cg->level, sig->level.level);
		mp_emit_cgroup(cg, &ev);
	}
}

/* @old: @cg in the sample before, if any; @first: there was none before. */
static void mp_cgroup_signals(const struct mp_sample *s, struct mp_cgroup *cg,
			      const struct mp_cgroup *old, bool first,
			      const u64 *t)
{
	struct mp_cg_signal *sig = &cg->sig;
	u64 usage = (u64)cg->usage << PAGE_SHIFT;
	bool grew[MP_NR_EVENTS];
	int crossed;

	if (old) {
		*sig = old->sig;
	} else {
		/* A cgroup's history before we saw it is not news. */
		memset(sig, 0, sizeof(*sig));
		memcpy(sig->reported, cg->events, sizeof(sig->reported));
	}
	cg->soft = mp_cgroup_soft_bytes(cg, t);

	mp_report_counts(cg, sig, cg->events, grew);
	mp_cgroup_level(s, cg, usage, grew, t, true);

	/*
	 * The limits moved (memory.high or memory.max written, or a soft
	 * limit set), or became known (a cgroup created since the first
	 * sample): what sizes itself to the soft limit, a Go service's
	 * GOMEMLIMIT say, must hear it even when the level stays.  At the
	 * first sample every cgroup is new, and none of it news.
	 */
	if (old ? old->limit != cg->limit || old->soft != cg->soft : !first) {
		struct mp_event ev = {
			.kind = MEMPRESSURE_EVENT_LIMIT,
			.level = sig->level.level,
			.v = { usage, cg->limit, cg->soft },
		};

		mp_emit_cgroup(cg, &ev);
	}

	crossed = mp_soft_update(&sig->soft_over, usage, cg->soft,
				 t[MEMPRESSURE_TUNABLE_SOFT_MARGIN_PCT]);
	if (crossed) {
		struct mp_event ev = {
			.kind = crossed > 0 ? MEMPRESSURE_EVENT_SOFT_OVER :
					      MEMPRESSURE_EVENT_SOFT_UNDER,
			.v = { usage, cg->soft },
		};

		mp_emit_cgroup(cg, &ev);
	}
	WRITE_ONCE(cg->level, sig->level.level);
}

/* --- processes ---------------------------------------------------------- */

static const enum mp_window mp_leak_windows[] = { MP_WIN_10S, MP_WIN_60S,
						  MP_WIN_300S };

/* The growth window leak_window names. */
enum mp_window mp_leak_window(void)
{
	u64 seconds = mp_tunable(MEMPRESSURE_TUNABLE_LEAK_WINDOW);
	int w;

	for (w = 0; w < ARRAY_SIZE(mp_leak_windows); w++)
		if (mp_window_seconds(mp_leak_windows[w]) == seconds)
			return mp_leak_windows[w];
	return MP_WIN_60S;
}

/*
 * Leak suspicion, raised or cleared: the sampler's last checkpoint changed
 * it (leak.c); tell.
 */
static void mp_process_leak(const struct mp_sample *s, struct mp_proc *pr)
{
	enum mp_window w = mp_leak_window();
	struct mp_event ev = {
		.kind = pr->flags & MP_PROC_LEAK ?
			MEMPRESSURE_EVENT_LEAK_SUSPECTED :
			MEMPRESSURE_EVENT_LEAK_CLEARED,
		.v = { (u64)mp_proc_rss(pr) << PAGE_SHIFT,
		       mp_proc_leak_growth(s, pr, w),
		       mp_proc_time_to_limit(s, pr, w) },
	};

	pr->flags &= ~MP_LEAK_CHANGED;
	mp_emit_process(s, pr, &ev);
}

/* Over or under its own soft limit, or its limit removed. */
static void mp_process_soft_limit(const struct mp_sample *s,
				  struct mp_proc *pr, const u64 *t)
{
	u64 rss = (u64)mp_proc_rss(pr) << PAGE_SHIFT;
	bool flag;
	u64 soft;
	int change;

	rcu_read_lock();
	if (!mp_process_soft(pr->pid, pr->start_ns, &soft))
		soft = 0;
	rcu_read_unlock();
	flag = pr->flags & MP_PROC_SOFT_OVER;
	change = soft ? mp_soft_update(&flag, rss, soft,
				       t[MEMPRESSURE_TUNABLE_SOFT_MARGIN_PCT]) :
			(flag ? -1 : 0);	/* limit removed: under */
	if (change) {
		struct mp_event ev = {
			.kind = change > 0 ? MEMPRESSURE_EVENT_SOFT_OVER :
					     MEMPRESSURE_EVENT_SOFT_UNDER,
			.v = { rss, soft },
		};

		pr->flags ^= MP_PROC_SOFT_OVER;
		mp_emit_process(s, pr, &ev);
	}
}

/* --- the tick ------------------------------------------------------------- */

void mp_signals_sample(struct mp_sample *next, const struct mp_sample *prev)
{
	u64 t[MEMPRESSURE_TUNABLE_NR];
	bool soft;
	u32 i;

	lockdep_assert_held(&mp_signal_lock);
	mp_tunables(t);
	for (i = 0; i < next->nr_cgroups; i++) {
		struct mp_cgroup *cg = &next->cgroups[i];

		mp_cgroup_signals(next, cg, mp_sample_cgroup(prev, cg->id),
				  !prev, t);
	}
	soft = mp_any_process_soft();
	for (i = 0; i < next->nr_procs; i++) {
		struct mp_proc *pr = &next->procs[i];

		if (pr->flags & MP_LEAK_CHANGED)
			mp_process_leak(next, pr);
		if (soft || (pr->flags & MP_PROC_SOFT_OVER))
			mp_process_soft_limit(next, pr, t);
	}
}

/* --- the fast path -------------------------------------------------------- */

static void mp_fast_pass(struct work_struct *work)
{
	struct mp_sample *s;
	u64 t[MEMPRESSURE_TUNABLE_NR];
	u32 i;

	mutex_lock(&mp_signal_lock);
	mp_tunables(t);
	s = mp_sampler_published();
	for (i = 0; i < s->nr_cgroups; i++) {
		struct mp_cgroup *cg = &s->cgroups[i];
		struct mem_cgroup *memcg;
		bool grew[MP_NR_EVENTS];
		u64 counts[MP_NR_EVENTS];

		if (cg->flags & MP_CG_SYSTEM)
			continue;
		memcg = mem_cgroup_from_css(cg->css);
		mp_read_memcg_events(memcg, counts);
		mp_report_counts(cg, &cg->sig, counts, grew);
		mp_cgroup_level(s, cg, (u64)page_counter_read(&memcg->memory) <<
				PAGE_SHIFT, grew, t, false);
	}
	mp_fast_runs++;
	mutex_unlock(&mp_signal_lock);
}

/* From tracepoints: any context, so it only queues the pass. */
void mp_signals_kick(void)
{
	if (READ_ONCE(mp_fast_enabled))
		queue_work(system_unbound_wq, &mp_fast_work);
}

u64 mp_signals_fast_runs(void)
{
	return READ_ONCE(mp_fast_runs);
}

int mp_signals_start(void)
{
	INIT_WORK(&mp_fast_work, mp_fast_pass);
	WRITE_ONCE(mp_fast_enabled, true);
	return 0;
}

/* After the tracepoints are gone: nothing queues the pass any more. */
void mp_signals_stop(void)
{
	WRITE_ONCE(mp_fast_enabled, false);
	cancel_work_sync(&mp_fast_work);
}
