/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mempressured's metrics of itself (docs/metrics.md): a snapshot of the
 * daemon's state and counters, rendered by mpd_metrics.c, written to
 * metrics_file and served by the HTTP responder of mpd_metrics_io.c.
 *
 * The file is rewritten when what it shows has changed (a fingerprint of
 * the counters and the daemon's state, taken once per loop round), at
 * most every metrics_interval_ms, by a timer armed only then: an idle
 * daemon never wakes for it.  Its cgroup rows are read at the write, so
 * between two changes usage_bytes may be behind; GET /metrics reads the
 * table at each request.  The HTTP responder shares that timer for its
 * connections' deadlines.
 */
#ifndef MPD_EXPORTER_H
#define MPD_EXPORTER_H

#include <stdbool.h>
#include <stdint.h>

#include "mpd_loop.h"
#include "mpd_metrics_io.h"
#include "mpd_sys.h"

struct mpd;

/* The most a rendering may take: cgroup rows are left out past it. */
#define MPD_METRICS_SIZE_MAX	(16u << 20)

struct mpd_exporter {
	struct mpd_io timer;		/* timerfd: the file's write, HTTP deadlines */
	struct mpd_http http;
	uint64_t start_time;		/* Unix seconds */
	uint64_t fingerprint;		/* of what the file last showed */
	bool dirty;
	uint64_t written_at;		/* monotonic ms; 0: never */
	uint64_t armed;			/* the timer's expiry, UINT64_MAX: off */
	char listen[MPD_PATH_LEN];	/* metrics_listen at start, or "-" */
	char listen_warned[MPD_PATH_LEN];
	int write_err;			/* of the last write, said once */
	bool opened;			/* mpd_exporter_open() ran: close writes the file */
};

/* The timer and, with metrics_listen, the HTTP responder. */
void mpd_exporter_open(struct mpd *d);
/* Once per loop round: has anything the file shows changed?  Arm the timer. */
void mpd_exporter_check(struct mpd *d);
/* The file says the daemon is gone; everything closed. */
void mpd_exporter_close(struct mpd *d);

#endif /* MPD_EXPORTER_H */
