// SPDX-License-Identifier: GPL-2.0
/*
 * The control file's parser (pure/control_parse.c, docs/control.md): the
 * module's own code, built for userspace as selftests/host/test_control.c
 * builds it.  The input is one write(2) to /proc/mempressure/control.
 *
 * Invariants:
 *  - a write is refused with EINVAL or ERANGE only, and then reports no
 *    command at all (so the module applies nothing) and the 1-based line
 *    at fault, 0 only for a write over MEMPRESSURE_CTL_WRITE_MAX bytes;
 *  - the batch agrees with parsing each line alone: the first line
 *    mp_ctl_parse_line() refuses is the batch's bad line, with its error;
 *    otherwise the same commands, numbered by their lines;
 *  - every accepted command is in range: a tunable within its bounds, a
 *    canonical absolute path, a percent of 1-100, a byte count of at
 *    least 1, a pid of 1-MP_CTL_PID_MAX;
 *  - what is accepted prints (mp_ctl_format_cmd()) as a line that parses
 *    back to the same command, in a buffer just large enough and no
 *    smaller; the whole batch printed parses back to the same batch;
 *  - one bad line added before or after an accepted write makes all of it
 *    refused, at that line.
 */
#include <errno.h>
#include <string.h>

#include "control_parse.h"
#include "fuzz.h"

#define WRITE_MAX	MEMPRESSURE_CTL_WRITE_MAX
#define BAD_LINE	"set no_such_tunable 1"

/* About 25 KiB each: not on the stack. */
static struct mp_ctl_batch batch, again;
static char path[WRITE_MAX + 1], path2[WRITE_MAX + 1];
static char text[2 * WRITE_MAX + 64];

static bool same_cmd(const struct mp_ctl_cmd *a, const struct mp_ctl_cmd *b)
{
	if (a->op != b->op || a->value != b->value)
		return false;
	switch (a->op) {
	case MP_CTL_OP_SET:
		return a->tunable == b->tunable;
	case MP_CTL_OP_SOFT:
		return a->soft == b->soft && a->path_len == b->path_len &&
		       !strcmp(a->path, b->path);
	default:
		return a->soft == b->soft && a->pid == b->pid;
	}
}

/* "/" or "/a/b": no empty, "." or ".." component, no trailing "/". */
static bool canonical(const char *p, size_t len)
{
	size_t i, start = 1;

	if (len != strlen(p) || p[0] != '/')
		return false;
	if (len == 1)
		return true;
	for (i = 1; i <= len; i++) {
		size_t n = i - start;

		if (i < len && p[i] != '/')
			continue;
		if (!n || (n == 1 && p[start] == '.') ||
		    (n == 2 && p[start] == '.' && p[start + 1] == '.'))
			return false;
		start = i + 1;
	}
	return true;
}

static void check_cmd(const struct mp_ctl_cmd *c)
{
	switch (c->op) {
	case MP_CTL_OP_SET:
		FUZZ_CHECK(mp_ctl_check(c->tunable, c->value) == 0 && mp_ctl_name(c->tunable) &&
			   c->value >= mp_ctl_min(c->tunable) &&
			   c->value <= mp_ctl_max(c->tunable),
			   "set %d %llu", c->tunable, (unsigned long long)c->value);
		break;
	case MP_CTL_OP_SOFT:
		FUZZ_CHECK(c->path >= batch.paths &&
			   c->path + c->path_len < batch.paths + sizeof(batch.paths),
			   "path outside the batch");
		FUZZ_CHECK(canonical(c->path, c->path_len), "path \"%s\"", c->path);
		FUZZ_CHECK((c->soft == MP_CTL_SOFT_BYTES && c->value >= 1) ||
			   (c->soft == MP_CTL_SOFT_PCT && c->value >= 1 &&
			    c->value <= 100) ||
			   (c->soft == MP_CTL_SOFT_DEFAULT && !c->value),
			   "soft %d %llu", c->soft, (unsigned long long)c->value);
		break;
	case MP_CTL_OP_SOFT_PID:
		FUZZ_CHECK(c->pid >= 1 && c->pid <= MP_CTL_PID_MAX, "pid %u", c->pid);
		FUZZ_CHECK((c->soft == MP_CTL_SOFT_BYTES && c->value >= 1) ||
			   (c->soft == MP_CTL_SOFT_NONE && !c->value),
			   "soft-pid %d %llu", c->soft, (unsigned long long)c->value);
		break;
	default:
		FUZZ_CHECK(0, "op %d", c->op);
	}
}

/* Printed, it parses back; printing needs exactly its length plus a NUL. */
static size_t round_trip(const struct mp_ctl_cmd *c, char *out, size_t size)
{
	struct mp_ctl_cmd back;
	char small[8];
	int n, r;

	n = mp_ctl_format_cmd(out, size, c);
	FUZZ_CHECK(n > 0 && (size_t)n == strlen(out) && out[n - 1] == '\n',
		   "format: %d", n);
	r = mp_ctl_parse_line(out, (size_t)n - 1, &back, path2, sizeof(path2));
	FUZZ_CHECK(r == 0 && same_cmd(c, &back), "\"%.*s\" reads back as %d",
		   n - 1, out, r);
	FUZZ_CHECK(mp_ctl_format_cmd(small, 0, c) == -ENOSPC, "size 0");
	FUZZ_CHECK(mp_ctl_format_cmd(out, (size_t)n, c) == -ENOSPC && !out[0],
		   "one byte short");
	FUZZ_CHECK(mp_ctl_format_cmd(out, (size_t)n + 1, c) == n, "exact size");
	if (c->op == MP_CTL_OP_SET) {
		char line[MP_CTL_TUNABLE_LINE_MAX];

		FUZZ_CHECK(mp_ctl_format_tunable(line, sizeof(line), c->tunable,
						 c->value) == n, "tunable line");
	}
	if (c->op == MP_CTL_OP_SOFT) {
		/* The path is one field: "soft " ESCAPED " ". */
		static char esc[4 * WRITE_MAX + 1];
		const size_t at = strlen(MEMPRESSURE_CTL_SOFT " ");
		int e = mp_ctl_escape(esc, sizeof(esc), c->path);

		FUZZ_CHECK(e > 0 && !memcmp(out + at, esc, (size_t)e) && out[at + e] == ' ' &&
			   !memchr(esc, ' ', (size_t)e) && !memchr(esc, '\t', (size_t)e),
			   "escaped \"%s\" as \"%s\"", c->path, esc);
	}
	return (size_t)n;
}

/* Each line alone: the batch must say the same. */
static void check_lines(const char *buf, size_t len, int ret)
{
	size_t pos = 0, llen;
	int line = 0, nr = 0;
	const char *l;

	while (fuzz_next_line(buf, len, &pos, &l, &llen)) {
		struct mp_ctl_cmd cmd;
		int r = mp_ctl_parse_line(l, llen, &cmd, path, sizeof(path));

		line++;
		FUZZ_CHECK(r == 0 || r == 1 || r == -EINVAL || r == -ERANGE,
			   "line %d: %d", line, r);
		if (!r && (size_t)nr == MP_CTL_CMDS_MAX)
			r = -EINVAL;
		if (r < 0) {
			FUZZ_CHECK(ret == r && batch.bad_line == line,
				   "line %d alone: %d, in the write: %d at line %d",
				   line, r, ret, batch.bad_line);
			return;
		}
		if (!r) {
			FUZZ_CHECK(ret || (nr < batch.nr_cmds &&
					   batch.cmds[nr].line == line &&
					   same_cmd(&cmd, &batch.cmds[nr])),
				   "command %d, line %d", nr, line);
			nr++;
		}
	}
	FUZZ_CHECK(!ret && nr == batch.nr_cmds, "every line parses alone, the write: %d",
		   ret);
}

/* Lines in @buf, as mp_ctl_parse() numbers them. */
static int count_lines(const char *buf, size_t len)
{
	int n = 0;
	size_t i;

	for (i = 0; i < len; i++)
		n += buf[i] == '\n';
	return n + (len && buf[len - 1] != '\n');
}

/* One bad line anywhere refuses the whole write. */
static void check_bad_line(const char *buf, size_t len)
{
	size_t bad = strlen(BAD_LINE), n;
	int r;

	if (len + bad + 1 > WRITE_MAX)
		return;
	memcpy(text, BAD_LINE "\n", bad + 1);
	memcpy(text + bad + 1, buf, len);
	r = mp_ctl_parse(text, len + bad + 1, &again);
	FUZZ_CHECK(r == -EINVAL && !again.nr_cmds && again.bad_line == 1,
		   "bad first line: %d, %d commands", r, again.nr_cmds);

	memcpy(text, buf, len);
	n = len;
	if (len && buf[len - 1] != '\n')
		text[n++] = '\n';
	memcpy(text + n, BAD_LINE, bad);
	r = mp_ctl_parse(text, n + bad, &again);
	FUZZ_CHECK(r == -EINVAL && !again.nr_cmds &&
		   again.bad_line == count_lines(buf, len) + 1,
		   "bad last line: %d at %d, %d commands", r, again.bad_line,
		   again.nr_cmds);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	static char out[4 * WRITE_MAX + 64];
	size_t used = 0;
	int ret, i;

	ret = mp_ctl_parse(buf, size, &batch);
	FUZZ_CHECK(ret == 0 || ret == -EINVAL || ret == -ERANGE, "%d", ret);
	if (ret)
		FUZZ_CHECK(!batch.nr_cmds && batch.bad_line >= (size > WRITE_MAX ? 0 : 1),
			   "refused: %d commands, line %d", batch.nr_cmds,
			   batch.bad_line);
	if (size > WRITE_MAX) {
		FUZZ_CHECK(ret == -EINVAL && !batch.bad_line, "%zu bytes: %d", size, ret);
		return 0;
	}
	check_lines(buf, size, ret);
	if (ret)
		return 0;

	for (i = 0; i < batch.nr_cmds; i++) {
		check_cmd(&batch.cmds[i]);
		FUZZ_CHECK(batch.cmds[i].line >= 1 &&
			   (!i || batch.cmds[i].line > batch.cmds[i - 1].line),
			   "command %d at line %d", i, batch.cmds[i].line);
		/* The read-back of what was accepted: every command, a line each. */
		used += round_trip(&batch.cmds[i], out + used, sizeof(out) - used);
	}
	/* Printed lines are never longer than the ones they came from, but for
	 * a PSI value gaining its second decimal ("1.5" as "1.50").
	 */
	if (used <= WRITE_MAX) {
		ret = mp_ctl_parse(out, used, &again);
		FUZZ_CHECK(!ret && again.nr_cmds == batch.nr_cmds, "read-back: %d", ret);
		for (i = 0; i < batch.nr_cmds; i++)
			FUZZ_CHECK(same_cmd(&batch.cmds[i], &again.cmds[i]) &&
				   again.cmds[i].line == i + 1,
				   "read-back command %d", i);
	}
	check_bad_line(buf, size);
	return 0;
}
