// SPDX-License-Identifier: GPL-2.0
/*
 * mempressured's parts wired together (mpd.h): the loop and what is in it
 * besides the parts' own fds (a signalfd for SIGTERM, SIGINT, SIGHUP and
 * SIGCHLD; a timerfd armed at the earliest of everything scheduled), the
 * configuration's reload, and the order of setting up and tearing down.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "mpd.h"
#include "mpd_events.h"

int mpd_load_config(const char *path, bool explicit, struct mpd_config *c)
{
	struct mpd_config_error err;
	int r = mpd_config_load(path, c, &err);

	if (r == -ENOENT && !explicit)
		return mpd_config_init(c);
	if (r < 0) {
		if (err.line)
			log_err("%s:%u: %s", path, err.line, err.msg);
		else
			log_err("%s", err.msg);
	}
	return r;
}

void mpd_reload(struct mpd *d)
{
	struct mpd_config c;

	if (mpd_load_config(d->config_path, d->config_explicit, &c) < 0) {
		log_err("reload: the new configuration is invalid; keeping the old one");
		return;
	}
	if (strcmp(c.socket, d->cfg.socket))
		log_warn("reload: socket moves to %s only at restart, ignoring", c.socket);
	if (strcmp(c.systemd_socket ?: "-", d->cfg.systemd_socket ?: "-"))
		log_warn("reload: systemd_socket changes to %s only at restart, ignoring",
			 c.systemd_socket ?: "-");
	/* Scheduled actions name hooks by name: they find the new ones or none. */
	mpd_config_free(&d->cfg);
	d->cfg = c;
	log_info("reload: configuration %s loaded", d->config_path);
	/* After a module upgrade, say: try it now rather than at the next retry. */
	if (d->events.fd < 0) {
		d->backoff_ms = MPD_BACKOFF_MIN_MS;
		mpd_events_open(d);
	}
}

void mpd_tick(struct mpd *d)
{
	uint64_t now = mpd_now(d);

	mpd_clients_tick(d, now);
	mpd_callbacks_tick(d, now);
	mpd_episodes_tick(d, now);
	mpd_children_tick(d, now);
}

uint64_t mpd_next_due(const struct mpd *d)
{
	uint64_t next = mpd_callbacks_next_due(d), t;

	t = mpd_episodes_next_due(d);
	if (t < next)
		next = t;
	t = mpd_children_next_due(d);
	if (t < next)
		next = t;
	t = mpd_clients_next_due(d);
	return t < next ? t : next;
}

static void tick_due(struct mpd_io *io, uint32_t events)
{
	struct mpd *d = mpd_container_of(io, struct mpd, tick);
	int r = mpd_timer_drain(io->fd);

	(void)events;
	if (r < 0)
		log_warn("timer: %s, ignoring", strerror(-r));
	mpd_tick(d);
}

static void signals_readable(struct mpd_io *io, uint32_t events)
{
	struct mpd *d = mpd_container_of(io, struct mpd, signals);
	struct signalfd_siginfo si;

	(void)events;
	while (read(io->fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			mpd_reload(d);
		} else if (si.ssi_signo == SIGCHLD) {
			mpd_children_reap(d);
		} else {
			log_info("signal %u: exiting", si.ssi_signo);
			mpd_loop_stop(&d->loop);
		}
	}
}

void mpd_init(struct mpd *d, const struct mpd_config *cfg)
{
	d->cfg = *cfg;
	mpd_sys_init(&d->sys, "/");
	d->clock = mpd_clock_ms;
	d->loop.epfd = -1;
	mpd_io_init(&d->signals);
	mpd_io_init(&d->tick);
	mpd_io_init(&d->listen);
	mpd_io_init(&d->sd_listen);
	d->limits = (struct mpd_client_limits){ .max = MPD_CLIENTS_MAX,
		.per_uid = MPD_CLIENTS_PER_UID, .fd_reserve = MPD_FD_RESERVE };
	mpd_io_init(&d->events);
	mpd_io_init(&d->retry);
	d->backoff_ms = MPD_BACKOFF_MIN_MS;
	mpd_io_init(&d->exporter.timer);
	mpd_http_init(&d->exporter.http);
	d->exporter.armed = UINT64_MAX;
}

/* The signalfd (with the signals blocked) and the tick timer; -errno. */
static int start_loop(struct mpd *d)
{
	sigset_t mask;
	int fd, r;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	r = mpd_loop_init(&d->loop);
	if (r < 0)
		return r;
	fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	r = fd < 0 ? -errno : mpd_loop_add(&d->loop, &d->signals, fd, EPOLLIN, signals_readable);
	if (r < 0)
		return r;
	fd = mpd_timer_new();
	r = fd < 0 ? fd : mpd_loop_add(&d->loop, &d->tick, fd, EPOLLIN, tick_due);
	if (r < 0)
		return r;
	return mpd_events_init(d);
}

int mpd_start(struct mpd *d)
{
	int r = start_loop(d);

	if (r < 0) {
		log_err("setting up the event loop: %s", strerror(-r));
		return MPD_EXIT_RUNTIME;
	}
	r = mpd_clients_open(d);
	if (r)
		return r;
	log_info("mempressured listening on %s%s", d->cfg.socket,
		 d->force_dry_run || d->cfg.daemon.dry_run ? " (dry run: no action is taken)" : "");
	mpd_events_open(d);
	mpd_exporter_open(d);
	return 0;
}

int mpd_run(struct mpd *d)
{
	while (!mpd_loop_stopped(&d->loop)) {
		int r;

		mpd_exporter_check(d);
		mpd_timer_at(d->tick.fd, mpd_next_due(d));
		r = mpd_loop_run_once(&d->loop, -1);
		if (r < 0) {
			log_err("epoll_wait: %s", strerror(-r));
			return MPD_EXIT_RUNTIME;
		}
	}
	return 0;
}

void mpd_done(struct mpd *d)
{
	int fd;

	mpd_episodes_free(d);
	mpd_clients_close(d);
	while (d->actions)
		mpd_action_free(d, d->actions);
	/* A reclaim in flight was asked by this daemon: stop it.  Hooks run on. */
	mpd_children_free(d);
	mpd_events_done(d);
	mpd_exporter_close(d);
	fd = mpd_loop_del(&d->loop, &d->tick);
	if (fd >= 0)
		close(fd);
	fd = mpd_loop_del(&d->loop, &d->signals);
	if (fd >= 0)
		close(fd);
	mpd_loop_done(&d->loop);
	mpd_config_free(&d->cfg);
}
