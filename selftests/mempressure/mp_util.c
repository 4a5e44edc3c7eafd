// SPDX-License-Identifier: GPL-2.0
/* Helpers for the mempressure selftests; see mp_util.h. */
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
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mp_util.h"

uint64_t mp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

const char *mp_module_path(void)
{
	const char *path = getenv("MP_MODULE");

	return path && *path ? path : MP_MODULE_DEFAULT;
}

bool mp_loaded(void)
{
	return access(MEMPRESSURE_PROC_PATH, F_OK) == 0;
}

int mp_unload(void)
{
	if (syscall(SYS_delete_module, "mempressure", O_NONBLOCK) == 0)
		return 0;
	return errno == ENOENT ? 0 : -errno;
}

int mp_load(const char *params)
{
	int fd, err;

	err = mp_unload();
	if (err)
		return err;
	fd = open(mp_module_path(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = syscall(SYS_finit_module, fd, params ? params : "", 0) ? -errno : 0;
	close(fd);
	return err;
}

int mp_status_u64(const char *key, uint64_t *v)
{
	char *text;
	size_t len;
	int err;

	err = mp_read_file(MEMPRESSURE_PROC_PATH "/" MEMPRESSURE_FILE_STATUS,
			   &text, &len);
	if (err)
		return err;
	err = mp_kv_get_u64(text, len, key, v);
	free(text);
	return err;
}

int mp_wait_samples(uint64_t target, int timeout_ms)
{
	uint64_t deadline = mp_now_ms() + (uint64_t)timeout_ms;
	uint64_t samples;
	int err;

	for (;;) {
		err = mp_status_u64("samples", &samples);
		if (err)
			return err;
		if (samples >= target)
			return 0;
		if (mp_now_ms() >= deadline)
			return -ETIMEDOUT;
		usleep(MP_TEST_INTERVAL_MS * 1000 / 8);
	}
}

int mp_wait_more_samples(unsigned int n, int timeout_ms)
{
	uint64_t samples;
	int err;

	err = mp_status_u64("samples", &samples);
	if (err)
		return err;
	return mp_wait_samples(samples + n, timeout_ms);
}

static int mp_row_cell(const struct mp_table *t, const char *key_col,
		       const char *key, const char *col, const char **cell)
{
	int kc = mp_table_column(t, key_col);
	int c = mp_table_column(t, col);
	long row;

	if (kc < 0 || c < 0)
		return -ENOENT;
	row = mp_table_find(t, (size_t)kc, key);
	if (row < 0)
		return (int)row;
	*cell = mp_table_cell(t, (size_t)row, (size_t)c);
	return 0;
}

int mp_row_u64(const struct mp_table *t, const char *key_col, const char *key,
	       const char *col, uint64_t *v)
{
	const char *cell;
	int err = mp_row_cell(t, key_col, key, col, &cell);

	return err ? err : mp_parse_u64(cell, v);
}

int mp_row_s64(const struct mp_table *t, const char *key_col, const char *key,
	       const char *col, int64_t *v)
{
	const char *cell;
	int err = mp_row_cell(t, key_col, key, col, &cell);

	return err ? err : mp_parse_s64(cell, v);
}

int mp_row_str(const struct mp_table *t, const char *key_col, const char *key,
	       const char *col, char *out, size_t size)
{
	const char *cell;
	int err = mp_row_cell(t, key_col, key, col, &cell);

	return err ? err : mp_unescape(cell, out, size);
}

int mp_row_raw(const struct mp_table *t, const char *key_col, const char *key,
	       const char *col, const char **cell)
{
	return mp_row_cell(t, key_col, key, col, cell);
}

int mp_process_listed(pid_t pid, bool *listed)
{
	struct mp_table t;
	char key[16];
	int col, err;

	err = mp_table_read(MEMPRESSURE_PROC_PATH, MEMPRESSURE_FILE_PROCESSES, &t);
	if (err)
		return err;
	col = mp_table_column(&t, "pid");
	snprintf(key, sizeof(key), "%d", pid);
	*listed = col >= 0 && mp_table_find(&t, (size_t)col, key) >= 0;
	mp_table_free(&t);
	return col < 0 ? -EINVAL : 0;
}

/*
 * The number after @after in the line of @path that starts with @key and
 * then @sep: "VmRSS:   123 kB" (key VmRSS, sep ':', after "") or
 * "some avg10=0.00 ... total=123" (key some, sep ' ', after " total=").
 */
static int line_u64(const char *path, const char *key, char sep,
		    const char *after, uint64_t *out)
{
	size_t klen = strlen(key);
	char line[256];
	FILE *f;
	int err = -ENOENT;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v;
		char *at = line + klen + 1;

		if (strncmp(line, key, klen) || line[klen] != sep)
			continue;
		if (*after)
			at = strstr(at, after);
		err = at && sscanf(at + strlen(after), "%llu", &v) == 1 ?
			0 : -EINVAL;
		if (!err)
			*out = v;
		break;
	}
	fclose(f);
	return err;
}

int proc_status_kb(pid_t pid, const char *field, uint64_t *kb)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	return line_u64(path, field, ':', "", kb);
}

int meminfo_kb(const char *field, uint64_t *kb)
{
	return line_u64("/proc/meminfo", field, ':', "", kb);
}

int psi_read_total(const char *path, const char *kind, uint64_t *total_usec)
{
	/* "some avg10=0.00 avg60=0.00 avg300=0.00 total=12345" */
	return line_u64(path, kind, ' ', " total=", total_usec);
}

bool values_close(uint64_t a, uint64_t b, unsigned int pct, uint64_t abs)
{
	uint64_t diff = a > b ? a - b : b - a;
	uint64_t big = a > b ? a : b;
	uint64_t tol = big / 100 * pct;

	return diff <= (tol > abs ? tol : abs);
}

static void cg_path(const char *name, const char *file, char *out, size_t size)
{
	if (file)
		snprintf(out, size, "%s/%s/%s", MP_CGROUP_ROOT, name, file);
	else
		snprintf(out, size, "%s/%s", MP_CGROUP_ROOT, name);
}

int cg_write(const char *name, const char *file, const char *value)
{
	char path[512];
	ssize_t len = (ssize_t)strlen(value);
	int fd, err = 0;

	cg_path(name, file, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, value, (size_t)len) != len)
		err = -errno;
	close(fd);
	return err;
}

int cg_read(const char *name, const char *file, char *buf, size_t size)
{
	char path[512];
	ssize_t n;
	int fd;

	cg_path(name, file, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

int cg_read_u64(const char *name, const char *file, uint64_t *v)
{
	char buf[64];
	int err;

	err = cg_read(name, file, buf, sizeof(buf));
	if (err)
		return err;
	buf[strcspn(buf, "\n")] = '\0';
	return mp_parse_u64(buf, v);
}

int cg_read_key_u64(const char *name, const char *file, const char *key,
		    uint64_t *v)
{
	char buf[4096];
	int err;

	err = cg_read(name, file, buf, sizeof(buf));
	if (err)
		return err;
	return mp_kv_get_u64(buf, strlen(buf), key, v);
}

int cg_create(const char *name)
{
	char path[512];

	cg_path(name, NULL, path, sizeof(path));
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	return cg_write(name, "cgroup.subtree_control", "+memory");
}

int cg_create_leaf(const char *name)
{
	char path[512];

	cg_path(name, NULL, path, sizeof(path));
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

int cg_enter(const char *name, pid_t pid)
{
	char value[16];

	snprintf(value, sizeof(value), "%d", pid);
	return cg_write(name, "cgroup.procs", value);
}

int cg_destroy(const char *name)
{
	uint64_t deadline = mp_now_ms() + MP_WAIT_MS;
	char path[512];

	cg_path(name, NULL, path, sizeof(path));
	/* cgroup.kill exists since 5.14; populated cgroups cannot go. */
	cg_write(name, "cgroup.kill", "1");
	while (rmdir(path)) {
		if (errno == ENOENT)
			return 0;
		if (errno != EBUSY || mp_now_ms() >= deadline)
			return -errno;
		usleep(10000);
	}
	return 0;
}

int cg_id(const char *name, uint64_t *id)
{
	char path[512];
	struct stat st;

	cg_path(name, NULL, path, sizeof(path));
	if (stat(path, &st))
		return -errno;
	*id = st.st_ino;
	return 0;
}

pid_t mp_fork(void)
{
	pid_t parent = getpid();
	pid_t pid = fork();

	if (pid)
		return pid;
	/* The parent may have died before the request: then go too. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(127);
	return 0;
}

pid_t cg_run_nowait(const char *name, int (*fn)(void *arg), void *arg)
{
	pid_t pid = mp_fork();

	if (pid)
		return pid;
	if (name && cg_enter(name, getpid()))
		_exit(127);
	_exit(fn(arg));
}

pid_t mp_fork_idle(void)
{
	pid_t pid = mp_fork();

	if (pid)
		return pid;
	for (;;)
		pause();
}

int mp_wait_child(pid_t pid, int *status, int timeout_ms)
{
	uint64_t deadline = mp_now_ms() + (uint64_t)timeout_ms;
	pid_t ret;

	for (;;) {
		ret = waitpid(pid, status, WNOHANG);
		if (ret == pid)
			return 0;
		if (ret < 0 && errno != EINTR)
			return -errno;
		if (mp_now_ms() >= deadline)
			return -ETIMEDOUT;
		usleep(10000);
	}
}

int mp_kill_child(pid_t pid)
{
	int status;

	if (kill(pid, SIGKILL) && errno != ESRCH)
		return -errno;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

int mp_pipe_wait(int fd, size_t n, int timeout_ms)
{
	uint64_t deadline = mp_now_ms() + (uint64_t)timeout_ms;
	char buf[64];

	while (n) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = mp_now_ms();
		ssize_t r;
		int ret;

		if (now >= deadline)
			return -ETIMEDOUT;
		ret = poll(&pfd, 1, (int)(deadline - now));
		if (ret < 0 && errno != EINTR)
			return -errno;
		if (ret <= 0)
			continue;
		r = read(fd, buf, n < sizeof(buf) ? n : sizeof(buf));
		if (r < 0 && errno != EINTR)
			return -errno;
		if (!r)
			return -EPIPE;
		if (r > 0)
			n -= (size_t)r;
	}
	return 0;
}

int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

int kmsg_read_new(int fd, char *buf, size_t size)
{
	size_t used = strlen(buf);
	char rec[2048];
	ssize_t n;

	for (;;) {
		char *msg;
		size_t mlen;

		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0) {
			if (errno == EAGAIN)
				return 0;
			if (errno == EPIPE)	/* overwritten; go on */
				continue;
			return -errno;
		}
		rec[n] = '\0';
		/* "prio,seq,time,flags;message\n" */
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		mlen = strcspn(msg, "\n");
		if (used + mlen + 2 > size)
			return -ENOSPC;
		memcpy(buf + used, msg, mlen);
		used += mlen;
		buf[used++] = '\n';
		buf[used] = '\0';
	}
}

/* --- signals, events, control --- */

int mp_daemon_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

pid_t mp_daemon_spawn(const char *conf, const char *log, bool append,
		      const char *const *args)
{
	const char *argv[16] = { "mempressured", "-c", conf };
	size_t n = 3;
	pid_t pid;

	for (; args && *args && n < sizeof(argv) / sizeof(argv[0]) - 1; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	/* A waiter must not find the last daemon's lines in a new log. */
	if (!append)
		unlink(log);
	pid = mp_fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0644);

		if (fd < 0 || dup2(fd, 2) < 0)
			_exit(126);
		execv(MP_DAEMON_BIN, (char *const *)argv);
		_exit(127);
	}
	return pid;
}

int mp_write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t len = strlen(text);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	if (close(fd) || n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

bool mp_wait_file(const char *path, const char *needle, int timeout_ms)
{
	uint64_t end = mp_now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		size_t len;
		char *text;
		bool found = false;

		if (!mp_read_file(path, &text, &len)) {
			found = strstr(text, needle) != NULL;
			free(text);
		}
		if (found)
			return true;
		if (mp_now_ms() >= end)
			return false;
		poll(NULL, 0, 100);
	}
}

static int mp_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void mp_sort_u64(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), mp_cmp_u64);
}

uint64_t mp_percentile(const uint64_t *v, size_t n, unsigned int p)
{
	size_t rank = (n * p + 99) / 100;

	if (!n)
		return 0;
	return v[rank ? rank - 1 : 0];
}

uint64_t mp_now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int mp_control_read(char *buf, size_t size)
{
	size_t n = 0;
	ssize_t r;
	int fd;

	if (!size)
		return -EINVAL;
	fd = open(MP_CONTROL_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (n + 1 >= size) {
			close(fd);
			return -ENOSPC;
		}
		r = read(fd, buf + n, size - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	if (r < 0) {
		r = -errno;
		close(fd);
		return (int)r;
	}
	close(fd);
	buf[n] = '\0';
	return (int)n;
}

int mp_control_write_fd(int fd, const char *buf, size_t len)
{
	ssize_t n = write(fd, buf, len);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int mp_control_write(const char *buf, size_t len)
{
	int fd, err;

	fd = open(MP_CONTROL_PATH, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = mp_control_write_fd(fd, buf, len);
	close(fd);
	return err;
}

int mp_control_cmd(const char *cmd)
{
	return mp_control_write(cmd, strlen(cmd));
}

int mp_control_set(int tunable, uint64_t value)
{
	char cmd[MP_CTL_TUNABLE_LINE_MAX];

	if (mp_ctl_format_tunable(cmd, sizeof(cmd), tunable, value) < 0)
		return -EINVAL;
	return mp_control_cmd(cmd);
}

int mp_events_open(struct mp_events *r, int flags)
{
	r->len = r->off = 0;
	r->fd = open(MP_EVENTS_PATH, O_RDONLY | O_CLOEXEC | flags);
	return r->fd < 0 ? -errno : 0;
}

void mp_events_close(struct mp_events *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	r->len = r->off = 0;
}

int mp_events_next(struct mp_events *r, struct mp_event *ev, int timeout_ms)
{
	uint64_t deadline = mp_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);

	for (;;) {
		char *start = r->buf + r->off;
		char *eol = memchr(start, '\n', r->len - r->off);
		struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
		uint64_t now;
		ssize_t n;
		int ret;

		if (eol) {
			size_t llen = (size_t)(eol - start);

			r->off += llen + 1;
			return mp_event_parse(start, llen, ev);
		}
		/* Keep a partial line (there should be none) at the start. */
		memmove(r->buf, start, r->len - r->off);
		r->len -= r->off;
		r->off = 0;
		if (r->len == sizeof(r->buf))
			return -E2BIG;

		now = mp_now_ms();
		ret = poll(&pfd, 1, now >= deadline ? 0 : (int)(deadline - now));
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0)
			return -errno;
		if (!ret)
			return -ETIMEDOUT;
		n = read(r->fd, r->buf + r->len, sizeof(r->buf) - r->len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -ENODATA;	/* end of file: never expected */
		r->len += (size_t)n;
	}
}

int mp_events_wait(struct mp_events *r, int kind, const char *cgroup,
		   pid_t pid, struct mp_event *ev, int timeout_ms,
		   void (*seen)(const struct mp_event *ev, void *arg),
		   void *arg)
{
	uint64_t deadline = mp_now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		uint64_t now = mp_now_ms();
		int err;

		err = mp_events_next(r, ev, now >= deadline ? 0 :
				     (int)(deadline - now));
		if (err)
			return err;
		if ((kind < 0 || ev->kind == kind) &&
		    (!cgroup || !strcmp(ev->cgroup, cgroup)) &&
		    (!pid || ev->pid == pid))
			return 0;
		if (seen)
			seen(ev, arg);
	}
}

void mp_cg_path(const char *name, char *out, size_t size)
{
	snprintf(out, size, "/%s", name);
}

int mp_cg_cell(const char *name, const char *col, char *out, size_t size)
{
	struct mp_table t;
	char key[32];
	uint64_t id;
	int err;

	err = cg_id(name, &id);
	if (err)
		return err;
	snprintf(key, sizeof(key), "%llu", (unsigned long long)id);
	err = mp_table_read(MEMPRESSURE_PROC_PATH, MEMPRESSURE_FILE_CGROUPS, &t);
	if (err)
		return err;
	err = mp_row_str(&t, MP_CGCOL(ID), key, col, out, size);
	mp_table_free(&t);
	return err;
}

int mp_cg_cell_u64(const char *name, const char *col, uint64_t *v)
{
	char cell[64];
	int err = mp_cg_cell(name, col, cell, sizeof(cell));

	return err ? err : mp_parse_u64(cell, v);
}

int mp_proc_cell(pid_t pid, const char *col, char *out, size_t size)
{
	struct mp_table t;
	char key[16];
	int err;

	snprintf(key, sizeof(key), "%d", pid);
	err = mp_table_read(MEMPRESSURE_PROC_PATH, MEMPRESSURE_FILE_PROCESSES, &t);
	if (err)
		return err;
	err = mp_row_str(&t, MP_PCOL(PID), key, col, out, size);
	mp_table_free(&t);
	return err;
}

int mp_proc_cell_u64(pid_t pid, const char *col, uint64_t *v)
{
	char cell[64];
	int err = mp_proc_cell(pid, col, cell, sizeof(cell));

	return err ? err : mp_parse_u64(cell, v);
}

int mp_cg_level(const char *name)
{
	char cell[32];
	int err = mp_cg_cell(name, MP_CGCOL(LEVEL), cell, sizeof(cell));

	if (err)
		return err;
	err = mp_name_index(mp_level_names, MEMPRESSURE_LEVEL_NR, cell);
	return err < 0 ? -EINVAL : err;
}
