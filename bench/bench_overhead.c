// SPDX-License-Identifier: GPL-2.0
/*
 * bench_overhead: what the loaded module costs a workload, and what each
 * of its change probes costs per event.
 *
 *   bench_overhead [PAIRS]		(default 3)
 *
 * Not a pass/fail test: it prints figures ("# " lines, then "bench:" lines
 * for make bench, bench_util.h) and exits 0.  Made for instruction
 * counting (make bench runs it under icount): a run's time is then the
 * instructions the guest executed meanwhile, on both vCPUs, the module's
 * sampling on the other vCPU included, the same from run to run within a
 * fraction of a percent.
 *
 * The host it measures: OTHERS idle processes spread over CGROUPS memory
 * cgroups (10 a cgroup), beside the workload, as on a busy server.  Four
 * workloads, each calibrated (module not loaded) to run about one interval
 * (at least SHORT_RUN_MS):
 *
 * - fault: mmap FAULT_REGION anonymous, write one byte per page (every
 *   write a page fault, huge pages off), munmap, in a loop;
 * - fork: fork, the child _exit()s at once, waitpid;
 * - exec: fork, the child execs busybox's true, waitpid;
 * - mmap: mmap MMAP_REGION, touch its first page, munmap.
 *
 * Each is timed WARMUP_PAIRS + PAIRS times not loaded and loaded,
 * alternating (not loaded, loaded, ...); the warm-up pairs are dropped
 * (the first touches of fresh memory are slower).  The module is loaded
 * with change tracking (its default) at interval_ms 1000 (the default) and
 * 100 (the shortest), before each loaded run, and has taken two samples
 * (the first reads every process, the second reads again what the first
 * saw first) before the clock starts.  overhead_W_pct is (median loaded -
 * median not loaded) / median not loaded; its spread is the larger of the
 * two sides'.
 *
 * Then the change probes (module/changes.c), per event, on a workload
 * where each fires most: rss_stat on the fault workload (one event per
 * page on 6.2 and later), sched_process_exit on threads created and
 * joined, sched_process_fork on vfork and _exit.  Each alone, by the
 * function_graph tracer (probe_ns_per_event_*, the probe's own
 * instructions); and the workloads with the module loaded with
 * change_tracking=1 against change_tracking=0, both at interval_ms=60000
 * so that no sample falls in a run, over the tracepoints' firings counted
 * in an extra run (probe_ab_*: the tracepoint's dispatch included, all of
 * a thread's or a vfork's probes together).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "mp_util.h"

/*
 * A run starts right after a sample (within 20 ms: the status file is read
 * every 20 ms) and lasts a whole number of intervals (one at 1000 ms, two
 * at 100 ms) and 5 % more, so that it holds as many samples as the same
 * work would on average, whatever its start.  The probe runs, with no
 * sample, are short.
 */
#define RUN_MS(interval)	(((interval) > SHORT_RUN_MS ? (interval) : SHORT_RUN_MS) * 105 / 100)
#define SHORT_RUN_MS	200
#define WARMUP_PAIRS	1
#define MAX_PAIRS	15
#define OTHERS		10000
#define CGROUPS		1000
#define CG_PARENT	"bench_ov"
#define FAULT_REGION	(4 * MiB)
#define MMAP_REGION	(64 * KiB)
#define TRUE_BIN	"/bin/busybox"

static long page_size;

/* --- workloads: each returns 0 or -errno ---------------------------------- */

/* mmap @region, write one byte in each of its first @pages pages, munmap. */
static int map_touch_unmap(unsigned long loops, size_t region, size_t pages)
{
	for (unsigned long i = 0; i < loops; i++) {
		char *p = mmap(NULL, region, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return -errno;
		/* A fault for every page, not one for a huge page. */
		madvise(p, region, MADV_NOHUGEPAGE);
		for (size_t k = 0; k < pages; k++)
			p[k * (size_t)page_size] = 1;
		munmap(p, region);
	}
	return 0;
}

static int w_faults(unsigned long loops)
{
	return map_touch_unmap(loops, FAULT_REGION, FAULT_REGION / (size_t)page_size);
}

static int w_forks(unsigned long loops)
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

static int w_execs(unsigned long loops)
{
	for (unsigned long i = 0; i < loops; i++) {
		int status;
		pid_t pid = fork();

		if (pid < 0)
			return -errno;
		if (!pid) {
			execl(TRUE_BIN, "true", (char *)NULL);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) != pid)
			return -errno;
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			return -ENOEXEC;
	}
	return 0;
}

static int w_mmaps(unsigned long loops)
{
	return map_touch_unmap(loops, MMAP_REGION, 1);
}

static void *thread_fn(void *arg)
{
	return arg;
}

static int w_threads(unsigned long loops)
{
	for (unsigned long i = 0; i < loops; i++) {
		pthread_t t;
		int err = pthread_create(&t, NULL, thread_fn, NULL);

		if (err)
			return -err;
		pthread_join(t, NULL);
	}
	return 0;
}

static int vfork_child(void *arg)
{
	(void)arg;
	_exit(0);
}

/* vfork(), as clone() with its flags: the child runs on a stack of its own. */
static int w_vforks(unsigned long loops)
{
	static char stack[16384] __attribute__((aligned(16)));

	for (unsigned long i = 0; i < loops; i++) {
		pid_t pid = clone(vfork_child, stack + sizeof(stack),
				  CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);

		if (pid < 0)
			return -errno;
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
};

static struct workload workloads[] = {
	{ "fault", "mmap 4 MiB, touch every page, munmap", w_faults, 0 },
	{ "fork", "fork, the child exits at once, waitpid", w_forks, 0 },
	{ "exec", "fork, the child execs busybox true, waitpid", w_execs, 0 },
	{ "mmap", "mmap 64 KiB, touch one page, munmap", w_mmaps, 0 },
};

static struct workload w_thread = { "thread", "pthread_create, pthread_join", w_threads, 0 };
static struct workload w_vfork = { "vfork", "vfork, the child exits at once, waitpid", w_vforks, 0 };

/* Microseconds for one run, or NAN if it failed. */
static double timed(const struct workload *w)
{
	uint64_t t0 = mp_now_ns();
	int err = w->fn(w->loops);

	if (err) {
		printf("# %s: %s\n", w->name, strerror(-err));
		return NAN;
	}
	return (double)(mp_now_ns() - t0) / 1000.0;
}

/* Loops for about @run_ms: grow until a run takes 1/8 of it, then scale. */
static void calibrate(struct workload *w, unsigned int run_ms)
{
	double us;

	w->loops = 1;
	for (;;) {
		us = timed(w);
		if (isnan(us) || us * 8 >= run_ms * 1000.0 || w->loops > (1UL << 30))
			break;
		w->loops *= 2;
	}
	if (!isnan(us) && us > 0)
		w->loops = (unsigned long)((double)w->loops * run_ms * 1000.0 / us);
	if (!w->loops)
		w->loops = 1;
}

/*
 * Loaded with @params; if @settle, past its second sample (the first was
 * taken at load), within 20 ms.
 */
static int load_settled(const char *params, bool settle)
{
	struct bench_samples a, b;
	int err = mp_load(params);

	if (!err && settle)
		err = bench_read_samples(&a);
	if (!err && settle)
		err = bench_wait_samples(&a, 1, 20, &b);
	if (err)
		printf("# cannot load %s with %s: %s\n", mp_module_path(), params,
		       strerror(-err));
	return err;
}

struct pairs {
	size_t n;
	double off_us[MAX_PAIRS], on_us[MAX_PAIRS];
	double sampling_us, on_total_us;	/* the module's sampling, loaded */
	struct bench_stat off, on;
};

/*
 * WARMUP_PAIRS + @n pairs of runs, not loaded (@off_params NULL) or
 * loaded with @off_params, then loaded with @on_params.
 */
static int measure_pairs(const struct workload *w, const char *off_params,
			 const char *on_params, bool settle, size_t n, struct pairs *p)
{
	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < WARMUP_PAIRS + n; i++) {
		struct bench_samples a, b;
		double off, on;
		int err = off_params ? load_settled(off_params, settle) : mp_unload();

		if (err)
			return err;
		off = timed(w);
		err = load_settled(on_params, settle);
		if (!err)
			err = bench_read_samples(&a);
		if (err)
			return err;
		on = timed(w);
		if (bench_read_samples(&b))
			b = a;
		mp_unload();
		if (isnan(on) || isnan(off))
			return -EIO;
		if (i < WARMUP_PAIRS)
			continue;
		p->off_us[p->n] = off;
		p->on_us[p->n++] = on;
		p->sampling_us += (double)(b.total_us - a.total_us);
		p->on_total_us += on;
	}
	p->off = bench_stat(p->off_us, p->n);
	p->on = bench_stat(p->on_us, p->n);
	return 0;
}

static double overhead_pct(const struct pairs *p)
{
	return (p->on.median - p->off.median) / p->off.median * 100.0;
}

static double pairs_spread(const struct pairs *p)
{
	return fmax(p->off.spread_pct, p->on.spread_pct);
}

static void report_overhead(const struct workload *w, const struct pairs *p,
			    const char *suffix)
{
	double paired[MAX_PAIRS];
	char name[96], cmp[96];

	for (size_t i = 0; i < p->n; i++)
		paired[i] = (p->on_us[i] - p->off_us[i]) / p->off_us[i] * 100.0;
	printf("# %-6s%-6s %7lu %9.3f %9.3f %9.3f %9.3f %9.3f %9.3f %+8.3f\n", w->name, suffix,
	       w->loops, p->off.median / 1000, p->off.min / 1000, p->off.max / 1000,
	       p->on.median / 1000, p->on.min / 1000, p->on.max / 1000, overhead_pct(p));
	snprintf(name, sizeof(name), "overhead_%s_pct%s", w->name, suffix);
	bench_figure(name, overhead_pct(p), "%", pairs_spread(p));
	snprintf(name, sizeof(name), "overhead_%s_paired_pct%s", w->name, suffix);
	bench_figure(name, bench_stat(paired, p->n).median, "%", pairs_spread(p));
	snprintf(name, sizeof(name), "overhead_%s_sampling_pct%s", w->name, suffix);
	bench_figure(name, p->on_total_us > 0 ? p->sampling_us / p->on_total_us * 100 : NAN,
		     "%", BENCH_ONCE);
	snprintf(name, sizeof(name), "%s_run_median_ms%s", w->name, suffix);
	snprintf(cmp, sizeof(cmp), "unloaded");
	bench_figure_cmp(name, p->on.median / 1000, "ms", p->on.spread_pct, cmp,
			 p->off.median / 1000);
}

/* --- the change probes, per event ------------------------------------------ */

static int run_workload(void *arg)
{
	const struct workload *w = arg;

	return w->fn(w->loops);
}

struct probe_counts {
	long long rss, fork, exit;
};

static int count_probes(const struct workload *w, struct probe_counts *c)
{
	c->rss = bench_count_event("kmem/rss_stat", run_workload, (void *)w);
	c->fork = bench_count_event("sched/sched_process_fork", run_workload, (void *)w);
	c->exit = bench_count_event("sched/sched_process_exit", run_workload, (void *)w);
	printf("# %s: %lu loops fire rss_stat %lld, sched_process_fork %lld, sched_process_exit %lld times\n",
	       w->name, w->loops, c->rss, c->fork, c->exit);
	return c->rss < 0 || c->fork < 0 || c->exit < 0 ? -ENOENT : 0;
}

struct probe_delta {
	double ns;		/* loaded with the probes - without, per run */
	double range_ns;	/* both sides' ranges */
};

static int probe_delta(struct workload *w, size_t n, struct probe_delta *d)
{
	struct pairs p;
	int err;

	calibrate(w, SHORT_RUN_MS);
	err = measure_pairs(w, "interval_ms=60000 change_tracking=0",
			    "interval_ms=60000 change_tracking=1", false, n, &p);
	if (err)
		return err;
	d->ns = (p.on.median - p.off.median) * 1000.0;
	d->range_ns = ((p.on.max - p.on.min) + (p.off.max - p.off.min)) * 1000.0;
	printf("# probes on %s (%lu loops): without %.3f ms (%.3f-%.3f), with %.3f ms (%.3f-%.3f)\n",
	       w->name, w->loops, p.off.median / 1000, p.off.min / 1000, p.off.max / 1000,
	       p.on.median / 1000, p.on.min / 1000, p.on.max / 1000);
	return 0;
}

static double spread_of(const struct probe_delta *d, double part_ns)
{
	return part_ns > 0 ? d->range_ns / part_ns * 100 : BENCH_ONCE;
}

/*
 * Each probe alone, by the function_graph tracer: the probes' durations
 * while the three workloads run once, less the tracer's own time inside a
 * call (the shortest _raw_spin_unlock_irqrestore(), a function of a few
 * instructions, traced beside them: its body is in the figure's error).
 * The events of each probe in GRAPH_GROUPS groups, in order: the median of
 * the groups' means, and their spread.
 */
#define GRAPH_GROUPS	5
#define GRAPH_MAX	(1 << 18)

static const char *const graph_probes[] = {
	"mp_rss_probe", "mp_fork_probe", "mp_exit_probe",
};
#define GRAPH_CALIBRATION	"_raw_spin_unlock_irqrestore"

static double graph_ns[ARRAY_SIZE(graph_probes)][GRAPH_MAX];
static size_t graph_nr[ARRAY_SIZE(graph_probes)];

static int graph_setup(void)
{
	static const char *const settings[][2] = {
		{ "tracing_on", "0" },
		{ "current_tracer", "nop" },
		{ "trace", "" },
		{ "buffer_size_kb", "65536" },
		{ "set_graph_function", "" },
		{ "set_ftrace_filter", "mp_rss_probe mp_fork_probe mp_exit_probe "
				       GRAPH_CALIBRATION },
		{ "options/funcgraph-irqs", "0" },
		{ "options/funcgraph-tail", "1" },
		{ "options/funcgraph-overhead", "0" },
		{ "current_tracer", "function_graph" },
	};
	int err = 0;

	for (size_t i = 0; !err && i < ARRAY_SIZE(settings); i++)
		err = bench_trace_write(settings[i][0], settings[i][1]);
	return err;
}

static void graph_reset(void)
{
	bench_trace_write("tracing_on", "0");
	bench_trace_write("current_tracer", "nop");
	bench_trace_write("set_ftrace_filter", "");
	bench_trace_write("trace", "");
	bench_trace_write("buffer_size_kb", "1408");
}

static void graph_probe_costs(void)
{
	struct workload runs[] = { workloads[0], w_thread, w_vfork };
	double calibration = INFINITY;
	char line[512], name[80];
	FILE *f;
	int err;

	err = load_settled("interval_ms=60000 change_tracking=1", false);
	if (!err)
		err = graph_setup();
	if (!err)
		err = bench_trace_write("tracing_on", "1");
	for (size_t i = 0; !err && i < ARRAY_SIZE(runs); i++)
		err = runs[i].fn(runs[i].loops);
	bench_trace_write("tracing_on", "0");
	f = err ? NULL : fopen("/sys/kernel/tracing/trace", "re");
	while (f && fgets(line, sizeof(line), f)) {
		double ns;

		if (bench_graph_parse(line, name, sizeof(name), &ns) != BENCH_GRAPH_LEAF ||
		    isnan(ns))
			continue;
		if (!strcmp(name, GRAPH_CALIBRATION)) {
			calibration = fmin(calibration, ns);
			continue;
		}
		for (size_t p = 0; p < ARRAY_SIZE(graph_probes); p++)
			if (!strcmp(name, graph_probes[p]) && graph_nr[p] < GRAPH_MAX)
				graph_ns[p][graph_nr[p]++] = ns;
	}
	if (f)
		fclose(f);
	graph_reset();
	mp_unload();
	if (err || isinf(calibration)) {
		printf("# function_graph on the probes: %s\n",
		       err ? strerror(-err) : "no calibration call traced");
		calibration = NAN;
	} else {
		printf("# function_graph on the probes: a traced call's own time holds %.0f ns of the tracer\n",
		       calibration);
	}
	for (size_t p = 0; p < ARRAY_SIZE(graph_probes); p++) {
		static const char *const figures[] = {
			"probe_ns_per_event_rss_stat", "probe_ns_per_event_fork",
			"probe_ns_per_event_exit",
		};
		double means[GRAPH_GROUPS];
		size_t n = graph_nr[p], per = n / GRAPH_GROUPS;
		struct bench_stat st;

		if (!per || isnan(calibration)) {
			bench_figure_none(figures[p], "ns", "no traced call");
			continue;
		}
		for (size_t g = 0; g < GRAPH_GROUPS; g++) {
			double sum = 0;

			for (size_t k = g * per; k < (g + 1) * per; k++)
				sum += graph_ns[p][k];
			means[g] = sum / (double)per - calibration;
		}
		st = bench_stat(means, GRAPH_GROUPS);
		printf("# %s: %zu calls, %.1f ns each (%.1f-%.1f) less the tracer\n",
		       graph_probes[p], n, st.median, st.min, st.max);
		bench_figure(figures[p], st.median, "ns", st.spread_pct);
	}
}

/*
 * The probes' cost per event: by the function_graph tracer, each alone
 * (graph_probe_costs()); and the whole workload's difference with the
 * probes and without, per event (rss_stat) or per thread and per vfork
 * (their probes together), which includes the tracepoints' dispatch but
 * is within the runs' spread for the last two.
 */
static void measure_probes(size_t n)
{
	struct workload fault = workloads[0];
	struct probe_delta d;
	struct probe_counts c;

	if (!probe_delta(&fault, n, &d) && !count_probes(&fault, &c) && c.rss)
		bench_figure("probe_ab_ns_per_event_rss_stat", d.ns / (double)c.rss, "ns",
			     spread_of(&d, d.ns));
	else
		bench_figure_none("probe_ab_ns_per_event_rss_stat", "ns", "no measurement");
	if (!probe_delta(&w_thread, n, &d) && !count_probes(&w_thread, &c) && c.exit)
		bench_figure("probe_ab_ns_per_thread", d.ns / (double)c.exit, "ns",
			     spread_of(&d, d.ns));
	else
		bench_figure_none("probe_ab_ns_per_thread", "ns", "no measurement");
	if (!probe_delta(&w_vfork, n, &d) && !count_probes(&w_vfork, &c) && c.fork)
		bench_figure("probe_ab_ns_per_vfork", d.ns / (double)c.fork, "ns",
			     spread_of(&d, d.ns));
	else
		bench_figure_none("probe_ab_ns_per_vfork", "ns", "no measurement");
	workloads[0].loops = fault.loops;
	graph_probe_costs();
}

/* --- the host around the workloads ---------------------------------------- */

static char cg_names[CGROUPS][32];

static int make_cgroups(void)
{
	int err = cg_create(CG_PARENT);

	for (int i = 0; !err && i < CGROUPS; i++) {
		snprintf(cg_names[i], sizeof(cg_names[i]), CG_PARENT "/c%d", i);
		err = cg_create_leaf(cg_names[i]);
	}
	return err;
}

static void remove_cgroups(void)
{
	for (int i = 0; i < CGROUPS; i++)
		if (cg_names[i][0])
			cg_destroy(cg_names[i]);
	cg_destroy(CG_PARENT);
}

int main(int argc, char **argv)
{
	static const unsigned int intervals[] = { 1000, 100 };
	const char *names[CGROUPS];
	struct utsname uts;
	cpu_set_t cpus;
	size_t pairs = 3, made = 0;
	pid_t *others;
	int err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	page_size = sysconf(_SC_PAGESIZE);
	if (argc > 1)
		pairs = strtoul(argv[1], NULL, 10);
	if (pairs < 1 || pairs > MAX_PAIRS)
		pairs = 3;
	uname(&uts);
	printf("# bench_overhead: workload time with the module loaded against not loaded\n");
	printf("# kernel %s; %zu pairs after %d of warm-up\n", uts.release, pairs,
	       WARMUP_PAIRS);
	mp_unload();

	bench_make_room(OTHERS);
	err = make_cgroups();
	if (err) {
		printf("# cannot make %d cgroups: %s\n", CGROUPS, strerror(-err));
		remove_cgroups();
		return 0;
	}
	for (int i = 0; i < CGROUPS; i++)
		names[i] = cg_names[i];
	others = bench_fork_idle(OTHERS, &made, false, names, CGROUPS);
	printf("# %zu other processes in %d cgroups\n", made, CGROUPS);
	/*
	 * The workloads on one CPU, children and threads included: under
	 * instruction counting, one vCPU waking the other comes at a point
	 * of the other's time slice that varies from run to run.
	 */
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus))
		printf("# cannot keep the workloads on CPU 0: %s\n", strerror(errno));

	printf("# %-12s %7s %9s %9s %9s %9s %9s %9s %8s\n", "workload", "loops", "off_med",
	       "off_min", "off_max", "on_med", "on_min", "on_max", "overhead");
	for (size_t i = 0; i < ARRAY_SIZE(intervals); i++) {
		char params[96], suffix[16] = "";

		snprintf(params, sizeof(params), "interval_ms=%u max_processes=%d max_cgroups=%d",
			 intervals[i], OTHERS + 4096, CGROUPS + 1024);
		if (intervals[i] != 1000)
			snprintf(suffix, sizeof(suffix), "_%ums", intervals[i]);
		for (size_t k = 0; k < ARRAY_SIZE(workloads); k++) {
			struct pairs p;

			calibrate(&workloads[k], RUN_MS(intervals[i]));
			err = measure_pairs(&workloads[k], NULL, params, true, pairs, &p);
			if (err) {
				printf("# %s at %u ms: %s\n", workloads[k].name, intervals[i],
				       strerror(-err));
				continue;
			}
			report_overhead(&workloads[k], &p, suffix);
		}
	}
	printf("# times in ms; overhead %% = (on_med - off_med) / off_med x 100\n");

	measure_probes(pairs);

	mp_unload();
	bench_kill_all(others, made);
	free(others);
	remove_cgroups();
	return 0;
}
