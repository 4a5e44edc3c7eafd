// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/mempressure: the status file and the processes and cgroups tables.
 *
 * The tables are seq_files over the current sample.  Each read(2) holds the
 * RCU read lock from ->start to ->stop (dropping it a moment only while it
 * skips many rows a reader in a namespace may not see) and prints from the
 * sample published then, so it never waits for the sampler.  A table read across
 * several read(2) calls may combine two consecutive samples; rows stay
 * sorted by their key and none is printed twice, because the seq_file
 * position is the key (pid, cgroup id) to resume from, not a row index.
 *
 * Column names and their order come from <linux/mempressure.h>; each row is
 * printed by a switch over the column enum, so a column added there and not
 * printed here is a -Wswitch warning, not a silently shifted table.
 *
 * procfs does not pin the module.  proc_remove() at unload waits for every
 * read in progress and releases every open file, after which further reads
 * of a file still open fail with EIO; nothing here outlives the module.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>
#include <linux/limits.h>
#include <linux/mempressure.h>
#include <linux/page_counter.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/threads.h>

#include "compat.h"
#include "config.h"
#include "control.h"
#include "events.h"
#include "names.h"
#include "procfs.h"
#include "sampler.h"
#include "signals.h"
#include "view.h"

static struct proc_dir_entry *mp_proc_dir;

/*
 * Per open table file.  The path buffer is the reader's for one read(2):
 * an open file costs the opener little (docs/security.md).
 */
struct mp_table_iter {
	const struct mp_sample *sample;	/* the one ->start found */
	struct mp_view view;		/* the opener's namespaces */
	char *path;			/* MP_CGROUP_PATH_SIZE, ->start to ->stop */
};

/* --- value printers ------------------------------------------------------ */

static void mp_put_header(struct seq_file *m, const char *const *names,
			  int nr)
{
	int i;

	for (i = 0; i < nr; i++) {
		if (i)
			seq_putc(m, ' ');
		seq_puts(m, names[i]);
	}
	seq_putc(m, '\n');
}

/* A string as one field: escaped, never empty, never mistaken for "-". */
static void mp_put_string(struct seq_file *m, const char *s)
{
	if (!*s)
		seq_puts(m, MEMPRESSURE_NA);
	else if (!strcmp(s, MEMPRESSURE_NA))
		seq_puts(m, "\\055");
	else
		seq_escape(m, s, MEMPRESSURE_ESCAPED_CHARS);
}

static void mp_put_u64(struct seq_file *m, u64 v)
{
	seq_put_decimal_ull(m, "", v);
}

static void mp_put_s64(struct seq_file *m, s64 v)
{
	seq_put_decimal_ll(m, "", v);
}

static void mp_put_pages(struct seq_file *m, unsigned long pages)
{
	mp_put_u64(m, (u64)pages << PAGE_SHIFT);
}

/* A limit: "max" when unlimited, as cgroupfs prints it. */
static void mp_put_limit(struct seq_file *m, unsigned long pages)
{
	if (pages >= PAGE_COUNTER_MAX)
		seq_puts(m, MEMPRESSURE_UNLIMITED);
	else
		mp_put_pages(m, pages);
}

/* Percent x 100 as psi prints it: "12.34". */
static void mp_put_percent(struct seq_file *m, u32 pct100)
{
	seq_printf(m, "%u.%02u", pct100 / 100, pct100 % 100);
}

/*
 * The path of cgroup @idx as the reader sees it, or NULL if it is not in
 * the sample, is longer than PATH_MAX or is outside the reader's cgroup
 * namespace.
 */
static const char *mp_cgroup_path(struct mp_table_iter *it, u32 idx)
{
	if (idx == MP_NO_CGROUP)
		return NULL;
	/* The sample pins the css; kernfs_path() takes only a spinlock. */
	if (mp_whole_cgroup_path(it->sample->cgroups[idx].css->cgroup,
				 it->path) < 0)
		return NULL;
	return mp_view_path(&it->view, it->path);
}

static void mp_put_cgroup_path(struct seq_file *m, struct mp_table_iter *it,
			       u32 idx)
{
	const char *path = mp_cgroup_path(it, idx);

	if (path)
		mp_put_string(m, path);
	else
		seq_puts(m, MEMPRESSURE_NA);
}

/* Bytes, or "-" for 0 (none set). */
static void mp_put_bytes_or_na(struct seq_file *m, u64 bytes)
{
	if (bytes)
		mp_put_u64(m, bytes);
	else
		seq_puts(m, MEMPRESSURE_NA);
}

/*
 * A reader in a namespace skips the rows it may not see, which may be
 * nearly all of a large host's.  Every MP_SKIP_BATCH of them, the RCU read
 * lock is dropped for a moment, and the skip goes on by key in the sample
 * current then: a later one, as between two read(2) calls.
 */
#define MP_SKIP_BATCH	256

static void mp_table_pause(struct mp_table_iter *it)
	__releases(RCU) __acquires(RCU)
{
	rcu_read_unlock();
	cond_resched();
	rcu_read_lock();
	it->sample = mp_sampler_current();
}

/* --- processes ------------------------------------------------------------ */

/*
 * The first process with pid >= @pos that the reader may see.  Rows stay
 * in the order of the initial namespace's pids, the position's key.
 */
static const struct mp_proc *mp_proc_from(struct mp_table_iter *it,
					  loff_t pos)
{
	const struct mp_sample *s = it->sample;
	u32 lo = pos > PID_MAX_LIMIT ? s->nr_procs :
				       mp_sample_proc_from(s, 0, pos);
	u32 skipped = 0;

	if (mp_view_is_init(&it->view))
		return lo < s->nr_procs ? &s->procs[lo] : NULL;
	while (lo < s->nr_procs &&
	       !mp_view_pid_nr(&it->view, s->procs[lo].pid)) {
		if (++skipped % MP_SKIP_BATCH == 0) {
			pid_t next = s->procs[lo].pid + 1;

			mp_table_pause(it);
			s = it->sample;
			lo = mp_sample_proc_from(s, 0, next);
		} else {
			lo++;
		}
	}
	return lo < s->nr_procs ? &s->procs[lo] : NULL;
}

/*
 * The start of one read(2) of a table: the path buffer, then the RCU read
 * lock, which ->stop drops whatever ->start returned.
 */
static int mp_table_start(struct mp_table_iter *it)
	__acquires(RCU)
{
	it->path = kmalloc(MP_CGROUP_PATH_SIZE, GFP_KERNEL_ACCOUNT);
	rcu_read_lock();
	it->sample = mp_sampler_current();
	return it->path ? 0 : -ENOMEM;
}

static void *mp_procs_start(struct seq_file *m, loff_t *pos)
	__acquires(RCU)
{
	struct mp_table_iter *it = m->private;
	int err = mp_table_start(it);

	if (err)
		return ERR_PTR(err);
	if (!*pos)
		return SEQ_START_TOKEN;
	return (void *)mp_proc_from(it, *pos);
}

static void *mp_procs_next(struct seq_file *m, void *v, loff_t *pos)
{
	struct mp_table_iter *it = m->private;
	const struct mp_proc *pr = v;

	*pos = v == SEQ_START_TOKEN ? 1 : (loff_t)pr->pid + 1;
	return (void *)mp_proc_from(it, *pos);
}

static void mp_table_stop(struct seq_file *m, void *v)
	__releases(RCU)
{
	struct mp_table_iter *it = m->private;

	rcu_read_unlock();
	kfree(it->path);
	it->path = NULL;
}

static void mp_put_process_column(struct seq_file *m, struct mp_table_iter *it,
				  const struct mp_proc *pr,
				  enum mempressure_process_column col)
{
	switch (col) {
	case MEMPRESSURE_PROC_PID:
		mp_put_u64(m, mp_view_pid_nr(&it->view, pr->pid));
		break;
	case MEMPRESSURE_PROC_COMM:
		mp_put_string(m, pr->comm);
		break;
	case MEMPRESSURE_PROC_CGROUP:
		mp_put_cgroup_path(m, it, pr->cgroup_idx);
		break;
	case MEMPRESSURE_PROC_RSS:
		mp_put_pages(m, mp_proc_rss_pages(pr));
		break;
	case MEMPRESSURE_PROC_ANON:
		mp_put_pages(m, pr->anon_pages);
		break;
	case MEMPRESSURE_PROC_FILE:
		mp_put_pages(m, pr->file_pages);
		break;
	case MEMPRESSURE_PROC_SHMEM:
		mp_put_pages(m, pr->shmem_pages);
		break;
	case MEMPRESSURE_PROC_SWAP:
		mp_put_pages(m, pr->swap_pages);
		break;
	case MEMPRESSURE_PROC_PEAK_RSS:
		mp_put_pages(m, pr->peak_rss_pages);
		break;
	case MEMPRESSURE_PROC_GROWTH10:
		mp_put_s64(m, mp_proc_growth(it->sample, pr, MP_WIN_10S));
		break;
	case MEMPRESSURE_PROC_GROWTH60:
		mp_put_s64(m, mp_proc_growth(it->sample, pr, MP_WIN_60S));
		break;
	case MEMPRESSURE_PROC_GROWTH300:
		mp_put_s64(m, mp_proc_growth(it->sample, pr, MP_WIN_300S));
		break;
	case MEMPRESSURE_PROC_AGE:
		/* As of the sample, so that one table agrees with itself. */
		mp_put_u64(m, div_u64(it->sample->time_ns - pr->start_ns,
				      NSEC_PER_USEC));
		break;
	case MEMPRESSURE_PROC_SOFT_LIMIT: {
		u64 soft;

		mp_put_bytes_or_na(m, mp_process_soft(pr->pid, pr->start_ns,
						      &soft) ? soft : 0);
		break;
	}
	case MEMPRESSURE_PROC_LEAK:
		mp_put_u64(m, !!(pr->flags & MP_PROC_LEAK));
		break;
	case MEMPRESSURE_PROC_TIME_TO_LIMIT: {
		u64 ttl = mp_proc_time_to_limit(it->sample, pr,
						mp_leak_window());

		if (ttl == U64_MAX)
			seq_puts(m, MEMPRESSURE_NA);
		else
			mp_put_u64(m, ttl);
		break;
	}
	case MEMPRESSURE_PROC_NR:
		break;
	}
}

static int mp_procs_show(struct seq_file *m, void *v)
{
	struct mp_table_iter *it = m->private;
	int col;

	if (v == SEQ_START_TOKEN) {
		mp_put_header(m, mp_process_columns, MEMPRESSURE_PROC_NR);
		return 0;
	}
	for (col = 0; col < MEMPRESSURE_PROC_NR; col++) {
		if (col)
			seq_putc(m, ' ');
		mp_put_process_column(m, it, v, col);
	}
	seq_putc(m, '\n');
	return 0;
}

static const struct seq_operations mp_procs_seq_ops = {
	.start = mp_procs_start,
	.next = mp_procs_next,
	.stop = mp_table_stop,
	.show = mp_procs_show,
};

/* --- cgroups -------------------------------------------------------------- */

/* The first cgroup with id >= @pos that the reader may see. */
static const struct mp_cgroup *mp_cgroup_from(struct mp_table_iter *it,
					      loff_t pos)
{
	const struct mp_sample *s = it->sample;
	u32 lo = mp_sample_cgroup_from(s, pos), skipped = 0;

	if (mp_view_is_init(&it->view))
		return lo < s->nr_cgroups ? &s->cgroups[lo] : NULL;
	while (lo < s->nr_cgroups && !mp_cgroup_path(it, lo)) {
		if (++skipped % MP_SKIP_BATCH == 0) {
			u64 next = s->cgroups[lo].id + 1;

			mp_table_pause(it);
			s = it->sample;
			lo = mp_sample_cgroup_from(s, next);
		} else {
			lo++;
		}
	}
	return lo < s->nr_cgroups ? &s->cgroups[lo] : NULL;
}

static void *mp_cgroups_start(struct seq_file *m, loff_t *pos)
	__acquires(RCU)
{
	struct mp_table_iter *it = m->private;
	int err = mp_table_start(it);

	if (err)
		return ERR_PTR(err);
	if (!*pos)
		return SEQ_START_TOKEN;
	return (void *)mp_cgroup_from(it, *pos);
}

static void *mp_cgroups_next(struct seq_file *m, void *v, loff_t *pos)
{
	struct mp_table_iter *it = m->private;
	const struct mp_cgroup *cg = v;

	*pos = v == SEQ_START_TOKEN ? 1 : (loff_t)cg->id + 1;
	return (void *)mp_cgroup_from(it, *pos);
}

static void mp_put_cgroup_column(struct seq_file *m, struct mp_table_iter *it,
				 const struct mp_cgroup *cg,
				 enum mempressure_cgroup_column col)
{
	bool system = cg->flags & MP_CG_SYSTEM;
	bool psi = cg->flags & MP_CG_PSI;

	/* The system row has no cgroup files: their columns do not apply. */
	switch (col) {
	case MEMPRESSURE_CG_MIN:
	case MEMPRESSURE_CG_LOW:
	case MEMPRESSURE_CG_HIGH:
	case MEMPRESSURE_CG_SWAP_CURRENT:
	case MEMPRESSURE_CG_SWAP_MAX:
	case MEMPRESSURE_CG_EV_LOW:
	case MEMPRESSURE_CG_EV_HIGH:
	case MEMPRESSURE_CG_EV_MAX:
	case MEMPRESSURE_CG_EV_OOM:
	case MEMPRESSURE_CG_EV_OOM_KILL:
		if (system) {
			seq_puts(m, MEMPRESSURE_NA);
			return;
		}
		break;
	case MEMPRESSURE_CG_PSI_SOME_AVG10:
	case MEMPRESSURE_CG_PSI_FULL_AVG10:
	case MEMPRESSURE_CG_PSI_SOME_TOTAL:
	case MEMPRESSURE_CG_PSI_FULL_TOTAL:
		if (!psi) {
			seq_puts(m, MEMPRESSURE_NA);
			return;
		}
		break;
	default:
		break;
	}

	switch (col) {
	case MEMPRESSURE_CG_PATH:
		mp_put_cgroup_path(m, it, cg - it->sample->cgroups);
		break;
	case MEMPRESSURE_CG_ID:
		mp_put_u64(m, cg->id);
		break;
	case MEMPRESSURE_CG_CURRENT:
		mp_put_pages(m, cg->usage_pages);
		break;
	case MEMPRESSURE_CG_MIN:
		mp_put_pages(m, cg->min_pages);
		break;
	case MEMPRESSURE_CG_LOW:
		mp_put_limit(m, cg->low_pages);
		break;
	case MEMPRESSURE_CG_HIGH:
		mp_put_limit(m, cg->high_pages);
		break;
	case MEMPRESSURE_CG_MAX:
		mp_put_limit(m, cg->max_pages);
		break;
	case MEMPRESSURE_CG_SWAP_CURRENT:
		mp_put_pages(m, cg->swap_current_pages);
		break;
	case MEMPRESSURE_CG_SWAP_MAX:
		mp_put_limit(m, cg->swap_max_pages);
		break;
	case MEMPRESSURE_CG_EV_LOW:
		mp_put_u64(m, cg->events[MP_MEMCG_EV_LOW]);
		break;
	case MEMPRESSURE_CG_EV_HIGH:
		mp_put_u64(m, cg->events[MP_MEMCG_EV_HIGH]);
		break;
	case MEMPRESSURE_CG_EV_MAX:
		mp_put_u64(m, cg->events[MP_MEMCG_EV_MAX]);
		break;
	case MEMPRESSURE_CG_EV_OOM:
		mp_put_u64(m, cg->events[MP_MEMCG_EV_OOM]);
		break;
	case MEMPRESSURE_CG_EV_OOM_KILL:
		mp_put_u64(m, cg->events[MP_MEMCG_EV_OOM_KILL]);
		break;
	case MEMPRESSURE_CG_PSI_SOME_AVG10:
		mp_put_percent(m, mp_cgroup_psi_avg10(it->sample, cg, MP_PSI_SOME));
		break;
	case MEMPRESSURE_CG_PSI_FULL_AVG10:
		mp_put_percent(m, mp_cgroup_psi_avg10(it->sample, cg, MP_PSI_FULL));
		break;
	case MEMPRESSURE_CG_PSI_SOME_TOTAL:
		mp_put_u64(m, cg->psi_total_us[MP_PSI_SOME]);
		break;
	case MEMPRESSURE_CG_PSI_FULL_TOTAL:
		mp_put_u64(m, cg->psi_total_us[MP_PSI_FULL]);
		break;
	case MEMPRESSURE_CG_PROCESSES:
		mp_put_u64(m, cg->nr_procs);
		break;
	case MEMPRESSURE_CG_GROWTH10:
		mp_put_s64(m, mp_cgroup_growth(it->sample, cg, MP_WIN_10S));
		break;
	case MEMPRESSURE_CG_GROWTH60:
		mp_put_s64(m, mp_cgroup_growth(it->sample, cg, MP_WIN_60S));
		break;
	case MEMPRESSURE_CG_GROWTH300:
		mp_put_s64(m, mp_cgroup_growth(it->sample, cg, MP_WIN_300S));
		break;
	case MEMPRESSURE_CG_LEVEL:
		seq_puts(m, mp_level_names[min_t(u8, READ_ONCE(cg->level),
						 MEMPRESSURE_LEVEL_NR - 1)]);
		break;
	case MEMPRESSURE_CG_LIMIT:
		mp_put_u64(m, cg->limit_bytes);
		break;
	case MEMPRESSURE_CG_HARD_LIMIT:
		mp_put_u64(m, cg->hard_bytes);
		break;
	case MEMPRESSURE_CG_SOFT_LIMIT:
		mp_put_u64(m, cg->soft_bytes);
		break;
	case MEMPRESSURE_CG_SOFT_OVER:
		mp_put_u64(m, READ_ONCE(cg->sig.soft_over));
		break;
	case MEMPRESSURE_CG_NR:
		break;
	}
}

static int mp_cgroups_show(struct seq_file *m, void *v)
{
	struct mp_table_iter *it = m->private;
	int col;

	if (v == SEQ_START_TOKEN) {
		mp_put_header(m, mp_cgroup_columns, MEMPRESSURE_CG_NR);
		return 0;
	}
	for (col = 0; col < MEMPRESSURE_CG_NR; col++) {
		if (col)
			seq_putc(m, ' ');
		mp_put_cgroup_column(m, it, v, col);
	}
	seq_putc(m, '\n');
	return 0;
}

static const struct seq_operations mp_cgroups_seq_ops = {
	.start = mp_cgroups_start,
	.next = mp_cgroups_next,
	.stop = mp_table_stop,
	.show = mp_cgroups_show,
};

/* --- status ----------------------------------------------------------------- */

static void mp_put_status_value(struct seq_file *m,
				const struct mp_sampler_stats *st,
				enum mempressure_status_key key)
{
	const struct mp_params *params = mp_sampler_params();

	switch (key) {
	case MEMPRESSURE_STATUS_VERSION:
		seq_puts(m, MP_VERSION);
		break;
	case MEMPRESSURE_STATUS_ABI_VERSION:
		mp_put_u64(m, MEMPRESSURE_ABI_VERSION);
		break;
	case MEMPRESSURE_STATUS_INTERVAL_MS:
		mp_put_u64(m, mp_tunable(MEMPRESSURE_TUNABLE_INTERVAL_MS));
		break;
	case MEMPRESSURE_STATUS_MAX_PROCESSES:
		mp_put_u64(m, params->max_processes);
		break;
	case MEMPRESSURE_STATUS_MAX_CGROUPS:
		mp_put_u64(m, params->max_cgroups);
		break;
	case MEMPRESSURE_STATUS_PROCESSES:
		mp_put_u64(m, st->nr_procs);
		break;
	case MEMPRESSURE_STATUS_CGROUPS:
		mp_put_u64(m, st->nr_cgroups);
		break;
	case MEMPRESSURE_STATUS_PROCESSES_SKIPPED:
		mp_put_u64(m, st->procs_skipped);
		break;
	case MEMPRESSURE_STATUS_CGROUPS_SKIPPED:
		mp_put_u64(m, st->cgroups_skipped);
		break;
	case MEMPRESSURE_STATUS_SAMPLES:
		mp_put_u64(m, st->samples);
		break;
	case MEMPRESSURE_STATUS_SAMPLE_LAST:
		mp_put_u64(m, st->last_us);
		break;
	case MEMPRESSURE_STATUS_SAMPLE_AVG:
		mp_put_u64(m, st->samples ? div64_u64(st->total_us, st->samples) : 0);
		break;
	case MEMPRESSURE_STATUS_SAMPLE_MAX:
		mp_put_u64(m, st->max_us);
		break;
	case MEMPRESSURE_STATUS_MEMORY:
		mp_put_u64(m, st->memory_bytes);
		break;
	case MEMPRESSURE_STATUS_EVENTS:
		mp_put_u64(m, st->events);
		break;
	case MEMPRESSURE_STATUS_EVENTS_BUFFERED:
		mp_put_u64(m, st->events_buffered);
		break;
	case MEMPRESSURE_STATUS_FAST_PATH_RUNS:
		mp_put_u64(m, mp_signals_fast_runs());
		break;
	case MEMPRESSURE_STATUS_CHANGE_TRACKING:
		mp_put_u64(m, st->tracking);
		break;
	case MEMPRESSURE_STATUS_PROCESSES_READ:
		mp_put_u64(m, st->nr_read);
		break;
	case MEMPRESSURE_STATUS_FULL_WALKS:
		mp_put_u64(m, st->full_walks);
		break;
	case MEMPRESSURE_STATUS_FULL_WALK_AVG:
		mp_put_u64(m, st->full_walks ?
			   div64_u64(st->full_walk_us, st->full_walks) : 0);
		break;
	case MEMPRESSURE_STATUS_CHANGES_MISSED:
		mp_put_u64(m, st->changes_missed);
		break;
	case MEMPRESSURE_STATUS_NR:
		break;
	}
}

static int mp_status_show(struct seq_file *m, void *v)
{
	struct mp_sampler_stats st;
	int key;

	mp_sampler_stats(&st);
	mp_events_stats(&st.events, &st.events_buffered);
	for (key = 0; key < MEMPRESSURE_STATUS_NR; key++) {
		seq_printf(m, "%s ", mp_status_keys[key]);
		mp_put_status_value(m, &st, key);
		seq_putc(m, '\n');
	}
	return 0;
}

/* --- files -------------------------------------------------------------------- */

static int mp_table_open(struct file *file, const struct seq_operations *ops)
{
	struct mp_table_iter *it;
	int err;

	it = __seq_open_private(file, ops, sizeof(*it));
	if (!it)
		return -ENOMEM;
	err = mp_view_init(&it->view, file);
	if (err)
		seq_release_private(file->f_inode, file);
	return err;
}

static int mp_table_release(struct inode *inode, struct file *file)
{
	struct mp_table_iter *it = ((struct seq_file *)file->private_data)->private;

	mp_view_release(&it->view);
	return seq_release_private(inode, file);
}

static int mp_procs_open(struct inode *inode, struct file *file)
{
	return mp_table_open(file, &mp_procs_seq_ops);
}

static int mp_cgroups_open(struct inode *inode, struct file *file)
{
	return mp_table_open(file, &mp_cgroups_seq_ops);
}

static int mp_status_open(struct inode *inode, struct file *file)
{
	return single_open(file, mp_status_show, NULL);
}

static const struct proc_ops mp_procs_fops = {
	.proc_open = mp_procs_open,
	.proc_read_iter = seq_read_iter,
	.proc_lseek = seq_lseek,
	.proc_release = mp_table_release,
};

static const struct proc_ops mp_cgroups_fops = {
	.proc_open = mp_cgroups_open,
	.proc_read_iter = seq_read_iter,
	.proc_lseek = seq_lseek,
	.proc_release = mp_table_release,
};

static const struct proc_ops mp_status_fops = {
	.proc_open = mp_status_open,
	.proc_read_iter = seq_read_iter,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
};

int mp_procfs_create(void)
{
	mp_proc_dir = proc_mkdir(MEMPRESSURE_PROC_DIR, NULL);
	if (!mp_proc_dir) {
		pr_err("cannot create %s\n", MEMPRESSURE_PROC_PATH);
		return -ENOMEM;
	}
	if (!proc_create(MEMPRESSURE_FILE_STATUS, 0444, mp_proc_dir,
			 &mp_status_fops) ||
	    !proc_create(MEMPRESSURE_FILE_PROCESSES, 0444, mp_proc_dir,
			 &mp_procs_fops) ||
	    !proc_create(MEMPRESSURE_FILE_CGROUPS, 0444, mp_proc_dir,
			 &mp_cgroups_fops) ||
	    mp_events_create_file(mp_proc_dir) ||
	    mp_control_create_file(mp_proc_dir)) {
		pr_err("cannot create the files in %s\n", MEMPRESSURE_PROC_PATH);
		proc_remove(mp_proc_dir);
		return -ENOMEM;
	}
	return 0;
}

/*
 * Waits for reads in progress and releases files still open; readers
 * blocked in the events file must have been woken (mp_events_shutdown()).
 */
void mp_procfs_remove(void)
{
	proc_remove(mp_proc_dir);
}
