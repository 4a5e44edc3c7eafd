// SPDX-License-Identifier: GPL-2.0
/*
 * The leak corpus's trace: kept, printed, parsed and scored (trace.h).
 * Plain C with no I/O but the FILE it is given: the guest's selftest and
 * the host's scorer build the same file.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

const char *const lk_label_names[LK_NR_LABELS] = {
	[LK_LEAK] = "leak",
	[LK_OK] = "ok",
	[LK_WARM] = "warm",
};

void lk_trace_init(struct lk_trace *tr)
{
	memset(tr, 0, sizeof(*tr));
}

void lk_trace_free(struct lk_trace *tr)
{
	free(tr->rows);
	free(tr->cgs);
	free(tr->marks);
	free(tr->samples);
	lk_trace_init(tr);
}

/* Room for one more element of @size in *@array of *@cap. */
static int grow(void **array, size_t nr, size_t *cap, size_t size)
{
	size_t n;
	void *p;

	if (nr < *cap)
		return 0;
	n = *cap ? *cap * 2 : 256;
	p = realloc(*array, n * size);
	if (!p)
		return -ENOMEM;
	*array = p;
	*cap = n;
	return 0;
}

int lk_trace_sample(struct lk_trace *tr, uint32_t t_ms)
{
	if (grow((void **)&tr->samples, tr->nr_samples, &tr->cap_samples,
		 sizeof(*tr->samples)))
		return -ENOMEM;
	tr->samples[tr->nr_samples++] = t_ms;
	return 0;
}

int lk_trace_row(struct lk_trace *tr, const struct lk_row *row)
{
	if (row->wl >= tr->nr_wl)
		return -EINVAL;
	if (grow((void **)&tr->rows, tr->nr_rows, &tr->cap_rows,
		 sizeof(*tr->rows)))
		return -ENOMEM;
	tr->rows[tr->nr_rows++] = *row;
	return 0;
}

int lk_trace_cg(struct lk_trace *tr, const struct lk_cg_row *cg)
{
	if (cg->wl >= tr->nr_wl)
		return -EINVAL;
	if (grow((void **)&tr->cgs, tr->nr_cgs, &tr->cap_cgs, sizeof(*tr->cgs)))
		return -ENOMEM;
	tr->cgs[tr->nr_cgs++] = *cg;
	return 0;
}

int lk_trace_mark(struct lk_trace *tr, const struct lk_mark *m)
{
	if (m->wl >= tr->nr_wl)
		return -EINVAL;
	if (grow((void **)&tr->marks, tr->nr_marks, &tr->cap_marks,
		 sizeof(*tr->marks)))
		return -ENOMEM;
	tr->marks[tr->nr_marks++] = *m;
	return 0;
}

/* --- text --------------------------------------------------------------- */

void lk_trace_print(const struct lk_trace *tr, FILE *out)
{
	size_t s, r = 0, c = 0, m = 0;
	unsigned int i;

	fprintf(out, "leaktrace 1\nwindow %u\ninterval_ms %u\n", tr->window_s,
		tr->interval_ms);
	for (i = 0; i < tr->nr_wl; i++)
		fprintf(out, "workload %u %s %s %" PRIu64 " %d\n", i,
			tr->wl[i].name, lk_label_names[tr->wl[i].label],
			tr->wl[i].rate, tr->wl[i].ttl);
	/* Marks go before the first sample at or after them. */
	for (s = 0; s <= tr->nr_samples; s++) {
		uint32_t t = s < tr->nr_samples ? tr->samples[s] : UINT32_MAX;

		for (; m < tr->nr_marks && tr->marks[m].t_ms <= t; m++)
			fprintf(out, "mark %" PRIu32 " %u %d %s %" PRId64 "\n",
				tr->marks[m].t_ms, tr->marks[m].wl,
				tr->marks[m].pid, tr->marks[m].what,
				tr->marks[m].value);
		if (s == tr->nr_samples)
			break;
		fprintf(out, "sample %" PRIu32 "\n", t);
		for (; r < tr->nr_rows && tr->rows[r].t_ms == t; r++) {
			const struct lk_row *p = &tr->rows[r];

			fprintf(out, "p %u %d %" PRIu32 " %" PRIu32 " %" PRIu32
				" %" PRIu32 " %" PRIu32 " %u %d\n", p->wl, p->pid,
				p->age_ms, p->anon_kib, p->file_kib,
				p->shmem_kib, p->swap_kib, p->leak, p->ttl_s);
		}
		for (; c < tr->nr_cgs && tr->cgs[c].t_ms == t; c++)
			fprintf(out, "c %u %" PRIu64 " %" PRIu64 "\n",
				tr->cgs[c].wl, tr->cgs[c].current_kib,
				tr->cgs[c].limit_kib);
	}
	fprintf(out, "end %" PRIu32 "\n", tr->end_ms);
}

static int parse_label(const char *s, enum lk_label *label)
{
	int i;

	for (i = 0; i < LK_NR_LABELS; i++)
		if (!strcmp(s, lk_label_names[i])) {
			*label = i;
			return 0;
		}
	return -EINVAL;
}

static int parse_line(struct lk_trace *tr, const char *l, uint32_t *t)
{
	char name[LK_NAME_MAX + 1], label[16], what[LK_MARK_MAX + 1];
	unsigned int u1, u2, wl;
	uint64_t v1, v2;
	int n = 0, ttl;

	if (sscanf(l, "leaktrace %u %n", &u1, &n) == 1 && !l[n])
		return u1 == 1 ? 0 : -EINVAL;
	if (sscanf(l, "window %u %n", &tr->window_s, &n) == 1 && !l[n])
		return tr->window_s ? 0 : -EINVAL;
	if (sscanf(l, "interval_ms %u %n", &tr->interval_ms, &n) == 1 && !l[n])
		return 0;
	if (sscanf(l, "workload %u %32s %15s %" SCNu64 " %d %n", &u1, name,
		   label, &v1, &ttl, &n) == 5 && !l[n]) {
		struct lk_workload_info *w;

		if (u1 != tr->nr_wl || u1 >= LK_MAX_WORKLOADS ||
		    strlen(name) >= LK_NAME_MAX)
			return -EINVAL;
		w = &tr->wl[tr->nr_wl];
		memcpy(w->name, name, strlen(name) + 1);
		if (parse_label(label, &w->label))
			return -EINVAL;
		w->rate = v1;
		w->ttl = ttl;
		tr->nr_wl++;
		return 0;
	}
	if (sscanf(l, "sample %" SCNu32 " %n", t, &n) == 1 && !l[n])
		return lk_trace_sample(tr, *t);
	if (l[0] == 'p' && l[1] == ' ') {
		struct lk_row r = { .t_ms = *t };
		unsigned int leak;

		if (sscanf(l, "p %u %d %" SCNu32 " %" SCNu32 " %" SCNu32 " %" SCNu32
			   " %" SCNu32 " %u %d %n", &wl, &r.pid, &r.age_ms,
			   &r.anon_kib, &r.file_kib, &r.shmem_kib, &r.swap_kib,
			   &leak, &r.ttl_s, &n) != 9 || l[n] || leak > 1 ||
		    wl >= tr->nr_wl)
			return -EINVAL;
		r.wl = wl;
		r.leak = leak;
		return lk_trace_row(tr, &r);
	}
	if (sscanf(l, "c %u %" SCNu64 " %" SCNu64 " %n", &wl, &v1, &v2, &n) == 3 &&
	    !l[n]) {
		struct lk_cg_row c = { .t_ms = *t, .wl = wl, .current_kib = v1,
				       .limit_kib = v2 };

		return wl < tr->nr_wl ? lk_trace_cg(tr, &c) : -EINVAL;
	}
	if (l[0] == 'm') {
		struct lk_mark m = { 0 };

		if (sscanf(l, "mark %" SCNu32 " %u %d %16s %" SCNd64 " %n", &m.t_ms,
			   &wl, &m.pid, what, &m.value, &n) != 5 || l[n] ||
		    strlen(what) >= LK_MARK_MAX || wl >= tr->nr_wl)
			return -EINVAL;
		m.wl = wl;
		memcpy(m.what, what, strlen(what) + 1);
		return lk_trace_mark(tr, &m);
	}
	if (sscanf(l, "end %u %n", &u2, &n) == 1 && !l[n]) {
		tr->end_ms = u2;
		return 0;
	}
	return -EINVAL;
}

int lk_trace_parse(struct lk_trace *tr, FILE *in, unsigned int *line)
{
	char buf[512];
	uint32_t t = 0;
	int err;

	*line = 0;
	while (fgets(buf, sizeof(buf), in)) {
		(*line)++;
		buf[strcspn(buf, "\r\n")] = '\0';
		err = parse_line(tr, buf, &t);
		if (err)
			return err;
	}
	return tr->window_s ? 0 : -EINVAL;
}

/* --- scoring ------------------------------------------------------------ */

static const struct lk_mark *find_mark(const struct lk_trace *tr,
				       unsigned int wl, const char *what)
{
	size_t i;

	for (i = 0; i < tr->nr_marks; i++)
		if (tr->marks[i].wl == wl && !strcmp(tr->marks[i].what, what))
			return &tr->marks[i];
	return NULL;
}

/* The leak's end: where it stopped, or stopped at its limit. */
static const struct lk_mark *stop_mark(const struct lk_trace *tr,
				       unsigned int wl)
{
	const struct lk_mark *m = find_mark(tr, wl, "stop");

	return m ? m : find_mark(tr, wl, "limit");
}

/* The index of the sample taken at @t_ms (rows carry their sample's time). */
static size_t sample_index(const struct lk_trace *tr, uint32_t t_ms)
{
	size_t lo = 0, hi = tr->nr_samples;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (tr->samples[mid] < t_ms)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Per sample, whether workload @wl had a process flagged: process @pid
 * only, or any (@pid 0), or any but @pid (@others).
 */
static void flag_series(const struct lk_trace *tr, unsigned int wl,
			int32_t pid, bool others, bool *flagged)
{
	size_t i;

	memset(flagged, 0, tr->nr_samples * sizeof(*flagged));
	for (i = 0; i < tr->nr_rows; i++) {
		const struct lk_row *r = &tr->rows[i];
		size_t s;

		if (r->wl != wl || !r->leak)
			continue;
		if (pid && (others ? r->pid == pid : r->pid != pid))
			continue;
		s = sample_index(tr, r->t_ms);
		if (s < tr->nr_samples)
			flagged[s] = true;
	}
}

/* The first sample at or after @from_ms that is flagged, or -1. */
static long first_flag(const struct lk_trace *tr, const bool *flagged,
		       uint32_t from_ms)
{
	size_t s;

	for (s = sample_index(tr, from_ms); s < tr->nr_samples; s++)
		if (flagged[s])
			return (long)s;
	return -1;
}

/* Times the flag was raised (a clear sample, or none, then a flagged one). */
static unsigned int raised(const struct lk_trace *tr, const bool *flagged,
			   uint32_t from_ms)
{
	unsigned int n = 0;
	size_t s;

	for (s = sample_index(tr, from_ms); s < tr->nr_samples; s++)
		n += flagged[s] && (!s || !flagged[s - 1]);
	return n;
}

/*
 * When the flag was clear for good after @from_ms: the sample after the
 * last flagged one; @from_ms itself if it was not flagged from there on;
 * -1 if it was still flagged at the end.
 */
static long clear_for_good(const struct lk_trace *tr, const bool *flagged,
			   uint32_t from_ms, uint32_t *t_ms)
{
	size_t s, from = sample_index(tr, from_ms);
	long last = -1;

	for (s = from; s < tr->nr_samples; s++)
		if (flagged[s])
			last = (long)s;
	if (last < 0) {
		*t_ms = from_ms;
		return 0;
	}
	if ((size_t)last + 1 >= tr->nr_samples)
		return -1;
	*t_ms = tr->samples[last + 1];
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile @p of @n values (sorted here); -1 for none. */
static double percentile(double *v, size_t n, unsigned int p)
{
	size_t rank;

	if (!n)
		return -1;
	qsort(v, n, sizeof(*v), cmp_double);
	rank = (n * p + 99) / 100;
	return v[rank ? rank - 1 : 0];
}

static void score_leak(const struct lk_trace *tr, unsigned int wl,
		       bool *flagged, struct lk_result *r)
{
	const struct lk_mark *onset = find_mark(tr, wl, "onset");
	const struct lk_mark *stop = stop_mark(tr, wl);
	double w = tr->window_s;
	uint32_t t_clear;
	long f;

	if (!onset)
		return;
	r->has_onset = true;
	r->pid = onset->pid;
	r->onset_s = onset->t_ms / 1000.0;
	flag_series(tr, wl, onset->pid, true, flagged);
	r->others_flagged = raised(tr, flagged, 0);
	flag_series(tr, wl, onset->pid, false, flagged);
	r->flags = raised(tr, flagged, 0);
	r->early = first_flag(tr, flagged, 0) >= 0 &&
		   tr->samples[first_flag(tr, flagged, 0)] < onset->t_ms;
	f = first_flag(tr, flagged, onset->t_ms);
	if (f < 0)
		return;
	r->flagged = true;
	r->detect_w = (tr->samples[f] - onset->t_ms) / 1000.0 / w;

	/* The prediction at the first flag, against when the limit came. */
	if (tr->wl[wl].ttl && stop && !strcmp(stop->what, "limit") &&
	    stop->t_ms > tr->samples[f]) {
		size_t i;

		for (i = 0; i < tr->nr_rows; i++) {
			const struct lk_row *row = &tr->rows[i];

			if (row->wl == wl && row->pid == onset->pid &&
			    row->t_ms == tr->samples[f] && row->ttl_s >= 0) {
				r->has_ttl = true;
				r->ttl_pred_s = row->ttl_s;
				r->ttl_actual_s = (stop->t_ms - tr->samples[f]) / 1000.0;
				r->ttl_error_pct = fabs(r->ttl_pred_s - r->ttl_actual_s) /
						   r->ttl_actual_s * 100;
			}
		}
	}
	if (stop) {
		r->has_clear = true;
		r->cleared = !clear_for_good(tr, flagged, stop->t_ms, &t_clear);
		if (!r->cleared)
			t_clear = tr->end_ms;
		r->clear_w = ((double)t_clear - stop->t_ms) / 1000.0 / w;
	}
}

static void score_other(const struct lk_trace *tr, unsigned int wl,
			bool *flagged, struct lk_result *r)
{
	const struct lk_mark *plateau = find_mark(tr, wl, "plateau");
	uint32_t t_clear;

	flag_series(tr, wl, 0, false, flagged);
	r->flags = raised(tr, flagged, 0);
	r->flagged = r->flags > 0;
	if (tr->wl[wl].label != LK_WARM || !plateau)
		return;
	/*
	 * The slow cache may be flagged while it warms: what counts is
	 * that it clears after its plateau and is not flagged again.
	 */
	r->warm_plateau = true;
	r->has_clear = true;
	r->cleared = !clear_for_good(tr, flagged, plateau->t_ms, &t_clear);
	if (!r->cleared)
		t_clear = tr->end_ms;
	r->clear_w = ((double)t_clear - plateau->t_ms) / 1000.0 / tr->window_s;
	r->flagged = raised(tr, flagged, plateau->t_ms + 1) > 0;
}

void lk_score(const struct lk_trace *tr, struct lk_result *res,
	      struct lk_summary *sum)
{
	double detect[LK_MAX_WORKLOADS], ttl[LK_MAX_WORKLOADS];
	size_t nd = 0, nt = 0;
	bool *flagged = calloc(tr->nr_samples + 1, sizeof(*flagged));
	unsigned int wl;

	memset(sum, 0, sizeof(*sum));
	sum->clear_max_w = -1;
	sum->warm_clear_w = -1;
	for (wl = 0; wl < tr->nr_wl; wl++) {
		struct lk_result *r = &res[wl];

		memset(r, 0, sizeof(*r));
		if (!flagged)
			continue;
		if (tr->wl[wl].label == LK_LEAK) {
			score_leak(tr, wl, flagged, r);
			sum->leaks++;
			sum->leaks_flagged += r->flagged;
			sum->early += r->early;
			sum->wrong_process += r->others_flagged > 0;
			if (r->flagged)
				detect[nd++] = r->detect_w;
			if (r->has_ttl)
				ttl[nt++] = r->ttl_error_pct;
			if (r->flagged && r->has_clear) {
				sum->not_cleared += !r->cleared;
				if (r->clear_w > sum->clear_max_w)
					sum->clear_max_w = r->clear_w;
			}
		} else {
			score_other(tr, wl, flagged, r);
			sum->false_positives += r->flagged;
			if (r->warm_plateau)
				sum->warm_clear_w = r->clear_w;
		}
	}
	free(flagged);
	sum->recall = sum->leaks ? (double)sum->leaks_flagged / sum->leaks : 0;
	sum->detect_max_w = -1;
	for (size_t i = 0; i < nd; i++)
		if (detect[i] > sum->detect_max_w)
			sum->detect_max_w = detect[i];
	sum->detect_p50_w = percentile(detect, nd, 50);
	sum->ttl_error_p50_pct = percentile(ttl, nt, 50);
}
