/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the mempressure selftests (the role cgroup_util.c plays
 * for tools/testing/selftests/cgroup): load and unload the module, read its
 * files, wait for samples, and make cgroups to run things in.
 *
 * Functions return 0 or -errno unless they say otherwise.  Nothing here
 * sleeps for a fixed time to "let things settle": waits poll a condition
 * with a timeout.
 */
#ifndef MP_UTIL_H
#define MP_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/mempressure.h>

#include "mp_event.h"
#include "mp_table.h"

/* The module file; $MP_MODULE overrides. */
#define MP_MODULE_DEFAULT	"/mp/mempressure.ko"
#define MP_CGROUP_ROOT		"/sys/fs/cgroup"

/* The interval the tests load the module with, unless they need another. */
#define MP_TEST_INTERVAL_MS	200

/* Emulated CPUs are slow: generous ceilings on every wait. */
#define MP_WAIT_MS		30000

#define KiB	1024ULL
#define MiB	(1024ULL * KiB)

const char *mp_module_path(void);

/* finit_module() with @params ("" for none); unloads a loaded one first. */
int mp_load(const char *params);
/* delete_module(); 0 if it was not loaded. */
int mp_unload(void);
bool mp_loaded(void);

/* A key of /proc/mempressure/status. */
int mp_status_u64(const char *key, uint64_t *v);

/* Wait until status "samples" >= @target. */
int mp_wait_samples(uint64_t target, int timeout_ms);
/* Wait until @n more samples than now have been taken. */
int mp_wait_more_samples(unsigned int n, int timeout_ms);

/* A numeric cell of the row whose column @key_col equals @key. */
int mp_row_u64(const struct mp_table *t, const char *key_col, const char *key,
	       const char *col, uint64_t *v);
int mp_row_s64(const struct mp_table *t, const char *key_col, const char *key,
	       const char *col, int64_t *v);
/* The decoded (unescaped) string cell of that row. */
int mp_row_str(const struct mp_table *t, const char *key_col, const char *key,
	       const char *col, char *out, size_t size);
/* The raw (still escaped) cell of that row: "-", "max" or the text. */
int mp_row_raw(const struct mp_table *t, const char *key_col, const char *key,
	       const char *col, const char **cell);

/* Whether @pid has a row in /proc/mempressure/processes now. */
int mp_process_listed(pid_t pid, bool *listed);

/* A field of /proc/PID/status in kB ("VmRSS", "RssAnon", ...). */
int proc_status_kb(pid_t pid, const char *field, uint64_t *kb);
/* A field of /proc/meminfo in kB. */
int meminfo_kb(const char *field, uint64_t *kb);
/*
 * The total= value (stall microseconds) of the "some" or "full" line of a
 * pressure file: /proc/pressure/memory or a cgroup's memory.pressure.
 */
int psi_read_total(const char *path, const char *kind, uint64_t *total_usec);

/* |a - b| <= max(a * pct / 100, abs) */
bool values_close(uint64_t a, uint64_t b, unsigned int pct, uint64_t abs);

/*
 * cgroups, by path relative to /sys/fs/cgroup.  cg_create() makes @name
 * with the memory controller enabled for its children.
 */
int cg_create(const char *name);
/*
 * cg_create_leaf() makes @name for processes to run in: no controller is
 * enabled for its children, since cgroup v2 refuses processes (EBUSY) in a
 * cgroup that enables one (the no-internal-process rule).  It still has
 * its own memory controller when its parent enables it for it.
 */
int cg_create_leaf(const char *name);
int cg_destroy(const char *name);	/* kills what runs in it, rmdir */
int cg_write(const char *name, const char *file, const char *value);
int cg_read(const char *name, const char *file, char *buf, size_t size);
int cg_read_u64(const char *name, const char *file, uint64_t *v);
/* "key value" files such as memory.events. */
int cg_read_key_u64(const char *name, const char *file, const char *key,
		    uint64_t *v);
int cg_enter(const char *name, pid_t pid);
/* The cgroup's id as the cgroups table prints it (its inode number). */
int cg_id(const char *name, uint64_t *id);

/*
 * Fork a child that moves itself into cgroup @name (NULL: stay) and runs
 * @fn(@arg); the child exits with fn's return value.  Returns the pid.
 */
/*
 * fork(), but the child is killed when its parent dies: a test that stops
 * at a failed assertion leaves nothing running behind it.
 */
pid_t mp_fork(void);
pid_t cg_run_nowait(const char *name, int (*fn)(void *arg), void *arg);

/*
 * Children.  mp_fork_idle() forks one that sleeps in pause() until killed.
 * mp_wait_child() reaps @pid within @timeout_ms (-ETIMEDOUT otherwise, and
 * the child is left running); mp_kill_child() kills and reaps it.
 */
pid_t mp_fork_idle(void);
int mp_wait_child(pid_t pid, int *status, int timeout_ms);
int mp_kill_child(pid_t pid);

/*
 * Read @n bytes (one readiness token per child) from the pipe @fd within
 * @timeout_ms.  -EPIPE if every writer closed it first.
 */
int mp_pipe_wait(int fd, size_t n, int timeout_ms);

/* /dev/kmsg opened at its end, so reads return only what comes next. */
int kmsg_open(void);
/* Append the messages logged since (non-blocking) to @buf. */
int kmsg_read_new(int fd, char *buf, size_t size);

/* Monotonic milliseconds. */
uint64_t mp_now_ms(void);

/* A client socket to mempressured at @path (SOCK_SEQPACKET), or -1. */
int mp_daemon_connect(const char *path);

/* mempressured, where scripts/mkinitramfs puts it. */
#define MP_DAEMON_BIN	"/mp/bin/mempressured"

/*
 * Start mempressured -c @conf, then @args (NULL-terminated; NULL for
 * none), its stderr, its log, to @log: a new file, or appended to if
 * @append (one log over restarts).  Returns the pid or -1 at once: wait
 * for what it logs with mp_wait_file().
 */
pid_t mp_daemon_spawn(const char *conf, const char *log, bool append,
		      const char *const *args);

/* Write @text to @path, created or truncated. */
int mp_write_file(const char *path, const char *text);

/* Wait until file @path holds @needle (re-read every 100 ms). */
bool mp_wait_file(const char *path, const char *needle, int timeout_ms);

/* For benchmarks: sort, then the nearest-rank percentile @p of @n values. */
void mp_sort_u64(uint64_t *v, size_t n);
uint64_t mp_percentile(const uint64_t *v, size_t n, unsigned int p);

/* --- signals, events, control --- */

/*
 * The names of <linux/mempressure.h>, indexed by its enums (pure/names.c,
 * the very tables the module prints from), so that a test never types a
 * column, key, level, kind, reason or tunable name itself: MP_PCOL(LEAK) is
 * "leak", MP_KIND(SOFT_OVER) is "soft_over".  A tunable's name, range,
 * default and format are the control grammar's (pure/control_parse.h):
 * mp_ctl_name(), mp_ctl_min(), mp_ctl_max(), mp_ctl_default(),
 * mp_ctl_format_value().
 */
#include "control_parse.h"
#include "names.h"

#define MP_PCOL(x)	(mp_process_columns[MEMPRESSURE_PROC_##x])
#define MP_CGCOL(x)	(mp_cgroup_columns[MEMPRESSURE_CG_##x])
#define MP_STATUS(x)	(mp_status_keys[MEMPRESSURE_STATUS_##x])
#define MP_LEVEL(x)	(mp_level_names[MEMPRESSURE_LEVEL_##x])
#define MP_KIND(x)	(mp_event_kinds[MEMPRESSURE_EVENT_##x])
#define MP_EKEY(x)	(mp_event_keys[MEMPRESSURE_EKEY_##x])
#define MP_REASON(x)	(mp_reasons[MEMPRESSURE_REASON_##x])
#define MP_TUNABLE(x)	(mp_ctl_name(MEMPRESSURE_TUNABLE_##x))

#define MP_EVENTS_PATH	MEMPRESSURE_PROC_PATH "/" MEMPRESSURE_FILE_EVENTS
#define MP_CONTROL_PATH	MEMPRESSURE_PROC_PATH "/" MEMPRESSURE_FILE_CONTROL

/*
 * The control file.  mp_control_read() reads all of it into @buf (NUL
 * terminated) and returns its length or -errno.  mp_control_write() opens
 * it O_WRONLY and writes @len bytes of @buf in one write(2): 0 if all were
 * taken, -errno if refused (-EIO for a short write).  mp_control_write_fd()
 * does the write on an fd opened elsewhere; mp_control_cmd() writes a
 * NUL-terminated string.
 */
int mp_control_read(char *buf, size_t size);
int mp_control_write(const char *buf, size_t len);
int mp_control_write_fd(int fd, const char *buf, size_t len);
int mp_control_cmd(const char *cmd);
/* "set NAME VALUE" for @tunable, VALUE formatted as the file shows it. */
int mp_control_set(int tunable, uint64_t value);

/*
 * A reader of the events file.  It reads with a large buffer and hands
 * out one event at a time.  @fd is the open file, for tests that call
 * read() or poll() on it themselves (bypassing the buffer).
 */
struct mp_events {
	int fd;
	size_t len, off;
	char buf[65536];
};

/* Open with O_RDONLY | O_CLOEXEC | @flags (O_NONBLOCK). */
int mp_events_open(struct mp_events *r, int flags);
void mp_events_close(struct mp_events *r);
/*
 * The next event, waiting for it with poll() up to @timeout_ms (0: only
 * what is there).  -ETIMEDOUT if none came, -EINVAL for a line that does
 * not parse (in ev->line), -errno of read() or poll().
 */
int mp_events_next(struct mp_events *r, struct mp_event *ev, int timeout_ms);
/*
 * The next event of @kind (-1: any) about cgroup path @cgroup (NULL: any)
 * and process @pid (0: any), within @timeout_ms; the events before it are
 * passed to @seen (if not NULL) and dropped.
 */
int mp_events_wait(struct mp_events *r, int kind, const char *cgroup,
		   pid_t pid, struct mp_event *ev, int timeout_ms,
		   void (*seen)(const struct mp_event *ev, void *arg),
		   void *arg);

/*
 * Cells of a fresh read of the tables.  mp_cg_cell() finds cgroup @name
 * (relative to the cgroup root, as for cg_create()) by its id; mp_proc_cell()
 * finds process @pid.  The cell is decoded (mp_unescape()): "-" gives
 * -ENODATA.
 */
int mp_cg_cell(const char *name, const char *col, char *out, size_t size);
int mp_cg_cell_u64(const char *name, const char *col, uint64_t *v);
int mp_proc_cell(pid_t pid, const char *col, char *out, size_t size);
int mp_proc_cell_u64(pid_t pid, const char *col, uint64_t *v);
/* The level column of cgroup @name: MEMPRESSURE_LEVEL_*, or -errno. */
int mp_cg_level(const char *name);
/* "/" + @name: cgroup @name's path as the tables, events and control show it. */
void mp_cg_path(const char *name, char *out, size_t size);

/* Monotonic microseconds, the clock of the events' time_usec. */
uint64_t mp_now_usec(void);

#endif /* MP_UTIL_H */
