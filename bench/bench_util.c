// SPDX-License-Identifier: GPL-2.0
/* What the benchmarks share; see bench_util.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "mp_util.h"

#define TRACEFS		"/sys/kernel/tracing"

static void print_value(double v)
{
	if (isnan(v) || isinf(v))
		printf(" -");
	else if (v != 0 && fabs(v) < 10)
		printf(" %.4g", v);
	else
		printf(" %.1f", v);
}

void bench_figure_cmp(const char *name, double value, const char *unit,
		      double spread_pct, const char *cmp_name, double cmp_value)
{
	printf("bench: %s", name);
	print_value(value);
	printf(" %s", unit);
	if (spread_pct >= 0 && !isnan(spread_pct))
		printf(" spread=%.3g", spread_pct);
	if (cmp_name) {
		printf(" %s", cmp_name);
		print_value(cmp_value);
	}
	printf("\n");
	fflush(stdout);
}

void bench_figure(const char *name, double value, const char *unit,
		  double spread_pct)
{
	bench_figure_cmp(name, value, unit, spread_pct, NULL, 0);
}

void bench_figure_none(const char *name, const char *unit, const char *why)
{
	printf("# %s: not measured: %s\n", name, why);
	bench_figure(name, NAN, unit, BENCH_ONCE);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct bench_stat bench_stat(const double *v, size_t n)
{
	struct bench_stat st = { NAN, NAN, NAN, BENCH_ONCE };
	double *s;

	if (!n || !(s = malloc(n * sizeof(*s))))
		return st;
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	st.min = s[0];
	st.max = s[n - 1];
	st.median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	if (n > 1)
		st.spread_pct = st.median ? (st.max - st.min) / fabs(st.median) * 100 : 0;
	free(s);
	return st;
}

double bench_seconds_since(uint64_t start_ns)
{
	return (double)(mp_now_ns() - start_ns) / 1e9;
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

void bench_make_room(size_t n)
{
	static const char *const limits[] = {
		"/proc/sys/kernel/pid_max", "/proc/sys/kernel/threads-max",
	};
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	/* PID_MAX_LIMIT on 64-bit: pid_max refuses more. */
	unsigned long want = n + 4096 < 4194304 ? n + 4096 : 4194304;

	if (setrlimit(RLIMIT_NPROC, &rl))
		printf("# cannot raise RLIMIT_NPROC: %s\n", strerror(errno));
	for (size_t i = 0; i < ARRAY_SIZE(limits); i++) {
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

/*
 * A child sharing the parent's memory: it must not touch the C library's
 * state (errno, locks), so it only makes raw system calls.
 */
static int shared_idle(void *arg)
{
	(void)arg;
	for (;;)
		syscall(SYS_pause);
	return 0;
}

/* Room for a shared child's stack: it makes system calls and nothing else. */
#define SHARED_STACK	1024

pid_t *bench_fork_idle(size_t n, size_t *made, bool shared_mm,
		       const char *const *cgroups, size_t nr_cgroups)
{
	pid_t *pids = calloc(n ? n : 1, sizeof(*pids));
	char *stacks = NULL;
	size_t i;

	*made = 0;
	if (!pids)
		return NULL;
	if (shared_mm) {
		stacks = mmap(NULL, n * SHARED_STACK, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (stacks == MAP_FAILED) {
			printf("# no room for %zu stacks: %s\n", n, strerror(errno));
			return pids;
		}
	}
	for (i = 0; i < n; i++) {
		const char *cg = cgroups ? cgroups[i % nr_cgroups] : NULL;
		pid_t pid;

		if (shared_mm)
			pid = clone(shared_idle, stacks + (i + 1) * SHARED_STACK,
				    CLONE_VM | CLONE_FS | CLONE_FILES | SIGCHLD, NULL);
		else
			pid = mp_fork_idle();
		if (pid < 0) {
			printf("# fork failed after %zu children: %s\n", i, strerror(errno));
			break;
		}
		pids[i] = pid;
		if (cg && cg_enter(cg, pid)) {
			printf("# cannot move %d into %s\n", pid, cg);
			i++;
			break;
		}
	}
	*made = i;
	/* The stacks are left mapped: the children run on them until killed. */
	return pids;
}

void bench_kill_all(pid_t *pids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	for (size_t i = 0; i < n; i++)
		waitpid(pids[i], NULL, 0);
}

int bench_read_samples(struct bench_samples *s)
{
	uint64_t avg = 0, walk_avg = 0;
	int err = mp_status_u64("samples", &s->samples);

	if (!err)
		err = mp_status_u64("sample_avg_usec", &avg);
	if (!err)
		err = mp_status_u64("sample_last_usec", &s->last_us);
	if (!err)
		err = mp_status_u64("full_walks", &s->walks);
	if (!err)
		err = mp_status_u64("full_walk_avg_usec", &walk_avg);
	s->total_us = avg * s->samples;
	s->walk_total_us = walk_avg * s->walks;
	return err;
}

int bench_wait_samples(const struct bench_samples *from, unsigned int n,
		       unsigned int poll_ms, struct bench_samples *to)
{
	uint64_t deadline = mp_now_ms() + BENCH_WAIT_MS;
	int err;

	for (;;) {
		err = bench_read_samples(to);
		if (err || to->samples >= from->samples + n)
			return err;
		if (mp_now_ms() >= deadline)
			return -ETIMEDOUT;
		poll(NULL, 0, (int)poll_ms);
	}
}

static int tracefs_mount(void)
{
	if (!access(TRACEFS "/trace", F_OK))
		return 0;
	if (mount("tracefs", TRACEFS, "tracefs", 0, NULL) && errno != EBUSY)
		return -errno;
	return 0;
}

int bench_trace_write(const char *file, const char *value)
{
	char path[256];
	int err = tracefs_mount();

	if (err)
		return err;
	snprintf(path, sizeof(path), TRACEFS "/%s", file);
	return mp_write_file(path, value);
}

/* entries + overrun of every CPU's ring buffer */
static long long trace_count(void)
{
	long long total = 0;

	for (int cpu = 0;; cpu++) {
		char path[128], text[1024];
		const char *p;

		snprintf(path, sizeof(path), TRACEFS "/per_cpu/cpu%d/stats", cpu);
		if (mp_read_text(path, text, sizeof(text)) < 0)
			break;
		p = strstr(text, "entries: ");
		total += p ? atoll(p + 9) : 0;
		p = strstr(text, "overrun: ");
		total += p ? atoll(p + 9) : 0;
	}
	return total;
}

long long bench_count_event(const char *event, int (*fn)(void *arg), void *arg)
{
	char enable[160];
	long long n;
	int err;

	snprintf(enable, sizeof(enable), "events/%s/enable", event);
	err = bench_trace_write("tracing_on", "0");
	if (!err)
		err = bench_trace_write("trace", "");
	if (!err)
		err = bench_trace_write(enable, "1");
	if (!err)
		err = bench_trace_write("tracing_on", "1");
	if (err)
		return err;
	err = fn(arg);
	bench_trace_write("tracing_on", "0");
	bench_trace_write(enable, "0");
	n = trace_count();
	bench_trace_write("trace", "");
	return err ? err : n;
}

enum bench_graph_line bench_graph_parse(const char *line, char *name, size_t size,
					double *ns)
{
	const char *bar = strchr(line, '|');
	const char *paren = strchr(line, ')');
	const char *p, *body;
	size_t n;

	*ns = NAN;
	if (!bar || !paren || paren > bar)
		return BENCH_GRAPH_OTHER;
	for (p = paren + 1; p < bar; p++) {
		if (*p >= '0' && *p <= '9') {
			*ns = strtod(p, NULL) * 1000.0;	/* us to ns */
			break;
		}
	}
	body = bar + 1;
	while (*body == ' ')
		body++;
	if (*body == '}')
		return BENCH_GRAPH_EXIT;
	if (!*body || *body == '/' || *body == '=' || !size)
		return BENCH_GRAPH_OTHER;
	/* "name [module]()" or "name()" to "name" */
	n = strcspn(body, " (;{");
	if (n >= size)
		n = size - 1;
	memcpy(name, body, n);
	name[n] = '\0';
	return strchr(body, '{') ? BENCH_GRAPH_ENTRY : BENCH_GRAPH_LEAF;
}
