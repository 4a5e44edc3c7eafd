// SPDX-License-Identifier: GPL-2.0
/*
 * The verbs that show state: status (the module, the daemon, the cgroups
 * under most pressure, the daemon's episodes and last actions), cgroups (the
 * tree) and apps (the daemon's applications and subscribers).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/mempressure.h>

#include "cli.h"
#include "cli_source.h"
#include "names.h"

/* How many cgroups status shows besides the system. */
#define STATUS_TOP_CGROUPS	5

/* --- cgroups --- */

enum {
	CG_PATH, CG_ID, CG_LEVEL, CG_CURRENT, CG_SOFT, CG_SOFT_USE, CG_HARD, CG_HARD_USE,
	CG_LIMIT, CG_HIGH, CG_MAX, CG_EV_HIGH, CG_EV_MAX, CG_EV_OOM, CG_EV_OOM_KILL,
	CG_GROWTH10, CG_GROWTH60, CG_GROWTH300, CG_PSI_SOME, CG_PSI_FULL, CG_PROCESSES,
	CG_SWAP, CG_SOFT_OVER, CG_NR
};

#define SRC_CG(x)	CLI_SRC(MEMPRESSURE_CG_##x)

static const struct cli_col cgroup_cols[CG_NR] = {
	[CG_PATH] = { "cgroup", "cgroup", CLI_T_STR, CLI_COL_TREE, NULL, SRC_CG(PATH) },
	[CG_ID] = { "id", "id", CLI_T_U64, CLI_COL_HIDDEN, NULL, SRC_CG(ID) },
	[CG_LEVEL] = { "level", "level", CLI_T_STR, 0, NULL, SRC_CG(LEVEL) },
	[CG_CURRENT] = { "current", "current_bytes", CLI_T_BYTES, 0, NULL, SRC_CG(CURRENT) },
	[CG_SOFT] = { "soft", "soft_limit_bytes", CLI_T_BYTES, 0, NULL, SRC_CG(SOFT_LIMIT) },
	[CG_SOFT_USE] = { "soft_use", "soft_use_pct", CLI_T_BAR, 0, NULL, 0 },
	[CG_HARD] = { "hard", "hard_limit_bytes", CLI_T_BYTES, 0, NULL, SRC_CG(HARD_LIMIT) },
	[CG_HARD_USE] = { "hard_use", "hard_use_pct", CLI_T_BAR, 0, NULL, 0 },
	[CG_LIMIT] = { "limit", "limit_bytes", CLI_T_BYTES, CLI_COL_HIDDEN, NULL, SRC_CG(LIMIT) },
	[CG_HIGH] = { "high", "high_bytes", CLI_T_BYTES, CLI_COL_HIDDEN, NULL, SRC_CG(HIGH) },
	[CG_MAX] = { "max", "max_bytes", CLI_T_BYTES, CLI_COL_HIDDEN, NULL, SRC_CG(MAX) },
	[CG_EV_HIGH] = { "throttled", "events_high", CLI_T_U64, 0, NULL, SRC_CG(EV_HIGH) },
	[CG_EV_MAX] = { "hit_max", "events_max", CLI_T_U64, 0, NULL, SRC_CG(EV_MAX) },
	[CG_EV_OOM] = { "oom", "events_oom", CLI_T_U64, 0, NULL, SRC_CG(EV_OOM) },
	[CG_EV_OOM_KILL] = { "oom_kill", "events_oom_kill", CLI_T_U64, 0, NULL,
			     SRC_CG(EV_OOM_KILL) },
	[CG_GROWTH10] = { "growth", "growth10_bytes_per_sec", CLI_T_RATE, 0, NULL,
			  SRC_CG(GROWTH10) },
	[CG_GROWTH60] = { "growth60", "growth60_bytes_per_sec", CLI_T_RATE, CLI_COL_HIDDEN, NULL,
			  SRC_CG(GROWTH60) },
	[CG_GROWTH300] = { "growth300", "growth300_bytes_per_sec", CLI_T_RATE, CLI_COL_HIDDEN,
			   NULL, SRC_CG(GROWTH300) },
	[CG_PSI_SOME] = { "psi_some", "psi_some_avg10", CLI_T_PCT, CLI_COL_HIDDEN, NULL,
			  SRC_CG(PSI_SOME_AVG10) },
	[CG_PSI_FULL] = { "psi_full", "psi_full_avg10", CLI_T_PCT, CLI_COL_HIDDEN, NULL,
			  SRC_CG(PSI_FULL_AVG10) },
	[CG_PROCESSES] = { "processes", "processes", CLI_T_U64, CLI_COL_HIDDEN, NULL,
			   SRC_CG(PROCESSES) },
	[CG_SWAP] = { "swap", "swap_current_bytes", CLI_T_BYTES, CLI_COL_HIDDEN, NULL,
		      SRC_CG(SWAP_CURRENT) },
	[CG_SOFT_OVER] = { "soft_over", "soft_over", CLI_T_BOOL, CLI_COL_HIDDEN, "over",
			   SRC_CG(SOFT_OVER) },
};

static const enum cli_color level_colors[MEMPRESSURE_LEVEL_NR] = {
	[MEMPRESSURE_LEVEL_NONE] = CLI_GREEN,
	[MEMPRESSURE_LEVEL_LOW] = CLI_YELLOW,
	[MEMPRESSURE_LEVEL_MEDIUM] = CLI_MAGENTA,
	[MEMPRESSURE_LEVEL_CRITICAL] = CLI_RED,
};

static int level_of(const struct cli_cell *c)
{
	for (int i = 0; c->state == CLI_SET && i < MEMPRESSURE_LEVEL_NR; i++)
		if (!strcmp(c->str, mp_level_names[i]))
			return i;
	return -1;
}

/* Usage as hundredths of a percent of a limit, drawn as a bar. */
static void set_use(struct cli_table *t, size_t col, uint64_t cur, const struct cli_cell *limit,
		    uint64_t warn)
{
	uint64_t pct;

	if (limit->state != CLI_SET || !limit->u)
		return;
	pct = cur > UINT64_MAX / 10000 ? cur / (limit->u / 10000 + 1) : cur * 10000 / limit->u;
	cli_set_u64(t, col, pct);
	if (pct >= warn)
		cli_set_color(t, col, pct >= 10000 ? CLI_RED : CLI_YELLOW);
}

/* Depth-first order: '/' sorts before any other byte. */
static int path_cmp(const struct cli_cell *a, const struct cli_cell *b)
{
	const unsigned char *x = (const unsigned char *)(a[CG_PATH].str ? a[CG_PATH].str : "");
	const unsigned char *y = (const unsigned char *)(b[CG_PATH].str ? b[CG_PATH].str : "");

	for (; *x && *x == *y; x++, y++)
		;
	if (*x == '/' && *y)
		return -1;
	if (*y == '/' && *x)
		return 1;
	return (int)*x - (int)*y;
}

int cli_cgroup_table(struct cli_table *t, bool tree)
{
	struct mp_table mt;
	int err;

	cli_table_init(t, "cgroups", cgroup_cols, CG_NR);
	t->noun[0] = "cgroup";
	t->noun[1] = "cgroups";
	err = mp_table_read(cli_proc_dir(), MEMPRESSURE_FILE_CGROUPS, &mt);
	if (err)
		return err;
	for (size_t r = 0; r < mt.nr_rows; r++) {
		struct cli_cell *row;
		int level;

		err = cli_table_add_row(t);
		if (err)
			break;
		cli_set_from_table(t, &mt, r, mp_cgroup_columns);
		row = cli_cell_at(t, t->nr_rows - 1, 0);
		level = level_of(&row[CG_LEVEL]);
		if (level >= 0)
			cli_set_color(t, CG_LEVEL, level_colors[level]);
		if (row[CG_CURRENT].state == CLI_SET) {
			set_use(t, CG_SOFT_USE, row[CG_CURRENT].u, &row[CG_SOFT], 10000);
			set_use(t, CG_HARD_USE, row[CG_CURRENT].u, &row[CG_HARD], 9500);
		}
	}
	mp_table_free(&mt);
	t->tree = tree;
	if (tree)
		cli_table_sort(t, path_cmp);
	return err;
}

int cli_cgroups(struct cli_opts *o)
{
	struct cli_table t;
	int err = cli_cgroup_table(&t, true);

	if (err == -ENOENT && !cli_module_loaded()) {
		cli_table_free(&t);
		return cli_no_module();
	}
	if (err) {
		cli_err("reading the cgroups table: %s", strerror(-err));
		cli_table_free(&t);
		return CLI_EXIT_FAIL;
	}
	if (cli_select(&t, o->columns)) {
		cli_table_free(&t);
		return CLI_EXIT_USAGE;
	}
	cli_out_begin(&o->out);
	cli_print(&o->out, &t);
	cli_out_end(&o->out);
	cli_table_free(&t);
	return CLI_EXIT_OK;
}

/* --- the daemon's replies --- */

enum { DM_STATE, DM_SOCKET, DM_MODULE, DM_EVENTS, DM_EVENTS_LOST, DM_SUBSCRIBERS, DM_APPS,
       DM_EPISODES, DM_SYSTEMD, DM_NR };

/* A column from a key of the daemon's status reply. */
#define SRC_KEY(x)	CLI_SRC(MEMPRESSURED_KEY_##x)

static const struct cli_col daemon_cols[DM_NR] = {
	[DM_STATE] = { "state", "state", CLI_T_STR },
	[DM_SOCKET] = { "socket", "socket", CLI_T_STR },
	[DM_MODULE] = { "module_events", "module", CLI_T_STR, 0, NULL, SRC_KEY(MODULE) },
	[DM_EVENTS] = { "events", "events", CLI_T_U64, 0, NULL, SRC_KEY(EVENTS) },
	[DM_EVENTS_LOST] = { "events_lost", "events_lost", CLI_T_U64, 0, NULL,
			     SRC_KEY(EVENTS_LOST) },
	[DM_SUBSCRIBERS] = { "subscribers", "subscribers", CLI_T_U64 },
	[DM_APPS] = { "applications", "applications", CLI_T_U64 },
	[DM_EPISODES] = { "episodes", "episodes", CLI_T_U64 },
	[DM_SYSTEMD] = { "systemd_clients", "systemd_clients", CLI_T_U64, 0, NULL,
			 SRC_KEY(SYSTEMD_CLIENTS) },
};

enum { EP_CGROUP, EP_STAGE, EP_CLAMPED, EP_SOFT, EP_NR };

static const struct cli_col episode_cols[EP_NR] = {
	[EP_CGROUP] = { "cgroup", "cgroup", CLI_T_STR, 0, NULL, SRC_KEY(CGROUP) },
	[EP_STAGE] = { "stage", "stage", CLI_T_STR, 0, NULL, SRC_KEY(STAGE) },
	[EP_CLAMPED] = { "clamped", "clamped", CLI_T_BOOL, 0, NULL, SRC_KEY(CLAMPED) },
	[EP_SOFT] = { "soft", "soft_limit_bytes", CLI_T_BYTES, 0, NULL, SRC_KEY(SOFT_LIMIT) },
};

enum { AP_APP, AP_REQUESTS, AP_REPLIES, AP_TIMEOUTS, AP_CLAIMED, AP_MEASURED, AP_CG_MEASURED,
       AP_NR };

static const struct cli_col app_cols[AP_NR] = {
	[AP_APP] = { "app", "app", CLI_T_STR, 0, NULL, SRC_KEY(APP) },
	[AP_REQUESTS] = { "requests", "requests", CLI_T_U64, 0, NULL, SRC_KEY(REQUESTS) },
	[AP_REPLIES] = { "replies", "replies", CLI_T_U64, 0, NULL, SRC_KEY(REPLIES) },
	[AP_TIMEOUTS] = { "timeouts", "timeouts", CLI_T_U64, 0, NULL, SRC_KEY(TIMEOUTS) },
	[AP_CLAIMED] = { "claimed", "claimed_bytes", CLI_T_BYTES, 0, NULL, SRC_KEY(CLAIMED) },
	[AP_MEASURED] = { "measured", "measured_bytes", CLI_T_BYTES, 0, NULL, SRC_KEY(MEASURED) },
	[AP_CG_MEASURED] = { "cgroup_measured", "cgroup_bytes_measured", CLI_T_BYTES, 0, NULL,
			     SRC_KEY(CGROUP_MEASURED) },
};

enum { SB_NAME, SB_PID, SB_CGROUP, SB_DROPPED, SB_NR };

static const struct cli_col subscriber_cols[SB_NR] = {
	[SB_NAME] = { "subscriber", "subscriber", CLI_T_STR, 0, NULL, SRC_KEY(SUBSCRIBER) },
	[SB_PID] = { "pid", "pid", CLI_T_U64, 0, NULL, SRC_KEY(PID) },
	[SB_CGROUP] = { "cgroup", "cgroup", CLI_T_STR, 0, NULL, SRC_KEY(CGROUP) },
	[SB_DROPPED] = { "dropped", "dropped", CLI_T_U64, 0, NULL, SRC_KEY(DROPPED) },
};

enum { RC_TIME, RC_ACTION, RC_NR };

static const struct cli_col recent_cols[RC_NR] = {
	[RC_TIME] = { "time", "time_sec", CLI_T_CLOCK, 0, NULL, SRC_KEY(TIME) },
	[RC_ACTION] = { "action", "action", CLI_T_STR, 0, NULL, SRC_KEY(ACTION) },
};

/* The daemon's tables, from one status query. */
struct daemon_view {
	struct cli_table daemon, episodes, apps, subscribers, recent;
	int err;
};

/* A row of @t from a status message: each column from its key (src). */
static void add_msg_row(struct cli_table *t, const struct mp_msg *m)
{
	if (cli_table_add_row(t))
		return;
	for (size_t i = 0; i < t->nr_cols; i++)
		if (t->cols[i].src)
			cli_set_text(t, i, mp_msg_get(m, t->cols[i].src - 1), false);
}

static const char *daemon_state(int err)
{
	switch (err) {
	case 0:
		return "running";
	case -ENOENT:
	case -ECONNREFUSED:
		return "not running";
	case -EACCES:
		return "refused: the status query is for root";
	case -ETIMEDOUT:
		return "not answering";
	default:
		return "unreadable reply";
	}
}

static void daemon_view_load(struct daemon_view *v, const char *socket)
{
	struct cli_daemon d;

	cli_table_init(&v->daemon, "daemon", daemon_cols, DM_NR);
	v->daemon.record = true;
	v->daemon.title = "mempressured";
	cli_table_init(&v->episodes, "episodes", episode_cols, EP_NR);
	v->episodes.title = "Episodes (what the daemon is doing about a cgroup)";
	v->episodes.noun[0] = "episode";
	v->episodes.noun[1] = "episodes";
	cli_table_init(&v->apps, "apps", app_cols, AP_NR);
	v->apps.noun[0] = "application";
	v->apps.noun[1] = "applications";
	cli_table_init(&v->subscribers, "subscribers", subscriber_cols, SB_NR);
	v->subscribers.title = "Subscribers";
	v->subscribers.noun[0] = "subscriber";
	v->subscribers.noun[1] = "subscribers";
	cli_table_init(&v->recent, "recent", recent_cols, RC_NR);
	v->recent.title = "Done lately (mempressured's last actions)";
	v->recent.noun[0] = "action";
	v->recent.noun[1] = "actions";

	v->err = cli_daemon_status(socket, &d);
	for (size_t i = 0; !v->err && i < d.nr; i++) {
		const struct mp_msg *m = d.msgs[i];

		/* A record is known by a key only it has (docs/protocol.md). */
		if (mp_msg_get(m, MEMPRESSURED_KEY_STAGE))
			add_msg_row(&v->episodes, m);
		else if (mp_msg_get(m, MEMPRESSURED_KEY_APP))
			add_msg_row(&v->apps, m);
		else if (mp_msg_get(m, MEMPRESSURED_KEY_SUBSCRIBER))
			add_msg_row(&v->subscribers, m);
		else if (mp_msg_get(m, MEMPRESSURED_KEY_ACTION))
			add_msg_row(&v->recent, m);
		else if (mp_msg_get(m, MEMPRESSURED_KEY_MODULE) && !v->daemon.nr_rows)
			add_msg_row(&v->daemon, m);
	}
	if (!v->daemon.nr_rows)
		cli_table_add_row(&v->daemon);
	cli_set_str(&v->daemon, DM_STATE, daemon_state(v->err));
	cli_set_color(&v->daemon, DM_STATE, v->err ? CLI_YELLOW : CLI_GREEN);
	cli_set_str(&v->daemon, DM_SOCKET, cli_daemon_socket(socket));
	if (!v->err) {
		cli_set_u64(&v->daemon, DM_SUBSCRIBERS, v->subscribers.nr_rows);
		cli_set_u64(&v->daemon, DM_APPS, v->apps.nr_rows);
		cli_set_u64(&v->daemon, DM_EPISODES, v->episodes.nr_rows);
	}
	cli_daemon_free(&d);
}

static void daemon_view_free(struct daemon_view *v)
{
	cli_table_free(&v->daemon);
	cli_table_free(&v->episodes);
	cli_table_free(&v->apps);
	cli_table_free(&v->subscribers);
	cli_table_free(&v->recent);
}

int cli_apps(struct cli_opts *o)
{
	struct daemon_view v;
	int rc = CLI_EXIT_OK;

	daemon_view_load(&v, o->socket);
	if (cli_select(&v.apps, o->columns)) {
		daemon_view_free(&v);
		return CLI_EXIT_USAGE;
	}
	cli_out_begin(&o->out);
	cli_print(&o->out, &v.apps);
	cli_print(&o->out, &v.subscribers);
	cli_out_end(&o->out);
	if (v.err) {
		cli_err("mempressured at %s: %s", cli_daemon_socket(o->socket),
			daemon_state(v.err));
		rc = v.err == -ENOENT || v.err == -ECONNREFUSED ? CLI_EXIT_NO_DAEMON : CLI_EXIT_FAIL;
	}
	daemon_view_free(&v);
	return rc;
}

/* --- status --- */

enum { MOD_LOADED, MOD_VERSION, MOD_ABI, MOD_INTERVAL, MOD_PROCESSES, MOD_CGROUPS,
       MOD_PROCESSES_SKIPPED, MOD_CGROUPS_SKIPPED, MOD_SAMPLES, MOD_SAMPLE_AVG, MOD_SAMPLE_MAX,
       MOD_MEMORY, MOD_EVENTS, MOD_NR };

#define SRC_ST(x)	CLI_SRC(MEMPRESSURE_STATUS_##x)

static const struct cli_col module_cols[MOD_NR] = {
	[MOD_LOADED] = { "loaded", "loaded", CLI_T_BOOL },
	[MOD_VERSION] = { "version", "version", CLI_T_STR, 0, NULL, SRC_ST(VERSION) },
	[MOD_ABI] = { "abi_version", "abi_version", CLI_T_U64, 0, NULL, SRC_ST(ABI_VERSION) },
	[MOD_INTERVAL] = { "interval", "interval_sec", CLI_T_MSEC, 0, NULL, SRC_ST(INTERVAL_MS) },
	[MOD_PROCESSES] = { "processes", "processes", CLI_T_U64, 0, NULL, SRC_ST(PROCESSES) },
	[MOD_CGROUPS] = { "cgroups", "cgroups", CLI_T_U64, 0, NULL, SRC_ST(CGROUPS) },
	[MOD_PROCESSES_SKIPPED] = { "processes_skipped", "processes_skipped", CLI_T_U64, 0, NULL,
				    SRC_ST(PROCESSES_SKIPPED) },
	[MOD_CGROUPS_SKIPPED] = { "cgroups_skipped", "cgroups_skipped", CLI_T_U64, 0, NULL,
				  SRC_ST(CGROUPS_SKIPPED) },
	[MOD_SAMPLES] = { "samples", "samples", CLI_T_U64, 0, NULL, SRC_ST(SAMPLES) },
	[MOD_SAMPLE_AVG] = { "sample_avg", "sample_avg_sec", CLI_T_USEC, 0, NULL,
			     SRC_ST(SAMPLE_AVG) },
	[MOD_SAMPLE_MAX] = { "sample_max", "sample_max_sec", CLI_T_USEC, 0, NULL,
			     SRC_ST(SAMPLE_MAX) },
	[MOD_MEMORY] = { "memory", "memory_bytes", CLI_T_BYTES, 0, NULL, SRC_ST(MEMORY) },
	[MOD_EVENTS] = { "events", "events", CLI_T_U64, 0, NULL, SRC_ST(EVENTS) },
};

/* The module's record; -ENOENT when it is not loaded. */
static int module_table(struct cli_table *t)
{
	char *buf, val[256];
	size_t len;
	int err;

	cli_table_init(t, "module", module_cols, MOD_NR);
	t->record = true;
	t->title = "mempressure.ko";
	cli_table_add_row(t);
	err = cli_read_status(&buf, &len);
	cli_set_u64(t, MOD_LOADED, !err);
	cli_set_color(t, MOD_LOADED, err ? CLI_RED : CLI_GREEN);
	if (err)
		return err;
	for (size_t i = 0; i < MOD_NR; i++)
		if (module_cols[i].src &&
		    !mp_kv_get(buf, len, mp_status_keys[module_cols[i].src - 1], val, sizeof(val)))
			cli_set_text(t, i, val, true);
	free(buf);
	return 0;
}

/* Most pressure first: the level, then the share of the hard limit. */
static int pressure_cmp(const struct cli_cell *a, const struct cli_cell *b)
{
	int la = level_of(&a[CG_LEVEL]), lb = level_of(&b[CG_LEVEL]);

	if (a[CG_ID].u == 1 || b[CG_ID].u == 1)	/* the system row stays first */
		return a[CG_ID].u == 1 ? -1 : 1;
	if (la != lb)
		return lb - la;
	return a[CG_HARD_USE].u < b[CG_HARD_USE].u ? 1 : a[CG_HARD_USE].u > b[CG_HARD_USE].u ? -1 : 0;
}

int cli_status(struct cli_opts *o)
{
	struct cli_table module, cgroups;
	struct daemon_view v;
	int err = module_table(&module), rc = CLI_EXIT_OK;
	bool loaded = !err;

	if (err && err != -ENOENT) {
		cli_err("reading the module's status: %s", strerror(-err));
		rc = CLI_EXIT_FAIL;
	}
	err = loaded ? cli_cgroup_table(&cgroups, false) : -ENOENT;
	if (!loaded)
		cli_table_init(&cgroups, "cgroups", cgroup_cols, CG_NR);
	cgroups.title = "Cgroups under most pressure";
	cgroups.noun[0] = cgroups.noun[1] = NULL;
	cli_table_sort(&cgroups, pressure_cmp);
	cli_table_truncate(&cgroups, STATUS_TOP_CGROUPS + 1);
	if (cli_select(&cgroups, o->columns ? o->columns : "cgroup,level,current,soft_use,hard_use")) {
		cli_table_free(&module);
		cli_table_free(&cgroups);
		return CLI_EXIT_USAGE;
	}
	daemon_view_load(&v, o->socket);

	cli_out_begin(&o->out);
	cli_print(&o->out, &module);
	cli_print(&o->out, &v.daemon);
	if (loaded)
		cli_print(&o->out, &cgroups);
	cli_print(&o->out, &v.episodes);
	cli_print(&o->out, &v.recent);
	cli_out_end(&o->out);

	if (!loaded)
		rc = cli_no_module();
	else if (err && rc == CLI_EXIT_OK) {
		cli_err("reading the cgroups table: %s", strerror(-err));
		rc = CLI_EXIT_FAIL;
	}
	daemon_view_free(&v);
	cli_table_free(&module);
	cli_table_free(&cgroups);
	return rc;
}
