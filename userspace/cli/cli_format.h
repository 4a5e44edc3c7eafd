/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The CLI's one way to print: a table is a list of column descriptions and
 * rows of typed cells, and the three outputs come from it alone.
 *
 *  - text: aligned columns with headings, human units (KiB, MiB, GiB),
 *    bars and sparklines, colour when asked, and a legend line;
 *  - raw:  tab-separated, base units (bytes, seconds), strings escaped as in
 *    the procfs tables, for scripts;
 *  - JSON: the same fields, keyed by the column's key, base units.
 *
 * A verb fills tables and prints them; it never formats a value itself.
 * Pure code: no I/O but the FILE it is given, so host tests link it alone.
 */
#ifndef CLI_FORMAT_H
#define CLI_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* What a cell holds, and so how each output shows it. */
enum cli_type {
	CLI_T_STR,	/* text; shown decoded, control characters as '?' */
	CLI_T_U64,	/* a count */
	CLI_T_BYTES,	/* bytes: "1.5 MiB" in text */
	CLI_T_RATE,	/* signed bytes per second: "+4.0 MiB/s" */
	CLI_T_USEC,	/* a duration kept in microseconds; seconds in raw/JSON */
	CLI_T_MSEC,	/* a duration kept in milliseconds; seconds in raw/JSON */
	CLI_T_SEC,	/* a duration in whole seconds */
	CLI_T_PCT,	/* hundredths of a percent: "12.34" */
	CLI_T_BOOL,	/* yes/no, or the column's mark */
	CLI_T_BAR,	/* hundredths of a percent of a limit, drawn as a bar */
	CLI_T_SERIES,	/* recent values in bytes, drawn as a sparkline */
	CLI_T_CLOCK,	/* CLOCK_MONOTONIC microseconds; wall-clock time in text */
};

#define CLI_COL_HIDDEN	0x1	/* only with -o */
#define CLI_COL_TREE	0x2	/* a path: in a tree table, text shows its last component, indented */

struct cli_col {
	const char *name;	/* for -o, and the text heading (upper-cased) */
	const char *key;	/* the JSON key and raw heading, with its unit */
	enum cli_type type;
	unsigned int flags;
	const char *mark;	/* CLI_T_BOOL: shown when true (else blank) */
	int src;		/* the input's column or key: CLI_SRC(i), 0 if none */
};

/* An index into the source's name table, stored so that 0 means none. */
#define CLI_SRC(i)	((i) + 1)

enum cli_state { CLI_NA, CLI_SET, CLI_MAX };

enum cli_color { CLI_PLAIN, CLI_GREEN, CLI_YELLOW, CLI_MAGENTA, CLI_RED, CLI_BOLD };

struct cli_cell {
	enum cli_state state;
	enum cli_color color;
	uint64_t u;
	int64_t s;		/* CLI_T_RATE */
	char *str;		/* CLI_T_STR, owned */
	uint64_t *series;	/* CLI_T_SERIES, owned */
	size_t nr_series;
};

#define CLI_COLS_MAX	48

struct cli_table {
	const char *name;	/* the JSON key of the section */
	const char *title;	/* text: the line above a record */
	const char *noun[2];	/* text legend: "1 process", "2 processes" */
	bool record;		/* one row: "name value" lines, a JSON object */
	bool tree;		/* rows in tree order: CLI_COL_TREE columns indent */
	const struct cli_col *cols;
	size_t nr_cols;
	size_t sel[CLI_COLS_MAX];	/* the columns shown, in order */
	size_t nr_sel;
	struct cli_cell *cells;		/* nr_rows x nr_cols */
	size_t nr_rows, cap_rows;
	bool header_done;		/* streaming: headings printed */
	int widths[CLI_COLS_MAX];	/* streaming: fixed text widths */
};

enum cli_mode { CLI_TEXT, CLI_RAW, CLI_JSON };

struct cli_out {
	FILE *f;
	enum cli_mode mode;
	bool color;		/* text only: escape codes for levels, marks */
	bool headings;		/* -n clears it: no headings, no legend */
	bool utf8;		/* sparklines in block characters */
	unsigned int width;	/* text: no line wider (the terminal's); 0: no limit */
	int sections;		/* JSON: sections printed so far */
};

void cli_table_init(struct cli_table *t, const char *name, const struct cli_col *cols,
		    size_t nr_cols);
void cli_table_free(struct cli_table *t);
void cli_table_clear_rows(struct cli_table *t);
/* Keep the first @nr_rows rows. */
void cli_table_truncate(struct cli_table *t, size_t nr_rows);

/*
 * Pick the columns: @list is "name,name" (a column's name or key), "all",
 * or NULL for the default (every column not CLI_COL_HIDDEN).  -EINVAL for
 * an unknown name, which is copied to @bad (of @size bytes).
 */
int cli_table_select(struct cli_table *t, const char *list, char *bad, size_t size);
/* The column names, comma-separated, for an error message. */
void cli_table_names(const struct cli_table *t, char *out, size_t size);

/* A new row (cells all CLI_NA); -ENOMEM.  The setters fill the last row. */
int cli_table_add_row(struct cli_table *t);
struct cli_cell *cli_cell_at(struct cli_table *t, size_t row, size_t col);
void cli_set_u64(struct cli_table *t, size_t col, uint64_t v);
void cli_set_s64(struct cli_table *t, size_t col, int64_t v);
int cli_set_str(struct cli_table *t, size_t col, const char *s);
int cli_set_series(struct cli_table *t, size_t col, const uint64_t *v, size_t nr);
void cli_set_color(struct cli_table *t, size_t col, enum cli_color c);
/*
 * Set a cell from text as the procfs tables, the status file and the
 * daemon print it: "-" is not applicable, "max" unlimited, numbers in
 * decimal, PSI and percentages with two decimals.  @escaped: strings are
 * \ooo-escaped (procfs), else taken as they are (the daemon's, decoded).
 * -EINVAL if the text does not fit the column's type (the cell stays NA).
 */
int cli_set_text(struct cli_table *t, size_t col, const char *text, bool escaped);
/* Fill the last row from @row of a parsed procfs table by the columns' src. */
struct mp_table;
void cli_set_from_table(struct cli_table *t, const struct mp_table *mt, size_t row,
			const char *const *src_names);

/* Sort the rows with @cmp over two rows' cells. */
void cli_table_sort(struct cli_table *t,
		    int (*cmp)(const struct cli_cell *a, const struct cli_cell *b));

/* A whole output: begin, print tables, end (JSON braces, flushing). */
/*
 * Cut @s (no escape codes) to @width display cells, the last one an
 * ellipsis ("~" without UTF-8): a cut value must not read as a whole one.
 */
void cli_cut_to_width(const struct cli_out *o, char *s, int width);
void cli_out_begin(struct cli_out *o);
void cli_print(struct cli_out *o, struct cli_table *t);
void cli_out_end(struct cli_out *o);
/* A stream (events -f): prints the rows so far, then forgets them. */
void cli_print_stream(struct cli_out *o, struct cli_table *t);
/* --- value formatting, exported for the tests --- */

/* "512 B", "1.5 KiB", "12 MiB", "1.0 GiB". */
void cli_fmt_bytes(char *out, size_t size, uint64_t v);
/* "+1.5 MiB/s", "-12 KiB/s", "0 B/s". */
void cli_fmt_rate(char *out, size_t size, int64_t v);
/* "45s", "12m03s", "3h12m", "2d04h". */
void cli_fmt_duration(char *out, size_t size, uint64_t sec);
/* "[#####.....]  52%" in @width characters between the brackets. */
void cli_fmt_bar(char *out, size_t size, uint64_t hundredths, unsigned int width);
/* One character per value, scaled between the series' min and max. */
void cli_fmt_spark(char *out, size_t size, const uint64_t *v, size_t nr, bool utf8);
/*
 * A size as an operator writes it: "1048576", "512K", "1.5GiB", "100 MB"
 * (K, M, G, T, P: binary multiples, with or without "iB"/"B").  -EINVAL if
 * malformed, -ERANGE over 64 bits.  Fractions of a byte are dropped.
 */
int cli_parse_bytes(const char *s, uint64_t *v);
/* "12", "12.5", "12.34" (digits, up to two decimals) as hundredths; -EINVAL. */
int cli_parse_hundredths(const char *s, uint64_t *v);
/*
 * @s escaped as the procfs tables escape strings: space, tab, newline,
 * backslash and control characters as \ooo, "" as "-", "-" as \055.
 * -ENAMETOOLONG if it does not fit (@out then holds a truncated prefix).
 */
int cli_escape(char *out, size_t size, const char *s);
/* A JSON string literal, quotes included. */
void cli_json_str(FILE *f, const char *s);
/* Columns on the terminal that @s takes (UTF-8 aware, escapes not counted). */
size_t cli_text_width(const char *s);

#endif /* CLI_FORMAT_H */
