/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One line of /proc/mempressure/events (docs/events.md), parsed: the one
 * parser of event lines, for mempressured and the selftests.
 */
#ifndef MP_EVENT_H
#define MP_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/mempressure.h>

/*
 * Keys that are absent leave their field at its "absent" value (-1 for
 * the enums and pid, 0 for the numbers) and their bit clear in @keys;
 * "-" for time_to_limit_sec is -1 with the bit set.
 */
struct mp_event {
	uint64_t seq, time_usec;
	int kind;			/* MEMPRESSURE_EVENT_*, -1 if unknown */
	uint64_t keys;			/* 1 << MEMPRESSURE_EKEY_* present */
	pid_t pid;
	char comm[64];			/* decoded */
	char cgroup[4096];		/* decoded: at most PATH_MAX */
	int level, old_level, reason;	/* MEMPRESSURE_LEVEL_*, _REASON_* */
	uint64_t usage_bytes, limit_bytes, soft_limit_bytes, rss_bytes;
	uint64_t count, delta;
	int64_t growth;			/* bytes per second */
	int64_t time_to_limit;		/* seconds; -1 for "-" */
	char line[1024];		/* as read, for messages: cut at 1023 */
};

/*
 * Parse one line of @len bytes (no newline).  -EINVAL unless it starts
 * with seq, time_usec and kind in that order and is key=value pairs
 * separated by single spaces, each key at most once, with a valid value
 * for each key it knows; keys it does not know are skipped, as
 * docs/events.md asks of readers.  A kind it does not know is -1, not an
 * error.  -E2BIG for a line over MEMPRESSURE_EVENT_LINE_MAX.
 */
int mp_event_parse(const char *line, size_t len, struct mp_event *ev);

static inline bool mp_event_has(const struct mp_event *ev, int key)
{
	return ev->keys & (1ULL << key);
}

/* Index of @name among @nr @names (a names.h table), or -ENOENT. */
int mp_name_index(const char *const *names, size_t nr, const char *name);

#endif /* MP_EVENT_H */
