// SPDX-License-Identifier: GPL-2.0
/*
 * mempressure: early, precise memory-pressure information for every process
 * and every memory cgroup, under /proc/mempressure.
 *
 * This file only wires the parts together: parameters, the settings
 * (config.c), the event stream (events.c), the sampler (sampler.c, which
 * attaches its change tracking, changes.c) and its signals (signals.c), the
 * procfs files (procfs.c) and the fast path (fastpath.c).  Exit undoes init
 * in reverse.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>
#include <linux/kernel.h>
#include <linux/memcontrol.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/threads.h>

#include "config.h"
#include "control_parse.h"
#include "events.h"
#include "fastpath.h"
#include "procfs.h"
#include "sampler.h"
#include "signals.h"

static unsigned int interval_ms = 1000;
module_param(interval_ms, uint, 0444);
MODULE_PARM_DESC(interval_ms, "Sampling interval in ms (100-60000, default 1000)");

/* 2 samples x 65536 x 104 bytes (struct mp_proc) = 13 MiB at most. */
static unsigned int max_processes = 65536;
module_param(max_processes, uint, 0444);
MODULE_PARM_DESC(max_processes, "Most processes tracked (1-4194304, default 65536)");

static unsigned int max_cgroups = 4096;
module_param(max_cgroups, uint, 0444);
MODULE_PARM_DESC(max_cgroups, "Most memory cgroups tracked (1-1048576, default 4096)");

/*
 * Off: no probe on the page-fault path, and every sample reads every
 * process (changes.c says what the probes save).
 */
static bool change_tracking = true;
module_param(change_tracking, bool, 0444);
MODULE_PARM_DESC(change_tracking, "Read only the processes the kernel reports changed (default Y)");

struct mp_param_range {
	const char *name;
	unsigned int value, min, max;
};

/*
 * Why these bounds: under 100 ms a sample's cost stops being negligible
 * and windows of 10 s need no finer grain; over 60 s a 10 s window is
 * meaningless.  Processes cannot exceed PID_MAX_LIMIT.  A million cgroups
 * is beyond any host seen, and each costs 2 x 384 bytes at most (two
 * samples of struct mp_cgroup).
 */
static int __init mp_check_params(struct mp_params *params)
{
	const struct mp_param_range ranges[] = {
		{ "interval_ms", interval_ms,
		  mp_ctl_min(MEMPRESSURE_TUNABLE_INTERVAL_MS),
		  mp_ctl_max(MEMPRESSURE_TUNABLE_INTERVAL_MS) },
		{ "max_processes", max_processes, 1, PID_MAX_LIMIT },
		{ "max_cgroups", max_cgroups, 1, 1048576 },
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(ranges); i++) {
		if (ranges[i].value < ranges[i].min ||
		    ranges[i].value > ranges[i].max) {
			pr_err("%s=%u is out of range %u-%u\n", ranges[i].name,
			       ranges[i].value, ranges[i].min, ranges[i].max);
			return -EINVAL;
		}
	}
	params->interval_ms = interval_ms;
	params->max_processes = max_processes;
	params->max_cgroups = max_cgroups;
	params->change_tracking = change_tracking;
	return 0;
}

static int __init mp_check_kernel(void)
{
	if (mem_cgroup_disabled()) {
		pr_err("the memory cgroup controller is disabled (cgroup_disable=memory)\n");
		return -ENODEV;
	}
	if (!cgroup_subsys_on_dfl(memory_cgrp_subsys)) {
		pr_err("the memory controller is bound to cgroup v1; mempressure needs cgroup v2\n");
		return -ENODEV;
	}
	return 0;
}

static int __init mp_init(void)
{
	struct mp_params params;
	int err;

	err = mp_check_params(&params);
	if (err)
		return err;
	err = mp_check_kernel();
	if (err)
		return err;

	err = mp_config_init(params.interval_ms);
	if (err)
		return err;
	err = mp_events_init();
	if (err)
		goto err_config;
	err = mp_sampler_start(&params);
	if (err)
		goto err_events;
	err = mp_signals_start();
	if (err)
		goto err_sampler;
	err = mp_procfs_create();
	if (err)
		goto err_signals;
	err = mp_fastpath_start();
	if (err)
		goto err_procfs;

	pr_info("version %s loaded, sampling every %u ms\n", MP_VERSION,
		params.interval_ms);
	return 0;

err_procfs:
	mp_events_shutdown();
	mp_procfs_remove();
err_signals:
	mp_signals_stop();
err_sampler:
	mp_sampler_stop();
err_events:
	mp_events_exit();
err_config:
	mp_config_exit();
	return err;
}

static void __exit mp_exit(void)
{
	mp_fastpath_stop();
	mp_events_shutdown();
	mp_procfs_remove();
	mp_signals_stop();
	mp_sampler_stop();
	mp_events_exit();
	mp_config_exit();
}

module_init(mp_init);
module_exit(mp_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Memory pressure monitor: per-process RSS growth and per-cgroup memory state");
MODULE_VERSION(MP_VERSION);
