// SPDX-License-Identifier: GPL-2.0
/* rss_stat passes the counter's new value (before 6.2: mm, member, count). */
#include <linux/mm.h>
#include <linux/slab.h>
#include <trace/events/kmem.h>

static void probe(void *data, struct mm_struct *mm, int member, long count)
{
}

int mp_probe(void);
int mp_probe(void)
{
	return sizeof(register_trace_rss_stat(probe, NULL));
}
