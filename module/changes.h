/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MP_CHANGES_H
#define _MP_CHANGES_H

#include <linux/types.h>

/*
 * Processes born between two samples, kept for the next one.  More than
 * this many in one interval and the sampler walks every process instead.
 */
#define MP_BORN_MAX	2048

struct mp_born {
	u32 nr;
	bool overflow;			/* more were born than fit */
	pid_t pid[MP_BORN_MAX];		/* thread group ids */
};

int mp_changes_start(bool *tracking);
void mp_changes_stop(void);
const struct mp_born *mp_changes_begin(void);

#endif /* _MP_CHANGES_H */
