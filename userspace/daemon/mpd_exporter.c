// SPDX-License-Identifier: GPL-2.0
/* mempressured's metrics of itself: see mpd_exporter.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/mempressure.h>

#include "mpd.h"
#include "names.h"

/* *@s, with the cgroups table read into @t (freed by the caller). */
static void snapshot(const struct mpd *d, struct mpd_metrics_snap *s, struct mp_table *t,
		     struct mpd_metrics_cgroup **cgs, struct mpd_metrics_app *apps)
{
	const char *const *cols = mp_cgroup_columns;
	int c[MEMPRESSURE_CG_NR];

	memset(s, 0, sizeof(*s));
	memset(t, 0, sizeof(*t));
	*cgs = NULL;
	s->up = true;
	s->module_open = d->events.fd >= 0;
	s->start_time_seconds = d->exporter.start_time;
	s->events_lost = d->events_lost;
	s->c = &d->counters;
	for (const struct mpd_client *x = d->clients; x; x = x->next) {
		s->subscribers += x->hello;
		s->systemd_clients += x->sd;
	}
	for (const struct mpd_episode *e = d->episodes; e; e = e->next) {
		s->episodes += e->stage != MEMPRESSURED_STAGE_DONE;
		s->clamped += e->clamped;
	}
	for (size_t i = 0; i < d->nr_apps; i++) {
		apps[i].name = d->apps[i].name;
		apps[i].y = d->apps[i].y;
	}
	s->apps = apps;
	s->nr_apps = d->nr_apps;
	if (!s->module_open || mpd_module_table(&d->sys, MEMPRESSURE_FILE_CGROUPS, t) < 0)
		return;
	for (int i = 0; i < MEMPRESSURE_CG_NR; i++)
		c[i] = mp_table_column(t, cols[i]);
	*cgs = calloc(t->nr_rows + 1, sizeof(**cgs));
	if (!*cgs || c[MEMPRESSURE_CG_PATH] < 0)
		return;
	for (size_t i = 0; i < t->nr_rows; i++) {
		struct mpd_metrics_cgroup *r = &(*cgs)[s->nr_cgroups];
		/* Decoded in place: a decoded cell is never longer. */
		char *path = (char *)mp_table_cell(t, i, (size_t)c[MEMPRESSURE_CG_PATH]);
		uint64_t *v[] = { &r->usage_bytes, &r->limit_bytes, &r->hard_limit_bytes,
				  &r->soft_limit_bytes };
		const int vc[] = { MEMPRESSURE_CG_CURRENT, MEMPRESSURE_CG_LIMIT,
				   MEMPRESSURE_CG_HARD_LIMIT, MEMPRESSURE_CG_SOFT_LIMIT };
		uint64_t over = 0;

		if (mp_unescape(path, path, strlen(path) + 1) < 0)
			continue;
		r->path = path;
		for (size_t k = 0; k < sizeof(vc) / sizeof(vc[0]); k++)
			if (c[vc[k]] < 0 ||
			    mp_parse_u64(mp_table_cell(t, i, (size_t)c[vc[k]]), v[k]) < 0)
				*v[k] = 0;
		r->level = c[MEMPRESSURE_CG_LEVEL] < 0 ? 0 :
			   mpd_level_parse(mp_table_cell(t, i, (size_t)c[MEMPRESSURE_CG_LEVEL]));
		if (c[MEMPRESSURE_CG_SOFT_OVER] >= 0)
			mp_parse_u64(mp_table_cell(t, i, (size_t)c[MEMPRESSURE_CG_SOFT_OVER]),
				     &over);
		r->soft_over = over;
		s->nr_cgroups++;
	}
	s->cgroups = *cgs;
}

/* The metrics now, rendered into a malloc'ed buffer; @up false when stopping. */
static char *render(const struct mpd *d, size_t *len, bool up)
{
	static struct mpd_metrics_app apps[MPD_APPS_MAX];
	struct mpd_metrics_snap s;
	struct mpd_metrics_cgroup *cgs;
	struct mp_table t;
	char *buf;

	snapshot(d, &s, &t, &cgs, apps);
	s.up = up;
	buf = mpd_metrics_render_alloc(&s, MPD_METRICS_SIZE_MAX, len);
	if (s.cgroups_omitted)
		log_debug("metrics: %llu cgroups left out to stay under %u bytes",
			  (unsigned long long)s.cgroups_omitted, MPD_METRICS_SIZE_MAX);
	free(cgs);
	mp_table_free(&t);
	return buf;
}

static char *http_body(size_t *len, void *arg)
{
	return render(arg, len, true);
}

static void write_file(struct mpd *d, bool up)
{
	struct mpd_exporter *x = &d->exporter;
	size_t len;
	char *buf;
	int r;

	x->dirty = false;
	x->written_at = mpd_now(d);
	if (!d->cfg.metrics_file)
		return;
	buf = render(d, &len, up);
	r = buf ? mpd_metrics_write_file(d->cfg.metrics_file, buf, len) : -ENOMEM;
	free(buf);
	if (r < 0 && r != x->write_err)
		log_warn("metrics_file %s: %s; trying again at the next change",
			 d->cfg.metrics_file, strerror(-r));
	else if (!r && x->write_err)
		log_info("metrics_file %s written again", d->cfg.metrics_file);
	x->write_err = r;
}

/* FNV-1a over what the file shows, but for the cgroup rows. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ ((const unsigned char *)p)[i]) * 1099511628211ULL;
	return h;
}

static uint64_t fingerprint(const struct mpd *d)
{
	uint64_t h = 14695981039346656037ULL, v[5] = { d->events_lost, d->events.fd >= 0 };

	h = fnv(h, &d->counters, sizeof(d->counters));
	for (size_t i = 0; i < d->nr_apps; i++)
		h = fnv(h, &d->apps[i].y, sizeof(d->apps[i].y));
	for (const struct mpd_client *x = d->clients; x; x = x->next)
		v[2] += x->hello + ((uint64_t)x->sd << 32);
	for (const struct mpd_episode *e = d->episodes; e; e = e->next)
		v[3] += (e->stage != MEMPRESSURED_STAGE_DONE) + ((uint64_t)e->clamped << 32);
	v[4] = d->nr_apps;
	h = fnv(h, v, sizeof(v));
	return fnv(h, d->cfg.metrics_file, strlen(d->cfg.metrics_file));
}

/* The timer at the earliest of the file's next write and a connection's deadline. */
static void arm(struct mpd *d)
{
	struct mpd_exporter *x = &d->exporter;
	uint64_t next = mpd_http_next_deadline(&x->http);

	if (x->dirty && d->cfg.metrics_file) {
		uint64_t due = x->written_at ? x->written_at + d->cfg.metrics_interval_ms : 1;

		if (due < next)
			next = due;
	}
	if (next == x->armed || x->timer.fd < 0)
		return;
	if (mpd_timer_at(x->timer.fd, next) == 0)
		x->armed = next;
}

void mpd_exporter_check(struct mpd *d)
{
	struct mpd_exporter *x = &d->exporter;

	if (d->cfg.metrics_file) {
		uint64_t fp = fingerprint(d);

		if (fp != x->fingerprint) {
			x->fingerprint = fp;
			x->dirty = true;
		}
	}
	if (strcmp(d->cfg.metrics_listen ?: "-", x->listen) &&
	    strcmp(d->cfg.metrics_listen ?: "-", x->listen_warned)) {
		snprintf(x->listen_warned, sizeof(x->listen_warned), "%s",
			 d->cfg.metrics_listen ?: "-");
		log_warn("reload: metrics_listen changes to %s only at restart, ignoring",
			 x->listen_warned);
	}
	arm(d);
}

static void timer_due(struct mpd_io *io, uint32_t events)
{
	struct mpd_exporter *x = mpd_container_of(io, struct mpd_exporter, timer);
	struct mpd *d = mpd_container_of(x, struct mpd, exporter);
	uint64_t now = mpd_now(d);
	int r = mpd_timer_drain(io->fd);

	(void)events;
	if (r < 0)
		log_warn("metrics timer: %s, ignoring", strerror(-r));
	x->armed = UINT64_MAX;
	mpd_http_expire(&x->http, now);
	if (x->dirty && x->written_at + d->cfg.metrics_interval_ms <= now)
		write_file(d, true);
}

void mpd_exporter_open(struct mpd *d)
{
	struct mpd_exporter *x = &d->exporter;
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, r;

	x->opened = true;
	x->start_time = (uint64_t)time(NULL);
	/* The address of the start, served or not: a reload cannot move it. */
	snprintf(x->listen, sizeof(x->listen), "%s", d->cfg.metrics_listen ?: "-");
	fd = mpd_timer_new();
	r = fd < 0 ? fd : mpd_loop_add(&d->loop, &x->timer, fd, EPOLLIN, timer_due);
	if (r < 0) {
		log_err("metrics timer: %s; no metrics", strerror(-r));
		if (fd >= 0)
			close(fd);
		return;
	}
	if (d->cfg.metrics_file)
		log_info("metrics to %s", d->cfg.metrics_file);
	if (!d->cfg.metrics_listen)
		return;
	r = mpd_listen_parse(d->cfg.metrics_listen, &ss, &len);
	if (r >= 0)
		r = mpd_http_open(&x->http, (struct sockaddr *)&ss, len, &d->loop, http_body, d);
	if (r < 0) {
		log_err("metrics_listen %s: %s; serving no metrics over HTTP",
			d->cfg.metrics_listen, strerror(-r));
		return;
	}
	log_info("metrics on http://%s/metrics%s", x->listen,
		 mpd_listen_parse(x->listen, &ss, &len) == 1 ? "" :
		 " (not the loopback: metrics_allow_remote = yes)");
}

void mpd_exporter_close(struct mpd *d)
{
	struct mpd_exporter *x = &d->exporter;

	mpd_http_close(&x->http);
	if (x->opened && d->cfg.metrics_file)
		write_file(d, false);
	if (x->timer.fd >= 0)
		close(mpd_loop_del(&d->loop, &x->timer));
}
