// SPDX-License-Identifier: GPL-2.0
/*
 * What a reader in a namespace may see (docs/events.md, Reading; the
 * same rule for the tables): a container must learn nothing about the
 * processes and cgroups outside it, and must see its own with the names
 * it knows them by, or a daemon inside would act on the wrong pid or path.
 *
 * Pid namespace: the reader sees only the processes of its namespace,
 * with their pids there.  Cgroup namespace: the reader sees only the
 * cgroups under its root, with paths from that root ("/" for the root),
 * and the processes table's cgroup column the same way; events about
 * cgroups outside are not shown.
 *
 * The reader inside is an agent: a child that does what the test asks
 * over a pipe (read a file, collect events, write the control file) and
 * puts the text in shared memory, where the test checks it.  The agent
 * in a pid namespace also mounts a proc of its own, in a mount namespace
 * of its own, as a container would: so its view of /proc/mempressure is
 * that of its namespace whether the module goes by the reader's pid
 * namespace or by the proc mount's.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mp_util.h"

#define MAX_KILL	8

/* The cgroup namespace test's tree (the brief's /mp-ns-test/inner). */
#define NS_TOP		"mp-ns-test"
#define NS_INNER	NS_TOP "/inner"
#define NS_READER	NS_INNER "/reader"
#define NS_CHILD	NS_INNER "/child"
#define NS_OUTSIDE	NS_TOP "/outside"

#define PROCESSES_PATH	MEMPRESSURE_PROC_PATH "/" MEMPRESSURE_FILE_PROCESSES
#define CGROUPS_PATH	MEMPRESSURE_PROC_PATH "/" MEMPRESSURE_FILE_CGROUPS

/* What the test asks of the agent, and what it answers. */
struct shared {
	/* Request: for 'e', the event to read up to; for 'w', the text. */
	int kind;
	pid_t pid;
	char cgroup[256];
	int timeout_ms;
	char text[1024];
	/* Set by the agent's side. */
	pid_t agent_host_pid;	/* the pid namespace's init, seen from here */
	pid_t ns_pid;		/* the agent's getpid() */
	pid_t child_ns_pid;	/* its child's pid, as it sees it */
	char out[512 * 1024];	/* the answer's text */
};

struct agent {
	pid_t pid;		/* the child this test forked */
	int cmd_fd, res_fd;
	struct shared *sh;
	struct mp_events ev;	/* the agent's own reader (its copy) */
};

FIXTURE(access) {
	pid_t kill[MAX_KILL];
	int nr_kill;
	bool cgroups;		/* the NS_* tree was made */
	struct agent a;
};

FIXTURE_SETUP(access)
{
	self->nr_kill = 0;
	self->cgroups = false;
	self->a.pid = 0;
	self->a.cmd_fd = self->a.res_fd = -1;
	self->a.sh = mmap(NULL, sizeof(*self->a.sh), PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->a.sh);
	ASSERT_EQ(0, mp_load("interval_ms=200"));
}

FIXTURE_TEARDOWN(access)
{
	int i;

	/* The pid namespace's init first: its namespace goes with it. */
	for (i = self->nr_kill - 1; i >= 0; i--) {
		kill(self->kill[i], SIGKILL);
		waitpid(self->kill[i], NULL, 0);
	}
	if (self->a.cmd_fd >= 0)
		close(self->a.cmd_fd);
	if (self->a.res_fd >= 0)
		close(self->a.res_fd);
	if (self->cgroups) {
		cg_destroy(NS_CHILD);
		cg_destroy(NS_READER);
		cg_destroy(NS_INNER);
		cg_destroy(NS_OUTSIDE);
		cg_destroy(NS_TOP);
	}
	munmap(self->a.sh, sizeof(*self->a.sh));
	EXPECT_EQ(0, mp_unload());
}

/* Copy file @path into @out (NUL-terminated): its length or -errno. */
static long read_into(const char *path, char *out, size_t size)
{
	size_t len;
	char *text;
	int err;

	err = mp_read_file(path, &text, &len);
	if (err)
		return err;
	if (len >= size)
		len = size - 1;
	memcpy(out, text, len);
	out[len] = '\0';
	free(text);
	return (long)len;
}

/* The agent's side: serve requests until told to quit or the test goes. */
static void agent_loop(struct agent *a)
{
	struct shared *sh = a->sh;

	a->ev.fd = -1;
	for (;;) {
		int64_t res = 0;
		char op;

		if (read(a->cmd_fd, &op, 1) != 1)
			_exit(0);
		switch (op) {
		case 'p':
			res = read_into(PROCESSES_PATH, sh->out, sizeof(sh->out));
			break;
		case 'c':
			res = read_into(CGROUPS_PATH, sh->out, sizeof(sh->out));
			break;
		case 'g':
			res = read_into("/proc/self/cgroup", sh->out,
					sizeof(sh->out));
			break;
		case 'o':
			res = mp_events_open(&a->ev, 0);
			break;
		case 'e': {
			uint64_t deadline = mp_now_ms() + (uint64_t)sh->timeout_ms;
			size_t used = 0;
			struct mp_event ev;

			sh->out[0] = '\0';
			for (;;) {
				uint64_t now = mp_now_ms();

				res = mp_events_next(&a->ev, &ev, now < deadline ?
						     (int)(deadline - now) : 0);
				if (res && res != -EINVAL)
					break;
				used += (size_t)snprintf(sh->out + used,
							 sizeof(sh->out) - used,
							 "%s\n", ev.line);
				if (used >= sizeof(sh->out) - sizeof(ev.line)) {
					res = -ENOSPC;
					break;
				}
				if (!res && ev.kind == sh->kind &&
				    (!sh->pid || ev.pid == sh->pid) &&
				    (!sh->cgroup[0] ||
				     !strcmp(ev.cgroup, sh->cgroup)))
					break;
			}
			break;
		}
		case 'w':
			res = mp_control_cmd(sh->text);
			break;
		default:
			_exit(0);
		}
		if (write(a->res_fd, &res, sizeof(res)) != sizeof(res))
			_exit(1);
	}
}

/* Ask the agent for @op; its result (a length, 0 or -errno) in @res. */
static int agent_call(struct agent *a, char op, int64_t *res)
{
	struct pollfd pfd = { .fd = a->res_fd, .events = POLLIN };
	int timeout = MP_WAIT_MS + (op == 'e' ? a->sh->timeout_ms : 0);

	if (write(a->cmd_fd, &op, 1) != 1)
		return -EPIPE;
	if (poll(&pfd, 1, timeout) != 1)
		return -ETIMEDOUT;
	if (read(a->res_fd, res, sizeof(*res)) != (ssize_t)sizeof(*res))
		return -EPIPE;
	return 0;
}

/* Pipes to a child about to be forked; after fork, each keeps its ends. */
static int agent_pipes(struct agent *a, int cmd[2], int res[2])
{
	if (pipe2(cmd, O_CLOEXEC))
		return -errno;
	if (pipe2(res, O_CLOEXEC)) {
		close(cmd[0]);
		close(cmd[1]);
		return -errno;
	}
	a->sh->agent_host_pid = 0;
	return 0;
}

static void agent_parent_ends(struct agent *a, pid_t pid, int cmd[2],
			      int res[2])
{
	a->pid = pid;
	close(cmd[0]);
	close(res[1]);
	a->cmd_fd = cmd[1];
	a->res_fd = res[0];
}

static void agent_child_ends(struct agent *a, int cmd[2], int res[2])
{
	close(cmd[1]);
	close(res[0]);
	a->cmd_fd = cmd[0];
	a->res_fd = res[1];
}

/*
 * The pid namespace: a child unshares a pid and a mount namespace and
 * forks the namespace's init, which mounts its own proc, forks a child
 * (pid 2 there) and serves as the agent.  Returns the init's pid here.
 */
static pid_t start_pidns_agent(FIXTURE_DATA(access) *self)
{
	struct agent *a = &self->a;
	int cmd[2], res[2];
	uint64_t deadline;
	pid_t pid, init;

	if (agent_pipes(a, cmd, res))
		return -1;
	pid = mp_fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		agent_child_ends(a, cmd, res);
		if (unshare(CLONE_NEWPID | CLONE_NEWNS))
			_exit(20);
		init = fork();
		if (init < 0)
			_exit(21);
		if (!init) {
			pid_t child;

			/* The parent is outside: mp_fork()'s check cannot see it. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
			    mount("proc", "/proc", "proc",
				  MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
				_exit(22);
			prctl(PR_SET_NAME, "mp-ns-init");
			child = mp_fork();
			if (child < 0)
				_exit(23);
			if (!child) {
				prctl(PR_SET_NAME, "mp-ns-child");
				for (;;)
					pause();
			}
			a->sh->ns_pid = getpid();
			a->sh->child_ns_pid = child;
			agent_loop(a);
		}
		__atomic_store_n(&a->sh->agent_host_pid, init, __ATOMIC_SEQ_CST);
		waitpid(init, NULL, 0);
		_exit(0);
	}
	agent_parent_ends(a, pid, cmd, res);
	self->kill[self->nr_kill++] = pid;

	deadline = mp_now_ms() + MP_WAIT_MS;
	while (!(init = __atomic_load_n(&a->sh->agent_host_pid,
					__ATOMIC_SEQ_CST))) {
		if (mp_now_ms() > deadline)
			return -1;
		usleep(10000);
	}
	self->kill[self->nr_kill++] = init;
	return init;
}

/* The pid of @ppid's child here, by scanning /proc; -1 if none. */
static pid_t child_of(pid_t ppid)
{
	struct dirent *de;
	pid_t found = -1;
	DIR *dir;

	dir = opendir("/proc");
	if (!dir)
		return -1;
	while (found < 0 && (de = readdir(dir))) {
		char path[300], buf[512], *p;
		int pid, parent, fd;
		ssize_t n;

		pid = atoi(de->d_name);
		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		p = strrchr(buf, ')');
		if (p && sscanf(p + 1, " %*c %d", &parent) == 1 &&
		    parent == ppid)
			found = pid;
	}
	closedir(dir);
	return found;
}

/* The last number of the NSpid line of /proc/@pid/status. */
static pid_t innermost_pid(pid_t pid)
{
	char path[64], line[256];
	pid_t last = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = line + strlen("NSpid:");

		if (strncmp(line, "NSpid:", strlen("NSpid:")))
			continue;
		for (;;) {
			char *end;
			long v = strtol(p, &end, 10);

			if (end == p)
				break;
			last = (pid_t)v;
			p = end;
		}
	}
	fclose(f);
	return last;
}

/* A row's cell of @t as a string, for a row found by @key_col = @key. */
static const char *cell_of(const struct mp_table *t, const char *key_col,
			   const char *key, const char *col)
{
	const char *cell = NULL;

	if (mp_row_raw(t, key_col, key, col, &cell))
		return NULL;
	return cell;
}

/*
 * CROWD idle processes outside any test namespace: rows a reader in a
 * namespace skips, more than the module skips in one go (MP_SKIP_BATCH,
 * 256).  Their parent says when they are all there, and ends them and
 * itself when @hold_fd's other end is closed (by the test, or its exit).
 */
#define CROWD	300

static pid_t start_crowd(int *hold_fd)
{
	pid_t pids[CROWD], pid;
	int hold[2], ready[2], i, err;
	char c;

	if (pipe2(hold, O_CLOEXEC) || pipe2(ready, O_CLOEXEC))
		return -1;
	pid = mp_fork();
	if (pid > 0) {
		close(hold[0]);
		close(ready[1]);
		err = mp_pipe_wait(ready[0], 1, 10 * MP_WAIT_MS);
		close(ready[0]);
		*hold_fd = hold[1];
		return err ? -1 : pid;
	}
	if (pid < 0)
		return -1;
	close(hold[1]);
	close(ready[0]);
	for (i = 0; i < CROWD; i++) {
		pids[i] = mp_fork_idle();
		if (pids[i] < 0)
			break;
	}
	if (i == CROWD && write(ready[1], "r", 1) != 1)
		i = 0;
	while (read(hold[0], &c, 1) < 0 && errno == EINTR)
		;
	while (i-- > 0)
		mp_kill_child(pids[i]);
	_exit(0);
}

/*
 * Read by the init of a new pid namespace, the processes table lists
 * exactly the namespace's two processes, by the pids they have there:
 * 1 (the init itself, getpid() there) and its child, whose pid here ends
 * its NSpid line with the pid the table shows.  None of the host's
 * processes (this one, the real init) is there.  The two views agree on
 * what the processes hold.
 */
TEST_F_TIMEOUT(access, pid_namespace_sees_its_own, 300)
{
	char key[16], hkey[16];
	const char *comm, *c1, *c2;
	struct mp_table t, h;
	pid_t init, child, crowd;
	int64_t res;
	int col, hold;

	init = start_pidns_agent(self);
	ASSERT_LT(0, init);
	child = -1;
	for (col = 0; col < 100 && child < 0; col++) {
		child = child_of(init);
		if (child < 0)
			usleep(20000);
	}
	ASSERT_LT(0, child);
	/* Last: nothing forked after it holds @hold. */
	crowd = start_crowd(&hold);
	ASSERT_LT(0, crowd);
	ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));

	ASSERT_EQ(0, agent_call(&self->a, 'p', &res));
	ASSERT_LT(0, res) {
		TH_LOG("the agent could not read the table: %s",
		       strerror((int)-res));
	}
	TH_LOG("inside: getpid() %d, child %d; here: init %d, child %d",
	       self->a.sh->ns_pid, self->a.sh->child_ns_pid, init, child);
	TH_LOG("the table inside:\n%s", self->a.sh->out);
	EXPECT_EQ(1, self->a.sh->ns_pid);
	EXPECT_EQ(self->a.sh->child_ns_pid, innermost_pid(child));

	ASSERT_EQ(0, mp_table_parse(self->a.sh->out, strlen(self->a.sh->out),
				    &t));
	EXPECT_EQ(2, t.nr_rows);
	comm = cell_of(&t, MP_PCOL(PID), "1", MP_PCOL(COMM));
	ASSERT_NE(NULL, comm);
	EXPECT_STREQ("mp-ns-init", comm);
	snprintf(key, sizeof(key), "%d", self->a.sh->child_ns_pid);
	comm = cell_of(&t, MP_PCOL(PID), key, MP_PCOL(COMM));
	ASSERT_NE(NULL, comm);
	EXPECT_STREQ("mp-ns-child", comm);
	snprintf(hkey, sizeof(hkey), "%d", getpid());
	EXPECT_EQ(NULL, cell_of(&t, MP_PCOL(PID), hkey, MP_PCOL(COMM)));

	/* Here, the same processes by their pids here. */
	ASSERT_EQ(0, mp_table_read(MEMPRESSURE_PROC_PATH, MEMPRESSURE_FILE_PROCESSES, &h));
	snprintf(hkey, sizeof(hkey), "%d", init);
	comm = cell_of(&h, MP_PCOL(PID), hkey, MP_PCOL(COMM));
	ASSERT_NE(NULL, comm);
	EXPECT_STREQ("mp-ns-init", comm);
	c1 = cell_of(&h, MP_PCOL(PID), hkey, MP_PCOL(ANON));
	c2 = cell_of(&t, MP_PCOL(PID), "1", MP_PCOL(ANON));
	ASSERT_NE(NULL, c1);
	ASSERT_NE(NULL, c2);
	TH_LOG("init's anon_bytes: %s here, %s inside", c1, c2);
	snprintf(hkey, sizeof(hkey), "%d", child);
	comm = cell_of(&h, MP_PCOL(PID), hkey, MP_PCOL(COMM));
	ASSERT_NE(NULL, comm);
	EXPECT_STREQ("mp-ns-child", comm);
	EXPECT_LT(2 + CROWD, h.nr_rows);
	mp_table_free(&h);
	mp_table_free(&t);
	close(hold);
	EXPECT_EQ(0, mp_wait_child(crowd, &col, MP_WAIT_MS));
}

/*
 * Events in a pid namespace: a process outside and then the namespace's
 * child go over a soft limit; the reader inside sees only the child's
 * event, with the child's pid there and the same seq as here.
 */
TEST_F_TIMEOUT(access, pid_namespace_events, 60)
{
	struct mp_events *host = malloc(sizeof(*host));
	char cmd[128], *line, *save;
	struct mp_event ev, mine;
	pid_t init, child, outside;
	int64_t res;
	int i, soft_over = 0;

	ASSERT_NE(NULL, host);
	init = start_pidns_agent(self);
	ASSERT_LT(0, init);
	child = -1;
	for (i = 0; i < 100 && child < 0; i++) {
		child = child_of(init);
		if (child < 0)
			usleep(20000);
	}
	ASSERT_LT(0, child);
	outside = mp_fork_idle();
	ASSERT_LT(0, outside);
	self->kill[self->nr_kill++] = outside;
	ASSERT_EQ(0, agent_call(&self->a, 'o', &res));
	ASSERT_EQ(0, res);
	ASSERT_EQ(0, mp_events_open(host, 0));
	ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));

	snprintf(cmd, sizeof(cmd), "%s %d 1\n", MEMPRESSURE_CTL_SOFT_PID,
		 outside);
	ASSERT_EQ(0, mp_control_cmd(cmd));
	ASSERT_EQ(0, mp_events_wait(host, MEMPRESSURE_EVENT_SOFT_OVER, NULL,
				    outside, &ev, MP_WAIT_MS, NULL, NULL));
	snprintf(cmd, sizeof(cmd), "%s %d 1\n", MEMPRESSURE_CTL_SOFT_PID,
		 child);
	ASSERT_EQ(0, mp_control_cmd(cmd));
	ASSERT_EQ(0, mp_events_wait(host, MEMPRESSURE_EVENT_SOFT_OVER, NULL,
				    child, &mine, MP_WAIT_MS, NULL, NULL));
	TH_LOG("here: %s", mine.line);

	self->a.sh->kind = MEMPRESSURE_EVENT_SOFT_OVER;
	self->a.sh->pid = self->a.sh->child_ns_pid;
	self->a.sh->cgroup[0] = '\0';
	self->a.sh->timeout_ms = MP_WAIT_MS;
	ASSERT_EQ(0, agent_call(&self->a, 'e', &res));
	TH_LOG("inside:\n%s", self->a.sh->out);
	EXPECT_EQ(0, res);

	for (line = strtok_r(self->a.sh->out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		ASSERT_EQ(0, mp_event_parse(line, strlen(line), &ev));
		if (!mp_event_has(&ev, MEMPRESSURE_EKEY_PID))
			continue;
		EXPECT_TRUE(ev.pid == 1 || ev.pid == self->a.sh->child_ns_pid) {
			TH_LOG("a process outside the namespace: %s", line);
		}
		if (ev.kind != MEMPRESSURE_EVENT_SOFT_OVER)
			continue;
		soft_over++;
		EXPECT_EQ(self->a.sh->child_ns_pid, ev.pid);
		EXPECT_EQ(mine.seq, ev.seq);
		EXPECT_STREQ("mp-ns-child", ev.comm);
	}
	EXPECT_EQ(1, soft_over);
	mp_events_close(host);
	free(host);
}

/* Touch @arg bytes, say so, and wait to be killed: a cgroup's usage. */
static void holder(size_t bytes, int ready_fd)
{
	char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t off;

	if (p == MAP_FAILED)
		_exit(1);
	for (off = 0; off < bytes; off += 4096)
		p[off] = 1;
	if (write(ready_fd, "r", 1) != 1)
		_exit(1);
	for (;;)
		pause();
}

static pid_t start_holder(FIXTURE_DATA(access) *self, const char *cg,
			  int ready_fd)
{
	pid_t pid = mp_fork();

	if (!pid) {
		if (cg_enter(cg, getpid()))
			_exit(127);
		holder(1 * MiB, ready_fd);
	}
	if (pid > 0)
		self->kill[self->nr_kill++] = pid;
	return pid;
}

/*
 * A reader in a cgroup namespace rooted at NS_INNER sees in the cgroups
 * table that cgroup, as "/", and its children, as "/reader" and "/child",
 * and nothing else (not the system row, not NS_TOP, not NS_OUTSIDE); the
 * processes table's cgroup column is relative the same way; of two
 * soft_over events, one outside and one inside, it sees the inside one,
 * as "/child", with the seq it has here; and the cgroups it names in the
 * control file are under its root.
 */
TEST_F_TIMEOUT(access, cgroup_namespace_sees_its_subtree, 60)
{
	struct mp_events *host = malloc(sizeof(*host));
	const char *names[] = { NS_INNER, NS_READER, NS_CHILD };
	const char *want[] = { "/", "/reader", "/child" };
	char key[32], cmd[320], path[256], *line, *save, *control;
	struct agent *a = &self->a;
	struct mp_event ev, mine;
	int cmdp[2], resp[2], ready[2];
	pid_t in, out;
	struct mp_table t;
	uint64_t id, ids[3], top_id, out_id;
	int64_t res;
	size_t i;
	int soft_over = 0;

	ASSERT_NE(NULL, host);
	ASSERT_EQ(0, cg_create(NS_TOP));
	self->cgroups = true;
	ASSERT_EQ(0, cg_create_leaf(NS_INNER));
	ASSERT_EQ(0, cg_create_leaf(NS_OUTSIDE));

	/* The agent: into NS_INNER, then a cgroup namespace rooted there. */
	ASSERT_EQ(0, agent_pipes(a, cmdp, resp));
	a->pid = mp_fork();
	ASSERT_LE(0, a->pid);
	if (!a->pid) {
		agent_child_ends(a, cmdp, resp);
		if (cg_enter(NS_INNER, getpid()) || unshare(CLONE_NEWCGROUP))
			_exit(30);
		agent_loop(a);
	}
	agent_parent_ends(a, a->pid, cmdp, resp);
	self->kill[self->nr_kill++] = a->pid;
	ASSERT_EQ(0, agent_call(a, 'g', &res));
	ASSERT_LT(0, res);
	TH_LOG("agent's /proc/self/cgroup at its root: %s", a->sh->out);

	/*
	 * Children under the root; the agent moves to one, so that the root
	 * may enable the memory controller for them (no internal process).
	 */
	ASSERT_EQ(0, cg_create_leaf(NS_READER));
	ASSERT_EQ(0, cg_create_leaf(NS_CHILD));
	ASSERT_EQ(0, cg_enter(NS_READER, a->pid));
	ASSERT_EQ(0, cg_write(NS_INNER, "cgroup.subtree_control", "+memory"));
	ASSERT_EQ(0, pipe2(ready, O_CLOEXEC));
	in = start_holder(self, NS_CHILD, ready[1]);
	ASSERT_LT(0, in);
	out = start_holder(self, NS_OUTSIDE, ready[1]);
	ASSERT_LT(0, out);
	close(ready[1]);
	ASSERT_EQ(0, mp_pipe_wait(ready[0], 2, MP_WAIT_MS));
	close(ready[0]);
	ASSERT_EQ(0, agent_call(a, 'o', &res));
	ASSERT_EQ(0, res);
	ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));

	ASSERT_EQ(0, agent_call(a, 'g', &res));
	ASSERT_LT(0, res);
	EXPECT_STREQ("0::/reader\n", a->sh->out);

	/* The cgroups table: the subtree, relative, and nothing else. */
	for (i = 0; i < ARRAY_SIZE(names); i++)
		ASSERT_EQ(0, cg_id(names[i], &ids[i]));
	ASSERT_EQ(0, cg_id(NS_TOP, &top_id));
	ASSERT_EQ(0, cg_id(NS_OUTSIDE, &out_id));
	ASSERT_EQ(0, agent_call(a, 'c', &res));
	ASSERT_LT(0, res);
	TH_LOG("cgroups inside:\n%s", a->sh->out);
	ASSERT_EQ(0, mp_table_parse(a->sh->out, strlen(a->sh->out), &t));
	EXPECT_EQ(ARRAY_SIZE(names), t.nr_rows);
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(key, sizeof(key), "%llu", (unsigned long long)ids[i]);
		EXPECT_EQ(0, mp_row_str(&t, MP_CGCOL(ID), key, MP_CGCOL(PATH),
					path, sizeof(path))) {
			TH_LOG("no row for %s", names[i]);
			continue;
		}
		EXPECT_STREQ(want[i], path);
	}
	for (i = 0; i < t.nr_rows; i++) {
		int col = mp_table_column(&t, MP_CGCOL(ID));

		ASSERT_LE(0, col);
		ASSERT_EQ(0, mp_parse_u64(mp_table_cell(&t, i, (size_t)col),
					  &id));
		EXPECT_TRUE(id != 1 && id != top_id && id != out_id) {
			TH_LOG("row %zu: cgroup id %llu is outside", i,
			       (unsigned long long)id);
		}
	}
	mp_table_free(&t);

	/* The processes table's cgroup column, for the processes inside. */
	ASSERT_EQ(0, agent_call(a, 'p', &res));
	ASSERT_LT(0, res);
	ASSERT_EQ(0, mp_table_parse(a->sh->out, strlen(a->sh->out), &t));
	snprintf(key, sizeof(key), "%d", a->pid);
	ASSERT_EQ(0, mp_row_str(&t, MP_PCOL(PID), key, MP_PCOL(CGROUP), path,
				sizeof(path)));
	EXPECT_STREQ("/reader", path);
	snprintf(key, sizeof(key), "%d", in);
	ASSERT_EQ(0, mp_row_str(&t, MP_PCOL(PID), key, MP_PCOL(CGROUP), path,
				sizeof(path)));
	EXPECT_STREQ("/child", path);
	mp_table_free(&t);

	/* Events: outside first, then inside; it sees the inside one. */
	ASSERT_EQ(0, mp_events_open(host, 0));
	mp_cg_path(NS_OUTSIDE, path, sizeof(path));
	snprintf(cmd, sizeof(cmd), "%s %s 1\n", MEMPRESSURE_CTL_SOFT, path);
	ASSERT_EQ(0, mp_control_cmd(cmd));
	ASSERT_EQ(0, mp_events_wait(host, MEMPRESSURE_EVENT_SOFT_OVER, path, 0,
				    &ev, MP_WAIT_MS, NULL, NULL));
	mp_cg_path(NS_CHILD, path, sizeof(path));
	snprintf(cmd, sizeof(cmd), "%s %s 1\n", MEMPRESSURE_CTL_SOFT, path);
	ASSERT_EQ(0, mp_control_cmd(cmd));
	ASSERT_EQ(0, mp_events_wait(host, MEMPRESSURE_EVENT_SOFT_OVER, path, 0,
				    &mine, MP_WAIT_MS, NULL, NULL));
	TH_LOG("here: %s", mine.line);

	a->sh->kind = MEMPRESSURE_EVENT_SOFT_OVER;
	a->sh->pid = 0;
	snprintf(a->sh->cgroup, sizeof(a->sh->cgroup), "/child");
	a->sh->timeout_ms = MP_WAIT_MS;
	ASSERT_EQ(0, agent_call(a, 'e', &res));
	TH_LOG("inside:\n%s", a->sh->out);
	EXPECT_EQ(0, res);
	for (line = strtok_r(a->sh->out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		ASSERT_EQ(0, mp_event_parse(line, strlen(line), &ev));
		if (!mp_event_has(&ev, MEMPRESSURE_EKEY_CGROUP))
			continue;
		EXPECT_TRUE(!strcmp(ev.cgroup, "/") ||
			    !strcmp(ev.cgroup, "/reader") ||
			    !strcmp(ev.cgroup, "/child")) {
			TH_LOG("a cgroup outside the namespace: %s", line);
		}
		if (ev.kind != MEMPRESSURE_EVENT_SOFT_OVER)
			continue;
		soft_over++;
		EXPECT_STREQ("/child", ev.cgroup);
		EXPECT_EQ(mine.seq, ev.seq);
	}
	EXPECT_EQ(1, soft_over);

	/* The control file: paths from the writer's root. */
	snprintf(a->sh->text, sizeof(a->sh->text), "%s /child 2097152\n",
		 MEMPRESSURE_CTL_SOFT);
	ASSERT_EQ(0, agent_call(a, 'w', &res));
	EXPECT_EQ(0, res);
	snprintf(a->sh->text, sizeof(a->sh->text), "%s /outside 1\n",
		 MEMPRESSURE_CTL_SOFT);
	ASSERT_EQ(0, agent_call(a, 'w', &res));
	EXPECT_EQ(-ENOENT, res);
	snprintf(a->sh->text, sizeof(a->sh->text), "%s /%s 1\n",
		 MEMPRESSURE_CTL_SOFT, NS_OUTSIDE);
	ASSERT_EQ(0, agent_call(a, 'w', &res));
	EXPECT_EQ(-ENOENT, res);
	control = malloc(65536);
	ASSERT_NE(NULL, control);
	ASSERT_LT(0, mp_control_read(control, 65536));
	snprintf(cmd, sizeof(cmd), "\n%s /%s 2097152\n", MEMPRESSURE_CTL_SOFT,
		 NS_CHILD);
	EXPECT_NE(NULL, strstr(control, cmd)) {
		TH_LOG("control here:\n%s", control);
	}
	free(control);
	mp_events_close(host);
	free(host);
}

/* --- hidepid= --- */

#define HIDE_MNT	"/tmp/mp-proc-hidepid"		/* hidepid=invisible */
#define HIDE_GID_MNT	"/tmp/mp-proc-hidepid-gid"	/* and gid=HIDE_GID */
#define HIDE_PTRACE_MNT	"/tmp/mp-proc-hidepid-ptrace"	/* ptraceable, gid= */
#define HIDE_GID	4242
#define NOBODY		65534

/* What the unprivileged reader read, each file through each mount. */
struct hide_out {
	char procs[4][64 * 1024];	/* via HIDE_MNT, HIDE_GID_MNT, /proc, HIDE_PTRACE_MNT */
	char events[2][64 * 1024];	/* via HIDE_MNT, /proc */
	char control[2][16 * 1024];	/* via HIDE_MNT, /proc */
	int err;
};

static int drop_to_nobody(void)
{
	gid_t groups[] = { HIDE_GID };

	if (setgroups(1, groups) || setgid(NOBODY) || setuid(NOBODY))
		return -errno;
	/* A change of credentials clears the parent-death signal. */
	return prctl(PR_SET_PDEATHSIG, SIGKILL) ? -errno : 0;
}

static long read_events_into(int fd, char *out, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len < size - 1 && (n = read(fd, out + len, size - 1 - len)) > 0)
		len += n;
	out[len] = '\0';
	return n < 0 && errno != EAGAIN ? -errno : (long)len;
}

/* The reader: opens the event files, says so, waits, reads everything. */
static int hide_reader(struct hide_out *o, int ready_fd, int go_fd)
{
	static const char *const procs[] = {
		HIDE_MNT "/mempressure/processes", HIDE_GID_MNT "/mempressure/processes",
		"/proc/mempressure/processes", HIDE_PTRACE_MNT "/mempressure/processes",
	};
	int ev[2], err;
	char c;

	err = drop_to_nobody();
	if (err)
		return -err;
	ev[0] = open(HIDE_MNT "/mempressure/events", O_RDONLY | O_NONBLOCK);
	ev[1] = open("/proc/mempressure/events", O_RDONLY | O_NONBLOCK);
	if (ev[0] < 0 || ev[1] < 0)
		return errno;
	if (write(ready_fd, "r", 1) != 1 || read(go_fd, &c, 1) != 1)
		return EPIPE;
	for (int i = 0; i < 4; i++)
		if (read_into(procs[i], o->procs[i], sizeof(o->procs[i])) < 0)
			return EIO;
	for (int i = 0; i < 2; i++)
		if (read_events_into(ev[i], o->events[i], sizeof(o->events[i])) < 0)
			return EIO;
	if (read_into(HIDE_MNT "/mempressure/control", o->control[0], sizeof(o->control[0])) < 0 ||
	    read_into("/proc/mempressure/control", o->control[1], sizeof(o->control[1])) < 0)
		return EIO;
	return 0;
}

static bool row_of(const char *text, pid_t pid)
{
	struct mp_table t;
	char key[16];
	uint64_t v;
	bool found;

	snprintf(key, sizeof(key), "%d", pid);
	if (mp_table_parse(text, strlen(text), &t))
		return false;
	found = !mp_row_u64(&t, MP_PCOL(PID), key, MP_PCOL(RSS), &v);
	mp_table_free(&t);
	return found;
}

/* Whether the event lines hold a soft_over about @pid. */
static bool soft_over_of(const char *text, pid_t pid)
{
	for (const char *l = text, *nl; *l; l = nl + 1) {
		struct mp_event ev;

		nl = strchr(l, '\n');
		if (!nl)
			break;
		if (!mp_event_parse(l, (size_t)(nl - l), &ev) &&
		    ev.kind == MEMPRESSURE_EVENT_SOFT_OVER && ev.pid == pid)
			return true;
	}
	return false;
}

static bool soft_pid_line(const char *text, pid_t pid)
{
	char want[32];

	snprintf(want, sizeof(want), "\nsoft-pid %d ", pid);
	return strstr(text, want) != NULL;
}

/*
 * Through a proc mount with hidepid=invisible, an unprivileged reader
 * sees only its own processes, in the processes table, the events and
 * the control file's soft-pid lines, as /proc/PID shows it only them;
 * through the same mount with gid= its group, and through /proc, it sees
 * them all; with hidepid=ptraceable, gid= does not matter: its own only.
 * docs/security.md.
 */
TEST_F_TIMEOUT(access, hidepid_hides_other_users, 60)
{
	struct hide_out *o;
	int ready[2], go[2], status;
	pid_t root_kid, nobody_kid, reader;
	char cmd[128], c;

	ASSERT_EQ(0, unshare(CLONE_NEWNS));
	ASSERT_EQ(0, mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	mkdir(HIDE_MNT, 0755);
	mkdir(HIDE_GID_MNT, 0755);
	mkdir(HIDE_PTRACE_MNT, 0755);
	ASSERT_EQ(0, mount("proc", HIDE_MNT, "proc", 0, "hidepid=2"));
	ASSERT_EQ(0, mount("proc", HIDE_GID_MNT, "proc", 0, "hidepid=2,gid=4242"));
	ASSERT_EQ(0, mount("proc", HIDE_PTRACE_MNT, "proc", 0, "hidepid=4,gid=4242"));
	o = mmap(NULL, sizeof(*o), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, o);
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));

	root_kid = mp_fork_idle();
	ASSERT_GT(root_kid, 0);
	self->kill[self->nr_kill++] = root_kid;
	nobody_kid = mp_fork();
	ASSERT_LE(0, nobody_kid);
	if (!nobody_kid) {
		if (drop_to_nobody())
			_exit(1);
		for (;;)
			pause();
	}
	self->kill[self->nr_kill++] = nobody_kid;
	reader = mp_fork();
	ASSERT_LE(0, reader);
	if (!reader)
		_exit(hide_reader(o, ready[1], go[0]));
	self->kill[self->nr_kill++] = reader;
	ASSERT_EQ(0, mp_pipe_wait(ready[0], 1, MP_WAIT_MS));

	/* A soft limit under their RSS: a soft_over for each at the next sample. */
	snprintf(cmd, sizeof(cmd), "soft-pid %d 4096\nsoft-pid %d 4096\n", root_kid, nobody_kid);
	ASSERT_EQ(0, mp_control_cmd(cmd));
	ASSERT_EQ(0, mp_wait_more_samples(3, MP_WAIT_MS));
	c = 'g';
	ASSERT_EQ(1, write(go[1], &c, 1));
	ASSERT_EQ(0, mp_wait_child(reader, &status, MP_WAIT_MS));
	self->nr_kill--;
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("reader: status %#x", status);

	/* hidepid=invisible: its own, and none of root's. */
	EXPECT_TRUE(row_of(o->procs[0], nobody_kid)) TH_LOG("%s", o->procs[0]);
	EXPECT_TRUE(row_of(o->procs[0], reader));
	EXPECT_FALSE(row_of(o->procs[0], root_kid)) TH_LOG("%s", o->procs[0]);
	EXPECT_FALSE(row_of(o->procs[0], getpid()));
	EXPECT_TRUE(soft_over_of(o->events[0], nobody_kid)) TH_LOG("%s", o->events[0]);
	EXPECT_FALSE(soft_over_of(o->events[0], root_kid)) TH_LOG("%s", o->events[0]);
	EXPECT_TRUE(soft_pid_line(o->control[0], nobody_kid)) TH_LOG("%s", o->control[0]);
	EXPECT_FALSE(soft_pid_line(o->control[0], root_kid)) TH_LOG("%s", o->control[0]);
	/* gid= its group: everything. */
	EXPECT_TRUE(row_of(o->procs[1], root_kid)) TH_LOG("%s", o->procs[1]);
	EXPECT_TRUE(row_of(o->procs[1], getpid()));
	/*
	 * hidepid=ptraceable: what ptrace allows, gid= or not, as
	 * has_pid_permissions() in fs/proc/base.c decides.
	 */
	EXPECT_TRUE(row_of(o->procs[3], nobody_kid)) TH_LOG("%s", o->procs[3]);
	EXPECT_FALSE(row_of(o->procs[3], root_kid)) TH_LOG("%s", o->procs[3]);
	EXPECT_FALSE(row_of(o->procs[3], getpid()));
	/* /proc, without hidepid: everything. */
	EXPECT_TRUE(row_of(o->procs[2], root_kid));
	EXPECT_TRUE(row_of(o->procs[2], nobody_kid));
	EXPECT_TRUE(soft_over_of(o->events[1], root_kid)) TH_LOG("%s", o->events[1]);
	EXPECT_TRUE(soft_over_of(o->events[1], nobody_kid));
	EXPECT_TRUE(soft_pid_line(o->control[1], root_kid)) TH_LOG("%s", o->control[1]);
	/* Root reads through the hidepid mount: everything (CAP_SYS_PTRACE). */
	ASSERT_LT(0, read_into(HIDE_MNT "/mempressure/processes", o->procs[0], sizeof(o->procs[0])));
	EXPECT_TRUE(row_of(o->procs[0], root_kid));
	EXPECT_TRUE(row_of(o->procs[0], nobody_kid));
	munmap(o, sizeof(*o));
}

TEST_HARNESS_MAIN
