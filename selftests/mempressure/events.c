// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/mempressure/events (docs/events.md): what a reader can rely on.
 *
 * Every open file is a reader of its own that sees every event from its
 * open() on, in seq order, each once; read() returns whole lines and
 * blocks, or says EAGAIN when non-blocking; poll() and epoll report it
 * readable; a reader that falls behind is told how many events it lost
 * and the seq numbers go on without a silent gap; and unloading the
 * module wakes blocked readers instead of leaving them asleep on freed
 * memory.
 *
 * Events are made with per-process soft limits (docs/control.md): idle
 * children are the subjects, and a control write setting every subject's
 * soft limit to 1 byte makes each one over at the next sample (its RSS is
 * more than a byte: one soft_over each), and a write setting it to
 * 1 GB makes each one under again (one soft_under each, as its RSS is far
 * below 1 GB less the margin).  That is as many events per sample as there
 * are subjects, with nothing left to chance: no reclaim, no timing.  For
 * the lost-events test 300 subjects and a 100 ms interval make the 4,700
 * events it needs in a few seconds.  (Crossing memory.high repeatedly
 * would be the other way, but the number of memory.events increments per
 * crossing, and so of events, depends on charge batching.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mp_util.h"

/* Subjects: idle children whose soft limits make the events. */
#define MAX_SUBJECTS	320
#define LOST_SUBJECTS	300
/* A soft limit no idle child reaches, and one every child is over. */
#define UNDER_BYTES	1000000000ULL
#define OVER_BYTES	1ULL
/* The lost test: events beyond the buffer, and a bound on the toggles. */
#define LOST_EXTRA	600
#define LOST_MAX_TOGGLES	80
/* What poll() and epoll_wait() wait when nothing is to come. */
#define QUIET_MS	500

FIXTURE(events) {
	pid_t subjects[MAX_SUBJECTS];
	int nr_subjects;
	pid_t others[8];
	int nr_others;
	bool over;		/* the subjects' soft limits: 1 byte */
	char cgroups[8][96];	/* removed by the teardown, last first */
	int nr_cgroups;
};

FIXTURE_SETUP(events)
{
	self->nr_subjects = 0;
	self->nr_others = 0;
	self->over = false;
	self->nr_cgroups = 0;
	ASSERT_EQ(0, mp_load("interval_ms=200"));
}

FIXTURE_TEARDOWN(events)
{
	int i;

	for (i = 0; i < self->nr_subjects; i++)
		kill(self->subjects[i], SIGKILL);
	for (i = 0; i < self->nr_subjects; i++)
		mp_kill_child(self->subjects[i]);
	for (i = 0; i < self->nr_others; i++)
		mp_kill_child(self->others[i]);
	for (i = self->nr_cgroups - 1; i >= 0; i--)
		EXPECT_EQ(0, cg_destroy(self->cgroups[i]));
	EXPECT_EQ(0, mp_unload());
}

/*
 * A cgroup the teardown removes: "mptest-<pid>-@what", or @parent/@what;
 * its name in @name.
 */
static int make_cgroup(FIXTURE_DATA(events) *self, const char *parent,
		       const char *what, bool leaf, const char **name)
{
	char *slot = self->cgroups[self->nr_cgroups];
	char buf[sizeof(self->cgroups[0])];
	int err;

	if (self->nr_cgroups == (int)ARRAY_SIZE(self->cgroups))
		return -ENOSPC;
	if (parent)
		snprintf(buf, sizeof(buf), "%s/%s", parent, what);
	else
		snprintf(buf, sizeof(buf), "mptest-%d-%s", getpid(), what);
	memcpy(slot, buf, sizeof(buf));
	err = leaf ? cg_create_leaf(slot) : cg_create(slot);
	if (err)
		return err;
	self->nr_cgroups++;
	*name = slot;
	return 0;
}

static int add_subjects(FIXTURE_DATA(events) *self, int n)
{
	while (n-- > 0) {
		pid_t pid;

		if (self->nr_subjects == MAX_SUBJECTS)
			return -ENOSPC;
		pid = mp_fork_idle();
		if (pid < 0)
			return -errno;
		self->subjects[self->nr_subjects++] = pid;
	}
	return 0;
}

/* Write "soft-pid PID @bytes" for @n pids, as few writes as fit. */
static int set_soft_pids(const pid_t *pids, int n, uint64_t bytes)
{
	char buf[MEMPRESSURE_CTL_WRITE_MAX], line[64];
	size_t used = 0;
	int i, err;

	for (i = 0; i < n; i++) {
		int len = snprintf(line, sizeof(line), "%s %d %llu\n",
				   MEMPRESSURE_CTL_SOFT_PID, pids[i],
				   (unsigned long long)bytes);

		if (used + (size_t)len > sizeof(buf)) {
			err = mp_control_write(buf, used);
			if (err)
				return err;
			used = 0;
		}
		memcpy(buf + used, line, (size_t)len);
		used += (size_t)len;
	}
	return used ? mp_control_write(buf, used) : 0;
}

/*
 * Turn every subject over (or under), then let two samples pass: the one
 * running during the write may have missed it, the next one did not.
 */
static int toggle(FIXTURE_DATA(events) *self)
{
	int err;

	self->over = !self->over;
	err = set_soft_pids(self->subjects, self->nr_subjects,
			    self->over ? OVER_BYTES : UNDER_BYTES);
	return err ? err : mp_wait_more_samples(2, MP_WAIT_MS);
}

/* Raise one soft_over about @pid at the next sample (a marker). */
static int mark(pid_t pid)
{
	return set_soft_pids(&pid, 1, OVER_BYTES);
}

/* A reader's events, kept as lines, in the order read. */
struct log {
	char **lines;
	uint64_t *seqs;
	int *kinds;
	pid_t *pids;
	size_t nr, cap;
	int bad;		/* lines that did not parse */
};

static void log_add(struct log *l, const struct mp_event *ev)
{
	if (l->nr == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->lines = realloc(l->lines, l->cap * sizeof(*l->lines));
		l->seqs = realloc(l->seqs, l->cap * sizeof(*l->seqs));
		l->kinds = realloc(l->kinds, l->cap * sizeof(*l->kinds));
		l->pids = realloc(l->pids, l->cap * sizeof(*l->pids));
		if (!l->lines || !l->seqs || !l->kinds || !l->pids)
			abort();
	}
	l->lines[l->nr] = strdup(ev->line);
	l->seqs[l->nr] = ev->seq;
	l->kinds[l->nr] = ev->kind;
	l->pids[l->nr] = ev->pid;
	l->nr++;
}

static void log_free(struct log *l)
{
	size_t i;

	for (i = 0; i < l->nr; i++)
		free(l->lines[i]);
	free(l->lines);
	free(l->seqs);
	free(l->kinds);
	free(l->pids);
	memset(l, 0, sizeof(*l));
}

/*
 * Read @r into @l up to and including the soft_over about @marker
 * (0: until nothing comes within @timeout_ms).  Returns 0 or -errno.
 */
static int read_until(struct mp_events *r, struct log *l, pid_t marker,
		      int timeout_ms)
{
	struct mp_event ev;
	int err;

	for (;;) {
		err = mp_events_next(r, &ev, timeout_ms);
		if (err == -EINVAL) {
			l->bad++;
			continue;
		}
		if (err)
			return !marker && err == -ETIMEDOUT ? 0 : err;
		log_add(l, &ev);
		if (marker && ev.kind == MEMPRESSURE_EVENT_SOFT_OVER &&
		    ev.pid == marker)
			return 0;
	}
}

/* Read what is pending without waiting. */
static int drain(struct mp_events *r, struct log *l)
{
	return read_until(r, l, 0, 0);
}

/* The index of the first gap in @l's seqs, or -1 if they follow on. */
static long first_gap(const struct log *l)
{
	size_t i;

	for (i = 1; i < l->nr; i++)
		if (l->seqs[i] != l->seqs[i - 1] + 1)
			return (long)i;
	return -1;
}

/*
 * Two readers opened before the events see the same events, line for
 * line: every event once, seqs one after another; each subject's two
 * crossings over its soft limit are there, stamped between the write
 * that caused them and the read.
 */
TEST_F_TIMEOUT(events, two_readers_see_every_event, 60)
{
	struct mp_events *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	struct log la = { 0 }, lb = { 0 };
	uint64_t t0, t1;
	pid_t marker;
	size_t i, j;
	long gap;

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	ASSERT_EQ(0, add_subjects(self, 4));
	marker = mp_fork_idle();
	ASSERT_LT(0, marker);
	self->others[self->nr_others++] = marker;
	ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));

	ASSERT_EQ(0, mp_events_open(a, 0));
	ASSERT_EQ(0, mp_events_open(b, 0));
	t0 = mp_now_usec();
	ASSERT_EQ(0, toggle(self));	/* over */
	ASSERT_EQ(0, toggle(self));	/* under */
	ASSERT_EQ(0, toggle(self));	/* over */
	ASSERT_EQ(0, mark(marker));
	ASSERT_EQ(0, read_until(a, &la, marker, MP_WAIT_MS));
	ASSERT_EQ(0, read_until(b, &lb, marker, MP_WAIT_MS));
	t1 = mp_now_usec();

	TH_LOG("reader A: %zu events (seq %llu-%llu), reader B: %zu", la.nr,
	       (unsigned long long)la.seqs[0],
	       (unsigned long long)la.seqs[la.nr - 1], lb.nr);
	EXPECT_EQ(0, la.bad + lb.bad);
	ASSERT_EQ(la.nr, lb.nr);
	for (i = 0; i < la.nr; i++) {
		EXPECT_STREQ(la.lines[i], lb.lines[i]);
		if (_metadata->exit_code)
			break;
	}
	gap = first_gap(&la);
	EXPECT_EQ(-1, gap) {
		TH_LOG("seq %llu after %llu", (unsigned long long)la.seqs[gap],
		       (unsigned long long)la.seqs[gap - 1]);
	}

	/* Two soft_over per subject, each stamped within the run. */
	for (j = 0; j < (size_t)self->nr_subjects; j++) {
		int over = 0;

		for (i = 0; i < la.nr; i++)
			over += la.kinds[i] == MEMPRESSURE_EVENT_SOFT_OVER &&
				la.pids[i] == self->subjects[j];
		EXPECT_EQ(2, over) {
			TH_LOG("subject %d: %d soft_over events",
			       self->subjects[j], over);
		}
	}
	for (i = 0; i < la.nr; i++) {
		struct mp_event ev;

		ASSERT_EQ(0, mp_event_parse(la.lines[i], strlen(la.lines[i]),
					    &ev));
		EXPECT_LE(t0, ev.time_usec);
		EXPECT_GE(t1, ev.time_usec);
	}
	mp_events_close(a);
	mp_events_close(b);
	log_free(&la);
	log_free(&lb);
	free(a);
	free(b);
}

/*
 * A reader sees the events from its open() on: the first one it reads
 * comes after everything an older reader had read before it opened, and
 * from then on both read the same.
 */
TEST_F_TIMEOUT(events, reader_starts_at_open, 60)
{
	struct mp_events *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	struct log la = { 0 }, lb = { 0 };
	pid_t marker;
	uint64_t before;
	size_t i, from;

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	ASSERT_EQ(0, add_subjects(self, 3));
	marker = mp_fork_idle();
	ASSERT_LT(0, marker);
	self->others[self->nr_others++] = marker;

	ASSERT_EQ(0, mp_events_open(a, 0));
	ASSERT_EQ(0, toggle(self));
	ASSERT_EQ(0, drain(a, &la));
	ASSERT_LE(3, la.nr);
	before = la.seqs[la.nr - 1];
	from = la.nr;

	ASSERT_EQ(0, mp_events_open(b, 0));
	ASSERT_EQ(0, toggle(self));
	ASSERT_EQ(0, mark(marker));
	ASSERT_EQ(0, read_until(b, &lb, marker, MP_WAIT_MS));
	ASSERT_EQ(0, read_until(a, &la, marker, MP_WAIT_MS));
	TH_LOG("A read up to seq %llu before B opened; B's first is %llu",
	       (unsigned long long)before, (unsigned long long)lb.seqs[0]);
	EXPECT_LT(before, lb.seqs[0]);
	/* B's events are the tail of A's, all of what came after B's open. */
	ASSERT_LE(lb.nr, la.nr - from);
	for (i = 0; i < lb.nr; i++)
		EXPECT_STREQ(la.lines[la.nr - lb.nr + i], lb.lines[i]);
	/* Nothing but B's own events came between: B missed none of them. */
	EXPECT_EQ(la.nr - from, lb.nr);
	mp_events_close(a);
	mp_events_close(b);
	log_free(&la);
	log_free(&lb);
	free(a);
	free(b);
}

/*
 * O_NONBLOCK with nothing pending: -1 and EAGAIN, at once; the same after
 * fcntl(F_SETFL, O_NONBLOCK) on a blocking file; and with an event
 * pending, the event.
 */
TEST_F_TIMEOUT(events, nonblocking_read, 60)
{
	struct mp_events *a = malloc(sizeof(*a));
	char buf[4096];
	struct mp_event ev;
	uint64_t t;
	ssize_t n = 0;
	int i, fd;

	ASSERT_NE(NULL, a);
	ASSERT_EQ(0, add_subjects(self, 1));
	ASSERT_EQ(0, mp_events_open(a, O_NONBLOCK));
	/* An unrelated event may come after open: then it is read first. */
	for (i = 0; i < 10; i++) {
		t = mp_now_ms();
		errno = 0;
		n = read(a->fd, buf, sizeof(buf));
		EXPECT_GT(1000, mp_now_ms() - t);
		if (n < 0)
			break;
	}
	EXPECT_EQ(-1, n);
	EXPECT_EQ(EAGAIN, errno) {
		TH_LOG("read: %zd, %s", n, strerror(errno));
	}

	fd = open(MP_EVENTS_PATH, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fcntl(fd, F_SETFL, O_NONBLOCK));
	for (i = 0; i < 10; i++) {
		errno = 0;
		n = read(fd, buf, sizeof(buf));
		if (n < 0)
			break;
	}
	EXPECT_EQ(-1, n);
	EXPECT_EQ(EAGAIN, errno);
	close(fd);

	ASSERT_EQ(0, toggle(self));
	ASSERT_EQ(0, mp_events_wait(a, MEMPRESSURE_EVENT_SOFT_OVER, NULL,
				    self->subjects[0], &ev, 0, NULL, NULL)) {
		TH_LOG("no soft_over to read after two samples");
	}
	mp_events_close(a);
	free(a);
}

/*
 * poll(): with nothing pending it times out, and after the event has been
 * read it is not readable any more; an event coming while it waits wakes
 * it with POLLIN.
 */
TEST_F_TIMEOUT(events, poll_wakes_on_event, 60)
{
	struct mp_events *a = malloc(sizeof(*a));
	struct pollfd pfd;
	struct mp_event ev;
	uint64_t t;
	int ret;

	ASSERT_NE(NULL, a);
	ASSERT_EQ(0, add_subjects(self, 1));
	ASSERT_EQ(0, mp_events_open(a, 0));
	pfd.fd = a->fd;
	pfd.events = POLLIN;

	t = mp_now_ms();
	ret = poll(&pfd, 1, QUIET_MS);
	t = mp_now_ms() - t;
	EXPECT_EQ(0, ret) {
		TH_LOG("poll: %d, revents %#x", ret, pfd.revents);
	}
	EXPECT_LE(QUIET_MS - 20, t);

	/* The event comes at the next sample, while poll() waits. */
	ASSERT_EQ(0, mark(self->subjects[0]));
	t = mp_now_ms();
	ret = poll(&pfd, 1, MP_WAIT_MS);
	t = mp_now_ms() - t;
	TH_LOG("poll woke after %llu ms with revents %#x",
	       (unsigned long long)t, pfd.revents);
	ASSERT_EQ(1, ret);
	EXPECT_TRUE(pfd.revents & POLLIN);
	EXPECT_GT(10 * MP_TEST_INTERVAL_MS, t);
	ASSERT_EQ(0, mp_events_wait(a, MEMPRESSURE_EVENT_SOFT_OVER, NULL,
				    self->subjects[0], &ev, 0, NULL, NULL));

	/* Read: not readable any more. */
	while (mp_events_next(a, &ev, 0) == 0)
		;
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	mp_events_close(a);
	free(a);
}

/* epoll, level-triggered: the same as poll(). */
TEST_F_TIMEOUT(events, epoll_wakes_on_event, 60)
{
	struct mp_events *a = malloc(sizeof(*a));
	struct epoll_event ee = { .events = EPOLLIN }, out;
	struct mp_event ev;
	uint64_t t;
	int ep, ret;

	ASSERT_NE(NULL, a);
	ASSERT_EQ(0, add_subjects(self, 1));
	ASSERT_EQ(0, mp_events_open(a, 0));
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ee.data.fd = a->fd;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, a->fd, &ee));

	t = mp_now_ms();
	EXPECT_EQ(0, epoll_wait(ep, &out, 1, QUIET_MS));
	EXPECT_LE(QUIET_MS - 20, mp_now_ms() - t);

	ASSERT_EQ(0, mark(self->subjects[0]));
	t = mp_now_ms();
	ret = epoll_wait(ep, &out, 1, MP_WAIT_MS);
	t = mp_now_ms() - t;
	TH_LOG("epoll_wait woke after %llu ms with events %#x",
	       (unsigned long long)t, out.events);
	ASSERT_EQ(1, ret);
	EXPECT_EQ(a->fd, out.data.fd);
	EXPECT_TRUE(out.events & EPOLLIN);
	EXPECT_GT(10 * MP_TEST_INTERVAL_MS, t);
	ASSERT_EQ(0, mp_events_wait(a, MEMPRESSURE_EVENT_SOFT_OVER, NULL,
				    self->subjects[0], &ev, 0, NULL, NULL));
	while (mp_events_next(a, &ev, 0) == 0)
		;
	EXPECT_EQ(0, epoll_wait(ep, &out, 1, 0));
	close(ep);
	mp_events_close(a);
	free(a);
}

/*
 * read() returns whole lines, as many as fit: a buffer too small for the
 * next line gets EINVAL and loses nothing; one that fits a line and part
 * of the next gets exactly the one line.  A second reader, reading with a
 * large buffer, says what the lines are.
 */
TEST_F_TIMEOUT(events, whole_lines_only, 60)
{
	struct mp_events *ref = malloc(sizeof(*ref));
	struct log l = { 0 };
	struct pollfd pfd;
	char buf[4096];
	size_t len0, len1;
	ssize_t n;
	pid_t marker;
	int fd;

	ASSERT_NE(NULL, ref);
	ASSERT_EQ(0, add_subjects(self, 2));
	marker = mp_fork_idle();
	ASSERT_LT(0, marker);
	self->others[self->nr_others++] = marker;

	fd = open(MP_EVENTS_PATH, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mp_events_open(ref, 0));
	ASSERT_EQ(0, toggle(self));
	ASSERT_EQ(0, mark(marker));
	ASSERT_EQ(0, read_until(ref, &l, marker, MP_WAIT_MS));
	ASSERT_LE(3, l.nr);
	len0 = strlen(l.lines[0]) + 1;	/* with its newline */
	len1 = strlen(l.lines[1]) + 1;

	pfd.fd = fd;
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, 0));

	errno = 0;
	EXPECT_EQ(-1, read(fd, buf, 8));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, read(fd, buf, len0 - 1)) {
		TH_LOG("a %zu-byte buffer for a %zu-byte line", len0 - 1, len0);
	}
	EXPECT_EQ(EINVAL, errno);

	/* Exactly the first line, which the failed reads did not take. */
	n = read(fd, buf, len0);
	ASSERT_EQ((ssize_t)len0, n);
	EXPECT_EQ('\n', buf[len0 - 1]);
	buf[len0 - 1] = '\0';
	EXPECT_STREQ(l.lines[0], buf);

	/* Room for line two and part of three: line two alone. */
	n = read(fd, buf, len1 + 8);
	ASSERT_EQ((ssize_t)len1, n);
	buf[len1 - 1] = '\0';
	EXPECT_STREQ(l.lines[1], buf);

	close(fd);
	mp_events_close(ref);
	log_free(&l);
	free(ref);
}

/* The seq of the events one reader has, by seq, for the lost test. */
static const char *line_of(const struct log *l, uint64_t seq)
{
	if (!l->nr || seq < l->seqs[0] || seq - l->seqs[0] >= l->nr)
		return NULL;
	return l->lines[seq - l->seqs[0]];
}

/*
 * A reader that does not read while more than events_buffered events are
 * raised reads one lost line first: count is how many it missed and seq
 * the last of them, so that missed plus read are exactly what a reader
 * keeping up saw, with no gap; the events after it are those, line for
 * line, and the next event follows on with no lost line.
 */
TEST_F_TIMEOUT(events, slow_reader_gets_lost, 180)
{
	struct mp_events *slow = malloc(sizeof(*slow));
	struct mp_events *ref = malloc(sizeof(*ref));
	struct log lr = { 0 }, ls = { 0 };
	uint64_t buffered, seq, first_missed, want = 4096 + LOST_EXTRA;
	struct mp_event ev;
	const char *line;
	int toggles = 0;
	size_t i, after;
	pid_t marker;
	long gap;

	ASSERT_NE(NULL, slow);
	ASSERT_NE(NULL, ref);
	ASSERT_EQ(0, mp_control_set(MEMPRESSURE_TUNABLE_INTERVAL_MS, 100));
	ASSERT_EQ(0, add_subjects(self, LOST_SUBJECTS));
	marker = mp_fork_idle();
	ASSERT_LT(0, marker);
	self->others[self->nr_others++] = marker;
	ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));

	ASSERT_EQ(0, mp_events_open(slow, 0));
	ASSERT_EQ(0, mp_events_open(ref, 0));
	ASSERT_EQ(0, mp_status_u64(MP_STATUS(EVENTS_BUFFERED), &buffered));
	if (buffered > 4096)
		want = buffered + LOST_EXTRA;
	while (lr.nr < want && toggles < LOST_MAX_TOGGLES) {
		ASSERT_EQ(0, toggle(self));
		ASSERT_EQ(0, drain(ref, &lr));
		toggles++;
	}
	ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));
	ASSERT_EQ(0, drain(ref, &lr));
	ASSERT_EQ(0, mp_status_u64(MP_STATUS(EVENTS_BUFFERED), &buffered));
	TH_LOG("%d toggles of %d subjects: %zu events (seq %llu-%llu); events_buffered %llu",
	       toggles, self->nr_subjects, lr.nr,
	       (unsigned long long)lr.seqs[0],
	       (unsigned long long)lr.seqs[lr.nr - 1],
	       (unsigned long long)buffered);
	EXPECT_EQ(0, lr.bad);
	gap = first_gap(&lr);
	ASSERT_EQ(-1, gap) {
		TH_LOG("the reader that kept up saw seq %llu after %llu",
		       (unsigned long long)lr.seqs[gap],
		       (unsigned long long)lr.seqs[gap - 1]);
	}
	ASSERT_LT(buffered, lr.nr);

	/* The slow reader: a lost line first. */
	ASSERT_EQ(0, mp_events_next(slow, &ev, 0));
	TH_LOG("slow reader's first line: %s", ev.line);
	ASSERT_EQ(MEMPRESSURE_EVENT_LOST, ev.kind);
	ASSERT_TRUE(mp_event_has(&ev, MEMPRESSURE_EKEY_COUNT));
	first_missed = ev.seq - ev.count + 1;
	EXPECT_EQ(lr.seqs[0], first_missed) {
		TH_LOG("lost seq %llu count %llu: missed from %llu, the first event was %llu",
		       (unsigned long long)ev.seq,
		       (unsigned long long)ev.count,
		       (unsigned long long)first_missed,
		       (unsigned long long)lr.seqs[0]);
	}
	EXPECT_EQ(lr.nr - buffered, ev.count);
	seq = ev.seq;

	/* Then the events it kept, following on from the lost seq. */
	ASSERT_EQ(0, drain(slow, &ls));
	EXPECT_EQ(0, ls.bad);
	after = ls.nr;
	EXPECT_EQ(buffered, after);
	for (i = 0; i < ls.nr; i++) {
		EXPECT_EQ(seq + 1 + i, ls.seqs[i]) {
			TH_LOG("event %zu after the lost line has seq %llu",
			       i, (unsigned long long)ls.seqs[i]);
		}
		line = line_of(&lr, ls.seqs[i]);
		EXPECT_NE(NULL, line);
		if (line)
			EXPECT_STREQ(line, ls.lines[i]);
		if (_metadata->exit_code)
			break;
	}
	if (ls.nr) {
		EXPECT_EQ(lr.seqs[lr.nr - 1], ls.seqs[ls.nr - 1]);
	}

	/* Caught up: the next events come as to the other reader. */
	ASSERT_EQ(0, mark(marker));
	ASSERT_EQ(0, mp_events_next(slow, &ev, MP_WAIT_MS));
	TH_LOG("next: %s", ev.line);
	EXPECT_NE(MEMPRESSURE_EVENT_LOST, ev.kind);
	EXPECT_EQ(lr.seqs[lr.nr - 1] + 1, ev.seq);

	mp_events_close(slow);
	mp_events_close(ref);
	log_free(&lr);
	log_free(&ls);
	free(slow);
	free(ref);
}

/* What a blocked child saw when the module went away. */
struct wake_report {
	long first;		/* read(): bytes or -1; poll(): its return */
	int first_errno;
	int revents;		/* poll() only */
	long then;		/* the read() after it */
	int then_errno;
};

/*
 * Block in read() (@use_poll false) or poll() until the module goes;
 * events that come first are read and skipped.  Reports on @res_fd.
 */
static void blocked_child(bool use_poll, int ready_fd, int res_fd)
{
	struct wake_report rep = { 0 };
	static char buf[65536];
	int fd = open(MP_EVENTS_PATH, O_RDONLY | O_CLOEXEC);
	bool told = false;

	if (fd < 0)
		_exit(1);
	for (;;) {
		if (!told) {
			told = write(ready_fd, "r", 1) == 1;
			if (!told)
				_exit(1);
		}
		if (use_poll) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };

			rep.first = poll(&pfd, 1, -1);
			rep.first_errno = errno;
			rep.revents = pfd.revents;
			if (rep.first == 1 && pfd.revents == POLLIN &&
			    read(fd, buf, sizeof(buf)) > 0)
				continue;	/* an event: not the unload */
		} else {
			rep.first = read(fd, buf, sizeof(buf));
			rep.first_errno = errno;
			if (rep.first > 0)
				continue;
		}
		break;
	}
	errno = 0;
	rep.then = read(fd, buf, sizeof(buf));
	rep.then_errno = errno;
	if (write(res_fd, &rep, sizeof(rep)) != sizeof(rep))
		_exit(1);
	_exit(0);
}

/* Whether @pid is asleep in syscall @nr (or @nr2), from /proc/PID/syscall. */
static bool in_syscall(pid_t pid, long nr, long nr2)
{
	char path[64], buf[256];
	ssize_t n;
	long cur;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	if (sscanf(buf, "%ld", &cur) != 1)
		return false;
	return cur == nr || cur == nr2;
}

static int read_report(int fd, struct wake_report *rep, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (poll(&pfd, 1, timeout_ms) != 1)
		return -ETIMEDOUT;
	return read(fd, rep, sizeof(*rep)) == (ssize_t)sizeof(*rep) ?
	       0 : -EPIPE;
}

/*
 * Unload while one child is blocked in read() and another in poll(): the
 * unload succeeds, both wake (read returns 0 or an error, poll returns),
 * and every read after that fails with EIO, for them and for a file this
 * process holds open.
 */
TEST_F_TIMEOUT(events, unload_wakes_blocked_readers, 60)
{
	struct wake_report rep[2];
	uint64_t deadline;
	int ready[2], res[2][2], i, err = 0, fd;
	char buf[256];
	pid_t pid[2];

	ASSERT_EQ(0, pipe2(ready, O_CLOEXEC));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, pipe2(res[i], O_CLOEXEC));
		pid[i] = mp_fork();
		ASSERT_LE(0, pid[i]);
		if (!pid[i])
			blocked_child(i == 1, ready[1], res[i][1]);
		self->others[self->nr_others++] = pid[i];
		close(res[i][1]);
	}
	close(ready[1]);
	ASSERT_EQ(0, mp_pipe_wait(ready[0], 2, MP_WAIT_MS));
	close(ready[0]);
	fd = open(MP_EVENTS_PATH, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);

	/* Asleep in the calls, as far as /proc/PID/syscall can tell. */
	deadline = mp_now_ms() + MP_WAIT_MS;
	while (mp_now_ms() < deadline &&
	       !(in_syscall(pid[0], SYS_read, SYS_read) &&
		 in_syscall(pid[1], SYS_poll, SYS_ppoll)))
		usleep(20000);
	EXPECT_TRUE(in_syscall(pid[0], SYS_read, SYS_read));
	EXPECT_TRUE(in_syscall(pid[1], SYS_poll, SYS_ppoll));

	/* A reader holding the file must not keep the module. */
	deadline = mp_now_ms() + 5000;
	do {
		err = mp_unload();
		if (err != -EAGAIN && err != -EBUSY)
			break;
		usleep(50000);
	} while (mp_now_ms() < deadline);
	ASSERT_EQ(0, err) {
		TH_LOG("unload with blocked readers: %s", strerror(-err));
	}
	EXPECT_FALSE(mp_loaded());

	for (i = 0; i < 2; i++) {
		err = read_report(res[i][0], &rep[i], 10000);
		EXPECT_EQ(0, err) {
			TH_LOG("the child blocked in %s did not wake",
			       i ? "poll()" : "read()");
		}
		close(res[i][0]);
		if (err)
			continue;
		TH_LOG("%s woke: %ld (%s) revents %#x; then read %ld (%s)",
		       i ? "poll()" : "read()", rep[i].first,
		       rep[i].first < 0 ? strerror(rep[i].first_errno) : "-",
		       rep[i].revents, rep[i].then,
		       rep[i].then < 0 ? strerror(rep[i].then_errno) : "-");
		if (i == 0) {
			EXPECT_GE(0, rep[i].first);
		} else {
			EXPECT_EQ(1, rep[i].first);
			EXPECT_NE(0, rep[i].revents);
		}
		EXPECT_EQ(-1, rep[i].then);
		EXPECT_EQ(EIO, rep[i].then_errno);
	}

	errno = 0;
	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(EIO, errno);
	close(fd);
}

/* Pins the calling thread to @cpu. */
static int pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/*
 * A task in poll() leaves the wait queue only when it runs again: here it
 * cannot for a while.  The poller sleeps in poll() on CPU 0 at SCHED_IDLE;
 * as the unload starts on CPU 1, a SCHED_FIFO task spins on CPU 0 for
 * HOG_MS.  The unload must not free the queue under the poller (it waits
 * for it, or leaves the queue to it: KASAN on the debug kernel would see
 * a use after free), then the poller wakes, with revents set, and reads
 * EIO.
 */
#define HOG_MS	500

/* A task that takes CPU 0 at SCHED_FIFO for HOG_MS once @go_fd is written. */
static pid_t start_cpu_hog(int go_fd)
{
	struct sched_param fifo = { .sched_priority = 1 };
	pid_t pid = mp_fork();
	uint64_t end;
	char c;

	if (pid)
		return pid;
	if (pin_to(0) || read(go_fd, &c, 1) != 1 ||
	    sched_setscheduler(0, SCHED_FIFO, &fifo))
		_exit(2);
	for (end = mp_now_ms() + HOG_MS; mp_now_ms() < end;)
		;
	_exit(0);
}

TEST_F_TIMEOUT(events, unload_waits_for_a_late_poller, 60)
{
	struct sched_param none = { 0 };
	struct wake_report rep;
	uint64_t deadline, t0, took;
	int ready[2], res[2], go[2], err;
	pid_t poller, hog;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs two CPUs");
	ASSERT_EQ(0, pipe2(ready, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(res, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
	poller = mp_fork();
	ASSERT_LE(0, poller);
	if (!poller) {
		if (pin_to(0) || sched_setscheduler(0, SCHED_IDLE, &none))
			_exit(2);
		blocked_child(true, ready[1], res[1]);
	}
	self->others[self->nr_others++] = poller;
	hog = start_cpu_hog(go[0]);
	ASSERT_LE(0, hog);
	self->others[self->nr_others++] = hog;
	close(ready[1]);
	close(res[1]);
	close(go[0]);
	ASSERT_EQ(0, pin_to(1));
	ASSERT_EQ(0, mp_pipe_wait(ready[0], 1, MP_WAIT_MS));
	deadline = mp_now_ms() + MP_WAIT_MS;
	while (mp_now_ms() < deadline && !in_syscall(poller, SYS_poll, SYS_ppoll))
		usleep(20000);
	ASSERT_TRUE(in_syscall(poller, SYS_poll, SYS_ppoll));

	/* The hog takes CPU 0; give it a moment to be running there. */
	ASSERT_EQ(1, write(go[1], "g", 1));
	usleep(50000);
	t0 = mp_now_ms();
	err = mp_unload();
	took = mp_now_ms() - t0;
	ASSERT_EQ(0, err) TH_LOG("unload: %s", strerror(-err));
	TH_LOG("unload took %llu ms with the poller starved", (unsigned long long)took);
	ASSERT_EQ(0, read_report(res[0], &rep, 10000));
	EXPECT_EQ(1, rep.first);
	EXPECT_NE(0, rep.revents);
	EXPECT_EQ(-1, rep.then);
	EXPECT_EQ(EIO, rep.then_errno);
	close(ready[0]);
	close(res[0]);
	close(go[1]);
}

/*
 * Waiters the unload cannot wake for good.  A task in select() with the
 * file in exceptfds only waits for EPOLLPRI, which the file never
 * reports, and poll() with events 0 or POLLPRI only is woken by nothing
 * but POLLERR or POLLHUP.  Woken at the unload, each looks at the file
 * again; once the file is gone (proc_remove()), procfs answers for the
 * module with DEFAULT_POLLMASK, which holds none of what they wait for,
 * so they sleep again, on the module's wait queue, until a signal.  Here
 * the select() waiter always does so, and the two pollers are made to by
 * starving them (as in unload_waits_for_a_late_poller) until the file is
 * gone.  The unload must still succeed and, when the waiters are killed
 * afterwards and leave the queue, nothing may touch freed memory: the
 * kernel log stays clean (KASAN on the debug kernel; an Oops elsewhere),
 * which this test checks as well as the host.
 */
enum { WAIT_SELECT_EX, WAIT_POLL_NONE, WAIT_POLL_PRI, NR_WAITERS };

static const char *const waiter_names[NR_WAITERS] = {
	"select() in exceptfds", "poll() with events 0",
	"poll() with POLLPRI",
};

static void never_woken_child(int how, int ready_fd, int res_fd)
{
	struct wake_report rep = { 0 };
	int fd = open(MP_EVENTS_PATH, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || write(ready_fd, "r", 1) != 1)
		_exit(1);
	if (how == WAIT_SELECT_EX) {
		fd_set ex;

		FD_ZERO(&ex);
		FD_SET(fd, &ex);
		rep.first = select(fd + 1, NULL, NULL, &ex, NULL);
		rep.first_errno = errno;
		rep.revents = rep.first > 0 && FD_ISSET(fd, &ex);
	} else {
		struct pollfd pfd = {
			.fd = fd,
			.events = how == WAIT_POLL_PRI ? POLLPRI : 0,
		};

		rep.first = poll(&pfd, 1, -1);
		rep.first_errno = errno;
		rep.revents = pfd.revents;
	}
	if (write(res_fd, &rep, sizeof(rep)) != sizeof(rep))
		_exit(1);
	_exit(0);
}

static bool waiting(pid_t pid, int how)
{
	return how == WAIT_SELECT_EX ?
	       in_syscall(pid, SYS_select, SYS_pselect6) :
	       in_syscall(pid, SYS_poll, SYS_ppoll);
}

TEST_F_TIMEOUT(events, unload_with_waiters_it_cannot_wake, 90)
{
	struct sched_param none = { 0 };
	struct wake_report rep;
	pid_t pid[NR_WAITERS], hog;
	int ready[2], res[NR_WAITERS][2], go[2], kmsg, i, err;
	bool asleep[NR_WAITERS];
	uint64_t deadline;
	char log[8192] = "";

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs two CPUs");
	kmsg = kmsg_open();
	ASSERT_LE(0, kmsg);
	ASSERT_EQ(0, pipe2(ready, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
	for (i = 0; i < NR_WAITERS; i++) {
		ASSERT_EQ(0, pipe2(res[i], O_CLOEXEC));
		pid[i] = mp_fork();
		ASSERT_LE(0, pid[i]);
		if (!pid[i]) {
			if (i != WAIT_SELECT_EX &&
			    (pin_to(0) || sched_setscheduler(0, SCHED_IDLE, &none)))
				_exit(2);
			never_woken_child(i, ready[1], res[i][1]);
		}
		self->others[self->nr_others++] = pid[i];
		close(res[i][1]);
	}
	hog = start_cpu_hog(go[0]);
	ASSERT_LE(0, hog);
	self->others[self->nr_others++] = hog;
	close(ready[1]);
	close(go[0]);
	ASSERT_EQ(0, pin_to(1));
	ASSERT_EQ(0, mp_pipe_wait(ready[0], NR_WAITERS, MP_WAIT_MS));
	close(ready[0]);
	deadline = mp_now_ms() + MP_WAIT_MS;
	for (i = 0; i < NR_WAITERS; i++) {
		while (mp_now_ms() < deadline && !waiting(pid[i], i))
			usleep(20000);
		ASSERT_TRUE(waiting(pid[i], i)) {
			TH_LOG("the child in %s is not waiting", waiter_names[i]);
		}
	}

	/* The pollers wake at the unload, but run only once it is done. */
	ASSERT_EQ(1, write(go[1], "g", 1));
	usleep(50000);
	err = mp_unload();
	ASSERT_EQ(0, err) TH_LOG("unload: %s", strerror(-err));
	EXPECT_FALSE(mp_loaded());
	usleep(2 * HOG_MS * 1000);

	/*
	 * Each has left with POLLERR | POLLHUP (if it looked at the file
	 * before it went away) or sleeps on; the select() waiter sleeps.
	 */
	for (i = 0; i < NR_WAITERS; i++) {
		asleep[i] = read_report(res[i][0], &rep, 0) == -ETIMEDOUT;
		TH_LOG("%s: %s", waiter_names[i],
		       asleep[i] ? "still waiting" : "returned");
		if (asleep[i]) {
			EXPECT_TRUE(waiting(pid[i], i));
		} else if (i == WAIT_SELECT_EX) {
			EXPECT_TRUE(asleep[i]);
		} else {
			EXPECT_EQ(1, rep.first);
			EXPECT_EQ(POLLERR | POLLHUP, rep.revents);
		}
	}
	EXPECT_TRUE(asleep[WAIT_SELECT_EX]);

	/* Killed, they leave the wait queue: it must still be there. */
	for (i = 0; i < NR_WAITERS; i++) {
		EXPECT_EQ(0, mp_kill_child(pid[i]));
		close(res[i][0]);
	}
	self->nr_others = 0;
	mp_kill_child(hog);
	usleep(200000);
	kmsg_read_new(kmsg, log, sizeof(log));
	close(kmsg);
	close(go[1]);
	EXPECT_EQ(NULL, strstr(log, "BUG:"));
	EXPECT_EQ(NULL, strstr(log, "KASAN"));
	EXPECT_EQ(NULL, strstr(log, "Oops"));
	EXPECT_EQ(NULL, strstr(log, "general protection"));
	if (_metadata->exit_code)
		TH_LOG("kernel log:\n%s", log);
}

/*
 * Opening the file costs the opener, not the host.  A child in a cgroup
 * whose memory.max is @limit, in a cgroup namespace of its own (where a
 * reader also keeps its namespace's root path), raises RLIMIT_NOFILE as
 * far as fs.nr_open allows and opens @path until something stops it.
 * What stops it must be its cgroup's limit: an open failing with ENOMEM,
 * or the OOM killer of its cgroup.  And the host must not pay for it:
 * what MemAvailable loses beyond what the cgroup was charged (memory.peak)
 * must stay under OPEN_UNCHARGED bytes an open.  The module's own part is
 * all charged; the kernel's debug builds add their own bookkeeping of
 * each allocation (kmemleak's, about 2 KiB an open on the debug kernel),
 * which nobody is charged for.  Before, an open of events cost the host
 * 32 KiB; at OPEN_GIVE_UP the child stops, the VM's memory being finite.
 */
#define OPEN_UNCHARGED	(4 * KiB)
#define OPEN_GIVE_UP	(128 * MiB)

struct open_report {
	uint64_t opened;
	uint64_t worst_drop;	/* MemAvailable, bytes */
	int err;		/* of the open that failed */
	bool gave_up;		/* the host lost too much: stopped */
};

struct open_arg {
	const char *path;
	uint64_t avail;		/* MemAvailable before, bytes */
	uint64_t limit;
	struct open_report *rep;
};

static void note_drop(struct open_report *rep, uint64_t avail)
{
	uint64_t kb;

	if (meminfo_kb("MemAvailable", &kb))
		return;
	if (avail > kb * KiB && avail - kb * KiB > rep->worst_drop)
		rep->worst_drop = avail - kb * KiB;
}

static int open_until_refused(void *varg)
{
	struct open_arg *arg = varg;
	struct open_report *rep = arg->rep;
	unsigned long long nr_open;
	struct rlimit rl;
	FILE *f;

	f = fopen("/proc/sys/fs/nr_open", "re");
	if (!f || fscanf(f, "%llu", &nr_open) != 1)
		return 2;
	fclose(f);
	rl.rlim_cur = rl.rlim_max = nr_open;
	if (setrlimit(RLIMIT_NOFILE, &rl) || unshare(CLONE_NEWCGROUP))
		return 2;
	for (;;) {
		if (open(arg->path, O_RDONLY | O_CLOEXEC) < 0) {
			rep->err = errno;
			return 0;
		}
		if (++rep->opened % 256)
			continue;
		note_drop(rep, arg->avail);
		if (rep->worst_drop > arg->limit + OPEN_GIVE_UP) {
			rep->gave_up = true;
			return 0;
		}
	}
}

static void opens_are_charged(struct __test_metadata *_metadata,
			      FIXTURE_DATA(events) *self, const char *path,
			      const char *what, uint64_t limit)
{
	struct open_report *rep;
	struct open_arg arg = { .path = path, .limit = limit };
	uint64_t kb, v, ev[3] = { 0 }, peak = 0, deadline, uncharged = 0;
	const char *cg;
	char value[32];
	int status = 0, err;
	pid_t pid;

	rep = mmap(NULL, sizeof(*rep), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, rep);
	memset(rep, 0, sizeof(*rep));
	arg.rep = rep;
	ASSERT_EQ(0, make_cgroup(self, NULL, what, true, &cg));
	snprintf(value, sizeof(value), "%llu", (unsigned long long)limit);
	ASSERT_EQ(0, cg_write(cg, "memory.max", value));
	if (cg_read_u64(cg, "memory.swap.max", &v) == 0)
		ASSERT_EQ(0, cg_write(cg, "memory.swap.max", "0"));
	ASSERT_EQ(0, meminfo_kb("MemAvailable", &kb));
	arg.avail = kb * KiB;

	pid = cg_run_nowait(cg, open_until_refused, &arg);
	ASSERT_LT(0, pid);
	self->others[self->nr_others++] = pid;
	/* Watched from outside too: the child may be killed mid-count. */
	deadline = mp_now_ms() + 20 * MP_WAIT_MS;
	do {
		note_drop(rep, arg.avail);
		err = mp_wait_child(pid, &status, 200);
	} while (err == -ETIMEDOUT && mp_now_ms() < deadline);
	ASSERT_EQ(0, err) TH_LOG("the opener still runs after %d s", 20 * MP_WAIT_MS / 1000);
	self->nr_others--;

	cg_read_key_u64(cg, "memory.events", "max", &ev[0]);
	cg_read_key_u64(cg, "memory.events", "oom", &ev[1]);
	cg_read_key_u64(cg, "memory.events", "oom_kill", &ev[2]);
	cg_read_u64(cg, "memory.peak", &peak);
	if (rep->worst_drop > peak)
		uncharged = rep->worst_drop - peak;
	TH_LOG("%s: %llu opens, then %s; memory.events max %llu oom %llu oom_kill %llu; "
	       "memory.peak %llu (%llu bytes an open); MemAvailable fell by at most %llu KiB, "
	       "%llu bytes an open more than charged",
	       what, (unsigned long long)rep->opened,
	       WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) :
	       rep->gave_up ? "gave up" : strerror(rep->err),
	       (unsigned long long)ev[0], (unsigned long long)ev[1],
	       (unsigned long long)ev[2], (unsigned long long)peak,
	       (unsigned long long)(rep->opened ? peak / rep->opened : 0),
	       (unsigned long long)(rep->worst_drop / KiB),
	       (unsigned long long)(rep->opened ? uncharged / rep->opened : 0));
	ASSERT_LT(1000, rep->opened);
	EXPECT_FALSE(rep->gave_up);
	EXPECT_GT(OPEN_UNCHARGED, uncharged / rep->opened);
	/* Stopped by its cgroup: the OOM killer, or an open refused. */
	if (WIFSIGNALED(status)) {
		EXPECT_EQ(SIGKILL, WTERMSIG(status));
		EXPECT_LE(1, ev[2]);
	} else {
		EXPECT_EQ(0, WEXITSTATUS(status));
		if (!rep->gave_up)
			EXPECT_EQ(ENOMEM, rep->err);
		EXPECT_LE(1, ev[0]);
	}
	munmap(rep, sizeof(*rep));
}

/* The events file at the 32M; a table, quicker, at 8M. */
TEST_F_TIMEOUT(events, opens_are_charged_to_the_opener, 900)
{
	opens_are_charged(_metadata, self, MP_EVENTS_PATH, "events", 32 * MiB);
	opens_are_charged(_metadata, self,
			  MEMPRESSURE_PROC_PATH "/" MEMPRESSURE_FILE_CGROUPS,
			  "cgroups", 8 * MiB);
}

/*
 * One tenant cannot push another's events out of the buffer.  The tenant
 * FLOOD has FLOOD_LEAVES cgroups, each held at its memory.max (8M) for
 * FLOOD_MS by a loop that starts a process growing to 32 MiB, which the
 * OOM killer ends, then the next: every charge over the limit counts a
 * memory.events max and runs reclaim, which the fast path hears, in the
 * leaf and, hierarchically, in the tenant, and each kill an oom and an
 * oom_kill.  Meanwhile a process in another cgroup grows over its soft
 * limit.  A reader that reads once a second must receive that cgroup's
 * soft_over and level events and lose nothing (no lost line), which
 * holds if the tenant's limit events are coalesced: at most two records
 * per cgroup and kind per sampling interval (one from the fast path, one
 * at the sample), their deltas adding up to memory.events all the same.
 */
#define FLOOD_LEAVES	4
#define FLOOD_MS	30000
#define FLOOD_INTERVAL_MS	1000
#define FLOOD_LEAF_MAX	(8 * MiB)
#define FLOOD_HOG	(32 * MiB)
#define SOFT_MAX	(64 * MiB)
#define SOFT_LIMIT	(16 * MiB)
#define SOFT_GROW	(24 * MiB)

static void touch_anon(size_t bytes)
{
	long page = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t off;

	if (p == MAP_FAILED)
		return;
	for (off = 0; off < bytes; off += (size_t)page)
		p[off] = 1;
}

static int hog(void *arg __attribute__((unused)))
{
	touch_anon(FLOOD_HOG);
	return 1;		/* not killed: the limit did not hold */
}

/* Start hogs in cgroup @arg, one after another, until killed. */
static int flood_loop(void *arg)
{
	for (;;) {
		int status;
		pid_t pid = cg_run_nowait(arg, hog, NULL);

		if (pid < 0 || waitpid(pid, &status, 0) != pid)
			return 1;
	}
}

/* Grow to SOFT_GROW when told, then hold. */
static int soft_grower(void *arg)
{
	int *go = arg;
	char c;

	if (read(*go, &c, 1) != 1)
		return 1;
	touch_anon(SOFT_GROW);
	for (;;)
		pause();
}

/* What the once-a-second reader saw of the flood. */
struct flood_kind {
	char path[128];
	int kind;
	unsigned int records;
	uint64_t sum, last;
};

struct flood_log {
	struct flood_kind k[(FLOOD_LEAVES + 1) * 4];
	int nr;
	unsigned int lost, soft_over, level, other;
	const char *soft_path, *tenant_path;
};

static void flood_note(struct flood_log *l, const struct mp_event *ev)
{
	int i;

	if (ev->kind == MEMPRESSURE_EVENT_LOST) {
		l->lost++;
		return;
	}
	if (!strcmp(ev->cgroup, l->soft_path)) {
		l->soft_over += ev->kind == MEMPRESSURE_EVENT_SOFT_OVER;
		l->level += ev->kind == MEMPRESSURE_EVENT_LEVEL;
		return;
	}
	if ((ev->kind != MEMPRESSURE_EVENT_HIGH &&
	     ev->kind != MEMPRESSURE_EVENT_MAX &&
	     ev->kind != MEMPRESSURE_EVENT_OOM &&
	     ev->kind != MEMPRESSURE_EVENT_OOM_KILL) ||
	    strncmp(ev->cgroup, l->tenant_path, strlen(l->tenant_path))) {
		l->other++;
		return;
	}
	for (i = 0; i < l->nr; i++)
		if (l->k[i].kind == ev->kind && !strcmp(l->k[i].path, ev->cgroup))
			break;
	if (i == l->nr) {
		if (l->nr == (int)ARRAY_SIZE(l->k))
			return;
		if (strlen(ev->cgroup) >= sizeof(l->k[i].path))
			return;
		strcpy(l->k[i].path, ev->cgroup);
		l->k[i].kind = ev->kind;
		l->nr++;
	}
	l->k[i].records++;
	l->k[i].sum += ev->delta;
	l->k[i].last = ev->count;
}

TEST_F_TIMEOUT(events, one_flooding_cgroup_loses_no_other_event, 180)
{
	static const char *const keys[] = { "high", "max", "oom", "oom_kill" };
	static const int kinds[] = {
		MEMPRESSURE_EVENT_HIGH, MEMPRESSURE_EVENT_MAX,
		MEMPRESSURE_EVENT_OOM, MEMPRESSURE_EVENT_OOM_KILL,
	};
	struct mp_events *r = malloc(sizeof(*r));
	struct flood_log *l = calloc(1, sizeof(*l));
	const char *leaves[FLOOD_LEAVES], *tenant, *soft;
	char soft_path[128], tenant_path[128], value[32], cmd[192], path[128];
	uint64_t start, elapsed_ms, v, bound;
	struct mp_event ev;
	int go[2], i, j, k, err;
	pid_t pid;

	ASSERT_NE(NULL, r);
	ASSERT_NE(NULL, l);
	snprintf(value, sizeof(value), "interval_ms=%d", FLOOD_INTERVAL_MS);
	ASSERT_EQ(0, mp_load(value));
	ASSERT_EQ(0, make_cgroup(self, NULL, "flood", false, &tenant));
	for (i = 0; i < FLOOD_LEAVES; i++) {
		snprintf(value, sizeof(value), "f%d", i);
		ASSERT_EQ(0, make_cgroup(self, tenant, value, true, &leaves[i]));
		snprintf(value, sizeof(value), "%llu", (unsigned long long)FLOOD_LEAF_MAX);
		ASSERT_EQ(0, cg_write(leaves[i], "memory.max", value));
		if (cg_read_u64(leaves[i], "memory.swap.max", &v) == 0)
			ASSERT_EQ(0, cg_write(leaves[i], "memory.swap.max", "0"));
	}
	ASSERT_EQ(0, make_cgroup(self, NULL, "soft", true, &soft));
	snprintf(value, sizeof(value), "%llu", (unsigned long long)SOFT_MAX);
	ASSERT_EQ(0, cg_write(soft, "memory.max", value));
	mp_cg_path(soft, soft_path, sizeof(soft_path));
	mp_cg_path(tenant, tenant_path, sizeof(tenant_path));
	l->soft_path = soft_path;
	l->tenant_path = tenant_path;
	snprintf(cmd, sizeof(cmd), "%s %s %llu\n", MEMPRESSURE_CTL_SOFT, soft_path,
		 (unsigned long long)SOFT_LIMIT);
	ASSERT_EQ(0, mp_control_cmd(cmd));
	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
	pid = cg_run_nowait(soft, soft_grower, &go[0]);
	ASSERT_LT(0, pid);
	self->others[self->nr_others++] = pid;
	ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));

	ASSERT_EQ(0, mp_events_open(r, O_NONBLOCK));
	start = mp_now_ms();
	for (i = 0; i < FLOOD_LEAVES; i++) {
		pid = mp_fork();
		ASSERT_LE(0, pid);
		if (!pid)
			_exit(flood_loop((void *)leaves[i]));
		self->others[self->nr_others++] = pid;
	}
	/* A reader that reads once a second; the soft cgroup grows at 10 s. */
	for (k = 0; mp_now_ms() - start < FLOOD_MS; k++) {
		sleep(1);
		if (k == 10)
			ASSERT_EQ(1, write(go[1], "g", 1));
		while ((err = mp_events_next(r, &ev, 0)) == 0 || err == -EINVAL)
			if (!err)
				flood_note(l, &ev);
	}
	for (i = 0; i < FLOOD_LEAVES; i++)
		mp_kill_child(self->others[--self->nr_others]);
	elapsed_ms = mp_now_ms() - start;
	ASSERT_EQ(0, mp_wait_more_samples(2, 10 * FLOOD_INTERVAL_MS));
	while ((err = mp_events_next(r, &ev, 0)) == 0 || err == -EINVAL)
		if (!err)
			flood_note(l, &ev);

	TH_LOG("%llu ms of flood: soft_over %u, level %u, lost %u, other %u events",
	       (unsigned long long)elapsed_ms, l->soft_over, l->level, l->lost,
	       l->other);
	EXPECT_EQ(0, l->lost);
	EXPECT_LE(1, l->soft_over);
	EXPECT_LE(1, l->level);

	/* Per cgroup and kind: few records, adding up to memory.events. */
	bound = 2 * (elapsed_ms / FLOOD_INTERVAL_MS + 4);
	for (i = -1; i < FLOOD_LEAVES; i++) {
		const char *cg = i < 0 ? tenant : leaves[i];

		mp_cg_path(cg, path, sizeof(path));
		for (j = 0; j < (int)ARRAY_SIZE(keys); j++) {
			struct flood_kind none = { 0 }, *fk = &none;

			ASSERT_EQ(0, cg_read_key_u64(cg, "memory.events", keys[j], &v));
			for (k = 0; k < l->nr; k++)
				if (l->k[k].kind == kinds[j] && !strcmp(l->k[k].path, path))
					fk = &l->k[k];
			TH_LOG("%s %s: memory.events %llu; %u records, deltas %llu, last count %llu",
			       path, keys[j], (unsigned long long)v, fk->records,
			       (unsigned long long)fk->sum, (unsigned long long)fk->last);
			EXPECT_GE(bound, fk->records);
			EXPECT_EQ(v, fk->last);
			EXPECT_EQ(v, fk->sum);
		}
	}
	mp_events_close(r);
	close(go[0]);
	close(go[1]);
	free(l);
	free(r);
}

TEST_HARNESS_MAIN
