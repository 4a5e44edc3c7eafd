/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The mempressured socket protocol's messages (docs/protocol.md): parse and
 * build.  Shared by the daemon, libmempressure and the CLI; no I/O here.
 */
#ifndef MP_PROTO_H
#define MP_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/mempressure.h>

#define MP_MSG_PAIRS_MAX	64

/* A received message, decoded.  Strings point into @buf. */
struct mp_msg {
	enum mempressured_msg type;
	int nr;					/* pairs after msg= */
	const char *key[MP_MSG_PAIRS_MAX];
	const char *val[MP_MSG_PAIRS_MAX];	/* unescaped */
	char buf[MEMPRESSURED_MSG_MAX + 1];
};

/*
 * Parse one packet.  0, or -EMSGSIZE (over MEMPRESSURED_MSG_MAX), -EINVAL
 * (not "key=value" pairs separated by single spaces, first one msg=, a bad
 * escape, an empty key, a NUL byte, a key twice, more than
 * MP_MSG_PAIRS_MAX pairs), -EPROTO (an unknown msg).
 */
int mp_msg_parse(const char *data, size_t len, struct mp_msg *m);

/* The value of a key, or NULL.  By enum, or by name for the status keys. */
const char *mp_msg_get(const struct mp_msg *m, enum mempressured_key k);
const char *mp_msg_get_name(const struct mp_msg *m, const char *key);
/* 0, -ENOENT (absent) or -EINVAL (not a decimal u64). */
int mp_msg_get_u64(const struct mp_msg *m, enum mempressured_key k,
		   uint64_t *v);

/* A message being built: begin, add pairs, end. */
struct mp_msg_out {
	char buf[MEMPRESSURED_MSG_MAX];
	size_t len;
	bool overflow;
};

void mp_msg_begin(struct mp_msg_out *o, enum mempressured_msg type);
void mp_msg_add_str(struct mp_msg_out *o, enum mempressured_key k,
		    const char *v);			/* escaped */
void mp_msg_add_u64(struct mp_msg_out *o, enum mempressured_key k,
		    uint64_t v);
void mp_msg_add_name(struct mp_msg_out *o, const char *key,
		     const char *v);			/* status keys */
/* The length to send, or -EMSGSIZE if it did not fit. */
int mp_msg_end(struct mp_msg_out *o);

extern const char *const mp_msg_names[MEMPRESSURED_MSG_NR];
extern const char *const mp_key_names[MEMPRESSURED_KEY_NR];
extern const char *const mp_trim_reason_names[MEMPRESSURED_TRIM_NR];
extern const char *const mp_stage_names[MEMPRESSURED_STAGE_NR];

/*
 * What "strict" means, in detail (docs/protocol.md):
 *  - keys are non-empty runs of [a-z0-9_]; the first key is msg;
 *  - values are never empty; space, tab, newline and backslash appear only
 *    as \ooo escapes (a raw tab or newline, a trailing newline included,
 *    is -EINVAL), and \000 is refused like a raw NUL byte;
 *  - as in the procfs tables, the empty string is sent as "-" and "-"
 *    itself as \055: a value "-" decodes to "" (mp_msg_add_str() of ""
 *    round-trips), a value \055 to "-";
 *  - numbers (mp_msg_get_u64()) are digits only: no sign, no space, no
 *    "max", at most UINT64_MAX.
 * The builders produce exactly this.  mp_msg_add_name() with a key the
 * parser would refuse marks the message as not fitting (-EMSGSIZE).
 */

/*
 * Reasons of msg=error (docs/protocol.md names only this one so far): the
 * daemon does not speak the client's protocol version.
 */
#define MP_ERROR_VERSION	"version"

/* The index of @s in @names, a table of @nr names as above, or -ENOENT. */
int mp_msg_lookup(const char *const *names, size_t nr, const char *s);

#endif /* MP_PROTO_H */
