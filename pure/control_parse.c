// SPDX-License-Identifier: GPL-2.0
/*
 * Parsing and printing /proc/mempressure/control (docs/control.md).
 *
 * A write is applied completely or not at all, so the module parses all of
 * it before it touches anything; this file does that parsing, and nothing
 * else: no locking, no allocation, no lookups.  Whether a cgroup or a pid
 * exists (ENOENT, ESRCH) and whether there is room for one more soft limit
 * (ENOSPC) are the caller's business; everything that can be decided from
 * the text alone is decided here, so the host unit tests cover all of it.
 *
 * Errors follow the table of docs/control.md with one rule for lines that
 * could be refused for two reasons: a line that is malformed anywhere is
 * EINVAL, and ERANGE is only for a well-formed line whose number is outside
 * its tunable's range or does not fit in 64 bits.  Only a tunable has a
 * range in that sense: a percent outside 1-100, a pid outside
 * 1-MP_CTL_PID_MAX and a byte count of 0 are malformed (EINVAL), as the
 * table says of percents and of BYTES.  leak_window is 10, 60 or 300 (the
 * growth windows of window.c); any other value is outside its range: ERANGE.
 *
 * Userspace checks what it writes with the same functions (mp_ctl_lookup(),
 * mp_ctl_parse_value(), mp_ctl_check_path()): the CLI refuses a value
 * before writing it exactly when the module would.
 *
 * Reading the file back prints every setting as the command that sets it,
 * with the helpers at the end of this file.  They print exactly what the
 * parser accepts (two decimals for PSI thresholds, \ooo escapes for paths),
 * so what is read can be written back unchanged.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/string.h>
#else
#include <errno.h>
#include <string.h>
#endif

#include "control_parse.h"

#define MP_U64_MAX	(~(u64)0)
#define MP_INT_MAX	((int)(~0U >> 1))

/* The tunables' names, bounds and defaults, from MEMPRESSURE_TUNABLES. */
struct mp_ctl_tunable {
	const char *name;
	u64 min;
	u64 max;
	u64 def;
};

#define MP_CTL_TUNABLE(e, n, lo, hi, d)					\
	[MEMPRESSURE_TUNABLE_##e] = {					\
		.name = n, .min = lo, .max = hi, .def = d		\
	},

static const struct mp_ctl_tunable mp_ctl_tunables[MEMPRESSURE_TUNABLE_NR] = {
	MEMPRESSURE_TUNABLES(MP_CTL_TUNABLE)
};

static bool mp_ctl_valid(enum mempressure_tunable t)
{
	return (unsigned int)t < MEMPRESSURE_TUNABLE_NR;
}

/**
 * mp_ctl_name() - the name a tunable is written with
 * @t: the tunable
 *
 * Return: its name, or NULL if @t is not a tunable.
 */
const char *mp_ctl_name(enum mempressure_tunable t)
{
	return mp_ctl_valid(t) ? mp_ctl_tunables[t].name : NULL;
}

/**
 * mp_ctl_min() - the smallest value a tunable accepts
 * @t: the tunable
 *
 * Return: the minimum, in the tunable's unit (hundredths for PSI), or 0 if
 * @t is not a tunable.
 */
u64 mp_ctl_min(enum mempressure_tunable t)
{
	return mp_ctl_valid(t) ? mp_ctl_tunables[t].min : 0;
}

/**
 * mp_ctl_max() - the largest value a tunable accepts
 * @t: the tunable
 *
 * Return: the maximum, in the tunable's unit, or 0 if @t is not a tunable.
 */
u64 mp_ctl_max(enum mempressure_tunable t)
{
	return mp_ctl_valid(t) ? mp_ctl_tunables[t].max : 0;
}

/**
 * mp_ctl_default() - a tunable's value until it is set
 * @t: the tunable
 *
 * Return: the default, in the tunable's unit, or 0 if @t is not a tunable.
 */
u64 mp_ctl_default(enum mempressure_tunable t)
{
	return mp_ctl_valid(t) ? mp_ctl_tunables[t].def : 0;
}

/**
 * mp_ctl_is_hundredths() - whether a tunable is a PSI threshold
 * @t: the tunable
 *
 * PSI thresholds are kept in hundredths of a percent and written with up
 * to two decimals, as the tables print PSI; every other tunable is a whole
 * number.
 *
 * Return: true for the PSI thresholds.
 */
bool mp_ctl_is_hundredths(enum mempressure_tunable t)
{
	switch (t) {
	case MEMPRESSURE_TUNABLE_PSI_LOW:
	case MEMPRESSURE_TUNABLE_PSI_MEDIUM:
	case MEMPRESSURE_TUNABLE_PSI_CRITICAL:
		return true;
	default:
		return false;
	}
}

/**
 * mp_ctl_check() - whether a value is in a tunable's range
 * @t: the tunable
 * @value: the value, in the tunable's unit
 *
 * The parser's check of a set command's value (mp_ctl_parse_value()),
 * the one place that says which values a tunable takes.  The module calls
 * it only through the parser (its interval_ms parameter is checked against
 * mp_ctl_min() and mp_ctl_max(), to say the range in its error); userspace
 * calls it too.
 *
 * Return: 0, -ERANGE if @value is outside the range, or -EINVAL if @t is
 * not a tunable.
 */
int mp_ctl_check(enum mempressure_tunable t, u64 value)
{
	if (!mp_ctl_valid(t))
		return -EINVAL;
	if (value < mp_ctl_tunables[t].min || value > mp_ctl_tunables[t].max)
		return -ERANGE;
	if (t != MEMPRESSURE_TUNABLE_LEAK_WINDOW)
		return 0;
	/*
	 * A leak is judged over one of the growth windows the module already
	 * measures (enum mp_window of window.h): no other length has a rate.
	 * selftests/host/test_window.c checks that these are its windows.
	 */
	switch (value) {
	case 10:
	case 60:
	case 300:
		return 0;
	default:
		return -ERANGE;
	}
}

/* A field of a line: not NUL-terminated. */
struct mp_ctl_field {
	const char *s;
	size_t len;
};

static bool mp_ctl_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool mp_ctl_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool mp_ctl_is_octal(char c)
{
	return c >= '0' && c <= '7';
}

static bool mp_ctl_field_is(const struct mp_ctl_field *f, const char *s)
{
	return f->len == strlen(s) && !memcmp(f->s, s, f->len);
}

/*
 * Split @line at runs of blanks into at most @max fields.  Returns the
 * number of fields, or @max + 1 if there are more: any extra field is an
 * error, whatever it holds.
 */
static int mp_ctl_split(const char *line, size_t len,
			struct mp_ctl_field *fields, int max)
{
	size_t i = 0;
	int n = 0;

	for (;;) {
		size_t start;

		while (i < len && mp_ctl_is_blank(line[i]))
			i++;
		if (i == len)
			return n;
		if (n == max)
			return max + 1;
		start = i;
		while (i < len && !mp_ctl_is_blank(line[i]))
			i++;
		fields[n].s = line + start;
		fields[n].len = i - start;
		n++;
	}
}

/*
 * A decimal number: one or more digits and nothing else, so no sign, no
 * "0x", no suffix.  Leading zeros are digits like any other.  The whole
 * field is checked before its value, so "99999999999999999999x" is
 * malformed (EINVAL) rather than too big (ERANGE).
 */
static int mp_ctl_u64(const char *s, size_t len, u64 *value)
{
	u64 x = 0;
	size_t i;

	if (!len)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!mp_ctl_is_digit(s[i]))
			return -EINVAL;
	for (i = 0; i < len; i++) {
		unsigned int d = s[i] - '0';

		if (x > MP_U64_MAX / 10 ||
		    (x == MP_U64_MAX / 10 && d > MP_U64_MAX % 10))
			return -ERANGE;
		x = x * 10 + d;
	}
	*value = x;
	return 0;
}

/*
 * A percentage with up to two decimals ("10", "10.5", "10.00"), in
 * hundredths.  A point must have digits on both sides: "10." and ".5" are
 * malformed, and so is a third decimal, which would be silently lost.
 */
static int mp_ctl_hundredths(const char *s, size_t len, u64 *value)
{
	const char *dot = memchr(s, '.', len);
	size_t ilen = dot ? (size_t)(dot - s) : len;
	size_t flen = dot ? len - ilen - 1 : 0;
	unsigned int frac = 0;
	size_t i;
	u64 x;
	int ret;

	if (dot && (flen < 1 || flen > 2))
		return -EINVAL;
	for (i = 0; i < flen; i++) {
		if (!mp_ctl_is_digit(dot[1 + i]))
			return -EINVAL;
		frac = frac * 10 + (dot[1 + i] - '0');
	}
	if (flen == 1)
		frac *= 10;
	ret = mp_ctl_u64(s, ilen, &x);
	if (ret)
		return ret;
	if (x > MP_U64_MAX / 100 ||
	    (x == MP_U64_MAX / 100 && frac > MP_U64_MAX % 100))
		return -ERANGE;
	*value = x * 100 + frac;
	return 0;
}

/**
 * mp_ctl_lookup() - the tunable a name stands for
 * @name: the name; need not be NUL-terminated
 * @len: its length
 *
 * Return: the tunable, or -EINVAL if no tunable has that name.
 */
int mp_ctl_lookup(const char *name, size_t len)
{
	struct mp_ctl_field f = { .s = name, .len = len };
	int t;

	for (t = 0; t < MEMPRESSURE_TUNABLE_NR; t++)
		if (mp_ctl_field_is(&f, mp_ctl_tunables[t].name))
			return t;
	return -EINVAL;
}

/**
 * mp_ctl_parse_value() - read a tunable's value as "set" takes it
 * @t: the tunable
 * @s: the value; need not be NUL-terminated
 * @len: its length
 * @value: where to store it, in the tunable's unit
 *
 * A whole decimal number, or for a PSI threshold (mp_ctl_is_hundredths())
 * a percentage with up to two decimals, within the tunable's range
 * (mp_ctl_check()).
 *
 * Return: 0; -EINVAL if the value is malformed or @t is not a tunable;
 * -ERANGE if it is outside the range or does not fit in 64 bits.
 */
int mp_ctl_parse_value(enum mempressure_tunable t, const char *s, size_t len,
		       u64 *value)
{
	int ret;

	if (!mp_ctl_valid(t))
		return -EINVAL;
	if (mp_ctl_is_hundredths(t))
		ret = mp_ctl_hundredths(s, len, value);
	else
		ret = mp_ctl_u64(s, len, value);
	return ret ? ret : mp_ctl_check(t, *value);
}

/* "set NAME VALUE" */
static int mp_ctl_parse_set(const struct mp_ctl_field *f,
			    struct mp_ctl_cmd *cmd)
{
	int t = mp_ctl_lookup(f[1].s, f[1].len);
	int ret;

	if (t < 0)
		return t;
	ret = mp_ctl_parse_value(t, f[2].s, f[2].len, &cmd->value);
	if (ret)
		return ret;
	cmd->op = MP_CTL_OP_SET;
	cmd->tunable = t;
	return 0;
}

/**
 * mp_ctl_check_path() - whether a cgroup path has the shape the file takes
 * @path: the path, decoded (no escapes); need not be NUL-terminated
 * @len: its length
 *
 * Paths are absolute and canonical: "/" or "/a/b", never "", "a", "/a/",
 * "/a//b", "/./a" or "/a/../b".
 *
 * Return: 0, or -EINVAL for any other shape.
 */
int mp_ctl_check_path(const char *path, size_t len)
{
	size_t i, comp = 0;

	if (!len || path[0] != '/')
		return -EINVAL;
	if (len == 1)
		return 0;
	/* Each component runs from after a '/' to the next '/' or the end. */
	for (i = 1; i <= len; i++) {
		if (i < len && path[i] != '/')
			continue;
		if (i == comp + 1 ||
		    (i == comp + 2 && path[comp + 1] == '.') ||
		    (i == comp + 3 && path[comp + 1] == '.' &&
		     path[comp + 2] == '.'))
			return -EINVAL;
		comp = i;
	}
	return 0;
}

/*
 * Decode a cgroup path into @out and check its shape (mp_ctl_check_path()).
 * The only escape is a backslash and exactly three octal digits, as the
 * tables print; one for NUL would cut the path short, and one above \377
 * is not a byte.  The shape is checked on the decoded path, the one that
 * will be looked up, so "\056\056" is refused as "..".
 */
static int mp_ctl_path(const struct mp_ctl_field *f, char *out, size_t size,
		       size_t *out_len)
{
	const char *s = f->s;
	size_t i, n = 0;

	for (i = 0; i < f->len; i++) {
		unsigned char c = s[i];

		if (c == '\\') {
			if (f->len - i < 4 || !mp_ctl_is_octal(s[i + 1]) ||
			    !mp_ctl_is_octal(s[i + 2]) ||
			    !mp_ctl_is_octal(s[i + 3]) || s[i + 1] > '3')
				return -EINVAL;
			c = (s[i + 1] - '0') << 6 | (s[i + 2] - '0') << 3 |
			    (s[i + 3] - '0');
			if (!c)
				return -EINVAL;
			i += 3;
		}
		if (n + 1 >= size)
			return -ENAMETOOLONG;
		out[n++] = c;
	}
	if (!size)
		return -ENAMETOOLONG;
	out[n] = '\0';
	*out_len = n;
	return mp_ctl_check_path(out, n);
}

/* A malformed field makes the line EINVAL, whatever else is wrong with it. */
static int mp_ctl_worst(int a, int b)
{
	if (a == -EINVAL || b == -EINVAL)
		return -EINVAL;
	return a ? a : b;
}

/* A byte count: at least 1, or it would be no limit at all. */
static int mp_ctl_bytes(const struct mp_ctl_field *f, u64 *value)
{
	int ret = mp_ctl_u64(f->s, f->len, value);

	if (!ret && !*value)
		return -EINVAL;
	return ret;
}

/* "soft CGROUP BYTES|PCT%|default" */
static int mp_ctl_parse_soft(const struct mp_ctl_field *f,
			     struct mp_ctl_cmd *cmd, char *path,
			     size_t path_size)
{
	const struct mp_ctl_field *v = &f[2];
	int ret;

	ret = mp_ctl_path(&f[1], path, path_size, &cmd->path_len);
	if (ret)
		return ret;

	if (mp_ctl_field_is(v, MEMPRESSURE_CTL_DEFAULT)) {
		cmd->soft = MP_CTL_SOFT_DEFAULT;
		cmd->value = 0;
	} else if (v->s[v->len - 1] == '%') {
		cmd->soft = MP_CTL_SOFT_PCT;
		ret = mp_ctl_u64(v->s, v->len - 1, &cmd->value);
		if (!ret && (cmd->value < 1 || cmd->value > 100))
			ret = -EINVAL;
	} else {
		cmd->soft = MP_CTL_SOFT_BYTES;
		ret = mp_ctl_bytes(v, &cmd->value);
	}
	if (ret)
		return ret;
	cmd->op = MP_CTL_OP_SOFT;
	cmd->path = path;
	return 0;
}

/* "soft-pid PID BYTES|none" */
static int mp_ctl_parse_soft_pid(const struct mp_ctl_field *f,
				 struct mp_ctl_cmd *cmd)
{
	u64 pid = 0;
	int ret, ret2 = 0;

	ret = mp_ctl_u64(f[1].s, f[1].len, &pid);
	if (!ret && (pid < 1 || pid > MP_CTL_PID_MAX))
		ret = -EINVAL;

	if (mp_ctl_field_is(&f[2], MEMPRESSURE_CTL_NONE)) {
		cmd->soft = MP_CTL_SOFT_NONE;
		cmd->value = 0;
	} else {
		cmd->soft = MP_CTL_SOFT_BYTES;
		ret2 = mp_ctl_bytes(&f[2], &cmd->value);
	}
	ret = mp_ctl_worst(ret, ret2);
	if (ret)
		return ret;
	cmd->op = MP_CTL_OP_SOFT_PID;
	cmd->pid = pid;
	return 0;
}

/**
 * mp_ctl_parse_line() - parse one line of a write to the control file
 * @line: the line, without its newline; need not be NUL-terminated
 * @len: its length
 * @cmd: where to store the command
 * @path: where a soft command's cgroup path is decoded to
 * @path_size: the size of @path; @len bytes always suffice, since the path
 *	is shorter than the line once decoded, NUL included
 *
 * Blanks around and between fields are spaces and tabs only: a carriage
 * return is an ordinary character, so a line ending in "\r\n" is refused
 * rather than half-understood.  A NUL byte anywhere, even in a comment, is
 * refused: it cannot be printed in the kernel log the module reports the
 * line in, and it is never what the writer meant.  "#" after any leading
 * blanks starts a comment; it does not start one after a command.
 *
 * Return: 0 with @cmd filled in; 1 for a blank or comment line, with @cmd
 * untouched; -EINVAL for a malformed line or one over
 * MEMPRESSURE_CTL_WRITE_MAX bytes; -ERANGE for a number outside its
 * tunable's range or over 64 bits; -ENAMETOOLONG if @path_size is too
 * small.  On an error @cmd and @path hold garbage.
 */
int mp_ctl_parse_line(const char *line, size_t len, struct mp_ctl_cmd *cmd,
		      char *path, size_t path_size)
{
	struct mp_ctl_field f[3];
	size_t i;
	int n;

	if (len > MEMPRESSURE_CTL_WRITE_MAX || memchr(line, '\0', len))
		return -EINVAL;
	for (i = 0; i < len && mp_ctl_is_blank(line[i]); i++)
		;
	if (i == len || line[i] == '#')
		return 1;

	*cmd = (struct mp_ctl_cmd){ 0 };
	n = mp_ctl_split(line, len, f, 3);
	if (n != 3)
		return -EINVAL;
	if (mp_ctl_field_is(&f[0], MEMPRESSURE_CTL_SET))
		return mp_ctl_parse_set(f, cmd);
	if (mp_ctl_field_is(&f[0], MEMPRESSURE_CTL_SOFT))
		return mp_ctl_parse_soft(f, cmd, path, path_size);
	if (mp_ctl_field_is(&f[0], MEMPRESSURE_CTL_SOFT_PID))
		return mp_ctl_parse_soft_pid(f, cmd);
	return -EINVAL;
}

/**
 * mp_ctl_parse() - parse a whole write to the control file
 * @buf: what was written; need not be NUL-terminated
 * @len: its length
 * @batch: where to store the commands, and their paths
 *
 * Lines end in "\n"; the last one may leave it out.  Every line is parsed
 * before this returns, and on an error no command is reported, so the
 * caller cannot apply half a write by mistake.
 *
 * Return: 0 with @batch->nr_cmds commands in @batch->cmds (blank and
 * comment lines are left out, so each command carries its line number, for
 * errors found when it is applied), or the error of the first bad line
 * (see mp_ctl_parse_line()) with @batch->bad_line its number, counting
 * from 1, and @batch->nr_cmds 0.  A write over MEMPRESSURE_CTL_WRITE_MAX
 * bytes is -EINVAL with @batch->bad_line 0: no line in particular is at
 * fault.
 */
int mp_ctl_parse(const char *buf, size_t len, struct mp_ctl_batch *batch)
{
	size_t pos = 0, used = 0;
	int line = 0;

	batch->nr_cmds = 0;
	batch->bad_line = 0;
	if (len > MEMPRESSURE_CTL_WRITE_MAX)
		return -EINVAL;

	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len;
		struct mp_ctl_cmd cmd;
		int ret;

		line++;
		ret = mp_ctl_parse_line(buf + pos, end - pos, &cmd,
					batch->paths + used,
					sizeof(batch->paths) - used);
		/* MP_CTL_CMDS_MAX is enough: a longer write has a bad line. */
		if (!ret && batch->nr_cmds == MP_CTL_CMDS_MAX)
			ret = -EINVAL;
		if (ret < 0) {
			batch->nr_cmds = 0;
			batch->bad_line = line;
			return ret;
		}
		if (!ret) {
			if (cmd.op == MP_CTL_OP_SOFT)
				used += cmd.path_len + 1;
			cmd.line = line;
			batch->cmds[batch->nr_cmds++] = cmd;
		}
		pos = end + 1;
	}
	return 0;
}

/*
 * Output into a fixed buffer that keeps counting past its end, so that
 * running out of room is found once, at the end, as snprintf() does.
 */
struct mp_ctl_out {
	char *buf;
	size_t size;
	size_t len;
};

static void mp_ctl_putc(struct mp_ctl_out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void mp_ctl_puts(struct mp_ctl_out *o, const char *s)
{
	while (*s)
		mp_ctl_putc(o, *s++);
}

static void mp_ctl_put_u64(struct mp_ctl_out *o, u64 v)
{
	char digits[20];
	int n = 0;

	do {
		u64 q = div64_u64(v, 10);

		digits[n++] = '0' + (char)(v - q * 10);
		v = q;
	} while (v);
	while (n)
		mp_ctl_putc(o, digits[--n]);
}

/* Hundredths as the parser reads them: always two decimals. */
static void mp_ctl_put_hundredths(struct mp_ctl_out *o, u64 v)
{
	u64 q = div64_u64(v, 100);
	unsigned int frac = v - q * 100;

	mp_ctl_put_u64(o, q);
	mp_ctl_putc(o, '.');
	mp_ctl_putc(o, '0' + frac / 10);
	mp_ctl_putc(o, '0' + frac % 10);
}

/* Space, tab, newline and backslash as \ooo; so are fields split. */
static void mp_ctl_put_escaped(struct mp_ctl_out *o, const char *s)
{
	for (; *s; s++) {
		unsigned char c = *s;

		if (!strchr(MEMPRESSURE_ESCAPED_CHARS, c)) {
			mp_ctl_putc(o, c);
			continue;
		}
		mp_ctl_putc(o, '\\');
		mp_ctl_putc(o, '0' + (c >> 6));
		mp_ctl_putc(o, '0' + ((c >> 3) & 7));
		mp_ctl_putc(o, '0' + (c & 7));
	}
}

/* NUL-terminate; the length, or -ENOSPC if it did not all fit. */
static int mp_ctl_out_end(struct mp_ctl_out *o)
{
	if (o->len >= o->size || o->len > MP_INT_MAX) {
		if (o->size)
			o->buf[0] = '\0';
		return -ENOSPC;
	}
	o->buf[o->len] = '\0';
	return o->len;
}

/* A tunable's value as the parser reads it. */
static void mp_ctl_put_value(struct mp_ctl_out *o, enum mempressure_tunable t,
			     u64 value)
{
	if (mp_ctl_is_hundredths(t))
		mp_ctl_put_hundredths(o, value);
	else
		mp_ctl_put_u64(o, value);
}

/**
 * mp_ctl_format_value() - print a tunable's value as "set" takes it
 * @buf: where to print
 * @size: the size of @buf; MP_CTL_TUNABLE_LINE_MAX always suffices
 * @t: the tunable
 * @value: the value, in its unit; printed even if out of range
 *
 * Return: the length printed, without the NUL; -ENOSPC if it does not fit
 * in @size bytes with its NUL (@buf is then empty); -EINVAL if @t is not a
 * tunable.
 */
int mp_ctl_format_value(char *buf, size_t size, enum mempressure_tunable t,
			u64 value)
{
	struct mp_ctl_out o = { .buf = buf, .size = size };

	if (!mp_ctl_valid(t))
		return -EINVAL;
	mp_ctl_put_value(&o, t, value);
	return mp_ctl_out_end(&o);
}

/**
 * mp_ctl_format_tunable() - print a tunable as the command that sets it
 * @buf: where to print
 * @size: the size of @buf; MP_CTL_TUNABLE_LINE_MAX always suffices
 * @t: the tunable
 * @value: its value, in its unit
 *
 * Prints "set NAME VALUE\n", a PSI threshold with exactly two decimals, so
 * that mp_ctl_parse_line() reads back @value.
 *
 * Return: the length printed, without the NUL; -ENOSPC if it does not fit
 * in @size bytes with its NUL (@buf is then empty); -EINVAL if @t is not a
 * tunable.
 */
int mp_ctl_format_tunable(char *buf, size_t size, enum mempressure_tunable t,
			  u64 value)
{
	struct mp_ctl_out o = { .buf = buf, .size = size };

	if (!mp_ctl_valid(t))
		return -EINVAL;
	mp_ctl_puts(&o, MEMPRESSURE_CTL_SET " ");
	mp_ctl_puts(&o, mp_ctl_tunables[t].name);
	mp_ctl_putc(&o, ' ');
	mp_ctl_put_value(&o, t, value);
	mp_ctl_putc(&o, '\n');
	return mp_ctl_out_end(&o);
}

/**
 * mp_ctl_escape() - escape a string as one field of a line
 * @buf: where to print
 * @size: the size of @buf; 4 * strlen(@s) + 1 always suffices
 * @s: the string, NUL-terminated
 *
 * Escapes the characters of MEMPRESSURE_ESCAPED_CHARS as \ooo, as the
 * tables do: a cgroup path read from the control file is then one field,
 * and writing it back decodes to @s.
 *
 * Return: the length printed, without the NUL, or -ENOSPC if it does not
 * fit in @size bytes with its NUL (@buf is then empty).
 */
int mp_ctl_escape(char *buf, size_t size, const char *s)
{
	struct mp_ctl_out o = { .buf = buf, .size = size };

	mp_ctl_put_escaped(&o, s);
	return mp_ctl_out_end(&o);
}

/**
 * mp_ctl_format_cmd() - print a command as a line of the control file
 * @buf: where to print
 * @size: the size of @buf
 * @cmd: the command, as mp_ctl_parse_line() stores it
 *
 * Return: the length printed, without the NUL; -ENOSPC if it does not fit
 * in @size bytes with its NUL (@buf is then empty); -EINVAL if @cmd is not
 * a command the parser could have produced.
 */
int mp_ctl_format_cmd(char *buf, size_t size, const struct mp_ctl_cmd *cmd)
{
	struct mp_ctl_out o = { .buf = buf, .size = size };

	switch (cmd->op) {
	case MP_CTL_OP_SET:
		return mp_ctl_format_tunable(buf, size, cmd->tunable,
					     cmd->value);
	case MP_CTL_OP_SOFT:
		if (!cmd->path)
			return -EINVAL;
		mp_ctl_puts(&o, MEMPRESSURE_CTL_SOFT " ");
		mp_ctl_put_escaped(&o, cmd->path);
		mp_ctl_putc(&o, ' ');
		if (cmd->soft == MP_CTL_SOFT_DEFAULT) {
			mp_ctl_puts(&o, MEMPRESSURE_CTL_DEFAULT);
		} else if (cmd->soft == MP_CTL_SOFT_PCT ||
			   cmd->soft == MP_CTL_SOFT_BYTES) {
			mp_ctl_put_u64(&o, cmd->value);
			if (cmd->soft == MP_CTL_SOFT_PCT)
				mp_ctl_putc(&o, '%');
		} else {
			return -EINVAL;
		}
		break;
	case MP_CTL_OP_SOFT_PID:
		mp_ctl_puts(&o, MEMPRESSURE_CTL_SOFT_PID " ");
		mp_ctl_put_u64(&o, cmd->pid);
		mp_ctl_putc(&o, ' ');
		if (cmd->soft == MP_CTL_SOFT_NONE)
			mp_ctl_puts(&o, MEMPRESSURE_CTL_NONE);
		else if (cmd->soft == MP_CTL_SOFT_BYTES)
			mp_ctl_put_u64(&o, cmd->value);
		else
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	mp_ctl_putc(&o, '\n');
	return mp_ctl_out_end(&o);
}
