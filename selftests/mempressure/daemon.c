// SPDX-License-Identifier: GPL-2.0
/*
 * mempressured in the VM: the daemon started from /mp/bin with its log in
 * a file, subscribers written here against mp_proto.h.
 *
 * - headline: a cache that grows past memory.max is OOM-killed without the
 *   daemon and survives with it, the daemon asking it to trim;
 * - isolation: a subscriber hears only about its own cgroup; a malformed
 *   message drops that client alone;
 * - escalation: an application that ignores its trims gets memory.reclaim,
 *   then a memory.high clamp, in that order, and the clamp is undone;
 *   in dry-run nothing is written and the log says "would"; a clamp never
 *   raises a memory.high already at the soft limit;
 * - reload: SIGHUP with a broken configuration keeps the old one;
 * - targets: a [signal] target by comm and a [hook] act at their levels,
 *   the hook with its environment, and no other process is signalled; the
 *   log says why, every line of it has its priority, the hook's output is
 *   not in it;
 * - misbehaving clients: one that never reads does not stall the others;
 *   one killed with SIGKILL is forgotten;
 * - systemd's memory-pressure protocol: an sd-event-like watcher is woken
 *   at systemd_level in its cgroup, not before, and not for another's;
 * - leaks: a growing subscriber is asked alone (reason=leak), a steady one
 *   beside it is not; with kill = yes the leak suspect that ignores its
 *   trims is killed once its cgroup stays over, the steady one lives; with
 *   kill = no (the default) nothing is killed;
 * - the module unloaded and loaded again under the daemon: it says so,
 *   waits, and serves the new module's events;
 * - a client that is not root is refused scope=all and the status, and
 *   subscribed for its own cgroup.
 *
 * What the daemon decides from events and tables alone, without the
 * kernel, is tested on the host, in milliseconds, by
 * selftests/host/test_daemon.c: the stagger between callbacks, a new
 * round after an answered or an unanswered trim, targets below
 * trim_level, a dry run's kill, signal and hook, a module of another
 * ABI, the exit statuses.
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
#include <grp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mp_util.h"
#include "mp_proto.h"

#define SOCK_PATH	"/tmp/mpd-test.sock"
#define CONF_PATH	"/tmp/mpd-test.conf"
#define LOG_PATH	"/tmp/mpd-test.log"
#define CHUNK		(1 * MiB)
#define MAX_CHUNKS	256

/* --- a subscriber: grows to @target at @rate, trims when asked (or not) --- */

struct sub {
	const char *name;
	const char *cg;
	uint64_t target;		/* bytes to grow to */
	uint64_t rate;			/* bytes per second */
	bool respond;			/* trims when asked */
	uint64_t run_ms;
	const char *raw_hello;		/* sent instead of a hello */
	int out;			/* pipe: one line per message received */
};

static int sub_main(void *arg)
{
	struct sub *s = arg;
	static char *chunks[MAX_CHUNKS];
	static struct mp_msg m;
	struct mp_msg_out o;
	uint64_t size = 0, ceiling = s->target, freed_total = 0, start = mp_now_ms();
	int nr = 0, fd = mp_daemon_connect(SOCK_PATH);
	char buf[MEMPRESSURED_MSG_MAX + 1];

	/* No daemon (the headline's first run): a cache on its own. */
	if (fd >= 0 && s->raw_hello) {
		if (send(fd, s->raw_hello, strlen(s->raw_hello), 0) < 0)
			return 11;
	} else if (fd >= 0) {
		mp_msg_begin(&o, MEMPRESSURED_MSG_HELLO);
		mp_msg_add_u64(&o, MEMPRESSURED_KEY_VERSION, MEMPRESSURED_PROTOCOL_VERSION);
		mp_msg_add_str(&o, MEMPRESSURED_KEY_NAME, s->name);
		if (send(fd, o.buf, (size_t)mp_msg_end(&o), 0) < 0)
			return 11;
	}
	while (mp_now_ms() - start < s->run_ms) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t due = s->rate ? (mp_now_ms() - start) * s->rate / 1000 : 0;
		ssize_t n;

		/* Grow on schedule, in chunks, up to the ceiling. */
		while (size + CHUNK <= ceiling && size < due && nr < MAX_CHUNKS) {
			chunks[nr] = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (chunks[nr] == MAP_FAILED)
				return 12;
			memset(chunks[nr], 0x5a, CHUNK);
			nr++;
			size += CHUNK;
		}
		if (poll(&p, 1, 50) <= 0 || fd < 0)
			continue;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0) {
			dprintf(s->out, "EOF\n");
			break;
		}
		buf[n] = '\0';
		/* When it arrived: the test of staggering compares them. */
		dprintf(s->out, "at=%llu %s\n", (unsigned long long)mp_now_ms(), buf);
		if (mp_msg_parse(buf, (size_t)n, &m) < 0 || m.type != MEMPRESSURED_MSG_TRIM ||
		    !s->respond) {
			continue;
		} else {
			uint64_t want = 0, id = 0, freed = 0;

			mp_msg_get_u64(&m, MEMPRESSURED_KEY_WANT, &want);
			mp_msg_get_u64(&m, MEMPRESSURED_KEY_ID, &id);
			/* A cache: drop what is asked and stay that small. */
			while (freed < want && nr > 0) {
				munmap(chunks[--nr], CHUNK);
				size -= CHUNK;
				freed += CHUNK;
			}
			ceiling = size;
			freed_total += freed;
			mp_msg_begin(&o, MEMPRESSURED_MSG_TRIMMED);
			mp_msg_add_u64(&o, MEMPRESSURED_KEY_ID, id);
			mp_msg_add_u64(&o, MEMPRESSURED_KEY_FREED, freed);
			send(fd, o.buf, (size_t)mp_msg_end(&o), MSG_DONTWAIT);
		}
	}
	dprintf(s->out, "FREED %llu\n", (unsigned long long)freed_total);
	return 0;
}

/* Starts @s in its cgroup; *rfd reads what it received. */
static pid_t sub_start(struct sub *s, int *rfd)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	s->out = p[1];
	pid = cg_run_nowait(s->cg, sub_main, s);
	close(p[1]);
	*rfd = p[0];
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	return pid;
}

/* Appends what the pipe holds to @acc (NUL-terminated, @size bytes). */
static void drain(int fd, char *acc, size_t size)
{
	size_t len = strlen(acc);
	ssize_t n;

	while (len + 1 < size && (n = read(fd, acc + len, size - len - 1)) > 0)
		len += (size_t)n;
	acc[len] = '\0';
}

/* Wait until @needle shows in what @fd delivered (collected in @acc). */
static bool wait_pipe(int fd, char *acc, size_t size, const char *needle, int timeout_ms)
{
	uint64_t end = mp_now_ms() + (uint64_t)timeout_ms;

	do {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		drain(fd, acc, size);
		if (strstr(acc, needle))
			return true;
		poll(&p, 1, 100);
	} while (mp_now_ms() < end);
	return false;
}

/* --- the daemon --- */

static char logbuf[1 << 20];

static const char *daemon_log(void)
{
	return mp_file_text(LOG_PATH, logbuf, sizeof(logbuf));
}

/* Wait until the daemon's log has @needle. */
static bool wait_log(const char *needle, int timeout_ms)
{
	return mp_wait_file(LOG_PATH, needle, timeout_ms);
}

/* Wait until one line of the daemon's log has @a and, after it, @b. */
static bool wait_log_line(const char *a, const char *b, int timeout_ms)
{
	uint64_t end = mp_now_ms() + (uint64_t)timeout_ms;

	do {
		for (const char *l = daemon_log(); (l = strstr(l, a)); l++) {
			const char *nl = strchr(l, '\n'), *m = strstr(l, b);

			if (m && (!nl || m < nl))
				return true;
		}
		poll(NULL, 0, 100);
	} while (mp_now_ms() < end);
	return false;
}

/*
 * The first line of @log that does not start with a syslog priority
 * ("<0>" to "<7>"), as every line of the daemon's must; NULL if none.
 */
static const char *unprefixed_line(const char *log)
{
	for (const char *l = log; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : "") {
		if (l[0] != '<' || l[1] < '0' || l[1] > '7' || l[2] != '>')
			return l;
	}
	return NULL;
}

static const struct mp_daemon_files mpd_files = { CONF_PATH, LOG_PATH, SOCK_PATH };
static const char *const mpd_verbose[] = { "-v", NULL };

/* Starts the daemon (-v; -n if @dry); returns once it reads the module's events. */
static pid_t daemon_start(const char *conf, bool dry)
{
	static const char *const verbose_dry[] = { "-v", "-n", NULL };

	return mp_daemon_start(&mpd_files, conf, dry ? verbose_dry : mpd_verbose, true);
}

static int daemon_stop(pid_t pid)
{
	int status;

	if (pid <= 0)
		return 0;
	kill(pid, SIGTERM);
	if (mp_wait_child(pid, &status, MP_WAIT_MS) < 0) {
		mp_kill_child(pid);
		return -ETIMEDOUT;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#define BASE_CONF \
	"[daemon]\n" \
	"socket = " SOCK_PATH "\n" \
	"deadline_ms = 300\n" \
	"stagger_ms = 20\n" \
	"grace_ms = 1000\n" \
	"clamp_ms = 3000\n"

FIXTURE(daemon) {
	pid_t daemon;
	pid_t kids[8];
	int nr_kids;
	char cgs[8][32];
	int nr_cgs;
};

FIXTURE_SETUP(daemon)
{
	self->daemon = 0;
	self->nr_kids = 0;
	self->nr_cgs = 0;
	if (access(MP_DAEMON_BIN, X_OK))
		SKIP(return, "no %s", MP_DAEMON_BIN);
	ASSERT_EQ(0, mp_load(MP_TEST_PARAMS));
}

FIXTURE_TEARDOWN(daemon)
{
	for (int i = 0; i < self->nr_kids; i++)
		if (self->kids[i] > 0)
			mp_kill_child(self->kids[i]);
	daemon_stop(self->daemon);
	for (int i = 0; i < self->nr_cgs; i++)
		cg_destroy(self->cgs[i]);
	mp_unload();
	unlink(SOCK_PATH);
}

static int make_cg(struct __test_metadata *_metadata, FIXTURE_DATA(daemon) *self,
		   const char *name, uint64_t max)
{
	char v[32];

	snprintf(self->cgs[self->nr_cgs++], 32, "%s", name);
	if (cg_create_leaf(name))
		return -1;
	snprintf(v, sizeof(v), "%llu", (unsigned long long)max);
	cg_write(name, "memory.swap.max", "0");
	(void)_metadata;
	return cg_write(name, "memory.max", v);
}

/* One run of the cache: its memory.events and peak, and what it freed. */
struct run {
	uint64_t oom_kill, high, peak, freed;
	bool survived;
};

/*
 * memory.high under memory.max, as a service's limits are set: without
 * help the cache is throttled at high, then killed at max.
 */
#define HL_HIGH		(88 * MiB)
#define HL_MAX		(96 * MiB)
#define HL_TARGET	(160 * MiB)
#define HL_RATE		(8 * MiB)
#define HL_RUN_MS	20000

static void cache_run(struct __test_metadata *_metadata, const char *cg, struct run *r)
{
	static char acc[65536];
	struct sub s = { .name = "cache", .cg = cg, .target = HL_TARGET, .rate = HL_RATE,
			 .respond = true, .run_ms = HL_RUN_MS };
	int fd, status;
	pid_t pid;
	char *p;

	acc[0] = '\0';
	pid = sub_start(&s, &fd);
	ASSERT_GT(pid, 0);
	ASSERT_EQ(0, mp_wait_child(pid, &status, HL_RUN_MS + 60000));
	drain(fd, acc, sizeof(acc));
	close(fd);
	r->survived = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	p = strstr(acc, "FREED ");
	r->freed = p ? strtoull(p + 6, NULL, 10) : 0;
	ASSERT_EQ(0, cg_read_key_u64(cg, "memory.events", "oom_kill", &r->oom_kill));
	ASSERT_EQ(0, cg_read_key_u64(cg, "memory.events", "high", &r->high));
	if (cg_read_u64(cg, "memory.peak", &r->peak))
		r->peak = 0;
}

TEST_F_TIMEOUT(daemon, headline, 180)
{
	struct run without = { 0 }, with = { 0 };

	char high[32];

	snprintf(high, sizeof(high), "%llu", (unsigned long long)HL_HIGH);
	/* Without the daemon: throttled at memory.high, killed at max. */
	ASSERT_EQ(0, make_cg(_metadata, self, "mpd_hl1", HL_MAX));
	ASSERT_EQ(0, cg_write("mpd_hl1", "memory.high", high));
	cache_run(_metadata, "mpd_hl1", &without);

	ASSERT_EQ(0, make_cg(_metadata, self, "mpd_hl2", HL_MAX));
	ASSERT_EQ(0, cg_write("mpd_hl2", "memory.high", high));
	self->daemon = daemon_start(BASE_CONF, false);
	ASSERT_GT(self->daemon, 0);
	cache_run(_metadata, "mpd_hl2", &with);

	ksft_print_msg("headline: without daemon: oom_kill=%llu high=%llu peak=%llu survived=%d; with mempressured: oom_kill=%llu high=%llu peak=%llu survived=%d freed_by_callbacks=%llu\n",
		       (unsigned long long)without.oom_kill, (unsigned long long)without.high,
		       (unsigned long long)without.peak, without.survived,
		       (unsigned long long)with.oom_kill, (unsigned long long)with.high,
		       (unsigned long long)with.peak, with.survived,
		       (unsigned long long)with.freed);
	ASSERT_GE(without.oom_kill, 1);
	ASSERT_FALSE(without.survived);
	ASSERT_EQ(0, with.oom_kill);
	ASSERT_TRUE(with.survived);
	ASSERT_GT(with.freed, 0);
	/* Throttling far lower: at most a quarter of the unhelped run's. */
	ASSERT_LT(0, without.high);
	ASSERT_LE(with.high * 4, without.high);
}

TEST_F(daemon, subscribers_are_isolated)
{
	static char acc_a[65536], acc_b[65536], acc_bad[4096], acc_big[4096];
	static char big_hello[MEMPRESSURED_MSG_MAX + 64];
	struct sub a = { .name = "grower", .cg = "mpd_a", .target = 60 * MiB, .rate = 16 * MiB,
			 .respond = true, .run_ms = 20000 };
	struct sub b = { .name = "idle", .cg = "mpd_b", .run_ms = 20000 };
	struct sub bad = { .name = "bad", .cg = "mpd_b", .run_ms = 10000,
			   .raw_hello = "msg=hello version=1 name=x oops" };
	struct sub big = { .name = "big", .cg = "mpd_b", .run_ms = 10000,
			   .raw_hello = big_hello };
	int fa, fb, fbad, fbig;

	/* One byte over the protocol's limit: a well-formed but long name. */
	memset(big_hello, 'x', sizeof(big_hello) - 1);
	memcpy(big_hello, "msg=hello version=1 name=", 25);
	big_hello[MEMPRESSURED_MSG_MAX + 1] = '\0';

	ASSERT_EQ(0, make_cg(_metadata, self, "mpd_a", 64 * MiB));
	ASSERT_EQ(0, make_cg(_metadata, self, "mpd_b", 64 * MiB));
	self->daemon = daemon_start(BASE_CONF, false);
	ASSERT_GT(self->daemon, 0);
	self->kids[self->nr_kids++] = sub_start(&b, &fb);
	ASSERT_TRUE(wait_pipe(fb, acc_b, sizeof(acc_b), "msg=welcome", MP_WAIT_MS));
	ASSERT_NE(NULL, strstr(acc_b, "cgroup=/mpd_b"));

	/* A malformed message: that client gets an error and is closed. */
	self->kids[self->nr_kids++] = sub_start(&bad, &fbad);
	ASSERT_TRUE(wait_pipe(fbad, acc_bad, sizeof(acc_bad), "EOF", MP_WAIT_MS));
	ASSERT_NE(NULL, strstr(acc_bad, "msg=error reason=malformed"));
	/* An oversized one: the same. */
	self->kids[self->nr_kids++] = sub_start(&big, &fbig);
	ASSERT_TRUE(wait_pipe(fbig, acc_big, sizeof(acc_big), "EOF", MP_WAIT_MS));
	ASSERT_NE(NULL, strstr(acc_big, "msg=error reason=too_long"))
		TH_LOG("big got: %s", acc_big);

	self->kids[self->nr_kids++] = sub_start(&a, &fa);
	ASSERT_TRUE(wait_pipe(fa, acc_a, sizeof(acc_a), "msg=trim ", MP_WAIT_MS))
		TH_LOG("a got: %s\nlog: %s", acc_a, daemon_log());
	ASSERT_NE(NULL, strstr(acc_a, "cgroup=/mpd_a"));
	ASSERT_TRUE(wait_log("claims", MP_WAIT_MS));
	/* b, still connected, heard nothing about a's cgroup. */
	drain(fb, acc_b, sizeof(acc_b));
	ASSERT_EQ(NULL, strstr(acc_b, "mpd_a"));
	ASSERT_EQ(NULL, strstr(acc_b, "msg=trim"));
	ASSERT_EQ(NULL, strstr(acc_b, "EOF"));
	ASSERT_EQ(NULL, strstr(acc_a, "mpd_b"));
	ASSERT_EQ(NULL, strstr(acc_a, "EOF"));
	close(fa);
	close(fb);
	close(fbad);
	close(fbig);
}

#define IGNORER_CONF \
	BASE_CONF \
	"[cgroup /mpd_ign]\n" \
	"reclaim = yes\n" \
	"clamp = yes\n" \
	"grace_ms = 1000\n"

static void ignorer(struct __test_metadata *_metadata, FIXTURE_DATA(daemon) *self, bool dry)
{
	static char acc[65536];
	struct sub s = { .name = "ignorer", .cg = "mpd_ign", .target = 60 * MiB,
			 .rate = 16 * MiB, .respond = false, .run_ms = 30000 };
	char high[64], want[64];
	const char *log, *t, *r, *c;
	uint64_t soft = 0;
	int fd;

	acc[0] = '\0';
	ASSERT_EQ(0, make_cg(_metadata, self, "mpd_ign", 64 * MiB));
	self->daemon = daemon_start(IGNORER_CONF, dry);
	ASSERT_GT(self->daemon, 0);
	self->kids[self->nr_kids++] = sub_start(&s, &fd);
	if (dry) {
		ASSERT_TRUE(wait_log("would clamp", MP_WAIT_MS)) TH_LOG("%s", daemon_log());
		log = daemon_log();
		ASSERT_NE(NULL, strstr(log, "would ask ignorer"));
		ASSERT_NE(NULL, strstr(log, "would reclaim"));
		ASSERT_LT(strstr(log, "would reclaim"), strstr(log, "would clamp"));
		ASSERT_EQ(NULL, strstr(log, "clamped memory.high"));
		ASSERT_EQ(NULL, strstr(log, "reclaiming"));
		ASSERT_EQ(0, cg_read("mpd_ign", "memory.high", high, sizeof(high)));
		ASSERT_STREQ("max\n", high);
		/* Dry run: the subscriber was never asked. */
		drain(fd, acc, sizeof(acc));
		ASSERT_EQ(NULL, strstr(acc, "msg=trim"));
		close(fd);
		return;
	}
	ASSERT_TRUE(wait_log("clamped memory.high", MP_WAIT_MS)) TH_LOG("%s", daemon_log());
	log = daemon_log();
	c = strstr(log, "clamped memory.high at ");
	ASSERT_NE(NULL, c);
	soft = strtoull(c + strlen("clamped memory.high at "), NULL, 10);
	/*
	 * A child writes it and reclaims; its end is logged with the effect.
	 * While clamped, memory.high is the soft limit the log names.
	 */
	snprintf(want, sizeof(want), "memory.high at %llu set", (unsigned long long)soft);
	ASSERT_TRUE(wait_log(want, MP_WAIT_MS)) TH_LOG("%s", daemon_log());
	ASSERT_TRUE(wait_log_line(want, "; memory.current ", 0)) TH_LOG("%s", daemon_log());
	log = daemon_log();
	c = strstr(log, "clamped memory.high at ");
	ASSERT_EQ(0, cg_read("mpd_ign", "memory.high", high, sizeof(high)));
	snprintf(want, sizeof(want), "%llu\n", (unsigned long long)soft);
	ASSERT_STREQ(want, high);
	t = strstr(log, "timed out");
	r = strstr(log, "memory.reclaim");
	ASSERT_NE(NULL, t) TH_LOG("%s", log);
	ASSERT_NE(NULL, r) TH_LOG("%s", log);
	ASSERT_LT(t, r);
	ASSERT_LT(r, c);
	/* The clamp ends after clamp_ms and memory.high is what it was. */
	ASSERT_TRUE(wait_log("memory.high restored to max", MP_WAIT_MS)) TH_LOG("%s", daemon_log());
	ASSERT_EQ(0, cg_read("mpd_ign", "memory.high", high, sizeof(high)));
	ASSERT_STREQ("max\n", high);
	drain(fd, acc, sizeof(acc));
	ASSERT_NE(NULL, strstr(acc, "msg=trim"));
	close(fd);
}

TEST_F(daemon, ignored_trims_escalate)
{
	ignorer(_metadata, self, false);
}

TEST_F(daemon, dry_run_does_nothing)
{
	ignorer(_metadata, self, true);
}

#define LOWHIGH_CONF \
	BASE_CONF \
	"[cgroup /mpd_hi]\n" \
	"grace_ms = 500\n" \
	"reclaim = no\n" \
	"clamp = yes\n"

/*
 * memory.high at the soft limit already (a soft limit of 100 % of the
 * effective limit, which is memory.high): an application that ignores
 * its trims and pushes past memory.high reaches the clamp step, which
 * leaves memory.high as it is and says so, rather than set it to the
 * soft limit (it would raise one below it).
 */
TEST_F(daemon, clamp_never_raises_memory_high)
{
	struct sub s = { .name = "pusher", .cg = "mpd_hi", .target = 60 * MiB,
			 .rate = 16 * MiB, .respond = false, .run_ms = 30000 };
	char high[64];
	int fd;

	ASSERT_EQ(0, make_cg(_metadata, self, "mpd_hi", 64 * MiB));
	ASSERT_EQ(0, cg_write("mpd_hi", "memory.high", "50331648"));
	self->daemon = daemon_start(LOWHIGH_CONF, false);
	ASSERT_GT(self->daemon, 0);
	ASSERT_EQ(0, mp_control_cmd("soft /mpd_hi 100%"));
	self->kids[self->nr_kids++] = sub_start(&s, &fd);
	ASSERT_TRUE(wait_log("at or below it already: clamp skipped", MP_WAIT_MS))
		TH_LOG("%s", daemon_log());
	ASSERT_TRUE(wait_log_line("/mpd_hi: ", "memory.high is 50331648, at or below", 0))
		TH_LOG("%s", daemon_log());
	ASSERT_EQ(0, cg_read("mpd_hi", "memory.high", high, sizeof(high)));
	ASSERT_STREQ("50331648\n", high);
	ASSERT_EQ(NULL, strstr(daemon_log(), "clamped memory.high"));
	close(fd);
}

TEST_F(daemon, sighup_broken_config_keeps_old)
{
	static char acc[4096];
	struct sub s = { .name = "late", .cg = "mpd_hup", .run_ms = 5000 };
	int fd, status;
	pid_t pid;

	ASSERT_EQ(0, make_cg(_metadata, self, "mpd_hup", 64 * MiB));
	self->daemon = daemon_start(BASE_CONF, false);
	ASSERT_GT(self->daemon, 0);
	ASSERT_EQ(0, mp_write_file(CONF_PATH, "[daemon]\nsocket = /tmp/other.sock\nkill = maybe\n"));
	kill(self->daemon, SIGHUP);
	ASSERT_TRUE(wait_log("keeping the old one", MP_WAIT_MS)) TH_LOG("%s", daemon_log());
	ASSERT_NE(NULL, strstr(daemon_log(), CONF_PATH ":3:"));
	/* Still serving on the old socket. */
	pid = sub_start(&s, &fd);
	ASSERT_GT(pid, 0);
	ASSERT_TRUE(wait_pipe(fd, acc, sizeof(acc), "msg=welcome", MP_WAIT_MS));
	mp_kill_child(pid);
	close(fd);
	/* A good one is taken. */
	ASSERT_EQ(0, mp_write_file(CONF_PATH, BASE_CONF "kill = yes\n"));
	kill(self->daemon, SIGHUP);
	ASSERT_TRUE(wait_log("reload: configuration", MP_WAIT_MS));
	/* SIGTERM: exit 0, socket removed. */
	status = daemon_stop(self->daemon);
	self->daemon = 0;
	ASSERT_EQ(0, status);
	ASSERT_NE(0, access(SOCK_PATH, F_OK));
}

/* --- targets without the protocol: a signal target and a hook --- */

#define HOOK_SH		"/tmp/mpd-hook.sh"
#define HOOK_OUT	"/tmp/mpd-hook.out"
#define TGT_MAX		(100 * MiB)

/*
 * A process named @comm in @cg: reports SIGUSR1 ('S') and each growth
 * step ('G', once memory.current has reached the bytes read from @cmd)
 * on @rep.  With @watch it also does what sd-event does with
 * $MEMORY_PRESSURE_WATCH naming a socket: connects a stream socket, writes
 * the decoded $MEMORY_PRESSURE_WRITE, and reports each time the socket
 * becomes readable ('P', what arrived discarded; 'E' at EOF).
 */
struct holder {
	const char *comm, *cg;
	const char *watch;
	int cmd, rep;
};

/* A PSI threshold, as systemd would pass it: "some 150000 1000000\0". */
#define SD_WRITE_B64	"c29tZSAxNTAwMDAgMTAwMDAwMAA="

static size_t b64_decode(const char *in, unsigned char *out, size_t size)
{
	static const char a[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t acc = 0;
	size_t n = 0;
	int bits = 0;

	for (; *in && *in != '='; in++) {
		const char *p = strchr(a, *in);

		if (!p)
			break;
		acc = acc << 6 | (uint32_t)(p - a);
		bits += 6;
		if (bits >= 8 && n < size) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	return n;
}

/* sd-event's side: $MEMORY_PRESSURE_WATCH, a socket: connect, write. */
static int sd_watch_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *watch = getenv("MEMORY_PRESSURE_WATCH");
	const char *wr = getenv("MEMORY_PRESSURE_WRITE");
	unsigned char data[64];
	struct stat st;
	size_t n;
	int fd;

	if (!watch || stat(watch, &st) < 0 || !S_ISSOCK(st.st_mode) ||
	    strlen(watch) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, watch);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	n = wr ? b64_decode(wr, data, sizeof(data)) : 0;
	if (n && write(fd, data, n) != (ssize_t)n)
		return -1;
	return fd;
}

static int holder_rep = -1;

static void holder_usr1(int sig)
{
	(void)sig;
	if (write(holder_rep, "S", 1) < 0)
		_exit(20);
}

static int holder_main(void *arg)
{
	struct holder *h = arg;
	struct sigaction sa = { .sa_handler = holder_usr1, .sa_flags = SA_RESTART };
	uint64_t target, cur;
	char *chunk;
	int sfd = -1;

	holder_rep = h->rep;
	prctl(PR_SET_NAME, h->comm);
	if (h->watch) {
		setenv("MEMORY_PRESSURE_WATCH", h->watch, 1);
		setenv("MEMORY_PRESSURE_WRITE", SD_WRITE_B64, 1);
		sfd = sd_watch_connect();
		if (sfd < 0)
			return 24;
	}
	if (sigaction(SIGUSR1, &sa, NULL) || write(h->rep, "R", 1) != 1)
		return 21;
	for (;;) {
		struct pollfd p[2] = { { .fd = h->cmd, .events = POLLIN },
				       { .fd = sfd, .events = POLLIN } };

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 25;
		}
		if (p[1].revents) {
			char buf[64];
			ssize_t n = read(sfd, buf, sizeof(buf));

			if (n > 0) {
				if (write(h->rep, "P", 1) != 1)
					return 26;
			} else if (n == 0 || errno != EAGAIN) {
				if (write(h->rep, "E", 1) != 1)
					return 26;
				close(sfd);
				sfd = -1;
			}
		}
		if (!p[0].revents)
			continue;
		if (read(h->cmd, &target, sizeof(target)) != sizeof(target))
			break;
		while (!cg_read_u64(h->cg, "memory.current", &cur) && cur < target) {
			chunk = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (chunk == MAP_FAILED)
				return 22;
			memset(chunk, 0x5a, CHUNK);
		}
		if (write(h->rep, "G", 1) != 1)
			return 23;
	}
	return 0;
}

/* Starts @h; *cmd takes growth targets, *rep reads its reports. */
static pid_t holder_start(struct holder *h, int *cmd, int *rep)
{
	int c[2], r[2];
	pid_t pid;

	if (pipe2(c, O_CLOEXEC) < 0 || pipe2(r, O_CLOEXEC) < 0)
		return -1;
	h->cmd = c[0];
	h->rep = r[1];
	pid = cg_run_nowait(h->cg, holder_main, h);
	close(c[0]);
	close(r[1]);
	fcntl(r[0], F_SETFL, O_NONBLOCK);
	*cmd = c[1];
	*rep = r[0];
	return pid;
}

/* Grow the holder's cgroup to @pct % of TGT_MAX and wait for its level. */
static bool holder_grow(int cmd, int rep, char *acc, size_t size, unsigned int pct,
			const char *cg, int level)
{
	uint64_t target = TGT_MAX / 100 * pct, end = mp_now_ms() + MP_WAIT_MS;
	size_t g = 0;

	for (const char *p = acc; (p = strchr(p, 'G')); p++)
		g++;
	if (write(cmd, &target, sizeof(target)) != sizeof(target))
		return false;
	for (;;) {
		size_t now = 0;

		drain(rep, acc, size);
		for (const char *p = acc; (p = strchr(p, 'G')); p++)
			now++;
		if (now > g && mp_cg_level(cg) == level)
			return true;
		if (mp_now_ms() > end)
			return false;
		poll(NULL, 0, 50);
	}
}

#define TARGETS_CONF \
	BASE_CONF \
	"[cgroup /mpd_tgt]\n" \
	"reclaim = no\n" \
	"clamp = no\n" \
	"[signal usr1]\n" \
	"comm = mpd_sigt\n" \
	"signal = SIGUSR1\n" \
	"level = medium\n" \
	"[hook note]\n" \
	"command = /bin/sh " HOOK_SH "\n" \
	"cgroup = /mpd_tgt\n" \
	"level = critical\n" \
	"[hook stuck]\n" \
	"command = /bin/sleep 600\n" \
	"cgroup = /mpd_tgt\n" \
	"level = critical\n" \
	"timeout_ms = 500\n"

/*
 * A [signal] target by comm gets its signal when its cgroup reaches the
 * section's level, not before, and another process of the cgroup does
 * not; a [hook] runs at its level, not before, with the environment the
 * spec names.
 */
static bool status_query(char *out, size_t size);

/*
 * Whether the status line at @line has @key, with the value @value unless
 * that is NULL.
 */
static bool key_is(const char *line, const char *key, const char *value)
{
	const char *eol = strchrnul(line, '\n'), *p;
	char k[64];
	size_t n = (size_t)snprintf(k, sizeof(k), " %s=", key);

	p = strstr(line, k);
	if (!p || p > eol)
		return false;
	p += n;
	return !value || (!strncmp(p, value, strlen(value)) &&
			  (p[strlen(value)] == ' ' || p + strlen(value) == eol));
}

TEST_F_TIMEOUT(daemon, signal_and_hook_targets, 120)
{
	static char tacc[256], oacc[256], hook[1024], st[65536];
	struct holder t = { .comm = "mpd_sigt", .cg = "mpd_tgt" };
	struct holder o = { .comm = "mpd_other", .cg = "mpd_tgt" };
	int tcmd, trep, ocmd, orep, fd, nsent;
	char cgpath[64], sent[16], *p;
	FILE *cli;
	uint64_t want;
	ssize_t n;

	tacc[0] = oacc[0] = hook[0] = '\0';
	unlink(HOOK_OUT);
	/* What it prints on stdout and stderr must not reach the daemon's log. */
	ASSERT_EQ(0, mp_write_file(HOOK_SH,
				"echo \"level=$MEMPRESSURE_LEVEL cgroup=$MEMPRESSURE_CGROUP reason=$MEMPRESSURE_REASON want=$MEMPRESSURE_WANT_BYTES end\" >> " HOOK_OUT "\n"
				"echo hook says hello\n"
				"echo hook complains >&2\n"));
	ASSERT_EQ(0, make_cg(_metadata, self, "mpd_tgt", TGT_MAX));
	self->daemon = daemon_start(TARGETS_CONF, false);
	ASSERT_GT(self->daemon, 0);
	self->kids[self->nr_kids++] = holder_start(&t, &tcmd, &trep);
	self->kids[self->nr_kids++] = holder_start(&o, &ocmd, &orep);
	ASSERT_TRUE(wait_pipe(trep, tacc, sizeof(tacc), "R", MP_WAIT_MS));
	ASSERT_TRUE(wait_pipe(orep, oacc, sizeof(oacc), "R", MP_WAIT_MS));

	/* low: neither the signal (medium) nor the hook (critical). */
	ASSERT_TRUE(holder_grow(tcmd, trep, tacc, sizeof(tacc), 80, "mpd_tgt",
				MEMPRESSURE_LEVEL_LOW)) TH_LOG("%s", tacc);
	ASSERT_EQ(0, mp_wait_more_samples(3, MP_WAIT_MS));
	poll(NULL, 0, 300);
	drain(trep, tacc, sizeof(tacc));
	ASSERT_EQ(NULL, strchr(tacc, 'S'));
	ASSERT_NE(0, access(HOOK_OUT, F_OK));

	/* medium: the signal, to mpd_sigt only; still no hook. */
	ASSERT_TRUE(holder_grow(tcmd, trep, tacc, sizeof(tacc), 90, "mpd_tgt",
				MEMPRESSURE_LEVEL_MEDIUM)) TH_LOG("%s", tacc);
	ASSERT_TRUE(wait_pipe(trep, tacc, sizeof(tacc), "S", MP_WAIT_MS))
		TH_LOG("%s", daemon_log());
	ASSERT_TRUE(wait_log("signal usr1: sent signal 10 to mpd_sigt", MP_WAIT_MS));
	/*
	 * The log says why: the level, or the soft limit, whichever event
	 * the daemon read first (both come at this crossing).
	 */
	ASSERT_TRUE(wait_log_line("signal usr1: sent signal 10 to mpd_sigt",
				  "(level medium, reason ", MP_WAIT_MS)) TH_LOG("%s", daemon_log());
	ASSERT_NE(0, access(HOOK_OUT, F_OK)) TH_LOG("%s", daemon_log());

	/* critical: the hook, with its environment. */
	ASSERT_TRUE(holder_grow(tcmd, trep, tacc, sizeof(tacc), 97, "mpd_tgt",
				MEMPRESSURE_LEVEL_CRITICAL)) TH_LOG("%s", tacc);
	ASSERT_TRUE(wait_log("hook note (pid", MP_WAIT_MS)) TH_LOG("%s", daemon_log());
	ASSERT_TRUE(wait_log(" exited with 0", MP_WAIT_MS)) TH_LOG("%s", daemon_log());
	ASSERT_TRUE(wait_log_line("hook note: started ", "(level critical, reason level)", 0))
		TH_LOG("%s", daemon_log());
	fd = open(HOOK_OUT, O_RDONLY);
	ASSERT_LE(0, fd);
	n = read(fd, hook, sizeof(hook) - 1);
	close(fd);
	ASSERT_LT(0, n);
	hook[n] = '\0';
	mp_cg_path("mpd_tgt", cgpath, sizeof(cgpath));
	ksft_print_msg("hook ran with: %s", hook);
	ASSERT_EQ(0, strncmp(hook, "level=critical cgroup=", strlen("level=critical cgroup=")));
	ASSERT_EQ(0, strncmp(hook + strlen("level=critical cgroup="), cgpath, strlen(cgpath)));
	ASSERT_NE(NULL, strstr(hook, " reason=level want="));
	p = strstr(hook, " want=") + strlen(" want=");
	want = strtoull(p, NULL, 10);
	/* Over the soft limit (85 % less the 5 % margin) at 97 %. */
	ASSERT_LT(0, want);
	ASSERT_GT(TGT_MAX / 4, want);
	ASSERT_NE(NULL, strstr(hook, " end\n"));

	/* A hook that does not end is killed after its timeout_ms. */
	ASSERT_TRUE(wait_log("hook stuck (pid", MP_WAIT_MS)) TH_LOG("%s", daemon_log());
	ASSERT_TRUE(wait_log("still running after its timeout: killing it", MP_WAIT_MS))
		TH_LOG("%s", daemon_log());
	ASSERT_TRUE(wait_log("killed by signal 9", MP_WAIT_MS)) TH_LOG("%s", daemon_log());

	/*
	 * A deadline after each callback its effect is measured, and counted
	 * under its section for mempressure apps: asked once, no reply
	 * expected, so no timeout either.
	 */
	ASSERT_TRUE(wait_log("signal:usr1: measured: mpd_sigt (pid", MP_WAIT_MS))
		TH_LOG("%s", daemon_log());
	ASSERT_TRUE(wait_log("hook:note: measured: ", MP_WAIT_MS)) TH_LOG("%s", daemon_log());
	ASSERT_TRUE(status_query(st, sizeof(st)));
	/* As many requests as signals sent (at medium, and again above). */
	nsent = 0;
	for (const char *q = daemon_log(); (q = strstr(q, "signal usr1: sent signal 10")); q++)
		nsent++;
	snprintf(sent, sizeof(sent), "%d", nsent);
	p = strstr(st, "msg=status app=signal:usr1 ");
	ASSERT_NE(NULL, p) TH_LOG("%s", st);
	EXPECT_TRUE(key_is(p, "requests", sent)) TH_LOG("%d sent: %.300s", nsent, p);
	EXPECT_TRUE(key_is(p, "replies", "0")) TH_LOG("%.300s", p);
	EXPECT_TRUE(key_is(p, "timeouts", "0")) TH_LOG("%.300s", p);
	EXPECT_TRUE(key_is(p, "measured_bytes", NULL)) TH_LOG("%.300s", p);
	p = strstr(st, "msg=status app=hook:note ");
	ASSERT_NE(NULL, p) TH_LOG("%s", st);
	EXPECT_TRUE(key_is(p, "requests", "1")) TH_LOG("%.300s", p);
	EXPECT_TRUE(key_is(p, "cgroup_bytes_measured", NULL)) TH_LOG("%.300s", p);

	/* mempressure status says what was done lately, from the same query. */
	cli = popen("/mp/bin/mempressure -S " SOCK_PATH " status", "r");
	ASSERT_NE(NULL, cli);
	n = (ssize_t)fread(st, 1, sizeof(st) - 1, cli);
	pclose(cli);
	ASSERT_LT(0, n);
	st[n] = '\0';
	EXPECT_NE(NULL, strstr(st, "Done lately")) TH_LOG("%s", st);
	EXPECT_NE(NULL, strstr(st, "signal usr1: sent signal 10 to mpd_sigt")) TH_LOG("%s", st);
	EXPECT_NE(NULL, strstr(st, "hook note: started ")) TH_LOG("%s", st);

	/* The other comm in the cgroup was never signalled. */
	drain(orep, oacc, sizeof(oacc));
	ASSERT_EQ(NULL, strchr(oacc, 'S'));
	ASSERT_EQ(NULL, strstr(daemon_log(), "to mpd_other"));
	/* Every line of the log has its priority; the hook's output is not there. */
	ASSERT_EQ(NULL, unprefixed_line(daemon_log())) TH_LOG("%s", daemon_log());
	ASSERT_EQ(NULL, strstr(daemon_log(), "hook says hello"));
	ASSERT_EQ(NULL, strstr(daemon_log(), "hook complains"));
	close(tcmd);
	close(ocmd);
	close(trep);
	close(orep);
	unlink(HOOK_SH);
	unlink(HOOK_OUT);
}

/* --- clients that misbehave --- */

/*
 * Sends @req on a new connection and collects the replies in @out, one a
 * line, until one starts with @until (1), the daemon closes (0) or the
 * wait ends (0); -1 if it could not ask.
 */
static int ask(const char *req, char *out, size_t size, const char *until)
{
	uint64_t end = mp_now_ms() + MP_WAIT_MS;
	size_t len = 0;
	int fd = mp_daemon_connect(SOCK_PATH), r = 0;

	out[0] = '\0';
	if (fd < 0 || send(fd, req, strlen(req), 0) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while (!r && mp_now_ms() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char buf[MEMPRESSURED_MSG_MAX + 1];
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			break;
		buf[n] = '\0';
		len += (size_t)snprintf(out + len, size - len, "%s\n", buf);
		if (len >= size)
			break;
		r = !strncmp(buf, until, strlen(until));
	}
	close(fd);
	return r;
}

/* A root client's msg=status: the replies, one a line, up to msg=end. */
static bool status_query(char *out, size_t size)
{
	return ask("msg=status", out, size, "msg=end") == 1;
}

/* Says hello for every cgroup, asks for status @n times, never reads. */
static int deaf_main(void *arg)
{
	struct mp_msg_out o;
	int fd = mp_daemon_connect(SOCK_PATH), n = *(int *)arg;

	if (fd < 0)
		return 30;
	mp_msg_begin(&o, MEMPRESSURED_MSG_HELLO);
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_VERSION, MEMPRESSURED_PROTOCOL_VERSION);
	mp_msg_add_str(&o, MEMPRESSURED_KEY_NAME, "deaf");
	mp_msg_add_str(&o, MEMPRESSURED_KEY_SCOPE, MEMPRESSURED_SCOPE_ALL);
	if (send(fd, o.buf, (size_t)mp_msg_end(&o), 0) < 0)
		return 31;
	for (int i = 0; i < n; i++)
		if (send(fd, "msg=status", 10, 0) < 0)
			return 32;
	for (;;)
		pause();
	return 0;
}

/*
 * A subscriber that never reads its socket while the daemon has plenty to
 * tell it (its status replies, every cgroup's level changes) loses those
 * messages; the daemon goes on serving the others: a trim arrives.  Its
 * 2,000 status requests take over the harness's default 30 s on the
 * debug kernel.
 */
TEST_F_TIMEOUT(daemon, deaf_client_does_not_stall, 120)
{
	static char acc[65536], st[65536];
	struct sub a = { .name = "grower", .cg = "mpd_ok", .target = 60 * MiB,
			 .rate = 16 * MiB, .respond = true, .run_ms = 20000 };
	int nr_status = 2000, fa;
	uint64_t t0, t_trim;
	pid_t deaf;
	char needle[64], *p;

	acc[0] = '\0';
	ASSERT_EQ(0, make_cg(_metadata, self, "mpd_ok", 64 * MiB));
	self->daemon = daemon_start(BASE_CONF, false);
	ASSERT_GT(self->daemon, 0);
	deaf = cg_run_nowait(NULL, deaf_main, &nr_status);
	ASSERT_GT(deaf, 0);
	self->kids[self->nr_kids++] = deaf;
	snprintf(needle, sizeof(needle), "deaf (pid %d) is not reading", deaf);
	ASSERT_TRUE(wait_log(needle, MP_WAIT_MS)) TH_LOG("%s", daemon_log());

	t0 = mp_now_ms();
	self->kids[self->nr_kids++] = sub_start(&a, &fa);
	ASSERT_TRUE(wait_pipe(fa, acc, sizeof(acc), "msg=trim ", MP_WAIT_MS))
		TH_LOG("grower got: %s\nlog: %s", acc, daemon_log());
	t_trim = mp_now_ms();
	ASSERT_TRUE(wait_log("grower says it freed", MP_WAIT_MS)) TH_LOG("%s", daemon_log());

	/* Still connected, counted as dropping; status still answers. */
	ASSERT_TRUE(status_query(st, sizeof(st)));
	snprintf(needle, sizeof(needle), "subscriber=deaf pid=%d", deaf);
	p = strstr(st, needle);
	ASSERT_NE(NULL, p) TH_LOG("%s", st);
	p = strstr(p, "dropped=");
	ASSERT_NE(NULL, p);
	ksft_print_msg("deaf client: %s messages dropped; grower's trim %llu ms after it started\n",
		       strtok(p + 8, " \n"), (unsigned long long)(t_trim - t0));
	ASSERT_LT(100, strtoull(p + 8, NULL, 10));
	close(fa);
}

/*
 * A subscriber killed (SIGKILL) after it was sent a trim it never
 * answered: its client is gone from the daemon's status, the trim ends
 * as a timeout, and the daemon serves on.
 */
TEST_F(daemon, killed_client_is_cleaned_up)
{
	static char acc[65536], st[65536], acc2[4096];
	struct sub s = { .name = "doomed", .cg = "mpd_kill", .target = 60 * MiB,
			 .rate = 16 * MiB, .respond = false, .run_ms = 30000 };
	struct sub s2 = { .name = "after", .cg = "mpd_kill", .run_ms = 5000 };
	char needle[96], gone[96];
	bool listed = true;
	uint64_t end;
	int fd, fd2, status;
	pid_t pid;

	acc[0] = acc2[0] = '\0';
	ASSERT_EQ(0, make_cg(_metadata, self, "mpd_kill", 64 * MiB));
	self->daemon = daemon_start(BASE_CONF, false);
	ASSERT_GT(self->daemon, 0);
	pid = sub_start(&s, &fd);
	ASSERT_GT(pid, 0);
	self->kids[self->nr_kids++] = pid;
	ASSERT_TRUE(wait_pipe(fd, acc, sizeof(acc), "msg=trim ", MP_WAIT_MS))
		TH_LOG("%s", daemon_log());
	snprintf(needle, sizeof(needle), "subscriber=doomed pid=%d ", pid);
	ASSERT_TRUE(status_query(st, sizeof(st)));
	ASSERT_NE(NULL, strstr(st, needle)) TH_LOG("%s", st);

	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(0, mp_wait_child(pid, &status, MP_WAIT_MS));
	self->nr_kids--;
	end = mp_now_ms() + MP_WAIT_MS;
	while (listed && mp_now_ms() < end) {
		ASSERT_TRUE(status_query(st, sizeof(st)));
		listed = strstr(st, needle) != NULL;
		if (listed)
			poll(NULL, 0, 100);
	}
	ASSERT_FALSE(listed) TH_LOG("%s", st);
	snprintf(gone, sizeof(gone), "client doomed (pid %d) left", pid);
	snprintf(needle, sizeof(needle), "dropping client doomed (pid %d)", pid);
	ASSERT_TRUE(strstr(daemon_log(), gone) || strstr(daemon_log(), needle))
		TH_LOG("%s", daemon_log());
	/* Its trim ends as a timeout, and the daemon is still there. */
	snprintf(needle, sizeof(needle), "doomed (pid %d) timed out", pid);
	ASSERT_TRUE(wait_log(needle, MP_WAIT_MS)) TH_LOG("%s", daemon_log());
	ASSERT_EQ(0, kill(self->daemon, 0));
	self->kids[self->nr_kids++] = sub_start(&s2, &fd2);
	ASSERT_TRUE(wait_pipe(fd2, acc2, sizeof(acc2), "msg=welcome", MP_WAIT_MS));
	close(fd);
	close(fd2);
}

/* --- systemd's memory-pressure protocol --- */

#define SD_SOCK		"/tmp/mpd-test-mp.sock"
#define SD_CONF \
	BASE_CONF \
	"systemd_socket = " SD_SOCK "\n" \
	"systemd_level = medium\n" \
	"[cgroup /mpd_sd]\n" \
	"reclaim = no\n" \
	"clamp = no\n"

/*
 * A process that watches as sd-event does (stream socket, the
 * $MEMORY_PRESSURE_WRITE bytes written, readability is the event) is not
 * woken while its cgroup is at low, and is once the cgroup reaches
 * systemd_level (medium); one in another, idle cgroup never is.  Both are
 * counted in the status; one that is killed is dropped.
 */
TEST_F_TIMEOUT(daemon, systemd_memory_pressure_protocol, 120)
{
	static char sacc[256], iacc[256], st[65536];
	struct holder h = { .comm = "mpd_sdev", .cg = "mpd_sd", .watch = SD_SOCK };
	struct holder i = { .comm = "mpd_sdidle", .cg = "mpd_sdi", .watch = SD_SOCK };
	int scmd, srep, icmd, irep, status;
	char needle[96];
	const char *p;
	struct stat sb;
	bool one = false;
	uint64_t end;
	pid_t ipid;

	sacc[0] = iacc[0] = '\0';
	ASSERT_EQ(0, make_cg(_metadata, self, "mpd_sd", TGT_MAX));
	ASSERT_EQ(0, make_cg(_metadata, self, "mpd_sdi", TGT_MAX));
	self->daemon = daemon_start(SD_CONF, false);
	ASSERT_GT(self->daemon, 0);
	ASSERT_EQ(0, stat(SD_SOCK, &sb));
	ASSERT_TRUE(S_ISSOCK(sb.st_mode));
	ASSERT_EQ(0666, sb.st_mode & 0777);

	self->kids[self->nr_kids++] = holder_start(&h, &scmd, &srep);
	ipid = holder_start(&i, &icmd, &irep);
	self->kids[self->nr_kids++] = ipid;
	ASSERT_TRUE(wait_pipe(srep, sacc, sizeof(sacc), "R", MP_WAIT_MS)) TH_LOG("%s", sacc);
	ASSERT_TRUE(wait_pipe(irep, iacc, sizeof(iacc), "R", MP_WAIT_MS)) TH_LOG("%s", iacc);
	snprintf(needle, sizeof(needle), "systemd client: pid %d, cgroup ", self->kids[0]);
	ASSERT_TRUE(wait_log(needle, MP_WAIT_MS)) TH_LOG("%s", daemon_log());
	snprintf(needle, sizeof(needle), "systemd client: pid %d, cgroup ", ipid);
	ASSERT_TRUE(wait_log(needle, MP_WAIT_MS)) TH_LOG("%s", daemon_log());
	ASSERT_TRUE(status_query(st, sizeof(st)));
	ASSERT_NE(NULL, strstr(st, " systemd_clients=2")) TH_LOG("%s", st);

	/* low: not readable, after a few samples. */
	ASSERT_TRUE(holder_grow(scmd, srep, sacc, sizeof(sacc), 80, "mpd_sd",
				MEMPRESSURE_LEVEL_LOW)) TH_LOG("%s", sacc);
	ASSERT_EQ(0, mp_wait_more_samples(3, MP_WAIT_MS));
	poll(NULL, 0, 300);
	drain(srep, sacc, sizeof(sacc));
	ASSERT_EQ(NULL, strchr(sacc, 'P')) TH_LOG("%s", daemon_log());
	ASSERT_EQ(NULL, strchr(sacc, 'E'));

	/* medium: readable, the event sd-event would dispatch. */
	ASSERT_TRUE(holder_grow(scmd, srep, sacc, sizeof(sacc), 90, "mpd_sd",
				MEMPRESSURE_LEVEL_MEDIUM)) TH_LOG("%s", sacc);
	ASSERT_TRUE(wait_pipe(srep, sacc, sizeof(sacc), "P", MP_WAIT_MS))
		TH_LOG("%s", daemon_log());
	snprintf(needle, sizeof(needle), "woke systemd client (pid %d)", self->kids[0]);
	ASSERT_TRUE(wait_log(needle, MP_WAIT_MS));
	ASSERT_EQ(NULL, strchr(sacc, 'E'));
	/* Its effect measured a deadline later, under its command's name. */
	snprintf(needle, sizeof(needle), "systemd:mpd_sdev: measured: mpd_sdev (pid %d) rss ",
		 self->kids[0]);
	ASSERT_TRUE(wait_log(needle, MP_WAIT_MS)) TH_LOG("%s", daemon_log());

	/* The idle cgroup's client was never woken, and is still connected. */
	drain(irep, iacc, sizeof(iacc));
	ASSERT_EQ(NULL, strchr(iacc, 'P')) TH_LOG("%s", daemon_log());
	ASSERT_EQ(NULL, strchr(iacc, 'E'));
	snprintf(needle, sizeof(needle), "woke systemd client (pid %d)", ipid);
	ASSERT_EQ(NULL, strstr(daemon_log(), needle));

	/* It dies: its connection is dropped. */
	ASSERT_EQ(0, kill(ipid, SIGKILL));
	ASSERT_EQ(0, mp_wait_child(ipid, &status, MP_WAIT_MS));
	self->nr_kids--;
	end = mp_now_ms() + MP_WAIT_MS;
	while (!one && mp_now_ms() < end) {
		ASSERT_TRUE(status_query(st, sizeof(st)));
		one = strstr(st, " systemd_clients=1") != NULL;
		if (!one)
			poll(NULL, 0, 100);
	}
	ASSERT_TRUE(one) TH_LOG("%s", st);
	p = strstr(st, "msg=status app=systemd:mpd_sdev ");
	ASSERT_NE(NULL, p) TH_LOG("%s", st);
	EXPECT_TRUE(key_is(p, "replies", "0")) TH_LOG("%.300s", p);
	EXPECT_TRUE(key_is(p, "timeouts", "0")) TH_LOG("%.300s", p);
	EXPECT_FALSE(key_is(p, "requests", "0")) TH_LOG("%.300s", p);
	close(scmd);
	close(srep);
	close(icmd);
	close(irep);
	/* SIGTERM: the systemd socket is removed too. */
	ASSERT_EQ(0, daemon_stop(self->daemon));
	self->daemon = 0;
	ASSERT_NE(0, access(SD_SOCK, F_OK));
}

/* --- leaks and the opt-in kill --- */

/* Fast leak suspicion, as signals.c sets it: 10 s window, 3/2 W old. */
#define LK_WINDOW_S	10
#define LK_RATE		(256 * KiB)
#define LK_MIN		(1 * MiB)
#define LK_GROW		(1 * MiB)	/* the leaker's rate, 4 x LK_RATE */
#define LK_LEAKER	(36 * MiB)	/* still growing, and flagged, well past 2 W */
#define LK_STEADY	(4 * MiB)
#define LK_MAX		(96 * MiB)	/* soft limit 85 %: 81.6 MiB */
#define LK_SOFT		(LK_MAX / 100 * 85)
#define LK_AGE_MS	(LK_WINDOW_S * 3000 / 2)

#define LEAK_CONF \
	BASE_CONF \
	"[cgroup /mpd_lkill]\n" \
	"reclaim = yes\n" \
	"clamp = yes\n" \
	"kill = yes\n" \
	"grace_ms = 300\n" \
	"[cgroup /mpd_lkeep]\n" \
	"reclaim = yes\n" \
	"clamp = yes\n" \
	"grace_ms = 300\n"

struct leak_cg {
	const char *cg;
	struct sub leaker, steady, pusher;
	pid_t lpid, spid, ppid;
	int lfd, sfd, pfd;
	char lacc[65536], sacc[65536], pacc[65536];
};

static void leak_cg_start(struct __test_metadata *_metadata, FIXTURE_DATA(daemon) *self,
			  struct leak_cg *c)
{
	c->lacc[0] = c->sacc[0] = c->pacc[0] = '\0';
	c->leaker = (struct sub){ .name = "leaker", .cg = c->cg, .target = LK_LEAKER,
				  .rate = LK_GROW, .respond = false, .run_ms = 90000 };
	/* Loads its data at once and holds it, answering no trim. */
	c->steady = (struct sub){ .name = "steady", .cg = c->cg, .target = LK_STEADY,
				  .rate = 1000 * MiB, .respond = false, .run_ms = 90000 };
	c->spid = sub_start(&c->steady, &c->sfd);
	ASSERT_GT(c->spid, 0);
	self->kids[self->nr_kids++] = c->spid;
	c->lpid = sub_start(&c->leaker, &c->lfd);
	ASSERT_GT(c->lpid, 0);
	self->kids[self->nr_kids++] = c->lpid;
}

/*
 * A young process that takes the cgroup 2 MiB over its soft limit at once;
 * with the leaker's remaining growth the cgroup stays under memory.max.
 */
static void leak_cg_push(struct __test_metadata *_metadata, FIXTURE_DATA(daemon) *self,
			 struct leak_cg *c)
{
	uint64_t cur = 0;

	ASSERT_EQ(0, cg_read_u64(c->cg, "memory.current", &cur));
	ASSERT_GT(LK_SOFT, cur) TH_LOG("%s already over: %llu", c->cg, (unsigned long long)cur);
	c->pusher = (struct sub){ .name = "pusher", .cg = c->cg,
				  .target = (LK_SOFT + 2 * MiB - cur + CHUNK - 1) / CHUNK * CHUNK,
				  .rate = 1000 * MiB, .respond = false, .run_ms = 90000 };
	c->ppid = sub_start(&c->pusher, &c->pfd);
	ASSERT_GT(c->ppid, 0);
	self->kids[self->nr_kids++] = c->ppid;
}

static bool alive(pid_t pid)
{
	int status;

	return waitpid(pid, &status, WNOHANG) == 0;
}

/*
 * Two cgroups alike, one with kill = yes, one with the default: in each a
 * subscriber that grows at 1 MiB/s and ignores its trims, and one that
 * loaded 4 MiB at start and holds it.  Once the module suspects the grower
 * (3/2 to 2 of the 10 s window) it alone gets a trim with reason=leak.  A young
 * process then takes each cgroup over its soft limit: the trims go
 * unanswered, reclaim and the clamp do not help, and in the kill = yes
 * cgroup the leaker dies of SIGKILL, the log saying whom and why, while the
 * steady one lives; in the other nothing is killed.
 */
TEST_F_TIMEOUT(daemon, leak_trims_and_opt_in_kill, 150)
{
	static struct leak_cg k = { .cg = "mpd_lkill" }, n = { .cg = "mpd_lkeep" };
	char needle[128];
	uint64_t oom = 0, t0;
	const char *log, *p;
	int status;

	ASSERT_EQ(0, mp_control_set(MEMPRESSURE_TUNABLE_LEAK_WINDOW, LK_WINDOW_S));
	ASSERT_EQ(0, mp_control_set(MEMPRESSURE_TUNABLE_LEAK_RATE, LK_RATE));
	ASSERT_EQ(0, mp_control_set(MEMPRESSURE_TUNABLE_LEAK_MIN_BYTES, LK_MIN));
	ASSERT_EQ(0, make_cg(_metadata, self, k.cg, LK_MAX));
	ASSERT_EQ(0, make_cg(_metadata, self, n.cg, LK_MAX));
	self->daemon = daemon_start(LEAK_CONF, false);
	ASSERT_GT(self->daemon, 0);
	t0 = mp_now_ms();
	leak_cg_start(_metadata, self, &k);
	leak_cg_start(_metadata, self, &n);

	/* (a) The leak trims: to the grower, with reason=leak. */
	ASSERT_TRUE(wait_pipe(k.lfd, k.lacc, sizeof(k.lacc), "reason=leak",
			      LK_AGE_MS + MP_WAIT_MS)) TH_LOG("%s\nlog: %s", k.lacc, daemon_log());
	ASSERT_TRUE(wait_pipe(n.lfd, n.lacc, sizeof(n.lacc), "reason=leak", MP_WAIT_MS))
		TH_LOG("%s\nlog: %s", n.lacc, daemon_log());
	ksft_print_msg("leak trims %llu ms after the leakers started\n",
		       (unsigned long long)(mp_now_ms() - t0));
	ASSERT_LE(LK_AGE_MS, mp_now_ms() - t0);
	ASSERT_NE(NULL, strstr(k.lacc, "cgroup=/mpd_lkill"));
	snprintf(needle, sizeof(needle), "pid=%d", k.lpid);
	ASSERT_NE(NULL, strstr(strstr(k.lacc, "reason=leak"), needle)) TH_LOG("%s", k.lacc);
	snprintf(needle, sizeof(needle), "(pid %d) suspected of leaking", k.lpid);
	ASSERT_NE(NULL, strstr(daemon_log(), needle));
	/* ... and none to the steady ones beside them. */
	drain(k.sfd, k.sacc, sizeof(k.sacc));
	drain(n.sfd, n.sacc, sizeof(n.sacc));
	ASSERT_EQ(NULL, strstr(k.sacc, "msg=trim")) TH_LOG("%s", k.sacc);
	ASSERT_EQ(NULL, strstr(n.sacc, "msg=trim")) TH_LOG("%s", n.sacc);
	snprintf(needle, sizeof(needle), "(pid %d) suspected of leaking", k.spid);
	ASSERT_EQ(NULL, strstr(daemon_log(), needle));

	/* (b) Over the soft limit, trims ignored: escalation up to the kill. */
	leak_cg_push(_metadata, self, &k);
	leak_cg_push(_metadata, self, &n);
	ASSERT_EQ(0, mp_wait_child(k.lpid, &status, MP_WAIT_MS)) TH_LOG("%s", daemon_log());
	self->kids[1] = 0;	/* k's leaker, reaped */
	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(SIGKILL, WTERMSIG(status));
	/* By the daemon, not the OOM killer. */
	ASSERT_EQ(0, cg_read_key_u64(k.cg, "memory.events", "oom_kill", &oom));
	ASSERT_EQ(0, oom);
	log = daemon_log();
	p = strstr(log, "mpd_lkill: killed leak suspect ");
	ASSERT_NE(NULL, p) TH_LOG("%s", log);
	snprintf(needle, sizeof(needle), "(pid %d, rss ", k.lpid);
	ASSERT_NE(NULL, strstr(p, needle)) TH_LOG("%s", p);
	ASSERT_NE(NULL, strstr(p, "bytes/s): still over its soft limit")) TH_LOG("%s", p);
	/* Its effect, a grace_ms later. */
	snprintf(needle, sizeof(needle), "(pid %d): memory.current ", k.lpid);
	ASSERT_TRUE(wait_log_line("ms after killing ", needle, MP_WAIT_MS))
		TH_LOG("%s", daemon_log());
	/* The steady process and the young one in that cgroup live. */
	ASSERT_TRUE(alive(k.spid));
	ASSERT_TRUE(alive(k.ppid));
	drain(k.sfd, k.sacc, sizeof(k.sacc));
	ASSERT_EQ(NULL, strstr(k.sacc, "reason=leak"));

	/* kill = no: its clamp came and went past the kill step; all live. */
	ASSERT_TRUE(wait_log_line("/mpd_lkeep: ", "clamped memory.high", MP_WAIT_MS))
		TH_LOG("%s", daemon_log());
	poll(NULL, 0, 3 * 300 + 500);
	ASSERT_TRUE(alive(n.lpid)) TH_LOG("%s", daemon_log());
	ASSERT_TRUE(alive(n.spid));
	ASSERT_TRUE(alive(n.ppid));
	ASSERT_EQ(NULL, strstr(daemon_log(), "mpd_lkeep: killed"));
	ASSERT_EQ(0, cg_read_key_u64(n.cg, "memory.events", "oom_kill", &oom));
	ASSERT_EQ(0, oom);
	drain(n.sfd, n.sacc, sizeof(n.sacc));
	ASSERT_EQ(NULL, strstr(n.sacc, "reason=leak"));
	/* kill's cgroup had the same escalation first. */
	ASSERT_TRUE(wait_log_line("/mpd_lkill: ", "clamped memory.high", 0));
	ASSERT_EQ(NULL, unprefixed_line(daemon_log())) TH_LOG("%s", daemon_log());
	close(k.lfd); close(k.sfd); close(k.pfd);
	close(n.lfd); close(n.sfd); close(n.pfd);
}

/* --- the module going away and coming back --- */

/*
 * The module unloaded under the daemon: its read fails with EIO, it says
 * the module is gone and retries; loaded again, it reads the new module's
 * events and a subscriber over its cgroup's soft limit gets its trim.
 */
TEST_F_TIMEOUT(daemon, module_unload_and_reload, 90)
{
	static char acc[65536];
	struct sub a = { .name = "after", .cg = "mpd_rl", .target = 60 * MiB,
			 .rate = 16 * MiB, .respond = true, .run_ms = 20000 };
	const char *log, *gone, *back;
	uint64_t end;
	int fa, r;

	acc[0] = '\0';
	self->daemon = daemon_start(BASE_CONF, false);
	ASSERT_GT(self->daemon, 0);
	end = mp_now_ms() + MP_WAIT_MS;
	while ((r = mp_unload()) && mp_now_ms() < end)
		poll(NULL, 0, 100);
	ASSERT_EQ(0, r);
	ASSERT_FALSE(mp_loaded());
	ASSERT_TRUE(wait_log("the module was unloaded", MP_WAIT_MS)) TH_LOG("%s", daemon_log());
	ASSERT_TRUE(wait_log("is mempressure.ko loaded? Retrying", MP_WAIT_MS))
		TH_LOG("%s", daemon_log());
	poll(NULL, 0, 500);
	ASSERT_EQ(0, kill(self->daemon, 0));
	ASSERT_EQ(0, mp_load(MP_TEST_PARAMS));
	end = mp_now_ms() + MP_WAIT_MS;
	do {
		log = daemon_log();
		gone = strstr(log, "the module was unloaded");
		back = gone ? strstr(gone, "reading the module's events") : NULL;
		if (!back)
			poll(NULL, 0, 100);
	} while (!back && mp_now_ms() < end);
	ASSERT_NE(NULL, back) TH_LOG("%s", log);

	ASSERT_EQ(0, make_cg(_metadata, self, "mpd_rl", 64 * MiB));
	self->kids[self->nr_kids++] = sub_start(&a, &fa);
	ASSERT_TRUE(wait_pipe(fa, acc, sizeof(acc), "msg=trim ", MP_WAIT_MS))
		TH_LOG("got: %s\nlog: %s", acc, daemon_log());
	ASSERT_NE(NULL, strstr(acc, "cgroup=/mpd_rl"));
	ASSERT_TRUE(wait_log("after says it freed", MP_WAIT_MS)) TH_LOG("%s", daemon_log());
	close(fa);
}

#define NOBODY	65534

/*
 * What a process that is not root may ask: to subscribe, for its own
 * process and cgroup, and nothing more.  As nobody, a hello with
 * scope=all and a status request are each answered with
 * "error reason=permission" and the connection closed; a plain hello is
 * welcomed, with the cgroup the daemon found for it, not one it named.
 */
TEST_F(daemon, unprivileged_clients_get_their_own_only)
{
	static char scope[4096], status[4096], hello[4096];
	int p[2], st;
	pid_t pid;

	ASSERT_EQ(0, make_cg(_metadata, self, "mpd_nobody", 64 * MiB));
	self->daemon = daemon_start(BASE_CONF, false);
	ASSERT_GT(self->daemon, 0);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	pid = mp_fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(p[0]);
		if (cg_enter("mpd_nobody", 0) || setgroups(0, NULL) ||
		    setresgid(NOBODY, NOBODY, NOBODY) || setresuid(NOBODY, NOBODY, NOBODY))
			_exit(10);
		if (ask("msg=hello version=1 name=nosy scope=all", scope, sizeof(scope),
			"msg=welcome") < 0 ||
		    ask("msg=status", status, sizeof(status), "msg=end") < 0 ||
		    ask("msg=hello version=1 name=plain", hello, sizeof(hello), "msg=welcome") < 0)
			_exit(11);
		dprintf(p[1], "%s\x01%s\x01%s", scope, status, hello);
		_exit(0);
	}
	close(p[1]);
	ASSERT_EQ(0, mp_wait_child(pid, &st, MP_WAIT_MS));
	ASSERT_TRUE(WIFEXITED(st));
	ASSERT_EQ(0, WEXITSTATUS(st));
	{
		static char all[3 * 4096 + 8];
		ssize_t n = read(p[0], all, sizeof(all) - 1);
		char *a, *b, *c;

		ASSERT_GT(n, 0);
		all[n] = '\0';
		a = all;
		b = strchr(a, '\x01');
		ASSERT_NE(NULL, b);
		*b++ = '\0';
		c = strchr(b, '\x01');
		ASSERT_NE(NULL, c);
		*c++ = '\0';
		TH_LOG("scope=all: %s| status: %s| hello: %s", a, b, c);
		ASSERT_NE(NULL, strstr(a, "msg=error reason=permission"));
		ASSERT_EQ(NULL, strstr(a, "msg=welcome"));
		ASSERT_NE(NULL, strstr(b, "msg=error reason=permission"));
		ASSERT_EQ(NULL, strstr(b, "msg=status "));
		ASSERT_NE(NULL, strstr(c, "msg=welcome"));
		ASSERT_NE(NULL, strstr(c, "cgroup=/mpd_nobody "));
	}
	close(p[0]);
}

TEST_HARNESS_MAIN
