/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the benchmarks share: the lines make bench gathers, the median and
 * spread of repeated measurements, children by the thousand, the module's
 * sample counters and waits for them, and the kernel's tracing files.
 *
 * A figure is one line on standard output:
 *
 *   bench: NAME VALUE UNIT [spread=PCT] [COMPARISON VALUE]
 *
 * scripts/bench gathers them into build/bench.json, each with the method of
 * the run that printed it (icount or tcg: docs/performance.md).  PCT is the
 * spread of the repeated measurements the figure comes from: (largest -
 * smallest) / median, in percent; a figure measured once has none.  VALUE
 * "-" is a figure that could not be measured (null in bench.json).
 *
 * Under instruction counting (scripts/vm-run, MP_ACCEL=icount) the guest's
 * clock counts the instructions of both vCPUs: anything that runs beside a
 * timed stretch lengthens it.  So the waits here poll rarely, and a timed
 * stretch has nothing else running unless that is what it measures.
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* Waits for samples at intervals of 1 s and more take this long at most. */
#define BENCH_WAIT_MS	(600 * 1000)

/* A figure measured once: no spread. */
#define BENCH_ONCE	(-1.0)

void bench_figure(const char *name, double value, const char *unit,
		  double spread_pct);
void bench_figure_cmp(const char *name, double value, const char *unit,
		      double spread_pct, const char *cmp_name, double cmp_value);
/* A figure that could not be measured, and why (a "# " line). */
void bench_figure_none(const char *name, const char *unit, const char *why);

/* Median, smallest and largest of @n values, and their spread. */
struct bench_stat {
	double median, min, max;
	double spread_pct;		/* (max - min) / median x 100 */
};

struct bench_stat bench_stat(const double *v, size_t n);

/* Seconds since @start_ns (mp_now_ns()). */
double bench_seconds_since(uint64_t start_ns);

/*
 * Room for @n more processes: pid_max, threads-max and RLIMIT_NPROC
 * raised where they are lower.
 */
void bench_make_room(size_t n);

/*
 * @n children that sleep until killed, each moved into cgroup
 * @cgroups[i % nr_cgroups] first if @cgroups is not NULL.  With
 * @shared_mm they share this process's address space (clone(CLONE_VM), a
 * process each, but no page tables or mm of their own), so that a hundred
 * thousand fit in the guest.  Returns the pids (free() them) and in @made
 * how many were made; prints why it stopped short.
 */
pid_t *bench_fork_idle(size_t n, size_t *made, bool shared_mm,
		       const char *const *cgroups, size_t nr_cgroups);
/* SIGKILL every one of @pids, then reap them. */
void bench_kill_all(pid_t *pids, size_t n);

/* The module's sample counters (status), for a window of samples. */
struct bench_samples {
	uint64_t samples, total_us;	/* total_us from the count and mean */
	uint64_t last_us, walks, walk_total_us;
};

int bench_read_samples(struct bench_samples *s);
/*
 * Wait until @n more samples than @from have been taken, reading status
 * every @poll_ms (a read costs tens of microseconds of the guest's clock).
 */
int bench_wait_samples(const struct bench_samples *from, unsigned int n,
		       unsigned int poll_ms, struct bench_samples *to);

/* tracefs, mounted on first use. */
int bench_trace_write(const char *file, const char *value);
/*
 * How often tracepoint @event ("kmem/rss_stat") fires while @fn(@arg) runs:
 * the events the ring buffer took and overwrote; -errno if it cannot tell.
 */
long long bench_count_event(const char *event, int (*fn)(void *arg), void *arg);

/*
 * One line of the function_graph tracer's trace (funcgraph-tail on):
 *   " 1)   0.123 us    |      find_ge_pid();"			BENCH_GRAPH_LEAF
 *   " 1)               |      mp_read_process [mempressure]() {"	BENCH_GRAPH_ENTRY
 *   " 1)   2.345 us    |      } (a comment naming the function)"	BENCH_GRAPH_EXIT
 * The function's name into @name (leaf and entry), the duration into
 * @ns (leaf and exit; NAN if the line has none); anything else is
 * BENCH_GRAPH_OTHER.
 */
enum bench_graph_line {
	BENCH_GRAPH_OTHER, BENCH_GRAPH_LEAF, BENCH_GRAPH_ENTRY, BENCH_GRAPH_EXIT,
};

enum bench_graph_line bench_graph_parse(const char *line, char *name, size_t size,
					double *ns);

#endif /* BENCH_UTIL_H */
