/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * libmempressure: subscribe to mempressured and give memory back when it
 * asks.  See libmempressure(3) and a page per function.
 *
 * The shape is liburing's and sd-event's: an opaque handle, a file
 * descriptor for the application's own poll/epoll loop, and a call that
 * processes whatever is pending without blocking.  No threads, no global
 * state, no logging; every function returns a negative errno on failure.
 *
 *	struct mp_client *c;
 *
 *	mp_client_new(&c, "my-cache", NULL);
 *	mp_client_set_trim_handler(c, on_trim, cache);
 *	... poll mp_client_fd(c) for POLLIN, then mp_client_process(c) ...
 *	mp_client_free(c);
 */
#ifndef MEMPRESSURE_MEMPRESSURE_H
#define MEMPRESSURE_MEMPRESSURE_H

#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Pressure levels, lowest first; values newer than this header: UNKNOWN. */
enum mp_level {
	MP_LEVEL_UNKNOWN = -1,
	MP_LEVEL_NONE,
	MP_LEVEL_LOW,
	MP_LEVEL_MEDIUM,
	MP_LEVEL_CRITICAL,
};

/* Why a trim is asked for. */
enum mp_trim_reason {
	MP_TRIM_REASON_UNKNOWN = -1,
	MP_TRIM_REASON_SOFT,		/* over the soft limit */
	MP_TRIM_REASON_LEVEL,		/* the cgroup's level rose */
	MP_TRIM_REASON_LEAK,		/* the process looks like it leaks */
};

/* What raised (or lowered) a level. */
enum mp_level_reason {
	MP_LEVEL_REASON_UNKNOWN = -1,
	MP_LEVEL_REASON_USAGE,
	MP_LEVEL_REASON_PSI,
	MP_LEVEL_REASON_HIGH,
	MP_LEVEL_REASON_MAX,
	MP_LEVEL_REASON_OOM,
	MP_LEVEL_REASON_CALM,
	MP_LEVEL_REASON_LIMIT,		/* unchanged: the soft limit moved */
};

struct mp_client;

/* A request to free memory (msg=trim). */
struct mp_trim {
	uint64_t id;
	uint64_t want_bytes;		/* about this much */
	uint64_t deadline_ms;		/* within this long; 0 if not said */
	int level;			/* enum mp_level */
	int reason;			/* enum mp_trim_reason */
	const char *cgroup;		/* NULL if not said */
	pid_t pid;			/* the process meant; 0 if not said */
};

/* A change of the cgroup's pressure level (msg=level). */
struct mp_level_change {
	int level;			/* enum mp_level */
	int old_level;			/* enum mp_level */
	int reason;			/* enum mp_level_reason */
	const char *cgroup;		/* NULL if not said */
};

/* A trim handler's return value: "I will call mp_client_report()". */
#define MP_TRIM_LATER	UINT64_MAX

/* Return the bytes freed, or MP_TRIM_LATER.  @req lives for the call. */
typedef uint64_t (*mp_trim_fn)(struct mp_client *c, const struct mp_trim *req,
			       void *userdata);
typedef void (*mp_level_fn)(struct mp_client *c,
			    const struct mp_level_change *change,
			    void *userdata);

int mp_client_new(struct mp_client **c, const char *name,
		  const char *socket_path);
void mp_client_free(struct mp_client *c);

int mp_client_fd(const struct mp_client *c);
int mp_client_events(const struct mp_client *c);

int mp_client_set_trim_handler(struct mp_client *c, mp_trim_fn fn,
			       void *userdata);
int mp_client_set_level_handler(struct mp_client *c, mp_level_fn fn,
				void *userdata);

int mp_client_process(struct mp_client *c);
int mp_client_report(struct mp_client *c, uint64_t id, uint64_t freed_bytes);

/* What the daemon's welcome said: 0, or -ENODATA before it came. */
int mp_client_get_pid(const struct mp_client *c, pid_t *pid);
int mp_client_get_cgroup(const struct mp_client *c, const char **cgroup);
int mp_client_get_level(const struct mp_client *c, int *level);
int mp_client_get_soft_limit(const struct mp_client *c, uint64_t *bytes);
/* Why the daemon dropped this client (msg=error): 0, or -ENODATA. */
int mp_client_get_error(const struct mp_client *c, const char **reason);

/* Protocol names of the enums above; NULL for an unknown value. */
const char *mp_level_name(int level);
const char *mp_trim_reason_name(int reason);
const char *mp_level_reason_name(int reason);

#ifdef __cplusplus
}
#endif

#endif /* MEMPRESSURE_MEMPRESSURE_H */
