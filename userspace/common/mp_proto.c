// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The mempressured socket protocol's messages: parse and build
 * (mp_proto.h, docs/protocol.md).
 *
 * A packet is parsed in place: it is copied into the message's buffer, the
 * separators are overwritten with NULs and every value is unescaped where
 * it lies (a decoded value is never longer than its escaped form), so keys
 * and values point into the one copy.  Strings are escaped as the procfs
 * tables escape them (mp_table.c's mp_unescape() decodes both).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <linux/mempressure.h>

#include "mp_proto.h"
#include "mp_table.h"

#define MP_PROTO_NAME(e, name)	name,

const char *const mp_msg_names[MEMPRESSURED_MSG_NR] = {
	MEMPRESSURED_MESSAGES(MP_PROTO_NAME)
};

const char *const mp_key_names[MEMPRESSURED_KEY_NR] = {
	MEMPRESSURED_KEYS(MP_PROTO_NAME)
};

const char *const mp_trim_reason_names[MEMPRESSURED_TRIM_NR] = {
	MEMPRESSURED_TRIM_REASONS(MP_PROTO_NAME)
};

const char *const mp_stage_names[MEMPRESSURED_STAGE_NR] = {
	MEMPRESSURED_STAGES(MP_PROTO_NAME)
};

int mp_msg_lookup(const char *const *names, size_t nr, const char *s)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (!strcmp(names[i], s))
			return (int)i;
	return -ENOENT;
}

/* Keys are snake_case names: what the builders write, nothing else. */
static bool key_valid(const char *key)
{
	if (!*key)
		return false;
	for (; *key; key++)
		if (!(*key >= 'a' && *key <= 'z') &&
		    !(*key >= '0' && *key <= '9') && *key != '_')
			return false;
	return true;
}

/*
 * Split "key=value" (NUL-terminated, no spaces) at its first '=' and
 * decode the value in place.
 */
static int split_pair(char *pair, const char **key, const char **val)
{
	char *eq = strchr(pair, '=');
	char *v;
	int err;

	if (!eq)
		return -EINVAL;
	*eq = '\0';
	v = eq + 1;
	if (!key_valid(pair) || !*v)
		return -EINVAL;
	/* Every backslash starts an escape, so this finds exactly \000. */
	if (strstr(v, "\\000"))
		return -EINVAL;
	err = mp_unescape(v, v, strlen(v) + 1);
	if (err == -ENODATA)
		*v = '\0';		/* "-" is the empty string */
	else if (err)
		return -EINVAL;
	*key = pair;
	*val = v;
	return 0;
}

static int parse(struct mp_msg *m, size_t len)
{
	char *p = m->buf, *sp;
	const char *key, *val;
	int type = -ENOENT;
	int i, err;

	if (memchr(m->buf, '\0', len) || strpbrk(m->buf, "\t\n"))
		return -EINVAL;
	for (;; p = sp + 1) {
		sp = strchr(p, ' ');
		if (sp)
			*sp = '\0';
		err = split_pair(p, &key, &val);
		if (err)
			return err;
		if (p == m->buf) {
			if (strcmp(key, mp_key_names[MEMPRESSURED_KEY_MSG]))
				return -EINVAL;
			type = mp_msg_lookup(mp_msg_names, MEMPRESSURED_MSG_NR,
					     val);
		} else {
			if (!strcmp(key, mp_key_names[MEMPRESSURED_KEY_MSG]))
				return -EINVAL;
			for (i = 0; i < m->nr; i++)
				if (!strcmp(key, m->key[i]))
					return -EINVAL;
			if (m->nr == MP_MSG_PAIRS_MAX)
				return -EINVAL;
			m->key[m->nr] = key;
			m->val[m->nr] = val;
			m->nr++;
		}
		if (!sp)
			break;
	}
	/* Well-formed, but of a kind this version does not know. */
	if (type < 0)
		return -EPROTO;
	m->type = (enum mempressured_msg)type;
	return 0;
}

int mp_msg_parse(const char *data, size_t len, struct mp_msg *m)
{
	int err;

	m->type = MEMPRESSURED_MSG_NR;
	m->nr = 0;
	if (len > MEMPRESSURED_MSG_MAX)
		return -EMSGSIZE;
	if (!len)
		return -EINVAL;
	memcpy(m->buf, data, len);
	m->buf[len] = '\0';
	err = parse(m, len);
	if (err) {
		m->type = MEMPRESSURED_MSG_NR;
		m->nr = 0;
	}
	return err;
}

const char *mp_msg_get_name(const struct mp_msg *m, const char *key)
{
	int i;

	if (!strcmp(key, mp_key_names[MEMPRESSURED_KEY_MSG]))
		return m->type < MEMPRESSURED_MSG_NR ? mp_msg_names[m->type] :
						       NULL;
	for (i = 0; i < m->nr; i++)
		if (!strcmp(m->key[i], key))
			return m->val[i];
	return NULL;
}

const char *mp_msg_get(const struct mp_msg *m, enum mempressured_key k)
{
	if ((unsigned int)k >= MEMPRESSURED_KEY_NR)
		return NULL;
	return mp_msg_get_name(m, mp_key_names[k]);
}

int mp_msg_get_u64(const struct mp_msg *m, enum mempressured_key k,
		   uint64_t *v)
{
	const char *s = mp_msg_get(m, k);
	uint64_t x = 0;

	if (!s)
		return -ENOENT;
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		unsigned int d = (unsigned int)(*s - '0');

		if (d > 9 || x > (UINT64_MAX - d) / 10)
			return -EINVAL;
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

/*
 * Append @n bytes.  A message that does not fit is marked and stays as it
 * was; mp_msg_end() then refuses it.
 */
static void put(struct mp_msg_out *o, const char *s, size_t n)
{
	if (o->overflow || n > sizeof(o->buf) - o->len) {
		o->overflow = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void put_key(struct mp_msg_out *o, const char *key)
{
	put(o, " ", 1);
	put(o, key, strlen(key));
	put(o, "=", 1);
}

/* As the tables print a string: escaped, never empty, never "-". */
static void put_escaped(struct mp_msg_out *o, const char *s)
{
	char esc[5];

	if (!*s) {
		put(o, MEMPRESSURE_NA, strlen(MEMPRESSURE_NA));
		return;
	}
	if (!strcmp(s, MEMPRESSURE_NA)) {
		put(o, "\\055", 4);
		return;
	}
	for (; *s; s++) {
		if (!strchr(MEMPRESSURE_ESCAPED_CHARS, *s)) {
			put(o, s, 1);
			continue;
		}
		snprintf(esc, sizeof(esc), "\\%03o", (unsigned char)*s);
		put(o, esc, 4);
	}
}

void mp_msg_begin(struct mp_msg_out *o, enum mempressured_msg type)
{
	const char *name = (unsigned int)type < MEMPRESSURED_MSG_NR ?
			   mp_msg_names[type] : NULL;

	o->len = 0;
	o->overflow = !name;
	if (!name)
		return;
	put(o, mp_key_names[MEMPRESSURED_KEY_MSG],
	    strlen(mp_key_names[MEMPRESSURED_KEY_MSG]));
	put(o, "=", 1);
	put(o, name, strlen(name));
}

void mp_msg_add_name(struct mp_msg_out *o, const char *key, const char *v)
{
	size_t len = o->len;

	if (!key_valid(key)) {
		o->overflow = true;
		return;
	}
	put_key(o, key);
	put_escaped(o, v);
	if (o->overflow)
		o->len = len;
}

void mp_msg_add_str(struct mp_msg_out *o, enum mempressured_key k,
		    const char *v)
{
	if ((unsigned int)k >= MEMPRESSURED_KEY_NR) {
		o->overflow = true;
		return;
	}
	mp_msg_add_name(o, mp_key_names[k], v);
}

void mp_msg_add_u64(struct mp_msg_out *o, enum mempressured_key k,
		    uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRIu64, v);
	mp_msg_add_str(o, k, num);
}

int mp_msg_end(struct mp_msg_out *o)
{
	if (o->overflow)
		return -EMSGSIZE;
	return (int)o->len;
}
