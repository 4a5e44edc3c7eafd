/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Parsers for the /proc/mempressure formats (docs/procfs.md): header-keyed
 * tables and "key value" files.  Pure functions over a buffer, so tests and
 * fuzzers feed them text; no I/O except mp_read_file().  Errors are -errno.
 */
#ifndef MP_TABLE_H
#define MP_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A parsed table: the text split in place into cells. */
struct mp_table {
	char *text;		/* owned copy of the input */
	char **cells;		/* nr_rows x nr_cols, row-major */
	char **names;		/* the header's column names */
	size_t nr_cols;
	size_t nr_rows;
};

/*
 * Parse @len bytes of @text.  The first line names the columns; every
 * other line must have exactly that many fields.  -EINVAL on a malformed
 * table (no header, a duplicate column name, a row of the wrong width),
 * -ENOMEM.  On success the caller frees with mp_table_free().
 */
int mp_table_parse(const char *text, size_t len, struct mp_table *t);
void mp_table_free(struct mp_table *t);

/* Index of column @name, or -ENOENT.  Columns are found by name only. */
int mp_table_column(const struct mp_table *t, const char *name);

/* The raw (still escaped) cell at @row, @col. */
const char *mp_table_cell(const struct mp_table *t, size_t row, size_t col);

/* First row whose cell in column @col equals @value, or -ENOENT. */
long mp_table_find(const struct mp_table *t, size_t col, const char *value);

/*
 * Decode a cell: \ooo octal escapes to bytes, "-" (not applicable) to
 * -ENODATA.  -ENAMETOOLONG if @out (of @size bytes) is too small, -EINVAL
 * for a malformed escape.
 */
int mp_unescape(const char *cell, char *out, size_t size);

/*
 * Numbers.  "max" is UINT64_MAX for mp_parse_u64(); "-" is -ENODATA;
 * anything but a whole decimal number in range is -EINVAL or -ERANGE.
 */
int mp_parse_u64(const char *cell, uint64_t *v);
int mp_parse_s64(const char *cell, int64_t *v);

/*
 * "key value" lines (the status file).  Finds @key in @len bytes of @text
 * and copies its value, up to the end of the line, into @out.  -ENOENT if
 * the key is absent, -ENAMETOOLONG if @out is too small.
 */
int mp_kv_get(const char *text, size_t len, const char *key, char *out,
	      size_t size);
int mp_kv_get_u64(const char *text, size_t len, const char *key,
		  uint64_t *v);

/*
 * Read a whole file (procfs files report size 0, so read to EOF) into a
 * NUL-terminated malloc'ed buffer.  The caller frees *buf.
 */
int mp_read_file(const char *path, char **buf, size_t *len);

/*
 * Read and parse table @file (MEMPRESSURE_FILE_*) of directory @dir: the
 * module's, MEMPRESSURE_PROC_PATH, or a test's fixture.  The one table
 * reader of the tools and the tests.  *@t is zeroed first, so that
 * mp_table_free() is safe after any error; -errno of the read, or of
 * mp_table_parse().
 */
int mp_table_read(const char *dir, const char *file, struct mp_table *t);

#endif /* MP_TABLE_H */
