// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of mempressured's logic (userspace/daemon, mpd.h): its parts
 * linked without main(), on a fixture tree laid out as the system is
 * (ROOT/sys/fs/cgroup, ROOT/proc/PID, ROOT/proc/mempressure), with a clock
 * the test moves and clients on socketpair()s.  The module's events are
 * fed as the lines it prints; what the daemon writes to cgroup files lands
 * in the tree, written by the children it forks, as on a host.
 *
 * What needs the kernel (real reclaim, the module's own events, SO_PEERCRED
 * of other users, memory.high throttling) stays in
 * selftests/mempressure/daemon.c, in the VM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "control_parse.h"
#include "mpd.h"
#include "mpd_events.h"
#include "names.h"

#define MiB		(1024ULL * 1024)
#define PAGE		4096ULL
/* Pids of subscribers that are not processes of this test. */
#define PID_A		1001
#define PID_B		1002
#define PID_C		1003

static uint64_t fake_now;

static uint64_t fake_clock(void)
{
	return fake_now;
}

FIXTURE(daemon) {
	char root[64];
	char log[96];
	int log_fd;
	struct mpd *d;
	uint64_t seq;
	pid_t kids[4];
	int nr_kids;
};

/*
 * ROOT/@path opened with @flags, walked a directory at a time so that a
 * path longer than PATH_MAX opens too; with @mkdirs its directories are
 * made.  -1 if it cannot be.
 */
static int fx_open(FIXTURE_DATA(daemon) *self, const char *path, int flags, bool mkdirs)
{
	char part[NAME_MAX + 1];
	int dfd = open(self->root, O_PATH | O_DIRECTORY | O_CLOEXEC), fd;
	const char *slash;

	while (dfd >= 0 && (slash = strchr(path, '/'))) {
		size_t n = (size_t)(slash - path);

		if (n > NAME_MAX) {
			close(dfd);
			return -1;
		}
		memcpy(part, path, n);
		part[n] = '\0';
		if (mkdirs)
			mkdirat(dfd, part, 0755);
		fd = openat(dfd, part, O_PATH | O_DIRECTORY | O_CLOEXEC);
		close(dfd);
		dfd = fd;
		path = slash + 1;
	}
	if (dfd < 0)
		return -1;
	fd = openat(dfd, path, flags | O_CLOEXEC, 0644);
	close(dfd);
	return fd;
}

/* Write @fmt to ROOT/@path, its directories made. */
static void fx_write(FIXTURE_DATA(daemon) *self, const char *path, const char *fmt, ...)
{
	int fd = fx_open(self, path, O_WRONLY | O_CREAT | O_TRUNC, true);
	va_list ap;

	if (fd < 0)
		return;
	va_start(ap, fmt);
	vdprintf(fd, fmt, ap);
	va_end(ap);
	close(fd);
}

/* ROOT/@path's first line, "" if it cannot be read. */
static const char *fx_read(FIXTURE_DATA(daemon) *self, const char *path)
{
	static char buf[256];
	int fd = fx_open(self, path, O_RDONLY, false);
	ssize_t n = fd < 0 ? 0 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/* The daemon's log so far. */
static const char *fx_log(FIXTURE_DATA(daemon) *self)
{
	static char buf[65536];
	ssize_t n = pread(self->log_fd, buf, sizeof(buf) - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

struct cg {
	const char *path;
	uint64_t current, soft, limit;
	const char *level;
};

/* The cgroups table with these rows, and each cgroup's memory.current. */
static void fx_cgroups(FIXTURE_DATA(daemon) *self, const struct cg *cgs, size_t n)
{
	static char table[65536];
	char file[PATH_MAX];
	size_t len;

	len = (size_t)snprintf(table, sizeof(table),
			       "cgroup id current_bytes limit_bytes soft_limit_bytes level\n");
	for (size_t i = 0; i < n; i++) {
		len += (size_t)snprintf(table + len, sizeof(table) - len, "%s %zu %llu %llu %llu %s\n",
					cgs[i].path, i + 1, (unsigned long long)cgs[i].current,
					(unsigned long long)cgs[i].limit,
					(unsigned long long)cgs[i].soft, cgs[i].level);
		snprintf(file, sizeof(file), "sys/fs/cgroup%s/memory.current",
			 strcmp(cgs[i].path, "/") ? cgs[i].path : "");
		fx_write(self, file, "%llu\n", (unsigned long long)cgs[i].current);
	}
	fx_write(self, "proc/mempressure/cgroups", "%s", table);
}

/* A process as /proc shows it: its cgroup, command and RSS. */
static void fx_proc(FIXTURE_DATA(daemon) *self, pid_t pid, const char *cgroup, const char *comm,
		    uint64_t rss)
{
	char file[64];

	snprintf(file, sizeof(file), "proc/%d/cgroup", pid);
	fx_write(self, file, "0::%s\n", cgroup);
	snprintf(file, sizeof(file), "proc/%d/comm", pid);
	fx_write(self, file, "%s\n", comm);
	snprintf(file, sizeof(file), "proc/%d/statm", pid);
	fx_write(self, file, "%llu %llu 0 0 0 0 0\n", (unsigned long long)(rss / PAGE * 2),
		 (unsigned long long)(rss / PAGE));
}

/* One event line of the module, "seq=N time_usec=N " and @fmt. */
static void fx_event(FIXTURE_DATA(daemon) *self, const char *fmt, ...)
{
	static char line[MEMPRESSURE_EVENT_LINE_MAX];
	va_list ap;
	int n;

	self->seq++;
	n = snprintf(line, sizeof(line), "seq=%llu time_usec=%llu ", (unsigned long long)self->seq,
		     (unsigned long long)fake_now * 1000);
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	mpd_events_line(self->d, line, (size_t)n);
}

/* /a goes over its soft limit: 200 MiB used, 100 MiB allowed (over[]). */
static void fx_over(FIXTURE_DATA(daemon) *self)
{
	fx_event(self, "kind=soft_over cgroup=/a usage_bytes=%llu soft_limit_bytes=%llu",
		 200 * MiB, 100 * MiB);
}

/* The daemon on the tree with configuration @conf ("[daemon]" lines...). */
static int fx_start(FIXTURE_DATA(daemon) *self, const char *conf)
{
	struct mpd_config_error err;
	struct mpd_config cfg;
	int r;

	r = mpd_config_parse(conf, strlen(conf), &cfg, &err);
	if (r < 0) {
		fprintf(stderr, "# config line %u: %s\n", err.line, err.msg);
		return r;
	}
	self->d = calloc(1, sizeof(*self->d));
	if (!self->d)
		return -ENOMEM;
	mpd_init(self->d, &cfg);
	self->d->clock = fake_clock;
	r = mpd_sys_init(&self->d->sys, self->root);
	return r < 0 ? r : mpd_loop_init(&self->d->loop);
}

/* Move the clock by @ms and do what is due. */
static void fx_advance(FIXTURE_DATA(daemon) *self, uint64_t ms)
{
	fake_now += ms;
	mpd_tick(self->d);
}

/* Until every child the daemon forked has ended and been reaped. */
static bool fx_reap(FIXTURE_DATA(daemon) *self)
{
	for (int i = 0; i < 5000 && self->d->children; i++) {
		mpd_children_reap(self->d);
		if (self->d->children)
			poll(NULL, 0, 1);
	}
	return !self->d->children;
}

/* A client of user @uid as process @pid: the test's end of its socket. */
static int fx_client(FIXTURE_DATA(daemon) *self, int type, pid_t pid, uid_t uid, bool sd)
{
	int sv[2];

	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	if (!mpd_client_add(self->d, sv[0], pid, uid, sd, -1)) {
		close(sv[1]);
		return -1;
	}
	return sv[1];
}

/* Send @msg on @fd and let the daemon's loop take it. */
static void fx_say(FIXTURE_DATA(daemon) *self, int fd, const char *msg);
static const char *fx_hear(int fd);

/*
 * A subscriber of user @uid as process @pid, welcomed under @name: the
 * test's end of its socket, the welcome read; -1 if it was not welcomed.
 */
static int fx_subscriber(FIXTURE_DATA(daemon) *self, pid_t pid, uid_t uid, const char *name)
{
	char hello[128];
	int fd = fx_client(self, SOCK_SEQPACKET, pid, uid, false);

	if (fd < 0)
		return -1;
	snprintf(hello, sizeof(hello), "msg=hello version=1 name=%s", name);
	fx_say(self, fd, hello);
	if (strncmp(fx_hear(fd), "msg=welcome ", 12)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send @msg on @fd and let the daemon's loop take it. */
static void fx_say(FIXTURE_DATA(daemon) *self, int fd, const char *msg)
{
	if (send(fd, msg, strlen(msg), 0) < 0)
		return;
	mpd_loop_run_once(&self->d->loop, 0);
}

/* The next message on @fd, "" if none waits; "EOF" once closed. */
static const char *fx_hear(int fd)
{
	static char buf[MEMPRESSURED_MSG_MAX + 1];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	if (n == 0)
		return "EOF";
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* Every message waiting on @fd, one a line. */
static const char *fx_hear_all(int fd)
{
	static char all[65536];
	size_t len = 0;
	const char *m;

	all[0] = '\0';
	while (*(m = fx_hear(fd)) && len + strlen(m) + 2 < sizeof(all)) {
		len += (size_t)snprintf(all + len, sizeof(all) - len, "%s\n", m);
		if (!strcmp(m, "EOF"))
			break;
	}
	return all;
}

/* The value of @key in message @msg, as a number; -1 if absent. */
static long long msg_num(const char *msg, const char *key)
{
	char k[64];
	const char *p;

	snprintf(k, sizeof(k), " %s=", key);
	p = strstr(msg, k);
	return p ? strtoll(p + strlen(k), NULL, 10) : -1;
}

static int nr_clients(const struct mpd *d)
{
	int n = 0;

	for (const struct mpd_client *c = d->clients; c; c = c->next)
		n++;
	return n;
}

/* How many times @needle shows in @s. */
static int count(const char *s, const char *needle)
{
	int n = 0;

	for (; (s = strstr(s, needle)); s++)
		n++;
	return n;
}

/*
 * The first line of @log that does not start with a syslog priority
 * ("<0>" to "<7>"), as every line of the daemon's must; NULL if none.
 */
static const char *unprefixed_line(const char *log)
{
	for (const char *l = log; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : "")
		if (l[0] != '<' || l[1] < '0' || l[1] > '7' || l[2] != '>')
			return l;
	return NULL;
}

/* A child that waits to be killed, in the tree as @comm in @cgroup. */
static pid_t fx_kid(FIXTURE_DATA(daemon) *self, const char *cgroup, const char *comm,
		    uint64_t rss)
{
	pid_t pid = fork();

	if (pid == 0) {
		for (;;)
			pause();
	}
	if (pid > 0) {
		self->kids[self->nr_kids++] = pid;
		fx_proc(self, pid, cgroup, comm, rss);
	}
	return pid;
}

/*
 * A kid that waits to be killed, forked with pid @pid (clone3's set_tid:
 * root only), as a recycled pid would be; -1 and errno if it cannot be.
 */
static pid_t fx_kid_as(FIXTURE_DATA(daemon) *self, pid_t pid)
{
	struct {
		uint64_t flags, pidfd, child_tid, parent_tid, exit_signal;
		uint64_t stack, stack_size, tls, set_tid, set_tid_size;
	} args = { .exit_signal = SIGCHLD, .set_tid = (uintptr_t)&pid, .set_tid_size = 1 };
	pid_t r = (pid_t)syscall(SYS_clone3, &args, sizeof(args));

	if (r == 0) {
		for (;;)
			pause();
	}
	if (r > 0)
		self->kids[self->nr_kids++] = r;
	return r;
}

/* How the kid @pid ended: its signal, 0 if it has not, -1 if unknown. */
static int fx_kid_signal(pid_t pid, int timeout_ms)
{
	int st;

	for (int i = 0; i < timeout_ms; i++) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return WIFSIGNALED(st) ? WTERMSIG(st) : -1;
		if (r < 0)
			return -1;
		poll(NULL, 0, 1);
	}
	return 0;
}

FIXTURE_SETUP(daemon)
{
	strcpy(self->root, "/tmp/test_daemon.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->root));
	snprintf(self->log, sizeof(self->log), "%s/log", self->root);
	self->log_fd = open(self->log, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
	ASSERT_LE(0, self->log_fd);
	mpd_log_set_fd(self->log_fd);
	mpd_log_set_max(MPD_LOG_DEBUG);
	fx_write(self, "proc/mempressure/status", "version 0.1\n%s %d\n",
		 mp_status_keys[MEMPRESSURE_STATUS_ABI_VERSION], MEMPRESSURE_ABI_VERSION);
	fx_write(self, "proc/mempressure/control", "set soft_margin_pct 5\n");
	fx_write(self, "proc/mempressure/processes",
		 "pid comm cgroup rss_bytes leak growth60_bytes_per_sec\n");
	fx_write(self, "sys/fs/cgroup/a/memory.high", "max\n");
	fx_write(self, "sys/fs/cgroup/a/memory.reclaim", "");
	fake_now = 1000000;
	self->seq = 0;
	self->nr_kids = 0;
	self->d = NULL;
}

FIXTURE_TEARDOWN(daemon)
{
	char cmd[128];

	if (self->d) {
		mpd_done(self->d);
		fx_reap(self);
		free(self->d);
	}
	for (int i = 0; i < self->nr_kids; i++) {
		kill(self->kids[i], SIGKILL);
		waitpid(self->kids[i], NULL, 0);
	}
	mpd_log_set_fd(STDERR_FILENO);
	close(self->log_fd);
	/* rm walks a tree deeper than PATH_MAX, which nftw() cannot. */
	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->root);
	if (system(cmd))
		TH_LOG("%s failed", cmd);
}

#define CONF(extra) "[daemon]\nsystemd_socket = -\n" extra

/* /a is 200 MiB with a soft limit of 100 MiB: over it. */
static const struct cg over[] = {
	{ "/", 1024 * MiB, 900 * MiB, 1024 * MiB, "none" },
	{ "/a", 200 * MiB, 100 * MiB, 256 * MiB, "medium" },
};

static const struct cg under[] = {
	{ "/", 1024 * MiB, 900 * MiB, 1024 * MiB, "none" },
	{ "/a", 90 * MiB, 100 * MiB, 256 * MiB, "none" },
};

/* What brings /a back under 100 MiB less the 5 % margin, in whole pages. */
#define A_EXCESS	(200 * MiB - 100 * MiB / 100 * 95)

TEST_F(daemon, soft_margin_comes_from_the_control_file)
{
	ASSERT_EQ(0, fx_start(self, CONF("")));
	ASSERT_EQ(5, mpd_module_soft_margin_pct(&self->d->sys));
	fx_write(self, "proc/mempressure/control",
		 "set interval_ms 1000\nsoft /a\\040b 80%%\nset soft_margin_pct 10\n");
	ASSERT_EQ(10, mpd_module_soft_margin_pct(&self->d->sys));
	/* Out of its range, or no file: its default, from the grammar. */
	fx_write(self, "proc/mempressure/control", "set soft_margin_pct 51\n");
	ASSERT_EQ(mp_ctl_default(MEMPRESSURE_TUNABLE_SOFT_MARGIN_PCT),
		  mpd_module_soft_margin_pct(&self->d->sys));
	fx_write(self, "proc/mempressure/control", "set soft_margin_pct 0\n");
	ASSERT_EQ(0, mpd_module_soft_margin_pct(&self->d->sys));
	ASSERT_EQ(100 * MiB, mpd_excess_now(self->d, 200 * MiB, 100 * MiB));
}

/*
 * The escalation of docs/mempressured.md, step by step on the clock: a
 * soft_over starts an episode, then every grace_ms while /a stays over,
 * memory.reclaim is written the excess, memory.high is clamped at the soft
 * limit, and the leak suspect is killed; once back under, the episode
 * ends, and the clamp is undone when clamp_ms is over.
 */
TEST_F(daemon, reclaim_then_clamp_then_kill)
{
	char buf[64];
	pid_t leaker, steady;

	ASSERT_EQ(0, fx_start(self, CONF("grace_ms = 1000\nclamp_ms = 10000\nreclaim = yes\nclamp = yes\nkill = yes\n")));
	fx_cgroups(self, over, 2);
	leaker = fx_kid(self, "/a", "leaker", 150 * MiB);
	steady = fx_kid(self, "/a", "steady", 40 * MiB);
	ASSERT_LT(0, leaker);
	ASSERT_LT(0, steady);
	fx_write(self, "proc/mempressure/processes",
		 "pid comm cgroup rss_bytes leak growth60_bytes_per_sec\n"
		 "%d steady /a %llu 0 999999\n%d leaker /a %llu 1 1048576\n",
		 steady, 40 * MiB, leaker, 150 * MiB);

	fx_over(self);
	ASSERT_NE(NULL, mpd_episode_find(self->d, "/a"));
	ASSERT_EQ(MEMPRESSURED_STAGE_CALLBACKS, mpd_episode_find(self->d, "/a")->stage);
	ASSERT_NE(NULL, strstr(fx_log(self), "/a: over its soft limit (usage 209715200, soft limit 104857600, level medium): 0 callbacks"));

	/* Not before grace_ms. */
	fx_advance(self, 999);
	ASSERT_STREQ("", fx_read(self, "sys/fs/cgroup/a/memory.reclaim"));
	fx_advance(self, 1);
	ASSERT_TRUE(fx_reap(self));
	snprintf(buf, sizeof(buf), "%llu", A_EXCESS);
	ASSERT_STREQ(buf, fx_read(self, "sys/fs/cgroup/a/memory.reclaim"));
	ASSERT_EQ(MEMPRESSURED_STAGE_RECLAIMED, mpd_episode_find(self->d, "/a")->stage);
	snprintf(buf, sizeof(buf), "memory.reclaim of %llu bytes done", A_EXCESS);
	ASSERT_NE(NULL, strstr(fx_log(self), buf));

	fx_advance(self, 1000);
	ASSERT_TRUE(fx_reap(self));
	snprintf(buf, sizeof(buf), "%llu", 100 * MiB);
	ASSERT_STREQ(buf, fx_read(self, "sys/fs/cgroup/a/memory.high"));
	ASSERT_TRUE(mpd_episode_find(self->d, "/a")->clamped);
	ASSERT_NE(NULL, strstr(fx_log(self), "clamped memory.high at 104857600 (was max) for 10000 ms"));

	/* The leak suspect, not the one that grows without being one. */
	fx_advance(self, 1000);
	ASSERT_EQ(SIGKILL, fx_kid_signal(leaker, 5000));
	ASSERT_EQ(0, fx_kid_signal(steady, 10));
	ASSERT_NE(NULL, strstr(fx_log(self), "killed leak suspect leaker"));
	ASSERT_EQ(MEMPRESSURED_STAGE_DONE, mpd_episode_find(self->d, "/a")->stage);
	ASSERT_EQ(1, self->d->counters.steps[MPD_STEP_RECLAIM]);
	ASSERT_EQ(1, self->d->counters.steps[MPD_STEP_CLAMP]);
	ASSERT_EQ(1, self->d->counters.steps[MPD_STEP_KILL]);

	/* The kill's effect a grace_ms later; the clamp holds until clamp_ms. */
	fx_cgroups(self, under, 2);
	fx_advance(self, 1000);
	ASSERT_NE(NULL, strstr(fx_log(self), "1000 ms after killing leaker"));
	ASSERT_NE(NULL, mpd_episode_find(self->d, "/a"));
	snprintf(buf, sizeof(buf), "%llu", 100 * MiB);
	ASSERT_STREQ(buf, fx_read(self, "sys/fs/cgroup/a/memory.high"));
	fx_advance(self, 7999);
	ASSERT_STREQ(buf, fx_read(self, "sys/fs/cgroup/a/memory.high"));
	/* A cgroup file takes a whole write; this one would keep a longer tail. */
	fx_write(self, "sys/fs/cgroup/a/memory.high", "");
	fx_advance(self, 1);
	ASSERT_STREQ("max", fx_read(self, "sys/fs/cgroup/a/memory.high"));
	ASSERT_NE(NULL, strstr(fx_log(self), "memory.high restored to max (clamp period over)"));
	ASSERT_EQ(NULL, mpd_episode_find(self->d, "/a"));
	ASSERT_EQ(UINT64_MAX, mpd_next_due(self->d));
}

/*
 * The kill step takes only a process the module flags (the processes
 * table's leak column): not the largest, not the fastest growing, not one
 * whose cell is anything but 1, and nothing at all from a table without
 * the column.  The episode ends with no kill.
 */
TEST_F(daemon, kill_wants_a_leak_suspect)
{
	pid_t cache, batch, odd;

	ASSERT_EQ(0, fx_start(self, CONF("grace_ms = 1000\nreclaim = yes\nclamp = yes\nkill = yes\n")));
	fx_cgroups(self, over, 2);
	cache = fx_kid(self, "/a", "cache", 150 * MiB);
	batch = fx_kid(self, "/a", "batch", 40 * MiB);
	odd = fx_kid(self, "/a", "odd", 10 * MiB);
	ASSERT_LT(0, cache);
	ASSERT_LT(0, batch);
	ASSERT_LT(0, odd);
	fx_write(self, "proc/mempressure/processes",
		 "pid comm cgroup rss_bytes leak growth60_bytes_per_sec\n"
		 "%d cache /a %llu 0 4194304\n%d batch /a %llu 0 1048576\n"
		 "%d odd /a %llu - 2097152\n",
		 cache, 150 * MiB, batch, 40 * MiB, odd, 10 * MiB);

	fx_over(self);
	for (int i = 0; i < 3; i++) {
		fx_advance(self, 1000);
		ASSERT_TRUE(fx_reap(self));
	}
	ASSERT_EQ(MEMPRESSURED_STAGE_DONE, mpd_episode_find(self->d, "/a")->stage);
	ASSERT_EQ(1, self->d->counters.steps[MPD_STEP_CLAMP]);
	ASSERT_EQ(0, self->d->counters.steps[MPD_STEP_KILL]);
	ASSERT_EQ(0, fx_kid_signal(cache, 10));
	ASSERT_EQ(0, fx_kid_signal(batch, 10));
	ASSERT_EQ(0, fx_kid_signal(odd, 10));
	ASSERT_NE(NULL, strstr(fx_log(self), "still over its soft limit, but no leak suspect to kill"));
	ASSERT_EQ(NULL, strstr(fx_log(self), "killed"));
}

/* A table without the leak column (another module) names no suspect. */
TEST_F(daemon, no_leak_column_no_kill)
{
	pid_t big;

	ASSERT_EQ(0, fx_start(self, CONF("grace_ms = 1000\nkill = yes\n")));
	fx_cgroups(self, over, 2);
	big = fx_kid(self, "/a", "big", 150 * MiB);
	ASSERT_LT(0, big);
	fx_write(self, "proc/mempressure/processes",
		 "pid comm cgroup rss_bytes growth60_bytes_per_sec\n%d big /a %llu 4194304\n",
		 big, 150 * MiB);
	fx_over(self);
	for (int i = 0; i < 3; i++) {
		fx_advance(self, 1000);
		ASSERT_TRUE(fx_reap(self));
	}
	ASSERT_EQ(0, self->d->counters.steps[MPD_STEP_KILL]);
	ASSERT_EQ(0, fx_kid_signal(big, 10));
	ASSERT_NE(NULL, strstr(fx_log(self), "but no leak suspect to kill"));
}

/* A dry run decides the same steps and takes none of them. */
TEST_F(daemon, dry_run_takes_no_step)
{
	const char *log;
	pid_t leaker;

	ASSERT_EQ(0, fx_start(self, CONF("dry_run = yes\ngrace_ms = 1000\nreclaim = yes\nclamp = yes\nkill = yes\n")));
	fx_cgroups(self, over, 2);
	leaker = fx_kid(self, "/a", "leaker", 150 * MiB);
	fx_write(self, "proc/mempressure/processes",
		 "pid comm cgroup rss_bytes leak growth60_bytes_per_sec\n"
		 "%d leaker /a %llu 1 1048576\n", leaker, 150 * MiB);
	fx_over(self);
	for (int i = 0; i < 3; i++)
		fx_advance(self, 1000);
	ASSERT_EQ(NULL, self->d->children);
	ASSERT_STREQ("", fx_read(self, "sys/fs/cgroup/a/memory.reclaim"));
	ASSERT_STREQ("max", fx_read(self, "sys/fs/cgroup/a/memory.high"));
	ASSERT_EQ(0, fx_kid_signal(leaker, 10));
	log = fx_log(self);
	ASSERT_NE(NULL, strstr(log, "would reclaim 110100480 bytes through memory.reclaim"));
	ASSERT_NE(NULL, strstr(log, "would clamp memory.high at 104857600 (now max)"));
	ASSERT_NE(NULL, strstr(log, "would kill leak suspect leaker"));
	ASSERT_LT(strstr(log, "would reclaim"), strstr(log, "would clamp"));
	ASSERT_LT(strstr(log, "would clamp"), strstr(log, "would kill"));
	ASSERT_EQ(0, self->d->counters.steps[MPD_STEP_RECLAIM] +
		     self->d->counters.steps[MPD_STEP_CLAMP] +
		     self->d->counters.steps[MPD_STEP_KILL]);
	ASSERT_EQ(1, self->d->counters.dry_steps[MPD_STEP_RECLAIM]);
	ASSERT_EQ(1, self->d->counters.dry_steps[MPD_STEP_CLAMP]);
	ASSERT_EQ(1, self->d->counters.dry_steps[MPD_STEP_KILL]);
}

/* memory.high at or below the soft limit already: the clamp leaves it. */
TEST_F(daemon, clamp_never_raises_memory_high)
{
	ASSERT_EQ(0, fx_start(self, CONF("grace_ms = 1000\nreclaim = no\nclamp = yes\n")));
	fx_cgroups(self, over, 2);
	fx_write(self, "sys/fs/cgroup/a/memory.high", "50331648\n");
	fx_over(self);
	fx_advance(self, 1000);		/* reclaim: disabled */
	fx_advance(self, 1000);		/* clamp */
	ASSERT_EQ(NULL, self->d->children);
	ASSERT_STREQ("50331648", fx_read(self, "sys/fs/cgroup/a/memory.high"));
	ASSERT_NE(NULL, strstr(fx_log(self), "memory.high is 50331648, at or below it already: clamp skipped"));
	ASSERT_EQ(0, self->d->counters.steps[MPD_STEP_CLAMP]);
	ASSERT_FALSE(mpd_episode_find(self->d, "/a")->clamped);
}

/* Back under the soft limit: no further step, and the episode ends. */
TEST_F(daemon, back_under_ends_the_episode)
{
	ASSERT_EQ(0, fx_start(self, CONF("grace_ms = 1000\n")));
	fx_cgroups(self, over, 2);
	fx_over(self);
	fx_cgroups(self, under, 2);
	fx_advance(self, 1000);
	ASSERT_EQ(NULL, self->d->children);
	ASSERT_NE(NULL, strstr(fx_log(self), "/a: back under its soft limit (usage 94371840, soft limit 104857600) after callbacks"));
	fx_advance(self, 0);
	ASSERT_EQ(NULL, mpd_episode_find(self->d, "/a"));
	ASSERT_STREQ("", fx_read(self, "sys/fs/cgroup/a/memory.reclaim"));
}

/*
 * The log says what an episode did, not the stage it reached: with reclaim
 * and the clamp off, their stages pass and nothing is reclaimed or clamped.
 */
TEST_F(daemon, the_log_says_which_steps_were_taken)
{
	const char *log;

	ASSERT_EQ(0, fx_start(self, CONF("grace_ms = 1000\nreclaim = no\nclamp = no\n"
					 "[cgroup /b]\nreclaim = yes\nclamp = no\n")));
	fx_cgroups(self, (const struct cg[]){ over[0], over[1],
					      { "/b", 200 * MiB, 100 * MiB, 256 * MiB, "medium" } },
		   3);
	fx_write(self, "sys/fs/cgroup/b/memory.reclaim", "");
	fx_over(self);
	fx_event(self, "kind=soft_over cgroup=/b usage_bytes=%llu soft_limit_bytes=%llu",
		 200 * MiB, 100 * MiB);
	fx_advance(self, 1000);
	ASSERT_TRUE(fx_reap(self));
	fx_advance(self, 1000);
	ASSERT_EQ(MEMPRESSURED_STAGE_CLAMPED, mpd_episode_find(self->d, "/a")->stage);
	fx_over(self);
	fx_event(self, "kind=soft_over cgroup=/b usage_bytes=%llu soft_limit_bytes=%llu",
		 200 * MiB, 100 * MiB);
	fx_cgroups(self, (const struct cg[]){ under[0], under[1],
					      { "/b", 90 * MiB, 100 * MiB, 256 * MiB, "none" } },
		   3);
	fx_advance(self, 1000);
	log = fx_log(self);
	ASSERT_EQ(NULL, strstr(log, "during reclaimed")) TH_LOG("%s", log);
	ASSERT_EQ(NULL, strstr(log, "during clamped"));
	ASSERT_EQ(NULL, strstr(log, "after reclaimed"));
	ASSERT_EQ(NULL, strstr(log, "after clamped"));
	ASSERT_NE(NULL, strstr(log, "/a: pressure again during its episode, after callbacks (usage"));
	ASSERT_NE(NULL, strstr(log, "/a: back under its soft limit (usage 94371840, soft limit 104857600) after callbacks\n"));
	ASSERT_NE(NULL, strstr(log, "/b: pressure again during its episode, after callbacks, reclaim (usage"));
	ASSERT_NE(NULL, strstr(log, "after callbacks, reclaim\n"));
	ASSERT_EQ(1, self->d->counters.steps[MPD_STEP_RECLAIM]);
	ASSERT_EQ(0, self->d->counters.steps[MPD_STEP_CLAMP]);
}

/*
 * At its defaults the daemon only calls back: a cgroup nobody configured
 * is asked to trim and nothing more, its memory.reclaim and memory.high
 * untouched.  Where enforcement is on, it never goes below what the
 * cgroup's memory.low protects: reclaim takes the rest, the clamp stops there.
 */
TEST_F(daemon, enforcement_is_opt_in_and_spares_protection)
{
	const struct cg cgs[] = { over[0], over[1],
				  { "/b", 200 * MiB, 100 * MiB, 256 * MiB, "medium" } };
	char want[64];
	int fd;

	ASSERT_EQ(0, fx_start(self, CONF("grace_ms = 1000\n[cgroup /b]\nreclaim = yes\nclamp = yes\n")));
	fx_cgroups(self, cgs, 3);
	fx_write(self, "sys/fs/cgroup/b/memory.reclaim", "");
	fx_write(self, "sys/fs/cgroup/b/memory.high", "max\n");
	fx_write(self, "sys/fs/cgroup/b/memory.min", "0\n");
	fx_write(self, "sys/fs/cgroup/b/memory.low", "%llu\n", 150 * MiB);
	fx_proc(self, PID_A, "/a", "app", 10 * MiB);
	fd = fx_subscriber(self, PID_A, 0, "app");
	ASSERT_LE(0, fd);

	fx_over(self);
	fx_event(self, "kind=soft_over cgroup=/b usage_bytes=%llu soft_limit_bytes=%llu",
		 200 * MiB, 100 * MiB);
	fx_advance(self, 0);
	ASSERT_EQ(0, strncmp(fx_hear(fd), "msg=trim id=1 ", 14));
	fx_advance(self, 1000);		/* reclaim */
	ASSERT_TRUE(fx_reap(self));
	fx_advance(self, 1000);		/* clamp */
	ASSERT_TRUE(fx_reap(self));

	ASSERT_STREQ("", fx_read(self, "sys/fs/cgroup/a/memory.reclaim")) TH_LOG("%s", fx_log(self));
	ASSERT_STREQ("max", fx_read(self, "sys/fs/cgroup/a/memory.high"));
	/* 200 MiB used, 150 MiB of it protected: 50 MiB to take at most. */
	snprintf(want, sizeof(want), "%llu", 50 * MiB);
	ASSERT_STREQ(want, fx_read(self, "sys/fs/cgroup/b/memory.reclaim")) TH_LOG("%s", fx_log(self));
	snprintf(want, sizeof(want), "%llu", 150 * MiB);
	ASSERT_STREQ(want, fx_read(self, "sys/fs/cgroup/b/memory.high"));
	ASSERT_EQ(1, self->d->counters.steps[MPD_STEP_RECLAIM]);
	ASSERT_EQ(1, self->d->counters.steps[MPD_STEP_CLAMP]);

	/* All of it protected: neither step is taken. */
	fx_write(self, "sys/fs/cgroup/b/memory.high", "max\n");
	fx_write(self, "sys/fs/cgroup/b/memory.min", "max\n");
	mpd_episodes_free(self->d);
	fx_event(self, "kind=soft_over cgroup=/b usage_bytes=%llu soft_limit_bytes=%llu",
		 200 * MiB, 100 * MiB);
	fx_advance(self, 1000);
	fx_advance(self, 1000);
	ASSERT_EQ(NULL, self->d->children);
	ASSERT_EQ(1, self->d->counters.steps[MPD_STEP_RECLAIM]);
	ASSERT_EQ(1, self->d->counters.steps[MPD_STEP_CLAMP]);
	ASSERT_STREQ("max", fx_read(self, "sys/fs/cgroup/b/memory.high"));
	ASSERT_NE(NULL, strstr(fx_log(self), "memory.low protects 18446744073709551615 bytes of it: reclaim skipped"));
	close(fd);
}

/*
 * A signal target is pinned when it is chosen: the second of two targets,
 * a stagger_ms later, went away meanwhile and its pid now belongs to a
 * process of the same name in another cgroup, which is not signalled.
 */
TEST_F(daemon, a_staggered_signal_never_hits_a_recycled_pid)
{
	pid_t w1, w2, impostor;

	ASSERT_EQ(0, fx_start(self, CONF("stagger_ms = 100\n[signal s]\ncomm = worker\ncgroup = /a\n")));
	fx_cgroups(self, over, 2);
	w1 = fx_kid(self, "/a", "worker", 10 * MiB);
	w2 = fx_kid(self, "/a", "worker", 10 * MiB);
	ASSERT_LT(0, w1);
	ASSERT_LT(0, w2);
	fx_write(self, "proc/mempressure/processes",
		 "pid comm cgroup rss_bytes leak growth60_bytes_per_sec\n"
		 "%d worker /a %llu 0 0\n%d worker /a %llu 0 0\n", w1, 10 * MiB, w2, 10 * MiB);
	fx_over(self);
	fx_advance(self, 0);
	ASSERT_EQ(SIGUSR1, fx_kid_signal(w1, 5000)) TH_LOG("%s", fx_log(self));

	/* w2 dies before its turn; a same-named process of /b gets its pid. */
	kill(w2, SIGKILL);
	ASSERT_EQ(SIGKILL, fx_kid_signal(w2, 5000));
	impostor = fx_kid_as(self, w2);
	if (impostor < 0)
		SKIP(return, "cannot fork with a chosen pid (clone3 set_tid: %s)", strerror(errno));
	ASSERT_EQ(w2, impostor);
	fx_proc(self, impostor, "/b", "worker", 10 * MiB);
	fx_advance(self, 100);
	ASSERT_EQ(0, fx_kid_signal(impostor, 200)) TH_LOG("%s", fx_log(self));
	ASSERT_EQ(1, self->d->counters.callbacks[MPD_CB_SIGNAL]);
}

/*
 * "Helped" is measured: a leak suspect that answers every trim with
 * freed_bytes=1 while its RSS stays where it was did not help, and is the
 * one killed, not the other suspect beside it that grows more slowly.
 */
TEST_F(daemon, a_claim_without_a_fall_does_not_shield_a_suspect)
{
	pid_t liar, other;
	int fd;

	ASSERT_EQ(0, fx_start(self, CONF("grace_ms = 1000\nkill = yes\n")));
	fx_cgroups(self, over, 2);
	liar = fx_kid(self, "/a", "liar", 100 * MiB);
	other = fx_kid(self, "/a", "other", 50 * MiB);
	ASSERT_LT(0, liar);
	ASSERT_LT(0, other);
	fx_write(self, "proc/mempressure/processes",
		 "pid comm cgroup rss_bytes leak growth60_bytes_per_sec\n"
		 "%d liar /a %llu 1 2097152\n%d other /a %llu 1 1048576\n",
		 liar, 100 * MiB, other, 50 * MiB);
	fd = fx_subscriber(self, liar, 0, "liar");
	ASSERT_LE(0, fd);
	fx_over(self);
	fx_advance(self, 0);
	ASSERT_EQ(0, strncmp(fx_hear(fd), "msg=trim id=1 ", 14));
	fx_say(self, fd, "msg=trimmed id=1 freed_bytes=1");
	fx_advance(self, 500);		/* its deadline: RSS as it was */
	for (int i = 0; i < 3; i++)	/* reclaim, clamp: off; then the kill */
		fx_advance(self, 1000);
	ASSERT_EQ(SIGKILL, fx_kid_signal(liar, 5000)) TH_LOG("%s", fx_log(self));
	ASSERT_EQ(0, fx_kid_signal(other, 10));
	close(fd);
}

/*
 * Whom to ask first is each subscriber's own measured yield, not its
 * name's: a newcomer that says the name of an application that gave
 * memory back is not asked before another newcomer.
 */
TEST_F(daemon, a_borrowed_name_borrows_no_yield)
{
	int v, n, w;

	ASSERT_EQ(0, fx_start(self, CONF("grace_ms = 60000\n")));
	fx_cgroups(self, over, 2);
	fx_proc(self, PID_A, "/a", "cache", 100 * MiB);
	v = fx_subscriber(self, PID_A, 0, "cache");
	ASSERT_LE(0, v);
	fx_over(self);
	fx_advance(self, 0);
	ASSERT_EQ(0, strncmp(fx_hear(v), "msg=trim id=1 ", 14));
	fx_proc(self, PID_A, "/a", "cache", 50 * MiB);
	fx_advance(self, 500);
	ASSERT_EQ(50 * MiB, mpd_app_get(self->d, "cache")->y.measured_bytes);

	/* The one with the borrowed name came first: ties keep their order. */
	fx_proc(self, PID_B, "/a", "x", 10 * MiB);
	n = fx_subscriber(self, PID_B, 1000, "cache");
	fx_proc(self, PID_C, "/a", "web", 10 * MiB);
	w = fx_subscriber(self, PID_C, 1000, "web");
	ASSERT_LE(0, n);
	ASSERT_LE(0, w);
	fx_over(self);
	fx_advance(self, 0);
	fx_advance(self, 50);
	/* The one that gave first, then the newcomers as they come. */
	ASSERT_EQ(0, strncmp(fx_hear(v), "msg=trim ", 9));
	ASSERT_EQ(0, strncmp(fx_hear(w), "msg=trim ", 9)) TH_LOG("%s", fx_log(self));
	ASSERT_STREQ("", fx_hear(n));
	fx_advance(self, 50);
	ASSERT_EQ(0, strncmp(fx_hear(n), "msg=trim ", 9));
	close(v);
	close(n);
	close(w);
}

/*
 * A local user cannot take the daemon's connections: clients are bounded
 * per uid and in all, and one that says nothing is dropped after
 * MPD_HELLO_MS; a subscriber of another user still gets in and is asked
 * to trim, and stays while the flood is refused again.
 */
TEST_F(daemon, connections_are_bounded_and_silent_ones_dropped)
{
	int fds[8], legit, i;

	ASSERT_EQ(0, fx_start(self, CONF("")));
	self->d->limits.per_uid = 4;
	self->d->limits.max = 8;
	fx_cgroups(self, over, 2);
	for (i = 0; i < 8; i++) {
		fds[i] = fx_client(self, SOCK_SEQPACKET, PID_B, 1000 + i / 4, false);
		ASSERT_LE(0, fds[i]) TH_LOG("client %d", i);
		if (i % 4 == 3)		/* its user's cap */
			ASSERT_EQ(-1, fx_client(self, SOCK_SEQPACKET, PID_B, 1000 + i / 4, false));
	}
	ASSERT_EQ(-1, fx_client(self, SOCK_SEQPACKET, PID_A, 1002, false));	/* the cap of all */
	ASSERT_EQ(8, nr_clients(self->d));
	ASSERT_EQ(3, self->d->clients_refused);
	/* A flood is logged at 1, 2, 4... refusals. */
	ASSERT_NE(NULL, strstr(fx_log(self), "refusing a client (pid 1002, uid 1000): too many clients of its user (1 refused so far)"))
		TH_LOG("%s", fx_log(self));
	ASSERT_EQ(2, count(fx_log(self), "refusing a client"));

	/* Silent for MPD_HELLO_MS: gone, and their fds closed. */
	fx_advance(self, MPD_HELLO_MS - 1);
	ASSERT_EQ(8, nr_clients(self->d));
	fx_advance(self, 1);
	ASSERT_EQ(0, nr_clients(self->d));
	ASSERT_STREQ("EOF", fx_hear(fds[0]));
	for (i = 0; i < 8; i++)
		close(fds[i]);

	fx_proc(self, PID_A, "/a", "legit", 10 * MiB);
	legit = fx_subscriber(self, PID_A, 1002, "legit");
	ASSERT_LE(0, legit);
	for (i = 0; i < 4; i++)
		fds[i] = fx_client(self, SOCK_SEQPACKET, PID_B, 1000, false);
	ASSERT_EQ(-1, fx_client(self, SOCK_SEQPACKET, PID_B, 1000, false));
	fx_advance(self, MPD_HELLO_MS);
	ASSERT_EQ(1, nr_clients(self->d));
	fx_over(self);
	fx_advance(self, 0);
	ASSERT_EQ(0, strncmp(fx_hear(legit), "msg=trim id=1 ", 14)) TH_LOG("%s", fx_log(self));
	for (i = 0; i < 4; i++)
		close(fds[i]);
	close(legit);
}

/*
 * Out of fds, accept() fails and the connection stays queued: the daemon
 * stops watching its socket for MPD_ACCEPT_BACKOFF_MS instead of being
 * woken, and logging, at once again; then it takes the connection.
 */
TEST_F(daemon, accept_out_of_fds_backs_off)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	static char conf[512];
	int socks[256], nr = 0, spare, s, i;
	struct rlimit rl, low;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/s.sock", self->root);
	snprintf(conf, sizeof(conf), CONF("socket = %s\n"), sa.sun_path);
	ASSERT_EQ(0, fx_start(self, conf));
	ASSERT_EQ(0, mpd_clients_open(self->d));
	self->d->limits.fd_reserve = 0;		/* to reach accept()'s EMFILE */
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &rl));
	spare = dup(0);
	ASSERT_LE(0, spare);
	low = rl;
	low.rlim_cur = (rlim_t)spare + 40;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &low));

	/* Fill the table, the test's ends and the daemon's; then one queued. */
	while (nr < 256 && (s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) >= 0) {
		socks[nr++] = s;
		if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			break;
		mpd_loop_run_once(&self->d->loop, 0);
	}
	close(spare);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, s);
	socks[nr++] = s;
	ASSERT_EQ(0, connect(s, (struct sockaddr *)&sa, sizeof(sa)));
	i = nr_clients(self->d);

	for (int round = 0; round < 200; round++)
		mpd_loop_run_once(&self->d->loop, 0);
	ASSERT_EQ(1, count(fx_log(self), "accept: ")) TH_LOG("%s", fx_log(self));
	ASSERT_EQ(i, nr_clients(self->d));

	/* Room again, and the backoff over: the queued ones are taken. */
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	fx_advance(self, MPD_ACCEPT_BACKOFF_MS);
	mpd_loop_run_once(&self->d->loop, 0);
	ASSERT_LT(i, nr_clients(self->d));
	for (i = 0; i < nr; i++)
		close(socks[i]);
}

/*
 * A client is its process as pinned at accept: one whose process went
 * away, its pid now another's in another cgroup, says hello on the socket
 * (held by whoever it passed it to) and is refused, never welcomed into
 * the other cgroup.  One still running is welcomed with the cgroup it had
 * when it connected.
 */
TEST_F(daemon, a_hello_on_a_lost_pid_is_refused)
{
	int sv[2], sv2[2], pidfd, pidfd2;
	pid_t gone, live;
	const char *m;

	ASSERT_EQ(0, fx_start(self, CONF("")));
	fx_cgroups(self, over, 2);
	gone = fx_kid(self, "/a", "early", 10 * MiB);
	live = fx_kid(self, "/a", "steady", 10 * MiB);
	ASSERT_LT(0, gone);
	ASSERT_LT(0, live);
	pidfd = (int)syscall(SYS_pidfd_open, gone, 0);
	pidfd2 = (int)syscall(SYS_pidfd_open, live, 0);
	ASSERT_LE(0, pidfd);
	ASSERT_LE(0, pidfd2);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv2));
	ASSERT_NE(NULL, mpd_client_add(self->d, sv[0], gone, 0, false, pidfd));
	ASSERT_NE(NULL, mpd_client_add(self->d, sv2[0], live, 0, false, pidfd2));

	/* It exits; its pid is now a process of /b's (as /proc tells). */
	kill(gone, SIGKILL);
	ASSERT_EQ(SIGKILL, fx_kid_signal(gone, 5000));
	fx_proc(self, gone, "/b", "other", 10 * MiB);
	fx_say(self, sv[1], "msg=hello version=1 name=thief");
	m = fx_hear_all(sv[1]);
	ASSERT_EQ(NULL, strstr(m, "/b")) TH_LOG("%s", m);
	ASSERT_STREQ("msg=error reason=cgroup\nEOF\n", m);

	/* Moved since it connected: served as what it was then. */
	fx_proc(self, live, "/b", "steady", 10 * MiB);
	fx_say(self, sv2[1], "msg=hello version=1 name=steady");
	m = fx_hear(sv2[1]);
	ASSERT_EQ(0, strncmp(m, "msg=welcome ", 12));
	ASSERT_NE(NULL, strstr(m, " cgroup=/a ")) TH_LOG("%s", m);
	close(sv[1]);
	close(sv2[1]);
}

/* The system row gets callbacks and no step. */
TEST_F(daemon, the_root_gets_callbacks_only)
{
	static const struct cg full[] = { { "/", 1000 * MiB, 900 * MiB, 1024 * MiB, "medium" } };

	ASSERT_EQ(0, fx_start(self, CONF("grace_ms = 1000\n")));
	fx_cgroups(self, full, 1);
	fx_event(self, "kind=soft_over cgroup=/ usage_bytes=%llu soft_limit_bytes=%llu",
		 1000 * MiB, 900 * MiB);
	ASSERT_EQ(MEMPRESSURED_STAGE_DONE, mpd_episode_find(self->d, "/")->stage);
	fx_advance(self, 5000);
	ASSERT_EQ(NULL, mpd_episode_find(self->d, "/"));
	ASSERT_EQ(NULL, self->d->children);
}

/*
 * A subscriber over a socketpair: hello, welcomed with its cgroup, level
 * and soft limit from the tables; a soft_over brings its trim for the
 * excess; its trimmed reply and the RSS it lost make its yield figures.
 */
TEST_F(daemon, hello_trim_trimmed_and_the_yield)
{
	const char *m;
	int fd;

	ASSERT_EQ(0, fx_start(self, CONF("deadline_ms = 500\ngrace_ms = 5000\n")));
	fx_cgroups(self, over, 2);
	fx_proc(self, PID_A, "/a", "cache", 120 * MiB);
	fd = fx_client(self, SOCK_SEQPACKET, PID_A, 1000, false);
	ASSERT_LE(0, fd);
	fx_say(self, fd, "msg=hello version=1 name=cache");
	ASSERT_STREQ("msg=welcome version=1 pid=1001 cgroup=/a level=medium soft_limit_bytes=104857600",
		     fx_hear(fd));

	fx_over(self);
	ASSERT_STREQ("", fx_hear(fd));		/* stagger: at its time */
	fx_advance(self, 0);
	m = fx_hear(fd);
	ASSERT_EQ(0, strncmp(m, "msg=trim id=1 level=medium reason=soft want_bytes=110100480 deadline_ms=500 cgroup=/a pid=1001", 95)) TH_LOG("%s", m);

	/* It frees 8 MiB and says 10. */
	fx_proc(self, PID_A, "/a", "cache", 112 * MiB);
	fx_write(self, "sys/fs/cgroup/a/memory.current", "%llu\n", 192 * MiB);
	fx_say(self, fd, "msg=trimmed id=1 freed_bytes=10485760");
	ASSERT_EQ(1, mpd_app_get(self->d, "cache")->y.replies);
	fx_advance(self, 499);
	ASSERT_EQ(0, mpd_app_get(self->d, "cache")->y.measured_bytes);
	fx_advance(self, 1);
	{
		const struct mpd_app_stats *y = &mpd_app_get(self->d, "cache")->y;

		ASSERT_EQ(1, y->requests);
		ASSERT_EQ(1, y->replies);
		ASSERT_EQ(0, y->timeouts);
		ASSERT_EQ(10 * MiB, y->claimed_bytes);
		ASSERT_EQ(8 * MiB, y->measured_bytes);
		ASSERT_EQ(8 * MiB, y->cgroup_bytes_measured);
	}
	ASSERT_NE(NULL, strstr(fx_log(self), "trim 1: cache (pid 1001) claims 10485760 bytes; measured: rss 125829120 -> 117440512 (117440512 at the reply), /a memory.current 209715200 -> 201326592"));
	close(fd);
}

/*
 * A cgroup of a pod comes up in the log with its pod and container by
 * name (mpd_cgroup_desc()): where a subscriber and a systemd client
 * connect, and where an episode starts.  The kubelet's and containerd's
 * files are in the fixture tree, $MEMPRESSURE_HOST_ROOT.
 */
#define POD_UID		"3f2c1a2b-9d4e-4f60-8a1b-2c3d4e5f6a7b"
#define POD_ID		"9ab1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1"
#define POD_CG		"/kubepods/burstable/pod" POD_UID "/" POD_ID

TEST_F(daemon, log_lines_name_the_pod_and_container)
{
	static const struct cg pod[] = {
		{ "/", 1024 * MiB, 900 * MiB, 1024 * MiB, "none" },
		{ POD_CG, 200 * MiB, 100 * MiB, 256 * MiB, "medium" },
	};
	int fd, sd;

	ASSERT_EQ(0, setenv("MEMPRESSURE_HOST_ROOT", self->root, 1));
	fx_write(self, "var/log/pods/shop_web-1_" POD_UID "/cache/0.log", "");
	fx_write(self, "run/containerd/io.containerd.runtime.v2.task/k8s.io/" POD_ID "/config.json",
		 "{\"annotations\": {\"io.kubernetes.cri.container-type\": \"container\","
		 " \"io.kubernetes.cri.container-name\": \"cache\"}}\n");
	ASSERT_EQ(0, fx_start(self, CONF("")));
	fx_cgroups(self, pod, 2);
	fx_proc(self, PID_A, POD_CG, "cache", 120 * MiB);
	fx_proc(self, PID_B, "/", "init", 10 * MiB);
	fd = fx_subscriber(self, PID_A, 0, "cache");
	ASSERT_LE(0, fd);
	sd = fx_client(self, SOCK_STREAM, PID_A, 0, true);
	ASSERT_LE(0, sd);
	fx_event(self, "kind=soft_over cgroup=" POD_CG " usage_bytes=%llu soft_limit_bytes=%llu",
		 200 * MiB, 100 * MiB);
	EXPECT_NE(NULL, strstr(fx_log(self), "subscriber cache: pid 1001, cgroup " POD_CG
			       " (shop/web-1/cache)\n")) TH_LOG("%s", fx_log(self));
	EXPECT_NE(NULL, strstr(fx_log(self), "systemd client: pid 1001, cgroup " POD_CG
			       " (shop/web-1/cache)\n")) TH_LOG("%s", fx_log(self));
	EXPECT_NE(NULL, strstr(fx_log(self), POD_CG " (shop/web-1/cache): over its soft limit"))
		TH_LOG("%s", fx_log(self));
	/* A cgroup of no pod: its path alone. */
	fx_client(self, SOCK_STREAM, PID_B, 0, true);
	EXPECT_NE(NULL, strstr(fx_log(self), "systemd client: pid 1002, cgroup /\n"));
	close(sd);
	close(fd);
}

/* No reply by the deadline: a timeout, and what was measured all the same. */
TEST_F(daemon, unanswered_trim_times_out)
{
	int fd;

	ASSERT_EQ(0, fx_start(self, CONF("deadline_ms = 500\n")));
	fx_cgroups(self, over, 2);
	fx_proc(self, PID_A, "/a", "deaf", 120 * MiB);
	fd = fx_subscriber(self, PID_A, 1000, "deaf");
	ASSERT_LE(0, fd);
	fx_over(self);
	fx_advance(self, 0);
	ASSERT_EQ(0, strncmp(fx_hear(fd), "msg=trim ", 9));
	fx_advance(self, 500);
	ASSERT_EQ(1, mpd_app_get(self->d, "deaf")->y.timeouts);
	ASSERT_EQ(0, mpd_app_get(self->d, "deaf")->y.replies);
	/* A late reply is not counted. */
	fx_say(self, fd, "msg=trimmed id=1 freed_bytes=4096");
	ASSERT_EQ(0, mpd_app_get(self->d, "deaf")->y.replies);
	ASSERT_NE(NULL, strstr(fx_log(self), "trim 1: deaf (pid 1001) timed out, claims 0 bytes"));
	close(fd);
}

/*
 * A client that cannot free what it holds live says so (unmet_bytes): its
 * reply counts as one, never as a timeout, and the log and the figures say
 * what it cannot free.  A client without the key is taken as before; a
 * malformed value drops it.
 */
TEST_F(daemon, trimmed_with_unmet_bytes_is_a_reply)
{
	const struct mpd_app_stats *y;
	const char *st;
	int fd, root;

	ASSERT_EQ(0, fx_start(self, CONF("deadline_ms = 500\n")));
	fx_cgroups(self, over, 2);
	fx_proc(self, PID_A, "/a", "live", 120 * MiB);
	fd = fx_subscriber(self, PID_A, 1000, "live");
	ASSERT_LE(0, fd);
	fx_over(self);
	fx_advance(self, 0);
	ASSERT_EQ(0, strncmp(fx_hear(fd), "msg=trim id=1 ", 14));
	fx_say(self, fd, "msg=trimmed id=1 freed_bytes=0 unmet_bytes=20971520");
	fx_advance(self, 500);
	y = &mpd_app_get(self->d, "live")->y;
	ASSERT_EQ(1, y->replies);
	ASSERT_EQ(0, y->timeouts);
	ASSERT_EQ(1, y->unmet_replies);
	ASSERT_NE(NULL, strstr(fx_log(self), "trim 1: live (pid 1001) claims 0 bytes, cannot free 20971520 live; measured:")) TH_LOG("%s", fx_log(self));
	root = fx_client(self, SOCK_SEQPACKET, PID_B, 0, false);
	fx_say(self, root, "msg=status");
	st = fx_hear_all(root);
	ASSERT_NE(NULL, strstr(st, "msg=status app=live requests=1 replies=1 timeouts=0 claimed_bytes=0 ")) TH_LOG("%s", st);
	ASSERT_NE(NULL, strstr(st, " unmet_replies=1\n")) TH_LOG("%s", st);
	close(root);

	/* Not a number: malformed, and that client is dropped. */
	fx_say(self, fd, "msg=trimmed id=1 freed_bytes=0 unmet_bytes=lots");
	ASSERT_STREQ("msg=error reason=malformed\nEOF\n", fx_hear_all(fd));
	close(fd);
}

/*
 * Isolation: a subscriber hears the level of its own cgroup only, one with
 * scope=all of every cgroup; a malformed message or a bad version drops
 * that client alone, saying why.
 */
TEST_F(daemon, subscribers_hear_their_own_cgroup_and_bad_ones_are_dropped)
{
	static const struct cg two[] = {
		{ "/", 1024 * MiB, 900 * MiB, 1024 * MiB, "none" },
		{ "/a", 60 * MiB, 100 * MiB, 256 * MiB, "low" },
		{ "/b", 10 * MiB, 100 * MiB, 256 * MiB, "none" },
	};
	int a, b, all, bad, old;

	ASSERT_EQ(0, fx_start(self, CONF("")));
	fx_cgroups(self, two, 3);
	fx_proc(self, PID_A, "/a", "a", MiB);
	fx_proc(self, PID_B, "/b", "b", MiB);
	a = fx_client(self, SOCK_SEQPACKET, PID_A, 1000, false);
	b = fx_client(self, SOCK_SEQPACKET, PID_B, 1000, false);
	all = fx_client(self, SOCK_SEQPACKET, PID_B, 0, false);
	bad = fx_client(self, SOCK_SEQPACKET, PID_B, 1000, false);
	old = fx_client(self, SOCK_SEQPACKET, PID_B, 1000, false);
	fx_say(self, a, "msg=hello version=1 name=a");
	fx_say(self, b, "msg=hello version=1 name=b");
	fx_say(self, all, "msg=hello version=1 name=all scope=all");
	fx_hear(a);
	fx_hear(b);
	ASSERT_NE(NULL, strstr(fx_hear(all), "msg=welcome"));

	fx_say(self, bad, "msg=hello version=1 name=x oops");
	ASSERT_STREQ("msg=error reason=malformed\nEOF\n", fx_hear_all(bad));
	fx_say(self, old, "msg=hello version=2 name=y");
	ASSERT_STREQ("msg=error reason=version\nEOF\n", fx_hear_all(old));

	fx_event(self, "kind=level cgroup=/a level=low old_level=none reason=usage usage_bytes=%llu limit_bytes=%llu",
		 60 * MiB, 256 * MiB);
	ASSERT_STREQ("msg=level cgroup=/a level=low old_level=none reason=usage soft_limit_bytes=104857600\n",
		     fx_hear_all(a));
	ASSERT_STREQ("", fx_hear_all(b));
	ASSERT_STREQ("msg=level cgroup=/a level=low old_level=none reason=usage soft_limit_bytes=104857600\n",
		     fx_hear_all(all));
	ASSERT_EQ(3, nr_clients(self->d));
	close(a);
	close(b);
	close(all);
	close(bad);
	close(old);
}

/*
 * A client that is not root gets no scope=all and no status; the status
 * of root has the daemon's records: itself, the episodes, the
 * applications, the last actions, the subscribers.
 */
TEST_F(daemon, status_is_for_root)
{
	const char *st;
	int nobody, sub, root;

	ASSERT_EQ(0, fx_start(self, CONF("")));
	fx_cgroups(self, over, 2);
	fx_proc(self, PID_A, "/a", "x", MiB);
	nobody = fx_client(self, SOCK_SEQPACKET, PID_A, 65534, false);
	fx_say(self, nobody, "msg=hello version=1 name=nosy scope=all");
	ASSERT_STREQ("msg=error reason=permission\nEOF\n", fx_hear_all(nobody));
	close(nobody);
	nobody = fx_client(self, SOCK_SEQPACKET, PID_A, 65534, false);
	fx_say(self, nobody, "msg=status");
	ASSERT_STREQ("msg=error reason=permission\nEOF\n", fx_hear_all(nobody));

	sub = fx_client(self, SOCK_SEQPACKET, PID_A, 65534, false);
	fx_say(self, sub, "msg=hello version=1 name=plain");
	ASSERT_NE(NULL, strstr(fx_hear(sub), "msg=welcome version=1 pid=1001 cgroup=/a "));
	fx_over(self);
	root = fx_client(self, SOCK_SEQPACKET, PID_B, 0, false);
	fx_say(self, root, "msg=status");
	st = fx_hear_all(root);
	ASSERT_NE(NULL, strstr(st, "msg=status module=absent events=1 events_lost=0 systemd_clients=0\n")) TH_LOG("%s", st);
	ASSERT_NE(NULL, strstr(st, "msg=status cgroup=/a stage=callbacks clamped=no soft_limit_bytes=104857600\n"));
	ASSERT_NE(NULL, strstr(st, "msg=status app=plain requests=0 replies=0 timeouts=0 claimed_bytes=0 measured_bytes=0 cgroup_bytes_measured=0 unmet_replies=0\n"));
	ASSERT_NE(NULL, strstr(st, "msg=status action=/a:\\040over\\040its\\040soft\\040limit"));
	ASSERT_NE(NULL, strstr(st, "msg=status subscriber=plain pid=1001 cgroup=/a dropped=0\n"));
	ASSERT_NE(NULL, strstr(st, "msg=end\n"));
	close(nobody);
	close(sub);
	close(root);
}

/* The callbacks of one round are stagger_ms apart, in consecutive ids. */
TEST_F(daemon, callbacks_are_staggered)
{
	int a, b;
	const char *m;

	ASSERT_EQ(0, fx_start(self, CONF("stagger_ms = 400\ndeadline_ms = 300\n")));
	fx_cgroups(self, over, 2);
	fx_proc(self, PID_A, "/a", "first", 60 * MiB);
	fx_proc(self, PID_B, "/a", "second", 60 * MiB);
	a = fx_subscriber(self, PID_A, 0, "first");
	b = fx_subscriber(self, PID_B, 0, "second");
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	fx_over(self);
	fx_advance(self, 0);
	m = fx_hear_all(a);
	if (!*m) {		/* the order is the yields', equal here: either first */
		int t = a;

		a = b;
		b = t;
		m = fx_hear_all(a);
	}
	ASSERT_EQ(0, strncmp(m, "msg=trim id=1 ", 14)) TH_LOG("%s", m);
	/* Half the share each: their RSS is equal. */
	ASSERT_EQ(mpd_page_round(A_EXCESS / 2, PAGE), (uint64_t)msg_num(m, "want_bytes"));
	fx_advance(self, 399);
	ASSERT_STREQ("", fx_hear_all(b));
	fx_advance(self, 1);
	ASSERT_EQ(0, strncmp(fx_hear(b), "msg=trim id=2 ", 14));
	close(a);
	close(b);
}

#define PEND_CONF \
	CONF("deadline_ms = 15000\nstagger_ms = 20\ngrace_ms = 1000\n" \
	     "[cgroup /a]\ntrim_level = low\nreclaim = no\nclamp = no\n")

/*
 * An answered trim does not hide its subscriber from the next round: asked
 * at low (trim_level here) and answered, it is asked again when the cgroup
 * goes over its soft limit, at once, well before the first deadline.
 */
TEST_F(daemon, answered_trim_does_not_hide_a_new_round)
{
	int fd;

	ASSERT_EQ(0, fx_start(self, PEND_CONF));
	fx_cgroups(self, over, 2);
	fx_proc(self, PID_A, "/a", "answers", 20 * MiB);
	fd = fx_subscriber(self, PID_A, 0, "answers");
	ASSERT_LE(0, fd);
	fx_event(self, "kind=level cgroup=/a level=low old_level=none reason=usage usage_bytes=%llu limit_bytes=%llu",
		 200 * MiB, 256 * MiB);
	fx_advance(self, 0);
	ASSERT_NE(NULL, strstr(fx_hear_all(fd), "msg=trim id=1 level=medium reason=level "));
	fx_say(self, fd, "msg=trimmed id=1 freed_bytes=4096");
	fx_advance(self, 100);
	fx_over(self);
	fx_advance(self, 0);
	ASSERT_NE(NULL, strstr(fx_hear_all(fd), "msg=trim id=2 level=medium reason=soft "));
	/* The first is measured at its deadline only. */
	ASSERT_EQ(NULL, strstr(fx_log(self), "trim 1: answers (pid"));
	close(fd);
}

/*
 * An unanswered trim does not hide its subscriber from a round of another
 * reason: over its own soft limit it is asked (reason=soft) and stays
 * silent; its cgroup then reaches low, and that round's trim (reason=level)
 * comes at the first one's deadline, not before and not never.
 */
TEST_F(daemon, unanswered_trim_gets_a_follow_up)
{
	int fd;

	ASSERT_EQ(0, fx_start(self, PEND_CONF));
	fx_cgroups(self, over, 2);
	fx_proc(self, PID_A, "/a", "silent", 20 * MiB);
	fd = fx_subscriber(self, PID_A, 0, "silent");
	ASSERT_LE(0, fd);
	fx_event(self, "kind=soft_over pid=%d comm=silent cgroup=/a usage_bytes=%llu soft_limit_bytes=%llu",
		 PID_A, 20 * MiB, 4 * MiB);
	ASSERT_EQ(NULL, mpd_episode_find(self->d, "/a"));	/* a process's: no episode */
	fx_advance(self, 0);
	ASSERT_NE(NULL, strstr(fx_hear_all(fd), "msg=trim id=1 level=medium reason=soft want_bytes=16777216 "));
	fx_advance(self, 1000);
	fx_event(self, "kind=level cgroup=/a level=low old_level=none reason=usage usage_bytes=%llu limit_bytes=%llu",
		 200 * MiB, 256 * MiB);
	ASSERT_NE(NULL, strstr(fx_log(self), "trim 2: silent (pid 1001) has a trim of another reason unanswered: asking (reason level) at its deadline, in 14000 ms"));
	fx_advance(self, 13999);
	ASSERT_EQ(NULL, strstr(fx_hear_all(fd), "msg=trim"));
	fx_advance(self, 1);
	ASSERT_NE(NULL, strstr(fx_hear_all(fd), "msg=trim id=2 level=medium reason=level "));
	close(fd);
}

/*
 * Below trim_level a [signal] target acts alone: at low the process named
 * by cgroup and comm gets its signal, a subscriber beside it no trim, and
 * another process of the cgroup nothing.
 */
TEST_F(daemon, below_trim_level_only_targets_act)
{
	pid_t target, other;
	int fd;

	ASSERT_EQ(0, fx_start(self, CONF("[cgroup /a]\nreclaim = no\nclamp = no\n"
					 "[signal lowsig]\ncgroup = /a\ncomm = lowt\n"
					 "signal = SIGUSR1\nlevel = low\n")));
	fx_cgroups(self, over, 2);
	target = fx_kid(self, "/a", "lowt", 10 * MiB);
	other = fx_kid(self, "/a", "other", 10 * MiB);
	fx_write(self, "proc/mempressure/processes",
		 "pid comm cgroup rss_bytes leak growth60_bytes_per_sec\n"
		 "%d lowt /a %llu 0 0\n%d other /a %llu 0 0\n", target, 10 * MiB, other, 10 * MiB);
	fx_proc(self, PID_A, "/a", "quiet", 10 * MiB);
	fd = fx_subscriber(self, PID_A, 0, "quiet");
	ASSERT_LE(0, fd);
	fx_event(self, "kind=level cgroup=/a level=low old_level=none reason=usage usage_bytes=%llu limit_bytes=%llu",
		 80 * MiB, 256 * MiB);
	fx_advance(self, 0);
	ASSERT_EQ(SIGUSR1, fx_kid_signal(target, 5000));
	ASSERT_EQ(0, fx_kid_signal(other, 10));
	ASSERT_STREQ("msg=level cgroup=/a level=low old_level=none reason=usage soft_limit_bytes=104857600\n",
		     fx_hear_all(fd));
	ASSERT_NE(NULL, strstr(fx_log(self), "signal lowsig: sent signal 10 to lowt"));
	ASSERT_EQ(1, self->d->counters.callbacks[MPD_CB_SIGNAL]);
	ASSERT_EQ(0, self->d->counters.callbacks[MPD_CB_TRIM]);
	/* Measured a deadline later, under its section's name. */
	fx_advance(self, 500);
	ASSERT_EQ(1, mpd_app_get(self->d, "signal:lowsig")->y.requests);
	close(fd);
}

/* A hook runs with its environment; in a dry run it does not run at all. */
TEST_F(daemon, hook_runs_with_its_environment)
{
	char conf[512], script[128], out[160];

	snprintf(script, sizeof(script), "%s/hook.sh", self->root);
	snprintf(out, sizeof(out), "%s/hook.out", self->root);
	fx_write(self, "hook.sh", "#!/bin/sh\nenv > %s\n", out);
	ASSERT_EQ(0, chmod(script, 0755));
	snprintf(conf, sizeof(conf), CONF("[hook h]\ncommand = %s\ncgroup = /a\nlevel = medium\n"),
		 script);
	ASSERT_EQ(0, fx_start(self, conf));
	fx_cgroups(self, over, 2);
	fx_event(self, "kind=level cgroup=/a level=medium old_level=low reason=usage usage_bytes=%llu limit_bytes=%llu",
		 200 * MiB, 256 * MiB);
	fx_advance(self, 0);
	ASSERT_NE(NULL, self->d->children);
	ASSERT_TRUE(fx_reap(self));
	ASSERT_NE(NULL, strstr(fx_log(self), "hook h: started"));
	ASSERT_NE(NULL, strstr(fx_log(self), "exited with 0"));
	{
		char *env;
		size_t len;

		ASSERT_EQ(0, mp_read_file(out, &env, &len));
		ASSERT_NE(NULL, strstr(env, "MEMPRESSURE_LEVEL=medium\n"));
		ASSERT_NE(NULL, strstr(env, "MEMPRESSURE_CGROUP=/a\n"));
		ASSERT_NE(NULL, strstr(env, "MEMPRESSURE_REASON=level\n"));
		ASSERT_NE(NULL, strstr(env, "MEMPRESSURE_WANT_BYTES=110100480\n"));
		free(env);
	}
}

/*
 * A dry run with a subscriber, a kill, a signal and a hook: the log says
 * what it would do, and none of it happens: no trim arrives, the process
 * lives, the hook leaves no file, memory.high stays max.
 */
TEST_F(daemon, dry_run_kills_signals_and_runs_nothing)
{
	char conf[512], script[128], out[160];
	const char *log;
	pid_t leaker;
	int fd;

	snprintf(script, sizeof(script), "%s/hook.sh", self->root);
	snprintf(out, sizeof(out), "%s/hook.out", self->root);
	fx_write(self, "hook.sh", "#!/bin/sh\ntouch %s\n", out);
	ASSERT_EQ(0, chmod(script, 0755));
	snprintf(conf, sizeof(conf),
		 CONF("dry_run = yes\ngrace_ms = 1000\nreclaim = yes\nclamp = yes\nkill = yes\n"
		      "[signal s]\ncomm = leaker\n[hook h]\ncommand = %s\ncgroup = /a\n"), script);
	ASSERT_EQ(0, fx_start(self, conf));
	fx_cgroups(self, over, 2);
	leaker = fx_kid(self, "/a", "leaker", 150 * MiB);
	fx_write(self, "proc/mempressure/processes",
		 "pid comm cgroup rss_bytes leak growth60_bytes_per_sec\n"
		 "%d leaker /a %llu 1 1048576\n", leaker, 150 * MiB);
	fx_proc(self, PID_A, "/a", "cache", 40 * MiB);
	fd = fx_subscriber(self, PID_A, 0, "cache");
	ASSERT_LE(0, fd);
	fx_event(self, "kind=level cgroup=/a level=medium old_level=low reason=usage usage_bytes=%llu limit_bytes=%llu",
		 200 * MiB, 256 * MiB);
	for (int i = 0; i < 4; i++)
		fx_advance(self, 1000);
	ASSERT_EQ(0, fx_kid_signal(leaker, 10));
	ASSERT_EQ(NULL, self->d->children);
	ASSERT_NE(0, access(out, F_OK));
	ASSERT_STREQ("max", fx_read(self, "sys/fs/cgroup/a/memory.high"));
	ASSERT_EQ(NULL, strstr(fx_hear_all(fd), "msg=trim"));
	close(fd);
	log = fx_log(self);
	ASSERT_NE(NULL, strstr(log, "would ask cache (pid 1001) in /a"));
	ASSERT_NE(NULL, strstr(log, "would clamp memory.high"));
	ASSERT_NE(NULL, strstr(log, "would send signal 10 to leaker"));
	ASSERT_NE(NULL, strstr(log, "would run hook h"));
	ASSERT_NE(NULL, strstr(log, "would kill leak suspect leaker"));
	ASSERT_EQ(1, self->d->counters.dry_callbacks[MPD_CB_SIGNAL]);
	ASSERT_EQ(1, self->d->counters.dry_callbacks[MPD_CB_HOOK]);
	ASSERT_EQ(0, self->d->counters.callbacks[MPD_CB_SIGNAL] +
		     self->d->counters.callbacks[MPD_CB_HOOK]);
}

/*
 * A leak: the suspect alone is asked (reason=leak) for its cgroup's
 * excess; a subscriber beside it is not.
 */
TEST_F(daemon, a_leak_asks_the_suspect_alone)
{
	int grower, steady;

	ASSERT_EQ(0, fx_start(self, CONF("")));
	fx_cgroups(self, over, 2);
	fx_proc(self, PID_A, "/a", "grower", 100 * MiB);
	fx_proc(self, PID_B, "/a", "steady", 10 * MiB);
	grower = fx_subscriber(self, PID_A, 0, "grower");
	steady = fx_subscriber(self, PID_B, 0, "steady");
	ASSERT_LE(0, grower);
	ASSERT_LE(0, steady);
	fx_event(self, "kind=leak_suspected pid=%d comm=grower cgroup=/a rss_bytes=%llu growth_bytes_per_sec=1048576 time_to_limit_sec=60",
		 PID_A, 100 * MiB);
	fx_advance(self, 0);
	ASSERT_NE(NULL, strstr(fx_hear_all(grower), "msg=trim id=1 level=medium reason=leak want_bytes=110100480 "));
	ASSERT_STREQ("", fx_hear_all(steady));
	close(grower);
	close(steady);
}

/*
 * What a client or a process named cannot forge a line of the log: a
 * hello name with "\012" (a newline, decoded), comms with a newline in
 * the processes table and in a leak event, and a cgroup path with one,
 * each followed by what would pass for a line of the daemon's own.  Every
 * line of the log keeps its priority, and each name shows escaped as the
 * tables escape it.
 */
TEST_F(daemon, names_in_the_log_are_escaped)
{
	const char *log;
	pid_t kid;
	int fd;

	ASSERT_EQ(0, fx_start(self, CONF("[cgroup /a]\nreclaim = no\nclamp = no\n"
					 "[signal s]\ncgroup = /a\nlevel = medium\n")));
	fx_cgroups(self, over, 2);
	/* /proc/PID/comm ends in a newline of its own. */
	kid = fx_kid(self, "/a", "k\n<2>forged comm", 10 * MiB);
	ASSERT_LT(0, kid);
	fx_write(self, "proc/mempressure/processes",
		 "pid comm cgroup rss_bytes leak growth60_bytes_per_sec\n"
		 "%d k\\012<2>forged\\040comm /a %llu 0 0\n", kid, 10 * MiB);
	fx_proc(self, PID_A, "/a", "x", 10 * MiB);
	fd = fx_client(self, SOCK_SEQPACKET, PID_A, 0, false);
	ASSERT_LE(0, fd);
	fx_say(self, fd, "msg=hello version=1 name=evil\\012<2>mempressured:\\040forged\\040hello");
	ASSERT_NE(NULL, strstr(fx_hear(fd), "msg=welcome "));
	fx_event(self, "kind=leak_suspected pid=%d comm=l\\012<2>forged\\040leak cgroup=/a rss_bytes=%llu growth_bytes_per_sec=1048576 time_to_limit_sec=60",
		 PID_A, 10 * MiB);
	fx_event(self, "kind=soft_over cgroup=/c\\012<2>forged\\040cgroup usage_bytes=%llu soft_limit_bytes=%llu",
		 200 * MiB, 100 * MiB);
	fx_event(self, "kind=level cgroup=/a level=medium old_level=low reason=usage usage_bytes=%llu limit_bytes=%llu",
		 200 * MiB, 256 * MiB);
	fx_advance(self, 0);
	fx_advance(self, 1000);
	log = fx_log(self);
	/* The daemon never logs at <2>: each such line would be forged. */
	ASSERT_EQ(NULL, strstr(log, "\n<2>")) TH_LOG("%s", log);
	ASSERT_EQ(NULL, unprefixed_line(log)) TH_LOG("%s", log);
	ASSERT_NE(NULL, strstr(log, "subscriber evil\\012<2>mempressured:\\040forged\\040hello: pid 1001"))
		TH_LOG("%s", log);
	ASSERT_NE(NULL, strstr(log, "to k\\012<2>forged\\040comm (pid ")) TH_LOG("%s", log);
	ASSERT_NE(NULL, strstr(log, "l\\012<2>forged\\040leak (pid 1001) suspected of leaking"))
		TH_LOG("%s", log);
	ASSERT_NE(NULL, strstr(log, "/c\\012<2>forged\\040cgroup: not in the cgroups table"))
		TH_LOG("%s", log);
	/* The comm read back from /proc is the whole name, newline and all. */
	ASSERT_EQ(SIGUSR1, fx_kid_signal(kid, 5000));
	close(fd);
}

/* "/a" and then @n directories of @len bytes: "yyy...", the last "zzz...". */
static const char *long_path(char *buf, int n, int len)
{
	size_t o = (size_t)sprintf(buf, "/a");

	for (int i = 0; i < n; i++) {
		buf[o++] = '/';
		memset(buf + o, i == n - 1 ? 'z' : 'y', (size_t)len);
		o += (size_t)len;
	}
	buf[o] = '\0';
	return buf;
}

/*
 * Cgroup paths as long as the kernel makes them: one of 640 bytes (past
 * the 512 the daemon once kept) has its subscriber welcomed and trimmed
 * with the whole path, its episode found and its memory.reclaim written;
 * one of 4,000 bytes, whose file path under the cgroup root is longer
 * than PATH_MAX, has its memory.reclaim written too, and its subscriber,
 * whose path no message of the protocol can hold, is refused, saying so.
 */
TEST_F(daemon, long_cgroup_paths_are_served_whole)
{
	static char longp[1024], hugep[4200], conf[16384], file[8192], want[64];
	struct cg cgs[3] = { over[0] };
	const char *m;
	int fd, fd2;

	long_path(longp, 3, 212);
	long_path(hugep, 16, 249);
	ASSERT_LT(512, strlen(longp));
	ASSERT_LT(4000, strlen(hugep));
	ASSERT_GT(PATH_MAX, strlen(hugep));
	snprintf(conf, sizeof(conf),
		 CONF("grace_ms = 1000\n[cgroup %s]\nreclaim = yes\nclamp = no\n"
		      "[cgroup %s]\nreclaim = yes\nclamp = no\n"), longp, hugep);
	ASSERT_EQ(0, fx_start(self, conf));
	cgs[1] = over[1];
	cgs[1].path = longp;
	cgs[2] = over[1];
	cgs[2].path = hugep;
	fx_cgroups(self, cgs, 3);
	snprintf(file, sizeof(file), "sys/fs/cgroup%s/memory.reclaim", longp);
	fx_write(self, file, "");
	snprintf(file, sizeof(file), "sys/fs/cgroup%s/memory.reclaim", hugep);
	fx_write(self, file, "");
	ASSERT_STREQ("", fx_read(self, file));

	fx_proc(self, PID_A, longp, "longcg", 10 * MiB);
	fd = fx_client(self, SOCK_SEQPACKET, PID_A, 0, false);
	ASSERT_LE(0, fd);
	fx_say(self, fd, "msg=hello version=1 name=longcg");
	m = fx_hear(fd);
	ASSERT_EQ(0, strncmp(m, "msg=welcome ", 12)) TH_LOG("%s\n%s", m, fx_log(self));
	ASSERT_NE(NULL, strstr(m, longp));
	fx_event(self, "kind=soft_over cgroup=%s usage_bytes=%llu soft_limit_bytes=%llu", longp,
		 200 * MiB, 100 * MiB);
	ASSERT_NE(NULL, mpd_episode_find(self->d, longp));
	fx_advance(self, 0);
	m = fx_hear(fd);
	ASSERT_EQ(0, strncmp(m, "msg=trim id=1 ", 14)) TH_LOG("%s", m);
	ASSERT_NE(NULL, strstr(m, longp));

	/* The file path of this one is past PATH_MAX under the fixture's root. */
	fx_event(self, "kind=soft_over cgroup=%s usage_bytes=%llu soft_limit_bytes=%llu", hugep,
		 200 * MiB, 100 * MiB);
	ASSERT_NE(NULL, mpd_episode_find(self->d, hugep));
	/* The first episode's callback was a stagger_ms long. */
	fx_advance(self, 1050);
	ASSERT_TRUE(fx_reap(self));
	snprintf(want, sizeof(want), "%llu", A_EXCESS);
	snprintf(file, sizeof(file), "sys/fs/cgroup%s/memory.reclaim", longp);
	ASSERT_STREQ(want, fx_read(self, file)) TH_LOG("%s", fx_log(self));
	snprintf(file, sizeof(file), "sys/fs/cgroup%s/memory.reclaim", hugep);
	ASSERT_STREQ(want, fx_read(self, file)) TH_LOG("%s", fx_log(self));
	ASSERT_EQ(2, self->d->counters.steps[MPD_STEP_RECLAIM]);

	/* No message of the protocol holds this path: refused, loudly. */
	fx_proc(self, PID_B, hugep, "hugecg", 10 * MiB);
	fd2 = fx_client(self, SOCK_SEQPACKET, PID_B, 0, false);
	ASSERT_LE(0, fd2);
	fx_say(self, fd2, "msg=hello version=1 name=hugecg");
	ASSERT_STREQ("msg=error reason=cgroup\nEOF\n", fx_hear_all(fd2));
	ASSERT_NE(NULL, strstr(fx_log(self), "does not fit in a message of the protocol"))
		TH_LOG("%s", fx_log(self));
	close(fd);
	close(fd2);
}

/*
 * A client whose queue is full loses messages, counted, and the daemon
 * serves the others; one that goes away is forgotten, its trim a timeout.
 */
TEST_F(daemon, deaf_and_dead_clients_do_not_stall_the_others)
{
	int deaf, dead, alive, size = 4096;
	const char *st;

	ASSERT_EQ(0, fx_start(self, CONF("deadline_ms = 500\n")));
	fx_cgroups(self, over, 2);
	fx_proc(self, PID_A, "/a", "x", 10 * MiB);
	fx_proc(self, PID_B, "/a", "y", 10 * MiB);
	deaf = fx_client(self, SOCK_SEQPACKET, PID_A, 0, false);
	dead = fx_client(self, SOCK_SEQPACKET, PID_B, 0, false);
	alive = fx_client(self, SOCK_SEQPACKET, PID_B, 0, false);
	ASSERT_EQ(0, setsockopt(deaf, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)));
	fx_say(self, deaf, "msg=hello version=1 name=deaf");
	fx_say(self, dead, "msg=hello version=1 name=dead");
	fx_say(self, alive, "msg=hello version=1 name=alive");
	fx_hear(alive);
	fx_hear(dead);
	/* The deaf one asks for the status, again and again, never reading. */
	for (int i = 0; i < 200; i++)
		fx_say(self, deaf, "msg=status");
	ASSERT_LT(0, self->d->clients->dropped + self->d->clients->next->dropped +
		     self->d->clients->next->next->dropped);
	fx_over(self);
	fx_advance(self, 0);
	fx_advance(self, 100);
	close(dead);
	mpd_loop_run_once(&self->d->loop, 0);
	ASSERT_NE(NULL, strstr(fx_hear_all(alive), "msg=trim "));
	fx_advance(self, 500);
	ASSERT_EQ(1, mpd_app_get(self->d, "dead")->y.timeouts);
	fx_say(self, alive, "msg=status");
	st = fx_hear_all(alive);
	ASSERT_EQ(NULL, strstr(st, "subscriber=dead"));
	ASSERT_NE(NULL, strstr(st, "subscriber=alive"));
	close(deaf);
	close(alive);
}

/*
 * systemd's protocol: a client of the stream socket is woken (one byte) when
 * its cgroup reaches systemd_level, not before, and not for another cgroup.
 */
TEST_F(daemon, systemd_clients_are_woken_at_their_level)
{
	char byte;
	int fd;

	ASSERT_EQ(0, fx_start(self, CONF("")));
	fx_cgroups(self, over, 2);
	fx_proc(self, PID_A, "/a", "sdsvc", 10 * MiB);
	fd = fx_client(self, SOCK_STREAM, PID_A, 0, true);
	ASSERT_LE(0, fd);
	fx_event(self, "kind=level cgroup=/a level=low old_level=none reason=usage usage_bytes=%llu limit_bytes=%llu",
		 80 * MiB, 256 * MiB);
	fx_event(self, "kind=level cgroup=/b level=critical old_level=none reason=usage usage_bytes=%llu limit_bytes=%llu",
		 80 * MiB, 256 * MiB);
	ASSERT_EQ(-1, recv(fd, &byte, 1, MSG_DONTWAIT));
	fx_event(self, "kind=level cgroup=/a level=medium old_level=low reason=usage usage_bytes=%llu limit_bytes=%llu",
		 90 * MiB, 256 * MiB);
	ASSERT_EQ(1, recv(fd, &byte, 1, MSG_DONTWAIT));
	ASSERT_EQ('\n', byte);
	ASSERT_EQ(1, self->d->counters.callbacks[MPD_CB_SYSTEMD]);
	/* Measured, under its command's name. */
	fx_advance(self, 500);
	ASSERT_EQ(1, mpd_app_get(self->d, "systemd:sdsvc")->y.requests);
	/* What it writes is discarded; its end drops it. */
	ASSERT_EQ(2, write(fd, "x\n", 2));
	mpd_loop_run_once(&self->d->loop, 0);
	ASSERT_NE(NULL, self->d->clients);
	close(fd);
	mpd_loop_run_once(&self->d->loop, 0);
	ASSERT_EQ(NULL, self->d->clients);
}

/*
 * A module of another ABI is refused, saying so, and its events are not
 * read; after the module "upgraded", a reload opens them at once.
 */
TEST_F(daemon, unknown_abi_is_refused)
{
	char fifo[128];

	ASSERT_EQ(0, fx_start(self, CONF("")));
	ASSERT_EQ(0, mpd_events_init(self->d));
	snprintf(fifo, sizeof(fifo), "%s/proc/mempressure/events", self->root);
	ASSERT_EQ(0, mkfifo(fifo, 0644));	/* pollable, as the module's */
	fx_write(self, "proc/mempressure/status", "%s 99\n",
		 mp_status_keys[MEMPRESSURE_STATUS_ABI_VERSION]);
	mpd_events_open(self->d);
	ASSERT_GT(0, self->d->events.fd);
	ASSERT_NE(NULL, strstr(fx_log(self), "the module speaks ABI version 99, this daemon only 1; retrying in 30 s"));
	fx_write(self, "proc/mempressure/status", "%s 1\n",
		 mp_status_keys[MEMPRESSURE_STATUS_ABI_VERSION]);
	self->d->config_path = "/nonexistent/mempressured.conf";
	mpd_reload(self->d);
	ASSERT_LE(0, self->d->events.fd);
	ASSERT_NE(NULL, strstr(fx_log(self), "reading the module's events (ABI 1)"));
}

/* No module: said once, and retried with a backoff up to 30 s. */
TEST_F(daemon, absent_module_is_retried_with_a_backoff)
{
	ASSERT_EQ(0, fx_start(self, CONF("")));
	ASSERT_EQ(0, mpd_events_init(self->d));
	for (int i = 0; i < 8; i++)
		mpd_events_open(self->d);
	ASSERT_EQ(MPD_BACKOFF_MAX_MS, self->d->backoff_ms);
	ASSERT_EQ(1, count(fx_log(self), "is mempressure.ko loaded?"));
}

/*
 * A name the log shows escaped as the tables escape it, cut with "..."
 * when it does not fit; and whatever control byte reaches a line unescaped
 * shows as its escape too: one line stays one line.
 */
TEST(a_log_line_is_one_line)
{
	char buf[32], path[] = "/tmp/test_daemon_log.XXXXXX", line[256];
	int fd = mkstemp(path);
	ssize_t n;

	ASSERT_LE(0, fd);
	ASSERT_STREQ("a\\040b\\012c\\134\\033", mpd_log_escape("a b\nc\\\033", buf, sizeof(buf)));
	ASSERT_STREQ("abcdefghijkl...", mpd_log_escape("abcdefghijklmnopq", buf, 16));
	ASSERT_STREQ("ab\\040...", mpd_log_escape("ab cdefghijklmnopq", buf, 10));
	mpd_log_set_fd(fd);
	mpd_log(MPD_LOG_INFO, "one %s two\r\n<2>three", "x\ny");
	mpd_log_set_fd(STDERR_FILENO);
	n = pread(fd, line, sizeof(line) - 1, 0);
	ASSERT_LT(0, n);
	line[n] = '\0';
	ASSERT_STREQ("<6>one x\\012y two\\015\\012<2>three\n", line);
	close(fd);
	unlink(path);
}

/* Handlers of the loop: one freed by an earlier handler of its round is not called. */
struct pair {
	struct mpd_io io[2];
	struct mpd_loop *loop;
	int calls[2];
};

static struct pair *the_pair;

static void pair_handler(struct mpd_io *io, uint32_t events)
{
	int i = io == &the_pair->io[1];

	(void)events;
	the_pair->calls[i]++;
	/* Whichever comes first removes the other. */
	close(mpd_loop_del(the_pair->loop, &the_pair->io[!i]));
}

TEST(a_handler_removed_in_its_round_is_not_called)
{
	struct mpd_loop loop;
	struct pair p = { .loop = &loop };
	int a[2], b[2];

	the_pair = &p;
	ASSERT_EQ(0, mpd_loop_init(&loop));
	ASSERT_EQ(0, pipe(a));
	ASSERT_EQ(0, pipe(b));
	ASSERT_EQ(0, mpd_loop_add(&loop, &p.io[0], a[0], EPOLLIN, pair_handler));
	ASSERT_EQ(0, mpd_loop_add(&loop, &p.io[1], b[0], EPOLLIN, pair_handler));
	ASSERT_EQ(1, write(a[1], "x", 1));
	ASSERT_EQ(1, write(b[1], "x", 1));
	ASSERT_EQ(0, mpd_loop_run_once(&loop, 1000));
	ASSERT_EQ(1, p.calls[0] + p.calls[1]);
	ASSERT_TRUE(p.io[0].fd < 0 || p.io[1].fd < 0);
	close(mpd_loop_del(&loop, &p.io[0]));
	close(mpd_loop_del(&loop, &p.io[1]));
	mpd_loop_done(&loop);
	close(a[1]);
	close(b[1]);
}

/* The exit statuses of docs/mempressured.md, through the binary. */
TEST(exit_statuses)
{
	char dir[] = "/tmp/test_daemon_exit.XXXXXX", good[96], bad[96], cmd[512];
	FILE *f;

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(good, sizeof(good), "%s/good.conf", dir);
	snprintf(bad, sizeof(bad), "%s/bad.conf", dir);
	f = fopen(good, "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "[daemon]\nsocket = %s/s.sock\nsystemd_socket = -\n", dir);
	fclose(f);
	f = fopen(bad, "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "[daemon]\nsocket = %s/s.sock\nkill = maybe\n", dir);
	fclose(f);
#define RUN(args) (snprintf(cmd, sizeof(cmd), "%s " args " >%s/out 2>&1", DAEMON_BIN, dir), \
		   WEXITSTATUS(system(cmd)))
	snprintf(cmd, sizeof(cmd), "%s --check-config %s >/dev/null 2>&1", DAEMON_BIN, good);
	ASSERT_EQ(0, WEXITSTATUS(system(cmd)));
	snprintf(cmd, sizeof(cmd), "%s --check-config %s >%s/out 2>&1", DAEMON_BIN, bad, dir);
	ASSERT_EQ(MPD_EXIT_CONFIG, WEXITSTATUS(system(cmd)));
	snprintf(cmd, sizeof(cmd), "grep -q 'bad.conf:3: ' %s/out", dir);
	ASSERT_EQ(0, WEXITSTATUS(system(cmd)));
	snprintf(cmd, sizeof(cmd), "%s -c %s >/dev/null 2>&1", DAEMON_BIN, bad);
	ASSERT_EQ(MPD_EXIT_CONFIG, WEXITSTATUS(system(cmd)));
	ASSERT_EQ(MPD_EXIT_USAGE, RUN("--bogus"));
	ASSERT_EQ(MPD_EXIT_USAGE, RUN("stray"));
	/* A second daemon on the socket of a running one. */
	{
		pid_t first = fork();
		int st;

		ASSERT_LE(0, first);
		if (!first) {
			int null = open("/dev/null", O_WRONLY);

			dup2(null, STDERR_FILENO);
			execl(DAEMON_BIN, "mempressured", "-c", good, (char *)NULL);
			_exit(127);
		}
		snprintf(cmd, sizeof(cmd), "%s/s.sock", dir);
		for (int i = 0; i < 5000 && access(cmd, F_OK); i++)
			poll(NULL, 0, 1);
		snprintf(cmd, sizeof(cmd), "%s -c %s >%s/out 2>&1", DAEMON_BIN, good, dir);
		EXPECT_EQ(MPD_EXIT_SOCKET, WEXITSTATUS(system(cmd)));
		snprintf(cmd, sizeof(cmd), "grep -q 'another mempressured is listening there' %s/out",
			 dir);
		EXPECT_EQ(0, WEXITSTATUS(system(cmd)));
		ASSERT_EQ(0, kill(first, 0));	/* still serving */
		kill(first, SIGTERM);
		ASSERT_EQ(first, waitpid(first, &st, 0));
		ASSERT_TRUE(WIFEXITED(st));
		ASSERT_EQ(0, WEXITSTATUS(st));
	}
#undef RUN
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ASSERT_EQ(0, system(cmd));
}

TEST_HARNESS_MAIN
