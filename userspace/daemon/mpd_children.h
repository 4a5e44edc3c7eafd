/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The processes mempressured waits for without blocking its loop: a hook
 * command, or a write to memory.reclaim or memory.high, which reclaims
 * before it returns and can take as long as reclaim does.  Each is killed
 * at its kill_at (the kernel's reclaim stops at a pending signal; a
 * memory.high written stays) and reaped at SIGCHLD, when its done()
 * says what came of it.
 */
#ifndef MPD_CHILDREN_H
#define MPD_CHILDREN_H

#include <stdint.h>
#include <sys/types.h>

#include "mpd_config.h"
#include "mpd_sys.h"

struct mpd;

enum mpd_child_kind { MPD_CHILD_HOOK, MPD_CHILD_RECLAIM, MPD_CHILD_CLAMP };

struct mpd_child;

/* Its end: @status as waitpid() gave it. */
typedef void (*mpd_child_fn)(struct mpd *d, const struct mpd_child *c, int status);

struct mpd_child {
	enum mpd_child_kind kind;
	mpd_child_fn done;
	pid_t pid;
	char name[MPD_CGROUP_LEN];	/* the hook's name, or the cgroup written */
	uint64_t kill_at;		/* 0: killed already */
	uint64_t started;
	uint64_t bytes, before;		/* the value written, memory.current then */
	struct mpd_child *next;
};

/*
 * Start hook @h for @cgroup, with its MEMPRESSURE_* environment; its exit
 * status is logged.  -errno.
 */
int mpd_child_hook(struct mpd *d, const struct mpd_hook_cfg *h, const char *cgroup,
		   int level, const char *reason, uint64_t want);
/*
 * Write @bytes to @file of @cgroup in a child of @kind, killed @timeout_ms
 * from now; @before is memory.current now, for @done to log.  The child's
 * pid, or -errno.
 */
pid_t mpd_child_write(struct mpd *d, enum mpd_child_kind kind, const char *cgroup,
		      const char *file, uint64_t bytes, uint64_t before, uint64_t timeout_ms,
		      mpd_child_fn done);
/*
 * Stop a child still writing @cgroup's clamp, and wait for it: nothing it
 * writes can then come after what the caller writes.
 */
void mpd_child_stop_clamp(struct mpd *d, const char *cgroup);

/* SIGCHLD: reap every child that ended, and call its done(). */
void mpd_children_reap(struct mpd *d);
/* Kill the children past their kill_at; the earliest kill_at to come. */
void mpd_children_tick(struct mpd *d, uint64_t now);
uint64_t mpd_children_next_due(const struct mpd *d);
/* At exit: writes are killed (this daemon asked for them); hooks run on. */
void mpd_children_free(struct mpd *d);

#endif /* MPD_CHILDREN_H */
