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
#include <linux/mm.h>
#include <linux/psi_types.h>

#include "compat_probes.h"	/* generated: MP_HAVE_* */

#ifndef CONFIG_MEMCG
#error "mempressure needs a kernel with CONFIG_MEMCG"
#endif

/*
 * An mm counter as /proc/PID/status shows it.  Since 6.2 the counters are
 * per-CPU and get_mm_counter() may be off by nr_cpus x batch pages;
 * get_mm_counter_sum() is exact.  Before, the counters were atomic (with
 * per-thread caches that /proc/PID/status does not see either).
 */
static inline unsigned long mp_mm_counter(struct mm_struct *mm, int member)
{
#ifdef MP_HAVE_GET_MM_COUNTER_SUM
	return get_mm_counter_sum(mm, member);
#else
	return get_mm_counter(mm, member);
#endif
}

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
