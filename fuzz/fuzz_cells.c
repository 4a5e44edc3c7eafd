// SPDX-License-Identifier: GPL-2.0
/*
 * The cell decoders of mp_table.h (mp_parse_u64(), mp_parse_s64(),
 * mp_unescape()) held to docs/procfs.md: "-" is not applicable, "max"
 * unlimited, numbers decimal digits only (a sign only on signed ones) and
 * in range, strings with \ooo escapes.  Each check states what the
 * decoder must return for any cell, so a cell that a decoder half accepts
 * (a value silently cut short, a sign let through) breaks it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include <linux/mempressure.h>

#include "fuzz.h"
#include "mp_table.h"

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* @digits without its leading zeros ("0" stays). */
static const char *strip_zeros(const char *digits)
{
	while (digits[0] == '0' && digits[1])
		digits++;
	return digits;
}

/* Whether the decimal @digits are at most @limit, also decimal. */
static bool at_most(const char *digits, const char *limit)
{
	size_t n, ln = strlen(limit);

	digits = strip_zeros(digits);
	n = strlen(digits);
	return n < ln || (n == ln && strcmp(digits, limit) <= 0);
}

int fuzz_check_u64(const char *cell)
{
	char num[24];
	uint64_t v = 0;
	int r = mp_parse_u64(cell, &v);

	if (!strcmp(cell, MEMPRESSURE_NA)) {
		FUZZ_CHECK(r == -ENODATA, "\"%s\": %d", cell, r);
	} else if (!strcmp(cell, MEMPRESSURE_UNLIMITED)) {
		FUZZ_CHECK(r == 0 && v == UINT64_MAX, "\"%s\": %d", cell, r);
	} else if (!all_digits(cell)) {
		FUZZ_CHECK(r == -EINVAL, "\"%s\": %d", cell, r);
	} else if (!at_most(cell, "18446744073709551615")) {
		FUZZ_CHECK(r == -ERANGE, "\"%s\": %d", cell, r);
	} else {
		FUZZ_CHECK(r == 0, "\"%s\": %d", cell, r);
		snprintf(num, sizeof(num), "%" PRIu64, v);
		FUZZ_CHECK(!strcmp(num, strip_zeros(cell)), "\"%s\" read as %s",
			   cell, num);
	}
	return r;
}

int fuzz_check_s64(const char *cell)
{
	bool neg = cell[0] == '-';
	const char *digits = neg ? cell + 1 : cell;
	char num[24];
	int64_t v = 0;
	int r = mp_parse_s64(cell, &v);

	if (!strcmp(cell, MEMPRESSURE_NA)) {
		FUZZ_CHECK(r == -ENODATA, "\"%s\": %d", cell, r);
	} else if (!all_digits(digits)) {
		FUZZ_CHECK(r == -EINVAL, "\"%s\": %d", cell, r);
	} else if (!at_most(digits, neg ? "9223372036854775808" :
				      "9223372036854775807")) {
		FUZZ_CHECK(r == -ERANGE, "\"%s\": %d", cell, r);
	} else {
		FUZZ_CHECK(r == 0, "\"%s\": %d", cell, r);
		FUZZ_CHECK(neg ? v <= 0 : v >= 0, "\"%s\" read as %" PRId64, cell, v);
		/* The digits are the magnitude; INT64_MIN has no positive twin. */
		if (v == INT64_MIN)
			snprintf(num, sizeof(num), "9223372036854775808");
		else
			snprintf(num, sizeof(num), "%" PRId64, v < 0 ? -v : v);
		FUZZ_CHECK(!strcmp(num, strip_zeros(digits)),
			   "\"%s\" read as %" PRId64, cell, v);
	}
	return r;
}

static bool is_octal(char c)
{
	return c >= '0' && c <= '7';
}

int fuzz_check_unescape(const char *cell)
{
	size_t len = strlen(cell), i, n = 0;
	char *want = malloc(len + 1), *out = malloc(len + 1);
	bool well_formed = true;
	int r;

	FUZZ_CHECK(want && out, "out of memory");
	/* What the cell says, byte by byte: a \ooo escape up to \377. */
	for (i = 0; i < len; i++) {
		if (cell[i] != '\\') {
			want[n++] = cell[i];
			continue;
		}
		if (!is_octal(cell[i + 1]) || !is_octal(cell[i + 2]) ||
		    !is_octal(cell[i + 3]) || cell[i + 1] > '3') {
			well_formed = false;
			break;
		}
		want[n++] = (char)((cell[i + 1] - '0') << 6 |
				   (cell[i + 2] - '0') << 3 | (cell[i + 3] - '0'));
		i += 3;
	}

	r = mp_unescape(cell, out, len + 1);
	if (!strcmp(cell, MEMPRESSURE_NA)) {
		FUZZ_CHECK(r == -ENODATA, "\"%s\": %d", cell, r);
	} else if (!well_formed) {
		FUZZ_CHECK(r == -EINVAL, "\"%s\": %d", cell, r);
	} else {
		/* A decoded string is never longer than the cell. */
		FUZZ_CHECK(r == 0 && n <= len && !memcmp(out, want, n) &&
			   out[n] == '\0', "\"%s\": %d", cell, r);
		/* One byte short of room for the NUL is refused, not cut. */
		FUZZ_CHECK(mp_unescape(cell, out, n) == -ENAMETOOLONG,
			   "\"%s\" in %zu bytes", cell, n);
	}
	free(want);
	free(out);
	return r;
}
