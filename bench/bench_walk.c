// SPDX-License-Identifier: GPL-2.0
/*
 * bench_walk: where the time of a full walk goes, per process, by the
 * kernel's function graph tracer on one sample; and the time of a steady
 * sample in which nothing changed.
 *
 *   bench_walk [N]		(default 10000)
 *
 * Not a pass/fail test: it prints a breakdown ("# " lines) and figures
 * ("bench:" lines, bench_util.h).  Made for instruction counting (make
 * bench runs it under icount), where a duration is a count of instructions.
 *
 * N idle children; the module loaded with change_tracking=0, so that every
 * sample reads every process.  After WARMUP_SAMPLES, MEASURED_SAMPLES are
 * timed untraced (sample_last_usec); then the function_graph tracer records
 * one sample (set_graph_function mp_take_sample, interrupts left out, time
 * asleep left out), and its trace is read back here.  Then the same at the
 * defaults, for a steady sample (figures idle_sample_*).
 *
 * The tracer adds its own instructions to what it times.  Two corrections,
 * both measured in this run: a traced call costs OVERHEAD in all (the
 * traced sample's time less the untraced median, over the calls traced),
 * of which INSIDE falls between the two clock reads of the call's own
 * duration (the shortest duration of a frequent leaf: a function of a few
 * instructions, taken as none).  A function's own time is then its
 * duration less its callees' durations, less INSIDE for itself and
 * OVERHEAD - INSIDE for each callee.  (The corrected own times add up to
 * the untraced sample by construction; what the correction cannot know is
 * how INSIDE differs between functions: a few instructions.)
 *
 * The own times are then summed by what they do (CATEGORIES, by function
 * name; what the tracer cannot see inside a function, inlined code, is in
 * that function's own time).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "mp_util.h"

#define WARMUP_SAMPLES	3
#define MEASURED_SAMPLES	5
#define POLL_MS		200
#define TRACE		"/sys/kernel/tracing/trace"
#define MAX_FUNCS	1024
#define MAX_DEPTH	64

/* One function (or one caller/callee pair) over the traced sample. */
struct func {
	char name[96];		/* "caller>callee" for a pair */
	unsigned long calls;
	unsigned long child_calls;	/* direct callees' calls */
	unsigned long desc_calls;	/* every traced call below it */
	double incl_ns, self_ns;	/* as traced */
};

static struct func funcs[MAX_FUNCS], pairs[MAX_FUNCS];
static size_t nr_funcs, nr_pairs;
static double min_leaf_ns = INFINITY;

static struct func *lookup(struct func *tab, size_t *nr, const char *name)
{
	for (size_t i = 0; i < *nr; i++)
		if (!strcmp(tab[i].name, name))
			return &tab[i];
	if (*nr == MAX_FUNCS)
		return NULL;
	snprintf(tab[*nr].name, sizeof(tab[*nr].name), "%s", name);
	return &tab[(*nr)++];
}

struct frame {
	char name[80];
	double child_ns;
	unsigned long child_calls, desc_calls;
};

static struct frame stack[MAX_DEPTH];
static int depth;

static void account(const char *name, double incl_ns, double child_ns,
		    unsigned long child_calls, unsigned long desc_calls)
{
	struct func *f = lookup(funcs, &nr_funcs, name);
	char pair[200];

	if (f) {
		f->calls++;
		f->child_calls += child_calls;
		f->desc_calls += desc_calls;
		f->incl_ns += incl_ns;
		f->self_ns += incl_ns - child_ns;
	}
	if (depth > 0) {
		struct frame *parent = &stack[depth - 1];

		snprintf(pair, sizeof(pair), "%s>%s", parent->name, name);
		f = lookup(pairs, &nr_pairs, pair);
		if (f) {
			f->calls++;
			f->desc_calls += desc_calls;
			f->incl_ns += incl_ns;
		}
		parent->child_ns += incl_ns;
		parent->child_calls++;
		parent->desc_calls += 1 + desc_calls;
	}
}

/* One line of the trace, into the functions' stack and totals. */
static void parse_line(const char *line)
{
	char name[80];
	double dur;

	switch (bench_graph_parse(line, name, sizeof(name), &dur)) {
	case BENCH_GRAPH_EXIT:
		if (depth == 0 || isnan(dur))
			return;
		depth--;
		account(stack[depth].name, dur, stack[depth].child_ns,
			stack[depth].child_calls, stack[depth].desc_calls);
		return;
	case BENCH_GRAPH_ENTRY:
		if (depth == MAX_DEPTH)
			return;
		memset(&stack[depth], 0, sizeof(stack[depth]));
		snprintf(stack[depth].name, sizeof(stack[depth].name), "%s", name);
		depth++;
		return;
	case BENCH_GRAPH_LEAF:
		if (isnan(dur))
			return;
		account(name, dur, 0, 0, 0);
		if (dur < min_leaf_ns && dur > 0) {
			struct func *f = lookup(funcs, &nr_funcs, name);

			/* A frequent leaf: not one odd short call. */
			if (f && f->calls >= 100)
				min_leaf_ns = dur;
		}
		return;
	default:
		return;
	}
}

static int trace_setup(void)
{
	static const char *const settings[][2] = {
		{ "tracing_on", "0" },
		{ "current_tracer", "nop" },
		{ "trace", "" },
		{ "buffer_size_kb", "131072" },
		{ "set_graph_function", "mp_take_sample" },
		{ "max_graph_depth", "0" },
		{ "options/funcgraph-irqs", "0" },
		{ "options/sleep-time", "0" },
		{ "options/funcgraph-tail", "1" },
		{ "options/funcgraph-overhead", "0" },
		{ "options/funcgraph-proc", "0" },
		{ "current_tracer", "function_graph" },
	};
	int err = 0;

	for (size_t i = 0; !err && i < ARRAY_SIZE(settings); i++) {
		err = bench_trace_write(settings[i][0], settings[i][1]);
		if (err)
			printf("# tracefs %s: %s\n", settings[i][0], strerror(-err));
	}
	return err;
}

/* What a function's own time is spent on: the first match of its name. */
static const struct {
	const char *name;	/* figure: walk_breakdown_NAME_ns_per_process */
	const char *what;
	const char *const funcs[8];	/* names, or prefixes ending in '*' */
} categories[] = {
	{ "find", "finding each process: the pid idr's radix tree, pid_task()",
	  { "find_ge_pid", "pid_task", "mp_next_pid", "idr_*", "xa_*", "radix_*" } },
	{ "lock", "the task lock around the mm: task_lock()",
	  { "_raw_spin_lock", "_raw_spin_unlock" } },
	{ "exact", "exact mm counter sums (every 16th sample a process)",
	  { "_raw_spin_lock_irqsave", "_raw_spin_unlock_irqrestore", "__percpu_counter_sum*" } },
	{ "memcg", "the process's memory cgroup and its index in the sample",
	  { "mem_cgroup_from_task", "mp_sample_cgroup" } },
	{ "read", "mp_read_process() itself: cheap counters, command, history rings, the record",
	  { "mp_read_process*" } },
	{ "loop", "the walk's loop: the last sample's record, marks, room, batching",
	  { "mp_sample_processes", "mp_walk_*", "mp_update_processes", "mp_carry_*",
	    "mp_room_for_process" } },
	{ "signals", "the signals pass: mp_signals_sample() itself",
	  { "mp_signals_sample" } },
};

static bool name_matches(const char *name, const char *pattern)
{
	size_t n = strlen(pattern);

	if (n && pattern[n - 1] == '*')
		return !strncmp(name, pattern, n - 1);
	return !strcmp(name, pattern);
}

static int category_of(const char *name)
{
	for (size_t c = 0; c < ARRAY_SIZE(categories); c++)
		for (size_t i = 0; i < ARRAY_SIZE(categories[c].funcs) && categories[c].funcs[i]; i++)
			if (name_matches(name, categories[c].funcs[i]))
				return (int)c;
	return -1;
}

static int by_self(const void *a, const void *b)
{
	const struct func *x = a, *y = b;

	return x->self_ns < y->self_ns ? 1 : x->self_ns > y->self_ns ? -1 : 0;
}

/* Forget the last trace's functions. */
static void forget(void)
{
	nr_funcs = nr_pairs = 0;
	depth = 0;
	min_leaf_ns = INFINITY;
}

/*
 * Load with @params, time MEASURED_SAMPLES samples untraced (full walks
 * if @walks, else none), trace one more of the same kind, and print where
 * its time went, per process, as figures PREFIX_*.  @inside: the tracer's
 * share inside a call, when this trace has no frequent leaf to tell it;
 * returns the one it used.
 */
static double trace_sample(const char *params, bool walks, const char *prefix,
			   double inside)
{
	struct bench_samples a, b;
	struct bench_stat untraced;
	double us[MEASURED_SAMPLES], overhead, traced_ns, sum = 0;
	uint64_t tracked = 0;
	unsigned long calls;
	char line[512], fig[96];
	struct func *top;
	size_t k = 0, tries = 0;
	FILE *f;
	int err;

	forget();
	err = mp_load(params);
	if (!err)
		err = bench_read_samples(&a);
	if (!err)
		err = bench_wait_samples(&a, WARMUP_SAMPLES, POLL_MS, &b);
	while (!err && k < MEASURED_SAMPLES && tries++ < 4 * MEASURED_SAMPLES) {
		a = b;
		err = bench_wait_samples(&a, 1, POLL_MS, &b);
		if (!err && b.samples == a.samples + 1 && (b.walks > a.walks) == walks)
			us[k++] = (double)b.last_us;
	}
	if (!err)
		err = mp_status_u64("processes", &tracked);
	if (!err)
		err = trace_setup();
	/* Right after a sample, so that the next is traced whole, and of its kind. */
	for (tries = 0; !err && tries < 4; tries++) {
		bench_trace_write("trace", "");
		err = bench_wait_samples(&b, 1, 20, &a);
		if (!err)
			err = bench_trace_write("tracing_on", "1");
		if (!err)
			err = bench_wait_samples(&a, 1, POLL_MS, &b);
		bench_trace_write("tracing_on", "0");
		if (!err && b.samples == a.samples + 1 && (b.walks > a.walks) == walks)
			break;
	}
	if (!err && (tries == 4 || !k))
		err = -EAGAIN;
	if (err) {
		printf("# %s: cannot trace a sample: %s\n", prefix, strerror(-err));
		snprintf(fig, sizeof(fig), "%s_untraced_ns_per_process", prefix);
		bench_figure_none(fig, "ns", strerror(-err));
		goto out;
	}
	untraced = bench_stat(us, k);

	f = fopen(TRACE, "re");
	if (!f) {
		printf("# %s: %s\n", TRACE, strerror(errno));
		goto out;
	}
	while (fgets(line, sizeof(line), f))
		parse_line(line);
	fclose(f);

	top = lookup(funcs, &nr_funcs, "mp_take_sample");
	if (!top || !top->calls || !tracked) {
		printf("# %s: no traced sample in the trace\n", prefix);
		goto out;
	}
	traced_ns = top->incl_ns;
	calls = top->desc_calls + 1;
	overhead = (traced_ns - untraced.median * 1000) / (double)calls;
	if (!isinf(min_leaf_ns))
		inside = min_leaf_ns;
	printf("# %s: %llu processes; untraced sample %.0f us (%.0f-%.0f), traced %.0f us with %lu calls traced: %.1f ns of tracer per call, %.1f of it inside a call's own time\n",
	       prefix, (unsigned long long)tracked, untraced.median, untraced.min,
	       untraced.max, traced_ns / 1000, calls, overhead, inside);

	/* Own time less the tracer's share, per process. */
	for (size_t i = 0; i < nr_funcs; i++) {
		struct func *fn = &funcs[i];

		fn->self_ns -= (double)fn->calls * inside +
			       (double)fn->child_calls * (overhead - inside);
		fn->incl_ns -= (double)fn->calls * inside + (double)fn->desc_calls * overhead;
		sum += fn->self_ns;
	}
	qsort(funcs, nr_funcs, sizeof(funcs[0]), by_self);
	printf("# %-44s %9s %10s %12s %12s\n", "function", "calls", "calls/proc",
	       "own ns/proc", "incl ns/proc");
	for (size_t i = 0; i < nr_funcs && i < 25; i++)
		printf("# %-44s %9lu %10.2f %12.1f %12.1f\n", funcs[i].name, funcs[i].calls,
		       (double)funcs[i].calls / (double)tracked,
		       funcs[i].self_ns / (double)tracked, funcs[i].incl_ns / (double)tracked);
	printf("# callers and callees (corrected inclusive time):\n");
	for (size_t i = 0; i < nr_pairs; i++) {
		struct func *p = &pairs[i];
		double incl = p->incl_ns - (double)p->calls * inside -
			      (double)p->desc_calls * overhead;

		if (incl / (double)tracked < 1.0)
			continue;
		printf("#   %-70s %9lu %12.1f ns/proc %10.1f ns/call\n", p->name, p->calls,
		       incl / (double)tracked, incl / (double)p->calls);
	}
	printf("# %s: where its %.0f ns per process go:\n", prefix, sum / (double)tracked);
	for (size_t c = 0; c <= ARRAY_SIZE(categories); c++) {
		const char *name = c < ARRAY_SIZE(categories) ? categories[c].name : "rest";
		double ns = 0;

		for (size_t i = 0; i < nr_funcs; i++)
			if (category_of(funcs[i].name) == (c < ARRAY_SIZE(categories) ? (int)c : -1))
				ns += funcs[i].self_ns;
		printf("#   %-8s %7.1f ns %5.1f %%  %s\n", name, ns / (double)tracked,
		       sum > 0 ? ns / sum * 100 : 0,
		       c < ARRAY_SIZE(categories) ? categories[c].what :
		       "the rest of the sample: cgroups, history, publication, scheduling");
		snprintf(fig, sizeof(fig), "%s_breakdown_%s_ns_per_process", prefix, name);
		bench_figure(fig, ns / (double)tracked, "ns", BENCH_ONCE);
	}
	snprintf(fig, sizeof(fig), "%s_untraced_ns_per_process", prefix);
	bench_figure(fig, untraced.median * 1000 / (double)tracked, "ns", untraced.spread_pct);
	snprintf(fig, sizeof(fig), "%s_tracer_overhead_ns_per_call", prefix);
	bench_figure(fig, overhead, "ns", BENCH_ONCE);
	snprintf(fig, sizeof(fig), "%s_tracer_inside_ns_per_call", prefix);
	bench_figure(fig, inside, "ns", BENCH_ONCE);
out:
	bench_trace_write("current_tracer", "nop");
	bench_trace_write("buffer_size_kb", "1408");
	mp_unload();
	return inside;
}

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000;
	char params[96];
	double inside;
	size_t made;
	pid_t *children;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("# bench_walk: a full walk and a steady sample of %lu processes, function by function\n",
	       n);
	bench_make_room(n);
	children = bench_fork_idle(n, &made, false, NULL, 0);
	if (!children)
		return 1;
	snprintf(params, sizeof(params), "interval_ms=1000 change_tracking=0 max_processes=%lu",
		 n + 4096);
	inside = trace_sample(params, true, "walk", 0);
	/* The defaults: a sample in which nothing changed. */
	snprintf(params, sizeof(params), "interval_ms=1000 max_processes=%lu", n + 4096);
	trace_sample(params, false, "idle_sample", inside);
	bench_kill_all(children, made);
	free(children);
	return 0;
}
