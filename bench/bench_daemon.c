// SPDX-License-Identifier: GPL-2.0
/*
 * bench_daemon: what mempressured costs and how soon it calls back.
 *
 *   bench_daemon [ROUNDS]		(default 100)
 *
 * Not a pass/fail test: it prints figures ("# " lines, then a summary
 * table, with the aims next to them, then "bench: NAME VALUE UNIT
 * [COMPARISON VALUE]" lines for make bench) and exits 0.  The module is loaded
 * with interval_ms=100, its shortest, so that rounds are quick; the
 * daemon (/mp/bin/mempressured, without -v) runs with its log in a file.
 *
 * - Callback latency.  A subscriber in a cgroup with a soft limit of SOFT
 *   holds SOFT - BASE_GAP; each round it touches pages until usage is
 *   SOFT + OVER, taking CLOCK_MONOTONIC just before the pages among which
 *   the crossing lies (EARLY_PAGES early), and stamps the clock again when
 *   the daemon's trim arrives on its socket; it answers it, drops the pages
 *   and the next round starts once the module has said soft_under.  Two
 *   figures per round: from the module's soft_over event (its time_usec,
 *   the same clock) to the trim, the daemon's own part; and from the
 *   crossing, which adds the module's sampling (up to one interval).
 * - Memory: the daemon's VmRSS idle, and after the rounds and the storm.
 * - CPU: the daemon's utime + stime over IDLE_S seconds idle, and over an
 *   event storm: STORM_PROCS idle processes whose soft-pid limits are
 *   flipped under and over their RSS through the control file until the
 *   module has raised STORM_EVENTS soft_over/soft_under events.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mp_util.h"
#include "mp_proto.h"

#define SOCK_PATH	"/tmp/mpd-bench.sock"
#define CONF_PATH	"/tmp/mpd-bench.conf"
#define LOG_PATH	"/tmp/mpd-bench.log"

#define SOFT		(64 * MiB)
#define BASE_GAP	(8 * MiB)	/* held under the soft limit */
#define OVER		(2 * MiB)	/* touched past it each round */
#define REGION		(SOFT + 16 * MiB)
#define EARLY_PAGES	128
#define ROUND_WAIT_MS	5000
#define IDLE_S		10
#define STORM_PROCS	100
#define STORM_EVENTS	2000
#define AIM_P99_MS	100
#define AIM_RSS_KB	4096

struct slot {
	uint64_t t_cross_ns, t_trim_ns;	/* this round's */
	uint64_t trims;
};

static long page_size;
static char cg[64], cgpath[80];
static struct slot *slot;

static void touch(char *p, size_t from, size_t to)
{
	for (size_t off = from; off < to; off += (size_t)page_size)
		p[off] = 1;
}

/*
 * The subscriber: hello, hold SOFT - BASE_GAP, then per 'g' on @go_fd
 * cross the soft limit and wait for the trim ('d' on @done_fd after each
 * round, whether the trim came or not).
 */
static void subscriber(int go_fd, int done_fd)
{
	static struct mp_msg m;
	char *p = mmap(NULL, REGION, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char buf[MEMPRESSURED_MSG_MAX + 1], c;
	struct mp_msg_out o;
	size_t base = 0;
	uint64_t cur;
	int fd = mp_daemon_connect(SOCK_PATH);

	if (p == MAP_FAILED || fd < 0)
		_exit(1);
	madvise(p, REGION, MADV_NOHUGEPAGE);
	mp_msg_begin(&o, MEMPRESSURED_MSG_HELLO);
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_VERSION, MEMPRESSURED_PROTOCOL_VERSION);
	mp_msg_add_str(&o, MEMPRESSURED_KEY_NAME, "bench");
	if (send(fd, o.buf, (size_t)mp_msg_end(&o), 0) < 0)
		_exit(1);
	for (;;) {
		if (cg_read_u64(cg, "memory.current", &cur))
			_exit(1);
		if (cur + 256 * KiB >= SOFT - BASE_GAP)
			break;
		touch(p, base, base + (SOFT - BASE_GAP - cur));
		base += SOFT - BASE_GAP - cur;
		base = base / (size_t)page_size * (size_t)page_size;
	}
	if (write(done_fd, "d", 1) != 1)
		_exit(1);

	while (read(go_fd, &c, 1) == 1 && c == 'g') {
		uint64_t deadline;
		size_t need, early, end;
		bool got = false;

		if (cg_read_u64(cg, "memory.current", &cur))
			_exit(1);
		need = cur < SOFT ? (SOFT - cur) / (size_t)page_size + 1 : 1;
		early = need > EARLY_PAGES ? need - EARLY_PAGES : 0;
		end = base + need * (size_t)page_size + OVER;
		touch(p, base, base + early * (size_t)page_size);
		slot->t_cross_ns = mp_now_ns();
		touch(p, base + early * (size_t)page_size, end);
		deadline = mp_now_ms() + ROUND_WAIT_MS;
		while (!got && mp_now_ms() < deadline) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			uint64_t id = 0, t;
			ssize_t n;

			if (poll(&pfd, 1, 100) <= 0)
				continue;
			n = recv(fd, buf, sizeof(buf) - 1, 0);
			t = mp_now_ns();
			if (n <= 0)
				_exit(2);
			buf[n] = '\0';
			if (mp_msg_parse(buf, (size_t)n, &m) < 0 || m.type != MEMPRESSURED_MSG_TRIM)
				continue;
			slot->t_trim_ns = t;
			slot->trims++;
			got = true;
			mp_msg_get_u64(&m, MEMPRESSURED_KEY_ID, &id);
			mp_msg_begin(&o, MEMPRESSURED_MSG_TRIMMED);
			mp_msg_add_u64(&o, MEMPRESSURED_KEY_ID, id);
			mp_msg_add_u64(&o, MEMPRESSURED_KEY_FREED, end - base);
			send(fd, o.buf, (size_t)mp_msg_end(&o), MSG_DONTWAIT);
		}
		if (!got)
			slot->t_trim_ns = 0;
		madvise(p + base, end - base, MADV_DONTNEED);
		if (write(done_fd, "d", 1) != 1)
			_exit(1);
	}
	_exit(0);
}

/* --- the daemon --- */

static pid_t daemon_start(void)
{
	static const char conf[] =
		"[daemon]\n"
		"socket = " SOCK_PATH "\n"
		"deadline_ms = 50\n"
		"stagger_ms = 0\n"
		"grace_ms = 200\n"
		"reclaim = no\n"
		"clamp = no\n";
	static const struct mp_daemon_files files = { CONF_PATH, LOG_PATH, SOCK_PATH };

	return mp_daemon_start(&files, conf, NULL, true);
}

/* utime + stime of @pid, in ms. */
static uint64_t cpu_ms(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	/* After "pid (comm)": state is field 3, utime 14, stime 15. */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			 &ut, &st) != 2)
		return 0;
	return (ut + st) * 1000 / (uint64_t)sysconf(_SC_CLK_TCK);
}

static uint64_t rss_kb(pid_t pid)
{
	uint64_t kb = 0;

	proc_status_kb(pid, "VmRSS", &kb);
	return kb;
}

/* --- the rounds --- */

static size_t rounds_run(size_t rounds, int go_fd, int done_fd, uint64_t *lat_ev,
			 uint64_t *lat_cross, size_t *nr_ev, size_t *nr_trims)
{
	struct mp_events *r = malloc(sizeof(*r));
	size_t i, missed = 0;

	if (!r || mp_events_open(r, O_NONBLOCK)) {
		printf("# cannot open %s: %s\n", MP_EVENTS_PATH, strerror(errno));
		free(r);
		return 0;
	}
	for (i = 0; i < rounds; i++) {
		struct mp_event ev;
		bool over;
		uint64_t t_ev;

		while (mp_events_next(r, &ev, 0) == 0)
			;
		if (write(go_fd, "g", 1) != 1)
			break;
		over = !mp_events_wait(r, MEMPRESSURE_EVENT_SOFT_OVER, cgpath, 0, &ev,
				       ROUND_WAIT_MS, NULL, NULL);
		t_ev = over ? ev.time_usec * 1000 : 0;
		if (mp_pipe_wait(done_fd, 1, MP_WAIT_MS))
			break;
		if (slot->t_trim_ns) {
			lat_cross[(*nr_trims)++] = slot->t_trim_ns > slot->t_cross_ns ?
						   (slot->t_trim_ns - slot->t_cross_ns) / 1000 : 0;
			if (over)
				lat_ev[(*nr_ev)++] = slot->t_trim_ns > t_ev ?
						     (slot->t_trim_ns - t_ev) / 1000 : 0;
		} else if (++missed <= 10) {
			printf("# round %zu: no trim within %d ms (soft_over %s)\n", i,
			       ROUND_WAIT_MS, over ? "seen" : "not seen");
		}
		/* Back under (less the margin) before the next crossing. */
		if (mp_events_wait(r, MEMPRESSURE_EVENT_SOFT_UNDER, cgpath, 0, &ev,
				   ROUND_WAIT_MS, NULL, NULL))
			printf("# round %zu: no soft_under within %d ms\n", i, ROUND_WAIT_MS);
	}
	mp_events_close(r);
	free(r);
	return i;
}

/*
 * The storm: flip the soft-pid limits of @pids between 4 KiB (under their
 * RSS: soft_over) and 1 GiB (soft_under) until @target events came.
 */
static size_t storm(const pid_t *pids, size_t n, size_t target, uint64_t *wall_ms)
{
	struct mp_events *r = malloc(sizeof(*r));
	uint64_t t0 = mp_now_ms(), end = t0 + 300000;
	size_t events = 0;
	bool over = true;

	if (!r || mp_events_open(r, O_NONBLOCK)) {
		free(r);
		return 0;
	}
	while (events < target && mp_now_ms() < end) {
		size_t flip = 0, stale = 0;

		for (size_t i = 0; i < n; i++) {
			char cmd[64];

			snprintf(cmd, sizeof(cmd), "soft-pid %d %s", pids[i],
				 over ? "4096" : "1073741824");
			mp_control_cmd(cmd);
		}
		/* This flip's events (all of them, or what came in 2 s). */
		while (flip < n && stale < 20) {
			struct mp_event ev;

			if (mp_events_next(r, &ev, 100)) {
				stale++;
				continue;
			}
			if (ev.kind != (over ? MEMPRESSURE_EVENT_SOFT_OVER :
				       MEMPRESSURE_EVENT_SOFT_UNDER) || !ev.pid)
				continue;
			for (size_t i = 0; i < n; i++)
				if (pids[i] == ev.pid) {
					flip++;
					break;
				}
		}
		events += flip;
		over = !over;
	}
	*wall_ms = mp_now_ms() - t0;
	mp_events_close(r);
	free(r);
	return events;
}

int main(int argc, char **argv)
{
	uint64_t *lat_ev, *lat_cross, rss_idle, rss_after, c0, c1, s0, s1, wall = 0, v;
	size_t rounds = 100, done_rounds, nr_ev = 0, nr_trims = 0, nr_storm;
	pid_t daemon = -1, sub = -1, idle[STORM_PROCS];
	int go[2], done[2], err, nr_idle = 0;
	char soft[128];
	struct utsname uts;

	if (argc > 1)
		rounds = strtoul(argv[1], NULL, 10);
	if (!rounds)
		rounds = 100;
	page_size = sysconf(_SC_PAGESIZE);
	uname(&uts);
	printf("# bench_daemon: mempressured's callback latency, memory and CPU\n");
	printf("# kernel %s, %zu rounds, soft limit %llu MiB\n", uts.release, rounds,
	       (unsigned long long)(SOFT / MiB));
	if (access(MP_DAEMON_BIN, X_OK)) {
		printf("# no %s\n", MP_DAEMON_BIN);
		return 0;
	}
	err = mp_load("interval_ms=100");
	if (err) {
		printf("# cannot load %s: %s\n", mp_module_path(), strerror(-err));
		return 0;
	}
	snprintf(cg, sizeof(cg), "mpbd-%d", getpid());
	mp_cg_path(cg, cgpath, sizeof(cgpath));
	snprintf(soft, sizeof(soft), "soft %s %llu", cgpath, (unsigned long long)SOFT);
	slot = mmap(NULL, sizeof(*slot), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		    -1, 0);
	lat_ev = calloc(rounds, sizeof(uint64_t));
	lat_cross = calloc(rounds, sizeof(uint64_t));
	if (slot == MAP_FAILED || !lat_ev || !lat_cross || cg_create_leaf(cg) ||
	    pipe2(go, O_CLOEXEC) || pipe2(done, O_CLOEXEC)) {
		printf("# setup failed: %s\n", strerror(errno));
		goto out;
	}
	if (cg_read_u64(cg, "memory.swap.max", &v) == 0)
		cg_write(cg, "memory.swap.max", "0");
	/* The module must know the cgroup before its soft limit is set. */
	mp_wait_more_samples(2, MP_WAIT_MS);
	err = mp_control_cmd(soft);
	if (err) {
		printf("# %s: %s\n", soft, strerror(-err));
		goto out;
	}
	daemon = daemon_start();
	if (daemon < 0) {
		printf("# the daemon did not start\n");
		goto out;
	}

	/* Idle: its RSS, and its CPU over IDLE_S seconds. */
	mp_wait_more_samples(5, MP_WAIT_MS);
	rss_idle = rss_kb(daemon);
	c0 = cpu_ms(daemon);
	sleep(IDLE_S);
	c1 = cpu_ms(daemon);

	sub = mp_fork();
	if (!sub) {
		close(go[1]);
		close(done[0]);
		if (cg_enter(cg, getpid()))
			_exit(127);
		subscriber(go[0], done[1]);
	}
	close(go[0]);
	close(done[1]);
	if (sub < 0 || mp_pipe_wait(done[0], 1, 120000)) {
		printf("# the subscriber did not reach its base\n");
		goto out;
	}
	mp_wait_more_samples(3, MP_WAIT_MS);
	done_rounds = rounds_run(rounds, go[1], done[0], lat_ev, lat_cross, &nr_ev, &nr_trims);
	printf("# %zu rounds, %zu trims received, %zu with the module's soft_over seen\n",
	       done_rounds, nr_trims, nr_ev);

	/* The storm. */
	for (nr_idle = 0; nr_idle < STORM_PROCS; nr_idle++) {
		idle[nr_idle] = mp_fork_idle();
		if (idle[nr_idle] <= 0)
			break;
	}
	mp_wait_more_samples(3, MP_WAIT_MS);
	s0 = cpu_ms(daemon);
	nr_storm = storm(idle, (size_t)nr_idle, STORM_EVENTS, &wall);
	/* Let the daemon read the last of them. */
	poll(NULL, 0, 500);
	s1 = cpu_ms(daemon);
	rss_after = rss_kb(daemon);
	printf("# storm: %zu soft_over/soft_under events of %d processes in %llu ms\n",
	       nr_storm, nr_idle, (unsigned long long)wall);

	mp_sort_u64(lat_ev, nr_ev);
	mp_sort_u64(lat_cross, nr_trims);
	printf("# %-40s %6s %10s %10s %10s  %s\n", "callback latency", "trims", "p50_usec",
	       "p99_usec", "max_usec", "aim");
	printf("# %-40s %6zu %10llu %10llu %10llu  p99 < %d ms\n",
	       "soft_over time_usec -> trim received", nr_ev,
	       (unsigned long long)mp_percentile(lat_ev, nr_ev, 50),
	       (unsigned long long)mp_percentile(lat_ev, nr_ev, 99),
	       (unsigned long long)(nr_ev ? lat_ev[nr_ev - 1] : 0), AIM_P99_MS);
	printf("# %-40s %6zu %10llu %10llu %10llu  (includes sampling, interval 100 ms)\n",
	       "crossing touch -> trim received", nr_trims,
	       (unsigned long long)mp_percentile(lat_cross, nr_trims, 50),
	       (unsigned long long)mp_percentile(lat_cross, nr_trims, 99),
	       (unsigned long long)(nr_trims ? lat_cross[nr_trims - 1] : 0));
	printf("# %-40s %21s  %s\n", "daemon resources", "value", "aim");
	printf("# %-40s %18llu kB  < %d kB\n", "VmRSS idle", (unsigned long long)rss_idle,
	       AIM_RSS_KB);
	printf("# %-40s %18llu kB  < %d kB\n", "VmRSS after rounds and storm",
	       (unsigned long long)rss_after, AIM_RSS_KB);
	printf("# %-40s %18llu ms\n", "CPU (utime+stime) idle, 10 s",
	       (unsigned long long)(c1 - c0));
	printf("# %-40s %18llu ms  (%zu events in %llu ms, %llu usec/event)\n",
	       "CPU (utime+stime) event storm", (unsigned long long)(s1 - s0), nr_storm,
	       (unsigned long long)wall,
	       (unsigned long long)(nr_storm ? (s1 - s0) * 1000 / nr_storm : 0));
	printf("# CPU times are in clock ticks of %ld Hz; figures are printed, never asserted.\n",
	       sysconf(_SC_CLK_TCK));

	/* For make bench: "bench: NAME VALUE UNIT [COMPARISON VALUE]". */
	printf("bench: callback_latency_p50_ms %.3f ms\n",
	       (double)mp_percentile(lat_ev, nr_ev, 50) / 1000.0);
	printf("bench: callback_latency_p99_ms %.3f ms crossing_to_callback_p99_ms %.3f\n",
	       (double)mp_percentile(lat_ev, nr_ev, 99) / 1000.0,
	       (double)mp_percentile(lat_cross, nr_trims, 99) / 1000.0);
	printf("bench: callback_latency_max_ms %.3f ms\n",
	       (double)(nr_ev ? lat_ev[nr_ev - 1] : 0) / 1000.0);
	printf("bench: callback_trims_received %zu trims rounds %zu\n", nr_trims,
	       done_rounds);
	printf("bench: daemon_rss_kib %llu KiB daemon_rss_after_kib %llu\n",
	       (unsigned long long)rss_idle, (unsigned long long)rss_after);
	printf("bench: daemon_cpu_idle_10s_ms %llu ms\n", (unsigned long long)(c1 - c0));
	printf("bench: daemon_cpu_storm_ms %llu ms storm_events %zu\n",
	       (unsigned long long)(s1 - s0), nr_storm);
out:
	for (int i = 0; i < nr_idle; i++)
		mp_kill_child(idle[i]);
	if (sub > 0) {
		close(go[1]);
		mp_kill_child(sub);
	}
	if (daemon > 0) {
		int status;

		kill(daemon, SIGTERM);
		if (mp_wait_child(daemon, &status, MP_WAIT_MS) < 0)
			mp_kill_child(daemon);
	}
	cg_destroy(cg);
	mp_unload();
	unlink(SOCK_PATH);
	return 0;
}
