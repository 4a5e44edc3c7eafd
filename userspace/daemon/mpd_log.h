/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mempressured's log (docs/mempressured.md, "Logging"): one line per
 * message on stderr, with its syslog priority as "<N>" in front, which
 * journald and the selftests read.  The level is the process's: -v raises
 * it once, at start.
 *
 * What the daemon did (trims asked and measured, signals, hooks, steps) is
 * also kept, the last MPD_RECENT_MAX of it, for the status query's
 * "action" records: struct mpd_recent, one per daemon.
 */
#ifndef MPD_LOG_H
#define MPD_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define MPD_LOG_ERR	3
#define MPD_LOG_WARNING	4
#define MPD_LOG_INFO	6
#define MPD_LOG_DEBUG	7

/* The most verbose priority logged: MPD_LOG_INFO, or MPD_LOG_DEBUG (-v). */
void mpd_log_set_max(int prio);
/* Where the lines go: stderr, or a test's file. */
void mpd_log_set_fd(int fd);

void mpd_vlog(int prio, const char *fmt, va_list ap);
void mpd_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...)	mpd_log(MPD_LOG_ERR, __VA_ARGS__)
#define log_warn(...)	mpd_log(MPD_LOG_WARNING, __VA_ARGS__)
#define log_info(...)	mpd_log(MPD_LOG_INFO, __VA_ARGS__)
#define log_debug(...)	mpd_log(MPD_LOG_DEBUG, __VA_ARGS__)

/*
 * A line is cut at MPD_LOG_LINE_MAX bytes; a name in it at
 * MPD_LOG_FIELD_MAX, which holds a cgroup path of PATH_MAX bytes with a
 * quarter of them escaped.
 */
#define MPD_LOG_LINE_MAX	16384
#define MPD_LOG_FIELD_MAX	8192

/*
 * A name from outside the daemon (a hello name, a command name, a cgroup
 * path, a hook's or a signal's section name) made fit for a log line:
 * escaped as the tables escape (space, tab, newline and backslash as
 * \ooo), and every other control byte too, so that nothing a client or a
 * process names can start a line of its own or pass for another field.
 * Into @buf of @size bytes, cut with "..." if it does not fit; returns
 * @buf.  Every log line that shows such a name shows it through this, as
 * LOG_ESC(name); the log itself turns any control byte left in a line
 * into its escape too, so that one missed name still cannot forge a line.
 */
const char *mpd_log_escape(const char *s, char *buf, size_t size);
/* mpd_log_escape() into a buffer of the calling statement's own. */
#define LOG_ESC(s)	mpd_log_escape((s), (char[MPD_LOG_FIELD_MAX]){ 0 }, MPD_LOG_FIELD_MAX)

/*
 * The last MPD_RECENT_MAX actions, whatever the log level.  A line longer
 * than an entry is cut: escaped, an entry still fits in one message.
 */
#define MPD_RECENT_MAX	16
#define MPD_RECENT_LEN	200

struct mpd_recent_action {
	uint64_t time_usec;			/* CLOCK_MONOTONIC */
	char text[MPD_RECENT_LEN];
};

struct mpd_recent {
	struct mpd_recent_action r[MPD_RECENT_MAX];
	uint64_t nr;				/* ever recorded */
};

/* Log an action (a trim, a signal, a hook, a step) and keep it in @rec. */
void mpd_log_action(struct mpd_recent *rec, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_action(d, ...)	mpd_log_action(&(d)->recent, MPD_LOG_INFO, __VA_ARGS__)
#define log_action_warn(d, ...)	mpd_log_action(&(d)->recent, MPD_LOG_WARNING, __VA_ARGS__)

/* CLOCK_MONOTONIC, in microseconds. */
uint64_t mpd_clock_usec(void);

#endif /* MPD_LOG_H */
