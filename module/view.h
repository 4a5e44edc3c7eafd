/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a reader may see: the processes of its pid namespace, with its pids,
 * and the cgroups below its cgroup namespace's root, with paths relative to
 * it.  Taken from the opener at open(), as /proc/PID files do.  Where the
 * file was opened through a proc mount with hidepid= (proc(5)), a reader
 * outside its gid= group (in it too, with hidepid=ptraceable) and without
 * CAP_SYS_PTRACE sees only its own processes: those whose every uid and
 * gid are its filesystem ones, the credential test of ptrace_may_access(),
 * which /proc/PID applies there.
 */
#ifndef _MP_VIEW_H
#define _MP_VIEW_H

#include <linux/pid.h>
#include <linux/pid_namespace.h>

struct mp_view {
	struct pid_namespace *pid_ns;
	char *root;			/* absolute path of the root; NULL: "/" */
	size_t root_len;
	bool own_only;			/* hidepid: its own processes only */
	kuid_t fsuid;
	kgid_t fsgid;
};

/* @file: a file of /proc/mempressure the reader opened. */
int mp_view_init(struct mp_view *view, const struct file *file);
void mp_view_release(struct mp_view *view);

/* @path (absolute) as the reader sees it, or NULL if outside its root. */
const char *mp_view_path(const struct mp_view *view, const char *path);

/*
 * The reader's number for the process of @pid, 0 if it is not in its
 * namespace or hidden from it.  Under RCU.
 */
pid_t mp_view_pid(const struct mp_view *view, struct pid *pid);

/* The same for a pid of the initial namespace.  Under RCU. */
pid_t mp_view_pid_nr(const struct mp_view *view, pid_t nr);

/* True if the reader sees every process and cgroup, with their own names. */
static inline bool mp_view_is_init(const struct mp_view *view)
{
	return view->pid_ns == &init_pid_ns && !view->root && !view->own_only;
}

#endif /* _MP_VIEW_H */
