// SPDX-License-Identifier: GPL-2.0
/*
 * leakscore: make leakbench's scorer, on the host.  Reads a trace of the
 * leak corpus (trace.h, printed by leakrun in the guest), scores it and
 * prints a table per workload and the figures, and writes them as JSON.
 *
 *   leakscore [-j FILE.json] [-k KERNEL] [-r [-T NAME=VALUE:...] [-v NAME]] TRACE
 *
 * -r scores the flags that this tree's leak rule gives on the trace
 * (replay.c), with the tunables' defaults or those -T sets, rather than
 * the flags the traced module showed; -v NAME prints what it judged at each
 * checkpoint of that workload.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/mempressure.h>

#include "replay.h"
#include "trace.h"

#define USAGE "usage: leakscore [-j FILE.json] [-k KERNEL] [-r [-T NAME=VALUE:...] [-v NAME]] TRACE\n"

#define X_NAME(e, name, min, max, def)	name,
#define X_DEFAULT(e, name, min, max, def)	def,
static const char *const tunable_names[] = { MEMPRESSURE_TUNABLES(X_NAME) };

/* "name=value:..." over @t. */
static int set_tunables(char *list, uint64_t *t)
{
	for (char *tok = strtok(list, ":"); tok; tok = strtok(NULL, ":")) {
		char *eq = strchr(tok, '=');
		int i;

		if (!eq)
			return -EINVAL;
		*eq = '\0';
		for (i = 0; i < MEMPRESSURE_TUNABLE_NR; i++)
			if (!strcmp(tok, tunable_names[i]))
				break;
		if (i == MEMPRESSURE_TUNABLE_NR)
			return -EINVAL;
		t[i] = strtoull(eq + 1, NULL, 10);
	}
	return 0;
}

static void num(FILE *f, double v, bool valid)
{
	if (valid)
		fprintf(f, "%.3f", v);
	else
		fprintf(f, "null");
}

static void print_json(FILE *f, const struct lk_trace *tr, const char *kernel,
		       const struct lk_result *res, const struct lk_summary *s)
{
	unsigned int i;

	fprintf(f, "{\n  \"kernel\": \"%s\",\n  \"leak_window\": %u,\n", kernel,
		tr->window_s);
	fprintf(f, "  \"leak_recall\": ");
	num(f, s->recall, s->leaks);
	fprintf(f, ",\n  \"leak_false_positives\": %u,\n", s->false_positives);
	fprintf(f, "  \"leak_detect_p50_w\": ");
	num(f, s->detect_p50_w, s->detect_p50_w >= 0);
	fprintf(f, ",\n  \"leak_detect_max_w\": ");
	num(f, s->detect_max_w, s->detect_max_w >= 0);
	fprintf(f, ",\n  \"ttl_error_p50_pct\": ");
	num(f, s->ttl_error_p50_pct, s->ttl_error_p50_pct >= 0);
	fprintf(f, ",\n  \"leak_clear_max_w\": ");
	num(f, s->clear_max_w, s->clear_max_w >= 0);
	fprintf(f, ",\n  \"leak_not_cleared\": %u,\n", s->not_cleared);
	fprintf(f, "  \"leak_flagged_before_onset\": %u,\n", s->early);
	fprintf(f, "  \"leak_other_process_flagged\": %u,\n", s->wrong_process);
	fprintf(f, "  \"warm_clear_w\": ");
	num(f, s->warm_clear_w, s->warm_clear_w >= 0);
	fprintf(f, ",\n  \"workloads\": [\n");
	for (i = 0; i < tr->nr_wl; i++) {
		const struct lk_result *r = &res[i];

		fprintf(f, "    {\"name\": \"%s\", \"label\": \"%s\", \"rate_bytes_per_sec\": %llu, "
			"\"flagged\": %s, \"raised\": %u, \"detect_w\": ",
			tr->wl[i].name, lk_label_names[tr->wl[i].label],
			(unsigned long long)tr->wl[i].rate,
			r->flagged ? "true" : "false", r->flags);
		num(f, r->detect_w, tr->wl[i].label == LK_LEAK && r->flagged);
		fprintf(f, ", \"clear_w\": ");
		num(f, r->clear_w, r->has_clear);
		fprintf(f, ", \"cleared\": %s, \"ttl_pred_sec\": ", r->cleared ? "true" : "false");
		num(f, r->ttl_pred_s, r->has_ttl);
		fprintf(f, ", \"ttl_actual_sec\": ");
		num(f, r->ttl_actual_s, r->has_ttl);
		fprintf(f, ", \"ttl_error_pct\": ");
		num(f, r->ttl_error_pct, r->has_ttl);
		fprintf(f, ", \"before_onset\": %s, \"others_flagged\": %u}%s\n",
			r->early ? "true" : "false", r->others_flagged,
			i + 1 < tr->nr_wl ? "," : "");
	}
	fprintf(f, "  ]\n}\n");
}

/* A cell of the table: the value, or "-". */
static const char *cell(char *buf, size_t size, const char *fmt, double v,
			bool valid)
{
	if (!valid)
		return "-";
	snprintf(buf, size, fmt, v);
	return buf;
}

static void print_table(const struct lk_trace *tr, const struct lk_result *res,
			const struct lk_summary *s)
{
	char b[5][32];
	unsigned int i;

	printf("%-14s %-5s %9s %7s %6s %8s %8s %8s %8s %7s\n", "workload", "label",
	       "rate_B/s", "flagged", "raised", "detect_W", "clear_W", "ttl_pred",
	       "ttl_real", "ttl_err");
	for (i = 0; i < tr->nr_wl; i++) {
		const struct lk_result *r = &res[i];
		const char *flagged = r->flagged ? "yes" : "no";

		if (tr->wl[i].label == LK_LEAK && r->early)
			flagged = "early";
		if (tr->wl[i].label != LK_LEAK && r->flagged)
			flagged = "FP";
		printf("%-14s %-5s %9llu %7s %6u %8s %8s %8s %8s %7s\n",
		       tr->wl[i].name, lk_label_names[tr->wl[i].label],
		       (unsigned long long)tr->wl[i].rate, flagged, r->flags,
		       cell(b[0], 32, "%.2f", r->detect_w,
			    tr->wl[i].label == LK_LEAK && r->flagged),
		       cell(b[1], 32, r->cleared ? "%.2f" : ">%.2f", r->clear_w,
			    r->has_clear),
		       cell(b[2], 32, "%.0f", r->ttl_pred_s, r->has_ttl),
		       cell(b[3], 32, "%.0f", r->ttl_actual_s, r->has_ttl),
		       cell(b[4], 32, "%.0f%%", r->ttl_error_pct, r->has_ttl));
	}
	printf("\nleak_window %u s: recall %u/%u, false positives %u, detect p50 %s W max %s W, "
	       "ttl error p50 %s %%, clear max %s W (%u not cleared), flagged before onset %u, "
	       "other process flagged %u, slow cache cleared %s W after its plateau\n",
	       tr->window_s, s->leaks_flagged, s->leaks, s->false_positives,
	       cell(b[0], 32, "%.2f", s->detect_p50_w, s->detect_p50_w >= 0),
	       cell(b[1], 32, "%.2f", s->detect_max_w, s->detect_max_w >= 0),
	       cell(b[2], 32, "%.1f", s->ttl_error_p50_pct, s->ttl_error_p50_pct >= 0),
	       cell(b[3], 32, "%.2f", s->clear_max_w, s->clear_max_w >= 0),
	       s->not_cleared, s->early, s->wrong_process,
	       cell(b[4], 32, "%.2f", s->warm_clear_w, s->warm_clear_w >= 0));
}

int main(int argc, char **argv)
{
	uint64_t tunables[] = { MEMPRESSURE_TUNABLES(X_DEFAULT) };
	const char *json = NULL, *kernel = "", *verbose = NULL;
	bool replay = false;
	int verbose_wl = -1;
	struct lk_result res[LK_MAX_WORKLOADS];
	struct lk_summary sum;
	struct lk_trace tr;
	unsigned int line;
	FILE *in, *out;
	int opt, err;

	while ((opt = getopt(argc, argv, "j:k:rT:v:")) != -1) {
		switch (opt) {
		case 'j': json = optarg; break;
		case 'k': kernel = optarg; break;
		case 'r': replay = true; break;
		case 'v': verbose = optarg; break;
		case 'T':
			if (set_tunables(optarg, tunables)) {
				fprintf(stderr, "leakscore: bad -T %s\n", optarg);
				return 2;
			}
			break;
		default:
			fprintf(stderr, USAGE);
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, USAGE);
		return 2;
	}
	in = fopen(argv[optind], "r");
	if (!in) {
		perror(argv[optind]);
		return 1;
	}
	lk_trace_init(&tr);
	err = lk_trace_parse(&tr, in, &line);
	fclose(in);
	if (err) {
		fprintf(stderr, "%s:%u: not a leak trace line\n", argv[optind], line);
		return 1;
	}
	for (unsigned int i = 0; verbose && i < tr.nr_wl; i++)
		if (!strcmp(tr.wl[i].name, verbose))
			verbose_wl = (int)i;
	if (replay && lk_replay(&tr, tunables, verbose_wl, stdout)) {
		fprintf(stderr, "leakscore: out of memory\n");
		return 1;
	}
	lk_score(&tr, res, &sum);
	print_table(&tr, res, &sum);
	if (json) {
		out = fopen(json, "w");
		if (!out) {
			perror(json);
			return 1;
		}
		print_json(out, &tr, kernel, res, &sum);
		if (fclose(out)) {
			perror(json);
			return 1;
		}
	}
	lk_trace_free(&tr);
	return 0;
}
