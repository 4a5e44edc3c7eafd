// SPDX-License-Identifier: GPL-2.0
/*
 * Settings (config.h).  Soft limits live in two xarrays, by cgroup id and by
 * pid in the initial namespace; entries are freed after an RCU grace period
 * because the sampler and the tables look them up under RCU.  The number of
 * per-process entries is bounded (MEMPRESSURE_CTL_PID_SOFT_MAX); per-cgroup
 * entries exist only for cgroups that exist, so max_cgroups bounds them.
 */
#include <linux/ktime.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "config.h"
#include "control_parse.h"
#include "sample.h"

/* Serializes changes; see config.h. */
DEFINE_MUTEX(mp_config_lock);

static u64 mp_tun[MEMPRESSURE_TUNABLE_NR];
static DEFINE_XARRAY(mp_cg_soft);
static DEFINE_XARRAY(mp_pid_soft);
static unsigned long mp_pid_soft_nr;

/*
 * @set_ns: when the entry was stored.  Only a sample that began after it
 * can tell that its cgroup or process is gone (mp_config_prune()).
 */
struct mp_cg_entry {
	struct mp_soft_cfg cfg;
	u64 set_ns;
	struct rcu_head rcu;
};

struct mp_pid_entry {
	u64 bytes;
	u64 start_ns;			/* tells a reused pid from its owner */
	u64 set_ns;
	struct rcu_head rcu;
};

int mp_config_init(unsigned int interval_ms)
{
	int t;

	for (t = 0; t < MEMPRESSURE_TUNABLE_NR; t++)
		mp_tun[t] = mp_ctl_default(t);
	mp_tun[MEMPRESSURE_TUNABLE_INTERVAL_MS] = interval_ms;
	return 0;
}

void mp_config_exit(void)
{
	struct mp_cg_entry *cg;
	struct mp_pid_entry *p;
	unsigned long i;

	xa_for_each(&mp_cg_soft, i, cg)
		kfree(cg);
	xa_destroy(&mp_cg_soft);
	xa_for_each(&mp_pid_soft, i, p)
		kfree(p);
	xa_destroy(&mp_pid_soft);
	mp_pid_soft_nr = 0;
}

u64 mp_tunable(enum mempressure_tunable t)
{
	return READ_ONCE(mp_tun[t]);
}

void mp_tunables(u64 *t)
{
	int i;

	for (i = 0; i < MEMPRESSURE_TUNABLE_NR; i++)
		t[i] = READ_ONCE(mp_tun[i]);
}

bool mp_cgroup_soft(u64 id, struct mp_soft_cfg *cfg)
{
	struct mp_cg_entry *e = xa_load(&mp_cg_soft, id);

	if (e)
		*cfg = e->cfg;
	return e;
}

/* Whether any process has a soft limit of its own. */
bool mp_any_process_soft(void)
{
	return !xa_empty(&mp_pid_soft);
}

bool mp_process_soft(pid_t pid, u64 start_ns, u64 *bytes)
{
	struct mp_pid_entry *e;

	if (xa_empty(&mp_pid_soft))
		return false;
	e = xa_load(&mp_pid_soft, pid);
	if (!e || e->start_ns != start_ns)
		return false;
	*bytes = e->bytes;
	return true;
}

static void mp_erase_cgroup_soft(u64 id)
{
	struct mp_cg_entry *old = xa_erase(&mp_cg_soft, id);

	if (old)
		kfree_rcu(old, rcu);
}

static void mp_erase_process_soft(pid_t pid)
{
	struct mp_pid_entry *old = xa_erase(&mp_pid_soft, pid);

	if (old) {
		kfree_rcu(old, rcu);
		mp_pid_soft_nr--;
	}
}

/* New per-process entries @changes would add, counting each pid once. */
static unsigned long mp_new_pids(const struct mp_config_change *ch, int nr)
{
	unsigned long added = 0;
	int i, j;

	for (i = 0; i < nr; i++) {
		if (ch[i].what != MP_CHANGE_PROCESS || !ch[i].value ||
		    xa_load(&mp_pid_soft, ch[i].pid))
			continue;
		for (j = 0; j < i; j++)
			if (ch[j].what == MP_CHANGE_PROCESS &&
			    ch[j].pid == ch[i].pid)
				break;
		added += j == i;
	}
	return added;
}

/*
 * Two phases, so that a write is applied whole or not at all: first
 * allocate every entry and reserve its slot (the only steps that can
 * fail), then store, which cannot fail into a reserved slot.
 */
int mp_config_apply(const struct mp_config_change *ch, int nr)
{
	void **entries;
	int i, err = 0;
	u64 now;

	entries = kcalloc(nr, sizeof(*entries), GFP_KERNEL);
	if (!entries)
		return -ENOMEM;
	mutex_lock(&mp_config_lock);
	now = ktime_get_ns();
	if (mp_pid_soft_nr + mp_new_pids(ch, nr) > MEMPRESSURE_CTL_PID_SOFT_MAX) {
		err = -ENOSPC;
		goto out;
	}
	for (i = 0; i < nr && !err; i++) {
		if (ch[i].what == MP_CHANGE_CGROUP && !ch[i].clear) {
			struct mp_cg_entry *e = kmalloc(sizeof(*e), GFP_KERNEL);

			entries[i] = e;
			if (e) {
				e->cfg = ch[i].cfg;
				e->set_ns = now;
			}
			err = e ? xa_reserve(&mp_cg_soft, ch[i].id, GFP_KERNEL) :
				  -ENOMEM;
		} else if (ch[i].what == MP_CHANGE_PROCESS && ch[i].value) {
			struct mp_pid_entry *e = kmalloc(sizeof(*e), GFP_KERNEL);

			entries[i] = e;
			if (e) {
				e->bytes = ch[i].value;
				e->start_ns = ch[i].start_ns;
				e->set_ns = now;
			}
			err = e ? xa_reserve(&mp_pid_soft, ch[i].pid, GFP_KERNEL) :
				  -ENOMEM;
		}
	}
	if (err) {
		/* Releasing a slot that holds an entry leaves it alone. */
		while (i--) {
			if (!entries[i])
				continue;
			if (ch[i].what == MP_CHANGE_CGROUP)
				xa_release(&mp_cg_soft, ch[i].id);
			else
				xa_release(&mp_pid_soft, ch[i].pid);
			kfree(entries[i]);
		}
		goto out;
	}

	for (i = 0; i < nr; i++) {
		void *old;

		switch (ch[i].what) {
		case MP_CHANGE_TUNABLE:
			WRITE_ONCE(mp_tun[ch[i].tunable], ch[i].value);
			break;
		case MP_CHANGE_CGROUP:
			if (!entries[i]) {
				mp_erase_cgroup_soft(ch[i].id);
				break;
			}
			old = xa_store(&mp_cg_soft, ch[i].id, entries[i],
				       GFP_KERNEL);
			if (old)
				kfree_rcu((struct mp_cg_entry *)old, rcu);
			break;
		case MP_CHANGE_PROCESS:
			if (!entries[i]) {
				mp_erase_process_soft(ch[i].pid);
				break;
			}
			old = xa_store(&mp_pid_soft, ch[i].pid, entries[i],
				       GFP_KERNEL);
			if (old)
				kfree_rcu((struct mp_pid_entry *)old, rcu);
			else
				mp_pid_soft_nr++;
			break;
		}
	}
out:
	mutex_unlock(&mp_config_lock);
	kfree(entries);
	return err;
}

void mp_config_prune(const struct mp_sample *sample)
{
	struct mp_pid_entry *p;
	struct mp_cg_entry *cg;
	unsigned long i;

	mutex_lock(&mp_config_lock);
	/*
	 * A sample that skipped some cannot tell who is gone, nor can one
	 * that began before the entry was set: its walk may have passed the
	 * new cgroup or process by before it existed.
	 */
	if (!sample->procs_skipped) {
		xa_for_each(&mp_pid_soft, i, p) {
			const struct mp_proc *pr = mp_sample_proc(sample, i);

			if (p->set_ns < sample->time_ns &&
			    (!pr || pr->start_ns != p->start_ns))
				mp_erase_process_soft(i);
		}
	}
	if (!sample->cgroups_skipped) {
		xa_for_each(&mp_cg_soft, i, cg) {
			if (cg->set_ns < sample->time_ns &&
			    !mp_sample_cgroup(sample, i))
				mp_erase_cgroup_soft(i);
		}
	}
	mutex_unlock(&mp_config_lock);
}

void mp_visit_soft(struct mp_soft_visitor *v)
{
	struct mp_pid_entry *p;
	struct mp_cg_entry *cg;
	unsigned long i;

	lockdep_assert_held(&mp_config_lock);
	xa_for_each(&mp_cg_soft, i, cg)
		v->cgroup(v, i, &cg->cfg);
	xa_for_each(&mp_pid_soft, i, p)
		v->process(v, i, p->bytes);
}
