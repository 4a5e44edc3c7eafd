// SPDX-License-Identifier: GPL-2.0
/*
 * Replay a trace of the leak corpus through the leak rule of this tree
 * (module/leak.c), on the host: the flags and time_to_limit_sec the module
 * built from this source would have shown at each sample, in place of the
 * traced module's.  The checkpoints are the module's own (module/window.c)
 * on the trace's sample times.  A rule is judged on recorded memory
 * patterns in seconds, not in a VM run of minutes; what it then does in
 * the VM is make leakbench's to say.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "leak.h"
#include "replay.h"
#include "window.h"

#define PAGE_SHIFT_4K	12

struct rp_proc {
	int32_t pid;
	uint16_t wl;
	u64 start_ns;
	struct mp_leak lk;
	u8 flags;
};

static enum mp_window window_of(unsigned int seconds)
{
	return seconds >= 300 ? MP_WIN_300S : seconds >= 60 ? MP_WIN_60S :
							      MP_WIN_10S;
}

static struct rp_proc *find(struct rp_proc *p, size_t n, int32_t pid,
			    uint16_t wl)
{
	size_t i;

	for (i = n; i-- > 0;)
		if (p[i].pid == pid && p[i].wl == wl)
			return &p[i];
	return NULL;
}

/* The cgroup row of @wl at the sample at @t_ms, or NULL. */
static const struct lk_cg_row *cg_at(const struct lk_trace *tr, size_t *from,
				     uint16_t wl, uint32_t t_ms)
{
	size_t i;

	while (*from < tr->nr_cgs && tr->cgs[*from].t_ms < t_ms)
		(*from)++;
	for (i = *from; i < tr->nr_cgs && tr->cgs[i].t_ms == t_ms; i++)
		if (tr->cgs[i].wl == wl)
			return &tr->cgs[i];
	return NULL;
}

int lk_replay(struct lk_trace *tr, const u64 *tunables, int verbose_wl,
	      FILE *verbose)
{
	enum mp_window w = window_of(tr->window_s);
	struct rp_proc *procs = NULL;
	size_t nr = 0, cap = 0, r = 0, cgi = 0, s;
	struct mp_leak_limits lim;
	struct mp_clock clock;
	/* Sample times from 1 s on: a clock at 0 is "never". */
	const u64 base_ns = NSEC_PER_SEC;

	mp_clock_init(&clock);
	mp_leak_limits(&lim, tunables, mp_checkpoint_period_ns(w), PAGE_SHIFT_4K);
	for (s = 0; s < tr->nr_samples; s++) {
		uint32_t t = tr->samples[s];
		u64 now = base_ns + (u64)t * NSEC_PER_MSEC;

		mp_clock_advance(&clock, now);
		for (; r < tr->nr_rows && tr->rows[r].t_ms == t; r++) {
			struct lk_row *row = &tr->rows[r];
			u32 fp = (row->anon_kib + row->shmem_kib + row->swap_kib) >>
				 (PAGE_SHIFT_4K - 10);
			const struct lk_cg_row *cg;
			struct rp_proc *p = find(procs, nr, row->pid, row->wl);
			unsigned int head, oldest;
			u64 since, usage, limit;
			s64 rate;

			if (!p) {
				if (nr == cap) {
					size_t n = cap ? cap * 2 : 256;
					struct rp_proc *q = realloc(procs, n * sizeof(*q));

					if (!q) {
						free(procs);
						return -ENOMEM;
					}
					procs = q;
					cap = n;
				}
				p = &procs[nr++];
				memset(p, 0, sizeof(*p));
				p->pid = row->pid;
				p->wl = row->wl;
				p->start_ns = now > (u64)row->age_ms * NSEC_PER_MSEC ?
					      now - (u64)row->age_ms * NSEC_PER_MSEC : 0;
				mp_leak_init(&p->lk, &p->flags, fp);
			} else {
				mp_leak_sample(&p->lk, fp);
			}
			if (clock.pushed[w]) {
				if (row->wl == verbose_wl)
					fprintf(verbose, "%7.1f s pid %d: high %u (%+d) low %u (%+d, %+d under the old high), grow %u",
						t / 1000.0, row->pid, p->lk.high,
						(int)(p->lk.high - p->lk.high_then),
						p->lk.low, (int)(p->lk.low - p->lk.low_then),
						(int)(p->lk.high_then - p->lk.low),
						lim.grow_pages);
				mp_leak_checkpoint(&p->lk, &p->flags, fp, now - p->start_ns, &lim);
				if (row->wl == verbose_wl)
					fprintf(verbose, " -> flags %#x\n", p->flags);
			}
			row->leak = !!(p->flags & MP_LEAK_SUSPECTED);

			/* time_to_limit as the module works it out. */
			row->ttl_s = -1;
			head = clock.head[w];
			oldest = (head + MP_WINDOW_SLOTS - 1) % MP_WINDOW_SLOTS;
			since = clock.filled[w] > 1 ? clock.slot_ns[w][oldest] : now;
			if (since < p->start_ns)
				since = p->start_ns;
			rate = mp_leak_growth(&p->lk, now - since, PAGE_SHIFT_4K);
			cg = cg_at(tr, &cgi, row->wl, t);
			if (cg && rate > 0) {
				usage = cg->current_kib * 1024;
				limit = cg->limit_kib * 1024;
				row->ttl_s = usage >= limit ? 0 :
					     (int32_t)((limit - usage) / (u64)rate);
			}
		}
	}
	free(procs);
	return 0;
}
