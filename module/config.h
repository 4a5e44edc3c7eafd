/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The module's settings: the tunables and the soft limits that the control
 * file sets (docs/control.md).  Readers take values without locks (tunables
 * with READ_ONCE, soft limits under RCU); control.c changes them under
 * mp_config_lock.
 */
#ifndef _MP_CONFIG_H
#define _MP_CONFIG_H

#include <linux/mempressure.h>
#include <linux/mutex.h>
#include <linux/types.h>

struct mp_sample;

/* A cgroup's own soft limit: bytes, or a percent of its effective limit. */
struct mp_soft_cfg {
	u64 value;
	bool percent;
};

extern struct mutex mp_config_lock;

int mp_config_init(unsigned int interval_ms);
void mp_config_exit(void);

u64 mp_tunable(enum mempressure_tunable t);
void mp_tunables(u64 *t);		/* all MEMPRESSURE_TUNABLE_NR */

bool mp_cgroup_soft(u64 id, struct mp_soft_cfg *cfg);	/* under RCU */
bool mp_process_soft(pid_t pid, u64 start_ns, u64 *bytes);	/* under RCU */
bool mp_any_process_soft(void);

/* One change a control write asks for, resolved to what it names. */
struct mp_config_change {
	enum { MP_CHANGE_TUNABLE, MP_CHANGE_CGROUP, MP_CHANGE_PROCESS } what;
	enum mempressure_tunable tunable;
	u64 value;		/* tunable value; process soft bytes, 0: none */
	u64 id;			/* cgroup */
	bool clear;		/* cgroup: back to the default */
	struct mp_soft_cfg cfg;	/* cgroup */
	pid_t pid;		/* process, initial namespace */
	u64 start_ns;		/* process */
};

/* All of them, or none (and an error). */
int mp_config_apply(const struct mp_config_change *changes, int nr);

/* Forget the settings of processes and cgroups that are gone. */
void mp_config_prune(const struct mp_sample *sample);

/* For the control file's read-back: every soft limit, under the lock. */
struct mp_soft_visitor {
	void (*cgroup)(struct mp_soft_visitor *v, u64 id,
		       const struct mp_soft_cfg *cfg);
	void (*process)(struct mp_soft_visitor *v, pid_t pid, u64 bytes);
};

void mp_visit_soft(struct mp_soft_visitor *v);

#endif /* _MP_CONFIG_H */
