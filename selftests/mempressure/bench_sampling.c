// SPDX-License-Identifier: GPL-2.0
/*
 * bench_sampling: what the module's sampling costs per process, against
 * what a userspace monitor pays to learn the same by scanning /proc.
 *
 *   bench_sampling [N...]		(default: 1000 10000)
 *
 * Not a pass/fail test: it prints figures ("# " lines, then a summary
 * table, then "bench: NAME VALUE UNIT [COMPARISON VALUE]" lines that make
 * bench gathers into build/bench.json).  For each N it forks N idle children, loads the
 * module, lets it take three samples to warm up and eight more to measure,
 * reading its own timing from the status file; then it times open+read+close of /proc/PID/statm and of
 * /proc/PID/status for every process (five passes, the median one).  The
 * module's figure is the mean time of a whole steady sample (cgroups
 * included) divided by the processes it tracked.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mp_util.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#define PASSES		5
#define WARMUP_SAMPLES	3
#define MEASURED_SAMPLES	8
#define MAX_RUNS	16
/* Samples at 1 s take longer than a test's wait with 10000 processes. */
#define BENCH_WAIT_MS	(120 * 1000)

struct result {
	unsigned long n;		/* children asked for */
	unsigned long forked;		/* children made */
	uint64_t tracked;		/* status "processes" */
	uint64_t skipped;
	uint64_t last_us, avg_us, max_us;
	double steady_us;		/* mean sample after the warm-up */
	uint64_t memory_bytes;
	double module_ns, statm_ns, status_ns;
	size_t scanned;			/* pids in /proc */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Every pid in /proc now, as the scan a userspace monitor starts with. */
static pid_t *list_pids(size_t *nr)
{
	size_t cap = 1024, n = 0;
	pid_t *pids = malloc(cap * sizeof(*pids));
	struct dirent *de;
	DIR *dir;

	dir = opendir("/proc");
	if (!pids || !dir) {
		free(pids);
		if (dir)
			closedir(dir);
		return NULL;
	}
	while ((de = readdir(dir))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0)
			continue;
		if (n == cap) {
			pid_t *bigger = realloc(pids, 2 * cap * sizeof(*pids));

			if (!bigger)
				break;
			pids = bigger;
			cap *= 2;
		}
		pids[n++] = (pid_t)pid;
	}
	closedir(dir);
	*nr = n;
	return pids;
}

/*
 * Nanoseconds per process to open, read and close /proc/PID/@file for
 * every pid: the median of PASSES passes.
 */
static double scan_ns(const pid_t *pids, size_t nr, const char *file)
{
	double pass[PASSES];
	char path[64], buf[4096];
	int p;

	for (p = 0; p < PASSES; p++) {
		double start = now_s();
		size_t i;

		for (i = 0; i < nr; i++) {
			int fd;

			snprintf(path, sizeof(path), "/proc/%d/%s", pids[i],
				 file);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue;
			if (read(fd, buf, sizeof(buf)) < 0)
				buf[0] = '\0';
			close(fd);
		}
		pass[p] = now_s() - start;
	}
	qsort(pass, PASSES, sizeof(pass[0]), cmp_double);
	return nr ? pass[PASSES / 2] * 1e9 / (double)nr : 0;
}

static unsigned long read_sysctl(const char *path)
{
	unsigned long v = 0;
	FILE *f = fopen(path, "re");

	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

/* Make room for @n more processes: pid_max, threads-max, RLIMIT_NPROC. */
static void make_room(unsigned long n)
{
	static const char *const limits[] = {
		"/proc/sys/kernel/pid_max", "/proc/sys/kernel/threads-max",
	};
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	unsigned long want = n + 1024;
	size_t i;

	if (setrlimit(RLIMIT_NPROC, &rl))
		printf("# cannot raise RLIMIT_NPROC: %s\n", strerror(errno));
	for (i = 0; i < ARRAY_SIZE(limits); i++) {
		unsigned long have = read_sysctl(limits[i]);
		FILE *f;

		if (!have || have >= want)
			continue;
		f = fopen(limits[i], "we");
		if (f) {
			fprintf(f, "%lu\n", want);
			fclose(f);
		}
		printf("# %s: %lu raised to %lu\n", limits[i], have,
		       read_sysctl(limits[i]));
	}
}

static int run(unsigned long n, struct result *r)
{
	uint64_t n0 = 0, n1 = 0, avg0 = 0;
	pid_t *children, *pids;
	double start;
	size_t nr;
	int err;

	memset(r, 0, sizeof(*r));
	r->n = n;
	children = calloc(n ? n : 1, sizeof(*children));
	if (!children)
		return -ENOMEM;

	make_room(n);
	start = now_s();
	for (r->forked = 0; r->forked < n; r->forked++) {
		pid_t pid = mp_fork_idle();

		if (pid < 0) {
			printf("# fork failed after %lu children: %s\n",
			       r->forked, strerror(errno));
			break;
		}
		children[r->forked] = pid;
	}
	printf("# N=%lu: forked %lu idle children in %.1f s\n", n, r->forked,
	       now_s() - start);
	fflush(stdout);

	err = mp_load("interval_ms=1000 max_processes=20000");
	if (err) {
		printf("# cannot load %s: %s\n", mp_module_path(),
		       strerror(-err));
		goto out;
	}
	/*
	 * Steady state: the first samples see every process for the first
	 * time and grow their arrays.  Then the mean of the next ones, from
	 * the status file's running mean (whole microseconds).
	 */
	err = mp_wait_more_samples(WARMUP_SAMPLES, BENCH_WAIT_MS);
	if (!err)
		err = mp_status_u64("samples", &n0);
	if (!err)
		err = mp_status_u64("sample_avg_usec", &avg0);
	if (!err)
		err = mp_wait_more_samples(MEASURED_SAMPLES, BENCH_WAIT_MS);
	if (!err)
		err = mp_status_u64("samples", &n1);
	if (!err)
		err = mp_status_u64("sample_avg_usec", &r->avg_us);
	if (!err)
		err = mp_status_u64("sample_last_usec", &r->last_us);
	if (!err)
		err = mp_status_u64("sample_max_usec", &r->max_us);
	if (!err)
		err = mp_status_u64("processes", &r->tracked);
	if (!err)
		err = mp_status_u64("processes_skipped", &r->skipped);
	if (!err)
		err = mp_status_u64("memory_bytes", &r->memory_bytes);
	if (err) {
		printf("# cannot read the module's status: %s\n",
		       strerror(-err));
		goto out;
	}
	r->steady_us = n1 > n0 ? (double)(r->avg_us * n1 - avg0 * n0) /
				 (double)(n1 - n0) : 0;
	r->module_ns = r->tracked ? r->steady_us * 1000.0 /
				    (double)r->tracked : 0;
	printf("# N=%lu: module tracks %llu processes (%llu skipped); steady sample mean %.0f us (samples %llu-%llu), last %llu us, max %llu us; %.0f ns per process\n",
	       n, (unsigned long long)r->tracked,
	       (unsigned long long)r->skipped, r->steady_us,
	       (unsigned long long)n0 + 1, (unsigned long long)n1,
	       (unsigned long long)r->last_us,
	       (unsigned long long)r->max_us, r->module_ns);
	printf("# N=%lu: module memory %llu bytes, %.0f per tracked process (both sample buffers: current and next)\n",
	       n, (unsigned long long)r->memory_bytes,
	       r->tracked ? (double)r->memory_bytes / (double)r->tracked : 0);
	fflush(stdout);

	pids = list_pids(&nr);
	if (!pids) {
		err = -ENOMEM;
		goto out;
	}
	r->scanned = nr;
	r->statm_ns = scan_ns(pids, nr, "statm");
	r->status_ns = scan_ns(pids, nr, "status");
	free(pids);
	printf("# N=%lu: /proc scan of %zu pids, median of %d passes: statm %.0f ns, status %.0f ns per process\n",
	       n, nr, PASSES, r->statm_ns, r->status_ns);
	fflush(stdout);

out:
	for (size_t i = 0; i < r->forked; i++)
		kill(children[i], SIGKILL);
	for (size_t i = 0; i < r->forked; i++)
		waitpid(children[i], NULL, 0);
	free(children);
	mp_unload();
	return err;
}

int main(int argc, char **argv)
{
	static const unsigned long defaults[] = { 1000, 10000 };
	struct result results[MAX_RUNS];
	unsigned long counts[MAX_RUNS];
	int nr = 0, i, failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1) {
		for (i = 1; i < argc && nr < MAX_RUNS; i++) {
			char *end;
			unsigned long n = strtoul(argv[i], &end, 10);

			if (*end || !n) {
				fprintf(stderr, "usage: %s [N...]\n", argv[0]);
				return 2;
			}
			counts[nr++] = n;
		}
	} else {
		for (nr = 0; nr < (int)ARRAY_SIZE(defaults); nr++)
			counts[nr] = defaults[nr];
	}

	printf("# bench_sampling: module sampling cost against a /proc scan\n");
	for (i = 0; i < nr; i++)
		failed |= run(counts[i], &results[i]) != 0;

	printf("# %8s %8s %10s %10s %10s %8s %10s\n", "N", "tracked",
	       "module_ns", "statm_ns", "status_ns", "statm/mod", "bytes/proc");
	for (i = 0; i < nr; i++) {
		const struct result *r = &results[i];

		printf("# %8lu %8llu %10.0f %10.0f %10.0f %8.1f %10.0f\n",
		       r->n, (unsigned long long)r->tracked, r->module_ns,
		       r->statm_ns, r->status_ns,
		       r->module_ns ? r->statm_ns / r->module_ns : 0,
		       r->tracked ? (double)r->memory_bytes /
				    (double)r->tracked : 0);
	}
	printf("# module_ns: mean steady sample time / processes tracked (cgroup walk included);\n");
	printf("# statm_ns, status_ns: open+read+close per process, median of %d passes;\n",
	       PASSES);
	printf("# bytes/proc: memory_bytes / processes, memory_bytes counting both sample buffers.\n");
	if (failed)
		printf("# some runs failed; their figures are 0\n");

	/* For make bench: "bench: NAME VALUE UNIT [COMPARISON VALUE]". */
	for (i = 0; i < nr; i++) {
		const struct result *r = &results[i];
		double bytes = r->tracked ? (double)r->memory_bytes /
					    (double)r->tracked : 0;
		char n[32];

		if (r->n % 1000 == 0)
			snprintf(n, sizeof(n), "%luk", r->n / 1000);
		else
			snprintf(n, sizeof(n), "%lu", r->n);
		printf("bench: module_ns_per_process_%s %.0f ns statm_ns_per_process_%s %.0f\n",
		       n, r->module_ns, n, r->statm_ns);
		printf("bench: module_ns_per_process_%s_vs_status %.0f ns status_ns_per_process_%s %.0f\n",
		       n, r->module_ns, n, r->status_ns);
		printf("bench: scan_cost_ratio_statm_%s %.1f x\n", n,
		       r->module_ns ? r->statm_ns / r->module_ns : 0);
		printf("bench: scan_cost_ratio_status_%s %.1f x\n", n,
		       r->module_ns ? r->status_ns / r->module_ns : 0);
		printf("bench: module_sample_us_%s %.0f us\n", n, r->steady_us);
		printf("bench: module_bytes_per_process_%s %.0f bytes\n", n, bytes);
		if (i == nr - 1)
			printf("bench: module_bytes_per_process %.0f bytes\n", bytes);
	}
	return 0;
}
