// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/mempressure/control (docs/control.md): writes change the settings,
 * reads show them as commands that can be written back.
 *
 * A write goes through three steps, and only the last changes anything:
 * parse every line (pure/control_parse.c, the grammar userspace shares),
 * resolve what the lines name (cgroup paths in the writer's cgroup
 * namespace, pids in its pid namespace), and apply the whole batch
 * (config.c, which allocates before it stores).  The capability is checked
 * against the credentials the file was opened with, so that a privileged
 * process cannot be tricked into writing through a descriptor an
 * unprivileged one opened.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cgroup.h>
#include <linux/kernfs.h>
#include <linux/memcontrol.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "config.h"
#include "control.h"
#include "control_parse.h"
#include "view.h"

/*
 * The cgroup a path names: its id.  cgroup_get_from_path() resolves from
 * the root of the writer's cgroup namespace, as the docs promise.
 */
static int mp_resolve_cgroup(const char *path, u64 *id)
{
	struct cgroup_subsys_state *css;
	struct cgroup *cgrp;
	int err = 0;

	cgrp = cgroup_get_from_path(path);
	if (IS_ERR(cgrp))	/* ENOTDIR for a file: not a cgroup either */
		return PTR_ERR(cgrp) == -ENOMEM ? -ENOMEM : -ENOENT;
	/* The memory controller must be enabled for the cgroup itself. */
	css = cgroup_get_e_css(cgrp, &memory_cgrp_subsys);
	if (!css || css->cgroup != cgrp)
		err = -ENOENT;
	else
		*id = cgroup_id(cgrp);
	if (css)
		css_put(css);
	cgroup_put(cgrp);
	return err;
}

/* A process by its pid in the writer's namespace: initial pid and start. */
static int mp_resolve_process(u32 nr, pid_t *pid, u64 *start_ns)
{
	struct task_struct *p;
	struct pid *spid;
	int err = -ESRCH;

	spid = find_get_pid(nr);
	if (!spid)
		return -ESRCH;
	rcu_read_lock();
	p = pid_task(spid, PIDTYPE_TGID);
	if (p && !(p->flags & PF_KTHREAD)) {
		*pid = task_tgid_nr(p);
		*start_ns = p->start_time;
		err = 0;
	}
	rcu_read_unlock();
	put_pid(spid);
	return err;
}

static int mp_resolve(const struct mp_ctl_batch *batch,
		      struct mp_config_change *ch, int *bad_line)
{
	int i, err = 0;

	for (i = 0; i < batch->nr_cmds && !err; i++) {
		const struct mp_ctl_cmd *cmd = &batch->cmds[i];

		switch (cmd->op) {
		case MP_CTL_OP_SET:
			ch[i].what = MP_CHANGE_TUNABLE;
			ch[i].tunable = cmd->tunable;
			ch[i].value = cmd->value;
			break;
		case MP_CTL_OP_SOFT:
			ch[i].what = MP_CHANGE_CGROUP;
			ch[i].clear = cmd->soft == MP_CTL_SOFT_DEFAULT;
			ch[i].cfg.value = cmd->value;
			ch[i].cfg.percent = cmd->soft == MP_CTL_SOFT_PCT;
			err = mp_resolve_cgroup(cmd->path, &ch[i].id);
			break;
		default:
			ch[i].what = MP_CHANGE_PROCESS;
			ch[i].value = cmd->soft == MP_CTL_SOFT_NONE ? 0 :
				      cmd->value;
			err = mp_resolve_process(cmd->pid, &ch[i].pid,
						 &ch[i].start_ns);
			break;
		}
		if (err)
			*bad_line = cmd->line;
	}
	return err;
}

static ssize_t mp_control_write(struct file *file, const char __user *ubuf,
				size_t count, loff_t *ppos)
{
	struct mp_config_change *changes = NULL;
	struct mp_ctl_batch *batch = NULL;
	int err, bad_line = 0;
	char *buf = NULL;

	if (!file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN))
		return -EPERM;
	if (count > MEMPRESSURE_CTL_WRITE_MAX) {
		err = -EINVAL;
		goto out;
	}
	buf = memdup_user(ubuf, count);
	if (IS_ERR(buf)) {
		err = PTR_ERR(buf);
		buf = NULL;
		goto out;
	}
	batch = kvmalloc(sizeof(*batch), GFP_KERNEL);
	if (!batch) {
		err = -ENOMEM;
		goto out;
	}
	err = mp_ctl_parse(buf, count, batch);
	bad_line = batch->bad_line;
	if (err || !batch->nr_cmds)
		goto out;
	changes = kcalloc(batch->nr_cmds, sizeof(*changes), GFP_KERNEL);
	err = changes ? mp_resolve(batch, changes, &bad_line) : -ENOMEM;
	if (!err)
		err = mp_config_apply(changes, batch->nr_cmds);
out:
	if (err)
		pr_info_ratelimited("control: write by %s[%d] refused at line %d: error %d\n",
				    current->comm, task_pid_nr(current),
				    bad_line, err);
	kfree(changes);
	kvfree(batch);
	kfree(buf);
	return err ? err : count;
}

/* --- reading -------------------------------------------------------------- */

struct mp_show {
	struct mp_soft_visitor visit;
	struct seq_file *m;
	struct mp_view view;
	char *path, *line;		/* MP_CGROUP_PATH_SIZE, 4 * PATH_MAX + 64 */
};

static void mp_show_cgroup(struct mp_soft_visitor *v, u64 id,
			   const struct mp_soft_cfg *cfg)
{
	struct mp_show *sh = container_of(v, struct mp_show, visit);
	struct mp_ctl_cmd cmd = {
		.op = MP_CTL_OP_SOFT,
		.soft = cfg->percent ? MP_CTL_SOFT_PCT : MP_CTL_SOFT_BYTES,
		.value = cfg->value,
	};
	struct cgroup *cgrp = cgroup_get_from_id(id);
	int len;

	if (IS_ERR(cgrp))
		return;		/* removed; the next sample forgets it */
	len = mp_whole_cgroup_path(cgrp, sh->path);
	cgroup_put(cgrp);
	if (len < 0)
		return;		/* longer than PATH_MAX: no command can name it */
	cmd.path = mp_view_path(&sh->view, sh->path);
	if (cmd.path && mp_ctl_format_cmd(sh->line, 4 * PATH_MAX + 64, &cmd) > 0)
		seq_puts(sh->m, sh->line);
}

static void mp_show_process(struct mp_soft_visitor *v, pid_t pid, u64 bytes)
{
	struct mp_show *sh = container_of(v, struct mp_show, visit);
	struct mp_ctl_cmd cmd = {
		.op = MP_CTL_OP_SOFT_PID,
		.soft = MP_CTL_SOFT_BYTES,
		.value = bytes,
	};

	rcu_read_lock();
	cmd.pid = mp_view_pid_nr(&sh->view, pid);
	rcu_read_unlock();
	if (cmd.pid && mp_ctl_format_cmd(sh->line, 4 * PATH_MAX + 64, &cmd) > 0)
		seq_puts(sh->m, sh->line);
}

static int mp_control_show(struct seq_file *m, void *v)
{
	struct mp_show sh = {
		.visit = { .cgroup = mp_show_cgroup, .process = mp_show_process },
		.m = m,
	};
	char line[MP_CTL_TUNABLE_LINE_MAX];
	int t, err;

	for (t = 0; t < MEMPRESSURE_TUNABLE_NR; t++) {
		if (mp_ctl_format_tunable(line, sizeof(line), t,
					  mp_tunable(t)) > 0)
			seq_puts(m, line);
	}
	/* The reader's, for as long as this read (docs/security.md). */
	sh.path = kmalloc(MP_CGROUP_PATH_SIZE, GFP_KERNEL_ACCOUNT);
	sh.line = kmalloc(4 * PATH_MAX + 64, GFP_KERNEL_ACCOUNT);
	err = sh.path && sh.line ? mp_view_init(&sh.view, m->file) : -ENOMEM;
	if (!err) {
		mutex_lock(&mp_config_lock);
		mp_visit_soft(&sh.visit);
		mutex_unlock(&mp_config_lock);
		mp_view_release(&sh.view);
	}
	kfree(sh.line);
	kfree(sh.path);
	return err;
}

static int mp_control_open(struct inode *inode, struct file *file)
{
	return single_open(file, mp_control_show, NULL);
}

static const struct proc_ops mp_control_fops = {
	.proc_open = mp_control_open,
	.proc_read_iter = seq_read_iter,
	.proc_write = mp_control_write,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
};

/*
 * World-writable on purpose: the write checks the opener's capability,
 * which is what an fd passed to another process carries.
 */
int mp_control_create_file(struct proc_dir_entry *dir)
{
	return proc_create(MEMPRESSURE_FILE_CONTROL, 0666, dir,
			   &mp_control_fops) ? 0 : -ENOMEM;
}
