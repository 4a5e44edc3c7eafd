// SPDX-License-Identifier: GPL-2.0
/* The processes mempressured waits for: see mpd_children.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mpd.h"

static struct mpd_child *child_new(struct mpd *d, enum mpd_child_kind kind, pid_t pid,
				   const char *name, uint64_t timeout_ms, mpd_child_fn done,
				   struct mpd_child *c)
{
	c->kind = kind;
	c->done = done;
	c->pid = pid;
	c->started = mpd_now(d);
	c->kill_at = c->started + timeout_ms;
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->next = d->children;
	d->children = c;
	return c;
}

/* A hook's end: its exit status, which is all the daemon hears of it. */
static void hook_done(struct mpd *d, const struct mpd_child *c, int status)
{
	(void)d;
	if (WIFEXITED(status))
		mpd_log(WEXITSTATUS(status) ? MPD_LOG_WARNING : MPD_LOG_INFO,
			"hook %s (pid %d) exited with %d", LOG_ESC(c->name), c->pid,
			WEXITSTATUS(status));
	else
		log_warn("hook %s (pid %d) killed by signal %d", LOG_ESC(c->name), c->pid,
			 WTERMSIG(status));
}

int mpd_child_hook(struct mpd *d, const struct mpd_hook_cfg *h, const char *cgroup,
		   int level, const char *reason, uint64_t want)
{
	char env_level[64], env_cg[MPD_CGROUP_LEN + 32], env_reason[64], env_want[64];
	char *envp[] = { env_level, env_cg, env_reason, env_want,
			 "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			 NULL };
	struct mpd_child *hc;
	sigset_t all;
	pid_t pid;
	int r;

	snprintf(env_level, sizeof(env_level), "MEMPRESSURE_LEVEL=%s", mpd_level_name(level));
	snprintf(env_cg, sizeof(env_cg), "MEMPRESSURE_CGROUP=%s", cgroup);
	snprintf(env_reason, sizeof(env_reason), "MEMPRESSURE_REASON=%s", reason);
	snprintf(env_want, sizeof(env_want), "MEMPRESSURE_WANT_BYTES=%llu",
		 (unsigned long long)want);
	hc = calloc(1, sizeof(*hc));
	if (!hc) {
		log_err("hook %s: out of memory, ignoring", LOG_ESC(h->name));
		return -ENOMEM;
	}
	pid = fork();
	if (pid < 0) {
		r = -errno;
		log_err("hook %s: fork: %m, ignoring", LOG_ESC(h->name));
		free(hc);
		return r;
	}
	if (pid == 0) {
		int log_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
		int null = open("/dev/null", O_RDWR);

		/* The daemon blocks these for its signalfd: the hook must not. */
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		/*
		 * What the hook prints is not the daemon's log, whose lines
		 * all carry a priority: it goes nowhere.  Its exit status is
		 * logged.
		 */
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		execve(h->argv[0], h->argv, envp);
		if (log_fd >= 0)
			dup2(log_fd, STDERR_FILENO);
		log_err("hook %s: exec %s: %m", LOG_ESC(h->name), LOG_ESC(h->argv[0]));
		_exit(127);
	}
	child_new(d, MPD_CHILD_HOOK, pid, h->name, h->timeout_ms, hook_done, hc);
	log_action(d, "hook %s: started %s (pid %d) for %s (level %s, reason %s)", LOG_ESC(h->name),
		   LOG_ESC(h->command), pid, LOG_ESC(cgroup), mpd_level_name(level), reason);
	d->counters.callbacks[MPD_CB_HOOK]++;
	return 0;
}

pid_t mpd_child_write(struct mpd *d, enum mpd_child_kind kind, const char *cgroup,
		      const char *file, uint64_t bytes, uint64_t before, uint64_t timeout_ms,
		      mpd_child_fn done)
{
	struct mpd_child *c = calloc(1, sizeof(*c));
	char val[32];
	pid_t pid;
	int r;

	if (!c) {
		log_err("%s: out of memory, %s not written", LOG_ESC(cgroup), file);
		return -ENOMEM;
	}
	snprintf(val, sizeof(val), "%llu", (unsigned long long)bytes);
	pid = fork();
	if (pid < 0) {
		r = -errno;
		log_err("%s: fork: %m, %s not written", LOG_ESC(cgroup), file);
		free(c);
		return r;
	}
	if (pid == 0)	/* exits 0, or with the errno */
		_exit(-mpd_cg_write(&d->sys, cgroup, file, val) & 0xff);
	child_new(d, kind, pid, cgroup, timeout_ms, done, c);
	c->bytes = bytes;
	c->before = before;
	return pid;
}

void mpd_child_stop_clamp(struct mpd *d, const char *cgroup)
{
	for (struct mpd_child **pp = &d->children; *pp;) {
		struct mpd_child *c = *pp;

		if (c->kind != MPD_CHILD_CLAMP || strcmp(c->name, cgroup)) {
			pp = &c->next;
			continue;
		}
		/* The kernel's reclaim stops at the signal: the wait is short. */
		kill(c->pid, SIGKILL);	/* our unreaped child: the pid is still its */
		waitpid(c->pid, NULL, 0);
		log_info("%s: memory.high write (pid %d) stopped", LOG_ESC(c->name), c->pid);
		*pp = c->next;
		free(c);
	}
}

void mpd_children_reap(struct mpd *d)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);

		if (pid <= 0)
			return;
		for (struct mpd_child **pp = &d->children; *pp; pp = &(*pp)->next) {
			struct mpd_child *c = *pp;

			if (c->pid != pid)
				continue;
			c->done(d, c, status);
			*pp = c->next;
			free(c);
			break;
		}
	}
}

void mpd_children_tick(struct mpd *d, uint64_t now)
{
	static const char *const what[] = {
		[MPD_CHILD_HOOK] = "hook", [MPD_CHILD_RECLAIM] = "memory.reclaim of",
		[MPD_CHILD_CLAMP] = "memory.high of",
	};

	for (struct mpd_child *c = d->children; c; c = c->next)
		if (c->kill_at && c->kill_at <= now) {
			log_warn("%s %s (pid %d) still running after its timeout: killing it",
				 what[c->kind], LOG_ESC(c->name), c->pid);
			kill(c->pid, SIGKILL);	/* our unreaped child: the pid is still its */
			c->kill_at = 0;
		}
}

uint64_t mpd_children_next_due(const struct mpd *d)
{
	uint64_t next = UINT64_MAX;

	for (const struct mpd_child *c = d->children; c; c = c->next)
		if (c->kill_at && c->kill_at < next)
			next = c->kill_at;
	return next;
}

void mpd_children_free(struct mpd *d)
{
	while (d->children) {
		struct mpd_child *c = d->children;

		if (c->kind != MPD_CHILD_HOOK)
			kill(c->pid, SIGKILL);	/* unreaped: the pid is still its */
		d->children = c->next;
		free(c);
	}
}
