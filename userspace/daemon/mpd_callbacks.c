// SPDX-License-Identifier: GPL-2.0
/* mempressured's callbacks and what they gave: see mpd_callbacks.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/mempressure.h>

#include "mpd.h"

struct mpd_app *mpd_app_get(struct mpd *d, const char *name)
{
	for (size_t i = 0; i < d->nr_apps; i++)
		if (!strcmp(d->apps[i].name, name))
			return &d->apps[i];
	if (d->nr_apps == MPD_APPS_MAX)
		return &d->apps[MPD_APPS_MAX - 1];	/* the last one pools the rest */
	snprintf(d->apps[d->nr_apps].name, MPD_NAME_LEN, "%s", name);
	return &d->apps[d->nr_apps++];
}

struct mpd_action *mpd_action_new(struct mpd *d, enum mpd_action_kind kind, uint64_t at,
				  const char *cgroup, int level, int reason, uint64_t want)
{
	struct mpd_action *a = calloc(1, sizeof(*a));

	if (!a) {
		log_err("out of memory, ignoring a callback");
		return NULL;
	}
	a->kind = kind;
	a->at = at;
	a->pidfd = -1;
	snprintf(a->cgroup, sizeof(a->cgroup), "%s", cgroup);
	a->level = level;
	a->reason = reason;
	a->want_bytes = want;
	a->next = d->actions;
	d->actions = a;
	return a;
}

void mpd_action_free(struct mpd *d, struct mpd_action *a)
{
	for (struct mpd_action **pp = &d->actions; *pp; pp = &(*pp)->next)
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	if (a->pidfd >= 0)
		close(a->pidfd);
	free(a);
}

/* memory.current of @a's cgroup now, for the measure a deadline later. */
static void cgroup_before(struct mpd *d, struct mpd_action *a)
{
	uint64_t current;

	a->cg_known = mpd_cg_read_u64(&d->sys, a->cgroup, "memory.current", &current) == 0;
	a->cg_before = a->cg_known ? current : 0;
}

static void trim_send(struct mpd *d, struct mpd_action *a)
{
	struct mpd_client *c = mpd_client_by_cid(d, a->cid);
	struct mp_msg_out o;
	int r;

	if (!c) {
		mpd_action_free(d, a);
		return;
	}
	a->rss_before = mpd_proc_rss(&d->sys, a->pid);
	cgroup_before(d, a);
	mp_msg_begin(&o, MEMPRESSURED_MSG_TRIM);
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_ID, a->id);
	mp_msg_add_str(&o, MEMPRESSURED_KEY_LEVEL, mpd_level_name(a->level));
	mp_msg_add_str(&o, MEMPRESSURED_KEY_REASON, mp_trim_reason_names[a->reason]);
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_WANT, a->want_bytes);
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_DEADLINE, d->cfg.deadline_ms);
	mp_msg_add_str(&o, MEMPRESSURED_KEY_CGROUP, a->cgroup);
	mp_msg_add_u64(&o, MEMPRESSURED_KEY_PID, (uint64_t)a->pid);
	r = mpd_client_send(c, &o);
	if (r < 0 && r != -EAGAIN) {
		mpd_client_drop(c, NULL);
		mpd_action_free(d, a);
		return;
	}
	mpd_yield_request(&mpd_app_get(d, a->app)->y);
	d->counters.callbacks[MPD_CB_TRIM]++;
	a->sent = true;
	a->at = mpd_now(d) + d->cfg.deadline_ms;
	log_action(d, "trim %llu: asked %s (pid %d) in %s for %llu bytes (reason %s)%s",
		   (unsigned long long)a->id, LOG_ESC(a->app), a->pid, LOG_ESC(a->cgroup),
		   (unsigned long long)a->want_bytes, mp_trim_reason_names[a->reason],
		   r == -EAGAIN ? ", but it is not reading" : "");
}

void mpd_trim_replied(struct mpd *d, struct mpd_client *c, uint64_t id, uint64_t freed,
		      uint64_t unmet)
{
	for (struct mpd_action *a = d->actions; a; a = a->next) {
		if (a->kind != MPD_ACT_TRIM || a->id != id || a->cid != c->cid || !a->sent)
			continue;
		if (a->replied)
			break;
		a->replied = true;
		a->rss_replied = mpd_proc_rss(&d->sys, a->pid);
		a->freed_bytes = freed;
		a->unmet_bytes = unmet;
		mpd_yield_reply(&mpd_app_get(d, a->app)->y, freed, unmet);
		log_debug("trim %llu: %s says it freed %llu bytes, cannot free %llu",
			  (unsigned long long)id, LOG_ESC(c->name), (unsigned long long)freed,
			  (unsigned long long)unmet);
		return;
	}
	log_debug("trimmed for unknown or late trim %llu from %s, ignoring",
		  (unsigned long long)id, LOG_ESC(c->name));
}

/* At a trim's deadline: what the application said against what happened. */
static void trim_measure(struct mpd *d, struct mpd_action *a)
{
	struct mpd_app *st = mpd_app_get(d, a->app);
	struct mpd_client *c = mpd_client_by_cid(d, a->cid);
	uint64_t rss = mpd_proc_rss(&d->sys, a->pid), cur = 0;
	char at_reply[48] = "", unmet[64] = "";
	bool cg_known = a->cg_known &&
			mpd_cg_read_u64(&d->sys, a->cgroup, "memory.current", &cur) == 0;

	mpd_yield_deadline(&st->y, a->replied, a->rss_before, rss, cg_known, a->cg_before, cur);
	if (c) {
		c->last_measured = mpd_drop(a->rss_before, rss);
		c->measured_bytes += c->last_measured;
	}
	/*
	 * The yield counts RSS at the deadline: what stayed freed.  RSS at
	 * the reply is logged too, as what the claim can be held against:
	 * by the deadline the application may have allocated again.
	 */
	if (a->replied)
		snprintf(at_reply, sizeof(at_reply), " (%llu at the reply)",
			 (unsigned long long)a->rss_replied);
	/* What it holds live past its limits: the next steps' to free. */
	if (a->replied && a->unmet_bytes)
		snprintf(unmet, sizeof(unmet), ", cannot free %llu live",
			 (unsigned long long)a->unmet_bytes);
	log_action(d, "trim %llu: %s (pid %d) %s%llu bytes%s; measured: rss %llu -> %llu%s, %s memory.current %llu -> %llu",
		   (unsigned long long)a->id, LOG_ESC(a->app), a->pid,
		   a->replied ? "claims " : "timed out, claims ",
		   (unsigned long long)(a->replied ? a->freed_bytes : 0), unmet,
		   (unsigned long long)a->rss_before, (unsigned long long)rss, at_reply,
		   LOG_ESC(a->cgroup), (unsigned long long)a->cg_before, (unsigned long long)cur);
	mpd_action_free(d, a);
}

/*
 * A signal sent, a hook started or a systemd client woken: its effect is
 * measured a deadline later, like a trim's, under the target's section
 * ("signal:NAME", "hook:NAME") or command ("systemd:COMM"), for mempressure
 * apps.  A hook has no process of its own: its cgroup only.
 */
void mpd_target_watch(struct mpd *d, struct mpd_action *a, const char *kind)
{
	/* A section name too long for it is cut: the figures are by name. */
	snprintf(a->app, sizeof(a->app), "%s:%.*s", kind,
		 (int)(sizeof(a->app) - strlen(kind) - 2), a->hook_name);
	mpd_yield_request(&mpd_app_get(d, a->app)->y);
	a->rss_before = a->pid > 0 ? mpd_proc_rss(&d->sys, a->pid) : 0;
	cgroup_before(d, a);
	a->sent = true;
	a->at = mpd_now(d) + d->cfg.deadline_ms;
}

/* A deadline after a signal or a hook: what happened. */
static void target_measure(struct mpd *d, struct mpd_action *a)
{
	uint64_t rss = a->pid > 0 ? mpd_proc_rss(&d->sys, a->pid) : 0, cur = 0;
	bool cg_known = a->cg_known &&
			mpd_cg_read_u64(&d->sys, a->cgroup, "memory.current", &cur) == 0;

	mpd_yield_measured(&mpd_app_get(d, a->app)->y, a->rss_before, rss, cg_known,
			   a->cg_before, cur);
	if (a->pid > 0)
		log_action(d, "%s: measured: %s (pid %d) rss %llu -> %llu, %s memory.current %llu -> %llu",
			   LOG_ESC(a->app), LOG_ESC(a->comm), a->pid,
			   (unsigned long long)a->rss_before,
			   (unsigned long long)rss, LOG_ESC(a->cgroup),
			   (unsigned long long)a->cg_before,
			   (unsigned long long)cur);
	else
		log_action(d, "%s: measured: %s memory.current %llu -> %llu", LOG_ESC(a->app),
			   LOG_ESC(a->cgroup), (unsigned long long)a->cg_before,
			   (unsigned long long)cur);
	mpd_action_free(d, a);
}

static const struct mpd_hook_cfg *hook_by_name(const struct mpd *d, const char *name)
{
	for (size_t i = 0; i < d->cfg.nr_hooks; i++)
		if (!strcmp(d->cfg.hooks[i].name, name))
			return &d->cfg.hooks[i];
	return NULL;
}

/* @a is due: send it, or measure it if it was sent.  Frees @a when done. */
static void action_due(struct mpd *d, struct mpd_action *a)
{
	const struct mpd_hook_cfg *h;
	int r;

	if (a->sent && a->kind != MPD_ACT_TRIM) {
		target_measure(d, a);
		return;
	}

	switch (a->kind) {
	case MPD_ACT_TRIM:
		if (a->sent)
			trim_measure(d, a);
		else
			trim_send(d, a);
		return;
	case MPD_ACT_SIGNAL:
		/* The process chosen, or nobody: its pid may be another's by now. */
		r = mpd_signal_pidfd(a->pidfd, a->signo);
		if (r < 0)
			log_warn("signal %s: %s (pid %d): %s, ignoring", LOG_ESC(a->hook_name),
				 LOG_ESC(a->comm), a->pid, strerror(-r));
		else
			log_action(d, "signal %s: sent signal %d to %s (pid %d) in %s (level %s, reason %s)",
				   LOG_ESC(a->hook_name), a->signo, LOG_ESC(a->comm), a->pid,
				   LOG_ESC(a->cgroup),
				   mpd_level_name(a->level), mp_trim_reason_names[a->reason]);
		d->counters.callbacks[MPD_CB_SIGNAL] += r == 0;
		if (r == 0) {
			mpd_target_watch(d, a, "signal");
			return;
		}
		break;
	case MPD_ACT_HOOK:
		h = hook_by_name(d, a->hook_name);
		if (h) {
			mpd_child_hook(d, h, a->cgroup, a->level, mp_trim_reason_names[a->reason],
				       a->want_bytes);
			mpd_target_watch(d, a, "hook");
			return;
		}
		break;
	case MPD_ACT_WAKE:		/* created sent: measured above */
		break;
	}
	mpd_action_free(d, a);
}

unsigned int mpd_schedule_targets(struct mpd *d, const char *cgroup, pid_t only_pid,
				  int from_level, int level, int reason, uint64_t want, bool dry,
				  uint64_t t, unsigned int nr)
{
	for (size_t i = 0; i < d->cfg.nr_signals; i++) {
		const struct mpd_signal_cfg *s = &d->cfg.signals[i];
		struct mpd_proc_row *rows;
		size_t nrows;

		if (s->level <= from_level || s->level > level ||
		    (s->cgroup && strcmp(s->cgroup, cgroup)))
			continue;
		if (mpd_module_processes(&d->sys, cgroup, &rows, &nrows) < 0)
			continue;
		for (size_t j = 0; j < nrows; j++) {
			struct mpd_action *a;
			int fd;

			if ((s->comm && strcmp(s->comm, rows[j].comm)) ||
			    (only_pid && rows[j].pid != only_pid))
				continue;
			if (dry) {
				log_action(d, "would send signal %d to %s (pid %d) in %s (level %s, reason %s)",
					   s->signo, LOG_ESC(rows[j].comm), rows[j].pid,
					   LOG_ESC(cgroup),
					   mpd_level_name(level), mp_trim_reason_names[reason]);
				d->counters.dry_callbacks[MPD_CB_SIGNAL]++;
				nr++;
				continue;
			}
			/*
			 * Pinned now, as the row names it (command and
			 * cgroup): the signal may go a few stagger_ms later.
			 */
			fd = mpd_pin_process(&d->sys, rows[j].pid, rows[j].comm, cgroup);
			if (fd < 0) {
				log_info("signal %s: %s (pid %d) is no longer the process in %s, skipped",
					 LOG_ESC(s->name), LOG_ESC(rows[j].comm), rows[j].pid,
					 LOG_ESC(cgroup));
				continue;
			}
			a = mpd_action_new(d, MPD_ACT_SIGNAL, t + nr * d->cfg.stagger_ms, cgroup,
					   level, reason, want);
			if (!a) {
				close(fd);
				continue;
			}
			a->pidfd = fd;
			a->pid = rows[j].pid;
			a->signo = s->signo;
			snprintf(a->comm, sizeof(a->comm), "%s", rows[j].comm);
			snprintf(a->hook_name, sizeof(a->hook_name), "%s", s->name);
			nr++;
		}
		free(rows);
	}

	for (size_t i = 0; i < d->cfg.nr_hooks && !only_pid; i++) {
		const struct mpd_hook_cfg *h = &d->cfg.hooks[i];
		struct mpd_action *a;

		if (h->level <= from_level || h->level > level || strcmp(h->cgroup, cgroup))
			continue;
		if (dry) {
			log_action(d, "would run hook %s (%s) for %s (level %s, reason %s)",
				   LOG_ESC(h->name), LOG_ESC(h->command), LOG_ESC(cgroup),
				   mpd_level_name(level), mp_trim_reason_names[reason]);
			d->counters.dry_callbacks[MPD_CB_HOOK]++;
			nr++;
			continue;
		}
		a = mpd_action_new(d, MPD_ACT_HOOK, t + nr * d->cfg.stagger_ms, cgroup, level,
				   reason, want);
		if (!a)
			continue;
		snprintf(a->hook_name, sizeof(a->hook_name), "%s", h->name);
		nr++;
	}
	return nr;
}

/* The subscribers asked in one round, at most. */
#define ROUND_MAX	256
/* A subscriber's trims in flight that decide when a round asks it, at most. */
#define PENDING_MAX	16

unsigned int mpd_schedule_callbacks(struct mpd *d, const char *cgroup, pid_t only_pid,
				    int level, int reason, uint64_t want, bool dry)
{
	struct mpd_client *subs[ROUND_MAX];
	uint64_t rss[ROUND_MAX], yield[ROUND_MAX], when[ROUND_MAX], total_rss = 0;
	uint64_t t = mpd_now(d);
	size_t n = 0, order[ROUND_MAX];
	unsigned int nr = 0;

	for (struct mpd_client *c = d->clients; c && n < ROUND_MAX; c = c->next) {
		struct mpd_pending_trim p[PENDING_MAX];
		size_t np = 0;

		if (!c->hello || strcmp(c->cgroup, cgroup) || (only_pid && c->pid != only_pid))
			continue;
		/* Its trims in flight decide whether and when this round asks it. */
		for (struct mpd_action *a = d->actions; a && np < PENDING_MAX; a = a->next)
			if (a->kind == MPD_ACT_TRIM && a->cid == c->cid)
				p[np++] = (struct mpd_pending_trim){ .sent = a->sent,
					.replied = a->replied, .reason = a->reason,
					.deadline = a->at };
		if (!mpd_trim_when(p, np, reason, t, &when[n]))
			continue;
		subs[n] = c;
		rss[n] = mpd_proc_rss(&d->sys, c->pid);
		yield[n] = c->measured_bytes;
		total_rss += rss[n];
		n++;
	}
	/* Best measured yield first: each subscriber's own, not its name's. */
	mpd_order_targets(yield, n, order);
	for (size_t k = 0; k < n; k++) {
		size_t i = order[k];
		uint64_t share = mpd_want_share(want, rss[i], total_rss, n, d->sys.page_size);
		struct mpd_action *a;

		if (dry) {
			log_action(d, "would ask %s (pid %d) in %s for %llu bytes (reason %s)",
				   LOG_ESC(subs[i]->name), subs[i]->pid, LOG_ESC(cgroup),
				   (unsigned long long)share,
				   mp_trim_reason_names[reason]);
			d->counters.dry_callbacks[MPD_CB_TRIM]++;
			nr++;
			continue;
		}
		a = mpd_action_new(d, MPD_ACT_TRIM, t + nr * d->cfg.stagger_ms, cgroup, level,
				   reason, share);
		if (!a)
			continue;
		a->id = ++d->next_trim_id;
		a->cid = subs[i]->cid;
		a->pid = subs[i]->pid;
		snprintf(a->app, sizeof(a->app), "%s", subs[i]->name);
		if (when[i] > a->at) {
			a->at = when[i];
			log_info("trim %llu: %s (pid %d) has a trim of another reason unanswered: asking (reason %s) at its deadline, in %llu ms",
				 (unsigned long long)a->id, LOG_ESC(a->app), a->pid,
				 mp_trim_reason_names[reason], (unsigned long long)(when[i] - t));
		}
		nr++;
	}
	return mpd_schedule_targets(d, cgroup, only_pid, -1, level, reason, want, dry, t, nr);
}

void mpd_callbacks_tick(struct mpd *d, uint64_t now)
{
	bool again = true;

	/* action_due() frees the action, and may add others: start over. */
	while (again) {
		again = false;
		for (struct mpd_action *a = d->actions; a; a = a->next)
			if (a->at <= now) {
				action_due(d, a);
				again = true;
				break;
			}
	}
}

uint64_t mpd_callbacks_next_due(const struct mpd *d)
{
	uint64_t next = UINT64_MAX;

	for (const struct mpd_action *a = d->actions; a; a = a->next)
		if (a->at < next)
			next = a->at;
	return next;
}
