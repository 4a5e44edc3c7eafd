/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MP_EVENTS_H
#define _MP_EVENTS_H

#include <linux/mempressure.h>
#include <linux/pid.h>
#include <linux/proc_fs.h>
#include <linux/sched.h>

/* Events kept for readers that fall behind (docs/events.md). */
#define MP_EVENTS_BUFFER	4096

/* The values in mp_record.v[] of each kind; U64_MAX in TTL is "-". */
enum {
	MP_VAL_USAGE = 0, MP_VAL_LIMIT = 1,			/* level, soft_* */
	MP_VAL_SOFT = 2,					/* limit */
	MP_VAL_RSS = 0, MP_VAL_GROWTH = 1, MP_VAL_TTL = 2,	/* leak_* */
	MP_VAL_COUNT = 0, MP_VAL_DELTA = 1,			/* high, max, ... */
};

struct mp_event_path;

/*
 * One event as raised, a record of the ring: the module's own, not the
 * parsed line of userspace's struct mp_event.  mp_event_emit() takes over
 * @path (the cgroup's absolute path, from mp_event_path_alloc()) and the
 * reference on @pid.
 */
struct mp_record {
	u64 seq, time_ns;			/* set by mp_event_emit() */
	u8 kind, level, old_level, reason;	/* enum mempressure_* */
	struct pid *pid;			/* process events only */
	char comm[TASK_COMM_LEN];
	struct mp_event_path *path;
	u64 v[3];
};

int mp_events_init(void);
int mp_events_create_file(struct proc_dir_entry *dir);
void mp_events_shutdown(void);
void mp_events_exit(void);

struct mp_event_path *mp_event_path_alloc(const char *path);
void mp_event_emit(struct mp_record *ev);
void mp_events_hold(void);
void mp_events_publish(void);
void mp_events_stats(u64 *raised, u64 *buffered);

#endif /* _MP_EVENTS_H */
