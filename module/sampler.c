// SPDX-License-Identifier: GPL-2.0
/*
 * The sampler: what every process and every memory cgroup uses, once per
 * interval_ms.
 *
 * Theory of operation
 *
 * A work item walks all thread groups in pid order and all memory cgroups in
 * hierarchy order and writes what it reads into a sample: two flat arrays,
 * processes sorted by pid and cgroups sorted by id.  It reads only counters
 * the kernel already keeps (mm rss counters, memcg page counters and
 * memory.events, psi totals), so a sample costs a few loads per process and
 * never touches page tables.
 *
 * Two samples exist.  The current one is published through an RCU pointer;
 * the sampler fills the other, derives each object's history from the
 * current one (merging by pid or id, both sorted), publishes it, waits for a
 * grace period and only then reuses the old one.  Readers of the procfs
 * tables take rcu_read_lock() for the duration of one read(2) and never
 * block the sampler; the sampler never blocks them.  Memory is two samples,
 * each bounded by max_processes and max_cgroups; what does not fit is
 * counted as skipped, never allocated.
 *
 * The walks drop the RCU read lock every MP_WALK_BATCH objects so that a host
 * with tens of thousands of tasks does not hold up grace periods: the
 * process walk resumes by pid number (find_ge_pid()), the cgroup walk from a
 * cgroup it holds a reference on, as css_next_descendant_pre() allows.
 *
 * A sample holds a css reference on every cgroup it lists, so a reader can
 * print a cgroup's path under RCU.  The references are dropped one grace
 * period after the sample is retired.
 *
 * RSS counters: on kernels with per-CPU mm counters (6.2 and later) the
 * cheap read can be off by nr_cpus x batch pages per counter, megabytes on a
 * large host; the exact sum is used where the kernel has one, as
 * /proc/PID/status does.  On older kernels the atomic counters are what
 * /proc/PID/status reads too.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/page_counter.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>

#include "compat.h"
#include "config.h"
#include "events.h"
#include "sampler.h"
#include "signals.h"

/* Objects visited between two rcu_read_unlock()/cond_resched() points. */
#define MP_WALK_BATCH	256

/* Slack for objects appearing between two samples. */
#define MP_MIN_CAP	16

struct mp_sampler {
	struct mp_params params;
	struct delayed_work work;
	unsigned long next_jiffies;

	struct mp_sample samples[2];
	struct mp_sample __rcu *published;	/* written only by the work */
	struct mp_clock clock;
	u64 seq;

	struct cgroup_subsys_state *root_css;	/* the root memcg, pinned */
	struct psi_group *psi_system;		/* found lazily, static */

	struct mp_sampler_stats stats;		/* READ_ONCE() by readers */
};

static struct mp_sampler *mp_sampler;

static_assert(sizeof(struct mp_proc) <= 104,
	      "two samples must hold a process in under 256 bytes");

/* Only the work item writes mp_sampler->published. */
static struct mp_sample *mp_published(struct mp_sampler *s)
{
	return rcu_dereference_protected(s->published, true);
}

static u64 mp_sample_bytes(const struct mp_sample *sample)
{
	return (u64)sample->cap_procs * sizeof(struct mp_proc) +
	       (u64)sample->cap_cgroups * sizeof(struct mp_cgroup);
}

static void mp_update_memory(struct mp_sampler *s)
{
	WRITE_ONCE(s->stats.memory_bytes, sizeof(*s) +
		   mp_sample_bytes(&s->samples[0]) +
		   mp_sample_bytes(&s->samples[1]));
}

/*
 * Resize an array of @nr used elements of @size bytes to @cap elements.
 * Called with no locks held: the array belongs to the unpublished sample.
 */
static int mp_resize(void **array, u32 nr, u32 *cap, u32 new_cap, size_t size)
{
	void *p;

	p = kvmalloc_array(new_cap, size, GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	if (nr)
		memcpy(p, *array, (size_t)nr * size);
	kvfree(*array);
	*array = p;
	*cap = new_cap;
	return 0;
}

/*
 * Sizing.  A sample's arrays hold what the last sample needed plus 1/32 for
 * growth; a walk that finds more grows them by a quarter, up to the bound.
 * Tight sizing is what keeps two samples under 256 bytes a process.
 */
static u32 mp_cap_for(u32 nr, u32 max)
{
	return min_t(u32, nr + nr / 32 + MP_MIN_CAP, max);
}

/* Before a walk: fit the array to the last sample, if it is far off. */
static void mp_reserve(void **array, u32 *cap, u32 last_nr, u32 max,
		       size_t size)
{
	u32 want = mp_cap_for(last_nr, max);

	/*
	 * Trim what a walk's growth left over, too.  On failure the walk
	 * grows the array, or counts what is skipped.
	 */
	if (*cap < want || *cap > want + want / 8)
		mp_resize(array, 0, cap, want, size);
}

/* During a walk: room for more, up to @max; -ENOSPC at the bound. */
static int mp_grow(void **array, u32 nr, u32 *cap, u32 max, size_t size)
{
	if (*cap >= max)
		return -ENOSPC;
	return mp_resize(array, nr, cap, min_t(u32, *cap + *cap / 4 + MP_MIN_CAP,
					       max), size);
}

/* --- cgroups ------------------------------------------------------------ */

static void mp_put_cgroups(struct mp_sample *sample)
{
	u32 i;

	for (i = 0; i < sample->nr_cgroups; i++)
		css_put(sample->cgroups[i].css);
	sample->nr_cgroups = 0;
}

static int mp_cgroup_cmp(const void *a, const void *b)
{
	const struct mp_cgroup *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

struct mp_cgroup *mp_sample_cgroup(const struct mp_sample *sample, u64 id)
{
	u32 lo = 0, hi = sample->nr_cgroups;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;
		struct mp_cgroup *cg = &sample->cgroups[mid];

		if (cg->id == id)
			return cg;
		if (cg->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static u32 mp_cgroup_index(const struct mp_sample *sample, u64 id)
{
	struct mp_cgroup *cg = mp_sample_cgroup(sample, id);

	return cg ? cg - sample->cgroups : MP_NO_CGROUP;
}

/*
 * psi_system is not exported, but it is the root of every cgroup's chain of
 * psi groups (psi_cgroup_alloc() links each to its parent's, the top level
 * to psi_system).  It is static, so once found it is found for good.
 */
static struct psi_group *mp_find_psi_system(void)
{
	struct cgroup_subsys_state *root = &cgrp_dfl_root.cgrp.self;
	struct cgroup_subsys_state *pos = root;
	struct psi_group *psi = NULL, *parent;

	rcu_read_lock();
	while (!psi && (pos = css_next_descendant_pre(pos, root)))
		psi = mp_cgroup_psi(pos->cgroup);
	rcu_read_unlock();

	while ((parent = mp_psi_parent(psi)))
		psi = parent;
	return psi;
}

/* Memory stall totals, or false where psi is off for the group. */
static bool mp_read_psi(struct psi_group *psi, u64 *total_us)
{
	u64 some_ns, full_ns;

	if (!mp_psi_mem_totals(psi, &some_ns, &full_ns))
		return false;
	total_us[MP_PSI_SOME] = div_u64(some_ns, NSEC_PER_USEC);
	total_us[MP_PSI_FULL] = div_u64(full_ns, NSEC_PER_USEC);
	return true;
}

/* The hierarchical counts, as memory.events shows them. */
void mp_read_memcg_events(struct mem_cgroup *memcg, u64 *counts)
{
	counts[MP_EV_LOW] = atomic_long_read(&memcg->memory_events[MEMCG_LOW]);
	counts[MP_EV_HIGH] = atomic_long_read(&memcg->memory_events[MEMCG_HIGH]);
	counts[MP_EV_MAX] = atomic_long_read(&memcg->memory_events[MEMCG_MAX]);
	counts[MP_EV_OOM] = atomic_long_read(&memcg->memory_events[MEMCG_OOM]);
	counts[MP_EV_OOM_KILL] =
		atomic_long_read(&memcg->memory_events[MEMCG_OOM_KILL]);
}

static void mp_read_memcg(struct mp_cgroup *cg, struct mem_cgroup *memcg)
{
	/* Limits change under us; any value read is a value the file showed. */
	cg->usage = page_counter_read(&memcg->memory);
	cg->min = READ_ONCE(memcg->memory.min);
	cg->low = READ_ONCE(memcg->memory.low);
	cg->high = READ_ONCE(memcg->memory.high);
	cg->max = READ_ONCE(memcg->memory.max);
	cg->swap_current = page_counter_read(&memcg->swap);
	cg->swap_max = READ_ONCE(memcg->swap.max);
	mp_read_memcg_events(memcg, cg->events);
}

/* The root row is the whole system: RAM in use against RAM. */
static void mp_read_system(struct mp_sampler *s, struct mp_cgroup *cg)
{
	unsigned long total = totalram_pages();
	long available = si_mem_available();

	cg->max = total;
	cg->usage = total - clamp_t(long, available, 0, total);
	cg->min = 0;
	cg->low = 0;
	cg->high = PAGE_COUNTER_MAX;
	cg->swap_current = 0;
	cg->swap_max = 0;
	memset(cg->events, 0, sizeof(cg->events));
	if (!s->psi_system)
		s->psi_system = mp_find_psi_system();
	if (mp_read_psi(s->psi_system, cg->psi_total_us))
		cg->flags |= MP_CG_PSI;
}

/* Fill the next cgroup slot from @css, which the caller has pinned. */
static void mp_record_cgroup(struct mp_sampler *s, struct mp_sample *next,
			     struct cgroup_subsys_state *css)
{
	struct mp_cgroup *cg = &next->cgroups[next->nr_cgroups++];

	memset(cg, 0, offsetof(struct mp_cgroup, usage_hist));
	cg->css = css;
	cg->id = cgroup_id(css->cgroup);
	cg->parent_idx = MP_NO_CGROUP;
	if (css == s->root_css) {
		cg->flags = MP_CG_SYSTEM;
		mp_read_system(s, cg);
		return;
	}
	mp_read_memcg(cg, mem_cgroup_from_css(css));
	if (mp_read_psi(mp_cgroup_psi(css->cgroup), cg->psi_total_us))
		cg->flags |= MP_CG_PSI;
}

static void mp_walk_cgroups(struct mp_sampler *s, struct mp_sample *next)
{
	struct cgroup_subsys_state *pos = NULL;
	unsigned int visited = 0;

	rcu_read_lock();
	while ((pos = css_next_descendant_pre(pos, s->root_css))) {
		/* Removed cgroups have no files left to compare with. */
		if (!css_tryget_online(pos))
			continue;

		if (next->nr_cgroups == next->cap_cgroups) {
			int err;

			/* @pos is pinned, so the walk can resume from it. */
			rcu_read_unlock();
			err = mp_grow((void **)&next->cgroups, next->nr_cgroups,
				      &next->cap_cgroups,
				      s->params.max_cgroups,
				      sizeof(*next->cgroups));
			rcu_read_lock();
			if (err) {
				next->cgroups_skipped++;
				css_put(pos);
				continue;
			}
		}
		mp_record_cgroup(s, next, pos);

		if (++visited % MP_WALK_BATCH == 0) {
			rcu_read_unlock();
			cond_resched();
			rcu_read_lock();
		}
	}
	rcu_read_unlock();
	sort(next->cgroups, next->nr_cgroups, sizeof(*next->cgroups),
	     mp_cgroup_cmp, NULL);
}

/*
 * The effective limit (memory.high, else memory.max) or, if @hard, the hard
 * one (memory.max), of @cg or its nearest ancestor that has one; the
 * system row's is RAM.  Bytes.
 */
static u64 mp_inherited_limit(const struct mp_sample *s, u32 idx, bool hard)
{
	for (; idx != MP_NO_CGROUP; idx = s->cgroups[idx].parent_idx) {
		const struct mp_cgroup *cg = &s->cgroups[idx];

		if (!hard && cg->high < PAGE_COUNTER_MAX)
			return (u64)cg->high << PAGE_SHIFT;
		if (cg->max < PAGE_COUNTER_MAX)
			return (u64)cg->max << PAGE_SHIFT;
	}
	return (u64)totalram_pages() << PAGE_SHIFT;
}

/* Link parents, find limits and carry history over from @prev. */
static void mp_finish_cgroups(struct mp_sampler *s, struct mp_sample *next,
			      const struct mp_sample *prev)
{
	const struct mp_clock *c = &s->clock;
	u32 i;
	int w, p;

	for (i = 0; i < next->nr_cgroups; i++) {
		struct mp_cgroup *cg = &next->cgroups[i];

		if (cg->css->parent) {
			u64 parent_id = cgroup_id(cg->css->parent->cgroup);

			cg->parent_idx = mp_cgroup_index(next, parent_id);
		}
	}
	for (i = 0; i < next->nr_cgroups; i++) {
		struct mp_cgroup *cg = &next->cgroups[i];
		const struct mp_cgroup *old = mp_sample_cgroup(prev, cg->id);

		cg->limit = mp_inherited_limit(next, i, false);
		cg->hard = mp_inherited_limit(next, i, true);

		if (old) {
			cg->first_seen_ns = old->first_seen_ns;
			memcpy(cg->usage_hist, old->usage_hist,
			       sizeof(cg->usage_hist));
			memcpy(cg->psi_hist, old->psi_hist, sizeof(cg->psi_hist));
		} else {
			cg->first_seen_ns = c->now_ns;
			for (w = 0; w < MP_NR_WINDOWS; w++)
				mp_ring_init(&cg->usage_hist[w], cg->usage);
			for (p = 0; p < MP_NR_PSI; p++)
				mp_ring_init(&cg->psi_hist[p],
					     (u32)cg->psi_total_us[p]);
		}
		for (w = 0; w < MP_NR_WINDOWS; w++)
			mp_ring_record(&cg->usage_hist[w], c, w, cg->usage);
		for (p = 0; p < MP_NR_PSI; p++)
			mp_ring_record(&cg->psi_hist[p], c, MP_WIN_10S,
				       (u32)cg->psi_total_us[p]);
	}
}

/* Count each process in its cgroup and every ancestor. */
static void mp_count_cgroup_procs(struct mp_sample *next)
{
	u32 i, idx;

	for (i = 0; i < next->nr_procs; i++) {
		for (idx = next->procs[i].cgroup_idx; idx != MP_NO_CGROUP;
		     idx = next->cgroups[idx].parent_idx)
			next->cgroups[idx].nr_procs++;
	}
}

/* --- processes ---------------------------------------------------------- */

/*
 * Exact mm counters cost a visit to every CPU's share of each (compat.h),
 * a price that grows with the machine.  So a process's exact counts are
 * carried over from the last sample while its cheap approximate counters
 * stay put, and summed afresh when they move, when it is first seen, and
 * every MP_EXACT_EVERY samples regardless.  In between, a count may lag by
 * what the CPUs hold back, which is the kernel's own bound for
 * get_mm_counter() (nr_cpus x percpu_counter_batch pages), for at most
 * MP_EXACT_EVERY samples.
 */
#define MP_EXACT_EVERY	16

/* Where a walk over the processes is, and what it can reuse. */
struct mp_proc_walk {
	const struct mp_proc *old, *old_end;	/* the last sample, by pid */
	const struct mp_clock *clock;
	u64 seq;				/* of the sample being taken */
	struct mem_cgroup *memcg;		/* the last cgroup looked up */
	u32 cgroup_idx;
};

/* The cheap counters into @pr; their sum tells whether they moved. */
static u32 mp_read_approx(struct mm_struct *mm, struct mp_proc *pr)
{
	pr->anon = get_mm_counter(mm, MM_ANONPAGES);
	pr->file = get_mm_counter(mm, MM_FILEPAGES);
	pr->shmem = get_mm_counter(mm, MM_SHMEMPAGES);
	pr->swap = get_mm_counter(mm, MM_SWAPENTS);
	return pr->anon + pr->file + pr->shmem + pr->swap;
}

static void mp_read_counters(struct mm_struct *mm, struct mp_proc *pr,
			     const struct mp_proc *old, bool refresh)
{
	pr->approx_sum = mp_read_approx(mm, pr);
	if (!mp_mm_counters_percpu())
		return;		/* the cheap counters are the exact ones */
	if (old && !refresh && old->approx_sum == pr->approx_sum) {
		pr->anon = old->anon;
		pr->file = old->file;
		pr->shmem = old->shmem;
		pr->swap = old->swap;
		return;
	}
	pr->anon = mp_mm_counter_exact(mm, MM_ANONPAGES);
	pr->file = mp_mm_counter_exact(mm, MM_FILEPAGES);
	pr->shmem = mp_mm_counter_exact(mm, MM_SHMEMPAGES);
	pr->swap = mp_mm_counter_exact(mm, MM_SWAPENTS);
}

/*
 * Read the counters and the command of @p through any thread that still
 * has an mm (the leader may have exited before its threads), as
 * find_lock_task_mm() finds it.  False when none has: the process is
 * exiting.
 */
static bool mp_read_mm(struct task_struct *p, struct mp_proc *pr,
		       const struct mp_proc *old, bool refresh)
{
	struct task_struct *t;

	for_each_thread(p, t) {
		struct mm_struct *mm;

		task_lock(t);
		mm = t->mm;
		if (mm) {
			mp_read_counters(mm, pr, old, refresh);
			/* What __get_task_comm() does, under the lock held. */
			if (t == p)
				strscpy_pad(pr->comm, p->comm, sizeof(pr->comm));
		}
		task_unlock(t);
		if (mm) {
			if (t != p)
				__get_task_comm(pr->comm, sizeof(pr->comm), p);
			return true;
		}
	}
	return false;
}

/* Processes of one cgroup tend to be neighbours: remember the last one. */
static u32 mp_proc_cgroup(struct mp_proc_walk *w, const struct mp_sample *next,
			  struct task_struct *p)
{
	struct mem_cgroup *memcg = mem_cgroup_from_task(p);

	/*
	 * A memcg in the sample is pinned and cannot be freed and reused
	 * under another cgroup's name; one that is not has no index.
	 */
	if (memcg != w->memcg) {
		w->memcg = memcg;
		w->cgroup_idx = memcg ?
			mp_cgroup_index(next, cgroup_id(memcg->css.cgroup)) :
			MP_NO_CGROUP;
	}
	return w->cgroup_idx;
}

/* The same process in the last sample, or NULL; pids come in order. */
static const struct mp_proc *mp_old_proc(struct mp_proc_walk *w, pid_t pid,
					 u64 start_ns)
{
	while (w->old < w->old_end && w->old->pid < pid)
		w->old++;
	if (w->old < w->old_end && w->old->pid == pid &&
	    w->old->start_ns == start_ns)
		return w->old;
	return NULL;
}

/* Peak and growth history: carried over, or started for a new process. */
static void mp_record_history(struct mp_proc *pr, const struct mp_proc *old,
			      const struct mp_clock *c)
{
	u32 rss = mp_proc_rss(pr);
	int w;

	if (old) {
		pr->flags = old->flags;
		pr->peak_rss = max(old->peak_rss, rss);
		memcpy(pr->rss_hist, old->rss_hist, sizeof(pr->rss_hist));
	} else {
		pr->flags = 0;
		pr->peak_rss = rss;
		for (w = 0; w < MP_NR_WINDOWS; w++)
			mp_ring_init(&pr->rss_hist[w], rss);
	}
	for (w = 0; w < MP_NR_WINDOWS; w++)
		mp_ring_record(&pr->rss_hist[w], c, w, rss);
}

/*
 * Read one thread group into the next slot; a process with no mm left is
 * not recorded.  Under rcu_read_lock().
 */
static void mp_read_process(struct mp_proc_walk *w, struct mp_sample *next,
			    struct task_struct *p)
{
	struct mp_proc *pr = &next->procs[next->nr_procs];
	const struct mp_proc *old;
	bool refresh;

	pr->pid = task_tgid_nr(p);
	pr->start_ns = p->start_time;
	old = mp_old_proc(w, pr->pid, pr->start_ns);
	/* Spread the forced exact sums over the samples. */
	refresh = (w->seq + pr->pid) % MP_EXACT_EVERY == 0;
	if (!mp_read_mm(p, pr, old, refresh))
		return;
	pr->cgroup_idx = mp_proc_cgroup(w, next, p);
	mp_record_history(pr, old, w->clock);
	next->nr_procs++;
}

static void mp_walk_processes(struct mp_sampler *s, struct mp_sample *next,
			      const struct mp_sample *prev)
{
	struct mp_proc_walk w = {
		.old = prev->procs,
		.old_end = prev->procs + prev->nr_procs,
		.clock = &s->clock,
		.seq = next->seq,
		.cgroup_idx = MP_NO_CGROUP,
	};
	unsigned int visited = 0;
	struct pid *pid;
	int nr = 1;

	rcu_read_lock();
	while ((pid = find_ge_pid(nr, &init_pid_ns))) {
		struct task_struct *p = pid_task(pid, PIDTYPE_TGID);

		nr = pid_nr(pid);
		if (p && !(p->flags & PF_KTHREAD)) {
			if (next->nr_procs == next->cap_procs) {
				int err;

				rcu_read_unlock();
				err = mp_grow((void **)&next->procs,
					      next->nr_procs, &next->cap_procs,
					      s->params.max_processes,
					      sizeof(*next->procs));
				rcu_read_lock();
				if (!err)
					continue;	/* look at @nr again */
				next->procs_skipped++;
			} else {
				mp_read_process(&w, next, p);
			}
		}
		nr++;
		if (++visited % MP_WALK_BATCH == 0) {
			rcu_read_unlock();
			cond_resched();
			rcu_read_lock();
		}
	}
	rcu_read_unlock();
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
	s64 delta = mp_ring_level_delta(&pr->rss_hist[w], &s->clock, w,
					mp_proc_rss(pr), pr->start_ns, &span);

	return mp_per_sec(delta * PAGE_SIZE, span);
}

/* memory.current bytes per second over window @w. */
s64 mp_cgroup_growth(const struct mp_sample *s, const struct mp_cgroup *cg,
		     enum mp_window w)
{
	u64 span;
	s64 delta = mp_ring_level_delta(&cg->usage_hist[w], &s->clock, w,
					cg->usage, cg->first_seen_ns, &span);

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

/* --- the sample --------------------------------------------------------- */

static void mp_take_sample(struct mp_sampler *s)
{
	struct mp_sample *prev = mp_published(s);
	struct mp_sample *next = prev == &s->samples[0] ? &s->samples[1] :
							  &s->samples[0];
	u64 start;
	u64 took_us;

	mutex_lock(&mp_signal_lock);
	start = ktime_get_ns();
	/* @next was retired a grace period ago, references dropped. */
	mp_reserve((void **)&next->procs, &next->cap_procs, prev->nr_procs,
		   s->params.max_processes, sizeof(*next->procs));
	mp_reserve((void **)&next->cgroups, &next->cap_cgroups,
		   prev->nr_cgroups, s->params.max_cgroups,
		   sizeof(*next->cgroups));
	next->nr_procs = 0;
	next->procs_skipped = 0;
	next->cgroups_skipped = 0;

	mp_clock_advance(&s->clock, start);
	mp_walk_cgroups(s, next);
	mp_finish_cgroups(s, next, prev);
	next->seq = ++s->seq;
	mp_walk_processes(s, next, prev);
	mp_count_cgroup_procs(next);
	next->time_ns = start;
	next->clock = s->clock;
	/* Its events are seen once its tables are. */
	mp_events_hold();
	mp_signals_sample(next, prev);

	rcu_assign_pointer(s->published, next);
	mp_events_publish();

	took_us = div_u64(ktime_get_ns() - start, NSEC_PER_USEC);
	WRITE_ONCE(s->stats.last_us, took_us);
	WRITE_ONCE(s->stats.max_us, max(s->stats.max_us, took_us));
	WRITE_ONCE(s->stats.total_us, s->stats.total_us + took_us);
	WRITE_ONCE(s->stats.nr_procs, next->nr_procs);
	WRITE_ONCE(s->stats.nr_cgroups, next->nr_cgroups);
	WRITE_ONCE(s->stats.procs_skipped, next->procs_skipped);
	WRITE_ONCE(s->stats.cgroups_skipped, next->cgroups_skipped);
	WRITE_ONCE(s->stats.samples, s->stats.samples + 1);
	mp_update_memory(s);

	/* Readers of @prev are gone after this; then its pins can go. */
	synchronize_rcu();
	mp_put_cgroups(prev);
	mutex_unlock(&mp_signal_lock);
	mp_config_prune(next);
}

static void mp_schedule(struct mp_sampler *s)
{
	unsigned long interval =
		msecs_to_jiffies(mp_tunable(MEMPRESSURE_TUNABLE_INTERVAL_MS));
	long delay;

	/* Keep the cadence; after a long stall start afresh from now. */
	s->next_jiffies += interval;
	delay = (long)(s->next_jiffies - jiffies);
	if (delay < 0) {
		s->next_jiffies = jiffies + interval;
		delay = interval;
	}
	queue_delayed_work(system_unbound_wq, &s->work, delay);
}

static void mp_sample_work(struct work_struct *work)
{
	struct mp_sampler *s = container_of(to_delayed_work(work),
					    struct mp_sampler, work);

	mp_take_sample(s);
	mp_schedule(s);
}

/* --- interface ---------------------------------------------------------- */

struct mp_sample *mp_sampler_published(void)
{
	return rcu_dereference_protected(mp_sampler->published,
					 lockdep_is_held(&mp_signal_lock));
}

/* The process with @pid, or NULL. */
const struct mp_proc *mp_sample_proc(const struct mp_sample *s, pid_t pid)
{
	u32 lo = 0, hi = s->nr_procs;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (s->procs[mid].pid == pid)
			return &s->procs[mid];
		if (s->procs[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
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
	if (!mp_time_to_limit((u64)cg->usage << PAGE_SHIFT, cg->limit,
			      mp_proc_growth(s, pr, w), &seconds))
		return U64_MAX;
	return seconds;
}

/* Under rcu_read_lock(); valid until rcu_read_unlock(). */
const struct mp_sample *mp_sampler_current(void)
{
	return rcu_dereference(mp_sampler->published);
}

void mp_sampler_stats(struct mp_sampler_stats *stats)
{
	const struct mp_sampler_stats *s = &mp_sampler->stats;

	stats->samples = READ_ONCE(s->samples);
	stats->last_us = READ_ONCE(s->last_us);
	stats->max_us = READ_ONCE(s->max_us);
	stats->total_us = READ_ONCE(s->total_us);
	stats->memory_bytes = READ_ONCE(s->memory_bytes);
	stats->nr_procs = READ_ONCE(s->nr_procs);
	stats->nr_cgroups = READ_ONCE(s->nr_cgroups);
	stats->procs_skipped = READ_ONCE(s->procs_skipped);
	stats->cgroups_skipped = READ_ONCE(s->cgroups_skipped);
}

const struct mp_params *mp_sampler_params(void)
{
	return &mp_sampler->params;
}

static void mp_free_sample(struct mp_sample *sample)
{
	mp_put_cgroups(sample);
	kvfree(sample->procs);
	kvfree(sample->cgroups);
}

/* Take the first sample now, so the files are never empty, then tick. */
int mp_sampler_start(const struct mp_params *params)
{
	struct mp_sampler *s;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	s->params = *params;
	INIT_DELAYED_WORK(&s->work, mp_sample_work);
	mp_clock_init(&s->clock);
	s->root_css = cgroup_get_e_css(&cgrp_dfl_root.cgrp, &memory_cgrp_subsys);
	if (!s->root_css) {
		kfree(s);
		return -ENODEV;
	}
	/* An empty sample stands for "before the first one". */
	RCU_INIT_POINTER(s->published, &s->samples[1]);

	mp_sampler = s;
	mp_take_sample(s);
	s->next_jiffies = jiffies;
	mp_schedule(s);
	return 0;
}

void mp_sampler_stop(void)
{
	struct mp_sampler *s = mp_sampler;

	cancel_delayed_work_sync(&s->work);
	/* The procfs files are gone, so nobody reads either sample. */
	mp_free_sample(&s->samples[0]);
	mp_free_sample(&s->samples[1]);
	css_put(s->root_css);
	kfree(s);
	mp_sampler = NULL;
}
