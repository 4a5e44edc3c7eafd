// SPDX-License-Identifier: GPL-2.0
/*
 * mempressured's metrics, rendered: see mpd_metrics.h and docs/metrics.md.
 * No syscalls: the daemon takes the snapshot, this writes the text.
 *
 * The output is built snprintf()-style: every byte is counted, only those
 * that fit are stored, so one pass tells the caller the size it needs.
 * A family's samples are contiguous and follow its HELP and TYPE lines,
 * as the format requires; the order of families and of samples is fixed
 * (cgroups in the table's order, applications in the daemon's).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpd_metrics.h"
#include "names.h"

#define X(e, name) [MPD_CB_##e] = name,
const char *const mpd_callback_names[MPD_CB_NR] = { MPD_METRIC_CALLBACKS(X) };
#undef X
#define X(e, name) [MPD_STEP_##e] = name,
const char *const mpd_step_names[MPD_STEP_NR] = { MPD_METRIC_STEPS(X) };
#undef X

/* --- the output buffer --- */

struct out {
	char *buf;
	size_t size, len;		/* len counts what did not fit too */
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->size && o->len < o->size - 1) {
		size_t room = o->size - 1 - o->len;

		memcpy(o->buf + o->len, s, n < room ? n : room);
	}
	o->len += n;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* A sample's value: a whole number, or +Inf for "max" (unlimited). */
static void put_value(struct out *o, uint64_t v)
{
	char num[24];

	if (v == UINT64_MAX) {
		puts_(o, "+Inf");
		return;
	}
	snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	puts_(o, num);
}

/* Length of the UTF-8 sequence at @s (of @n bytes), 0 if it is not one. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and what lies past U+10FFFF are not UTF-8. */
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static void put_label_value(struct out *o, const char *in)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t n = strlen(in);

	while (n) {
		size_t l = utf8_len(s, n);

		if (!l) {
			puts_(o, "\xef\xbf\xbd");	/* U+FFFD */
			l = 1;
		} else if (*s == '\\') {
			puts_(o, "\\\\");
		} else if (*s == '"') {
			puts_(o, "\\\"");
		} else if (*s == '\n') {
			puts_(o, "\\n");
		} else {
			put(o, (const char *)s, l);
		}
		s += l;
		n -= l;
	}
}

size_t mpd_metrics_label_escape(const char *in, char *out, size_t size)
{
	struct out o = { .buf = out, .size = size };

	put_label_value(&o, in);
	if (size)
		out[o.len < size ? o.len : size - 1] = '\0';
	return o.len;
}

/* --- families and samples --- */

static void family(struct out *o, const char *name, const char *type, const char *help)
{
	puts_(o, "# HELP ");
	puts_(o, name);
	put(o, " ", 1);
	puts_(o, help);
	puts_(o, "\n# TYPE ");
	puts_(o, name);
	put(o, " ", 1);
	puts_(o, type);
	put(o, "\n", 1);
}

/* label="value", after a comma unless @first. */
static void label(struct out *o, const char *name, const char *value, bool first)
{
	if (!first)
		put(o, ",", 1);
	puts_(o, name);
	puts_(o, "=\"");
	put_label_value(o, value);
	put(o, "\"", 1);
}

static void sample_end(struct out *o, uint64_t v)
{
	put(o, " ", 1);
	put_value(o, v);
	put(o, "\n", 1);
}

/* name{label="value"} v, or name v when @label is NULL. */
static void sample(struct out *o, const char *name, const char *lname, const char *value,
		   uint64_t v)
{
	puts_(o, name);
	if (lname) {
		put(o, "{", 1);
		label(o, lname, value, true);
		put(o, "}", 1);
	}
	sample_end(o, v);
}

size_t mpd_metrics_pod_labels(const struct mp_pod_info *info, char *out, size_t size)
{
	struct out o = { .buf = out, .size = size };

	/* A pod's own cgroup has no container; Docker's own container no pod. */
	if (info->namespace[0] && info->pod[0]) {
		label(&o, "namespace", info->namespace, false);
		label(&o, "pod", info->pod, false);
	}
	if (info->container[0])
		label(&o, "container", info->container, false);
	if (size)
		out[o.len < size ? o.len : size - 1] = '\0';
	return o.len;
}

/* A cgroup's sample: its cgroup label, and those of its pod (s->cg_labels). */
static void cg_sample(struct out *o, const struct mpd_metrics_snap *s, const char *name,
		      size_t i, uint64_t v)
{
	puts_(o, name);
	put(o, "{", 1);
	label(o, "cgroup", s->cgroups[i].path, true);
	if (s->cg_labels && s->cg_labels[i])
		puts_(o, s->cg_labels[i]);
	put(o, "}", 1);
	sample_end(o, v);
}

static void single(struct out *o, const char *name, const char *type, const char *help,
		   uint64_t v)
{
	family(o, name, type, help);
	sample(o, name, NULL, NULL, v);
}

/* A counter family with one sample per name of @names (all of them, zeros too). */
static void by_kind(struct out *o, const char *name, const char *help, const char *label,
		    const char *const *names, const uint64_t *v, size_t n)
{
	family(o, name, "counter", help);
	for (size_t i = 0; i < n; i++)
		sample(o, name, label, names[i], v[i]);
}

/* The per-application counters: fields of struct mpd_app_stats. */
static const struct {
	const char *name, *help;
	size_t off;
} app_families[] = {
	{ "mempressure_app_trim_requests_total",
	  "Trims the daemon sent to the application.",
	  offsetof(struct mpd_app_stats, requests) },
	{ "mempressure_app_trim_replies_total",
	  "Trims the application answered before the deadline.",
	  offsetof(struct mpd_app_stats, replies) },
	{ "mempressure_app_trim_timeouts_total",
	  "Trims the application did not answer before the deadline.",
	  offsetof(struct mpd_app_stats, timeouts) },
	{ "mempressure_app_claimed_bytes_total",
	  "Bytes the application's replies said it freed.",
	  offsetof(struct mpd_app_stats, claimed_bytes) },
	{ "mempressure_app_measured_bytes_total",
	  "Bytes its RSS fell by between each trim and its deadline.",
	  offsetof(struct mpd_app_stats, measured_bytes) },
	{ "mempressure_app_cgroup_measured_bytes_total",
	  "Bytes its cgroup's memory.current fell by between each trim and its deadline.",
	  offsetof(struct mpd_app_stats, cgroup_bytes_measured) },
	{ "mempressure_app_trim_unmet_replies_total",
	  "Replies that said some memory the application holds live cannot be freed.",
	  offsetof(struct mpd_app_stats, unmet_replies) },
};

enum cg_field { CG_LEVEL, CG_USAGE, CG_LIMIT, CG_HARD, CG_SOFT, CG_SOFT_OVER };

static const struct {
	const char *name, *help;
	enum cg_field f;
} cg_families[] = {
	{ "mempressure_cgroup_level",
	  "Pressure level of the cgroup: 0 none, 1 low, 2 medium, 3 critical.", CG_LEVEL },
	{ "mempressure_cgroup_usage_bytes",
	  "memory.current of the cgroup (the system row: RAM in use).", CG_USAGE },
	{ "mempressure_cgroup_limit_bytes",
	  "Effective limit: memory.high, else memory.max, else the parent's, else RAM.",
	  CG_LIMIT },
	{ "mempressure_cgroup_hard_limit_bytes",
	  "memory.max, else the parent's, else RAM.", CG_HARD },
	{ "mempressure_cgroup_soft_limit_bytes",
	  "Soft limit: the cgroup's own, or soft_pct of its limit.", CG_SOFT },
	{ "mempressure_cgroup_soft_over",
	  "1 while the cgroup is over its soft limit (until under it by the margin), else 0.",
	  CG_SOFT_OVER },
};

static uint64_t cg_value(const struct mpd_metrics_cgroup *c, enum cg_field f)
{
	switch (f) {
	case CG_LEVEL:		return c->level < 0 ? 0 : (uint64_t)c->level;
	case CG_USAGE:		return c->usage_bytes;
	case CG_LIMIT:		return c->limit_bytes;
	case CG_HARD:		return c->hard_limit_bytes;
	case CG_SOFT:		return c->soft_limit_bytes;
	case CG_SOFT_OVER:	return c->soft_over;
	}
	return 0;
}

size_t mpd_metrics_render(const struct mpd_metrics_snap *s, char *buf, size_t size)
{
	struct out o = { .buf = buf, .size = size };
	const struct mpd_counters *c = s->c;
	const char *dry_names[MPD_CB_NR + MPD_STEP_NR];
	uint64_t dry[MPD_CB_NR + MPD_STEP_NR];

	single(&o, "mempressure_daemon_up", "gauge",
	       "1 while mempressured runs; 0 in the file it leaves when it stops.", s->up);
	single(&o, "mempressure_daemon_start_time_seconds", "gauge",
	       "When mempressured started, in seconds since the Unix epoch.",
	       s->start_time_seconds);
	single(&o, "mempressure_module_open", "gauge",
	       "1 while the daemon reads the module's events, else 0 (module not loaded).",
	       s->module_open);
	single(&o, "mempressure_subscribers", "gauge",
	       "libmempressure subscribers connected.", s->subscribers);
	single(&o, "mempressure_systemd_clients", "gauge",
	       "Clients of systemd's memory-pressure protocol connected.", s->systemd_clients);
	single(&o, "mempressure_episodes", "gauge",
	       "Cgroups the daemon is bringing back under their soft limit.", s->episodes);
	single(&o, "mempressure_clamped_cgroups", "gauge",
	       "Cgroups whose memory.high the daemon clamps now.", s->clamped);

	by_kind(&o, "mempressure_module_events_total",
		"Events the daemon read from the module, by kind.", "kind", mp_event_kinds,
		c->events, MEMPRESSURE_EVENT_NR);
	single(&o, "mempressure_module_events_lost_total", "counter",
	       "Events of the module the daemon missed because it fell behind.",
	       s->events_lost);

	by_kind(&o, "mempressure_callbacks_total",
		"Callbacks made to the applications of cgroups under pressure, by kind.",
		"kind", mpd_callback_names, c->callbacks, MPD_CB_NR);
	by_kind(&o, "mempressure_escalations_total",
		"Escalation steps taken on cgroups still over their soft limit, by step.",
		"step", mpd_step_names, c->steps, MPD_STEP_NR);
	by_kind(&o, "mempressure_escalation_errors_total",
		"Escalation steps that failed, by step.", "step", mpd_step_names,
		c->step_errors, MPD_STEP_NR);
	for (size_t i = 0; i < MPD_CB_NR; i++) {
		dry_names[i] = mpd_callback_names[i];
		dry[i] = c->dry_callbacks[i];
	}
	for (size_t i = 0; i < MPD_STEP_NR; i++) {
		dry_names[MPD_CB_NR + i] = mpd_step_names[i];
		dry[MPD_CB_NR + i] = c->dry_steps[i];
	}
	by_kind(&o, "mempressure_dry_run_actions_total",
		"Callbacks and escalation steps a dry run logged instead of taking, by action.",
		"action", dry_names, dry, MPD_CB_NR + MPD_STEP_NR);

	for (size_t f = 0; f < sizeof(app_families) / sizeof(app_families[0]) && s->nr_apps; f++) {
		family(&o, app_families[f].name, "counter", app_families[f].help);
		for (size_t i = 0; i < s->nr_apps; i++) {
			const char *y = (const char *)&s->apps[i].y;
			uint64_t v;

			memcpy(&v, y + app_families[f].off, sizeof(v));
			sample(&o, app_families[f].name, "app", s->apps[i].name, v);
		}
	}

	for (size_t f = 0; f < sizeof(cg_families) / sizeof(cg_families[0]) && s->nr_cgroups; f++) {
		family(&o, cg_families[f].name, "gauge", cg_families[f].help);
		for (size_t i = 0; i < s->nr_cgroups; i++)
			cg_sample(&o, s, cg_families[f].name, i,
				  cg_value(&s->cgroups[i], cg_families[f].f));
	}
	single(&o, "mempressure_metrics_cgroups_omitted", "gauge",
	       "Cgroups left out of these metrics to bound their size.", s->cgroups_omitted);

	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return o.len;
}

int mpd_metrics_find(const char *text, const char *series, uint64_t *v)
{
	size_t n = strlen(series);

	for (const char *p = text; (p = strstr(p, series)); p++) {
		if ((p != text && p[-1] != '\n') || p[n] != ' ')
			continue;
		if (!strncmp(p + n + 1, "+Inf", 4))
			*v = UINT64_MAX;
		else
			*v = strtoull(p + n + 1, NULL, 10);
		return 0;
	}
	return -ENOENT;
}

/* --- the HTTP responder's requests --- */

int mpd_http_request(const char *buf, size_t len, bool *head)
{
	const char *end = NULL, *sp1, *sp2, *eol, *target;
	size_t tlen;

	*head = false;
	for (size_t i = 0; i + 1 < len && !end; i++) {
		if (buf[i] == '\n' && buf[i + 1] == '\n')
			end = buf + i;
		else if (i + 3 < len && !memcmp(buf + i, "\r\n\r\n", 4))
			end = buf + i;
	}
	if (!end)
		return len >= MPD_HTTP_REQUEST_MAX ? 431 : 0;
	if ((size_t)(end - buf) >= MPD_HTTP_REQUEST_MAX)
		return 431;
	eol = memchr(buf, '\n', len);
	if (eol > buf && eol[-1] == '\r')
		eol--;
	/* "METHOD SP TARGET SP VERSION", single spaces. */
	sp1 = memchr(buf, ' ', (size_t)(eol - buf));
	sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
	if (!sp1 || !sp2 || sp1 == buf || sp2 == sp1 + 1 || sp2 + 1 == eol ||
	    memchr(sp2 + 1, ' ', (size_t)(eol - sp2 - 1)) || sp1[1] != '/')
		return 400;
	if ((size_t)(eol - sp2 - 1) < 8 || memcmp(sp2 + 1, "HTTP/", 5))
		return 400;
	if (memcmp(sp2 + 1, "HTTP/1.", 7) || (size_t)(eol - sp2 - 1) != 8)
		return 505;
	if (sp1 - buf == 4 && !memcmp(buf, "HEAD", 4))
		*head = true;
	else if (sp1 - buf != 3 || memcmp(buf, "GET", 3))
		return 405;
	target = sp1 + 1;
	tlen = (size_t)(sp2 - target);
	for (size_t i = 0; i < tlen; i++)
		if (target[i] == '?') {
			tlen = i;
			break;
		}
	return tlen == 8 && !memcmp(target, "/metrics", 8) ? 200 : 404;
}

const char *mpd_http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 431: return "Request Header Fields Too Large";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	}
	return "Error";
}
