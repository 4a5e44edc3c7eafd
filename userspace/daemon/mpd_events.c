// SPDX-License-Identifier: GPL-2.0
/* The module's event stream: see mpd_events.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/mempressure.h>

#include "mpd.h"
#include "mpd_events.h"
#include "names.h"

const char *mpd_event_reason(const struct mp_event *ev)
{
	return ev->reason >= 0 ? mp_reasons[ev->reason] : MEMPRESSURE_NA;
}

void mpd_handle_event(struct mpd *d, const struct mp_event *ev)
{
	struct mpd_policy pol;

	d->events_seen++;
	d->counters.events[ev->kind]++;
	switch (ev->kind) {
	case MEMPRESSURE_EVENT_LEVEL:
		if (ev->level < 0)
			return;
		log_debug("%s: level %s (was %s, %s)", LOG_ESC(ev->cgroup),
			  mpd_level_name(ev->level), mpd_level_name(ev->old_level),
			  mpd_event_reason(ev));
		mpd_notify_level(d, ev);
		mpd_config_policy(&d->cfg, ev->cgroup, &pol);
		if (ev->level > ev->old_level && ev->level >= d->cfg.systemd_level)
			mpd_sd_wake(d, ev->cgroup, 0, ev->level, MEMPRESSURED_TRIM_LEVEL,
				    mpd_dry_run(d, &pol));
		if (ev->level > ev->old_level && ev->level >= pol.trim_level)
			mpd_episode_pressure(d, ev->cgroup, ev->level, MEMPRESSURED_TRIM_LEVEL);
		else if (ev->level > ev->old_level)
			/*
			 * Below trim_level: no trims, only the signal and hook
			 * targets of the levels just reached.
			 */
			mpd_schedule_targets(d, ev->cgroup, 0, ev->old_level, ev->level,
					     MEMPRESSURED_TRIM_LEVEL,
					     mpd_page_round(0, d->sys.page_size),
					     mpd_dry_run(d, &pol), mpd_now(d), 0);
		break;
	case MEMPRESSURE_EVENT_LIMIT:
		if (ev->level < 0)
			return;
		log_debug("%s: limit %llu, soft limit %llu", LOG_ESC(ev->cgroup),
			  (unsigned long long)ev->limit_bytes,
			  (unsigned long long)ev->soft_limit_bytes);
		mpd_notify_level(d, ev);
		break;
	case MEMPRESSURE_EVENT_SOFT_OVER:
		/* Over a soft limit counts as medium, as for the trims. */
		mpd_config_policy(&d->cfg, ev->cgroup, &pol);
		if (MEMPRESSURE_LEVEL_MEDIUM >= d->cfg.systemd_level)
			mpd_sd_wake(d, ev->cgroup, ev->pid > 0 ? ev->pid : 0,
				    MEMPRESSURE_LEVEL_MEDIUM, MEMPRESSURED_TRIM_SOFT,
				    mpd_dry_run(d, &pol));
		if (ev->pid > 0) {
			uint64_t over = ev->usage_bytes > ev->soft_limit_bytes ?
					ev->usage_bytes - ev->soft_limit_bytes : 0;

			/* A process over its own soft limit: ask it alone. */
			mpd_schedule_callbacks(d, ev->cgroup, ev->pid, MEMPRESSURE_LEVEL_MEDIUM,
					       MEMPRESSURED_TRIM_SOFT,
					       mpd_page_round(over, d->sys.page_size),
					       mpd_dry_run(d, &pol));
		} else {
			mpd_episode_pressure(d, ev->cgroup, MEMPRESSURE_LEVEL_MEDIUM,
					     MEMPRESSURED_TRIM_SOFT);
		}
		break;
	case MEMPRESSURE_EVENT_LEAK_SUSPECTED: {
		struct mpd_cg_row row;
		uint64_t want = 0;

		/* The cgroup's excess, else what it grows in a grace period. */
		mpd_config_policy(&d->cfg, ev->cgroup, &pol);
		if (!mpd_module_cgroup(&d->sys, ev->cgroup, &row))
			want = mpd_excess_now(d, row.current, row.soft);
		if (!want && ev->growth > 0)
			want = (uint64_t)ev->growth * pol.grace_ms / 1000;
		log_info("%s: %s (pid %d) suspected of leaking (rss %llu, %lld bytes/s)",
			 LOG_ESC(ev->cgroup), LOG_ESC(ev->comm), ev->pid,
			 (unsigned long long)ev->rss_bytes,
			 (long long)ev->growth);
		want = mpd_page_round(want, d->sys.page_size);
		mpd_schedule_callbacks(d, ev->cgroup, ev->pid, MEMPRESSURE_LEVEL_MEDIUM,
				       MEMPRESSURED_TRIM_LEAK, want, mpd_dry_run(d, &pol));
		break;
	}
	case MEMPRESSURE_EVENT_LOST:
		d->events_lost += ev->count;
		log_warn("missed %llu events of the module (fell behind)",
			 (unsigned long long)ev->count);
		break;
	default:
		log_debug("%s: event %s, ignoring", LOG_ESC(ev->cgroup), mp_event_kinds[ev->kind]);
		break;
	}
}

void mpd_events_line(struct mpd *d, const char *line, size_t len)
{
	struct mp_event ev;

	if (mp_event_parse(line, len, &ev) < 0)
		log_warn("malformed event from the module, ignoring: %s", LOG_ESC(ev.line));
	else if (ev.kind < 0)
		log_debug("event of a kind this daemon does not know: %s", LOG_ESC(ev.line));
	else
		mpd_handle_event(d, &ev);
}

void mpd_events_close(struct mpd *d)
{
	int fd = mpd_loop_del(&d->loop, &d->events);

	if (fd < 0)
		return;
	close(fd);
	d->evlen = 0;
}

static void retry_in(struct mpd *d, uint64_t ms)
{
	mpd_timer_at(d->retry.fd, mpd_now(d) + ms);
}

static void events_readable(struct mpd_io *io, uint32_t events);

void mpd_events_open(struct mpd *d)
{
	char path[MPD_PATH_LEN + 32];
	uint64_t abi = 0;
	int fd, r;

	fd = mpd_module_open_events(&d->sys);
	if (fd < 0) {
		mpd_module_file(&d->sys, MEMPRESSURE_FILE_EVENTS, path, sizeof(path));
		if (!d->said_absent)
			log_warn("cannot open %s (%s): is mempressure.ko loaded? Retrying until it is",
				 path, strerror(-fd));
		d->said_absent = true;
		retry_in(d, d->backoff_ms);
		d->backoff_ms = d->backoff_ms * 2 > MPD_BACKOFF_MAX_MS ? MPD_BACKOFF_MAX_MS :
			d->backoff_ms * 2;
		return;
	}
	r = mpd_module_abi(&d->sys, &abi);
	if (r < 0 || abi != MEMPRESSURE_ABI_VERSION) {
		mpd_module_file(&d->sys, MEMPRESSURE_FILE_STATUS, path, sizeof(path));
		if (r < 0)
			log_err("cannot read abi_version from %s: %s; retrying in %d s", path,
				strerror(-r), MPD_BACKOFF_MAX_MS / 1000);
		else
			log_err("the module speaks ABI version %llu, this daemon only %d; retrying in %d s",
				(unsigned long long)abi, MEMPRESSURE_ABI_VERSION,
				MPD_BACKOFF_MAX_MS / 1000);
		close(fd);
		retry_in(d, MPD_BACKOFF_MAX_MS);
		return;
	}
	r = mpd_loop_add(&d->loop, &d->events, fd, EPOLLIN, events_readable);
	if (r < 0) {
		log_err("epoll: %s; retrying", strerror(-r));
		close(fd);
		retry_in(d, MPD_BACKOFF_MIN_MS);
		return;
	}
	d->said_absent = false;
	d->backoff_ms = MPD_BACKOFF_MIN_MS;
	log_info("reading the module's events (ABI %llu)", (unsigned long long)abi);
}

/* The events file: whole lines, each handled; a part line waits for its end. */
static void events_readable(struct mpd_io *io, uint32_t events)
{
	struct mpd *d = mpd_container_of(io, struct mpd, events);

	(void)events;
	for (;;) {
		ssize_t n = read(io->fd, d->evbuf + d->evlen, sizeof(d->evbuf) - d->evlen - 1);
		char *line, *nl;

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			if (errno == EIO)
				log_warn("the module was unloaded; waiting for it to come back");
			else
				log_err("reading events: %m; reopening");
			mpd_events_close(d);
			d->backoff_ms = MPD_BACKOFF_MIN_MS;
			d->said_absent = false;
			mpd_events_open(d);
			return;
		}
		if (n == 0)
			return;
		d->evlen += (size_t)n;
		d->evbuf[d->evlen] = '\0';
		line = d->evbuf;
		while ((nl = strchr(line, '\n'))) {
			*nl = '\0';
			mpd_events_line(d, line, (size_t)(nl - line));
			line = nl + 1;
		}
		d->evlen -= (size_t)(line - d->evbuf);
		memmove(d->evbuf, line, d->evlen);
		if (d->evlen == sizeof(d->evbuf) - 1)
			d->evlen = 0;	/* cannot happen: lines are short */
	}
}

static void retry_due(struct mpd_io *io, uint32_t events)
{
	struct mpd *d = mpd_container_of(io, struct mpd, retry);

	(void)events;
	if (mpd_timer_drain(io->fd) > 0 && d->events.fd < 0)
		mpd_events_open(d);
}

int mpd_events_init(struct mpd *d)
{
	int fd = mpd_timer_new();

	if (fd < 0)
		return fd;
	d->backoff_ms = MPD_BACKOFF_MIN_MS;
	return mpd_loop_add(&d->loop, &d->retry, fd, EPOLLIN, retry_due);
}

void mpd_events_done(struct mpd *d)
{
	int fd;

	mpd_events_close(d);
	fd = mpd_loop_del(&d->loop, &d->retry);
	if (fd >= 0)
		close(fd);
}
