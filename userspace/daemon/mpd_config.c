// SPDX-License-Identifier: GPL-2.0
/*
 * mempressured's configuration file.
 *
 * Format (docs/mempressured.md): "key = value" lines in "[section]"s.  A
 * "#" at the start of a line, or after a blank, starts a comment (cgroup
 * paths may hold a "#" elsewhere).  Blank lines are ignored.  Sections:
 * [daemon], [cgroup PATH] (PATH escaped as in the tables), [signal NAME]
 * and [hook NAME]; each at most once.  Everything unknown or malformed is
 * an error naming its line: a typo must not silently leave a default in
 * place on a machine that is about to run out of memory.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <linux/mempressure.h>

#include "mp_table.h"
#include "mpd_config.h"
#include "names.h"

#define LINE_MAX_LEN	4096

static const struct { int signo; const char *name; } signal_names[] = {
	{ SIGHUP, "SIGHUP" }, { SIGINT, "SIGINT" }, { SIGQUIT, "SIGQUIT" },
	{ SIGKILL, "SIGKILL" }, { SIGUSR1, "SIGUSR1" }, { SIGUSR2, "SIGUSR2" },
	{ SIGPIPE, "SIGPIPE" }, { SIGALRM, "SIGALRM" }, { SIGTERM, "SIGTERM" },
	{ SIGCONT, "SIGCONT" }, { SIGSTOP, "SIGSTOP" }, { SIGTSTP, "SIGTSTP" },
	{ SIGWINCH, "SIGWINCH" }, { SIGURG, "SIGURG" }, { SIGIO, "SIGIO" },
	{ SIGPWR, "SIGPWR" }, { SIGSYS, "SIGSYS" },
};

int mpd_level_parse(const char *s)
{
	for (size_t i = 0; i < MEMPRESSURE_LEVEL_NR; i++)
		if (!strcmp(s, mp_level_names[i]))
			return (int)i;
	return -EINVAL;
}

const char *mpd_level_name(int level)
{
	if (level < 0 || level >= MEMPRESSURE_LEVEL_NR)
		return "?";
	return mp_level_names[level];
}

const char *mpd_signal_name(int signo)
{
	for (size_t i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]); i++)
		if (signal_names[i].signo == signo)
			return signal_names[i].name;
	return NULL;
}

int mpd_signal_parse(const char *s)
{
	uint64_t n;

	if (s[0] >= '0' && s[0] <= '9') {
		if (mp_parse_u64(s, &n) < 0 || n < 1 || n > (uint64_t)SIGRTMAX)
			return -EINVAL;
		return (int)n;
	}
	for (size_t i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]); i++)
		if (!strcmp(s, signal_names[i].name) ||
		    !strcmp(s, signal_names[i].name + 3))
			return signal_names[i].signo;
	return -EINVAL;
}

void mpd_escape(const char *in, char *out, size_t size)
{
	size_t o = 0;

	if (!size)
		return;
	if (!strcmp(in, "-")) {
		snprintf(out, size, "\\055");
		return;
	}
	for (; *in && o + 1 < size; in++) {
		if (strchr(MEMPRESSURE_ESCAPED_CHARS, *in)) {
			if (o + 5 > size)
				break;
			o += (size_t)snprintf(out + o, size - o, "\\%03o",
					      (unsigned char)*in);
		} else {
			out[o++] = *in;
		}
	}
	out[o] = '\0';
}

int mpd_listen_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	const char *colon = strrchr(s, ':');
	char host[INET6_ADDRSTRLEN + 2];
	size_t hlen = colon ? (size_t)(colon - s) : 0;
	uint64_t port;

	memset(ss, 0, sizeof(*ss));
	if (!colon || !hlen || hlen >= sizeof(host) || !colon[1] ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
	    mp_parse_u64(colon + 1, &port) < 0 || port < 1 || port > 65535)
		return -EINVAL;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (host[0] == '[' && host[hlen - 1] == ']') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		const uint8_t *b = a->sin6_addr.s6_addr;
		static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

		host[hlen - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
			return -EINVAL;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a);
		return IN6_IS_ADDR_LOOPBACK(&a->sin6_addr) ||
		       (!memcmp(b, mapped, sizeof(mapped)) && b[12] == 127);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return -EINVAL;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		*len = sizeof(*a);
		return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
	}
}

static void policy_defaults(struct mpd_policy *p)
{
	p->dry_run = false;
	p->trim_level = MEMPRESSURE_LEVEL_MEDIUM;
	p->grace_ms = 5000;
	/*
	 * Enforcement is opt in, per cgroup or for all in [daemon]: a cgroup
	 * nobody configured gets callbacks only, as systemd-oomd acts only on
	 * the units that ask for it.
	 */
	p->reclaim = false;
	p->clamp = false;
	p->clamp_ms = 30000;
	p->kill = false;
}

int mpd_config_init(struct mpd_config *c)
{
	memset(c, 0, sizeof(*c));
	c->socket = strdup(MEMPRESSURED_SOCKET);
	c->systemd_socket = strdup(MPD_SYSTEMD_SOCKET);
	if (!c->socket || !c->systemd_socket) {
		free(c->socket);
		free(c->systemd_socket);
		return -ENOMEM;
	}
	c->systemd_level = MEMPRESSURE_LEVEL_MEDIUM;
	c->deadline_ms = 500;
	c->stagger_ms = 50;
	c->metrics_interval_ms = 5000;
	policy_defaults(&c->daemon);
	return 0;
}

void mpd_config_free(struct mpd_config *c)
{
	free(c->socket);
	free(c->systemd_socket);
	for (size_t i = 0; i < c->nr_cgroups; i++)
		free(c->cgroups[i].path);
	free(c->cgroups);
	for (size_t i = 0; i < c->nr_signals; i++) {
		free(c->signals[i].name);
		free(c->signals[i].comm);
		free(c->signals[i].cgroup);
	}
	free(c->signals);
	for (size_t i = 0; i < c->nr_hooks; i++) {
		free(c->hooks[i].name);
		free(c->hooks[i].command);
		if (c->hooks[i].argv)
			for (char **a = c->hooks[i].argv; *a; a++)
				free(*a);
		free(c->hooks[i].argv);
		free(c->hooks[i].cgroup);
	}
	free(c->hooks);
	free(c->metrics_file);
	free(c->metrics_listen);
	memset(c, 0, sizeof(*c));
}

enum section { SEC_NONE, SEC_DAEMON, SEC_CGROUP, SEC_SIGNAL, SEC_HOOK };

struct parser {
	struct mpd_config *c;
	struct mpd_config_error *err;
	unsigned int line;
	enum section sec;
	unsigned int sec_line;
	uint64_t seen;			/* keys seen in this section */
	bool daemon_seen;
	unsigned int listen_line;	/* of metrics_listen, checked at the end */
};

static int fail(struct parser *ps, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct parser *ps, unsigned int line, const char *fmt, ...)
{
	va_list ap;

	ps->err->line = line;
	va_start(ap, fmt);
	vsnprintf(ps->err->msg, sizeof(ps->err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static int parse_bool(struct parser *ps, const char *key, const char *v, bool *out)
{
	if (!strcmp(v, "yes"))
		*out = true;
	else if (!strcmp(v, "no"))
		*out = false;
	else
		return fail(ps, ps->line, "%s: \"%s\" is not a boolean (yes or no)", key, v);
	return 0;
}

static int parse_ms(struct parser *ps, const char *key, const char *v,
		    uint64_t min, uint64_t *out)
{
	uint64_t n;

	if (!*v || strspn(v, "0123456789") != strlen(v) || mp_parse_u64(v, &n) < 0)
		return fail(ps, ps->line, "%s: \"%s\" is not a number of ms", key, v);
	if (n < min || n > MPD_DURATION_MAX_MS)
		return fail(ps, ps->line, "%s: %s is out of range (%llu-%llu)", key, v,
			    (unsigned long long)min,
			    (unsigned long long)MPD_DURATION_MAX_MS);
	*out = n;
	return 0;
}

static int parse_level(struct parser *ps, const char *key, const char *v, int *out)
{
	int l = mpd_level_parse(v);

	if (l <= MEMPRESSURE_LEVEL_NONE)
		return fail(ps, ps->line, "%s: \"%s\" is not a level (low, medium, critical)",
			    key, v);
	*out = l;
	return 0;
}

/* A decoded string: cgroup paths and comms are escaped as in the tables. */
static int parse_str(struct parser *ps, const char *key, const char *v, char **out)
{
	char buf[LINE_MAX_LEN];

	/* \000 would cut the string short ("/a\000b" as "/a"): refused. */
	if (!*v || strstr(v, "\\000") || mp_unescape(v, buf, sizeof(buf)) < 0)
		return fail(ps, ps->line, "%s: \"%s\" is empty or badly escaped", key, v);
	*out = strdup(buf);
	return *out ? 0 : -ENOMEM;
}

static int parse_cgroup_path(struct parser *ps, const char *key, const char *v,
			     char **out)
{
	int r = parse_str(ps, key, v, out);

	if (r < 0)
		return r;
	if ((*out)[0] != '/') {
		free(*out);
		*out = NULL;
		fail(ps, ps->line, "%s: \"%s\" is not an absolute cgroup path", key, v);
		return -EINVAL;	/* what fail() returns, said here for the analyzer */
	}
	return 0;
}

static int split_command(struct parser *ps, const char *cmd, char ***argv)
{
	char *copy = strdup(cmd), *save = NULL, *tok;
	char **a = NULL;
	size_t n = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		char **na = realloc(a, (n + 2) * sizeof(*a));

		if (!na)
			goto nomem;
		a = na;
		a[n] = strdup(tok);
		if (!a[n])
			goto nomem;
		a[++n] = NULL;
	}
	free(copy);
	if (!n || a[0][0] != '/') {
		for (size_t i = 0; i < n; i++)
			free(a[i]);
		free(a);
		return fail(ps, ps->line, "command: \"%s\" does not start with an absolute path",
			    cmd);
	}
	*argv = a;
	return 0;
nomem:
	for (size_t i = 0; i < n; i++)
		free(a[i]);
	free(a);
	free(copy);
	return -ENOMEM;
}

/* Key @name seen once per section: bit @bit of ps->seen. */
static int once(struct parser *ps, const char *name, unsigned int bit)
{
	if (ps->seen & (1ULL << bit))
		return fail(ps, ps->line, "%s: set twice in this section", name);
	ps->seen |= 1ULL << bit;
	return 0;
}

/* The policy keys shared by [daemon] and [cgroup PATH]. */
static const char *const policy_keys[MPD_CG_NR] = {
	[MPD_CG_DRY_RUN] = "dry_run", [MPD_CG_TRIM_LEVEL] = "trim_level",
	[MPD_CG_GRACE_MS] = "grace_ms", [MPD_CG_RECLAIM] = "reclaim",
	[MPD_CG_CLAMP] = "clamp", [MPD_CG_CLAMP_MS] = "clamp_ms",
	[MPD_CG_KILL] = "kill",
};

/* 1: not a policy key; 0: set; -errno. */
static int policy_key(struct parser *ps, struct mpd_policy *p, const char *k,
		      const char *v, unsigned int *set)
{
	int i, r;

	for (i = 0; i < MPD_CG_NR; i++)
		if (!strcmp(k, policy_keys[i]))
			break;
	if (i == MPD_CG_NR)
		return 1;
	r = once(ps, k, (unsigned int)i);
	if (r < 0)
		return r;
	switch (i) {
	case MPD_CG_DRY_RUN:	r = parse_bool(ps, k, v, &p->dry_run); break;
	case MPD_CG_TRIM_LEVEL:	r = parse_level(ps, k, v, &p->trim_level); break;
	case MPD_CG_GRACE_MS:	r = parse_ms(ps, k, v, 0, &p->grace_ms); break;
	case MPD_CG_RECLAIM:	r = parse_bool(ps, k, v, &p->reclaim); break;
	case MPD_CG_CLAMP:	r = parse_bool(ps, k, v, &p->clamp); break;
	case MPD_CG_CLAMP_MS:	r = parse_ms(ps, k, v, 1, &p->clamp_ms); break;
	default:		r = parse_bool(ps, k, v, &p->kill); break;
	}
	if (!r && set)
		*set |= 1U << i;
	return r;
}

/* An absolute path, or "-" for none (*@out NULL). */
static int parse_path_or_off(struct parser *ps, const char *k, const char *v, char **out)
{
	char *s = NULL;

	if (strcmp(v, "-")) {
		if (v[0] != '/')
			return fail(ps, ps->line, "%s: \"%s\" is not an absolute path or -", k, v);
		s = strdup(v);
		if (!s)
			return -ENOMEM;
	}
	free(*out);
	*out = s;
	return 0;
}

/* The metrics keys of [daemon] (docs/metrics.md).  1: not one of them. */
static int metrics_key(struct parser *ps, const char *k, const char *v)
{
	struct mpd_config *c = ps->c;
	struct sockaddr_storage ss;
	socklen_t len;
	char *s;

	if (!strcmp(k, "metrics_file")) {
		if (once(ps, k, MPD_CG_NR + 5))
			return -EINVAL;
		if (!strcmp(v, "-") || (v[0] == '/' && v[strlen(v) - 1] != '/'))
			return parse_path_or_off(ps, k, v, &c->metrics_file);
		return fail(ps, ps->line, "metrics_file: \"%s\" is not an absolute file path or -",
			    v);
	}
	if (!strcmp(k, "metrics_listen")) {
		if (once(ps, k, MPD_CG_NR + 6))
			return -EINVAL;
		if (strcmp(v, "-") && mpd_listen_parse(v, &ss, &len) < 0)
			return fail(ps, ps->line,
				    "metrics_listen: \"%s\" is not ADDRESS:PORT (127.0.0.1:9469, [::1]:9469) or -",
				    v);
		s = strcmp(v, "-") ? strdup(v) : NULL;
		if (strcmp(v, "-") && !s)
			return -ENOMEM;
		free(c->metrics_listen);
		c->metrics_listen = s;
		ps->listen_line = ps->line;
		return 0;
	}
	if (!strcmp(k, "metrics_allow_remote"))
		return once(ps, k, MPD_CG_NR + 7) ?:
		       parse_bool(ps, k, v, &c->metrics_allow_remote);
	if (!strcmp(k, "metrics_interval_ms"))
		return once(ps, k, MPD_CG_NR + 8) ?:
		       parse_ms(ps, k, v, 100, &c->metrics_interval_ms);
	return 1;
}

/* Metrics over HTTP stay on the machine unless metrics_allow_remote says so. */
static int check_listen(struct parser *ps)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (!ps->c->metrics_listen || ps->c->metrics_allow_remote ||
	    mpd_listen_parse(ps->c->metrics_listen, &ss, &len) == 1)
		return 0;
	return fail(ps, ps->listen_line,
		    "metrics_listen: %s is not a loopback address; set metrics_allow_remote = yes to serve the metrics to other machines",
		    ps->c->metrics_listen);
}

static int daemon_key(struct parser *ps, const char *k, const char *v)
{
	struct mpd_config *c = ps->c;
	int r = policy_key(ps, &c->daemon, k, v, NULL);

	if (r <= 0)
		return r;
	if (!strcmp(k, "socket")) {
		char *s;

		r = once(ps, k, MPD_CG_NR);
		if (r < 0)
			return r;
		if (v[0] != '/')
			return fail(ps, ps->line, "socket: \"%s\" is not an absolute path", v);
		s = strdup(v);
		if (!s)
			return -ENOMEM;
		free(c->socket);
		c->socket = s;
		return 0;
	}
	if (!strcmp(k, "systemd_socket"))
		return once(ps, k, MPD_CG_NR + 3) ?: parse_path_or_off(ps, k, v, &c->systemd_socket);
	if (!strcmp(k, "systemd_level"))
		return once(ps, k, MPD_CG_NR + 4) ?: parse_level(ps, k, v, &c->systemd_level);
	if (!strcmp(k, "deadline_ms"))
		return once(ps, k, MPD_CG_NR + 1) ?: parse_ms(ps, k, v, 1, &c->deadline_ms);
	if (!strcmp(k, "stagger_ms"))
		return once(ps, k, MPD_CG_NR + 2) ?: parse_ms(ps, k, v, 0, &c->stagger_ms);
	r = metrics_key(ps, k, v);
	if (r <= 0)
		return r;
	return fail(ps, ps->line, "unknown key \"%s\" in [daemon]", k);
}

static int signal_key(struct parser *ps, const char *k, const char *v)
{
	struct mpd_signal_cfg *s = &ps->c->signals[ps->c->nr_signals - 1];

	if (!strcmp(k, "comm")) {
		int r = once(ps, k, 0) ?: parse_str(ps, k, v, &s->comm);

		if (!r && strlen(s->comm) > 15)
			r = fail(ps, ps->line, "comm: \"%s\" is longer than 15 bytes", v);
		return r;
	}
	if (!strcmp(k, "cgroup"))
		return once(ps, k, 1) ?: parse_cgroup_path(ps, k, v, &s->cgroup);
	if (!strcmp(k, "signal")) {
		int r = once(ps, k, 2), n;

		if (r < 0)
			return r;
		n = mpd_signal_parse(v);
		if (n < 0)
			return fail(ps, ps->line, "signal: \"%s\" is not a signal", v);
		s->signo = n;
		return 0;
	}
	if (!strcmp(k, "level"))
		return once(ps, k, 3) ?: parse_level(ps, k, v, &s->level);
	return fail(ps, ps->line, "unknown key \"%s\" in [signal %s]", k, s->name);
}

static int hook_key(struct parser *ps, const char *k, const char *v)
{
	struct mpd_hook_cfg *h = &ps->c->hooks[ps->c->nr_hooks - 1];

	if (!strcmp(k, "command")) {
		int r = once(ps, k, 0) ?: split_command(ps, v, &h->argv);

		if (r < 0)
			return r;
		h->command = strdup(v);
		return h->command ? 0 : -ENOMEM;
	}
	if (!strcmp(k, "cgroup")) {
		int r = once(ps, k, 1);

		if (r < 0)
			return r;
		free(h->cgroup);
		h->cgroup = NULL;
		return parse_cgroup_path(ps, k, v, &h->cgroup);
	}
	if (!strcmp(k, "level"))
		return once(ps, k, 2) ?: parse_level(ps, k, v, &h->level);
	if (!strcmp(k, "timeout_ms"))
		return once(ps, k, 3) ?: parse_ms(ps, k, v, 1, &h->timeout_ms);
	return fail(ps, ps->line, "unknown key \"%s\" in [hook %s]", k, h->name);
}

/* The section that ends here is complete (its required keys). */
static int end_section(struct parser *ps)
{
	struct mpd_config *c = ps->c;

	if (ps->sec == SEC_SIGNAL) {
		struct mpd_signal_cfg *s = &c->signals[c->nr_signals - 1];

		if (!s->comm && !s->cgroup)
			return fail(ps, ps->sec_line, "[signal %s] needs comm or cgroup", s->name);
	} else if (ps->sec == SEC_HOOK) {
		struct mpd_hook_cfg *h = &c->hooks[c->nr_hooks - 1];

		if (!h->command)
			return fail(ps, ps->sec_line, "[hook %s] needs command", h->name);
	}
	return 0;
}

#define GROW(arr, nr) ({						\
	void *__p = realloc((arr), ((nr) + 1) * sizeof(*(arr)));	\
	if (__p) {							\
		(arr) = __p;						\
		memset(&(arr)[(nr)], 0, sizeof(*(arr)));		\
		(nr)++;							\
	}								\
	__p ? 0 : -ENOMEM; })

static int begin_section(struct parser *ps, char *hdr)
{
	struct mpd_config *c = ps->c;
	char *name, *type = hdr;
	int r = end_section(ps);

	if (r < 0)
		return r;
	ps->sec_line = ps->line;
	ps->seen = 0;
	name = strpbrk(hdr, " \t");
	if (name) {
		*name++ = '\0';
		name = trim(name);
		if (!*name)
			name = NULL;
	}
	if (!strcmp(type, "daemon")) {
		if (name)
			return fail(ps, ps->line, "[daemon] takes no name");
		if (ps->daemon_seen)
			return fail(ps, ps->line, "duplicate section [daemon]");
		ps->daemon_seen = true;
		ps->sec = SEC_DAEMON;
		return 0;
	}
	if (strcmp(type, "cgroup") && strcmp(type, "signal") && strcmp(type, "hook"))
		return fail(ps, ps->line, "unknown section [%s]", type);
	if (!name)
		return fail(ps, ps->line, "[%s] needs a name", type);
	if (strpbrk(name, " \t"))
		return fail(ps, ps->line, "[%s %s]: the name has a blank", type, name);

	if (!strcmp(type, "cgroup")) {
		char *path;

		r = parse_cgroup_path(ps, "[cgroup]", name, &path);
		if (r < 0)
			return r;
		for (size_t i = 0; i < c->nr_cgroups; i++)
			if (!strcmp(c->cgroups[i].path, path)) {
				free(path);
				return fail(ps, ps->line, "duplicate section [cgroup %s]", name);
			}
		if (GROW(c->cgroups, c->nr_cgroups)) {
			free(path);
			return -ENOMEM;
		}
		c->cgroups[c->nr_cgroups - 1].path = path;
		c->cgroups[c->nr_cgroups - 1].p = c->daemon;
		ps->sec = SEC_CGROUP;
	} else if (!strcmp(type, "signal")) {
		for (size_t i = 0; i < c->nr_signals; i++)
			if (!strcmp(c->signals[i].name, name))
				return fail(ps, ps->line, "duplicate section [signal %s]", name);
		if (GROW(c->signals, c->nr_signals))
			return -ENOMEM;
		c->signals[c->nr_signals - 1].name = strdup(name);
		c->signals[c->nr_signals - 1].signo = SIGUSR1;
		c->signals[c->nr_signals - 1].level = MEMPRESSURE_LEVEL_MEDIUM;
		if (!c->signals[c->nr_signals - 1].name)
			return -ENOMEM;
		ps->sec = SEC_SIGNAL;
	} else {
		for (size_t i = 0; i < c->nr_hooks; i++)
			if (!strcmp(c->hooks[i].name, name))
				return fail(ps, ps->line, "duplicate section [hook %s]", name);
		if (GROW(c->hooks, c->nr_hooks))
			return -ENOMEM;
		c->hooks[c->nr_hooks - 1].name = strdup(name);
		c->hooks[c->nr_hooks - 1].cgroup = strdup("/");
		c->hooks[c->nr_hooks - 1].level = MEMPRESSURE_LEVEL_MEDIUM;
		c->hooks[c->nr_hooks - 1].timeout_ms = 5000;
		if (!c->hooks[c->nr_hooks - 1].name || !c->hooks[c->nr_hooks - 1].cgroup)
			return -ENOMEM;
		ps->sec = SEC_HOOK;
	}
	return 0;
}

static int parse_line(struct parser *ps, char *line)
{
	char *s = trim(line), *eq, *k, *v, *hash;

	/* A comment starts at a "#" that opens the line or follows a blank. */
	for (hash = s; (hash = strchr(hash, '#')); hash++)
		if (hash == s || hash[-1] == ' ' || hash[-1] == '\t') {
			*hash = '\0';
			break;
		}
	s = trim(s);
	if (!*s)
		return 0;
	if (*s == '[') {
		size_t n = strlen(s);

		if (s[n - 1] != ']')
			return fail(ps, ps->line, "section header without \"]\"");
		s[n - 1] = '\0';
		return begin_section(ps, trim(s + 1));
	}
	eq = strchr(s, '=');
	if (!eq)
		return fail(ps, ps->line, "expected \"key = value\"");
	*eq = '\0';
	k = trim(s);
	v = trim(eq + 1);
	if (!*k)
		return fail(ps, ps->line, "empty key");
	if (!*v)
		return fail(ps, ps->line, "%s: empty value", k);
	switch (ps->sec) {
	case SEC_NONE:
		return fail(ps, ps->line, "\"%s\" outside a section", k);
	case SEC_DAEMON:
		return daemon_key(ps, k, v);
	case SEC_CGROUP: {
		struct mpd_cgroup_cfg *cg = &ps->c->cgroups[ps->c->nr_cgroups - 1];
		int r = policy_key(ps, &cg->p, k, v, &cg->set);

		if (r > 0)
			return fail(ps, ps->line, "unknown key \"%s\" in [cgroup]", k);
		return r;
	}
	case SEC_SIGNAL:
		return signal_key(ps, k, v);
	case SEC_HOOK:
		return hook_key(ps, k, v);
	}
	return -EINVAL;
}

/*
 * [cgroup] sections copy the [daemon] values when they start; a [daemon]
 * written after them must still be their default, so the keys a [cgroup]
 * did not set are refreshed from [daemon] at the end.
 */
static void inherit(struct mpd_config *c)
{
	for (size_t i = 0; i < c->nr_cgroups; i++) {
		struct mpd_cgroup_cfg *cg = &c->cgroups[i];
		struct mpd_policy p = c->daemon;

		if (cg->set & (1U << MPD_CG_DRY_RUN)) p.dry_run = cg->p.dry_run;
		if (cg->set & (1U << MPD_CG_TRIM_LEVEL)) p.trim_level = cg->p.trim_level;
		if (cg->set & (1U << MPD_CG_GRACE_MS)) p.grace_ms = cg->p.grace_ms;
		if (cg->set & (1U << MPD_CG_RECLAIM)) p.reclaim = cg->p.reclaim;
		if (cg->set & (1U << MPD_CG_CLAMP)) p.clamp = cg->p.clamp;
		if (cg->set & (1U << MPD_CG_CLAMP_MS)) p.clamp_ms = cg->p.clamp_ms;
		if (cg->set & (1U << MPD_CG_KILL)) p.kill = cg->p.kill;
		cg->p = p;
	}
}

int mpd_config_parse(const char *text, size_t len, struct mpd_config *c,
		     struct mpd_config_error *err)
{
	struct parser ps = { .c = c, .err = err };
	char line[LINE_MAX_LEN];
	size_t off = 0;
	int r;

	err->line = 0;
	err->msg[0] = '\0';
	r = mpd_config_init(c);
	if (r < 0)
		goto out;
	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (text + off)) : len - off;

		ps.line++;
		if (memchr(text + off, '\0', n)) {
			r = fail(&ps, ps.line, "NUL byte");
			goto out;
		}
		if (n >= sizeof(line)) {
			r = fail(&ps, ps.line, "line longer than %d bytes", LINE_MAX_LEN - 1);
			goto out;
		}
		memcpy(line, text + off, n);
		line[n] = '\0';
		off += n + 1;
		r = parse_line(&ps, line);
		if (r < 0)
			goto out;
	}
	r = end_section(&ps);
	if (r < 0)
		goto out;
	r = check_listen(&ps);
	if (r < 0)
		goto out;
	inherit(c);
	return 0;
out:
	if (r == -ENOMEM && !err->msg[0])
		snprintf(err->msg, sizeof(err->msg), "out of memory");
	mpd_config_free(c);
	return r;
}

int mpd_config_load(const char *path, struct mpd_config *c,
		    struct mpd_config_error *err)
{
	char *buf;
	size_t len;
	int r = mp_read_file(path, &buf, &len);

	if (r < 0) {
		err->line = 0;
		snprintf(err->msg, sizeof(err->msg), "%s: %s", path, strerror(-r));
		return r;
	}
	r = mpd_config_parse(buf, len, c, err);
	free(buf);
	return r;
}

void mpd_config_policy(const struct mpd_config *c, const char *path,
		       struct mpd_policy *p)
{
	*p = c->daemon;
	for (size_t i = 0; i < c->nr_cgroups; i++)
		if (!strcmp(c->cgroups[i].path, path))
			*p = c->cgroups[i].p;
}

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

/*
 * A decoded string escaped as the tables escape it and, so that it parses
 * back to itself, with a first "#" (a comment after "= ") and a last "\r"
 * (trimmed as a CRLF line end) escaped too.
 */
static void escape_decoded(const char *s, char *out, size_t size)
{
	char esc[LINE_MAX_LEN];
	size_t n;
	bool cr;

	mpd_escape(s, esc, sizeof(esc));
	n = strlen(esc);
	cr = n && esc[n - 1] == '\r';
	if (cr)
		esc[n - 1] = '\0';
	snprintf(out, size, "%s%s%s", esc[0] == '#' ? "\\043" : "",
		 esc + (esc[0] == '#'), cr ? "\\015" : "");
}

void mpd_config_print(const struct mpd_config *c, FILE *f)
{
	char esc[LINE_MAX_LEN];
	const struct mpd_policy *d = &c->daemon;

	fprintf(f, "[daemon]\n");
	fprintf(f, "socket = %s\n", c->socket);
	fprintf(f, "systemd_socket = %s\n", c->systemd_socket ? c->systemd_socket : "-");
	fprintf(f, "systemd_level = %s\n", mpd_level_name(c->systemd_level));
	fprintf(f, "dry_run = %s\n", yes_no(d->dry_run));
	fprintf(f, "trim_level = %s\n", mpd_level_name(d->trim_level));
	fprintf(f, "deadline_ms = %llu\n", (unsigned long long)c->deadline_ms);
	fprintf(f, "stagger_ms = %llu\n", (unsigned long long)c->stagger_ms);
	fprintf(f, "grace_ms = %llu\n", (unsigned long long)d->grace_ms);
	fprintf(f, "reclaim = %s\n", yes_no(d->reclaim));
	fprintf(f, "clamp = %s\n", yes_no(d->clamp));
	fprintf(f, "clamp_ms = %llu\n", (unsigned long long)d->clamp_ms);
	fprintf(f, "kill = %s\n", yes_no(d->kill));
	fprintf(f, "metrics_file = %s\n", c->metrics_file ? c->metrics_file : "-");
	fprintf(f, "metrics_listen = %s\n", c->metrics_listen ? c->metrics_listen : "-");
	fprintf(f, "metrics_allow_remote = %s\n", yes_no(c->metrics_allow_remote));
	fprintf(f, "metrics_interval_ms = %llu\n", (unsigned long long)c->metrics_interval_ms);
	for (size_t i = 0; i < c->nr_cgroups; i++) {
		const struct mpd_policy *p = &c->cgroups[i].p;

		escape_decoded(c->cgroups[i].path, esc, sizeof(esc));
		fprintf(f, "\n[cgroup %s]\n", esc);
		fprintf(f, "dry_run = %s\n", yes_no(p->dry_run));
		fprintf(f, "trim_level = %s\n", mpd_level_name(p->trim_level));
		fprintf(f, "grace_ms = %llu\n", (unsigned long long)p->grace_ms);
		fprintf(f, "reclaim = %s\n", yes_no(p->reclaim));
		fprintf(f, "clamp = %s\n", yes_no(p->clamp));
		fprintf(f, "clamp_ms = %llu\n", (unsigned long long)p->clamp_ms);
		fprintf(f, "kill = %s\n", yes_no(p->kill));
	}
	for (size_t i = 0; i < c->nr_signals; i++) {
		const struct mpd_signal_cfg *s = &c->signals[i];
		const char *sn = mpd_signal_name(s->signo);

		fprintf(f, "\n[signal %s]\n", s->name);
		if (s->comm) {
			escape_decoded(s->comm, esc, sizeof(esc));
			fprintf(f, "comm = %s\n", esc);
		}
		if (s->cgroup) {
			escape_decoded(s->cgroup, esc, sizeof(esc));
			fprintf(f, "cgroup = %s\n", esc);
		}
		if (sn)
			fprintf(f, "signal = %s\n", sn);
		else
			fprintf(f, "signal = %d\n", s->signo);
		fprintf(f, "level = %s\n", mpd_level_name(s->level));
	}
	for (size_t i = 0; i < c->nr_hooks; i++) {
		const struct mpd_hook_cfg *h = &c->hooks[i];

		fprintf(f, "\n[hook %s]\n", h->name);
		fprintf(f, "command = %s\n", h->command);
		escape_decoded(h->cgroup, esc, sizeof(esc));
		fprintf(f, "cgroup = %s\n", esc);
		fprintf(f, "level = %s\n", mpd_level_name(h->level));
		fprintf(f, "timeout_ms = %llu\n", (unsigned long long)h->timeout_ms);
	}
}
