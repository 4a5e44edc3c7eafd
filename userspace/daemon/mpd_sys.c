// SPDX-License-Identifier: GPL-2.0
/* What mempressured reads and writes of the system: see mpd_sys.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/mempressure.h>

#include "control_parse.h"
#include "mpd_config.h"
#include "mpd_sys.h"
#include "names.h"

int mpd_sys_init(struct mpd_sys *s, const char *root)
{
	size_t n = strlen(root);
	long page_size = sysconf(_SC_PAGESIZE);

	/* "/" and "" are the same root: no path starts with "//". */
	if (n && root[n - 1] == '/')
		n--;
	memset(s, 0, sizeof(*s));
	s->page_size = page_size > 0 ? (uint64_t)page_size : 4096;
	if ((size_t)snprintf(s->cgroup_root, sizeof(s->cgroup_root), "%.*s/sys/fs/cgroup",
			     (int)n, root) >= sizeof(s->cgroup_root) ||
	    (size_t)snprintf(s->proc_root, sizeof(s->proc_root), "%.*s/proc",
			     (int)n, root) >= sizeof(s->proc_root) ||
	    (size_t)snprintf(s->module_dir, sizeof(s->module_dir), "%.*s%s", (int)n, root,
			     MEMPRESSURE_PROC_PATH) >= sizeof(s->module_dir))
		return -ENAMETOOLONG;
	return 0;
}

/* A small file, NUL-terminated: what one read(2) of @fd gives.  Closes @fd. */
static int read_fd(int fd, char *buf, size_t size)
{
	ssize_t n;
	int r;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	r = n < 0 ? -errno : 0;
	close(fd);
	if (r < 0)
		return r;
	buf[n] = '\0';
	return 0;
}

static int read_small(const char *path, char *buf, size_t size)
{
	return read_fd(open(path, O_RDONLY | O_CLOEXEC), buf, size);
}

/* --- cgroup files --- */

/*
 * @file of @cgroup under the cgroup root, opened with @flags: at once when
 * the whole path fits in PATH_MAX, else a directory at a time (openat()
 * from the deepest directory whose path still fits).  fd, or -1 and errno.
 */
static int cg_open(const struct mpd_sys *s, const char *cgroup, const char *file, int flags)
{
	char path[PATH_MAX];
	const char *rel = cgroup + strspn(cgroup, "/");
	int dfd, fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s%s%s", s->cgroup_root, rel, *rel ? "/" : "",
			     file) < sizeof(path))
		return open(path, flags | O_CLOEXEC);
	dfd = open(s->cgroup_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	while (dfd >= 0) {
		const char *slash;
		size_t n = strlen(rel);

		if ((size_t)snprintf(path, sizeof(path), "%s/%s", rel, file) < sizeof(path)) {
			fd = openat(dfd, path, flags | O_CLOEXEC);
			close(dfd);
			return fd;
		}
		slash = memrchr(rel, '/', n < sizeof(path) ? n : sizeof(path) - 1);
		if (!slash || slash == rel) {
			close(dfd);
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(path, rel, (size_t)(slash - rel));
		path[slash - rel] = '\0';
		fd = openat(dfd, path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		close(dfd);
		dfd = fd;
		rel = slash + 1;
	}
	return -1;
}

int mpd_cg_read(const struct mpd_sys *s, const char *cgroup, const char *file, char *buf,
		size_t size)
{
	int r = read_fd(cg_open(s, cgroup, file, O_RDONLY), buf, size);

	if (r < 0)
		return r;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int mpd_cg_read_u64(const struct mpd_sys *s, const char *cgroup, const char *file,
		    uint64_t *v)
{
	char buf[64];
	int r = mpd_cg_read(s, cgroup, file, buf, sizeof(buf));

	return r < 0 ? r : mp_parse_u64(buf, v);
}

int mpd_cg_write(const struct mpd_sys *s, const char *cgroup, const char *file,
		 const char *value)
{
	int fd = cg_open(s, cgroup, file, O_WRONLY), r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, value, strlen(value)) < 0)
		r = -errno;
	close(fd);
	return r;
}

bool mpd_cg_writable(const struct mpd_sys *s, const char *cgroup, const char *file)
{
	/* Opening a cgroup file for writing does nothing by itself. */
	int fd = cg_open(s, cgroup, file, O_WRONLY | O_NONBLOCK);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* --- processes --- */

static void proc_file(const struct mpd_sys *s, pid_t pid, const char *file, char *out,
		      size_t size)
{
	snprintf(out, size, "%s/%d/%s", s->proc_root, pid, file);
}

uint64_t mpd_proc_rss(const struct mpd_sys *s, pid_t pid)
{
	char path[MPD_PATH_LEN + 64], buf[128];
	unsigned long long size, rss;

	proc_file(s, pid, "statm", path, sizeof(path));
	if (read_small(path, buf, sizeof(buf)) < 0 ||
	    sscanf(buf, "%llu %llu", &size, &rss) != 2)
		return 0;
	return rss * s->page_size;
}

int mpd_proc_cgroup(const struct mpd_sys *s, pid_t pid, char *out, size_t size)
{
	/* Room for the v2 line at its longest and a hybrid system's v1 lines. */
	char path[MPD_PATH_LEN + 64], buf[3 * MPD_CGROUP_LEN], *p;
	int r;

	proc_file(s, pid, "cgroup", path, sizeof(path));
	r = read_small(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	for (p = buf; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (!strncmp(p, "0::", 3)) {
			p += 3;
			p[strcspn(p, "\n")] = '\0';
			if (strlen(p) >= size)
				return -ENAMETOOLONG;
			strcpy(out, p);
			return 0;
		}
	}
	return -ENOENT;
}

int mpd_proc_comm(const struct mpd_sys *s, pid_t pid, char *out, size_t size)
{
	char path[MPD_PATH_LEN + 64];
	size_t len;
	int r;

	proc_file(s, pid, "comm", path, sizeof(path));
	r = read_small(path, out, size);
	if (r < 0)
		return r;
	/* The name may hold a newline of its own: only the last one is the file's. */
	len = strlen(out);
	if (len && out[len - 1] == '\n')
		out[len - 1] = '\0';
	return 0;
}

int mpd_pin_process(const struct mpd_sys *s, pid_t pid, const char *comm, const char *cgroup)
{
	char now[MPD_CGROUP_LEN];
	int fd = (int)syscall(__NR_pidfd_open, pid, 0);

	if (fd < 0)
		return -errno;
	if ((comm && comm[0] && (mpd_proc_comm(s, pid, now, sizeof(now)) < 0 || strcmp(now, comm))) ||
	    (cgroup && (mpd_proc_cgroup(s, pid, now, sizeof(now)) < 0 || strcmp(now, cgroup)))) {
		close(fd);
		return -ESRCH;
	}
	return fd;
}

/*
 * Linux 6.5's, not in older headers: asm-generic's value, which all but
 * alpha, mips, parisc and sparc use; on those, pidfd_open() alone.
 */
#if !defined(SO_PEERPIDFD) && !defined(__alpha__) && !defined(__mips__) && \
	!defined(__hppa__) && !defined(__sparc__)
#define SO_PEERPIDFD	77
#endif

int mpd_peer_pidfd(int sock, pid_t pid)
{
	int fd;
#ifdef SO_PEERPIDFD
	socklen_t len = sizeof(fd);

	if (getsockopt(sock, SOL_SOCKET, SO_PEERPIDFD, &fd, &len) == 0)
		return fd;
	if (errno != ENOPROTOOPT && errno != EINVAL)
		return -errno;
#else
	(void)sock;
#endif
	fd = (int)syscall(__NR_pidfd_open, pid, 0);
	return fd < 0 ? -errno : fd;
}

bool mpd_pidfd_alive(int fd)
{
	return syscall(__NR_pidfd_send_signal, fd, 0, NULL, 0) == 0;
}

int mpd_signal_pidfd(int fd, int sig)
{
	return syscall(__NR_pidfd_send_signal, fd, sig, NULL, 0) < 0 ? -errno : 0;
}

int mpd_signal_process(const struct mpd_sys *s, pid_t pid, const char *comm,
		       const char *cgroup, int sig)
{
	int fd = mpd_pin_process(s, pid, comm, cgroup), r;

	if (fd < 0)
		return fd;
	r = mpd_signal_pidfd(fd, sig);
	close(fd);
	return r;
}

/* --- the module's files --- */

void mpd_module_file(const struct mpd_sys *s, const char *file, char *out, size_t size)
{
	snprintf(out, size, "%s/%s", s->module_dir, file);
}

int mpd_module_table(const struct mpd_sys *s, const char *file, struct mp_table *t)
{
	return mp_table_read(s->module_dir, file, t);
}

int mpd_module_abi(const struct mpd_sys *s, uint64_t *abi)
{
	char path[MPD_PATH_LEN + 32], *buf;
	size_t len;
	int r;

	mpd_module_file(s, MEMPRESSURE_FILE_STATUS, path, sizeof(path));
	r = mp_read_file(path, &buf, &len);
	if (r < 0)
		return r;
	r = mp_kv_get_u64(buf, len, mp_status_keys[MEMPRESSURE_STATUS_ABI_VERSION], abi);
	free(buf);
	return r;
}

int mpd_module_open_events(const struct mpd_sys *s)
{
	char path[MPD_PATH_LEN + 32];
	int fd;

	mpd_module_file(s, MEMPRESSURE_FILE_EVENTS, path, sizeof(path));
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

uint64_t mpd_module_soft_margin_pct(const struct mpd_sys *s)
{
	const enum mempressure_tunable t = MEMPRESSURE_TUNABLE_SOFT_MARGIN_PCT;
	char path[MPD_PATH_LEN + 32], cg[MEMPRESSURE_CTL_WRITE_MAX], *buf;
	uint64_t v = mp_ctl_default(t);
	size_t len, pos = 0;

	mpd_module_file(s, MEMPRESSURE_FILE_CONTROL, path, sizeof(path));
	if (mp_read_file(path, &buf, &len) < 0)
		return v;
	/* The file reads back as commands: the "set" line of soft_margin_pct. */
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len;
		struct mp_ctl_cmd cmd;

		if (!mp_ctl_parse_line(buf + pos, end - pos, &cmd, cg, sizeof(cg)) &&
		    cmd.op == MP_CTL_OP_SET && cmd.tunable == t) {
			v = cmd.value;
			break;
		}
		pos = end + 1;
	}
	free(buf);
	return v;
}

static int col_u64(const struct mp_table *t, size_t row, int col, uint64_t *v)
{
	return col < 0 ? col : mp_parse_u64(mp_table_cell(t, row, (size_t)col), v);
}

int mpd_module_cgroup(const struct mpd_sys *s, const char *cgroup, struct mpd_cg_row *row)
{
	const char *const *cols = mp_cgroup_columns;
	char esc[MPD_CGROUP_LEN * 4];
	struct mp_table t;
	int r, col;
	long i;

	r = mpd_module_table(s, MEMPRESSURE_FILE_CGROUPS, &t);
	if (r < 0)
		return r;
	mpd_escape(cgroup, esc, sizeof(esc));
	col = mp_table_column(&t, cols[MEMPRESSURE_CG_PATH]);
	i = col < 0 ? col : mp_table_find(&t, (size_t)col, esc);
	if (i < 0) {
		r = -ENOENT;
		goto out;
	}
	r = col_u64(&t, (size_t)i, mp_table_column(&t, cols[MEMPRESSURE_CG_CURRENT]),
		    &row->current);
	if (!r)
		r = col_u64(&t, (size_t)i, mp_table_column(&t, cols[MEMPRESSURE_CG_SOFT_LIMIT]),
			    &row->soft);
	if (!r)
		r = col_u64(&t, (size_t)i, mp_table_column(&t, cols[MEMPRESSURE_CG_LIMIT]),
			    &row->limit);
	if (!r) {
		col = mp_table_column(&t, cols[MEMPRESSURE_CG_LEVEL]);
		row->level = col < 0 ? MEMPRESSURE_LEVEL_NONE :
			     mpd_level_parse(mp_table_cell(&t, (size_t)i, (size_t)col));
		if (row->level < 0)
			row->level = MEMPRESSURE_LEVEL_NONE;
	}
out:
	mp_table_free(&t);
	return r;
}

int mpd_module_processes(const struct mpd_sys *s, const char *cgroup,
			 struct mpd_proc_row **rows, size_t *nr)
{
	const char *const *cols = mp_process_columns;
	char esc[MPD_CGROUP_LEN * 4];
	int cpid, ccomm, ccg, crss, cleak, cgrowth, r;
	struct mp_table t;
	size_t n = 0;

	*rows = NULL;
	*nr = 0;
	r = mpd_module_table(s, MEMPRESSURE_FILE_PROCESSES, &t);
	if (r < 0)
		return r;
	cpid = mp_table_column(&t, cols[MEMPRESSURE_PROC_PID]);
	ccomm = mp_table_column(&t, cols[MEMPRESSURE_PROC_COMM]);
	ccg = mp_table_column(&t, cols[MEMPRESSURE_PROC_CGROUP]);
	crss = mp_table_column(&t, cols[MEMPRESSURE_PROC_RSS]);
	cleak = mp_table_column(&t, cols[MEMPRESSURE_PROC_LEAK]);
	cgrowth = mp_table_column(&t, cols[MEMPRESSURE_PROC_GROWTH60]);
	if (cpid < 0 || ccomm < 0 || ccg < 0 || crss < 0) {
		mp_table_free(&t);
		return -EPROTO;
	}
	if (cgroup)
		mpd_escape(cgroup, esc, sizeof(esc));
	*rows = calloc(t.nr_rows ? t.nr_rows : 1, sizeof(**rows));
	if (!*rows) {
		mp_table_free(&t);
		return -ENOMEM;
	}
	for (size_t i = 0; i < t.nr_rows; i++) {
		struct mpd_proc_row *p = &(*rows)[n];
		uint64_t v;

		if (cgroup && strcmp(mp_table_cell(&t, i, (size_t)ccg), esc))
			continue;
		if (mp_parse_u64(mp_table_cell(&t, i, (size_t)cpid), &v) < 0)
			continue;
		p->pid = (pid_t)v;
		if (mp_unescape(mp_table_cell(&t, i, (size_t)ccomm), p->comm, sizeof(p->comm)) < 0)
			p->comm[0] = '\0';
		mp_parse_u64(mp_table_cell(&t, i, (size_t)crss), &p->rss);
		p->leak = cleak >= 0 && !strcmp(mp_table_cell(&t, i, (size_t)cleak), "1");
		if (cgrowth < 0 ||
		    mp_parse_s64(mp_table_cell(&t, i, (size_t)cgrowth), &p->growth) < 0)
			p->growth = 0;
		n++;
	}
	*nr = n;
	mp_table_free(&t);
	return 0;
}
