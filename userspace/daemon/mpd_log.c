// SPDX-License-Identifier: GPL-2.0
/* mempressured's log and the record of its last actions: see mpd_log.h. */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/mempressure.h>

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

/* A byte a log line shows as \ooo: a control byte, or one the tables escape. */
static bool escaped(unsigned char c, bool table)
{
	return c < 0x20 || c == 0x7f || (table && strchr(MEMPRESSURE_ESCAPED_CHARS, c));
}

/*
 * @in into @out (@size bytes, at least 4), the bytes escaped() says as
 * \ooo; cut with "..." when it does not fit.  The length written.
 */
static size_t escape_into(const char *in, bool table, char *out, size_t size)
{
	size_t o = 0;

	for (; *in; in++) {
		unsigned char c = (unsigned char)*in;
		size_t need = escaped(c, table) ? 4 : 1;

		if (o + need + 3 >= size) {
			o = o + 4 <= size ? o : size - 4;
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (need == 4)
			o += (size_t)snprintf(out + o, size - o, "\\%03o", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	return o;
}

const char *mpd_log_escape(const char *s, char *buf, size_t size)
{
	escape_into(s, true, buf, size);
	return buf;
}

void mpd_vlog(int prio, const char *fmt, va_list ap)
{
	static char text[MPD_LOG_LINE_MAX], line[MPD_LOG_LINE_MAX];
	size_t n;

	if (prio > log_max)
		return;
	vsnprintf(text, sizeof(text), fmt, ap);
	n = (size_t)snprintf(line, sizeof(line), "<%d>", prio);
	/* Whatever a caller let through, one line stays one line. */
	n += escape_into(text, false, line + n, sizeof(line) - n - 1);
	line[n++] = '\n';
	/* One write per line: lines of concurrent writers never mix. */
	if (write(log_fd, line, n) < 0)
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
