// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Parsers for the /proc/mempressure formats.  See mp_table.h and
 * docs/procfs.md.  Tables are split in place: one copy of the text, cells
 * pointing into it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/mempressure.h>

#include "mp_table.h"

/* Fields of @line: runs of anything but spaces. */
static size_t count_fields(const char *line)
{
	size_t n = 0;

	for (; *line; line++)
		n += *line != ' ' && (line[1] == ' ' || !line[1]);
	return n;
}

/* Split @line in place at spaces into at most @max fields; the count. */
static size_t split_fields(char *line, char **fields, size_t max)
{
	size_t n = 0;
	char *p = line;

	while (*p) {
		while (*p == ' ')
			*p++ = '\0';
		if (!*p)
			break;
		if (n < max)
			fields[n] = p;
		n++;
		while (*p && *p != ' ')
			p++;
	}
	return n;
}

static size_t count_lines(const char *text)
{
	size_t n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return n + 1;
}

int mp_table_parse(const char *text, size_t len, struct mp_table *t)
{
	char *line, *next;
	size_t max_rows, i, j;
	int err = -EINVAL;

	memset(t, 0, sizeof(*t));
	if (memchr(text, '\0', len))
		return -EINVAL;
	t->text = malloc(len + 1);
	if (!t->text)
		return -ENOMEM;
	memcpy(t->text, text, len);
	t->text[len] = '\0';

	line = t->text;
	next = strchr(line, '\n');
	if (next)
		*next++ = '\0';
	t->nr_cols = count_fields(line);
	if (!t->nr_cols)
		goto fail;
	t->names = calloc(t->nr_cols, sizeof(*t->names));
	if (!t->names) {
		err = -ENOMEM;
		goto fail;
	}
	if (split_fields(line, t->names, t->nr_cols) != t->nr_cols)
		goto fail;	/* cannot happen: both count the same fields */
	for (i = 0; i < t->nr_cols; i++)
		for (j = 0; j < i; j++)
			if (!strcmp(t->names[i], t->names[j]))
				goto fail;

	max_rows = next ? count_lines(next) : 0;
	if (max_rows > SIZE_MAX / t->nr_cols / sizeof(char *)) {
		err = -ENOMEM;
		goto fail;
	}
	t->cells = calloc(max_rows ? max_rows * t->nr_cols : 1,
			  sizeof(*t->cells));
	if (!t->cells) {
		err = -ENOMEM;
		goto fail;
	}
	while (next && *next) {
		line = next;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (split_fields(line, &t->cells[t->nr_rows * t->nr_cols],
				 t->nr_cols) != t->nr_cols)
			goto fail;
		t->nr_rows++;
	}
	return 0;

fail:
	mp_table_free(t);
	return err;
}

void mp_table_free(struct mp_table *t)
{
	free(t->cells);
	free(t->names);
	free(t->text);
	memset(t, 0, sizeof(*t));
}

int mp_table_column(const struct mp_table *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->nr_cols; i++)
		if (!strcmp(t->names[i], name))
			return (int)i;
	return -ENOENT;
}

const char *mp_table_cell(const struct mp_table *t, size_t row, size_t col)
{
	if (row >= t->nr_rows || col >= t->nr_cols)
		return NULL;
	return t->cells[row * t->nr_cols + col];
}

long mp_table_find(const struct mp_table *t, size_t col, const char *value)
{
	size_t row;

	if (col >= t->nr_cols)
		return -ENOENT;
	for (row = 0; row < t->nr_rows; row++)
		if (!strcmp(mp_table_cell(t, row, col), value))
			return (long)row;
	return -ENOENT;
}

static bool is_octal(char c)
{
	return c >= '0' && c <= '7';
}

int mp_unescape(const char *cell, char *out, size_t size)
{
	size_t n = 0;

	if (!strcmp(cell, MEMPRESSURE_NA))
		return -ENODATA;
	while (*cell) {
		char c = *cell++;

		if (c == '\\') {
			if (!is_octal(cell[0]) || !is_octal(cell[1]) ||
			    !is_octal(cell[2]) || cell[0] > '3')
				return -EINVAL;
			c = (char)((cell[0] - '0') << 6 | (cell[1] - '0') << 3 |
				   (cell[2] - '0'));
			cell += 3;
		}
		if (n + 1 >= size)
			return -ENAMETOOLONG;
		out[n++] = c;
	}
	if (!size)
		return -ENAMETOOLONG;
	out[n] = '\0';
	return 0;
}

int mp_parse_u64(const char *cell, uint64_t *v)
{
	unsigned long long x;
	char *end;

	if (!strcmp(cell, MEMPRESSURE_NA))
		return -ENODATA;
	if (!strcmp(cell, MEMPRESSURE_UNLIMITED)) {
		*v = UINT64_MAX;
		return 0;
	}
	if (*cell < '0' || *cell > '9')
		return -EINVAL;
	errno = 0;
	x = strtoull(cell, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE)
		return -ERANGE;
	*v = x;
	return 0;
}

int mp_parse_s64(const char *cell, int64_t *v)
{
	const char *digits = *cell == '-' ? cell + 1 : cell;
	long long x;
	char *end;

	if (!strcmp(cell, MEMPRESSURE_NA))
		return -ENODATA;
	if (*digits < '0' || *digits > '9')
		return -EINVAL;
	errno = 0;
	x = strtoll(cell, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE)
		return -ERANGE;
	*v = x;
	return 0;
}

int mp_kv_get(const char *text, size_t len, const char *key, char *out,
	      size_t size)
{
	size_t klen = strlen(key);
	const char *end = text + len;
	const char *line = text;

	while (line < end) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));

		if (!eol)
			eol = end;
		if ((size_t)(eol - line) > klen && !memcmp(line, key, klen) &&
		    line[klen] == ' ') {
			const char *value = line + klen + 1;
			size_t vlen = (size_t)(eol - value);

			if (vlen + 1 > size)
				return -ENAMETOOLONG;
			memcpy(out, value, vlen);
			out[vlen] = '\0';
			return 0;
		}
		line = eol + 1;
	}
	return -ENOENT;
}

int mp_kv_get_u64(const char *text, size_t len, const char *key, uint64_t *v)
{
	char value[32];
	int err;

	err = mp_kv_get(text, len, key, value, sizeof(value));
	if (err)
		return err == -ENAMETOOLONG ? -EINVAL : err;
	return mp_parse_u64(value, v);
}

int mp_table_read(const char *dir, const char *file, struct mp_table *t)
{
	char path[PATH_MAX], *buf;
	size_t len;
	int err;

	memset(t, 0, sizeof(*t));
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path))
		return -ENAMETOOLONG;
	err = mp_read_file(path, &buf, &len);
	if (err)
		return err;
	err = mp_table_parse(buf, len, t);
	free(buf);
	return err;
}

/*
 * -errno of the call that just failed, never 0: *buf is then not set.
 * (cppcheck knows errno is set then; clang's analyzer does not.)
 */
static int failed(void)
{
	int err = -errno;

	// cppcheck-suppress knownConditionTrueFalse
	return err ? err : -EIO;
}

int mp_read_file(const char *path, char **buf, size_t *len)
{
	size_t size = 16384, n = 0;
	char *p, *bigger;
	ssize_t r;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return failed();
	p = malloc(size);
	if (!p) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		if (n + 1 >= size) {
			bigger = realloc(p, size * 2);
			if (!bigger) {
				err = -ENOMEM;
				goto fail;
			}
			p = bigger;
			size *= 2;
		}
		r = read(fd, p + n, size - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = failed();
			goto fail;
		}
		if (!r)
			break;
		n += (size_t)r;
	}
	close(fd);
	p[n] = '\0';
	*buf = p;
	*len = n;
	return 0;

fail:
	close(fd);
	free(p);
	return err;
}
