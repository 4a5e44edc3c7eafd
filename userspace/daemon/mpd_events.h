/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The module's event stream (docs/events.md), as mempressured reads it:
 * /proc/mempressure/events opened non-blocking in the loop, reopened with
 * a backoff while the module is absent or after it was unloaded, checked
 * for its ABI version, and read line by line.  Each event is handed to
 * the part it concerns: a level or limit event to the subscribers and the
 * systemd clients, pressure to the episodes, a leak to the callbacks.
 */
#ifndef MPD_EVENTS_H
#define MPD_EVENTS_H

#include <stddef.h>

#include "mp_event.h"

struct mpd;

/* The retry timer, in the loop; -errno.  mpd_events_done() closes all. */
int mpd_events_init(struct mpd *d);
void mpd_events_done(struct mpd *d);
/* Open the events file, or arm the retry timer to try again later. */
void mpd_events_open(struct mpd *d);
void mpd_events_close(struct mpd *d);

/* One line of the events file (no newline): parsed, then handled. */
void mpd_events_line(struct mpd *d, const char *line, size_t len);
/* What an event starts (docs/mempressured.md, "What it does"). */
void mpd_handle_event(struct mpd *d, const struct mp_event *ev);

/* The reason of a level event, "-" if it has none. */
const char *mpd_event_reason(const struct mp_event *ev);

#endif /* MPD_EVENTS_H */
