/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MP_CONTROL_PARSE_H
#define _MP_CONTROL_PARSE_H

#include "pure.h"

#ifndef __KERNEL__
#include <stddef.h>
#endif

#include <linux/mempressure.h>

/* What a control line asks for (docs/control.md, "Writing"). */
enum mp_ctl_op {
	MP_CTL_OP_SET,		/* set NAME VALUE */
	MP_CTL_OP_SOFT,		/* soft CGROUP BYTES|PCT%|default */
	MP_CTL_OP_SOFT_PID,	/* soft-pid PID BYTES|none */
	MP_CTL_OP_NR
};

/* How the value of a soft or soft-pid command is to be read. */
enum mp_ctl_soft {
	MP_CTL_SOFT_BYTES,	/* value is a byte count, at least 1 */
	MP_CTL_SOFT_PCT,	/* value is 1-100, % of the effective limit */
	MP_CTL_SOFT_DEFAULT,	/* "default": soft_pct of the effective limit */
	MP_CTL_SOFT_NONE,	/* "none": remove the process's soft limit */
	MP_CTL_SOFT_NR
};

/*
 * The largest pid a soft-pid command may name: PID_MAX_LIMIT of a 64-bit
 * kernel, which no pid namespace can exceed.  Anything above cannot be a
 * process, so it is refused as malformed before any lookup.
 */
#define MP_CTL_PID_MAX		(4 * 1024 * 1024)

/*
 * The most commands one write can hold: every command is at least as long
 * as "soft / 1", and all but the last end in a newline.
 */
#define MP_CTL_CMDS_MAX		((MEMPRESSURE_CTL_WRITE_MAX + 1) /	\
				 sizeof(MEMPRESSURE_CTL_SOFT " / 1"))

/* Room for any "set NAME VALUE\n" line and its NUL, even for U64_MAX. */
#define MP_CTL_TUNABLE_LINE_MAX	64

/*
 * One parsed command.  @path points into the buffer the caller gave the
 * parser and holds the unescaped cgroup path, NUL-terminated; it is valid
 * only for MP_CTL_OP_SOFT and only as long as that buffer.
 */
struct mp_ctl_cmd {
	enum mp_ctl_op op;
	enum mempressure_tunable tunable;	/* MP_CTL_OP_SET */
	enum mp_ctl_soft soft;			/* SOFT and SOFT_PID */
	u32 pid;				/* MP_CTL_OP_SOFT_PID */
	u64 value;	/* SET: the tunable's value; BYTES: bytes; PCT: 1-100 */
	const char *path;			/* MP_CTL_OP_SOFT */
	size_t path_len;			/* strlen(@path) */
	int line;	/* mp_ctl_parse(): its line in the write, from 1 */
};

/*
 * A whole write, parsed.  The paths of all its soft commands fit in @paths:
 * each one, with its NUL, is shorter than the line it came from.  About
 * 25 KiB: allocate it, do not put it on the stack.
 */
struct mp_ctl_batch {
	int nr_cmds;
	int bad_line;		/* 1-based line of the error, 0 if none */
	struct mp_ctl_cmd cmds[MP_CTL_CMDS_MAX];
	char paths[MEMPRESSURE_CTL_WRITE_MAX];
};

const char *mp_ctl_name(enum mempressure_tunable t);
u64 mp_ctl_min(enum mempressure_tunable t);
u64 mp_ctl_max(enum mempressure_tunable t);
u64 mp_ctl_default(enum mempressure_tunable t);
bool mp_ctl_is_hundredths(enum mempressure_tunable t);
int mp_ctl_check(enum mempressure_tunable t, u64 value);
int mp_ctl_lookup(const char *name, size_t len);
int mp_ctl_parse_value(enum mempressure_tunable t, const char *s, size_t len,
		       u64 *value);
int mp_ctl_check_path(const char *path, size_t len);

int mp_ctl_parse_line(const char *line, size_t len, struct mp_ctl_cmd *cmd,
		      char *path, size_t path_size);
int mp_ctl_parse(const char *buf, size_t len, struct mp_ctl_batch *batch);

int mp_ctl_format_value(char *buf, size_t size, enum mempressure_tunable t,
			u64 value);
int mp_ctl_format_tunable(char *buf, size_t size, enum mempressure_tunable t,
			  u64 value);
int mp_ctl_escape(char *buf, size_t size, const char *s);
int mp_ctl_format_cmd(char *buf, size_t size, const struct mp_ctl_cmd *cmd);

#endif /* _MP_CONTROL_PARSE_H */
