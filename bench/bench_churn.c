// SPDX-License-Identifier: GPL-2.0
/*
 * bench_churn: short-lived processes as fast as the guest makes them, for
 * a while, and whether the module's table kept up.
 *
 *   bench_churn [SECONDS]		(default 300: five minutes)
 *
 * Not a pass/fail test: it prints figures ("# " lines, then "bench:" lines,
 * bench_util.h).  Made for instruction counting (make bench-churn runs it
 * under icount), where the guest's clock follows its work: the rate is in
 * the guest's seconds, a count of instructions, as fast as the emulated
 * CPUs go, which has nothing to do with the host's speed.
 *
 * The module is loaded at its defaults.  One worker per CPU forks and
 * execs busybox's true in a loop and counts.  Beside them, a prober forks
 * a child every PROBE_EVERY_MS that it kills again after a pseudo-random
 * life of PROBE_MIN_MS to PROBE_MAX_MS, noting when it was born (before
 * and after fork()) and when it was killed.  The checker reads the
 * processes table after every sample (a read between two status reads
 * that show the same sample count holds that one sample) and learns the
 * sample's time from a child of its own born at a known time (the age_usec
 * column is the sample's time less the process's start).  Then:
 *
 * - every probe child born before a sample started and killed after it
 *   ended, and every process of the checker's own that lived through it,
 *   is in that sample's table (churn_missing counts the ones that are
 *   not);
 * - a process (pid and start time) that has left the table never comes
 *   back in a later one (churn_exits_twice).
 *
 * The sample's time is known to within MARGIN_US; a probe closer than that
 * to a sample's start or end is not judged.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "mp_util.h"

#define PROBE_EVERY_MS	20
#define PROBE_MIN_MS	50
#define PROBE_MAX_MS	3000
#define MAX_PROBES	(1 << 16)
#define MAX_WORKERS	8
#define MARGIN_US	2000
#define TRUE_BIN	"/bin/busybox"
#define TABLE_SIZE	(4 << 20)
/* Identities of processes seen in the table, hashed by pid. */
#define SEEN_BITS	20

struct probe {
	pid_t pid;
	uint64_t born_before_us, born_after_us, killed_us;	/* 0: alive */
};

/* Shared with the prober: its children's lives. */
struct shared {
	volatile uint64_t nr;
	struct probe probes[MAX_PROBES];
	volatile uint64_t execs[MAX_WORKERS];
	volatile int stop;
};

static struct shared *sh;

static int worker(void *arg)
{
	size_t slot = (size_t)arg;

	while (!sh->stop) {
		pid_t pid = fork();

		if (pid < 0)
			continue;
		if (!pid) {
			execl(TRUE_BIN, "true", (char *)NULL);
			_exit(127);
		}
		waitpid(pid, NULL, 0);
		sh->execs[slot]++;
	}
	return 0;
}

static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Forks probe children and kills each at the end of its planned life. */
static int prober(void *arg)
{
	uint64_t seed = 88172645463325252ULL, next = mp_now_usec();
	uint64_t due[MAX_PROBES];
	size_t first_alive = 0;

	(void)arg;
	while (!sh->stop) {
		uint64_t now = mp_now_usec();

		for (size_t i = first_alive; i < sh->nr; i++) {
			struct probe *p = &sh->probes[i];

			if (p->killed_us || due[i] > now)
				continue;
			kill(p->pid, SIGKILL);
			p->killed_us = mp_now_usec();
			waitpid(p->pid, NULL, 0);
		}
		while (first_alive < sh->nr && sh->probes[first_alive].killed_us)
			first_alive++;
		if (now >= next && sh->nr < MAX_PROBES) {
			struct probe *p = &sh->probes[sh->nr];

			p->born_before_us = mp_now_usec();
			p->pid = mp_fork_idle();
			p->born_after_us = mp_now_usec();
			if (p->pid > 0) {
				due[sh->nr] = p->born_after_us + 1000ULL *
					(PROBE_MIN_MS + next_rand(&seed) % (PROBE_MAX_MS - PROBE_MIN_MS));
				__atomic_store_n(&sh->nr, sh->nr + 1, __ATOMIC_RELEASE);
			}
			next += PROBE_EVERY_MS * 1000;
		}
		usleep(2000);
	}
	for (size_t i = 0; i < sh->nr; i++) {
		if (!sh->probes[i].killed_us) {
			kill(sh->probes[i].pid, SIGKILL);
			sh->probes[i].killed_us = mp_now_usec();
			waitpid(sh->probes[i].pid, NULL, 0);
		}
	}
	return 0;
}

/* A process as the tables identify it: pid and start time (ms). */
struct seen {
	pid_t pid;
	uint64_t start_ms;
	uint64_t last_sample;	/* the last checked sample that listed it */
	bool gone;		/* a later sample did not */
};

static struct seen *seen;

static struct seen *seen_slot(pid_t pid)
{
	return &seen[(uint32_t)pid & ((1U << SEEN_BITS) - 1)];
}

struct row {
	pid_t pid;
	uint64_t age_us;
};

/* The pid and age columns of a processes table. */
static size_t parse_rows(const char *text, struct row *rows, size_t max)
{
	struct mp_table t;
	int pc, ac;
	size_t n = 0;

	if (mp_table_parse(text, strlen(text), &t))
		return 0;
	pc = mp_table_column(&t, MP_PCOL(PID));
	ac = mp_table_column(&t, MP_PCOL(AGE));
	for (size_t r = 0; pc >= 0 && ac >= 0 && r < t.nr_rows && n < max; r++) {
		uint64_t pid, age;

		if (mp_parse_u64(mp_table_cell(&t, r, (size_t)pc), &pid) ||
		    mp_parse_u64(mp_table_cell(&t, r, (size_t)ac), &age))
			continue;
		rows[n].pid = (pid_t)pid;
		rows[n++].age_us = age;
	}
	mp_table_free(&t);
	return n;
}

static bool listed(const struct row *rows, size_t n, pid_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (rows[i].pid == pid)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	unsigned long seconds = argc > 1 ? strtoul(argv[1], NULL, 10) : 300;
	long nr_workers = sysconf(_SC_NPROCESSORS_ONLN);
	static struct row rows[1 << 16];
	static pid_t prev[1 << 16];
	size_t nr_prev = 0;
	pid_t workers[MAX_WORKERS], prob, clock_child;
	uint64_t clock_born_before, clock_born_after, start_us, elapsed_us, execs = 0;
	uint64_t samples_checked = 0, judged = 0, missing = 0, twice = 0, missed = 0;
	uint64_t skipped = 0;
	struct bench_samples a, b;
	char *table;
	int err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (nr_workers < 1 || nr_workers > MAX_WORKERS)
		nr_workers = 2;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	seen = calloc(1U << SEEN_BITS, sizeof(*seen));
	table = malloc(TABLE_SIZE);
	if (sh == MAP_FAILED || !seen || !table)
		return 1;
	bench_make_room(1 << 22);
	err = mp_load("");
	if (err) {
		printf("# cannot load %s: %s\n", mp_module_path(), strerror(-err));
		return 1;
	}
	clock_born_before = mp_now_usec();
	clock_child = mp_fork_idle();
	clock_born_after = mp_now_usec();
	printf("# bench_churn: %ld workers fork and exec %s for %lu s; a probe child every %d ms, living %d to %d ms\n",
	       nr_workers, TRUE_BIN, seconds, PROBE_EVERY_MS, PROBE_MIN_MS, PROBE_MAX_MS);
	start_us = mp_now_usec();
	for (long i = 0; i < nr_workers; i++)
		workers[i] = cg_run_nowait(NULL, worker, (void *)i);
	prob = cg_run_nowait(NULL, prober, NULL);

	err = bench_read_samples(&a);
	while (!err && mp_now_usec() - start_us < seconds * 1000000ULL) {
		uint64_t t_start, t_end, clock_age = 0;
		size_t n;

		err = bench_wait_samples(&a, 1, 50, &b);
		if (err)
			break;
		a = b;
		if (mp_read_text(MEMPRESSURE_PROC_PATH "/" MEMPRESSURE_FILE_PROCESSES, table,
				 TABLE_SIZE) < 0 || bench_read_samples(&b) ||
		    b.samples != a.samples) {
			skipped++;
			continue;
		}
		n = parse_rows(table, rows, ARRAY_SIZE(rows));
		for (size_t i = 0; i < n; i++)
			if (rows[i].pid == clock_child)
				clock_age = rows[i].age_us;
		if (!clock_age) {
			missing++;
			printf("# sample %llu: the clock child is not listed\n",
			       (unsigned long long)b.samples);
			continue;
		}
		samples_checked++;
		/* The sample's start, and its end (its duration from status). */
		t_start = clock_born_before + clock_age;
		t_end = clock_born_after + clock_age + b.last_us;

		/* The probes that lived through the whole sample. */
		for (uint64_t i = 0; i < __atomic_load_n(&sh->nr, __ATOMIC_ACQUIRE); i++) {
			const struct probe *p = &sh->probes[i];
			uint64_t killed = p->killed_us;

			if (p->born_after_us + MARGIN_US > t_start ||
			    (killed && killed < t_end + MARGIN_US))
				continue;
			judged++;
			if (!listed(rows, n, p->pid)) {
				missing++;
				printf("# sample %llu (%llu-%llu us): probe %d (born %llu, killed %llu) is not listed\n",
				       (unsigned long long)b.samples, (unsigned long long)t_start,
				       (unsigned long long)t_end, p->pid,
				       (unsigned long long)p->born_after_us,
				       (unsigned long long)killed);
			}
		}
		/* Processes that left the table never come back. */
		for (size_t i = 0; i < n; i++) {
			uint64_t start_ms = (t_start - rows[i].age_us) / 1000;
			struct seen *s = seen_slot(rows[i].pid);

			if (s->pid != rows[i].pid ||
			    (s->start_ms + 2 < start_ms || start_ms + 2 < s->start_ms)) {
				s->pid = rows[i].pid;
				s->start_ms = start_ms;
				s->gone = false;
			} else if (s->gone) {
				twice++;
				printf("# sample %llu: pid %d, gone since sample %llu, is listed again\n",
				       (unsigned long long)b.samples, rows[i].pid,
				       (unsigned long long)s->last_sample);
				s->gone = false;
			}
			s->last_sample = b.samples;
		}
		/* Those listed at the last checked sample and not at this one. */
		for (size_t i = 0; i < nr_prev; i++) {
			struct seen *s = seen_slot(prev[i]);

			if (s->pid == prev[i] && s->last_sample != b.samples)
				s->gone = true;
		}
		for (nr_prev = 0; nr_prev < n; nr_prev++)
			prev[nr_prev] = rows[nr_prev].pid;
	}
	sh->stop = 1;
	elapsed_us = mp_now_usec() - start_us;
	for (long i = 0; i < nr_workers; i++) {
		mp_wait_child(workers[i], NULL, MP_WAIT_MS);
		execs += sh->execs[i];
	}
	mp_wait_child(prob, NULL, MP_WAIT_MS);
	mp_kill_child(clock_child);
	mp_status_u64("changes_missed", &missed);
	mp_unload();

	printf("# %llu fork+exec in %.1f s; %llu samples checked (%llu table reads spanned two samples); %llu probes, %llu judged against a sample\n",
	       (unsigned long long)execs, (double)elapsed_us / 1e6,
	       (unsigned long long)samples_checked, (unsigned long long)skipped,
	       (unsigned long long)sh->nr, (unsigned long long)judged);
	bench_figure("churn_fork_exec_per_sec", (double)execs / ((double)elapsed_us / 1e6),
		     "per_s", BENCH_ONCE);
	bench_figure("churn_seconds", (double)elapsed_us / 1e6, "s", BENCH_ONCE);
	bench_figure("churn_samples_checked", (double)samples_checked, "samples", BENCH_ONCE);
	bench_figure("churn_probes_judged", (double)judged, "checks", BENCH_ONCE);
	bench_figure("churn_missing", (double)missing, "processes", BENCH_ONCE);
	bench_figure("churn_exits_twice", (double)twice, "processes", BENCH_ONCE);
	bench_figure("churn_changes_missed", (double)missed, "processes", BENCH_ONCE);
	return 0;
}
