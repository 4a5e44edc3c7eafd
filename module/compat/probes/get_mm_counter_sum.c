// SPDX-License-Identifier: GPL-2.0
/* Since 6.2: exact sum of a per-CPU mm counter. */
#include <linux/mm.h>

unsigned long mp_probe(struct mm_struct *mm);
unsigned long mp_probe(struct mm_struct *mm)
{
	return get_mm_counter_sum(mm, MM_ANONPAGES);
}
