// SPDX-License-Identifier: GPL-2.0
/*
 * The sampler: what every process and every memory cgroup uses, once per
 * interval_ms.
 *
 * Theory of operation
 *
 * A work item walks all memory cgroups in hierarchy order and the processes
 * and writes what it reads into a sample: two flat arrays, processes sorted
 * by pid and cgroups sorted by id.  It reads only counters the kernel
 * already keeps (mm rss counters, memcg page counters and memory.events,
 * psi totals), so a sample costs a few loads per process and never touches
 * page tables.
 *
 * Most processes do not change from one sample to the next, and finding and
 * locking each one is most of a sample's cost.  So where the kernel's
 * tracepoints say which processes changed (changes.c), a sample reads only
 * those, and the processes born since, and copies the other records over
 * from the last sample in runs.  Every MP_FULL_WALK_EVERY-th sample, and
 * whenever the marks cannot be trusted, it walks every thread group in pid
 * order instead, and counts any change it finds that no probe reported.
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

#include "changes.h"
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
	bool tracking;				/* change probes attached */
};

static struct mp_sampler *mp_sampler;

/* See sampler.h. */
DEFINE_MUTEX(mp_sample_lock);

static_assert(sizeof(struct mp_proc) <= 104,
	      "two samples must hold a process in under 256 bytes");
static_assert(sizeof(struct mp_cgroup) <= 384,
	      "main.c says what a cgroup costs");

/* Only the work item writes mp_sampler->published. */
static struct mp_sample *mp_published(struct mp_sampler *s)
{
	return rcu_dereference_protected(s->published, true);
}

static u64 mp_sample_bytes(const struct mp_sample *sample)
{
	return (u64)sample->cap_procs * sizeof(struct mp_proc) +
	       2 * BITS_TO_LONGS(sample->cap_procs) * sizeof(long) +
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

/*
 * Before a walk: the capacity to fit an array to the last sample, if it is
 * far off (trimming what a walk's growth left over, too), else 0.
 */
static u32 mp_reserve_cap(u32 cap, u32 last_nr, u32 max)
{
	u32 want = mp_cap_for(last_nr, max);

	return cap < want || cap > want + want / 8 ? want : 0;
}

/* During a walk: the capacity to grow to, or 0 at the bound. */
static u32 mp_grow_cap(u32 cap, u32 max)
{
	return cap >= max ? 0 : min_t(u32, cap + cap / 4 + MP_MIN_CAP, max);
}

/*
 * Resize the unpublished @sample's processes and, with them, its two
 * bitmaps (mp_sample.marks), keeping the first nr_procs of each.
 */
static int mp_resize_procs(struct mp_sample *sample, u32 new_cap)
{
	size_t longs = BITS_TO_LONGS(new_cap);
	size_t kept = BITS_TO_LONGS(sample->nr_procs);
	unsigned long *bits;
	int err;

	bits = kvcalloc(2 * longs, sizeof(*bits), GFP_KERNEL);
	if (!bits)
		return -ENOMEM;
	err = mp_resize((void **)&sample->procs, sample->nr_procs,
			&sample->cap_procs, new_cap, sizeof(*sample->procs));
	if (err) {
		kvfree(bits);
		return err;
	}
	if (sample->marks) {
		memcpy(bits, sample->marks, kept * sizeof(*bits));
		memcpy(bits + longs, sample->recheck, kept * sizeof(*bits));
		kvfree(sample->marks);
	}
	sample->marks = bits;
	sample->recheck = bits + longs;
	return 0;
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

static u32 mp_cgroup_index(const struct mp_sample *sample, u64 id)
{
	struct mp_cgroup *cg = mp_sample_cgroup(sample, id);

	return cg ? cg - sample->cgroups : MP_NO_CGROUP;
}

/*
 * psi_system is not exported, but it is the root of every cgroup's chain of
 * psi groups (psi_cgroup_alloc() links each to its parent's, the top level
 * to psi_system).  It is static, so once found it is found for good.  Every
 * cgroup has psi or none has (psi=0, cgroup_disable=pressure: decided at
 * boot), so the first cgroup below the root tells: NULL while there is none
 * or psi is off for cgroups, and each sample looks at that one only.
 */
static struct psi_group *mp_find_psi_system(void)
{
	struct cgroup_subsys_state *root = &cgrp_dfl_root.cgrp.self;
	struct cgroup_subsys_state *first;
	struct psi_group *psi = NULL, *parent;

	rcu_read_lock();
	first = css_next_descendant_pre(root, root);
	if (first)
		psi = mp_cgroup_psi(first->cgroup);
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
	counts[MP_MEMCG_EV_LOW] = atomic_long_read(&memcg->memory_events[MEMCG_LOW]);
	counts[MP_MEMCG_EV_HIGH] = atomic_long_read(&memcg->memory_events[MEMCG_HIGH]);
	counts[MP_MEMCG_EV_MAX] = atomic_long_read(&memcg->memory_events[MEMCG_MAX]);
	counts[MP_MEMCG_EV_OOM] = atomic_long_read(&memcg->memory_events[MEMCG_OOM]);
	counts[MP_MEMCG_EV_OOM_KILL] =
		atomic_long_read(&memcg->memory_events[MEMCG_OOM_KILL]);
}

static void mp_read_memcg(struct mp_cgroup *cg, struct mem_cgroup *memcg)
{
	/* Limits change under us; any value read is a value the file showed. */
	cg->usage_pages = page_counter_read(&memcg->memory);
	cg->min_pages = READ_ONCE(memcg->memory.min);
	cg->low_pages = READ_ONCE(memcg->memory.low);
	cg->high_pages = READ_ONCE(memcg->memory.high);
	cg->max_pages = READ_ONCE(memcg->memory.max);
	cg->swap_current_pages = page_counter_read(&memcg->swap);
	cg->swap_max_pages = READ_ONCE(memcg->swap.max);
	mp_read_memcg_events(memcg, cg->events);
}

/* The root row is the whole system: RAM in use against RAM. */
static void mp_read_system(struct mp_sampler *s, struct mp_cgroup *cg)
{
	unsigned long total = totalram_pages();
	long available = si_mem_available();

	cg->max_pages = total;
	cg->usage_pages = total - clamp_t(long, available, 0, total);
	cg->min_pages = 0;
	cg->low_pages = 0;
	cg->high_pages = PAGE_COUNTER_MAX;
	cg->swap_current_pages = 0;
	cg->swap_max_pages = 0;
	memset(cg->events, 0, sizeof(cg->events));
	if (!s->psi_system)
		s->psi_system = mp_find_psi_system();
	if (mp_read_psi(s->psi_system, cg->psi_total_us))
		cg->flags |= MP_CG_PSI;
}

/*
 * Room in @next for one more cgroup, growing its array (with the RCU read
 * lock dropped: @css is pinned, and the walk resumes from it); false at
 * max_cgroups or when memory is short.
 */
static bool mp_room_for_cgroup(struct mp_sampler *s, struct mp_sample *next)
{
	u32 cap;
	int err;

	if (next->nr_cgroups < next->cap_cgroups)
		return true;
	cap = mp_grow_cap(next->cap_cgroups, s->params.max_cgroups);
	if (!cap)
		return false;
	rcu_read_unlock();
	err = mp_resize((void **)&next->cgroups, next->nr_cgroups,
			&next->cap_cgroups, cap, sizeof(*next->cgroups));
	rcu_read_lock();
	return !err;
}

/*
 * Fill the next cgroup slot from @css, whose reference the sample takes
 * over; false if there is no room.
 */
static bool mp_record_cgroup(struct mp_sampler *s, struct mp_sample *next,
			     struct cgroup_subsys_state *css)
{
	struct mp_cgroup *cg;

	if (!mp_room_for_cgroup(s, next))
		return false;
	cg = &next->cgroups[next->nr_cgroups++];

	memset(cg, 0, offsetof(struct mp_cgroup, usage_pages_hist));
	cg->css = css;
	cg->id = cgroup_id(css->cgroup);
	cg->parent_idx = MP_NO_CGROUP;
	if (css == s->root_css) {
		cg->flags = MP_CG_SYSTEM;
		mp_read_system(s, cg);
		return true;
	}
	mp_read_memcg(cg, mem_cgroup_from_css(css));
	if (mp_read_psi(mp_cgroup_psi(css->cgroup), cg->psi_total_us))
		cg->flags |= MP_CG_PSI;
	return true;
}

static void mp_walk_cgroups(struct mp_sampler *s, struct mp_sample *next)
{
	struct cgroup_subsys_state *pos = NULL;
	unsigned int visited = 0, batch = MP_WALK_BATCH;

	rcu_read_lock();
	while ((pos = css_next_descendant_pre(pos, s->root_css))) {
		/* Removed cgroups have no files left to compare with. */
		if (css_tryget_online(pos) && !mp_record_cgroup(s, next, pos)) {
			next->cgroups_skipped++;
			css_put(pos);
		}
		/*
		 * Every cgroup visited counts, removed (a host may keep many,
		 * pinned by their page cache) or left out ones too.  The walk
		 * resumes from @pos, pinned across the unlock; one already
		 * being freed cannot be, and the next one is tried.
		 */
		if (++visited >= batch && css_tryget(pos)) {
			rcu_read_unlock();
			cond_resched();
			rcu_read_lock();
			css_put(pos);
			batch = visited + MP_WALK_BATCH;
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

		if (!hard && cg->high_pages < PAGE_COUNTER_MAX)
			return (u64)cg->high_pages << PAGE_SHIFT;
		if (cg->max_pages < PAGE_COUNTER_MAX)
			return (u64)cg->max_pages << PAGE_SHIFT;
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

		cg->limit_bytes = mp_inherited_limit(next, i, false);
		cg->hard_bytes = mp_inherited_limit(next, i, true);

		if (old) {
			cg->first_seen_ns = old->first_seen_ns;
			memcpy(cg->usage_pages_hist, old->usage_pages_hist,
			       sizeof(cg->usage_pages_hist));
			memcpy(cg->psi_hist, old->psi_hist, sizeof(cg->psi_hist));
		} else {
			cg->first_seen_ns = c->now_ns;
			for (w = 0; w < MP_NR_WINDOWS; w++)
				mp_ring_init(&cg->usage_pages_hist[w],
					     cg->usage_pages);
			for (p = 0; p < MP_NR_PSI; p++)
				mp_ring_init(&cg->psi_hist[p],
					     (u32)cg->psi_total_us[p]);
		}
		for (w = 0; w < MP_NR_WINDOWS; w++)
			mp_ring_record(&cg->usage_pages_hist[w], c, w,
				       cg->usage_pages);
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
 * stay put, and summed afresh when they move, when it is first seen, when a
 * change probe marked it, and in a walk of every process every
 * MP_EXACT_EVERY samples regardless.  In between, a count may lag by what
 * the CPUs hold back, which is the kernel's own bound for get_mm_counter()
 * (nr_cpus x percpu_counter_batch pages), for at most MP_EXACT_EVERY
 * samples.  With change tracking nothing lags: every update marks.
 */
#define MP_EXACT_EVERY	16

/*
 * With change tracking, every MP_FULL_WALK_EVERY-th sample still walks every
 * process, and counts what the probes missed (changes_missed in status).
 */
#define MP_FULL_WALK_EVERY	64

/* Where a walk over the processes is, and what it can reuse. */
struct mp_proc_walk {
	struct mp_sample *next;
	const struct mp_sample *prev;
	const u32 *cgroup_map;			/* prev's cgroup index to next's */
	bool same_cgroups;			/* ... is the identity */
	const struct mp_proc *old, *old_end;	/* the last sample, by pid */
	const struct mp_clock *clock;
	u64 seq;				/* of the sample being taken */
	struct mem_cgroup *memcg;		/* the last cgroup looked up */
	u32 cgroup_idx;
	u32 mark_word;				/* prev's marks taken so far */
	unsigned long marks, recheck;		/* ... of that word */
	bool check;				/* count changes not marked */
	u32 missed;
};

/* The cheap counters into @pr; their sum tells whether they moved. */
static u32 mp_read_approx(struct mm_struct *mm, struct mp_proc *pr)
{
	pr->anon_pages = get_mm_counter(mm, MM_ANONPAGES);
	pr->file_pages = get_mm_counter(mm, MM_FILEPAGES);
	pr->shmem_pages = get_mm_counter(mm, MM_SHMEMPAGES);
	pr->swap_pages = get_mm_counter(mm, MM_SWAPENTS);
	return pr->anon_pages + pr->file_pages + pr->shmem_pages + pr->swap_pages;
}

static void mp_read_counters(struct mm_struct *mm, struct mp_proc *pr,
			     const struct mp_proc *old, bool exact)
{
	pr->approx_pages = mp_read_approx(mm, pr);
	if (!mp_mm_counters_percpu())
		return;		/* the cheap counters are the exact ones */
	if (old && !exact && old->approx_pages == pr->approx_pages) {
		pr->anon_pages = old->anon_pages;
		pr->file_pages = old->file_pages;
		pr->shmem_pages = old->shmem_pages;
		pr->swap_pages = old->swap_pages;
		return;
	}
	pr->anon_pages = mp_mm_counter_exact(mm, MM_ANONPAGES);
	pr->file_pages = mp_mm_counter_exact(mm, MM_FILEPAGES);
	pr->shmem_pages = mp_mm_counter_exact(mm, MM_SHMEMPAGES);
	pr->swap_pages = mp_mm_counter_exact(mm, MM_SWAPENTS);
}

/*
 * Read the counters and the command of @p through any thread that still
 * has an mm (the leader may have exited before its threads), as
 * find_lock_task_mm() finds it.  False when none has: the process is
 * exiting.
 */
static bool mp_read_mm(struct task_struct *p, struct mp_proc *pr,
		       const struct mp_proc *old, bool exact)
{
	struct task_struct *t;

	for_each_thread(p, t) {
		struct mm_struct *mm;

		task_lock(t);
		mm = t->mm;
		if (mm) {
			mp_read_counters(mm, pr, old, exact);
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
static u32 mp_proc_cgroup(struct mp_proc_walk *w, struct task_struct *p)
{
	struct mem_cgroup *memcg = mem_cgroup_from_task(p);

	/*
	 * A memcg in the sample is pinned and cannot be freed and reused
	 * under another cgroup's name; one that is not has no index.
	 */
	if (memcg != w->memcg) {
		w->memcg = memcg;
		w->cgroup_idx = memcg ?
			mp_cgroup_index(w->next, cgroup_id(memcg->css.cgroup)) :
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

/*
 * The last sample's marks of word @word of its processes, taken (and so
 * cleared) the first time the walk comes to it, and only if it has any.
 * Processes come in order, so each word is taken once.
 */
static void mp_load_marks(struct mp_proc_walk *w, u32 word)
{
	unsigned long *marks = &w->prev->marks[word];

	if (word == w->mark_word)
		return;
	w->mark_word = word;
	w->marks = READ_ONCE(*marks) ? xchg(marks, 0) : 0;
	w->recheck = w->prev->recheck[word];
}

/*
 * Whether the last sample's process @old was marked since it was read and
 * whether it is to be read again, for a mark or once more after one
 * (changes.c).
 */
static bool mp_take_mark(struct mp_proc_walk *w, const struct mp_proc *old,
			 bool *again)
{
	u32 i = old - w->prev->procs;
	unsigned long bit = BIT(i % BITS_PER_LONG);

	mp_load_marks(w, i / BITS_PER_LONG);
	*again = (w->marks | w->recheck) & bit;
	return w->marks & bit;
}

/*
 * How many of the last sample's processes from @i on, before @end, can be
 * carried over unread: up to the first one that is to be read again.
 */
static u32 mp_carry_run(struct mp_proc_walk *w, u32 i, u32 end)
{
	u32 k = i;

	while (k < end) {
		u32 word = k / BITS_PER_LONG;
		unsigned long due;

		mp_load_marks(w, word);
		due = (w->marks | w->recheck) >> (k % BITS_PER_LONG);
		if (due)
			return min_t(u32, k + __ffs(due), end) - i;
		k = (word + 1) * BITS_PER_LONG;
	}
	return end - i;
}

/* Peak and growth history: carried over, or started for a new process. */
static void mp_record_history(struct mp_proc *pr, const struct mp_proc *old,
			      const struct mp_clock *c)
{
	u32 rss = mp_proc_rss_pages(pr);
	int w;

	if (old) {
		pr->flags = old->flags;
		pr->peak_rss_pages = max(old->peak_rss_pages, rss);
		memcpy(pr->rss_pages_hist, old->rss_pages_hist,
		       sizeof(pr->rss_pages_hist));
	} else {
		pr->flags = 0;
		pr->peak_rss_pages = rss;
		for (w = 0; w < MP_NR_WINDOWS; w++)
			mp_ring_init(&pr->rss_pages_hist[w], rss);
	}
	for (w = 0; w < MP_NR_WINDOWS; w++)
		mp_ring_record(&pr->rss_pages_hist[w], c, w, rss);
}

/*
 * Read one thread group into the next slot; a process with no mm left is
 * not recorded.  @old is its record in the last sample, or NULL.  A process
 * read for a mark, or first seen, is read once more at the next sample
 * (changes.c).  Under rcu_read_lock().
 */
static struct mp_proc *mp_read_process(struct mp_proc_walk *w,
				       struct task_struct *p,
				       const struct mp_proc *old, bool marked,
				       bool exact)
{
	struct mp_sample *next = w->next;
	struct mp_proc *pr = &next->procs[next->nr_procs];

	pr->pid = task_tgid_nr(p);
	pr->start_ns = p->start_time;
	if (!mp_read_mm(p, pr, old, exact))
		return NULL;
	pr->cgroup_idx = mp_proc_cgroup(w, p);
	mp_record_history(pr, old, w->clock);
	if (marked || !old)
		__set_bit(next->nr_procs, next->recheck);
	next->nr_procs++;
	next->nr_read++;
	return pr;
}

/*
 * Unmarked processes: the last sample's records, in one copy, their history
 * one step on.
 */
static void mp_carry_processes(struct mp_proc_walk *w,
			       const struct mp_proc *old, u32 n)
{
	struct mp_proc *pr = &w->next->procs[w->next->nr_procs];
	const struct mp_clock *c = w->clock;
	u32 k;
	int win;

	memcpy(pr, old, n * sizeof(*pr));
	w->next->nr_procs += n;
	if (!w->same_cgroups)
		for (k = 0; k < n; k++)
			if (pr[k].cgroup_idx != MP_NO_CGROUP)
				pr[k].cgroup_idx = w->cgroup_map[pr[k].cgroup_idx];
	for (win = 0; win < MP_NR_WINDOWS; win++)
		if (c->pushed[win])
			for (k = 0; k < n; k++)
				mp_ring_record(&pr[k].rss_pages_hist[win], c, win,
					       mp_proc_rss_pages(&pr[k]));
}

/* Did a process a full walk read change with no mark? */
static bool mp_changed_unmarked(const struct mp_proc_walk *w,
				const struct mp_proc *pr,
				const struct mp_proc *old)
{
	u64 old_id = old->cgroup_idx == MP_NO_CGROUP ? 0 :
		     w->prev->cgroups[old->cgroup_idx].id;
	u64 id = pr->cgroup_idx == MP_NO_CGROUP ? 0 :
		 w->next->cgroups[pr->cgroup_idx].id;

	return pr->approx_pages != old->approx_pages || old_id != id ||
	       memcmp(pr->comm, old->comm, sizeof(pr->comm));
}

/* The user process with thread group id @nr, or NULL.  Under RCU. */
static struct task_struct *mp_find_process(pid_t nr)
{
	struct task_struct *p = pid_task(find_pid_ns(nr, &init_pid_ns),
					 PIDTYPE_TGID);

	return p && !(p->flags & PF_KTHREAD) ? p : NULL;
}

/*
 * Room for one more process in the unpublished sample: 0 if there is, 1 if
 * the array grew (the RCU read lock was dropped meanwhile), -ENOSPC or
 * -ENOMEM if it cannot.
 */
static int mp_room_for_process(struct mp_sampler *s, struct mp_sample *next)
{
	u32 cap;
	int err;

	if (next->nr_procs < next->cap_procs)
		return 0;
	cap = mp_grow_cap(next->cap_procs, s->params.max_processes);
	if (!cap)
		return -ENOSPC;
	rcu_read_unlock();
	err = mp_resize_procs(next, cap);
	rcu_read_lock();
	return err ?: 1;
}

/* Every thread group, in pid order. */
static void mp_walk_processes(struct mp_sampler *s, struct mp_proc_walk *w)
{
	struct mp_sample *next = w->next;
	unsigned int visited = 0;
	struct pid *pid;
	int nr = 1;

	rcu_read_lock();
	while ((pid = find_ge_pid(nr, &init_pid_ns))) {
		struct task_struct *p = pid_task(pid, PIDTYPE_TGID);

		nr = pid_nr(pid);
		if (p && !(p->flags & PF_KTHREAD)) {
			int room = mp_room_for_process(s, next);

			if (room > 0)
				continue;	/* grown: look at @nr again */
			if (room < 0) {
				next->procs_skipped++;
			} else {
				const struct mp_proc *old, *pr;
				bool marked = false, again = false;
				bool exact;

				old = mp_old_proc(w, nr, p->start_time);
				if (old && w->prev->marks)
					marked = mp_take_mark(w, old, &again);
				exact = again || (w->seq + nr) % MP_EXACT_EVERY == 0;
				pr = mp_read_process(w, p, old, marked, exact);
				if (pr && old && w->check && !again &&
				    mp_changed_unmarked(w, pr, old))
					w->missed++;
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

/*
 * The last sample's processes, carried over where nothing marked them and
 * read again where something did, merged by pid with the processes born
 * since.
 */
static void mp_update_processes(struct mp_sampler *s, struct mp_proc_walk *w,
				const struct mp_born *born)
{
	const struct mp_sample *prev = w->prev;
	struct mp_sample *next = w->next;
	unsigned int visited = 0, batch = MP_WALK_BATCH;
	u32 i = 0, j = 0;

	rcu_read_lock();
	while (i < prev->nr_procs || j < born->nr) {
		const struct mp_proc *old = i < prev->nr_procs ?
					    &prev->procs[i] : NULL;
		bool known = old && (j == born->nr || old->pid < born->pid[j]);
		pid_t nr = known ? old->pid : born->pid[j];
		bool same = old && old->pid == nr;	/* the pid's last owner */
		bool marked = false, again = false;
		struct task_struct *p;
		int room;
		u32 run;

		room = mp_room_for_process(s, next);
		if (room > 0)
			continue;	/* grown: try again */
		if (room == 0 && known) {
			u32 end = j < born->nr ?
				  mp_sample_proc_from(prev, i, born->pid[j]) :
				  prev->nr_procs;

			run = mp_carry_run(w, i, min(end, i + next->cap_procs -
							  next->nr_procs));
			if (run) {
				mp_carry_processes(w, old, run);
				i += run;
				visited += run;
				goto resched;
			}
		}
		if (room < 0) {
			next->procs_skipped++;
		} else {
			if (same)
				marked = mp_take_mark(w, old, &again);
			p = mp_find_process(nr);
			/* A pid reused since is a new process. */
			if (p && same && old->start_ns != p->start_time)
				old = NULL;
			if (p)
				mp_read_process(w, p, same ? old : NULL, marked,
						true);
		}
		if (same)
			i++;
		if (!known)
			j++;
		visited++;
resched:
		if (visited >= batch) {
			batch = visited + MP_WALK_BATCH;
			rcu_read_unlock();
			cond_resched();
			rcu_read_lock();
		}
	}
	rcu_read_unlock();
}

/*
 * Marks set on @prev after it was read belong to @next.  Called a grace
 * period after @next was published, when no probe can still mark @prev.
 */
static void mp_carry_marks(const struct mp_sample *prev,
			   struct mp_sample *next)
{
	unsigned int i;

	if (!prev->marks || !next->marks)
		return;
	for_each_set_bit(i, prev->marks, prev->nr_procs) {
		const struct mp_proc *old = &prev->procs[i];
		const struct mp_proc *pr = mp_sample_proc(next, old->pid);

		if (pr && pr->start_ns == old->start_ns)
			set_bit(pr - next->procs, next->marks);
	}
}

/* From the change probes, in any context: read @tgid again next time. */
void mp_sampler_mark(pid_t tgid)
{
	const struct mp_sample *s;
	const struct mp_proc *pr;

	rcu_read_lock();
	s = rcu_dereference(mp_sampler->published);
	pr = mp_sample_proc(s, tgid);
	if (pr && s->marks && !test_bit(pr - s->procs, s->marks))
		set_bit(pr - s->procs, s->marks);
	rcu_read_unlock();
}

/* From the fast path's probes, in any context: is cgroup @id sampled? */
bool mp_sampler_has_cgroup(u64 id)
{
	bool has;

	rcu_read_lock();
	has = mp_sample_cgroup(rcu_dereference(mp_sampler->published), id);
	rcu_read_unlock();
	return has;
}

/* --- the sample --------------------------------------------------------- */

/*
 * Each of @prev's cgroups' index in @next, for carrying processes over, or
 * NULL.  NULL too when processes may have changed cgroups without an event:
 * turning the memory controller on or off in a subtree moves every process
 * below it, so a memory cgroup that appeared populated, or went away with
 * processes, means walking every process.
 */
static u32 *mp_map_cgroups(const struct mp_sample *prev,
			   const struct mp_sample *next)
{
	u32 i = 0, k = 0;
	u32 *map;

	map = kvmalloc_array(max(prev->nr_cgroups, 1u), sizeof(*map),
			     GFP_KERNEL);
	if (!map)
		return NULL;
	while (i < prev->nr_cgroups || k < next->nr_cgroups) {
		const struct mp_cgroup *old = i < prev->nr_cgroups ?
					      &prev->cgroups[i] : NULL;
		const struct mp_cgroup *cg = k < next->nr_cgroups ?
					     &next->cgroups[k] : NULL;

		if (old && cg && old->id == cg->id) {
			map[i++] = k++;
		} else if (cg && (!old || cg->id < old->id)) {
			if (cgroup_is_populated(cg->css->cgroup))
				goto moved;
			k++;
		} else {
			if (old->nr_procs)
				goto moved;
			map[i++] = MP_NO_CGROUP;
		}
	}
	return map;
moved:
	kvfree(map);
	return NULL;
}

/* Whether @map takes each cgroup index to itself. */
static bool mp_same_cgroups(const u32 *map, const struct mp_sample *prev,
			    const struct mp_sample *next)
{
	u32 i;

	if (prev->nr_cgroups != next->nr_cgroups)
		return false;
	for (i = 0; i < prev->nr_cgroups; i++)
		if (map[i] != i)
			return false;
	return true;
}

/*
 * Read the processes into @next: those that changed, or all of them (true).
 */
static bool mp_sample_processes(struct mp_sampler *s, struct mp_sample *next,
				const struct mp_sample *prev)
{
	const struct mp_born *born = s->tracking ? mp_changes_begin() : NULL;
	struct mp_proc_walk w = {
		.next = next,
		.prev = prev,
		.old = prev->procs,
		.old_end = prev->procs + prev->nr_procs,
		.clock = &s->clock,
		.seq = next->seq,
		.cgroup_idx = MP_NO_CGROUP,
		.mark_word = U32_MAX,
	};
	u32 *map = NULL;

	next->nr_read = 0;
	if (next->marks)
		memset(next->marks, 0,
		       2 * BITS_TO_LONGS(next->cap_procs) * sizeof(long));
	/*
	 * Marks need a sample that had room for them, and one that left
	 * processes out must look for them again: some may fit now.
	 */
	if (born && !born->overflow && prev->marks && next->marks &&
	    !prev->procs_skipped)
		map = mp_map_cgroups(prev, next);
	if (map && next->seq % MP_FULL_WALK_EVERY) {
		w.cgroup_map = map;
		w.same_cgroups = mp_same_cgroups(map, prev, next);
		mp_update_processes(s, &w, born);
	} else {
		w.check = !!map;
		mp_walk_processes(s, &w);
		WRITE_ONCE(s->stats.changes_missed,
			   s->stats.changes_missed + w.missed);
	}
	kvfree(map);
	return !w.cgroup_map;
}

static void mp_take_sample(struct mp_sampler *s)
{
	struct mp_sample *prev = mp_published(s);
	struct mp_sample *next = prev == &s->samples[0] ? &s->samples[1] :
							  &s->samples[0];
	u64 start;
	u64 took_us;
	bool full;
	u32 cap;

	mutex_lock(&mp_sample_lock);
	start = ktime_get_ns();
	/* @next was retired a grace period ago, references dropped. */
	next->nr_procs = 0;
	next->procs_skipped = 0;
	next->cgroups_skipped = 0;
	cap = mp_reserve_cap(next->cap_procs, prev->nr_procs,
			     s->params.max_processes);
	/* On failure the walk grows the array, or counts what is skipped. */
	if (cap)
		mp_resize_procs(next, cap);
	cap = mp_reserve_cap(next->cap_cgroups, prev->nr_cgroups,
			     s->params.max_cgroups);
	if (cap)
		mp_resize((void **)&next->cgroups, 0, &next->cap_cgroups, cap,
			  sizeof(*next->cgroups));

	mp_clock_advance(&s->clock, start);
	mp_walk_cgroups(s, next);
	mp_finish_cgroups(s, next, prev);
	next->seq = ++s->seq;
	full = mp_sample_processes(s, next, prev);
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
	WRITE_ONCE(s->stats.nr_read, next->nr_read);
	WRITE_ONCE(s->stats.nr_cgroups, next->nr_cgroups);
	WRITE_ONCE(s->stats.procs_skipped, next->procs_skipped);
	WRITE_ONCE(s->stats.cgroups_skipped, next->cgroups_skipped);
	WRITE_ONCE(s->stats.samples, s->stats.samples + 1);
	if (full) {
		WRITE_ONCE(s->stats.full_walks, s->stats.full_walks + 1);
		WRITE_ONCE(s->stats.full_walk_us,
			   s->stats.full_walk_us + took_us);
	}
	mp_update_memory(s);

	/* Readers of @prev are gone after this; then its pins can go. */
	synchronize_rcu();
	/* And no change probe marks @prev any more. */
	if (s->tracking)
		mp_carry_marks(prev, next);
	mp_put_cgroups(prev);
	mutex_unlock(&mp_sample_lock);
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
					 lockdep_is_held(&mp_sample_lock));
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
	stats->nr_read = READ_ONCE(s->nr_read);
	stats->full_walks = READ_ONCE(s->full_walks);
	stats->full_walk_us = READ_ONCE(s->full_walk_us);
	stats->changes_missed = READ_ONCE(s->changes_missed);
	stats->tracking = mp_sampler->tracking;
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
	kvfree(sample->marks);
	kvfree(sample->cgroups);
}

/* Take the first sample now, so the files are never empty, then tick. */
int mp_sampler_start(const struct mp_params *params)
{
	struct mp_sampler *s;
	int err;

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
	/* The probes mark the published sample: it must exist first. */
	err = params->change_tracking ? mp_changes_start(&s->tracking) : 0;
	if (err) {
		css_put(s->root_css);
		kfree(s);
		mp_sampler = NULL;
		return err;
	}
	mp_take_sample(s);
	s->next_jiffies = jiffies;
	mp_schedule(s);
	return 0;
}

void mp_sampler_stop(void)
{
	struct mp_sampler *s = mp_sampler;

	cancel_delayed_work_sync(&s->work);
	if (s->params.change_tracking)
		mp_changes_stop();
	/* The procfs files are gone, so nobody reads either sample. */
	mp_free_sample(&s->samples[0]);
	mp_free_sample(&s->samples[1]);
	css_put(s->root_css);
	kfree(s);
	mp_sampler = NULL;
}
