/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a reader may see: the processes of its pid namespace, with its pids,
 * and the cgroups below its cgroup namespace's root, with paths relative to
 * it.  Taken from the opener at open(), as /proc/PID files do.
 */
#ifndef _MP_VIEW_H
#define _MP_VIEW_H

#include <linux/pid.h>
#include <linux/pid_namespace.h>

struct mp_view {
	struct pid_namespace *pid_ns;
	char *root;			/* absolute path of the root; NULL: "/" */
	size_t root_len;
};

int mp_view_init(struct mp_view *view);
void mp_view_release(struct mp_view *view);

/* @path (absolute) as the reader sees it, or NULL if outside its root. */
const char *mp_view_path(const struct mp_view *view, const char *path);

/* The reader's number for @pid, 0 if not in its namespace. */
static inline pid_t mp_view_pid(const struct mp_view *view, struct pid *pid)
{
	return pid_nr_ns(pid, view->pid_ns);
}

/* The reader's number for a pid of the initial namespace.  Under RCU. */
pid_t mp_view_pid_nr(const struct mp_view *view, pid_t nr);

static inline bool mp_view_is_init(const struct mp_view *view)
{
	return view->pid_ns == &init_pid_ns && !view->root;
}

#endif /* _MP_VIEW_H */
