// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the CLI's formatting (userspace/cli/cli_format.c):
 * units, bars, sparklines, size parsing, column selection, JSON escaping,
 * that text, raw and JSON show the same fields from one table, and that
 * text fits a width.
 *
 * Then the program itself (CLI_BIN) on procfs files made here, through
 * MEMPRESSURE_PROC: one snapshot that cannot change between two runs, so
 * the text view and --json of top, cgroups and status can be compared
 * number by number; and events rendering each kind, limit included, from
 * a FIFO standing in for the events file.  And pods and containers by name
 * (top, cgroups, events), from a fixture tree of the kubelet's and the
 * runtimes' files through MEMPRESSURE_HOST_ROOT.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "cli_format.h"
#include "mp_table.h"
#include "names.h"
#include "pod_fixture.h"

#ifndef CLI_BIN			/* cli.mk names the one it built */
#define CLI_BIN		"build/userspace/mempressure"
#endif

TEST(bytes_in_human_units)
{
	static const struct { uint64_t v; const char *s; } cases[] = {
		{ 0, "0 B" }, { 1023, "1023 B" }, { 1024, "1.0 KiB" }, { 1536, "1.5 KiB" },
		{ 10 * 1024 - 1, "10 KiB" }, { 10 * 1024, "10 KiB" }, { 1023 * 1024, "1023 KiB" },
		{ 100 << 20, "100 MiB" }, { 1ULL << 30, "1.0 GiB" }, { 3ULL << 40, "3.0 TiB" },
		{ UINT64_MAX, "16 EiB" },
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cli_fmt_bytes(buf, sizeof(buf), cases[i].v);
		EXPECT_STREQ(cases[i].s, buf);
	}
	cli_fmt_rate(buf, sizeof(buf), 4 << 20);
	EXPECT_STREQ("+4.0 MiB/s", buf);
	cli_fmt_rate(buf, sizeof(buf), -12 * 1024);
	EXPECT_STREQ("-12 KiB/s", buf);
	cli_fmt_rate(buf, sizeof(buf), 0);
	EXPECT_STREQ("0 B/s", buf);
	cli_fmt_rate(buf, sizeof(buf), INT64_MIN);
	EXPECT_STREQ("-8.0 EiB/s", buf);
	/* Truncated, never overrun. */
	cli_fmt_bytes(buf, 4, 1536);
	EXPECT_STREQ("1.5", buf);
}

TEST(durations)
{
	char buf[32];

	cli_fmt_duration(buf, sizeof(buf), 0);
	EXPECT_STREQ("0s", buf);
	cli_fmt_duration(buf, sizeof(buf), 59);
	EXPECT_STREQ("59s", buf);
	cli_fmt_duration(buf, sizeof(buf), 723);
	EXPECT_STREQ("12m03s", buf);
	cli_fmt_duration(buf, sizeof(buf), 3 * 3600 + 12 * 60 + 5);
	EXPECT_STREQ("3h12m", buf);
	cli_fmt_duration(buf, sizeof(buf), 2 * 86400 + 4 * 3600);
	EXPECT_STREQ("2d04h", buf);
}

TEST(sizes_as_operators_write_them)
{
	static const struct { const char *s; uint64_t v; } ok[] = {
		{ "4096", 4096 }, { "512K", 512 << 10 }, { "512k", 512 << 10 },
		{ "100M", 100 << 20 }, { "100MiB", 100 << 20 }, { "100 MB", 100 << 20 },
		{ "1.5G", 3ULL << 29 }, { "1.5GiB", 3ULL << 29 }, { "2T", 2ULL << 40 },
		{ "10B", 10 }, { "0.5K", 512 }, { "1.0000000001K", 1024 },
		{ "18446744073709551615", UINT64_MAX }, { "15P", 15ULL << 50 },
	};
	static const char *const bad[] = {
		"", "M", "-1", "+1", "1.", ".5K", "12x", "1KK", "1 ", "1  M", "1E", "0x10",
	};
	uint64_t v;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = 0;
		EXPECT_EQ(0, cli_parse_bytes(ok[i].s, &v)) TH_LOG("%s", ok[i].s);
		EXPECT_EQ(ok[i].v, v) TH_LOG("%s", ok[i].s);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, cli_parse_bytes(bad[i], &v)) TH_LOG("'%s'", bad[i]);
	}
	EXPECT_EQ(-ERANGE, cli_parse_bytes("18446744073709551616", &v));
	EXPECT_EQ(-ERANGE, cli_parse_bytes("16384P", &v));
	EXPECT_EQ(0, cli_parse_bytes("16383.999999999P", &v));
	EXPECT_GT(v, UINT64_MAX - (1ULL << 50));

	EXPECT_EQ(0, cli_parse_hundredths("10", &v));
	EXPECT_EQ(1000, v);
	EXPECT_EQ(0, cli_parse_hundredths("10.5", &v));
	EXPECT_EQ(1050, v);
	EXPECT_EQ(0, cli_parse_hundredths("0.01", &v));
	EXPECT_EQ(1, v);
	EXPECT_EQ(-EINVAL, cli_parse_hundredths("1.234", &v));
	EXPECT_EQ(-EINVAL, cli_parse_hundredths("1.", &v));
	EXPECT_EQ(-EINVAL, cli_parse_hundredths(".5", &v));
	EXPECT_EQ(-EINVAL, cli_parse_hundredths("-1", &v));
	EXPECT_EQ(-EINVAL, cli_parse_hundredths("max", &v));
}

TEST(bars)
{
	char buf[64];

	cli_fmt_bar(buf, sizeof(buf), 0, 10);
	EXPECT_STREQ("[..........]   0%", buf);
	cli_fmt_bar(buf, sizeof(buf), 5234, 10);
	EXPECT_STREQ("[#####.....]  52%", buf);
	cli_fmt_bar(buf, sizeof(buf), 10000, 10);
	EXPECT_STREQ("[##########] 100%", buf);
	/* Over the limit: full, and the bracket says so. */
	cli_fmt_bar(buf, sizeof(buf), 13202, 10);
	EXPECT_STREQ("[##########> 132%", buf);
	cli_fmt_bar(buf, sizeof(buf), 5000, 4);
	EXPECT_STREQ("[##..]  50%", buf);
	/* Too small a buffer: empty, not overrun. */
	cli_fmt_bar(buf, 8, 5000, 10);
	EXPECT_STREQ("", buf);
}

TEST(sparklines)
{
	uint64_t up[] = { 0, 1, 2, 3, 4, 5, 6, 7 }, flat[] = { 5, 5, 5 }, two[] = { 100, 300 };
	char buf[64];

	cli_fmt_spark(buf, sizeof(buf), up, 8, false);
	EXPECT_STREQ("_.,-=+*#", buf);
	cli_fmt_spark(buf, sizeof(buf), flat, 3, false);
	EXPECT_STREQ("___", buf);
	cli_fmt_spark(buf, sizeof(buf), two, 2, false);
	EXPECT_STREQ("_#", buf);
	cli_fmt_spark(buf, sizeof(buf), up, 0, false);
	EXPECT_STREQ("", buf);
	cli_fmt_spark(buf, sizeof(buf), two, 2, true);
	EXPECT_STREQ("\u2581\u2588", buf);
	EXPECT_EQ(2, cli_text_width(buf));
	/* Bounded by the buffer: whole characters only. */
	cli_fmt_spark(buf, 5, up, 8, true);
	EXPECT_STREQ("\u2581", buf);
	cli_fmt_spark(buf, 4, up, 8, false);
	EXPECT_STREQ("_.,", buf);
}

TEST(escaping_as_the_tables_do)
{
	char buf[32];

	ASSERT_EQ(0, cli_escape(buf, sizeof(buf), "/a b\\c\td\n"));
	EXPECT_STREQ("/a\\040b\\134c\\011d\\012", buf);
	ASSERT_EQ(0, cli_escape(buf, sizeof(buf), ""));
	EXPECT_STREQ("-", buf);
	ASSERT_EQ(0, cli_escape(buf, sizeof(buf), "-"));
	EXPECT_STREQ("\\055", buf);
	ASSERT_EQ(0, cli_escape(buf, sizeof(buf), "-x"));
	EXPECT_STREQ("-x", buf);
	EXPECT_EQ(-ENAMETOOLONG, cli_escape(buf, 8, "a b c d"));
	EXPECT_LT(strlen(buf), 8);
	ASSERT_EQ(0, cli_escape(buf, 8, "abc"));
}

static char *json_of(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cli_json_str(f, s);
	fclose(f);
	return buf;
}

TEST(json_escaping)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "plain", "\"plain\"" },
		{ "a \"q\" \\ b", "\"a \\\"q\\\" \\\\ b\"" },
		{ "tab\tnl\ncr\r", "\"tab\\u0009nl\\u000acr\\u000d\"" },
		{ "\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"" },
		{ "caf\xc3\xa9 \xe2\x96\x81", "\"caf\xc3\xa9 \xe2\x96\x81\"" },
		/* Not UTF-8: each byte as its code point. */
		{ "\xff\xc3", "\"\\u00ff\\u00c3\"" },
		{ "\xe2\x96x", "\"\\u00e2\\u0096x\"" },
		{ "", "\"\"" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *j = json_of(cases[i].in);

		EXPECT_STREQ(cases[i].out, j);
		free(j);
	}
}

/* A table like the CLI's: from a procfs-style table, through cli_set_from_table(). */
enum { C_PID, C_COMM, C_RSS, C_GROWTH, C_PSI, C_LIMIT, C_LEAK, C_AGE, C_HIST, C_NR };

static const char *const src_names[] = { "pid", "comm", "rss_bytes", "growth_bytes_per_sec",
					 "psi", "limit_bytes", "leak", "age_usec" };

static const struct cli_col cols[C_NR] = {
	[C_PID] = { "pid", "pid", CLI_T_U64, 0, NULL, CLI_SRC(0) },
	[C_COMM] = { "comm", "comm", CLI_T_STR, 0, NULL, CLI_SRC(1) },
	[C_RSS] = { "rss", "rss_bytes", CLI_T_BYTES, 0, NULL, CLI_SRC(2) },
	[C_GROWTH] = { "growth", "growth_bytes_per_sec", CLI_T_RATE, 0, NULL, CLI_SRC(3) },
	[C_PSI] = { "psi", "psi_avg10", CLI_T_PCT, CLI_COL_HIDDEN, NULL, CLI_SRC(4) },
	[C_LIMIT] = { "limit", "limit_bytes", CLI_T_BYTES, 0, NULL, CLI_SRC(5) },
	[C_LEAK] = { "leak", "leak", CLI_T_BOOL, 0, "LEAK", CLI_SRC(6) },
	[C_AGE] = { "age", "age_sec", CLI_T_USEC, CLI_COL_HIDDEN, NULL, CLI_SRC(7) },
	[C_HIST] = { "history", "rss_history_bytes", CLI_T_SERIES, 0, NULL, 0 },
};

static const char fixture[] =
	"pid comm rss_bytes growth_bytes_per_sec psi limit_bytes leak age_usec unknown\n"
	"1 init 1785856 0 0.00 max 0 26052535 x\n"
	"149 a\\040\\042b\\134 87891968 -2095056 60.53 - 1 1500000 y\n";

static void load(struct __test_metadata *_metadata, struct cli_table *t)
{
	struct mp_table mt;
	uint64_t hist[] = { 1 << 20, 2 << 20, 3 << 20 };

	ASSERT_EQ(0, mp_table_parse(fixture, sizeof(fixture) - 1, &mt));
	cli_table_init(t, "processes", cols, C_NR);
	t->noun[0] = "process";
	t->noun[1] = "processes";
	for (size_t r = 0; r < mt.nr_rows; r++) {
		ASSERT_EQ(0, cli_table_add_row(t));
		cli_set_from_table(t, &mt, r, src_names);
		ASSERT_EQ(0, cli_set_series(t, C_HIST, hist, 3 - r));
	}
	mp_table_free(&mt);
}

static char *render(struct cli_table *t, enum cli_mode mode, bool headings, bool color)
{
	struct cli_out o = { .mode = mode, .headings = headings, .color = color };
	char *buf = NULL;
	size_t len = 0;

	o.f = open_memstream(&buf, &len);
	cli_out_begin(&o);
	cli_print(&o, t);
	cli_out_end(&o);
	fclose(o.f);
	return buf;
}

TEST(cells_from_a_procfs_table)
{
	struct cli_table t;

	load(_metadata, &t);
	ASSERT_EQ(2, t.nr_rows);
	EXPECT_EQ(149, cli_cell_at(&t, 1, C_PID)->u);
	EXPECT_STREQ("a \"b\\", cli_cell_at(&t, 1, C_COMM)->str);
	EXPECT_EQ(-2095056, cli_cell_at(&t, 1, C_GROWTH)->s);
	EXPECT_EQ(6053, cli_cell_at(&t, 1, C_PSI)->u);
	EXPECT_EQ(CLI_MAX, cli_cell_at(&t, 0, C_LIMIT)->state);
	EXPECT_EQ(CLI_NA, cli_cell_at(&t, 1, C_LIMIT)->state);
	EXPECT_EQ(1, cli_cell_at(&t, 1, C_LEAK)->u);
	/* A cell that does not fit its type stays not applicable. */
	ASSERT_EQ(0, cli_table_add_row(&t));
	EXPECT_EQ(-EINVAL, cli_set_text(&t, C_PID, "12k", false));
	EXPECT_EQ(CLI_NA, cli_cell_at(&t, 2, C_PID)->state);
	EXPECT_EQ(-EINVAL, cli_set_text(&t, C_PSI, "1.234", false));
	cli_table_free(&t);
}

TEST(column_selection)
{
	struct cli_table t;
	char bad[32], names[256];

	load(_metadata, &t);
	/* The default: every column not hidden, in order. */
	ASSERT_EQ(C_NR - 2, t.nr_sel);
	EXPECT_EQ(C_PID, t.sel[0]);
	EXPECT_EQ(C_LIMIT, t.sel[4]);
	/* By name or by key, in the order given, repeats allowed. */
	ASSERT_EQ(0, cli_table_select(&t, "rss,psi_avg10,pid,pid", bad, sizeof(bad)));
	ASSERT_EQ(4, t.nr_sel);
	EXPECT_EQ(C_RSS, t.sel[0]);
	EXPECT_EQ(C_PSI, t.sel[1]);
	EXPECT_EQ(C_PID, t.sel[2]);
	ASSERT_EQ(0, cli_table_select(&t, "all", bad, sizeof(bad)));
	EXPECT_EQ(C_NR, t.nr_sel);
	/* An unknown name is refused and named; the default comes back. */
	EXPECT_EQ(-EINVAL, cli_table_select(&t, "pid,bogus,rss", bad, sizeof(bad)));
	EXPECT_STREQ("bogus", bad);
	EXPECT_EQ(C_NR - 2, t.nr_sel);
	EXPECT_EQ(0, cli_table_select(&t, "pid,", bad, sizeof(bad)));
	EXPECT_EQ(1, t.nr_sel);
	EXPECT_EQ(-EINVAL, cli_table_select(&t, ",", bad, sizeof(bad)));
	EXPECT_EQ(-EINVAL, cli_table_select(&t, "", bad, sizeof(bad)));
	EXPECT_EQ(-EINVAL, cli_table_select(&t, "pi", bad, sizeof(bad)));
	cli_table_names(&t, names, sizeof(names));
	EXPECT_STREQ("pid,comm,rss,growth,psi,limit,leak,age,history", names);
	cli_table_free(&t);
}

/* The words of the first line of @s (split at runs of blanks and tabs). */
static int words(const char *s, char w[][32], int max)
{
	int n = 0;

	while (*s && *s != '\n' && n < max) {
		size_t len = strcspn(s, " \t\n");

		if (len) {
			snprintf(w[n++], 32, "%.*s", (int)len, s);
			s += len;
		} else {
			s++;
		}
	}
	return n;
}

TEST(text_raw_and_json_show_the_same_fields)
{
	static const char *const lists[] = { NULL, "all", "comm,rss,leak", "history,age" };
	struct cli_table t;

	load(_metadata, &t);
	for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
		char *text, *raw, *json, w[CLI_COLS_MAX][32], key[64];
		const char *p;
		int n;

		ASSERT_EQ(0, cli_table_select(&t, lists[l], NULL, 0));
		text = render(&t, CLI_TEXT, true, false);
		raw = render(&t, CLI_RAW, true, false);
		json = render(&t, CLI_JSON, true, false);

		n = words(text, w, CLI_COLS_MAX);
		ASSERT_EQ((int)t.nr_sel, n) TH_LOG("%s", text);
		for (size_t k = 0; k < t.nr_sel; k++) {
			char up[32];

			for (size_t i = 0; i <= strlen(t.cols[t.sel[k]].name); i++)
				up[i] = (char)(t.cols[t.sel[k]].name[i] >= 'a' &&
					       t.cols[t.sel[k]].name[i] <= 'z' ?
					       t.cols[t.sel[k]].name[i] - 32 : t.cols[t.sel[k]].name[i]);
			EXPECT_STREQ(up, w[k]);
		}
		n = words(raw, w, CLI_COLS_MAX);
		ASSERT_EQ((int)t.nr_sel, n);
		/* JSON: each row has the selected keys, in order, once. */
		p = json;
		for (size_t r = 0; r < t.nr_rows; r++) {
			for (size_t k = 0; k < t.nr_sel; k++) {
				EXPECT_STREQ(t.cols[t.sel[k]].key, w[k]);
				snprintf(key, sizeof(key), "\"%s\":", t.cols[t.sel[k]].key);
				p = strstr(p, key);
				ASSERT_NE(NULL, p) TH_LOG("%s in %s", key, json);
			}
		}
		/* Every row: a line of text and of raw. */
		EXPECT_NE(NULL, strstr(text, "2 processes listed.\n"));
		free(text);
		free(raw);
		free(json);
	}
	cli_table_free(&t);
}

/* @cols of the fixture rendered in @mode are exactly @want. */
static void check_render(struct __test_metadata *_metadata, const char *cols,
			 enum cli_mode mode, bool headings, const char *want)
{
	struct cli_table t;
	char *got;

	load(_metadata, &t);
	ASSERT_EQ(0, cli_table_select(&t, cols, NULL, 0));
	got = render(&t, mode, headings, false);
	EXPECT_STREQ(want, got);
	free(got);
	cli_table_free(&t);
}

TEST(json_values_in_base_units)
{
	check_render(_metadata, "all", CLI_JSON, true,
		     "{\"processes\":["
		     "{\"pid\":1,\"comm\":\"init\",\"rss_bytes\":1785856,\"growth_bytes_per_sec\":0,"
		     "\"psi_avg10\":0.00,\"limit_bytes\":\"max\",\"leak\":false,\"age_sec\":26.052535,"
		     "\"rss_history_bytes\":[1048576,2097152,3145728]},"
		     "{\"pid\":149,\"comm\":\"a \\\"b\\\\\",\"rss_bytes\":87891968,"
		     "\"growth_bytes_per_sec\":-2095056,\"psi_avg10\":60.53,\"limit_bytes\":null,"
		     "\"leak\":true,\"age_sec\":1.500000,\"rss_history_bytes\":[1048576,2097152]}"
		     "]}\n");
}

TEST(raw_is_tab_separated_and_escaped)
{
	static const char cols[] = "pid,comm,rss,limit,leak,history";

#define ROWS	"1\tinit\t1785856\tmax\t0\t1048576,2097152,3145728\n" \
		"149\ta\\040\"b\\134\t87891968\t-\t1\t1048576,2097152\n"
	check_render(_metadata, cols, CLI_RAW, true,
		     "pid\tcomm\trss_bytes\tlimit_bytes\tleak\trss_history_bytes\n" ROWS);
	/* -n: the rows alone. */
	check_render(_metadata, cols, CLI_RAW, false, ROWS);
#undef ROWS
}

TEST(text_units_alignment_legend_and_noheadings)
{
	static const char cols[] = "pid,comm,rss,growth,limit,leak,history";

	check_render(_metadata, cols, CLI_TEXT, true,
		     "PID  COMM       RSS      GROWTH  LIMIT  LEAK  HISTORY\n"
		     "  1  init   1.7 MiB       0 B/s    max        _-#\n"
		     "149  a \"b\\   84 MiB  -2.0 MiB/s      -  LEAK  _#\n"
		     "2 processes listed.\n");
	/* -n: no heading, no legend. */
	check_render(_metadata, cols, CLI_TEXT, false,
		     "  1  init   1.7 MiB       0 B/s  max        _-#\n"
		     "149  a \"b\\   84 MiB  -2.0 MiB/s    -  LEAK  _#\n");
}

TEST(colour_keeps_columns_aligned)
{
	struct cli_table t;
	char *plain, *colored, *stripped;
	size_t n = 0;

	load(_metadata, &t);
	t.nr_rows = 2;
	cli_set_color(&t, C_LEAK, CLI_RED);
	cli_set_color(&t, C_COMM, CLI_BOLD);
	plain = render(&t, CLI_TEXT, true, false);
	colored = render(&t, CLI_TEXT, true, true);
	EXPECT_EQ(NULL, strchr(plain, '\033'));
	ASSERT_NE(NULL, strstr(colored, "\033[1;31mLEAK\033[0m"));
	/* Without the escapes, the same text. */
	stripped = strdup(colored);
	for (const char *p = colored; *p; ) {
		if (*p == '\033') {
			p += strcspn(p, "m") + 1;
			continue;
		}
		stripped[n++] = *p++;
	}
	stripped[n] = '\0';
	EXPECT_STREQ(plain, stripped);
	free(plain);
	free(colored);
	free(stripped);
	cli_table_free(&t);
}

TEST(records_and_sections)
{
	static const struct cli_col rec_cols[] = {
		{ .name = "state", .key = "state", .type = CLI_T_STR },
		{ .name = "interval", .key = "interval_sec", .type = CLI_T_MSEC },
		{ .name = "memory", .key = "memory_bytes", .type = CLI_T_BYTES },
	};
	struct cli_table rec, procs;
	struct cli_out o = { .mode = CLI_JSON, .headings = true };
	char *buf = NULL;
	size_t len = 0;

	cli_table_init(&rec, "daemon", rec_cols, 3);
	rec.record = true;
	rec.title = "mempressured";
	ASSERT_EQ(0, cli_table_add_row(&rec));
	cli_set_text(&rec, 0, "not running", false);
	cli_set_text(&rec, 1, "200", false);
	load(_metadata, &procs);
	ASSERT_EQ(0, cli_table_select(&procs, "pid", NULL, 0));
	o.f = open_memstream(&buf, &len);
	cli_out_begin(&o);
	cli_print(&o, &rec);
	cli_print(&o, &procs);
	cli_out_end(&o);
	fclose(o.f);
	EXPECT_STREQ("{\"daemon\":{\"state\":\"not running\",\"interval_sec\":0.200,"
		     "\"memory_bytes\":null},\"processes\":[{\"pid\":1},{\"pid\":149}]}\n", buf);
	free(buf);
	buf = render(&rec, CLI_TEXT, true, false);
	EXPECT_STREQ("mempressured\n  state     not running\n  interval  200 ms\n  memory    -\n", buf);
	free(buf);
	cli_table_free(&rec);
	cli_table_free(&procs);
}

TEST(tree_paths_indent_by_depth)
{
	static const struct cli_col tcols[] = {
		{ .name = "cgroup", .key = "cgroup", .type = CLI_T_STR, .flags = CLI_COL_TREE },
	};
	static const char *const paths[] = { "/", "/a", "/a/b c", "/d" };
	struct cli_table t;
	char *text;

	cli_table_init(&t, "cgroups", tcols, 1);
	t.tree = true;
	for (size_t i = 0; i < 4; i++) {
		ASSERT_EQ(0, cli_table_add_row(&t));
		cli_set_str(&t, 0, paths[i]);
	}
	text = render(&t, CLI_TEXT, true, false);
	EXPECT_STREQ("CGROUP\n/\n  a\n    b c\n  d\n", text);
	free(text);
	/* JSON keeps the whole path. */
	text = render(&t, CLI_JSON, true, false);
	EXPECT_NE(NULL, strstr(text, "\"/a/b c\""));
	free(text);
	cli_table_free(&t);
}

TEST(streams_print_once_and_forget)
{
	static const struct cli_col scols[] = {
		{ .name = "kind", .key = "kind", .type = CLI_T_STR },
		{ .name = "usage", .key = "usage_bytes", .type = CLI_T_BYTES },
	};
	struct cli_out o = { .mode = CLI_TEXT, .headings = true };
	struct cli_table t;
	char *buf = NULL;
	size_t len = 0;

	cli_table_init(&t, "events", scols, 2);
	t.widths[0] = 8;
	o.f = open_memstream(&buf, &len);
	ASSERT_EQ(0, cli_table_add_row(&t));
	cli_set_str(&t, 0, "level");
	cli_set_u64(&t, 1, 2048);
	cli_print_stream(&o, &t);
	EXPECT_EQ(0, t.nr_rows);
	ASSERT_EQ(0, cli_table_add_row(&t));
	cli_set_str(&t, 0, "soft_over");
	cli_print_stream(&o, &t);
	fclose(o.f);
	EXPECT_STREQ("KIND      USAGE\nlevel     2.0 KiB\nsoft_over      -\n", buf);
	free(buf);
	/* JSON: one object per line. */
	o.mode = CLI_JSON;
	buf = NULL;
	o.f = open_memstream(&buf, &len);
	ASSERT_EQ(0, cli_table_add_row(&t));
	cli_set_str(&t, 0, "oom");
	cli_print_stream(&o, &t);
	fclose(o.f);
	EXPECT_STREQ("{\"kind\":\"oom\",\"usage_bytes\":null}\n", buf);
	free(buf);
	cli_table_free(&t);
}

static int by_pid_desc(const struct cli_cell *a, const struct cli_cell *b)
{
	return a[C_PID].u < b[C_PID].u ? 1 : a[C_PID].u > b[C_PID].u ? -1 : 0;
}

TEST(sort_and_truncate)
{
	struct cli_table t;

	load(_metadata, &t);
	cli_table_sort(&t, by_pid_desc);
	EXPECT_EQ(149, cli_cell_at(&t, 0, C_PID)->u);
	EXPECT_STREQ("init", cli_cell_at(&t, 1, C_COMM)->str);
	EXPECT_EQ(2, cli_cell_at(&t, 0, C_HIST)->nr_series);
	cli_table_sort(&t, by_pid_desc);
	cli_table_truncate(&t, 5);
	EXPECT_EQ(2, t.nr_rows);
	cli_table_truncate(&t, 1);
	EXPECT_EQ(1, t.nr_rows);
	EXPECT_EQ(149, cli_cell_at(&t, 0, C_PID)->u);
	cli_table_free(&t);
}

/* Display cells of the widest line of @s. */
static size_t widest(const char *s)
{
	size_t max = 0;

	while (*s) {
		size_t len = strcspn(s, "\n");
		char line[1024];

		snprintf(line, sizeof(line), "%.*s", (int)len, s);
		if (cli_text_width(line) > max)
			max = cli_text_width(line);
		s += len + (s[len] == '\n');
	}
	return max;
}

TEST(text_fits_the_width)
{
	struct cli_out o = { .mode = CLI_TEXT, .headings = true, .utf8 = true };
	struct cli_table t;
	char *buf = NULL;
	size_t len = 0;

	load(_metadata, &t);
	ASSERT_EQ(0, cli_table_select(&t, "pid,comm,rss,growth,limit,leak,history", NULL, 0));
	/* 53 wide: narrower drops columns from the right, the mark last. */
	for (unsigned int w = 60; w >= 12; w -= 4) {
		o.width = w;
		o.f = open_memstream(&buf, &len);
		cli_out_begin(&o);
		cli_print(&o, &t);
		cli_out_end(&o);
		fclose(o.f);
		EXPECT_GE(w, widest(buf)) TH_LOG("width %u:\n%s", w, buf);
		EXPECT_EQ(0, strncmp(buf, "PID", 3)) TH_LOG("%s", buf);
		EXPECT_NE(NULL, strstr(buf, "\n2 proc")) TH_LOG("%s", buf);
		if (w == 40)
			/* LIMIT left out before LEAK: the mark stays. */
			EXPECT_STREQ("PID  COMM       RSS      GROWTH  LEAK\n"
				     "  1  init   1.7 MiB       0 B/s  \n"
				     "149  a \"b\\   84 MiB  -2.0 MiB/s  LEAK\n"
				     "2 processes listed.\n", buf);
		free(buf);
		buf = NULL;
	}
	/* Narrower than the legend: the legend is cut too. */
	o.width = 12;
	o.f = open_memstream(&buf, &len);
	cli_print(&o, &t);
	fclose(o.f);
	EXPECT_GE(12, widest(buf)) TH_LOG("%s", buf);
	EXPECT_NE(NULL, strstr(buf, "2 processes\xe2\x80\xa6\n")) TH_LOG("%s", buf);
	free(buf);
	/* A cut value is marked, not passed off as the whole one. */
	{
		char v[] = "/system.slice/app.service";

		cli_cut_to_width(&o, v, 10);
		EXPECT_STREQ("/system.s\xe2\x80\xa6", v);
		o.utf8 = false;
		cli_cut_to_width(&o, v, 5);
		EXPECT_STREQ("/sys~", v);
		cli_cut_to_width(&o, v, 5);
		EXPECT_STREQ("/sys~", v);
	}
	cli_table_free(&t);
}

/* --- the program, on procfs files made here --- */

static char fixdir[64];

static void put_file(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fixdir, name);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/*
 * A procfs table: the heading of every column of @names, then a line per
 * row of @rows, each "column=value ..." with "0" for a column not named.
 * Returns 0, or -1 if a row names a column the table does not have (the
 * fixture has fallen behind the header).
 */
static int put_table(const char *file, const char *const *names, size_t nr,
		     const char *const *rows)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int rc = 0;

	for (size_t c = 0; c < nr; c++)
		fprintf(f, "%s%s", c ? " " : "", names[c]);
	fputc('\n', f);
	for (; *rows; rows++) {
		size_t found = 0;

		for (size_t c = 0; c < nr; c++) {
			char key[64];
			const char *v;
			int n = snprintf(key, sizeof(key), "%s=", names[c]);

			v = strstr(*rows, key);
			while (v && v != *rows && v[-1] != ' ')
				v = strstr(v + 1, key);
			found += v != NULL;
			fprintf(f, "%s%.*s", c ? " " : "", v ? (int)strcspn(v + n, " ") : 1,
				v ? v + n : "0");
		}
		fputc('\n', f);
		/* Every "=" of the row was a column. */
		for (const char *p = *rows; (p = strchr(p, '=')); p++)
			found--;
		rc |= found ? -1 : 0;
	}
	fclose(f);
	put_file(file, text);
	free(text);
	return rc;
}

static const char *const fix_processes[] = {
	"pid=1 comm=init cgroup=/ rss_bytes=1785856 anon_bytes=77824 file_bytes=4096 "
	"shmem_bytes=1703936 peak_rss_bytes=1785856 age_usec=26052535 soft_limit_bytes=- "
	"time_to_limit_sec=-",
	"pid=149 comm=grower cgroup=/demo rss_bytes=87891968 anon_bytes=87244800 "
	"shmem_bytes=643072 peak_rss_bytes=90000000 growth10_bytes_per_sec=2095056 "
	"growth60_bytes_per_sec=3210063 growth300_bytes_per_sec=3210063 age_usec=23958390 "
	"soft_limit_bytes=85563801 leak=1 time_to_limit_sec=37",
	"pid=150 comm=shrinker cgroup=/demo rss_bytes=25853952 swap_bytes=12345678 "
	"growth10_bytes_per_sec=-1048576 growth60_bytes_per_sec=-524288 age_usec=999 "
	"soft_limit_bytes=- time_to_limit_sec=-",
	"pid=4000 comm=big cgroup=/demo/child rss_bytes=5368709243 "
	"growth10_bytes_per_sec=150000000 growth300_bytes_per_sec=1 age_usec=90061000000 "
	"soft_limit_bytes=4294967296 leak=1 time_to_limit_sec=90061",
	NULL
};

static const char *const fix_cgroups[] = {
	"cgroup=/ id=1 current_bytes=216702976 high_bytes=- max_bytes=- swap_max_bytes=- "
	"psi_some_avg10=71.02 psi_full_avg10=70.34 processes=5 growth10_bytes_per_sec=1676045 "
	"level=none limit_bytes=1015156736 hard_limit_bytes=1015156736 soft_limit_bytes=913641062",
	"cgroup=/demo id=27 current_bytes=112967680 high_bytes=100663296 max_bytes=167772160 "
	"swap_max_bytes=max events_high=102 events_max=3 events_oom=1 events_oom_kill=1 "
	"psi_some_avg10=60.53 psi_full_avg10=60.12 processes=2 growth10_bytes_per_sec=-2048 "
	"growth60_bytes_per_sec=3221209 level=medium limit_bytes=100663296 "
	"hard_limit_bytes=167772160 soft_limit_bytes=85563801 soft_over=1",
	"cgroup=/demo/child id=31 current_bytes=1048576 high_bytes=max max_bytes=max "
	"swap_current_bytes=4096 level=low limit_bytes=100663296 hard_limit_bytes=167772160 "
	"soft_limit_bytes=-",
	NULL
};

static void make_fixture(struct __test_metadata *_metadata)
{
	char status[2048];
	size_t n = 0;

	snprintf(fixdir, sizeof(fixdir), "/tmp/test_cli.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(fixdir));
	for (size_t k = 0; k < MEMPRESSURE_STATUS_NR; k++) {
		const char *v = k == MEMPRESSURE_STATUS_VERSION ? "0.1.0" :
			k == MEMPRESSURE_STATUS_ABI_VERSION ? "1" :
			k == MEMPRESSURE_STATUS_INTERVAL_MS ? "500" :
			k == MEMPRESSURE_STATUS_PROCESSES ? "4" :
			k == MEMPRESSURE_STATUS_CGROUPS ? "3" :
			k == MEMPRESSURE_STATUS_SAMPLES ? "49" :
			k == MEMPRESSURE_STATUS_SAMPLE_AVG ? "259" :
			k == MEMPRESSURE_STATUS_SAMPLE_MAX ? "12345" :
			k == MEMPRESSURE_STATUS_MEMORY ? "1130496" :
			k == MEMPRESSURE_STATUS_EVENTS ? "17" : "0";

		n += (size_t)snprintf(status + n, sizeof(status) - n, "%s %s\n",
				      mp_status_keys[k], v);
	}
	put_file(MEMPRESSURE_FILE_STATUS, status);
	ASSERT_EQ(0, put_table(MEMPRESSURE_FILE_PROCESSES, mp_process_columns,
			       MEMPRESSURE_PROC_NR, fix_processes));
	ASSERT_EQ(0, put_table(MEMPRESSURE_FILE_CGROUPS, mp_cgroup_columns,
			       MEMPRESSURE_CG_NR, fix_cgroups));
	/* No calm_ms line; one the CLI does not know; a soft line. */
	put_file(MEMPRESSURE_FILE_CONTROL,
		 "set interval_ms 500\nset low_pct 70\nset soft_pct 85\nset critical_pct 95\n"
		 "set soft_margin_pct 5\nset psi_low 2.50\nset psi_medium 10.00\n"
		 "set psi_critical 12.25\nset leak_rate 16384\nset leak_window 10\n"
		 "set leak_min_bytes 4194304\nset future_knob 3\nsoft /demo 85563801\n");
}

static void remove_fixture(void)
{
	static const char *const files[] = {
		MEMPRESSURE_FILE_STATUS, MEMPRESSURE_FILE_PROCESSES, MEMPRESSURE_FILE_CGROUPS,
		MEMPRESSURE_FILE_EVENTS, MEMPRESSURE_FILE_CONTROL,
	};
	char path[128];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", fixdir, files[i]);
		unlink(path);
	}
	rmdir(fixdir);
}

/* Run the CLI on the fixture: its stdout in a new buffer (NULL if it failed to run), @rc its exit. */
static char *run(int *rc, const char *const *argv)
{
	const char *args[16] = { "mempressure", "-S", "/nonexistent/mpd.sock" };
	int fds[2], status;
	char *out = NULL;
	size_t len = 0;
	FILE *f;
	pid_t pid;

	for (int i = 0; argv[i] && i < 12; i++)
		args[i + 3] = argv[i];
	if (pipe(fds))
		return NULL;
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(fds[1], 1);
		dup2(null, 2);
		close(fds[0]);
		setenv("MEMPRESSURE_PROC", fixdir, 1);
		unsetenv("COLUMNS");
		execv(CLI_BIN, (char *const *)args);
		_exit(127);
	}
	close(fds[1]);
	f = open_memstream(&out, &len);
	for (char buf[4096];;) {
		ssize_t n = read(fds[0], buf, sizeof(buf));

		if (n <= 0)
			break;
		fwrite(buf, 1, (size_t)n, f);
	}
	fclose(f);
	close(fds[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		free(out);
		return NULL;
	}
	*rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return out;
}

/* How a column's number is shown in text: the CLI's own formatter for it. */
enum as { AS_U64, AS_BYTES, AS_RATE, AS_DURATION, AS_BAR, AS_SAME };

/*
 * The text @want for the JSON literal @lit of a column shown @as: null is
 * "-", "max" is max, a number goes through the formatter.
 */
static void text_of(const char *lit, enum as as, char *want, size_t size)
{
	if (!strcmp(lit, "null")) {
		snprintf(want, size, "-");
		return;
	}
	if (!strcmp(lit, "\"max\"")) {
		snprintf(want, size, "max");
		return;
	}
	switch (as) {
	case AS_BYTES:
		cli_fmt_bytes(want, size, strtoull(lit, NULL, 10));
		break;
	case AS_RATE:
		cli_fmt_rate(want, size, strtoll(lit, NULL, 10));
		break;
	case AS_DURATION:
		cli_fmt_duration(want, size, strtoull(lit, NULL, 10));
		break;
	case AS_BAR:	/* hundredths of a percent, ten characters between brackets */
		cli_fmt_bar(want, size, (uint64_t)(strtod(lit, NULL) * 100 + 0.5), 10);
		break;
	default:
		snprintf(want, size, "%s", lit);
	}
}

/* The literal of "@key": in the JSON object that starts with "{\"@first\":@id,". */
static bool json_value(const char *json, const char *first, const char *id, const char *key,
		       char *lit, size_t size)
{
	char start[96], k[96];
	const char *obj, *end, *v;

	snprintf(start, sizeof(start), "{\"%s\":%s,", first, id);
	snprintf(k, sizeof(k), "\"%s\":", key);
	obj = strstr(json, start);
	if (!obj)
		return false;
	end = strchr(obj, '}');
	v = strstr(obj, k);
	if (!v || v > end)
		return false;
	v += strlen(k);
	snprintf(lit, size, "%.*s", (int)strcspn(v, ",}"), v);
	return true;
}

/*
 * For each column of @cols, text (-n -o ID,COL) and --json (-o ID,COL) of
 * @verb: every row's cell in text is the JSON number formatted, and both
 * have the same rows.  @first is the id column's name and key.
 */
struct num_col {
	const char *name, *key;
	enum as as;
};

static void same_numbers(struct __test_metadata *_metadata, const char *verb, const char *first,
			 const struct num_col *cols, size_t nr, size_t nr_rows)
{
	for (size_t c = 0; c < nr; c++) {
		char sel[64], lit[64], want[64], *text, *json;
		const char *line;
		size_t rows = 0, numbers = 0;
		int rc;

		snprintf(sel, sizeof(sel), "%s,%s", first, cols[c].name);
		text = run(&rc, (const char *const[]){ verb, "-n", "-o", sel, NULL });
		ASSERT_NE(NULL, text);
		ASSERT_EQ(0, rc) TH_LOG("%s -o %s", verb, sel);
		json = run(&rc, (const char *const[]){ "--json", verb, "-o", sel, NULL });
		ASSERT_NE(NULL, json);
		ASSERT_EQ(0, rc);
		for (line = text; *line; line += strcspn(line, "\n") + 1, rows++) {
			char id[32], cell[64];
			int off = 0;

			/* "  149  84 MiB": the id, two blanks, the cell (right-aligned or not). */
			ASSERT_EQ(1, sscanf(line, " %31s %n", id, &off)) TH_LOG("%s", text);
			snprintf(cell, sizeof(cell), "%.*s", (int)strcspn(line + off, "\n"),
				 line + off);
			while (cell[0] && cell[strlen(cell) - 1] == ' ')
				cell[strlen(cell) - 1] = '\0';
			ASSERT_TRUE(json_value(json, first, id, cols[c].key, lit, sizeof(lit)))
				TH_LOG("%s %s=%s: %s not in %s", verb, first, id, cols[c].key, json);
			text_of(lit, cols[c].as, want, sizeof(want));
			EXPECT_STREQ(want, cell) TH_LOG("%s %s %s=%s: JSON %s", verb, cols[c].name,
							first, id, lit);
			numbers += lit[0] >= '0' && lit[0] <= '9';
			if (!line[strcspn(line, "\n")])
				break;
		}
		EXPECT_EQ(nr_rows, rows) TH_LOG("%s", text);
		/* A column of nulls would compare "-" with "-" only. */
		EXPECT_LT(0, numbers) TH_LOG("%s: no numbers", cols[c].name);
		free(text);
		free(json);
	}
}

TEST(text_and_json_hold_the_same_numbers)
{
	static const struct num_col top[] = {
		{ "rss", "rss_bytes", AS_BYTES }, { "growth", "growth10_bytes_per_sec", AS_RATE },
		{ "growth60", "growth60_bytes_per_sec", AS_RATE },
		{ "growth300", "growth300_bytes_per_sec", AS_RATE },
		{ "ttl", "time_to_limit_sec", AS_DURATION }, { "anon", "anon_bytes", AS_BYTES },
		{ "file", "file_bytes", AS_BYTES }, { "shmem", "shmem_bytes", AS_BYTES },
		{ "swap", "swap_bytes", AS_BYTES }, { "peak", "peak_rss_bytes", AS_BYTES },
		{ "soft", "soft_limit_bytes", AS_BYTES },
	};
	static const struct num_col cgroups[] = {
		{ "current", "current_bytes", AS_BYTES }, { "soft", "soft_limit_bytes", AS_BYTES },
		{ "hard", "hard_limit_bytes", AS_BYTES }, { "limit", "limit_bytes", AS_BYTES },
		{ "high", "high_bytes", AS_BYTES }, { "max", "max_bytes", AS_BYTES },
		{ "swap", "swap_current_bytes", AS_BYTES },
		{ "soft_use", "soft_use_pct", AS_BAR }, { "hard_use", "hard_use_pct", AS_BAR },
		{ "throttled", "events_high", AS_U64 }, { "hit_max", "events_max", AS_U64 },
		{ "oom", "events_oom", AS_U64 }, { "oom_kill", "events_oom_kill", AS_U64 },
		{ "processes", "processes", AS_U64 },
		{ "growth", "growth10_bytes_per_sec", AS_RATE },
		{ "growth60", "growth60_bytes_per_sec", AS_RATE },
		{ "psi_some", "psi_some_avg10", AS_SAME }, { "psi_full", "psi_full_avg10", AS_SAME },
	};

	make_fixture(_metadata);
	same_numbers(_metadata, "top", "pid", top, sizeof(top) / sizeof(top[0]), 4);
	same_numbers(_metadata, "cgroups", "id", cgroups, sizeof(cgroups) / sizeof(cgroups[0]), 3);
	remove_fixture();
}

/* status: the module's record, in text ("  name  value") and JSON. */
TEST(status_record_text_and_json_agree)
{
	static const struct { const char *name, *key, *text, *json; } keys[] = {
		{ "version", "version", "0.1.0", "\"0.1.0\"" },
		{ "abi_version", "abi_version", "1", "1" },
		{ "interval", "interval_sec", "500 ms", "0.500" },
		{ "processes", "processes", "4", "4" },
		{ "cgroups", "cgroups", "3", "3" },
		{ "samples", "samples", "49", "49" },
		{ "sample_avg", "sample_avg_sec", "259 us", "0.000259" },
		{ "sample_max", "sample_max_sec", "12 ms", "0.012345" },
		{ "memory", "memory_bytes", "1.1 MiB", "1130496" },
		{ "events", "events", "17", "17" },
	};
	char *text, *json, want[128], lit[64];
	int rc;

	make_fixture(_metadata);
	text = run(&rc, (const char *const[]){ "status", NULL });
	ASSERT_NE(NULL, text);
	EXPECT_EQ(0, rc);
	json = run(&rc, (const char *const[]){ "--json", "status", NULL });
	ASSERT_NE(NULL, json);
	EXPECT_EQ(0, rc);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *line = NULL;

		/* The record's lines: two blanks, the name, blanks, the value. */
		for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
			size_t n = strlen(keys[i].name);

			if (!strncmp(p, "  ", 2) && !strncmp(p + 2, keys[i].name, n) && p[2 + n] == ' ') {
				line = p + 2 + n;
				break;
			}
		}
		ASSERT_NE(NULL, line) TH_LOG("%s not in %s", keys[i].name, text);
		line += strspn(line, " ");
		snprintf(want, sizeof(want), "%.*s", (int)strcspn(line, "\n"), line);
		EXPECT_STREQ(keys[i].text, want) TH_LOG("%s", keys[i].name);
		ASSERT_TRUE(json_value(json, "loaded", "true", keys[i].key, lit, sizeof(lit)))
			TH_LOG("%s not in %s", keys[i].key, json);
		EXPECT_STREQ(keys[i].json, lit) TH_LOG("%s", keys[i].key);
	}
	free(text);
	free(json);
	remove_fixture();
}

/*
 * events: each kind a sentence in human units, limit included, and the
 * same values in --json; from a FIFO where the events file would be (the
 * CLI waits on it with epoll, which a regular file refuses).
 */
TEST(events_in_human_form)
{
	static const char lines[] =
		"seq=7 time_usec=8412231 kind=limit cgroup=/demo level=low "
		"usage_bytes=73400320 limit_bytes=100663296 soft_limit_bytes=83886080\n"
		"seq=8 time_usec=8412240 kind=limit cgroup=/demo/child level=none "
		"usage_bytes=1048576 limit_bytes=max soft_limit_bytes=-\n"
		"seq=9 time_usec=9411950 kind=soft_over cgroup=/demo usage_bytes=86114304 "
		"soft_limit_bytes=83886080\n";
	char path[128], *text, *json;
	int fd, rc;

	make_fixture(_metadata);
	snprintf(path, sizeof(path), "%s/%s", fixdir, MEMPRESSURE_FILE_EVENTS);
	ASSERT_EQ(0, mkfifo(path, 0600));
	/* Held open for writing, so the reader sees the lines and no hangup. */
	fd = open(path, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)sizeof(lines) - 1, write(fd, lines, sizeof(lines) - 1));
	text = run(&rc, (const char *const[]){ "events", "-t", "5", NULL });
	ASSERT_NE(NULL, text);
	EXPECT_EQ(0, rc);
	EXPECT_NE(NULL, strstr(text, "limit 96 MiB, soft limit 80 MiB now; 70 MiB in use, level low"))
		TH_LOG("%s", text);
	EXPECT_NE(NULL, strstr(text, "limit max, soft limit - now; 1.0 MiB in use, level none"))
		TH_LOG("%s", text);
	EXPECT_NE(NULL, strstr(text, "82 MiB over soft limit 80 MiB")) TH_LOG("%s", text);
	/* Each on its own row, kind and cgroup in their columns. */
	EXPECT_NE(NULL, strstr(text, "limit           /demo ")) TH_LOG("%s", text);

	ASSERT_EQ((ssize_t)sizeof(lines) - 1, write(fd, lines, sizeof(lines) - 1));
	json = run(&rc, (const char *const[]){ "--json", "events", "-t", "5", "-o", "all", NULL });
	ASSERT_NE(NULL, json);
	EXPECT_EQ(0, rc);
	EXPECT_NE(NULL, strstr(json, "\"kind\":\"limit\",\"cgroup\":\"/demo\"")) TH_LOG("%s", json);
	EXPECT_NE(NULL, strstr(json, "\"usage_bytes\":73400320,\"limit_bytes\":100663296,"
				     "\"soft_limit_bytes\":83886080")) TH_LOG("%s", json);
	EXPECT_NE(NULL, strstr(json, "\"limit_bytes\":\"max\",\"soft_limit_bytes\":null"))
		TH_LOG("%s", json);
	close(fd);
	free(text);
	free(json);
	remove_fixture();
}

/* thresholds: the control file's tunables read back, text and JSON alike. */
TEST(thresholds_read_back)
{
	static const char want_text[] =
		"Thresholds\n"
		"  interval_ms      500\n"
		"  low_pct          70\n"
		"  soft_pct         85\n"
		"  critical_pct     95\n"
		"  soft_margin_pct  5\n"
		"  psi_low          2.50\n"
		"  psi_medium       10.00\n"
		"  psi_critical     12.25\n"
		"  calm_ms          -\n"
		"  leak_rate        16384\n"
		"  leak_window      10\n"
		"  leak_min_bytes   4.0 MiB\n";
	static const char want_json[] =
		"{\"thresholds\":{\"interval_ms\":500,\"low_pct\":70,\"soft_pct\":85,"
		"\"critical_pct\":95,\"soft_margin_pct\":5,\"psi_low\":2.50,\"psi_medium\":10.00,"
		"\"psi_critical\":12.25,\"calm_ms\":null,\"leak_rate\":16384,\"leak_window\":10,"
		"\"leak_min_bytes\":4194304}}\n";
	char *out;
	int rc;

	make_fixture(_metadata);
	out = run(&rc, (const char *const[]){ "thresholds", NULL });
	ASSERT_NE(NULL, out);
	EXPECT_EQ(0, rc);
	EXPECT_STREQ(want_text, out);
	free(out);
	out = run(&rc, (const char *const[]){ "--json", "thresholds", NULL });
	ASSERT_NE(NULL, out);
	EXPECT_EQ(0, rc);
	EXPECT_STREQ(want_json, out);
	free(out);
	out = run(&rc, (const char *const[]){ "-n", "-o", "psi_low,leak_window", "thresholds", NULL });
	ASSERT_NE(NULL, out);
	EXPECT_EQ(0, rc);
	EXPECT_STREQ("2.50\n10\n", out);
	free(out);
	remove_fixture();
}

/*
 * top --once: a process's first sparkline comes from the module's growth
 * windows, each as far back as the process is old.  4000 (25 h old): RSS
 * 300 s ago (growth300 1 B/s), 60 s ago (growth60 0: the fixture leaves
 * it out), 10 s ago (growth10 150 MB/s), now; 149 (24 s): 10 s ago, now;
 * 150 (1 ms): now.
 */
TEST(top_once_history_from_the_growth_windows)
{
	static const char *const want[] = {
		"{\"pid\":4000,\"rss_history_bytes\":[5368708943,5368709243,3868709243,5368709243]}",
		"{\"pid\":149,\"rss_history_bytes\":[66941408,87891968]}",
		"{\"pid\":150,\"rss_history_bytes\":[25853952]}",
	};
	char *out;
	int rc;

	make_fixture(_metadata);
	out = run(&rc, (const char *const[]){ "--json", "top", "--once", "-o", "pid,history",
					      NULL });
	ASSERT_NE(NULL, out);
	EXPECT_EQ(0, rc);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		EXPECT_NE(NULL, strstr(out, want[i])) TH_LOG("%s not in %s", want[i], out);
	}
	free(out);
	remove_fixture();
}

/* --- pods and containers by name --- */

#define POD_A_UID	"3f2c1a2b-9d4e-4f60-8a1b-2c3d4e5f6a7b"
#define POD_B_UID	"6d8b5d1d8b9e0c0c0f1b6c6fa2b2e3e4"
#define POD_C_UID	"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
#define POD_D_UID	"11111111-2222-4333-8444-555555555555"

/*
 * A node with a pod of each layout: containerd and systemd (a sandbox and
 * nginx), CRI-O and cgroupfs (a static pod), cri-dockerd and systemd, a
 * pod whose files are gone, Docker on its own, a host service.  The
 * tables name their cgroups; @root gets the kubelet's and the runtimes'
 * files.  @path receives each process's cgroup, by pid 11 to 16.
 */
static void make_pod_fixture(struct __test_metadata *_metadata, const char *root,
			     char path[6][512])
{
	static const struct fx_pod a = { "shop", "web-1", POD_A_UID, FX_BURSTABLE };
	static const struct fx_pod b = { "kube-system", "coredns-x7", POD_B_UID, FX_GUARANTEED };
	static const struct fx_pod c = { "batch", "job-1", POD_C_UID, FX_BESTEFFORT };
	static const struct fx_pod d = { "gone", "away", POD_D_UID, FX_BESTEFFORT };
	static const char *const comm[] = { "pause", "nginx", "coredns", "worker", "orphan",
					    "redis" };
	char id[6][65], pod_a[512], *procs[8], *cgs[8], *buf;
	size_t len;
	FILE *f;

	for (unsigned int i = 0; i < 6; i++)
		fx_id(id[i], 7, i);
	ASSERT_EQ(0, fx_pod_dir(root, &a));
	ASSERT_EQ(0, fx_pod_dir(root, &b));
	ASSERT_EQ(0, fx_pod_dir(root, &c));
	ASSERT_EQ(0, fx_container(root, FX_CONTAINERD, false, &a, id[0], NULL));
	ASSERT_EQ(0, fx_container(root, FX_CONTAINERD, false, &a, id[1], "nginx"));
	ASSERT_EQ(0, fx_container(root, FX_CRIO, true, &b, id[2], "coredns"));
	ASSERT_EQ(0, fx_container(root, FX_DOCKER, false, &c, id[3], "worker"));
	ASSERT_EQ(0, fx_docker_plain(root, id[5], "redis"));
	fx_cgroup(path[0], 512, true, FX_CONTAINERD, &a, id[0]);
	fx_cgroup(path[1], 512, true, FX_CONTAINERD, &a, id[1]);
	fx_cgroup(path[2], 512, false, FX_CRIO, &b, id[2]);
	fx_cgroup(path[3], 512, true, FX_DOCKER, &c, id[3]);
	fx_cgroup(path[4], 512, false, FX_CONTAINERD, &d, id[4]);
	snprintf(path[5], 512, "/system.slice/docker-%s.scope", id[5]);
	fx_cgroup(pod_a, sizeof(pod_a), true, FX_CONTAINERD, &a, NULL);
	for (unsigned int i = 0; i < 6; i++) {
		f = open_memstream(&buf, &len);
		fprintf(f, "pid=%u comm=%s cgroup=%s rss_bytes=%u age_usec=1000", 11 + i, comm[i],
			path[i], (i + 1) << 20);
		fclose(f);
		procs[i] = buf;
		f = open_memstream(&buf, &len);
		fprintf(f, "cgroup=%s id=%u current_bytes=%u level=none", path[i], 100 + i,
			(i + 1) << 20);
		fclose(f);
		cgs[i] = buf;
	}
	procs[6] = strdup("pid=17 comm=cron cgroup=/system.slice/cron.service rss_bytes=1");
	procs[7] = NULL;
	f = open_memstream(&buf, &len);
	fprintf(f, "cgroup=%s id=99 current_bytes=1 level=low", pod_a);
	fclose(f);
	cgs[6] = buf;
	cgs[7] = NULL;
	snprintf(fixdir, sizeof(fixdir), "/tmp/test_cli.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(fixdir));
	put_file(MEMPRESSURE_FILE_STATUS, "version 0.1.0\nabi_version 1\ninterval_ms 500\n");
	ASSERT_EQ(0, put_table(MEMPRESSURE_FILE_PROCESSES, mp_process_columns,
			       MEMPRESSURE_PROC_NR, (const char *const *)procs));
	ASSERT_EQ(0, put_table(MEMPRESSURE_FILE_CGROUPS, mp_cgroup_columns, MEMPRESSURE_CG_NR,
			       (const char *const *)cgs));
	for (unsigned int i = 0; i < 7; i++) {
		free(procs[i]);
		free(cgs[i]);
	}
}

TEST(pods_and_containers_by_name)
{
	static const char *const want_top[] = {
		"11\tshop/web-1\tPOD\tshop\tweb-1\t" POD_A_UID "\t%s\tBurstable\tcontainerd",
		"12\tshop/web-1\tnginx\tshop\tweb-1\t" POD_A_UID "\t%s\tBurstable\tcontainerd",
		"13\tkube-system/coredns-x7\tcoredns\tkube-system\tcoredns-x7\t" POD_B_UID
		"\t%s\tGuaranteed\tcri-o",
		"14\tbatch/job-1\tworker\tbatch\tjob-1\t" POD_C_UID "\t%s\tBestEffort\tdocker",
		/* Its files are gone: what the path says, no names. */
		"15\t-\t-\t-\t-\t" POD_D_UID "\t%s\tBestEffort\t-",
		"16\t-\tredis\t-\t-\t-\t%s\t-\tdocker",
		"17\t-\t-\t-\t-\t-\t-\t-\t-",
	};
	char root[64] = "/tmp/test_cli_root.XXXXXX", path[6][512], want[512], evpath[128];
	char *text, cmd[128];
	int rc, fd;

	ASSERT_NE(NULL, mkdtemp(root));
	make_pod_fixture(_metadata, root, path);
	setenv("MEMPRESSURE_HOST_ROOT", root, 1);

	/* Every pod column, each process. */
	text = run(&rc, (const char *const[]){ "top", "--raw", "-n", "-o",
		"pid,pod,container,namespace,pod_name,pod_uid,container_id,qos,runtime", NULL });
	ASSERT_NE(NULL, text);
	ASSERT_EQ(0, rc);
	for (unsigned int i = 0; i < sizeof(want_top) / sizeof(want_top[0]); i++) {
		char id[65];

		fx_id(id, 7, i);
		snprintf(want, sizeof(want), want_top[i], id);
		ASSERT_NE(NULL, strstr(text, want)) TH_LOG("want %s in\n%s", want, text);
	}
	free(text);

	/* The default view has them, after the cgroup. */
	text = run(&rc, (const char *const[]){ "top", "--once", NULL });
	ASSERT_NE(NULL, text);
	EXPECT_NE(NULL, strstr(text, "CGROUP")) TH_LOG("%s", text);
	EXPECT_LT(strstr(text, "CGROUP"), strstr(text, "POD")) TH_LOG("%s", text);
	EXPECT_LT(strstr(text, "POD"), strstr(text, "CONTAINER")) TH_LOG("%s", text);
	{
		const char *row = strstr(text, " 12  nginx "), *pod = row ? strstr(row, "shop/web-1 ") : NULL;

		ASSERT_NE(NULL, pod) TH_LOG("%s", text);
		EXPECT_LT(pod, strchr(row, '\n'));
		EXPECT_EQ(strstr(pod, " nginx "), strstr(pod, "nginx") - 1) TH_LOG("%s", text);
		EXPECT_LT(strstr(pod, "nginx"), strchr(row, '\n'));
	}
	free(text);

	/* cgroups, in JSON: the pod's own cgroup names no container. */
	text = run(&rc, (const char *const[]){ "--json", "cgroups", "-o", "id,pod,container,qos",
					       NULL });
	ASSERT_NE(NULL, text);
	EXPECT_NE(NULL, strstr(text, "{\"id\":99,\"pod\":\"shop/web-1\",\"container\":null,"
				     "\"qos\":\"Burstable\"}")) TH_LOG("%s", text);
	EXPECT_NE(NULL, strstr(text, "{\"id\":102,\"pod\":\"kube-system/coredns-x7\","
				     "\"container\":\"coredns\",\"qos\":\"Guaranteed\"}"))
		TH_LOG("%s", text);
	EXPECT_NE(NULL, strstr(text, "{\"id\":105,\"pod\":null,\"container\":\"redis\","
				     "\"qos\":null}")) TH_LOG("%s", text);
	free(text);

	/* events: a limit event of nginx's cgroup, and one of the host's. */
	snprintf(evpath, sizeof(evpath), "%s/%s", fixdir, MEMPRESSURE_FILE_EVENTS);
	ASSERT_EQ(0, mkfifo(evpath, 0600));
	fd = open(evpath, O_RDWR);
	ASSERT_LE(0, fd);
	dprintf(fd, "seq=1 time_usec=1 kind=limit cgroup=%s level=none usage_bytes=1 "
		"limit_bytes=max soft_limit_bytes=-\n"
		"seq=2 time_usec=2 kind=high cgroup=/system.slice/cron.service count=1 delta=1\n",
		path[1]);
	text = run(&rc, (const char *const[]){ "events", "-t", "5", "--raw", "-n", "-o",
					       "seq,kind,pod,container", NULL });
	ASSERT_NE(NULL, text);
	EXPECT_EQ(0, rc);
	EXPECT_STREQ("1\tlimit\tshop/web-1\tnginx\n2\thigh\t-\t-\n", text);
	free(text);
	close(fd);

	unsetenv("MEMPRESSURE_HOST_ROOT");
	unlink(evpath);
	remove_fixture();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ASSERT_EQ(0, system(cmd));
}

TEST_HARNESS_MAIN
