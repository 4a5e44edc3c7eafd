/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels mempressure supports lives here.
 *
 * The rest of the module is written against the newest kernel's API.  Where
 * an older one differs, a helper here hides it.  Differences are detected by
 * feature probes (compat/probes/, compiled against the target kernel by
 * compat/probe.sh at build time), not by version numbers: distributions
 * backport features into old version numbers.
 *
 * Features that can be configured out get an empty version here, so the .c
 * files carry no #ifdef.
 */
#ifndef _MP_COMPAT_H
#define _MP_COMPAT_H

#include <linux/cgroup.h>
#include <linux/kernfs.h>
#include <linux/limits.h>
#include <linux/mm.h>
#include <linux/psi_types.h>

#include "compat_probes.h"	/* generated: MP_HAVE_* */

#ifndef CONFIG_MEMCG
#error "mempressure needs a kernel with CONFIG_MEMCG"
#endif

/*
 * The mm counters.  Since 6.2 they are per-CPU: get_mm_counter() reads the
 * shared count only, which lags by what each CPU holds back (less than
 * percpu_counter_batch pages per CPU), and get_mm_counter_sum(), what
 * /proc/PID/status shows, visits every CPU under the counter's lock.  Before,
 * they were atomic and get_mm_counter() was both cheap and what
 * /proc/PID/status showed (it has the same per-thread caches in view).
 */
#ifdef MP_HAVE_GET_MM_COUNTER_SUM
static inline bool mp_mm_counters_percpu(void)
{
	return true;
}

static inline unsigned long mp_mm_counter_exact(struct mm_struct *mm,
						int member)
{
	return get_mm_counter_sum(mm, member);
}
#else
static inline bool mp_mm_counters_percpu(void)
{
	return false;
}

static inline unsigned long mp_mm_counter_exact(struct mm_struct *mm,
						int member)
{
	return get_mm_counter(mm, member);
}
#endif

/*
 * A cgroup's absolute path into @buf, of MP_CGROUP_PATH_SIZE bytes: its
 * length, or -ENAMETOOLONG for a path longer than PATH_MAX allows (the
 * kernel allows it: names of NAME_MAX at any depth), never a path cut
 * short.  kernfs_path() cuts what does not fit and says so differently:
 * 6.1 returns the length the whole path needs (strlcpy()), 6.12 the length
 * it wrote (scnprintf()).  With one byte more than PATH_MAX, a path that
 * fills the buffer is too long on both.
 */
#define MP_CGROUP_PATH_SIZE	(PATH_MAX + 1)

static inline int mp_whole_cgroup_path(struct cgroup *cgrp, char *buf)
{
	int len = kernfs_path(cgrp->kn, buf, MP_CGROUP_PATH_SIZE);

	return len >= MP_CGROUP_PATH_SIZE - 1 ? -ENAMETOOLONG : len;
}

/*
 * The rss_stat tracepoint's probe arguments: the counter's new value went
 * away with the per-CPU counters (6.2).
 */
#ifdef MP_HAVE_RSS_STAT_COUNT
#define MP_RSS_STAT_ARGS	struct mm_struct *mm, int member, long count
#else
#define MP_RSS_STAT_ARGS	struct mm_struct *mm, int member
#endif

#ifdef CONFIG_PSI
/* cgroup_psi() would reference psi_system, which is not exported. */
static inline struct psi_group *mp_cgroup_psi(struct cgroup *cgrp)
{
	return cgrp->psi;
}

static inline struct psi_group *mp_psi_parent(struct psi_group *psi)
{
	return psi ? psi->parent : NULL;
}

/* Memory stall totals in ns, as of psi's last aggregation (<= 2 s ago). */
static inline bool mp_psi_mem_totals(struct psi_group *psi, u64 *some_ns,
				     u64 *full_ns)
{
	if (!psi || !READ_ONCE(psi->enabled))
		return false;
	*some_ns = READ_ONCE(psi->total[PSI_AVGS][PSI_MEM_SOME]);
	*full_ns = READ_ONCE(psi->total[PSI_AVGS][PSI_MEM_FULL]);
	return true;
}
#else
static inline struct psi_group *mp_cgroup_psi(struct cgroup *cgrp)
{
	return NULL;
}

static inline struct psi_group *mp_psi_parent(struct psi_group *psi)
{
	return NULL;
}

static inline bool mp_psi_mem_totals(struct psi_group *psi, u64 *some_ns,
				     u64 *full_ns)
{
	return false;
}
#endif

#endif /* _MP_COMPAT_H */
