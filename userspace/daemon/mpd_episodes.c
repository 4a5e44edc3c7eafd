// SPDX-License-Identifier: GPL-2.0
/* Episodes and their escalation: see mpd_episodes.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "mpd.h"

struct mpd_episode *mpd_episode_find(const struct mpd *d, const char *cgroup)
{
	for (struct mpd_episode *e = d->episodes; e; e = e->next)
		if (!strcmp(e->cgroup, cgroup))
			return e;
	return NULL;
}

static void episode_free(struct mpd *d, struct mpd_episode *e)
{
	for (struct mpd_episode **pp = &d->episodes; *pp; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	free(e);
}

uint64_t mpd_excess_now(const struct mpd *d, uint64_t usage, uint64_t soft)
{
	return mpd_excess_bytes(usage, soft, mpd_module_soft_margin_pct(&d->sys));
}

static uint64_t want_bytes(const struct mpd *d, uint64_t usage, uint64_t soft)
{
	return mpd_page_round(mpd_excess_now(d, usage, soft), d->sys.page_size);
}

/*
 * What @e has done so far, for the log: the stage says only which step
 * came last, and a disabled or unavailable step is skipped, not taken.
 */
static const char *steps_so_far(const struct mpd *d, const struct mpd_episode *e, char *buf,
				size_t size)
{
	snprintf(buf, size, "callbacks%s%s%s%s",
		 e->steps & (1U << MPD_ACT_RECLAIM) ? ", reclaim" : "",
		 e->steps & (1U << MPD_ACT_CLAMP) ? ", clamp" : "",
		 e->steps & (1U << MPD_ACT_KILL) ? ", kill" : "",
		 e->steps && mpd_dry_run(d, &e->pol) ? " (dry run: logged only)" : "");
	return buf;
}

void mpd_episode_pressure(struct mpd *d, const char *cgroup, int level, int reason)
{
	struct mpd_episode *e = mpd_episode_find(d, cgroup);
	char desc[MPD_CGROUP_DESC_MAX];
	struct mpd_policy pol;
	struct mpd_cg_row row;
	struct mpd_step st;
	char done[64];
	unsigned int nr;
	uint64_t want;
	int r;

	if (e && e->stage != MEMPRESSURED_STAGE_DONE) {
		/* Ask again (those not already asked); escalation keeps its pace. */
		if (mpd_module_cgroup(&d->sys, cgroup, &row) < 0)
			return;
		want = want_bytes(d, row.current, e->soft_bytes);
		nr = mpd_schedule_callbacks(d, cgroup, 0, level > row.level ? level : row.level,
					    reason, want, mpd_dry_run(d, &e->pol));
		log_info("%s: pressure again during its episode, after %s (usage %llu): %u more callbacks",
			 LOG_ESC(cgroup), steps_so_far(d, e, done, sizeof(done)),
			 (unsigned long long)row.current, nr);
		return;
	}
	r = mpd_module_cgroup(&d->sys, cgroup, &row);
	if (r < 0) {
		log_warn("%s: not in the cgroups table (%s), ignoring", LOG_ESC(cgroup),
			 strerror(-r));
		return;
	}
	mpd_config_policy(&d->cfg, cgroup, &pol);
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e) {
			log_err("out of memory, ignoring pressure in %s", LOG_ESC(cgroup));
			return;
		}
		snprintf(e->cgroup, sizeof(e->cgroup), "%s", cgroup);
		e->next = d->episodes;
		d->episodes = e;
	}
	e->pol = pol;
	e->steps = 0;
	e->level = level > row.level ? level : row.level;
	/* While clamped, the table's soft limit follows the clamp: keep the goal. */
	if (!e->clamped)
		e->soft_bytes = row.soft;
	want = want_bytes(d, row.current, e->soft_bytes);
	nr = mpd_schedule_callbacks(d, cgroup, 0, e->level, reason, want, mpd_dry_run(d, &pol));
	log_action(d, "%s: %s (usage %llu, soft limit %llu, level %s): %u callbacks for %llu bytes",
		   mpd_cgroup_desc(cgroup, desc),
		   reason == MEMPRESSURED_TRIM_SOFT ? "over its soft limit" : "pressure",
		   (unsigned long long)row.current, (unsigned long long)e->soft_bytes,
		   mpd_level_name(e->level), nr, (unsigned long long)want);
	st = mpd_episode_start(mpd_now(d), nr, d->cfg.stagger_ms, &pol, !strcmp(cgroup, "/"));
	e->stage = st.stage;
	e->next_at = st.next_at;
}

/* 1 if @e's cgroup is still over its goal, 0 if back under, -errno if gone. */
static int still_over(struct mpd *d, struct mpd_episode *e, struct mpd_cg_row *row)
{
	int r = mpd_module_cgroup(&d->sys, e->cgroup, row);
	char done[64];

	if (r < 0) {
		log_info("%s: gone from the cgroups table, ending its escalation",
			 LOG_ESC(e->cgroup));
		return r;
	}
	if (row->current <= e->soft_bytes) {
		log_action(d, "%s: back under its soft limit (usage %llu, soft limit %llu) after %s",
			   LOG_ESC(e->cgroup), (unsigned long long)row->current,
			   (unsigned long long)e->soft_bytes, steps_so_far(d, e, done, sizeof(done)));
		return 0;
	}
	return 1;
}

/*
 * What memory.min and memory.low protect in @cgroup, the larger, in bytes
 * ("max": all of it): no escalation step pushes the cgroup below that.  The
 * kernel's effective protection is never above the cgroup's own values.
 * A file that cannot be read (a kernel without it) protects nothing.
 */
static uint64_t protected_bytes(const struct mpd *d, const char *cgroup)
{
	static const char *const files[] = { "memory.min", "memory.low" };
	uint64_t most = 0, v;
	char buf[32];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (mpd_cg_read(&d->sys, cgroup, files[i], buf, sizeof(buf)) < 0)
			continue;
		if (!strcmp(buf, "max"))
			v = UINT64_MAX;
		else if (mp_parse_u64(buf, &v) < 0)
			continue;
		if (v > most)
			most = v;
	}
	return most;
}

/* The write to memory.reclaim ended: what it reclaimed, or its error. */
static void reclaim_done(struct mpd *d, const struct mpd_child *c, int status)
{
	int err = WIFEXITED(status) ? WEXITSTATUS(status) : EINTR;
	uint64_t after = 0;

	mpd_cg_read_u64(&d->sys, c->name, "memory.current", &after);
	/* Falling short is what reclaim of anonymous memory without swap does. */
	d->counters.step_errors[MPD_STEP_RECLAIM] += err && err != EAGAIN;
	mpd_log(err && err != EAGAIN ? MPD_LOG_WARNING : MPD_LOG_INFO,
		"%s: memory.reclaim of %llu bytes %s after %llu ms; memory.current %llu -> %llu",
		LOG_ESC(c->name), (unsigned long long)c->bytes,
		!err ? "done" : err == EAGAIN ? "fell short" :
		err == EINTR ? "stopped at its timeout" : strerror(err),
		(unsigned long long)(mpd_now(d) - c->started), (unsigned long long)c->before,
		(unsigned long long)after);
}

/*
 * The reclaim step, decided by mpd_step_next(): @perform false in a dry run.
 * The write to memory.reclaim returns only when the kernel has reclaimed
 * that much or given up, which can take seconds: a child does it, so that
 * the loop goes on serving callbacks; reclaim_done() logs the result.
 * It never takes what memory.min or memory.low protect: false when that
 * leaves nothing to take, the step skipped.
 */
static bool step_reclaim(struct mpd *d, struct mpd_episode *e, const struct mpd_cg_row *row,
			 bool perform)
{
	uint64_t protect = protected_bytes(d, e->cgroup);
	uint64_t excess = mpd_reclaim_bytes(want_bytes(d, row->current, e->soft_bytes),
					    row->current, protect);
	pid_t pid;

	if (!excess) {
		log_action(d, "%s: still over its soft limit (usage %llu, soft limit %llu), but memory.min or memory.low protects %llu bytes of it: reclaim skipped",
			   LOG_ESC(e->cgroup), (unsigned long long)row->current,
			   (unsigned long long)e->soft_bytes, (unsigned long long)protect);
		return false;
	}
	if (!perform) {
		log_action(d, "%s: still over its soft limit (usage %llu, soft limit %llu): would reclaim %llu bytes through memory.reclaim",
			   LOG_ESC(e->cgroup), (unsigned long long)row->current,
			   (unsigned long long)e->soft_bytes, (unsigned long long)excess);
		return true;
	}
	pid = mpd_child_write(d, MPD_CHILD_RECLAIM, e->cgroup, "memory.reclaim", excess,
			      row->current, e->pol.grace_ms, reclaim_done);
	if (pid < 0)
		return true;
	log_action(d, "%s: still over its soft limit (usage %llu, soft limit %llu): reclaiming %llu bytes through memory.reclaim (pid %d)",
		   LOG_ESC(e->cgroup), (unsigned long long)row->current,
		   (unsigned long long)e->soft_bytes,
		   (unsigned long long)excess, pid);
	return true;
}

/* The clamp's write ended: its effect, or its error (then nothing holds). */
static void clamp_done(struct mpd *d, const struct mpd_child *c, int status)
{
	int err = WIFEXITED(status) ? WEXITSTATUS(status) : EINTR;
	struct mpd_episode *e = mpd_episode_find(d, c->name);
	uint64_t after = 0;

	mpd_cg_read_u64(&d->sys, c->name, "memory.current", &after);
	if (err && err != EINTR) {
		log_err("%s: clamp of memory.high at %llu failed: %s", LOG_ESC(c->name),
			(unsigned long long)c->bytes, strerror(err));
		d->counters.step_errors[MPD_STEP_CLAMP]++;
		if (e)
			e->clamped = false;
		return;
	}
	log_action(d, "%s: memory.high at %llu %s after %llu ms; memory.current %llu -> %llu",
		   LOG_ESC(c->name), (unsigned long long)c->bytes,
		   err ? "set, its reclaim stopped at the timeout" : "set and reclaimed to",
		   (unsigned long long)(mpd_now(d) - c->started), (unsigned long long)c->before,
		   (unsigned long long)after);
}

/*
 * The clamp step.  Only ever lowers memory.high (mpd_clamp_at()): one set
 * at or below the soft limit by someone else is left as it is.  Lowering
 * memory.high makes the writer reclaim down to it before the write
 * returns, as memory.reclaim does: a child writes it.  The clamp counts
 * from the fork (e->clamped), so that its restore and the one at exit
 * come whatever the child is doing.  False when skipped for that reason:
 * no step was taken, or would have been.
 */
static bool step_clamp(struct mpd *d, struct mpd_episode *e, const struct mpd_cg_row *row,
		       bool perform)
{
	uint64_t high, at, protect;
	char old[32];
	pid_t pid;
	int r;

	r = mpd_cg_read(&d->sys, e->cgroup, "memory.high", old, sizeof(old));
	if (r < 0) {
		log_warn("%s: cannot read memory.high: %s, clamp skipped", LOG_ESC(e->cgroup),
			 strerror(-r));
		d->counters.step_errors[MPD_STEP_CLAMP] += perform;
		return true;
	}
	if (!strcmp(old, "max"))
		high = UINT64_MAX;
	else if (mp_parse_u64(old, &high) < 0) {
		log_warn("%s: memory.high reads \"%s\", clamp skipped", LOG_ESC(e->cgroup), old);
		d->counters.step_errors[MPD_STEP_CLAMP] += perform;
		return true;
	}
	if (e->clamped) {
		/* Still ours from an earlier episode: it holds another clamp_ms. */
		e->clamp_until = mpd_now(d) + e->pol.clamp_ms;
		log_action(d, "%s: still over its soft limit (usage %llu, soft limit %llu): memory.high stays clamped at %s for %llu ms",
			   LOG_ESC(e->cgroup), (unsigned long long)row->current,
			   (unsigned long long)e->soft_bytes, old,
			   (unsigned long long)e->pol.clamp_ms);
		return true;
	}
	protect = protected_bytes(d, e->cgroup);
	if (!mpd_clamp_at(high, e->soft_bytes, protect, d->sys.page_size, &at)) {
		log_action(d, "%s: still over its soft limit (usage %llu, soft limit %llu): memory.high is %s, at or below it%s already: %s",
			   LOG_ESC(e->cgroup), (unsigned long long)row->current,
			   (unsigned long long)e->soft_bytes, old,
			   protect > e->soft_bytes ? " or what memory.min or memory.low protect" : "",
			   perform ? "clamp skipped" : "would skip the clamp");
		return false;
	}
	if (!perform) {
		log_action(d, "%s: still over its soft limit (usage %llu, soft limit %llu): would clamp memory.high at %llu (now %s) for %llu ms",
			   LOG_ESC(e->cgroup), (unsigned long long)row->current,
			   (unsigned long long)e->soft_bytes, (unsigned long long)at, old,
			   (unsigned long long)e->pol.clamp_ms);
		return true;
	}
	pid = mpd_child_write(d, MPD_CHILD_CLAMP, e->cgroup, "memory.high", at, row->current,
			      e->pol.grace_ms, clamp_done);
	if (pid < 0) {
		d->counters.step_errors[MPD_STEP_CLAMP]++;
		return true;
	}
	snprintf(e->old_high, sizeof(e->old_high), "%s", old);
	e->clamped = true;
	e->clamp_until = mpd_now(d) + e->pol.clamp_ms;
	log_action(d, "%s: still over its soft limit (usage %llu, soft limit %llu): clamped memory.high at %llu (was %s) for %llu ms (pid %d)",
		   LOG_ESC(e->cgroup), (unsigned long long)row->current,
		   (unsigned long long)e->soft_bytes,
		   (unsigned long long)at, e->old_high, (unsigned long long)e->pol.clamp_ms, pid);
	return true;
}

static void clamp_restore(struct mpd *d, struct mpd_episode *e, const char *why)
{
	int r;

	if (!e->clamped)
		return;
	/* A clamp still being written must not land after the restore. */
	mpd_child_stop_clamp(d, e->cgroup);
	r = mpd_cg_write(&d->sys, e->cgroup, "memory.high", e->old_high);
	if (r < 0)
		log_err("%s: restoring memory.high to %s failed: %s", LOG_ESC(e->cgroup),
			e->old_high, strerror(-r));
	else
		log_action(d, "%s: memory.high restored to %s (%s)", LOG_ESC(e->cgroup),
			   e->old_high, why);
	e->clamped = false;
}

/*
 * The kill step's victim (mpd_pick_suspect()) in @rows; *@looked false if
 * the processes could not be read.  Caller frees *@rows.
 */
static const struct mpd_proc_row *kill_victim(struct mpd *d, const struct mpd_episode *e,
					      struct mpd_proc_row **rows, size_t *n, bool *looked)
{
	bool *leak, *helped;
	int64_t *growth;
	long v = -1;

	*rows = NULL;
	*n = 0;
	*looked = mpd_module_processes(&d->sys, e->cgroup, rows, n) == 0;
	if (!*looked)
		return NULL;
	leak = calloc(*n + 1, sizeof(*leak));
	helped = calloc(*n + 1, sizeof(*helped));
	growth = calloc(*n + 1, sizeof(*growth));
	if (leak && helped && growth) {
		for (size_t i = 0; i < *n; i++) {
			leak[i] = (*rows)[i].leak;
			growth[i] = (*rows)[i].growth;
			/*
			 * A subscriber whose RSS fell by its last trim's
			 * deadline: measured, not what it claimed.
			 */
			for (struct mpd_client *c = d->clients; c; c = c->next)
				if (c->hello && c->pid == (*rows)[i].pid && c->last_measured &&
				    mpd_client_alive(c))
					helped[i] = true;
		}
		v = mpd_pick_suspect(leak, growth, helped, *n);
	} else {
		log_err("out of memory, no leak suspect picked");
		*looked = false;
	}
	free(leak);
	free(helped);
	free(growth);
	return v < 0 ? NULL : &(*rows)[v];
}

/* @before: memory.current now, for the effect logged a grace_ms later. */
static void step_kill(struct mpd *d, struct mpd_episode *e, const struct mpd_proc_row *victim,
		      uint64_t before, bool perform)
{
	int r;

	if (!perform) {
		log_action(d, "%s: would kill leak suspect %s (pid %d, growth %lld bytes/s)",
			   LOG_ESC(e->cgroup), LOG_ESC(victim->comm), victim->pid,
			   (long long)victim->growth);
		return;
	}
	r = mpd_signal_process(&d->sys, victim->pid, victim->comm, e->cgroup, SIGKILL);
	d->counters.step_errors[MPD_STEP_KILL] += r < 0;
	if (r < 0) {
		log_err("%s: killing leak suspect %s (pid %d) failed: %s", LOG_ESC(e->cgroup),
			LOG_ESC(victim->comm), victim->pid, strerror(-r));
		return;
	}
	log_action_warn(d, "%s: killed leak suspect %s (pid %d, rss %llu, growth %lld bytes/s): still over its soft limit",
			LOG_ESC(e->cgroup), LOG_ESC(victim->comm), victim->pid,
			(unsigned long long)victim->rss, (long long)victim->growth);
	e->effect_at = mpd_now(d) + e->pol.grace_ms;
	e->effect_before = before;
	snprintf(e->killed_comm, sizeof(e->killed_comm), "%s", victim->comm);
	e->killed_pid = victim->pid;
}

/* An escalation step counted, taken or, in a dry run, only logged. */
static void count_step(struct mpd *d, enum mpd_act act, bool perform)
{
	static const int kind[] = {
		[MPD_ACT_RECLAIM] = MPD_STEP_RECLAIM, [MPD_ACT_CLAMP] = MPD_STEP_CLAMP,
		[MPD_ACT_KILL] = MPD_STEP_KILL,
	};

	if (act != MPD_ACT_NONE)
		(perform ? d->counters.steps : d->counters.dry_steps)[kind[act]]++;
}

/* The next step of @e, due now. */
static void escalate(struct mpd *d, struct mpd_episode *e, uint64_t now)
{
	struct mpd_step_env env = {
		.dry_run = mpd_dry_run(d, &e->pol), .root = !strcmp(e->cgroup, "/"),
	};
	const struct mpd_proc_row *victim = NULL;
	struct mpd_proc_row *rows = NULL;
	struct mpd_cg_row row;
	struct mpd_step st;
	size_t nrows = 0;
	bool looked = false;
	int r;

	r = still_over(d, e, &row);
	/* What the step of this stage could use, read only when it is enabled. */
	if (r > 0 && e->stage == MEMPRESSURED_STAGE_CALLBACKS && e->pol.reclaim)
		env.reclaim_available = mpd_cg_writable(&d->sys, e->cgroup, "memory.reclaim");
	if (r > 0 && e->stage == MEMPRESSURED_STAGE_CLAMPED && e->pol.kill) {
		victim = kill_victim(d, e, &rows, &nrows, &looked);
		env.has_suspect = victim != NULL;
	}
	st = mpd_step_next(e->stage, e->next_at, now, r > 0, &e->pol, &env);
	switch (st.act) {
	case MPD_ACT_RECLAIM:
		if (!step_reclaim(d, e, &row, st.perform))
			st.act = MPD_ACT_NONE;	/* skipped: not a step to count */
		break;
	case MPD_ACT_CLAMP:
		if (!step_clamp(d, e, &row, st.perform))
			st.act = MPD_ACT_NONE;	/* skipped: not a step to count */
		break;
	case MPD_ACT_KILL:
		if (victim)	/* the step comes only with a suspect */
			step_kill(d, e, victim, row.current, st.perform);
		break;
	case MPD_ACT_NONE:
		if (r > 0 && e->stage == MEMPRESSURED_STAGE_CALLBACKS)
			log_debug("%s: reclaim step %s, skipped", LOG_ESC(e->cgroup),
				  e->pol.reclaim ? "unavailable (no memory.reclaim)" : "disabled");
		else if (r > 0 && e->stage == MEMPRESSURED_STAGE_CLAMPED && looked)
			log_info("%s: still over its soft limit, but no leak suspect to kill",
				 LOG_ESC(e->cgroup));
		break;
	}
	count_step(d, st.act, st.perform);
	if (st.act != MPD_ACT_NONE)
		e->steps |= 1U << st.act;
	free(rows);
	e->stage = st.stage;
	e->next_at = st.next_at;
}

static void episode_due(struct mpd *d, struct mpd_episode *e, uint64_t now)
{
	if (e->clamped && now >= e->clamp_until)
		clamp_restore(d, e, "clamp period over");
	if (e->effect_at && now >= e->effect_at) {
		uint64_t cur = 0;

		mpd_cg_read_u64(&d->sys, e->cgroup, "memory.current", &cur);
		log_action(d, "%s: %llu ms after killing %s (pid %d): memory.current %llu -> %llu",
			   LOG_ESC(e->cgroup), (unsigned long long)e->pol.grace_ms,
			   LOG_ESC(e->killed_comm), e->killed_pid,
			   (unsigned long long)e->effect_before, (unsigned long long)cur);
		e->effect_at = 0;
	}
	if (mpd_step_due(e->stage, e->next_at, now))
		escalate(d, e, now);
	if (e->stage == MEMPRESSURED_STAGE_DONE && !e->clamped && !e->effect_at)
		episode_free(d, e);
}

void mpd_episodes_tick(struct mpd *d, uint64_t now)
{
	for (struct mpd_episode *e = d->episodes, *next; e; e = next) {
		next = e->next;
		episode_due(d, e, now);
	}
}

uint64_t mpd_episodes_next_due(const struct mpd *d)
{
	uint64_t next = UINT64_MAX;

	for (const struct mpd_episode *e = d->episodes; e; e = e->next) {
		if (e->stage != MEMPRESSURED_STAGE_DONE && e->next_at < next)
			next = e->next_at;
		if (e->clamped && e->clamp_until < next)
			next = e->clamp_until;
		if (e->effect_at && e->effect_at < next)
			next = e->effect_at;
		/* Over, with nothing left to undo: freed at the next tick, now. */
		if (e->stage == MEMPRESSURED_STAGE_DONE && !e->clamped && !e->effect_at)
			next = 0;
	}
	return next;
}

void mpd_episodes_free(struct mpd *d)
{
	/* Leave no clamp behind. */
	for (struct mpd_episode *e = d->episodes; e; e = e->next)
		clamp_restore(d, e, "exiting");
	while (d->episodes)
		episode_free(d, d->episodes);
}
