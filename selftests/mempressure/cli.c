// SPDX-License-Identifier: GPL-2.0
/*
 * The operator's CLI, /mp/bin/mempressure, against the real module:
 *
 * - without the module: exit 3 and a message saying it is not loaded;
 * - status: the module's keys as the status file has them, the daemon
 *   said to be down; --json parsed back;
 * - top --once: a growing process made here is listed first and marked as
 *   a leak suspect (leak_window set to 10 s through `mempressure set`);
 *   -o and -n; --json values against the processes table;
 * - cgroups: a cgroup made here, with a soft limit set through
 *   `mempressure soft set`, in text, raw (-o, -n) and JSON, against the
 *   cgroups table;
 * - soft and set refuse bad values (exit 2) and say what the kernel refused
 *   (exit 1), naming the problem;
 * - events: shows a soft_over event caused here; -f --json follows until
 *   SIGINT; -f says so when the module is unloaded under it (exit 3);
 * - apps: exit 4 without the daemon; with mempressured running (started as
 *   daemon.c starts it), its subscriber is listed.
 * - top on a pty: live, redrawn in place, keys; --once fits a pty of 80
 *   and of 60 columns (a cgroup name wider than that cut), though wider
 *   through a pipe;
 * - colour on a pty only, and not with NO_COLOR;
 * - thresholds: the tunables read back, in JSON as the control file has them.
 *
 * The CLI's stdout and stderr go to files, read once it has exited; waits
 * poll a condition with a timeout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mp_util.h"
#include "mp_proto.h"

#define CLI_BIN		"/mp/bin/mempressure"
#define SOCK_PATH	"/tmp/cli-mpd.sock"
#define NO_SOCK		"/tmp/cli-no-daemon.sock"
#define CONF_PATH	"/tmp/cli-mpd.conf"
#define LOG_PATH	"/tmp/cli-mpd.log"
#define OUT_PATH	"/tmp/cli.out"
#define ERR_PATH	"/tmp/cli.err"
#define OUT_MAX		(256 * 1024)
/* A cgroup name wider than a terminal: top must cut it. */
#define LONG_CG	"cli_width_a_cgroup_whose_name_is_wider_than_a_terminal_of_eighty_columns"

/* --- running the CLI --- */

struct res {
	int rc;			/* exit status, or -1 if it did not exit */
	char out[OUT_MAX];
	char err[8192];
};

static void read_into(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? 0 : read(fd, buf, size - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
}

/* Start the CLI with @argv (NULL-terminated, without argv[0]). */
static pid_t cli_start(const char *const *argv)
{
	const char *args[32] = { "mempressure" };
	pid_t pid;

	for (int i = 0; argv[i] && i < 30; i++)
		args[i + 1] = argv[i];
	pid = mp_fork();
	if (pid == 0) {
		int out = open(OUT_PATH, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int err = open(ERR_PATH, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(out, 1);
		dup2(err, 2);
		unsetenv("NO_COLOR");
		execv(CLI_BIN, (char *const *)args);
		_exit(127);
	}
	return pid;
}

static void cli_finish(pid_t pid, struct res *r)
{
	int status;

	r->rc = -1;
	if (pid > 0 && mp_wait_child(pid, &status, MP_WAIT_MS) == 0)
		r->rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	else if (pid > 0)
		mp_kill_child(pid);
	read_into(OUT_PATH, r->out, sizeof(r->out));
	read_into(ERR_PATH, r->err, sizeof(r->err));
}

static struct res R;

#define CLI(...) ({ \
	const char *const _argv[] = { __VA_ARGS__, NULL }; \
	cli_finish(cli_start(_argv), &R); \
	&R; \
})

/* Wait until process @pid has the events file open. */
static bool wait_events_open(pid_t pid, int timeout_ms)
{
	uint64_t end = mp_now_ms() + (uint64_t)timeout_ms;
	char dir[64], link[PATH_MAX], path[PATH_MAX + 80];

	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	do {
		for (int fd = 0; fd < 16; fd++) {
			ssize_t n;

			snprintf(path, sizeof(path), "%s/%d", dir, fd);
			n = readlink(path, link, sizeof(link) - 1);
			if (n > 0) {
				link[n] = '\0';
				if (!strcmp(link, MP_EVENTS_PATH))
					return true;
			}
		}
		poll(NULL, 0, 20);
	} while (mp_now_ms() < end);
	return false;
}

/* --- JSON, parsed back --- */

/* A recursive-descent check that @s is one JSON value (RFC 8259). */
static const char *json_value(const char *s);

static const char *json_ws(const char *s)
{
	while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
		s++;
	return s;
}

static const char *json_string(const char *s)
{
	if (*s++ != '"')
		return NULL;
	while (*s && *s != '"') {
		if ((unsigned char)*s < 0x20)
			return NULL;
		if (*s == '\\') {
			s++;
			if (*s == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", s[i]) || !s[i])
						return NULL;
				s += 4;
			} else if (!*s || !strchr("\"\\/bfnrt", *s)) {
				return NULL;
			}
		}
		s++;
	}
	return *s == '"' ? s + 1 : NULL;
}

static const char *json_number(const char *s)
{
	const char *start;

	if (*s == '-')
		s++;
	start = s;
	while (*s >= '0' && *s <= '9')
		s++;
	if (s == start || (*start == '0' && s - start > 1))
		return NULL;
	if (*s == '.') {
		start = ++s;
		while (*s >= '0' && *s <= '9')
			s++;
		if (s == start)
			return NULL;
	}
	return s;
}

static const char *json_list(const char *s, char close, bool object)
{
	s = json_ws(s + 1);
	if (*s == close)
		return s + 1;
	for (;;) {
		if (object) {
			s = json_string(json_ws(s));
			if (!s)
				return NULL;
			s = json_ws(s);
			if (*s++ != ':')
				return NULL;
		}
		s = json_value(s);
		if (!s)
			return NULL;
		s = json_ws(s);
		if (*s == close)
			return s + 1;
		if (*s++ != ',')
			return NULL;
	}
}

static const char *json_value(const char *s)
{
	s = json_ws(s);
	if (*s == '{')
		return json_list(s, '}', true);
	if (*s == '[')
		return json_list(s, ']', false);
	if (*s == '"')
		return json_string(s);
	if (!strncmp(s, "true", 4) || !strncmp(s, "null", 4))
		return s + 4;
	if (!strncmp(s, "false", 5))
		return s + 5;
	return json_number(s);
}

static bool json_valid(const char *s)
{
	s = json_value(s);
	return s && !*json_ws(s);
}

/* The object (row) around the first occurrence of @needle, copied to @obj. */
static bool json_object_with(const char *json, const char *needle, char *obj, size_t size)
{
	const char *hit = strstr(json, needle), *start, *end;

	if (!hit)
		return false;
	for (start = hit; start > json && *start != '{'; start--)
		;
	end = strchr(hit, '}');
	if (*start != '{' || !end || (size_t)(end - start + 2) > size)
		return false;
	memcpy(obj, start, (size_t)(end - start + 1));
	obj[end - start + 1] = '\0';
	return true;
}

/* A number member of a flat object; -ENOENT, -EINVAL (not a number). */
static int json_u64(const char *obj, const char *key, uint64_t *v)
{
	char k[96];
	const char *p;
	char *end;

	snprintf(k, sizeof(k), "\"%s\":", key);
	p = strstr(obj, k);
	if (!p)
		return -ENOENT;
	p += strlen(k);
	if (*p < '0' || *p > '9')
		return -EINVAL;
	*v = strtoull(p, &end, 10);
	return 0;
}

/* --- helpers --- */

/* The line of @text whose first field (after indentation) is @first. */
static const char *line_starting(const char *text, const char *first, char *line, size_t size)
{
	for (const char *p = text; *p; ) {
		const char *eol = strchrnul(p, '\n'), *q = p;
		size_t n = strlen(first);

		while (*q == ' ')
			q++;
		if (!strncmp(q, first, n) && (q[n] == ' ' || q[n] == '\t' || q + n == eol)) {
			snprintf(line, size, "%.*s", (int)(eol - p), p);
			return line;
		}
		p = *eol ? eol + 1 : eol;
	}
	return NULL;
}

/* The @n-th line (from 0) of @text. */
static const char *nth_line(const char *text, int n, char *line, size_t size)
{
	const char *p = text;

	while (n-- > 0 && p)
		p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL;
	if (!p || !*p)
		return NULL;
	snprintf(line, size, "%.*s", (int)(strchrnul(p, '\n') - p), p);
	return line;
}

static int count_lines(const char *text)
{
	int n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

/* Hold @bytes of anonymous memory until killed. */
static int hold(void *arg)
{
	size_t bytes = (size_t)(uintptr_t)arg;
	char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return 1;
	memset(p, 1, bytes);
	for (;;)
		pause();
}

#define GROW_STEP	(256 * KiB)
#define GROW_MAX	(160 * MiB)

/* Grow by GROW_STEP every 125 ms (2 MiB/s) up to GROW_MAX, then hold. */
static int grow(void *arg)
{
	char *p = mmap(NULL, GROW_MAX, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)arg;
	if (p == MAP_FAILED)
		return 1;
	for (size_t off = 0; off < GROW_MAX; off += GROW_STEP) {
		memset(p + off, 1, GROW_STEP);
		poll(NULL, 0, 125);
	}
	for (;;)
		pause();
}

/* --- without the module --- */

TEST(module_not_loaded)
{
	static const char *const verbs[][5] = {
		{ "status" }, { "top", "--once" }, { "cgroups" }, { "events", "-t", "1" },
		{ "soft", "set", "/x", "1M" }, { "set", "calm_ms", "100" }, { "thresholds" },
	};

	if (access(CLI_BIN, X_OK))
		SKIP(return, "no %s", CLI_BIN);
	ASSERT_EQ(0, mp_unload());
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		const char *const *v = verbs[i];

		cli_finish(cli_start(v), &R);
		EXPECT_EQ(3, R.rc) TH_LOG("%s: %s", v[0], R.err);
		EXPECT_NE(NULL, strstr(R.err, "module is not loaded")) TH_LOG("%s: %s", v[0], R.err);
	}
	/* status still reports, and says the module is not loaded, also in JSON. */
	CLI("--json", "-S", NO_SOCK, "status");
	EXPECT_EQ(3, R.rc);
	EXPECT_TRUE(json_valid(R.out)) TH_LOG("%s", R.out);
	EXPECT_NE(NULL, strstr(R.out, "\"loaded\":false"));
	EXPECT_NE(NULL, strstr(R.out, "\"state\":\"not running\""));
}

/* --- with the module --- */

FIXTURE(cli) {
	pid_t kids[4];
	int nr_kids;
	pid_t daemon;
};

FIXTURE_SETUP(cli)
{
	self->nr_kids = 0;
	self->daemon = 0;
	if (access(CLI_BIN, X_OK))
		SKIP(return, "no %s", CLI_BIN);
	ASSERT_EQ(0, mp_load("interval_ms=200"));
	ASSERT_EQ(0, mp_wait_samples(2, MP_WAIT_MS));
}

FIXTURE_TEARDOWN(cli)
{
	for (int i = 0; i < self->nr_kids; i++)
		mp_kill_child(self->kids[i]);
	if (self->daemon > 0) {
		kill(self->daemon, SIGTERM);
		if (mp_wait_child(self->daemon, NULL, MP_WAIT_MS))
			mp_kill_child(self->daemon);
	}
	cg_destroy("cli_cg");
	cg_destroy("cli_ev");
	cg_destroy(LONG_CG);
	mp_unload();
	unlink(SOCK_PATH);
}

TEST_F(cli, status)
{
	char line[512], obj[4096];
	uint64_t abi, v;

	ASSERT_EQ(0, mp_status_u64(MP_STATUS(ABI_VERSION), &abi));
	CLI("-S", NO_SOCK);		/* no verb: status */
	ASSERT_EQ(0, R.rc) TH_LOG("%s", R.err);
	ASSERT_NE(NULL, line_starting(R.out, "abi_version", line, sizeof(line)));
	EXPECT_EQ(abi, strtoull(strrchr(line, ' ') + 1, NULL, 10));
	ASSERT_NE(NULL, line_starting(R.out, "state", line, sizeof(line)));
	EXPECT_NE(NULL, strstr(line, "not running"));
	/* The system row, with its level. */
	EXPECT_NE(NULL, line_starting(R.out, "/", line, sizeof(line)));
	EXPECT_EQ(0, strcmp(R.err, ""));

	CLI("--json", "-S", NO_SOCK, "status");
	ASSERT_EQ(0, R.rc);
	ASSERT_TRUE(json_valid(R.out)) TH_LOG("%s", R.out);
	ASSERT_TRUE(json_object_with(R.out, "\"abi_version\":", obj, sizeof(obj)));
	ASSERT_EQ(0, json_u64(obj, "abi_version", &v));
	EXPECT_EQ(abi, v);
	EXPECT_NE(NULL, strstr(obj, "\"loaded\":true"));
	EXPECT_NE(NULL, strstr(obj, "\"version\":\"")) TH_LOG("%s", obj);
	ASSERT_EQ(0, json_u64(obj, MP_STATUS(SAMPLES), &v));
	ASSERT_EQ(0, mp_status_u64(MP_STATUS(SAMPLES), &abi));
	EXPECT_LE(v, abi);
	EXPECT_GE(v, 2);
	/* interval_sec: 200 ms in seconds. */
	EXPECT_NE(NULL, strstr(obj, "\"interval_sec\":0.200"));
	ASSERT_TRUE(json_object_with(R.out, "\"cgroup\":\"/\"", obj, sizeof(obj)));
	EXPECT_NE(NULL, strstr(obj, "\"level\":\"")) TH_LOG("%s", obj);
}

TEST_F(cli, top_once)
{
	char line[512], obj[4096], pidstr[16], mine[16];
	uint64_t leak = 0, rss_before, rss_after, v;
	uint64_t end = mp_now_ms() + 90000;
	pid_t g;

	/* Leak suspicion over 10 s: a process 24 s old that grew is flagged. */
	CLI("set", MP_TUNABLE(LEAK_WINDOW), "10");
	ASSERT_EQ(0, R.rc) TH_LOG("%s", R.err);
	EXPECT_NE(NULL, strstr(R.out, "set leak_window 10"));
	g = cg_run_nowait(NULL, grow, NULL);
	ASSERT_GT(g, 0);
	self->kids[self->nr_kids++] = g;
	while (mp_now_ms() < end && !leak) {
		mp_wait_more_samples(1, MP_WAIT_MS);
		mp_proc_cell_u64(g, MP_PCOL(LEAK), &leak);
	}
	ASSERT_EQ(1, leak);
	snprintf(pidstr, sizeof(pidstr), "%d", g);
	snprintf(mine, sizeof(mine), "%d", getpid());

	CLI("top", "--once");
	ASSERT_EQ(0, R.rc) TH_LOG("%s", R.err);
	/* Sorted by growth: the grower first, marked. */
	ASSERT_NE(NULL, nth_line(R.out, 0, line, sizeof(line)));
	/* PID is right-aligned: pids past 999 indent the heading. */
	EXPECT_EQ(0, strncmp(line + strspn(line, " "), "PID ", 4)) TH_LOG("%s", line);
	ASSERT_NE(NULL, nth_line(R.out, 1, line, sizeof(line)));
	while (line[0] == ' ')
		memmove(line, line + 1, strlen(line));
	EXPECT_EQ(0, strncmp(line, pidstr, strlen(pidstr))) TH_LOG("%s", R.out);
	EXPECT_NE(NULL, strstr(line, "LEAK")) TH_LOG("%s", line);
	EXPECT_NE(NULL, strstr(R.out, "processes listed.")) TH_LOG("%s", R.out);
	EXPECT_EQ(NULL, strchr(R.out, '\033'));

	/* Sort by RSS with -o and -n: two columns, no heading, no legend. */
	CLI("top", "--once", "-n", "-o", "pid,leak");
	ASSERT_EQ(0, R.rc) TH_LOG("%s", R.err);
	EXPECT_EQ(NULL, strstr(R.out, "PID"));
	EXPECT_EQ(NULL, strstr(R.out, "listed"));
	ASSERT_NE(NULL, nth_line(R.out, 0, line, sizeof(line)));
	EXPECT_NE(NULL, strstr(line, pidstr));
	EXPECT_NE(NULL, strstr(line, "LEAK"));

	/* JSON: values against the table, for a process that holds still (this one). */
	ASSERT_EQ(0, mp_proc_cell_u64(getpid(), MP_PCOL(RSS), &rss_before));
	CLI("--json", "top", "--once");
	ASSERT_EQ(0, mp_proc_cell_u64(getpid(), MP_PCOL(RSS), &rss_after));
	ASSERT_EQ(0, R.rc);
	ASSERT_TRUE(json_valid(R.out)) TH_LOG("%.2000s", R.out);
	EXPECT_EQ(0, strncmp(R.out, "{\"processes\":[{\"pid\":", 21));
	ASSERT_TRUE(json_object_with(R.out, "\"leak\":true", obj, sizeof(obj)));
	ASSERT_EQ(0, json_u64(obj, "pid", &v));
	EXPECT_EQ((uint64_t)g, v);
	snprintf(line, sizeof(line), "\"pid\":%s,", mine);
	ASSERT_TRUE(json_object_with(R.out, line, obj, sizeof(obj)));
	ASSERT_EQ(0, json_u64(obj, MP_PCOL(RSS), &v));
	EXPECT_TRUE(v == rss_before || v == rss_after) TH_LOG("%llu", (unsigned long long)v);
	EXPECT_NE(NULL, strstr(obj, "\"rss_history_bytes\":["));

	/* An unknown column is a usage error naming it. */
	CLI("top", "--once", "-o", "pid,bogus");
	EXPECT_EQ(2, R.rc);
	EXPECT_NE(NULL, strstr(R.err, "unknown column 'bogus'"));
}

TEST_F(cli, cgroups_and_soft_limits)
{
	char line[512], obj[4096], raw[128];
	uint64_t id, v, soft;
	pid_t p;

	ASSERT_EQ(0, cg_create_leaf("cli_cg"));
	ASSERT_EQ(0, cg_write("cli_cg", "memory.max", "67108864"));
	p = cg_run_nowait("cli_cg", hold, (void *)(uintptr_t)(8 * MiB));
	ASSERT_GT(p, 0);
	self->kids[self->nr_kids++] = p;
	ASSERT_EQ(0, cg_id("cli_cg", &id));

	CLI("soft", "set", "/cli_cg", "32M");
	ASSERT_EQ(0, R.rc) TH_LOG("%s", R.err);
	EXPECT_NE(NULL, strstr(R.out, "soft /cli_cg 33554432"));
	ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));
	ASSERT_EQ(0, mp_cg_cell_u64("cli_cg", MP_CGCOL(SOFT_LIMIT), &soft));
	ASSERT_EQ(32 * MiB, soft);

	/* Text: the tree, the cgroup indented under the root, its limits. */
	CLI("cgroups");
	ASSERT_EQ(0, R.rc) TH_LOG("%s", R.err);
	ASSERT_NE(NULL, line_starting(R.out, "cli_cg", line, sizeof(line))) TH_LOG("%s", R.out);
	EXPECT_EQ(0, strncmp(line, "  cli_cg ", 9)) TH_LOG("%s", line);
	EXPECT_NE(NULL, strstr(line, "32 MiB")) TH_LOG("%s", line);
	EXPECT_NE(NULL, strstr(line, "64 MiB")) TH_LOG("%s", line);
	EXPECT_NE(NULL, strstr(line, "[")) TH_LOG("%s", line);
	EXPECT_NE(NULL, strstr(R.out, "cgroups listed."));

	/* -o and -n: exactly the columns asked for. */
	CLI("cgroups", "-n", "-o", "cgroup,soft");
	ASSERT_EQ(0, R.rc);
	EXPECT_EQ(NULL, strstr(R.out, "CGROUP"));
	ASSERT_NE(NULL, line_starting(R.out, "cli_cg", line, sizeof(line)));
	EXPECT_EQ(0, strncmp(line, "  cli_cg  ", 10)) TH_LOG("%s", line);
	EXPECT_EQ(0, strcmp(line + strlen(line) - 8, "  32 MiB")) TH_LOG("%s", line);
	{
		char f[4][64];

		/* "cli_cg", "32", "MiB" and nothing else. */
		EXPECT_EQ(3, sscanf(line, "%63s %63s %63s %63s", f[0], f[1], f[2], f[3]));
	}

	/* Raw: tab-separated, bytes. */
	CLI("cgroups", "--raw", "-o", "cgroup,soft_limit_bytes,id");
	ASSERT_EQ(0, R.rc);
	ASSERT_NE(NULL, nth_line(R.out, 0, line, sizeof(line)));
	EXPECT_STREQ("cgroup\tsoft_limit_bytes\tid", line);
	snprintf(raw, sizeof(raw), "/cli_cg\t33554432\t%llu\n", (unsigned long long)id);
	EXPECT_NE(NULL, strstr(R.out, raw)) TH_LOG("%s", R.out);

	/* JSON: parsed back, against the table. */
	CLI("cgroups", "--json", "-o", "all");
	ASSERT_EQ(0, R.rc);
	ASSERT_TRUE(json_valid(R.out)) TH_LOG("%.2000s", R.out);
	ASSERT_TRUE(json_object_with(R.out, "\"cgroup\":\"/cli_cg\"", obj, sizeof(obj)));
	ASSERT_EQ(0, json_u64(obj, MP_CGCOL(ID), &v));
	EXPECT_EQ(id, v);
	ASSERT_EQ(0, json_u64(obj, MP_CGCOL(SOFT_LIMIT), &v));
	EXPECT_EQ(32 * MiB, v);
	ASSERT_EQ(0, json_u64(obj, MP_CGCOL(HARD_LIMIT), &v));
	EXPECT_EQ(64 * MiB, v);
	ASSERT_EQ(0, mp_cg_cell_u64("cli_cg", MP_CGCOL(MAX), &v));
	EXPECT_NE(NULL, strstr(obj, "\"max_bytes\":67108864"));
	EXPECT_NE(NULL, strstr(obj, "\"high_bytes\":\"max\"")) TH_LOG("%s", obj);
	ASSERT_EQ(0, json_u64(obj, MP_CGCOL(CURRENT), &v));
	EXPECT_TRUE(values_close(v, 8 * MiB, 50, 4 * MiB)) TH_LOG("%llu", (unsigned long long)v);
	EXPECT_NE(NULL, strstr(obj, "\"level\":\"")) TH_LOG("%s", obj);

	/* A percentage, then back to the default. */
	CLI("soft", "set", "/sys/fs/cgroup/cli_cg", "50%");
	ASSERT_EQ(0, R.rc) TH_LOG("%s", R.err);
	ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));
	ASSERT_EQ(0, mp_cg_cell_u64("cli_cg", MP_CGCOL(SOFT_LIMIT), &soft));
	EXPECT_EQ(32 * MiB, soft);
	CLI("soft", "clear", "/cli_cg");
	ASSERT_EQ(0, R.rc) TH_LOG("%s", R.err);
	ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));
	ASSERT_EQ(0, mp_cg_cell_u64("cli_cg", MP_CGCOL(SOFT_LIMIT), &soft));
	EXPECT_TRUE(values_close(soft, 64 * MiB * 85 / 100, 1, 4096)) TH_LOG("%llu", (unsigned long long)soft);

	/* A process's soft limit, and clearing it. */
	snprintf(raw, sizeof(raw), "pid:%d", p);
	CLI("soft", "set", raw, "4M");
	ASSERT_EQ(0, R.rc) TH_LOG("%s", R.err);
	ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));
	ASSERT_EQ(0, mp_proc_cell_u64(p, MP_PCOL(SOFT_LIMIT), &v));
	EXPECT_EQ(4 * MiB, v);
	CLI("soft", "clear", raw);
	ASSERT_EQ(0, R.rc) TH_LOG("%s", R.err);
}

/* Checked before writing: usage errors (2); refused by the kernel: its errno in words (1). */
static const struct {
	const char *argv[5];
	int tunable;		/* MEMPRESSURE_TUNABLE_* + 1 in argv[1], or 0 */
	int rc;
	const char *err;
} refusals[] = {
	{ { "soft", "set", "/cli_cg", "12x" }, 0, 2, "invalid soft limit '12x'" },
	{ { "soft", "set", "/cli_cg", "0" }, 0, 2, "invalid soft limit '0'" },
	{ { "soft", "set", "/cli_cg", "150%" }, 0, 2, "1% to 100%" },
	{ { "soft", "set", "cli_cg", "1M" }, 0, 2, "invalid cgroup" },
	{ { "soft", "set", "/a/../b", "1M" }, 0, 2, "invalid cgroup" },
	{ { "soft", "set", "pid:0", "1M" }, 0, 2, "invalid process" },
	{ { "soft", "set", "pid:1", "50%" }, 0, 2, "in bytes, not a percentage" },
	{ { "set", NULL, "20" }, MEMPRESSURE_TUNABLE_LEAK_WINDOW + 1, 2, "10, 60 or 300" },
	{ { "set", NULL, "1.234" }, MEMPRESSURE_TUNABLE_PSI_LOW + 1, 2, "up to two decimals" },
	{ { "set", NULL, "50" }, MEMPRESSURE_TUNABLE_INTERVAL_MS + 1, 2, "from 100 to 60000" },
	{ { "set", "no_such_tunable", "1" }, 0, 2, "unknown tunable" },
	{ { "soft", "set", "/cli_no_such_cgroup", "1M" }, 0, 1, "no such cgroup" },
	{ { "soft", "set", "pid:4000000", "1M" }, 0, 1, "no such process" },
};

TEST_F(cli, bad_values_are_refused_clearly)
{
	char before[8192], after[8192];

	ASSERT_GT(mp_control_read(before, sizeof(before)), 0);
	ASSERT_EQ(0, cg_create_leaf("cli_cg"));
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		const char *argv[5];

		memcpy(argv, refusals[i].argv, sizeof(argv));
		if (refusals[i].tunable)
			argv[1] = mp_ctl_name(refusals[i].tunable - 1);
		cli_finish(cli_start(argv), &R);
		EXPECT_EQ(refusals[i].rc, R.rc) TH_LOG("%s %s %s: %s", argv[0], argv[1], argv[2], R.err);
		EXPECT_NE(NULL, strstr(R.err, refusals[i].err)) TH_LOG("%s", R.err);
	}
	/* Nothing changed. */
	ASSERT_GT(mp_control_read(after, sizeof(after)), 0);
	EXPECT_STREQ(before, after);
	/* And a good PSI value is written with two decimals. */
	CLI("set", MP_TUNABLE(PSI_LOW), "2.5");
	EXPECT_EQ(0, R.rc) TH_LOG("%s", R.err);
	ASSERT_GT(mp_control_read(after, sizeof(after)), 0);
	EXPECT_NE(NULL, strstr(after, "set psi_low 2.50\n"));
}

/* Read what the CLI printed so far until @needle shows, within @timeout_ms. */
static bool wait_output(const char *needle, int timeout_ms)
{
	uint64_t end = mp_now_ms() + (uint64_t)timeout_ms;

	do {
		read_into(OUT_PATH, R.out, sizeof(R.out));
		if (strstr(R.out, needle))
			return true;
		poll(NULL, 0, 50);
	} while (mp_now_ms() < end);
	return false;
}

/*
 * Start the CLI with @argv (events -f), once it reads the events file write
 * @cmd to the control file, wait for @needle in its output, then SIGINT it:
 * it exits 0.  Its output is left in R.
 */
static void follow_until(struct __test_metadata *_metadata, const char *const *argv,
			 const char *cmd, const char *needle)
{
	pid_t c = cli_start(argv);

	EXPECT_TRUE(c > 0 && wait_events_open(c, MP_WAIT_MS));
	EXPECT_EQ(0, mp_control_cmd(cmd));
	EXPECT_TRUE(wait_output(needle, MP_WAIT_MS)) TH_LOG("no %s", needle);
	if (c > 0)
		kill(c, SIGINT);
	cli_finish(c, &R);
	EXPECT_EQ(0, R.rc) TH_LOG("%s", R.err);
}

TEST_F(cli, events)
{
	const char *const once[] = { "events", "-t", "60", NULL };
	const char *const follow[] = { "events", "-f", NULL };
	const char *const follow_json[] = { "--json", "events", "-f", NULL };
	char line[1024];
	pid_t c, p;

	ASSERT_EQ(0, cg_create_leaf("cli_ev"));
	p = cg_run_nowait("cli_ev", hold, (void *)(uintptr_t)(8 * MiB));
	ASSERT_GT(p, 0);
	self->kids[self->nr_kids++] = p;
	ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));

	/* -f: the soft_over this causes, human-readable, until SIGINT. */
	follow_until(_metadata, follow, "soft /cli_ev 1048576", "over soft limit 1.0 MiB");
	ASSERT_NE(NULL, nth_line(R.out, 0, line, sizeof(line)));
	EXPECT_EQ(0, strncmp(line, "TIME", 4)) TH_LOG("%s", line);
	ASSERT_NE(NULL, strstr(R.out, MP_KIND(SOFT_OVER))) TH_LOG("%s", R.out);
	line_starting(strstr(R.out, MP_KIND(SOFT_OVER)), MP_KIND(SOFT_OVER), line, sizeof(line));
	EXPECT_NE(NULL, strstr(line, "/cli_ev")) TH_LOG("%s", line);
	EXPECT_NE(NULL, strstr(line, "over soft limit 1.0 MiB")) TH_LOG("%s", line);

	/* --json -f: one object per line. */
	follow_until(_metadata, follow_json, "soft /cli_ev default", "\"kind\":\"soft_under\"");
	ASSERT_NE(NULL, strstr(R.out, "\"cgroup\":\"/cli_ev\"")) TH_LOG("%s", R.out);
	for (int i = 0; nth_line(R.out, i, line, sizeof(line)); i++) {
		EXPECT_TRUE(json_valid(line)) TH_LOG("%s", line);
		EXPECT_NE(NULL, strstr(line, "\"kind\":")) TH_LOG("%s", line);
	}

	/* Without -f: waits for the next event, prints what came, exits 0. */
	c = cli_start(once);
	ASSERT_GT(c, 0);
	ASSERT_TRUE(wait_events_open(c, MP_WAIT_MS));
	ASSERT_EQ(0, mp_control_cmd("soft /cli_ev 1048576"));
	cli_finish(c, &R);
	EXPECT_EQ(0, R.rc) TH_LOG("%s", R.err);
	EXPECT_GE(count_lines(R.out), 2) TH_LOG("%s", R.out);
	/* ... and says so when nothing comes within -t: exit 5. */
	ASSERT_EQ(0, mp_control_cmd("soft /cli_ev default"));
	ASSERT_EQ(0, mp_wait_more_samples(3, MP_WAIT_MS));
	CLI("events", "-t", "0.3", "-o", "kind,cgroup");
	EXPECT_TRUE(R.rc == 5 || (R.rc == 0 && !strstr(R.out, "/cli_ev")))
		TH_LOG("%d %s %s", R.rc, R.out, R.err);
	if (R.rc == 5)
		EXPECT_NE(NULL, strstr(R.err, "no event within")) TH_LOG("%s", R.err);
}

TEST_F(cli, events_follow_sees_the_module_go)
{
	const char *const follow[] = { "events", "-f", NULL };
	pid_t c = cli_start(follow);

	ASSERT_GT(c, 0);
	ASSERT_TRUE(wait_events_open(c, MP_WAIT_MS));
	ASSERT_EQ(0, mp_unload());
	cli_finish(c, &R);
	EXPECT_EQ(3, R.rc) TH_LOG("%s", R.err);
	EXPECT_NE(NULL, strstr(R.err, "unloaded")) TH_LOG("%s", R.err);
}

TEST_F(cli, apps)
{
	static const char *const verbose[] = { "-v", NULL };
	struct mp_msg_out o;
	char obj[2048];
	int fd;

	if (access(MP_DAEMON_BIN, X_OK))
		SKIP(return, "no %s", MP_DAEMON_BIN);
	/* No daemon: said so, exit 4, empty tables still valid JSON. */
	CLI("-S", SOCK_PATH, "apps");
	EXPECT_EQ(4, R.rc);
	EXPECT_NE(NULL, strstr(R.err, "not running")) TH_LOG("%s", R.err);
	CLI("-S", SOCK_PATH, "--json", "apps");
	EXPECT_EQ(4, R.rc);
	EXPECT_TRUE(json_valid(R.out)) TH_LOG("%s", R.out);
	EXPECT_STREQ("{\"apps\":[],\"subscribers\":[]}\n", R.out);

	ASSERT_EQ(0, mp_write_file(CONF_PATH, "[daemon]\nsocket = " SOCK_PATH "\nsystemd_socket = -\n"));
	self->daemon = mp_daemon_spawn(CONF_PATH, LOG_PATH, false, verbose);
	ASSERT_GT(self->daemon, 0);
	ASSERT_TRUE(mp_wait_file(LOG_PATH, "listening on", MP_WAIT_MS));
	ASSERT_TRUE(mp_wait_file(LOG_PATH, "reading the module's events", MP_WAIT_MS));

	/* A subscriber. */
	fd = mp_daemon_connect(SOCK_PATH);
	ASSERT_GE(fd, 0);
	mp_msg_begin(&o, MEMPRESSURED_MSG_HELLO);
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_VERSION, MEMPRESSURED_PROTOCOL_VERSION);
	mp_msg_add_str(&o, MEMPRESSURED_KEY_NAME, "cli test app");
	ASSERT_GT(send(fd, o.buf, (size_t)mp_msg_end(&o), 0), 0);
	{
		char buf[MEMPRESSURED_MSG_MAX + 1];
		struct pollfd p = { .fd = fd, .events = POLLIN };

		ASSERT_EQ(1, poll(&p, 1, MP_WAIT_MS));
		ASSERT_GT(recv(fd, buf, sizeof(buf), 0), 0);	/* welcome */
	}

	CLI("-S", SOCK_PATH, "apps");
	EXPECT_EQ(0, R.rc) TH_LOG("%s", R.err);
	EXPECT_NE(NULL, strstr(R.out, "cli test app")) TH_LOG("%s", R.out);
	EXPECT_NE(NULL, strstr(R.out, "1 subscriber listed.")) TH_LOG("%s", R.out);
	CLI("-S", SOCK_PATH, "--json", "apps");
	EXPECT_EQ(0, R.rc);
	ASSERT_TRUE(json_valid(R.out)) TH_LOG("%s", R.out);
	ASSERT_TRUE(json_object_with(R.out, "\"subscriber\":\"cli test app\"", obj, sizeof(obj)));
	snprintf(obj + 1024, 64, "\"pid\":%d,", getpid());
	EXPECT_NE(NULL, strstr(obj, obj + 1024)) TH_LOG("%s", obj);
	/* status: the daemon running. */
	CLI("-S", SOCK_PATH, "--json", "status");
	EXPECT_EQ(0, R.rc);
	EXPECT_TRUE(json_valid(R.out)) TH_LOG("%s", R.out);
	EXPECT_NE(NULL, strstr(R.out, "\"state\":\"running\"")) TH_LOG("%s", R.out);
	EXPECT_NE(NULL, strstr(R.out, "\"subscribers\":1")) TH_LOG("%s", R.out);
	close(fd);
}

TEST(usage)
{
	if (access(CLI_BIN, X_OK))
		SKIP(return, "no %s", CLI_BIN);
	CLI("--help");
	EXPECT_EQ(0, R.rc);
	EXPECT_EQ(0, strncmp(R.out, "Usage: mempressure", 18));
	EXPECT_STREQ("", R.err);
	CLI("frobnicate");
	EXPECT_EQ(2, R.rc);
	EXPECT_STREQ("", R.out);
	EXPECT_NE(NULL, strstr(R.err, "unknown verb 'frobnicate'"));
	CLI("--no-such-option");
	EXPECT_EQ(2, R.rc);
	CLI("cgroups", "-f");
	EXPECT_EQ(2, R.rc);
	CLI("soft", "set", "/x");
	EXPECT_EQ(2, R.rc);
}

/* Appends what @fd has to @acc until @needle is in it; false at @timeout_ms. */
static bool pty_wait(int fd, char *acc, size_t size, size_t *len, const char *needle,
		     int timeout_ms)
{
	uint64_t end = mp_now_ms() + (uint64_t)timeout_ms;

	do {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		acc[*len] = '\0';
		if (memmem(acc, *len, needle, strlen(needle)))
			return true;
		if (poll(&p, 1, 100) <= 0)
			continue;
		if (*len + 1 >= size) {
			/* Keep the last half: the needle is in what comes. */
			memmove(acc, acc + size / 2, *len - size / 2);
			*len -= size / 2;
		}
		n = read(fd, acc + *len, size - *len - 1);
		if (n <= 0)
			return false;
		*len += (size_t)n;
	} while (mp_now_ms() < end);
	return false;
}

/* A pty of size @ws (devpts mounted if need be); the master, or -1. */
static int pty_open(const struct winsize *ws)
{
	int master;

	if (access("/dev/pts/ptmx", F_OK)) {
		mkdir("/dev/pts", 0755);
		if (mount("devpts", "/dev/pts", "devpts", 0, "ptmxmode=0666"))
			return -1;
	}
	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return -1;
	if (grantpt(master) || unlockpt(master) || ioctl(master, TIOCSWINSZ, ws)) {
		close(master);
		return -1;
	}
	return master;
}

/* In the child: the pty of @master as the controlling terminal and stdio. */
static void pty_child(int master)
{
	int slave;

	setsid();
	slave = open(ptsname(master), O_RDWR);
	if (slave < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
		_exit(20);
	dup2(slave, 0);
	dup2(slave, 1);
	dup2(slave, 2);
	setenv("TERM", "xterm", 1);
	unsetenv("COLUMNS");
}

enum out_kind { ON_PTY, ON_PIPE };

/*
 * Run the CLI with @argv (NULL-terminated, without argv[0]) on a pty of
 * @cols x @rows, or with stdout a pipe; NO_COLOR set to @no_color, or
 * unset if NULL.  All it wrote (stdout and stderr, on a pty) in @out, the
 * pty's "\r\n" as "\n"; its exit status, or -1.
 */
static int run_on(enum out_kind kind, unsigned short cols, unsigned short rows,
		  const char *no_color, const char *const *argv, char *out, size_t size)
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };
	const char *args[32] = { "mempressure" };
	int fds[2] = { -1, -1 }, rd, status = 0;
	size_t len = 0;
	pid_t pid;

	for (int i = 0; argv[i] && i < 30; i++)
		args[i + 1] = argv[i];
	if (kind == ON_PTY)
		rd = pty_open(&ws);
	else
		rd = pipe2(fds, O_CLOEXEC) ? -1 : fds[0];
	if (rd < 0)
		return -1;
	pid = mp_fork();
	if (pid == 0) {
		if (kind == ON_PTY) {
			pty_child(rd);
		} else {
			dup2(fds[1], 1);
			unsetenv("COLUMNS");
		}
		if (no_color)
			setenv("NO_COLOR", no_color, 1);
		else
			unsetenv("NO_COLOR");
		execv(CLI_BIN, (char *const *)args);
		_exit(127);
	}
	if (fds[1] >= 0)
		close(fds[1]);
	/* Until end of file (a pipe) or EIO (the pty's last slave closed). */
	while (pid > 0 && len + 1 < size) {
		struct pollfd p = { .fd = rd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, MP_WAIT_MS) <= 0)
			break;
		n = read(rd, out + len, size - len - 1);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	out[len] = '\0';
	close(rd);
	for (char *r = out, *w = out;; r++) {
		if (*r != '\r')
			*w++ = *r;
		if (!*r)
			break;
	}
	if (pid <= 0 || mp_wait_child(pid, &status, MP_WAIT_MS)) {
		if (pid > 0)
			mp_kill_child(pid);
		return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The widest line of @text in display cells: escape sequences skipped, UTF-8 counted once. */
static size_t widest_line(const char *text)
{
	size_t w = 0, max = 0;

	for (const char *p = text; *p; p++) {
		if (*p == '\033') {
			/* CSI: parameters, then one final byte 0x40-0x7e. */
			if (p[1] == '[')
				for (p += 2; *p && (*p < 0x40 || *p > 0x7e); p++)
					;
			if (!*p)
				break;
			continue;
		}
		if (*p == '\n') {
			w = 0;
			continue;
		}
		w += ((unsigned char)*p & 0xc0) != 0x80;
		max = w > max ? w : max;
	}
	return max;
}

/*
 * thresholds: what set wrote is read back; in JSON every tunable has the
 * value of the control file's set line, as written there.  set and soft
 * in JSON: the command written.
 */
TEST_F(cli, thresholds_read_back)
{
	static char control[8192];
	char line[512], want[160];
	int n = 0;

	/* set and soft say in JSON what they wrote. */
	CLI("--json", "set", MP_TUNABLE(CALM_MS), "2500");
	ASSERT_EQ(0, R.rc) TH_LOG("%s", R.err);
	EXPECT_TRUE(json_valid(R.out)) TH_LOG("%s", R.out);
	EXPECT_STREQ("{\"control\":{\"command\":\"set calm_ms 2500\"}}\n", R.out);
	ASSERT_EQ(0, cg_create_leaf("cli_cg"));
	CLI("--json", "soft", "set", "/cli_cg", "50%");
	ASSERT_EQ(0, R.rc) TH_LOG("%s", R.err);
	EXPECT_STREQ("{\"control\":{\"command\":\"soft /cli_cg 50%\"}}\n", R.out);
	/* -o there too: an unknown column is a usage error, nothing written. */
	CLI("-o", "bogus", "set", MP_TUNABLE(CALM_MS), "3000");
	EXPECT_EQ(2, R.rc);
	EXPECT_NE(NULL, strstr(R.err, "unknown column 'bogus'")) TH_LOG("%s", R.err);
	CLI("set", MP_TUNABLE(PSI_LOW), "2.5");
	ASSERT_EQ(0, R.rc) TH_LOG("%s", R.err);

	CLI("thresholds");
	ASSERT_EQ(0, R.rc) TH_LOG("%s", R.err);
	ASSERT_NE(NULL, line_starting(R.out, MP_TUNABLE(CALM_MS), line, sizeof(line)))
		TH_LOG("%s", R.out);
	EXPECT_EQ(2500, strtoull(strrchr(line, ' ') + 1, NULL, 10)) TH_LOG("%s", line);
	ASSERT_NE(NULL, line_starting(R.out, MP_TUNABLE(PSI_LOW), line, sizeof(line)));
	EXPECT_STREQ("2.50", strrchr(line, ' ') + 1);

	CLI("--json", "thresholds");
	ASSERT_EQ(0, R.rc);
	ASSERT_TRUE(json_valid(R.out)) TH_LOG("%s", R.out);
	ASSERT_GT(mp_control_read(control, sizeof(control)), 0);
	for (char *p = control, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
		char name[64], value[64];

		*nl = '\0';
		if (sscanf(p, "set %63s %63s", name, value) != 2)
			continue;
		snprintf(want, sizeof(want), "\"%s\":%s", name, value);
		EXPECT_NE(NULL, strstr(R.out, want)) TH_LOG("%s in %s", want, R.out);
		n++;
	}
	EXPECT_LT(10, n) TH_LOG("%s", control);
}

/*
 * top on a terminal (a pty): the alternate screen, the frame redrawn in
 * place every -d, the keys r, t and g switching the sort as the heading
 * says, q quitting with exit 0 and the terminal given back (the alternate
 * screen left, the cursor shown).
 */
TEST_F(cli, top_live_on_a_terminal)
{
	static char acc[1 << 16];
	struct winsize ws = { .ws_row = 30, .ws_col = 120 };
	size_t len = 0;
	int master, status;
	pid_t pid;

	master = pty_open(&ws);
	ASSERT_LE(0, master) TH_LOG("a pty: %m");
	pid = mp_fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		pty_child(master);
		execl(CLI_BIN, "mempressure", "top", "-d", "0.2", (char *)NULL);
		_exit(127);
	}
	self->kids[self->nr_kids++] = pid;

	ASSERT_TRUE(pty_wait(master, acc, sizeof(acc), &len, "\033[?1049h", MP_WAIT_MS));
	ASSERT_TRUE(pty_wait(master, acc, sizeof(acc), &len, "sorted by growth", MP_WAIT_MS))
		TH_LOG("%s", acc);
	/* Redrawn in place: the heading comes again, after the cursor went home. */
	len = 0;
	ASSERT_TRUE(pty_wait(master, acc, sizeof(acc), &len, "sorted by growth", MP_WAIT_MS));
	EXPECT_NE(NULL, memmem(acc, len, "\033[H", 3)) TH_LOG("no cursor-home in a redraw");
	ASSERT_EQ(1, write(master, "r", 1));
	ASSERT_TRUE(pty_wait(master, acc, sizeof(acc), &len, "sorted by RSS", MP_WAIT_MS));
	ASSERT_EQ(1, write(master, "t", 1));
	ASSERT_TRUE(pty_wait(master, acc, sizeof(acc), &len, "sorted by time to limit",
			     MP_WAIT_MS));
	ASSERT_EQ(1, write(master, "g", 1));
	len = 0;
	ASSERT_TRUE(pty_wait(master, acc, sizeof(acc), &len, "sorted by growth", MP_WAIT_MS));
	ASSERT_EQ(1, write(master, "q", 1));
	ASSERT_TRUE(pty_wait(master, acc, sizeof(acc), &len, "\033[?1049l", MP_WAIT_MS));
	ASSERT_EQ(0, mp_wait_child(pid, &status, MP_WAIT_MS));
	self->kids[--self->nr_kids] = 0;
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) TH_LOG("status %#x", status);
	close(master);
}

/*
 * top --once fits the terminal it prints on: on a pty of 80 and 60
 * columns no line is wider (escape codes aside), while through a pipe the
 * same table is wider than 80 (a long cgroup name sees to it), so the
 * limit is what made it fit.
 */
TEST_F(cli, top_once_fits_the_terminal)
{
	static char out[OUT_MAX];
	static const unsigned short sizes[][2] = { { 80, 24 }, { 60, 20 } };
	const char *const argv[] = { "top", "--once", NULL };
	pid_t p;

	ASSERT_EQ(0, cg_create_leaf(LONG_CG));
	p = cg_run_nowait(LONG_CG, hold, (void *)(uintptr_t)(4 * MiB));
	ASSERT_GT(p, 0);
	self->kids[self->nr_kids++] = p;
	ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));

	ASSERT_EQ(0, run_on(ON_PIPE, 0, 0, NULL, argv, out, sizeof(out)));
	ASSERT_NE(NULL, strstr(out, LONG_CG)) TH_LOG("%.3000s", out);
	EXPECT_LT(80, widest_line(out)) TH_LOG("%.3000s", out);

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned short cols = sizes[i][0], rows = sizes[i][1];

		ASSERT_EQ(0, run_on(ON_PTY, cols, rows, NULL, argv, out, sizeof(out)));
		EXPECT_GE(cols, widest_line(out)) TH_LOG("%ux%u:\n%.3000s", cols, rows, out);
		/* The heading first (PID is right-aligned: pids past 999 indent it). */
		EXPECT_EQ(0, strncmp(out + strspn(out, " "), "PID ", 4)) TH_LOG("%.3000s", out);
		EXPECT_NE(NULL, strstr(out, "processes listed.")) TH_LOG("%.3000s", out);
		/* The long name is there, cut: not whole, not missing. */
		EXPECT_EQ(NULL, strstr(out, LONG_CG));
		EXPECT_NE(NULL, strstr(out, "/cli_wi")) TH_LOG("%.3000s", out);
		EXPECT_LT(3, count_lines(out));
	}
}

/*
 * Colour only on a terminal, never with NO_COLOR: status (the module shown
 * loaded, in green) has SGR codes on a pty, also with NO_COLOR empty, and
 * no escape at all on a pty with NO_COLOR set, nor through a pipe.
 */
TEST_F(cli, colour_on_a_terminal_only)
{
	static char out[OUT_MAX];
	const char *const argv[] = { "-S", NO_SOCK, "status", NULL };

	ASSERT_EQ(0, run_on(ON_PTY, 100, 30, NULL, argv, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\033[32m")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\033[0m")) TH_LOG("%s", out);

	ASSERT_EQ(0, run_on(ON_PTY, 100, 30, "1", argv, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "loaded")) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strchr(out, '\033')) TH_LOG("%s", out);

	/* no-color.org: an empty NO_COLOR is as if unset. */
	ASSERT_EQ(0, run_on(ON_PTY, 100, 30, "", argv, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\033[32m")) TH_LOG("%s", out);

	ASSERT_EQ(0, run_on(ON_PIPE, 0, 0, NULL, argv, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "loaded")) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strchr(out, '\033')) TH_LOG("%s", out);
}

TEST_HARNESS_MAIN
