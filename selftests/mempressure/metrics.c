// SPDX-License-Identifier: GPL-2.0
/*
 * mempressured's metrics in the VM (docs/metrics.md): the daemon from
 * /mp/bin with metrics_file and metrics_listen, a cgroup whose name needs
 * escaping taken over its soft limit by a subscriber that ignores its
 * trims, and then:
 *
 * - the file appears at start, and is only ever seen whole by a reader
 *   that keeps reading it while the daemon rewrites it (each version a new
 *   inode: replaced by rename, never written in place);
 * - it shows the cgroup's level and soft_over, the module's soft_over
 *   event, the trims sent and the reclaim step taken, and the subscriber's
 *   yield, its name and the cgroup's path escaped;
 * - GET /metrics on the loopback answers 200 with the same families;
 * - at SIGTERM the daemon leaves the file with mempressure_daemon_up 0
 *   and no temporary file beside it.
 *
 * promtool is not in the VM (a 48 MB dynamically linked program): the
 * file and the HTTP body of the scenario are printed as diagnostics
 * between "mempressure-metrics begin NAME" and "mempressure-metrics end
 * NAME" lines, and scripts/check runs promtool check metrics on them.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mp_util.h"
#include "mp_proto.h"
#include "mpd_metrics.h"

#define DIR_PATH	"/tmp/mpm"
#define SOCK_PATH	DIR_PATH "/mpd.sock"
#define CONF_PATH	DIR_PATH "/mpd.conf"
#define LOG_PATH	DIR_PATH "/mpd.log"
#define PROM_PATH	DIR_PATH "/prom/mempressure.prom"
#define HTTP_PORT	9469

/* A cgroup and an application whose names need escaping in labels. */
#define CG_NAME		"mpm q\"b\\s"
#define CG_LABEL	"cgroup=\"/mpm q\\\"b\\\\s\""
#define APP_NAME	"met\"app\\"
#define APP_LABEL	"app=\"met\\\"app\\\\\""

#define CONF \
	"[daemon]\n" \
	"socket = " SOCK_PATH "\n" \
	"systemd_socket = -\n" \
	"deadline_ms = 300\n" \
	"grace_ms = 1000\n" \
	"clamp_ms = 3000\n" \
	"reclaim = yes\n" \
	"metrics_file = " PROM_PATH "\n" \
	"metrics_listen = 127.0.0.1:9469\n" \
	"metrics_interval_ms = 200\n"

#define LAST_LINE	"mempressure_metrics_cgroups_omitted 0\n"

static char buf[1 << 20], buf2[1 << 20];

static bool wait_file(const char *path, const char *needle, int timeout_ms)
{
	uint64_t end = mp_now_ms() + (uint64_t)timeout_ms;

	do {
		if (mp_read_text(path, buf, sizeof(buf)) >= 0 && strstr(buf, needle))
			return true;
		poll(NULL, 0, 50);
	} while (mp_now_ms() < end);
	return false;
}

/* The value of the sample @series in @text, or -1 if absent. */
static long long value_of(const char *text, const char *series)
{
	uint64_t v;

	return mpd_metrics_find(text, series, &v) < 0 ? -1 : (long long)v;
}

/*
 * @text as KTAP diagnostics between marks, for the host's promtool
 * (scripts/check): each line after "# ", whole.
 */
static void print_metrics(const char *name, const char *text)
{
	printf("# mempressure-metrics begin %s\n", name);
	while (*text) {
		size_t len = strcspn(text, "\n");

		printf("# %.*s\n", (int)len, text);
		text += len + (text[len] == '\n');
	}
	printf("# mempressure-metrics end %s\n", name);
	fflush(stdout);
}

/* The loopback is down in the VM's init: bring it up for the responder. */
static int loopback_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		r = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (!r && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* GET @target from the responder: the whole response into @out, or -1. */
static ssize_t http_get(const char *target, char *out, size_t size)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(HTTP_PORT),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_sec = 10 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ssize_t n, len = 0;
	char req[128];

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", target);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    send(fd, req, strlen(req), 0) != (ssize_t)strlen(req)) {
		close(fd);
		return -1;
	}
	while ((size_t)len + 1 < size && (n = recv(fd, out + len, size - (size_t)len - 1, 0)) > 0)
		len += n;
	close(fd);
	out[len] = '\0';
	return len;
}

/* The "# TYPE" lines of @text, in order, into @out. */
static void type_lines(const char *text, char *out, size_t size)
{
	size_t len = 0;

	out[0] = '\0';
	for (const char *p = text; (p = strstr(p, "# TYPE ")); p++) {
		size_t n = strcspn(p, "\n") + 1;

		if (len + n + 1 > size)
			break;
		memcpy(out + len, p, n);
		len += n;
		out[len] = '\0';
	}
}

/*
 * The reader: reads the file until killed, exits 1 the first time it sees
 * a part of one (not starting with the first family or not ending with the
 * last line), and writes how many versions (inodes) it saw on @rep.
 */
static int reader_main(int rep)
{
	static char text[1 << 20];
	unsigned long reads = 0, versions = 0;
	ino_t last = 0;

	for (uint64_t end = mp_now_ms() + 60000; mp_now_ms() < end;) {
		struct stat st;
		ssize_t n = mp_read_text(PROM_PATH, text, sizeof(text));

		if (n >= 0) {
			size_t l = strlen(LAST_LINE);

			if (strncmp(text, "# HELP mempressure_daemon_up ", 29) ||
			    (size_t)n < l || strcmp(text + n - l, LAST_LINE))
				return 1;
			reads++;
		}
		if (stat(PROM_PATH, &st) == 0 && st.st_ino != last) {
			last = st.st_ino;
			versions++;
			dprintf(rep, "%lu %lu\n", reads, versions);
		}
		poll(NULL, 0, 5);
	}
	return 0;
}

/* A subscriber that grows to 60 MiB at 16 MiB/s and never answers a trim. */
static int app_main(void *arg)
{
	struct mp_msg_out o;
	char msg[MEMPRESSURED_MSG_MAX + 1];
	uint64_t start = mp_now_ms(), size = 0;
	int fd = mp_daemon_connect(SOCK_PATH);

	(void)arg;
	if (fd < 0)
		return 10;
	mp_msg_begin(&o, MEMPRESSURED_MSG_HELLO);
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_VERSION, MEMPRESSURED_PROTOCOL_VERSION);
	mp_msg_add_str(&o, MEMPRESSURED_KEY_NAME, APP_NAME);
	if (send(fd, o.buf, (size_t)mp_msg_end(&o), 0) < 0)
		return 11;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		while (size < 60 * MiB && size < (mp_now_ms() - start) * 16 * MiB / 1000) {
			char *c = mmap(NULL, MiB, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (c == MAP_FAILED)
				return 12;
			memset(c, 0x5a, MiB);
			size += MiB;
		}
		if (poll(&p, 1, 50) > 0 && recv(fd, msg, sizeof(msg), 0) <= 0)
			return 0;
	}
}

FIXTURE(metrics) {
	pid_t daemon, app, reader;
	int rep;
	bool cg;
};

FIXTURE_SETUP(metrics)
{
	self->daemon = self->app = self->reader = 0;
	self->rep = -1;
	self->cg = false;
	if (access(MP_DAEMON_BIN, X_OK))
		SKIP(return, "no %s", MP_DAEMON_BIN);
	ASSERT_EQ(0, loopback_up());
	ASSERT_EQ(0, mp_load(MP_TEST_PARAMS));
	mkdir(DIR_PATH, 0755);
	mkdir(DIR_PATH "/prom", 0755);
	unlink(PROM_PATH);
}

FIXTURE_TEARDOWN(metrics)
{
	if (self->reader > 0)
		mp_kill_child(self->reader);
	if (self->app > 0)
		mp_kill_child(self->app);
	if (self->daemon > 0)
		mp_kill_child(self->daemon);
	if (self->rep >= 0)
		close(self->rep);
	if (self->cg)
		cg_destroy(CG_NAME);
	mp_unload();
}

static pid_t daemon_run(void)
{
	static const char *const verbose[] = { "-v", NULL };
	static const struct mp_daemon_files files = { CONF_PATH, LOG_PATH, SOCK_PATH };

	return mp_daemon_start(&files, CONF, verbose, true);
}

TEST_F_TIMEOUT(metrics, file_and_http, 150)
{
	static char types_file[65536], types_http[65536], rep[65536];
	unsigned long reads = 0, versions = 0;
	const char *body, *last;
	size_t len;
	char series[256];
	bool seen_over = false, seen_level = false;
	uint64_t end;
	int p[2], status;
	ssize_t n;
	DIR *dir;

	ASSERT_EQ(0, cg_create_leaf(CG_NAME));
	self->cg = true;
	ASSERT_EQ(0, cg_write(CG_NAME, "memory.swap.max", "0"));
	ASSERT_EQ(0, cg_write(CG_NAME, "memory.max", "67108864"));

	self->daemon = daemon_run();
	ASSERT_GT(self->daemon, 0);
	/* At start: the file, with the daemon up and the module open. */
	ASSERT_TRUE(wait_file(PROM_PATH, "\nmempressure_module_open 1\n", MP_WAIT_MS))
		TH_LOG("%s\nlog: %s", buf, mp_read_text(LOG_PATH, buf2, sizeof(buf2)) >= 0 ? buf2 : "");
	ASSERT_EQ(1, value_of(buf, "mempressure_daemon_up"));
	/*
	 * Before the scenario: nothing over (the cgroup's row 0, or not
	 * sampled yet), nothing sent, no step.
	 */
	ASSERT_GE(0, value_of(buf, "mempressure_cgroup_soft_over{" CG_LABEL "}")) TH_LOG("%s", buf);
	ASSERT_EQ(0, value_of(buf, "mempressure_callbacks_total{kind=\"trim\"}"));
	ASSERT_EQ(0, value_of(buf, "mempressure_escalations_total{step=\"reclaim\"}"));
	ASSERT_EQ(-1, value_of(buf, "mempressure_app_trim_requests_total{" APP_LABEL "}"));

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	self->reader = mp_fork();
	if (self->reader == 0) {
		close(p[0]);
		_exit(reader_main(p[1]));
	}
	close(p[1]);
	self->rep = p[0];
	fcntl(self->rep, F_SETFL, O_NONBLOCK);

	self->app = cg_run_nowait(CG_NAME, app_main, NULL);
	ASSERT_GT(self->app, 0);
	/* Over the soft limit (85 % of 64 MiB): the event, trims, then reclaim. */
	end = mp_now_ms() + MP_WAIT_MS * 2;
	do {
		if (mp_read_text(PROM_PATH, buf, sizeof(buf)) > 0) {
			seen_over |= value_of(buf, "mempressure_cgroup_soft_over{" CG_LABEL "}") == 1;
			seen_level |= value_of(buf, "mempressure_cgroup_level{" CG_LABEL "}") >= 1;
		}
		if (seen_over && seen_level &&
		    value_of(buf, "mempressure_escalations_total{step=\"reclaim\"}") >= 1 &&
		    value_of(buf, "mempressure_app_trim_timeouts_total{" APP_LABEL "}") >= 1)
			break;
		poll(NULL, 0, 50);
	} while (mp_now_ms() < end);
	ASSERT_TRUE(seen_over) TH_LOG("%s", buf);
	ASSERT_TRUE(seen_level) TH_LOG("%s", buf);
	ASSERT_GE(value_of(buf, "mempressure_module_events_total{kind=\"soft_over\"}"), 1)
		TH_LOG("%s", buf);
	ASSERT_GE(value_of(buf, "mempressure_escalations_total{step=\"reclaim\"}"), 1)
		TH_LOG("%s\nlog: %s", buf, mp_read_text(LOG_PATH, buf2, sizeof(buf2)) >= 0 ? buf2 : "");
	ASSERT_GE(value_of(buf, "mempressure_callbacks_total{kind=\"trim\"}"), 1);
	ASSERT_GE(value_of(buf, "mempressure_app_trim_requests_total{" APP_LABEL "}"), 1)
		TH_LOG("%s", buf);
	ASSERT_GE(value_of(buf, "mempressure_app_trim_timeouts_total{" APP_LABEL "}"), 1);
	ASSERT_EQ(0, value_of(buf, "mempressure_app_trim_replies_total{" APP_LABEL "}"));
	ASSERT_EQ(1, value_of(buf, "mempressure_subscribers"));
	ASSERT_EQ(0, value_of(buf, "mempressure_dry_run_actions_total{action=\"reclaim\"}"));
	snprintf(series, sizeof(series), "mempressure_cgroup_soft_limit_bytes{%s}", CG_LABEL);
	ASSERT_GT(value_of(buf, series), 0);

	/* HTTP: 200, the same families as the file (read right after). */
	n = http_get("/metrics", buf2, sizeof(buf2));
	ASSERT_GT(n, 0);
	ASSERT_EQ(0, strncmp(buf2, "HTTP/1.1 200 OK\r\n", 17)) TH_LOG("%s", buf2);
	ASSERT_NE(NULL, strstr(buf2, "\r\nContent-Type: text/plain; version=0.0.4"));
	body = strstr(buf2, "\r\n\r\n");
	ASSERT_NE(NULL, body);
	ASSERT_EQ(0, strncmp(body + 4, "# HELP mempressure_daemon_up ", 29));
	ASSERT_EQ(1, value_of(body + 4, "mempressure_daemon_up"));
	ASSERT_GE(value_of(body + 4, "mempressure_cgroup_level{" CG_LABEL "}"), 0);
	ASSERT_GT(mp_read_text(PROM_PATH, buf, sizeof(buf)), 0);
	type_lines(buf, types_file, sizeof(types_file));
	type_lines(body + 4, types_http, sizeof(types_http));
	ASSERT_STREQ(types_file, types_http);
	print_metrics("file", buf);
	print_metrics("http", body + 4);
	n = http_get("/nothing", buf2, sizeof(buf2));
	ASSERT_EQ(0, strncmp(buf2, "HTTP/1.1 404 ", 13)) TH_LOG("%s", buf2);

	/* The reader, still running, only ever saw whole files, of several versions. */
	mp_kill_child(self->app);
	self->app = 0;
	ASSERT_EQ(0, waitpid(self->reader, &status, WNOHANG)) TH_LOG("the reader saw a part");
	mp_kill_child(self->reader);
	self->reader = 0;
	len = 0;
	while (len + 1 < sizeof(rep) && (n = read(self->rep, rep + len, sizeof(rep) - len - 1)) > 0)
		len += (size_t)n;
	rep[len] = '\0';
	ASSERT_LT(0, len);
	last = rep + len - 1;		/* the newline of the last line */
	while (last > rep && last[-1] != '\n')
		last--;
	ASSERT_EQ(2, sscanf(last, "%lu %lu", &reads, &versions));
	ksft_print_msg("reader: %lu whole reads of %lu versions of the file\n", reads, versions);
	ASSERT_GE(versions, 3);
	ASSERT_GE(reads, 10);

	/* SIGTERM: exit 0, the file says it is down, nothing left beside it. */
	kill(self->daemon, SIGTERM);
	ASSERT_EQ(0, mp_wait_child(self->daemon, &status, MP_WAIT_MS));
	self->daemon = 0;
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ASSERT_GT(mp_read_text(PROM_PATH, buf, sizeof(buf)), 0);
	ASSERT_EQ(0, value_of(buf, "mempressure_daemon_up"));
	dir = opendir(DIR_PATH "/prom");
	ASSERT_NE(NULL, dir);
	n = 0;
	for (struct dirent *e; (e = readdir(dir));)
		n += e->d_name[0] != '.';
	closedir(dir);
	ASSERT_EQ(1, n);
}

TEST_HARNESS_MAIN
