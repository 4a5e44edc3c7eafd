// SPDX-License-Identifier: GPL-2.0
/*
 * Stress: everything at once, for a while, while the module is unloaded
 * and loaded again under it, and mempressured is killed and restarted.
 *
 * Workers, each a process of its own, until the time is up:
 * - fork: fork and exit as fast as it can;
 * - exec: fork and exec /bin/true;
 * - threads: create and join threads;
 * - cgroups: create a cgroup, limit it, fill it from a child, empty and
 *   remove it;
 * - oom: a child allocates past its cgroup's memory.max, again and again;
 * - tables: read every table, whole or closing after a few bytes;
 * - events: a reader that keeps up (blocking reads), one with poll() and
 *   O_NONBLOCK, one with epoll, and one that opens the file and never
 *   reads;
 * - control: thresholds, the interval and soft limits changed in turn.
 * Readers reopen the files when the module comes back.  The test itself
 * unloads and loads the module every RELOAD_MS, and kills and restarts the
 * daemon every DAEMON_MS.
 *
 * What must hold: every worker made progress and ended cleanly; every
 * unload and load worked; the reader that keeps up lost nothing; the
 * daemon, restarted last, reads the module's events and answers its
 * status.  The kernel log (no splat) and kmemleak are checked after the
 * test by the guest and the host.  The counts are printed.
 *
 * The run lasts mp.stress_seconds= from the kernel command line, or
 * DEFAULT_SECONDS (make check's short form; make stress runs longer).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mp_util.h"

#define DEFAULT_SECONDS	40
#define RELOAD_MS	6000
#define DAEMON_MS	5000
#define LOAD_PARAMS	"interval_ms=100"
#define DAEMON_SOCK	"/tmp/mpd-stress.sock"
#define DAEMON_CONF	"/tmp/mpd-stress.conf"
#define DAEMON_LOG	"/tmp/mpd-stress.log"

/*
 * The value of "@key=" on the kernel command line, copied into @buf, or
 * NULL: the guest's init and scripts/vm-run pass the test's settings there.
 */
static const char *cmdline_arg(const char *key, char *buf, size_t size)
{
	size_t len = strlen(key);
	char *p, *end;
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	for (p = buf; (p = strstr(p, key)); p += len) {
		if ((p == buf || p[-1] == ' ') && p[len] == '=') {
			p += len + 1;
			end = p + strcspn(p, " \n");
			*end = '\0';
			return p;
		}
	}
	return NULL;
}

enum worker {
	W_FORK, W_EXEC, W_THREADS, W_CGROUPS, W_OOM, W_TABLES, W_EVENTS_KEEP,
	W_EVENTS_POLL, W_EVENTS_EPOLL, W_EVENTS_IDLE, W_CONTROL, W_NR
};

static const char *const worker_names[W_NR] = {
	"fork", "exec", "threads", "cgroups", "oom", "tables", "events (blocking)",
	"events (poll)", "events (epoll)", "events (never read)", "control",
};

/* Shared with the workers: what each did. */
struct counts {
	uint64_t done[W_NR];
	uint64_t lines, lost, reopens;	/* the reader that keeps up */
	uint64_t oom_kills;
};

static struct counts *counts;
static uint64_t stop_at;

static bool running(void)
{
	return mp_now_ms() < stop_at;
}

/* Opens @path, retrying while the module is away (a reload). */
static int open_retry(const char *path, int flags)
{
	int fd;

	while ((fd = open(path, flags | O_CLOEXEC)) < 0 && running())
		poll(NULL, 0, 20);
	return fd;
}

static void *thread_fn(void *arg)
{
	return arg;
}

static int w_threads(void)
{
	pthread_t t[4];

	while (running()) {
		for (int i = 0; i < 4; i++)
			if (pthread_create(&t[i], NULL, thread_fn, NULL))
				return 1;
		for (int i = 0; i < 4; i++)
			pthread_join(t[i], NULL);
		counts->done[W_THREADS]++;
	}
	return 0;
}

static int w_fork(bool exec)
{
	while (running()) {
		int status;
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (!pid) {
			if (exec)
				execl("/bin/true", "true", (char *)NULL);
			_exit(0);
		}
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
			return 2;
		counts->done[exec ? W_EXEC : W_FORK]++;
	}
	return 0;
}

/* A child in @cg touching @bytes; its wait status. */
static int fill_in(const char *cg, uint64_t bytes)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		char *p;

		if (cg_enter(cg, 0))
			_exit(3);
		p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(4);
		memset(p, 1, bytes);
		_exit(0);
	}
	return waitpid(pid, &status, 0) == pid ? status : -1;
}

static int w_cgroups(void)
{
	char name[32];

	for (unsigned int i = 0; running(); i++) {
		snprintf(name, sizeof(name), "stress_cg%u", i % 4);
		if (cg_create_leaf(name) || cg_write(name, "memory.max", "33554432"))
			return 1;
		if (fill_in(name, 8 * MiB) != 0)
			return 2;
		if (cg_destroy(name))
			return 3;
		counts->done[W_CGROUPS]++;
	}
	return 0;
}

static int w_oom(void)
{
	if (cg_create_leaf("stress_oom") || cg_write("stress_oom", "memory.swap.max", "0") ||
	    cg_write("stress_oom", "memory.max", "8388608"))
		return 1;
	while (running()) {
		int status = fill_in("stress_oom", 32 * MiB);

		if (status < 0)
			return 2;
		counts->oom_kills += WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
		counts->done[W_OOM]++;
	}
	return 0;
}

static int w_tables(void)
{
	static const char *const files[] = {
		MEMPRESSURE_FILE_PROCESSES, MEMPRESSURE_FILE_CGROUPS,
		MEMPRESSURE_FILE_STATUS, MEMPRESSURE_FILE_CONTROL,
	};
	static char buf[1 << 16];
	char path[128];

	for (unsigned int i = 0; running(); i++) {
		int fd;

		snprintf(path, sizeof(path), "%s/%s", MEMPRESSURE_PROC_PATH, files[i % 4]);
		fd = open_retry(path, O_RDONLY);
		if (fd < 0)
			break;
		if (i & 1) {
			/* Closing mid-read. */
			if (read(fd, buf, 100) < 0 && errno != EIO)
				return 1;
		} else {
			ssize_t n;

			while ((n = read(fd, buf, sizeof(buf))) > 0)
				;
			if (n < 0 && errno != EIO)
				return 1;
		}
		close(fd);
		counts->done[W_TABLES]++;
	}
	return 0;
}

/* The reader that keeps up: blocking reads, counting lines and losses. */
static int w_events_keep(void)
{
	static char buf[1 << 16];

	while (running()) {
		int fd = open_retry(MP_EVENTS_PATH, O_RDONLY | O_NONBLOCK);
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (fd < 0)
			break;
		counts->reopens++;
		while (running()) {
			ssize_t n;

			if (poll(&p, 1, 200) < 0 && errno != EINTR)
				return 1;
			n = read(fd, buf, sizeof(buf) - 1);
			if (n < 0 && errno == EAGAIN)
				continue;
			if (n <= 0)
				break;	/* EIO: the module went away */
			buf[n] = '\0';
			for (char *l = buf; (l = strchr(l, '\n')); l++)
				counts->lines++;
			for (char *l = buf; (l = strstr(l, "kind=lost")); l++)
				counts->lost++;
			counts->done[W_EVENTS_KEEP]++;
		}
		close(fd);
	}
	return 0;
}

static int w_events_poll(bool use_epoll)
{
	static char buf[4096];
	enum worker w = use_epoll ? W_EVENTS_EPOLL : W_EVENTS_POLL;

	while (running()) {
		int fd = open_retry(MP_EVENTS_PATH, O_RDONLY | O_NONBLOCK), ep = -1;
		struct epoll_event ev = { .events = EPOLLIN };

		if (fd < 0)
			break;
		if (use_epoll) {
			ep = epoll_create1(EPOLL_CLOEXEC);
			if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
				return 1;
		}
		while (running()) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			int r = use_epoll ? epoll_wait(ep, &ev, 1, 300) : poll(&p, 1, 300);

			if (r < 0 && errno != EINTR)
				return 2;
			/* A small buffer: whole lines, a few at a time. */
			if (r > 0 && read(fd, buf, sizeof(buf)) < 0 && errno != EAGAIN)
				break;	/* EIO */
			counts->done[w]++;
		}
		if (ep >= 0)
			close(ep);
		close(fd);
	}
	return 0;
}

static int w_events_idle(void)
{
	while (running()) {
		int fd = open_retry(MP_EVENTS_PATH, O_RDONLY);

		if (fd < 0)
			break;
		counts->done[W_EVENTS_IDLE]++;
		/* Hold it, never read, until the module goes (or the time). */
		while (running() && mp_loaded())
			poll(NULL, 0, 100);
		close(fd);
	}
	return 0;
}

static int w_control(void)
{
	char cmd[128];

	for (unsigned int i = 0; running(); i++) {
		switch (i % 4) {
		case 0:
			snprintf(cmd, sizeof(cmd), "set %s %u\n", MP_TUNABLE(CALM_MS), 100 + i % 1000);
			break;
		case 1:
			snprintf(cmd, sizeof(cmd), "set %s %u\n", MP_TUNABLE(INTERVAL_MS),
				 i & 4 ? 100 : 200);
			break;
		case 2:
			snprintf(cmd, sizeof(cmd), "soft /stress_oom %u%%\n", 40 + i % 50);
			break;
		default:
			snprintf(cmd, sizeof(cmd), "set %s %u\n", MP_TUNABLE(LOW_PCT), 50 + i % 40);
			break;
		}
		/* Refused while the module or the cgroup is away: only tried. */
		mp_control_cmd(cmd);
		counts->done[W_CONTROL]++;
		poll(NULL, 0, 5);
	}
	return 0;
}

static int worker_main(enum worker w)
{
	switch (w) {
	case W_FORK:		return w_fork(false);
	case W_EXEC:		return w_fork(true);
	case W_THREADS:		return w_threads();
	case W_CGROUPS:		return w_cgroups();
	case W_OOM:		return w_oom();
	case W_TABLES:		return w_tables();
	case W_EVENTS_KEEP:	return w_events_keep();
	case W_EVENTS_POLL:	return w_events_poll(false);
	case W_EVENTS_EPOLL:	return w_events_poll(true);
	case W_EVENTS_IDLE:	return w_events_idle();
	case W_CONTROL:		return w_control();
	default:		return 99;
	}
}

static unsigned int stress_seconds(void)
{
	char buf[4096];
	const char *v = cmdline_arg("mp.stress_seconds", buf, sizeof(buf));

	return v ? (unsigned int)strtoul(v, NULL, 10) : DEFAULT_SECONDS;
}

/* One log over its restarts. */
static pid_t daemon_start(void)
{
	return mp_daemon_spawn(DAEMON_CONF, DAEMON_LOG, true, NULL);
}

FIXTURE(stress) {
	pid_t workers[W_NR];
	pid_t daemon;
};

FIXTURE_SETUP(stress)
{
	counts = mmap(NULL, sizeof(*counts), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, counts);
	memset(self->workers, 0, sizeof(self->workers));
	self->daemon = 0;
	ASSERT_EQ(0, mp_load(LOAD_PARAMS));
}

FIXTURE_TEARDOWN(stress)
{
	for (int w = 0; w < W_NR; w++)
		if (self->workers[w] > 0)
			mp_kill_child(self->workers[w]);
	if (self->daemon > 0)
		mp_kill_child(self->daemon);
	cg_destroy("stress_oom");
	for (int i = 0; i < 4; i++) {
		char name[32];

		snprintf(name, sizeof(name), "stress_cg%d", i);
		cg_destroy(name);
	}
	if (!mp_loaded())
		mp_load(LOAD_PARAMS);
	mp_unload();
	unlink(DAEMON_SOCK);
	munmap(counts, sizeof(*counts));
}

TEST_F_TIMEOUT(stress, everything_at_once, 3600)
{
	unsigned int seconds = stress_seconds(), reloads = 0, restarts = 0;
	uint64_t next_reload, next_restart, t0 = mp_now_ms();
	FILE *f;

	f = fopen(DAEMON_CONF, "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "[daemon]\nsocket = %s\nsystemd_socket = -\n", DAEMON_SOCK);
	fclose(f);
	unlink(DAEMON_LOG);

	stop_at = t0 + seconds * 1000ULL;
	for (int w = 0; w < W_NR; w++) {
		self->workers[w] = mp_fork();
		ASSERT_LE(0, self->workers[w]);
		if (!self->workers[w])
			_exit(worker_main(w));
	}
	self->daemon = daemon_start();
	ASSERT_LT(0, self->daemon);

	next_reload = t0 + RELOAD_MS;
	next_restart = t0 + DAEMON_MS;
	while (running()) {
		uint64_t now = mp_now_ms();

		if (now >= next_reload) {
			uint64_t end = now + MP_WAIT_MS;
			int r;

			/* A reader may hold the module in a call for a moment. */
			while ((r = mp_unload()) && (r == -EAGAIN || r == -EBUSY) &&
			       mp_now_ms() < end)
				poll(NULL, 0, 20);
			ASSERT_EQ(0, r) TH_LOG("unload %u: %s", reloads + 1, strerror(-r));
			poll(NULL, 0, 100);
			ASSERT_EQ(0, mp_load(LOAD_PARAMS)) TH_LOG("load %u", reloads + 1);
			reloads++;
			next_reload = mp_now_ms() + RELOAD_MS;
		}
		if (now >= next_restart) {
			mp_kill_child(self->daemon);
			self->daemon = daemon_start();
			ASSERT_LT(0, self->daemon);
			restarts++;
			next_restart = mp_now_ms() + DAEMON_MS;
		}
		poll(NULL, 0, 50);
	}

	for (int w = 0; w < W_NR; w++) {
		int status;

		ASSERT_EQ(0, mp_wait_child(self->workers[w], &status, MP_WAIT_MS))
			TH_LOG("%s did not stop", worker_names[w]);
		self->workers[w] = 0;
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
			TH_LOG("%s ended with %#x", worker_names[w], status);
		TH_LOG("%-20s %10llu", worker_names[w], (unsigned long long)counts->done[w]);
		EXPECT_LT(0, counts->done[w]) TH_LOG("%s made no progress", worker_names[w]);
	}
	TH_LOG("%u s: %u module reloads (%s), %u daemon restarts, %llu oom kills",
	       seconds, reloads, LOAD_PARAMS, restarts,
	       (unsigned long long)counts->oom_kills);
	TH_LOG("the reader that keeps up: %llu lines, %llu lost records, %llu opens",
	       (unsigned long long)counts->lines, (unsigned long long)counts->lost,
	       (unsigned long long)counts->reopens);
	EXPECT_LE(seconds * 1000 / RELOAD_MS / 2, reloads);
	EXPECT_LT(0, counts->oom_kills);
	EXPECT_LT(0, counts->lines);
	EXPECT_EQ(0, counts->lost);
	/* The daemon, restarted under all this, serves the module again. */
	EXPECT_EQ(0, mp_daemon_wait(DAEMON_SOCK, self->daemon, true));
}

TEST_HARNESS_MAIN
