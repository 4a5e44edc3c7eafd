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
 *
 * A cgroup held at its limit has its counters grow on every reclaim pass,
 * and the fast path runs after each.  Reporting each pass would let one
 * cgroup fill the event buffer and push other cgroups' events out of it
 * before a reader comes.  So between two samples the fast path reports
 * each counter of a cgroup once, the first increment, at once; what grows
 * after that waits for the next sample, which reports it in one record
 * whose delta is the sum.  A cgroup adds at most two records per counter
 * per interval, however hard it is pressed.
 *
 * Every increment of a cgroup's counters is news once, however short its
 * life.  A cgroup the module first sees was either there at load, whose
 * history is not news, or created since, whose counters started at 0:
 * kernfs gives cgroups increasing ids, so one with an id above every id
 * of the first sample was created after it, and all of its counts are
 * reported.  Some cgroups are known without being in the published
 * sample: one born since it, which the fast path hears of from a
 * tracepoint (the reclaiming task's or the OOM victim's cgroup; the probe
 * pins it), and one a sample left out for want of room.  These are kept,
 * pinned, with their signal state, in a small table (mp_unsampled) that
 * the fast path reports from and each sample takes back from: a cgroup
 * the sample now holds takes its state over, and one that was removed
 * has its last increments reported and goes.  A cgroup the last sample
 * held and that was removed since has its last increments reported at
 * the next sample: the last sample still pins it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>
#include <linux/kernfs.h>
#include <linux/memcontrol.h>
#include <linux/page_counter.h>
#include <linux/pid.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "config.h"
#include "events.h"
#include "levels.h"
#include "sampler.h"
#include "signals.h"

static const enum mempressure_event_kind mp_count_kinds[MP_NR_MEMCG_EVENTS] = {
	[MP_MEMCG_EV_LOW] = MEMPRESSURE_EVENT_NR,	/* not reported */
	[MP_MEMCG_EV_HIGH] = MEMPRESSURE_EVENT_HIGH,
	[MP_MEMCG_EV_MAX] = MEMPRESSURE_EVENT_MAX,
	[MP_MEMCG_EV_OOM] = MEMPRESSURE_EVENT_OOM,
	[MP_MEMCG_EV_OOM_KILL] = MEMPRESSURE_EVENT_OOM_KILL,
};

static struct work_struct mp_fast_work;
static bool mp_fast_enabled;
static u64 mp_fast_runs;
static char mp_path_buf[MP_CGROUP_PATH_SIZE];	/* under mp_sample_lock */

/* Cgroups with a greater id were created after the first sample. */
static u64 mp_first_max_id;		/* under mp_sample_lock */

/*
 * Cgroups known but not in the published sample (see the top), at most
 * MP_UNSAMPLED_MAX: beyond that, one is left to the next sample that
 * finds it.  Under mp_sample_lock; each entry pins its css.
 */
#define MP_UNSAMPLED_MAX	64

struct mp_unsampled {
	struct cgroup_subsys_state *css;
	u64 id;
	struct mp_cg_signal sig;
};

static struct mp_unsampled mp_unsampled[MP_UNSAMPLED_MAX];
static u32 mp_nr_unsampled;

/*
 * Cgroups the probes heard of that the published sample lacks, pinned,
 * for the next pass.  More than MP_HEARD_MAX between two passes are left
 * to the sample.
 */
#define MP_HEARD_MAX	16

static DEFINE_RAW_SPINLOCK(mp_heard_lock);
static struct cgroup_subsys_state *mp_heard[MP_HEARD_MAX];
static u32 mp_nr_heard;

/* --- raising events ------------------------------------------------------ */

/* The cgroup's path, or "" (printed "-") if it is too long for a line. */
static struct mp_event_path *mp_cgroup_path(struct cgroup_subsys_state *css)
{
	if (mp_whole_cgroup_path(css->cgroup, mp_path_buf) < 0)
		mp_path_buf[0] = '\0';
	return mp_event_path_alloc(mp_path_buf);
}

/* An event about a cgroup; dropped only if its path cannot be allocated. */
static void mp_emit_cgroup(struct cgroup_subsys_state *css,
			   struct mp_record *ev)
{
	ev->path = mp_cgroup_path(css);
	if (!ev->path) {
		pr_warn_ratelimited("out of memory: an event is lost\n");
		return;
	}
	mp_event_emit(ev);
}

/*
 * An event about the process the sample read: the pid of that very task,
 * which a process born since with the same number (same pid, another
 * start time) must not stand in for, with another command name and owner.
 */
static void mp_emit_process(const struct mp_sample *s,
			    const struct mp_proc *pr, struct mp_record *ev)
{
	struct task_struct *p;
	struct pid *pid;

	rcu_read_lock();
	pid = find_pid_ns(pr->pid, &init_pid_ns);
	p = pid_task(pid, PIDTYPE_TGID);
	if (p && p->start_time == pr->start_ns)
		ev->pid = get_pid(pid);
	rcu_read_unlock();
	if (!ev->pid)
		return;		/* gone since the walk: nobody to tell about */
	memcpy(ev->comm, pr->comm, sizeof(ev->comm));
	if (pr->cgroup_idx != MP_NO_CGROUP)
		ev->path = mp_cgroup_path(s->cgroups[pr->cgroup_idx].css);
	mp_event_emit(ev);
}

/*
 * Report memory.events increments, at most one a counter between two
 * samples from the fast path (@fast); true in @grew per counter that grew
 * since it was last looked at.
 */
static void mp_report_counts(struct cgroup_subsys_state *css,
			     struct mp_cg_signal *sig, const u64 *counts,
			     bool *grew, bool fast)
{
	int e;

	for (e = 0; e < MP_NR_MEMCG_EVENTS; e++) {
		struct mp_record ev = { 0 };

		grew[e] = counts[e] > sig->seen[e];
		sig->seen[e] = max(sig->seen[e], counts[e]);
		if (counts[e] <= sig->reported[e])
			continue;
		if (fast && (sig->fast_reported & BIT(e)))
			continue;	/* the next sample reports it */
		if (mp_count_kinds[e] != MEMPRESSURE_EVENT_NR) {
			ev.kind = mp_count_kinds[e];
			ev.v[MP_VAL_COUNT] = counts[e];
			ev.v[MP_VAL_DELTA] = counts[e] - sig->reported[e];
			mp_emit_cgroup(css, &ev);
		}
		sig->reported[e] = counts[e];
		if (fast)
			sig->fast_reported |= BIT(e);
	}
	if (!fast)
		sig->fast_reported = 0;
}

/* --- cgroups the sample does not hold --------------------------------------- */

/* Whether @css was removed (rmdir): its counters will not move again. */
static bool mp_css_removed(struct cgroup_subsys_state *css)
{
	if (!css_tryget_online(css))
		return true;
	css_put(css);
	return false;
}

static struct mp_unsampled *mp_unsampled_find(u64 id)
{
	u32 i;

	for (i = 0; i < mp_nr_unsampled; i++)
		if (mp_unsampled[i].id == id)
			return &mp_unsampled[i];
	return NULL;
}

static void mp_unsampled_drop(struct mp_unsampled *u)
{
	css_put(u->css);
	*u = mp_unsampled[--mp_nr_unsampled];
}

/*
 * Keep @css, which the caller has pinned, with @sig, or its state since
 * its creation (or, if it was there at load, from now) if @sig is NULL.
 * Takes over the reference, or drops it if the table is full.
 */
static void mp_unsampled_add(struct cgroup_subsys_state *css,
			     const struct mp_cg_signal *sig)
{
	u64 id = cgroup_id(css->cgroup);
	struct mp_unsampled *u;

	if (mp_nr_unsampled == MP_UNSAMPLED_MAX || mp_unsampled_find(id)) {
		css_put(css);
		return;
	}
	u = &mp_unsampled[mp_nr_unsampled++];
	u->css = css;
	u->id = id;
	if (sig) {
		u->sig = *sig;
		return;
	}
	memset(&u->sig, 0, sizeof(u->sig));
	if (id <= mp_first_max_id) {
		mp_read_memcg_events(mem_cgroup_from_css(css), u->sig.reported);
		memcpy(u->sig.seen, u->sig.reported, sizeof(u->sig.seen));
	}
}

/*
 * Report the counts of every cgroup kept, from the fast path (@fast) or at
 * a sample, which also forgets those removed: nothing will move them.
 */
static void mp_unsampled_report(bool fast)
{
	u32 i = 0;

	while (i < mp_nr_unsampled) {
		struct mp_unsampled *u = &mp_unsampled[i];
		bool removed = !fast && mp_css_removed(u->css);
		bool grew[MP_NR_MEMCG_EVENTS];
		u64 counts[MP_NR_MEMCG_EVENTS];

		mp_read_memcg_events(mem_cgroup_from_css(u->css), counts);
		mp_report_counts(u->css, &u->sig, counts, grew, fast);
		if (removed)
			mp_unsampled_drop(u);	/* moves the last one here */
		else
			i++;
	}
}

/*
 * The cgroups the probes heard of, into the table, with their ancestors
 * that the published sample lacks too: counts are hierarchical, and a
 * parent born with its child (a pod and its container) has them as well.
 */
static void mp_take_heard(const struct mp_sample *s)
{
	struct cgroup_subsys_state *heard[MP_HEARD_MAX];
	u32 i, nr;

	raw_spin_lock_irq(&mp_heard_lock);
	nr = mp_nr_heard;
	memcpy(heard, mp_heard, nr * sizeof(heard[0]));
	mp_nr_heard = 0;
	raw_spin_unlock_irq(&mp_heard_lock);

	for (i = 0; i < nr; i++) {
		struct cgroup_subsys_state *css = heard[i];

		while (css && css->parent &&
		       !mp_sample_cgroup(s, cgroup_id(css->cgroup)) &&
		       !mp_unsampled_find(cgroup_id(css->cgroup))) {
			struct cgroup_subsys_state *parent = css->parent;

			/* The child pins its parent while we hold it. */
			css_get(css);
			mp_unsampled_add(css, NULL);
			css = parent;
		}
		css_put(heard[i]);
	}
}

/*
 * At a sample: each cgroup of @prev gone from @next, if removed, reports
 * its last increments (@prev still pins it), and is otherwise kept in the
 * table; and the table's cgroups that @next holds leave it (taken over by
 * mp_first_seen()), those removed report and leave, the others report.
 */
static void mp_sample_unsampled(const struct mp_sample *next,
				struct mp_sample *prev)
{
	u32 i;

	for (i = 0; i < prev->nr_cgroups; i++) {
		struct mp_cgroup *old = &prev->cgroups[i];
		bool grew[MP_NR_MEMCG_EVENTS];
		u64 counts[MP_NR_MEMCG_EVENTS];

		if ((old->flags & MP_CG_SYSTEM) || mp_sample_cgroup(next, old->id))
			continue;
		if (!mp_css_removed(old->css)) {
			/* Left out for want of room: kept, with its state. */
			if (READ_ONCE(mp_fast_enabled)) {
				css_get(old->css);
				mp_unsampled_add(old->css, &old->sig);
			}
			continue;
		}
		mp_read_memcg_events(mem_cgroup_from_css(old->css), counts);
		mp_report_counts(old->css, &old->sig, counts, grew, false);
	}
	mp_unsampled_report(false);
}

/* A cgroup not in the last sample: where its signal state starts. */
static void mp_first_seen(struct mp_cgroup *cg, struct mp_cg_signal *sig)
{
	struct mp_unsampled *u = mp_unsampled_find(cg->id);

	memset(sig, 0, sizeof(*sig));
	if (u) {
		/* What was reported of it while it was not in a sample. */
		memcpy(sig->reported, u->sig.reported, sizeof(sig->reported));
		memcpy(sig->seen, u->sig.seen, sizeof(sig->seen));
		sig->fast_reported = u->sig.fast_reported;
		mp_unsampled_drop(u);
	} else if (cg->id <= mp_first_max_id) {
		/* There at load: its history before we saw it is not news. */
		memcpy(sig->reported, cg->events, sizeof(sig->reported));
		memcpy(sig->seen, cg->events, sizeof(sig->seen));
	}
	/* Else created since the first sample: every count is news. */
}

/* From the probes, in any context: @css is not in the published sample. */
static void mp_hear(struct cgroup_subsys_state *css)
{
	unsigned long flags;
	u32 i;

	raw_spin_lock_irqsave(&mp_heard_lock, flags);
	for (i = 0; i < mp_nr_heard && mp_heard[i] != css; i++)
		;
	if (i == mp_nr_heard && i < MP_HEARD_MAX && css_tryget(css))
		mp_heard[mp_nr_heard++] = css;
	raw_spin_unlock_irqrestore(&mp_heard_lock, flags);
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
		return mp_percent_of(cg->limit_bytes,
				     t[MEMPRESSURE_TUNABLE_SOFT_PCT]);
	return cfg.percent ? mp_percent_of(cg->limit_bytes, cfg.value) : cfg.value;
}

/* Evaluate one cgroup's level; @usage and @counts may be fresher than @cg. */
static void mp_cgroup_level(const struct mp_sample *s, struct mp_cgroup *cg,
			    u64 usage, const bool *grew, const u64 *t,
			    bool may_fall)
{
	struct mp_cg_signal *sig = &cg->sig;
	struct mp_level_input in = {
		.usage_bytes = usage, .limit_bytes = cg->limit_bytes,
		.hard_bytes = cg->hard_bytes, .soft_bytes = cg->soft_bytes,
		.psi_some = MP_PSI_NONE, .psi_full = MP_PSI_NONE,
		.new_high = grew[MP_MEMCG_EV_HIGH],
		.new_max = grew[MP_MEMCG_EV_MAX],
		.new_oom = grew[MP_MEMCG_EV_OOM] || grew[MP_MEMCG_EV_OOM_KILL],
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
		struct mp_record ev = {
			.kind = MEMPRESSURE_EVENT_LEVEL,
			.level = sig->level.level, .old_level = old,
			.reason = sig->level.level > old ? reason :
				  MEMPRESSURE_REASON_CALM,
			.v = { usage, cg->limit_bytes },
		};

		WRITE_ONCE(cg->level, sig->level.level);
		mp_emit_cgroup(cg->css, &ev);
	}
}

/* @old: @cg in the sample before, if any; @first: there was none before. */
static void mp_cgroup_signals(const struct mp_sample *s, struct mp_cgroup *cg,
			      const struct mp_cgroup *old, bool first,
			      const u64 *t)
{
	struct mp_cg_signal *sig = &cg->sig;
	u64 usage = (u64)cg->usage_pages << PAGE_SHIFT;
	bool grew[MP_NR_MEMCG_EVENTS], changed;
	int crossed;

	if (old)
		*sig = old->sig;
	else
		mp_first_seen(cg, sig);
	cg->soft_bytes = mp_cgroup_soft_bytes(cg, t);

	mp_report_counts(cg->css, sig, cg->events, grew, false);
	mp_cgroup_level(s, cg, usage, grew, t, true);

	/*
	 * The limits moved (memory.high or memory.max written, or a soft
	 * limit set), or became known (a cgroup created since the first
	 * sample): what sizes itself to the soft limit, a Go service's
	 * GOMEMLIMIT say, must hear it even when the level stays.  At the
	 * first sample every cgroup is new, and none of it news.
	 */
	changed = old && (old->limit_bytes != cg->limit_bytes ||
			  old->soft_bytes != cg->soft_bytes);
	if (old ? changed : !first) {
		struct mp_record ev = {
			.kind = MEMPRESSURE_EVENT_LIMIT,
			.level = sig->level.level,
			.v = { usage, cg->limit_bytes, cg->soft_bytes },
		};

		mp_emit_cgroup(cg->css, &ev);
	}

	crossed = mp_soft_update(&sig->soft_over, usage, cg->soft_bytes,
				 t[MEMPRESSURE_TUNABLE_SOFT_MARGIN_PCT]);
	if (crossed) {
		struct mp_record ev = {
			.kind = crossed > 0 ? MEMPRESSURE_EVENT_SOFT_OVER :
					      MEMPRESSURE_EVENT_SOFT_UNDER,
			.v = { usage, cg->soft_bytes },
		};

		mp_emit_cgroup(cg->css, &ev);
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

/* Leak suspicion, raised or cleared. */
static void mp_process_leak(const struct mp_sample *s, struct mp_proc *pr,
			    const u64 *t)
{
	enum mp_window w = mp_leak_window();
	u64 rss = (u64)mp_proc_rss_pages(pr) << PAGE_SHIFT;
	struct mp_leak_input in = {
		.age_ns = s->time_ns - pr->start_ns,
		.growth_window = mp_proc_growth(s, pr, w),
		.growth10 = mp_proc_growth(s, pr, MP_WIN_10S),
	};
	bool flag = pr->flags & MP_PROC_LEAK;
	int change;

	change = mp_leak_update(&flag, &in, t);
	if (change) {
		struct mp_record ev = {
			.kind = change > 0 ? MEMPRESSURE_EVENT_LEAK_SUSPECTED :
					     MEMPRESSURE_EVENT_LEAK_CLEARED,
			.v = { rss, in.growth_window,
			       mp_proc_time_to_limit(s, pr, w) },
		};

		pr->flags ^= MP_PROC_LEAK;
		mp_emit_process(s, pr, &ev);
	}
}

/* Over or under its own soft limit, or its limit removed. */
static void mp_process_soft_limit(const struct mp_sample *s,
				  struct mp_proc *pr, const u64 *t)
{
	u64 rss = (u64)mp_proc_rss_pages(pr) << PAGE_SHIFT;
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
		struct mp_record ev = {
			.kind = change > 0 ? MEMPRESSURE_EVENT_SOFT_OVER :
					     MEMPRESSURE_EVENT_SOFT_UNDER,
			.v = { rss, soft },
		};

		pr->flags ^= MP_PROC_SOFT_OVER;
		mp_emit_process(s, pr, &ev);
	}
}

/* --- the tick ------------------------------------------------------------- */

void mp_signals_sample(struct mp_sample *next, struct mp_sample *prev)
{
	bool first = !prev->seq;
	u64 t[MEMPRESSURE_TUNABLE_NR];
	bool soft;
	u32 i;

	lockdep_assert_held(&mp_sample_lock);
	mp_tunables(t);
	if (first && next->nr_cgroups)
		mp_first_max_id = next->cgroups[next->nr_cgroups - 1].id;
	for (i = 0; i < next->nr_cgroups; i++) {
		struct mp_cgroup *cg = &next->cgroups[i];

		mp_cgroup_signals(next, cg, mp_sample_cgroup(prev, cg->id),
				  first, t);
	}
	mp_sample_unsampled(next, prev);
	soft = mp_any_process_soft();
	for (i = 0; i < next->nr_procs; i++) {
		struct mp_proc *pr = &next->procs[i];

		/*
		 * Most processes hold still.  One not suspected whose RSS
		 * has not moved for 10 s cannot become suspected
		 * (mp_leak_update() wants growth over 10 s), so its rates
		 * need not be worked out.
		 */
		if ((pr->flags & MP_PROC_LEAK) ||
		    !mp_ring_flat(&pr->rss_pages_hist[MP_WIN_10S],
				  mp_proc_rss_pages(pr)))
			mp_process_leak(next, pr, t);
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

	mutex_lock(&mp_sample_lock);
	mp_tunables(t);
	s = mp_sampler_published();
	for (i = 0; i < s->nr_cgroups; i++) {
		struct mp_cgroup *cg = &s->cgroups[i];
		struct mem_cgroup *memcg;
		bool grew[MP_NR_MEMCG_EVENTS];
		u64 counts[MP_NR_MEMCG_EVENTS];

		if (cg->flags & MP_CG_SYSTEM)
			continue;
		memcg = mem_cgroup_from_css(cg->css);
		mp_read_memcg_events(memcg, counts);
		mp_report_counts(cg->css, &cg->sig, counts, grew, true);
		mp_cgroup_level(s, cg, (u64)page_counter_read(&memcg->memory) <<
				PAGE_SHIFT, grew, t, false);
	}
	mp_take_heard(s);
	mp_unsampled_report(true);
	mp_fast_runs++;
	mutex_unlock(&mp_sample_lock);
}

/*
 * From tracepoints, in any context: queue the pass, and tell it of
 * @memcg (the reclaiming task's, the OOM victim's; NULL: none) if the
 * published sample does not hold it.  Under RCU.
 */
void mp_signals_kick(struct mem_cgroup *memcg)
{
	if (!READ_ONCE(mp_fast_enabled))
		return;
	if (memcg && memcg->css.parent &&
	    !mp_sampler_has_cgroup(cgroup_id(memcg->css.cgroup)))
		mp_hear(&memcg->css);
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

/*
 * After the tracepoints are gone: nothing queues the pass any more, and
 * no sample keeps a cgroup in the table after this.
 */
void mp_signals_stop(void)
{
	u32 i;

	WRITE_ONCE(mp_fast_enabled, false);
	cancel_work_sync(&mp_fast_work);
	mutex_lock(&mp_sample_lock);
	for (i = 0; i < mp_nr_heard; i++)
		css_put(mp_heard[i]);
	mp_nr_heard = 0;
	while (mp_nr_unsampled)
		mp_unsampled_drop(&mp_unsampled[0]);
	mutex_unlock(&mp_sample_lock);
}
