// SPDX-License-Identifier: GPL-2.0
/*
 * bench_overhead: what the loaded module costs a workload.
 *
 *   bench_overhead [PAIRS]		(default 9)
 *
 * Not a pass/fail test: it prints figures ("# " lines, then "bench: NAME
 * VALUE UNIT [COMPARISON VALUE]" lines for make bench) and exits 0.
 *
 * Two workloads, each calibrated once (module not loaded) to run about
 * RUN_MS, then timed PAIRS times without the module and PAIRS times with
 * it loaded at its default settings, alternating (not loaded, loaded, not
 * loaded, ...), so that a drift of the machine (the host is shared) falls
 * on both sides alike:
 *
 * - faults: mmap FAULT_REGION anonymous, write one byte per page (every
 *   write a page fault, huge pages off), munmap, in a loop;
 * - fork: fork, the child _exit()s at once, waitpid, in a loop.
 *
 * The overhead is (median loaded - median not loaded) / median not loaded,
 * in percent; the smallest and largest runs of each side are printed next
 * to the medians, since under emulation two identical runs differ by more
 * than the aim (1 %).  Also the median of the pairs' own overheads (each
 * loaded run against the run just before it), which a slow drift of the
 * host's load shifts less.  The module is loaded before each loaded run and
 * has taken its first sample (which sees every process for the first time)
 * before the clock starts; it is unloaded after it.  One run of each
 * workload, not counted, goes first.
 *
 * Beside it, a figure that the host's noise does not blur: the module's
 * own sampling time during the loaded runs (from the status file's sample
 * count and mean, as bench_sampling reads them) over their wall time.  It
 * leaves out the tracepoint probes (memcg reclaim, OOM victim), which
 * neither workload fires.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mp_util.h"

#define RUN_MS		1000
#define FAULT_REGION	(16 * MiB)
#define MAX_PAIRS	31

static long page_size;

static int faults(unsigned long loops)
{
	for (unsigned long i = 0; i < loops; i++) {
		char *p = mmap(NULL, FAULT_REGION, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return -errno;
		madvise(p, FAULT_REGION, MADV_NOHUGEPAGE);
		for (size_t off = 0; off < FAULT_REGION; off += (size_t)page_size)
			p[off] = 1;
		munmap(p, FAULT_REGION);
	}
	return 0;
}

static int forks(unsigned long loops)
{
	for (unsigned long i = 0; i < loops; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return -errno;
		if (!pid)
			_exit(0);
		if (waitpid(pid, NULL, 0) != pid)
			return -errno;
	}
	return 0;
}

struct workload {
	const char *name;	/* for bench: lines */
	const char *what;
	int (*fn)(unsigned long loops);
	unsigned long loops;
	uint64_t off_us[MAX_PAIRS], on_us[MAX_PAIRS];
	double sampling_us;	/* the module's, during the loaded runs */
};

/* Microseconds for one run, or 0 if it failed. */
static uint64_t timed(struct workload *w)
{
	uint64_t t0 = mp_now_ns();

	if (w->fn(w->loops))
		return 0;
	return (mp_now_ns() - t0) / 1000;
}

/* Loops for about RUN_MS: grow until a run takes 1/8 of it, then scale. */
static void calibrate(struct workload *w)
{
	uint64_t us;

	w->loops = 1;
	for (;;) {
		us = timed(w);
		if (!us || us * 8 >= RUN_MS * 1000ULL || w->loops > (1UL << 30))
			break;
		w->loops *= 2;
	}
	if (us)
		w->loops = (unsigned long)((double)w->loops * RUN_MS * 1000.0 /
					   (double)us);
	if (!w->loops)
		w->loops = 1;
}

static int load_default(void)
{
	uint64_t n = 0;
	int err = mp_load("");

	if (!err)
		err = mp_status_u64("samples", &n);
	if (!err)
		err = mp_wait_samples(n + 1, MP_WAIT_MS);
	return err;
}

/* Total sample time so far, from the status file's count and mean. */
static double sampled_us(void)
{
	uint64_t n = 0, avg = 0;

	if (mp_status_u64("samples", &n) || mp_status_u64("sample_avg_usec", &avg))
		return 0;
	return (double)n * (double)avg;
}

static void report(const struct workload *w, size_t pairs)
{
	uint64_t off[MAX_PAIRS], on[MAX_PAIRS], paired[MAX_PAIRS];
	double moff, mon, pct, on_total = 0;
	int64_t paired_pct;

	memcpy(off, w->off_us, pairs * sizeof(off[0]));
	memcpy(on, w->on_us, pairs * sizeof(on[0]));
	mp_sort_u64(off, pairs);
	mp_sort_u64(on, pairs);
	moff = (double)mp_percentile(off, pairs, 50) / 1000.0;
	mon = (double)mp_percentile(on, pairs, 50) / 1000.0;
	pct = moff > 0 ? (mon - moff) / moff * 100.0 : 0;
	printf("# %-8s %9lu %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f %+8.2f\n",
	       w->name, w->loops, moff, (double)off[0] / 1000.0,
	       (double)off[pairs - 1] / 1000.0, mon, (double)on[0] / 1000.0,
	       (double)on[pairs - 1] / 1000.0, pct);
	/* Per pair, in hundredths of a percent, offset to sort as unsigned. */
	for (size_t i = 0; i < pairs; i++) {
		double d = w->off_us[i] ? ((double)w->on_us[i] - (double)w->off_us[i]) /
					  (double)w->off_us[i] * 10000.0 : 0;

		on_total += (double)w->on_us[i];
		paired[i] = (uint64_t)((int64_t)d + (1LL << 40));
	}
	mp_sort_u64(paired, pairs);
	paired_pct = (int64_t)mp_percentile(paired, pairs, 50) - (1LL << 40);
	printf("bench: overhead_%s_pct %.2f %%\n", w->name, pct);
	printf("bench: overhead_%s_paired_pct %.2f %%\n", w->name,
	       (double)paired_pct / 100.0);
	printf("bench: overhead_%s_sampling_pct %.4f %%\n", w->name,
	       on_total > 0 ? w->sampling_us / on_total * 100.0 : 0);
	printf("bench: %s_run_median_ms %.1f ms unloaded %.1f\n", w->name, mon, moff);
	printf("bench: %s_run_min_ms %.1f ms unloaded %.1f\n", w->name,
	       (double)on[0] / 1000.0, (double)off[0] / 1000.0);
	printf("bench: %s_run_max_ms %.1f ms unloaded %.1f\n", w->name,
	       (double)on[pairs - 1] / 1000.0, (double)off[pairs - 1] / 1000.0);
}

int main(int argc, char **argv)
{
	struct workload w[] = {
		{ .name = "fault", .what = "mmap 16 MiB, touch every page, munmap",
		  .fn = faults },
		{ .name = "fork", .what = "fork, child exits at once, waitpid",
		  .fn = forks },
	};
	size_t pairs = 9, i, k;
	struct utsname uts;
	int err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	page_size = sysconf(_SC_PAGESIZE);
	if (argc > 1)
		pairs = strtoul(argv[1], NULL, 10);
	if (pairs < 1 || pairs > MAX_PAIRS)
		pairs = 9;
	uname(&uts);
	printf("# bench_overhead: workload time with the module loaded (defaults) against not loaded\n");
	printf("# kernel %s, %zu runs each, alternating, about %d ms a run\n",
	       uts.release, pairs, RUN_MS);
	mp_unload();

	for (k = 0; k < 2; k++) {
		calibrate(&w[k]);
		printf("# %s: %s, %lu loops a run\n", w[k].name, w[k].what,
		       w[k].loops);
		timed(&w[k]);
		for (i = 0; i < pairs; i++) {
			double s0;

			w[k].off_us[i] = timed(&w[k]);
			err = load_default();
			if (err) {
				printf("# cannot load %s: %s\n",
				       mp_module_path(), strerror(-err));
				return 0;
			}
			s0 = sampled_us();
			w[k].on_us[i] = timed(&w[k]);
			w[k].sampling_us += sampled_us() - s0;
			mp_unload();
			printf("# %s run %zu: not loaded %.1f ms, loaded %.1f ms\n",
			       w[k].name, i + 1, (double)w[k].off_us[i] / 1000.0,
			       (double)w[k].on_us[i] / 1000.0);
		}
	}

	printf("# %-8s %9s %9s %9s %9s %9s %9s %9s %8s\n", "workload", "loops",
	       "off_med", "off_min", "off_max", "on_med", "on_min", "on_max",
	       "overhead");
	for (k = 0; k < 2; k++)
		report(&w[k], pairs);
	printf("# times in ms; overhead %% = (on_med - off_med) / off_med x 100; figures are printed, never asserted.\n");
	for (k = 0; k < 2; k++)
		printf("# %s: the module's own sampling took %.1f ms of %zu loaded runs\n",
		       w[k].name, w[k].sampling_us / 1000.0, pairs);
	return 0;
}
