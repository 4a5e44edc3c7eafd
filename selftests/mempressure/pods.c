// SPDX-License-Identifier: GPL-2.0
/*
 * Pods in the VM: applications in pods subscribe to mempressured, and the
 * CLI and the daemon's metrics name pods and containers.
 *
 * - an application in a pod: started as a container runtime starts one
 *   (moved into its container's cgroup, then its own pid, mount and cgroup
 *   namespaces, a root of its own where the daemon's socket directory is
 *   bind-mounted read-only, as a hostPath volume is, /proc and cgroup2
 *   mounted as it sees them), it subscribes on both of the daemon's
 *   sockets; the daemon knows it by its pid on the host and its cgroup's
 *   path from the root, while it is pid 1 in cgroup / itself; it gets its
 *   cgroup's trims and systemd wake-ups, and an application in another
 *   pod none of them;
 * - a bind mount of the socket file itself goes stale when the daemon
 *   restarts (a new socket is a new inode), one of its directory does not;
 * - cgroup trees of each cgroup driver and runtime, with the kubelet's and
 *   the runtimes' files where they keep them (pod_fixture.c): top,
 *   cgroups, events and apps name their pods and containers, and the
 *   daemon's metrics label them;
 * - a node of 110 pods: the series of the daemon's metrics, counted.
 *
 * The host's files are written where they are on a node (/var/log/pods,
 * /run/containerd, ...: the guest's root is a ramfs of its own) and
 * removed after each test.
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
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mp_util.h"
#include "mp_proto.h"
#include "pod_fixture.h"

/* The daemon's socket directory: the host's /run/mempressured. */
#define RUN_DIR		"/tmp/pods-run"
#define SOCK_PATH	RUN_DIR "/mempressured.sock"
#define SD_SOCK_PATH	RUN_DIR "/memory-pressure.sock"
#define CONF_PATH	"/tmp/pods-mpd.conf"
#define LOG_PATH	"/tmp/pods-mpd.log"
#define METRICS_PATH	"/tmp/pods-metrics.prom"
/* Where a pod mounts them: the example Deployment's paths. */
#define POD_RUN_DIR	"/run/mempressured"
#define POD_SOCK	POD_RUN_DIR "/mempressured.sock"
#define POD_SD_SOCK	POD_RUN_DIR "/memory-pressure.sock"
#define POD_FILE_SOCK	"/run/mempressured.sock"
#define CLI_BIN		"/mp/bin/mempressure"
/* The host's files, as a node keeps them (removed after each test). */
#define HOST_TREES	"/var/log/pods /var/lib/docker /var/lib/containers /run/containerd " \
			"/run/containers"

#define CONF \
	"[daemon]\n" \
	"socket = " SOCK_PATH "\n" \
	"systemd_socket = " SD_SOCK_PATH "\n" \
	"deadline_ms = 300\n" \
	"grace_ms = 1000\n" \
	"clamp_ms = 3000\n" \
	"metrics_file = " METRICS_PATH "\n" \
	"metrics_interval_ms = 200\n"

/* --- an application in a pod --- */

struct app {
	const char *cg;		/* its container's cgroup, from the root */
	const char *name;	/* its name for the daemon */
	uint64_t grow_to;	/* bytes it grows to, 16 MiB/s (0: it stays small) */
	bool file_mount;	/* the socket file mounted too, at POD_FILE_SOCK */
	char root[64];		/* its root directory, on the host */
	int out;		/* a line per thing it saw */
	int go;			/* a byte: connect again (after a daemon restart) */
	uint64_t run_ms;
};

#define CHUNK		(1 * MiB)
#define MAX_CHUNKS	128

static int say_connect(struct app *a, const char *what, const char *path, int type)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		dprintf(a->out, "%s: connected\n", what);
		return fd;
	}
	dprintf(a->out, "%s: %s\n", what, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

static int hello(struct app *a, int fd)
{
	struct mp_msg_out o;

	mp_msg_begin(&o, MEMPRESSURED_MSG_HELLO);
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_VERSION, MEMPRESSURED_PROTOCOL_VERSION);
	mp_msg_add_str(&o, MEMPRESSURED_KEY_NAME, a->name);
	return send(fd, o.buf, (size_t)mp_msg_end(&o), 0) < 0 ? -errno : 0;
}

/* What the application sees of itself: its pid and cgroup, its memory.max. */
static void say_self(struct app *a)
{
	char buf[256] = "", max[64] = "";
	int fd = open("/proc/self/cgroup", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	fd = open("/sys/fs/cgroup/memory.max", O_RDONLY);
	n = fd < 0 ? -1 : read(fd, max, sizeof(max) - 1);
	if (fd >= 0)
		close(fd);
	max[n > 0 ? n : 0] = '\0';
	max[strcspn(max, "\n")] = '\0';
	dprintf(a->out, "inside: pid %d, %s, memory.max %s\n", getpid(), buf, max);
}

/* pid 1 of the pod: subscribe on both sockets, grow, trim when asked. */
static int app_init(struct app *a)
{
	static char *chunks[MAX_CHUNKS];
	static struct mp_msg m;
	char buf[MEMPRESSURED_MSG_MAX + 1];
	uint64_t size = 0, ceiling = a->grow_to, start = mp_now_ms();
	int nr = 0, fd, sd;

	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) ||
	    mount("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) {
		dprintf(a->out, "mount: %s\n", strerror(errno));
		return 20;
	}
	say_self(a);
	fd = say_connect(a, "socket", POD_SOCK, SOCK_SEQPACKET);
	sd = say_connect(a, "systemd socket", POD_SD_SOCK, SOCK_STREAM);
	if (a->file_mount)
		close(say_connect(a, "file mount", POD_FILE_SOCK, SOCK_SEQPACKET));
	if (fd < 0 || sd < 0 || hello(a, fd))
		return 21;
	while (mp_now_ms() - start < a->run_ms) {
		struct pollfd p[3] = {
			{ .fd = fd, .events = POLLIN }, { .fd = sd, .events = POLLIN },
			{ .fd = a->go, .events = POLLIN },
		};
		uint64_t due = (mp_now_ms() - start) * 16 * MiB / 1000;
		ssize_t n;

		while (size + CHUNK <= ceiling && size < due && nr < MAX_CHUNKS) {
			chunks[nr] = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (chunks[nr] == MAP_FAILED)
				return 22;
			memset(chunks[nr++], 0x5a, CHUNK);
			size += CHUNK;
		}
		if (poll(p, 3, 50) <= 0)
			continue;
		if (p[1].revents) {
			n = read(sd, buf, sizeof(buf));
			dprintf(a->out, "systemd socket: %s\n", n > 0 ? "woken" : "closed");
			if (n <= 0) {
				close(sd);
				sd = -1;
			}
		}
		if (p[2].revents) {
			/* The daemon restarted: connect again, both ways. */
			if (read(a->go, buf, 1) != 1)
				return 23;
			close(say_connect(a, "file mount again", POD_FILE_SOCK, SOCK_SEQPACKET));
			close(fd);
			fd = say_connect(a, "socket again", POD_SOCK, SOCK_SEQPACKET);
			if (fd < 0 || hello(a, fd))
				return 24;
			continue;
		}
		if (!p[0].revents)
			continue;
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0) {
			dprintf(a->out, "socket: EOF\n");
			close(fd);
			fd = -1;
			while (poll(&p[2], 1, 100) == 0 && mp_now_ms() - start < a->run_ms)
				;
			continue;
		}
		buf[n] = '\0';
		dprintf(a->out, "got: %s\n", buf);
		if (mp_msg_parse(buf, (size_t)n, &m) == 0 && m.type == MEMPRESSURED_MSG_TRIM) {
			uint64_t want = 0, id = 0, freed = 0;
			struct mp_msg_out o;

			mp_msg_get_u64(&m, MEMPRESSURED_KEY_WANT, &want);
			mp_msg_get_u64(&m, MEMPRESSURED_KEY_ID, &id);
			while (freed < want && nr > 0) {
				munmap(chunks[--nr], CHUNK);
				size -= CHUNK;
				freed += CHUNK;
			}
			ceiling = size;
			mp_msg_begin(&o, MEMPRESSURED_MSG_TRIMMED);
			mp_msg_add_u64(&o, MEMPRESSURED_KEY_ID, id);
			mp_msg_add_u64(&o, MEMPRESSURED_KEY_FREED, freed);
			send(fd, o.buf, (size_t)mp_msg_end(&o), MSG_DONTWAIT);
		}
	}
	return 0;
}

/* A bind mount of @from at @to, read-only as a hostPath volume with readOnly: true. */
static int bind_ro(const char *from, const char *to)
{
	if (mount(from, to, NULL, MS_BIND, NULL))
		return -errno;
	return mount(NULL, to, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) ? -errno : 0;
}

/*
 * The pod's root: a tmpfs with the socket directory (and the socket file)
 * bind-mounted from the host, and mount points for /proc and cgroup2.
 */
static int app_root(struct app *a)
{
	static const char *const dirs[] = { "/run", POD_RUN_DIR, "/proc", "/sys", "/sys/fs",
					    "/sys/fs/cgroup" };
	char path[128];
	int fd;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("tmpfs", a->root, "tmpfs", 0, "mode=755"))
		return -errno;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", a->root, dirs[i]);
		if (mkdir(path, 0755))
			return -errno;
	}
	snprintf(path, sizeof(path), "%s%s", a->root, POD_RUN_DIR);
	if (bind_ro(RUN_DIR, path))
		return -errno;
	if (a->file_mount) {
		snprintf(path, sizeof(path), "%s%s", a->root, POD_FILE_SOCK);
		fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
		if (fd < 0 || close(fd) || bind_ro(SOCK_PATH, path))
			return -errno;
	}
	return chroot(a->root) || chdir("/") ? -errno : 0;
}

/* In the container's cgroup already (cg_run_nowait()): the namespaces, the root, pid 1. */
static int app_main(void *arg)
{
	struct app *a = arg;
	int status, r;
	pid_t pid;

	if (unshare(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWCGROUP)) {
		dprintf(a->out, "unshare: %s\n", strerror(errno));
		return 10;
	}
	r = app_root(a);
	if (r) {
		dprintf(a->out, "root: %s\n", strerror(-r));
		return 11;
	}
	/* Not mp_fork(): in its own pid namespace its parent is pid 0. */
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(app_init(a));
	}
	dprintf(a->out, "host pid %d\n", pid);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 12;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 13;
}

/* Wait until what @fd delivered (collected in @acc) has @needle. */
static bool wait_pipe(int fd, char *acc, size_t size, const char *needle, int timeout_ms)
{
	uint64_t end = mp_now_ms() + (uint64_t)timeout_ms;

	do {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		size_t len = strlen(acc);
		ssize_t n;

		while (len + 1 < size && (n = read(fd, acc + len, size - len - 1)) > 0)
			len += (size_t)n;
		acc[len] = '\0';
		if (strstr(acc, needle))
			return true;
		poll(&p, 1, 100);
	} while (mp_now_ms() < end);
	return false;
}

/* --- the CLI, its standard output collected --- */

static pid_t cli_spawn(const char *const *argv, int *fd)
{
	const char *args[16] = { "mempressure" };
	int p[2];
	pid_t pid;

	for (int i = 0; argv[i] && i < 14; i++)
		args[i + 1] = argv[i];
	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = mp_fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(p[1], 1);
		dup2(null, 2);
		execv(CLI_BIN, (char *const *)args);
		_exit(127);
	}
	close(p[1]);
	*fd = p[0];
	return pid;
}

/* Its output until it exits (within MP_WAIT_MS), into @out; its exit status. */
static int cli_collect(pid_t pid, int fd, char *out, size_t size)
{
	size_t len = 0;
	int status;
	ssize_t n;

	out[0] = '\0';
	while ((n = read(fd, out + len, size - len - 1)) > 0 && len + (size_t)n < size - 1)
		len += (size_t)n;
	out[len] = '\0';
	close(fd);
	if (mp_wait_child(pid, &status, MP_WAIT_MS)) {
		mp_kill_child(pid);
		return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#define CLI(out, ...) ({ \
	const char *const _argv[] = { __VA_ARGS__, NULL }; \
	int _fd, _rc; \
	pid_t _pid = cli_spawn(_argv, &_fd); \
	_rc = _pid > 0 ? cli_collect(_pid, _fd, out, sizeof(out)) : -1; \
	_rc; \
})

/* --- the fixture: the daemon, cgroups made, processes in them --- */

#define CGS_MAX		640

FIXTURE(pods) {
	pid_t daemon;
	pid_t kids[16];
	int nr_kids;
	char (*cgs)[256];	/* made, parents first */
	int nr_cgs;
	struct app *apps[4];
	int nr_apps;
};

static pid_t daemon_start(void)
{
	static const char *const verbose[] = { "-v", NULL };
	pid_t pid;

	mkdir(RUN_DIR, 0755);
	unlink(METRICS_PATH);
	if (mp_write_file(CONF_PATH, CONF) < 0)
		return -1;
	pid = mp_daemon_spawn(CONF_PATH, LOG_PATH, false, verbose);
	if (pid > 0 && !mp_wait_file(LOG_PATH, "reading the module's events", MP_WAIT_MS))
		return -1;
	return pid;
}

static void daemon_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	if (mp_wait_child(pid, NULL, MP_WAIT_MS))
		mp_kill_child(pid);
}

FIXTURE_SETUP(pods)
{
	self->daemon = 0;
	self->nr_kids = 0;
	self->nr_cgs = 0;
	self->nr_apps = 0;
	self->cgs = calloc(CGS_MAX, sizeof(*self->cgs));
	ASSERT_NE(NULL, self->cgs);
	if (access(MP_DAEMON_BIN, X_OK) || access(CLI_BIN, X_OK))
		SKIP(return, "no %s or %s", MP_DAEMON_BIN, CLI_BIN);
	ASSERT_EQ(0, mp_load("interval_ms=200"));
}

FIXTURE_TEARDOWN(pods)
{
	for (int i = 0; i < self->nr_kids; i++)
		if (self->kids[i] > 0)
			mp_kill_child(self->kids[i]);
	daemon_stop(self->daemon);
	for (int i = self->nr_cgs; i-- > 0;)
		cg_destroy(self->cgs[i]);
	for (int i = 0; i < self->nr_apps; i++) {
		rmdir(self->apps[i]->root);
		close(self->apps[i]->out);
		close(self->apps[i]->go);
		free(self->apps[i]);
	}
	free(self->cgs);
	mp_unload();
	unlink(SOCK_PATH);
	unlink(SD_SOCK_PATH);
	rmdir(RUN_DIR);
	if (system("rm -rf " HOST_TREES))
		ksft_print_msg("could not remove %s\n", HOST_TREES);
}

/* Make cgroup @path (from the root) and its parents; a container's is a leaf. */
static int make_cgroup(FIXTURE_DATA(pods) *self, const char *path, bool leaf)
{
	char part[256];

	for (const char *s = strchr(path + 1, '/'); ; s = strchr(s + 1, '/')) {
		bool last = !s;
		int r, i;

		snprintf(part, sizeof(part), "%.*s", (int)(last ? strlen(path) : (size_t)(s - path)),
			 path);
		for (i = 0; i < self->nr_cgs && strcmp(self->cgs[i], part); i++)
			;
		if (i == self->nr_cgs) {
			if (self->nr_cgs == CGS_MAX)
				return -ENOSPC;
			r = last && leaf ? cg_create_leaf(part) : cg_create(part);
			if (r)
				return r;
			snprintf(self->cgs[self->nr_cgs++], 256, "%s", part);
		}
		if (last)
			return 0;
	}
}

/* An idle process named @comm in cgroup @path. */
static int idle(void *arg)
{
	prctl(PR_SET_NAME, arg);
	for (;;)
		pause();
	return 0;
}

static pid_t start_idle(FIXTURE_DATA(pods) *self, const char *path, const char *comm)
{
	pid_t pid = cg_run_nowait(path, idle, (void *)comm);

	if (pid > 0 && self->nr_kids < 16)
		self->kids[self->nr_kids++] = pid;
	return pid;
}

static struct app *start_app(struct __test_metadata *_metadata, FIXTURE_DATA(pods) *self,
			     const char *cg, const char *name, uint64_t grow_to, bool file_mount)
{
	struct app *a = calloc(1, sizeof(*a));
	int out[2], go[2];
	pid_t pid;

	if (!a || pipe2(out, O_CLOEXEC) || pipe2(go, O_CLOEXEC)) {
		free(a);
		return NULL;
	}
	a->cg = cg;
	a->name = name;
	a->grow_to = grow_to;
	a->file_mount = file_mount;
	a->run_ms = 60000;
	a->out = out[1];
	a->go = go[0];
	snprintf(a->root, sizeof(a->root), "/tmp/pod-root-%d", self->nr_apps);
	if (mkdir(a->root, 0755) && errno != EEXIST)
		TH_LOG("mkdir %s: %s", a->root, strerror(errno));
	pid = cg_run_nowait(cg, app_main, a);
	/* Here: the app's output to read, the byte to write. */
	close(out[1]);
	close(go[0]);
	a->out = out[0];
	a->go = go[1];
	fcntl(a->out, F_SETFL, O_NONBLOCK);
	self->apps[self->nr_apps++] = a;
	if (pid > 0)
		self->kids[self->nr_kids++] = pid;
	return pid > 0 ? a : NULL;
}

/* The daemon's metrics file, once it has @needle, into @buf: its length. */
static int read_metrics(const char *needle, char *buf, size_t size)
{
	int fd, n;

	if (!mp_wait_file(METRICS_PATH, needle, MP_WAIT_MS))
		return -ETIMEDOUT;
	fd = open(METRICS_PATH, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = (int)read(fd, buf, size - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

/* The number after @key in @text ("host pid 123"), or -1. */
static long number_after(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

/* --- an application in a pod --- */

/*
 * The tests' container IDs are fx_id(200 + N, ...), apart from fx_node()'s
 * (fx_id(1..110, ...)): the daemon knows a container by its ID alone, so a
 * cgroup an earlier test left behind must not share one with the node.
 */
static const struct fx_pod web1 = { "shop", "web-1", "3f2c1a2b-9d4e-4f60-8a1b-2c3d4e5f6a7b",
				    FX_BURSTABLE };
static const struct fx_pod web2 = { "shop", "web-2", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
				    FX_BURSTABLE };

/*
 * Two pods, an application each in its own namespaces; one grows toward
 * its limit.  Each is known by its host pid and its cgroup's full path,
 * and only the one whose cgroup is under pressure hears of it.
 */
TEST_F_TIMEOUT(pods, application_in_a_pod_hears_its_own_cgroup, 180)
{
	static char acc_a[65536], acc_b[65536], out[8192];
	char cg_a[256], cg_b[256], id_a[65], id_b[65], want[512];
	struct app *a, *b;
	long pid_a, pid_b;

	fx_id(id_a, 201, 1);
	fx_id(id_b, 202, 1);
	fx_cgroup(cg_a, sizeof(cg_a), true, FX_CONTAINERD, &web1, id_a);
	fx_cgroup(cg_b, sizeof(cg_b), true, FX_CONTAINERD, &web2, id_b);
	ASSERT_EQ(0, make_cgroup(self, cg_a, true));
	ASSERT_EQ(0, make_cgroup(self, cg_b, true));
	ASSERT_EQ(0, cg_write(cg_a, "memory.max", "67108864"));
	ASSERT_EQ(0, cg_write(cg_a, "memory.swap.max", "0"));
	ASSERT_EQ(0, cg_write(cg_b, "memory.max", "67108864"));
	ASSERT_EQ(0, fx_pod_dir("/", &web1));
	ASSERT_EQ(0, fx_pod_dir("/", &web2));
	ASSERT_EQ(0, fx_container("/", FX_CONTAINERD, false, &web1, id_a, "cache"));
	ASSERT_EQ(0, fx_container("/", FX_CONTAINERD, false, &web2, id_b, "cache"));
	self->daemon = daemon_start();
	ASSERT_GT(self->daemon, 0);

	b = start_app(_metadata, self, cg_b, "idle-app", 0, false);
	ASSERT_NE(NULL, b);
	ASSERT_TRUE(wait_pipe(b->out, acc_b, sizeof(acc_b), "msg=welcome", MP_WAIT_MS))
		TH_LOG("b: %s", acc_b);
	a = start_app(_metadata, self, cg_a, "growing-app", 60 * MiB, false);
	ASSERT_NE(NULL, a);
	ASSERT_TRUE(wait_pipe(a->out, acc_a, sizeof(acc_a), "msg=trim ", MP_WAIT_MS))
		TH_LOG("a: %s\nlog: %s", acc_a, "see " LOG_PATH);
	ASSERT_TRUE(wait_pipe(a->out, acc_a, sizeof(acc_a), "systemd socket: woken", MP_WAIT_MS))
		TH_LOG("a: %s", acc_a);

	/* Inside: pid 1, at the root of its cgroup namespace, its own limit. */
	EXPECT_NE(NULL, strstr(acc_a, "inside: pid 1, 0::/, memory.max 67108864"))
		TH_LOG("%s", acc_a);
	EXPECT_NE(NULL, strstr(acc_b, "inside: pid 1, 0::/, memory.max 67108864"))
		TH_LOG("%s", acc_b);
	/* The daemon: its pid on the host, its cgroup from the root. */
	pid_a = number_after(acc_a, "host pid ");
	pid_b = number_after(acc_b, "host pid ");
	ASSERT_GT(pid_a, 1);
	ASSERT_GT(pid_b, 1);
	EXPECT_EQ(pid_a, number_after(acc_a, "msg=welcome version=1 pid="));
	EXPECT_EQ(pid_b, number_after(acc_b, "msg=welcome version=1 pid="));
	snprintf(want, sizeof(want), "cgroup=%s ", cg_a);
	EXPECT_NE(NULL, strstr(acc_a, want)) TH_LOG("%s", acc_a);
	snprintf(want, sizeof(want), "msg=trim id=");
	EXPECT_NE(NULL, strstr(acc_a, want));
	snprintf(want, sizeof(want), "cgroup=%s pid=%ld", cg_a, pid_a);
	EXPECT_NE(NULL, strstr(acc_a, want)) TH_LOG("the trim names its host pid: %s", acc_a);
	snprintf(want, sizeof(want), "cgroup=%s ", cg_b);
	EXPECT_NE(NULL, strstr(acc_b, want)) TH_LOG("%s", acc_b);
	/* The daemon's log names its pod and container. */
	snprintf(want, sizeof(want), "subscriber growing-app: pid %ld, cgroup %s (shop/web-1/cache)",
		 pid_a, cg_a);
	EXPECT_TRUE(mp_wait_file(LOG_PATH, want, MP_WAIT_MS)) TH_LOG("%s not in %s", want, LOG_PATH);

	/* apps: the subscribers by pod (-o picks the applications' columns). */
	ASSERT_EQ(0, CLI(out, "apps", "-S", SOCK_PATH, "--raw", "-n"));
	snprintf(want, sizeof(want), "growing-app\t%ld\t%s\tshop/web-1\tcache\t", pid_a, cg_a);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s in\n%s", want, out);
	snprintf(want, sizeof(want), "idle-app\t%ld\t%s\tshop/web-2\tcache\t", pid_b, cg_b);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s in\n%s", want, out);

	/* b, still there, heard nothing of a's cgroup, on either socket. */
	wait_pipe(b->out, acc_b, sizeof(acc_b), "\x01", 0);
	EXPECT_EQ(NULL, strstr(acc_b, cg_a)) TH_LOG("%s", acc_b);
	EXPECT_EQ(NULL, strstr(acc_b, "msg=trim")) TH_LOG("%s", acc_b);
	EXPECT_EQ(NULL, strstr(acc_b, "systemd socket: woken")) TH_LOG("%s", acc_b);
	EXPECT_EQ(NULL, strstr(acc_b, "EOF")) TH_LOG("%s", acc_b);
	EXPECT_EQ(NULL, strstr(acc_a, cg_b)) TH_LOG("%s", acc_a);
}

/*
 * A hostPath of the socket file binds the inode the daemon made; after a
 * restart the path holds a new socket, and the pod still has the old one.
 * A hostPath of the directory follows the path.
 */
TEST_F_TIMEOUT(pods, a_mounted_socket_file_goes_stale_its_directory_does_not, 120)
{
	static char acc[65536];
	char cg[256], id[65];
	struct app *a;

	fx_id(id, 203, 1);
	fx_cgroup(cg, sizeof(cg), true, FX_CRIO, &web1, id);
	ASSERT_EQ(0, make_cgroup(self, cg, true));
	self->daemon = daemon_start();
	ASSERT_GT(self->daemon, 0);
	a = start_app(_metadata, self, cg, "mounted", 0, true);
	ASSERT_NE(NULL, a);
	ASSERT_TRUE(wait_pipe(a->out, acc, sizeof(acc), "msg=welcome", MP_WAIT_MS))
		TH_LOG("%s", acc);
	EXPECT_NE(NULL, strstr(acc, "file mount: connected")) TH_LOG("%s", acc);

	daemon_stop(self->daemon);
	ASSERT_TRUE(wait_pipe(a->out, acc, sizeof(acc), "socket: EOF", MP_WAIT_MS))
		TH_LOG("%s", acc);
	self->daemon = daemon_start();
	ASSERT_GT(self->daemon, 0);
	ASSERT_EQ(1, write(a->go, "g", 1));
	ASSERT_TRUE(wait_pipe(a->out, acc, sizeof(acc), "socket again: connected", MP_WAIT_MS))
		TH_LOG("%s", acc);
	ASSERT_TRUE(wait_pipe(a->out, acc, sizeof(acc), "socket again: connected\ngot: msg=welcome",
			      MP_WAIT_MS)) TH_LOG("%s", acc);
	EXPECT_NE(NULL, strstr(acc, "file mount again: Connection refused")) TH_LOG("%s", acc);
}

/* --- pods of each layout, by name --- */

struct layout {
	bool systemd;
	enum fx_runtime rt;
	const struct fx_pod *pod;
	const char *container;	/* NULL: the pod's own cgroup, or "POD": its sandbox */
	const char *comm;
	const char *want_pod, *want_container, *want_qos, *want_runtime;	/* raw cells */
};

#define LAYOUTS		6

TEST_F_TIMEOUT(pods, pods_of_each_layout_by_name, 180)
{
	static const struct fx_pod shop = { "shop", "web-1", "3f2c1a2b-9d4e-4f60-8a1b-2c3d4e5f6a7b",
					    FX_BURSTABLE };
	static const struct fx_pod dns = { "kube-system", "coredns-x7",
					   "6d8b5d1d8b9e0c0c0f1b6c6fa2b2e3e4", FX_GUARANTEED };
	static const struct fx_pod job = { "batch", "job-1", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
					   FX_BESTEFFORT };
	static const struct fx_pod php = { "blog", "php-2", "11111111-2222-4333-8444-555555555555",
					   FX_BURSTABLE };
	static const struct fx_pod kv = { "cache", "redis-0", "99999999-8888-4777-8666-555555555555",
					  FX_GUARANTEED };
	static const struct layout l[LAYOUTS] = {
		{ true, FX_CONTAINERD, &shop, "nginx", "nginx", "shop/web-1", "nginx", "Burstable",
		  "containerd" },
		{ true, FX_CONTAINERD, &shop, "POD", "pause", "shop/web-1", "POD", "Burstable",
		  "containerd" },
		{ true, FX_CRIO, &dns, "coredns", "coredns", "kube-system/coredns-x7", "coredns",
		  "Guaranteed", "cri-o" },
		{ true, FX_DOCKER, &job, "worker", "worker", "batch/job-1", "worker", "BestEffort",
		  "docker" },
		{ false, FX_CONTAINERD, &php, "php", "php-fpm", "blog/php-2", "php", "Burstable",
		  "-" },
		{ false, FX_CRIO, &kv, "redis", "redis", "cache/redis-0", "redis", "Guaranteed",
		  "cri-o" },
	};
	static char out[65536], want[4096], metrics[1 << 20];
	char path[LAYOUTS][256], id[LAYOUTS][65], plain[2][256], plain_id[2][65], conmon[256];
	pid_t pid[LAYOUTS];
	int fd, n;
	pid_t ev;

	for (size_t i = 0; i < LAYOUTS; i++) {
		const char *name = strcmp(l[i].container, "POD") ? l[i].container : NULL;

		fx_id(id[i], 240, (unsigned int)i);
		fx_cgroup(path[i], sizeof(path[i]), l[i].systemd, l[i].rt, l[i].pod, id[i]);
		ASSERT_EQ(0, make_cgroup(self, path[i], true)) TH_LOG("%s", path[i]);
		ASSERT_EQ(0, fx_pod_dir("/", l[i].pod));
		/* CRI-O's cgroupfs pod: its spec in the graph root only. */
		ASSERT_EQ(0, fx_container("/", l[i].rt, !l[i].systemd && l[i].rt == FX_CRIO,
					  l[i].pod, id[i], name));
		pid[i] = start_idle(self, path[i], l[i].comm);
		ASSERT_GT(pid[i], 0);
	}
	/* CRI-O's monitor, beside its container: the pod's, not a container's. */
	snprintf(conmon, sizeof(conmon), "%.*s/crio-conmon-%s.scope",
		 (int)(strrchr(path[2], '/') - path[2]), path[2], id[2]);
	ASSERT_EQ(0, make_cgroup(self, conmon, true));
	/* Docker on its own, by either driver. */
	for (int i = 0; i < 2; i++) {
		fx_id(plain_id[i], 241, (unsigned int)i);
		ASSERT_EQ(0, fx_docker_plain("/", plain_id[i], i ? "db" : "web"));
	}
	snprintf(plain[0], sizeof(plain[0]), "/system.slice/docker-%s.scope", plain_id[0]);
	snprintf(plain[1], sizeof(plain[1]), "/docker/%s", plain_id[1]);
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, make_cgroup(self, plain[i], true));
		ASSERT_GT(start_idle(self, plain[i], i ? "postgres" : "httpd"), 0);
	}
	ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));

	/* top: each process's pod and container. */
	ASSERT_EQ(0, CLI(out, "top", "--raw", "-n", "-o", "pid,comm,pod,container,qos,runtime"));
	for (size_t i = 0; i < LAYOUTS; i++) {
		snprintf(want, sizeof(want), "%d\t%s\t%s\t%s\t%s\t%s\n", pid[i], l[i].comm,
			 l[i].want_pod, l[i].want_container, l[i].want_qos, l[i].want_runtime);
		EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s in\n%s", want, out);
	}
	EXPECT_NE(NULL, strstr(out, "\thttpd\t-\tweb\t-\tdocker\n")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\tpostgres\t-\tdb\t-\tdocker\n")) TH_LOG("%s", out);

	/* cgroups: the pods' own cgroups too, and CRI-O's monitor as the pod's. */
	ASSERT_EQ(0, CLI(out, "cgroups", "--raw", "-n", "-o", "cgroup,pod,container,pod_uid"));
	for (size_t i = 0; i < LAYOUTS; i++) {
		snprintf(want, sizeof(want), "%s\t%s\t%s\t%s\n", path[i], l[i].want_pod,
			 l[i].want_container, l[i].pod->uid);
		EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s in\n%s", want, out);
		/* The pod's slice or directory: the pod, no container. */
		snprintf(want, sizeof(want), "%.*s\t%s\t-\t%s\n",
			 (int)(strrchr(path[i], '/') - path[i]), path[i], l[i].want_pod,
			 l[i].pod->uid);
		EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s in\n%s", want, out);
	}
	snprintf(want, sizeof(want), "%s\tkube-system/coredns-x7\t-\t%s\n", conmon, dns.uid);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s in\n%s", want, out);

	/* events: the limit event of nginx's cgroup, by name. */
	ev = cli_spawn((const char *const[]){ "events", "-t", "20", "--raw", "-n", "-o",
					      "kind,cgroup,pod,container", NULL }, &fd);
	ASSERT_GT(ev, 0);
	/* Written until the reader has it open: it sees only what comes after. */
	for (n = 0; n < 100; n++) {
		char high[32];
		struct pollfd p = { .fd = fd, .events = POLLIN };

		snprintf(high, sizeof(high), "%d", (64 + n) << 20);
		ASSERT_EQ(0, cg_write(path[0], "memory.high", high));
		if (poll(&p, 1, 300) > 0)
			break;
	}
	ASSERT_LE(0, cli_collect(ev, fd, out, sizeof(out)));
	snprintf(want, sizeof(want), "limit\t%s\tshop/web-1\tnginx\n", path[0]);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s in\n%s", want, out);

	/* The daemon's metrics: the same names as labels. */
	self->daemon = daemon_start();
	ASSERT_GT(self->daemon, 0);
	ASSERT_LT(0, read_metrics("mempressure_cgroup_level", metrics, sizeof(metrics)));
	for (size_t i = 0; i < LAYOUTS; i++) {
		snprintf(want, sizeof(want), "\nmempressure_cgroup_level{cgroup=\"%s\",namespace=\"%s\","
			 "pod=\"%s\",container=\"%s\"} ", path[i], l[i].pod->namespace,
			 l[i].pod->name, l[i].want_container);
		EXPECT_NE(NULL, strstr(metrics, want)) TH_LOG("%s", want);
	}
	snprintf(want, sizeof(want), "\nmempressure_cgroup_usage_bytes{cgroup=\"%s\","
		 "namespace=\"kube-system\",pod=\"coredns-x7\"} ", conmon);
	EXPECT_NE(NULL, strstr(metrics, want)) TH_LOG("%s", want);
	snprintf(want, sizeof(want), "\nmempressure_cgroup_soft_over{cgroup=\"%s\",container=\"web\"} ",
		 plain[0]);
	EXPECT_NE(NULL, strstr(metrics, want)) TH_LOG("%s", want);
	EXPECT_NE(NULL, strstr(metrics, "\nmempressure_cgroup_level{cgroup=\"/\"} "));
}

/* --- a node of 110 pods --- */

struct node {
	FIXTURE_DATA(pods) *self;
	int pods, containers;
};

static int node_cgroup(const char *path, const struct fx_pod *pod, const char *container,
		       void *arg)
{
	struct node *n = arg;

	n->pods += pod && !container;
	n->containers += container != NULL;
	return make_cgroup(n->self, path, container != NULL);
}

/* Lines of @text that are samples, and of those the ones that hold @with. */
static int samples(const char *text, const char *with)
{
	int n = 0;

	for (const char *l = text; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : "") {
		const char *nl = strchr(l, '\n'), *w = with ? strstr(l, with) : l;

		n += l[0] != '#' && w && (!nl || w < nl);
	}
	return n;
}

TEST_F_TIMEOUT(pods, a_node_of_110_pods_in_the_metrics, 300)
{
	static char metrics[4 << 20];
	struct node n = { .self = self };
	struct mp_table t;
	int nr, len, all, cg, labelled;
	uint64_t before = mp_now_ms();

	nr = fx_node("/", 110, node_cgroup, &n);
	ASSERT_LT(0, nr);
	ASSERT_EQ(110, n.pods);
	ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));
	self->daemon = daemon_start();
	ASSERT_GT(self->daemon, 0);
	len = read_metrics("mempressure_metrics_cgroups_omitted", metrics, sizeof(metrics));
	ASSERT_LT(0, len);
	/* The rows the daemon read: the module's table now (no cgroup came or went since). */
	ASSERT_EQ(0, mp_table_read(MEMPRESSURE_PROC_PATH, MEMPRESSURE_FILE_CGROUPS, &t));
	all = samples(metrics, NULL);
	cg = samples(metrics, "mempressure_cgroup_");
	labelled = samples(metrics, ",pod=\"");
	ksft_print_msg("pods-metrics: a node of %d pods (%d cgroups of pods and containers, "
		       "%d of them containers) in a guest of %zu cgroups: %d series, %d of the "
		       "cgroups, %d with pod labels, %d bytes, made in %llu ms\n",
		       n.pods, n.pods + n.containers, n.containers, t.nr_rows, all, cg, labelled,
		       len, (unsigned long long)(mp_now_ms() - before));
	EXPECT_EQ(6 * (int)t.nr_rows, cg);
	EXPECT_EQ(6 * (n.pods + n.containers), labelled);
	EXPECT_EQ(6 * n.containers, samples(metrics, ",container=\""));
	/* Which, if not: a container's sample without its name. */
	for (const char *l = metrics, *nl; l && (l = strstr(l, "\nmempressure_cgroup_")); l = nl) {
		nl = strchr(l + 1, '\n');
		if (nl && memmem(l, (size_t)(nl - l), ".scope\"", 7) &&
		    !memmem(l, (size_t)(nl - l), ",container=", 11))
			TH_LOG("no container name: %.*s", (int)(nl - l - 1), l + 1);
	}
	EXPECT_NE(NULL, strstr(metrics, "\nmempressure_metrics_cgroups_omitted 0\n"));
	mp_table_free(&t);
}

TEST_HARNESS_MAIN
