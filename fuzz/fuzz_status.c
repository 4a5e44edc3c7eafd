// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/mempressure/status, "key value" lines (docs/procfs.md), as
 * userspace/common/mp_table.c reads them: mp_kv_get() and
 * mp_kv_get_u64().  The input is a whole file; the keys looked up are the
 * status keys of <linux/mempressure.h> and the first word of each of the
 * input's first lines.
 *
 * Invariants, per key:
 *  - mp_kv_get() finds the value of the first line that starts with the
 *    key and a space, up to the end of that line, and -ENOENT when no line
 *    does;
 *  - it fits in a buffer of exactly its length and a NUL, and in none
 *    smaller (-ENAMETOOLONG, nothing written past the buffer);
 *  - mp_kv_get_u64() says what mp_parse_u64() says of that value
 *    (fuzz_cells.c holds it to docs/procfs.md), -EINVAL for a value too
 *    long to be a number.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "mp_table.h"
#include "names.h"

#define INPUT_KEYS	8

/* Where the value of @key starts in @text, or NULL; its length in *@vlen. */
static const char *find_value(const char *text, size_t len, const char *key,
			      size_t *vlen)
{
	size_t klen = strlen(key), pos = 0, n;
	const char *line;

	while (fuzz_next_line(text, len, &pos, &line, &n)) {
		if (n > klen && !memcmp(line, key, klen) && line[klen] == ' ') {
			*vlen = n - klen - 1;
			return line + klen + 1;
		}
	}
	return NULL;
}

static void check_key(const char *text, size_t len, const char *key)
{
	size_t vlen = 0;
	const char *want = find_value(text, len, key, &vlen);
	char *out = malloc(vlen + 1);
	uint64_t v;
	int r;

	FUZZ_CHECK(out, "out of memory");
	r = mp_kv_get(text, len, key, out, vlen + 1);
	if (!want) {
		FUZZ_CHECK(r == -ENOENT, "\"%s\" absent: %d", key, r);
		FUZZ_CHECK(mp_kv_get_u64(text, len, key, &v) == -ENOENT, "\"%s\" absent",
			   key);
		free(out);
		return;
	}
	FUZZ_CHECK(r == 0 && !memcmp(out, want, vlen) && out[vlen] == '\0',
		   "\"%s\": %d", key, r);
	if (vlen < 32 && !memchr(want, '\0', vlen)) {
		int u = mp_kv_get_u64(text, len, key, &v);

		FUZZ_CHECK(u == fuzz_check_u64(out), "\"%s\" = \"%s\": %d", key, out, u);
	} else if (vlen >= 32) {
		FUZZ_CHECK(mp_kv_get_u64(text, len, key, &v) == -EINVAL,
			   "\"%s\": %zu bytes", key, vlen);
	}
	/* One byte short: refused, and the buffer is all that is written. */
	free(out);
	out = malloc(vlen ? vlen : 1);
	FUZZ_CHECK(out, "out of memory");
	FUZZ_CHECK(mp_kv_get(text, len, key, out, vlen) == -ENAMETOOLONG,
		   "\"%s\" in %zu bytes", key, vlen);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *line;
	char key[64];
	size_t pos = 0, len, i;
	int n = 0;

	for (i = 0; i < MEMPRESSURE_STATUS_NR; i++)
		check_key(text, size, mp_status_keys[i]);
	/* The input's own keys: whatever starts its lines. */
	while (n++ < INPUT_KEYS && fuzz_next_line(text, size, &pos, &line, &len)) {
		size_t klen = 0;

		while (klen < len && line[klen] != ' ')
			klen++;
		if (klen < sizeof(key) && !memchr(line, '\0', klen)) {
			memcpy(key, line, klen);
			key[klen] = '\0';
			check_key(text, size, key);
		}
	}
	return 0;
}
