// SPDX-License-Identifier: GPL-2.0
/* Host unit tests for mempressured's configuration parser (userspace/daemon). */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include <linux/mempressure.h>

#include "mpd_config.h"

static int parse(const char *text, struct mpd_config *c, struct mpd_config_error *e)
{
	return mpd_config_parse(text, strlen(text), c, e);
}

static char *print(const struct mpd_config *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	mpd_config_print(c, f);
	fclose(f);
	return buf;
}

TEST(defaults)
{
	struct mpd_config c;
	struct mpd_config_error e;
	struct mpd_policy p;

	ASSERT_EQ(0, parse("", &c, &e));
	ASSERT_STREQ(MEMPRESSURED_SOCKET, c.socket);
	ASSERT_STREQ("/run/mempressured/memory-pressure.sock", c.systemd_socket);
	ASSERT_EQ(MEMPRESSURE_LEVEL_MEDIUM, c.systemd_level);
	ASSERT_FALSE(c.daemon.dry_run);
	ASSERT_EQ(MEMPRESSURE_LEVEL_MEDIUM, c.daemon.trim_level);
	ASSERT_EQ(500, c.deadline_ms);
	ASSERT_EQ(50, c.stagger_ms);
	ASSERT_EQ(5000, c.daemon.grace_ms);
	/* Enforcement is opt in: a cgroup nobody named gets callbacks only. */
	ASSERT_FALSE(c.daemon.reclaim);
	ASSERT_FALSE(c.daemon.clamp);
	ASSERT_EQ(30000, c.daemon.clamp_ms);
	ASSERT_FALSE(c.daemon.kill);
	ASSERT_EQ(0, c.nr_cgroups);
	ASSERT_EQ(0, c.nr_signals);
	ASSERT_EQ(0, c.nr_hooks);
	ASSERT_EQ(NULL, c.metrics_file);
	ASSERT_EQ(NULL, c.metrics_listen);
	ASSERT_FALSE(c.metrics_allow_remote);
	ASSERT_EQ(5000, c.metrics_interval_ms);
	mpd_config_policy(&c, "/any", &p);
	ASSERT_EQ(0, memcmp(&p, &c.daemon, sizeof(p)));
	mpd_config_free(&c);

	/* Comments and blank lines only, and an empty [daemon]. */
	ASSERT_EQ(0, parse("# nothing\n\n   \t\n[daemon]  # here\n", &c, &e));
	ASSERT_EQ(500, c.deadline_ms);
	mpd_config_free(&c);
}

static const char full_config[] =
	"[daemon]\n"
	"socket = /run/x.sock\n"
	"systemd_socket = /run/y.sock\n"
	"systemd_level = critical\n"
	"dry_run = yes\n"
	"trim_level = low\n"
	"deadline_ms = 700\n"
	"stagger_ms = 0\n"
	"grace_ms = 1000\n"
	"reclaim = no\n"
	"clamp = no\n"
	"clamp_ms = 2000\n"
	"kill = yes\n"
	"metrics_file = /var/lib/prometheus/node-exporter/mempressure.prom\n"
	"metrics_listen = [::1]:9469\n"
	"metrics_interval_ms = 250\n"
	"\n"
	"[cgroup /app\\040one]\n"
	"dry_run = no\n"
	"trim_level = critical\n"
	"grace_ms = 3\n"
	"reclaim = yes\n"
	"clamp = yes\n"
	"clamp_ms = 4\n"
	"kill = no\n"
	"[cgroup /partial]\n"
	"grace_ms = 9\n"
	"[signal cache]\n"
	"comm = cachey\n"
	"cgroup = /app\n"
	"signal = SIGUSR2\n"
	"level = critical\n"
	"[signal bynum]\n"
	"comm=x\n"
	"signal = 10\n"
	"[hook page]\n"
	"command = /usr/bin/logger -t mp  pressure\n"
	"cgroup = /app\n"
	"level = low\n"
	"timeout_ms = 250\n"
	"[hook min]\n"
	"command = /bin/true\n";

TEST(every_key)
{
	struct mpd_config c;
	struct mpd_config_error e;
	struct mpd_policy p;

	ASSERT_EQ(0, parse(full_config, &c, &e)) TH_LOG("%u: %s", e.line, e.msg);
	ASSERT_STREQ("/run/x.sock", c.socket);
	ASSERT_STREQ("/run/y.sock", c.systemd_socket);
	ASSERT_EQ(MEMPRESSURE_LEVEL_CRITICAL, c.systemd_level);
	ASSERT_TRUE(c.daemon.dry_run);
	ASSERT_EQ(MEMPRESSURE_LEVEL_LOW, c.daemon.trim_level);
	ASSERT_EQ(700, c.deadline_ms);
	ASSERT_EQ(0, c.stagger_ms);
	ASSERT_EQ(1000, c.daemon.grace_ms);
	ASSERT_FALSE(c.daemon.reclaim);
	ASSERT_FALSE(c.daemon.clamp);
	ASSERT_EQ(2000, c.daemon.clamp_ms);
	ASSERT_TRUE(c.daemon.kill);
	ASSERT_STREQ("/var/lib/prometheus/node-exporter/mempressure.prom", c.metrics_file);
	ASSERT_STREQ("[::1]:9469", c.metrics_listen);
	ASSERT_FALSE(c.metrics_allow_remote);
	ASSERT_EQ(250, c.metrics_interval_ms);

	ASSERT_EQ(2, c.nr_cgroups);
	ASSERT_STREQ("/app one", c.cgroups[0].path);
	mpd_config_policy(&c, "/app one", &p);
	ASSERT_FALSE(p.dry_run);
	ASSERT_EQ(MEMPRESSURE_LEVEL_CRITICAL, p.trim_level);
	ASSERT_EQ(3, p.grace_ms);
	ASSERT_TRUE(p.reclaim);
	ASSERT_TRUE(p.clamp);
	ASSERT_EQ(4, p.clamp_ms);
	ASSERT_FALSE(p.kill);
	/* Only grace_ms overridden: the rest is [daemon]'s. */
	mpd_config_policy(&c, "/partial", &p);
	ASSERT_EQ(9, p.grace_ms);
	ASSERT_TRUE(p.dry_run);
	ASSERT_EQ(MEMPRESSURE_LEVEL_LOW, p.trim_level);
	ASSERT_TRUE(p.kill);

	ASSERT_EQ(2, c.nr_signals);
	ASSERT_STREQ("cache", c.signals[0].name);
	ASSERT_STREQ("cachey", c.signals[0].comm);
	ASSERT_STREQ("/app", c.signals[0].cgroup);
	ASSERT_EQ(SIGUSR2, c.signals[0].signo);
	ASSERT_EQ(MEMPRESSURE_LEVEL_CRITICAL, c.signals[0].level);
	ASSERT_EQ(SIGUSR1, c.signals[1].signo);
	ASSERT_EQ(NULL, c.signals[1].cgroup);
	ASSERT_EQ(MEMPRESSURE_LEVEL_MEDIUM, c.signals[1].level);

	ASSERT_EQ(2, c.nr_hooks);
	ASSERT_STREQ("/usr/bin/logger", c.hooks[0].argv[0]);
	ASSERT_STREQ("-t", c.hooks[0].argv[1]);
	ASSERT_STREQ("mp", c.hooks[0].argv[2]);
	ASSERT_STREQ("pressure", c.hooks[0].argv[3]);
	ASSERT_EQ(NULL, c.hooks[0].argv[4]);
	ASSERT_STREQ("/app", c.hooks[0].cgroup);
	ASSERT_EQ(MEMPRESSURE_LEVEL_LOW, c.hooks[0].level);
	ASSERT_EQ(250, c.hooks[0].timeout_ms);
	ASSERT_STREQ("/", c.hooks[1].cgroup);
	ASSERT_EQ(5000, c.hooks[1].timeout_ms);
	ASSERT_EQ(MEMPRESSURE_LEVEL_MEDIUM, c.hooks[1].level);
	mpd_config_free(&c);
}

TEST(systemd_socket_disabled)
{
	struct mpd_config c;
	struct mpd_config_error e;
	char *out;

	ASSERT_EQ(0, parse("[daemon]\nsystemd_socket = -\n", &c, &e)) TH_LOG("%s", e.msg);
	ASSERT_EQ(NULL, c.systemd_socket);
	out = print(&c);
	ASSERT_NE(NULL, strstr(out, "systemd_socket = -\n"));
	mpd_config_free(&c);
	/* What it prints parses back to the same. */
	ASSERT_EQ(0, parse(out, &c, &e)) TH_LOG("%s", e.msg);
	ASSERT_EQ(NULL, c.systemd_socket);
	mpd_config_free(&c);
	free(out);
}

TEST(cgroup_before_daemon_inherits)
{
	struct mpd_config c;
	struct mpd_config_error e;
	struct mpd_policy p;

	ASSERT_EQ(0, parse("[cgroup /a]\nkill = yes\n[daemon]\ngrace_ms = 77\n", &c, &e));
	mpd_config_policy(&c, "/a", &p);
	ASSERT_EQ(77, p.grace_ms);
	ASSERT_TRUE(p.kill);
	mpd_config_free(&c);
}

static const struct bad {
	const char *text;
	unsigned int line;
	const char *msg;	/* a part of the message */
} bad[] = {
	{ "[nosuch]\n", 1, "unknown section" },
	{ "[daemon]\nfoo = 1\n", 2, "unknown key" },
	{ "[daemon]\ndry_run = maybe\n", 2, "boolean" },
	{ "[daemon]\ndry_run = Yes\n", 2, "boolean" },
	{ "[daemon]\ngrace_ms = 12k\n", 2, "number" },
	{ "[daemon]\ngrace_ms = -1\n", 2, "number" },
	{ "[daemon]\ngrace_ms = 99999999999999999999999\n", 2, "number" },
	{ "[daemon]\ngrace_ms = 86400001\n", 2, "range" },
	{ "[daemon]\ndeadline_ms = 0\n", 2, "range" },
	{ "[daemon]\ntrim_level = high\n", 2, "level" },
	{ "[daemon]\ntrim_level = none\n", 2, "level" },
	{ "[daemon]\nsystemd_level = high\n", 2, "level" },
	{ "[daemon]\nsystemd_level = none\n", 2, "level" },
	{ "[daemon]\nsystemd_socket = run/mp.sock\n", 2, "absolute path" },
	{ "[daemon]\nsystemd_socket =\n", 2, "empty value" },
	{ "[daemon]\nsystemd_level = low\nsystemd_level = low\n", 3, "twice" },
	{ "\n\n[signal s]\nsignal = SIGUSR2\n", 3, "comm or cgroup" },
	{ "[hook h]\ncgroup = /a\n[daemon]\n", 1, "needs command" },
	{ "[hook h]\ncommand = bin/true\n", 2, "absolute path" },
	{ "[hook h]\ncommand = true -x\n", 2, "absolute path" },
	{ "[daemon]\n[daemon]\n", 2, "duplicate section" },
	{ "[cgroup /a]\n[cgroup /a]\n", 2, "duplicate section" },
	{ "[cgroup /a\\040b]\n[cgroup /a\\040b]\n", 2, "duplicate section" },
	{ "[signal x]\ncomm=a\n[signal x]\n", 3, "duplicate section" },
	{ "[hook x]\ncommand=/a\n# c\n[hook x]\ncommand=/b\n", 4, "duplicate section" },
	{ "grace_ms = 5\n", 1, "outside a section" },
	{ "[daemon]\ngrace_ms\n", 2, "key = value" },
	{ "[daemon]\n= 5\n", 2, "empty key" },
	{ "[daemon]\ngrace_ms =\n", 2, "empty value" },
	{ "[daemon\n", 1, "without" },
	{ "[cgroup]\n", 1, "needs a name" },
	{ "[cgroup app]\n", 1, "absolute" },
	{ "[cgroup /a\\09]\n", 1, "escaped" },
	{ "[daemon x]\n", 1, "no name" },
	{ "[daemon]\nkill = yes\nkill = no\n", 3, "twice" },
	{ "[cgroup /a]\nsocket = /x\n", 2, "unknown key" },
	{ "[cgroup /a]\ndeadline_ms = 5\n", 2, "unknown key" },
	{ "[signal s]\ncomm = a\nsignal = SIGNOPE\n", 3, "not a signal" },
	{ "[signal s]\ncomm = a\nsignal = 0\n", 3, "not a signal" },
	{ "[signal s]\ncomm = a\nsignal = 99\n", 3, "not a signal" },
	{ "[signal s]\ncomm = averyveryverylongcomm\n", 2, "15 bytes" },
	{ "[signal s]\ncgroup = rel\n", 2, "absolute" },
	{ "[signal s]\ncomm = a\ncommand = /bin/x\n", 3, "unknown key" },
	{ "[hook h]\ncommand = /bin/x\ntimeout_ms = 0\n", 3, "range" },
	{ "[hook h]\ncommand = /bin/x\nsignal = 1\n", 3, "unknown key" },
	{ "[daemon]\nsocket = relative.sock\n", 2, "absolute" },
	{ "[daemon]\nreclaim = 1\n", 2, "boolean" },
	{ "[daemon]\nclamp_ms = 0\n", 2, "range" },
	{ "[daemon]\nmetrics_file = metrics.prom\n", 2, "absolute" },
	{ "[daemon]\nmetrics_file = /var/lib/\n", 2, "absolute file path" },
	{ "[daemon]\nmetrics_file = /a\nmetrics_file = /b\n", 3, "twice" },
	{ "[daemon]\nmetrics_listen = 127.0.0.1\n", 2, "ADDRESS:PORT" },
	{ "[daemon]\nmetrics_listen = 127.0.0.1:0\n", 2, "ADDRESS:PORT" },
	{ "[daemon]\nmetrics_listen = 127.0.0.1:65536\n", 2, "ADDRESS:PORT" },
	{ "[daemon]\nmetrics_listen = 127.0.0.1:-1\n", 2, "ADDRESS:PORT" },
	{ "[daemon]\nmetrics_listen = localhost:9469\n", 2, "ADDRESS:PORT" },
	{ "[daemon]\nmetrics_listen = ::1:9469\n", 2, "ADDRESS:PORT" },
	{ "[daemon]\nmetrics_listen = [127.0.0.1]:9469\n", 2, "ADDRESS:PORT" },
	{ "[daemon]\nmetrics_listen = 127.0.0.1:9469x\n", 2, "ADDRESS:PORT" },
	/* Off the loopback only when asked for, wherever that is said. */
	{ "[daemon]\nmetrics_listen = 0.0.0.0:9469\n", 2, "metrics_allow_remote = yes" },
	{ "[daemon]\n\nmetrics_listen = 192.168.1.2:9469\nmetrics_allow_remote = no\n", 3,
	  "not a loopback" },
	{ "[daemon]\nmetrics_listen = [::]:9469\n", 2, "not a loopback" },
	{ "[daemon]\nmetrics_allow_remote = maybe\n", 2, "boolean" },
	{ "[daemon]\nmetrics_interval_ms = 99\n", 2, "range" },
	{ "[daemon]\nmetrics_interval_ms = 1s\n", 2, "number" },
	{ "[cgroup /a]\nmetrics_file = /x.prom\n", 2, "unknown key" },
};

TEST(malformed_files)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mpd_config c;
		struct mpd_config_error e;

		ASSERT_EQ(-EINVAL, parse(bad[i].text, &c, &e)) TH_LOG("case %zu", i);
		EXPECT_EQ(bad[i].line, e.line) TH_LOG("case %zu: %s", i, e.msg);
		EXPECT_NE(NULL, strstr(e.msg, bad[i].msg)) TH_LOG("case %zu: %s", i, e.msg);
	}
}

/*
 * A hook's command is split at blanks into an argv and executed as it is:
 * what a shell would act on ($, ;, quotes, redirections, globs) stays in
 * the arguments, as text.
 */
TEST(hook_command_is_an_argv_not_a_shell_line)
{
	const char *text = "[hook h]\ncommand = /bin/echo $HOME;touch /tmp/x \"a b\" >out *\n";
	const char *want[] = { "/bin/echo", "$HOME;touch", "/tmp/x", "\"a", "b\"", ">out", "*" };
	struct mpd_config c;
	struct mpd_config_error e;
	size_t i;

	ASSERT_EQ(0, parse(text, &c, &e)) TH_LOG("%s", e.msg);
	ASSERT_EQ(1, c.nr_hooks);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ASSERT_STREQ(want[i], c.hooks[0].argv[i]);
	ASSERT_EQ(NULL, c.hooks[0].argv[i]);
	mpd_config_free(&c);
}

TEST(nul_byte_is_refused)
{
	struct mpd_config c;
	struct mpd_config_error e;

	ASSERT_EQ(-EINVAL, mpd_config_parse("[daemon]\nkill = no\0\n", 20, &c, &e));
	ASSERT_EQ(2, e.line);
}

TEST(printed_configuration_parses_back)
{
	struct mpd_config c, c2;
	struct mpd_config_error e;
	char *a, *b;

	ASSERT_EQ(0, parse(full_config, &c, &e));
	a = print(&c);
	ASSERT_EQ(0, parse(a, &c2, &e)) TH_LOG("%u: %s\n%s", e.line, e.msg, a);
	b = print(&c2);
	ASSERT_STREQ(a, b);
	ASSERT_NE(NULL, strstr(a, "[cgroup /app\\040one]"));
	ASSERT_NE(NULL, strstr(a, "signal = SIGUSR2"));
	mpd_config_free(&c);
	mpd_config_free(&c2);
	free(a);
	free(b);

	/* The defaults print every key. */
	ASSERT_EQ(0, parse("", &c, &e));
	a = print(&c);
	ASSERT_NE(NULL, strstr(a, "deadline_ms = 500\n"));
	ASSERT_NE(NULL, strstr(a, "kill = no\n"));
	ASSERT_NE(NULL, strstr(a, "metrics_file = -\nmetrics_listen = -\n"));
	ASSERT_NE(NULL, strstr(a, "metrics_interval_ms = 5000\n"));
	ASSERT_EQ(0, parse(a, &c2, &e));
	b = print(&c2);
	ASSERT_STREQ(a, b);
	mpd_config_free(&c);
	mpd_config_free(&c2);
	free(a);
	free(b);
}

TEST(metrics_listen_addresses)
{
	static const struct {
		const char *addr;
		int loopback;		/* as mpd_listen_parse() returns */
	} cases[] = {
		{ "127.0.0.1:9469", 1 }, { "127.1.2.3:1", 1 }, { "[::1]:9469", 1 },
		{ "[::ffff:127.0.0.1]:65535", 1 }, { "0.0.0.0:9469", 0 }, { "10.0.0.1:80", 0 },
		{ "[::]:9469", 0 }, { "[::ffff:10.0.0.1]:9469", 0 }, { "[fe80::1]:9469", 0 },
		{ "", -EINVAL }, { ":9469", -EINVAL }, { "127.0.0.1:", -EINVAL },
		{ "[::1:9469", -EINVAL }, { "1.2.3:80", -EINVAL },
	};
	struct sockaddr_storage ss;
	struct mpd_config c;
	struct mpd_config_error e;
	socklen_t len;
	char *out;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ASSERT_EQ(cases[i].loopback, mpd_listen_parse(cases[i].addr, &ss, &len))
			TH_LOG("%s", cases[i].addr);
	}
	ASSERT_EQ(1, mpd_listen_parse("127.0.0.1:9469", &ss, &len));
	ASSERT_EQ(AF_INET, ss.ss_family);
	ASSERT_EQ(sizeof(struct sockaddr_in), len);
	ASSERT_EQ(1, mpd_listen_parse("[::1]:9469", &ss, &len));
	ASSERT_EQ(AF_INET6, ss.ss_family);

	/* Elsewhere than the loopback with metrics_allow_remote, in either order. */
	ASSERT_EQ(0, parse("[daemon]\nmetrics_allow_remote = yes\nmetrics_listen = 0.0.0.0:9469\n",
			   &c, &e)) TH_LOG("%s", e.msg);
	ASSERT_STREQ("0.0.0.0:9469", c.metrics_listen);
	mpd_config_free(&c);
	ASSERT_EQ(0, parse("[daemon]\nmetrics_listen = [::]:9469\nmetrics_allow_remote = yes\n",
			   &c, &e)) TH_LOG("%s", e.msg);
	out = print(&c);
	ASSERT_NE(NULL, strstr(out, "metrics_listen = [::]:9469\nmetrics_allow_remote = yes\n"));
	mpd_config_free(&c);
	/* What it prints parses back. */
	ASSERT_EQ(0, parse(out, &c, &e)) TH_LOG("%s", e.msg);
	ASSERT_TRUE(c.metrics_allow_remote);
	mpd_config_free(&c);
	free(out);
	/* "-" turns each off. */
	ASSERT_EQ(0, parse("[daemon]\nmetrics_file = -\nmetrics_listen = -\n", &c, &e));
	ASSERT_EQ(NULL, c.metrics_file);
	ASSERT_EQ(NULL, c.metrics_listen);
	mpd_config_free(&c);
}

TEST(load_missing_file)
{
	struct mpd_config c;
	struct mpd_config_error e;

	ASSERT_EQ(-ENOENT, mpd_config_load("/nonexistent/mempressured.conf", &c, &e));
	ASSERT_EQ(0, e.line);
}

TEST_HARNESS_MAIN
