// SPDX-License-Identifier: GPL-2.0
/*
 * events: /proc/mempressure/events, human-readable.
 *
 * A reader of the events file sees only the events raised after its open()
 * (docs/events.md): the module keeps no history for a new reader.  So
 * without -f, events waits for the next event, prints it and whatever is
 * queued behind it, and exits; -f follows until interrupted, like
 * journalctl -f; -t bounds either wait.  JSON is one object per line.
 *
 * An event line is "key=value" pairs, escaped as the tables are: the same
 * grammar as the daemon's messages, so mp_proto.c's codec decodes it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <linux/mempressure.h>

#include "cli.h"
#include "cli_pod.h"
#include "cli_source.h"
#include "names.h"

enum {
	E_SEQ, E_TIME, E_KIND, E_CGROUP, E_POD, E_POD_LAST = E_POD + CLI_POD_NR - 1, E_PID,
	E_COMM, E_LEVEL, E_DETAILS, E_OLD_LEVEL, E_REASON, E_USAGE, E_LIMIT, E_SOFT, E_RSS,
	E_GROWTH, E_TTL, E_COUNT, E_DELTA, E_NR
};

#define SRC_E(x)	CLI_SRC(MEMPRESSURE_EKEY_##x)

static const struct cli_col event_cols[E_NR] = {
	[E_SEQ] = { "seq", "seq", CLI_T_U64, CLI_COL_HIDDEN, NULL, SRC_E(SEQ) },
	[E_TIME] = { "time", "time_sec", CLI_T_CLOCK, 0, NULL, SRC_E(TIME) },
	[E_KIND] = { "kind", "kind", CLI_T_STR, 0, NULL, SRC_E(KIND) },
	[E_CGROUP] = { "cgroup", "cgroup", CLI_T_STR, 0, NULL, SRC_E(CGROUP) },
	CLI_POD_COLS(E_POD),
	[E_PID] = { "pid", "pid", CLI_T_U64, 0, NULL, SRC_E(PID) },
	[E_COMM] = { "comm", "comm", CLI_T_STR, 0, NULL, SRC_E(COMM) },
	[E_LEVEL] = { "level", "level", CLI_T_STR, 0, NULL, SRC_E(LEVEL) },
	[E_DETAILS] = { "details", "details", CLI_T_STR, 0, NULL, 0 },
	[E_OLD_LEVEL] = { "old_level", "old_level", CLI_T_STR, CLI_COL_HIDDEN, NULL,
			  SRC_E(OLD_LEVEL) },
	[E_REASON] = { "reason", "reason", CLI_T_STR, CLI_COL_HIDDEN, NULL, SRC_E(REASON) },
	[E_USAGE] = { "usage", "usage_bytes", CLI_T_BYTES, CLI_COL_HIDDEN, NULL, SRC_E(USAGE) },
	[E_LIMIT] = { "limit", "limit_bytes", CLI_T_BYTES, CLI_COL_HIDDEN, NULL, SRC_E(LIMIT) },
	[E_SOFT] = { "soft", "soft_limit_bytes", CLI_T_BYTES, CLI_COL_HIDDEN, NULL,
		     SRC_E(SOFT_LIMIT) },
	[E_RSS] = { "rss", "rss_bytes", CLI_T_BYTES, CLI_COL_HIDDEN, NULL, SRC_E(RSS) },
	[E_GROWTH] = { "growth", "growth_bytes_per_sec", CLI_T_RATE, CLI_COL_HIDDEN, NULL,
		       SRC_E(GROWTH) },
	[E_TTL] = { "ttl", "time_to_limit_sec", CLI_T_SEC, CLI_COL_HIDDEN, NULL,
		    SRC_E(TIME_TO_LIMIT) },
	[E_COUNT] = { "count", "count", CLI_T_U64, CLI_COL_HIDDEN, NULL, SRC_E(COUNT) },
	[E_DELTA] = { "delta", "delta", CLI_T_U64, CLI_COL_HIDDEN, NULL, SRC_E(DELTA) },
};

/* Fixed text widths: a stream cannot measure its rows in advance. */
static const int event_widths[E_NR] = {
	[E_SEQ] = 6, [E_TIME] = 12, [E_KIND] = 14, [E_CGROUP] = 16,
	[E_POD + CLI_POD_POD] = 24, [E_POD + CLI_POD_CONTAINER] = 12, [E_PID] = 6, [E_COMM] = 12,
	[E_LEVEL] = 8,
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static const char *kind_name(int kind)
{
	return mp_event_kinds[kind];
}

static int kind_of(const struct cli_cell *c)
{
	for (int i = 0; c->state == CLI_SET && i < MEMPRESSURE_EVENT_NR; i++)
		if (!strcmp(c->str, kind_name(i)))
			return i;
	return -1;
}

static const char *bytes(const struct cli_cell *c, char *buf, size_t size)
{
	if (c->state == CLI_MAX)
		return MEMPRESSURE_UNLIMITED;
	if (c->state != CLI_SET)
		return MEMPRESSURE_NA;
	cli_fmt_bytes(buf, size, c->u);
	return buf;
}

/* A sentence for the row: what happened, in human units. */
static void set_details(struct cli_table *t)
{
	const struct cli_cell *row = cli_cell_at(t, t->nr_rows - 1, 0);
	char d[256], a[32], b[32];
	int kind = kind_of(&row[E_KIND]);
	enum cli_color color = CLI_PLAIN;

	switch (kind) {
	case MEMPRESSURE_EVENT_LEVEL:
		snprintf(d, sizeof(d), "%s -> %s (%s), %s of %s",
			 row[E_OLD_LEVEL].str ? row[E_OLD_LEVEL].str : "?",
			 row[E_LEVEL].str ? row[E_LEVEL].str : "?",
			 row[E_REASON].str ? row[E_REASON].str : "?",
			 bytes(&row[E_USAGE], a, sizeof(a)), bytes(&row[E_LIMIT], b, sizeof(b)));
		color = row[E_LEVEL].str && strcmp(row[E_LEVEL].str, "none") ? CLI_YELLOW : CLI_GREEN;
		break;
	case MEMPRESSURE_EVENT_SOFT_OVER:
	case MEMPRESSURE_EVENT_SOFT_UNDER:
		snprintf(d, sizeof(d), "%s %s soft limit %s", bytes(&row[E_USAGE], a, sizeof(a)),
			 kind == MEMPRESSURE_EVENT_SOFT_OVER ? "over" : "back under",
			 bytes(&row[E_SOFT], b, sizeof(b)));
		color = kind == MEMPRESSURE_EVENT_SOFT_OVER ? CLI_YELLOW : CLI_GREEN;
		break;
	case MEMPRESSURE_EVENT_LEAK_SUSPECTED:
	case MEMPRESSURE_EVENT_LEAK_CLEARED: {
		char rate[32], ttl[48] = "no limit in sight";

		if (row[E_TTL].state == CLI_SET) {
			cli_fmt_duration(a, sizeof(a), row[E_TTL].u);
			snprintf(ttl, sizeof(ttl), "limit in %s", a);
		}
		cli_fmt_rate(rate, sizeof(rate), row[E_GROWTH].s);
		snprintf(d, sizeof(d), "RSS %s growing %s, %s", bytes(&row[E_RSS], b, sizeof(b)),
			 rate, ttl);
		color = kind == MEMPRESSURE_EVENT_LEAK_SUSPECTED ? CLI_RED : CLI_GREEN;
		break;
	}
	case MEMPRESSURE_EVENT_HIGH:
	case MEMPRESSURE_EVENT_MAX:
	case MEMPRESSURE_EVENT_OOM:
	case MEMPRESSURE_EVENT_OOM_KILL:
		snprintf(d, sizeof(d), "memory.events %s %llu (+%llu)", kind_name(kind),
			 (unsigned long long)row[E_COUNT].u, (unsigned long long)row[E_DELTA].u);
		color = kind == MEMPRESSURE_EVENT_HIGH ? CLI_YELLOW : CLI_RED;
		break;
	case MEMPRESSURE_EVENT_LIMIT: {
		char soft[32];

		/* Not pressure but a new yardstick for it: no alarm colour. */
		snprintf(d, sizeof(d), "limit %s, soft limit %s now; %s in use, level %s",
			 bytes(&row[E_LIMIT], a, sizeof(a)), bytes(&row[E_SOFT], soft, sizeof(soft)),
			 bytes(&row[E_USAGE], b, sizeof(b)),
			 row[E_LEVEL].str ? row[E_LEVEL].str : "?");
		break;
	}
	case MEMPRESSURE_EVENT_LOST:
		snprintf(d, sizeof(d), "%llu events lost: this reader fell behind",
			 (unsigned long long)row[E_COUNT].u);
		color = CLI_RED;
		break;
	default:
		d[0] = '\0';
	}
	if (d[0])
		cli_set_str(t, E_DETAILS, d);
	cli_set_color(t, E_KIND, color);
}

/* One line of the file as a row. */
static void add_event(struct cli_table *t, const char *line)
{
	static const char prefix[] = "msg=status ";
	static struct mp_msg m;
	char buf[MEMPRESSURED_MSG_MAX + 1];
	size_t len = strlen(line);

	if (cli_table_add_row(t))
		return;
	if (len + sizeof(prefix) > sizeof(buf)) {
		cli_set_str(t, E_DETAILS, line);
		return;
	}
	memcpy(buf, prefix, sizeof(prefix) - 1);
	memcpy(buf + sizeof(prefix) - 1, line, len);
	if (mp_msg_parse(buf, sizeof(prefix) - 1 + len, &m)) {
		cli_set_str(t, E_DETAILS, line);
		return;
	}
	for (size_t i = 0; i < E_NR; i++)
		if (event_cols[i].src)
			cli_set_text(t, i, mp_msg_get_name(&m, mp_event_keys[event_cols[i].src - 1]),
				     false);
	cli_set_pod(t, E_POD, cli_cell_at(t, t->nr_rows - 1, E_CGROUP)->str);
	set_details(t);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Read what is there: 1 if lines were printed, 0 if none (EAGAIN), -errno.
 * @acc holds a partial line between calls (the module returns whole lines,
 * but be safe).
 */
static int read_events(struct cli_opts *o, struct cli_table *t, int fd, char *acc,
		       size_t size, size_t *len)
{
	ssize_t n = read(fd, acc + *len, size - *len - 1);
	char *line, *nl;

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (n == 0)
		return 0;
	*len += (size_t)n;
	acc[*len] = '\0';
	for (line = acc; (nl = strchr(line, '\n')); line = nl + 1) {
		*nl = '\0';
		add_event(t, line);
	}
	*len = strlen(line);
	memmove(acc, line, *len + 1);
	if (*len == size - 1)	/* a line longer than the buffer: drop it */
		*len = 0;
	cli_print_stream(&o->out, t);
	return 1;
}

int cli_events(struct cli_opts *o)
{
	static char acc[65536];
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART: poll wakes */
	uint64_t deadline = o->timeout_ms >= 0 ? now_ms() + (uint64_t)o->timeout_ms : 0;
	struct cli_table t;
	char path[512];
	size_t len = 0;
	bool got = false;
	struct epoll_event ev = { .events = EPOLLIN };
	int fd, ep, rc = CLI_EXIT_OK;

	cli_table_init(&t, "events", event_cols, E_NR);
	if (cli_select(&t, o->columns))
		return CLI_EXIT_USAGE;
	for (size_t k = 0; k < t.nr_sel; k++)
		t.widths[k] = event_widths[t.sel[k]];
	fd = open(cli_proc_file(MEMPRESSURE_FILE_EVENTS, path, sizeof(path)),
		  O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT && !cli_module_loaded())
			return cli_no_module();
		cli_err("%s: %s", path, strerror(errno));
		return CLI_EXIT_FAIL;
	}
	/*
	 * epoll, not poll(): the module wakes its waiters with POLLFREE when
	 * it is unloaded, which epoll handles by letting go of the wait
	 * queue; a poll() waiter would still point into the module's memory.
	 */
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
		cli_err("waiting for events: %s", strerror(errno));
		close(fd);
		if (ep >= 0)
			close(ep);
		cli_table_free(&t);
		return CLI_EXIT_FAIL;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	while (!stop_signal) {
		struct epoll_event got_ev;
		int wait = -1, r;

		if (deadline) {
			uint64_t now = now_ms();

			if (now >= deadline) {
				rc = got || o->follow ? CLI_EXIT_OK : CLI_EXIT_TIMEOUT;
				break;
			}
			wait = (int)(deadline - now);
		}
		/* Without -f: once something came, take what is queued and stop. */
		if (got && !o->follow)
			wait = 0;
		r = epoll_wait(ep, &got_ev, 1, wait);
		if (r < 0 && errno != EINTR) {
			rc = CLI_EXIT_FAIL;
			cli_err("waiting for events: %s", strerror(errno));
			break;
		}
		if (r == 0 && got && !o->follow)
			break;
		if (r <= 0)
			continue;
		r = read_events(o, &t, fd, acc, sizeof(acc), &len);
		if (r == -EIO) {
			cli_err("the mempressure module was unloaded: no more events");
			rc = CLI_EXIT_NO_MODULE;
			break;
		}
		if (r < 0) {
			cli_err("reading %s: %s", path, strerror(-r));
			rc = CLI_EXIT_FAIL;
			break;
		}
		got |= r > 0;
	}
	if (rc == CLI_EXIT_TIMEOUT)
		cli_err("no event within %d.%03d s", o->timeout_ms / 1000, o->timeout_ms % 1000);
	close(ep);
	close(fd);
	cli_table_free(&t);
	return rc;
}
