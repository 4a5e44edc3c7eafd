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
	X(AGE,		"age_usec")

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
	X(GROWTH300,	"growth300_bytes_per_sec")

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
	X(MEMORY,		"memory_bytes")

#define __MEMPRESSURE_ENUM_PROC(e, name)	MEMPRESSURE_PROC_##e,
#define __MEMPRESSURE_ENUM_CG(e, name)		MEMPRESSURE_CG_##e,
#define __MEMPRESSURE_ENUM_STATUS(e, name)	MEMPRESSURE_STATUS_##e,

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

#endif /* _UAPI_LINUX_MEMPRESSURE_H */
