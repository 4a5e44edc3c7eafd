// SPDX-License-Identifier: GPL-2.0
/*
 * Signals (docs/signals.md): pressure levels, soft limits and leak
 * suspicion, each driven by a child whose memory the test sets page by page.
 *
 * A level must rise at the documented usage points and not before, and
 * fall only after calm_ms below, or a daemon acting on it would act too
 * early or flap; a usage hovering at a threshold must raise one event, not
 * a stream.  A soft limit must report crossing it, and crossing back only
 * below its margin.  Throttling at memory.high must be reported as it
 * happens, not at the next sample.  A leak must be suspected of a process
 * that keeps growing, within the time the rules allow, cleared once it
 * stops, and never of a process that holds still.
 *
 * Children resize their anonymous memory on command and acknowledge, so
 * the test knows what usage the next sample sees.  cgroup usage includes
 * what the child needs besides (page tables, its stack): the test reads
 * memory.current and adjusts, instead of assuming.  Points "just below"
 * and "just above" a threshold are EDGE away from it: memcg charges in
 * batches of 64 pages per CPU, so memory.current moves by up to 256 KiB
 * per CPU behind a reader's back; EDGE is four times that.
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
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mp_util.h"

#define MAX_CGROUPS	4
#define MAX_CHILDREN	4

/* The levels test's cgroup: memory.max only, so L = H = CG_LIMIT. */
#define CG_LIMIT	(64 * MiB)
/* How far "just below" and "just above" a threshold are from it. */
#define EDGE		(1 * MiB)
/* How close to its target place() brings what it measures. */
#define PLACE_TOL	(128 * KiB)
/* calm_ms for the levels test (set through the control file). */
#define LEVELS_CALM_MS	1500
/*
 * The hovering test: usage alternates EDGE above and below low_pct for
 * HOVER_MS, PHASE_MS each way, with calm_ms well above a whole cycle.
 */
#define HOVER_CALM_MS	2000
#define HOVER_MS	6000
#define PHASE_MS	400
/* The level must have fallen this many samples after calm_ms has passed. */
#define FALL_SAMPLES	4

/* Soft limits: a cgroup's and a process's, with the default 5% margin. */
#define SOFT_CG		(40 * MiB)
#define SOFT_PID	(24 * MiB)

/*
 * Leak suspicion with a 10 s window: a grower at 1 MiB/s, four times
 * LEAK_RATE, and 10 MiB per window, ten times LEAK_MIN.
 */
#define LEAK_WINDOW_S	10
/* The age a process must have to be suspected: 7/3 of the window. */
#define LEAK_AGE_MS	(LEAK_WINDOW_S * 7000 / 3)
#define LEAK_RATE	(256 * KiB)
#define LEAK_MIN	(1 * MiB)
#define GROW_RATE	(1 * MiB)
#define LEAK_CG_LIMIT	(128 * MiB)
#define STEADY_BYTES	(8 * MiB)
/* Slack on the documented times: ten samples. */
#define LEAK_SLACK_MS	(10 * MP_TEST_INTERVAL_MS)

static long page_size;

/* A child that resizes its anonymous memory on command. */
enum { OP_SET, OP_GROW, OP_HOLD, OP_EXIT };

struct cmd {
	uint32_t op;
	uint64_t bytes;		/* SET: resident size; GROW: the most */
	uint64_t rate;		/* GROW: bytes per second */
};

struct toucher {
	pid_t pid;
	int cmd_fd, ack_fd;
	uint64_t resident;	/* as the child last acknowledged */
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Milliseconds from now until @deadline (ms), 0 if it has passed. */
static int ms_until(uint64_t deadline)
{
	uint64_t now = mp_now_ms();

	return now < deadline ? (int)(deadline - now) : 0;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Make [0, @want) of @p resident and the rest not: touch or drop. */
static size_t set_resident(char *p, size_t resident, size_t want)
{
	size_t off;

	want = want / (size_t)page_size * (size_t)page_size;
	if (want > resident) {
		for (off = resident; off < want; off += (size_t)page_size)
			p[off] = 1;
	} else if (want < resident) {
		madvise(p + want, resident - want, MADV_DONTNEED);
	}
	return want;
}

/*
 * The child: OP_SET makes its resident size the given bytes and holds it;
 * OP_GROW grows it at a rate, paced by the clock every 50 ms, up to a
 * size, until the next command; OP_HOLD stops growing.  Every command is acknowledged with the
 * resident size.
 */
static void toucher_main(size_t region, int cmd_fd, int ack_fd,
			 const char *comm)
{
	size_t resident = 0, start_res = 0, limit = 0;
	uint64_t rate = 0;
	bool growing = false;
	int64_t start = 0;
	char *p;

	prctl(PR_SET_NAME, comm);
	p = mmap(NULL, region, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		_exit(1);
	/* Page by page: no huge page charges 2 MiB at once. */
	madvise(p, region, MADV_NOHUGEPAGE);

	for (;;) {
		struct pollfd pfd = { .fd = cmd_fd, .events = POLLIN };
		struct cmd c;
		uint64_t ack;
		int ret;

		ret = poll(&pfd, 1, growing ? 50 : -1);
		if (ret < 0 && errno != EINTR)
			_exit(1);
		if (ret > 0) {
			if (read(cmd_fd, &c, sizeof(c)) != (ssize_t)sizeof(c))
				_exit(0);	/* the test is gone */
			switch (c.op) {
			case OP_SET:
				growing = false;
				resident = set_resident(p, resident,
							c.bytes < region ?
							c.bytes : region);
				break;
			case OP_HOLD:
				growing = false;
				break;
			case OP_GROW:
				growing = true;
				rate = c.rate;
				limit = c.bytes < region ? c.bytes : region;
				start = now_ns();
				start_res = resident;
				break;
			default:
				_exit(0);
			}
			ack = resident;
			if (write(ack_fd, &ack, sizeof(ack)) != sizeof(ack))
				_exit(1);
		}
		if (growing) {
			double grown = (double)(now_ns() - start) / 1e9 *
				       (double)rate;
			size_t want = start_res + (size_t)grown;

			if (want > limit)
				want = limit;
			if (want > resident)
				resident = set_resident(p, resident, want);
		}
	}
}

FIXTURE(signals) {
	char cgroups[MAX_CGROUPS][64];
	int nr_cgroups;
	struct toucher touchers[MAX_CHILDREN];
	int nr_touchers;
	pid_t others[MAX_CHILDREN];
	int nr_others;
	struct mp_events ev;
};

FIXTURE_SETUP(signals)
{
	page_size = sysconf(_SC_PAGESIZE);
	self->nr_cgroups = 0;
	self->nr_touchers = 0;
	self->nr_others = 0;
	self->ev.fd = -1;
	ASSERT_EQ(0, mp_load("interval_ms=200"));
}

FIXTURE_TEARDOWN(signals)
{
	int i;

	mp_events_close(&self->ev);
	for (i = 0; i < self->nr_touchers; i++) {
		mp_kill_child(self->touchers[i].pid);
		close(self->touchers[i].cmd_fd);
		close(self->touchers[i].ack_fd);
	}
	for (i = 0; i < self->nr_others; i++)
		mp_kill_child(self->others[i]);
	for (i = self->nr_cgroups - 1; i >= 0; i--) {
		EXPECT_EQ(0, cg_destroy(self->cgroups[i])) {
			TH_LOG("cannot remove cgroup %s", self->cgroups[i]);
		}
	}
	EXPECT_EQ(0, mp_unload());
}

/* A leaf cgroup "mptest-<pid>-<n>" with memory.max @max (0: none), no swap. */
static int make_cgroup(FIXTURE_DATA(signals) *self, uint64_t max,
		       const char **name)
{
	char *slot, value[32];
	uint64_t v;
	int err;

	if (self->nr_cgroups == MAX_CGROUPS)
		return -ENOSPC;
	slot = self->cgroups[self->nr_cgroups];
	snprintf(slot, sizeof(self->cgroups[0]), "mptest-%d-%d", getpid(),
		 self->nr_cgroups);
	err = cg_create_leaf(slot);
	if (err)
		return err;
	self->nr_cgroups++;
	if (max) {
		snprintf(value, sizeof(value), "%llu", (unsigned long long)max);
		err = cg_write(slot, "memory.max", value);
		if (err)
			return err;
	}
	/* No swap: what the child touches stays resident and charged. */
	if (cg_read_u64(slot, "memory.swap.max", &v) == 0) {
		err = cg_write(slot, "memory.swap.max", "0");
		if (err)
			return err;
	}
	*name = slot;
	return 0;
}

/* Start a toucher in cgroup @cg (NULL: stay here), named @comm. */
static struct toucher *toucher_start(FIXTURE_DATA(signals) *self,
				     const char *cg, size_t region,
				     const char *comm)
{
	int cmd[2], ack[2];
	struct toucher *t;
	pid_t pid;

	if (self->nr_touchers == MAX_CHILDREN)
		return NULL;
	if (pipe2(cmd, O_CLOEXEC))
		return NULL;
	if (pipe2(ack, O_CLOEXEC)) {
		close(cmd[0]);
		close(cmd[1]);
		return NULL;
	}
	pid = mp_fork();
	if (pid < 0)
		return NULL;
	if (!pid) {
		close(cmd[1]);
		close(ack[0]);
		if (cg && cg_enter(cg, getpid()))
			_exit(127);
		toucher_main(region, cmd[0], ack[1], comm);
		_exit(0);
	}
	close(cmd[0]);
	close(ack[1]);
	t = &self->touchers[self->nr_touchers++];
	t->pid = pid;
	t->cmd_fd = cmd[1];
	t->ack_fd = ack[0];
	t->resident = 0;
	return t;
}

/* Send a command and wait for its acknowledgement. */
static int toucher_cmd(struct toucher *t, uint32_t op, uint64_t bytes,
		       uint64_t rate)
{
	struct cmd c = { .op = op, .bytes = bytes, .rate = rate };
	struct pollfd pfd = { .fd = t->ack_fd, .events = POLLIN };
	uint64_t ack;

	if (write(t->cmd_fd, &c, sizeof(c)) != (ssize_t)sizeof(c))
		return -EPIPE;
	if (poll(&pfd, 1, MP_WAIT_MS) != 1)
		return -ETIMEDOUT;
	if (read(t->ack_fd, &ack, sizeof(ack)) != (ssize_t)sizeof(ack))
		return -EPIPE;
	t->resident = ack;
	return 0;
}

static int toucher_set(struct toucher *t, uint64_t bytes)
{
	return toucher_cmd(t, OP_SET, bytes, 0);
}

/* A measure of what the toucher's memory counts for: usage or RSS. */
typedef int (*measure_fn)(const void *subject, uint64_t *bytes);

static int measure_cgroup(const void *cg, uint64_t *bytes)
{
	return cg_read_u64(cg, "memory.current", bytes);
}

static int measure_rss(const void *pid, uint64_t *bytes)
{
	uint64_t kb;
	int err = proc_status_kb(*(const pid_t *)pid, "VmRSS", &kb);

	*bytes = kb * KiB;
	return err;
}

/*
 * Resize the toucher until @measure reads within PLACE_TOL of @target,
 * from its overhead as measured (page tables, stack, inherited pages).
 * The measured value goes to @at.
 */
static int place(struct toucher *t, measure_fn measure, const void *subject,
		 uint64_t target, uint64_t *at)
{
	uint64_t cur = 0;
	int i, err;

	for (i = 0; i < 8; i++) {
		int64_t diff, want;

		err = measure(subject, &cur);
		if (err)
			return err;
		diff = (int64_t)target - (int64_t)cur;
		if (llabs(diff) <= (int64_t)PLACE_TOL)
			break;
		want = (int64_t)t->resident + diff;
		err = toucher_set(t, want < 0 ? 0 : (uint64_t)want);
		if (err)
			return err;
	}
	*at = cur;
	return llabs((int64_t)target - (int64_t)cur) <= (int64_t)PLACE_TOL ?
	       0 : -ERANGE;
}

/* @pct percent of @bytes, as the module computes it (mp_percent_of). */
static uint64_t percent_of(uint64_t bytes, uint64_t pct)
{
	return bytes / 100 * pct + bytes % 100 * pct / 100;
}

/* The cgroups table's view of cgroup @name, in one read. */
struct cg_view {
	int level;
	uint64_t current, limit, hard, soft, soft_over;
};

static int cg_view(const char *name, struct cg_view *v)
{
	char key[32], cell[32];
	struct mp_table t;
	uint64_t id;
	int err;

	err = cg_id(name, &id);
	if (err)
		return err;
	snprintf(key, sizeof(key), "%llu", (unsigned long long)id);
	err = mp_table_read(MEMPRESSURE_PROC_PATH, MEMPRESSURE_FILE_CGROUPS, &t);
	if (err)
		return err;
	err = mp_row_str(&t, MP_CGCOL(ID), key, MP_CGCOL(LEVEL), cell,
			 sizeof(cell));
	if (!err) {
		v->level = mp_name_index(mp_level_names, MEMPRESSURE_LEVEL_NR,
					 cell);
		if (v->level < 0)
			err = -EINVAL;
	}
	if (!err)
		err = mp_row_u64(&t, MP_CGCOL(ID), key, MP_CGCOL(CURRENT),
				 &v->current);
	if (!err)
		err = mp_row_u64(&t, MP_CGCOL(ID), key, MP_CGCOL(LIMIT),
				 &v->limit);
	if (!err)
		err = mp_row_u64(&t, MP_CGCOL(ID), key, MP_CGCOL(HARD_LIMIT),
				 &v->hard);
	if (!err)
		err = mp_row_u64(&t, MP_CGCOL(ID), key, MP_CGCOL(SOFT_LIMIT),
				 &v->soft);
	if (!err)
		err = mp_row_u64(&t, MP_CGCOL(ID), key, MP_CGCOL(SOFT_OVER),
				 &v->soft_over);
	mp_table_free(&t);
	return err;
}

static const char *level_name(int level)
{
	return level >= 0 && level < MEMPRESSURE_LEVEL_NR ?
	       mp_level_names[level] : "?";
}

/*
 * Wait for cgroup @name's level to leave @from, sample by sample, after
 * usage went below it between @t0 and @t1 (ms).  It must hold @from
 * until calm_ms less one interval after @t0 (the calm period may count
 * from the last sample above) and have fallen within FALL_SAMPLES samples
 * of @t1 + calm_ms.  Returns the level seen and when (ms) in @seen_at.
 */
static int wait_fall(struct __test_metadata *_metadata, const char *name,
		     int from, uint64_t t0, uint64_t t1, unsigned int calm_ms,
		     uint64_t *seen_at)
{
	uint64_t samples, calm_sample = 0, now;
	struct cg_view v = { .level = from };

	for (;;) {
		EXPECT_EQ(0, mp_wait_more_samples(1, MP_WAIT_MS));
		if (mp_status_u64(MP_STATUS(SAMPLES), &samples) ||
		    cg_view(name, &v))
			return -EIO;
		now = mp_now_ms();
		if (v.level != from)
			break;
		if (!calm_sample && now >= t1 + calm_ms)
			calm_sample = samples;
		if (calm_sample && samples >= calm_sample + FALL_SAMPLES)
			break;
	}
	*seen_at = now;
	TH_LOG("level %s -> %s seen %llu ms after usage fell (calm_ms %u)",
	       level_name(from), level_name(v.level),
	       (unsigned long long)(now - t0), calm_ms);
	EXPECT_NE(from, v.level) {
		TH_LOG("still %s %d samples after calm_ms had passed",
		       level_name(from), FALL_SAMPLES);
	}
	EXPECT_LE(t0 + calm_ms - MP_TEST_INTERVAL_MS, now) {
		TH_LOG("fell %llu ms after usage did, before calm_ms %u",
		       (unsigned long long)(now - t0), calm_ms);
	}
	return v.level;
}

/*
 * none -> low -> medium -> critical at 75% of L, the soft limit (85% of
 * L) and 95% of H, each checked just below and just above; then, with
 * usage back near 0, critical holds for calm_ms and falls straight to
 * none.  The level events say the same, with the reasons.
 */
TEST_F_TIMEOUT(signals, levels, 120)
{
	uint64_t low = percent_of(CG_LIMIT,
				  mp_ctl_default(MEMPRESSURE_TUNABLE_LOW_PCT));
	uint64_t soft = percent_of(CG_LIMIT,
				   mp_ctl_default(MEMPRESSURE_TUNABLE_SOFT_PCT));
	uint64_t crit = percent_of(CG_LIMIT,
				   mp_ctl_default(MEMPRESSURE_TUNABLE_CRITICAL_PCT));
	const struct {
		uint64_t at, threshold;
		int level;
		const char *what;
	} points[] = {
		{ low - EDGE, low, MEMPRESSURE_LEVEL_NONE, "below low_pct" },
		{ low + EDGE, low, MEMPRESSURE_LEVEL_LOW, "above low_pct" },
		{ soft - EDGE, soft, MEMPRESSURE_LEVEL_LOW, "below the soft limit" },
		{ soft + EDGE, soft, MEMPRESSURE_LEVEL_MEDIUM, "above the soft limit" },
		{ crit - EDGE, crit, MEMPRESSURE_LEVEL_MEDIUM, "below critical_pct" },
		{ crit + EDGE, crit, MEMPRESSURE_LEVEL_CRITICAL, "above critical_pct" },
	};
	const uint64_t rises[] = { low, soft, crit };
	uint64_t t0, t1, seen_at, cur, maxev;
	char path[80];
	struct mp_event ev;
	struct cg_view v;
	struct toucher *t;
	const char *cg;
	size_t i;

	ASSERT_EQ(0, make_cgroup(self, CG_LIMIT, &cg));
	mp_cg_path(cg, path, sizeof(path));
	ASSERT_EQ(0, mp_control_set(MEMPRESSURE_TUNABLE_CALM_MS,
				    LEVELS_CALM_MS));
	ASSERT_EQ(0, mp_events_open(&self->ev, 0));
	t = toucher_start(self, cg, CG_LIMIT, "mp-levels");
	ASSERT_NE(NULL, t);

	for (i = 0; i < ARRAY_SIZE(points); i++) {
		int64_t off;

		ASSERT_EQ(0, place(t, measure_cgroup, cg, points[i].at, &cur)) {
			TH_LOG("%s: memory.current %llu, wanted %llu",
			       points[i].what, (unsigned long long)cur,
			       (unsigned long long)points[i].at);
		}
		ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));
		ASSERT_EQ(0, cg_view(cg, &v));
		off = ((int64_t)cur - (int64_t)points[i].threshold) / (int64_t)KiB;
		TH_LOG("%s: memory.current %llu (%+lld KiB from the threshold), current_bytes %llu, level %s",
		       points[i].what, (unsigned long long)cur, (long long)off,
		       (unsigned long long)v.current, level_name(v.level));
		EXPECT_EQ(points[i].level, v.level) {
			TH_LOG("%s: level %s, expected %s", points[i].what,
			       level_name(v.level),
			       level_name(points[i].level));
		}
	}
	EXPECT_EQ(CG_LIMIT, v.limit);
	EXPECT_EQ(CG_LIMIT, v.hard);
	EXPECT_TRUE(values_close(v.soft, soft, 0, 1)) {
		TH_LOG("soft_limit_bytes %llu, expected %llu",
		       (unsigned long long)v.soft, (unsigned long long)soft);
	}
	/* Critical came from usage, not from reclaim at memory.max. */
	ASSERT_EQ(0, cg_read_key_u64(cg, "memory.events", "max", &maxev));
	EXPECT_EQ(0, maxev);

	/* One event per rise, in order, for the usage that caused it. */
	for (i = 0; i < ARRAY_SIZE(rises); i++) {
		ASSERT_EQ(0, mp_events_wait(&self->ev,
					    MEMPRESSURE_EVENT_LEVEL, path, 0,
					    &ev, MP_WAIT_MS, NULL, NULL)) {
			TH_LOG("no level event %zu for %s", i + 1, path);
		}
		TH_LOG("event: %s", ev.line);
		EXPECT_EQ((int)i, ev.old_level);
		EXPECT_EQ((int)i + 1, ev.level);
		EXPECT_EQ(MEMPRESSURE_REASON_USAGE, ev.reason);
		EXPECT_LE(rises[i], ev.usage_bytes + 1);
		EXPECT_EQ(CG_LIMIT, ev.limit_bytes);
	}

	/* Down: critical holds for calm_ms, then falls to the raw level. */
	t0 = mp_now_ms();
	ASSERT_EQ(0, toucher_set(t, 0));
	t1 = mp_now_ms();
	ASSERT_EQ(0, cg_read_u64(cg, "memory.current", &cur));
	TH_LOG("freed: memory.current %llu", (unsigned long long)cur);
	ASSERT_GT(low - EDGE, cur);
	EXPECT_EQ(MEMPRESSURE_LEVEL_NONE,
		  wait_fall(_metadata, cg, MEMPRESSURE_LEVEL_CRITICAL, t0, t1,
			    LEVELS_CALM_MS, &seen_at));

	ASSERT_EQ(0, mp_events_wait(&self->ev, MEMPRESSURE_EVENT_LEVEL, path,
				    0, &ev, MP_WAIT_MS, NULL, NULL));
	TH_LOG("event: %s", ev.line);
	EXPECT_EQ(MEMPRESSURE_LEVEL_CRITICAL, ev.old_level);
	EXPECT_EQ(MEMPRESSURE_LEVEL_NONE, ev.level);
	EXPECT_EQ(MEMPRESSURE_REASON_CALM, ev.reason);
	EXPECT_LE((t0 + LEVELS_CALM_MS - MP_TEST_INTERVAL_MS) * 1000,
		  ev.time_usec);
	EXPECT_GE(seen_at * 1000, ev.time_usec);
}

/* What the hovering test counts in the event stream. */
struct level_count {
	const char *path;
	int events;
};

static void count_levels(const struct mp_event *ev, void *arg)
{
	struct level_count *c = arg;

	if (ev->kind == MEMPRESSURE_EVENT_LEVEL && !strcmp(ev->cgroup, c->path))
		c->events++;
}

/*
 * Usage hovering around low_pct (EDGE above, EDGE below, PHASE_MS each)
 * for HOVER_MS: the level rises once to low and stays there, since the
 * raw level never stays below for calm_ms; it falls one calm period
 * after the hovering ends.  Exactly two level events in all.
 */
TEST_F_TIMEOUT(signals, no_flapping, 120)
{
	uint64_t low = percent_of(CG_LIMIT,
				  mp_ctl_default(MEMPRESSURE_TUNABLE_LOW_PCT));
	struct level_count count = { 0 };
	uint64_t start, t0, t1, seen_at, cur, s0, s1;
	int phase, sampled_above = 0, not_low = 0;
	char path[80];
	struct mp_event ev;
	struct cg_view v;
	struct toucher *t;
	const char *cg;

	ASSERT_EQ(0, make_cgroup(self, CG_LIMIT, &cg));
	mp_cg_path(cg, path, sizeof(path));
	count.path = path;
	ASSERT_EQ(0, mp_control_set(MEMPRESSURE_TUNABLE_CALM_MS,
				    HOVER_CALM_MS));
	t = toucher_start(self, cg, CG_LIMIT, "mp-hover");
	ASSERT_NE(NULL, t);
	ASSERT_EQ(0, place(t, measure_cgroup, cg, low - 2 * EDGE, &cur));
	ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));
	ASSERT_EQ(0, cg_view(cg, &v));
	ASSERT_EQ(MEMPRESSURE_LEVEL_NONE, v.level);
	ASSERT_EQ(0, mp_events_open(&self->ev, 0));

	start = mp_now_ms();
	for (phase = 0; mp_now_ms() < start + HOVER_MS; phase++) {
		bool above = !(phase % 2);
		uint64_t end = start + (uint64_t)(phase + 1) * PHASE_MS;

		ASSERT_EQ(0, mp_status_u64(MP_STATUS(SAMPLES), &s0));
		ASSERT_EQ(0, place(t, measure_cgroup, cg,
				   above ? low + EDGE : low - EDGE, &cur));
		if (mp_now_ms() < end)
			sleep_ms((unsigned int)(end - mp_now_ms()));
		ASSERT_EQ(0, mp_status_u64(MP_STATUS(SAMPLES), &s1));
		/* Two samples ended in the phase: one was wholly in it. */
		if (above && s1 >= s0 + 2)
			sampled_above++;
		if (sampled_above) {
			ASSERT_EQ(0, cg_view(cg, &v));
			if (v.level != MEMPRESSURE_LEVEL_LOW) {
				not_low++;
				TH_LOG("phase %d (%s): level %s", phase,
				       above ? "above" : "below",
				       level_name(v.level));
			}
		}
	}
	TH_LOG("%d phases of %d ms around %llu bytes; %d above were sampled",
	       phase, PHASE_MS, (unsigned long long)low, sampled_above);
	/* The hovering did cross the threshold where the module looked. */
	ASSERT_LE(3, sampled_above);
	EXPECT_EQ(0, not_low);

	/* One rise, and nothing else so far. */
	ASSERT_EQ(0, mp_events_wait(&self->ev, MEMPRESSURE_EVENT_LEVEL, path,
				    0, &ev, MP_WAIT_MS, NULL, NULL));
	TH_LOG("event: %s", ev.line);
	EXPECT_EQ(MEMPRESSURE_LEVEL_NONE, ev.old_level);
	EXPECT_EQ(MEMPRESSURE_LEVEL_LOW, ev.level);
	EXPECT_EQ(MEMPRESSURE_REASON_USAGE, ev.reason);
	while (mp_events_next(&self->ev, &ev, 0) == 0)
		count_levels(&ev, &count);
	EXPECT_EQ(0, count.events) {
		TH_LOG("%d more level events while hovering", count.events);
	}

	/* The hovering ends below: one fall, one calm period later. */
	t0 = mp_now_ms();
	ASSERT_EQ(0, place(t, measure_cgroup, cg, low - 2 * EDGE, &cur));
	t1 = mp_now_ms();
	EXPECT_EQ(MEMPRESSURE_LEVEL_NONE,
		  wait_fall(_metadata, cg, MEMPRESSURE_LEVEL_LOW, t0, t1,
			    HOVER_CALM_MS, &seen_at));
	ASSERT_EQ(0, mp_events_wait(&self->ev, MEMPRESSURE_EVENT_LEVEL, path,
				    0, &ev, MP_WAIT_MS, NULL, NULL));
	TH_LOG("event: %s", ev.line);
	EXPECT_EQ(MEMPRESSURE_LEVEL_LOW, ev.old_level);
	EXPECT_EQ(MEMPRESSURE_LEVEL_NONE, ev.level);
	EXPECT_EQ(MEMPRESSURE_REASON_CALM, ev.reason);
	EXPECT_LE((t0 + HOVER_CALM_MS - MP_TEST_INTERVAL_MS) * 1000,
		  ev.time_usec);

	/* And no other level event after it. */
	ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));
	count.events = 0;
	while (mp_events_next(&self->ev, &ev, 0) == 0)
		count_levels(&ev, &count);
	EXPECT_EQ(0, count.events);
}

/* The events about one subject (a cgroup path, or a pid) since the last look. */
struct soft_count {
	const char *path;
	pid_t pid;
	int over, under;
};

static void count_soft(const struct mp_event *ev, void *arg)
{
	struct soft_count *c = arg;

	if (c->pid ? ev->pid != c->pid : (ev->pid != -1 ||
					   strcmp(ev->cgroup, c->path)))
		return;
	c->over += ev->kind == MEMPRESSURE_EVENT_SOFT_OVER;
	c->under += ev->kind == MEMPRESSURE_EVENT_SOFT_UNDER;
}

/* Let two samples pass, then count what came about the subject. */
static void drain_soft(struct __test_metadata *_metadata,
		       struct mp_events *r, struct soft_count *c)
{
	struct mp_event ev;

	ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));
	c->over = c->under = 0;
	while (mp_events_next(r, &ev, 0) == 0)
		count_soft(&ev, c);
}

/*
 * A cgroup's own soft limit S: below it nothing; crossing it raises
 * soft_over and soft_over 1; falling below S but not below S minus the
 * 5% margin raises nothing; below that, soft_under and soft_over 0.  The
 * same for a process's soft limit against its RSS, with its pid.
 */
TEST_F_TIMEOUT(signals, soft_limits, 120)
{
	uint64_t margin_pct = mp_ctl_default(MEMPRESSURE_TUNABLE_SOFT_MARGIN_PCT);
	uint64_t cg_margin = percent_of(SOFT_CG, margin_pct);
	uint64_t pid_margin = percent_of(SOFT_PID, margin_pct);
	struct soft_count c = { 0 };
	char path[80], cmd[256], cell[64], comm[64];
	struct mp_event ev;
	struct cg_view v;
	struct toucher *t, *p;
	uint64_t cur, soft;
	const char *cg;

	ASSERT_EQ(0, make_cgroup(self, CG_LIMIT, &cg));
	mp_cg_path(cg, path, sizeof(path));
	ASSERT_EQ(0, mp_events_open(&self->ev, 0));
	t = toucher_start(self, cg, CG_LIMIT, "mp-softcg");
	ASSERT_NE(NULL, t);
	p = toucher_start(self, NULL, 2 * SOFT_PID, "mp-softpid");
	ASSERT_NE(NULL, p);

	snprintf(cmd, sizeof(cmd), "%s %s %llu\n", MEMPRESSURE_CTL_SOFT, path,
		 (unsigned long long)SOFT_CG);
	ASSERT_EQ(0, mp_control_cmd(cmd));

	/* The cgroup: below, over, inside the margin, under. */
	c.path = path;
	ASSERT_EQ(0, place(t, measure_cgroup, cg, SOFT_CG - 4 * EDGE, &cur));
	drain_soft(_metadata, &self->ev, &c);
	ASSERT_EQ(0, cg_view(cg, &v));
	EXPECT_EQ(SOFT_CG, v.soft);
	EXPECT_EQ(0, v.soft_over);
	EXPECT_EQ(0, c.over + c.under);

	ASSERT_EQ(0, place(t, measure_cgroup, cg, SOFT_CG + EDGE, &cur));
	ASSERT_EQ(0, mp_events_wait(&self->ev, MEMPRESSURE_EVENT_SOFT_OVER,
				    path, 0, &ev, MP_WAIT_MS, NULL, NULL)) {
		TH_LOG("no soft_over for %s at %llu bytes", path,
		       (unsigned long long)cur);
	}
	TH_LOG("event: %s", ev.line);
	EXPECT_EQ(-1, ev.pid);
	EXPECT_EQ(SOFT_CG, ev.soft_limit_bytes);
	EXPECT_LE(SOFT_CG, ev.usage_bytes);
	ASSERT_EQ(0, mp_wait_more_samples(1, MP_WAIT_MS));
	ASSERT_EQ(0, cg_view(cg, &v));
	EXPECT_EQ(1, v.soft_over);

	ASSERT_EQ(0, place(t, measure_cgroup, cg, SOFT_CG - cg_margin / 2,
			   &cur));
	drain_soft(_metadata, &self->ev, &c);
	ASSERT_EQ(0, cg_view(cg, &v));
	EXPECT_EQ(1, v.soft_over);
	EXPECT_EQ(0, c.under) {
		TH_LOG("soft_under at %llu bytes, within the margin of %llu",
		       (unsigned long long)cur, (unsigned long long)cg_margin);
	}

	ASSERT_EQ(0, place(t, measure_cgroup, cg, SOFT_CG - cg_margin - EDGE,
			   &cur));
	ASSERT_EQ(0, mp_events_wait(&self->ev, MEMPRESSURE_EVENT_SOFT_UNDER,
				    path, 0, &ev, MP_WAIT_MS, NULL, NULL)) {
		TH_LOG("no soft_under for %s at %llu bytes", path,
		       (unsigned long long)cur);
	}
	TH_LOG("event: %s", ev.line);
	EXPECT_GT(SOFT_CG - cg_margin, ev.usage_bytes);
	EXPECT_EQ(SOFT_CG, ev.soft_limit_bytes);
	ASSERT_EQ(0, mp_wait_more_samples(1, MP_WAIT_MS));
	ASSERT_EQ(0, cg_view(cg, &v));
	EXPECT_EQ(0, v.soft_over);

	/* The process: the same against its RSS. */
	memset(&c, 0, sizeof(c));
	c.pid = p->pid;
	snprintf(cmd, sizeof(cmd), "%s %d %llu\n", MEMPRESSURE_CTL_SOFT_PID,
		 p->pid, (unsigned long long)SOFT_PID);
	ASSERT_EQ(0, mp_control_cmd(cmd));
	ASSERT_EQ(0, place(p, measure_rss, &p->pid, SOFT_PID - 4 * EDGE, &cur));
	drain_soft(_metadata, &self->ev, &c);
	EXPECT_EQ(0, c.over + c.under);
	ASSERT_EQ(0, mp_proc_cell(p->pid, MP_PCOL(SOFT_LIMIT), cell,
				  sizeof(cell)));
	ASSERT_EQ(0, mp_parse_u64(cell, &soft));
	EXPECT_EQ(SOFT_PID, soft);

	ASSERT_EQ(0, place(p, measure_rss, &p->pid, SOFT_PID + EDGE, &cur));
	ASSERT_EQ(0, mp_events_wait(&self->ev, MEMPRESSURE_EVENT_SOFT_OVER,
				    NULL, p->pid, &ev, MP_WAIT_MS, NULL,
				    NULL)) {
		TH_LOG("no soft_over for pid %d at RSS %llu", p->pid,
		       (unsigned long long)cur);
	}
	TH_LOG("event: %s", ev.line);
	EXPECT_EQ(SOFT_PID, ev.soft_limit_bytes);
	EXPECT_LE(SOFT_PID, ev.usage_bytes);
	EXPECT_TRUE(values_close(ev.usage_bytes, cur, 0, 2 * PLACE_TOL));
	snprintf(comm, sizeof(comm), "%s", ev.comm);
	EXPECT_STREQ("mp-softpid", comm);
	ASSERT_EQ(0, mp_proc_cell(p->pid, MP_PCOL(CGROUP), cell, sizeof(cell)));
	EXPECT_STREQ(cell, ev.cgroup);

	ASSERT_EQ(0, place(p, measure_rss, &p->pid, SOFT_PID - pid_margin / 2,
			   &cur));
	drain_soft(_metadata, &self->ev, &c);
	EXPECT_EQ(0, c.under) {
		TH_LOG("soft_under at RSS %llu, within the margin of %llu",
		       (unsigned long long)cur, (unsigned long long)pid_margin);
	}

	ASSERT_EQ(0, place(p, measure_rss, &p->pid,
			   SOFT_PID - pid_margin - EDGE, &cur));
	ASSERT_EQ(0, mp_events_wait(&self->ev, MEMPRESSURE_EVENT_SOFT_UNDER,
				    NULL, p->pid, &ev, MP_WAIT_MS, NULL,
				    NULL)) {
		TH_LOG("no soft_under for pid %d at RSS %llu", p->pid,
		       (unsigned long long)cur);
	}
	TH_LOG("event: %s", ev.line);
	EXPECT_GT(SOFT_PID - pid_margin, ev.usage_bytes);
}

/* The first level event about a cgroup, met while waiting for others. */
struct first_level {
	const char *path;
	bool seen;
	struct mp_event ev;
};

static void keep_first_level(const struct mp_event *ev, void *arg)
{
	struct first_level *f = arg;

	if (!f->seen && ev->kind == MEMPRESSURE_EVENT_LEVEL &&
	    !strcmp(ev->cgroup, f->path)) {
		f->ev = *ev;
		f->seen = true;
	}
}

/* The throttling test: memory.high, and a soft limit far above it. */
#define HIGH_LIMIT	(32 * MiB)
#define HIGH_SOFT	(256 * MiB)

/*
 * A cgroup throttled at memory.high: `high` events for it whose deltas add
 * up to memory.events high and whose last count is that value, raised by
 * the fast path (fast_path_runs grows), and the level rising to medium for
 * the reason high (usage stays below the soft limit, set above L, so
 * usage alone would give low).
 */
TEST_F_TIMEOUT(signals, high_events, 60)
{
	uint64_t high, runs0, runs1, cur, sum = 0, last = 0, t0;
	struct first_level level = { 0 };
	struct mp_event ev;
	char path[80], cmd[256], value[32];
	struct toucher *t;
	const char *cg;
	int events = 0;

	ASSERT_EQ(0, make_cgroup(self, 0, &cg));
	snprintf(value, sizeof(value), "%llu", (unsigned long long)HIGH_LIMIT);
	ASSERT_EQ(0, cg_write(cg, "memory.high", value));
	mp_cg_path(cg, path, sizeof(path));
	level.path = path;
	snprintf(cmd, sizeof(cmd), "%s %s %llu\n", MEMPRESSURE_CTL_SOFT, path,
		 (unsigned long long)HIGH_SOFT);
	ASSERT_EQ(0, mp_control_cmd(cmd));
	t = toucher_start(self, cg, 2 * HIGH_LIMIT, "mp-high");
	ASSERT_NE(NULL, t);
	ASSERT_EQ(0, place(t, measure_cgroup, cg, HIGH_LIMIT - 2 * EDGE, &cur));
	ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));
	ASSERT_EQ(MEMPRESSURE_LEVEL_LOW, mp_cg_level(cg));
	ASSERT_EQ(0, cg_read_key_u64(cg, "memory.events", "high", &high));
	ASSERT_EQ(0, high);
	ASSERT_EQ(0, mp_events_open(&self->ev, 0));
	ASSERT_EQ(0, mp_status_u64(MP_STATUS(FAST_PATH_RUNS), &runs0));

	/* Half a MiB over: throttled, reclaim finds nothing (no swap). */
	t0 = mp_now_usec();
	ASSERT_EQ(0, toucher_set(t, t->resident + 2 * EDGE + EDGE / 2));
	ASSERT_EQ(0, cg_read_key_u64(cg, "memory.events", "high", &high));
	ASSERT_LT(0, high);

	while (last < high) {
		ASSERT_EQ(0, mp_events_wait(&self->ev, MEMPRESSURE_EVENT_HIGH,
					    path, 0, &ev, MP_WAIT_MS,
					    keep_first_level, &level)) {
			TH_LOG("memory.events high %llu; high events add up to %llu",
			       (unsigned long long)high,
			       (unsigned long long)sum);
		}
		TH_LOG("%.1f ms after the touch began: %s",
		       (double)(ev.time_usec - t0) / 1000, ev.line);
		sum += ev.delta;
		last = ev.count;
		events++;
	}
	/* Late increments (the child's own return to user): those too. */
	ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));
	while (mp_events_next(&self->ev, &ev, 0) == 0) {
		keep_first_level(&ev, &level);
		if (ev.kind != MEMPRESSURE_EVENT_HIGH || strcmp(ev.cgroup, path))
			continue;
		sum += ev.delta;
		last = ev.count;
		events++;
	}
	ASSERT_EQ(0, cg_read_key_u64(cg, "memory.events", "high", &high));
	EXPECT_EQ(high, last);
	EXPECT_EQ(high, sum);
	ASSERT_EQ(0, mp_status_u64(MP_STATUS(FAST_PATH_RUNS), &runs1));
	TH_LOG("memory.events high %llu in %d events; fast_path_runs +%llu",
	       (unsigned long long)high, events,
	       (unsigned long long)(runs1 - runs0));
	EXPECT_LT(runs0, runs1);

	if (!level.seen) {
		ASSERT_EQ(0, mp_events_wait(&self->ev, MEMPRESSURE_EVENT_LEVEL,
					    path, 0, &level.ev, MP_WAIT_MS,
					    NULL, NULL));
	}
	ev = level.ev;
	TH_LOG("event: %s", ev.line);
	EXPECT_EQ(MEMPRESSURE_LEVEL_LOW, ev.old_level);
	EXPECT_EQ(MEMPRESSURE_LEVEL_MEDIUM, ev.level);
	EXPECT_EQ(MEMPRESSURE_REASON_HIGH, ev.reason);
	EXPECT_EQ(HIGH_LIMIT, ev.limit_bytes);
}

/* Leak events about the steady child, which must never be suspected. */
struct leak_watch {
	pid_t steady;
	int steady_events;
};

static void watch_steady(const struct mp_event *ev, void *arg)
{
	struct leak_watch *w = arg;

	if (ev->pid == w->steady && ev->kind == MEMPRESSURE_EVENT_LEAK_SUSPECTED)
		w->steady_events++;
}

/* The leak and time_to_limit cells of @pid's row: leak 0/1, ttl -1 for "-". */
static int leak_cells(pid_t pid, uint64_t *leak, int64_t *ttl,
		      uint64_t *age_usec)
{
	struct mp_table t;
	char key[16];
	int err;

	snprintf(key, sizeof(key), "%d", pid);
	err = mp_table_read(MEMPRESSURE_PROC_PATH, MEMPRESSURE_FILE_PROCESSES, &t);
	if (err)
		return err;
	err = mp_row_u64(&t, MP_PCOL(PID), key, MP_PCOL(LEAK), leak);
	if (!err) {
		err = mp_row_s64(&t, MP_PCOL(PID), key,
				 MP_PCOL(TIME_TO_LIMIT), ttl);
		if (err == -ENODATA) {
			*ttl = -1;
			err = 0;
		}
	}
	if (!err)
		err = mp_row_u64(&t, MP_PCOL(PID), key, MP_PCOL(AGE), age_usec);
	mp_table_free(&t);
	return err;
}

/*
 * Wait until @deadline (ms) for a leak event of @kind about @pid, logging
 * the process's row every 2 s meanwhile: what the module measured.
 */
static int wait_leak_event(struct __test_metadata *_metadata,
			   struct mp_events *r, int kind, pid_t pid,
			   struct mp_event *ev, uint64_t deadline,
			   struct leak_watch *watch)
{
	for (;;) {
		int left = ms_until(deadline), err;
		uint64_t rss, leak, age;
		struct mp_table t;
		int64_t g10, g60;
		char key[16];

		err = mp_events_wait(r, kind, NULL, pid, ev,
				     left < 2000 ? left : 2000, watch_steady,
				     watch);
		if (err != -ETIMEDOUT || !left)
			return err;
		snprintf(key, sizeof(key), "%d", pid);
		if (mp_table_read(MEMPRESSURE_PROC_PATH, MEMPRESSURE_FILE_PROCESSES, &t))
			continue;
		if (!mp_row_u64(&t, MP_PCOL(PID), key, MP_PCOL(RSS), &rss) &&
		    !mp_row_s64(&t, MP_PCOL(PID), key, MP_PCOL(GROWTH10), &g10) &&
		    !mp_row_s64(&t, MP_PCOL(PID), key, MP_PCOL(GROWTH60), &g60) &&
		    !mp_row_u64(&t, MP_PCOL(PID), key, MP_PCOL(LEAK), &leak) &&
		    !mp_row_u64(&t, MP_PCOL(PID), key, MP_PCOL(AGE), &age))
			TH_LOG("pid %d: age %.1f s, rss %llu, growth10 %lld, growth60 %lld, leak %llu",
			       pid, (double)age / 1e6, (unsigned long long)rss,
			       (long long)g10, (long long)g60,
			       (unsigned long long)leak);
		mp_table_free(&t);
	}
}

/* A plausible time to the limit: (L - usage) / rate, within -40%/+50%. */
static bool ttl_plausible(int64_t ttl, uint64_t usage)
{
	double want = (double)(LEAK_CG_LIMIT - usage) / GROW_RATE;

	return ttl >= 0 && ttl >= want * 0.6 - 2 && ttl <= want * 1.5 + 2;
}

/*
 * With a 10 s window: a child growing at 1 MiB/s from its start is
 * suspected as soon as it is old enough, 7/3 of a window, and not before
 * (it has grown at that rate all along, so the other conditions hold from
 * then on); once it holds still the suspicion clears within 4/3 of a
 * window (and not within half a window, which would mean the rate over
 * the window is not what clears it).  A child that holds 8 MiB from its
 * first sample is never suspected.  time_to_limit_sec of the grower, in a
 * cgroup limited to LEAK_CG_LIMIT, is about (L - usage) / 1 MiB/s.
 */
TEST_F_TIMEOUT(signals, leak, 180)
{
	struct leak_watch watch = { 0 };
	uint64_t t_fork, t_stop0, t_stop1, usage, leak, age, deadline;
	int64_t ttl;
	struct mp_event ev;
	struct toucher *t;
	const char *cg;
	char *steady_mem;
	pid_t steady;

	ASSERT_EQ(0, mp_control_set(MEMPRESSURE_TUNABLE_LEAK_WINDOW,
				    LEAK_WINDOW_S));
	ASSERT_EQ(0, mp_control_set(MEMPRESSURE_TUNABLE_LEAK_RATE, LEAK_RATE));
	ASSERT_EQ(0, mp_control_set(MEMPRESSURE_TUNABLE_LEAK_MIN_BYTES,
				    LEAK_MIN));
	ASSERT_EQ(0, make_cgroup(self, LEAK_CG_LIMIT, &cg));
	ASSERT_EQ(0, mp_events_open(&self->ev, 0));

	/*
	 * The steady child inherits 8 MiB resident from this process at
	 * fork, so its RSS is the same from the module's first sample on:
	 * a process that loaded its data at start and holds it.
	 */
	steady_mem = mmap(NULL, STEADY_BYTES, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, steady_mem);
	madvise(steady_mem, STEADY_BYTES, MADV_NOHUGEPAGE);
	set_resident(steady_mem, 0, STEADY_BYTES);
	steady = mp_fork();
	ASSERT_LE(0, steady);
	if (!steady) {
		prctl(PR_SET_NAME, "mp-steady");
		for (;;)
			pause();
	}
	self->others[self->nr_others++] = steady;
	munmap(steady_mem, STEADY_BYTES);
	watch.steady = steady;

	t_fork = mp_now_usec();
	t = toucher_start(self, cg, 64 * MiB, "mp-leak");
	ASSERT_NE(NULL, t);
	ASSERT_EQ(0, toucher_cmd(t, OP_GROW, 48 * MiB, GROW_RATE));

	deadline = t_fork / 1000 + LEAK_AGE_MS + LEAK_SLACK_MS;
	ASSERT_EQ(0, wait_leak_event(_metadata, &self->ev,
				     MEMPRESSURE_EVENT_LEAK_SUSPECTED, t->pid,
				     &ev, deadline, &watch)) {
		TH_LOG("the grower was not suspected within %d ms of its start",
		       LEAK_AGE_MS + LEAK_SLACK_MS);
	}
	ASSERT_EQ(0, cg_read_u64(cg, "memory.current", &usage));
	TH_LOG("suspected %.1f s after fork; event: %s",
	       (double)(ev.time_usec - t_fork) / 1e6, ev.line);
	EXPECT_LE(t_fork + LEAK_AGE_MS * 1000ULL, ev.time_usec) {
		TH_LOG("suspected before it was 7/3 of a window (%d ms) old",
		       LEAK_AGE_MS);
	}
	EXPECT_TRUE(ev.growth >= (int64_t)GROW_RATE * 7 / 10 &&
		    ev.growth <= (int64_t)GROW_RATE * 13 / 10) {
		TH_LOG("growth_bytes_per_sec %lld for %llu B/s",
		       (long long)ev.growth, (unsigned long long)GROW_RATE);
	}
	EXPECT_TRUE(ttl_plausible(ev.time_to_limit, usage)) {
		TH_LOG("time_to_limit_sec %lld: usage %llu of %llu at %llu B/s",
		       (long long)ev.time_to_limit, (unsigned long long)usage,
		       (unsigned long long)LEAK_CG_LIMIT,
		       (unsigned long long)GROW_RATE);
	}
	EXPECT_LT(0, ev.rss_bytes);

	ASSERT_EQ(0, leak_cells(steady, &leak, &ttl, &age));
	EXPECT_EQ(0, leak);
	ASSERT_EQ(0, leak_cells(t->pid, &leak, &ttl, &age));
	ASSERT_EQ(0, cg_read_u64(cg, "memory.current", &usage));
	EXPECT_EQ(1, leak);
	EXPECT_TRUE(ttl_plausible(ttl, usage)) {
		TH_LOG("table time_to_limit_sec %lld at usage %llu",
		       (long long)ttl, (unsigned long long)usage);
	}
	TH_LOG("table: leak %llu, time_to_limit_sec %lld, usage %llu",
	       (unsigned long long)leak, (long long)ttl,
	       (unsigned long long)usage);

	/* It stops: the suspicion clears within 4/3 of a window. */
	t_stop0 = mp_now_usec();
	ASSERT_EQ(0, toucher_cmd(t, OP_HOLD, 0, 0));
	t_stop1 = mp_now_usec();
	deadline = t_stop1 / 1000 + LEAK_WINDOW_S * 4000 / 3 + LEAK_SLACK_MS;
	ASSERT_EQ(0, wait_leak_event(_metadata, &self->ev,
				     MEMPRESSURE_EVENT_LEAK_CLEARED, t->pid,
				     &ev, deadline, &watch)) {
		TH_LOG("not cleared within 4/3 of a window after it stopped");
	}
	TH_LOG("cleared %.1f s after it stopped at %llu bytes; event: %s",
	       (double)(ev.time_usec - t_stop0) / 1e6,
	       (unsigned long long)t->resident, ev.line);
	EXPECT_LE(t_stop0 + LEAK_WINDOW_S * 500000ULL, ev.time_usec) {
		TH_LOG("cleared within half a window of the stop");
	}
	ASSERT_EQ(0, mp_wait_more_samples(1, MP_WAIT_MS));
	ASSERT_EQ(0, leak_cells(t->pid, &leak, &ttl, &age));
	EXPECT_EQ(0, leak);

	/* The steady child, old enough to be judged, never was suspected. */
	while (mp_events_next(&self->ev, &ev, 0) == 0)
		watch_steady(&ev, &watch);
	ASSERT_EQ(0, leak_cells(steady, &leak, &ttl, &age));
	EXPECT_EQ(0, leak);
	EXPECT_EQ(0, watch.steady_events);
	EXPECT_LE(LEAK_AGE_MS * 1000ULL, age);
	TH_LOG("steady child: %.1f s old, leak %llu, %d leak events",
	       (double)age / 1e6, (unsigned long long)leak,
	       watch.steady_events);
}

TEST_HARNESS_MAIN
