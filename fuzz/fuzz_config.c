// SPDX-License-Identifier: GPL-2.0
/*
 * mempressured's configuration file (userspace/daemon/mpd_config.c,
 * docs/mempressured.md), through mpd_config_parse(), the parser
 * mpd_config_load() hands the file's bytes to.  The input is a whole file.
 *
 * Invariants:
 *  - a file is refused with EINVAL (or ENOMEM), with a message and the
 *    number of a line of the file, and leaves nothing allocated (the
 *    leak checker sees to that);
 *  - what is accepted is in range: levels above none, durations within
 *    their bounds, absolute paths, signals that exist, comm of at most 15
 *    bytes, hooks with an absolute command, a loopback metrics_listen
 *    unless metrics_allow_remote;
 *  - the effective configuration printed (--check-config) parses back,
 *    and prints the same text again.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>

#include <linux/mempressure.h>

#include "fuzz.h"
#include "mpd_config.h"

static bool level_ok(int level)
{
	return level > MEMPRESSURE_LEVEL_NONE && level < MEMPRESSURE_LEVEL_NR;
}

static bool ms_ok(uint64_t ms, uint64_t min)
{
	return ms >= min && ms <= MPD_DURATION_MAX_MS;
}

static bool policy_ok(const struct mpd_policy *p)
{
	return level_ok(p->trim_level) && ms_ok(p->grace_ms, 0) && ms_ok(p->clamp_ms, 1);
}

static void check_config(const struct mpd_config *c)
{
	struct sockaddr_storage ss;
	socklen_t len;
	size_t i, j;

	FUZZ_CHECK(c->socket && c->socket[0] == '/', "socket");
	FUZZ_CHECK(!c->systemd_socket || c->systemd_socket[0] == '/', "systemd_socket");
	FUZZ_CHECK(!c->metrics_file || c->metrics_file[0] == '/', "metrics_file");
	FUZZ_CHECK(level_ok(c->systemd_level), "systemd_level %d", c->systemd_level);
	FUZZ_CHECK(ms_ok(c->deadline_ms, 1) && ms_ok(c->stagger_ms, 0) &&
		   ms_ok(c->metrics_interval_ms, 100), "durations");
	FUZZ_CHECK(policy_ok(&c->daemon), "[daemon] policy");
	if (c->metrics_listen) {
		int r = mpd_listen_parse(c->metrics_listen, &ss, &len);

		FUZZ_CHECK(r == 1 || (r == 0 && c->metrics_allow_remote),
			   "metrics_listen %s: %d", c->metrics_listen, r);
	}
	for (i = 0; i < c->nr_cgroups; i++) {
		struct mpd_policy p;

		FUZZ_CHECK(c->cgroups[i].path[0] == '/', "[cgroup %s]", c->cgroups[i].path);
		FUZZ_CHECK(policy_ok(&c->cgroups[i].p), "[cgroup %s] policy",
			   c->cgroups[i].path);
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(c->cgroups[i].path, c->cgroups[j].path),
				   "[cgroup %s] twice", c->cgroups[i].path);
		mpd_config_policy(c, c->cgroups[i].path, &p);
		FUZZ_CHECK(!memcmp(&p, &c->cgroups[i].p, sizeof(p)), "policy of %s",
			   c->cgroups[i].path);
	}
	for (i = 0; i < c->nr_signals; i++) {
		const struct mpd_signal_cfg *s = &c->signals[i];

		FUZZ_CHECK(s->name && (s->comm || s->cgroup), "[signal]");
		FUZZ_CHECK(!s->comm || (s->comm[0] && strlen(s->comm) <= 15), "comm %s",
			   s->comm);
		FUZZ_CHECK(!s->cgroup || s->cgroup[0] == '/', "cgroup %s", s->cgroup);
		FUZZ_CHECK(s->signo >= 1 && s->signo <= SIGRTMAX && level_ok(s->level),
			   "signal %d, level %d", s->signo, s->level);
	}
	for (i = 0; i < c->nr_hooks; i++) {
		const struct mpd_hook_cfg *h = &c->hooks[i];

		FUZZ_CHECK(h->name && h->command && h->argv && h->argv[0] &&
			   h->argv[0][0] == '/', "[hook %s]", h->name);
		FUZZ_CHECK(h->cgroup && h->cgroup[0] == '/' && level_ok(h->level) &&
			   ms_ok(h->timeout_ms, 1), "[hook %s]", h->name);
	}
}

/* --check-config's output, malloc'ed. */
static char *print(const struct mpd_config *c, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	FUZZ_CHECK(f, "open_memstream");
	mpd_config_print(c, f);
	FUZZ_CHECK(!fclose(f), "fclose");
	return text;
}

static unsigned int count_lines(const char *text, size_t len)
{
	unsigned int n = 0;
	size_t i;

	for (i = 0; i < len; i++)
		n += text[i] == '\n';
	return n + (len && text[len - 1] != '\n');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mpd_config c, again;
	struct mpd_config_error err;
	char *text, *text2;
	size_t len, len2;
	int r;

	r = mpd_config_parse((const char *)data, size, &c, &err);
	if (r == -ENOMEM)
		return 0;
	if (r) {
		FUZZ_CHECK(r == -EINVAL && err.msg[0] && err.line >= 1 &&
			   err.line <= count_lines((const char *)data, size),
			   "%d at line %u: %s", r, err.line, err.msg);
		return 0;
	}
	check_config(&c);

	text = print(&c, &len);
	r = mpd_config_parse(text, len, &again, &err);
	FUZZ_CHECK(!r, "printed, it is refused at line %u: %s\n%s", err.line, err.msg, text);
	check_config(&again);
	text2 = print(&again, &len2);
	FUZZ_CHECK(len == len2 && !memcmp(text, text2, len),
		   "printed twice, it differs:\n%s\n---\n%s", text, text2);
	free(text2);
	free(text);
	mpd_config_free(&again);
	mpd_config_free(&c);
	return 0;
}
