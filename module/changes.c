// SPDX-License-Identifier: GPL-2.0
/*
 * Change tracking: which processes the next sample must read again.
 *
 * Most processes do not change between two samples, and reading one costs
 * a pid lookup, the task lock and its mm counters: at 10,000 processes a
 * full walk is most of a sample.  So the kernel tells the module what
 * changed, through tracepoints that fire where a process's row can change:
 *
 *   rss_stat		an mm counter moved (page faults, unmapping, reclaim,
 *			on 6.2 and later per update, before 6.2 per sync of a
 *			thread's cached counts)
 *   task_rename	its command name changed (exec, PR_SET_NAME)
 *   cgroup_attach_task	it was moved to another cgroup
 *   sched_process_exit	one of its threads exited
 *   sched_process_fork	it was born
 *
 * The first four mark the process in the published sample
 * (mp_sampler_mark()); the sampler reads marked processes again and
 * carries the others over.  Births go to a list the sampler takes at the
 * start of each sample (mp_changes_begin()).
 *
 * rss_stat fires on every page fault on 6.2 and later, so its probe must be
 * cheap: each CPU remembers the last mm it marked and skips the lookup while
 * the mark generation, bumped at the start of every sample, is unchanged.
 * A skip is safe because the mark it relies on is still pending, with one
 * exception: a probe that read the old generation just as the sampler bumped
 * it, whose counter update the sampler may not see yet (nothing orders the
 * probe's store before its load).  So the sampler reads every process whose
 * mark it consumed once more at the following sample, by which time a grace
 * period has passed and the probe has finished (see sampler.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm_types.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/spinlock.h>
#include <trace/events/cgroup.h>
#include <trace/events/kmem.h>
#include <trace/events/sched.h>
#include <trace/events/task.h>

#include "changes.h"
#include "compat.h"
#include "probes.h"
#include "sampler.h"

/* Bumped at the start of every sample: invalidates the mm caches. */
static unsigned long mp_mark_gen;

struct mp_mm_mark {
	struct mm_struct *mm;
	unsigned long gen;
};

static DEFINE_PER_CPU(struct mp_mm_mark, mp_last_mm);

/* Births: the probe fills one list while the sampler reads the other. */
static DEFINE_RAW_SPINLOCK(mp_born_lock);
static struct mp_born mp_born[2];
static struct mp_born *mp_born_now = &mp_born[0];	/* under mp_born_lock */

static void mp_rss_probe(void *data, MP_RSS_STAT_ARGS)
{
	struct mp_mm_mark *last = this_cpu_ptr(&mp_last_mm);
	unsigned long gen = READ_ONCE(mp_mark_gen);
	struct task_struct *owner;

	if (last->mm == mm && last->gen == gen)
		return;
	rcu_read_lock();
	owner = rcu_dereference(mm->owner);
	if (owner) {
		mp_sampler_mark(owner->tgid);
		last->mm = mm;
		last->gen = gen;
	}
	/* No owner: the mm's last user is exiting, which marks it. */
	rcu_read_unlock();
}

static void mp_rename_probe(void *data, struct task_struct *task,
			    const char *comm)
{
	mp_sampler_mark(task->tgid);
}

static void mp_attach_probe(void *data, struct cgroup *dst_cgrp,
			    const char *path, struct task_struct *task,
			    bool threadgroup)
{
	mp_sampler_mark(task->tgid);
}

static void mp_exit_probe(void *data, struct task_struct *task)
{
	mp_sampler_mark(task->tgid);
}

static void mp_fork_probe(void *data, struct task_struct *parent,
			  struct task_struct *child)
{
	struct mp_born *born;

	/* A new thread of a known process changes nothing yet. */
	if (child->pid != child->tgid || (child->flags & PF_KTHREAD))
		return;
	raw_spin_lock(&mp_born_lock);
	born = mp_born_now;
	if (born->nr < MP_BORN_MAX)
		born->pid[born->nr++] = child->tgid;
	else
		born->overflow = true;
	raw_spin_unlock(&mp_born_lock);
}

/* The probes' types are what the kernel's headers declare (fastpath.c). */
static_assert(sizeof(register_trace_rss_stat(mp_rss_probe, NULL)));
static_assert(sizeof(register_trace_task_rename(mp_rename_probe, NULL)));
static_assert(sizeof(register_trace_cgroup_attach_task(mp_attach_probe, NULL)));
static_assert(sizeof(register_trace_sched_process_exit(mp_exit_probe, NULL)));
static_assert(sizeof(register_trace_sched_process_fork(mp_fork_probe, NULL)));

static struct mp_probe mp_change_probes[] = {
	{ "rss_stat", mp_rss_probe },
	{ "task_rename", mp_rename_probe },
	{ "cgroup_attach_task", mp_attach_probe },
	{ "sched_process_exit", mp_exit_probe },
	{ "sched_process_fork", mp_fork_probe },
};

static int mp_pid_cmp(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The start of a sample: new marks from now on belong to the next one, and
 * the births since the last one, sorted, without duplicates.  The list is
 * the caller's until the next call.
 */
const struct mp_born *mp_changes_begin(void)
{
	struct mp_born *born;
	u32 i, nr = 0;

	WRITE_ONCE(mp_mark_gen, mp_mark_gen + 1);
	/* Probes that start after this miss their cache and mark anew. */
	smp_mb();

	raw_spin_lock(&mp_born_lock);
	born = mp_born_now;
	mp_born_now = born == &mp_born[0] ? &mp_born[1] : &mp_born[0];
	mp_born_now->nr = 0;
	mp_born_now->overflow = false;
	raw_spin_unlock(&mp_born_lock);

	sort(born->pid, born->nr, sizeof(born->pid[0]), mp_pid_cmp, NULL);
	for (i = 0; i < born->nr; i++)
		if (!nr || born->pid[i] != born->pid[nr - 1])
			born->pid[nr++] = born->pid[i];
	born->nr = nr;
	return born;
}

/*
 * Attach the probes.  *@tracking says whether all of them are there; a
 * kernel without one of them is sampled by walking every process, as the
 * load says once.
 */
int mp_changes_start(bool *tracking)
{
	int i, err;

	*tracking = false;
	if (mp_probes_find(mp_change_probes, ARRAY_SIZE(mp_change_probes))) {
		for (i = 0; i < ARRAY_SIZE(mp_change_probes); i++)
			if (!mp_change_probes[i].tp)
				pr_warn("no %s tracepoint: every sample reads every process\n",
					mp_change_probes[i].name);
		return 0;
	}
	err = mp_probes_attach(mp_change_probes, ARRAY_SIZE(mp_change_probes));
	if (!err)
		*tracking = true;
	return err;
}

void mp_changes_stop(void)
{
	mp_probes_detach(mp_change_probes, ARRAY_SIZE(mp_change_probes));
}
