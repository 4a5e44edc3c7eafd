// SPDX-License-Identifier: GPL-2.0
/*
 * Lines of /proc/mempressure/events (docs/events.md), as userspace reads
 * them: mempressured and the selftests with mp_event_parse()
 * (userspace/common/mp_event.c), the CLI's cli_events.c by putting
 * "msg=status " before the line and reading it with the protocol codec,
 * mp_msg_parse().  The input is one or more lines.
 *
 * Invariants, per line:
 *  - each value, whatever its key, decodes as docs/procfs.md says with
 *    every decoder a reader may apply (fuzz_cells.c);
 *  - the CLI's way reads a line exactly when it is well formed (pairs
 *    separated by single spaces, keys of [a-z0-9_], unique, values never
 *    empty and validly escaped, no \000, at most MP_MSG_PAIRS_MAX pairs,
 *    short enough), and then every value is the one mp_unescape() gives,
 *    "-" being the empty string;
 *  - mp_event_parse() accepts a line only if it starts with seq=,
 *    time_usec= and kind=, has no empty pair, and then has those three
 *    keys; its cgroup and comm are the values the CLI's way decodes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "mp_event.h"
#include "mp_proto.h"
#include "mp_table.h"

#define PREFIX	"msg=status "

static struct mp_msg msg;
static struct mp_event ev;

struct pair {
	char key[MEMPRESSURED_MSG_MAX + 1];
	char val[MEMPRESSURED_MSG_MAX + 1];	/* decoded */
};

static struct pair pairs[MP_MSG_PAIRS_MAX];

static bool key_ok(const char *k, size_t len)
{
	size_t i;

	if (!len || (len == 3 && !memcmp(k, "msg", 3)))
		return false;
	for (i = 0; i < len; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') ||
		      k[i] == '_'))
			return false;
	return true;
}

/*
 * Check every value of @line with the cell decoders; return the number of
 * pairs if the line is a well-formed event line, with the pairs decoded,
 * else -1.
 */
static int decode_line(const char *line, size_t len)
{
	static char tok[MEMPRESSURED_MSG_MAX + 1];
	size_t pos = 0;
	int nr = 0, i;
	bool ok = len > 0 && len + strlen(PREFIX) <= MEMPRESSURED_MSG_MAX &&
		  !memchr(line, '\0', len) && !memchr(line, '\t', len);

	if (len > MEMPRESSURED_MSG_MAX)
		return -1;
	while (pos <= len) {
		const char *sp = memchr(line + pos, ' ', len - pos);
		size_t end = sp ? (size_t)(sp - line) : len;
		char *eq;
		int r;

		memcpy(tok, line + pos, end - pos);
		tok[end - pos] = '\0';
		pos = end + 1;
		eq = strchr(tok, '=');
		if (!eq || !key_ok(tok, (size_t)(eq - tok)) || !eq[1] ||
		    strstr(eq + 1, "\\000") || nr == MP_MSG_PAIRS_MAX)
			ok = false;
		if (eq) {
			fuzz_check_u64(eq + 1);
			fuzz_check_s64(eq + 1);
			r = fuzz_check_unescape(eq + 1);
			if (r && r != -ENODATA)
				ok = false;
		}
		if (ok) {
			*eq = '\0';
			for (i = 0; i < nr; i++)
				if (!strcmp(pairs[i].key, tok))
					ok = false;
			strcpy(pairs[nr].key, tok);
			if (mp_unescape(eq + 1, pairs[nr].val, sizeof(pairs[nr].val)))
				pairs[nr].val[0] = '\0';	/* "-" */
			nr++;
		}
		if (!sp)
			break;
	}
	return ok ? nr : -1;
}

/* The value decode_line() found for @key, or NULL. */
static const char *pair_value(int nr, const char *key)
{
	for (int i = 0; i < nr; i++)
		if (!strcmp(pairs[i].key, key))
			return pairs[i].val;
	return NULL;
}

static void check_event(const char *line, size_t len, int nr)
{
	const char *v;
	int r = mp_event_parse(line, len, &ev);

	if (r)
		return;
	FUZZ_CHECK(len >= 3 && !memcmp(line, "seq=", 4) && line[len - 1] != ' ' &&
		   !memmem(line, len, "  ", 2),
		   "\"%.*s\" read as an event", (int)len, line);
	FUZZ_CHECK(mp_event_has(&ev, MEMPRESSURE_EKEY_SEQ) &&
		   mp_event_has(&ev, MEMPRESSURE_EKEY_TIME) &&
		   mp_event_has(&ev, MEMPRESSURE_EKEY_KIND), "\"%.*s\": keys %#llx",
		   (int)len, line, (unsigned long long)ev.keys);
	if (nr < 0)
		return;
	v = pair_value(nr, "cgroup");
	if (v)
		FUZZ_CHECK(!strcmp(ev.cgroup, *v ? v : MEMPRESSURE_NA), "cgroup \"%s\", not \"%s\"",
			   ev.cgroup, v);
	v = pair_value(nr, "comm");
	if (v)
		FUZZ_CHECK(!strcmp(ev.comm, *v ? v : MEMPRESSURE_NA), "comm \"%s\", not \"%s\"",
			   ev.comm, v);
}

static void check_line(const char *line, size_t len)
{
	static char buf[2 * MEMPRESSURED_MSG_MAX];
	int nr = decode_line(line, len), r, i;

	check_event(line, len, nr);
	if (len + strlen(PREFIX) > sizeof(buf))
		return;
	memcpy(buf, PREFIX, strlen(PREFIX));
	memcpy(buf + strlen(PREFIX), line, len);
	r = mp_msg_parse(buf, strlen(PREFIX) + len, &msg);
	FUZZ_CHECK((r == 0) == (nr >= 0), "\"%.*s\": read %d, well formed %d",
		   (int)len, line, r, nr >= 0);
	if (r)
		return;
	FUZZ_CHECK(msg.type == MEMPRESSURED_MSG_STATUS && msg.nr == nr,
		   "%d pairs, not %d", msg.nr, nr);
	for (i = 0; i < nr; i++)
		FUZZ_CHECK(!strcmp(msg.key[i], pairs[i].key) &&
			   !strcmp(mp_msg_get_name(&msg, pairs[i].key), pairs[i].val),
			   "%s=\"%s\", not \"%s\"", pairs[i].key, msg.val[i], pairs[i].val);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *line;
	size_t pos = 0, len;

	while (fuzz_next_line((const char *)data, size, &pos, &line, &len))
		check_line(line, len);
	return 0;
}
