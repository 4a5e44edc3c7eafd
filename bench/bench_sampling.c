// SPDX-License-Identifier: GPL-2.0
/*
 * bench_sampling: what the module's sampling costs per process, against
 * what a userspace monitor pays to learn the same by scanning /proc.
 *
 *   bench_sampling [N... cgN...]	(default: 100 1000 10000 cg10 cg100 cg1000)
 *
 * Not a pass/fail test: it prints figures ("# " lines, then a summary
 * table, then "bench: NAME VALUE UNIT [COMPARISON VALUE]" lines that make
 * bench gathers into build/bench.json).  For each N it forks N idle
 * children, then loads the module twice, each time letting it take three
 * samples to warm up and eight more to measure, reading its own timing from
 * the status file: first with change_tracking=0, where every sample reads
 * every process (what a sample costs when every process changed), then at
 * the defaults, where a sample reads only the processes the kernel
 * reported changed and every 64th reads them all.  The module's figure is
 * the amortized sample at the defaults (63 steady samples and one full
 * walk) divided by the processes it tracked, cgroups included.  Then it
 * times open+read+close of /proc/PID/statm and of /proc/PID/status for
 * every process (five passes, the median one).
 *
 * cgN runs the same for cgroups: with the module loaded, it measures a
 * steady sample and the module's memory, makes N empty memory cgroups,
 * and measures again; the module's cost per cgroup is the difference
 * over N (the process walk, the same in both, drops out).  Against it:
 * open+read+close of the five files a userspace monitor reads to learn
 * what one row of the cgroups table says (memory.current, memory.high,
 * memory.max, memory.events, memory.pressure), for every cgroup.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
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
/* With change tracking, one sample in this many reads every process. */
#define FULL_WALK_EVERY	64		/* module/sampler.c */
/* Samples at 1 s take longer than a test's wait with 10000 processes. */
#define BENCH_WAIT_MS	(120 * 1000)

struct result {
	unsigned long n;		/* children asked for */
	unsigned long forked;		/* children made */
	uint64_t tracked;		/* status "processes" */
	uint64_t skipped;
	uint64_t last_us, avg_us, max_us;
	double steady_us;		/* mean sample after the warm-up */
	double walk_us;			/* the same, change_tracking=0 */
	double amortized_us;		/* 63 of steady_us, 1 of walk_us */
	uint64_t nr_read;		/* processes read, the last sample */
	uint64_t memory_bytes;
	double module_ns, walk_ns, statm_ns, status_ns;
	size_t scanned;			/* pids in /proc */
};

/* Seconds since @start_ns (mp_now_ns()). */
static double seconds_since(uint64_t start_ns)
{
	return (double)(mp_now_ns() - start_ns) / 1e9;
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
/* What a userspace monitor does per file: open, read, close. */
static void read_once(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (read(fd, buf, sizeof(buf)) < 0)
		buf[0] = '\0';
	close(fd);
}

/* Nanoseconds per item of the median of PASSES timed passes. */
static double median_ns(double *pass, size_t nr)
{
	qsort(pass, PASSES, sizeof(pass[0]), cmp_double);
	return nr ? pass[PASSES / 2] * 1e9 / (double)nr : 0;
}

static double scan_ns(const pid_t *pids, size_t nr, const char *file)
{
	double pass[PASSES];
	char path[64];

	for (int p = 0; p < PASSES; p++) {
		uint64_t start = mp_now_ns();

		for (size_t i = 0; i < nr; i++) {
			snprintf(path, sizeof(path), "/proc/%d/%s", pids[i], file);
			read_once(path);
		}
		pass[p] = seconds_since(start);
	}
	return median_ns(pass, nr);
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

/* The status counters a window of samples is measured by. */
struct sample_totals {
	uint64_t samples, avg_us, walks, walk_avg_us;
};

static int sample_totals(struct sample_totals *t)
{
	int err = mp_status_u64("samples", &t->samples);

	if (!err)
		err = mp_status_u64("sample_avg_usec", &t->avg_us);
	if (!err)
		err = mp_status_u64("full_walks", &t->walks);
	if (!err)
		err = mp_status_u64("full_walk_avg_usec", &t->walk_avg_us);
	return err;
}

/*
 * Mean of the next MEASURED_SAMPLES samples after WARMUP_SAMPLES, in us,
 * leaving out any that read every process (one in 64 with change
 * tracking; run() accounts for those apart).  With change_tracking=0
 * every sample does, and the mean is theirs.
 */
static int steady_sample(double *us)
{
	struct sample_totals a, b;
	double total, walks;
	uint64_t n, nw;
	int err;

	err = mp_wait_more_samples(WARMUP_SAMPLES, BENCH_WAIT_MS);
	if (!err)
		err = sample_totals(&a);
	if (!err)
		err = mp_wait_more_samples(MEASURED_SAMPLES, BENCH_WAIT_MS);
	if (!err)
		err = sample_totals(&b);
	if (err)
		return err;
	n = b.samples - a.samples;
	nw = b.walks - a.walks;
	total = (double)b.avg_us * (double)b.samples -
		(double)a.avg_us * (double)a.samples;
	walks = (double)b.walk_avg_us * (double)b.walks -
		(double)a.walk_avg_us * (double)a.walks;
	if (nw && nw < n) {
		total -= walks;
		n -= nw;
	}
	*us = n ? total / (double)n : 0;
	return 0;
}

static int run(unsigned long n, struct result *r)
{
	pid_t *children, *pids;
	uint64_t start;
	size_t nr;
	int err;

	memset(r, 0, sizeof(*r));
	r->n = n;
	children = calloc(n ? n : 1, sizeof(*children));
	if (!children)
		return -ENOMEM;

	make_room(n);
	start = mp_now_ns();
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
	       seconds_since(start));
	fflush(stdout);

	/* Every sample reads every process: what a sample costs at worst. */
	err = mp_load("interval_ms=1000 max_processes=20000 change_tracking=0");
	if (!err)
		err = steady_sample(&r->walk_us);
	if (!err)
		err = mp_unload();
	/* The defaults: only what changed, and a full walk every 64th. */
	if (!err)
		err = mp_load("interval_ms=1000 max_processes=20000");
	if (err) {
		printf("# cannot load %s: %s\n", mp_module_path(),
		       strerror(-err));
		goto out;
	}
	/*
	 * Steady state: the first samples see every process for the first
	 * time and grow their arrays.  Then the mean of the next ones.
	 */
	err = steady_sample(&r->steady_us);
	if (!err)
		err = mp_status_u64("sample_avg_usec", &r->avg_us);
	if (!err)
		err = mp_status_u64("sample_last_usec", &r->last_us);
	if (!err)
		err = mp_status_u64("sample_max_usec", &r->max_us);
	if (!err)
		err = mp_status_u64("processes", &r->tracked);
	if (!err)
		err = mp_status_u64("processes_read", &r->nr_read);
	if (!err)
		err = mp_status_u64("processes_skipped", &r->skipped);
	if (!err)
		err = mp_status_u64("memory_bytes", &r->memory_bytes);
	if (err) {
		printf("# cannot read the module's status: %s\n",
		       strerror(-err));
		goto out;
	}
	r->amortized_us = (r->steady_us * (FULL_WALK_EVERY - 1) + r->walk_us) /
			  FULL_WALK_EVERY;
	r->module_ns = r->tracked ? r->amortized_us * 1000.0 /
				    (double)r->tracked : 0;
	r->walk_ns = r->tracked ? r->walk_us * 1000.0 / (double)r->tracked : 0;
	printf("# N=%lu: module tracks %llu processes (%llu skipped), read %llu in the last sample; steady sample mean %.0f us, full walk %.0f us (change_tracking=0), one in %d: %.0f us amortized, %.0f ns per process (full walk %.0f); last %llu us, max %llu us\n",
	       n, (unsigned long long)r->tracked,
	       (unsigned long long)r->skipped,
	       (unsigned long long)r->nr_read, r->steady_us, r->walk_us,
	       FULL_WALK_EVERY, r->amortized_us, r->module_ns, r->walk_ns,
	       (unsigned long long)r->last_us,
	       (unsigned long long)r->max_us);
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


/* --- cgroups ------------------------------------------------------------ */

#define CG_PARENT	"bench_cg"

/* The files a userspace monitor reads per cgroup, for one table row. */
static const char *const cg_files[] = {
	"memory.current", "memory.high", "memory.max", "memory.events",
	"memory.pressure",
};

struct cg_result {
	unsigned long n;		/* cgroups asked for */
	unsigned long made;
	uint64_t tracked0, tracked1;	/* status "cgroups" before, after */
	double steady0_us, steady1_us;
	uint64_t memory0, memory1;
	double module_ns, cgroupfs_ns, bytes;
};

static double cg_scan_ns(unsigned long n)
{
	double pass[PASSES];
	char path[160];

	for (int p = 0; p < PASSES; p++) {
		uint64_t start = mp_now_ns();

		for (unsigned long i = 0; i < n; i++) {
			for (size_t f = 0; f < ARRAY_SIZE(cg_files); f++) {
				snprintf(path, sizeof(path), MP_CGROUP_ROOT "/" CG_PARENT "/c%lu/%s",
					 i, cg_files[f]);
				read_once(path);
			}
		}
		pass[p] = seconds_since(start);
	}
	return median_ns(pass, n);
}

static void cg_remove(unsigned long made)
{
	char name[64];

	for (unsigned long i = 0; i < made; i++) {
		snprintf(name, sizeof(name), CG_PARENT "/c%lu", i);
		cg_destroy(name);
	}
	cg_destroy(CG_PARENT);
}

static int run_cgroups(unsigned long n, struct cg_result *r)
{
	char params[96], name[64];
	uint64_t start;
	int err;

	memset(r, 0, sizeof(*r));
	r->n = n;
	snprintf(params, sizeof(params), "interval_ms=1000 max_cgroups=%lu", n + 1024);
	err = mp_load(params);
	if (err) {
		printf("# cannot load %s: %s\n", mp_module_path(), strerror(-err));
		return err;
	}
	err = steady_sample(&r->steady0_us);
	if (!err)
		err = mp_status_u64("cgroups", &r->tracked0);
	if (!err)
		err = mp_status_u64("memory_bytes", &r->memory0);
	if (!err)
		err = cg_create(CG_PARENT);
	start = mp_now_ns();
	for (r->made = 0; !err && r->made < n; r->made++) {
		snprintf(name, sizeof(name), CG_PARENT "/c%lu", r->made);
		err = cg_create_leaf(name);
	}
	if (err) {
		printf("# cgroups: %s after %lu\n", strerror(-err), r->made);
		goto out;
	}
	printf("# cg%lu: made %lu empty cgroups in %.1f s\n", n, r->made, seconds_since(start));
	err = steady_sample(&r->steady1_us);
	if (!err)
		err = mp_status_u64("cgroups", &r->tracked1);
	if (!err)
		err = mp_status_u64("memory_bytes", &r->memory1);
	if (err) {
		printf("# cannot read the module's status: %s\n", strerror(-err));
		goto out;
	}
	if (r->tracked1 > r->tracked0) {
		double added = (double)(r->tracked1 - r->tracked0);

		r->module_ns = (r->steady1_us - r->steady0_us) * 1000.0 / added;
		r->bytes = ((double)r->memory1 - (double)r->memory0) / added;
	}
	r->cgroupfs_ns = cg_scan_ns(r->made);
	printf("# cg%lu: module tracks %llu cgroups (%llu before); steady sample %.0f us (%.0f before): %.0f ns per cgroup; memory %llu bytes (%llu before): %.0f per cgroup; cgroupfs scan (%zu files) %.0f ns per cgroup\n",
	       n, (unsigned long long)r->tracked1, (unsigned long long)r->tracked0,
	       r->steady1_us, r->steady0_us, r->module_ns,
	       (unsigned long long)r->memory1, (unsigned long long)r->memory0, r->bytes,
	       ARRAY_SIZE(cg_files), r->cgroupfs_ns);
out:
	mp_unload();
	cg_remove(r->made);
	return err;
}

int main(int argc, char **argv)
{
	static const char *const defaults[] = { "100", "1000", "10000", "cg10", "cg100", "cg1000" };
	struct result results[MAX_RUNS];
	struct cg_result cg_results[MAX_RUNS];
	unsigned long counts[MAX_RUNS], cg_counts[MAX_RUNS];
	int nr = 0, nr_cg = 0, i, failed = 0;
	const char *const *args = defaults;
	int nr_args = ARRAY_SIZE(defaults);

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1) {
		args = (const char *const *)argv + 1;
		nr_args = argc - 1;
	}
	for (i = 0; i < nr_args; i++) {
		bool cg = !strncmp(args[i], "cg", 2);
		char *end;
		unsigned long n = strtoul(args[i] + (cg ? 2 : 0), &end, 10);

		if (*end || !n || nr == MAX_RUNS || nr_cg == MAX_RUNS) {
			fprintf(stderr, "usage: %s [N... cgN...]\n", argv[0]);
			return 2;
		}
		if (cg)
			cg_counts[nr_cg++] = n;
		else
			counts[nr++] = n;
	}

	printf("# bench_sampling: module sampling cost against a /proc scan\n");
	for (i = 0; i < nr; i++)
		failed |= run(counts[i], &results[i]) != 0;
	for (i = 0; i < nr_cg; i++)
		failed |= run_cgroups(cg_counts[i], &cg_results[i]) != 0;

	printf("# %8s %8s %10s %10s %10s %10s %8s %9s %10s\n", "N", "tracked",
	       "module_ns", "walk_ns", "statm_ns", "status_ns", "statm/mod",
	       "statm/walk", "bytes/proc");
	for (i = 0; i < nr; i++) {
		const struct result *r = &results[i];

		printf("# %8lu %8llu %10.0f %10.0f %10.0f %10.0f %8.1f %9.1f %10.0f\n",
		       r->n, (unsigned long long)r->tracked, r->module_ns,
		       r->walk_ns, r->statm_ns, r->status_ns,
		       r->module_ns ? r->statm_ns / r->module_ns : 0,
		       r->walk_ns ? r->statm_ns / r->walk_ns : 0,
		       r->tracked ? (double)r->memory_bytes /
				    (double)r->tracked : 0);
	}
	printf("# module_ns: steady sample time at the defaults (63 of 64 read what changed, the 64th every process) / processes tracked, cgroup walk included;\n");
	printf("# walk_ns: the same with change_tracking=0, every sample reading every process (the cost when all of them change);\n");
	printf("# statm_ns, status_ns: open+read+close per process, median of %d passes;\n",
	       PASSES);
	printf("# bytes/proc: memory_bytes / processes, memory_bytes counting both sample buffers.\n");
	if (nr_cg) {
		printf("# %8s %8s %10s %12s %8s %10s\n", "cgroups", "tracked", "module_ns",
		       "cgroupfs_ns", "fs/mod", "bytes/cg");
		for (i = 0; i < nr_cg; i++) {
			const struct cg_result *r = &cg_results[i];

			printf("# %8lu %8llu %10.0f %12.0f %8.1f %10.0f\n", r->n,
			       (unsigned long long)r->tracked1, r->module_ns, r->cgroupfs_ns,
			       r->module_ns > 0 ? r->cgroupfs_ns / r->module_ns : 0, r->bytes);
		}
		printf("# module_ns, bytes/cg: what the added cgroups added to a steady sample and to memory_bytes, over their number;\n");
		printf("# cgroupfs_ns: open+read+close of %zu memory.* files per cgroup, median of %d passes.\n",
		       ARRAY_SIZE(cg_files), PASSES);
	}
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
		printf("bench: scan_cost_ratio_statm_%s_walk %.1f x\n", n,
		       r->walk_ns ? r->statm_ns / r->walk_ns : 0);
		printf("bench: module_walk_ns_per_process_%s %.0f ns statm_ns_per_process_%s %.0f\n",
		       n, r->walk_ns, n, r->statm_ns);
		printf("bench: scan_cost_ratio_status_%s %.1f x\n", n,
		       r->module_ns ? r->status_ns / r->module_ns : 0);
		printf("bench: module_sample_us_%s %.0f us module_walk_us_%s %.0f\n",
		       n, r->steady_us, n, r->walk_us);
		printf("bench: module_bytes_per_process_%s %.0f bytes\n", n, bytes);
		if (i == nr - 1)
			printf("bench: module_bytes_per_process %.0f bytes\n", bytes);
	}
	for (i = 0; i < nr_cg; i++) {
		const struct cg_result *r = &cg_results[i];

		printf("bench: module_ns_per_cgroup_%lu %.0f ns cgroupfs_ns_per_cgroup_%lu %.0f\n",
		       r->n, r->module_ns, r->n, r->cgroupfs_ns);
		printf("bench: cgroup_scan_cost_ratio_%lu %.1f x\n", r->n,
		       r->module_ns > 0 ? r->cgroupfs_ns / r->module_ns : 0);
		printf("bench: module_sample_us_cg%lu %.0f us module_sample_us_cg%lu_before %.0f\n",
		       r->n, r->steady1_us, r->n, r->steady0_us);
		printf("bench: module_bytes_per_cgroup_%lu %.0f bytes\n", r->n, r->bytes);
		if (i == nr_cg - 1)
			printf("bench: module_bytes_per_cgroup %.0f bytes\n", r->bytes);
	}
	return failed;
}
