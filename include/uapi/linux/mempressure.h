/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mempressure: the interface shared by mempressure.ko and its userspace.
 *
 * Everything a reader of /proc/mempressure needs to find and parse the files
 * is defined here, once: the paths, the column names of the tables, the keys
 * of the status file and the ABI version.  The module prints from these
 * definitions and userspace parses with them, so the two cannot drift.
 *
 * Formats are append-only.  A table starts with a header line naming its
 * columns; readers locate a column by its name, never by its position, and
 * ignore columns they do not know.  The status file is one "key value" pair
 * per line; readers ignore unknown keys.  Names are never renamed or removed,
 * and new ones are only added at the end.  MEMPRESSURE_ABI_VERSION changes
 * only if that promise ever has to be broken.
 *
 * Units are part of the names: _bytes, _usec, _bytes_per_sec.  A value that
 * does not apply is printed as "-", an unlimited limit as "max" (as cgroupfs
 * does).  Strings (command names, cgroup paths) have space, tab, newline and
 * backslash escaped as \ooo octal, as in /proc/self/mountinfo.
 *
 * See docs/procfs.md for the meaning of every field and a typical output.
 */
#ifndef _UAPI_LINUX_MEMPRESSURE_H
#define _UAPI_LINUX_MEMPRESSURE_H

#define MEMPRESSURE_ABI_VERSION		1

#define MEMPRESSURE_PROC_DIR		"mempressure"
#define MEMPRESSURE_PROC_PATH		"/proc/" MEMPRESSURE_PROC_DIR

#define MEMPRESSURE_FILE_STATUS		"status"
#define MEMPRESSURE_FILE_PROCESSES	"processes"
#define MEMPRESSURE_FILE_CGROUPS	"cgroups"
#define MEMPRESSURE_FILE_EVENTS		"events"
#define MEMPRESSURE_FILE_CONTROL	"control"

/* Printed for a value that does not apply, and for an unlimited limit. */
#define MEMPRESSURE_NA			"-"
#define MEMPRESSURE_UNLIMITED		"max"

/* Characters escaped as \ooo in strings. */
#define MEMPRESSURE_ESCAPED_CHARS	" \t\n\\"

/*
 * /proc/mempressure/processes: one row per user process (thread group),
 * sorted by pid.  X(ENUM_SUFFIX, "column name")
 */
#define MEMPRESSURE_PROCESS_COLUMNS(X)				\
	X(PID,		"pid")						\
	X(COMM,		"comm")						\
	X(CGROUP,	"cgroup")					\
	X(RSS,		"rss_bytes")					\
	X(ANON,		"anon_bytes")					\
	X(FILE,		"file_bytes")					\
	X(SHMEM,	"shmem_bytes")					\
	X(SWAP,		"swap_bytes")					\
	X(PEAK_RSS,	"peak_rss_bytes")				\
	X(GROWTH10,	"growth10_bytes_per_sec")			\
	X(GROWTH60,	"growth60_bytes_per_sec")			\
	X(GROWTH300,	"growth300_bytes_per_sec")			\
	X(AGE,		"age_usec")					\
	X(SOFT_LIMIT,	"soft_limit_bytes")				\
	X(LEAK,		"leak")						\
	X(TIME_TO_LIMIT, "time_to_limit_sec")

/*
 * /proc/mempressure/cgroups: one row per cgroup v2 memory controller,
 * sorted by id; the first row ("/", id 1) is the whole system.
 */
#define MEMPRESSURE_CGROUP_COLUMNS(X)				\
	X(PATH,		"cgroup")					\
	X(ID,		"id")						\
	X(CURRENT,	"current_bytes")				\
	X(MIN,		"min_bytes")					\
	X(LOW,		"low_bytes")					\
	X(HIGH,		"high_bytes")					\
	X(MAX,		"max_bytes")					\
	X(SWAP_CURRENT,	"swap_current_bytes")				\
	X(SWAP_MAX,	"swap_max_bytes")				\
	X(EV_LOW,	"events_low")					\
	X(EV_HIGH,	"events_high")					\
	X(EV_MAX,	"events_max")					\
	X(EV_OOM,	"events_oom")					\
	X(EV_OOM_KILL,	"events_oom_kill")				\
	X(PSI_SOME_AVG10, "psi_some_avg10")				\
	X(PSI_FULL_AVG10, "psi_full_avg10")				\
	X(PSI_SOME_TOTAL, "psi_some_total_usec")			\
	X(PSI_FULL_TOTAL, "psi_full_total_usec")			\
	X(PROCESSES,	"processes")					\
	X(GROWTH10,	"growth10_bytes_per_sec")			\
	X(GROWTH60,	"growth60_bytes_per_sec")			\
	X(GROWTH300,	"growth300_bytes_per_sec")			\
	X(LEVEL,	"level")					\
	X(LIMIT,	"limit_bytes")					\
	X(HARD_LIMIT,	"hard_limit_bytes")				\
	X(SOFT_LIMIT,	"soft_limit_bytes")				\
	X(SOFT_OVER,	"soft_over")

/* /proc/mempressure/status: "key value" lines, in this order. */
#define MEMPRESSURE_STATUS_KEYS(X)				\
	X(VERSION,		"version")				\
	X(ABI_VERSION,		"abi_version")				\
	X(INTERVAL_MS,		"interval_ms")				\
	X(MAX_PROCESSES,	"max_processes")			\
	X(MAX_CGROUPS,		"max_cgroups")				\
	X(PROCESSES,		"processes")				\
	X(CGROUPS,		"cgroups")				\
	X(PROCESSES_SKIPPED,	"processes_skipped")			\
	X(CGROUPS_SKIPPED,	"cgroups_skipped")			\
	X(SAMPLES,		"samples")				\
	X(SAMPLE_LAST,		"sample_last_usec")			\
	X(SAMPLE_AVG,		"sample_avg_usec")			\
	X(SAMPLE_MAX,		"sample_max_usec")			\
	X(MEMORY,		"memory_bytes")				\
	X(EVENTS,		"events")				\
	X(EVENTS_BUFFERED,	"events_buffered")			\
	X(FAST_PATH_RUNS,	"fast_path_runs")				\
	X(CHANGE_TRACKING,	"change_tracking")			\
	X(PROCESSES_READ,	"processes_read")			\
	X(FULL_WALKS,		"full_walks")				\
	X(FULL_WALK_AVG,	"full_walk_avg_usec")			\
	X(CHANGES_MISSED,	"changes_missed")

/*
 * Pressure levels, lowest first (docs/signals.md says when each applies).
 * X(ENUM_SUFFIX, "name")
 */
#define MEMPRESSURE_LEVELS(X)					\
	X(NONE,		"none")						\
	X(LOW,		"low")						\
	X(MEDIUM,	"medium")					\
	X(CRITICAL,	"critical")

/*
 * /proc/mempressure/events: one line per event, "key=value" pairs separated
 * by single spaces, always starting with seq, time_usec and kind, then the
 * subject (cgroup=PATH, or pid=N comm=NAME cgroup=PATH), then the kind's
 * fields (docs/events.md).  X(ENUM_SUFFIX, "kind")
 */
#define MEMPRESSURE_EVENT_KINDS(X)				\
	X(LEVEL,	"level")					\
	X(SOFT_OVER,	"soft_over")					\
	X(SOFT_UNDER,	"soft_under")					\
	X(LEAK_SUSPECTED, "leak_suspected")				\
	X(LEAK_CLEARED,	"leak_cleared")					\
	X(HIGH,		"high")						\
	X(MAX,		"max")						\
	X(OOM,		"oom")						\
	X(OOM_KILL,	"oom_kill")					\
	X(LOST,		"lost")						\
	X(LIMIT,	"limit")

/*
 * The longest event line, its newline included: the fixed keys and a
 * cgroup path of PATH_MAX (4096) bytes, each escaped at worst as \ooo.
 * A read() buffer of this size always takes the next line.
 */
#define MEMPRESSURE_EVENT_LINE_MAX	(4 * 4096 + 512)

/* The keys of event lines.  X(ENUM_SUFFIX, "key") */
#define MEMPRESSURE_EVENT_KEYS(X)				\
	X(SEQ,		"seq")						\
	X(TIME,		"time_usec")					\
	X(KIND,		"kind")						\
	X(PID,		"pid")						\
	X(COMM,		"comm")						\
	X(CGROUP,	"cgroup")					\
	X(LEVEL,	"level")					\
	X(OLD_LEVEL,	"old_level")					\
	X(REASON,	"reason")					\
	X(USAGE,	"usage_bytes")					\
	X(LIMIT,	"limit_bytes")					\
	X(SOFT_LIMIT,	"soft_limit_bytes")				\
	X(RSS,		"rss_bytes")					\
	X(GROWTH,	"growth_bytes_per_sec")				\
	X(TIME_TO_LIMIT, "time_to_limit_sec")				\
	X(COUNT,	"count")					\
	X(DELTA,	"delta")

/*
 * What raised a level (the reason key of a level event).  LIMIT is only in
 * mempressured's level message, when the level stayed and the soft limit
 * moved (a limit event).
 */
#define MEMPRESSURE_REASONS(X)					\
	X(USAGE,	"usage")					\
	X(PSI,		"psi")						\
	X(HIGH,		"high")						\
	X(MAX,		"max")						\
	X(OOM,		"oom")						\
	X(CALM,		"calm")						\
	X(LIMIT,	"limit")

/*
 * /proc/mempressure/control: settings written as "set NAME VALUE".
 * X(ENUM_SUFFIX, "name", min, max, default).  Percentages of a limit are
 * whole percents; PSI thresholds are hundredths of a percent, written with
 * two decimals ("10.00"), as the tables print PSI.  docs/signals.md says
 * what each threshold does; the defaults, and why:
 *
 * interval_ms 1000: ten points in the shortest growth window (10 s, as
 *	PSI's avg10), for sampling that took under 0.1 % of the benchmarks'
 *	time (docs/performance.md).  Below 100 ms a sample's cost stops
 *	being negligible; above 60 s the 10 s window means nothing.
 * low_pct 75: a quarter of the effective limit left: room for an
 *	application to trim at its own pace, long before memory.high
 *	throttles it.
 * soft_pct 85: the default soft limit, where trims are asked for and the
 *	daemon's escalation aims: between low and critical, with 15 % of
 *	the limit left for reclaim to work in.
 * critical_pct 95: 5 % under the hard limit, the last stop before the
 *	kernel's OOM killer: time for a last callback, not for a gentle trim.
 * soft_margin_pct 5: soft_under only once usage is 5 % below the soft
 *	limit, so that usage hovering at it raises one soft_over, not a pair
 *	of events every sample; small enough that a trim that worked is seen.
 * psi_low 1.00: tasks waited on memory for 1 % of the last 10 s, the
 *	first sign that reclaim costs the cgroup anything.
 * psi_medium 10.00: some task stalled a tenth of the time: the service is
 *	visibly slower.
 * psi_critical 10.00: full, every non-idle task stalled, a tenth of the
 *	time: the cgroup stopped working for a second in ten.  Full is rarer
 *	than some, so the same figure means far more.
 * calm_ms 10000: a level falls only after one shortest window (10 s)
 *	without its cause, so usage hovering at a threshold raises one
 *	event, and a level is never lowered on a single calm sample.
 * leak_rate 16384: 16 KiB/s, about 1.3 GiB a day: growth that fills a
 *	service's limit between two daily restarts; slower growth is within
 *	what caches and pools do and give back.
 * leak_window 60: the middle window; a process is judged once 7/3 of it
 *	old (140 s), where the 10 s window would follow every collection
 *	cycle and the 300 s one take 12 minutes.  Only 10, 60 and 300 are
 *	windows the module measures (pure/control_parse.c).
 * leak_min_bytes 4194304: 4 MiB of growth over the window at least: less
 *	is an allocator arena or a thread's stack, whatever its rate over a
 *	short window.
 */
#define MEMPRESSURE_TUNABLES(X)					\
	X(INTERVAL_MS,	  "interval_ms",	100, 60000, 1000)		\
	X(LOW_PCT,	  "low_pct",		1, 100, 75)			\
	X(SOFT_PCT,	  "soft_pct",		1, 100, 85)			\
	X(CRITICAL_PCT,	  "critical_pct",	1, 100, 95)			\
	X(SOFT_MARGIN_PCT, "soft_margin_pct",	0, 50, 5)			\
	X(PSI_LOW,	  "psi_low",		1, 10000, 100)			\
	X(PSI_MEDIUM,	  "psi_medium",		1, 10000, 1000)			\
	X(PSI_CRITICAL,	  "psi_critical",	1, 10000, 1000)			\
	X(CALM_MS,	  "calm_ms",		0, 3600000, 10000)		\
	X(LEAK_RATE,	  "leak_rate",		1, 1073741824, 16384)		\
	X(LEAK_WINDOW,	  "leak_window",	10, 300, 60)			\
	X(LEAK_MIN_BYTES, "leak_min_bytes",	0, 1099511627776ULL, 524288)

/* Control commands, and the bounds on what one write may hold. */
#define MEMPRESSURE_CTL_SET		"set"
#define MEMPRESSURE_CTL_SOFT		"soft"
#define MEMPRESSURE_CTL_SOFT_PID	"soft-pid"
#define MEMPRESSURE_CTL_DEFAULT		"default"
#define MEMPRESSURE_CTL_NONE		"none"
#define MEMPRESSURE_CTL_WRITE_MAX	4096	/* bytes in one write(2) */
#define MEMPRESSURE_CTL_PID_SOFT_MAX	4096	/* per-process soft limits */

#define __MEMPRESSURE_ENUM_PROC(e, name)	MEMPRESSURE_PROC_##e,
#define __MEMPRESSURE_ENUM_CG(e, name)		MEMPRESSURE_CG_##e,
#define __MEMPRESSURE_ENUM_STATUS(e, name)	MEMPRESSURE_STATUS_##e,
#define __MEMPRESSURE_ENUM_LEVEL(e, name)	MEMPRESSURE_LEVEL_##e,
#define __MEMPRESSURE_ENUM_EVENT(e, name)	MEMPRESSURE_EVENT_##e,
#define __MEMPRESSURE_ENUM_EKEY(e, name)	MEMPRESSURE_EKEY_##e,
#define __MEMPRESSURE_ENUM_REASON(e, name)	MEMPRESSURE_REASON_##e,
#define __MEMPRESSURE_ENUM_TUNABLE(e, name, min, max, def) MEMPRESSURE_TUNABLE_##e,
#define __MEMPRESSURED_ENUM_MSG(e, name)	MEMPRESSURED_MSG_##e,
#define __MEMPRESSURED_ENUM_KEY(e, name)	MEMPRESSURED_KEY_##e,
#define __MEMPRESSURED_ENUM_TRIM(e, name)	MEMPRESSURED_TRIM_##e,
#define __MEMPRESSURED_ENUM_STAGE(e, name)	MEMPRESSURED_STAGE_##e,

enum mempressure_process_column {
	MEMPRESSURE_PROCESS_COLUMNS(__MEMPRESSURE_ENUM_PROC)
	MEMPRESSURE_PROC_NR
};

enum mempressure_cgroup_column {
	MEMPRESSURE_CGROUP_COLUMNS(__MEMPRESSURE_ENUM_CG)
	MEMPRESSURE_CG_NR
};

enum mempressure_status_key {
	MEMPRESSURE_STATUS_KEYS(__MEMPRESSURE_ENUM_STATUS)
	MEMPRESSURE_STATUS_NR
};

/*
 * mempressured's socket protocol (docs/protocol.md): SOCK_SEQPACKET, one
 * message per packet, "key=value" pairs, the first always "msg=NAME".
 */
#define MEMPRESSURED_SOCKET		"/run/mempressured.sock"
#define MEMPRESSURED_PROTOCOL_VERSION	1
#define MEMPRESSURED_MSG_MAX		1024
/* A trim's deadline_ms when a reader finds none (the daemon always sends it). */
#define MEMPRESSURED_DEADLINE_MS_DEFAULT	500

/* X(ENUM_SUFFIX, "msg") */
#define MEMPRESSURED_MESSAGES(X)				\
	X(HELLO,	"hello")					\
	X(WELCOME,	"welcome")					\
	X(LEVEL,	"level")					\
	X(TRIM,		"trim")						\
	X(TRIMMED,	"trimmed")					\
	X(STATUS,	"status")					\
	X(END,		"end")						\
	X(ERROR,	"error")

/*
 * The keys of messages (docs/protocol.md says which message has which).
 * SOFT_LIMIT is in welcome and, added later, in level: clients take it as
 * optional there.  From MODULE on, the keys of the status reply's records:
 * the daemon (module, events, events_lost, systemd_clients), an episode
 * (cgroup, stage, clamped, soft_limit_bytes), an application's yield (app,
 * requests, ...), one of the last actions (action, time_usec), a
 * subscriber (subscriber, pid, cgroup, dropped).  UNMET, added later, is in
 * trimmed: what the client cannot free (its live memory); readers take it
 * as optional.  UNMET_REPLIES, added with it, ends an application's yield
 * record.  X(ENUM_SUFFIX, "key")
 */
#define MEMPRESSURED_KEYS(X)					\
	X(MSG,		"msg")						\
	X(VERSION,	"version")					\
	X(NAME,		"name")						\
	X(SCOPE,	"scope")					\
	X(PID,		"pid")						\
	X(CGROUP,	"cgroup")					\
	X(LEVEL,	"level")					\
	X(OLD_LEVEL,	"old_level")					\
	X(REASON,	"reason")					\
	X(SOFT_LIMIT,	"soft_limit_bytes")				\
	X(ID,		"id")						\
	X(WANT,		"want_bytes")					\
	X(DEADLINE,	"deadline_ms")					\
	X(FREED,	"freed_bytes")					\
	X(MODULE,	"module")					\
	X(EVENTS,	"events")					\
	X(EVENTS_LOST,	"events_lost")					\
	X(SYSTEMD_CLIENTS, "systemd_clients")				\
	X(STAGE,	"stage")					\
	X(CLAMPED,	"clamped")					\
	X(APP,		"app")						\
	X(REQUESTS,	"requests")					\
	X(REPLIES,	"replies")					\
	X(TIMEOUTS,	"timeouts")					\
	X(CLAIMED,	"claimed_bytes")				\
	X(MEASURED,	"measured_bytes")				\
	X(CGROUP_MEASURED, "cgroup_bytes_measured")			\
	X(ACTION,	"action")					\
	X(TIME,		"time_usec")					\
	X(SUBSCRIBER,	"subscriber")					\
	X(DROPPED,	"dropped")					\
	X(UNMET,	"unmet_bytes")					\
	X(UNMET_REPLIES, "unmet_replies")

/* Why a trim is asked for.  X(ENUM_SUFFIX, "reason") */
#define MEMPRESSURED_TRIM_REASONS(X)				\
	X(SOFT,		"soft")						\
	X(LEVEL,	"level")					\
	X(LEAK,		"leak")

#define MEMPRESSURED_SCOPE_ALL		"all"

/*
 * Where an episode stands (the stage key of the status reply), named after
 * the last step behind it (docs/mempressured.md): CALLBACKS, the targets
 * were asked and reclaim is next; RECLAIMED, the reclaim step is behind
 * (taken, skipped or disabled) and the clamp is next; CLAMPED, the clamp
 * step is behind and the kill is next; DONE, the cgroup is back under its
 * soft limit or every step is behind.  X(ENUM_SUFFIX, "stage")
 */
#define MEMPRESSURED_STAGES(X)					\
	X(CALLBACKS,	"callbacks")					\
	X(RECLAIMED,	"reclaimed")					\
	X(CLAMPED,	"clamped")					\
	X(DONE,		"done")

enum mempressure_level {
	MEMPRESSURE_LEVELS(__MEMPRESSURE_ENUM_LEVEL)
	MEMPRESSURE_LEVEL_NR
};

enum mempressure_event_kind {
	MEMPRESSURE_EVENT_KINDS(__MEMPRESSURE_ENUM_EVENT)
	MEMPRESSURE_EVENT_NR
};

enum mempressure_event_key {
	MEMPRESSURE_EVENT_KEYS(__MEMPRESSURE_ENUM_EKEY)
	MEMPRESSURE_EKEY_NR
};

enum mempressure_reason {
	MEMPRESSURE_REASONS(__MEMPRESSURE_ENUM_REASON)
	MEMPRESSURE_REASON_NR
};

enum mempressure_tunable {
	MEMPRESSURE_TUNABLES(__MEMPRESSURE_ENUM_TUNABLE)
	MEMPRESSURE_TUNABLE_NR
};

enum mempressured_msg {
	MEMPRESSURED_MESSAGES(__MEMPRESSURED_ENUM_MSG)
	MEMPRESSURED_MSG_NR
};

enum mempressured_key {
	MEMPRESSURED_KEYS(__MEMPRESSURED_ENUM_KEY)
	MEMPRESSURED_KEY_NR
};

enum mempressured_trim_reason {
	MEMPRESSURED_TRIM_REASONS(__MEMPRESSURED_ENUM_TRIM)
	MEMPRESSURED_TRIM_NR
};

enum mempressured_stage {
	MEMPRESSURED_STAGES(__MEMPRESSURED_ENUM_STAGE)
	MEMPRESSURED_STAGE_NR
};

#endif /* _UAPI_LINUX_MEMPRESSURE_H */
