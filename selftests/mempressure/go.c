// SPDX-License-Identifier: GPL-2.0
/*
 * The Go client (userspace/go, docs/go.md) in the VM: /mp/bin/bufcache, a
 * Go service whose sync.Pool buffers and map cache grow toward its cgroup's
 * limit, with mempressured from /mp/bin.
 *
 * - headline: with memory.max below its natural peak, bufcache alone is
 *   OOM-killed; subscribed (through $MEMORY_PRESSURE_WATCH) with
 *   mempressured running, it survives, and what the daemon measured of
 *   its trims is close to what the client claimed.  Both runs' figures go
 *   on one line starting "go-headline:";
 * - limit_follows: memory.max lowered, then raised again (memhog holds the
 *   cgroup's level up meanwhile): the first level message after each
 *   change already has the service's GOMEMLIMIT at the new soft limit
 *   less its headroom; with no handler set, the client answers the trims
 *   with 0 and the service runs on;
 * - limit_follows_without_pressure: the same at level none, where only
 *   the module's limit event tells the service memory.max moved;
 * - no_daemon: a service that cannot reach the daemon says so once and
 *   runs on; it subscribes when the daemon comes, and again after the
 *   daemon restarts, saying once that it lost it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mp_util.h"

#define BUFCACHE	"/mp/bin/bufcache"
#define MEMHOG		"/mp/bin/memhog"
#define GO_SOCK		"/tmp/mpd-go.sock"
#define GO_CONF		"/tmp/mpd-go.conf"
#define GO_LOG		"/tmp/mpd-go.log"

/*
 * Escalation is off for the test cgroups, so that what keeps bufcache
 * alive is the client alone.  The deadline leaves room for the debug
 * kernel, where one trim (two collections and FreeOSMemory over about
 * 90 MiB) took up to 2.6 s with the VM's two vCPUs taking turns on one
 * host thread; the headline line prints the longest.
 */
static const char go_conf[] =
	"[daemon]\n"
	"socket = " GO_SOCK "\n"
	"deadline_ms = 4000\n"
	"grace_ms = 3000\n"
	"[cgroup /go_hl2]\n"
	"reclaim = no\n"
	"clamp = no\n"
	"[cgroup /go_lim]\n"
	"reclaim = no\n"
	"clamp = no\n";

/* --- processes with their output in a file --- */

struct proc {
	const char *out;		/* stdout and stderr */
	char *const *argv;
	char *const *env;
};

static int proc_exec(void *arg)
{
	const struct proc *p = arg;
	int fd = open(p->out, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		return 126;
	/*
	 * No transparent huge pages: the Go runtime returns memory in pieces
	 * smaller than one, and khugepaged collapsing the rest again would
	 * put back into RSS what the trims gave (docs/go.md).
	 */
	prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
	execve(p->argv[0], p->argv, p->env);
	return 127;
}

static pid_t proc_start(const char *cg, const char *out, char *const *argv, char *const *env)
{
	static char *const no_env[] = { "PATH=/mp/bin:/bin", NULL };
	struct proc p = { .out = out, .argv = argv, .env = env ? env : no_env };

	return cg_run_nowait(cg, proc_exec, &p);
}

static char text[1 << 20];

/* Wait until @path, from byte @from on, holds @needle; where, or NULL. */
static const char *wait_text(const char *path, size_t from, const char *needle, int timeout_ms)
{
	uint64_t end = mp_now_ms() + (uint64_t)timeout_ms;
	const char *hit;

	for (;;) {
		mp_file_text(path, text, sizeof(text));
		hit = strlen(text) > from ? strstr(text + from, needle) : NULL;
		if (hit || mp_now_ms() >= end)
			return hit;
		poll(NULL, 0, 100);
	}
}

static size_t count_text(const char *s, const char *needle)
{
	size_t n = 0;

	for (; (s = strstr(s, needle)); s++)
		n++;
	return n;
}

/* The number after "@key=" in the line at @line, 0 if none. */
static uint64_t line_u64(const char *line, const char *key)
{
	const char *eol = strchrnul(line, '\n');
	char k[64];
	const char *v;

	snprintf(k, sizeof(k), " %s=", key);
	v = strstr(line, k);
	return v && v < eol ? strtoull(v + strlen(k), NULL, 10) : 0;
}

/* The last line of @s starting with @kind (" t=" follows), or NULL. */
static const char *last_line(const char *s, const char *kind)
{
	const char *last = NULL;
	char k[32];
	size_t n = (size_t)snprintf(k, sizeof(k), "%s t=", kind);

	for (const char *l = s; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (!strncmp(l, k, n))
			last = l;
	return last;
}

static pid_t daemon_run(void)
{
	static const char *const verbose[] = { "-v", NULL };
	static const struct mp_daemon_files files = { GO_CONF, GO_LOG, GO_SOCK };

	return mp_daemon_start(&files, go_conf, verbose, true);
}

static void child_stop(pid_t *pid)
{
	int status;

	if (*pid <= 0)
		return;
	kill(*pid, SIGTERM);
	if (mp_wait_child(*pid, &status, MP_WAIT_MS))
		mp_kill_child(*pid);
	*pid = 0;
}

/*
 * The trims the daemon measured, from its log: what the client claimed
 * and how much the process's RSS fell from the request to the reply,
 * summed.  A trim still waiting when the process ended is not in the log,
 * nor is one whose reply came late (no RSS at the reply).
 */
static int trims_measured(uint64_t *claimed, uint64_t *fell)
{
	const char *p = mp_file_text(GO_LOG, text, sizeof(text));
	int n = 0;

	*claimed = *fell = 0;
	while ((p = strstr(p, ") claims "))) {
		uint64_t c = strtoull(p + 9, NULL, 10), before, replied;
		const char *r = strstr(p, "measured: rss ");

		if (!r)
			break;
		before = strtoull(r + 14, (char **)&r, 10);
		if (strncmp(r, " -> ", 4))
			break;
		strtoull(r + 4, (char **)&r, 10);
		p = r;
		if (strncmp(r, " (", 2))
			continue;
		replied = strtoull(r + 2, (char **)&r, 10);
		if (strncmp(r, " at the reply)", 14))
			continue;
		*claimed += c;
		*fell += before > replied ? before - replied : 0;
		n++;
	}
	return n;
}

/* The daemon's statistics of application @app, from its status reply. */
struct yield {
	uint64_t requests, replies, claimed, measured;
};

static int daemon_yield(const char *app, struct yield *y)
{
	char buf[MEMPRESSURED_MSG_MAX + 1], want[128];
	int fd = mp_daemon_connect(GO_SOCK), r = -ENOENT;
	ssize_t n;

	if (fd < 0)
		return -errno;
	snprintf(want, sizeof(want), "msg=status app=%s ", app);
	if (send(fd, "msg=status", 10, 0) < 0)
		goto out;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, MP_WAIT_MS) <= 0 || (n = recv(fd, buf, sizeof(buf) - 1, 0)) <= 0)
			break;
		buf[n] = '\0';
		if (!strcmp(buf, "msg=end"))
			break;
		if (strncmp(buf, want, strlen(want)))
			continue;
		y->requests = line_u64(buf, "requests");
		y->replies = line_u64(buf, "replies");
		y->claimed = line_u64(buf, "claimed_bytes");
		y->measured = line_u64(buf, "measured_bytes");
		r = 0;
	}
out:
	close(fd);
	return r;
}

FIXTURE(go) {
	pid_t daemon, svc, hog;
	const char *cgs[2];
};

FIXTURE_SETUP(go)
{
	memset(self, 0, sizeof(*self));
	/* make check stages both: missing is a broken build, not a skip. */
	ASSERT_EQ(0, access(BUFCACHE, X_OK)) TH_LOG("no %s", BUFCACHE);
	ASSERT_EQ(0, access(MP_DAEMON_BIN, X_OK)) TH_LOG("no %s", MP_DAEMON_BIN);
	ASSERT_EQ(0, mp_load(MP_TEST_PARAMS));
}

FIXTURE_TEARDOWN(go)
{
	if (self->svc > 0)
		mp_kill_child(self->svc);
	if (self->hog > 0)
		mp_kill_child(self->hog);
	child_stop(&self->daemon);
	for (int i = 0; i < 2; i++)
		if (self->cgs[i])
			cg_destroy(self->cgs[i]);
	mp_unload();
	unlink(GO_SOCK);
}

static int go_cg(FIXTURE_DATA(go) *self, int i, const char *name, const char *max,
		 const char *high)
{
	self->cgs[i] = name;
	if (cg_create_leaf(name) || cg_write(name, "memory.swap.max", "0"))
		return -1;
	if (high && cg_write(name, "memory.high", high))
		return -1;
	return cg_write(name, "memory.max", max);
}

/* One run of bufcache: how it ended and its cgroup's figures. */
struct run {
	bool survived;
	uint64_t oom_kill, high, peak, peak_rss, gc, trims, freed, evicted, trim_ms_max;
};

/* The longest trim in bufcache's output @s, in ms: how close to the deadline. */
static uint64_t longest_trim_ms(const char *s)
{
	uint64_t max = 0, ms;

	for (const char *l = s; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (strncmp(l, "trim t=", 7))
			continue;
		ms = line_u64(l, "took_ms");
		if (ms > max)
			max = ms;
	}
	return max;
}

#define HL_MAX		"100663296"	/* 96 MiB */
#define HL_HIGH		"96468992"	/* 92 MiB: throttled a little before the kill */
/*
 * The same work in both runs, whatever the machine's speed: 2,000 cache
 * entries of 64 KiB, 125 MiB, past memory.max even with nothing else.
 */
#define HL_REQUESTS	"2000"

static void hl_run(struct __test_metadata *_metadata, FIXTURE_DATA(go) *self,
		   const char *cg, const char *out, bool client, struct run *r)
{
	static char *const alone[] = { BUFCACHE, "-no-client", "-requests", HL_REQUESTS, NULL };
	static char *const subscribed[] = { BUFCACHE, "-requests", HL_REQUESTS, NULL };
	static char *const env[] = { "MEMORY_PRESSURE_WATCH=" GO_SOCK, NULL };
	const char *l;
	int status;

	/* In the module's table first: the welcome has its soft limit then. */
	ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));
	self->svc = proc_start(cg, out, client ? subscribed : alone, client ? env : NULL);
	ASSERT_GT(self->svc, 0);
	ASSERT_EQ(0, mp_wait_child(self->svc, &status, 120000));
	self->svc = 0;
	r->survived = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	ASSERT_EQ(0, cg_read_key_u64(cg, "memory.events", "oom_kill", &r->oom_kill));
	ASSERT_EQ(0, cg_read_key_u64(cg, "memory.events", "high", &r->high));
	if (cg_read_u64(cg, "memory.peak", &r->peak))
		r->peak = 0;
	mp_file_text(out, text, sizeof(text));
	r->trim_ms_max = longest_trim_ms(text);
	l = last_line(text, r->survived ? "done" : "stats");
	if (l) {
		r->gc = line_u64(l, "gc");
		r->peak_rss = line_u64(l, "peak_rss");
		r->trims = line_u64(l, "trims");
		r->freed = line_u64(l, "freed");
		r->evicted = line_u64(l, "evicted");
	}
}

TEST_F_TIMEOUT(go, headline, 240)
{
	struct run alone = { 0 }, with = { 0 };
	struct yield y = { 0 };
	uint64_t claimed, fell;
	int measured;

	ASSERT_EQ(0, go_cg(self, 0, "go_hl1", HL_MAX, HL_HIGH));
	hl_run(_metadata, self, "go_hl1", "/tmp/go-hl1.out", false, &alone);

	self->daemon = daemon_run();
	ASSERT_GT(self->daemon, 0);
	ASSERT_EQ(0, go_cg(self, 1, "go_hl2", HL_MAX, HL_HIGH));
	hl_run(_metadata, self, "go_hl2", "/tmp/go-hl2.out", true, &with);
	ASSERT_EQ(0, daemon_yield("bufcache", &y)) TH_LOG("%s", mp_file_text(GO_LOG, text, sizeof(text)));
	measured = trims_measured(&claimed, &fell);

	ksft_print_msg("go-headline: without client: survived=%d oom_kill=%llu high=%llu peak=%llu peak_rss=%llu gc=%llu; with client and mempressured: survived=%d oom_kill=%llu high=%llu peak=%llu peak_rss=%llu gc=%llu trims=%llu longest_trim_ms=%llu evicted=%llu client_freed=%llu daemon_claimed=%llu daemon_measured=%llu; %d trims measured: claimed %llu, rss fell %llu\n",
		       alone.survived, (unsigned long long)alone.oom_kill,
		       (unsigned long long)alone.high, (unsigned long long)alone.peak,
		       (unsigned long long)alone.peak_rss, (unsigned long long)alone.gc,
		       with.survived, (unsigned long long)with.oom_kill,
		       (unsigned long long)with.high, (unsigned long long)with.peak,
		       (unsigned long long)with.peak_rss, (unsigned long long)with.gc,
		       (unsigned long long)with.trims, (unsigned long long)with.trim_ms_max,
		       (unsigned long long)with.evicted,
		       (unsigned long long)with.freed, (unsigned long long)y.claimed,
		       (unsigned long long)y.measured, measured, (unsigned long long)claimed,
		       (unsigned long long)fell);
	ASSERT_FALSE(alone.survived) TH_LOG("%s", mp_file_text("/tmp/go-hl1.out", text, sizeof(text)));
	ASSERT_GE(alone.oom_kill, 1);
	ASSERT_TRUE(with.survived) TH_LOG("%s", mp_file_text("/tmp/go-hl2.out", text, sizeof(text)));
	ASSERT_EQ(0, with.oom_kill);
	ASSERT_GT(with.trims, 0);
	ASSERT_GT(with.evicted, 0);
	/* The daemon heard every claim the client made in time. */
	ASSERT_GT(y.replies, 0) TH_LOG("%s", mp_file_text(GO_LOG, text, sizeof(text)));
	ASSERT_GT(y.claimed, 0);
	ASSERT_LE(y.claimed, with.freed);
	/*
	 * Trim by trim, the fall of RSS the daemon measured at the reply is
	 * within half of what the client claimed: RSS is counted per CPU or
	 * per thread and the service's other goroutines allocate on while it
	 * trims, so the two never agree exactly; a client claiming want_bytes,
	 * or nothing, is far off.  (At the deadline, which leaves room for the
	 * debug kernel, the cache has grown again by up to 12 MiB.)
	 */
	ASSERT_GT(measured, 0);
	ASSERT_TRUE(values_close(fell, claimed, 50, 4 * MiB))
		TH_LOG("%s", mp_file_text(GO_LOG, text, sizeof(text)));
}

#define LIM_HEADROOM	(8 * MiB)
/*
 * memhog holds 330 MiB: over the soft limit of 384 MiB (326.4 MiB), so the
 * level is medium while memory.max is low, yet under critical (364.8 MiB)
 * with bufcache's 20 MiB or so; at 896 MiB it is none.
 */
#define LIM_HOG		"330M"
#define LIM_HOG_BYTES	(330 * MiB)
#define LIM_LOW		"402653184"	/* 384 MiB */
#define LIM_HIGH	"939524096"	/* 896 MiB */

/*
 * Change memory.max to @max, then wait for the first level message the
 * service prints with the soft limit the module now has; a limit line with
 * the GOMEMLIMIT for it must come before it.  Returns that limit.  (One
 * change can make two level messages, a rise and a limit event; on a slow
 * kernel the second of the change before may still come after this one's
 * write, with the old soft limit.)
 */
static int64_t limit_step(struct __test_metadata *_metadata, const char *out, const char *max)
{
	uint64_t soft = 0, end = mp_now_ms() + MP_WAIT_MS;
	const char *lvl, *lim;
	size_t from;

	mp_file_text(out, text, sizeof(text));
	from = strlen(text);
	EXPECT_EQ(0, cg_write("go_lim", "memory.max", max));
	/* The module's soft limit for the new memory.max. */
	do {
		mp_wait_more_samples(1, MP_WAIT_MS);
		mp_cg_cell_u64("go_lim", MP_CGCOL(SOFT_LIMIT), &soft);
	} while (!values_close(soft * 100 / 85, strtoull(max, NULL, 10), 1, 0) &&
		 mp_now_ms() < end);
	end = mp_now_ms() + MP_WAIT_MS;
	for (size_t at = from;; at = (size_t)(strchrnul(lvl, '\n') - text)) {
		lvl = wait_text(out, at, "level t=", (int)(end > mp_now_ms() ? end - mp_now_ms() : 0));
		if (!lvl || line_u64(lvl, "soft") == soft)
			break;
	}
	if (!lvl) {
		static char log[1 << 16];

		TH_LOG("no level line with soft=%llu:\n%s\n%s", (unsigned long long)soft,
		       text + from, mp_file_text(GO_LOG, log, sizeof(log)));
	}
	EXPECT_NE(NULL, lvl);
	if (!lvl)
		return -1;
	/* The last limit line before it. */
	lim = NULL;
	for (const char *p = text + from; (p = strstr(p, "limit t=")) && p < lvl; p++)
		lim = p;
	EXPECT_NE(NULL, lim) TH_LOG("%s", text + from);
	if (!lim)
		return -1;
	EXPECT_EQ(soft, line_u64(lim, "soft"));
	EXPECT_EQ((int64_t)(soft - LIM_HEADROOM), (int64_t)line_u64(lim, "limit"))
		TH_LOG("%s", text + from);
	return (int64_t)line_u64(lim, "limit");
}

/*
 * Wait until the cgroup's level is none and the service heard so (its last
 * level line, if any, says none): a level message still on its way would
 * otherwise pass for the first one after the next change.
 */
static bool limit_settled(const char *out)
{
	uint64_t end = mp_now_ms() + MP_WAIT_MS;
	const char *l;

	do {
		l = last_line(mp_file_text(out, text, sizeof(text)), "level");
		if (mp_cg_level("go_lim") == MEMPRESSURE_LEVEL_NONE &&
		    (!l || !strncmp(strstr(l, " level=") ?: "", " level=none", 11)))
			return true;
		poll(NULL, 0, 100);
	} while (mp_now_ms() < end);
	return false;
}

TEST_F_TIMEOUT(go, limit_follows, 180)
{
	static char *const hog[] = { MEMHOG, "-i", LIM_HOG, NULL };
	static char *const svc[] = { BUFCACHE, "-socket", GO_SOCK, "-handler", "none",
				     "-name", "bufcache-lim", "-rate", "2M", "-max-cache", "8M",
				     "-big", "256K", "-headroom", "8M", NULL };
	static const char out[] = "/tmp/go-lim.out";
	struct yield y = { 0 };
	int64_t first, lowered, raised;
	uint64_t cur = 0, end;
	const char *l;

	ASSERT_EQ(0, go_cg(self, 0, "go_lim", LIM_HIGH, NULL));
	/* The level falls 2 s after usage does, not the default 10. */
	ASSERT_EQ(0, mp_control_set(MEMPRESSURE_TUNABLE_CALM_MS, 2000));
	self->hog = proc_start("go_lim", "/tmp/go-hog.out", hog, NULL);
	ASSERT_GT(self->hog, 0);
	end = mp_now_ms() + MP_WAIT_MS;
	while (cg_read_u64("go_lim", "memory.current", &cur) == 0 && cur < LIM_HOG_BYTES &&
	       mp_now_ms() < end)
		poll(NULL, 0, 50);
	ASSERT_GE(cur, LIM_HOG_BYTES);
	self->daemon = daemon_run();
	ASSERT_GT(self->daemon, 0);
	self->svc = proc_start("go_lim", out, svc, NULL);
	ASSERT_GT(self->svc, 0);

	/* The welcome's soft limit sets the first one. */
	l = wait_text(out, 0, "limit t=", MP_WAIT_MS);
	ASSERT_NE(NULL, l) TH_LOG("%s", mp_file_text(GO_LOG, text, sizeof(text)));
	first = (int64_t)line_u64(l, "limit");
	ASSERT_EQ((int64_t)(line_u64(l, "soft") - LIM_HEADROOM), first);

	/* Down to 384 MiB: medium at once, and held there by memhog. */
	ASSERT_TRUE(limit_settled(out)) TH_LOG("%s", mp_file_text(GO_LOG, text, sizeof(text)));
	lowered = limit_step(_metadata, out, LIM_LOW);
	ASSERT_GT(lowered, 0);
	ASSERT_LT(lowered, first);
	/* Back up: the level falls after calm_ms, with the new soft limit. */
	raised = limit_step(_metadata, out, LIM_HIGH);
	ASSERT_EQ(first, raised);

	/*
	 * No handler: the client answered the trims of the medium phase
	 * itself, with 0, and the service ran on to its normal end.
	 */
	ASSERT_EQ(0, daemon_yield("bufcache-lim", &y));
	EXPECT_GT(y.replies, 0);
	EXPECT_EQ(0, y.claimed);
	child_stop(&self->svc);
	mp_file_text(out, text, sizeof(text));
	l = last_line(text, "done");
	ASSERT_NE(NULL, l) TH_LOG("%s", text);
	ksft_print_msg("go-limit: GOMEMLIMIT %lld -> %lld -> %lld as memory.max went 896 -> 384 -> 896 MiB; %llu trims answered with 0\n",
		       (long long)first, (long long)lowered, (long long)raised,
		       (unsigned long long)y.replies);
}

#define LIM_MID		"671088640"	/* 640 MiB */

/*
 * With nothing pressing on the cgroup its level stays none, and only the
 * module's limit event (a level message with reason=limit) can tell the
 * service that memory.max moved.
 */
TEST_F_TIMEOUT(go, limit_follows_without_pressure, 120)
{
	static char *const svc[] = { BUFCACHE, "-socket", GO_SOCK, "-handler", "none",
				     "-name", "bufcache-none", "-rate", "1M", "-max-cache", "4M",
				     "-headroom", "8M", NULL };
	static const char out[] = "/tmp/go-none.out";
	int64_t first, lowered, raised;
	const char *l;

	ASSERT_EQ(0, go_cg(self, 0, "go_lim", LIM_HIGH, NULL));
	self->daemon = daemon_run();
	ASSERT_GT(self->daemon, 0);
	self->svc = proc_start("go_lim", out, svc, NULL);
	ASSERT_GT(self->svc, 0);
	l = wait_text(out, 0, "limit t=", MP_WAIT_MS);
	ASSERT_NE(NULL, l) TH_LOG("%s", mp_file_text(GO_LOG, text, sizeof(text)));
	first = (int64_t)line_u64(l, "limit");
	ASSERT_TRUE(limit_settled(out));

	lowered = limit_step(_metadata, out, LIM_MID);
	l = last_line(mp_file_text(out, text, sizeof(text)), "level");
	ASSERT_NE(NULL, l);
	ASSERT_NE(NULL, strstr(l, " level=none old=none reason=limit ")) TH_LOG("%s", l);
	ASSERT_LT(lowered, first);
	raised = limit_step(_metadata, out, LIM_HIGH);
	l = last_line(mp_file_text(out, text, sizeof(text)), "level");
	ASSERT_NE(NULL, l);
	ASSERT_NE(NULL, strstr(l, " level=none old=none reason=limit ")) TH_LOG("%s", l);
	ASSERT_EQ(first, raised);
	EXPECT_EQ(MEMPRESSURE_LEVEL_NONE, mp_cg_level("go_lim"));
	ksft_print_msg("go-limit-none: GOMEMLIMIT %lld -> %lld -> %lld as memory.max went 896 -> 640 -> 896 MiB at level none\n",
		       (long long)first, (long long)lowered, (long long)raised);
}

TEST_F_TIMEOUT(go, no_daemon, 120)
{
	static char *const svc[] = { BUFCACHE, "-socket", GO_SOCK, "-rate", "1M",
				     "-max-cache", "4M", NULL };
	static const char out[] = "/tmp/go-nod.out";
	const char *s;
	int status;

	ASSERT_EQ(0, go_cg(self, 0, "go_nod", "268435456", NULL));
	self->svc = proc_start("go_nod", out, svc, NULL);
	ASSERT_GT(self->svc, 0);
	ASSERT_NE(NULL, wait_text(out, 0, "cannot reach mempressured", MP_WAIT_MS));
	/* It runs on: stats keep coming. */
	ASSERT_NE(NULL, wait_text(out, 0, "stats t=2", MP_WAIT_MS));
	/* The daemon comes: it subscribes (backoff: within a few seconds). */
	self->daemon = daemon_run();
	ASSERT_GT(self->daemon, 0);
	ASSERT_NE(NULL, wait_text(GO_LOG, 0, "subscriber bufcache", MP_WAIT_MS));
	/* The daemon restarts: it subscribes to the new one. */
	child_stop(&self->daemon);
	self->daemon = daemon_run();
	ASSERT_GT(self->daemon, 0);
	ASSERT_NE(NULL, wait_text(GO_LOG, 0, "subscriber bufcache", MP_WAIT_MS))
		TH_LOG("%s", mp_file_text(out, text, sizeof(text)));
	kill(self->svc, SIGTERM);
	ASSERT_EQ(0, mp_wait_child(self->svc, &status, MP_WAIT_MS));
	self->svc = 0;
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	s = mp_file_text(out, text, sizeof(text));
	ASSERT_NE(NULL, strstr(s, "done t="));
	/* Once each: not a line per retry. */
	ASSERT_EQ(1, count_text(s, "cannot reach mempressured")) TH_LOG("%s", s);
	ASSERT_EQ(1, count_text(s, "lost mempressured")) TH_LOG("%s", s);
}

TEST_HARNESS_MAIN
