// SPDX-License-Identifier: GPL-2.0
/*
 * bench_events: how soon a reader of /proc/mempressure/events learns that
 * a cgroup has started to be throttled at memory.high, has hit memory.max,
 * or has crossed its soft limit, and how soon the kernel's own interfaces
 * say so in the same VM.
 *
 *   bench_events [ROUNDS]		(default 100)
 *
 * Not a pass/fail test: it prints figures ("# " lines, a summary table,
 * and "bench: NAME VALUE UNIT [COMPARISON VALUE]" lines that make bench
 * gathers into build/bench.json) and exits 0.  The module is loaded with
 * its default interval (1000 ms), so a latency well under that shows the
 * fast path (levels and memory.events counters evaluated when the memcg
 * reclaim tracepoint fires, docs/signals.md), not the sampling tick.
 *
 * A child in a cgroup with memory.high (or memory.max) = LIMIT holds
 * LIMIT - 2 MiB and, each round, touches pages until usage crosses the
 * limit, then drops them again (MADV_DONTNEED) and waits for the next
 * round.  It takes CLOCK_MONOTONIC just before the pages among which the
 * crossing lies (memcg charges in batches of 64 pages, so the exact fault
 * is not known: the clock is read up to 256 page faults early, which adds
 * their time, well under a millisecond on hardware, to every figure) and
 * puts it in shared memory.  Every method waits in one poll() loop, which
 * takes the clock when it wakes; the latency is the difference:
 *
 * - the events file: woken with the cgroup's `high` (`max`) event whose
 *   count is above the counter before the round; the module's own
 *   time_usec of the event gives the detection latency;
 * - a PSI trigger on the cgroup's memory.pressure ("some 1 WINDOW": any
 *   stall at all, the trigger's most sensitive setting) at 500 ms, the
 *   smallest window 6.1 accepts, and in a separate pass (triggers of one
 *   cgroup share their polling period) at the smallest window the running
 *   kernel accepts, probed; each PSI round starts after a pseudo-random
 *   pause of up to one window, as a crossing would come in life;
 * - poll() for POLLPRI on the cgroup's memory.events and inotify IN_MODIFY
 *   on it (kernfs notifies both when a counter changes, at most once per
 *   20 ms per file);
 * - a userspace poller reading memory.events every 100 ms.
 *
 * A round ends when every method has reported it, or once the events file
 * has and 600 ms (the PSI trigger at 500 ms) or 100 ms (at the smallest
 * window) have passed since it started: a method that has not reported
 * it by then missed it.
 *
 * At memory.max the child would be OOM-killed once nothing can be
 * reclaimed (the VM has no swap), so it keeps a pool of MADV_FREE pages,
 * which reclaim discards without swap, and refills it after each round.
 *
 * Soft limit: the module raises soft_over at the sample after the usage
 * reaches the soft limit, so those rounds run at interval_ms=100 (the
 * shortest) and the figure includes up to one interval.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mp_util.h"

#define HIGH		(128 * MiB)
#define MAXLIM		(64 * MiB)
#define SOFT		(64 * MiB)
#define POOL		(8 * MiB)	/* MADV_FREE pages for memory.max */
#define BASE_GAP	(2 * MiB)	/* held below memory.high/max */
#define SOFT_GAP	(8 * MiB)	/* below the soft limit less its margin */
#define REGION		(HIGH + 16 * MiB)
#define EARLY_PAGES	128		/* the clock is read this far ahead */
#define OVER_PAGES	128		/* touched past the expected crossing */
#define ROUND_WAIT_MS	3000		/* more than one sampling interval */
#define OTHERS_WAIT_MS	600		/* PSI at 500 ms: its window and more */
#define MINWIN_WAIT_MS	100		/* PSI at its smallest window */
#define POLL_TICK_MS	100		/* the userspace poller's period */
#define PSI_WINDOW_US	500000		/* the smallest 6.1 accepts */
#define SOFT_INTERVAL_MS 100

struct slot {
	uint64_t t_cross_ns;	/* written by the child before each push */
	uint64_t rounds;
};

static long page_size;

static void touch(char *p, size_t from, size_t to)
{
	size_t off;

	for (off = from; off < to; off += (size_t)page_size)
		p[off] = 1;
}

/* A child pushing cgroup @cg over @limit each round. */
struct pusher_cfg {
	const char *cg;
	uint64_t limit, gap, pool;
	bool hold;	/* keep the pages until 'r' (the soft limit is sampled) */
};

/*
 * The child: hold @limit - @gap (a MADV_FREE pool of @pool included), then
 * per 'g' on @go_fd push usage over @limit and drop back (after an 'r' if
 * @hold), refill the pool; 'd' on @done_fd after each.
 */
static void pusher(const struct pusher_cfg *c, struct slot *slot, int go_fd,
		   int done_fd)
{
	char *p = mmap(NULL, REGION, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *pool = NULL;
	size_t base = 0;
	uint64_t cur;
	char ch;

	if (p == MAP_FAILED)
		_exit(1);
	madvise(p, REGION, MADV_NOHUGEPAGE);
	if (c->pool) {
		pool = mmap(NULL, c->pool, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (pool == MAP_FAILED)
			_exit(1);
		madvise(pool, c->pool, MADV_NOHUGEPAGE);
		touch(pool, 0, c->pool);
		madvise(pool, c->pool, MADV_FREE);
	}
	/* Up to limit - gap as memory.current counts it. */
	for (;;) {
		if (cg_read_u64(c->cg, "memory.current", &cur))
			_exit(1);
		if (cur + 256 * KiB >= c->limit - c->gap)
			break;
		touch(p, base, base + (c->limit - c->gap - cur));
		base += c->limit - c->gap - cur;
		base = base / (size_t)page_size * (size_t)page_size;
	}
	if (write(done_fd, "d", 1) != 1)
		_exit(1);

	while (read(go_fd, &ch, 1) == 1 && ch == 'g') {
		size_t need, early, end;

		if (cg_read_u64(c->cg, "memory.current", &cur))
			_exit(1);
		need = cur < c->limit ? (c->limit - cur) / (size_t)page_size + 1 : 1;
		early = need > EARLY_PAGES ? need - EARLY_PAGES : 0;
		end = base + (need + OVER_PAGES) * (size_t)page_size;
		touch(p, base, base + early * (size_t)page_size);
		__atomic_store_n(&slot->t_cross_ns, mp_now_ns(), __ATOMIC_SEQ_CST);
		touch(p, base + early * (size_t)page_size, end);
		if (c->hold && (read(go_fd, &ch, 1) != 1 || ch != 'r'))
			_exit(1);
		madvise(p + base, end - base, MADV_DONTNEED);
		if (pool) {
			touch(pool, 0, c->pool);
			madvise(pool, c->pool, MADV_FREE);
		}
		slot->rounds++;
		if (write(done_fd, "d", 1) != 1)
			_exit(1);
	}
	_exit(0);
}

struct figures {
	const char *name;
	size_t rounds, crossed, events;	/* crossed: the counter grew */
	uint64_t *lat_us;	/* one per round with an event */
};

static void report(const struct figures *f)
{
	mp_sort_u64(f->lat_us, f->events);
	printf("# %-40s %6zu %7zu %6zu %10llu %10llu %10llu\n", f->name,
	       f->rounds, f->crossed, f->events,
	       (unsigned long long)mp_percentile(f->lat_us, f->events, 50),
	       (unsigned long long)mp_percentile(f->lat_us, f->events, 99),
	       (unsigned long long)(f->events ? f->lat_us[f->events - 1] : 0));
}

/* Milliseconds with three decimals, from microseconds. */
static double ms(uint64_t usec)
{
	return (double)usec / 1000.0;
}

/*
 * bench: lines for @f (sorted by report()): PREFIX_latency_p50/p99/max_ms
 * and PREFIX_events_reported (of the rounds in which the counter grew).
 * p50 and p99 are compared with @cmp's when given.  A method that
 * reported nothing has no latency: "-" (null in bench.json).
 */
static void bench_lines(const char *prefix, const struct figures *f,
			const char *cmp_prefix, const struct figures *cmp)
{
	static const unsigned int pct[] = { 50, 99 };

	if (!f->events) {
		for (size_t i = 0; i < 2; i++)
			printf("bench: %s_latency_p%u_ms - ms\n", prefix, pct[i]);
		printf("bench: %s_latency_max_ms - ms\n", prefix);
		printf("bench: %s_events_reported 0 events rounds_crossed %zu\n",
		       prefix, f->crossed);
		return;
	}
	for (size_t i = 0; i < 2; i++) {
		printf("bench: %s_latency_p%u_ms %.3f ms", prefix, pct[i],
		       ms(mp_percentile(f->lat_us, f->events, pct[i])));
		if (cmp && !cmp->events)
			printf(" %s_latency_p%u_ms -", cmp_prefix, pct[i]);
		else if (cmp)
			printf(" %s_latency_p%u_ms %.3f", cmp_prefix, pct[i],
			       ms(mp_percentile(cmp->lat_us, cmp->events,
						pct[i])));
		printf("\n");
	}
	printf("bench: %s_latency_max_ms %.3f ms\n", prefix,
	       ms(f->events ? f->lat_us[f->events - 1] : 0));
	printf("bench: %s_events_reported %zu events rounds_crossed %zu\n",
	       prefix, f->events, f->crossed);
}

static int wait_byte(int fd, int timeout_ms)
{
	return mp_pipe_wait(fd, 1, timeout_ms);
}

/* --- the methods a round waits on --- */

enum watch_kind { W_EVENTS, W_PSI, W_KERNFS, W_INOTIFY };

struct watch {
	enum watch_kind kind;
	int fd;
	struct figures *f;
	struct figures *detect;	/* W_EVENTS: the module's time_usec */
	bool got;
	uint64_t t_wake, t_detect;
};

struct phase {
	const char *cg;
	char cgpath[80];
	const char *counter;	/* memory.events key; NULL: soft limit */
	int ev_kind;		/* MEMPRESSURE_EVENT_* awaited */
	struct slot *slot;
	int go_fd, done_fd;
	unsigned int pause_us;	/* pseudo-random pause before a round, below */
	unsigned int others_ms;	/* how long the others may take, below */
	uint32_t seed;
};

/* Forget what the methods have to say from before this round. */
static void watch_drain(struct watch *w, struct mp_events *r)
{
	char buf[4096];
	struct pollfd pfd = { .fd = w->fd, .events = POLLPRI };
	struct mp_event ev;

	switch (w->kind) {
	case W_EVENTS:
		while (mp_events_next(r, &ev, 0) == 0)
			;
		break;
	case W_PSI:
		/* poll() itself consumes a trigger's event. */
		while (poll(&pfd, 1, 0) > 0 && (pfd.revents & POLLPRI))
			;
		break;
	case W_KERNFS:
		/* Reading the file again rearms POLLPRI. */
		if (pread(w->fd, buf, sizeof(buf), 0) < 0)
			break;
		break;
	case W_INOTIFY:
		while (read(w->fd, buf, sizeof(buf)) > 0)
			;
		break;
	}
	w->got = false;
}

static bool watch_ready(struct watch *w, struct mp_events *r, short revents,
			const struct phase *ph, uint64_t c0, struct mp_event *ev)
{
	char buf[4096];

	switch (w->kind) {
	case W_EVENTS:
		while (mp_events_next(r, ev, 0) == 0) {
			if (ev->kind != ph->ev_kind ||
			    strcmp(ev->cgroup, ph->cgpath))
				continue;
			if (ph->counter && ev->count <= c0)
				continue;
			return true;
		}
		return false;
	case W_PSI:
		return revents & POLLPRI;
	case W_KERNFS:
		if (pread(w->fd, buf, sizeof(buf), 0) < 0)
			return true;
		return revents & (POLLPRI | POLLERR);
	case W_INOTIFY:
		return read(w->fd, buf, sizeof(buf)) > 0;
	}
	return false;
}

/*
 * @rounds rounds of the child crossing; @w[0] is the events file, the
 * others wait with it.  A round ends when every method has reported it,
 * or once the events file has (or ROUND_WAIT_MS passed) and
 * @ph->others_ms have passed since the round started.
 */
static size_t rounds_run(struct phase *ph, struct watch *w, size_t nw,
			 struct mp_events *r, size_t rounds)
{
	size_t i, missed = 0;

	for (i = 0; i < rounds; i++) {
		uint64_t c0 = 0, c1 = 0, t_go, t_cross, now;
		struct pollfd pfd[8];
		struct mp_event ev;
		size_t k, got = 0;

		if (ph->pause_us) {
			struct timespec ts = { 0 };

			ph->seed = ph->seed * 1103515245 + 12345;
			ts.tv_nsec = (long)((ph->seed >> 8) % ph->pause_us) * 1000;
			nanosleep(&ts, NULL);
		}
		for (k = 0; k < nw; k++)
			watch_drain(&w[k], r);
		if (ph->counter &&
		    cg_read_key_u64(ph->cg, "memory.events", ph->counter, &c0))
			break;
		if (write(ph->go_fd, "g", 1) != 1)
			break;
		t_go = mp_now_ms();
		for (;;) {
			size_t idx[8], np = 0;
			int timeout;

			now = mp_now_ms();
			if (got == nw)
				break;
			if (now >= t_go + ROUND_WAIT_MS)
				break;
			if (w[0].got && now >= t_go + ph->others_ms)
				break;
			timeout = (int)(w[0].got ? t_go + ph->others_ms - now :
					t_go + ROUND_WAIT_MS - now);
			for (k = 0; k < nw; k++) {
				if (w[k].got)
					continue;
				pfd[np].fd = w[k].fd;
				pfd[np].events = w[k].kind == W_PSI ||
						 w[k].kind == W_KERNFS ?
						 POLLPRI : POLLIN;
				idx[np++] = k;
			}
			if (poll(pfd, np, timeout) <= 0)
				continue;
			now = mp_now_ns();
			for (k = 0; k < np; k++) {
				struct watch *x = &w[idx[k]];

				if (!pfd[k].revents ||
				    !watch_ready(x, r, pfd[k].revents, ph, c0, &ev))
					continue;
				x->got = true;
				x->t_wake = now;
				if (x->kind == W_EVENTS)
					x->t_detect = ev.time_usec * 1000;
				got++;
			}
		}
		/* The soft limit's pusher holds its pages until told. */
		if (!ph->counter && write(ph->go_fd, "r", 1) != 1)
			break;
		if (wait_byte(ph->done_fd, MP_WAIT_MS) ||
		    (ph->counter &&
		     cg_read_key_u64(ph->cg, "memory.events", ph->counter, &c1)))
			break;
		t_cross = __atomic_load_n(&ph->slot->t_cross_ns, __ATOMIC_SEQ_CST);
		for (k = 0; k < nw; k++) {
			struct watch *x = &w[k];

			x->f->rounds++;
			x->f->crossed += ph->counter ? c1 > c0 : 1;
			if (x->detect) {
				x->detect->rounds++;
				x->detect->crossed += ph->counter ? c1 > c0 : 1;
			}
			if (!x->got)
				continue;
			x->f->lat_us[x->f->events++] = x->t_wake > t_cross ?
						       (x->t_wake - t_cross) / 1000 : 0;
			if (x->detect)
				x->detect->lat_us[x->detect->events++] =
					x->t_detect > t_cross ?
					(x->t_detect - t_cross) / 1000 : 0;
		}
		if (!w[0].got && (!ph->counter || c1 > c0) && ++missed <= 10)
			printf("# round %zu: counter %llu -> %llu, no %s event\n",
			       i, (unsigned long long)c0,
			       (unsigned long long)c1, mp_event_kinds[ph->ev_kind]);
		/* Soft limit: back under (less the margin) before the next. */
		if (!ph->counter &&
		    mp_events_wait(r, MEMPRESSURE_EVENT_SOFT_UNDER, ph->cgpath, 0,
				   &ev, ROUND_WAIT_MS, NULL, NULL))
			printf("# round %zu: no soft_under within %d ms\n", i,
			       ROUND_WAIT_MS);
	}
	return i;
}

/*
 * Rounds seen by reading memory.events every POLL_TICK_MS.  Each round
 * starts at a pseudo-random point of the poller's period, as a crossing
 * would in life, not just after a poll.
 */
static void poller_rounds(struct phase *ph, size_t rounds, struct figures *f)
{
	uint64_t tick = mp_now_ns();
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
		if (cg_read_key_u64(ph->cg, "memory.events", "high", &h0))
			break;
		if (write(ph->go_fd, "g", 1) != 1)
			break;
		deadline = mp_now_ns() + ROUND_WAIT_MS * 1000000ULL;
		while (!got && mp_now_ns() < deadline) {
			struct timespec ts;

			/* The poller's own clock, not the round's. */
			while (tick <= mp_now_ns())
				tick += POLL_TICK_MS * 1000000ULL;
			ts.tv_sec = (time_t)(tick / 1000000000ULL);
			ts.tv_nsec = (long)(tick % 1000000000ULL);
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
					NULL);
			if (cg_read_key_u64(ph->cg, "memory.events", "high", &h))
				break;
			t_seen = mp_now_ns();
			got = h > h0;
		}
		if (wait_byte(ph->done_fd, MP_WAIT_MS) ||
		    cg_read_key_u64(ph->cg, "memory.events", "high", &h))
			break;
		f->rounds++;
		f->crossed += h > h0;
		if (!got)
			continue;
		t_cross = __atomic_load_n(&ph->slot->t_cross_ns, __ATOMIC_SEQ_CST);
		f->lat_us[f->events++] = t_seen > t_cross ?
					 (t_seen - t_cross) / 1000 : 0;
	}
}

/* --- setup --- */

static int psi_open(const char *cg, unsigned int window_us)
{
	char path[160], trig[64];
	int fd;

	snprintf(path, sizeof(path), MP_CGROUP_ROOT "/%s/memory.pressure", cg);
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	snprintf(trig, sizeof(trig), "some 1 %u", window_us);
	if (write(fd, trig, strlen(trig) + 1) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The smallest window (us) this kernel takes for a trigger on @cg. */
static unsigned int psi_min_window(const char *cg)
{
	static const unsigned int windows[] = {
		1, 10, 100, 1000, 10000, 50000, 100000, 250000, PSI_WINDOW_US,
	};

	for (size_t i = 0; i < sizeof(windows) / sizeof(windows[0]); i++) {
		int fd = psi_open(cg, windows[i]);

		if (fd >= 0) {
			close(fd);
			return windows[i];
		}
	}
	return 0;
}

static int kernfs_open(const char *cg)
{
	char path[160];

	snprintf(path, sizeof(path), MP_CGROUP_ROOT "/%s/memory.events", cg);
	return open(path, O_RDONLY | O_CLOEXEC);
}

static int inotify_open(const char *cg)
{
	char path[160];
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	snprintf(path, sizeof(path), MP_CGROUP_ROOT "/%s/memory.events", cg);
	if (fd >= 0 && inotify_add_watch(fd, path, IN_MODIFY) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static struct figures *figs(const char *name, size_t rounds)
{
	struct figures *f = calloc(1, sizeof(*f));

	if (f) {
		f->name = name;
		f->lat_us = calloc(rounds, sizeof(uint64_t));
		if (!f->lat_us) {
			free(f);
			f = NULL;
		}
	}
	if (!f) {
		printf("# out of memory\n");
		exit(0);
	}
	return f;
}

/* A cgroup with its pusher; 0 once the pusher holds its base. */
static int phase_start(struct phase *ph, const struct pusher_cfg *c,
		       pid_t *pid)
{
	int go[2], done[2];

	ph->cg = c->cg;
	mp_cg_path(c->cg, ph->cgpath, sizeof(ph->cgpath));
	if (pipe2(go, O_CLOEXEC) || pipe2(done, O_CLOEXEC))
		return -errno;
	*pid = mp_fork();
	if (!*pid) {
		close(go[1]);
		close(done[0]);
		if (cg_enter(c->cg, getpid()))
			_exit(127);
		pusher(c, ph->slot, go[0], done[1]);
	}
	close(go[0]);
	close(done[1]);
	ph->go_fd = go[1];
	ph->done_fd = done[0];
	if (*pid < 0 || wait_byte(ph->done_fd, 120000)) {
		printf("# the child in %s did not reach its base\n", c->cg);
		return -EIO;
	}
	/*
	 * The module must have sampled the cgroup: counts it finds on its
	 * first look are history, not news, and raise no event.
	 */
	mp_wait_more_samples(2, 10000);
	return 0;
}

static void phase_end(struct phase *ph, pid_t pid)
{
	close(ph->go_fd);
	if (pid > 0)
		mp_kill_child(pid);
	close(ph->done_fd);
}

/* A cgroup with @file = @bytes and no swap. */
static int limited_cg(const char *cg, const char *file, uint64_t bytes)
{
	char v[32];
	uint64_t x;

	snprintf(v, sizeof(v), "%llu", (unsigned long long)bytes);
	if (cg_create_leaf(cg) || (file && cg_write(cg, file, v)))
		return -1;
	/* What is touched stays charged: no swap to push it to. */
	if (cg_read_u64(cg, "memory.swap.max", &x) == 0)
		cg_write(cg, "memory.swap.max", "0");
	return 0;
}

static struct mp_events *reader;

/*
 * The limit rounds of one cgroup (memory.high or memory.max): the events
 * file with a PSI trigger at 500 ms, POLLPRI and inotify on memory.events;
 * then the events file with a PSI trigger at the smallest window, if that
 * is smaller.  Results in @res: wake, detect, psi, kernfs, inotify, psimin.
 */
static void limit_phase(struct phase *ph, size_t rounds, unsigned int minwin,
			struct figures **res)
{
	struct watch w[4] = {
		{ .kind = W_EVENTS, .fd = reader->fd, .f = res[0], .detect = res[1] },
		{ .kind = W_PSI, .fd = psi_open(ph->cg, PSI_WINDOW_US), .f = res[2] },
		{ .kind = W_KERNFS, .fd = kernfs_open(ph->cg), .f = res[3] },
		{ .kind = W_INOTIFY, .fd = inotify_open(ph->cg), .f = res[4] },
	};
	size_t k;

	for (k = 1; k < 4; k++)
		if (w[k].fd < 0)
			printf("# %s: cannot open: %s\n", w[k].f->name,
			       strerror(errno));
	ph->pause_us = PSI_WINDOW_US;
	ph->others_ms = OTHERS_WAIT_MS;
	rounds_run(ph, w, w[2].fd >= 0 ? 4 : 1, reader, rounds);
	for (k = 1; k < 4; k++)
		if (w[k].fd >= 0)
			close(w[k].fd);

	if (minwin && minwin < PSI_WINDOW_US) {
		struct figures wake2 = { .lat_us = calloc(rounds, sizeof(uint64_t)) };
		struct watch m[2] = {
			{ .kind = W_EVENTS, .fd = reader->fd, .f = &wake2 },
			{ .kind = W_PSI, .fd = psi_open(ph->cg, minwin), .f = res[5] },
		};

		ph->pause_us = minwin;
		ph->others_ms = MINWIN_WAIT_MS;
		if (wake2.lat_us && m[1].fd >= 0)
			rounds_run(ph, m, 2, reader, rounds);
		if (m[1].fd >= 0)
			close(m[1].fd);
		free(wake2.lat_us);
	}
}

int main(int argc, char **argv)
{
	static const char *const names[] = {
		"events file, reader wakes", "events file, module time_usec",
		"PSI trigger, 500 ms window", "poll(POLLPRI) on memory.events",
		"inotify on memory.events", "PSI trigger, smallest window",
	};
	static const char *const prefixes[] = {
		"reader", "detect", "psi_trigger", "memory_events_poll",
		"memory_events_inotify", "psi_trigger_min_window",
	};
	struct figures *hi[6], *mx[6], *soft_wake, *soft_detect, *poller;
	char cg_high[64], cg_max[64], cg_soft[64], cmd[160];
	uint64_t interval = 0, runs0 = 0, runs1 = 0;
	unsigned int minwin = 0;
	size_t rounds = 100, k;
	pid_t pid = -1;
	struct utsname uts;
	struct phase ph = { .seed = 12345 };
	char lbl[80];
	int err;

	if (argc > 1)
		rounds = strtoul(argv[1], NULL, 10);
	if (!rounds)
		rounds = 100;
	setvbuf(stdout, NULL, _IOLBF, 0);
	page_size = sysconf(_SC_PAGESIZE);
	uname(&uts);
	printf("# bench_events: latency from a cgroup crossing a limit to a reader's wake-up\n");
	printf("# kernel %s, %zu rounds per method, memory.high %llu MiB, memory.max %llu MiB, soft limit %llu MiB\n",
	       uts.release, rounds, (unsigned long long)(HIGH / MiB),
	       (unsigned long long)(MAXLIM / MiB), (unsigned long long)(SOFT / MiB));

	err = mp_load("");
	if (err) {
		printf("# cannot load %s: %s\n", mp_module_path(),
		       strerror(-err));
		return 0;
	}
	mp_status_u64(MP_STATUS(INTERVAL_MS), &interval);
	printf("# module interval_ms %llu (its default)\n",
	       (unsigned long long)interval);

	snprintf(cg_high, sizeof(cg_high), "mpbench-%d", getpid());
	snprintf(cg_max, sizeof(cg_max), "mpbench-max-%d", getpid());
	snprintf(cg_soft, sizeof(cg_soft), "mpbench-soft-%d", getpid());
	ph.slot = mmap(NULL, sizeof(*ph.slot), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	reader = malloc(sizeof(*reader));
	for (k = 0; k < 6; k++) {
		hi[k] = figs(names[k], rounds);
		mx[k] = figs(names[k], rounds);
	}
	soft_wake = figs(names[0], rounds);
	soft_detect = figs(names[1], rounds);
	poller = figs("memory.events read every 100 ms", rounds);
	if (ph.slot == MAP_FAILED || !reader || mp_events_open(reader, O_NONBLOCK) ||
	    limited_cg(cg_high, "memory.high", HIGH) ||
	    limited_cg(cg_max, "memory.max", MAXLIM) ||
	    limited_cg(cg_soft, NULL, 0)) {
		printf("# setup failed: %s\n", strerror(errno));
		goto out;
	}
	minwin = psi_min_window(cg_high);
	printf("# smallest PSI trigger window this kernel accepts (as root): %u us\n",
	       minwin);

	/* memory.high */
	if (phase_start(&ph, &(struct pusher_cfg){ cg_high, HIGH, BASE_GAP, 0, false },
			&pid) == 0) {
		ph.counter = "high";
		ph.ev_kind = MEMPRESSURE_EVENT_HIGH;
		mp_status_u64(MP_STATUS(FAST_PATH_RUNS), &runs0);
		limit_phase(&ph, rounds, minwin, hi);
		mp_status_u64(MP_STATUS(FAST_PATH_RUNS), &runs1);
		printf("# memory.high: %zu rounds, %zu crossings, %zu with a `high` event; fast_path_runs +%llu\n",
		       hi[0]->rounds, hi[0]->crossed, hi[0]->events,
		       (unsigned long long)(runs1 - runs0));
		ph.pause_us = 0;
		poller_rounds(&ph, rounds, poller);
	}
	phase_end(&ph, pid);
	pid = -1;

	/* memory.max */
	if (phase_start(&ph, &(struct pusher_cfg){ cg_max, MAXLIM, BASE_GAP, POOL, false },
			&pid) == 0) {
		ph.counter = "max";
		ph.ev_kind = MEMPRESSURE_EVENT_MAX;
		limit_phase(&ph, rounds, minwin, mx);
	}
	phase_end(&ph, pid);
	pid = -1;

	/* The soft limit, at the shortest interval. */
	err = mp_control_set(MEMPRESSURE_TUNABLE_INTERVAL_MS, SOFT_INTERVAL_MS);
	mp_wait_more_samples(2, 10000);
	mp_cg_path(cg_soft, lbl, sizeof(lbl));
	snprintf(cmd, sizeof(cmd), "soft %s %llu", lbl, (unsigned long long)SOFT);
	if (!err)
		err = mp_control_cmd(cmd);
	if (err) {
		printf("# %s: %s\n", cmd, strerror(-err));
	} else if (phase_start(&ph, &(struct pusher_cfg){ cg_soft, SOFT, SOFT_GAP, 0, true },
			       &pid) == 0) {
		struct watch w = { .kind = W_EVENTS, .fd = reader->fd,
				   .f = soft_wake, .detect = soft_detect };

		ph.counter = NULL;
		ph.ev_kind = MEMPRESSURE_EVENT_SOFT_OVER;
		ph.pause_us = 0;
		rounds_run(&ph, &w, 1, reader, rounds);
	}
	phase_end(&ph, pid);
	pid = -1;

	printf("# %-40s %6s %7s %6s %10s %10s %10s\n", "method", "rounds",
	       "crossed", "events", "p50_usec", "p99_usec", "max_usec");
	printf("# memory.high %llu MiB:\n", (unsigned long long)(HIGH / MiB));
	for (k = 0; k < 6; k++)
		if (k < 5 || minwin < PSI_WINDOW_US)
			report(hi[k]);
	report(poller);
	printf("# memory.max %llu MiB:\n", (unsigned long long)(MAXLIM / MiB));
	for (k = 0; k < 6; k++)
		if (k < 5 || minwin < PSI_WINDOW_US)
			report(mx[k]);
	printf("# soft limit %llu MiB (interval_ms %d):\n",
	       (unsigned long long)(SOFT / MiB), SOFT_INTERVAL_MS);
	report(soft_wake);
	report(soft_detect);
	printf("# latency: from just before the crossing (up to %d page faults early) to the method's wake-up\n",
	       EARLY_PAGES + OVER_PAGES);
	printf("# (or to the module's time_usec); crossed: rounds in which the memory.events counter grew;\n");
	printf("# events: rounds the method reported (PSI triggers: \"some 1 WINDOW\", any stall; smallest window %u us).\n",
	       minwin);

	/* For make bench. */
	bench_lines("reader", hi[0], "psi_trigger", hi[2]);
	bench_lines("detect", hi[1], NULL, NULL);
	bench_lines("psi_trigger", hi[2], NULL, NULL);
	for (k = 3; k < 6; k++) {
		if (k == 5 && minwin >= PSI_WINDOW_US)
			break;
		bench_lines(prefixes[k], hi[k], NULL, NULL);
	}
	printf("bench: psi_trigger_min_window_us %u us psi_trigger_window_us %u\n",
	       minwin, PSI_WINDOW_US);
	bench_lines("memory_events_poller_100ms", poller, NULL, NULL);
	for (k = 0; k < 6; k++) {
		if (k == 5 && minwin >= PSI_WINDOW_US)
			break;
		snprintf(lbl, sizeof(lbl), "max_%s", prefixes[k]);
		bench_lines(lbl, mx[k], k ? NULL : "max_psi_trigger",
			    k ? NULL : mx[2]);
	}
	bench_lines("soft_over_reader", soft_wake, NULL, NULL);
	bench_lines("soft_over_detect", soft_detect, NULL, NULL);
out:
	if (reader) {
		mp_events_close(reader);
		free(reader);
	}
	cg_destroy(cg_high);
	cg_destroy(cg_max);
	cg_destroy(cg_soft);
	mp_unload();
	return 0;
}
