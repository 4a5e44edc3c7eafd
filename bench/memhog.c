// SPDX-License-Identifier: GPL-2.0
/*
 * memhog: a process whose RSS follows a plan, for the demo and benchmarks.
 *
 *   memhog [-i SIZE] [-r RATE] [-t SECONDS] [-n NAME]
 *
 * Touches SIZE bytes of anonymous memory, then changes its RSS by RATE
 * bytes per second (negative: frees) for SECONDS (default: until killed),
 * then holds still.  Sizes take K, M and G suffixes.  It paces itself by the
 * clock, not by sleeping a fixed time per step, so the rate holds even on a
 * slow emulated CPU.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "mp_util.h"

#define STEP_NS	50000000LL	/* 50 ms between adjustments */

static long page_size;

static int parse_size(const char *s, long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'G': v *= 1024;	/* fall through */
	case 'M': v *= 1024;	/* fall through */
	case 'K': v *= 1024; end++; break;
	case '\0': break;
	default: return -EINVAL;
	}
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Make the touched part of @buf exactly @want bytes (page-rounded). */
static void set_rss(char *buf, long long *have, long long want)
{
	want -= want % page_size;
	for (; *have < want; *have += page_size)
		buf[*have] = 1;
	if (*have > want) {
		madvise(buf + want, (size_t)(*have - want), MADV_DONTNEED);
		*have = want;
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: memhog [-i SIZE] [-r RATE] [-t SECONDS] [-n NAME]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	long long initial = 0, rate = 0, seconds = -1, have = 0, peak, start;
	char *buf;
	int opt;

	page_size = sysconf(_SC_PAGESIZE);
	while ((opt = getopt(argc, argv, "i:r:t:n:")) != -1) {
		switch (opt) {
		case 'i':
			if (parse_size(optarg, &initial) || initial < 0)
				usage();
			break;
		case 'r':
			if (parse_size(optarg, &rate))
				usage();
			break;
		case 't':
			seconds = atoll(optarg);
			break;
		case 'n':
			prctl(PR_SET_NAME, optarg);
			break;
		default:
			usage();
		}
	}

	/* Reserve the most it will ever hold; only touched pages count. */
	peak = initial + (rate > 0 ? rate * (seconds < 0 ? 3600 : seconds) : 0);
	buf = mmap(NULL, (size_t)peak + (size_t)page_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (buf == MAP_FAILED) {
		perror("memhog: mmap");
		return 1;
	}
	set_rss(buf, &have, initial);

	start = mp_now_ns();
	for (;;) {
		long long elapsed = mp_now_ns() - start;
		long long want;
		struct timespec step = { 0, STEP_NS };

		if (seconds >= 0 && elapsed > seconds * 1000000000LL)
			elapsed = seconds * 1000000000LL;
		want = initial + (long long)((double)rate * elapsed / 1e9);
		if (want < 0)
			want = 0;
		if (want > peak)
			want = peak;
		set_rss(buf, &have, want);
		if (seconds >= 0 && elapsed >= seconds * 1000000000LL)
			break;
		nanosleep(&step, NULL);
	}
	for (;;)
		pause();
}
