// SPDX-License-Identifier: GPL-2.0
/*
 * The fast path: limit events must not wait for the next sample.  The
 * kernel's mm_vmscan_memcg_reclaim_begin tracepoint fires once per
 * memory.events "high" increment (throttling at memory.high) and on reclaim
 * at memory.max; mark_victim fires when the OOM killer picks a victim.
 * Neither is exported to modules, so they are found by name.  Their probes
 * run in the reclaiming or killing task, with locks held and preemption
 * off: they only queue signals.c's pass (mp_signals_kick()).
 *
 * A kernel built without them still works, at the sampling interval; the
 * load says so once.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/string.h>
#include <linux/tracepoint.h>
#include <trace/events/oom.h>
#include <trace/events/vmscan.h>

#include "fastpath.h"
#include "signals.h"

static void mp_reclaim_probe(void *data, int order, gfp_t gfp_flags)
{
	mp_signals_kick();
}

static void mp_victim_probe(void *data, struct task_struct *task, uid_t uid)
{
	mp_signals_kick();
}

/*
 * The probes' types are what the kernel's headers declare: checked at
 * build time through the register_trace_*() helpers, which sizeof()
 * does not call (they would need the unexported tracepoint symbols).
 */
static_assert(sizeof(register_trace_mm_vmscan_memcg_reclaim_begin(mp_reclaim_probe, NULL)));
static_assert(sizeof(register_trace_mark_victim(mp_victim_probe, NULL)));

static struct mp_probe {
	const char *name;
	void *probe;
	struct tracepoint *tp;		/* found by name */
	bool attached;
} mp_probes[] = {
	{ "mm_vmscan_memcg_reclaim_begin", mp_reclaim_probe },
	{ "mark_victim", mp_victim_probe },
};

static void mp_find_tracepoint(struct tracepoint *tp, void *priv)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(mp_probes); i++)
		if (!strcmp(tp->name, mp_probes[i].name))
			mp_probes[i].tp = tp;
}

int mp_fastpath_start(void)
{
	int i, err;

	for_each_kernel_tracepoint(mp_find_tracepoint, NULL);
	for (i = 0; i < ARRAY_SIZE(mp_probes); i++) {
		struct mp_probe *p = &mp_probes[i];

		if (!p->tp) {
			pr_warn("no %s tracepoint: its events come at the sampling interval\n",
				p->name);
			continue;
		}
		err = tracepoint_probe_register(p->tp, p->probe, NULL);
		if (err) {
			pr_err("cannot attach to %s: %d\n", p->name, err);
			mp_fastpath_stop();
			return err;
		}
		p->attached = true;
	}
	return 0;
}

void mp_fastpath_stop(void)
{
	int i;

	/* Only what was attached: a probe found but not yet attached is not. */
	for (i = 0; i < ARRAY_SIZE(mp_probes); i++) {
		if (mp_probes[i].attached)
			tracepoint_probe_unregister(mp_probes[i].tp,
						    mp_probes[i].probe, NULL);
		mp_probes[i].attached = false;
		mp_probes[i].tp = NULL;
	}
	/* No probe runs after this. */
	tracepoint_synchronize_unregister();
}
