/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A run of the leak corpus, as the runner recorded it (bench/leaks/run.c),
 * and what it scores (bench/leaks/README.md): recall, false positives, the
 * time from a leak's onset to its flag, the error of the predicted time to
 * the limit, the time from a leak's end to the flag clearing.
 *
 * The same trace is scored in the guest (the short form's selftest) and on
 * the host (make leakbench), from its text form:
 *
 *   leaktrace 1
 *   window SECONDS
 *   interval_ms MS
 *   workload INDEX NAME LABEL RATE TTL     LABEL leak, ok or warm; TTL 0/1
 *   sample T_MS
 *   p WL PID AGE_MS ANON_KIB FILE_KIB SHMEM_KIB SWAP_KIB LEAK TTL_S
 *   c WL CURRENT_KIB LIMIT_KIB
 *   mark T_MS WL PID WHAT VALUE
 *   end T_MS
 *
 * p and c lines belong to the sample line above them; TTL_S is -1 for "-".
 */
#ifndef LK_TRACE_H
#define LK_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define LK_MAX_WORKLOADS	64
#define LK_NAME_MAX		32

enum lk_label { LK_LEAK, LK_OK, LK_WARM, LK_NR_LABELS };

extern const char *const lk_label_names[LK_NR_LABELS];

struct lk_workload_info {
	char name[LK_NAME_MAX];
	enum lk_label label;
	uint64_t rate;		/* bytes/s the workload leaks or grows at */
	bool ttl;		/* it leaks until its cgroup's memory.max */
};

/* One process at one sample. */
struct lk_row {
	uint32_t t_ms;
	uint16_t wl;
	int32_t pid;
	uint32_t age_ms;
	uint32_t anon_kib, file_kib, shmem_kib, swap_kib;
	int32_t ttl_s;		/* -1: none */
	uint8_t leak;
};

/* One workload's cgroup at one sample. */
struct lk_cg_row {
	uint32_t t_ms;
	uint16_t wl;
	uint64_t current_kib, limit_kib;
};

#define LK_MARK_MAX	16

struct lk_mark {
	uint32_t t_ms;
	uint16_t wl;
	int32_t pid;
	char what[LK_MARK_MAX];
	int64_t value;
};

struct lk_trace {
	unsigned int window_s, interval_ms;
	uint32_t end_ms;
	struct lk_workload_info wl[LK_MAX_WORKLOADS];
	unsigned int nr_wl;
	struct lk_row *rows;
	size_t nr_rows, cap_rows;
	struct lk_cg_row *cgs;
	size_t nr_cgs, cap_cgs;
	struct lk_mark *marks;
	size_t nr_marks, cap_marks;
	uint32_t *samples;	/* sample times */
	size_t nr_samples, cap_samples;
};

void lk_trace_init(struct lk_trace *tr);
void lk_trace_free(struct lk_trace *tr);
int lk_trace_sample(struct lk_trace *tr, uint32_t t_ms);
int lk_trace_row(struct lk_trace *tr, const struct lk_row *row);
int lk_trace_cg(struct lk_trace *tr, const struct lk_cg_row *cg);
int lk_trace_mark(struct lk_trace *tr, const struct lk_mark *m);

/* The text form, above. */
void lk_trace_print(const struct lk_trace *tr, FILE *out);
/* -EINVAL with *@line the line number of the first bad line. */
int lk_trace_parse(struct lk_trace *tr, FILE *in, unsigned int *line);

/* What one workload did, scored. */
struct lk_result {
	bool has_onset, flagged, early, cleared, has_clear, has_ttl, warm_plateau;
	double onset_s, detect_w;	/* onset to first flag, in W */
	double clear_w;			/* stop (or plateau) to clear, in W */
	double ttl_pred_s, ttl_actual_s, ttl_error_pct;
	unsigned int flags;		/* times a process of it was flagged */
	unsigned int others_flagged;	/* of a leak: processes other than the leaking one */
	int32_t pid;			/* the leaking process (onset's) */
};

/* Over the whole corpus. */
struct lk_summary {
	unsigned int leaks, leaks_flagged, false_positives;
	unsigned int early, wrong_process, not_cleared;
	double recall;
	double detect_p50_w, detect_max_w;	/* over flagged leaks; < 0: none */
	double ttl_error_p50_pct;		/* < 0: no leak with a limit flagged */
	double clear_max_w;			/* < 0: none cleared */
	double warm_clear_w;			/* the slow cache's; < 0: none */
};

void lk_score(const struct lk_trace *tr, struct lk_result *res,
	      struct lk_summary *sum);

#endif /* LK_TRACE_H */
