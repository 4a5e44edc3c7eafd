// SPDX-License-Identifier: GPL-2.0
/*
 * Lines of /proc/mempressure/events (docs/events.md), as userspace reads
 * them.  There is no event-line parser in userspace/common: the daemon's
 * event_parse() is a static function of mempressured.c (it splits at
 * spaces and decodes each value with mp_unescape(), mp_parse_u64() and
 * mp_parse_s64()), and the CLI's cli_events.c puts "msg=status " before
 * the line and reads it with the protocol codec, mp_msg_parse().  This
 * target fuzzes what both are made of; the input is one or more lines.
 *
 * Invariants, per line:
 *  - each value, whatever its key, decodes as docs/procfs.md says with
 *    every decoder the daemon may apply (fuzz_cells.c);
 *  - the CLI's way reads a line exactly when it is well formed (pairs
 *    separated by single spaces, keys of [a-z0-9_], unique, values never
 *    empty and validly escaped, no \000, at most MP_MSG_PAIRS_MAX pairs,
 *    short enough), and then every value is the one mp_unescape() gives,
 *    "-" being the empty string.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "mp_proto.h"
#include "mp_table.h"

#define PREFIX	"msg=status "

static struct mp_msg msg;

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

static void check_line(const char *line, size_t len)
{
	static char buf[2 * MEMPRESSURED_MSG_MAX];
	int nr = decode_line(line, len), r, i;

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
