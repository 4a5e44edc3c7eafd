// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for the mempressured protocol codec
 * (userspace/common/mp_proto.c, docs/protocol.md).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kselftest_harness.h"

#include "mp_proto.h"

#define PKT(s)	s, sizeof(s) - 1

/* Parse @wire, rebuild it from the parsed pairs, and compare. */
static int rebuild(const struct mp_msg *m, char *out, size_t size)
{
	struct mp_msg_out o;
	int i, len;

	mp_msg_begin(&o, m->type);
	for (i = 0; i < m->nr; i++)
		mp_msg_add_name(&o, m->key[i], m->val[i]);
	len = mp_msg_end(&o);
	if (len < 0 || (size_t)len >= size)
		return -1;
	memcpy(out, o.buf, (size_t)len);
	out[len] = '\0';
	return len;
}

/* Every message of docs/protocol.md, as it travels. */
static const struct {
	enum mempressured_msg type;
	const char *wire;
} doc_messages[] = {
	{ MEMPRESSURED_MSG_HELLO, "msg=hello version=1 name=cache-demo" },
	{ MEMPRESSURED_MSG_HELLO, "msg=hello version=1 name=cache-demo scope=all" },
	{ MEMPRESSURED_MSG_WELCOME,
	  "msg=welcome version=1 pid=412 cgroup=/app level=none soft_limit_bytes=71303168" },
	{ MEMPRESSURED_MSG_LEVEL,
	  "msg=level cgroup=/app level=medium old_level=low reason=usage" },
	{ MEMPRESSURED_MSG_TRIM,
	  "msg=trim id=7 level=medium reason=soft want_bytes=8388608 deadline_ms=500 cgroup=/app pid=412" },
	{ MEMPRESSURED_MSG_TRIMMED, "msg=trimmed id=7 freed_bytes=9437184" },
	{ MEMPRESSURED_MSG_TRIMMED, "msg=trimmed id=8 freed_bytes=0" },
	{ MEMPRESSURED_MSG_STATUS, "msg=status" },
	{ MEMPRESSURED_MSG_STATUS,
	  "msg=status cgroup=/app level=low subscribers=2 soft_limit_bytes=71303168" },
	{ MEMPRESSURED_MSG_STATUS,
	  "msg=status pid=412 name=cache-demo requests=3 replies=2 timeouts=1" },
	{ MEMPRESSURED_MSG_END, "msg=end" },
	{ MEMPRESSURED_MSG_ERROR, "msg=error reason=version" },
};

TEST(every_documented_message_round_trips)
{
	struct mp_msg m;
	char out[MEMPRESSURED_MSG_MAX + 1];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(doc_messages); i++) {
		const char *wire = doc_messages[i].wire;

		ASSERT_EQ(0, mp_msg_parse(wire, strlen(wire), &m)) TH_LOG("%s", wire);
		ASSERT_EQ(doc_messages[i].type, m.type) TH_LOG("%s", wire);
		ASSERT_EQ((int)strlen(wire), rebuild(&m, out, sizeof(out)));
		ASSERT_STREQ(wire, out);
	}
}

TEST(builders_write_the_documented_text)
{
	struct mp_msg_out o;

#define EXPECT_BUILT(text) do {						\
		ASSERT_EQ((int)strlen(text), mp_msg_end(&o));		\
		ASSERT_EQ(0, memcmp(text, o.buf, strlen(text)));	\
	} while (0)

	mp_msg_begin(&o, MEMPRESSURED_MSG_HELLO);
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_VERSION, MEMPRESSURED_PROTOCOL_VERSION);
	mp_msg_add_str(&o, MEMPRESSURED_KEY_NAME, "cache-demo");
	EXPECT_BUILT("msg=hello version=1 name=cache-demo");

	mp_msg_begin(&o, MEMPRESSURED_MSG_WELCOME);
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_VERSION, 1);
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_PID, 412);
	mp_msg_add_str(&o, MEMPRESSURED_KEY_CGROUP, "/app");
	mp_msg_add_str(&o, MEMPRESSURED_KEY_LEVEL, "none");
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_SOFT_LIMIT, 71303168);
	EXPECT_BUILT("msg=welcome version=1 pid=412 cgroup=/app level=none soft_limit_bytes=71303168");

	mp_msg_begin(&o, MEMPRESSURED_MSG_LEVEL);
	mp_msg_add_str(&o, MEMPRESSURED_KEY_CGROUP, "/app");
	mp_msg_add_str(&o, MEMPRESSURED_KEY_LEVEL, "medium");
	mp_msg_add_str(&o, MEMPRESSURED_KEY_OLD_LEVEL, "low");
	mp_msg_add_str(&o, MEMPRESSURED_KEY_REASON, "usage");
	EXPECT_BUILT("msg=level cgroup=/app level=medium old_level=low reason=usage");

	mp_msg_begin(&o, MEMPRESSURED_MSG_TRIM);
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_ID, 7);
	mp_msg_add_str(&o, MEMPRESSURED_KEY_LEVEL, "medium");
	mp_msg_add_str(&o, MEMPRESSURED_KEY_REASON,
		       mp_trim_reason_names[MEMPRESSURED_TRIM_SOFT]);
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_WANT, 8388608);
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_DEADLINE, 500);
	mp_msg_add_str(&o, MEMPRESSURED_KEY_CGROUP, "/app");
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_PID, 412);
	EXPECT_BUILT("msg=trim id=7 level=medium reason=soft want_bytes=8388608 deadline_ms=500 cgroup=/app pid=412");

	mp_msg_begin(&o, MEMPRESSURED_MSG_TRIMMED);
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_ID, 7);
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_FREED, 9437184);
	EXPECT_BUILT("msg=trimmed id=7 freed_bytes=9437184");

	mp_msg_begin(&o, MEMPRESSURED_MSG_STATUS);
	EXPECT_BUILT("msg=status");

	mp_msg_begin(&o, MEMPRESSURED_MSG_STATUS);
	mp_msg_add_name(&o, "subscribers", "2");
	mp_msg_add_str(&o, MEMPRESSURED_KEY_CGROUP, "/");
	EXPECT_BUILT("msg=status subscribers=2 cgroup=/");

	mp_msg_begin(&o, MEMPRESSURED_MSG_END);
	EXPECT_BUILT("msg=end");

	mp_msg_begin(&o, MEMPRESSURED_MSG_ERROR);
	mp_msg_add_str(&o, MEMPRESSURED_KEY_REASON, MP_ERROR_VERSION);
	EXPECT_BUILT("msg=error reason=version");

	mp_msg_begin(&o, MEMPRESSURED_MSG_TRIMMED);
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_FREED, UINT64_MAX);
	EXPECT_BUILT("msg=trimmed freed_bytes=18446744073709551615");
#undef EXPECT_BUILT
}

TEST(get_and_get_u64)
{
	static const char wire[] =
		"msg=trim id=7 level=medium reason=soft want_bytes=8388608 deadline_ms=500 cgroup=/app pid=412 future_key=x";
	struct mp_msg m;
	uint64_t v = 42;

	ASSERT_EQ(0, mp_msg_parse(PKT(wire), &m));
	ASSERT_EQ(MEMPRESSURED_MSG_TRIM, m.type);
	ASSERT_EQ(8, m.nr);
	ASSERT_STREQ("trim", mp_msg_get(&m, MEMPRESSURED_KEY_MSG));
	ASSERT_STREQ("trim", mp_msg_get_name(&m, "msg"));
	ASSERT_STREQ("/app", mp_msg_get(&m, MEMPRESSURED_KEY_CGROUP));
	ASSERT_STREQ("medium", mp_msg_get(&m, MEMPRESSURED_KEY_LEVEL));
	ASSERT_STREQ("x", mp_msg_get_name(&m, "future_key"));
	ASSERT_NULL(mp_msg_get(&m, MEMPRESSURED_KEY_FREED));
	ASSERT_NULL(mp_msg_get(&m, MEMPRESSURED_KEY_NR));
	ASSERT_NULL(mp_msg_get_name(&m, "future"));

	ASSERT_EQ(0, mp_msg_get_u64(&m, MEMPRESSURED_KEY_ID, &v));
	ASSERT_EQ(7, v);
	ASSERT_EQ(0, mp_msg_get_u64(&m, MEMPRESSURED_KEY_WANT, &v));
	ASSERT_EQ(8388608, v);
	ASSERT_EQ(0, mp_msg_get_u64(&m, MEMPRESSURED_KEY_DEADLINE, &v));
	ASSERT_EQ(500, v);
	v = 42;
	ASSERT_EQ(-ENOENT, mp_msg_get_u64(&m, MEMPRESSURED_KEY_FREED, &v));
	ASSERT_EQ(-EINVAL, mp_msg_get_u64(&m, MEMPRESSURED_KEY_LEVEL, &v));
	ASSERT_EQ(-EINVAL, mp_msg_get_u64(&m, MEMPRESSURED_KEY_CGROUP, &v));
	ASSERT_EQ(42, v);
}

TEST(numbers_are_strict)
{
	static const struct {
		const char *wire;
		int err;
		uint64_t v;
	} cases[] = {
		{ "msg=trimmed id=0", 0, 0 },
		{ "msg=trimmed id=18446744073709551615", 0, UINT64_MAX },
		{ "msg=trimmed id=007", 0, 7 },
		{ "msg=trimmed id=18446744073709551616", -EINVAL, 0 },
		{ "msg=trimmed id=99999999999999999999", -EINVAL, 0 },
		{ "msg=trimmed id=-1", -EINVAL, 0 },
		{ "msg=trimmed id=+1", -EINVAL, 0 },
		{ "msg=trimmed id=1k", -EINVAL, 0 },
		{ "msg=trimmed id=0x10", -EINVAL, 0 },
		{ "msg=trimmed id=max", -EINVAL, 0 },
		{ "msg=trimmed id=-", -EINVAL, 0 },	/* the empty string */
		{ "msg=trimmed id=\\0401", -EINVAL, 0 },
		{ "msg=trimmed id=1\\040", -EINVAL, 0 },
	};
	struct mp_msg m;
	uint64_t v;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		ASSERT_EQ(0, mp_msg_parse(cases[i].wire, strlen(cases[i].wire), &m));
		v = 0;
		ASSERT_EQ(cases[i].err, mp_msg_get_u64(&m, MEMPRESSURED_KEY_ID, &v))
			TH_LOG("%s", cases[i].wire);
		ASSERT_EQ(cases[i].v, v) TH_LOG("%s", cases[i].wire);
	}
}

TEST(malformed_packets_are_refused)
{
	static const struct {
		const char *data;
		size_t len;
		int err;
		const char *why;
	} cases[] = {
		{ PKT(""), -EINVAL, "empty packet" },
		{ PKT("msg=hello  version=1"), -EINVAL, "double space" },
		{ PKT("msg=hello version=1 "), -EINVAL, "trailing space" },
		{ PKT(" msg=hello version=1"), -EINVAL, "leading space" },
		{ PKT("msg=hello version"), -EINVAL, "missing '='" },
		{ PKT("msg"), -EINVAL, "msg without '='" },
		{ PKT("msg=hello =1"), -EINVAL, "empty key" },
		{ PKT("msg=hello ="), -EINVAL, "empty key and value" },
		{ PKT("=hello"), -EINVAL, "empty first key" },
		{ PKT("msg=hello version=1 version=1"), -EINVAL, "key twice" },
		{ PKT("msg=hello version=1 version=2"), -EINVAL, "key twice, values differ" },
		{ PKT("msg=hello msg=hello"), -EINVAL, "msg twice" },
		{ PKT("version=1 msg=hello"), -EINVAL, "first key not msg" },
		{ PKT("MSG=hello"), -EINVAL, "first key not msg (case)" },
		{ PKT("msg="), -EINVAL, "empty msg" },
		{ PKT("msg=hello name="), -EINVAL, "empty value" },
		{ PKT("msg=bogus version=1"), -EPROTO, "unknown msg" },
		{ PKT("msg=HELLO"), -EPROTO, "msg names are lower case" },
		{ PKT("msg=-"), -EPROTO, "msg is the empty string" },
		{ PKT("msg=bogus version"), -EINVAL, "malformed beats unknown" },
		{ PKT("msg=hello\0 version=1"), -EINVAL, "NUL byte" },
		{ PKT("msg=hello version=1\0"), -EINVAL, "trailing NUL byte" },
		{ PKT("msg=hello name=a\\000b"), -EINVAL, "escaped NUL byte" },
		{ PKT("msg=hello name=a\\04"), -EINVAL, "short escape" },
		{ PKT("msg=hello name=a\\"), -EINVAL, "backslash at the end" },
		{ PKT("msg=hello name=a\\400"), -EINVAL, "escape over \\377" },
		{ PKT("msg=hello name=a\\08x"), -EINVAL, "escape not octal" },
		{ PKT("msg=hello name=a\\\\"), -EINVAL, "backslash not escaped" },
		{ PKT("msg=hello name=a\tb"), -EINVAL, "raw tab" },
		{ PKT("msg=hello name=a\nb"), -EINVAL, "raw newline" },
		{ PKT("msg=hello version=1\n"), -EINVAL, "trailing newline" },
		{ PKT("msg=hello Name=x"), -EINVAL, "upper case key" },
		{ PKT("msg=hello na-me=x"), -EINVAL, "'-' in a key" },
		{ PKT("msg=hello ver\\040sion=1"), -EINVAL, "escape in a key" },
		{ PKT("msg=hello vérsion=1"), -EINVAL, "non-ASCII key" },
	};
	struct mp_msg m;
	size_t i;

	ASSERT_GE(ARRAY_SIZE(cases), 25);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		ASSERT_EQ(cases[i].err, mp_msg_parse(cases[i].data, cases[i].len, &m))
			TH_LOG("case %zu: %s", i, cases[i].why);
		ASSERT_EQ(0, m.nr);
	}
}

/* "msg=status" and @pairs unique keys: k0=1 k1=1 ... */
static size_t many_pairs(char *buf, size_t size, int pairs)
{
	size_t len = (size_t)snprintf(buf, size, "msg=status");
	int i;

	for (i = 0; i < pairs; i++)
		len += (size_t)snprintf(buf + len, size - len, " k%d=1", i);
	return len;
}

TEST(pairs_are_bounded)
{
	char buf[2048];
	struct mp_msg m;
	size_t len;

	len = many_pairs(buf, sizeof(buf), MP_MSG_PAIRS_MAX);
	ASSERT_EQ(0, mp_msg_parse(buf, len, &m));
	ASSERT_EQ(MP_MSG_PAIRS_MAX, m.nr);
	ASSERT_STREQ("k63", m.key[MP_MSG_PAIRS_MAX - 1]);
	len = many_pairs(buf, sizeof(buf), MP_MSG_PAIRS_MAX + 1);
	ASSERT_LT(len, MEMPRESSURED_MSG_MAX);
	ASSERT_EQ(-EINVAL, mp_msg_parse(buf, len, &m));
}

TEST(size_is_bounded)
{
	char buf[MEMPRESSURED_MSG_MAX + 2];
	struct mp_msg m;
	size_t prefix = strlen("msg=hello name=");

	memcpy(buf, "msg=hello name=", prefix);
	memset(buf + prefix, 'a', sizeof(buf) - prefix);
	ASSERT_EQ(0, mp_msg_parse(buf, MEMPRESSURED_MSG_MAX, &m));
	ASSERT_EQ(MEMPRESSURED_MSG_MAX - prefix, strlen(mp_msg_get(&m, MEMPRESSURED_KEY_NAME)));
	ASSERT_EQ(-EMSGSIZE, mp_msg_parse(buf, MEMPRESSURED_MSG_MAX + 1, &m));
	ASSERT_EQ(-EMSGSIZE, mp_msg_parse(buf, sizeof(buf), &m));
}

TEST(escaping_round_trips)
{
	static const struct {
		const char *value;
		const char *wire;	/* after "name=" */
	} cases[] = {
		{ "plain", "plain" },
		{ "my app", "my\\040app" },
		{ "tab\there", "tab\\011here" },
		{ "line\nbreak", "line\\012break" },
		{ "back\\slash", "back\\134slash" },
		{ " \t\n\\", "\\040\\011\\012\\134" },
		{ "", "-" },
		{ "-", "\\055" },
		{ "--", "--" },
		{ "a-b", "a-b" },
		{ "a=b=c", "a=b=c" },
		{ "/sys/fs/cgroup/my app.slice", "/sys/fs/cgroup/my\\040app.slice" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
	};
	char wire[MEMPRESSURED_MSG_MAX + 1], expect[128];
	struct mp_msg_out o;
	struct mp_msg m;
	size_t i;
	int len;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		mp_msg_begin(&o, MEMPRESSURED_MSG_HELLO);
		mp_msg_add_str(&o, MEMPRESSURED_KEY_NAME, cases[i].value);
		len = mp_msg_end(&o);
		ASSERT_GT(len, 0);
		memcpy(wire, o.buf, (size_t)len);
		wire[len] = '\0';
		snprintf(expect, sizeof(expect), "msg=hello name=%s", cases[i].wire);
		ASSERT_STREQ(expect, wire) TH_LOG("case %zu", i);
		ASSERT_EQ(0, mp_msg_parse(wire, (size_t)len, &m));
		ASSERT_STREQ(cases[i].value, mp_msg_get(&m, MEMPRESSURED_KEY_NAME));
	}

	/* Escapes of characters that need none decode as well. */
	ASSERT_EQ(0, mp_msg_parse(PKT("msg=hello name=\\141\\142c"), &m));
	ASSERT_STREQ("abc", mp_msg_get(&m, MEMPRESSURED_KEY_NAME));
	/* Every byte but NUL survives a round trip. */
	{
		char all[256];
		int c;

		for (c = 1; c < 256; c++)
			all[c - 1] = (char)c;
		all[255] = '\0';
		mp_msg_begin(&o, MEMPRESSURED_MSG_HELLO);
		mp_msg_add_str(&o, MEMPRESSURED_KEY_NAME, all);
		len = mp_msg_end(&o);
		ASSERT_GT(len, 0);
		ASSERT_EQ(0, mp_msg_parse(o.buf, (size_t)len, &m));
		ASSERT_STREQ(all, mp_msg_get(&m, MEMPRESSURED_KEY_NAME));
	}
}

TEST(building_too_much_is_emsgsize)
{
	char big[MEMPRESSURED_MSG_MAX];
	struct mp_msg_out o;
	size_t fill;

	/* Exactly MEMPRESSURED_MSG_MAX bytes fit. */
	fill = MEMPRESSURED_MSG_MAX - strlen("msg=hello name=");
	memset(big, 'a', fill);
	big[fill] = '\0';
	mp_msg_begin(&o, MEMPRESSURED_MSG_HELLO);
	mp_msg_add_str(&o, MEMPRESSURED_KEY_NAME, big);
	ASSERT_EQ(MEMPRESSURED_MSG_MAX, mp_msg_end(&o));

	/* One more byte does not, and nothing added later makes it fit. */
	big[fill] = 'a';
	big[fill + 1] = '\0';
	mp_msg_begin(&o, MEMPRESSURED_MSG_HELLO);
	mp_msg_add_str(&o, MEMPRESSURED_KEY_NAME, big);
	ASSERT_EQ(-EMSGSIZE, mp_msg_end(&o));
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_VERSION, 1);
	ASSERT_EQ(-EMSGSIZE, mp_msg_end(&o));
	ASSERT_LE(o.len, sizeof(o.buf));

	/* Escaping counts: 300 spaces are 1200 bytes. */
	memset(big, ' ', 300);
	big[300] = '\0';
	mp_msg_begin(&o, MEMPRESSURED_MSG_HELLO);
	mp_msg_add_str(&o, MEMPRESSURED_KEY_NAME, big);
	ASSERT_EQ(-EMSGSIZE, mp_msg_end(&o));

	/* begin starts afresh. */
	mp_msg_begin(&o, MEMPRESSURED_MSG_END);
	ASSERT_EQ(7, mp_msg_end(&o));
}

TEST(builders_refuse_what_the_parser_would)
{
	struct mp_msg_out o;

	mp_msg_begin(&o, MEMPRESSURED_MSG_STATUS);
	mp_msg_add_name(&o, "Bad Key", "1");
	ASSERT_EQ(-EMSGSIZE, mp_msg_end(&o));
	mp_msg_begin(&o, MEMPRESSURED_MSG_STATUS);
	mp_msg_add_name(&o, "", "1");
	ASSERT_EQ(-EMSGSIZE, mp_msg_end(&o));
	mp_msg_begin(&o, MEMPRESSURED_MSG_NR);
	ASSERT_EQ(-EMSGSIZE, mp_msg_end(&o));
}

TEST(name_tables_follow_the_header)
{
	ASSERT_STREQ("hello", mp_msg_names[MEMPRESSURED_MSG_HELLO]);
	ASSERT_STREQ("error", mp_msg_names[MEMPRESSURED_MSG_ERROR]);
	ASSERT_STREQ("msg", mp_key_names[MEMPRESSURED_KEY_MSG]);
	ASSERT_STREQ("freed_bytes", mp_key_names[MEMPRESSURED_KEY_FREED]);
	ASSERT_STREQ("leak", mp_trim_reason_names[MEMPRESSURED_TRIM_LEAK]);
	ASSERT_EQ(MEMPRESSURED_MSG_TRIM,
		  mp_msg_lookup(mp_msg_names, MEMPRESSURED_MSG_NR, "trim"));
	ASSERT_EQ(-ENOENT, mp_msg_lookup(mp_msg_names, MEMPRESSURED_MSG_NR, "trimm"));
}

TEST_HARNESS_MAIN
