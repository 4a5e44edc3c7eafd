// SPDX-License-Identifier: GPL-2.0
/* Host unit tests for the /proc/mempressure parsers (userspace/common). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "mp_table.h"

#define TEXT(s)	s, sizeof(s) - 1

TEST(columns_are_found_by_name)
{
	struct mp_table t;

	ASSERT_EQ(0, mp_table_parse(TEXT("pid comm new_col\n1 init x\n42 a\\040b y\n"), &t));
	ASSERT_EQ(3, t.nr_cols);
	ASSERT_EQ(2, t.nr_rows);
	ASSERT_EQ(1, mp_table_column(&t, "comm"));
	ASSERT_EQ(-ENOENT, mp_table_column(&t, "rss_bytes"));
	ASSERT_EQ(1, mp_table_find(&t, 0, "42"));
	ASSERT_STREQ("a\\040b", mp_table_cell(&t, 1, 1));
	ASSERT_EQ(NULL, mp_table_cell(&t, 2, 0));
	mp_table_free(&t);
}

TEST(header_only_and_no_final_newline)
{
	struct mp_table t;

	ASSERT_EQ(0, mp_table_parse(TEXT("a b\n"), &t));
	ASSERT_EQ(0, t.nr_rows);
	mp_table_free(&t);
	ASSERT_EQ(0, mp_table_parse(TEXT("a b\n1 2"), &t));
	ASSERT_EQ(1, t.nr_rows);
	mp_table_free(&t);
}

TEST(malformed_tables_are_refused)
{
	struct mp_table t;

	ASSERT_EQ(-EINVAL, mp_table_parse(TEXT(""), &t));
	ASSERT_EQ(-EINVAL, mp_table_parse(TEXT("\n1 2\n"), &t));
	ASSERT_EQ(-EINVAL, mp_table_parse(TEXT("a b\n1\n"), &t));
	ASSERT_EQ(-EINVAL, mp_table_parse(TEXT("a b\n1 2 3\n"), &t));
	ASSERT_EQ(-EINVAL, mp_table_parse(TEXT("a a\n1 2\n"), &t));
	ASSERT_EQ(-EINVAL, mp_table_parse("a\n\0\n", 4, &t));
}

TEST(unescape)
{
	char out[16];

	ASSERT_EQ(0, mp_unescape("a\\040b\\011c\\134d", out, sizeof(out)));
	ASSERT_STREQ("a b\tc\\d", out);
	ASSERT_EQ(0, mp_unescape("\\055", out, sizeof(out)));
	ASSERT_STREQ("-", out);
	ASSERT_EQ(-ENODATA, mp_unescape("-", out, sizeof(out)));
	ASSERT_EQ(-EINVAL, mp_unescape("a\\04", out, sizeof(out)));
	ASSERT_EQ(-EINVAL, mp_unescape("\\400", out, sizeof(out)));
	ASSERT_EQ(-EINVAL, mp_unescape("\\08x", out, sizeof(out)));
	ASSERT_EQ(-ENAMETOOLONG, mp_unescape("abcd", out, 4));
	ASSERT_EQ(0, mp_unescape("abc", out, 4));
}

TEST(numbers)
{
	uint64_t u;
	int64_t s;

	ASSERT_EQ(0, mp_parse_u64("18446744073709551615", &u));
	ASSERT_EQ(UINT64_MAX, u);
	ASSERT_EQ(-ERANGE, mp_parse_u64("18446744073709551616", &u));
	ASSERT_EQ(0, mp_parse_u64("max", &u));
	ASSERT_EQ(UINT64_MAX, u);
	ASSERT_EQ(-ENODATA, mp_parse_u64("-", &u));
	ASSERT_EQ(-EINVAL, mp_parse_u64("-1", &u));
	ASSERT_EQ(-EINVAL, mp_parse_u64("12k", &u));
	ASSERT_EQ(-EINVAL, mp_parse_u64("", &u));
	ASSERT_EQ(-EINVAL, mp_parse_u64(" 1", &u));
	ASSERT_EQ(0, mp_parse_s64("-123", &s));
	ASSERT_EQ(-123, s);
	ASSERT_EQ(-ENODATA, mp_parse_s64("-", &s));
	ASSERT_EQ(-EINVAL, mp_parse_s64("--1", &s));
	ASSERT_EQ(-EINVAL, mp_parse_s64("+1", &s));
}

TEST(key_value)
{
	static const char text[] = "version 0.1.0\nsamples 12\nsamples_x 3\nmemory_bytes 99";
	char out[16];
	uint64_t v;

	ASSERT_EQ(0, mp_kv_get(TEXT(text), "version", out, sizeof(out)));
	ASSERT_STREQ("0.1.0", out);
	ASSERT_EQ(0, mp_kv_get_u64(TEXT(text), "samples", &v));
	ASSERT_EQ(12, v);
	ASSERT_EQ(0, mp_kv_get_u64(TEXT(text), "memory_bytes", &v));
	ASSERT_EQ(99, v);
	ASSERT_EQ(-ENOENT, mp_kv_get_u64(TEXT(text), "sample", &v));
	ASSERT_EQ(-ENAMETOOLONG, mp_kv_get(TEXT(text), "version", out, 5));
	ASSERT_EQ(-EINVAL, mp_kv_get_u64(TEXT(text), "version", &v));
}

/* A table read from a directory: the module's, or a fixture like this one. */
TEST(table_read_from_a_directory)
{
	char dir[] = "/tmp/test_table.XXXXXX", path[PATH_MAX], big[PATH_MAX + 8];
	struct mp_table t;
	FILE *f;

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cgroups", dir);
	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	fputs("cgroup id current_bytes\n/ 1 100\n/a\\040b 7 50\n", f);
	ASSERT_EQ(0, fclose(f));

	ASSERT_EQ(0, mp_table_read(dir, "cgroups", &t));
	ASSERT_EQ(2, t.nr_rows);
	ASSERT_EQ(2, mp_table_column(&t, "current_bytes"));
	ASSERT_STREQ("/a\\040b", mp_table_cell(&t, 1, 0));
	mp_table_free(&t);

	/* Zeroed on any error, so that freeing it is safe. */
	memset(&t, 0x5a, sizeof(t));
	ASSERT_EQ(-ENOENT, mp_table_read(dir, "processes", &t));
	ASSERT_NULL(t.text);
	mp_table_free(&t);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ASSERT_EQ(-ENAMETOOLONG, mp_table_read(dir, big, &t));

	unlink(path);
	rmdir(dir);
}

TEST_HARNESS_MAIN
