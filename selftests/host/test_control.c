// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for pure/control_parse.c, the parser of
 * /proc/mempressure/control (docs/control.md): the same source the module
 * runs, built for userspace.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "control_parse.h"

#define U64_MAX_STR	"18446744073709551615"
#define U64_OVER_STR	"18446744073709551616"

/* A line with its length, so that lines may hold NUL bytes. */
#define LINE(s)		.line = (s), .len = sizeof(s) - 1

static const struct bad_line {
	const char *line;
	size_t len;
	int err;
} bad_lines[] = {
	/* Commands and fields. */
	{ LINE("bogus 1 2"), EINVAL },
	{ LINE("SET interval_ms 100"), EINVAL },
	{ LINE("soft_pid 12 100"), EINVAL },
	{ LINE("\r"), EINVAL },
	{ LINE("set bogus 100"), EINVAL },
	{ LINE("set Interval_ms 100"), EINVAL },
	{ LINE("set interval_ms"), EINVAL },
	{ LINE("set"), EINVAL },
	{ LINE("soft /a"), EINVAL },
	{ LINE("soft-pid 12"), EINVAL },
	{ LINE("set interval_ms 100 200"), EINVAL },
	{ LINE("set interval_ms 100 # no comment after a command"), EINVAL },
	{ LINE("soft /a default extra"), EINVAL },
	{ LINE("soft-pid 12 none extra"), EINVAL },
	{ LINE("soft /a 10 %"), EINVAL },
	{ LINE("set\vinterval_ms 100"), EINVAL },	/* \v is not a blank */
	{ LINE("set interval_ms 1000\r"), EINVAL },	/* nor is \r */
	{ LINE("soft-pid 12 100 \r"), EINVAL },
	/* Numbers: digits only. */
	{ LINE("set interval_ms -1"), EINVAL },
	{ LINE("set interval_ms +500"), EINVAL },
	{ LINE("set interval_ms 1e3"), EINVAL },
	{ LINE("set interval_ms 0x10"), EINVAL },
	{ LINE("set interval_ms 12abc"), EINVAL },
	{ LINE("set interval_ms 1000.0"), EINVAL },
	{ LINE("set interval_ms 1,000"), EINVAL },
	{ LINE("set interval_ms " U64_OVER_STR "x"), EINVAL },
	/* PSI thresholds: up to two decimals. */
	{ LINE("set psi_low 10.123"), EINVAL },
	{ LINE("set psi_low 10."), EINVAL },
	{ LINE("set psi_low .5"), EINVAL },
	{ LINE("set psi_low ."), EINVAL },
	{ LINE("set psi_low 1.2.3"), EINVAL },
	{ LINE("set psi_low 10%"), EINVAL },
	{ LINE("set psi_low -1.00"), EINVAL },
	{ LINE("set psi_low 1,5"), EINVAL },
	{ LINE("set psi_low 1.x"), EINVAL },
	/* soft values. */
	{ LINE("soft /a 0%"), EINVAL },
	{ LINE("soft /a 101%"), EINVAL },
	{ LINE("soft /a %"), EINVAL },
	{ LINE("soft /a 50%%"), EINVAL },
	{ LINE("soft /a %50"), EINVAL },
	{ LINE("soft /a 0"), EINVAL },
	{ LINE("soft /a 000"), EINVAL },
	{ LINE("soft /a none"), EINVAL },
	{ LINE("soft /a Default"), EINVAL },
	{ LINE("soft /a 1.5"), EINVAL },
	{ LINE("soft /a -5"), EINVAL },
	/* soft paths. */
	{ LINE("soft a 100"), EINVAL },
	{ LINE("soft a/b 100"), EINVAL },
	{ LINE("soft /a//b 100"), EINVAL },
	{ LINE("soft // 100"), EINVAL },
	{ LINE("soft /a/../b 100"), EINVAL },
	{ LINE("soft /.. 100"), EINVAL },
	{ LINE("soft /a/./b 100"), EINVAL },
	{ LINE("soft /. 100"), EINVAL },
	{ LINE("soft /a/.. 100"), EINVAL },
	{ LINE("soft /a/ 100"), EINVAL },
	{ LINE("soft /a\\9 100"), EINVAL },
	{ LINE("soft /a\\04 100"), EINVAL },
	{ LINE("soft /a\\04x 100"), EINVAL },
	{ LINE("soft /a\\ 100"), EINVAL },
	{ LINE("soft /a\\x41 100"), EINVAL },
	{ LINE("soft /a\\\\ 100"), EINVAL },
	{ LINE("soft /a\\000 100"), EINVAL },
	{ LINE("soft /a\\400 100"), EINVAL },
	{ LINE("soft /a\\401 100"), EINVAL },	/* not 0x101 & 0xff */
	{ LINE("soft /a\\777 100"), EINVAL },
	{ LINE("soft /\\056\\056 100"), EINVAL },	/* decodes to "/.." */
	{ LINE("soft /a\\057 100"), EINVAL },	/* decodes to "/a/" */
	{ LINE("soft \\141 100"), EINVAL },	/* decodes to "a" */
	/* NUL bytes, anywhere. */
	{ LINE("set interval_ms 100\0"), EINVAL },
	{ LINE(" \0 "), EINVAL },
	{ LINE("soft /a\0 100"), EINVAL },
	{ LINE("soft /a 100\0"), EINVAL },
	{ LINE("\0"), EINVAL },
	{ LINE("# a comment\0"), EINVAL },
	{ LINE("soft /a\0b 100"), EINVAL },
	/* soft-pid. */
	{ LINE("soft-pid 0 100"), EINVAL },
	{ LINE("soft-pid 00 100"), EINVAL },
	{ LINE("soft-pid 4194305 100"), EINVAL },
	{ LINE("soft-pid 12 default"), EINVAL },
	{ LINE("soft-pid 12 50%"), EINVAL },
	{ LINE("soft-pid 12 0"), EINVAL },
	{ LINE("soft-pid -12 100"), EINVAL },
	{ LINE("soft-pid 1.0 100"), EINVAL },
	{ LINE("soft-pid /a 100"), EINVAL },
	{ LINE("soft-pid 12 None"), EINVAL },
	/* Malformed beats too big, whichever field comes first. */
	{ LINE("soft-pid " U64_OVER_STR " abc"), EINVAL },
	{ LINE("soft-pid 12abc " U64_OVER_STR), EINVAL },
	{ LINE("soft a " U64_OVER_STR), EINVAL },
	/* Over 64 bits. */
	{ LINE("set interval_ms " U64_OVER_STR), ERANGE },
	{ LINE("set leak_min_bytes 99999999999999999999999"), ERANGE },
	{ LINE("soft /a " U64_OVER_STR), ERANGE },
	{ LINE("soft /a " U64_OVER_STR "%"), ERANGE },
	{ LINE("soft-pid 12 " U64_OVER_STR), ERANGE },
	{ LINE("soft-pid " U64_OVER_STR " 100"), ERANGE },
	{ LINE("set psi_low 184467440737095516.16"), ERANGE },
	/* These would wrap around to valid values: 0.01, 0.84 and 1. */
	{ LINE("set psi_low 184467440737095516.17"), ERANGE },
	{ LINE("set psi_low 184467440737095517.00"), ERANGE },
	{ LINE("soft /a 18446744073709551617"), ERANGE },
	{ LINE("set psi_low 184467440737095517"), ERANGE },
	/* Outside a tunable's range. */
	{ LINE("set interval_ms 99"), ERANGE },
	{ LINE("set interval_ms 60001"), ERANGE },
	{ LINE("set interval_ms 0"), ERANGE },
	{ LINE("set low_pct 0"), ERANGE },
	{ LINE("set soft_pct 101"), ERANGE },
	{ LINE("set critical_pct 1000"), ERANGE },
	{ LINE("set soft_margin_pct 51"), ERANGE },
	{ LINE("set psi_low 0"), ERANGE },
	{ LINE("set psi_low 0.00"), ERANGE },
	{ LINE("set psi_medium 100.01"), ERANGE },
	{ LINE("set psi_critical 101"), ERANGE },
	{ LINE("set calm_ms 3600001"), ERANGE },
	{ LINE("set leak_rate 0"), ERANGE },
	{ LINE("set leak_rate 1073741825"), ERANGE },
	{ LINE("set leak_window 30"), ERANGE },
	{ LINE("set leak_window 9"), ERANGE },
	{ LINE("set leak_window 59"), ERANGE },
	{ LINE("set leak_window 61"), ERANGE },
	{ LINE("set leak_window 301"), ERANGE },
	{ LINE("set leak_window 0"), ERANGE },
	{ LINE("set leak_min_bytes 1099511627777"), ERANGE },
};

/* Parse one line with a path buffer as big as the line, as documented. */
static int parse(const char *line, size_t len, struct mp_ctl_cmd *cmd,
		 char *path, size_t path_size)
{
	memset(path, 0x5a, path_size);
	return mp_ctl_parse_line(line, len, cmd, path, path_size);
}

static int parse_str(const char *line, struct mp_ctl_cmd *cmd, char *path,
		     size_t path_size)
{
	return parse(line, strlen(line), cmd, path, path_size);
}

static void show(char *out, size_t size, const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len && n + 5 < size; i++) {
		unsigned char c = s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			out[n++] = c;
		else
			n += sprintf(out + n, "\\%03o", c);
	}
	out[n] = '\0';
}

TEST(malformed_lines_are_refused)
{
	struct mp_ctl_cmd cmd;
	char path[MEMPRESSURE_CTL_WRITE_MAX];
	char shown[256];
	size_t i;
	int bad = 0;

	ASSERT_GE(ARRAY_SIZE(bad_lines), 40);
	for (i = 0; i < ARRAY_SIZE(bad_lines); i++) {
		const struct bad_line *b = &bad_lines[i];
		int ret = parse(b->line, b->len, &cmd, path, sizeof(path));

		show(shown, sizeof(shown), b->line, b->len);
		EXPECT_EQ(-b->err, ret) {
			TH_LOG("line %zu: \"%s\"", i, shown);
			bad++;
		}
	}
	ASSERT_EQ(0, bad);
}

/* An escaped slash is a slash: alone, it names the root. */
TEST(escaped_slash_is_a_slash)
{
	struct mp_ctl_cmd cmd;
	char path[64];

	ASSERT_EQ(0, parse_str("soft \\057 100", &cmd, path, sizeof(path)));
	ASSERT_EQ(MP_CTL_OP_SOFT, cmd.op);
	ASSERT_EQ(0, cmd.line);		/* only mp_ctl_parse() numbers lines */
	ASSERT_STREQ("/", cmd.path);
	ASSERT_EQ(1, cmd.path_len);
}

static const struct good_line {
	const char *line;
	size_t len;
	enum mp_ctl_op op;
	enum mempressure_tunable tunable;
	enum mp_ctl_soft soft;
	u64 value;
	u32 pid;
	const char *path;
} good_lines[] = {
#define SET(s, t, v) \
	{ LINE(s), .op = MP_CTL_OP_SET, .tunable = MEMPRESSURE_TUNABLE_##t, \
	  .value = (v) }
#define SOFT(s, p, k, v) \
	{ LINE(s), .op = MP_CTL_OP_SOFT, .path = (p), \
	  .soft = MP_CTL_SOFT_##k, .value = (v) }
#define SOFT_PID(s, p, k, v) \
	{ LINE(s), .op = MP_CTL_OP_SOFT_PID, .pid = (p), \
	  .soft = MP_CTL_SOFT_##k, .value = (v) }
	SET("set interval_ms 100", INTERVAL_MS, 100),
	SET("set interval_ms 60000", INTERVAL_MS, 60000),
	SET("  set\tinterval_ms \t 250  \t", INTERVAL_MS, 250),
	SET("\tset interval_ms 0250", INTERVAL_MS, 250),
	SET("set low_pct 1", LOW_PCT, 1),
	SET("set soft_pct 100", SOFT_PCT, 100),
	SET("set critical_pct 95", CRITICAL_PCT, 95),
	SET("set soft_margin_pct 0", SOFT_MARGIN_PCT, 0),
	SET("set soft_margin_pct 50", SOFT_MARGIN_PCT, 50),
	SET("set psi_low 10.5", PSI_LOW, 1050),
	SET("set psi_low 10", PSI_LOW, 1000),
	SET("set psi_low 10.00", PSI_LOW, 1000),
	SET("set psi_low 10.05", PSI_LOW, 1005),
	SET("set psi_low 0.01", PSI_LOW, 1),
	SET("set psi_low 0.1", PSI_LOW, 10),
	SET("set psi_medium 1.05", PSI_MEDIUM, 105),
	SET("set psi_medium 007.50", PSI_MEDIUM, 750),
	SET("set psi_critical 100.00", PSI_CRITICAL, 10000),
	SET("set psi_critical 100", PSI_CRITICAL, 10000),
	SET("set calm_ms 0", CALM_MS, 0),
	SET("set calm_ms 3600000", CALM_MS, 3600000),
	SET("set leak_rate 1", LEAK_RATE, 1),
	SET("set leak_rate 1073741824", LEAK_RATE, 1073741824),
	SET("set leak_window 10", LEAK_WINDOW, 10),
	SET("set leak_window 60", LEAK_WINDOW, 60),
	SET("set leak_window 300", LEAK_WINDOW, 300),
	SET("set leak_min_bytes 0", LEAK_MIN_BYTES, 0),
	SET("set leak_min_bytes 1099511627776", LEAK_MIN_BYTES,
	    1099511627776ULL),
	SOFT("soft / 1", "/", BYTES, 1),
	SOFT("soft /demo 104857600", "/demo", BYTES, 104857600),
	SOFT("soft /a " U64_MAX_STR, "/a", BYTES, UINT64_MAX),
	SOFT("soft /web 90%", "/web", PCT, 90),
	SOFT("soft /web 1%", "/web", PCT, 1),
	SOFT("soft /web 100%", "/web", PCT, 100),
	SOFT("soft /web 007%", "/web", PCT, 7),
	SOFT("soft /a/b default", "/a/b", DEFAULT, 0),
	SOFT("soft\t/a/b.slice/c\t\t5 ", "/a/b.slice/c", BYTES, 5),
	SOFT("soft /my\\040app 5", "/my app", BYTES, 5),
	SOFT("soft /a\\011b\\012c\\134d 7", "/a\tb\nc\\d", BYTES, 7),
	SOFT("soft /x\\0401 1", "/x 1", BYTES, 1),
	SOFT("soft /\\303\\251t\\351 3", "/\303\251t\351", BYTES, 3),
	SOFT("soft /\\377 3", "/\377", BYTES, 3),
	SOFT("soft /... 1", "/...", BYTES, 1),
	SOFT("soft /.a/..b/a../a.b 1", "/.a/..b/a../a.b", BYTES, 1),
	SOFT("soft /#a 1", "/#a", BYTES, 1),
	SOFT("soft /a%b 50%", "/a%b", PCT, 50),
	SOFT_PID("soft-pid 1 1", 1, BYTES, 1),
	SOFT_PID("soft-pid 149 52428800", 149, BYTES, 52428800),
	SOFT_PID("soft-pid 4194304 " U64_MAX_STR, 4194304, BYTES, UINT64_MAX),
	SOFT_PID("soft-pid 149 none", 149, NONE, 0),
	SOFT_PID(" soft-pid\t0012\tnone\t", 12, NONE, 0),
#undef SET
#undef SOFT
#undef SOFT_PID
};

TEST(valid_lines_parse)
{
	char path[MEMPRESSURE_CTL_WRITE_MAX];
	struct mp_ctl_cmd cmd;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(good_lines); i++) {
		const struct good_line *g = &good_lines[i];

		ASSERT_EQ(0, parse(g->line, g->len, &cmd, path, sizeof(path)))
			TH_LOG("line %zu: \"%s\"", i, g->line);
		ASSERT_EQ(g->op, cmd.op) TH_LOG("line %zu", i);
		ASSERT_EQ(g->value, cmd.value) TH_LOG("line %zu", i);
		switch (g->op) {
		case MP_CTL_OP_SET:
			ASSERT_EQ(g->tunable, cmd.tunable)
				TH_LOG("line %zu", i);
			break;
		case MP_CTL_OP_SOFT:
			ASSERT_EQ(g->soft, cmd.soft) TH_LOG("line %zu", i);
			ASSERT_TRUE(cmd.path == path);
			ASSERT_EQ(strlen(g->path), cmd.path_len);
			ASSERT_STREQ(g->path, cmd.path);
			break;
		case MP_CTL_OP_SOFT_PID:
			ASSERT_EQ(g->soft, cmd.soft) TH_LOG("line %zu", i);
			ASSERT_EQ(g->pid, cmd.pid) TH_LOG("line %zu", i);
			break;
		default:
			ASSERT_TRUE(false);
		}
	}
}

/*
 * "set NAME VALUE" with single spaces into its two fields; false for any
 * other shape.  The fields point into @line.
 */
static bool split_set(const char *line, size_t len, const char **name, size_t *name_len,
		      const char **value, size_t *value_len)
{
	const char *sp1, *sp2;

	if (len < 4 || memcmp(line, "set ", 4) || memchr(line, '\t', len))
		return false;
	sp1 = memchr(line + 4, ' ', len - 4);
	if (!sp1 || sp1 == line + 4)
		return false;
	sp2 = memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - line));
	if (sp2 || sp1 + 1 == line + len)
		return false;
	*name = line + 4;
	*name_len = (size_t)(sp1 - *name);
	*value = sp1 + 1;
	*value_len = len - (size_t)(*value - line);
	return true;
}

/*
 * What userspace checks a value with (mp_ctl_lookup(), mp_ctl_parse_value())
 * says what the parser says, line by line, good and bad.
 */
TEST(lookup_and_parse_value_agree_with_the_parser)
{
	char path[MEMPRESSURE_CTL_WRITE_MAX];
	struct mp_ctl_cmd cmd;
	const char *name, *value;
	size_t i, name_len, value_len;
	int nr_good = 0, nr_bad = 0;

	for (i = 0; i < ARRAY_SIZE(good_lines); i++) {
		const struct good_line *g = &good_lines[i];
		u64 v = 0;

		if (g->op != MP_CTL_OP_SET ||
		    !split_set(g->line, g->len, &name, &name_len, &value, &value_len))
			continue;
		ASSERT_EQ((int)g->tunable, mp_ctl_lookup(name, name_len));
		ASSERT_EQ(0, mp_ctl_parse_value(g->tunable, value, value_len, &v));
		ASSERT_EQ(g->value, v) TH_LOG("%s", g->line);
		nr_good++;
	}
	for (i = 0; i < ARRAY_SIZE(bad_lines); i++) {
		const struct bad_line *b = &bad_lines[i];
		int t, ret = parse(b->line, b->len, &cmd, path, sizeof(path));
		u64 v;

		if (!split_set(b->line, b->len, &name, &name_len, &value, &value_len) ||
		    memchr(b->line, '\0', b->len) || b->len > MEMPRESSURE_CTL_WRITE_MAX)
			continue;
		t = mp_ctl_lookup(name, name_len);
		EXPECT_EQ(ret, t < 0 ? t : mp_ctl_parse_value(t, value, value_len, &v))
			TH_LOG("line %zu: \"%.*s\"", i, (int)b->len, b->line);
		nr_bad++;
	}
	ASSERT_GE(nr_good, 10);
	ASSERT_GE(nr_bad, 15);
	ASSERT_EQ(-EINVAL, mp_ctl_lookup("interval", 8));
	ASSERT_EQ(-EINVAL, mp_ctl_lookup("interval_ms", 10));	/* a prefix */
	ASSERT_EQ(MEMPRESSURE_TUNABLE_INTERVAL_MS, mp_ctl_lookup("interval_msX", 11));
	ASSERT_EQ(-EINVAL, mp_ctl_parse_value(MEMPRESSURE_TUNABLE_NR, "1", 1, &cmd.value));
}

/* The shape of a cgroup path, alone and as the soft command checks it. */
TEST(paths_have_one_shape)
{
	static const struct {
		const char *path;
		int err;
	} paths[] = {
		{ "/", 0 }, { "/a", 0 }, { "/a/b", 0 }, { "/.a", 0 }, { "/a.", 0 },
		{ "/...", 0 }, { "/..a/b..", 0 }, { "", EINVAL }, { "a", EINVAL },
		{ "a/b", EINVAL }, { "/a/", EINVAL }, { "//", EINVAL }, { "/a//b", EINVAL },
		{ "/.", EINVAL }, { "/./a", EINVAL }, { "/a/..", EINVAL },
		{ "/a/../b", EINVAL }, { "/a/.", EINVAL },
	};
	char line[64], path[64];
	struct mp_ctl_cmd cmd;

	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		int want = -paths[i].err;

		EXPECT_EQ(want, mp_ctl_check_path(paths[i].path, strlen(paths[i].path)))
			TH_LOG("\"%s\"", paths[i].path);
		if (!*paths[i].path)
			continue;
		snprintf(line, sizeof(line), "soft %s 1", paths[i].path);
		EXPECT_EQ(want, parse_str(line, &cmd, path, sizeof(path))) TH_LOG("%s", line);
	}
	/* Bounded by its length, not by a NUL. */
	ASSERT_EQ(0, mp_ctl_check_path("/a/", 2));
	ASSERT_EQ(-EINVAL, mp_ctl_check_path("/a/..", 5));
}

/* A value prints as the parser reads it, in range or not. */
TEST(format_value_reads_back)
{
	char buf[MP_CTL_TUNABLE_LINE_MAX];
	int t;

	for (t = 0; t < MEMPRESSURE_TUNABLE_NR; t++) {
		u64 vals[] = { mp_ctl_min(t), mp_ctl_default(t), mp_ctl_max(t) };

		for (size_t i = 0; i < ARRAY_SIZE(vals); i++) {
			u64 v = ~0ULL;
			int n = mp_ctl_format_value(buf, sizeof(buf), t, vals[i]);

			ASSERT_EQ((int)strlen(buf), n);
			ASSERT_EQ(0, mp_ctl_parse_value(t, buf, (size_t)n, &v)) TH_LOG("%s", buf);
			ASSERT_EQ(vals[i], v);
		}
	}
	ASSERT_EQ(4, mp_ctl_format_value(buf, sizeof(buf), MEMPRESSURE_TUNABLE_PSI_LOW, 125));
	ASSERT_STREQ("1.25", buf);
	ASSERT_EQ(2, mp_ctl_format_value(buf, sizeof(buf), MEMPRESSURE_TUNABLE_LOW_PCT, 75));
	ASSERT_STREQ("75", buf);
	/* Out of range: printed all the same, for tests that write it. */
	ASSERT_EQ(1, mp_ctl_format_value(buf, sizeof(buf), MEMPRESSURE_TUNABLE_LOW_PCT, 0));
	ASSERT_STREQ("0", buf);
	ASSERT_EQ(-ENOSPC, mp_ctl_format_value(buf, 2, MEMPRESSURE_TUNABLE_LOW_PCT, 75));
	ASSERT_STREQ("", buf);
	ASSERT_EQ(-EINVAL, mp_ctl_format_value(buf, sizeof(buf), MEMPRESSURE_TUNABLE_NR, 1));
}

TEST(blank_and_comment_lines_do_nothing)
{
	static const char *const lines[] = {
		"", " ", "\t \t", "#", "# set bogus 1", "  # indented",
		"\t#\r", "#soft-pid 0 0",
	};
	struct mp_ctl_cmd cmd, sentinel;
	char path[16];
	size_t i;

	memset(&sentinel, 0xa5, sizeof(sentinel));
	for (i = 0; i < ARRAY_SIZE(lines); i++) {
		cmd = sentinel;
		ASSERT_EQ(1, parse(lines[i], strlen(lines[i]), &cmd, path,
				   sizeof(path)))
			TH_LOG("line %zu", i);
		/* Untouched: nothing to do means nothing reported. */
		ASSERT_EQ(0, memcmp(&cmd, &sentinel, sizeof(cmd)));
	}
}

/* The line is not NUL-terminated: the parser stops at @len. */
TEST(line_is_bounded_by_len)
{
	static const char text[] = "set interval_ms 2000junk";
	struct mp_ctl_cmd cmd;
	char path[64];

	ASSERT_EQ(0, parse(text, strlen("set interval_ms 2000"), &cmd, path,
			   sizeof(path)));
	ASSERT_EQ(2000, cmd.value);
	ASSERT_EQ(-EINVAL, parse(text, strlen(text), &cmd, path,
				 sizeof(path)));
	/* "soft /ab 1" cut before the value is missing a field. */
	ASSERT_EQ(-EINVAL, parse("soft /ab 1", 8, &cmd, path, sizeof(path)));
}

/* A line of 4096 bytes is accepted; one more byte is refused. */
TEST(line_length_limit)
{
	char *line = malloc(MEMPRESSURE_CTL_WRITE_MAX + 2);
	char *path = malloc(MEMPRESSURE_CTL_WRITE_MAX + 2);
	size_t plen = MEMPRESSURE_CTL_WRITE_MAX - strlen("soft  1");
	struct mp_ctl_cmd cmd;

	ASSERT_NE(NULL, line);
	ASSERT_NE(NULL, path);
	memcpy(line, "soft /", 6);
	memset(line + 6, 'p', plen - 1);
	memcpy(line + 5 + plen, " 1", 3);
	ASSERT_EQ(MEMPRESSURE_CTL_WRITE_MAX, strlen(line));
	/* The documented bound: a buffer of the line's length suffices. */
	ASSERT_EQ(0, mp_ctl_parse_line(line, MEMPRESSURE_CTL_WRITE_MAX, &cmd,
				       path, MEMPRESSURE_CTL_WRITE_MAX));
	ASSERT_EQ(plen, cmd.path_len);
	ASSERT_EQ(plen, strlen(cmd.path));

	/* 4097 bytes: the same with one more 'p'. */
	memset(line + 6, 'p', plen);
	memcpy(line + 6 + plen, " 1", 3);
	ASSERT_EQ(MEMPRESSURE_CTL_WRITE_MAX + 1, strlen(line));
	ASSERT_EQ(-EINVAL, mp_ctl_parse_line(line, strlen(line), &cmd, path,
					     MEMPRESSURE_CTL_WRITE_MAX + 2));
	/* A blank line is no exception. */
	memset(line, ' ', MEMPRESSURE_CTL_WRITE_MAX + 1);
	ASSERT_EQ(-EINVAL, mp_ctl_parse_line(line,
					     MEMPRESSURE_CTL_WRITE_MAX + 1,
					     &cmd, path, 16));
	ASSERT_EQ(1, mp_ctl_parse_line(line, MEMPRESSURE_CTL_WRITE_MAX, &cmd,
				       path, 16));
	free(line);
	free(path);
}

TEST(small_path_buffer)
{
	struct mp_ctl_cmd cmd;
	char path[8];

	/* "/abcdefg" needs 9 bytes with its NUL. */
	ASSERT_EQ(-ENAMETOOLONG, parse_str("soft /abcdefg 1", &cmd, path, 8));
	ASSERT_EQ(0, parse_str("soft /abcdef 1", &cmd, path, 8));
	ASSERT_STREQ("/abcdef", cmd.path);
	/* Escapes shrink: 12 escaped bytes, 4 decoded. */
	ASSERT_EQ(0, parse_str("soft /\\040\\040\\040 1", &cmd, path, 5));
	ASSERT_STREQ("/   ", cmd.path);
	ASSERT_EQ(-ENAMETOOLONG, parse_str("soft / 1", &cmd, path, 0));
	ASSERT_EQ(-ENAMETOOLONG, parse_str("soft / 1", &cmd, path, 1));
	ASSERT_EQ(0, parse_str("soft / 1", &cmd, path, 2));
}

static struct mp_ctl_batch *new_batch(void)
{
	struct mp_ctl_batch *b = malloc(sizeof(*b));

	if (b)
		memset(b, 0x5a, sizeof(*b));
	return b;
}

TEST(multi_line_write)
{
	static const char with_nl[] =
		"set interval_ms 500\n"
		"soft /a\\040b 10%\n"
		"\n"
		"# comment\n"
		"   \t\n"
		"soft-pid 3 none\n"
		"set psi_low 2.5\n";
	struct mp_ctl_batch *b = new_batch();
	int pass;

	ASSERT_NE(NULL, b);
	/* The last newline is optional: with or without it, the same. */
	for (pass = 0; pass < 2; pass++) {
		memset(b, 0x5a, sizeof(*b));
		ASSERT_EQ(0, mp_ctl_parse(with_nl, sizeof(with_nl) - 1 - pass,
					  b));
		ASSERT_EQ(4, b->nr_cmds);
		ASSERT_EQ(0, b->bad_line);
		ASSERT_EQ(MP_CTL_OP_SET, b->cmds[0].op);
		ASSERT_EQ(MEMPRESSURE_TUNABLE_INTERVAL_MS, b->cmds[0].tunable);
		ASSERT_EQ(500, b->cmds[0].value);
		ASSERT_EQ(MP_CTL_OP_SOFT, b->cmds[1].op);
		ASSERT_EQ(MP_CTL_SOFT_PCT, b->cmds[1].soft);
		ASSERT_EQ(10, b->cmds[1].value);
		ASSERT_STREQ("/a b", b->cmds[1].path);
		ASSERT_EQ(MP_CTL_OP_SOFT_PID, b->cmds[2].op);
		ASSERT_EQ(3, b->cmds[2].pid);
		ASSERT_EQ(MP_CTL_SOFT_NONE, b->cmds[2].soft);
		ASSERT_EQ(MEMPRESSURE_TUNABLE_PSI_LOW, b->cmds[3].tunable);
		ASSERT_EQ(250, b->cmds[3].value);
		/* Line numbers count blank and comment lines. */
		ASSERT_EQ(1, b->cmds[0].line);
		ASSERT_EQ(2, b->cmds[1].line);
		ASSERT_EQ(6, b->cmds[2].line);
		ASSERT_EQ(7, b->cmds[3].line);
	}
	free(b);
}

TEST(empty_writes)
{
	static const char blank[] = "\n\n# only comments\n\t\n";
	struct mp_ctl_batch *b = new_batch();

	ASSERT_NE(NULL, b);
	ASSERT_EQ(0, mp_ctl_parse("", 0, b));
	ASSERT_EQ(0, b->nr_cmds);
	ASSERT_EQ(0, b->bad_line);
	ASSERT_EQ(0, mp_ctl_parse(blank, strlen(blank), b));
	ASSERT_EQ(0, b->nr_cmds);
	ASSERT_EQ(0, b->bad_line);
	free(b);
}

/* One bad line fails the write, names its line, and reports no command. */
TEST(bad_line_fails_the_write)
{
	static const struct {
		const char *line;
		size_t len;
		int err;
		int bad_line;
	} cases[] = {
		{ LINE("set bogus 1\nset interval_ms 500\n"), -EINVAL, 1 },
		{ LINE("set interval_ms 500\n\n# c\nset low_pct 0\n"
			"set bogus 1\n"), -ERANGE, 4 },
		{ LINE("set interval_ms 500\nset low_pct 50\nsoft a 1"),
		  -EINVAL, 3 },
		/* CRLF: "\r" is junk at the end of the first line. */
		{ LINE("set interval_ms 500\r\nset low_pct 50\r\n"),
		  -EINVAL, 1 },
		{ LINE("# ok\nset interval_ms 500\0\n"), -EINVAL, 2 },
		{ LINE("# ok\n \0\nset interval_ms 500\n"), -EINVAL, 2 },
		{ LINE("soft / 1\n\0\n"), -EINVAL, 2 },
		{ LINE("soft / 1\nsoft / 1\nsoft-pid 4194305 1"), -EINVAL, 3 },
		{ LINE("set leak_window 60\nset leak_window 30\n"), -ERANGE,
		  2 },
	};
	struct mp_ctl_batch *b = new_batch();
	size_t i;

	ASSERT_NE(NULL, b);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		b->nr_cmds = 99;
		ASSERT_EQ(cases[i].err, mp_ctl_parse(cases[i].line,
						     cases[i].len, b))
			TH_LOG("case %zu", i);
		ASSERT_EQ(cases[i].bad_line, b->bad_line)
			TH_LOG("case %zu", i);
		ASSERT_EQ(0, b->nr_cmds) TH_LOG("case %zu", i);
	}
	free(b);
}

/* 4096 bytes are one write; 4097 are refused, whatever they hold. */
TEST(write_length_limit)
{
	char *buf = malloc(MEMPRESSURE_CTL_WRITE_MAX + 1);
	struct mp_ctl_batch *b = new_batch();
	const char *line = "set interval_ms 1000\n";
	size_t n = 0, ll = strlen(line);

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, b);
	while (n + ll <= MEMPRESSURE_CTL_WRITE_MAX) {
		memcpy(buf + n, line, ll);
		n += ll;
	}
	/* Pad with a comment to exactly 4096 bytes. */
	memset(buf + n, '#', MEMPRESSURE_CTL_WRITE_MAX + 1 - n);
	ASSERT_EQ(0, mp_ctl_parse(buf, MEMPRESSURE_CTL_WRITE_MAX, b));
	ASSERT_EQ((int)(n / ll), b->nr_cmds);
	ASSERT_EQ(-EINVAL, mp_ctl_parse(buf, MEMPRESSURE_CTL_WRITE_MAX + 1, b));
	ASSERT_EQ(0, b->bad_line);
	ASSERT_EQ(0, b->nr_cmds);
	free(buf);
	free(b);
}

/* The fullest write possible fits in the batch, paths and all. */
TEST(batch_capacity)
{
	static const char names[] = "abcdefghijklmnopqrstuvwxyz0123456789ABCD";
	char buf[MEMPRESSURE_CTL_WRITE_MAX];
	struct mp_ctl_batch *b = new_batch();
	size_t n = 0;
	int i, nr;

	ASSERT_NE(NULL, b);
	/* Shortest command, as often as fits: MP_CTL_CMDS_MAX of them. */
	while (n + strlen("soft / 1") <= sizeof(buf)) {
		memcpy(buf + n, "soft / 1\n", 9);
		n += 9;
	}
	ASSERT_EQ(0, mp_ctl_parse(buf, n - 1, b));
	ASSERT_EQ(MP_CTL_CMDS_MAX, b->nr_cmds);
	ASSERT_EQ(455, b->nr_cmds);
	for (i = 0; i < b->nr_cmds; i++)
		ASSERT_STREQ("/", b->cmds[i].path);

	/*
	 * Lines of different lengths, the paths filling the whole write:
	 * each path must come out intact, none overwriting another.
	 */
	n = 0;
	for (nr = 0; ; nr++) {
		char line[64];
		int len = snprintf(line, sizeof(line), "soft /%.*s %d\n",
				   1 + nr % 40, names, nr + 1);

		if (n + len > sizeof(buf))
			break;
		memcpy(buf + n, line, len);
		n += len;
	}
	ASSERT_EQ(0, mp_ctl_parse(buf, n, b));
	ASSERT_EQ(nr, b->nr_cmds);
	for (i = 0; i < nr; i++) {
		ASSERT_EQ((u64)i + 1, b->cmds[i].value);
		ASSERT_EQ((size_t)(2 + i % 40), b->cmds[i].path_len);
		ASSERT_EQ(0, strncmp(b->cmds[i].path + 1, names, 1 + i % 40));
		ASSERT_EQ('\0', b->cmds[i].path[b->cmds[i].path_len]);
	}

	/* One path as long as a write allows. */
	memcpy(buf, "soft /", 6);
	memset(buf + 6, 'q', sizeof(buf) - 8);
	memcpy(buf + sizeof(buf) - 2, " 1", 2);
	ASSERT_EQ(0, mp_ctl_parse(buf, sizeof(buf), b));
	ASSERT_EQ(1, b->nr_cmds);
	ASSERT_EQ(sizeof(buf) - 7, b->cmds[0].path_len);
	free(b);
}

/* Generated from the uapi X-macro a second time, to check the table. */
#define EXPECTED(e, n, lo, hi, d) \
	[MEMPRESSURE_TUNABLE_##e] = { n, lo, hi, d },
static const struct {
	const char *name;
	u64 min, max, def;
} expected_tunables[MEMPRESSURE_TUNABLE_NR] = {
	MEMPRESSURE_TUNABLES(EXPECTED)
};

TEST(tunable_table)
{
	int t;

	for (t = 0; t < MEMPRESSURE_TUNABLE_NR; t++) {
		ASSERT_STREQ(expected_tunables[t].name, mp_ctl_name(t));
		ASSERT_EQ(expected_tunables[t].min, mp_ctl_min(t));
		ASSERT_EQ(expected_tunables[t].max, mp_ctl_max(t));
		ASSERT_EQ(expected_tunables[t].def, mp_ctl_default(t));
		ASSERT_EQ(0, mp_ctl_check(t, mp_ctl_default(t)));
	}
	ASSERT_NULL(mp_ctl_name(MEMPRESSURE_TUNABLE_NR));
	ASSERT_EQ(0, mp_ctl_default(MEMPRESSURE_TUNABLE_NR));
	ASSERT_EQ(-EINVAL, mp_ctl_check(MEMPRESSURE_TUNABLE_NR, 0));
	ASSERT_EQ(-EINVAL, mp_ctl_check((enum mempressure_tunable)-1, 0));
	ASSERT_TRUE(mp_ctl_is_hundredths(MEMPRESSURE_TUNABLE_PSI_LOW));
	ASSERT_TRUE(mp_ctl_is_hundredths(MEMPRESSURE_TUNABLE_PSI_MEDIUM));
	ASSERT_TRUE(mp_ctl_is_hundredths(MEMPRESSURE_TUNABLE_PSI_CRITICAL));
	ASSERT_FALSE(mp_ctl_is_hundredths(MEMPRESSURE_TUNABLE_LOW_PCT));
	ASSERT_EQ(0, mp_ctl_check(MEMPRESSURE_TUNABLE_LEAK_WINDOW, 300));
	ASSERT_EQ(-ERANGE, mp_ctl_check(MEMPRESSURE_TUNABLE_LEAK_WINDOW, 100));
}

/* The defaults print exactly as docs/control.md's reading example. */
TEST(defaults_print_as_documented)
{
	static const char doc[] =
		"set interval_ms 1000\n"
		"set low_pct 75\n"
		"set soft_pct 85\n"
		"set critical_pct 95\n"
		"set soft_margin_pct 5\n"
		"set psi_low 1.00\n"
		"set psi_medium 10.00\n"
		"set psi_critical 10.00\n"
		"set calm_ms 10000\n"
		"set leak_rate 16384\n"
		"set leak_window 60\n"
		"set leak_min_bytes 4194304\n";
	char out[MP_CTL_TUNABLE_LINE_MAX * MEMPRESSURE_TUNABLE_NR];
	size_t n = 0;
	int t, len;

	for (t = 0; t < MEMPRESSURE_TUNABLE_NR; t++) {
		len = mp_ctl_format_tunable(out + n, sizeof(out) - n, t,
					    mp_ctl_default(t));
		ASSERT_GT(len, 0);
		ASSERT_EQ((size_t)len, strlen(out + n));
		n += len;
	}
	ASSERT_STREQ(doc, out);
}

/* Print, then parse: the same value, or ERANGE just outside the range. */
static int round_trip(struct __test_metadata *_metadata,
		      enum mempressure_tunable t, u64 value)
{
	char line[MP_CTL_TUNABLE_LINE_MAX], path[4];
	struct mp_ctl_cmd cmd;
	int len, ret;

	len = mp_ctl_format_tunable(line, sizeof(line), t, value);
	ASSERT_GT(len, 0);
	ASSERT_EQ('\n', line[len - 1]);
	ret = mp_ctl_parse_line(line, len - 1, &cmd, path, sizeof(path));
	if (!ret) {
		EXPECT_EQ(MP_CTL_OP_SET, cmd.op);
		EXPECT_EQ(t, cmd.tunable);
		EXPECT_EQ(value, cmd.value) TH_LOG("\"%s\"", line);
	}
	return ret;
}

TEST(tunables_round_trip)
{
	int t;

	for (t = 0; t < MEMPRESSURE_TUNABLE_NR; t++) {
		u64 lo = mp_ctl_min(t), hi = mp_ctl_max(t);

		ASSERT_EQ(0, round_trip(_metadata, t, mp_ctl_default(t)));
		ASSERT_EQ(0, round_trip(_metadata, t, lo));
		ASSERT_EQ(0, round_trip(_metadata, t, hi));
		ASSERT_EQ(-ERANGE, round_trip(_metadata, t, hi + 1));
		if (lo)
			ASSERT_EQ(-ERANGE, round_trip(_metadata, t, lo - 1));
		/* Any u64 prints and reads back as out of range, not junk. */
		ASSERT_EQ(-ERANGE, round_trip(_metadata, t, UINT64_MAX));
	}
	/* Every hundredth of the PSI range survives. */
	for (u64 v = 1; v <= 10000; v++)
		ASSERT_EQ(0, round_trip(_metadata,
					MEMPRESSURE_TUNABLE_PSI_MEDIUM, v));
	ASSERT_EQ(0, round_trip(_metadata, MEMPRESSURE_TUNABLE_LEAK_WINDOW,
				60));
}

TEST(format_tunable_output)
{
	char buf[MP_CTL_TUNABLE_LINE_MAX];

	ASSERT_EQ(strlen("set psi_low 10.50\n"),
		  mp_ctl_format_tunable(buf, sizeof(buf),
					MEMPRESSURE_TUNABLE_PSI_LOW, 1050));
	ASSERT_STREQ("set psi_low 10.50\n", buf);
	mp_ctl_format_tunable(buf, sizeof(buf), MEMPRESSURE_TUNABLE_PSI_LOW, 5);
	ASSERT_STREQ("set psi_low 0.05\n", buf);
	mp_ctl_format_tunable(buf, sizeof(buf), MEMPRESSURE_TUNABLE_PSI_LOW,
			      10000);
	ASSERT_STREQ("set psi_low 100.00\n", buf);
	mp_ctl_format_tunable(buf, sizeof(buf), MEMPRESSURE_TUNABLE_CALM_MS, 0);
	ASSERT_STREQ("set calm_ms 0\n", buf);
	/* The longest line there can be fits in MP_CTL_TUNABLE_LINE_MAX. */
	ASSERT_LT(0, mp_ctl_format_tunable(buf, sizeof(buf),
					   MEMPRESSURE_TUNABLE_SOFT_MARGIN_PCT,
					   UINT64_MAX));
	ASSERT_STREQ("set soft_margin_pct " U64_MAX_STR "\n", buf);
	ASSERT_LT(0, mp_ctl_format_tunable(buf, sizeof(buf),
					   MEMPRESSURE_TUNABLE_PSI_CRITICAL,
					   UINT64_MAX));
	ASSERT_STREQ("set psi_critical 184467440737095516.15\n", buf);
	ASSERT_EQ(-EINVAL, mp_ctl_format_tunable(buf, sizeof(buf),
						 MEMPRESSURE_TUNABLE_NR, 1));
}

TEST(format_needs_room_for_the_nul)
{
	char buf[32], *heap;

	/* "set calm_ms 10000\n" is 18 bytes: 19 with the NUL. */
	memset(buf, 'x', sizeof(buf));
	ASSERT_EQ(-ENOSPC, mp_ctl_format_tunable(buf, 18,
						 MEMPRESSURE_TUNABLE_CALM_MS,
						 10000));
	ASSERT_EQ('\0', buf[0]);
	ASSERT_EQ('x', buf[18]);
	ASSERT_EQ(18, mp_ctl_format_tunable(buf, 19,
					    MEMPRESSURE_TUNABLE_CALM_MS,
					    10000));
	ASSERT_STREQ("set calm_ms 10000\n", buf);
	/* Not a byte past @size is written, even when it does not fit. */
	heap = malloc(18);
	ASSERT_NE(NULL, heap);
	ASSERT_EQ(-ENOSPC, mp_ctl_format_tunable(heap, 18,
						 MEMPRESSURE_TUNABLE_CALM_MS,
						 10000));
	ASSERT_EQ('\0', heap[0]);
	ASSERT_EQ(-ENOSPC, mp_ctl_escape(heap, 18, "/\\\\\\\\\\"));
	free(heap);
	ASSERT_EQ(-ENOSPC, mp_ctl_format_tunable(NULL, 0,
						 MEMPRESSURE_TUNABLE_CALM_MS,
						 10000));
	ASSERT_EQ(-ENOSPC, mp_ctl_escape(buf, 4, "/a b"));
	ASSERT_EQ(-ENOSPC, mp_ctl_escape(buf, 7, "/a b"));
	ASSERT_EQ(7, mp_ctl_escape(buf, 8, "/a b"));
	ASSERT_STREQ("/a\\040b", buf);
}

TEST(escape_round_trip)
{
	static const char *const paths[] = {
		"/a b\tc\nd\\e/f",
		"/ /\t/\n/\\",
		"/\\040",
		"/my app/web server",
		"/plain/path",
		"/",
	};
	char esc[256], line[300], path[300];
	struct mp_ctl_cmd cmd;
	size_t i;

	ASSERT_EQ(strlen("/a\\040b\\011c\\012d\\134e/f"),
		  mp_ctl_escape(esc, sizeof(esc), paths[0]));
	ASSERT_STREQ("/a\\040b\\011c\\012d\\134e/f", esc);
	for (i = 0; i < ARRAY_SIZE(paths); i++) {
		int len = mp_ctl_escape(esc, sizeof(esc), paths[i]);

		ASSERT_GT(len, 0);
		/* Nothing that splits fields or lines is left. */
		ASSERT_EQ(NULL, strpbrk(esc, " \t\n"));
		len = snprintf(line, sizeof(line), "soft %s 1", esc);
		ASSERT_EQ(0, mp_ctl_parse_line(line, len, &cmd, path,
					       sizeof(path)));
		ASSERT_STREQ(paths[i], cmd.path);
	}
}

/* Every byte but NUL and '/' can be a cgroup name: all survive. */
TEST(escape_round_trip_every_byte)
{
	char raw[300], esc[1200], line[1300], path[1300];
	struct mp_ctl_cmd cmd;
	size_t n = 0;
	int c, len;

	raw[n++] = '/';
	for (c = 1; c < 256; c++)
		if (c != '/')
			raw[n++] = (char)c;
	raw[n] = '\0';
	len = mp_ctl_escape(esc, sizeof(esc), raw);
	ASSERT_EQ((int)strlen(raw) + 4 * 3, len);
	len = snprintf(line, sizeof(line), "soft %s 50%%", esc);
	ASSERT_EQ(0, mp_ctl_parse_line(line, len, &cmd, path, sizeof(path)));
	ASSERT_EQ(MP_CTL_SOFT_PCT, cmd.soft);
	ASSERT_EQ(strlen(raw), cmd.path_len);
	ASSERT_EQ(0, memcmp(raw, cmd.path, cmd.path_len + 1));
}

/* Every valid line prints as a command that parses to the same command. */
TEST(commands_round_trip)
{
	char path[MEMPRESSURE_CTL_WRITE_MAX], path2[MEMPRESSURE_CTL_WRITE_MAX];
	char out[MEMPRESSURE_CTL_WRITE_MAX];
	struct mp_ctl_cmd cmd, again;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(good_lines); i++) {
		const struct good_line *g = &good_lines[i];
		int len;

		ASSERT_EQ(0, parse(g->line, g->len, &cmd, path, sizeof(path)));
		len = mp_ctl_format_cmd(out, sizeof(out), &cmd);
		ASSERT_GT(len, 0) TH_LOG("line %zu", i);
		ASSERT_EQ('\n', out[len - 1]);
		ASSERT_EQ(0, parse(out, len - 1, &again, path2, sizeof(path2)))
			TH_LOG("line %zu: \"%s\"", i, out);
		ASSERT_EQ(cmd.op, again.op);
		ASSERT_EQ(cmd.value, again.value);
		ASSERT_EQ(cmd.soft, again.soft);
		ASSERT_EQ(cmd.pid, again.pid);
		ASSERT_EQ(cmd.tunable, again.tunable);
		if (cmd.op == MP_CTL_OP_SOFT)
			ASSERT_STREQ(cmd.path, again.path);
	}
}

/* The reading example of docs/control.md, printed from commands. */
TEST(format_cmd_output)
{
	char buf[128];
	struct mp_ctl_cmd cmd = {
		.op = MP_CTL_OP_SOFT, .path = "/demo",
		.soft = MP_CTL_SOFT_BYTES, .value = 104857600,
	};

	ASSERT_EQ(strlen("soft /demo 104857600\n"),
		  mp_ctl_format_cmd(buf, sizeof(buf), &cmd));
	ASSERT_STREQ("soft /demo 104857600\n", buf);
	cmd.path = "/web";
	cmd.soft = MP_CTL_SOFT_PCT;
	cmd.value = 90;
	mp_ctl_format_cmd(buf, sizeof(buf), &cmd);
	ASSERT_STREQ("soft /web 90%\n", buf);
	cmd.soft = MP_CTL_SOFT_DEFAULT;
	mp_ctl_format_cmd(buf, sizeof(buf), &cmd);
	ASSERT_STREQ("soft /web default\n", buf);
	cmd.path = "/my app";
	mp_ctl_format_cmd(buf, sizeof(buf), &cmd);
	ASSERT_STREQ("soft /my\\040app default\n", buf);
	cmd.soft = MP_CTL_SOFT_NONE;
	ASSERT_EQ(-EINVAL, mp_ctl_format_cmd(buf, sizeof(buf), &cmd));

	cmd = (struct mp_ctl_cmd){
		.op = MP_CTL_OP_SOFT_PID, .pid = 149,
		.soft = MP_CTL_SOFT_BYTES, .value = 52428800,
	};
	mp_ctl_format_cmd(buf, sizeof(buf), &cmd);
	ASSERT_STREQ("soft-pid 149 52428800\n", buf);
	cmd.soft = MP_CTL_SOFT_NONE;
	mp_ctl_format_cmd(buf, sizeof(buf), &cmd);
	ASSERT_STREQ("soft-pid 149 none\n", buf);
	cmd.soft = MP_CTL_SOFT_PCT;
	ASSERT_EQ(-EINVAL, mp_ctl_format_cmd(buf, sizeof(buf), &cmd));
	cmd.op = MP_CTL_OP_NR;
	ASSERT_EQ(-EINVAL, mp_ctl_format_cmd(buf, sizeof(buf), &cmd));
}

TEST_HARNESS_MAIN
