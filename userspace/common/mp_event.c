// SPDX-License-Identifier: GPL-2.0
/*
 * Event lines (mp_event.h), read with the decoders of the tables
 * (mp_table.h) and the names the module prints from (pure/names.c).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mp_event.h"
#include "mp_table.h"
#include "names.h"

int mp_name_index(const char *const *names, size_t nr, const char *name)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (!strcmp(names[i], name))
			return (int)i;
	return -ENOENT;
}

/* One key=value pair of an event line into @ev. */
static int mp_event_field(struct mp_event *ev, int key, const char *value)
{
	uint64_t u;
	int64_t s;
	int err = 0, idx;

	switch (key) {
	case MEMPRESSURE_EKEY_SEQ:
		return mp_parse_u64(value, &ev->seq);
	case MEMPRESSURE_EKEY_TIME:
		return mp_parse_u64(value, &ev->time_usec);
	case MEMPRESSURE_EKEY_KIND:
		idx = mp_name_index(mp_event_kinds, MEMPRESSURE_EVENT_NR, value);
		ev->kind = idx < 0 ? -1 : idx;	/* a kind added since */
		return 0;
	case MEMPRESSURE_EKEY_PID:
		err = mp_parse_u64(value, &u);
		if (!err && u > INT32_MAX)
			err = -ERANGE;
		ev->pid = err ? -1 : (pid_t)u;
		return err;
	case MEMPRESSURE_EKEY_COMM:
	case MEMPRESSURE_EKEY_CGROUP: {
		char *out = key == MEMPRESSURE_EKEY_COMM ? ev->comm : ev->cgroup;
		size_t size = key == MEMPRESSURE_EKEY_COMM ?
			      sizeof(ev->comm) : sizeof(ev->cgroup);

		err = mp_unescape(value, out, size);
		if (err == -ENODATA) {
			snprintf(out, size, "%s", MEMPRESSURE_NA);
			err = 0;
		}
		return err;
	}
	case MEMPRESSURE_EKEY_LEVEL:
	case MEMPRESSURE_EKEY_OLD_LEVEL:
		idx = mp_name_index(mp_level_names, MEMPRESSURE_LEVEL_NR, value);
		if (idx < 0)
			return -EINVAL;
		if (key == MEMPRESSURE_EKEY_LEVEL)
			ev->level = idx;
		else
			ev->old_level = idx;
		return 0;
	case MEMPRESSURE_EKEY_REASON:
		idx = mp_name_index(mp_reasons, MEMPRESSURE_REASON_NR,
				    value);
		if (idx < 0)
			return -EINVAL;
		ev->reason = idx;
		return 0;
	case MEMPRESSURE_EKEY_USAGE:
		return mp_parse_u64(value, &ev->usage_bytes);
	case MEMPRESSURE_EKEY_LIMIT:
		return mp_parse_u64(value, &ev->limit_bytes);
	case MEMPRESSURE_EKEY_SOFT_LIMIT:
		return mp_parse_u64(value, &ev->soft_limit_bytes);
	case MEMPRESSURE_EKEY_RSS:
		return mp_parse_u64(value, &ev->rss_bytes);
	case MEMPRESSURE_EKEY_GROWTH:
		return mp_parse_s64(value, &ev->growth);
	case MEMPRESSURE_EKEY_TIME_TO_LIMIT:
		err = mp_parse_s64(value, &s);
		if (err == -ENODATA) {
			ev->time_to_limit = -1;
			return 0;
		}
		if (!err && s < 0)
			err = -EINVAL;
		ev->time_to_limit = err ? -1 : s;
		return err;
	case MEMPRESSURE_EKEY_COUNT:
		return mp_parse_u64(value, &ev->count);
	case MEMPRESSURE_EKEY_DELTA:
		return mp_parse_u64(value, &ev->delta);
	}
	return 0;
}

int mp_event_parse(const char *line, size_t len, struct mp_event *ev)
{
	char copy[MEMPRESSURE_EVENT_LINE_MAX], *tok, *next;
	size_t shown = len < sizeof(ev->line) ? len : sizeof(ev->line) - 1;
	int nth = 0;

	memset(ev, 0, sizeof(*ev));
	ev->kind = ev->level = ev->old_level = ev->reason = -1;
	ev->pid = -1;
	ev->time_to_limit = -1;
	memcpy(ev->line, line, shown);
	ev->line[shown] = '\0';
	/* The newline is not in @len: the line with it must fit. */
	if (len >= sizeof(copy))
		return -E2BIG;
	if (memchr(line, '\0', len))
		return -EINVAL;
	memcpy(copy, line, len);
	copy[len] = '\0';

	for (tok = copy; tok; tok = next, nth++) {
		char *eq;
		int key;

		next = strchr(tok, ' ');
		if (next)
			*next++ = '\0';
		eq = strchr(tok, '=');
		/* Single spaces: no empty token, no empty key or value. */
		if (!eq || eq == tok || !eq[1])
			return -EINVAL;
		*eq = '\0';
		key = mp_name_index(mp_event_keys, MEMPRESSURE_EKEY_NR, tok);
		/* seq, time_usec and kind come first, in that order. */
		if (nth < 3 && key != nth)
			return -EINVAL;
		if (key < 0)
			continue;	/* a key added since */
		if (mp_event_has(ev, key) || mp_event_field(ev, key, eq + 1))
			return -EINVAL;
		ev->keys |= 1ULL << key;
	}
	return nth >= 3 ? 0 : -EINVAL;
}

