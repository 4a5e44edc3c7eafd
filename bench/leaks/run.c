// SPDX-License-Identifier: GPL-2.0
/*
 * The leak corpus's runner, in the guest (run.h).
 *
 * It loads the module (interval_ms 1000, the default), sets leak_window,
 * makes a cgroup per workload under /leak and starts every workload at
 * once.  Then, at every sample of the module, it records each workload's
 * processes as the processes table shows them (RSS parts, age, the leak
 * flag, time_to_limit_sec) and each workload's cgroup (usage, limit); and
 * between samples the workloads' "mark" lines (leakload.c), timed as they
 * arrive.  For the workloads that answer trims it plays mempressured's
 * part: when the module reports their cgroup over its soft limit
 * (soft_over), it sends them SIGUSR1, as a [signal] target gets.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mp_util.h"
#include "run.h"

#define K	1024ULL
#define M	(1024ULL * 1024)

/* How long a leak lasts, in seconds: three windows, at least a minute. */
static unsigned int leak_seconds(unsigned int w)
{
	return w * 3 > 60 ? w * 3 : 60;
}

/* A late leak's steady start, seconds (the $L of its command follows). */
#define LATE_DELAY_S	120

const struct lk_entry lk_corpus[] = {
	/* Leaks. */
	{ "lin-1m", LK_LEAK, "leakload linear -r 1M -l $L", 1 * M, 0, true, false, true },
	{ "lin-256k", LK_LEAK, "leakload linear -r 256K -l $L", 256 * K, 0, true, false, false },
	{ "lin-64k", LK_LEAK, "leakload linear -r 64K -l $L", 64 * K, 0, true, false, true },
	{ "step-8m", LK_LEAK, "leakload step -b 8M -p 20 -l $L", 8 * M / 20, 0, true, false, false },
	{ "late-256k", LK_LEAK, "leakload linear -r 256K -d 120 -l $L", 256 * K, 0, true, false, false },
	{ "go-mapcache", LK_LEAK, "goleak mapcache -rate 262144 -t $L", 256 * K, 0, false, false, false },
	{ "go-goroutines", LK_LEAK, "goleak goroutines -rate 262144 -t $L", 256 * K, 0, false, false, false },
	{ "go-gcrise", LK_LEAK, "goleak gcrise -rate 131072 -t $L", 128 * K, 0, false, false, false },
	{ "pool-worker", LK_LEAK, "leakload pool -w 4 -r 256K -l $L", 256 * K, 0, true, false, false },
	{ "memfd", LK_LEAK, "leakload memfd -r 256K -l $L", 256 * K, 0, true, false, true },
	{ "saw-rise", LK_LEAK, "leakload sawtooth -b 40M -p 8 -r 128K -l $L", 128 * K, 0, true, false, false },
	/* Not leaks. */
	{ "lru-warm", LK_OK, "leakload cache -b 32M -f $F", 0, 0, false, false, true },
	{ "lru-over-soft", LK_OK, "leakload cache -b 72M -f $F", 0, 80 * M, false, false, false },
	{ "warm-slow", LK_WARM, "leakload cache -b 48M -f $S", 0, 0, false, false, false },
	{ "loader-200m", LK_OK, "leakload loader -b 200M", 0, 0, false, false, true },
	{ "batch-100m", LK_OK, "leakload batch -b 100M -p 30 -h 5", 0, 0, false, false, true },
	{ "go-gcflat", LK_OK, "goleak gcflat -live 16777216 -garbage 8388608", 0, 0, false, false, false },
	{ "go-pool", LK_OK, "goleak pool", 0, 0, false, false, false },
	{ "mmap-file", LK_OK, "leakload mmapfile -F /tmp/leakfs/data -b 96M -r 1M", 0, 0, false, false, true },
	{ "yield", LK_OK, "leakload yield -b 24M -f $F", 0, 64 * M, false, true, false },
	{ "forkpool", LK_OK, "leakload forkpool -p 0.5 -b 4M -h 2", 0, 0, false, false, false },
	{ "saw-flat", LK_OK, "leakload sawtooth -b 60M -p 8", 0, 0, false, false, true },
};

const unsigned int lk_corpus_len = sizeof(lk_corpus) / sizeof(lk_corpus[0]);

#define LEAKFS		"/tmp/leakfs"
#define CG_TOP		"leak"
#define MAX_ARGS	24

/* A workload while it runs. */
struct running {
	const struct lk_entry *e;
	unsigned int wl;		/* its index in the trace */
	pid_t pid;
	int out;			/* its stdout, read for marks */
	char buf[512];
	size_t len;
	char cgroup[LK_NAME_MAX + 8];	/* CG_TOP/NAME */
	char path[LK_NAME_MAX + 8];	/* as the tables print it */
};

static void logf_(const struct lk_run_opts *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void logf_(const struct lk_run_opts *o, const char *fmt, ...)
{
	va_list ap;

	if (!o->log)
		return;
	va_start(ap, fmt);
	vfprintf(o->log, fmt, ap);
	va_end(ap);
	fflush(o->log);
}

static bool selected(const struct lk_run_opts *o, const struct lk_entry *e)
{
	size_t n = strlen(e->name);
	const char *p;

	if (!o->only)
		return !o->short_form || e->in_short;
	for (p = o->only; *p; p += strcspn(p, ":")) {
		if (*p == ':')
			p++;
		if (!strncmp(p, e->name, n) && (p[n] == ':' || !p[n]))
			return true;
	}
	return false;
}

/* Seconds the run must last for the workload to show what it is. */
static unsigned int needed(const struct lk_entry *e, unsigned int w)
{
	switch (e->label) {
	case LK_LEAK:
		/* Its leak, then two windows for the flag to clear. */
		return (strstr(e->cmd, "-d ") ? LATE_DELAY_S : 0) +
		       leak_seconds(w) + 2 * w + 10;
	case LK_WARM:
		return 4 * w + w + 10;
	default:
		/* Three batch cycles. */
		return 90;
	}
}

/* @cmd with its variables replaced, split into @argv (in @buf). */
static int expand(const char *cmd, unsigned int w, const char *bin_dir,
		  char *buf, size_t size, char **argv)
{
	size_t len = 0;
	int argc = 0;
	const char *p;

	len = snprintf(buf, size, "%s/", bin_dir);
	for (p = cmd; *p && len + 16 < size; p++) {
		if (*p != '$') {
			buf[len++] = *p;
			continue;
		}
		switch (*++p) {
		case 'W': len += snprintf(buf + len, size - len, "%u", w); break;
		case 'L': len += snprintf(buf + len, size - len, "%u", leak_seconds(w)); break;
		case 'F': len += snprintf(buf + len, size - len, "%.1f", w * 0.6); break;
		case 'S': len += snprintf(buf + len, size - len, "%u", 4 * w); break;
		default: return -EINVAL;
		}
	}
	if (*p)
		return -E2BIG;
	buf[len] = '\0';
	for (char *tok = strtok(buf, " "); tok; tok = strtok(NULL, " ")) {
		if (argc == MAX_ARGS - 1)
			return -E2BIG;
		argv[argc++] = tok;
	}
	argv[argc] = NULL;
	return 0;
}

static int start_workload(const struct lk_run_opts *o, struct running *r)
{
	char buf[512], *argv[MAX_ARGS];
	int pipefd[2], err;
	char value[32];

	snprintf(r->cgroup, sizeof(r->cgroup), CG_TOP "/%s", r->e->name);
	snprintf(r->path, sizeof(r->path), "/" CG_TOP "/%s", r->e->name);
	err = cg_create_leaf(r->cgroup);
	if (err)
		return err;
	if (r->e->cg_max) {
		snprintf(value, sizeof(value), "%llu", (unsigned long long)r->e->cg_max);
		err = cg_write(r->cgroup, "memory.max", value);
		if (err)
			return err;
	}
	err = expand(r->e->cmd, o->window_s, o->bin_dir ? o->bin_dir : "/mp/bin",
		     buf, sizeof(buf), argv);
	if (err)
		return err;
	if (pipe2(pipefd, O_CLOEXEC))
		return -errno;
	r->pid = mp_fork();
	if (r->pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -errno;
	}
	if (!r->pid) {
		if (cg_enter(r->cgroup, getpid()) || dup2(pipefd[1], 1) < 0)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pipefd[1]);
	r->out = pipefd[0];
	fcntl(r->out, F_SETFL, O_NONBLOCK);
	return 0;
}

/* The workloads' "mark PID WHAT [VALUE]" lines, timed now. */
static void read_marks(struct lk_trace *tr, struct running *r, uint32_t t_ms)
{
	ssize_t n;
	char *nl;

	while ((n = read(r->out, r->buf + r->len, sizeof(r->buf) - 1 - r->len)) > 0) {
		r->len += n;
		r->buf[r->len] = '\0';
		while ((nl = strchr(r->buf, '\n'))) {
			struct lk_mark m = { .t_ms = t_ms, .wl = r->wl, .value = -1 };
			char what[LK_MARK_MAX];
			long long v;
			int got;

			*nl = '\0';
			got = sscanf(r->buf, "mark %d %15s %lld", &m.pid, what, &v);
			if (got >= 2) {
				memcpy(m.what, what, sizeof(m.what));
				if (got == 3)
					m.value = v;
				lk_trace_mark(tr, &m);
			}
			r->len -= nl + 1 - r->buf;
			memmove(r->buf, nl + 1, r->len + 1);
		}
		if (r->len == sizeof(r->buf) - 1)
			r->len = 0;	/* a line too long for a mark: not one */
	}
}

static int cell_u32_kib(const struct mp_table *t, size_t row, int col,
			uint32_t *kib)
{
	uint64_t v;
	int err = mp_parse_u64(mp_table_cell(t, row, col), &v);

	*kib = err ? 0 : (uint32_t)(v / 1024);
	return err;
}

/* The workload whose cgroup path is @path, or NULL. */
static struct running *by_path(struct running *run, unsigned int n,
			       const char *path)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!strcmp(run[i].path, path))
			return &run[i];
	return NULL;
}

/* One sample: each workload's processes and cgroup. */
static int record_sample(struct lk_trace *tr, struct running *run,
			 unsigned int n, uint32_t t_ms)
{
	struct mp_table t;
	char path[256];
	int c[9], err;
	size_t i;

	err = mp_table_read(MEMPRESSURE_PROC_PATH, MEMPRESSURE_FILE_PROCESSES, &t);
	if (err)
		return err;
	lk_trace_sample(tr, t_ms);
	c[0] = mp_table_column(&t, MP_PCOL(PID));
	c[1] = mp_table_column(&t, MP_PCOL(CGROUP));
	c[2] = mp_table_column(&t, MP_PCOL(AGE));
	c[3] = mp_table_column(&t, MP_PCOL(ANON));
	c[4] = mp_table_column(&t, MP_PCOL(FILE));
	c[5] = mp_table_column(&t, MP_PCOL(SHMEM));
	c[6] = mp_table_column(&t, MP_PCOL(SWAP));
	c[7] = mp_table_column(&t, MP_PCOL(LEAK));
	c[8] = mp_table_column(&t, MP_PCOL(TIME_TO_LIMIT));
	for (i = 0; i < 9; i++)
		if (c[i] < 0) {
			mp_table_free(&t);
			return -EPROTO;
		}
	for (i = 0; i < t.nr_rows; i++) {
		struct lk_row row = { .t_ms = t_ms, .ttl_s = -1 };
		struct running *r;
		int64_t v;
		uint64_t u;

		if (mp_unescape(mp_table_cell(&t, i, c[1]), path, sizeof(path)) ||
		    !(r = by_path(run, n, path)))
			continue;
		row.wl = r->wl;
		if (mp_parse_s64(mp_table_cell(&t, i, c[0]), &v))
			continue;
		row.pid = (int32_t)v;
		if (!mp_parse_u64(mp_table_cell(&t, i, c[2]), &u))
			row.age_ms = (uint32_t)(u / 1000);
		cell_u32_kib(&t, i, c[3], &row.anon_kib);
		cell_u32_kib(&t, i, c[4], &row.file_kib);
		cell_u32_kib(&t, i, c[5], &row.shmem_kib);
		cell_u32_kib(&t, i, c[6], &row.swap_kib);
		if (!mp_parse_u64(mp_table_cell(&t, i, c[7]), &u))
			row.leak = u == 1;
		if (!mp_parse_s64(mp_table_cell(&t, i, c[8]), &v))
			row.ttl_s = v > INT32_MAX ? INT32_MAX : (int32_t)v;
		lk_trace_row(tr, &row);
	}
	mp_table_free(&t);

	err = mp_table_read(MEMPRESSURE_PROC_PATH, MEMPRESSURE_FILE_CGROUPS, &t);
	if (err)
		return err;
	c[0] = mp_table_column(&t, MP_CGCOL(PATH));
	c[1] = mp_table_column(&t, MP_CGCOL(CURRENT));
	c[2] = mp_table_column(&t, MP_CGCOL(LIMIT));
	for (i = 0; c[0] >= 0 && c[1] >= 0 && c[2] >= 0 && i < t.nr_rows; i++) {
		struct lk_cg_row cg = { .t_ms = t_ms };
		struct running *r;
		uint64_t u;

		if (mp_unescape(mp_table_cell(&t, i, c[0]), path, sizeof(path)) ||
		    !(r = by_path(run, n, path)))
			continue;
		cg.wl = r->wl;
		if (!mp_parse_u64(mp_table_cell(&t, i, c[1]), &u))
			cg.current_kib = u / 1024;
		if (!mp_parse_u64(mp_table_cell(&t, i, c[2]), &u))
			cg.limit_kib = u / 1024;
		lk_trace_cg(tr, &cg);
	}
	mp_table_free(&t);
	return 0;
}

/* Settings "name=value:..." written to the control file. */
static int set_tunables(const char *list)
{
	char buf[512], cmd[600];
	char *tok, *save;
	int err;

	if (!list)
		return 0;
	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
		char *eq = strchr(tok, '=');

		if (!eq)
			return -EINVAL;
		*eq = '\0';
		snprintf(cmd, sizeof(cmd), "%s %s %s", MEMPRESSURE_CTL_SET, tok, eq + 1);
		err = mp_control_cmd(cmd);
		if (err)
			return err;
	}
	return 0;
}

static void stop_all(struct running *run, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (run[i].cgroup[0])
			cg_destroy(run[i].cgroup);
		if (run[i].out >= 0)
			close(run[i].out);
		if (run[i].pid > 0)
			waitpid(run[i].pid, NULL, 0);
	}
	cg_destroy(CG_TOP);
	unlink(LEAKFS "/data");
	umount(LEAKFS);
	rmdir(LEAKFS);
}

int lk_run(const struct lk_run_opts *o, struct lk_trace *tr)
{
	struct running run[LK_MAX_WORKLOADS];
	unsigned int n = 0, i, seconds = o->seconds;
	uint64_t t0, samples = 0, s;
	struct mp_events ev;
	char params[64];
	int err;

	tr->window_s = o->window_s;
	tr->interval_ms = 1000;
	snprintf(params, sizeof(params), "interval_ms=%u", tr->interval_ms);
	err = mp_load(params);
	if (err)
		return err;
	err = mp_control_set(MEMPRESSURE_TUNABLE_LEAK_WINDOW, o->window_s);
	if (!err)
		err = set_tunables(o->tunables);
	if (err)
		return err;
	err = mp_events_open(&ev, O_NONBLOCK);
	if (err)
		return err;
	mkdir(LEAKFS, 0755);
	if (mount("ramfs", LEAKFS, "ramfs", 0, NULL) && errno != EBUSY)
		logf_(o, "# ramfs: %s\n", strerror(errno));
	err = cg_create(CG_TOP);
	if (err)
		goto out;

	for (i = 0; i < lk_corpus_len && n < LK_MAX_WORKLOADS; i++) {
		const struct lk_entry *e = &lk_corpus[i];
		struct lk_workload_info *w;

		if (!selected(o, e))
			continue;
		w = &tr->wl[tr->nr_wl];
		snprintf(w->name, sizeof(w->name), "%s", e->name);
		w->label = e->label;
		w->rate = e->rate;
		w->ttl = e->ttl;
		run[n] = (struct running){ .e = e, .wl = tr->nr_wl++, .out = -1 };
		if (!o->seconds && needed(e, o->window_s) > seconds)
			seconds = needed(e, o->window_s);
		n++;
	}
	logf_(o, "# leak corpus: %u workloads, leak_window %u, %u s\n", n,
	      o->window_s, seconds);
	t0 = mp_now_ms();
	for (i = 0; i < n; i++) {
		struct lk_mark m = { .wl = run[i].wl, .value = -1 };

		err = start_workload(o, &run[i]);
		if (err) {
			logf_(o, "# %s: could not start: %s\n", run[i].e->name,
			      strerror(-err));
			goto out;
		}
		m.t_ms = (uint32_t)(mp_now_ms() - t0);
		m.pid = run[i].pid;
		memcpy(m.what, "launch", sizeof("launch"));
		lk_trace_mark(tr, &m);
	}

	while (mp_now_ms() < t0 + seconds * 1000ULL) {
		uint32_t t_ms = (uint32_t)(mp_now_ms() - t0);
		struct mp_event e;

		for (i = 0; i < n; i++)
			read_marks(tr, &run[i], t_ms);
		/* mempressured's part: ask for a trim at a soft_over. */
		while (mp_events_next(&ev, &e, 0) == 0) {
			struct running *r = by_path(run, n, e.cgroup);

			if (e.kind == MEMPRESSURE_EVENT_SOFT_OVER && r &&
			    r->e->trims && !mp_event_has(&e, MEMPRESSURE_EKEY_PID)) {
				struct lk_mark m = { .t_ms = t_ms, .wl = r->wl,
						     .pid = r->pid, .value = -1 };

				memcpy(m.what, "asked", sizeof("asked"));
				lk_trace_mark(tr, &m);
				kill(r->pid, SIGUSR1);
			}
		}
		if (!mp_status_u64(MP_STATUS(SAMPLES), &s) && s != samples) {
			samples = s;
			err = record_sample(tr, run, n, t_ms);
			if (err)
				goto out;
		}
		usleep(100000);
	}
	tr->end_ms = (uint32_t)(mp_now_ms() - t0);
	err = 0;
out:
	stop_all(run, n);
	mp_events_close(&ev);
	return err;
}
