// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation and user-copy failures in the module's paths are survived
 * (Documentation/fault-injection/): the failing call returns an error,
 * nothing is left half made, nothing leaks (the guest's kmemleak scan
 * after the last test), and the module works on once the failures stop.
 *
 * The kernel must have fault injection (scripts/debug-kernel.config,
 * built by scripts/build-debug-kernel); elsewhere every test is skipped.
 *
 * Fault points are kmalloc(), page allocations and copy_{to,from}_user().
 * Two ways to fail them:
 *
 *   - fail-nth (/proc/thread-self/fail-nth), for the paths that run in
 *     the test's own task (load, open, read, write): the Nth fault point
 *     of the next calls fails.  Sweeping N = 1, 2, ... until the Nth is
 *     never reached fails each point of a path once, in turn.  For a
 *     load, only points with module code on the stack count (the fault
 *     attributes' stack trace filter, set to the module area), or every
 *     allocation of load_module() would be swept too; for the short
 *     syscalls on the module's files, every point counts, since a tail
 *     call (return single_open(...)) leaves no module frame on the stack
 *     of the allocations the module asked for.
 *   - at random, for the sampler, which runs in a kworker: a share of the
 *     allocations made with module code on the stack fail while
 *     processes and cgroups come and go, so that its tables must grow.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mp_util.h"

#define DEBUGFS		"/sys/kernel/debug"
#define FAIL_NTH	"/proc/thread-self/fail-nth"

/*
 * x86-64 maps modules between the end of the kernel image and
 * MODULES_END (arch/x86/include/asm/pgtable_64_types.h, the same with
 * 4- and 5-level page tables).  With only this module loaded, a stack
 * entry there is this module's code.
 */
#define MODULES_END	0xffffffffff000000ULL

/* More fault points than this on one path is a test gone wrong. */
#define MAX_POINTS	500

/* The sampler phase: share of the module's allocations that fail. */
#define RANDOM_PCT	30
#define RANDOM_TIMES	100000
#define GROW_PROCS	300
#define GROW_CGROUPS	20

#define CG		"mp_faults"
#define CG_EV		"mp_faults_ev"

#define STATUS_PATH	MEMPRESSURE_PROC_PATH "/" MEMPRESSURE_FILE_STATUS
#define PROCESSES_PATH	MEMPRESSURE_PROC_PATH "/" MEMPRESSURE_FILE_PROCESSES
#define CGROUPS_PATH	MEMPRESSURE_PROC_PATH "/" MEMPRESSURE_FILE_CGROUPS

/* Errors a failed allocation or user copy may surface as. */
static bool fault_errno(int err)
{
	return err == ENOMEM || err == EFAULT;
}

static int put(const char *dir, const char *file, const char *value)
{
	char path[256];
	int fd, r;

	snprintf(path, sizeof(path), DEBUGFS "/%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = write(fd, value, strlen(value)) < 0 ? -errno : 0;
	close(fd);
	return r;
}

static int get_u64(const char *path, uint64_t *v)
{
	size_t len;
	char *text;
	int err = mp_read_file(path, &text, &len);

	if (err)
		return err;
	*v = strtoull(text, NULL, 0);
	free(text);
	return 0;
}

/* The end of the kernel image, from /proc/kallsyms: where modules begin. */
static int kernel_end(uint64_t *end)
{
	char line[256], name[128], type;
	unsigned long long addr;
	FILE *f = fopen("/proc/kallsyms", "re");
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %127s", &addr, &type, name) == 3 &&
		    !strcmp(name, "_end")) {
			*end = addr;
			err = addr ? 0 : -EPERM;	/* kptr_restrict hides it */
			break;
		}
	}
	fclose(f);
	return err;
}

/* The fault attributes this kernel has: every debugfs fail* directory. */
struct attrs {
	char name[8][32];
	int nr;
};

static bool has_attr(const struct attrs *a, const char *name)
{
	for (int i = 0; i < a->nr; i++)
		if (!strcmp(a->name[i], name))
			return true;
	return false;
}

/*
 * Every attribute: never at random, no messages, and only with module
 * code on the stack.  Without the filter on one of them, fail-nth would
 * count (and fail) its points anywhere in the kernel.
 */
static int attrs_setup(struct attrs *a)
{
	char path[300];
	struct dirent *de;
	DIR *d;
	int err = 0;

	d = opendir(DEBUGFS);
	if (!d)
		return -errno;
	a->nr = 0;
	while ((de = readdir(d)) && a->nr < 8) {
		if (strncmp(de->d_name, "fail", 4) || strlen(de->d_name) >= sizeof(a->name[0]))
			continue;
		snprintf(path, sizeof(path), DEBUGFS "/%s/require-start", de->d_name);
		if (access(path, W_OK))
			continue;
		strcpy(a->name[a->nr++], de->d_name);
	}
	closedir(d);
	for (int i = 0; i < a->nr && !err; i++) {
		const char *n = a->name[i];

		err = put(n, "probability", "0") ?: put(n, "interval", "1") ?:
		      put(n, "times", "-1") ?: put(n, "space", "0") ?:
		      put(n, "verbose", "0") ?: put(n, "task-filter", "N") ?:
		      put(n, "stacktrace-depth", "32");
	}
	/* By default sleeping allocations (GFP_KERNEL) never fail. */
	if (!err && has_attr(a, "failslab"))
		err = put("failslab", "ignore-gfp-wait", "N") ?:
		      put("failslab", "cache-filter", "N");
	if (!err && has_attr(a, "fail_page_alloc"))
		err = put("fail_page_alloc", "ignore-gfp-wait", "N") ?:
		      put("fail_page_alloc", "ignore-gfp-highmem", "N") ?:
		      put("fail_page_alloc", "min-order", "0");
	return err;
}

/*
 * Count and fail only points with module code on the stack, or every
 * point.  The filter applies to every attribute: without it on one of
 * them, fail-nth would count that one's points anywhere in the kernel.
 */
static int attrs_filter(const struct attrs *a, bool module_only)
{
	char start[32] = "0", end[32] = "0xffffffffffffffff";
	uint64_t kend = 0;
	int err = 0;

	if (module_only) {
		err = kernel_end(&kend);
		if (err)
			return err;
		snprintf(start, sizeof(start), "%#" PRIx64, kend);
		snprintf(end, sizeof(end), "%#llx", MODULES_END);
	}
	for (int i = 0; i < a->nr && !err; i++)
		err = put(a->name[i], "require-start", start) ?:
		      put(a->name[i], "require-end", end);
	return err;
}

static void attrs_random(const struct attrs *a, int pct, long times)
{
	char p[16], t[24];

	snprintf(p, sizeof(p), "%d", pct);
	snprintf(t, sizeof(t), "%ld", times);
	for (int i = 0; i < a->nr; i++) {
		if (strcmp(a->name[i], "failslab") && strcmp(a->name[i], "fail_page_alloc"))
			continue;
		put(a->name[i], "times", t);
		put(a->name[i], "probability", p);
	}
}

/* Failures injected at random since attrs_random(..., @times). */
static uint64_t attrs_stop(const struct attrs *a, long times)
{
	char path[300];
	uint64_t left, n = 0;

	for (int i = 0; i < a->nr; i++) {
		put(a->name[i], "probability", "0");
		snprintf(path, sizeof(path), DEBUGFS "/%s/times", a->name[i]);
		if (times > 0 && !get_u64(path, &left) && left <= (uint64_t)times)
			n += times - left;
		put(a->name[i], "times", "-1");
	}
	return n;
}

/*
 * /proc/thread-self/fail-nth, opened once: opening it again while armed
 * would spend (and could fail) fault points of its own.
 */
static int nth_fd = -1;

static void fail_nth_arm(unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	if (pwrite(nth_fd, buf, len, 0) != len)
		ksft_print_msg("fail-nth: cannot write %u: %s\n", n, strerror(errno));
}

/*
 * Whether the armed failure happened, then disarm.  The read is a fault
 * point too: if it is the Nth, it fails (with EFAULT, the count at 0),
 * which means the calls before it made fewer than N points.  A read that
 * works says what was left before its own point: 0 if the failure came.
 */
static bool fail_nth_fired(void)
{
	char buf[16];
	ssize_t r = pread(nth_fd, buf, sizeof(buf) - 1, 0);
	bool fired = false;

	if (r > 0) {
		buf[r] = '\0';
		fired = strtoul(buf, NULL, 10) == 0;
	}
	if (pwrite(nth_fd, "0", 1, 0) != 1)
		ksft_print_msg("fail-nth: cannot disarm: %s\n", strerror(errno));
	return fired;
}

/* Read all of @fd; 0 at its end (or EAGAIN), else -errno. */
static int read_all(int fd, char *buf, size_t size, size_t *len)
{
	*len = 0;
	for (;;) {
		ssize_t n = read(fd, buf + *len, size - 1 - *len);

		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		if (n == 0 || *len + n >= size - 1)
			break;
		*len += n;
	}
	buf[*len] = '\0';
	return 0;
}

static char text[1 << 20], base[64 * 1024];

FIXTURE(faults) {
	struct attrs a;
	pid_t kids[GROW_PROCS + 1];
	int nr_kids;
	char cgs[GROW_CGROUPS][32];
	int nr_cgs;
};

FIXTURE_SETUP(faults)
{
	int err;

	memset(self, 0, sizeof(*self));
	if (access(FAIL_NTH, W_OK) || access(DEBUGFS "/failslab", F_OK))
		SKIP(return, "no fault injection in this kernel (scripts/build-debug-kernel builds one)");
	ASSERT_EQ(0, attrs_setup(&self->a));
	ASSERT_TRUE(has_attr(&self->a, "failslab"));
	err = attrs_filter(&self->a, true);
	if (err == -EPERM)
		SKIP(return, "kernel addresses hidden (kptr_restrict)");
	ASSERT_EQ(0, err);
	nth_fd = open(FAIL_NTH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, nth_fd);
}

FIXTURE_TEARDOWN(faults)
{
	if (nth_fd >= 0) {
		fail_nth_arm(0);
		close(nth_fd);
		nth_fd = -1;
	}
	attrs_stop(&self->a, 0);
	for (int i = 0; i < self->nr_kids; i++)
		mp_kill_child(self->kids[i]);
	for (int i = 0; i < self->nr_cgs; i++)
		cg_destroy(self->cgs[i]);
	cg_destroy(CG);
	cg_destroy(CG_EV);
	mp_unload();
}

/* Nothing of the module runs in mp_load() before finit_module(). */
static int load_with_fail_nth(unsigned int n, bool *fired)
{
	int err = mp_unload();

	*fired = false;
	if (err)
		return err;
	fail_nth_arm(n);
	err = mp_load("interval_ms=200");
	*fired = fail_nth_fired();
	return err;
}

/*
 * Every allocation of the module's init failed in turn: the load is
 * refused with ENOMEM and leaves no /proc/mempressure and no module, or
 * (where the failure is one the module can do without) the module loads
 * and samples.  Then a plain load works.
 */
TEST_F_TIMEOUT(faults, load, 600)
{
	int points = 0, refused = 0, loaded = 0;
	unsigned int n;
	bool fired;
	int err;

	for (n = 1; n <= MAX_POINTS; n++) {
		err = load_with_fail_nth(n, &fired);
		if (!fired) {
			ASSERT_EQ(0, err);
			break;
		}
		points++;
		if (err) {
			ASSERT_EQ(-ENOMEM, err) TH_LOG("fault point %u", n);
			ASSERT_FALSE(mp_loaded()) TH_LOG("fault point %u", n);
			ASSERT_NE(0, access(MEMPRESSURE_PROC_PATH, F_OK));
			refused++;
		} else {
			loaded++;
			ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS))
				TH_LOG("fault point %u", n);
		}
	}
	ASSERT_LE(n, MAX_POINTS);
	ASSERT_GT(points, 0);
	/*
	 * A load goes on where the failure is one the module does without
	 * (a first sample that lists fewer processes) or one that kmemleak
	 * and KASAN absorb in their own bookkeeping, which runs with the
	 * module's allocation on the stack.
	 */
	ksft_print_msg("load: %d fault points, each failed once: %d loads refused with ENOMEM and left nothing, %d loaded and sampled\n",
		       points, refused, loaded);
	ASSERT_EQ(0, mp_load("interval_ms=200"));
	ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));
}

/*
 * Opening and reading each file with each of its fault points failing:
 * open or read fails with ENOMEM or EFAULT, or the text read is whole.
 */
TEST_F_TIMEOUT(faults, open_and_read, 600)
{
	static const char *const files[] = {
		MEMPRESSURE_FILE_STATUS, MEMPRESSURE_FILE_PROCESSES,
		MEMPRESSURE_FILE_CGROUPS, MEMPRESSURE_FILE_EVENTS,
		MEMPRESSURE_FILE_CONTROL,
	};
	char path[128], msg[512] = "";
	size_t len;

	ASSERT_EQ(0, mp_load("interval_ms=200"));
	ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));
	ASSERT_EQ(0, attrs_filter(&self->a, false));
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		int points = 0, failed = 0;
		unsigned int n;

		snprintf(path, sizeof(path), MEMPRESSURE_PROC_PATH "/%s", files[f]);
		for (n = 1; n <= MAX_POINTS; n++) {
			int fd, err = 0;
			bool fired;

			fail_nth_arm(n);
			fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
			if (fd < 0)
				err = -errno;
			else
				err = read_all(fd, text, sizeof(text), &len);
			fired = fail_nth_fired();
			if (fd >= 0)
				close(fd);
			if (!fired) {
				ASSERT_EQ(0, err) TH_LOG("%s", path);
				break;
			}
			points++;
			if (err) {
				ASSERT_TRUE(fault_errno(-err))
					TH_LOG("%s, fault point %u: %s", path, n, strerror(-err));
				failed++;
				continue;
			}
			/* A read that succeeded has all of it. */
			if (f == 1 || f == 2) {
				struct mp_table t;

				ASSERT_EQ(0, mp_table_parse(text, len, &t)) TH_LOG("%s", text);
				ASSERT_GT(t.nr_rows, 0);
				mp_table_free(&t);
			} else if (f == 0) {
				uint64_t v;

				ASSERT_EQ(0, mp_kv_get_u64(text, len, "samples", &v)) TH_LOG("%s", text);
			} else if (f == 4) {
				ASSERT_NE(NULL, strstr(text, "set leak_min_bytes ")) TH_LOG("%s", text);
			}
		}
		ASSERT_LE(n, MAX_POINTS);
		ASSERT_GT(points, 0) TH_LOG("%s", path);
		snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), "%s%s %d/%d",
			 f ? ", " : "", files[f], failed, points);
	}
	ksft_print_msg("open and read: failed/fault points: %s\n", msg);
	ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));
}

/*
 * A control write with any of its fault points failing is refused whole
 * (docs/control.md: applied completely or not at all); one that succeeds
 * is applied whole.
 */
TEST_F_TIMEOUT(faults, control_write, 600)
{
	char batch[256], undo[256];
	int points = 0, refused = 0;
	unsigned int n;
	int err;

	ASSERT_EQ(0, mp_load("interval_ms=200"));
	ASSERT_EQ(0, cg_create_leaf(CG));
	snprintf(batch, sizeof(batch),
		 "set calm_ms 1234\nsoft /" CG " 50%%\nsoft-pid %d 10485760\n", getpid());
	snprintf(undo, sizeof(undo), "set calm_ms %" PRIu64 "\nsoft /" CG " default\nsoft-pid %d none\n",
		 mp_ctl_default(MEMPRESSURE_TUNABLE_CALM_MS), getpid());
	ASSERT_LT(0, mp_control_read(base, sizeof(base)));
	ASSERT_EQ(0, attrs_filter(&self->a, false));
	for (n = 1; n <= MAX_POINTS; n++) {
		bool fired;

		fail_nth_arm(n);
		err = mp_control_write(batch, strlen(batch));
		fired = fail_nth_fired();
		ASSERT_LT(0, mp_control_read(text, sizeof(text)));
		if (!fired) {
			ASSERT_EQ(0, err);
		} else {
			points++;
		}
		if (err) {
			ASSERT_TRUE(fault_errno(-err)) TH_LOG("fault point %u: %s", n, strerror(-err));
			ASSERT_STREQ(base, text) TH_LOG("fault point %u", n);
			refused++;
			continue;
		}
		ASSERT_NE(NULL, strstr(text, "set calm_ms 1234\n")) TH_LOG("%s", text);
		ASSERT_NE(NULL, strstr(text, "soft /" CG " 50%\n")) TH_LOG("%s", text);
		ASSERT_NE(NULL, strstr(text, "soft-pid ")) TH_LOG("%s", text);
		ASSERT_EQ(0, mp_control_write(undo, strlen(undo)));
		ASSERT_LT(0, mp_control_read(text, sizeof(text)));
		ASSERT_STREQ(base, text);
		if (!fired)
			break;
	}
	ASSERT_LE(n, MAX_POINTS);
	ASSERT_GT(refused, 0);
	ksft_print_msg("control: %d fault points, %d writes refused whole, %d applied whole\n",
		       points, refused, points - refused);
}

/* 8 MiB in its cgroup until killed; volatile, or the stores go unmade. */
static int hold_memory(void *arg)
{
	size_t len = 8 * MiB;
	volatile char *p = malloc(len);

	(void)arg;
	if (!p)
		return 1;
	for (size_t i = 0; i < len; i += 4096)
		p[i] = 1;
	pause();
	return 0;
}

/*
 * An events reader whose copies to user space fail loses nothing: the
 * line that failed comes again with the next read, and seq runs on with
 * no gap and no repeat.
 */
TEST_F_TIMEOUT(faults, events_read, 600)
{
	char cmd[128], *line;
	uint64_t first = 0, last = 0;
	int fd, copies_failed = 0, lines = 0;
	size_t len = 0;
	pid_t pid;

	ASSERT_EQ(0, mp_load("interval_ms=200"));
	ASSERT_EQ(0, cg_create_leaf(CG_EV));
	pid = cg_run_nowait(CG_EV, hold_memory, NULL);
	ASSERT_GT(pid, 0);
	self->kids[self->nr_kids++] = pid;
	fd = open(MP_EVENTS_PATH, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, fd);
	/* Over and under a soft limit of 1 MiB, and back: two events a round. */
	for (int i = 0; i < 8; i++) {
		snprintf(cmd, sizeof(cmd), "soft /" CG_EV " %s\n", i % 2 ? "default" : "1048576");
		ASSERT_EQ(0, mp_control_cmd(cmd));
		ASSERT_EQ(0, mp_wait_more_samples(3, MP_WAIT_MS));
	}
	ASSERT_EQ(0, attrs_filter(&self->a, false));
	/* Small reads (one or two lines each), some failing at a point. */
	for (unsigned int n = 1;; n = n % 3 + 1) {
		bool fired;
		ssize_t r;
		int err;

		ASSERT_LT(len + 512, sizeof(text));
		fail_nth_arm(n);
		r = read(fd, text + len, 512);
		err = r < 0 ? errno : 0;
		fired = fail_nth_fired();
		if (err == EAGAIN)
			break;
		if (fired && err) {
			ASSERT_EQ(EFAULT, err);
			copies_failed++;
			continue;
		}
		ASSERT_LT(0, r) TH_LOG("%s", strerror(err));
		len += r;
	}
	close(fd);
	text[len] = '\0';
	for (line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		uint64_t seq;

		ASSERT_EQ(1, sscanf(line, "seq=%" SCNu64, &seq)) TH_LOG("%s", line);
		ASSERT_EQ(NULL, strstr(line, " kind=lost ")) TH_LOG("%s", line);
		if (!lines++)
			first = seq;
		else
			ASSERT_EQ(last + 1, seq) TH_LOG("%s", line);
		last = seq;
	}
	ASSERT_GE(lines, 8) {
		const char *cur = "?", *soft = "?", *over = "?";
		struct mp_table t;

		if (!mp_table_read(MEMPRESSURE_PROC_PATH, MEMPRESSURE_FILE_CGROUPS, &t)) {
			mp_row_raw(&t, MP_CGCOL(PATH), "/" CG_EV, MP_CGCOL(CURRENT), &cur);
			mp_row_raw(&t, MP_CGCOL(PATH), "/" CG_EV, MP_CGCOL(SOFT_LIMIT), &soft);
			mp_row_raw(&t, MP_CGCOL(PATH), "/" CG_EV, MP_CGCOL(SOFT_OVER), &over);
		}
		TH_LOG("%d lines, %d reads failed; /%s: current %s soft %s over %s",
		       lines, copies_failed, CG_EV, cur, soft, over);
	}
	ASSERT_GT(copies_failed, 0);
	ksft_print_msg("events: %d lines, seq %" PRIu64 "-%" PRIu64 " with no gap, %d reads failed with EFAULT\n",
		       lines, first, last, copies_failed);
}

static bool listed_all(FIXTURE_DATA(faults) *self)
{
	struct mp_table t;
	uint64_t v;
	bool all = true;

	if (mp_table_read(MEMPRESSURE_PROC_PATH, MEMPRESSURE_FILE_PROCESSES, &t))
		return false;
	for (int i = 0; i < self->nr_kids && all; i++) {
		char pid[16];

		snprintf(pid, sizeof(pid), "%d", self->kids[i]);
		all = !mp_row_u64(&t, MP_PCOL(PID), pid, MP_PCOL(RSS), &v);
	}
	mp_table_free(&t);
	if (!all || mp_table_read(MEMPRESSURE_PROC_PATH, MEMPRESSURE_FILE_CGROUPS, &t))
		return false;
	for (int i = 0; i < self->nr_cgs && all; i++) {
		char path[40];

		snprintf(path, sizeof(path), "/%s", self->cgs[i]);
		all = !mp_row_u64(&t, MP_CGCOL(PATH), path, MP_CGCOL(CURRENT), &v);
	}
	mp_table_free(&t);
	return all;
}

/* Samples taken, read through the failures that may hit the read itself. */
static int samples_now(uint64_t *v)
{
	for (int i = 0; i < 100; i++) {
		int err = mp_status_u64(MP_STATUS(SAMPLES), v);

		if (!err || !fault_errno(-err))
			return err;
	}
	return -ENOMEM;
}

/*
 * The sampler, with a share of the module's allocations failing while
 * processes and cgroups appear, so its tables must grow: it samples on,
 * and once the failures stop, it lists every one of them.
 */
TEST_F_TIMEOUT(faults, sampling, 600)
{
	uint64_t before, now, injected, deadline;
	int err;

	ASSERT_EQ(0, mp_load("interval_ms=100"));
	ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));
	ASSERT_EQ(0, mp_status_u64(MP_STATUS(SAMPLES), &before));
	attrs_random(&self->a, RANDOM_PCT, RANDOM_TIMES);
	for (int i = 0; i < GROW_CGROUPS; i++) {
		snprintf(self->cgs[i], sizeof(self->cgs[i]), "mp_faults_%d", i);
		ASSERT_EQ(0, cg_create_leaf(self->cgs[i]));
		self->nr_cgs++;
	}
	for (int i = 0; i < GROW_PROCS; i++) {
		pid_t pid = mp_fork_idle();

		ASSERT_GT(pid, 0);
		self->kids[self->nr_kids++] = pid;
	}
	/* Ten samples with the failures on. */
	deadline = mp_now_ms() + MP_WAIT_MS;
	do {
		err = samples_now(&now);
		ASSERT_EQ(0, err);
		ASSERT_GT(deadline, mp_now_ms()) TH_LOG("samples stopped at %" PRIu64, now);
		usleep(50000);
	} while (now < before + 10);
	injected = attrs_stop(&self->a, RANDOM_TIMES);
	ASSERT_GT(injected, 0);

	deadline = mp_now_ms() + MP_WAIT_MS;
	while (!listed_all(self)) {
		ASSERT_GT(deadline, mp_now_ms());
		ASSERT_EQ(0, mp_wait_more_samples(1, MP_WAIT_MS));
	}
	ASSERT_EQ(0, mp_status_u64(MP_STATUS(SAMPLES), &now));
	ksft_print_msg("sampling: %" PRIu64 " allocations failed over 10 samples; then all %d processes and %d cgroups listed, %" PRIu64 " samples after the failures began\n",
		       injected, self->nr_kids, self->nr_cgs, now - before);
}

TEST_HARNESS_MAIN
