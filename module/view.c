// SPDX-License-Identifier: GPL-2.0
/*
 * Namespaces of a reader (view.h).  A reader in the initial namespaces sees
 * everything; the checks below cost it nothing.
 */
#include <linux/cgroup.h>
#include <linux/kernfs.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <linux/slab.h>

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
	buf = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	/* From the hierarchy's root: the init_cgroup_ns symbol does not link. */
	len = kernfs_path_from_node(root->kn, NULL, buf, PATH_MAX);
	if (len < 0 || len >= PATH_MAX) {
		kfree(buf);
		return len < 0 ? len : -ENAMETOOLONG;
	}
	view->root = buf;
	view->root_len = len;
	return 0;
}

int mp_view_init(struct mp_view *view)
{
	int err;

	view->root = NULL;
	view->root_len = 0;
	err = mp_view_root(view);
	if (err)
		return err;
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

pid_t mp_view_pid_nr(const struct mp_view *view, pid_t nr)
{
	if (view->pid_ns == &init_pid_ns)
		return nr;
	return pid_nr_ns(find_pid_ns(nr, &init_pid_ns), view->pid_ns);
}
