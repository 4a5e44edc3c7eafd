// SPDX-License-Identifier: GPL-2.0
/*
 * The fast path: limit events must not wait for the next sample.  The
 * kernel's mm_vmscan_memcg_reclaim_begin tracepoint fires once per
 * memory.events "high" increment (throttling at memory.high) and on reclaim
 * at memory.max; mark_victim fires when the OOM killer picks a victim.
 * Neither is exported to modules, so they are found by name.  Their probes
 * run in the reclaiming or killing task, with locks held and preemption
 * off: they only queue signals.c's pass (mp_signals_kick()), naming the
 * cgroup concerned, which may be too young to be in the sample.
 *
 * A kernel built without them still works, at the sampling interval; the
 * load says so once.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/memcontrol.h>
#include <trace/events/oom.h>
#include <trace/events/vmscan.h>

#include "fastpath.h"
#include "probes.h"
#include "signals.h"

/* Reclaim runs in the charging task: its cgroup, or an ancestor, is short. */
static void mp_reclaim_probe(void *data, int order, gfp_t gfp_flags)
{
	rcu_read_lock();
	mp_signals_kick(mem_cgroup_from_task(current));
	rcu_read_unlock();
}

static void mp_victim_probe(void *data, struct task_struct *task, uid_t uid)
{
	rcu_read_lock();
	mp_signals_kick(mem_cgroup_from_task(task));
	rcu_read_unlock();
}

/*
 * The probes' types are what the kernel's headers declare: checked at
 * build time through the register_trace_*() helpers, which sizeof()
 * does not call (they would need the unexported tracepoint symbols).
 */
static_assert(sizeof(register_trace_mm_vmscan_memcg_reclaim_begin(mp_reclaim_probe, NULL)));
static_assert(sizeof(register_trace_mark_victim(mp_victim_probe, NULL)));

static struct mp_probe mp_probes[] = {
	{ "mm_vmscan_memcg_reclaim_begin", mp_reclaim_probe },
	{ "mark_victim", mp_victim_probe },
};

int mp_fastpath_start(void)
{
	int i;

	if (mp_probes_find(mp_probes, ARRAY_SIZE(mp_probes)))
		for (i = 0; i < ARRAY_SIZE(mp_probes); i++)
			if (!mp_probes[i].tp)
				pr_warn("no %s tracepoint: its events come at the sampling interval\n",
					mp_probes[i].name);
	return mp_probes_attach(mp_probes, ARRAY_SIZE(mp_probes));
}

void mp_fastpath_stop(void)
{
	mp_probes_detach(mp_probes, ARRAY_SIZE(mp_probes));
}
