// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/mempressure/processes: what the module says about each process.
 *
 * The RSS split must equal what /proc/PID/status shows, for anonymous,
 * file and shmem pages alike, because a reader compares the two; the growth
 * rates must follow a process that grows or shrinks at a known pace, since
 * they are what a leak detector acts on; processes must appear and vanish
 * within two samples; kernel threads must stay out; and command names must
 * survive the escaping of the table format.  Where the module reads only
 * the processes the kernel reported changed (change_tracking), every kind
 * of change must still show, idle processes must not be read, and the
 * periodic full walks must find nothing the reports missed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mp_util.h"

#define RAMFS_DIR	"/tmp/mp-ramfs"

#define RSS_ANON	(8 * MiB)
#define RSS_FILE	(4 * MiB)
#define RSS_SHMEM	(4 * MiB)

/* The growth test: a steady rate, long enough to fill the 10 s window. */
#define GROWTH_RATE	(2 * MiB)	/* bytes per second */
#define GROWTH_SECONDS	15
#define GROWTH_STEP_NS	50000000LL	/* pacing: 50 ms */
#define SHRINK_START	(40 * MiB)
#define GROW_REGION	(64 * MiB)	/* room for 32 s of growth */

#define MAX_CHILDREN	8

#ifndef PF_KTHREAD
#define PF_KTHREAD	0x00200000
#endif

static long page_size;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_until_ns(int64_t t)
{
	struct timespec ts = {
		.tv_sec = t / 1000000000LL,
		.tv_nsec = t % 1000000000LL,
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* Write one byte in each page of [@p, @p + @len): every page is resident. */
static void touch_pages(char *p, size_t len)
{
	size_t off;

	for (off = 0; off < len; off += (size_t)page_size)
		p[off] = 1;
}

/* Read one byte in each page: file pages get mapped, not copied. */
static unsigned int read_pages(const volatile char *p, size_t len)
{
	unsigned int sum = 0;
	size_t off;

	for (off = 0; off < len; off += (size_t)page_size)
		sum += (unsigned char)p[off];
	return sum;
}

/* Anonymous memory that faults in page by page, never as huge pages. */
static char *map_anon(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, len, MADV_NOHUGEPAGE);
	return p;
}

/* Tell the parent this child is ready, then wait to be killed. */
static void ready_and_pause(int fd)
{
	if (write(fd, "r", 1) != 1)
		_exit(1);
	for (;;)
		pause();
}

/* The decoded comm of /proc/PID/comm. */
static int proc_comm(pid_t pid, char *out, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, out, size - 1);
	close(fd);
	if (n <= 0)
		return n ? -errno : -EINVAL;
	out[n] = '\0';
	/* The kernel adds one newline; a comm may hold one of its own. */
	if (out[n - 1] == '\n')
		out[n - 1] = '\0';
	return 0;
}

/* The flags field (9th) of /proc/PID/stat. */
static int proc_flags(pid_t pid, unsigned long *flags)
{
	char path[64], buf[1024], *p;
	unsigned long f;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EINVAL;
	buf[n] = '\0';
	/* "pid (comm) state ppid pgrp session tty_nr tpgid flags ..." */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", &f) != 1)
		return -EINVAL;
	*flags = f;
	return 0;
}

FIXTURE(processes) {
	pid_t children[MAX_CHILDREN];
	int nr_children;
	bool mounted;
};

FIXTURE_SETUP(processes)
{
	page_size = sysconf(_SC_PAGESIZE);
	self->nr_children = 0;
	self->mounted = false;
	ASSERT_EQ(0, mp_load("interval_ms=200"));
}

FIXTURE_TEARDOWN(processes)
{
	int i;

	for (i = 0; i < self->nr_children; i++)
		mp_kill_child(self->children[i]);
	if (self->mounted) {
		EXPECT_EQ(0, umount(RAMFS_DIR));
		rmdir(RAMFS_DIR);
	}
	EXPECT_EQ(0, mp_unload());
}

/* Fork a child that runs @fn(@arg, ready_fd) and record it for teardown. */
static pid_t spawn(FIXTURE_DATA(processes) *self,
		   void (*fn)(const void *arg, int ready_fd), const void *arg,
		   int ready_fd)
{
	pid_t pid;

	if (self->nr_children == MAX_CHILDREN)
		return -ENOSPC;
	pid = mp_fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		fn(arg, ready_fd);
		_exit(0);
	}
	self->children[self->nr_children++] = pid;
	return pid;
}

/* Kill and reap a child spawn() made, and forget it. */
static void reap(FIXTURE_DATA(processes) *self, pid_t pid)
{
	int i;

	mp_kill_child(pid);
	for (i = 0; i < self->nr_children; i++) {
		if (self->children[i] == pid) {
			self->children[i] = self->children[--self->nr_children];
			break;
		}
	}
}

/*
 * The rss child: 8 MiB anonymous, 4 MiB of a ramfs file (file pages: ramfs
 * is not swap-backed, unlike tmpfs) and 4 MiB of a memfd (shmem), all
 * resident, then it holds still.
 */
static void rss_child(const void *arg, int ready_fd)
{
	const char *path = arg;
	char *anon, *file, *shm;
	char buf[65536];
	size_t done;
	int fd;

	prctl(PR_SET_NAME, "mp-rss");
	anon = map_anon(RSS_ANON);
	if (!anon)
		_exit(1);
	touch_pages(anon, RSS_ANON);

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		_exit(1);
	memset(buf, 0x5a, sizeof(buf));
	for (done = 0; done < RSS_FILE; done += sizeof(buf))
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			_exit(1);
	file = mmap(NULL, RSS_FILE, PROT_READ, MAP_SHARED, fd, 0);
	if (file == MAP_FAILED)
		_exit(1);
	read_pages(file, RSS_FILE);

	fd = memfd_create("mp-shmem", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, RSS_SHMEM))
		_exit(1);
	shm = mmap(NULL, RSS_SHMEM, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (shm == MAP_FAILED)
		_exit(1);
	touch_pages(shm, RSS_SHMEM);

	ready_and_pause(ready_fd);
}

/*
 * The RSS columns equal /proc/PID/status, which reads the same counters,
 * within max(1%, 64 KiB).  Compared three times to show the readout holds.
 */
TEST_F(processes, rss_matches_proc_status)
{
	static const struct {
		const char *column, *field;
	} pairs[] = {
		{ "rss_bytes", "VmRSS" },
		{ "anon_bytes", "RssAnon" },
		{ "file_bytes", "RssFile" },
		{ "shmem_bytes", "RssShmem" },
		{ "swap_bytes", "VmSwap" },
	};
	char key[16], comm[64], want_comm[64];
	int pipefd[2], round;
	pid_t pid;

	if (mkdir(RAMFS_DIR, 0700)) {
		ASSERT_EQ(EEXIST, errno);
	}
	ASSERT_EQ(0, mount("ramfs", RAMFS_DIR, "ramfs", 0, NULL));
	self->mounted = true;

	ASSERT_EQ(0, pipe2(pipefd, O_CLOEXEC));
	pid = spawn(self, rss_child, RAMFS_DIR "/file", pipefd[1]);
	ASSERT_LT(0, pid);
	close(pipefd[1]);
	ASSERT_EQ(0, mp_pipe_wait(pipefd[0], 1, MP_WAIT_MS));
	close(pipefd[0]);
	snprintf(key, sizeof(key), "%d", pid);

	for (round = 0; round < 3; round++) {
		uint64_t v[ARRAY_SIZE(pairs)], peak;
		struct mp_table t;
		size_t i;

		ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));
		ASSERT_EQ(0, mp_table_read(MEMPRESSURE_PROC_PATH, MEMPRESSURE_FILE_PROCESSES, &t));
		for (i = 0; i < ARRAY_SIZE(pairs); i++) {
			uint64_t kb;

			ASSERT_EQ(0, mp_row_u64(&t, "pid", key, pairs[i].column,
						&v[i])) {
				TH_LOG("pid %s has no %s", key,
				       pairs[i].column);
			}
			ASSERT_EQ(0, proc_status_kb(pid, pairs[i].field, &kb));
			EXPECT_TRUE(values_close(v[i], kb * KiB, 1, 64 * KiB)) {
				TH_LOG("round %d: %s %llu, %s %llu", round,
				       pairs[i].column,
				       (unsigned long long)v[i],
				       pairs[i].field,
				       (unsigned long long)(kb * KiB));
			}
		}
		/* What the child mapped is there: the match is not 0 == 0. */
		EXPECT_LE(RSS_ANON, v[1]);
		EXPECT_LE(RSS_FILE, v[2]);
		EXPECT_LE(RSS_SHMEM, v[3]);

		ASSERT_EQ(0, mp_row_u64(&t, "pid", key, "peak_rss_bytes", &peak));
		EXPECT_LE(v[0], peak);

		ASSERT_EQ(0, mp_row_str(&t, "pid", key, "cgroup", comm,
					sizeof(comm)));
		EXPECT_STREQ("/", comm);
		ASSERT_EQ(0, mp_row_str(&t, "pid", key, "comm", comm,
					sizeof(comm)));
		ASSERT_EQ(0, proc_comm(pid, want_comm, sizeof(want_comm)));
		EXPECT_STREQ(want_comm, comm);
		EXPECT_STREQ("mp-rss", comm);
		mp_table_free(&t);
		if (round == 0)
			TH_LOG("pid %d: rss %llu anon %llu file %llu shmem %llu",
			       pid, (unsigned long long)v[0],
			       (unsigned long long)v[1],
			       (unsigned long long)v[2],
			       (unsigned long long)v[3]);
	}
	reap(self, pid);
}

/*
 * The step child: 4 MiB and STEP_PAGES more of anonymous memory, all
 * resident; when the parent writes to the go pipe (@arg), it unmaps the
 * STEP_PAGES and holds still again.
 */
#define STEP_PAGES	8

static void step_child(const void *arg, int ready_fd)
{
	size_t step_len = STEP_PAGES * (size_t)page_size;
	int go_fd = *(const int *)arg;
	char *base, *step, c;

	prctl(PR_SET_NAME, "mp-step");
	base = map_anon(4 * MiB);
	step = map_anon(step_len);
	if (!base || !step)
		_exit(1);
	touch_pages(base, 4 * MiB);
	touch_pages(step, step_len);
	if (write(ready_fd, "r", 1) != 1 || read(go_fd, &c, 1) != 1)
		_exit(1);
	if (munmap(step, step_len))
		_exit(1);
	ready_and_pause(ready_fd);
}

/*
 * 6.2+ keeps the mm counters per CPU, and a CPU folds its share into the
 * shared count only every percpu_counter_batch (>= 32) pages: unmapping 8
 * pages need not move the cheap counter the module watches.  The module
 * still shows the change exactly within the samples it promises
 * (MP_EXACT_EVERY in module/sampler.c, docs/procfs.md).  (On 6.1 an unmap
 * updates the atomic counters at once: the step shows in the next sample.
 * A step made by page faults would not do: 6.1 caches those per thread,
 * for /proc/PID/status too, up to 64 of them.)
 */
#define EXACT_WITHIN_SAMPLES	16

TEST_F(processes, small_step_is_exact)
{
	int ready[2], go[2], samples;
	uint64_t before, want, v = 0, kb;
	pid_t pid;

	ASSERT_EQ(0, pipe2(ready, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
	pid = spawn(self, step_child, &go[0], ready[1]);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, mp_pipe_wait(ready[0], 1, MP_WAIT_MS));

	/* Seen for the first time: summed exactly. */
	ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));
	ASSERT_EQ(0, proc_status_kb(pid, "RssAnon", &kb));
	before = kb * KiB;
	ASSERT_EQ(0, mp_proc_cell_u64(pid, MP_PCOL(ANON), &v));
	EXPECT_EQ(before, v);

	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(0, mp_pipe_wait(ready[0], 1, MP_WAIT_MS));
	ASSERT_EQ(0, proc_status_kb(pid, "RssAnon", &kb));
	want = kb * KiB;
	/*
	 * The step happened: the check is not 0 == 0.  It is exactly
	 * STEP_PAGES on 6.2+; on 6.1 the unmap may also fold the thread's
	 * cached fault counts into the mm's, in /proc/PID/status alike.
	 */
	ASSERT_NE(before, want);

	for (samples = 1; samples <= EXACT_WITHIN_SAMPLES + 1; samples++) {
		ASSERT_EQ(0, mp_wait_more_samples(1, MP_WAIT_MS));
		ASSERT_EQ(0, mp_proc_cell_u64(pid, MP_PCOL(ANON), &v));
		if (v == want)
			break;
	}
	EXPECT_EQ(want, v) {
		TH_LOG("anon_bytes %llu, RssAnon %llu after %d samples",
		       (unsigned long long)v, (unsigned long long)want,
		       samples - 1);
	}
	TH_LOG("RssAnon moved by %lld pages, shown exactly after %d sample(s)",
	       ((long long)want - (long long)before) / page_size, samples);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
	reap(self, pid);
}

struct growth_arg {
	bool grow;	/* true: grow at GROWTH_RATE, false: shrink */
	int go_fd;	/* the parent writes the start time here */
};

/*
 * Change RSS at GROWTH_RATE from the start time the parent sends: every
 * GROWTH_STEP_NS, bring the resident size to where the clock says it
 * should be.  Paced by absolute time, so a slow step does not slow the rate.
 */
static void growth_child(const void *varg, int ready_fd)
{
	const struct growth_arg *arg = varg;
	size_t len = arg->grow ? GROW_REGION : SHRINK_START;
	size_t resident;
	int64_t start, step;
	char *p;

	prctl(PR_SET_NAME, arg->grow ? "mp-grow" : "mp-shrink");
	p = map_anon(len);
	if (!p)
		_exit(1);
	if (!arg->grow)
		touch_pages(p, len);
	resident = arg->grow ? 0 : len;
	if (write(ready_fd, "r", 1) != 1 ||
	    read(arg->go_fd, &start, sizeof(start)) != sizeof(start))
		_exit(1);

	for (step = 1;; step++) {
		double elapsed = (double)(now_ns() - start) / 1e9;
		double change = elapsed * (double)GROWTH_RATE;
		size_t want;

		if (change < 0)
			change = 0;
		if (change > (double)len)
			change = (double)len;
		want = arg->grow ? (size_t)change : len - (size_t)change;
		want = want / (size_t)page_size * (size_t)page_size;
		if (arg->grow && want > resident) {
			touch_pages(p + resident, want - resident);
			resident = want;
		} else if (!arg->grow && want < resident) {
			madvise(p + want, resident - want, MADV_DONTNEED);
			resident = want;
		}
		sleep_until_ns(start + step * GROWTH_STEP_NS);
	}
}

/*
 * growth10 follows a steady rate: one child grows by 2 MiB/s, one shrinks
 * by 2 MiB/s, both from the same instant.  After 15 s the 10 s window lies
 * entirely within the steady phase, so the slope must be the rate.
 */
TEST_F_TIMEOUT(processes, growth_rate, 120)
{
	struct growth_arg args[2] = { { .grow = true }, { .grow = false } };
	int64_t growth10[2], growth60, growth300, start;
	int ready[2], go[2][2], i;
	char key[2][16];
	struct mp_table t;
	pid_t pid[2];

	ASSERT_EQ(0, mp_wait_more_samples(1, MP_WAIT_MS));
	ASSERT_EQ(0, pipe2(ready, O_CLOEXEC));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, pipe2(go[i], O_CLOEXEC));
		args[i].go_fd = go[i][0];
		pid[i] = spawn(self, growth_child, &args[i], ready[1]);
		ASSERT_LT(0, pid[i]);
		close(go[i][0]);
		snprintf(key[i], sizeof(key[i]), "%d", pid[i]);
	}
	close(ready[1]);
	/* Both set up (the shrinking one has touched its 40 MiB). */
	ASSERT_EQ(0, mp_pipe_wait(ready[0], 2, MP_WAIT_MS));
	close(ready[0]);

	start = now_ns();
	for (i = 0; i < 2; i++) {
		ASSERT_EQ((ssize_t)sizeof(start),
			  write(go[i][1], &start, sizeof(start)));
		close(go[i][1]);
	}
	sleep_until_ns(start + GROWTH_SECONDS * 1000000000LL);
	ASSERT_EQ(0, mp_wait_more_samples(1, MP_WAIT_MS));

	ASSERT_EQ(0, mp_table_read(MEMPRESSURE_PROC_PATH, MEMPRESSURE_FILE_PROCESSES, &t));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, mp_row_s64(&t, "pid", key[i],
					"growth10_bytes_per_sec", &growth10[i]));
	}
	ASSERT_EQ(0, mp_row_s64(&t, "pid", key[0], "growth60_bytes_per_sec",
				&growth60));
	ASSERT_EQ(0, mp_row_s64(&t, "pid", key[0], "growth300_bytes_per_sec",
				&growth300));
	mp_table_free(&t);

	TH_LOG("after %.1f s at %llu B/s: growing growth10 %lld (%+.1f%%), shrinking growth10 %lld (%+.1f%%); growing growth60 %lld growth300 %lld",
	       (double)(now_ns() - start) / 1e9,
	       (unsigned long long)GROWTH_RATE, (long long)growth10[0],
	       100.0 * ((double)growth10[0] / GROWTH_RATE - 1),
	       (long long)growth10[1],
	       100.0 * ((double)-growth10[1] / GROWTH_RATE - 1),
	       (long long)growth60, (long long)growth300);

	/* Within 20% of the rate, each way. */
	EXPECT_LE((int64_t)GROWTH_RATE * 8 / 10, growth10[0]);
	EXPECT_GE((int64_t)GROWTH_RATE * 12 / 10, growth10[0]);
	EXPECT_GT(0, growth10[1]);
	EXPECT_GE(-(int64_t)GROWTH_RATE * 8 / 10, growth10[1]);
	EXPECT_LE(-(int64_t)GROWTH_RATE * 12 / 10, growth10[1]);
	/* A process younger than a window: the window spans its life. */
	EXPECT_LT(0, growth60);
	EXPECT_LT(0, growth300);

	for (i = 0; i < 2; i++)
		reap(self, pid[i]);
}

/*
 * Wait sample by sample, up to @max more, until @pid's listing is @want.
 * Returns the samples it took, or -errno (-ETIME: never within @max).
 */
static int samples_until_listed(pid_t pid, bool want, uint64_t from,
				unsigned int max)
{
	unsigned int n;
	bool listed;
	int err;

	for (n = 1; n <= max; n++) {
		err = mp_wait_samples(from + n, MP_WAIT_MS);
		if (err)
			return err;
		err = mp_process_listed(pid, &listed);
		if (err)
			return err;
		if (listed == want)
			return (int)n;
	}
	return -ETIME;
}

/*
 * A process is listed from the second sample after it was forked at the
 * latest (the first may have begun before the fork), and gone from the
 * second after it was reaped.
 */
TEST_F(processes, appear_and_exit)
{
	int i;

	for (i = 0; i < 5; i++) {
		uint64_t s0, s1;
		int appear, gone;
		pid_t pid;

		pid = mp_fork_idle();
		ASSERT_LT(0, pid);
		self->children[self->nr_children++] = pid;
		ASSERT_EQ(0, mp_status_u64("samples", &s0));
		appear = samples_until_listed(pid, true, s0, 2);
		EXPECT_LT(0, appear) {
			TH_LOG("child %d not listed 2 samples after fork (%d)",
			       pid, appear);
		}

		reap(self, pid);
		ASSERT_EQ(0, mp_status_u64("samples", &s1));
		gone = samples_until_listed(pid, false, s1, 2);
		EXPECT_LT(0, gone) {
			TH_LOG("child %d still listed 2 samples after exit (%d)",
			       pid, gone);
		}
		TH_LOG("child %d: listed after %d sample(s), gone after %d",
		       pid, appear, gone);
	}
}

/*
 * Only user processes, each once, in pid order: init and this process are
 * listed, kthreadd and every other kernel thread are not.
 */
TEST_F(processes, kernel_threads_excluded_and_order)
{
	unsigned int kthreads = 0;
	uint64_t prev = 0, pid;
	struct mp_table t;
	struct dirent *de;
	char key[16];
	bool listed;
	size_t row;
	DIR *dir;
	int col;

	ASSERT_EQ(0, mp_wait_more_samples(1, MP_WAIT_MS));
	ASSERT_EQ(0, mp_table_read(MEMPRESSURE_PROC_PATH, MEMPRESSURE_FILE_PROCESSES, &t));
	col = mp_table_column(&t, "pid");
	ASSERT_LE(0, col);

	EXPECT_LE(0, mp_table_find(&t, col, "1"));
	snprintf(key, sizeof(key), "%d", getpid());
	EXPECT_LE(0, mp_table_find(&t, col, key));
	/* pid 2 is kthreadd, on every kernel this runs on. */
	EXPECT_GT(0, mp_table_find(&t, col, "2"));

	for (row = 0; row < t.nr_rows; row++) {
		ASSERT_EQ(0, mp_parse_u64(mp_table_cell(&t, row, col), &pid));
		EXPECT_LT(prev, pid) {
			TH_LOG("row %zu: pid %llu after %llu", row,
			       (unsigned long long)pid,
			       (unsigned long long)prev);
		}
		prev = pid;
	}

	/* No kernel thread at all: they are long-lived, so this is stable. */
	dir = opendir("/proc");
	ASSERT_NE(NULL, dir);
	while ((de = readdir(dir))) {
		unsigned long flags;
		char *end;
		long p = strtol(de->d_name, &end, 10);

		if (*end || p <= 0 || proc_flags((pid_t)p, &flags) ||
		    !(flags & PF_KTHREAD))
			continue;
		kthreads++;
		EXPECT_GT(0, mp_table_find(&t, col, de->d_name)) {
			TH_LOG("kernel thread %s is listed", de->d_name);
		}
	}
	closedir(dir);
	mp_table_free(&t);
	EXPECT_LT(0, kthreads);
	TH_LOG("%zu processes listed in order, %u kernel threads not listed",
	       row, kthreads);

	ASSERT_EQ(0, mp_process_listed(2, &listed));
	EXPECT_FALSE(listed);
}

static void named_child(const void *arg, int ready_fd)
{
	prctl(PR_SET_NAME, arg);
	ready_and_pause(ready_fd);
}

/*
 * Command names with the characters the format escapes come out as \ooo,
 * a name that is "-" as \055 so it is not read as "not applicable", and
 * both decode back to the name.
 */
TEST_F(processes, comm_escaping)
{
	static const struct {
		const char *comm, *cell;
	} cases[] = {
		{ "a b\tc\\d", "a\\040b\\011c\\134d" },
		{ "-", "\\055" },
		{ "x\ny", "x\\012y" },
	};
	pid_t pid[ARRAY_SIZE(cases)];
	struct mp_table t;
	int pipefd[2];
	size_t i;

	ASSERT_EQ(0, pipe2(pipefd, O_CLOEXEC));
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		pid[i] = spawn(self, named_child, cases[i].comm, pipefd[1]);
		ASSERT_LT(0, pid[i]);
	}
	close(pipefd[1]);
	ASSERT_EQ(0, mp_pipe_wait(pipefd[0], ARRAY_SIZE(cases), MP_WAIT_MS));
	close(pipefd[0]);
	ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));

	ASSERT_EQ(0, mp_table_read(MEMPRESSURE_PROC_PATH, MEMPRESSURE_FILE_PROCESSES, &t));
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		char key[16], comm[64];
		const char *cell;

		snprintf(key, sizeof(key), "%d", pid[i]);
		ASSERT_EQ(0, mp_row_raw(&t, "pid", key, "comm", &cell));
		EXPECT_STREQ(cases[i].cell, cell);
		ASSERT_EQ(0, mp_row_str(&t, "pid", key, "comm", comm,
					sizeof(comm)));
		EXPECT_STREQ(cases[i].comm, comm);
	}
	mp_table_free(&t);
}

/* --- change tracking ---------------------------------------------------- */

#define TRACK_STEP	(1 * MiB)
#define TRACK_IDLE	40		/* idle children that must be carried */
#define TRACK_CGROUP	"mp-track"
#define FULL_WALK_EVERY	64		/* module/sampler.c */

static void *thread_touch(void *arg)
{
	char *p = map_anon(TRACK_STEP);

	(void)arg;
	if (p)
		touch_pages(p, TRACK_STEP);
	return p;
}

/*
 * The changes child: each command byte from the parent makes one change,
 * then it answers and holds still.  'g' grows by 1 MiB, 's' shrinks by as
 * much, 'n' renames itself, 't' grows through a thread that exits, 'x'
 * execs busybox sleep (no answer: the parent sees the new comm).
 */
static void changes_child(const void *arg, int ready_fd)
{
	int cmd_fd = *(const int *)arg;
	char *grown[64];
	unsigned int renames = 0;
	char cmd, name[16];
	int nr = 0;
	pthread_t thread;

	prctl(PR_SET_NAME, "mp-changes");
	if (write(ready_fd, "r", 1) != 1)
		_exit(1);
	while (read(cmd_fd, &cmd, 1) == 1) {
		switch (cmd) {
		case 'g':
			if (nr == 64 || !(grown[nr] = map_anon(TRACK_STEP)))
				_exit(1);
			touch_pages(grown[nr++], TRACK_STEP);
			break;
		case 's':
			if (nr)
				munmap(grown[--nr], TRACK_STEP);
			break;
		case 'n':
			renames = (renames + 1) % 1000;
			snprintf(name, sizeof(name), "mp-renamed-%u", renames);
			prctl(PR_SET_NAME, name);
			break;
		case 't':
			if (pthread_create(&thread, NULL, thread_touch, NULL) ||
			    pthread_join(thread, NULL))
				_exit(1);
			break;
		case 'x':
			execl("/bin/busybox", "sleep", "1000", (char *)NULL);
			_exit(1);
		}
		if (write(ready_fd, "r", 1) != 1)
			_exit(1);
	}
	_exit(0);
}

/* The row of @pid says what /proc/PID says, within 3 samples. */
static bool row_matches(pid_t pid, const char *cgroup, char *why, size_t size)
{
	int n;

	for (n = 0; n < 3; n++) {
		uint64_t anon_kb, file_kb, anon, file;
		char comm[64], want_comm[64], cg[256];

		if (mp_wait_more_samples(1, MP_WAIT_MS) ||
		    proc_status_kb(pid, "RssAnon", &anon_kb) ||
		    proc_status_kb(pid, "RssFile", &file_kb) ||
		    proc_comm(pid, want_comm, sizeof(want_comm)) ||
		    mp_proc_cell_u64(pid, MP_PCOL(ANON), &anon) ||
		    mp_proc_cell_u64(pid, MP_PCOL(FILE), &file) ||
		    mp_proc_cell(pid, MP_PCOL(COMM), comm, sizeof(comm)) ||
		    mp_proc_cell(pid, MP_PCOL(CGROUP), cg, sizeof(cg))) {
			snprintf(why, size, "cannot read the row or /proc/%d",
				 pid);
			return false;
		}
		snprintf(why, size,
			 "anon %llu / RssAnon %llu, file %llu / RssFile %llu, comm %s / %s, cgroup %s / %s",
			 (unsigned long long)anon,
			 (unsigned long long)anon_kb * KiB,
			 (unsigned long long)file,
			 (unsigned long long)file_kb * KiB, comm, want_comm,
			 cg, cgroup);
		if (anon == anon_kb * KiB && file == file_kb * KiB &&
		    !strcmp(comm, want_comm) && !strcmp(cg, cgroup))
			return true;
	}
	return false;
}

/*
 * Every kind of change a process's row can undergo shows within three
 * samples when the module reads only what the kernel reports changed:
 * RSS up and down, from the process and from a thread, a rename, a move to
 * another cgroup, an exec and the exit.  Meanwhile idle processes are
 * carried over, not read; and the steps run on through two periodic full
 * walks, which must find no change that went unreported.
 */
TEST_F_TIMEOUT(processes, changes_are_tracked, 300)
{
	static const char steps[] = "gngtsgnts";
	uint64_t tracking, samples, nr, nr_read, min_read = UINT64_MAX;
	uint64_t walks0, walks1, missed, until;
	int ready[2], cmd[2], i, rounds = 0;
	char path[256], why[512];
	pid_t pid, idle[TRACK_IDLE];
	bool listed;

	ASSERT_EQ(0, mp_status_u64("change_tracking", &tracking));
	if (!tracking)
		SKIP(return, "this kernel lacks the tracepoints: full walks only");
	/* Fast samples, so that two full walks come within the test. */
	ASSERT_EQ(0, mp_unload());
	ASSERT_EQ(0, mp_load("interval_ms=100"));

	for (i = 0; i < TRACK_IDLE; i++) {
		idle[i] = mp_fork_idle();
		ASSERT_LT(0, idle[i]);
	}
	ASSERT_EQ(0, pipe2(ready, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(cmd, O_CLOEXEC));
	pid = spawn(self, changes_child, &cmd[0], ready[1]);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, mp_pipe_wait(ready[0], 1, MP_WAIT_MS));
	ASSERT_EQ(0, cg_create_leaf(TRACK_CGROUP));
	mp_cg_path(TRACK_CGROUP, path, sizeof(path));

	/* Idle processes are carried: a few samples read far fewer. */
	ASSERT_EQ(0, mp_wait_more_samples(3, MP_WAIT_MS));
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, mp_wait_more_samples(1, MP_WAIT_MS));
		ASSERT_EQ(0, mp_status_u64("processes_read", &nr_read));
		if (nr_read < min_read)
			min_read = nr_read;
	}
	ASSERT_EQ(0, mp_status_u64("processes", &nr));
	EXPECT_LE(min_read + TRACK_IDLE, nr) {
		TH_LOG("%llu of %llu processes read: the %d idle ones too",
		       (unsigned long long)min_read, (unsigned long long)nr,
		       TRACK_IDLE);
	}
	TH_LOG("idle: %llu of %llu processes read in the quietest of 5 samples",
	       (unsigned long long)min_read, (unsigned long long)nr);

	/* The changes, round after round, past two periodic full walks. */
	ASSERT_EQ(0, mp_status_u64("full_walks", &walks0));
	ASSERT_EQ(0, mp_status_u64("samples", &samples));
	until = (samples / FULL_WALK_EVERY + 2) * FULL_WALK_EVERY + 1;
	ASSERT_TRUE(row_matches(pid, "/", why, sizeof(why))) {
		TH_LOG("at the start: %s", why);
	}
	while (samples < until) {
		for (i = 0; steps[i]; i++) {
			ASSERT_EQ(1, write(cmd[1], &steps[i], 1));
			ASSERT_EQ(0, mp_pipe_wait(ready[0], 1, MP_WAIT_MS));
			ASSERT_TRUE(row_matches(pid, rounds ? path : "/", why,
						sizeof(why))) {
				TH_LOG("round %d, after '%c': %s", rounds,
				       steps[i], why);
			}
			/*
			 * Quiet before the next change, so that no read
			 * for an earlier one (a process is read once more
			 * after a change) can pick it up by chance.
			 */
			ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));
		}
		if (!rounds++) {
			ASSERT_EQ(0, cg_enter(TRACK_CGROUP, pid));
			ASSERT_TRUE(row_matches(pid, path, why, sizeof(why))) {
				TH_LOG("after the move: %s", why);
			}
		}
		ASSERT_EQ(0, mp_status_u64("samples", &samples));
	}
	ASSERT_EQ(0, mp_status_u64("full_walks", &walks1));
	ASSERT_EQ(0, mp_status_u64("changes_missed", &missed));
	EXPECT_LE(walks0 + 2, walks1);
	EXPECT_EQ(0, missed);
	TH_LOG("%d rounds of %zu changes over %llu samples: %llu full walks, %llu changes missed",
	       rounds, strlen(steps), (unsigned long long)(until - 1),
	       (unsigned long long)(walks1 - walks0),
	       (unsigned long long)missed);

	/* An exec: a new mm and a new name. */
	ASSERT_EQ(1, write(cmd[1], "x", 1));
	ASSERT_TRUE(row_matches(pid, path, why, sizeof(why))) {
		TH_LOG("after exec: %s", why);
	}
	/* And the end. */
	reap(self, pid);
	ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));
	ASSERT_EQ(0, mp_process_listed(pid, &listed));
	EXPECT_FALSE(listed);
	for (i = 0; i < TRACK_IDLE; i++) {
		ASSERT_EQ(0, mp_process_listed(idle[i], &listed));
		EXPECT_TRUE(listed);
		mp_kill_child(idle[i]);
	}
	EXPECT_EQ(0, cg_destroy(TRACK_CGROUP));
	close(ready[0]);
	close(ready[1]);
	close(cmd[0]);
	close(cmd[1]);
}

/* Status keys from one sample: read until no sample ended in between. */
static int status_of_one_sample(const char *const *keys, uint64_t *v, int nr)
{
	uint64_t s0, s1;
	int i, err, tries;

	for (tries = 0; tries < 10; tries++) {
		err = mp_status_u64("samples", &s0);
		for (i = 0; !err && i < nr; i++)
			err = mp_status_u64(keys[i], &v[i]);
		if (!err)
			err = mp_status_u64("samples", &s1);
		if (err || s0 == s1)
			return err;
	}
	return -EAGAIN;
}

/* change_tracking=N: no probes, and every sample reads every process. */
TEST_F(processes, walks_without_tracking)
{
	static const char *const keys[] = {
		"change_tracking", "samples", "full_walks", "processes",
		"processes_read",
	};
	uint64_t v[ARRAY_SIZE(keys)];

	ASSERT_EQ(0, mp_unload());
	ASSERT_EQ(0, mp_load("interval_ms=100 change_tracking=0"));
	ASSERT_EQ(0, mp_wait_more_samples(3, MP_WAIT_MS));
	ASSERT_EQ(0, status_of_one_sample(keys, v, ARRAY_SIZE(keys)));
	EXPECT_EQ(0, v[0]);
	EXPECT_EQ(v[1], v[2]);
	EXPECT_EQ(v[3], v[4]);
	EXPECT_LT(0, v[4]);
	TH_LOG("%llu samples, %llu full walks; %llu of %llu processes read",
	       (unsigned long long)v[1], (unsigned long long)v[2],
	       (unsigned long long)v[4], (unsigned long long)v[3]);
}

TEST_HARNESS_MAIN
