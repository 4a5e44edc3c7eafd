/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the fuzz targets share (docs/testing.md, "Fuzzing").
 *
 * A target is one LLVMFuzzerTestOneInput(): libFuzzer calls it under clang
 * (make fuzz), fuzz/replay.c calls it on each file of its corpus under gcc
 * (make check).  Targets check invariants, not only that nothing crashed:
 * a broken invariant aborts, so both drivers report it as a crash.
 */
#ifndef MP_FUZZ_H
#define MP_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant that does not hold: say which, then crash. */
#define FUZZ_CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: invariant broken: %s: ",	\
				__FILE__, __LINE__, #cond);		\
			fprintf(stderr, __VA_ARGS__);			\
			fputc('\n', stderr);				\
			abort();					\
		}							\
	} while (0)

/*
 * The lines of @len bytes of @text, each ending in a newline but maybe the
 * last: the one at *@pos, its start and length, and *@pos moved past it.
 * False when there is none left.
 */
static inline bool fuzz_next_line(const char *text, size_t len, size_t *pos,
				  const char **line, size_t *line_len)
{
	const char *nl;

	if (*pos >= len)
		return false;
	*line = text + *pos;
	nl = memchr(*line, '\n', len - *pos);
	*line_len = nl ? (size_t)(nl - *line) : len - *pos;
	*pos += *line_len + 1;
	return true;
}

/*
 * The cell decoders of mp_table.h, checked against what docs/procfs.md
 * says a cell is (fuzz_cells.c): each returns what the decoder returned.
 */
int fuzz_check_u64(const char *cell);
int fuzz_check_s64(const char *cell);
int fuzz_check_unescape(const char *cell);

#endif /* MP_FUZZ_H */
