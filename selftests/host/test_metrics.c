// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for mempressured's metrics (userspace/daemon): the
 * rendering (mpd_metrics.c) line by line and, when it is installed,
 * through promtool; the atomic file; the HTTP responder on the loopback;
 * the labels of pods and containers, and how many series a node of 110
 * fixture pods (pod_fixture.c) makes.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "mpd_metrics.h"
#include "mpd_metrics_io.h"
#include "pod_fixture.h"

#define PROMTOOL	"/usr/bin/promtool"

/* Paths and names a host may really have: quotes, backslashes, newlines. */
static const char *const awkward_paths[] = {
	"/",
	"/system.slice/app one.service",
	"/we\"ird\\path\nwith newline",
	"/caf\xc3\xa9/\xe2\x82\xac",		/* UTF-8: kept */
	"/bad\xff\xc3(utf8",			/* not UTF-8: U+FFFD each */
};

static struct mpd_counters counters;
static struct mpd_metrics_cgroup cgroups[5];
static struct mpd_metrics_app apps[3];

static struct mpd_metrics_snap snapshot(void)
{
	struct mpd_metrics_snap s = {
		.up = true, .module_open = true, .start_time_seconds = 1700000000,
		.events_lost = 7, .subscribers = 2, .systemd_clients = 1, .episodes = 1,
		.clamped = 1, .c = &counters, .apps = apps, .nr_apps = 3,
		.cgroups = cgroups, .nr_cgroups = 5,
	};

	for (size_t i = 0; i < 5; i++) {
		cgroups[i].path = awkward_paths[i];
		cgroups[i].level = (int)(i % MEMPRESSURE_LEVEL_NR);
		cgroups[i].usage_bytes = 1000000 * (i + 1);
		cgroups[i].limit_bytes = 4000000 * (i + 1);
		cgroups[i].hard_limit_bytes = i == 4 ? UINT64_MAX : 5000000 * (i + 1);
		cgroups[i].soft_limit_bytes = 3400000 * (i + 1);
		cgroups[i].soft_over = i == 2;
	}
	apps[0].name = "cache-demo";
	apps[1].name = "say \"hi\"\\now\n";
	apps[2].name = "?";
	apps[0].y.requests = 5;
	apps[0].y.replies = 4;
	apps[0].y.timeouts = 1;
	apps[0].y.claimed_bytes = 1 << 20;
	apps[0].y.measured_bytes = 900000;
	apps[0].y.cgroup_bytes_measured = 800000;
	apps[0].y.unmet_replies = 2;
	return s;
}

static char *render(const struct mpd_metrics_snap *s)
{
	size_t n = mpd_metrics_render(s, NULL, 0);
	char *buf = malloc(n + 1);

	if (buf && mpd_metrics_render(s, buf, n + 1) != n) {
		free(buf);
		return NULL;
	}
	return buf;
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

/* The metric name of a sample line, into @name. */
static void sample_name(const char *line, char *name, size_t size)
{
	size_t n = strcspn(line, "{ ");

	snprintf(name, size, "%.*s", (int)n, line);
}

static const char *const exact_lines[] = {
	"mempressure_daemon_up 1",
	"mempressure_module_open 1",
	"mempressure_module_events_lost_total 7",
	"mempressure_cgroup_level{cgroup=\"/\"} 0",
	"mempressure_cgroup_soft_over{cgroup=\"/system.slice/app one.service\"} 0",
	"mempressure_cgroup_usage_bytes{cgroup=\"/system.slice/app one.service\"} 2000000",
	"mempressure_cgroup_hard_limit_bytes{cgroup=\"/bad\xef\xbf\xbd\xef\xbf\xbd(utf8\"} +Inf",
	"mempressure_app_trim_requests_total{app=\"cache-demo\"} 5",
	"mempressure_app_claimed_bytes_total{app=\"cache-demo\"} 1048576",
	"mempressure_app_trim_unmet_replies_total{app=\"cache-demo\"} 2",
	"mempressure_callbacks_total{kind=\"trim\"} 0",
	"mempressure_escalations_total{step=\"clamp\"} 0",
	"mempressure_dry_run_actions_total{action=\"kill\"} 0",
	"mempressure_module_events_total{kind=\"soft_over\"} 0",
	"mempressure_metrics_cgroups_omitted 0",
	"# TYPE mempressure_cgroup_level gauge",
	"# TYPE mempressure_callbacks_total counter",
};

/*
 * Every family has one HELP then one TYPE line, and its samples follow
 * them, contiguous; names, types and suffixes follow the conventions.
 */
TEST(families_help_type_and_names)
{
	struct mpd_metrics_snap s = snapshot();
	char *text = render(&s), *save = NULL, *copy, fam[128] = "", type[16] = "";
	char seen[64][128];
	size_t nseen = 0, samples = 0;
	uint64_t v;

	ASSERT_NE(NULL, text);
	ASSERT_EQ('\n', text[strlen(text) - 1]);
	copy = strdup(text);
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char name[128];

		if (!strncmp(l, "# HELP ", 7)) {
			sample_name(l + 7, fam, sizeof(fam));
			for (size_t i = 0; i < nseen; i++)
				ASSERT_STRNE(seen[i], fam) TH_LOG("%s twice", fam);
			ASSERT_LT(nseen, 64);
			snprintf(seen[nseen++], sizeof(seen[0]), "%s", fam);
			ASSERT_EQ(0, strncmp(fam, "mempressure_", 12));
			ASSERT_GT(strlen(l), 7 + strlen(fam) + 10) TH_LOG("short help: %s", l);
			type[0] = '\0';
			continue;
		}
		if (!strncmp(l, "# TYPE ", 7)) {
			sample_name(l + 7, name, sizeof(name));
			ASSERT_STREQ(fam, name);
			snprintf(type, sizeof(type), "%s", l + 8 + strlen(name));
			ASSERT_TRUE(!strcmp(type, "counter") || !strcmp(type, "gauge")) TH_LOG("%s", l);
			/* Counters, and only they, end in _total. */
			ASSERT_EQ(!strcmp(type, "counter"),
				  strlen(fam) > 6 && !strcmp(fam + strlen(fam) - 6, "_total"))
				TH_LOG("%s", fam);
			continue;
		}
		ASSERT_NE('#', l[0]);
		sample_name(l, name, sizeof(name));
		ASSERT_STREQ(fam, name) TH_LOG("sample outside its family: %s", l);
		ASSERT_NE('\0', type[0]);
		samples++;
	}
	ASSERT_GE(nseen, 24);
	ASSERT_GE(samples, 60);

	/* Some lines exactly. */
	for (size_t i = 0; i < sizeof(exact_lines) / sizeof(exact_lines[0]); i++) {
		ASSERT_TRUE(has_line(text, exact_lines[i])) TH_LOG("no line %s", exact_lines[i]);
	}
	/* A sample's value, as the file's readers find it. */
	ASSERT_EQ(0, mpd_metrics_find(text, "mempressure_cgroup_hard_limit_bytes"
				      "{cgroup=\"/bad\xef\xbf\xbd\xef\xbf\xbd(utf8\"}", &v));
	ASSERT_EQ(UINT64_MAX, v);
	ASSERT_EQ(0, mpd_metrics_find(text, "mempressure_cgroup_usage_bytes{cgroup=\"/\"}", &v));
	ASSERT_EQ(1000000, v);
	ASSERT_EQ(-ENOENT, mpd_metrics_find(text, "mempressure_cgroup_usage_bytes", &v));
	ASSERT_EQ(-ENOENT, mpd_metrics_find(text, "mempressure_cgroup_usage_bytes{cgroup=\"/x\"}", &v));
	free(copy);
	free(text);
}

TEST(label_values_escaped)
{
	struct mpd_metrics_snap s = snapshot();
	char *text = render(&s), out[64];

	ASSERT_NE(NULL, text);
	/* Quote, backslash and newline escaped; nothing else. */
	ASSERT_TRUE(has_line(text, "mempressure_cgroup_soft_over"
			     "{cgroup=\"/we\\\"ird\\\\path\\nwith newline\"} 1"))
		TH_LOG("%s", text);
	ASSERT_TRUE(has_line(text, "mempressure_app_trim_replies_total"
			     "{app=\"say \\\"hi\\\"\\\\now\\n\"} 0"));
	/* UTF-8 kept as it is; bytes that are not UTF-8 replaced. */
	ASSERT_TRUE(has_line(text, "mempressure_cgroup_level{cgroup=\"/caf\xc3\xa9/\xe2\x82\xac\"} 3"));
	ASSERT_EQ(NULL, strstr(text, "\xff"));
	free(text);

	/* snprintf()-like: the full length, what fits, always terminated. */
	ASSERT_EQ(8, mpd_metrics_label_escape("a\"b\\\n", out, sizeof(out)));
	ASSERT_STREQ("a\\\"b\\\\\\n", out);
	ASSERT_EQ(8, mpd_metrics_label_escape("a\"b\\\n", out, 3));
	ASSERT_STREQ("a\\", out);
	ASSERT_EQ(8, mpd_metrics_label_escape("a\"b\\\n", NULL, 0));
	/* Overlong, surrogate, truncated and out-of-range sequences. */
	ASSERT_EQ(6, mpd_metrics_label_escape("\xc0\xaf", out, sizeof(out)));
	ASSERT_STREQ("\xef\xbf\xbd\xef\xbf\xbd", out);
	ASSERT_EQ(9, mpd_metrics_label_escape("\xed\xa0\x80", out, sizeof(out)));
	ASSERT_EQ(6, mpd_metrics_label_escape("\xe2\x82", out, sizeof(out)));
	ASSERT_EQ(12, mpd_metrics_label_escape("\xf4\x90\x80\x80", out, sizeof(out)));
	ASSERT_EQ(4, mpd_metrics_label_escape("\xf0\x9f\x98\x80", out, sizeof(out)));
}

TEST(render_is_snprintf_like)
{
	struct mpd_metrics_snap s = snapshot();
	char *full = render(&s), small[100];
	size_t n = strlen(full);

	ASSERT_EQ(n, mpd_metrics_render(&s, small, sizeof(small)));
	ASSERT_EQ(sizeof(small) - 1, strlen(small));
	ASSERT_EQ(0, strncmp(full, small, sizeof(small) - 1));
	ASSERT_EQ(n, mpd_metrics_render(&s, NULL, 0));
	free(full);
}

/* The value of the sample @series in @text, or -1 if absent. */
static long long value_of(const char *text, const char *series)
{
	uint64_t v;

	return mpd_metrics_find(text, series, &v) < 0 ? -1 : (long long)v;
}

/* Counters only ever grow: every _total series of one rendering, in the next. */
TEST(counters_monotonic)
{
	struct mpd_metrics_snap s = snapshot();
	char *before, *after, *save = NULL;
	size_t checked = 0;

	memset(&counters, 0, sizeof(counters));
	before = render(&s);
	counters.events[MEMPRESSURE_EVENT_SOFT_OVER] += 3;
	counters.callbacks[MPD_CB_TRIM]++;
	counters.steps[MPD_STEP_RECLAIM]++;
	counters.dry_steps[MPD_STEP_KILL]++;
	apps[0].y.requests++;
	s.events_lost++;
	after = render(&s);
	for (char *l = strtok_r(before, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *sp = strrchr(l, ' ');

		if (l[0] == '#' || !sp || !strstr(l, "_total"))
			continue;
		*sp = '\0';
		ASSERT_GE(value_of(after, l), strtoll(sp + 1, NULL, 10)) TH_LOG("%s", l);
		checked++;
	}
	ASSERT_GE(checked, 30);
	ASSERT_EQ(3, value_of(after, "mempressure_module_events_total{kind=\"soft_over\"}"));
	ASSERT_EQ(1, value_of(after, "mempressure_callbacks_total{kind=\"trim\"}"));
	ASSERT_EQ(1, value_of(after, "mempressure_escalations_total{step=\"reclaim\"}"));
	ASSERT_EQ(1, value_of(after, "mempressure_dry_run_actions_total{action=\"kill\"}"));
	ASSERT_EQ(0, value_of(after, "mempressure_dry_run_actions_total{action=\"trim\"}"));
	ASSERT_EQ(6, value_of(after, "mempressure_app_trim_requests_total{app=\"cache-demo\"}"));
	ASSERT_EQ(8, value_of(after, "mempressure_module_events_lost_total"));
	free(before);
	free(after);
	memset(&counters, 0, sizeof(counters));
}

/* Families without samples are left out; the daemon's own ones stay. */
TEST(empty_daemon)
{
	struct mpd_metrics_snap s = { .c = &counters };
	char *text = render(&s);

	ASSERT_TRUE(has_line(text, "mempressure_daemon_up 0"));
	ASSERT_TRUE(has_line(text, "mempressure_module_open 0"));
	ASSERT_EQ(NULL, strstr(text, "mempressure_cgroup_"));
	ASSERT_EQ(NULL, strstr(text, "mempressure_app_"));
	free(text);
}

/* A host with more cgroups than the bound: rows go, the rest stays whole. */
TEST(bounded_output)
{
	static struct mpd_metrics_cgroup many[10000];
	static char names[10000][48];
	struct mpd_metrics_snap s = snapshot();
	size_t len, max = 256 * 1024;
	char *text;

	for (size_t i = 0; i < 10000; i++) {
		snprintf(names[i], sizeof(names[i]), "/machine.slice/container-%05zu.scope", i);
		many[i].path = names[i];
		many[i].level = 1;
	}
	s.cgroups = many;
	s.nr_cgroups = 10000;
	text = mpd_metrics_render_alloc(&s, max, &len);
	ASSERT_NE(NULL, text);
	ASSERT_LT(len, max);
	ASSERT_EQ(len, strlen(text));
	ASSERT_GT(s.nr_cgroups, 100);
	ASSERT_LT(s.nr_cgroups, 10000);
	ASSERT_EQ(10000, s.nr_cgroups + s.cgroups_omitted);
	ASSERT_EQ((long long)s.cgroups_omitted,
		  value_of(text, "mempressure_metrics_cgroups_omitted"));
	ASSERT_EQ('\n', text[len - 1]);
	/* The rows kept are the first ones, every family of each. */
#define CONTAINER(n)	"{cgroup=\"/machine.slice/container-" n ".scope\"}"
	ASSERT_EQ(1, value_of(text, "mempressure_cgroup_level" CONTAINER("00000")));
	ASSERT_EQ(0, value_of(text, "mempressure_cgroup_soft_over" CONTAINER("00000")));
	ASSERT_EQ(-1, value_of(text, "mempressure_cgroup_level" CONTAINER("09999")));
	free(text);

	/* Room for everything: nothing omitted. */
	s = snapshot();
	text = mpd_metrics_render_alloc(&s, 1 << 20, &len);
	ASSERT_EQ(0, s.cgroups_omitted);
	ASSERT_EQ(5, s.nr_cgroups);
	free(text);
}

/* promtool check metrics: exit 0 and no complaint, on @text. */
static int promtool_check(const char *text, char *out, size_t size)
{
	char path[] = "/tmp/test_metrics.XXXXXX";
	int fd = mkstemp(path), p[2], status;
	ssize_t n;
	size_t len = 0;
	pid_t pid;

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    lseek(fd, 0, SEEK_SET) < 0 || pipe(p) < 0)
		return -1;
	unlink(path);
	pid = fork();
	if (pid == 0) {
		dup2(fd, 0);
		dup2(p[1], 1);
		dup2(p[1], 2);
		execl(PROMTOOL, "promtool", "check", "metrics", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	close(fd);
	while (len + 1 < size && (n = read(p[0], out + len, size - len - 1)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(p[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

TEST(promtool_check_metrics)
{
	struct mpd_metrics_snap s = snapshot(), empty = { .c = &counters };
	char *text, out[8192];

	if (access(PROMTOOL, X_OK))
		SKIP(return, "no %s (Debian's prometheus package)", PROMTOOL);
	counters.callbacks[MPD_CB_HOOK] = 3;
	text = render(&s);
	ASSERT_EQ(0, promtool_check(text, out, sizeof(out))) TH_LOG("%s\n%s", out, text);
	ASSERT_STREQ("", out) TH_LOG("%s", text);
	free(text);
	text = render(&empty);
	ASSERT_EQ(0, promtool_check(text, out, sizeof(out))) TH_LOG("%s\n%s", out, text);
	ASSERT_STREQ("", out);
	free(text);
	/* And it does complain about a label value unescaped, a counter misnamed. */
	ASSERT_NE(0, promtool_check("# HELP x_total y\n# TYPE x_total counter\nx_total{a=\"\n\"} 1\n",
				    out, sizeof(out)));
	ASSERT_NE(0, promtool_check("# HELP x y\n# TYPE x counter\nx 1\n", out, sizeof(out)));
	ASSERT_NE(NULL, strstr(out, "_total"));
	memset(&counters, 0, sizeof(counters));
}

/* --- pods and containers --- */

static int fixture_pod_of(const char *path, struct mp_pod_info *info, void *arg)
{
	return mp_pod_resolve(arg, path, info);
}

static int no_pod_of(const char *path, struct mp_pod_info *info, void *arg)
{
	(void)path;
	(void)info;
	(void)arg;
	return -ENOENT;
}

/* A fixture tree of the host's files, under a new directory: its path. */
static const char *pod_root(void)
{
	static char root[64];

	snprintf(root, sizeof(root), "/tmp/test_metrics_pods.XXXXXX");
	return mkdtemp(root);
}

static void remove_tree(const char *root)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		fprintf(stderr, "# could not remove %s\n", root);
}

/*
 * A container's rows carry its namespace, pod and container, its pod's
 * rows the first two, Docker's own container the last; other cgroups, and
 * those whose names are not found, the cgroup alone.  No sample more.
 */
TEST(pod_labels)
{
	static const struct fx_pod web = { "shop", "web-1", "3f2c1a2b-9d4e-4f60-8a1b-2c3d4e5f6a7b",
					   FX_BURSTABLE };
	static const struct fx_pod gone = { "gone", "away", "6d8b5d1d8b9e0c0c0f1b6c6fa2b2e3e4",
					    FX_GUARANTEED };
	static char path[5][512];
	struct mpd_metrics_cgroup rows[6] = { { .path = "/" } };
	struct mpd_metrics_snap s = { .up = true, .c = &counters, .cgroups = rows,
				      .nr_cgroups = 6, .pod_of = fixture_pod_of };
	const char *root = pod_root();
	char id[3][65], want[1024], out[4096], *text, *plain;
	struct mp_pod_resolver *r;
	size_t len;

	ASSERT_NE(NULL, root);
	r = mp_pod_resolver_new(root, 64, 0);
	ASSERT_NE(NULL, r);
	s.pod_arg = r;
	for (unsigned int i = 0; i < 3; i++)
		fx_id(id[i], 5, i);
	ASSERT_EQ(0, fx_pod_dir(root, &web));
	ASSERT_EQ(0, fx_container(root, FX_CRIO, false, &web, id[0], "nginx"));
	ASSERT_EQ(0, fx_docker_plain(root, id[1], "redis"));
	fx_cgroup(path[0], 512, true, FX_CRIO, &web, id[0]);
	fx_cgroup(path[1], 512, true, FX_CRIO, &web, NULL);
	snprintf(path[2], 512, "/system.slice/docker-%s.scope", id[1]);
	fx_cgroup(path[3], 512, false, FX_CONTAINERD, &gone, id[2]);
	snprintf(path[4], 512, "/system.slice/cron.service");
	for (int i = 0; i < 5; i++) {
		rows[i + 1].path = path[i];
		rows[i + 1].level = 2;
	}
	text = mpd_metrics_render_alloc(&s, 1 << 20, &len);
	ASSERT_NE(NULL, text);
	snprintf(want, sizeof(want), "mempressure_cgroup_level{cgroup=\"%s\",namespace=\"shop\","
		 "pod=\"web-1\",container=\"nginx\"} 2", path[0]);
	EXPECT_TRUE(has_line(text, want)) TH_LOG("%s in\n%s", want, text);
	snprintf(want, sizeof(want), "mempressure_cgroup_soft_over{cgroup=\"%s\",namespace=\"shop\","
		 "pod=\"web-1\"} 0", path[1]);
	EXPECT_TRUE(has_line(text, want)) TH_LOG("%s in\n%s", want, text);
	snprintf(want, sizeof(want), "mempressure_cgroup_usage_bytes{cgroup=\"%s\",container=\"redis\"} 0",
		 path[2]);
	EXPECT_TRUE(has_line(text, want)) TH_LOG("%s in\n%s", want, text);
	for (int i = 3; i < 5; i++) {
		snprintf(want, sizeof(want), "mempressure_cgroup_level{cgroup=\"%s\"} 2", path[i]);
		EXPECT_TRUE(has_line(text, want)) TH_LOG("%s in\n%s", want, text);
	}
	EXPECT_TRUE(has_line(text, "mempressure_cgroup_level{cgroup=\"/\"} 0"));
	/* The same samples without the labels: they add none. */
	s.pod_of = no_pod_of;
	plain = mpd_metrics_render_alloc(&s, 1 << 20, &len);
	ASSERT_NE(NULL, plain);
	for (const char *a = text, *b = plain; *a || *b; a++, b++) {
		a = strchr(a, '\n');
		b = strchr(b, '\n');
		ASSERT_EQ(!a, !b);
		if (!a)
			break;
	}
	if (access(PROMTOOL, X_OK) == 0)
		EXPECT_EQ(0, promtool_check(text, out, sizeof(out))) TH_LOG("%s\n%s", out, text);
	free(plain);
	free(text);
	mp_pod_resolver_free(r);
	remove_tree(root);
}

/* The rows of a fixture node's cgroups (fx_node()), after the host's own. */
struct node {
	struct mpd_metrics_cgroup rows[600];
	char paths[600][256];
	size_t nr, pods, containers;
};

static int node_cg(const char *path, const struct fx_pod *pod, const char *container, void *arg)
{
	struct node *n = arg;

	if (n->nr == sizeof(n->rows) / sizeof(n->rows[0]))
		return -ENOSPC;
	snprintf(n->paths[n->nr], sizeof(n->paths[0]), "%s", path);
	n->rows[n->nr].path = n->paths[n->nr];
	n->nr++;
	n->pods += pod && !container;
	n->containers += container != NULL;
	return 0;
}

/* Series: the lines that are not comments. */
static size_t series(const char *text, const char *with)
{
	size_t n = 0;

	for (const char *l = text; *l; l = strchr(l, '\n') + 1) {
		const char *nl = strchr(l, '\n'), *w = with ? strstr(l, with) : l;

		n += l[0] != '#' && w && w < nl;
	}
	return n;
}

/*
 * A node of 110 pods, the kubelet's default maximum, with the cgroups of
 * a small host beside them: how many series, and how many bytes, the
 * daemon's rendering makes, with and without the pods' labels.  The
 * figures are docs/metrics.md's.
 */
TEST(a_node_of_110_pods)
{
	static const char *const host[] = {
		"/", "/init.scope", "/system.slice", "/system.slice/containerd.service",
		"/system.slice/kubelet.service", "/system.slice/ssh.service",
		"/system.slice/systemd-journald.service", "/system.slice/cron.service",
		"/user.slice",
	};
	static struct node n;
	struct mpd_metrics_snap s = { .up = true, .c = &counters, .pod_of = fixture_pod_of };
	const char *root = pod_root();
	struct mp_pod_resolver *r;
	size_t len, plain_len, all, cg, labelled, reads;
	struct timespec t0, t1, t2;
	char *text, *plain;
	int nr;

	ASSERT_NE(NULL, root);
	for (size_t i = 0; i < sizeof(host) / sizeof(host[0]); i++)
		ASSERT_EQ(0, node_cg(host[i], NULL, NULL, &n));
	nr = fx_node(root, 110, node_cg, &n);
	ASSERT_LT(0, nr);
	ASSERT_EQ(110, n.pods);
	ASSERT_EQ(n.nr, sizeof(host) / sizeof(host[0]) + (size_t)nr);
	r = mp_pod_resolver_new(root, MPD_PODS_CACHE, MPD_PODS_RETRY_MS);
	ASSERT_NE(NULL, r);
	s.pod_arg = r;
	s.cgroups = n.rows;
	s.nr_cgroups = n.nr;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	text = mpd_metrics_render_alloc(&s, 16 << 20, &len);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ASSERT_NE(NULL, text);
	reads = mp_pod_resolver_reads(r);
	/* Again, the names cached: what each later rendering costs. */
	free(mpd_metrics_render_alloc(&s, 16 << 20, &plain_len));
	clock_gettime(CLOCK_MONOTONIC, &t2);
	EXPECT_EQ(reads, mp_pod_resolver_reads(r));
	all = series(text, NULL);
	cg = series(text, "mempressure_cgroup_");
	labelled = series(text, ",pod=\"");
	/* Six series a cgroup; the labels on every pod's and container's. */
	EXPECT_EQ(6 * n.nr, cg);
	EXPECT_EQ(6 * (n.pods + n.containers), labelled);
	EXPECT_EQ(6 * n.containers, series(text, ",container=\""));
	EXPECT_EQ(0, s.cgroups_omitted);
	/* Each container's spec and each pod's directory read once, for six families. */
	EXPECT_EQ(n.containers + n.pods, reads);
	s.pod_of = no_pod_of;
	plain = mpd_metrics_render_alloc(&s, 16 << 20, &plain_len);
	ASSERT_NE(NULL, plain);
	EXPECT_EQ(all, series(plain, NULL));
	ksft_print_msg("a node of 110 pods (%zu containers, %zu sandboxes among them) and %zu "
		       "other cgroups: %zu cgroups, %zu series (%zu of the cgroups, %zu with pod "
		       "labels), %zu bytes; without the labels %zu series, %zu bytes; rendered "
		       "in %.1f ms reading the names, %.1f ms with them cached (ASan)\n",
		       n.containers, n.pods, sizeof(host) / sizeof(host[0]) + 3, n.nr, all, cg,
		       labelled, len, series(plain, NULL), plain_len,
		       (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6,
		       (double)(t2.tv_sec - t1.tv_sec) * 1e3 + (double)(t2.tv_nsec - t1.tv_nsec) / 1e6);
	free(plain);
	free(text);
	mp_pod_resolver_free(r);
	remove_tree(root);
}

TEST(http_request_lines)
{
	static const struct {
		const char *req;
		int status;
		bool head;
	} cases[] = {
		{ "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n", 200, false },
		{ "GET /metrics?x=1 HTTP/1.0\r\n\r\n", 200, false },
		{ "GET /metrics HTTP/1.1\n\n", 200, false },
		{ "HEAD /metrics HTTP/1.1\r\n\r\n", 200, true },
		{ "GET / HTTP/1.1\r\n\r\n", 404, false },
		{ "GET /metricsx HTTP/1.1\r\n\r\n", 404, false },
		{ "POST /metrics HTTP/1.1\r\n\r\n", 405, false },
		{ "get /metrics HTTP/1.1\r\n\r\n", 405, false },
		{ "GET /metrics HTTP/2.0\r\n\r\n", 505, false },
		{ "GET /metrics\r\n\r\n", 400, false },
		{ "GET  /metrics HTTP/1.1\r\n\r\n", 400, false },
		{ "GET metrics HTTP/1.1\r\n\r\n", 400, false },
		{ "GET /metrics FTP/1.1\r\n\r\n", 400, false },
		{ "GET /metrics HTTP/1.1 x\r\n\r\n", 400, false },
		{ "\r\n\r\n", 400, false },
		{ "GET /metrics HTTP/1.1\r\nHost: x\r\n", 0, false },
		{ "GET /metr", 0, false },
	};
	static char big[MPD_HTTP_REQUEST_MAX + 8];
	bool head;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ASSERT_EQ(cases[i].status, mpd_http_request(cases[i].req, strlen(cases[i].req),
							    &head)) TH_LOG("case %zu", i);
		ASSERT_EQ(cases[i].head, head) TH_LOG("case %zu", i);
	}
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
	ASSERT_EQ(431, mpd_http_request(big, MPD_HTTP_REQUEST_MAX, &head));
	ASSERT_EQ(0, mpd_http_request(big, MPD_HTTP_REQUEST_MAX - 1, &head));
	memcpy(big + MPD_HTTP_REQUEST_MAX + 2, "\r\n\r\n", 4);
	ASSERT_EQ(431, mpd_http_request(big, sizeof(big) - 2, &head));
	ASSERT_STREQ("Not Found", mpd_http_reason(404));
}

/* --- the file --- */

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;

	for (struct dirent *e; d && (e = readdir(d));)
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

TEST(file_replaced_atomically)
{
	char dir[] = "/tmp/test_metrics_dir.XXXXXX", path[64], buf[64];
	struct stat st;
	int fd, old;

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/mempressure.prom", dir);
	ASSERT_EQ(0, mpd_metrics_write_file(path, "a 1\n", 4));
	old = open(path, O_RDONLY);
	ASSERT_GE(old, 0);
	umask(077);
	ASSERT_EQ(0, mpd_metrics_write_file(path, "a 2\nb 3\n", 8));
	/* A reader of the old file still reads it whole; the name is the new one. */
	ASSERT_EQ(4, read(old, buf, sizeof(buf)));
	close(old);
	fd = open(path, O_RDONLY);
	ASSERT_EQ(8, read(fd, buf, sizeof(buf)));
	ASSERT_EQ(0, memcmp(buf, "a 2\nb 3\n", 8));
	close(fd);
	/* Readable by node_exporter whatever the umask; no temporary left. */
	ASSERT_EQ(0, stat(path, &st));
	ASSERT_EQ(0644, st.st_mode & 0777);
	ASSERT_EQ(1, count_entries(dir));
	umask(022);
	/* A directory that does not exist: the error, and nothing made. */
	ASSERT_EQ(-ENOENT, mpd_metrics_write_file("/nonexistent/x.prom", "a 1\n", 4));
	unlink(path);
	rmdir(dir);
}

/* --- the HTTP responder, on the loopback --- */

static const char *body_text = "mempressure_daemon_up 1\n";

static char *body(size_t *len, void *arg)
{
	(*(int *)arg)++;
	if (!body_text)
		return NULL;		/* out of memory */
	*len = strlen(body_text);
	return strdup(body_text);
}

struct server {
	struct mpd_http h;
	struct mpd_loop loop;
	int renders;
	struct sockaddr_in sa;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int server_start(struct server *s)
{
	socklen_t len = sizeof(s->sa);

	mpd_http_init(&s->h);
	s->renders = 0;
	memset(&s->sa, 0, sizeof(s->sa));
	s->sa.sin_family = AF_INET;
	s->sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (mpd_loop_init(&s->loop) < 0 ||
	    mpd_http_open(&s->h, (struct sockaddr *)&s->sa, sizeof(s->sa), &s->loop, body,
			  &s->renders) < 0)
		return -1;
	return getsockname(s->h.listen.fd, (struct sockaddr *)&s->sa, &len);
}

static void server_stop(struct server *s)
{
	mpd_http_close(&s->h);
	mpd_loop_done(&s->loop);
}

/* One round of the daemon's loop, up to @ms. */
static void pump(struct server *s, int ms)
{
	mpd_loop_run_once(&s->loop, ms);
}

static int client(struct server *s)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&s->sa, sizeof(s->sa)) < 0)
		return -1;
	return fd;
}

/* What @fd receives until EOF, the server running meanwhile. */
static size_t receive(struct server *s, int fd, char *out, size_t size)
{
	uint64_t end = now_ms() + 3000;
	size_t len = 0;

	while (now_ms() < end && len + 1 < size) {
		ssize_t n;

		pump(s, 20);
		n = recv(fd, out + len, size - len - 1, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN))
			break;
		if (n > 0)
			len += (size_t)n;
	}
	out[len] = '\0';
	return len;
}

static size_t exchange(struct server *s, const char *req, size_t len, char *out, size_t size)
{
	int fd = client(s);
	size_t n;

	if (fd < 0 || send(fd, req, len, 0) != (ssize_t)len)
		return 0;
	n = receive(s, fd, out, size);
	close(fd);
	return n;
}

TEST(http_get_metrics)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
	struct server s;
	char out[4096], want[256];

	ASSERT_EQ(0, server_start(&s));
	ASSERT_LT(0, exchange(&s, req, strlen(req), out, sizeof(out)));
	ASSERT_EQ(0, strncmp(out, "HTTP/1.1 200 OK\r\n", 17)) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	snprintf(want, sizeof(want), "\r\nContent-Length: %zu\r\n", strlen(body_text));
	ASSERT_NE(NULL, strstr(out, want));
	ASSERT_NE(NULL, strstr(out, "\r\nConnection: close\r\n"));
	ASSERT_STREQ(body_text, strstr(out, "\r\n\r\n") + 4);
	ASSERT_EQ(1, s.renders);
	ASSERT_EQ(1, s.h.served);
	/* HEAD: the head alone; another path: 404 and no rendering. */
	ASSERT_LT(0, exchange(&s, "HEAD /metrics HTTP/1.0\r\n\r\n", 26, out, sizeof(out)));
	ASSERT_STREQ("", strstr(out, "\r\n\r\n") + 4);
	ASSERT_NE(NULL, strstr(out, want));
	ASSERT_LT(0, exchange(&s, "GET /x HTTP/1.1\r\n\r\n", 19, out, sizeof(out)));
	ASSERT_EQ(0, strncmp(out, "HTTP/1.1 404 Not Found\r\n", 24));
	ASSERT_EQ(2, s.renders);
	/* No rendering to be had: 503, not counted as served. */
	body_text = NULL;
	ASSERT_LT(0, exchange(&s, req, strlen(req), out, sizeof(out)));
	body_text = "mempressure_daemon_up 1\n";
	ASSERT_EQ(0, strncmp(out, "HTTP/1.1 503 Service Unavailable\r\n", 34)) TH_LOG("%s", out);
	ASSERT_EQ(2, s.h.served);
	/* Every connection closed: no timer needed. */
	ASSERT_EQ(UINT64_MAX, mpd_http_next_deadline(&s.h));
	server_stop(&s);
}

/* The request arriving a byte at a time is still answered. */
TEST(http_request_in_pieces)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\n\r\n";
	struct server s;
	char out[4096];
	int fd;

	ASSERT_EQ(0, server_start(&s));
	fd = client(&s);
	ASSERT_GE(fd, 0);
	for (size_t i = 0; i < strlen(req); i++) {
		ASSERT_EQ(1, send(fd, req + i, 1, 0));
		pump(&s, 5);
	}
	ASSERT_LT(0, receive(&s, fd, out, sizeof(out)));
	ASSERT_EQ(0, strncmp(out, "HTTP/1.1 200 OK\r\n", 17));
	close(fd);
	server_stop(&s);
}

TEST(http_bounds)
{
	static char big[MPD_HTTP_REQUEST_MAX + 100];
	struct server s;
	char out[4096];
	int fds[MPD_HTTP_CONN_MAX + 1];
	uint64_t deadline;

	ASSERT_EQ(0, server_start(&s));
	/* A head longer than the bound: 431, and the connection closed. */
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
	ASSERT_LT(0, exchange(&s, big, sizeof(big), out, sizeof(out)));
	ASSERT_EQ(0, strncmp(out, "HTTP/1.1 431 ", 13)) TH_LOG("%s", out);
	ASSERT_EQ(0, s.renders);

	/* The cap: one connection more than it is answered 503 and closed. */
	for (int i = 0; i <= MPD_HTTP_CONN_MAX; i++) {
		fds[i] = client(&s);
		ASSERT_GE(fds[i], 0);
		pump(&s, 20);
	}
	ASSERT_LT(0, receive(&s, fds[MPD_HTTP_CONN_MAX], out, sizeof(out)));
	ASSERT_EQ(0, strncmp(out, "HTTP/1.1 503 ", 13)) TH_LOG("%s", out);
	ASSERT_EQ(1, s.h.refused);

	/* A client that says nothing holds its slot until its deadline only. */
	deadline = mpd_http_next_deadline(&s.h);
	ASSERT_NE(UINT64_MAX, deadline);
	ASSERT_LE(deadline, now_ms() + MPD_HTTP_TIMEOUT_MS);
	mpd_http_expire(&s.h, deadline - 1);
	ASSERT_EQ(deadline, mpd_http_next_deadline(&s.h));
	mpd_http_expire(&s.h, deadline + MPD_HTTP_TIMEOUT_MS);
	ASSERT_EQ(UINT64_MAX, mpd_http_next_deadline(&s.h));
	for (int i = 0; i < MPD_HTTP_CONN_MAX; i++) {
		ASSERT_EQ(0, recv(fds[i], out, sizeof(out), 0));	/* closed */
		close(fds[i]);
	}
	close(fds[MPD_HTTP_CONN_MAX]);
	/* Slots free again: served. */
	ASSERT_LT(0, exchange(&s, "GET /metrics HTTP/1.1\r\n\r\n", 25, out, sizeof(out)));
	ASSERT_EQ(0, strncmp(out, "HTTP/1.1 200 OK\r\n", 17));
	server_stop(&s);
}

TEST_HARNESS_MAIN
