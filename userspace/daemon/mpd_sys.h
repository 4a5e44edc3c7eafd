/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What mempressured reads and writes of the system, behind one root
 * directory: the cgroup files (/sys/fs/cgroup), the processes' files
 * (/proc/PID/statm, cgroup, comm), the module's files (/proc/mempressure)
 * and, through pidfds, the processes it signals.  The daemon's root is
 * "/"; a test's is a fixture tree laid out the same way, so that the
 * daemon's logic runs on the host against files the test wrote.
 *
 * Nothing here logs or keeps state but the paths: functions return
 * -errno, and the caller says what went wrong.
 */
#ifndef MPD_SYS_H
#define MPD_SYS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mp_table.h"

/* The root's paths, the sockets' (AF_UNIX: 108 bytes) and the listener's. */
#define MPD_PATH_LEN	512
#define MPD_NAME_LEN	64
/*
 * A cgroup path as the kernel gives it (/proc/PID/cgroup, the module's
 * tables), its NUL included: the kernel formats it into a PATH_MAX buffer.
 * The file of such a cgroup under the cgroup root can be longer than
 * PATH_MAX, which open(2) refuses: the files here are opened a directory
 * at a time when it is.
 */
#define MPD_CGROUP_LEN	PATH_MAX

struct mpd_sys {
	char cgroup_root[MPD_PATH_LEN];	/* ROOT/sys/fs/cgroup */
	char proc_root[MPD_PATH_LEN];	/* ROOT/proc */
	char module_dir[MPD_PATH_LEN];	/* ROOT/proc/mempressure */
	uint64_t page_size;
};

/* Paths under @root ("" or "/": the system itself); -ENAMETOOLONG. */
int mpd_sys_init(struct mpd_sys *s, const char *root);

/* --- cgroup files, by cgroup path ("/" or "/a/b") and file name --- */

/* The first line of the file, without its newline. */
int mpd_cg_read(const struct mpd_sys *s, const char *cgroup, const char *file, char *buf,
		size_t size);
/* A number ("max" is UINT64_MAX, as mp_parse_u64() reads it). */
int mpd_cg_read_u64(const struct mpd_sys *s, const char *cgroup, const char *file,
		    uint64_t *v);
/* One write(2) of @value, which is what makes the kernel act on it. */
int mpd_cg_write(const struct mpd_sys *s, const char *cgroup, const char *file,
		 const char *value);
bool mpd_cg_writable(const struct mpd_sys *s, const char *cgroup, const char *file);

/* --- processes --- */

/* Its RSS from /proc/PID/statm, in bytes; 0 if it cannot be read. */
uint64_t mpd_proc_rss(const struct mpd_sys *s, pid_t pid);
/* Its cgroup v2 path, the "0::PATH" line of /proc/PID/cgroup (MPD_CGROUP_LEN). */
int mpd_proc_cgroup(const struct mpd_sys *s, pid_t pid, char *out, size_t size);
int mpd_proc_comm(const struct mpd_sys *s, pid_t pid, char *out, size_t size);

/*
 * A pidfd for @pid if it is the process @comm (when given) in @cgroup (when
 * given): the pidfd pins the process, then the checks see that it is the
 * one meant.  -ESRCH when it is not.  A signal sent through it later
 * reaches that process or, once it is gone, nobody: never another that
 * got its pid.
 */
int mpd_pin_process(const struct mpd_sys *s, pid_t pid, const char *comm, const char *cgroup);
/*
 * A pidfd of the process that connected unix socket @sock (SO_PEERPIDFD,
 * Linux 6.5); before 6.5, of @pid (SO_PEERCRED's, read at connect) now,
 * which the caller checks against what it reads of that pid.  -errno.
 */
int mpd_peer_pidfd(int sock, pid_t pid);
/* Whether the process of pidfd @fd is still running (not exited). */
bool mpd_pidfd_alive(int fd);
/* Send @sig through pidfd @fd: 0, or -errno (-ESRCH once its process is gone). */
int mpd_signal_pidfd(int fd, int sig);
/* mpd_pin_process(), and @sig sent at once. */
int mpd_signal_process(const struct mpd_sys *s, pid_t pid, const char *comm,
		       const char *cgroup, int sig);

/* --- the module's files --- */

void mpd_module_file(const struct mpd_sys *s, const char *file, char *out, size_t size);
int mpd_module_table(const struct mpd_sys *s, const char *file, struct mp_table *t);
/* The module's ABI version, from its status file. */
int mpd_module_abi(const struct mpd_sys *s, uint64_t *abi);
/* The events file, opened non-blocking: the fd, or -errno. */
int mpd_module_open_events(const struct mpd_sys *s);
/* soft_margin_pct as the control file reads back; its default if it cannot. */
uint64_t mpd_module_soft_margin_pct(const struct mpd_sys *s);

/* A cgroup's row of the cgroups table. */
struct mpd_cg_row {
	uint64_t current, soft, limit;	/* bytes */
	int level;			/* MEMPRESSURE_LEVEL_* */
};

/* -ENOENT if the cgroup has no row. */
int mpd_module_cgroup(const struct mpd_sys *s, const char *cgroup, struct mpd_cg_row *row);

/* A process's row of the processes table. */
struct mpd_proc_row {
	pid_t pid;
	char comm[MPD_NAME_LEN];	/* decoded */
	uint64_t rss;			/* bytes */
	bool leak;
	int64_t growth;			/* bytes/s over 60 s */
};

/* The processes in cgroup @cgroup (all if NULL).  The caller frees *@rows. */
int mpd_module_processes(const struct mpd_sys *s, const char *cgroup,
			 struct mpd_proc_row **rows, size_t *nr);

#endif /* MPD_SYS_H */
