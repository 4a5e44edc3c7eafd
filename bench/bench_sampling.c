// SPDX-License-Identifier: GPL-2.0
/*
 * bench_sampling: what the module's sampling costs per process and per
 * cgroup, against what a userspace monitor pays to learn the same from
 * /proc and cgroupfs, and how that cost grows with the host.
 *
 *   bench_sampling [RUN...]
 *
 * RUN is N (N idle processes), mixN (N processes of which one in ten
 * changes its RSS every interval), scaleN (N idle processes sharing one
 * address space, for the scaling curve up to 100,000) or cgN (N empty
 * memory cgroups); default: 100 1000 10000 mix10000 scale1000 scale10000
 * scale50000 scale100000 cg10 cg100 cg1000 cg10000.
 *
 * Not a pass/fail test: it prints figures ("# " lines, then "bench:" lines
 * that make bench gathers, bench_util.h).  Every cost is timed by the
 * guest's clock, a count of instructions under make bench (icount); each
 * is the median of several measurements, with their spread.
 *
 * N, mixN, scaleN: the module is loaded twice at interval_ms=1000, each
 * time left WARMUP_SAMPLES samples (the first sees every process for the
 * first time and grows its arrays), then the duration of MEASURED_SAMPLES
 * samples is read one by one from the status file (sample_last_usec):
 * first with change_tracking=0, where every sample reads every process
 * (the full walk: what a sample costs when every process changed), then
 * at the defaults, where a sample reads only the processes the kernel
 * reported changed and carries the others over (the steady sample; the
 * full walk every FULL_WALK_EVERY-th is left out of these and accounted
 * for apart).  The module's figure per process is the amortized sample,
 * (63 steady + 1 full walk) / 64, over the processes it tracks.  Then the
 * userspace scan: open+read+close of /proc/PID/statm and of
 * /proc/PID/status for every pid, one pass to warm up, then PASSES timed.
 *
 * mixN: a conductor wakes one child in ten right after each sample, and
 * each changes its RSS by a page (touched, or dropped), so that every
 * sample finds 10 % of the processes changed, as on a busy host; their
 * work is done long before the next sample starts.  The userspace scan,
 * which does not depend on what changed, is the N run's when there was
 * one before.
 *
 * The children are kept from one run to the next where they serve (N runs
 * and mixN runs grow one set, scaleN runs another): each run forks only
 * what the last did not.
 *
 * cgN: with the module loaded, the steady sample and the module's memory
 * are measured, N empty memory cgroups are made, and both are measured
 * again: the module's cost per cgroup is the difference over N (the
 * process walk, the same in both, drops out).  Against it: open+read+close
 * of the five files a userspace monitor reads to learn what one row of the
 * cgroups table says (memory.current, memory.high, memory.max,
 * memory.events, memory.pressure), for every cgroup.
 *
 * Lines "scaling: proc|cg N NS_PER_UNIT SPREAD BYTES_PER_UNIT" carry the
 * scaling curves for make bench-plot.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "mp_util.h"

#define PASSES		3
#define WARMUP_SAMPLES	3
#define MEASURED_SAMPLES	5
#define MAX_RUNS	16
/* With change tracking, one sample in this many reads every process. */
#define FULL_WALK_EVERY	64		/* module/sampler.c */
/* A status read costs tens of microseconds: rarely, at interval 1000 ms. */
#define POLL_MS		200
/* mixN: one process in this many changes every interval. */
#define MIX_EVERY	10

enum run_kind { RUN_IDLE, RUN_MIX, RUN_SCALE, RUN_CG };

struct run {
	enum run_kind kind;
	unsigned long n;
};

struct proc_result {
	struct run run;
	size_t forked;
	uint64_t tracked;		/* status "processes" */
	uint64_t skipped;
	uint64_t nr_read;		/* processes read, the last steady sample */
	struct bench_stat walk_us;	/* full walk (change_tracking=0) */
	struct bench_stat steady_us;	/* steady sample at the defaults */
	double amortized_us;
	uint64_t memory_bytes;
	struct bench_stat statm_ns, status_ns;	/* per process */
	size_t scanned;			/* pids in /proc */
	bool ok;
};

/* --- the module's samples ------------------------------------------------ */

/*
 * After WARMUP_SAMPLES, the durations of MEASURED_SAMPLES samples, read
 * one by one: full walks only if @walks, else none of them.  A sample
 * whose duration was not seen alone (two between reads) is not counted.
 */
static int measure_samples(bool walks, struct bench_stat *st, uint64_t *nr_read)
{
	struct bench_samples a, b;
	double us[MEASURED_SAMPLES];
	size_t n = 0, tries = 0;
	int err;

	err = bench_read_samples(&a);
	if (!err)
		err = bench_wait_samples(&a, WARMUP_SAMPLES, POLL_MS, &b);
	while (!err && n < MEASURED_SAMPLES && tries++ < 4 * MEASURED_SAMPLES) {
		a = b;
		err = bench_wait_samples(&a, 1, POLL_MS, &b);
		if (err || b.samples != a.samples + 1)
			continue;
		if ((b.walks > a.walks) != walks)
			continue;
		us[n++] = (double)b.last_us;
		if (nr_read && mp_status_u64("processes_read", nr_read))
			*nr_read = 0;
	}
	if (!err && n < MEASURED_SAMPLES)
		err = -EAGAIN;
	if (!err)
		*st = bench_stat(us, n);
	return err;
}

static int load(const char *fmt, unsigned long n)
{
	char params[128];
	int err;

	snprintf(params, sizeof(params), fmt, n + 4096);
	err = mp_load(params);
	if (err)
		printf("# cannot load %s with %s: %s\n", mp_module_path(), params,
		       strerror(-err));
	return err;
}

/* --- the userspace scan -------------------------------------------------- */

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

/*
 * Nanoseconds per process to open, read and close /proc/PID/@file for
 * every pid: one pass to warm up, then PASSES.
 */
static struct bench_stat scan_ns(const pid_t *pids, size_t nr, const char *file)
{
	double pass[PASSES];
	char path[64];

	for (int p = -1; p < PASSES; p++) {
		uint64_t start = mp_now_ns();

		for (size_t i = 0; i < nr; i++) {
			snprintf(path, sizeof(path), "/proc/%d/%s", pids[i], file);
			read_once(path);
		}
		if (p >= 0)
			pass[p] = bench_seconds_since(start) * 1e9 / (double)nr;
	}
	return bench_stat(pass, PASSES);
}

/* --- mixN: one child in MIX_EVERY changes its RSS every interval ------------ */

/* Shared with the children: the conductor's round. */
static volatile uint32_t *mix_round;

static void futex_wait(volatile uint32_t *addr, uint32_t val)
{
	syscall(SYS_futex, addr, FUTEX_WAIT, val, NULL, NULL, 0);
}

static void futex_wake_all(volatile uint32_t *addr)
{
	syscall(SYS_futex, addr, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
}

/* Once per round: a page touched, or dropped again. */
static int mix_child(void *arg)
{
	long page = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint32_t seen = *mix_round;
	bool touched = false;

	(void)arg;
	if (p == MAP_FAILED)
		return 1;
	for (;;) {
		while (*mix_round == seen)
			futex_wait(mix_round, seen);
		seen = *mix_round;
		if (touched)
			madvise(p, (size_t)page, MADV_DONTNEED);
		else
			p[0] = 1;
		touched = !touched;
	}
}

/*
 * Right after each sample, a new round; until killed.  The module comes
 * and goes under it (loaded twice): it waits for it.
 */
static int mix_conductor(void *arg)
{
	struct bench_samples a, b;

	(void)arg;
	for (;;) {
		if (bench_read_samples(&a)) {
			poll(NULL, 0, 50);
			continue;
		}
		while (!bench_wait_samples(&a, 1, 50, &b)) {
			__atomic_add_fetch(mix_round, 1, __ATOMIC_SEQ_CST);
			futex_wake_all(mix_round);
			a = b;
		}
	}
	return 0;
}

/* --- processes ----------------------------------------------------------- */

static const char *run_label(const struct run *r, char *buf, size_t size)
{
	const char *suffix = r->kind == RUN_MIX ? "_mixed" : "";

	if (r->n % 1000 == 0)
		snprintf(buf, size, "%luk%s", r->n / 1000, suffix);
	else
		snprintf(buf, size, "%lu%s", r->n, suffix);
	return buf;
}

/*
 * The children, kept from one run to the next when it can use them: N
 * runs grow one set (one child in MIX_EVERY of which can change its RSS,
 * when a mixN run conducts them), scaleN runs another, whose children
 * share one address space.
 */
static struct {
	pid_t *pids;
	size_t made;
	bool shared;
} pool;

static void pool_release(void)
{
	bench_kill_all(pool.pids, pool.made);
	free(pool.pids);
	memset(&pool, 0, sizeof(pool));
}

/* @n children in all, of the kind asked; false if there are none. */
static bool pool_fill(size_t n, bool shared)
{
	pid_t *bigger, *more = NULL;
	size_t made = 0, i;

	if (pool.made && (pool.shared != shared || pool.made > n))
		pool_release();
	pool.shared = shared;
	if (n <= pool.made)
		return true;
	bigger = realloc(pool.pids, n * sizeof(*bigger));
	if (!bigger)
		return pool.made > 0;
	pool.pids = bigger;
	if (shared) {
		more = bench_fork_idle(n - pool.made, &made, true, NULL, 0);
		if (more)
			memcpy(pool.pids + pool.made, more, made * sizeof(*more));
		free(more);
		pool.made += made;
		return pool.made > 0;
	}
	for (i = pool.made; i < n; i++) {
		pid_t pid = i % MIX_EVERY ? mp_fork_idle() :
			    cg_run_nowait(NULL, mix_child, NULL);

		if (pid < 0) {
			printf("# fork failed after %zu children: %s\n", i, strerror(errno));
			break;
		}
		pool.pids[pool.made++] = pid;
	}
	return pool.made > 0;
}

/* The userspace scan of an N run, for a mixN run of the same N. */
static const struct proc_result *scan_of;

static int run_processes(const struct run *run, struct proc_result *r)
{
	const char *walk_params = "interval_ms=1000 max_processes=%lu change_tracking=0";
	const char *params = "interval_ms=1000 max_processes=%lu";
	pid_t *pids, conductor = 0;
	uint64_t start = mp_now_ns();
	char label[32];
	size_t nr;
	int err;

	memset(r, 0, sizeof(*r));
	r->run = *run;
	run_label(run, label, sizeof(label));
	bench_make_room(run->n);
	if (!pool_fill(run->n, run->kind == RUN_SCALE))
		return -ENOMEM;
	r->forked = pool.made;
	printf("# %s: %zu children%s, %.1f s to make the new ones\n", label, r->forked,
	       run->kind == RUN_SCALE ? " sharing one address space" : "",
	       bench_seconds_since(start));
	if (run->kind == RUN_MIX) {
		conductor = cg_run_nowait(NULL, mix_conductor, NULL);
		if (conductor < 0) {
			err = -errno;
			goto out;
		}
	}

	/* Every sample reads every process: what a sample costs at worst. */
	err = load(walk_params, run->n);
	if (!err)
		err = measure_samples(true, &r->walk_us, NULL);
	/* The defaults: only what changed, and a full walk every 64th. */
	if (!err)
		err = load(params, run->n);
	if (!err)
		err = measure_samples(false, &r->steady_us, &r->nr_read);
	if (!err)
		err = mp_status_u64("processes", &r->tracked);
	if (!err)
		err = mp_status_u64("processes_skipped", &r->skipped);
	if (!err)
		err = mp_status_u64("memory_bytes", &r->memory_bytes);
	if (err) {
		printf("# %s: cannot measure the module: %s\n", label, strerror(-err));
		goto out;
	}
	r->amortized_us = (r->steady_us.median * (FULL_WALK_EVERY - 1) +
			   r->walk_us.median) / FULL_WALK_EVERY;
	printf("# %s: the module tracks %llu processes (%llu skipped); full walk %.0f us (%.0f-%.0f), steady sample %.0f us (%.0f-%.0f) reading %llu, %.0f us amortized; %llu bytes\n",
	       label, (unsigned long long)r->tracked, (unsigned long long)r->skipped,
	       r->walk_us.median, r->walk_us.min, r->walk_us.max,
	       r->steady_us.median, r->steady_us.min, r->steady_us.max,
	       (unsigned long long)r->nr_read, r->amortized_us,
	       (unsigned long long)r->memory_bytes);

	if (run->kind == RUN_MIX && scan_of) {
		r->scanned = scan_of->scanned;
		r->statm_ns = scan_of->statm_ns;
		r->status_ns = scan_of->status_ns;
	} else if (run->kind != RUN_SCALE) {
		pids = list_pids(&nr);
		if (!pids) {
			err = -ENOMEM;
			goto out;
		}
		r->scanned = nr;
		r->statm_ns = scan_ns(pids, nr, "statm");
		r->status_ns = scan_ns(pids, nr, "status");
		free(pids);
		printf("# %s: /proc scan of %zu pids: statm %.0f ns (%.0f-%.0f), status %.0f ns per process\n",
		       label, nr, r->statm_ns.median, r->statm_ns.min, r->statm_ns.max,
		       r->status_ns.median);
	}
	r->ok = true;
out:
	if (conductor > 0)
		mp_kill_child(conductor);
	mp_unload();
	return err;
}

static double per(double us, uint64_t n)
{
	return n ? us * 1000.0 / (double)n : NAN;
}

/* Spread of a ratio of two medians: at most the sum of their spreads. */
static double ratio_spread(const struct bench_stat *a, const struct bench_stat *b)
{
	return a->spread_pct + b->spread_pct;
}

static void report_processes(const struct proc_result *r)
{
	double module_ns = per(r->amortized_us, r->tracked);
	double walk_ns = per(r->walk_us.median, r->tracked);
	double steady_ns = per(r->steady_us.median, r->tracked);
	double bytes = r->tracked ? (double)r->memory_bytes / (double)r->tracked : NAN;
	double module_spread = fmax(r->walk_us.spread_pct, r->steady_us.spread_pct);
	char n[32], name[96], cmp[96];

	if (!r->ok)
		return;
	run_label(&r->run, n, sizeof(n));
	if (r->run.kind == RUN_SCALE) {
		snprintf(name, sizeof(name), "scaling_proc_%s_walk_ns_per_process", n);
		bench_figure(name, walk_ns, "ns", r->walk_us.spread_pct);
		snprintf(name, sizeof(name), "scaling_proc_%s_sample_ns_per_process", n);
		bench_figure(name, steady_ns, "ns", r->steady_us.spread_pct);
		snprintf(name, sizeof(name), "scaling_proc_%s_bytes_per_process", n);
		bench_figure(name, bytes, "bytes", BENCH_ONCE);
		printf("scaling: proc %llu %.1f %.3g %.0f\n", (unsigned long long)r->tracked,
		       walk_ns, r->walk_us.spread_pct, bytes);
		printf("scaling: proc_idle %llu %.1f %.3g %.0f\n", (unsigned long long)r->tracked,
		       steady_ns, r->steady_us.spread_pct, bytes);
		return;
	}
	snprintf(name, sizeof(name), "module_ns_per_process_%s", n);
	snprintf(cmp, sizeof(cmp), "statm_ns_per_process_%s", n);
	bench_figure_cmp(name, module_ns, "ns", module_spread, cmp, r->statm_ns.median);
	snprintf(name, sizeof(name), "module_ns_per_process_%s_vs_status", n);
	snprintf(cmp, sizeof(cmp), "status_ns_per_process_%s", n);
	bench_figure_cmp(name, module_ns, "ns", module_spread, cmp, r->status_ns.median);
	snprintf(name, sizeof(name), "scan_cost_ratio_statm_%s", n);
	bench_figure(name, r->statm_ns.median / module_ns, "x",
		     module_spread + r->statm_ns.spread_pct);
	snprintf(name, sizeof(name), "scan_cost_ratio_status_%s", n);
	bench_figure(name, r->status_ns.median / module_ns, "x",
		     module_spread + r->status_ns.spread_pct);
	if (r->run.kind == RUN_IDLE) {
		snprintf(name, sizeof(name), "scan_cost_ratio_statm_%s_walk", n);
		bench_figure(name, r->statm_ns.median / walk_ns, "x",
			     ratio_spread(&r->walk_us, &r->statm_ns));
		snprintf(name, sizeof(name), "module_walk_ns_per_process_%s", n);
		snprintf(cmp, sizeof(cmp), "statm_ns_per_process_%s", n);
		bench_figure_cmp(name, walk_ns, "ns", r->walk_us.spread_pct, cmp,
				 r->statm_ns.median);
		snprintf(name, sizeof(name), "module_idle_sample_ns_per_process_%s", n);
		bench_figure(name, steady_ns, "ns", r->steady_us.spread_pct);
	}
	snprintf(name, sizeof(name), "module_sample_us_%s", n);
	snprintf(cmp, sizeof(cmp), "module_walk_us_%s", n);
	bench_figure_cmp(name, r->steady_us.median, "us", r->steady_us.spread_pct, cmp,
			 r->walk_us.median);
	snprintf(name, sizeof(name), "processes_read_%s", n);
	bench_figure(name, (double)r->nr_read, "processes", BENCH_ONCE);
	snprintf(name, sizeof(name), "module_bytes_per_process_%s", n);
	bench_figure(name, bytes, "bytes", BENCH_ONCE);
}

/* --- cgroups ------------------------------------------------------------- */

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
	struct bench_stat steady0_us, steady1_us;
	uint64_t memory0, memory1;
	double module_ns, bytes;
	struct bench_stat cgroupfs_ns;
	bool ok;
};

/*
 * The cgroupfs scan reads the files of CG_SCAN_MAX cgroups at most: a
 * read's cost does not depend on how many there are, and 10,000 take long
 * under emulation.
 */
#define CG_SCAN_MAX	1000

static struct bench_stat cg_scan_ns(unsigned long n)
{
	double pass[PASSES];
	char path[160];

	for (int p = -1; p < PASSES; p++) {
		uint64_t start = mp_now_ns();

		for (unsigned long i = 0; i < n; i++) {
			for (size_t f = 0; f < ARRAY_SIZE(cg_files); f++) {
				snprintf(path, sizeof(path), MP_CGROUP_ROOT "/" CG_PARENT "/c%lu/%s",
					 i, cg_files[f]);
				read_once(path);
			}
		}
		if (p >= 0)
			pass[p] = bench_seconds_since(start) * 1e9 / (double)n;
	}
	return bench_stat(pass, PASSES);
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
	char name[64];
	uint64_t start;
	int err;

	memset(r, 0, sizeof(*r));
	r->n = n;
	err = load("interval_ms=1000 max_cgroups=%lu", n);
	if (err)
		return err;
	err = measure_samples(false, &r->steady0_us, NULL);
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
	printf("# cg%lu: made %lu empty cgroups in %.1f s\n", n, r->made,
	       bench_seconds_since(start));
	err = measure_samples(false, &r->steady1_us, NULL);
	if (!err)
		err = mp_status_u64("cgroups", &r->tracked1);
	if (!err)
		err = mp_status_u64("memory_bytes", &r->memory1);
	if (err) {
		printf("# cannot measure the module: %s\n", strerror(-err));
		goto out;
	}
	if (r->tracked1 > r->tracked0) {
		double added = (double)(r->tracked1 - r->tracked0);

		r->module_ns = (r->steady1_us.median - r->steady0_us.median) * 1000.0 / added;
		r->bytes = ((double)r->memory1 - (double)r->memory0) / added;
	}
	r->cgroupfs_ns = cg_scan_ns(r->made < CG_SCAN_MAX ? r->made : CG_SCAN_MAX);
	printf("# cg%lu: the module tracks %llu cgroups (%llu before); steady sample %.0f us (%.0f before): %.0f ns per cgroup; memory %llu bytes (%llu before): %.0f per cgroup; cgroupfs scan (%zu files) %.0f ns per cgroup\n",
	       n, (unsigned long long)r->tracked1, (unsigned long long)r->tracked0,
	       r->steady1_us.median, r->steady0_us.median, r->module_ns,
	       (unsigned long long)r->memory1, (unsigned long long)r->memory0, r->bytes,
	       ARRAY_SIZE(cg_files), r->cgroupfs_ns.median);
	r->ok = true;
out:
	mp_unload();
	cg_remove(r->made);
	return err;
}

/* The spread of a difference of two medians, relative to the difference. */
static double cg_spread(const struct cg_result *r)
{
	double d = r->steady1_us.median - r->steady0_us.median;
	double range = (r->steady1_us.max - r->steady1_us.min) +
		       (r->steady0_us.max - r->steady0_us.min);

	return d > 0 ? range / d * 100 : BENCH_ONCE;
}

static void report_cgroups(const struct cg_result *r)
{
	char name[96], cmp[96];

	if (!r->ok)
		return;
	snprintf(name, sizeof(name), "module_ns_per_cgroup_%lu", r->n);
	snprintf(cmp, sizeof(cmp), "cgroupfs_ns_per_cgroup_%lu", r->n);
	bench_figure_cmp(name, r->module_ns, "ns", cg_spread(r), cmp, r->cgroupfs_ns.median);
	snprintf(name, sizeof(name), "cgroup_scan_cost_ratio_%lu", r->n);
	bench_figure(name, r->module_ns > 0 ? r->cgroupfs_ns.median / r->module_ns : NAN,
		     "x", cg_spread(r) + r->cgroupfs_ns.spread_pct);
	snprintf(name, sizeof(name), "module_sample_us_cg%lu", r->n);
	snprintf(cmp, sizeof(cmp), "module_sample_us_cg%lu_before", r->n);
	bench_figure_cmp(name, r->steady1_us.median, "us", r->steady1_us.spread_pct, cmp,
			 r->steady0_us.median);
	snprintf(name, sizeof(name), "module_bytes_per_cgroup_%lu", r->n);
	bench_figure(name, r->bytes, "bytes", BENCH_ONCE);
	printf("scaling: cg %llu %.1f %.3g %.0f\n",
	       (unsigned long long)(r->tracked1 - r->tracked0), r->module_ns, cg_spread(r),
	       r->bytes);
}

/* --- the headline figures ------------------------------------------------- */

static const struct proc_result *find_proc(const struct proc_result *res, int nr,
					   enum run_kind kind, unsigned long n)
{
	for (int i = 0; i < nr; i++)
		if (res[i].ok && res[i].run.kind == kind && res[i].run.n == n)
			return &res[i];
	return NULL;
}

static const struct cg_result *find_cg(const struct cg_result *res, int nr, unsigned long n)
{
	for (int i = 0; i < nr; i++)
		if (res[i].ok && res[i].n == n)
			return &res[i];
	return NULL;
}

static void report_headlines(const struct proc_result *pr, int nr,
			     const struct cg_result *cr, int nr_cg)
{
	const struct proc_result *idle = NULL, *small, *big;
	const struct cg_result *c_small, *c_big;

	for (int i = 0; i < nr; i++)
		if (pr[i].ok && pr[i].run.kind == RUN_IDLE)
			idle = &pr[i];
	/* The largest N: the summary's per-process figures. */
	if (idle) {
		bench_figure("module_bytes_per_process",
			     (double)idle->memory_bytes / (double)idle->tracked, "bytes",
			     BENCH_ONCE);
		bench_figure("module_idle_sample_ns_per_process",
			     per(idle->steady_us.median, idle->tracked), "ns",
			     idle->steady_us.spread_pct);
	}
	for (int i = nr_cg - 1; i >= 0; i--) {
		if (cr[i].ok) {
			bench_figure("module_bytes_per_cgroup", cr[i].bytes, "bytes", BENCH_ONCE);
			break;
		}
	}
	small = find_proc(pr, nr, RUN_SCALE, 1000);
	big = find_proc(pr, nr, RUN_SCALE, 100000);
	if (small && big) {
		bench_figure("scaling_proc_100k_vs_1k",
			     (big->walk_us.median / (double)big->tracked) /
			     (small->walk_us.median / (double)small->tracked), "x",
			     ratio_spread(&big->walk_us, &small->walk_us));
		bench_figure("scaling_proc_idle_100k_vs_1k",
			     (big->steady_us.median / (double)big->tracked) /
			     (small->steady_us.median / (double)small->tracked), "x",
			     ratio_spread(&big->steady_us, &small->steady_us));
		bench_figure("scaling_proc_bytes_100k_vs_1k",
			     ((double)big->memory_bytes / (double)big->tracked) /
			     ((double)small->memory_bytes / (double)small->tracked), "x",
			     BENCH_ONCE);
	}
	c_small = find_cg(cr, nr_cg, 100);
	c_big = find_cg(cr, nr_cg, 10000);
	if (c_small && c_big && c_small->module_ns > 0)
		bench_figure("scaling_cg_10k_vs_100", c_big->module_ns / c_small->module_ns,
			     "x", cg_spread(c_big) + cg_spread(c_small));
	if (c_small && c_big && c_small->bytes > 0)
		bench_figure("scaling_cg_bytes_10k_vs_100", c_big->bytes / c_small->bytes, "x",
			     BENCH_ONCE);
}

static int parse_run(const char *arg, struct run *r)
{
	static const struct { const char *prefix; enum run_kind kind; } kinds[] = {
		{ "mix", RUN_MIX }, { "scale", RUN_SCALE }, { "cg", RUN_CG }, { "", RUN_IDLE },
	};
	char *end;

	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		size_t len = strlen(kinds[i].prefix);

		if (strncmp(arg, kinds[i].prefix, len))
			continue;
		r->kind = kinds[i].kind;
		r->n = strtoul(arg + len, &end, 10);
		return *end || !r->n ? -EINVAL : 0;
	}
	return -EINVAL;
}

int main(int argc, char **argv)
{
	static const char *const defaults[] = {
		"100", "1000", "10000", "mix10000", "scale1000", "scale10000", "scale50000",
		"scale100000", "cg10", "cg100", "cg1000", "cg10000",
	};
	static struct proc_result results[MAX_RUNS];
	static struct cg_result cg_results[MAX_RUNS];
	const char *const *args = defaults;
	int nr_args = ARRAY_SIZE(defaults), nr = 0, nr_cg = 0, failed = 0;
	struct run runs[2 * MAX_RUNS];

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1) {
		args = (const char *const *)argv + 1;
		nr_args = argc - 1;
	}
	if (nr_args > 2 * MAX_RUNS)
		nr_args = 2 * MAX_RUNS;
	for (int i = 0; i < nr_args; i++) {
		if (parse_run(args[i], &runs[i])) {
			fprintf(stderr, "usage: %s [N | mixN | scaleN | cgN]...\n", argv[0]);
			return 2;
		}
	}
	mix_round = mmap(NULL, sizeof(*mix_round), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mix_round == MAP_FAILED)
		return 1;

	printf("# bench_sampling: the module's sampling cost against a /proc scan\n");
	for (int i = 0; i < nr_args; i++) {
		if (runs[i].kind == RUN_CG && nr_cg < MAX_RUNS) {
			pool_release();
			failed |= run_cgroups(runs[i].n, &cg_results[nr_cg]) != 0;
			report_cgroups(&cg_results[nr_cg++]);
		} else if (runs[i].kind != RUN_CG && nr < MAX_RUNS) {
			scan_of = runs[i].kind == RUN_MIX ?
				  find_proc(results, nr, RUN_IDLE, runs[i].n) : NULL;
			failed |= run_processes(&runs[i], &results[nr]) != 0;
			report_processes(&results[nr++]);
		}
	}
	pool_release();
	report_headlines(results, nr, cg_results, nr_cg);
	if (failed)
		printf("# some runs failed: their figures are missing\n");
	return failed;
}
