// SPDX-License-Identifier: GPL-2.0
/* mempressured's log and the record of its last actions: see mpd_log.h. */
#define _GNU_SOURCE
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "mpd_log.h"

static int log_max = MPD_LOG_INFO;
static int log_fd = STDERR_FILENO;

void mpd_log_set_max(int prio)
{
	log_max = prio;
}

void mpd_log_set_fd(int fd)
{
	log_fd = fd;
}

void mpd_vlog(int prio, const char *fmt, va_list ap)
{
	char buf[1024];
	int n;

	if (prio > log_max)
		return;
	n = snprintf(buf, sizeof(buf), "<%d>", prio);
	n += vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	/* One write per line: lines of concurrent writers never mix. */
	if (write(log_fd, buf, (size_t)n) < 0)
		return;
}

void mpd_log(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mpd_vlog(prio, fmt, ap);
	va_end(ap);
}

uint64_t mpd_clock_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void mpd_log_action(struct mpd_recent *rec, int prio, const char *fmt, ...)
{
	struct mpd_recent_action *r = &rec->r[rec->nr++ % MPD_RECENT_MAX];
	va_list ap;

	va_start(ap, fmt);
	mpd_vlog(prio, fmt, ap);
	va_end(ap);
	r->time_usec = mpd_clock_usec();
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
}
