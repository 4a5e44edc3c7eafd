// SPDX-License-Identifier: GPL-2.0
/*
 * The procfs tables, /proc/mempressure/processes and cgroups, as
 * userspace/common/mp_table.c parses them (docs/procfs.md).  The input is
 * a whole file.
 *
 * Invariants:
 *  - a table is refused with EINVAL (or ENOMEM) and then holds nothing;
 *    one with a NUL byte is always refused;
 *  - an accepted table has at least one column, unique non-empty names,
 *    as many cells in every row, each a non-empty run of anything but
 *    spaces and newlines, and no more rows than lines;
 *  - lookups agree with the cells: mp_table_column() finds each name at
 *    its index (the columns of <linux/mempressure.h> included, or
 *    -ENOENT), mp_table_find() finds each cell at or before its row,
 *    mp_table_cell() is NULL out of bounds;
 *  - every cell decodes with the cell decoders as docs/procfs.md says
 *    (fuzz_cells.c);
 *  - the table printed back with single spaces is no longer than the
 *    input and parses to the same cells.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "mp_table.h"
#include "names.h"

static bool plain(const char *s)
{
	return *s && !strpbrk(s, " \n");
}

/* The first index of @name among the column names, or -ENOENT. */
static int first_column(const struct mp_table *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->nr_cols; i++)
		if (!strcmp(t->names[i], name))
			return (int)i;
	return -ENOENT;
}

static void check_known_columns(const struct mp_table *t)
{
	size_t i;

	for (i = 0; i < MEMPRESSURE_PROC_NR; i++)
		FUZZ_CHECK(mp_table_column(t, mp_process_columns[i]) ==
			   first_column(t, mp_process_columns[i]), "%s",
			   mp_process_columns[i]);
	for (i = 0; i < MEMPRESSURE_CG_NR; i++)
		FUZZ_CHECK(mp_table_column(t, mp_cgroup_columns[i]) ==
			   first_column(t, mp_cgroup_columns[i]), "%s",
			   mp_cgroup_columns[i]);
}

/* Header and rows, single spaces, newline-separated: "" if over @size. */
static size_t print_table(const struct mp_table *t, char *out, size_t size)
{
	size_t n = 0, r, c, len;

	for (r = 0; r <= t->nr_rows; r++) {
		for (c = 0; c < t->nr_cols; c++) {
			const char *s = r ? mp_table_cell(t, r - 1, c) : t->names[c];

			len = strlen(s);
			if (n + len + 1 > size)
				return 0;
			if (c)
				out[n++] = ' ';
			else if (r)
				out[n++] = '\n';
			memcpy(out + n, s, len);
			n += len;
		}
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct mp_table t, u;
	size_t r, c, lines = 0, n;
	char *out;
	int ret;

	ret = mp_table_parse(text, size, &t);
	FUZZ_CHECK(ret == 0 || ret == -EINVAL || ret == -ENOMEM, "%d", ret);
	if (ret) {
		FUZZ_CHECK(!t.text && !t.cells && !t.names && !t.nr_cols && !t.nr_rows,
			   "refused, yet holds a table");
		return 0;
	}
	FUZZ_CHECK(!memchr(text, '\0', size), "a NUL byte accepted");
	for (r = 0; r < size; r++)
		lines += text[r] == '\n';
	FUZZ_CHECK(t.nr_cols >= 1 && t.nr_rows <= lines, "%zu columns, %zu rows, %zu lines",
		   t.nr_cols, t.nr_rows, lines);

	for (c = 0; c < t.nr_cols; c++) {
		FUZZ_CHECK(plain(t.names[c]), "column %zu: \"%s\"", c, t.names[c]);
		FUZZ_CHECK(mp_table_column(&t, t.names[c]) == (int)c, "column %zu: %s", c,
			   t.names[c]);
		FUZZ_CHECK(!mp_table_cell(&t, t.nr_rows, c), "cell past the last row");
	}
	check_known_columns(&t);
	FUZZ_CHECK(mp_table_find(&t, t.nr_cols, "") == -ENOENT, "find past the columns");
	for (r = 0; r < t.nr_rows; r++) {
		FUZZ_CHECK(!mp_table_cell(&t, r, t.nr_cols), "cell past the last column");
		for (c = 0; c < t.nr_cols; c++) {
			const char *cell = mp_table_cell(&t, r, c);
			long found;

			FUZZ_CHECK(cell && plain(cell), "cell %zu,%zu", r, c);
			found = mp_table_find(&t, c, cell);
			FUZZ_CHECK(found >= 0 && (size_t)found <= r &&
				   !strcmp(mp_table_cell(&t, (size_t)found, c), cell),
				   "find \"%s\": %ld", cell, found);
			fuzz_check_u64(cell);
			fuzz_check_s64(cell);
			fuzz_check_unescape(cell);
		}
	}

	/* Printed back canonically, it is the same table. */
	out = malloc(size + 1);
	FUZZ_CHECK(out, "out of memory");
	n = print_table(&t, out, size + 1);
	FUZZ_CHECK(n > 0 && n <= size, "printed back in %zu bytes of %zu", n, size);
	ret = mp_table_parse(out, n, &u);
	FUZZ_CHECK(!ret && u.nr_cols == t.nr_cols && u.nr_rows == t.nr_rows,
		   "printed back: %d", ret);
	for (c = 0; c < t.nr_cols; c++)
		FUZZ_CHECK(!strcmp(u.names[c], t.names[c]), "column %zu", c);
	for (r = 0; r < t.nr_rows; r++)
		for (c = 0; c < t.nr_cols; c++)
			FUZZ_CHECK(!strcmp(mp_table_cell(&u, r, c), mp_table_cell(&t, r, c)),
				   "cell %zu,%zu", r, c);
	mp_table_free(&u);
	free(out);
	mp_table_free(&t);
	FUZZ_CHECK(!t.text && !t.cells && !t.nr_cols, "freed, yet holds a table");
	return 0;
}
