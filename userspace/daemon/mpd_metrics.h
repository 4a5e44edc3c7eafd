/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mempressured's metrics (docs/metrics.md) in Prometheus's text exposition
 * format: what the daemon counts, the snapshot it renders from, and the
 * rendering itself, pure (no syscalls, no logging) so that host tests check
 * every line.  Also pure: the request line of the HTTP responder, parsed
 * here and answered in mpd_metrics_io.c.
 *
 * Names follow Prometheus's conventions: the mempressure_ prefix, base
 * units in the name (_bytes, _seconds), counters ending in _total, a HELP
 * and a TYPE line per family, label values escaped (backslash, double
 * quote, newline) and made valid UTF-8 (a byte that is not shows as
 * U+FFFD: Prometheus's label values are UTF-8).
 */
#ifndef MPD_METRICS_H
#define MPD_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/mempressure.h>

#include "mp_pod.h"
#include "mpd_policy.h"

/* Callbacks to targets, by kind: X(ENUM_SUFFIX, "label value"). */
#define MPD_METRIC_CALLBACKS(X)		\
	X(TRIM,		"trim")		\
	X(SIGNAL,	"signal")	\
	X(HOOK,		"hook")		\
	X(SYSTEMD,	"systemd")

/* Escalation steps: X(ENUM_SUFFIX, "label value"). */
#define MPD_METRIC_STEPS(X)		\
	X(RECLAIM,	"reclaim")	\
	X(CLAMP,	"clamp")	\
	X(KILL,		"kill")

#define __MPD_ENUM_CB(e, name)		MPD_CB_##e,
#define __MPD_ENUM_STEP(e, name)	MPD_STEP_##e,
enum mpd_callback_kind { MPD_METRIC_CALLBACKS(__MPD_ENUM_CB) MPD_CB_NR };
enum mpd_step_kind { MPD_METRIC_STEPS(__MPD_ENUM_STEP) MPD_STEP_NR };

extern const char *const mpd_callback_names[MPD_CB_NR];
extern const char *const mpd_step_names[MPD_STEP_NR];

/* What the daemon counts as it runs; only ever incremented. */
struct mpd_counters {
	uint64_t events[MEMPRESSURE_EVENT_NR];	/* the module's, by kind */
	uint64_t callbacks[MPD_CB_NR];		/* made */
	uint64_t steps[MPD_STEP_NR];		/* taken */
	uint64_t step_errors[MPD_STEP_NR];	/* tried, and failed */
	uint64_t dry_callbacks[MPD_CB_NR];	/* dry run: would have made */
	uint64_t dry_steps[MPD_STEP_NR];	/* dry run: would have taken */
};

/* One row of /proc/mempressure/cgroups, as the metrics show it. */
struct mpd_metrics_cgroup {
	const char *path;		/* decoded */
	int level;			/* MEMPRESSURE_LEVEL_* */
	uint64_t usage_bytes;		/* UINT64_MAX renders as +Inf */
	uint64_t limit_bytes, hard_limit_bytes, soft_limit_bytes;
	bool soft_over;
};

struct mpd_metrics_app {
	const char *name;
	struct mpd_app_stats y;
};

/* Everything one rendering shows. */
struct mpd_metrics_snap {
	bool up;			/* false: the file left when stopping */
	bool module_open;
	uint64_t start_time_seconds;	/* since the Unix epoch */
	uint64_t events_lost;
	uint64_t subscribers, systemd_clients, episodes, clamped;
	const struct mpd_counters *c;
	const struct mpd_metrics_app *apps;
	size_t nr_apps;
	const struct mpd_metrics_cgroup *cgroups;
	size_t nr_cgroups;
	uint64_t cgroups_omitted;	/* rows left out to bound the output */
	/*
	 * More labels of each cgroup's samples, after its cgroup label as
	 * they are (mpd_metrics_pod_labels()), one per cgroup; NULL: none.
	 * mpd_metrics_render_alloc() makes them with pod_of.
	 */
	const char *const *cg_labels;
	/*
	 * The pod and container of the cgroup at @path (mp_pod.h), for the
	 * labels namespace, pod and container of its samples: 0 and *@info,
	 * or -errno for none.  NULL: mpd_metrics_render_alloc() uses the
	 * daemon's, mpd_metrics_pod_of().
	 */
	int (*pod_of)(const char *path, struct mp_pod_info *info, void *arg);
	void *pod_arg;
};

/*
 * The labels of @info's pod and container into @out (@size bytes, NUL
 * terminated), snprintf()-like: ,namespace="...",pod="..." when the pod is
 * named, then ,container="..." when the container is; "" when neither.
 */
size_t mpd_metrics_pod_labels(const struct mp_pod_info *info, char *out, size_t size);

/*
 * Render @s into @buf of @size bytes, as snprintf() does: at most @size - 1
 * bytes and a NUL (when @size > 0), and the length of the whole rendering
 * is returned, so a caller whose buffer was too small knows what to give.
 * Families with no sample (no application yet, no cgroup) are left out.
 */
size_t mpd_metrics_render(const struct mpd_metrics_snap *s, char *buf, size_t size);

/*
 * The value of sample @series (its name and labels as rendered, for example
 * mempressure_callbacks_total{kind="trim"}) in rendering @text, for the
 * file's readers: tests, scripts.  +Inf is UINT64_MAX.  -ENOENT if absent.
 */
int mpd_metrics_find(const char *text, const char *series, uint64_t *v);

/*
 * @in as a label value (without the quotes) into @out of @size bytes,
 * snprintf()-like: backslash, double quote and newline escaped, bytes that
 * are not UTF-8 replaced by U+FFFD.  Returns the full length.
 */
size_t mpd_metrics_label_escape(const char *in, char *out, size_t size);

/*
 * The HTTP responder's requests: one request head (request line and
 * header lines, ending in an empty line) of at most MPD_HTTP_REQUEST_MAX
 * bytes, answered and the connection closed.
 */
#define MPD_HTTP_REQUEST_MAX	4096

/*
 * What to answer @len bytes received so far: 0 while the head is not
 * complete, else an HTTP status: 200 for GET or HEAD of /metrics (a query
 * string ignored), 404 another path, 405 another method, 400 a malformed
 * request line, 505 a version other than HTTP/1.x, 431 a head longer
 * than MPD_HTTP_REQUEST_MAX.  *@head is set for a HEAD (no body).
 */
int mpd_http_request(const char *buf, size_t len, bool *head);

/* The reason phrase of the statuses above ("OK", "Not Found", ...). */
const char *mpd_http_reason(int status);

#endif /* MPD_METRICS_H */
