// SPDX-License-Identifier: GPL-2.0
/*
 * mempressure module lifecycle: parameters out of range are refused with
 * one clear log line and leave nothing behind; a loaded module shows the
 * three files in exactly the format <linux/mempressure.h> defines; the
 * max_processes and max_cgroups bounds hold and count what they skip; and
 * the module unloads cleanly while readers hold its files open, because
 * procfs does not pin the module and a reader must never be left with a
 * file that points into freed module memory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mp_util.h"

/* Load, open, unload cycles of the unload_with_open_readers test. */
#define UNLOAD_CYCLES	50

/* Children that keep processes alive while a bound is tested. */
#define BOUND_CHILDREN	10
#define BOUND_CGROUPS	4

#define STATUS_PATH	MEMPRESSURE_PROC_PATH "/" MEMPRESSURE_FILE_STATUS
#define PROCESSES_PATH	MEMPRESSURE_PROC_PATH "/" MEMPRESSURE_FILE_PROCESSES
#define CGROUPS_PATH	MEMPRESSURE_PROC_PATH "/" MEMPRESSURE_FILE_CGROUPS

#define NAME(e, name)	name,

static const char *const status_keys[] = {
	MEMPRESSURE_STATUS_KEYS(NAME)
};

static const char *const process_columns[] = {
	MEMPRESSURE_PROCESS_COLUMNS(NAME)
};

static const char *const cgroup_columns[] = {
	MEMPRESSURE_CGROUP_COLUMNS(NAME)
};

/* The header a table must start with: its column names, one space apart. */
static void join_names(const char *const *names, size_t nr, char *out,
		       size_t size)
{
	size_t i, used = 0;

	out[0] = '\0';
	for (i = 0; i < nr; i++)
		used += snprintf(out + used, size - used, "%s%s", i ? " " : "",
				 names[i]);
}

/* Whether the first line of @text is exactly @line. */
static bool first_line_is(const char *text, const char *line)
{
	size_t len = strlen(line);

	return !strncmp(text, line, len) && text[len] == '\n';
}

/* A cell of a numeric column: a number, "-" or "max", never anything else. */
static bool valid_number_cell(const char *cell)
{
	uint64_t u;
	int64_t s;
	int err = mp_parse_u64(cell, &u);

	return !err || err == -ENODATA || !mp_parse_s64(cell, &s);
}

/* "12.34", as psi prints a percentage, or "-". */
static bool valid_percent_cell(const char *cell)
{
	unsigned int whole, frac;
	char end;

	if (!strcmp(cell, MEMPRESSURE_NA))
		return true;
	if (strlen(cell) < 4 || cell[strlen(cell) - 3] != '.')
		return false;
	return sscanf(cell, "%u.%2u%c", &whole, &frac, &end) == 2 &&
	       whole <= 100;
}

/* Every cell of @t decodes: strings unescape, everything else is a number. */
static int check_cells(const struct mp_table *t, const char *const *strings,
		       size_t nr_strings, const char *percent_suffix,
		       size_t *bad_row, size_t *bad_col)
{
	size_t row, col, i;
	char buf[4096];

	for (row = 0; row < t->nr_rows; row++) {
		for (col = 0; col < t->nr_cols; col++) {
			const char *cell = mp_table_cell(t, row, col);
			const char *name = t->names[col];
			bool string = false, ok;
			size_t nlen = strlen(name);
			size_t slen = strlen(percent_suffix);

			for (i = 0; i < nr_strings; i++)
				string |= !strcmp(name, strings[i]);
			if (string) {
				int err = mp_unescape(cell, buf, sizeof(buf));

				/* "-": not applicable (no comm, no cgroup). */
				ok = !err || err == -ENODATA;
			} else if (nlen > slen &&
				   !strcmp(name + nlen - slen, percent_suffix)) {
				ok = valid_percent_cell(cell);
			} else {
				ok = valid_number_cell(cell);
			}
			if (!ok) {
				*bad_row = row;
				*bad_col = col;
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* The rows of a table file now; -errno if it cannot be read or parsed. */
static long table_rows(const char *file)
{
	struct mp_table t;
	long rows;
	int err;

	err = mp_table_read(MEMPRESSURE_PROC_PATH, file, &t);
	if (err)
		return err;
	rows = (long)t.nr_rows;
	mp_table_free(&t);
	return rows;
}

FIXTURE(load) {
	pid_t children[BOUND_CHILDREN];
	int nr_children;
	char cgroups[BOUND_CGROUPS][64];
	int nr_cgroups;
};

FIXTURE_SETUP(load)
{
	/* Start from a known state: no module from an earlier run. */
	ASSERT_EQ(0, mp_unload());
	self->nr_children = 0;
	self->nr_cgroups = 0;
}

FIXTURE_TEARDOWN(load)
{
	int i;

	for (i = 0; i < self->nr_children; i++)
		mp_kill_child(self->children[i]);
	for (i = self->nr_cgroups - 1; i >= 0; i--)
		cg_destroy(self->cgroups[i]);
	EXPECT_EQ(0, mp_unload());
	EXPECT_FALSE(mp_loaded());
}

/*
 * Each parameter out of range fails the load with EINVAL, leaves no
 * /proc/mempressure and logs exactly one line naming the parameter.
 */
TEST_F(load, bad_parameters)
{
	static const char *const bad[] = {
		"interval_ms=0", "interval_ms=99", "interval_ms=60001",
		"max_processes=0", "max_processes=4194305",
		"max_cgroups=0", "max_cgroups=1048577",
	};
	char log[16384], name[64];
	uint64_t v;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		int fd, matches = 0;
		char *line;

		snprintf(name, sizeof(name), "%.*s",
			 (int)strcspn(bad[i], "="), bad[i]);
		fd = kmsg_open();
		ASSERT_LE(0, fd);

		EXPECT_EQ(-EINVAL, mp_load(bad[i])) {
			TH_LOG("%s was not refused with EINVAL", bad[i]);
		}
		EXPECT_FALSE(mp_loaded()) {
			TH_LOG("%s left %s behind", bad[i],
			       MEMPRESSURE_PROC_PATH);
		}

		log[0] = '\0';
		ASSERT_EQ(0, kmsg_read_new(fd, log, sizeof(log)));
		close(fd);
		for (line = strtok(log, "\n"); line; line = strtok(NULL, "\n")) {
			if (!strstr(line, "mempressure: ") ||
			    !strstr(line, name) || !strstr(line, "out of range"))
				continue;
			matches++;
			/* The line also says which value was refused. */
			EXPECT_NE(NULL, strstr(line, bad[i])) {
				TH_LOG("log line '%s' does not show '%s'",
				       line, bad[i]);
			}
		}
		EXPECT_EQ(1, matches) {
			TH_LOG("%s: %d log lines about it", bad[i], matches);
		}
		ASSERT_EQ(0, mp_unload());
	}

	/* Values in range are taken as given. */
	ASSERT_EQ(0, mp_load("interval_ms=100 max_processes=10 max_cgroups=5"));
	ASSERT_EQ(0, mp_status_u64("interval_ms", &v));
	EXPECT_EQ(100, v);
	ASSERT_EQ(0, mp_status_u64("max_processes", &v));
	EXPECT_EQ(10, v);
	ASSERT_EQ(0, mp_status_u64("max_cgroups", &v));
	EXPECT_EQ(5, v);
}

/*
 * A table file: its header names @columns in order, and every cell of every
 * row decodes (the @strings columns as escaped text, the rest as numbers or
 * "-").  Returns how many rows it has.
 */
static size_t check_table_file(struct __test_metadata *_metadata,
			       const char *path, const char *const *columns,
			       size_t nr_columns, const char *const *strings,
			       size_t nr_strings)
{
	size_t bad_row = 0, bad_col = 0, len, rows;
	char header[1024];
	struct mp_table t;
	char *text;

	join_names(columns, nr_columns, header, sizeof(header));
	ASSERT_EQ(0, mp_read_file(path, &text, &len));
	EXPECT_TRUE(first_line_is(text, header)) {
		TH_LOG("%s header is '%.*s', expected '%s'", path,
		       (int)strcspn(text, "\n"), text, header);
	}
	ASSERT_EQ(0, mp_table_parse(text, len, &t));
	free(text);
	EXPECT_EQ(0, check_cells(&t, strings, nr_strings, "_avg10",
				 &bad_row, &bad_col)) {
		TH_LOG("%s row %zu column %s: '%s'", path, bad_row,
		       t.names[bad_col], mp_table_cell(&t, bad_row, bad_col));
	}
	rows = t.nr_rows;
	mp_table_free(&t);
	return rows;
}

/* The files exist and are in the format the uapi header defines. */
TEST_F(load, files_and_formats)
{
	static const char *const process_strings[] = { "comm", "cgroup" };
	static const char *const cgroup_strings[] = { "cgroup", "level" };
	char version[64];
	char *text, *copy, *line;
	uint64_t v;
	size_t len;
	int i, fd;

	ASSERT_EQ(0, mp_load("interval_ms=200"));
	ASSERT_TRUE(mp_loaded());

	/* status: every key, once, in the header's order, with a value. */
	ASSERT_EQ(0, mp_read_file(STATUS_PATH, &text, &len));
	/* Split a copy into lines; @text stays whole for mp_kv_get(). */
	copy = strdup(text);
	ASSERT_NE(NULL, copy);
	line = copy;
	for (i = 0; i < MEMPRESSURE_STATUS_NR; i++) {
		size_t klen = strlen(status_keys[i]);
		char *eol = strchr(line, '\n');

		ASSERT_NE(NULL, eol) {
			TH_LOG("status ends before key '%s'", status_keys[i]);
		}
		*eol = '\0';
		EXPECT_TRUE(!strncmp(line, status_keys[i], klen) &&
			    line[klen] == ' ' && line[klen + 1]) {
			TH_LOG("status line %d is '%s', expected key '%s'",
			       i + 1, line, status_keys[i]);
		}
		/* Everything but the version string is a number. */
		if (i != MEMPRESSURE_STATUS_VERSION) {
			EXPECT_EQ(0, mp_parse_u64(line + klen + 1, &v)) {
				TH_LOG("status '%s' is not a number", line);
			}
		}
		line = eol + 1;
	}
	EXPECT_STREQ("", line) {
		TH_LOG("status has more than %d lines", MEMPRESSURE_STATUS_NR);
	}
	free(copy);

	ASSERT_EQ(0, mp_kv_get(text, len, "version", version, sizeof(version)));
	EXPECT_NE(0, strlen(version));
	ASSERT_EQ(0, mp_kv_get_u64(text, len, "abi_version", &v));
	EXPECT_EQ(MEMPRESSURE_ABI_VERSION, v);
	ASSERT_EQ(0, mp_kv_get_u64(text, len, "processes", &v));
	EXPECT_LT(0, v);
	ASSERT_EQ(0, mp_kv_get_u64(text, len, "cgroups", &v));
	EXPECT_LE(1, v);
	free(text);

	/* The version is the one the module declares to modinfo. */
	fd = open("/sys/module/mempressure/version", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		char sys_version[64];
		ssize_t n = read(fd, sys_version, sizeof(sys_version) - 1);

		close(fd);
		ASSERT_LT(0, n);
		sys_version[n] = '\0';
		sys_version[strcspn(sys_version, "\n")] = '\0';
		EXPECT_STREQ(sys_version, version);
	}

	/* The tables: a header, then rows that all decode. */
	EXPECT_LT(0, check_table_file(_metadata, PROCESSES_PATH,
				      process_columns,
				      ARRAY_SIZE(process_columns),
				      process_strings,
				      ARRAY_SIZE(process_strings)));
	EXPECT_LE(1, check_table_file(_metadata, CGROUPS_PATH, cgroup_columns,
				      ARRAY_SIZE(cgroup_columns),
				      cgroup_strings,
				      ARRAY_SIZE(cgroup_strings)));
}

/*
 * max_processes: with more user processes than the bound, the table holds
 * exactly the bound and the rest are counted as skipped.
 */
TEST_F(load, max_processes_bound)
{
	uint64_t processes, skipped;
	long rows;
	int i;

	for (i = 0; i < BOUND_CHILDREN; i++) {
		pid_t pid = mp_fork_idle();

		ASSERT_LT(0, pid);
		self->children[self->nr_children++] = pid;
	}
	ASSERT_EQ(0, mp_load("max_processes=5 interval_ms=200"));
	ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));

	rows = table_rows(MEMPRESSURE_FILE_PROCESSES);
	EXPECT_EQ(5, rows);
	ASSERT_EQ(0, mp_status_u64("processes", &processes));
	EXPECT_EQ(5, processes);
	/* At least the children, this process and init did not fit. */
	ASSERT_EQ(0, mp_status_u64("processes_skipped", &skipped));
	EXPECT_LE(BOUND_CHILDREN + 2 - 5, skipped);
	TH_LOG("max_processes=5: %ld rows, %llu skipped", rows,
	       (unsigned long long)skipped);
}

/* max_cgroups: the same for cgroups; the system row is always kept. */
TEST_F(load, max_cgroups_bound)
{
	uint64_t cgroups, skipped;
	struct mp_table t;
	int i, col;

	for (i = 0; i < BOUND_CGROUPS; i++) {
		snprintf(self->cgroups[i], sizeof(self->cgroups[i]),
			 "mptest-%d-%d", getpid(), i);
		ASSERT_EQ(0, cg_create(self->cgroups[i]));
		self->nr_cgroups++;
	}
	ASSERT_EQ(0, mp_load("max_cgroups=2 interval_ms=200"));
	ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));

	ASSERT_EQ(0, mp_table_read(MEMPRESSURE_PROC_PATH, MEMPRESSURE_FILE_CGROUPS, &t));
	EXPECT_EQ(2, t.nr_rows);
	col = mp_table_column(&t, "cgroup");
	ASSERT_LE(0, col);
	if (t.nr_rows) {
		EXPECT_STREQ("/", mp_table_cell(&t, 0, col));
	}
	mp_table_free(&t);

	ASSERT_EQ(0, mp_status_u64("cgroups", &cgroups));
	EXPECT_EQ(2, cgroups);
	/* The root and the cgroups made here: 1 + 4 - 2 did not fit. */
	ASSERT_EQ(0, mp_status_u64("cgroups_skipped", &skipped));
	EXPECT_LE(1 + BOUND_CGROUPS - 2, skipped);
}

/*
 * The child of the unload test: read the cgroups table in a loop until the
 * module is gone.  Exits 0 when open() says ENOENT or read() says EIO, 1 on
 * any other error, 2 if the module never went away.
 */
static int read_until_gone(int ready_fd)
{
	uint64_t deadline = mp_now_ms() + MP_WAIT_MS;
	bool told = false;
	char buf[4096];

	while (mp_now_ms() < deadline) {
		ssize_t n;
		int fd;

		fd = open(CGROUPS_PATH, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return errno == ENOENT ? 0 : 1;
		do {
			n = read(fd, buf, sizeof(buf));
		} while (n > 0);
		close(fd);
		if (n < 0)
			return errno == EIO ? 0 : 1;
		if (!told) {
			/* One whole read done: the parent may unload now. */
			told = write(ready_fd, "r", 1) == 1;
			if (!told)
				return 1;
		}
	}
	return 2;
}

/*
 * Unload while this process holds all three files open, one of them
 * partly read, and a child reads in a loop: the unload must succeed, the
 * open files must then fail with EIO, and the child must see the files
 * go away (ENOENT or EIO), never anything else.
 */
TEST_F_TIMEOUT(load, unload_with_open_readers, 600)
{
	static const char *const paths[] = {
		STATUS_PATH, PROCESSES_PATH, CGROUPS_PATH,
	};
	uint64_t start = mp_now_ms();
	int cycle;

	for (cycle = 0; cycle < UNLOAD_CYCLES; cycle++) {
		int fds[ARRAY_SIZE(paths)];
		int pipefd[2], status, err;
		char buf[100];
		size_t i;
		pid_t pid;

		/* The shortest interval: the sampler is busiest at unload. */
		ASSERT_EQ(0, mp_load("interval_ms=100"));
		for (i = 0; i < ARRAY_SIZE(paths); i++) {
			fds[i] = open(paths[i], O_RDONLY | O_CLOEXEC);
			ASSERT_LE(0, fds[i]) {
				TH_LOG("cycle %d: open %s: %s", cycle,
				       paths[i], strerror(errno));
			}
		}
		/* A read that stops inside the table, leaving seq_file state. */
		ASSERT_EQ((ssize_t)sizeof(buf), read(fds[1], buf, sizeof(buf)));

		ASSERT_EQ(0, pipe2(pipefd, O_CLOEXEC));
		pid = mp_fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			close(pipefd[0]);
			_exit(read_until_gone(pipefd[1]));
		}
		close(pipefd[1]);
		err = mp_pipe_wait(pipefd[0], 1, MP_WAIT_MS);
		close(pipefd[0]);
		if (err)
			mp_kill_child(pid);
		ASSERT_EQ(0, err) {
			TH_LOG("cycle %d: the reader never read the table",
			       cycle);
		}

		EXPECT_EQ(0, mp_unload()) {
			TH_LOG("cycle %d: unload failed with files open", cycle);
		}
		EXPECT_FALSE(mp_loaded());

		for (i = 0; i < ARRAY_SIZE(paths); i++) {
			errno = 0;
			EXPECT_EQ(-1, read(fds[i], buf, sizeof(buf)));
			EXPECT_EQ(EIO, errno) {
				TH_LOG("cycle %d: read %s after unload: %s",
				       cycle, paths[i], strerror(errno));
			}
			EXPECT_EQ(0, close(fds[i]));
		}

		err = mp_wait_child(pid, &status, MP_WAIT_MS);
		if (err)
			mp_kill_child(pid);
		ASSERT_EQ(0, err) {
			TH_LOG("cycle %d: the reader did not end", cycle);
		}
		ASSERT_TRUE(WIFEXITED(status));
		ASSERT_EQ(0, WEXITSTATUS(status)) {
			TH_LOG("cycle %d: the reader saw an error other than ENOENT or EIO",
			       cycle);
		}
		if (_metadata->exit_code)
			break;
	}
	TH_LOG("%d load/unload cycles with open files in %llu ms", cycle,
	       (unsigned long long)(mp_now_ms() - start));
	EXPECT_EQ(UNLOAD_CYCLES, cycle);
}

TEST_HARNESS_MAIN
