// SPDX-License-Identifier: GPL-2.0
/*
 * The socket protocol's codec (userspace/common/mp_proto.c,
 * docs/protocol.md).  Each input is used twice.
 *
 * As a packet, parsed by mp_msg_parse():
 *  - it is refused with EMSGSIZE exactly when over MEMPRESSURED_MSG_MAX,
 *    else with EINVAL or EPROTO only, and a refused message holds nothing;
 *  - an accepted one has a known type, at most MP_MSG_PAIRS_MAX pairs,
 *    keys of [a-z0-9_] that are unique and not msg, and the getters agree
 *    with the pairs (mp_msg_get_u64() exactly for digits within 64 bits);
 *  - rebuilt with the builders it fits, is no longer than the packet,
 *    parses back to the same pairs, and rebuilds to the same bytes.
 *
 * As a message to build: the type from the first byte, then pairs from
 * the lines that follow, key and value alternately, plus an id as a
 * number.  What the builders accept parses back to those very values;
 * what they refuse (-EMSGSIZE) is too long once escaped, has a key the
 * parser would refuse, or an unknown type.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "fuzz.h"
#include "mp_proto.h"

static struct mp_msg msg, back;

static bool key_ok(const char *k)
{
	if (!*k)
		return false;
	for (; *k; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') || *k == '_'))
			return false;
	return true;
}

/* mp_msg_get_u64() reads exactly the decimal numbers of 64 bits. */
static void check_u64(const struct mp_msg *m, enum mempressured_key k)
{
	const char *s = mp_msg_get(m, k), *d;
	char num[24];
	uint64_t v;
	int r = mp_msg_get_u64(m, k, &v);

	if (!s) {
		FUZZ_CHECK(r == -ENOENT, "%s absent: %d", mp_key_names[k], r);
		return;
	}
	d = s + strspn(s, "0");
	if (!*s || s[strspn(s, "0123456789")] ||
	    strlen(d) > 20 || (strlen(d) == 20 && strcmp(d, "18446744073709551615") > 0)) {
		FUZZ_CHECK(r == -EINVAL, "%s=\"%s\": %d", mp_key_names[k], s, r);
		return;
	}
	FUZZ_CHECK(r == 0, "%s=\"%s\": %d", mp_key_names[k], s, r);
	snprintf(num, sizeof(num), "%" PRIu64, v);
	FUZZ_CHECK(!strcmp(num, *d ? d : "0"), "%s=\"%s\" read as %s",
		   mp_key_names[k], s, num);
}

static void check_parsed(const struct mp_msg *m)
{
	int i, j;

	FUZZ_CHECK((unsigned int)m->type < MEMPRESSURED_MSG_NR, "type %d", m->type);
	FUZZ_CHECK(m->nr >= 0 && m->nr <= MP_MSG_PAIRS_MAX, "%d pairs", m->nr);
	FUZZ_CHECK(!strcmp(mp_msg_get_name(m, "msg"), mp_msg_names[m->type]),
		   "msg is %s", mp_msg_names[m->type]);
	for (i = 0; i < m->nr; i++) {
		FUZZ_CHECK(key_ok(m->key[i]) && strcmp(m->key[i], "msg"), "key \"%s\"",
			   m->key[i]);
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(m->key[i], m->key[j]), "\"%s\" twice", m->key[i]);
		FUZZ_CHECK(mp_msg_get_name(m, m->key[i]) == m->val[i], "get \"%s\"",
			   m->key[i]);
	}
	for (i = 0; i < MEMPRESSURED_KEY_NR; i++) {
		if (i != MEMPRESSURED_KEY_MSG)
			FUZZ_CHECK(mp_msg_get(m, i) == mp_msg_get_name(m, mp_key_names[i]),
				   "get %s", mp_key_names[i]);
		check_u64(m, i);
	}
	FUZZ_CHECK(!mp_msg_get(m, MEMPRESSURED_KEY_NR), "a key past the table");
}

static bool same_pairs(const struct mp_msg *a, const struct mp_msg *b)
{
	int i;

	if (a->type != b->type || a->nr != b->nr)
		return false;
	for (i = 0; i < a->nr; i++)
		if (strcmp(a->key[i], b->key[i]) || strcmp(a->val[i], b->val[i]))
			return false;
	return true;
}

static int rebuild(const struct mp_msg *m, struct mp_msg_out *o)
{
	int i;

	mp_msg_begin(o, m->type);
	for (i = 0; i < m->nr; i++)
		mp_msg_add_name(o, m->key[i], m->val[i]);
	return mp_msg_end(o);
}

static void parse_packet(const char *data, size_t size)
{
	static struct mp_msg_out o, o2;
	int r = mp_msg_parse(data, size, &msg), n;

	if (size > MEMPRESSURED_MSG_MAX)
		FUZZ_CHECK(r == -EMSGSIZE, "%zu bytes: %d", size, r);
	else
		FUZZ_CHECK(r == 0 || r == -EINVAL || r == -EPROTO, "%d", r);
	if (r) {
		FUZZ_CHECK(msg.nr == 0 && msg.type == MEMPRESSURED_MSG_NR &&
			   !mp_msg_get_name(&msg, "msg") &&
			   !mp_msg_get(&msg, MEMPRESSURED_KEY_NAME), "refused, yet holds pairs");
		return;
	}
	check_parsed(&msg);

	/* The builders print the canonical form: it is never longer. */
	n = rebuild(&msg, &o);
	FUZZ_CHECK(n > 0 && (size_t)n <= size, "rebuilt: %d of %zu bytes", n, size);
	r = mp_msg_parse(o.buf, (size_t)n, &back);
	FUZZ_CHECK(r == 0 && same_pairs(&msg, &back), "\"%.*s\" parses as %d", n, o.buf, r);
	FUZZ_CHECK(rebuild(&back, &o2) == n && !memcmp(o.buf, o2.buf, (size_t)n),
		   "not a fixed point: \"%.*s\"", n, o.buf);
}

/* The length of @v as put_escaped() writes it: "-" for "", \055 for "-". */
static size_t escaped_len(const char *v)
{
	size_t n = 0;

	if (!*v)
		return 1;
	if (!strcmp(v, "-"))
		return 4;
	for (; *v; v++)
		n += strchr(" \t\n\\", *v) ? 4 : 1;
	return n;
}

static void build(const char *data, size_t size)
{
	static char scratch[8192];
	static const char *keys[MP_MSG_PAIRS_MAX + 2], *vals[MP_MSG_PAIRS_MAX + 2];
	static struct mp_msg_out o;
	int type = size ? (uint8_t)data[0] % (MEMPRESSURED_MSG_NR + 1) : 0;
	size_t len = size ? size - 1 : 0;
	size_t want, i;
	int nr = 0, j, n, r;
	bool valid = type < MEMPRESSURED_MSG_NR, has_id = false;
	uint64_t id = 0;
	char *p, *nl;

	for (i = 0; i < 8 && i < size; i++)
		id = id << 8 | (uint8_t)data[i];
	/* Lines after the first byte: key, value, key, value... */
	if (len > sizeof(scratch) - 1)
		len = sizeof(scratch) - 1;
	memcpy(scratch, data + (size > 0), len);
	scratch[len] = '\0';
	p = scratch;
	while (nr < MP_MSG_PAIRS_MAX + 2 && (nl = strchr(p, '\n'))) {
		*nl = '\0';
		keys[nr] = p;
		p = nl + 1;
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		vals[nr++] = p;
		if (!nl)
			break;
		p = nl + 1;
	}

	mp_msg_begin(&o, (enum mempressured_msg)type);
	want = valid ? strlen("msg=") + strlen(mp_msg_names[type]) : 0;
	for (j = 0; j < nr; j++) {
		mp_msg_add_name(&o, keys[j], vals[j]);
		valid = valid && key_ok(keys[j]);
		want += 2 + strlen(keys[j]) + escaped_len(vals[j]);
		has_id = has_id || !strcmp(keys[j], "id");
	}
	if (!has_id) {
		mp_msg_add_u64(&o, MEMPRESSURED_KEY_ID, id);
		want += strlen(" id=") + (size_t)snprintf(NULL, 0, "%" PRIu64, id);
	}
	n = mp_msg_end(&o);
	if (!valid || want > MEMPRESSURED_MSG_MAX) {
		FUZZ_CHECK(n == -EMSGSIZE, "%d for an unknown type, a bad key or %zu bytes",
			   n, want);
		return;
	}
	FUZZ_CHECK(n >= 0 && (size_t)n == want, "built %d bytes, not %zu", n, want);

	/* Duplicate keys and too many pairs: the caller's business. */
	if (nr + !has_id > MP_MSG_PAIRS_MAX)
		return;
	for (j = 0; j < nr; j++) {
		int k;

		if (!strcmp(keys[j], "msg"))
			return;
		for (k = 0; k < j; k++)
			if (!strcmp(keys[j], keys[k]))
				return;
	}
	r = mp_msg_parse(o.buf, (size_t)n, &back);
	FUZZ_CHECK(r == 0 && (int)back.type == type && back.nr == nr + !has_id,
		   "\"%.*s\" parses as %d", n, o.buf, r);
	for (j = 0; j < nr; j++)
		FUZZ_CHECK(!strcmp(back.key[j], keys[j]) && !strcmp(back.val[j], vals[j]),
			   "pair %d: %s=\"%s\"", j, back.key[j], back.val[j]);
	if (!has_id) {
		uint64_t v;

		FUZZ_CHECK(!mp_msg_get_u64(&back, MEMPRESSURED_KEY_ID, &v) && v == id,
			   "id %" PRIu64, id);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parse_packet((const char *)data, size);
	build((const char *)data, size);
	return 0;
}
