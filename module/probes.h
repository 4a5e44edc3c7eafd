/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MP_PROBES_H
#define _MP_PROBES_H

#include <linux/tracepoint.h>

/*
 * A probe on a kernel tracepoint that is not exported to modules: found by
 * name among the kernel's tracepoints, then registered.
 */
struct mp_probe {
	const char *name;
	void *probe;
	struct tracepoint *tp;		/* found by name */
	bool attached;
};

int mp_probes_find(struct mp_probe *probes, int nr);
int mp_probes_attach(struct mp_probe *probes, int nr);
void mp_probes_detach(struct mp_probe *probes, int nr);

#endif /* _MP_PROBES_H */
