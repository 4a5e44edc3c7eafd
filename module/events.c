// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/mempressure/events: a stream of events, one line each, for readers
 * that wait with read() or poll() (docs/events.md).
 *
 * Events go into one ring of MP_EVENTS_BUFFER records under a spinlock; the
 * record with sequence number s sits in slot s % MP_EVENTS_BUFFER.  Each
 * open file is a reader with its own cursor, the next sequence number it
 * will read, so readers never take events from one another.  A reader
 * whose cursor fell out of the ring gets one "lost" line for the gap and
 * continues at the oldest record kept.  Lines are formatted at read time,
 * for the reader: with the pids of its pid namespace and the cgroup paths
 * below its cgroup namespace's root, skipping what it may not see.
 *
 * A reader costs little: formatting needs no buffer of its own.  read()
 * copies the record out under the lock, with a reference on its pid and
 * on its path (shared, refcounted), then formats the line twice outside
 * the lock, once to measure it (whole lines only) and once into the
 * caller's buffer, through a small chunk on the stack, escaping the path
 * in runs.  What the opener
 * allocates is charged to its memory cgroup (docs/security.md).
 *
 * The sampler holds the events it raises (mp_events_hold()) until it has
 * published the sample they come from (mp_events_publish()): a reader that
 * wakes for an event and reads the tables finds that sample or a later
 * one, never the one before.
 *
 * Unload: mp_events_shutdown() marks the stream dead and wakes every
 * reader blocked in read(), which then fails with EIO, so that
 * proc_remove() can wait for them, and every task in poll() or select().
 * proc_remove() does not wait for those: their entries stay on the wait
 * queue until they return, and a task may never return.  One in select()
 * with the file in exceptfds only, or in poll() asking for POLLPRI or
 * nothing, waits for what this file never reports (EPOLLPRI, or only
 * POLLERR and POLLHUP); woken, it polls the file again, and once the file
 * is gone procfs answers for the module (DEFAULT_POLLMASK, without a call
 * in here), with none of that, so it sleeps on until a signal.  Its entry
 * is core-kernel code (pollwake()) on our wait queue head.  So the head is
 * an allocation of its own, not the module's memory: mp_events_exit()
 * detaches epoll's, aio's and io_uring's entries with a POLLFREE wakeup,
 * gives poll() and select() callers a moment to leave, and frees the head
 * only if nobody is left on it.  Otherwise it leaves the head behind, for
 * the waiters to take their entries off when they return, as core-kernel
 * code does, and tells kmemleak.  Pinning the module while the file is
 * open would also be safe, but would let any user who can open the file
 * keep the administrator from unloading it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>
#include <linux/delay.h>
#include <linux/kmemleak.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/refcount.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>

#include "events.h"
#include "names.h"
#include "view.h"

/* A line: the fixed keys, an escaped path (4 bytes per byte at worst). */
static_assert(MEMPRESSURE_EVENT_LINE_MAX >= 4 * PATH_MAX + 512);

/* A cgroup path, shared by the ring and the readers formatting it. */
struct mp_event_path {
	refcount_t ref;
	char s[];
};

/*
 * The readers' wait queue, which may outlive the module (see above), and
 * so everything its lock needs: lockdep keeps pointers to a lock's class
 * key and name, which must not be in the module's memory either.
 */
struct mp_events_wait {
	wait_queue_head_t head;
	struct lock_class_key key;
	char name[32];
};

static struct {
	spinlock_t lock;		/* all of this but wait */
	struct mp_record *ring;
	u64 next_seq;			/* of the next event; the first is 1 */
	u64 visible_seq;		/* readers see the events before it */
	bool held;			/* between hold and release */
	bool dying;
	struct mp_events_wait *wait;
} mp_ev;

/* Per open file. */
struct mp_events_reader {
	struct mutex lock;		/* one read() at a time */
	u64 next_seq;
	struct mp_view view;
};

static u64 mp_oldest_seq(void)
{
	return mp_ev.next_seq > MP_EVENTS_BUFFER ?
	       mp_ev.next_seq - MP_EVENTS_BUFFER : 1;
}

static struct mp_record *mp_slot(u64 seq)
{
	return &mp_ev.ring[seq % MP_EVENTS_BUFFER];
}

/* @path in a new shared string; "" for a path that is not known. */
struct mp_event_path *mp_event_path_alloc(const char *path)
{
	size_t len = strlen(path);
	struct mp_event_path *p = kmalloc(struct_size(p, s, len + 1), GFP_KERNEL);

	if (!p)
		return NULL;
	refcount_set(&p->ref, 1);
	memcpy(p->s, path, len + 1);
	return p;
}

static void mp_event_path_put(struct mp_event_path *p)
{
	if (p && refcount_dec_and_test(&p->ref))
		kfree(p);
}

/* Drop what @ev holds: its path and pid. */
static void mp_event_free(struct mp_record *ev)
{
	mp_event_path_put(ev->path);
	put_pid(ev->pid);
	ev->path = NULL;
	ev->pid = NULL;
}

/* A copy of @ev that holds its own references.  Under mp_ev.lock. */
static void mp_event_copy(struct mp_record *to, const struct mp_record *ev)
{
	*to = *ev;
	if (to->path)
		refcount_inc(&to->path->ref);
	get_pid(to->pid);
}

void mp_event_emit(struct mp_record *ev)
{
	struct mp_record old;
	struct mp_record *slot;
	bool held;

	spin_lock(&mp_ev.lock);
	slot = mp_slot(mp_ev.next_seq);
	old = *slot;
	*slot = *ev;
	slot->seq = mp_ev.next_seq++;
	if (!slot->time_ns)
		slot->time_ns = ktime_get_ns();
	held = mp_ev.held;
	if (!held)
		mp_ev.visible_seq = mp_ev.next_seq;
	spin_unlock(&mp_ev.lock);
	/* What the overwritten record held is freed outside the lock. */
	mp_event_free(&old);
	if (!held)
		wake_up_interruptible_poll(&mp_ev.wait->head, EPOLLIN | EPOLLRDNORM);
}

/* Events raised from now on wait for mp_events_publish() to be seen. */
void mp_events_hold(void)
{
	spin_lock(&mp_ev.lock);
	mp_ev.held = true;
	spin_unlock(&mp_ev.lock);
}

/* Shows readers the events held since mp_events_hold(), and wakes them. */
void mp_events_publish(void)
{
	bool more;

	spin_lock(&mp_ev.lock);
	mp_ev.held = false;
	more = mp_ev.visible_seq != mp_ev.next_seq;
	mp_ev.visible_seq = mp_ev.next_seq;
	spin_unlock(&mp_ev.lock);
	if (more)
		wake_up_interruptible_poll(&mp_ev.wait->head, EPOLLIN | EPOLLRDNORM);
}

void mp_events_stats(u64 *raised, u64 *buffered)
{
	spin_lock(&mp_ev.lock);
	*raised = mp_ev.next_seq - 1;
	*buffered = mp_ev.next_seq - mp_oldest_seq();
	spin_unlock(&mp_ev.lock);
}

/* --- what a reader sees ------------------------------------------------ */

/* The process's pid as the reader knows it, 0 if it may not see it. */
static pid_t mp_reader_pid(const struct mp_events_reader *r,
			   const struct mp_record *ev)
{
	pid_t nr;

	rcu_read_lock();
	nr = mp_view_pid(&r->view, ev->pid);
	rcu_read_unlock();
	return nr;
}

static bool mp_visible(const struct mp_events_reader *r,
		       const struct mp_record *ev)
{
	if (ev->path && !mp_view_path(&r->view, ev->path->s))
		return false;
	return !ev->pid || mp_reader_pid(r, ev);
}

/*
 * Move the cursor over events the reader may not see; true if there is
 * something to read (an event or a gap).  Under mp_ev.lock.
 */
static bool mp_pending(struct mp_events_reader *r)
{
	if (r->next_seq < mp_oldest_seq())
		return true;
	while (r->next_seq < mp_ev.visible_seq &&
	       !mp_visible(r, mp_slot(r->next_seq)))
		r->next_seq++;
	return r->next_seq < mp_ev.visible_seq;
}

/* --- formatting ---------------------------------------------------------- */

/*
 * Where a line goes: nowhere (@to NULL: its length is measured), or the
 * reader's buffer, through @chunk: a usual line is one copy to user space,
 * one with a long path a few.  A fault is kept for the end.
 */
#define MP_OUT_CHUNK	256

struct mp_out {
	char __user *to;
	size_t len;			/* of the line so far */
	size_t held;			/* of it, in @chunk, not copied yet */
	bool fault;
	char chunk[MP_OUT_CHUNK];
};

static void mp_out_init(struct mp_out *o, char __user *to)
{
	o->to = to;
	o->len = 0;
	o->held = 0;
	o->fault = false;
}

static void mp_flush(struct mp_out *o)
{
	if (o->held && !o->fault &&
	    copy_to_user(o->to + o->len - o->held, o->chunk, o->held))
		o->fault = true;
	o->held = 0;
}

static void mp_put(struct mp_out *o, const char *s, size_t n)
{
	if (!o->to) {
		o->len += n;
		return;
	}
	while (n) {
		size_t k = min(n, MP_OUT_CHUNK - o->held);

		memcpy(o->chunk + o->held, s, k);
		o->held += k;
		o->len += k;
		s += k;
		n -= k;
		if (o->held == MP_OUT_CHUNK)
			mp_flush(o);
	}
}

/* Each call prints a key or a number, or both: short. */
#define MP_ADD_MAX	64

static __printf(2, 3) void mp_add(struct mp_out *o, const char *fmt, ...)
{
	char buf[MP_ADD_MAX];
	va_list args;
	size_t n;

	va_start(args, fmt);
	n = vscnprintf(buf, sizeof(buf), fmt, args);
	va_end(args);
	mp_put(o, buf, n);
}

static void mp_add_key(struct mp_out *o, enum mempressure_event_key key)
{
	mp_add(o, "%s%s=", o->len ? " " : "", mp_event_keys[key]);
}

static void mp_add_u64(struct mp_out *o, enum mempressure_event_key key,
		       u64 v)
{
	mp_add_key(o, key);
	mp_add(o, "%llu", v);
}

/*
 * Escaped as the tables escape strings (seq_escape()): \ooo, "-" itself
 * as \055, "" (not known) as "-".  Runs of plain bytes go out whole.
 */
static void mp_add_string(struct mp_out *o, enum mempressure_event_key key,
			  const char *s)
{
	mp_add_key(o, key);
	if (!*s) {
		mp_put(o, MEMPRESSURE_NA, strlen(MEMPRESSURE_NA));
		return;
	}
	if (!strcmp(s, MEMPRESSURE_NA)) {
		mp_add(o, "\\%03o", (unsigned char)*s);
		return;
	}
	while (*s) {
		size_t run = strcspn(s, MEMPRESSURE_ESCAPED_CHARS);

		if (run) {
			mp_put(o, s, run);
			s += run;
		} else {
			mp_add(o, "\\%03o", (unsigned char)*s++);
		}
	}
}

static void mp_add_level(struct mp_out *o, enum mempressure_event_key key,
			 u8 level)
{
	mp_add_key(o, key);
	mp_add(o, "%s", mp_level_names[min_t(u8, level, MEMPRESSURE_LEVEL_NR - 1)]);
}

/*
 * Event @ev as the reader sees it: @pid is its number for the process,
 * @path the cgroup's path below its root.  Both are worked out once, by
 * the caller: the line is formatted twice and must come out the same.
 */
static void mp_format(struct mp_out *o, const struct mp_record *ev, pid_t pid,
		      const char *path)
{
	mp_add_u64(o, MEMPRESSURE_EKEY_SEQ, ev->seq);
	mp_add_u64(o, MEMPRESSURE_EKEY_TIME, div_u64(ev->time_ns, NSEC_PER_USEC));
	mp_add_key(o, MEMPRESSURE_EKEY_KIND);
	mp_add(o, "%s", mp_event_kinds[ev->kind]);
	if (ev->pid) {
		mp_add_u64(o, MEMPRESSURE_EKEY_PID, pid);
		mp_add_string(o, MEMPRESSURE_EKEY_COMM, ev->comm);
	}
	if (path)
		mp_add_string(o, MEMPRESSURE_EKEY_CGROUP, path);

	switch (ev->kind) {
	case MEMPRESSURE_EVENT_LEVEL:
		mp_add_level(o, MEMPRESSURE_EKEY_LEVEL, ev->level);
		mp_add_level(o, MEMPRESSURE_EKEY_OLD_LEVEL, ev->old_level);
		mp_add_key(o, MEMPRESSURE_EKEY_REASON);
		mp_add(o, "%s", mp_reasons[min_t(u8, ev->reason,
						 MEMPRESSURE_REASON_NR - 1)]);
		mp_add_u64(o, MEMPRESSURE_EKEY_USAGE, ev->v[MP_VAL_USAGE]);
		mp_add_u64(o, MEMPRESSURE_EKEY_LIMIT, ev->v[MP_VAL_LIMIT]);
		break;
	case MEMPRESSURE_EVENT_LIMIT:
		mp_add_level(o, MEMPRESSURE_EKEY_LEVEL, ev->level);
		mp_add_u64(o, MEMPRESSURE_EKEY_USAGE, ev->v[MP_VAL_USAGE]);
		mp_add_u64(o, MEMPRESSURE_EKEY_LIMIT, ev->v[MP_VAL_LIMIT]);
		mp_add_u64(o, MEMPRESSURE_EKEY_SOFT_LIMIT, ev->v[MP_VAL_SOFT]);
		break;
	case MEMPRESSURE_EVENT_SOFT_OVER:
	case MEMPRESSURE_EVENT_SOFT_UNDER:
		mp_add_u64(o, MEMPRESSURE_EKEY_USAGE, ev->v[MP_VAL_USAGE]);
		mp_add_u64(o, MEMPRESSURE_EKEY_SOFT_LIMIT, ev->v[MP_VAL_LIMIT]);
		break;
	case MEMPRESSURE_EVENT_LEAK_SUSPECTED:
	case MEMPRESSURE_EVENT_LEAK_CLEARED:
		mp_add_u64(o, MEMPRESSURE_EKEY_RSS, ev->v[MP_VAL_RSS]);
		mp_add_key(o, MEMPRESSURE_EKEY_GROWTH);
		mp_add(o, "%lld", (s64)ev->v[MP_VAL_GROWTH]);
		mp_add_key(o, MEMPRESSURE_EKEY_TIME_TO_LIMIT);
		if (ev->v[MP_VAL_TTL] == U64_MAX)
			mp_add(o, "%s", MEMPRESSURE_NA);
		else
			mp_add(o, "%llu", ev->v[MP_VAL_TTL]);
		break;
	case MEMPRESSURE_EVENT_HIGH:
	case MEMPRESSURE_EVENT_MAX:
	case MEMPRESSURE_EVENT_OOM:
	case MEMPRESSURE_EVENT_OOM_KILL:
	case MEMPRESSURE_EVENT_LOST:
		mp_add_u64(o, MEMPRESSURE_EKEY_COUNT, ev->v[MP_VAL_COUNT]);
		if (ev->kind != MEMPRESSURE_EVENT_LOST)
			mp_add_u64(o, MEMPRESSURE_EKEY_DELTA, ev->v[MP_VAL_DELTA]);
		break;
	}
	mp_put(o, "\n", 1);
	if (o->to)
		mp_flush(o);
}

/*
 * The reader's next record, copied into @ev with its own references: the
 * gap record, or the next event it may see; the cursor after it in @next.
 * False if there is none.  Under mp_ev.lock.
 */
static bool mp_next_event(struct mp_events_reader *r, struct mp_record *ev,
			  u64 *next)
{
	u64 oldest = mp_oldest_seq();

	if (r->next_seq < oldest) {
		*ev = (struct mp_record) {
			.kind = MEMPRESSURE_EVENT_LOST,
			.seq = oldest - 1,
			.time_ns = ktime_get_ns(),
			.v[MP_VAL_COUNT] = oldest - r->next_seq,
		};
		*next = oldest;
		return true;
	}
	if (!mp_pending(r))
		return false;
	mp_event_copy(ev, mp_slot(r->next_seq));
	*next = r->next_seq + 1;
	return true;
}

/*
 * Copy @ev's line to @ubuf if it fits in @room: its length, -ENOSPC if it
 * does not fit, -EFAULT.
 */
static ssize_t mp_copy_line(struct mp_events_reader *r,
			    const struct mp_record *ev, char __user *ubuf,
			    size_t room)
{
	const char *path = ev->path ? mp_view_path(&r->view, ev->path->s) : NULL;
	pid_t pid = ev->pid ? mp_reader_pid(r, ev) : 0;
	struct mp_out o;

	mp_out_init(&o, NULL);
	mp_format(&o, ev, pid, path);
	if (o.len > room)
		return -ENOSPC;
	mp_out_init(&o, ubuf);
	mp_format(&o, ev, pid, path);
	return o.fault ? -EFAULT : o.len;
}

static ssize_t mp_events_read(struct file *file, char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	struct mp_events_reader *r = file->private_data;
	ssize_t copied = 0, len;
	int err = 0;

	if (mutex_lock_interruptible(&r->lock))
		return -ERESTARTSYS;
	while (!err) {
		struct mp_record ev;
		bool found;
		u64 next;

		spin_lock(&mp_ev.lock);
		err = mp_ev.dying ? -EIO : 0;
		found = !err && mp_next_event(r, &ev, &next);
		spin_unlock(&mp_ev.lock);
		if (err || (!found && copied))
			break;
		if (!found) {
			if (file->f_flags & O_NONBLOCK) {
				err = -EAGAIN;
				break;
			}
			err = wait_event_interruptible(mp_ev.wait->head,
						       READ_ONCE(mp_ev.dying) ||
						       READ_ONCE(mp_ev.visible_seq) >
						       r->next_seq);
			continue;
		}
		len = mp_copy_line(r, &ev, ubuf + copied, count - copied);
		mp_event_free(&ev);
		if (len < 0) {
			/* Whole lines only; a buffer too small for one: EINVAL. */
			if (len == -EFAULT || !copied)
				err = len == -ENOSPC ? -EINVAL : len;
			break;
		}
		r->next_seq = next;
		copied += len;
	}
	mutex_unlock(&r->lock);
	return copied ? copied : err;
}

static __poll_t mp_events_poll(struct file *file, poll_table *pt)
{
	struct mp_events_reader *r = file->private_data;
	__poll_t mask = 0;

	poll_wait(file, &mp_ev.wait->head, pt);
	spin_lock(&mp_ev.lock);
	if (mp_ev.dying)
		mask = EPOLLERR | EPOLLHUP;
	else if (mp_pending(r))
		mask = EPOLLIN | EPOLLRDNORM;
	spin_unlock(&mp_ev.lock);
	return mask;
}

static int mp_events_release(struct inode *inode, struct file *file)
{
	struct mp_events_reader *r = file->private_data;

	mp_view_release(&r->view);
	kfree(r);
	return 0;
}

static int mp_events_open(struct inode *inode, struct file *file)
{
	struct mp_events_reader *r;
	int err;

	/* The opener's: any user may open the file, many times. */
	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return -ENOMEM;
	mutex_init(&r->lock);
	err = mp_view_init(&r->view, file);
	if (err) {
		kfree(r);
		return err;
	}
	/* From its open onward. */
	spin_lock(&mp_ev.lock);
	r->next_seq = mp_ev.visible_seq;
	spin_unlock(&mp_ev.lock);
	file->private_data = r;
	return nonseekable_open(inode, file);
}

static const struct proc_ops mp_events_fops = {
	.proc_open = mp_events_open,
	.proc_read = mp_events_read,
	.proc_poll = mp_events_poll,
	.proc_lseek = noop_llseek,
	.proc_release = mp_events_release,
};

static struct mp_events_wait *mp_events_wait_alloc(void)
{
	struct mp_events_wait *w = kzalloc(sizeof(*w), GFP_KERNEL);

	if (!w)
		return NULL;
	strscpy(w->name, "mempressure events", sizeof(w->name));
	lockdep_register_key(&w->key);
	__init_waitqueue_head(&w->head, w->name, &w->key);
	return w;
}

static void mp_events_wait_free(struct mp_events_wait *w)
{
	lockdep_unregister_key(&w->key);
	kfree(w);
}

int mp_events_init(void)
{
	spin_lock_init(&mp_ev.lock);
	mp_ev.next_seq = 1;
	mp_ev.visible_seq = 1;
	mp_ev.wait = mp_events_wait_alloc();
	if (!mp_ev.wait)
		return -ENOMEM;
	mp_ev.ring = vzalloc(array_size(MP_EVENTS_BUFFER, sizeof(*mp_ev.ring)));
	if (!mp_ev.ring) {
		mp_events_wait_free(mp_ev.wait);
		return -ENOMEM;
	}
	return 0;
}

int mp_events_create_file(struct proc_dir_entry *dir)
{
	return proc_create(MEMPRESSURE_FILE_EVENTS, 0444, dir,
			   &mp_events_fops) ? 0 : -ENOMEM;
}

/*
 * Before proc_remove(): wake blocked readers, which then fail with EIO,
 * and every poll() and select() caller, whatever it waits for, while the
 * file can still tell them it is going (EPOLLERR | EPOLLHUP).
 */
void mp_events_shutdown(void)
{
	spin_lock(&mp_ev.lock);
	mp_ev.dying = true;
	spin_unlock(&mp_ev.lock);
	wake_up_all(&mp_ev.wait->head);
}

static bool mp_events_unwatched(struct mp_events_wait *w)
{
	bool empty;

	spin_lock_irq(&w->head.lock);
	empty = list_empty(&w->head.head);
	spin_unlock_irq(&w->head.lock);
	return empty;
}

/*
 * After proc_remove(): no reader is left in read(), and no ->poll() can
 * queue a new waiter, but poll waiters may still be queued.  A POLLFREE
 * wakeup, as wake_up_pollfree() sends, takes epoll's, aio's and io_uring's
 * entries off at once; one without a key wakes every poll() and select()
 * caller, which leaves as it returns, if it returns.  Those still there
 * after MP_EVENTS_EXIT_WAIT_MS keep the wait queue head: it is left to
 * them (see the top of this file).
 */
#define MP_EVENTS_EXIT_WAIT_MS	1000

void mp_events_exit(void)
{
	struct mp_events_wait *w = mp_ev.wait;
	unsigned int waited = 0;
	bool left;
	u32 i;

	for (;;) {
		__wake_up(&w->head, TASK_NORMAL, 0, poll_to_key(EPOLLHUP | POLLFREE));
		wake_up_all(&w->head);
		left = !mp_events_unwatched(w);
		if (!left || waited >= MP_EVENTS_EXIT_WAIT_MS)
			break;
		msleep(20);
		waited += 20;
	}
	/* Like wake_up_pollfree(): epoll may look at the head until then. */
	synchronize_rcu();
	if (left) {
		pr_info("a task still waits in poll() or select() on the event stream; its wait queue is left to it\n");
		kmemleak_not_leak(w);
	} else {
		mp_events_wait_free(w);
	}
	mp_ev.wait = NULL;
	for (i = 0; i < MP_EVENTS_BUFFER; i++)
		mp_event_free(&mp_ev.ring[i]);
	vfree(mp_ev.ring);
	mp_ev.ring = NULL;
}
