// SPDX-License-Identifier: GPL-2.0
/*
 * Namespaces of a reader (view.h).  A reader in the initial namespaces sees
 * everything; the checks below cost it nothing.
 */
#include <linux/capability.h>
#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/kernfs.h>
#include <linux/nsproxy.h>
#include <linux/proc_fs.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "compat.h"
#include "view.h"

/* The absolute path of the opener's cgroup namespace root. */
static int mp_view_root(struct mp_view *view)
{
	struct cgroup_namespace *ns = current->nsproxy->cgroup_ns;
	struct cgroup *root = ns->root_cset->dfl_cgrp;
	char *buf;
	int len;

	if (root == &cgrp_dfl_root.cgrp)
		return 0;
	/* The opener's, as the rest of what it opens (docs/security.md). */
	buf = kmalloc(MP_CGROUP_PATH_SIZE, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	/* From the hierarchy's root: the init_cgroup_ns symbol does not link. */
	len = mp_whole_cgroup_path(root, buf);
	if (len >= 0) {
		/* Kept for as long as the file is open: no larger than it is. */
		view->root = kmemdup(buf, len + 1, GFP_KERNEL_ACCOUNT);
		view->root_len = len;
		if (!view->root)
			len = -ENOMEM;
	}
	kfree(buf);
	return len < 0 ? len : 0;
}

/*
 * hidepid= of the proc mount @file was opened through, as /proc/PID has it
 * (has_pid_permissions()): the gid= group is exempt, except from
 * hidepid=ptraceable, which asks ptrace whatever the group.
 */
static void mp_view_hidepid(struct mp_view *view, const struct file *file)
{
	struct proc_fs_info *fs_info = proc_sb_info(file_inode(file)->i_sb);
	bool exempt = fs_info->hide_pid != HIDEPID_NOT_PTRACEABLE &&
		      in_group_p(fs_info->pid_gid);

	view->own_only = fs_info->hide_pid != HIDEPID_OFF && !exempt &&
			 !ns_capable_noaudit(&init_user_ns, CAP_SYS_PTRACE);
	view->fsuid = current_fsuid();
	view->fsgid = current_fsgid();
}

int mp_view_init(struct mp_view *view, const struct file *file)
{
	int err;

	view->root = NULL;
	view->root_len = 0;
	err = mp_view_root(view);
	if (err)
		return err;
	mp_view_hidepid(view, file);
	view->pid_ns = get_pid_ns(task_active_pid_ns(current));
	return 0;
}

void mp_view_release(struct mp_view *view)
{
	put_pid_ns(view->pid_ns);
	kfree(view->root);
}

const char *mp_view_path(const struct mp_view *view, const char *path)
{
	if (!view->root)
		return path;
	if (strncmp(path, view->root, view->root_len))
		return NULL;
	if (!path[view->root_len])
		return "/";
	/* "/a" is not below "/ab". */
	return path[view->root_len] == '/' ? path + view->root_len : NULL;
}

/* ptrace_may_access()'s test of credentials, without its capability one. */
static bool mp_view_owns(const struct mp_view *view, struct pid *pid)
{
	struct task_struct *task = pid_task(pid, PIDTYPE_TGID);
	const struct cred *cred;

	if (!task)
		return false;
	cred = __task_cred(task);
	return uid_eq(view->fsuid, cred->uid) && uid_eq(view->fsuid, cred->euid) &&
	       uid_eq(view->fsuid, cred->suid) && gid_eq(view->fsgid, cred->gid) &&
	       gid_eq(view->fsgid, cred->egid) && gid_eq(view->fsgid, cred->sgid);
}

pid_t mp_view_pid(const struct mp_view *view, struct pid *pid)
{
	if (view->own_only && (!pid || !mp_view_owns(view, pid)))
		return 0;
	return pid_nr_ns(pid, view->pid_ns);
}

pid_t mp_view_pid_nr(const struct mp_view *view, pid_t nr)
{
	if (mp_view_is_init(view))
		return nr;
	return mp_view_pid(view, find_pid_ns(nr, &init_pid_ns));
}
