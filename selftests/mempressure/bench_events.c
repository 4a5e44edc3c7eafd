// SPDX-License-Identifier: GPL-2.0
/*
 * bench_events: how soon a reader of /proc/mempressure/events learns that
 * a cgroup has started to be throttled at memory.high.
 *
 *   bench_events [ROUNDS]		(default 200)
 *
 * Not a pass/fail test: it prints figures ("# " lines, then a summary
 * table) and exits 0.  The module is loaded with its default interval
 * (1000 ms), so a latency well under that shows the fast path (levels and
 * memory.events counters evaluated when the memcg reclaim tracepoint
 * fires, docs/signals.md), not the sampling tick.
 *
 * A child in a cgroup with memory.high = HIGH holds HIGH - 2 MiB and, each
 * round, touches pages until usage crosses memory.high, then drops them
 * again (MADV_DONTNEED) and waits for the next round.  It takes
 * CLOCK_MONOTONIC just before the pages among which the crossing lies
 * (memcg charges in batches of 64 pages, so the exact fault is not known:
 * the clock is read up to 256 page faults early, which adds their time,
 * well under a millisecond on hardware, to every figure) and puts it in
 * shared memory.  The reader, waiting in poll() on the events file, takes
 * the clock when it wakes with the cgroup's `high` event whose count is
 * above the counter before the round; the latency is the difference.  The
 * module's own time_usec of the event gives the detection latency.
 *
 * For comparison, the same rounds with a reader that polls memory.events
 * every 100 ms, as a userspace monitor would without the module.
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
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mp_util.h"

#define HIGH		(128 * MiB)
#define BASE_GAP	(2 * MiB)	/* held below memory.high */
#define REGION		(HIGH + 16 * MiB)
#define EARLY_PAGES	128		/* the clock is read this far ahead */
#define OVER_PAGES	128		/* touched past the expected crossing */
#define ROUND_WAIT_MS	3000		/* more than one sampling interval */
#define POLL_TICK_MS	100		/* the userspace poller's period */

struct slot {
	uint64_t t_cross_ns;	/* written by the child before each push */
	uint64_t rounds;
};

static long page_size;
static char cg[64];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void touch(char *p, size_t from, size_t to)
{
	size_t off;

	for (off = from; off < to; off += (size_t)page_size)
		p[off] = 1;
}

/*
 * The child: hold HIGH - BASE_GAP, then per 'g' on @go_fd push usage over
 * memory.high and drop back; 'd' on @done_fd after each.
 */
static void pusher(struct slot *slot, int go_fd, int done_fd)
{
	char *p = mmap(NULL, REGION, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	size_t base = 0;
	uint64_t cur;
	char c;

	if (p == MAP_FAILED)
		_exit(1);
	madvise(p, REGION, MADV_NOHUGEPAGE);
	/* Up to HIGH - BASE_GAP as memory.current counts it. */
	for (;;) {
		if (cg_read_u64(cg, "memory.current", &cur))
			_exit(1);
		if (cur + 256 * KiB >= HIGH - BASE_GAP)
			break;
		touch(p, base, base + (HIGH - BASE_GAP - cur));
		base += HIGH - BASE_GAP - cur;
		base = base / (size_t)page_size * (size_t)page_size;
	}
	if (write(done_fd, "d", 1) != 1)
		_exit(1);

	while (read(go_fd, &c, 1) == 1 && c == 'g') {
		size_t need, early, end;

		if (cg_read_u64(cg, "memory.current", &cur))
			_exit(1);
		need = cur < HIGH ? (HIGH - cur) / (size_t)page_size + 1 : 1;
		early = need > EARLY_PAGES ? need - EARLY_PAGES : 0;
		end = base + (need + OVER_PAGES) * (size_t)page_size;
		touch(p, base, base + early * (size_t)page_size);
		__atomic_store_n(&slot->t_cross_ns, now_ns(), __ATOMIC_SEQ_CST);
		touch(p, base + early * (size_t)page_size, end);
		madvise(p + base, end - base, MADV_DONTNEED);
		slot->rounds++;
		if (write(done_fd, "d", 1) != 1)
			_exit(1);
	}
	_exit(0);
}

struct figures {
	const char *name;
	size_t rounds, crossed, events;	/* crossed: memory.events high grew */
	uint64_t *lat_us;	/* one per round with an event */
};

static void report(const struct figures *f)
{
	mp_sort_u64(f->lat_us, f->events);
	printf("# %-34s %6zu %7zu %6zu %10llu %10llu %10llu\n", f->name,
	       f->rounds, f->crossed, f->events, (unsigned long long)mp_percentile(f->lat_us, f->events, 50),
	       (unsigned long long)mp_percentile(f->lat_us, f->events, 99),
	       (unsigned long long)(f->events ?
				    f->lat_us[f->events - 1] : 0));
}

static int wait_byte(int fd, int timeout_ms)
{
	return mp_pipe_wait(fd, 1, timeout_ms);
}

/*
 * Rounds read through the events file: wake latency and the module's
 * detection latency (time_usec), per round that raised a `high` event.
 */
static void events_rounds(struct slot *slot, int go_fd, int done_fd,
			  size_t rounds, struct figures *wake,
			  struct figures *detect)
{
	struct mp_events *r = malloc(sizeof(*r));
	size_t i, missed = 0;
	char path[80];

	mp_cg_path(cg, path, sizeof(path));
	if (!r || mp_events_open(r, O_NONBLOCK)) {
		printf("# cannot open %s: %s\n", MP_EVENTS_PATH,
		       strerror(errno));
		free(r);
		return;
	}
	for (i = 0; i < rounds; i++) {
		uint64_t h0, h1, deadline = 0, t_wake = 0, t_cross;
		struct mp_event ev;
		bool got = false;

		/* What is left of the last round is not this round's. */
		while (mp_events_next(r, &ev, 0) == 0)
			;
		if (cg_read_key_u64(cg, "memory.events", "high", &h0))
			break;
		if (write(go_fd, "g", 1) != 1)
			break;
		deadline = mp_now_ms() + ROUND_WAIT_MS;
		while (!got && mp_now_ms() < deadline) {
			struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
			int left = (int)(deadline - mp_now_ms());

			if (poll(&pfd, 1, left > 0 ? left : 0) <= 0)
				break;
			t_wake = now_ns();
			while (!got && mp_events_next(r, &ev, 0) == 0) {
				got = ev.kind == MEMPRESSURE_EVENT_HIGH &&
				      !strcmp(ev.cgroup, path) &&
				      ev.count > h0;
			}
		}
		if (wait_byte(done_fd, MP_WAIT_MS) ||
		    cg_read_key_u64(cg, "memory.events", "high", &h1))
			break;
		wake->rounds++;
		detect->rounds++;
		wake->crossed += h1 > h0;
		detect->crossed += h1 > h0;
		if (!got) {
			if (h1 > h0 && ++missed <= 10)
				printf("# round %zu: memory.events high %llu -> %llu, no `high` event\n",
				       i, (unsigned long long)h0,
				       (unsigned long long)h1);
			continue;
		}
		t_cross = __atomic_load_n(&slot->t_cross_ns, __ATOMIC_SEQ_CST);
		wake->lat_us[wake->events++] = t_wake > t_cross ?
					       (t_wake - t_cross) / 1000 : 0;
		detect->lat_us[detect->events++] =
			ev.time_usec * 1000 > t_cross ?
			(ev.time_usec * 1000 - t_cross) / 1000 : 0;
	}
	mp_events_close(r);
	free(r);
}

/*
 * Rounds seen by reading memory.events every POLL_TICK_MS.  Each round
 * starts at a pseudo-random point of the poller's period, as a crossing
 * would in life, not just after a poll.
 */
static void poller_rounds(struct slot *slot, int go_fd, int done_fd,
			  size_t rounds, struct figures *f)
{
	uint64_t tick = now_ns();
	uint32_t seed = 12345;
	size_t i;

	for (i = 0; i < rounds; i++) {
		uint64_t h0, h, deadline, t_seen = 0, t_cross;
		struct timespec pause_ts = { 0 };
		bool got = false;

		seed = seed * 1103515245 + 12345;
		pause_ts.tv_nsec = (long)((seed >> 8) % (POLL_TICK_MS * 1000)) *
				   1000;
		nanosleep(&pause_ts, NULL);
		if (cg_read_key_u64(cg, "memory.events", "high", &h0))
			break;
		if (write(go_fd, "g", 1) != 1)
			break;
		deadline = now_ns() + ROUND_WAIT_MS * 1000000ULL;
		while (!got && now_ns() < deadline) {
			struct timespec ts;

			/* The poller's own clock, not the round's. */
			while (tick <= now_ns())
				tick += POLL_TICK_MS * 1000000ULL;
			ts.tv_sec = (time_t)(tick / 1000000000ULL);
			ts.tv_nsec = (long)(tick % 1000000000ULL);
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
					NULL);
			if (cg_read_key_u64(cg, "memory.events", "high", &h))
				break;
			t_seen = now_ns();
			got = h > h0;
		}
		if (wait_byte(done_fd, MP_WAIT_MS) ||
		    cg_read_key_u64(cg, "memory.events", "high", &h))
			break;
		f->rounds++;
		f->crossed += h > h0;
		if (!got)
			continue;
		t_cross = __atomic_load_n(&slot->t_cross_ns, __ATOMIC_SEQ_CST);
		f->lat_us[f->events++] = t_seen > t_cross ?
					 (t_seen - t_cross) / 1000 : 0;
	}
}

int main(int argc, char **argv)
{
	struct figures wake = { .name = "events file, reader wakes" };
	struct figures detect = { .name = "events file, module time_usec" };
	struct figures poller = { .name = "memory.events read every 100 ms" };
	uint64_t interval = 0, runs0 = 0, runs1 = 0, high0 = 0, high1 = 0, v;
	char high[32];
	size_t rounds = 200;
	int go[2], done[2], err;
	struct utsname uts;
	struct slot *slot;
	pid_t pid;

	if (argc > 1)
		rounds = strtoul(argv[1], NULL, 10);
	if (!rounds)
		rounds = 200;
	page_size = sysconf(_SC_PAGESIZE);
	uname(&uts);
	printf("# bench_events: latency from crossing memory.high to a reader's wake-up\n");
	printf("# kernel %s, %zu rounds per method, memory.high %llu MiB\n",
	       uts.release, rounds, (unsigned long long)(HIGH / MiB));

	err = mp_load("");
	if (err) {
		printf("# cannot load %s: %s\n", mp_module_path(),
		       strerror(-err));
		return 0;
	}
	mp_status_u64(MP_STATUS(INTERVAL_MS), &interval);
	printf("# module interval_ms %llu (its default)\n",
	       (unsigned long long)interval);

	snprintf(cg, sizeof(cg), "mpbench-%d", getpid());
	snprintf(high, sizeof(high), "%llu", (unsigned long long)HIGH);
	slot = mmap(NULL, sizeof(*slot), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	wake.lat_us = calloc(rounds, sizeof(uint64_t));
	detect.lat_us = calloc(rounds, sizeof(uint64_t));
	poller.lat_us = calloc(rounds, sizeof(uint64_t));
	if (slot == MAP_FAILED || !wake.lat_us || !detect.lat_us ||
	    !poller.lat_us || cg_create_leaf(cg) ||
	    cg_write(cg, "memory.high", high) ||
	    pipe2(go, O_CLOEXEC) || pipe2(done, O_CLOEXEC)) {
		printf("# setup failed: %s\n", strerror(errno));
		cg_destroy(cg);
		mp_unload();
		return 0;
	}
	/* What is touched stays charged: no swap to push it to. */
	if (cg_read_u64(cg, "memory.swap.max", &v) == 0)
		cg_write(cg, "memory.swap.max", "0");

	pid = mp_fork();
	if (!pid) {
		close(go[1]);
		close(done[0]);
		if (cg_enter(cg, getpid()))
			_exit(127);
		pusher(slot, go[0], done[1]);
	}
	close(go[0]);
	close(done[1]);
	if (pid < 0 || wait_byte(done[0], 120000)) {
		printf("# the child did not reach memory.high - 2 MiB\n");
		goto out;
	}
	/*
	 * The module must have sampled the cgroup: counts it finds on its
	 * first look are history, not news, and raise no event.
	 */
	mp_wait_more_samples(2, 10000);

	mp_status_u64(MP_STATUS(FAST_PATH_RUNS), &runs0);
	cg_read_key_u64(cg, "memory.events", "high", &high0);
	events_rounds(slot, go[1], done[0], rounds, &wake, &detect);
	mp_status_u64(MP_STATUS(FAST_PATH_RUNS), &runs1);
	cg_read_key_u64(cg, "memory.events", "high", &high1);
	printf("# events file: %zu rounds, %zu crossings, %zu with a `high` event within %d ms; memory.events high +%llu, fast_path_runs +%llu\n",
	       wake.rounds, wake.crossed, wake.events, ROUND_WAIT_MS,
	       (unsigned long long)(high1 - high0),
	       (unsigned long long)(runs1 - runs0));

	poller_rounds(slot, go[1], done[0], rounds, &poller);
	printf("# poller: %zu rounds, %zu crossings, %zu seen within %d ms\n",
	       poller.rounds, poller.crossed, poller.events, ROUND_WAIT_MS);

	printf("# %-34s %6s %7s %6s %10s %10s %10s\n", "method", "rounds",
	       "crossed", "events", "p50_usec", "p99_usec", "max_usec");
	report(&wake);
	report(&detect);
	report(&poller);
	printf("# latency: from just before the crossing (up to %d page faults early) to the reader waking\n",
	       EARLY_PAGES + OVER_PAGES);
	printf("# (events file) or to the module's time_usec; crossed: rounds in which memory.events high grew;\n");
	printf("# events: rounds seen in time (a `high` event of the cgroup, or the poller reading the increment).\n");
out:
	close(go[1]);
	if (pid > 0)
		mp_kill_child(pid);
	close(done[0]);
	cg_destroy(cg);
	mp_unload();
	return 0;
}
