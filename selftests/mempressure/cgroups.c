// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/mempressure/cgroups: what the module says about each memory cgroup.
 *
 * Every column must agree with the cgroup's own files (limits exactly,
 * usage within what a live counter allows, memory.events and
 * memory.pressure as of the sample), since the table is meant to replace
 * reading those files one cgroup at a time.  The system row must describe
 * the whole machine, process counts must be hierarchical, and a removed
 * cgroup must leave the table.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mp_util.h"

#define MAX_CGROUPS	12
#define MAX_CHILDREN	12

/*
 * The OOM test's child is throttled above memory.high on its way to
 * memory.max.  The kernel's penalty grows with the overage: with high at
 * half of max it reaches 2 s per 64 pages charged (seen: 115 s to the kill
 * on the cloud kernels, 186 s on the debug kernel, under TCG), so the test
 * sets high at 7/8 of max (seen then: 8 s on 6.1 under TCG).  The wait
 * stays generous for slow hosts.
 */
#define OOM_WAIT_MS	(150 * 1000)

#define PSI_PATH	"/proc/pressure/memory"

static long page_size;

FIXTURE(cgroups) {
	char names[MAX_CGROUPS][64];
	int nr_cgroups;
	pid_t children[MAX_CHILDREN];
	int nr_children;
};

FIXTURE_SETUP(cgroups)
{
	page_size = sysconf(_SC_PAGESIZE);
	self->nr_cgroups = 0;
	self->nr_children = 0;
	ASSERT_EQ(0, mp_load("interval_ms=200"));
}

FIXTURE_TEARDOWN(cgroups)
{
	int i;

	for (i = 0; i < self->nr_children; i++)
		mp_kill_child(self->children[i]);
	/* Children before their parents. */
	for (i = self->nr_cgroups - 1; i >= 0; i--) {
		EXPECT_EQ(0, cg_destroy(self->names[i])) {
			TH_LOG("cannot remove cgroup %s", self->names[i]);
		}
	}
	EXPECT_EQ(0, mp_unload());
}

/*
 * Make a cgroup named "mptest-<pid>-<n>", under @parent if not NULL;
 * @leaf: for processes (see cg_create_leaf()).  Its name goes to @name.
 */
static int make_cgroup(FIXTURE_DATA(cgroups) *self, const char *parent,
		       bool leaf, char *name, size_t size)
{
	char *slot;
	int err;

	if (self->nr_cgroups == MAX_CGROUPS)
		return -ENOSPC;
	slot = self->names[self->nr_cgroups];
	if (parent)
		snprintf(slot, sizeof(self->names[0]), "%s/mptest-%d-%d",
			 parent, getpid(), self->nr_cgroups);
	else
		snprintf(slot, sizeof(self->names[0]), "mptest-%d-%d",
			 getpid(), self->nr_cgroups);
	err = leaf ? cg_create_leaf(slot) : cg_create(slot);
	if (err)
		return err;
	self->nr_cgroups++;
	snprintf(name, size, "%s", slot);
	return 0;
}

static void forget_child(FIXTURE_DATA(cgroups) *self, pid_t pid)
{
	int i;

	for (i = 0; i < self->nr_children; i++) {
		if (self->children[i] == pid) {
			self->children[i] = self->children[--self->nr_children];
			return;
		}
	}
}

/* Run @fn(@arg) in cgroup @name; recorded so that teardown kills it. */
static pid_t run_in(FIXTURE_DATA(cgroups) *self, const char *name,
		    int (*fn)(void *arg), void *arg)
{
	pid_t pid;

	if (self->nr_children == MAX_CHILDREN)
		return -ENOSPC;
	pid = cg_run_nowait(name, fn, arg);
	if (pid > 0)
		self->children[self->nr_children++] = pid;
	return pid;
}

/* The cgroup's id as the table's key. */
static int id_key(const char *name, char *key, size_t size)
{
	uint64_t id;
	int err;

	err = cg_id(name, &id);
	if (err)
		return err;
	snprintf(key, size, "%llu", (unsigned long long)id);
	return 0;
}

/* Whether the cgroup with id @key has a row now. */
static int cgroup_listed(const char *key, bool *listed)
{
	struct mp_table t;
	int col, err;

	err = mp_table_read(MEMPRESSURE_PROC_PATH, MEMPRESSURE_FILE_CGROUPS, &t);
	if (err)
		return err;
	col = mp_table_column(&t, "id");
	*listed = col >= 0 && mp_table_find(&t, (size_t)col, key) >= 0;
	mp_table_free(&t);
	return col < 0 ? -EINVAL : 0;
}

/* Children: an idle process reporting to the parent through a pipe. */
struct child_arg {
	size_t touch;		/* anonymous bytes to make resident first */
	int ready_fd;		/* -1: do not report */
};

static void touch_anon(size_t len)
{
	char *p;
	size_t off;

	if (!len)
		return;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(1);
	/* Page by page: no huge page charges the cgroup 2 MiB at once. */
	madvise(p, len, MADV_NOHUGEPAGE);
	for (off = 0; off < len; off += (size_t)page_size)
		p[off] = 1;
}

/* Touch, report, then sleep until killed. */
static int idle_child(void *varg)
{
	const struct child_arg *arg = varg;

	touch_anon(arg->touch);
	if (arg->ready_fd >= 0 && write(arg->ready_fd, "r", 1) != 1)
		return 1;
	for (;;)
		pause();
}

/* Touch and return: the child exits 0 if it survives what it touched. */
static int hog_child(void *varg)
{
	const struct child_arg *arg = varg;

	touch_anon(arg->touch);
	return 0;
}

/*
 * Limits equal the cgroup's files exactly; usage equals memory.current
 * within 64 KiB; a cgroup with no limits shows "max" and 0.
 */
TEST_F(cgroups, idle_cgroup_values)
{
	static const struct {
		const char *file, *value, *column;
	} limits[] = {
		{ "memory.min", "1048576", "min_bytes" },
		{ "memory.low", "2097152", "low_bytes" },
		{ "memory.high", "67108864", "high_bytes" },
		{ "memory.max", "134217728", "max_bytes" },
		{ "memory.swap.max", "0", "swap_max_bytes" },
	};
	char name[64], other[64], key[32], okey[32], path[80];
	struct child_arg arg = { .touch = 4 * MiB };
	uint64_t current = 0, v, file;
	int pipefd[2], attempt;
	bool has_swap;
	const char *cell;
	struct mp_table t;
	size_t i;

	ASSERT_EQ(0, make_cgroup(self, NULL, true, name, sizeof(name)));
	ASSERT_EQ(0, make_cgroup(self, NULL, true, other, sizeof(other)));
	has_swap = cg_read_u64(name, "memory.swap.max", &v) == 0;
	for (i = 0; i < ARRAY_SIZE(limits); i++) {
		if (!has_swap && strstr(limits[i].file, "swap"))
			continue;
		ASSERT_EQ(0, cg_write(name, limits[i].file, limits[i].value));
	}

	/* Something to count, so that usage is not 0 == 0. */
	ASSERT_EQ(0, pipe2(pipefd, O_CLOEXEC));
	arg.ready_fd = pipefd[1];
	ASSERT_LT(0, run_in(self, name, idle_child, &arg));
	close(pipefd[1]);
	ASSERT_EQ(0, mp_pipe_wait(pipefd[0], 1, MP_WAIT_MS));
	close(pipefd[0]);

	ASSERT_EQ(0, id_key(name, key, sizeof(key)));
	ASSERT_EQ(0, id_key(other, okey, sizeof(okey)));

	/*
	 * Compare usage with a sample taken between two equal readings of
	 * memory.current: a per-CPU charge cache drained at the wrong moment
	 * moves usage by up to 252 KiB between the two readers.
	 */
	for (attempt = 0; attempt < 5; attempt++) {
		uint64_t before, after;

		ASSERT_EQ(0, cg_read_u64(name, "memory.current", &before));
		ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));
		ASSERT_EQ(0, mp_table_read(MEMPRESSURE_PROC_PATH, MEMPRESSURE_FILE_CGROUPS, &t));
		ASSERT_EQ(0, cg_read_u64(name, "memory.current", &after));
		if (before == after) {
			current = after;
			break;
		}
		mp_table_free(&t);
	}
	ASSERT_GT(5, attempt) {
		TH_LOG("memory.current never held still");
	}

	ASSERT_EQ(0, mp_row_str(&t, "id", key, "cgroup", path, sizeof(path)));
	EXPECT_EQ(0, strcmp(path + 1, name) || path[0] != '/') {
		TH_LOG("path '%s' for cgroup /%s", path, name);
	}

	for (i = 0; i < ARRAY_SIZE(limits); i++) {
		if (!has_swap && strstr(limits[i].file, "swap"))
			continue;
		/* "max" reads as UINT64_MAX on both sides. */
		ASSERT_EQ(0, cg_read_u64(name, limits[i].file, &file));
		ASSERT_EQ(0, mp_row_u64(&t, "id", key, limits[i].column, &v));
		EXPECT_EQ(file, v) {
			TH_LOG("%s %llu, %s %llu", limits[i].column,
			       (unsigned long long)v, limits[i].file,
			       (unsigned long long)file);
		}
		/* The values written, not defaults that happen to agree. */
		EXPECT_EQ(strtoull(limits[i].value, NULL, 10), v);
	}

	ASSERT_EQ(0, mp_row_u64(&t, "id", key, "current_bytes", &v));
	EXPECT_TRUE(values_close(v, current, 0, 64 * KiB)) {
		TH_LOG("current_bytes %llu, memory.current %llu",
		       (unsigned long long)v, (unsigned long long)current);
	}
	EXPECT_LE(4 * MiB, v);
	TH_LOG("current_bytes %llu, memory.current %llu",
	       (unsigned long long)v, (unsigned long long)current);

	/* The cgroup with nothing set: unlimited and unprotected. */
	ASSERT_EQ(0, mp_row_raw(&t, "id", okey, "high_bytes", &cell));
	EXPECT_STREQ(MEMPRESSURE_UNLIMITED, cell);
	ASSERT_EQ(0, mp_row_raw(&t, "id", okey, "max_bytes", &cell));
	EXPECT_STREQ(MEMPRESSURE_UNLIMITED, cell);
	ASSERT_EQ(0, mp_row_raw(&t, "id", okey, "min_bytes", &cell));
	EXPECT_STREQ("0", cell);
	ASSERT_EQ(0, mp_row_raw(&t, "id", okey, "low_bytes", &cell));
	EXPECT_STREQ("0", cell);
	if (has_swap) {
		ASSERT_EQ(0, mp_row_raw(&t, "id", okey, "swap_max_bytes",
					&cell));
		EXPECT_STREQ(MEMPRESSURE_UNLIMITED, cell);
	}
	mp_table_free(&t);
}

/*
 * A child throttled at memory.high and OOM-killed at memory.max: the event
 * columns equal memory.events afterwards, and the events did happen.
 */
TEST_F_TIMEOUT(cgroups, events_after_high_and_oom_kill, 200)
{
	static const struct {
		const char *key, *column;
	} events[] = {
		{ "low", "events_low" },
		{ "high", "events_high" },
		{ "max", "events_max" },
		{ "oom", "events_oom" },
		{ "oom_kill", "events_oom_kill" },
	};
	struct child_arg arg = { .touch = 64 * MiB, .ready_fd = -1 };
	uint64_t start, file[ARRAY_SIZE(events)], v;
	char name[64], key[32];
	struct mp_table t;
	int status, err;
	size_t i;
	pid_t pid;

	ASSERT_EQ(0, make_cgroup(self, NULL, true, name, sizeof(name)));
	ASSERT_EQ(0, cg_write(name, "memory.high", "28M"));
	ASSERT_EQ(0, cg_write(name, "memory.max", "32M"));
	if (cg_read_u64(name, "memory.swap.max", &v) == 0) {
		ASSERT_EQ(0, cg_write(name, "memory.swap.max", "0"));
	}
	ASSERT_EQ(0, id_key(name, key, sizeof(key)));

	start = mp_now_ms();
	pid = run_in(self, name, hog_child, &arg);
	ASSERT_LT(0, pid);
	err = mp_wait_child(pid, &status, OOM_WAIT_MS);
	ASSERT_EQ(0, err) {
		TH_LOG("the child was not killed within %d s",
		       OOM_WAIT_MS / 1000);
	}
	forget_child(self, pid);
	TH_LOG("child ended after %llu ms", (unsigned long long)(mp_now_ms() - start));
	ASSERT_TRUE(WIFSIGNALED(status)) {
		TH_LOG("the child exited with %d instead of being killed",
		       WEXITSTATUS(status));
	}
	EXPECT_EQ(SIGKILL, WTERMSIG(status));

	ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));
	ASSERT_EQ(0, mp_table_read(MEMPRESSURE_PROC_PATH, MEMPRESSURE_FILE_CGROUPS, &t));
	for (i = 0; i < ARRAY_SIZE(events); i++) {
		ASSERT_EQ(0, cg_read_key_u64(name, "memory.events",
					     events[i].key, &file[i]));
		ASSERT_EQ(0, mp_row_u64(&t, "id", key, events[i].column, &v));
		EXPECT_EQ(file[i], v) {
			TH_LOG("%s %llu, memory.events %s %llu",
			       events[i].column, (unsigned long long)v,
			       events[i].key, (unsigned long long)file[i]);
		}
	}
	mp_table_free(&t);
	TH_LOG("memory.events: low %llu high %llu max %llu oom %llu oom_kill %llu",
	       (unsigned long long)file[0], (unsigned long long)file[1],
	       (unsigned long long)file[2], (unsigned long long)file[3],
	       (unsigned long long)file[4]);
	/* It was throttled, and it was killed: the comparison is not 0 == 0. */
	EXPECT_LE(1, file[1]);
	EXPECT_LE(1, file[4]);
}

/*
 * The first row is the system: "/", id 1, RAM in use against RAM, no
 * cgroup files behind it ("-"), system-wide psi and every process.
 */
TEST_F(cgroups, system_row)
{
	static const char *const na[] = {
		"min_bytes", "low_bytes", "high_bytes", "swap_current_bytes",
		"swap_max_bytes", "events_low", "events_high", "events_max",
		"events_oom", "events_oom_kill",
	};
	uint64_t total_kb, avail_kb, v, used, psi_file, processes;
	int path_col, id_col, psi_col, proc_col;
	struct mp_table t, pt;
	const char *cell;
	size_t i;

	ASSERT_EQ(0, mp_wait_more_samples(1, MP_WAIT_MS));
	ASSERT_EQ(0, mp_table_read(MEMPRESSURE_PROC_PATH, MEMPRESSURE_FILE_CGROUPS, &t));
	ASSERT_EQ(0, meminfo_kb("MemTotal", &total_kb));
	ASSERT_EQ(0, meminfo_kb("MemAvailable", &avail_kb));
	ASSERT_EQ(0, mp_table_read(MEMPRESSURE_PROC_PATH, MEMPRESSURE_FILE_PROCESSES, &pt));

	ASSERT_LE(1, t.nr_rows);
	path_col = mp_table_column(&t, "cgroup");
	id_col = mp_table_column(&t, "id");
	ASSERT_LE(0, path_col);
	ASSERT_LE(0, id_col);
	EXPECT_STREQ("/", mp_table_cell(&t, 0, path_col));
	EXPECT_STREQ("1", mp_table_cell(&t, 0, id_col));

	ASSERT_EQ(0, mp_row_u64(&t, "id", "1", "max_bytes", &v));
	EXPECT_EQ(total_kb * KiB, v);

	used = (total_kb - avail_kb) * KiB;
	ASSERT_EQ(0, mp_row_u64(&t, "id", "1", "current_bytes", &v));
	EXPECT_TRUE(values_close(v, used, 5, 8 * MiB)) {
		TH_LOG("current_bytes %llu, MemTotal - MemAvailable %llu",
		       (unsigned long long)v, (unsigned long long)used);
	}

	for (i = 0; i < ARRAY_SIZE(na); i++) {
		ASSERT_EQ(0, mp_row_raw(&t, "id", "1", na[i], &cell));
		EXPECT_STREQ(MEMPRESSURE_NA, cell) {
			TH_LOG("system row: %s", na[i]);
		}
	}

	/* System-wide psi where the kernel has it on, else "-". */
	psi_col = mp_table_column(&t, "psi_some_total_usec");
	ASSERT_LE(0, psi_col);
	cell = mp_table_cell(&t, 0, psi_col);
	if (access(PSI_PATH, R_OK) == 0) {
		ASSERT_EQ(0, mp_parse_u64(cell, &v)) {
			TH_LOG("psi_some_total_usec is '%s'", cell);
		}
		ASSERT_EQ(0, psi_read_total(PSI_PATH, "some", &psi_file));
		EXPECT_GE(psi_file + 1, v);
		TH_LOG("psi_some_total_usec %llu, %s some total %llu",
		       (unsigned long long)v, PSI_PATH,
		       (unsigned long long)psi_file);
	} else {
		EXPECT_STREQ(MEMPRESSURE_NA, cell);
	}

	/* Every process is under the root; allow for processes coming and going. */
	proc_col = mp_table_column(&t, "processes");
	ASSERT_LE(0, proc_col);
	ASSERT_EQ(0, mp_parse_u64(mp_table_cell(&t, 0, proc_col), &processes));
	EXPECT_TRUE(values_close(processes, pt.nr_rows, 0, 5)) {
		TH_LOG("system row: %llu processes, processes table: %zu rows",
		       (unsigned long long)processes, pt.nr_rows);
	}
	mp_table_free(&pt);
	mp_table_free(&t);
}

/*
 * A cgroup counts the processes in its descendants too.  cgroup v2 allows
 * processes only in leaves here (the parent enables the memory controller
 * for its children), so the parent's own share is a second child cgroup.
 */
TEST_F(cgroups, hierarchical_process_count)
{
	char parent[64], c[64], d[64], pkey[32], ckey[32], dkey[32];
	struct child_arg arg = { .touch = 0 };
	uint64_t np, nc, nd;
	struct mp_table t;
	int pipefd[2], i;

	ASSERT_EQ(0, make_cgroup(self, NULL, false, parent, sizeof(parent)));
	ASSERT_EQ(0, make_cgroup(self, parent, true, c, sizeof(c)));
	ASSERT_EQ(0, make_cgroup(self, parent, true, d, sizeof(d)));

	ASSERT_EQ(0, pipe2(pipefd, O_CLOEXEC));
	arg.ready_fd = pipefd[1];
	for (i = 0; i < 3; i++) {
		ASSERT_LT(0, run_in(self, i < 2 ? c : d, idle_child, &arg));
	}
	close(pipefd[1]);
	ASSERT_EQ(0, mp_pipe_wait(pipefd[0], 3, MP_WAIT_MS));
	close(pipefd[0]);

	ASSERT_EQ(0, id_key(parent, pkey, sizeof(pkey)));
	ASSERT_EQ(0, id_key(c, ckey, sizeof(ckey)));
	ASSERT_EQ(0, id_key(d, dkey, sizeof(dkey)));
	ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));
	ASSERT_EQ(0, mp_table_read(MEMPRESSURE_PROC_PATH, MEMPRESSURE_FILE_CGROUPS, &t));
	ASSERT_EQ(0, mp_row_u64(&t, "id", pkey, "processes", &np));
	ASSERT_EQ(0, mp_row_u64(&t, "id", ckey, "processes", &nc));
	ASSERT_EQ(0, mp_row_u64(&t, "id", dkey, "processes", &nd));
	mp_table_free(&t);
	EXPECT_EQ(3, np);
	EXPECT_EQ(2, nc);
	EXPECT_EQ(1, nd);
}

/* A removed cgroup leaves the table within two samples. */
TEST_F(cgroups, removed_cgroup_vanishes)
{
	uint64_t deadline;
	char name[64], key[32];
	bool listed = false;

	ASSERT_EQ(0, make_cgroup(self, NULL, true, name, sizeof(name)));
	ASSERT_EQ(0, id_key(name, key, sizeof(key)));

	deadline = mp_now_ms() + MP_WAIT_MS;
	while (!listed && mp_now_ms() < deadline) {
		ASSERT_EQ(0, mp_wait_more_samples(1, MP_WAIT_MS));
		ASSERT_EQ(0, cgroup_listed(key, &listed));
	}
	ASSERT_TRUE(listed);

	ASSERT_EQ(0, cg_destroy(name));
	self->nr_cgroups--;
	ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));
	ASSERT_EQ(0, cgroup_listed(key, &listed));
	EXPECT_FALSE(listed);
}

/* "N.NN" with N from 0 to 100, as psi prints an average. */
static int parse_percent(const char *cell, double *pct)
{
	unsigned int whole, frac;
	size_t len = strlen(cell);
	char end;

	if (len < 4 || cell[len - 3] != '.' ||
	    sscanf(cell, "%u.%2u%c", &whole, &frac, &end) != 2)
		return -EINVAL;
	*pct = whole + frac / 100.0;
	return 0;
}

/*
 * A child throttled at memory.high stalls: the row's psi columns show it,
 * and never more than memory.pressure does.
 */
TEST_F_TIMEOUT(cgroups, psi_columns, 120)
{
	struct child_arg arg = { .touch = 64 * MiB, .ready_fd = -1 };
	uint64_t deadline, high = 0, total = 0, file_total;
	char name[64], key[32], pressure[128];
	const char *cell;
	struct mp_table t;
	double avg10 = -1;
	int samples = 0;
	pid_t pid;

	ASSERT_EQ(0, make_cgroup(self, NULL, true, name, sizeof(name)));
	snprintf(pressure, sizeof(pressure), "%s/%s/memory.pressure",
		 MP_CGROUP_ROOT, name);
	if (access(pressure, F_OK))
		SKIP(return, "no memory.pressure: psi is off");
	ASSERT_EQ(0, cg_write(name, "memory.high", "8M"));
	if (cg_read_u64(name, "memory.swap.max", &total) == 0) {
		ASSERT_EQ(0, cg_write(name, "memory.swap.max", "0"));
	}
	ASSERT_EQ(0, id_key(name, key, sizeof(key)));

	pid = run_in(self, name, hog_child, &arg);
	ASSERT_LT(0, pid);
	/* Throttled from the first memory.high event; then 3 s of it. */
	deadline = mp_now_ms() + MP_WAIT_MS;
	while (!high && mp_now_ms() < deadline) {
		usleep(10000);
		ASSERT_EQ(0, cg_read_key_u64(name, "memory.events", "high",
					     &high));
	}
	ASSERT_LT(0, high);
	usleep(3 * 1000 * 1000);
	mp_kill_child(pid);
	forget_child(self, pid);

	/*
	 * psi folds stall time into its totals every 2 s, so the sample two
	 * after the kill may predate the last fold: poll sample by sample.
	 */
	deadline = mp_now_ms() + MP_WAIT_MS;
	total = 0;
	while (!total && mp_now_ms() < deadline) {
		ASSERT_EQ(0, mp_wait_more_samples(samples ? 1 : 2, MP_WAIT_MS));
		samples += samples ? 1 : 2;
		ASSERT_EQ(0, mp_table_read(MEMPRESSURE_PROC_PATH, MEMPRESSURE_FILE_CGROUPS, &t));
		ASSERT_EQ(0, mp_row_u64(&t, "id", key, "psi_some_total_usec",
					&total));
		ASSERT_EQ(0, mp_row_raw(&t, "id", key, "psi_some_avg10",
					&cell));
		ASSERT_EQ(0, parse_percent(cell, &avg10)) {
			TH_LOG("psi_some_avg10 is '%s'", cell);
		}
		mp_table_free(&t);
	}
	ASSERT_EQ(0, cg_read_key_u64(name, "memory.events", "high", &high));
	ASSERT_EQ(0, psi_read_total(pressure, "some", &file_total));
	TH_LOG("after %d samples: psi_some_total_usec %llu (memory.pressure %llu), psi_some_avg10 %.2f, %llu high events",
	       samples, (unsigned long long)total,
	       (unsigned long long)file_total, avg10,
	       (unsigned long long)high);
	EXPECT_LT(0, total);
	EXPECT_GE(file_total + 1, total);
	EXPECT_LE(0.0, avg10);
	EXPECT_GE(100.0, avg10);
}

/*
 * Short-lived cgroups (the commonest memory incident in Kubernetes: a
 * container OOM-killed as it starts).  Right after a sample (the one taken
 * at load), SL_CHILDREN cgroups, memory.max SL_MAX each, are made, each
 * runs a process growing to SL_HOG, and the OOM killer ends it at once;
 * the sampling interval is long enough for all of that to happen before
 * the next sample, even on the debug kernel under emulation, and is made
 * short again after it.  Half the
 * cgroups are removed as soon as their process is reaped: no sample ever
 * holds them.  Half live until a sample has seen them, after their OOM,
 * then go.  Each one's max, oom and oom_kill must be reported under its
 * own path, adding up to what its memory.events said before it went:
 * every increment since its creation, whether the module first hears of it
 * on the fast path or at a sample, and whether a sample holds it or not.
 */
#define SL_CHILDREN	8
#define SL_MAX		(8 * MiB)
#define SL_HOG		(32 * MiB)
#define SL_INTERVAL_MS	30000

struct sl_counts {
	uint64_t file[3];	/* memory.events max, oom, oom_kill */
	uint64_t sum[3], last[3];
	unsigned int records[3];
};

TEST_F_TIMEOUT(cgroups, short_lived_cgroups_are_reported, 300)
{
	static const char *const keys[3] = { "max", "oom", "oom_kill" };
	static const int kinds[3] = {
		MEMPRESSURE_EVENT_MAX, MEMPRESSURE_EVENT_OOM,
		MEMPRESSURE_EVENT_OOM_KILL,
	};
	struct child_arg arg = { .touch = SL_HOG, .ready_fd = -1 };
	struct sl_counts c[SL_CHILDREN] = { 0 };
	char parent[64], names[SL_CHILDREN][64], paths[SL_CHILDREN][128];
	struct mp_events *r = malloc(sizeof(*r));
	uint64_t v, t0, samples0, samples1;
	pid_t pids[SL_CHILDREN];
	char value[32];
	struct mp_event ev;
	int i, j, status, err;

	ASSERT_NE(NULL, r);
	ASSERT_EQ(0, make_cgroup(self, NULL, false, parent, sizeof(parent)));
	snprintf(value, sizeof(value), "interval_ms=%d", SL_INTERVAL_MS);
	ASSERT_EQ(0, mp_load(value));
	ASSERT_EQ(0, mp_events_open(r, 0));

	/* Born after a sample, OOM-killed before the next. */
	ASSERT_EQ(0, mp_status_u64(MP_STATUS(SAMPLES), &samples0));
	t0 = mp_now_ms();
	for (i = 0; i < SL_CHILDREN; i++) {
		ASSERT_EQ(0, make_cgroup(self, parent, true, names[i], sizeof(names[i])));
		mp_cg_path(names[i], paths[i], sizeof(paths[i]));
		snprintf(value, sizeof(value), "%llu", (unsigned long long)SL_MAX);
		ASSERT_EQ(0, cg_write(names[i], "memory.max", value));
		if (cg_read_u64(names[i], "memory.swap.max", &v) == 0)
			ASSERT_EQ(0, cg_write(names[i], "memory.swap.max", "0"));
	}
	for (i = 0; i < SL_CHILDREN; i++) {
		pids[i] = run_in(self, names[i], hog_child, &arg);
		ASSERT_LT(0, pids[i]);
	}
	for (i = 0; i < SL_CHILDREN; i++) {
		err = mp_wait_child(pids[i], &status, OOM_WAIT_MS);
		ASSERT_EQ(0, err) TH_LOG("child %d was not killed", i);
		forget_child(self, pids[i]);
		EXPECT_TRUE(WIFSIGNALED(status));
		for (j = 0; j < 3; j++)
			ASSERT_EQ(0, cg_read_key_u64(names[i], "memory.events",
						     keys[j], &c[i].file[j]));
		if (i < SL_CHILDREN / 2)
			ASSERT_EQ(0, cg_destroy(names[i]));
	}
	ASSERT_EQ(0, mp_status_u64(MP_STATUS(SAMPLES), &samples1));
	TH_LOG("%d children killed, half removed, %llu ms after their birth, %llu samples later",
	       SL_CHILDREN, (unsigned long long)(mp_now_ms() - t0),
	       (unsigned long long)(samples1 - samples0));
	/* Else some were sampled before their OOM: a weaker test. */
	EXPECT_EQ(samples0, samples1);

	/*
	 * The others once a sample has seen them, after their OOM; the
	 * samples after that one come at the usual interval.
	 */
	ASSERT_EQ(0, mp_control_set(MEMPRESSURE_TUNABLE_INTERVAL_MS,
				    MP_TEST_INTERVAL_MS));
	ASSERT_EQ(0, mp_wait_more_samples(1, 2 * SL_INTERVAL_MS));
	for (i = SL_CHILDREN / 2; i < SL_CHILDREN; i++)
		ASSERT_EQ(0, cg_destroy(names[i]));
	ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));

	while ((err = mp_events_next(r, &ev, 0)) == 0 || err == -EINVAL) {
		if (err)
			continue;
		for (i = 0; i < SL_CHILDREN; i++) {
			if (strcmp(ev.cgroup, paths[i]))
				continue;
			for (j = 0; j < 3; j++) {
				if (ev.kind != kinds[j])
					continue;
				c[i].records[j]++;
				c[i].sum[j] += ev.delta;
				c[i].last[j] = ev.count;
			}
		}
	}
	for (i = 0; i < SL_CHILDREN; i++) {
		TH_LOG("%s (%s): max %llu in %u records (deltas %llu), oom %llu in %u, oom_kill %llu in %u",
		       paths[i], i < SL_CHILDREN / 2 ? "never sampled" : "sampled once",
		       (unsigned long long)c[i].file[0], c[i].records[0],
		       (unsigned long long)c[i].sum[0],
		       (unsigned long long)c[i].file[1], c[i].records[1],
		       (unsigned long long)c[i].file[2], c[i].records[2]);
		EXPECT_LE(1, c[i].file[0]);
		EXPECT_EQ(1, c[i].file[2]);
		for (j = 0; j < 3; j++) {
			EXPECT_EQ(c[i].file[j], c[i].sum[j]) {
				TH_LOG("%s %s: memory.events %llu, deltas %llu",
				       paths[i], keys[j],
				       (unsigned long long)c[i].file[j],
				       (unsigned long long)c[i].sum[j]);
			}
			EXPECT_EQ(c[i].file[j], c[i].last[j]);
		}
	}
	mp_events_close(r);
	free(r);
}

/*
 * A cgroup whose path is longer than PATH_MAX, which the kernel allows
 * (each name up to NAME_MAX, any depth), cannot be printed whole: the
 * module must say "-" for its path, never a path cut short, which would
 * name another cgroup or none.  Made with mkdirat() one level at a time,
 * DEEP_LEVELS names of DEEP_NAME bytes; an idle process in the deepest
 * gives it a row in the processes table, and being new, a limit event.
 */
#define DEEP_LEVELS	17
#define DEEP_NAME	250

static int deep_remove(int *fds, int n, const char *name)
{
	int i, err = 0;

	for (i = n - 1; i >= 0; i--) {
		if (i > 0 && unlinkat(fds[i - 1], name, AT_REMOVEDIR) && !err)
			err = -errno;
		close(fds[i]);
	}
	return err;
}

TEST_F_TIMEOUT(cgroups, path_longer_than_path_max, 120)
{
	struct child_arg arg = { .touch = 0, .ready_fd = -1 };
	int fds[DEEP_LEVELS + 1], n = 0, fd, err;
	char name[DEEP_NAME + 1], id[32], pidbuf[16], cell[8192];
	int unnamed = 0;
	struct mp_events *r = malloc(sizeof(*r));
	struct mp_table t;
	const char *raw;
	struct mp_event ev;
	struct stat st;
	pid_t pid;

	ASSERT_NE(NULL, r);
	ASSERT_EQ(0, mp_events_open(r, 0));
	memset(name, 'd', DEEP_NAME);
	name[DEEP_NAME] = '\0';
	fds[n++] = open(MP_CGROUP_ROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, fds[0]);
	for (; n <= DEEP_LEVELS; n++) {
		err = mkdirat(fds[n - 1], name, 0755) ? -errno : 0;
		if (!err) {
			fds[n] = openat(fds[n - 1], name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			err = fds[n] < 0 ? -errno : 0;
		}
		if (!err && n < DEEP_LEVELS) {
			fd = openat(fds[n], "cgroup.subtree_control", O_WRONLY | O_CLOEXEC);
			err = fd < 0 || write(fd, "+memory", 7) != 7 ? -errno : 0;
			if (fd >= 0)
				close(fd);
		}
		if (err) {
			deep_remove(fds, n, name);
			ASSERT_EQ(0, err) TH_LOG("level %d: %s", n, strerror(-err));
		}
	}
	ASSERT_EQ(0, fstat(fds[DEEP_LEVELS], &st));
	snprintf(id, sizeof(id), "%llu", (unsigned long long)st.st_ino);

	pid = run_in(self, NULL, idle_child, &arg);
	ASSERT_LT(0, pid);
	snprintf(pidbuf, sizeof(pidbuf), "%d", pid);
	fd = openat(fds[DEEP_LEVELS], "cgroup.procs", O_WRONLY | O_CLOEXEC);
	err = fd < 0 || write(fd, pidbuf, strlen(pidbuf)) < 0 ? -errno : 0;
	if (fd >= 0)
		close(fd);
	if (!err)
		err = mp_wait_more_samples(2, MP_WAIT_MS);
	if (err) {
		mp_kill_child(pid);
		forget_child(self, pid);
		deep_remove(fds, n, name);
		ASSERT_EQ(0, err);
	}

	/* Both tables: "-" for the path, as for a cgroup not in the sample. */
	ASSERT_EQ(0, mp_table_read(MEMPRESSURE_PROC_PATH, MEMPRESSURE_FILE_CGROUPS, &t));
	EXPECT_EQ(0, mp_row_raw(&t, "id", id, MP_CGCOL(PATH), &raw));
	EXPECT_STREQ(MEMPRESSURE_NA, raw);
	mp_table_free(&t);
	err = mp_proc_cell(pid, MP_PCOL(CGROUP), cell, sizeof(cell));
	EXPECT_EQ(-ENODATA, err) TH_LOG("the process's cgroup: %.100s... (%zu bytes)",
					 cell, strlen(cell));
	/*
	 * Events: the new cgroups' limit events, the deepest one's with "-"
	 * for its path; none with a path longer than the one above it.
	 */
	while (mp_events_next(r, &ev, 0) == 0) {
		if (ev.kind != MEMPRESSURE_EVENT_LIMIT)
			continue;
		unnamed += !strcmp(ev.cgroup, MEMPRESSURE_NA);
		EXPECT_GE((DEEP_LEVELS - 1) * (DEEP_NAME + 1), strlen(ev.cgroup))
			TH_LOG("a limit event for a %zu-byte path", strlen(ev.cgroup));
	}
	EXPECT_EQ(1, unnamed);

	mp_kill_child(pid);
	forget_child(self, pid);
	EXPECT_EQ(0, deep_remove(fds, n, name));
	mp_events_close(r);
	free(r);
}

TEST_HARNESS_MAIN
