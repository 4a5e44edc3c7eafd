// SPDX-License-Identifier: GPL-2.0
/*
 * top: the processes, fastest growing first, refreshed in place.
 *
 * Full screen on a terminal: the alternate screen, the cursor hidden, keys
 * read raw (q quits; g, r, t sort by growth, RSS, time to limit), redrawn
 * every interval; the terminal is restored on every way out (q, SIGINT,
 * SIGTERM, SIGHUP, an error).  --once, --json, --raw or a stdout that is not
 * a terminal print one frame and exit, with no escape codes.
 *
 * Each process keeps its last TOP_HISTORY RSS values for its sparkline, in
 * an array rebuilt every frame from the processes listed then: the history
 * is bounded by the processes alive, and a pid that is reused (a younger
 * process) starts afresh, from the module's growth windows.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <linux/mempressure.h>

#include "cli.h"
#include "cli_source.h"
#include "names.h"

#define TOP_HISTORY	16
#define ESC		"\033["

enum {
	P_PID, P_COMM, P_CGROUP, P_RSS, P_GROWTH10, P_GROWTH60, P_GROWTH300, P_TTL, P_LEAK,
	P_HISTORY, P_ANON, P_FILE, P_SHMEM, P_SWAP, P_PEAK, P_AGE, P_SOFT, P_NR
};

#define SRC_P(x)	CLI_SRC(MEMPRESSURE_PROC_##x)

static const struct cli_col process_cols[P_NR] = {
	[P_PID] = { "pid", "pid", CLI_T_U64, 0, NULL, SRC_P(PID) },
	[P_COMM] = { "comm", "comm", CLI_T_STR, 0, NULL, SRC_P(COMM) },
	[P_CGROUP] = { "cgroup", "cgroup", CLI_T_STR, 0, NULL, SRC_P(CGROUP) },
	[P_RSS] = { "rss", "rss_bytes", CLI_T_BYTES, 0, NULL, SRC_P(RSS) },
	[P_GROWTH10] = { "growth", "growth10_bytes_per_sec", CLI_T_RATE, 0, NULL, SRC_P(GROWTH10) },
	[P_GROWTH60] = { "growth60", "growth60_bytes_per_sec", CLI_T_RATE, 0, NULL,
			 SRC_P(GROWTH60) },
	[P_GROWTH300] = { "growth300", "growth300_bytes_per_sec", CLI_T_RATE, CLI_COL_HIDDEN,
			  NULL, SRC_P(GROWTH300) },
	[P_TTL] = { "ttl", "time_to_limit_sec", CLI_T_SEC, 0, NULL, SRC_P(TIME_TO_LIMIT) },
	[P_LEAK] = { "leak", "leak", CLI_T_BOOL, 0, "LEAK", SRC_P(LEAK) },
	[P_HISTORY] = { "history", "rss_history_bytes", CLI_T_SERIES, 0, NULL, 0 },
	[P_ANON] = { "anon", "anon_bytes", CLI_T_BYTES, CLI_COL_HIDDEN, NULL, SRC_P(ANON) },
	[P_FILE] = { "file", "file_bytes", CLI_T_BYTES, CLI_COL_HIDDEN, NULL, SRC_P(FILE) },
	[P_SHMEM] = { "shmem", "shmem_bytes", CLI_T_BYTES, CLI_COL_HIDDEN, NULL, SRC_P(SHMEM) },
	[P_SWAP] = { "swap", "swap_bytes", CLI_T_BYTES, CLI_COL_HIDDEN, NULL, SRC_P(SWAP) },
	[P_PEAK] = { "peak", "peak_rss_bytes", CLI_T_BYTES, CLI_COL_HIDDEN, NULL, SRC_P(PEAK_RSS) },
	[P_AGE] = { "age", "age_sec", CLI_T_USEC, CLI_COL_HIDDEN, NULL, SRC_P(AGE) },
	[P_SOFT] = { "soft", "soft_limit_bytes", CLI_T_BYTES, CLI_COL_HIDDEN, NULL,
		     SRC_P(SOFT_LIMIT) },
};

/* --- history --- */

struct history {
	uint64_t pid, age_usec;
	uint64_t rss[TOP_HISTORY];
	size_t nr;
};

static struct history *hist;
static size_t nr_hist;

static struct history *history_find(uint64_t pid)
{
	size_t lo = 0, hi = nr_hist;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (hist[mid].pid == pid)
			return &hist[mid];
		if (hist[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * A process seen for the first time starts from what the module's growth
 * windows say of its past, so that one frame (--once) has a curve too: its
 * RSS 300, 60 and 10 s ago, each as far as the process is that old (its
 * RSS now less the window's growth over the window).
 */
static void history_seed(struct history *h, const struct cli_cell *row)
{
	static const struct { int col; int64_t sec; } past[] = {
		{ P_GROWTH300, 300 }, { P_GROWTH60, 60 }, { P_GROWTH10, 10 },
	};

	for (size_t i = 0; i < sizeof(past) / sizeof(past[0]); i++) {
		const struct cli_cell *g = &row[past[i].col];
		int64_t was;

		if (g->state != CLI_SET || row[P_AGE].u < (uint64_t)past[i].sec * 1000000)
			continue;
		was = (int64_t)row[P_RSS].u - g->s * past[i].sec;
		h->rss[h->nr++] = was > 0 ? (uint64_t)was : 0;
	}
}

/*
 * Give the last row of @t its history, kept in @h: the old one if the same
 * process (not younger) had one, else one from the growth windows; plus
 * this sample's RSS unless the module has not sampled since (the same age).
 */
static void history_row(struct cli_table *t, struct history *h)
{
	struct cli_cell *row = cli_cell_at(t, t->nr_rows - 1, 0);
	struct history *old = history_find(row[P_PID].u);

	if (old && old->age_usec <= row[P_AGE].u)
		*h = *old;
	else
		history_seed(h, row);
	if (!h->nr || h->age_usec != row[P_AGE].u) {
		if (h->nr == TOP_HISTORY)
			memmove(h->rss, h->rss + 1, (TOP_HISTORY - 1) * sizeof(h->rss[0]));
		else
			h->nr++;
		h->rss[h->nr - 1] = row[P_RSS].u;
	}
	h->pid = row[P_PID].u;
	h->age_usec = row[P_AGE].u;
	cli_set_series(t, P_HISTORY, h->rss, h->nr);
}

/* --- sorting --- */

enum top_sort { SORT_GROWTH, SORT_RSS, SORT_TTL };

static const char *const sort_names[] = { "growth", "RSS", "time to limit" };

static int by_pid(const struct cli_cell *a, const struct cli_cell *b)
{
	return a[P_PID].u < b[P_PID].u ? -1 : a[P_PID].u > b[P_PID].u;
}

static int by_growth(const struct cli_cell *a, const struct cli_cell *b)
{
	if (a[P_GROWTH10].s != b[P_GROWTH10].s)
		return a[P_GROWTH10].s > b[P_GROWTH10].s ? -1 : 1;
	return by_pid(a, b);
}

static int by_rss(const struct cli_cell *a, const struct cli_cell *b)
{
	if (a[P_RSS].u != b[P_RSS].u)
		return a[P_RSS].u > b[P_RSS].u ? -1 : 1;
	return by_pid(a, b);
}

/* Soonest first; "-" (not growing) last. */
static int by_ttl(const struct cli_cell *a, const struct cli_cell *b)
{
	bool na = a[P_TTL].state != CLI_SET, nb = b[P_TTL].state != CLI_SET;

	if (na != nb)
		return na ? 1 : -1;
	if (!na && a[P_TTL].u != b[P_TTL].u)
		return a[P_TTL].u < b[P_TTL].u ? -1 : 1;
	return by_growth(a, b);
}

static int (*const sorters[])(const struct cli_cell *, const struct cli_cell *) = {
	[SORT_GROWTH] = by_growth, [SORT_RSS] = by_rss, [SORT_TTL] = by_ttl,
};

/* --- a frame --- */

/* Read the table, add to the histories, sort.  The number of leak suspects. */
static int frame_load(struct cli_table *t, enum top_sort sort, size_t *leaks)
{
	struct history *next;
	struct mp_table mt;
	int err;

	cli_table_clear_rows(t);
	err = mp_table_read(cli_proc_dir(), MEMPRESSURE_FILE_PROCESSES, &mt);
	if (err)
		return err;
	next = calloc(mt.nr_rows ? mt.nr_rows : 1, sizeof(*next));
	if (!next) {
		mp_table_free(&mt);
		return -ENOMEM;
	}
	*leaks = 0;
	for (size_t r = 0; r < mt.nr_rows && !err; r++) {
		err = cli_table_add_row(t);
		if (err)
			break;
		cli_set_from_table(t, &mt, r, mp_process_columns);
		history_row(t, &next[r]);
		if (cli_cell_at(t, t->nr_rows - 1, P_LEAK)->u) {
			(*leaks)++;
			cli_set_color(t, P_LEAK, CLI_RED);
			cli_set_color(t, P_COMM, CLI_BOLD);
		}
	}
	mp_table_free(&mt);
	/* The table is in pid order, so the new histories are too. */
	free(hist);
	hist = next;
	nr_hist = t->nr_rows;
	cli_table_sort(t, sorters[sort]);
	return err;
}

/* --- the terminal --- */

static struct termios saved_tio;
static bool tio_saved, screen_on;
static volatile sig_atomic_t stop_signal, resized;

static void on_signal(int sig)
{
	if (sig == SIGWINCH)
		resized = 1;
	else
		stop_signal = sig;
}

static void screen_restore(void)
{
	if (screen_on) {
		fputs(ESC "?7h" ESC "?25h" ESC "?1049l", stdout);
		fflush(stdout);
		screen_on = false;
	}
	if (tio_saved) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
		tio_saved = false;
	}
}

static void screen_setup(void)
{
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART: poll wakes */
	int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGWINCH };

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	if (isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &saved_tio)) {
		struct termios raw = saved_tio;

		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 0;
		raw.c_cc[VTIME] = 0;
		tio_saved = !tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
	}
	atexit(screen_restore);
	/* The alternate screen, no cursor, no line wrap (long rows are clipped). */
	fputs(ESC "?1049h" ESC "?25l" ESC "?7l", stdout);
	screen_on = true;
}

static unsigned int screen_rows(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) || ws.ws_row < 5)
		return 24;
	return ws.ws_row;
}

/* Draw over the last frame: each line cleared to its end, the rest below too. */
static void frame_draw(const struct cli_out *out, struct cli_table *t, enum top_sort sort,
		       size_t leaks, unsigned int interval_ms)
{
	struct cli_out mem = *out;
	size_t total = t->nr_rows, len = 0;
	unsigned int rows = screen_rows();
	char *buf = NULL, line[160];

	mem.f = open_memstream(&buf, &len);
	if (!mem.f)
		return;
	mem.width = cli_term_width();	/* again: the window may have been resized */
	snprintf(line, sizeof(line),
		 "mempressure top: %zu processes, %zu leak suspect%s, every %u ms, sorted by %s",
		 total, leaks, leaks == 1 ? "" : "s", interval_ms, sort_names[sort]);
	if (mem.width)
		cli_cut_to_width(&mem, line, (int)mem.width);
	fprintf(mem.f, "%s\n", line);
	snprintf(line, sizeof(line), "keys: g growth  r RSS  t time to limit  q quit");
	if (mem.width)
		cli_cut_to_width(&mem, line, (int)mem.width);
	fprintf(mem.f, "%s\n", line);
	if (t->nr_rows > rows - 4)
		cli_table_truncate(t, rows - 4);
	cli_out_begin(&mem);
	cli_print(&mem, t);
	cli_out_end(&mem);
	fclose(mem.f);

	fputs(ESC "H", stdout);
	for (char *p = buf; p < buf + len; p++) {
		if (*p == '\n')
			fputs(ESC "K", stdout);
		fputc(*p, stdout);
	}
	fputs(ESC "J", stdout);
	fflush(stdout);
	free(buf);
}

static int module_interval_ms(void)
{
	char *buf;
	size_t len;
	uint64_t v = 1000;

	if (!cli_read_status(&buf, &len)) {
		mp_kv_get_u64(buf, len, mp_status_keys[MEMPRESSURE_STATUS_INTERVAL_MS], &v);
		free(buf);
	}
	return (int)(v ? v : 1000);
}

static int top_error(int err)
{
	screen_restore();
	if (err == -ENOENT && !cli_module_loaded())
		return cli_no_module();
	if (err == -EIO) {
		cli_err("the module was unloaded");
		return CLI_EXIT_NO_MODULE;
	}
	cli_err("reading the processes table: %s", strerror(-err));
	return CLI_EXIT_FAIL;
}

int cli_top(struct cli_opts *o)
{
	bool live = !o->once && o->out.mode == CLI_TEXT && isatty(STDOUT_FILENO);
	enum top_sort sort = SORT_GROWTH;
	struct cli_table t;
	size_t leaks = 0;
	int err, rc = CLI_EXIT_OK, interval;

	if (!cli_module_loaded())
		return cli_no_module();
	cli_table_init(&t, "processes", process_cols, P_NR);
	t.noun[0] = "process";
	t.noun[1] = "processes";
	if (cli_select(&t, o->columns))
		return CLI_EXIT_USAGE;
	if (!live) {
		err = frame_load(&t, sort, &leaks);
		if (err) {
			rc = top_error(err);
		} else {
			cli_out_begin(&o->out);
			cli_print(&o->out, &t);
			cli_out_end(&o->out);
		}
		goto out;
	}
	interval = o->delay_ms ? o->delay_ms : module_interval_ms();
	screen_setup();
	while (!stop_signal) {
		struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
		char key;

		err = frame_load(&t, sort, &leaks);
		if (err) {
			rc = top_error(err);
			break;
		}
		frame_draw(&o->out, &t, sort, leaks, (unsigned int)interval);
		resized = 0;
		if (poll(&p, 1, interval) <= 0 || read(STDIN_FILENO, &key, 1) != 1)
			continue;
		if (key == 'q' || key == 'Q')
			break;
		sort = key == 'g' ? SORT_GROWTH : key == 'r' ? SORT_RSS : key == 't' ? SORT_TTL : sort;
	}
	screen_restore();
out:
	cli_table_free(&t);
	free(hist);
	hist = NULL;
	nr_hist = 0;
	return rc;
}
