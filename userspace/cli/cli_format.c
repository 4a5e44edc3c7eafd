// SPDX-License-Identifier: GPL-2.0
/*
 * Tables for the CLI (cli_format.h): one description of the columns, one
 * set of typed cells, three renderings.  A value is formatted in one place,
 * format_cell(), for every output, so text, raw and JSON cannot disagree on
 * which fields a row has.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/mempressure.h>

#include "cli_format.h"
#include "mp_table.h"

#define ESC		"\033["
#define BAR_WIDTH	10
#define CELL_MAX	256

static const char *const color_codes[] = {
	[CLI_PLAIN] = "",
	[CLI_GREEN] = ESC "32m",
	[CLI_YELLOW] = ESC "33m",
	[CLI_MAGENTA] = ESC "35m",
	[CLI_RED] = ESC "1;31m",
	[CLI_BOLD] = ESC "1m",
};

/* --- tables --- */

void cli_table_init(struct cli_table *t, const char *name, const struct cli_col *cols,
		    size_t nr_cols)
{
	memset(t, 0, sizeof(*t));
	t->name = name;
	t->cols = cols;
	t->nr_cols = nr_cols < CLI_COLS_MAX ? nr_cols : CLI_COLS_MAX;
	cli_table_select(t, NULL, NULL, 0);
}

static void cell_free(struct cli_cell *c)
{
	free(c->str);
	free(c->series);
	memset(c, 0, sizeof(*c));
}

void cli_table_truncate(struct cli_table *t, size_t nr_rows)
{
	for (size_t i = nr_rows * t->nr_cols; i < t->nr_rows * t->nr_cols; i++)
		cell_free(&t->cells[i]);
	if (nr_rows < t->nr_rows)
		t->nr_rows = nr_rows;
}

void cli_table_clear_rows(struct cli_table *t)
{
	cli_table_truncate(t, 0);
}

void cli_table_free(struct cli_table *t)
{
	cli_table_clear_rows(t);
	free(t->cells);
	t->cells = NULL;
	t->cap_rows = 0;
}

static int col_by_name(const struct cli_table *t, const char *name, size_t len)
{
	for (size_t i = 0; i < t->nr_cols; i++)
		if ((strlen(t->cols[i].name) == len && !strncmp(t->cols[i].name, name, len)) ||
		    (strlen(t->cols[i].key) == len && !strncmp(t->cols[i].key, name, len)))
			return (int)i;
	return -ENOENT;
}

int cli_table_select(struct cli_table *t, const char *list, char *bad, size_t size)
{
	const char *p = list;

	t->nr_sel = 0;
	if (!list || !strcmp(list, "all")) {
		for (size_t i = 0; i < t->nr_cols; i++)
			if (list || !(t->cols[i].flags & CLI_COL_HIDDEN))
				t->sel[t->nr_sel++] = i;
		return 0;
	}
	while (*p) {
		size_t len = strcspn(p, ",");
		int i = col_by_name(t, p, len);

		if (i < 0 || t->nr_sel >= CLI_COLS_MAX) {
			if (bad)
				snprintf(bad, size, "%.*s", (int)len, p);
			cli_table_select(t, NULL, NULL, 0);
			return -EINVAL;
		}
		t->sel[t->nr_sel++] = (size_t)i;
		p += len + (p[len] == ',');
	}
	if (!t->nr_sel) {
		if (bad)
			snprintf(bad, size, "%s", list);
		cli_table_select(t, NULL, NULL, 0);
		return -EINVAL;
	}
	return 0;
}

void cli_table_names(const struct cli_table *t, char *out, size_t size)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < t->nr_cols && n < size; i++)
		n += (size_t)snprintf(out + n, size - n, "%s%s", i ? "," : "", t->cols[i].name);
}

int cli_table_add_row(struct cli_table *t)
{
	if (t->nr_rows == t->cap_rows) {
		size_t cap = t->cap_rows ? t->cap_rows * 2 : 16;
		struct cli_cell *c = realloc(t->cells, cap * t->nr_cols * sizeof(*c));

		if (!c)
			return -ENOMEM;
		t->cells = c;
		t->cap_rows = cap;
	}
	memset(&t->cells[t->nr_rows * t->nr_cols], 0, t->nr_cols * sizeof(*t->cells));
	t->nr_rows++;
	return 0;
}

struct cli_cell *cli_cell_at(struct cli_table *t, size_t row, size_t col)
{
	return &t->cells[row * t->nr_cols + col];
}

static struct cli_cell *last(struct cli_table *t, size_t col)
{
	return cli_cell_at(t, t->nr_rows - 1, col);
}

void cli_set_u64(struct cli_table *t, size_t col, uint64_t v)
{
	struct cli_cell *c = last(t, col);

	c->state = CLI_SET;
	c->u = v;
	c->s = (int64_t)v;
}

void cli_set_s64(struct cli_table *t, size_t col, int64_t v)
{
	struct cli_cell *c = last(t, col);

	c->state = CLI_SET;
	c->s = v;
	c->u = (uint64_t)v;
}

int cli_set_str(struct cli_table *t, size_t col, const char *s)
{
	struct cli_cell *c = last(t, col);

	free(c->str);
	c->str = strdup(s);
	c->state = c->str ? CLI_SET : CLI_NA;
	return c->str ? 0 : -ENOMEM;
}

int cli_set_series(struct cli_table *t, size_t col, const uint64_t *v, size_t nr)
{
	struct cli_cell *c = last(t, col);

	free(c->series);
	c->series = malloc((nr ? nr : 1) * sizeof(*v));
	if (!c->series) {
		c->state = CLI_NA;
		return -ENOMEM;
	}
	memcpy(c->series, v, nr * sizeof(*v));
	c->nr_series = nr;
	c->state = CLI_SET;
	return 0;
}

void cli_set_color(struct cli_table *t, size_t col, enum cli_color color)
{
	last(t, col)->color = color;
}

/* "12.34" (or "12", "12.5") as hundredths. */
int cli_parse_hundredths(const char *s, uint64_t *v)
{
	const char *dot = strchr(s, '.');
	char whole[24];
	uint64_t w, frac = 0;
	size_t n = dot ? (size_t)(dot - s) : strlen(s);

	if (n == 0 || n >= sizeof(whole))
		return -EINVAL;
	memcpy(whole, s, n);
	whole[n] = '\0';
	if (mp_parse_u64(whole, &w) || !strcmp(whole, MEMPRESSURE_UNLIMITED) ||
	    w > UINT64_MAX / 100)
		return -EINVAL;
	if (dot) {
		const char *d = dot + 1;

		if (!d[0] || strlen(d) > 2 || d[0] < '0' || d[0] > '9' ||
		    (d[1] && (d[1] < '0' || d[1] > '9')))
			return -EINVAL;
		frac = (uint64_t)(d[0] - '0') * 10 + (d[1] ? (uint64_t)(d[1] - '0') : 0);
	}
	*v = w * 100 + frac;
	return 0;
}

int cli_set_text(struct cli_table *t, size_t col, const char *text, bool escaped)
{
	struct cli_cell *c = last(t, col);
	enum cli_type type = t->cols[col].type;
	char buf[4096];
	uint64_t u;
	int64_t s;
	int err;

	c->state = CLI_NA;
	if (!text || !strcmp(text, MEMPRESSURE_NA) || !text[0])
		return text ? 0 : -EINVAL;
	switch (type) {
	case CLI_T_STR:
		if (!escaped)
			return cli_set_str(t, col, text);
		err = mp_unescape(text, buf, sizeof(buf));
		return err ? err : cli_set_str(t, col, buf);
	case CLI_T_RATE:
		err = mp_parse_s64(text, &s);
		if (!err)
			cli_set_s64(t, col, s);
		return err;
	case CLI_T_PCT:
	case CLI_T_BAR:
		err = cli_parse_hundredths(text, &u);
		if (!err)
			cli_set_u64(t, col, u);
		return err;
	case CLI_T_BOOL:
		if (!strcmp(text, "yes") || !strcmp(text, "1"))
			cli_set_u64(t, col, 1);
		else if (!strcmp(text, "no") || !strcmp(text, "0"))
			cli_set_u64(t, col, 0);
		else
			return -EINVAL;
		return 0;
	case CLI_T_SERIES:
		return -EINVAL;
	default:
		err = mp_parse_u64(text, &u);
		if (err)
			return err;
		if (!strcmp(text, MEMPRESSURE_UNLIMITED))
			c->state = CLI_MAX;
		else
			cli_set_u64(t, col, u);
		return 0;
	}
}

void cli_set_from_table(struct cli_table *t, const struct mp_table *mt, size_t row,
			const char *const *src_names)
{
	for (size_t i = 0; i < t->nr_cols; i++) {
		int c = t->cols[i].src ? mp_table_column(mt, src_names[t->cols[i].src - 1]) : -1;

		if (c >= 0)
			cli_set_text(t, i, mp_table_cell(mt, row, (size_t)c), true);
	}
}

static int (*sort_cmp)(const struct cli_cell *a, const struct cli_cell *b);

static int row_cmp(const void *a, const void *b)
{
	return sort_cmp(*(struct cli_cell *const *)a, *(struct cli_cell *const *)b);
}

void cli_table_sort(struct cli_table *t,
		    int (*cmp)(const struct cli_cell *a, const struct cli_cell *b))
{
	struct cli_cell **rows = malloc((t->nr_rows ? t->nr_rows : 1) * sizeof(*rows));
	struct cli_cell *copy = malloc((t->nr_rows ? t->nr_rows : 1) * t->nr_cols * sizeof(*copy));

	if (!rows || !copy)
		goto out;
	for (size_t i = 0; i < t->nr_rows; i++)
		rows[i] = &t->cells[i * t->nr_cols];
	sort_cmp = cmp;
	qsort(rows, t->nr_rows, sizeof(*rows), row_cmp);
	for (size_t i = 0; i < t->nr_rows; i++)
		memcpy(&copy[i * t->nr_cols], rows[i], t->nr_cols * sizeof(*copy));
	memcpy(t->cells, copy, t->nr_rows * t->nr_cols * sizeof(*copy));
out:
	free(rows);
	free(copy);
}

/* --- values --- */

static const char *const byte_units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };

void cli_fmt_bytes(char *out, size_t size, uint64_t v)
{
	double x = (double)v;
	size_t u = 0;

	if (v < 1024) {
		snprintf(out, size, "%llu B", (unsigned long long)v);
		return;
	}
	while (x >= 1024 && u + 1 < sizeof(byte_units) / sizeof(byte_units[0])) {
		x /= 1024;
		u++;
	}
	/* 9.96 would print as "10.0": keep the format and the value in step. */
	if (x < 9.95)
		snprintf(out, size, "%.1f %s", x, byte_units[u]);
	else
		snprintf(out, size, "%.0f %s", x, byte_units[u]);
}

int cli_parse_bytes(const char *s, uint64_t *v)
{
	static const char units[] = "KMGTP";
	uint64_t whole = 0, frac = 0, scale = 1, mult = 1;
	const char *p = s, *u;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		uint64_t d = (uint64_t)(*p - '0');

		if (whole > UINT64_MAX / 10 || (whole == UINT64_MAX / 10 && d > UINT64_MAX % 10))
			return -ERANGE;
		whole = whole * 10 + d;
	}
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			return -EINVAL;
		for (p++; *p >= '0' && *p <= '9'; p++)
			if (scale < 1000000000) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				scale *= 10;
			}
	}
	if (*p == ' ' && p[1])	/* "100 MiB" */
		p++;
	if (*p && (u = strchr(units, *p >= 'a' ? *p - 'a' + 'A' : *p))) {
		for (const char *q = units; q <= u; q++)
			mult *= 1024;
		p++;
		if (*p == 'i')
			p++;
		if (*p == 'B' || *p == 'b')
			p++;
	} else if (*p == 'B' || *p == 'b') {
		p++;
	}
	if (*p)
		return -EINVAL;
	if (whole > UINT64_MAX / mult)
		return -ERANGE;
	/* frac < scale <= 10^9: neither product overflows. */
	frac = mult / scale * frac + mult % scale * frac / scale;
	if (whole * mult > UINT64_MAX - frac)
		return -ERANGE;
	*v = whole * mult + frac;
	return 0;
}

void cli_fmt_rate(char *out, size_t size, int64_t v)
{
	char b[32];
	uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	cli_fmt_bytes(b, sizeof(b), mag);
	snprintf(out, size, "%s%s/s", v > 0 ? "+" : v < 0 ? "-" : "", b);
}

void cli_fmt_duration(char *out, size_t size, uint64_t sec)
{
	unsigned long long s = (unsigned long long)sec;

	if (s < 60)
		snprintf(out, size, "%llus", s);
	else if (s < 3600)
		snprintf(out, size, "%llum%02llus", s / 60, s % 60);
	else if (s < 86400)
		snprintf(out, size, "%lluh%02llum", s / 3600, s % 3600 / 60);
	else
		snprintf(out, size, "%llud%02lluh", s / 86400, s % 86400 / 3600);
}

void cli_fmt_bar(char *out, size_t size, uint64_t hundredths, unsigned int width)
{
	uint64_t filled = hundredths >= 10000 ? width : hundredths * width / 10000;
	size_t n = 0;

	if (size < (size_t)width + 8) {
		if (size)
			out[0] = '\0';
		return;
	}
	out[n++] = '[';
	for (unsigned int i = 0; i < width; i++)
		out[n++] = i < filled ? '#' : '.';
	out[n++] = hundredths > 10000 ? '>' : ']';
	snprintf(out + n, size - n, "%4llu%%", (unsigned long long)(hundredths / 100));
}

void cli_fmt_spark(char *out, size_t size, const uint64_t *v, size_t nr, bool utf8)
{
	static const char *const blocks[] = { "\u2581", "\u2582", "\u2583", "\u2584",
					      "\u2585", "\u2586", "\u2587", "\u2588" };
	static const char ascii[] = "_.,-=+*#";
	uint64_t lo = UINT64_MAX, hi = 0;
	size_t n = 0;

	for (size_t i = 0; i < nr; i++) {
		lo = v[i] < lo ? v[i] : lo;
		hi = v[i] > hi ? v[i] : hi;
	}
	for (size_t i = 0; i < nr; i++) {
		unsigned int level = hi > lo ? (unsigned int)((v[i] - lo) * 7 / (hi - lo)) : 0;
		const char *s = utf8 ? blocks[level] : (char[]){ ascii[level], '\0' };
		size_t len = strlen(s);

		if (n + len + 1 > size)
			break;
		memcpy(out + n, s, len);
		n += len;
	}
	if (size)
		out[n < size ? n : size - 1] = '\0';
}

void cli_json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	while (*p) {
		size_t follow = (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 :
				(*p & 0xf8) == 0xf0 ? 3 : 0;
		size_t ok = 0;

		if (*p == '"' || *p == '\\') {
			fprintf(f, "\\%c", *p++);
			continue;
		}
		if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\u%04x", *p++);
			continue;
		}
		if (*p < 0x80) {
			fputc(*p++, f);
			continue;
		}
		/* Valid UTF-8 as it is; any other byte as the code point of its value. */
		while (ok < follow && (p[ok + 1] & 0xc0) == 0x80)
			ok++;
		if (follow && ok == follow) {
			fwrite(p, 1, follow + 1, f);
			p += follow + 1;
		} else {
			fprintf(f, "\\u%04x", *p++);
		}
	}
	fputc('"', f);
}

size_t cli_text_width(const char *s)
{
	size_t w = 0;

	while (*s) {
		if (*s == '\033') {
			while (*s && *s != 'm')
				s++;
			if (*s)
				s++;
			continue;
		}
		w += ((unsigned char)*s & 0xc0) != 0x80;
		s++;
	}
	return w;
}

/* Strings for the terminal: control characters become '?'. */
static void text_safe(char *out, size_t size, const char *s)
{
	size_t n = 0;

	for (; *s && n + 1 < size; s++)
		out[n++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
	out[n] = '\0';
}

int cli_escape(char *out, size_t size, const char *s)
{
	size_t n = 0;

	if (size < 5)
		return -ENAMETOOLONG;
	if (!*s || !strcmp(s, MEMPRESSURE_NA)) {
		snprintf(out, size, "%s", *s ? "\\055" : MEMPRESSURE_NA);
		return 0;
	}
	for (; *s; s++) {
		if (n + 5 > size) {
			out[n] = '\0';
			return -ENAMETOOLONG;
		}
		if (strchr(MEMPRESSURE_ESCAPED_CHARS, *s) || (unsigned char)*s < 0x20)
			n += (size_t)snprintf(out + n, size - n, "\\%03o", (unsigned char)*s);
		else
			out[n++] = *s;
	}
	out[n] = '\0';
	return 0;
}

static void fmt_seconds(char *out, size_t size, uint64_t v, uint64_t per_sec, int digits)
{
	snprintf(out, size, "%llu.%0*llu", (unsigned long long)(v / per_sec), digits,
		 (unsigned long long)(v % per_sec));
}

/* Wall-clock time of a CLOCK_MONOTONIC instant. */
static void fmt_clock(char *out, size_t size, uint64_t usec)
{
	struct timespec mono, real;
	int64_t now_mono, now_real;
	time_t sec;
	struct tm tm;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	now_mono = (int64_t)mono.tv_sec * 1000000 + mono.tv_nsec / 1000;
	now_real = (int64_t)real.tv_sec * 1000000 + real.tv_nsec / 1000;
	now_real -= now_mono - (int64_t)usec;
	sec = (time_t)(now_real / 1000000);
	localtime_r(&sec, &tm);
	snprintf(out, size, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)(now_real % 1000000 / 1000));
}

/*
 * The one place a value becomes text.  Numbers in raw and JSON are in base
 * units; *json_quote says whether JSON needs it as a string.
 */
static void format_cell(const struct cli_out *o, const struct cli_col *col,
			const struct cli_cell *c, char *out, size_t size, bool *json_quote)
{
	bool text = o->mode == CLI_TEXT;
	size_t n;

	*json_quote = false;
	if (c->state == CLI_NA) {
		snprintf(out, size, "%s", o->mode == CLI_JSON ? "null" : MEMPRESSURE_NA);
		return;
	}
	if (c->state == CLI_MAX) {
		snprintf(out, size, MEMPRESSURE_UNLIMITED);
		*json_quote = true;
		return;
	}
	switch (col->type) {
	case CLI_T_STR:
		*json_quote = true;
		if (o->mode == CLI_RAW)
			cli_escape(out, size, c->str);
		else if (o->mode == CLI_JSON)
			snprintf(out, size, "%s", c->str);
		else
			text_safe(out, size, c->str);
		break;
	case CLI_T_U64:
		snprintf(out, size, "%llu", (unsigned long long)c->u);
		break;
	case CLI_T_BYTES:
		if (text)
			cli_fmt_bytes(out, size, c->u);
		else
			snprintf(out, size, "%llu", (unsigned long long)c->u);
		break;
	case CLI_T_RATE:
		if (text)
			cli_fmt_rate(out, size, c->s);
		else
			snprintf(out, size, "%lld", (long long)c->s);
		break;
	case CLI_T_USEC:
	case CLI_T_MSEC:
	case CLI_T_SEC: {
		uint64_t per = col->type == CLI_T_USEC ? 1000000 : col->type == CLI_T_MSEC ? 1000 : 1;

		if (text && per == 1000000 && c->u < 1000)
			snprintf(out, size, "%llu us", (unsigned long long)c->u);
		else if (text && per == 1000000 && c->u < 10000000)
			snprintf(out, size, "%llu ms", (unsigned long long)(c->u / 1000));
		else if (text && per == 1000 && c->u < 10000)
			snprintf(out, size, "%llu ms", (unsigned long long)c->u);
		else if (text)
			cli_fmt_duration(out, size, c->u / per);
		else if (per == 1)
			snprintf(out, size, "%llu", (unsigned long long)c->u);
		else
			fmt_seconds(out, size, c->u, per, per == 1000 ? 3 : 6);
		break;
	}
	case CLI_T_CLOCK:
		if (text)
			fmt_clock(out, size, c->u);
		else
			fmt_seconds(out, size, c->u, 1000000, 6);
		break;
	case CLI_T_PCT:
		fmt_seconds(out, size, c->u, 100, 2);
		break;
	case CLI_T_BAR:
		if (text)
			cli_fmt_bar(out, size, c->u, BAR_WIDTH);
		else
			fmt_seconds(out, size, c->u, 100, 2);
		break;
	case CLI_T_BOOL:
		if (o->mode == CLI_JSON)
			snprintf(out, size, "%s", c->u ? "true" : "false");
		else if (o->mode == CLI_RAW)
			snprintf(out, size, "%d", c->u ? 1 : 0);
		else if (col->mark)
			snprintf(out, size, "%s", c->u ? col->mark : "");
		else
			snprintf(out, size, "%s", c->u ? "yes" : "no");
		break;
	case CLI_T_SERIES:
		if (text) {
			cli_fmt_spark(out, size, c->series, c->nr_series, o->utf8);
			break;
		}
		n = 0;
		out[0] = '\0';
		for (size_t i = 0; i < c->nr_series && n + 24 < size; i++)
			n += (size_t)snprintf(out + n, size - n, "%s%llu", i ? "," : "",
					      (unsigned long long)c->series[i]);
		if (o->mode == CLI_JSON) {
			/* An array: the brackets, and no quotes. */
			memmove(out + 1, out, n + 1);
			out[0] = '[';
			snprintf(out + n + 1, size - n - 1, "]");
		}
		break;
	}
}

/* A heading: the name in capitals. */
static void heading(const struct cli_col *col, char *out, size_t size)
{
	size_t i;

	for (i = 0; col->name[i] && i + 1 < size; i++)
		out[i] = (char)(col->name[i] >= 'a' && col->name[i] <= 'z' ?
				col->name[i] - 'a' + 'A' : col->name[i]);
	out[i] = '\0';
}

static bool right_aligned(const struct cli_col *col)
{
	return col->type != CLI_T_STR && col->type != CLI_T_BOOL && col->type != CLI_T_SERIES &&
	       col->type != CLI_T_BAR && col->type != CLI_T_CLOCK;
}

/* Text of a cell as shown in a text table: tree paths indented. */
static void text_cell(const struct cli_out *o, const struct cli_col *col,
		      const struct cli_cell *c, bool tree, char *out, size_t size)
{
	bool q;

	format_cell(o, col, c, out, size, &q);
	if (tree && (col->flags & CLI_COL_TREE) && c->state == CLI_SET && strcmp(c->str, "/")) {
		char tmp[CELL_MAX];
		const char *base = strrchr(c->str, '/') + 1;
		unsigned int depth = 0;

		for (const char *p = c->str; *p; p++)
			depth += *p == '/';
		size_t indent = 2 * depth < size / 2 ? 2 * depth : size / 2;

		text_safe(tmp, size - indent < sizeof(tmp) ? size - indent : sizeof(tmp), base);
		memset(out, ' ', indent);
		memcpy(out + indent, tmp, strlen(tmp) + 1);
	}
}

static void put_padded(const struct cli_out *o, const char *s, enum cli_color color,
		       int width, bool right, bool last_col)
{
	int pad = width - (int)cli_text_width(s);
	bool colored = o->color && color != CLI_PLAIN && *s;

	if (right && pad > 0)
		fprintf(o->f, "%*s", pad, "");
	fprintf(o->f, "%s%s%s", colored ? color_codes[color] : "", s, colored ? ESC "0m" : "");
	if (!right && pad > 0 && !last_col)
		fprintf(o->f, "%*s", pad, "");
}

void cli_cut_to_width(const struct cli_out *o, char *s, int width)
{
	const char *mark = o->utf8 ? "\u2026" : "~";
	int w = 0;
	char *p = s;

	if ((int)cli_text_width(s) <= width)
		return;
	if (width <= 0) {
		*s = '\0';
		return;
	}
	for (; *p; p++) {
		if (((unsigned char)*p & 0xc0) == 0x80)
			continue;
		if (w == width - 1)
			break;
		w++;
	}
	strcpy(p, mark);	/* the one cell freed is at least as long as any mark */
}

/* A row; with @cut, a cell wider than its column is cut (fit_width() narrowed it). */
static void print_text_row(const struct cli_out *o, struct cli_table *t, size_t row,
			   const int *widths, bool cut)
{
	char buf[CELL_MAX];

	for (size_t k = 0; k < t->nr_sel; k++) {
		const struct cli_col *col = &t->cols[t->sel[k]];
		const struct cli_cell *c = cli_cell_at(t, row, t->sel[k]);

		text_cell(o, col, c, t->tree, buf, sizeof(buf));
		if (cut)
			cli_cut_to_width(o, buf, widths[k]);
		if (k)
			fputs("  ", o->f);
		put_padded(o, buf, c->color, widths[k], right_aligned(col), k + 1 == t->nr_sel);
	}
	fputc('\n', o->f);
}

static void print_text_heading(const struct cli_out *o, const struct cli_table *t,
			       const int *widths)
{
	char buf[CELL_MAX];

	for (size_t k = 0; k < t->nr_sel; k++) {
		const struct cli_col *col = &t->cols[t->sel[k]];

		heading(col, buf, sizeof(buf));
		cli_cut_to_width(o, buf, widths[k]);
		if (k)
			fputs("  ", o->f);
		put_padded(o, buf, CLI_PLAIN, widths[k], right_aligned(col), k + 1 == t->nr_sel);
	}
	fputc('\n', o->f);
}

/*
 * Make the columns fit o->width, as ps and top do: first cut the free text
 * (cgroup paths, commands) down to STR_MIN cells, widest first, then leave
 * out columns from the right: marks (LEAK) last, as they are what a narrow
 * view is looked at for, and the first column never.  Changes t->sel and
 * @widths; print_text() puts the selection back.
 */
#define STR_MIN	8
static void fit_width(const struct cli_out *o, struct cli_table *t, int *widths)
{
	int total = 0;

	if (!o->width || !t->nr_sel)
		return;
	for (size_t k = 0; k < t->nr_sel; k++)
		total += widths[k] + (k ? 2 : 0);
	while (total > (int)o->width) {
		size_t widest = t->nr_sel, drop = 0;

		for (size_t k = 0; k < t->nr_sel; k++)
			if (t->cols[t->sel[k]].type == CLI_T_STR && widths[k] > STR_MIN &&
			    (widest == t->nr_sel || widths[k] > widths[widest]))
				widest = k;
		if (widest < t->nr_sel) {
			int cut = total - (int)o->width;

			if (cut > widths[widest] - STR_MIN)
				cut = widths[widest] - STR_MIN;
			widths[widest] -= cut;
			total -= cut;
			continue;
		}
		if (t->nr_sel == 1) {
			widths[0] = (int)o->width;
			break;
		}
		for (size_t k = t->nr_sel - 1; k >= 1 && !drop; k--)
			if (t->cols[t->sel[k]].type != CLI_T_BOOL)
				drop = k;
		if (!drop)
			drop = t->nr_sel - 1;
		total -= widths[drop] + 2;
		t->nr_sel--;
		memmove(&t->sel[drop], &t->sel[drop + 1], (t->nr_sel - drop) * sizeof(t->sel[0]));
		memmove(&widths[drop], &widths[drop + 1], (t->nr_sel - drop) * sizeof(widths[0]));
	}
}

static void print_text_record(struct cli_out *o, struct cli_table *t)
{
	char buf[CELL_MAX];
	size_t w = 0;

	if (t->title && o->headings)
		fprintf(o->f, "%s\n", t->title);
	for (size_t k = 0; k < t->nr_sel; k++)
		w = strlen(t->cols[t->sel[k]].name) > w ? strlen(t->cols[t->sel[k]].name) : w;
	for (size_t k = 0; k < t->nr_sel && t->nr_rows; k++) {
		const struct cli_col *col = &t->cols[t->sel[k]];
		const struct cli_cell *c = cli_cell_at(t, 0, t->sel[k]);

		text_cell(o, col, c, t->tree, buf, sizeof(buf));
		if (o->width)
			cli_cut_to_width(o, buf, (int)o->width - (o->headings ? (int)w + 4 : 0));
		if (o->headings)
			fprintf(o->f, "  %-*s  ", (int)w, col->name);
		put_padded(o, buf, c->color, 0, false, true);
		fputc('\n', o->f);
	}
}

static void print_text(struct cli_out *o, struct cli_table *t)
{
	int widths[CLI_COLS_MAX];
	char buf[CELL_MAX];
	size_t sel[CLI_COLS_MAX], nr_sel = t->nr_sel;

	if (t->record) {
		print_text_record(o, t);
		return;
	}
	if (t->title && o->headings) {
		snprintf(buf, sizeof(buf), "%s", t->title);
		if (o->width)
			cli_cut_to_width(o, buf, (int)o->width);
		fprintf(o->f, "%s\n", buf);
	}
	for (size_t k = 0; k < t->nr_sel; k++) {
		heading(&t->cols[t->sel[k]], buf, sizeof(buf));
		widths[k] = o->headings ? (int)strlen(buf) : 0;
		for (size_t r = 0; r < t->nr_rows; r++) {
			text_cell(o, &t->cols[t->sel[k]], cli_cell_at(t, r, t->sel[k]), t->tree,
				  buf, sizeof(buf));
			if ((int)cli_text_width(buf) > widths[k])
				widths[k] = (int)cli_text_width(buf);
		}
	}
	memcpy(sel, t->sel, sizeof(sel));
	fit_width(o, t, widths);
	if (o->headings)
		print_text_heading(o, t, widths);
	for (size_t r = 0; r < t->nr_rows; r++)
		print_text_row(o, t, r, widths, true);
	memcpy(t->sel, sel, sizeof(sel));
	t->nr_sel = nr_sel;
	if (o->headings && t->noun[0]) {
		snprintf(buf, sizeof(buf), "%zu %s listed.", t->nr_rows, t->noun[t->nr_rows != 1]);
		if (o->width)
			cli_cut_to_width(o, buf, (int)o->width);
		fprintf(o->f, "%s\n", buf);
	}
}

static void print_raw_heading(const struct cli_out *o, const struct cli_table *t)
{
	for (size_t k = 0; k < t->nr_sel; k++)
		fprintf(o->f, "%s%s", k ? "\t" : "", t->cols[t->sel[k]].key);
	fputc('\n', o->f);
}

static void print_raw_row(const struct cli_out *o, struct cli_table *t, size_t row)
{
	char buf[CELL_MAX];
	bool q;

	for (size_t k = 0; k < t->nr_sel; k++) {
		format_cell(o, &t->cols[t->sel[k]], cli_cell_at(t, row, t->sel[k]), buf,
			    sizeof(buf), &q);
		fprintf(o->f, "%s%s", k ? "\t" : "", buf);
	}
	fputc('\n', o->f);
}

static void print_json_row(const struct cli_out *o, struct cli_table *t, size_t row)
{
	char buf[CELL_MAX];
	bool q;

	fputc('{', o->f);
	for (size_t k = 0; k < t->nr_sel; k++) {
		const struct cli_col *col = &t->cols[t->sel[k]];

		format_cell(o, col, cli_cell_at(t, row, t->sel[k]), buf, sizeof(buf), &q);
		if (k)
			fputc(',', o->f);
		cli_json_str(o->f, col->key);
		fputc(':', o->f);
		if (q)
			cli_json_str(o->f, buf);
		else
			fputs(buf, o->f);
	}
	fputc('}', o->f);
}

void cli_out_begin(struct cli_out *o)
{
	o->sections = 0;
	if (o->mode == CLI_JSON)
		fputc('{', o->f);
}

void cli_print(struct cli_out *o, struct cli_table *t)
{
	if (o->mode == CLI_TEXT) {
		if (o->sections++ && o->headings)
			fputc('\n', o->f);
		print_text(o, t);
		return;
	}
	if (o->mode == CLI_RAW) {
		if (o->sections++)
			fputc('\n', o->f);
		if (o->headings)
			print_raw_heading(o, t);
		for (size_t r = 0; r < t->nr_rows; r++)
			print_raw_row(o, t, r);
		return;
	}
	if (o->sections++)
		fputc(',', o->f);
	cli_json_str(o->f, t->name);
	fputc(':', o->f);
	if (t->record) {
		if (t->nr_rows)
			print_json_row(o, t, 0);
		else
			fputs("null", o->f);
		return;
	}
	fputc('[', o->f);
	for (size_t r = 0; r < t->nr_rows; r++) {
		if (r)
			fputc(',', o->f);
		print_json_row(o, t, r);
	}
	fputc(']', o->f);
}

void cli_out_end(struct cli_out *o)
{
	if (o->mode == CLI_JSON)
		fputs("}\n", o->f);
	fflush(o->f);
}

void cli_print_stream(struct cli_out *o, struct cli_table *t)
{
	if (!t->header_done && o->headings) {
		char buf[CELL_MAX];

		for (size_t k = 0; k < t->nr_sel; k++) {
			heading(&t->cols[t->sel[k]], buf, sizeof(buf));
			if ((int)strlen(buf) > t->widths[k])
				t->widths[k] = (int)strlen(buf);
		}
		if (o->mode == CLI_TEXT)
			print_text_heading(o, t, t->widths);
		else if (o->mode == CLI_RAW)
			print_raw_heading(o, t);
	}
	t->header_done = true;
	for (size_t r = 0; r < t->nr_rows; r++) {
		if (o->mode == CLI_TEXT)
			print_text_row(o, t, r, t->widths, false);
		else if (o->mode == CLI_RAW)
			print_raw_row(o, t, r);
		else {
			print_json_row(o, t, r);
			fputc('\n', o->f);
		}
	}
	cli_table_clear_rows(t);
	fflush(o->f);
}
