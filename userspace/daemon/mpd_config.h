/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mempressured's configuration file (docs/mempressured.md): a strict
 * parser into a struct holding every key with its default, the per-cgroup
 * policy it resolves to, and a printer whose output parses back to the
 * same configuration (--check-config).  No I/O except reading the file,
 * no logging: errors come back with their line and a message.
 */
#ifndef MPD_CONFIG_H
#define MPD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#define MPD_CONFIG_DEFAULT	"/etc/mempressure/mempressured.conf"
#define MPD_DURATION_MAX_MS	86400000ULL	/* a day: anything longer is a typo */
/* Where sd-event clients connect ($MEMORY_PRESSURE_WATCH). */
#define MPD_SYSTEMD_SOCKET	"/run/mempressured/memory-pressure.sock"

/* What a cgroup is treated with: the [daemon] values and its overrides. */
struct mpd_policy {
	bool dry_run;
	int trim_level;			/* MEMPRESSURE_LEVEL_* */
	uint64_t grace_ms;
	bool reclaim;
	bool clamp;
	uint64_t clamp_ms;
	bool kill;
};

/* A [cgroup PATH] section: a field is overridden when its bit is set. */
enum mpd_cg_key {
	MPD_CG_DRY_RUN, MPD_CG_TRIM_LEVEL, MPD_CG_GRACE_MS, MPD_CG_RECLAIM,
	MPD_CG_CLAMP, MPD_CG_CLAMP_MS, MPD_CG_KILL, MPD_CG_NR
};

struct mpd_cgroup_cfg {
	char *path;			/* decoded */
	unsigned int set;		/* 1 << MPD_CG_* */
	struct mpd_policy p;
};

struct mpd_signal_cfg {
	char *name;
	char *comm;			/* decoded, or NULL */
	char *cgroup;			/* decoded, or NULL */
	int signo;
	int level;
};

struct mpd_hook_cfg {
	char *name;
	char *command;			/* as written */
	char **argv;			/* command split at blanks, NULL-terminated */
	char *cgroup;			/* decoded */
	int level;
	uint64_t timeout_ms;
};

struct mpd_config {
	char *socket;
	char *systemd_socket;		/* NULL: "-", no systemd protocol */
	int systemd_level;		/* MEMPRESSURE_LEVEL_* */
	uint64_t deadline_ms;
	uint64_t stagger_ms;
	struct mpd_policy daemon;	/* the [daemon] section */
	struct mpd_cgroup_cfg *cgroups;
	size_t nr_cgroups;
	struct mpd_signal_cfg *signals;
	size_t nr_signals;
	struct mpd_hook_cfg *hooks;
	size_t nr_hooks;
	/* Metrics (docs/metrics.md). */
	char *metrics_file;		/* NULL: "-", no file */
	char *metrics_listen;		/* NULL: "-", no HTTP responder */
	bool metrics_allow_remote;	/* metrics_listen may be other than loopback */
	uint64_t metrics_interval_ms;	/* between two writes of the file, at least */
};

struct mpd_config_error {
	unsigned int line;		/* 0: not about a line (I/O, memory) */
	char msg[256];
};

/* The defaults of docs/mempressured.md.  -ENOMEM. */
int mpd_config_init(struct mpd_config *c);
void mpd_config_free(struct mpd_config *c);

/*
 * Parse @len bytes of @text into @c (initialised here; freed by the caller
 * on success, freed here on failure).  -EINVAL with @err filled for a bad
 * file, -ENOMEM.
 */
int mpd_config_parse(const char *text, size_t len, struct mpd_config *c,
		     struct mpd_config_error *err);
/* The same for a file: -errno of open/read (err->line 0) too. */
int mpd_config_load(const char *path, struct mpd_config *c,
		    struct mpd_config_error *err);

/* The effective configuration, in the file's format (every key). */
void mpd_config_print(const struct mpd_config *c, FILE *f);

/* The policy of cgroup @path (decoded): its section's overrides, if any. */
void mpd_config_policy(const struct mpd_config *c, const char *path,
		       struct mpd_policy *p);

/* Level and signal names. */
int mpd_level_parse(const char *s);		/* -EINVAL */
const char *mpd_level_name(int level);
int mpd_signal_parse(const char *s);		/* -EINVAL */
const char *mpd_signal_name(int signo);		/* "SIGUSR1", or NULL */

/*
 * A metrics_listen address, "A.B.C.D:PORT" or "[IPv6]:PORT" (port 1-65535),
 * into @ss (*@len bytes).  1 if it is a loopback address (127.0.0.0/8,
 * ::1, ::ffff:127.0.0.0/104), 0 if not, -EINVAL if it is no address.
 */
int mpd_listen_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len);

/* Escape @in as the tables do (space, tab, newline, backslash, lone "-"). */
void mpd_escape(const char *in, char *out, size_t size);

#endif /* MPD_CONFIG_H */
